"""API tokens for machine clients: Wagtail's tokens with Rongmei's scopes.

Wagtail 8 keeps the tokens (``wagtail.models.APIToken``: shown once, stored as an
HMAC digest, revocable, last use recorded) and their admin views; Rongmei adds
what each token may be used for (``cms.models.TokenScopes``), asks for it when a
token is created, and lets DRF endpoints authenticate a token and require a
scope::

    class CheckView(APIView):
        authentication_classes = [TokenAuthentication]
        permission_classes = [HasScope("check")]
"""

from django import forms
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.permissions import BasePermission
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.ui.tables import Column
from wagtail.models import APIToken
from wagtail.users.views import api_tokens as wagtail_views

from ..models import TokenScopes

Scope = TokenScopes.Scope


def token_scopes(token):
    """The scopes of ``token``: a list of ``Scope`` values, empty when none
    were given (tokens made with Wagtail's ``api_tokens`` command)."""
    try:
        return list(token.rongmei_scopes.scopes)
    except TokenScopes.DoesNotExist:
        return []


def set_token_scopes(token, scopes):
    """Give ``token`` exactly ``scopes``, in the order of ``Scope``."""
    unknown = set(scopes) - set(Scope.values)
    if unknown:
        raise ValueError("Unknown API token scopes: %s" % ", ".join(sorted(unknown)))
    ordered = [scope for scope in Scope.values if scope in scopes]
    token.rongmei_scopes, _created = TokenScopes.objects.update_or_create(
        token=token, defaults={"scopes": ordered}
    )


def scopes_display(token):
    labels = dict(Scope.choices)
    return ", ".join(str(labels[s]) for s in token_scopes(token) if s in labels)


# Admin


class ScopesField(forms.MultipleChoiceField):
    widget = forms.CheckboxSelectMultiple

    def __init__(self, **kwargs):
        kwargs.setdefault("label", gettext_lazy("Scopes"))
        kwargs.setdefault(
            "help_text",
            gettext_lazy(
                "What the token may be used for. Read: read the API; check content: "
                "send content to be checked; archive: use the archive API."
            ),
        )
        super().__init__(choices=Scope.choices, **kwargs)
        self.error_messages["required"] = gettext_lazy("Choose at least one scope.")


class APITokenCreateForm(wagtail_views.APITokenForm):
    """Wagtail's token form (name, owner) with the scopes the token gets."""

    scopes = ScopesField()


class APITokenEditForm(WagtailAdminModelForm):
    """Rename a token or change its scopes; the token itself never changes."""

    scopes = ScopesField()

    class Meta:
        model = APIToken
        fields = ["name"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial.setdefault("scopes", token_scopes(self.instance))

    def save(self, commit=True):
        token = super().save(commit=commit)
        if commit:
            set_token_scopes(token, self.cleaned_data["scopes"])
        return token


class IndexView(wagtail_views.IndexView):
    @cached_property
    def columns(self):
        columns = list(super().columns)
        position = next(
            (i + 1 for i, c in enumerate(columns) if c.name == "name"), len(columns)
        )
        columns.insert(
            position,
            Column("scopes", label=gettext_lazy("Scopes"), accessor=scopes_display),
        )
        return columns

    def get_queryset(self):
        return super().get_queryset().select_related("rongmei_scopes")


class CreateView(wagtail_views.CreateView):
    """Wagtail's create view, saving the scopes with the token. Its answer
    shows the token once and is never cached (Wagtail's admin URLs send
    ``Cache-Control: no-store``)."""

    def get_initial(self):
        # Most people make tokens for themselves.
        return {**super().get_initial(), "user": self.request.user.pk}

    def form_valid(self, form):
        with transaction.atomic():
            response = super().form_valid(form)
            set_token_scopes(self.object, form.cleaned_data["scopes"])
        return response


class APITokenViewSet(wagtail_views.APITokenViewSet):
    """Wagtail's API token admin (Settings → API tokens) with scopes.

    Permissions are Wagtail's: the ``wagtailcore`` API token model permissions let
    a user manage their own tokens; managing other people's also takes the
    permission to change users, and only superusers manage superusers' tokens.
    """

    index_view_class = IndexView
    add_view_class = CreateView

    def get_form_class(self, for_update=False):
        return APITokenEditForm if for_update else APITokenCreateForm


# DRF


class TokenAuthentication(BaseAuthentication):
    """Authenticate ``Authorization: Bearer <token>`` with Wagtail's API tokens.

    Sets ``request.user`` to the token's owner and ``request.auth`` to the
    ``APIToken``. Unknown, malformed and revoked tokens and inactive owners are
    refused with 401; a request without a bearer token is left to the next
    authentication class.
    """

    keyword = "Bearer"

    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword.lower().encode():
            return None
        if len(parts) != 2:
            raise AuthenticationFailed(
                _("Malformed Authorization header: send “Bearer <token>”.")
            )
        try:
            plaintext = parts[1].decode("ascii")
        except UnicodeDecodeError:
            raise AuthenticationFailed(_("Malformed API token.")) from None
        if not APIToken.validate_token_format(plaintext):
            raise AuthenticationFailed(_("Malformed API token."))
        token = (
            APIToken.objects.select_related("user", "rongmei_scopes")
            .filter(key_hash__in=APIToken.candidate_key_hashes(plaintext))
            .first()
        )
        if token is None:
            raise AuthenticationFailed(_("Invalid API token."))
        if token.revoked_at is not None:
            raise AuthenticationFailed(_("This API token has been revoked."))
        if not token.user.is_active:
            raise AuthenticationFailed(_("The owner of this API token is inactive."))
        self.touch(token)
        return token.user, token

    def authenticate_header(self, request):
        # Makes DRF answer 401 rather than 403 to unauthenticated requests.
        return '%s realm="api"' % self.keyword

    def touch(self, token):
        """Record the use, at most once per interval as Wagtail's v3 API does."""
        interval = getattr(settings, "WAGTAILAPI_TOKEN_LAST_USED_INTERVAL", 60)
        if interval is None:
            return
        now = timezone.now()
        if (
            token.last_used_at is None
            or (now - token.last_used_at).total_seconds() >= interval
        ):
            APIToken.objects.filter(pk=token.pk).update(last_used_at=now)
            token.last_used_at = now


class ScopePermission(BasePermission):
    """Allow requests authenticated with an API token that has ``scope``."""

    scope = None

    def has_permission(self, request, view):
        token = request.auth
        if not isinstance(token, APIToken):
            self.message = _("This endpoint needs an API token.")
            return False
        if self.scope not in token_scopes(token):
            self.message = _("This API token does not have the scope “%(scope)s”.") % {
                "scope": self.scope
            }
            return False
        return True


def HasScope(scope):  # noqa: N802 (used as a class in permission_classes)
    """The permission class requiring an API token with ``scope``:
    ``permission_classes = [HasScope("check")]``; composes with ``&`` and ``|``."""
    if scope not in Scope.values:
        raise ValueError("Unknown API token scope %r" % scope)
    return type("HasScope_%s" % scope, (ScopePermission,), {"scope": scope})
