"""What every admin changelist shares, whichever base its ModelAdmin has."""

from __future__ import annotations

from typing import Any

from django.contrib.admin.options import IncorrectLookupParameters
from django.http import HttpRequest


class NulSafeChangelistMixin:
    """A NUL character anywhere in a changelist's query string (a filter value, the search
    term) is an incorrect lookup: Django's "?e=1" page, not a 500.

    Django turns lookups it cannot build into "?e=1", but a NUL reaches PostgreSQL, which
    cannot hold it in any literal, and the query fails only when the page is rendered."""

    def get_changelist_instance(self, request: HttpRequest) -> Any:
        if any("\x00" in k or "\x00" in v for k, vs in request.GET.lists() for v in vs):
            raise IncorrectLookupParameters("NUL character in the query string")
        return super().get_changelist_instance(request)  # type: ignore[misc]
