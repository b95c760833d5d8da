"""Rotating the credentials key: ``manage.py rotate_credentials_key`` re-encrypts
every account's credentials with the first key of RONGMEI_CREDENTIALS_KEY, and
nothing about credentials ever shows a value."""

import io
import logging
import sys
import traceback

import pytest
from cryptography.fernet import Fernet, InvalidToken
from django.core.exceptions import ImproperlyConfigured
from django.core.management import CommandError, call_command
from django.test import RequestFactory
from django.views.debug import ExceptionReporter

from channels.crypto import CredentialsError, decrypt_credentials
from channels.models import Account
from tests.i18n import site_gettext, site_language, site_ngettext
from tests.utils import make_account, make_unit

pytestmark = pytest.mark.django_db

OLD = Fernet.generate_key().decode()
NEW = Fernet.generate_key().decode()
OTHER = Fernet.generate_key().decode()
SECRET = "secret-value-7c41e9d2"
WECHAT_SECRET = "wx-app-secret-0b8f33aa"

# The command's messages (msgids), checked in the language the command speaks.
PROGRESS = "Re-encrypted %(done)d of %(total)d accounts."
DONE = (
    "Done: %(count)d account's credentials re-encrypted with the "
    "first key; %(without)d accounts have no credentials.",
    "Done: %(count)d accounts' credentials re-encrypted with the "
    "first key; %(without)d accounts have no credentials.",
)
REMOVABLE = (
    "Every stored credential now uses the first key: the other key "
    "can be removed from RONGMEI_CREDENTIALS_KEY.",
    "Every stored credential now uses the first key: the other "
    "%(count)d keys can be removed from RONGMEI_CREDENTIALS_KEY.",
)
SINGLE_KEY = (
    "RONGMEI_CREDENTIALS_KEY holds a single key: credentials "
    "are re-encrypted with the key they already use. To rotate, "
    'set RONGMEI_CREDENTIALS_KEY="NEW,OLD" first.'
)
UNREADABLE = (
    "No key in RONGMEI_CREDENTIALS_KEY can decrypt the credentials of "
    "account %(ids)s. Add the key they were encrypted with (after "
    "the new one) and run the command again; nothing was changed."
)


@pytest.fixture
def accounts(settings):
    """Three accounts with credentials under OLD, one without any."""
    settings.RONGMEI_CREDENTIALS_KEY = OLD
    unit = make_unit()
    with_credentials = [
        make_account(unit, "weibo", credentials={"access_token": SECRET + str(n)})
        for n in range(2)
    ]
    with_credentials.append(
        make_account(
            unit,
            "wechat_oa",
            credentials={"app_id": "wx-app-id-1", "app_secret": WECHAT_SECRET},
        )
    )
    bare = make_account(unit, "douyin")
    return with_credentials, bare


def rotate(*args):
    """Run the command in the site language, as ``manage.py`` runs it."""
    out, err = io.StringIO(), io.StringIO()
    with site_language():
        call_command("rotate_credentials_key", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def stored_token(account):
    return Account.objects.values_list("credentials", flat=True).get(pk=account.pk)


def test_rotation_reencrypts_everything_with_the_new_key(accounts, settings):
    """After the rotation, the new key alone reads every account's credentials,
    the values are unchanged, and the command says the old key can go."""
    with_credentials, bare = accounts
    before = {a.pk: a.get_credentials() for a in with_credentials}
    changed_at = {a.pk: a.credentials_changed_at for a in with_credentials}

    settings.RONGMEI_CREDENTIALS_KEY = "%s,%s" % (NEW, OLD)
    out, err = rotate("--batch-size", "2")

    assert site_ngettext(*DONE, 3, count=3, without=1) in out
    assert site_gettext(PROGRESS, done=2, total=3) in out
    assert site_gettext(PROGRESS, done=3, total=3) in out
    assert site_ngettext(*REMOVABLE, 1, count=1) in out
    for account in with_credentials:
        token = stored_token(account)
        Fernet(NEW).decrypt(token.encode())
        with pytest.raises(InvalidToken):
            Fernet(OLD).decrypt(token.encode())
        account.refresh_from_db()
        # Rotation is not a change of credentials.
        assert account.credentials_changed_at == changed_at[account.pk]

    settings.RONGMEI_CREDENTIALS_KEY = NEW
    for account in with_credentials:
        account.refresh_from_db()
        assert account.get_credentials() == before[account.pk]
    assert stored_token(bare) == ""
    for secret in (SECRET, WECHAT_SECRET, NEW, OLD):
        assert secret not in out + err


def test_old_key_still_reads_until_the_rotation_ran(accounts, settings):
    """With "NEW,OLD" configured and no rotation yet, stored credentials still
    decrypt, and new ones are written with NEW."""
    with_credentials, _bare = accounts
    settings.RONGMEI_CREDENTIALS_KEY = "%s,%s" % (NEW, OLD)
    assert with_credentials[0].get_credentials() == {"access_token": SECRET + "0"}

    account = with_credentials[1]
    account.set_credentials(access_token="fresh")
    account.save()
    Fernet(NEW).decrypt(stored_token(account).encode())


def test_rotation_is_idempotent(accounts, settings):
    """Running the command twice leaves readable credentials and the same report."""
    settings.RONGMEI_CREDENTIALS_KEY = "%s,%s" % (NEW, OLD)
    rotate()
    out, _err = rotate()
    assert site_ngettext(*DONE, 3, count=3, without=1) in out
    settings.RONGMEI_CREDENTIALS_KEY = NEW
    for account in accounts[0]:
        account.refresh_from_db()
        assert account.get_credentials()


def test_unreadable_token_stops_before_any_change(accounts, settings):
    """A token no configured key can read stops the rotation before anything is
    re-encrypted, naming the account, never a value."""
    with_credentials, _bare = accounts
    stranger = with_credentials[1]
    settings.RONGMEI_CREDENTIALS_KEY = OTHER
    stranger.set_credentials(access_token=SECRET)
    stranger.save()
    before = {a.pk: stored_token(a) for a in with_credentials}

    settings.RONGMEI_CREDENTIALS_KEY = "%s,%s" % (NEW, OLD)
    with pytest.raises(CommandError) as excinfo:
        rotate("--batch-size", "1")
    message = str(excinfo.value)
    assert message == site_gettext(UNREADABLE, ids=str(stranger.pk))
    assert SECRET not in message
    assert stored_token(stranger) not in message
    assert {a.pk: stored_token(a) for a in with_credentials} == before


def test_single_key_warns(accounts, settings):
    """With one key only, the command warns that nothing is rotated away, and
    does not say that a key can be removed."""
    settings.RONGMEI_CREDENTIALS_KEY = OLD
    out, err = rotate()
    assert site_gettext(SINGLE_KEY) in err
    assert out.splitlines() == [
        site_gettext(PROGRESS, done=3, total=3),
        site_ngettext(*DONE, 3, count=3, without=1),
    ]


def test_generate_prints_a_fresh_key(accounts, settings):
    """--generate prints a valid new key and changes nothing."""
    settings.RONGMEI_CREDENTIALS_KEY = OLD
    before = {a.pk: stored_token(a) for a in accounts[0]}
    out, err = rotate("--generate")
    key = out.strip()
    Fernet(key)
    assert key not in (OLD, NEW)
    assert "NEW,CURRENT" in err
    assert {a.pk: stored_token(a) for a in accounts[0]} == before


def test_batch_size_must_be_positive(accounts):
    with pytest.raises(CommandError):
        rotate("--batch-size", "0")


def test_credentials_error_never_holds_a_value(accounts, settings):
    """A token that cannot be read raises CredentialsError whose message,
    traceback and error report hold neither the value nor the token."""
    account = accounts[0][0]
    token = stored_token(account)
    settings.RONGMEI_CREDENTIALS_KEY = OTHER
    try:
        decrypt_credentials(token)
    except CredentialsError:
        exc_info = sys.exc_info()
    else:
        pytest.fail("CredentialsError was not raised")
    text = "".join(traceback.format_exception(*exc_info))
    assert "RONGMEI_CREDENTIALS_KEY" in text
    assert exc_info[1].__cause__ is None
    for forbidden in (SECRET, token, OLD, OTHER):
        assert forbidden not in text


def test_error_report_hides_plaintext(accounts, settings):
    """Django's error report (the mail to ADMINS) hides the plaintext held by the
    crypto functions and by set_credentials."""
    settings.DEBUG = False
    account = accounts[0][0]
    try:
        account.set_credentials(access_token=SECRET, unknown_field="x")
    except ValueError:
        exc_info = sys.exc_info()
    reporter = ExceptionReporter(RequestFactory().get("/"), *exc_info)
    frame_vars = [
        (name, value)
        for frame in reporter.get_traceback_data()["frames"]
        for name, value in frame["vars"]
    ]
    assert ("values", "'********************'") in frame_vars
    report = reporter.get_traceback_html()
    assert "unknown_field" in report
    assert SECRET not in report
    assert SECRET not in repr(frame_vars)


def test_account_repr_and_str_hold_no_credentials(accounts):
    """Neither repr() nor str() of an account, nor a log line about it, shows a
    credential."""
    account = Account.objects.get(pk=accounts[0][2].pk)
    account.get_credentials()
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    logger = logging.getLogger("tests.rotate")
    logger.addHandler(handler)
    try:
        logger.warning("account %r / %s", account, account)
    finally:
        logger.removeHandler(handler)
    for text in (repr(account), str(account), stream.getvalue()):
        assert WECHAT_SECRET not in text
        assert account.credentials not in text


def test_invalid_key_is_named_by_position_never_by_value(settings):
    """A malformed key in RONGMEI_CREDENTIALS_KEY is reported by its position."""
    bad = "not-a-fernet-key-" + SECRET
    settings.RONGMEI_CREDENTIALS_KEY = "%s,%s" % (NEW, bad)
    with pytest.raises(ImproperlyConfigured) as excinfo:
        decrypt_credentials("x")
    assert "Key 2 of RONGMEI_CREDENTIALS_KEY" in str(excinfo.value)
    assert excinfo.value.__cause__ is None
    text = "".join(traceback.format_exception(excinfo.value))
    assert bad not in text and NEW not in text


def test_undecodable_plaintext_never_shows(settings):
    """A token that decrypts to something other than JSON raises
    CredentialsError without the decrypted text (a JSONDecodeError would carry
    it)."""
    settings.RONGMEI_CREDENTIALS_KEY = OLD
    token = Fernet(OLD).encrypt(("not json " + SECRET).encode()).decode()
    with pytest.raises(CredentialsError) as excinfo:
        decrypt_credentials(token)
    assert excinfo.value.__cause__ is None and excinfo.value.__context__ is None
    assert SECRET not in "".join(traceback.format_exception(excinfo.value))
