"""Domain-free building blocks of the REST API: the error shape, conditional requests
(ETag / If-Match), Idempotency-Key, field selection and keyset pagination."""

from .errors import PreconditionFailed, exception_handler

__all__ = ["PreconditionFailed", "exception_handler"]
