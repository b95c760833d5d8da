"""Python access to a running sandbox's control API (tests, the demo)."""

from urllib.parse import urlsplit

import requests


class SandboxError(Exception):
    """The control API refused a call."""


class LogEntries(list):
    """The request log entries, with ``last``: the newest sequence number."""

    last = 0


class SandboxClient:
    def __init__(self, url, session=None, timeout=10):
        self.url = url.rstrip("/")
        self.session = session or requests.Session()
        self.timeout = timeout
        #: The in-process :class:`SandboxServer`, when the fixture started one.
        self.server = None

    def _call(self, method, path, payload=None, params=None):
        response = self.session.request(
            method,
            "%s/_sandbox/%s" % (self.url, path),
            json=payload,
            params=params,
            timeout=self.timeout,
        )
        data = response.json()
        if response.status_code != 200:
            raise SandboxError(data.get("error", response.text))
        return data

    def base_url(self, platform):
        """What an account's ``api_base_url`` is set to for this sandbox."""
        return "%s/%s" % (self.url, platform)

    def register(self, account, **options):
        """Register a ``channels.Account`` (or a dict of the control API's shape)
        with its credentials; return the sandbox's key for it."""
        if isinstance(account, dict):
            payload = {**account, **options}
        else:
            payload = account_payload(account, **options)
        return self._call("POST", "accounts", payload)["account"]

    def faults(self, account="*", **faults):
        return self._call("POST", "faults", {"account": account, **faults})["faults"]

    def clear_faults(self, account=None):
        params = {"account": account} if account else None
        return self._call("DELETE", "faults", params=params)["faults"]

    def limits(self, **platforms):
        """Change limits: ``limits(douyin={"video_max_bytes": 2048})``."""
        return self._call("POST", "limits", platforms)["limits"]

    def expire_tokens(self, account="*", refresh=False):
        payload = {"account": account, "refresh": refresh}
        return self._call("POST", "expire-tokens", payload)["expired"]

    def advance(self, seconds):
        """Move the sandbox's clock forward; return its new time (epoch s)."""
        return self._call("POST", "clock", {"advance": seconds})["now"]

    def now(self):
        return self._call("GET", "clock")["now"]

    def log(self, since=0):
        data = self._call("GET", "log", params={"since": since})
        entries = LogEntries(data["entries"])
        entries.last = data["last"]
        return entries

    def published(self, **filters):
        return self._call("GET", "published", params=filters)["items"]

    def add_comment(self, platform, post, text, **extra):
        payload = {"platform": platform, "post": post, "text": text, **extra}
        return self._call("POST", "comments", payload)["comment"]

    def reset(self, keep_accounts=False):
        self._call("POST", "reset", {"keep_accounts": keep_accounts})


def account_payload(account, **options):
    """The registration of a ``channels.Account``: credentials decrypted, the
    platform id as Weibo's uid, the public site as Weibo's safe domain."""
    payload = {
        "platform": account.platform,
        "name": account.name,
        "credentials": account.get_credentials(),
        "verified": account.is_verified,
    }
    if account.platform_account_id:
        payload["uid"] = account.platform_account_id
    domain = _public_domain()
    if domain:
        payload["safe_domains"] = [domain]
    payload.update(options)
    return payload


def _public_domain():
    from django.conf import settings

    base_url = getattr(settings, "RONGMEI_PUBLIC_BASE_URL", "") or ""
    return urlsplit(base_url).hostname or ""
