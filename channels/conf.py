"""Settings of the delivery engine, read lazily with their defaults.

Each can be overridden in Django settings under the same name; the
environment reaches them through ``cms/settings/base.py``.
"""

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

DEFAULTS = {
    #: Attempts at sending before a delivery fails for good (transient errors,
    #: unknown outcomes and lost workers count; rate limits do not).
    "RONGMEI_DELIVERY_MAX_ATTEMPTS": 8,
    #: First retry delay in seconds; doubles each attempt, with full jitter.
    "RONGMEI_DELIVERY_BACKOFF": 10.0,
    #: Longest retry delay in seconds.
    "RONGMEI_DELIVERY_BACKOFF_MAX": 900.0,
    #: How long a worker owns a claimed delivery. A worker that dies leaves its
    #: claim to expire; a delivery that was sending then becomes unconfirmed.
    #: Must exceed the longest publish (every platform call's read timeout).
    "RONGMEI_DELIVERY_LEASE": 300,
    #: Seconds to wait after an unknown outcome before asking the platform,
    #: so a request still being processed has finished.
    "RONGMEI_UNCONFIRMED_DELAY": 15.0,
    #: Seconds between asking about an asynchronous publish job; doubles up
    #: to ``RONGMEI_POLL_INTERVAL_MAX``.
    "RONGMEI_POLL_INTERVAL": 0.5,
    "RONGMEI_POLL_INTERVAL_MAX": 60.0,
    #: Seconds between the dispatcher's looks for due deliveries.
    "RONGMEI_DISPATCH_INTERVAL": 1.0,
    #: How long one dispatcher task keeps looking before it returns; the
    #: django-q2 schedule starts the next one every minute.
    "RONGMEI_DISPATCH_LOOP": 50.0,
    #: Dispatcher tasks started every minute (each holds one worker while it
    #: runs); more than one keeps publishing going when a worker dies.
    "RONGMEI_DISPATCHERS": 2,
    #: Deliveries sent at the same time, per platform, across all workers.
    "RONGMEI_PLATFORM_CONCURRENCY": {
        "wechat_oa": 8,
        "weibo": 8,
        "douyin": 4,
        "app": 16,
    },
    #: Deliveries one dispatcher sends at once (threads), all platforms;
    #: None: the sum of the platform caps.
    "RONGMEI_DISPATCH_THREADS": None,
    #: Seconds after which an open delivery past its time is listed by the
    #: watchdog.
    "RONGMEI_WATCHDOG_GRACE": 300,
    #: Days before a refresh token runs out that an alert is raised.
    "RONGMEI_TOKEN_WARNING_DAYS": 5,
}


def get(name):
    if name not in DEFAULTS:
        raise KeyError(name)
    value = getattr(settings, name, DEFAULTS[name])
    if name == "RONGMEI_PLATFORM_CONCURRENCY":
        value = {**DEFAULTS[name], **value}
        if any(int(cap) < 1 for cap in value.values()):
            raise ImproperlyConfigured(
                "RONGMEI_PLATFORM_CONCURRENCY: every cap must be at least 1."
            )
    if name == "RONGMEI_DISPATCH_THREADS" and value is None:
        value = sum(get("RONGMEI_PLATFORM_CONCURRENCY").values())
    return value


def check():
    """Refuse combinations that would break the engine's promises."""
    lease = get("RONGMEI_DELIVERY_LEASE")
    timeout = getattr(settings, "RONGMEI_PLATFORM_TIMEOUT", (3.05, 20))
    read_timeout = timeout[1] if isinstance(timeout, tuple | list) else timeout
    if lease <= read_timeout * 2:
        raise ImproperlyConfigured(
            "RONGMEI_DELIVERY_LEASE (%ss) must be well above the platform read "
            "timeout (%ss): a claim must outlive the calls made under it."
            % (lease, read_timeout)
        )
    if get("RONGMEI_DELIVERY_MAX_ATTEMPTS") < 1:
        raise ImproperlyConfigured("RONGMEI_DELIVERY_MAX_ATTEMPTS must be at least 1.")


def system_check(app_configs=None, **kwargs):
    """Django system check wrapper of :func:`check`."""
    from django.core.checks import Error

    try:
        check()
    except ImproperlyConfigured as e:
        return [Error(str(e), id="channels.E001")]
    return []
