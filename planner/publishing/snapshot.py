"""What a union representative may read of an option, worked out once, redacted as it is
written, and frozen in a published draft (issue 13).

The snapshot is plain JSON. It holds the option's posts (id, title, team, division, grade,
FTE, reporting line and how each changes), counts of the posts and people affected by grade
and by team, cost totals by partner against the envelope, the equality analysis as a union
rep is shown it (suppressed), the equality checkpoints' texts, the consultation timetable,
the s.188(4) descriptions and the covering note. It never holds a name, an employee id, a
date of birth, a salary, a person's outcome, a protective-award figure or a notice date: the
services are read as the publisher (a manager or hr) and the pieces then chosen field by
field; the equality analysis is taken as a union rep is given it (`analyse(for_union=True)`:
suppressed against every draft already published, as it was published), and a union rep never
calls these services at all (consultation.read and equality.read are management's).

Costs: a partner whose own posts are fewer than `MIN_POSTS` would show what a handful of
people cost, so such partners are reported together ("Other partners"), and where even
together they are fewer, folded into the largest partner's row, so no figure can be worked
out by subtracting the others from the total.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pandas as pd
from sqlmodel import Session

from planner.core.auth import Actor, require
from planner.core.models import Structure
from planner.core.values import decimal_text
from planner.establishment.register import baseline_id, posts_frame
from planner.structures.comparison import lineage_difference, lineage_frame
from planner.structures.costing import cost_structure

SCHEMA = 1
MIN_POSTS = 5


def _text(value: Any) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    return decimal_text(value) if not isinstance(value, str) else value


def _posts(session: Session, option: Structure) -> tuple[list[dict[str, Any]], pd.DataFrame]:
    """Every post of the option and every baseline post it deletes, with its change."""
    sid = baseline_id(session)
    assert sid is not None and option.id is not None
    diff = lineage_difference(lineage_frame(session, sid), lineage_frame(session, option.id))
    rows = []
    for r in diff.to_dict(orient="records"):
        deleted = r["change"] == "deleted"

        def now(col: str, r: dict[str, Any] = r, deleted: bool = deleted) -> str:
            return _text(r.get(f"{col}_before") if deleted else r.get(f"{col}_after"))

        rows.append({
            "post_id": str(r["post_id"]), "title": now("title"), "team": now("team"),
            "division": now("division"), "grade": now("grade"), "fte": now("fte"),
            "reports_to": now("reports_to"), "change": str(r["change"]),
            "grade_before": _text(r.get("grade_before")),
            "team_before": _text(r.get("team_before")),
            "reports_to_before": _text(r.get("reports_to_before")),
            "fte_before": _text(r.get("fte_before"))})
    rows.sort(key=lambda p: (p["change"] == "deleted", p["post_id"]))
    return rows, diff


def _affected(session: Session, posts: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Posts the option deletes or changes, and the employees in them now, by grade and by
    team (counts only)."""
    from planner.legal.at_risk import EMPLOYEE_CONTRACTS, baseline_people

    everyone = baseline_people(session)
    employees = everyone[everyone["contract"].isin(EMPLOYEE_CONTRACTS)]
    per_post = employees.groupby("post_id")["person_id"].nunique().to_dict()
    touched = [p for p in posts if p["change"] not in ("unchanged", "new")]
    out: dict[str, list[dict[str, Any]]] = {}
    for key in ("grade", "team"):
        groups: dict[str, dict[str, int]] = {}
        for p in touched:
            name = (p[f"{key}_before"] or p[key]) or "—"
            g = groups.setdefault(name, {"posts": 0, "people": 0})
            g["posts"] += 1
            g["people"] += int(per_post.get(p["post_id"], 0))
        out[key] = [{key: k, **v} for k, v in sorted(groups.items())]
    return out


def _costs(session: Session, actor: Actor, option: Structure) -> dict[str, Any]:
    """Full-year cost of the establishment and the option, and each partner's spend against
    its envelope, partners with few posts of their own grouped (module docstring)."""
    sid = baseline_id(session)
    base = cost_structure(session=session, actor=actor, structure_id=sid)
    cost = cost_structure(session=session, actor=actor, structure_id=option.id)
    position = cost.envelope()
    table = position.by_partner
    assert option.id is not None
    counts = posts_frame(session, option.id)["partner"].value_counts().to_dict()
    rows = []
    for r in table.to_dict(orient="records"):
        rows.append({"partner": str(r["partner"]), "kind": str(r["kind"]),
                     "posts": int(counts.get(str(r["partner"]), 0)),
                     "spend_pence": int(r["spend"]),
                     "envelope_pence": None if pd.isna(r["envelope"]) else int(r["envelope"]),
                     "headroom_pence": None if pd.isna(r["headroom"]) else int(r["headroom"])})
    return {"months": position.months,
            "baseline_full_year_pence": int(base.full_year_total),
            "option_full_year_pence": int(cost.full_year_total),
            "saving_pence": int(base.full_year_total - cost.full_year_total),
            "envelope_pence": None if position.envelope is None else int(position.envelope),
            "spend_pence": int(position.spend),
            "customer_pence": int(position.customer_cost),
            "net_spend_pence": int(position.net_spend),
            "headroom_pence": None if position.headroom is None else int(position.headroom),
            "by_partner": _grouped(rows)}


def _grouped(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Partners with MIN_POSTS or more posts charged to them (or sharing, for councils) stand
    alone; the rest are summed into "Other partners", or folded into the largest row."""
    big = [r for r in rows if r["kind"] == "council" or r["posts"] >= MIN_POSTS]
    small = [r for r in rows if r not in big]
    if not small:
        return rows

    def add(into: dict[str, Any], r: dict[str, Any]) -> None:
        for k in ("posts", "spend_pence", "envelope_pence", "headroom_pence"):
            if r[k] is not None:
                into[k] = (into[k] or 0) + r[k]

    if sum(r["posts"] for r in small) >= MIN_POSTS:
        other = {"partner": "Other partners", "kind": "customer", "posts": 0, "spend_pence": 0,
                 "envelope_pence": None, "headroom_pence": None}
        for r in small:
            add(other, r)
        return [*big, other]
    largest = max(big, key=lambda r: r["spend_pence"])
    merged = dict(largest)
    merged["partner"] = f"{largest['partner']} and others"
    for r in small:
        add(merged, r)
    return [merged if r is largest else r for r in big]


def _consultation(session: Session, actor: Actor, option: Structure,
                  today: dt.date) -> dict[str, Any]:
    from planner.legal.consultation import consultation_view

    view = consultation_view(session=session, actor=actor, structure=option, today=today)
    plan = view.plan

    def day(value: Any) -> str | None:
        return value.isoformat() if isinstance(value, dt.date) else None

    stages = [{"name": str(s["name"]), "planned_start": day(s["planned_start"]),
               "planned_end": day(s["planned_end"]), "status": str(s["status"])}
              for s in view.stages.to_dict(orient="records")]
    return {
        "establishment": plan.establishment, "launch_on": day(plan.launch_on),
        "first_dismissal_on": day(plan.first_dismissal_on),
        "reasons": plan.reasons, "selection_method": plan.selection_method,
        "dismissal_method": plan.dismissal_method,
        "redundancy_pay_method": plan.redundancy_pay_method,
        "employees": int(view.employees), "proposed": int(view.proposed), "basis": view.basis,
        "s188_applies": bool(view.check.applies) if view.check else view.proposed >= 20,
        "minimum_days": view.check.minimum_days if view.check else None,
        "earliest_first_dismissal": day(view.check.earliest_first_dismissal)
        if view.check else None,
        "stages": stages,
        "descriptions": [{k: (int(v) if k in ("proposed", "employed") else str(v))
                          for k, v in r.items()}
                         for r in view.descriptions.to_dict(orient="records")],
        "agency": [{k: (int(v) if k == "workers" else str(v)) for k, v in r.items()}
                   for r in view.agency.to_dict(orient="records")],
    }


def _equality(session: Session, actor: Actor, option: Structure, today: dt.date,
              equality: EqualityInput) -> dict[str, Any]:
    from planner.equality.analysis import analyse, withheld_at_risk
    from planner.equality.checkpoints import checkpoints

    analysis = analyse(session=session, actor=actor, structure=option, today=today,
                       for_union=True, read=equality.read, ages_on=equality.ages_on)
    assert analysis.suppressed  # a draft never holds a count under the threshold
    shown = analysis.as_dict()
    shown["ages_on"] = equality.ages_on.isoformat()
    if equality.withhold:
        shown = withheld_at_risk(shown, equality.withhold, whole=True)
    cps = checkpoints(session=session, actor=actor, structure=option)
    return {
        "analysis": shown,
        "checkpoints": [{
            "stage": cp.stage, "name": cp.name,
            "due_on": cp.due_on.isoformat() if cp.due_on else None,
            "signed_off": cp.signed_off,
            "signed_off_on": cp.signed_off_at.date().isoformat() if cp.signed_off_at else None,
            "impacts": [{k: str(v or "") for k, v in r.items()}
                        for r in cp.impacts.to_dict(orient="records")]}
            for cp in cps]}


@dataclass(frozen=True)
class EqualityInput:
    """How the draft's equality figures are to be cut (planner.publishing.drafts decides):
    against the views a union rep already reads, ages as on `ages_on`, or withheld whole
    (`withhold` is the reason the draft gives)."""

    ages_on: dt.date
    read: Sequence[Any] = ()  # planner.equality.analysis.ReadView
    withhold: str = ""


def build_snapshot(session: Session, actor: Actor, option: Structure, *, note: str,
                   today: dt.date, equality: EqualityInput | None = None) -> dict[str, Any]:
    """The redacted snapshot of `option` as it is now, read as `actor` (drafts.publish: a
    manager or hr; anyone else is refused by the services it reads)."""
    require(actor, "drafts.publish", "published_draft")
    posts, _ = _posts(session, option)
    changes = {k: sum(1 for p in posts if k in p["change"].split("; "))
               for k in ("new", "deleted", "moved", "regraded", "resized")}
    return {
        "schema": SCHEMA,
        "option": {"name": option.name, "description": option.description or ""},
        "note": note,
        "as_of": today.isoformat(),
        "posts": posts,
        "counts": {"posts": sum(1 for p in posts if p["change"] != "deleted"),
                   "fte": decimal_text(sum((Decimal(p["fte"] or 0) for p in posts
                                            if p["change"] != "deleted"), Decimal(0))),
                   **changes,
                   "unchanged": sum(1 for p in posts if p["change"] == "unchanged")},
        "affected": _affected(session, posts),
        "costs": _costs(session, actor, option),
        "equality": _equality(session, actor, option, today,
                              equality or EqualityInput(ages_on=today)),
        "consultation": _consultation(session, actor, option, today),
    }
