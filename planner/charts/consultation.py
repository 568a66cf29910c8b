"""The consultation timeline: a Gantt chart of the stages with the statutory clock over it.

Pure (STYLE.md habit 1): `timeline_frame` turns a ConsultationView (planner.legal.consultation) into
one row per thing drawn, and `timeline_chart` draws those rows with Altair; the page only
displays the chart. What the chart marks as a breach follows the statutory rules the domain
checks (DOMAIN.md §2 and §4), re-read from the view's dates so each mark sits on its own day:

- the first dismissal must take effect no earlier than launch + 30/45 days (TULRCA 1992
  s.188(1A)), so a planned first dismissal before the earliest lawful one is red, and so is the
  stretch of the minimum period it cuts off;
- HR1 must reach the Redundancy Payments Service by the HR1 deadline (s.193(1)-(2)), so HR1
  received after it, or the deadline passed with no HR1, is red;
- notices may only be issued after HR1 was received (s.193(1)-(2)(a)), so notices with no HR1,
  or on or before the day it arrived, are red;
- the latest notice date is the last day statutory notice (ERA 1996 s.86) can be given for the
  planned first dismissal, so notices after it, or that day passed with none issued, are red.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

import altair as alt
import pandas as pd

from planner.charts.establishment import AMBER, GREY, TEAL, TEXT
from planner.core.values import long_date

if TYPE_CHECKING:
    from planner.legal.consultation import ConsultationView

RED = "#b3261e"
TIMELINE_COLUMNS = ["lane", "lane_order", "kind", "start", "end", "status", "label", "detail",
                    "breach"]
# kind: what a row draws.
PLANNED, ACTUAL, WINDOW, BREACH_WINDOW, MILESTONE = (
    "planned", "actual", "window", "breach window", "milestone")

# Milestone lanes, top to bottom: the statutory clock first, then the stages under it.
LAUNCH = "Consultation launch"
HR1_DEADLINE = "HR1 deadline"
HR1_RECEIVED = "HR1 received"
EARLIEST = "Earliest lawful first dismissal"
PLANNED_DISMISSAL = "Planned first dismissal"
NOTICES = "Notices issued"
LATEST_NOTICE = "Latest notice date"
MILESTONE_LANES = (LAUNCH, HR1_DEADLINE, HR1_RECEIVED, EARLIEST, PLANNED_DISMISSAL, NOTICES,
                   LATEST_NOTICE)

# Short lane labels for the stages of DOMAIN.md §7 (the full name is in the tooltip).
STAGE_LABELS = {
    "business_case": "Business case",
    "launch": "Formal launch",
    "consultation": "Consultation period",
    "final_structure": "Final structure published",
    "selection": "Selection",
    "notice": "Notice and redeployment",
    "appeals": "Appeals",
    "implementation": "Implementation",
}
OVERDUE = "overdue"
STATUS_COLOURS = {"not started": GREY, "in progress": AMBER, "done": TEAL,
                  "skipped": "#dfe3e6", OVERDUE: RED}
WINDOW_COLOURS = {WINDOW: "#8fc1bb", BREACH_WINDOW: RED}
LANE_HEIGHT = 30
LABEL_LIMIT = 230  # px for a lane label: the longest (a milestone's) fits at 12 px


def _date(value: Any) -> dt.date | None:
    """A cell as a date: None for blanks (None, NaN, NaT)."""
    if value is None or (not isinstance(value, dt.date) and pd.isna(value)):
        return None
    if isinstance(value, pd.Timestamp):
        return value.date()
    if isinstance(value, dt.datetime):
        return value.date()
    return value


def _row(lane: str, kind: str, start: dt.date, end: dt.date, *, status: str = "",
         label: str = "", detail: str = "", breach: bool = False) -> dict[str, Any]:
    return {"lane": lane, "kind": kind, "start": start, "end": end, "status": status,
            "label": label, "detail": detail, "breach": breach}


def _milestones(view: ConsultationView) -> list[dict[str, Any]]:
    """The statutory clock's days, each red when the module docstring's rule says so."""
    plan, check, today = view.plan, view.check, view.today
    rows: list[dict[str, Any]] = []

    def add(lane: str, day: dt.date | None, detail: str, breach: bool = False) -> None:
        if day is not None:
            rows.append(_row(lane, MILESTONE, day, day, label=long_date(day, ""), detail=detail,
                             breach=breach))

    add(LAUNCH, plan.launch_on, "The s.188(4) information reached the representatives: "
        "consultation begins (day 0).")
    deadline = check.hr1_deadline if check is not None else None
    hr1 = plan.hr1_sent_on
    add(HR1_DEADLINE, deadline,
        "The last day the Redundancy Payments Service may receive HR1 (s.193); missing it is "
        "an offence (s.194).",
        breach=deadline is not None and hr1 is None and deadline < today)
    add(HR1_RECEIVED, hr1, "The day the Redundancy Payments Service received HR1.",
        breach=deadline is not None and hr1 is not None and hr1 > deadline)
    earliest = check.earliest_first_dismissal if check is not None else None
    if earliest is not None and check is not None:
        add(EARLIEST, earliest,
            f"Launch + {check.minimum_days} days: the first day a dismissal may take effect "
            f"({'s.188(1A)' if check.applies else 'the local agreement'}).")
    first = view.planned_first_dismissal
    add(PLANNED_DISMISSAL, first,
        "The first dismissal as planned." if plan.first_dismissal_on is not None
        else "No date planned yet: the earliest lawful first dismissal is assumed.",
        breach=first is not None and earliest is not None and first < earliest)
    notices = plan.notices_issued_on
    if notices is not None:
        applies = check is not None and check.applies
        add(NOTICES, notices, "The first individual notice of dismissal was given.",
            breach=applies and (hr1 is None or hr1 >= notices))
    latest = _latest_notice(view)
    add(LATEST_NOTICE, latest,
        "The last day to give everyone at risk their statutory notice (ERA s.86) for the "
        "planned first dismissal.",
        breach=latest is not None and ((notices is None and latest < today)
                                       or (notices is not None and notices > latest)))
    return rows


def _latest_notice(view: ConsultationView) -> dt.date | None:
    """The earliest of the people's latest notice dates (None without the people list or a
    first dismissal to count back from)."""
    if view.people is None or not len(view.people) or view.planned_first_dismissal is None:
        return None
    days = [d for d in (_date(v) for v in view.people["latest_notice_date"]) if d is not None]
    return min(days) if days else None


def _windows(view: ConsultationView) -> list[dict[str, Any]]:
    """The minimum consultation period, and in red the part a planned dismissal cuts off."""
    check = view.check
    if check is None or check.earliest_first_dismissal is None:
        return []
    launch, earliest = check.launch, check.earliest_first_dismissal
    source = "s.188" if check.applies else "local agreement"
    label = f"Minimum consultation period: {check.minimum_days} days ({source})"
    rows = [_row(label, WINDOW, launch, earliest - dt.timedelta(days=1), label=label,
                 detail=f"From the launch to the day before the earliest lawful first "
                        f"dismissal ({long_date(earliest)}): no dismissal may take effect.")]
    first = view.planned_first_dismissal
    if first is not None and first < earliest:
        cut = "First dismissal inside the minimum period"
        rows.append(_row(cut, BREACH_WINDOW, max(first, launch), earliest - dt.timedelta(days=1),
                         label=cut, breach=True,
                         detail=f"The first dismissal on {long_date(first)} falls "
                                f"{(earliest - first).days} days short of the minimum period."))
    return rows


def _stages(view: ConsultationView) -> list[dict[str, Any]]:
    """Each stage's planned bar (overdue ones red) and, where begun, its actual bar."""
    rows: list[dict[str, Any]] = []
    for stage in view.stages.sort_values("position", kind="stable").to_dict("records"):
        lane = STAGE_LABELS.get(str(stage["key"]), str(stage["name"]))
        start, end = _date(stage["planned_start"]), _date(stage["planned_end"])
        overdue = bool(stage.get("overdue"))
        status = OVERDUE if overdue else str(stage["status"])
        owner = str(stage.get("owner") or "")
        detail = str(stage["name"]) + (f" (owner: {owner})" if owner else "")
        if start is not None or end is not None:
            first, last = start or end, end or start
            assert first is not None and last is not None
            rows.append(_row(lane, PLANNED, min(first, last), max(first, last), status=status,
                             label=f"{long_date(first)} – {long_date(last)}", detail=detail,
                             breach=overdue))
        actual_start, actual_end = _date(stage["actual_start"]), _date(stage["actual_end"])
        if actual_start is not None:
            last = actual_end or (view.today if stage["status"] == "in progress"
                                  else actual_start)
            last = max(last, actual_start)
            rows.append(_row(lane, ACTUAL, actual_start, last, status=str(stage["status"]),
                             label=f"{long_date(actual_start)} – "
                                   f"{long_date(actual_end) if actual_end else 'ongoing'}",
                             detail=f"Actual dates of: {stage['name']}"))
    return rows


def stage_lanes(view: ConsultationView) -> list[str]:
    return [STAGE_LABELS.get(str(k), str(n)) for k, n in
            view.stages.sort_values("position", kind="stable")[["key", "name"]]
            .itertuples(index=False)]


def timeline_frame(view: ConsultationView) -> pd.DataFrame:
    """Everything the timeline draws, one row each (TIMELINE_COLUMNS; dates inclusive).

    Lanes run top to bottom: the milestones present, then every stage (dated or not, so the
    plan's shape shows from the start); windows carry lane_order -1 because they shade the
    whole height rather than a lane.
    """
    milestones = _milestones(view)
    present = {r["lane"] for r in milestones}
    lanes = [m for m in MILESTONE_LANES if m in present] + stage_lanes(view)
    order = {lane: i for i, lane in enumerate(lanes)}
    rows = milestones + _stages(view)
    for r in rows:
        r["lane_order"] = order[r["lane"]]
    for r in _windows(view):
        r["lane_order"] = -1
        rows.append(r)
    frame = pd.DataFrame(rows, columns=TIMELINE_COLUMNS)
    frame["breach"] = frame["breach"].astype(bool)
    frame["lane_order"] = frame["lane_order"].astype("int64")
    return frame


def lanes_of(frame: pd.DataFrame, view: ConsultationView | None = None) -> list[str]:
    """The lanes top to bottom: the milestones drawn, then the stages: every stage, dated or
    not, when the view is given and any stage is dated (so the plan's shape shows as it is
    filled in); else only those drawn (none while no stage has a date: eight empty rows would
    only push the statutory clock apart)."""
    drawn = frame.loc[frame["lane_order"] >= 0].sort_values("lane_order", kind="stable")
    lanes = drawn["lane"].drop_duplicates().tolist()
    milestones = [lane for lane in lanes if lane in MILESTONE_LANES]
    stages = [lane for lane in lanes if lane not in MILESTONE_LANES]
    if view is not None and stages:
        stages = stage_lanes(view)
    return milestones + stages


def _span(frame: pd.DataFrame, today: dt.date) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The axis: every date drawn and today, with a little room either side."""
    days = [d for d in pd.concat([frame["start"], frame["end"]]) if d is not None]
    days.append(today)
    low, high = min(days), max(days)
    pad = max(7, (high - low).days // 20)
    return (pd.Timestamp(low - dt.timedelta(days=pad)),
            pd.Timestamp(high + dt.timedelta(days=pad + 1)))


def timeline_chart(frame: pd.DataFrame, today: dt.date, *,
                   lanes: list[str] | None = None) -> alt.LayerChart:
    """The Gantt: shaded windows, stage bars (actual dates as a thin dark bar inside),
    milestone diamonds with their dates, breaches in red, and today's dashed line.

    `lanes` fixes the lanes and their order (default: those in the frame); pass
    `lanes_of(frame, view)` to keep undated stages on the chart.
    """
    lanes = lanes or lanes_of(frame)
    data = frame.copy()
    data["from"] = [pd.Timestamp(d) for d in data["start"]]
    # Bars end after their last day (dates are inclusive), so a one-day stage still shows.
    data["to"] = [pd.Timestamp(d + dt.timedelta(days=1)) for d in data["end"]]
    data["from_text"] = [long_date(d, "") for d in data["start"]]
    data["to_text"] = [long_date(d, "") for d in data["end"]]
    data = data.drop(columns=["start", "end"])
    low, high = _span(frame, today)
    x_scale = alt.Scale(domain=[low.isoformat(), high.isoformat()])
    x_axis = alt.Axis(format="%b %Y", tickCount="month", labelAngle=0, grid=True,
                      gridColor="#eef0f2", labelOverlap="greedy", title=None, orient="top")
    y = alt.Y("lane:N", sort=lanes, title=None,
              scale=alt.Scale(domain=lanes, paddingInner=0.25, paddingOuter=0.2),
              axis=alt.Axis(labelLimit=LABEL_LIMIT, labelFontSize=12, ticks=False,
                            domain=False, labelPadding=8))
    tooltip = [alt.Tooltip("lane:N", title="Row"), alt.Tooltip("from_text:N", title="From"),
               alt.Tooltip("to_text:N", title="To"), alt.Tooltip("status:N", title="Status"),
               alt.Tooltip("detail:N", title="Detail")]
    point_tooltip = [alt.Tooltip("lane:N", title="Milestone"),
                     alt.Tooltip("from_text:N", title="Date"),
                     alt.Tooltip("detail:N", title="Detail")]

    windows = data[data["kind"].isin([WINDOW, BREACH_WINDOW])]
    stages = data[data["kind"] == PLANNED]
    actuals = data[data["kind"] == ACTUAL]
    points = data[data["kind"] == MILESTONE]

    shade = alt.Chart(windows).mark_rect(opacity=0.28).encode(
        x=alt.X("from:T", scale=x_scale, axis=x_axis), x2="to:T",
        color=alt.Color("label:N", title="Statutory window", scale=alt.Scale(
            domain=windows["label"].tolist() or ["none"],
            range=[WINDOW_COLOURS[k] for k in windows["kind"]] or [GREY]),
            legend=alt.Legend(orient="bottom", direction="vertical", labelLimit=420)),
        tooltip=[alt.Tooltip("label:N", title="Window"), alt.Tooltip("from_text:N", title="From"),
                 alt.Tooltip("to_text:N", title="To"), alt.Tooltip("detail:N", title="Detail")])
    bars = alt.Chart(stages).mark_bar(size=16, cornerRadius=3).encode(
        x=alt.X("from:T", scale=x_scale, axis=x_axis), x2="to:T", y=y,
        color=alt.Color("status:N", title="Stage status", scale=alt.Scale(
            domain=list(STATUS_COLOURS), range=list(STATUS_COLOURS.values())),
            legend=alt.Legend(orient="bottom", direction="horizontal") if len(stages) else None),
        tooltip=tooltip)
    actual = alt.Chart(actuals).mark_bar(size=5, color=TEXT).encode(
        x=alt.X("from:T", scale=x_scale, axis=x_axis), x2="to:T", y=y, tooltip=tooltip)
    marks = alt.Chart(points).encode(
        x=alt.X("from:T", scale=x_scale, axis=x_axis), y=y,
        color=alt.Color("breach:N", legend=None,
                        scale=alt.Scale(domain=[False, True], range=[TEXT, RED])),
        tooltip=point_tooltip)
    diamonds = marks.mark_point(shape="diamond", filled=True, size=150, opacity=1)
    labels = marks.mark_text(align="left", baseline="middle", dx=10, fontSize=12,
                             fontWeight=500).encode(text="from_text:N")
    today_data = pd.DataFrame({"day": [pd.Timestamp(today)], "label": ["Today"],
                               "text": [f"Today, {long_date(today)}"]})
    rule = alt.Chart(today_data).mark_rule(color=RED, strokeDash=[5, 4], strokeWidth=1.5).encode(
        x=alt.X("day:T", scale=x_scale, axis=x_axis),
        tooltip=[alt.Tooltip("text:N", title="Today")])
    today_label = alt.Chart(today_data).mark_text(
        color=RED, fontSize=12, fontWeight=600, align="left", dx=4, baseline="bottom").encode(
        x=alt.X("day:T", scale=x_scale, axis=x_axis), y=alt.value(-2), text="label:N")

    # Today's line under the bars and labels, so a date written across it stays readable.
    layers = [shade, rule, bars, actual, diamonds, labels, today_label]
    return (
        alt.layer(*layers)
        .resolve_scale(color="independent")
        .properties(height=max(1, len(lanes)) * LANE_HEIGHT, width="container",
                    autosize=alt.AutoSizeParams(type="fit-x", contains="padding"),
                    padding={"top": 18, "left": 4, "right": 12, "bottom": 4})
        .configure_axis(labelFontSize=12, titleFontSize=12, labelColor=TEXT)
        .configure_view(strokeWidth=0)
        .configure_legend(labelFontSize=12, titleFontSize=12, symbolStrokeWidth=0,
                          labelColor=TEXT, titleColor=TEXT)
    )
