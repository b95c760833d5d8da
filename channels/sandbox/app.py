"""The organisation's app: a webhook receiver checking Rongmei's signature.

``POST <url>/app/webhook`` with ``X-Rongmei-Timestamp`` (Unix seconds, within
5 minutes of the sandbox clock), ``X-Rongmei-Signature`` (hex HMAC-SHA256 of
``timestamp + "." + body`` with the account's secret) and ``X-Rongmei-Delivery``
(the idempotency key: a repeat answers ``{"duplicate": true}`` and is not
stored twice). The account is the registered one whose secret signs the body.

A payload whose ``event`` (or ``action``) is a withdrawal ("withdraw",
"withdrawn", "delete", "deleted", or ending in ".withdrawn"/".deleted") marks
the earlier payloads with the same ``id`` (or ``key``, ``release_id``) deleted.
"""

import hashlib
import hmac
import json
from dataclasses import dataclass

from . import pages
from .faults import matched_words
from .service import Route, Service
from .state import fingerprint
from .web import json_response, not_found

WITHDRAWALS = {"withdraw", "withdrawn", "delete", "deleted"}
REFERENCE_FIELDS = ("id", "key", "release_id")


@dataclass
class Received:
    number: int
    account: str
    delivery: str
    payload: object
    received_at: float
    deleted: bool = False

    @property
    def is_withdrawal(self):
        if not isinstance(self.payload, dict):
            return False
        event = str(self.payload.get("event") or self.payload.get("action") or "")
        return event.lower() in WITHDRAWALS or event.lower().endswith(
            (".withdrawn", ".deleted")
        )

    @property
    def reference(self):
        if isinstance(self.payload, dict):
            for name in REFERENCE_FIELDS:
                if self.payload.get(name) not in (None, ""):
                    return str(self.payload[name])
        return ""


def field(payload, *names):
    """The first of ``names`` in ``payload`` or one level down, as text."""
    if not isinstance(payload, dict):
        return ""
    nested = [v for v in payload.values() if isinstance(v, dict)]
    for source in (payload, *nested):
        for name in names:
            if isinstance(source.get(name), str) and source[name]:
                return source[name]
    return ""


def sign(secret, timestamp, body):
    """What the receiver expects in ``X-Rongmei-Signature``."""
    message = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


class AppReceiver(Service):
    code = "app"
    ROUTES = {
        "/webhook": Route("webhook", ("POST",), "receive"),
        "/webhook/": Route("webhook", ("POST",), "receive"),
    }
    LIMITS = {"timestamp_tolerance": 300, "quota": {}}

    def new_db(self):
        return {"received": [], "deliveries": {}}

    def register(self, body):
        secret = body["credentials"].get("secret")
        if not secret:
            raise ValueError("app accounts need a secret")
        key = body.get("name") or fingerprint(secret)
        return self.state.add_account(
            self.code, key, body.get("name") or key, {"secret": secret}
        )

    def is_api(self, request):
        return request.path.rstrip("/") == "/webhook"

    def signer(self, request):
        """The account whose secret made the request's signature, if any."""
        timestamp = request.header("x-rongmei-timestamp")
        signature = request.header("x-rongmei-signature").strip().lower()
        if not timestamp or not signature:
            return None
        found = None
        for account in self.state.accounts_on(self.code):
            expected = sign(account.credentials["secret"], timestamp, request.body)
            if hmac.compare_digest(expected, signature) and found is None:
                found = account
        return found

    def identify(self, request, route):
        account = self.signer(request)
        return account.key if account else None

    def receive(self, request, faults):
        timestamp = request.header("x-rongmei-timestamp")
        if not timestamp or not request.header("x-rongmei-signature"):
            return _error(401, "missing signature")
        account = self.signer(request)
        if account is None:
            return _error(401, "bad signature")
        try:
            age = abs(self.state.now() - int(timestamp))
        except ValueError:
            return _error(401, "bad timestamp")
        if age > self.limit("timestamp_tolerance"):
            return _error(401, "stale timestamp")
        delivery = request.header("x-rongmei-delivery")
        if not delivery:
            return _error(400, "missing X-Rongmei-Delivery")
        seen = self.db["deliveries"].get((account.key, delivery))
        if seen is not None:
            return json_response({**self.receipt(seen), "duplicate": True})
        try:
            payload = request.json()
        except ValueError:
            return _error(400, "body is not JSON")
        words = matched_words(faults, json.dumps(payload, ensure_ascii=False))
        if words:
            return _error(
                422, "rejected", reason="内容包含禁用词：%s" % "、".join(words)
            )
        received = Received(
            self.state.next_number("app_received"),
            account.key,
            delivery,
            payload,
            self.state.now(),
        )
        if received.is_withdrawal and received.reference:
            for earlier in self.db["received"]:
                if earlier.account == account.key and earlier.reference == (
                    received.reference
                ):
                    earlier.deleted = True
        self.db["received"].append(received)
        self.db["deliveries"][account.key, delivery] = received
        return json_response({**self.receipt(received), "duplicate": False})

    def handle(self, request, route, faults):
        if request.method != "POST":
            return _error(405, "method not allowed")
        return self.receive(request, faults)

    def url(self, received):
        return "%s/app/received/%d" % (self.state.base_url, received.number)

    def receipt(self, received):
        return {"ok": True, "id": str(received.number), "url": self.url(received)}

    def published(self):
        return [
            self.item(
                r.account,
                str(r.number),
                self.url(r),
                field(r.payload, "title"),
                field(r.payload, "text", "summary", "body", "content"),
                r.received_at,
                r.deleted,
                "withdrawn" if r.deleted else "received",
            )  # fmt: skip
            for r in self.db["received"]
            if not r.is_withdrawal
        ]

    def page(self, request):
        path = request.path.strip("/")
        received = self.db["received"]
        if path == "":
            return pages.app_received(self.state, list(reversed(received)), self.url)
        if path.startswith("received/"):
            number = path.partition("/")[2]
            for item in received:
                if str(item.number) == number:
                    return pages.app_item(self.state, item)
        return not_found()


def _error(status, message, **extra):
    return json_response({"error": message, **extra}, status=status, code=str(status))
