"""Sign-in, sign-out and the idle timeout, through the real app.py."""

from __future__ import annotations

import time

from sqlmodel import select
from streamlit.testing.v1 import AppTest

from planner.core.models import AuditEvent
from planner.ui.session import ACTOR_KEY, LAST_ACTIVITY_KEY
from tests.app.conftest import APP, PASSWORDS, TIMEOUT, all_text, app_as


def _actions(db, action: str) -> list[AuditEvent]:
    with db.session() as s:
        return list(s.exec(select(AuditEvent).where(AuditEvent.action == action)))


def _submit(at: AppTest, username: str, password: str) -> AppTest:
    at.text_input[0].input(username)
    at.text_input[1].input(password)
    return at.button[0].click().run()


def test_sign_in_page_shows_the_form_and_nothing_else(app_db):
    """Catches: a page (or the establishment) rendered before anyone has signed in."""
    at = app_as(None)
    assert not at.exception
    assert [t.label for t in at.text_input] == ["Username", "Password"]
    assert at.text_input[1].proto.type == at.text_input[1].proto.PASSWORD
    assert [b.label for b in at.button] == ["Sign in"]
    assert not at.metric and not at.dataframe
    assert "Establishment" not in [t.value for t in at.title]
    assert any("Ask your system administrator for an account." in c.value for c in at.caption)


def test_wrong_password_shows_a_plain_error_and_is_audited(app_db):
    """Catches: the failure being rolled back with the session (no signin_failed event), or a
    message that tells an attacker which of the two was wrong."""
    at = _submit(app_as(None), "hr", "not-the-password")
    assert not at.exception
    assert [e.value for e in at.error] == ["Wrong username or password."]
    assert ACTOR_KEY not in at.session_state
    failed = _actions(app_db, "signin_failed")
    assert [e.entity_id for e in failed] == ["hr"]


def test_correct_sign_in_as_hr_opens_the_establishment(app_db):
    """Catches: sign-in not storing the actor, or navigation not built after st.rerun."""
    at = _submit(app_as(None), "hr", PASSWORDS["hr"])
    assert not at.exception
    assert at.session_state[ACTOR_KEY].username == "hr"
    assert [t.value for t in at.title] == ["Establishment"]
    assert "Signed in as HR" in all_text(at)
    assert len(_actions(app_db, "signin")) == 1


def test_sign_out_button_ends_the_session_and_is_audited(app_db):
    """Catches: a sign-out that leaves the actor (or a previous user's UI state) in the session."""
    at = app_as(app_db.actors["manager"])
    at.session_state["filter_grade"] = ["PO2"]
    at.sidebar.button(key="sign_out").click().run()
    assert not at.exception
    assert ACTOR_KEY not in at.session_state
    assert "filter_grade" not in at.session_state
    assert [b.label for b in at.button] == ["Sign in"]
    assert [e.username for e in _actions(app_db, "signout")] == ["manager"]


def test_idle_session_times_out_with_a_notice(app_db):
    """Catches: enforce_timeout not called on every run, or its notice never shown."""
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.session_state[ACTOR_KEY] = app_db.actors["hr"]
    at.session_state[LAST_ACTIVITY_KEY] = time.time() - 31 * 60
    at.run()
    assert not at.exception
    assert ACTOR_KEY not in at.session_state
    assert [i.value for i in at.info] == [
        "Your session ended after 30 minutes of inactivity."]
    assert [b.label for b in at.button] == ["Sign in"]
    assert [e.username for e in _actions(app_db, "timeout")] == ["hr"]


def test_recent_activity_keeps_the_session(app_db):
    """Catches: a timeout that fires on every run (e.g. minutes compared with seconds)."""
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.session_state[ACTOR_KEY] = app_db.actors["hr"]
    at.session_state[LAST_ACTIVITY_KEY] = time.time() - 29 * 60
    at.run()
    assert at.session_state[ACTOR_KEY].username == "hr"
    assert [t.value for t in at.title] == ["Establishment"]


def test_no_organisation_button_without_auth_secrets(app_db):
    """Catches: an st.login button shown when no identity provider is configured (it fails)."""
    at = app_as(None)
    assert "Sign in with your organisation account" not in [b.label for b in at.button]


AUTH = {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "x" * 32,
        "client_id": "id", "client_secret": "s",
        "server_metadata_url": "https://idp.example/.well-known/openid-configuration"}


def _organisation_app(email: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.secrets["auth"] = dict(AUTH)
    at.user = {"is_logged_in": True, "email": email}
    return at.run()


def test_organisation_sign_in_maps_email_to_the_users_role(app_db):
    """Catches: an OIDC identity not mapped through actor_for_email (or mapped to no role)."""
    at = _organisation_app("manager@council.example")
    assert not at.exception
    assert at.session_state[ACTOR_KEY].role == "manager"
    assert [t.value for t in at.title] == ["Establishment"]


def test_unknown_organisation_email_is_refused_once_with_a_way_out(app_db):
    """Catches: an unprovisioned identity getting in, or being re-audited on every rerun."""
    at = _organisation_app("stranger@elsewhere.example")
    at.run()
    assert not at.exception
    assert ACTOR_KEY not in at.session_state
    assert "has no access to the planner" in all_text(at)
    assert "Sign out of the organisation account" in [b.label for b in at.button]
    assert len(_actions(app_db, "signin_failed")) == 1


def test_signing_out_of_an_organisation_session_does_not_sign_straight_back_in(app_db):
    """Catches: sign-out undone on the next run by the identity provider's still-valid cookie
    (the user could never leave), and the way back in not working."""
    at = _organisation_app("hr@council.example")
    at.sidebar.button(key="sign_out").click().run()
    assert ACTOR_KEY not in at.session_state
    labels = [b.label for b in at.button]
    assert "Continue as hr@council\\.example" in labels
    assert "Use a different organisation account" in labels
    at.run()
    assert ACTOR_KEY not in at.session_state
    next(b for b in at.button if b.label.startswith("Continue as")).click().run()
    assert at.session_state[ACTOR_KEY].username == "hr"
    assert [t.value for t in at.title] == ["Establishment"]


def _cookie(monkeypatch, token: str) -> None:
    """The page opened with this session cookie (AppTest has no browser to send one)."""
    import planner.ui.session as ui_session

    monkeypatch.setattr(ui_session, "_cookie_token", lambda: token)


def _token_for(app_db, role: str) -> str:
    from planner.core import sessions

    with app_db.session() as s:
        token, _ = sessions.issue(session=s, actor=app_db.actors[role])
        s.commit()
    return token


def test_a_signed_in_session_holds_a_cookie_token(app_db):
    """Catches: app.py never setting the cookie, so a refresh always asks for a password."""
    from planner.core import sessions
    from planner.ui.session import TOKEN_KEY

    at = app_as(app_db.actors["hr"])
    token, _, _ = at.session_state[TOKEN_KEY]
    with app_db.session() as s:
        assert sessions.resume(session=s, token=token) == app_db.actors["hr"]


def test_a_valid_cookie_signs_the_user_back_in_on_a_fresh_session(app_db, monkeypatch):
    """Catches: app.py not reading the cookie on a new session (what a refresh is)."""
    _cookie(monkeypatch, _token_for(app_db, "manager"))
    at = app_as(None)
    assert not at.exception
    assert at.session_state[ACTOR_KEY].username == "manager"
    assert [t.value for t in at.title] == ["Establishment"]


def test_the_cookie_is_refused_after_sign_out(app_db, monkeypatch):
    """Catches: a sign-out that leaves the old cookie able to sign the user in again."""
    _cookie(monkeypatch, _token_for(app_db, "hr"))
    at = app_as(None)
    assert at.session_state[ACTOR_KEY].username == "hr"
    at.sidebar.button(key="sign_out").click().run()
    assert ACTOR_KEY not in at.session_state
    fresh = app_as(None)  # a reload replaying the same cookie
    assert ACTOR_KEY not in fresh.session_state
    assert [b.label for b in fresh.button] == ["Sign in"]


def test_a_forged_cookie_shows_the_sign_in_form(app_db, monkeypatch):
    _cookie(monkeypatch, "v1.1.0.9999999999.forged")
    at = app_as(None)
    assert not at.exception
    assert ACTOR_KEY not in at.session_state
    assert [b.label for b in at.button] == ["Sign in"]


def test_a_window_left_open_after_signing_out_in_another_ends_too(app_db):
    """Catches: an open window minting a fresh cookie after the user signed out elsewhere."""
    from planner.core import sessions
    from planner.ui.session import SESSION_ENDED, TOKEN_KEY

    at = app_as(app_db.actors["hr"])
    with app_db.session() as s:
        sessions.end_sessions(session=s, actor=app_db.actors["hr"])
        s.commit()
    token, issued, epoch = at.session_state[TOKEN_KEY]
    at.session_state[TOKEN_KEY] = (token, issued - 120, epoch)  # due for a fresh token
    at.run()
    assert not at.exception
    assert ACTOR_KEY not in at.session_state
    assert [b.label for b in at.button] == ["Sign in"]
    assert [i.value for i in at.info] == [SESSION_ENDED]
