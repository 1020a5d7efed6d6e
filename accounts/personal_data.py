"""PIPL in the admin: pages that show personal data log who viewed them."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse

from .models import PersonalDataAccessKind
from .services import record_personal_data_access


class PersonalDataAdminMixin:
    """Put before ScopedModelAdmin on a ModelAdmin whose change page shows personal data;
    list those fields in `personal_data_fields`. Every successful GET of the change page
    (and of the history page, whose diffs show the same values) is logged as a 'view'.
    """

    personal_data_fields: tuple[str, ...] = ()

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: Any = None,
    ) -> HttpResponse:
        response = super().change_view(request, object_id, form_url, extra_context)  # type: ignore[misc]
        self._record_view(request, response, "change")
        return response

    def history_view(
        self, request: HttpRequest, object_id: str, extra_context: Any = None
    ) -> HttpResponse:
        response = super().history_view(request, object_id, extra_context)  # type: ignore[misc]
        self._record_view(request, response, "history")
        return response

    def _record_view(self, request: HttpRequest, response: HttpResponse, page: str) -> None:
        if not self.personal_data_fields or request.method != "GET":
            return
        if response.status_code != 200:
            return
        obj = getattr(response, "context_data", None) or {}
        obj = obj.get("original") or obj.get("object")
        if obj is None:
            return
        record_personal_data_access(
            user=request.user,
            kind=PersonalDataAccessKind.VIEW,
            model=type(obj),
            object_ids=[obj.pk],
            description=f"admin {page} page: {', '.join(self.personal_data_fields)}",
            count=1,
        )
