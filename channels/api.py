from wagtail.api.v2.filters import FieldsFilter, OrderingFilter
from wagtail.api.v2.views import BaseAPIViewSet

from cms.api import ConditionalAPIMixin, ListingPrefetchMixin

from .models import Account


class AccountsAPIViewSet(ConditionalAPIMixin, ListingPrefetchMixin, BaseAPIViewSet):
    """Public facts of running and dormant accounts: never credentials, never the
    administrators or the leader's phone."""

    model = Account
    name = "accounts"
    # Filtering and ordering take public fields only. No search: the search index
    # also holds the platform account ID, which is not public.
    filter_backends = [FieldsFilter, OrderingFilter]
    known_query_parameters = BaseAPIViewSet.known_query_parameters - {
        "search",
        "search_operator",
    }
    last_modified_field = "updated_at"
    body_fields = BaseAPIViewSet.body_fields + [
        "name",
        "platform",
        "unit",
        "home_url",
        "is_verified",
        "verification_subject",
        "purpose",
        "status",
        "opened_on",
    ]
    listing_default_fields = BaseAPIViewSet.listing_default_fields + [
        "name",
        "platform",
        "unit",
        "status",
    ]

    def get_queryset(self):
        return (
            Account.objects.filter(
                status__in=[Account.Status.RUNNING, Account.Status.DORMANT]
            )
            .select_related("unit")
            .order_by("id")
        )
