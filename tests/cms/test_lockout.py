"""Login protection: django-axes locks a user name and, separately, a source address
after repeated failures, with a clear page, an audit entry, and an unlock by time
or by an administrator (docs/security.md).

The test settings switch axes off; these tests switch it on with pytest-django's
``settings`` fixture. That works at run time because axes reads its settings
when it is called (``axes.conf`` only fills in defaults at import).
"""

import re
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.test import Client
from django.urls import reverse
from wagtail.models import ModelLogEntry

from cms.models import Role
from cms.security import audit
from tests.utils import PASSWORD, make_unit, make_user

pytestmark = pytest.mark.django_db

WRONG = "Not-the-password-1!"
LIMIT = 5


@pytest.fixture
def axes_on(settings):
    settings.AXES_ENABLED = True
    settings.AXES_FAILURE_LIMIT = LIMIT
    settings.AXES_COOLOFF_TIME = timedelta(minutes=15)


@pytest.fixture
def alice():
    return make_user("alice")


def sign_in(client, username, password, address="10.0.0.1"):
    return client.post(
        reverse("wagtailadmin_login"),
        {"username": username, "password": password},
        REMOTE_ADDR=address,
    )


def signed_in(client):
    return "_auth_user_id" in client.session


def fail(client, username, times=LIMIT, address="10.0.0.1"):
    for _ in range(times):
        response = sign_in(client, username, WRONG, address)
    return response


def lockout_entries():
    return ModelLogEntry.objects.filter(action=audit.LOCKOUT)


def test_failures_do_not_lock_while_axes_is_off(client, alice):
    """With axes switched off (the test settings), failures never lock."""
    fail(client, "alice", times=LIMIT + 2)
    response = sign_in(client, "alice", PASSWORD)
    assert response.status_code == 302
    assert signed_in(client)


def test_five_failures_lock_the_account(client, alice, axes_on):
    """Four wrong passwords answer the form again; the fifth locks the user name,
    and a sixth attempt with the right password is refused with the lockout page
    and status 429."""
    for _ in range(LIMIT - 1):
        response = sign_in(client, "alice", WRONG)
        assert response.status_code == 200
        assert response.context["form"].errors
    response = sign_in(client, "alice", WRONG)
    assert response.status_code == 429

    response = sign_in(client, "alice", PASSWORD)
    assert response.status_code == 429
    assert not signed_in(client)
    html = response.content.decode()
    assert "cms/security/lockout.html" in [t.name for t in response.templates]
    assert reverse("wagtailadmin_login") in html


def test_user_name_is_locked_from_every_address(client, alice, axes_on):
    """Failures spread over many addresses still lock the user name."""
    for n in range(LIMIT):
        sign_in(client, "alice", WRONG, address="10.1.0.%d" % n)
    response = sign_in(client, "alice", PASSWORD, address="10.1.0.99")
    assert response.status_code == 429
    assert not signed_in(client)


def test_address_is_locked_for_other_user_names(client, alice, axes_on):
    """Failures under many names lock the address: a right password for another
    person is refused from it, and accepted from another address."""
    for n in range(LIMIT):
        sign_in(client, "guess%d" % n, WRONG, address="10.0.0.2")
    response = sign_in(client, "alice", PASSWORD, address="10.0.0.2")
    assert response.status_code == 429
    assert not signed_in(client)

    response = sign_in(client, "alice", PASSWORD, address="10.0.0.3")
    assert response.status_code == 302
    assert signed_in(client)

    entry = lockout_entries().get()
    assert entry.data["locked"] == ["ip_address"]
    assert entry.data["ip_address"] == "10.0.0.2"


def test_lockout_is_logged_once_with_name_and_address(client, alice, axes_on):
    """The attempt that locks is recorded against the person, with the name, the
    address and what was locked; attempts while locked add no lockout entry."""
    fail(client, "alice", address="10.0.0.4")
    sign_in(client, "alice", PASSWORD, address="10.0.0.4")
    sign_in(client, "alice", WRONG, address="10.0.0.4")

    entry = lockout_entries().get()
    assert entry.object_id == str(alice.pk)
    assert entry.data["username"] == "alice"
    assert entry.data["ip_address"] == "10.0.0.4"
    assert set(entry.data["locked"]) == {"username", "ip_address"}
    assert entry.data["failure_limit"] == LIMIT
    assert entry.user is None
    assert "alice" in entry.message and "10.0.0.4" in entry.message
    assert PASSWORD not in str(entry.data) and WRONG not in str(entry.data)


def test_lockout_of_an_unknown_name_is_logged(client, axes_on):
    """A name nobody has is recorded against axes' record of the attempts."""
    fail(client, "nobody", address="10.0.0.5")
    entry = lockout_entries().get()
    assert entry.content_type.model_class() is AccessAttempt
    assert entry.label == "nobody"
    assert entry.data["username"] == "nobody"
    assert entry.data["ip_address"] == "10.0.0.5"


def _without_tokens(html):
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", html)
    return re.sub(r'"CSRF_TOKEN": "[^"]*"', "", html)


def test_lockout_page_does_not_tell_whether_the_name_exists(alice, axes_on):
    """Locking out a real name and a name nobody has gives the same status and
    the same page; so do the wrong password and the unknown name before it."""
    known, unknown = Client(), Client()
    wrong_password = sign_in(known, "alice", WRONG, address="10.0.1.1")
    no_such_user = sign_in(unknown, "nobody", WRONG, address="10.0.1.2")
    assert wrong_password.status_code == no_such_user.status_code == 200
    assert (
        wrong_password.context["form"].non_field_errors()
        == no_such_user.context["form"].non_field_errors()
    )

    fail(known, "alice", address="10.0.1.1")
    fail(unknown, "nobody", address="10.0.1.2")
    locked_known = sign_in(known, "alice", PASSWORD, address="10.0.1.1")
    locked_unknown = sign_in(unknown, "nobody", PASSWORD, address="10.0.1.2")
    assert locked_known.status_code == locked_unknown.status_code == 429
    assert _without_tokens(locked_known.content.decode()) == _without_tokens(
        locked_unknown.content.decode()
    )
    assert "alice" not in locked_known.content.decode()


def test_lockout_page_speaks_chinese_and_says_when(client, alice, axes_on):
    """The lockout page is in the admin's language, with the limit and the wait
    in minutes (not a raw duration such as 0:15:00)."""
    response = fail(client, "alice")
    html = response.content.decode()
    assert response.status_code == 429
    assert '<html lang="zh-hans"' in html
    assert "15" in html and "0:15:00" not in html
    assert str(LIMIT) in html


def move_attempts_back(delta):
    for attempt in AccessAttempt.objects.select_related("expiration"):
        attempt.attempt_time -= delta
        attempt.save(update_fields=["attempt_time"])
        expiration = getattr(attempt, "expiration", None)
        if expiration is not None:
            expiration.expires_at -= delta
            expiration.save(update_fields=["expires_at"])


def test_lock_ends_after_the_cool_off(client, alice, axes_on):
    """Fifteen minutes after the last failure, the right password works again."""
    fail(client, "alice")
    move_attempts_back(timedelta(minutes=14))
    assert sign_in(client, "alice", PASSWORD).status_code == 429

    move_attempts_back(timedelta(minutes=16))
    response = sign_in(client, "alice", PASSWORD)
    assert response.status_code == 302
    assert signed_in(client)


def test_success_before_the_limit_forgets_the_failures(client, alice, axes_on):
    """A successful sign-in resets the count, so earlier failures do not add up."""
    fail(client, "alice", times=LIMIT - 1)
    assert sign_in(client, "alice", PASSWORD).status_code == 302
    client.logout()
    fail(client, "alice", times=LIMIT - 1)
    assert sign_in(client, "alice", PASSWORD).status_code == 302


@pytest.fixture
def root_client(db):
    client = Client()
    client.force_login(make_user("root", is_superuser=True))
    return client


def test_administrator_sees_and_unlocks_a_user_name(
    client, alice, root_client, axes_on
):
    """The lockouts page lists the locked name and address; unlocking the name
    lets the person in at once and is logged with the administrator."""
    fail(client, "alice", address="10.0.2.1")
    page = root_client.get(reverse("rongmei_security_lockouts"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "alice" in html and "10.0.2.1" in html
    assert {(lo.kind, lo.value) for lo in page.context["lockouts"]} == {
        ("username", "alice"),
        ("ip_address", "10.0.2.1"),
    }

    response = root_client.post(
        reverse("rongmei_security_unlock"), {"kind": "username", "value": "alice"}
    )
    assert response.status_code == 302
    assert not AccessAttempt.objects.filter(username="alice").exists()

    entry = ModelLogEntry.objects.get(action=audit.UNLOCK)
    assert entry.object_id == str(alice.pk)
    assert entry.user.username == "root"
    assert entry.data == {"username": "alice"}

    response = sign_in(client, "alice", PASSWORD, address="10.0.2.1")
    assert response.status_code == 302
    assert signed_in(client)


def test_administrator_unlocks_an_address(client, alice, root_client, axes_on):
    """Unlocking an address forgets every failure from it."""
    for n in range(LIMIT):
        sign_in(client, "guess%d" % n, WRONG, address="10.0.2.2")
    root_client.post(
        reverse("rongmei_security_unlock"),
        {"kind": "ip_address", "value": "10.0.2.2"},
    )
    assert not AccessAttempt.objects.filter(ip_address="10.0.2.2").exists()
    entry = ModelLogEntry.objects.get(action=audit.UNLOCK)
    assert entry.data == {"ip_address": "10.0.2.2"}
    assert entry.label == "10.0.2.2"
    assert sign_in(client, "alice", PASSWORD, address="10.0.2.2").status_code == 302


def test_unlocking_what_is_not_locked_changes_nothing(root_client, axes_on):
    """An unlock of a name with no failures logs nothing."""
    response = root_client.post(
        reverse("rongmei_security_unlock"), {"kind": "username", "value": "nobody"}
    )
    assert response.status_code == 302
    assert not ModelLogEntry.objects.filter(action=audit.UNLOCK).exists()


def test_only_superusers_reach_the_lockouts(client, axes_on):
    """People who are not superusers can neither see nor unlock lockouts."""
    client.force_login(make_user(roles=[(make_unit(), Role.EDITOR)]))
    assert client.get(reverse("rongmei_security_lockouts")).status_code != 200
    client.post(
        reverse("rongmei_security_unlock"), {"kind": "username", "value": "alice"}
    )
    assert not ModelLogEntry.objects.filter(action=audit.UNLOCK).exists()
