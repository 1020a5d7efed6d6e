"""Reading and writing spreadsheets safely (domain-free).

Reading: an upload is XLSX when it starts with the zip signature, CSV otherwise. XLSX is
opened with openpyxl in read-only mode, which parses its XML with defusedxml (refusing
entity expansion: "billion laughs", external entities); before that the zip directory is
checked so a zip bomb is refused without inflating it. CSV is decoded as UTF-8 (with or
without BOM) or else GB18030, a superset of GBK, which is what Excel in China writes.
Limits (`IMPORT_MAX_BYTES`, `IMPORT_MAX_ROWS`, `IMPORT_MAX_UNCOMPRESSED_BYTES`) come from
settings.

Writing: every text cell that a spreadsheet program would run as a formula (it starts
with = + - @, a tab, CR or NUL) gets a leading apostrophe ("formula injection", CWE-1236).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext as _

ZIP_MAGIC = b"PK\x03\x04"
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\x00")
CSV_ENCODINGS = ("utf-8-sig", "gb18030")  # GB18030 decodes every GBK file


class SpreadsheetError(ValueError):
    """The file as a whole cannot be read (size, format, encoding, limits, bomb)."""


@dataclass
class Table:
    """Header and data rows of the first sheet; `row_numbers[i]` is the number the
    spreadsheet program shows for `rows[i]` (the header is row 1; blank rows are skipped
    but keep their numbers)."""

    headers: list[str]
    rows: list[list[Any]] = field(default_factory=list)
    row_numbers: list[int] = field(default_factory=list)
    format: str = "csv"


def max_bytes() -> int:
    return int(getattr(settings, "IMPORT_MAX_BYTES", 10 * 1024 * 1024))


def max_rows() -> int:
    return int(getattr(settings, "IMPORT_MAX_ROWS", 50_000))


def max_uncompressed_bytes() -> int:
    return int(getattr(settings, "IMPORT_MAX_UNCOMPRESSED_BYTES", 200 * 1024 * 1024))


def _mb(n: int) -> str:
    return f"{n / (1024 * 1024):.1f}"


def read_table(source: bytes | IO[bytes], *, row_limit: int | None = None) -> Table:
    """Read the first sheet of an XLSX or a CSV file into a Table, or raise SpreadsheetError."""
    limit_bytes = max_bytes()
    is_bytes = isinstance(source, bytes | bytearray)
    data = bytes(source) if is_bytes else source.read(limit_bytes + 1)
    if len(data) > limit_bytes:
        raise SpreadsheetError(
            _("The file is larger than %(limit)s MB; split it into smaller files.")
            % {"limit": _mb(limit_bytes)}
        )
    if not data.strip():
        raise SpreadsheetError(_("The file is empty."))
    limit_rows = max_rows() if row_limit is None else row_limit
    if data.startswith(ZIP_MAGIC):
        table = _read_xlsx(data, limit_rows)
    else:
        table = _read_csv(data, limit_rows)
    if not any(table.headers):
        raise SpreadsheetError(_("The first row must hold the column headers."))
    return table


def _clean_cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, dt.datetime):
        return value.date() if value.time() == dt.time(0) else value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _add_rows(table: Table, rows: Iterable[Sequence[Any]], limit_rows: int) -> Table:
    width = len(table.headers)
    for number, raw in enumerate(rows, start=2):
        cells = [_clean_cell(v) for v in raw]
        if not any(c != "" for c in cells):
            continue  # a blank line keeps its number but is not a row
        if len(table.rows) >= limit_rows:
            raise SpreadsheetError(
                _("The file has more than %(limit)d data rows; split it into smaller files.")
                % {"limit": limit_rows}
            )
        cells = (cells + [""] * width)[:width] if len(cells) != width else cells
        table.rows.append(cells)
        table.row_numbers.append(number)
    return table


def _check_zip(data: bytes) -> None:
    """Refuse a zip bomb from its directory, before anything is inflated.

    zipfile stops reading an entry at its declared size, so bounding the declared sizes
    bounds what openpyxl can inflate."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as e:
        raise SpreadsheetError(_("The file is not a valid XLSX workbook.")) from e
    with archive:
        infos = archive.infolist()
        if len(infos) > 10_000:
            raise SpreadsheetError(_("The XLSX workbook has too many parts."))
        total = sum(i.file_size for i in infos)
        limit = max_uncompressed_bytes()
        if total > limit:
            raise SpreadsheetError(
                _(
                    "The XLSX workbook unpacks to more than %(limit)s MB; "
                    "it is refused as a possible zip bomb."
                )
                % {"limit": _mb(limit)}
            )


def _read_xlsx(data: bytes, limit_rows: int) -> Table:
    from openpyxl import load_workbook
    from openpyxl.xml import DEFUSEDXML

    if not DEFUSEDXML:  # openpyxl falls back to the stdlib parser without defusedxml
        raise ImproperlyConfigured("defusedxml must be installed to read XLSX uploads")
    _check_zip(data)
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as e:  # defusedxml's EntitiesForbidden, bad zip members, bad XML …
        raise SpreadsheetError(
            _("The XLSX workbook cannot be read safely (%(error)s).") % {"error": _root_cause(e)}
        ) from e
    try:
        sheet = workbook.worksheets[0]
        rows = sheet.iter_rows(values_only=True)
        try:
            header = next(rows)
        except StopIteration:
            raise SpreadsheetError(_("The file is empty.")) from None
        headers = [str(_clean_cell(h)) for h in header]
        while headers and headers[-1] == "":
            headers.pop()
        try:
            return _add_rows(Table(headers=headers, format="xlsx"), rows, limit_rows)
        except SpreadsheetError:
            raise
        except Exception as e:
            raise SpreadsheetError(
                _("The XLSX workbook cannot be read safely (%(error)s).")
                % {"error": _root_cause(e)}
            ) from e
    finally:
        workbook.close()


def _root_cause(error: BaseException) -> str:
    """The name of the innermost exception (openpyxl wraps defusedxml's in a ValueError)."""
    seen = 0
    while (error.__cause__ or error.__context__) is not None and seen < 10:
        error = error.__cause__ or error.__context__  # type: ignore[assignment]
        seen += 1
    return type(error).__name__


def decode_csv(data: bytes) -> str:
    for encoding in CSV_ENCODINGS:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise SpreadsheetError(_("The file is neither XLSX nor a CSV file in UTF-8 or GBK/GB18030."))


def _read_csv(data: bytes, limit_rows: int) -> Table:
    text = decode_csv(data)
    if "\x00" in text:
        raise SpreadsheetError(
            _("The file is neither XLSX nor a CSV file in UTF-8 or GBK/GB18030.")
        )
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise SpreadsheetError(_("The file is empty.")) from None
    except csv.Error as e:
        raise SpreadsheetError(_("The CSV file is malformed: %(error)s") % {"error": e}) from e
    headers = [h.strip().lstrip("\ufeff") for h in header]
    while headers and headers[-1] == "":
        headers.pop()
    try:
        return _add_rows(Table(headers=headers, format="csv"), reader, limit_rows)
    except csv.Error as e:
        raise SpreadsheetError(_("The CSV file is malformed: %(error)s") % {"error": e}) from e


# --- writing ------------------------------------------------------------------------------
def neutralise(value: Any) -> Any:
    """A cell value that no spreadsheet program will evaluate as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def _xlsx_safe(value: Any) -> Any:
    """XML cannot carry control characters (openpyxl refuses them): drop them."""
    if isinstance(value, str):
        from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

        return ILLEGAL_CHARACTERS_RE.sub("", value)
    return value


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool | int | float | Decimal | dt.date):
        return value
    return neutralise(str(value))


def write_csv(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    """UTF-8 with BOM, so that Excel (also in China) opens it with the right encoding."""
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow([_cell(h) for h in headers])
    for row in rows:
        writer.writerow([_cell(v) for v in row])
    return out.getvalue().encode("utf-8-sig")


def write_xlsx(
    headers: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    title: str = "Sheet1",
    text_columns: Iterable[int] = (),
) -> bytes:
    """A workbook with one sheet; `text_columns` (0-based) are formatted as text, so that
    identifiers such as 17-digit licence numbers are not turned into numbers."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31] or "Sheet1")
    text = set(text_columns)
    for index in text:
        letter = _column_letter(index)
        sheet.column_dimensions[letter].number_format = "@"
    sheet.append([_xlsx_safe(_cell(h)) for h in headers])
    for row in rows:
        cells = []
        for index, value in enumerate(row):
            value = _xlsx_safe(_cell(value))
            if index in text:
                cell = WriteOnlyCell(sheet, value=str(value) if value != "" else "")
                cell.number_format = "@"
                cells.append(cell)
            else:
                cells.append(value)
        sheet.append(cells)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _column_letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(index + 1)
