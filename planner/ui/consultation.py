"""The consultation page's wiring: which options a role may consult on, the view, the plan
form and the stages editor, the rules panel's sentences and the downloads.

The view is not cached: it is a handful of queries over one option's deleted posts, and the
plan and stages it reads carry their own versions, which the structure's version (the other
pages' cache key) does not follow. Every rule lives in planner.legal.consultation; this module only
arranges its answers for the page (STYLE.md habit 1).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

import pandas as pd
import streamlit as st

from planner.charts.compare import pounds
from planner.charts.consultation import STAGE_LABELS
from planner.core.auth import Actor
from planner.core.errors import NotFound, PermissionDenied, StaleVersion, ValidationFailed
from planner.core.models import STAGE_STATUSES
from planner.core.values import as_date, long_date
from planner.establishment.reference import host_partner_name
from planner.legal import consultation as domain
from planner.legal import consultation_rules as rules
from planner.legal.consultation import ConsultationView, PlanFields
from planner.structures.options import readable_option, readable_options
from planner.ui import format as fmt
from planner.ui.compare import StructureRef, refs_of
from planner.ui.session import database_url, reading, writing

SELECT_KEY = "consultation_option"
FLASH_KEY = "consultation_flash"
PLAN_ERRORS_KEY = "consultation_plan_errors"
STAGE_ERRORS_KEY = "consultation_stage_errors"
EMPLOYER_FALLBACK = "the Council"
TEXT_LIMIT = 4000  # the plan's s.188(4) texts (planner.core.models.ConsultationPlan)
PLAN_TEXTS = (
    ("reasons", "Reasons for the proposals", "s.188(4)(a)"),
    ("selection_method", "Proposed method of selection", "s.188(4)(d)"),
    ("dismissal_method", "Method and period of carrying out the dismissals", "s.188(4)(e)"),
    ("redundancy_pay_method", "Method of calculating redundancy pay (beyond statutory)",
     "s.188(4)(f)"),
)
PLAN_DATES = (
    ("launch_on", "Launch date",
     "The day the s.188(4) written information reached the representatives: consultation "
     "begins on this day (day 0)."),
    ("first_dismissal_on", "Planned first dismissal",
     "The day the first dismissal takes effect. Blank: the earliest lawful day is assumed."),
    ("hr1_sent_on", "HR1 received on",
     "The day the Redundancy Payments Service received form HR1 (not after today)."),
    ("notices_issued_on", "First notice issued on",
     "The day the first individual notice of dismissal was given (not after today)."),
)


# --- which options ---------------------------------------------------------------------------


def options_for(actor: Actor) -> list[StructureRef]:
    """The options on offer: every option (consultation.read is management's; a union rep
    reads the consultation a published draft froze, on the Published drafts page)."""
    with reading() as session:
        return refs_of(readable_options(session=session, actor=actor,
                                        action="consultation.read"))


def empty_message(actor: Actor) -> str:
    return ("There is no option yet. Create one on the Structure options page; its "
            "consultation is planned here.")


def default_selection(refs: list[StructureRef]) -> None:
    """The newest option unless one still listed is already chosen."""
    if st.session_state.get(SELECT_KEY) not in {r.id for r in refs}:
        st.session_state[SELECT_KEY] = refs[-1].id


def load_view(actor: Actor, structure_id: int, today: dt.date) -> ConsultationView:
    """The option's consultation view, cached under `consultation.view_key` (versions of the
    option, the establishment, the plan and the stages; the setting; the day) with the role:
    a rerun for a widget costs one small query, and a save anywhere recomputes."""
    with reading() as session:
        # The permission is asked on every run, never answered from the cache.
        readable_option(session, actor, structure_id, "consultation.read")
        key = domain.view_key(session, structure_id)
    return _view(database_url(), structure_id, key, today, actor.role, _actor=actor)


@st.cache_data(show_spinner="Working out the timetable…", max_entries=16)
def _view(url: str, structure_id: int, key: tuple[Any, ...], today: dt.date, role: str,
          _actor: Actor) -> ConsultationView:
    with reading() as session:
        return domain.consultation_view(session=session, actor=_actor, structure=structure_id,
                                        today=today)


def flash(message: str) -> None:
    st.session_state[FLASH_KEY] = message


def pop_flash() -> str | None:
    return st.session_state.pop(FLASH_KEY, None)


# --- headline and rules ----------------------------------------------------------------------


def minimum_days(view: ConsultationView) -> int | None:
    """The minimum period in force for this count: statutory, else the local one, else None."""
    if view.check is not None:
        return view.check.minimum_days
    return rules.minimum_period_days(view.proposed, local_minimum_days=view.local_minimum_days)


def headline(view: ConsultationView) -> list[tuple[str, str, str]]:
    """(label, value, help) for the figures at the top of the page: five, and the protective
    award's cap as a sixth only where the view holds it (s.188 applies and the viewer may see
    pay: never a union rep, whose view has no such figure)."""
    applies = rules.s188_applies(view.proposed)
    minimum = minimum_days(view)
    if applies:
        applies_text = f"Yes: {minimum} days"
    elif minimum is not None:
        applies_text = f"No (local {minimum} days)"
    else:
        applies_text = "No"
    check = view.check
    no_launch = "Set the launch date"
    return [
        ("Proposed dismissals", fmt.count(view.proposed),
         "Permanent and fixed-term employees in posts the option deletes: the count for "
         "TULRCA s.188 (20 or more within 90 days at one establishment)."),
        ("Agency and interim workers", fmt.count(view.agency_workers),
         "Agency and interim workers in deleted posts: not employees for the count, but "
         "listed in the s.188(4) information."),
        ("s.188 applies", applies_text,
         "Collective consultation of at least 30 days for 20-99 proposed dismissals, 45 for "
         "100 or more (s.188(1A)); below 20, the local agreement's minimum if one is set."),
        ("Earliest lawful first dismissal",
         no_launch if check is None else long_date(check.earliest_first_dismissal, "No minimum"),
         "Launch + the minimum period: the first day a dismissal may take effect."),
        ("HR1 deadline",
         no_launch if check is None else long_date(check.hr1_deadline, "Not required"),
         "The last day the Redundancy Payments Service may receive HR1: 30/45 days before the "
         "first dismissal and before any notice (s.193). Missing it is an offence."),
    ] + ([] if view.exposure_pence is None or view.exposure_days is None else [
        ("Protective award cap", pounds(view.exposure_pence),
         f"If s.188 is not complied with, a tribunal may award each affected employee up to "
         f"{fmt.plural(view.exposure_days, 'day')}' gross pay (TULRCA s.189(4)); this is that "
         f"cap for the {fmt.plural(view.proposed, 'employee')} proposed for dismissal: the "
         "worst case, not a forecast."),
    ])


def all_clear(view: ConsultationView) -> str | None:
    """The success sentence when nothing is wrong, saying what was checked (None before a
    launch date, when nothing could be)."""
    check = view.check
    if check is None or view.breaches:
        return None
    parts = []
    first = view.planned_first_dismissal
    if check.minimum_days is not None and first is not None:
        source = "s.188(1A)" if check.applies else "the local agreement"
        parts.append(f"the first dismissal on {long_date(first)} is at least "
                     f"{check.minimum_days} days after the launch on {long_date(check.launch)} "
                     f"({source})")
    else:
        parts.append(f"with {fmt.plural(view.proposed, 'proposed dismissal')} there is no "
                     "minimum consultation period")
    if check.hr1_deadline is not None:
        hr1 = view.plan.hr1_sent_on
        parts.append(f"HR1 received on {long_date(hr1)}, by its deadline of "
                     f"{long_date(check.hr1_deadline)} (s.193)" if hr1 is not None else
                     f"HR1 is due by {long_date(check.hr1_deadline)} (s.193)")
    notices = view.plan.notices_issued_on
    if notices is not None:
        parts.append(f"notices issued on {long_date(notices)} came after HR1 (s.193)")
        if view.people is not None:
            parts.append("they give everyone at risk their statutory notice before the first "
                         "dismissal (ERA s.86)")
    return "No breaches: " + "; ".join(parts) + "."


# --- the plan form ---------------------------------------------------------------------------


PLAN_PIN_KEY = "consultation_plan_pinned"
STAGES_PIN_KEY = "consultation_stages_pinned"


def pinned_plan(view: ConsultationView) -> PlanFields:
    """The plan as it was when the form was opened: kept until a save or a reload, so the
    version sent back is the one the user read (every click reruns the page and reads the
    plan afresh; using that would let a colleague's save be overwritten unseen)."""
    pins = st.session_state.setdefault(PLAN_PIN_KEY, {})
    return pins.setdefault(view.structure_id, view.plan)


def pinned_stages(view: ConsultationView) -> pd.DataFrame:
    """The stages as the editor first showed them (same reason as pinned_plan; and a fresh
    input would drop the user's unsaved edits, which are kept by position)."""
    pins = st.session_state.setdefault(STAGES_PIN_KEY, {})
    if view.structure_id not in pins:
        pins[view.structure_id] = stage_editor_input(view)
    return pins[view.structure_id]


def unpin(structure_id: int, *, plan: bool = False, stages: bool = False) -> None:
    """Forget what the form or the editor was opened on: the next run reads the saved rows."""
    if plan:
        st.session_state.setdefault(PLAN_PIN_KEY, {}).pop(structure_id, None)
        st.session_state.pop(PLAN_ERRORS_KEY, None)
    if stages:
        st.session_state.setdefault(STAGES_PIN_KEY, {}).pop(structure_id, None)
        st.session_state.pop(STAGE_ERRORS_KEY, None)


def stages_changed(view: ConsultationView, pinned: pd.DataFrame) -> bool:
    """Whether someone saved the stages since the editor was opened."""
    return [int(v) for v in pinned["version"]] != [int(v) for v in stage_editor_input(view)
                                                   ["version"]]


def plan_key(plan: PlanFields, structure_id: int, field: str) -> str:
    """Widget keys per option and the plan version read: a save starts the form afresh from
    what was saved, a refusal keeps what the user typed."""
    return f"consultation_plan_{structure_id}_v{plan.version}_{field}"


def show_plan_errors() -> None:
    _show(PLAN_ERRORS_KEY, "The plan was not saved:")


def show_stage_errors() -> None:
    _show(STAGE_ERRORS_KEY, "The stages were not saved:")


def _show(key: str, headline_text: str) -> None:
    messages = st.session_state.get(key)
    if messages:
        st.error("\n".join([headline_text, *(f"- {fmt.md_escape(m)}" for m in messages)]))


def _messages(exc: Exception) -> list[str]:
    if isinstance(exc, ValidationFailed):
        return [_located(e.column, e.message) for e in exc.errors] or [str(exc)]
    return [str(exc)]


def _located(column: str, message: str) -> str:
    """'Planned end: The planned end, … is before …': the column as the form or table names it."""
    return message if not column else f"{_COLUMN_LABELS.get(column, column)}: {message}"


_COLUMN_LABELS = {
    "establishment": "Establishment", "planned_start": "Planned start",
    "planned_end": "Planned end", "actual_start": "Actual start", "actual_end": "Actual end",
    "owner": "Owner", "status": "Status", "notes": "Notes", "key": "Stage",
    **{f: label for f, label, _ in PLAN_DATES}, **{f: label for f, label, _ in PLAN_TEXTS},
}


def save_plan(actor: Actor, view: ConsultationView, fields: PlanFields,
              today: dt.date) -> bool:
    """Save the plan against the version the form was filled on; on refusal keep every reason
    (the inputs keep what was typed: their keys do not change until a save succeeds)."""
    st.session_state.pop(PLAN_ERRORS_KEY, None)
    try:
        with writing() as session:
            domain.save_plan(session=session, actor=actor, structure=view.structure_id,
                             fields=fields, today=today)
    except (ValidationFailed, StaleVersion, PermissionDenied, NotFound) as exc:
        st.session_state[PLAN_ERRORS_KEY] = _messages(exc)
        return False
    unpin(view.structure_id, plan=True)
    flash(f"Saved the consultation plan of {view.structure_name}.")
    return True


def plan_summary(view: ConsultationView) -> list[tuple[str, str]]:
    """The plan as (label, text) pairs, for the roles that read it (texts may run long, so
    the page writes them out rather than squeezing them into table cells)."""
    plan = view.plan
    rows = [("Establishment", plan.establishment or "not recorded")]
    rows += [(label, long_date(getattr(plan, field), "not set")) for field, label, _ in PLAN_DATES]
    rows += [(f"{label} ({rule})", getattr(plan, field) or "not written yet")
             for field, label, rule in PLAN_TEXTS]
    return rows


# --- the stages ------------------------------------------------------------------------------

STAGE_EDIT_COLUMNS = ["stage", "planned_start", "planned_end", "actual_start", "actual_end",
                      "status", "owner", "notes", "overdue", "name", "key", "version"]
EDITABLE = ("planned_start", "planned_end", "actual_start", "actual_end", "owner", "status",
            "notes")
DATE_COLUMNS = ("planned_start", "planned_end", "actual_start", "actual_end")
DATE_FORMAT = "D MMM YYYY"
STAGE_EDITOR_CONFIG: dict[str, Any] = {
    "stage": st.column_config.TextColumn("Stage", width=185, disabled=True, pinned=True),
    "planned_start": st.column_config.DateColumn("Planned start", format=DATE_FORMAT, width=110),
    "planned_end": st.column_config.DateColumn("Planned end", format=DATE_FORMAT, width=105),
    "actual_start": st.column_config.DateColumn("Actual start", format=DATE_FORMAT, width=105),
    "actual_end": st.column_config.DateColumn("Actual end", format=DATE_FORMAT, width=100),
    "status": st.column_config.SelectboxColumn("Status", options=list(STAGE_STATUSES),
                                               required=True, width=105),
    "owner": st.column_config.TextColumn("Owner", max_chars=200, width=120),
    "notes": st.column_config.TextColumn("Notes", max_chars=4000, width=220),
    "overdue": st.column_config.CheckboxColumn(
        "Overdue", disabled=True, width=70,
        help="Planned to end before today and neither done nor skipped."),
    "name": st.column_config.TextColumn("What it covers (DOMAIN.md §7)", disabled=True,
                                        width="large"),
    # Internal: which stage, and the version the user saw (a concurrent save is refused).
    "key": None, "version": None,
}
STAGE_EDITOR_ORDER = ["stage", "planned_start", "planned_end", "actual_start", "actual_end",
                      "status", "overdue", "owner", "notes", "name"]
STAGE_VIEW_CONFIG: dict[str, Any] = {
    "stage": st.column_config.TextColumn("Stage", width=185),
    "planned_start": st.column_config.TextColumn("Planned start", width=105),
    "planned_end": st.column_config.TextColumn("Planned end", width=105),
    "actual_start": st.column_config.TextColumn("Actual start", width=105),
    "actual_end": st.column_config.TextColumn("Actual end", width=105),
    "status": st.column_config.TextColumn("Status", width=95),
    "overdue": st.column_config.TextColumn("Overdue", width=75),
    "owner": st.column_config.TextColumn("Owner", width=120),
    "notes": st.column_config.TextColumn("Notes", width=220),
    "name": st.column_config.TextColumn("What it covers", width="large"),
}


def stage_editor_input(view: ConsultationView) -> pd.DataFrame:
    """The stages as the editor shows them, in order, dates as dates (None when blank)."""
    frame = view.stages.sort_values("position", kind="stable").reset_index(drop=True)
    frame = frame.assign(stage=[STAGE_LABELS.get(str(k), str(n))
                                for k, n in zip(frame["key"], frame["name"], strict=True)])
    out = pd.DataFrame({c: frame[c] for c in STAGE_EDIT_COLUMNS})
    for col in DATE_COLUMNS:
        out[col] = pd.Series([as_date(v) for v in out[col]], dtype=object)
    for col in ("owner", "notes"):
        out[col] = out[col].fillna("").astype(str)
    out["overdue"] = out["overdue"].astype(bool)
    out["version"] = out["version"].fillna(0).astype("int64")
    return out


def stage_editor_key(structure_id: int, original: pd.DataFrame) -> str:
    """Per option and the versions read: after a save the editor starts from the saved rows,
    and the user's edits are never fed back in as its input (streamlit issue #7749)."""
    versions = ".".join(str(int(v)) for v in original["version"])
    return f"consultation_stages_{structure_id}_{versions}"


def stage_rows(original: pd.DataFrame, state: dict[str, Any]) -> list[dict[str, Any]]:
    """The editor's delta (`edited_rows`, by position in `original`) as save_stages rows: one
    whole row per stage the user touched, with the version it was read at. Pure."""
    rows = []
    for pos, changes in sorted((state.get("edited_rows") or {}).items(), key=lambda kv: int(kv[0])):
        base = original.iloc[int(pos)]
        row: dict[str, Any] = {"key": str(base["key"]), "version": int(base["version"])}
        for col in EDITABLE:
            value = changes[col] if col in changes else base[col]
            if col in DATE_COLUMNS:
                row[col] = as_date(value)
            else:
                row[col] = "" if value is None or (isinstance(value, float) and pd.isna(value)) \
                    else str(value).strip()
        rows.append(row)
    return rows


def save_stages(actor: Actor, view: ConsultationView, original: pd.DataFrame,
                state: dict[str, Any], today: dt.date) -> bool:
    """Save the stages the user changed, all or nothing; on refusal keep the edits and say why."""
    st.session_state.pop(STAGE_ERRORS_KEY, None)
    rows = stage_rows(original, state)
    if not rows:
        st.info("There are no changes to save.")
        return False
    try:
        with writing() as session:
            changed = domain.save_stages(session=session, actor=actor,
                                         structure=view.structure_id, rows=rows, today=today)
    except (ValidationFailed, StaleVersion, PermissionDenied, NotFound) as exc:
        st.session_state[STAGE_ERRORS_KEY] = stage_messages(exc, rows, original)
        return False
    unpin(view.structure_id, stages=True)
    flash(f"Saved the stages of {view.structure_name}: {fmt.plural(changed, 'stage')} changed.")
    return True


def stage_messages(exc: Exception, rows: list[dict[str, Any]],
                   original: pd.DataFrame) -> list[str]:
    """Each refusal as 'Stage — Column: problem': a RowError's row is the position in `rows`
    (only the stages the user touched), so it is named by its stage, not a number."""
    if not isinstance(exc, ValidationFailed):
        return [str(exc)]
    names = dict(zip(original["key"], original["stage"], strict=True))
    out = []
    for e in exc.errors:
        stage = ""
        if e.row is not None and 1 <= e.row <= len(rows):
            stage = str(names.get(rows[e.row - 1]["key"], rows[e.row - 1]["key"]))
        text = _located(e.column, e.message)
        out.append(f"{stage} — {text}" if stage else text)
    return out or [str(exc)]


def stage_display(view: ConsultationView) -> Any:
    """The stages read-only: dates as text, overdue rows tinted red (a cell style, no HTML)."""
    frame = stage_editor_input(view)
    out = frame[["stage", *DATE_COLUMNS, "status"]].copy()
    for col in DATE_COLUMNS:
        out[col] = [long_date(v, "") for v in out[col]]
    out["overdue"] = ["Overdue" if o else "" for o in frame["overdue"]]
    out = pd.concat([out, frame[["owner", "notes", "name"]]], axis=1)

    def tint(row: pd.Series) -> list[str]:
        style = "background-color: #fbe9e7; color: #8c1d18" if row["overdue"] else ""
        return [style] * len(row)

    return out.style.apply(tint, axis=1)


# --- what the s.188(4) letter discloses, and the people at risk ----------------------------

DESCRIPTION_CONFIG: dict[str, Any] = {
    "title": st.column_config.TextColumn("Title", width=300),
    "grade": st.column_config.TextColumn("Grade", width=70),
    "proposed": st.column_config.NumberColumn("Proposed for dismissal", format="%d", width=170),
    "employed": st.column_config.NumberColumn("Employees of this description", format="%d",
                                              width=210),
}
AGENCY_CONFIG: dict[str, Any] = {
    "division": st.column_config.TextColumn("Division", width=200),
    "team": st.column_config.TextColumn("Team", width=190),
    "title": st.column_config.TextColumn("Type of work", width=360),
    "contract": st.column_config.TextColumn("Engaged as", width=95),
    "workers": st.column_config.NumberColumn("Workers", format="%d", width=80),
}
PEOPLE_COLUMNS = ["name", "employee_id", "title", "grade", "contract", "service_years",
                  "notice_weeks", "latest_notice_date"]
PEOPLE_CONFIG: dict[str, Any] = {
    "name": st.column_config.TextColumn("Name", width=160),
    "employee_id": st.column_config.TextColumn("Employee", width=80),
    "title": st.column_config.TextColumn("Post", width=275),
    "grade": st.column_config.TextColumn("Grade", width=60),
    "contract": st.column_config.TextColumn("Contract", width=90),
    "service_years": st.column_config.NumberColumn("Years' service", format="%d", width=100),
    "notice_weeks": st.column_config.NumberColumn(
        "Notice (weeks)", format="%d", width=105,
        help="Statutory notice under ERA s.86 for the planned first dismissal."),
    "latest_notice_date": st.column_config.TextColumn(
        "Latest notice date", width=130,
        help="The last day to give that notice for employment to end on the planned first "
             "dismissal."),
}


def people_display(people: pd.DataFrame) -> pd.DataFrame:
    """The people in deleted posts, earliest latest-notice date first; agency and interim
    workers (no statutory notice) last."""
    out = people.copy()
    out["_order"] = [as_date(v) or dt.date.max for v in out["latest_notice_date"]]
    out = out.sort_values(["_order", "name"], kind="stable")
    out["latest_notice_date"] = [long_date(as_date(v), "—") for v in out["latest_notice_date"]]
    for col in ("service_years", "notice_weeks"):
        out[col] = pd.array(pd.to_numeric(out[col], errors="coerce"), dtype="Float64").round(0)
        out[col] = out[col].astype("Int64")
    for col in ("name", "employee_id", "title", "grade", "contract"):
        out[col] = out[col].fillna("").astype(str)
    return out[PEOPLE_COLUMNS].reset_index(drop=True)


# --- downloads -------------------------------------------------------------------------------


def employer_name() -> str:
    """The host partner (the employer of the shared service), else 'the Council'."""
    with reading() as session:
        return host_partner_name(session) or EMPLOYER_FALLBACK


def slug(name: str) -> str:
    """A file-name-safe form of an option's name: 'Option B: merged desk' -> 'option-b-merged-desk'."""
    text = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return text[:60] or "option"


def disclosure_file(view: ConsultationView, employer: str, today: dt.date) -> bytes:
    """The Word document, built only when the button is pressed (python-docx is imported then,
    not on every run of the page)."""
    from planner.legal.disclosure import disclosure_docx

    return disclosure_docx(view, employer=employer, today=today)


def calendar_file(view: ConsultationView) -> bytes:
    from planner.legal.calendar import consultation_events, ics_bytes

    return ics_bytes(consultation_events(view),
                     calendar_name=f"Consultation: {view.structure_name}")


@dataclass(frozen=True)
class Download:
    label: str
    file_name: str
    mime: str


def downloads(view: ConsultationView) -> tuple[Download, Download]:
    name = slug(view.structure_name)
    return (
        Download("s.188(4) and HR1 disclosure (.docx)", f"s188-disclosure-{name}.docx",
                 "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
        Download("Timeline (.ics)", f"consultation-{name}.ics", "text/calendar"),
    )
