"""Reviewer screens: the reviews waiting for me, the review of one release, and
the review record (审核单) as a printable form and as CSV."""

import csv
from datetime import timedelta

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView
from wagtail.admin import messages
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.models import TaskState, WorkflowState

from cms.models import ReleasePage

from .workflows import (
    ReviewOpinionForm,
    ReviewTask,
    finding_key,
    latest_check_run,
)


def highlight(finding):
    """The finding's excerpt with the found text marked."""
    text = finding.get("excerpt", "")
    return mark_safe(escape(text))  # noqa: S308 (escaped above)


def review_queue(user):
    """The in-progress stages ``user`` may decide, oldest first, with deadlines."""
    now = timezone.now()
    rows = []
    for task in ReviewTask.objects.filter(active=True):
        for task_state in task.get_task_states_user_can_moderate(user).select_related(
            "workflow_state", "revision"
        ):
            release = (
                ReleasePage.objects.filter(pk=task_state.workflow_state.object_id)
                .select_related("unit")
                .first()
            )
            if release is None:
                continue
            deadline = task_state.started_at + timedelta(hours=task.deadline_hours())
            rows.append(
                {
                    "task_state": task_state,
                    "task": task,
                    "release": release,
                    "age": now - task_state.started_at,
                    "deadline": deadline,
                    "overdue": now > deadline,
                }
            )
    rows.sort(key=lambda row: row["task_state"].started_at)
    return rows


class MyReviewsView(WagtailAdminTemplateMixin, TemplateView):
    """待我审核: what waits for my decision, with its age and deadline."""

    template_name = "moderation/my_reviews.html"
    page_title = gettext_lazy("Waiting for my review")
    header_icon = "tasks"

    def get_breadcrumbs_items(self):
        return self.breadcrumbs_items + [{"url": "", "label": self.get_page_title()}]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["rows"] = review_queue(self.request.user)
        return context


class ReviewView(WagtailAdminTemplateMixin, TemplateView):
    """Review one stage: the text with the findings, the warnings to acknowledge,
    the opinion, and the decision."""

    template_name = "moderation/review.html"
    header_icon = "tasks"

    def dispatch(self, request, task_state_id):
        self.task_state = get_object_or_404(
            TaskState.objects.select_related("workflow_state", "revision"),
            pk=task_state_id,
        )
        self.task = self.task_state.task.specific
        if not isinstance(self.task, ReviewTask):
            raise Http404
        self.release = get_object_or_404(
            ReleasePage, pk=self.task_state.workflow_state.object_id
        )
        if not self.task.user_can_access_editor(self.release, request.user):
            raise PermissionDenied
        return super().dispatch(request, task_state_id)

    def get_page_title(self):
        return _("Review: %(title)s") % {"title": self.release.title}

    def get_breadcrumbs_items(self):
        return self.breadcrumbs_items + [
            {
                "url": reverse("moderation_my_reviews"),
                "label": MyReviewsView.page_title,
            },
            {"url": "", "label": self.get_page_title()},
        ]

    def get_context_data(self, form=None, refusal=None, **kwargs):
        context = super().get_context_data(**kwargs)
        run = latest_check_run(self.task_state.revision)
        in_progress = self.task_state.status == TaskState.STATUS_IN_PROGRESS
        context.update(
            {
                "task_state": self.task_state,
                "task": self.task,
                "release": self.task_state.revision.as_object(),
                "run": run,
                "warnings": [
                    {**f, "key": finding_key(f), "highlighted": highlight(f)}
                    for f in (run.warning_findings if run else [])
                ],
                "blocking": run.blocking_findings if run else [],
                "form": form or ReviewOpinionForm(),
                "refusal": refusal
                or (
                    self.task.refusal(
                        self.task_state, self.request.user, "reject", "-", ()
                    )
                    if in_progress
                    else None
                ),
                "in_progress": in_progress,
                "acknowledged": set(self.request.POST.getlist("acknowledged")),
                "record_url": reverse(
                    "moderation_review_record", args=[self.release.pk]
                ),
            }
        )
        return context

    def post(self, request, task_state_id):
        form = ReviewOpinionForm(request.POST)
        action = request.POST.get("action")
        if action not in ("approve", "reject"):
            return self.render_to_response(
                self.get_context_data(form=form, refusal=_("Choose a decision."))
            )
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form))
        try:
            self.task.on_action(
                self.task_state, request.user, action, **form.cleaned_data
            )
        except PermissionDenied as e:
            # Refused after the stage was marked decided in memory (publishing
            # at the end of the run, for instance): the decision was rolled
            # back, so show the stage as it is, with the form and the reason.
            self.task_state = TaskState.objects.select_related(
                "workflow_state", "revision"
            ).get(pk=self.task_state.pk)
            return self.render_to_response(
                self.get_context_data(form=form, refusal=str(e))
            )
        done = (
            _("Approved: %(title)s")
            if action == "approve"
            else _("Sent back: %(title)s")
        )
        messages.success(request, done % {"title": self.release.title})
        return redirect("moderation_my_reviews")


def review_record_rows(release):
    """Every stage of every review run of ``release``, oldest first."""
    from .workflows import ReviewDecision

    rows = []
    states = (
        TaskState.objects.filter(
            workflow_state__in=WorkflowState.objects.for_instance(release)
        )
        .select_related("task", "finished_by", "revision", "workflow_state")
        .order_by("workflow_state__created_at", "started_at", "pk")
    )
    decisions = {
        d.task_state_id: d for d in ReviewDecision.objects.filter(task_state__in=states)
    }
    for state in states:
        decision = decisions.get(state.pk)
        rows.append(
            {
                "run": state.workflow_state_id,
                "stage": state.task.name,
                "status": state.get_status_display(),
                "reviewer": (
                    state.finished_by.get_full_name()
                    or state.finished_by.get_username()
                )
                if state.finished_by
                else "",
                "started_at": state.started_at,
                "finished_at": state.finished_at,
                "opinion": state.comment,
                "revision": state.revision_id,
                "acknowledged": decision.acknowledged if decision else [],
            }
        )
    return rows


class ReviewRecordView(WagtailAdminTemplateMixin, TemplateView):
    """审核单: the signed review form of a release, printable."""

    template_name = "moderation/review_record.html"
    header_icon = "doc-full"

    def dispatch(self, request, page_id):
        self.release = get_object_or_404(ReleasePage, pk=page_id)
        if not self.release.permissions_for_user(request.user).can_edit() and not any(
            task.user_can_access_editor(self.release, request.user)
            for task in ReviewTask.objects.all()
        ):
            raise PermissionDenied
        return super().dispatch(request, page_id)

    def get_page_title(self):
        return _("Review record: %(title)s") % {"title": self.release.title}

    def get_breadcrumbs_items(self):
        return self.breadcrumbs_items + [{"url": "", "label": self.get_page_title()}]

    def get(self, request, page_id):
        rows = review_record_rows(self.release)
        if request.GET.get("format") == "csv":
            return self.csv_response(rows)
        return self.render_to_response(
            self.get_context_data(release=self.release, rows=rows)
        )

    def csv_response(self, rows):
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = (
            'attachment; filename="review-record-%s.csv"' % self.release.pk
        )
        response.write("\ufeff")  # Excel reads UTF-8 with a BOM
        writer = csv.writer(response)
        writer.writerow(
            [
                _("Run"),
                _("Stage"),
                _("Status"),
                _("Reviewer"),
                _("Started"),
                _("Finished"),
                _("Opinion"),
                _("Revision"),
                _("Warnings acknowledged"),
            ]
        )
        for row in rows:
            writer.writerow(
                [
                    row["run"],
                    row["stage"],
                    row["status"],
                    row["reviewer"],
                    timezone.localtime(row["started_at"]).isoformat(),
                    timezone.localtime(row["finished_at"]).isoformat()
                    if row["finished_at"]
                    else "",
                    _safe_cell(row["opinion"]),
                    row["revision"],
                    "; ".join(row["acknowledged"]),
                ]
            )
        return response


def _safe_cell(value):
    """Keep spreadsheets from running a cell as a formula."""
    value = value or ""
    return "'" + value if value[:1] in ("=", "+", "-", "@") else value
