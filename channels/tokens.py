"""Platform tokens shared by every worker: read them here, refresh them here.

On WeChat a new access token invalidates the one before, so two workers that
both notice an expired token must not both fetch a new one: the second would
void the first's token mid-publish. :func:`refresh` lets exactly one of them
call the platform, and hands the others the token it stored.

How the refresh is serialised:

- The :class:`~channels.models.PlatformToken` row of ``(account, name)`` is
  locked inside a transaction: ``SELECT … FOR UPDATE`` on PostgreSQL; on
  SQLite, which has no row locks, a write to the row comes first and takes the
  database's write lock (and threads of one process also queue on a lock of
  their own, because SQLite's shared-cache databases fail instead of waiting).
- Holding the lock, the worker looks again: if the stored token is usable and
  is not the one it was told to replace (``seen_generation``), someone else
  refreshed meanwhile and that token is returned without calling the platform.
- Otherwise ``fetch()`` runs, under the lock, and its token is stored
  encrypted with the generation one higher.

The lock is held for the duration of ``fetch()``, so fetches should use short
timeouts. Values are encrypted with the credentials key (``channels.crypto``)
and never appear in an exception, a log line or a ``repr``.
"""

import threading
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import IntegrityError, connections, router, transaction
from django.db.models import F
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from .crypto import decrypt_credentials, encrypt_credentials
from .models import PlatformToken

#: A token expiring sooner than this is treated as expired already, so a call
#: never starts with a token that runs out before the platform reads it.
EXPIRY_MARGIN = timedelta(seconds=60)


@dataclass(frozen=True)
class Token:
    """A token as stored: its value, its generation and when it runs out."""

    value: str = field(repr=False)
    generation: int
    expires_at: datetime | None = None
    renewals_left: int | None = None

    def is_usable(self, now=None):
        """Whether it is set and does not run out within the margin."""
        if not self.value:
            return False
        if self.expires_at is None:
            return True
        return self.expires_at - EXPIRY_MARGIN > (now or timezone.now())


#: SQLite has one write lock per database: threads of one process queue here
#: for it, since a shared-cache database (the tests') fails instead of waiting.
_sqlite_write_lock = threading.RLock()


@contextmanager
def _locked(account_id, name):
    """Yield the token row, created if missing, locked until the block ends."""
    using = router.db_for_write(PlatformToken)
    sqlite = connections[using].vendor == "sqlite"
    with _sqlite_write_lock if sqlite else nullcontext():
        with transaction.atomic(using=using):
            yield _locked_row(account_id, name, using), using


def _account_id(account):
    return getattr(account, "pk", account)


@sensitive_variables("row", "value")
def _token_of(row):
    value = decrypt_credentials(row.value).get("value", "") if row.value else ""
    return Token(
        value=value,
        generation=row.generation,
        expires_at=row.expires_at,
        renewals_left=row.renewals_left,
    )


def _expiry(expires_in, now):
    if expires_in is None:
        return None
    return now + timedelta(seconds=int(expires_in))


@sensitive_variables("value")
def _write(row, value, expires_in, renewals_left, now):
    row.value = encrypt_credentials({"value": value})
    row.expires_at = _expiry(expires_in, now)
    row.refreshed_at = now
    row.generation += 1
    if renewals_left is not None:
        row.renewals_left = renewals_left
    row.save(
        update_fields=[
            "value",
            "expires_at",
            "refreshed_at",
            "generation",
            "renewals_left",
        ]
    )
    return row


def _locked_row(account_id, name, using):
    """Return the token row, created if missing, locked until the transaction ends."""
    rows = PlatformToken.objects.using(using).filter(account_id=account_id, name=name)
    if connections[using].vendor == "sqlite":
        # The first write of a transaction takes SQLite's database-wide write
        # lock, which other writers wait for (the ``timeout`` option).
        if not rows.update(generation=F("generation")):
            PlatformToken.objects.using(using).create(account_id=account_id, name=name)
        return rows.get()
    row = rows.select_for_update().first()
    if row is None:
        try:
            with transaction.atomic(using=using):
                PlatformToken.objects.using(using).create(
                    account_id=account_id, name=name
                )
        except IntegrityError:
            # Another worker created it first; the lock below waits for it.
            pass
        row = rows.select_for_update().get()
    return row


def current(account, name):
    """Return the stored token, or None if it is missing or about to expire."""
    using = router.db_for_read(PlatformToken)
    row = (
        PlatformToken.objects.using(using)
        .filter(account_id=_account_id(account), name=name)
        .first()
    )
    if row is None:
        return None
    token = _token_of(row)
    return token if token.is_usable() else None


def refresh(account, name, *, seen_generation=None, fetch):
    """Return a fresh token, calling ``fetch()`` only if nobody else just did.

    ``seen_generation`` is the generation of the token the caller found
    wanting (the platform refused it); None means the caller had no usable
    token at all. ``fetch()`` returns ``(value, expires_in_seconds, extra)``:
    ``expires_in`` may be None for a token that does not expire; ``extra`` may
    hold ``renewals_left`` (stored on this token) and ``refresh_token``, a
    ``(value, expires_in)`` or ``(value, expires_in, renewals_left)`` tuple
    stored as the ``"refresh_token"`` token of the same account.

    Whatever ``fetch()`` raises propagates, and nothing is stored.
    """
    with _locked(_account_id(account), name) as (row, using):
        stored = _token_of(row)
        if stored.is_usable() and (
            seen_generation is None or stored.generation != seen_generation
        ):
            return stored
        return _store_fetched(row, fetch(), using)


@sensitive_variables("fetched", "value", "refresh_value")
def _store_fetched(row, fetched, using):
    value, expires_in, extra = fetched
    extra = extra or {}
    now = timezone.now()
    _write(row, value, expires_in, extra.get("renewals_left"), now)
    if extra.get("refresh_token"):
        refresh_value, refresh_expires_in, *rest = extra["refresh_token"]
        if row.name == "refresh_token":
            raise ValueError("A refresh token's fetch cannot return another one.")
        other = _locked_row(row.account_id, "refresh_token", using)
        _write(other, refresh_value, refresh_expires_in, rest[0] if rest else None, now)
    return _token_of(row)


@sensitive_variables("value")
def store(account, name, value, *, expires_in=None, renewals_left=None):
    """Store ``value`` as the token ``name`` (a token the account came with)."""
    with _locked(_account_id(account), name) as (row, _using):
        _write(row, value, expires_in, renewals_left, timezone.now())
    return _token_of(row)


def forget(account, name=None):
    """Delete the account's stored tokens (all of them when ``name`` is None)."""
    rows = PlatformToken.objects.filter(account_id=_account_id(account))
    if name is not None:
        rows = rows.filter(name=name)
    rows.delete()
