"""Audit, reference data, users and drafts pages, each with the roles that use them."""

from __future__ import annotations

from sqlmodel import select

from planner.core.models import AuditEvent, Grade, User
from tests.app.conftest import all_text, app_as


def _table(at, first_column: str):
    found = [d.value for d in at.dataframe if list(d.value.columns)[:1] == [first_column]]
    assert len(found) == 1, f"{len(found)} tables starting with {first_column!r}"
    return found[0]


def test_audit_page_lists_events_as_sentences_with_the_raw_record_a_click_away(app_db):
    """Catches: list_events not reached, events shown as field names and ids instead of a
    sentence, or the raw before/after lost (it must show once the row is selected)."""
    with app_db.session() as s:
        s.add(AuditEvent(username="hr", action="update", entity="post", entity_id="999999",
                         before={"post_id": "P-1", "title": "Officer"},
                         after={"post_id": "P-1", "title": "Senior Officer"}))
        s.commit()
    at = app_as(app_db.actors["hr"], "pages/audit.py")
    assert not at.exception, at.exception
    table = at.dataframe[0]
    assert list(table.proto.column_order) == ["at", "who", "what"]
    first = table.value.iloc[0]
    assert first["who"] == "Test hr"
    assert first["what"] == "Test hr retitled P-1 from “Officer” to “Senior Officer”."
    assert not at.json
    at.session_state["audit_table"] = {"selection": {"rows": [0], "columns": [], "cells": []}}
    at.run()
    assert [e.label for e in at.expander] == ["The record as written"]
    assert [j.value for j in at.json] == ['{"post_id": "P-1", "title": "Officer"}',
                                          '{"post_id": "P-1", "title": "Senior Officer"}']


def test_audit_filters_are_passed_to_the_query(app_db):
    """Catches: filter widgets that are drawn but not passed to list_events."""
    with app_db.session() as s:
        s.add(AuditEvent(username="hr", action="update", entity="grade", entity_id="PO1"))
        s.add(AuditEvent(username="admin", action="update", entity="post", entity_id="9"))
        s.commit()
    at = app_as(app_db.actors["admin"], "pages/audit.py")
    at.selectbox(key="audit_entity").set_value("grade").run()
    assert list(at.dataframe[0].value["entity_id"]) == ["PO1"]
    at.selectbox(key="audit_entity").set_value(None)
    at.text_input(key="audit_username").input("nobody").run()
    assert "No audit events match these filters." in all_text(at)


def test_reference_page_shows_the_current_pay_year(app_db):
    """Catches: the spine shown for every year at once, or the year select not applied."""
    at = app_as(app_db.actors["manager"], "pages/reference.py")
    year = at.selectbox(key="pay_year")
    spine = _table(at, "pay_year")
    assert set(spine["pay_year"]) == {year.value}
    assert len(year.options) >= 2
    other = next(y for y in year.options if y != year.value)
    at.selectbox(key="pay_year").set_value(other).run()
    assert set(_table(at, "pay_year")["pay_year"]) == {other}


def test_manager_cannot_edit_grades_but_hr_can(app_db):
    """Catches: the grade form offered to a read-only role, or the save not reaching
    update_grade (no change, no audit)."""
    at = app_as(app_db.actors["manager"], "pages/reference.py")
    assert "Save grade" not in [b.label for b in at.button]
    at = app_as(app_db.actors["hr"], "pages/reference.py")
    at.selectbox[1].set_value("PO1")
    at.number_input[0].set_value(20)
    at.number_input[1].set_value(24)
    next(b for b in at.button if b.label == "Save grade").click().run()
    assert not at.exception, at.exception
    with app_db.session() as s:
        grade = s.exec(select(Grade).where(Grade.name == "PO1")).one()
        assert (grade.min_scp, grade.max_scp) == (20, 24)
        assert s.exec(select(AuditEvent).where(AuditEvent.entity == "grade")).one().username == "hr"
    assert "PO1 now runs from point 20 to 24." in all_text(at)


def test_reference_page_rejects_an_inverted_range(app_db):
    """Catches: a ValidationFailed from update_grade escaping as a traceback."""
    at = app_as(app_db.actors["admin"], "pages/reference.py")
    at.number_input[0].set_value(30)
    at.number_input[1].set_value(10)
    next(b for b in at.button if b.label == "Save grade").click().run()
    assert not at.exception
    assert any("The range must satisfy" in e.value for e in at.error)


def test_admin_adds_a_user(app_db):
    """Catches: the form not reaching add_user, or the new user not listed after the rerun."""
    at = app_as(app_db.actors["admin"], "pages/users.py")
    assert list(_table(at, "username")["username"]) == ["admin", "hr", "manager", "union"]
    at.text_input[0].input("rep2")
    at.selectbox[0].set_value("union")
    at.text_input[1].input("Second Rep")
    at.text_input[2].input("Rep2@Council.Example")
    at.text_input[3].input("long-enough-password")
    next(b for b in at.button if b.label == "Add user").click().run()
    assert not at.exception, at.exception
    assert "Added rep2 as union." in all_text(at)
    assert "rep2" in list(_table(at, "username")["username"])
    with app_db.session() as s:
        assert s.exec(select(User).where(User.username == "rep2")).one().email == \
            "rep2@council.example"


def test_users_table_never_shows_password_hashes(app_db):
    """Catches: the User rows' password_hash reaching the page."""
    at = app_as(app_db.actors["admin"], "pages/users.py")
    table = _table(at, "username")
    assert "password_hash" not in table.columns
    assert not any("argon2" in str(v) for v in table.to_numpy().ravel())


def test_adding_a_user_with_a_short_password_shows_why(app_db):
    """Catches: validation errors from add_user escaping as a traceback."""
    at = app_as(app_db.actors["admin"], "pages/users.py")
    at.text_input[0].input("shorty")
    at.text_input[3].input("short")
    next(b for b in at.button if b.label == "Add user").click().run()
    assert not at.exception
    assert "The user was not added." in [e.value for e in at.error]
    assert "Password must be at least 10 characters." in list(_table(at, "sheet")["message"])


def test_union_lands_on_the_drafts_page(app_db):
    """Catches: the union rep landing on an empty menu or an error instead of the drafts page."""
    at = app_as(app_db.actors["union"])
    assert [t.value for t in at.title] == ["Published drafts"]
    assert [i.value for i in at.info] == ["No drafts have been published yet."]
