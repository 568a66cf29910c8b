"""Import of the establishment from the interchange format (DESIGN.md "Interchange format").

All-or-nothing: the files are read and every rule is checked before anything is written, and
every problem comes back as a RowError (sheet, row, column, message) so HR can fix the whole
spreadsheet in one pass instead of one error per upload. Rows are numbered as Excel shows
them: the header is row 1, the first data row is row 2.

Uploads are untrusted: sizes and row counts are capped, an xlsx is checked as a zip (signature,
member count and uncompressed size) before openpyxl unpacks it, and formula cells are refused
rather than evaluated. Writes are SQLAlchemy Core bulk statements (executemany): SQLModel's
per-object add is ~30x slower at 50,000 rows. The baseline is replaced by upsert (posts by
post_id, people by employee_id keep their ids), and every structure option is rebased onto it
in the same transaction (planner.structures.rebase), so an import never orphans an option.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import warnings
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

import pandas as pd
from sqlalchemy import bindparam, delete, func, insert, or_, update
from sqlalchemy import select as sa_select
from sqlmodel import Session, select

from planner.core import audit
from planner.core.auth import Actor, can, require
from planner.core.config import Settings, get_settings
from planner.core.errors import PermissionDenied, RowError, ValidationFailed
from planner.core.models import (
    CONTRACTS,
    EQUALITY_FIELDS,
    FUNDING,
    EtoRationale,
    Occupancy,
    Partner,
    Person,
    Post,
    RebaseConflict,
    Structure,
    TupeCohort,
    TupeMember,
)
from planner.core.spreadsheets import FORMULA_PREFIXES
from planner.core.values import long_date
from planner.establishment.reference import GradeBand, grade_table, partner_names

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
PARTNER_KINDS = ("council", "customer")
HOST_YES = ("yes", "y", "true", "1")
HOST_NO = ("no", "n", "false", "0")
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
DATE_COLUMNS = ("start_date", "continuous_service_date", "date_of_birth", "tupe_transfer_date")
# A day rate belongs to a worker supplied by someone else; an employee is paid on the spine.
DAY_RATE_REFUSED = ("permanent", "fixed_term")
ZIP_SIGNATURE = b"PK\x03\x04"
MAX_FTE = Decimal(1)  # a post is one job; a team of five is five posts


@dataclass
class Tables:
    """The sheets of one upload as text, each with `_row` (the spreadsheet row number)."""

    posts: pd.DataFrame | None = None
    people: pd.DataFrame | None = None
    partners: pd.DataFrame | None = None
    equality: pd.DataFrame | None = None


@dataclass(frozen=True)
class ImportSummary:
    structure_id: int
    posts: int
    people: int
    occupancies: int
    partners: int
    # Each option carried onto the new establishment (planner.structures.rebase.RebasedOption).
    rebased: tuple[Any, ...] = ()


# --- reading ---------------------------------------------------------------------------------


def read_upload(files: Sequence[tuple[str, bytes]],
                settings: Settings | None = None) -> tuple[Tables, list[RowError]]:
    """Read xlsx and csv files into text tables, with every problem found on the way.

    Never raises for what a file holds: whatever the bytes, the answer is tables or located
    errors (an upload is untrusted, and a traceback would show the user the server's insides).
    """
    settings = settings or get_settings()
    tables = Tables()
    errors: list[RowError] = []
    if not files:
        return tables, [RowError("upload", None, "", "No file was given: upload an xlsx "
                                 "workbook or posts.csv and people.csv.")]
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
            sheets, errs = _read_xlsx(label, data, settings)
            errors += errs
        elif lower.endswith((".csv", ".txt")):
            sheet = lower.rsplit(".", 1)[0]
            if sheet not in COLUMNS:
                errors.append(RowError(label, None, "", (
                    "Name CSV files after their sheet: posts.csv, people.csv, partners.csv or "
                    "equality.csv.")))
                continue
            frame, errs = _read_csv(sheet, data, settings)
            errors += errs
            sheets = {sheet: frame} if frame is not None else {}
        else:
            errors.append(RowError(label, None, "", (
                "Upload an Excel workbook (.xlsx) or CSV files (posts.csv, people.csv, "
                "partners.csv).")))
            continue
        for sheet, frame in sheets.items():
            if getattr(tables, sheet) is not None:
                errors.append(RowError(sheet, None, "", f"The {sheet} sheet was given twice."))
                continue
            setattr(tables, sheet, frame)
    return tables, errors


def _mb(n: int) -> str:
    return f"{n / 1024 / 1024:.1f} MB"


# Excel's own limit on one cell ("Excel specifications and limits": 32,767 characters). A longer
# value was not typed into a spreadsheet; it is refused, with its cell, where it is read.
MAX_CELL_CHARS = 32_767
# The csv module's default field limit (128 KB) fails mid-file without saying where; the reader
# takes any field the upload limit allows and the cell check names the cell instead.
csv.field_size_limit(max(csv.field_size_limit(), 2**31 - 1))
UTF8_BOM = b"\xef\xbb\xbf"
# NUL (which PostgreSQL refuses in text, printing the row's values) and the stand-ins
# `surrogateescape` puts where bytes were not text: neither may reach a table.
_BAD_TEXT = re.compile("[\x00\udc80-\udcff]")
_NOT_ASCII_TEXT = re.compile("[^\x00-\x7f\udc80-\udcff]")


class _Sheet:
    """One sheet as it is read: the header, the kept rows as columns, and what was wrong.

    Columns, not row lists: 200,000 rows of 13 cells as lists of lists cost a list per row,
    and the columns go to pandas in one step each.
    """

    def __init__(self, sheet: str, max_rows: int, encoding: str = "") -> None:
        self.sheet, self.max_rows, self.encoding = sheet, max_rows, encoding
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
        return _shape(self.sheet, header, frame, self.rows)


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


def _read_csv(sheet: str, data: bytes,
              settings: Settings | None = None) -> tuple[pd.DataFrame | None, list[RowError]]:
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
    out = _Sheet(sheet, settings.max_import_rows, encoding)
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


def _read_xlsx(label: str, data: bytes,
               settings: Settings) -> tuple[dict[str, pd.DataFrame], list[RowError]]:
    """Check the zip before unpacking (zip bombs), then read values; refuse formula cells.

    Every row the sheet holds is read: the `<dimension>` a sheet declares is not trusted
    (openpyxl's read-only mode stops at it, so a stale one silently dropped rows).
    """
    import openpyxl

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            members = zf.infolist()
            total = sum(m.file_size for m in members)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError):
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
            if sheet not in COLUMNS:
                errors.append(RowError(ws.title, None, "", (
                    "Unknown sheet: a workbook has sheets posts, people and optionally partners "
                    "and equality.")))
                continue
            out = _Sheet(sheet, settings.max_import_rows)
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


def decimal_text(value: Any) -> str:
    """A number as people write it: 1, 0.5, 550.25 (no exponent, no trailing zeros), exactly."""
    return format(Decimal(str(value)).normalize(), "f")


def _shape(sheet: str, header: list[str], frame: pd.DataFrame,
           rows: list[int]) -> tuple[pd.DataFrame | None, list[RowError]]:
    """Name the columns, check them against the format, strip neutralising apostrophes."""
    errors: list[RowError] = []
    names = [_column_name(h) for h in header]
    allowed = COLUMNS[sheet]
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
    for name in REQUIRED[sheet]:
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
    return out.reset_index(drop=True), []


def _column_name(header: str) -> str:
    return re.sub(r"[\s\-]+", "_", str(header).strip().lower())


# --- validation ------------------------------------------------------------------------------


def _fte(value: str) -> Decimal | None:
    try:
        d = Decimal(value)
    except InvalidOperation:
        return None
    if not d.is_finite() or d.as_tuple().exponent < -4:  # type: ignore[operator]
        return None
    return d


def _money_pence(value: str) -> int | None:
    try:
        d = Decimal(value.replace(",", "").replace("£", "").strip())
    except InvalidOperation:
        return None
    if not d.is_finite() or d < 0 or d.as_tuple().exponent < -2:  # type: ignore[operator]
        return None
    return int(d * 100)


def _percent_bp(value: str) -> int | None:
    try:
        d = Decimal(value.replace("%", "").strip())
    except InvalidOperation:
        return None
    if not d.is_finite() or d < 0 or d > 100 or d.as_tuple().exponent < -2:  # type: ignore[operator]
        return None
    return int(d * 100)


_UK_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")


def parse_date(value: str) -> dt.date | None:
    """ISO dates, Excel dates (already ISO here) and dd/mm/yyyy as UK Excel writes CSV."""
    value = value.strip()
    m = _UK_DATE.match(value)
    try:
        if m:
            return dt.date(int(m[3]), int(m[2]), int(m[1]))
        return dt.date.fromisoformat(value[:10]) if len(value) in (10, 19) else None
    except ValueError:
        return None


def _records(df: pd.DataFrame) -> Iterable[Any]:
    """`itertuples` over plain Python values: walking pandas' Arrow-backed str columns one cell
    at a time is ~15x slower than converting them to objects first (pandas 3)."""
    return df.astype(object).itertuples(index=False)


def _values(s: pd.Series) -> list[Any]:
    """The column as a list (`tolist` converts in one go; iterating an Arrow str column does not)."""
    return s.tolist()


# The database's own column lengths: a value longer than its column is a row error here, not
# a database error at write time (PostgreSQL refuses it and prints the row's values).
DB_LENGTHS = {"post_id": Post.__table__.c.post_ref.type.length,
              "employee_id": Person.__table__.c.employee_ref.type.length,
              "origin": Person.__table__.c.origin.type.length,
              "title": Post.__table__.c.title.type.length,
              "division": Post.__table__.c.division.type.length,
              "team": Post.__table__.c.team.type.length,
              "notes": Post.__table__.c.notes.type.length,
              "name": Person.__table__.c.name.type.length}
# Person.annual_salary_pence and day_rate_pence are INTEGER columns (PostgreSQL int4).
MAX_PENCE = 2**31 - 1
_SCP = re.compile(r"[0-9]{1,3}")


def _text_errors(df: pd.DataFrame, sheet: str, columns: Iterable[str],
                 settings: Settings) -> list[RowError]:
    """Over-long text (the settings' limit or the column's, whichever is smaller) and NUL,
    which no text column may hold."""
    errors = []
    for col in columns:
        limit = settings.max_notes_length if col == "notes" else settings.max_text_length
        limit = min(limit, DB_LENGTHS.get(col) or limit)
        lengths = df[col].str.len()
        for row, n in zip(df.loc[lengths > limit, "_row"], lengths[lengths > limit], strict=True):
            errors.append(RowError(sheet, int(row), col,
                                   f"{n} characters is too long; the limit is {limit}."))
        for row in df.loc[df[col].str.contains("\x00", regex=False), "_row"]:
            errors.append(RowError(sheet, int(row), col, (
                "This cell holds a NUL character (byte 0), which is not text: remove it.")))
    return errors


def _required_errors(df: pd.DataFrame, sheet: str, kind: str) -> list[RowError]:
    errors = []
    for col in REQUIRED[kind]:
        for row in df.loc[df[col] == "", "_row"]:
            errors.append(RowError(sheet, int(row), col, f"{col} is required."))
    return errors


def _duplicate_errors(df: pd.DataFrame, sheet: str, col: str) -> list[RowError]:
    errors = []
    filled = df[df[col] != ""]
    dup = filled[filled.duplicated(col, keep=False)]
    first_row = dup.groupby(col)["_row"].min()
    for key, row in zip(dup[col], dup["_row"], strict=True):
        first = int(first_row[key])
        if int(row) != first:
            errors.append(RowError(sheet, int(row), col,
                                   f"Duplicate {col} {key!r}: it is already used on row {first}."))
    return errors


def reporting_cycles(manager_of: Mapping[str, str]) -> list[list[str]]:
    """Every reporting cycle as its chain of post ids, each starting from its smallest member.

    Walks each chain once (colouring visited posts), so 50,000 posts take milliseconds.
    """
    state: dict[str, int] = {}  # 1 = on the current walk, 2 = done
    cycles: list[list[str]] = []
    for start in manager_of:
        if state.get(start):
            continue
        path: list[str] = []
        node: str | None = start
        while node is not None and node in manager_of and not state.get(node):
            state[node] = 1
            path.append(node)
            node = manager_of[node] or None
        if node is not None and state.get(node) == 1:
            cycle = path[path.index(node):]
            i = cycle.index(min(cycle))
            cycles.append(cycle[i:] + cycle[:i])
        for p in path:
            state[p] = 2
    return cycles


def validate_posts(posts: pd.DataFrame, *, grades: Mapping[str, GradeBand],
                   partner_names: Sequence[str], sheet: str = "posts",
                   settings: Settings | None = None) -> list[RowError]:
    """Every rule a posts table must meet; shared by the import and the establishment editor."""
    settings = settings or get_settings()
    errors = _required_errors(posts, sheet, "posts")
    errors += _text_errors(posts, sheet, [c for c in POST_COLUMNS if c != "fte"], settings)
    errors += _duplicate_errors(posts, sheet, "post_id")
    known_partners = {p.lower() for p in partner_names} | {"shared", ""}
    grade_list = ", ".join(grades)
    ids = set(_values(posts["post_id"]))
    for row, r in zip(_values(posts["_row"].astype(int)), _records(posts), strict=True):
        if r.grade and r.grade not in grades:
            errors.append(RowError(sheet, row, "grade", (
                f"Grade {r.grade!r} is not in the grade table ({grade_list}).")))
        if r.fte:
            fte = _fte(r.fte)
            if fte is None or fte <= 0 or fte > MAX_FTE:
                errors.append(RowError(sheet, row, "fte", (
                    f"Post FTE {r.fte!r} must be above 0 and at most 1 (up to 4 decimal places).")))
        if r.partner.lower() not in known_partners:
            errors.append(RowError(sheet, row, "partner", (
                f"Partner {r.partner!r} is not one of: shared, {', '.join(partner_names)}.")))
        if r.funding and r.funding.lower() not in FUNDING:
            errors.append(RowError(sheet, row, "funding",
                                   f"Funding {r.funding!r} must be base or project."))
        if r.reports_to and r.reports_to not in ids:
            errors.append(RowError(sheet, row, "reports_to",
                                   f"reports_to {r.reports_to!r} is not a post_id in this sheet."))
    # A duplicated post_id is reported above; the cycle check reads each post_id's first row,
    # so a duplicate neither hides a cycle nor invents one.
    first = posts.drop_duplicates("post_id")
    manager_of = {p: m for p, m in zip(_values(first["post_id"]), _values(first["reports_to"]),
                                         strict=True)
                  if p and m in ids}
    row_of = dict(zip(_values(first["post_id"]), _values(first["_row"]), strict=True))
    for cycle in reporting_cycles(manager_of):
        chain = " → ".join([*cycle, cycle[0]])
        errors.append(RowError(sheet, int(row_of[cycle[0]]), "reports_to",
                               f"Reporting cycle: {chain}."))
    return errors


def validate_people(people: pd.DataFrame, posts: pd.DataFrame, *,
                    grades: Mapping[str, GradeBand], today: dt.date,
                    settings: Settings | None = None) -> list[RowError]:
    """Every rule a people table must meet, against the posts of the same upload."""
    settings = settings or get_settings()
    sheet = "people"
    errors = _required_errors(people, sheet, "people")
    errors += _text_errors(people, sheet, ["employee_id", "name", "post_id", "origin"], settings)
    errors += _duplicate_errors(people, sheet, "employee_id")
    posts = posts.drop_duplicates("post_id")  # duplicates are reported with the posts
    post_grade = dict(zip(_values(posts["post_id"]), _values(posts["grade"]), strict=True))
    occupied: dict[str, list[tuple[str, Decimal]]] = {}
    for row, r in zip(_values(people["_row"].astype(int)), _records(people), strict=True):
        contract = r.contract.lower()
        if r.contract and contract not in CONTRACTS:
            errors.append(RowError(sheet, row, "contract", (
                f"Contract {r.contract!r} must be one of: {', '.join(CONTRACTS)}.")))
        if r.post_id and r.post_id not in post_grade:
            errors.append(RowError(sheet, row, "post_id",
                                   f"post_id {r.post_id!r} is not a post in the posts sheet."))
        fte = _fte(r.fte) if r.fte else Decimal(1)
        if fte is None or fte <= 0 or fte > 1:
            errors.append(RowError(sheet, row, "fte", (
                f"Occupant FTE {r.fte!r} must be above 0 and at most 1.")))
        elif r.post_id in post_grade:
            occupied.setdefault(r.post_id, []).append((r.employee_id, fte))
        if r.scp:
            if not _SCP.fullmatch(r.scp):
                errors.append(RowError(sheet, row, "scp",
                                       f"Spinal point {r.scp!r} is not a whole number."))
            else:
                band = grades.get(post_grade.get(r.post_id, ""))
                if band and not band.min_scp <= int(r.scp) <= band.max_scp:
                    errors.append(RowError(sheet, row, "scp", (
                        f"Spinal point {r.scp} is outside grade {band.name} "
                        f"(SCP {band.min_scp}–{band.max_scp}).")))
        for col in ("annual_salary", "day_rate"):
            value = getattr(r, col)
            pence = _money_pence(value) if value else 0
            if pence is None:
                errors.append(RowError(sheet, row, col,
                                       f"{value!r} is not an amount in pounds (e.g. 525.50)."))
            elif pence > MAX_PENCE:
                errors.append(RowError(sheet, row, col, (
                    f"£{value} is more than the register can hold "
                    f"(£{MAX_PENCE // 100:,}.{MAX_PENCE % 100:02d}); check the amount.")))
        if r.day_rate and contract in DAY_RATE_REFUSED:
            errors.append(RowError(sheet, row, "day_rate", (
                f"A day rate is for interims and agency workers; {r.employee_id} is on a "
                f"{contract.replace('_', '-')} contract.")))
        errors += _date_errors(r, int(row), today)
    post_fte = dict(zip(_values(posts["post_id"]), _values(posts["fte"]), strict=True))
    post_row = dict(zip(_values(posts["post_id"]), _values(posts["_row"]), strict=True))
    for post_id, occupants in occupied.items():
        total = sum((f for _, f in occupants), Decimal(0))
        limit = _fte(post_fte.get(post_id) or "1")
        if limit is not None and total > limit:
            who = ", ".join(f"{e} {decimal_text(f)}" for e, f in occupants)
            errors.append(RowError("posts", int(post_row[post_id]), "fte", (
                f"The occupants of {post_id} work {decimal_text(total)} FTE ({who}), more than "
                f"the post's {decimal_text(limit)} FTE.")))
    return errors


def _date_errors(r: Any, row: int, today: dt.date) -> list[RowError]:
    errors = []
    dates: dict[str, dt.date] = {}
    for col in DATE_COLUMNS:
        value = getattr(r, col)
        if not value:
            continue
        d = parse_date(value)
        if d is None:
            errors.append(RowError("people", row, col, (
                f"{value!r} is not a real date; use YYYY-MM-DD (or DD/MM/YYYY).")))
        else:
            dates[col] = d
    birth = dates.get("date_of_birth")
    if birth and birth > today:
        errors.append(RowError("people", row, "date_of_birth",
                               f"Date of birth {long_date(birth)} is in the future."))
    if birth:
        for col in ("start_date", "continuous_service_date", "tupe_transfer_date"):
            if col in dates and dates[col] <= birth:
                errors.append(RowError("people", row, col, (
                    f"{col} {long_date(dates[col])} is not after the date of birth "
                    f"{long_date(birth)}.")))
    start, cont = dates.get("start_date"), dates.get("continuous_service_date")
    if start and cont and cont > start:
        errors.append(RowError("people", row, "continuous_service_date", (
            f"Continuous service ({long_date(cont)}) cannot begin after the start date "
            f"({long_date(start)}).")))
    return errors


def validate_partners(partners: pd.DataFrame) -> list[RowError]:
    """The partners sheet on its own: names, kinds, host flags (one host at most, never a
    customer), percentages and amounts, and shares adding up to 100%. What needs the stored
    partners (a blank kind, the host when none is marked, partners the sheet retires) is
    checked by `partner_set_errors`."""
    sheet = "partners"
    errors = _required_errors(partners, sheet, "partners") + _duplicate_errors(partners, sheet, "partner")
    total = 0
    hosts: list[tuple[int, str]] = []
    for row, r in zip(_values(partners["_row"].astype(int)), _records(partners),
                      strict=True):
        if r.partner.lower() == "shared":
            errors.append(RowError(sheet, row, "partner",
                                   "'shared' is reserved for posts shared by all partners."))
        kind = r.kind.strip().lower()
        if kind and kind not in PARTNER_KINDS:
            errors.append(RowError(sheet, row, "kind", (
                f"{r.kind!r} is not a kind of partner: council or customer.")))
        host = r.host.strip().lower()
        if host and host not in (*HOST_YES, *HOST_NO):
            errors.append(RowError(sheet, row, "host", f"{r.host!r} is not yes or no."))
        elif host in HOST_YES:
            hosts.append((row, r.partner))
            if kind == "customer":
                errors.append(RowError(sheet, row, "host", (
                    f"{r.partner} is a customer; the host is the council that employs the "
                    "service's staff.")))
        for col in ("share", "lgps_employer_rate"):
            value = getattr(r, col)
            if value and _percent_bp(value) is None:
                errors.append(RowError(sheet, row, col,
                                       f"{value!r} is not a percentage between 0 and 100."))
        if r.share and (bp := _percent_bp(r.share)) is not None:
            total += bp
        if r.london_weighting and _money_pence(r.london_weighting) is None:
            errors.append(RowError(sheet, row, "london_weighting",
                                   f"{r.london_weighting!r} is not an amount in pounds."))
    for row, name in hosts[1:]:
        errors.append(RowError(sheet, row, "host", (
            f"{name} is marked as host, but so is {hosts[0][1]}: exactly one council hosts "
            "the service.")))
    flags = [h.strip().lower() for h in _values(partners["host"])]
    if len(partners) and not hosts and flags and all(f in HOST_NO for f in flags):
        errors.append(RowError(sheet, None, "host", (
            "No partner is marked as host: mark the council that employs the service's staff "
            "host = yes.")))
    if len(partners) and total != 10_000:
        errors.append(RowError(sheet, None, "share", (
            f"The shares add up to {total / 100:g}%; they must add up to 100%.")))
    return errors


@dataclass(frozen=True)
class PartnerPlan:
    """What a partners sheet does to the stored partners: each listed partner as it will be
    stored (name, kind, host, share, rates) and the active partners it retires."""

    rows: list[dict[str, Any]]
    retiring: list[Partner]


def _partner_plan(session: Session, partners: pd.DataFrame) -> PartnerPlan:
    """Resolve a (valid) partners sheet against the stored partners: a blank kind keeps the
    stored kind (council for a new partner); the host is the row marked yes, else the stored
    host if the sheet names it, else the first council listed; every stored active partner
    the sheet does not name is retired."""
    existing = {p.name.lower(): p for p in session.exec(select(Partner)).all()}
    rows: list[dict[str, Any]] = []
    for r in _records(partners):
        stored = existing.get(r.partner.lower())
        kind = r.kind.strip().lower() or (stored.kind if stored else "council")
        rows.append({
            "name": stored.name if stored else r.partner, "kind": kind,
            "marked": r.host.strip().lower() in HOST_YES, "row": None,
            "kind_given": bool(r.kind.strip()),
            "share_bp": _percent_bp(r.share) or 0 if r.share else 0,
            "lgps_employer_rate_bp": _percent_bp(r.lgps_employer_rate)
            if r.lgps_employer_rate else None,
            "london_weighting_pence": _money_pence(r.london_weighting)
            if r.london_weighting else None,
            "stored_host": bool(stored and stored.is_host and stored.active)})
    for row, r in zip(rows, _values(partners["_row"].astype(int)), strict=True):
        row["row"] = r
    host = next((r for r in rows if r["marked"]), None) or next(
        (r for r in rows if r["stored_host"] and r["kind"] == "council"), None) or next(
        (r for r in rows if r["kind"] == "council"), None)
    for row in rows:
        row["is_host"] = row is host
    named = {r["name"].lower() for r in rows}
    retiring = [p for p in existing.values() if p.active and p.name.lower() not in named]
    return PartnerPlan(rows=rows, retiring=sorted(retiring, key=lambda p: p.id or 0))


def partner_set_errors(session: Session, partners: pd.DataFrame | None) -> list[RowError]:
    """What a partners sheet may not do to the stored partners (the sheet is the new partner
    set): give a customer a share of the shared costs, leave no council to host, or retire a
    partner that a current option (not archived) still charges posts to, or whose share of an
    envelope a structure still holds. Each refusal names the partner and what still uses it.
    """
    if partners is None or not len(partners):
        return []
    sheet = "partners"
    plan = _partner_plan(session, partners)
    errors = [RowError(sheet, r["row"], "share", (
        f"{r['name']} is a customer: it pays for the posts charged to it and has no share of "
        "the shared costs, so its share must be 0 (shares are the councils').")
        ) for r in plan.rows if r["kind"] == "customer" and r["share_bp"]]
    errors += [RowError(sheet, r["row"], "host", (
        f"{r['name']} is a customer; the host is the council that employs the service's staff.")
        ) for r in plan.rows if r["marked"] and r["kind"] == "customer"
        and not r["kind_given"]]
    if not any(r["kind"] == "council" for r in plan.rows):
        errors.append(RowError(sheet, None, "kind", (
            "The partners sheet names no council: at least one council shares the service and "
            "hosts it.")))
    p, st_ = Post.__table__, Structure.__table__
    from planner.core.models import EnvelopeShare

    e = EnvelopeShare.__table__
    for partner in plan.retiring:
        posts = session.execute(
            sa_select(st_.c.name, p.c.post_ref).select_from(p.join(st_, p.c.structure_id == st_.c.id))
            .where(p.c.partner_id == partner.id, st_.c.kind == "option", st_.c.archived.is_(False))
            .order_by(st_.c.id, p.c.post_ref)).all()
        shares = session.execute(
            sa_select(st_.c.name).select_from(e.join(st_, e.c.structure_id == st_.c.id))
            .where(e.c.partner_id == partner.id, st_.c.archived.is_(False))
            .order_by(st_.c.id)).scalars().all()
        uses: list[str] = []
        by_option: dict[str, list[str]] = {}
        for option, ref in posts:
            by_option.setdefault(option, []).append(ref)
        for option, refs in by_option.items():
            shown = ", ".join(refs[:5]) + (f" and {len(refs) - 5} more" if len(refs) > 5 else "")
            word = "post" if len(refs) == 1 else "posts"
            uses.append(f"{option} charges {len(refs)} {word} to it ({shown})")
        uses += [f"{name} gives it a share of its envelope" for name in shares]
        if uses:
            errors.append(RowError(sheet, None, "partner", (
                f"{partner.name} is not in the partners sheet, so this import would retire it, "
                f"but {'; '.join(uses)}. Keep {partner.name} in the sheet, or charge those posts "
                "and envelope shares to a current partner first.")))
    return errors


def validate_tables(tables: Tables, *, grades: Mapping[str, GradeBand],
                    partner_names: Sequence[str], today: dt.date) -> list[RowError]:
    errors: list[RowError] = []
    if tables.posts is None:
        return [RowError("posts", None, "", "The posts sheet (or posts.csv) is missing.")]
    names = list(partner_names)
    if tables.partners is not None:
        errors += validate_partners(tables.partners)
        names = list(tables.partners["partner"])
    errors += validate_posts(tables.posts, grades=grades, partner_names=names)
    if tables.people is not None:
        errors += validate_people(tables.people, tables.posts, grades=grades, today=today)
    return errors


def current_people(session: Session, structure_id: int) -> pd.DataFrame:
    """The people in a structure's posts as a people sheet (text, interchange columns), one
    row per occupancy in the order they were written."""
    o, pe, p = Occupancy.__table__, Person.__table__, Post.__table__
    q = (sa_select(pe.c.employee_ref, pe.c.name, p.c.post_ref, pe.c.contract, o.c.fte, pe.c.scp,
                   pe.c.annual_salary_pence, pe.c.day_rate_pence, pe.c.start_date,
                   pe.c.continuous_service_date, pe.c.date_of_birth, pe.c.origin,
                   pe.c.tupe_transfer_date)
         .select_from(o.join(pe, o.c.person_id == pe.c.id).join(p, o.c.post_id == p.c.id))
         .where(p.c.structure_id == structure_id).order_by(o.c.id))

    def pounds(pence: int | None) -> str:
        return "" if pence is None else f"{pence // 100}.{pence % 100:02d}"

    def date(value: Any) -> str:
        if value is None:
            return ""
        return (value.date() if isinstance(value, dt.datetime) else value).isoformat()

    rows = [(ref, name, post, contract, decimal_text(fte), "" if scp is None else str(scp),
             pounds(salary), pounds(rate), date(start), date(cont), date(birth), origin or "",
             date(tupe))
            for ref, name, post, contract, fte, scp, salary, rate, start, cont, birth, origin, tupe
            in session.execute(q)]
    return pd.DataFrame(rows, columns=list(PEOPLE_COLUMNS), dtype=str)


def kept_people(tables: Tables, current: pd.DataFrame, *, keep_people: bool,
                grades: Mapping[str, GradeBand],
                today: dt.date) -> tuple[pd.DataFrame | None, list[RowError]]:
    """An upload without a people sheet, against the establishment's people (`current`).

    An import replaces the whole establishment, so posts alone would remove every person:
    refused unless the importer chose to keep them. Kept, each person stays in their post when
    the upload keeps its post_id, and is checked against the new post (grade, FTE) as if they
    were in the upload; a person whose post the upload removes is an error naming them (their
    employment is not ended by an import). Returns the people to write, or the errors.
    """
    if tables.people is not None or current.empty:
        return None, []
    n = current["employee_id"].nunique()
    if not keep_people:
        count = "1 person" if n == 1 else f"{n:,} people"
        return None, [RowError("people", None, "", (
            f"This upload has no people sheet, and the establishment has {count}: importing "
            "it would remove them. Add people.csv, or choose to keep the people."))]
    assert tables.posts is not None
    posts = set(_values(tables.posts["post_id"]))
    errors = [RowError("people", None, "post_id", (
        f"{e} ({name}) is in post {post}, which this upload removes: add the post back, or "
        "upload a people sheet that says where they go."))
        for e, name, post in zip(_values(current["employee_id"]), _values(current["name"]),
                                 _values(current["post_id"]), strict=True)
        if post not in posts]
    if errors:
        return None, errors
    people = current.assign(_row=range(2, len(current) + 2))
    who = dict(zip(_values(people["_row"]), _values(people["employee_id"]), strict=True))
    for e in validate_people(people, tables.posts, grades=grades, today=today):
        if e.sheet == "people":  # a kept person has no row in the upload: name them instead
            e = RowError("people", None, e.column, f"{who.get(e.row)} (kept): {e.message}")
        errors.append(e)
    return (None, errors) if errors else (people, [])


# --- writing ---------------------------------------------------------------------------------


def baseline(session: Session, *, create: bool = False) -> Structure | None:
    found = session.exec(select(Structure).where(Structure.kind == "baseline")).first()
    if found is None and create:
        found = Structure(name="Current establishment", kind="baseline", status="current",
                          description="The establishment as imported.")
        session.add(found)
        session.flush()
    return found


@dataclass(frozen=True)
class PreparedImport:
    """An upload read and checked by `prepare_import`, for `import_establishment` to write.

    Made outside the write transaction, so a large file's reading and checking do not hold
    SQLite's write lock (or a PostgreSQL transaction) while they run. It remembers who checked
    it and the establishment's version then: a change in between means checking again.
    """

    tables: Tables
    files: tuple[str, ...]
    username: str
    baseline_version: int | None


def prepare_import(*, session: Session, actor: Actor, files: Sequence[tuple[str, bytes]],
                   today: dt.date | None = None, keep_people: bool = False) -> PreparedImport:
    """Read and check an upload (every rule, every row), writing nothing: run it in a read
    session, then hand the result to `import_establishment` in the write session.

    `keep_people` is the explicit choice to import posts without a people sheet while the
    establishment has people: they stay in the posts the upload keeps (see `kept_people`).
    """
    require(actor, "establishment.import", "structure")
    tables, errors = read_upload(files)
    today = today or dt.date.today()
    grades = grade_table(session)
    # Every sheet that could be read is checked, whatever else failed, so HR fixes the whole
    # upload in one pass; a sheet that could not be read has its reason in `errors` already
    # (so a missing posts sheet is only said when nothing else went wrong reading).
    if tables.posts is not None or not errors:
        errors += validate_tables(tables, grades=grades, partner_names=partner_names(session),
                                  today=today)
    if tables.partners is not None and not any(e.sheet == "partners" for e in errors):
        # What the new partner set would do to the stored one (needs a well-formed sheet).
        errors += partner_set_errors(session, tables.partners)
    current = baseline(session)
    if not errors and tables.people is None and current is not None:
        assert current.id is not None
        people, errors = kept_people(tables, current_people(session, current.id),
                                     keep_people=keep_people, grades=grades, today=today)
        if people is not None:
            tables.people = people
    if tables.equality is not None:
        errors += _equality_errors(actor, tables)
    if errors:
        raise ValidationFailed(errors)
    return PreparedImport(tables=tables, files=tuple(name for name, _ in files),
                          username=actor.username,
                          baseline_version=current.version if current is not None else None)


def _checked(session: Session, actor: Actor, files: Sequence[tuple[str, bytes]],
             today: dt.date | None, keep_people: bool,
             prepared: PreparedImport | None) -> PreparedImport:
    """The prepared upload, still valid in this transaction; or the upload checked here."""
    if prepared is None:
        return prepare_import(session=session, actor=actor, files=files, today=today,
                              keep_people=keep_people)
    if prepared.username != actor.username:
        raise PermissionDenied("This import was checked for another user; upload it again.",
                               user=actor, action="establishment.import", entity="structure")
    current = baseline(session)
    if (current.version if current is not None else None) != prepared.baseline_version:
        raise ValidationFailed([RowError("upload", None, "", (
            "The establishment changed while the files were being checked; nothing was "
            "imported. Import them again."))])
    return prepared


def import_establishment(*, session: Session, actor: Actor,
                         files: Sequence[tuple[str, bytes]] = (), today: dt.date | None = None,
                         keep_people: bool = False,
                         prepared: PreparedImport | None = None) -> ImportSummary:
    """Replace the baseline establishment with the upload and rebase every option onto it
    (planner.structures.rebase), or change nothing and say why (every error of every readable sheet).

    Given `prepared` (from `prepare_import` in a read session) it only writes, so the write
    transaction is held for the write alone; given `files`, it reads and checks them first.
    """
    require(actor, "establishment.import", "structure")
    prepared = _checked(session, actor, files, today, keep_people, prepared)
    tables = prepared.tables
    summary = _write(session, actor, tables, list(prepared.files))
    if tables.equality is not None:
        # Same transaction: a failure here rolls the establishment back too.
        from planner.equality.analysis import write_equality_sheet

        write_equality_sheet(session=session, actor=actor, frame=tables.equality)
    return summary


def _equality_errors(actor: Actor, tables: Tables) -> list[RowError]:
    """An equality sheet in an establishment upload: checked by planner.equality.analysis against the
    upload's people when the actor may edit equality data (hr); refused for anyone else (an
    administrator imports establishments but may not change special-category data)."""
    if not can(actor, "equality.edit"):
        return [RowError("equality", None, "", (
            "The equality sheet holds special-category personal data that only HR may import. "
            "Remove the sheet (or equality.csv) to import the establishment, and ask HR to "
            "upload the equality answers."))]
    from planner.equality.analysis import validate_equality_sheet

    assert tables.equality is not None
    people = tables.people
    known = set(people["employee_id"]) if people is not None else set()
    return validate_equality_sheet(tables.equality, known)


def _replaced_rows(session: Session, actor: Actor, sid: int,
                   tables: Tables) -> dict[str, list[dict[str, str]]]:
    """The rows of the establishment this upload changes or removes, as the export writes
    them (posts by post_id, people by employee_id and post), for the import's audit event:
    what an import replaced can always be read back, and re-imported, from the audit log."""
    from planner.establishment.exports import (
        export_tables,  # exports reads the interchange columns here
    )

    old = export_tables(session=session, actor=actor, structure_id=sid)
    out: dict[str, list[dict[str, str]]] = {}
    for sheet, keys in (("posts", ["post_id"]), ("people", ["employee_id", "post_id"])):
        frame = old[sheet]
        new = getattr(tables, sheet)
        if not len(frame):
            out[sheet] = []
            continue
        if new is None:
            out[sheet] = frame.to_dict("records")
            continue
        cols = [c for c in frame.columns if c in new.columns]
        merged = frame.merge(new[cols].astype(str), on=keys, how="left",
                             suffixes=("", "__new"), indicator=True)
        differs = merged["_merge"] == "left_only"
        for c in cols:
            if c not in keys:
                differs |= merged[c].astype(str) != merged[f"{c}__new"].astype(str)
        out[sheet] = merged.loc[differs, list(frame.columns)].to_dict("records")
    return out


def _write(session: Session, actor: Actor, tables: Tables, names: list[str]) -> ImportSummary:
    """Replace the baseline by upsert, then rebase every option onto it (planner.structures.rebase).

    Posts matched by post_id and people matched by employee_id keep their ids, so option
    posts (`baseline_post_id`), ETO rationales and TUPE cohort members keep pointing at the
    same rows; what the upload no longer names is deleted once nothing points at it.
    """
    assert tables.posts is not None
    partners_written = _write_partners(session, actor, tables.partners) if tables.partners is not None else 0
    structure = baseline(session, create=True)
    assert structure is not None and structure.id is not None
    sid = structure.id
    before: dict[str, Any] = {**_counts(session, sid),
                              "replaced": _replaced_rows(session, actor, sid, tables)}
    has_options = session.exec(
        select(Structure.id).where(Structure.kind == "option").limit(1)).first() is not None
    old_frame = None
    if has_options:
        from planner.structures.rebase import structure_frame

        old_frame = structure_frame(session, sid)

    partner_id = {name.lower(): pid for name, pid in
                  session.exec(sa_select(Partner.name, Partner.id)).all()}
    posts = tables.posts
    fte = posts["fte"].replace("", "1")
    post_rows = [
        {"structure_id": sid, "post_ref": r[0], "title": r[1], "division": r[2], "team": r[3],
         "grade": r[4], "fte": Decimal(r[5]), "partner_id": partner_id.get(r[6].lower()),
         "funding": (r[7] or "base").lower(), "notes": r[8], "version": 1}
        for r in zip(*(_values(posts[c]) for c in ("post_id", "title", "division", "team",
                                                    "grade")),
                     _values(fte), *(_values(posts[c]) for c in ("partner", "funding", "notes")),
                     strict=True)
    ]
    conn = session.connection()
    ids, removed_posts, posts_changed = _upsert_posts(conn, sid, post_rows, posts)

    people = tables.people if tables.people is not None else pd.DataFrame(
        columns=[*PEOPLE_COLUMNS, "_row"])
    person_rows = [
        {"employee_ref": r.employee_id, "name": r.name, "contract": r.contract.lower(),
         "scp": int(r.scp) if r.scp else None,
         "annual_salary_pence": _money_pence(r.annual_salary) if r.annual_salary else None,
         "day_rate_pence": _money_pence(r.day_rate) if r.day_rate else None,
         "start_date": parse_date(r.start_date) if r.start_date else None,
         "continuous_service_date": (parse_date(r.continuous_service_date)
                                     if r.continuous_service_date else None),
         "date_of_birth": parse_date(r.date_of_birth) if r.date_of_birth else None,
         "origin": r.origin,
         "tupe_transfer_date": parse_date(r.tupe_transfer_date) if r.tupe_transfer_date else None}
        for r in _records(people)
    ]

    after: dict[str, Any] = {
        "posts": len(post_rows), "people": len(person_rows),
        "occupancies": sum(1 for _ in _values(people["employee_id"])),
        "partners": partners_written, "files": names,
        "posts_added": len(post_rows) - (before["posts"] - len(removed_posts)),
        "posts_changed": posts_changed, "posts_removed": len(removed_posts)}
    rebased = []
    if old_frame is not None:
        from planner.structures.rebase import rebase_options, structure_frame

        new_frame = structure_frame(session, sid)
        new_frame = new_frame[~new_frame["id"].isin(removed_posts)].reset_index(drop=True)
        # Every option, archived ones too: an archived option restored later must still
        # point at posts that exist, with its people where the establishment now has them.
        rebased = rebase_options(session, actor=actor, old=old_frame, new=new_frame,
                                 import_event_id=None)

    # Now nothing in an option points at a removed baseline post: remove them.
    o, e, p = Occupancy.__table__, EtoRationale.__table__, Post.__table__
    in_structure = sa_select(p.c.id).where(p.c.structure_id == sid)
    conn.execute(delete(o).where(o.c.post_id.in_(in_structure)))
    eto_before = _eto_rows(conn)
    if removed_posts:
        gone = [{"b_id": i} for i in removed_posts]
        conn.execute(delete(e).where(e.c.baseline_post_id == bindparam("b_id")), gone)
        conn.execute(update(p).where(p.c.id == bindparam("b_id")).values(reports_to_id=None), gone)
        conn.execute(delete(p).where(p.c.id == bindparam("b_id")), gone)

    person_ids, removed_people = _upsert_people(conn, person_rows)
    if removed_people:
        gone = [{"b_id": i} for i in removed_people]
        m = TupeMember.__table__
        conn.execute(delete(e).where(e.c.person_id == bindparam("b_id")), gone)
        conn.execute(delete(m).where(m.c.person_id == bindparam("b_id")), gone)
        conn.execute(delete(o).where(o.c.person_id == bindparam("b_id")), gone)
        pe = Person.__table__
        conn.execute(delete(pe).where(pe.c.id == bindparam("b_id")), gone)
    # ETO rationales answer a change to one person's post: gone with the person or the post.
    left = {r["id"] for r in _eto_rows(conn)}
    eto_removed = [{k: v for k, v in r.items() if k != "id"} for r in eto_before
                   if r["id"] not in left]
    _drop_stale_members(conn)
    occupancy_rows = [
        {"person_id": person_ids[emp], "post_id": ids[post], "fte": Decimal(f or "1")}
        for emp, post, f in zip(_values(people["employee_id"]), _values(people["post_id"]),
                                _values(people["fte"]), strict=True)
    ]
    if occupancy_rows:
        conn.execute(insert(Occupancy.__table__), occupancy_rows)

    structure.version += 1
    session.add(structure)
    # The audit log is append-only, so the import's event is written once, whole, now; the
    # conflicts the rebase just raised then take its id (they were written without one).
    event = audit.record(session, actor=actor, action="import", entity="structure",
                         entity_id=str(sid), before=before, after={
                             **after, "people_removed": len(removed_people),
                             "eto_removed": eto_removed,
                             "options_rebased": [r.as_dict() for r in rebased]})
    session.flush()
    rc = RebaseConflict.__table__
    conn.execute(update(rc).where(rc.c.import_event_id.is_(None))
                 .values(import_event_id=event.id))
    if rebased:
        from planner.structures.rebase import record_rebase

        for r in rebased:
            record_rebase(session, actor=actor, rebased=r, import_event_id=event.id)
    # People who came by TUPE join their cohort now: a consequence of the import the actor
    # was allowed to make (establishment.import), so it needs no TUPE permission of its own.
    from planner.legal.tupe import sync_after_import

    sync_after_import(session=session, actor=actor)
    return ImportSummary(structure_id=sid, posts=len(post_rows), people=len(person_rows),
                         occupancies=len(occupancy_rows), partners=partners_written,
                         rebased=tuple(rebased))


_POST_FIELDS = ("title", "division", "team", "grade", "fte", "partner_id", "funding", "notes")
_PERSON_FIELDS = ("name", "contract", "scp", "annual_salary_pence", "day_rate_pence",
                  "start_date", "continuous_service_date", "date_of_birth", "origin",
                  "tupe_transfer_date")


def _upsert_posts(conn: Any, sid: int, rows: list[dict[str, Any]],
                  posts: pd.DataFrame) -> tuple[dict[str, int], list[int], int]:
    """Update the baseline posts the upload names (only those that changed, each with a new
    version), insert the new ones and set every changed reporting line. Returns post_id → id,
    the ids of the posts the upload no longer names (still present) and how many changed."""
    t = Post.__table__
    cols = [t.c.id, t.c.post_ref, t.c.reports_to_id, *(t.c[c] for c in _POST_FIELDS)]
    existing = {r[1]: r for r in conn.execute(sa_select(*cols).where(t.c.structure_id == sid))}
    fresh = [r for r in rows if r["post_ref"] not in existing]
    ids = {ref: int(r[0]) for ref, r in existing.items()}
    ids.update(_insert_ids(conn, t, fresh, "post_ref", t.c.structure_id == sid))
    manager = dict(zip(_values(posts["post_id"]), _values(posts["reports_to"]), strict=True))
    changed, links = [], []
    for r in rows:
        old = existing.get(r["post_ref"])
        mgr = ids[manager[r["post_ref"]]] if manager[r["post_ref"]] else None
        if old is None:
            if mgr is not None:
                links.append({"b_id": ids[r["post_ref"]], "b_mgr": mgr})
        elif tuple(r[c] for c in _POST_FIELDS) != tuple(old[3:]) or mgr != old[2]:
            changed.append({"b_id": int(old[0]), "b_mgr": mgr,
                            **{f"b_{c}": r[c] for c in _POST_FIELDS}})
    if changed:
        conn.execute(update(t).where(t.c.id == bindparam("b_id")).values(
            reports_to_id=bindparam("b_mgr"), version=t.c.version + 1,
            **{c: bindparam(f"b_{c}") for c in _POST_FIELDS}), changed)
    if links:
        conn.execute(update(t).where(t.c.id == bindparam("b_id"))
                     .values(reports_to_id=bindparam("b_mgr")), links)
    wanted = {r["post_ref"] for r in rows}
    removed = sorted(int(r[0]) for ref, r in existing.items() if ref not in wanted)
    return ids, removed, len(changed)


def _upsert_people(conn: Any, rows: list[dict[str, Any]]) -> tuple[dict[str, int], list[int]]:
    """Update the people the upload names (those that changed), insert new ones; returns
    employee_id → id and the ids of the people the upload no longer names."""
    t = Person.__table__
    existing = {r[1]: r for r in conn.execute(
        sa_select(t.c.id, t.c.employee_ref, *(t.c[c] for c in _PERSON_FIELDS)))}
    fresh = [r for r in rows if r["employee_ref"] not in existing]
    changed = [{"b_id": int(existing[r["employee_ref"]][0]),
                **{f"b_{c}": r[c] for c in _PERSON_FIELDS}}
               for r in rows if r["employee_ref"] in existing
               and tuple(r[c] for c in _PERSON_FIELDS) != tuple(existing[r["employee_ref"]][2:])]
    if changed:
        conn.execute(update(t).where(t.c.id == bindparam("b_id")).values(
            **{c: bindparam(f"b_{c}") for c in _PERSON_FIELDS}), changed)
    ids = {ref: int(r[0]) for ref, r in existing.items()}
    # employee_ref is unique across the table, so each key read back is the row just written.
    ids.update(_insert_ids(conn, t, fresh, "employee_ref"))
    wanted = {r["employee_ref"] for r in rows}
    removed = sorted(int(r[0]) for ref, r in existing.items() if ref not in wanted)
    return ids, removed


def _drop_stale_members(conn: Any) -> None:
    """Cohort membership follows each person's origin and transfer date (tupe.sync_after_import
    adds the joiners): a person whose new row names another transferor or date leaves the
    cohort they were in. The cohorts keep their milestones, ELI and measures."""
    m, pe, c = TupeMember.__table__, Person.__table__, TupeCohort.__table__
    stale = (sa_select(m.c.id).select_from(m.join(pe, m.c.person_id == pe.c.id)
                                            .join(c, m.c.cohort_id == c.c.id))
             .where(or_(pe.c.tupe_transfer_date.is_(None),
                        pe.c.tupe_transfer_date != c.c.transfer_date,
                        func.trim(pe.c.origin) != c.c.transferor)))
    ids = [r[0] for r in conn.execute(stale)]
    if ids:
        conn.execute(delete(m).where(m.c.id == bindparam("b_id")), [{"b_id": i} for i in ids])


def _eto_rows(conn: Any) -> list[dict[str, Any]]:
    """Every ETO rationale with the names a person reads (a few per option, never thousands):
    the import's audit event keeps the text of any it removes, so nothing goes unrecorded."""
    e, pe, p, s = (EtoRationale.__table__, Person.__table__, Post.__table__,
                   Structure.__table__)
    q = (sa_select(e.c.id, s.c.name, pe.c.employee_ref, p.c.post_ref, e.c.change,
                   e.c.rationale)
         .select_from(e.join(s, e.c.structure_id == s.c.id)
                      .join(pe, e.c.person_id == pe.c.id)
                      .join(p, e.c.baseline_post_id == p.c.id)))
    return [{"id": i, "option": name, "employee_id": ref, "post_id": post, "change": change,
             "rationale": text} for i, name, ref, post, change, text in conn.execute(q)]


def _insert_ids(conn: Any, table: Any, rows: list[dict[str, Any]], key: str,
               where: Any = None) -> dict[str, int]:
    """Bulk insert (one executemany), then map each key to its new id with one SELECT.

    Faster than INSERT … RETURNING on both backends: SQLAlchemy sends RETURNING through its
    "insertmanyvalues" batches, which psycopg re-parses placeholder by placeholder (~4x the
    reference at 10,000 posts on PostgreSQL) and which SQLite runs one row per statement when
    the parameter order must be kept. A plain executemany is what the reference does too.
    """
    if not rows:
        return {}
    conn.execute(insert(table), rows)
    query = sa_select(table.c[key], table.c.id)
    if where is not None:
        query = query.where(where)
    wanted = {row[key] for row in rows}
    return {k: i for k, i in conn.execute(query) if k in wanted}


def _counts(session: Session, sid: int) -> dict[str, int]:
    p, o = Post.__table__, Occupancy.__table__
    posts = session.exec(sa_select(func.count()).select_from(p).where(p.c.structure_id == sid)).one()
    occ = session.exec(sa_select(func.count()).select_from(o.join(p, o.c.post_id == p.c.id))
                       .where(p.c.structure_id == sid)).one()
    return {"posts": int(posts[0]), "occupancies": int(occ[0])}


def _write_partners(session: Session, actor: Actor, partners: pd.DataFrame) -> int:
    """Make the sheet the partner set: add or update the partners it names (kind, host,
    share, rates; a blank rate keeps the stored one), set exactly one host, and retire every
    active partner it does not name (`active` false, kept for history). Each change audited."""
    plan = _partner_plan(session, partners)
    existing = {p.name.lower(): p for p in session.exec(select(Partner)).all()}
    for partner in plan.retiring:
        before = audit.jsonable(partner.model_dump())
        partner.active = False
        partner.is_host = False
        session.add(partner)
        session.flush()
        audit.record(session, actor=actor, action="retire", entity="partner",
                     entity_id=str(partner.id), before=before,
                     after=audit.jsonable(partner.model_dump()))
    for r in plan.rows:
        row = existing.get(r["name"].lower()) or Partner(name=r["name"])
        before = audit.jsonable(row.model_dump()) if row.id else None
        row.kind, row.is_host, row.share_bp, row.active = r["kind"], r["is_host"], r["share_bp"], True
        if r["lgps_employer_rate_bp"] is not None:
            row.lgps_employer_rate_bp = r["lgps_employer_rate_bp"]
        if r["london_weighting_pence"] is not None:
            row.london_weighting_pence = r["london_weighting_pence"]
        session.add(row)
        session.flush()
        after = audit.jsonable(row.model_dump())
        if before != after:
            audit.record(session, actor=actor, action="update" if before else "create",
                         entity="partner", entity_id=str(row.id), before=before, after=after)
    return len(partners)
