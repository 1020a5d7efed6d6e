"""The API's one error shape: {status, code, message: {zh, en}, detail}."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils import translation
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from .exceptions import ApplicationError


def _both_languages(message: Any) -> dict[str, str]:
    out = {}
    for lang, key in (("zh-hans", "zh"), ("en", "en")):
        with translation.override(lang):
            out[key] = str(message)
    return out


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Turns every known error into the documented shape; unknown errors stay 500s."""
    if isinstance(exc, ApplicationError):
        exc = exceptions.ValidationError(
            {"non_field_errors": [exc.message], **exc.extra}, code=exc.code
        )
    elif isinstance(exc, DjangoValidationError):
        detail = (
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
        exc = exceptions.ValidationError(detail)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    codes = exc.get_codes()
    code = codes if isinstance(codes, str) else "invalid"
    if isinstance(exc, exceptions.ValidationError):
        message = _both_languages(exceptions.ValidationError.default_detail)
        detail = response.data
    else:
        message = _both_languages(exc.default_detail)
        detail = str(exc.detail)
    response.data = {
        "status": response.status_code,
        "code": code if response.status_code != status.HTTP_400_BAD_REQUEST else "invalid",
        "message": message,
        "detail": detail,
    }
    return response
