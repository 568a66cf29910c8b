"""Responses to drafts (issue 13): a union rep responds, hr replies, by role; the log."""

from __future__ import annotations

import io

import openpyxl
import pytest

from planner.core.errors import PermissionDenied, StaleVersion, ValidationFailed
from planner.publishing import drafts as d
from planner.publishing import responses as r
from tests.publishing.conftest import OPTION, TODAY


def _draft(world):
    with world.session() as s:
        draft = d.publish(session=s, actor=world.actors["hr"], structure=world.option_id,
                          note="First draft.", today=TODAY)
        s.commit()
        return draft


def test_a_rep_responds_and_hr_replies(world):
    draft = _draft(world)
    union, hr = world.actors["union"], world.actors["hr"]
    with world.session() as s:
        resp = r.submit_response(session=s, actor=union, draft_id=draft.id,
                                 text="Ring-fence the desk manager post to the three leads.",
                                 post_id="ICT-095")
        assert resp.status == "open"
        for role in ("hr", "manager", "admin"):
            with pytest.raises(PermissionDenied):
                r.submit_response(session=s, actor=world.actors[role], draft_id=draft.id,
                                  text="x")
        for role in ("union", "manager"):
            with pytest.raises(PermissionDenied):
                r.reply_to_response(session=s, actor=world.actors[role], response_id=resp.id,
                                    reply="x", status="answered", expected_version=1)
        with pytest.raises(ValidationFailed):
            r.reply_to_response(session=s, actor=hr, response_id=resp.id, reply=" ",
                                status="not accepted", expected_version=1)
        r.reply_to_response(session=s, actor=hr, response_id=resp.id, status="accepted",
                            reply="Agreed: the pool is the three team leaders.",
                            expected_version=1)
        with pytest.raises(StaleVersion):
            r.reply_to_response(session=s, actor=hr, response_id=resp.id, reply="again",
                                status="answered", expected_version=1)
        s.commit()
        log = r.responses_frame(session=s, actor=union, structure=OPTION)
        assert list(log["status"]) == ["accepted"] and list(log["post_id"]) == ["ICT-095"]
        assert log.iloc[0]["reply"].startswith("Agreed")
        book = openpyxl.load_workbook(io.BytesIO(r.response_log_xlsx(log, option=OPTION)))
        rows = list(book["responses"].iter_rows(min_row=4, values_only=True))
        assert rows[0][0] == 1 and rows[0][5].startswith("Ring-fence")


@pytest.mark.parametrize(("kwargs", "column"), [
    ({"text": ""}, "text"),
    ({"text": "x", "post_id": "NOPE-1"}, "post_id"),
    ({"text": "x", "team": "No such team"}, "team"),
])
def test_a_response_is_checked(world, kwargs, column):
    draft = _draft(world)
    with world.session() as s, pytest.raises(ValidationFailed) as caught:
        r.submit_response(session=s, actor=world.actors["union"], draft_id=draft.id, **kwargs)
    assert [e.column for e in caught.value.errors] == [column]


def test_no_response_to_a_withdrawn_draft(world):
    draft = _draft(world)
    with world.session() as s:
        d.withdraw(session=s, actor=world.actors["hr"], draft_id=draft.id, reason="Superseded",
                   expected_version=draft.version)
        with pytest.raises(ValidationFailed) as caught:
            r.submit_response(session=s, actor=world.actors["union"], draft_id=draft.id,
                              text="Too late?")
        assert "withdrawn" in caught.value.errors[0].message
