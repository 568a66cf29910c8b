"""Hierarchy and org-chart layout benchmark (issue 3).

1. Build + validate + metrics (`planner.structures.hierarchy.build`, `problems`, `summary`, the panel's
   frames) at 10,000 and 50,000 posts, next to networkx's own primitives on the same edges in the
   same run: DiGraph construction, a cycle search, BFS layers and out-degrees.
   Targets: within 2× of networkx, and under 0.5 s at 50,000.
2. Layout of whole subtrees of about 1,000 and 5,000 posts (`planner.structures.layout.layout` with nothing
   collapsed) next to Graphviz `dot` laying out the same subtree (`dot -Tplain`, the layout
   alone, no rendering). Target: at least 50× faster.

Writes its section of benchmarks/results.md. Run: `.venv/bin/python -m benchmarks.hierarchy`.
Graphviz is only needed here (`apt-get install graphviz`); without it the comparison is skipped
and says so.
"""

from __future__ import annotations

import argparse
import contextlib
import platform
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import networkx as nx
import pandas as pd

from benchmarks.common import footer, log, samples_text, timed
from benchmarks.generate import generate
from benchmarks.sections import update_section
from planner.structures.hierarchy import Hierarchy, build
from planner.structures.layout import layout, positions

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results.md"
SIZES = (10_000, 50_000)
SUBTREES = (1_000, 5_000)


def ours(posts: pd.DataFrame) -> Hierarchy:
    h = build(posts)
    h.problems()
    h.summary()
    h.spans_histogram()
    h.posts_per_layer()
    h.subtree_totals  # noqa: B018 (a cached property: computing it is the point)
    return h


def networkx_primitives(posts: pd.DataFrame) -> None:
    """What any networkx-based check would do at least: build, look for a cycle, layer, span."""
    g = nx.DiGraph()
    g.add_nodes_from(posts["post_id"])
    managed = posts[posts["reports_to"] != ""]
    g.add_edges_from(zip(managed["reports_to"], managed["post_id"], strict=True))
    with contextlib.suppress(nx.NetworkXNoCycle):
        nx.find_cycle(g)
    roots = [n for n, d in g.in_degree() if d == 0]
    list(nx.bfs_layers(g, roots))
    dict(g.out_degree())


def subtree_root(h: Hierarchy, target: int) -> str:
    """The post whose subtree (itself included) is closest to `target` posts."""
    sizes = h.subtree_totals["below_posts"] + 1
    return str((sizes - target).abs().idxmin())


WHOLE = {"depth": 64, "max_boxes": 1_000_000, "collapse_over": 10**9, "stack_over": 10**9}


def whole_subtree(h: Hierarchy, root: str):
    """The layout with the chart's frames (what the org chart page draws)."""
    return layout(h, focus=root, **WHOLE)


def whole_positions(h: Hierarchy, root: str):
    """The layout proper (which boxes, where): the part Graphviz's `dot -Tplain` also does."""
    return positions(h, focus=root, **WHOLE)


def dot_source(h: Hierarchy, root: str) -> str:
    nodes = [root, *nx.descendants(h.graph, root)]
    lines = ["digraph G {", "node [shape=box, width=2.5, height=0.9];"]
    lines += [f'"{n}";' for n in nodes]
    sub = h.graph.subgraph(nodes)
    lines += [f'"{a}" -> "{b}";' for a, b in sub.edges()]
    lines.append("}")
    return "\n".join(lines)


def time_dot(source: str, workdir: Path, repeat: int) -> list[float]:
    path = workdir / "tree.dot"
    path.write_text(source)

    def run() -> None:
        subprocess.run(["dot", "-Tplain", str(path), "-o", str(workdir / "out.plain")],
                       check=True, capture_output=True, timeout=600)

    return timed(run, repeat)[0]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--dot-repeat", type=int, default=3)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    lines = ["## Hierarchy and org-chart layout", "",
             f"Command: `.venv/bin/python -m benchmarks.hierarchy` on "
             f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {platform.python_version()}, "
             f"networkx {nx.__version__}. Medians of {args.repeat} samples (seconds).", "",
             "### Build + validate + metrics", "",
             "Ours: `build` + `problems()` + `summary()` + spans histogram + posts per layer + "
             "subtree totals. networkx: DiGraph from the same edges + `find_cycle` + `bfs_layers` "
             "+ `out_degree`. Targets: ≤ 2× networkx; < 0.5 s at 50,000.", "",
             "| posts | ours | networkx | ratio | < 0.5 s | result | ours samples | networkx samples |",
             "|---:|---:|---:|---:|---|---|---|---|"]
    layout_h: Hierarchy | None = None
    for size in SIZES:
        posts, _ = generate(size, seed=0)
        log(f"hierarchy: {size:,} posts")
        ours(posts)  # warm imports and caches of the code paths
        mine, _ = timed(lambda p=posts: ours(p), args.repeat)
        theirs, _ = timed(lambda p=posts: networkx_primitives(p), args.repeat)
        m, t = statistics.median(mine), statistics.median(theirs)
        fast = m < 0.5 if size == 50_000 else True
        ok = m <= 2 * t and fast
        lines.append(f"| {size:,} | {m:.3f} | {t:.3f} | {m / t:.2f}× | "
                     f"{'yes' if m < 0.5 else 'no'} | {'PASS' if ok else 'FAIL'} | {samples_text(mine)} | "
                     f"{samples_text(theirs)} |")
        if size == 50_000:
            layout_h = build(posts)
    assert layout_h is not None

    lines += ["", "### Layout of whole subtrees against Graphviz `dot`", "",
              "The subtree of the post whose reports (all levels) come closest to the size, laid "
              "out whole (nothing collapsed or stacked), from the 50,000-post establishment. "
              "`dot -Tplain` computes the layout only, and so does `positions` (which boxes, "
              "where: the tidy tree); `layout` adds building the chart's pandas frames. "
              "Target: the layout ≥ 50× faster than dot.", ""]
    have_dot = shutil.which("dot") is not None
    if not have_dot:
        lines.append("Graphviz `dot` is not installed here: comparison not measured "
                     "(`apt-get install graphviz`).")
    lines += ["| subtree posts | boxes drawn | positions | layout + frames | dot | speed-up "
              "(positions) | speed-up (with frames) | result | positions samples | dot samples |",
              "|---:|---:|---:|---:|---:|---:|---:|---|---|---|"]
    with tempfile.TemporaryDirectory() as tmp:
        for target in SUBTREES:
            root = subtree_root(layout_h, target)
            n = int(layout_h.subtree_totals.at[root, "below_posts"]) + 1
            log(f"layout: subtree of {n:,} posts under {root}")
            drawn = len(whole_subtree(layout_h, root).boxes)
            mine, _ = timed(lambda r=root: whole_positions(layout_h, r), args.repeat)
            framed, _ = timed(lambda r=root: whole_subtree(layout_h, r), args.repeat)
            m, f = statistics.median(mine), statistics.median(framed)
            if have_dot:
                theirs = time_dot(dot_source(layout_h, root), Path(tmp), args.dot_repeat)
                t = statistics.median(theirs)
                ok = t / m >= 50
                lines.append(f"| {n:,} | {drawn:,} | {m:.4f} | {f:.4f} | {t:.3f} | "
                             f"{t / m:,.0f}× | {t / f:,.0f}× | {'PASS' if ok else 'FAIL'} | "
                             f"{samples_text(mine)} | {samples_text(theirs)} |")
            else:
                lines.append(f"| {n:,} | {drawn:,} | {m:.4f} | {f:.4f} | – | – | – | "
                             f"not measured | {samples_text(mine)} | – |")
    if have_dot:
        version = subprocess.run(["dot", "-V"], capture_output=True, text=True).stderr.strip()
        lines += ["", f"Graphviz: {version}."]
    lines += ["", footer(started)]
    update_section(args.out, "hierarchy", "\n".join(lines))
    log(f"wrote the hierarchy section of {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
