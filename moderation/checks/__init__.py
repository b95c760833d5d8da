"""Automatic content checks.

Each check is a function in its own module, ``check(context) -> iterable of
Finding``, reading a :class:`~.base.ReleaseDocument` and a
:class:`~.lexicon.Lexicon` through a :class:`~.context.CheckContext`. Checks touch
no request and no database; :func:`run_checks` runs them all::

    from moderation.checks import ReleaseDocument, run_checks

    findings = run_checks(ReleaseDocument.from_release(page))
    if any(f.blocks for f in findings):
        ...

Other apps add checks with :func:`register_check`.

Finding codes, by module:

- ``secrecy``: ``secrecy.mark`` (密级 marks), ``secrecy.term`` (internal-material
  words from the lexicon);
- ``privacy``: ``privacy.id_number``, ``privacy.bank_card``, ``privacy.mobile``;
- ``lexicon``: ``lexicon.term``;
- ``protected_names``: ``protected_name.near_miss``;
- ``typos``: ``typo.confusion``;
- ``traditional``: ``traditional.characters``;
- ``clickbait``: ``clickbait.pattern``, ``clickbait.word``, ``clickbait.punctuation``;
- ``reprint``: ``reprint.missing_source_name``, ``reprint.missing_source_url``,
  ``reprint.missing_original_title``, ``reprint.missing_original_author``,
  ``reprint.invalid_source_url``, ``reprint.unapproved_source``;
- ``images``: ``image.no_credit``, ``map.no_approval_number``;
- ``platforms``: ``length.wechat_title``, ``length.wechat_author``,
  ``length.wechat_digest``, ``length.wechat_content``,
  ``length.wechat_content_size``, ``length.weibo_status``,
  ``video.douyin_missing`` (these carry the platform in ``target``);
- ``ads``: ``ads.link``, ``ads.wording``.
"""

import re

from . import (
    ads,
    clickbait,
    images,
    lexicon,
    platforms,
    privacy,
    protected_names,
    reprint,
    secrecy,
    traditional,
    typos,
)
from .base import (
    BLOCK,
    CATEGORIES,
    WARN,
    DocumentError,
    Finding,
    ImageRef,
    Link,
    ReleaseDocument,
    Target,
    TextField,
)
from .context import CheckContext
from .lexicon import Lexicon, Source, Term, default_lexicon, load_lexicon

__all__ = [
    "BLOCK",
    "CATEGORIES",
    "WARN",
    "CheckContext",
    "DocumentError",
    "Finding",
    "ImageRef",
    "Lexicon",
    "Link",
    "ReleaseDocument",
    "Source",
    "Target",
    "Term",
    "TextField",
    "default_lexicon",
    "load_lexicon",
    "register_check",
    "registered_checks",
    "run_checks",
]

_registry = [
    secrecy.check,
    privacy.check,
    lexicon.check,
    protected_names.check,
    typos.check,
    traditional.check,
    clickbait.check,
    reprint.check,
    images.check,
    platforms.check,
    ads.check,
]


def register_check(check):
    """Add ``check(context) -> iterable of Finding`` to every run; usable as a
    decorator."""
    if check not in _registry:
        _registry.append(check)
    return check


def registered_checks():
    return list(_registry)


def run_checks(document, *, lexicon=None):
    """Run every check on ``document`` and return the findings in reading order.

    ``lexicon`` defaults to the current lexicon from the database
    (:func:`~.lexicon.load_lexicon`, built once per version and process).
    Identical findings (two accounts on one platform) are reported once.
    """
    if lexicon is None:
        lexicon = load_lexicon()
    context = CheckContext(document, lexicon)
    findings = []
    seen = set()
    for check in _registry:
        for finding in check(context):
            if finding not in seen:
                seen.add(finding)
                findings.append(finding)
    orders = {name: field_order(name) for name in {f.field for f in findings}}
    findings.sort(
        key=lambda f: (orders[f.field], f.offset, f.severity != BLOCK, -f.length)
    )
    return findings


_FIELD_ORDER = {
    name: index
    for index, name in enumerate(
        "title subtitle digest author source_name source_url original_title "
        "original_author cover body images targets".split()
    )
}
_FIELD_PARTS = re.compile(r"[.\[\]]+")


def field_order(name):
    """A sort key putting field names in reading order (body.2 before body.10)."""
    head, *rest = [part for part in _FIELD_PARTS.split(name) if part]
    return (
        _FIELD_ORDER.get(head, len(_FIELD_ORDER)),
        head,
        *((0, int(p), "") if p.isdigit() else (1, 0, p) for p in rest),
    )
