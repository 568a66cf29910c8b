"""Pay and on-costs (DOMAIN.md §5), one person at a time, with every expected figure worked by
hand in pence. 2025/26 rules unless stated: employer NI 15% of annual gross above £5,000;
LGPS 20% of pay + London weighting; interims 220 days; each component rounded half up."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from planner.core.config import Settings
from planner.core.errors import NotFound
from planner.structures import pay
from planner.structures.pay import PayRules

RULES = PayRules(pay_year="2025/26", ni_rate_bp=1500, ni_threshold_pence=500_000,
                 working_days=220, vacancy_point="top", default_lgps_rate_bp=2000,
                 default_london_weighting_pence=0)
# 2025/26 spine points used below (data/pay_spine.csv, DOMAIN.md §5 table), in pence.
SPINE = pay.Spine.from_points("2025/26", {3: 2_479_600, 25: 3_636_300, 26: 3_728_000,
                                          37: 4_822_600, 38: 4_928_200, 39: 5_026_900,
                                          40: 5_135_600})


@pytest.mark.parametrize(
    ("case", "annual", "fte", "lw", "lgps", "expected"),
    [
        # Just under the NI threshold: gross £4,999.99, NI 0; pension 499,999 × 20% = 99,999.8 → 100,000.
        ("just under threshold", 499_999, "1", 0, None, (499_999, 0, 0, 100_000)),
        # Exactly at the threshold: nothing above it, NI 0; pension 100,000.
        ("at threshold", 500_000, "1", 0, None, (500_000, 0, 0, 100_000)),
        # 1p over: 1 × 15% = 0.15p → 0.
        ("1p over", 500_001, "1", 0, None, (500_001, 0, 0, 100_000)),
        # 10p over: 10 × 15% = 1.5p → rounds half up to 2p; pension 500,010 × 20% = 100,002.
        ("10p over: half up", 500_010, "1", 0, None, (500_010, 0, 2, 100_002)),
        # £1 over: 100 × 15% = 15p.
        ("£1 over", 500_100, "1", 0, None, (500_100, 0, 15, 100_020)),
        # Full time SCP 25 (£36,363): NI (3,636,300 − 500,000) × 15% = 470,445; pension 727,260.
        ("full time", 3_636_300, "1", 0, None, (3_636_300, 0, 470_445, 727_260)),
        # Part time 0.5 at SCP 25: pay 1,818,150; NI 1,318,150 × 15% = 197,722.5 → 197,723;
        # pension 363,630.
        ("part time", 3_636_300, "0.5", 0, None, (1_818_150, 0, 197_723, 363_630)),
        # A part-timer below the threshold: SCP 3 (£24,796) × 0.2 = 495,920 < 500,000, NI 0;
        # pension 99,184.
        ("part time under threshold", 2_479_600, "0.2", 0, None, (495_920, 0, 0, 99_184)),
        # Odd FTE: SCP 26 (£37,280) × 0.3333 = 1,242,542.4 → 1,242,542; NI 742,542 × 15% =
        # 111,381.3 → 111,381; pension 248,508.4 → 248,508.
        ("odd fte", 3_728_000, "0.3333", 0, None, (1_242_542, 0, 111_381, 248_508)),
        # London weighting £4,000 at 0.6 FTE on SCP 37 (£48,226): pay 2,893,560, weighting
        # 240,000, gross 3,133,560; NI 2,633,560 × 15% = 395,034; pension 3,133,560 × 20% = 626,712.
        ("london weighting", 4_822_600, "0.6", 400_000, None, (2_893_560, 240_000, 395_034, 626_712)),
        # Salary override £102,345.67 at LGPS 18.5%: NI 9,734,567 × 15% = 1,460,185.05 →
        # 1,460,185; pension 10,234,567 × 18.5% = 1,893,394.895 → 1,893,395.
        ("salary override", 10_234_567, "1", 0, 1850, (10_234_567, 0, 1_460_185, 1_893_395)),
    ],
)
def test_employee_cost(case, annual, fte, lw, lgps, expected):
    got = pay.employee_cost(annual_pence=annual, fte=Decimal(fte), rules=RULES,
                            london_weighting_pence=lw, lgps_rate_bp=lgps)
    assert (got.pay, got.london_weighting, got.employer_ni, got.pension) == expected
    assert got.interim == 0
    assert got.total == sum(expected)


def test_2024_25_rules_come_from_the_settings():
    # 2024/25: 13.8% above £9,100. SCP 25 2024/25 = £35,235: NI (3,523,500 − 910,000) × 13.8%
    # = 360,663; pension 704,700.
    rules = PayRules.for_year("2024/25", Settings())
    assert (rules.ni_rate_bp, rules.ni_threshold_pence, rules.working_days) == (1380, 910_000, 220)
    got = pay.employee_cost(annual_pence=3_523_500, fte=1, rules=rules)
    assert (got.employer_ni, got.pension) == (360_663, 704_700)


def test_a_pay_year_without_figures_uses_the_latest_earlier_one():
    assert PayRules.for_year("2026/27", Settings()).ni_threshold_pence == 500_000
    with pytest.raises(NotFound):
        PayRules.for_year("2023/24", Settings())
    with pytest.raises(ValueError):
        PayRules.for_year("2025/26", Settings(), vacancy_point="middle")


@pytest.mark.parametrize(
    ("day_rate", "fte", "expected"),
    [
        (57_500, "1", 12_650_000),    # £575 × 220 = £126,500, no on-costs
        (57_500, "0.5", 6_325_000),   # half the days
        (51_234, "0.6", 6_762_888),   # 51,234 × 220 = 11,271,480 × 0.6 = 6,762,888
    ],
)
def test_interim_cost_is_day_rate_times_working_days_without_on_costs(day_rate, fte, expected):
    got = pay.interim_cost(day_rate_pence=day_rate, fte=Decimal(fte), rules=RULES)
    assert (got.interim, got.total, got.employer_ni, got.pension) == (expected, expected, 0, 0)


@pytest.mark.parametrize(
    ("point", "scp", "expected"),
    [
        # PO3 is SCP 37–40. Top 40 (£51,356): NI 4,635,600 × 15% = 695,340; pension 1,027,120.
        ("top", 40, (5_135_600, 695_340, 1_027_120)),
        # Mid: 37 + (40 − 37) // 2 = 38 (£49,282): NI 4,428,200 × 15% = 664,230; pension 985,640.
        ("mid", 38, (4_928_200, 664_230, 985_640)),
        # Bottom 37 (£48,226): NI 4,322,600 × 15% = 648,390; pension 964,520.
        ("bottom", 37, (4_822_600, 648_390, 964_520)),
    ],
)
def test_vacancy_at_top_mid_and_bottom_of_grade(point, scp, expected):
    assert pay.vacancy_scp(37, 40, point) == scp
    rules = PayRules.for_year("2025/26", Settings(), vacancy_point=point)
    got = pay.vacancy_cost(spine=SPINE, min_scp=37, max_scp=40, fte=1, rules=rules)
    assert (got.pay, got.employer_ni, got.pension) == expected


def test_mid_point_of_an_even_grade_and_the_vectorised_form():
    # SO1 is SCP 25–28: 25 + 3 // 2 = 26.
    assert pay.vacancy_scp(25, 28, "mid") == 26
    got = pay.vacancy_scp(np.array([25, 37, 3]), np.array([28, 40, 5]), "mid")
    assert got.tolist() == [26, 38, 4]


def test_spine_lookup_names_missing_points():
    assert SPINE.values(np.array([40, 3])).tolist() == [5_135_600, 2_479_600]
    with pytest.raises(NotFound, match="99"):
        SPINE.values(np.array([40, 99]))


def test_spine_loaded_from_the_database(session):
    spine = pay.load_spine(session, "2025/26")
    # SCP 43 £54,495; local point 44 = 54,495 + 1,250 (DOMAIN.md §5).
    assert spine.value(43) == 5_449_500 and spine.value(44) == 5_574_500
    with pytest.raises(NotFound):
        pay.load_spine(session, "1999/00")


@pytest.mark.parametrize(("fte", "units"), [("1", 10_000), ("0.5", 5_000), ("0.3333", 3_333),
                                             (Decimal("0.8000"), 8_000), (1, 10_000)])
def test_fte_units_are_exact(fte, units):
    assert pay.fte_units(fte) == units


def test_fte_with_five_decimal_places_is_refused():
    with pytest.raises(ValueError):
        pay.fte_units("0.33333")


@given(st.integers(0, 10**9), st.integers(1, 10**6))
def test_div_half_up_matches_decimal_rounding(n, d):
    from decimal import ROUND_HALF_UP
    expected = int((Decimal(n) / Decimal(d)).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    assert pay.div_half_up(n, d) == expected


@given(annual=st.integers(0, 30_000_000), fte=st.integers(1, 10_000),
       lw=st.integers(0, 1_000_000), lgps=st.integers(0, 4_000))
def test_array_and_scalar_forms_agree(annual, fte, lw, lgps):
    one = pay.employee_cost(annual_pence=annual, fte=Decimal(fte) / 10_000, rules=RULES,
                            london_weighting_pence=lw, lgps_rate_bp=lgps)
    p = pay.basic_pay(np.array([annual]), np.array([fte]))
    w = pay.london_weighting(np.array([lw]), np.array([fte]))
    assert (int(p[0]), int(w[0])) == (one.pay, one.london_weighting)
    assert int(pay.employer_ni(p + w, RULES)[0]) == one.employer_ni
    assert int(pay.employer_pension(p, w, np.array([lgps]))[0]) == one.pension
