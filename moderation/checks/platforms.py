"""Limits of the target platforms (block, for that target).

Figures from the platforms' API documentation (see the project's research notes
on platform APIs, §0 and §5):

WeChat official accounts (``draft/add``): title ≤ 32 characters, author ≤ 16,
digest ≤ 128; content fewer than 20,000 characters and smaller than 1 MB. A title
set for the account is checked instead of the release title. Characters are
counted as Python counts them (one per code point, Chinese or not). The content
counted is the body HTML as the release renders it: the API limit applies to the
HTML it receives, and the adapter's rendering for WeChat only adds to it.

Weibo (``statuses/share``): the status must hold ≤ 140 Chinese characters and a
link to the release. The status checked is the text set for the account, or else
the title (the least any Weibo post of the release carries), plus a space and the
release's public link. Counting rule:

- Weibo replaces every link with a t.cn short link. Its own web client
  counts a link of up to 140 bytes as 20 half-width characters, and a longer
  one as 20 plus what exceeds 140 bytes. Here a link counts as that many
  *characters* (:data:`WEIBO_LINK_LENGTH`, 20), whatever its real length.
- Weibo's client counts two half-width (ASCII) characters as one Chinese
  character, but whether the API counts the same way is not documented (the
  research notes mark it uncertain). Every other character counts as one here,
  ASCII included: a status this check passes is never too long for Weibo,
  while one it blocks may still fit when it has much Latin text.

Douyin: a release sent to a Douyin account must have a video.
"""

import re

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .base import BLOCK, Finding, excerpt

#: Platform codes the checks know; a batch release may target only these.
KNOWN_PLATFORMS = frozenset({"wechat_oa", "weibo", "douyin", "app"})

WECHAT_TITLE_MAX = 32
WECHAT_AUTHOR_MAX = 16
WECHAT_DIGEST_MAX = 128
#: Content must be shorter than these (characters, UTF-8 bytes).
WECHAT_CONTENT_CHARS = 20_000
WECHAT_CONTENT_BYTES = 1024 * 1024

WEIBO_STATUS_MAX = 140
WEIBO_LINK_LENGTH = 20
#: What Weibo shortens whole (bytes of the link); longer links count the rest.
WEIBO_LINK_BYTES = 140

_URL = re.compile(r"https?://[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]+", re.IGNORECASE)


def weibo_link_length(url):
    size = len(url.encode("utf-8"))
    return WEIBO_LINK_LENGTH + max(0, size - WEIBO_LINK_BYTES)


def weibo_length(text):
    """The length Weibo counts for ``text``, links shortened (rule above)."""
    total, position = 0, 0
    for match in _URL.finditer(text):
        total += match.start() - position + weibo_link_length(match.group())
        position = match.end()
    return total + len(text) - position


def weibo_status(target, document):
    """The shortest status a Weibo post of this release carries, link included."""
    text = target.text or target.title or document.title
    link = document.url or "https://t.cn/" + "x" * 8
    return "%s %s" % (text, link)


#: Shown when a finding concerns a platform rather than a named account.
PLATFORM_LABELS = {
    "wechat_oa": gettext_lazy("WeChat official account"),
    "weibo": gettext_lazy("Weibo"),
    "douyin": gettext_lazy("Douyin"),
    "app": gettext_lazy("App"),
}


def _label(target):
    return target.account or str(PLATFORM_LABELS.get(target.platform, target.platform))


def _too_long(code, field, text, limit, target, message):
    return Finding(
        code,
        "length",
        BLOCK,
        message,
        field,
        excerpt(text, limit, len(text)),
        limit,
        len(text) - limit,
        "",
        target.platform,
    )


def check_wechat(target, document):
    findings = []
    title = target.title or document.title
    title_field = target.title_field or "title"
    values = {"account": _label(target)}
    for code, field, text, limit, message in (
        (
            "length.wechat_title",
            title_field,
            title,
            WECHAT_TITLE_MAX,
            _(
                "%(account)s: the title has %(count)d characters; WeChat allows "
                "%(limit)d."
            ),
        ),
        (
            "length.wechat_author",
            "author",
            document.text("author"),
            WECHAT_AUTHOR_MAX,
            _(
                "%(account)s: the byline has %(count)d characters; WeChat allows "
                "%(limit)d."
            ),
        ),
        (
            "length.wechat_digest",
            "digest",
            document.text("digest"),
            WECHAT_DIGEST_MAX,
            _(
                "%(account)s: the digest has %(count)d characters; WeChat allows "
                "%(limit)d."
            ),
        ),
    ):
        if len(text) > limit:
            findings.append(
                _too_long(
                    code,
                    field,
                    text,
                    limit,
                    target,
                    message % {**values, "count": len(text), "limit": limit},
                )
            )
    html = document.body_html
    chars, size = len(html), len(html.encode("utf-8"))
    if chars >= WECHAT_CONTENT_CHARS:
        findings.append(
            Finding(
                "length.wechat_content",
                "length",
                BLOCK,
                _(
                    "%(account)s: the content has %(count)d characters of HTML; "
                    "WeChat takes fewer than %(limit)d."
                )
                % {**values, "count": chars, "limit": WECHAT_CONTENT_CHARS},
                "body",
                "",
                0,
                0,
                "",
                target.platform,
            )
        )
    if size >= WECHAT_CONTENT_BYTES:
        findings.append(
            Finding(
                "length.wechat_content_size",
                "length",
                BLOCK,
                _(
                    "%(account)s: the content is %(count)d bytes; WeChat takes less "
                    "than %(limit)d (1 MB)."
                )
                % {**values, "count": size, "limit": WECHAT_CONTENT_BYTES},
                "body",
                "",
                0,
                0,
                "",
                target.platform,
            )
        )
    return findings


def check_weibo(target, document):
    status = weibo_status(target, document)
    count = weibo_length(status)
    if count <= WEIBO_STATUS_MAX:
        return []
    text = target.text or target.title or document.title
    field = target.text_field or target.title_field or "title"
    link = weibo_length(status) - weibo_length(text)
    return [
        Finding(
            "length.weibo_status",
            "length",
            BLOCK,
            _(
                "%(account)s: the Weibo post counts %(count)d characters (text "
                "%(text)d, link and space %(link)d); Weibo allows %(limit)d."
            )
            % {
                "account": _label(target),
                "count": count,
                "text": count - link,
                "link": link,
                "limit": WEIBO_STATUS_MAX,
            },
            field,
            excerpt(text, 0, len(text)),
            0,
            len(text),
            "",
            target.platform,
        )
    ]


def check_douyin(target, document):
    if document.has_video:
        return []
    return [
        Finding(
            "video.douyin_missing",
            "video",
            BLOCK,
            _("%(account)s: a Douyin post is a video, and the release has none.")
            % {"account": _label(target)},
            "body",
            "",
            0,
            0,
            "",
            target.platform,
        )
    ]


CHECKS = {"wechat_oa": check_wechat, "weibo": check_weibo, "douyin": check_douyin}


def check(context):
    findings = []
    for target in context.document.targets:
        platform_check = CHECKS.get(target.platform)
        if platform_check is not None:
            findings.extend(platform_check(target, context.document))
    return findings
