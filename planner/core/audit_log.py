"""Reading the audit trail: who may (hr and admin) and what they get (newest first, filtered).

Apart from planner.core.audit, which writes events and must not ask permission (auth writes
sign-in events through it), so that the two never import each other."""

from __future__ import annotations

import datetime as dt

import pandas as pd
from sqlmodel import Session, select

from planner.core.auth import Actor, require
from planner.core.models import AuditEvent


def list_events(*, session: Session, actor: Actor, entity: str | None = None,
                action: str | None = None, username: str | None = None,
                since: dt.date | None = None, until: dt.date | None = None,
                limit: int = 1000) -> pd.DataFrame:
    """Audit events, newest first, filtered; hr and admin only."""
    require(actor, "audit.read", "audit")
    q = select(AuditEvent).order_by(AuditEvent.id.desc())  # type: ignore[union-attr]
    if entity:
        q = q.where(AuditEvent.entity == entity)
    if action:
        q = q.where(AuditEvent.action == action)
    if username:
        q = q.where(AuditEvent.username == username)
    if since:
        q = q.where(AuditEvent.at >= dt.datetime.combine(since, dt.time.min, dt.UTC))
    if until:
        q = q.where(AuditEvent.at < dt.datetime.combine(until + dt.timedelta(days=1), dt.time.min, dt.UTC))
    rows = session.exec(q.limit(limit)).all()
    return pd.DataFrame(
        [
            {"id": e.id, "at": e.at, "user": e.username or "(anonymous)", "action": e.action,
             "entity": e.entity, "entity_id": e.entity_id, "before": e.before, "after": e.after}
            for e in rows
        ],
        columns=["id", "at", "user", "action", "entity", "entity_id", "before", "after"],
    )
