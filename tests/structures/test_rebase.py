"""HR imports a changed establishment while two options exist: both survive, rebased, with
every conflict listed (planner.structures.rebase, called by planner.establishment.importer in the import's transaction).
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from sqlmodel import Session, select

from planner.core.errors import PermissionDenied, ValidationFailed
from planner.core.models import (
    AuditEvent,
    EtoRationale,
    Occupancy,
    Person,
    Post,
    RebaseConflict,
    Structure,
    TupeMember,
)
from planner.establishment.importer import import_establishment
from planner.establishment.register import PostEdits
from planner.legal import eto
from planner.structures import comparison, costing, options, rebase
from tests.factories import csv_bytes, make_actors
from tests.factories import posts_frame as rows_frame

TODAY = dt.date(2026, 11, 27)
POSTS = [
    {"post_id": "ICT-001", "title": "Head of ICT", "grade": "SM2"},
    {"post_id": "ICT-002", "title": "Infrastructure Manager", "grade": "PO6",
     "reports_to": "ICT-001"},
    {"post_id": "ICT-003", "title": "Applications Manager", "grade": "PO6",
     "reports_to": "ICT-001"},
    {"post_id": "ICT-010", "title": "Network Engineer", "grade": "PO3", "reports_to": "ICT-002"},
    {"post_id": "ICT-020", "title": "Service Desk Lead", "grade": "SO2",
     "reports_to": "ICT-002"},
    {"post_id": "ICT-030", "title": "Developer", "grade": "PO3", "reports_to": "ICT-003"},
    {"post_id": "ICT-040", "title": "Tester", "grade": "PO2", "reports_to": "ICT-003"},
]
PEOPLE = [
    {"employee_id": "E1", "name": "Ada Brown", "post_id": "ICT-001", "scp": "62"},
    {"employee_id": "E2", "name": "Bea Cole", "post_id": "ICT-002", "scp": "47",
     "origin": "Capita", "tupe_transfer_date": "2016-04-01", "start_date": "2016-04-01"},
    {"employee_id": "E3", "name": "Cal Dunn", "post_id": "ICT-010", "scp": "38"},
    {"employee_id": "E4", "name": "Dee Evans", "post_id": "ICT-020", "scp": "29",
     "origin": "Capita", "tupe_transfer_date": "2016-04-01", "start_date": "2016-04-01"},
    {"employee_id": "E5", "name": "Eli Fox", "post_id": "ICT-030", "scp": "38"},
    {"employee_id": "E6", "name": "Fay Gill", "post_id": "ICT-040", "scp": "35"},
]


def upload(posts: list[dict], people: list[dict]) -> list[tuple[str, bytes]]:
    base = {"contract": "permanent", "fte": "1", "date_of_birth": "1980-01-01"}
    staff = pd.DataFrame([{**base, **r} for r in people], dtype=str).fillna("")
    return [("posts.csv", csv_bytes(rows_frame(posts))), ("people.csv", csv_bytes(staff))]


def changed_establishment() -> list[tuple[str, bytes]]:
    """ICT-010 retitled, ICT-020 regraded to PO5 (Dee Evans with it), ICT-030 deleted, ICT-040
    moved under ICT-002, ICT-050 new (under ICT-002) and Eli Fox moved from ICT-030 into it."""
    posts = [dict(r) for r in POSTS if r["post_id"] != "ICT-030"]
    for r in posts:
        if r["post_id"] == "ICT-010":
            r["title"] = "Senior Network Engineer"
        if r["post_id"] == "ICT-020":
            r["grade"] = "PO5"
        if r["post_id"] == "ICT-040":
            r["reports_to"] = "ICT-002"
    posts.append({"post_id": "ICT-050", "title": "Cloud Engineer", "grade": "PO4",
                  "reports_to": "ICT-002"})
    moved = {"E5": {"post_id": "ICT-050", "scp": "41"}, "E4": {"scp": "43"}}
    people = [{**r, **moved.get(r["employee_id"], {})} for r in PEOPLE]
    return upload(posts, people)


@pytest.fixture
def actors(session):
    return make_actors(session)


def _versions(session: Session, sid: int) -> dict[str, int]:
    return dict(session.exec(select(Post.post_ref, Post.version)
                             .where(Post.structure_id == sid)).all())


def _edit(session: Session, actor, option: Structure, **updated: dict[str, str]) -> None:
    versions = _versions(session, option.id)
    options.edit_option_posts(session=session, actor=actor, structure=option,
                              edits=PostEdits(updated=dict(updated),
                                              versions={k: versions[k] for k in updated}))


def _posts(session: Session, sid: int) -> dict[str, dict]:
    """post_id → title, grade, manager's post_id, the baseline post_id it continues."""
    rows = session.exec(select(Post).where(Post.structure_id == sid)).all()
    ref = {p.id: p.post_ref for p in session.exec(select(Post)).all()}
    return {p.post_ref: {"title": p.title, "grade": p.grade,
                         "reports_to": ref.get(p.reports_to_id, ""),
                         "continues": ref.get(p.baseline_post_id, "")} for p in rows}


@pytest.fixture
def world(session, actors):
    """The establishment, option A (ICT-020 regraded to PO4, ICT-030 deleted; an ETO
    rationale for Dee Evans) and option B (ICT-010 regraded to PO4, ICT-040 moved under
    ICT-001), B archived."""
    hr, manager = actors["hr"], actors["manager"]
    import_establishment(session=session, actor=hr, files=upload(POSTS, PEOPLE), today=TODAY)
    session.commit()
    a = options.create_option(session=session, actor=manager, name="Option A")
    b = options.create_option(session=session, actor=manager, name="Option B")
    session.commit()
    _edit(session, manager, a, **{"ICT-020": {"grade": "PO4"}})
    options.edit_option_posts(session=session, actor=manager, structure=a,
                              edits=PostEdits(deleted=["ICT-030"]))
    _edit(session, manager, b, **{"ICT-010": {"grade": "PO4"}, "ICT-040": {"reports_to": "ICT-001"}})
    session.commit()
    dee = session.exec(select(Person).where(Person.employee_ref == "E4")).one()
    ict020 = session.exec(select(Post).where(Post.structure_id == 1, Post.post_ref == "ICT-020")
                          ).one()
    eto.set_eto_rationale(session=session, actor=hr, structure=a, person_id=dee.id,
                           baseline_post_id=ict020.id, rationale="The desk is re-scoped.",
                           expected_version=0)
    session.refresh(b)
    options.archive_option(session=session, actor=manager, structure=b,
                           expected_version=b.version)
    session.commit()
    return a, b


def test_two_options_survive_a_changed_establishment_with_their_conflicts(session, actors, world):
    """Catches: the import refusing while options exist, deleting and re-inserting the baseline
    (options orphaned, ETO rationales and cohort members lost), a baseline change not carried
    into an option that had not changed it, an option's own change overwritten, a deleted post
    silently dropped from an option, a new post missing from an option (its people would read
    as at risk), an archived option skipped, or a conflict not listed."""
    a, b = world
    base = session.exec(select(Structure).where(Structure.kind == "baseline")).one()
    post_ids = dict(session.exec(select(Post.post_ref, Post.id)
                                 .where(Post.structure_id == base.id)).all())
    person_ids = dict(session.exec(select(Person.employee_ref, Person.id)).all())
    members = {m.person_id: m.id for m in session.exec(select(TupeMember))}
    versions = {a.id: a.version, b.id: b.version}

    summary = import_establishment(session=session, actor=actors["hr"],
                                   files=changed_establishment(), today=TODAY)
    session.commit()

    # Unchanged posts and every person who stayed keep their ids; so do cohort members.
    after_ids = dict(session.exec(select(Post.post_ref, Post.id)
                                  .where(Post.structure_id == base.id)).all())
    assert {k: v for k, v in after_ids.items() if k != "ICT-050"} == {
        k: v for k, v in post_ids.items() if k != "ICT-030"}
    assert dict(session.exec(select(Person.employee_ref, Person.id)).all()) == person_ids
    assert {m.person_id: m.id for m in session.exec(select(TupeMember))} == members
    eto = session.exec(select(EtoRationale)).one()
    assert (eto.structure_id, eto.person_id, eto.baseline_post_id) == (
        a.id, person_ids["E4"], post_ids["ICT-020"])
    fox = session.exec(select(Occupancy).where(Occupancy.person_id == person_ids["E5"])).one()
    assert fox.post_id == after_ids["ICT-050"]

    # Option A: takes the retitle and the new line; keeps its own PO4; gains ICT-050.
    pa = _posts(session, a.id)
    assert pa["ICT-010"]["title"] == "Senior Network Engineer"
    assert pa["ICT-020"]["grade"] == "PO4"
    assert "ICT-030" not in pa  # both deleted it: nothing to say
    assert pa["ICT-040"]["reports_to"] == "ICT-002"
    assert pa["ICT-050"] == {"title": "Cloud Engineer", "grade": "PO4", "reports_to": "ICT-002",
                             "continues": "ICT-050"}
    # Option B (archived, rebased all the same): both changes to ICT-010, the baseline's PO5,
    # its own line for ICT-040, and ICT-030 kept as a post of its own.
    pb = _posts(session, b.id)
    assert (pb["ICT-010"]["title"], pb["ICT-010"]["grade"]) == ("Senior Network Engineer", "PO4")
    assert pb["ICT-020"]["grade"] == "PO5"
    assert pb["ICT-030"] == {"title": "Developer", "grade": "PO3", "reports_to": "ICT-003",
                             "continues": ""}
    assert pb["ICT-040"]["reports_to"] == "ICT-001"
    assert pb["ICT-050"]["continues"] == "ICT-050"

    manager = actors["manager"]
    found = {sid: rebase.list_conflicts(session=session, actor=manager, structure=sid)
             for sid in (a.id, b.id)}
    assert sorted(zip(found[a.id]["post_id"], found[a.id]["kind"], found[a.id]["field"],
                      strict=True)) == [("ICT-020", "both-changed", "grade"),
                                        ("ICT-050", "added", "")]
    assert sorted(zip(found[b.id]["post_id"], found[b.id]["kind"], found[b.id]["field"],
                      strict=True)) == [("ICT-030", "deleted-in-baseline", ""),
                                        ("ICT-040", "both-changed", "reports_to"),
                                        ("ICT-050", "added", "")]
    grade = found[a.id][found[a.id]["kind"] == "both-changed"].iloc[0]
    assert (grade["option_value"], grade["old_value"], grade["new_value"]) == ("PO4", "SO2", "PO5")
    assert grade["message"] == ("ICT-020: the option regraded it to PO4 and the new "
                                "establishment regraded it to PO5; the option's PO4 was kept.")

    # Each option's version moved on, audited with the import's event id.
    for s in (a, b):
        session.refresh(s)
        assert s.version == versions[s.id] + 1
    assert session.get(Structure, b.id).archived
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "import")
                         .order_by(AuditEvent.id.desc())).first()
    assert {r.import_event_id for r in session.exec(select(RebaseConflict))} == {event.id}
    rebases = session.exec(select(AuditEvent).where(AuditEvent.action == "rebase")).all()
    assert {int(e.entity_id) for e in rebases} == {a.id, b.id}
    assert {e.after["import_event_id"] for e in rebases} == {event.id}
    assert [(r.name, r.conflicts) for r in summary.rebased] == [("Option A", 2), ("Option B", 3)]

    # Costing still works and adds up; nobody in A is at risk now that Eli Fox's post exists.
    for s in (a, b):
        cost = costing.cost_structure(session=session, actor=manager, structure_id=s.id)
        assert cost.full_year_total == int(cost.by_post["total"].sum()) > 0
        assert "ICT-050" in set(cost.by_post["post_id"])
    diff = comparison.compare_structures(session=session, actor=manager, base="baseline",
                                      other=a)
    assert diff.people.empty


def test_a_second_import_of_the_same_file_changes_nothing_and_lists_nothing(session, actors,
                                                                             world):
    """Catches: a rebase that treats unchanged posts as changed (every import would bump
    versions, invalidating open grids, and list false conflicts)."""
    a, _ = world
    import_establishment(session=session, actor=actors["hr"], files=changed_establishment(),
                         today=TODAY)
    session.commit()
    versions = _versions(session, a.id)
    conflicts = session.exec(select(RebaseConflict)).all()
    import_establishment(session=session, actor=actors["hr"], files=changed_establishment(),
                         today=TODAY)
    session.commit()
    assert _versions(session, a.id) == versions
    assert len(session.exec(select(RebaseConflict)).all()) == len(conflicts)


def test_a_grid_opened_before_the_import_is_refused_on_save(session, actors, world):
    """Catches: a rebase that changes an option's post without a new post version, so a save
    built on the old grid silently puts the old title back."""
    a, _ = world
    stale = _versions(session, a.id)
    import_establishment(session=session, actor=actors["hr"], files=changed_establishment(),
                         today=TODAY)
    session.commit()
    from planner.core.errors import StaleVersion

    with pytest.raises(StaleVersion):
        options.edit_option_posts(session=session, actor=actors["manager"], structure=a,
                                  edits=PostEdits(updated={"ICT-010": {"title": "Old title"}},
                                                  versions={"ICT-010": stale["ICT-010"]}))


def test_conflicts_resolved_one_or_all_by_manager_or_hr_and_audited(session, actors, world):
    """Catches: conflicts resolvable by a role that may not edit options, resolution not
    audited, or resolved conflicts still listed as open."""
    a, b = world
    import_establishment(session=session, actor=actors["hr"], files=changed_establishment(),
                         today=TODAY)
    session.commit()
    with pytest.raises(PermissionDenied):
        rebase.resolve_conflicts(session=session, actor=actors["admin"], structure=a)
    with pytest.raises(PermissionDenied):  # a union rep reads published options only
        rebase.list_conflicts(session=session, actor=actors["union"], structure=a)
    first = rebase.list_conflicts(session=session, actor=actors["hr"], structure=a)
    assert rebase.resolve_conflicts(session=session, actor=actors["manager"], structure=a,
                                    conflict_ids=[int(first["id"].iloc[0])]) == 1
    with pytest.raises(ValidationFailed):
        rebase.resolve_conflicts(session=session, actor=actors["manager"], structure=a,
                                 conflict_ids=[int(first["id"].iloc[0])])
    assert len(rebase.list_conflicts(session=session, actor=actors["hr"], structure=a)) == 1
    assert rebase.resolve_conflicts(session=session, actor=actors["hr"], structure=a) == 1
    assert rebase.list_conflicts(session=session, actor=actors["hr"], structure=a).empty
    everything = rebase.list_conflicts(session=session, actor=actors["hr"], structure=a,
                                       include_resolved=True)
    assert set(everything["resolved_by"]) == {actors["manager"].username, actors["hr"].username}
    events = session.exec(select(AuditEvent).where(AuditEvent.action == "resolve_conflicts")
                          ).all()
    assert [len(e.after["conflicts"]) for e in events] == [1, 1]
    # B is archived: its conflicts are read (3 open), but marked dealt with only once restored.
    assert len(rebase.list_conflicts(session=session, actor=actors["manager"], structure=b)) == 3
    with pytest.raises(options.ArchivedOption):
        rebase.resolve_conflicts(session=session, actor=actors["manager"], structure=b)


# --- the planning step on its own (pure) --------------------------------------------------------


def _frame(rows: list[tuple], with_lineage: bool = False) -> pd.DataFrame:
    cols = ["id", "post_id", "reports_to", "grade"] + (["baseline_post_id"] if with_lineage
                                                      else [])
    df = pd.DataFrame(rows, columns=cols)
    for f in rebase.FIELDS:
        if f not in df:
            df[f] = "1" if f == "fte" else ""
    return df


def test_a_line_that_would_make_a_cycle_in_the_option_is_kept_and_listed():
    """Catches: a rebase that moves X under Y where the option already put Y under X, leaving
    an option whose hierarchy loops (every chart and layer count would break)."""
    old = _frame([(1, "H", "", "SM2"), (2, "X", "H", "PO6"), (3, "Y", "H", "PO6")])
    new = _frame([(1, "H", "", "SM2"), (2, "X", "Y", "PO6"), (3, "Y", "H", "PO6")])
    option = _frame([(11, "H", "", "SM2", 1), (12, "X", "H", "PO6", 2),
                     (13, "Y", "X", "PO6", 3)], with_lineage=True)
    plan = rebase.plan_rebase(old, new, option)
    assert plan.moves == {}
    assert [(c.post_ref, c.kind) for c in plan.conflicts] == [("X", "reporting-cycle")]


def test_a_new_post_whose_id_the_option_already_uses_joins_or_is_renamed():
    """Catches: a unique-key failure (the whole import refused) when an option already has a
    post with the new baseline post's id."""
    old = _frame([(1, "H", "", "SM2"), (2, "A", "H", "PO6")])
    new = _frame([(1, "H", "", "SM2"), (2, "A", "H", "PO6"), (3, "N", "H", "PO3"),
                  (4, "A2", "H", "PO3")])
    # The option created its own N, and renamed A to A2.
    option = _frame([(11, "H", "", "SM2", 1), (12, "A2", "H", "PO6", 2),
                     (13, "N", "H", "PO3", None)], with_lineage=True)
    plan = rebase.plan_rebase(old, new, option)
    assert plan.joined == {13: 3}
    assert [(a.baseline_id, a.post_ref, a.manager_baseline_id) for a in plan.added] == [
        (4, "A2~2", 1)]
    assert {c.kind for c in plan.conflicts} == {"added"}


def test_the_import_message_names_each_option_and_its_conflicts():
    """Catches: an import message that leaves out an option, its archived state or its
    count of conflicts, or miscounts the options."""
    def done(name: str, conflicts: int, archived: bool = False) -> rebase.RebasedOption:
        return rebase.RebasedOption(structure_id=1, name=name, archived=archived, updated=0,
                                    added=0, detached=0, conflicts=conflicts, version=2)

    assert rebase.rebased_sentence([]) == ""
    assert rebase.rebased_sentence([done("Option A", 1)]) == (
        "1 option was carried onto the new establishment: Option A (1 conflict to review).")
    assert rebase.rebased_sentence([done("Option A", 2), done("Option B", 0, True),
                                    done("Option C", 3)]) == (
        "3 options were carried onto the new establishment: Option A (2 conflicts to review), "
        "Option B, archived (no conflicts) and Option C (3 conflicts to review).")


def test_an_eto_rationale_removed_with_its_person_is_kept_in_the_import_audit(session, actors,
                                                                              world):
    """Catches: a rationale deleted without trace when the person it answers for leaves (the
    row must go: it points at the person), or the import failing on the foreign key."""
    import_establishment(session=session, actor=actors["hr"],
                         files=upload(POSTS, [r for r in PEOPLE if r["employee_id"] != "E4"]),
                         today=TODAY)
    session.commit()
    assert session.exec(select(EtoRationale)).all() == []
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "import")
                         .order_by(AuditEvent.id.desc())).first()
    [gone] = event.after["eto_removed"]
    assert (gone["option"], gone["employee_id"], gone["post_id"], gone["rationale"]) == (
        "Option A", "E4", "ICT-020", "The desk is re-scoped.")


def test_fte_and_partner_merge_three_ways_and_a_move_under_a_post_the_option_deletes():
    """Catches: FTE or partner changes not carried (or carried over the option's own), and a
    post moved under a manager the option deletes (it would point at nothing)."""
    old = _frame([(1, "H", "", "SM2"), (2, "M", "H", "PO6"), (3, "X", "H", "PO3"),
                  (4, "Y", "H", "PO3")])
    new = old.copy()
    new.loc[new["post_id"] == "X", "fte"] = "0.8"
    new.loc[new["post_id"] == "Y", "fte"] = "0.6"
    new.loc[new["post_id"] == "X", "partner"] = "Lewisham"
    new.loc[new["post_id"] == "Y", "reports_to"] = "M"
    # The option deleted M and resized Y to 0.5.
    option = _frame([(11, "H", "", "SM2", 1), (13, "X", "H", "PO3", 3),
                     (14, "Y", "H", "PO3", 4)], with_lineage=True)
    option.loc[option["post_id"] == "Y", "fte"] = "0.5"
    plan = rebase.plan_rebase(old, new, option)
    assert plan.updates == {13: {"fte": "0.8", "partner": "Lewisham"}}
    assert plan.moves == {}
    assert [(c.post_ref, c.kind, c.field) for c in plan.conflicts] == [
        ("Y", "both-changed", "fte"), ("Y", "moved-under-deleted", "reports_to")]
    assert plan.conflicts[0].message == ("Y: the option resized it to 0.5 FTE and the new "
                                         "establishment resized it to 0.6 FTE; the option's "
                                         "0.5 FTE was kept.")
    assert plan.conflicts[1].message == ("Y: the new establishment moved it under M, which the "
                                         "option deletes; it stays under H.")
