"""What a user sees when something unexpected breaks: a short message and a reference number,
never a traceback (which can print file paths, SQL and, from PostgreSQL, a row's values).

The full error goes to the server log and to the audit log (hr and admin read it) under the
same reference, so the administrator can find it from what the user quotes.
"""

from __future__ import annotations

import logging
import secrets
import traceback
from typing import Any

import streamlit as st
from streamlit.errors import FragmentHandledException

from planner.core import audit
from planner.core.auth import Actor

log = logging.getLogger("planner.ui")
MAX_TRACE = 8_000


def new_reference() -> str:
    """A short reference a user can read out over the phone (e.g. "E-7KQ2M9")."""
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I to misread
    return "E-" + "".join(secrets.choice(alphabet) for _ in range(6))


def report_unexpected(exc: BaseException, actor: Actor | None, where: str = "") -> str:
    """Log and audit an unexpected error; returns the reference shown to the user."""
    from planner.ui.session import writing

    ref = new_reference()
    log.error("Unexpected error %s on %s (user %s)", ref, where or "a page",
              actor.username if actor else "-", exc_info=exc)
    trace = "".join(traceback.format_exception(exc))[-MAX_TRACE:]
    try:
        with writing() as session:
            audit.record(session, actor=actor, action="error", entity="app", entity_id=ref,
                         after={"page": where, "error": type(exc).__name__,
                                "message": str(exc)[:2000], "traceback": trace})
    except Exception:  # the user still gets their reference; the log has the error
        log.exception("could not audit error %s", ref)
    return ref


def run_page(page: Any, actor: Actor | None) -> None:
    """Run a st.navigation page; an unexpected error becomes a message with a reference."""
    try:
        page.run()
    except FragmentHandledException:
        raise
    except Exception as exc:
        ref = report_unexpected(exc, actor, where=str(getattr(page, "title", "") or ""))
        st.error(f"Something went wrong on this page, and the step that failed changed "
                 f"nothing. Reference **{ref}**: quote it to your administrator, who will find "
                 "the details in the server log and the audit log. Reloading the page usually "
                 "lets you carry on.", icon=":material/error:")
