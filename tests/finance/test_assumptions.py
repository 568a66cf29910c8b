"""A plan's assumptions as values (planner.finance.assumptions): financial years, the month a
change takes effect, the stated defaults, lengthening a plan and the sensitivity shift."""

from __future__ import annotations

import datetime as dt

import pytest

from planner.finance.assumptions import (
    DEFAULT_AWARD_BP,
    PlanAssumptions,
    YearAssumption,
    default_assumptions,
    start_year,
    switch_month,
    year_label,
    year_start,
)


@pytest.mark.parametrize(("day", "months"), [
    (dt.date(2026, 4, 1), 0), (dt.date(2026, 10, 1), 6), (dt.date(2026, 10, 15), 7),
    (dt.date(2027, 3, 1), 11), (dt.date(2027, 4, 1), 12), (dt.date(2025, 1, 1), 0)])
def test_the_month_a_change_takes_effect(day, months):
    assert switch_month(day, "2026/27") == months


def test_financial_years_run_april_to_march():
    assert year_label("2026/27", 3) == "2029/30" and year_label("2099/00", 1) == "2100/01"
    assert year_start("2026/27", 1) == dt.date(2027, 4, 1)
    for bad in ("2026/28", "2026", "26/27"):
        with pytest.raises(ValueError):
            start_year(bad)


def test_the_stated_defaults():
    a = default_assumptions(first_year="2026/27", spine_year="2025/26", partners=["Brent"])
    assert a.length == 4 and a.increments and a.vacancy_factor_bp == 0
    assert [y.award_bp for y in a.years] == [DEFAULT_AWARD_BP] * 4  # the spine is a year old
    assert a.effective_on == dt.date(2026, 4, 1) and a.targets == {"Brent": (0, 0, 0, 0)}
    same = default_assumptions(first_year="2025/26", spine_year="2025/26", partners=[])
    assert same.years[0].award_bp == 0


def test_lengthening_copies_the_last_year_and_the_shift_moves_only_percentages():
    a = PlanAssumptions(first_year="2026/27", effective_on=dt.date(2026, 4, 1),
                        years=(YearAssumption(award_bp=300, ni_rate_bp=1600),
                               YearAssumption(award_flat_pence=100_000, flat_to_scp=20),
                               YearAssumption(award_bp=250)),
                        targets={"Brent": (1, 2, 3)})
    five = a.with_length(5)
    assert [y.award_bp for y in five.years] == [300, 0, 250, 250, 250]
    assert five.years[4].ni_rate_bp is None and five.targets["Brent"] == (1, 2, 3, 3, 3)
    assert a.with_length(3) == a
    up = a.with_award_shift(100)
    assert [y.award_bp for y in up.years] == [400, 100, 350]
    assert up.years[1].award_flat_pence == 100_000
