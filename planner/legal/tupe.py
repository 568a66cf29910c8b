"""TUPE transfer dates and employee liability information (DOMAIN.md §3): pure functions.

The milestone template runs back and forward from the transfer date T under the Transfer of
Undertakings (Protection of Employment) Regulations 2006 (SI 2006/246, as amended by
SI 2014/16). Transfers between public authorities fall outside TUPE (reg 3(5)) and run under
the Cabinet Office Statement of Practice (COSOP) on TUPE-like terms, so the same template is a
sound plan for them too; the transfer's basis is recorded elsewhere.

Days are counted as in `planner.legal.consultation`: "28 days before T" is ``T - 28 days``, and a
date on that day is on time.

Cohorts: the people who came from one transferor on one transfer date (`TupeCohort`), with the
template's milestones and the ELI and measures records. The services below read and change
them (tupe.read, tupe.edit; the members' personal data also needs personal.read), check
versions and audit every change; `cohort_flags` is the pure rule that says what is wrong.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd
from sqlalchemy import func
from sqlmodel import Session, select

from planner.core import audit, hooks
from planner.core.auth import Actor, require
from planner.core.errors import NotFound, RowError, StaleVersion, ValidationFailed
from planner.core.models import (
    TUPE_BASES,
    EtoRationale,
    Occupancy,
    Partner,
    Person,
    Post,
    Structure,
    TupeCohort,
    TupeMember,
    TupeMilestone,
    utcnow,
)
from planner.core.values import long_date
from planner.establishment.importer import ImportFollower
from planner.establishment.register import baseline_id

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


# --- cohorts: the people, milestones, ELI and measures of one transfer -----------------------

COHORT_COLUMNS = ["id", "name", "transferor", "transferee", "basis", "transfer_date", "people",
                  "eli_received_on", "eli_missing", "flags", "version"]
PEOPLE_COLUMNS = ["employee_id", "name", "post_id", "title", "continuous_service_date",
                  "tupe_transfer_date"]
MILESTONE_COLUMNS = ["id", "key", "name", "due", "done_on", "rule", "status"]
MAX_MEASURES = 4000
_LABELS = {item.key: item.label for item in ELI_ITEMS}


def cohort_name(transferor: str, transferee: str, transfer: dt.date) -> str:
    return f"{transferor} to {transferee}, {long_date(transfer)}"[:200]


def cohort_flags(cohort: TupeCohort, milestones: Sequence[TupeMilestone],
                 today: dt.date) -> list[str]:
    """What is wrong with a cohort's transfer as of `today`, each as a sentence (pure).

    - ELI late: not received by T − 28 days, or received after it (reg 11(6); `eli_late`);
    - ELI incomplete: received, but reg 11(2) items are missing (named by their labels);
    - representatives not informed by the inform milestone's due date (reg 13(2)): not done
      and the date has passed, or done after it;
    - measures not notified: the measures-letter milestone is due (today on or after its date)
      and no notification date is recorded (reg 13(4)).
    """
    flags: list[str] = []
    transfer = cohort.transfer_date
    deadline = eli_deadline(transfer)
    days = eli_days_before(transfer)
    received = cohort.eli_received_on
    if eli_late(transfer, received, as_of=today):
        if received is None:
            flags.append(f"ELI late: employee liability information was not received by "
                         f"{long_date(deadline)}, {days} days before the transfer "
                         f"(TUPE reg 11(6)).")
        else:
            flags.append(f"ELI late: employee liability information arrived on "
                         f"{long_date(received)}, after the deadline of {long_date(deadline)}, "
                         f"{days} days before the transfer (TUPE reg 11(6)).")
    if received is not None:
        missing = [k for k in ELI_KEYS if k not in set(cohort.eli_items or [])]
        if missing:
            flags.append("ELI incomplete: still missing "
                         + ", ".join(f'"{_LABELS[k]}"' for k in missing)
                         + " (TUPE reg 11(2)).")
    by_key = {m.key: m for m in milestones}
    inform = by_key.get("inform")
    if inform is not None and (
            (inform.done_on is None and today > inform.due)
            or (inform.done_on is not None and inform.done_on > inform.due)):
        late = f"; they were informed on {long_date(inform.done_on)}" if inform.done_on else ""
        flags.append(f"Representatives not informed by {long_date(inform.due)}, "
                     f"{cohort.inform_weeks} weeks before the transfer (TUPE reg 13(2)){late}.")
    letter = by_key.get("measures_letter")
    if letter is not None and cohort.measures_notified_on is None and today >= letter.due:
        flags.append(f"Measures not notified to the transferor: {cohort.transferee} was due to "
                     f"tell {cohort.transferor} in writing by {long_date(letter.due)} what "
                     f"measures it envisages, or that there are none (TUPE reg 13(4)).")
    return flags


def _cohort(session: Session, cohort_id: int, *, lock: bool = False) -> TupeCohort:
    q = select(TupeCohort).where(TupeCohort.id == cohort_id)
    if lock:
        # FOR UPDATE (PostgreSQL) so the version check and the write cannot interleave with
        # another save; SQLite write sessions already hold the lock (BEGIN IMMEDIATE).
        q = q.with_for_update().execution_options(populate_existing=True)
    cohort = session.exec(q).first()
    if cohort is None:
        raise NotFound(f"There is no TUPE cohort {cohort_id}.")
    return cohort


def _milestones(session: Session, cohort_id: int) -> list[TupeMilestone]:
    return list(session.exec(select(TupeMilestone).where(TupeMilestone.cohort_id == cohort_id)
                             .order_by(TupeMilestone.due, TupeMilestone.id)))  # type: ignore[arg-type]


def _state(cohort: TupeCohort) -> dict[str, Any]:
    return {"eli_received_on": cohort.eli_received_on, "eli_items": list(cohort.eli_items or []),
            "transferor_measures": cohort.transferor_measures,
            "transferee_measures": cohort.transferee_measures,
            "measures_notified_on": cohort.measures_notified_on, "version": cohort.version}


def _check_version(cohort: TupeCohort, expected: int) -> None:
    if cohort.version != expected:
        raise StaleVersion(f"Nothing was saved: the {cohort.name} cohort changed after you opened "
                           f"it (it is at version {cohort.version}, you read version {expected}). "
                           f"Reload, then make your change again.")


def _not_after_today(day: dt.date | None, today: dt.date, column: str,
                     what: str) -> list[RowError]:
    if day is not None and day > today:
        return [RowError("tupe_cohort", None, column,
                         f"{what} on {long_date(day)} has not happened yet: today is "
                         f"{long_date(today)}.")]
    return []


def sync_cohorts(*, session: Session, actor: Actor) -> int:
    """Put every person with an origin and a TUPE transfer date into the cohort of that
    transferor and date, creating the cohort (transferee: the host partner; basis TUPE;
    milestones from `milestones`) if missing. Idempotent; returns the cohorts created.

    Each created cohort is audited once (with its members); people joining an existing
    cohort are audited once per cohort. Nobody is removed: membership records a transfer that
    happened, whatever later edits to the person say.
    """
    require(actor, "tupe.edit", "tupe_cohort")
    return sync_after_import(session=session, actor=actor)


def sync_after_import(*, session: Session, actor: Actor) -> int:
    """`sync_cohorts` without its permission check, for the establishment import only.

    Joining a cohort follows from the people an import wrote, and that import already needed
    establishment.import (hr or admin); an admin who may import but not edit TUPE records
    would otherwise leave transferees outside their cohort. Audited as the importer.
    """
    people = session.exec(select(Person.id, Person.origin, Person.tupe_transfer_date).where(
        Person.origin != "", Person.tupe_transfer_date.is_not(None))).all()  # type: ignore[union-attr]
    groups: dict[tuple[str, dt.date], list[int]] = {}
    for pid, origin, transfer in people:
        if origin.strip():
            groups.setdefault((origin.strip(), transfer), []).append(pid)
    if not groups:
        return 0
    # The current host (an import's partners sheet may have changed it): new cohorts go to it.
    host = session.exec(select(Partner.name).where(Partner.is_host, Partner.active)).first() or ""
    existing = {(c.transferor, c.transfer_date): c for c in session.exec(select(TupeCohort))}
    members = {(m.cohort_id, m.person_id) for m in session.exec(select(TupeMember))}
    created = 0
    for (origin, transfer), pids in sorted(groups.items()):
        cohort = existing.get((origin, transfer))
        new = cohort is None
        if cohort is None:
            cohort = TupeCohort(name=cohort_name(origin, host, transfer), transferor=origin,
                                transferee=host, basis="TUPE", transfer_date=transfer,
                                inform_weeks=DEFAULT_INFORM_WEEKS)
            session.add(cohort)
            session.flush()
            for m in milestones(transfer, inform_weeks=cohort.inform_weeks):
                session.add(TupeMilestone(cohort_id=cohort.id, key=m.key, name=m.name,
                                          due=m.due, rule=m.rule))
        joining = sorted(p for p in pids if (cohort.id, p) not in members)
        for pid in joining:
            session.add(TupeMember(cohort_id=cohort.id, person_id=pid))
        session.flush()
        if new:
            created += 1
            audit.record(session, actor=actor, action="create", entity="tupe_cohort",
                         entity_id=str(cohort.id),
                         after={"name": cohort.name, "transferor": origin, "transferee": host,
                                "basis": cohort.basis, "transfer_date": transfer,
                                "people": joining, "version": cohort.version})
        elif joining:
            audit.record(session, actor=actor, action="join", entity="tupe_cohort",
                         entity_id=str(cohort.id), after={"people": joining})
    session.flush()
    return created


def cohorts_frame(*, session: Session, actor: Actor, today: dt.date | None = None) -> pd.DataFrame:
    """Every cohort with its size, ELI state and flags as of `today` (default: today)."""
    require(actor, "tupe.read", "tupe_cohort")
    today = today or dt.date.today()
    cohorts = list(session.exec(select(TupeCohort).order_by(
        TupeCohort.transfer_date, TupeCohort.transferor)))  # type: ignore[arg-type]
    counts = dict(session.exec(select(TupeMember.cohort_id, func.count()).group_by(
        TupeMember.cohort_id)).all())  # type: ignore[arg-type]
    steps: dict[int, list[TupeMilestone]] = {}
    for m in session.exec(select(TupeMilestone)):
        steps.setdefault(m.cohort_id, []).append(m)
    rows = []
    for c in cohorts:
        missing = [k for k in ELI_KEYS if k not in set(c.eli_items or [])]
        rows.append({
            "id": c.id, "name": c.name, "transferor": c.transferor, "transferee": c.transferee,
            "basis": c.basis, "transfer_date": c.transfer_date, "people": int(counts.get(c.id, 0)),
            "eli_received_on": c.eli_received_on,
            "eli_missing": "; ".join(_LABELS[k] for k in missing),
            "flags": "; ".join(cohort_flags(c, steps.get(c.id or 0, []), today)),
            "version": c.version,
        })
    return pd.DataFrame(rows, columns=COHORT_COLUMNS)


def cohort_record(*, session: Session, actor: Actor, cohort_id: int) -> TupeCohort:
    """One cohort's stored row (ELI items, both employers' measures, lead time, version): what
    an edit form starts from, under the same permission as the cohorts list (tupe.read)."""
    require(actor, "tupe.read", "tupe_cohort")
    return _cohort(session, cohort_id)


def cohort_people(*, session: Session, actor: Actor, cohort_id: int) -> pd.DataFrame:
    """The members of a cohort with their baseline posts (several joined by "; ") and their
    continuity dates: personal data, so personal.read as well as tupe.read."""
    require(actor, "tupe.read", "tupe_cohort")
    require(actor, "personal.read", "person")
    _cohort(session, cohort_id)
    people = session.exec(select(Person).join(TupeMember, TupeMember.person_id == Person.id)
                          .where(TupeMember.cohort_id == cohort_id)
                          .order_by(Person.employee_ref)).all()
    posts: dict[int, list[Post]] = {}
    sid = baseline_id(session)
    if people and sid is not None:
        found = session.exec(select(Occupancy.person_id, Post)
                             .join(Post, Post.id == Occupancy.post_id)
                             .where(Post.structure_id == sid,
                                    Occupancy.person_id.in_([p.id for p in people]))  # type: ignore[union-attr]
                             .order_by(Post.post_ref)).all()
        for pid, post in found:
            posts.setdefault(pid, []).append(post)
    rows = [{"employee_id": p.employee_ref, "name": p.name,
             "post_id": "; ".join(x.post_ref for x in posts.get(p.id or 0, [])),
             "title": "; ".join(x.title for x in posts.get(p.id or 0, [])),
             "continuous_service_date": p.continuous_service_date,
             "tupe_transfer_date": p.tupe_transfer_date} for p in people]
    return pd.DataFrame(rows, columns=PEOPLE_COLUMNS)


def milestone_status(step: TupeMilestone, today: dt.date) -> str:
    """done once marked; overdue after its due date; due until then."""
    if step.done_on is not None:
        return "done"
    return "overdue" if today > step.due else "due"


def cohort_milestones(*, session: Session, actor: Actor, cohort_id: int,
                      today: dt.date | None = None) -> pd.DataFrame:
    """A cohort's milestones in date order with their status as of `today`."""
    require(actor, "tupe.read", "tupe_cohort")
    today = today or dt.date.today()
    _cohort(session, cohort_id)
    rows = [{"id": m.id, "key": m.key, "name": m.name, "due": m.due, "done_on": m.done_on,
             "rule": m.rule, "status": milestone_status(m, today)}
            for m in _milestones(session, cohort_id)]
    return pd.DataFrame(rows, columns=MILESTONE_COLUMNS)


def mark_milestone(*, session: Session, actor: Actor, milestone_id: int, done_on: dt.date | None,
                   today: dt.date | None = None) -> TupeMilestone:
    """Mark a milestone done on `done_on` (not after today), or not done (None). Audited."""
    require(actor, "tupe.edit", "tupe_milestone")
    today = today or dt.date.today()
    step = session.get(TupeMilestone, milestone_id)
    if step is None:
        raise NotFound(f"There is no TUPE milestone {milestone_id}.")
    errors = _not_after_today(done_on, today, "done_on", "A milestone done")
    if errors:
        raise ValidationFailed(errors)
    before = {"done_on": step.done_on}
    step.done_on = done_on
    session.add(step)
    session.flush()
    audit.record(session, actor=actor, action="mark", entity="tupe_milestone",
                 entity_id=str(step.id), before=before,
                 after={"cohort_id": step.cohort_id, "key": step.key, "done_on": done_on})
    return step


def record_eli(*, session: Session, actor: Actor, cohort_id: int, received_on: dt.date | None,
               items: Iterable[str], expected_version: int,
               today: dt.date | None = None) -> TupeCohort:
    """Record when employee liability information arrived and which reg 11(2) items it held.

    Refused (nothing saved) for an unknown item key, a date after today, or items with no date
    received; StaleVersion if the cohort changed since `expected_version` was read.
    """
    require(actor, "tupe.edit", "tupe_cohort")
    today = today or dt.date.today()
    cohort = _cohort(session, cohort_id, lock=True)
    received = list(dict.fromkeys(items))
    errors: list[RowError] = []
    unknown = [k for k in received if k not in ELI_KEYS]
    if unknown:
        errors.append(RowError("tupe_cohort", None, "eli_items",
                               f"Unknown ELI item(s) {', '.join(unknown)}; expected some of "
                               f"{', '.join(ELI_KEYS)}."))
    if received and received_on is None:
        errors.append(RowError("tupe_cohort", None, "eli_received_on",
                               "Say when the employee liability information arrived: items "
                               "were ticked with no date received."))
    errors += _not_after_today(received_on, today, "eli_received_on",
                               "Employee liability information received")
    if errors:
        raise ValidationFailed(errors)
    _check_version(cohort, expected_version)
    before = _state(cohort)
    cohort.eli_received_on = received_on
    cohort.eli_items = [k for k in ELI_KEYS if k in received]
    return _save(session, actor, cohort, "record_eli", before)


def set_measures(*, session: Session, actor: Actor, cohort_id: int, transferor_measures: str,
                 transferee_measures: str, notified_on: dt.date | None, expected_version: int,
                 today: dt.date | None = None) -> TupeCohort:
    """Record the measures each employer envisages (reg 13(2)(d); "" for none recorded) and
    when the transferee notified its measures to the transferor in writing (reg 13(4))."""
    require(actor, "tupe.edit", "tupe_cohort")
    today = today or dt.date.today()
    cohort = _cohort(session, cohort_id, lock=True)
    errors: list[RowError] = []
    for column, text in (("transferor_measures", transferor_measures),
                         ("transferee_measures", transferee_measures)):
        if len(text) > MAX_MEASURES:
            errors.append(RowError("tupe_cohort", None, column,
                                   f"{len(text)} characters is too long; the limit is "
                                   f"{MAX_MEASURES}."))
    errors += _not_after_today(notified_on, today, "measures_notified_on",
                               "Measures notified to the transferor")
    if errors:
        raise ValidationFailed(errors)
    _check_version(cohort, expected_version)
    before = _state(cohort)
    cohort.transferor_measures = transferor_measures.strip()
    cohort.transferee_measures = transferee_measures.strip()
    cohort.measures_notified_on = notified_on
    return _save(session, actor, cohort, "set_measures", before)


def _save(session: Session, actor: Actor, cohort: TupeCohort, action: str,
          before: dict[str, Any]) -> TupeCohort:
    cohort.version += 1
    session.add(cohort)
    session.flush()
    audit.record(session, actor=actor, action=action, entity="tupe_cohort",
                 entity_id=str(cohort.id), before=before, after=_state(cohort))
    return cohort


# --- editing a cohort, and the ETO rationale of each change an option makes ------------------

MAX_TRANSFEREE = 80
MAX_INFORM_WEEKS = 52
MAX_RATIONALE = 4000
# Milestones whose due date follows the inform lead time (see `milestones`).
_INFORM_KEYS = ("measures_letter", "inform")


def _details(cohort: TupeCohort) -> dict[str, Any]:
    return {"name": cohort.name, "basis": cohort.basis, "transferee": cohort.transferee,
            "inform_weeks": cohort.inform_weeks, "version": cohort.version}


def update_cohort(*, session: Session, actor: Actor, cohort_id: int, basis: str,
                  transferee: str, inform_weeks: int, expected_version: int,
                  today: dt.date | None = None) -> TupeCohort:
    """Change a cohort's basis, transferee and inform lead time (tupe.edit).

    The basis says which rules the transfer runs under (TUPE 2006, or COSOP between public
    bodies under reg 3(5), or a secondment). A new transferee renames the cohort, because the
    name says who the people went to. A new lead time re-dates the measures letter and the
    inform milestone (reg 13(2), (4)), keeping any done date already recorded. Refused
    (nothing saved) for an unknown basis, a blank or over-long transferee, or a lead time
    outside 1-52 weeks; StaleVersion if the cohort changed since `expected_version`.
    """
    require(actor, "tupe.edit", "tupe_cohort")
    del today  # nothing here depends on the date; kept so every edit service reads alike
    cohort = _cohort(session, cohort_id, lock=True)
    transferee = transferee.strip()
    errors: list[RowError] = []
    if basis not in TUPE_BASES:
        errors.append(RowError("tupe_cohort", None, "basis",
                               f"Unknown basis {basis!r}; expected one of "
                               f"{', '.join(TUPE_BASES)}."))
    if not transferee:
        errors.append(RowError("tupe_cohort", None, "transferee",
                               "Say who the people transfer to: the transferee is blank."))
    elif len(transferee) > MAX_TRANSFEREE:
        errors.append(RowError("tupe_cohort", None, "transferee",
                               f"{len(transferee)} characters is too long; the limit is "
                               f"{MAX_TRANSFEREE}."))
    if not 1 <= inform_weeks <= MAX_INFORM_WEEKS:
        errors.append(RowError("tupe_cohort", None, "inform_weeks",
                               f"Representatives are informed between 1 and {MAX_INFORM_WEEKS} "
                               f"weeks before the transfer, not {inform_weeks}."))
    if errors:
        raise ValidationFailed(errors)
    _check_version(cohort, expected_version)
    before = _details(cohort)
    if inform_weeks != cohort.inform_weeks:
        due = {m.key: m.due for m in milestones(cohort.transfer_date, inform_weeks=inform_weeks)}
        for step in _milestones(session, cohort_id):
            if step.key in _INFORM_KEYS and step.key in due:
                step.due = due[step.key]
                session.add(step)
    if transferee != cohort.transferee:
        cohort.name = cohort_name(cohort.transferor, transferee, cohort.transfer_date)
    cohort.basis = basis
    cohort.transferee = transferee
    cohort.inform_weeks = inform_weeks
    cohort.version += 1
    session.add(cohort)
    session.flush()
    audit.record(session, actor=actor, action="update", entity="tupe_cohort",
                 entity_id=str(cohort.id), before=before, after=_details(cohort))
    return cohort


TUPE_CHANGE_COLUMNS = ["person_id", "employee_id", "name", "cohort", "baseline_post_id",
                       "post_id", "title", "grade", "change", "rationale", "recorded_by",
                       "recorded_at", "version", "needs_rationale"]


def _changed_posts(session: Session, option: Structure) -> dict[int, dict[str, str]]:
    """Baseline posts the option changes, by baseline Post.id: ref, title, grade and the
    difference's change text (every change other than "unchanged"; "deleted" included).

    A baseline post continued by more than one option post joins their changes."""
    from planner.structures.comparison import lineage_difference, lineage_frame

    sid = baseline_id(session)
    if sid is None or option.id is None or option.kind != "option":
        return {}
    fa = lineage_frame(session, sid)
    frame = lineage_difference(fa, lineage_frame(session, option.id))
    pk_of = dict(zip(fa["post_id"], fa["baseline_pk"], strict=True))
    title_of = dict(zip(fa["post_id"], fa["title"], strict=True))
    grade_of = dict(zip(fa["post_id"], fa["grade"], strict=True))
    out: dict[int, dict[str, str]] = {}
    for ref, change in zip(frame["baseline_post_id"], frame["change"], strict=True):
        if not ref or change == "unchanged" or pk_of.get(ref) is None:
            continue
        row = out.setdefault(int(pk_of[ref]), {"post_id": ref, "title": title_of[ref],
                                               "grade": grade_of[ref], "change": ""})
        parts = [p for p in row["change"].split("; ") if p]
        parts += [p for p in change.split("; ") if p not in parts]
        row["change"] = "; ".join(parts)
    return out


def _tupe_changes(session: Session, option: Structure) -> pd.DataFrame:
    """`tupe_changes` without the permission checks (callers check)."""
    posts = _changed_posts(session, option)
    rows: list[dict[str, Any]] = []
    if posts:
        found = session.exec(
            select(Person, Occupancy.post_id, TupeCohort.name)
            .join(TupeMember, TupeMember.person_id == Person.id)
            .join(TupeCohort, TupeCohort.id == TupeMember.cohort_id)
            .join(Occupancy, Occupancy.person_id == Person.id)
            .where(Occupancy.post_id.in_(list(posts)))).all()  # type: ignore[attr-defined]
        saved = {(r.person_id, r.baseline_post_id): r for r in session.exec(
            select(EtoRationale).where(EtoRationale.structure_id == option.id))}
        seen: set[tuple[int, int]] = set()
        for person, post_pk, cohort in found:
            key = (int(person.id or 0), int(post_pk))
            if key in seen:  # a person in two cohorts is listed once per post
                continue
            seen.add(key)
            post = posts[post_pk]
            eto = saved.get(key)
            text = eto.rationale if eto is not None else ""
            rows.append({
                "person_id": key[0], "employee_id": person.employee_ref, "name": person.name,
                "cohort": cohort, "baseline_post_id": key[1], "post_id": post["post_id"],
                "title": post["title"], "grade": post["grade"], "change": post["change"],
                "rationale": text, "recorded_by": eto.recorded_by if eto else "",
                "recorded_at": eto.recorded_at if eto else None,
                "version": eto.version if eto else 0, "needs_rationale": not text.strip()})
    rows.sort(key=lambda r: (r["cohort"], r["employee_id"], r["post_id"]))
    return pd.DataFrame(rows, columns=TUPE_CHANGE_COLUMNS)


def tupe_changes(*, session: Session, actor: Actor,
                 structure: str | int | Structure) -> pd.DataFrame:
    """Each post an option changes that a person who came by TUPE occupies, with its ETO
    rationale: TUPE 2006 reg 4(4)-(5) (a change to terms because of the transfer is void
    unless for an economic, technical or organisational reason entailing changes in the
    workforce) and reg 7 (a dismissal because of it is automatically unfair unless for such a
    reason). One row per cohort member and baseline post; `needs_rationale` marks those with
    none yet. Names people, so tupe.read, personal.read and options.read.
    """
    from planner.structures.options import readable_option

    require(actor, "tupe.read", "tupe_cohort")
    require(actor, "personal.read", "person")
    require(actor, "options.read", "structure")
    option = readable_option(session, actor, structure, "options.read")
    return _tupe_changes(session, option)


def _eto_state(row: EtoRationale) -> dict[str, Any]:
    return {"structure_id": row.structure_id, "person_id": row.person_id,
            "baseline_post_id": row.baseline_post_id, "change": row.change,
            "rationale": row.rationale, "version": row.version}


def set_eto_rationale(*, session: Session, actor: Actor, structure: str | int | Structure,
                      person_id: int, baseline_post_id: int, rationale: str,
                      expected_version: int) -> EtoRationale:
    """Record why the option changes this TUPE transferee's post: the ETO reason (TUPE 2006
    reg 4(4)-(5), reg 7), one text per person and baseline post (tupe.edit).

    `expected_version` is the version read (0: none recorded yet). Refused (nothing saved) when
    the option does not change that person's post, or the text is blank or over 4000
    characters; StaleVersion when someone recorded or changed the rationale meanwhile.
    """
    from planner.structures.options import readable_option, require_not_archived

    require(actor, "tupe.edit", "eto_rationale")
    option = readable_option(session, actor, structure, "tupe.edit")
    require_not_archived(option)
    # Serialise on the option row: two first saves would otherwise both see "none yet".
    session.exec(select(Structure).where(Structure.id == option.id).with_for_update()
                 .execution_options(populate_existing=True)).one()
    text = rationale.strip()
    errors: list[RowError] = []
    changes = _tupe_changes(session, option)
    match = changes[(changes["person_id"] == person_id)
                    & (changes["baseline_post_id"] == baseline_post_id)]
    if match.empty:
        errors.append(RowError("eto_rationale", None, "baseline_post_id",
                               f"{option.name} does not change post {baseline_post_id} of a "
                               f"person who came by TUPE (person {person_id}): there is no "
                               f"change to justify."))
    if not text:
        errors.append(RowError("eto_rationale", None, "rationale",
                               "Write the economic, technical or organisational reason: the "
                               "rationale is blank."))
    elif len(text) > MAX_RATIONALE:
        errors.append(RowError("eto_rationale", None, "rationale",
                               f"{len(text)} characters is too long; the limit is "
                               f"{MAX_RATIONALE}."))
    if errors:
        raise ValidationFailed(errors)
    row = session.exec(select(EtoRationale).where(
        EtoRationale.structure_id == option.id, EtoRationale.person_id == person_id,
        EtoRationale.baseline_post_id == baseline_post_id)).first()
    current = row.version if row is not None else 0
    if current != expected_version:
        who = f" by {row.recorded_by}" if row is not None and row.recorded_by else ""
        raise StaleVersion(f"Nothing was saved: this ETO rationale was changed{who} after you "
                           f"opened it (it is at version {current}, you read version "
                           f"{expected_version}). Reload, then make your change again.")
    before = _eto_state(row) if row is not None else None
    if row is None:
        assert option.id is not None
        row = EtoRationale(structure_id=option.id, person_id=person_id,
                           baseline_post_id=baseline_post_id, version=0)
    row.change = str(match.iloc[0]["change"])[:200]
    row.rationale = text
    row.recorded_by = actor.username
    row.recorded_at = utcnow()
    row.version += 1
    session.add(row)
    session.flush()
    audit.record(session, actor=actor, action="set_eto", entity="eto_rationale",
                 entity_id=str(row.id), before=before, after=_eto_state(row))
    return row


def _import_recorded(session: Session, actor: Actor, tables: Any, event_id: int,
                     results: list[Any]) -> None:
    """People who came by TUPE join their cohort once the establishment import is written: a
    consequence of the import the actor was allowed to make (establishment.import), so it
    needs no TUPE permission of its own."""
    sync_after_import(session=session, actor=actor)


hooks.register(hooks.IMPORT, ImportFollower(recorded=_import_recorded), order=20,
               name="TUPE cohorts")
