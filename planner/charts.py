"""Chart builders: each takes domain frames and RETURNS an Altair chart; the page displays it.

The aggregation happens here (a few grouped rows per chart), so a chart of a 50,000-post
establishment sends a handful of rows to the browser, and pages stay free of pandas arithmetic.
Colours are fixed per category so "Vacant" is the same grey on every chart and every filter.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import altair as alt
import pandas as pd

from planner.establishment import STATUSES

# A sober palette: dark teal for what is in place, amber for stop-gaps, grey for gaps.
TEAL = "#1f5f5b"
LIGHT_TEAL = "#8cbfb8"
AMBER = "#d49a3a"
GREY = "#b8bec5"
STATUS_COLOURS: dict[str, str] = {"Filled": TEAL, "Covered by interim": AMBER, "Vacant": GREY}
MEASURES = ("Posts", "FTE")
MEASURE_COLOURS = (TEAL, LIGHT_TEAL)
CHART_HEIGHT = 240


def _base(data: pd.DataFrame, title: str) -> alt.Chart:
    return (
        alt.Chart(data, title=alt.TitleParams(title, anchor="start", fontSize=14, fontWeight=600))
        .properties(height=CHART_HEIGHT, width="container")
        .configure_axis(labelFontSize=12, titleFontSize=12, grid=False)
        .configure_view(strokeWidth=0)
        .configure_legend(labelFontSize=12, titleFontSize=12)
    )


def grade_order_for(grades: Sequence[str], present: Sequence[str]) -> list[str]:
    """The grades present, in pay order (the grade table's); unknown grades last, by name."""
    seen = set(present)
    known = [g for g in grades if g in seen]
    return known + sorted(seen.difference(grades))


def grade_mix(frame: pd.DataFrame, grades: Sequence[str]) -> pd.DataFrame:
    """Posts and FTE per grade, one row per grade present, in pay order."""
    by_grade = frame.groupby("grade", sort=False).agg(
        posts=("post_id", "size"), fte=("fte_value", "sum"))
    order = grade_order_for(grades, list(by_grade.index))
    out = by_grade.reindex(order).reset_index()
    out["fte"] = out["fte"].round(2)
    return out


def grade_mix_chart(frame: pd.DataFrame, grades: Sequence[str]) -> alt.Chart:
    """Grouped bars of posts and FTE by grade, grades in pay order."""
    mix = grade_mix(frame, grades)
    order = list(mix["grade"])
    long = mix.rename(columns={"posts": "Posts", "fte": "FTE"}).melt(
        id_vars="grade", value_vars=list(MEASURES), var_name="measure", value_name="value")
    return _base(long, "Posts and FTE by grade").mark_bar(
        cornerRadiusTopLeft=2, cornerRadiusTopRight=2).encode(
        x=alt.X("grade:N", sort=order, title=None, axis=alt.Axis(labelAngle=-40)),
        xOffset=alt.XOffset("measure:N", sort=list(MEASURES)),
        y=alt.Y("value:Q", title=None, axis=alt.Axis(format=",.0f", tickMinStep=1)),
        color=alt.Color("measure:N", title=None,
                        scale=alt.Scale(domain=list(MEASURES), range=list(MEASURE_COLOURS)),
                        legend=alt.Legend(orient="top", direction="horizontal")),
        tooltip=[alt.Tooltip("grade:N", title="Grade"), alt.Tooltip("measure:N", title="Measure"),
                 alt.Tooltip("value:Q", title="Value", format=",.2~f")],
    )


def status_counts(frame: pd.DataFrame) -> pd.DataFrame:
    """Posts per status, every status present (zeros kept so the colours never shift)."""
    counts = frame["status"].value_counts().reindex(list(STATUSES), fill_value=0)
    return pd.DataFrame({"status": list(STATUSES), "posts": [int(v) for v in counts]})


def status_chart(frame: pd.DataFrame) -> alt.Chart:
    """Horizontal bars: filled, covered by interim, vacant, in that order and colours."""
    data = status_counts(frame)
    return _base(data, "Posts by status").mark_bar(
        cornerRadiusTopRight=2, cornerRadiusBottomRight=2).encode(
        y=alt.Y("status:N", sort=list(STATUSES), title=None),
        x=alt.X("posts:Q", title="Posts", axis=alt.Axis(format=",.0f", tickMinStep=1)),
        color=alt.Color("status:N", legend=None,
                        scale=alt.Scale(domain=list(STATUS_COLOURS),
                                        range=list(STATUS_COLOURS.values()))),
        tooltip=[alt.Tooltip("status:N", title="Status"),
                 alt.Tooltip("posts:Q", title="Posts", format=",")],
    )


def origin_chart(people_by_origin: Mapping[str, int]) -> alt.Chart:
    """Employees by origin (where they came from, e.g. "Capita by TUPE"), largest first."""
    data = pd.DataFrame({"origin": list(people_by_origin),
                         "people": [int(v) for v in people_by_origin.values()]},
                        columns=["origin", "people"])
    data = data.sort_values(["people", "origin"], ascending=[False, True], ignore_index=True)
    return _base(data, "Employees by origin").mark_bar(
        color=TEAL, cornerRadiusTopRight=2, cornerRadiusBottomRight=2).encode(
        y=alt.Y("origin:N", sort=list(data["origin"]), title=None),
        x=alt.X("people:Q", title="Employees", axis=alt.Axis(format=",.0f", tickMinStep=1)),
        tooltip=[alt.Tooltip("origin:N", title="Origin"),
                 alt.Tooltip("people:Q", title="Employees", format=",")],
    )
