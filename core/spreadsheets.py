"""Reading and writing spreadsheets safely (domain-free).

Reading: an upload is XLSX when it starts with the zip signature, CSV otherwise. XLSX is
read as openpyxl's read-only mode reads it: openpyxl (with defusedxml) reads the package's
small parts, and the cells and shared strings are read with expat set up as defusedxml sets
it up (entity declarations and external references refused: "billion laughs", XXE), about
3x faster than openpyxl's per-cell objects; before that the zip directory is checked so a
zip bomb is refused without inflating it. CSV is decoded as UTF-8 (with or
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
import warnings
import zipfile
from collections.abc import Iterable, Iterator, Sequence
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
    from openpyxl.xml import DEFUSEDXML

    if not DEFUSEDXML:  # openpyxl falls back to the stdlib parser without defusedxml
        raise ImproperlyConfigured("defusedxml must be installed to read XLSX uploads")
    _check_zip(data)
    try:
        sheet = _first_sheet(data)
    except Exception as e:  # defusedxml's EntitiesForbidden, bad zip members, bad XML …
        raise SpreadsheetError(
            _("The XLSX workbook cannot be read safely (%(error)s).") % {"error": _root_cause(e)}
        ) from e
    try:
        rows = sheet.values()
        try:
            header = next(rows)
        except StopIteration:
            raise SpreadsheetError(_("The file is empty.")) from None
        headers = [str(_clean_cell(h)) for h in header]
        while headers and headers[-1] == "":
            headers.pop()
        return _add_rows(Table(headers=headers, format="xlsx"), rows, limit_rows)
    except SpreadsheetError:
        raise
    except Exception as e:
        raise SpreadsheetError(
            _("The XLSX workbook cannot be read safely (%(error)s).") % {"error": _root_cause(e)}
        ) from e
    finally:
        sheet.close()


def _first_sheet(data: bytes) -> Any:
    """The workbook's first worksheet, ready to be read by `_XlsxSheet.values()`.

    openpyxl reads the package's small parts as `load_workbook(read_only=True,
    data_only=True)` does (manifest, workbook and its relationships, stylesheet: with
    defusedxml); the two large parts, the shared strings and the sheet's cells, are read
    by `_XlsxSheet` with expat directly: openpyxl builds an element tree and several
    objects per cell and string, which made the upload's parse cost about as much as the
    import itself (tests/imports/test_xlsx_reader.py compares both on every kind of cell).
    """
    from openpyxl.packaging.manifest import Manifest
    from openpyxl.reader.excel import ExcelReader
    from openpyxl.styles.stylesheet import apply_stylesheet
    from openpyxl.xml.constants import ARC_CONTENT_TYPES, SHARED_STRINGS
    from openpyxl.xml.functions import fromstring

    reader = ExcelReader(io.BytesIO(data), read_only=True, data_only=True)
    archive = reader.archive
    try:
        reader.package = Manifest.from_tree(fromstring(archive.read(ARC_CONTENT_TYPES)))
        reader.read_workbook()
        workbook = reader.wb
        apply_stylesheet(archive, workbook)
        target = None
        for _sheet, rel in reader.parser.find_sheets():
            # workbook.worksheets[0]: the first sheet present that is not a chart sheet
            if rel.target in reader.valid_files and "chartsheet" not in rel.Type:
                target = rel.target
                break
        if target is None:
            raise IndexError("no worksheet")
        strings: list[str] = []
        part = reader.package.find(SHARED_STRINGS)
        if part is not None:
            with archive.open(part.PartName[1:]) as src:
                strings = _read_shared_strings(src)
        return _XlsxSheet(
            archive,
            target,
            strings,
            date_formats=set(workbook._date_formats),
            timedelta_formats=set(workbook._timedelta_formats),
            epoch=workbook.epoch,
        )
    except BaseException:
        archive.close()
        raise


# --- the expat reader of the two large parts --------------------------------------------
def _expat_parser() -> Any:
    """An expat parser with defusedxml's defaults (entity declarations and external
    references refused with its exceptions; a DTD without them is allowed) and namespaces
    reported as "uri}name"."""
    from xml.parsers import expat

    from defusedxml.common import EntitiesForbidden, ExternalReferenceForbidden

    parser = expat.ParserCreate(namespace_separator="}")

    def entity_decl(name, is_parameter_entity, value, base, sysid, pubid, notation_name):
        raise EntitiesForbidden(name, value, base, sysid, pubid, notation_name)

    def unparsed_entity_decl(name, base, sysid, pubid, notation_name):
        raise EntitiesForbidden(name, None, base, sysid, pubid, notation_name)

    def external_entity_ref(context, base, sysid, pubid):
        raise ExternalReferenceForbidden(context, base, sysid, pubid)

    parser.EntityDeclHandler = entity_decl
    parser.UnparsedEntityDeclHandler = unparsed_entity_decl
    parser.ExternalEntityRefHandler = external_entity_ref
    parser.buffer_text = True  # one CharacterDataHandler call per run of text
    return parser


def _main(name: str) -> str:
    from openpyxl.xml.constants import SHEET_MAIN_NS

    return f"{SHEET_MAIN_NS}}}{name}"


_CHUNK = 256 * 1024
DIGITS = "0123456789"


class _RichText:
    """The text of an `<si>` or `<is>` element as openpyxl's `Text.content` gives it: its
    plain `<t>`, then the `<t>` of each run `<r>`; phonetic runs (`<rPh>`) left out."""

    def __init__(self) -> None:
        self.names = (_main("t"), _main("r"), _main("rPh"))  # what open/close compare
        self.reset()

    def reset(self) -> None:
        self.plain: list[str] | None = None
        self.runs: list[str] = []
        self.in_run = False
        self.in_phonetic = False
        self.target: list[str] | None = None

    def start_t(self) -> None:
        if self.in_phonetic:
            self.target = None
        elif self.in_run:
            self.target = self.runs
        else:
            self.target = self.plain = []

    def text(self) -> str:
        return "".join(self.plain or ()) + "".join(self.runs)

    def open(self, name: str) -> None:
        """An element inside the string starts (`<t>`, `<r>`, `<rPh>`; others ignored)."""
        t, r, rph = self.names
        if name == t:
            self.start_t()
        elif name == r:
            self.in_run = True
        elif name == rph:
            self.in_phonetic = True

    def close(self, name: str) -> None:
        """An element inside the string ends."""
        t, r, rph = self.names
        if name == t:
            self.target = None
        elif name == r:
            self.in_run = False
        elif name == rph:
            self.in_phonetic = False


def _read_shared_strings(src: IO[bytes]) -> list[str]:
    """openpyxl's `read_string_table` (the same strings, `x005F_` removed likewise)."""
    SI = _main("si")
    strings: list[str] = []
    text = _RichText()  # one, reset for each string
    state: list[_RichText | None] = [None]

    def start(name: str, attrs: dict[str, str]) -> None:
        current = state[0]
        if name == SI:
            text.reset()
            state[0] = text
        elif current is not None:
            current.open(name)

    def end(name: str) -> None:
        current = state[0]
        if current is None:
            return
        if name == SI:
            strings.append(current.text().replace("x005F_", ""))
            state[0] = None
        else:
            current.close(name)

    def data(text: str) -> None:
        current = state[0]
        if current is not None and current.target is not None:
            current.target.append(text)

    parser = _expat_parser()
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = data
    while chunk := src.read(_CHUNK):
        parser.Parse(chunk, False)
    parser.Parse(b"", True)
    return strings


class _XlsxSheet:
    """One worksheet's cell values, row by row, as openpyxl's read-only worksheet gives
    them with `iter_rows(values_only=True)` and `data_only=True`: rows padded to the
    sheet's declared dimension (missing rows as empty rows, cells beyond it dropped), the
    cached value of a formula, numbers as int or float, dates by the cell's number format,
    booleans, inline and shared strings."""

    def __init__(
        self,
        archive: zipfile.ZipFile,
        path: str,
        strings: list[str],
        *,
        date_formats: set[int],
        timedelta_formats: set[int],
        epoch: dt.datetime,
    ) -> None:
        self.archive = archive
        self.path = path
        self.strings = strings
        self.date_formats = date_formats
        self.timedelta_formats = timedelta_formats
        self.epoch = epoch

    def close(self) -> None:
        self.archive.close()

    def values(self) -> Iterator[tuple[Any, ...]]:
        from openpyxl.worksheet._read_only import read_dimension

        with self.archive.open(self.path) as src:
            dimensions = read_dimension(src)
        max_col = max_row = None
        if dimensions is not None:
            _min_col, _min_row, max_col, max_row = dimensions
        # openpyxl's ReadOnlyWorksheet._cells_by_row(1, 1, max_col, max_row, values_only)
        empty_row: tuple[Any, ...] | list[Any] = []
        if max_col is not None:
            empty_row = (None,) * max_col
        counter = 1
        idx = 1
        for idx, cells in self._parsed_rows():
            if max_row is not None and idx > max_row:
                break
            for _missing in range(counter, idx):
                counter += 1
                yield empty_row  # type: ignore[misc]
            if counter <= idx:
                counter += 1
                yield self._row(cells, max_col)
        if max_row is not None and max_row < idx:
            for _missing in range(counter, max_row + 1):
                yield empty_row  # type: ignore[misc]

    @staticmethod
    def _row(cells: list[tuple[int, Any]], max_col: int | None) -> tuple[Any, ...]:
        # openpyxl's ReadOnlyWorksheet._get_row(values_only=True), min_col 1
        if not cells and not max_col:
            return ()
        width = max_col or cells[-1][0]
        out: list[Any] = [None] * width
        for column, value in cells:
            if 1 <= column <= width:
                out[column - 1] = value
        return tuple(out)

    def _parsed_rows(self) -> Iterator[tuple[int, list[tuple[int, Any]]]]:
        """(row number, [(column, value)]) per `<row>`, as openpyxl's WorkSheetParser."""
        from openpyxl.utils.cell import column_index_from_string, coordinate_to_tuple
        from openpyxl.utils.datetime import from_excel, from_ISO8601
        from openpyxl.worksheet._reader import _cast_number

        ROW, C, V, IS = _main("row"), _main("c"), _main("v"), _main("is")
        strings = self.strings
        date_formats = self.date_formats
        timedelta_formats = self.timedelta_formats
        epoch = self.epoch
        columns: dict[str, int] = {}
        done: list[tuple[int, list[tuple[int, Any]]]] = []
        # the row and cell being read: [row number, column counter, cells]; the cell's
        # attributes, its <v> text, its inline string
        row: list[Any] = [0, 0, None]
        cell: list[Any] = [None, None, None, False]  # attrs, <v> parts, _RichText, in <v>
        depth = [0]  # element depth inside the cell (<v> and <is> are its children)

        def start(name: str, attrs: dict[str, str]) -> None:
            if name == C:
                cell[0], cell[1], cell[2], cell[3] = attrs, None, None, False
                depth[0] = 1
                return
            if cell[0] is not None:
                depth[0] += 1
                rich = cell[2]
                if depth[0] == 2:
                    if name == V:
                        if cell[1] is None:  # findtext: the first <v>
                            cell[1] = []
                            cell[3] = True
                    elif name == IS and rich is None:  # find: the first <is>
                        cell[2] = _RichText()
                elif rich is not None:
                    rich.open(name)
                return
            if name == ROW:
                number = attrs.get("r")
                if number is not None:
                    try:
                        row[0] = int(number)
                    except ValueError:
                        value = float(number)
                        if not value.is_integer():
                            raise ValueError(f"{number} is not a valid row number") from None
                        row[0] = int(value)
                else:
                    row[0] += 1
                row[1] = 0
                row[2] = []

        def end(name: str) -> None:
            attrs = cell[0]
            if attrs is None:
                if name == ROW and row[2] is not None:
                    done.append((row[0], row[2]))
                    row[2] = None
                return
            if name != C or depth[0] != 1:
                rich = cell[2]
                if depth[0] == 2 and name == V:
                    cell[3] = False
                elif rich is not None:
                    rich.close(name)
                depth[0] -= 1
                return
            cell[0] = None
            depth[0] = 0
            data_type = attrs.get("t", "n")
            coordinate = attrs.get("r")
            style_id: Any = attrs.get("s", 0)
            if style_id:
                style_id = int(style_id)
            value: Any = None
            if data_type != "inlineStr" and cell[1]:
                value = "".join(cell[1]) or None
            if coordinate:
                # the column of "AB12" (openpyxl's coordinate_to_tuple, which also reads
                # the row number that it then ignores, as this does)
                column = columns.get(coordinate.rstrip(DIGITS))
                if column is None:
                    letters = coordinate.rstrip(DIGITS)
                    if letters.isalpha() and len(letters) < len(coordinate):
                        column = columns[letters] = column_index_from_string(letters)
                    else:  # malformed: refused (or read) as openpyxl does
                        _row_number, column = coordinate_to_tuple(coordinate)
                row[1] = column
            else:
                row[1] += 1
                column = row[1]
            if value is not None:
                if data_type == "n":
                    value = _cast_number(value)
                    if style_id in date_formats:
                        try:
                            value = from_excel(
                                value, epoch, timedelta=style_id in timedelta_formats
                            )
                        except (OverflowError, ValueError):
                            warnings.warn(
                                f"Cell {coordinate} is marked as a date but the serial value "
                                f"{value} is outside the limits for dates. The cell will be "
                                "treated as an error.",
                                stacklevel=1,
                            )
                            value = "#VALUE!"
                elif data_type == "s":
                    value = strings[int(value)]
                elif data_type == "b":
                    value = bool(int(value))
                elif data_type == "d":
                    value = from_ISO8601(value)
            elif data_type == "inlineStr" and cell[2] is not None:
                value = cell[2].text()
            if row[2] is not None:
                row[2].append((column, value))

        def data(text: str) -> None:
            if cell[3]:
                cell[1].append(text)
            elif cell[2] is not None and cell[2].target is not None:
                cell[2].target.append(text)

        parser = _expat_parser()
        parser.StartElementHandler = start
        parser.EndElementHandler = end
        parser.CharacterDataHandler = data
        with self.archive.open(self.path) as src:
            while chunk := src.read(_CHUNK):
                parser.Parse(chunk, False)
                yield from done
                done.clear()
            parser.Parse(b"", True)
        yield from done


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
