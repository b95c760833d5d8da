from django.db import models
from django.utils.translation import gettext_lazy as _
from wagtail.images.models import AbstractImage, AbstractRendition, Image


class CreditedImage(AbstractImage):
    """An image with the credit or licence that every published picture must carry."""

    credit = models.CharField(
        _("credit / licence"),
        max_length=255,
        help_text=_("Photographer or source and licence, e.g. 摄影：张三 / 新华社授权"),
    )
    is_map = models.BooleanField(
        _("is a map"),
        default=False,
        help_text=_("Maps may only be published with a map approval number."),
    )
    map_approval_no = models.CharField(
        _("map approval number (审图号)"), max_length=64, blank=True
    )

    admin_form_fields = Image.admin_form_fields + (
        "credit",
        "is_map",
        "map_approval_no",
    )

    class Meta(AbstractImage.Meta):
        verbose_name = _("image")
        verbose_name_plural = _("images")
        permissions = [("choose_creditedimage", "Can choose image")]


class CreditedRendition(AbstractRendition):
    image = models.ForeignKey(
        CreditedImage, on_delete=models.CASCADE, related_name="renditions"
    )

    class Meta:
        unique_together = (("image", "filter_spec", "focal_point_key"),)
