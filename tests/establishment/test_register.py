"""The establishment register: statuses, headline metrics, filters and audited edits."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sqlmodel import Session, select

from planner.core.errors import NotFound, PermissionDenied, StaleVersion, ValidationFailed
from planner.core.models import AuditEvent, Post, Structure
from planner.establishment import register as est
from tests.factories import build_small_establishment, make_actors


def build(session: Session) -> int:
    sid = build_small_establishment(session)
    session.commit()
    return sid


@pytest.fixture
def actors(session):
    return make_actors(session)


@pytest.fixture
def sid(session):
    return build(session)


def test_frame_statuses_and_incumbents(session, actors, sid):
    df = est.establishment_frame(session=session, actor=actors["hr"]).set_index("post_id")
    assert df["status"].to_dict() == {
        "H1": "Filled", "M1": "Filled", "O1": "Covered by interim", "O2": "Vacant",
        "O3": "Filled", "M2": "Covered by interim"}
    assert df.at["M1", "incumbents"] == "Bea Cole; Cal Dunn"
    assert df.at["M1", "staff_fte"] == 1.0
    assert df.at["O1", "interim"] == "Dee Evans"
    assert df.at["O3", "origin"] == "Capita"
    assert df.at["M2", "partner"] == "Lewisham"
    assert df.at["O1", "reports_to"] == "M1"
    assert df.at["H1", "reports_to"] == ""
    assert df.at["O2", "fte"] == "0.5"


def test_headline_metrics_hand_counted(session, actors, sid):
    m = est.headline_metrics(session=session, actor=actors["manager"])
    assert m.as_dict() == {
        "posts": 6,
        "establishment_fte": 5.1,  # 1 + 1 + 1 + 0.5 + 1 + 0.6
        "staff_in_post_fte": 2.8,  # 1 + 0.5 + 0.5 + 0.8
        "vacancies": 3,  # O1, O2, M2 have no employee
        "vacancies_covered_by_interims": 2,  # O1 (interim), M2 (agency)
        "vacant_uncovered": 1,
        "interims": 2,
        "employees": 4,
        "people_by_origin": {"Brent": 1, "Capita": 1, "Lewisham": 2},
    }


def test_union_may_not_read_the_establishment(session, actors, sid):
    with pytest.raises(PermissionDenied):
        est.establishment_frame(session=session, actor=actors["union"])
    with pytest.raises(PermissionDenied):
        est.headline_metrics(session=session, actor=actors["union"])


def test_no_establishment_yet(session, actors):
    with pytest.raises(NotFound, match="no establishment yet"):
        est.establishment_frame(session=session, actor=actors["hr"])


def test_filters(session, actors, sid):
    df = est.establishment_frame(session=session, actor=actors["hr"])
    assert set(est.filter_frame(df, status=["Vacant", "Covered by interim"]).post_id) == {"O1", "O2", "M2"}
    assert set(est.filter_frame(df, grade=["PO2"], status=["Vacant"]).post_id) == {"O2"}
    assert set(est.filter_frame(df, origin=["Lewisham"]).post_id) == {"M1"}
    assert set(est.filter_frame(df, contracts=["permanent"], team=["Core"]).post_id) == {"M1", "O3"}
    assert len(est.filter_frame(df, division=[], grade=None)) == 6
    opts = est.filter_options(df)
    assert opts["status"] == ["Covered by interim", "Filled", "Vacant"]
    assert opts["origin"] == ["Brent", "Capita", "Lewisham"]
    with pytest.raises(KeyError):
        est.filter_frame(df, salary=["1"])


def editor_frame(session, actor):
    return est.establishment_frame(session=session, actor=actor).reset_index(drop=True)


def test_edits_from_editor_maps_positions_to_posts(session, actors, sid):
    df = editor_frame(session, actors["hr"])
    pos = {ref: i for i, ref in enumerate(df.post_id)}
    state = {
        "edited_rows": {pos["O2"]: {"grade": "PO3", "fte": 1.0, "status": "ignored"}},
        "added_rows": [{"post_id": "N1", "title": "Cloud Engineer", "grade": "PO4",
                        "reports_to": "M1"}, {}],
        "deleted_rows": [pos["O1"]],
    }
    edits = est.edits_from_editor(df, state)
    assert edits.updated == {"O2": {"grade": "PO3", "fte": "1"}}
    assert edits.added == [{"post_id": "N1", "title": "Cloud Engineer", "grade": "PO4",
                            "reports_to": "M1"}]
    assert edits.deleted == ["O1"]
    assert edits.versions == {"O2": 1, "O1": 1}


def test_partner_typed_in_lower_case_is_the_partner(session, actors, sid):
    """validate_posts accepts "lewisham" for Lewisham; the write used to look the name up
    exactly and raised KeyError (a traceback on the page)."""
    edits = est.PostEdits(updated={"O2": {"partner": "lewisham"}, "O3": {"partner": "Shared"}},
                          versions={"O2": 1, "O3": 1})
    est.apply_post_edits(session=session, actor=actors["hr"], edits=edits)
    session.commit()
    df = est.establishment_frame(session=session, actor=actors["hr"]).set_index("post_id")
    assert (df.at["O2", "partner"], df.at["O3", "partner"]) == ("Lewisham", "shared")


def test_apply_edits_writes_and_audits(session, actors, sid):
    edits = est.PostEdits(
        added=[{"post_id": "N1", "title": "Cloud Engineer", "grade": "PO4", "reports_to": "M1",
                "division": "Digital", "team": "Core"}],
        updated={"O2": {"grade": "PO3", "fte": "1", "reports_to": "H1"}},
        deleted=[],
        versions={"O2": 1},
    )
    result = est.apply_post_edits(session=session, actor=actors["manager"], edits=edits)
    session.commit()
    assert result == est.EditResult(added=1, updated=1, deleted=0)
    df = est.establishment_frame(session=session, actor=actors["hr"]).set_index("post_id")
    assert df.at["O2", "grade"] == "PO3" and df.at["O2", "reports_to"] == "H1"
    assert df.at["N1", "reports_to"] == "M1" and df.at["N1", "fte"] == "1"
    assert int(df.at["O2", "version"]) == 2
    events = session.exec(select(AuditEvent).order_by(AuditEvent.id)).all()
    assert [(e.action, e.entity, e.username) for e in events] == [
        ("update", "post", "manager-user"), ("create", "post", "manager-user")]
    assert events[0].before["grade"] == "PO2" and events[0].after["grade"] == "PO3"
    assert events[0].before["reports_to"] == "M1" and events[0].after["reports_to"] == "H1"
    assert session.get(Structure, sid).version == 2


def test_delete_vacant_post(session, actors, sid):
    edits = est.PostEdits(deleted=["O2"], versions={"O2": 1})
    est.apply_post_edits(session=session, actor=actors["hr"], edits=edits)
    session.commit()
    assert session.exec(select(Post).where(Post.post_ref == "O2")).first() is None
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "delete")).one()
    assert event.before["post_id"] == "O2"


def _refused(session, actor, edits) -> list[tuple[str | None, str, str]]:
    before = session.exec(select(Post).order_by(Post.id)).all()
    snapshot = [(p.post_ref, p.grade, p.fte, p.reports_to_id, p.version) for p in before]
    with pytest.raises(ValidationFailed) as exc:
        est.apply_post_edits(session=session, actor=actor, edits=edits)
    session.rollback()
    after = session.exec(select(Post).order_by(Post.id)).all()
    assert [(p.post_ref, p.grade, p.fte, p.reports_to_id, p.version) for p in after] == snapshot
    assert session.exec(select(AuditEvent)).first() is None
    return [(e.column, e.message) for e in exc.value.errors]


def test_cycle_refused_with_chain_named(session, actors, sid):
    errors = _refused(session, actors["hr"],
                      est.PostEdits(updated={"H1": {"reports_to": "O3"}}, versions={"H1": 1}))
    assert any("H1" in m and "O3" in m and "M1" in m and "cycle" in m.lower() for _, m in errors), errors


def test_orphan_and_occupied_deletes_refused(session, actors, sid):
    errors = _refused(session, actors["hr"], est.PostEdits(deleted=["M1"], versions={"M1": 1}))
    messages = " | ".join(m for _, m in errors)
    assert "M1 has occupants" in messages
    assert "O1 reports to M1, which you are deleting" in messages


def test_bad_values_refused(session, actors, sid):
    errors = _refused(session, actors["hr"], est.PostEdits(
        updated={"O2": {"grade": "PO99"}, "O1": {"fte": "1.5"}},
        added=[{"post_id": "H1", "title": "Dup", "grade": "PO1"}],
        versions={"O2": 1, "O1": 1}))
    cols = sorted(c for c, _ in errors)
    assert "grade" in cols and "fte" in cols and "post_id" in cols


def test_post_fte_below_occupants_refused(session, actors, sid):
    errors = _refused(session, actors["hr"],
                      est.PostEdits(updated={"O3": {"fte": "0.5"}}, versions={"O3": 1}))
    assert ("fte", "O3's occupants work 0.8 FTE, more than the 0.5 FTE you set.") in errors


def test_stale_edit_refused_no_lost_update(session, actors, sid):
    first = est.PostEdits(updated={"O2": {"grade": "PO3"}}, versions={"O2": 1})
    est.apply_post_edits(session=session, actor=actors["hr"], edits=first)
    session.commit()
    stale = est.PostEdits(updated={"O2": {"grade": "PO1"}}, versions={"O2": 1})
    with pytest.raises(StaleVersion, match="Someone else changed O2"):
        est.apply_post_edits(session=session, actor=actors["manager"], edits=stale)
    session.rollback()
    assert session.exec(select(Post).where(Post.post_ref == "O2")).one().grade == "PO3"


@pytest.mark.parametrize("role", ["union", "admin"])
def test_edit_refused_for_roles_without_edit(session, actors, sid, role):
    with pytest.raises(PermissionDenied):
        est.apply_post_edits(session=session, actor=actors[role],
                             edits=est.PostEdits(deleted=["O2"], versions={"O2": 1}))


def test_empty_edit_is_a_no_op(session, actors, sid):
    assert est.apply_post_edits(session=session, actor=actors["hr"],
                                edits=est.PostEdits()) == est.EditResult(0, 0, 0)
    assert isinstance(editor_frame(session, actors["hr"]), pd.DataFrame)


def test_renaming_a_manager_with_its_reports_moved_in_the_same_batch(session, actors, sid):
    """A rename plus reports_to changes to the new id is one consistent edit."""
    edits = est.PostEdits(
        updated={"M1": {"post_id": "M9"}, "O1": {"reports_to": "M9"},
                 "O2": {"reports_to": "M9"}, "O3": {"reports_to": "M9"}},
        added=[{"post_id": "N1", "title": "Apprentice", "grade": "Scale 3", "reports_to": "M9"}],
        versions={"M1": 1, "O1": 1, "O2": 1, "O3": 1})
    est.apply_post_edits(session=session, actor=actors["hr"], edits=edits)
    session.commit()
    df = est.establishment_frame(session=session, actor=actors["hr"]).set_index("post_id")
    assert "M1" not in df.index and df.at["M9", "incumbents"] == "Bea Cole; Cal Dunn"
    assert df.loc[["O1", "O2", "O3", "N1"], "reports_to"].tolist() == ["M9"] * 4


def test_renaming_a_manager_alone_leaves_its_reports_pointing_nowhere(session, actors, sid):
    errors = _refused(session, actors["hr"],
                      est.PostEdits(updated={"M1": {"post_id": "M9"}}, versions={"M1": 1}))
    assert sorted(errors) == [("reports_to", "reports_to 'M1' is not a post_id in this sheet.")
                              ] * 3


@pytest.mark.parametrize(("covered", "vacant", "text"), [
    (23, 7, "30 posts without an employee: 23 covered by interim, 7 vacant."),
    (0, 1, "1 post without an employee: 0 covered by interim, 1 vacant."),
    (1200, 34, "1,234 posts without an employee: 1,200 covered by interim, 34 vacant."),
])
def test_the_without_an_employee_pair_reads_as_one_sentence(covered, vacant, text):
    """Catches: the "Vacancies 30 / Vacant 7" pair, where "vacant" meant two things."""
    assert est.without_employee_sentence(covered, vacant) == text


def test_occupants_are_joined_per_post_in_order_without_repeats_or_blanks():
    """Catches: the vectorised join (issue 16) losing the order of a job share's holders,
    repeating a contract two holders share, or listing a blank origin."""
    import pandas as pd

    from planner.establishment.register import _joined

    occ = pd.DataFrame({"pk": [1, 2, 2, 3, 3, 3],
                        "name": ["Ann", "Bo", "Cy", "Di", "Ed", "Fay"],
                        "contract": ["permanent", "permanent", "permanent", "fixed_term",
                                     "permanent", "fixed_term"],
                        "origin": ["", "Capita", "", "", "", "Capita"]})
    assert _joined(occ, "name", "incumbents").to_dict() == {1: "Ann", 2: "Bo; Cy",
                                                             3: "Di; Ed; Fay"}
    assert _joined(occ, "contract", "c", unique=True).to_dict() == {
        1: "permanent", 2: "permanent", 3: "fixed_term; permanent"}
    assert _joined(occ, "origin", "o", unique=True).to_dict() == {2: "Capita", 3: "Capita"}


def test_search_keeps_rows_with_every_word_in_any_column_any_case():
    """Catches: a search that matches only one column, is case-sensitive, or treats the
    words as a phrase (or as a regular expression: "PO(4" must not raise)."""
    import pandas as pd

    from planner.establishment.register import SEARCH_COLUMNS, search_frame

    df = pd.DataFrame([{c: "" for c in SEARCH_COLUMNS} | {"post_id": f"P{i}"} for i in range(4)])
    df.loc[0, ["title", "team"]] = ["Service Desk Analyst", "Service Desk"]
    df.loc[1, ["title", "incumbents"]] = ["Network Engineer", "Ada Lovelace"]
    df.loc[2, ["title", "grade"]] = ["Desk Manager", "PO(4"]
    assert search_frame(df, "").equals(df)
    assert search_frame(df, "desk")["post_id"].tolist() == ["P0", "P2"]
    assert search_frame(df, "DESK analyst")["post_id"].tolist() == ["P0"]
    assert search_frame(df, "lovelace engineer")["post_id"].tolist() == ["P1"]
    assert search_frame(df, "po(4")["post_id"].tolist() == ["P2"]
    assert search_frame(df, "nobody").empty
    # The search text kept once per version gives the same rows, on a filtered part too.
    from planner.establishment.register import search_text

    hay = search_text(df)
    part = df.iloc[[0, 2, 3]]
    for words in ("desk", "DESK analyst", "po(4", "lovelace", ""):
        assert search_frame(part, words, hay=hay).equals(search_frame(part, words))
    # A missing value reads as blank (joining rows one by one used to raise on it).
    gaps = df.astype({"team": "str"})
    gaps.loc[0, "team"] = None
    assert search_frame(gaps, "analyst")["post_id"].tolist() == ["P0"]
    assert search_text(gaps).iloc[0].split("\t")[SEARCH_COLUMNS.index("team")] == ""


def test_the_register_is_paged_and_a_page_past_the_end_is_the_last():
    """Catches: pages that skip or repeat a row, a count that is the page's rather than the
    whole filter's, and a stale page number (after a filter shrank the list) showing nothing."""
    import pandas as pd

    from planner.establishment.register import register_page

    df = pd.DataFrame({"post_id": [f"P{i:04d}" for i in range(1_234)]})
    pages = [register_page(df, k, size=500) for k in (1, 2, 3)]
    assert [p.pages for p in pages] == [3, 3, 3]
    assert [(p.first, p.last) for p in pages] == [(1, 500), (501, 1000), (1001, 1234)]
    assert pd.concat([p.rows for p in pages])["post_id"].tolist() == df["post_id"].tolist()
    assert all(p.total == 1_234 for p in pages)
    assert register_page(df, 9, size=500).page == 3
    assert register_page(df.iloc[:0], 4).first == 0 and register_page(df.iloc[:0], 4).pages == 1


def build_tricky(session: Session) -> int:
    """The small establishment plus what trips a vectorised read: a post of three holders
    (two employees in a job share and an interim), an employee with a blank name beside an
    agency worker, a person in two posts, an employee with no origin, TUPE people, FTEs of
    four places, and an FTE stored with more places than the column keeps (written by hand)."""
    import datetime as dt
    from decimal import Decimal

    from sqlalchemy import text

    from planner.core.models import Occupancy, Person

    sid = build_small_establishment(session)
    posts = {p.post_ref: p for p in session.exec(select(Post).where(Post.structure_id == sid))}

    def post(ref, fte="1", grade="PO3"):
        p = Post(structure_id=sid, post_ref=ref, title="Officer", grade=grade, fte=Decimal(fte),
                 reports_to_id=posts["M1"].id, division="Digital", team="Core")
        session.add(p)
        session.flush()
        posts[ref] = p
        return p

    def person(ref, name, contract, *where, origin="", **kw):
        pe = Person(employee_ref=ref, name=name, contract=contract, origin=origin, **kw)
        session.add(pe)
        session.flush()
        for p, fte in where:
            session.add(Occupancy(person_id=pe.id, post_id=p.id, fte=Decimal(fte)))

    three, blank, two_a, two_b = post("T1", "1.2"), post("B1"), post("S1", "0.125"), post(
        "S2", "0.3333")
    post("V9", "0.0625")
    person("E9", "Zed Ash", "fixed_term", (three, "0.3333"), origin="Brent")
    person("E8", "Yan Bell", "secondment", (three, "0.4667"), origin="Capita",
           tupe_transfer_date=dt.date(2020, 1, 1))
    person("I9", "Xia Cole", "interim", (three, "0.4"))
    person("E7", "", "permanent", (blank, "1"), origin="Brent")
    person("A9", "Wes Dow", "agency", (blank, "1"))
    person("E6", "Val Eke", "permanent", (two_a, "0.125"), (two_b, "0.3333"))
    person("I8", "Uma Fry", "interim", (two_b, "0.5"), origin="Lewisham")
    session.flush()
    session.execute(text("UPDATE occupancy SET fte = 0.33333333 WHERE post_id = :p"),
                    {"p": two_b.id})
    session.commit()
    return sid


def straightforward_frame(session: Session, sid: int) -> list[dict]:
    """establishment_frame's rows worked out one post and one person at a time, through the
    ORM: what the vectorised frame must equal."""
    from planner.core.models import Occupancy, Partner, Person
    from planner.core.values import decimal_text

    posts = session.exec(select(Post).where(Post.structure_id == sid).order_by(Post.id)).all()
    ref_of = {p.id: p.post_ref for p in posts}
    partner_of = {p.id: p.name for p in session.exec(select(Partner))}
    rows = []
    for p in posts:
        holders = session.exec(select(Person, Occupancy).join(Occupancy)
                               .where(Occupancy.post_id == p.id)
                               .order_by(Person.employee_ref)).all()
        emp = [(pe, oc) for pe, oc in holders if pe.contract in est.EMPLOYEE_CONTRACTS]
        cover = [(pe, oc) for pe, oc in holders if pe.contract not in est.EMPLOYEE_CONTRACTS]

        def joined(values, unique=False):
            kept = [v for v in values if v]
            return "; ".join(dict.fromkeys(kept) if unique else kept)

        incumbents = joined(pe.name for pe, _ in emp)
        interim = joined(pe.name for pe, _ in cover)
        fte = decimal_text(p.fte)
        rows.append({
            "id": p.id, "post_id": p.post_ref, "title": p.title, "division": p.division,
            "team": p.team, "reports_to": ref_of.get(p.reports_to_id, ""), "grade": p.grade,
            "fte": fte, "partner": partner_of.get(p.partner_id, "shared"),
            "funding": p.funding, "notes": p.notes, "version": p.version,
            "incumbents": incumbents,
            "staff_fte": round(sum(float(oc.fte) for _, oc in emp), 4) if emp else 0.0,
            "contracts": joined((pe.contract for pe, _ in emp), unique=True),
            "origin": joined((pe.origin for pe, _ in emp), unique=True),
            "tupe": any(pe.tupe_transfer_date is not None for pe, _ in emp),
            "interim": interim,
            "interim_fte": round(sum(float(oc.fte) for _, oc in cover), 4) if cover else 0.0,
            "interim_contracts": joined((pe.contract for pe, _ in cover), unique=True),
            "status": "Filled" if incumbents else "Covered by interim" if interim else "Vacant",
            "fte_value": float(fte)})
    return rows


def test_frame_and_headline_equal_the_straightforward_reading(session, actors):
    """Catches: the narrow reads of issue 16 (headline figures without the frame, FTE text
    per distinct value) giving other rows or figures than one post at a time would: a blank
    name counted as a holder, a person in two posts counted twice, an FTE not rounded to the
    column's four places, a vacancy miscounted."""
    sid = build_tricky(session)
    df = est.establishment_frame(session=session, actor=actors["hr"])
    expected = straightforward_frame(session, sid)
    assert list(df.columns) == list(expected[0])
    assert df.astype(object).to_dict(orient="records") == expected
    status = [r["status"] for r in expected]
    people = {"Brent": 3, "Capita": 2, "Lewisham": 2, "Unknown": 1}  # E6 has none
    figures = {
        "posts": 11,
        "establishment_fte": round(sum(r["fte_value"] for r in expected), 2),
        "staff_in_post_fte": round(sum(r["staff_fte"] for r in expected), 2),
        "vacancies": status.count("Vacant") + status.count("Covered by interim"),
        "vacancies_covered_by_interims": status.count("Covered by interim"),
        "vacant_uncovered": status.count("Vacant"), "interims": 5, "employees": 8,
        "people_by_origin": people}
    assert status.count("Covered by interim") == 3  # O1, M2, B1 (its employee is unnamed)
    for m in (est.headline_metrics(session=session, actor=actors["hr"]),
              est.headline_metrics(session=session, actor=actors["hr"], structure_id=sid),
              est.headline_metrics(session=session, actor=actors["hr"], frame=df)):
        assert m.as_dict() == figures


def test_fte_text_is_worked_out_once_per_value_and_reads_as_before():
    """Catches: the lookup of FTE texts (issue 16) putting a text on the wrong row."""
    from planner.core.values import decimal_text

    values = pd.Series([1.0, 0.5, 0.6, 1.0, 0.1234, 0.5, 12.0], name="fte")
    pd.testing.assert_series_equal(est.fte_texts(values), values.map(decimal_text))


def test_an_options_carried_people_keep_their_columns_types(session, sid, actors):
    """Catches: an option's occupants (all carried from the baseline) joined to an empty frame
    of direct occupants, every number and text an object: four times the memory at 50,000
    posts, kept per structure version (issue 16); and the figures changing on the way."""
    from planner.core.models import Occupancy, Person
    from planner.structures.costing import _posts  # the posts frame costing hands in
    from planner.structures.options import create_option

    option = create_option(session=session, actor=actors["manager"], name="Option T")
    session.commit()
    o, pe, p = Occupancy.__table__, Person.__table__, Post.__table__
    columns = [p.c.grade.label("source_grade"), o.c.person_id, pe.c.name,
               pe.c.annual_salary_pence]
    base = est.occupant_rows(session, sid, _posts(session, sid), columns)
    carried = est.occupant_rows(session, option.id, _posts(session, option.id), columns)
    assert len(carried) == len(base) > 0 and carried["carried"].all()
    for col in ("source_post", "person_id", "post", "annual_salary_pence", "name"):
        assert carried[col].dtype == base[col].dtype != object, col
    pd.testing.assert_frame_equal(
        carried[["person_id", "name", "annual_salary_pence"]].sort_values("person_id")
        .reset_index(drop=True),
        base[["person_id", "name", "annual_salary_pence"]].sort_values("person_id")
        .reset_index(drop=True))


def test_filter_options_equal_the_rows_split_one_by_one():
    """Catches: the filters' values taken from each distinct value (issue 16: 50,000 rows
    split and exploded on the sign-in's first view) missing a part of a joined value, keeping
    a blank or a missing value, or listing a value twice."""
    rng = np.random.default_rng(11)
    parts = ["permanent", "fixed-term", "interim", "", "agency"]
    joined = ["; ".join(rng.choice(parts, size=rng.integers(1, 4))) for _ in range(400)]
    df = pd.DataFrame({c: pd.Series(rng.choice(["A", "B", "", None, "C; D"], 400), dtype="str")
                       for c in est.FILTERS})
    df["contracts"] = pd.Series(joined, dtype="str")
    df["origin"] = pd.Series([None if i % 7 == 0 else v for i, v in enumerate(joined)],
                             dtype="str")
    plain = {}
    for col in est.FILTERS:
        vals = df[col].str.split("; ").explode() if col in ("contracts", "origin") else df[col]
        plain[col] = sorted(v for v in vals.dropna().unique() if v)
    assert est.filter_options(df) == plain
    assert est.filter_options(df)["contracts"] == sorted(p for p in parts if p)


def test_posts_columns_sit_beside_the_kept_posts_row_for_row(session, sid):
    """Catches: a reader's extra columns (costing's FTE units, the comparison's baseline links)
    landing on the wrong posts, or read for a posts frame they do not match."""
    from planner.core.models import Post

    posts = est.posts_frame(session, sid).set_axis(range(100, 100 + 6))
    p = Post.__table__
    extra = est.posts_columns(session, posts, sid, p.c.post_ref, p.c.title.label("named"))
    assert list(extra.index) == list(posts.index)
    assert extra["post_ref"].tolist() == posts["post_id"].tolist()
    assert extra["named"].tolist() == posts["title"].tolist()
    with pytest.raises(RuntimeError, match="changed between two reads"):
        est.posts_columns(session, posts.iloc[1:], sid, p.c.post_ref)
