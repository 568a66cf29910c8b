"""The audit trail: every change through planner/ writes who, when, what, before and after."""

from __future__ import annotations

import datetime as dt
import decimal
from typing import TYPE_CHECKING, Any, Protocol

from sqlmodel import Session

from planner.core.models import AuditEvent

if TYPE_CHECKING:
    from planner.core.errors import PermissionDenied


class Actor(Protocol):
    """Whoever did it, as the trail needs them: an id and a name. planner.core.auth's Actor
    is one; the trail never asks what they may do, so it does not import auth (auth writes
    sign-in events through this module)."""

    @property
    def id(self) -> int | None: ...

    @property
    def username(self) -> str: ...


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
