"""When the database does not answer: 503 with `Retry-After`, never an HTML "Server Error".

API clients (paths under /api/) get the API's error shape as JSON (core/api/errors.py);
people get templates/503.html, in Chinese first. Neither reads the database: the templates
render with no context processors (which would load the session and the user).

Two ways in, because Django turns an exception into a response where it is raised:
- in a view (the API's key authentication, a portal page's queries): the outermost
  middleware's `process_exception`, in every mode, DEBUG included;
- in a middleware (loading the session of a signed-in user) or anywhere else: handler500
  (config/urls.py), which Django calls inside its `except` block, so the exception is
  `sys.exc_info()`. Any other error gets a 500 in the same two forms.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import loader
from django.utils.translation import gettext_lazy as _

from .api.errors import problem_body

logger = logging.getLogger(__name__)

# A database restart takes seconds; a client that waits this long finds it back.
RETRY_AFTER_SECONDS = 30
DATABASE_ERRORS = (OperationalError, InterfaceError)

UNAVAILABLE_MESSAGE = _("The service is temporarily unavailable. Try again later.")
UNAVAILABLE_DETAIL = _(
    "The database did not answer. Retry after the seconds in Retry-After; send a retried "
    "POST with the same Idempotency-Key so that it is applied once."
)
SERVER_ERROR_MESSAGE = _("An unexpected error occurred on the server.")
SERVER_ERROR_DETAIL = _("The error was logged with this request's X-Request-ID.")


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def _page(request: HttpRequest, template: str, status: int) -> HttpResponse:
    nonce = getattr(request, "csp_nonce", None)  # the CSP allows the page's own <style>
    html = loader.get_template(template).render({"csp_nonce": str(nonce) if nonce else ""})
    return HttpResponse(html, status=status, content_type="text/html; charset=utf-8")


def database_unavailable(request: HttpRequest) -> HttpResponse:
    """The 503 for a request the database could not serve."""
    if _is_api(request):
        response: HttpResponse = JsonResponse(
            problem_body(503, "service_unavailable", UNAVAILABLE_MESSAGE, UNAVAILABLE_DETAIL),
            status=503,
        )
    else:
        response = _page(request, "503.html", 503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: 503 when the exception being handled is the database's, else a 500
    (JSON under /api/, templates/500.html elsewhere)."""
    exc = sys.exc_info()[1]
    if isinstance(exc, DATABASE_ERRORS):
        logger.error("database unavailable: %s", exc)
        return database_unavailable(request)
    if _is_api(request):
        return JsonResponse(
            problem_body(500, "server_error", SERVER_ERROR_MESSAGE, SERVER_ERROR_DETAIL),
            status=500,
        )
    return _page(request, "500.html", 500)


class DatabaseUnavailableMiddleware:
    """Outermost: a view that fails because the database does not answer gets a 503."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, DATABASE_ERRORS):
            return None
        logger.error("database unavailable: %s", exception)
        return database_unavailable(request)
