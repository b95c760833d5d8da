"""Faults switched on per account (or ``"*"`` for all) over the control API."""

from dataclasses import dataclass, field

#: The two ways a timeout can happen: processed then unanswered, or never seen.
TIMEOUT_MODES = ("after", "before")


@dataclass
class Faults:
    """The faults in force for one account: the ``"*"`` entry under its own."""

    #: Added to every platform call before anything else happens.
    latency_ms: float = 0
    #: Share of calls answered with a gateway's 502 or 503, unprocessed.
    error_rate: float = 0
    #: Share of calls whose answer is withheld for ``timeout_seconds``.
    timeout_rate: float = 0
    timeout_seconds: float = 30
    #: "after": processed, then held; "before": held and never processed.
    timeout_mode: str = "after"
    #: Every N-th authenticated call finds all of the account's tokens expired.
    expire_tokens_every: int = 0
    #: Words the platform refuses (each platform in its own way).
    reject_words: list = field(default_factory=list)
    #: How long asynchronous publishing takes (None: the platform's default).
    publish_delay_ms: float | None = None
    #: Force the final WeChat ``publish_status`` (2, 3 or 4).
    publish_status: int | None = None
    #: Limits per API name ("freepublish/submit": 100) replacing the defaults.
    quota: dict = field(default_factory=dict)


_TYPES = {
    "latency_ms": float,
    "error_rate": float,
    "timeout_rate": float,
    "timeout_seconds": float,
    "timeout_mode": str,
    "expire_tokens_every": int,
    "reject_words": list,
    "publish_delay_ms": float,
    "publish_status": int,
    "quota": dict,
}


def clean(values):
    """Check and convert fault settings from JSON; ``ValueError`` if bad."""
    cleaned = {}
    for name, value in values.items():
        if name not in _TYPES:
            raise ValueError("unknown fault %r" % name)
        kind = _TYPES[name]
        if value is None and name in ("publish_delay_ms", "publish_status"):
            cleaned[name] = None
            continue
        if kind is list:
            if not isinstance(value, list) or not all(
                isinstance(w, str) and w for w in value
            ):
                raise ValueError("%s must be a list of words" % name)
        elif kind is dict:
            if not isinstance(value, dict) or not all(
                isinstance(v, int) and v >= 0 for v in value.values()
            ):
                raise ValueError("%s must map API names to counts" % name)
        elif kind is str:
            if value not in TIMEOUT_MODES:
                raise ValueError("timeout_mode must be 'after' or 'before'")
        else:
            try:
                value = kind(value)
            except (TypeError, ValueError):
                raise ValueError("%s must be a number" % name) from None
            if value < 0:
                raise ValueError("%s must not be negative" % name)
            if name.endswith("_rate") and value > 1:
                raise ValueError("%s must be between 0 and 1" % name)
        if name == "publish_status" and value not in (2, 3, 4):
            raise ValueError("publish_status must be 2, 3 or 4")
        cleaned[name] = value
    return cleaned


class FaultBook:
    """Fault settings by account key, ``"*"`` applying to every account."""

    def __init__(self):
        self._settings = {}

    def set(self, account, values):
        current = self._settings.setdefault(account, {})
        for name, value in clean(values).items():
            if name == "quota":
                current["quota"] = {**current.get("quota", {}), **value}
            else:
                current[name] = value

    def clear(self, account=None):
        if account is None:
            self._settings.clear()
        else:
            self._settings.pop(account, None)

    def for_account(self, account):
        merged = {}
        for key in ("*", account):
            for name, value in self._settings.get(key, {}).items():
                if name == "quota":
                    merged["quota"] = {**merged.get("quota", {}), **value}
                else:
                    merged[name] = value
        return Faults(**merged)

    def as_json(self):
        return {key: dict(values) for key, values in self._settings.items()}


@dataclass
class Decision:
    """What the fault dice decided for one call."""

    latency: float = 0
    error_status: int = 0
    timeout_mode: str = ""
    timeout_seconds: float = 0

    def names(self):
        names = []
        if self.latency:
            names.append("latency")
        if self.error_status:
            names.append("error")
        if self.timeout_mode:
            names.append("timeout_" + self.timeout_mode)
        return names


def decide(faults, rng):
    """Roll the dice for one call (both dice are always rolled, for replay)."""
    error_roll, timeout_roll, status_roll = rng.random(), rng.random(), rng.random()
    decision = Decision(latency=faults.latency_ms / 1000)
    if error_roll < faults.error_rate:
        decision.error_status = 502 if status_roll < 0.5 else 503
    elif timeout_roll < faults.timeout_rate:
        decision.timeout_mode = faults.timeout_mode
        decision.timeout_seconds = faults.timeout_seconds
    return decision


def matched_words(faults, *texts):
    """The ``reject_words`` found in any of ``texts``."""
    joined = "\n".join(t for t in texts if t)
    return [word for word in faults.reject_words if word in joined]


_GATEWAYS = {"wechat_oa": "stgw", "douyin": "Tengine"}


def gateway_error_page(status, platform):
    """The HTML a platform's front proxy answers with when the backend is down."""
    title = (
        "502 Bad Gateway" if status == 502 else "503 Service Temporarily Unavailable"
    )
    server = _GATEWAYS.get(platform, "nginx")
    return (
        "<html>\r\n<head><title>%s</title></head>\r\n<body>\r\n"
        "<center><h1>%s</h1></center>\r\n<hr><center>%s</center>\r\n"
        "</body>\r\n</html>\r\n" % (title, title, server)
    )
