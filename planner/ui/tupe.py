"""The TUPE page's wiring: cohorts, milestones, ELI, measures and ETO rationales.

Every write goes through planner.legal.tupe (which checks the role, the version and the dates, and
audits); this module turns widget values into those calls and their refusals into messages.
Nothing here is cached: a cohort is a handful of rows, and marking a milestone done changes
what the page shows without bumping the cohort's version, so a version-keyed cache would show
stale milestones. Session state holds UI choices only: the chosen cohort and option, a flash
message, and the version each cohort's forms were opened on (so another user's save is
refused as stale instead of silently swapping the forms and losing what was typed).
"""

from __future__ import annotations

import datetime as dt
import re
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd
import streamlit as st

from planner.core.auth import Actor
from planner.core.errors import PlannerError, RowError, ValidationFailed
from planner.core.models import TUPE_BASES
from planner.core.values import as_date, long_date
from planner.legal import calendar as cal
from planner.legal import eto, tupe, tupe_rules
from planner.ui import compare as cmp
from planner.ui import format as fmt
from planner.ui.session import reading, writing

COHORT_KEY = "tupe_cohort"
OPTION_KEY = "tupe_eto_option"
CHANGE_KEY = "tupe_eto_change"
TAB_KEY = "tupe_tab"
FLASH_KEY = "tupe_flash"
PINNED_KEY = "tupe_pinned"  # {form: the version it was opened on}

EMPTY_MESSAGE = (
    "There are no TUPE cohorts yet. People imported with an origin (the employer they came "
    "from, e.g. Capita) and a tupe_transfer_date join the cohort of that transferor and "
    "transfer date automatically when the establishment is imported; each cohort then gets "
    "its milestones from the transfer date.")
BASIS_HELP = (
    "TUPE for a transfer from a contractor (e.g. Capita, a service provision change). "
    "Transfers between public authorities fall outside TUPE (reg 3(5)) and run under the "
    "Cabinet Office Statement of Practice (COSOP) on TUPE-like terms; a secondment keeps the "
    "original employer.")
STATUS_LABELS = {"done": "done", "overdue": "overdue", "due": "due"}
_STATUS_STYLE = {"done": "color: #1b6e20; font-weight: 600",
                 "overdue": "color: #b3261e; font-weight: 600",
                 "due": "color: #8a5a00"}
# A flag is a sentence ending in "." and cohorts_frame joins them with "; ": split only after a
# full stop, since one flag ("...reg 13(2)); they were informed on ...") has "; " inside it.
_FLAG_SPLIT = re.compile(r"(?<=\.); ")


# --- reading ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class CohortRef:
    """One row of cohorts_frame, as the picker, the headline and the forms use it."""

    id: int
    name: str
    transferor: str
    transferee: str
    basis: str
    transfer_date: dt.date
    people: int
    eli_received_on: dt.date | None
    eli_missing: str
    flags: tuple[str, ...]
    version: int


def split_flags(text: str) -> tuple[str, ...]:
    """cohorts_frame's "; "-joined flag sentences back into sentences (pure)."""
    text = (text or "").strip()
    return tuple(part.strip() for part in _FLAG_SPLIT.split(text) if part.strip()) if text else ()


def cohorts(actor: Actor, today: dt.date) -> tuple[pd.DataFrame, list[CohortRef]]:
    """cohorts_frame as of `today`, and each row as a CohortRef (transfer date order)."""
    with reading() as session:
        frame = tupe.cohorts_frame(session=session, actor=actor, today=today)
    refs = [CohortRef(int(r.id), str(r.name), str(r.transferor), str(r.transferee),
                      str(r.basis), as_date(r.transfer_date) or today, int(r.people),
                      as_date(r.eli_received_on), str(r.eli_missing or ""),
                      split_flags(str(r.flags or "")), int(r.version))
            for r in frame.itertuples(index=False)]
    return frame, refs


@dataclass(frozen=True)
class CohortDetail:
    """What the forms start from: the stored ELI checklist, measures and inform lead time."""

    id: int
    inform_weeks: int
    eli_received_on: dt.date | None
    eli_items: tuple[str, ...]
    transferor_measures: str
    transferee_measures: str
    measures_notified_on: dt.date | None
    version: int


def cohort_detail(actor: Actor, cohort_id: int) -> CohortDetail:
    """The cohort's stored ELI, measures and lead time, for the forms' defaults."""
    with reading() as session:
        row = tupe.cohort_record(session=session, actor=actor, cohort_id=cohort_id)
        return CohortDetail(int(row.id or 0), int(row.inform_weeks), row.eli_received_on,
                            tuple(row.eli_items or ()), row.transferor_measures or "",
                            row.transferee_measures or "", row.measures_notified_on,
                            int(row.version))


def milestones(actor: Actor, cohort_id: int, today: dt.date) -> pd.DataFrame:
    with reading() as session:
        return tupe.cohort_milestones(session=session, actor=actor, cohort_id=cohort_id,
                                      today=today)


def people(actor: Actor, cohort_id: int) -> pd.DataFrame:
    with reading() as session:
        return tupe.cohort_people(session=session, actor=actor, cohort_id=cohort_id)


def options(actor: Actor) -> list[cmp.StructureRef]:
    """The options (not the baseline), oldest first, for the ETO picker."""
    return [ref for ref in cmp.structures(actor) if ref.kind == "option"]


def eto_changes(actor: Actor, option_id: int) -> pd.DataFrame:
    """tupe_changes for one option: each TUPE member's baseline post the option changes."""
    with reading() as session:
        return eto.tupe_changes(session=session, actor=actor, structure=option_id)


# --- display ---------------------------------------------------------------------------------


def eli_state(ref: CohortRef) -> str:
    """The ELI column in words: not received, or received on a date, complete or not."""
    if ref.eli_received_on is None:
        return "not received"
    if ref.eli_missing:
        return f"received {long_date(ref.eli_received_on)}; missing: {ref.eli_missing}"
    return f"received {long_date(ref.eli_received_on)}; complete"


COHORT_CONFIG: dict[str, Any] = {
    "name": st.column_config.TextColumn("Cohort", width=260, pinned=True),
    "basis": st.column_config.TextColumn("Basis", width=90),
    "transfer_date": st.column_config.DateColumn("Transfer date", format="D MMM YYYY",
                                                 width=110),
    "people": st.column_config.NumberColumn("People", format="plain", width=70),
    "eli": st.column_config.TextColumn(
        "ELI", width=200, help="Employee liability information from the transferor (TUPE reg "
                               "11): when it arrived and what it still lacks."),
    "flags": st.column_config.TextColumn(
        "Flags", width="large",
        help="What needs attention, as of today: ELI late or incomplete, representatives not "
             "informed in time, measures not notified to the transferor."),
}


def cohorts_display(refs: Sequence[CohortRef]) -> pd.DataFrame:
    """The cohorts table: flags as sentences (or "none"), ELI in words."""
    rows = [{"name": r.name, "basis": r.basis, "transfer_date": r.transfer_date,
             "people": r.people, "eli": eli_state(r),
             "flags": " ".join(r.flags) if r.flags else "none"} for r in refs]
    return pd.DataFrame(rows, columns=list(COHORT_CONFIG))


def headline(ref: CohortRef, steps: pd.DataFrame, today: dt.date) -> list[tuple[str, str, str]]:
    """(label, value, help) for the chosen cohort's four metrics."""
    days = (ref.transfer_date - today).days
    if days >= 0:
        when = ("Days to transfer", fmt.count(days),
                f"The transfer is on {long_date(ref.transfer_date)}.")
    else:
        when = ("Days since transfer", fmt.count(-days),
                f"The transfer was on {long_date(ref.transfer_date)}.")
    overdue = int((steps["status"] == "overdue").sum()) if len(steps) else 0
    return [
        ("People", fmt.count(ref.people), f"People in the cohort from {ref.transferor}."),
        when,
        ("Milestones overdue", fmt.count(overdue),
         f"Of {fmt.plural(len(steps), 'milestone')}: past their due date and not marked done."),
        ("Flags", fmt.count(len(ref.flags)), "Statutory steps that need attention."),
    ]


MILESTONE_COLUMNS = ["id", "name", "due", "done_on", "status", "rule"]
MILESTONE_CONFIG: dict[str, Any] = {
    "id": None,
    "name": st.column_config.TextColumn("Milestone", width="large", disabled=True),
    "due": st.column_config.DateColumn("Due", format="D MMM YYYY", width=105, disabled=True),
    "done_on": st.column_config.DateColumn(
        "Done on", format="D MMM YYYY", width=115,
        help="The day it actually happened; clear the cell if it has not."),
    "status": st.column_config.TextColumn("Status", width=80, disabled=True),
    "rule": st.column_config.TextColumn("Rule", width="large", disabled=True),
}


def milestones_display(steps: pd.DataFrame) -> pd.DataFrame:
    """The milestone frame with the columns the table shows (dates as dates)."""
    out = steps.copy()
    for col in ("due", "done_on"):
        out[col] = [as_date(v) for v in out[col]]
    out["status"] = out["status"].map(lambda s: STATUS_LABELS.get(s, s))
    return out[MILESTONE_COLUMNS].reset_index(drop=True)


def styled_milestones(table: pd.DataFrame) -> Any:
    """Status coloured (green done, red overdue, amber due): a cell style, never HTML."""
    return table.style.map(lambda s: _STATUS_STYLE.get(str(s), ""), subset=["status"])


def editor_key(ref: CohortRef, table: pd.DataFrame) -> str:
    """The milestone editor's key: a fresh editor whenever the stored dates change (after a
    save), the same one while a refused save is corrected (so the edits stay)."""
    marks = "-".join(f"{i}:{d or ''}" for i, d in zip(table["id"], table["done_on"], strict=True))
    return f"tupe_milestones_{ref.id}_{zlib.crc32(marks.encode()):08x}"


def milestone_changes(original: pd.DataFrame, edited: pd.DataFrame
                      ) -> list[tuple[int, dt.date | None]]:
    """(milestone id, new done date) for each row whose done date the user changed (pure)."""
    before = {int(i): as_date(d) for i, d in zip(original["id"], original["done_on"], strict=True)}
    out = []
    for i, d in zip(edited["id"], edited["done_on"], strict=True):
        if pd.isna(i):
            continue
        new = as_date(d)
        if int(i) in before and before[int(i)] != new:
            out.append((int(i), new))
    return out


PEOPLE_CONFIG: dict[str, Any] = {
    "employee_id": st.column_config.TextColumn("Employee", width=90, pinned=True),
    "name": st.column_config.TextColumn("Name", width=170),
    "post_id": st.column_config.TextColumn("Post", width=80),
    "title": st.column_config.TextColumn("Title", width=200),
    "continuous_service_date": st.column_config.DateColumn(
        "Continuous service from", format="D MMM YYYY", width=150,
        help="Continuity transfers with the employee (TUPE reg 4)."),
    "tupe_transfer_date": st.column_config.DateColumn("Transferred", format="D MMM YYYY",
                                                      width=110),
}


def people_display(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for col in ("continuous_service_date", "tupe_transfer_date"):
        out[col] = [as_date(v) for v in out[col]]
    return out[list(PEOPLE_CONFIG)].reset_index(drop=True)


ETO_CONFIG: dict[str, Any] = {
    "employee_id": st.column_config.TextColumn("Employee", width=85, pinned=True),
    "name": st.column_config.TextColumn("Name", width=150),
    "cohort": st.column_config.TextColumn("Cohort", width=200),
    "post_id": st.column_config.TextColumn("Post", width=70),
    "title": st.column_config.TextColumn("Title", width=160),
    "grade": st.column_config.TextColumn("Grade", width=65),
    "change": st.column_config.TextColumn("Change", width=140),
    "rationale": st.column_config.TextColumn("ETO rationale", width="large"),
    "recorded": st.column_config.TextColumn("Recorded", width=190),
}


def eto_display(changes: pd.DataFrame) -> pd.DataFrame:
    """tupe_changes for display: a missing rationale says so; who recorded it and when."""
    out = changes.copy()
    out["rationale"] = ["none yet" if bool(n) else str(r)
                        for r, n in zip(out["rationale"], out["needs_rationale"], strict=True)]
    out["recorded"] = [_recorded(by, at) for by, at in zip(out["recorded_by"],
                                                           out["recorded_at"], strict=True)]
    return out[list(ETO_CONFIG)].reset_index(drop=True)


def _recorded(by: Any, at: Any) -> str:
    if not by or (not isinstance(by, str) and pd.isna(by)):
        return ""
    when = as_date(at)
    return f"{by}, {long_date(when)}" if when else str(by)


def change_label(row: Any) -> str:
    """One change as the rationale picker offers it: "Eli Fox (E4), O3 Officer: regraded"."""
    return f"{row.name} ({row.employee_id}), {row.post_id} {row.title}: {row.change}"


def missing_rationales(changes: pd.DataFrame) -> list[str]:
    """The changes with no ETO rationale yet, as lines for the warning."""
    return [change_label(r) for r in changes.itertuples(index=False) if bool(r.needs_rationale)]


def milestones_ics(ref: CohortRef, steps: pd.DataFrame) -> bytes:
    """The cohort's milestones as an iCalendar file (all-day events) for Outlook."""
    return cal.ics_bytes(cal.cohort_events(ref.name, ref.id, steps),
                         calendar_name=f"TUPE: {ref.name}")


def ics_file_name(ref: CohortRef) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", ref.transferor.lower()).strip("-") or "cohort"
    return f"tupe-{slug}-{ref.transfer_date.isoformat()}.ics"


# --- versions the forms were opened on -------------------------------------------------------


def pin(name: str, version: int) -> int:
    """The version a form (`name`) was opened on, kept until a save or a reload: another
    user's save then makes ours stale (refused, with the reason) rather than swapping the form
    for a fresh one and losing what was typed."""
    pinned = st.session_state.setdefault(PINNED_KEY, {})
    return int(pinned.setdefault(name, version))


def unpin(name: str) -> None:
    st.session_state.setdefault(PINNED_KEY, {}).pop(name, None)


def cohort_pin(ref: CohortRef) -> str:
    return f"cohort_{ref.id}"


def pinned_version(ref: CohortRef) -> int:
    """The cohort version its ELI, measures and settings forms were opened on."""
    return pin(cohort_pin(ref), ref.version)


def form_key(name: str, ref: CohortRef) -> str:
    return f"tupe_{name}_{ref.id}_v{pinned_version(ref)}"


def eto_pin(option_id: int, row: Any) -> str:
    return f"eto_{option_id}_{int(row.person_id)}_{int(row.baseline_post_id)}"


# --- writing ---------------------------------------------------------------------------------


def flash(message: str) -> None:
    st.session_state[FLASH_KEY] = message


def pop_flash() -> str | None:
    return st.session_state.pop(FLASH_KEY, None)


def show_refusal(exc: PlannerError) -> None:
    """Why nothing was saved: each problem of a validation on its own line, else the message."""
    if isinstance(exc, ValidationFailed):
        lines = "\n".join(f"- {fmt.md_escape(e.message)}" for e in exc.errors)
        st.error(f"Nothing was saved:\n\n{lines}")
    else:
        st.error(fmt.md_escape(str(exc)))


def save_milestones(actor: Actor, ref: CohortRef, original: pd.DataFrame,
                    edited: pd.DataFrame, today: dt.date) -> bool:
    """Mark each changed milestone done (or not), all or nothing; say why if refused."""
    changes = milestone_changes(original, edited)
    if not changes:
        st.info("There are no changes to save.")
        return False
    names = {int(i): str(n) for i, n in zip(original["id"], original["name"], strict=True)}
    try:
        with writing() as session:
            errors: list[RowError] = []
            for milestone_id, day in changes:
                try:
                    tupe.mark_milestone(session=session, actor=actor, milestone_id=milestone_id,
                                        done_on=day, today=today)
                except ValidationFailed as exc:
                    errors += [RowError(e.sheet, e.row, e.column,
                                        f"{_short(names[milestone_id])}: {e.message}")
                               for e in exc.errors]
            if errors:
                raise ValidationFailed(errors)  # rolls back the marks that were accepted
    except PlannerError as exc:
        show_refusal(exc)
        return False
    done = sum(1 for _, d in changes if d is not None)
    flash(f"Saved the milestones of {ref.name}: {fmt.count(done)} marked done, "
          f"{fmt.count(len(changes) - done)} cleared.")
    return True


def _short(name: str) -> str:
    head = name.split(":")[0]
    return head if len(head) <= 60 else head[:57] + "…"


def save_eli(actor: Actor, ref: CohortRef, *, received_on: dt.date | None,
             items: Sequence[str], today: dt.date) -> bool:
    try:
        with writing() as session:
            tupe.record_eli(session=session, actor=actor, cohort_id=ref.id,
                            received_on=received_on, items=list(items),
                            expected_version=pinned_version(ref), today=today)
    except PlannerError as exc:
        show_refusal(exc)
        return False
    unpin(cohort_pin(ref))
    missing = len(tupe_rules.ELI_ITEMS) - len(set(items))
    state = "complete" if missing == 0 else f"{fmt.plural(missing, 'item')} still missing"
    flash(f"Saved the employee liability information of {ref.name} ({state}).")
    return True


def save_measures(actor: Actor, ref: CohortRef, *, transferor_measures: str,
                  transferee_measures: str, notified_on: dt.date | None,
                  today: dt.date) -> bool:
    try:
        with writing() as session:
            tupe.set_measures(session=session, actor=actor, cohort_id=ref.id,
                              transferor_measures=transferor_measures,
                              transferee_measures=transferee_measures, notified_on=notified_on,
                              expected_version=pinned_version(ref), today=today)
    except PlannerError as exc:
        show_refusal(exc)
        return False
    unpin(cohort_pin(ref))
    flash(f"Saved the measures of {ref.name}.")
    return True


def save_settings(actor: Actor, ref: CohortRef, *, basis: str, transferee: str,
                  inform_weeks: int, today: dt.date) -> bool:
    try:
        with writing() as session:
            cohort = tupe.update_cohort(session=session, actor=actor, cohort_id=ref.id,
                                        basis=basis, transferee=transferee,
                                        inform_weeks=int(inform_weeks),
                                        expected_version=pinned_version(ref), today=today)
            name = cohort.name
    except PlannerError as exc:
        show_refusal(exc)
        return False
    unpin(cohort_pin(ref))
    flash(f"Saved {name}: {basis} basis, representatives informed "
          f"{fmt.plural(int(inform_weeks), 'week')} before the transfer.")
    return True


def sync(actor: Actor) -> bool:
    """Gather everyone with an origin and a transfer date into their cohorts (tupe.edit)."""
    try:
        with writing() as session:
            created = tupe.sync_cohorts(session=session, actor=actor)
    except PlannerError as exc:
        show_refusal(exc)
        return False
    flash(f"Checked the establishment for transferees: {fmt.plural(created, 'new cohort')}.")
    return True


def save_rationale(actor: Actor, option_id: int, row: Any, text: str) -> bool:
    """Record or replace the ETO rationale of one change, checked against the version the
    form was opened on (0: none recorded yet)."""
    name = eto_pin(option_id, row)
    try:
        with writing() as session:
            eto.set_eto_rationale(session=session, actor=actor, structure=option_id,
                                   person_id=int(row.person_id),
                                   baseline_post_id=int(row.baseline_post_id), rationale=text,
                                   expected_version=pin(name, int(row.version)))
    except PlannerError as exc:
        show_refusal(exc)
        return False
    unpin(name)
    flash(f"Saved the ETO rationale for {row.name} ({row.employee_id}), {row.post_id}: "
          f"{row.change}.")
    return True


def default_choice(key: str, ids: Sequence[int], default: int) -> None:
    """Keep the session's choice if it is still offered, else choose `default`."""
    if st.session_state.get(key) not in ids:
        st.session_state[key] = default


BASES: tuple[str, ...] = TUPE_BASES
ELI_ITEMS = tupe_rules.ELI_ITEMS
MAX_MEASURES = tupe.MAX_MEASURES
MAX_RATIONALE = tupe.MAX_RATIONALE
# Date pickers otherwise start ten years back, and the service's transfers began in 2016.
EARLIEST = dt.date(2000, 1, 1)


def change_choices(option_id: int, changes: pd.DataFrame) -> tuple[dict[str, Any], str]:
    """The rationale picker's rows by a stable key, and the one to offer first: the first
    change still without a rationale, else the first change."""
    rows = {eto_pin(option_id, r): r for r in changes.itertuples(index=False)}
    first = next((k for k, r in rows.items() if bool(r.needs_rationale)), next(iter(rows)))
    return rows, first


def eli_table(detail: CohortDetail) -> pd.DataFrame:
    """The reg 11(2) checklist, read-only: each item, its rule and whether it arrived."""
    return pd.DataFrame([{"item": i.label, "rule": f"TUPE {i.rule}",
                          "received": i.key in detail.eli_items} for i in ELI_ITEMS],
                        columns=["item", "rule", "received"])


ELI_CONFIG: dict[str, Any] = {
    "item": st.column_config.TextColumn("Item", width="large"),
    "rule": st.column_config.TextColumn("Rule", width=130),
    "received": st.column_config.CheckboxColumn("Received", width=80),
}


def due_of(steps: pd.DataFrame, key: str) -> dt.date | None:
    """The due date of the milestone `key` (e.g. "eli"), if the cohort has it."""
    found = steps.loc[steps["key"] == key, "due"]
    return as_date(found.iloc[0]) if len(found) else None
