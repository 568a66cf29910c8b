"""The reporting hierarchy of a structure: validation (cycles, orphans, roots) and the metrics
a restructure is argued with (layers, spans of control, what sits under a post).

The graph is a networkx `DiGraph` (edges manager → report) for the questions graphs answer
well (descendants, paths); everything computed for every post at once (layers, spans, cycles,
subtree totals) is done on a parent-index array with numpy, because a county council's 50,000
posts must validate and measure in well under half a second (benchmarks/).

Layers count from the top: the root is layer 1. A post whose manager is missing (an unknown
post, a post of another structure, itself) heads its own fragment and is layer 1 of it, so the
rest of the establishment still gets its numbers while the problem is reported; posts in or
under a reporting cycle have no layer (`<NA>`).

Length: the hierarchy, its builder and the structure comparison are one model of reporting
lines, read together; the per-post arrays they share would only be passed about if split.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd
from sqlalchemy import select as sa_select
from sqlmodel import Session

from planner.core.auth import Actor, require
from planner.core.config import get_settings
from planner.core.errors import NotFound
from planner.core.models import Post
from planner.establishment.register import baseline_id, establishment_frame

if TYPE_CHECKING:  # imported where a graph is built: 12 MB of server memory (issue 16)
    import networkx as nx

ProblemKind = Literal["cycle", "self_report", "unknown_manager", "other_structure",
                      "several_roots", "no_root"]
Change = Literal["new", "deleted", "moved", "regraded", "resized", "unchanged"]
# Most to least striking: the one colour a post gets on a comparison chart.
CHANGE_PRIORITY: tuple[str, ...] = ("new", "deleted", "moved", "regraded", "resized", "unchanged")
ARROW = " → "


def default_spans() -> tuple[int, int]:
    """(narrow, wide) from the settings; 3 and 12 until the settings carry them."""
    settings = get_settings()
    return int(getattr(settings, "narrow_span", 3)), int(getattr(settings, "wide_span", 12))


def natural_key(post_id: str) -> tuple[tuple[Any, ...], str]:
    """Sort key putting P2 before P10 (people read numbers, not characters); total and stable."""
    parts = re.split(r"(\d+)", post_id)
    return tuple(int(t) if i % 2 else t for i, t in enumerate(parts)), post_id


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the reporting lines, naming the posts a person must fix."""

    kind: ProblemKind
    posts: tuple[str, ...]
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "posts": list(self.posts), "message": self.message}


@dataclass(frozen=True)
class Below:
    """What sits under a post: posts, people in them (employees and interims), FTE, cost."""

    posts: int
    people: int
    fte: float
    cost_pence: int | None = None


class Hierarchy:
    """A structure's reporting lines, validated and measured once, queried many times.

    Build it with `build(frame)` (pure) or `load(session=..., actor=...)`. `graph` has one node
    per post and an edge manager → report for every reporting line inside the structure;
    `posts` has one row per post (indexed by post_id) with `layer`, `direct_reports`,
    `direct_reports_fte`, `fte_value`, `people` and the frame's display columns.
    """

    def __init__(self, *, posts: pd.DataFrame, parent: np.ndarray,
                 unknown: np.ndarray, other_structure: np.ndarray, self_report: np.ndarray,
                 cycles: list[list[str]], roots: tuple[str, ...],
                 linked: np.ndarray | None = None) -> None:
        self.posts = posts
        self.cycles = cycles
        self.roots = roots
        self._parent = parent
        self._unknown = unknown
        self._other = other_structure
        self._self_report = self_report
        self._ids = posts.index.to_numpy(dtype=object)
        self._layer = posts["layer"].to_numpy(dtype="float64", na_value=np.nan)
        self._linked = linked if linked is not None else parent >= 0
        # Per-structure answers over every post (spans, layers), computed once: the app caches
        # the hierarchy per structure version and redraws a page on every click (issue 16).
        self._memo: dict[tuple[Any, ...], Any] = {}

    def _once(self, key: tuple[Any, ...], compute: Callable[[], Any]) -> Any:
        if key not in self._memo:
            self._memo[key] = compute()
        return self._memo[key]

    @cached_property
    def graph(self) -> nx.DiGraph:
        """Built on first use: most pages read layers, spans and reports from the arrays, and
        a 50,000-node graph costs a third of a second (issue 16)."""
        import networkx as nx

        graph = nx.DiGraph()
        graph.add_nodes_from(self._ids.tolist())
        reports_to = self.posts["reports_to"].to_numpy(dtype=object)
        graph.add_edges_from(zip(reports_to[self._linked].tolist(),
                                 self._ids[self._linked].tolist(), strict=True))
        return graph

    # --- lookups ---------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._ids)

    def __contains__(self, post_id: object) -> bool:
        return post_id in self._position_of

    @cached_property
    def _position_of(self) -> dict[str, int]:
        return {str(p): i for i, p in enumerate(self._ids)}

    def position(self, post_id: str) -> int:
        """Row number of a post in `posts` (raises NotFound for a post not in the structure)."""
        try:
            return self._position_of[post_id]
        except KeyError:
            raise NotFound(f"There is no post {post_id!r} in this structure.") from None

    def manager_of(self, post_id: str) -> str | None:
        """The manager inside this structure, or None (a root, or a broken reporting line)."""
        p = self._parent[self.position(post_id)]
        return None if p < 0 else str(self._ids[p])

    def reports_of(self, post_id: str) -> list[str]:
        """Direct reports in natural post_id order (the order every chart and layout uses)."""
        self.position(post_id)
        return list(self._reports.get(post_id, ()))

    @cached_property
    def _reports(self) -> _Reports:
        """Every manager's reports in natural order, each team sorted on first use: the org
        chart asks only for the teams it draws, so a 50,000-post structure's first view does
        not sort all of them (issue 16)."""
        return _Reports(self._ids, self._parent)

    @cached_property
    def tops(self) -> list[str]:
        """Layer-1 posts: the roots and the heads of fragments cut off by a broken line (sorted
        once per hierarchy: the org chart asks for them thousands of times, issue 16)."""
        return sorted(self._ids[self._layer == 1].tolist(), key=natural_key)

    # --- validation ------------------------------------------------------------------------

    def problems(self, roots: Sequence[str] | None = None) -> list[Problem]:
        """Every problem with the reporting lines, most serious first.

        `roots` declares the posts allowed to report to nobody (a shared service may have one
        head per partner); without it exactly one root is expected.
        """
        key = ("problems", None if roots is None else tuple(roots))
        return list(self._once(key, lambda: self._problems(roots)))

    def _problems(self, roots: Sequence[str] | None) -> list[Problem]:
        out: list[Problem] = []
        for chain in self.cycles:
            out.append(Problem("cycle", tuple(chain),
                               f"Reporting cycle: {ARROW.join([*chain, chain[0]])}."))
        ids = self._ids
        for pid in ids[self._self_report].tolist():
            out.append(Problem("self_report", (pid,), f"{pid} reports to itself."))
        reports_to = self.posts["reports_to"].to_numpy(dtype=object)
        for mask, kind, tail in (
            (self._unknown, "unknown_manager", "which is not a post in this structure"),
            (self._other, "other_structure", "a post of another structure"),
        ):
            if not mask.any():
                continue
            grouped = pd.Series(ids[mask]).groupby(reports_to[mask], sort=False)
            for mgr, members in grouped:
                posts = tuple(members.tolist())
                who = _names(posts)
                verb = "reports" if len(posts) == 1 else "report"
                out.append(Problem(kind, posts, f"{who} {verb} to {mgr}, {tail}."))
        declared = set(roots or ())
        undeclared = tuple(r for r in self.roots if r not in declared)
        if len(self) and not self.roots:
            out.append(Problem("no_root", (), "No post is at the top: every post reports to "
                                              "another, so the structure has no head."))
        elif (roots is None and len(self.roots) > 1) or (roots is not None and undeclared):
            named = self.roots if roots is None else undeclared
            out.append(Problem("several_roots", named, (
                f"{len(named)} post{'s' if len(named) != 1 else ''} report to nobody: "
                f"{_names(named)}. A structure has one head unless more are declared.")))
        return out

    # --- metrics ---------------------------------------------------------------------------

    @property
    def layers(self) -> int:
        """Number of layers of management from the top (0 for an empty structure)."""
        finite = self._layer[~np.isnan(self._layer)]
        return int(finite.max()) if finite.size else 0

    def managers(self) -> pd.DataFrame:
        """Posts with at least one direct report, with their span of control."""
        return self._span_frame(self.posts["direct_reports"] > 0)

    @cached_property
    def manager_ids(self) -> tuple[str, ...]:
        """The post_ids of `managers()` in the same order, for pickers that list many."""
        return tuple(self._ids[self.posts["direct_reports"].to_numpy() > 0].tolist())

    def narrow_managers(self, narrow: int | None = None) -> pd.DataFrame:
        """Managers with fewer than `narrow` direct reports (default: settings, 3).

        Narrow spans are the usual sign of a layer that could go.
        """
        narrow = default_spans()[0] if narrow is None else narrow
        dr = self.posts["direct_reports"]
        return self._once(("narrow", narrow),
                          lambda: self._span_frame((dr > 0) & (dr < narrow))).copy()

    def wide_managers(self, wide: int | None = None) -> pd.DataFrame:
        """Managers with more than `wide` direct reports (default: settings, 12)."""
        wide = default_spans()[1] if wide is None else wide
        return self._once(("wide", wide), lambda: self._span_frame(
            self.posts["direct_reports"] > wide)).copy()

    def _span_frame(self, mask: pd.Series) -> pd.DataFrame:
        cols = [c for c in ("title", "grade", "layer", "direct_reports", "direct_reports_fte")
                if c in self.posts.columns]
        return self.posts.loc[mask, cols].reset_index()

    def chain_of_command(self, post_id: str) -> list[str]:
        """The post's managers from the top down, ending with the post itself.

        Stops at a broken line (the head of the fragment comes first) and, in a cycle, before
        repeating a post, so it always ends.
        """
        i = self.position(post_id)
        chain = [i]
        seen = {i}
        p = self._parent[i]
        while p >= 0 and p not in seen:
            chain.append(int(p))
            seen.add(int(p))
            p = self._parent[p]
        return [str(self._ids[j]) for j in reversed(chain)]

    def below(self, post_id: str, *, include_self: bool = False,
              cost_of: Callable[[Sequence[str]], int] | None = None) -> Below:
        """Everything under a post (its direct and indirect reports).

        The post itself is excluded unless `include_self`: "what sits under the Head of
        Digital" is the question a deletion or transfer of a whole team asks. `cost_of`, given
        the post_ids (in natural order), returns their cost in pence (the costing module's job).
        """
        import networkx as nx

        self.position(post_id)
        found = nx.descendants(self.graph, post_id)
        if include_self:
            found.add(post_id)
        else:
            found.discard(post_id)
        ids = sorted(found, key=natural_key)
        at = self.posts.index.get_indexer(ids)
        fte = float(self.posts["fte_value"].to_numpy()[at].sum()) if len(at) else 0.0
        people = int(self.posts["people"].to_numpy()[at].sum()) if len(at) else 0
        cost = cost_of(ids) if cost_of is not None else None
        return Below(posts=len(ids), people=people, fte=round(fte, 4), cost_pence=cost)

    @cached_property
    def subtree_totals(self) -> pd.DataFrame:
        """Per post: posts, FTE and people below it (excluding itself); what a collapsed box says.

        Summed bottom-up one layer at a time with `np.bincount` (a handful of vectorised steps
        for a real establishment); posts in or under a cycle get zeros.
        """
        n = len(self)
        posts = np.zeros(n)
        fte = np.zeros(n)
        people = np.zeros(n)
        own_fte = self.posts["fte_value"].to_numpy(dtype=float)
        own_people = self.posts["people"].to_numpy(dtype=float)
        layer = self._layer
        parent = self._parent
        for k in range(self.layers, 1, -1):
            at = np.flatnonzero(layer == k)
            par = parent[at]
            posts += np.bincount(par, weights=posts[at] + 1, minlength=n)
            fte += np.bincount(par, weights=fte[at] + own_fte[at], minlength=n)
            people += np.bincount(par, weights=people[at] + own_people[at], minlength=n)
        return pd.DataFrame({"below_posts": posts.astype(np.int64), "below_fte": fte.round(4),
                             "below_people": people.astype(np.int64)}, index=self.posts.index)

    def spans_histogram(self, narrow: int | None = None, wide: int | None = None) -> pd.DataFrame:
        """Managers by number of direct reports, with the band (narrow / within range / wide)."""
        d_narrow, d_wide = default_spans()
        narrow = d_narrow if narrow is None else narrow
        wide = d_wide if wide is None else wide
        return self._once(("histogram", narrow, wide),
                          lambda: self._spans_histogram(narrow, wide)).copy()

    def _spans_histogram(self, narrow: int, wide: int) -> pd.DataFrame:
        dr = self.posts.loc[self.posts["direct_reports"] > 0, "direct_reports"]
        out = dr.value_counts().sort_index().rename_axis("direct_reports").reset_index(
            name="managers")
        out["band"] = np.select([out["direct_reports"] < narrow, out["direct_reports"] > wide],
                                ["narrow", "wide"], "within range")
        return out

    def posts_per_layer(self) -> pd.DataFrame:
        """Posts and FTE in each layer from the top (posts in a cycle have no layer)."""
        return self._once(("per_layer",), self._posts_per_layer).copy()

    def _posts_per_layer(self) -> pd.DataFrame:
        has = self.posts["layer"].notna()
        out = (self.posts.loc[has].groupby("layer")
               .agg(posts=("fte_value", "size"), fte=("fte_value", "sum")).reset_index())
        out["layer"] = out["layer"].astype(np.int64)
        out["fte"] = out["fte"].round(4)
        return out

    def span_stats(self) -> dict[str, float | int | None]:
        """Min, median, mean and max span of control over managers (None when nobody manages)."""
        return dict(self._once(("span_stats",), self._span_stats))

    def _span_stats(self) -> dict[str, float | int | None]:
        dr = self.posts.loc[self.posts["direct_reports"] > 0, "direct_reports"].to_numpy()
        if not dr.size:
            return {"managers": 0, "min": None, "median": None, "mean": None, "max": None}
        return {"managers": int(dr.size), "min": int(dr.min()), "median": float(np.median(dr)),
                "mean": round(float(dr.mean()), 2), "max": int(dr.max())}

    def summary(self, *, roots: Sequence[str] | None = None, narrow: int | None = None,
                wide: int | None = None) -> dict[str, Any]:
        """Everything `python -m planner hierarchy --json` prints, as JSON-ready values."""
        d_narrow, d_wide = default_spans()
        narrow = d_narrow if narrow is None else narrow
        wide = d_wide if wide is None else wide
        problems = self.problems(roots)
        reports_to = self.posts["reports_to"].to_numpy(dtype=object)
        return {
            "posts": len(self),
            "roots": list(self.roots),
            "layers": self.layers,
            "cycles": [list(c) for c in self.cycles],
            "self_reports": self._ids[self._self_report].tolist(),
            "unknown_managers": {str(p): str(m) for p, m in zip(
                self._ids[self._unknown].tolist(), reports_to[self._unknown].tolist(),
                strict=True)},
            "other_structure": self._ids[self._other].tolist(),
            "span": self.span_stats(),
            "narrow_span": narrow,
            "wide_span": wide,
            "narrow_managers": self.narrow_managers(narrow)["post_id"].tolist(),
            "wide_managers": self.wide_managers(wide)["post_id"].tolist(),
            "posts_per_layer": {str(r.layer): int(r.posts)
                                for r in self.posts_per_layer().itertuples(index=False)},
            "problems": [p.as_dict() for p in problems],
            "valid": not problems,
        }


class _Reports:
    """Each manager's direct reports in natural post_id order, as `dict.get` reads them.

    The reports of every manager are grouped once with one numpy sort by manager (linear-ish,
    no Python per post); a team is put in natural order the first time it is asked for and kept.
    Filling the memo is idempotent, so sessions sharing a cached hierarchy may race safely.
    """

    def __init__(self, ids: np.ndarray, parent: np.ndarray) -> None:
        kids = np.flatnonzero(parent >= 0)
        kids = kids[np.argsort(parent[kids], kind="stable")]
        managers = parent[kids]
        starts = np.flatnonzero(np.r_[True, managers[1:] != managers[:-1]]) if kids.size \
            else np.zeros(0, dtype=np.int64)
        ends = np.r_[starts[1:], kids.size].astype(np.int64)[:starts.size]  # none: no teams
        self._ids = ids
        self._kids = kids
        self._span = {str(ids[managers[a]]): (int(a), int(b))
                      for a, b in zip(starts.tolist(), ends.tolist(), strict=True)}
        self._sorted: dict[str, tuple[str, ...]] = {}

    def get(self, post_id: str, default: tuple[str, ...] = ()) -> tuple[str, ...]:
        found = self._sorted.get(post_id)
        if found is not None:
            return found
        span = self._span.get(post_id)
        if span is None:
            return default
        team = tuple(sorted((str(x) for x in self._ids[self._kids[span[0]:span[1]]]),
                            key=natural_key))
        self._sorted[post_id] = team
        return team


def _names(posts: Sequence[str], limit: int = 10) -> str:
    shown = ", ".join(posts[:limit])
    more = len(posts) - limit
    return shown + (f" and {more} more" if more > 0 else "")


# --- building ----------------------------------------------------------------------------------


def build(frame: pd.DataFrame, *, other_structure: Collection[str] = ()) -> Hierarchy:
    """The hierarchy of an establishment-like frame (pure: no database, no permissions).

    The frame needs `post_id` and `reports_to` (the manager's post_id, blank for none) and
    `fte_value` or `fte`; every other column (title, grade, incumbents, status, ...) is carried
    into `Hierarchy.posts` for display. `other_structure` names posts whose manager belongs to
    another structure (only the database can tell: see `load`); their reporting line is cut.
    """
    ids_series = frame["post_id"].astype(str)
    if ids_series.duplicated().any():
        dup = ids_series[ids_series.duplicated()].unique().tolist()
        raise ValueError(f"Duplicate post_id in the frame: {', '.join(dup[:10])}.")
    ids = ids_series.to_numpy(dtype=object)
    n = len(ids)
    reports_to = (frame["reports_to"].fillna("").astype(str).str.strip().to_numpy(dtype=object)
                  if "reports_to" in frame.columns else np.full(n, "", dtype=object))
    index = pd.Index(ids, name="post_id")
    pos = index.get_indexer(reports_to)
    blank = reports_to == ""
    other = np.isin(ids, np.asarray(list(other_structure), dtype=object)) if other_structure \
        else np.zeros(n, dtype=bool)
    other &= ~blank
    unknown = ~blank & (pos < 0) & ~other
    self_report = pos == np.arange(n)
    linked = (pos >= 0) & ~other  # reporting lines inside the structure (graph edges)
    parent = np.where(linked & ~self_report, pos, -1).astype(np.int64)

    layer, stuck = _layers(parent)
    cycles = _cycles(parent, stuck, ids)

    fte_value = (frame["fte_value"].to_numpy(dtype=float) if "fte_value" in frame.columns
                 else pd.to_numeric(frame["fte"], errors="coerce").fillna(0.0).to_numpy(float))
    has_parent = parent >= 0
    direct = np.bincount(parent[has_parent], minlength=n)
    direct_fte = np.bincount(parent[has_parent], weights=fte_value[has_parent], minlength=n)

    posts = frame.drop(columns=["post_id"]).copy()
    posts.index = index
    posts["reports_to"] = reports_to
    posts["fte_value"] = fte_value
    posts["people"] = _people(frame)
    posts["layer"] = pd.arrays.IntegerArray(np.where(stuck, 0, layer), stuck.copy())
    posts["direct_reports"] = direct.astype(np.int64)
    posts["direct_reports_fte"] = direct_fte.round(4)

    roots = tuple(sorted(ids[blank].tolist(), key=natural_key))
    return Hierarchy(posts=posts, parent=parent, unknown=unknown, other_structure=other,
                     self_report=self_report, cycles=cycles, roots=roots, linked=linked)


def _layers(parent: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Layer of every post by pointer jumping (O(n log depth) vectorised, any depth).

    Each post's pointer doubles towards its top each round while the distance accumulates; a
    post whose pointer never settles on a post without a manager is in or under a cycle.
    """
    n = parent.size
    idx = np.arange(n)
    jump = np.where(parent >= 0, parent, idx)
    dist = (parent >= 0).astype(np.int64)
    for _ in range(max(1, math.ceil(math.log2(n + 1))) + 1):
        nxt = jump[jump]
        if np.array_equal(nxt, jump):
            break
        dist = dist + dist[jump]
        jump = nxt
    stuck = parent[jump] >= 0
    return dist + 1, stuck


def _cycles(parent: np.ndarray, stuck: np.ndarray, ids: np.ndarray) -> list[list[str]]:
    """Each reporting cycle as its chain, starting from its naturally-smallest post.

    Only the posts in or under a cycle are walked (in Python), so a valid structure pays
    nothing here; each of them is visited once.
    """
    cycles: list[list[str]] = []
    state: dict[int, int] = {}  # 1 = on the current walk, 2 = done
    for start in np.flatnonzero(stuck).tolist():
        if start in state:
            continue
        path: list[int] = []
        node = start
        while node >= 0 and node not in state:
            state[node] = 1
            path.append(node)
            node = int(parent[node])
        if node >= 0 and state.get(node) == 1:
            members = [str(ids[j]) for j in path[path.index(node):]]
            first = members.index(min(members, key=natural_key))
            cycles.append(members[first:] + members[:first])
        for j in path:
            state[j] = 2
    return sorted(cycles, key=lambda c: natural_key(c[0]))


def _people(frame: pd.DataFrame) -> np.ndarray:
    """People in each post: employees (`incumbents`) and interims, from the "; "-joined names."""
    total = np.zeros(len(frame), dtype=np.int64)
    for col in ("incumbents", "interim"):
        if col in frame.columns:
            names = frame[col].fillna("").astype(str)
            total += np.where(names != "", names.str.count("; ") + 1, 0).astype(np.int64)
    return total


def load(*, session: Session, actor: Actor, structure_id: int | None = None) -> Hierarchy:
    """The hierarchy of a structure (the baseline by default), read from the database.

    Besides what the frame shows, the database can tell when a post's `reports_to_id` points
    at a post of another structure (an option copied badly): the frame would show that
    manager's post_id, which may exist in this structure too, so it is checked here.
    """
    require(actor, "establishment.read", "post")
    sid = structure_id if structure_id is not None else baseline_id(session)
    if sid is None:
        raise NotFound("There is no establishment yet: import one or load the demo data.")
    frame = establishment_frame(session=session, actor=actor, structure_id=sid)
    p = Post.__table__
    mgr = p.alias("mgr")
    q = (sa_select(p.c.post_ref)
         .select_from(p.join(mgr, p.c.reports_to_id == mgr.c.id))
         .where(p.c.structure_id == sid, mgr.c.structure_id != sid))
    crossing = [row[0] for row in session.connection().execute(q)]
    return build(frame, other_structure=crossing)


# --- comparing two structures ----------------------------------------------------------------

COMPARED = ("title", "division", "team", "reports_to", "grade", "fte")


def difference(base: pd.DataFrame, other: pd.DataFrame) -> pd.DataFrame:
    """Post by post, how `other` (an option) differs from `base` (the baseline or an option).

    Posts are matched by `other.baseline_post_id` when that column exists (an option post
    names the baseline post it derives from; blank means a new post), else by post_id. A
    reporting line counts as moved when the manager (translated through the same matching),
    division or team changed; regraded when the grade did; resized when the FTE did.

    One row per post of `other`, then one per deleted post of `base`, with `change` (every
    change, "; "-joined, in priority order), `primary_change` (the first, for colouring) and
    `<column>_before` / `<column>_after` for each compared column present in both frames.
    """
    cols = [c for c in COMPARED if c in base.columns and c in other.columns]
    # Object arrays, each converted once (issue 16: the string conversions were most of it).
    b_ids = base["post_id"].astype(str).to_numpy(dtype=object)
    b = {c: (base[c] if c == "fte" else base[c].fillna("").astype(str)).to_numpy(dtype=object)
         for c in cols}
    o, o_ids = other, other["post_id"].astype(str).to_numpy(dtype=object)
    mapped = "baseline_post_id" in o.columns
    key = o["baseline_post_id"].fillna("").astype(str).to_numpy(object) if mapped else o_ids
    base_index = pd.Index(b_ids)
    key = np.where(base_index.get_indexer(key) >= 0, key, "")
    out = pd.DataFrame({"post_id": o_ids, "baseline_post_id": key})
    found = (at := base_index.get_indexer(key)) >= 0
    before_of, after_of = {}, {}
    for c in cols:
        after = o[c].fillna("").astype(str).to_numpy(dtype=object) if c != "fte" else \
            o[c].to_numpy(dtype=object)
        before = np.where(found, b[c][np.maximum(at, 0)], None)
        out[f"{c}_before"] = before_of[c] = before
        out[f"{c}_after"] = after_of[c] = after
    if "reports_to" in cols:
        # Compare managers in baseline terms: an option's manager is named by its own post_id.
        mgr_after = after_of["reports_to"]
        if mapped:
            to_base = pd.Series(key, index=o_ids)
            to_base = to_base[~to_base.index.duplicated()]
            mgr_after = to_base.reindex(mgr_after).fillna("").to_numpy(dtype=object)
        moved = found & (mgr_after != before_of["reports_to"])
    else:
        moved = np.zeros(len(out), dtype=bool)
    for c in ("division", "team"):
        if c in cols:
            moved |= found & (after_of[c] != before_of[c])
    regraded = found & (after_of["grade"] != before_of["grade"]) \
        if "grade" in cols else np.zeros(len(out), dtype=bool)
    if "fte" in cols:
        f_before = pd.to_numeric(out["fte_before"], errors="coerce").to_numpy(dtype=float)
        f_after = pd.to_numeric(out["fte_after"], errors="coerce").to_numpy(dtype=float)
        resized = found & ~np.isclose(f_before, f_after, equal_nan=True)
    else:
        resized = np.zeros(len(out), dtype=bool)

    # The base posts nobody in `other` continues (post_ids are unique: get_indexer says so).
    kept = np.ones(len(b_ids), dtype=bool)
    kept[at[found]] = False
    gone = pd.DataFrame({"post_id": b_ids[kept], "baseline_post_id": b_ids[kept]})
    for c in cols:
        gone[f"{c}_before"] = b[c][kept]
        # Missing in the after column's own type: a column of None would make the whole
        # column Python objects when joined (12 MB of a 50,000-post comparison: issue 16).
        gone[f"{c}_after"] = pd.Series(None, index=gone.index, dtype=out[f"{c}_after"].dtype)
    flags = {
        "new": np.concatenate([~found, np.zeros(len(gone), dtype=bool)]),
        "deleted": np.concatenate([np.zeros(len(out), dtype=bool), np.ones(len(gone), bool)]),
        "moved": np.concatenate([moved, np.zeros(len(gone), dtype=bool)]),
        "regraded": np.concatenate([regraded, np.zeros(len(gone), dtype=bool)]),
        "resized": np.concatenate([resized, np.zeros(len(gone), dtype=bool)]),
    }
    result = pd.concat([out, gone], ignore_index=True)
    result.insert(2, "change", _change_cells(flags))
    result.insert(3, "primary_change", np.select(
        [flags[c] for c in CHANGE_PRIORITY[:-1]], list(CHANGE_PRIORITY[:-1]), "unchanged"))
    if not mapped:
        result = result.drop(columns=["baseline_post_id"])
    return result


def _change_cells(flags: dict[str, np.ndarray]) -> np.ndarray:
    """Each row's `change`: its flags' names in `flags`' order, "; "-joined, or "unchanged";
    each combination's text is written once and looked up by the row's bits."""
    names = list(flags)
    bits = np.zeros(len(next(iter(flags.values()))), dtype=np.int64)
    for i, flag in enumerate(flags.values()):
        bits |= np.asarray(flag, dtype=np.int64) << i
    texts = np.array(["; ".join(n for i, n in enumerate(names) if k >> i & 1) or "unchanged"
                      for k in range(1 << len(names))], dtype=object)
    return texts[bits]


def changes_of(value: str) -> list[str]:
    """The list form of a `change` cell ("moved; regraded" → ["moved", "regraded"])."""
    return [c for c in value.split("; ") if c]


def iter_problem_posts(problems: Iterable[Problem]) -> set[str]:
    """Every post named by some problem: what an org chart outlines in red."""
    return {p for problem in problems for p in problem.posts}
