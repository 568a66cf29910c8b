"""Who an option puts at risk: the baseline posts it deletes, and the s.188(4) tables."""

from __future__ import annotations

import pandas as pd

from planner.establishment.register import PostEdits, baseline_id
from planner.legal import at_risk
from planner.structures import comparison, options
from tests.factories import make_actors
from tests.structures.test_options import establish


def deleted_by_difference(session, option) -> set[int]:
    """The deleted posts as the Compare page finds them: the lineage frames' difference."""
    fa = comparison.lineage_frame(session, baseline_id(session))
    frame = comparison.lineage_difference(fa, comparison.lineage_frame(session, option.id))
    pk_of = dict(zip(fa["post_id"], fa["baseline_pk"], strict=True))
    gone = frame.loc[frame["change"] == "deleted", "post_id"].tolist()
    return {int(pk_of[r]) for r in gone if pk_of.get(r) is not None}


def test_deleted_posts_are_the_differences_deleted_rows(session):
    """Catches: the id-only read of deleted posts (issue 16) disagreeing with the difference
    of the two structures: a renamed post taken as deleted, a copy of a copy's posts lost, a
    new post in a deleted post's place taken as continuing it."""
    actors = make_actors(session)
    establish(session)
    a = options.create_option(session=session, actor=actors["hr"], name="Option A",
                              source="baseline")
    options.edit_option_posts(session=session, actor=actors["hr"], structure=a, edits=PostEdits(
        added=[{"post_id": "N1", "title": "New Officer", "grade": "PO2", "reports_to": "M1"}],
        updated={"M2": {"post_id": "M9", "grade": "PO4"}}, deleted=["O1", "O2"]))
    b = options.create_option(session=session, actor=actors["hr"], name="Option B",
                              source="Option A")
    options.edit_option_posts(session=session, actor=actors["hr"], structure=b, edits=PostEdits(
        deleted=["M9"]))
    c = options.create_option(session=session, actor=actors["hr"], name="Option C",
                              source="baseline")
    session.commit()
    found = {o.name: at_risk.deleted_post_pks(session, o) for o in (a, b, c)}
    assert found == {o.name: deleted_by_difference(session, o) for o in (a, b, c)}
    assert [len(found[k]) for k in ("Option A", "Option B", "Option C")] == [2, 3, 0]


def test_agency_table_counts_each_worker_once_by_where_and_what():
    """Catches: the grouped count (issue 16) counting a worker in two posts twice, losing the
    sorted order, or giving an empty table other columns than the rows' one."""
    everyone = pd.DataFrame({
        "person_id": [1, 1, 2, 3, 4, 5],
        "division": ["B", "B", "A", "A", "A", "A"], "team": ["x", "x", "y", "y", "y", "y"],
        "title": ["Dev", "Dev", "Ops", "Ops", "Ops", "Ops"],
        "contract": ["agency", "agency", "interim", "interim", "permanent", "agency"]})
    got = at_risk.agency_frame(everyone)
    assert got.to_dict(orient="records") == [
        {"division": "A", "team": "y", "title": "Ops", "contract": "agency", "workers": 1},
        {"division": "A", "team": "y", "title": "Ops", "contract": "interim", "workers": 2},
        {"division": "B", "team": "x", "title": "Dev", "contract": "agency", "workers": 1}]
    pd.testing.assert_frame_equal(at_risk.agency_frame(everyone.iloc[:0]),
                                  pd.DataFrame([], columns=at_risk.AGENCY_COLUMNS))
