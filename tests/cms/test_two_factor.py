"""Two-factor authentication: who must use it, enrolment, verification, recovery
codes, throttling, reset and the audit log."""

import re
from base64 import b32encode
from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from wagtail.models import ModelLogEntry

from cms.models import PasswordHistory, Role
from cms.security import two_factor
from tests.i18n import message_pattern, site_gettext, site_ngettext
from tests.utils import PASSWORD, make_managing_department, make_unit, make_user

pytestmark = pytest.mark.django_db

HOME = reverse("wagtailadmin_home")
LOGIN = reverse("wagtailadmin_login")
VERIFY = reverse("rongmei_2fa_verify")
ENROL = reverse("rongmei_2fa_enrol")

# The messages (msgids) of cms.security.two_factor, in the language of the site.
WRONG_CODE = "That code is not right. Check it and try again."
THROTTLED = (
    "Too many wrong codes: checking is paused. Try again in %(seconds)d second.",
    "Too many wrong codes: checking is paused. Try again in %(seconds)d seconds.",
)


@pytest.fixture(autouse=True)
def _enforced(settings):
    settings.RONGMEI_2FA_ENFORCED = True


# Helpers


def code_for(device, steps_ahead=0):
    """The code the authenticator app shows, ``steps_ahead`` time steps from now.

    A code is accepted once per time step, so a second sign-in in the same test
    uses the next step's code (the device tolerates one step of drift).
    """
    device.refresh_from_db()
    value = totp(
        device.bin_key,
        step=device.step,
        t0=device.t0 - steps_ahead * device.step,
        digits=device.digits,
        drift=device.drift,
    )
    return str(value).zfill(device.digits)


def enrol(user):
    """Give ``user`` a confirmed authenticator and recovery codes; return both."""
    device = TOTPDevice.objects.create(user=user, name="app", confirmed=True)
    recovery = StaticDevice.objects.create(user=user, name="codes", confirmed=True)
    codes = [StaticToken.random_token() for _i in range(3)]
    for code in codes:
        recovery.token_set.create(token=code)
    return device, codes


def sign_in_verified(client, user, device):
    """Sign ``user`` in as if they had given their password and their code."""
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()


def password_login(client, user):
    response = client.post(LOGIN, {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302, "the password sign-in failed"
    return response


def is_throttled_message(text):
    """Whether ``text`` is the pause message, for any number of seconds."""
    return any(
        message_pattern(site_ngettext(*THROTTLED, seconds)).fullmatch(text)
        for seconds in (1, 2, 5, 11, 21, 101)  # one of each plural form
    )


def unpause(device):
    """Let the throttling pause of ``device`` run out, as if time had passed."""
    type(device).objects.filter(pk=device.pk).update(
        throttling_failure_timestamp=timezone.now() - timedelta(hours=1)
    )


def log_entries(user, action):
    return ModelLogEntry.objects.filter(object_id=str(user.pk), action=action)


def final_reviewer():
    return make_user(roles=[(make_unit(), Role.FINAL_REVIEWER)])


# Policy


@pytest.mark.parametrize("role", [Role.FINAL_REVIEWER, Role.UNIT_HEAD, Role.MAINTAINER])
def test_reviewers_and_maintainers_must_use_two_factors(role):
    """Final reviewers, unit heads and technical maintainers need two factors,
    even in an ordinary unit."""
    user = make_user(roles=[(make_unit(), role)])
    assert two_factor.two_factor_required(user)


@pytest.mark.parametrize("role", list(Role))
def test_any_role_in_the_managing_department_needs_two_factors(role):
    user = make_user(roles=[(make_managing_department(), role)])
    assert two_factor.two_factor_required(user)


def test_superusers_must_use_two_factors():
    assert two_factor.two_factor_required(make_user(is_superuser=True))


@pytest.mark.parametrize(
    "role",
    [
        Role.EDITOR,
        Role.COLLECTOR,
        Role.FIRST_REVIEWER,
        Role.SECOND_REVIEWER,
        Role.ARCHIVIST,
    ],
)
def test_other_roles_in_an_ordinary_unit_may_choose(role):
    user = make_user(roles=[(make_unit(), role)])
    assert not two_factor.two_factor_required(user)


def test_anonymous_and_roleless_people_are_not_required():
    from django.contrib.auth.models import AnonymousUser

    assert not two_factor.two_factor_required(AnonymousUser())
    assert not two_factor.two_factor_required(make_user())


# Enforcement


@pytest.mark.parametrize(
    "url",
    [
        HOME,
        reverse("wagtailadmin_explore_root"),
        reverse("wagtailadmin_account"),
        reverse("rongmei_2fa_manage"),
    ],
)
def test_required_user_without_device_is_sent_to_enrolment(client, url):
    """From any admin page, someone who must use two factors but has none is sent
    to enrolment, and comes back to the page afterwards."""
    client.force_login(final_reviewer())
    response = client.get(url)
    assert response.status_code == 302
    assert response.url == "%s?next=%s" % (ENROL, url.replace("/", "%2F"))


def test_pages_before_the_second_factor_stay_reachable(client):
    client.force_login(final_reviewer())
    assert client.get(ENROL).status_code == 200
    assert client.get(reverse("wagtailadmin_javascript_catalog")).status_code == 200
    assert client.get(reverse("wagtailadmin_sprite")).status_code == 200
    response = client.post(reverse("wagtailadmin_logout"))
    assert response.status_code == 302
    assert not response.url.startswith(ENROL)


def test_optional_user_without_device_reaches_the_dashboard(client):
    client.force_login(make_user(roles=[(make_unit(), Role.EDITOR)]))
    assert client.get(HOME).status_code == 200


def test_enforcement_can_be_switched_off(client, settings):
    settings.RONGMEI_2FA_ENFORCED = False
    client.force_login(final_reviewer())
    assert client.get(HOME).status_code == 200


def test_public_site_and_api_are_not_held_back(client):
    client.force_login(final_reviewer())
    assert client.get(reverse("healthz")).status_code == 200


# Enrolment


def test_enrolment_shows_an_inline_qr_code_and_the_secret(client):
    """The QR code is SVG drawn into the page, not an image fetched from
    anywhere; the key for typing in by hand is shown beside it."""
    user = final_reviewer()
    client.force_login(user)
    response = client.get(ENROL)
    html = response.content.decode()
    device = TOTPDevice.objects.get(user=user)
    assert not device.confirmed
    assert '<svg width="' in html and 'class="two-factor-qr"' in html
    assert "<img" not in html
    # Everything the page loads comes from this site.
    loaded = re.findall(r'\ssrc="([^"]+)"', html)
    loaded += re.findall(r'<link[^>]*\shref="([^"]+)"', html)
    assert loaded and all(url.startswith("/") for url in loaded), loaded
    secret = b32encode(device.bin_key).decode()
    assert secret in html.replace(" ", "")


def test_reloading_enrolment_keeps_the_same_secret(client):
    user = final_reviewer()
    client.force_login(user)
    client.get(ENROL)
    key = TOTPDevice.objects.get(user=user).key
    client.get(ENROL)
    assert list(TOTPDevice.objects.filter(user=user).values_list("key", flat=True)) == [
        key
    ]


def test_enrolment_with_a_wrong_then_a_right_code(client):
    """A wrong code is refused with a field error and the same QR code is shown
    again; the right code confirms the device, verifies the session and shows
    ten recovery codes once."""
    user = final_reviewer()
    client.force_login(user)
    client.get(ENROL + "?next=/admin/pages/")
    device = TOTPDevice.objects.get(user=user)
    wrong = str((int(code_for(device)) + 1) % 1000000).zfill(6)

    response = client.post(ENROL, {"code": wrong, "next": "/admin/pages/"})
    assert response.status_code == 200
    assert response.context["form"].errors["code"]
    assert response.context["secret"] == two_factor.secret_for_display(device)
    device.refresh_from_db()
    assert not device.confirmed
    assert TOTPDevice.objects.filter(user=user).count() == 1
    assert client.get(HOME).url.startswith(ENROL)

    unpause(device)
    response = client.post(ENROL, {"code": code_for(device), "next": "/admin/pages/"})
    assert response.status_code == 200
    codes = response.context["codes"]
    assert len(codes) == two_factor.RECOVERY_CODE_COUNT == 10
    html = response.content.decode()
    assert all(code in html for code in codes)
    assert 'href="/admin/pages/"' in html
    device.refresh_from_db()
    assert device.confirmed
    assert StaticToken.objects.filter(device__user=user).count() == 10
    assert client.get(HOME).status_code == 200
    entry = log_entries(user, two_factor.ACTION_ENROL).get()
    assert entry.user == user
    assert device.key not in str(entry.data)
    assert b32encode(device.bin_key).decode() not in str(entry.data)


def test_someone_already_enrolled_cannot_enrol_again(client):
    user = final_reviewer()
    device, _codes = enrol(user)
    sign_in_verified(client, user, device)
    response = client.get(ENROL)
    assert response.status_code == 302
    assert response.url == reverse("rongmei_2fa_manage")


def test_optional_user_may_enrol_from_their_account(client):
    user = make_user(roles=[(make_unit(), Role.EDITOR)])
    client.force_login(user)
    account = client.get(reverse("wagtailadmin_account")).content.decode()
    assert reverse("rongmei_2fa_manage") in account
    manage = client.get(reverse("rongmei_2fa_manage")).content.decode()
    assert ENROL in manage
    client.get(ENROL)
    device = TOTPDevice.objects.get(user=user)
    response = client.post(ENROL, {"code": code_for(device)})
    assert len(response.context["codes"]) == 10
    assert two_factor.has_two_factor(user)


# Verification


def test_password_sign_in_then_code_before_the_dashboard(client):
    """Someone with a device gives their code after the password, every time."""
    user = final_reviewer()
    device, _codes = enrol(user)
    response = password_login(client, user)
    response = client.get(response.url)
    assert response.status_code == 302
    assert response.url == "%s?next=%s" % (VERIFY, "%2Fadmin%2F")
    assert client.get(reverse("wagtailadmin_account")).url.startswith(VERIFY)

    page = client.get(response.url)
    assert page.status_code == 200
    assert page.context["next"] == HOME
    response = client.post(VERIFY, {"code": code_for(device), "next": HOME})
    assert response.status_code == 302
    assert response.url == HOME
    assert client.get(HOME).status_code == 200


def test_optional_user_with_a_device_must_also_verify(client):
    user = make_user(roles=[(make_unit(), Role.EDITOR)])
    enrol(user)
    client.force_login(user)
    assert client.get(HOME).url.startswith(VERIFY)


def test_wrong_code_is_refused_and_recorded(client):
    user = final_reviewer()
    device, _codes = enrol(user)
    password_login(client, user)
    response = client.post(VERIFY, {"code": "000000", "next": HOME})
    if code_for(device) == "000000":  # one chance in a million
        pytest.skip("the current code happens to be 000000")
    assert response.status_code == 200
    assert response.context["form"].errors["code"] == [site_gettext(WRONG_CODE)]
    assert client.get(HOME).url.startswith(VERIFY)
    entry = log_entries(user, two_factor.ACTION_FAILED).get()
    assert entry.data == {"method": "authenticator"}


def test_next_is_honoured_and_an_outside_next_refused(client):
    user = final_reviewer()
    device, _codes = enrol(user)
    password_login(client, user)
    response = client.post(VERIFY, {"code": code_for(device), "next": "/admin/pages/"})
    assert response.url == "/admin/pages/"

    client.post(reverse("wagtailadmin_logout"))
    password_login(client, user)
    for outside in ("https://evil.example/", "//evil.example/admin/"):
        page = client.get(VERIFY, {"next": outside})
        assert page.context["next"] == HOME
    response = client.post(
        VERIFY, {"code": code_for(device, 1), "next": "https://evil.example/"}
    )
    assert response.status_code == 302
    assert response.url == HOME


def test_recovery_codes_work_once_each(client):
    user = final_reviewer()
    _device, codes = enrol(user)
    password_login(client, user)
    # Typed in upper case and with the hyphen shown on the codes page.
    typed = (codes[0][:4] + "-" + codes[0][4:]).upper()
    response = client.post(VERIFY, {"code": typed, "next": HOME})
    assert response.status_code == 302
    assert response.url == HOME
    assert client.get(HOME).status_code == 200
    assert StaticToken.objects.filter(device__user=user).count() == 2

    client.post(reverse("wagtailadmin_logout"))
    password_login(client, user)
    response = client.post(VERIFY, {"code": codes[0], "next": HOME})
    assert response.status_code == 200
    assert response.context["form"].errors["code"]
    assert log_entries(user, two_factor.ACTION_FAILED).get().data == {
        "method": "recovery_code"
    }

    unpause(StaticDevice.objects.get(user=user))
    response = client.post(VERIFY, {"code": codes[1], "next": HOME})
    assert response.status_code == 302


def test_wrong_codes_are_throttled(client):
    """After a wrong code, the next try waits (1, 2, 4 … seconds): even the right
    code is refused during the pause, with a message saying so."""
    user = final_reviewer()
    device, codes = enrol(user)
    password_login(client, user)
    client.post(VERIFY, {"code": "12345x", "next": HOME})
    client.post(VERIFY, {"code": "nonsense", "next": HOME})
    response = client.post(VERIFY, {"code": code_for(device), "next": HOME})
    assert response.status_code == 200
    errors = response.context["form"].errors["code"]
    assert errors and is_throttled_message(errors[0]), errors
    assert client.get(HOME).url.startswith(VERIFY)
    # The pause covers recovery codes too.
    response = client.post(VERIFY, {"code": codes[0], "next": HOME})
    assert is_throttled_message(response.context["form"].errors["code"][0])

    unpause(device)
    unpause(StaticDevice.objects.get(user=user))
    response = client.post(VERIFY, {"code": code_for(device), "next": HOME})
    assert response.status_code == 302


def test_enrolment_is_throttled_too(client):
    user = final_reviewer()
    client.force_login(user)
    client.get(ENROL)
    device = TOTPDevice.objects.get(user=user)
    wrong = str((int(code_for(device)) + 1) % 1000000).zfill(6)
    client.post(ENROL, {"code": wrong})
    response = client.post(ENROL, {"code": code_for(device)})
    assert is_throttled_message(response.context["form"].errors["code"][0])


# Recovery codes


def test_verified_user_can_replace_their_recovery_codes(client):
    user = final_reviewer()
    device, old_codes = enrol(user)
    sign_in_verified(client, user, device)
    response = client.post(reverse("rongmei_2fa_recovery_codes"))
    assert response.status_code == 200
    new_codes = response.context["codes"]
    assert len(new_codes) == 10
    stored = set(
        StaticToken.objects.filter(device__user=user).values_list("token", flat=True)
    )
    assert stored == {code.replace("-", "") for code in new_codes}
    assert not stored & set(old_codes)
    assert log_entries(user, two_factor.ACTION_RECOVERY_CODES).get().user == user
    assert client.get(HOME).status_code == 200


def test_session_verified_by_a_recovery_code_stays_verified_after_new_codes(
    client,
):
    user = final_reviewer()
    _device, codes = enrol(user)
    password_login(client, user)
    client.post(VERIFY, {"code": codes[0], "next": HOME})
    client.post(reverse("rongmei_2fa_recovery_codes"))
    assert client.get(HOME).status_code == 200


def test_recovery_codes_need_a_verified_session(client, settings):
    settings.RONGMEI_2FA_ENFORCED = False
    user = final_reviewer()
    _device, old_codes = enrol(user)
    client.force_login(user)
    response = client.post(reverse("rongmei_2fa_recovery_codes"))
    assert response.status_code == 302
    assert response.url.startswith(VERIFY)
    assert StaticToken.objects.filter(device__user=user).count() == len(old_codes)


# Reset


def test_superuser_resets_someones_two_factor(client):
    """After a reset, the person's devices are gone and they enrol again at
    their next sign-in; the reset is in the audit log."""
    admin = make_user(is_superuser=True)
    admin_device, _codes = enrol(admin)
    sign_in_verified(client, admin, admin_device)
    person = final_reviewer()
    enrol(person)
    url = reverse("rongmei_2fa_reset", args=[person.pk])

    listing = client.get(reverse("wagtailusers_users:index")).content.decode()
    assert url in listing
    page = client.get(url)
    assert page.status_code == 200
    assert escape(site_gettext("Yes, reset")) in page.content.decode()
    assert two_factor.has_two_factor(person)  # nothing happens on GET

    response = client.post(url)
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=person).exists()
    assert not StaticDevice.objects.filter(user=person).exists()
    entry = log_entries(person, two_factor.ACTION_RESET).get()
    assert entry.user == admin
    assert entry.data == {"devices": 2}

    client.post(reverse("wagtailadmin_logout"))
    password_login(client, person)
    assert client.get(HOME).url.startswith(ENROL)


def test_reset_is_refused_to_others(client):
    reviewer = final_reviewer()
    device, _codes = enrol(reviewer)
    sign_in_verified(client, reviewer, device)
    person = final_reviewer()
    enrol(person)
    url = reverse("rongmei_2fa_reset", args=[person.pk])
    for response in (client.get(url), client.post(url)):
        assert response.status_code in (302, 403)
        if response.status_code == 302:
            assert response.url == HOME
    assert TOTPDevice.objects.filter(user=person).exists()
    assert not log_entries(person, two_factor.ACTION_RESET).exists()


def test_user_managers_cannot_reset_a_superuser(client):
    manager = final_reviewer()
    manager.user_permissions.add(
        Permission.objects.get(content_type__app_label="auth", codename="change_user")
    )
    device, _codes = enrol(manager)
    sign_in_verified(client, manager, device)
    person = final_reviewer()
    enrol(person)
    admin = make_user(is_superuser=True)
    enrol(admin)

    client.post(reverse("rongmei_2fa_reset", args=[admin.pk]))
    assert TOTPDevice.objects.filter(user=admin).exists()
    client.post(reverse("rongmei_2fa_reset", args=[person.pk]))
    assert not TOTPDevice.objects.filter(user=person).exists()


# Interplay with password expiry


def test_expired_password_comes_after_the_second_factor(client, settings):
    settings.RONGMEI_PASSWORD_MAX_AGE_DAYS = 90
    user = final_reviewer()
    device, _codes = enrol(user)
    PasswordHistory.objects.filter(user=user).update(
        created_at=timezone.now() - timedelta(days=91)
    )
    password_login(client, user)
    response = client.get(HOME, follow=True)
    assert response.redirect_chain[-1][0].startswith(VERIFY)
    response = client.post(
        VERIFY, {"code": code_for(device), "next": HOME}, follow=True
    )
    assert response.redirect_chain[-1][0].startswith(reverse("wagtailadmin_account"))
