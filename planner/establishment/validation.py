"""Checking the sheets of an upload: every rule of the interchange format (DESIGN.md
"Interchange format"), returning every problem as a RowError (sheet, row, column, message), so
that HR can fix the whole spreadsheet in one pass. Pure functions over the text tables of
planner.establishment.readers, plus the value parsers (FTE, money in pence, UK dates) that
the import writes with.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

import numpy as np
import pandas as pd

from planner.core.config import Settings, get_settings
from planner.core.errors import RowError
from planner.core.models import (
    CONTRACTS,
    FUNDING,
    Person,
    Post,
)
from planner.core.values import decimal_text, long_date
from planner.establishment.readers import (
    POST_COLUMNS,
    REQUIRED,
    Tables,
)
from planner.establishment.reference import GradeBand

PARTNER_KINDS = ("council", "customer")


HOST_YES = ("yes", "y", "true", "1")


HOST_NO = ("no", "n", "false", "0")


DATE_COLUMNS = ("start_date", "continuous_service_date", "date_of_birth", "tupe_transfer_date")


# A day rate belongs to a worker supplied by someone else; an employee is paid on the spine.
DAY_RATE_REFUSED = ("permanent", "fixed_term")


MAX_FTE = Decimal(1)  # a post is one job; a team of five is five posts


def _fte(value: str) -> Decimal | None:
    try:
        d = Decimal(value)
    except InvalidOperation:
        return None
    if not d.is_finite() or d.as_tuple().exponent < -4:  # type: ignore[operator]
        return None
    return d


def money_pence(value: str) -> int | None:
    try:
        d = Decimal(value.replace(",", "").replace("£", "").strip())
    except InvalidOperation:
        return None
    if not d.is_finite() or d < 0 or d.as_tuple().exponent < -2:  # type: ignore[operator]
        return None
    return int(d * 100)


def percent_bp(value: str) -> int | None:
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


def parse_dates(values: Sequence[str]) -> list[dt.date | None]:
    """`parse_date` of each value ('' and unreadable values give None), each distinct value
    parsed once: a column of 50,000 dates holds far fewer distinct ones."""
    parsed = {v: parse_date(v) for v in set(values) if v}
    return [parsed.get(v) for v in values]


def row_records(df: pd.DataFrame) -> Iterable[Any]:
    """`itertuples` over plain Python values: walking pandas' Arrow-backed str columns one cell
    at a time is ~15x slower than converting them to objects first (pandas 3)."""
    return df.astype(object).itertuples(index=False)


def column_values(s: pd.Series) -> list[Any]:
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
    ids = set(column_values(posts["post_id"]))
    for row, r in zip(column_values(posts["_row"].astype(int)), row_records(posts), strict=True):
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
    manager_of = {p: m for p, m in zip(column_values(first["post_id"]), column_values(first["reports_to"]),
                                         strict=True)
                  if p and m in ids}
    row_of = dict(zip(column_values(first["post_id"]), column_values(first["_row"]), strict=True))
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
    post_grade = dict(zip(column_values(posts["post_id"]), column_values(posts["grade"]), strict=True))
    occupied: dict[str, list[tuple[str, Decimal]]] = {}
    dated = _rows_with_date_errors(people, today)
    for i, (row, r) in enumerate(zip(column_values(people["_row"].astype(int)),
                                     row_records(people), strict=True)):
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
            pence = money_pence(value) if value else 0
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
        if i in dated:
            errors += _date_errors(r, int(row), today)
    post_fte = dict(zip(column_values(posts["post_id"]), column_values(posts["fte"]), strict=True))
    post_row = dict(zip(column_values(posts["post_id"]), column_values(posts["_row"]), strict=True))
    for post_id, occupants in occupied.items():
        total = sum((f for _, f in occupants), Decimal(0))
        limit = _fte(post_fte.get(post_id) or "1")
        if limit is not None and total > limit:
            who = ", ".join(f"{e} {decimal_text(f)}" for e, f in occupants)
            errors.append(RowError("posts", int(post_row[post_id]), "fte", (
                f"The occupants of {post_id} work {decimal_text(total)} FTE ({who}), more than "
                f"the post's {decimal_text(limit)} FTE.")))
    return errors


def _rows_with_date_errors(people: pd.DataFrame, today: dt.date) -> set[int]:
    """The positions of the rows `_date_errors` has something to say about, found column by
    column (each distinct value parsed once, the comparisons on day numbers): the rows found
    are then described by `_date_errors` itself, so the messages and their order are the
    row-by-row check's own. Blank is 0, a value that is not a date -1, else its ordinal."""
    day = {}
    for col in DATE_COLUMNS:
        values = column_values(people[col])
        parsed = {v: d.toordinal() if (d := parse_date(v)) is not None else -1
                  for v in set(values) if v}
        day[col] = np.fromiter((parsed.get(v, 0) for v in values), dtype=np.int64,
                               count=len(values))
    flagged = np.zeros(len(people), dtype=bool)
    for col in DATE_COLUMNS:
        flagged |= day[col] == -1
    birth = day["date_of_birth"]
    born = birth > 0
    flagged |= born & (birth > today.toordinal())
    for col in ("start_date", "continuous_service_date", "tupe_transfer_date"):
        flagged |= born & (day[col] > 0) & (day[col] <= birth)
    start, cont = day["start_date"], day["continuous_service_date"]
    flagged |= (start > 0) & (cont > 0) & (cont > start)
    return {int(i) for i in np.flatnonzero(flagged)}


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
    for row, r in zip(column_values(partners["_row"].astype(int)), row_records(partners),
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
            if value and percent_bp(value) is None:
                errors.append(RowError(sheet, row, col,
                                       f"{value!r} is not a percentage between 0 and 100."))
        if r.share and (bp := percent_bp(r.share)) is not None:
            total += bp
        if r.london_weighting and money_pence(r.london_weighting) is None:
            errors.append(RowError(sheet, row, "london_weighting",
                                   f"{r.london_weighting!r} is not an amount in pounds."))
    for row, name in hosts[1:]:
        errors.append(RowError(sheet, row, "host", (
            f"{name} is marked as host, but so is {hosts[0][1]}: exactly one council hosts "
            "the service.")))
    flags = [h.strip().lower() for h in column_values(partners["host"])]
    if len(partners) and not hosts and flags and all(f in HOST_NO for f in flags):
        errors.append(RowError(sheet, None, "host", (
            "No partner is marked as host: mark the council that employs the service's staff "
            "host = yes.")))
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
