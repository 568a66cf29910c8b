"""Chart builders: each takes domain frames and RETURNS an Altair chart; the page displays it.

The aggregation happens here (a few grouped rows per chart), so a chart of a 50,000-post
establishment sends a handful of rows to the browser, and pages stay free of pandas arithmetic.
Colours are fixed per category so "Vacant" is the same grey on every chart and every filter.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import altair as alt
import pandas as pd

from planner.establishment.register import STATUSES

# A sober palette: dark teal for what is in place, amber for stop-gaps, grey for gaps.
TEAL = "#1f5f5b"
AMBER = "#d49a3a"
GREY = "#b8bec5"
TEXT = "#1c2426"
STATUS_COLOURS: dict[str, str] = {"Filled": TEAL, "Covered by interim": AMBER, "Vacant": GREY}
# The height of every chart's plotting area, so the three side by side line up.
CHART_HEIGHT = 200
# Room above (or beyond) the largest bar for its value label.
LABEL_HEADROOM = 1.15
# A bar at least this share of the longest is labelled inside its end, not beyond it.
INSIDE_FROM = 0.6


def _finish(chart: Any, title: str) -> Any:
    """Title, size and the shared look, applied once to the top-level chart.

    fit-x: the width follows the column, the height is the plotting area's alone (Streamlit's
    default "fit" squeezes the plot by whatever the legend and labels take), so charts side by
    side have plots of one height whatever their legends.
    """
    return (
        chart.properties(
            title=alt.TitleParams(title, anchor="start", fontSize=14, fontWeight=600, offset=12),
            height=CHART_HEIGHT, width="container",
            autosize=alt.AutoSizeParams(type="fit-x", contains="padding"))
        .configure_axis(labelFontSize=12, titleFontSize=12, grid=False)
        .configure_view(strokeWidth=0)
        .configure_legend(labelFontSize=12, titleFontSize=12)
    )


def _domain_max(values: pd.Series) -> float:
    """The top of a count axis: the largest value plus room for its label (1 when empty)."""
    top = float(values.max()) if len(values) else 0.0
    return max(top, 1.0) * LABEL_HEADROOM


def grade_order_for(grades: Sequence[str], present: Sequence[str]) -> list[str]:
    """The grades present, in pay order (the grade table's); unknown grades last, by name."""
    seen = set(present)
    known = [g for g in grades if g in seen]
    return known + sorted(seen.difference(grades))


def grade_status_counts(frame: pd.DataFrame, grades: Sequence[str]) -> pd.DataFrame:
    """Posts per (grade, status): grades in pay order, statuses in STATUSES order.

    Only the combinations that occur, so the browser gets at most grades × 3 rows.
    """
    counts = frame.groupby(["grade", "status"], sort=False).size()
    order = grade_order_for(grades, list(frame["grade"].unique()))
    index = pd.MultiIndex.from_product([order, list(STATUSES)], names=["grade", "status"])
    out = counts.reindex(index, fill_value=0).rename("posts").reset_index()
    out["posts"] = out["posts"].astype(int)
    return out[out["posts"] > 0].reset_index(drop=True)


def grade_mix_chart(frame: pd.DataFrame, grades: Sequence[str]) -> alt.Chart:
    """Posts per grade (grades in pay order), each bar stacked by status, total on top."""
    data = grade_status_counts(frame, grades)
    order = grade_order_for(grades, list(data["grade"].unique()))
    totals = data.groupby("grade")["posts"].sum()
    x = alt.X("grade:N", sort=order, title=None, axis=alt.Axis(labelAngle=0))
    y_scale = alt.Scale(domain=[0, _domain_max(totals)], nice=True)
    base = alt.Chart(data)
    bars = base.mark_bar().encode(
        x=x,
        y=alt.Y("sum(posts):Q", title=None, scale=y_scale,
                axis=alt.Axis(format=",.0f", tickMinStep=1)),
        color=alt.Color("status:N", title=None,
                        scale=alt.Scale(domain=list(STATUS_COLOURS),
                                        range=list(STATUS_COLOURS.values())),
                        legend=alt.Legend(orient="bottom", direction="horizontal")),
        order=alt.Order("status_rank:Q"),
        tooltip=[alt.Tooltip("grade:N", title="Grade"), alt.Tooltip("status:N", title="Status"),
                 alt.Tooltip("sum(posts):Q", title="Posts", format=",")],
    ).transform_calculate(
        status_rank=f"indexof({json.dumps(list(STATUSES))}, datum.status)")
    labels = base.mark_text(baseline="bottom", dy=-3, fontSize=11, color=TEXT).encode(
        x=x, y=alt.Y("sum(posts):Q", scale=y_scale), text=alt.Text("sum(posts):Q", format=","))
    return _finish(alt.layer(bars, labels), "Posts by grade and status")


def status_counts(frame: pd.DataFrame) -> pd.DataFrame:
    """Posts per status, every status present (zeros kept so the colours never shift)."""
    counts = frame["status"].value_counts().reindex(list(STATUSES), fill_value=0)
    return pd.DataFrame({"status": list(STATUSES), "posts": [int(v) for v in counts]})


def _labelled_hbars(data: pd.DataFrame, category: str, value: str, sort: list[str],
                    value_title: str, colours: Mapping[str, str] | str) -> alt.LayerChart:
    """Horizontal bars with the value written on each, so a bar of 1 still reads: beyond the
    end of a short bar, inside the end of a long one. A label beyond the longest bar was cut
    off in a narrow column (the origins' "16,414" at 50,000 posts, issue 16), whatever room
    the axis left, as the chart's width in pixels is the page's to decide. `colours`: one
    colour for every bar, or each category's."""
    x = alt.X(f"{value}:Q", title=None,
              scale=alt.Scale(domain=[0, _domain_max(data[value])], nice=True),
              axis=alt.Axis(format=",.0f", tickMinStep=1))
    y = alt.Y(f"{category}:N", sort=sort, title=None)
    top = float(data[value].max()) if len(data) else 0.0
    labelled = data.assign(
        _inside=(data[value] >= INSIDE_FROM * top) & (data[value] > 0),
        _ink=[_ink_on(colours if isinstance(colours, str) else colours.get(c, TEAL))
              for c in data[category]])
    colour = alt.value(colours) if isinstance(colours, str) else alt.Color(
        f"{category}:N", legend=None,
        scale=alt.Scale(domain=list(colours), range=list(colours.values())))
    base = alt.Chart(labelled)
    bars = base.mark_bar(cornerRadiusTopRight=2, cornerRadiusBottomRight=2).encode(
        x=x, y=y, color=colour,
        tooltip=[alt.Tooltip(f"{category}:N", title=category.capitalize()),
                 alt.Tooltip(f"{value}:Q", title=value_title, format=",")])
    text = alt.Text(f"{value}:Q", format=",")
    outside = base.mark_text(align="left", baseline="middle", dx=4, fontSize=12,
                             color=TEXT).encode(x=x, y=y, text=text).transform_filter(
        "!datum._inside")
    inside = base.mark_text(align="right", baseline="middle", dx=-4, fontSize=12).encode(
        x=x, y=y, text=text, color=alt.Color("_ink:N", scale=None, legend=None)
    ).transform_filter("datum._inside")
    return alt.layer(bars, outside, inside)


def _ink_on(fill: str) -> str:
    """White on the dark teal, the page's text colour on the light amber and grey."""
    return "#ffffff" if fill == TEAL else TEXT


def status_chart(frame: pd.DataFrame) -> alt.Chart:
    """Horizontal bars: filled, covered by interim, vacant, in that order and colours."""
    data = status_counts(frame)
    return _finish(_labelled_hbars(data, "status", "posts", list(STATUSES), "Posts",
                                   STATUS_COLOURS), "Posts by status")


def origin_chart(people_by_origin: Mapping[str, int]) -> alt.Chart:
    """Employees by origin (where they came from, e.g. "Capita by TUPE"), largest first."""
    data = pd.DataFrame({"origin": list(people_by_origin),
                         "people": [int(v) for v in people_by_origin.values()]},
                        columns=["origin", "people"])
    data = data.sort_values(["people", "origin"], ascending=[False, True], ignore_index=True)
    return _finish(_labelled_hbars(data, "origin", "people", list(data["origin"]), "Employees",
                                   TEAL), "Employees by origin")
