"""Douyin (抖音): the release's video, posted with a caption.

Credentials: ``client_key``, ``client_secret``, ``access_token``,
``refresh_token``, ``open_id``. Calls carry the header ``access-token`` and
the query ``open_id`` (reference §3.3).

What is sent. The video is the first ``video`` block of the release body (a
wagtailmedia ``Media``); a release without one cannot go to Douyin, and
``render`` says so as a blocking problem. The caption (``text``) is the title,
the text (the account's override, else the digest) and the public link, one a
line. Douyin documents no limit for ``text``; the creator app allows 1,000
characters in a description and one SDK wrapper enforces the same, so 1,000 it
is (an emoji counting two), the text cut with "…" to fit [uncertain: the
reference, §3.3, has no official figure]. A "#" becomes "＃" so the caption
starts no topic.

Calls per publish: three (``upload_video``, ``create_video``, and
``video_data`` for the post's public address, which ``create_video`` does not
give) for a video up to ``RONGMEI_DOUYIN_PART_THRESHOLD`` (50 MB); above it,
part upload: init, one call per part of ``RONGMEI_DOUYIN_PART_SIZE`` (20 MB;
Douyin wants 5–20 MB) and complete instead of ``upload_video``. A refreshed
token costs one more.

Checkpoints: ``upload_id``, ``part_size`` and ``parts_done`` during a part
upload, ``video_id`` once the video is on Douyin, ``item_id`` once the post
is. A publish that starts again skips what they show done: it continues a
part upload where it stopped (or starts it again when Douyin no longer
knows the upload id, which lasts two hours) and posts an uploaded video
without uploading it again (or uploads it again when Douyin no longer knows
the video). An upload that fails midway leaves nothing public, so uploads are
retried as transient failures; only ``create_video`` can end in an unknown
outcome.

``find``: a post needs a video, so without a ``video_id`` in the progress
nothing can have been posted (None). With one, the account's recent posts
(``video_list``) are searched for that video id, or for a caption whose link
carries the delivery key (``rm=``), since the list as documented does not
show video ids.

Tokens (``channels.tokens``): the access token lasts 15 days. When Douyin
refuses it (expired or invalid) it is refreshed once with the refresh token
(``/oauth/refresh_token/``; one worker at a time) and the call is repeated;
refused again, the account needs authorising (``auth_expired``). The refresh
token lasts 30 days and can be renewed (``/oauth/renew_refresh_token/``) five
times; :meth:`DouyinAdapter.renew_refresh_token_if_due` renews it within a
week of its end, and :func:`refresh_token_warnings` tells people in time when
it is about to run out for good. Until it was first stored, the refresh
token's end is taken to be 30 days after the credentials were entered, the
latest it can be. Tokens stored before the credentials last changed (the
account was authorised again) are dropped: the new credentials' tokens win.

Error codes (reference §3.1) and what they become. An answer may carry a
code, an ``extra`` code and a sub code; the most specific one that is not 0
counts (sub code, then ``data``, then ``extra``, then ``err_no``):

==========================================  =================================
code                                        kind
==========================================  =================================
2190002, 2190008, 28001008 (token invalid    refresh once and repeat, then
or expired)                                 auth_expired
10010, 10020 (refresh token expired, no     auth_expired
renewals left), 28001015 (token of another
user), 28001012, 10004 (scope not granted)
28003018 (too many requests)                rate_limited (a minute)
2190001, 28003017 (quota used up)           rate_limited (until midnight,
                                            Beijing time)
2100004, 28001005, 28001006 (busy,          transient
network)
2100005, 28001007, 10005 (bad parameter)    rejected
2100007, 2100009, 2190004, 28001014,        rejected
28001016, 28001018–28001021, 28001056
(no permission, banned, retired API)
any other code                              rejected, Douyin's description
HTTP 429                                    rate_limited (Retry-After)
HTTP 5xx; 502/504 on ``create_video`` or a  transient; unknown_outcome
reply
==========================================  =================================
"""

from datetime import datetime, timedelta
from datetime import timezone as dt_timezone
from zoneinfo import ZoneInfo

import requests
from django.conf import settings
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from wagtailmedia.models import get_media_model

from .. import conf, tokens
from ..models import PlatformToken
from ..render import (
    body_blocks,
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
    ChannelError,
    Message,
    Outcome,
    Payload,
    RateLimited,
    Rejected,
    TransientError,
    UnknownOutcome,
    transport_error,
)

#: The caption's length at most (see the module docstring).
CAPTION_LIMIT = 1000
#: Douyin refuses a single upload above this; part upload is required.
SINGLE_UPLOAD_MAX = 128 * 1024 * 1024
#: Nor does it take videos above this at all.
VIDEO_MAX = 4 * 1024 * 1024 * 1024
#: Refresh tokens live 30 days and may be renewed this many times.
REFRESH_TOKEN_LIFETIME = timedelta(days=30)
MAX_RENEWALS = 5
#: A refresh token is renewed when it has less than this left.
RENEW_WITHIN = timedelta(days=7)
#: Recent posts read by ``find``, ``fetch_messages`` and ``fetch_metrics``.
LIST_COUNT = 20
LIST_PAGES = 5
SAMPLE_KEY = "0" * 32
ELLIPSIS = "…"
BEIJING = ZoneInfo("Asia/Shanghai")

VIDEO = "api/douyin/v1/video/"

TOKEN_CODES = {2190002, 2190008, 28001008}
_AUTH = (AuthExpired, _("The Douyin authorisation has expired: authorise again."))
_BUSY = (TransientError, _("Douyin is busy."))
_QUOTA = (RateLimited, _("Douyin's daily quota for this account is used up."))
_PARAMETER = (Rejected, _("Douyin refused a value: %(error)s"))
_REFUSED = (Rejected, _("Douyin refused it: %(error)s"))

#: Douyin's error codes: the error class and the reason in plain words.
ERRORS = {
    2190002: _AUTH,
    2190008: _AUTH,
    28001008: _AUTH,
    10010: (
        AuthExpired,
        _("The Douyin refresh token has run out: authorise the account again."),
    ),
    10020: (
        AuthExpired,
        _(
            "The Douyin refresh token cannot be renewed any more: authorise the "
            "account again."
        ),
    ),
    28001015: _AUTH,
    28001012: (
        AuthExpired,
        _("The account has not granted this permission: authorise it again."),
    ),
    10004: (
        AuthExpired,
        _("The account has not granted this permission: authorise it again."),
    ),
    28003018: (RateLimited, _("Too many requests to Douyin.")),
    2190001: _QUOTA,
    28003017: _QUOTA,
    2100004: _BUSY,
    28001005: _BUSY,
    28001006: _BUSY,
    2100005: _PARAMETER,
    28001007: _PARAMETER,
    10005: _PARAMETER,
}
PARAMETER_CODES = {2100005, 28001007}


class _TokenRefused(Exception):
    """Douyin refused the access token; refresh it and try once more."""

    def __init__(self, error):
        self.error = error


# ---------------------------------------------------------------------------
# Rendering


def caption_length(text):
    """Characters, one beyond the Basic Multilingual Plane counting two."""
    return sum(2 if ord(char) > 0xFFFF else 1 for char in text)


def _cut(text, limit):
    if caption_length(text) <= limit:
        return text
    kept, used = [], 0
    for char in text:
        size = caption_length(char)
        if used + size > limit - 1:
            break
        kept.append(char)
        used += size
    return "".join(kept).rstrip() + ELLIPSIS if limit >= 1 else ""


def compose_caption(title, text, link):
    """Return ``(caption, problems)``: title, text and link, one a line."""
    title = normalise_text(title).replace("\n", " ").replace("#", "＃")
    text = normalise_text(text).replace("#", "＃")
    tail = with_key(link, SAMPLE_KEY) if link else ""
    problems = []
    fixed = caption_length(title) + caption_length(tail) + 2
    room = CAPTION_LIMIT - fixed
    if room < 0:
        title = _cut(title, CAPTION_LIMIT - caption_length(tail) - 2)
        problems.append(
            problem(
                "title_shortened",
                gettext("The title was shortened to fit Douyin's limit."),
                blocking=False,
            )
        )
        room = 0
    if caption_length(text) > room:
        text = _cut(text, room)
        problems.append(
            problem(
                "text_shortened",
                gettext("The text was shortened to fit Douyin's %(limit)s characters.")
                % {"limit": CAPTION_LIMIT},
                blocking=False,
            )
        )
    caption = "\n".join(part for part in (title, text, link) if part)
    return caption, problems


def caption_for(payload):
    """The caption ``publish`` sends: the link carries the delivery key."""
    caption = payload.content["text"]
    link = payload.content.get("link", "")
    if not link or not payload.key:
        return caption
    head, sep, rest = caption.rpartition(link)
    return head + with_key(link, payload.key) + rest if sep else caption


def first_video(release):
    """The media of the first video block of the body, or None."""
    for block_type, value in body_blocks(release):
        if block_type == "video" and value.get("video"):
            return value["video"]
    return None


def _stored_size(file):
    """The file's size where the storage tells it without a network call (local
    disk), else None: ``render`` makes no network calls."""
    try:
        file.storage.path(file.name)
        return file.size
    except (NotImplementedError, OSError):
        return None


def video_asset(media):
    name = media.file.name.rsplit("/", 1)[-1]
    size = _stored_size(media.file)
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    return {
        "role": "video",
        "media_id": media.pk,
        "name": name,
        "content_type": {"mp4": "video/mp4", "webm": "video/webm"}.get(
            extension, "video/mp4"
        ),
        "size": size,
    }


def part_threshold():
    """Videos above this many bytes go up in parts."""
    return getattr(settings, "RONGMEI_DOUYIN_PART_THRESHOLD", 50 * 1024 * 1024)


def part_size():
    """Bytes per part of a part upload (Douyin wants 5–20 MB)."""
    return getattr(settings, "RONGMEI_DOUYIN_PART_SIZE", 20 * 1024 * 1024)


# ---------------------------------------------------------------------------
# Refresh-token warnings


def _stored_rows(account):
    """The account's stored tokens, unless newer credentials replaced them
    (the account was authorised again)."""
    rows = PlatformToken.objects.filter(account=account).exclude(value="")
    if account.credentials_changed_at:
        rows = rows.filter(refreshed_at__gte=account.credentials_changed_at)
    return rows


def refresh_token_state(account):
    """``(expires_at, renewals_left)`` of the account's refresh token.

    Before the token was first stored its end is unknown: 30 days after the
    credentials were entered is the latest it can be, and is what is given.
    """
    changed = account.credentials_changed_at
    row = _stored_rows(account).filter(name="refresh_token").first()
    if row is not None:
        return row.expires_at, row.renewals_left
    return (changed + REFRESH_TOKEN_LIFETIME if changed else None), None


def refresh_token_warnings(account, now=None):
    """Warnings about the Douyin account's refresh token, for the watchdog.

    Each is a dict with ``code`` ("refresh_token_expired",
    "refresh_token_expiring", "no_renewals_left"), ``message`` and
    ``expires_at``. A token that runs out within
    ``RONGMEI_TOKEN_WARNING_DAYS`` days, or that cannot be renewed again,
    needs someone to authorise the account again in time.
    """
    if account.platform != "douyin":
        return []
    now = now or timezone.now()
    expires_at, renewals_left = refresh_token_state(account)
    if expires_at is None:
        return []
    values = {
        "account": account.name,
        "date": date_format(timezone.localtime(expires_at), "Y-m-d H:i"),
        "days": max(0, (expires_at - now).days),
    }
    if expires_at <= now:
        return [
            {
                "code": "refresh_token_expired",
                "message": gettext(
                    "The Douyin authorisation of %(account)s ran out on %(date)s: "
                    "nothing can be published there until the account is "
                    "authorised again."
                )
                % values,
                "expires_at": expires_at,
            }
        ]
    if renewals_left == 0:
        return [
            {
                "code": "no_renewals_left",
                "message": gettext(
                    "The Douyin authorisation of %(account)s cannot be renewed "
                    "again and runs out on %(date)s: authorise the account again "
                    "before then."
                )
                % values,
                "expires_at": expires_at,
            }
        ]
    warning_days = conf.get("RONGMEI_TOKEN_WARNING_DAYS")
    if expires_at - now <= timedelta(days=warning_days):
        return [
            {
                "code": "refresh_token_expiring",
                "message": gettext(
                    "The Douyin authorisation of %(account)s runs out on %(date)s "
                    "(in %(days)s days) and has not been renewed: renew it or "
                    "authorise the account again."
                )
                % values,
                "expires_at": expires_at,
            }
        ]
    return []


# ---------------------------------------------------------------------------
# The adapter


class DouyinAdapter(Adapter):
    platform = "douyin"
    supports_withdraw = True
    calls_per_publish = 3

    @classmethod
    def render(cls, revision, account):
        release = release_of(revision)
        title = release_title(release, account)
        text = text_override(release, account) or release.digest
        link = public_link(release)
        caption, problems = compose_caption(title, text, link)
        media = first_video(release)
        assets = []
        if media is None:
            problems.append(
                problem(
                    "no_video",
                    gettext("Douyin takes videos only: add a video block to the body."),
                )
            )
        else:
            asset = video_asset(media)
            assets.append(asset)
            if asset["size"] is not None and asset["size"] > VIDEO_MAX:
                problems.append(
                    problem(
                        "video_too_large",
                        gettext("Douyin takes videos of up to 4 GB."),
                    )
                )
        return Payload(
            platform=cls.platform,
            account_id=account.pk,
            title=title,
            content={"text": caption, "link": link},
            assets=assets,
            link=link,
            problems=problems,
            limits={
                "text": {
                    "limit": CAPTION_LIMIT,
                    "length": caption_length(
                        caption.replace(link, with_key(link, SAMPLE_KEY))
                    ),
                },
                "part_threshold": part_threshold(),
            },
        )

    # Sending ---------------------------------------------------------------

    def publish(self, payload):
        if payload.blocking_problems:
            raise Rejected(
                "；".join(str(p["message"]) for p in payload.blocking_problems)
            )
        progress = self._progress()
        if progress.get("item_id"):
            return Outcome(state=Outcome.SENT, platform_id=progress["item_id"])
        video_id = progress.get("video_id")
        if video_id:
            try:
                return self._create(payload, video_id)
            except Rejected as e:
                # An uploaded video Douyin no longer knows: upload it again.
                if _code(e.code) not in PARAMETER_CODES:
                    raise
                self._forget("video_id", "upload_id", "part_size", "parts_done")
        return self._create(payload, self._upload(payload))

    def find(self, payload, progress):
        """Look for the post among the account's recent posts (see above)."""
        if progress.get("item_id"):
            return Outcome(state=Outcome.SENT, platform_id=progress["item_id"])
        video_id = progress.get("video_id")
        if not video_id:
            return None
        for item in self._recent_items():
            if item.get("video_id") == video_id or link_carries_key(
                item.get("title", ""), payload.key
            ):
                return self._outcome(item)
        return None

    def withdraw(self, record):
        """Delete the post (``delete_video``). A post Douyin no longer has
        (deleted by an earlier attempt whose answer was lost) is done."""
        try:
            self._api(
                "POST", VIDEO + "delete_video/", json={"item_id": record.platform_id}
            )
        except Rejected as e:
            if _code(e.code) not in PARAMETER_CODES or self._item(record.platform_id):
                raise

    # Interaction -----------------------------------------------------------

    def fetch_messages(self, since):
        """Comments on recent posts that have any, newer than ``since``."""
        messages = []
        for item in self._recent_items(pages=1):
            statistics = item.get("statistics") or {}
            if not statistics.get("comment_count", 1):
                continue
            answer = self._api(
                "GET",
                "item/comment/list/",
                params={"item_id": item["item_id"], "cursor": 0, "count": 50},
            )
            for comment in answer.get("list") or ():
                created_at = _from_timestamp(comment.get("create_time"))
                if since is not None and created_at is not None and created_at <= since:
                    continue
                messages.append(
                    Message(
                        platform_id=str(comment.get("comment_id", "")),
                        text=comment.get("content", ""),
                        author=str(comment.get("comment_user_id", "")),
                        created_at=created_at,
                        post_id=str(item["item_id"]),
                        extra={"likes": comment.get("digg_count", 0)},
                    )
                )
        return messages

    def reply(self, message, text):
        """Answer a comment (``item/comment/reply``); return the reply."""
        answer = self._api(
            "POST",
            "item/comment/reply/",
            json={
                "item_id": message.post_id,
                "comment_id": message.platform_id,
                "content": text,
            },
            creates=True,
        )
        return Message(
            platform_id=str(answer.get("comment_id", "")),
            text=text,
            author=self.account.name,
            created_at=timezone.now(),
            post_id=message.post_id,
        )

    def fetch_metrics(self, record):
        """The post's ``statistics`` (``play_count``, ``digg_count``,
        ``comment_count``, ``share_count``, ``forward_count``,
        ``download_count``) from ``video_data``; {} for a post Douyin no longer
        lists."""
        item = self._item(record.platform_id)
        return dict(item.get("statistics") or {}) if item else {}

    def _item(self, item_id):
        """The post ``item_id`` as ``video_data`` shows it, or None."""
        data = self._api("POST", VIDEO + "video_data/", json={"item_ids": [item_id]})
        for item in data.get("list") or ():
            if isinstance(item, dict) and item.get("item_id") == item_id:
                return item
        return None

    # Tokens ----------------------------------------------------------------

    def renew_refresh_token_if_due(self, now=None):
        """Renew the refresh token when it has less than a week left.

        Return the new token, or None when nothing was due. Raises
        ``AuthExpired`` when no renewal is left.
        """
        now = now or timezone.now()
        expires_at, renewals_left = refresh_token_state(self.account)
        if expires_at is None or expires_at - now > RENEW_WITHIN:
            return None
        return self.renew_refresh_token()

    def renew_refresh_token(self):
        """Exchange the refresh token for a new one (30 days; five times)."""
        self._forget_replaced_tokens()
        row = self._token_row("refresh_token")
        renewals_left = MAX_RENEWALS
        if row is not None and row.renewals_left is not None:
            renewals_left = row.renewals_left
        if renewals_left <= 0:
            raise AuthExpired(str(ERRORS[10020][1]), code=10020)
        credentials = self.credentials()

        def fetch():
            data = self._oauth(
                "oauth/renew_refresh_token/",
                {
                    "client_key": credentials.get("client_key", ""),
                    "refresh_token": self._refresh_token(),
                },
            )
            return (
                data["refresh_token"],
                data.get("expires_in") or REFRESH_TOKEN_LIFETIME.total_seconds(),
                {"renewals_left": max(0, renewals_left - 1)},
            )

        return tokens.refresh(
            self.account,
            "refresh_token",
            seen_generation=row.generation if row is not None else None,
            fetch=fetch,
        )

    def _forget_replaced_tokens(self):
        """Drop stored tokens older than the credentials: the account was
        authorised again, and the new credentials' tokens replace them."""
        changed = self.account.credentials_changed_at
        if changed is None:
            return
        stale = PlatformToken.objects.filter(
            account=self.account, refreshed_at__lt=changed
        )
        if stale.exists():
            tokens.forget(self.account)
            self._current_token = None

    def _token_row(self, name):
        return _stored_rows(self.account).filter(name=name).first()

    def _access_token(self):
        """``(value, generation)``: the stored token, else the credentials' one.

        Looked up once per adapter (one step of one delivery); a refused token
        is replaced through :meth:`_refresh_access_token`.
        """
        if getattr(self, "_current_token", None) is None:
            self._current_token = self._look_up_access_token()
        return self._current_token

    def _look_up_access_token(self):
        self._forget_replaced_tokens()
        stored = tokens.current(self.account, "access_token")
        if stored is not None:
            return stored.value, stored.generation
        if self._token_row("access_token") is not None:
            # Stored once, run out since.
            return self._refresh_access_token(None)
        return self.credentials().get("access_token", ""), None

    def _refresh_token(self):
        stored = tokens.current(self.account, "refresh_token")
        if stored is not None:
            return stored.value
        if self._token_row("refresh_token") is not None:
            raise AuthExpired(str(ERRORS[10010][1]), code=10010)
        return self.credentials().get("refresh_token", "")

    def _refresh_access_token(self, seen_generation):
        credentials = self.credentials()

        def fetch():
            data = self._oauth(
                "oauth/refresh_token/",
                {
                    "client_key": credentials.get("client_key", ""),
                    "grant_type": "refresh_token",
                    "refresh_token": self._refresh_token(),
                },
            )
            extra = {}
            if data.get("refresh_token") and data.get("refresh_expires_in"):
                extra["refresh_token"] = (
                    data["refresh_token"],
                    data["refresh_expires_in"],
                )
            return data["access_token"], data.get("expires_in"), extra

        token = tokens.refresh(
            self.account,
            "access_token",
            seen_generation=seen_generation,
            fetch=fetch,
        )
        self._current_token = (token.value, token.generation)
        return self._current_token

    # Helpers ---------------------------------------------------------------

    def _progress(self):
        if not hasattr(self, "_own_progress"):
            self._own_progress = dict(getattr(self, "progress", None) or {})
        return self._own_progress

    def checkpoint(self, name, value):
        self._progress()[name] = value
        super().checkpoint(name, value)

    def _forget(self, *names):
        for name in names:
            if name in self._progress():
                self.checkpoint(name, None)

    def _media(self, payload):
        assets = [a for a in payload.assets if a.get("role") == "video"]
        media = None
        if assets:
            media = get_media_model().objects.filter(pk=assets[0]["media_id"]).first()
        if media is None:
            raise Rejected(gettext("The release's video no longer exists."))
        return assets[0], media

    def _upload(self, payload):
        """Put the video on Douyin; return its ``video_id``."""
        asset, media = self._media(payload)
        size = media.file.size
        if size > VIDEO_MAX:
            raise Rejected(gettext("Douyin takes videos of up to 4 GB."))
        if size <= min(part_threshold(), SINGLE_UPLOAD_MAX):
            with media.file.open("rb") as handle:
                content = handle.read()
            data = self._api(
                "POST",
                VIDEO + "upload_video/",
                files={"video": (asset["name"], content, asset["content_type"])},
            )
        else:
            data = self._upload_parts(asset, media, size)
        video_id = (data.get("video") or {}).get("video_id") or data.get("video_id")
        if not video_id:
            raise TransientError(
                gettext("Douyin answered the upload without a video id."), detail=data
            )
        self.checkpoint("video_id", video_id)
        return video_id

    def _upload_parts(self, asset, media, size):
        progress = self._progress()
        resuming = bool(progress.get("upload_id"))
        try:
            return self._send_parts(asset, media, size)
        except Rejected:
            if not resuming:
                raise
            # The upload id ran out (it lasts two hours): start again.
            self._forget("upload_id", "part_size", "parts_done")
            return self._send_parts(asset, media, size)

    def _send_parts(self, asset, media, size):
        progress = self._progress()
        upload_id = progress.get("upload_id")
        if upload_id:
            chunk = progress.get("part_size") or part_size()
            done = progress.get("parts_done") or 0
        else:
            chunk, done = part_size(), 0
            data = self._api("POST", VIDEO + "init_video_part_upload/", json={})
            upload_id = data.get("upload_id")
            if not upload_id:
                raise TransientError(
                    gettext("Douyin answered without an upload id."), detail=data
                )
            self.checkpoint("upload_id", upload_id)
            self.checkpoint("part_size", chunk)
            self.checkpoint("parts_done", 0)
        count = -(-size // chunk)
        with media.file.open("rb") as handle:
            handle.seek(done * chunk)
            for number in range(done + 1, count + 1):
                content = handle.read(chunk)
                self._api(
                    "POST",
                    VIDEO + "upload_video_part/",
                    params={"upload_id": upload_id, "part_number": number},
                    files={"video": (asset["name"], content, asset["content_type"])},
                )
                self.checkpoint("parts_done", number)
        return self._api(
            "POST",
            VIDEO + "complete_video_part_upload/",
            params={"upload_id": upload_id},
            json={},
        )

    def _create(self, payload, video_id):
        data = self._api(
            "POST",
            VIDEO + "create_video/",
            json={"video_id": video_id, "text": caption_for(payload)},
            creates=True,
        )
        item_id = data.get("item_id")
        if not item_id:
            raise UnknownOutcome(
                gettext("Douyin answered the post without an item id."), detail=data
            )
        self.checkpoint("item_id", item_id)
        return Outcome(
            state=Outcome.SENT,
            platform_id=str(item_id),
            url=data.get("share_url") or self._share_url(item_id),
            extra={"video_id": video_id},
        )

    def _share_url(self, item_id):
        """The post's public address (``video_data``), or "" if it cannot be
        read now: the post exists either way."""
        try:
            item = self._item(item_id)
        except ChannelError:
            return ""
        return (item or {}).get("share_url", "")

    def _recent_items(self, pages=LIST_PAGES):
        cursor = 0
        for _page in range(pages):
            data = self._api(
                "GET",
                VIDEO + "video_list/",
                params={"cursor": cursor, "count": LIST_COUNT},
            )
            yield from (i for i in data.get("list") or () if isinstance(i, dict))
            if not data.get("has_more"):
                return
            cursor = data.get("cursor", 0)

    def _outcome(self, item):
        return Outcome(
            state=Outcome.SENT,
            platform_id=str(item.get("item_id", "")),
            url=item.get("share_url", ""),
        )

    def _oauth(self, path, form):
        try:
            response = self.session.post(
                "%s/%s" % (self.base_url, path), data=form, timeout=self.timeout
            )
        except requests.RequestException as e:
            raise transport_error(e) from e
        data = envelope_data(response, creates=False)
        if not data.get("access_token") and not data.get("refresh_token"):
            raise TransientError(
                gettext("Douyin answered without a token."), detail=response.text[:200]
            )
        return data

    def _api(self, method, path, *, params=None, json=None, files=None, creates=False):
        """Call Douyin's API as the account; return ``data`` of the answer.

        A refused access token is refreshed once and the call repeated.
        """
        request = {
            "method": method,
            "url": "%s/%s" % (self.base_url, path),
            "params": {
                "open_id": self.credentials().get("open_id", ""),
                **(params or {}),
            },
            "json": json,
            "files": files,
            "timeout": self.timeout,
        }
        token, generation = self._access_token()
        try:
            return self._request(request, token, creates)
        except _TokenRefused:
            token, generation = self._refresh_access_token(generation)
        try:
            return self._request(request, token, creates)
        except _TokenRefused as refused:
            raise refused.error from None

    def _request(self, request, token, creates):
        try:
            response = self.session.request(headers={"access-token": token}, **request)
        except requests.RequestException as e:
            raise transport_error(e, creates=creates) from e
        return envelope_data(response, creates=creates, token_errors=True)


def _code(value):
    try:
        return int(value or 0)
    except (TypeError, ValueError):
        return -1


def _from_timestamp(value):
    try:
        return datetime.fromtimestamp(int(value), tz=dt_timezone.utc)
    except (TypeError, ValueError, OverflowError, OSError):
        return None


def _until_beijing_midnight(now=None):
    now = (now or timezone.now()).astimezone(BEIJING)
    midnight = (now + timedelta(days=1)).replace(hour=0, minute=0, second=5)
    return int((midnight - now).total_seconds())


def envelope_data(response, *, creates, token_errors=False):
    """Return ``data`` of Douyin's ``{"data", "extra"}`` answer, or raise.

    Success is HTTP 200 with every error code 0 (``data.error_code``,
    ``extra.error_code``, ``extra.sub_error_code``; numbers may be strings).
    """
    status = response.status_code
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        data = body.get("data") if isinstance(body.get("data"), dict) else {}
        extra = body.get("extra") if isinstance(body.get("extra"), dict) else {}
        # The most specific code first: a sub code tells more than its code.
        for code, description in (
            (extra.get("sub_error_code"), extra.get("sub_description")),
            (data.get("error_code"), data.get("description")),
            (extra.get("error_code"), extra.get("description")),
            (body.get("err_no"), body.get("err_msg")),
        ):
            if _code(code):
                error = douyin_error(
                    _code(code),
                    description or data.get("description") or "",
                    detail=body,
                )
                if token_errors and _code(code) in TOKEN_CODES:
                    raise _TokenRefused(error)
                raise error
    if status == 429:
        value = response.headers.get("Retry-After", "")
        raise RateLimited(retry_after=int(value) if value.isdigit() else 60)
    if status in (502, 504) and creates:
        raise UnknownOutcome(detail=response.text[:500])
    if status >= 500:
        raise TransientError(code=status, detail=response.text[:500])
    if status != 200:
        raise Rejected(
            gettext("Douyin answered HTTP %(status)s.") % {"status": status},
            code=status,
            detail=response.text[:500],
        )
    if not isinstance(body, dict):
        error = UnknownOutcome if creates else TransientError
        raise error(
            gettext("Douyin answered something that is not JSON."),
            detail=response.text[:500],
        )
    return data


def douyin_error(code, description, detail=None):
    """Return the ChannelError for Douyin's error ``code``."""
    error_class, reason = ERRORS.get(code, _REFUSED)
    message = str(reason)
    if "%(error)s" in message:
        message = message % {"error": description or code}
    elif description:
        message = gettext("%(reason)s (Douyin: %(error)s)") % {
            "reason": message,
            "error": description,
        }
    kwargs = {"code": code, "detail": detail}
    if error_class is RateLimited:
        kwargs["retry_after"] = 60 if code == 28003018 else _until_beijing_midnight()
    return error_class(message, **kwargs)


ADAPTER = DouyinAdapter
