"""The shape every channel adapter has, and the errors it raises.

One module per platform (``wechat.py``, ``weibo.py``, ``douyin.py``, ``app.py``),
each defining a subclass of :class:`Adapter` registered under its platform code,
as django-q2 does with its brokers. The delivery engine only talks to this
interface, so an adapter pointed at any server that honours the platform's
contract works, the sandbox included.

Contract of every adapter:

- ``render(revision, account) -> Payload`` is pure: no network, no writes. The
  editor's previews call it too.
- ``publish(payload) -> Outcome`` sends. It returns ``Outcome(state="sent")``
  with the platform's id and address, or ``Outcome(state="pending")`` with a
  job id when the platform publishes asynchronously (then ``poll`` follows).
  Steps that leave something on the platform (an uploaded image, a draft, a
  submitted job) are reported through ``checkpoint(name, value)`` as soon as
  they succeed, so the engine can store them before the next step.
- ``poll(outcome) -> Outcome`` asks about a pending job.
- ``find(payload, progress) -> Outcome | None`` answers "did this arrive?"
  after an unknown outcome, from the platform's own records (draft and publish
  lookups, recent posts) and the checkpoints already stored in ``progress``.
  ``None`` means the platform has no trace of it, so sending again is safe.
- ``withdraw(record)`` deletes a published post where the platform can.
- ``fetch_messages(since)``, ``reply(message, text)``, ``fetch_metrics(record)``.

Every failure is one of the :class:`ChannelError` subclasses below, carrying
the platform's code and a reason in plain words.
"""

import functools
import importlib
import os
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urlsplit

import requests
from django.conf import settings
from django.utils.translation import gettext_lazy as _
from requests.sessions import merge_setting
from urllib3.exceptions import ConnectTimeoutError, MaxRetryError

# ---------------------------------------------------------------------------
# Errors


class ChannelError(Exception):
    """A platform call failed. ``kind`` tells the engine what to do next."""

    #: What the engine keys its decisions on (each subclass sets its own).
    kind = "unknown_outcome"
    #: Shown to people when the error carries no message of its own.
    default_message = _("The platform call failed.")

    def __init__(self, message=None, *, code=None, retry_after=None, detail=None):
        self.message = str(message if message is not None else self.default_message)
        #: The platform's own error code, as a string ("45009", "20019", …).
        self.code = "" if code is None else str(code)
        #: Seconds to wait before trying again (rate limits).
        self.retry_after = retry_after
        #: The platform's raw answer, for the maintainer (never credentials).
        self.detail = detail
        super().__init__(self.message)

    def __str__(self):
        if self.code:
            return "%s [%s]" % (self.message, self.code)
        return self.message


class TransientError(ChannelError):
    """Worth retrying later: 5xx, a connection refused before sending, busy."""

    kind = "transient"
    default_message = _("The platform is temporarily unavailable.")


class RateLimited(TransientError):
    """The platform's quota is used up; wait ``retry_after`` seconds."""

    kind = "rate_limited"
    default_message = _("The platform's rate limit was reached.")


class AuthExpired(ChannelError):
    """The credentials or token no longer work and refreshing did not help."""

    kind = "auth_expired"
    default_message = _("The account's authorisation has expired.")


class Rejected(ChannelError):
    """A permanent refusal: sending the same again will fail the same way."""

    kind = "rejected"
    default_message = _("The platform refused the release.")


class UnknownOutcome(ChannelError):
    """The request may have arrived (a timeout after sending, a reset)."""

    kind = "unknown_outcome"
    default_message = _("No answer from the platform: the release may have arrived.")


#: ``requests`` errors of an address that cannot be used at all.
INVALID_ADDRESS = (
    requests.exceptions.InvalidURL,
    requests.exceptions.MissingSchema,
    requests.exceptions.InvalidSchema,
)

#: ``requests`` errors raised before the request left.
NOTHING_SENT = (
    requests.ConnectTimeout,
    requests.exceptions.SSLError,
    requests.exceptions.ProxyError,
)


def transport_error(error, *, creates=False):
    """Return the :class:`ChannelError` for a ``requests`` exception.

    A connection that could not be made sent nothing: transient. A read timeout
    or a connection dropped after sending leaves the outcome unknown when the
    request ``creates`` something on the platform; a read is simply retried.
    """
    if isinstance(error, INVALID_ADDRESS):
        return Rejected(
            _("The account's platform or webhook address is not valid."),
            detail=repr(error),
        )
    reason = error.args[0] if error.args else None
    if isinstance(reason, MaxRetryError):
        reason = reason.reason
    # NewConnectionError (refused, unresolvable) is a ConnectTimeoutError; a
    # TLS handshake or a proxy fails before the request is sent.
    nothing_sent = isinstance(error, NOTHING_SENT) or isinstance(
        reason, ConnectTimeoutError
    )
    # Only the exception's type: its text holds the URL, and with it the
    # access token in the query string.
    detail = type(error).__name__
    if nothing_sent or not creates:
        return TransientError(detail=detail)
    return UnknownOutcome(detail=detail)


# ---------------------------------------------------------------------------
# Values passed between the engine and adapters


@dataclass
class Payload:
    """What one account will receive, ready to send.

    ``content`` is the platform's own request data (JSON-serialisable), so the
    exact payload sent can be stored and archived. ``assets`` lists the files to
    upload first: dicts with ``role`` ("cover", "body_image", "video", …),
    ``path`` (storage name), ``name``, ``content_type`` and ``size``.
    """

    platform: str
    account_id: int
    title: str
    content: dict
    assets: list = field(default_factory=list)
    #: The release's public address, where the platform links back.
    link: str = ""
    #: Problems found while rendering (over a limit, a missing video): each a
    #: dict with ``code`` and ``message``. A payload with a blocking problem
    #: must not be sent; ``publish`` raises ``Rejected`` for it.
    problems: list = field(default_factory=list)
    #: The platform's limits that applied, for previews ("title ≤ 32 chars").
    limits: dict = field(default_factory=dict)
    #: Idempotency key of the delivery, set by the engine before sending.
    key: str = ""

    @property
    def blocking_problems(self):
        return [p for p in self.problems if p.get("blocking", True)]

    def as_json(self):
        """Everything needed to send again: what the archive keeps."""
        return {
            "platform": self.platform,
            "account_id": self.account_id,
            "title": self.title,
            "content": self.content,
            "assets": self.assets,
            "link": self.link,
            "problems": self.problems,
            "limits": self.limits,
            "key": self.key,
        }

    @classmethod
    def from_json(cls, data):
        return cls(**data)


@dataclass
class Outcome:
    """What the platform said about a publish."""

    SENT = "sent"
    PENDING = "pending"

    state: str
    platform_id: str = ""
    url: str = ""
    job_id: str = ""
    #: Anything else the platform returned worth keeping (ids of drafts and
    #: uploads); JSON-serialisable, never credentials.
    extra: dict = field(default_factory=dict)

    @property
    def is_sent(self):
        return self.state == self.SENT


@dataclass
class Message:
    """A comment or private message from the public."""

    platform_id: str
    text: str
    author: str
    created_at: datetime
    #: The platform id of the post it answers, if any.
    post_id: str = ""
    extra: dict = field(default_factory=dict)


# ---------------------------------------------------------------------------
# The adapter base class


@functools.lru_cache(maxsize=256)
def _environ_proxies(origin, no_proxy):
    return requests.utils.get_environ_proxies(origin, no_proxy=no_proxy)


class PlatformSession(requests.Session):
    """``requests.Session`` that reads the proxy settings (``HTTPS_PROXY``,
    ``NO_PROXY`` …) from the environment once per address, not on every call:
    requests scans the whole environment each time, which was a tenth of a
    delivery's CPU. A change to those variables needs a restart, as with any
    setting."""

    def merge_environment_settings(self, url, proxies, stream, verify, cert):
        # requests.Session.merge_environment_settings, with the proxy lookup
        # cached (it depends on the address's scheme, host and port only).
        if not self.trust_env:
            return super().merge_environment_settings(
                url, proxies, stream, verify, cert
            )
        proxies = {} if proxies is None else proxies
        parts = urlsplit(url)
        origin = "%s://%s/" % (parts.scheme, parts.netloc)
        for key, value in _environ_proxies(origin, proxies.get("no_proxy")).items():
            proxies.setdefault(key, value)
        if verify is True or verify is None:
            verify = (
                os.environ.get("REQUESTS_CA_BUNDLE")
                or os.environ.get("CURL_CA_BUNDLE")
                or verify
            )
        return {
            "proxies": merge_setting(proxies, self.proxies),
            "stream": merge_setting(stream, self.stream),
            "verify": merge_setting(verify, self.verify),
            "cert": merge_setting(cert, self.cert),
        }


class Adapter(ABC):
    """Base class: one subclass per platform, registered by ``platform``."""

    #: The platform code this adapter serves.
    platform = ""
    #: Whether a published post can be changed in place (``update``).
    supports_update = False
    #: Whether ``withdraw`` can delete a post on the platform.
    supports_withdraw = False
    #: Platform calls one ordinary publish needs (for capacity planning and
    #: the fan-out benchmark's ideal time).
    calls_per_publish = 1

    def __init__(self, account, *, session=None, timeout=None, checkpoint=None):
        self.account = account
        self.base_url = account.effective_api_base_url.rstrip("/")
        self.session = session or PlatformSession()
        #: (connect, read) seconds; a read timeout is an unknown outcome.
        self.timeout = timeout or getattr(
            settings, "RONGMEI_PLATFORM_TIMEOUT", (3.05, 20)
        )
        self._checkpoint = checkpoint

    def __repr__(self):
        return "<%s for account %s>" % (type(self).__name__, self.account.pk)

    # Rendering -------------------------------------------------------------

    @classmethod
    @abstractmethod
    def render(cls, revision, account):
        """Return the :class:`Payload` for ``account``; no network."""

    # Sending ---------------------------------------------------------------

    @abstractmethod
    def publish(self, payload):
        """Send ``payload``; return an :class:`Outcome`."""

    def update(self, payload, record):
        """Change a published post in place (only where ``supports_update``)."""
        raise Rejected(_("This platform cannot change a published post."))

    def poll(self, outcome):
        """Ask about a pending job; platforms that publish at once return it."""
        return outcome

    @abstractmethod
    def find(self, payload, progress):
        """Return the :class:`Outcome` of an earlier send, or None if absent."""

    def withdraw(self, record):
        raise Rejected(_("This platform cannot delete a published post."))

    # Interaction -----------------------------------------------------------

    def fetch_messages(self, since):
        return []

    def reply(self, message, text):
        raise Rejected(_("This platform does not accept replies through its API."))

    def fetch_metrics(self, record):
        return {}

    # Helpers ---------------------------------------------------------------

    def checkpoint(self, name, value):
        """Report a step that left something on the platform."""
        if self._checkpoint is not None:
            self._checkpoint(name, value)

    def credentials(self):
        return self.account.get_credentials()


_registry = {
    "wechat_oa": "channels.adapters.wechat",
    "weibo": "channels.adapters.weibo",
    "douyin": "channels.adapters.douyin",
    "app": "channels.adapters.app",
}


def adapter_class(platform):
    """Return the adapter class for ``platform``, importing its module lazily."""
    try:
        module_name = _registry[platform]
    except KeyError as e:
        raise LookupError("No adapter for platform %r" % platform) from e
    module = importlib.import_module(module_name)
    return module.ADAPTER


def get_adapter(account, **kwargs):
    return adapter_class(account.platform)(account, **kwargs)
