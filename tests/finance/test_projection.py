"""The projection, hand-computed (issue 15 "Tests"). One grade G (SCP 30–33), a spine of
£30,000 at SCP 30 rising £1,000 a point, employer NI 15% above £5,000, LGPS 20%, two councils
sharing 50/50. A person at SCP n costs pay + 15% × (pay − £5,000) + 20% × pay."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from planner.finance.assumptions import PlanAssumptions, YearAssumption, switch_month
from planner.finance.projection import break_even, project, sensitivity
from planner.structures.costing import CostInputs
from planner.structures.pay import PayRules, Spine

YEAR = "2025/26"
RULES = PayRules(pay_year=YEAR, ni_rate_bp=1500, ni_threshold_pence=500_000, working_days=220,
                 vacancy_point="top", default_lgps_rate_bp=2000, default_london_weighting_pence=0)
SPINE = Spine.from_points(YEAR, {p: (30_000 + (p - 30) * 1_000) * 100 for p in range(30, 34)})
PARTNERS = pd.DataFrame({
    "name": ["Brent", "Lewisham"], "kind": ["council", "council"], "is_host": [True, False],
    "share_bp": [5000, 5000], "active": [True, True], "lgps_employer_rate_bp": [2000, 2000],
    "london_weighting_pence": [0, 0]}, index=pd.Index([1, 2], name="id"))
NO_SHARES = pd.DataFrame(columns=["partner_id", "amount_pence", "share_bp"])
BRENT, LEWISHAM, SHARED = 1, 2, -1


def cost_of(scp: int) -> int:
    """One full-time person at `scp`, in pence: the arithmetic written out."""
    pay = (30_000 + (scp - 30) * 1_000) * 100
    return pay + (pay - 500_000) * 15 // 100 + pay * 20 // 100


def inputs(posts: list[tuple], people: list[tuple]) -> CostInputs:
    """posts: (id, ref, partner_id, baseline_post_id[, division]); people: (post id, person
    id, scp)."""
    frame = pd.DataFrame([{"id": p[0], "post_id": p[1], "title": "Officer",
                           "division": p[4] if len(p) > 4 else "Digital", "team": "Core",
                           "grade": "G", "fte_units": 10_000, "partner_id": p[2],
                           "funding": "base", "baseline_post_id": p[3]} for p in posts])
    lines = pd.DataFrame([{"post": post, "source_post": post, "source_grade": "G",
                           "person_id": person, "fte_units": 10_000, "employee_ref": f"E{person}",
                           "name": f"Person {person}", "contract": "permanent", "scp": float(scp),
                           "annual_salary_pence": np.nan, "day_rate_pence": np.nan}
                          for post, person, scp in people],
                         columns=["post", "source_post", "source_grade", "person_id", "fte_units",
                                  "employee_ref", "name", "contract", "scp",
                                  "annual_salary_pence", "day_rate_pence"])
    grades = pd.DataFrame({"grade": ["G"], "min_scp": [30], "max_scp": [33]})
    return CostInputs(posts=frame, lines=lines, partners=PARTNERS, grades=grades, spine=SPINE,
                      rules=RULES, pay_year=YEAR)


def plan(years: int = 4, *, increments: bool = False, awards: list[YearAssumption] | None = None,
         effective_on: dt.date = dt.date(2025, 4, 1), **kw) -> PlanAssumptions:
    return PlanAssumptions(first_year=YEAR, years=tuple(awards or [YearAssumption()] * years),
                           effective_on=effective_on, increments=increments, **kw)


def run(base: CostInputs, option: CostInputs, a: PlanAssumptions, **kw):
    return project(base=base, option=option, shares=NO_SHARES, assumptions=a,
                   rules=[RULES] * a.length, **kw)


def by(projection, partner: str, column: str) -> list[int]:
    t = projection.table
    return t.loc[t["partner"] == partner, column].tolist()


# One Brent post kept (B, SCP 30) and one deleted (A, SCP 33) by the option.
BASE = inputs([(1, "A", BRENT, -1), (2, "B", BRENT, -1)], [(1, 1, 33), (2, 2, 30)])
OPTION = inputs([(11, "B", BRENT, 2)], [(11, 2, 30)])


def test_the_arithmetic_written_out():
    assert cost_of(31) == 4_110_000  # £31,000 + £3,900 NI + £6,200 pension
    assert cost_of(33) == 4_380_000 and cost_of(30) == 3_975_000


def test_a_person_below_the_top_of_grade_gains_an_increment_each_april():
    """SCP 31 in year 1, 32 in year 2, 33 (the top of G) in year 3, and no further."""
    one = inputs([(1, "A", BRENT, -1)], [(1, 1, 31)])
    same = inputs([(11, "A", BRENT, 1)], [(11, 1, 31)])
    p = run(one, same, plan(increments=True))
    assert by(p, "Brent", "baseline_pence") == [4_110_000, 4_245_000, 4_380_000, 4_380_000]
    assert by(p, "Brent", "saving_pence") == [0, 0, 0, 0]
    off = run(one, same, plan(increments=False))
    assert by(off, "Brent", "baseline_pence") == [4_110_000] * 4


def test_a_change_effective_on_1_october_costs_half_a_year_of_each():
    assert switch_month(dt.date(2025, 10, 1), YEAR) == 6
    assert switch_month(dt.date(2025, 10, 2), YEAR) == 7  # part-way: from the next month
    p = run(BASE, OPTION, plan(effective_on=dt.date(2025, 10, 1)))
    # Year 1: B all year either way; A for six months only: the saving is half A's cost.
    assert by(p, "Brent", "baseline_pence")[0] == 4_380_000 + 3_975_000
    assert by(p, "Brent", "option_pence")[0] == 3_975_000 + 4_380_000 // 2
    assert by(p, "Brent", "saving_pence") == [2_190_000, 4_380_000, 4_380_000, 4_380_000]


def test_a_pay_award_as_a_percentage():
    """2% from April of year 2: SCP 31 = £31,620; NI 15% of £26,620 = £3,993; pension
    20% = £6,324; £41,937 in all."""
    one = inputs([(1, "A", BRENT, -1)], [(1, 1, 31)])
    a = plan(awards=[YearAssumption(), YearAssumption(award_bp=200), YearAssumption()])
    p = run(one, one, a)
    assert by(p, "Brent", "baseline_pence") == [4_110_000, 4_193_700, 4_193_700]


def test_a_pay_award_as_a_flat_amount_on_low_points_and_a_percentage_above():
    """£1,000 on points up to 31 (SCP 31 → £32,000, costed as SCP 32 is: £42,450) and 2%
    above (SCP 33 → £33,660: NI £4,299, pension £6,732, £44,691)."""
    two = inputs([(1, "A", BRENT, -1), (2, "B", LEWISHAM, -1)], [(1, 1, 31), (2, 2, 33)])
    award = YearAssumption(award_bp=200, award_flat_pence=100_000, flat_to_scp=31)
    p = run(two, two, plan(awards=[YearAssumption(), award, YearAssumption()]))
    assert by(p, "Brent", "baseline_pence")[1] == cost_of(32) == 4_245_000
    assert by(p, "Lewisham", "baseline_pence")[1] == 4_469_100


def test_a_vacancy_factor_reduces_baseline_and_option_alike():
    """2%: year 2's baseline £83,550 less £1,671, the option £39,750 less £795: the saving is
    £42,924 = 98% of A's £43,800."""
    p = run(BASE, OPTION, plan(vacancy_factor_bp=200))
    assert by(p, "Brent", "baseline_vacancy_pence")[1] == 167_100
    assert by(p, "Brent", "option_vacancy_pence")[1] == 79_500
    assert by(p, "Brent", "saving_pence")[1] == 4_292_400


def test_one_off_costs_fall_in_year_one_and_the_break_even_month():
    """A £50,000 lump sum when A goes on 1 October 2025: year 1 nets £21,900 − £50,000; the
    saving of £3,650 a month repays it in its 14th month (November 2026)."""
    a = plan(effective_on=dt.date(2025, 10, 1), one_offs={"Brent": 5_000_000})
    p = run(BASE, OPTION, a)
    assert by(p, "Brent", "one_off_pence") == [5_000_000, 0, 0, 0]
    assert by(p, "Brent", "net_pence") == [2_190_000 - 5_000_000] + [4_380_000] * 3
    assert by(p, "Brent", "cumulative_pence")[1] == 2_190_000 - 5_000_000 + 4_380_000
    assert p.break_even_month == 19
    assert p.break_even_on == dt.date(2026, 11, 1)
    exit_bill = run(BASE, OPTION, a, one_offs={"Brent": 1_000_000}, one_off_source="exit bill")
    assert by(exit_bill, "Brent", "one_off_pence")[0] == 1_000_000


def test_per_partner_targets_and_a_shared_post_split_by_share():
    """A (Brent) and the shared post C go; B (Lewisham) stays. Brent saves A + half of C
    (£43,800 + £19,875), Lewisham half of C (£19,875)."""
    base = inputs([(1, "A", BRENT, -1), (2, "B", LEWISHAM, -1), (3, "C", SHARED, -1)],
                  [(1, 1, 33), (2, 2, 30), (3, 3, 30)])
    option = inputs([(12, "B", LEWISHAM, 2)], [(12, 2, 30)])
    a = plan(3, targets={"Brent": (6_000_000,) * 3, "Lewisham": (2_500_000,) * 3})
    p = run(base, option, a)
    assert by(p, "Brent", "saving_pence")[0] == 6_367_500
    assert by(p, "Lewisham", "saving_pence")[0] == 1_987_500
    assert by(p, "Brent", "gap_pence")[0] == -367_500  # beats its target
    assert by(p, "Lewisham", "gap_pence")[0] == 512_500  # short of it
    totals = p.totals.set_index("year")
    for col in ("baseline_pence", "option_pence", "saving_pence", "gap_pence", "target_pence"):
        assert (p.table.groupby("year", sort=False)[col].sum() == totals[col]).all()


def test_sensitivity_moves_the_award_one_point_either_way():
    a = plan(awards=[YearAssumption(), YearAssumption(award_bp=200), YearAssumption()])
    s = sensitivity(base=BASE, option=OPTION, shares=NO_SHARES, assumptions=a, rules=[RULES] * 3)
    low, mid, high = (s[f"recurring saving, {c}"].tolist()
                      for c in ("award −1 point", "as assumed", "award +1 point"))
    assert low[0] == mid[0] == high[0] == cost_of(33)  # no award in year 1
    assert low[1] < mid[1] < high[1]
    # SCP 33 at +1% in year 2: £33,330 → NI £4,249.50, pension £6,666: £44,245.50.
    assert low[1] == 4_424_550


def test_break_even_is_none_when_the_plan_never_pays_back():
    assert break_even([0, -5, -3, -1]) is None
    assert break_even([0, 0, 4, 9]) == 2
    assert break_even([-5, 2, -1, 3]) == 3


@pytest.mark.parametrize("years", [2, 6])
def test_a_plan_runs_three_to_five_years(years):
    from planner.finance.assumptions import check_length

    with pytest.raises(ValueError):
        check_length(years)


def test_a_division_and_a_post_take_effect_on_dates_of_their_own():
    """The option keeps B and C and deletes A (division Infra, from 1 January 2026: nine
    months of A in year 1) and D (its own post date does not apply: D is not in the option, so
    its division's, Apps, 1 October: six months). C, kept, is given 1 July in the option and
    takes its baseline post with it: no change in cost either way."""
    base = inputs([(1, "A", BRENT, -1, "Infra"), (2, "B", BRENT, -1, "Apps"),
                   (3, "C", BRENT, -1, "Apps"), (4, "D", BRENT, -1, "Apps")],
                  [(1, 1, 33), (2, 2, 30), (3, 3, 31), (4, 4, 32)])
    option = inputs([(12, "B", BRENT, 2, "Apps"), (13, "C", BRENT, 3, "Apps")],
                    [(12, 2, 30), (13, 3, 31)])
    a = plan(effective_on=dt.date(2025, 4, 1),
             division_dates={"Infra": dt.date(2026, 1, 1), "Apps": dt.date(2025, 10, 1)},
             post_dates={"C": dt.date(2025, 7, 1), "D": dt.date(2025, 5, 1)})
    p = run(base, option, a)
    saving = cost_of(33) * 3 // 12 + cost_of(32) * 6 // 12
    assert by(p, "Brent", "saving_pence")[0] == saving == 1_095_000 + 2_122_500
    assert by(p, "Brent", "saving_pence")[1] == cost_of(33) + cost_of(32)


def test_on_cost_rates_that_change_carry_on_into_later_years():
    """From year 2 employer NI is 16% above £4,000 and LGPS 22%: SCP 31 costs £31,000 +
    16% × £27,000 (£4,320) + 22% × £31,000 (£6,820) = £42,140, in year 3 as well."""
    one = inputs([(1, "A", BRENT, -1)], [(1, 1, 31)])
    change = YearAssumption(ni_rate_bp=1600, ni_threshold_pence=400_000, pension_rate_bp=2200)
    p = run(one, one, plan(awards=[YearAssumption(), change, YearAssumption()]))
    assert by(p, "Brent", "baseline_pence") == [4_110_000, 4_214_000, 4_214_000]


def test_a_salary_outside_the_spine_takes_the_percentage_and_an_interim_stays_as_it_is():
    """A head on £80,000 (no spinal point) gets the 2% award: £81,600, NI 15% of £76,600
    (£11,490), LGPS £16,320: £109,410. An interim at £400 a day × 220 days stays £88,000."""
    one = inputs([(1, "H", BRENT, -1), (2, "I", BRENT, -1)], [])
    one.lines.loc[0] = {"post": 1, "source_post": 1, "source_grade": "G", "person_id": 1,
                        "fte_units": 10_000, "employee_ref": "E1", "name": "Head",
                        "contract": "permanent", "scp": np.nan,
                        "annual_salary_pence": 8_000_000.0, "day_rate_pence": np.nan}
    one.lines.loc[1] = {"post": 2, "source_post": 2, "source_grade": "G", "person_id": 2,
                        "fte_units": 10_000, "employee_ref": "I1", "name": "Interim",
                        "contract": "interim", "scp": np.nan, "annual_salary_pence": np.nan,
                        "day_rate_pence": 40_000.0}
    p = run(one, one, plan(increments=True,
                           awards=[YearAssumption(), YearAssumption(award_bp=200),
                                   YearAssumption()]))
    head_1 = 8_000_000 + 1_125_000 + 1_600_000
    assert by(p, "Brent", "baseline_pence") == [head_1 + 8_800_000, 10_941_000 + 8_800_000,
                                                10_941_000 + 8_800_000]
