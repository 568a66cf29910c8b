"""A financial plan's assumptions, as plain values (issue 15; DOMAIN.md §5 "dated parameters").

Financial years run April to March and are named as pay years are ("2025/26"). A plan covers
3 to 5 of them from its first year. Everything here is an assumption the plan's reader may
challenge, so each has a stated default (`DEFAULTS_TEXT`, shown on the page):

- first year: the pay year whose spine is in force today;
- length: 4 years;
- pay award: none in the first year when the stored spine is already that year's, then 3.0%
  each April (the NJC award for 2025/26 was 3.2%, DOMAIN.md §5). An award may be a percentage,
  a flat amount on the points up to a chosen one (the NJC's 2024/25 award was a flat £1,290 on
  SCP 2–43), or both: the flat amount on the low points and the percentage above them;
- incremental progression: on (a step each April up to the top of the grade);
- vacancy factor: 0% of the pay budget;
- employer NI and pension rates: the settings' dated figures and each partner's LGPS rate,
  unless a year says otherwise (a change carries on into the later years);
- savings targets: none (£0) until set; one-off costs: the exit bill of the option's people
  mapping where it has one, else a lump sum per partner (£0 until set);
- implementation: 1 April of the first year for the whole option, unless a division or a post
  has a date of its own.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

MIN_YEARS, MAX_YEARS = 3, 5
DEFAULT_YEARS = 4
DEFAULT_AWARD_BP = 300
YEAR_PATTERN = re.compile(r"^(\d{4})/(\d{2})$")
DEFAULTS_TEXT = (
    "Defaults: the first year is the pay year in force; 4 years; no pay award in the first year "
    "when the spine is already that year's, then 3.0% each April; increments each April up to "
    "the top of the grade; vacancy factor 0%; NI and pension at the settings' dated figures "
    "and each council's LGPS rate; targets and lump sums £0 until set; the whole option "
    "takes effect on 1 April of the first year.")


@dataclass(frozen=True)
class YearAssumption:
    """One plan year: the pay award from its 1 April and any on-cost rate that changes then.

    `award_flat_pence` goes on the spinal points up to `flat_to_scp` (every point when None);
    `award_bp` on the points above them and on salaries set outside the spine. None for a rate
    means no change: the settings' figure, or an earlier year's change, carries on."""

    award_bp: int = 0
    award_flat_pence: int = 0
    flat_to_scp: int | None = None
    ni_rate_bp: int | None = None
    ni_threshold_pence: int | None = None
    pension_rate_bp: int | None = None


@dataclass(frozen=True)
class PlanAssumptions:
    """Everything a projection needs besides the structures: partners are named, money is in
    pence, rates in basis points; `targets[partner][k]` is year k's target."""

    first_year: str
    years: tuple[YearAssumption, ...]
    effective_on: dt.date
    increments: bool = True
    vacancy_factor_bp: int = 0
    division_dates: Mapping[str, dt.date] = field(default_factory=dict)
    post_dates: Mapping[str, dt.date] = field(default_factory=dict)
    targets: Mapping[str, tuple[int, ...]] = field(default_factory=dict)
    one_offs: Mapping[str, int] = field(default_factory=dict)

    @property
    def length(self) -> int:
        return len(self.years)

    def labels(self) -> list[str]:
        return [year_label(self.first_year, k) for k in range(self.length)]

    def target(self, partner: str, k: int) -> int:
        row = self.targets.get(partner, ())
        return int(row[k]) if k < len(row) else 0

    def with_length(self, years: int) -> PlanAssumptions:
        """The same plan over `years` years: later years copy the last year's award (no
        on-cost change), targets the last year's target."""
        check_length(years)
        ys = list(self.years[:years])
        while len(ys) < years:
            last = ys[-1] if ys else YearAssumption(award_bp=DEFAULT_AWARD_BP)
            ys.append(YearAssumption(award_bp=last.award_bp, award_flat_pence=last.award_flat_pence,
                                     flat_to_scp=last.flat_to_scp))
        targets = {p: tuple((list(t) + [t[-1] if t else 0] * years)[:years])
                   for p, t in self.targets.items()}
        return replace(self, years=tuple(ys), targets=targets)

    def with_award_shift(self, delta_bp: int) -> PlanAssumptions:
        """The sensitivity case: every year's percentage award moved by `delta_bp` (a flat
        amount stays as it is)."""
        return replace(self, years=tuple(replace(y, award_bp=y.award_bp + delta_bp)
                                         for y in self.years))


def check_length(years: int) -> None:
    if not MIN_YEARS <= years <= MAX_YEARS:
        raise ValueError(f"A plan runs {MIN_YEARS} to {MAX_YEARS} years, not {years}.")


def start_year(label: str) -> int:
    """2025 for "2025/26"; ValueError for anything not a financial year."""
    m = YEAR_PATTERN.match(label or "")
    if not m or (int(m.group(1)) + 1) % 100 != int(m.group(2)):
        raise ValueError(f"{label!r} is not a financial year such as 2025/26.")
    return int(m.group(1))


def year_label(first_year: str, k: int) -> str:
    y = start_year(first_year) + k
    return f"{y}/{(y + 1) % 100:02d}"


def year_start(first_year: str, k: int = 0) -> dt.date:
    """1 April of plan year k (financial years run April to March)."""
    return dt.date(start_year(first_year) + k, 4, 1)


def switch_month(day: dt.date, first_year: str) -> int:
    """Whole months of the plan before a change on `day` takes effect (0 = from 1 April of
    the first year). A change part-way through a month counts from the next month's first
    day; a date before the plan starts counts as its start. 1 October of the first year is
    month 6: the first year is half baseline, half option."""
    y0 = start_year(first_year)
    months = (day.year - y0) * 12 + (day.month - 4) + (1 if day.day > 1 else 0)
    return max(months, 0)


def default_assumptions(*, first_year: str, spine_year: str, partners: list[str],
                        years: int = DEFAULT_YEARS) -> PlanAssumptions:
    """The stated defaults (module docstring) for a plan starting in `first_year` when the
    stored spine is `spine_year`'s."""
    check_length(years)
    first = YearAssumption(award_bp=0 if spine_year >= first_year else DEFAULT_AWARD_BP)
    rest = [YearAssumption(award_bp=DEFAULT_AWARD_BP) for _ in range(years - 1)]
    return PlanAssumptions(first_year=first_year, years=(first, *rest),
                           effective_on=year_start(first_year),
                           targets={p: (0,) * years for p in partners},
                           one_offs=dict.fromkeys(partners, 0))
