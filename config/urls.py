"""URL configuration."""

from typing import Any

from csp.constants import NONCE
from csp.decorators import csp_update
from django.conf import settings
from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularRedocView,
    SpectacularSwaggerSplitView,
)
from rest_framework.permissions import BasePermission

from core.health import healthz


# --- API documentation ------------------------------------------------------------------
class DocsPermission(BasePermission):
    """Anyone while API_DOCS_PUBLIC (development), else signed-in users and API keys
    (production). Read at request time, so tests can switch it."""

    def has_permission(self, request: Any, view: Any) -> bool:
        return settings.API_DOCS_PUBLIC or bool(request.user and request.user.is_authenticated)


class DocsPageMixin:
    """The HTML pages send a visitor who is not signed in to the sign-in page (a person
    reads them; a 401 in JSON would help nobody)."""

    permission_classes = [DocsPermission]

    def dispatch(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        if not settings.API_DOCS_PUBLIC and not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        return super().dispatch(request, *args, **kwargs)  # type: ignore[misc]


class SwaggerView(DocsPageMixin, SpectacularSwaggerSplitView):
    """Swagger UI; the init script comes from this view (?script), not inline (CSP)."""

    url_name = "api-schema"
    template_name = "api_docs/swagger_ui.html"


# What Redoc needs beyond the site's CSP: its styled-components <style> elements (with this
# response's nonce), the perfect-scrollbar stylesheet its bundle inserts before it knows the
# nonce (by hash: a new drf-spectacular-sidecar may change it; tests/api/test_docs_pages.py
# then reports the violation and its hash), an empty <style>, and its search worker (blob:).
REDOC_CSP = {
    "style-src": [
        NONCE,
        "'sha256-QMIg+bpjm3JdElJ388KYke01izlUW0UoNOeKjpMxdgc='",
        "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='",
    ],
    "worker-src": ["'self'", "blob:"],
}


class RedocView(DocsPageMixin, SpectacularRedocView):
    """Redoc without the web fonts and the inline script of drf-spectacular's template.
    Redoc builds its styles in <style> elements (styled-components): the page allows
    those that carry this response's CSP nonce, and nothing else inline."""

    url_name = "api-schema"
    template_name = "api_docs/redoc.html"


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
        SpectacularAPIView.as_view(permission_classes=[DocsPermission]),
        name="api-schema",
    ),
    path("api/v1/docs/", SwaggerView.as_view(), name="api-docs"),
    path(
        "api/v1/redoc/",
        csp_update(REDOC_CSP)(RedocView.as_view()),
        name="api-redoc",
    ),
]

# an unknown URL under /api/ answers the API's JSON error shape, not an HTML page
handler404 = "core.api.errors.page_not_found"
# an error Django did not expect: 503 when the database does not answer, else 500, as JSON
# under /api/ and as a page without database access elsewhere
handler500 = "core.unavailable.server_error"
