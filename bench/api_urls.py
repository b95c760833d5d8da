"""URLs for ``bench/api_list.py``: the project's, plus Wagtail's stock viewsets
at /api/stock/ for comparison."""

from django.urls import path
from wagtail.api.v2.router import WagtailAPIRouter
from wagtail.api.v2.views import PagesAPIViewSet
from wagtail.images.api.v2.views import ImagesAPIViewSet

from cms.urls import urlpatterns as project_urlpatterns

stock_router = WagtailAPIRouter("stockapi")
stock_router.register_endpoint("pages", PagesAPIViewSet)
# So that nested images carry a detail_url, as they do on our router.
stock_router.register_endpoint("images", ImagesAPIViewSet)

# Before the project's patterns, which end with Wagtail's catch-all page route.
urlpatterns = [path("api/stock/", stock_router.urls), *project_urlpatterns]
