"""Image credit and maps (block).

Every published picture must say whose it is (摄影／来源／授权): an image with
no credit blocks. An image marked as a map must carry its map approval number
(审图号, e.g. GS(2019)1822号) before it is published.
"""

from django.utils.translation import gettext as _

from .base import BLOCK, Finding


def check(context):
    findings = []
    for image in context.document.images:
        if not image.credit.strip():
            findings.append(
                Finding(
                    "image.no_credit",
                    "image_credit",
                    BLOCK,
                    _(
                        "The image has no credit: give the photographer or source "
                        "and the licence."
                    ),
                    image.field,
                    "",
                    0,
                    0,
                )
            )
        if image.is_map and not image.map_approval_no.strip():
            findings.append(
                Finding(
                    "map.no_approval_number",
                    "map",
                    BLOCK,
                    _("The image is a map without a map approval number (审图号)."),
                    image.field,
                    "",
                    0,
                    0,
                )
            )
    return findings
