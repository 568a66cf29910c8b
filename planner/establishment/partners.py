"""The partner set an upload brings. The partners sheet is the set of councils and customers:
partners it leaves out are retired (kept for history, audited), a retirement is refused while
an option still charges posts to that partner or holds an envelope share, and exactly one
council is the host (DESIGN.md "Interchange format", DOMAIN.md §5).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd
from sqlalchemy import select as sa_select
from sqlmodel import Session, select

from planner.core import audit
from planner.core.auth import Actor
from planner.core.errors import RowError
from planner.core.models import (
    Partner,
    Post,
    Structure,
)
from planner.establishment.validation import (
    HOST_YES,
    column_values,
    money_pence,
    percent_bp,
    row_records,
)


@dataclass(frozen=True)
class PartnerPlan:
    """What a partners sheet does to the stored partners: each listed partner as it will be
    stored (name, kind, host, share, rates) and the active partners it retires."""

    rows: list[dict[str, Any]]
    retiring: list[Partner]


def _partner_plan(session: Session, partners: pd.DataFrame) -> PartnerPlan:
    """Resolve a (valid) partners sheet against the stored partners: a blank kind keeps the
    stored kind (council for a new partner); the host is the row marked yes, else the stored
    host if the sheet names it, else the first council listed; every stored active partner
    the sheet does not name is retired."""
    existing = {p.name.lower(): p for p in session.exec(select(Partner)).all()}
    rows: list[dict[str, Any]] = []
    for r in row_records(partners):
        stored = existing.get(r.partner.lower())
        kind = r.kind.strip().lower() or (stored.kind if stored else "council")
        rows.append({
            "name": stored.name if stored else r.partner, "kind": kind,
            "marked": r.host.strip().lower() in HOST_YES, "row": None,
            "kind_given": bool(r.kind.strip()),
            "share_bp": percent_bp(r.share) or 0 if r.share else 0,
            "lgps_employer_rate_bp": percent_bp(r.lgps_employer_rate)
            if r.lgps_employer_rate else None,
            "london_weighting_pence": money_pence(r.london_weighting)
            if r.london_weighting else None,
            "stored_host": bool(stored and stored.is_host and stored.active)})
    for row, r in zip(rows, column_values(partners["_row"].astype(int)), strict=True):
        row["row"] = r
    host = next((r for r in rows if r["marked"]), None) or next(
        (r for r in rows if r["stored_host"] and r["kind"] == "council"), None) or next(
        (r for r in rows if r["kind"] == "council"), None)
    for row in rows:
        row["is_host"] = row is host
    named = {r["name"].lower() for r in rows}
    retiring = [p for p in existing.values() if p.active and p.name.lower() not in named]
    return PartnerPlan(rows=rows, retiring=sorted(retiring, key=lambda p: p.id or 0))


def partner_set_errors(session: Session, partners: pd.DataFrame | None) -> list[RowError]:
    """What a partners sheet may not do to the stored partners (the sheet is the new partner
    set): give a customer a share of the shared costs, leave no council to host, or retire a
    partner that a current option (not archived) still charges posts to, or whose share of an
    envelope a structure still holds. Each refusal names the partner and what still uses it.
    """
    if partners is None or not len(partners):
        return []
    sheet = "partners"
    plan = _partner_plan(session, partners)
    errors = [RowError(sheet, r["row"], "share", (
        f"{r['name']} is a customer: it pays for the posts charged to it and has no share of "
        "the shared costs, so its share must be 0 (shares are the councils').")
        ) for r in plan.rows if r["kind"] == "customer" and r["share_bp"]]
    errors += [RowError(sheet, r["row"], "host", (
        f"{r['name']} is a customer; the host is the council that employs the service's staff.")
        ) for r in plan.rows if r["marked"] and r["kind"] == "customer"
        and not r["kind_given"]]
    if not any(r["kind"] == "council" for r in plan.rows):
        errors.append(RowError(sheet, None, "kind", (
            "The partners sheet names no council: at least one council shares the service and "
            "hosts it.")))
    p, st_ = Post.__table__, Structure.__table__
    from planner.core.models import EnvelopeShare

    e = EnvelopeShare.__table__
    for partner in plan.retiring:
        posts = session.execute(
            sa_select(st_.c.name, p.c.post_ref).select_from(p.join(st_, p.c.structure_id == st_.c.id))
            .where(p.c.partner_id == partner.id, st_.c.kind == "option", st_.c.archived.is_(False))
            .order_by(st_.c.id, p.c.post_ref)).all()
        shares = session.execute(
            sa_select(st_.c.name).select_from(e.join(st_, e.c.structure_id == st_.c.id))
            .where(e.c.partner_id == partner.id, st_.c.archived.is_(False))
            .order_by(st_.c.id)).scalars().all()
        uses: list[str] = []
        by_option: dict[str, list[str]] = {}
        for option, ref in posts:
            by_option.setdefault(option, []).append(ref)
        for option, refs in by_option.items():
            shown = ", ".join(refs[:5]) + (f" and {len(refs) - 5} more" if len(refs) > 5 else "")
            word = "post" if len(refs) == 1 else "posts"
            uses.append(f"{option} charges {len(refs)} {word} to it ({shown})")
        uses += [f"{name} gives it a share of its envelope" for name in shares]
        if uses:
            errors.append(RowError(sheet, None, "partner", (
                f"{partner.name} is not in the partners sheet, so this import would retire it, "
                f"but {'; '.join(uses)}. Keep {partner.name} in the sheet, or charge those posts "
                "and envelope shares to a current partner first.")))
    return errors


def write_partners(session: Session, actor: Actor, partners: pd.DataFrame) -> int:
    """Make the sheet the partner set: add or update the partners it names (kind, host,
    share, rates; a blank rate keeps the stored one), set exactly one host, and retire every
    active partner it does not name (`active` false, kept for history). Each change audited."""
    plan = _partner_plan(session, partners)
    existing = {p.name.lower(): p for p in session.exec(select(Partner)).all()}
    for partner in plan.retiring:
        before = audit.jsonable(partner.model_dump())
        partner.active = False
        partner.is_host = False
        session.add(partner)
        session.flush()
        audit.record(session, actor=actor, action="retire", entity="partner",
                     entity_id=str(partner.id), before=before,
                     after=audit.jsonable(partner.model_dump()))
    for r in plan.rows:
        row = existing.get(r["name"].lower()) or Partner(name=r["name"])
        before = audit.jsonable(row.model_dump()) if row.id else None
        row.kind, row.is_host, row.share_bp, row.active = r["kind"], r["is_host"], r["share_bp"], True
        if r["lgps_employer_rate_bp"] is not None:
            row.lgps_employer_rate_bp = r["lgps_employer_rate_bp"]
        if r["london_weighting_pence"] is not None:
            row.london_weighting_pence = r["london_weighting_pence"]
        session.add(row)
        session.flush()
        after = audit.jsonable(row.model_dump())
        if before != after:
            audit.record(session, actor=actor, action="update" if before else "create",
                         entity="partner", entity_id=str(row.id), before=before, after=after)
    return len(partners)
