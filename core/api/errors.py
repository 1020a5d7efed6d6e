"""The API's one error shape: {status, code, message: {zh, en}, detail}.

`code` is machine-readable and stable (DRF's codes: invalid, not_authenticated,
authentication_failed, permission_denied, not_found, method_not_allowed, throttled,
conflict, precondition_failed, ...). `message` is the same sentence in Chinese and English.
`detail` is, for 400, an object mapping each field to its list of errors (Chinese, the
site's language), else a string.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError, IntegrityError
from django.http import Http404
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from ..constraints import rule_error
from ..exceptions import ApplicationError

logger = logging.getLogger(__name__)


class PreconditionFailed(exceptions.APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = _(
        "The record has changed since you read it (If-Match does not match its ETag). "
        "Read it again and retry."
    )
    default_code = "precondition_failed"


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = _("The request conflicts with the current state of the record.")
    default_code = "conflict"


def _both_languages(message: Any, **params: Any) -> dict[str, str]:
    """`message` in Chinese and English, its DRF-style placeholders ({method}) filled."""
    out = {}
    for lang, key in (("zh-hans", "zh"), ("en", "en")):
        with translation.override(lang):
            out[key] = str(message).format(**params) if params else str(message)
    return out


def _message_params(exc: exceptions.APIException, request: Any) -> dict[str, Any]:
    """What the default messages of DRF's 405 and 415 name: the method, the media type."""
    if isinstance(exc, exceptions.MethodNotAllowed):
        return {"method": getattr(request, "method", "")}
    if isinstance(exc, exceptions.UnsupportedMediaType):
        return {"media_type": getattr(request, "content_type", "")}
    return {}


def problem_body(status_code: int, code: str, message: Any, detail: Any) -> dict[str, Any]:
    """The error shape for a response built outside DRF (a 503 when the database is down):
    `message` in both languages, `detail` in the active one."""
    return {
        "status": status_code,
        "code": code,
        "message": _both_languages(message),
        "detail": str(detail),
    }


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
        # Django's key for errors of the whole record (model clean, check constraints) is
        # "__all__"; the API has one name for them, as DRF's own validators use
        if NON_FIELD_ERRORS in detail:
            detail = {
                "non_field_errors": detail.pop(NON_FIELD_ERRORS)
                + list(detail.pop("non_field_errors", [])),
                **detail,
            }
        exc = exceptions.ValidationError(detail)
    elif isinstance(exc, DataError):
        # a value the database cannot hold (out of range, malformed): the caller's input
        logger.info("data error answered 400: %s", exc)
        exc = exceptions.ValidationError(
            {"non_field_errors": [_("A value is out of range or malformed for the database.")]}
        )
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    elif isinstance(exc, IntegrityError) and (rule := rule_error(exc)) is not None:
        # a rule PostgreSQL holds (a quota's seats, no overlap) refused a write that no
        # service turned into its message first: the rule's field and message, as a 400
        logger.info("database rule answered 400: %s", exc)
        exc = exceptions.ValidationError(rule.message_dict)
    elif isinstance(exc, IntegrityError):
        # a concurrent write won the race for a unique value: the client may retry
        logger.info("integrity error answered 409: %s", exc)
        exc = Conflict()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    codes = exc.get_codes()
    code = codes if isinstance(codes, str) else "invalid"
    if isinstance(exc, exceptions.ValidationError):
        message = _both_languages(exceptions.ValidationError.default_detail)
        detail = response.data
        code = "invalid"
    else:
        message = _both_languages(
            exc.default_detail, **_message_params(exc, context.get("request"))
        )
        detail = str(exc.detail)
    response.data = {
        "status": response.status_code,
        "code": code,
        "message": message,
        "detail": detail,
    }
    return response


def page_not_found(request: Any, exception: Exception) -> Any:
    """handler404: a URL under /api/ that matches no route (`/api/v1/firms/abc/`) answers
    the API's error shape as JSON; other paths keep Django's page."""
    from django.http import JsonResponse
    from django.views import defaults

    if not request.path.startswith("/api/"):
        return defaults.page_not_found(request, exception)
    return JsonResponse(
        {
            "status": status.HTTP_404_NOT_FOUND,
            "code": exceptions.NotFound.default_code,
            "message": _both_languages(exceptions.NotFound.default_detail),
            "detail": str(exceptions.NotFound.default_detail),
        },
        status=status.HTTP_404_NOT_FOUND,
    )
