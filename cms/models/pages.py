from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from modelcluster.contrib.taggit import ClusterTaggableManager
from modelcluster.fields import ParentalKey
from modelcluster.models import model_from_serializable_data
from taggit.models import TaggedItemBase
from wagtail.admin.panels import FieldPanel, FieldRowPanel, MultiFieldPanel
from wagtail.api import APIField
from wagtail.fields import StreamField
from wagtail.images.api.fields import ImageRenditionField
from wagtail.models import Page, PagePermissionTester
from wagtail.search import index

from ..blocks import ReleaseBodyBlock
from ..forms import ReleasePageForm
from .units import Unit


class HomePage(Page):
    """The site root: lists the latest releases of every unit."""

    parent_page_types = ["wagtailcore.Page"]
    subpage_types = ["cms.UnitIndexPage"]
    max_count = 1

    class Meta:
        verbose_name = _("home page")

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["releases"] = (
            ReleasePage.objects.live()
            .public()
            .select_related("unit")
            .order_by("-first_published_at")[:20]
        )
        return context


class SectionPermissionTester(PagePermissionTester):
    """A unit's section is part of the fixed structure: people add releases to it,
    but only superusers edit, move, copy, lock, unpublish or delete it."""

    def _superuser_only(self):
        return self.user.is_active and self.user.is_superuser

    can_edit = can_delete = can_unpublish = can_publish = _superuser_only
    can_lock = can_unlock = can_move = can_copy = can_set_view_restrictions = (
        _superuser_only
    )

    def can_submit_for_moderation(self):
        return False


class UnitIndexPage(Page):
    """A unit's section (栏目) of the page tree, created with the unit.

    The unit's role groups hold page permissions on this page only.
    """

    unit = models.OneToOneField(
        Unit,
        verbose_name=_("unit"),
        on_delete=models.PROTECT,
        related_name="section",
    )

    parent_page_types = ["cms.HomePage"]
    subpage_types = ["cms.ReleasePage"]
    content_panels = Page.content_panels + [FieldPanel("unit", read_only=True)]

    class Meta:
        verbose_name = _("unit section")

    @classmethod
    def can_create_at(cls, parent):
        # Sections are created with their unit, never by hand.
        return False

    def permissions_for_user(self, user):
        return SectionPermissionTester(user, self)

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["releases"] = (
            ReleasePage.objects.child_of(self)
            .live()
            .public()
            .order_by("-first_published_at")
        )
        return context


class ReleasePageTag(TaggedItemBase):
    content_object = ParentalKey(
        "cms.ReleasePage", on_delete=models.CASCADE, related_name="tagged_items"
    )


class ReleasePermissionTester(PagePermissionTester):
    """Page permissions, plus the rule that submitting for review needs the edit
    permission on the unit's section: collectors draft, editors submit."""

    def can_submit_for_moderation(self):
        if not (self.user.is_active and super().can_submit_for_moderation()):
            return False
        return self.user.is_superuser or "change" in self.permissions


class ReleasePage(Page):
    """A release (稿件): written once, reviewed, then published to accounts."""

    class Origin(models.TextChoices):
        ORIGINAL = "original", _("Original")
        REPRINT = "reprint", _("Reprint")

    class Importance(models.TextChoices):
        NORMAL = "normal", _("Normal")
        IMPORTANT = "important", _("Important")
        MAJOR = "major", _("Major")

    unit = models.ForeignKey(
        Unit,
        verbose_name=_("unit"),
        on_delete=models.PROTECT,
        related_name="releases",
        editable=False,
    )
    subtitle = models.CharField(_("subtitle"), max_length=255, blank=True)
    digest = models.TextField(
        _("digest"),
        max_length=512,
        blank=True,
        help_text=_("A short summary shown in lists and shares (摘要)."),
    )
    author = models.CharField(
        _("byline"), max_length=100, blank=True, help_text=_("署名, e.g. 文／张三")
    )
    origin = models.CharField(
        _("origin"), max_length=16, choices=Origin.choices, default=Origin.ORIGINAL
    )
    source_name = models.CharField(_("source name"), max_length=255, blank=True)
    source_url = models.URLField(_("source URL"), max_length=1000, blank=True)
    original_title = models.CharField(_("original title"), max_length=255, blank=True)
    original_author = models.CharField(_("original author"), max_length=100, blank=True)
    cover_image = models.ForeignKey(
        "cms.CreditedImage",
        verbose_name=_("cover image"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    body = StreamField(ReleaseBodyBlock(), verbose_name=_("body"), blank=True)
    importance = models.CharField(
        _("importance"),
        max_length=16,
        choices=Importance.choices,
        default=Importance.NORMAL,
    )
    is_urgent = models.BooleanField(
        _("urgent"),
        default=False,
        help_text=_("Urgent releases are sent at once, outside publishing windows."),
    )
    is_sensitive = models.BooleanField(
        _("sensitive topic"),
        default=False,
        help_text=_("Sensitive topics also need the managing department's approval."),
    )
    tags = ClusterTaggableManager(
        verbose_name=_("tags"), through=ReleasePageTag, blank=True
    )

    parent_page_types = ["cms.UnitIndexPage"]
    subpage_types = []
    base_form_class = ReleasePageForm

    #: Panels other apps add (channels adds the target accounts), in order.
    extra_content_panels = []
    #: Preview modes other apps add, in order: ``(name, label, serve)``, where
    #: ``serve(page, request)`` returns the preview's response.
    extra_preview_modes = []

    content_panels = Page.content_panels + [
        FieldPanel("subtitle"),
        FieldPanel("digest"),
        FieldPanel("author"),
        MultiFieldPanel(
            [
                FieldPanel("origin"),
                FieldRowPanel([FieldPanel("source_name"), FieldPanel("source_url")]),
                FieldRowPanel(
                    [FieldPanel("original_title"), FieldPanel("original_author")]
                ),
            ],
            heading=_("Origin"),
        ),
        FieldPanel("cover_image"),
        FieldPanel("body"),
        MultiFieldPanel(
            [
                FieldRowPanel([FieldPanel("importance"), FieldPanel("is_urgent")]),
                FieldPanel("is_sensitive"),
                FieldPanel("tags"),
            ],
            heading=_("Review"),
        ),
    ]

    search_fields = Page.search_fields + [
        index.SearchField("subtitle"),
        index.SearchField("digest"),
        index.SearchField("author"),
        index.SearchField("body"),
        index.FilterField("unit"),
        index.FilterField("importance"),
    ]

    api_fields = [
        APIField("subtitle"),
        APIField("digest"),
        APIField("author"),
        APIField("origin"),
        APIField("source_name"),
        APIField("source_url"),
        APIField("original_title"),
        APIField("original_author"),
        APIField("importance"),
        APIField("unit_info"),
        APIField("published_at"),
        APIField("cover_image"),
        APIField(
            "cover",
            serializer=ImageRenditionField("fill-900x500", source="cover_image"),
        ),
        APIField(
            "cover_thumbnail",
            serializer=ImageRenditionField("fill-300x200", source="cover_image"),
        ),
        APIField("body"),
        APIField("body_html"),
        APIField("tags"),
    ]

    class Meta:
        verbose_name = _("release")
        verbose_name_plural = _("releases")

    @classmethod
    def add_content_panel(cls, panel):
        """Add a panel from another app (called from its ``AppConfig.ready``)."""
        cls.extra_content_panels.append(panel)
        cls.content_panels = [*cls.content_panels, panel]

    @classmethod
    def add_preview_mode(cls, name, label, serve):
        """Add a preview mode from another app (called from its ``AppConfig.ready``);
        a mode added again under the same name replaces the first."""
        others = [mode for mode in cls.extra_preview_modes if mode[0] != name]
        cls.extra_preview_modes = [*others, (name, label, serve)]

    @property
    def preview_modes(self):
        extra = [(name, label) for name, label, _serve in self.extra_preview_modes]
        return [*super().preview_modes, *extra]

    def serve_preview(self, request, mode_name):
        for name, _label, serve in self.extra_preview_modes:
            if name and name == mode_name:
                return serve(self, request)
        return super().serve_preview(request, mode_name)

    @classmethod
    def can_create_at(cls, parent):
        if not super().can_create_at(parent):
            return False
        section = parent.specific
        return isinstance(section, UnitIndexPage) and section.unit.is_active

    def permissions_for_user(self, user):
        return ReleasePermissionTester(user, self)

    @classmethod
    def from_serializable_data(cls, data, check_fks=True, strict_fks=False):
        """A release from a revision's content, its target accounts checked in
        one query rather than modelcluster's two per target (a release can
        target hundreds). A target whose account no longer exists is left out.
        """
        targets = data.get("targets") if isinstance(data, dict) else None
        if not check_fks or not targets:
            return super().from_serializable_data(data, check_fks, strict_fks)
        release = super().from_serializable_data(
            {key: value for key, value in data.items() if key != "targets"},
            check_fks,
            strict_fks,
        )
        if release is None:
            return None
        target_model = cls._meta.get_field("targets").related_model
        account_model = target_model._meta.get_field("account").related_model
        existing = set(
            account_model._default_manager.filter(
                pk__in=[target.get("account") for target in targets]
            ).values_list("pk", flat=True)
        )
        release.targets = [
            model_from_serializable_data(target_model, target, check_fks=False)
            for target in targets
            if target.get("account") in existing
        ]
        return release

    def publish(self, revision, *args, **kwargs):
        """Publish ``revision`` in one transaction, with everything hung on
        ``page_published``: a release that goes live has its deliveries
        planned (``channels``), or it does not go live at all."""
        with transaction.atomic():
            return super().publish(revision, *args, **kwargs)

    def full_clean(self, *args, **kwargs):
        self.assign_unit()
        super().full_clean(*args, **kwargs)

    def save(self, *args, **kwargs):
        # Wagtail's signal handlers import the page model: import them late.
        from wagtail.signal_handlers import (
            disable_reference_index_auto_update,
            reference_index_auto_update_disabled,
        )
        from wagtail.tasks import update_reference_index_task

        self.assign_unit()
        if getattr(reference_index_auto_update_disabled, "value", False):
            return super().save(*args, **kwargs)
        # Wagtail re-indexes the whole page once per saved child row (each
        # target account, each credit): quadratic in a release's targets. Index
        # it once, after the children are saved, as that last update would.
        with disable_reference_index_auto_update():
            result = super().save(*args, **kwargs)
        update_reference_index_task.enqueue(
            self._meta.app_label, self._meta.model_name, str(self.pk)
        )
        return result

    def assign_unit(self):
        """Take the unit from the section the release lives in."""
        if self.unit_id:
            return
        parent = self.get_parent() if self.depth else None
        section = parent.specific if parent else None
        if isinstance(section, UnitIndexPage):
            self.unit_id = section.unit_id

    def clean(self):
        super().clean()
        errors = {}
        if self.origin == self.Origin.REPRINT:
            required = {
                "source_name": _("A reprint must name its source."),
                "source_url": _("A reprint must give the address of its source."),
                "original_title": _("A reprint must give the original title."),
                "original_author": _("A reprint must give the original author."),
            }
            for field, message in required.items():
                if not getattr(self, field).strip():
                    errors[field] = message
        if errors:
            raise ValidationError(errors)

    @property
    def published_at(self):
        """The time the release first went out (shown on every public page)."""
        return self.first_published_at

    @cached_property
    def unit_info(self):
        return {"id": self.unit_id, "name": self.unit.name, "code": self.unit.code}

    @property
    def body_html(self):
        return str(self.body)

    @property
    def is_reprint(self):
        return self.origin == self.Origin.REPRINT
