"""Pieces every adapter's ``render`` needs, kept pure: no network, no writes.

The editor's previews call the adapters' ``render``, so nothing here uploads,
creates renditions or saves; reading the database (a page's address, an
image's file name) is allowed.

The delivery key travels in the public link as ``?rm=<first 12 hex digits of
the key>`` (:func:`public_link`, :func:`link_carries_key`): platforms echo the
link back (WeChat's "read more" address, a Weibo status's text), which is how
an adapter recognises its own post after an unknown outcome.
"""

import mimetypes
import os
import re
import threading
from collections import OrderedDict
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from bs4 import BeautifulSoup
from django.conf import settings

#: Query parameter of the public link that carries the delivery key.
KEY_PARAM = "rm"
#: How many hex digits of the delivery key the link carries.
KEY_LENGTH = 12

_SPACES = re.compile(r"[ \t\r\f\v\u3000\xa0]+")
_BLANK_LINES = re.compile(r"\n\s*\n+")


#: Releases of recently rendered revisions, by revision id. A revision never
#: changes, and one release fans out to many accounts: rebuilding it each time
#: costs a query per target account (modelcluster looks every child up).
_RELEASES = OrderedDict()
_RELEASES_LOCK = threading.Lock()
_RELEASES_KEPT = 16


def release_of(revision):
    """The release a revision holds (a release passed as is is returned)."""
    if not hasattr(revision, "as_object"):
        return revision
    if getattr(revision, "pk", None) is None:  # a preview's unsaved page
        return revision.as_object()
    # The time too: a test database can give a rolled-back id out again.
    pk = (revision.pk, revision.created_at)
    # One lock for building: threads sending one release to many accounts
    # wait for the first to build it rather than all building it at once.
    with _RELEASES_LOCK:
        if pk in _RELEASES:
            _RELEASES.move_to_end(pk)
            return _RELEASES[pk]
        release = revision.as_object()
        _RELEASES[pk] = release
        while len(_RELEASES) > _RELEASES_KEPT:
            _RELEASES.popitem(last=False)
    return release


def key_marker(key):
    """The part of a delivery key the public link carries."""
    return str(key).replace("-", "").lower()[:KEY_LENGTH]


def absolute_url(url):
    """``url`` made absolute against the public address of the site."""
    base = settings.RONGMEI_PUBLIC_BASE_URL.rstrip("/") + "/"
    return urljoin(base, url or "")


def once_per_release(release, name, build):
    """``build()``, worked out once per release object and kept on it.

    For what does not depend on the account: a revision's release is shared
    by every delivery of its fan-out (:func:`release_of`), so the work is done
    once for hundreds of accounts. Two threads may both build it the first
    time; either result is the same.
    """
    kept = release.__dict__.setdefault("_rongmei_once", {})
    if name not in kept:
        kept[name] = build()
    return kept[name]


def public_link(release, key=""):
    """The release's public address, carrying the delivery key when given."""
    # Wagtail's URL routing costs milliseconds a call.
    url = once_per_release(
        release,
        "public_link",
        lambda: release.full_url or absolute_url(release.url or "/"),
    )
    if not key:
        return url
    return with_key(url, key)


def with_key(url, key):
    """``url`` with ``?rm=`` set to the delivery key's marker."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query) if k != KEY_PARAM]
    query.append((KEY_PARAM, key_marker(key)))
    return urlunsplit(parts._replace(query=urlencode(query)))


def link_carries_key(url, key):
    """Whether ``url`` (or any address in the text ``url``) carries ``key``."""
    if not url or not key:
        return False
    marker = key_marker(key)
    return re.search(r"[?&]%s=%s(?![0-9a-f])" % (KEY_PARAM, marker), url) is not None


def target_for(release, account):
    """The release's target row for ``account`` (its overrides), or None.

    On a revision's release, ``targets.all()`` are the revision's own rows.
    """
    account_id = getattr(account, "pk", account)
    for target in release.targets.all():
        if target.account_id == account_id:
            return target
    return None


def release_title(release, account=None):
    """The title for ``account``: its override, else the release's title."""
    target = target_for(release, account) if account is not None else None
    if target is not None and target.title_override.strip():
        return target.title_override.strip()
    return release.title.strip()


def text_override(release, account):
    """The account's own text for the release, or ""."""
    target = target_for(release, account)
    return target.text_override.strip() if target is not None else ""


def body_blocks(release):
    """The body's blocks as ``(block_type, value)`` pairs, in order."""
    for block in release.body:
        yield block.block_type, block.value


def image_asset(image, role, **extra):
    """An entry of ``Payload.assets`` for ``image``; the file is not opened."""
    name = os.path.basename(image.file.name)
    return {
        "role": role,
        "image_id": image.pk,
        "name": name,
        "content_type": mimetypes.guess_type(name)[0] or "application/octet-stream",
        "size": image.file_size,
        "width": image.width,
        "height": image.height,
        **extra,
    }


def problem(code, message, *, blocking=True, **extra):
    """An entry of ``Payload.problems``."""
    return {"code": code, "message": str(message), "blocking": blocking, **extra}


def html_to_text(html):
    """The text of an HTML fragment, block elements on lines of their own."""
    if not html:
        return ""
    soup = BeautifulSoup(html, "html.parser")
    for br in soup.find_all("br"):
        br.replace_with("\n")
    for element in soup.find_all(
        ["p", "div", "section", "li", "h1", "h2", "h3", "h4", "h5", "h6", "tr"]
    ):
        element.insert_after("\n")
    return normalise_text(soup.get_text())


def normalise_text(text):
    """Spaces collapsed, lines trimmed, no blank lines."""
    lines = (_SPACES.sub(" ", line).strip() for line in (text or "").split("\n"))
    return _BLANK_LINES.sub("\n", "\n".join(line for line in lines if line))


def block_text(block_type, value):
    """The plain text of one body block ("" for blocks without text)."""
    if block_type == "paragraph":
        return html_to_text(getattr(value, "source", str(value)))
    if block_type == "heading":
        return normalise_text(str(value))
    if block_type == "quote":
        text = normalise_text(value.get("text", ""))
        attribution = (value.get("attribution") or "").strip()
        return "%s ——%s" % (text, attribution) if attribution else text
    if block_type in ("image", "video"):
        return normalise_text(value.get("caption") or "")
    if block_type == "attachment":
        document = value.get("document")
        return normalise_text(
            value.get("title") or (document.title if document is not None else "")
        )
    return ""


def release_text(release, limit=None):
    """The body as plain text, one block a line, shortened to ``limit`` chars."""
    text = "\n".join(
        text for text in (block_text(t, v) for t, v in body_blocks(release)) if text
    )
    return shorten(text, limit) if limit else text


def shorten(text, limit, ellipsis="…"):
    """``text`` cut to at most ``limit`` characters, ending in ``ellipsis``.

    For text the system derives (a digest from the body); text an editor wrote
    is never cut: ``render`` reports it as a problem instead.
    """
    if limit is None or len(text) <= limit:
        return text
    return text[: max(limit - len(ellipsis), 0)].rstrip() + ellipsis
