"""The People mapping page's chart: cumulative net saving of an option over 36 months, the exit
bill paid in month 0 and the annual saving built up a twelfth a month, with the break-even
month marked. Pure: a frame in (planner.people.exit_bill.ExitBill.cumulative), a chart out."""

from __future__ import annotations

import altair as alt
import pandas as pd

from planner.charts.establishment import AMBER, GREY, TEAL, TEXT


def payback_chart(curve: pd.DataFrame, payback_months: int | None) -> alt.LayerChart:
    """Net saving in pounds by month; below the line the option has not yet paid for itself."""
    data = pd.DataFrame({"month": curve["month"].astype(int),
                         "net": curve["net_pence"].astype("int64") / 100})
    data["label"] = [f"£{v:,.0f}" if v >= 0 else f"−£{-v:,.0f}" for v in data["net"]]
    x = alt.X("month:Q", title="Months from implementation",
              scale=alt.Scale(domain=[0, int(data["month"].max())], nice=False),
              axis=alt.Axis(values=list(range(0, int(data["month"].max()) + 1, 6))))
    y = alt.Y("net:Q", title="Cumulative net saving (£)", axis=alt.Axis(format=",.0f"))
    tooltip = [alt.Tooltip("month:Q", title="Month"),
               alt.Tooltip("label:N", title="Net saving")]
    base = alt.Chart(data)
    area = base.mark_area(opacity=0.18, color=TEAL).encode(x=x, y=y)
    line = base.mark_line(color=TEAL, strokeWidth=2.5).encode(x=x, y=y, tooltip=tooltip)
    zero = alt.Chart(pd.DataFrame({"net": [0]})).mark_rule(color=GREY, strokeDash=[4, 3]).encode(
        y="net:Q")
    layers: list[alt.Chart] = [area, zero, line]
    if payback_months is not None and payback_months <= int(data["month"].max()):
        point = data[data["month"] == payback_months]
        layers.append(alt.Chart(point).mark_point(size=90, filled=True, color=AMBER).encode(
            x=x, y=y, tooltip=tooltip))
        layers.append(alt.Chart(point.assign(text=f"Pays back in month {payback_months}"))
                      .mark_text(align="left", dx=8, dy=-10, color=TEXT, fontSize=12)
                      .encode(x=x, y=y, text="text:N"))
    return alt.layer(*layers).properties(
        height=260, title=alt.TitleParams("Cumulative net saving over three years",
                                          anchor="start", color=TEXT, fontSize=14))
