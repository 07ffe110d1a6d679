"""Writing datasets: a streaming XLSX writer, and CSV files in a ZIP.

The XLSX writer emits SpreadsheetML directly, row by row, into the ZIP: about ten times
faster than openpyxl's write-only mode for 100,000 rows (openpyxl builds an object per
cell), and memory stays flat. It writes exactly what the export needs — inline strings,
numbers, dates as serial numbers with a date format, a frozen header row, an auto-filter
and column widths — and the tests read every file back with openpyxl.
"""

from __future__ import annotations

import csv
import io
import shutil
import tempfile
import zipfile
from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from bot.services.exports_data import CellKind, Column

CSV_DATETIME = "%Y-%m-%d %H:%M"
MAX_CELL_TEXT = 32_767  # Excel's limit for one cell
MAX_SHEET_TITLE = 31
_EXCEL_EPOCH = datetime(1899, 12, 30)
_SECONDS_PER_DAY = 86_400
_COPY_CHUNK = 1 << 20
# characters XML 1.0 (and so XLSX) cannot hold; typed text may still contain them
_ILLEGAL = dict.fromkeys([*range(0, 9), 11, 12, *range(14, 32)])
_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_OFFICE = "application/vnd.openxmlformats-officedocument.spreadsheetml"
_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
# cell styles (index into cellXfs below): plain, date-time, integer, decimal, percent, header
_STYLE = {CellKind.DATETIME: 1, CellKind.NUMBER: 2, CellKind.DECIMAL: 3, CellKind.PERCENT: 4}
_HEADER_STYLE = 5
_STYLES = (
    f'{_HEAD}<styleSheet xmlns="{_MAIN}">'
    '<numFmts count="2"><numFmt numFmtId="164" formatCode="dd/mm/yyyy hh:mm"/>'
    '<numFmt numFmtId="165" formatCode="0.0####"/></numFmts>'
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font>'
    '<font><b/><sz val="11"/><color rgb="FFFFFFFF"/><name val="Calibri"/></font></fonts>'
    '<fills count="3"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill>'
    '<fill><patternFill patternType="solid"><fgColor rgb="FF1F4E79"/></patternFill></fill>'
    '</fills><borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border>'
    '</borders><cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/>'
    '</cellStyleXfs><cellXfs count="6"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"'
    ' xfId="0"/><xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0"'
    ' applyNumberFormat="1"/><xf numFmtId="3" fontId="0" fillId="0" borderId="0" xfId="0"'
    ' applyNumberFormat="1"/><xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0"'
    ' applyNumberFormat="1"/><xf numFmtId="9" fontId="0" fillId="0" borderId="0" xfId="0"'
    ' applyNumberFormat="1"/><xf numFmtId="0" fontId="1" fillId="2" borderId="0" xfId="0"'
    ' applyFont="1" applyFill="1" applyAlignment="1"><alignment vertical="center"'
    ' wrapText="1"/></xf></cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0"'
    ' builtinId="0"/></cellStyles></styleSheet>'
)


def column_letter(index: int) -> str:
    """1 → 'A', 27 → 'AA'."""
    letters = ""
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


def _text(value: str) -> str:
    return escape(value.translate(_ILLEGAL)[:MAX_CELL_TEXT])


def _cell(reference: str, value: Any, kind: CellKind, style: int = 0) -> str:
    """One <c> element: a date, a number, or (anything else) inline text."""
    if isinstance(value, datetime):
        serial = (value - _EXCEL_EPOCH).total_seconds() / _SECONDS_PER_DAY
        return f'<c r="{reference}" s="{_STYLE[CellKind.DATETIME]}"><v>{serial!r}</v></c>'
    if isinstance(value, int | float) and not isinstance(value, bool):
        styled = f' s="{_STYLE[kind]}"' if kind in _STYLE else ""
        return f'<c r="{reference}"{styled}><v>{value!r}</v></c>'
    text = str(value)
    space = ' xml:space="preserve"' if text != text.strip() else ""
    styled = f' s="{style}"' if style else ""
    return f'<c r="{reference}"{styled} t="inlineStr"><is><t{space}>{_text(text)}</t></is></c>'


class XlsxWriter:
    """One workbook, one sheet per dataset: frozen header, auto-filter, fixed widths."""

    def __init__(self, path: Path, sheet_count: int) -> None:
        self.path = path
        self.archive = zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED)
        self.sheets: list[tuple[str, str]] = []  # (title, auto-filter range)
        self._write("[Content_Types].xml", _content_types(sheet_count))
        self._write("_rels/.rels", f'{_HEAD}<Relationships xmlns="{_PKG_REL}"><Relationship'
                    f' Id="rId1" Type="{_REL}/officeDocument" Target="xl/workbook.xml"/>'
                    '</Relationships>')

    def _write(self, name: str, text: str) -> None:
        self.archive.writestr(name, text.encode())

    async def add_sheet(self, title: str, headers: Sequence[str], columns: Sequence[Column],
                        chunks: AsyncIterator[list[list[Any]]]) -> int:
        """Stream one sheet from chunks of rows; returns the number of data rows."""
        number = len(self.sheets) + 1
        letters = [column_letter(i) for i in range(1, len(columns) + 1)]
        kinds = [column.kind for column in columns]
        count = 0
        # rows go to a scratch file first: the sheet's <dimension> (which some readers need)
        # comes before the rows and names the last one
        with tempfile.TemporaryFile(dir=self.path.parent) as scratch:
            async for chunk in chunks:
                scratch.write(_rows(chunk, count + 2, letters, kinds).encode())
                count += len(chunk)
            scratch.seek(0)
            used = f"A1:{letters[-1]}{count + 1}"
            header = "".join(_cell(f"{letter}1", text, CellKind.TEXT, _HEADER_STYLE)
                             for letter, text in zip(letters, headers, strict=True))
            with self.archive.open(f"xl/worksheets/sheet{number}.xml", "w",
                                   force_zip64=True) as raw:
                raw.write(_sheet_start(columns, used).encode())
                raw.write(f'<row r="1">{header}</row>'.encode())
                shutil.copyfileobj(scratch, raw, _COPY_CHUNK)
                raw.write(f'</sheetData><autoFilter ref="{used}"/></worksheet>'.encode())
        self.sheets.append((_sheet_title(title, self.sheets), used))
        return count

    def close(self) -> None:
        self._write("xl/workbook.xml", _workbook(self.sheets))
        self._write("xl/_rels/workbook.xml.rels", _workbook_rels(len(self.sheets)))
        self._write("xl/styles.xml", _STYLES)
        self.archive.close()

    def discard(self) -> None:
        self.archive.close()
        self.path.unlink(missing_ok=True)


def _rows(chunk: list[list[Any]], first: int, letters: list[str],
          kinds: list[CellKind]) -> str:
    parts = []
    for number, row in enumerate(chunk, start=first):
        cells = "".join(_cell(f"{letter}{number}", value, kind)
                        for letter, value, kind in zip(letters, row, kinds, strict=True)
                        if value is not None and value != "")
        parts.append(f'<row r="{number}">{cells}</row>')
    return "".join(parts)


def _sheet_start(columns: Sequence[Column], used: str) -> str:
    widths = "".join(f'<col min="{i}" max="{i}" width="{c.width}" customWidth="1"/>'
                     for i, c in enumerate(columns, start=1))
    return (f'{_HEAD}<worksheet xmlns="{_MAIN}" xmlns:r="{_REL}"><dimension ref="{used}"/>'
            '<sheetViews>'
            '<sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2"'
            ' activePane="bottomLeft" state="frozen"/><selection pane="bottomLeft"'
            ' activeCell="A2" sqref="A2"/></sheetView></sheetViews>'
            f'<sheetFormatPr defaultRowHeight="15"/><cols>{widths}</cols><sheetData>')


def _sheet_title(title: str, taken: list[tuple[str, str]]) -> str:
    """Excel's rules: at most 31 characters, none of []:*?/\\ and unique in the workbook."""
    clean = "".join("_" if ch in "[]:*?/\\" else ch for ch in title)[:MAX_SHEET_TITLE]
    names = {name.lower() for name, _ in taken}
    candidate, suffix = clean or "Sheet", 2
    while candidate.lower() in names:
        candidate = f"{clean[:MAX_SHEET_TITLE - 3]}_{suffix}"
        suffix += 1
    return candidate


def _content_types(sheet_count: int) -> str:
    sheets = "".join(f'<Override PartName="/xl/worksheets/sheet{n}.xml"'
                     f' ContentType="{_OFFICE}.worksheet+xml"/>'
                     for n in range(1, sheet_count + 1))
    return (f'{_HEAD}<Types xmlns="http://schemas.openxmlformats.org/package/2006/'
            'content-types"><Default Extension="rels" ContentType="application/'
            'vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml"'
            ' ContentType="application/xml"/><Override PartName="/xl/workbook.xml"'
            f' ContentType="{_OFFICE}.sheet.main+xml"/><Override PartName="/xl/styles.xml"'
            f' ContentType="{_OFFICE}.styles+xml"/>{sheets}</Types>')


def _workbook(sheets: list[tuple[str, str]]) -> str:
    entries = "".join(f'<sheet name={quoteattr(title)} sheetId="{n}" r:id="rId{n}"/>'
                      for n, (title, _) in enumerate(sheets, start=1))
    filters = "".join(
        f'<definedName name="_xlnm._FilterDatabase" localSheetId="{n}" hidden="1">'
        f"{escape(_quoted(title))}!{_absolute(ref)}</definedName>"
        for n, (title, ref) in enumerate(sheets))
    return (f'{_HEAD}<workbook xmlns="{_MAIN}" xmlns:r="{_REL}"><bookViews><workbookView/>'
            f'</bookViews><sheets>{entries}</sheets><definedNames>{filters}</definedNames>'
            '</workbook>')


def _quoted(title: str) -> str:
    return "'" + title.replace("'", "''") + "'"


def _absolute(ref: str) -> str:
    start, end = ref.split(":")
    return ":".join(f"${''.join(c for c in part if c.isalpha())}$"
                    f"{''.join(c for c in part if c.isdigit())}" for part in (start, end))


def _workbook_rels(sheet_count: int) -> str:
    sheets = "".join(f'<Relationship Id="rId{n}" Type="{_REL}/worksheet"'
                     f' Target="worksheets/sheet{n}.xml"/>' for n in range(1, sheet_count + 1))
    return (f'{_HEAD}<Relationships xmlns="{_PKG_REL}">{sheets}<Relationship'
            f' Id="rId{sheet_count + 1}" Type="{_REL}/styles" Target="styles.xml"/>'
            '</Relationships>')


class CsvZipWriter:
    """One UTF-8 CSV (with BOM, so Excel reads it right) per dataset, in one ZIP file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.archive = zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED)

    async def add_sheet(self, title: str, headers: Sequence[str], columns: Sequence[Column],
                        chunks: AsyncIterator[list[list[Any]]]) -> int:
        count = 0
        with self.archive.open(f"{title}.csv", "w", force_zip64=True) as raw:
            text = io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")
            writer = csv.writer(text)
            writer.writerow(headers)
            async for chunk in chunks:
                writer.writerows([_csv_value(v) for v in row] for row in chunk)
                count += len(chunk)
            text.flush()
            text.detach()
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
