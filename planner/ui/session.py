"""The engine and the signed-in user, as one Streamlit session sees them.

Session state holds the signed-in Actor, the time of the last interaction and UI choices;
everything else lives in the database (DESIGN.md: "The database is the only state").

A browser refresh starts a new Streamlit session with empty state, so the browser also keeps
a session cookie (a token from `planner.core.sessions`: signed, expiring with the idle timeout,
refused after sign-out). Streamlit reads cookies (`st.context.cookies`, those sent when the
page opened) but has no API to set one, so a small fixed script (an `st.components.v2`
component, given only the token as data) writes it with `document.cookie`: SameSite=Strict,
Secure when the page is served over https, but not HttpOnly, which only a server response
can set.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

import streamlit as st
from sqlalchemy import Engine
from sqlmodel import Session

from planner.core import sessions
from planner.core.auth import Actor, can, record_signout, refresh_actor, require
from planner.core.config import get_settings
from planner.core.db import get_engine, make_engine, migrate, read_session, write_session
from planner.core.errors import PermissionDenied
from planner.establishment.reference import load_reference_data

ACTOR_KEY = "actor"
LAST_ACTIVITY_KEY = "last_activity"
NOTICE_KEY = "signin_notice"
COOKIE_NAME = "planner_session"
TOKEN_KEY = "session_token"  # (token, issued at, epoch): the cookie this session last set
COOKIE_REFUSED_KEY = "session_cookie_refused"
SESSION_ENDED = ("Your session has ended: you signed out in another window, or your account "
                 "was changed. Please sign in again.")
REISSUE_AFTER_S = 60  # a fresh token as the user works, so the cookie ends with the idle timeout
# The only script the app runs: it writes the session cookie it is given as data, or clears it.
# Fixed here (tests/test_no_unsafe_html.py holds components to literal code); the token is
# letters, digits, '.', '-' and '_' and is URL-encoded anyway.
_cookie_writer = st.components.v2.component("planner_session_cookie", js="""
export default function ({ data }) {
  if (!data || data.name !== "planner_session") return;
  const value = encodeURIComponent(String(data.value || ""));
  const age = Math.max(0, Math.floor(Number(data.maxAge) || 0));
  const secure = window.location.protocol === "https:" ? "; Secure" : "";
  document.cookie = `${data.name}=${value}; Path=/; Max-Age=${age}; SameSite=Strict${secure}`;
}
""")
# After a sign-out or a timeout, an organisation (OIDC) identity must be chosen again by a
# click; otherwise the still-valid identity cookie would sign the user straight back in.
OIDC_PAUSED_KEY = "oidc_paused"


def database_url() -> str:
    """The URL the app talks to: part of every cache key, so two databases never mix."""
    return get_settings().effective_database_url


@st.cache_resource(show_spinner=False)
def _engine_for(url: str) -> Engine:
    eng = get_engine()
    if eng.url.render_as_string(hide_password=False) != url:
        # planner.core.db keeps one engine per process; a changed setting means a new one.
        eng = make_engine(url)
        migrate(eng)
    # First run on an empty database: the shipped pay spine, grades and partners.
    with write_session(eng) as session:
        load_reference_data(session)
    return eng


def engine() -> Engine:
    """The process-wide engine (migrated, reference data loaded), one per database URL."""
    return _engine_for(database_url())


@contextmanager
def reading() -> Iterator[Session]:
    with read_session(engine()) as session:
        yield session


@contextmanager
def writing() -> Iterator[Session]:
    """A unit of work that commits on success and rolls back (and audits refusals) on error."""
    with write_session(engine()) as session:
        yield session


def current_actor() -> Actor | None:
    """The signed-in user as the database has them now (role and active flag re-read on every
    run, so an administrator's change takes effect at the user's next click)."""
    actor = st.session_state.get(ACTOR_KEY)
    if not isinstance(actor, Actor):
        return None
    with reading() as session:
        fresh = refresh_actor(session=session, actor=actor)
    if fresh is None:
        sign_out("deactivated", notice="Your account is no longer active. Ask an "
                                       "administrator if you need access.")
        return None
    if fresh != actor:
        st.session_state[ACTOR_KEY] = fresh
    return fresh


def sign_in(actor: Actor) -> None:
    """Start a session for `actor`; the UI state of any previous user is dropped first."""
    st.session_state.clear()
    st.session_state[ACTOR_KEY] = actor
    st.session_state[LAST_ACTIVITY_KEY] = time.time()


def sign_out(reason: str = "signout", notice: str | None = None) -> None:
    """End the session (audited), forget every UI choice, and keep only the notice to show.

    Signing out also refuses every session cookie the user holds (`sessions.end_sessions`), so
    a copy of the old cookie replayed later does not sign anyone in; the sign-in page then
    clears the cookie in this browser. The actor is taken as held (not re-read): current_actor
    itself signs out a user the database no longer lets in.
    """
    actor = st.session_state.get(ACTOR_KEY)
    actor = actor if isinstance(actor, Actor) else None
    if actor is not None:
        with writing() as session:
            record_signout(session=session, actor=actor, reason=reason)
            if reason == "signout":
                sessions.end_sessions(session=session, actor=actor)
    st.session_state.clear()
    st.session_state[OIDC_PAUSED_KEY] = True
    # The cookie this page was opened with is still in st.context: never resume from it again.
    st.session_state[COOKIE_REFUSED_KEY] = _cookie_token()
    if notice:
        st.session_state[NOTICE_KEY] = notice


def _cookie_token() -> str:
    """The session cookie the page was opened with ("" outside a browser, e.g. AppTest)."""
    return str(st.context.cookies.get(COOKIE_NAME) or "")


def resume_from_cookie() -> Actor | None:
    """Sign in again from the session cookie the page was opened with (a browser refresh), if
    `planner.core.sessions` accepts it; a refused cookie is not tried again in this session."""
    token = _cookie_token()
    if not token or st.session_state.get(COOKIE_REFUSED_KEY) == token:
        return None
    with writing() as session:
        actor = sessions.resume(session=session, token=token)
    if actor is None:
        st.session_state[COOKIE_REFUSED_KEY] = token
        return None
    sign_in(actor)
    return actor


def keep_session_cookie(actor: Actor, now: float | None = None) -> None:
    """Set the session cookie for `actor`, with a fresh token once a minute as they work (its
    expiry follows the idle timeout). Call it on every run while signed in: an element a run
    does not draw is removed, and drawing it again would write the cookie again.

    If the user signed out in another window (or was made inactive), this session ends too,
    rather than minting a cookie that sign-out would not refuse.
    """
    now = time.time() if now is None else now
    held = st.session_state.get(TOKEN_KEY)
    if not held or now - held[1] > REISSUE_AFTER_S:
        try:
            with writing() as session:
                token, epoch = sessions.issue(session=session, actor=actor, now=now,
                                              epoch=held[2] if held else None)
        except sessions.SessionEnded:
            st.session_state.clear()
            st.session_state[NOTICE_KEY] = SESSION_ENDED
            st.rerun()
        held = (token, now, epoch)
        st.session_state[TOKEN_KEY] = held
    _cookie_writer(data={"name": COOKIE_NAME, "value": held[0],
                         "maxAge": sessions.lifetime_seconds()}, key="session_cookie")


def clear_session_cookie() -> None:
    """Expire the session cookie in this browser (shown on the sign-in page)."""
    _cookie_writer(data={"name": COOKIE_NAME, "value": "", "maxAge": 0},
                   key="session_cookie_clear")


def enforce_timeout(now: float | None = None) -> bool:
    """Sign out a session idle for longer than the configured timeout; True if it ended.

    Checked at the start of every run: Streamlit runs the script on each interaction, so the
    gap since the previous run is the time the user was away.
    """
    actor = current_actor()
    if actor is None:
        return False
    now = time.time() if now is None else now
    minutes = get_settings().session_timeout_minutes
    last = st.session_state.get(LAST_ACTIVITY_KEY)
    if isinstance(last, int | float) and now - last > minutes * 60:
        sign_out("timeout", notice=f"Your session ended after {minutes} minutes of inactivity.")
        return True
    st.session_state[LAST_ACTIVITY_KEY] = now
    return False


def pop_notice() -> str | None:
    return st.session_state.pop(NOTICE_KEY, None)


def guard(action: str) -> Actor:
    """Stop the page with a plain message unless the signed-in role may perform `action`.

    Only a courtesy: every planner function the page calls refuses on its own. The idle
    timeout is checked here too, so a page run without app.py (opened as its own script) is
    still signed out on time.
    """
    enforce_timeout()
    actor = current_actor()
    if actor is None:
        notice = pop_notice()
        st.warning(notice or "Please sign in to use the planner.")
        st.stop()
    if not can(actor, action):
        try:
            require(actor, action)
        except PermissionDenied as exc:
            st.error(f"{exc} Ask an administrator if you need access.")
        st.stop()
    return actor
