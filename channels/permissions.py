"""Who may see and manage which accounts: per unit, not per model."""

from wagtail.permission_policies.base import ModelPermissionPolicy

from cms.models import Role, Unit
from cms.roles import ACCOUNT_MANAGER_ROLES, units_where

from .models import Account

MANAGE_ACTIONS = {"add", "change", "delete"}


def account_units(user, action):
    """The units whose accounts ``user`` may perform ``action`` on."""
    roles = ACCOUNT_MANAGER_ROLES if action in MANAGE_ACTIONS else set(Role)
    return units_where(user, roles)


class AccountPermissionPolicy(ModelPermissionPolicy):
    """Everyone with a role sees the accounts of their units; the unit's
    technical maintainers (and the managing department's) manage them."""

    def user_has_permission(self, user, action):
        if not (user.is_active and user.is_authenticated):
            return False
        if user.is_superuser:
            return True
        return account_units(user, action).exists()

    def user_has_permission_for_instance(self, user, action, instance):
        if not (user.is_active and user.is_authenticated):
            return False
        if user.is_superuser:
            return True
        return account_units(user, action).filter(pk=instance.unit_id).exists()

    def instances_user_has_any_permission_for(self, user, actions):
        if not (user.is_active and user.is_authenticated):
            return Account.objects.none()
        if user.is_superuser:
            return Account.objects.all()
        units = Unit.objects.none()
        for action in actions:
            units = units | account_units(user, action)
        return Account.objects.filter(unit__in=units.values("pk"))

    def users_with_any_permission(self, actions):
        return super().users_with_any_permission(actions)
