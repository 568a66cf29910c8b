"""Pay and on-costs, exactly, in integer pence (DOMAIN.md §5 "Pay and on-costs").

One rounding rule, applied everywhere so that totals are the sums of their parts to the penny:
every component of every costed line (a person in a post, an interim's cover, a vacancy) is
rounded **half up to the penny once**, from exact integer arithmetic; totals are then sums of
those rounded components, never re-rounded. FTE is held as whole ten-thousandths (the schema's
NUMERIC(6,4)), rates as basis points (1% = 100), money as pence.

The functions work on numpy integer arrays (the costing of 50,000 posts calls each once) and
on plain integers; the scalar helpers at the end (`employee_cost`, `interim_cost`,
`vacancy_cost`) call the very same array functions, so there is one rule, tested both ways.

Figures are settings, never constants here (planner/core/config.py): the employer NI rate and
secondary threshold per pay year, the default LGPS rate, London weighting, working days a
year, and the vacancy costing point.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from sqlmodel import Session, select

from planner.core.config import Settings, get_settings
from planner.core.errors import NotFound
from planner.core.models import PaySpinePoint
from planner.core.values import FTE_UNITS

if TYPE_CHECKING:
    from sqlmodel import Session


FTE_SCALE = FTE_UNITS  # FTE is held as whole ten-thousandths: 0.5 FTE = 5_000
BP_SCALE = 10_000  # basis points: 15% = 1_500
VACANCY_POINTS = ("top", "mid", "bottom")
EMPLOYEE_CONTRACTS = ("permanent", "fixed_term", "secondment")
COVER_CONTRACTS = ("interim", "agency")

IntArray = Any  # an int or an int64 numpy array


def div_half_up(numerator: IntArray, denominator: int) -> IntArray:
    """numerator / denominator rounded half up, exactly, for numerators ≥ 0 (int or int64 array).

    The one rounding rule of the costing (see the module docstring). (2n + d) // 2d is n/d
    rounded half up for n ≥ 0 and any d > 0, with no float anywhere.
    """
    return (2 * numerator + denominator) // (2 * denominator)


def fte_units(fte: Decimal | str | int) -> int:
    """An FTE as whole ten-thousandths, exactly: Decimal('0.6') -> 6000.

    Raises ValueError for more than four decimal places (the schema's NUMERIC(6,4)) or a
    negative FTE, rather than rounding someone's hours silently.
    """
    units = Decimal(str(fte)) * FTE_SCALE
    if units != units.to_integral_value() or units < 0:
        raise ValueError(f"FTE {fte!r} must be ≥ 0 with at most four decimal places.")
    return int(units)


def fte_units_each(values: Any) -> np.ndarray:
    """`fte_units` of each value (int64), worked out once per distinct value: 50,000 posts
    hold a handful of FTEs, so this is a lookup, not 50,000 Decimal conversions. A float is
    an FTE column read as float (`type_coerce(fte, Float)`, no Decimal per row): it is taken
    to the column's four places first, as SQLAlchemy's Numeric does with SQLite's float."""
    codes, uniques = pd.factorize(pd.Series(list(values), dtype=object), use_na_sentinel=False)
    return np.array([fte_units(Decimal(f"{u:.4f}") if isinstance(u, float) else u)
                     for u in uniques], dtype=np.int64)[codes]


def dated(table: Mapping[str, int], pay_year: str) -> int:
    """The figure in force for `pay_year`: the latest entry whose year is not after it.

    DOMAIN.md: "Every figure here is a dated, editable parameter". A pay year with no entry of
    its own (e.g. 2026/27 before the settings are updated) uses the last known figure.
    """
    known = sorted(y for y in table if y <= pay_year)
    if not known:
        raise NotFound(f"No figure for pay year {pay_year} (settings know {', '.join(sorted(table))}).")
    return int(table[known[-1]])


@dataclass(frozen=True)
class PayRules:
    """The figures one costing uses, fixed for a pay year (DOMAIN.md §5)."""

    pay_year: str
    ni_rate_bp: int
    ni_threshold_pence: int
    working_days: int
    vacancy_point: str
    default_lgps_rate_bp: int
    default_london_weighting_pence: int
    band_point: str = "max"  # Settings.band_cost_point: where a salary-band grade is costed

    @classmethod
    def for_year(cls, pay_year: str, settings: Settings | None = None,
                 vacancy_point: str | None = None) -> PayRules:
        """Read the settings for `pay_year`; `vacancy_point` overrides the setting."""
        s = settings or get_settings()
        point = vacancy_point or s.vacancy_cost_point
        if point not in VACANCY_POINTS:
            raise ValueError(f"vacancy point {point!r} must be one of {', '.join(VACANCY_POINTS)}")
        return cls(pay_year=pay_year,
                   ni_rate_bp=dated(s.employer_ni_rate_bp, pay_year),
                   ni_threshold_pence=dated(s.employer_ni_threshold_pence, pay_year),
                   working_days=s.interim_working_days,
                   vacancy_point=point,
                   default_lgps_rate_bp=s.default_lgps_employer_rate_bp,
                   default_london_weighting_pence=s.default_london_weighting_pence,
                   band_point=s.band_cost_point)


# --- the spine -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Spine:
    """One pay year's spinal column points, annual pence at 1.0 FTE (NJC spine plus local points).

    `lookup` is a numpy table indexed by SCP (−1 where the point does not exist), so a whole
    establishment's points are looked up in one indexing operation.
    """

    pay_year: str
    lookup: np.ndarray

    @classmethod
    def from_points(cls, pay_year: str, points: Mapping[int, int]) -> Spine:
        table = np.full(max(points, default=0) + 1, -1, dtype=np.int64)
        for scp, pence in points.items():
            table[scp] = pence
        return cls(pay_year, table)

    def value(self, scp: int) -> int:
        return int(self.values(np.asarray([scp]))[0])

    def values(self, scps: np.ndarray) -> np.ndarray:
        """Annual pence at 1.0 FTE for each spinal point; NotFound names the missing points."""
        scps = np.asarray(scps, dtype=np.int64)
        inside = (scps >= 0) & (scps < self.lookup.size)
        out = np.where(inside, self.lookup[np.where(inside, scps, 0)], -1)
        if (out < 0).any():
            missing = sorted({int(x) for x in scps[out < 0]})
            raise NotFound(f"Spinal point(s) {', '.join(map(str, missing))} have no value in "
                           f"the {self.pay_year} pay spine; add them to the spine first.")
        return out


def load_spine(session: Session, pay_year: str) -> Spine:
    """The stored spine for `pay_year` (data/pay_spine.csv plus the local points above SCP 43)."""
    rows = session.exec(select(PaySpinePoint.scp, PaySpinePoint.annual_pence)
                        .where(PaySpinePoint.pay_year == pay_year)).all()
    if not rows:
        raise NotFound(f"There is no pay spine for {pay_year}.")
    return Spine.from_points(pay_year, {int(s): int(v) for s, v in rows})


def vacancy_scp(min_scp: IntArray, max_scp: IntArray, point: str) -> IntArray:
    """The spinal point a vacancy is costed at (DOMAIN.md §5 "Vacancies": default the top).

    top = the grade's highest point, bottom = its lowest, mid = the lower of the two middle
    points when the grade has an even number of points: min + (max − min) // 2 (PO3, SCP
    37–40, is costed at 38).
    """
    if point == "top":
        return max_scp
    if point == "bottom":
        return min_scp
    if point == "mid":
        return min_scp + (max_scp - min_scp) // 2
    raise ValueError(f"vacancy point {point!r} must be one of {', '.join(VACANCY_POINTS)}")


BAND_POINTS = ("max", "mid", "min")
BAND_POINT_WORDS = {"max": "maximum", "mid": "midpoint", "min": "minimum"}


def band_point(min_pence: IntArray, max_pence: IntArray, point: str) -> IntArray:
    """The annual pay (1.0 FTE) a salary-band grade is costed at (issue 14): the band's
    maximum (default, as a vacancy is costed at its grade's top, DOMAIN.md §5), its minimum,
    or its midpoint rounded half up to the penny."""
    if point == "max":
        return max_pence
    if point == "min":
        return min_pence
    if point == "mid":
        return div_half_up(min_pence + max_pence, 2)
    raise ValueError(f"band point {point!r} must be one of {', '.join(BAND_POINTS)}")


# --- the arithmetic, on arrays ---------------------------------------------------------------


def basic_pay(annual_pence: IntArray, fte: IntArray) -> IntArray:
    """Basic pay: the 1.0-FTE annual amount (spine point or salary override) × FTE.

    DOMAIN.md §5: "Annual salary override: the basic pay of the person at 1.0 FTE, excluding
    London weighting". Rounded half up to the penny.
    """
    return div_half_up(annual_pence * fte, FTE_SCALE)


def london_weighting(weighting_pence: IntArray, fte: IntArray) -> IntArray:
    """London weighting: the employer's annual allowance pro rata to FTE (DOMAIN.md §5)."""
    return div_half_up(weighting_pence * fte, FTE_SCALE)


def employer_pension(pay_pence: IntArray, weighting_pence: IntArray, rate_bp: IntArray) -> IntArray:
    """LGPS employer contribution: the employer's rate × pensionable pay (DOMAIN.md §5).

    LGPS Regulations 2013 reg. 67 (employer's contributions at the rate in the fund's rates
    and adjustments certificate, reg. 62); only the percentage (primary) rate is applied, a
    secondary £ amount is a fund-level sum outside post costing.

    Pensionable pay = basic pay + London weighting (both already rounded to the penny). The
    rate is the partner's (its fund valuation's primary rate), default 20% [U].
    """
    return div_half_up((pay_pence + weighting_pence) * rate_bp, BP_SCALE)


def employer_ni(gross_pence: IntArray, rules: PayRules) -> IntArray:
    """Employer (secondary Class 1) National Insurance on one person's annual gross pay.

    Social Security Contributions and Benefits Act 1992 s.9, rate and threshold as amended
    from 6 April 2025 by the National Insurance Contributions (Secondary Class 1
    Contributions) Act 2025.

    DOMAIN.md §5 [C]: 2025/26 15% of each person's annual gross pay above £5,000 (the
    secondary threshold), no upper limit; 2024/25 13.8% above £9,100. Per person, on their
    actual gross, so a part-timer earning under the threshold costs no NI. The Employment
    Allowance does not apply to public bodies, so none is deducted.
    """
    above = np.maximum(np.asarray(gross_pence, dtype=np.int64) - rules.ni_threshold_pence, 0)
    out = div_half_up(above * rules.ni_rate_bp, BP_SCALE)
    return out if np.ndim(gross_pence) else int(out)


def cover_cost(day_rate_pence: IntArray, fte: IntArray, working_days: int) -> IntArray:
    """An interim's or agency worker's annual cost: day rate × working days × FTE.

    DOMAIN.md §5: "costed at day rate × working days a year (default 220), the day rate being
    what the council pays (the agency's margin included); no employer on-costs".
    """
    return div_half_up(day_rate_pence * working_days * fte, FTE_SCALE)


# --- one person at a time (the same rules) ---------------------------------------------------


@dataclass(frozen=True)
class PersonCost:
    """One costed line, in pence a year."""

    pay: int = 0
    london_weighting: int = 0
    employer_ni: int = 0
    pension: int = 0
    interim: int = 0

    @property
    def total(self) -> int:
        return self.pay + self.london_weighting + self.employer_ni + self.pension + self.interim


def employee_cost(*, annual_pence: int, fte: Decimal | str | int, rules: PayRules,
                  london_weighting_pence: int = 0, lgps_rate_bp: int | None = None) -> PersonCost:
    """An employee's annual cost to the employer: basic pay, London weighting, NI, LGPS.

    `annual_pence` is the spine point's value or the salary override (at 1.0 FTE); NI is on
    this one person's gross (basic + London weighting), see `employer_ni`.
    """
    units = fte_units(fte)
    rate = rules.default_lgps_rate_bp if lgps_rate_bp is None else lgps_rate_bp
    pay = basic_pay(annual_pence, units)
    lw = london_weighting(london_weighting_pence, units)
    return PersonCost(pay=pay, london_weighting=lw, employer_ni=employer_ni(pay + lw, rules),
                      pension=employer_pension(pay, lw, rate))


def interim_cost(*, day_rate_pence: int, fte: Decimal | str | int, rules: PayRules) -> PersonCost:
    """An interim or agency worker: day rate × working days × FTE, no employer on-costs."""
    return PersonCost(interim=cover_cost(day_rate_pence, fte_units(fte), rules.working_days))


def vacancy_cost(*, spine: Spine, min_scp: int, max_scp: int, fte: Decimal | str | int,
                 rules: PayRules, london_weighting_pence: int = 0,
                 lgps_rate_bp: int | None = None) -> PersonCost:
    """A vacancy: the grade's costing point (`rules.vacancy_point`) × FTE, with on-costs.

    DOMAIN.md §5 "Vacancies: costed at a chosen point of their grade, default the top, with
    on-costs". The vacancy is costed as one person at that FTE (NI threshold included).
    """
    scp = vacancy_scp(min_scp, max_scp, rules.vacancy_point)
    return employee_cost(annual_pence=spine.value(scp), fte=fte, rules=rules,
                         london_weighting_pence=london_weighting_pence, lgps_rate_bp=lgps_rate_bp)


def annual_pay(session: Session, people: pd.DataFrame, today: dt.date) -> dict[int, int | None]:
    """Each person's annual pay at 1.0 FTE: the salary override, else their spinal point's
    value in the pay year current on `today`; None when neither is known."""
    from planner.core.errors import NotFound
    from planner.establishment.reference import current_pay_year
    from planner.structures.pay import load_spine

    spine = None
    year = current_pay_year(session, today)
    if year is not None:
        try:
            spine = load_spine(session, year)
        except NotFound:
            spine = None
    out: dict[int, int | None] = {}
    for pid, salary, scp in zip(people["person_id"], people["annual_salary_pence"],
                                people["scp"], strict=True):
        value: int | None = None
        if salary is not None and not is_nan(salary):
            value = int(salary)
        elif scp is not None and not is_nan(scp) and spine is not None:
            try:
                value = spine.value(int(scp))
            except NotFound:
                value = None
        out[int(pid)] = value
    return out


def is_nan(value: Any) -> bool:
    return isinstance(value, float) and value != value
