"""Writing datasets to XLSX (openpyxl write-only: rows go straight to disk) or to CSV in a ZIP."""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from bot.services.exports_data import CellKind, Column

DATETIME_FORMAT = "dd/mm/yyyy hh:mm"
NUMBER_FORMATS = {CellKind.NUMBER: "#,##0", CellKind.DECIMAL: "0.0####",
                  CellKind.PERCENT: "0%"}
CSV_DATETIME = "%Y-%m-%d %H:%M"
MAX_CELL_TEXT = 32_767  # Excel's limit for one cell
_HEADER_FONT = Font(bold=True, color="FFFFFF")
_HEADER_FILL = PatternFill("solid", fgColor="1F4E79")
_HEADER_ALIGNMENT = Alignment(vertical="center", wrap_text=True)
# characters XML 1.0 (and so XLSX) cannot hold; typed text may still contain them
_ILLEGAL = dict.fromkeys([*range(0, 9), 11, 12, *range(14, 32)])


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        return value.translate(_ILLEGAL)[:MAX_CELL_TEXT]
    return value


class XlsxWriter:
    """One workbook, one sheet per dataset: frozen header, auto-filter, fixed widths."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.workbook = Workbook(write_only=True)

    async def add_sheet(self, title: str, headers: Sequence[str], columns: Sequence[Column],
                        chunks: AsyncIterator[list[list[Any]]]) -> int:
        """Write a sheet from chunks of rows; returns the number of data rows."""
        sheet = self.workbook.create_sheet(title=title[:31])
        # write-only sheets take widths and panes before the first row
        for index, column in enumerate(columns, start=1):
            sheet.column_dimensions[get_column_letter(index)].width = column.width
        sheet.freeze_panes = "A2"
        header_cells = []
        for text in headers:
            cell = WriteOnlyCell(sheet, value=text)
            cell.font, cell.fill, cell.alignment = _HEADER_FONT, _HEADER_FILL, _HEADER_ALIGNMENT
            header_cells.append(cell)
        sheet.append(header_cells)
        formats = [DATETIME_FORMAT if c.kind == CellKind.DATETIME else NUMBER_FORMATS.get(c.kind)
                   for c in columns]
        count = 0
        async for chunk in chunks:
            for row in chunk:
                sheet.append([self._cell(sheet, value, number_format)
                              for value, number_format in zip(row, formats, strict=True)])
            count += len(chunk)
        last = get_column_letter(len(columns))
        sheet.auto_filter.ref = f"A1:{last}{count + 1}"
        return count

    @staticmethod
    def _cell(sheet: Any, value: Any, number_format: str | None) -> Any:
        if value is None or number_format is None:
            return _clean(value)
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = number_format
        return cell

    def close(self) -> None:
        self.workbook.save(self.path)

    def discard(self) -> None:
        """Nothing reached the disk yet: a write-only workbook is saved only by close()."""


class CsvZipWriter:
    """One UTF-8 CSV (with BOM, so Excel reads it right) per dataset, in one ZIP file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.archive = zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED)

    async def add_sheet(self, title: str, headers: Sequence[str], columns: Sequence[Column],
                        chunks: AsyncIterator[list[list[Any]]]) -> int:
        count = 0
        with self.archive.open(f"{title}.csv", "w", force_zip64=True) as raw, \
                io.TextIOWrapper(raw, encoding="utf-8-sig", newline="") as text:
            writer = csv.writer(text)
            writer.writerow(headers)
            async for chunk in chunks:
                writer.writerows([_csv_value(v) for v in row] for row in chunk)
                count += len(chunk)
        return count

    def close(self) -> None:
        self.archive.close()

    def discard(self) -> None:
        self.archive.close()
        self.path.unlink(missing_ok=True)


def _csv_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.strftime(CSV_DATETIME)
    if isinstance(value, float):
        return round(value, 6)
    return "" if value is None else value
