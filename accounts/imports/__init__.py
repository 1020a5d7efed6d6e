"""The spreadsheet engine: import and export of scoped models through django-import-export.

Every import goes through the same steps, whatever the model:

1. the file is read by `core.spreadsheets` (size, row and zip-bomb limits; XLSX or CSV in
   UTF-8/UTF-8-BOM/GBK/GB18030); unknown or missing headers refuse the whole file;
2. natural keys (credit code, licence number, province name/code, county code) are resolved
   from dicts filled once per import — no query per row;
3. each row is validated like every other path: the model's `full_clean()` (identifier
   validators, `clean()` rules), the resource's own rules, and the scoping policy
   (`accounts.policy`): a row may not touch, nor move a record into, another province;
4. everything runs in one transaction: if any row is bad, nothing is saved and the report
   lists every bad row (row number as the spreadsheet shows it, column header, reason).

New rows are written with COPY (`core.bulk.bulk_insert`, 1,000 per batch; `bulk_create`
on SQLite), changed rows with `bulk_update`. On PostgreSQL a second thread stores each COPY
batch, in a savepoint of its own and with its foreign keys checked, while the next batch is
validated (`core.bulk.CopyPipeline`); a batch the database refuses is reported and the
import saves nothing. Bulk writes skip `save()`, so derived columns are set by the resource
(`prepare_instance`) and `updated_at` by the engine; pghistory's triggers audit every row.
"""

from .exporting import (
    export_rows,
    mask,
    mask_email,
    mask_phone,
    may_see_personal_data,
    record_export,
    render_file,
)
from .resources import PreloadedInstanceLoader, SpreadsheetResource
from .running import ImportOutcome, header_errors, run_import
from .widgets import (
    IMPORT_LANGUAGE,
    OUT_OF_SCOPE,
    BooleanWidget,
    ChoicesWidget,
    DateWidget,
    IntegerWidget,
    MultipleChoicesWidget,
    NaturalKeyWidget,
    TextWidget,
    column,
    normalise_key,
)

__all__ = [
    "IMPORT_LANGUAGE",
    "OUT_OF_SCOPE",
    "BooleanWidget",
    "ChoicesWidget",
    "DateWidget",
    "ImportOutcome",
    "IntegerWidget",
    "MultipleChoicesWidget",
    "NaturalKeyWidget",
    "PreloadedInstanceLoader",
    "SpreadsheetResource",
    "TextWidget",
    "column",
    "export_rows",
    "header_errors",
    "mask",
    "mask_email",
    "mask_phone",
    "may_see_personal_data",
    "normalise_key",
    "record_export",
    "render_file",
    "run_import",
]
