from django.contrib import messages
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail import hooks
from wagtail.admin.ui.tables import Column
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet, SnippetViewSetGroup

from .models import RoleAssignment, Unit


class UnitViewSet(SnippetViewSet):
    model = Unit
    icon = "group"
    menu_label = gettext_lazy("Units")
    list_display = [
        "name",
        "code",
        Column("kind", label=gettext_lazy("kind"), accessor="get_kind_display"),
        "parent",
        "is_active",
    ]
    list_filter = ["kind", "is_active"]
    search_fields = ["name", "code"]


class RoleAssignmentViewSet(SnippetViewSet):
    """Who holds which role where (the admin screen for local roles)."""

    model = RoleAssignment
    icon = "key"
    menu_label = gettext_lazy("Roles")
    list_display = [
        "user",
        "unit",
        Column("role", label=gettext_lazy("role"), accessor="get_role_display"),
        "granted_at",
    ]
    list_filter = ["unit", "role"]
    search_fields = ["user__username", "unit__name"]


class OrganisationGroup(SnippetViewSetGroup):
    items = (UnitViewSet, RoleAssignmentViewSet)
    menu_icon = "group"
    menu_label = gettext_lazy("Organisation")
    menu_name = "organisation"
    menu_order = 800


register_snippet(OrganisationGroup)


def _may_submit(request, parent_page):
    perms = parent_page.permissions_for_user(request.user)
    return request.user.is_superuser or "change" in perms.permissions


@hooks.register("before_create_page")
def save_instead_of_submit(request, parent_page, page_class):
    """Collectors draft; only roles that may edit the section submit for review.

    A refused submission is saved as a draft, so nothing typed is lost.
    """
    if request.method == "POST" and request.POST.get("action-submit"):
        if not _may_submit(request, parent_page):
            request.POST = request.POST.copy()
            del request.POST["action-submit"]
            messages.warning(
                request,
                _(
                    "You may save drafts here but not submit them for review: "
                    "the release was saved as a draft."
                ),
            )
    return None


# Security hooks live beside their code; importing them registers them.
from .security import audit_hooks, token_hooks, two_factor_hooks  # noqa: E402, F401
