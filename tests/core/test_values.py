"""Cell values read one way everywhere (planner.core.values)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from planner.core.values import as_date, is_blank, long_date

DAY = dt.date(2027, 3, 1)


@pytest.mark.parametrize(("value", "expected"), [
    (None, None), (float("nan"), None), (np.nan, None), (pd.NaT, None), (pd.NA, None),
    ("", None), ("   ", None),
    (DAY, DAY), (dt.datetime(2027, 3, 1, 17, 30), DAY), (pd.Timestamp("2027-03-01"), DAY),
    ("2027-03-01", DAY), ("2027-03-01T00:00:00", DAY), (" 2027-03-01 ", DAY),
])
def test_as_date(value, expected):
    """Catches: a blank editor cell (NaN, NaT, "") read as a date or raising, or a Timestamp
    kept as a datetime so that a date comparison fails."""
    assert as_date(value) == expected
    assert as_date(value) is None or type(as_date(value)) is dt.date


@pytest.mark.parametrize("value", ["01/03/2027", "next week", "2027-13-01"])
def test_text_that_is_not_a_date_is_an_error_not_a_blank(value):
    """Catches: a typed value silently dropped (read as blank) instead of refused."""
    with pytest.raises(ValueError):
        as_date(value)


def test_is_blank_keeps_zero_and_false():
    """Catches: 0 or False (real values) treated as empty cells."""
    assert not is_blank(0) and not is_blank(False) and not is_blank("x")


@pytest.mark.parametrize(("day", "blank", "text"), [
    (dt.date(2027, 2, 1), "—", "1 Feb 2027"),
    (dt.date(2026, 12, 31), "—", "31 Dec 2026"),
    (dt.datetime(2027, 3, 5, 14, 30), "—", "5 Mar 2027"),
    (pd.Timestamp("2027-09-09"), "—", "9 Sep 2027"),
    (None, "—", "—"),
    (pd.NaT, "not set", "not set"),
    (None, "", ""),
])
def test_long_date_is_the_one_way_a_person_reads_a_date(day, blank, text):
    """Catches: a zero-padded, ISO, American or full-month date, or "None"/"NaT" for none."""
    assert long_date(day, blank) == text
