"""Chart builders: aggregation in planner/, a valid Vega-Lite spec back, colours fixed."""

from __future__ import annotations

import pandas as pd
import pytest

from planner import charts

GRADES = ["Scale 1", "SO1", "PO1", "PO2", "PO3", "SM2"]


def frame(rows: list[tuple[str, str, float, str]]) -> pd.DataFrame:
    """Rows of (post_id, grade, fte, status), the columns the builders read."""
    return pd.DataFrame(rows, columns=["post_id", "grade", "fte_value", "status"])


REGISTER = frame([("A", "PO2", 1.0, "Filled"), ("B", "PO2", 0.5, "Vacant"),
                  ("C", "SM2", 1.0, "Filled"), ("D", "PO1", 0.6, "Covered by interim"),
                  ("E", "LOCAL9", 1.0, "Vacant")])


def test_grade_mix_is_in_pay_order_with_unknown_grades_last():
    mix = charts.grade_mix(REGISTER, GRADES)
    assert mix.to_dict("records") == [
        {"grade": "PO1", "posts": 1, "fte": 0.6},
        {"grade": "PO2", "posts": 2, "fte": 1.5},
        {"grade": "SM2", "posts": 1, "fte": 1.0},
        {"grade": "LOCAL9", "posts": 1, "fte": 1.0},
    ]


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


def test_grade_mix_chart_sends_one_row_per_grade_and_measure():
    out = _spec(charts.grade_mix_chart(REGISTER, GRADES))
    assert len(out["data"]) == 4 * 2
    assert out["spec"]["encoding"]["x"]["sort"] == ["PO1", "PO2", "SM2", "LOCAL9"]


def test_status_chart_colours_are_fixed_per_status():
    out = _spec(charts.status_chart(REGISTER))
    scale = out["spec"]["encoding"]["color"]["scale"]
    assert dict(zip(scale["domain"], scale["range"], strict=True)) == charts.STATUS_COLOURS
    assert {r["status"]: r["posts"] for r in out["data"]} == {
        "Filled": 2, "Covered by interim": 1, "Vacant": 2}


def test_origin_chart_largest_first():
    out = _spec(charts.origin_chart({"Brent": 1, "Lewisham": 3, "Capita by TUPE": 3}))
    assert [r["origin"] for r in out["data"]] == ["Capita by TUPE", "Lewisham", "Brent"]


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
    assert len(_spec(charts.grade_mix_chart(big, GRADES))["data"]) == 12
    assert len(_spec(charts.status_chart(big))["data"]) == 3
