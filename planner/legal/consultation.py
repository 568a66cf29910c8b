"""Collective consultation and notice dates (DOMAIN.md §2 and §4): pure functions over dates.

The statutory clock of TULRCA 1992 ss.188-194 (when consultation must begin, when HR1 is due,
what a protective award could cost) and individual notice under ERA 1996 s.86. The rules are
pure functions: callers pass dates and counts, and get dates, numbers and breaches back. The
services at the end (`consultation_view`, `save_plan`, `save_stages`) read an option and its
people from the database and apply those rules.

How days are counted (one convention throughout, stated once):
- "at least N days before the first dismissal takes effect" is met when
  ``(first_dismissal - consultation_began).days >= N``: the day consultation begins is day 0,
  so with 30 days a consultation beginning on 1 March allows a first dismissal on 31 March.
- Consultation begins on the day the s.188(4) written information reaches the representatives
  (s.188(4) and DOMAIN.md §2: "consultation does not start until it is given"); ``launch``
  means that day.
- Figures are dated parameters (`ConsultationRules`, `PROTECTIVE_AWARD_MAX_DAYS`), not literals
  buried in the arithmetic, because the law moves (DOMAIN.md preamble).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd

from planner.core.values import as_date, long_date

if TYPE_CHECKING:
    from sqlmodel import Session

    from planner.core.auth import Actor
    from planner.core.models import Structure


@dataclass(frozen=True)
class ConsultationRules:
    """The TULRCA 1992 s.188/s.193 figures, with the date from which they apply.

    45 days for 100 or more replaced 90 days from 6 April 2013 (the TULRCA 1992 (Amendment)
    Order 2013, SI 2013/763); 30 days for 20-99 and the 20-in-90-days trigger are s.188(1) and
    s.188(1A). A change in the law is a new instance, not an edit to the arithmetic.
    """

    in_force_from: dt.date = dt.date(2013, 4, 6)
    trigger: int = 20  # s.188(1): "20 or more" at one establishment
    window_days: int = 90  # s.188(1): "within a period of 90 days or less"
    large: int = 100  # s.188(1A)(a): "100 or more"
    minimum_days: int = 30  # s.188(1A)(b); s.193(2)
    minimum_days_large: int = 45  # s.188(1A)(a); s.193(1)


STATUTORY = ConsultationRules()


def _check_count(proposed: int) -> None:
    if proposed < 0:
        raise ValueError(f"The number of proposed dismissals cannot be negative ({proposed}).")


def s188_applies(proposed: int, *, rules: ConsultationRules = STATUTORY) -> bool:
    """Whether collective consultation is required: TULRCA 1992 s.188(1).

    s.188(1) applies where an employer proposes to dismiss as redundant 20 or more employees at
    one establishment within a period of 90 days or less. `proposed` is that count: use
    `dismissals_within_90_days` to get it from dates. "Redundant" here is s.195: any dismissal
    for a reason not related to the individual (dismiss-and-re-engage included); a fixed-term
    contract ending on its agreed date is excluded (s.282). Under s.188(3) dismissals already
    covered by a consultation that has begun are not counted again.
    """
    _check_count(proposed)
    return proposed >= rules.trigger


def minimum_period_days(proposed: int, *, local_minimum_days: int | None = None,
                        rules: ConsultationRules = STATUTORY) -> int | None:
    """The minimum days between consultation beginning and the first dismissal taking effect.

    TULRCA 1992 s.188(1A): 45 days for 100 or more proposed dismissals, 30 days for 20-99.
    Below 20 there is no statutory clock, so the answer is None unless the organisation's own
    agreement sets one (`local_minimum_days`, e.g. 14 in Lincolnshire's; DOMAIN.md §2: a
    per-organisation setting, off by default). The local minimum never shortens the statutory
    period: it only fills the gap below the trigger.
    """
    _check_count(proposed)
    if local_minimum_days is not None and local_minimum_days < 0:
        raise ValueError(f"A local minimum period cannot be negative ({local_minimum_days}).")
    if proposed >= rules.large:
        return rules.minimum_days_large
    if proposed >= rules.trigger:
        return rules.minimum_days
    return local_minimum_days


def dismissals_within_90_days(dates: Sequence[dt.date], *,
                              rules: ConsultationRules = STATUTORY) -> int:
    """The most proposed dismissals falling within any one 90-day period: TULRCA 1992 s.188(1).

    The window is 90 consecutive calendar days with both ends counted, so two dismissal dates
    d1 <= d2 fall in the same window exactly when ``(d2 - d1).days <= 89``: 1 January and
    31 March 2026 (89 days apart) share a window; 1 January and 1 April (90 apart) do not. The
    window rolls: every start date is tried, not calendar quarters. Repeated dates count once
    per dismissal (a list of 20 identical dates is 20). Pass dates for one establishment only,
    and leave out dismissals already under a consultation that has begun (s.188(3)).
    """
    ordered = sorted(dates)
    best = 0
    start = 0
    for end, last in enumerate(ordered):
        # Slide the window's start forward until it holds no date 90 or more days before `last`.
        while (last - ordered[start]).days >= rules.window_days:
            start += 1
        best = max(best, end - start + 1)
    return best


def earliest_first_dismissal(launch: dt.date, proposed: int, *,
                             local_minimum_days: int | None = None,
                             rules: ConsultationRules = STATUTORY) -> dt.date | None:
    """The first day on which a dismissal may take effect: TULRCA 1992 s.188(1A).

    launch + 30 days for 20-99 proposed dismissals, launch + 45 days for 100 or more (the day
    consultation begins is day 0; see the module docstring). None below 20 unless a local
    minimum is set. s.188(1A) also says "in good time": this is the legal floor, not a plan.
    """
    days = minimum_period_days(proposed, local_minimum_days=local_minimum_days, rules=rules)
    return None if days is None else launch + dt.timedelta(days=days)


def hr1_deadline(*, proposed: int, first_dismissal: dt.date,
                 notices_issued: dt.date | None = None,
                 rules: ConsultationRules = STATUTORY) -> dt.date | None:
    """The last day the Redundancy Payments Service may receive form HR1: TULRCA 1992 s.193.

    s.193(1) (100 or more: 45 days) and s.193(2) (20-99: 30 days): notice of the proposal must
    reach the Secretary of State (in practice the Redundancy Payments Service, online only from
    1 December 2025) (a) before notice of dismissal is given to any employee concerned and
    (b) at least 30/45 days before the first dismissal takes effect (DOMAIN.md §2). Failing to
    do so is an offence (s.194). The representatives get a copy (s.193(6)).

    So the deadline is the earlier of ``first_dismissal - 30/45 days`` and, when notices have a
    date, the day before they are issued: dates alone cannot show that HR1 arrived first on a
    shared day, so the planner asks for it a day earlier. None where s.193 does not apply
    (fewer than 20); a local consultation minimum creates no HR1 duty.
    """
    if not s188_applies(proposed, rules=rules):
        return None
    days = minimum_period_days(proposed, rules=rules)
    assert days is not None  # s.188 applies, so there is a statutory period
    deadline = first_dismissal - dt.timedelta(days=days)
    if notices_issued is not None:
        deadline = min(deadline, notices_issued - dt.timedelta(days=1))
    return deadline


@dataclass(frozen=True)
class ConsultationPlan:
    """A consultation timetable checked against ss.188 and 193; `breaches` are plain sentences."""

    proposed: int
    launch: dt.date
    first_dismissal: dt.date | None
    applies: bool  # s.188 applies (20 or more); a local minimum alone does not make it True
    minimum_days: int | None  # statutory, else the local minimum, else None
    earliest_first_dismissal: dt.date | None
    hr1_deadline: dt.date | None
    breaches: list[str] = field(default_factory=list)

    @property
    def lawful(self) -> bool:
        return not self.breaches

    def as_dict(self) -> dict[str, object]:
        """JSON-ready: dates as YYYY-MM-DD."""
        d = asdict(self)
        for k, v in d.items():
            if isinstance(v, dt.date):
                d[k] = v.isoformat()
        d["lawful"] = self.lawful
        return d


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def check_plan(*, proposed: int, launch: dt.date, first_dismissal: dt.date | None,
               hr1_sent: dt.date | None = None, notices_issued: dt.date | None = None,
               local_minimum_days: int | None = None,
               rules: ConsultationRules = STATUTORY) -> ConsultationPlan:
    """Check a timetable against TULRCA 1992 s.188(1A) and s.193 and say what is wrong.

    `launch` is the day the s.188(4) information reached the representatives; `first_dismissal`
    the day the first dismissal takes effect (None while undecided: the HR1 deadline then
    assumes the earliest lawful first dismissal); `hr1_sent` the day the Redundancy Payments
    Service received HR1; `notices_issued` the day the first individual notice of dismissal was
    given. Breaches checked:
    - first dismissal fewer than 30/45 days after consultation began (s.188(1A)), or fewer than
      the local minimum below 20 (the organisation's agreement, DOMAIN.md §2);
    - HR1 received fewer than 30/45 days before the first dismissal (s.193(1)-(2)(b));
    - notices issued before HR1 was received, on the same day, or with no HR1 (s.193(1)-(2)(a)).
    A missing HR1 with no notices issued is not a breach yet: `hr1_deadline` says when it is due.
    """
    minimum = minimum_period_days(proposed, local_minimum_days=local_minimum_days, rules=rules)
    applies = s188_applies(proposed, rules=rules)
    earliest = earliest_first_dismissal(launch, proposed, local_minimum_days=local_minimum_days,
                                        rules=rules)
    planned = first_dismissal or earliest
    deadline = (hr1_deadline(proposed=proposed, first_dismissal=planned,
                             notices_issued=notices_issued, rules=rules)
                if planned is not None else None)
    who = f"for {_plural(proposed, 'proposed dismissal')}"
    breaches: list[str] = []

    if first_dismissal is not None and minimum is not None:
        gap = (first_dismissal - launch).days
        if gap < minimum:
            source = "s.188 requires" if applies else "the local agreement requires"
            when = (f"{_plural(gap, 'day')} after" if gap >= 0
                    else f"{_plural(-gap, 'day')} before")
            breaches.append(
                f"First dismissal on {long_date(first_dismissal)} is {when} the consultation "
                f"began; {who} {source} at least {minimum}.")

    if applies and minimum is not None:
        if hr1_sent is not None and first_dismissal is not None:
            lead = (first_dismissal - hr1_sent).days
            if lead < minimum:
                when = (f"{_plural(lead, 'day')} before" if lead >= 0
                        else f"{_plural(-lead, 'day')} after")
                breaches.append(
                    f"HR1 received on {long_date(hr1_sent)} is {when} the first dismissal on "
                    f"{long_date(first_dismissal)}; {who} s.193 requires at least {minimum} "
                    f"(by {long_date(first_dismissal - dt.timedelta(days=minimum))}).")
        if notices_issued is not None:
            if hr1_sent is None:
                breaches.append(
                    f"Notices of dismissal were issued on {long_date(notices_issued)} but no HR1 "
                    f"has been recorded; s.193 requires HR1 before any notice is given.")
            elif hr1_sent >= notices_issued:
                order = "the same day as" if hr1_sent == notices_issued else "after"
                breaches.append(
                    f"HR1 was received on {long_date(hr1_sent)}, {order} notices of dismissal "
                    f"were issued on {long_date(notices_issued)}; s.193 requires HR1 before any "
                    f"notice is given.")

    return ConsultationPlan(proposed=proposed, launch=launch, first_dismissal=first_dismissal,
                            applies=applies, minimum_days=minimum,
                            earliest_first_dismissal=earliest, hr1_deadline=deadline,
                            breaches=breaches)


# --- Individual notice (ERA 1996 s.86) ---------------------------------------------------------


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


# --- Protective award (TULRCA 1992 ss.189-190) --------------------------------------------------

# Maximum protected period in days, by the date from which it applies (latest entry not after the
# date wins). 90 days is s.189(4) as it stands. The Employment Rights Act 2025 s.30 raises it to
# 180 days from a commencement date not yet confirmed [U]: add (that date, 180) here once known.
PROTECTIVE_AWARD_MAX_DAYS: tuple[tuple[dt.date, int], ...] = ((dt.date.min, 90),)


def protective_award_max_days(
        on: dt.date,
        schedule: Sequence[tuple[dt.date, int]] = PROTECTIVE_AWARD_MAX_DAYS) -> int:
    """The longest protected period for a failure on `on`: TULRCA 1992 s.189(4) (dated).

    The tribunal chooses a period "just and equitable" up to this maximum; the starting point
    for a complete failure to consult is the maximum (Susie Radin Ltd v GMB [2004] EWCA Civ 180).
    """
    known = sorted((since, days) for since, days in schedule if since <= on)
    if not known:
        raise ValueError(f"No protective award maximum is known for {long_date(on)}.")
    return known[-1][1]


def protective_award_exposure(*, people: int, weekly_pay_pence: int, days: int = 90,
                              weekly_cap_pence: int | None = None) -> int:
    """The most a protective award could cost, in pence: TULRCA 1992 ss.189(4) and 190(2).

    Each affected employee gets a week's gross pay for each week of the protected period, and
    a proportionate part for a part week (s.190(2)): ``weekly × days / 7`` per person, rounded
    half up to a whole penny per person, times `people`. 90 days (12 weeks 6 days) is today's
    maximum; pass `protective_award_max_days(date)` for the figure in force on a date (180 once
    the Employment Rights Act 2025 s.30 commences [U]).

    A week's pay for a protective award is not capped (it is not among the ERA 1996 s.227
    amounts). `weekly_cap_pence` is for when the award would be paid from the National
    Insurance Fund on insolvency, where the ERA 1996 s.186 weekly limit applies: pass the
    figure in force on the relevant date (DOMAIN.md §4: £700 from 6 Apr 2024, £719 from
    6 Apr 2025, £751 from 6 Apr 2026 [S]). Off (None) by default.
    """
    if people < 0 or weekly_pay_pence < 0 or days < 0:
        raise ValueError("People, weekly pay and days must not be negative.")
    if weekly_cap_pence is not None:
        if weekly_cap_pence < 0:
            raise ValueError("The weekly cap must not be negative.")
        weekly_pay_pence = min(weekly_pay_pence, weekly_cap_pence)
    # Half up on whole numbers: (2·a + b) // (2·b) rounds a / b half up for a, b ≥ 0.
    per_person = (2 * weekly_pay_pence * days + 7) // 14
    return people * per_person


# --- The consultation of an option: plan, people at risk, stages (services) ---------------------
#
# Below: the services the Consultation page calls. They read an option's deleted posts (the
# options difference list) and the baseline's people, and apply the pure rules above. Every one
# takes `actor`; reading needs consultation.read (a union rep only for published options),
# names need personal.read, and editing needs consultation.edit.

STAGE_TEMPLATE: tuple[tuple[str, str], ...] = (
    ("business_case", "Business case and pre-consultation (equality analysis stage 1)"),
    ("launch", "Formal launch: consultation document, s.188(4) letter and HR1"),
    ("consultation", "Consultation period: collective and individual meetings"),
    ("final_structure",
     "Responses considered; final structure published (equality analysis stage 2)"),
    ("selection", "Selection: slot-in, ring-fenced competition, voluntary redundancy"),
    ("notice", "Notice and redeployment (4-week trial period)"),
    ("appeals", "Appeals"),
    ("implementation", "Implementation (equality analysis stage 3)"),
)
_STAGE_NAMES = dict(STAGE_TEMPLATE)
_STAGE_POSITIONS = {key: i for i, (key, _) in enumerate(STAGE_TEMPLATE, start=1)}

MAX_TEXT = 4000
MAX_ESTABLISHMENT = 200
MAX_OWNER = 200
HR1_WARNING_DAYS = 14
# s.188(1) counts employees proposed for dismissal; interims and agency workers are not the
# council's employees (they appear under s.188(4)(g) instead), and a secondee returns to the
# employer that seconded them.
COUNTED_CONTRACTS = ("permanent", "fixed_term")
EMPLOYEE_CONTRACTS = ("permanent", "fixed_term", "secondment")
AGENCY_CONTRACTS = ("interim", "agency")
# The s.188(4) texts no data can supply: field, what it is, the paragraph that requires it.
S188_TEXTS: tuple[tuple[str, str, str], ...] = (
    ("reasons", "the reasons for the proposals", "s.188(4)(a)"),
    ("selection_method", "the proposed method of selection", "s.188(4)(d)"),
    ("dismissal_method", "the method and period of carrying out the dismissals", "s.188(4)(e)"),
    ("redundancy_pay_method", "the method of calculating redundancy pay", "s.188(4)(f)"),
)


@dataclass(frozen=True)
class PlanFields:
    """What hr records about an option's consultation (the ConsultationPlan row)."""

    establishment: str = ""
    launch_on: dt.date | None = None  # the day the s.188(4) information reached the reps
    first_dismissal_on: dt.date | None = None
    hr1_sent_on: dt.date | None = None
    notices_issued_on: dt.date | None = None
    reasons: str = ""
    selection_method: str = ""
    dismissal_method: str = ""
    redundancy_pay_method: str = ""
    version: int = 0  # 0 = not saved yet


_PLAN_FIELDS = ("establishment", "launch_on", "first_dismissal_on", "hr1_sent_on",
                "notices_issued_on", "reasons", "selection_method", "dismissal_method",
                "redundancy_pay_method")

PEOPLE_AT_RISK_COLUMNS = ["employee_id", "name", "contract", "counted", "post_id", "title",
                          "grade", "continuous_service_date", "service_years", "notice_weeks",
                          "latest_notice_date", "weekly_pay_pence", "exposure_pence"]
DESCRIPTION_COLUMNS = ["title", "grade", "proposed", "employed"]
AGENCY_COLUMNS = ["division", "team", "title", "contract", "workers"]
STAGE_COLUMNS = ["id", "key", "position", "name", "planned_start", "planned_end", "actual_start",
                 "actual_end", "owner", "status", "notes", "version", "overdue"]


@dataclass(frozen=True)
class ConsultationView:
    """Everything the Consultation page shows for one option, worked out once."""

    structure_id: int
    structure_name: str
    structure_status: str
    plan: PlanFields
    employees: int  # employees (permanent, fixed-term, secondment) in the baseline
    proposed: int  # permanent + fixed-term occupants of deleted posts (the s.188 count)
    agency_workers: int  # interim + agency occupants of deleted posts
    local_minimum_days: int | None
    check: ConsultationPlan | None  # None until plan.launch_on is set
    planned_first_dismissal: dt.date | None
    # The protective award's cap (TULRCA 1992 s.189(4)): up to `exposure_days` days' gross pay
    # per affected employee, summed over those proposed for dismissal. None where s.188 does
    # not apply (no award is possible) and for anyone without personal.read (a union rep):
    # it is worked out from each person's pay, so it is never in their view at all.
    exposure_pence: int | None
    exposure_days: int | None
    breaches: list[str]
    warnings: list[str]
    stages: pd.DataFrame  # STAGE_COLUMNS
    descriptions: pd.DataFrame  # DESCRIPTION_COLUMNS
    agency: pd.DataFrame  # AGENCY_COLUMNS
    people: pd.DataFrame | None  # PEOPLE_AT_RISK_COLUMNS; None without personal.read
    today: dt.date


def stage_overdue(planned_end: dt.date | None, status: str, today: dt.date) -> bool:
    """A stage is overdue once its planned end has passed and it is neither done nor skipped."""
    return planned_end is not None and planned_end < today and status not in ("done", "skipped")


def weekly_pay_pence(annual_pence: int, fte_units: int) -> int:
    """A week's gross pay: annual pay at 1.0 FTE × FTE / 52, in pence rounded half up.

    `fte_units` is FTE × 10,000 (planner.structures.pay.FTE_SCALE), so the only rounding is the last one.
    TULRCA 1992 s.190(2) and ERA 1996 s.221(2): for someone with normal working hours and no
    variable pay, a week's pay is what is payable for a week's work; annual basic pay / 52 is
    that figure for a salaried council employee. London weighting and overtime are left out.
    """
    from planner.structures.pay import FTE_SCALE, div_half_up

    if annual_pence < 0 or fte_units < 0:
        raise ValueError("Pay and FTE must not be negative.")
    return int(div_half_up(annual_pence * fte_units, FTE_SCALE * 52))


def notice_weeks_for(start: dt.date, dismissal: dt.date) -> int:
    """Statutory notice (ERA 1996 s.86) for employment to end on `dismissal`.

    s.86 measures service when notice is given, but the date notice is given is what we are
    working out (dismissal − notice): circular. So: weeks at the dismissal date, then again at
    dismissal − those weeks, and take the larger. Service only grows, so the larger is the
    figure at the dismissal date; it can overstate by a week when an anniversary falls inside
    the notice period, which moves the latest notice date a week earlier: safe, never late.
    """
    first = statutory_notice_weeks(start, dismissal)
    second = statutory_notice_weeks(start, dismissal - dt.timedelta(weeks=first))
    return max(first, second)


def _not_archived(option: Structure) -> None:
    """An archived option's consultation records are read-only too (planner.structures.options)."""
    from planner.structures.options import require_not_archived as check

    check(option)


def _option_for(session: Session, actor: Actor, structure: str | int | Structure,
                action: str) -> Structure:
    """The option, if `actor` may read it for `action`; the baseline is refused."""
    from planner.structures.options import NotAnOption, readable_option

    option = readable_option(session, actor, structure, action)
    if option.kind != "option":
        raise NotAnOption(f"{option.name} is the current establishment: consult on an option, "
                          f"not the establishment.")
    return option


def _plan_row(session: Session, structure_id: int, *, lock: bool = False) -> Any:
    from sqlmodel import select

    from planner.core.models import ConsultationPlan as PlanRow

    q = select(PlanRow).where(PlanRow.structure_id == structure_id)
    if lock:
        q = q.with_for_update().execution_options(populate_existing=True)
    return session.exec(q).first()


def _fields_of(row: Any) -> PlanFields:
    if row is None:
        return PlanFields()
    return PlanFields(**{f: getattr(row, f) for f in _PLAN_FIELDS}, version=row.version)


def _lock_structure(session: Session, structure_id: int) -> None:
    """FOR UPDATE on the option row (PostgreSQL), so two first saves cannot both create rows;
    SQLite write sessions already hold the database lock."""
    from sqlmodel import select

    from planner.core.models import Structure

    session.exec(select(Structure).where(Structure.id == structure_id).with_for_update()
                 .execution_options(populate_existing=True)).one()


def _baseline_people(session: Session) -> pd.DataFrame:
    """Every occupancy of the baseline: person, contract, pay basis, and the post's details."""
    from sqlalchemy import select as sa_select

    from planner.core.models import Occupancy, Person, Post
    from planner.establishment.register import baseline_id

    cols = ["person_id", "employee_id", "name", "contract", "scp", "annual_salary_pence",
            "start_date", "continuous_service_date", "fte", "post_pk", "post_id", "title",
            "grade", "division", "team"]
    sid = baseline_id(session)
    if sid is None:
        return pd.DataFrame(columns=cols)
    o, pe, p = Occupancy.__table__, Person.__table__, Post.__table__
    q = (sa_select(pe.c.id, pe.c.employee_ref, pe.c.name, pe.c.contract, pe.c.scp,
                   pe.c.annual_salary_pence, pe.c.start_date, pe.c.continuous_service_date,
                   o.c.fte, p.c.id, p.c.post_ref, p.c.title, p.c.grade, p.c.division, p.c.team)
         .select_from(o.join(pe, o.c.person_id == pe.c.id).join(p, o.c.post_id == p.c.id))
         .where(p.c.structure_id == sid).order_by(pe.c.employee_ref, p.c.post_ref))
    rows = [tuple(r) for r in session.connection().execute(q)]
    return pd.DataFrame(rows, columns=cols)


def _deleted_post_pks(session: Session, option: Structure) -> set[int]:
    """Baseline Post ids the option deletes (the options difference list's "deleted" rows)."""
    from planner.establishment.register import baseline_id
    from planner.structures.options import lineage_difference, lineage_frame

    sid = baseline_id(session)
    if sid is None:
        return set()
    fa = lineage_frame(session, sid)
    frame = lineage_difference(fa, lineage_frame(session, option.id))
    pk_of = dict(zip(fa["post_id"], fa["baseline_pk"], strict=True))
    gone = frame.loc[frame["change"] == "deleted", "post_id"].tolist()
    return {int(pk_of[r]) for r in gone if pk_of.get(r) is not None}


def _annual_pay(session: Session, people: pd.DataFrame, today: dt.date) -> dict[int, int | None]:
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
        if salary is not None and not _isnan(salary):
            value = int(salary)
        elif scp is not None and not _isnan(scp) and spine is not None:
            try:
                value = spine.value(int(scp))
            except NotFound:
                value = None
        out[int(pid)] = value
    return out


def _isnan(value: Any) -> bool:
    return isinstance(value, float) and value != value


def _stages_frame(session: Session, structure_id: int, today: dt.date) -> pd.DataFrame:
    from sqlmodel import select

    from planner.core.models import ConsultationStage

    saved = {s.key: s for s in session.exec(select(ConsultationStage).where(
        ConsultationStage.structure_id == structure_id))}
    rows = []
    for key, name in STAGE_TEMPLATE:
        s = saved.get(key)
        if s is None:
            rows.append({"id": None, "key": key, "position": _STAGE_POSITIONS[key], "name": name,
                         "planned_start": None, "planned_end": None, "actual_start": None,
                         "actual_end": None, "owner": "", "status": "not started", "notes": "",
                         "version": 0, "overdue": False})
        else:
            rows.append({"id": s.id, "key": key, "position": s.position, "name": s.name,
                         "planned_start": s.planned_start, "planned_end": s.planned_end,
                         "actual_start": s.actual_start, "actual_end": s.actual_end,
                         "owner": s.owner, "status": s.status, "notes": s.notes,
                         "version": s.version,
                         "overdue": stage_overdue(s.planned_end, s.status, today)})
    return pd.DataFrame(rows, columns=STAGE_COLUMNS).astype({"id": object})


def consultation_view(*, session: Session, actor: Actor, structure: str | int | Structure,
                      today: dt.date | None = None) -> ConsultationView:
    """The collective consultation of an option, checked against TULRCA 1992 ss.188-193 and
    ERA 1996 s.86, as of `today`.

    Proposed dismissals are the permanent and fixed-term occupants of the posts the option
    deletes (s.188(1)); interims and agency workers are listed for s.188(4)(g) instead. The
    figures need no personal data, so a union rep (consultation.read) sees them for a published
    option; the people list (`people`) needs personal.read and is None otherwise. Breaches and
    warnings are sentences with counts, never names.

    The protective award (TULRCA 1992 s.189, DOMAIN.md §2) exists only where s.188 applied and
    was not complied with, so its cap (`exposure_pence`, each person's `exposure_pence`) is
    worked out only where s.188 applies (20 or more proposed dismissals), and only for a
    viewer with personal.read (hr, manager, admin): a union rep's view holds no exposure, no
    per-person figure and no notice date derived from the people (those sentences are left
    out of their breaches and warnings; the plan's own dates stay).
    """
    from planner.core.auth import can
    from planner.core.config import get_settings
    from planner.structures.pay import fte_units

    today = today or dt.date.today()
    option = _option_for(session, actor, structure, "consultation.read")
    assert option.id is not None
    plan = _fields_of(_plan_row(session, option.id))
    local = get_settings().local_consultation_minimum_days
    everyone = _baseline_people(session)
    gone = _deleted_post_pks(session, option)
    at_risk = everyone[everyone["post_pk"].isin(gone)]
    counted_ids = sorted(set(at_risk.loc[at_risk["contract"].isin(COUNTED_CONTRACTS),
                                         "person_id"]))
    agency_ids = set(at_risk.loc[at_risk["contract"].isin(AGENCY_CONTRACTS), "person_id"])
    employee_ids = set(everyone.loc[everyone["contract"].isin(EMPLOYEE_CONTRACTS), "person_id"])
    proposed = len(counted_ids)

    check = None
    if plan.launch_on is not None:
        check = check_plan(proposed=proposed, launch=plan.launch_on,
                           first_dismissal=plan.first_dismissal_on, hr1_sent=plan.hr1_sent_on,
                           notices_issued=plan.notices_issued_on, local_minimum_days=local)
    planned = plan.first_dismissal_on or (check.earliest_first_dismissal if check else None)
    personal = can(actor, "personal.read")
    # No award without s.188 (s.189(1)); none in a view without personal data.
    award = s188_applies(proposed) and personal
    days = protective_award_max_days(planned or today) if award else None

    # One row per person at risk (a person in two deleted posts is one dismissal).
    annual = _annual_pay(session, at_risk, today)
    # A week's pay is the person's whole pay: every baseline post they hold counts.
    all_fte: dict[int, int] = {}
    held = everyone[everyone["person_id"].isin(set(at_risk["person_id"]))]
    for pid, fte in zip(held["person_id"], held["fte"], strict=True):
        all_fte[int(pid)] = all_fte.get(int(pid), 0) + fte_units(fte)
    rows = []
    for pid, group in at_risk.groupby("person_id", sort=False):
        first = group.iloc[0]
        counted = first["contract"] in COUNTED_CONTRACTS
        start = as_date(first["continuous_service_date"]) or as_date(first["start_date"])
        years = weeks = latest = weekly = exposure = None
        if counted:
            if start is not None and planned is not None:
                years = complete_years(start, planned)
                weeks = notice_weeks_for(start, planned)
                latest = latest_notice_date(planned, weeks)
            if annual.get(int(pid)) is not None:
                weekly = weekly_pay_pence(int(annual[int(pid)]), all_fte[int(pid)])
                if days is not None:
                    exposure = protective_award_exposure(people=1, weekly_pay_pence=weekly,
                                                         days=days)
        rows.append({"employee_id": first["employee_id"], "name": first["name"],
                     "contract": first["contract"], "counted": counted,
                     "post_id": "; ".join(group["post_id"]), "title": "; ".join(group["title"]),
                     "grade": "; ".join(group["grade"]), "continuous_service_date": start,
                     "service_years": years, "notice_weeks": weeks, "latest_notice_date": latest,
                     "weekly_pay_pence": weekly, "exposure_pence": exposure})
    # Object columns keep None (not NaN) where a figure does not apply.
    people = pd.DataFrame(rows, columns=PEOPLE_AT_RISK_COLUMNS, dtype=object)
    people["counted"] = people["counted"].astype(bool)
    counted_rows = people[people["counted"].astype(bool)]
    exposure_pence = (int(sum(v for v in counted_rows["exposure_pence"] if v is not None))
                      if award else None)

    breaches = list(check.breaches) if check else []
    warnings: list[str] = []
    if personal:  # worked out from each person's notice: not for a union rep's view
        breaches += _notice_breaches(plan, counted_rows)
    stages = _stages_frame(session, option.id, today)
    for name, end, status in zip(stages["name"], stages["planned_end"], stages["status"],
                                 strict=True):
        if stage_overdue(end, status, today):
            warnings.append(f"Stage '{name}' was planned to end on {long_date(end)} and is not "
                            f"done.")
    warnings += _plan_warnings(plan, check, counted_rows, today, personal=personal,
                               award=award)

    descriptions = _descriptions(at_risk, everyone)
    agency = _agency(everyone)
    return ConsultationView(
        structure_id=option.id, structure_name=option.name, structure_status=option.status,
        plan=plan, employees=len(employee_ids), proposed=proposed,
        agency_workers=len(agency_ids), local_minimum_days=local, check=check,
        planned_first_dismissal=planned, exposure_pence=exposure_pence, exposure_days=days,
        breaches=breaches, warnings=warnings, stages=stages, descriptions=descriptions,
        agency=agency, people=people if personal else None, today=today)


def _notice_breaches(plan: PlanFields, counted: pd.DataFrame) -> list[str]:
    """Notices issued too late for the planned first dismissal (ERA 1996 s.86), as counts."""
    if plan.notices_issued_on is None or plan.first_dismissal_on is None:
        return []
    late = [w for w, last in zip(counted["notice_weeks"], counted["latest_notice_date"],
                                 strict=True)
            if w is not None and last is not None and plan.notices_issued_on > last]
    if not late:
        return []
    return [f"Notices were issued on {long_date(plan.notices_issued_on)}, but for "
            f"{_people(len(late))} at risk the statutory notice (up to "
            f"{_plural(max(late), 'week')}, ERA 1996 s.86) would end after the planned first "
            f"dismissal on {long_date(plan.first_dismissal_on)}."]


def _people(n: int) -> str:
    return "1 person" if n == 1 else f"{n} people"


def _plan_warnings(plan: PlanFields, check: ConsultationPlan | None, counted: pd.DataFrame,
                   today: dt.date, *, personal: bool = True, award: bool = True) -> list[str]:
    """What needs doing soon: s.188(4) texts, HR1 near its deadline, notice dates passing,
    people whose pay is unknown. The last two come from each person's notice and pay: only
    with `personal` (and the pay one only where a protective award is possible, `award`)."""
    warnings: list[str] = []
    if plan.launch_on is not None:
        missing = [f"{what} ({rule})" for field_, what, rule in S188_TEXTS
                   if not getattr(plan, field_).strip()]
        if missing:
            warnings.append("The s.188(4) information is incomplete: " + "; ".join(missing)
                            + " still to be written. Consultation does not begin until the "
                              "representatives have it all (TULRCA 1992 s.188(4)).")
    if check is not None and check.hr1_deadline is not None and plan.hr1_sent_on is None:
        left = (check.hr1_deadline - today).days
        if left < 0:
            warnings.append(f"HR1 was due at the Redundancy Payments Service by "
                            f"{long_date(check.hr1_deadline)} and none is recorded as sent "
                            f"(TULRCA 1992 s.193; failing to notify is an offence, s.194).")
        elif left <= HR1_WARNING_DAYS:
            warnings.append(f"HR1 must reach the Redundancy Payments Service by "
                            f"{long_date(check.hr1_deadline)}, in {_plural(left, 'day')}, and none "
                            f"is recorded as sent (TULRCA 1992 s.193).")
    if plan.notices_issued_on is None and personal:
        dates = [d for d in counted["latest_notice_date"] if d is not None]
        passed = [d for d in dates if d < today]
        if passed:
            warnings.append(f"The latest date to give statutory notice for the planned first "
                            f"dismissal has passed for {_people(len(passed))} at risk (the earliest was {long_date(min(passed))}) and no notices "
                            f"are recorded (ERA 1996 s.86).")
    no_pay = int(sum(1 for v in counted["weekly_pay_pence"] if v is None)) if award else 0
    if no_pay:
        who = "1 employee at risk has" if no_pay == 1 else f"{no_pay} employees at risk have"
        warnings.append(f"{who} neither a salary nor a spinal point with a value: the "
                        f"protective award cap leaves them out.")
    return warnings


def _descriptions(at_risk: pd.DataFrame, everyone: pd.DataFrame) -> pd.DataFrame:
    """s.188(4)(b)-(c): proposed dismissals and employees of each description (title, grade)."""
    counted = at_risk[at_risk["contract"].isin(COUNTED_CONTRACTS)]
    employed = everyone[everyone["contract"].isin(EMPLOYEE_CONTRACTS)]
    rows = []
    for (title, grade), group in counted.groupby(["title", "grade"], sort=True):
        same = employed[(employed["title"] == title) & (employed["grade"] == grade)]
        rows.append({"title": title, "grade": grade, "proposed": group["person_id"].nunique(),
                     "employed": same["person_id"].nunique()})
    return pd.DataFrame(rows, columns=DESCRIPTION_COLUMNS)


def _agency(everyone: pd.DataFrame) -> pd.DataFrame:
    """s.188(4)(g): agency workers (interims included) at the establishment, where they work
    and the type of work, as counts. The paragraph covers every agency worker the employer
    uses at the establishment, not only those in deleted posts."""
    cover = everyone[everyone["contract"].isin(AGENCY_CONTRACTS)]
    rows = [{"division": d, "team": t, "title": ti, "contract": c,
             "workers": g["person_id"].nunique()}
            for (d, t, ti, c), g in cover.groupby(["division", "team", "title", "contract"],
                                                   sort=True)]
    return pd.DataFrame(rows, columns=AGENCY_COLUMNS)


def _plan_errors(fields: PlanFields, today: dt.date) -> list[Any]:
    from planner.core.errors import RowError

    errors: list[RowError] = []
    if len(fields.establishment.strip()) > MAX_ESTABLISHMENT:
        errors.append(RowError("consultation_plan", None, "establishment",
                               f"{len(fields.establishment.strip())} characters is too long; "
                               f"the limit is {MAX_ESTABLISHMENT}."))
    for name, what, _rule in S188_TEXTS:
        text = getattr(fields, name).strip()
        if len(text) > MAX_TEXT:
            errors.append(RowError("consultation_plan", None, name,
                                   f"{what[0].upper()}{what[1:]}: {len(text)} characters is too "
                                   f"long; the limit is {MAX_TEXT}."))
    for name, what in (("hr1_sent_on", "HR1 received by the Redundancy Payments Service"),
                       ("notices_issued_on", "Notices of dismissal issued")):
        day = getattr(fields, name)
        if day is not None and day > today:
            errors.append(RowError("consultation_plan", None, name,
                                   f"{what} on {long_date(day)} has not happened yet: today is "
                                   f"{long_date(today)}. Record it once it has."))
    return errors


def save_plan(*, session: Session, actor: Actor, structure: str | int | Structure,
              fields: PlanFields, today: dt.date | None = None) -> PlanFields:
    """Save an option's consultation plan (consultation.edit): dates and the s.188(4) texts.

    `fields.version` is the version read (0: no plan saved yet). Refused (nothing saved) for
    texts over 4000 characters (an establishment name over 200) or an HR1 or notice date after
    today (they record events, s.193); StaleVersion when someone saved the plan meanwhile.
    Texts are stored stripped. Returns what was saved, with its new version.
    """
    from planner.core import audit
    from planner.core.auth import require
    from planner.core.errors import StaleVersion, ValidationFailed
    from planner.core.models import ConsultationPlan as PlanRow

    require(actor, "consultation.edit", "consultation_plan")
    today = today or dt.date.today()
    option = _option_for(session, actor, structure, "consultation.edit")
    _not_archived(option)
    assert option.id is not None
    errors = _plan_errors(fields, today)
    if errors:
        raise ValidationFailed(errors)
    _lock_structure(session, option.id)
    row = _plan_row(session, option.id, lock=True)
    current = row.version if row is not None else 0
    if current != fields.version:
        raise StaleVersion(f"Nothing was saved: the consultation plan of {option.name} changed "
                           f"after you opened it (it is at version {current}, you read version "
                           f"{fields.version}). Reload, then make your change again.")
    before = _plan_state(_fields_of(row)) if row is not None else None
    if row is None:
        row = PlanRow(structure_id=option.id, version=0)
    for name in _PLAN_FIELDS:
        value = getattr(fields, name)
        setattr(row, name, value.strip() if isinstance(value, str) else value)
    row.version += 1
    session.add(row)
    session.flush()
    saved = _fields_of(row)
    audit.record(session, actor=actor, action="save" if before else "create",
                 entity="consultation_plan", entity_id=str(option.id), before=before,
                 after=_plan_state(saved))
    return saved


def _plan_state(fields: PlanFields) -> dict[str, Any]:
    return asdict(fields)


_STAGE_FIELDS = ("planned_start", "planned_end", "actual_start", "actual_end", "owner", "status",
                 "notes")


def _cell_text(value: Any) -> str:
    """An editor cell as stripped text; None and NaN (an emptied cell) are blank."""
    return "" if value is None or _isnan(value) else str(value).strip()


def _stage_errors(rows: list[dict[str, Any]],
                  today: dt.date) -> tuple[list[Any], list[dict[str, Any]]]:
    """Check every row (RowError per row and column; row = 1-based position in `rows`) and
    return the rows cleaned: dates as dates, texts stripped."""
    from planner.core.errors import RowError
    from planner.core.models import STAGE_STATUSES

    errors: list[RowError] = []
    clean: list[dict[str, Any]] = []
    seen: set[str] = set()
    for n, raw in enumerate(rows, start=1):
        def err(column: str, message: str, n: int = n) -> None:
            errors.append(RowError("stages", n, column, message))

        key = str(raw.get("key") or "")
        if key not in _STAGE_NAMES:
            err("key", f"Unknown stage {key!r}; expected one of "
                       f"{', '.join(_STAGE_NAMES)}.")
        elif key in seen:
            err("key", f"Stage {key!r} appears twice.")
        seen.add(key)
        version = raw.get("version")
        row: dict[str, Any] = {"key": key, "version": 0 if version is None or _isnan(version)
                               else int(version)}
        for column in ("planned_start", "planned_end", "actual_start", "actual_end"):
            try:
                row[column] = as_date(raw.get(column))
            except ValueError:
                err(column, f"{raw.get(column)!r} is not a date (YYYY-MM-DD).")
                row[column] = None
        status = _cell_text(raw.get("status")) or "not started"
        if status not in STAGE_STATUSES:
            err("status", f"Unknown status {status!r}; expected one of "
                          f"{', '.join(STAGE_STATUSES)}.")
        row["status"] = status
        row["owner"] = _cell_text(raw.get("owner"))
        row["notes"] = _cell_text(raw.get("notes"))
        if len(row["owner"]) > MAX_OWNER:
            err("owner", f"{len(row['owner'])} characters is too long; the limit is "
                         f"{MAX_OWNER}.")
        if len(row["notes"]) > MAX_TEXT:
            err("notes", f"{len(row['notes'])} characters is too long; the limit is "
                         f"{MAX_TEXT}.")
        for kind in ("planned", "actual"):
            start, end = row[f"{kind}_start"], row[f"{kind}_end"]
            if start is not None and end is not None and end < start:
                err(f"{kind}_end", f"The {kind} end, {long_date(end)}, is before the {kind} "
                                   f"start, {long_date(start)}.")
        for column in ("actual_start", "actual_end"):
            day = row[column]
            if day is not None and day > today:
                err(column, f"An actual date records what happened: {long_date(day)} is after "
                            f"today, {long_date(today)}. Plan it instead.")
        if status == "done" and row["actual_end"] is None:
            err("actual_end", "A stage marked done needs the date it actually ended.")
        clean.append(row)
    return errors, clean


def save_stages(*, session: Session, actor: Actor, structure: str | int | Structure,
                rows: list[dict[str, Any]], today: dt.date | None = None) -> int:
    """Save an option's stages (DOMAIN.md §7) from the stages table (consultation.edit).

    Each row: key, planned_start, planned_end, actual_start, actual_end, owner, status, notes,
    version (the version read; 0 while the option has no saved stages, and the first save
    creates every template stage). All or nothing: every problem comes back as a RowError
    (unknown key or status, an end before its start, an actual date after today, "done" with
    no actual end); StaleVersion when a stage changed since it was read. Returns the number
    of stages written (created or changed); each is audited.
    """
    from sqlmodel import select

    from planner.core import audit
    from planner.core.auth import require
    from planner.core.errors import StaleVersion, ValidationFailed
    from planner.core.models import ConsultationStage

    require(actor, "consultation.edit", "consultation_stage")
    today = today or dt.date.today()
    option = _option_for(session, actor, structure, "consultation.edit")
    _not_archived(option)
    assert option.id is not None
    errors, clean = _stage_errors(rows, today)
    if errors:
        raise ValidationFailed(errors)
    _lock_structure(session, option.id)
    saved = {s.key: s for s in session.exec(select(ConsultationStage).where(
        ConsultationStage.structure_id == option.id))}
    stale = [r["key"] for r in clean
             if r["version"] != (saved[r["key"]].version if r["key"] in saved else 0)]
    if stale:
        names = ", ".join(f"'{_STAGE_NAMES[k]}'" for k in stale)
        raise StaleVersion(f"Nothing was saved: stage(s) {names} of {option.name} changed after "
                           f"you opened them. Reload, then make your change again.")
    given = {r["key"]: r for r in clean}
    written = 0
    for key, name in STAGE_TEMPLATE:
        stage = saved.get(key)
        new = given.get(key)
        if stage is None:
            stage = ConsultationStage(structure_id=option.id, key=key,
                                      position=_STAGE_POSITIONS[key], name=name, version=0)
            before = None
        elif new is None:
            continue
        else:
            before = {f: getattr(stage, f) for f in _STAGE_FIELDS}
            if all(before[f] == new[f] for f in _STAGE_FIELDS):
                continue
        for f in _STAGE_FIELDS:
            if new is not None:
                setattr(stage, f, new[f])
        stage.version += 1
        session.add(stage)
        session.flush()
        written += 1
        audit.record(session, actor=actor, action="save" if before else "create",
                     entity="consultation_stage", entity_id=str(stage.id), before=before,
                     after={"structure_id": option.id, "key": key,
                            **{f: getattr(stage, f) for f in _STAGE_FIELDS},
                            "version": stage.version})
    return written


def view_key(session: Session, structure_id: int) -> tuple[Any, ...]:
    """What `consultation_view` depends on, cheaply: the option's and the establishment's
    versions, the plan's version, the stages' versions, the local-minimum setting and the day
    (notice and overdue stages move with it). A page may cache a view under this key."""
    from sqlalchemy import func
    from sqlalchemy import select as sa_select

    from planner.core.config import get_settings
    from planner.core.models import ConsultationPlan as PlanRow
    from planner.core.models import ConsultationStage, Structure

    s, b = Structure.__table__, Structure.__table__.alias("b")
    conn = session.connection()
    versions = conn.execute(
        sa_select(s.c.version, b.c.version).select_from(s.join(b, b.c.kind == "baseline"))
        .where(s.c.id == structure_id)).first()
    p, st = PlanRow.__table__, ConsultationStage.__table__
    plan = conn.execute(sa_select(p.c.version).where(p.c.structure_id == structure_id)).scalar()
    stages = conn.execute(sa_select(func.count(st.c.id), func.coalesce(func.sum(st.c.version), 0))
                          .where(st.c.structure_id == structure_id)).one()
    return (tuple(versions or ()), plan, tuple(stages),
            get_settings().local_consultation_minimum_days, dt.date.today().isoformat())
