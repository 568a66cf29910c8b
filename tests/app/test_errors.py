"""An unexpected error on a page: a message with a reference for the user, the full error in
the server log and the audit log, never a traceback on screen."""

from __future__ import annotations

import re
import tomllib

from sqlmodel import select

import planner.ui.establishment
from planner.core.models import AuditEvent
from tests.app.conftest import ROOT, all_text, app_as


def test_an_unexpected_error_shows_a_reference_not_a_traceback(app_db, monkeypatch, caplog):
    """Catches: an exception reaching Streamlit's own error box (with its stack trace, SQL
    and, from PostgreSQL, a row's values), or a reference the administrator cannot find."""
    def broken(**_kwargs):
        raise RuntimeError("duplicate key value (name)=(Ann Example, 1970-01-01)")

    # Patched where the page helper looks it up (bound at its import).
    monkeypatch.setattr(planner.ui.establishment, "headline_metrics", broken)
    at = app_as(app_db.actors["hr"], "pages/establishment.py")
    assert not at.exception, at.exception
    shown = all_text(at)
    assert "Ann Example" not in shown and "RuntimeError" not in shown
    errors = [e.value for e in at.error]
    assert len(errors) == 1 and "changed nothing" in errors[0]
    ref = re.search(r"E-[A-Z2-9]{6}", errors[0]).group(0)
    with app_db.session() as s:
        events = s.exec(select(AuditEvent).where(AuditEvent.action == "error")).all()
    event = {e.entity_id: e for e in events}[ref]  # the first run (default page) failed too
    assert event.entity_id == ref and event.username == "hr"
    assert event.after["error"] == "RuntimeError" and "Ann Example" in event.after["message"]
    assert "Traceback" in event.after["traceback"]
    assert ref in caplog.text


def test_streamlit_is_told_never_to_show_error_details():
    """Catches: the config switched back to full details (Streamlit's own errors, e.g. in a
    fragment, would then print their stack trace)."""
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["client"]["showErrorDetails"] == "none"
