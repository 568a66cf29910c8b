"""People mapping (issue 12): defaults, every constraint, the stale save, the audit, the union
refusal, and the s.188 count and equality at-risk group read from a mapping.

The establishment (tests.factories.build_flat_establishment(6)): E01..E06, permanent, each
alone full-time in P01..P06 (PO3) under a vacant head H0. The option deletes P01-P03,
regrades P04 to PO4, keeps P05 and P06 unchanged and adds N1 and N2 (PO3, 1 FTE each).
By hand, without a mapping: s.188 counts the 3 people in deleted posts (E01-E03); the
equality at-risk group is the 4 in deleted or changed posts (E01-E04).
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlmodel import select

from planner.core.errors import PermissionDenied, StaleVersion, ValidationFailed
from planner.core.models import AuditEvent, Person, PersonMapping, Structure
from planner.people import mapping as m

TODAY = dt.date(2026, 12, 3)


def _version(session, oid: int) -> int:
    session.expire_all()
    return session.get(Structure, oid).version


def _save(session, actor, oid, rows, version=None):
    return m.save_mapping(session=session, actor=actor, structure=oid, rows=rows,
                          expected_version=_version(session, oid) if version is None
                          else version)


def _pool(session, actor, oid, name="Pool A", posts=("N2",)):
    return m.save_pool(session=session, actor=actor, structure=oid, name=name, post_ids=posts,
                       expected_version=_version(session, oid))


FULL = [
    {"employee_id": "E01", "outcome": "slotted", "option_post_id": "N1"},
    {"employee_id": "E02", "outcome": "ring-fenced", "pool": "Pool A"},
    {"employee_id": "E03", "outcome": "ring-fenced", "pool": "Pool A", "note": "two for N2"},
    {"employee_id": "E04", "outcome": "slotted", "option_post_id": "P04", "duties_match": 85},
    {"employee_id": "E06", "outcome": "voluntary-redundancy", "strain_fund_pence": 1_234_500},
]


def _mapped(session, actors, oid):
    _pool(session, actors["hr"], oid)
    _save(session, actors["hr"], oid, FULL)
    session.commit()


def test_defaults_unchanged_only_in_posts_kept_as_they_are(world):
    """Catches: a regraded or deleted post's holder defaulting to unchanged, or the kept ones
    left unmapped."""
    session, actors, oid = world
    frame = m.mapping_frame(session=session, actor=actors["manager"], structure=oid)
    got = dict(zip(frame["employee_id"], frame["outcome"], strict=True))
    assert got == {"E01": "", "E02": "", "E03": "", "E04": "", "E05": "unchanged",
                   "E06": "unchanged"}
    assert set(frame["version"]) == {0}
    assert frame.set_index("employee_id").at["E04", "post_id"] == "P04"
    assert not m.has_mapping(session, oid)
    assert m.proposed_dismissals(session, oid) is None
    assert m.at_risk_people(session, oid) is None


def test_saved_rows_read_back(world):
    session, actors, oid = world
    _mapped(session, actors, oid)
    frame = m.mapping_frame(session=session, actor=actors["manager"],
                            structure=oid).set_index("employee_id")
    assert frame.at["E01", "option_post_id"] == "N1"
    assert frame.at["E01", "option_title"] == "Lead Officer"
    assert frame.at["E03", "pool"] == "Pool A"
    assert frame.at["E03", "note"] == "two for N2"
    assert frame.at["E04", "duties_match"] == 85
    # The fund's strain figure is one person's cost: hr's, never a manager's.
    assert frame.at["E06", "strain_fund_pence"] is None
    hr = m.mapping_frame(session=session, actor=actors["hr"], structure=oid)
    assert hr.set_index("employee_id").at["E06", "strain_fund_pence"] == 1_234_500
    assert frame.at["E05", "outcome"] == "unchanged" and frame.at["E05", "version"] == 0
    assert frame.at["E01", "status"] == "proposed" and frame.at["E01", "version"] == 1
    pools = m.pools_frame(session=session, actor=actors["hr"], structure=oid)
    assert pools.to_dict("records")[0] | {"version": 0} == {
        "name": "Pool A", "posts": 1, "post_ids": ["N2"], "members": 2, "version": 0}


@pytest.mark.parametrize(("row", "column", "words"), [
    ({"outcome": "sacked"}, "outcome", "not an outcome"),
    ({"outcome": "slotted"}, "option_post_id", "needs the option post"),
    ({"outcome": "redeployed", "option_post_id": "P01"}, "option_post_id",
     "not a post of this option"),  # P01 is deleted in the option
    ({"outcome": "at-risk", "option_post_id": "N1"}, "option_post_id", "only a person slotted"),
    ({"outcome": "ring-fenced"}, "pool", "needs the pool"),
    ({"outcome": "ring-fenced", "pool": "Nowhere"}, "pool", "not a pool of this option"),
    ({"outcome": "interim-released"}, "outcome", "interim and agency"),
    ({"outcome": "fixed-term-ends"}, "outcome", "fixed-term contracts"),
    ({"outcome": "at-risk", "status": "done"}, "status", "not a status"),
    ({"outcome": "slotted", "option_post_id": "N1", "duties_match": 101}, "duties_match",
     "0 to 100"),
    ({"outcome": "at-risk", "strain_fund_pence": -1}, "strain_fund_pence", "pence"),
])
def test_each_constraint_refused_naming_the_employee(world, row, column, words):
    session, actors, oid = world
    who = actors["hr" if "strain_fund_pence" in row else "manager"]  # hr's figure
    with pytest.raises(ValidationFailed) as caught:
        _save(session, who, oid, [{"employee_id": "E02", **row}])
    [error] = caught.value.errors
    assert error.column == column
    assert words in error.message
    assert error.message.startswith("E02 (Person 02):")
    session.rollback()
    assert not m.has_mapping(session, oid)


def test_only_hr_enters_a_strain_figure(world):
    session, actors, oid = world
    with pytest.raises(ValidationFailed) as exc:
        _save(session, actors["manager"], oid,
              [{"employee_id": "E06", "outcome": "at-risk", "strain_fund_pence": 500}])
    assert [(e.column, "only hr" in e.message) for e in exc.value.errors] == [
        ("strain_fund_pence", True)]
    # A manager's save of other fields keeps hr's figure.
    _save(session, actors["hr"], oid,
          [{"employee_id": "E06", "outcome": "at-risk", "strain_fund_pence": 500}])
    _save(session, actors["manager"], oid, [{"employee_id": "E06", "note": "Asked for VR"}])
    session.expire_all()
    row = session.exec(select(PersonMapping)).one()
    assert (row.strain_fund_pence, row.note) == (500, "Asked for VR")


def test_no_post_filled_beyond_its_fte(world):
    """P05 continues unchanged with E05 in it at 1 FTE: nobody can be slotted in beside them;
    nor can two people share the 1 FTE N1."""
    session, actors, oid = world
    with pytest.raises(ValidationFailed) as caught:
        _save(session, actors["manager"], oid, [
            {"employee_id": "E01", "outcome": "slotted", "option_post_id": "P05"},
            {"employee_id": "E02", "outcome": "slotted", "option_post_id": "N1"},
            {"employee_id": "E03", "outcome": "redeployed", "option_post_id": "N1"}])
    messages = sorted(e.message for e in caught.value.errors)
    assert len(messages) == 3
    assert messages[0].startswith("E01 (Person 01): P05 is a 1 FTE post")
    assert "would fill 2 FTE" in messages[0]
    assert "N1" in messages[1] and "would fill 2 FTE" in messages[1]
    session.rollback()
    # Once E05 is at risk, P05 has room.
    _save(session, actors["manager"], oid, [
        {"employee_id": "E05", "outcome": "at-risk"},
        {"employee_id": "E01", "outcome": "slotted", "option_post_id": "P05"}])


def test_a_person_has_one_outcome(world):
    session, actors, oid = world
    with pytest.raises(ValidationFailed) as caught:
        _save(session, actors["manager"], oid, [
            {"employee_id": "E01", "outcome": "slotted", "option_post_id": "N1"},
            {"employee_id": "E01", "outcome": "slotted", "option_post_id": "N2"},
            {"employee_id": "X99", "outcome": "at-risk"}])
    assert [e.column for e in caught.value.errors] == ["employee_id", "employee_id"]
    assert "named twice" in caught.value.errors[0].message
    assert caught.value.errors[1].message.startswith("X99:")


def test_all_errors_come_back_together(world):
    session, actors, oid = world
    with pytest.raises(ValidationFailed) as caught:
        _save(session, actors["manager"], oid, [
            {"employee_id": "E01", "outcome": "interim-released"},
            {"employee_id": "E02", "outcome": "ring-fenced"},
            {"employee_id": "E03", "outcome": "slotted"}])
    assert [e.message.split(":")[0] for e in caught.value.errors] == [
        "E01 (Person 01)", "E02 (Person 02)", "E03 (Person 03)"]


def test_contract_outcomes_allowed_for_their_contracts(world):
    session, actors, oid = world
    for ref, contract in (("E05", "interim"), ("E06", "fixed_term")):
        person = session.exec(select(Person).where(Person.employee_ref == ref)).one()
        person.contract = contract
        session.add(person)
    session.commit()
    _save(session, actors["hr"], oid, [{"employee_id": "E05", "outcome": "interim-released"},
                                       {"employee_id": "E06", "outcome": "fixed-term-ends"},
                                       {"employee_id": "E01", "outcome": "slotted",
                                        "option_post_id": "N1"},
                                       {"employee_id": "E02", "outcome": "slotted",
                                        "option_post_id": "N2"},
                                       {"employee_id": "E03", "outcome": "redeployed",
                                        "option_post_id": "P05"},
                                       {"employee_id": "E04", "outcome": "slotted",
                                        "option_post_id": "P04"}])
    # A fixed-term contract ending on its agreed date is not a s.188 dismissal (DOMAIN.md §2)
    # and an interim released is not the council's employee: nobody is proposed.
    frame = m.proposed_dismissals(session, oid)
    assert frame is not None and frame.empty
    assert m.dismissal_count(frame) == 0


def test_stale_save_refused_and_nothing_saved(world):
    session, actors, oid = world
    read = _version(session, oid)
    _save(session, actors["manager"], oid, [{"employee_id": "E06", "outcome": "at-risk"}],
          version=read)
    session.commit()
    with pytest.raises(StaleVersion) as caught:
        _save(session, actors["hr"], oid, [{"employee_id": "E05", "outcome": "at-risk"}],
              version=read)
    assert "people mapped (E06)" in str(caught.value)
    session.rollback()
    frame = m.mapping_frame(session=session, actor=actors["hr"], structure=oid)
    assert dict(zip(frame["employee_id"], frame["outcome"], strict=True))["E05"] == "unchanged"


def test_one_audit_event_with_the_changed_rows_and_no_names(world):
    session, actors, oid = world
    _pool(session, actors["hr"], oid)
    before = _version(session, oid)
    _save(session, actors["hr"], oid, FULL)
    session.commit()
    events = session.exec(select(AuditEvent).where(AuditEvent.action == "mapping")).all()
    assert len(events) == 1
    assert events[0].entity == "structure" and events[0].entity_id == str(oid)
    assert sorted(events[0].after["mapping"]) == ["E01", "E02", "E03", "E04", "E06"]
    assert events[0].after["mapping"]["E01"]["option_post_id"] == "N1"
    assert events[0].after["version"] == before + 1
    assert "Person 0" not in str(events[0].after)
    # Saving the same rows again changes nothing: no event, no new version.
    _save(session, actors["hr"], oid, FULL)
    assert _version(session, oid) == before + 1


def test_blank_outcome_returns_to_the_default(world):
    session, actors, oid = world
    _save(session, actors["hr"], oid, [{"employee_id": "E06", "outcome": "at-risk"}])
    assert m.has_mapping(session, oid)
    _save(session, actors["hr"], oid, [{"employee_id": "E06", "outcome": ""}])
    assert not m.has_mapping(session, oid)
    # A slot-in unmapped takes its post (and note) with it, whoever entered them.
    _save(session, actors["hr"], oid, [{"employee_id": "E01", "outcome": "slotted",
                                        "option_post_id": "N1", "note": "agreed",
                                        "strain_fund_pence": 100}])
    _save(session, actors["manager"], oid, [{"employee_id": "E01", "outcome": ""}])
    assert not m.has_mapping(session, oid)


def test_union_refused_even_for_a_published_option(world):
    """A union rep never sees a name, date of birth or cost from the mapping."""
    session, actors, oid = world
    _mapped(session, actors, oid)
    option = session.get(Structure, oid)
    option.status = "published"
    session.add(option)
    session.commit()
    union = actors["union"]
    with pytest.raises(PermissionDenied):
        m.mapping_frame(session=session, actor=union, structure=oid)
    with pytest.raises(PermissionDenied):
        m.pools_frame(session=session, actor=union, structure=oid)
    with pytest.raises(PermissionDenied):
        _save(session, union, oid, [{"employee_id": "E05", "outcome": "at-risk"}])
    with pytest.raises(PermissionDenied):
        _pool(session, union, oid, name="Pool B")
    # Nor the live consultation (issue 13: a union rep reads only the published drafts).
    from planner.legal.consultation import consultation_view

    with pytest.raises(PermissionDenied):
        consultation_view(session=session, actor=union, structure=oid, today=TODAY)
    # admin reads, but does not edit
    m.mapping_frame(session=session, actor=actors["admin"], structure=oid)
    with pytest.raises(PermissionDenied):
        _save(session, actors["admin"], oid, [{"employee_id": "E05", "outcome": "at-risk"}])


def test_archived_option_is_read_only(world):
    from planner.structures.options import ArchivedOption, archive_option

    session, actors, oid = world
    archive_option(session=session, actor=actors["manager"], structure=oid,
                   expected_version=_version(session, oid))
    session.commit()
    with pytest.raises(ArchivedOption):
        _save(session, actors["manager"], oid, [{"employee_id": "E06", "outcome": "at-risk"}])


def test_s188_count_and_people_from_the_mapping(world):
    """Hand count: E06 volunteers (1) + Pool A has 2 members for 1 post (1) = 2. E01 slotted
    into the new N1 and E04 slotted into P04, which the option continues, are neither counted
    nor listed; the proxy counted the 3 people in deleted posts."""
    from planner.legal.consultation import BASIS_POSTS, consultation_view

    session, actors, oid = world
    proxy = consultation_view(session=session, actor=actors["hr"], structure=oid, today=TODAY)
    assert proxy.proposed == 3 and proxy.basis == BASIS_POSTS
    _mapped(session, actors, oid)
    frame = m.proposed_dismissals(session, oid)
    assert sorted(frame["employee_id"]) == ["E02", "E03", "E06"]
    assert m.dismissal_count(frame) == 2
    pool_rows = frame[frame["outcome"] == "ring-fenced"]
    assert set(pool_rows["pool_excess"]) == {1}
    view = consultation_view(session=session, actor=actors["hr"], structure=oid, today=TODAY)
    assert view.proposed == 2
    assert view.basis == m.BASIS_MAPPING and view.unmapped == 0
    assert sorted(view.people["employee_id"]) == ["E02", "E03", "E06"]
    # s.188(4)(b)-(c): which of Pool A's two goes is not known, so the pool is one
    # description with its excess; the proposed column adds up to the count.
    assert view.descriptions.to_dict(orient="records") == [
        {"title": "Officer", "grade": "PO3", "proposed": 1, "employed": 6},
        {"title": "Ring-fenced pool: Pool A", "grade": "PO3", "proposed": 1, "employed": 2}]
    assert int(view.descriptions["proposed"].sum()) == view.proposed


def test_unmapped_people_stay_at_risk_while_the_mapping_is_partial(world):
    """Only E06 mapped (voluntary redundancy): the people not yet mapped keep the proxy's
    answer, so a half-done mapping never undercounts. For s.188, E01-E03 in deleted posts:
    1 + 3 = 4. For the equality analysis, E01-E04 in deleted or regraded posts: 1 + 4 = 5."""
    session, actors, oid = world
    _save(session, actors["hr"], oid, [{"employee_id": "E06",
                                        "outcome": "voluntary-redundancy"}])
    frame = m.proposed_dismissals(session, oid)
    assert m.dismissal_count(frame) == 4
    assert m.at_risk_people(session, oid) == {
        p.id for p in session.exec(select(Person).where(
            Person.employee_ref.in_(["E01", "E02", "E03", "E04", "E06"])))}


def test_equality_at_risk_group_from_the_mapping(world):
    """Proxy: E01-E04 (deleted or regraded posts) = 4. Mapping: E02, E03 (pool), E06 (VR) = 3;
    E04, slotted into the post the option continues, is no longer at risk."""
    from planner.equality.analysis import BASIS_POSTS, analyse

    session, actors, oid = world
    proxy = analyse(session=session, actor=actors["hr"], structure=oid, unsuppressed=True,
                    today=TODAY)
    assert proxy.at_risk_total == 4 and proxy.basis == BASIS_POSTS
    _mapped(session, actors, oid)
    ids = m.at_risk_people(session, oid)
    refs = {p.employee_ref for p in session.exec(select(Person).where(Person.id.in_(ids)))}
    assert refs == {"E02", "E03", "E06"}
    result = analyse(session=session, actor=actors["hr"], structure=oid, unsuppressed=True,
                     today=TODAY)
    assert result.at_risk_total == 3 and result.basis == m.BASIS_MAPPING


def test_deleting_a_mapped_post_unmaps_its_people(world):
    from planner.core.models import Post
    from planner.establishment.register import PostEdits
    from planner.structures.options import edit_option_posts

    session, actors, oid = world
    _mapped(session, actors, oid)
    n2 = session.exec(select(Post).where(Post.structure_id == oid, Post.post_ref == "N1")).one()
    edit_option_posts(session=session, actor=actors["manager"], structure=oid,
                      edits=PostEdits(deleted=["N1"], versions={"N1": n2.version}))
    session.commit()
    frame = m.mapping_frame(session=session, actor=actors["hr"],
                            structure=oid).set_index("employee_id")
    assert frame.at["E01", "outcome"] == "" and frame.at["E01", "version"] == 0


def test_deleting_the_option_deletes_its_mapping(world):
    from planner.core.models import MappingPool, MappingPoolPost
    from planner.structures.options import delete_option

    session, actors, oid = world
    _mapped(session, actors, oid)
    delete_option(session=session, actor=actors["manager"], structure=oid)
    session.commit()
    for model in (PersonMapping, MappingPool, MappingPoolPost):
        assert session.exec(select(model)).all() == []
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "delete",
                                                  AuditEvent.entity == "structure")).one()
    assert event.before["deleted_with_it"]["person_mappings"] == 5


def test_notice_worked_setting(world):
    session, actors, oid = world
    assert session.get(Structure, oid).notice_worked is True
    m.set_notice_worked(session=session, actor=actors["hr"], structure=oid, notice_worked=False,
                        expected_version=_version(session, oid))
    session.commit()
    session.expire_all()
    assert session.get(Structure, oid).notice_worked is False


def test_a_person_removed_by_an_import_loses_their_mapping_rows(world):
    """The import deletes people it no longer names; their outcomes go in the same
    transaction, and the rest of the mapping stays."""
    from planner.establishment.exports import export_tables
    from planner.establishment.importer import import_establishment
    from tests.factories import csv_bytes

    session, actors, oid = world
    _mapped(session, actors, oid)
    tables = export_tables(session=session, actor=actors["hr"])
    people = tables["people"][tables["people"]["employee_id"] != "E06"]
    import_establishment(session=session, actor=actors["hr"], today=TODAY, files=[
        ("posts.csv", csv_bytes(tables["posts"])), ("people.csv", csv_bytes(people)),
        ("partners.csv", csv_bytes(tables["partners"]))])
    session.commit()
    refs = {p.employee_ref for p in session.exec(select(Person).join(
        PersonMapping, PersonMapping.person_id == Person.id))}
    assert refs == {"E01", "E02", "E03", "E04"}
    assert m.dismissal_count(m.proposed_dismissals(session, oid)) == 1  # Pool A's excess


def test_a_note_keeps_a_default_outcome_and_needs_one(world):
    """E05 is unchanged by default: a note alone stores them as unchanged, never unmapped.
    E01 has no default (P01 is deleted): a note without an outcome is refused, not lost."""
    session, actors, oid = world
    _save(session, actors["manager"], oid, [{"employee_id": "E05", "note": "Spoke to them"}])
    frame = m.mapping_frame(session=session, actor=actors["manager"],
                            structure=oid).set_index("employee_id")
    assert (frame.at["E05", "outcome"], frame.at["E05", "note"]) == ("unchanged",
                                                                     "Spoke to them")
    assert frame.at["E05", "version"] == 1
    with pytest.raises(ValidationFailed) as caught:
        _save(session, actors["manager"], oid, [{"employee_id": "E01", "note": "Asked for VR"}])
    assert [(e.column, "choose an outcome first" in e.message)
            for e in caught.value.errors] == [("outcome", True)]


def _frame_one_person_at_a_time(session, option):
    """The mapping frame as it was first written: a loop over people reading cells (kept
    here as the plain reference the column-wise `_frame` must equal)."""
    from decimal import Decimal

    import pandas as pd

    from planner.core.values import decimal_text
    from planner.establishment.register import baseline_id
    from planner.structures.comparison import lineage_frame

    occ = m._people(session)
    base = lineage_frame(session, baseline_id(session)).set_index("id")
    kept, _ = m._continuing(session, option.id)
    stored = m._stored(session, option.id)
    posts = m._option_posts(session, option.id).set_index("id")
    rows = []
    for pid, group in occ.groupby("person_id", sort=False):
        first = group.iloc[0]
        pks = [int(k) for k in group["post_pk"]]

        def joined(col, pks=pks):
            return "; ".join(dict.fromkeys(str(base.at[k, col]) for k in pks))

        default = "unchanged" if all(k in kept for k in pks) else m.UNMAPPED
        s = stored.get(int(pid))
        row = {"person_id": int(pid), "employee_id": first["employee_id"],
               "name": first["name"], "contract": first["contract"], "grade": joined("grade"),
               "team": joined("team"), "division": joined("division"),
               "partner": joined("partner"), "post_id": joined("post_id"),
               "title": joined("title"),
               "fte": decimal_text(sum((Decimal(str(f)) for f in group["occ_fte"]),
                                       Decimal(0))),
               "default_outcome": default, **m._FIELDS, "outcome": default,
               "option_title": "", "version": 0, "post_pks": tuple(pks)}
        if s is not None:
            row.update({"outcome": s.outcome, "pool": s.pool or "", "note": s.note,
                        "status": s.status, "duties_match": s.duties_match,
                        "on_family_leave": s.on_family_leave, "lgps_member": s.lgps_member,
                        "strain_fund_pence": s.strain_fund_pence, "version": s.version})
            if s.post_id is not None and s.post_id in posts.index:
                row["option_post_id"] = posts.at[s.post_id, "post_ref"]
                row["option_title"] = posts.at[s.post_id, "title"]
        rows.append(row)
    out = pd.DataFrame(rows, columns=m.MAPPING_COLUMNS, dtype=object)
    return out.astype({"person_id": "int64", "version": "int64", "on_family_leave": bool,
                       "lgps_member": bool})


def test_the_frame_equals_the_person_by_person_reading(world):
    """Catches: the column-wise frame differing from the plain loop anywhere: a person in
    several posts (values joined once each, FTEs added), job shares, blank teams, part-time
    FTEs, stored rows with and without a post, a pool, a strain figure."""
    from decimal import Decimal

    import pandas.testing as pdt

    from planner.core.models import Occupancy, Post

    session, actors, oid = world
    _mapped(session, actors, oid)
    sid = session.exec(select(Structure).where(Structure.kind == "baseline")).one().id
    post = {p.post_ref: p for p in session.exec(select(Post).where(Post.structure_id == sid))}
    people = {p.employee_ref: p for p in session.exec(select(Person))}
    post["P05"].team = ""  # a blank team reads as the plain loop reads it
    post["P06"].title = "Officer; senior"
    session.add(post["P05"])
    session.add(post["P06"])
    # E05 also holds half of P06 (several posts, FTEs added); E07 job-shares P06 at 0.25.
    occ = session.exec(select(Occupancy).where(Occupancy.person_id == people["E05"].id)).one()
    occ.fte = Decimal("0.5")
    session.add(occ)
    session.add(Occupancy(person_id=people["E05"].id, post_id=post["P06"].id,
                          fte=Decimal("0.50")))
    extra = Person(employee_ref="E07", name="Person 07", contract="fixed_term")
    session.add(extra)
    session.flush()
    session.add(Occupancy(person_id=extra.id, post_id=post["P06"].id, fte=Decimal("0.25")))
    session.add(Occupancy(person_id=extra.id, post_id=post["P04"].id, fte=Decimal("0.25")))
    session.commit()
    option = session.get(Structure, oid)
    got = m._frame(session, option)
    want = _frame_one_person_at_a_time(session, option)
    pdt.assert_frame_equal(got, want)
    e05 = got.set_index("employee_id").loc["E05"]
    assert e05["post_id"] == "P05; P06" and e05["fte"] == "1"
    assert got.set_index("employee_id").at["E07", "post_pks"] == (
        post["P04"].id, post["P06"].id)


def displaced_one_at_a_time(session, option: Structure, *, deleted_only: bool) -> set[int]:
    """The displaced posts worked out post by post with exact Fractions: what the database
    query must give."""
    from fractions import Fraction

    from planner.core.models import Post
    from planner.establishment.register import baseline_id

    sid = baseline_id(session)
    before = {p.id: (p.grade, Fraction(str(p.fte))) for p in session.exec(
        select(Post).where(Post.structure_id == sid))}
    after: dict[int, list] = {}
    for p in session.exec(select(Post).where(Post.structure_id == option.id)):
        if p.baseline_post_id is not None:
            after.setdefault(p.baseline_post_id, []).append((p.grade, Fraction(str(p.fte))))
    return {pid for pid, (grade, fte) in before.items()
            if not after.get(pid) or (not deleted_only and (
                all(g != grade for g, _ in after[pid]) or sum(f for _, f in after[pid]) < fte))}


def test_displaced_posts_equal_the_exact_post_by_post_reading(session):
    """Catches: the database query for displaced posts (issue 16) summing FTE as binary
    floats (0.7 + 0.1 < 0.8, 0.7 + 0.1 + 0.2 < 1), missing a regrade that leaves no post of
    the old grade, or taking a post continued at another grade beside its own as displaced."""
    from decimal import Decimal

    from planner.core.models import Post
    from tests.factories import build_flat_establishment

    build_flat_establishment(session, 9)
    base = {p.post_ref: p for p in session.exec(select(Post))}
    base["P08"].fte = Decimal("0.8")
    option = Structure(name="Option X", kind="option")
    session.add(option)
    session.flush()

    def post(ref, source, grade="PO3", fte="1"):
        session.add(Post(structure_id=option.id, post_ref=ref, title="Officer", grade=grade,
                         fte=Decimal(fte), baseline_post_id=base[source].id if source else None))

    plan = {"P02": [("PO3", "0.7"), ("PO3", "0.1"), ("PO3", "0.2")],  # whole again: kept
            "P03": [("PO3", "0.5"), ("PO3", "0.4")],  # shrunk
            "P04": [("PO4", "1")],  # regraded
            "P05": [("PO4", "0.5"), ("PO3", "0.5")],  # its grade still there: kept
            "P06": [("PO3", "1.2")], "P07": [("PO3", "1")], "H0": [("SM2", "1")],
            "P08": [("PO3", "0.7"), ("PO3", "0.1")],  # 0.8 of 0.8: kept
            "P09": [("PO3", "0.9999")]}  # a ten-thousandth short
    for source, parts in plan.items():
        for i, (grade, fte) in enumerate(parts):
            post(f"{source}-{i}", source, grade, fte)
    post("N1", None)
    session.commit()
    for deleted_only in (False, True):
        expected = displaced_one_at_a_time(session, option, deleted_only=deleted_only)
        assert m._displaced(session, option, deleted_only=deleted_only) == expected
    assert m.displaced_posts(session, option) == {base[r].id for r in
                                                   ("P01", "P03", "P04", "P09")}
    assert m.deleted_posts(session, option) == {base["P01"].id}


@pytest.mark.parametrize("padding", [0, 600])
def test_option_posts_are_named_only_for_the_ids_asked_and_only_in_the_option(world, padding):
    """Catches: the mapped people's option posts looked up in another structure (a baseline
    post with the same id asked for), or the long list (read whole, then kept to the ids)
    naming posts nobody asked for."""
    from planner.core.models import Post
    from planner.people.mapping import _option_posts_named

    session, _, oid = world
    mine = session.exec(select(Post).where(Post.structure_id == oid)).all()
    other = session.exec(select(Post).where(Post.structure_id != oid)).first()
    asked = {mine[0].id, mine[1].id, other.id, *range(10**6, 10**6 + padding)}
    assert _option_posts_named(session, oid, asked) == {
        p.id: (p.post_ref, p.title) for p in mine[:2]}
    assert _option_posts_named(session, oid, set()) == {}


def test_the_kept_frame_holds_one_object_per_repeated_value(world):
    """Catches: the mapping frame (kept for the page) making a Python string per person for
    each grade, team, division, contract and default outcome (issue 16: most of its 50 MB at
    50,000 posts), or the shared values differing from the plain ones."""
    session, actors, oid = world
    frame = m.mapping_frame(session=session, actor=actors["manager"], structure=oid)
    assert len(frame) == 6
    for col in ("grade", "team", "division", "partner", "contract", "default_outcome"):
        values = frame[col].tolist()
        assert all(isinstance(v, str) for v in values)
        assert len({id(v) for v in values}) == len(set(values)), col
    assert frame["default_outcome"].tolist() == ["", "", "", "", "unchanged", "unchanged"]
