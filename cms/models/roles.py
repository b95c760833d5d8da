from django.conf import settings
from django.contrib.auth.models import Group
from django.db import models
from django.utils.translation import gettext_lazy as _
from wagtail.search import index


class Role(models.TextChoices):
    """The roles a person can hold in a unit. See docs/permissions.md."""

    COLLECTOR = "collector", _("Collector")  # 信息采集员
    EDITOR = "editor", _("Editor")  # 内容编辑员
    FIRST_REVIEWER = "first_reviewer", _("First reviewer")  # 初审员
    SECOND_REVIEWER = "second_reviewer", _("Second reviewer")  # 复审员
    FINAL_REVIEWER = "final_reviewer", _("Final reviewer")  # 终审员
    UNIT_HEAD = "unit_head", _("Unit head")  # 部门负责人
    MAINTAINER = "maintainer", _("Technical maintainer")  # 技术维护员
    ARCHIVIST = "archivist", _("Archivist")  # 档案员


class RoleGroup(models.Model):
    """The Django group that carries one role's permissions in one unit."""

    unit = models.ForeignKey(
        "cms.Unit",
        verbose_name=_("unit"),
        on_delete=models.CASCADE,
        related_name="role_groups",
    )
    role = models.CharField(_("role"), max_length=32, choices=Role.choices)
    group = models.OneToOneField(
        Group,
        verbose_name=_("group"),
        on_delete=models.CASCADE,
        related_name="unit_role",
    )

    class Meta:
        verbose_name = _("role group")
        verbose_name_plural = _("role groups")
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "role"], name="cms_rolegroup_unique"
            )
        ]

    def __str__(self):
        return self.group.name


class RoleAssignmentQuerySet(models.QuerySet):
    def for_user(self, user):
        return self.filter(user=user)


class RoleAssignment(index.Indexed, models.Model):
    """A person holding a role in a unit. Saving or deleting it keeps the unit's
    role group membership in step (see cms.roles)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="role_assignments",
    )
    unit = models.ForeignKey(
        "cms.Unit",
        verbose_name=_("unit"),
        on_delete=models.CASCADE,
        related_name="role_assignments",
    )
    role = models.CharField(_("role"), max_length=32, choices=Role.choices)
    granted_at = models.DateTimeField(_("granted at"), auto_now_add=True)

    objects = RoleAssignmentQuerySet.as_manager()

    search_fields = [
        index.RelatedFields("user", [index.SearchField("username")]),
        index.RelatedFields("unit", [index.SearchField("name")]),
        index.FilterField("role"),
        index.FilterField("unit"),
    ]

    class Meta:
        verbose_name = _("role assignment")
        verbose_name_plural = _("role assignments")
        ordering = ["unit__code", "role", "user__username"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "unit", "role"],
                name="cms_roleassignment_unique",
                violation_error_message=_("This person already holds this role here."),
            )
        ]

    def __str__(self):
        return "%(user)s · %(unit)s · %(role)s" % {
            "user": self.user,
            "unit": self.unit,
            "role": self.get_role_display(),
        }
