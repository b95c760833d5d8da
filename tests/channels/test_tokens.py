"""The shared token store (channels.tokens): one refresh at a time, every
worker reading the same token, values encrypted at rest."""

import threading
import time
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from channels import tokens
from channels.models import PlatformToken
from tests.utils import make_account, make_unit

SECRET_VALUE = "tok-3c9f1e6b2a"  # noqa: S105


@pytest.fixture
def account(db):
    return make_account(make_unit(), platform="wechat_oa")


class Fetcher:
    """A ``fetch`` that counts its calls and hands out numbered tokens."""

    def __init__(self, expires_in=7200, extra=None, delay=0):
        self.calls = 0
        self.expires_in = expires_in
        self.extra = extra or {}
        self.delay = delay
        self.lock = threading.Lock()

    def __call__(self):
        with self.lock:
            self.calls += 1
            n = self.calls
        if self.delay:
            time.sleep(self.delay)
        return "%s-%d" % (SECRET_VALUE, n), self.expires_in, self.extra


def test_current_is_none_without_a_token(account):
    """Nothing stored: no current token."""
    assert tokens.current(account, "access_token") is None


def test_refresh_fetches_and_stores_encrypted(account):
    """The first refresh fetches; the value is stored encrypted, generation 1."""
    fetch = Fetcher()
    token = tokens.refresh(account, "access_token", fetch=fetch)

    assert fetch.calls == 1
    assert token.value == SECRET_VALUE + "-1"
    assert token.generation == 1
    assert token.expires_at > timezone.now() + timedelta(seconds=7000)
    row = PlatformToken.objects.get(account=account, name="access_token")
    assert SECRET_VALUE not in row.value
    assert row.refreshed_at is not None
    assert tokens.current(account, "access_token") == token


def test_token_repr_hides_the_value(account):
    """Neither the token nor its row show the value."""
    token = tokens.store(account, "access_token", SECRET_VALUE, expires_in=60)
    row = PlatformToken.objects.get(account=account)
    assert SECRET_VALUE not in repr(token)
    assert SECRET_VALUE not in repr(row) + str(row)


def test_a_token_about_to_expire_is_not_current(account):
    """A token with less than a minute left counts as expired."""
    tokens.store(account, "access_token", SECRET_VALUE, expires_in=59)
    assert tokens.current(account, "access_token") is None
    tokens.store(account, "access_token", SECRET_VALUE, expires_in=120)
    assert tokens.current(account, "access_token").value == SECRET_VALUE


def test_refresh_returns_a_token_someone_else_already_refreshed(account):
    """A caller holding generation 1 gets generation 2 without fetching."""
    tokens.refresh(account, "access_token", fetch=Fetcher())
    newer = tokens.refresh(account, "access_token", seen_generation=1, fetch=Fetcher())
    assert newer.generation == 2

    fetch = Fetcher()
    token = tokens.refresh(account, "access_token", seen_generation=1, fetch=fetch)
    assert fetch.calls == 0
    assert token == newer


def test_refresh_replaces_the_token_the_caller_saw_refused(account):
    """The stored token is the one refused: a new one is fetched."""
    first = tokens.refresh(account, "access_token", fetch=Fetcher())
    fetch = Fetcher()
    token = tokens.refresh(
        account, "access_token", seen_generation=first.generation, fetch=fetch
    )
    assert fetch.calls == 1
    assert token.generation == first.generation + 1


def test_refresh_without_a_seen_token_reuses_a_usable_one(account):
    """A caller that had no token takes the stored one if it is still usable."""
    stored = tokens.store(account, "access_token", SECRET_VALUE, expires_in=3600)
    fetch = Fetcher()
    assert tokens.refresh(account, "access_token", fetch=fetch) == stored
    assert fetch.calls == 0


def test_refresh_fetches_when_the_stored_token_expired(account):
    """An expired token is replaced even by a caller that never saw it."""
    tokens.store(account, "access_token", SECRET_VALUE, expires_in=10)
    fetch = Fetcher()
    token = tokens.refresh(account, "access_token", fetch=fetch)
    assert fetch.calls == 1
    assert token.value == SECRET_VALUE + "-1"


def test_a_failed_fetch_stores_nothing(account):
    """Whatever fetch raises propagates, and the stored token is unchanged."""
    stored = tokens.store(account, "access_token", SECRET_VALUE, expires_in=10)

    def fetch():
        raise RuntimeError("platform down")

    with pytest.raises(RuntimeError):
        tokens.refresh(account, "access_token", seen_generation=1, fetch=fetch)
    row = PlatformToken.objects.get(account=account)
    assert row.generation == stored.generation


def test_refresh_stores_a_refresh_token_and_renewals(account):
    """A fetch may hand back a new refresh token and the renewals left."""
    fetch = Fetcher(
        expires_in=1296000,
        extra={"renewals_left": 4, "refresh_token": ("rt-1", 2592000, 3)},
    )
    token = tokens.refresh(account, "access_token", fetch=fetch)
    assert token.renewals_left == 4
    refresh_token = tokens.current(account, "refresh_token")
    assert refresh_token.value == "rt-1"
    assert refresh_token.generation == 1
    assert refresh_token.renewals_left == 3


def test_a_token_without_expiry_stays_current(account):
    """expires_in None means the token does not run out."""
    tokens.store(account, "refresh_token", SECRET_VALUE)
    assert tokens.current(account, "refresh_token").expires_at is None


def test_forget_deletes_the_accounts_tokens(account):
    """Forgetting drops one token, or all of them."""
    tokens.store(account, "access_token", "a", expires_in=600)
    tokens.store(account, "refresh_token", "r", expires_in=600)
    tokens.forget(account, "access_token")
    assert tokens.current(account, "access_token") is None
    assert tokens.current(account, "refresh_token") is not None
    tokens.forget(account)
    assert not PlatformToken.objects.filter(account=account).exists()


def _race(account, *, seen_generation, workers=2, delay=0.3):
    """Let ``workers`` threads (each with its own database connection) refresh
    at the same moment; return the fetcher and the tokens they got."""
    fetch = Fetcher(delay=delay)
    barrier = threading.Barrier(workers)
    results, errors = [], []

    def worker():
        try:
            barrier.wait(timeout=10)
            results.append(
                tokens.refresh(
                    account,
                    "access_token",
                    seen_generation=seen_generation,
                    fetch=fetch,
                )
            )
        except Exception as e:  # noqa: BLE001 - reported by the test
            errors.append(e)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    return fetch, results


@pytest.mark.django_db(transaction=True)
def test_two_workers_refreshing_at_once_fetch_once():
    """Two workers without a token refresh at once: one fetch, one token."""
    account = make_account(make_unit(), platform="wechat_oa")
    fetch, results = _race(account, seen_generation=None)
    assert fetch.calls == 1
    assert len(results) == 2
    assert results[0] == results[1]
    assert results[0].generation == 1


@pytest.mark.django_db(transaction=True)
def test_workers_refusing_the_same_token_replace_it_once():
    """Three workers whose token was refused replace it once and share the new
    one (a second fetch would void the first on WeChat)."""
    account = make_account(make_unit(), platform="wechat_oa")
    refused = tokens.store(account, "access_token", SECRET_VALUE, expires_in=7200)
    fetch, results = _race(account, seen_generation=refused.generation, workers=3)
    assert fetch.calls == 1
    assert {t.generation for t in results} == {refused.generation + 1}
    assert {t.value for t in results} == {SECRET_VALUE + "-1"}


@pytest.mark.django_db(transaction=True)
def test_a_worker_waits_for_the_refresh_in_progress():
    """A worker arriving while another fetches waits for it, then uses its
    token; the row lock, not timing luck, orders them."""
    account = make_account(make_unit(), platform="wechat_oa")
    fetching, release = threading.Event(), threading.Event()
    calls = []

    def slow_fetch():
        calls.append("slow")
        fetching.set()
        release.wait(timeout=10)
        return "first", 7200, {}

    def fast_fetch():
        calls.append("fast")
        return "second", 7200, {}

    results = {}

    def run(name, fetch):
        try:
            results[name] = tokens.refresh(account, "access_token", fetch=fetch)
        finally:
            connection.close()

    first = threading.Thread(target=run, args=("first", slow_fetch))
    first.start()
    assert fetching.wait(timeout=10)
    second = threading.Thread(target=run, args=("second", fast_fetch))
    second.start()
    second.join(timeout=0.5)
    assert second.is_alive(), "the second worker must wait for the lock"
    release.set()
    first.join(timeout=10)
    second.join(timeout=10)

    assert calls == ["slow"]
    assert results["first"].value == results["second"].value == "first"
