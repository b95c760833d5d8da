from django.conf import settings
from django.urls import include, path
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.api.v2.router import WagtailAPIRouter
from wagtail.documents import urls as wagtaildocs_urls

from channels.api import AccountsAPIViewSet
from moderation.api import ChecksAPIView

from .api import (
    CMSDocumentsAPIViewSet,
    CMSImagesAPIViewSet,
    ReleasePagesAPIViewSet,
    UnitsAPIViewSet,
)
from .views import healthz

api_router = WagtailAPIRouter("wagtailapi")
api_router.register_endpoint("pages", ReleasePagesAPIViewSet)
api_router.register_endpoint("images", CMSImagesAPIViewSet)
api_router.register_endpoint("documents", CMSDocumentsAPIViewSet)
api_router.register_endpoint("units", UnitsAPIViewSet)
api_router.register_endpoint("accounts", AccountsAPIViewSet)

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
    path("api/v2/", api_router.urls),
    path("api/checks/", ChecksAPIView.as_view(), name="api_checks"),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
else:
    from django.views.static import serve

    # The embedded setup serves media itself; production puts them on S3 or
    # behind the web server, which answers before this pattern is reached.
    urlpatterns += [
        path(
            "%s<path:path>" % settings.MEDIA_URL.lstrip("/"),
            serve,
            {"document_root": settings.MEDIA_ROOT},
        )
    ]

urlpatterns += [path("", include(wagtail_urls))]
