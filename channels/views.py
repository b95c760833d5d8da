from django import forms
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import (
    FieldPanel,
    FieldRowPanel,
    InlinePanel,
    MultiFieldPanel,
    ObjectList,
)
from wagtail.admin.ui.tables import BooleanColumn, Column
from wagtail.snippets.views import chooser
from wagtail.snippets.views.snippets import (
    CreateView,
    DeleteView,
    EditView,
    HistoryView,
    IndexView,
    SnippetViewSet,
    UsageView,
)

from .forms import AccountForm
from .models import Account
from .permissions import AccountPermissionPolicy


class CredentialsColumn(BooleanColumn):
    """Shows whether credentials are set, never what they are."""

    def get_value(self, instance):
        return instance.has_credentials


class AccountIndexView(IndexView):
    def get_base_queryset(self):
        return self.permission_policy.instances_user_has_any_permission_for(
            self.request.user, ["view"]
        ).select_related("unit")


class InstancePermissionMixin:
    instance_action = "change"

    def dispatch(self, request, *args, **kwargs):
        self.object = self.get_object()
        if not self.user_has_permission_for_instance(self.instance_action, self.object):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


class AccountEditView(InstancePermissionMixin, EditView):
    pass


class AccountDeleteView(InstancePermissionMixin, DeleteView):
    instance_action = "delete"


class AccountHistoryView(InstancePermissionMixin, HistoryView):
    pass


class AccountUsageView(InstancePermissionMixin, UsageView):
    pass


class VisibleAccountsMixin:
    """Choosers list only the accounts the user may see."""

    def get_object_list(self):
        policy = AccountPermissionPolicy(Account)
        return policy.instances_user_has_any_permission_for(
            self.request.user, ["view"]
        ).select_related("unit")


class AccountChooseView(VisibleAccountsMixin, chooser.ChooseView):
    pass


class AccountChooseResultsView(VisibleAccountsMixin, chooser.ChooseResultsView):
    pass


class AccountChosenView(chooser.SnippetChosenView):
    def get_object(self, pk):
        account = super().get_object(pk)
        policy = AccountPermissionPolicy(Account)
        if not policy.user_has_permission_for_instance(
            self.request.user, "view", account
        ):
            raise PermissionDenied
        return account


class AccountChooserViewSet(chooser.SnippetChooserViewSet):
    choose_view_class = AccountChooseView
    choose_results_view_class = AccountChooseResultsView
    chosen_view_class = AccountChosenView


class AccountViewSet(SnippetViewSet):
    model = Account
    icon = "globe"
    menu_label = _("Accounts")
    menu_order = 210
    add_to_admin_menu = True
    list_display = [
        "name",
        Column("platform", label=_("platform"), accessor="get_platform_display"),
        "unit",
        Column("status", label=_("status"), accessor="get_status_display"),
        CredentialsColumn("credentials", label=_("credentials set")),
    ]
    list_filter = ["unit", "platform", "status"]
    search_fields = ["name", "platform_account_id"]
    index_view_class = AccountIndexView
    edit_view_class = AccountEditView
    delete_view_class = AccountDeleteView
    history_view_class = AccountHistoryView
    usage_view_class = AccountUsageView
    add_view_class = CreateView
    chooser_viewset_class = AccountChooserViewSet

    edit_handler = ObjectList([
        MultiFieldPanel(
            [
                # A plain select, so only the units the user manages are offered
                # (the unit chooser would list every unit).
                FieldRowPanel(
                    [FieldPanel("unit", widget=forms.Select), FieldPanel("platform")]
                ),
                FieldRowPanel([FieldPanel("name"), FieldPanel("platform_account_id")]),
                FieldPanel("home_url"),
                FieldRowPanel(
                    [FieldPanel("is_verified"), FieldPanel("verification_subject")]
                ),
                FieldPanel("purpose"),
                FieldRowPanel([FieldPanel("opened_on"), FieldPanel("status")]),
            ],
            heading=_("Filing"),
        ),
        MultiFieldPanel(
            [FieldRowPanel([FieldPanel("leader_name"), FieldPanel("leader_phone")])],
            heading=_("Responsible leader"),
        ),
        InlinePanel("administrators", heading=_("Administrators"), label=_("Administrator"), min_num=1),  # noqa: E501
        FieldPanel("publishing_units"),
        MultiFieldPanel(
            [
                FieldPanel("windows_text"),
                FieldRowPanel([
                    FieldPanel("daily_cap"),
                    FieldPanel("weekly_cap"),
                    FieldPanel("min_spacing_minutes"),
                ]),
                FieldPanel("blackout_text"),
            ],
            heading=_("Publishing schedule"),
        ),
        MultiFieldPanel(
            [FieldPanel("api_base_url"), FieldPanel("new_credentials")],
            heading=_("Connection"),
        ),
    ], base_form_class=AccountForm)  # fmt: skip
