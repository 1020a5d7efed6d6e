"""Spreadsheet files made in the tests: XLSX by openpyxl, CSV in the encodings Excel uses."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any

from openpyxl import Workbook

from core.spreadsheets import Table, read_table


def xlsx(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(list(headers))
    for row in rows:
        sheet.append(list(row))
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def csv_bytes(headers: Sequence[str], rows: Sequence[Sequence[Any]], encoding: str) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow(headers)
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> Table:
    return read_table(xlsx(headers, rows))
