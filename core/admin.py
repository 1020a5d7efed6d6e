"""The record of spreadsheet imports, read-only: who imported which file, when, and with
what result. Staff see their own imports; superusers see everyone's."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import Http404, HttpRequest

from .changelists import NulSafeChangelistMixin
from .models import ImportRecord


@admin.register(ImportRecord)
class ImportRecordAdmin(NulSafeChangelistMixin, admin.ModelAdmin):
    list_display = (
        "created_at",
        "user",
        "model_label",
        "file_name",
        "mode",
        "status",
        "rows_total",
        "rows_created",
        "rows_updated",
    )
    list_filter = ("status", "model_label")
    list_select_related = ("user",)
    search_fields = ("file_name",)
    ordering = ("-created_at", "-id")
    show_full_result_count = False

    def get_queryset(self, request: HttpRequest) -> QuerySet[ImportRecord]:
        qs = super().get_queryset(request)
        return qs if request.user.is_superuser else qs.filter(user=request.user)

    def get_object(self, request: HttpRequest, object_id: str, from_field: str | None = None):
        # someone else's import answers 404, like every out-of-scope object in the admin
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            raise Http404
        return obj

    def get_readonly_fields(self, request: HttpRequest, obj: ImportRecord | None = None):
        return [f.name for f in ImportRecord._meta.fields]

    def has_module_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.is_active and request.user.is_staff)

    def has_view_permission(self, request: HttpRequest, obj: ImportRecord | None = None) -> bool:
        return self.has_module_permission(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: ImportRecord | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: ImportRecord | None = None) -> bool:
        return False
