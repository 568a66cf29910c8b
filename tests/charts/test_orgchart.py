"""The org chart builder: what each box says and how it is coloured, difference colouring,
search, and that the data sent to the browser stays bounded at 50,000 posts."""

from __future__ import annotations

import json

import altair as alt
import pandas as pd
import pytest

from benchmarks.generate import generate
from planner.charts import orgchart
from planner.structures.hierarchy import build, difference
from planner.structures.layout import layout
from tests.factories import posts_frame


def frame() -> pd.DataFrame:
    """H1 <- M1 (job share, one TUPE) <- O1 (interim) and O2 (vacant); H1 <- M2 (TUPE only)."""
    df = posts_frame([
        {"post_id": "H1", "title": "Head of Digital Services", "grade": "SM2", "reports_to": ""},
        {"post_id": "M1", "title": "Infrastructure Manager", "grade": "PO6", "reports_to": "H1"},
        {"post_id": "O1", "title": "Network Engineer", "grade": "PO3", "reports_to": "M1"},
        {"post_id": "O2", "title": "A very long title that will not fit into a box at all",
         "grade": "PO3", "reports_to": "M1", "fte": "0.5"},
        {"post_id": "M2", "title": "Service Desk Manager", "grade": "PO5", "reports_to": "H1"},
    ])
    df["incumbents"] = ["Ada Brown", "Bea Cole; Cal Dunn", "", "", "Eli Fox"]
    df["interim"] = ["", "", "Dee Evans", "", ""]
    df["status"] = ["Filled", "Filled", "Covered by interim", "Vacant", "Filled"]
    df["tupe"] = [False, False, False, False, True]
    df["origin"] = ["Brent", "Brent; Capita", "", "", "Capita"]
    return df


def boxes() -> pd.DataFrame:
    h = build(frame())
    return orgchart.chart_frame(layout(h), h).set_index("post_id")


def test_each_box_says_title_grade_and_who_holds_the_post():
    b = boxes()
    assert b.loc["H1", ["line1", "line2", "line3"]].tolist() == [
        "Head of Digital Services", "SM2 · 1 FTE · H1", "Ada Brown"]
    assert b.loc["M1", "line3"] == "Bea Cole +1"  # a job share
    assert b.loc["O1", "line3"] == "Interim: Dee Evans"
    assert b.loc["O2", "line3"] == "Vacant"
    assert b.loc["O2", "line1"] == "A very long title that will n…"
    assert b.loc["O2", "line2"] == "PO3 · 0.5 FTE · O2"


def test_boxes_are_coloured_by_status_with_tupe_transferees_apart():
    assert boxes()["category"].to_dict() == {
        "H1": "Filled", "M1": "Filled", "O1": "Covered by interim", "O2": "Vacant",
        "M2": "Filled by TUPE transferee"}


def test_chart_spec_has_boxes_connectors_legend_tooltips_and_pan_zoom():
    h = build(frame())
    spec = orgchart.org_chart(layout(h), h).to_dict()
    marks = [layer["mark"]["type"] for layer in spec["layer"]]
    assert marks == ["rule", "rect", "text", "text", "text"]
    rect = spec["layer"][1]["encoding"]
    assert rect["fill"]["scale"]["domain"] == list(orgchart.CATEGORIES)
    assert {t["field"] for t in rect["tooltip"]} >= {"post_id", "title", "incumbents", "status"}


def _spec_and_rows(lay, h):
    spec = orgchart.org_chart(lay, h).to_dict()
    rows = next(v for v in spec["datasets"].values() if v and "line1" in v[0])
    return spec, pd.DataFrame(rows)


def test_hover_shows_the_full_title_the_box_cuts():
    """Catches: a tooltip fed the box's shortened line instead of the post's title."""
    h = build(frame())
    spec, rows = _spec_and_rows(layout(h), h)
    o2 = rows.set_index("post_id").loc["O2"]
    assert o2["line1"].endswith("…")
    assert o2["title"] == "A very long title that will not fit into a box at all"
    assert o2["incumbents"] == "–" and o2["origin"] == "–"  # no blank lines in the tip
    for layer in spec["layer"][1:]:  # the boxes and each line of text
        tips = {t["field"]: t.get("title") for t in layer["encoding"]["tooltip"]}
        assert tips["title"] == "Title"


def test_scales_are_bound_for_zoom_and_pan():
    """Catches: a chart drawn without interaction (no drag to pan, no scroll to zoom)."""
    h = build(frame())
    spec = orgchart.org_chart(layout(h), h).to_dict()
    bound = [p for p in spec.get("params", []) if p.get("bind") == "scales"]
    assert len(bound) == 1
    assert bound[0]["select"]["type"] == "interval"
    assert set(bound[0]["select"]["encodings"]) == {"x", "y"}


@pytest.mark.parametrize(("size", "depth"), [(5, 3), (1_000, 2), (1_000, 6)])
def test_first_draw_shows_every_box_within_the_view(size, depth):
    """Catches: a view that opens on part of the tree (the rest a scroll away) or distorts the
    boxes: the domain covers every box, the view fits the page, one scale for both axes."""
    h = build(frame()) if size == 5 else build(generate(size, seed=4)[0])
    lay = layout(h, depth=depth, stack_over=1)
    spec, rows = _spec_and_rows(lay, h)
    x_domain = spec["layer"][1]["encoding"]["x"]["scale"]["domain"]
    y_domain = spec["layer"][1]["encoding"]["y"]["scale"]["domain"]
    assert min(x_domain) <= rows["x1"].min() and max(x_domain) >= rows["x2"].max()
    assert min(y_domain) <= rows["y1"].min() and max(y_domain) >= rows["y2"].max()
    assert y_domain[0] > y_domain[1]  # top of the tree at the top
    x_ratio = spec["width"] / (x_domain[1] - x_domain[0])
    y_ratio = spec["height"] / (y_domain[0] - y_domain[1])
    # The view fits the page, except that a tall tree grows downwards at the least zoom that
    # keeps its text readable.
    assert spec["width"] <= orgchart.MAX_VIEW_WIDTH
    assert spec["height"] <= orgchart.MAX_VIEW_HEIGHT or x_ratio == pytest.approx(
        orgchart.READABLE_RATIO, rel=0.01)
    assert x_ratio == pytest.approx(y_ratio, rel=0.01)
    assert x_ratio <= 1.0


def test_text_follows_the_zoom():
    """Catches: labels drawn at a fixed size, spilling out of boxes shrunk to fit (or tiny
    when zoomed in): size, offset and cut width scale with the x scale's current span."""
    h = build(frame())
    spec = orgchart.org_chart(layout(h), h).to_dict()
    for layer in spec["layer"][2:]:
        mark = layer["mark"]
        for prop in ("fontSize", "dy", "limit", "opacity"):
            assert "span(domain('x'))" in mark[prop]["expr"], prop


def test_view_fit_keeps_small_trees_at_full_size():
    assert orgchart.view_fit(180, 64) == (200, 84, 1.0)
    w, h, ratio = orgchart.view_fit(5_000, 400)
    assert (round(w), ratio) == (orgchart.MAX_VIEW_WIDTH, pytest.approx(960 / 5_020))


def test_a_tall_tree_grows_downwards_and_keeps_its_text_readable():
    """Catches: a column of a dozen stacked reports shrunk to fit 600 px until every label is
    under the readable size and hidden (50,000 posts: a chart of blank boxes)."""
    w, h, ratio = orgchart.view_fit(1_100, 1_500)
    assert ratio == pytest.approx(orgchart.READABLE_RATIO)
    smallest = min(size for *_, size in orgchart.TEXT_LINES)
    assert smallest * ratio >= orgchart.MIN_READABLE_PX
    assert h > orgchart.MAX_VIEW_HEIGHT and w <= orgchart.MAX_VIEW_WIDTH


def test_difference_colouring_marks_changed_posts():
    base = frame()
    other = base.copy()
    other.loc[other.post_id == "O1", "grade"] = "PO4"  # regraded
    other.loc[other.post_id == "M2", "reports_to"] = "M1"  # moved
    other = pd.concat([other[other.post_id != "O2"], posts_frame([
        {"post_id": "N1", "title": "New Analyst", "reports_to": "M1"}])], ignore_index=True)
    changes = difference(base, other).set_index("post_id")
    h = build(other)
    chart = orgchart.org_chart(layout(h), h, changes=changes)
    stroke = chart.to_dict()["layer"][1]["encoding"]["stroke"]
    assert stroke["field"] == "change"
    data = orgchart.chart_frame(layout(h), h).set_index("post_id")
    change = changes["primary_change"].reindex(data.index).fillna("unchanged").to_dict()
    assert change == {"H1": "unchanged", "M1": "unchanged", "O1": "regraded", "M2": "moved",
                      "N1": "new"}


@pytest.mark.parametrize(("query", "expected"), [
    ("", ["H1", "M1", "M2", "O1", "O2"]),  # managers first, then by layer
    ("manager", ["M1", "M2"]), ("cal", ["M1"]), ("dee evans", ["O1"]), ("o2", ["O2"]),
    ("nobody here", []),
])
def test_search_by_id_title_or_holder(query, expected):
    assert orgchart.search(build(frame()), query) == expected


def test_describe_offers_post_title_and_holder():
    h = build(frame())
    assert orgchart.describe(h, "O1") == "O1 · Network Engineer · Interim: Dee Evans"
    assert orgchart.describe(h, "O2").endswith("· Vacant")


def test_fifty_thousand_posts_send_a_bounded_chart():
    """Whatever the size, the default view sends at most 2,000 boxes and never trips Altair's
    5,000-row limit (MaxRowsError), even with everything opened and the deepest view asked."""
    posts, _ = generate(50_000, seed=3)
    h = build(posts)
    for depth, expanded in ((3, frozenset()), (8, frozenset(h.posts.index[:5_000]))):
        lay = layout(h, depth=depth, expanded=expanded)
        assert len(lay.boxes) <= 2_000
        chart = orgchart.org_chart(lay, h)
        with alt.data_transformers.enable("default"):
            spec = chart.to_dict()  # raises MaxRowsError above 5,000 rows
        rows = sum(len(v) for v in spec.get("datasets", {}).values())
        assert rows <= 2 * 2_000 + 2_000
        assert len(json.dumps(spec)) < 5_000_000
