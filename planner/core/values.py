"""Cell values as Python values: what a frame or an editor hands back, read one way everywhere.

pandas gives a blank date as None, NaN or NaT, and a date as a Timestamp; Streamlit's editors
send dates back as ISO text. Every reader of such a cell goes through `as_date`, so a blank
is always None and a date is always a `datetime.date` (DESIGN.md: "Dates are dates").
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pandas as pd

# An FTE column (NUMERIC(6,4)) read as whole ten-thousandths: 0.5 FTE = 5_000.
FTE_UNITS = 10_000


def is_blank(value: Any) -> bool:
    """None, NaN, NaT, pandas' NA or empty text: a cell with nothing in it."""
    if value is None or value is pd.NaT or value is pd.NA:
        return True
    if isinstance(value, float):
        return value != value
    return isinstance(value, str) and not value.strip()


def as_date(value: Any) -> dt.date | None:
    """A cell as a date: blank → None; Timestamp or datetime → its date; ISO text
    (YYYY-MM-DD, a time part ignored) → that date. Other text raises ValueError rather than
    dropping what someone typed."""
    if is_blank(value):
        return None
    if isinstance(value, pd.Timestamp | dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value).strip()[:10])


def long_date(day: dt.date | dt.datetime | None, blank: str = "—") -> str:
    """A date as a person reads it, the one way every page, message and document writes one:
    2027-02-01 → '1 Feb 2027'; None → `blank`. Machine formats (CSV, xlsx, JSON, the audit
    record itself) keep ISO dates."""
    if is_blank(day):
        return blank
    return f"{day.day} {day:%b %Y}"  # type: ignore[union-attr]


def decimal_text(value: Any) -> str:
    """A number as people write it: 1, 0.5, 550.25 (no exponent, no trailing zeros), exactly."""
    return format(Decimal(str(value)).normalize(), "f")
