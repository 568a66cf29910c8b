"""People mapping (issue 12): each baseline person's outcome in an option.

An option says which posts go, change or arrive; only the mapping says what happens to each
person: unchanged, slotted into a named option post, ring-fenced in a pool competing for
fewer posts, at risk, redeployed into a named vacancy, voluntary redundancy, a fixed-term
contract ending, or an interim released. Stored rows are `PersonMapping`; a person without
one has a default: `unchanged` when every baseline post they hold continues into the option
with no change at all (title, grade, FTE, team, manager), otherwise blank ("unmapped"):
nothing is mapped silently (DOMAIN.md §7: slot-ins stay *proposed* until consultation closes).

Once an option has a stored mapping, the legal clocks and the equality analysis read it
(`proposed_dismissals`, `at_risk_people`) instead of their post-based proxy. TULRCA 1992
s.188 counts proposed dismissals: at-risk and voluntary redundancies (a volunteer is still a
dismissal the employer proposes, DOMAIN.md §2), and in each ring-fenced pool the members
beyond its posts. A fixed-term contract ending on its agreed date is excluded (s.282). People
still unmapped in an option with a mapping are kept in both, so a half-finished mapping
never undercounts.

Names, dates of birth and individual costs are management's: mapping.read and mapping.edit
are manager and hr (admin reads); a union rep is refused outright, published option or not.

Length: the grid, the pools, the legal and equality readings of the mapping and the
all-or-nothing save all build on one frame (`_frame`) and its checks. Splitting them would
make every caller rebuild it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from fractions import Fraction
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import case, delete, func, insert, or_
from sqlalchemy import select as sa_select
from sqlmodel import Session, select

from planner.core import audit
from planner.core.auth import Actor, can, require
from planner.core.db import driver_rows
from planner.core.errors import NotFound, PlannerError, RowError, ValidationFailed
from planner.core.models import (
    MAPPING_OUTCOMES,
    MAPPING_STATUSES,
    MappingPool,
    MappingPoolPost,
    Occupancy,
    Person,
    PersonMapping,
    Post,
    Structure,
)
from planner.core.values import decimal_text
from planner.establishment.register import baseline_id, fte_units, posts_frame
from planner.structures.comparison import compared_frame, lineage_difference, lineage_frame
from planner.structures.option_history import check_version
from planner.structures.options import NotAnOption, readable_option, require_not_archived

UNMAPPED = ""  # the outcome of a person with no stored row whose post does not continue as is
BASIS_MAPPING = "mapping"
WITH_POST = ("slotted", "redeployed")
# Outcomes that put a person at risk of dismissal (s.188 and the equality at-risk group).
AT_RISK_OUTCOMES = ("at-risk", "ring-fenced", "voluntary-redundancy")
AGENCY_CONTRACTS = ("interim", "agency")
# s.188(1) counts employees; interims and agency workers are not the council's, a secondee
# returns to their employer (as planner.legal.at_risk.COUNTED_CONTRACTS, a floor above).
COUNTED_CONTRACTS = ("permanent", "fixed_term")
MAX_NOTE = 2000
MAX_POOL_NAME = 120
SHEET = "mapping"

MAPPING_COLUMNS = ["person_id", "employee_id", "name", "contract", "grade", "team", "division",
                   "partner", "post_id", "title", "fte", "default_outcome", "outcome",
                   "option_post_id", "option_title", "pool", "note", "status", "duties_match",
                   "on_family_leave", "lgps_member", "strain_fund_pence", "version", "post_pks"]
DISMISSAL_COLUMNS = ["person_id", "employee_id", "contract", "outcome", "pool", "counted",
                     "pool_members", "pool_posts", "pool_excess"]
POOL_COLUMNS = ["name", "posts", "post_ids", "members", "version"]
# Fields a saved row may carry, with the value of a person who has no stored row.
_FIELDS: dict[str, Any] = {"outcome": UNMAPPED, "option_post_id": "", "pool": "", "note": "",
                           "status": "proposed", "duties_match": None,
                           "on_family_leave": False, "lgps_member": True,
                           "strain_fund_pence": None}

# Fields a stored row keeps only beside an outcome (a blank outcome deletes the row).
_KEPT_WITH_OUTCOME = ("note", "duties_match", "on_family_leave", "lgps_member",
                      "strain_fund_pence")


# --- reading ---------------------------------------------------------------------------------


def _option(session: Session, actor: Actor, structure: str | int | Structure,
            action: str) -> Structure:
    require(actor, action, "person_mapping")  # a union rep stops here, whatever the option
    option = readable_option(session, actor, structure, action)
    if option.kind != "option":
        raise NotAnOption(f"{option.name} is the current establishment: map people into an "
                          "option, not the establishment.")
    return option


def _people(session: Session) -> pd.DataFrame:
    """One row per baseline occupancy: person, contract, FTE and the baseline post."""
    cols = ["person_id", "employee_id", "name", "contract", "occ_fte", "post_pk"]
    sid = baseline_id(session)
    if sid is None:
        return pd.DataFrame(columns=cols)
    o, pe, p = Occupancy.__table__, Person.__table__, Post.__table__
    q = (sa_select(pe.c.id, pe.c.employee_ref, pe.c.name, pe.c.contract, o.c.fte, p.c.id)
         .select_from(o.join(pe, o.c.person_id == pe.c.id).join(p, o.c.post_id == p.c.id))
         .where(p.c.structure_id == sid).order_by(pe.c.employee_ref, p.c.post_ref))
    return pd.DataFrame([tuple(r) for r in session.connection().execute(q)], columns=cols)


def _continuing(session: Session, option_id: int) -> tuple[set[int], dict[int, int]]:
    """Baseline post ids the option keeps with no change at all, and for each baseline post
    the option post (lowest id) that continues it. Read from the frames Compare compares
    (kept per structure version), which hold every column the difference compares."""
    sid = baseline_id(session)
    base, option = session.get(Structure, sid), session.get(Structure, option_id)
    if base is None or option is None:
        return set(), {}
    fa, fb = compared_frame(session, base), compared_frame(session, option)
    frame = lineage_difference(fa, fb)
    pk_of = dict(zip(fa["post_id"], fa["baseline_pk"], strict=True))
    same = frame.loc[frame["change"] == "unchanged", "baseline_post_id"]
    kept = {int(pk_of[r]) for r in same if pk_of.get(r) is not None}
    successor: dict[int, int] = {}
    for opk, bpk in zip(fb["id"], fb["baseline_pk"], strict=True):
        if bpk is not None and not pd.isna(bpk):
            successor.setdefault(int(bpk), int(opk))
    return kept, successor


def _stored(session: Session, option_id: int) -> dict[int, PersonMapping]:
    return {m.person_id: m for m in session.exec(
        select(PersonMapping).where(PersonMapping.structure_id == option_id))}


_STORED_COLUMNS = ("person_id", "outcome", "post_id", "pool", "note", "status",
                   "duties_match", "on_family_leave", "lgps_member", "strain_fund_pence",
                   "version")


def _stored_rows(session: Session, option_id: int) -> dict[int, tuple[Any, ...]]:
    """person_id → the stored row's _STORED_COLUMNS, read in one Core query (no ORM objects:
    a whole council's mapping is tens of thousands of rows)."""
    pm = PersonMapping.__table__
    q = sa_select(*(pm.c[c] for c in _STORED_COLUMNS)).where(pm.c.structure_id == option_id)
    return {int(r[0]): tuple(r) for r in session.connection().execute(q)}


def _option_posts_named(session: Session, option_id: int, ids: set[int]
                        ) -> dict[int, tuple[str, str]]:
    """Option post id → (post_ref, title), for `ids` only (the option's posts among them)."""
    if not ids:
        return {}
    p = Post.__table__
    q = sa_select(p.c.id, p.c.post_ref, p.c.title).where(p.c.structure_id == option_id)
    if len(ids) <= 500:  # a handful mapped: look them up; else read the option's posts
        q = q.where(p.c.id.in_(sorted(ids)))
    return {int(i): (r, t) for i, r, t in session.connection().execute(q) if int(i) in ids}


def _option_posts(session: Session, option_id: int) -> pd.DataFrame:
    p = Post.__table__
    q = sa_select(p.c.id, p.c.post_ref, p.c.title, p.c.fte).where(p.c.structure_id == option_id)
    return pd.DataFrame([tuple(r) for r in session.connection().execute(q)],
                        columns=["id", "post_ref", "title", "fte"])


_JOINED = ("grade", "team", "division", "partner", "post_id", "title")


def _one_object_per_value(column: pd.Series, text: bool = True) -> np.ndarray:
    """Each value (`str` of it, with `text`) as an object array in which equal values are one
    Python object: the mapping frame is kept for the page, and 43,000 copies of each grade,
    team and division were most of its 50 MB (issue 16)."""
    codes, uniques = pd.factorize(column, use_na_sentinel=False)
    values = [str(v) for v in uniques] if text else list(uniques)
    out = np.empty(max(len(values), 1), dtype=object)
    out[:len(values)] = values
    return out[codes]


def _frame(session: Session, option: Structure) -> pd.DataFrame:
    """mapping_frame without the permission check (the services below share it).

    One row per person in the order of `_people` (employee id, then post id). A person in
    several baseline posts has each post's figure joined with "; " (each distinct value once,
    in post order) and their FTEs added. Built column by column: a loop over 40,000 people
    reading a frame cell by cell took over half a minute.
    """
    assert option.id is not None
    occ = _people(session)
    sid = baseline_id(session)
    base = lineage_frame(session, sid) if sid is not None else None
    kept, _ = _continuing(session, option.id)
    stored = _stored_rows(session, option.id)
    # Only the option posts somebody is mapped into: reading all 50,000 to look up a handful
    # was a second of the mapping page's first view (issue 16).
    option_post = _option_posts_named(session, option.id,
                                      {m[2] for m in stored.values() if m[2] is not None})
    if occ.empty:
        return pd.DataFrame([], columns=MAPPING_COLUMNS, dtype=object).astype(
            {"person_id": "int64", "version": "int64", "on_family_leave": bool,
             "lgps_member": bool})
    assert base is not None
    codes, person_ids = pd.factorize(occ["person_id"].to_numpy(np.int64))
    n = len(person_ids)
    order = np.argsort(codes, kind="stable")  # each person's rows together, in occ order
    counts = np.bincount(codes, minlength=n)
    starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    first = order[starts]
    several = np.flatnonzero(counts > 1)
    pks = occ["post_pk"].to_numpy(np.int64)
    at = base.set_index("id").index.get_indexer(pks)
    if (at < 0).any():
        raise KeyError(int(pks[at < 0][0]))

    def rows_of(g: int) -> np.ndarray:
        return order[starts[g]:starts[g] + counts[g]]

    columns: dict[str, Any] = {}
    for col in _JOINED:
        text = _one_object_per_value(base[col])[at]
        values = text[first]
        for g in several:
            values[g] = "; ".join(dict.fromkeys(text[rows_of(g)]))
        columns[col] = values
    fte_of: dict[str, str] = {}
    raw = occ["occ_fte"].tolist()
    fte_texts = [str(f) for f in raw]
    fte = np.empty(n, dtype=object)
    for g, i in enumerate(first):
        t = fte_texts[i]
        if t not in fte_of:
            fte_of[t] = decimal_text(Decimal(0) + Decimal(t))
        fte[g] = fte_of[t]
    for g in several:
        fte[g] = decimal_text(sum((Decimal(fte_texts[i]) for i in rows_of(g)), Decimal(0)))
    not_kept = np.bincount(codes, weights=~np.isin(pks, np.fromiter(kept, np.int64,
                                                                     len(kept))), minlength=n)
    default = np.array(["unchanged", UNMAPPED], dtype=object)[(not_kept != 0).astype(np.int64)]
    pk_list = pks.tolist()
    post_pks = [(pk_list[i],) for i in first]
    for g in several:
        post_pks[g] = tuple(pk_list[i] for i in rows_of(g))
    out: dict[str, Any] = {
        "person_id": person_ids.astype(np.int64),
        "employee_id": occ["employee_id"].to_numpy(object)[first],
        "name": occ["name"].to_numpy(object)[first],
        "contract": _one_object_per_value(occ["contract"], text=False)[first], **columns,
        "fte": fte, "default_outcome": default}
    fields = {k: [v] * n for k, v in _FIELDS.items()}
    fields["outcome"] = list(default)
    option_post_id, option_title = [""] * n, [""] * n
    version = [0] * n
    for g, pid in enumerate(person_ids.tolist()):
        m = stored.get(pid)
        if m is None:
            continue
        (_, outcome, post_id, pool, note, status, duties, family, lgps, strain, ver) = m
        fields["outcome"][g], fields["pool"][g], fields["note"][g] = outcome, pool or "", note
        fields["status"][g], fields["duties_match"][g] = status, duties
        fields["on_family_leave"][g], fields["lgps_member"][g] = family, lgps
        fields["strain_fund_pence"][g], version[g] = strain, ver
        if post_id is not None and post_id in option_post:
            option_post_id[g], option_title[g] = option_post[post_id]
    fields["option_post_id"] = option_post_id
    out.update(fields)
    out.update({"option_title": option_title, "version": version, "post_pks": post_pks})
    frame = pd.DataFrame({c: pd.Series(out[c], dtype=object) for c in MAPPING_COLUMNS},
                         columns=MAPPING_COLUMNS)
    return frame.astype({"person_id": "int64", "version": "int64", "on_family_leave": bool,
                         "lgps_member": bool})


def mapping_frame(*, session: Session, actor: Actor,
                  structure: str | int | Structure) -> pd.DataFrame:
    """One row per baseline person (employees, interims, agency workers) with their outcome
    in `structure`: stored, or the default (`unchanged` in a post kept as is, else blank).
    `version` 0 means no stored row. mapping.read: never a union rep's (names). The option's
    id is in `attrs["structure_id"]`."""
    option = _option(session, actor, structure, "mapping.read")
    out = _frame(session, option)
    if not can(actor, "mapping.costs"):  # the fund's strain figure is one person's cost
        out["strain_fund_pence"] = None
    out.attrs["structure_id"] = option.id
    return out


def costing_frame(*, session: Session, actor: Actor,
                  structure: str | int | Structure) -> pd.DataFrame:
    """mapping_frame with the fund's strain figures kept whoever reads: the exit bill's totals
    must be the same for a manager as for hr. Its callers show a person's figures to
    mapping.costs only (planner.people.exit_bill)."""
    option = _option(session, actor, structure, "mapping.read")
    out = _frame(session, option)
    out.attrs["structure_id"] = option.id
    return out


def available_posts(session: Session, option_id: int, frame: pd.DataFrame) -> pd.DataFrame:
    """The option's new and changed posts (post_id, title, grade, team, division, fte), with
    `attrs["taken"]`: the FTE already mapped into each (slotted or redeployed people), and
    `attrs["own"]`: employee_id → the changed post that continues the one they hold."""
    kept, successor = _continuing(session, option_id)
    unchanged = {successor[k] for k in kept if k in successor}
    posts = posts_frame(session, option_id)
    posts = posts[~posts["id"].isin(unchanged)].reset_index(drop=True)
    ref_of = dict(zip(posts["id"], posts["post_id"], strict=True))
    # Each person whose own post the option continues (changed): that post is theirs first.
    own = {e: ref_of[successor[pks[0]]] for e, pks in zip(frame["employee_id"],
                                                          frame["post_pks"], strict=True)
           if len(pks) == 1 and successor.get(pks[0]) in ref_of}
    into = frame[frame["outcome"].isin(WITH_POST)]
    taken: dict[str, Decimal] = {}
    for post, fte in zip(into["option_post_id"], into["fte"], strict=True):
        taken[str(post)] = taken.get(str(post), Decimal(0)) + Decimal(str(fte))
    out = posts[["post_id", "title", "grade", "team", "division", "fte"]].copy()
    out.attrs["taken"] = taken
    out.attrs["own"] = own
    return out


def vacant_posts(session: Session, option_id: int, frame: pd.DataFrame) -> pd.DataFrame:
    """The option's posts no employee will hold (post_id, title, grade, team, division, fte):
    new and changed posts with FTE not yet mapped into, and posts kept as they are that no
    employee holds now (vacant, or covered by an interim or agency worker), less the posts a
    ring-fenced pool competes for. What a person at risk may be redeployed into."""
    open_new = available_posts(session, option_id, frame)
    taken = open_new.attrs["taken"]
    open_new = open_new[[Fraction(str(f)) > Fraction(str(taken.get(p, 0)))
                         for p, f in zip(open_new["post_id"], open_new["fte"], strict=True)]]
    kept, successor = _continuing(session, option_id)
    held = {k for pks, c in zip(frame["post_pks"], frame["contract"], strict=True)
            if c in COUNTED_CONTRACTS for k in pks}
    empty = {successor[k] for k in kept - held if k in successor}
    posts = posts_frame(session, option_id)
    cols = ["post_id", "title", "grade", "team", "division", "fte"]
    out = pd.concat([open_new[cols], posts.loc[posts["id"].isin(empty), cols]],
                    ignore_index=True)
    # A post a ring-fenced pool competes for is its members' first: not offered to others.
    pooled = {ref for refs in _pools(session, option_id)["post_ids"] for ref in refs}
    out = out[~out["post_id"].isin(pooled)]
    return out.sort_values("post_id").reset_index(drop=True)


def pools_frame(*, session: Session, actor: Actor,
                structure: str | int | Structure) -> pd.DataFrame:
    """The option's ring-fenced pools: the option posts each competes for and its members."""
    option = _option(session, actor, structure, "mapping.read")
    assert option.id is not None
    return _pools(session, option.id)


def _pools(session: Session, option_id: int) -> pd.DataFrame:
    mp, mpp, p, pm = (MappingPool.__table__, MappingPoolPost.__table__, Post.__table__,
                      PersonMapping.__table__)
    conn = session.connection()
    pools = conn.execute(sa_select(mp.c.id, mp.c.name, mp.c.version)
                         .where(mp.c.structure_id == option_id).order_by(mp.c.name)).all()
    refs: dict[int, list[str]] = {}
    for pool_id, ref in conn.execute(
            sa_select(mpp.c.pool_id, p.c.post_ref).join(p, p.c.id == mpp.c.post_id)
            .where(mpp.c.pool_id.in_([r[0] for r in pools])).order_by(p.c.post_ref)):
        refs.setdefault(int(pool_id), []).append(ref)
    members = dict(conn.execute(
        sa_select(pm.c.pool, func.count()).where(pm.c.structure_id == option_id,
                                                 pm.c.outcome == "ring-fenced")
        .group_by(pm.c.pool)).all())
    rows = [{"name": name, "posts": len(refs.get(int(i), [])), "post_ids": refs.get(int(i), []),
             "members": int(members.get(name, 0)), "version": int(v)} for i, name, v in pools]
    return pd.DataFrame(rows, columns=POOL_COLUMNS)


def has_mapping(session: Session, structure_id: int) -> bool:
    """Whether the option has any stored mapping row (then the legal clocks read it)."""
    pm = PersonMapping.__table__
    return session.connection().execute(
        sa_select(pm.c.id).where(pm.c.structure_id == structure_id).limit(1)).first() is not None


def proposed_dismissals(session: Session, structure_id: int) -> pd.DataFrame | None:
    """The people an option's mapping proposes to dismiss (DISMISSAL_COLUMNS), or None when
    it has no mapping (callers keep their proxy). No names: the caller's permissions decide.

    Rows: at-risk, voluntary redundancy, ring-fenced (each with its pool's counted members,
    posts and excess = max(0, members − posts)) and the still-unmapped (outcome ""). `counted`
    marks contracts s.188 counts; `dismissal_count` adds them up.
    """
    mapped = _mapped(session, structure_id)
    if mapped is None:
        return None
    option, frame = mapped
    return _dismissals(session, frame, structure_id, deleted_posts(session, option))


def _mapped(session: Session, structure_id: int) -> tuple[Structure, pd.DataFrame] | None:
    """The option and its mapping frame, or None when the option has no mapping."""
    if not has_mapping(session, structure_id):
        return None
    option = session.get(Structure, structure_id)
    if option is None:
        raise NotFound(f"There is no structure {structure_id}.")
    return option, _frame(session, option)


def _unmapped_in(frame: pd.DataFrame, posts: set[int]) -> pd.Series:
    """Unmapped people in any of `posts`: until mapped, the proxy holds for them."""
    return (frame["outcome"] == UNMAPPED) & pd.Series(
        [any(k in posts for k in pks) for pks in frame["post_pks"]], index=frame.index,
        dtype=bool)


def _dismissals(session: Session, frame: pd.DataFrame, structure_id: int,
                unmapped_posts: set[int]) -> pd.DataFrame:
    risky = frame[frame["outcome"].isin(AT_RISK_OUTCOMES)
                  | _unmapped_in(frame, unmapped_posts)].copy()
    risky["counted"] = risky["contract"].isin(COUNTED_CONTRACTS)
    pools = _pools(session, structure_id).set_index("name")
    ring = risky[(risky["outcome"] == "ring-fenced") & risky["counted"]]
    members = ring.groupby("pool")["person_id"].nunique().to_dict()
    posts = {str(n): int(pools.at[n, "posts"]) if n in pools.index else 0 for n in members}
    is_ring = (risky["outcome"] == "ring-fenced").to_numpy()
    pool = risky["pool"].to_numpy(object)
    risky["pool_members"] = [int(members.get(p, 0)) if r else None
                             for p, r in zip(pool, is_ring, strict=True)]
    risky["pool_posts"] = [posts.get(p, 0) if r else None for p, r in zip(pool, is_ring,
                                                                          strict=True)]
    risky["pool_excess"] = [max(0, int(members.get(p, 0)) - posts.get(p, 0)) if r else None
                            for p, r in zip(pool, is_ring, strict=True)]
    return risky[DISMISSAL_COLUMNS].astype({"pool_members": object, "pool_posts": object,
                                            "pool_excess": object}).reset_index(drop=True)


def dismissal_count(frame: pd.DataFrame) -> int:
    """The s.188 count from `proposed_dismissals`: counted people at risk, volunteering or
    still unmapped, plus for each pool max(0, counted members − posts)."""
    counted = frame[frame["counted"].astype(bool)]
    single = int(counted.loc[counted["outcome"] != "ring-fenced", "person_id"].nunique())
    ring = counted[counted["outcome"] == "ring-fenced"]
    excess = ring.drop_duplicates("pool")["pool_excess"]
    return single + int(sum(int(x) for x in excess if x is not None))


def at_risk_people(session: Session, structure_id: int) -> set[int] | None:
    """Person ids at risk in an option's mapping (at-risk, ring-fenced, voluntary redundancy,
    and the still unmapped in posts the option deletes, regrades or shrinks), for the
    equality analysis; None when the option has no mapping."""
    mapped = _mapped(session, structure_id)
    if mapped is None:
        return None
    option, frame = mapped
    risky = frame["outcome"].isin(AT_RISK_OUTCOMES) | _unmapped_in(
        frame, displaced_posts(session, option))
    return {int(i) for i in frame.loc[risky, "person_id"]}


def deleted_posts(session: Session, option: Structure) -> set[int]:
    """Baseline post ids the option does not continue at all (the s.188 proxy)."""
    return _displaced(session, option, deleted_only=True)


def displaced_posts(session: Session, option: Structure) -> set[int]:
    """Baseline post ids that `option` deletes, regrades or reduces in FTE: the posts whose
    holders must be selected or slotted in again (the equality analysis's proxy)."""
    return _displaced(session, option, deleted_only=False)


def _displaced(session: Session, option: Structure, *, deleted_only: bool) -> set[int]:
    """Baseline posts no option post continues, or (unless `deleted_only`) whose continuing
    posts all have another grade or add up to less FTE, asked of the database so that only
    those posts' ids come back (issue 16: reading both structures was 1.5 s at 50,000 posts).
    FTEs are compared exactly, in whole ten-thousandths (the column's four places): SQLite
    holds them as binary floats, which summed would make 0.7 + 0.1 less than 0.8."""

    if option.kind != "option":
        return set()
    sid = baseline_id(session)
    p = Post.__table__


    # The option's continuing posts summed per baseline post in one derived table, joined to
    # the baseline posts by id: never a correlated subquery per baseline post, which SQLite's
    # planner may answer by scanning the option's posts for each (minutes at 50,000 posts).
    # Only the displaced posts' ids come back.
    k, b = p.alias("k"), p.alias("b")
    same = func.max(case((k.c.grade == b.c.grade, 1), else_=0))
    kept = (sa_select(k.c.baseline_post_id.label("bid"), func.sum(fte_units(k.c.fte)).label("units"),
                      same.label("same"))
            .select_from(k.join(b, b.c.id == k.c.baseline_post_id))
            .where(k.c.structure_id == option.id).group_by(k.c.baseline_post_id)
            .subquery("kept"))
    gone = kept.c.bid.is_(None)
    test = gone if deleted_only else or_(gone, kept.c.same == 0, kept.c.units < fte_units(p.c.fte))
    q = (sa_select(p.c.id).select_from(p.outerjoin(kept, kept.c.bid == p.c.id))
         .where(p.c.structure_id == sid, test))
    return {i for (i,) in driver_rows(session.connection(), q)}  # ints from either driver


# --- saving ----------------------------------------------------------------------------------


def _editable(session: Session, actor: Actor, structure: str | int | Structure) -> Structure:
    option = _option(session, actor, structure, "mapping.edit")
    require_not_archived(option)
    locked = session.exec(select(Structure).where(Structure.id == option.id).with_for_update()
                          .execution_options(populate_existing=True)).one()
    require_not_archived(locked)  # archived between the read and the lock
    return locked


def _bump(session: Session, actor: Actor, option: Structure, action: str,
          before: dict[str, Any], after: dict[str, Any]) -> Structure:
    """One audited change of the option: its version moves, so caches and stale saves see it."""
    option.version += 1
    session.add(option)
    session.flush()
    audit.record(session, actor=actor, action=action, entity="structure",
                 entity_id=str(option.id), before=before,
                 after={**after, "version": option.version})
    session.flush()
    return option


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, float) and value != value) or (
        isinstance(value, str) and not value.strip())


def _clean(raw: Mapping[str, Any], current: dict[str, Any]) -> dict[str, Any]:
    """`current` with the fields `raw` gives, as stored types (text stripped, blanks None)."""
    row = dict(current)
    for key in _FIELDS:
        if key not in raw:
            continue
        value = raw[key]
        if key in ("outcome", "option_post_id", "pool", "note", "status"):
            row[key] = "" if _blank(value) else str(value).strip()
        elif key in ("duties_match", "strain_fund_pence"):
            row[key] = None if _blank(value) else value
        else:
            row[key] = bool(value) if not _blank(value) else _FIELDS[key]
    if not row["status"]:
        row["status"] = "proposed"
    return row


def save_mapping(*, session: Session, actor: Actor, structure: str | int | Structure,
                 rows: Iterable[Mapping[str, Any]], expected_version: int) -> Structure:
    """Save people's outcomes in an option, all or nothing; returns the option (new version).

    Each row names `employee_id` and any of: outcome, option_post_id (the option's post_id),
    pool, note, status, duties_match, on_family_leave, lgps_member, strain_fund_pence; fields
    left out keep their stored value. A blank outcome deletes the stored row (back to the
    default). Version-checked on the option, like its post edits; one audit event lists the
    changed rows by employee_id. Every problem comes back together (ValidationFailed), each
    naming the employee: an unknown outcome or status; slotted or redeployed without a post
    of this option; a post filled beyond its FTE (people unchanged in it count); ring-fenced
    without a pool of this option; interim-released other than for an interim or agency
    worker; fixed-term-ends other than for a fixed-term employee; a strain figure from someone
    without mapping.costs. A row's `_row` (a workbook's row number) locates its problems.
    """
    require(actor, "mapping.edit", "person_mapping")
    option = _editable(session, actor, structure)
    check_version(session, option, expected_version)
    assert option.id is not None
    frame = _frame(session, option).set_index("employee_id", drop=False)
    posts = _option_posts(session, option.id)
    post_of = dict(zip(posts["post_ref"], posts["id"], strict=True))
    pool_names = set(_pools(session, option.id)["name"])
    errors: list[RowError] = []
    changed: dict[str, dict[str, Any]] = {}
    seen: set[str] = set()
    costs = can(actor, "mapping.costs")
    for n, raw in enumerate(rows, start=1):
        n = int(raw.get("_row", n))  # a workbook's row number, where the rows came from one
        ref = str(raw.get("employee_id") or "").strip()

        def err(column: str, message: str, n: int = n, ref: str = ref) -> None:
            who = (f"{ref} ({frame.at[ref, 'name']})" if ref in frame.index else ref)
            errors.append(RowError(SHEET, n, column, f"{who}: {message}"))

        if ref not in frame.index:
            err("employee_id", "is not a person in the establishment.")
            continue
        if ref in seen:
            err("employee_id", "is named twice: a person has one outcome (and one post).")
            continue
        seen.add(ref)
        current = {k: frame.at[ref, k] for k in _FIELDS}
        if int(frame.at[ref, "version"]) == 0:
            # No stored row: the person's default outcome stands until another is chosen, so
            # a note on someone unchanged by default keeps them unchanged.
            current = {**_FIELDS, "outcome": frame.at[ref, "default_outcome"]}
        # A blank outcome unmaps the person: their post, pool and note go with it.
        unmap = "outcome" in raw and _blank(raw["outcome"])
        row = _clean(raw, {**_FIELDS, "outcome": ""} if unmap else current)
        if (not costs and "strain_fund_pence" in raw
                and row["strain_fund_pence"] != current["strain_fund_pence"]):
            err("strain_fund_pence", "only hr enters the pension fund's strain figure.")
        if not row["outcome"] and any(row[k] != _FIELDS[k] for k in _KEPT_WITH_OUTCOME):
            err("outcome", "choose an outcome first: a note, duties match, leave flag or "
                           "strain figure is kept with a person's outcome.")
        errors.extend(RowError(SHEET, n, c, f"{ref} ({frame.at[ref, 'name']}): {m}")
                      for c, m in _row_problems(row, str(frame.at[ref, "contract"]), post_of,
                                                pool_names))
        if row != current and not (int(frame.at[ref, "version"]) == 0 and not row["outcome"]
                                   and row == {**_FIELDS, "outcome": ""}):
            changed[ref] = row
    errors.extend(_over_filled(session, option, frame, changed, post_of, posts))
    if errors:
        raise ValidationFailed(errors)
    if not changed:
        return option
    before = {ref: _audit_row(frame.loc[ref].to_dict()) for ref in changed
              if int(frame.at[ref, "version"])}
    _write(session, option.id, frame, changed, post_of)
    return _bump(session, actor, option, "mapping", before,
                 {"mapping": {ref: _audit_row(r) for ref, r in changed.items()}})


def _audit_row(row: Mapping[str, Any]) -> dict[str, Any]:
    """A row as the audit keeps it: the fields, never a name or a date of birth."""
    out = {}
    for k in _FIELDS:
        v = row.get(k)
        out[k] = None if v is None or (isinstance(v, float) and v != v) else (
            v.item() if hasattr(v, "item") else v)
    return out


def _row_problems(row: dict[str, Any], contract: str, post_of: Mapping[str, int],
                  pools: set[str]) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    outcome = row["outcome"]
    if outcome and outcome not in MAPPING_OUTCOMES:
        out.append(("outcome", f"{outcome!r} is not an outcome; choose one of "
                               f"{', '.join(MAPPING_OUTCOMES)}."))
    if row["status"] not in MAPPING_STATUSES:
        out.append(("status", f"{row['status']!r} is not a status; choose "
                              f"{' or '.join(MAPPING_STATUSES)}."))
    if outcome in WITH_POST:
        if not row["option_post_id"]:
            out.append(("option_post_id", f"{outcome} needs the option post they go into."))
        elif row["option_post_id"] not in post_of:
            out.append(("option_post_id", f"{row['option_post_id']!r} is not a post of this "
                                          "option."))
    elif row["option_post_id"]:
        out.append(("option_post_id", "only a person slotted or redeployed goes into a post."))
    if outcome == "ring-fenced":
        if not row["pool"]:
            out.append(("pool", "ring-fenced needs the pool they compete in."))
        elif row["pool"] not in pools:
            out.append(("pool", f"{row['pool']!r} is not a pool of this option; add it first."))
    elif row["pool"]:
        out.append(("pool", "only a ring-fenced person is in a pool."))
    if outcome == "interim-released" and contract not in AGENCY_CONTRACTS:
        out.append(("outcome", f"interim-released is for interim and agency workers, not a "
                               f"{contract.replace('_', '-')} contract."))
    if outcome == "fixed-term-ends" and contract != "fixed_term":
        out.append(("outcome", f"fixed-term-ends is for fixed-term contracts, not a "
                               f"{contract.replace('_', '-')} contract."))
    if len(row["note"]) > MAX_NOTE:
        out.append(("note", f"{len(row['note'])} characters is too long; the limit is "
                            f"{MAX_NOTE}."))
    dm = row["duties_match"]
    if dm is not None and (not _is_int(dm) or not 0 <= int(dm) <= 100):
        out.append(("duties_match", f"{dm!r} is not a whole percentage from 0 to 100."))
    strain = row["strain_fund_pence"]
    if strain is not None and (not _is_int(strain) or int(strain) < 0):
        out.append(("strain_fund_pence", f"{strain!r} is not an amount in pence (0 or more)."))
    return out


def _is_int(value: Any) -> bool:
    try:
        return int(value) == value and not isinstance(value, bool)
    except (TypeError, ValueError):
        return False


def _over_filled(session: Session, option: Structure, frame: pd.DataFrame,
                 changed: Mapping[str, dict[str, Any]], post_of: Mapping[str, int],
                 posts: pd.DataFrame) -> list[RowError]:
    """Posts the mapping (after the change) fills beyond their FTE, one error per person
    newly put into such a post. People unchanged in a post the option continues count in it."""
    assert option.id is not None
    _, successor = _continuing(session, option.id)
    occ = _people(session)
    pks = occ.groupby("person_id")["post_pk"].apply(list).to_dict()
    fte_of = {pid: sum((Fraction(str(f)) for f in g), Fraction(0))
              for pid, g in occ.groupby("person_id")["occ_fte"]}
    per_post_fte = {(int(i), int(p)): Fraction(str(f)) for i, p, f in
                    zip(occ["person_id"], occ["post_pk"], occ["occ_fte"], strict=True)}
    load: dict[int, Fraction] = {}
    into: dict[int, list[str]] = {}
    for ref, pid in zip(frame["employee_id"], frame["person_id"], strict=True):
        row = changed.get(ref) or {"outcome": frame.at[ref, "outcome"],
                                   "option_post_id": frame.at[ref, "option_post_id"]}
        if row["outcome"] in WITH_POST and row["option_post_id"] in post_of:
            target = int(post_of[row["option_post_id"]])
            load[target] = load.get(target, Fraction(0)) + fte_of[int(pid)]
            into.setdefault(target, []).append(ref)
        elif row["outcome"] == "unchanged":
            for bpk in pks[int(pid)]:
                target = successor.get(int(bpk))
                if target is not None:
                    load[target] = load.get(target, Fraction(0)) + per_post_fte[(int(pid),
                                                                                 int(bpk))]
    cap = {int(i): Fraction(str(f)) for i, f in zip(posts["id"], posts["fte"], strict=True)}
    ref_of = {int(i): r for i, r in zip(posts["id"], posts["post_ref"], strict=True)}
    errors = []
    for target, total in load.items():
        if total <= cap[target]:
            continue
        for ref in into.get(target, []):
            if ref in changed:
                errors.append(RowError(SHEET, None, "option_post_id", (
                    f"{ref} ({frame.at[ref, 'name']}): {ref_of[target]} is a "
                    f"{float(cap[target]):g} FTE post and the mapping would fill "
                    f"{float(total):g} FTE of it.")))
    return errors


def _write(session: Session, option_id: int, frame: pd.DataFrame,
           changed: Mapping[str, dict[str, Any]], post_of: Mapping[str, int]) -> None:
    stored = _stored(session, option_id)
    for ref, row in changed.items():
        pid = int(frame.at[ref, "person_id"])
        m = stored.get(pid)
        if not row["outcome"]:
            if m is not None:
                session.delete(m)
            continue
        if m is None:
            m = PersonMapping(structure_id=option_id, person_id=pid, outcome=row["outcome"],
                              version=0)
        m.outcome = row["outcome"]
        m.post_id = int(post_of[row["option_post_id"]]) if row["option_post_id"] else None
        m.pool = row["pool"] or None
        m.note = row["note"]
        m.status = row["status"]
        m.duties_match = None if row["duties_match"] is None else int(row["duties_match"])
        m.on_family_leave = bool(row["on_family_leave"])
        m.lgps_member = bool(row["lgps_member"])
        m.strain_fund_pence = (None if row["strain_fund_pence"] is None
                               else int(row["strain_fund_pence"]))
        m.version += 1
        session.add(m)
    session.flush()


def save_pool(*, session: Session, actor: Actor, structure: str | int | Structure, name: str,
              post_ids: Iterable[str], expected_version: int) -> Structure:
    """Create a ring-fenced pool, or set the option posts an existing one competes for.

    `post_ids` are the option's post_ids. Version-checked on the option and audited.
    """
    require(actor, "mapping.edit", "mapping_pool")
    option = _editable(session, actor, structure)
    check_version(session, option, expected_version)
    assert option.id is not None
    name = name.strip()
    refs = list(dict.fromkeys(str(r).strip() for r in post_ids))
    post_of = dict(zip(*(_option_posts(session, option.id)[c] for c in ("post_ref", "id")),
                       strict=True))
    errors = []
    if not name or len(name) > MAX_POOL_NAME:
        errors.append(RowError("pool", None, "name",
                               f"A pool's name has 1–{MAX_POOL_NAME} characters."))
    errors += [RowError("pool", None, "post_ids", f"{r!r} is not a post of this option.")
               for r in refs if r not in post_of]
    if errors:
        raise ValidationFailed(errors)
    pool = session.exec(select(MappingPool).where(MappingPool.structure_id == option.id,
                                                  MappingPool.name == name)).first()
    before = None
    if pool is None:
        pool = MappingPool(structure_id=option.id, name=name, version=0)
    else:
        before = {"pool": name, "post_ids": _pools(session, option.id).set_index("name")
                  .at[name, "post_ids"]}
    pool.version += 1
    session.add(pool)
    session.flush()
    mpp = MappingPoolPost.__table__
    conn = session.connection()
    conn.execute(delete(mpp).where(mpp.c.pool_id == pool.id))
    if refs:
        conn.execute(insert(mpp), [{"pool_id": pool.id, "post_id": int(post_of[r])}
                                   for r in refs])
    return _bump(session, actor, option, "mapping_pool", before or {},
                 {"pool": name, "post_ids": refs})


def delete_pool(*, session: Session, actor: Actor, structure: str | int | Structure,
                name: str, expected_version: int) -> Structure:
    """Delete a pool nobody is ring-fenced in any more (map its members elsewhere first)."""
    require(actor, "mapping.edit", "mapping_pool")
    option = _editable(session, actor, structure)
    check_version(session, option, expected_version)
    pool = session.exec(select(MappingPool).where(MappingPool.structure_id == option.id,
                                                  MappingPool.name == name.strip())).first()
    if pool is None:
        raise NotFound(f"{option.name} has no pool {name!r}.")
    members = session.exec(select(func.count()).select_from(PersonMapping).where(
        PersonMapping.structure_id == option.id, PersonMapping.pool == pool.name)).one()
    if members:
        raise PlannerError(f"{members} people are ring-fenced in {pool.name}: map them "
                           "elsewhere first.")
    mpp = MappingPoolPost.__table__
    session.connection().execute(delete(mpp).where(mpp.c.pool_id == pool.id))
    session.delete(pool)
    session.flush()
    return _bump(session, actor, option, "mapping_pool", {"pool": pool.name},
                 {"pool_deleted": pool.name})


def set_notice_worked(*, session: Session, actor: Actor, structure: str | int | Structure,
                      notice_worked: bool, expected_version: int) -> Structure:
    """Whether the option's dismissed people work their notice (else paid in lieu: exit
    costs include notice pay). Version-checked and audited."""
    require(actor, "mapping.edit", "structure")
    option = _editable(session, actor, structure)
    check_version(session, option, expected_version)
    if option.notice_worked == bool(notice_worked):
        return option
    before = {"notice_worked": option.notice_worked}
    option.notice_worked = bool(notice_worked)
    return _bump(session, actor, option, "notice_worked", before,
                 {"notice_worked": option.notice_worked})
