"""The headless API at /api/v2/: releases, images, documents, units, accounts.

Wagtail's viewsets, with conditional GET (ETag from the content, Last-Modified
from the data), a 400 with a JSON message for any malformed query, and listings
that fetch what their fields need in a fixed number of queries.
"""

from collections import defaultdict
from types import SimpleNamespace

from django.core.exceptions import FieldDoesNotExist, FieldError, ValidationError
from django.db.models import Max, Prefetch, prefetch_related_objects
from django.utils import timezone
from django.utils.http import http_date
from rest_framework.exceptions import ParseError
from rest_framework.renderers import JSONRenderer
from taggit.managers import TaggableManager
from wagtail.api.querysets import get_public_pages_queryset
from wagtail.api.v2 import filters
from wagtail.api.v2.pagination import WagtailPagination
from wagtail.api.v2.serializers import (
    ChildRelationField,
    PageAliasOfField,
    PageLocaleField,
    RelatedField,
)
from wagtail.api.v2.serializers import TagsField as WagtailTagsField
from wagtail.api.v2.utils import BadRequestError
from wagtail.api.v2.views import BaseAPIViewSet, PagesAPIViewSet
from wagtail.documents.api.v2.views import DocumentsAPIViewSet
from wagtail.images.api.fields import ImageRenditionField
from wagtail.images.api.v2.views import ImagesAPIViewSet
from wagtail.models import Page, PageLogEntry

from .models import Unit

#: Exceptions that malformed query parameters raise deep inside filters and
#: lookups (a word where a number goes, a date that is not one).
INPUT_ERRORS = (ValueError, FieldError, ValidationError, ParseError, OverflowError)


class APIPagination(WagtailPagination):
    """Wagtail's pagination, answering an offset past the last item with an empty
    page without asking the database, which refuses offsets beyond 64 bits."""

    def paginate_queryset(self, queryset, request, view=None):
        page = super().paginate_queryset(queryset, request, view)
        # Validated by the call above.
        if int(request.GET.get("offset", 0)) >= self.total_count:
            return []
        return page


class SearchFilter(filters.SearchFilter):
    """Wagtail's search filter, reading double quotes in the query as spaces and
    a query of nothing but spaces as an empty one.

    The SQLite full-text backend puts each term in double quotes without escaping
    the ones inside it, so a quote in a term is an FTS5 syntax error (its tokenizer
    splits words at quotes anyway); and it fails on a query without terms unless
    the query is empty.
    """

    def filter_queryset(self, request, queryset, view):
        search = request.GET.get("search")
        cleaned = search and " ".join(search.replace('"', " ").split())
        if cleaned != search:
            query = request.GET.copy()
            query["search"] = cleaned
            # The filter reads nothing from the request but its query.
            request = SimpleNamespace(GET=query)
        return super().filter_queryset(request, queryset, view)


class TagsField(WagtailTagsField):
    """Tag names in alphabetical order, read from the tags fetched with the
    listing when they were (Wagtail's field always queries)."""

    def to_representation(self, value):
        return sorted(tag.name for tag in value.all())


#: Serializer fields that read a relation: fetched for a whole listing at once.
RELATION_FIELDS = (
    RelatedField,
    PageAliasOfField,
    PageLocaleField,
    ChildRelationField,
    TagsField,
)


class ConditionalAPIMixin:
    """Answer JSON only; send Last-Modified; turn malformed input into a 400 with
    a JSON message.

    The ETag and the 304 answer come from
    ``cms.middleware.APIConditionalGetMiddleware``.
    """

    # The browsable API would answer errors in HTML.
    renderer_classes = [JSONRenderer]
    pagination_class = APIPagination

    #: The model field whose latest value dates the data this viewset serves.
    last_modified_field = None

    def last_modified(self):
        if self.last_modified_field is None:
            return None
        return self.model.objects.aggregate(latest=Max(self.last_modified_field))[
            "latest"
        ]

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        # Databases refuse them (PostgreSQL) or cut strings short at them (SQLite
        # full-text search).
        for key, values in request.GET.lists():
            if "\x00" in key or any("\x00" in value for value in values):
                raise BadRequestError("null characters are not allowed in the query")

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if request.method in ("GET", "HEAD") and response.status_code == 200:
            latest = self.last_modified()
            # An HTTP date counts whole seconds. A date naming the current second
            # could be followed by another change within it, which a client asking
            # If-Modified-Since with that date would never see.
            if latest is not None and latest < timezone.now().replace(microsecond=0):
                response.headers["Last-Modified"] = http_date(latest.timestamp())
        return response

    def handle_exception(self, exc):
        if isinstance(exc, INPUT_ERRORS):
            exc = BadRequestError(
                "Invalid query parameter: %s" % (getattr(exc, "detail", None) or exc)
            )
        return super().handle_exception(exc)


class ListingPrefetchMixin:
    """Fetch the related objects a listing's fields read in one query per relation,
    after pagination, and only for the fields asked for."""

    #: Relations that computed fields read, by field name.
    listing_prefetches = {}

    @classmethod
    def get_field_serializer_overrides(cls, model):
        overrides = super().get_field_serializer_overrides(model)
        for name in cls.get_available_fields(model):
            try:
                field = model._meta.get_field(name)
            except FieldDoesNotExist:
                continue
            if isinstance(field, TaggableManager) and name not in overrides:
                overrides[name] = TagsField(read_only=True)
        return overrides

    def get_serializer(self, *args, **kwargs):
        serializer = super().get_serializer(*args, **kwargs)
        if kwargs.get("many"):
            serializer.instance = list(serializer.instance)
            prefetch_related_objects(
                serializer.instance, *self.get_listing_prefetches(serializer.child)
            )
        return serializer

    def get_listing_prefetches(self, serializer):
        """Return the lookups that fetch what the fields of ``serializer`` read
        from related objects, renditions included."""
        model = serializer.Meta.model
        lookups = set()
        renditions = defaultdict(set)
        for name, field in serializer.fields.items():
            if isinstance(field, ImageRenditionField):
                renditions[field.source].add(field.filter_spec)
            elif isinstance(field, RELATION_FIELDS):
                lookups.add(field.source)
            lookups.update(self.listing_prefetches.get(name, ()))
        prefetches = []
        for source, specs in sorted(renditions.items()):
            images = model._meta.get_field(source).related_model._default_manager
            queryset = images.prefetch_renditions(*sorted(specs))
            prefetches.append(Prefetch(source, queryset=queryset))
            lookups.discard(source)
        return sorted(lookups) + prefetches


class ReleasePagesAPIViewSet(
    ConditionalAPIMixin, ListingPrefetchMixin, PagesAPIViewSet
):
    """Live, public pages; releases with every public field."""

    filter_backends = [
        SearchFilter if backend is filters.SearchFilter else backend
        for backend in PagesAPIViewSet.filter_backends
    ]
    listing_prefetches = {"unit_info": ["unit"]}

    def last_modified(self):
        # Any publish, unpublish, move or deletion changes what the API serves.
        return PageLogEntry.objects.aggregate(latest=Max("timestamp"))["latest"]

    def get_public_queryset(self, model):
        """Return the live, public pages of ``model`` on the requested site.

        Read once per request and model: the view asks several times, and each
        time Wagtail reads the view restrictions again.
        """
        querysets = self.__dict__.setdefault("_public_querysets", {})
        if model not in querysets:
            try:
                querysets[model] = get_public_pages_queryset(self.request, model=model)
            except ValueError as e:
                raise BadRequestError(str(e)) from e
        return querysets[model]

    def get_base_queryset(self):
        return self.get_public_queryset(Page)

    def get_queryset(self):
        queryset = super().get_queryset()
        if queryset.model is self.model:
            return queryset
        # One page type: Wagtail takes the type's pages whose ids are in a
        # subquery of all public pages, which takes several times longer on a
        # large tree than the same conditions put on the type's own query.
        return self.get_public_queryset(queryset.model)


class CMSImagesAPIViewSet(ConditionalAPIMixin, ListingPrefetchMixin, ImagesAPIViewSet):
    filter_backends = [
        SearchFilter if backend is filters.SearchFilter else backend
        for backend in ImagesAPIViewSet.filter_backends
    ]
    last_modified_field = "created_at"
    body_fields = ImagesAPIViewSet.body_fields + ["credit", "map_approval_no"]


class CMSDocumentsAPIViewSet(
    ConditionalAPIMixin, ListingPrefetchMixin, DocumentsAPIViewSet
):
    filter_backends = [
        SearchFilter if backend is filters.SearchFilter else backend
        for backend in DocumentsAPIViewSet.filter_backends
    ]
    last_modified_field = "created_at"


class UnitsAPIViewSet(ConditionalAPIMixin, ListingPrefetchMixin, BaseAPIViewSet):
    model = Unit
    # Filtering by a field and ordering work as on the other endpoints, instead
    # of being accepted and ignored.
    filter_backends = [filters.FieldsFilter, filters.OrderingFilter]
    known_query_parameters = BaseAPIViewSet.known_query_parameters - {
        "search",
        "search_operator",
    }
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
