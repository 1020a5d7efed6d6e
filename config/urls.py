"""URL configuration."""

from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularRedocView,
    SpectacularSwaggerSplitView,
)
from rest_framework.permissions import AllowAny, IsAuthenticated

from core.health import healthz

docs_permission = [AllowAny] if settings.API_DOCS_PUBLIC else [IsAuthenticated]

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="portal:home", permanent=False)),
    path("healthz", healthz, name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/", include("accounts.urls")),
    path("admin/", admin.site.urls),
    path("portal/", include("portal.urls")),
    path("api/v1/", include("config.api_router")),
    path(
        "api/v1/schema/",
        SpectacularAPIView.as_view(permission_classes=docs_permission),
        name="api-schema",
    ),
    path(
        "api/v1/docs/",
        SpectacularSwaggerSplitView.as_view(
            url_name="api-schema", permission_classes=docs_permission
        ),
        name="api-docs",
    ),
    path(
        "api/v1/redoc/",
        SpectacularRedocView.as_view(url_name="api-schema", permission_classes=docs_permission),
        name="api-redoc",
    ),
]

# an unknown URL under /api/ answers the API's JSON error shape, not an HTML page
handler404 = "core.api.errors.page_not_found"
