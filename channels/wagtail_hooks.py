import copy

from django.db.models import Q
from wagtail import hooks
from wagtail.permissions import policy_registry
from wagtail.snippets.models import register_snippet

from .models import Account
from .permissions import AccountPermissionPolicy
from .views import AccountViewSet

policy_registry.register(Account, AccountPermissionPolicy(Account))
register_snippet(AccountViewSet)


@hooks.register("construct_release_form")
def limit_target_accounts(form, unit):
    """Offer only the accounts the release's unit may publish to (plus those it
    already targets, so an account closed later does not block editing)."""
    formset = form.formsets.get("targets")
    if formset is None:
        return
    allowed = Q(pk__in=[])
    if unit is not None:
        allowed = Q(pk__in=Account.objects.publishable_by(unit).values("pk"))
    if form.instance.pk:
        allowed |= Q(release_targets__release=form.instance.pk)
    base_fields = copy.deepcopy(formset.form.base_fields)
    base_fields["account"].queryset = (
        Account.objects.filter(allowed).distinct().select_related("unit")
    )
    formset.form = type(formset.form.__name__, (formset.form,), {})
    formset.form.base_fields = base_fields


from . import calendar_hooks, delivery_hooks  # noqa: E402,F401
