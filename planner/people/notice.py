"""Individual notice (ERA 1996 s.86, DOMAIN.md §4): complete years of service, statutory
notice weeks, and the latest day notice can be given for a dismissal to take effect on a date.

Pure date arithmetic. Consultation (the latest notice dates of people at risk) and exit costs
(notice pay) both use it, so it lives on the people floor, below legal.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

if TYPE_CHECKING:

    pass


def _add_years(day: dt.date, years: int) -> dt.date:
    """The anniversary; 29 February falls back to 28 February in a common year."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def _add_months(day: dt.date, months: int) -> dt.date:
    """The same day `months` later, clamped to the month's last day (31 Jan + 1 → 28/29 Feb)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    for d in (day.day, 30, 29, 28):
        try:
            return dt.date(year, month, d)
        except ValueError:
            continue
    raise AssertionError("unreachable: every month has 28 days")


def complete_years(start: dt.date, end: dt.date) -> int:
    """Complete years of continuous employment from `start` to `end`, both days counted.

    ERA 1996 s.211(1): the period begins with the day the employee starts work and ends with
    the day by reference to which it is measured; s.210(3): lengths are counted in months and
    years of twelve months. So a year is complete once `end` reaches the day before the
    anniversary: start 2020-03-01, end 2021-02-28 is one complete year. A start on 29 February
    has its anniversary on 28 February in a common year (and a start on the 31st its monthly
    one on the month's last day): the earlier reading, which never understates service.
    """
    if end < start:
        return 0
    after = end + dt.timedelta(days=1)
    years = after.year - start.year
    while years > 0 and _add_years(start, years) > after:
        years -= 1
    return years


def _complete_months(start: dt.date, end: dt.date) -> int:
    """Complete months, counted as `complete_years` counts years (ERA 1996 ss.210-211)."""
    if end < start:
        return 0
    after = end + dt.timedelta(days=1)
    months = (after.year - start.year) * 12 + after.month - start.month
    while months > 0 and _add_months(start, months) > after:
        months -= 1
    return months


def statutory_notice_weeks(start: dt.date, end: dt.date) -> int:
    """The minimum notice an employer must give, in weeks: ERA 1996 s.86(1).

    Nothing under one month's continuous employment; one week from one month to under two
    years; one week per complete year from two years; at most 12 weeks (12 years or more).
    `start` is the continuous service date (service transferred under TUPE reg 4 counts);
    `end` is the day notice is given, because s.86(1) looks at the service of the employee at
    the time notice is given. Contractual notice may be longer (councils often set it by grade).
    """
    if _complete_months(start, end) < 1:
        return 0
    years = complete_years(start, end)
    if years < 2:
        return 1
    return min(years, 12)


def latest_notice_date(dismissal: dt.date, weeks: int) -> dt.date:
    """The last day notice of `weeks` weeks can be given for employment to end on `dismissal`.

    Notice runs from the day after it is given (West v Kneels Ltd [1987] ICR 146), so one
    week's notice given on a Monday expires on the following Monday: ``dismissal - 7 × weeks``
    days. Use the notice weeks from ERA 1996 s.86 or the contract, whichever is longer.
    """
    if weeks < 0:
        raise ValueError(f"Notice cannot be a negative number of weeks ({weeks}).")
    return dismissal - dt.timedelta(weeks=weeks)
