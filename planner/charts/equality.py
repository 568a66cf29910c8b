"""Equality analysis as charts and display tables: pure builders over planner.equality.analysis's frames.

Everything here takes what `planner.equality.analysis.analyse` returned (its `table`, `grade_mix` and
`part_time` frames) and returns a frame or an Altair chart; the page displays them and the
Word summary reuses the display table (STYLE.md habit 1). Nothing here suppresses: the
analysis arrives already suppressed (or not, for hr and admin), and a suppressed count is
drawn as its text ("<10"), never as a bar or a number (DOMAIN.md §6, small-number
suppression). No person appears here, only counts of people.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import altair as alt
import pandas as pd

from planner.charts.establishment import AMBER, GREY, TEAL, TEXT, grade_order_for
from planner.equality.display import missing, part_time_frame, ratio_with_flag, share_text

SERVICE = "Whole service"
AT_RISK = "At risk"
SERIES = (SERVICE, AT_RISK)
SERIES_COLOURS = (TEAL, AMBER)
MUTED = "#6b7378"
SHARE_COLUMNS = ["label", "category", "series", "share", "people", "text", "suppressed",
                 "ratio", "p", "order"]
BAR_ROW = 18  # pixels per bar: two bars a group


def hidden_label(text: str) -> str:
    """What a chart prints for a hidden count: "<10" as it is (it says the size), "*" (hidden
    so that a small count cannot be worked out) and "—" (nothing said) spelt out."""
    if text.startswith("<"):
        return text
    return "* hidden" if text == "*" else "hidden"


def characteristics(table: pd.DataFrame) -> list[tuple[str, str]]:
    """(key, label) of every characteristic in the analysis, in the table's order."""
    seen: dict[str, str] = {}
    for key, label in zip(table["characteristic"], table["label"], strict=True):
        seen.setdefault(str(key), str(label))
    return list(seen.items())


def share_frame(table: pd.DataFrame, characteristic: str) -> pd.DataFrame:
    """Two rows per group of one characteristic: its share of the whole service and of the
    people at risk, with the count behind each and the text to print beside the bar.

    A suppressed count has no share (NaN, nothing drawn) and prints its "<10"; a count that
    is shown prints "35% (7)", so every bar carries the number of people behind it.
    """
    rows: list[dict[str, Any]] = []
    part = table[table["characteristic"] == characteristic]
    for order, r in enumerate(part.itertuples(index=False)):
        for series, share, count, text in (
                (SERVICE, r.share_service, r.service, r.service_text),
                (AT_RISK, r.share_at_risk, r.at_risk, r.at_risk_text)):
            hidden = missing(count)
            value = None if hidden or missing(share) else float(share)
            if hidden:
                label = hidden_label(str(text))
            elif value is None:
                label = f"— ({int(count)})"
            else:
                label = f"{share_text(value)} ({int(count):,})"
            rows.append({"label": str(r.label), "category": str(r.category), "series": series,
                         "share": value, "people": str(text), "text": label,
                         "suppressed": bool(hidden), "ratio": ratio_with_flag(
                             str(r.ratio_text), str(r.flag)), "p": str(r.p_text),
                         "order": order})
    frame = pd.DataFrame(rows, columns=SHARE_COLUMNS)
    frame["share"] = frame["share"].astype(float)
    return frame


def share_chart(table: pd.DataFrame, characteristic: str) -> alt.LayerChart:
    """One characteristic: each group's share of the whole service (teal) beside its share of
    the people at risk (amber), labelled with the people behind it; suppressed cells are
    printed "<10" in grey at the axis and never drawn."""
    data = share_frame(table, characteristic)
    title = str(data["label"].iloc[0]) if len(data) else characteristic
    order = list(dict.fromkeys(data["category"]))
    data["x"] = data["share"].fillna(0.0)
    y = alt.Y("category:N", sort=order, title=None,
              axis=alt.Axis(labelLimit=170, labelFontSize=12))
    y_offset = alt.YOffset("series:N", sort=list(SERIES))
    x = alt.X("x:Q", title=None, scale=alt.Scale(domain=[0, 1.18], nice=False, clamp=True),
              axis=alt.Axis(format=".0%", values=[0, 0.25, 0.5, 0.75, 1.0], grid=True,
                            gridColor="#eceff1"))
    tooltip = [alt.Tooltip("category:N", title="Group"), alt.Tooltip("series:N", title="Of"),
               alt.Tooltip("text:N", title="Share (people)"),
               alt.Tooltip("ratio:N", title="Ratio (at risk vs rest)"),
               alt.Tooltip("p:N", title="Fisher p")]
    colour = alt.Color("series:N", title=None, sort=list(SERIES),
                       scale=alt.Scale(domain=list(SERIES), range=list(SERIES_COLOURS)),
                       legend=alt.Legend(orient="top", direction="horizontal"))
    base = alt.Chart(data)
    bars = base.transform_filter("datum.share != null").mark_bar(height=BAR_ROW - 4).encode(
        x=x, y=y, yOffset=y_offset, color=colour, tooltip=tooltip)
    labels = base.transform_filter("!datum.suppressed").mark_text(
        align="left", baseline="middle", dx=4, fontSize=11, color=TEXT).encode(
        x=x, y=y, yOffset=y_offset, text="text:N", tooltip=tooltip)
    hidden = base.transform_filter("datum.suppressed").mark_text(
        align="left", baseline="middle", dx=4, fontSize=11, fontStyle="italic",
        color=MUTED).encode(x=x, y=y, yOffset=y_offset, text="text:N", tooltip=tooltip)
    height = max(70, BAR_ROW * len(data) + 8)
    return _look(alt.layer(bars, labels, hidden), title, height=height)


def _look(chart: Any, title: str, *, height: int, subtitle: str | None = None) -> Any:
    params: dict[str, Any] = {"anchor": "start", "fontSize": 14, "fontWeight": 600,
                              "offset": 8}
    if subtitle:
        params |= {"subtitle": subtitle, "subtitleColor": MUTED, "subtitleFontSize": 11}
    return (
        chart.properties(title=alt.TitleParams(title, **params), height=height,
                         width="container",
                         autosize=alt.AutoSizeParams(type="fit-x", contains="padding"))
        .configure_axis(labelFontSize=12, titleFontSize=12, grid=False, domainColor=GREY)
        .configure_view(strokeWidth=0)
        .configure_legend(labelFontSize=12, symbolType="square")
    )


def grade_mix_long(grade_mix: pd.DataFrame, grades: Sequence[str] = ()) -> pd.DataFrame:
    """["grade", "when", "posts"]: the posts in each grade before (baseline) and after
    (option), grades in pay order."""
    order = grade_order_for(list(grades), [str(g) for g in grade_mix["grade"]]) if len(grades) \
        else [str(g) for g in grade_mix["grade"]]
    rows = [{"grade": str(r.grade), "when": when, "posts": int(getattr(r, col))}
            for r in grade_mix.itertuples(index=False)
            for when, col in (("Before", "before"), ("After", "after"))]
    frame = pd.DataFrame(rows, columns=["grade", "when", "posts"])
    frame["rank"] = [order.index(g) if g in order else len(order) for g in frame["grade"]]
    return frame.sort_values(["rank", "when"], ascending=[True, False], kind="stable") \
        .drop(columns="rank").reset_index(drop=True)


def grade_mix_chart(grade_mix: pd.DataFrame, grades: Sequence[str] = ()) -> alt.LayerChart:
    """Posts per grade before and after, side by side, each bar labelled with its count."""
    data = grade_mix_long(grade_mix, grades)
    order = list(dict.fromkeys(data["grade"]))
    top = max(1, int(data["posts"].max()) if len(data) else 1)
    x = alt.X("grade:N", sort=order, title=None, axis=alt.Axis(labelAngle=0))
    offset = alt.XOffset("when:N", sort=["Before", "After"])
    y = alt.Y("posts:Q", title="Posts", scale=alt.Scale(domain=[0, top * 1.18], nice=False),
              axis=alt.Axis(format=",.0f", tickMinStep=1))
    colour = alt.Color("when:N", title=None, sort=["Before", "After"],
                       scale=alt.Scale(domain=["Before", "After"], range=[GREY, TEAL]),
                       legend=alt.Legend(orient="top", direction="horizontal"))
    tooltip = [alt.Tooltip("grade:N", title="Grade"), alt.Tooltip("when:N", title="When"),
               alt.Tooltip("posts:Q", title="Posts", format=",")]
    base = alt.Chart(data)
    bars = base.mark_bar().encode(x=x, xOffset=offset, y=y, color=colour, tooltip=tooltip)
    labels = base.mark_text(baseline="bottom", dy=-2, fontSize=10, color=TEXT).encode(
        x=x, xOffset=offset, y=y, text=alt.Text("posts:Q", format=","))
    return _look(alt.layer(bars, labels), "Grade mix before and after", height=220,
                 subtitle="Posts in each grade: the establishment now, and in the option")


def part_time_chart(part_time: pd.DataFrame) -> alt.LayerChart:
    """The share of employees working part time, before and after (people at risk left)."""
    data = part_time_frame(part_time)
    data["x"] = data["share"].fillna(0.0)
    order = list(data["when"])
    y = alt.Y("when:N", sort=order, title=None)
    x = alt.X("x:Q", title=None, scale=alt.Scale(domain=[0, 1.18], nice=False, clamp=True),
              axis=alt.Axis(format=".0%", values=[0, 0.25, 0.5, 0.75, 1.0], grid=True,
                            gridColor="#eceff1"))
    colour = alt.Color("when:N", legend=None, sort=order,
                       scale=alt.Scale(domain=order, range=[GREY, TEAL][:len(order)] or [TEAL]))
    tooltip = [alt.Tooltip("when:N", title="When"), alt.Tooltip("text:N", title="Part time")]
    base = alt.Chart(data)
    bars = base.transform_filter("datum.share != null").mark_bar(height=26).encode(
        x=x, y=y, color=colour, tooltip=tooltip)
    labels = base.mark_text(align="left", baseline="middle", dx=4, fontSize=12,
                            color=TEXT).encode(x=x, y=y, text="text:N")
    return _look(alt.layer(bars, labels), "Part-time working before and after", height=110,
                 subtitle="Before: the whole service. After: the service less the people "
                          "at risk")


