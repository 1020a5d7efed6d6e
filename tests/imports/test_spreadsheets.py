"""Reading uploads safely (limits, encodings, XML and zip bombs) and writing files that
no spreadsheet program runs as formulas."""

from __future__ import annotations

import csv
import io
import zipfile

import pytest
from openpyxl import load_workbook

from core.spreadsheets import SpreadsheetError, neutralise, read_table, write_csv, write_xlsx

from .files import csv_bytes, xlsx

HEADERS = ["统一社会信用代码", "名称"]
ROWS = [["31430000E00000017X", "湖南某律师事务所"], ["31430000E00000025Y", "长沙某律师事务所"]]


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-8", "gbk", "gb18030"])
def test_csv_in_every_encoding_excel_writes_reads_the_same(encoding):
    table = read_table(csv_bytes(HEADERS, ROWS, encoding))

    assert table.headers == HEADERS
    assert table.rows == ROWS
    assert table.row_numbers == [2, 3]


def test_gb18030_only_characters_are_read():
    rows = [["31430000E00000017X", "𠀀律师事务所"]]  # outside GBK, inside GB18030

    table = read_table(csv_bytes(HEADERS, rows, "gb18030"))

    assert table.rows == rows


def test_xlsx_numbers_typed_into_cells_come_back_as_digits():
    table = read_table(xlsx(["区县代码", "人数"], [[430102, 12.0]]))

    assert table.rows == [[430102, 12]]
    assert table.format == "xlsx"


def test_a_file_over_the_size_limit_is_refused_with_the_limit(settings):
    settings.IMPORT_MAX_BYTES = 1024
    data = csv_bytes(HEADERS, ROWS * 100, "utf-8-sig")

    with pytest.raises(SpreadsheetError, match=r"1024|0\.0 MB") as e:
        read_table(data)

    assert "拆分" in str(e.value) or "split" in str(e.value)


@pytest.mark.parametrize("maker", ["xlsx", "csv"])
def test_a_file_with_too_many_rows_is_refused(settings, maker):
    settings.IMPORT_MAX_ROWS = 3
    rows = ROWS * 2  # 4 data rows
    data = xlsx(HEADERS, rows) if maker == "xlsx" else csv_bytes(HEADERS, rows, "gbk")

    with pytest.raises(SpreadsheetError) as e:
        read_table(data)

    assert "3" in str(e.value)


def test_exactly_the_row_limit_is_accepted(settings):
    settings.IMPORT_MAX_ROWS = 4

    assert len(read_table(xlsx(HEADERS, ROWS * 2)).rows) == 4


def _rezip(data: bytes, replace: dict[str, bytes], add: dict[str, bytes] | None = None) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            target.writestr(info.filename, replace.get(info.filename, source.read(info.filename)))
        for name, body in (add or {}).items():
            target.writestr(name, body)
    return out.getvalue()


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">
<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&lol4;</t></is></c></row></sheetData>
</worksheet>"""


def test_an_xml_bomb_in_a_worksheet_is_refused():
    data = _rezip(xlsx(HEADERS, ROWS), {"xl/worksheets/sheet1.xml": BILLION_LAUGHS})

    with pytest.raises(SpreadsheetError) as e:
        read_table(data)

    assert "EntitiesForbidden" in str(e.value)  # defusedxml refused the entities


def test_an_xml_bomb_in_the_workbook_part_is_refused():
    source = zipfile.ZipFile(io.BytesIO(xlsx(HEADERS, ROWS)))
    workbook = source.read("xl/workbook.xml")
    if workbook.startswith(b"<?xml"):
        workbook = workbook.split(b"?>", 1)[1]
    bomb = BILLION_LAUGHS.split(b"<worksheet")[0] + workbook

    with pytest.raises(SpreadsheetError, match="EntitiesForbidden"):
        read_table(_rezip(xlsx(HEADERS, ROWS), {"xl/workbook.xml": bomb}))


def test_a_zip_bomb_is_refused_before_it_is_inflated(settings):
    settings.IMPORT_MAX_UNCOMPRESSED_BYTES = 1024 * 1024
    data = _rezip(xlsx(HEADERS, ROWS), {}, add={"xl/media/padding.bin": b"\0" * (8 * 1024 * 1024)})
    assert len(data) < 100_000  # 8 MB of zeros deflate to a few kB

    with pytest.raises(SpreadsheetError) as e:
        read_table(data)

    assert "压缩炸弹" in str(e.value) or "zip bomb" in str(e.value)


def test_a_broken_zip_and_a_binary_file_are_refused():
    with pytest.raises(SpreadsheetError):
        read_table(b"PK\x03\x04" + b"garbage" * 10)
    with pytest.raises(SpreadsheetError):
        read_table(bytes(range(256)) * 4)


def test_an_empty_file_is_refused():
    with pytest.raises(SpreadsheetError):
        read_table(b"   \n")


@pytest.mark.parametrize(
    "value", ["=1+1", "+1", "-1", "@SUM(A1)", "\t=1", "\r=1", "\x00=1", '=HYPERLINK("x")']
)
def test_formula_triggers_get_a_leading_apostrophe(value):
    assert neutralise(value) == "'" + value


@pytest.mark.parametrize("value", ["湖南", "1+1", "a=b", "", 12, None])
def test_ordinary_values_are_left_alone(value):
    assert neutralise(value) == value


def test_written_csv_is_utf8_with_bom_and_neutralised():
    body = write_csv(["名称", "电话"], [["=cmd|' /C calc'!A0", "-2"], ["湖南", "+86"]])

    assert body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows == [["名称", "电话"], ["'=cmd|' /C calc'!A0", "'-2"], ["湖南", "'+86"]]


def test_written_xlsx_cells_are_neutralised_and_text_columns_stay_text():
    body = write_xlsx(
        ["执业证号", "姓名"],
        [["15401202310000123", "@evil"], ["16501201511000456", "\x00=1"]],
        text_columns=[0],
    )

    sheet = load_workbook(io.BytesIO(body)).active
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert values == [
        ["执业证号", "姓名"],
        ["15401202310000123", "'@evil"],
        ["16501201511000456", "'=1"],
    ]
    assert sheet["A2"].number_format == "@"
