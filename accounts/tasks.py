"""Celery tasks of the accounts app: thin wrappers over its services."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="accounts.tasks.run_import_record")
def run_import_record(record_id: int, apply: bool, confirm: bool = False) -> dict[str, object]:
    """Preview or apply one spreadsheet import (large files); idempotent. `confirm`: the
    uploader confirmed the rows the preview listed as needing confirmation."""
    from .import_records import process_import_record

    record = process_import_record(
        record_id=int(record_id), apply=bool(apply), confirm=bool(confirm)
    )
    return {"id": record.pk, "status": record.status, "errors": len(record.errors)}


@shared_task(name="accounts.tasks.reap_interrupted_imports", ignore_result=True)
def reap_interrupted_imports() -> int:
    """Mark imports whose worker stopped mid-way as failed (beat, every 5 minutes)."""
    from django.utils import timezone

    from .import_records import reap_interrupted_imports as reap

    return reap(now=timezone.now())
