from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from .passwords import password_expired, password_max_age

#: Admin URL names reachable while a password has expired.
EXEMPT_URL_NAMES = {
    "wagtailadmin_account",
    "wagtailadmin_logout",
    "wagtailadmin_login",
    "wagtailadmin_javascript_catalog",
    "wagtailadmin_sprite",
    # The second factor comes before the password change.
    "rongmei_2fa_verify",
    "rongmei_2fa_enrol",
}


class PasswordExpiryMiddleware:
    """Send a user whose password has expired to the change-password page first."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        if not request.path.startswith(reverse("wagtailadmin_home")):
            return None
        if request.resolver_match.url_name in EXEMPT_URL_NAMES:
            return None
        if not password_expired(user):
            return None
        messages.warning(
            request,
            _(
                "Your password has expired: passwords must be changed every "
                "%(days)d days. Choose a new one before you go on."
            )
            % {"days": password_max_age_days()},
        )
        return redirect(reverse("wagtailadmin_account") + "#password")


def password_max_age_days():
    age = password_max_age()
    return age.days if age else 0
