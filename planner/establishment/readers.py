"""Reading an upload: CSV and xlsx files into text tables (`Tables`), one per sheet, each row
with the row number Excel shows (the header is row 1).

Length: one reader for every upload (the establishment's sheets, the people mapping's, an
organogram's CSVs) keeps one set of limits and cell checks; split, they would drift.

Uploads are untrusted, so sizes and row counts are capped. An xlsx is checked as a zip
(signature, member count and uncompressed size) before openpyxl unpacks it. Formula cells
are refused rather than evaluated. Bad bytes, NUL characters and oversized cells are each
reported with their cell. Every row is read, whatever the workbook's `<dimension>` says.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import warnings
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pandas as pd

from planner.core.config import Settings, get_settings
from planner.core.errors import RowError
from planner.core.models import (
    EQUALITY_FIELDS,
)
from planner.core.spreadsheets import FORMULA_PREFIXES
from planner.core.values import decimal_text

POST_COLUMNS = ("post_id", "title", "division", "team", "reports_to", "grade", "fte", "partner",
                "funding", "notes")


PEOPLE_COLUMNS = ("employee_id", "name", "post_id", "contract", "fte", "scp", "annual_salary",
                  "day_rate", "start_date", "continuous_service_date", "date_of_birth", "origin",
                  "tupe_transfer_date")


# kind (council | customer) and host (yes/no) are optional: a blank kind keeps the stored kind
# (council for a new partner); with no host marked, the stored host stays host if the sheet
# names it, else the first council listed becomes host. A customer's share must be 0: only
# the councils share the shared costs, and the shares of all partners listed add up to 100%.
PARTNER_COLUMNS = ("partner", "kind", "host", "share", "lgps_employer_rate", "london_weighting")


# Optional, hr only: special-category data (UK GDPR art. 9), handed to planner.equality.analysis.
EQUALITY_COLUMNS = ("employee_id", *EQUALITY_FIELDS)


COLUMNS: dict[str, tuple[str, ...]] = {
    "posts": POST_COLUMNS, "people": PEOPLE_COLUMNS, "partners": PARTNER_COLUMNS,
    "equality": EQUALITY_COLUMNS,
}


REQUIRED: dict[str, tuple[str, ...]] = {
    "posts": ("post_id", "title", "grade"),
    "people": ("employee_id", "name", "post_id", "contract"),
    "partners": ("partner", "share"),
    "equality": ("employee_id",),
}


ZIP_SIGNATURE = b"PK\x03\x04"


@dataclass(frozen=True)
class Layout:
    """The sheets an upload may hold, each with its columns and the ones it must have, and how
    the messages name them: the establishment's, or another round trip's (the people mapping)."""

    columns: Mapping[str, tuple[str, ...]]
    required: Mapping[str, tuple[str, ...]]
    csv_names: str  # "Name CSV files after their sheet: …"
    upload_kinds: str  # "Upload an Excel workbook (.xlsx) or …"
    sheet_names: str  # "Unknown sheet: …"


ESTABLISHMENT = Layout(
    COLUMNS, REQUIRED,
    csv_names="Name CSV files after their sheet: posts.csv, people.csv, partners.csv or "
              "equality.csv.",
    upload_kinds="Upload an Excel workbook (.xlsx) or CSV files (posts.csv, people.csv, "
                 "partners.csv).",
    sheet_names="Unknown sheet: a workbook has sheets posts, people and optionally partners "
                "and equality.")


@dataclass
class Tables:
    """The sheets of one upload as text, each with `_row` (the spreadsheet row number)."""

    posts: pd.DataFrame | None = None
    people: pd.DataFrame | None = None
    partners: pd.DataFrame | None = None
    equality: pd.DataFrame | None = None


def read_upload(files: Sequence[tuple[str, bytes]],
                settings: Settings | None = None) -> tuple[Tables, list[RowError]]:
    """The establishment's sheets (posts, people, partners, equality) of an upload."""
    sheets, errors = read_sheets(files, ESTABLISHMENT, settings)
    tables = Tables(**{k: v for k, v in sheets.items() if k in COLUMNS})
    return tables, errors


def read_sheets(files: Sequence[tuple[str, bytes]], layout: Layout,
                settings: Settings | None = None) -> tuple[dict[str, pd.DataFrame],
                                                           list[RowError]]:
    """Read xlsx and csv files into text tables, with every problem found on the way.

    Never raises for what a file holds: whatever the bytes, the answer is tables or located
    errors (an upload is untrusted, and a traceback would show the user the server's insides).
    """
    settings = settings or get_settings()
    tables: dict[str, pd.DataFrame] = {}
    errors: list[RowError] = []
    if not files:
        return tables, [RowError("upload", None, "", f"No file was given. {layout.upload_kinds}")]
    for name, data in files:
        label = name.rsplit("/", 1)[-1] or "upload"
        if len(data) > settings.max_upload_bytes:
            errors.append(RowError(label, None, "", (
                f"The file is {_mb(len(data))}; the limit is {_mb(settings.max_upload_bytes)}. "
                "Split it or ask an administrator to raise PLANNER_MAX_UPLOAD_BYTES.")))
            continue
        is_zip = data[:4] == ZIP_SIGNATURE
        lower = label.lower()
        if lower.endswith((".xlsx", ".xlsm")) or (is_zip and not lower.endswith(".csv")):
            if not is_zip:
                errors.append(RowError(label, None, "", "This is not an Excel workbook (.xlsx): "
                                       "save it from Excel as 'Excel Workbook' and upload again."))
                continue
            sheets, errs = _read_xlsx(label, data, settings, layout)
            errors += errs
        elif lower.endswith((".csv", ".txt")):
            sheet = lower.rsplit(".", 1)[0]
            if sheet not in layout.columns:
                errors.append(RowError(label, None, "", layout.csv_names))
                continue
            frame, errs = _read_csv(sheet, data, settings, layout)
            errors += errs
            sheets = {sheet: frame} if frame is not None else {}
        else:
            errors.append(RowError(label, None, "", layout.upload_kinds))
            continue
        for sheet, frame in sheets.items():
            if sheet in tables:
                errors.append(RowError(sheet, None, "", f"The {sheet} sheet was given twice."))
                continue
            tables[sheet] = frame
    return tables, errors


def _mb(n: int) -> str:
    return f"{n / 1024 / 1024:.1f} MB"


# Excel's own limit on one cell ("Excel specifications and limits": 32,767 characters). A longer
# value was not typed into a spreadsheet; it is refused, with its cell, where it is read.
MAX_CELL_CHARS = 32_767


# NUL (which PostgreSQL refuses in text, printing the row's values) and the stand-ins
# `surrogateescape` puts where bytes were not text: neither may reach a table.
_BAD_TEXT = re.compile("[\x00\udc80-\udcff]")


_NOT_ASCII_TEXT = re.compile("[^\x00-\x7f\udc80-\udcff]")


class _Sheet:
    """One sheet as it is read: the header, the kept rows as columns, and what was wrong.

    Columns, not row lists: 200,000 rows of 13 cells as lists of lists cost a list per row,
    and the columns go to pandas in one step each.
    """

    def __init__(self, sheet: str, max_rows: int, encoding: str = "",
                 layout: Layout | None = None) -> None:
        self.sheet, self.max_rows, self.encoding = sheet, max_rows, encoding
        self.layout = layout or ESTABLISHMENT
        self.header: list[str] | None = None
        self.columns: list[list[str]] = []
        self.rows: list[int] = []
        self.count = 0
        self.errors: list[RowError] = []

    def heading(self, i: int) -> str:
        name = self.header[i] if self.header is not None and i < len(self.header) else ""
        return _column_name(name) if name and not _BAD_TEXT.search(name) else f"column {i + 1}"

    def check(self, r: int, row: Sequence[str]) -> bool:
        """Report over-long cells, NUL and undecodable bytes; True when the row is clean."""
        if sum(map(len, row)) <= MAX_CELL_CHARS and not _BAD_TEXT.search("".join(row)):
            return True
        clean = True
        for i, value in enumerate(row):
            problem = _cell_problem(value, self.encoding)
            if problem:
                self.errors.append(RowError(self.sheet, r, self.heading(i), problem))
                clean = False
        return clean

    def add(self, r: int, row: list[str]) -> None:
        """A row after the header: kept when it has a value (blank rows are skipped)."""
        if not self.check(r, row) or not any(v.strip() for v in row):
            return
        self.count += 1
        if self.count > self.max_rows:
            return  # counted for the message, not kept
        width = len(self.columns)
        if len(row) > width:  # a row wider than those before it: earlier rows get blanks
            self.columns += [[""] * len(self.rows) for _ in range(len(row) - width)]
        elif len(row) < width:
            row = row + [""] * (width - len(row))
        for column, value in zip(self.columns, row, strict=True):
            column.append(value)
        self.rows.append(r)

    def set_header(self, row: list[str]) -> None:
        self.check(1, row)
        while row and not row[-1].strip():
            row = row[:-1]
        self.header = row
        self.columns = [[] for _ in row]

    def frame(self) -> tuple[pd.DataFrame | None, list[RowError]]:
        if self.header is None:
            return None, [*self.errors, RowError(self.sheet, None, "", (
                "The sheet is empty: it needs a header row."))]
        if self.count > self.max_rows:
            self.errors.append(RowError(self.sheet, None, "", (
                f"{self.count:,} rows is more than the limit of {self.max_rows:,} rows.")))
        if self.errors:
            return None, self.errors
        width = max(len(self.header), len(self.columns))
        header = self.header + [""] * (width - len(self.header))
        data = {i: self.columns[i] if i < len(self.columns) else [""] * len(self.rows)
                for i in range(width)}
        self.columns = []
        frame = pd.DataFrame(data, columns=range(width), dtype=str)
        return _shape(self.sheet, header, frame, self.rows, self.layout)


def _cell_problem(value: str, encoding: str) -> str | None:
    if len(value) > MAX_CELL_CHARS:
        return (f"This cell holds {len(value):,} characters; a spreadsheet cell holds at most "
                f"{MAX_CELL_CHARS:,}.")
    found = _BAD_TEXT.search(value)
    if found is None:
        return None
    if found.group() == "\x00":
        return "This cell holds a NUL character (byte 0), which is not text: remove it."
    shown = " ".join(f"0x{ord(c) - 0xDC00:02X}" for c in _BAD_TEXT.findall(value)[:5]
                     if c != "\x00")
    return (f"The bytes {shown} here are not {encoding}: nothing was replaced; fix the "
            "cell, or save the file from Excel as 'CSV UTF-8' and upload again.")


def _decode(data: bytes) -> tuple[str, str]:
    """The text of a CSV and the encoding it was read as.

    A BOM means UTF-8. Without one, UTF-8 when the bytes are UTF-8 or hold any UTF-8 character
    (a file cannot be both); otherwise Windows-1252, as Excel's plain "CSV" writes in the UK.
    Bytes that are not text in the chosen encoding stay as `surrogateescape` stand-ins, so the
    reader reports each with its row and column instead of replacing it with U+FFFD.
    """
    if data.startswith(UTF8_BOM):
        return (data[3:].decode("utf-8", "surrogateescape"),
                "UTF-8 text (the file starts with the UTF-8 byte-order mark)")
    text = data.decode("utf-8", "surrogateescape")
    if not _BAD_TEXT.search(text) or _NOT_ASCII_TEXT.search(text):
        return text, "UTF-8 text"
    return data.decode("cp1252", "surrogateescape"), "Windows-1252 text"


def decode_text(data: bytes) -> tuple[str, str]:
    """The text of CSV bytes and the encoding read (UTF-8, else Windows-1252; see `_decode`)."""
    return _decode(data)


def _read_csv(sheet: str, data: bytes, settings: Settings | None = None,
              layout: Layout | None = None) -> tuple[pd.DataFrame | None, list[RowError]]:
    """CSV as Excel writes it: UTF-8 with or without a BOM, or Windows-1252; line ends CRLF,
    LF or a classic Mac's CR, mixed or not."""
    settings = settings or get_settings()
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return None, [RowError(sheet, None, "", (
            "This file is UTF-16 ('Unicode Text'): save it from Excel as 'CSV UTF-8' and "
            "upload again."))]
    head = data[:65536]
    if head.count(0) * 100 > len(head):  # more than 1% NUL bytes: a binary file
        return None, [RowError(sheet, None, "", "This is not a text (CSV) file.")]
    text, encoding = _decode(data)
    if not text.strip():
        return None, [RowError(sheet, None, "", "The file is empty: it needs a header row.")]
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    out = _Sheet(sheet, settings.max_import_rows, encoding, layout)
    if _BAD_TEXT.search(text) is None:
        try:
            records = list(csv.reader(io.StringIO(text, newline=""), strict=True))
        except csv.Error:
            pass  # read row by row below, which finds the row
        else:
            del text
            if records and _take_whole(out, records):
                return out.frame()
            for r, record in enumerate(records, start=1):
                if out.header is None:
                    out.set_header(record)
                else:
                    out.add(r, record)
            return out.frame()
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    del text
    r = 0
    try:
        for r, record in enumerate(reader, start=1):
            if out.header is None:
                out.set_header(record)
            else:
                out.add(r, record)
    except csv.Error as exc:
        return None, [*out.errors, RowError(sheet, r + 1, "", (
            f"This row could not be read as CSV ({exc}): check its quotes; a quote opened and "
            "never closed takes in every row after it."))]
    return out.frame()


def _take_whole(out: _Sheet, records: list[list[str]]) -> bool:
    """Keep every row after the header in one step when `_Sheet.add` would keep each as it
    is: as wide as the header, not blank, no row over the cell limit, not too many (the text
    was checked for NUL and undecodable bytes already). False, keeping nothing, otherwise.

    The same columns as adding row by row, a tenth of the time: 50,000 rows were a second."""
    out.set_header(records[0])
    rows = records[1:]
    width = len(out.columns)
    if out.errors or not width or len(rows) > out.max_rows or not all(
            len(row) == width and len(j := "".join(row)) <= MAX_CELL_CHARS and j.strip()
            for row in rows):
        out.header, out.columns, out.errors = None, [], []
        return False
    out.columns = [list(column) for column in zip(*rows, strict=True)] or [[] for _ in range(width)]
    out.rows = list(range(2, len(rows) + 2))
    out.count = len(rows)
    return True


@dataclass(frozen=True)
class RawSheet:
    """A CSV read as it stands, for a format whose headings are not ours (an open-data
    organogram, issue 14): its header row, its kept rows as text columns by position (with
    `_row`, the spreadsheet row number), and the encoding it was read as."""

    header: list[str]
    frame: pd.DataFrame
    encoding: str


class _RawSheet(_Sheet):
    def heading(self, i: int) -> str:
        """The heading as the file spells it: the format's headings are not ours."""
        name = self.header[i].strip() if self.header is not None and i < len(self.header) else ""
        return name if name and not _BAD_TEXT.search(name) else f"column {i + 1}"

    def raw(self) -> tuple[RawSheet | None, list[RowError]]:
        if self.header is None:
            return None, [*self.errors, RowError(self.sheet, None, "", (
                "The file is empty: it needs a header row."))]
        if self.count > self.max_rows:
            self.errors.append(RowError(self.sheet, None, "", (
                f"{self.count:,} rows is more than the limit of {self.max_rows:,} rows.")))
        if self.errors:
            return None, self.errors
        width = max(len(self.header), len(self.columns))
        header = self.header + [""] * (width - len(self.header))
        data = {i: self.columns[i] if i < len(self.columns) else [""] * len(self.rows)
                for i in range(width)}
        frame = pd.DataFrame(data, columns=range(width), dtype=str)
        frame["_row"] = self.rows
        return RawSheet(header, frame, self.encoding), []


def read_raw_csv(label: str, data: bytes,
                 settings: Settings | None = None) -> tuple[RawSheet | None, list[RowError]]:
    """One untrusted CSV with the establishment import's limits and checks (size, UTF-16,
    binary, bad bytes, NUL, over-long cells, row count, broken quotes), its columns left by
    position for the caller to name. Never raises for what the file holds."""
    settings = settings or get_settings()
    if len(data) > settings.max_upload_bytes:
        return None, [RowError(label, None, "", (
            f"The file is {_mb(len(data))}; the limit is {_mb(settings.max_upload_bytes)}. "
            "Split it or ask an administrator to raise PLANNER_MAX_UPLOAD_BYTES."))]
    if data[:4] == ZIP_SIGNATURE:
        return None, [RowError(label, None, "", (
            "This is a workbook, not a CSV file: save each sheet from Excel as 'CSV UTF-8' "
            "and upload the two files."))]
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return None, [RowError(label, None, "", (
            "This file is UTF-16 ('Unicode Text'): save it from Excel as 'CSV UTF-8' and "
            "upload again."))]
    head = data[:65536]
    if head.count(0) * 100 > len(head):
        return None, [RowError(label, None, "", "This is not a text (CSV) file.")]
    text, encoding = _decode(data)
    if not text.strip():
        return None, [RowError(label, None, "", "The file is empty: it needs a header row.")]
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    out = _RawSheet(label, settings.max_import_rows, encoding)
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    del text
    r = 0
    try:
        for r, record in enumerate(reader, start=1):
            if out.header is None:
                out.set_header(record)
            else:
                out.add(r, record)
    except csv.Error as exc:
        return None, [*out.errors, RowError(label, r + 1, "", (
            f"This row could not be read as CSV ({exc}): check its quotes; a quote opened and "
            "never closed takes in every row after it."))]
    return out.raw()


def _read_xlsx(label: str, data: bytes, settings: Settings,
               layout: Layout) -> tuple[dict[str, pd.DataFrame], list[RowError]]:
    """Check the zip before unpacking (zip bombs), then read values; refuse formula cells.

    Every row the sheet holds is read: the `<dimension>` a sheet declares is not trusted
    (openpyxl's read-only mode stops at it, so a stale one silently dropped rows).
    """
    import openpyxl

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            members = zf.infolist()
            total = sum(m.file_size for m in members)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError,
            NotImplementedError):  # a damaged header can claim a zip version Python lacks
        return {}, [RowError(label, None, "", "The workbook is damaged (not a valid zip).")]
    if len(members) > settings.max_xlsx_members:
        return {}, [RowError(label, None, "", (
            f"The workbook holds {len(members):,} parts, more than the {settings.max_xlsx_members:,}"
            " a spreadsheet needs; it was not opened."))]
    if total > settings.max_xlsx_uncompressed_bytes:
        return {}, [RowError(label, None, "", (
            f"The workbook unpacks to {_mb(total)}, more than the limit of "
            f"{_mb(settings.max_xlsx_uncompressed_bytes)}; it was not opened."))]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl warns about styles and extensions
            wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception as exc:  # openpyxl raises many kinds for damaged files
        return {}, [RowError(label, None, "", f"The workbook could not be opened: {exc}")]
    sheets: dict[str, pd.DataFrame] = {}
    errors: list[RowError] = []
    try:
        for ws in wb.worksheets:
            sheet = ws.title.strip().lower()
            if sheet not in layout.columns:
                errors.append(RowError(ws.title, None, "", layout.sheet_names))
                continue
            out = _Sheet(sheet, settings.max_import_rows, layout=layout)
            try:
                _read_sheet(wb, ws, out)
            except Exception as exc:  # a damaged part: zlib, XML, CRC, bad numbers
                errors.append(RowError(sheet, None, "", (
                    f"The sheet could not be read; the workbook is damaged ({_reason(exc)}). "
                    "Open it in Excel, save it, and upload again.")))
                continue
            frame, errs = out.frame()
            errors += errs
            if frame is not None:
                sheets[sheet] = frame
    finally:
        wb.close()
    return sheets, errors


def _reason(exc: Exception) -> str:
    text = str(exc).splitlines()[0][:200] if str(exc) else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _read_sheet(wb: Any, ws: Any, out: _Sheet) -> None:
    """Every `<row>` of the sheet's XML in order, whatever its `<dimension>` says.

    openpyxl's own row iterator stops at the declared dimension and silently skips a row that
    comes after a higher-numbered one, so the parser it uses is driven here directly; rows out
    of order or repeated are refused, never dropped.
    """
    converted: dict[Any, str] = {}  # repeated numbers and dates convert once
    last = 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # e.g. a date outside Excel's range: read as an error
        with ws._get_source() as src:
            parser = _sheet_parser()(src, ws._shared_strings, data_only=False, epoch=wb.epoch,
                                     date_formats=wb._date_formats,
                                     timedelta_formats=wb._timedelta_formats)
            for r, cells in parser.parse():
                if r <= last:
                    raise ValueError(f"row {r} comes after row {last}")
                last = r
                row: list[str] = []
                for c in cells:
                    column = c["column"]
                    if c["row"] != r or column <= len(row):
                        raise ValueError(f"cell {c['row']}:{column} is out of place in row {r}")
                    if column > len(row) + 1:
                        row += [""] * (column - 1 - len(row))
                    row.append(_cell_text(out, r, column - 1, c, converted))
                if r == 1:
                    out.set_header(row)
                else:
                    if out.header is None:
                        out.set_header([])  # row 1 is the header row, even when empty
                    out.add(r, row)
    if out.header is None:
        return


# The csv module's default field limit (128 KB) fails mid-file without saying where; the reader
# takes any field the upload limit allows and the cell check names the cell instead.
csv.field_size_limit(max(csv.field_size_limit(), 2**31 - 1))


_PARSER: Any = None


def _sheet_parser() -> Any:
    """openpyxl's sheet parser with a quicker inline string: it builds a `Text` object per cell
    (descriptors and all), a third of the reading time for a workbook written by openpyxl or
    pandas, which write every string inline. The text is the same: the `<t>` of `<is>` and of
    each rich-text run `<r>`, without phonetic runs."""
    global _PARSER
    if _PARSER is not None:
        return _PARSER
    from openpyxl.utils.cell import coordinate_to_tuple
    from openpyxl.worksheet._reader import FORMULA_TAG, INLINE_STRING, WorkSheetParser

    ns = INLINE_STRING[:INLINE_STRING.index("}") + 1]
    text_tag, run_tag = ns + "t", ns + "r"

    class Parser(WorkSheetParser):  # type: ignore[misc]
        def parse_cell(self, element: Any) -> dict[str, Any]:
            if element.get("t") != "inlineStr" or element.find(FORMULA_TAG) is not None:
                return super().parse_cell(element)
            coordinate = element.get("r")
            if coordinate:
                row, column = coordinate_to_tuple(coordinate)
                self.col_counter = column
            else:
                self.col_counter += 1
                row, column = self.row_counter, self.col_counter
            value = None
            inline = element.find(INLINE_STRING)
            if inline is not None:
                parts = []
                for child in inline:
                    if child.tag == run_tag:
                        child = child.find(text_tag)
                    elif child.tag != text_tag:
                        continue
                    if child is not None and child.text:
                        parts.append(child.text)
                value = "".join(parts)
            return {"row": row, "column": column, "value": value, "data_type": "s",
                    "style_id": element.get("s", 0)}

    _PARSER = Parser
    return Parser


def _cell_text(out: _Sheet, r: int, i: int, cell: dict[str, Any],
               converted: dict[Any, str]) -> str:
    kind, value = cell["data_type"], cell["value"]
    if kind == "f":
        out.errors.append(RowError(out.sheet, r, out.heading(i), (
            "This cell holds a formula; replace it with its value (Paste Special > Values).")))
        return ""
    if kind == "e":
        out.errors.append(RowError(out.sheet, r, out.heading(i), (
            f"This cell holds the error {value}; put the value it should hold.")))
        return ""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    key = (type(value), value)
    text = converted.get(key)
    if text is None:
        text = converted[key] = _xlsx_text(value)
    return text


def _xlsx_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return decimal_text(Decimal(repr(value)))
    return str(value).strip()


def _shape(sheet: str, header: list[str], frame: pd.DataFrame, rows: list[int],
           layout: Layout) -> tuple[pd.DataFrame | None, list[RowError]]:
    """Name the columns, check them against the format, strip neutralising apostrophes."""
    errors: list[RowError] = []
    names = [_column_name(h) for h in header]
    allowed = layout.columns[sheet]
    seen: set[str] = set()
    keep: list[int] = []
    for i, name in enumerate(names):
        if not name:
            if frame[i].astype(bool).any() if i in frame.columns else False:
                errors.append(RowError(sheet, 1, f"column {i + 1}",
                                       "This column has values but no heading."))
            continue
        if name not in allowed:
            errors.append(RowError(sheet, 1, name, (
                f"Unknown column {header[i]!r}; {sheet} columns are: {', '.join(allowed)}.")))
            continue
        if name in seen:
            errors.append(RowError(sheet, 1, name, f"The column {name} appears twice."))
            continue
        seen.add(name)
        keep.append(i)
    for name in layout.required[sheet]:
        if name not in seen:
            errors.append(RowError(sheet, 1, name, f"The required column {name} is missing."))
    if errors:
        return None, errors
    out = frame[keep].copy()
    out.columns = [names[i] for i in keep]
    for name in allowed:
        if name not in out.columns:
            out[name] = ""
    out = out[list(allowed)].fillna("").astype(str)
    for col in out.columns:
        s = out[col].str.strip()
        quoted = s.str.startswith("'") & s.str[1:2].isin(list(FORMULA_PREFIXES))
        out[col] = s.where(~quoted, s.str[1:])
    out["_row"] = rows
    out = out.reset_index(drop=True)
    out.attrs["given"] = sorted(seen)  # the columns the file has (the rest are blank here)
    return out, []


def _column_name(header: str) -> str:
    return re.sub(r"[\s\-]+", "_", str(header).strip().lower())


UTF8_BOM = b"\xef\xbb\xbf"
