from datetime import timedelta

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from cms.models import PasswordHistory
from tests.utils import make_user

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "password",
    ["short1!", "onlyletterslong", "letters12345", "1234567890!!", "Ab1!Ab1!"],
)
def test_weak_passwords_are_refused(password):
    """Passwords need ten characters with a letter, a digit and a symbol."""
    with pytest.raises(ValidationError):
        validate_password(password)


def test_strong_password_is_accepted():
    validate_password("Kx7#river-lantern")


def test_password_similar_to_username_is_refused():
    user = make_user("zhangsan2026")
    with pytest.raises(ValidationError):
        validate_password("zhangsan2026!", user)


def test_first_password_is_remembered():
    """The password a user is created with counts as their first."""
    user = make_user()
    with pytest.raises(ValidationError):
        validate_password("Rongmei-test-2026!", user)


def test_last_five_passwords_cannot_be_reused():
    """Each change is remembered; the last five are refused, older ones allowed."""
    user = make_user()
    passwords = [f"Rotate-{n}-password!" for n in range(6)]
    for password in passwords:
        validate_password(password, user)
        user.set_password(password)
        user.save()
    for recent in passwords[1:]:
        with pytest.raises(ValidationError) as excinfo:
            validate_password(recent, user)
        assert excinfo.value.error_list[0].code == "password_reused"
    validate_password(passwords[0], user)
    assert PasswordHistory.objects.filter(user=user).count() == 5


def test_history_never_stores_plain_passwords():
    user = make_user()
    user.set_password("Plain-text-9!")
    user.save()
    for entry in PasswordHistory.objects.filter(user=user):
        assert "Plain-text-9!" not in entry.encoded


def test_expired_password_sends_user_to_change_it_first(client, settings):
    """After the configured period, every admin page leads to the password form,
    with the reason shown; the change itself is reachable."""
    settings.RONGMEI_PASSWORD_MAX_AGE_DAYS = 90
    user = make_user(is_superuser=True)
    PasswordHistory.objects.filter(user=user).update(
        created_at=timezone.now() - timedelta(days=91)
    )
    client.force_login(user)
    response = client.get(reverse("wagtailadmin_home"), follow=True)
    assert response.redirect_chain[-1][0].startswith(reverse("wagtailadmin_account"))
    shown = [str(m) for m in response.context["messages"]]
    assert any("expired" in m or "过期" in m for m in shown)
    assert client.get(reverse("wagtailadmin_account")).status_code == 200


def test_fresh_password_is_not_expired(client):
    user = make_user(is_superuser=True)
    client.force_login(user)
    assert client.get(reverse("wagtailadmin_home")).status_code == 200


def test_expiry_can_be_switched_off(client, settings):
    settings.RONGMEI_PASSWORD_MAX_AGE_DAYS = 0
    user = make_user(is_superuser=True)
    PasswordHistory.objects.filter(user=user).update(
        created_at=timezone.now() - timedelta(days=900)
    )
    client.force_login(user)
    assert client.get(reverse("wagtailadmin_home")).status_code == 200


def test_idle_sessions_expire(settings):
    """Sessions last 30 idle minutes by default and are renewed on each request."""
    assert settings.SESSION_COOKIE_AGE == 30 * 60
    assert settings.SESSION_SAVE_EVERY_REQUEST


@pytest.mark.parametrize("confirm", ["", "different-Password-9!"])
def test_account_page_refuses_a_new_password_without_a_matching_confirmation(
    client, confirm
):
    """Wagtail's form skipped the validators when the confirmation was empty and
    set the first field anyway (found by tests/cms/test_auth_fuzz.py)."""
    user = make_user("changer", is_superuser=True)
    client.force_login(user)
    data = {
        "name_email-first_name": "A",
        "name_email-last_name": "B",
        "name_email-email": "changer@example.cn",
        "locale-preferred_language": "",
        "locale-current_time_zone": "",
        "theme-theme": "system",
        "theme-contrast": "system",
        "theme-density": "default",
        "password-old_password": "Rongmei-test-2026!",
        "password-new_password1": "password",
        "password-new_password2": confirm,
    }
    response = client.post(reverse("wagtailadmin_account"), data)
    assert response.status_code == 200
    user.refresh_from_db()
    assert user.check_password("Rongmei-test-2026!")
