"""Running an import all-or-nothing, and the per-row report."""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass, field
from typing import Any

import tablib
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from core.audit import audit_context
from core.constraints import rule_error
from core.models import ImportMode
from core.spreadsheets import Table

from .resources import SpreadsheetResource
from .widgets import IMPORT_LANGUAGE

PREVIEW_ROWS = 200  # rows listed in a preview


@dataclass
class ImportOutcome:
    """What an import did, or (dry run / errors) would do."""

    total: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)
    preview: list[dict[str, Any]] = field(default_factory=list)
    #: rows a rule lets through only with the clerk's confirmation ({row, column,
    #: message}): listed by the preview; applied only when confirmed
    confirmations: list[dict[str, Any]] = field(default_factory=list)
    dry_run: bool = True

    @property
    def ok(self) -> bool:
        return not self.errors


class _Rollback(Exception):
    pass


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """An import allocates a dozen objects per cell that live until the batch is written;
    CPython's cyclic collector rescans them over and over (about 5-10% of an import,
    bench/import_bench.py). Nothing an import makes is a reference cycle that must be
    freed mid-import, so the collector is paused until the import ends."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def header_errors(resource_class: type[SpreadsheetResource], headers: list[str]) -> list[dict]:
    """Unknown, repeated or missing key headers refuse the whole file."""
    resource = resource_class()
    known = set(resource_class.column_names())
    errors = []
    unknown = [h for h in headers if h not in known]
    if unknown:
        errors.append(
            {
                "row": 1,
                "column": "、".join(unknown),
                "message": _("Unknown column headers: %(columns)s. Allowed: %(allowed)s.")
                % {
                    "columns": "、".join(unknown),
                    "allowed": "、".join(resource_class.column_names()),
                },
            }
        )
    repeated = sorted({h for h in headers if headers.count(h) > 1 and h})
    if repeated:
        errors.append(
            {
                "row": 1,
                "column": "、".join(repeated),
                "message": _("Repeated column headers: %(columns)s.")
                % {"columns": "、".join(repeated)},
            }
        )
    key = resource.key_field.column_name
    if key not in headers:
        errors.append(
            {
                "row": 1,
                "column": key,
                "message": _("The column “%(column)s” is required.") % {"column": key},
            }
        )
    return errors


def _messages(error: Any) -> list[str]:
    if isinstance(error, ValidationError):
        return [str(m) for m in error.messages]
    return [str(error)]


def run_import(
    *,
    user: Any,
    resource_class: type[SpreadsheetResource],
    table: Table,
    mode: str = ImportMode.CREATE_OR_UPDATE,
    dry_run: bool,
    progress: Callable[[int, int], None] | None = None,
    confirmed_rows: Collection[int] = (),
) -> ImportOutcome:
    """Import `table` all-or-nothing. With `dry_run`, or when any row is bad, the
    transaction is rolled back; the outcome lists every bad row in Chinese. A row that
    needs an explicit confirmation (a staffing gap) is listed in `confirmations` by the
    preview and applied only if its number is in `confirmed_rows`."""
    with translation.override(IMPORT_LANGUAGE):
        outcome = ImportOutcome(total=len(table.rows), dry_run=dry_run)
        outcome.errors = header_errors(resource_class, table.headers)
        if outcome.errors:
            return outcome
        resource = resource_class(
            user=user,
            mode=mode,
            row_numbers=table.row_numbers,
            progress=progress,
            confirmed_rows=None if dry_run else confirmed_rows,
        )
        dataset = tablib.Dataset(*[tuple(r) for r in table.rows], headers=table.headers)
        try:
            with (
                _collector_paused(),
                transaction.atomic(),
                audit_context(actor=user, import_file=True),
            ):
                # This transaction is the import's: django-import-export is told to open
                # none (its savepoint around every batch would make each batch wait for
                # its COPY, see SpreadsheetResource.import_data) and, for a preview, not to
                # hold back the writes — a preview writes every row like the import, so
                # the database's own checks report too, and is then rolled back below.
                result = resource.import_data(dataset, dry_run=False, use_transactions=False)
                _collect(resource, result, outcome)
                outcome.confirmations = sorted(resource.confirmations, key=lambda c: c["row"])
                if dry_run or outcome.errors:
                    raise _Rollback
        except _Rollback:
            pass
        if progress is not None:
            progress(outcome.total, outcome.total)
        return outcome


def _collect(resource: SpreadsheetResource, result: Any, outcome: ImportOutcome) -> None:
    from import_export.results import RowResult

    def number(i: int) -> int:
        return resource.spreadsheet_row({"row_number": i})

    errors: list[dict[str, Any]] = []
    for invalid in result.invalid_rows:
        for attribute, messages in invalid.error.message_dict.items():
            for message in messages:
                errors.append(
                    {
                        "row": number(invalid.number),
                        "column": resource.column_for(attribute),
                        "message": message,
                    }
                )
    for index, row_errors in result.row_errors():
        for e in row_errors:
            errors.append({"row": number(index), "column": "", "message": str(e.error)[:500]})
    for e in result.base_errors:
        # a rule PostgreSQL holds (a quota's seats) refused the batch: the rule's message
        rule = rule_error(e.error)
        text = "；".join(rule.messages) if rule is not None else str(e.error)[:500]
        errors.append(
            {
                "row": 0,
                "column": "",
                "message": _("The batch could not be saved: %(error)s") % {"error": text},
            }
        )
    errors.sort(key=lambda e: (e["row"], e["column"]))
    outcome.errors = errors
    totals = result.totals
    outcome.created = totals.get(RowResult.IMPORT_TYPE_NEW, 0)
    outcome.updated = totals.get(RowResult.IMPORT_TYPE_UPDATE, 0)
    outcome.unchanged = totals.get(RowResult.IMPORT_TYPE_SKIP, 0)
    preview = []
    for i, row_result in enumerate(result.rows, start=1):
        if len(preview) >= PREVIEW_ROWS:
            break
        if row_result.import_type in (RowResult.IMPORT_TYPE_NEW, RowResult.IMPORT_TYPE_UPDATE):
            preview.append(
                {
                    "row": number(i),
                    "action": row_result.import_type,
                    "object": str(row_result.object_repr or "")[:200],
                }
            )
    outcome.preview = preview
