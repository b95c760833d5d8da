"""The findings of the content checks, shown in the release editor."""

from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import Panel


class CheckFindingsPanel(Panel):
    """Findings of the checks on the latest saved version, with the found text
    marked, and a link to the review record."""

    class BoundPanel(Panel.BoundPanel):
        template_name = "moderation/panels/check_findings.html"

        def get_context_data(self, parent_context=None):
            from .workflows import latest_check_run

            context = super().get_context_data(parent_context)
            release = self.instance
            revision = release.latest_revision if release.pk else None
            run = latest_check_run(revision) if revision else None
            context.update(
                {
                    "run": run,
                    "findings": run.findings if run else [],
                    "release": release,
                }
            )
            return context

    def __init__(self, **kwargs):
        kwargs.setdefault("heading", _("Automatic checks"))
        super().__init__(**kwargs)
