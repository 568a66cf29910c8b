"""What changed since you loaded it. The stale-save check (a version number) and the
sentences that explain a refused save: who changed which post or field, and when. A refused
save then says more than "someone else saved first".

Reads the option's audit events (entity "structure", the new version in `after`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

import pandas as pd
from sqlmodel import Session, select

from planner.core.errors import (
    StaleVersion,
)
from planner.core.models import (
    AuditEvent,
    Structure,
)
from planner.core.values import long_date

# How much history a "what changed meanwhile" message looks through.
_HISTORY_LIMIT = 500


def what_changed(session: Session, option: Structure, current: pd.DataFrame,
                  stale: Mapping[str, int], missing: Sequence[str]) -> str:
    """Why a save was refused, in words: each post another user changed, how, who and when."""
    lines: list[str] = []
    for ref, seen in stale.items():
        now = int(current.at[ref, "version"])
        events = session.exec(
            select(AuditEvent)
            .where(AuditEvent.entity == "post", AuditEvent.entity_id == str(current.at[ref, "id"]),
                   AuditEvent.action == "update")
            .order_by(AuditEvent.id.desc()).limit(max(now - seen, 1))  # type: ignore[union-attr]
        ).all()
        described = [_post_change(ref, e) for e in reversed(events)]
        lines += [d for d in described if d] or [f"{ref} was changed (version {seen} → {now})"]
    if missing:
        history = session.exec(
            select(AuditEvent)
            .where(AuditEvent.entity == "structure", AuditEvent.entity_id == str(option.id),
                   AuditEvent.action == "edit_posts")
            .order_by(AuditEvent.id.desc()).limit(_HISTORY_LIMIT)  # type: ignore[union-attr]
        ).all()
        for ref in missing:
            line = f"{ref} is no longer in {option.name}"
            for e in history:
                after = e.after or {}
                if ref in (after.get("deleted") or {}):
                    line = f"{ref} was deleted by {_who(e)} at {_when(e.at)}"
                    break
                if ref in (after.get("renamed") or {}):
                    line = (f"{ref} was renamed {after['renamed'][ref]} by {_who(e)} at "
                            f"{_when(e.at)}")
                    break
            lines.append(line)
    return (f"Nothing was saved: {option.name} changed after you opened it. "
            + "; ".join(lines) + ". Reload to see these changes, then make yours again.")


def _post_change(ref: str, event: AuditEvent) -> str:
    before, after = event.before or {}, event.after or {}
    parts = []
    for key, verb in (("post_id", "renamed"), ("grade", "regraded"), ("fte", "resized"),
                      ("reports_to", "moved"), ("division", "moved to division"),
                      ("team", "moved to team"), ("title", "retitled"),
                      ("partner", "recharged"), ("funding", "refunded"), ("notes", "")):
        b, a = str(before.get(key, "")), str(after.get(key, ""))
        if a == b:
            continue
        if key == "reports_to":
            parts.append(f"moved from under {b or 'nobody'} to under {a or 'nobody'}")
        elif key in ("division", "team", "title"):
            parts.append(f"{verb} {b!r} → {a!r}")
        elif key == "notes":
            parts.append("given new notes")
        else:
            parts.append(f"{verb} {b} → {a}")
    if not parts:
        return ""
    return f"{ref} was {', '.join(parts)} by {_who(event)} at {_when(event.at)}"


def _who(event: AuditEvent) -> str:
    return event.username or "someone"


def _when(at: dt.datetime) -> str:
    """Audit times are UTC (SQLite hands them back naive); today's show the time only."""
    at = at if at.tzinfo else at.replace(tzinfo=dt.UTC)
    at = at.astimezone(dt.UTC)
    today = dt.datetime.now(dt.UTC).date()
    return f"{at:%H:%M} UTC" + ("" if at.date() == today else f" on {long_date(at)}")


def check_version(session: Session, structure: Structure, expected: int) -> None:
    if structure.version == expected:
        return
    events = session.exec(
        select(AuditEvent)
        .where(AuditEvent.entity == "structure", AuditEvent.entity_id == str(structure.id))
        .order_by(AuditEvent.id.desc()).limit(_HISTORY_LIMIT)  # type: ignore[union-attr]
    ).all()
    since = [e for e in reversed(events)
             if isinstance((e.after or {}).get("version"), int) and e.after["version"] > expected]
    told = [_structure_change(e) for e in since] or [
        f"it is at version {structure.version}, you read version {expected}"]
    raise StaleVersion(f"Nothing was saved: {structure.name} changed after you opened it: "
                       + "; ".join(told) + ". Reload, then make your change again.")


def _structure_change(event: AuditEvent) -> str:
    before, after = event.before or {}, event.after or {}
    what = {
        "rename": lambda: f"renamed {before.get('name')!r} → {after.get('name')!r}",
        "describe": lambda: "given a new description",
        "envelope": lambda: "given a new budget envelope",
        "assume_recruited": lambda: (
            "set to assume interim-covered posts are recruited to permanently"
            if after.get("assume_recruited") else "set to keep its interims"),
        "edit_posts": lambda: "posts edited (" + ", ".join(
            [*after.get("added", []), *after.get("updated", {}), *after.get("deleted", {})][:10])
            + ")",
        "import": lambda: "imported",
        "rebase": lambda: "carried onto a newly imported establishment",
        "archive": lambda: "archived",
        "restore": lambda: "restored from the archive",
        "status": lambda: f"moved from {before.get('status')} to {after.get('status')}",
        "mapping": lambda: "people mapped (" + ", ".join(list(after.get("mapping", {}))[:10])
        + ")",
        "mapping_pool": lambda: f"pool {after.get('pool') or after.get('pool_deleted')!r} "
        + ("deleted" if after.get("pool_deleted") else "saved"),
        "notice_worked": lambda: ("set to notice worked" if after.get("notice_worked")
                                  else "set to pay in lieu of notice"),
    }.get(event.action, lambda: event.action)()
    return f"{what} by {_who(event)} at {_when(event.at)}"
