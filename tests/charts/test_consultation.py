"""The consultation timeline (planner/charts/consultation.py): what is drawn, on which day,
and in red when; then that the chart's spec carries every layer.

Views are built by hand from planner.legal.consultation's own dataclasses and check_plan, so the
dates below are counted by hand: launch 1 March 2027 with 25 proposed dismissals gives an
earliest lawful first dismissal of 31 March (day 0 + 30) and, for a first dismissal on
25 March, an HR1 deadline of 23 February (25 March − 30 days).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
import pytest

from planner.charts import consultation as cc
from planner.legal.consultation import (
    STAGE_COLUMNS,
    STAGE_TEMPLATE,
    ConsultationView,
    PlanFields,
    stage_overdue,
)
from planner.legal.consultation_rules import check_plan

D = dt.date
TODAY = D(2027, 3, 20)
LAUNCH = D(2027, 3, 1)


def _stages(dated: dict[str, tuple[Any, ...]] | None = None, today: dt.date = TODAY
            ) -> pd.DataFrame:
    """The template's eight stages; `dated` gives some (planned_start, planned_end,
    actual_start, actual_end, status)."""
    dated = dated or {}
    rows = []
    for i, (key, name) in enumerate(STAGE_TEMPLATE, start=1):
        ps, pe, as_, ae, status = dated.get(key, (None, None, None, None, "not started"))
        rows.append({"id": i, "key": key, "position": i, "name": name, "planned_start": ps,
                     "planned_end": pe, "actual_start": as_, "actual_end": ae,
                     "owner": "Harriet" if key == "launch" else "", "status": status,
                     "notes": "", "version": 1, "overdue": stage_overdue(pe, status, today)})
    return pd.DataFrame(rows, columns=STAGE_COLUMNS)


def _view(*, launch: dt.date | None = LAUNCH, first: dt.date | None = D(2027, 3, 25),
          hr1: dt.date | None = None, notices: dt.date | None = None, proposed: int = 25,
          latest: list[dt.date] | None = None, people: bool = True,
          local: int | None = None, stages: pd.DataFrame | None = None,
          today: dt.date = TODAY) -> ConsultationView:
    plan = PlanFields(launch_on=launch, first_dismissal_on=first, hr1_sent_on=hr1,
                      notices_issued_on=notices, version=1)
    check = None if launch is None else check_plan(
        proposed=proposed, launch=launch, first_dismissal=first, hr1_sent=hr1,
        notices_issued=notices, local_minimum_days=local)
    frame = None
    if people:
        days = latest if latest is not None else [D(2027, 1, 1), D(2027, 2, 25)]
        frame = pd.DataFrame({"latest_notice_date": days + [None]})  # + an agency worker
    planned = first or (check.earliest_first_dismissal if check else None)
    return ConsultationView(
        structure_id=7, structure_name="Option B", structure_status="draft", plan=plan,
        employees=90, proposed=proposed, agency_workers=3, local_minimum_days=local,
        check=check, planned_first_dismissal=planned, exposure_pence=0, exposure_days=90,
        breaches=list(check.breaches) if check else [], warnings=[],
        stages=_stages(today=today) if stages is None else stages,
        descriptions=pd.DataFrame(), agency=pd.DataFrame(), people=frame, today=today)


def _milestones(frame: pd.DataFrame) -> dict[str, tuple[dt.date, bool]]:
    rows = frame[frame["kind"] == cc.MILESTONE]
    return {r.lane: (r.start, bool(r.breach)) for r in rows.itertuples()}


def test_a_first_dismissal_inside_the_minimum_period_is_drawn_red():
    """Catches: milestones on the wrong day, a breach drawn black, or the minimum period
    shaded one day too long or short (it ends the day before the earliest dismissal)."""
    frame = cc.timeline_frame(_view())
    assert _milestones(frame) == {
        cc.LAUNCH: (D(2027, 3, 1), False),
        cc.HR1_DEADLINE: (D(2027, 2, 23), True),  # passed (before 20 March) with no HR1
        cc.EARLIEST: (D(2027, 3, 31), False),
        cc.PLANNED_DISMISSAL: (D(2027, 3, 25), True),  # 24 days after the launch, not 30
        cc.LATEST_NOTICE: (D(2027, 1, 1), True),  # the earliest person's, passed, no notices
    }
    windows = frame[frame["lane_order"] == -1]
    assert [(r.kind, r.start, r.end, bool(r.breach)) for r in windows.itertuples()] == [
        (cc.WINDOW, D(2027, 3, 1), D(2027, 3, 30), False),
        (cc.BREACH_WINDOW, D(2027, 3, 25), D(2027, 3, 30), True),
    ]
    assert windows.iloc[0]["label"] == "Minimum consultation period: 30 days (s.188)"
    assert frame.loc[frame["lane"] == cc.PLANNED_DISMISSAL, "label"].item() == "25 Mar 2027"


def _breaches(**kw: Any) -> dict[str, bool]:
    return {lane: breach for lane, (_, breach) in _milestones(cc.timeline_frame(_view(**kw)))
            .items()}


# Each rule lawful by exactly one day and unlawful by exactly one day. First dismissal
# 31 March 2027 (lawful: launch + 30) unless stated, so the HR1 deadline is 1 March.
@pytest.mark.parametrize(("case", "kw", "lane", "red"), [
    ("planned on the earliest day", {"first": D(2027, 3, 31)}, cc.PLANNED_DISMISSAL, False),
    ("planned a day early", {"first": D(2027, 3, 30)}, cc.PLANNED_DISMISSAL, True),
    ("HR1 on its deadline", {"first": D(2027, 3, 31), "hr1": D(2027, 3, 1)},
     cc.HR1_RECEIVED, False),
    ("HR1 a day late", {"first": D(2027, 3, 31), "hr1": D(2027, 3, 2)}, cc.HR1_RECEIVED, True),
    ("deadline today, no HR1", {"first": D(2027, 3, 31), "today": D(2027, 3, 1)},
     cc.HR1_DEADLINE, False),
    ("deadline yesterday, no HR1", {"first": D(2027, 3, 31), "today": D(2027, 3, 2)},
     cc.HR1_DEADLINE, True),
    ("deadline passed but HR1 in", {"first": D(2027, 3, 31), "hr1": D(2027, 2, 20)},
     cc.HR1_DEADLINE, False),
    ("notices the day after HR1", {"first": D(2027, 3, 31), "hr1": D(2027, 2, 20),
                                   "notices": D(2027, 2, 21), "latest": [D(2027, 3, 3)]},
     cc.NOTICES, False),
    ("notices the day HR1 arrived", {"first": D(2027, 3, 31), "hr1": D(2027, 2, 20),
                                     "notices": D(2027, 2, 20), "latest": [D(2027, 3, 3)]},
     cc.NOTICES, True),
    ("notices with no HR1", {"first": D(2027, 3, 31), "notices": D(2027, 2, 20),
                             "latest": [D(2027, 3, 3)]}, cc.NOTICES, True),
    ("notices on the latest day", {"first": D(2027, 3, 31), "hr1": D(2027, 2, 20),
                                   "notices": D(2027, 3, 3), "latest": [D(2027, 3, 3)]},
     cc.LATEST_NOTICE, False),
    ("notices a day after it", {"first": D(2027, 3, 31), "hr1": D(2027, 2, 20),
                                "notices": D(2027, 3, 4), "latest": [D(2027, 3, 3)]},
     cc.LATEST_NOTICE, True),
    ("latest notice today, none issued", {"first": D(2027, 3, 31), "latest": [TODAY]},
     cc.LATEST_NOTICE, False),
    ("latest notice yesterday, none issued",
     {"first": D(2027, 3, 31), "latest": [TODAY - dt.timedelta(days=1)]},
     cc.LATEST_NOTICE, True),
])
def test_each_milestone_turns_red_exactly_when_its_rule_is_broken(case, kw, lane, red):
    """Catches: an off-by-one in any rule (s.188(1A), s.193(1)-(2), ERA s.86) as drawn."""
    assert _breaches(**kw)[lane] is red, case


def test_a_lawful_first_dismissal_leaves_no_red_window():
    """Catches: the breach window drawn whenever a first dismissal is planned."""
    frame = cc.timeline_frame(_view(first=D(2027, 3, 31)))
    assert frame.loc[frame["lane_order"] == -1, "kind"].tolist() == [cc.WINDOW]


def test_without_a_launch_only_the_stages_are_drawn():
    """Catches: milestones or a window invented from a missing launch date."""
    stages = _stages({"business_case": (D(2027, 1, 4), D(2027, 2, 26), None, None,
                                        "in progress")})
    view = _view(launch=None, first=None, stages=stages)
    frame = cc.timeline_frame(view)
    assert frame["kind"].tolist() == [cc.PLANNED]
    assert cc.lanes_of(frame, view) == list(cc.STAGE_LABELS.values())


def test_stage_bars_planned_actual_and_overdue():
    """Catches: overdue stages not red, an ongoing stage's actual bar not reaching today,
    a stage with only an end date dropped, or undated stages losing their lane."""
    stages = _stages({
        "business_case": (D(2027, 1, 4), D(2027, 2, 26), D(2027, 1, 6), D(2027, 2, 26), "done"),
        "consultation": (D(2027, 3, 1), D(2027, 4, 9), D(2027, 3, 1), None, "in progress"),
        "final_structure": (D(2027, 3, 10), D(2027, 3, 15), None, None, "not started"),
        "appeals": (None, D(2027, 6, 1), None, None, "not started"),
    })
    view = _view(stages=stages)
    frame = cc.timeline_frame(view)
    bars = frame[frame["kind"].isin([cc.PLANNED, cc.ACTUAL])]
    got = [(r.lane, r.kind, r.start, r.end, r.status, bool(r.breach))
           for r in bars.itertuples()]
    assert got == [
        ("Business case", cc.PLANNED, D(2027, 1, 4), D(2027, 2, 26), "done", False),
        ("Business case", cc.ACTUAL, D(2027, 1, 6), D(2027, 2, 26), "done", False),
        ("Consultation period", cc.PLANNED, D(2027, 3, 1), D(2027, 4, 9), "in progress", False),
        ("Consultation period", cc.ACTUAL, D(2027, 3, 1), TODAY, "in progress", False),
        ("Final structure published", cc.PLANNED, D(2027, 3, 10), D(2027, 3, 15), cc.OVERDUE,
         True),
        ("Appeals", cc.PLANNED, D(2027, 6, 1), D(2027, 6, 1), "not started", False),
    ]
    lanes = cc.lanes_of(frame, view)
    # Milestones first (the statutory clock), then all eight stages in template order.
    assert lanes[:5] == [cc.LAUNCH, cc.HR1_DEADLINE, cc.EARLIEST, cc.PLANNED_DISMISSAL,
                         cc.LATEST_NOTICE]
    assert lanes[5:] == list(cc.STAGE_LABELS.values())
    orders = frame[frame["lane_order"] >= 0].groupby("lane")["lane_order"].first()
    assert [orders[lane] for lane in lanes if lane in orders] == sorted(orders)


def test_undated_stages_take_no_lanes_until_one_is_dated():
    """Catches: eight empty stage rows drawn under the statutory clock before any stage has
    a date."""
    view = _view()
    frame = cc.timeline_frame(view)
    assert cc.lanes_of(frame, view) == [cc.LAUNCH, cc.HR1_DEADLINE, cc.EARLIEST,
                                        cc.PLANNED_DISMISSAL, cc.LATEST_NOTICE]


def test_without_the_people_list_there_is_no_latest_notice_date():
    """Catches: a union rep's chart showing (or failing on) the personal notice dates."""
    lanes = set(cc.timeline_frame(_view(people=False))["lane"])
    assert cc.LATEST_NOTICE not in lanes and cc.LAUNCH in lanes


def test_a_local_minimum_below_twenty_is_shaded_with_no_hr1():
    """Catches: the local agreement's period labelled as s.188, or an HR1 deadline below 20."""
    frame = cc.timeline_frame(_view(proposed=5, local=14, first=D(2027, 3, 15)))
    window = frame[frame["kind"] == cc.WINDOW].iloc[0]
    assert window["label"] == "Minimum consultation period: 14 days (local agreement)"
    assert (window["start"], window["end"]) == (D(2027, 3, 1), D(2027, 3, 14))
    assert cc.HR1_DEADLINE not in set(frame["lane"])
    assert _milestones(frame)[cc.PLANNED_DISMISSAL] == (D(2027, 3, 15), False)


def test_below_twenty_with_no_local_minimum_there_is_no_window():
    """Catches: a window or an earliest date drawn where no clock applies."""
    frame = cc.timeline_frame(_view(proposed=19, first=D(2027, 3, 2)))
    assert not (frame["lane_order"] == -1).any()
    assert cc.EARLIEST not in set(frame["lane"])
    assert _milestones(frame)[cc.PLANNED_DISMISSAL] == (D(2027, 3, 2), False)



def _layers(spec: dict[str, Any]) -> list[dict[str, Any]]:
    return spec["layer"]


def _data(spec: dict[str, Any], layer: dict[str, Any]) -> list[dict[str, Any]]:
    return spec["datasets"][layer["data"]["name"]]


def _mark(layer: dict[str, Any]) -> str:
    mark = layer["mark"]
    return mark if isinstance(mark, str) else mark["type"]


def test_the_chart_has_every_layer_with_its_rows():
    """Catches: a layer missing (windows, bars, actuals, milestones, labels, today), rows in
    the wrong layer, the today line on the wrong day, or lanes out of order."""
    stages = _stages({"consultation": (D(2027, 3, 1), D(2027, 4, 9), D(2027, 3, 1), None,
                                       "in progress")})
    view = _view(stages=stages)
    frame = cc.timeline_frame(view)
    lanes = cc.lanes_of(frame, view)
    spec = cc.timeline_chart(frame, TODAY, lanes=lanes).to_dict()
    layers = _layers(spec)
    assert [_mark(layer) for layer in layers] == ["rect", "rule", "bar", "bar", "point", "text",
                                                  "text"]
    shade, rule, bars, actual, diamonds, labels, today = layers
    assert [r["kind"] for r in _data(spec, shade)] == [cc.WINDOW, cc.BREACH_WINDOW]
    assert [r["lane"] for r in _data(spec, bars)] == ["Consultation period"]
    assert [r["to_text"] for r in _data(spec, actual)] == ["20 Mar 2027"]
    assert len(_data(spec, diamonds)) == 5 and diamonds["mark"]["shape"] == "diamond"
    assert labels["encoding"]["text"]["field"] == "from_text"
    assert [r["label"] for r in _data(spec, today)] == ["Today"]
    assert _data(spec, rule)[0]["day"].startswith("2027-03-20")
    # Breaches red, the rest dark; the lanes fixed in order (undated stages kept).
    colour = diamonds["encoding"]["color"]["scale"]
    assert colour["domain"] == [False, True] and colour["range"] == [cc.TEXT, cc.RED]
    assert bars["encoding"]["y"]["scale"]["domain"] == lanes
    assert len(lanes) == 13
    # Readable: months as "Mar 2027", tooltips on the bars, the column's full width.
    assert bars["encoding"]["x"]["axis"]["format"] == "%b %Y"
    assert {t["title"] for t in bars["encoding"]["tooltip"]} >= {"From", "To", "Status"}
    assert spec["width"] == "container"
    assert spec["height"] == 13 * cc.LANE_HEIGHT
    # The axis runs from before the earliest date drawn to after the last, today included.
    low, high = bars["encoding"]["x"]["scale"]["domain"]
    assert low < "2027-01-01" and high > "2027-04-09"


def test_the_chart_of_stages_alone_still_builds():
    """Catches: the chart failing with no windows or milestones (no launch date yet)."""
    stages = _stages({"business_case": (D(2027, 1, 4), D(2027, 2, 26), None, None,
                                        "not started")})
    view = _view(launch=None, first=None, stages=stages)
    frame = cc.timeline_frame(view)
    spec = cc.timeline_chart(frame, TODAY, lanes=cc.lanes_of(frame, view)).to_dict()
    assert _data(spec, spec["layer"][2])[0]["status"] == cc.OVERDUE
    assert _data(spec, spec["layer"][4]) == []
