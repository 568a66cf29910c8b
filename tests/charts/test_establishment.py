"""Chart builders: aggregation in planner/, a valid Vega-Lite spec back, colours fixed."""

from __future__ import annotations

import pandas as pd
import pytest

from planner.charts import establishment as charts

GRADES = ["Scale 1", "SO1", "PO1", "PO2", "PO3", "SM2"]


def frame(rows: list[tuple[str, str, float, str]]) -> pd.DataFrame:
    """Rows of (post_id, grade, fte, status), the columns the builders read."""
    return pd.DataFrame(rows, columns=["post_id", "grade", "fte_value", "status"])


REGISTER = frame([("A", "PO2", 1.0, "Filled"), ("B", "PO2", 0.5, "Vacant"),
                  ("C", "SM2", 1.0, "Filled"), ("D", "PO1", 0.6, "Covered by interim"),
                  ("E", "LOCAL9", 1.0, "Vacant")])


def test_grade_status_counts_in_pay_order_stacked_by_status():
    """Grades in pay order (unknown last), statuses in their fixed order within each grade."""
    counts = charts.grade_status_counts(REGISTER, GRADES)
    assert counts.to_dict("records") == [
        {"grade": "PO1", "status": "Covered by interim", "posts": 1},
        {"grade": "PO2", "status": "Filled", "posts": 1},
        {"grade": "PO2", "status": "Vacant", "posts": 1},
        {"grade": "SM2", "status": "Filled", "posts": 1},
        {"grade": "LOCAL9", "status": "Vacant", "posts": 1},
    ]


def test_grade_status_counts_sum_to_the_posts():
    counts = charts.grade_status_counts(REGISTER, GRADES)
    assert counts["posts"].sum() == len(REGISTER)
    assert counts.groupby("grade")["posts"].sum().to_dict() == (
        REGISTER.groupby("grade").size().to_dict())


@pytest.mark.parametrize(("grades", "present", "expected"), [
    (GRADES, ["PO3", "SO1"], ["SO1", "PO3"]),
    (GRADES, ["ZZ", "AA", "PO1"], ["PO1", "AA", "ZZ"]),
    ([], ["B", "A"], ["A", "B"]),
])
def test_grade_order_for(grades, present, expected):
    assert charts.grade_order_for(grades, present) == expected


def test_status_counts_keep_every_status_so_colours_never_shift():
    counts = charts.status_counts(frame([("A", "PO1", 1.0, "Filled")]))
    assert counts.to_dict("records") == [
        {"status": "Filled", "posts": 1}, {"status": "Covered by interim", "posts": 0},
        {"status": "Vacant", "posts": 0}]


def _spec(chart) -> dict:
    spec = chart.to_dict()  # validates against the Vega-Lite schema
    data = spec.get("data", {}).get("values")
    if data is None:
        data = next(iter(spec["datasets"].values()))
    return {"spec": spec, "data": data}


def test_grade_mix_chart_stacks_posts_by_status_in_pay_order():
    out = _spec(charts.grade_mix_chart(REGISTER, GRADES))
    assert len(out["data"]) == 5  # one row per (grade, status) that occurs
    bars = out["spec"]["layer"][0]
    assert bars["mark"]["type"] == "bar"
    assert bars["encoding"]["x"]["sort"] == ["PO1", "PO2", "SM2", "LOCAL9"]
    assert bars["encoding"]["x"]["axis"]["labelAngle"] == 0
    scale = bars["encoding"]["color"]["scale"]
    assert dict(zip(scale["domain"], scale["range"], strict=True)) == charts.STATUS_COLOURS
    assert out["spec"]["height"] == charts.CHART_HEIGHT


def test_status_chart_colours_are_fixed_per_status():
    out = _spec(charts.status_chart(REGISTER))
    scale = out["spec"]["layer"][0]["encoding"]["color"]["scale"]
    assert dict(zip(scale["domain"], scale["range"], strict=True)) == charts.STATUS_COLOURS
    assert {r["status"]: r["posts"] for r in out["data"]} == {
        "Filled": 2, "Covered by interim": 1, "Vacant": 2}


def test_origin_chart_largest_first():
    out = _spec(charts.origin_chart({"Brent": 1, "Lewisham": 3, "Capita by TUPE": 3}))
    assert [r["origin"] for r in out["data"]] == ["Capita by TUPE", "Lewisham", "Brent"]


@pytest.mark.parametrize("chart", [charts.status_chart(REGISTER),
                                   charts.origin_chart({"Brent": 51, "Lewisham": 1})])
def test_bar_charts_write_each_value_at_the_end_of_its_bar(chart):
    """A bar of 1 beside one of 51 is a sliver; its number must still be readable."""
    spec = chart.to_dict()
    marks = [layer["mark"]["type"] for layer in spec["layer"]]
    assert marks == ["bar", "text", "text"]
    assert spec["height"] == charts.CHART_HEIGHT


def test_long_bars_are_labelled_inside_their_end_and_short_ones_beyond_it():
    """Catches: the longest bar's label written beyond its end, where a narrow column cuts it
    off (the origins' "16,414" at 50,000 posts, issue 16); a sliver's label drawn inside a
    bar too short to hold it; or a label in white on the light grey or amber bars."""
    spec = charts.origin_chart({"Brent": 16_414, "Lewisham": 9_041, "Capita by TUPE": 4_325,
                                "Southwark": 3}).to_dict()
    rows = {r["origin"]: r for r in spec["datasets"][spec["data"]["name"]]} if "datasets" in \
        spec else {r["origin"]: r for r in spec["data"]["values"]}
    assert rows["Brent"]["_inside"]
    assert not any(rows[o]["_inside"] for o in ("Lewisham", "Capita by TUPE", "Southwark"))
    _, outside, inside = spec["layer"]
    assert outside["mark"]["align"] == "left" and outside["transform"] == [
        {"filter": "!datum._inside"}]
    assert inside["mark"]["align"] == "right" and inside["transform"] == [
        {"filter": "datum._inside"}]
    assert {r["_ink"] for r in rows.values()} == {"#ffffff"}  # on teal
    status = charts.status_chart(REGISTER).to_dict()
    ink = {r["status"]: r["_ink"] for r in status["datasets"][status["data"]["name"]]} \
        if "datasets" in status else {r["status"]: r["_ink"] for r in status["data"]["values"]}
    assert ink == {"Filled": "#ffffff", "Covered by interim": charts.TEXT,
                   "Vacant": charts.TEXT}


def test_charts_of_an_empty_selection_still_build():
    """A filter that matches nothing must draw empty charts, not raise."""
    empty = REGISTER.iloc[0:0]
    _spec(charts.grade_mix_chart(empty, GRADES))
    _spec(charts.status_chart(empty))
    _spec(charts.origin_chart({}))


def test_a_large_register_is_aggregated_before_charting():
    """50,000 posts become a handful of chart rows (the browser never gets the register)."""
    big = frame([(f"P{i}", GRADES[i % 6], 1.0, ("Filled", "Vacant")[i % 2])
                 for i in range(50_000)])
    assert len(_spec(charts.grade_mix_chart(big, GRADES))["data"]) <= 6 * 3
    assert len(_spec(charts.status_chart(big))["data"]) == 3
