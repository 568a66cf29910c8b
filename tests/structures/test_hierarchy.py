"""The hierarchy: validation names the posts to fix; metrics match a tree written out by hand;
difference() reports every kind of change; load() reads the database and is refused to a union
rep."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from benchmarks.generate import generate, to_csv_files
from planner.core.auth import SYSTEM
from planner.core.errors import NotFound, PermissionDenied
from planner.core.models import Post, Structure
from planner.establishment.importer import import_establishment
from planner.establishment.register import establishment_frame
from planner.structures.hierarchy import Below, Problem, build, changes_of, difference, load
from tests.factories import make_actors, make_tree_rows, posts_frame

# The hand-built tree:
#   P1 Head of Service (Amara)
#   ├── P2 Infrastructure Manager (Tomasz)
#   │   ├── P4 Engineer, 1 FTE, job share (Priya; Sean)
#   │   ├── P5 Analyst, 0.5 FTE, vacant
#   │   └── P6 Developer, 1 FTE, covered by an interim (Zoë)
#   └── P3 Service Desk Manager, vacant
#       └── P7 Service Desk Analyst, 0.8 FTE (Femi)
TREE = [
    {"post_id": "P1", "title": "Head of Service", "reports_to": "", "grade": "SM2",
     "incumbents": "Amara Okafor"},
    {"post_id": "P2", "title": "Infrastructure Manager", "reports_to": "P1", "grade": "PO6",
     "incumbents": "Tomasz Nowak"},
    {"post_id": "P3", "title": "Service Desk Manager", "reports_to": "P1", "grade": "PO5"},
    {"post_id": "P4", "title": "Engineer", "reports_to": "P2", "incumbents": "Priya Shah; Sean O'Brien"},
    {"post_id": "P5", "title": "Analyst", "reports_to": "P2", "fte": "0.5"},
    {"post_id": "P6", "title": "Developer", "reports_to": "P2", "interim": "Zoë Hartley"},
    {"post_id": "P7", "title": "Service Desk Analyst", "reports_to": "P3", "fte": "0.8",
     "grade": "SO1", "incumbents": "Femi Adebayo"},
]


def tree_frame(rows: list[dict] | None = None) -> pd.DataFrame:
    df = posts_frame(rows if rows is not None else TREE)
    for col in ("incumbents", "interim"):
        df[col] = df[col].fillna("") if col in df.columns else ""
    return df


def links(*pairs: str) -> pd.DataFrame:
    """A frame from "POST>MANAGER" strings ("P1>" is a root)."""
    rows = []
    for pair in pairs:
        post, manager = pair.split(">")
        rows.append({"post_id": post, "reports_to": manager})
    return posts_frame(rows)


# --- validation -------------------------------------------------------------------------------


@pytest.mark.parametrize(("pairs", "roots", "expected"), [
    pytest.param(["P1>", "P2>P1", "P3>P2"], None, [], id="valid"),
    pytest.param(["P1>", "P2>P3", "P3>P2"], None,
                 [Problem("cycle", ("P2", "P3"), "Reporting cycle: P2 → P3 → P2.")], id="cycle"),
    pytest.param(["P1>", "P3>P4", "P4>P10", "P10>P3", "P11>P4"], None,
                 [Problem("cycle", ("P3", "P4", "P10"), "Reporting cycle: P3 → P4 → P10 → P3.")],
                 id="longer-cycle-with-a-post-under-it"),
    pytest.param(["P1>", "P2>P2"], None,
                 [Problem("self_report", ("P2",), "P2 reports to itself.")], id="self-report"),
    pytest.param(["P1>", "P2>P99", "P3>P99", "P4>P98"], None, [
        Problem("unknown_manager", ("P2", "P3"),
                "P2, P3 report to P99, which is not a post in this structure."),
        Problem("unknown_manager", ("P4",),
                "P4 reports to P98, which is not a post in this structure."),
    ], id="unknown-manager"),
    pytest.param(["P1>", "P2>", "P3>P1"], None, [Problem("several_roots", ("P1", "P2"), (
        "2 posts report to nobody: P1, P2. A structure has one head unless more are declared."))],
        id="several-roots"),
    pytest.param(["P1>", "P2>", "P3>P1"], ["P1", "P2"], [], id="declared-roots"),
    pytest.param(["P1>", "P2>", "P10>"], ["P1"], [Problem("several_roots", ("P2", "P10"), (
        "2 posts report to nobody: P2, P10. A structure has one head unless more are declared."))],
        id="undeclared-roots"),
    pytest.param(["P1>P2", "P2>P1"], None, [
        Problem("cycle", ("P1", "P2"), "Reporting cycle: P1 → P2 → P1."),
        Problem("no_root", (), "No post is at the top: every post reports to another, so the "
                               "structure has no head."),
    ], id="no-root"),
])
def test_problems_name_the_posts_to_fix(pairs, roots, expected):
    assert build(links(*pairs)).problems(roots=roots) == expected


def test_posts_in_or_under_a_cycle_have_no_layer_and_the_rest_are_measured():
    h = build(links("P1>", "P2>P1", "P3>P4", "P4>P3", "P5>P3", "P6>P99", "P7>P6"))
    assert h.posts["layer"].tolist() == [1, 2, pd.NA, pd.NA, pd.NA, 1, 2]
    assert h.cycles == [["P3", "P4"]]
    assert h.tops == ["P1", "P6"]
    assert h.roots == ("P1",)
    assert h.chain_of_command("P5") == ["P4", "P3", "P5"]  # ends before repeating


def test_duplicate_post_ids_are_refused():
    with pytest.raises(ValueError, match="Duplicate post_id in the frame: P2"):
        build(links("P1>", "P2>P1", "P2>P1"))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(min_value=-2, max_value=40), min_size=1, max_size=40))
def test_layers_agree_with_walking_up_every_chain(managers):
    """Whatever the reporting lines (cycles, orphans, self-reports), a post's layer is one more
    than its manager's, the top of its chain is layer 1, and a post never reaching a top has none."""
    n = len(managers)
    rows = [{"post_id": f"P{i}",
             "reports_to": "" if m == -1 else ("X" if m == -2 else f"P{m % n}")}
            for i, m in enumerate(managers)]
    h = build(posts_frame(rows))
    manager = dict(zip(h.posts.index, h.posts["reports_to"], strict=True))
    for post, layer in h.posts["layer"].items():
        chain, seen = [post], {post}
        while manager[chain[-1]] in manager and manager[chain[-1]] not in seen:
            seen.add(manager[chain[-1]])
            chain.append(manager[chain[-1]])
        reaches_top = manager[chain[-1]] not in manager or manager[chain[-1]] == chain[-1]
        if reaches_top:
            assert layer == len(chain)
        else:
            assert layer is pd.NA
    in_cycles = [p for c in h.cycles for p in c]
    assert len(in_cycles) == len(set(in_cycles))
    for cycle in h.cycles:
        for a, b in zip(cycle, cycle[1:] + cycle[:1], strict=True):
            assert manager[a] == b


# --- metrics on the hand-built tree --------------------------------------------------------


@pytest.fixture
def tree():
    return build(tree_frame())


def test_layers_and_spans_of_the_hand_built_tree(tree):
    got = tree.posts[["layer", "direct_reports", "direct_reports_fte", "people"]]
    assert got.reset_index().to_dict("records") == [
        {"post_id": "P1", "layer": 1, "direct_reports": 2, "direct_reports_fte": 2.0, "people": 1},
        {"post_id": "P2", "layer": 2, "direct_reports": 3, "direct_reports_fte": 2.5, "people": 1},
        {"post_id": "P3", "layer": 2, "direct_reports": 1, "direct_reports_fte": 0.8, "people": 0},
        {"post_id": "P4", "layer": 3, "direct_reports": 0, "direct_reports_fte": 0.0, "people": 2},
        {"post_id": "P5", "layer": 3, "direct_reports": 0, "direct_reports_fte": 0.0, "people": 0},
        {"post_id": "P6", "layer": 3, "direct_reports": 0, "direct_reports_fte": 0.0, "people": 1},
        {"post_id": "P7", "layer": 3, "direct_reports": 0, "direct_reports_fte": 0.0, "people": 1},
    ]
    assert tree.layers == 3
    assert sorted(tree.graph.edges) == [("P1", "P2"), ("P1", "P3"), ("P2", "P4"), ("P2", "P5"),
                                        ("P2", "P6"), ("P3", "P7")]


@pytest.mark.parametrize(("narrow", "wide", "narrow_posts", "wide_posts"), [
    (3, 12, ["P1", "P3"], []),
    (2, 2, ["P3"], ["P2"]),
    (4, 1, ["P1", "P2", "P3"], ["P1", "P2"]),
])
def test_narrow_and_wide_managers(tree, narrow, wide, narrow_posts, wide_posts):
    assert tree.narrow_managers(narrow)["post_id"].tolist() == narrow_posts
    assert tree.wide_managers(wide)["post_id"].tolist() == wide_posts


def test_wide_span_default_is_more_than_twelve():
    rows = [{"post_id": "P1", "reports_to": ""}] + [
        {"post_id": f"P{i}", "reports_to": "P1"} for i in range(2, 15)]  # 13 reports
    h = build(posts_frame(rows))
    assert h.wide_managers()["post_id"].tolist() == ["P1"]
    assert h.narrow_managers().empty
    assert build(posts_frame(rows[:-1])).wide_managers().empty  # 12 is within range


@pytest.mark.parametrize(("post", "chain"), [
    ("P1", ["P1"]), ("P3", ["P1", "P3"]), ("P6", ["P1", "P2", "P6"]), ("P7", ["P1", "P3", "P7"]),
])
def test_chain_of_command_runs_from_the_top(tree, post, chain):
    assert tree.chain_of_command(post) == chain


@pytest.mark.parametrize(("post", "include_self", "expected"), [
    ("P2", False, Below(posts=3, people=3, fte=2.5)),
    ("P2", True, Below(posts=4, people=4, fte=3.5)),
    ("P1", False, Below(posts=6, people=5, fte=5.3)),
    ("P3", False, Below(posts=1, people=1, fte=0.8)),
    ("P5", False, Below(posts=0, people=0, fte=0.0)),
])
def test_below_counts_posts_people_and_fte(tree, post, include_self, expected):
    assert tree.below(post, include_self=include_self) == expected


def test_below_asks_the_cost_hook_for_the_posts_in_natural_order(tree):
    asked = []

    def cost_of(ids):
        asked.append(list(ids))
        return 4_200_000 * len(ids)

    assert tree.below("P1", cost_of=cost_of).cost_pence == 25_200_000
    assert asked == [["P2", "P3", "P4", "P5", "P6", "P7"]]


def test_unknown_post_is_not_found(tree):
    with pytest.raises(NotFound, match="P99"):
        tree.chain_of_command("P99")


def test_subtree_totals_match_below(tree):
    totals = tree.subtree_totals
    for post in tree.posts.index:
        b = tree.below(post)
        assert (totals.at[post, "below_posts"], totals.at[post, "below_people"]) == (b.posts, b.people)
        assert totals.at[post, "below_fte"] == pytest.approx(b.fte)


def test_chart_frames(tree):
    assert tree.spans_histogram().to_dict("records") == [
        {"direct_reports": 1, "managers": 1, "band": "narrow"},
        {"direct_reports": 2, "managers": 1, "band": "narrow"},
        {"direct_reports": 3, "managers": 1, "band": "within range"},
    ]
    assert tree.posts_per_layer().to_dict("records") == [
        {"layer": 1, "posts": 1, "fte": 1.0},
        {"layer": 2, "posts": 2, "fte": 2.0},
        {"layer": 3, "posts": 4, "fte": 3.3},
    ]


def test_summary_is_json_ready(tree):
    import json

    s = tree.summary()
    assert set(s) == {"posts", "roots", "layers", "cycles", "self_reports", "unknown_managers",
                      "other_structure", "span", "narrow_span", "wide_span", "narrow_managers",
                      "wide_managers", "posts_per_layer", "problems", "valid"}
    assert s["span"] == {"managers": 3, "min": 1, "median": 2.0, "mean": 2.0, "max": 3}
    assert (s["roots"], s["layers"], s["narrow_managers"], s["valid"]) == (["P1"], 3, ["P1", "P3"], True)
    json.dumps(s)
    broken = build(links("P1>", "P2>P3", "P3>P2", "P4>P9")).summary()
    assert broken["cycles"] == [["P2", "P3"]]
    assert broken["unknown_managers"] == {"P4": "P9"}
    assert [p["kind"] for p in broken["problems"]] == ["cycle", "unknown_manager"]
    assert broken["valid"] is False


# --- difference ---------------------------------------------------------------------------------


def test_difference_reports_every_kind_of_change():
    base = tree_frame()
    other = base.copy()
    other = other[other.post_id != "P5"]  # deleted
    other.loc[other.post_id == "P4", "grade"] = "PO4"  # regraded
    other.loc[other.post_id == "P6", "fte"] = "0.5"  # resized
    other.loc[other.post_id == "P7", ["reports_to", "grade"]] = ["P2", "SO2"]  # moved, regraded
    other = pd.concat([other, tree_frame([{"post_id": "P8", "reports_to": "P2"}])])  # new
    diff = difference(base, other)
    got = dict(zip(diff.post_id, diff.change, strict=True))
    assert got == {"P1": "unchanged", "P2": "unchanged", "P3": "unchanged", "P4": "regraded",
                   "P6": "resized", "P7": "moved; regraded", "P8": "new", "P5": "deleted"}
    primary = dict(zip(diff.post_id, diff.primary_change, strict=True))
    assert primary["P7"] == "moved"
    p7 = diff.set_index("post_id").loc["P7"]
    assert (p7.reports_to_before, p7.reports_to_after, p7.grade_before, p7.grade_after) == (
        "P3", "P2", "SO1", "SO2")
    p5 = diff.set_index("post_id").loc["P5"]
    assert (p5.title_before, p5.fte_before) == ("Analyst", "0.5")
    # A deleted post's after is missing as a new post's before is, and the columns stay text
    # (a column of None made them Python objects: 12 MB of a 50,000-post comparison).
    assert pd.isna(p5.title_after) and pd.isna(diff.set_index("post_id").at["P8", "title_before"])
    for col in ("title", "grade", "team", "reports_to", "fte"):
        assert diff[f"{col}_after"].dtype == diff[f"{col}_before"].dtype == "str", col
    assert changes_of("moved; regraded") == ["moved", "regraded"]


def test_difference_matches_option_posts_through_baseline_post_id():
    base = tree_frame()
    option = base.copy()
    option["baseline_post_id"] = option["post_id"]
    option["post_id"] = "N" + option["post_id"].str[1:]
    option["reports_to"] = option["reports_to"].str.replace("P", "N")
    option.loc[option.post_id == "N7", "reports_to"] = "N2"  # moved under the other manager
    option.loc[option.post_id == "N5", "baseline_post_id"] = ""  # a new post in P5's place
    diff = difference(base, option)
    got = dict(zip(diff.post_id, diff.change, strict=True))
    assert got == {"N1": "unchanged", "N2": "unchanged", "N3": "unchanged", "N4": "unchanged",
                   "N5": "new", "N6": "unchanged", "N7": "moved", "P5": "deleted"}
    assert diff.set_index("post_id").loc["N7", "baseline_post_id"] == "P7"


def straightforward_difference(base: pd.DataFrame, other: pd.DataFrame) -> list[tuple]:
    """difference()'s rows worked out one post at a time: (post_id, change, primary, and each
    compared column's before and after)."""
    import math

    cols = ["title", "division", "team", "reports_to", "grade", "fte"]
    rows_of = {r["post_id"]: r for r in base.to_dict(orient="records")}
    mapped = "baseline_post_id" in other.columns
    keys = [k if k in rows_of else "" for k in
            (other["baseline_post_id"] if mapped else other["post_id"])]
    to_base: dict[str, str] = {}
    for ref, key in zip(other["post_id"], keys, strict=True):
        to_base.setdefault(ref, key)
    out = []
    for r, key in zip(other.to_dict(orient="records"), keys, strict=True):
        was = rows_of.get(key)
        flags = ["new"] if was is None else []
        if was is not None:
            mgr = to_base.get(r["reports_to"], "") if mapped else r["reports_to"]
            if mgr != was["reports_to"] or any(r[c] != was[c] for c in ("division", "team")):
                flags.append("moved")
            if r["grade"] != was["grade"]:
                flags.append("regraded")
            if not math.isclose(float(r["fte"]), float(was["fte"]), rel_tol=1e-5, abs_tol=1e-8):
                flags.append("resized")
        out.append((r["post_id"], "; ".join(flags) or "unchanged", (flags or ["unchanged"])[0],
                    *[x for c in cols for x in ((was or {}).get(c), r[c])]))
    for ref, was in rows_of.items():
        if ref not in set(keys):
            out.append((ref, "deleted", "deleted", *[x for c in cols for x in (was[c], None)]))
    return out


@pytest.mark.parametrize("mapped", [False, True])
def test_difference_equals_the_straightforward_comparison(mapped):
    """Catches: the vectorised difference (issue 16) flagging a change on the wrong row,
    missing a deleted post, or putting a before value on the wrong post."""
    import numpy as np

    rng = np.random.default_rng(5)
    n = 300
    base = tree_frame([{"post_id": f"P{i}", "reports_to": f"P{rng.integers(1, i)}" if i > 1
                        else "", "grade": str(rng.choice(["PO1", "PO2", "SO1"])),
                        "team": str(rng.choice(["A", "B"])), "fte": str(rng.choice(["1", "0.5"]))}
                       for i in range(1, n + 1)]).drop_duplicates("post_id", keep="last")
    other = base[rng.random(len(base)) > 0.1].copy()
    for col, values in (("grade", ["PO1", "PO3"]), ("team", ["A", "C"]), ("fte", ["1", "0.6"]),
                        ("reports_to", ["P1", "P2", "P9"])):
        pick = rng.random(len(other)) < 0.1
        other.loc[pick, col] = rng.choice(values, pick.sum())
    other = pd.concat([other, tree_frame([{"post_id": f"X{i}", "reports_to": "P1"}
                                          for i in range(5)])], ignore_index=True)
    if mapped:
        other["baseline_post_id"] = other["post_id"].where(rng.random(len(other)) > 0.05, "")
        other["post_id"] = "N" + other["post_id"]
        other["reports_to"] = "N" + other["reports_to"]
    diff = difference(base, other)
    cols = ["title", "division", "team", "reports_to", "grade", "fte"]
    got = [(r["post_id"], r["change"], r["primary_change"],
            *[None if pd.isna(x) else x for c in cols
              for x in (r[f"{c}_before"], r[f"{c}_after"])])
           for r in diff.to_dict(orient="records")]
    assert got == straightforward_difference(base, other)


# --- load ---------------------------------------------------------------------------------------


def _post(session, structure: Structure, ref: str, manager: Post | None = None) -> Post:
    post = Post(structure_id=structure.id, post_ref=ref, title=f"Post {ref}", grade="PO3",
                reports_to_id=manager.id if manager else None)
    session.add(post)
    session.flush()
    return post


def test_load_flags_a_manager_in_another_structure(session):
    baseline = Structure(name="Current establishment", kind="baseline")
    option = Structure(name="Option A", kind="option", status="draft")
    session.add_all([baseline, option])
    session.flush()
    b1 = _post(session, baseline, "P1")
    _post(session, baseline, "P2", b1)
    _post(session, option, "P1")
    _post(session, option, "P2", b1)  # wrongly points at the baseline's P1
    session.commit()

    assert load(session=session, actor=SYSTEM).problems() == []
    h = load(session=session, actor=SYSTEM, structure_id=option.id)
    assert h.problems() == [Problem("other_structure", ("P2",),
                                    "P2 reports to P1, a post of another structure.")]
    assert h.tops == ["P1", "P2"] and h.roots == ("P1",)
    assert list(h.graph.edges) == []


def test_load_reads_the_establishment_with_its_people(session):
    posts, people = generate(40, seed=3)
    import_establishment(session=session, actor=SYSTEM, files=to_csv_files(posts, people))
    session.commit()
    h = load(session=session, actor=SYSTEM)
    frame = establishment_frame(session=session, actor=SYSTEM)
    assert h.problems() == []
    assert len(h) == 40
    root = h.roots[0]
    assert h.below(root, include_self=True) == Below(
        posts=40, people=len(people), fte=pytest.approx(frame["fte_value"].sum()))


def test_load_is_refused_to_a_union_rep(session):
    actors = make_actors(session)
    with pytest.raises(PermissionDenied):
        load(session=session, actor=actors["union"])
    with pytest.raises(NotFound):  # permitted, but there is no establishment yet
        load(session=session, actor=actors["manager"])


def test_build_on_a_generated_tree_matches_networkx():
    import networkx as nx

    h = build(posts_frame(make_tree_rows(depth=5, fanout=4)))
    layers = list(nx.bfs_layers(h.graph, ["P1"]))
    assert [len(layer) for layer in layers] == [1, 4, 16, 64, 256]
    assert h.posts_per_layer()["posts"].tolist() == [1, 4, 16, 64, 256]
    assert h.spans_histogram().to_dict("records") == [
        {"direct_reports": 4, "managers": 85, "band": "within range"}]


def test_an_empty_frame_has_no_problems_and_no_layers():
    h = build(posts_frame([]).reindex(columns=["post_id", "reports_to", "fte"]))
    assert (len(h), h.layers, h.problems(), h.tops) == (0, 0, [], [])
    assert h.summary()["span"]["managers"] == 0
    assert h.posts_per_layer().empty and h.spans_histogram().empty


def test_fifty_thousand_generated_posts_are_valid_with_spans_in_range():
    """At benchmark scale the vectorised layers agree with the generator (timing: benchmarks/)."""
    posts, _ = generate(50_000, seed=1)
    h = build(posts)
    summary = h.summary()
    assert h.problems() == [] and summary["posts"] == 50_000
    assert summary["span"]["min"] >= 3 and summary["span"]["max"] <= 12
    assert h.posts_per_layer()["posts"].sum() == 50_000


def test_reports_from_the_arrays_match_the_graph_on_a_messy_structure():
    """Catches: the array-built reports (issue 16: no graph built unless asked for) differing
    from the graph's edges, in content or natural order, around a self-report, a cycle, an
    unknown manager and a line into another structure; the graph itself still built on use."""
    import numpy as np
    import pandas as pd

    from planner.structures.hierarchy import build, natural_key

    rng = np.random.default_rng(8)
    ids = [f"P{i}" for i in range(1, 301)]
    managers = [""] + [ids[int(rng.integers(0, i))] for i in range(1, 300)]
    managers[10] = ids[10]  # reports to itself
    managers[20], managers[21] = ids[21], ids[20]  # a cycle of two
    managers[30] = "NOPE"  # unknown manager
    managers[40] = ids[0]  # cut: its manager is in another structure
    frame = pd.DataFrame({"post_id": ids, "reports_to": managers, "fte": 1})
    h = build(frame, other_structure=[ids[40]])
    assert "graph" not in h.__dict__  # not built yet
    for post in ids:
        expected = sorted((c for c in h.graph.successors(post) if c != post), key=natural_key)
        assert h.reports_of(post) == expected, post
    assert h.tops == sorted(h.tops, key=natural_key) and h.tops is h.tops


def test_spans_and_layers_are_computed_once_and_handed_out_as_copies(tree, monkeypatch):
    """Catches: the org chart page recomputing every post's spans on each click (issue 16),
    or a caller's change to a returned frame leaking into the next caller's."""
    calls: list[int] = []
    original = type(tree)._span_frame
    monkeypatch.setattr(type(tree), "_span_frame",
                        lambda self, mask: calls.append(1) or original(self, mask))
    first = tree.narrow_managers(3)
    first.loc[:, "direct_reports"] = -1
    again = tree.narrow_managers(3)
    assert len(calls) == 1 and (again["direct_reports"] > 0).all()
    assert tree.spans_histogram().equals(tree.spans_histogram())
    assert tree.manager_ids == tuple(tree.managers()["post_id"])


def test_only_the_teams_asked_for_are_sorted(tree):
    """Catches: the first view of a 50,000-post chart sorting every team (issue 16)."""
    assert tree.reports_of("P2") == ["P4", "P5", "P6"]
    assert set(tree._reports._sorted) == {"P2"}
