"""TUPE transfer dates and employee liability information (DOMAIN.md §3): pure functions.

The milestone template runs back and forward from the transfer date T under the Transfer of
Undertakings (Protection of Employment) Regulations 2006 (SI 2006/246, as amended by
SI 2014/16). Transfers between public authorities fall outside TUPE (reg 3(5)). They run
under the Cabinet Office Statement of Practice (COSOP) on TUPE-like terms, so the same
template is a sound plan for them too. The transfer's basis is recorded elsewhere.

Days are counted as in `planner.legal.consultation_rules`: "28 days before T" is
``T - 28 days``, and a date on that day is on time.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

# TUPE 2006 reg 11(6) as amended by SI 2014/16: 28 days for transfers on or after 1 May 2014
# (14 days before). A dated parameter: a change in the law is a new entry, not an edit.
ELI_DAYS_BEFORE: tuple[tuple[dt.date, int], ...] = ((dt.date.min, 14), (dt.date(2014, 5, 1), 28))


# Reg 13(2) fixes no period ("long enough before"); 8 weeks is a planning default [U], a setting.
DEFAULT_INFORM_WEEKS = 8


@dataclass(frozen=True)
class Milestone:
    """One dated step of a transfer; `rule` names the regulation that requires it."""

    name: str
    due: dt.date
    rule: str
    key: str = ""  # stable identifier of the template step, stored on TupeMilestone

    def as_dict(self) -> dict[str, str]:
        return {"name": self.name, "due": self.due.isoformat(), "rule": self.rule}


def eli_days_before(transfer: dt.date) -> int:
    """Days before the transfer by which ELI must be given: TUPE 2006 reg 11(6) (dated)."""
    return sorted((since, days) for since, days in ELI_DAYS_BEFORE if since <= transfer)[-1][1]


def eli_deadline(transfer: dt.date) -> dt.date:
    """The last day the transferee may receive employee liability information: reg 11(6).

    "Not less than 28 days before the relevant transfer" (14 before 1 May 2014), so for a
    transfer on 1 April the deadline is 4 March. Special circumstances allow "as soon as
    reasonably practicable" afterwards, but the plan aims at the deadline.
    """
    return transfer - dt.timedelta(days=eli_days_before(transfer))


def milestones(transfer: dt.date, *, inform_weeks: int = DEFAULT_INFORM_WEEKS) -> list[Milestone]:
    """The DOMAIN.md §3 milestone template for a transfer on `transfer` (T), in date order.

    - measures letter, transferee → transferor, before representatives are informed
      (reg 13(4)): due the day before the inform date;
    - inform appropriate representatives by T − `inform_weeks` weeks (reg 13(2): "long enough
      before" the transfer; 8 weeks is the planning default [U], a setting);
    - employee liability information received by T − 28 days (reg 11(6));
    - consultation on measures finished before T (reg 13(6)): due T − 1 day;
    - on T: payroll with the new employer (reg 4(1)-(2)), pension arrangements (reg 10; for
      council outsourcing the Best Value Authorities Staff Transfers (Pensions) Direction
      2007), particulars naming the new employer (ERA 1996 s.4);
    - from T: changes to terms or dismissals only with an ETO reason or agreement
      (reg 4(4)-(5), reg 7).
    Milestones due the same day keep the template's order.
    """
    if inform_weeks < 1:
        raise ValueError(f"Representatives must be informed at least a week ahead ({inform_weeks}).")
    day = dt.timedelta(days=1)
    inform = transfer - dt.timedelta(weeks=inform_weeks)
    template = [
        Milestone("Measures letter: transferee tells the transferor in writing what measures it "
                  "envisages (or none)", inform - day,
                  "TUPE 2006 reg 13(4): in time for the transferor to inform representatives",
                  key="measures_letter"),
        Milestone("Inform appropriate representatives: the fact, date and reasons; legal, "
                  "economic and social implications; measures envisaged", inform,
                  f"TUPE 2006 reg 13(2): \"long enough before\" the transfer to consult; "
                  f"{inform_weeks} weeks is a planning setting, not a statutory period",
                  key="inform"),
        Milestone("Employee liability information received by the transferee",
                  eli_deadline(transfer),
                  f"TUPE 2006 reg 11(6): not less than {eli_days_before(transfer)} days before "
                  f"the transfer", key="eli"),
        Milestone("Consultation on measures finished, with a view to agreement", transfer - day,
                  "TUPE 2006 reg 13(6): consult representatives where measures are envisaged",
                  key="consult"),
        Milestone("Transfer: payroll with the new employer", transfer,
                  "TUPE 2006 reg 4(1)-(2): contracts and continuity of service transfer",
                  key="payroll"),
        Milestone("Transfer: pension arrangements in place", transfer,
                  "TUPE 2006 reg 10 (pensions outside TUPE); Best Value Authorities Staff "
                  "Transfers (Pensions) Direction 2007 for council outsourcing", key="pension"),
        Milestone("Transfer: particulars naming the new employer given to each employee",
                  transfer, "ERA 1996 s.4: written statement of a change of employer",
                  key="particulars"),
        Milestone("After transfer: changes to terms only with an ETO reason or agreement; "
                  "record the ETO rationale per change", transfer,
                  "TUPE 2006 reg 4(4)-(5) (a change whose sole or principal reason is the "
                  "transfer is void unless agreed for an ETO reason entailing changes in the "
                  "workforce, or the contract permits it); reg 7 (a dismissal because of the "
                  "transfer is automatically unfair unless for an ETO reason)", key="eto"),
    ]
    return sorted(template, key=lambda m: m.due)


def eli_late(transfer: dt.date, received: dt.date | None, *,
             as_of: dt.date | None = None) -> bool:
    """Whether employee liability information is late: TUPE 2006 reg 11(6).

    On time if received on or before T − 28 days: exactly 28 days before is on time, 27 days
    before is late. Not yet received (`received` None) is late once the deadline has passed
    `as_of`; with no `as_of` there is nothing to say it will arrive, so it counts as late.
    """
    deadline = eli_deadline(transfer)
    if received is None:
        return as_of is None or as_of > deadline
    return received > deadline


@dataclass(frozen=True)
class EliItem:
    key: str
    label: str
    rule: str


# TUPE 2006 reg 11(2): what the transferor must give for each assigned employee.
ELI_ITEMS: tuple[EliItem, ...] = (
    EliItem("identity_and_age", "Identity and age", "reg 11(2)(a)"),
    EliItem("particulars", "Written particulars of employment (ERA 1996 s.1)", "reg 11(2)(b)"),
    EliItem("disciplinary_and_grievance",
            "Disciplinary and grievance cases in the last 2 years", "reg 11(2)(c)"),
    EliItem("claims", "Claims brought in the last 2 years, or reasonably expected",
            "reg 11(2)(d)"),
    EliItem("collective_agreements", "Collective agreements that will apply after the transfer",
            "reg 11(2)(e)"),
)


ELI_KEYS: tuple[str, ...] = tuple(item.key for item in ELI_ITEMS)


def eli_missing(items_received: Iterable[str]) -> list[str]:
    """The reg 11(2) items not yet received, as keys in checklist order (TUPE 2006 reg 11(2)).

    An unknown key raises ValueError rather than being ignored: a misspelt item would otherwise
    make the checklist look complete. Labels are in `ELI_ITEMS`. The information must also be
    updated if it changes (reg 11(5)), so an empty answer is true only as of the last update.
    """
    received = set(items_received)
    unknown = sorted(received - set(ELI_KEYS))
    if unknown:
        raise ValueError(f"Unknown ELI item(s) {', '.join(unknown)}; "
                         f"expected some of {', '.join(ELI_KEYS)}.")
    return [key for key in ELI_KEYS if key not in received]
