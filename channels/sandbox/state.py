"""The sandbox's in-memory state: accounts, tokens, quotas, log, platform data.

One :class:`SandboxState` per server. Every read or change happens under
``state.lock``; handlers never sleep while holding it.
"""

import copy
import hashlib
import random
import string
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qsl, urlencode

from .faults import FaultBook

#: Beijing time: the platforms' days (daily quotas) start at its midnight.
CHINA = timezone(timedelta(hours=8), "Asia/Shanghai")
#: Entries kept in the request log; older ones are dropped.
LOG_SIZE = 20_000
#: Query parameters never written to the log.
SECRET_PARAMS = frozenset(
    {"access_token", "secret", "app_secret", "appsecret", "client_secret",
     "refresh_token", "code", "ticket"}
)  # fmt: skip


class Clock:
    """Wall-clock time plus an offset that tests move forward."""

    def __init__(self):
        self.offset = 0.0

    def __call__(self):
        return time.time() + self.offset

    def advance(self, seconds):
        self.offset += float(seconds)
        return self()


@dataclass
class SandboxAccount:
    platform: str
    key: str
    name: str
    credentials: dict
    #: Platform options: "uid", "safe_domains", "verified", …
    options: dict = field(default_factory=dict)


@dataclass
class Token:
    value: str
    platform: str
    account: str
    kind: str
    issued_at: float
    expires_at: float
    #: Set when a newer token replaces this one: invalid from then on.
    superseded_at: float | None = None
    meta: dict = field(default_factory=dict)

    def problem(self, now):
        """None while usable, else "expired" or "superseded"."""
        if now >= self.expires_at:
            return "expired"
        if self.superseded_at is not None and now >= self.superseded_at:
            return "superseded"
        return None


class SandboxState:
    def __init__(self, seed=0, limits=None):
        self.lock = threading.RLock()
        self.seed = seed
        self._default_limits = copy.deepcopy(limits or {})
        #: Set by the server once it listens ("http://127.0.0.1:8300").
        self.base_url = ""
        self._release = threading.Event()
        self.reset()

    def reset(self):
        """Forget everything and re-seed."""
        with self.lock:
            self.clock = Clock()
            # Seeded so a run replays; the sandbox's tokens guard nothing.
            self.random = random.Random(self.seed)  # noqa: S311
            self.accounts = {}
            self.tokens = {}
            self.faults = FaultBook()
            self.limits = copy.deepcopy(self._default_limits)
            self.log = deque(maxlen=LOG_SIZE)
            self.seq = 0
            self.data = {}
            self._counters = defaultdict(int)
            self._quota = defaultdict(int)
            self._quota_times = defaultdict(deque)
            self._calls = defaultdict(int)
            # Wake calls held by a timeout fault: their test is over.
            self._release.set()
            self._release = threading.Event()

    # Time -------------------------------------------------------------

    def now(self):
        return self.clock()

    def iso(self, ts=None):
        moment = datetime.fromtimestamp(self.now() if ts is None else ts, CHINA)
        return moment.isoformat(timespec="seconds")

    def day(self, ts=None):
        """The Beijing calendar day of ``ts`` as a number (quota periods)."""
        return int(((self.now() if ts is None else ts) + 8 * 3600) // 86400)

    def hold(self, seconds):
        """Sleep up to ``seconds``; a reset or stop wakes the sleeper early."""
        self._release.wait(seconds)

    def release_all(self):
        self._release.set()

    # Ids --------------------------------------------------------------

    def next_number(self, name, start=1):
        self._counters[name] += 1
        return start + self._counters[name] - 1

    def random_string(self, length, alphabet=string.ascii_letters + string.digits):
        return "".join(self.random.choice(alphabet) for _ in range(length))

    def random_hex(self, length):
        return self.random_string(length, "0123456789abcdef")

    # Accounts ---------------------------------------------------------

    def add_account(self, platform, key, name, credentials, options=None):
        account = SandboxAccount(platform, str(key), name, dict(credentials))
        account.options = dict(options or {})
        self.accounts[platform, account.key] = account
        return account

    def account(self, platform, key):
        return self.accounts.get((platform, key))

    def accounts_on(self, platform):
        return [a for a in self.accounts.values() if a.platform == platform]

    # Tokens -----------------------------------------------------------

    def issue_token(self, platform, account, kind, lifetime, value=None, **meta):
        if value is None:
            value = self.random_string(96)
        now = self.now()
        token = Token(value, platform, account, kind, now, now + lifetime, meta=meta)
        self.tokens[value] = token
        return token

    def find_token(self, value, platform, kinds=None):
        token = self.tokens.get(value or "")
        if token is None or token.platform != platform:
            return None
        if kinds is not None and token.kind not in kinds:
            return None
        return token

    def account_tokens(self, platform, account, kinds=None):
        return [
            t
            for t in self.tokens.values()
            if t.platform == platform
            and t.account == account
            and (kinds is None or t.kind in kinds)
        ]

    def supersede(self, platform, account, kind, grace, keep=None):
        """Make the account's earlier ``kind`` tokens invalid after ``grace`` s."""
        limit = self.now() + grace
        for token in self.account_tokens(platform, account, (kind,)):
            if token is not keep and (
                token.superseded_at is None or token.superseded_at > limit
            ):
                token.superseded_at = limit

    def expire_tokens(self, account="*", platform=None, kinds=None):
        """Expire every token issued so far; return how many."""
        now, count = self.now(), 0
        for token in self.tokens.values():
            if (
                (account == "*" or token.account == account)
                and (platform is None or token.platform == platform)
                and (kinds is None or token.kind in kinds)
                and token.expires_at > now
            ):
                token.expires_at = now
                count += 1
        return count

    def count_call(self, platform, account, every, kinds):
        """Count an authenticated call; every ``every``-th expires the tokens."""
        self._calls[platform, account] += 1
        if every and self._calls[platform, account] % every == 0:
            self.expire_tokens(account, platform, kinds)
            return True
        return False

    # Quotas -----------------------------------------------------------

    def take_quota(self, platform, account, api, limit, period="day"):
        """Count one call against a limit; False (and not counted) when over."""
        if limit is None:
            return True
        now = self.now()
        if period == "day":
            key = (platform, account, api, self.day(now))
            if self._quota[key] >= limit:
                return False
            self._quota[key] += 1
            return True
        times = self._quota_times[platform, account, api]
        while times and times[0] <= now - 3600:
            times.popleft()
        if len(times) >= limit:
            return False
        times.append(now)
        return True

    # Request log ------------------------------------------------------

    def record(self, request, platform, account, status, code="", fault="", api=""):
        self.seq += 1
        self.log.append(
            {
                "seq": self.seq,
                "at": self.iso(),
                "platform": platform,
                "account": account or "",
                "method": request.method,
                "path": loggable_path(request.full_path, request.query_string),
                "api": api,
                "status": status,
                "code": str(code or ""),
                "fault": fault,
            }
        )

    def log_since(self, seq=0):
        return [entry for entry in self.log if entry["seq"] > seq]


def loggable_path(path, query_string):
    """``path`` with its query, secrets left out."""
    params = [
        (k, v)
        for k, v in parse_qsl(query_string, keep_blank_values=True)
        if k.lower() not in SECRET_PARAMS
    ]
    return path + ("?" + urlencode(params) if params else "")


def fingerprint(secret):
    """A short, non-reversible name for a secret."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()[:12]
