from django.urls import path, reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from wagtail.admin.ui.tables import BooleanColumn
from wagtail.admin.viewsets.base import ViewSetGroup
from wagtail.admin.widgets.button import Button
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import IndexView, SnippetViewSet

from .models import ApprovedSource, LexiconTerm
from .views import ExportView, ImportView


class ListIndexView(IndexView):
    """The listing, with import and export in its header menu."""

    import_url_name = None
    export_url_name = None

    @cached_property
    def header_more_buttons(self):
        buttons = list(super().header_more_buttons)
        user = self.request.user
        policy = self.permission_policy
        if policy.user_has_permission(user, "add") and policy.user_has_permission(
            user, "change"
        ):
            buttons.append(
                Button(
                    _("Import"),
                    url=reverse(self.import_url_name),
                    icon_name="upload",
                    priority=10,
                )
            )
        query = ""
        category = self.request.GET.get("category")
        if category:
            query = "?category=" + category
        for kind, label in (("txt", _("Export as text")), ("csv", _("Export as CSV"))):
            buttons.append(
                Button(
                    label,
                    url=reverse(self.export_url_name, kwargs={"kind": kind}) + query,
                    icon_name="download",
                    priority=20,
                )
            )
        return buttons


class ListViewSet(SnippetViewSet):
    """A snippet viewset with plain-text and CSV import and export."""

    index_view_class = ListIndexView
    search_backend_name = None
    add_to_admin_menu = False

    def get_index_view_kwargs(self, **kwargs):
        return super().get_index_view_kwargs(
            import_url_name=self.get_url_name("import"),
            export_url_name=self.get_url_name("export"),
            **kwargs,
        )

    def _list_view_kwargs(self):
        return {
            "model": self.model,
            "permission_policy": self.permission_policy,
            "index_url_name": self.get_url_name("list"),
        }

    @property
    def import_view(self):
        return ImportView.as_view(
            import_url_name=self.get_url_name("import"),
            header_icon=self.icon,
            breadcrumbs_items=self.breadcrumbs_items,
            **self._list_view_kwargs(),
        )

    @property
    def export_view(self):
        return ExportView.as_view(**self._list_view_kwargs())

    def get_urlpatterns(self):
        return super().get_urlpatterns() + [
            path("import/", self.import_view, name="import"),
            path("export/<str:kind>/", self.export_view, name="export"),
        ]


class LexiconTermViewSet(ListViewSet):
    model = LexiconTerm
    icon = "clipboard-list"
    menu_label = _("Lexicon")
    menu_order = 100
    list_display = [
        "term",
        "category",
        "severity",
        "suggestion",
        BooleanColumn("is_active", label=_("Active"), sort_key="is_active"),
        "updated_at",
    ]
    list_filter = ["category", "severity", "is_active"]
    search_fields = ["term", "suggestion", "note"]
    ordering = ["category", "term"]
    list_per_page = 100


class ApprovedSourceViewSet(ListViewSet):
    model = ApprovedSource
    icon = "globe"
    menu_label = _("Approved sources")
    menu_order = 200
    list_display = [
        "name",
        "domain",
        "note",
        BooleanColumn("is_active", label=_("Active"), sort_key="is_active"),
        "updated_at",
    ]
    list_filter = ["is_active"]
    search_fields = ["name", "domain", "note"]
    list_per_page = 100


class ContentCheckGroup(ViewSetGroup):
    menu_label = _("Content checks")  # 内容检查
    menu_icon = "warning"
    menu_order = 350
    items = (LexiconTermViewSet, ApprovedSourceViewSet)


register_snippet(ContentCheckGroup)


# The review screens' hooks live beside their views; importing registers them.
from . import review_hooks  # noqa: E402, F401
