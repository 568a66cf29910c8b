"""Exit costs of UK council redundancies: pure arithmetic, exact integer pence.

Rules (see DOMAIN.md section 4):
- Statutory redundancy pay, Employment Rights Act 1996 s.162: at least 2 complete years of
  continuous service; complete years counted back from the relevant date, at most 20; each year
  at 1.5 weeks if the employee was 41+ throughout it, 1 week if 22+, else 0.5 week (the year's
  rate is the age at its start, i.e. age at the relevant date minus k for the k-th year back,
  as the government redundancy calculator does); week's pay capped by relevant date.
- Local government discretion, SI 2006/2914: reg 5 lets the council use actual week's pay
  instead of the cap; reg 6 lets it pay a lump sum of up to 104 weeks' pay in total
  (statutory amount included). Modelled as: weeks x multiplier, at most max_weeks.
- Statutory notice, ERA 1996 s.86: 1 week after 1 month; 1 week per complete year from 2 years,
  at most 12 weeks.
- LGPS pension strain: a member aged 55+ with 2+ years' membership made redundant gets an
  immediate unreduced pension; the employer pays the strain cost the fund calculates. We only
  ever show an *estimate* (annual pay x a multiple) where the fund's figure is not entered.

Ages: a 29 February birthday reaches each age on 1 March in non-leap years (Family Law Reform
Act 1969 s.9 practice). Service is counted as ERA 1996 ss.210-211 count it, both the first day
and the relevant date included (planner.people.notice.complete_years, the one reading the
consultation's notice dates use too): a year from 1 March is complete on 28 February.
Rounding is half up to the penny throughout.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import numpy as np
import pandas as pd

from planner.people.notice import complete_years

TAX_FREE_PENCE = 3_000_000
"""First £30,000 of a genuine redundancy payment is free of tax and NI: noted, not computed."""

# (from date, week's pay cap in pence), newest first. Government redundancy calculator rates.
WEEK_PAY_CAPS: tuple[tuple[date, int], ...] = (
    (date(2026, 4, 6), 75_100),
    (date(2025, 4, 6), 71_900),
    (date(2024, 4, 6), 70_000),
    (date(2023, 4, 6), 64_300),
)
EARLIEST_SUPPORTED = WEEK_PAY_CAPS[-1][0]
MAX_SERVICE_YEARS = 20


def _div_half_up(num: int, den: int) -> int:
    """num/den rounded half up (num >= 0, den > 0), the house rounding rule."""
    return (2 * num + den) // (2 * den)


def week_pay_cap_pence(relevant: date) -> int:
    """The statutory week's pay cap in force on the relevant date (ERA 1996 s.227)."""
    for start, cap in WEEK_PAY_CAPS:
        if relevant >= start:
            return cap
    raise ValueError(f"relevant date {relevant} is before the earliest supported cap date "
                     f"{EARLIEST_SUPPORTED.isoformat()}")


def age_on(date_of_birth: date, on: date) -> int:
    """Age in whole years; a 29 February birthday is reached on 1 March in other years."""
    years = on.year - date_of_birth.year - (
        (on.month, on.day) < (date_of_birth.month, date_of_birth.day))
    return max(years, 0)


def _half_weeks_for_year(age_at_start: int) -> int:
    """Half-weeks for one year of service by age at its start (ERA s.162(3))."""
    return 3 if age_at_start >= 41 else 2 if age_at_start >= 22 else 1


@dataclass(frozen=True)
class RedundancyPay:
    """Statutory and discretionary parts kept apart so a page can show both."""

    age: int
    years: int  # complete years counted (at most 20; 0 if under 2)
    weeks: Decimal  # statutory weeks (halves)
    week_pay_pence: int  # actual week's pay
    week_pay_cap_pence: int
    week_pay_capped_pence: int
    statutory_pence: int
    discretionary_weeks: Decimal  # weeks paid in total after multiplier and limit (reg 6)
    discretionary_basis_pence: int  # week's pay used for the total (reg 5)
    discretionary_pence: int  # the amount above statutory
    total_pence: int


def _ratio(x: Decimal) -> tuple[int, int]:
    n, d = Decimal(x).as_integer_ratio()
    return int(n), int(d)


def statutory_redundancy(
    *,
    date_of_birth: date,
    start: date,
    relevant: date,
    week_pay_pence: int,
    actual_pay: bool = False,
    multiplier: Decimal = Decimal(1),
    max_weeks: Decimal = Decimal(104),
) -> RedundancyPay:
    """Redundancy pay under ERA 1996 s.162 plus the SI 2006/2914 regs 5-6 discretion."""
    cap = week_pay_cap_pence(relevant)
    age = age_on(date_of_birth, relevant)
    service = complete_years(start, relevant)
    years = min(service, MAX_SERVICE_YEARS) if service >= 2 else 0
    half = sum(_half_weeks_for_year(age - k) for k in range(1, years + 1))
    capped = min(week_pay_pence, cap)
    statutory = _div_half_up(half * capped, 2)
    basis = week_pay_pence if actual_pay else capped
    mn, md = _ratio(multiplier)
    xn, xd = _ratio(max_weeks)
    # total weeks = min(half/2 * mn/md, xn/xd), as a fraction wn/wd
    if half * mn * xd > 2 * md * xn:
        wn, wd = xn, xd
    else:
        wn, wd = half * mn, 2 * md
    total_amount = _div_half_up(wn * basis, wd)
    discretionary = max(total_amount - statutory, 0)
    return RedundancyPay(
        age=age, years=years, weeks=Decimal(half) / 2, week_pay_pence=week_pay_pence,
        week_pay_cap_pence=cap, week_pay_capped_pence=capped, statutory_pence=statutory,
        discretionary_weeks=Decimal(wn) / Decimal(wd), discretionary_basis_pence=basis,
        discretionary_pence=discretionary, total_pence=statutory + discretionary,
    )


def notice_pay_pence(week_pay_pence: int, weeks: int) -> int:
    """Pay in lieu of notice: actual (uncapped) week's pay x weeks."""
    return week_pay_pence * weeks


def week_pay_from_annual(annual_salary_pence: int) -> int:
    """Week's pay = annual / 52, half up to the penny (52 weeks, the usual payroll basis)."""
    return _div_half_up(annual_salary_pence, 52)


def strain_liable(date_of_birth: date, membership_start: date, relevant: date) -> bool:
    """LGPS: aged 55+ on the relevant date with 2+ years' membership -> immediate unreduced
    pension, so the employer owes a pension strain cost."""
    return age_on(date_of_birth, relevant) >= 55 and complete_years(membership_start,
                                                                     relevant) >= 2


def strain_estimate_pence(annual_pay_pence: int, multiple: Decimal) -> int:
    """An ESTIMATE of LGPS strain (annual pay x multiple, half up); never a fact: the fund's
    figure wins where entered."""
    n, d = _ratio(multiple)
    return _div_half_up(annual_pay_pence * n, d)


@dataclass(frozen=True)
class ExitPolicy:
    """The council's published discretion (SI 2006/2914 reg 7) and estimate settings.

    strain_multiple: Decimal 0 means "no estimate" (strain shows 0 unless the fund's figure is
    entered; the liability flag still lists the person). Notice is paid in lieu where
    notice_worked is False."""

    actual_pay: bool = False
    multiplier: Decimal = Decimal(1)
    max_weeks: Decimal = Decimal(104)
    strain_multiple: Decimal = Decimal(0)


def _ymd(col: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    d = pd.to_datetime(col)
    return (d.dt.year.to_numpy(np.int64), d.dt.month.to_numpy(np.int64),
            d.dt.day.to_numpy(np.int64))


def _years_vec(col: pd.Series, on: date) -> np.ndarray:
    """Ages on `on` (age_on, vectorised)."""
    y, m, d = _ymd(col)
    before = (on.month * 100 + on.day) < (m * 100 + d)
    return np.maximum(on.year - y - before.astype(np.int64), 0)


def _service_vec(col: pd.Series, end: date) -> np.ndarray:
    """Complete years of service to `end`, both days counted (notice.complete_years,
    vectorised): anniversaries reached by the day after `end`, a 29 February start's falling
    on 28 February in a common year."""
    after = end + timedelta(days=1)
    y, m, d = _ymd(col)
    if not calendar.isleap(after.year):
        d = np.where((m == 2) & (d == 29), 28, d)
    before = (after.month * 100 + after.day) < (m * 100 + d)
    return np.maximum(after.year - y - before.astype(np.int64), 0)


def _months_vec(col: pd.Series, end: date) -> np.ndarray:
    """Complete months of service to `end`, both days counted, a month from the 31st reached on
    a shorter month's last day (notice's _complete_months, vectorised)."""
    after = end + timedelta(days=1)
    y, m, d = _ymd(col)
    months = 12 * (after.year - y) + (after.month - m)
    last = calendar.monthrange(after.year, after.month)[1]
    months -= (after.day < np.minimum(d, last)).astype(np.int64)
    return np.maximum(months, 0)


def _half_up_vec(num: np.ndarray, den: int | np.ndarray) -> np.ndarray:
    return (2 * num + den) // (2 * den)


def exit_costs_frame(people: pd.DataFrame, *, relevant: date, policy: ExitPolicy) -> pd.DataFrame:
    """Exit costs per person, vectorised (same arithmetic as the scalar functions).

    Columns in: employee_id, date_of_birth, continuous_service_date, annual_salary_pence,
    notice_worked, lgps_member, strain_fund_pence (nullable; the fund's figure wins), optional
    lgps_membership_start (else continuous_service_date stands in for membership)."""
    cap = week_pay_cap_pence(relevant)
    age = _years_vec(people["date_of_birth"], relevant)
    service = _service_vec(people["continuous_service_date"], relevant)
    years = np.where(service >= 2, np.minimum(service, MAX_SERVICE_YEARS), 0)
    half = np.zeros(len(people), dtype=np.int64)
    for k in range(1, MAX_SERVICE_YEARS + 1):
        a = age - k
        rate = np.where(a >= 41, 3, np.where(a >= 22, 2, 1))
        half += np.where(k <= years, rate, 0)
    annual = people["annual_salary_pence"].to_numpy(np.int64)
    week = _half_up_vec(annual, 52)
    capped = np.minimum(week, cap)
    statutory = _half_up_vec(half * capped, 2)
    basis = week if policy.actual_pay else capped
    mn, md = _ratio(policy.multiplier)
    xn, xd = _ratio(policy.max_weeks)
    over = half * mn * xd > 2 * md * xn
    total_amount = np.where(over, _half_up_vec(basis * xn, xd),
                            _half_up_vec(basis * half * mn, 2 * md))
    discretionary = np.maximum(total_amount - statutory, 0)
    notice_weeks = np.where(service >= 2, np.minimum(service, 12),
                            (_months_vec(people["continuous_service_date"], relevant) >= 1)
                            .astype(np.int64))
    worked = people["notice_worked"].to_numpy(bool)
    notice = np.where(worked, 0, week * notice_weeks)
    member_col = (people["lgps_membership_start"] if "lgps_membership_start" in people
                  else people["continuous_service_date"])
    liable = (people["lgps_member"].to_numpy(bool) & (age >= 55)
              & (_service_vec(member_col, relevant) >= 2))
    fund = people["strain_fund_pence"]
    has_fund = fund.notna().to_numpy()
    fund_v = fund.fillna(0).to_numpy(np.int64)
    sn, sd = _ratio(policy.strain_multiple)
    estimate = np.where(liable & (sn > 0), _half_up_vec(annual * sn, sd), 0)
    strain = np.where(has_fund, fund_v, estimate)
    is_estimate = ~has_fund & liable & (sn > 0)
    out = pd.DataFrame({
        "employee_id": people["employee_id"].to_numpy(),
        "years": years.astype(np.int64),
        "weeks": half / 2,  # display only: halves are exact in binary floating point
        "week_pay_capped": capped.astype(np.int64),
        "statutory_pence": statutory.astype(np.int64),
        "discretionary_pence": discretionary.astype(np.int64),
        "notice_weeks": notice_weeks.astype(np.int64),
        "notice_pence": notice.astype(np.int64),
        "strain_liable": liable,
        "strain_pence": strain.astype(np.int64),
        "strain_is_estimate": is_estimate,
    })
    out["total_pence"] = (out["statutory_pence"] + out["discretionary_pence"]
                          + out["notice_pence"] + out["strain_pence"])
    return out
