"""The engine and the signed-in user, as one Streamlit session sees them.

Session state holds the signed-in Actor, the time of the last interaction and UI choices;
everything else lives in the database (DESIGN.md: "The database is the only state").
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

import streamlit as st
from sqlalchemy import Engine
from sqlmodel import Session

from planner.auth import Actor, can, record_signout, refresh_actor, require
from planner.config import get_settings
from planner.db import get_engine, make_engine, migrate, read_session, write_session
from planner.errors import PermissionDenied
from planner.reference import load_reference_data

ACTOR_KEY = "actor"
LAST_ACTIVITY_KEY = "last_activity"
NOTICE_KEY = "signin_notice"
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
        # planner.db keeps one engine per process; a changed setting means a new one.
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
    """End the session (audited), forget every UI choice, and keep only the notice to show."""
    actor = st.session_state.get(ACTOR_KEY)
    actor = actor if isinstance(actor, Actor) else None
    if actor is not None:
        with writing() as session:
            record_signout(session=session, actor=actor, reason=reason)
    st.session_state.clear()
    st.session_state[OIDC_PAUSED_KEY] = True
    if notice:
        st.session_state[NOTICE_KEY] = notice


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
