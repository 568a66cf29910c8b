"""Users page and live roles: an administrator's change takes effect at the user's next click."""

from __future__ import annotations

from sqlmodel import select

from planner.core.auth import update_user
from planner.core.models import AuditEvent, User
from tests.app.conftest import all_text, app_as


def test_a_demoted_user_loses_the_audit_page_at_the_next_run(app_db):
    """Catches: roles read once at sign-in (a user demoted from hr to union still opened the
    Audit page)."""
    at = app_as(app_db.actors["hr"], "pages/audit.py")
    assert not at.exception and "Audit" in all_text(at)
    with app_db.session() as s:
        update_user(session=s, actor=app_db.actors["admin"], username="hr", role="union")
        s.commit()
    at.run()
    assert not at.exception
    shown = all_text(at)
    assert "Signed in as Trade-union representative" in shown
    assert not [t for t in at.title if t.value == "Audit"]  # back on the union's landing page


def test_a_deactivated_user_is_signed_out_at_the_next_run(app_db):
    at = app_as(app_db.actors["manager"], "pages/establishment.py")
    with app_db.session() as s:
        update_user(session=s, actor=app_db.actors["admin"], username="manager", active=False)
        s.commit()
    at.run()
    assert not at.exception
    assert "no longer active" in all_text(at)
    with app_db.session() as s:
        assert s.exec(select(AuditEvent).where(AuditEvent.action == "deactivated")).first()


def test_admin_changes_a_role_on_the_users_page(app_db):
    at = app_as(app_db.actors["admin"], "pages/users.py")
    at.selectbox(key="users_change_pick").set_value("manager").run()
    at.selectbox(key="users_change_role_manager").set_value("union")
    at.button[[b.label for b in at.button].index("Save changes")].click().run()
    assert not at.exception, at.exception
    with app_db.session() as s:
        assert s.exec(select(User.role).where(User.username == "manager")).one() == "union"


def test_the_last_admin_is_refused_on_the_page(app_db):
    at = app_as(app_db.actors["admin"], "pages/users.py")
    at.selectbox(key="users_change_pick").set_value("admin").run()
    at.toggle(key="users_change_active_admin").set_value(False)
    at.button[[b.label for b in at.button].index("Save changes")].click().run()
    assert "last active administrator" in all_text(at)
