"""TUPE cohorts (DOMAIN.md §3). A cohort is the people who came from one transferor on one
transfer date (`TupeCohort`), with the template's milestones (planner.legal.tupe_rules) and
the ELI and measures records.

The services read and change cohorts and audit every change:
- reading and changing need tupe.read and tupe.edit;
- the members' personal data also needs personal.read;
- every change is version-checked.

`cohort_flags` is the pure rule that says what is wrong with a cohort. After each
establishment import, the people who came by TUPE join their cohort (an import hook).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

import pandas as pd
from sqlalchemy import func, insert
from sqlalchemy import select as sa_select
from sqlmodel import Session, select

from planner.core import audit, hooks
from planner.core.auth import Actor, require
from planner.core.errors import NotFound, RowError, StaleVersion, ValidationFailed
from planner.core.models import (
    TUPE_BASES,
    Occupancy,
    Partner,
    Person,
    Post,
    TupeCohort,
    TupeMember,
    TupeMilestone,
)
from planner.core.values import long_date
from planner.establishment.importer import ImportFollower
from planner.establishment.register import baseline_id
from planner.legal.tupe_rules import (
    DEFAULT_INFORM_WEEKS,
    ELI_ITEMS,
    ELI_KEYS,
    eli_days_before,
    eli_deadline,
    eli_late,
    milestones,
)

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
    m_table = TupeMember.__table__
    members = {(c, p) for c, p in session.connection().execute(
        sa_select(m_table.c.cohort_id, m_table.c.person_id))}
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
        session.flush()
        if joining:
            # One executemany (thousands of members at a large import), not an ORM object each.
            session.connection().execute(insert(m_table), [
                {"cohort_id": cohort.id, "person_id": pid} for pid in joining])
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


def _import_recorded(session: Session, actor: Actor, tables: Any, event_id: int,
                     results: list[Any]) -> None:
    """People who came by TUPE join their cohort once the establishment import is written: a
    consequence of the import the actor was allowed to make (establishment.import), so it
    needs no TUPE permission of its own."""
    sync_after_import(session=session, actor=actor)


hooks.register(hooks.IMPORT, ImportFollower(recorded=_import_recorded), order=20,
               name="TUPE cohorts")
