"""The org chart layout: tidy (no overlaps, parents centred), deterministic, bounded, and it
collapses, expands and stacks teams the way the chart panel promises."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from benchmarks.generate import generate
from planner.structures.hierarchy import build
from planner.structures.layout import BOX_H, H_GAP, layout, summary_key, summary_label, tidy_tree
from tests.factories import make_tree_rows, posts_frame

EPS = 1e-6


def team(manager: str, size: int, prefix: str, fte: list[str] | None = None) -> list[dict]:
    ftes = fte or ["1"] * size
    return [{"post_id": f"{prefix}{i}", "reports_to": manager, "fte": ftes[i - 1]}
            for i in range(1, size + 1)]


def tree(depth: int = 3, fanout: int = 3):
    return build(posts_frame(make_tree_rows(depth, fanout)))


def assert_tidy(boxes: pd.DataFrame) -> None:
    """No two boxes closer than H_GAP on a row (rows never overlap: the pitch exceeds BOX_H),
    and every manager centred over its reports unless they are stacked."""
    assert boxes["key"].is_unique
    assert (boxes["y2"] - boxes["y1"] == BOX_H).all()
    for _, row in boxes.sort_values(["row", "x1"]).groupby("row"):
        gaps = row["x1"].to_numpy()[1:] - row["x2"].to_numpy()[:-1]
        assert (gaps >= H_GAP - EPS).all(), row[["key", "x1", "x2"]]
    x = dict(zip(boxes["key"], boxes["x"], strict=True))
    kids = boxes[(boxes["kind"] != "ancestor") & ~boxes["stacked"] & (boxes["parent_key"] != "")]
    for parent, group in kids.groupby("parent_key"):
        if boxes.loc[boxes["key"] == parent, "kind"].item() == "ancestor":
            continue
        middle = (group["x"].min() + group["x"].max()) / 2
        assert x[parent] == pytest.approx(middle), parent


def test_a_small_tree_is_tidy_and_centred():
    out = layout(tree(3, 3))
    assert_tidy(out.boxes)
    assert len(out.boxes) == 13 and not out.truncated
    assert out.boxes["row"].tolist() == [0, 1, 1, 1] + [2] * 9
    assert out.boxes["x1"].min() == 0
    xs = out.boxes.set_index("key")["x"]
    assert xs["P1"] == xs["P3"]  # the middle child of three sits under its manager
    assert out.boxes.loc[0, "is_focus"]


def test_edges_are_elbows_from_manager_to_each_report():
    out = layout(tree(2, 3))
    box = out.boxes.set_index("key")
    e = out.edges
    down = e[(e.parent_key == "P1") & (e.child_key == "")]
    assert len(down) == 2  # the drop from P1 and the bar along
    for child in ("P2", "P3", "P4"):
        seg = e[e.child_key == child].iloc[0]
        assert (seg.x, seg.x2, seg.y2) == (box.at[child, "x"], box.at[child, "x"],
                                           box.at[child, "y1"])
    bar = down[down.y == down.y2].iloc[0]
    assert (bar.x, bar.x2) == (box.at["P2", "x"], box.at["P4", "x"])


def test_layout_is_deterministic_whatever_the_row_order():
    frame = posts_frame(make_tree_rows(4, 3))
    a = layout(build(frame), depth=3)
    b = layout(build(frame), depth=3)
    shuffled = frame.sample(frac=1.0, random_state=7)
    c = layout(build(shuffled), depth=3)
    pd.testing.assert_frame_equal(a.boxes, b.boxes)
    pd.testing.assert_frame_equal(a.edges, b.edges)
    pd.testing.assert_frame_equal(a.boxes, c.boxes)
    pd.testing.assert_frame_equal(a.edges, c.edges)


@pytest.mark.parametrize(("depth", "rows", "boxes"), [
    (0, [0], 1), (1, [0, 1], 4), (2, [0, 1, 2], 13), (3, [0, 1, 2, 3], 40), (9, [0, 1, 2, 3], 40),
])
def test_depth_limit(depth, rows, boxes):
    out = layout(tree(4, 3), depth=depth)
    assert sorted(out.boxes["row"].unique()) == rows
    assert len(out.boxes) == boxes
    assert not out.truncated
    assert_tidy(out.boxes)


def test_posts_at_the_depth_limit_say_how_much_is_hidden():
    out = layout(tree(4, 3), depth=1).boxes.set_index("key")
    assert out.loc["P2", "hidden_below"] == 12  # 3 + 9 under each second-layer post
    assert out.loc["P1", "hidden_below"] == 0


def test_chain_of_command_is_drawn_above_the_focus():
    h = tree(5, 2)
    out = layout(h, focus="P10", depth=1)
    boxes = out.boxes
    ancestors = boxes[boxes.kind == "ancestor"]
    assert ancestors["key"].tolist() == ["P1", "P2", "P5"] == h.chain_of_command("P10")[:-1]
    assert ancestors["row"].tolist() == [0, 1, 2]
    focus = boxes[boxes.is_focus].iloc[0]
    assert (focus.key, focus.row) == ("P10", 3)
    assert (ancestors["x"] == focus.x).all()
    assert boxes[boxes.kind == "post"]["key"].tolist() == ["P10", "P20", "P21"]
    chain = out.edges[out.edges.x == out.edges.x2]
    assert {(a, b) for a, b in zip(chain.parent_key, chain.child_key, strict=True)} >= {
        ("P1", "P2"), ("P2", "P5"), ("P5", "P10")}
    assert_tidy(boxes)


def test_a_large_team_collapses_into_one_summary_box_and_expands():
    rows = [{"post_id": "P1", "reports_to": ""}, {"post_id": "P2", "reports_to": "P1"},
            {"post_id": "P3", "reports_to": "P1"}]
    rows += team("P2", 14, "A", fte=["1"] * 11 + ["0.5"] * 3)  # 14 posts, 12.5 FTE
    rows += team("P3", 4, "B")
    h = build(posts_frame(rows))
    out = layout(h)
    summary = out.boxes[out.boxes.kind == "summary"]
    assert summary[["key", "parent_key", "label", "below_posts", "below_fte"]].to_dict(
        "records") == [{"key": "summary:P2", "parent_key": "P2", "label": "+14 posts, 12.5 FTE",
                        "below_posts": 14, "below_fte": 12.5}]
    assert summary_key("P2") == "summary:P2"
    assert_tidy(out.boxes)

    opened = layout(h, expanded={"summary:P2"})
    assert (opened.boxes.kind == "summary").sum() == 0
    team_boxes = opened.boxes[opened.boxes.parent_key == "P2"]
    assert team_boxes["key"].tolist() == [f"A{i}" for i in range(1, 15)]  # natural order
    assert team_boxes["stacked"].all()  # 14 leaves: a stack, not a row 14 boxes wide
    assert_tidy(opened.boxes)


def test_a_summary_counts_every_post_below_the_collapsed_team():
    rows = [{"post_id": "P1", "reports_to": ""}]
    for i in range(1, 14):  # 13 team leaders with two officers each
        rows.append({"post_id": f"L{i}", "reports_to": "P1"})
        rows += team(f"L{i}", 2, f"L{i}-", fte=["1", "0.6"])
    out = layout(build(posts_frame(rows)))
    assert out.boxes["label"].tolist()[-1] == "+39 posts, 33.8 FTE"
    assert summary_label(1, 1.0) == "+1 post, 1 FTE"
    assert summary_label(1200, 1234.25) == "+1,200 posts, 1,234.25 FTE"


@pytest.mark.parametrize(("size", "stacked"), [(6, False), (7, True), (12, True)])
def test_wide_teams_of_leaves_stack_under_their_manager(size, stacked):
    rows = [{"post_id": "P1", "reports_to": ""}] + team("P1", size, "T")
    out = layout(build(posts_frame(rows)))
    kids = out.boxes[out.boxes.parent_key == "P1"]
    assert kids["stacked"].all() == stacked
    manager = out.boxes.iloc[0]
    if stacked:
        assert kids["row"].tolist() == list(range(1, size + 1))  # one under another
        assert kids["x1"].nunique() == 1
        assert manager.x1 < kids["x1"].iloc[0] < manager.x2  # hanging off the spine
        spine = out.edges[(out.edges.parent_key == "P1") & (out.edges.child_key == "")].iloc[0]
        assert spine.x == spine.x2 and manager.x1 < spine.x < kids["x1"].iloc[0]
        assert len(out.edges[out.edges.child_key != ""]) == size
    else:
        assert set(kids["row"]) == {1}
    assert_tidy(out.boxes)


def test_a_team_with_a_manager_in_it_does_not_stack():
    rows = [{"post_id": "P1", "reports_to": ""}] + team("P1", 8, "T") + team("T1", 2, "U")
    out = layout(build(posts_frame(rows)))
    assert not out.boxes["stacked"].any()
    assert_tidy(out.boxes)


def test_stacks_pack_beside_their_neighbours():
    rows = [{"post_id": "P1", "reports_to": ""}, {"post_id": "M1", "reports_to": "P1"},
            {"post_id": "M2", "reports_to": "P1"}, {"post_id": "M3", "reports_to": "P1"}]
    rows += team("M1", 9, "A") + team("M2", 9, "B") + team("M3", 2, "C") + team("C1", 3, "D")
    out = layout(build(posts_frame(rows)))
    assert out.boxes["stacked"].sum() == 18
    assert_tidy(out.boxes)
    # Three columns wide below the managers, not eighteen boxes.
    assert out.width < 8 * 200


def test_the_box_budget_collapses_the_deepest_level_first():
    h = tree(6, 3)  # 364 posts
    out = layout(h, depth=5, max_boxes=60)
    assert len(out.boxes) <= 60
    assert out.truncated
    assert out.boxes["row"].max() <= 4
    assert_tidy(out.boxes)
    full = layout(h, depth=5, max_boxes=2000)
    assert len(full.boxes) == 364 and not full.truncated


def test_the_budget_turns_a_level_into_summaries_when_they_fit():
    h = tree(4, 3)  # levels of 1, 3, 9, 27
    out = layout(h, depth=3, max_boxes=22)  # 13 posts + 9 summaries
    assert out.truncated
    summaries = out.boxes[out.boxes.kind == "summary"]
    assert len(summaries) == 9
    assert set(summaries["label"]) == {"+3 posts, 3 FTE"}
    assert set(summaries["reason"]) == {"budget"}


def test_a_forest_lays_out_every_top_post_side_by_side():
    h = build(posts_frame([{"post_id": "P1", "reports_to": ""}, {"post_id": "P2", "reports_to": ""},
                           {"post_id": "P3", "reports_to": "P1"}, {"post_id": "P4", "reports_to": "X"}]))
    out = layout(h)
    assert out.focus is None
    assert out.boxes.loc[out.boxes.row == 0, "key"].tolist() == ["P1", "P2", "P4"]
    assert_tidy(out.boxes)


def test_an_empty_or_cyclic_structure_draws_nothing():
    h = build(posts_frame([{"post_id": "P1", "reports_to": "P2"},
                           {"post_id": "P2", "reports_to": "P1"}]))
    out = layout(h)
    assert out.boxes.empty and out.edges.empty


def test_tidy_tree_packs_a_small_subtree_between_deep_ones():
    # 0 has children 1, 2, 3; 1 and 3 have deep single chains, 2 is a leaf: Walker's classic.
    children = [[1, 2, 3], [4], [], [5], [6], [7], [], []]
    x, level = tidy_tree(children, [10.0] * 8, 2.0)
    assert level == [0, 1, 1, 1, 2, 2, 3, 3]
    assert x[2] - x[1] == pytest.approx(12.0) and x[3] - x[2] == pytest.approx(12.0)
    assert x[0] == pytest.approx((x[1] + x[3]) / 2)


def test_fifty_thousand_posts_draw_at_most_two_thousand_boxes_quickly():
    posts, _ = generate(50_000, seed=1)
    h = build(posts)
    start = time.perf_counter()
    out = layout(h)
    assert len(out.boxes) <= 2000
    assert_tidy(out.boxes)
    everything = layout(h, depth=8, expanded=frozenset(h.posts.index))
    assert len(everything.boxes) <= 2000 and everything.truncated
    deep = h.posts.index[h.posts["layer"] == h.layers][0]
    focused = layout(h, focus=deep, depth=3)
    assert focused.boxes["kind"].tolist().count("ancestor") == h.layers - 1
    assert time.perf_counter() - start < 2.0


@st.composite
def random_trees(draw):
    n = draw(st.integers(min_value=1, max_value=200))
    # Each post reports to an earlier one, skewed towards recent posts for deep, uneven trees.
    picks = draw(st.lists(st.floats(min_value=0, max_value=1, exclude_max=True),
                          min_size=n - 1, max_size=n - 1))
    ftes = draw(st.lists(st.sampled_from(["1", "0.5", "0.8"]), min_size=n, max_size=n))
    rows = [{"post_id": "P0", "reports_to": "", "fte": ftes[0]}]
    for i, u in enumerate(picks, start=1):
        rows.append({"post_id": f"P{i}", "reports_to": f"P{min(int(i * u ** 0.5), i - 1)}",
                     "fte": ftes[i]})
    return posts_frame(rows)


@settings(max_examples=60, deadline=None)
@given(frame=random_trees(), depth=st.integers(0, 12), stack_over=st.integers(1, 8),
       collapse_over=st.integers(2, 30), max_boxes=st.integers(1, 250), focus_at=st.floats(0, 1))
def test_random_trees_lay_out_tidily(frame, depth, stack_over, collapse_over, max_boxes, focus_at):
    h = build(frame)
    focus = None if focus_at < 0.3 else str(frame["post_id"].iloc[int(focus_at * (len(frame) - 1))])
    out = layout(h, focus=focus, depth=depth, stack_over=stack_over,
                 collapse_over=collapse_over, max_boxes=max_boxes)
    assert 1 <= len(out.boxes) <= max_boxes
    assert_tidy(out.boxes)
    assert out.boxes["row"].max() <= len(h.chain_of_command(focus or "P0")) + depth + len(frame)
    posts = out.boxes[out.boxes.kind == "post"]
    drawn_levels = h.posts.loc[posts["post_id"], "layer"].to_numpy(dtype=float)
    top = float(h.posts.at[focus or "P0", "layer"])
    assert (drawn_levels - top <= depth).all()
    again = layout(h, focus=focus, depth=depth, stack_over=stack_over,
                   collapse_over=collapse_over, max_boxes=max_boxes)
    pd.testing.assert_frame_equal(out.boxes, again.boxes)
    # Every summary box says how many posts it hides, and they exist.
    summaries = out.boxes[(out.boxes.kind == "summary") & (out.boxes.parent_key != "")]
    for manager, hidden in zip(summaries.parent_key, summaries.below_posts, strict=True):
        assert hidden == h.subtree_totals.at[manager, "below_posts"] > 0
    assert np.isfinite(out.boxes[["x", "y"]].to_numpy(dtype=float)).all()


def test_an_empty_structure_draws_nothing():
    h = build(posts_frame([]).reindex(columns=["post_id", "reports_to", "fte"]))
    out = layout(h)
    assert out.boxes.empty and not out.truncated
