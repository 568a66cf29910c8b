"""The audit trail: every change through planner/ writes who, when, what, before and after."""

from __future__ import annotations

import datetime as dt
import decimal
from typing import TYPE_CHECKING, Any

import pandas as pd
from sqlmodel import Session, select

from planner.models import AuditEvent

if TYPE_CHECKING:
    from planner.auth import Actor
    from planner.errors import PermissionDenied


def jsonable(value: Any) -> Any:
    """Make a value safe for a JSON column (dates as ISO, Decimal as string)."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value.normalize()) if value == value.to_integral() else str(value)
    return value


def record(session: Session, *, actor: Actor | None, action: str, entity: str,
           entity_id: str = "", before: dict[str, Any] | None = None,
           after: dict[str, Any] | None = None) -> AuditEvent:
    """Add an audit event to the caller's unit of work (committed with the change itself)."""
    event = AuditEvent(
        user_id=actor.id if actor else None,
        username=actor.username if actor else "",
        action=action,
        entity=entity,
        entity_id=str(entity_id),
        before=jsonable(before) if before is not None else None,
        after=jsonable(after) if after is not None else None,
    )
    session.add(event)
    return event


def record_denial(session: Session, exc: PermissionDenied) -> AuditEvent:
    actor = exc.user
    return record(session, actor=actor, action="denied", entity=exc.entity or "",
                  after={"action": exc.action, "message": str(exc)})


def list_events(*, session: Session, actor: Actor, entity: str | None = None,
                action: str | None = None, username: str | None = None,
                since: dt.date | None = None, until: dt.date | None = None,
                limit: int = 1000) -> pd.DataFrame:
    """Audit events, newest first, filtered; hr and admin only."""
    from planner.auth import require

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
