"""Carrying structure options onto a new establishment (a rebase), and the conflicts it lists.

An establishment import replaces the baseline's posts by post_id, keeping the id of every post
it matches (planner.establishment.importer). Option posts continue baseline posts through
`Post.baseline_post_id`, so after the import each option is rebased in the same transaction:

- a post the option continues takes the new establishment's change to a field (title,
  division, team, grade, FTE, partner, funding, notes, reporting line) where the option had
  left that field as the old establishment had it; where the option changed the field too,
  and differently, the option's value is kept and a `both-changed` conflict is listed;
- a post the option continues that the new establishment no longer has stays in the option
  as a new post of the option (its people were the baseline post's, so it is vacant), listed
  as `deleted-in-baseline`;
- a post new in the establishment is added to every option as a continuing post, listed as
  `added`: a baseline post missing from an option means "deleted, people at risk", so adding
  it is the only reading that proposes nothing the option's author did not choose.

People are never written here: they sit in baseline posts and follow them into every option.
Reporting lines are compared in the baseline's terms (the old establishment's post_id of the
post the option's manager continues), so an option that renamed a manager's post_id has not
"changed" the line. A line the rebase would move into a reporting cycle is kept as the option
had it and listed (`reporting-cycle`). Nothing is dropped without a conflict row saying so.

The planning step (`plan_rebase`) is a pure function over frames; `write_rebase` is the one
write step (Core executemany, no per-row ORM: this runs on 50,000-post establishments).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pandas as pd
from sqlalchemy import bindparam, insert, update
from sqlalchemy import select as sa_select
from sqlmodel import Session, select

from planner.core import audit, hooks
from planner.core.auth import Actor, require
from planner.core.errors import NotFound, RowError, ValidationFailed
from planner.core.models import Partner, Post, RebaseConflict, Structure, utcnow
from planner.establishment.importer import REBASED, ImportFollower
from planner.establishment.register import posts_frame
from planner.establishment.validation import reporting_cycles

# Post fields carried from a new establishment into an option (plus the reporting line).
FIELDS = ("title", "division", "team", "grade", "fte", "partner", "funding", "notes")
REPORTS_TO = "reports_to"
KINDS = ("both-changed", "deleted-in-baseline", "added", "moved-under-deleted",
         "reporting-cycle")
_NEW = "\x00new:"  # a manager key no baseline post_id can equal (an option's own new post)


@dataclass(frozen=True)
class Conflict:
    """One thing a rebase could not carry over on its own, in the words the user reads."""

    post_ref: str
    kind: str
    field: str = ""
    option_value: str = ""
    old_value: str = ""
    new_value: str = ""
    message: str = ""


@dataclass
class AddedPost:
    """A post new in the establishment, to be added to the option as a continuing post."""

    baseline_id: int
    post_ref: str
    values: dict[str, str]
    manager_baseline_id: int | None  # report to the option post continuing this one


@dataclass
class RebasePlan:
    """What one option's rebase writes: computed by `plan_rebase`, written by `write_rebase`."""

    updates: dict[int, dict[str, str]] = field(default_factory=dict)  # option post id -> fields
    moves: dict[int, int | None] = field(default_factory=dict)  # option post id -> manager bid
    detached: list[int] = field(default_factory=list)  # option post ids losing their lineage
    joined: dict[int, int] = field(default_factory=dict)  # option new post id -> baseline id
    added: list[AddedPost] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)

    def is_empty(self) -> bool:
        return not (self.updates or self.moves or self.detached or self.joined or self.added
                    or self.conflicts)


@dataclass(frozen=True)
class RebasedOption:
    """One option's rebase, as the import's message and audit report it."""

    structure_id: int
    name: str
    archived: bool
    updated: int
    added: int
    detached: int
    conflicts: int
    version: int
    # What the option's "rebase" audit event says; recorded by the import after its own event
    # (the audit log is append-only, and each rebase event names the import's id).
    audit_after: dict[str, Any] = field(default_factory=dict, compare=False)

    def as_dict(self) -> dict[str, Any]:
        return {"structure_id": self.structure_id, "name": self.name,
                "archived": self.archived, "updated": self.updated, "added": self.added,
                "detached": self.detached, "conflicts": self.conflicts,
                "version": self.version}


# --- reading -----------------------------------------------------------------------------------


def structure_frame(session: Session, structure_id: int) -> pd.DataFrame:
    """posts_frame (interchange text columns, `id`) plus `baseline_post_id` (nullable int)."""
    frame = posts_frame(session, structure_id)
    p = Post.__table__
    links = dict(session.connection().execute(
        sa_select(p.c.id, p.c.baseline_post_id).where(p.c.structure_id == structure_id)).all())
    frame["baseline_post_id"] = pd.Series([links.get(i) for i in frame["id"].tolist()],
                                          index=frame.index, dtype=object)
    return frame


# --- planning (pure) ---------------------------------------------------------------------------


def _shown(name: str, value: str) -> str:
    """A value as a sentence shows it."""
    if name == REPORTS_TO:
        return value or "nobody"
    if name == "fte":
        return f"{value} FTE"
    if name in ("title", "division", "team", "notes"):
        return f"“{value}”" if value else "blank"
    return value or "blank"


_VERBS = {"title": "retitled it", "grade": "regraded it to", "fte": "resized it to",
          REPORTS_TO: "moved it under", "division": "moved it to division",
          "team": "moved it to team", "partner": "charged it to", "funding": "funded it from",
          "notes": "gave it the notes"}


def both_changed_sentence(ref: str, name: str, option_value: str, new_value: str) -> str:
    """"ICT-020: the option regraded it to PO4 and the new establishment regraded it to PO5;
    the option's PO4 was kept." """
    verb = _VERBS.get(name, f"changed its {name} to")
    o, n = _shown(name, option_value), _shown(name, new_value)
    kept = f"line (under {o})" if name == REPORTS_TO else o
    return (f"{ref}: the option {verb} {o} and the new establishment {verb} {n}; "
            f"the option's {kept} was kept.")


def plan_rebase(old: pd.DataFrame, new: pd.DataFrame, option: pd.DataFrame) -> RebasePlan:
    """How `option` moves from the `old` establishment onto the `new` one.

    `old` and `new` are baseline frames (structure_frame columns; the ids of posts the import
    matched are the same in both); `option` is the option's frame with `baseline_post_id`.
    """
    plan = RebasePlan()
    old_i = old.set_index("id", drop=False)
    new_i = new.set_index("id", drop=False)
    old_ids, new_ids = set(old_i.index.tolist()), set(new_i.index.tolist())
    # Plain dicts, not DataFrame.at: one lookup per post and field at 50,000 posts.
    old_col = {c: dict(zip(old["id"].tolist(), old[c].astype(str).tolist(), strict=True))
               for c in ("post_id", "title", "reports_to")}
    new_rows = {int(r["id"]): {k: str(v) for k, v in r.items()}
                for r in new[new["id"].isin([i for i in new["id"].tolist()
                                             if i not in old_ids])].to_dict("records")}
    new_reports = dict(zip(new["id"].tolist(), new["reports_to"].astype(str).tolist(),
                           strict=True))
    new_id_of_ref = dict(zip(new["post_id"].tolist(), new["id"].tolist(), strict=True))
    opt = option.reset_index(drop=True)
    bids = [None if b is None or b != b else int(b) for b in opt["baseline_post_id"].tolist()]
    opt_refs = opt["post_id"].tolist()
    opt_ids = [int(i) for i in opt["id"].tolist()]
    bid_of_ref = dict(zip(opt_refs, bids, strict=True))
    continued: dict[int, int] = {}  # baseline id -> option post id (first one)
    for pid, bid in zip(opt_ids, bids, strict=True):
        if bid is not None:
            continued.setdefault(bid, pid)
    ref_of_post = dict(zip(opt_ids, opt_refs, strict=True))

    # Posts the new establishment deleted: the option keeps them as its own new posts.
    for i, bid in enumerate(bids):
        if bid is not None and bid in old_ids and bid not in new_ids:
            ref = opt_refs[i]
            title = old_col["title"][bid]
            plan.detached.append(opt_ids[i])
            plan.conflicts.append(Conflict(
                post_ref=ref, kind="deleted-in-baseline", old_value=old_col["post_id"][bid],
                message=(f"{ref} ({title}): the new establishment no longer has this post; the "
                         "option keeps it as a new post of its own, with nobody in it.")))

    # Posts new in the establishment: added to the option (or joined to its own post of the
    # same post_id, which the option had proposed creating).
    added_ids = [i for i in new["id"].tolist() if i not in old_ids]
    taken = set(opt_refs)
    adding: set[int] = set()
    for bid in added_ids:
        ref = new_rows[bid]["post_id"]
        mine = ref in bid_of_ref
        if mine and bid_of_ref[ref] is None:
            pid = opt_ids[opt_refs.index(ref)]
            plan.joined[pid] = bid
            continued.setdefault(bid, pid)
            plan.conflicts.append(Conflict(
                post_ref=ref, kind="added", new_value=ref,
                message=(f"{ref}: the new establishment adds {ref} "
                         f"({new_rows[bid]['title']}), which the option already had as a new "
                         "post; the option's post now continues it, with the option's title, "
                         "grade and reporting line kept, and the establishment's people in it.")))
            continue
        use = ref
        n = 2
        while use in taken:  # the option gave this post_id to another post
            use = f"{ref}~{n}"[-40:]
            n += 1
        taken.add(use)
        adding.add(bid)
        values = {f: new_rows[bid][f] for f in FIELDS}
        plan.added.append(AddedPost(baseline_id=bid, post_ref=use, values=values,
                                    manager_baseline_id=None))
    will_continue = set(continued) | adding

    def option_ref_for(bid: int | None) -> str:
        if bid is None:
            return ""
        if bid in continued:
            return ref_of_post[continued[bid]]
        return next((a.post_ref for a in plan.added if a.baseline_id == bid), "")

    for a in plan.added:
        mref = new_reports[a.baseline_id]
        mbid = new_id_of_ref.get(mref) if mref else None
        a.manager_baseline_id = mbid if mbid in will_continue else None
        under = option_ref_for(a.manager_baseline_id)
        where = f"under {under}" if under else (
            "at the top (the option deletes its manager " + mref + ")" if mref else "at the top")
        plan.conflicts.append(Conflict(
            post_ref=a.post_ref, kind="added", new_value=a.post_ref,
            message=(f"{a.post_ref} ({a.values['title']}, {a.values['grade']}, "
                     f"{a.values['fte']} FTE) is new in the establishment and was added to the "
                     f"option {where}; delete it in the option if the option does without it."
                     + (f" (The option already used {a.post_ref.split('~')[0]} for another "
                        "post.)" if a.post_ref != new_rows[a.baseline_id]["post_id"]
                        else ""))))

    # Fields of the posts the option continues in both establishments: a three-way merge.
    live = [i for i, b in enumerate(bids) if b is not None and b in old_ids and b in new_ids]
    if live:
        lbids = [bids[i] for i in live]
        for f in FIELDS:
            o = opt[f].astype(str).to_numpy(object)[live]
            b0 = old_i[f].astype(str).reindex(lbids).to_numpy(object)
            b1 = new_i[f].astype(str).reindex(lbids).to_numpy(object)
            for k, i in enumerate(live):
                if b0[k] == b1[k] or o[k] == b1[k]:
                    continue
                pid, ref = opt_ids[i], opt_refs[i]
                if o[k] == b0[k]:
                    plan.updates.setdefault(pid, {})[f] = b1[k]
                else:
                    plan.conflicts.append(Conflict(
                        post_ref=ref, kind="both-changed", field=f, option_value=o[k],
                        old_value=b0[k], new_value=b1[k],
                        message=both_changed_sentence(ref, f, o[k], b1[k])))
        # The reporting line, in the old establishment's post_ids.
        old_ref = old_col["post_id"]
        opt_mgr = opt["reports_to"].tolist()
        for i in live:
            bid = bids[i]
            b0 = old_col["reports_to"][bid]
            b1 = new_reports[bid]
            if b0 == b1:
                continue
            m = opt_mgr[i]
            mbid = bid_of_ref.get(m) if m else None
            key = "" if not m else (old_ref[mbid] if mbid in old_ref else _NEW + m)
            if key == b1:
                continue
            pid, ref = opt_ids[i], opt_refs[i]
            if key != b0:
                plan.conflicts.append(Conflict(
                    post_ref=ref, kind="both-changed", field=REPORTS_TO, option_value=m,
                    old_value=b0, new_value=b1,
                    message=both_changed_sentence(ref, REPORTS_TO, m, b1)))
                continue
            target = new_id_of_ref.get(b1) if b1 else None
            if target is not None and target not in will_continue:
                plan.conflicts.append(Conflict(
                    post_ref=ref, kind="moved-under-deleted", field=REPORTS_TO, option_value=m,
                    old_value=b0, new_value=b1,
                    message=(f"{ref}: the new establishment moved it under {b1}, which the "
                             f"option deletes; it stays under {_shown(REPORTS_TO, m)}.")))
                continue
            plan.moves[pid] = target
    _break_cycles(plan, opt, continued)
    return plan


def _break_cycles(plan: RebasePlan, opt: pd.DataFrame, continued: Mapping[int, int]) -> None:
    """Keep the option's own line for any post the rebase would move into a reporting cycle."""
    ids = [int(i) for i in opt["id"].tolist()]
    pid_of_ref = dict(zip(opt["post_id"].tolist(), ids, strict=True))
    ref_of = {v: k for k, v in pid_of_ref.items()}
    current = {f"p{pid}": (f"p{pid_of_ref[m]}" if m in pid_of_ref else "")
               for pid, m in zip(ids, opt["reports_to"].tolist(), strict=True)}
    added_ref = {a.baseline_id: a.post_ref for a in plan.added}

    def node(bid: int | None) -> str:
        if bid is None:
            return ""
        return f"p{continued[bid]}" if bid in continued else f"a{bid}"

    for _ in range(len(plan.moves) + len(plan.added) + 1):
        graph = dict(current)
        for pid, target in plan.moves.items():
            graph[f"p{pid}"] = node(target)
        for a in plan.added:
            graph[f"a{a.baseline_id}"] = node(a.manager_baseline_id)
        cycles = reporting_cycles(graph)
        if not cycles:
            return
        for cycle in cycles:
            moved = [int(n[1:]) for n in cycle if n.startswith("p") and int(n[1:]) in plan.moves]
            if moved:
                pid = moved[0]
                target = plan.moves.pop(pid)
                ref = ref_of[pid]
                mine = ref_of.get(int(current[f"p{pid}"][1:]), "") if current[f"p{pid}"] else ""
                under = (ref_of[continued[target]] if target in continued
                         else added_ref.get(target, "")) if target is not None else ""
                plan.conflicts.append(Conflict(
                    post_ref=ref, kind="reporting-cycle", field=REPORTS_TO, option_value=mine,
                    new_value=under,
                    message=(f"{ref}: the new establishment moved it under {under or 'nobody'}, "
                             "which in the option would make a reporting cycle; it stays under "
                             f"{mine or 'nobody'}.")))
            else:
                for a in plan.added:
                    if f"a{a.baseline_id}" in cycle:
                        a.manager_baseline_id = None
                        break


# --- writing -----------------------------------------------------------------------------------


def _column_value(name: str, value: str, partner_id: Mapping[str, int]) -> tuple[str, Any]:
    if name == "fte":
        return "fte", Decimal(value or "1")
    if name == "partner":
        return "partner_id", partner_id.get(value.lower())
    return name, value


def write_rebase(session: Session, *, actor: Actor, option: Structure, plan: RebasePlan,
                 import_event_id: int | None) -> RebasedOption:
    """Write one option's rebase: lineage, added posts, fields, lines, conflicts, version,
    audit. Every post it changes gets a new version, so a grid opened before the import is
    refused on save (planner.structures.options.edit_option_posts) instead of overwriting it."""
    assert option.id is not None
    sid = option.id
    conn = session.connection()
    p = Post.__table__
    partner_id = {n.lower(): i for i, n in session.exec(sa_select(Partner.id, Partner.name)).all()}
    if plan.detached:
        conn.execute(update(p).where(p.c.id == bindparam("b_id"))
                     .values(baseline_post_id=None),
                     [{"b_id": i} for i in plan.detached])
    if plan.joined:
        conn.execute(update(p).where(p.c.id == bindparam("b_id"))
                     .values(baseline_post_id=bindparam("b_bid")),
                     [{"b_id": i, "b_bid": b} for i, b in plan.joined.items()])
    if plan.added:
        rows = []
        for a in plan.added:
            row: dict[str, Any] = {"structure_id": sid, "post_ref": a.post_ref,
                                   "baseline_post_id": a.baseline_id, "version": 1,
                                   "reports_to_id": None}
            for f, v in a.values.items():
                col, val = _column_value(f, v, partner_id)
                row[col] = val
            row["funding"] = (row.get("funding") or "base").lower()
            rows.append(row)
        conn.execute(insert(p), rows)
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for pid, changes in plan.updates.items():
        row = {"b_id": pid}
        for f, v in changes.items():
            col, val = _column_value(f, v, partner_id)
            row[f"b_{col}"] = val
        groups.setdefault(tuple(sorted(k for k in row if k != "b_id")), []).append(row)
    for keys, rows in groups.items():
        conn.execute(update(p).where(p.c.id == bindparam("b_id"))
                     .values({k[2:]: bindparam(k) for k in keys}), rows)
    if plan.moves or plan.added:
        by_bid: dict[int, int] = {}
        for pid, bid in conn.execute(sa_select(p.c.id, p.c.baseline_post_id).where(
                p.c.structure_id == sid, p.c.baseline_post_id.is_not(None)).order_by(p.c.id)):
            by_bid.setdefault(int(bid), int(pid))
        lines = [{"b_id": pid, "b_mgr": by_bid.get(t) if t is not None else None}
                 for pid, t in plan.moves.items()]
        lines += [{"b_id": by_bid[a.baseline_id], "b_mgr": by_bid.get(a.manager_baseline_id)}
                  for a in plan.added if a.manager_baseline_id is not None]
        if lines:
            conn.execute(update(p).where(p.c.id == bindparam("b_id"))
                         .values(reports_to_id=bindparam("b_mgr")), lines)
    touched = set(plan.updates) | set(plan.moves) | set(plan.detached) | set(plan.joined)
    if touched:
        conn.execute(update(p).where(p.c.id == bindparam("b_id")).values(version=p.c.version + 1),
                     [{"b_id": i} for i in sorted(touched)])
    if plan.conflicts:
        now = utcnow()
        conn.execute(insert(RebaseConflict.__table__), [
            {"structure_id": sid, "import_event_id": import_event_id, "post_ref": c.post_ref,
             "kind": c.kind, "field": c.field, "option_value": c.option_value[:400],
             "old_value": c.old_value[:400], "new_value": c.new_value[:400],
             "message": c.message[:1000], "created_at": now, "resolved_at": None,
             "resolved_by": ""} for c in plan.conflicts])
    option.version += 1
    session.add(option)
    session.flush()
    ref = {int(i): r for i, r in conn.execute(
        sa_select(p.c.id, p.c.post_ref).where(p.c.structure_id == sid))}
    after = {"import_event_id": import_event_id,
             "updated": {ref.get(i, str(i)): c for i, c in plan.updates.items()},
             "moved": sorted(ref.get(i, str(i)) for i in plan.moves),
             "added": [a.post_ref for a in plan.added],
             "detached": sorted(ref.get(i, str(i)) for i in plan.detached),
             "joined": sorted(ref.get(i, str(i)) for i in plan.joined),
             "conflicts": len(plan.conflicts), "version": option.version}
    result = RebasedOption(structure_id=sid, name=option.name, archived=option.archived,
                           updated=len(set(plan.updates) | set(plan.moves)),
                           added=len(plan.added), detached=len(plan.detached),
                           conflicts=len(plan.conflicts), version=option.version,
                           audit_after=after)
    if import_event_id is not None:  # else the caller records it once it has the id
        record_rebase(session, actor=actor, rebased=result, import_event_id=import_event_id)
    return result


def record_rebase(session: Session, *, actor: Actor, rebased: RebasedOption,
                  import_event_id: int | None) -> None:
    """The option's "rebase" audit event, naming the import that caused it."""
    audit.record(session, actor=actor, action="rebase", entity="structure",
                 entity_id=str(rebased.structure_id),
                 after={**rebased.audit_after, "import_event_id": import_event_id})
    session.flush()


def rebase_options(session: Session, *, actor: Actor, old: pd.DataFrame, new: pd.DataFrame,
                   import_event_id: int | None) -> list[RebasedOption]:
    """Rebase every option, archived ones too, from `old` onto `new` (the import's step)."""
    results = []
    for option in session.exec(select(Structure).where(Structure.kind == "option")
                               .order_by(Structure.id)).all():  # type: ignore[arg-type]
        assert option.id is not None
        plan = plan_rebase(old, new, structure_frame(session, option.id))
        results.append(write_rebase(session, actor=actor, option=option, plan=plan,
                                    import_event_id=import_event_id))
    return results


def rebased_sentence(results: list[RebasedOption] | tuple[RebasedOption, ...]) -> str:
    """What an import did to the options, for its success message: "2 options were carried
    onto the new establishment: Option A (2 conflicts to review) and Option B, archived (no
    conflicts)." Blank when there were no options."""
    if not results:
        return ""
    parts = []
    for r in results:
        n = r.conflicts
        told = "no conflicts" if n == 0 else (f"{n} conflict{'' if n == 1 else 's'} to review")
        parts.append(f"{r.name}{', archived' if r.archived else ''} ({told})")
    listed = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
    many = len(results) != 1
    return (f"{len(results)} option{'s were' if many else ' was'} carried onto the new "
            f"establishment: {listed}.")


# --- the conflicts, for the user ---------------------------------------------------------------

CONFLICT_COLUMNS = ["id", "post_id", "kind", "field", "option_value", "old_value", "new_value",
                    "message", "created_at", "resolved_at", "resolved_by"]


def list_conflicts(*, session: Session, actor: Actor, structure: str | int | Structure,
                   include_resolved: bool = False) -> pd.DataFrame:
    """An option's conflicts from establishment imports, oldest first; open ones only unless
    `include_resolved`. Whoever may read the option may read them (options.readable_option)."""
    from planner.structures.options import readable_option

    s = readable_option(session, actor, structure, "drafts.read")
    q = select(RebaseConflict).where(RebaseConflict.structure_id == s.id)
    if not include_resolved:
        q = q.where(RebaseConflict.resolved_at.is_(None))  # type: ignore[union-attr]
    rows = session.exec(q.order_by(RebaseConflict.id)).all()  # type: ignore[arg-type]
    return pd.DataFrame([{"id": r.id, "post_id": r.post_ref, "kind": r.kind, "field": r.field,
                          "option_value": r.option_value, "old_value": r.old_value,
                          "new_value": r.new_value, "message": r.message,
                          "created_at": r.created_at, "resolved_at": r.resolved_at,
                          "resolved_by": r.resolved_by} for r in rows],
                        columns=CONFLICT_COLUMNS)


def resolve_conflicts(*, session: Session, actor: Actor, structure: str | int | Structure,
                      conflict_ids: list[int] | None = None) -> int:
    """Mark an option's conflicts resolved (all open ones when `conflict_ids` is None): the
    user has read them and made any change in the option. Manager or hr; audited."""
    from planner.structures.options import readable_option, require_not_archived

    require(actor, "options.edit", "structure")
    s = readable_option(session, actor, structure, "options.edit")
    if s.kind != "option":
        raise NotFound(f"{s.name} is the current establishment; conflicts belong to options.")
    require_not_archived(s)
    q = select(RebaseConflict).where(RebaseConflict.structure_id == s.id,
                                     RebaseConflict.resolved_at.is_(None))  # type: ignore[union-attr]
    rows = list(session.exec(q).all())
    if conflict_ids is not None:
        wanted = set(conflict_ids)
        unknown = wanted - {r.id for r in rows}
        if unknown:
            raise ValidationFailed([RowError("conflicts", None, "id", (
                f"{s.name} has no open conflict {', '.join(map(str, sorted(unknown)))}."))])
        rows = [r for r in rows if r.id in wanted]
    now = dt.datetime.now(dt.UTC)
    for r in rows:
        r.resolved_at = now
        r.resolved_by = actor.username
        session.add(r)
    session.flush()
    if rows:
        audit.record(session, actor=actor, action="resolve_conflicts", entity="structure",
                     entity_id=str(s.id),
                     after={"conflicts": [{"id": r.id, "post_id": r.post_ref, "kind": r.kind,
                                           "field": r.field} for r in rows]})
        session.flush()
    return len(rows)


# --- following an establishment import (planner.core.hooks.IMPORT) ---------------------------


def _before_import(session: Session, structure_id: int) -> pd.DataFrame | None:
    """The establishment's posts as the options saw them, when there are options to rebase."""
    has_options = session.exec(
        select(Structure.id).where(Structure.kind == "option").limit(1)).first() is not None
    return structure_frame(session, structure_id) if has_options else None


def _posts_replaced(session: Session, actor: Actor, old: pd.DataFrame | None, structure_id: int,
                    removed_posts: list[int]) -> list[RebasedOption]:
    """Every option, archived ones too, rebased onto the new posts (an archived option restored
    later must still point at posts that exist, with its people where the establishment now
    has them), before the removed baseline posts are deleted."""
    if old is None:
        return []
    new = structure_frame(session, structure_id)
    new = new[~new["id"].isin(removed_posts)].reset_index(drop=True)
    return rebase_options(session, actor=actor, old=old, new=new, import_event_id=None)


def _import_recorded(session: Session, actor: Actor, tables: Any, event_id: int,
                     rebased: list[RebasedOption]) -> None:
    """The conflicts the rebase raised take the import's event id (they were written before
    the event, which the append-only audit log writes once, whole); then each option's own
    rebase event."""
    rc = RebaseConflict.__table__
    session.connection().execute(update(rc).where(rc.c.import_event_id.is_(None))
                                 .values(import_event_id=event_id))
    for r in rebased:
        record_rebase(session, actor=actor, rebased=r, import_event_id=event_id)


hooks.register(hooks.IMPORT, ImportFollower(
    before=_before_import, posts_replaced=_posts_replaced, recorded=_import_recorded,
    audit_key=REBASED), order=10, name="options rebased")
