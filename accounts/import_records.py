"""Imports as kept records (core.ImportRecord): upload → dry-run preview → confirm → apply.

Files with more than `IMPORT_SYNC_ROWS` rows are previewed and applied by a Celery task
(`accounts.tasks.run_import_record`), enqueued after commit. While an import runs inside
its transaction, its progress is published through the cache (a write to the record would
not be visible before the commit); the record keeps the final figures.

The file is parsed once, at upload: its table is kept in the cache for
`IMPORT_TABLE_CACHE_SECONDS`, keyed by the file's SHA-256, so the preview and the apply
step read the stored file only to hash it (parsing 10,000 XLSX rows takes about as long
as importing them). A miss (expired, evicted, the cache down) parses the stored file
again: the file stays the source of truth.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from typing import IO, Any

from django.conf import settings
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone, translation
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from core.models import ImportMode, ImportRecord, ImportStatus
from core.spreadsheets import SpreadsheetError, Table, max_bytes, max_rows, read_table

from .imports import IMPORT_LANGUAGE, SpreadsheetResource, run_import

logger = logging.getLogger(__name__)

# bump when read_table's output for the same bytes changes, so no old parse is served
TABLE_CACHE_VERSION = 1


def progress_key(record_id: int) -> str:
    return f"imports:progress:{record_id}"


def table_key(data: bytes) -> str:
    """The cache key of a file's parsed table: its bytes and the row limit decide it."""
    digest = hashlib.sha256(data).hexdigest()
    return f"imports:table:v{TABLE_CACHE_VERSION}:{max_rows()}:{digest}"


def _keep_table(data: bytes, table: Table) -> None:
    try:
        cache.set(table_key(data), table, timeout=settings.IMPORT_TABLE_CACHE_SECONDS)
    except Exception:  # the cache is an optimisation: the stored file is parsed again
        logger.warning("import table not cached", exc_info=True)


def record_table(record: ImportRecord) -> Table:
    """The parsed table of a record's stored file: from the cache when the upload's
    parse is still there, else parsed again (and kept). Raises SpreadsheetError."""
    with record.file.open("rb") as fh:
        data = fh.read()
    try:
        table = cache.get(table_key(data))
    except Exception:  # a cache that is down or holds what no longer unpickles: a miss
        logger.warning("import table cache unreadable", exc_info=True)
        table = None
    if isinstance(table, Table):
        return table
    table = read_table(data)
    _keep_table(data, table)
    return table


def resource_for(path: str) -> type[SpreadsheetResource]:
    """The resource class named by a record (only SpreadsheetResource subclasses)."""
    if not path.endswith("Resource") or ".resources." not in path:
        raise ValueError(f"not a spreadsheet resource: {path}")
    resource_class = import_string(path)
    if not (isinstance(resource_class, type) and issubclass(resource_class, SpreadsheetResource)):
        raise ValueError(f"not a spreadsheet resource: {path}")
    return resource_class


def resource_path(resource_class: type[SpreadsheetResource]) -> str:
    return f"{resource_class.__module__}.{resource_class.__qualname__}"


def runs_in_background(record: ImportRecord) -> bool:
    return record.rows_total > int(getattr(settings, "IMPORT_SYNC_ROWS", 2000))


@transaction.atomic
def create_import_record(
    *,
    user: Any,
    resource_class: type[SpreadsheetResource],
    upload: IO[bytes],
    file_name: str,
    mode: str = ImportMode.CREATE_OR_UPDATE,
) -> ImportRecord:
    """Keep the uploaded file and count its rows. Raises SpreadsheetError (with a
    user-facing message) for a file that cannot be read or breaks the limits."""
    data = upload.read(max_bytes() + 1)
    table = read_table(data)  # raises SpreadsheetError
    record = ImportRecord(
        user=user,
        model_label=resource_class._meta.model._meta.label,
        resource=resource_path(resource_class),
        file_name=file_name[:255],
        mode=ImportMode(mode),
        rows_total=len(table.rows),
    )
    record.file.save(file_name[-100:] or "import", ContentFile(data), save=False)
    record.full_clean()
    record.save()
    _keep_table(data, table)
    return record


def _publish_progress(record_id: int, percent: int | None) -> None:
    """Progress is shown while an import runs; a cache that is down hides it but must not
    stop the import (None: the import is over, forget it)."""
    try:
        if percent is None:
            cache.delete(progress_key(record_id))
        else:
            cache.set(progress_key(record_id), percent, timeout=24 * 60 * 60)
    except Exception:
        logger.warning("import progress not published", exc_info=True)


def _progress(record_id: int):
    def report(done: int, total: int) -> None:
        _publish_progress(record_id, 100 if total == 0 else min(100, done * 100 // total))

    return report


def current_progress(record: ImportRecord) -> int:
    if record.status in (ImportStatus.PENDING, ImportStatus.RUNNING):
        try:
            value = cache.get(progress_key(record.pk))
        except Exception:
            logger.warning("import progress unreadable", exc_info=True)
            value = None
        if isinstance(value, int):
            return value
    return record.progress


def process_import_record(*, record_id: int, apply: bool, confirm: bool = False) -> ImportRecord:
    """Preview (dry run) or apply one import; idempotent: an import already applied or
    running is left alone. The preview lists the rows that need an explicit confirmation
    (`record.confirmations`: a staffing gap); applying with `confirm` confirms those rows
    (recorded in `confirmed_at`, and on each record as its rule says); applying without
    it refuses them, and so the file."""
    with transaction.atomic():
        record = ImportRecord.objects.select_for_update().select_related("user").get(pk=record_id)
        if apply and record.status != ImportStatus.PREVIEWED:
            return record
        if not apply and record.status != ImportStatus.PENDING:
            return record
        record.status = ImportStatus.RUNNING if apply else ImportStatus.PENDING
        record.started_at = timezone.now()
        record.progress = 0
        fields = ["status", "started_at", "progress", "updated_at"]
        if apply and confirm and record.confirmations:
            record.confirmed_at = record.started_at
            fields.append("confirmed_at")
        record.save(update_fields=fields)
    _publish_progress(record.pk, 0)
    # only the rows the preview listed (and the clerk saw) are confirmed
    confirmed_rows = {c["row"] for c in record.confirmations} if confirm and apply else set()
    try:
        table = record_table(record)
        outcome = run_import(
            user=record.user,
            resource_class=resource_for(record.resource),
            table=table,
            mode=record.mode,
            dry_run=not apply,
            progress=_progress(record.pk),
            confirmed_rows=confirmed_rows,
        )
        errors = outcome.errors
    except SpreadsheetError as e:
        outcome, errors = None, [{"row": 0, "column": "", "message": str(e)}]
    record.errors = errors
    if outcome is not None:
        record.rows_total = outcome.total
        record.rows_created = outcome.created
        record.rows_updated = outcome.updated
        record.rows_unchanged = outcome.unchanged
        record.preview = outcome.preview
        if not apply:
            record.confirmations = outcome.confirmations
    if errors:
        record.status = ImportStatus.FAILED
    else:
        record.status = ImportStatus.SUCCEEDED if apply else ImportStatus.PREVIEWED
    record.progress = 100
    record.finished_at = timezone.now()
    record.save()
    _publish_progress(record.pk, None)
    return record


def reap_interrupted_imports(*, now: dt.datetime) -> int:
    """Imports still pending or running IMPORT_STALE_MINUTES after they started: no task
    can run that long (CELERY_TASK_TIME_LIMIT kills it first), so their worker stopped —
    killed, restarted — and their transaction was rolled back: nothing of the file was
    saved. They are marked failed with a message that says so (one UPDATE); without this
    an applied import redelivered to another worker would stay "running" for good, since
    a running import is never started twice. How many."""
    cutoff = now - dt.timedelta(minutes=settings.IMPORT_STALE_MINUTES)
    with translation.override(IMPORT_LANGUAGE):
        message = _(
            "The import was interrupted (its worker stopped) and nothing was saved. "
            "Upload the file again."
        )
    return ImportRecord.objects.filter(
        status__in=[ImportStatus.PENDING, ImportStatus.RUNNING], started_at__lt=cutoff
    ).update(
        status=ImportStatus.FAILED,
        errors=[{"row": 0, "column": "", "message": str(message)}],
        progress=100,
        finished_at=now,
        updated_at=now,
    )


def start_import_step(*, record: ImportRecord, apply: bool, confirm: bool = False) -> ImportRecord:
    """Run the preview or the apply step now, or enqueue it for a worker (large files).
    `confirm`: the clerk confirmed the rows the preview listed as needing it."""
    if runs_in_background(record):
        from .tasks import run_import_record

        if apply:
            ImportRecord.objects.filter(pk=record.pk).update(progress=0)
        transaction.on_commit(lambda: run_import_record.delay(record.pk, apply, confirm))
        return record
    return process_import_record(record_id=record.pk, apply=apply, confirm=confirm)
