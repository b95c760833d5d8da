"""Weibo (新浪微博): the release as a status with its link (``statuses/share``).

Credentials: ``access_token`` (sent as ``Authorization: OAuth2 <token>``, never
in a URL). Weibo gives ordinary apps no refresh token: an expired token needs
the account authorised again.

The status is ``【title】text link``: the title and text overrides of the
release's target row for this account when set, else the release's title and
digest (or its first paragraph). The first image (the cover, else the first
image of the body) goes along as the multipart ``pic``; ``rip`` is the
server's outward address, ``settings.RONGMEI_WEIBO_RIP``.

Length, as Weibo counts it (reference §2.3, §6). Weibo's limit is "140 Chinese
characters"; how it counts anything else is not documented. Weibo's own web
editor counted two half-width (Latin-1) characters as one, but no source
confirms the API does [uncertain], so here every character counts one, ASCII
included, and one outside the Basic Multilingual Plane (most emoji) two, as in
UTF-16: a status that fits this count fits Weibo's whichever way it counts.
(:data:`HALF_WIDTH_COUNTS_HALF` switches to the editor's rule.) Weibo shortens
links to t.cn addresses that count less, but no source says how much, so a
link counts in full. The text is cut with "…" to fit; the link never is. A "#"
in the text becomes a full-width "＃", since ``statuses/share`` refuses
``#topics#``.

The delivery key. ``render`` cannot know it (the engine sets ``payload.key``
afterwards), so it leaves room for it, and ``publish`` sends the link with
``rm=<first 12 hex digits of the key>`` added (:func:`status_for`). ``find``
reads the account's recent statuses (``statuses/user_timeline.json``) and takes
the one whose text, or whose link objects, carry that mark. Real Weibo shows
links as t.cn addresses in ``text``, so a status whose text begins with the
same title and text also counts: Weibo refuses the same text twice in a row
(20019), so no second post with that text can follow it.

Calls per publish: one (``statuses/share.json``). A repeated-content refusal
costs one more (the timeline, to see whether the first attempt arrived).

Error codes (the v2 table, reference §2.6) and what they become:

======================================  ==============================
code                                    kind
======================================  ==============================
10022, 10023, 10024 (rate limits)       rate_limited (an hour)
20016 (posting too often)               rate_limited (10 minutes)
21301, 21314–21317, 21319, 21327,       auth_expired
21332 (token expired / revoked)
20017, 20019, 20111 (repeated text)     the timeline is read: found →
                                        sent, else rejected
20012, 20013 (too long), 20008 (empty)  rejected
20018, 20020, 20021 (illegal link,      rejected
advertising, illegal content)
20005, 20006, 20007 (picture)           rejected
20031 (needs a captcha)                 rejected
10017 (bad value, domain not bound),    rejected
10016 (missing parameter), 10004,
10005, 10006, 10008, 10012–10014,
10018, 10020, 10021, 20003, 20015,
20022, 20102, 21321, 21335
10001, 10002, 10003, 10009 (busy)       transient
20032 (posted, server slow)             unknown_outcome
20101 (status gone)                     rejected (withdraw: done)
any other code                          rejected, Weibo's message
HTTP 429                                rate_limited (Retry-After)
HTTP 5xx without a code; 502/504 on a   transient; unknown_outcome
post or a reply
======================================  ==============================
"""

import io
import re
from datetime import datetime, timedelta
from datetime import timezone as dt_timezone

import requests
from django.conf import settings
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from PIL import Image as PILImage
from wagtail.images import get_image_model

from ..render import (
    block_text,
    body_blocks,
    image_asset,
    link_carries_key,
    normalise_text,
    problem,
    public_link,
    release_of,
    release_title,
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
    transport_error,
)

#: Weibo's limit on a status, in its own count (:func:`weibo_length`).
STATUS_LIMIT = 140
#: Whether a half-width (Latin-1) character counts a half, as Weibo's web
#: editor counted. Unconfirmed for the API (see above), so off.
HALF_WIDTH_COUNTS_HALF = False
#: Comments and replies have the same limit.
COMMENT_LIMIT = 140
#: ``pic``: JPEG, GIF or PNG under 5 MB.
PIC_MAX_BYTES = 5 * 1024 * 1024
PIC_FORMATS = {"JPEG": "image/jpeg", "GIF": "image/gif", "PNG": "image/png"}
#: Recent statuses read by ``find`` and ``fetch_messages``.
TIMELINE_COUNT = 50
ELLIPSIS = "…"
#: A delivery key, for measuring the link that will carry one.
SAMPLE_KEY = "0" * 32

_RATE_LIMITED = (RateLimited, _("Weibo's hourly limit for this account was reached."))
_AUTH = (AuthExpired, _("The Weibo authorisation has expired or was revoked."))
_REPEATED = (Rejected, _("Weibo refuses the same text twice."))
_BUSY = (TransientError, _("Weibo is busy."))
_REQUEST = (Rejected, _("Weibo refused the request: %(error)s"))

#: Weibo's error codes: the error class and the reason in plain words.
ERRORS = {
    10022: (RateLimited, _("Weibo's hourly limit for this server was reached.")),
    10023: _RATE_LIMITED,
    10024: _RATE_LIMITED,
    20016: (RateLimited, _("Weibo says the account is posting too often.")),
    21301: _AUTH,
    21314: _AUTH,
    21315: _AUTH,
    21316: _AUTH,
    21317: _AUTH,
    21319: _AUTH,
    21327: _AUTH,
    21332: _AUTH,
    20017: _REPEATED,
    20019: _REPEATED,
    20111: _REPEATED,
    20012: (Rejected, _("The text is longer than Weibo allows.")),
    20013: (Rejected, _("The text is longer than Weibo allows.")),
    20008: (Rejected, _("The text is empty.")),
    20018: (Rejected, _("Weibo refuses a link in the text.")),
    20020: (Rejected, _("Weibo takes the text for advertising.")),
    20021: (Rejected, _("Weibo found the content not allowed.")),
    20005: (Rejected, _("Weibo refuses the picture.")),
    20006: (Rejected, _("Weibo refuses the picture.")),
    20007: (Rejected, _("Weibo refuses the picture.")),
    20031: (Rejected, _("Weibo asks for a captcha: post this one by hand.")),
    10017: (
        Rejected,
        _(
            "Weibo refused a value: %(error)s (is the site's domain bound to the "
            "Weibo app as a safe domain?)"
        ),
    ),
    10016: _REQUEST,
    10004: _REQUEST,
    10005: _REQUEST,
    10006: _REQUEST,
    10008: _REQUEST,
    10012: _REQUEST,
    10013: _REQUEST,
    10014: _REQUEST,
    10018: _REQUEST,
    10020: _REQUEST,
    10021: _REQUEST,
    20003: _REQUEST,
    20015: _REQUEST,
    20022: _REQUEST,
    20102: _REQUEST,
    21321: _REQUEST,
    21335: _REQUEST,
    10001: _BUSY,
    10002: _BUSY,
    10003: _BUSY,
    10009: _BUSY,
    20032: (UnknownOutcome, _("Weibo accepted the post but has not shown it yet.")),
    20101: (Rejected, _("The status no longer exists on Weibo.")),
}
REPEAT_CODES = {"20017", "20019", "20111"}
GONE_CODE = "20101"
#: Seconds to wait after a rate limit when Weibo sends no Retry-After.
RETRY_AFTER = {"20016": 600}
RETRY_AFTER_DEFAULT = 3600


# ---------------------------------------------------------------------------
# Length and text


def _units(text):
    """Half-character units: a character two, beyond the BMP four, and Latin-1
    one when :data:`HALF_WIDTH_COUNTS_HALF`."""
    half = 1 if HALF_WIDTH_COUNTS_HALF else 2
    units = 0
    for char in text:
        code = ord(char)
        units += half if code <= 0xFF else 2 if code <= 0xFFFF else 4
    return units


def weibo_length(text):
    """Return the length of ``text`` as Weibo counts it (see the module docstring)."""
    return (_units(text) + 1) // 2


def cut(text, units):
    """Return ``text`` cut to at most ``units`` half-characters, "…" included."""
    if _units(text) <= units:
        return text
    budget = units - _units(ELLIPSIS)
    kept, used = [], 0
    for char in text:
        size = _units(char)
        if used + size > budget:
            break
        kept.append(char)
        used += size
    return "".join(kept).rstrip() + ELLIPSIS if budget >= 0 else ""


def _single_line(text):
    return " ".join(normalise_text(text).split())


def compose_status(title, text, link):
    """Return ``(status, problems)``: ``【title】text link`` within the limit.

    Room is left for the delivery key's mark in the link. The text is cut
    first; the title only when the title and the link alone are too long.
    """
    title = _single_line(title).replace("#", "＃")
    text = _single_line(text).replace("#", "＃")
    tail = " " + with_key(link, SAMPLE_KEY) if link else ""
    limit = STATUS_LIMIT * 2
    problems = []
    head_units = _units("【】") + _units(title)
    room = limit - head_units - _units(tail)
    if room < 0:
        title = cut(title, limit - _units("【】") - _units(tail))
        problems.append(
            problem(
                "title_shortened",
                gettext("The title was shortened to fit Weibo's limit."),
                blocking=False,
            )
        )
        room = 0
    if text and _units(text) > room:
        text = cut(text, room)
        problems.append(
            problem(
                "text_shortened",
                gettext("The text was shortened to fit Weibo's %(limit)s characters.")
                % {"limit": STATUS_LIMIT},
                blocking=False,
            )
        )
    head = "【%s】" % title if title else ""
    status = head + text
    if link:
        status += " " + link
    return status, problems


def status_for(payload):
    """The status text ``publish`` sends: the link carries the delivery key."""
    return _keyed_status(
        payload.content["status"], payload.content.get("link", ""), payload.key
    )


def _keyed_status(status, link, key):
    if not link or not key:
        return status
    head, sep, rest = status.rpartition(link)
    if not sep:
        return status
    return head + with_key(link, key) + rest


def _first_paragraph(release):
    for block_type, value in body_blocks(release):
        if block_type == "paragraph":
            text = block_text(block_type, value)
            if text:
                return text
    return ""


def first_image(release):
    """The cover image, else the first image of the body, else None."""
    if release.cover_image_id:
        return release.cover_image
    for block_type, value in body_blocks(release):
        if block_type == "image" and value.get("image"):
            return value["image"]
    return None


def picture_bytes(data, name, limit=PIC_MAX_BYTES):
    """Return ``(name, bytes, content_type)`` Weibo accepts for an image file.

    JPEG, GIF and PNG under ``limit`` go as they are; anything else is
    converted to JPEG, made smaller until it fits.
    """
    with PILImage.open(io.BytesIO(data)) as image:
        kind = PIC_FORMATS.get(image.format or "")
        if kind and len(data) < limit:
            return name, data, kind
        picture = image.convert("RGB")
    stem = name.rsplit(".", 1)[0] or "picture"
    quality = 90
    while True:
        buffer = io.BytesIO()
        picture.save(buffer, "JPEG", quality=quality, optimize=True)
        if buffer.tell() < limit:
            return stem + ".jpg", buffer.getvalue(), "image/jpeg"
        if quality > 60:
            quality -= 10
        else:
            width, height = picture.size
            picture = picture.resize((max(1, width * 3 // 4), max(1, height * 3 // 4)))


_MONTHS = {
    name: number
    for number, name in enumerate(
        "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split(), 1
    )
}
_CREATED_AT = re.compile(
    r"^\w{3} (\w{3}) (\d{1,2}) (\d\d):(\d\d):(\d\d) ([+-])(\d\d)(\d\d) (\d{4})$"
)


def parse_created_at(value):
    """Parse Weibo's ``created_at`` ("Wed Oct 24 23:49:17 +0800 2012")."""
    match = _CREATED_AT.match((value or "").strip())
    if not match or match.group(1) not in _MONTHS:
        return None
    month, day, hour, minute, second, sign, tz_h, tz_m, year = match.groups()
    offset = timedelta(hours=int(tz_h), minutes=int(tz_m))
    if sign == "-":
        offset = -offset
    return datetime(
        int(year),
        _MONTHS[month],
        int(day),
        int(hour),
        int(minute),
        int(second),
        tzinfo=dt_timezone(offset),
    )


def _status_links(status):
    """Every address a status object shows: its text and its link objects."""
    yield status.get("text", "")
    for name in ("url_struct", "url_objects"):
        for item in status.get(name) or ():
            if isinstance(item, dict):
                for key in ("ori_url", "url_ori", "long_url", "url_long", "url"):
                    if isinstance(item.get(key), str):
                        yield item[key]


def matches(status, payload, *, by_text=True):
    """Whether the status object ``status`` is the post of ``payload``: its link
    carries the delivery key, or (``by_text``) its text begins with the same
    title and text."""
    if any(link_carries_key(text, payload.key) for text in _status_links(status)):
        return True
    if not by_text:
        return False
    head = payload.content["status"]
    link = payload.content.get("link", "")
    if link:
        head = head.rpartition(link)[0]
    head = head.strip()
    return bool(head) and status.get("text", "").strip().startswith(head)


# ---------------------------------------------------------------------------
# The adapter


class WeiboAdapter(Adapter):
    platform = "weibo"
    supports_withdraw = True
    calls_per_publish = 1

    # Rendering -------------------------------------------------------------

    @classmethod
    def render(cls, revision, account):
        release = release_of(revision)
        title = release_title(release, account)
        text = (
            text_override(release, account)
            or release.digest
            or _first_paragraph(release)
        )
        link = public_link(release)
        status, problems = compose_status(title, text, link)
        image = first_image(release)
        return Payload(
            platform=cls.platform,
            account_id=account.pk,
            title=title,
            content={"status": status, "link": link},
            assets=[image_asset(image, "pic")] if image else [],
            link=link,
            problems=problems,
            limits={
                "status": {
                    "limit": STATUS_LIMIT,
                    "length": weibo_length(_keyed_status(status, link, SAMPLE_KEY)),
                },
                "pic_bytes": PIC_MAX_BYTES,
            },
        )

    # Sending ---------------------------------------------------------------

    def publish(self, payload):
        if payload.blocking_problems:
            raise Rejected(
                "；".join(str(p["message"]) for p in payload.blocking_problems)
            )
        data = {"status": status_for(payload), "rip": self.rip()}
        files = self._pic(payload)
        try:
            status = self._call(
                "POST", "statuses/share.json", data=data, files=files, creates=True
            )
        except Rejected as e:
            # Weibo refuses a text it already has: ours, if an earlier
            # attempt arrived after all.
            if e.code in REPEAT_CODES:
                found = self._look_up(payload, by_text=False)
                if found is not None:
                    return found
            raise
        return self._outcome(status)

    def find(self, payload, progress):
        """Look for the post among the account's recent statuses."""
        return self._look_up(payload, by_text=True)

    def _look_up(self, payload, *, by_text):
        for status in self._timeline():
            if matches(status, payload, by_text=by_text):
                return self._outcome(status)
        return None

    def _timeline(self):
        answer = self._call(
            "GET", "statuses/user_timeline.json", params={"count": TIMELINE_COUNT}
        )
        return [s for s in answer.get("statuses") or () if isinstance(s, dict)]

    def withdraw(self, record):
        """Delete the status (``statuses/destroy``); one already gone is done,
        so deleting again after a lost answer is safe."""
        try:
            self._call("POST", "statuses/destroy.json", data={"id": record.platform_id})
        except Rejected as e:
            if e.code != GONE_CODE:
                raise

    # Interaction -----------------------------------------------------------

    def fetch_messages(self, since):
        """Comments on the recent statuses that have any, newer than ``since``."""
        messages = []
        for status in self._timeline():
            if not status.get("comments_count", 1):
                continue
            post_id = str(status.get("idstr") or status.get("id"))
            answer = self._call(
                "GET", "comments/show.json", params={"id": post_id, "count": 200}
            )
            for comment in answer.get("comments") or ():
                message = self._message(comment, post_id)
                if since is None or message.created_at is None:
                    messages.append(message)
                elif message.created_at > since:
                    messages.append(message)
        return messages

    def reply(self, message, text):
        """Answer a comment (``comments/reply``); return the reply."""
        if weibo_length(text) > COMMENT_LIMIT:
            raise Rejected(
                gettext("A reply on Weibo may be %(limit)s characters at most.")
                % {"limit": COMMENT_LIMIT}
            )
        comment = self._call(
            "POST",
            "comments/reply.json",
            data={
                "cid": message.platform_id,
                "id": message.post_id,
                "comment": text,
                "without_mention": 0,
                "rip": self.rip(),
            },
            creates=True,
        )
        return self._message(comment, message.post_id)

    def fetch_metrics(self, record):
        """Reposts, comments and likes of the status, read from the account's
        recent statuses; {} once it has left them (the reference documents no
        call that reads one status's counts)."""
        for status in self._timeline():
            if str(status.get("idstr") or status.get("id")) == str(record.platform_id):
                return {
                    "reposts": status.get("reposts_count", 0),
                    "comments": status.get("comments_count", 0),
                    "likes": status.get("attitudes_count", 0),
                }
        return {}

    # Helpers ---------------------------------------------------------------

    @staticmethod
    def rip():
        """The server's outward address, which Weibo requires on every post."""
        return getattr(settings, "RONGMEI_WEIBO_RIP", "127.0.0.1")

    def _pic(self, payload):
        assets = [a for a in payload.assets if a.get("role") == "pic"]
        if not assets:
            return None
        asset = assets[0]
        image = get_image_model().objects.filter(pk=asset["image_id"]).first()
        if image is None:
            raise Rejected(
                gettext("The image %(name)s no longer exists.")
                % {"name": asset["name"]}
            )
        with image.open_file() as handle:
            data = handle.read()
        return {"pic": picture_bytes(data, asset["name"])}

    def _outcome(self, status):
        platform_id = str(status.get("idstr") or status.get("id") or "")
        user = status.get("user") or {}
        uid = str(user.get("idstr") or user.get("id") or "")
        return Outcome(
            state=Outcome.SENT,
            platform_id=platform_id,
            url=self.status_url(uid, platform_id) if uid and platform_id else "",
        )

    def status_url(self, uid, status_id):
        """The status's public page: ``https://weibo.com/<uid>/<id>``, or beside
        the API of a stand-in such as the sandbox (the API returns no address)."""
        if self.base_url == self.account.platform_spec.default_api_base_url:
            return "https://weibo.com/%s/%s" % (uid, status_id)
        return "%s/%s/%s" % (self.base_url, uid, status_id)

    def _message(self, comment, post_id):
        user = comment.get("user") or {}
        return Message(
            platform_id=str(comment.get("idstr") or comment.get("id") or ""),
            text=comment.get("text", ""),
            author=user.get("screen_name") or user.get("name") or "",
            created_at=parse_created_at(comment.get("created_at")),
            post_id=str(post_id),
            extra={"user_id": str(user.get("idstr") or user.get("id") or "")},
        )

    def _call(self, method, path, *, params=None, data=None, files=None, creates=False):
        """Call ``/2/<path>``; return the JSON answer or raise a ChannelError.

        ``creates``: the call leaves something on Weibo, so an answer lost
        after sending is an unknown outcome rather than a failure.
        """
        token = self.credentials().get("access_token", "")
        try:
            response = self.session.request(
                method,
                "%s/2/%s" % (self.base_url, path),
                params=params,
                data=data,
                files=files,
                headers={"Authorization": "OAuth2 %s" % token},
                timeout=self.timeout,
            )
        except requests.RequestException as e:
            raise transport_error(e, creates=creates) from e
        return self._answer(response, creates=creates)

    def _answer(self, response, *, creates):
        try:
            body = response.json()
        except ValueError:
            body = None
        if isinstance(body, dict) and body.get("error_code") not in (None, "", 0, "0"):
            raise weibo_error(body, response)
        status = response.status_code
        if status == 429:
            raise RateLimited(
                retry_after=_retry_after(response) or RETRY_AFTER_DEFAULT,
                detail=response.text[:500],
            )
        if status in (502, 504) and creates:
            raise UnknownOutcome(detail=response.text[:500])
        if status >= 500:
            raise TransientError(code=status, detail=response.text[:500])
        if status >= 400:
            raise Rejected(
                gettext("Weibo answered HTTP %(status)s.") % {"status": status},
                code=status,
                detail=response.text[:500],
            )
        if not isinstance(body, dict):
            error = UnknownOutcome if creates else TransientError
            raise error(
                gettext("Weibo answered something that is not JSON."),
                detail=response.text[:500],
            )
        return body


def _retry_after(response):
    value = response.headers.get("Retry-After", "")
    return int(value) if value.isdigit() else None


def weibo_error(body, response=None):
    """Return the ChannelError for Weibo's ``{"error_code", "error"}`` answer."""
    code = str(body.get("error_code")).strip()
    error = str(body.get("error") or "")
    try:
        error_class, reason = ERRORS[int(code)]
    except (KeyError, ValueError):
        error_class, reason = Rejected, _("Weibo refused it: %(error)s")
    message = str(reason)
    if "%(error)s" in message:
        message = message % {"error": error or code}
    elif error:
        message = gettext("%(reason)s (Weibo: %(error)s)") % {
            "reason": message,
            "error": error,
        }
    kwargs = {"code": code, "detail": body}
    if error_class is RateLimited:
        kwargs["retry_after"] = (
            response is not None and _retry_after(response)
        ) or RETRY_AFTER.get(code, RETRY_AFTER_DEFAULT)
    return error_class(message, **kwargs)


ADAPTER = WeiboAdapter
