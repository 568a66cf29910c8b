"""Fixtures for the finance floor: `plan_world`, an establishment of six PO3 officers under a
vacant head, and an option deleting three of them."""

from __future__ import annotations

import pytest
from sqlmodel import select


@pytest.fixture
def plan_world(session):
    from planner.core.models import Post
    from planner.establishment.register import PostEdits
    from planner.structures.options import create_option, edit_option_posts
    from tests.factories import build_flat_establishment, make_actors

    actors = make_actors(session)
    build_flat_establishment(session, 6)
    session.commit()
    option = create_option(session=session, actor=actors["manager"], name="Option P")
    versions = {p.post_ref: p.version for p in session.exec(
        select(Post).where(Post.structure_id == option.id))}
    edit_option_posts(session=session, actor=actors["manager"], structure=option.id,
                      edits=PostEdits(deleted=["P01", "P02", "P03"],
                                      versions={r: versions[r] for r in ("P01", "P02", "P03")}))
    session.commit()
    return session, actors, option.id
