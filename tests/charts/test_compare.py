"""The cost bridge, the comparison figures and the chart specs (planner/charts/compare.py)."""

from __future__ import annotations

import random

import pandas as pd
import pytest

from planner.charts import compare as cc
from planner.structures.costing import EnvelopePosition
from planner.structures.hierarchy import difference


def _cost(rows: list[tuple[str, int, int]], grade: str = "PO1") -> pd.DataFrame:
    """A StructureCost.by_post stand-in: (post_id, total pence, interim_cost pence)."""
    return pd.DataFrame({"post_id": [r[0] for r in rows], "total": [r[1] for r in rows],
                         "interim_cost": [r[2] for r in rows], "grade": grade,
                         "fte": [1.0] * len(rows)})


def _posts(rows: list[tuple[str, str, str, str]]) -> pd.DataFrame:
    """(post_id, reports_to, grade, fte) as hierarchy.difference reads them."""
    return pd.DataFrame({"post_id": [r[0] for r in rows], "reports_to": [r[1] for r in rows],
                         "grade": [r[2] for r in rows], "fte": [r[3] for r in rows],
                         "title": "Officer", "division": "D", "team": "T"})


BASE = _posts([("H", "", "SM1", "1"), ("A", "H", "PO1", "1"), ("B", "H", "PO1", "1"),
               ("C", "H", "PO2", "1"), ("D", "H", "PO3", "1"), ("E", "H", "PO3", "1")])
BASE_COST = _cost([("H", 100_000_00, 0), ("A", 40_000_00, 0), ("B", 41_000_00, 0),
                   ("C", 50_000_00, 0), ("D", 90_000_00, 90_000_00), ("E", 55_000_00, 0)])


def _option() -> tuple[pd.DataFrame, pd.DataFrame]:
    """A deleted (B), regraded (A, PO1 → PO2), resized (C, 1 → 0.5), interim gone (D split
    into D and D2 where nobody carries the interim), moved only (E), new (N)."""
    other = _posts([("H", "", "SM1", "1"), ("A", "H", "PO2", "1"), ("C", "H", "PO2", "0.5"),
                    ("D", "H", "PO3", "1"), ("D2", "H", "PO3", "1"), ("E", "A", "PO3", "1"),
                    ("N", "H", "PO4", "1")])
    other["baseline_post_id"] = ["H", "A", "C", "D", "D2", "E", ""]
    other.loc[other["post_id"] == "D2", "baseline_post_id"] = "D"
    cost = _cost([("H", 100_000_00, 0), ("A", 45_500_00, 0), ("C", 25_000_00, 0),
                  ("D", 60_000_00, 0), ("D2", 60_000_00, 0), ("E", 55_123_45, 0),
                  ("N", 70_000_00, 0)])
    return difference(BASE, other), cost


def test_the_bridge_puts_each_change_in_its_step_and_sums_exactly():
    """Catches: a post counted in two steps (or none), a split post counted twice against its
    original, or the interim step never used."""
    diff, cost = _option()
    bridge = cc.cost_bridge(diff, BASE_COST, cost, base_name="Now", other_name="Option B")
    steps = dict(zip(bridge["step"], bridge["amount"], strict=True))
    assert steps == {
        "Now": 376_000_00,
        cc.STEP_DELETED: -41_000_00,
        cc.STEP_NEW: 70_000_00,
        cc.STEP_REGRADED: 5_500_00,
        cc.STEP_RESIZED: -25_000_00,
        cc.STEP_INTERIMS: 30_000_00,  # D (90k interim) became two posts of 60k, no interim
        cc.STEP_OTHER: 123_45,  # E only moved, but its cost changed by £123.45
        "Option B": 415_623_45,
    }
    middle = bridge.iloc[1:-1]
    assert int(middle["amount"].sum()) == int(cost["total"].sum()) - int(BASE_COST["total"].sum())
    # Each step floats from where the last one ended.
    assert (bridge["start"].iloc[2:-1].to_numpy() == bridge["end"].iloc[1:-2].to_numpy()).all()
    assert bridge["end"].iloc[-2] == bridge["amount"].iloc[-1]


@pytest.mark.parametrize("seed", range(25))
def test_the_bridge_always_sums_to_the_difference(seed):
    """Catches: pence lost or double-counted for any mix of changes (random structures)."""
    rng = random.Random(seed)
    n = rng.randint(1, 30)
    refs = [f"P{i}" for i in range(n)]
    base = _posts([(r, "" if i == 0 else "P0", rng.choice(["PO1", "PO2"]), "1")
                   for i, r in enumerate(refs)])
    base_cost = _cost([(r, rng.randint(0, 10**7), rng.choice([0, 0, 5 * 10**6])) for r in refs])
    rows, links = [], []
    for r in refs:
        for k in range(rng.choice([0, 1, 1, 1, 2])):  # deleted, continued, or split
            ref = r if k == 0 else f"{r}s"
            rows.append((ref, "", rng.choice(["PO1", "PO2"]), rng.choice(["1", "0.5"])))
            links.append(r)
    for j in range(rng.randint(0, 5)):
        rows.append((f"N{j}", "", "PO3", "1"))
        links.append("")
    other = _posts(rows) if rows else _posts([])
    other["baseline_post_id"] = links
    other_cost = _cost([(r[0], rng.randint(0, 10**7), rng.choice([0, 4 * 10**6]))
                        for r in rows])
    bridge = cc.cost_bridge(difference(base, other), base_cost, other_cost)
    assert int(bridge["amount"].iloc[1:-1].sum()) == (int(other_cost["total"].sum())
                                                      - int(base_cost["total"].sum()))
    assert bridge["amount"].iloc[-1] == int(other_cost["total"].sum())


def test_an_unchanged_copy_has_a_flat_bridge():
    diff = difference(BASE, BASE.assign(baseline_post_id=BASE["post_id"]))
    bridge = cc.cost_bridge(diff, BASE_COST, BASE_COST)
    assert bridge["amount"].iloc[1:-1].tolist() == [0] * len(cc.STEPS)
    assert set(bridge["kind"].iloc[1:-1]) == {"none"}


@pytest.mark.parametrize(("pence", "text"), [
    (0, "£0"), (123456789, "£1,234,568"), (-5000, "−£50"), (49, "£0"), (150, "£2"),
])
def test_pounds_rounds_for_display(pence, text):
    assert cc.pounds(pence) == text


def test_signed_pounds_marks_increases():
    assert cc.signed_pounds(100_00) == "+£100"
    assert cc.signed_pounds(-100_00) == "−£100"


def _position(spend: list[int], envelope: list[int | None]) -> EnvelopePosition:
    frame = pd.DataFrame({"partner": ["Brent", "Lewisham"][:len(spend)], "spend": spend,
                          "envelope": pd.array(envelope, dtype="Int64")})
    frame["headroom"] = frame["envelope"] - frame["spend"]
    return EnvelopePosition(months=12, by_partner=frame, spend=sum(spend), envelope=None,
                            headroom=None, structure_envelope=None)


def test_chart_specs_are_valid_vega_lite():
    """Catches: an encoding Altair rejects (to_dict validates against the schema), or a chart
    that embeds every post instead of a few grouped rows."""
    diff, cost = _option()
    charts = [
        cc.bridge_chart(cc.cost_bridge(diff, BASE_COST, cost)),
        cc.grade_mix_chart(cc.grade_mix({"Now": BASE_COST, "B": cost}, ["PO1", "PO2"]),
                           ["Now", "B"]),
        cc.partner_chart(cc.partner_positions({
            "Now": _position([100, 200], [150, None]), "B": _position([120, 260], [150, 250])}),
            ["Now", "B"]),
    ]
    for chart in charts:
        spec = chart.to_dict()
        assert spec["$schema"].startswith("https://vega.github.io/schema/vega-lite/")
    bridge_rows = next(iter(charts[0].to_dict()["datasets"].values()))
    assert len(bridge_rows) == len(cc.STEPS) + 2


def test_grade_mix_orders_grades_by_pay_and_sums_fte():
    mix = cc.grade_mix({"Now": BASE_COST.assign(grade=["SM1", "PO1", "PO1", "PO2", "PO3",
                                                       "PO3"])}, ["PO1", "PO2", "PO3", "SM1"])
    assert mix["grade"].astype(str).tolist() == ["PO1", "PO2", "PO3", "SM1"]
    assert mix["fte"].tolist() == [2.0, 1.0, 2.0, 1.0]


def test_structure_figures_count_changes_against_the_baseline():
    diff, cost = _option()
    lines = pd.DataFrame({"person_id": [1, 2, 2]})
    f = cc.structure_figures(name="B", kind="option", by_post=cost, lines=lines,
                             position=_position([1], [None]), layers=2, median_span=3.0,
                             difference=diff, baseline_cost=int(BASE_COST["total"].sum()))
    assert (f.new, f.deleted, f.changed, f.people, f.posts) == (1, 1, 3, 2, 7)
    assert f.saving == int(BASE_COST["total"].sum()) - int(cost["total"].sum())


def test_the_difference_table_shows_changed_posts_with_costs():
    diff, cost = _option()
    table = cc.difference_table(diff, BASE_COST, cost)
    assert "H" not in set(table["post_id"])  # unchanged
    row = table.set_index("post_id")
    assert row.at["B", "cost_before"] == 41_000_00 and pd.isna(row.at["B", "cost_after"])
    assert row.at["B", "cost_change"] == -41_000_00
    assert pd.isna(row.at["N", "cost_before"]) and row.at["N", "cost_change"] == 70_000_00
