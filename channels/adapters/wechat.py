"""WeChat official accounts (微信公众号), platform code ``wechat_oa``.

Credentials: ``app_id`` and ``app_secret``. Contract: ``platform-apis.md`` §1.

Publishing one release (free publish, 发布; nothing is pushed to followers):

1. ``GET cgi-bin/token`` when the shared access token is missing or expiring
   (``channels.tokens``: one worker refreshes, the others reuse its token).
2. ``media/uploadimg`` once per body image (JPG/PNG under 1 MB, converted with
   Pillow when needed); each ``src`` placeholder becomes the returned URL.
3. ``material/add_material?type=image`` for the cover (permanent material,
   under 10 MB) → ``thumb_media_id``.
4. ``draft/add`` → the draft's ``media_id``.
5. ``freepublish/submit`` → ``publish_id``; ``publish`` returns
   ``Outcome(state="pending", job_id=publish_id)``.
6. ``freepublish/get`` (``poll``) until the job ends: status 0 gives
   ``Outcome(state="sent")`` with the ``article_id`` and the article URL.

So one ordinary publish makes 4 calls plus one per body image
(``calls_per_publish``), one more per further poll, and a token fetch about
every two hours per account.

Checkpoints (``Delivery.progress``), each reported as soon as its step
succeeded and reused by a later ``publish`` read from ``self.progress``:

======================  ==================================================
``body_images``         ``{image id or remote address: uploadimg URL}``
``cover_media_id``      the cover's permanent ``media_id``
``draft_media_id``      the draft's ``media_id``: a second draft is never
                        made for the same delivery; the existing one is
                        submitted instead
``publish_id``          the publish job: ``publish`` only reports it again
``msg_data_id``         given by ``freepublish/submit``; needed for comments
======================  ==================================================

The delivery key travels in the article's "read more" address
(``content_source_url``), as ``?rm=`` and the key's first 12 hex digits (see
``channels.render``). ``render`` cannot know the key, so it gives the plain
public link and ``publish`` adds the key to it.

``find(payload, progress)`` after an unknown outcome, without sending
anything that creates:

- ``publish_id`` known: ``freepublish/get`` answers (sent, still pending, or
  ``Rejected`` when the job failed).
- ``draft_media_id`` known (the submit's answer was lost): the recent
  free-published articles (``freepublish/batchget``) are searched for the key;
  found → sent. If not, ``draft/get``: the draft still in the draft box means
  the submit did not take effect → None, and the next ``publish`` submits that
  draft. A draft gone from the box but not yet listed as published is a job
  still running (or failed) whose id was lost: ``UnknownOutcome`` again, ask
  later. WeChat lists an article only once its job succeeded and removes the
  draft only then, so a submit still being processed looks like one that never
  arrived: ``find`` must come after the job's usual time (the engine's
  ``RONGMEI_UNCONFIRMED_DELAY``), or the draft may be submitted twice.
- Nothing known (``draft/add``'s answer was lost): published articles, then
  the draft box (``draft/batchget``), are searched for the key. A draft found
  is checkpointed as ``draft_media_id`` and None is returned, so the next
  ``publish`` submits it instead of making a second one. Without a key in the
  payload there is nothing to search for: None.

Each search reads the newest ``SCAN_PAGES`` × 20 items. ``freepublish/batchget``
has a daily quota of 100 calls, so ``find`` is for unknown outcomes only.

Errors (§1.3). Codes not listed are refusals: ``Rejected`` with WeChat's
message.

=====================  ===============  ======================================
errcode / condition    kind             notes
=====================  ===============  ======================================
-1                     transient        system busy
40001 40014 42001      auth_expired     on API calls: refresh the token once
41001                                   and retry once; a second refusal is
                                        ``AuthExpired``
40001 (token call)     auth_expired     app_secret wrong
40013                  auth_expired     app_id invalid
40164                  auth_expired     server address not on the IP whitelist
40002                  rejected         bad grant_type
40004 40005 40006      rejected         image type or size refused
40009 40012
40007                  rejected         media_id unknown (draft or material gone)
40033                  rejected         ``\\uXXXX`` in the request
43002 44002 44003      rejected         malformed request
47001
45002 45003 45004      rejected         content / title / digest / address too
45005 45008 45110                       long, too many articles, author too long
45009                  rate_limited     daily quota: until midnight Asia/Shanghai
45011                  rate_limited     per-minute quota: 60 s
53501                  rate_limited     publishing too often: 300 s (our guess;
                                        WeChat does not say)
45166                  rejected         unsupported content (links)
48001                  rejected         no permission for the API: verify the
                                        account, or use another
48004 53500            rejected         API or publishing banned
53502                  rejected         publish_id unknown
53503                  rejected         the draft failed the publish check
53504 53505            rejected         finish on mp.weixin.qq.com
53600                  rejected         article_id unknown
87014                  rejected         content judged risky
88000                  rejected         no comment permission (skipped by
                                        ``fetch_messages``, like 88001)
publish_status 2–6     rejected         (``poll``) with ``fail_idx`` if given
connect error/timeout  transient        nothing was sent
read timeout, reset    unknown_outcome  on ``draft/add``, ``freepublish/submit``
                                        and ``/delete``, ``comment/reply/add``
                       transient        on reads and uploads (a repeated upload
                                        only leaves an unused image)
HTTP 500 502 504       unknown_outcome  on the same creating calls
other HTTP 5xx         transient
HTTP 429               rate_limited     ``Retry-After`` or 60 s
other HTTP 4xx         rejected         wrong API address
unreadable answer,     unknown_outcome  on creating calls; transient otherwise
id missing from it
credentials missing    auth_expired     enter them on the account's page
or unreadable
=====================  ===============  ======================================

Article HTML is reduced to what WeChat keeps (``reduce_html``): ``script``,
``style``, ``iframe``, ``form`` and other active or embedded elements go with
their content; ``class``, ``id`` and every attribute but inline ``style`` (and
``href``/``src``/``alt`` where they belong) go; ``position``/``transform``
and ``url(…)`` declarations leave the styles; links to anything but WeChat
articles become their text with a numbered note listing the address; images
not hosted by WeChat are re-hosted through ``media/uploadimg``.

Exceptions never carry request addresses: the access token and the app
secret travel in query strings.
"""

import html as html_lib
import io
import json
import os
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import requests
from bs4 import BeautifulSoup, Comment, Doctype, ProcessingInstruction
from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from PIL import Image as PILImage
from PIL import ImageOps, UnidentifiedImageError
from urllib3.exceptions import NameResolutionError, NewConnectionError
from wagtail.images import get_image_model
from wagtail.rich_text import RichText

from .. import tokens
from ..crypto import CredentialsError
from ..render import (
    absolute_url,
    body_blocks,
    image_asset,
    link_carries_key,
    normalise_text,
    problem,
    public_link,
    release_of,
    release_text,
    release_title,
    shorten,
    text_override,
    with_key,
)
from .base import (
    Adapter,
    AuthExpired,
    Message,
    Outcome,
    Payload,
    RateLimited,
    Rejected,
    TransientError,
    UnknownOutcome,
)

PLATFORM = "wechat_oa"
TOKEN_NAME = "access_token"  # noqa: S105 (the token's name, not a token)
SHANGHAI = ZoneInfo("Asia/Shanghai")

#: Draft limits (api_draft_add): title, author and digest at most so many
#: characters; the content fewer than so many characters and UTF-8 bytes.
LIMITS = {
    "title": 32,
    "author": 16,
    "digest": 128,
    "content_chars": 20000,
    "content_bytes": 1024 * 1024,
}
#: Characters a derived digest takes: WeChat's own choice when none is given.
DERIVED_DIGEST_LENGTH = 54
#: Characters an uploaded image's address may add over its placeholder, when
#: checking the content length before the upload.
IMAGE_URL_ALLOWANCE = 120
#: Body images (uploadimg): JPG or PNG under 1 MB.
BODY_IMAGE_BYTES = 1024 * 1024
#: Cover (permanent image material): under 10 MB.
COVER_IMAGE_BYTES = 10 * 1024 * 1024
#: Largest remote image fetched for re-hosting.
REMOTE_IMAGE_BYTES = 20 * 1024 * 1024
#: Pages of 20 items ``find`` reads from the draft box and the published list.
SCAN_PAGES = 3
#: Comments asked for per page (comment/list refuses 50 and more).
COMMENT_PAGE = 49

IMAGE_PLACEHOLDER = "rongmei-image:"
REMOTE_PLACEHOLDER = "rongmei-remote:"
_PLACEHOLDER_SRC = re.compile(
    r'src="((?:%s|%s)[^"]*)"'
    % (re.escape(IMAGE_PLACEHOLDER), re.escape(REMOTE_PLACEHOLDER))
)

#: Hosts whose images WeChat keeps in articles.
WECHAT_IMAGE_HOSTS = ("mmbiz.qpic.cn", "mmbiz.qlogo.cn")
#: Hosts of WeChat articles, the only links an article may keep.
WECHAT_LINK_HOSTS = ("mp.weixin.qq.com",)

JSON_CONTENT_TYPE = "application/json; charset=utf-8"

# ---------------------------------------------------------------------------
# HTML reduction

#: Removed with everything inside them.
REMOVED_TAGS = frozenset(
    "script noscript style iframe frame frameset form input button textarea "
    "select option object embed applet video audio source track link meta base "
    "template canvas svg math head title".split()
)
#: Kept (with inline styles); anything else is unwrapped to its content.
ALLOWED_TAGS = frozenset(
    "section p span strong em u a h1 h2 h3 h4 h5 h6 ul ol li blockquote pre code "
    "table thead tbody tfoot tr th td br img hr sup sub".split()
)
RENAMED_TAGS = {
    "div": "section",
    "article": "section",
    "header": "section",
    "footer": "section",
    "main": "section",
    "aside": "section",
    "nav": "section",
    "figure": "section",
    "figcaption": "p",
    "b": "strong",
    "i": "em",
}
#: Attributes kept besides ``style``.
TAG_ATTRIBUTES = {
    "a": {"href"},
    "img": {"src", "alt"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan"},
    "ol": {"start"},
}
#: Style properties WeChat drops or that could pull content from elsewhere.
REMOVED_STYLE_PROPERTIES = frozenset({"position", "transform", "behavior"})
_UNSAFE_STYLE_VALUE = re.compile(r"url\s*\(|expression\s*\(|javascript:", re.I)

#: Inline styles of the HTML built from the body blocks.
STYLES = {
    "heading": "font-size:18px;font-weight:bold;margin:24px 0 12px;",
    "subtitle": "font-size:16px;color:#555555;",
    "figure": "text-align:center;margin:16px 0;",
    "image": "max-width:100%;",
    "caption": "font-size:14px;color:#888888;text-align:center;",
    "quote": "border-left:3px solid #dddddd;padding-left:12px;color:#555555;",
    "meta": "font-size:14px;color:#888888;",
    "notes": "margin-top:24px;font-size:14px;color:#888888;",
}


@dataclass
class ReducedHtml:
    """HTML as WeChat keeps it, with what the reduction took out."""

    html: str
    #: Addresses of the links turned into notes, note 1 first.
    notes: list = field(default_factory=list)
    #: Addresses of the images to re-host, ``rongmei-remote:1`` first.
    remote_images: list = field(default_factory=list)


def _host(url):
    try:
        return (urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""


def _on_hosts(url, hosts):
    host = _host(url)
    return any(host == h or host.endswith("." + h) for h in hosts)


def clean_style(style):
    """``style`` without the declarations WeChat drops or that load things."""
    kept = []
    for declaration in (style or "").split(";"):
        name, sep, value = declaration.partition(":")
        name = name.strip().lower()
        if not sep or not name or not value.strip():
            continue
        if name in REMOVED_STYLE_PROPERTIES or _UNSAFE_STYLE_VALUE.search(value):
            continue
        kept.append("%s:%s" % (name, value.strip()))
    return ";".join(kept) + (";" if kept else "")


def reduce_html(html, *, image_hosts=WECHAT_IMAGE_HOSTS):
    """Reduce ``html`` to what WeChat keeps in an article (module docstring).

    Links become ``text<sup>[n]</sup>`` with the address as note n; images
    not on ``image_hosts`` get a ``rongmei-remote:<n>`` placeholder to be
    re-hosted at publish time.
    """
    soup = BeautifulSoup(html or "", "html.parser")
    for node in soup.find_all(
        string=lambda s: isinstance(s, Comment | Doctype | ProcessingInstruction)
    ):
        node.extract()
    for tag in soup.find_all(REMOVED_TAGS):
        if not tag.decomposed:
            tag.decompose()
    result = ReducedHtml(html="")
    for tag in soup.find_all(True):
        tag.name = RENAMED_TAGS.get(tag.name, tag.name)
        if tag.name == "a":
            _reduce_link(soup, tag, result)
        elif tag.name == "img":
            _reduce_image(tag, result, image_hosts)
        elif tag.name not in ALLOWED_TAGS:
            tag.unwrap()
        else:
            _clean_attributes(tag)
    result.html = str(soup).strip()
    return result


def _clean_attributes(tag):
    keep = TAG_ATTRIBUTES.get(tag.name, set()) | {"style"}
    tag.attrs = {k: v for k, v in tag.attrs.items() if k in keep}
    if "style" in tag.attrs:
        style = clean_style(tag.attrs["style"])
        if style:
            tag.attrs["style"] = style
        else:
            del tag.attrs["style"]


def _reduce_link(soup, tag, result):
    href = (tag.get("href") or "").strip()
    scheme = urlsplit(href).scheme.lower() if href else ""
    if scheme in ("http", "https") and _on_hosts(href, WECHAT_LINK_HOSTS):
        _clean_attributes(tag)
        return
    if href and not href.startswith("#") and scheme in ("", "http", "https", "mailto"):
        address = absolute_url(href) if scheme == "" else href
        if address not in result.notes:
            result.notes.append(address)
        marker = soup.new_tag("sup")
        marker.string = "[%d]" % (result.notes.index(address) + 1)
        tag.insert_after(marker)
    tag.unwrap()


def _reduce_image(tag, result, image_hosts):
    src = (tag.get("src") or "").strip()
    if src.startswith(IMAGE_PLACEHOLDER):
        _clean_attributes(tag)
        return
    scheme = urlsplit(src).scheme.lower() if src else ""
    if not src or scheme not in ("", "http", "https"):
        # data: and other inline images cannot be re-hosted from an address.
        tag.decompose()
        return
    if not _on_hosts(src, image_hosts):
        address = absolute_url(src) if scheme == "" else src
        if address not in result.remote_images:
            result.remote_images.append(address)
        tag["src"] = "%s%d" % (
            REMOTE_PLACEHOLDER,
            result.remote_images.index(address) + 1,
        )
    _clean_attributes(tag)


def replace_placeholders(content, addresses):
    """``content`` with each ``src`` placeholder replaced by its address.

    Raise ``KeyError`` for a placeholder without an address.
    """

    def address(match):
        return 'src="%s"' % html_lib.escape(addresses[match.group(1)], quote=True)

    return _PLACEHOLDER_SRC.sub(address, content)


# ---------------------------------------------------------------------------
# The article's HTML from the body blocks


def _esc(text):
    return html_lib.escape(str(text or ""), quote=True)


def _paragraph(text, style=""):
    style_attr = ' style="%s"' % style if style else ""
    return "<p%s>%s</p>" % (style_attr, text)


def _block_html(block_type, value, problems):
    """Raw HTML of one body block, before the reduction."""
    if block_type == "paragraph":
        return str(value) if isinstance(value, RichText) else str(value or "")
    if block_type == "heading":
        return '<h2 style="%s">%s</h2>' % (STYLES["heading"], _esc(value))
    if block_type == "image":
        image = value.get("image")
        if image is None:
            problems.append(
                problem(
                    "image_missing",
                    _("An image of the body no longer exists; it is left out."),
                    blocking=False,
                )
            )
            return ""
        caption = (value.get("caption") or "").strip()
        credit = (value.get("credit") or image.credit or "").strip()
        parts = [
            '<img src="%s%d" alt="%s" style="%s">'
            % (
                IMAGE_PLACEHOLDER,
                image.pk,
                _esc(caption or image.title),
                STYLES["image"],
            )
        ]
        if caption or credit:
            parts.append(
                _paragraph(
                    _esc(" ".join(p for p in (caption, credit) if p)), STYLES["caption"]
                )
            )
        return '<section style="%s">%s</section>' % (STYLES["figure"], "".join(parts))
    if block_type == "quote":
        lines = "<br>".join(
            _esc(line) for line in (value.get("text") or "").splitlines()
        )
        parts = [_paragraph(lines)]
        if (value.get("attribution") or "").strip():
            parts.append(_paragraph("——" + _esc(value["attribution"].strip())))
        return '<blockquote style="%s">%s</blockquote>' % (
            STYLES["quote"],
            "".join(parts),
        )
    if block_type == "video":
        problems.append(
            problem(
                "video_not_carried",
                _(
                    "WeChat articles cannot carry the body's video: readers are "
                    "pointed to the release's own page through “Read more”."
                ),
                blocking=False,
            )
        )
        caption = (value.get("caption") or "").strip()
        with translation.override(settings.LANGUAGE_CODE):
            text = _("Video: %(caption)s (watch it through “Read more”)") % {
                "caption": caption
            }
        return _paragraph(_esc(text), STYLES["meta"])
    if block_type == "attachment":
        document = value.get("document")
        if document is None:
            return ""
        title = (value.get("title") or document.title or "").strip()
        return _paragraph('<a href="%s">%s</a>' % (_esc(document.url), _esc(title)))
    if block_type == "embed":
        url = getattr(value, "url", "") or ""
        return _paragraph('<a href="%s">%s</a>' % (_esc(url), _esc(url))) if url else ""
    return ""


def _reprint_html(release):
    """The source line a reprint must carry (source, original title and author)."""
    with translation.override(settings.LANGUAGE_CODE):
        source = _esc(release.source_name.strip())
        if release.source_url:
            source = '<a href="%s">%s</a>' % (_esc(release.source_url), source)
        lines = [_("Source: %(source)s") % {"source": source}]
        if release.original_title.strip():
            lines.append(
                _("Original title: %(title)s") % {"title": _esc(release.original_title)}
            )
        if release.original_author.strip():
            lines.append(
                _("Original author: %(author)s")
                % {"author": _esc(release.original_author)}
            )
    return _paragraph("<br>".join(lines), STYLES["meta"])


def _notes_html(notes):
    with translation.override(settings.LANGUAGE_CODE):
        heading = _("Links in this article")
    items = "".join(
        _paragraph("[%d] %s" % (n, _esc(address)))
        for n, address in enumerate(notes, start=1)
    )
    return '<section style="%s">%s%s</section>' % (
        STYLES["notes"],
        _paragraph(_esc(heading)),
        items,
    )


def article_html(release, problems):
    """The article's content and the remote images it needs re-hosted."""
    parts = []
    if release.subtitle.strip():
        parts.append(_paragraph(_esc(release.subtitle.strip()), STYLES["subtitle"]))
    if release.is_reprint:
        parts.append(_reprint_html(release))
    parts.extend(_block_html(t, v, problems) for t, v in body_blocks(release))
    reduced = reduce_html("".join(parts))
    content = reduced.html
    if reduced.notes:
        content += _notes_html(reduced.notes)
    return content, reduced.remote_images


def body_images(release):
    """The body's images, each once, in order."""
    seen = {}
    for block_type, value in body_blocks(release):
        if block_type == "image" and value.get("image") is not None:
            seen.setdefault(value["image"].pk, value["image"])
    return list(seen.values())


# ---------------------------------------------------------------------------
# Images


def fit_image(data, name, *, max_bytes, formats=("JPEG", "PNG")):
    """Return ``(bytes, file name, content type)`` WeChat accepts.

    The file is kept if its format is one of ``formats`` and it is under
    ``max_bytes``; otherwise it becomes a JPEG, scaled down until it fits.
    """
    try:
        image = PILImage.open(io.BytesIO(data))
        image_format = image.format
    except (UnidentifiedImageError, OSError):
        raise Rejected(
            _("“%(name)s” is not an image WeChat can take.") % {"name": name}
        ) from None
    stem = os.path.splitext(os.path.basename(name))[0] or "image"
    if image_format in formats and len(data) < max_bytes:
        ext = {"JPEG": "jpg", "PNG": "png", "GIF": "gif", "BMP": "bmp"}[image_format]
        return data, "%s.%s" % (stem, ext), PILImage.MIME[image_format]
    image.seek(0)
    image = ImageOps.exif_transpose(image)
    image = image.convert("RGBA") if "A" in image.getbands() else image.convert("RGB")
    if image.mode == "RGBA":
        flat = PILImage.new("RGB", image.size, (255, 255, 255))
        flat.paste(image, mask=image.getchannel("A"))
        image = flat
    if image.width > 1920:
        image = image.resize((1920, round(image.height * 1920 / image.width)))
    quality = 85
    while True:
        buffer = io.BytesIO()
        image.save(buffer, "JPEG", quality=quality, optimize=True)
        if buffer.tell() < max_bytes:
            return buffer.getvalue(), stem + ".jpg", "image/jpeg"
        if quality > 60:
            quality -= 10
        else:
            size = (max(1, round(image.width * 0.8)), max(1, round(image.height * 0.8)))
            image = image.resize(size)


# ---------------------------------------------------------------------------
# Answers and errors


def _seconds_to_midnight(now=None):
    now = (now or timezone.now()).astimezone(SHANGHAI)
    midnight = (now + timedelta(days=1)).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    return max(int((midnight - now).total_seconds()), 1)


def errcode(result):
    """The answer's ``errcode`` as an int (0 when absent)."""
    try:
        return int(result.get("errcode") or 0)
    except (TypeError, ValueError):
        return -1


def _detail(result):
    return {"errcode": result.get("errcode"), "errmsg": result.get("errmsg", "")}


TOKEN_ERRORS = frozenset({40001, 40014, 41001, 42001})

#: errcode → (error class, message). The message is a callable so that it is
#: translated when raised.
_ERRORS = {
    -1: (TransientError, lambda: _("WeChat is busy; the call will be tried again.")),
    40002: (Rejected, lambda: _("WeChat refused the grant type of the token request.")),
    40004: (Rejected, lambda: _("WeChat refused the media type of an upload.")),
    40005: (Rejected, lambda: _("WeChat refused the file type of an upload.")),
    40006: (Rejected, lambda: _("WeChat refused the size of an upload.")),
    40007: (
        Rejected,
        lambda: _(
            "WeChat no longer knows an uploaded image or draft (it may have been "
            "deleted on mp.weixin.qq.com)."
        ),
    ),
    40009: (
        Rejected,
        lambda: _("WeChat refused an image: too big or of a wrong type."),
    ),
    40012: (
        Rejected,
        lambda: _("WeChat refused the cover: too big or of a wrong type."),
    ),
    40013: (
        AuthExpired,
        lambda: _(
            "WeChat does not know the account's app_id: check it on the account's page."
        ),
    ),
    40033: (
        Rejected,
        lambda: _("WeChat refused characters in the request (\\uXXXX escapes)."),
    ),
    40164: (
        AuthExpired,
        lambda: _(
            "WeChat refused this server's address: add it to the account's IP "
            "whitelist on mp.weixin.qq.com."
        ),
    ),
    43002: (Rejected, lambda: _("WeChat expected a POST request.")),
    44002: (Rejected, lambda: _("WeChat received an empty request.")),
    44003: (Rejected, lambda: _("WeChat received an article without content.")),
    45002: (Rejected, lambda: _("The article's content is too long for WeChat.")),
    45003: (Rejected, lambda: _("The title is too long for WeChat.")),
    45004: (Rejected, lambda: _("The digest is too long for WeChat.")),
    45005: (Rejected, lambda: _("An address in the article is too long for WeChat.")),
    45008: (Rejected, lambda: _("Too many articles in one WeChat message.")),
    45110: (Rejected, lambda: _("The author is too long for WeChat.")),
    45166: (
        Rejected,
        lambda: _(
            "WeChat refused the content; it may contain links it does not allow."
        ),
    ),
    47001: (Rejected, lambda: _("WeChat could not parse the request.")),
    48001: (
        Rejected,
        lambda: _(
            "This WeChat account may not use the publishing API (48001). Since July "
            "2025 only verified accounts of organisations may: have the account "
            "verified on mp.weixin.qq.com, or send the release to another account."
        ),
    ),
    48004: (Rejected, lambda: _("WeChat has banned this API for the account.")),
    53500: (Rejected, lambda: _("WeChat has banned publishing for the account.")),
    53502: (Rejected, lambda: _("WeChat does not know the publish job.")),
    53503: (Rejected, lambda: _("The draft did not pass WeChat's publish check.")),
    53504: (
        Rejected,
        lambda: _("WeChat requires this draft to be published on mp.weixin.qq.com."),
    ),
    53505: (
        Rejected,
        lambda: _(
            "WeChat requires the draft to be saved by hand on mp.weixin.qq.com first."
        ),
    ),
    53600: (Rejected, lambda: _("WeChat does not know the article.")),
    87014: (Rejected, lambda: _("WeChat judged the content risky.")),
    88000: (Rejected, lambda: _("The article has no comment permission on WeChat.")),
}

#: publish_status of freepublish/get → reason of the rejection.
_PUBLISH_FAILURES = {
    2: lambda: _("WeChat did not publish the article: the originality claim failed."),
    3: lambda: _("WeChat did not publish the article (it gave no reason)."),
    4: lambda: _("WeChat's review rejected the article."),
    5: lambda: _("The article was published, then deleted on WeChat."),
    6: lambda: _("The article was published, then blocked by WeChat."),
}


def error_for(code, result, path):
    """The :class:`ChannelError` for a non-zero ``errcode``."""
    errmsg = str(result.get("errmsg") or "").strip()
    detail = _detail(result)
    if code == 45009:
        return RateLimited(
            _("WeChat's daily quota for this call is used up (45009)."),
            code=code,
            retry_after=_seconds_to_midnight(),
            detail=detail,
        )
    if code == 45011:
        return RateLimited(
            _("WeChat's per-minute quota is used up (45011)."),
            code=code,
            retry_after=60,
            detail=detail,
        )
    if code == 53501:
        return RateLimited(
            _("WeChat says the account publishes too often (53501)."),
            code=code,
            retry_after=300,
            detail=detail,
        )
    if code in _ERRORS:
        cls, message = _ERRORS[code]
        text = message()
    else:
        cls = Rejected
        text = _("WeChat refused the call to %(path)s.") % {"path": path}
    if errmsg and cls is not TransientError:
        text = _("%(reason)s WeChat said: “%(errmsg)s”") % {
            "reason": text,
            "errmsg": errmsg,
        }
    return cls(text, code=code, detail=detail)


def publish_outcome(result, publish_id=""):
    """Read a ``freepublish/get`` answer: an :class:`Outcome`, or ``Rejected``."""
    code = errcode(result)
    if code:
        raise error_for(code, result, "freepublish/get")
    publish_id = str(result.get("publish_id") or publish_id)
    try:
        status = int(result.get("publish_status"))
    except (TypeError, ValueError):
        raise TransientError(
            _("WeChat answered without a publishing status."), detail=result
        ) from None
    if status == 1:
        return Outcome(Outcome.PENDING, job_id=publish_id)
    if status == 0:
        items = (result.get("article_detail") or {}).get("item") or []
        url = next(
            (i.get("article_url", "") for i in items if i.get("article_url")), ""
        )
        return Outcome(
            Outcome.SENT,
            platform_id=str(result.get("article_id") or ""),
            url=url,
            job_id=publish_id,
            extra={"publish_id": publish_id},
        )
    reason = _PUBLISH_FAILURES.get(status)
    if reason is not None:
        text = reason()
    else:
        text = _("WeChat reported the unknown publishing status %(status)s.") % {
            "status": status
        }
    fail_idx = result.get("fail_idx") or []
    if fail_idx:
        text = _("%(reason)s Failed articles: %(indexes)s.") % {
            "reason": text,
            "indexes": ", ".join(str(i) for i in fail_idx),
        }
    for name in ("fail_reason", "reason"):
        if result.get(name):
            text = _("%(reason)s WeChat said: “%(errmsg)s”") % {
                "reason": text,
                "errmsg": result[name],
            }
            break
    raise Rejected(
        text,
        code="publish_status=%s" % status,
        detail={k: v for k, v in result.items() if k != "article_detail"},
    )


def _network_error(exc, *, path, creates):
    """The :class:`ChannelError` for a ``requests`` failure; never its text."""
    if isinstance(exc, requests.ConnectTimeout) or _refused(exc):
        return TransientError(
            _("WeChat could not be reached (%(error)s on %(path)s).")
            % {"error": type(exc).__name__, "path": path}
        )
    if creates and isinstance(exc, requests.ReadTimeout | requests.ConnectionError):
        return UnknownOutcome(
            _(
                "No answer from WeChat to %(path)s (%(error)s): the request may have "
                "arrived."
            )
            % {"error": type(exc).__name__, "path": path}
        )
    return TransientError(
        _("No answer from WeChat to %(path)s (%(error)s).")
        % {"error": type(exc).__name__, "path": path}
    )


def _refused(exc):
    """Whether the connection failed before any byte of the request was sent."""
    if not isinstance(exc, requests.ConnectionError):
        return False
    reason = exc.args[0] if exc.args else None
    reason = getattr(reason, "reason", reason)
    return isinstance(reason, NewConnectionError | NameResolutionError)


def _record_value(record, name):
    """``name`` from a delivery (its fields, then its progress) or a dict."""
    if isinstance(record, dict):
        return record.get(name) or (record.get("progress") or {}).get(name) or ""
    value = getattr(record, name, "") or ""
    if not value and name == "article_id":
        value = getattr(record, "platform_id", "") or ""
    if not value:
        value = (getattr(record, "progress", None) or {}).get(name, "")
    return str(value or "")


# ---------------------------------------------------------------------------
# The adapter


class WechatAdapter(Adapter):
    """Free publishing (发布) to a WeChat official account."""

    platform = PLATFORM
    supports_update = False
    supports_withdraw = True
    #: Cover, draft, submit, one poll; plus one upload per body image.
    calls_per_publish = 4
    #: Days after sending during which ``fetch_messages`` reads an article's
    #: comments.
    comment_days = 30

    def __init__(self, account, **kwargs):
        super().__init__(account, **kwargs)
        #: Checkpoints of earlier attempts at this delivery, set by the engine.
        self.progress = {}
        self._token = None

    # Rendering -------------------------------------------------------------

    @classmethod
    def render(cls, revision, account):
        """Return the draft/add body for ``account``; no network, no writes.

        ``content`` is ``{"articles": [article]}`` with ``thumb_media_id``
        empty, ``src="rongmei-image:<image id>"`` and ``rongmei-remote:<n>``
        placeholders for images, and ``content_source_url`` without the
        delivery key: ``publish`` fills them in. An account's text override
        becomes the digest.
        """
        release = release_of(revision)
        problems = []
        title = release_title(release, account)
        author = normalise_text(release.author)
        digest = normalise_text(text_override(release, account) or release.digest)
        if not digest:
            digest = shorten(release_text(release), DERIVED_DIGEST_LENGTH)
        content, remote_images = article_html(release, problems)
        link = public_link(release)

        assets = []
        if release.cover_image is not None:
            assets.append(image_asset(release.cover_image, "cover"))
        for image in body_images(release):
            assets.append(
                image_asset(
                    image,
                    "body_image",
                    placeholder="%s%d" % (IMAGE_PLACEHOLDER, image.pk),
                )
            )
        for n, url in enumerate(remote_images, start=1):
            assets.append(
                {
                    "role": "remote_image",
                    "url": url,
                    "placeholder": "%s%d" % (REMOTE_PLACEHOLDER, n),
                    "name": os.path.basename(urlsplit(url).path) or "image",
                }
            )

        problems.extend(cls.check_limits(title, author, digest, content, assets))
        if release.cover_image is None:
            problems.append(
                problem(
                    "cover_missing",
                    _("WeChat needs a cover image: choose one for the release."),
                )
            )
        article = {
            "title": title,
            "author": author,
            "digest": digest,
            "content": content,
            "content_source_url": link,
            "thumb_media_id": "",
            "need_open_comment": 1,
            "only_fans_can_comment": 0,
        }
        return Payload(
            platform=PLATFORM,
            account_id=account.pk,
            title=title,
            content={"articles": [article]},
            assets=assets,
            link=link,
            problems=problems,
            limits=dict(LIMITS),
        )

    @staticmethod
    def check_limits(title, author, digest, content, assets):
        """Problems of the fields WeChat limits; nothing is ever cut."""
        problems = []
        if not title:
            problems.append(problem("title_missing", _("The title is empty.")))
        fields = (
            ("title", title, _("title")),
            ("author", author, _("author")),
            ("digest", digest, _("digest")),
        )
        for name, value, label in fields:
            if len(value) > LIMITS[name]:
                problems.append(
                    problem(
                        "%s_too_long" % name,
                        _(
                            "The %(field)s has %(length)d characters; WeChat allows "
                            "%(limit)d."
                        )
                        % {"field": label, "length": len(value), "limit": LIMITS[name]},
                        field=name,
                    )
                )
        images = sum(1 for a in assets if a["role"] in ("body_image", "remote_image"))
        length = len(content) + images * IMAGE_URL_ALLOWANCE
        if (
            not normalise_text(BeautifulSoup(content, "html.parser").get_text())
            and not images
        ):
            problems.append(problem("content_missing", _("The body is empty.")))
        if length >= LIMITS["content_chars"]:
            problems.append(
                problem(
                    "content_too_long",
                    _(
                        "The body comes to about %(length)d characters of HTML; "
                        "WeChat needs fewer than %(limit)d."
                    )
                    % {"length": length, "limit": LIMITS["content_chars"]},
                    field="content",
                )
            )
        size = len(content.encode("utf-8")) + images * IMAGE_URL_ALLOWANCE
        if size >= LIMITS["content_bytes"]:
            problems.append(
                problem(
                    "content_too_large",
                    _(
                        "The body comes to about %(size)d bytes; WeChat needs "
                        "fewer than %(limit)d."
                    )
                    % {"size": size, "limit": LIMITS["content_bytes"]},
                    field="content",
                )
            )
        return problems

    # Sending ---------------------------------------------------------------

    def publish(self, payload):
        """Upload, make the draft and submit it; return the pending job."""
        if payload.blocking_problems:
            raise Rejected(
                _("The release cannot be sent to WeChat: %(problems)s")
                % {
                    "problems": " ".join(
                        p["message"] for p in payload.blocking_problems
                    )
                },
                code="render",
            )
        self.progress = dict(self.progress or {})
        if self.progress.get("publish_id"):
            return self._pending()
        draft_media_id = self.progress.get("draft_media_id")
        if not draft_media_id:
            article = self.article_to_send(payload)
            result = self._call("draft/add", {"articles": [article]}, creates=True)
            draft_media_id = self._required(
                result, "media_id", "draft/add", creates=True
            )
            self._step("draft_media_id", draft_media_id)
        result = self._call(
            "freepublish/submit", {"media_id": draft_media_id}, creates=True
        )
        publish_id = self._required(
            result, "publish_id", "freepublish/submit", creates=True
        )
        self._step("publish_id", publish_id)
        if result.get("msg_data_id"):
            self._step("msg_data_id", str(result["msg_data_id"]))
        return self._pending()

    def article_to_send(self, payload):
        """The rendered article with its uploads done and the key in its link."""
        article = dict(payload.content["articles"][0])
        uploaded = dict(self.progress.get("body_images") or {})
        addresses = {}
        for asset in payload.assets:
            if asset["role"] == "body_image":
                ref = str(asset["image_id"])
            elif asset["role"] == "remote_image":
                ref = asset["url"]
            else:
                continue
            if ref not in uploaded:
                data, name = self._asset_bytes(asset)
                data, name, content_type = fit_image(
                    data, name, max_bytes=BODY_IMAGE_BYTES
                )
                result = self._call(
                    "media/uploadimg", files={"media": (name, data, content_type)}
                )
                uploaded[ref] = self._required(result, "url", "media/uploadimg")
                self._step("body_images", dict(uploaded))
            addresses[asset["placeholder"]] = uploaded[ref]
        try:
            article["content"] = replace_placeholders(article["content"], addresses)
        except KeyError as e:
            raise Rejected(
                _("The payload has an image placeholder without an image (%(ref)s).")
                % {"ref": e.args[0]},
                code="render",
            ) from None
        article["thumb_media_id"] = self._cover_media_id(payload)
        if payload.key and article.get("content_source_url"):
            article["content_source_url"] = with_key(
                article["content_source_url"], payload.key
            )
        return article

    def _cover_media_id(self, payload):
        if self.progress.get("cover_media_id"):
            return self.progress["cover_media_id"]
        cover = next((a for a in payload.assets if a["role"] == "cover"), None)
        if cover is None:
            raise Rejected(
                _("WeChat needs a cover image: choose one for the release."),
                code="render",
            )
        data, name = self._asset_bytes(cover)
        data, name, content_type = fit_image(
            data,
            name,
            max_bytes=COVER_IMAGE_BYTES,
            formats=("JPEG", "PNG", "GIF", "BMP"),
        )
        result = self._call(
            "material/add_material",
            params={"type": "image"},
            files={"media": (name, data, content_type)},
        )
        media_id = self._required(result, "media_id", "material/add_material")
        self._step("cover_media_id", media_id)
        return media_id

    def _asset_bytes(self, asset):
        """The file of an image asset: from storage, or fetched for re-hosting."""
        if asset.get("image_id") is not None:
            image = get_image_model().objects.filter(pk=asset["image_id"]).first()
            if image is None:
                raise Rejected(
                    _("Image %(id)s of the release no longer exists.")
                    % {"id": asset["image_id"]},
                    code="render",
                )
            with image.file.open("rb") as f:
                return f.read(), asset.get("name") or os.path.basename(image.file.name)
        return self._download(asset["url"]), asset.get("name") or "image"

    def _download(self, url):
        try:
            response = self.session.get(url, timeout=self.timeout, stream=True)
        except requests.RequestException as e:
            raise TransientError(
                _("The image %(url)s could not be fetched (%(error)s).")
                % {"url": url, "error": type(e).__name__}
            ) from None
        with response:
            if response.status_code != 200:
                cls = TransientError if response.status_code >= 500 else Rejected
                raise cls(
                    _("The image %(url)s could not be fetched (HTTP %(status)s).")
                    % {"url": url, "status": response.status_code}
                )
            data = io.BytesIO()
            for chunk in response.iter_content(64 * 1024):
                data.write(chunk)
                if data.tell() > REMOTE_IMAGE_BYTES:
                    raise Rejected(
                        _("The image %(url)s is too large to re-host.") % {"url": url}
                    )
        return data.getvalue()

    def poll(self, outcome):
        """Ask ``freepublish/get`` about the job."""
        if outcome.is_sent:
            return outcome
        result = self._call("freepublish/get", {"publish_id": outcome.job_id})
        found = publish_outcome(result, outcome.job_id)
        found.extra = {**self._extra(), **found.extra}
        return found

    def find(self, payload, progress):
        """Look for the delivery's article or draft (module docstring)."""
        self.progress = dict(progress or {})
        if self.progress.get("publish_id"):
            return self.poll(self._pending())
        key = payload.key
        published = self._scan_published(key) if key else None
        if published is not None:
            return published
        draft_media_id = self.progress.get("draft_media_id")
        if draft_media_id:
            if self._draft_exists(draft_media_id):
                return None
            raise UnknownOutcome(
                _(
                    "The draft was submitted but its article is not published yet, "
                    "and the publish job is unknown: ask again later."
                )
            )
        draft_media_id = self._scan_drafts(key) if key else None
        if draft_media_id:
            self._step("draft_media_id", draft_media_id)
        return None

    def _scan_published(self, key):
        for item in self._scan("freepublish/batchget"):
            for article in (item.get("content") or {}).get("news_item") or []:
                if link_carries_key(article.get("content_source_url"), key):
                    return Outcome(
                        Outcome.SENT,
                        platform_id=str(item.get("article_id") or ""),
                        url=article.get("url", ""),
                        extra=self._extra(),
                    )
        return None

    def _scan_drafts(self, key):
        for item in self._scan("draft/batchget"):
            for article in (item.get("content") or {}).get("news_item") or []:
                if link_carries_key(article.get("content_source_url"), key):
                    return str(item.get("media_id") or "")
        return None

    def _scan(self, path):
        for page in range(SCAN_PAGES):
            result = self._call(
                path, {"offset": page * 20, "count": 20, "no_content": 1}
            )
            items = result.get("item") or []
            yield from items
            total = int(result.get("total_count") or 0)
            if len(items) < 20 or (page + 1) * 20 >= total:
                return

    def _draft_exists(self, media_id):
        try:
            self._call("draft/get", {"media_id": media_id})
        except Rejected as e:
            if e.code == "40007":
                return False
            raise
        return True

    def withdraw(self, record):
        """Delete the published article (``freepublish/delete``, all its items)."""
        article_id = _record_value(record, "article_id")
        if not article_id:
            raise Rejected(_("The delivery has no WeChat article to delete."))
        self._call(
            "freepublish/delete", {"article_id": article_id, "index": 0}, creates=True
        )

    # Interaction -----------------------------------------------------------

    def fetch_messages(self, since):
        """Comments (§1.11) on the account's articles sent in ``comment_days``.

        Comments are keyed by the ``msg_data_id`` that ``freepublish/submit``
        returned (checkpointed in each delivery's progress), article index 0.
        Articles whose comments are closed or that were deleted are skipped.
        """
        messages = []
        for delivery in self._commented_deliveries(since):
            msg_data_id = str(delivery.progress["msg_data_id"])
            try:
                messages.extend(
                    self._comments(msg_data_id, delivery.platform_id, since)
                )
            except Rejected as e:
                # Comments closed (88000) or the article deleted (88001) on
                # WeChat: nothing to read there, the others still count.
                if e.code not in ("88000", "88001"):
                    raise
        messages.sort(key=lambda m: m.created_at)
        return messages

    def _commented_deliveries(self, since):
        from ..models import Delivery

        horizon = timezone.now() - timedelta(days=self.comment_days)
        if since is not None:
            horizon = min(horizon, since)
        return [
            d
            for d in Delivery.objects.filter(
                account_id=self.account.pk,
                status=Delivery.Status.SENT,
                sent_at__gte=horizon,
            ).order_by("sent_at")
            if (d.progress or {}).get("msg_data_id")
        ]

    def _comments(self, msg_data_id, article_id, since, index=0):
        begin = 0
        while True:
            result = self._call(
                "comment/list",
                {
                    "msg_data_id": msg_data_id,
                    "index": index,
                    "begin": begin,
                    "count": COMMENT_PAGE,
                    "type": 0,
                },
            )
            comments = result.get("comment") or []
            for comment in comments:
                message = self.comment_message(comment, msg_data_id, index, article_id)
                if since is None or message.created_at > since:
                    yield message
            if len(comments) < COMMENT_PAGE:
                return
            begin += len(comments)

    @staticmethod
    def comment_message(comment, msg_data_id, index=0, article_id=""):
        """A :class:`Message` from one item of ``comment/list``."""
        comment_id = str(comment.get("user_comment_id", ""))
        return Message(
            platform_id="%s:%s:%s" % (msg_data_id, index, comment_id),
            text=str(comment.get("content") or ""),
            author=str(comment.get("openid") or ""),
            created_at=datetime.fromtimestamp(
                int(comment.get("create_time") or 0), UTC
            ),
            post_id=str(article_id or ""),
            extra={
                "msg_data_id": str(msg_data_id),
                "index": index,
                "user_comment_id": comment_id,
                "elected": bool(comment.get("comment_type")),
                "reply": comment.get("reply") or None,
            },
        )

    def reply(self, message, text):
        """Answer a comment (``comment/reply/add``)."""
        extra = message.extra or {}
        if extra.get("msg_data_id"):
            msg_data_id, index, comment_id = (
                extra["msg_data_id"],
                extra.get("index", 0),
                extra["user_comment_id"],
            )
        else:
            msg_data_id, index, comment_id = message.platform_id.split(":")
        self._call(
            "comment/reply/add",
            {
                "msg_data_id": msg_data_id,
                "index": int(index),
                "user_comment_id": comment_id,
                "content": text,
            },
            creates=True,
        )

    def fetch_metrics(self, record):
        """Return {}: the reference has no statistics API for free-published
        articles (the datacube APIs cover mass-sent messages and are not in
        it). Comment counts come from ``fetch_messages``."""
        return {}

    # Calls -----------------------------------------------------------------

    def _step(self, name, value):
        self.progress[name] = value
        self.checkpoint(name, value)

    def _extra(self):
        return {
            k: self.progress[k]
            for k in ("draft_media_id", "publish_id", "msg_data_id", "cover_media_id")
            if self.progress.get(k)
        }

    def _pending(self):
        return Outcome(
            Outcome.PENDING,
            job_id=str(self.progress["publish_id"]),
            extra=self._extra(),
        )

    @staticmethod
    def _required(result, name, path, *, creates=False):
        value = result.get(name)
        if value in (None, ""):
            cls = UnknownOutcome if creates else TransientError
            raise cls(
                _("WeChat's answer to %(path)s has no %(field)s.")
                % {"path": path, "field": name},
                detail=_detail(result),
            )
        return str(value)

    @property
    def token_timeout(self):
        """The token call's timeout: short, as workers wait for it (tokens)."""
        connect, read = (
            self.timeout
            if isinstance(self.timeout, tuple | list)
            else (self.timeout,) * 2
        )
        return connect, min(read, 10)

    def _access_token(self):
        if self._token is None or not self._token.is_usable():
            self._token = tokens.current(self.account, TOKEN_NAME) or tokens.refresh(
                self.account, TOKEN_NAME, seen_generation=None, fetch=self._fetch_token
            )
        return self._token

    def _fetch_token(self):
        """Ask WeChat for a new access token (``channels.tokens`` calls this)."""
        try:
            credentials = self.credentials()
        except CredentialsError:
            raise AuthExpired(
                _(
                    "The account's credentials cannot be read with the configured "
                    "key: enter them again on the account's page."
                )
            ) from None
        app_id = credentials.get("app_id")
        secret = credentials.get("app_secret")
        if not app_id or not secret:
            raise AuthExpired(
                _(
                    "The account has no app_id or app_secret: enter them on the "
                    "account's page."
                )
            )
        result = self._send(
            "GET",
            "token",
            params={
                "grant_type": "client_credential",
                "appid": app_id,
                "secret": secret,
            },
            timeout=self.token_timeout,
        )
        code = errcode(result)
        if code == 40001:
            raise AuthExpired(
                _(
                    "WeChat refused the account's app_secret (40001): check it on the "
                    "account's page, and that this server is on the IP whitelist."
                ),
                code=code,
                detail=_detail(result),
            )
        if code:
            raise error_for(code, result, "token")
        value = self._required(result, "access_token", "token")
        return value, int(result.get("expires_in") or 7200), {}

    def _call(self, path, body=None, *, params=None, files=None, creates=False):
        """POST to ``cgi-bin/<path>`` with the access token; return the answer.

        A refused token is refreshed once (only if nobody else already did)
        and the call repeated once.
        """
        token = self._access_token()
        result = self._send(
            "POST", path, token.value, body=body, params=params, files=files,
            creates=creates,
        )  # fmt: skip
        code = errcode(result)
        if code in TOKEN_ERRORS:
            self._token = tokens.refresh(
                self.account,
                TOKEN_NAME,
                seen_generation=token.generation,
                fetch=self._fetch_token,
            )
            result = self._send(
                "POST", path, self._token.value, body=body, params=params,
                files=files, creates=creates,
            )  # fmt: skip
            code = errcode(result)
            if code in TOKEN_ERRORS:
                raise AuthExpired(
                    _(
                        "WeChat refused the account's access token again after a "
                        "refresh (%(code)s). Check the app_secret on the account's "
                        "page, and that this server's address is on the account's "
                        "IP whitelist (40164) on mp.weixin.qq.com."
                    )
                    % {"code": code},
                    code=code,
                    detail=_detail(result),
                )
        if code:
            raise error_for(code, result, path)
        return result

    def _send(self, method, path, access_token=None, *, body=None, params=None,
              files=None, creates=False, timeout=None):  # fmt: skip
        """One HTTP request; the answer as a dict, or a ChannelError."""
        query = dict(params or {})
        if access_token is not None:
            query["access_token"] = access_token
        headers = {}
        data = None
        if body is not None:
            data = json.dumps(body, ensure_ascii=False).encode("utf-8")
            headers["Content-Type"] = JSON_CONTENT_TYPE
        try:
            response = self.session.request(
                method,
                "%s/cgi-bin/%s" % (self.base_url, path),
                params=query,
                data=data,
                files=files,
                headers=headers,
                timeout=timeout or self.timeout,
            )
        except requests.RequestException as e:
            # ``from None``: the exception's text holds the address, and with
            # it the token or the secret.
            raise _network_error(e, path=path, creates=creates) from None
        return self._answer(response, path, creates)

    @staticmethod
    def _answer(response, path, creates):
        status = response.status_code
        if status == 429:
            try:
                retry_after = int(response.headers.get("Retry-After", 60))
            except ValueError:
                retry_after = 60
            raise RateLimited(
                _("WeChat asked to slow down (HTTP 429)."), retry_after=retry_after
            )
        if status >= 500:
            cls = (
                UnknownOutcome
                if creates and status in (500, 502, 504)
                else TransientError
            )
            raise cls(
                _("WeChat answered %(path)s with HTTP %(status)s.")
                % {"path": path, "status": status}
            )
        if status >= 400:
            raise Rejected(
                _(
                    "WeChat answered %(path)s with HTTP %(status)s: check the "
                    "account's API address."
                )
                % {"path": path, "status": status},
                code="http_%s" % status,
            )
        try:
            result = json.loads(response.content.decode("utf-8"))
        except ValueError:
            result = None
        if not isinstance(result, dict):
            cls = UnknownOutcome if creates else TransientError
            raise cls(
                _("WeChat's answer to %(path)s could not be read.") % {"path": path}
            )
        return result


ADAPTER = WechatAdapter
