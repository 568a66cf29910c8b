"""People imported with an origin and a TUPE transfer date join their cohort, whoever imports
them, and a re-import keeps each cohort's ELI and milestone records while re-joining the new
person rows (planner.establishment.importer calls planner.legal.tupe.sync_after_import)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlmodel import select

from planner.core.models import AuditEvent, Person, TupeCohort, TupeMember
from planner.establishment.importer import import_establishment
from planner.legal import tupe, tupe_rules
from tests.establishment.test_importer import PEOPLE, files
from tests.factories import make_actors

D = dt.date
TODAY = D(2026, 11, 27)
CAPITA = D(2016, 4, 1)
SOUTHWARK = D(2017, 11, 1)


def _people(*, drop: str | None = None, rename: dict[str, str] | None = None) -> list[dict]:
    """The importer corpus's people: E2 came from Capita on 1 April 2016; E3 is made a
    Southwark transferee and E4 a second Capita one."""
    rows = [dict(r) for r in PEOPLE]
    for r in rows:
        if r["employee_id"] == "E3":
            r.update(origin="Southwark", tupe_transfer_date=SOUTHWARK.isoformat())
        if r["employee_id"] == "E4":
            r.update(origin="Capita", tupe_transfer_date=CAPITA.isoformat())
        r["name"] = (rename or {}).get(r["employee_id"], r["name"])
    return [r for r in rows if r["employee_id"] != drop]


def _members(session) -> dict[tuple[str, dt.date], list[str]]:
    rows = session.exec(select(TupeCohort.transferor, TupeCohort.transfer_date,
                               Person.employee_ref)
                        .join(TupeMember, TupeMember.cohort_id == TupeCohort.id)
                        .join(Person, Person.id == TupeMember.person_id)).all()
    out: dict[tuple[str, dt.date], list[str]] = {}
    for transferor, transfer, ref in rows:
        out.setdefault((transferor, transfer), []).append(ref)
    return {k: sorted(v) for k, v in out.items()}


@pytest.fixture
def actors(session):
    return make_actors(session)


@pytest.mark.parametrize("role", ["admin", "hr"])
def test_import_creates_cohorts_with_members_audited_as_the_importer(session, actors, role):
    """Catches: an admin's import (no tupe.edit) refused or leaving transferees outside their
    cohort, people with no transfer date joined, or the cohort audited as someone else."""
    import_establishment(session=session, actor=actors[role], today=TODAY,
                         files=files(people=_people()))
    session.commit()
    assert _members(session) == {("Capita", CAPITA): ["E2", "E4"],
                                 ("Southwark", SOUTHWARK): ["E3"]}
    cohorts = {c.transferor: c for c in session.exec(select(TupeCohort))}
    assert cohorts["Capita"].name == "Capita to Brent, 1 Apr 2016"
    assert (cohorts["Capita"].basis, cohorts["Capita"].version) == ("TUPE", 1)
    steps = tupe.cohort_milestones(session=session, actor=actors["hr"],
                                   cohort_id=cohorts["Capita"].id, today=TODAY)
    assert dict(zip(steps["key"], steps["due"], strict=True))["eli"] == D(2016, 3, 4)
    created = session.exec(select(AuditEvent).where(AuditEvent.entity == "tupe_cohort",
                                                    AuditEvent.action == "create")).all()
    assert len(created) == 2 and {e.username for e in created} == {actors[role].username}


def test_reimport_keeps_cohort_state_and_rejoins_new_rows(session, actors):
    """Catches: a re-import deleting cohorts (losing ELI and milestones done), leaving members
    pointing at deleted person rows, or not dropping a person who left."""
    import_establishment(session=session, actor=actors["admin"], today=TODAY,
                         files=files(people=_people()))
    session.commit()
    hr = actors["hr"]
    capita = session.exec(select(TupeCohort).where(TupeCohort.transferor == "Capita")).one()
    cid = capita.id
    tupe.record_eli(session=session, actor=hr, cohort_id=cid, received_on=D(2016, 3, 1),
                    items=list(tupe_rules.ELI_KEYS), expected_version=1, today=TODAY)
    steps = tupe.cohort_milestones(session=session, actor=hr, cohort_id=cid, today=TODAY)
    inform = int(steps.loc[steps["key"] == "inform", "id"].iloc[0])
    tupe.mark_milestone(session=session, actor=hr, milestone_id=inform, done_on=D(2016, 2, 1),
                        today=TODAY)
    session.commit()
    rows_before = {m.person_id: m.id for m in session.exec(select(TupeMember))}

    import_establishment(session=session, actor=hr, today=TODAY,
                         files=files(people=_people(drop="E4", rename={"E2": "T. Nowak"})))
    session.commit()
    assert _members(session) == {("Capita", CAPITA): ["E2"], ("Southwark", SOUTHWARK): ["E3"]}
    again = session.exec(select(TupeCohort).where(TupeCohort.transferor == "Capita")).one()
    assert again.id == cid and again.version == 2
    assert again.eli_received_on == D(2016, 3, 1) and again.eli_items == list(tupe_rules.ELI_KEYS)
    steps = tupe.cohort_milestones(session=session, actor=hr, cohort_id=cid, today=TODAY)
    assert dict(zip(steps["key"], steps["done_on"], strict=True))["inform"] == D(2016, 2, 1)
    members = session.exec(select(TupeMember.person_id)).all()
    people = {p.id: p for p in session.exec(select(Person))}
    assert all(pid in people for pid in members)  # no member points at a deleted row
    assert {people[p].name for p in members} == {"T. Nowak", "Priya Shah"}
    # The import matches people by employee_id: the same person rows, the same memberships.
    assert {m.person_id: m.id for m in session.exec(select(TupeMember))} == {
        p: i for p, i in rows_before.items() if people.get(p) is not None}
    joins = session.exec(select(AuditEvent).where(AuditEvent.entity == "tupe_cohort",
                                                  AuditEvent.action == "join")).all()
    assert joins == []
    assert len(session.exec(select(TupeCohort)).all()) == 2

    # E3 is no longer recorded as a Southwark transferee and E4 comes back from Capita.
    again_people = _people()
    for r in again_people:
        if r["employee_id"] == "E3":
            r.update(origin="Brent", tupe_transfer_date="")
    import_establishment(session=session, actor=hr, today=TODAY, files=files(people=again_people))
    session.commit()
    assert _members(session) == {("Capita", CAPITA): ["E2", "E4"]}
    joins = session.exec(select(AuditEvent).where(AuditEvent.entity == "tupe_cohort",
                                                  AuditEvent.action == "join")).all()
    assert len(joins) == 1 and {e.username for e in joins} == {hr.username}
