"""StreamField blocks of a release body."""

from django.utils.translation import gettext_lazy as _
from wagtail import blocks
from wagtail.documents.blocks import DocumentChooserBlock
from wagtail.embeds.blocks import EmbedBlock
from wagtail.images.blocks import ImageChooserBlock
from wagtailmedia.blocks import VideoChooserBlock


class ImageBlock(blocks.StructBlock):
    image = ImageChooserBlock(label=_("image"))
    caption = blocks.CharBlock(label=_("caption"), required=False, max_length=255)
    credit = blocks.CharBlock(
        label=_("credit"),
        required=False,
        max_length=255,
        help_text=_("Leave blank to use the credit recorded on the image."),
    )

    class Meta:
        icon = "image"
        label = _("Image")
        template = "cms/blocks/image.html"


class QuoteBlock(blocks.StructBlock):
    text = blocks.TextBlock(label=_("quotation"))
    attribution = blocks.CharBlock(label=_("attribution"), required=False)

    class Meta:
        icon = "openquote"
        label = _("Quote")
        template = "cms/blocks/quote.html"


class VideoBlock(blocks.StructBlock):
    video = VideoChooserBlock(label=_("video"))
    caption = blocks.CharBlock(label=_("caption"), required=False, max_length=255)

    class Meta:
        icon = "media"
        label = _("Video")
        template = "cms/blocks/video.html"


class AttachmentBlock(blocks.StructBlock):
    document = DocumentChooserBlock(label=_("document"))
    title = blocks.CharBlock(
        label=_("link text"),
        required=False,
        help_text=_("Leave blank to use the document title."),
    )

    class Meta:
        icon = "doc-full"
        label = _("Attachment")
        template = "cms/blocks/attachment.html"


class ReleaseBodyBlock(blocks.StreamBlock):
    paragraph = blocks.RichTextBlock(
        label=_("Paragraph"),
        features=["bold", "italic", "link", "ol", "ul", "superscript", "subscript"],
    )
    heading = blocks.CharBlock(
        label=_("Heading"), icon="title", form_classname="title",
        template="cms/blocks/heading.html",
    )  # fmt: skip
    image = ImageBlock()
    quote = QuoteBlock()
    video = VideoBlock()
    attachment = AttachmentBlock()
    embed = EmbedBlock(label=_("Embed"), icon="link-external")
