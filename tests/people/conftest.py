"""Fixtures shared by the people-floor tests: `world`, an establishment and one option."""

from __future__ import annotations

import pytest
from sqlmodel import select


def _new_post(ref: str) -> dict[str, str]:
    return {"post_id": ref, "title": "Lead Officer", "division": "Digital", "team": "Core",
            "reports_to": "H0", "grade": "PO3", "fte": "1", "partner": "shared",
            "funding": "base", "notes": ""}


@pytest.fixture
def world(session):
    from planner.core.models import Post
    from planner.establishment.register import PostEdits
    from planner.structures.options import create_option, edit_option_posts
    from tests.factories import build_flat_establishment, make_actors

    actors = make_actors(session)
    build_flat_establishment(session, 6)
    session.commit()
    option = create_option(session=session, actor=actors["manager"], name="Option M")
    versions = {p.post_ref: p.version for p in session.exec(
        select(Post).where(Post.structure_id == option.id))}
    touched = ["P01", "P02", "P03", "P04"]
    edit_option_posts(session=session, actor=actors["manager"], structure=option.id,
                      edits=PostEdits(added=[_new_post("N1"), _new_post("N2")],
                                      deleted=["P01", "P02", "P03"],
                                      updated={"P04": {"grade": "PO4"}},
                                      versions={r: versions[r] for r in touched}))
    session.commit()
    return session, actors, option.id
