"""Collective consultation (TULRCA 1992 ss.188-193), notice (ERA 1996 s.86) and protective award
(TULRCA s.189) with every expected date and penny worked by hand. Day counting: consultation
beginning on day L allows a first dismissal on L + 30 (or L + 45), never L + 29 (or L + 44)."""

from __future__ import annotations

import datetime as dt

import pytest

from planner import consultation as c

D = dt.date


@pytest.mark.parametrize(
    ("proposed", "applies", "minimum"),
    [
        (0, False, None),
        (19, False, None),  # one short of the s.188(1) trigger: no statutory clock
        (20, True, 30),  # the trigger: 30 days (s.188(1A)(b))
        (99, True, 30),
        (100, True, 45),  # 100 or more: 45 days (s.188(1A)(a))
        (101, True, 45),
    ],
)
def test_trigger_and_minimum_period(proposed: int, applies: bool, minimum: int | None) -> None:
    assert c.s188_applies(proposed) is applies
    assert c.minimum_period_days(proposed) == minimum


@pytest.mark.parametrize(
    ("proposed", "local", "expected"),
    [
        (19, 14, 14),  # below 20 the organisation's own minimum fills the gap
        (1, 14, 14),
        (20, 14, 30),  # from 20 the statute decides; a shorter local figure cannot shorten it
        (100, 14, 45),
    ],
)
def test_local_minimum_only_below_the_trigger(proposed: int, local: int, expected: int) -> None:
    assert c.minimum_period_days(proposed, local_minimum_days=local) == expected
    assert c.s188_applies(proposed) is (proposed >= 20)  # a local minimum is not s.188


def test_negative_counts_are_refused() -> None:
    with pytest.raises(ValueError):
        c.s188_applies(-1)
    with pytest.raises(ValueError):
        c.minimum_period_days(19, local_minimum_days=-1)


@pytest.mark.parametrize(
    ("case", "dates", "expected"),
    [
        ("none", [], 0),
        ("twenty on one day", [D(2026, 1, 1)] * 20, 20),
        # 1 Jan → 31 Mar is 89 days: the 90-day window 1 Jan–31 Mar holds both ends.
        ("ends 89 days apart share a window", [D(2026, 1, 1)] * 10 + [D(2026, 3, 31)] * 10, 20),
        # 1 Jan → 1 Apr is 90 days: no 90-day window holds both.
        ("ends 90 days apart do not", [D(2026, 1, 1)] * 10 + [D(2026, 4, 1)] * 10, 10),
        # The window rolls across quarters: 15 Feb → 10 Apr is 54 days.
        ("across calendar quarters", [D(2026, 2, 15)] * 5 + [D(2026, 4, 10)] * 15, 20),
        # 1 Jan, 1 Mar (+59), 1 May (+61 more, 120 from 1 Jan): any window holds two clusters.
        ("three clusters, unordered",
         [D(2026, 5, 1)] * 10 + [D(2026, 1, 1)] * 10 + [D(2026, 3, 1)] * 10, 20),
        ("nineteen within, one outside", [D(2026, 6, 1)] * 19 + [D(2026, 9, 1)], 19),
    ],
)
def test_dismissals_within_90_days(case: str, dates: list[dt.date], expected: int) -> None:
    assert c.dismissals_within_90_days(dates) == expected


@pytest.mark.parametrize(
    ("proposed", "local", "expected"),
    [
        (25, None, D(2026, 3, 31)),  # 1 Mar + 30
        (99, None, D(2026, 3, 31)),
        (100, None, D(2026, 4, 15)),  # 1 Mar + 45
        (19, None, None),
        (19, 14, D(2026, 3, 15)),  # 1 Mar + 14 under a local agreement
    ],
)
def test_earliest_first_dismissal(proposed: int, local: int | None, expected: dt.date | None) -> None:
    assert c.earliest_first_dismissal(D(2026, 3, 1), proposed, local_minimum_days=local) == expected


LAUNCH = D(2026, 2, 5)


@pytest.mark.parametrize(
    ("case", "proposed", "first", "breach"),
    [
        ("30 days: one day to spare", 25, D(2026, 3, 8), None),
        ("30 days: exactly", 25, D(2026, 3, 7), None),
        ("30 days: one day short", 25, D(2026, 3, 6),
         "First dismissal on 2026-03-06 is 29 days after the consultation began; "
         "for 25 proposed dismissals s.188 requires at least 30."),
        ("the brief's example", 25, D(2026, 3, 1),
         "First dismissal on 2026-03-01 is 24 days after the consultation began; "
         "for 25 proposed dismissals s.188 requires at least 30."),
        ("45 days: one day to spare", 100, D(2026, 3, 23), None),
        ("45 days: exactly", 100, D(2026, 3, 22), None),
        ("45 days: one day short", 100, D(2026, 3, 21),
         "First dismissal on 2026-03-21 is 44 days after the consultation began; "
         "for 100 proposed dismissals s.188 requires at least 45."),
        ("101 is still 45", 101, D(2026, 3, 21),
         "First dismissal on 2026-03-21 is 44 days after the consultation began; "
         "for 101 proposed dismissals s.188 requires at least 45."),
        ("before consultation began", 20, D(2026, 2, 2),
         "First dismissal on 2026-02-02 is 3 days before the consultation began; "
         "for 20 proposed dismissals s.188 requires at least 30."),
        ("19: no statutory clock", 19, D(2026, 2, 6), None),
    ],
)
def test_first_dismissal_against_launch(case: str, proposed: int, first: dt.date,
                                        breach: str | None) -> None:
    plan = c.check_plan(proposed=proposed, launch=LAUNCH, first_dismissal=first)
    assert plan.breaches == ([breach] if breach else [])
    assert plan.lawful is (breach is None)


def test_local_minimum_below_twenty() -> None:
    short = c.check_plan(proposed=12, launch=LAUNCH, first_dismissal=D(2026, 2, 18),
                         local_minimum_days=14)
    assert short.breaches == [
        "First dismissal on 2026-02-18 is 13 days after the consultation began; "
        "for 12 proposed dismissals the local agreement requires at least 14."]
    assert (short.applies, short.minimum_days, short.hr1_deadline) == (False, 14, None)
    assert short.earliest_first_dismissal == D(2026, 2, 19)
    ok = c.check_plan(proposed=12, launch=LAUNCH, first_dismissal=D(2026, 2, 19),
                      local_minimum_days=14)
    assert ok.breaches == []
    off = c.check_plan(proposed=12, launch=LAUNCH, first_dismissal=D(2026, 2, 6))
    assert (off.breaches, off.minimum_days, off.earliest_first_dismissal) == ([], None, None)


@pytest.mark.parametrize(
    ("proposed", "first", "notices", "expected"),
    [
        (25, D(2026, 3, 31), None, D(2026, 3, 1)),  # 30 days before
        (100, D(2026, 4, 15), None, D(2026, 3, 1)),  # 45 days before
        (25, D(2026, 3, 31), D(2026, 2, 20), D(2026, 2, 19)),  # notices earlier: the day before
        (25, D(2026, 3, 31), D(2026, 3, 10), D(2026, 3, 1)),  # notices later: 30 days decides
        (19, D(2026, 3, 31), None, None),  # no HR1 duty below 20
    ],
)
def test_hr1_deadline(proposed: int, first: dt.date, notices: dt.date | None,
                      expected: dt.date | None) -> None:
    assert c.hr1_deadline(proposed=proposed, first_dismissal=first,
                          notices_issued=notices) == expected


@pytest.mark.parametrize(
    ("case", "hr1", "notices", "breach"),
    [
        ("exactly 30 days before", D(2026, 3, 1), None, None),
        ("one day late", D(2026, 3, 2), None,
         "HR1 received on 2026-03-02 is 29 days before the first dismissal on 2026-03-31; "
         "for 25 proposed dismissals s.193 requires at least 30 (by 2026-03-01)."),
        ("after the dismissal", D(2026, 4, 2), None,
         "HR1 received on 2026-04-02 is 2 days after the first dismissal on 2026-03-31; "
         "for 25 proposed dismissals s.193 requires at least 30 (by 2026-03-01)."),
        ("notices the day after HR1", D(2026, 3, 1), D(2026, 3, 2), None),
        ("notices the same day as HR1", D(2026, 3, 1), D(2026, 3, 1),
         "HR1 was received on 2026-03-01, the same day as notices of dismissal were issued on "
         "2026-03-01; s.193 requires HR1 before any notice is given."),
        ("notices before HR1", D(2026, 3, 1), D(2026, 2, 27),
         "HR1 was received on 2026-03-01, after notices of dismissal were issued on 2026-02-27; "
         "s.193 requires HR1 before any notice is given."),
        ("notices with no HR1", None, D(2026, 3, 5),
         "Notices of dismissal were issued on 2026-03-05 but no HR1 has been recorded; s.193 "
         "requires HR1 before any notice is given."),
        ("no HR1 yet, no notices", None, None, None),
    ],
)
def test_hr1_breaches(case: str, hr1: dt.date | None, notices: dt.date | None,
                      breach: str | None) -> None:
    plan = c.check_plan(proposed=25, launch=D(2026, 3, 1), first_dismissal=D(2026, 3, 31),
                        hr1_sent=hr1, notices_issued=notices)
    assert plan.breaches == ([breach] if breach else [])


def test_undecided_first_dismissal_assumes_the_earliest() -> None:
    plan = c.check_plan(proposed=100, launch=D(2026, 3, 1), first_dismissal=None)
    assert plan.earliest_first_dismissal == D(2026, 4, 15)
    assert plan.hr1_deadline == D(2026, 3, 1)  # HR1 by launch day for the earliest dismissal
    assert plan.breaches == []
    assert plan.as_dict()["hr1_deadline"] == "2026-03-01"


def test_several_breaches_reported_together() -> None:
    plan = c.check_plan(proposed=30, launch=D(2026, 3, 1), first_dismissal=D(2026, 3, 20),
                        hr1_sent=D(2026, 3, 10), notices_issued=D(2026, 3, 5))
    assert len(plan.breaches) == 3
    assert [b.split(" ")[0] for b in plan.breaches] == ["First", "HR1", "HR1"]


@pytest.mark.parametrize(
    ("case", "start", "end", "weeks"),
    [
        ("a day short of one month", D(2025, 1, 15), D(2025, 2, 13), 0),
        ("one month", D(2025, 1, 15), D(2025, 2, 14), 1),
        ("31 Jan start, month complete on 28 Feb (leap)", D(2024, 1, 31), D(2024, 2, 28), 1),
        ("one year", D(2024, 3, 1), D(2025, 2, 28), 1),
        ("a day short of two years", D(2020, 3, 1), D(2022, 2, 27), 1),
        ("two years", D(2020, 3, 1), D(2022, 2, 28), 2),
        ("a day short of eleven years", D(2010, 6, 1), D(2021, 5, 30), 10),
        ("eleven years", D(2010, 6, 1), D(2021, 5, 31), 11),
        ("a day short of twelve years", D(2010, 6, 1), D(2022, 5, 30), 11),
        ("twelve years", D(2010, 6, 1), D(2022, 5, 31), 12),
        ("twenty years: capped at 12", D(2000, 6, 1), D(2020, 5, 31), 12),
        ("end before start", D(2025, 1, 15), D(2025, 1, 1), 0),
    ],
)
def test_statutory_notice_weeks(case: str, start: dt.date, end: dt.date, weeks: int) -> None:
    assert c.statutory_notice_weeks(start, end) == weeks


def test_complete_years_leap_day_start() -> None:
    # Anniversary of 29 Feb is 28 Feb in a common year, so the year is complete on 27 Feb.
    assert c.complete_years(D(2020, 2, 29), D(2021, 2, 26)) == 0
    assert c.complete_years(D(2020, 2, 29), D(2021, 2, 27)) == 1
    assert c.complete_years(D(2020, 2, 29), D(2024, 2, 28)) == 4


@pytest.mark.parametrize(
    ("dismissal", "weeks", "expected"),
    [
        (D(2026, 3, 31), 0, D(2026, 3, 31)),
        (D(2026, 3, 31), 1, D(2026, 3, 24)),  # given Tuesday 24th, expires Tuesday 31st
        (D(2026, 3, 31), 4, D(2026, 3, 3)),
        (D(2026, 3, 31), 12, D(2026, 1, 6)),  # 84 days
    ],
)
def test_latest_notice_date(dismissal: dt.date, weeks: int, expected: dt.date) -> None:
    assert c.latest_notice_date(dismissal, weeks) == expected


def test_latest_notice_date_refuses_negative_weeks() -> None:
    with pytest.raises(ValueError):
        c.latest_notice_date(D(2026, 3, 31), -1)


@pytest.mark.parametrize(
    ("case", "people", "weekly", "days", "cap", "expected"),
    [
        # £700 × 90/7 = £9,000 exactly; × 25 people = £225,000.
        ("£700 a week, 90 days, 25 people", 25, 70_000, 90, None, 22_500_000),
        # 71,900 × 90 / 7 = 924,428.57… → 924,429 per person.
        ("£719 a week, 90 days, one person", 1, 71_900, 90, None, 924_429),
        ("£719 a week, 90 days, three people", 3, 71_900, 90, None, 2_773_287),
        # Rounded per person, then multiplied: not 3 × 924,428.57 = 2,773,285.71 → 2,773,286.
        # Insolvency: £1,000 a week capped at £751: 75,100 × 90 / 7 = 965,571.43 → 965,571.
        ("capped at £751 (NI Fund)", 1, 100_000, 90, 75_100, 965_571),
        ("cap above pay changes nothing", 1, 70_000, 90, 75_100, 900_000),
        # 180 days once the Employment Rights Act 2025 s.30 commences: £700 × 180/7 = £18,000.
        ("180 days", 1, 70_000, 180, None, 1_800_000),
        ("one week", 2, 70_000, 7, None, 140_000),
        ("no days", 10, 70_000, 0, None, 0),
    ],
)
def test_protective_award_exposure(case: str, people: int, weekly: int, days: int,
                                   cap: int | None, expected: int) -> None:
    assert c.protective_award_exposure(people=people, weekly_pay_pence=weekly, days=days,
                                       weekly_cap_pence=cap) == expected


def test_protective_award_refuses_negative_figures() -> None:
    with pytest.raises(ValueError):
        c.protective_award_exposure(people=-1, weekly_pay_pence=70_000)
    with pytest.raises(ValueError):
        c.protective_award_exposure(people=1, weekly_pay_pence=70_000, weekly_cap_pence=-1)


def test_protective_award_max_days_is_dated() -> None:
    assert c.protective_award_max_days(D(2026, 11, 27)) == 90
    # A hypothetical commencement date: the schedule, not the code, carries the change.
    schedule = (*c.PROTECTIVE_AWARD_MAX_DAYS, (D(2027, 4, 6), 180))
    assert c.protective_award_max_days(D(2027, 4, 5), schedule) == 90
    assert c.protective_award_max_days(D(2027, 4, 6), schedule) == 180
    with pytest.raises(ValueError):
        c.protective_award_max_days(D(2026, 1, 1), ((D(2027, 4, 6), 180),))
