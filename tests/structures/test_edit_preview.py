"""An option's unsaved post edits priced before Save (planner.structures.edit_preview): the preview must
equal what Save then produces, and write nothing."""

from __future__ import annotations

import pytest
from sqlmodel import func, select

from planner.core.auth import Actor
from planner.core.errors import PermissionDenied
from planner.core.models import AuditEvent, Post, Structure
from planner.establishment.register import PostEdits
from planner.structures import options
from planner.structures.costing import cost_structure
from planner.structures.edit_preview import preview_option_edits
from tests.factories import build_small_establishment, make_actors


@pytest.fixture
def setup(session):
    actors = make_actors(session)
    build_small_establishment(session)
    option = options.create_option(session=session, actor=actors["manager"], name="Option A")
    options.set_envelope(session=session, actor=actors["manager"], structure=option.id,
                         envelope_pence=50_000_000, months=12, shares=None,
                         expected_version=option.version)
    session.commit()
    return actors["manager"], option.id


def _saved(session, actor: Actor, sid: int) -> tuple[int, int | None]:
    cost = cost_structure(session=session, actor=actor, structure_id=sid)
    return cost.full_year_total, cost.envelope().headroom


def _footprint(session, sid: int) -> tuple:
    return (session.exec(select(func.count()).select_from(AuditEvent)).one(),
            session.get(Structure, sid).version,
            tuple(session.exec(select(Post.post_ref, Post.grade, Post.fte, Post.version)
                               .where(Post.structure_id == sid).order_by(Post.id)).all()))


CASES = [
    # (edits, people affected): the posts of tests.factories.build_small_establishment
    (PostEdits(), 0),
    (PostEdits(updated={r: {"reports_to": "H1"} for r in ("O1", "O2", "O3")},
               deleted=["M1"]), 2),  # a job share: two employees
    (PostEdits(updated={"O3": {"grade": "PO3"}}), 1),  # regraded, its occupant affected
    (PostEdits(updated={"O3": {"fte": "0.8"}}), 1),  # FTE reduced to its occupant's
    (PostEdits(updated={"O2": {"fte": "1"}}), 0),  # a vacant post grown: nobody
    (PostEdits(updated={"O1": {"title": "Senior Officer", "reports_to": "H1"}}), 0),
    (PostEdits(added=[{"post_id": "N1", "title": "New", "division": "Digital", "team": "Core",
                       "reports_to": "H1", "grade": "PO4", "fte": "1", "partner": "shared",
                       "funding": "base", "notes": ""}]), 0),
    (PostEdits(updated={"M2": {"partner": "shared"}}, deleted=["O1", "O3"]), 2),
]


@pytest.mark.parametrize(("edits", "people"), CASES)
def test_the_preview_is_what_save_produces_and_writes_nothing(session, setup, edits, people):
    """Catches: a preview priced differently from the save (another costing path), an edit
    kind left out of the delta, the wrong people counted, or a preview that writes."""
    actor, sid = setup
    saved_cost, saved_headroom = _saved(session, actor, sid)
    before = _footprint(session, sid)

    preview = preview_option_edits(session=session, actor=actor, structure=sid, edits=edits)

    assert _footprint(session, sid) == before
    assert not session.new and not session.dirty and not session.deleted
    assert preview.problems == ()
    assert preview.people_affected == people
    assert (preview.saved_cost, preview.saved_headroom) == (saved_cost, saved_headroom)
    if not edits.is_empty():
        options.edit_option_posts(session=session, actor=actor, structure=sid, edits=edits)
        session.commit()
    cost, headroom = _saved(session, actor, sid)
    assert (preview.cost, preview.headroom) == (cost, headroom)
    assert preview.cost_change == cost - saved_cost
    assert preview.headroom_change == headroom - saved_headroom
    assert (preview.cost != saved_cost) == (edits.deleted != [] or edits.added != []
                                            or any("grade" in c or "fte" in c or "partner" in c
                                                   for c in edits.updated.values()))


def test_values_that_cannot_be_priced_wait_with_a_reason(session, setup):
    """Catches: a typo in the grid that crashes the page instead of being named."""
    actor, sid = setup
    edits = PostEdits(updated={"O3": {"grade": "XX9"}, "H1": {"fte": "lots"}})
    preview = preview_option_edits(session=session, actor=actor, structure=sid, edits=edits)
    assert preview.problems == ("H1: FTE “lots” is not a number from 0 to 1.",
                                "Grade XX9 is not in the grade table.")
    assert preview.cost == preview.saved_cost


def test_a_union_rep_gets_no_preview(session, setup):
    """Catches: option costs reaching a role that may not read options."""
    _, sid = setup
    rep = Actor(id=None, username="rep", role="union")
    with pytest.raises(PermissionDenied):
        preview_option_edits(session=session, actor=rep, structure=sid, edits=PostEdits())
