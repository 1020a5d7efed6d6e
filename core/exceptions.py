"""Errors raised by services. Views translate them into 4xx responses, never 500s."""

from __future__ import annotations

from typing import Any


class ApplicationError(Exception):
    """A business-rule violation with a user-facing (translated) message.

    `code` is a stable machine code for API clients; `extra` carries per-field details.
    """

    def __init__(
        self, message: Any, *, code: str = "invalid", extra: dict[str, Any] | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.extra = extra or {}
