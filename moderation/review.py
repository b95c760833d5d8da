"""The rules of the three-stage review (三审), apart from Wagtail's machinery.

Which stages apply to a release, who may act at a stage, and why someone may not:
one place, so the workflow tasks, the review screens and the API all refuse for the
same reasons, in the same words.
"""

from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cms.models import ReleasePage, Role, RoleAssignment, Unit


class Stage:
    """The human stages, in order, with the roles that review each."""

    FIRST = "first"
    SECOND = "second"
    FINAL = "final"
    UNIT_HEAD = "unit_head"
    MANAGING = "managing"

    CHOICES = [
        (FIRST, gettext_lazy("First review (language and format)")),
        (SECOND, gettext_lazy("Second review (facts and sources)")),
        (FINAL, gettext_lazy("Final review (direction, legality, publication)")),
        (UNIT_HEAD, gettext_lazy("Unit head approval")),
        (MANAGING, gettext_lazy("Managing department approval")),
    ]

    #: Roles whose holders review each stage.
    ROLES = {
        FIRST: [Role.FIRST_REVIEWER],
        SECOND: [Role.SECOND_REVIEWER],
        FINAL: [Role.FINAL_REVIEWER],
        UNIT_HEAD: [Role.UNIT_HEAD],
        MANAGING: [Role.FINAL_REVIEWER, Role.UNIT_HEAD],
    }


class ReviewRefused(Exception):
    """The person may not take this decision; ``str(e)`` says why."""


def stage_applies(stage, release):
    """Return ``(applies, reason)``: whether ``release`` needs ``stage``, and why."""
    importance = release.importance
    if stage == Stage.UNIT_HEAD:
        if importance in (
            ReleasePage.Importance.IMPORTANT,
            ReleasePage.Importance.MAJOR,
        ):
            return True, _("The release is marked important or major.")
        return False, _(
            "Skipped: only important and major releases need the unit head."
        )
    if stage == Stage.MANAGING:
        if importance == ReleasePage.Importance.MAJOR:
            return True, _("The release is marked major.")
        if release.is_sensitive:
            return True, _("The release touches a sensitive topic.")
        return False, _(
            "Skipped: only major or sensitive releases need the managing department."
        )
    return True, ""


def reviewers(stage, unit):
    """Active users who review ``stage`` for releases of ``unit``.

    The unit's holders of the stage's roles review it, and the managing
    department's holders too (its roles reach every unit); the managing
    department's stage is reviewed by the managing department only.
    """
    managing = Unit.objects.filter(kind=Unit.Kind.MANAGING)
    if stage == Stage.MANAGING:
        where = Q(unit__in=managing)
    else:
        where = Q(unit=unit) | Q(unit__in=managing)
    user_ids = RoleAssignment.objects.filter(where, role__in=Stage.ROLES[stage]).values(
        "user_id"
    )
    return get_user_model().objects.filter(pk__in=user_ids, is_active=True)


def is_reviewer(user, stage, unit):
    if not (user.is_authenticated and user.is_active):
        return False
    return reviewers(stage, unit).filter(pk=user.pk).exists()


def writers_of(revision):
    """The people who wrote any part of the text up to ``revision``: its owner and
    the authors of every revision until then."""
    page = revision.content_object
    ids = set(
        page.revisions.filter(created_at__lte=revision.created_at)
        .exclude(user=None)
        .values_list("user_id", flat=True)
    )
    if getattr(page, "owner_id", None):
        ids.add(page.owner_id)
    return ids


def refusal(user, task_state, stage, unit):
    """Return why ``user`` may not decide ``task_state`` (a stage), or ``None``.

    Superusers are bound by separation of duties too: nobody reviews their own
    text or reviews twice in one run.
    """
    if not user.is_superuser and not is_reviewer(user, stage, unit):
        return _("You do not hold a role that reviews this stage for %(unit)s.") % {
            "unit": unit
        }
    # The version that will go out is the latest, whatever the stage started on.
    latest = task_state.workflow_state.content_object.get_latest_revision()
    if user.pk in writers_of(latest or task_state.revision):
        return _(
            "You wrote or edited this version of the release, so someone else must "
            "review it."
        )
    from wagtail.models import TaskState

    earlier = (
        TaskState.objects.filter(
            workflow_state=task_state.workflow_state,
            status=TaskState.STATUS_APPROVED,
            finished_by=user,
        )
        # Approving the same stage again, for a newer version, is no second stage.
        .exclude(task_id=task_state.task_id)
        .exists()
    )
    if earlier:
        return _(
            "You already approved another stage of this review, and one person "
            "approves one stage only."
        )
    return None
