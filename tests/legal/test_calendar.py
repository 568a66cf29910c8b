"""The iCalendar export: parsed back with icalendar, every date checked by hand."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from icalendar import Calendar

from planner.legal import consultation as c
from planner.legal import consultation_rules as rules
from planner.legal import tupe, tupe_rules
from planner.legal.calendar import CalendarEvent, cohort_events, consultation_events, ics_bytes

D = dt.date
STAMP = dt.datetime(2026, 5, 1, 9, 30, tzinfo=dt.UTC)


def _parse(data: bytes) -> dict[str, dict]:
    cal = Calendar.from_ical(data)
    out = {}
    for e in cal.walk("VEVENT"):
        out[str(e["UID"])] = {"summary": str(e["SUMMARY"]), "start": e.decoded("DTSTART"),
                              "end": e.decoded("DTEND"), "stamp": e.decoded("DTSTAMP"),
                              "value": e["DTSTART"].params.get("VALUE"),
                              "end_value": e["DTEND"].params.get("VALUE"),
                              "description": str(e.get("DESCRIPTION", ""))}
    return out


@pytest.mark.parametrize(
    ("start", "end", "dtend"),
    [
        (D(2026, 5, 4), None, D(2026, 5, 5)),  # one day: DTEND is the next day (exclusive)
        (D(2026, 5, 4), D(2026, 5, 4), D(2026, 5, 5)),
        (D(2026, 5, 4), D(2026, 6, 3), D(2026, 6, 4)),  # 31 days, 4 May to 3 June inclusive
        (D(2026, 12, 31), D(2026, 12, 31), D(2027, 1, 1)),  # across a year end
        (D(2026, 5, 4), D(2026, 5, 1), D(2026, 5, 5)),  # end before start: one day
    ],
)
def test_all_day_events_with_exclusive_end(start, end, dtend):
    """Catches: an inclusive DTEND (Outlook would show one day short), timed events instead of
    VALUE=DATE, or a missing DTSTAMP."""
    data = ics_bytes([CalendarEvent(uid="x-1@test", title="Step", start=start, end=end)],
                     calendar_name="Plan", stamp=STAMP)
    text = data.decode()
    assert "BEGIN:VCALENDAR" in text and "VERSION:2.0" in text and "PRODID:" in text
    assert f"DTSTART;VALUE=DATE:{start:%Y%m%d}" in text
    assert f"DTEND;VALUE=DATE:{dtend:%Y%m%d}" in text
    assert "DTSTAMP:20260501T093000Z" in text
    event = _parse(data)["x-1@test"]
    assert (event["start"], event["end"]) == (start, dtend)
    assert type(event["start"]) is dt.date and type(event["end"]) is dt.date
    assert (event["value"], event["end_value"]) == ("DATE", "DATE")


def test_calendar_name_and_escaping():
    """Catches: text with commas or semicolons breaking the file, or no calendar name."""
    data = ics_bytes([CalendarEvent(uid="u@t", title="Launch; HR1, letter", start=D(2026, 5, 4),
                                    description="Line one\nLine two")],
                     calendar_name="Option A, consultation", stamp=STAMP)
    cal = Calendar.from_ical(data)
    assert str(cal["X-WR-CALNAME"]) == "Option A, consultation"
    event = _parse(data)["u@t"]
    assert event["summary"] == "Launch; HR1, letter"
    assert event["description"] == "Line one\nLine two"


def test_cohort_events_from_the_milestones_frame():
    """Catches: milestones dated wrongly, UIDs that change between exports (Outlook would
    duplicate every event), or a done date lost."""
    transfer = D(2026, 4, 1)
    steps = tupe_rules.milestones(transfer)
    frame = pd.DataFrame([{"id": i, "key": m.key, "name": m.name, "due": m.due,
                           "done_on": D(2026, 2, 3) if m.key == "measures_letter" else None,
                           "rule": m.rule, "status": ""} for i, m in enumerate(steps, 1)],
                         columns=tupe.MILESTONE_COLUMNS)
    events = cohort_events("Capita to Brent, 1 April 2026", 7, frame)
    parsed = _parse(ics_bytes(events, calendar_name="TUPE", stamp=STAMP))
    assert {uid: e["start"] for uid, e in parsed.items()} == {
        "tupe-7-measures_letter@workforce-planner": D(2026, 2, 3),
        "tupe-7-inform@workforce-planner": D(2026, 2, 4),  # 8 weeks before
        "tupe-7-eli@workforce-planner": D(2026, 3, 4),  # 28 days before (reg 11(6))
        "tupe-7-consult@workforce-planner": D(2026, 3, 31),
        "tupe-7-payroll@workforce-planner": D(2026, 4, 1),
        "tupe-7-pension@workforce-planner": D(2026, 4, 1),
        "tupe-7-particulars@workforce-planner": D(2026, 4, 1),
        "tupe-7-eto@workforce-planner": D(2026, 4, 1),
    }
    letter = parsed["tupe-7-measures_letter@workforce-planner"]
    assert letter["description"].startswith("Done on 3 Feb 2026. TUPE 2006 reg 13(4)")
    assert letter["summary"].startswith("Capita to Brent, 1 April 2026: Measures letter")
    again = [e.uid for e in cohort_events("Capita to Brent, 1 April 2026", 7, frame)]
    assert again == [e.uid for e in events]


def _view(**kw) -> c.ConsultationView:
    stages = pd.DataFrame([{"id": None, "key": k, "position": i, "name": n,
                            "planned_start": None, "planned_end": None, "actual_start": None,
                            "actual_end": None, "owner": "", "status": "not started", "notes": "",
                            "version": 0, "overdue": False}
                           for i, (k, n) in enumerate(c.STAGE_TEMPLATE, 1)],
                          columns=c.STAGE_COLUMNS)
    stages.loc[stages["key"] == "consultation", ["planned_start", "planned_end", "owner"]] = [
        D(2026, 3, 2), D(2026, 4, 1), "Head of HR"]
    stages.loc[stages["key"] == "appeals", "planned_end"] = D(2026, 5, 15)
    plan = c.PlanFields(launch_on=D(2026, 3, 2), first_dismissal_on=D(2026, 4, 2))
    check = rules.check_plan(proposed=20, launch=plan.launch_on,
                         first_dismissal=plan.first_dismissal_on)
    people = pd.DataFrame([{"latest_notice_date": D(2026, 1, 8)},
                           {"latest_notice_date": D(2026, 3, 5)},
                           {"latest_notice_date": None}])
    base = dict(structure_id=5, structure_name="Option A", structure_status="published",
                plan=plan, employees=40, proposed=20, agency_workers=1, local_minimum_days=None,
                check=check, planned_first_dismissal=plan.first_dismissal_on,
                exposure_pence=0, exposure_days=90, breaches=[], warnings=[], stages=stages,
                descriptions=pd.DataFrame(), agency=pd.DataFrame(), people=people,
                today=D(2026, 2, 1))
    return c.ConsultationView(**{**base, **kw})


def test_consultation_events_carry_the_statutory_dates():
    """Catches: a stage's planned end written inclusive, the wrong deadline dates, or the latest
    notice date not the earliest of everyone's."""
    parsed = _parse(ics_bytes(consultation_events(_view()), calendar_name="Option A",
                              stamp=STAMP))
    dates = {uid.split("@")[0]: (e["start"], e["end"]) for uid, e in parsed.items()}
    assert dates == {
        "consultation-5-stage-consultation": (D(2026, 3, 2), D(2026, 4, 2)),
        "consultation-5-stage-appeals": (D(2026, 5, 15), D(2026, 5, 16)),
        "consultation-5-launch": (D(2026, 3, 2), D(2026, 3, 3)),
        # 20 proposed: 30 days from 2 March is 1 April; HR1 30 days before the 2 April dismissal
        "consultation-5-earliest-first-dismissal": (D(2026, 4, 1), D(2026, 4, 2)),
        "consultation-5-hr1-deadline": (D(2026, 3, 3), D(2026, 3, 4)),
        "consultation-5-first-dismissal": (D(2026, 4, 2), D(2026, 4, 3)),
        "consultation-5-latest-notice": (D(2026, 1, 8), D(2026, 1, 9)),
    }
    assert parsed["consultation-5-stage-consultation@workforce-planner"]["description"] == (
        "Owner: Head of HR")


def test_consultation_events_without_people_or_launch():
    """Catches: a union rep's export (no people) failing, or events for dates not yet set."""
    view = _view(people=None, plan=c.PlanFields(), check=None, planned_first_dismissal=None)
    uids = [e.uid.split("@")[0] for e in consultation_events(view)]
    assert uids == ["consultation-5-stage-consultation", "consultation-5-stage-appeals"]
