"""The Financial plan page's charts (planner.charts.plan): built from a projection's frames."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from planner.charts.plan import cumulative_chart, savings_chart, savings_frame


def _table() -> pd.DataFrame:
    return pd.DataFrame({"year": ["2026/27", "2026/27", "2027/28", "2027/28"],
                         "partner": ["Brent", "Lewisham"] * 2,
                         "saving_pence": [150_000_00, 90_000_00, 300_000_00, 180_000_00],
                         "target_pence": [100_000_00, 100_000_00, 200_000_00, 200_000_00]})


def test_savings_say_which_partner_meets_its_target():
    frame = savings_frame(_table(), ["Brent", "Lewisham"])
    assert frame["met"].tolist() == ["target met", "short of target", "target met",
                                     "short of target"]
    assert frame["saving_text"].tolist()[0] == "£150,000"
    spec = savings_chart(frame).to_dict()
    assert spec["facet"]["column"]["field"] == "partner"


def test_the_cumulative_chart_marks_the_break_even_month():
    monthly = pd.DataFrame({"month": [dt.date(2026, 4 + i, 1) for i in range(3)],
                            "cumulative_pence": [-5_000_00, -1_000_00, 2_000_00]})
    text = str(cumulative_chart(monthly, dt.date(2026, 6, 1)).to_dict())
    assert "Breaks even in June 2026" in text
    assert "Breaks even" not in str(cumulative_chart(monthly, None).to_dict())
