"""The statutory clock of collective consultation (TULRCA 1992 ss.188-194, DOMAIN.md §2).

The clock covers when consultation must begin, when HR1 is due, and what a protective award
could cost. These are pure functions: callers pass dates and counts, and get back dates,
numbers and breaches.

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
from typing import TYPE_CHECKING

from planner.core.values import long_date

if TYPE_CHECKING:

    pass


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


def plural(n: int, word: str) -> str:
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
    who = f"for {plural(proposed, 'proposed dismissal')}"
    breaches: list[str] = []

    if first_dismissal is not None and minimum is not None:
        gap = (first_dismissal - launch).days
        if gap < minimum:
            source = "s.188 requires" if applies else "the local agreement requires"
            when = (f"{plural(gap, 'day')} after" if gap >= 0
                    else f"{plural(-gap, 'day')} before")
            breaches.append(
                f"First dismissal on {long_date(first_dismissal)} is {when} the consultation "
                f"began; {who} {source} at least {minimum}.")

    if applies and minimum is not None:
        if hr1_sent is not None and first_dismissal is not None:
            lead = (first_dismissal - hr1_sent).days
            if lead < minimum:
                when = (f"{plural(lead, 'day')} before" if lead >= 0
                        else f"{plural(-lead, 'day')} after")
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
