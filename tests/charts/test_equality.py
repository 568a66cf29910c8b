"""Equality charts and display table: hand-built analysis tables in the shape of
planner.equality.analysis.ANALYSIS_COLUMNS, so every expected text is counted by hand."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from planner.charts import equality as ec
from planner.equality import display

COLUMNS = ["characteristic", "label", "category", "service", "at_risk", "share_service",
           "share_at_risk", "rate", "rest_rate", "ratio", "flag", "p_value", "suppressed",
           "service_text", "at_risk_text", "ratio_text", "p_text"]


def _row(key, label, category, service, at_risk, *, service_total=40, at_risk_total=10,
         shown_service=True, shown_at_risk=True, flag="", ratio_text="—", p_text="—"):
    """One analysis row; a count not shown is <NA> with "<10" as its text."""
    return {
        "characteristic": key, "label": label, "category": category,
        "service": service if shown_service else pd.NA,
        "at_risk": at_risk if shown_at_risk else pd.NA,
        "share_service": service / service_total if shown_service else np.nan,
        "share_at_risk": at_risk / at_risk_total if shown_at_risk else np.nan,
        "rate": np.nan, "rest_rate": np.nan, "ratio": np.nan, "flag": flag,
        "p_value": np.nan, "suppressed": not (shown_service and shown_at_risk),
        "service_text": str(service) if shown_service else "<10",
        "at_risk_text": str(at_risk) if shown_at_risk else "<10",
        "ratio_text": ratio_text, "p_text": p_text,
    }


def _table(rows) -> pd.DataFrame:
    table = pd.DataFrame(rows, columns=COLUMNS)
    table["service"] = table["service"].astype("Int64")
    table["at_risk"] = table["at_risk"].astype("Int64")
    return table


# Sex: 28 women (7 at risk), 12 men (3 at risk) of 40 (10 at risk): everything shown.
# Disability: 30 not disabled (9 at risk) shown; 10 disabled with the at-risk count hidden.
TABLE = _table([
    _row("sex", "Sex", "female", 28, 7, ratio_text="1.00", p_text="1.00"),
    _row("sex", "Sex", "male", 12, 3, ratio_text="1.00", p_text="1.00"),
    _row("disability", "Disability", "no", 30, 9, flag="higher", ratio_text="3.00",
         p_text="0.13"),
    _row("disability", "Disability", "yes", 10, 1, shown_at_risk=False),
])


@pytest.mark.parametrize(("share", "text"), [
    (0.3512, "35%"), (0.004, "<1%"), (0.0, "0%"), (1.0, "100%"), (0.125, "12%"),
    (np.nan, "—"), (None, "—"), (pd.NA, "—"),
])
def test_share_text(share, text):
    """Catches: a missing (suppressed) share printed as 'nan%', or a tiny share as '0%'."""
    assert display.share_text(share) == text


@pytest.mark.parametrize(("ratio", "flag", "text"), [
    ("1.60", "higher", "1.60 (higher)"), ("0.50", "lower", "0.50 (lower)"),
    ("1.00", "", "1.00"), ("—", "higher", "—"),
])
def test_ratio_with_flag(ratio, flag, text):
    """Catches: the flag dropped, or a flag shown beside a suppressed ratio."""
    assert display.ratio_with_flag(ratio, flag) == text


@pytest.mark.parametrize(("text", "label"), [
    ("<10", "<10"), ("<5", "<5"), ("*", "* hidden"), ("—", "hidden"),
])
def test_hidden_label(text, label):
    """Catches: a bare "*" on a chart (meaningless to a reader) or the size marker lost."""
    assert ec.hidden_label(text) == label


def test_share_frame_labels_every_bar_with_its_people():
    """Catches: bars without the group size behind them (issue 6: "with the group sizes
    shown"), or the service's share and the at-risk share swapped."""
    frame = ec.share_frame(TABLE, "sex")
    got = list(zip(frame["category"], frame["series"], frame["text"], strict=True))
    assert got == [("female", ec.SERVICE, "70% (28)"), ("female", ec.AT_RISK, "70% (7)"),
                   ("male", ec.SERVICE, "30% (12)"), ("male", ec.AT_RISK, "30% (3)")]
    assert frame["share"].tolist() == pytest.approx([0.7, 0.7, 0.3, 0.3])


def test_a_suppressed_count_is_written_not_drawn():
    """Catches: a suppressed cell drawn as a bar, or its share kept (a share times the shown
    total gives the hidden count back)."""
    table = TABLE.copy()
    # Even if a share slipped through beside a hidden count, it must not be drawn.
    table.loc[3, "share_at_risk"] = 0.1
    frame = ec.share_frame(table, "disability")
    hidden = frame[frame["suppressed"]]
    assert hidden[["category", "series", "text"]].values.tolist() == [
        ["yes", ec.AT_RISK, "<10"]]
    assert hidden["share"].isna().all()
    assert frame.loc[~frame["suppressed"], "share"].notna().all()


def _datasets(chart) -> list[dict]:
    spec = chart.to_dict()
    return [row for rows in spec.get("datasets", {}).values() for row in rows]


def test_the_share_chart_sends_no_number_for_a_suppressed_cell():
    """Catches: the chart's data (which any browser can read) carrying the hidden count or a
    share that reveals it."""
    chart = ec.share_chart(TABLE, "disability")
    rows = _datasets(chart)
    assert len(rows) == 4
    hidden = [r for r in rows if r["suppressed"]]
    assert len(hidden) == 1
    assert hidden[0]["text"] == "<10" and hidden[0]["people"] == "<10"
    assert hidden[0]["share"] is None or math.isnan(hidden[0]["share"])
    assert hidden[0]["x"] == 0  # the label sits at the axis
    spec = json.dumps(chart.to_dict())
    assert "Disability" in spec and "datum.share != null" in spec


def test_characteristics_keep_the_tables_order():
    """Catches: charts drawn in an arbitrary (set) order instead of the analysis's."""
    assert ec.characteristics(TABLE) == [("sex", "Sex"), ("disability", "Disability")]


def test_the_display_table_only_ever_uses_the_texts():
    """Catches: the raw Int64 counts shown (a suppressed <NA> would print as '<NA>' and a
    careless fill as '0'), or shares printed for hidden cells."""
    shown = display.analysis_display(TABLE)
    assert list(shown.columns) == display.DISPLAY_COLUMNS
    assert shown.iloc[3].tolist() == ["Disability", "yes", "10", "<10", "25%", "—", "—", "—"]
    assert shown.iloc[2].tolist() == ["Disability", "no", "30", "9", "75%", "90%",
                                      "3.00 (higher)", "0.13"]
    assert display.flagged_groups(TABLE) == 1


def test_grade_mix_in_pay_order_before_then_after():
    """Catches: grades sorted by name (PO10 before PO2) or before/after swapped."""
    mix = pd.DataFrame({"grade": ["PO10", "PO2", "SO1"], "before": [1, 4, 6],
                        "after": [2, 3, 0]})
    long = ec.grade_mix_long(mix, ["SO1", "PO2", "PO10"])
    assert long.values.tolist() == [["SO1", "Before", 6], ["SO1", "After", 0],
                                    ["PO2", "Before", 4], ["PO2", "After", 3],
                                    ["PO10", "Before", 1], ["PO10", "After", 2]]
    ec.grade_mix_chart(mix, ["SO1", "PO2", "PO10"]).to_dict()  # a valid Vega-Lite spec


def test_part_time_shows_the_people_behind_the_share():
    """Catches: a share without its counts, or a suppressed share printed as a number."""
    part = pd.DataFrame({"when": ["Before", "After"],
                         "employees": pd.array([20, pd.NA], dtype="Int64"),
                         "part_time": pd.array([5, pd.NA], dtype="Int64"),
                         "share": [0.25, np.nan]})
    frame = display.part_time_frame(part)
    assert frame["text"].tolist() == ["25% (5 of 20)", "hidden (small numbers)"]
    rows = _datasets(ec.part_time_chart(part))
    assert [r["x"] for r in rows] == [0.25, 0]
