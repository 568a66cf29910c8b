"""Exit costs: hand-computed cases (ERA 1996 s.162 / s.86, SI 2006/2914, LGPS strain)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from planner.people.exit_costs import (
    TAX_FREE_PENCE,
    ExitPolicy,
    exit_costs_frame,
    notice_pay_pence,
    statutory_redundancy,
    strain_estimate_pence,
    strain_liable,
    week_pay_from_annual,
)
from planner.people.notice import statutory_notice_weeks

D = date
# (id, dob, start, relevant, week pay, kwargs, years, weeks, statutory, discretionary)
CASES = [
    # birthday on relevant date: age 45, 10 yrs; ages 44..41 x1.5=6, 40..35 x1=6 -> 12 x 71900
    ("birthday", D(1980, 6, 1), D(2015, 6, 1), D(2025, 6, 1), 100_000, {}, 10, "12", 862_800, 0),
    # day before: age 44, 9 yrs (from 2 Jun 2015, the 10th completes on 1 Jun 2025); 43,42,41
    # x1.5=4.5, 40..35 x1=6 -> 10.5 x 71900 = 754950
    ("day before", D(1980, 6, 1), D(2015, 6, 2), D(2025, 5, 31), 100_000, {}, 9, "10.5",
     754_950, 0),
    # ERA s.211, both days counted: 1 Jun 2015 to 31 May 2025 is 10 complete years; age 44:
    # 43,42,41 x1.5=4.5, 40..34 x1=7 -> 11.5 x 71900 = 826850
    ("s.211 last day", D(1980, 6, 1), D(2015, 6, 1), D(2025, 5, 31), 100_000, {}, 10, "11.5",
     826_850, 0),
    # 20-year cap: age 65, 35 yrs -> 20 x 1.5 = 30 weeks x 71900 = 2157000 (the £21,570 max)
    ("20 cap", D(1960, 1, 1), D(1990, 1, 1), D(2025, 7, 1), 100_000, {}, 20, "30",
     2_157_000, 0),
    # one day short of 2 years (3 Jul 2023 to 1 Jul 2025, both days counted): nothing
    ("under 2", D(2000, 1, 1), D(2023, 7, 3), D(2025, 7, 1), 50_000, {}, 0, "0", 0, 0),
    # 2 Jul 2023 to 1 Jul 2025 is 2 complete years (s.211): ages 24, 23 x1 = 2 weeks
    ("2 by s.211", D(2000, 1, 1), D(2023, 7, 2), D(2025, 7, 1), 50_000, {}, 2, "2", 100_000, 0),
    # exactly 2 years, age 25: ages 24, 23 x1 = 2 weeks x 50000
    ("exactly 2", D(2000, 1, 1), D(2023, 7, 1), D(2025, 7, 1), 50_000, {}, 2, "2", 100_000, 0),
    # 29 Feb dob: on 28 Feb 2026 still 41 (turns 42 on 1 Mar), service 10 yrs (from 2 Mar 2015
    # the 11th completes on 1 Mar 2026); ages 40..31 x1 = 10 weeks x 71900 = 719000
    ("29 Feb before", D(1984, 2, 29), D(2015, 3, 2), D(2026, 2, 28), 80_000, {}, 10, "10",
     719_000, 0),
    # on 1 Mar 2026 reaches 42, 11 yrs: 41 x1.5 + 40..31 x1 = 11.5 x 71900 = 826850
    ("29 Feb after", D(1984, 2, 29), D(2015, 3, 2), D(2026, 3, 1), 80_000, {}, 11, "11.5",
     826_850, 0),
    # cap either side of 6 Apr 2025: age 55, 5 yrs (54..50 x1.5 = 7.5 weeks)
    ("cap 2024", D(1970, 1, 1), D(2020, 1, 1), D(2025, 4, 5), 100_000, {}, 5, "7.5",
     525_000, 0),  # 7.5 x 70000
    ("cap 2025", D(1970, 1, 1), D(2020, 1, 1), D(2025, 4, 6), 100_000, {}, 5, "7.5",
     539_250, 0),  # 7.5 x 71900
    # either side of 6 Apr 2026: age 56, 6 yrs x1.5 = 9 weeks
    ("cap 2025b", D(1970, 1, 1), D(2020, 1, 1), D(2026, 4, 5), 100_000, {}, 6, "9",
     647_100, 0),  # 9 x 71900
    ("cap 2026", D(1970, 1, 1), D(2020, 1, 1), D(2026, 4, 6), 100_000, {}, 6, "9",
     675_900, 0),  # 9 x 75100
    # reg 5 actual pay: 7.5 x 100000 = 750000 in total; 750000 - 539250 = 210750
    ("actual pay", D(1970, 1, 1), D(2020, 1, 1), D(2025, 6, 1), 100_000, {"actual_pay": True},
     5, "7.5", 539_250, 210_750),
    # reg 6 multiplier 2: 15 x 71900 = 1078500; above statutory 539250
    ("x2", D(1970, 1, 1), D(2020, 1, 1), D(2025, 6, 1), 100_000,
     {"multiplier": Decimal(2)}, 5, "7.5", 539_250, 539_250),
    # multiplier 1.5: 11.25 x 71900 = 808875; 808875 - 539250 = 269625
    ("x1.5", D(1970, 1, 1), D(2020, 1, 1), D(2025, 6, 1), 100_000,
     {"multiplier": Decimal("1.5")}, 5, "7.5", 539_250, 269_625),
    # half-penny rounds up: 7.5 x 33333 = 249997.5 -> 249998
    ("half penny", D(1970, 1, 1), D(2020, 1, 1), D(2025, 6, 1), 33_333, {}, 5, "7.5",
     249_998, 0),
    # 104-week limit: 30 x 4 = 120 -> 104 x 100000 actual = 10400000; minus 2157000 = 8243000
    ("104 limit", D(1960, 1, 1), D(1990, 1, 1), D(2025, 7, 1), 100_000,
     {"actual_pay": True, "multiplier": Decimal(4)}, 20, "30", 2_157_000, 8_243_000),
    # council limit 50: 30 x 2 = 60 -> 50 x 71900 = 3595000; minus 2157000 = 1438000
    ("50 limit", D(1960, 1, 1), D(1990, 1, 1), D(2025, 7, 1), 100_000,
     {"multiplier": Decimal(2), "max_weeks": Decimal(50)}, 20, "30", 2_157_000, 1_438_000),
    # turned 22 mid-service (1 Sep 2022): age 24, 6 yrs; 23, 22 x1 = 2; 21..18 x0.5 = 2 -> 4
    ("22 mid", D(2000, 9, 1), D(2018, 9, 1), D(2025, 6, 1), 40_000, {}, 6, "4", 160_000, 0),
    # turned 41 mid-service (1 Sep 2023): age 42, 5 yrs; 41 x1.5, 40..37 x1 -> 5.5 x 60000
    ("41 mid", D(1982, 9, 1), D(2020, 6, 1), D(2025, 6, 1), 60_000, {}, 5, "5.5", 330_000, 0),
]


@pytest.mark.parametrize(
    "dob,start,relevant,week,kw,years,weeks,statutory,discretionary",
    [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_statutory_redundancy(dob, start, relevant, week, kw, years, weeks, statutory,
                              discretionary):
    r = statutory_redundancy(date_of_birth=dob, start=start, relevant=relevant,
                             week_pay_pence=week, **kw)
    assert r.years == years
    assert r.weeks == Decimal(weeks)
    assert r.statutory_pence == statutory
    assert r.discretionary_pence == discretionary
    assert r.total_pence == statutory + discretionary


def test_cap_before_supported_dates_raises():
    with pytest.raises(ValueError, match="2023-04-06"):
        statutory_redundancy(date_of_birth=D(1970, 1, 1), start=D(2000, 1, 1),
                             relevant=D(2023, 4, 5), week_pay_pence=50_000)
    # 6 Apr 2023: £643; age 53, 20 of 23 yrs: ages 52..41 x1.5 = 18, 40..33 x1 = 8 -> 26 x 64300
    r = statutory_redundancy(date_of_birth=D(1970, 1, 1), start=D(2000, 1, 1),
                             relevant=D(2023, 4, 6), week_pay_pence=90_000)
    assert r.statutory_pence == 1_671_800


@pytest.mark.parametrize("start,relevant,weeks", [
    # ERA ss.210-211: the first day and the last both count.
    (D(2025, 1, 31), D(2025, 2, 26), 0),  # under a month
    (D(2025, 1, 31), D(2025, 2, 27), 1),  # a month from the 31st: complete the day before 28 Feb
    (D(2024, 1, 1), D(2025, 12, 30), 1),  # 1 complete year only: still 1 week
    (D(2024, 1, 1), D(2025, 12, 31), 2),  # 2 complete years, both days counted
    (D(2024, 1, 1), D(2026, 1, 1), 2),  # 2 complete years
    (D(2019, 1, 1), D(2026, 1, 1), 7),
    (D(1990, 1, 1), D(2026, 1, 1), 12),  # at most 12
])
def test_statutory_notice(start, relevant, weeks):
    assert statutory_notice_weeks(start, relevant) == weeks


def test_notice_pay_and_week_pay():
    assert notice_pay_pence(33_333, 3) == 99_999
    assert week_pay_from_annual(2_600_026) == 50_001  # 50000.5 -> half up
    assert week_pay_from_annual(2_600_025) == 50_000  # 50000.48


def test_strain():
    assert strain_liable(D(1970, 6, 1), D(2023, 6, 1), D(2025, 6, 1))  # 55, 2 yrs
    assert not strain_liable(D(1970, 6, 1), D(2023, 6, 1), D(2025, 5, 31))  # 54
    assert strain_liable(D(1970, 6, 1), D(2023, 6, 2), D(2025, 6, 1))  # 2 yrs, both days in
    assert not strain_liable(D(1970, 6, 1), D(2023, 6, 3), D(2025, 6, 1))  # 1 yr membership
    assert strain_estimate_pence(3_000_001, Decimal("1.5")) == 4_500_002  # 4500001.5 up


def test_tax_free_note():
    assert TAX_FREE_PENCE == 3_000_000  # £30,000: noted, not computed


def _people(rows):
    return pd.DataFrame(rows, columns=[
        "employee_id", "date_of_birth", "continuous_service_date", "annual_salary_pence",
        "notice_worked", "lgps_member", "strain_fund_pence"]).astype(
        {"strain_fund_pence": "Int64"})


def test_frame_hand_case():
    people = _people([
        # 55, 5 yrs, 5,200,000/52 = 100000/week: 7.5 x 71900 = 539250; PILON 5 x 100000;
        # liable, estimate 5,200,000 x 2 = 10,400,000
        (1, D(1970, 1, 1), D(2020, 1, 1), 5_200_000, False, True, None),
        # same but fund figure entered (wins) and notice worked
        (2, D(1970, 1, 1), D(2020, 1, 1), 5_200_000, True, True, 123_456),
        # not a member: not liable, no strain
        (3, D(1970, 1, 1), D(2020, 1, 1), 5_200_000, True, False, None),
    ])
    out = exit_costs_frame(people, relevant=D(2025, 6, 1),
                           policy=ExitPolicy(strain_multiple=Decimal(2)))
    assert out["statutory_pence"].tolist() == [539_250] * 3
    assert out["notice_pence"].tolist() == [500_000, 0, 0]
    assert out["strain_liable"].tolist() == [True, True, False]
    assert out["strain_pence"].tolist() == [10_400_000, 123_456, 0]
    assert out["strain_is_estimate"].tolist() == [True, False, False]
    assert out["total_pence"].tolist() == [539_250 + 500_000 + 10_400_000,
                                           539_250 + 123_456, 539_250]
    assert out["total_pence"].dtype == "int64"


_day = st.integers(0, 365 * 60)


@settings(max_examples=25, deadline=None)
@given(
    rows=st.lists(st.tuples(st.integers(16, 70), _day, st.integers(0, 20_000_000),
                            st.booleans(), st.booleans()), min_size=10, max_size=20),
    relevant=st.dates(D(2023, 4, 6), D(2027, 12, 31)),
    actual=st.booleans(),
    mult=st.sampled_from([Decimal(1), Decimal("1.5"), Decimal("2.25"), Decimal(4)]),
    max_weeks=st.sampled_from([Decimal(104), Decimal(50), Decimal("66.5")]),
)
def test_frame_matches_scalar(rows, relevant, actual, mult, max_weeks):
    people = []
    for i, (age_years, dob_off, salary, worked, member) in enumerate(rows):
        dob = relevant - timedelta(days=age_years * 365 + dob_off % 365)
        start = max(dob + timedelta(days=16 * 365), relevant - timedelta(days=dob_off))
        people.append((i, dob, start, salary, worked, member, None))
    people.append((len(people), D(1968, 2, 29), D(2000, 3, 1), 4_000_000, False, True, None))
    people.append((len(people), D(1984, 2, 29), D(2004, 2, 29), 2_000_033, False, True, None))
    policy = ExitPolicy(actual_pay=actual, multiplier=mult, max_weeks=max_weeks,
                        strain_multiple=Decimal("1.75"))
    out = exit_costs_frame(_people(people), relevant=relevant, policy=policy)
    for (_i, dob, start, salary, worked, member, _), row in zip(people, out.itertuples(),
                                                                 strict=True):
        week = week_pay_from_annual(salary)
        r = statutory_redundancy(date_of_birth=dob, start=start, relevant=relevant,
                                 week_pay_pence=week, actual_pay=actual, multiplier=mult,
                                 max_weeks=max_weeks)
        assert (row.years, row.statutory_pence, row.discretionary_pence,
                row.week_pay_capped) == (r.years, r.statutory_pence, r.discretionary_pence,
                                         r.week_pay_capped_pence)
        assert Decimal(row.weeks) == r.weeks
        nw = statutory_notice_weeks(start, relevant)
        assert row.notice_weeks == nw
        assert row.notice_pence == (0 if worked else notice_pay_pence(week, nw))
        liable = member and strain_liable(dob, start, relevant)
        assert row.strain_liable == liable
        assert row.strain_pence == (strain_estimate_pence(salary, Decimal("1.75"))
                                    if liable else 0)
        assert row.total_pence == (r.total_pence + row.notice_pence + row.strain_pence)
