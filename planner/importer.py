"""Import of the establishment from the interchange format (DESIGN.md "Interchange format").

All-or-nothing: the files are read and every rule is checked before anything is written, and
every problem comes back as a RowError (sheet, row, column, message) so HR can fix the whole
spreadsheet in one pass instead of one error per upload. Rows are numbered as Excel shows
them: the header is row 1, the first data row is row 2.

Uploads are untrusted: sizes and row counts are capped, an xlsx is checked as a zip (signature,
member count and uncompressed size) before openpyxl unpacks it, and formula cells are refused
rather than evaluated. Writes are SQLAlchemy Core bulk inserts: SQLModel's per-object add is
~30x slower at 50,000 rows.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

import pandas as pd
from sqlalchemy import bindparam, delete, func, insert, update
from sqlalchemy import select as sa_select
from sqlmodel import Session, select

from planner import audit
from planner.auth import Actor, can, require
from planner.config import Settings, get_settings
from planner.errors import RowError, ValidationFailed
from planner.models import (
    CONTRACTS,
    EQUALITY_FIELDS,
    FUNDING,
    Occupancy,
    Partner,
    Person,
    Post,
    Structure,
    TupeMember,
)
from planner.reference import GradeBand, grade_table, partner_names
from planner.values import long_date

POST_COLUMNS = ("post_id", "title", "division", "team", "reports_to", "grade", "fte", "partner",
                "funding", "notes")
PEOPLE_COLUMNS = ("employee_id", "name", "post_id", "contract", "fte", "scp", "annual_salary",
                  "day_rate", "start_date", "continuous_service_date", "date_of_birth", "origin",
                  "tupe_transfer_date")
PARTNER_COLUMNS = ("partner", "share", "lgps_employer_rate", "london_weighting")
# Optional, hr only: special-category data (UK GDPR art. 9), handed to planner.equality.
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
# What exports prefix to neutralise formula injection (OWASP "CSV injection").
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
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


# --- reading ---------------------------------------------------------------------------------


def read_upload(files: Sequence[tuple[str, bytes]],
                settings: Settings | None = None) -> tuple[Tables, list[RowError]]:
    """Read xlsx and csv files into text tables, with every problem found on the way."""
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
            frame, errs = _read_csv(sheet, data)
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
            if len(frame) > settings.max_import_rows:
                errors.append(RowError(sheet, None, "", (
                    f"{len(frame):,} rows is more than the limit of "
                    f"{settings.max_import_rows:,} rows.")))
                continue
            setattr(tables, sheet, frame)
    return tables, errors


def _mb(n: int) -> str:
    return f"{n / 1024 / 1024:.1f} MB"


def _read_csv(sheet: str, data: bytes) -> tuple[pd.DataFrame | None, list[RowError]]:
    """CSV as Excel writes it: UTF-8 with or without a BOM, or Windows-1252."""
    if b"\x00" in data[:65536]:
        return None, [RowError(sheet, None, "", "This is not a text (CSV) file.")]
    if data.startswith(b"\xef\xbb\xbf"):
        text = data[3:].decode("utf-8", errors="replace")
    else:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            try:
                text = data.decode("cp1252")
            except UnicodeDecodeError:
                return None, [RowError(sheet, None, "", (
                    "The file is neither UTF-8 nor Windows-1252 text: save it from Excel as "
                    "'CSV UTF-8'."))]
    if not text.strip():
        return None, [RowError(sheet, None, "", "The file is empty: it needs a header row.")]
    try:
        frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, header=None,
                            skip_blank_lines=True, quoting=csv.QUOTE_MINIMAL)
    except (pd.errors.ParserError, ValueError) as exc:
        return None, [RowError(sheet, None, "", f"The CSV could not be read: {exc}")]
    header = [str(c) for c in frame.iloc[0]]
    frame = frame.iloc[1:].reset_index(drop=True).fillna("")
    frame.columns = range(len(header))
    frame = frame[frame.apply(lambda col: col.str.strip() != "").any(axis=1)]
    # pandas drops fully blank lines; row numbers come from the surviving index.
    rows = _csv_row_numbers(text, len(frame))
    return _shape(sheet, header, frame, rows)


def _csv_row_numbers(text: str, n: int) -> list[int]:
    """The row Excel shows for each non-blank record (a quoted line break stays in one row)."""
    rows = [i for i, record in enumerate(csv.reader(io.StringIO(text)), start=1)
            if i > 1 and any(c.strip() for c in record)]
    if len(rows) != n:  # a file pandas read differently: fall back to plain numbering
        return list(range(2, n + 2))
    return rows


def _read_xlsx(label: str, data: bytes,
               settings: Settings) -> tuple[dict[str, pd.DataFrame], list[RowError]]:
    """Check the zip before unpacking (zip bombs), then read values; refuse formula cells."""
    import openpyxl

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            members = zf.infolist()
            total = sum(m.file_size for m in members)
    except zipfile.BadZipFile:
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
            header: list[str] | None = None
            values: list[list[str]] = []
            rows: list[int] = []
            for r, cells in enumerate(ws.iter_rows(), start=1):
                if header is None:
                    header = [_xlsx_text(c.value) for c in cells]
                    while header and not header[-1]:
                        header.pop()
                    continue
                row = []
                for i, c in enumerate(cells[: len(header)]):
                    if c.data_type == "f":
                        errors.append(RowError(sheet, r, header[i] or f"column {i + 1}", (
                            "This cell holds a formula; replace it with its value "
                            "(Paste Special > Values).")))
                        row.append("")
                    else:
                        row.append(_xlsx_text(c.value))
                row += [""] * (len(header) - len(row))
                if any(row):
                    values.append(row)
                    rows.append(r)
            if header is None:
                errors.append(RowError(sheet, None, "", "The sheet is empty: it needs a header row."))
                continue
            frame = pd.DataFrame(values, columns=range(len(header)), dtype=str)
            shaped, errs = _shape(sheet, header, frame, rows)
            errors += errs
            if shaped is not None:
                sheets[sheet] = shaped
    finally:
        wb.close()
    return sheets, errors


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


def _text_errors(df: pd.DataFrame, sheet: str, columns: Iterable[str],
                 settings: Settings) -> list[RowError]:
    errors = []
    for col in columns:
        limit = settings.max_notes_length if col == "notes" else settings.max_text_length
        lengths = df[col].str.len()
        for row, n in zip(df.loc[lengths > limit, "_row"], lengths[lengths > limit], strict=True):
            errors.append(RowError(sheet, int(row), col,
                                   f"{n} characters is too long; the limit is {limit}."))
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
    manager_of = {p: m for p, m in zip(_values(posts["post_id"]), _values(posts["reports_to"]),
                                         strict=True)
                  if p and m in ids}
    row_of = dict(zip(_values(posts["post_id"]), _values(posts["_row"]), strict=True))
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
            if not r.scp.isdigit():
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
            if value and _money_pence(value) is None:
                errors.append(RowError(sheet, row, col,
                                       f"{value!r} is not an amount in pounds (e.g. 525.50)."))
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
    sheet = "partners"
    errors = _required_errors(partners, sheet, "partners") + _duplicate_errors(partners, sheet, "partner")
    total = 0
    for row, r in zip(_values(partners["_row"].astype(int)), _records(partners),
                      strict=True):
        if r.partner.lower() == "shared":
            errors.append(RowError(sheet, row, "partner",
                                   "'shared' is reserved for posts shared by all partners."))
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
    if len(partners) and total != 10_000:
        errors.append(RowError(sheet, None, "share", (
            f"The shares add up to {total / 100:g}%; they must add up to 100%.")))
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


# --- writing ---------------------------------------------------------------------------------


def baseline(session: Session, *, create: bool = False) -> Structure | None:
    found = session.exec(select(Structure).where(Structure.kind == "baseline")).first()
    if found is None and create:
        found = Structure(name="Current establishment", kind="baseline", status="current",
                          description="The establishment as imported.")
        session.add(found)
        session.flush()
    return found


def import_establishment(*, session: Session, actor: Actor, files: Sequence[tuple[str, bytes]],
                         today: dt.date | None = None) -> ImportSummary:
    """Replace the baseline establishment with the upload, or change nothing and say why."""
    require(actor, "establishment.import", "structure")
    tables, errors = read_upload(files)
    if not errors:
        errors = validate_tables(tables, grades=grade_table(session),
                                 partner_names=partner_names(session),
                                 today=today or dt.date.today())
    if not errors and tables.equality is not None:
        errors = _equality_errors(actor, tables)
    if not errors and session.exec(
            select(Structure.id).where(Structure.kind == "option").limit(1)).first() is not None:
        errors = [RowError("upload", None, "", (
            "Structure options are built on the current establishment; replacing it would "
            "orphan them. Archive or delete the options first."))]
    if errors:
        raise ValidationFailed(errors)
    summary = _write(session, actor, tables, [name for name, _ in files])
    if tables.equality is not None:
        # Same transaction: a failure here rolls the establishment back too.
        from planner.equality import write_equality_sheet

        write_equality_sheet(session=session, actor=actor, frame=tables.equality)
    return summary


def _equality_errors(actor: Actor, tables: Tables) -> list[RowError]:
    """An equality sheet in an establishment upload: checked by planner.equality against the
    upload's people when the actor may edit equality data (hr); refused for anyone else (an
    administrator imports establishments but may not change special-category data)."""
    if not can(actor, "equality.edit"):
        return [RowError("equality", None, "", (
            "The equality sheet holds special-category personal data that only HR may import. "
            "Remove the sheet (or equality.csv) to import the establishment, and ask HR to "
            "upload the equality answers."))]
    from planner.equality import validate_equality_sheet

    assert tables.equality is not None
    people = tables.people
    known = set(people["employee_id"]) if people is not None else set()
    return validate_equality_sheet(tables.equality, known)


def _write(session: Session, actor: Actor, tables: Tables, names: list[str]) -> ImportSummary:
    assert tables.posts is not None
    partners_written = _write_partners(session, actor, tables.partners) if tables.partners is not None else 0
    structure = baseline(session, create=True)
    assert structure is not None and structure.id is not None
    sid = structure.id
    before = _counts(session, sid)
    _clear(session, sid)

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
    t = Post.__table__
    ids = _insert_ids(conn, t, post_rows, "post_ref", t.c.structure_id == sid)
    links = [{"b_id": ids[p], "b_mgr": ids[m]}
             for p, m in zip(_values(posts["post_id"]), _values(posts["reports_to"]), strict=True)
             if m]
    if links:
        conn.execute(update(t).where(t.c.id == bindparam("b_id"))
                     .values(reports_to_id=bindparam("b_mgr")), links)

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
    # employee_ref is unique across the table, so each key read back is the row just written.
    person_ids = _insert_ids(conn, Person.__table__, person_rows, "employee_ref")
    occupancy_rows = [
        {"person_id": person_ids[e], "post_id": ids[p], "fte": Decimal(f or "1")}
        for e, p, f in zip(_values(people["employee_id"]), _values(people["post_id"]),
                           _values(people["fte"]), strict=True)
    ]
    if occupancy_rows:
        conn.execute(insert(Occupancy.__table__), occupancy_rows)

    structure.version += 1
    session.add(structure)
    after = {"posts": len(post_rows), "people": len(person_rows),
             "occupancies": len(occupancy_rows), "partners": partners_written, "files": names}
    audit.record(session, actor=actor, action="import", entity="structure", entity_id=str(sid),
                 before=before, after=after)
    session.flush()
    # People who came by TUPE join their cohort now: a consequence of the import the actor
    # was allowed to make (establishment.import), so it needs no TUPE permission of its own.
    from planner.tupe import sync_after_import

    sync_after_import(session=session, actor=actor)
    return ImportSummary(structure_id=sid, posts=len(post_rows), people=len(person_rows),
                         occupancies=len(occupancy_rows), partners=partners_written)


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


def _clear(session: Session, sid: int) -> None:
    """Remove the old baseline's occupancies, posts and the people left in no post."""
    p, o, pe = Post.__table__, Occupancy.__table__, Person.__table__
    in_structure = sa_select(p.c.id).where(p.c.structure_id == sid)
    session.execute(delete(o).where(o.c.post_id.in_(in_structure)))
    session.execute(update(p).where(p.c.structure_id == sid).values(reports_to_id=None))
    session.execute(delete(p).where(p.c.structure_id == sid))
    leaving = sa_select(pe.c.id).where(~pe.c.id.in_(sa_select(o.c.person_id)))
    # Cohort membership is rebuilt from the new rows by tupe.sync_after_import; the cohorts
    # themselves (keyed by transferor and date) keep their milestones, ELI and measures.
    m = TupeMember.__table__
    session.execute(delete(m).where(m.c.person_id.in_(leaving)))
    session.execute(delete(pe).where(~pe.c.id.in_(sa_select(o.c.person_id))))


def _write_partners(session: Session, actor: Actor, partners: pd.DataFrame) -> int:
    """Add or update the partners named in the upload; others stay (other structures use them)."""
    existing = {p.name.lower(): p for p in session.exec(select(Partner)).all()}
    for r in _records(partners):
        row = existing.get(r.partner.lower()) or Partner(name=r.partner)
        before = audit.jsonable(row.model_dump()) if row.id else None
        row.share_bp = _percent_bp(r.share) or 0
        if r.lgps_employer_rate:
            row.lgps_employer_rate_bp = _percent_bp(r.lgps_employer_rate) or 0
        if r.london_weighting:
            row.london_weighting_pence = _money_pence(r.london_weighting) or 0
        session.add(row)
        session.flush()
        audit.record(session, actor=actor, action="update" if before else "create",
                     entity="partner", entity_id=str(row.id), before=before,
                     after=audit.jsonable(row.model_dump()))
    return len(partners)
