"""The organisation's own app: a signed webhook carrying the release.

Credentials: ``webhook_url`` (where the app receives events) and ``secret``
(shared with the app, for the signature).

Each event is one ``POST`` of a JSON body (UTF-8)::

    {"event": "release.published" | "release.updated" | "release.withdrawn",
     "delivery": "<delivery key>",
     "release_id": …,
     "account": {"id": …, "name": "…"},
     "release": {… as GET /api/v2/pages/<id>/ shows it …}}

with the headers

- ``X-Rongmei-Timestamp``: Unix seconds when it was sent;
- ``X-Rongmei-Signature``: hex HMAC-SHA256 with the secret of
  ``"<timestamp>.<body>"`` (the body's exact bytes); see
  :func:`verify_signature` for the receiving side;
- ``X-Rongmei-Delivery``: the delivery key; the receiver keeps the keys it has
  seen and answers a repeat with 200 without acting on it again;
- ``X-Rongmei-Event``: the event, as in the body.

``release`` holds the fields of the API's detail view, computed from the
revision being delivered, except the cover renditions (``cover``,
``cover_thumbnail``) and ``body_html``: rendering those writes rendition
files, and ``render`` writes nothing. The app fetches them, and anything else
it needs, from ``meta.detail_url`` (``/api/v2/pages/<id>/``).

The account's own title and text for the release, when its target row has
them, go along as ``"wording": {"title": …, "text": …}``.

A withdrawal is an event too, ``{"event": "release.withdrawn", "delivery":
<its own key>, "withdraws": <the publish delivery's key>, "release_id": …,
"account": …, "release": {"id": …}}``; its key derives from the delivery's
(:func:`withdrawal_key`), so that sending it twice is also harmless.

Answers: 2xx → sent (a repeat's ``{"duplicate": true}`` included); 429 → rate
limited (``Retry-After``); 408 and 5xx, or no connection → transient; any other
4xx → rejected with the receiver's reason; no answer after sending → unknown
outcome. Because the receiver deduplicates on the key, ``find`` answers None
and the engine simply sends again. Calls per publish: one.
"""

import copy
import hashlib
import hmac
import json
import time
import uuid
from datetime import datetime

import requests
from django.utils.translation import gettext
from rest_framework.fields import DateTimeField
from rest_framework.utils.encoders import JSONEncoder
from wagtail.api.utils import get_full_url

from ..render import (
    once_per_release,
    public_link,
    release_of,
    release_title,
    target_for,
)
from .base import (
    Adapter,
    Outcome,
    Payload,
    RateLimited,
    Rejected,
    TransientError,
    transport_error,
)

EVENT_PUBLISHED = "release.published"
EVENT_UPDATED = "release.updated"
EVENT_WITHDRAWN = "release.withdrawn"

TIMESTAMP_HEADER = "X-Rongmei-Timestamp"
SIGNATURE_HEADER = "X-Rongmei-Signature"
DELIVERY_HEADER = "X-Rongmei-Delivery"
EVENT_HEADER = "X-Rongmei-Event"

#: Seconds a receiver accepts between the timestamp and its own clock.
TOLERANCE = 300


def sign(secret, timestamp, body):
    """Return the hex HMAC-SHA256 of ``"<timestamp>.<body>"`` with ``secret``."""
    if isinstance(body, str):
        body = body.encode("utf-8")
    message = str(timestamp).encode("ascii") + b"." + body
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def verify_signature(secret, timestamp, body, signature, now, tolerance=TOLERANCE):
    """Whether a webhook we sent is genuine and recent, for receivers.

    ``timestamp`` and ``signature`` are the header values, ``body`` the raw
    body (bytes), ``now`` a datetime or Unix seconds. The comparison takes the
    same time whatever the signature, so timing does not reveal the right one.
    """
    try:
        sent_at = int(timestamp)
    except (TypeError, ValueError):
        return False
    now = now.timestamp() if isinstance(now, datetime) else float(now)
    if abs(now - sent_at) > tolerance:
        return False
    expected = sign(secret, sent_at, body).encode("ascii")
    return hmac.compare_digest(expected, str(signature or "").encode("utf-8"))


def withdrawal_key(key):
    """The key of the withdrawal event of the delivery ``key``."""
    return str(uuid.uuid5(uuid.UUID(str(key)), EVENT_WITHDRAWN))


# ---------------------------------------------------------------------------
# The release as the API shows it


def _json_value(value):
    return JSONEncoder().default(value) if value is not None else None


def _api_url(path):
    return get_full_url(None, path)


def _type_name(model):
    return "%s.%s" % (model._meta.app_label, model.__name__)


def release_representation(release):
    """The release as ``GET /api/v2/pages/<id>/`` shows it, minus renditions.

    Built from ``release`` itself (a revision's object), since the API serves
    only what is live and its serializers need a request.
    """
    parent = release.get_parent() if release.depth else None
    cover = release.cover_image
    # A revision keeps dates to the millisecond; the API shows the page's own.
    first_published_at = release.first_published_at
    if release.pk:
        first_published_at = (
            type(release)
            .objects.filter(pk=release.pk)
            .values_list("first_published_at", flat=True)
            .first()
        ) or first_published_at
    data = {
        "id": release.pk,
        "meta": {
            "type": _type_name(type(release)),
            "detail_url": _api_url("/api/v2/pages/%s/" % release.pk),
            "html_url": release.full_url,
            "slug": release.slug,
            "show_in_menus": release.show_in_menus,
            "seo_title": release.seo_title,
            "search_description": release.search_description,
            "first_published_at": (
                DateTimeField().to_representation(first_published_at)
                if first_published_at
                else None
            ),
            "alias_of": None,
            "parent": parent
            and {
                "id": parent.pk,
                "meta": {
                    "type": _type_name(parent.specific_class),
                    "detail_url": _api_url("/api/v2/pages/%s/" % parent.pk),
                    "html_url": parent.full_url,
                },
                "title": parent.title,
            },
        },
        "title": release.title,
        "subtitle": release.subtitle,
        "digest": release.digest,
        "author": release.author,
        "origin": release.origin,
        "source_name": release.source_name,
        "source_url": release.source_url,
        "original_title": release.original_title,
        "original_author": release.original_author,
        "importance": release.importance,
        "unit_info": release.unit_info,
        "published_at": _json_value(first_published_at),
        "cover_image": cover
        and {
            "id": cover.pk,
            "meta": {
                "type": _type_name(type(cover)),
                "detail_url": _api_url("/api/v2/images/%s/" % cover.pk),
                "download_url": cover.file.url,
            },
            "title": cover.title,
        },
        "body": release.body.stream_block.get_api_representation(release.body, {}),
        "tags": sorted(tag.name for tag in release.tags.all()),
    }
    return data


def event_body(event, payload, account):
    """The JSON body of the ``event`` about ``payload`` (previews show it too)."""
    return {
        "event": event,
        "delivery": payload.key,
        "release_id": payload.content["release"]["id"],
        "account": {"id": account.pk, "name": account.name},
        **payload.content,
    }


# ---------------------------------------------------------------------------
# The adapter


class AppAdapter(Adapter):
    platform = "app"
    supports_update = True
    supports_withdraw = True
    calls_per_publish = 1

    @classmethod
    def render(cls, revision, account):
        release = release_of(revision)
        target = target_for(release, account)
        representation = once_per_release(
            release, "api", lambda: release_representation(release)
        )
        # A copy: the payload is the delivery's own.
        content = {"release": copy.deepcopy(representation)}
        if target and (target.title_override or target.text_override):
            content["wording"] = {
                "title": target.title_override,
                "text": target.text_override,
            }
        return Payload(
            platform=cls.platform,
            account_id=account.pk,
            title=release_title(release, account),
            content=content,
            link=public_link(release),
        )

    def publish(self, payload):
        return self._event(EVENT_PUBLISHED, payload)

    def update(self, payload, record):
        """Tell the app the release changed: it replaces what it shows."""
        return self._event(EVENT_UPDATED, payload)

    def find(self, payload, progress):
        """None: the app ignores a repeated key, so sending again is safe."""
        return None

    def withdraw(self, record):
        """Tell the app to take the release down."""
        key = withdrawal_key(record.key)
        body = {
            "event": EVENT_WITHDRAWN,
            "delivery": key,
            "withdraws": str(record.key),
            "release_id": record.release_id,
            "account": {"id": self.account.pk, "name": self.account.name},
            "release": {"id": record.release_id},
        }
        # A withdrawal repeated is ignored as well: no answer means try again.
        self._post(EVENT_WITHDRAWN, key, body, creates=False)

    # Helpers ---------------------------------------------------------------

    def _event(self, event, payload):
        if payload.blocking_problems:
            raise Rejected(
                "；".join(str(p["message"]) for p in payload.blocking_problems)
            )
        body = event_body(event, payload, self.account)
        answer = self._post(event, payload.key, body, creates=True)
        return Outcome(
            state=Outcome.SENT,
            platform_id=str(answer.get("id") or payload.key),
            url=str(answer.get("url") or ""),
            extra={"duplicate": True} if answer.get("duplicate") else {},
        )

    def _post(self, event, key, body, *, creates):
        """Send one signed event; return the receiver's JSON answer, or {}."""
        credentials = self.credentials()
        url = credentials.get("webhook_url", "")
        if not url:
            raise Rejected(gettext("The app account has no webhook address."))
        data = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
        timestamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            TIMESTAMP_HEADER: timestamp,
            SIGNATURE_HEADER: sign(credentials.get("secret", ""), timestamp, data),
            DELIVERY_HEADER: str(key),
            EVENT_HEADER: event,
        }
        try:
            response = self.session.post(
                url, data=data, headers=headers, timeout=self.timeout
            )
        except requests.RequestException as e:
            raise transport_error(e, creates=creates) from e
        return _answer(response)


def _answer(response):
    status = response.status_code
    try:
        answer = response.json()
    except ValueError:
        answer = None
    if not isinstance(answer, dict):
        answer = {}
    if 200 <= status < 300:
        return answer
    reason = next(
        (
            str(answer[name])
            for name in ("reason", "message", "error", "detail")
            if answer.get(name)
        ),
        response.text[:200].strip(),
    )
    detail = response.text[:500]
    if status == 429:
        value = response.headers.get("Retry-After", "")
        raise RateLimited(
            retry_after=int(value) if value.isdigit() else None,
            code=status,
            detail=detail,
        )
    if status == 408 or status >= 500:
        raise TransientError(code=status, detail=detail)
    raise Rejected(
        gettext("The app refused it: %(reason)s")
        % {"reason": reason or "HTTP %s" % status},
        code=status,
        detail=detail,
    )


ADAPTER = AppAdapter
