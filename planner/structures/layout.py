"""Org chart layout: a tidy tree (Buchheim, Jünger & Leipert 2002, "Improving Walker's
algorithm to run in linear time") for a focused, bounded part of the hierarchy.

Why a layout of our own rather than graphviz: the chart must be deterministic (the same
structure always draws the same, so a union rep comparing two drafts sees only real changes),
linear-time, dependency-free and bounded — a 50,000-post establishment draws at most
`max_boxes` boxes, because a browser cannot show more and nobody can read more.

What is drawn, top-down:
- the focus post's chain of command as a single column of `ancestor` boxes above it;
- `depth` levels of reports below the focus (or below every top post when there is no focus);
- a manager with more than `collapse_over` direct reports shows one `summary` box
  ("+14 posts, 12.5 FTE": every post below it) until its `summary_key` is in `expanded`;
- a manager whose drawn reports are all leaves, more than `stack_over` of them, has them drawn
  as a vertical stack hanging off a spine, as printed org charts do;
- when the boxes would exceed `max_boxes`, the deepest level is collapsed into one summary box
  per manager (or dropped), and `Layout.truncated` is set.

Coordinates are in pixels of a box `BOX_W` × `BOX_H`; x grows rightwards, y downwards.
Siblings are ordered by `natural_key(post_id)`, so the output depends only on the input.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from planner.structures.hierarchy import Hierarchy

BOX_W = 180.0
BOX_H = 64.0
H_GAP = 20.0  # between neighbouring boxes (and neighbouring subtrees)
V_GAP = 36.0  # between rows; connectors turn half-way
STACK_INDENT = 16.0  # a stacked box hangs this far right of the spine's side
ROW = BOX_H + V_GAP

BOX_COLUMNS = ["key", "kind", "post_id", "parent_key", "row", "x", "y", "w", "h", "x1", "x2",
               "y1", "y2", "label", "title", "grade", "incumbents", "status", "fte", "layer",
               "direct_reports", "below_posts", "below_fte", "hidden_below", "stacked",
               "is_focus", "reason"]
EDGE_COLUMNS = ["x", "y", "x2", "y2", "parent_key", "child_key"]


def summary_key(post_id: str) -> str:
    """The key of the summary box standing for a manager's hidden reports (put it in
    `expanded` to open the team)."""
    return f"summary:{post_id}"


def summary_label(posts: int, fte: float) -> str:
    """"+14 posts, 12.5 FTE": what a collapsed team box says."""
    return f"+{posts:,} post{'s' if posts != 1 else ''}, {format_fte(fte)} FTE"


def format_fte(fte: float) -> str:
    text = f"{fte:,.2f}".rstrip("0").rstrip(".")
    return text or "0"


@dataclass(frozen=True, eq=False)
class Layout:
    """Boxes and connector segments ready for Altair (`mark_rect` on x1/x2/y1/y2, `mark_text`
    on x/y, `mark_rule` on the edges' x/y/x2/y2)."""

    boxes: pd.DataFrame
    edges: pd.DataFrame
    truncated: bool = False
    focus: str | None = None
    width: float = 0.0
    height: float = 0.0
    notes: tuple[str, ...] = field(default_factory=tuple)


@dataclass(slots=True)
class _Node:
    key: str
    kind: str  # post | summary | virtual
    post_id: str = ""
    parent: int = -1
    children: list[int] = field(default_factory=list)
    hidden_posts: int = 0
    hidden_fte: float = 0.0
    reason: str = ""
    stacked: bool = False


def layout(h: Hierarchy, focus: str | None = None, depth: int = 3,
           expanded: Collection[str] = frozenset(), max_boxes: int = 2000, stack_over: int = 6,
           collapse_over: int = 12) -> Layout:
    """Lay out the focused part of `h` (see the module docstring for what is drawn).

    `focus` None draws from the top post (or every layer-1 post side by side). `depth` counts
    levels below the focus (0: the focus alone). A collapsed team opens when `expanded` holds
    its `summary_key(manager)` (or the manager's post_id).

    Linear in the number of boxes drawn (plus sorting each drawn manager's reports), never in
    the size of the establishment.
    """
    raw = positions(h, focus, depth, expanded, max_boxes, stack_over, collapse_over)
    if raw is None:
        return _empty(focus)
    return _frames(h, *raw)


def positions(h: Hierarchy, focus: str | None = None, depth: int = 3,
              expanded: Collection[str] = frozenset(), max_boxes: int = 2000,
              stack_over: int = 6, collapse_over: int = 12) -> tuple[Any, ...] | None:
    """The layout proper: which boxes, and where (the tidy tree), before any frame is built.

    `layout` turns this into the chart's frames; the benchmark times both, this part against
    Graphviz (which, like it, only computes positions).
    """
    if max_boxes < 1:
        raise ValueError("max_boxes must be at least 1")
    expanded = frozenset(expanded)
    if focus is not None:
        h.position(focus)  # NotFound for a post not in the structure
        ancestors = h.chain_of_command(focus)[:-1][-(max_boxes - 1):] if max_boxes > 1 else []
        tops = [focus]
    else:
        ancestors = []
        tops = h.tops
        if len(tops) == 1:
            focus = tops[0]
    if not tops:
        return None

    posts = h.posts
    totals = h.subtree_totals
    below_posts = totals["below_posts"].to_numpy()
    below_fte = totals["below_fte"].to_numpy()
    direct = posts["direct_reports"].to_numpy()

    nodes: list[_Node] = []
    budget = max_boxes - len(ancestors)
    truncated = False
    root = -1
    if len(tops) > 1:
        nodes.append(_Node(key="", kind="virtual"))
        root = 0
    level = _attach(nodes, root, tops, budget, h, below_posts, below_fte)
    truncated |= len(level) < len(tops) or any(nodes[i].kind == "summary" for i in level)
    used = len(level)
    # The cycle guard: only a structure with a reporting cycle can reach a post twice.
    seen: set[str] | None = set(tops) if h.cycles else None
    for _ in range(depth):
        plan, count = _plan(h, nodes, level, seen, direct, expanded, collapse_over)
        if not plan:
            break
        reason = "large team"
        if used + count > budget:
            # Deepest level first: one summary box per manager, or nothing if even that is
            # too many (the boxes above still say how much is hidden under them).
            truncated = True
            if used + len(plan) > budget:
                break
            plan = [(i, None) for i, _ in plan]
            reason = "budget"
        level = []
        for i, kids in plan:
            pid = nodes[i].post_id
            if kids is None:
                p = h.position(pid)
                level.append(_add(nodes, _Node(
                    key=summary_key(pid), kind="summary", parent=i,
                    hidden_posts=int(below_posts[p]), hidden_fte=float(below_fte[p]),
                    reason=reason)))
            else:
                if seen is not None:
                    seen.update(kids)
                siblings = nodes[i].children  # _add, inlined: this loop runs once per box
                for c in kids:
                    at = len(nodes)
                    nodes.append(_Node(key=c, kind="post", post_id=c, parent=i))
                    siblings.append(at)
                    level.append(at)
        used += len(level)
        if reason == "budget":
            break

    _mark_stacks(nodes, stack_over)
    x, rows = _positions(nodes, 0)  # node 0: the virtual root or the one top
    return nodes, x, rows, ancestors, focus, truncated, below_posts, below_fte


def _plan(h: Hierarchy, nodes: list[_Node], level: list[int], seen: set[str] | None,
          direct: np.ndarray, expanded: frozenset[str],
          collapse_over: int) -> tuple[list[tuple[int, list[str] | None]], int]:
    """What the next level would hold: per drawn manager, its reports in natural order, or None
    for one summary box when the team is large and not expanded; and how many boxes that is."""
    plan: list[tuple[int, list[str] | None]] = []
    count = 0
    reports = h._reports
    for i in level:
        node = nodes[i]
        if node.kind != "post":
            continue
        kids = reports.get(node.post_id, ())
        if seen is not None:  # the cycle guard
            kids = [c for c in kids if c not in seen]
        if not kids:
            continue
        if len(kids) > collapse_over and not ({node.post_id, summary_key(node.post_id)}
                                              & expanded):
            plan.append((i, None))
            count += 1
        else:
            plan.append((i, kids))
            count += len(kids)
    return plan, count


def _add(nodes: list[_Node], node: _Node) -> int:
    nodes.append(node)
    if node.parent >= 0:
        nodes[node.parent].children.append(len(nodes) - 1)
    return len(nodes) - 1


def _attach(nodes: list[_Node], root: int, tops: list[str], budget: int, h: Hierarchy,
            below_posts: np.ndarray, below_fte: np.ndarray) -> list[int]:
    """The top row: the focus, or every top post (capped by the budget, the rest summarised)."""
    shown = tops if len(tops) <= budget else tops[:max(budget - 1, 0)]
    out = [_add(nodes, _Node(key=t, kind="post", post_id=t, parent=root))
           for t in shown]
    rest = tops[len(shown):]
    if rest and budget >= 1:
        at = h.posts.index.get_indexer(rest)
        out.append(_add(nodes, _Node(
            key=summary_key(""), kind="summary", parent=root,
            hidden_posts=int(below_posts[at].sum()) + len(rest),
            hidden_fte=float(below_fte[at].sum() + h.posts["fte_value"].to_numpy()[at].sum()),
            reason="budget")))
    return out


def _mark_stacks(nodes: list[_Node], stack_over: int) -> None:
    """A manager whose drawn reports are all leaves, more than `stack_over`, stacks them."""
    for node in nodes:
        kids = node.children
        if len(kids) > stack_over and node.kind == "post" and \
                all(not nodes[c].children for c in kids):
            for c in kids:
                nodes[c].stacked = True
            node.stacked = False


def _positions(nodes: list[_Node], root: int) -> tuple[list[float], list[int]]:
    """x centre and row of every node: stacks become chains, then the tidy tree places them."""
    n = len(nodes)
    children: list[list[int]] = [[] for _ in range(n)]
    width = [BOX_W] * n
    stacked_w = BOX_W + 2 * STACK_INDENT
    for i, node in enumerate(nodes):
        kids = node.children
        if not kids:
            continue
        if nodes[kids[0]].stacked:
            # A stack is a chain under its manager: each report hangs below the previous one.
            prev = i
            for c in kids:
                children[prev] = [c]
                width[c] = stacked_w
                prev = c
        else:
            children[i] = kids
    if nodes[root].kind == "virtual":
        width[root] = 0.0
    x, level = tidy_tree(children, width, H_GAP, root)
    return x, level


def tidy_tree(children: list[list[int]], width: list[float], gap: float,
              root: int = 0) -> tuple[list[float], list[int]]:
    """Buchheim–Jünger–Leipert tidy tree, iterative (deep stacks would overflow recursion).

    `children[v]` are v's children left to right; `width[v]` its footprint. Returns the x
    centre (leftmost edge at 0) and the level of every node reachable from `root`. Parents are
    centred over their first and last child; neighbouring boxes on a level are at least `gap`
    apart; subtrees are packed as close as their contours allow (threads keep it linear).
    """
    n = len(children)
    parent = [-1] * n
    number = [0] * n
    prelim = [0.0] * n
    mod = [0.0] * n
    mid = [0.0] * n
    thread = [-1] * n
    ancestor = list(range(n))
    change = [0.0] * n
    shift = [0.0] * n
    half = [w / 2 for w in width]
    # The hot loops below inline what the paper writes as small functions (next left/right on
    # a contour, the separation of two boxes): a call costs more than the work in Python.

    def apportion(v: int, w: int, default_ancestor: int) -> int:
        # w: v's left brother
        vip = vop = v  # inside and outside contours of v's subtree (+: right side)
        vim = w  # inside contour of the forest to the left
        pv = parent[v]
        vom = children[pv][0]  # outside contour of that forest
        sip, sop, sim, som = mod[vip], mod[vop], mod[vim], mod[vom]
        while True:
            k = children[vim]
            nr = k[-1] if k else thread[vim]
            k = children[vip]
            nl = k[0] if k else thread[vip]
            if nr < 0 or nl < 0:
                break
            vim, vip = nr, nl
            k = children[vom]
            vom = k[0] if k else thread[vom]
            k = children[vop]
            vop = k[-1] if k else thread[vop]
            ancestor[vop] = v
            s = (prelim[vim] + sim) - (prelim[vip] + sip) + half[vim] + half[vip] + gap
            if s > 0:
                a = ancestor[vim]
                if parent[a] != pv:
                    a = default_ancestor
                subtrees = number[v] - number[a]
                change[v] -= s / subtrees
                shift[v] += s
                change[a] += s / subtrees
                prelim[v] += s
                mod[v] += s
                sip += s
                sop += s
            sim += mod[vim]
            sip += mod[vip]
            som += mod[vom]
            sop += mod[vop]
        k = children[vim]
        nr = k[-1] if k else thread[vim]
        k = children[vop]
        if nr >= 0 and not k and thread[vop] < 0:
            thread[vop] = nr
            mod[vop] += sim - sop
        else:
            k = children[vip]
            nl = k[0] if k else thread[vip]
            k = children[vom]
            if nl >= 0 and not k and thread[vom] < 0:
                thread[vom] = nl
                mod[vom] += sip - som
            default_ancestor = v
        return default_ancestor

    # First walk, bottom-up: reversed pre-order visits every child before its parent.
    order: list[int] = []
    stack = [root]
    while stack:
        v = stack.pop()
        order.append(v)
        kids = children[v]
        if kids:
            for i, c in enumerate(kids):
                parent[c] = v
                number[c] = i
            stack.extend(kids)
    for v in reversed(order):
        kids = children[v]
        if not kids:
            continue
        default_ancestor = kids[0]
        b = -1
        for w in kids:
            if b < 0:  # the first child: a leaf at 0, a parent over its children
                prelim[w] = mid[w] if children[w] else 0.0
            else:
                prelim[w] = prelim[b] + half[b] + half[w] + gap
                if children[w]:
                    mod[w] = prelim[w] - mid[w]
                default_ancestor = apportion(w, b, default_ancestor)
            b = w
        s = c = 0.0
        for w in reversed(kids):  # execute the shifts recorded by apportion
            prelim[w] += s
            mod[w] += s
            c += change[w]
            s += shift[w] + c
        mid[v] = (prelim[kids[0]] + prelim[kids[-1]]) / 2
    prelim[root] = mid[root] if children[root] else 0.0

    # Second walk, top-down: add up the modifiers.
    x = [0.0] * n
    level = [0] * n
    walk = [(root, 0.0, 0)]
    pop, push = walk.pop, walk.append
    while walk:
        v, m, d = pop()
        x[v] = prelim[v] + m
        level[v] = d
        kids = children[v]
        if kids:
            m += mod[v]
            d += 1
            for c in kids:
                push((c, m, d))
    left = min(x[v] - half[v] for v in order)
    return [xi - left for xi in x], level


def _frames(h: Hierarchy, nodes: list[_Node], x: list[float], level: list[int],
            ancestors: list[str], focus: str | None, truncated: bool, below_posts: np.ndarray,
            below_fte: np.ndarray) -> Layout:
    """The boxes and edges frames; post fields are gathered column-wise, not row by row."""
    virtual = nodes[0].kind == "virtual"
    offset = len(ancestors) - (1 if virtual else 0)  # the virtual root's level is not a row
    focus_x = x[0] if ancestors else 0.0
    cols: dict[str, list[Any]] = {k: [] for k in (
        "key", "kind", "post_id", "parent_key", "row", "cx", "stacked", "reason", "hidden",
        "hidden_fte", "has_children")}

    def add(*values: Any) -> None:
        for col, value in zip(cols.values(), values, strict=True):
            col.append(value)

    for j, pid in enumerate(ancestors):
        add(pid, "ancestor", pid, ancestors[j - 1] if j else "", j, focus_x, False, "", 0, 0.0,
            True)
    for i, nd in enumerate(nodes):
        if nd.kind == "virtual":
            continue
        if nd.parent >= 0 and nodes[nd.parent].kind != "virtual":
            parent_key = nodes[nd.parent].key
        else:
            parent_key = ancestors[-1] if ancestors else ""
        add(nd.key, nd.kind, nd.post_id, parent_key, level[i] + offset,
            x[i] + (STACK_INDENT if nd.stacked else 0.0), nd.stacked, nd.reason, nd.hidden_posts,
            nd.hidden_fte, bool(nd.children))
    if not cols["key"]:
        return _empty(focus)
    b = {k: np.asarray(v, dtype=object if k in ("key", "kind", "post_id", "parent_key", "reason")
                       else None) for k, v in cols.items()}
    is_post = b["kind"] != "summary"
    at = h.posts.index.get_indexer(np.where(is_post, b["post_id"], None))
    take = np.maximum(at, 0)
    posts = h.posts

    def column(name: str, default: Any) -> np.ndarray:
        if name not in posts.columns:
            return np.full(len(is_post), default, dtype=object)
        values = posts[name].take(take).fillna(default).to_numpy(dtype=object)
        return np.where(is_post, values, default)

    cx = b["cx"].astype(float)
    top = b["row"].astype(float) * ROW
    hidden = b["hidden"].astype(np.int64)
    hidden_fte = b["hidden_fte"].astype(float)
    bp = np.where(is_post, below_posts[take], hidden)
    bf = np.where(is_post, below_fte[take], hidden_fte.round(4))
    labels = column("title", "")
    summary_at = np.flatnonzero(~is_post)
    labels[summary_at] = [summary_label(int(hidden[i]), float(hidden_fte[i])) for i in summary_at]
    layer = posts["layer"].take(take).to_numpy(dtype=object, na_value=None)
    boxes = pd.DataFrame({
        "key": b["key"], "kind": b["kind"], "post_id": b["post_id"],
        "parent_key": b["parent_key"], "row": b["row"].astype(np.int64), "x": cx,
        "y": top + BOX_H / 2, "w": BOX_W, "h": BOX_H, "x1": cx - BOX_W / 2,
        "x2": cx + BOX_W / 2, "y1": top, "y2": top + BOX_H, "label": labels,
        "title": column("title", ""), "grade": column("grade", ""),
        "incumbents": column("incumbents", ""), "status": column("status", ""),
        "fte": np.where(is_post, posts["fte_value"].take(take).to_numpy(), 0.0),
        "layer": np.where(is_post, layer, None),
        "direct_reports": np.where(is_post, posts["direct_reports"].take(take).to_numpy(), 0),
        "below_posts": bp.astype(np.int64), "below_fte": bf.astype(float),
        "hidden_below": np.where(is_post & ~b["has_children"].astype(bool), bp,
                                 np.where(is_post, 0, hidden)).astype(np.int64),
        "stacked": b["stacked"].astype(bool),
        "is_focus": (b["kind"] == "post") & (b["post_id"] == (focus or "")),
        "reason": b["reason"],
    }, columns=BOX_COLUMNS)
    edges = _edges(nodes, x, level, offset, ancestors, focus_x)
    return Layout(boxes=boxes, edges=edges, truncated=truncated, focus=focus,
                  width=float(boxes["x2"].max()), height=float(boxes["y2"].max()))


def _edges(nodes: list[_Node], x: list[float], level: list[int], offset: int,
           ancestors: list[str], focus_x: float) -> pd.DataFrame:
    """Elbow connectors as straight segments: down from the manager, along, down to each report;
    a stack gets a spine under the manager's left side and a stub to each box."""
    segs: list[tuple[float, float, float, float, str, str]] = []
    if ancestors:
        chain = [*ancestors, nodes[0].key]  # with ancestors, node 0 is the focus
        for j in range(len(chain) - 1):
            top = j * ROW
            segs.append((focus_x, top + BOX_H, focus_x, top + ROW, chain[j], chain[j + 1]))
    for i, nd in enumerate(nodes):
        if nd.kind == "virtual" or not nd.children:
            continue
        px = x[i]
        bottom = (level[i] + offset) * ROW + BOX_H
        kids = nd.children
        if nodes[kids[0]].stacked:
            spine = px - BOX_W / 2 + STACK_INDENT / 2
            last_mid = (level[i] + offset + len(kids)) * ROW + BOX_H / 2
            segs.append((spine, bottom, spine, last_mid, nd.key, ""))
            for k, c in enumerate(kids, start=1):
                mid_y = (level[i] + offset + k) * ROW + BOX_H / 2
                left_edge = x[c] + STACK_INDENT - BOX_W / 2
                segs.append((spine, mid_y, left_edge, mid_y, nd.key, nodes[c].key))
            continue
        elbow = bottom + V_GAP / 2
        segs.append((px, bottom, px, elbow, nd.key, ""))
        xs = [x[c] for c in kids]
        lo, hi = min(xs + [px]), max(xs + [px])
        if hi > lo:
            segs.append((lo, elbow, hi, elbow, nd.key, ""))
        for c in kids:
            segs.append((x[c], elbow, x[c], bottom + V_GAP, nd.key, nodes[c].key))
    return pd.DataFrame(segs, columns=EDGE_COLUMNS)


def _empty(focus: str | None) -> Layout:
    return Layout(boxes=pd.DataFrame(columns=BOX_COLUMNS), edges=pd.DataFrame(columns=EDGE_COLUMNS),
                  truncated=False, focus=focus)
