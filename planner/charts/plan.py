"""The Financial plan page's charts (issue 15): each partner's recurring saving against its
target year by year, and the cumulative net saving month by month with its break-even month.
Pure: frames in (planner.finance.projection.Projection), a chart out."""

from __future__ import annotations

import datetime as dt

import altair as alt
import pandas as pd

from planner.charts.establishment import AMBER, GREY, TEAL, TEXT

RED = "#b0413e"


def _pounds(pence: int) -> str:
    v = pence / 100
    return f"£{v:,.0f}" if v >= 0 else f"−£{-v:,.0f}"


def savings_frame(table: pd.DataFrame, partners: list[str] | None = None) -> pd.DataFrame:
    """One row per partner and year: saving and target in pounds (for drawing only; the
    page's table holds the exact pence), and whether the target is met."""
    t = table if partners is None else table[table["partner"].isin(partners)]
    out = pd.DataFrame({"year": t["year"], "partner": t["partner"],
                        "saving": t["saving_pence"].astype("int64") / 100,
                        "target": t["target_pence"].astype("int64") / 100})
    out["met"] = (t["saving_pence"] >= t["target_pence"]).map(
        {True: "target met", False: "short of target"}).to_numpy()
    out["saving_text"] = [_pounds(int(p)) for p in t["saving_pence"]]
    out["target_text"] = [_pounds(int(p)) for p in t["target_pence"]]
    return out.reset_index(drop=True)


def savings_chart(frame: pd.DataFrame) -> alt.FacetChart:
    """Bars: the recurring saving per year (teal where it meets the target, red where it
    falls short); black ticks: the target. One panel per partner."""
    x = alt.X("year:N", title=None)
    y = alt.Y("saving:Q", title="£ a year", axis=alt.Axis(format="~s"))
    tooltip = [alt.Tooltip("partner:N", title="Partner"), alt.Tooltip("year:N", title="Year"),
               alt.Tooltip("saving_text:N", title="Recurring saving"),
               alt.Tooltip("target_text:N", title="Target")]
    bars = alt.Chart().mark_bar(opacity=0.9).encode(
        x=x, y=y, tooltip=tooltip,
        color=alt.Color("met:N", title=None,
                        scale=alt.Scale(domain=["target met", "short of target"],
                                        range=[TEAL, RED]),
                        legend=alt.Legend(orient="top")))
    ticks = alt.Chart().mark_tick(color=TEXT, thickness=3, size=34).encode(
        x=x, y=alt.Y("target:Q"), tooltip=tooltip)
    return alt.layer(bars, ticks, data=frame).properties(width=190, height=220).facet(
        column=alt.Column("partner:N", title=None, sort=list(dict.fromkeys(frame["partner"])),
                          header=alt.Header(labelFontSize=13, labelColor=TEXT))
    ).properties(title=alt.TitleParams("Recurring saving against each partner's target "
                                       "(ticks)", anchor="start", color=TEXT, fontSize=14))


def cumulative_chart(monthly: pd.DataFrame, break_even_on: dt.date | None) -> alt.LayerChart:
    """The cumulative net saving (all partners) at the end of each month; the amber point is
    the break-even month."""
    data = pd.DataFrame({"month": pd.to_datetime(monthly["month"]),
                         "net": monthly["cumulative_pence"].astype("int64") / 100})
    data["label"] = [_pounds(int(p)) for p in monthly["cumulative_pence"]]
    data["month_text"] = [d.strftime("%b %Y") for d in monthly["month"]]
    x = alt.X("month:T", title=None, axis=alt.Axis(format="%b %Y", labelAngle=0))
    y = alt.Y("net:Q", title="Cumulative net saving (£)", axis=alt.Axis(format="~s"))
    tooltip = [alt.Tooltip("month_text:N", title="Month"),
               alt.Tooltip("label:N", title="Cumulative net saving")]
    base = alt.Chart(data)
    layers: list[alt.Chart] = [
        base.mark_area(opacity=0.18, color=TEAL).encode(x=x, y=y),
        alt.Chart(pd.DataFrame({"net": [0]})).mark_rule(color=GREY, strokeDash=[4, 3])
        .encode(y="net:Q"),
        base.mark_line(color=TEAL, strokeWidth=2.5).encode(x=x, y=y, tooltip=tooltip)]
    if break_even_on is not None:
        point = data[data["month"] == pd.Timestamp(break_even_on)]
        layers.append(alt.Chart(point).mark_point(size=90, filled=True, color=AMBER)
                      .encode(x=x, y=y, tooltip=tooltip))
        layers.append(alt.Chart(point.assign(text=f"Breaks even in {break_even_on:%B %Y}"))
                      .mark_text(align="left", dx=8, dy=-12, color=TEXT, fontSize=12)
                      .encode(x=x, y=y, text="text:N"))
    return alt.layer(*layers).properties(
        height=260, title=alt.TitleParams("Cumulative net saving, month by month",
                                          anchor="start", color=TEXT, fontSize=14))
