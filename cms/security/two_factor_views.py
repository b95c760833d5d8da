"""Admin views of two-factor authentication: verify, enrol, recovery codes, reset.

The state changes themselves are in ``two_factor``; these views show forms and
turn its answers into pages.
"""

from urllib.parse import urlencode

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views import View
from django.views.decorators.debug import sensitive_post_parameters
from django.views.generic import TemplateView
from django_otp.plugins.otp_static.models import StaticDevice
from wagtail.admin import messages
from wagtail.admin.views.generic import WagtailAdminTemplateMixin

from . import two_factor

TEMPLATES = "cms/security/two_factor/"


class VerifyForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Code"),
        max_length=32,
        help_text=gettext_lazy(
            "The 6-digit code your authenticator app shows now, or one of your "
            "recovery codes."
        ),
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "autofocus": True,
                "autocapitalize": "off",
                "spellcheck": "false",
            }
        ),
    )


class EnrolForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Code from the app"),
        max_length=16,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "autofocus": True,
            }
        ),
    )


def next_url(request, default=None):
    """Return the ``next`` address if it stays on this site, else ``default``."""
    url = request.POST.get("next") or request.GET.get("next")
    if url and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return url
    return default or reverse("wagtailadmin_home")


def _url_with_next(url_name, next_to):
    return "%s?%s" % (reverse(url_name), urlencode({"next": next_to}))


def _render_recovery_codes(request, codes, continue_url, enrolled=False):
    return TemplateResponse(
        request,
        TEMPLATES + "recovery_codes.html",
        {"codes": codes, "continue_url": continue_url, "enrolled": enrolled},
    )


@method_decorator(sensitive_post_parameters("code"), name="dispatch")
class VerifyView(View):
    """Ask for the second factor after a password sign-in."""

    template_name = TEMPLATES + "verify.html"

    def dispatch(self, request, *args, **kwargs):
        user = request.user
        if two_factor.is_verified(user):
            return redirect(next_url(request))
        if not two_factor.has_two_factor(user):
            if two_factor.two_factor_required(user):
                return redirect(_url_with_next("rongmei_2fa_enrol", next_url(request)))
            return redirect(next_url(request))
        return super().dispatch(request, *args, **kwargs)

    def render(self, form):
        return TemplateResponse(
            self.request,
            self.template_name,
            {"form": form, "next": next_url(self.request)},
        )

    def get(self, request):
        return self.render(VerifyForm())

    def post(self, request):
        form = VerifyForm(request.POST)
        if form.is_valid():
            try:
                device = two_factor.verify_second_factor(
                    request, form.cleaned_data["code"]
                )
            except two_factor.CodeRefused as refused:
                form.add_error("code", forms.ValidationError(refused.message))
            else:
                if isinstance(device, StaticDevice):
                    left = device.token_set.count()
                    messages.warning(
                        request,
                        ngettext(
                            "You signed in with a recovery code; it cannot be used "
                            "again. %(count)d recovery code is left.",
                            "You signed in with a recovery code; it cannot be used "
                            "again. %(count)d recovery codes are left.",
                            left,
                        )
                        % {"count": left},
                    )
                return redirect(next_url(request))
        return self.render(form)


@method_decorator(sensitive_post_parameters("code"), name="dispatch")
class EnrolView(View):
    """Set up an authenticator app: QR code, secret, and a code to confirm it."""

    template_name = TEMPLATES + "enrol.html"

    def dispatch(self, request, *args, **kwargs):
        if two_factor.has_two_factor(request.user):
            messages.info(
                request, _("Two-factor authentication is already set up for you.")
            )
            return redirect("rongmei_2fa_manage")
        return super().dispatch(request, *args, **kwargs)

    def render(self, form, device):
        return TemplateResponse(
            self.request,
            self.template_name,
            {
                "form": form,
                "qr_code": two_factor.qr_code_svg(device),
                "secret": two_factor.secret_for_display(device),
                "required": two_factor.two_factor_required(self.request.user),
                "next": next_url(self.request),
            },
        )

    def get(self, request):
        return self.render(EnrolForm(), two_factor.pending_authenticator(request.user))

    def post(self, request):
        device = two_factor.pending_authenticator(request.user)
        form = EnrolForm(request.POST)
        if form.is_valid():
            try:
                codes = two_factor.confirm_enrolment(
                    request, device, form.cleaned_data["code"]
                )
            except two_factor.CodeRefused as refused:
                form.add_error("code", forms.ValidationError(refused.message))
            else:
                return _render_recovery_codes(
                    request, codes, next_url(request), enrolled=True
                )
        return self.render(form, device)


class ManageView(WagtailAdminTemplateMixin, TemplateView):
    """The person's own two-factor settings."""

    template_name = TEMPLATES + "manage.html"
    page_title = gettext_lazy("Two-factor authentication")
    header_icon = "key"

    def get_breadcrumbs_items(self):
        return super().get_breadcrumbs_items() + [
            {"url": reverse("wagtailadmin_account"), "label": _("Account")},
            {"url": "", "label": self.get_page_title()},
        ]

    def get_context_data(self, **kwargs):
        user = self.request.user
        context = super().get_context_data(**kwargs)
        context.update(
            {
                "required": two_factor.two_factor_required(user),
                "device": two_factor.authenticator(user),
                "verified": two_factor.is_verified(user),
                "codes_left": two_factor.recovery_codes_left(user),
            }
        )
        return context


class RecoveryCodesView(View):
    """Replace the person's recovery codes and show the new ones once."""

    http_method_names = ["get", "post"]

    def get(self, request):
        return redirect("rongmei_2fa_manage")

    def post(self, request):
        user = request.user
        if two_factor.authenticator(user) is None:
            return redirect("rongmei_2fa_manage")
        if not two_factor.is_verified(user):
            return redirect(
                _url_with_next("rongmei_2fa_verify", reverse("rongmei_2fa_manage"))
            )
        codes = two_factor.regenerate_recovery_codes(request)
        return _render_recovery_codes(request, codes, reverse("rongmei_2fa_manage"))


class ResetView(WagtailAdminTemplateMixin, TemplateView):
    """Remove someone's second factor, after a confirmation."""

    template_name = TEMPLATES + "reset.html"
    page_title = gettext_lazy("Reset two-factor authentication")
    header_icon = "key"

    def dispatch(self, request, user_id):
        self.person = get_object_or_404(get_user_model(), pk=user_id)
        if not two_factor.can_reset_two_factor(request.user, self.person):
            raise PermissionDenied
        return super().dispatch(request, user_id)

    def get_page_subtitle(self):
        return str(self.person)

    def get_breadcrumbs_items(self):
        return super().get_breadcrumbs_items() + [
            {"url": reverse("wagtailusers_users:index"), "label": _("Users")},
            {
                "url": reverse("wagtailusers_users:edit", args=[self.person.pk]),
                "label": str(self.person),
            },
            {"url": "", "label": self.get_page_title()},
        ]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            {
                "person": self.person,
                "has_two_factor": two_factor.has_two_factor(self.person),
                "required": two_factor.two_factor_required(self.person),
            }
        )
        return context

    def post(self, request, user_id):
        two_factor.reset_two_factor(request.user, self.person)
        messages.success(
            request,
            _("Two-factor authentication of %(user)s was reset.")
            % {"user": self.person},
        )
        return redirect("wagtailusers_users:index")
