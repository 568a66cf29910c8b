"""Comparing structures: the lineage that ties a post to its counterparts."""

from __future__ import annotations

from sqlmodel import select

from planner.core.models import Post, Structure
from planner.establishment.register import PostEdits
from planner.structures import comparison, options
from tests.factories import make_actors
from tests.structures.test_options import establish


def test_lineage_frame_equals_the_straightforward_reading(session):
    """Catches: the vectorised lineage (issue 16) tying a post to the wrong baseline post,
    missing a new post's own lineage, or giving its baseline_pk as a float or NaN."""
    actors = make_actors(session)
    base_id = establish(session)
    a = options.create_option(session=session, actor=actors["hr"], name="Option A",
                              source="baseline")
    options.edit_option_posts(session=session, actor=actors["hr"], structure=a, edits=PostEdits(
        added=[{"post_id": "N1", "title": "New Officer", "grade": "PO2", "reports_to": "M1"}],
        deleted=["O1"]))
    b = options.create_option(session=session, actor=actors["hr"], name="Option B",
                              source="Option A")
    session.commit()
    for sid in (base_id, a.id, b.id):
        kind = session.get(Structure, sid).kind
        posts = session.exec(select(Post).where(Post.structure_id == sid).order_by(Post.id)).all()
        pks = [p.id if kind == "baseline" else p.baseline_post_id for p in posts]
        frame = comparison.lineage_frame(session, sid)
        assert frame["lineage"].tolist() == [f"b{pk}" if pk is not None else f"r{p.post_ref}"
                                             for p, pk in zip(posts, pks, strict=True)]
        assert str(frame["lineage"].dtype) == "str"
        assert frame["baseline_pk"].dtype == object
        assert [(type(x), x) for x in frame["baseline_pk"]] == [(type(x), x) for x in pks]
    assert "rN1" in comparison.lineage_frame(session, b.id)["lineage"].tolist()


def test_compare_structures_reads_what_the_whole_lineage_frames_would_give(session):
    """Catches: the narrow read of compare_structures (issue 16) comparing other values than
    the whole lineage frames hold (a manager, an FTE's text, a new post's lineage)."""
    import pandas as pd

    actors = make_actors(session)
    establish(session)
    a = options.create_option(session=session, actor=actors["hr"], name="Option A",
                              source="baseline")
    options.edit_option_posts(session=session, actor=actors["hr"], structure=a, edits=PostEdits(
        added=[{"post_id": "N1", "title": "New Officer", "grade": "PO2", "reports_to": "M1",
                "fte": "0.25"}],
        updated={"M2": {"post_id": "M9", "grade": "PO4", "reports_to": "M1", "fte": "0.6"}},
        deleted=["O1"]))
    b = options.create_option(session=session, actor=actors["hr"], name="Option B",
                              source="Option A")
    session.commit()
    for base, other in (("baseline", a), (a, b), (b, "baseline")):
        got = comparison.compare_structures(session=session, actor=actors["hr"], base=base,
                                            other=other)
        frames = [comparison.lineage_frame(session, x.id if isinstance(x, Structure) else
                                           options.resolve_structure(session, x).id)
                  for x in (base, other)]
        pd.testing.assert_frame_equal(got.frame, comparison.lineage_difference(*frames),
                                      check_exact=True)
