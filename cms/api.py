"""The headless API at /api/v2/: releases, images, documents, units, accounts.

Wagtail's viewsets, with conditional GET (ETag from the content, Last-Modified
from the data) and querysets that fetch a listing in a fixed number of queries.
"""

from django.core.exceptions import FieldError, ValidationError
from django.db.models import Max
from django.utils.http import http_date
from rest_framework.exceptions import ParseError
from wagtail.api.v2.utils import BadRequestError
from wagtail.api.v2.views import BaseAPIViewSet, PagesAPIViewSet
from wagtail.documents.api.v2.views import DocumentsAPIViewSet
from wagtail.images.api.v2.views import ImagesAPIViewSet
from wagtail.models import PageLogEntry

from .models import ReleasePage, Unit


class ConditionalAPIMixin:
    """Send Last-Modified; turn malformed input into a 400 with a JSON message.

    The ETag and the 304 answer come from ``cms.middleware.APIConditionalGet``.
    """

    #: The model field whose latest value dates the data this viewset serves.
    last_modified_field = None

    def last_modified(self):
        if self.last_modified_field is None:
            return None
        return self.model.objects.aggregate(latest=Max(self.last_modified_field))[
            "latest"
        ]

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if request.method in ("GET", "HEAD") and response.status_code == 200:
            latest = self.last_modified()
            if latest is not None:
                response.headers["Last-Modified"] = http_date(latest.timestamp())
        return response

    def handle_exception(self, exc):
        if isinstance(exc, (ValueError, TypeError, FieldError, ValidationError,
                            ParseError, OverflowError)):  # fmt: skip
            exc = BadRequestError(
                "Invalid query parameter: %s" % (getattr(exc, "detail", None) or exc)
            )
        return super().handle_exception(exc)


class ReleasePagesAPIViewSet(ConditionalAPIMixin, PagesAPIViewSet):
    def last_modified(self):
        # Any publish, unpublish, move or deletion changes what the API serves.
        return PageLogEntry.objects.aggregate(latest=Max("timestamp"))["latest"]

    def get_queryset(self):
        queryset = super().get_queryset()
        if issubclass(queryset.model, ReleasePage):
            queryset = queryset.select_related("unit", "cover_image").prefetch_related(
                "cover_image__renditions", "tagged_items__tag"
            )
        return queryset


class CMSImagesAPIViewSet(ConditionalAPIMixin, ImagesAPIViewSet):
    last_modified_field = "created_at"
    body_fields = ImagesAPIViewSet.body_fields + ["credit", "map_approval_no"]


class CMSDocumentsAPIViewSet(ConditionalAPIMixin, DocumentsAPIViewSet):
    last_modified_field = "created_at"


class UnitsAPIViewSet(ConditionalAPIMixin, BaseAPIViewSet):
    model = Unit
    last_modified_field = "updated_at"
    body_fields = BaseAPIViewSet.body_fields + [
        "name",
        "code",
        "kind",
        "parent",
        "contact_phone",
        "contact_email",
    ]
    listing_default_fields = BaseAPIViewSet.listing_default_fields + [
        "name",
        "code",
        "kind",
    ]
    name = "units"

    def get_queryset(self):
        return Unit.objects.filter(is_active=True).order_by("id")
