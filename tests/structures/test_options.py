"""Structure options: copies, independence, lineage, lost updates, imports, envelopes, roles."""

from __future__ import annotations

import threading
import time

import pandas as pd
import pytest
from sqlmodel import Session, select

from planner.core.auth import SYSTEM
from planner.core.db import IMMEDIATE
from planner.core.errors import (
    NotFound,
    PermissionDenied,
    PlannerError,
    StaleVersion,
    ValidationFailed,
)
from planner.core.models import AuditEvent, EnvelopeShare, Partner, Post, Structure
from planner.establishment import reference
from planner.establishment.importer import import_establishment
from planner.establishment.register import PostEdits, posts_frame
from planner.structures import comparison, option_import, options
from tests.factories import csv_bytes, make_actors, make_tree_rows
from tests.factories import posts_frame as rows_frame

BASE_POSTS = [
    {"post_id": "H1", "title": "Head of Service", "grade": "SM2", "team": "Management"},
    {"post_id": "M1", "title": "Team Leader", "grade": "PO6", "reports_to": "H1"},
    {"post_id": "O1", "title": "Officer", "grade": "PO3", "reports_to": "M1"},
    {"post_id": "O2", "title": "Officer", "grade": "PO3", "fte": "0.5", "reports_to": "M1"},
    {"post_id": "M2", "title": "Analyst", "grade": "PO3", "reports_to": "H1", "team": "Analysis"},
]
PEOPLE = pd.DataFrame([
    {"employee_id": "E1", "name": "Ada Brown", "post_id": "H1", "contract": "permanent"},
    {"employee_id": "E2", "name": "Bea Cole", "post_id": "O2", "contract": "permanent",
     "fte": "0.5"},
    {"employee_id": "E3", "name": "Cal Dunn", "post_id": "M2", "contract": "permanent"},
], dtype=str)


def establish(session: Session, posts: list[dict] | None = None,
              people: pd.DataFrame | None = PEOPLE) -> int:
    files = [("posts.csv", csv_bytes(rows_frame(posts or BASE_POSTS)))]
    if people is not None:
        files.append(("people.csv", csv_bytes(people)))
    summary = import_establishment(session=session, actor=SYSTEM, files=files)
    session.commit()
    return summary.structure_id


@pytest.fixture
def actors(session):
    return make_actors(session)


@pytest.fixture
def base_id(session):
    return establish(session)


def frame(session: Session, sid: int) -> pd.DataFrame:
    """A structure's posts without database ids: what a person would compare."""
    return (posts_frame(session, sid).drop(columns=["id", "version"])
            .sort_values("post_id").reset_index(drop=True))


def events(session: Session, **where) -> list[AuditEvent]:
    q = select(AuditEvent).order_by(AuditEvent.id)
    for k, v in where.items():
        q = q.where(getattr(AuditEvent, k) == v)
    return list(session.exec(q).all())


def create(session, actor, name="Option A", source="baseline") -> Structure:
    option = options.create_option(session=session, actor=actor, name=name, source=source)
    session.commit()
    return option


# --- copying ---------------------------------------------------------------------------------


def test_copy_is_a_deep_copy_with_lineage_and_reporting_lines_inside_it(session, actors, base_id):
    """Catches: a copy whose reports_to still points at the baseline's posts, or that loses
    which baseline post each copied post continues."""
    option = create(session, actors["manager"])
    assert (option.kind, option.status, option.copied_from_id) == ("option", "draft", base_id)
    pd.testing.assert_frame_equal(frame(session, option.id), frame(session, base_id))
    base = {p.post_ref: p for p in session.exec(select(Post).where(Post.structure_id == base_id))}
    copy = {p.post_ref: p for p in session.exec(select(Post).where(Post.structure_id == option.id))}
    own_ids = {p.id for p in copy.values()}
    for ref, post in copy.items():
        assert post.baseline_post_id == base[ref].id
        assert post.id != base[ref].id and post.version == 1
        if post.reports_to_id is not None:
            assert post.reports_to_id in own_ids
    assert copy["O1"].reports_to_id == copy["M1"].id
    (event,) = events(session, entity="structure", action="create")
    assert event.after["posts"] == 5 and event.after["copied_from"] == "Current establishment"
    assert event.username == "manager-user"


def test_copy_of_a_copy_points_at_the_baseline(session, actors, base_id):
    """Catches: a second-generation copy naming the first option's posts as its baseline."""
    a = create(session, actors["manager"], "Option A")
    options.edit_option_posts(session=session, actor=actors["manager"], structure=a, edits=PostEdits(
        added=[{"post_id": "N1", "title": "New Officer", "grade": "PO2", "reports_to": "M1"}]))
    session.commit()
    b = create(session, actors["hr"], "Option B", source="Option A")
    base = {p.post_ref: p.id for p in session.exec(select(Post).where(Post.structure_id == base_id))}
    copy = {p.post_ref: p for p in session.exec(select(Post).where(Post.structure_id == b.id))}
    assert b.copied_from_id == a.id
    assert {ref: p.baseline_post_id for ref, p in copy.items() if ref != "N1"} == base
    assert copy["N1"].baseline_post_id is None  # new in A, so new against the baseline too
    assert copy["N1"].reports_to_id == copy["M1"].id
    # ... and still the same post when B is compared with A.
    c = comparison.compare_structures(session=session, actor=actors["hr"], base=a, other=b)
    assert c.counts()["unchanged"] == 6 and c.counts()["new"] == 0


def test_envelope_and_partner_shares_are_copied(session, actors, base_id):
    hr = actors["hr"]
    base = session.get(Structure, base_id)
    options.set_envelope(session=session, actor=hr, structure="baseline",
                         envelope_pence=500_000_00, months=5, expected_version=base.version,
                         shares={"Brent": options.PartnerShare(amount_pence=100_000_00),
                                 "Lewisham": options.PartnerShare(share_bp=6000),
                                 "Southwark": options.PartnerShare(share_bp=4000)})
    session.commit()
    (event,) = events(session, entity="structure", action="envelope")
    assert event.before["envelope_pence"] is None and event.after["months"] == 5
    assert event.after["shares"]["Brent"] == {"amount_pence": 100_000_00, "share_bp": None}
    assert event.after["version"] == base.version
    option = create(session, actors["manager"])
    assert (option.envelope_pence, option.envelope_months) == (500_000_00, 5)
    shares = session.exec(select(Partner.name, EnvelopeShare.amount_pence, EnvelopeShare.share_bp)
                          .join(Partner, Partner.id == EnvelopeShare.partner_id)
                          .where(EnvelopeShare.structure_id == option.id)).all()
    assert sorted(shares) == [("Brent", 100_000_00, None), ("Lewisham", None, 6000),
                              ("Southwark", None, 4000)]


def test_ten_thousand_posts_copy_fast(session, actors):
    rows = make_tree_rows(5, 10)  # 11,111 posts
    establish(session, rows, people=None)
    start = time.perf_counter()
    option = create(session, actors["manager"], "Big")
    took = time.perf_counter() - start
    assert session.exec(select(Post.id).where(Post.structure_id == option.id)).all().__len__() == 11_111
    mgr = Post.__table__.alias("mgr")
    p = Post.__table__
    crossing = session.connection().execute(
        select(p.c.id).select_from(p.join(mgr, p.c.reports_to_id == mgr.c.id))
        .where(p.c.structure_id == option.id, mgr.c.structure_id != option.id)).all()
    assert crossing == []
    assert took < 5, f"copying 11,111 posts took {took:.2f}s"


# --- independence ----------------------------------------------------------------------------


def test_editing_an_option_changes_neither_the_baseline_nor_another_option(session, actors,
                                                                          base_id):
    """Every kind of post edit on option A: the baseline and option B stay exactly as they
    were (catches edits applied by post_ref to the wrong structure)."""
    manager = actors["manager"]
    a = create(session, manager, "Option A")
    b = create(session, manager, "Option B")
    base_before, b_before = frame(session, base_id), frame(session, b.id)
    edits = PostEdits(
        added=[{"post_id": "N1", "title": "Data Officer", "grade": "PO2", "reports_to": "M2"}],
        updated={"O1": {"grade": "PO4", "fte": "0.8", "reports_to": "M2", "title": "Analyst",
                        "team": "Analysis"},
                 "M1": {"division": "Operations"}},
        deleted=["O2"], versions={"O1": 1, "M1": 1, "O2": 1})
    result = options.edit_option_posts(session=session, actor=manager, structure="Option A",
                                       edits=edits)
    session.commit()
    assert (result.added, result.updated, result.deleted) == (1, 2, 1)
    after = frame(session, a.id).set_index("post_id")
    assert after.loc["O1", ["grade", "fte", "reports_to", "title", "team"]].tolist() == [
        "PO4", "0.8", "M2", "Analyst", "Analysis"]
    assert "O2" not in after.index and after.at["N1", "reports_to"] == "M2"
    pd.testing.assert_frame_equal(frame(session, base_id), base_before)
    pd.testing.assert_frame_equal(frame(session, b.id), b_before)
    # O2 holds Bea Cole in the baseline: the option deletes the post without occupancy checks,
    # and the comparison names her.
    c = comparison.compare_structures(session=session, actor=manager, base="baseline", other=a)
    assert c.people[["employee_id", "name", "post_id"]].values.tolist() == [
        ["E2", "Bea Cole", "O2"]]
    assert set(c.posts_with("regraded")["post_id"]) == {"O1"}
    assert set(c.posts_with("moved")["post_id"]) == {"O1", "M1"}
    assert set(c.posts_with("new")["post_id"]) == {"N1"}
    edit_event = events(session, entity="structure", action="edit_posts")[-1]
    assert edit_event.after["deleted"] == {"O2": int(edit_event.after["deleted"]["O2"])}


def test_the_baseline_is_not_an_option(session, actors, base_id):
    hr = actors["hr"]
    for call in (
        lambda: options.delete_option(session=session, actor=hr, structure="baseline"),
        lambda: options.rename_option(session=session, actor=hr, structure=base_id, name="X",
                                      expected_version=1),
        lambda: options.describe_option(session=session, actor=hr, structure="baseline",
                                        description="x", expected_version=1),
        lambda: options.edit_option_posts(session=session, actor=hr, structure="baseline",
                                          edits=PostEdits(deleted=["O1"])),
        lambda: options.set_assume_recruited(session=session, actor=hr, structure="baseline",
                                             value=True, expected_version=1),
    ):
        with pytest.raises(options.NotAnOption, match="current establishment"):
            call()
    assert session.get(Structure, base_id) is not None


def test_delete_option_removes_its_posts_and_shares_and_keeps_copies(session, actors, base_id):
    hr = actors["hr"]
    a = create(session, hr, "Option A")
    options.set_envelope(session=session, actor=hr, structure=a, envelope_pence=1_000, months=12,
                         shares={"Brent": options.PartnerShare(share_bp=10_000)},
                         expected_version=a.version)
    session.commit()
    b = create(session, hr, "Option B", source="Option A")
    options.delete_option(session=session, actor=hr, structure="Option A")
    session.commit()
    assert session.get(Structure, a.id) is None
    assert session.exec(select(Post.id).where(Post.structure_id == a.id)).all() == []
    assert session.exec(select(EnvelopeShare.id).where(EnvelopeShare.structure_id == a.id)).all() == []
    session.refresh(b)
    assert b.copied_from_id is None and len(frame(session, b.id)) == 5
    (event,) = events(session, entity="structure", action="delete")
    assert event.before["posts"] == 5 and event.before["copies_unlinked"] == ["Option B"]


def test_assume_recruited_is_version_checked_audited_and_copied(session, actors, base_id):
    """Catches: a flag saved over someone else's change, left out of the audit trail, or lost
    when an option is copied (the copy would cost its interims again)."""
    hr, manager = actors["hr"], actors["manager"]
    a = create(session, hr, "Option A")
    assert a.assume_recruited is False
    s = options.set_assume_recruited(session=session, actor=manager, structure="Option A",
                                     value=True, expected_version=a.version)
    session.commit()
    assert (s.assume_recruited, s.version) == (True, 2)
    (event,) = events(session, entity="structure", action="assume_recruited")
    assert (event.before, event.after) == ({"assume_recruited": False},
                                           {"assume_recruited": True, "version": 2})
    with pytest.raises(StaleVersion, match="set to assume interim-covered posts are recruited "
                                           "to permanently by manager-user"):
        options.set_assume_recruited(session=session, actor=hr, structure=a, value=False,
                                     expected_version=1)
    session.rollback()
    b = create(session, hr, "Option B", source="Option A")
    fresh = create(session, hr, "Option C")  # from the baseline, which keeps its interims
    assert (b.assume_recruited, fresh.assume_recruited) == (True, False)
    listed = options.list_structures(session=session, actor=manager).set_index("name")
    assert listed["assume_recruited"].to_dict() == {
        "Current establishment": False, "Option A": True, "Option B": True, "Option C": False}
    options.set_assume_recruited(session=session, actor=hr, structure=b, value=False,
                                 expected_version=b.version)
    session.commit()
    assert options.resolve_structure(session, "Option A").assume_recruited is True
    assert options.resolve_structure(session, "Option B").assume_recruited is False


# --- versions and lost updates ---------------------------------------------------------------


def test_rename_and_describe_are_version_checked(session, actors, base_id):
    hr, manager = actors["hr"], actors["manager"]
    a = create(session, hr, "Option A")
    seen = a.version
    options.rename_option(session=session, actor=hr, structure=a, name="Option One",
                          expected_version=seen)
    session.commit()
    with pytest.raises(StaleVersion) as exc:
        options.describe_option(session=session, actor=manager, structure="Option One",
                                description="Fewer layers", expected_version=seen)
    assert "renamed 'Option A' → 'Option One' by hr-user at" in str(exc.value)
    session.rollback()
    s = options.describe_option(session=session, actor=manager, structure="option one",
                                description="Fewer layers", expected_version=seen + 1)
    session.commit()
    assert (s.name, s.description, s.version) == ("Option One", "Fewer layers", seen + 2)
    assert [e.action for e in events(session, entity="structure", entity_id=str(a.id))] == [
        "create", "rename", "describe"]


def test_stale_save_is_refused_saying_what_changed(seeded_engine):
    """Two users, two sessions on one engine: the later save of a stale copy is refused and
    says what the first user changed, by whom and when (catches silent lost updates)."""
    with Session(seeded_engine, expire_on_commit=False) as setup:
        actors = make_actors(setup)
        establish(setup)
        option = create(setup, actors["hr"], "Option A")
    with Session(seeded_engine, expire_on_commit=False) as mine, \
            Session(seeded_engine, expire_on_commit=False) as theirs:
        seen = posts_frame(mine, option.id).set_index("post_id")["version"].to_dict()
        mine.commit()  # the page's read ends; the save comes in a later request
        options.edit_option_posts(session=theirs, actor=actors["hr"], structure=option.id,
                                  edits=PostEdits(updated={"O1": {"grade": "PO4"}},
                                                  deleted=["O2"], versions={"O1": 1, "O2": 1}))
        theirs.commit()
        with pytest.raises(StaleVersion) as exc:
            options.edit_option_posts(session=mine, actor=actors["manager"], structure="Option A",
                                      edits=PostEdits(updated={"O1": {"fte": "0.5"},
                                                               "O2": {"title": "Clerk"}},
                                                      versions={"O1": seen["O1"],
                                                                "O2": seen["O2"]}))
        mine.rollback()
        message = str(exc.value)
        assert "O1 was regraded PO3 → PO4 by hr-user at" in message
        assert "O2 was deleted by hr-user at" in message
        assert message.startswith("Nothing was saved")
        assert frame(mine, option.id).set_index("post_id").at["O1", "fte"] == "1"


def test_simultaneous_saves_queue_and_the_second_is_refused(seeded_engine):
    """Two saves at the same moment, as write sessions: the second waits for the first (row
    lock on PostgreSQL, BEGIN IMMEDIATE on SQLite) and then sees its change, instead of both
    passing the version check and the second overwriting the first."""
    with Session(seeded_engine, expire_on_commit=False) as setup:
        actors = make_actors(setup)
        establish(setup)
        option = create(setup, actors["hr"], "Option A")
    bound = seeded_engine.execution_options(**{IMMEDIATE: True})
    outcome: dict[str, str] = {}

    def second_save() -> None:
        with Session(bound) as second:
            try:
                options.edit_option_posts(
                    session=second, actor=actors["manager"], structure=option.id,
                    edits=PostEdits(updated={"O1": {"grade": "PO5"}}, versions={"O1": 1}))
                second.commit()
                outcome["saved"] = "yes"
            except StaleVersion as exc:
                second.rollback()
                outcome["refused"] = str(exc)

    with Session(bound) as first:
        options.edit_option_posts(session=first, actor=actors["hr"], structure=option.id,
                                  edits=PostEdits(updated={"O1": {"grade": "PO4"}},
                                                  versions={"O1": 1}))
        waiting = threading.Thread(target=second_save)
        waiting.start()
        waiting.join(0.5)
        assert waiting.is_alive(), "the second save did not wait for the first"
        first.commit()
    waiting.join(20)
    assert "O1 was regraded PO3 → PO4 by hr-user" in outcome.get("refused", ""), outcome
    with Session(seeded_engine) as check:
        assert frame(check, option.id).set_index("post_id").at["O1", "grade"] == "PO4"


def test_stale_envelope_is_refused(session, actors, base_id):
    a = create(session, actors["hr"])
    options.edit_option_posts(session=session, actor=actors["hr"], structure=a,
                              edits=PostEdits(updated={"O1": {"grade": "PO4"}},
                                              versions={"O1": 1}))
    session.commit()
    with pytest.raises(StaleVersion, match=r"posts edited \(O1\) by hr-user"):
        options.set_envelope(session=session, actor=actors["manager"], structure=a,
                             envelope_pence=10, months=12, shares=None, expected_version=1)


@pytest.mark.parametrize(("shares", "envelope", "months", "column"), [
    ({"Brent": options.PartnerShare(share_bp=5000)}, 100, 12, "share"),
    ({"Nowhere": options.PartnerShare(share_bp=10_000)}, 100, 12, "partner"),
    ({"Brent": options.PartnerShare(amount_pence=1, share_bp=10_000)}, 100, 12, "Brent"),
    ({"Brent": options.PartnerShare(amount_pence=200)}, 100, 12, "amount"),
    ({"Brent": options.PartnerShare(share_bp=5000),
      "brent": options.PartnerShare(share_bp=5000)}, 100, 12, "partner"),
    (None, -1, 12, "envelope"),
    (None, 100, 0, "months"),
])
def test_envelope_validation(session, actors, base_id, shares, envelope, months, column):
    a = create(session, actors["hr"])
    with pytest.raises(ValidationFailed) as exc:
        options.set_envelope(session=session, actor=actors["hr"], structure=a,
                             envelope_pence=envelope, months=months, shares=shares,
                             expected_version=a.version)
    assert column in [e.column for e in exc.value.errors]


# --- names and lookups -----------------------------------------------------------------------


@pytest.mark.parametrize(("name", "message"), [
    ("", "1–120"), ("Baseline", "current establishment"), ("2027", "letter"),
    ("option a", "already"), ("x" * 121, "1–120"),
])
def test_option_names(session, actors, base_id, name, message):
    create(session, actors["hr"], "Option A")
    with pytest.raises(ValidationFailed) as exc:
        options.create_option(session=session, actor=actors["hr"], name=name)
    assert message in exc.value.errors[0].message


def test_resolve_structure(session, actors, base_id):
    a = create(session, actors["hr"], "Option A")
    assert options.resolve_structure(session, "baseline").id == base_id
    assert options.resolve_structure(session, "Current establishment").id == base_id
    assert options.resolve_structure(session, "OPTION A").id == a.id
    assert options.resolve_structure(session, str(a.id)).id == a.id
    assert options.resolve_structure(session, a.id).id == a.id
    with pytest.raises(NotFound):
        options.resolve_structure(session, "Option Z")


def test_list_structures(session, actors, base_id):
    create(session, actors["hr"], "Option A")
    df = options.list_structures(session=session, actor=actors["manager"])
    assert df[["name", "kind", "status", "posts", "fte", "copied_from"]].values.tolist() == [
        ["Current establishment", "baseline", "current", 5, "4.5", ""],
        ["Option A", "option", "draft", 5, "4.5", "Current establishment"],
    ]
    assert list(df.columns) == options.STRUCTURE_COLUMNS


# --- importing an option ---------------------------------------------------------------------


def test_import_option_detects_continued_new_and_deleted_posts(session, actors, base_id):
    posts = rows_frame([
        {"post_id": "H1", "title": "Head of Service", "grade": "SM2", "team": "Management"},
        {"post_id": "M1", "title": "Team Leader", "grade": "PO7", "reports_to": "H1"},
        {"post_id": "O1", "title": "Officer", "grade": "PO3", "reports_to": "M2"},
        {"post_id": "M2", "title": "Analyst", "grade": "PO3", "fte": "0.5", "reports_to": "H1",
         "team": "Analysis"},
        {"post_id": "N1", "title": "Data Officer", "grade": "PO2", "reports_to": "M2",
         "team": "Analysis"},
    ])
    summary = option_import.import_option(
        session=session, actor=actors["manager"], name="Imported",
        files=[("posts.csv", csv_bytes(posts)), ("people.csv", csv_bytes(PEOPLE))])
    session.commit()
    assert (summary.posts, summary.continued, summary.new, summary.deleted) == (5, 4, 1, 1)
    assert (summary.regraded, summary.resized, summary.moved) == (1, 1, 1)
    assert summary.notes == (option_import.IGNORED_SHEETS["people"],)
    base = {p.post_ref: p.id for p in session.exec(select(Post).where(Post.structure_id == base_id))}
    imported = {p.post_ref: p for p in
                session.exec(select(Post).where(Post.structure_id == summary.structure_id))}
    assert {r: p.baseline_post_id for r, p in imported.items()} == {
        "H1": base["H1"], "M1": base["M1"], "O1": base["O1"], "M2": base["M2"], "N1": None}
    assert imported["N1"].reports_to_id == imported["M2"].id
    c = comparison.compare_structures(session=session, actor=actors["manager"], base="baseline",
                                   other="Imported")
    assert c.people["name"].tolist() == ["Bea Cole"]
    (event,) = events(session, entity="structure", action="import",
                      entity_id=str(summary.structure_id))
    assert event.after["new"] == 1 and event.after["files"] == ["posts.csv", "people.csv"]


def test_a_bad_option_import_changes_nothing_and_reports_every_error(session, actors, base_id):
    create(session, actors["hr"], "Taken")
    before = (len(session.exec(select(Structure.id)).all()), len(session.exec(select(Post.id)).all()))
    posts = rows_frame([
        {"post_id": "H1", "title": "Head", "grade": "SM2"},
        {"post_id": "O1", "title": "Officer", "grade": "PO99", "reports_to": "H1"},
        {"post_id": "O2", "title": "Officer", "grade": "PO3", "reports_to": "ZZ"},
        {"post_id": "O2", "title": "Officer", "grade": "PO3", "fte": "2"},
    ])
    with pytest.raises(ValidationFailed) as exc:
        option_import.import_option(session=session, actor=actors["hr"], name="Taken",
                              files=[("posts.csv", csv_bytes(posts))])
    session.rollback()
    found = {(e.sheet, e.row, e.column) for e in exc.value.errors}
    assert found >= {("option", None, "name"), ("posts", 3, "grade"), ("posts", 4, "reports_to"),
                     ("posts", 5, "post_id"), ("posts", 5, "fte")}
    assert (len(session.exec(select(Structure.id)).all()),
            len(session.exec(select(Post.id)).all())) == before


def test_import_option_needs_a_posts_sheet(session, actors, base_id):
    with pytest.raises(ValidationFailed) as exc:
        option_import.import_option(session=session, actor=actors["hr"], name="No posts",
                              files=[("people.csv", csv_bytes(PEOPLE))])
    assert [(e.sheet, e.message) for e in exc.value.errors] == [
        ("posts", "The posts sheet (or posts.csv) is missing.")]


# --- permissions -----------------------------------------------------------------------------

CALLS = {
    "create_option": lambda s, a: options.create_option(session=s, actor=a, name="Z"),
    "rename_option": lambda s, a: options.rename_option(session=s, actor=a, structure="Option A",
                                                        name="Z", expected_version=1),
    "describe_option": lambda s, a: options.describe_option(
        session=s, actor=a, structure="Option A", description="z", expected_version=1),
    "set_envelope": lambda s, a: options.set_envelope(
        session=s, actor=a, structure="Option A", envelope_pence=1, months=12, shares=None,
        expected_version=1),
    "edit_option_posts": lambda s, a: options.edit_option_posts(
        session=s, actor=a, structure="Option A",
        edits=PostEdits(updated={"O1": {"grade": "PO4"}}, versions={"O1": 1})),
    "import_option": lambda s, a: option_import.import_option(
        session=s, actor=a, name="Z", files=[("posts.csv", csv_bytes(rows_frame(BASE_POSTS)))]),
    "delete_option": lambda s, a: options.delete_option(session=s, actor=a, structure="Option A"),
    "set_assume_recruited": lambda s, a: options.set_assume_recruited(
        session=s, actor=a, structure="Option A", value=True, expected_version=1),
    "list_structures": lambda s, a: options.list_structures(session=s, actor=a),
    "compare_structures": lambda s, a: comparison.compare_structures(
        session=s, actor=a, base="baseline", other="Option A"),
}
READS = {"list_structures", "compare_structures"}
ALLOWED = {"manager": set(CALLS), "hr": set(CALLS), "admin": READS, "union": set()}


@pytest.mark.parametrize("call", sorted(CALLS))
@pytest.mark.parametrize("role", ["manager", "hr", "admin", "union"])
def test_permissions(session, actors, base_id, role, call):
    """Role x function: a union rep is refused everything about an unpublished option; an
    admin reads but does not build options; managers and hr do both."""
    create(session, actors["hr"], "Option A")
    if call in ALLOWED[role]:
        CALLS[call](session, actors[role])
    else:
        with pytest.raises(PermissionDenied):
            CALLS[call](session, actors[role])
        session.rollback()
        assert options.resolve_structure(session, "Option A").version == 1


@pytest.mark.parametrize(("role", "allowed"), [("manager", False), ("union", False),
                                               ("hr", True), ("admin", True)])
def test_only_hr_and_admin_change_the_pay_spine(session, actors, role, allowed):
    year = reference.current_pay_year(session)

    def call():
        return reference.update_spine_point(session=session, actor=actors[role], pay_year=year,
                                            scp=5, annual_pence=2_500_000)

    if allowed:
        call()
    else:
        with pytest.raises(PermissionDenied):
            call()


# --- status and the equality gates ----------------------------------------------------------


@pytest.mark.parametrize(("status", "allowed"), [
    ("proposed", True), ("published", True), ("draft", True), ("current", False),
    ("final", False), ("implemented", False), ("archived", False)])
def test_set_option_status_values_and_gates(session, actors, base_id, status, allowed):
    """Catches: an option given the baseline's status or an unknown one, or moved to final
    or implemented with no equality checkpoints at all (the gates hold in planner/)."""
    from planner.equality.checkpoints import GateRefused

    a = create(session, actors["manager"], "Option A")
    if status == "draft":  # the status it already has: nothing to do, no version bump
        assert options.set_option_status(session=session, actor=actors["hr"], structure=a,
                                         status=status, expected_version=a.version).version == 1
        return
    if allowed:
        s = options.set_option_status(session=session, actor=actors["hr"], structure=a,
                                      status=status, expected_version=a.version)
        session.commit()
        assert (s.status, s.version) == (status, 2)
        (event,) = events(session, entity="structure", action="status")
        assert (event.before, event.after) == ({"status": "draft"},
                                               {"status": status, "version": 2})
    else:
        error = GateRefused if status in ("final", "implemented") else ValidationFailed
        with pytest.raises(error):
            options.set_option_status(session=session, actor=actors["hr"], structure=a,
                                      status=status, expected_version=a.version)
        session.rollback()
        assert session.get(Structure, a.id).status == "draft"


def test_set_option_status_refuses_roles_stale_versions_and_the_baseline(session, actors,
                                                                           base_id):
    """Catches: a union rep or admin publishing an option, a status saved over someone
    else's change, or the establishment given an option's status."""
    a = create(session, actors["manager"], "Option A")
    for role in ("union", "admin"):
        with pytest.raises(PermissionDenied):
            options.set_option_status(session=session, actor=actors[role], structure=a,
                                      status="published", expected_version=a.version)
    options.rename_option(session=session, actor=actors["hr"], structure=a, name="Option A2",
                          expected_version=a.version)
    with pytest.raises(StaleVersion, match="renamed"):
        options.set_option_status(session=session, actor=actors["manager"], structure=a,
                                  status="published", expected_version=1)
    with pytest.raises(options.NotAnOption):
        options.set_option_status(session=session, actor=actors["hr"], structure="baseline",
                                  status="published", expected_version=1)


def test_delete_option_removes_consultation_and_equality_records(session, actors, base_id):
    """Catches: an option deleted while its consultation plan, stages, ETO rationales or
    equality checkpoints (and their impacts) stay behind pointing at a missing structure."""
    import datetime as dt

    from planner.core.models import (
        ConsultationPlan,
        ConsultationStage,
        EqualityCheckpoint,
        EqualityImpact,
        EtoRationale,
        Person,
    )
    from planner.equality.checkpoints import save_checkpoint

    hr = actors["hr"]
    a = create(session, hr, "Option A")
    keep = create(session, hr, "Option B")
    for option in (a, keep):
        save_checkpoint(session=session, actor=hr, structure=option, stage=1,
                        due_on=dt.date(2026, 12, 1), impacts=[], expected_version=0)
        session.add(ConsultationPlan(structure_id=option.id, reasons="Savings"))
        session.add(ConsultationStage(structure_id=option.id, key="launch", name="Launch"))
    person = session.exec(select(Person).where(Person.employee_ref == "E3")).one()
    post = session.exec(select(Post).where(Post.post_ref == "M2", Post.structure_id == base_id)
                        ).one()
    session.add(EtoRationale(structure_id=a.id, person_id=person.id, baseline_post_id=post.id,
                             change="deleted", rationale="Organisational"))
    session.commit()
    options.delete_option(session=session, actor=hr, structure="Option A")
    session.commit()
    for model in (ConsultationPlan, ConsultationStage, EqualityCheckpoint):
        assert session.exec(select(model.structure_id)).all() == [keep.id], model.__name__
    assert session.exec(select(EtoRationale.id)).all() == []
    impacts = session.exec(select(EqualityImpact.checkpoint_id)).all()
    assert len(impacts) == 9 and set(impacts) == {
        session.exec(select(EqualityCheckpoint.id)).one()}
    (event,) = events(session, entity="structure", action="delete")
    assert event.before["deleted_with_it"] == {
        "equality_impacts": 9, "equality_checkpoints": 1, "eto_rationales": 1,
        "consultation_stages": 1, "consultation_plans": 1}


def test_a_manager_and_its_reports_delete_in_one_save_in_any_order(session, actors, base_id):
    """Catches: posts deleted one by one in list order, so deleting M1 before the O1 and O2
    that report to it broke the reporting-line foreign key (the demo loader had to order its
    deletions deepest first)."""
    hr = actors["hr"]
    a = create(session, hr, "Option A")
    versions = {p.post_ref: p.version for p in session.exec(
        select(Post).where(Post.structure_id == a.id)).all()}
    options.edit_option_posts(session=session, actor=hr, structure=a.id, edits=PostEdits(
        deleted=["M1", "O1", "O2"], versions={k: versions[k] for k in ("M1", "O1", "O2")}))
    session.commit()
    assert sorted(frame(session, a.id)["post_id"]) == ["H1", "M2"]
    deleted = events(session, entity="post", action="delete")
    assert sorted(e.before["post_id"] for e in deleted) == ["M1", "O1", "O2"]
    assert {e.before["post_id"]: e.before["reports_to"] for e in deleted} == {
        "M1": "H1", "O1": "M1", "O2": "M1"}


@pytest.mark.parametrize("status", ["published", "final", "implemented"])
def test_a_published_option_cannot_be_deleted(session, actors, base_id, status):
    """Catches: deleting a published option (and with it hr's consultation plan, checkpoint
    and equality impacts) that union representatives had read (issue 10)."""
    hr = actors["hr"]
    a = create(session, hr, "Option A")
    a.status = status
    session.add(a)
    session.commit()
    for who in ("hr", "manager"):
        with pytest.raises(PlannerError, match="cannot be deleted. Archive it instead"):
            options.delete_option(session=session, actor=actors[who], structure="Option A")
        session.rollback()
    assert session.get(Structure, a.id) is not None


def test_a_manager_cannot_delete_hr_records_with_an_option(session, actors, base_id):
    """hr's consultation plan goes only by hr's hand; a manager is told to archive."""
    from planner.core.models import ConsultationPlan

    a = create(session, actors["hr"], "Option A")
    session.add(ConsultationPlan(structure_id=a.id, reasons="Savings"))
    session.commit()
    with pytest.raises(PlannerError, match=r"holds HR's records \(consultation plans\)"):
        options.delete_option(session=session, actor=actors["manager"], structure="Option A")
    session.rollback()
    assert session.exec(select(ConsultationPlan)).one().structure_id == a.id
    b = create(session, actors["manager"], "Option B")  # no hr records: the manager may
    session.commit()
    options.delete_option(session=session, actor=actors["manager"], structure=b.id)
    session.commit()
    assert session.get(Structure, b.id) is None


def _archive_calls(option: Structure, version: int):
    """Every service that changes an option, as (label, call(session, actor))."""
    from planner.equality import checkpoints as equality
    from planner.legal import consultation, eto

    return [
        ("rename", lambda s, a: options.rename_option(
            session=s, actor=a, structure=option.id, name="Z", expected_version=version)),
        ("describe", lambda s, a: options.describe_option(
            session=s, actor=a, structure=option.id, description="x", expected_version=version)),
        ("assume", lambda s, a: options.set_assume_recruited(
            session=s, actor=a, structure=option.id, value=True, expected_version=version)),
        ("status", lambda s, a: options.set_option_status(
            session=s, actor=a, structure=option.id, status="proposed",
            expected_version=version)),
        ("envelope", lambda s, a: options.set_envelope(
            session=s, actor=a, structure=option.id, envelope_pence=1, months=12, shares=None,
            expected_version=version)),
        ("posts", lambda s, a: options.edit_option_posts(
            session=s, actor=a, structure=option.id,
            edits=PostEdits(updated={"O1": {"grade": "PO4"}}, versions={"O1": 1}))),
        ("delete", lambda s, a: options.delete_option(
            session=s, actor=a, structure=option.id, expected_version=version)),
        ("plan", lambda s, a: consultation.save_plan(
            session=s, actor=a, structure=option.id, fields=consultation.PlanFields())),
        ("stages", lambda s, a: consultation.save_stages(
            session=s, actor=a, structure=option.id, rows=[])),
        ("checkpoint", lambda s, a: equality.save_checkpoint(
            session=s, actor=a, structure=option.id, stage=1, due_on=None, impacts=[],
            expected_version=0)),
        ("eto", lambda s, a: eto.set_eto_rationale(
            session=s, actor=a, structure=option.id, person_id=1, baseline_post_id=1,
            rationale="x", expected_version=0)),
    ]


def test_an_archived_option_refuses_every_change_is_hidden_then_restorable(session, actors,
                                                                          base_id):
    """Catches: an archived option still editable through any service (the page hiding a
    button is not enough), still offered in lists and pickers, or not restorable."""
    manager, hr = actors["manager"], actors["hr"]
    option = options.create_option(session=session, actor=manager, name="Option 2")
    session.commit()
    with pytest.raises(StaleVersion):
        options.archive_option(session=session, actor=manager, structure="Option 2",
                               expected_version=option.version + 1)
    with pytest.raises(PermissionDenied):
        options.archive_option(session=session, actor=actors["admin"], structure="Option 2",
                               expected_version=option.version)
    options.archive_option(session=session, actor=manager, structure="Option 2",
                           expected_version=option.version)
    session.commit()
    version = option.version
    for label, call in _archive_calls(option, version):
        try:
            call(session, hr)
        except options.ArchivedOption as exc:
            assert str(exc) == "Option 2 is archived: restore it to change it.", label
        else:
            pytest.fail(f"{label} changed an archived option")
        finally:
            session.rollback()
    assert "Option 2" not in set(options.list_structures(session=session, actor=manager)["name"])
    assert options.readable_options(session=session, actor=manager, action="options.read").empty
    listed = options.list_structures(session=session, actor=manager, include_archived=True)
    assert listed.set_index("name").at["Option 2", "archived"]
    assert list(options.readable_options(session=session, actor=manager, action="options.read",
                                         include_archived=True)["name"]) == ["Option 2"]
    # Still read: compared, costed, copied.
    comparison.compare_structures(session=session, actor=manager, base="baseline",
                               other="Option 2")
    options.create_option(session=session, actor=manager, name="Copy", source="Option 2")

    options.restore_option(session=session, actor=hr, structure="Option 2",
                           expected_version=version)
    session.commit()
    assert "Option 2" in set(options.list_structures(session=session, actor=manager)["name"])
    options.rename_option(session=session, actor=manager, structure="Option 2", name="Option 3",
                          expected_version=version + 1)
    actions = [e.action for e in session.exec(
        select(AuditEvent).where(AuditEvent.entity == "structure",
                                 AuditEvent.entity_id == str(option.id))
        .order_by(AuditEvent.id)).all()]
    assert actions == ["create", "archive", "restore", "rename"]
