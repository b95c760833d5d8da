from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from wagtail.search import index


class UnitQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_active=True)


class Unit(index.Indexed, models.Model):
    """An organisation unit (单位): a department, school or subsidiary.

    Whoever runs it is responsible for it (谁主办谁负责): it owns accounts and a
    section of the page tree, and its role groups act only on that section.
    """

    class Kind(models.TextChoices):
        MANAGING = "managing", _("Managing department")
        SECONDARY = "secondary", _("Secondary unit")
        DIRECT = "direct", _("Directly affiliated unit")

    name = models.CharField(_("name"), max_length=100, unique=True)
    code = models.CharField(
        _("short code"),
        max_length=32,
        unique=True,
        validators=[
            RegexValidator(
                r"^[a-z][a-z0-9-]*$",
                _("Use lower-case letters, digits and hyphens; start with a letter."),
            )
        ],
        help_text=_("Used in addresses and group names, e.g. xcb or jwc."),
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    kind = models.CharField(
        _("kind"), max_length=16, choices=Kind.choices, default=Kind.SECONDARY
    )
    head = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("unit head"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    contact_phone = models.CharField(_("contact phone"), max_length=32, blank=True)
    contact_email = models.EmailField(_("contact email"), blank=True)
    is_active = models.BooleanField(
        _("active"),
        default=True,
        help_text=_(
            "An inactive unit keeps its content and accounts, but no new releases "
            "can be created in it."
        ),
    )

    collection = models.OneToOneField(
        "wagtailcore.Collection",
        verbose_name=_("media collection"),
        null=True,
        blank=True,
        editable=False,
        on_delete=models.SET_NULL,
        related_name="unit",
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = UnitQuerySet.as_manager()

    search_fields = [
        index.SearchField("name"),
        index.AutocompleteField("name"),
        index.FilterField("kind"),
        index.FilterField("is_active"),
    ]

    class Meta:
        verbose_name = _("unit")
        verbose_name_plural = _("units")
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind"],
                condition=models.Q(kind="managing"),
                name="cms_unit_one_managing_department",
                violation_error_message=_(
                    "There is already a managing department; there can be only one."
                ),
            ),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        errors = {}
        ancestor = self.parent
        while ancestor is not None:
            if self.pk and ancestor.pk == self.pk:
                errors["parent"] = _("A unit cannot be placed under itself.")
                break
            ancestor = ancestor.parent
        if self.pk:
            was = Unit.objects.filter(pk=self.pk).values_list("kind", flat=True).first()
            if was == self.Kind.MANAGING and self.kind != self.Kind.MANAGING:
                errors["kind"] = _(
                    "The managing department cannot change its kind: there must "
                    "always be exactly one."
                )
            if was == self.Kind.MANAGING and not self.is_active:
                errors["is_active"] = _(
                    "The managing department cannot be deactivated."
                )
        if errors:
            raise ValidationError(errors)

    @property
    def is_managing_department(self):
        return self.kind == self.Kind.MANAGING

    def get_ancestors(self):
        """Return the units above this one, nearest first."""
        ancestors = []
        unit = self.parent
        while unit is not None and unit not in ancestors:
            ancestors.append(unit)
            unit = unit.parent
        return ancestors

    @classmethod
    def managing_department(cls):
        return cls.objects.filter(kind=cls.Kind.MANAGING).first()
