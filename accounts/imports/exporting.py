"""Exports: rows of a scoped queryset, personal data masked, files written, logged."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils import translation

from core.spreadsheets import write_csv, write_xlsx

from ..services import record_personal_data_access
from .resources import SpreadsheetResource
from .widgets import IMPORT_LANGUAGE


def mask_phone(value: str) -> str:
    if not value:
        return ""
    digits = str(value)
    if len(digits) >= 7:
        return digits[:3] + "****" + digits[-4:]
    return "****"


def mask_email(value: str) -> str:
    if not value:
        return ""
    local, _sep, domain = str(value).partition("@")
    return (local[:1] + "***@" + domain) if domain else "***"


def mask(value: Any) -> str:
    text = "" if value is None else str(value)
    return mask_email(text) if "@" in text else mask_phone(text)


def may_see_personal_data(user: Any, resource_class: type[SpreadsheetResource]) -> bool:
    permission = resource_class.personal_data_permission
    return bool(permission) and bool(user is not None and user.has_perm(permission))


def export_rows(
    *, user: Any, resource_class: type[SpreadsheetResource], queryset: models.QuerySet
) -> tuple[list[str], list[list[Any]], bool]:
    """Headers, rows and whether personal data was masked, for a queryset the caller has
    already scoped. Personal columns are masked unless the user may see them."""
    resource = resource_class(user=user)
    fields = resource.get_export_fields()
    headers = [f.column_name for f in fields]
    masked = bool(resource_class.personal_fields) and not may_see_personal_data(
        user, resource_class
    )
    personal = {f.column_name for f in fields if f.attribute in resource_class.personal_fields}
    rows = []
    with translation.override(IMPORT_LANGUAGE):
        for obj in resource.export_queryset(queryset).iterator(chunk_size=2000):
            row = []
            for f in fields:
                value = f.export(obj)
                if masked and f.column_name in personal:
                    value = mask(value)
                row.append(value)
            rows.append(row)
    return headers, rows, masked


def render_file(
    headers: list[str],
    rows: list[list[Any]],
    *,
    file_format: str,
    resource_class: type[SpreadsheetResource],
    title: str = "Sheet1",
) -> bytes:
    if file_format == "csv":
        return write_csv(headers, rows)
    text_columns = [
        i
        for i, f in enumerate(resource_class().get_export_fields())
        if f.attribute in resource_class.text_fields
    ]
    return write_xlsx(headers, rows, title=title, text_columns=text_columns)


def record_export(
    *,
    user: Any,
    resource_class: type[SpreadsheetResource],
    count: int,
    masked: bool,
    description: str,
) -> None:
    """Log an export of a model with personal data (PIPL)."""
    if not resource_class.personal_fields:
        return
    record_personal_data_access(
        user=user,
        kind="export",
        model=resource_class._meta.model,
        count=count,
        description=(description + ("（已脱敏）" if masked else "（未脱敏）"))[:500],
    )
