"""The XLSX reader gives what openpyxl's read-only workbook gave (`load_workbook(...,
read_only=True, data_only=True)`, first sheet, `iter_rows(values_only=True)`): every kind of
cell, as Excel, WPS and openpyxl write them, and the quirks (declared dimension, missing
rows and cell references), read both ways and compared."""

from __future__ import annotations

import datetime as dt
import io
import zipfile

import pytest
from openpyxl import Workbook, load_workbook
from openpyxl.cell.rich_text import CellRichText, TextBlock
from openpyxl.cell.text import InlineFont
from openpyxl.utils.datetime import CALENDAR_MAC_1904

from core.spreadsheets import (
    SpreadsheetError,
    Table,
    _add_rows,
    _clean_cell,
    read_table,
    write_xlsx,
)

from .files import xlsx
from .test_spreadsheets import BILLION_LAUGHS, _rezip


def openpyxl_table(data: bytes) -> Table:
    """read_table's XLSX path as it was, with openpyxl reading the cells."""
    workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        rows = workbook.worksheets[0].iter_rows(values_only=True)
        headers = [str(_clean_cell(h)) for h in next(rows)]
        while headers and headers[-1] == "":
            headers.pop()
        return _add_rows(Table(headers=headers, format="xlsx"), rows, 50_000)
    finally:
        workbook.close()


def assert_read_alike(data: bytes) -> Table | None:
    """Both read the same table, or both refuse the file."""
    try:
        expected = openpyxl_table(data)
    except Exception:
        with pytest.raises(SpreadsheetError):
            read_table(data)
        return None
    table = read_table(data)
    assert (table.headers, table.rows, table.row_numbers) == (
        expected.headers,
        expected.rows,
        expected.row_numbers,
    )
    return table


def _saved(workbook: Workbook) -> bytes:
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


# cells hold local, naive date-times (a spreadsheet has no time zone)
NOON = dt.datetime(2024, 1, 2, 3, 4)  # noqa: DTZ001
MIDNIGHT = dt.datetime(2023, 7, 27)  # noqa: DTZ001


def test_every_value_openpyxl_writes_reads_the_same():
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["文本", "整数", "小数", "布尔", "日期", "时间", "空", "公式"])
    sheet.append(["湖南省", 430102, 12.5, True, dt.date(2023, 7, 27), NOON])
    sheet.append(["  带空格  ", -7, 1e20, False, MIDNIGHT, None, None, "=B2+1"])
    sheet.append([])  # an empty row keeps its number
    sheet.append(["x005F_x000D_", 0, 0.0, None, None, None, None, '="a"'])
    sheet["J6"] = "beyond the header"
    sheet["A8"] = CellRichText(
        "富", TextBlock(InlineFont(b=True), "文本"), TextBlock(InlineFont(i=True), "run")
    )
    sheet["B9"].value = 44000
    sheet["B9"].number_format = "yyyy-mm-dd"
    sheet["C9"].value = 1.25
    sheet["C9"].number_format = "[h]:mm:ss"

    table = assert_read_alike(_saved(workbook))

    assert table.row_numbers == [2, 3, 5, 6, 8, 9]
    assert table.rows[0][:6] == [
        "湖南省",
        430102,
        12.5,
        True,
        dt.date(2023, 7, 27),
        NOON,
    ]
    assert table.rows[4][0] == "富文本run"


def test_a_file_written_by_write_xlsx_reads_back():
    data = write_xlsx(
        ["统一社会信用代码", "名称", "人数"],
        [["31430000E00000017X", "=危险", 3], ["00012", "长沙", 0]],
        text_columns=[0],
    )

    table = assert_read_alike(data)

    assert table.rows == [["31430000E00000017X", "'=危险", 3], ["00012", "长沙", 0]]


SHEET = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">{dimension}
<sheetData>{rows}</sheetData></worksheet>"""

HEADER_ROW = (
    '<row r="1"><c r="A1" t="inlineStr"><is><t>名称</t></is></c>'
    '<c r="B1" t="inlineStr"><is><t>人数</t></is></c>'
    '<c r="C1" t="inlineStr"><is><t>备注</t></is></c></row>'
)

SHEETS = {
    # cells and rows without references (some writers leave them out)
    "no references": '<row><c t="inlineStr"><is><t>甲</t></is></c><c><v>3</v></c></row>'
    '<row><c/><c><v>4.0</v></c><c t="b"><v>1</v></c></row>',
    # rich inline text with a phonetic run, which is not part of the value
    "rich inline": '<row r="2"><c r="A2" t="inlineStr"><is><r><t>张</t></r><r><rPr><b/></rPr>'
    '<t xml:space="preserve"> 三 </t></r><rPh sb="0" eb="1"><t>zhang</t></rPh></is></c></row>',
    # cached formula results, an error, an ISO date, an empty value, a shared string
    "types": '<row r="3"><c r="A3" t="str"><f>UPPER("a")</f><v>A</v></c>'
    '<c r="B3"><f>1+1</f><v>2</v></c><c r="C3" t="e"><v>#N/A</v></c></row>'
    '<row r="4"><c r="A4" t="d"><v>2023-07-27T00:00:00</v></c><c r="B4"><v></v></c>'
    '<c r="C4" t="n"><v>-1.5E3</v></c></row>',
    # shared strings: plain, rich with a phonetic run, an escape, an empty one
    "shared": '<row r="2"><c r="A2" t="s"><v>0</v></c><c r="B2" t="s"><v>1</v></c>'
    '<c r="C2" t="s"><v>2</v></c></row><row r="3"><c r="A3" t="s"><v>3</v></c>'
    '<c r="B3" t="s"><v>0</v></c></row>',
    # gaps: a row missing, a cell missing, a row far below
    "gaps": '<row r="3"><c r="C3"><v>1</v></c></row><row r="7"><c r="A7"><v>2</v></c></row>',
    # entities and character references
    "escapes": '<row r="2"><c r="A2" t="inlineStr"><is><t>A&amp;B &lt;律&gt; &#x6E58;</t></is></c></row>',
}


# Excel and WPS keep text in a shared strings part (openpyxl writes inline strings)
STRINGS = (
    '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    "<si><t>共享</t></si>"
    '<si><r><t>富</t></r><r><rPr><b/></rPr><t xml:space="preserve">文本 </t></r>'
    '<rPh sb="0" eb="1"><t>fu</t></rPh><phoneticPr fontId="1"/></si>'
    "<si><t>a_x005F_x000D_b</t></si><si><t/></si></sst>"
)
STRINGS_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"


def _with_sheet(sheet_xml: str, strings_xml: str | bytes = STRINGS) -> bytes:
    base = xlsx(["x"], [])
    types = zipfile.ZipFile(io.BytesIO(base)).read("[Content_Types].xml").decode()
    types = types.replace(
        "</Types>",
        f'<Override PartName="/xl/sharedStrings.xml" ContentType="{STRINGS_TYPE}"/></Types>',
    )
    strings = strings_xml if isinstance(strings_xml, bytes) else strings_xml.encode()
    return _rezip(
        base,
        {"xl/worksheets/sheet1.xml": sheet_xml.encode(), "[Content_Types].xml": types.encode()},
        add={"xl/sharedStrings.xml": strings},
    )


@pytest.mark.parametrize("case", sorted(SHEETS))
@pytest.mark.parametrize("dimension", ["", '<dimension ref="A1:C9"/>', '<dimension ref="A1:B3"/>'])
def test_hand_written_sheets_read_the_same(case, dimension):
    # a declared dimension smaller than the data cuts it, as openpyxl does
    data = _with_sheet(SHEET.format(dimension=dimension, rows=HEADER_ROW + SHEETS[case]))

    assert assert_read_alike(data) is not None


def test_a_shared_string_that_does_not_exist_is_refused_like_openpyxl():
    rows = HEADER_ROW + '<row r="2"><c r="A2" t="s"><v>7</v></c></row>'

    assert assert_read_alike(_with_sheet(SHEET.format(dimension="", rows=rows))) is None


def test_dates_of_a_1904_workbook_read_the_same():
    workbook = Workbook()
    workbook.epoch = CALENDAR_MAC_1904
    workbook.active.append(["日期"])
    workbook.active.append([dt.date(2023, 7, 27)])

    table = assert_read_alike(_saved(workbook))

    assert table.rows == [[dt.date(2023, 7, 27)]]


def test_the_first_worksheet_is_read():
    workbook = Workbook()
    workbook.active.append(["第一"])
    workbook.create_sheet("second").append(["第二"])

    assert assert_read_alike(_saved(workbook)).headers == ["第一"]


def test_an_xml_bomb_in_the_shared_strings_is_refused():
    sheet = SHEET.format(dimension="", rows='<row r="1"><c r="A1" t="s"><v>0</v></c></row>')
    bomb = BILLION_LAUGHS.split(b"<worksheet")[0] + STRINGS.replace("共享", "&lol4;").encode()
    assert read_table(_with_sheet(sheet)).headers == ["共享"]

    with pytest.raises(SpreadsheetError, match="EntitiesForbidden"):
        read_table(_with_sheet(sheet, bomb))


def test_an_external_entity_is_refused():
    sheet = (
        '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY ext SYSTEM "file:///etc/passwd">]>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        '<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&ext;</t></is></c></row>'
        "</sheetData></worksheet>"
    )

    with pytest.raises(SpreadsheetError, match="Forbidden"):
        read_table(_with_sheet(sheet))


def test_a_workbook_without_worksheets_is_refused():
    data = _saved(Workbook())
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            if info.filename != "xl/worksheets/sheet1.xml":
                target.writestr(info.filename, source.read(info.filename))

    with pytest.raises(SpreadsheetError):
        read_table(out.getvalue())


def test_shared_strings_read_as_excel_shows_them():
    data = _with_sheet(SHEET.format(dimension="", rows=HEADER_ROW + SHEETS["shared"]))

    table = assert_read_alike(data)

    assert table is not None
    assert table.rows == [["共享", "富文本", "a_x000D_b"], ["", "共享", ""]]
