"""The three-stage review (三审) as Wagtail workflow tasks.

``AutomaticCheckTask`` runs the content checks and approves or rejects itself at
once; ``ReviewTask`` is one human stage (初审, 复审, 终审, 负责人审批, 管理部门审批),
whose reviewers come from the release's unit. Stages that do not apply are
recorded as skipped with the reason. The rules live in ``moderation.review``.
"""

from django import forms
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import models, transaction
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail.forms import TaskStateCommentForm
from wagtail.log_actions import log
from wagtail.models import Task, TaskState

from cms.models import ReleasePage
from cms.roles import units_where

from .review import Stage, is_reviewer, refusal, stage_applies


class CheckRun(models.Model):
    """The findings of the content checks on one revision of a release."""

    class Trigger(models.TextChoices):
        SAVE = "save", gettext_lazy("Saved")
        SUBMIT = "submit", gettext_lazy("Submitted for review")
        FINAL = "final", gettext_lazy("Final review")
        MANUAL = "manual", gettext_lazy("Checked on request")

    revision = models.ForeignKey(
        "wagtailcore.Revision",
        verbose_name=gettext_lazy("revision"),
        on_delete=models.CASCADE,
        related_name="check_runs",
    )
    release = models.ForeignKey(
        ReleasePage,
        verbose_name=gettext_lazy("release"),
        on_delete=models.CASCADE,
        related_name="check_runs",
    )
    trigger = models.CharField(
        gettext_lazy("trigger"), max_length=16, choices=Trigger.choices
    )
    findings = models.JSONField(gettext_lazy("findings"), default=list)
    blocking = models.PositiveIntegerField(gettext_lazy("blocking findings"), default=0)
    warnings = models.PositiveIntegerField(gettext_lazy("warnings"), default=0)
    created_at = models.DateTimeField(gettext_lazy("checked at"), auto_now_add=True)

    class Meta:
        verbose_name = gettext_lazy("check run")
        verbose_name_plural = gettext_lazy("check runs")
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return "%s · r%s" % (self.release_id, self.revision_id)

    @property
    def blocking_findings(self):
        return [f for f in self.findings if f["severity"] == "block"]

    @property
    def warning_findings(self):
        return [f for f in self.findings if f["severity"] == "warn"]


def finding_key(finding):
    """A stable name for a finding, used to record that it was acknowledged."""
    return "%s@%s:%s" % (finding["code"], finding["field"], finding["offset"])


def latest_check_run(revision):
    return CheckRun.objects.filter(revision=revision).first()


class ReviewDecision(models.Model):
    """What a reviewer acknowledged when deciding a stage (the opinion itself is
    the task state's comment)."""

    task_state = models.OneToOneField(
        TaskState,
        verbose_name=gettext_lazy("task state"),
        on_delete=models.CASCADE,
        related_name="review_decision",
    )
    acknowledged = models.JSONField(
        gettext_lazy("warnings acknowledged"), default=list, blank=True
    )

    class Meta:
        verbose_name = gettext_lazy("review decision")
        verbose_name_plural = gettext_lazy("review decisions")


class AnyChoicesField(forms.MultipleChoiceField):
    """The warnings to acknowledge depend on the revision, which the form does not
    know: ``ReviewTask.refusal`` checks them."""

    def valid_value(self, value):
        return True


class ReviewOpinionForm(TaskStateCommentForm):
    """Every decision needs a written opinion (审核意见); an approval also
    acknowledges each warning of the revision."""

    comment = forms.CharField(
        label=gettext_lazy("Review opinion"),
        widget=forms.Textarea({"rows": 3}),
        error_messages={
            "required": gettext_lazy(
                "Write your review opinion: every decision needs one."
            )
        },
    )
    acknowledged = AnyChoicesField(required=False)


class AutomaticCheckTask(Task):
    """Run the content checks: blocking findings send the release back with the
    findings as the comment; otherwise the step approves itself."""

    class Meta:
        verbose_name = gettext_lazy("Automatic content checks")
        verbose_name_plural = gettext_lazy("Automatic content checks")

    @classmethod
    def get_description(cls):
        return _("Secrecy, personal data, lexicon, typos and platform limits.")

    def start(self, workflow_state, user=None):
        from .checking import check_revision, findings_comment

        task_state = super().start(workflow_state, user=user)
        run = check_revision(task_state.revision, CheckRun.Trigger.SUBMIT)
        if run.blocking:
            task_state.reject(user=None, update=False, comment=findings_comment(run))
        else:
            task_state.approve(user=None, update=False, comment=findings_comment(run))
        return task_state


class ReviewTask(Task):
    """One human review stage, reviewed by the release unit's holders of the
    stage's role (and the managing department's)."""

    stage = models.CharField(
        gettext_lazy("stage"), max_length=16, choices=Stage.CHOICES, unique=True
    )

    admin_form_fields = Task.admin_form_fields + ["stage"]

    class Meta:
        verbose_name = gettext_lazy("Review stage")
        verbose_name_plural = gettext_lazy("Review stages")

    @classmethod
    def get_description(cls):
        return _("Reviewers come from the release's unit and the stage's role.")

    def _release(self, obj):
        release = obj.specific if hasattr(obj, "specific") else obj
        return release if isinstance(release, ReleasePage) else None

    def start(self, workflow_state, user=None):
        release = self._release(workflow_state.content_object)
        applies, reason = stage_applies(self.stage, release)
        if release is not None and not applies:
            task_state = TaskState.objects.create(
                workflow_state=workflow_state,
                task=self,
                revision=release.get_latest_revision(),
                status=TaskState.STATUS_SKIPPED,
                finished_at=timezone.now(),
                comment=reason,
            )
            log(
                instance=release,
                action="rongmei.review_skipped",
                data={"stage": self.stage, "reason": reason},
                revision=task_state.revision,
            )
            return task_state
        task_state = super().start(workflow_state, user=user)
        if self.stage == Stage.FINAL and release is not None:
            from .checking import check_revision, findings_comment

            run = check_revision(task_state.revision, CheckRun.Trigger.FINAL)
            if run.blocking:
                task_state.reject(
                    user=None, update=False, comment=findings_comment(run)
                )
        return task_state

    def user_can_access_editor(self, obj, user):
        release = self._release(obj)
        return release is not None and (
            user.is_superuser or is_reviewer(user, self.stage, release.unit)
        )

    def locked_for_user(self, obj, user):
        return False

    def get_actions(self, obj, user):
        release = self._release(obj)
        if release is None:
            return []
        if user.is_superuser or is_reviewer(user, self.stage, release.unit):
            return [
                ("reject", _("Request changes"), True),
                ("approve", _("Approve"), True),
            ]
        return []

    def get_form_for_action(self, action):
        return ReviewOpinionForm

    def get_template_for_action(self, action):
        return "moderation/workflow_action_modal.html"

    def refusal(self, task_state, user, action_name, comment="", acknowledged=()):
        """Return why ``user`` may not take ``action_name`` now, or ``None``."""
        release = self._release(task_state.workflow_state.content_object)
        reason = refusal(user, task_state, self.stage, release.unit)
        if reason:
            return reason
        if not (comment or "").strip():
            return _("Write your review opinion: every decision needs one.")
        if action_name == "approve":
            run = latest_check_run(task_state.revision)
            pending = [
                f["message"]
                for f in (run.warning_findings if run else [])
                if finding_key(f) not in set(acknowledged or ())
            ]
            if pending:
                return _("Acknowledge each warning before approving: %(list)s") % {
                    "list": "；".join(pending)
                }
        return None

    @transaction.atomic
    def on_action(self, task_state, user, action_name, **kwargs):
        comment = kwargs.get("comment", "")
        acknowledged = list(kwargs.get("acknowledged") or [])
        reason = self.refusal(task_state, user, action_name, comment, acknowledged)
        if reason:
            raise PermissionDenied(reason)
        ReviewDecision.objects.update_or_create(
            task_state=task_state, defaults={"acknowledged": acknowledged}
        )
        if action_name == "approve":
            task_state.approve(user=user, comment=comment)
        elif action_name == "reject":
            task_state.reject(user=user, comment=comment)

    def get_task_states_user_can_moderate(self, user, **kwargs):
        if user.is_superuser:
            release_ids = ReleasePage.objects.values("pk")
        else:
            if self.stage == Stage.MANAGING:
                from cms.models import RoleAssignment, Unit

                managing = RoleAssignment.objects.filter(
                    user=user,
                    role__in=Stage.ROLES[self.stage],
                    unit__kind=Unit.Kind.MANAGING,
                ).exists()
                release_ids = (
                    ReleasePage.objects.values("pk")
                    if managing
                    else ReleasePage.objects.none().values("pk")
                )
            else:
                units = units_where(user, Stage.ROLES[self.stage])
                release_ids = ReleasePage.objects.filter(unit__in=units).values("pk")
        return (
            self.task_states.filter(status=TaskState.STATUS_IN_PROGRESS)
            .annotate(
                release_pk=Cast("workflow_state__object_id", models.BigIntegerField())
            )
            .filter(release_pk__in=release_ids)
        )

    def deadline_hours(self):
        hours = getattr(settings, "RONGMEI_REVIEW_DEADLINE_HOURS", {})
        return hours.get(self.stage, hours.get("default", 24))


class Notification(models.Model):
    """A message to one person in the admin (rejections, for now)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=gettext_lazy("user"),
        on_delete=models.CASCADE,
        related_name="rongmei_notifications",
    )
    message = models.TextField(gettext_lazy("message"))
    url = models.CharField(gettext_lazy("link"), max_length=500, blank=True)
    created_at = models.DateTimeField(gettext_lazy("created at"), auto_now_add=True)
    read_at = models.DateTimeField(gettext_lazy("read at"), null=True, blank=True)

    class Meta:
        verbose_name = gettext_lazy("notification")
        verbose_name_plural = gettext_lazy("notifications")
        ordering = ["-created_at"]

    def __str__(self):
        return self.message[:50]
