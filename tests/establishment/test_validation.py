"""The people sheet's date checks, found column by column, against the row-by-row check they
replaced: the same errors, with the same messages, at the same rows and columns, in the same
order, on hostile dates (issue 16)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from planner.core.errors import RowError
from planner.core.values import long_date
from planner.establishment.readers import PEOPLE_COLUMNS
from planner.establishment.validation import (
    DATE_COLUMNS,
    parse_date,
    parse_dates,
    validate_people,
)

TODAY = dt.date(2026, 4, 1)

HOSTILE = [
    "", " ", "  ", "2020-01-01", " 2020-01-01 ", "\t2020-01-01\n", "2020-02-30", "2020-02-29",
    "2021-02-29", "29/02/2020", "29/02/2021", "1/2/1990", "01/02/1990", "31/04/1990",
    "01/02/90", "1990/02/01", "19900201", "2020-W01-1", "2020-W01-1xxxxxxxxx",
    "2020-01-01T00:00:00", "2020-01-01 12:34:56", "2020-01-01x", "0000-01-01",
    "0001-01-01", "9999-12-31", "31/12/9999", "00/00/0000", "١٢/٠٣/١٩٩٠", "१२/०३/१९९०",
    "nan", "NaT", "None", "2026-04-01", "2026-04-02", "2030-01-01", "1600-06-15",
    "2300-06-15", "1985-07-14", "14/07/1985", "1985-07-15", "2001-09-01", "2001-08-31",
    "2010-01-01", "01/01/2010",
]


def reference_date_errors(people: pd.DataFrame, today: dt.date) -> list[RowError]:
    """The check as it was, row by row: every date parsed, then compared, in this order."""
    errors = []
    for record in people.to_dict("records"):
        row = int(record["_row"])
        dates = {}
        for col in DATE_COLUMNS:
            value = record[col]
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


def people_with_dates(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        row = {c: "" for c in PEOPLE_COLUMNS}
        row.update(employee_id=f"E{i}", name=f"Person {i}", post_id="P1", contract="interim",
                   fte="0.0001")
        for col in DATE_COLUMNS:
            row[col] = HOSTILE[rng.integers(len(HOSTILE))]
        rows.append(row)
    frame = pd.DataFrame(rows, columns=list(PEOPLE_COLUMNS), dtype=str)
    return frame.assign(_row=range(2, n + 2))


def date_errors(errors: list[RowError]) -> list[RowError]:
    return [e for e in errors if e.column in DATE_COLUMNS]


def test_date_errors_match_the_row_by_row_check_on_hostile_dates():
    posts = pd.DataFrame([{"post_id": "P1", "grade": "SO1", "fte": "1", "_row": 2}], dtype=str)
    people = people_with_dates(3000, seed=16)
    expected = reference_date_errors(people, TODAY)
    assert len(expected) > 1000  # the hostile set does reach every rule
    assert {e.message.split(" ")[0] for e in expected} >= {"Date", "Continuous", "start_date"}
    got = date_errors(validate_people(people, posts, grades={}, today=TODAY))
    assert got == expected


def test_every_hostile_pair_of_birth_and_start_dates():
    """Each date of birth against each start date, in both columns' roles."""
    pairs = [(b, s) for b in HOSTILE for s in HOSTILE]
    rows = []
    for i, (birth, start) in enumerate(pairs):
        row = {c: "" for c in PEOPLE_COLUMNS}
        row.update(employee_id=f"E{i}", name="x", post_id="P1", contract="agency",
                   date_of_birth=birth, start_date=start, continuous_service_date=birth,
                   tupe_transfer_date=start)
        rows.append(row)
    people = pd.DataFrame(rows, columns=list(PEOPLE_COLUMNS), dtype=str)
    people = people.assign(_row=range(2, len(people) + 2))
    posts = pd.DataFrame([{"post_id": "P1", "grade": "SO1", "fte": "1", "_row": 2}], dtype=str)
    got = date_errors(validate_people(people, posts, grades={}, today=TODAY))
    assert got == reference_date_errors(people, TODAY)


def test_parse_dates_is_parse_date_of_each_value():
    values = HOSTILE * 3
    assert parse_dates(values) == [parse_date(v) if v else None for v in values]
