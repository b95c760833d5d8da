"""Two-factor authentication (TOTP) for the admin, on django-otp.

An authenticator app is a confirmed ``TOTPDevice``; recovery codes are the tokens
of a ``StaticDevice``, each good once. Who must use two factors is decided by
``two_factor_required``; ``TwoFactorMiddleware`` holds the admin behind it. Every
change of someone's second factor goes through a function here, which writes the
audit log. The views are in ``two_factor_views``, the admin wiring in
``two_factor_hooks``.
"""

import math
from base64 import b32encode
from urllib.parse import quote, urlencode

import django_otp
import segno
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q
from django.shortcuts import redirect
from django.urls import Resolver404, resolve, reverse
from django.utils import timezone, translation
from django.utils.functional import LazyObject, empty
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django_otp import devices_for_user, user_has_device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from wagtail.log_actions import log

from ..models import Role, RoleAssignment, Unit

#: Roles whose holders must use two factors, in whichever unit they hold them.
REQUIRED_ROLES = {Role.FINAL_REVIEWER, Role.UNIT_HEAD, Role.MAINTAINER}

#: How many recovery codes a person gets at a time.
RECOVERY_CODE_COUNT = 10

#: Audit log actions (registered in two_factor_hooks unless audit_hooks has them).
ACTION_ENROL = "rongmei.2fa_enrol"
ACTION_RESET = "rongmei.2fa_reset"
ACTION_RECOVERY_CODES = "rongmei.2fa_recovery_codes"
ACTION_FAILED = "rongmei.2fa_failed"

#: Admin URL names reachable before the second factor is given.
EXEMPT_URL_NAMES = {
    "wagtailadmin_login",
    "wagtailadmin_logout",
    "wagtailadmin_javascript_catalog",
    "wagtailadmin_sprite",
    "rongmei_2fa_verify",
    "rongmei_2fa_enrol",
}


class CodeRefused(Exception):
    """A code was wrong, or checking codes is paused after too many wrong ones."""

    def __init__(self, message, code):
        super().__init__(message)
        self.message = message
        self.code = code


# Policy


def two_factor_enforced():
    """Whether the admin is held behind two factors (``RONGMEI_2FA_ENFORCED``)."""
    return getattr(settings, "RONGMEI_2FA_ENFORCED", True)


def two_factor_required(user):
    """Return True if ``user`` must use two factors to reach the admin.

    Superusers, final reviewers, unit heads and technical maintainers must, and so
    must anyone holding any role in the managing department.
    """
    if not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    return (
        RoleAssignment.objects.filter(user=user)
        .filter(Q(role__in=list(REQUIRED_ROLES)) | Q(unit__kind=Unit.Kind.MANAGING))
        .exists()
    )


def has_two_factor(user):
    """Return True if ``user`` has a confirmed second factor."""
    return user_has_device(user, confirmed=True)


def is_verified(user):
    """Return True if ``user`` gave their second factor in this session."""
    return getattr(user, "otp_device", None) is not None


def can_reset_two_factor(actor, user):
    """Whether ``actor`` may remove ``user``'s second factor.

    As with deleting users in Wagtail, only a superuser may act on a superuser.
    """
    if not actor.is_authenticated:
        return False
    if actor.is_superuser:
        return True
    return actor.has_perm("auth.change_user") and not user.is_superuser


# Devices


def _stored_name(message):
    # Device names are stored, so they are written in the site's language.
    with translation.override(settings.LANGUAGE_CODE):
        return _(message)


def authenticator(user, confirmed=True):
    """Return the user's authenticator app device (confirmed, by default)."""
    return (
        TOTPDevice.objects.devices_for_user(user, confirmed=confirmed)
        .order_by("pk")
        .first()
    )


def recovery_codes_left(user):
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def pending_authenticator(user):
    """Return the unconfirmed device being enrolled, creating it if needed.

    The same secret is kept until the device is confirmed, so a wrong code does
    not make the person scan a new QR code.
    """
    device = authenticator(user, confirmed=False)
    if device is None:
        device = TOTPDevice.objects.create(
            user=user, name=_stored_name("Authenticator app"), confirmed=False
        )
    return device


def provisioning_uri(device):
    """Return the ``otpauth://`` URI an authenticator app reads from the QR code.

    django-otp names the issuer only when ``OTP_TOTP_ISSUER`` is set; otherwise
    the site name is used, so the app shows which account a code is for.
    """
    url = device.config_url
    if "&issuer=" in url:
        return url
    issuer = str(settings.WAGTAIL_SITE_NAME).replace(":", "")
    label = "%s:%s" % (issuer, device.user.get_username())
    params = urlencode(
        {
            "secret": b32encode(device.bin_key),
            "algorithm": "SHA1",
            "digits": device.digits,
            "period": device.step,
        }
    )
    return "otpauth://totp/%s?%s&issuer=%s" % (quote(label), params, quote(issuer))


def qr_code_svg(device):
    """Return the enrolment QR code as inline SVG, drawn here (no image request)."""
    qr = segno.make(provisioning_uri(device), error="m")
    # segno escapes the title; the SVG is generated, not user input.
    return mark_safe(  # noqa: S308
        qr.svg_inline(
            scale=4,
            dark="#000",
            light="#fff",
            svgclass="two-factor-qr",
            title=_("QR code for your authenticator app"),
        )
    )


def secret_for_display(device):
    """Return the secret in base32, in groups of four, for typing into an app."""
    secret = b32encode(device.bin_key).decode("ascii").rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def format_recovery_code(token):
    return "%s-%s" % (token[:4], token[4:])


def normalise_code(code):
    """Drop the spaces and hyphens people type or copy with codes."""
    return "".join(ch for ch in (code or "") if ch not in " -\t").lower()


def _new_recovery_codes(user):
    """Replace the user's recovery codes; return the new ones, formatted."""
    # The device is kept, so a session verified with a recovery code stays so.
    device = StaticDevice.objects.filter(user=user).order_by("pk").first()
    if device is None:
        device = StaticDevice.objects.create(
            user=user, name=_stored_name("Recovery codes"), confirmed=True
        )
    StaticDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    device.token_set.all().delete()
    tokens = [StaticToken.random_token() for _i in range(RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create(
        [StaticToken(device=device, token=token) for token in tokens]
    )
    return [format_recovery_code(token) for token in tokens]


def throttle_message(extra):
    """Return the message for a device that refuses codes for a while."""
    locked_until = (extra or {}).get("locked_until")
    seconds = 1
    if locked_until is not None:
        seconds = max(1, math.ceil((locked_until - timezone.now()).total_seconds()))
    return ngettext(
        "Too many wrong codes: checking is paused. Try again in %(seconds)d second.",
        "Too many wrong codes: checking is paused. Try again in %(seconds)d seconds.",
        seconds,
    ) % {"seconds": seconds}


def _wrong_code():
    return CodeRefused(_("That code is not right. Check it and try again."), "invalid")


def _refuse_if_throttled(devices):
    # One pause for all of a person's devices: alternating between the app and
    # recovery codes does not buy extra guesses.
    for device in devices:
        allowed, extra = device.verify_is_allowed()
        if not allowed:
            raise CodeRefused(throttle_message(extra), "throttled")


# Actions


def _person(user):
    """Return the user object behind ``request.user``.

    ``request.user`` is a lazy object inside a lazy object (Django's, then
    django-otp's); Wagtail's audit log unwraps only one, and would silently
    write nothing.
    """
    while isinstance(user, LazyObject):
        if user._wrapped is empty:
            user._setup()
        user = user._wrapped
    return user


def confirm_enrolment(request, device, code):
    """Confirm ``device`` with a code from the app; return new recovery codes.

    The session counts as verified from then on. Raises ``CodeRefused``.
    """
    user = _person(request.user)
    if device.user_id != user.pk or device.confirmed:
        raise PermissionDenied
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().get(pk=device.pk)
        _refuse_if_throttled([device])
        confirmed = device.verify_token(normalise_code(code))
        if confirmed:
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
            codes = _new_recovery_codes(user)
            log(
                instance=user,
                action=ACTION_ENROL,
                user=user,
                data={"device": device.name, "recovery_codes": len(codes)},
            )
    # Outside the transaction, so that a wrong code still counts towards the pause.
    if not confirmed:
        raise _wrong_code()
    django_otp.login(request, device)
    return codes


def verify_second_factor(request, code):
    """Check a code from the app or a recovery code, and mark the session verified.

    A recovery code is used up. Returns the device that accepted the code;
    raises ``CodeRefused``.
    """
    user = _person(request.user)
    code = normalise_code(code)
    with transaction.atomic():
        devices = list(devices_for_user(user, confirmed=True, for_verify=True))
        if not devices:
            raise CodeRefused(
                _("Two-factor authentication is not set up for your account."),
                "no_device",
            )
        _refuse_if_throttled(devices)
        app = next((d for d in devices if isinstance(d, TOTPDevice)), None)
        recovery = next((d for d in devices if isinstance(d, StaticDevice)), None)
        # Six digits are for the app; anything else is taken as a recovery code.
        use_app = app is not None and code.isdigit() and len(code) == app.digits
        device = app if use_app else recovery
        verified = device is not None and device.verify_token(code)
    if not verified:
        log(
            instance=user,
            action=ACTION_FAILED,
            user=user,
            data={
                "method": "recovery_code"
                if isinstance(device, StaticDevice)
                else "authenticator"
            },
        )
        raise _wrong_code()
    django_otp.login(request, device)
    return device


def regenerate_recovery_codes(request):
    """Give the signed-in person new recovery codes; the old ones stop working."""
    user = _person(request.user)
    if not is_verified(user) or authenticator(user) is None:
        raise PermissionDenied
    with transaction.atomic():
        codes = _new_recovery_codes(user)
        log(
            instance=user,
            action=ACTION_RECOVERY_CODES,
            user=user,
            data={"recovery_codes": len(codes)},
        )
    return codes


def reset_two_factor(actor, user):
    """Remove all of ``user``'s second factors; they enrol again if required."""
    if not can_reset_two_factor(actor, user):
        raise PermissionDenied
    with transaction.atomic():
        removed = 0
        for device in list(devices_for_user(user, confirmed=None)):
            device.delete()
            removed += 1
        log(instance=user, action=ACTION_RESET, user=actor, data={"devices": removed})
    return removed


# Middleware


def _redirect_with_next(request, url_name):
    url = reverse(url_name)
    if request.method in ("GET", "HEAD"):
        url += "?" + urlencode({"next": request.get_full_path()})
    return redirect(url)


class TwoFactorMiddleware:
    """Hold the admin behind the second factor.

    Someone with a second factor who has not given it in this session is sent to
    the verify page; someone who must use two factors but has none is sent to
    enrolment. The check runs before any view middleware (such as password
    expiry), so the second factor comes first. ``RONGMEI_2FA_ENFORCED = False``
    switches it off.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.redirect_for(request) or self.get_response(request)

    def redirect_for(self, request):
        if not two_factor_enforced():
            return None
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        if not request.path.startswith(reverse("wagtailadmin_home")):
            return None
        try:
            match = resolve(request.path_info, getattr(request, "urlconf", None))
        except Resolver404:
            match = None
        if match is not None and match.url_name in EXEMPT_URL_NAMES:
            return None
        if is_verified(user):
            return None
        if has_two_factor(user):
            return _redirect_with_next(request, "rongmei_2fa_verify")
        if two_factor_required(user):
            return _redirect_with_next(request, "rongmei_2fa_enrol")
        return None
