"""Grades are picked from the grade table in the post editors, never typed (issue 17)."""

from __future__ import annotations

import json

import pytest
from sqlmodel import select

from planner.core.models import Grade
from planner.structures.options import create_option
from tests.app.conftest import app_as


def _grade_column(editor) -> dict:
    return json.loads(editor.proto.columns)["grade"]


@pytest.mark.parametrize(("page", "tab_key", "tab"),
                         [("pages/establishment.py", "establishment_tab", "Edit posts"),
                          ("pages/options.py", "options_tab", "Edit posts")])
def test_the_post_editors_offer_the_grade_list_in_pay_order(app_db, page, tab_key, tab):
    """Catches: a grade typed as free text (a typo found only at Save), or the list in the
    wrong order or missing a grade."""
    with app_db.session() as s:
        if page == "pages/options.py":
            create_option(session=s, actor=app_db.actors["hr"], name="Option A")
            s.commit()
        names = list(s.exec(select(Grade.name).order_by(Grade.sort_order)).all())
    at = app_as(app_db.actors["hr"], page)
    at.session_state[tab_key] = tab
    at.run()
    assert not at.exception, at.exception
    assert len(at.data_editor) == 1
    column = _grade_column(at.data_editor[0])
    assert column["type_config"]["type"] == "selectbox"
    assert column["type_config"]["options"] == names
    assert column["required"] is True
