"""Milestones as an iCalendar file (RFC 5545) that Outlook, Google and Apple calendars import.

Every event is all-day: DTSTART and DTEND carry VALUE=DATE and DTEND is the day after the last
day (RFC 5545 §3.6.1: the end is exclusive), which is how Outlook reads a one-day or multi-day
all-day event. UIDs are built from the option or cohort id and the step's key, so importing
the file again updates the events rather than duplicating them. No personal data goes in: the
latest notice date is the earliest of everyone's, with no names.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd
from icalendar import Calendar, Event

from planner.core.values import as_date, long_date

if TYPE_CHECKING:
    from planner.legal.consultation import ConsultationView

PRODID = "-//Workforce restructure planner//EN"
UID_DOMAIN = "workforce-planner"


@dataclass(frozen=True)
class CalendarEvent:
    """One all-day event; `end` is the last day (inclusive), None for a one-day event."""

    uid: str
    title: str
    start: dt.date
    end: dt.date | None = None
    description: str = ""


def ics_bytes(events: Iterable[CalendarEvent], *, calendar_name: str,
              stamp: dt.datetime | None = None) -> bytes:
    """The events as an iCalendar file: all-day VEVENTs with VALUE=DATE, DTEND exclusive.

    `stamp` is the DTSTAMP of every event (when the file was made; default now, UTC). An
    event whose end is before its start is written as one day, on its start.
    """
    stamp = stamp or dt.datetime.now(dt.UTC)
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", calendar_name)
    for e in events:
        last = e.end if e.end is not None and e.end >= e.start else e.start
        event = Event()
        event.add("uid", e.uid)
        event.add("dtstamp", stamp)
        event.add("summary", e.title)
        event.add("dtstart", e.start)
        event.add("dtend", last + dt.timedelta(days=1))
        if e.description:
            event.add("description", e.description)
        event.add("transp", "TRANSPARENT")  # all-day markers: do not block the day as busy
        cal.add_component(event)
    return cal.to_ical()


def _uid(*parts: object) -> str:
    return "-".join(str(p) for p in parts) + f"@{UID_DOMAIN}"


def consultation_events(view: ConsultationView) -> list[CalendarEvent]:
    """An option's consultation as events: each stage with planned dates (start to end, or
    the one date given), the launch, the earliest lawful first dismissal (s.188(1A)), the HR1
    deadline (s.193), the planned first dismissal, and the latest date to give notice (the
    earliest of the people at risk, ERA 1996 s.86; only when the view holds the people)."""
    sid = view.structure_id
    name = view.structure_name
    events: list[CalendarEvent] = []
    for key, stage, start, end, owner, notes in zip(
            view.stages["key"], view.stages["name"], view.stages["planned_start"],
            view.stages["planned_end"], view.stages["owner"], view.stages["notes"],
            strict=True):
        first, last = as_date(start), as_date(end)
        if first is None and last is None:
            continue
        text = "; ".join(t for t in (f"Owner: {owner}" if owner else "", notes) if t)
        events.append(CalendarEvent(uid=_uid("consultation", sid, "stage", key),
                                    title=f"{name}: {stage}", start=first or last,
                                    end=last if first is not None else None,
                                    description=text))
    plan, check = view.plan, view.check
    if plan.launch_on is not None:
        events.append(CalendarEvent(
            uid=_uid("consultation", sid, "launch"), title=f"{name}: consultation begins",
            start=plan.launch_on,
            description="The s.188(4) information reaches the representatives (TULRCA 1992 "
                        "s.188(4)): consultation begins on this day."))
    if check is not None and check.earliest_first_dismissal is not None:
        events.append(CalendarEvent(
            uid=_uid("consultation", sid, "earliest-first-dismissal"),
            title=f"{name}: earliest lawful first dismissal", start=check.earliest_first_dismissal,
            description=f"{check.minimum_days} days after consultation began (TULRCA 1992 "
                        f"s.188(1A))." if check.applies else
                        f"{check.minimum_days} days after consultation began (local agreement)."))
    if check is not None and check.hr1_deadline is not None:
        events.append(CalendarEvent(
            uid=_uid("consultation", sid, "hr1-deadline"), title=f"{name}: HR1 deadline",
            start=check.hr1_deadline,
            description="Last day for the Redundancy Payments Service to receive HR1, and before "
                        "any notice of dismissal (TULRCA 1992 s.193)."))
    if plan.first_dismissal_on is not None:
        events.append(CalendarEvent(
            uid=_uid("consultation", sid, "first-dismissal"),
            title=f"{name}: planned first dismissal", start=plan.first_dismissal_on))
    if view.people is not None and plan.first_dismissal_on is not None:
        dates = [d for d in (as_date(v) for v in view.people["latest_notice_date"]) if d]
        if dates:
            events.append(CalendarEvent(
                uid=_uid("consultation", sid, "latest-notice"),
                title=f"{name}: latest date to give notice", start=min(dates),
                description="The earliest of the latest dates to give statutory notice (ERA 1996 "
                            "s.86) for the planned first dismissal."))
    return events


def cohort_events(cohort_name: str, cohort_id: int,
                  milestones: pd.DataFrame) -> list[CalendarEvent]:
    """A TUPE cohort's milestones (planner.legal.tupe.cohort_milestones' frame) as one-day events on
    their due dates, with the regulation that requires each and whether it is done."""
    events = []
    for key, name, due, done, rule in zip(milestones["key"], milestones["name"],
                                          milestones["due"], milestones["done_on"],
                                          milestones["rule"], strict=True):
        day = as_date(due)
        if day is None:
            continue
        finished = as_date(done)
        status = f"Done on {long_date(finished)}. " if finished else ""
        events.append(CalendarEvent(uid=_uid("tupe", cohort_id, key),
                                    title=f"{cohort_name}: {name}", start=day,
                                    description=f"{status}{rule}"))
    return events
