"""The equality page's wiring: which options a role may pick, the analysis, the checkpoint
editors, the option's status, hr's equality records and the Word summary.

Every read and write goes through planner.equality.analysis and planner.structures.options, which check the role
(management reads every option; a union rep reads the analysis a published draft froze, on
the Published drafts page; only hr and admin may ask for unsuppressed figures; only hr
assesses and edits). This module turns widget values into those calls and
their refusals into messages, keeping what the user typed (STYLE.md habit 10).

The analysis changes without the option's version moving (an hr edit of someone's record,
a withdrawal), so it is cached only under `equality.analysis_key`, which holds the answers'
versions too, with the role; its chart specs are cached by the analysis's own table. The
checkpoints and records are never cached. Session state holds UI choices only, plus the
checkpoint or records table an editor was opened on, so another user's save cannot swap the
editor's input under the user and lose their edits.

Length: the page's three tabs share its option picker, its refusals and its flash messages;
split by tab, each module would import the others' session keys.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any, TypeVar

import pandas as pd
import streamlit as st

from planner.core.auth import Actor, can
from planner.core.errors import PlannerError, ValidationFailed
from planner.core.models import IMPACTS, STRUCTURE_STATUSES
from planner.core.values import long_date
from planner.equality import analysis as eq
from planner.equality import checkpoints as eq_checkpoints
from planner.equality import records as eq_records
from planner.equality import rules as eq_rules
from planner.establishment.reference import council_names
from planner.structures.options import (
    readable_option,
    readable_options,
    set_option_status,
)
from planner.ui import compare as cmp
from planner.ui import establishment as est
from planner.ui import format as fmt
from planner.ui.session import database_url, reading, writing

T = TypeVar("T")
SELECT_KEY = "equality_option"
TAB_KEY = "equality_tab"
UNSUPPRESSED_KEY = "equality_unsuppressed"
FLASH_KEY = "equality_flash"
PINNED_KEY = "equality_pinned"  # {(structure id, stage): the Checkpoint the editor opened on}
RECORDS_KEY = "equality_records_opened"  # (generation, frame) the records editor opened on
RECORDS_ERRORS_KEY = "equality_records_errors"
RECORDS_MESSAGE_KEY = "equality_records_message"
IMPORT_ERRORS_KEY = "equality_import_errors"
STATUS_MESSAGE_KEY = "equality_status_message"
SETTABLE_STATUSES = tuple(s for s in STRUCTURE_STATUSES if s != "current")
TAB_ANALYSIS, TAB_CHECKPOINTS, TAB_RECORDS = "Analysis", "Checkpoints", "Equality records"
UNSUPPRESSED_LABEL = "Show unsuppressed figures"
DOWNLOAD_LABEL = "Equality analysis summary (.docx)"
IMPACT_LABELS = {"positive": "Positive", "negative": "Negative", "neutral": "Neutral",
                 "not yet known": "Not yet known"}


# --- which options ---------------------------------------------------------------------------


def risk_basis_text(option_id: int) -> str:
    """Who the analysis takes to be at risk in this option: its people mapping once it has one
    (issue 12), else the posts it deletes or changes."""
    from planner.people.mapping import has_mapping

    with reading() as session:
        mapped = has_mapping(session, option_id)
    if mapped:
        return ("People at risk are read from the option's people mapping: at risk, in a "
                "ring-fenced pool or taking voluntary redundancy (anyone not yet mapped in a "
                "post the option changes counts too).")
    return ("People at risk are the employees in posts the option deletes, regrades or "
            "reduces in hours (the option has no people mapping yet).")


def options_for(actor: Actor) -> list[cmp.StructureRef]:
    """The options `actor` may analyse, oldest first (planner.structures.options.readable_options;
    equality.read is management's)."""
    with reading() as session:
        return cmp.refs_of(readable_options(session=session, actor=actor,
                                            action="equality.read"))


def default_selection(refs: list[cmp.StructureRef]) -> None:
    """Keep the chosen option while it is still listed, else the newest one."""
    if st.session_state.get(SELECT_KEY) not in {r.id for r in refs}:
        st.session_state[SELECT_KEY] = refs[-1].id


def shown(read: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """`read(*args, **kwargs)`, or the page stopped with the refusal as a message (an option
    unpublished or deleted since the picker was filled, a role refused)."""
    try:
        return read(*args, **kwargs)
    except PlannerError as exc:
        st.error(fmt.md_escape(str(exc)))
        st.stop()
        raise  # st.stop raises; this keeps type checkers content


def flash(message: str) -> None:
    st.session_state[FLASH_KEY] = message


def pop_flash() -> str | None:
    return st.session_state.pop(FLASH_KEY, None)


# --- the analysis ----------------------------------------------------------------------------


def may_unsuppress(actor: Actor) -> bool:
    """hr and admin may look at the unsuppressed figures (equality.personal)."""
    return can(actor, "equality.personal")


def analysis(actor: Actor, ref: cmp.StructureRef, *, unsuppressed: bool = False
             ) -> eq.EqualityAnalysis:
    """The option's analysis, suppressed unless asked for by a role that may see more.

    Cached under `equality.analysis_key` (versions of the option, the establishment and the
    answers; the threshold; the day) with the role, so a rerun for a widget costs one small
    query, a change anywhere recomputes, and a role that sees less never gets a richer copy.
    """
    with reading() as session:
        # The permission is asked on every run, never answered from the cache.
        readable_option(session, actor, ref.id, "equality.read")
        key = eq.analysis_key(session, ref.id)
    return _analysis(database_url(), ref.id, key, actor.role,
                     unsuppressed and may_unsuppress(actor), _actor=actor)


@st.cache_data(show_spinner="Analysing…", max_entries=16)
def _analysis(url: str, structure_id: int, key: tuple[Any, ...], role: str, unsuppressed: bool,
              _actor: Actor) -> eq.EqualityAnalysis:
    with reading() as session:
        return eq.analyse(session=session, actor=_actor, structure=structure_id,
                          unsuppressed=unsuppressed)


@st.cache_data(show_spinner=False, max_entries=32)
def chart_specs(table: pd.DataFrame, grade_mix: pd.DataFrame,
                part_time: pd.DataFrame) -> dict[str, dict[str, Any]]:
    """The page's Vega-Lite specs (each characteristic's share chart by its key, then
    "grade_mix" and "part_time"), built and validated once per analysis: twelve Altair charts
    took most of a second on every rerun at 50,000 posts (issue 16). Only counts by group
    are in them, as in the analysis itself."""
    from planner.charts import equality as ec

    specs = {key: ec.share_chart(table, key).to_dict()
             for key, _ in ec.characteristics(table)}
    specs["grade_mix"] = ec.grade_mix_chart(grade_mix).to_dict()
    specs["part_time"] = ec.part_time_chart(part_time).to_dict()
    return specs


def headline(result: eq.EqualityAnalysis) -> list[tuple[str, str, str]]:
    """(label, value, help) for the metrics above the analysis."""
    table = result.table
    # "unknown" and "prefer not to say" are gaps in the data, not groups people belong to.
    flagged = int(((table["flag"].astype(str) != "")
                   & ~table["category"].isin([eq_rules.UNKNOWN, eq_rules.PREFER_NOT])).sum())
    return [
        ("People in the service", fmt.count(result.service_total),
         "Employees in the analysis; anyone who withdrew their equality data is left out."),
        ("People at risk", fmt.count(int(result.at_risk_text))
         if result.at_risk_text.isdigit() else result.at_risk_text,
         "Employees in posts the option deletes, regrades or reduces in hours: their holders "
         "must be selected or slotted in again."),
        ("Groups flagged", fmt.count(flagged),
         "Groups whose at-risk rate is below 0.8 or above 1.25 times the rest's (unknown and "
         "'prefer not to say' answers are not counted as groups)."),
        ("Figures hidden under", fmt.count(result.threshold) if result.suppressed else "none",
         "Counts under this are shown as \"<N\", with any figure that would reveal them."),
    ]


def chart_caption(result: eq.EqualityAnalysis) -> str:
    """How to read the share charts, and (when suppressed) their markers."""
    text = ("Teal: each group's share of the whole service; amber: its share of the people at "
            "risk. A group over-represented at risk has a longer amber bar. The people behind "
            "each bar are in brackets.")
    if result.suppressed:
        t = result.threshold
        text += (f" \"<{t}\" marks fewer than {t} people; \"\\* hidden\" a count hidden so "
                 "that a small one cannot be worked out from the totals.")
    return text


def suppression_method(result: eq.EqualityAnalysis) -> str | None:
    """The suppression method in two plain sentences (DOMAIN.md §6; planner.equality.analysis's
    docstring has it in full), for a suppressed view only; option names are the users' own
    text, so the caller escapes it."""
    if not result.suppressed:
        return None
    t = result.threshold
    text = (f"How small numbers are protected: a count under {t} is hidden, and so is any "
            "count from which a hidden one could be worked out")
    if not result.suppressed_with:
        return text + "."
    names = ", ".join(result.suppressed_with)
    return (text + f", here or in the other options you can read ({names}). The options are "
            "suppressed together, so the difference between two options' figures never shows "
            "the answers of the few people one option puts at risk and the other does not.")


def sort_warnings(warnings: list[str], labels: list[str]
                  ) -> tuple[list[str], dict[str, list[str]]]:
    """(general notes, {characteristic label: its notes}): a note that starts with a
    characteristic's label ("Age: ...", "Sex, Male: ...") belongs under that chart, where it
    is read beside the figures it is about; the rest stay at the top."""
    general: list[str] = []
    by_label: dict[str, list[str]] = {label: [] for label in labels}
    for warning in warnings:
        owner = next((label for label in sorted(labels, key=len, reverse=True)
                      if warning.startswith((f"{label}:", f"{label},"))), None)
        (by_label[owner] if owner else general).append(warning)
    return general, by_label


def note_text(note: str, label: str) -> str:
    """A note shown under its chart, without the label the chart's title already gives:
    "Sex, Male: the rate ..." -> "Male: the rate ...", "Age: no group's ..." -> "No group's ..."."""
    if note.startswith(f"{label}, "):
        return note[len(label) + 2:]
    if note.startswith(f"{label}:"):
        rest = note[len(label) + 1:].strip()
        return rest[:1].upper() + rest[1:]
    return note


def needs_attention(table: pd.DataFrame, characteristic: str) -> bool:
    """Whether a group of `characteristic` is flagged and unlikely to be so by chance
    (Fisher's p < 0.05), so its notes are shown as a warning rather than a caption."""
    rows = table[table["characteristic"] == characteristic]
    return bool(((rows["flag"].astype(str) != "") & (rows["p_value"] < 0.05)).any())


def warnings_text(warnings: list[str]) -> str:
    """The analysis's general warnings as one Markdown list (each escaped: category names are
    the organisation's own text), so several sentences read as one note, not several alarms."""
    lines = "\n".join(f"- {fmt.md_escape(w)}" for w in warnings)
    return f"**What these figures can and cannot tell you**\n\n{lines}"


ANALYSIS_CONFIG: dict[str, Any] = {
    "Characteristic": st.column_config.TextColumn(width=185, pinned=True),
    "Group": st.column_config.TextColumn(width=215),
    "Whole service": st.column_config.TextColumn(alignment="right", width=95),
    "At risk": st.column_config.TextColumn(alignment="right", width=70),
    "Share of service": st.column_config.TextColumn(alignment="right", width=100),
    "Share at risk": st.column_config.TextColumn(alignment="right", width=95),
    "Ratio (at risk vs rest)": st.column_config.TextColumn(
        alignment="right", width=130,
        help="The group's at-risk rate over the rest's; below 0.8 or above 1.25 is flagged."),
    "Fisher p": st.column_config.TextColumn(
        alignment="right", width=75,
        help="Fisher's exact test: small values mean the difference is unlikely by chance."),
}


# --- checkpoints -----------------------------------------------------------------------------


def may_assess(actor: Actor) -> bool:
    return can(actor, "equality.assess")


def checkpoints_of(actor: Actor, ref: cmp.StructureRef) -> list[eq_checkpoints.Checkpoint]:
    with reading() as session:
        return eq_checkpoints.checkpoints(session=session, actor=actor, structure=ref.id)


def stage_title(cp: eq_checkpoints.Checkpoint) -> str:
    """'Stage 2: after consultation · signed off 3 Mar 2026 by Harriet Rowe'."""
    if cp.signed_off and cp.signed_off_at is not None:
        return (f"{cp.name} · signed off {long_date(cp.signed_off_at)} "
                f"by {cp.signed_off_by}")
    due = f" · due {long_date(cp.due_on)}" if cp.due_on else ""
    return f"{cp.name} · not signed off{due}"


def impacts_display(impacts: pd.DataFrame) -> pd.DataFrame:
    out = impacts[["label", "impact", "evidence", "mitigation"]].copy()
    out["impact"] = out["impact"].map(lambda v: IMPACT_LABELS.get(str(v), str(v)))
    return out.fillna("").reset_index(drop=True)


IMPACT_VIEW_CONFIG: dict[str, Any] = {
    "label": st.column_config.TextColumn("Characteristic", width=200),
    "impact": st.column_config.TextColumn("Impact", width=110),
    "evidence": st.column_config.TextColumn("Evidence", width="large"),
    "mitigation": st.column_config.TextColumn("Mitigation", width="large"),
}
IMPACT_EDIT_CONFIG: dict[str, Any] = {
    "characteristic": None,
    "label": st.column_config.TextColumn("Characteristic", disabled=True, width=200),
    "impact": st.column_config.SelectboxColumn("Impact", options=list(IMPACTS), required=True,
                                               width=130),
    "evidence": st.column_config.TextColumn("Evidence", width="large", max_chars=4000),
    "mitigation": st.column_config.TextColumn("Mitigation", width="large", max_chars=4000),
}


def pinned(ref: cmp.StructureRef, cp: eq_checkpoints.Checkpoint) -> eq_checkpoints.Checkpoint:
    """The checkpoint as the editor first showed it, kept until a save, sign-off or reload."""
    store = st.session_state.setdefault(PINNED_KEY, {})
    return store.setdefault((ref.id, cp.stage), cp)


def unpin(ref: cmp.StructureRef, stage: int) -> None:
    st.session_state.setdefault(PINNED_KEY, {}).pop((ref.id, stage), None)
    st.session_state.pop(stage_message_key(ref, stage), None)
    st.session_state.pop(stage_errors_key(ref, stage), None)


def editor_key(ref: cmp.StructureRef, cp: eq_checkpoints.Checkpoint) -> str:
    return f"equality_impacts_{ref.id}_{cp.stage}_v{cp.version}"


def due_key(ref: cmp.StructureRef, cp: eq_checkpoints.Checkpoint) -> str:
    return f"equality_due_{ref.id}_{cp.stage}_v{cp.version}"


def stage_message_key(ref: cmp.StructureRef, stage: int) -> str:
    return f"equality_stage_message_{ref.id}_{stage}"


def stage_errors_key(ref: cmp.StructureRef, stage: int) -> str:
    return f"equality_stage_errors_{ref.id}_{stage}"


def editor_input(cp: eq_checkpoints.Checkpoint) -> pd.DataFrame:
    return cp.impacts[eq_checkpoints.IMPACT_COLUMNS].fillna("").reset_index(drop=True)


def _text(value: Any) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    return str(value)


def impacts_from_editor(original: pd.DataFrame, state: dict[str, Any] | None
                        ) -> list[dict[str, str]]:
    """Every characteristic's impact, evidence and mitigation: the editor's input with its
    edited rows applied (rows are fixed: nine characteristics, never added or deleted)."""
    edited = (state or {}).get("edited_rows", {})
    rows = []
    for i, r in enumerate(original.to_dict("records")):
        changes = edited.get(i, edited.get(str(i), {}))
        row = {**r, **changes}
        rows.append({"characteristic": _text(row["characteristic"]),
                     "impact": _text(row["impact"]) or "not yet known",
                     "evidence": _text(row["evidence"]).strip(),
                     "mitigation": _text(row["mitigation"]).strip()})
    return rows


def has_changes(original: pd.DataFrame, state: dict[str, Any] | None,
                due_on: dt.date | None, cp: eq_checkpoints.Checkpoint) -> bool:
    """Whether the editor or the due date differ from what was saved."""
    saved = [{"characteristic": _text(r["characteristic"]), "impact": _text(r["impact"]),
              "evidence": _text(r["evidence"]).strip(), "mitigation": _text(r["mitigation"]).strip()}
             for r in original.to_dict("records")]
    return impacts_from_editor(original, state) != saved or due_on != cp.due_on


def _refused(ref: cmp.StructureRef, stage: int, exc: PlannerError) -> None:
    """Keep why a checkpoint action was refused, to show it until the user acts again."""
    if isinstance(exc, ValidationFailed):
        st.session_state[stage_errors_key(ref, stage)] = fmt.errors_table(exc)
    else:
        st.session_state[stage_message_key(ref, stage)] = str(exc)


def stage_messages(ref: cmp.StructureRef, stage: int) -> None:
    """The kept refusal of the stage's last action, if any, as an error (and its table)."""
    message = st.session_state.get(stage_message_key(ref, stage))
    if message:
        st.error(fmt.md_escape(message))
    est.show_errors(stage_errors_key(ref, stage), "Nothing was saved:")


def _clear_refusal(ref: cmp.StructureRef, stage: int) -> None:
    st.session_state.pop(stage_message_key(ref, stage), None)
    st.session_state.pop(stage_errors_key(ref, stage), None)


def _checkpoint_write(ref: cmp.StructureRef, cp: eq_checkpoints.Checkpoint, change: Callable[..., Any],
                      done: str, **kwargs: Any) -> bool:
    """One checkpoint change against the version the editor opened on: on refusal the reason
    is kept for the stage (and the user's edits stay); on success the pin is dropped and
    `done` is flashed."""
    try:
        with writing() as session:
            change(session=session, structure=ref.id, stage=cp.stage,
                  expected_version=cp.version, **kwargs)
    except PlannerError as exc:
        _refused(ref, cp.stage, exc)
        return False
    unpin(ref, cp.stage)
    flash(done)
    return True


def _stage_name(cp: eq_checkpoints.Checkpoint) -> str:
    return cp.name.split(":")[0].lower()


def save_checkpoint(actor: Actor, ref: cmp.StructureRef, cp: eq_checkpoints.Checkpoint,
                    due_on: dt.date | None, state: dict[str, Any] | None) -> bool:
    """Save the stage's impacts and due date against the version the editor opened on."""
    _clear_refusal(ref, cp.stage)
    return _checkpoint_write(ref, cp, eq_checkpoints.save_checkpoint,
                             f"Saved {_stage_name(cp)} of {ref.name}.", actor=actor,
                             due_on=due_on, impacts=impacts_from_editor(editor_input(cp), state))


def sign_off(actor: Actor, ref: cmp.StructureRef, cp: eq_checkpoints.Checkpoint, *, unsaved: bool) -> bool:
    """Sign the stage off as it was saved; refused (with the reason kept) if edits are unsaved."""
    _clear_refusal(ref, cp.stage)
    if unsaved:
        st.session_state[stage_message_key(ref, cp.stage)] = (
            f"{cp.name} has changes that are not saved yet: save them, then sign off.")
        return False
    return _checkpoint_write(ref, cp, eq_checkpoints.sign_off_checkpoint,
                             f"Signed off {_stage_name(cp)} of {ref.name}.", actor=actor)


def withdraw(actor: Actor, ref: cmp.StructureRef, cp: eq_checkpoints.Checkpoint) -> bool:
    _clear_refusal(ref, cp.stage)
    return _checkpoint_write(ref, cp, eq_checkpoints.withdraw_sign_off,
                             f"Withdrew the sign-off of {_stage_name(cp)} of {ref.name}; it can "
                             "be edited again.", actor=actor)


def may_set_status(actor: Actor) -> bool:
    return can(actor, "options.edit")


def set_status(actor: Actor, ref: cmp.StructureRef, status: str) -> bool:
    """Move the option to `status`; a gate's refusal (planner.equality.analysis.check_status_gate) is
    kept as the sentence it gives."""
    st.session_state.pop(STATUS_MESSAGE_KEY, None)
    if status == ref.status:
        st.session_state[STATUS_MESSAGE_KEY] = f"{ref.name} is already {status}."
        return False
    try:
        with writing() as session:
            set_option_status(session=session, actor=actor, structure=ref.id, status=status,
                              expected_version=ref.version)
    except PlannerError as exc:
        st.session_state[STATUS_MESSAGE_KEY] = str(exc)
        return False
    flash(f"{ref.name} is now {status}.")
    return True


def status_message() -> str | None:
    message = st.session_state.get(STATUS_MESSAGE_KEY)
    return fmt.md_escape(message) if message else None


# --- hr's equality records -------------------------------------------------------------------


def may_edit_records(actor: Actor) -> bool:
    """Only hr edits (and so sees, on this page) a person's equality answers."""
    return can(actor, "equality.edit") and can(actor, "equality.personal")


RECORDS_CONFIG: dict[str, Any] = {
    "employee_id": st.column_config.TextColumn("Employee", disabled=True, width=90,
                                               pinned=True),
    "name": st.column_config.TextColumn("Name", disabled=True, width=150),
    **{f: st.column_config.TextColumn(f.replace("_", " ").capitalize(), width=130,
                                      max_chars=80,
                                      help="The organisation's own category, "
                                           "\"prefer not to say\", or blank for unknown.")
       for f in eq_records.RECORD_COLUMNS if f not in ("employee_id", "name", "withdrawn", "version")},
    "withdrawn": st.column_config.CheckboxColumn(
        "Withdrawn", width=90, help="The person withdrew consent: their answers leave every "
                                    "analysis."),
    "version": None,
}


def records_input(actor: Actor) -> tuple[str, pd.DataFrame]:
    """(editor key, frame) of the records editor, read once and kept until a save or reload."""
    opened = st.session_state.get(RECORDS_KEY)
    if opened is None:
        with reading() as session:
            frame = eq_records.equality_records(session=session, actor=actor)
        generation = int(st.session_state.get(f"{RECORDS_KEY}_generation", 0)) + 1
        st.session_state[f"{RECORDS_KEY}_generation"] = generation
        opened = (f"equality_records_editor_{generation}", frame.reset_index(drop=True))
        st.session_state[RECORDS_KEY] = opened
    return opened


def reload_records() -> None:
    st.session_state.pop(RECORDS_KEY, None)
    st.session_state.pop(RECORDS_ERRORS_KEY, None)
    st.session_state.pop(RECORDS_MESSAGE_KEY, None)


def record_rows(original: pd.DataFrame, state: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The edited people's rows (employee_id, the answers, withdrawn, version) as
    save_equality_records takes them; people whose row was not touched are left out."""
    edited = (state or {}).get("edited_rows", {})
    fields = [c for c in eq_records.RECORD_COLUMNS if c not in ("name",)]
    rows = []
    for key in sorted(edited, key=int):
        changes = edited[key]
        row = {**original.iloc[int(key)].to_dict(), **changes}
        out: dict[str, Any] = {}
        for f in fields:
            if f == "withdrawn":
                out[f] = bool(row.get(f) or False)
            elif f == "version":
                out[f] = int(row.get(f) or 0)
            else:
                out[f] = _text(row.get(f)).strip()
        rows.append(out)
    return rows


def save_records(actor: Actor, original: pd.DataFrame, state: dict[str, Any] | None) -> bool:
    st.session_state.pop(RECORDS_ERRORS_KEY, None)
    st.session_state.pop(RECORDS_MESSAGE_KEY, None)
    rows = record_rows(original, state)
    if not rows:
        st.session_state[RECORDS_MESSAGE_KEY] = "There are no changes to save."
        return False
    try:
        with writing() as session:
            saved = eq_records.save_equality_records(session=session, actor=actor, rows=rows)
    except ValidationFailed as exc:
        st.session_state[RECORDS_ERRORS_KEY] = fmt.errors_table(exc)
        return False
    except PlannerError as exc:
        st.session_state[RECORDS_MESSAGE_KEY] = str(exc)
        return False
    reload_records()
    flash(f"Saved the equality records of {fmt.plural(saved, 'person', 'people')}.")
    return True


def records_message() -> str | None:
    message = st.session_state.get(RECORDS_MESSAGE_KEY)
    return fmt.md_escape(message) if message else None


def import_records(actor: Actor, files: list[tuple[str, bytes]]) -> bool:
    """Import an equality sheet all-or-nothing; on refusal keep every error for the page."""
    st.session_state.pop(IMPORT_ERRORS_KEY, None)
    try:
        with writing() as session:
            count = eq_records.import_equality(session=session, actor=actor, files=files)
    except ValidationFailed as exc:
        st.session_state[IMPORT_ERRORS_KEY] = fmt.errors_table(exc)
        return False
    except PlannerError as exc:
        st.session_state[IMPORT_ERRORS_KEY] = pd.DataFrame(
            [{"sheet": "", "row": pd.NA, "column": "", "message": str(exc)}],
            columns=fmt.ERROR_COLUMNS)
        return False
    reload_records()
    flash(f"Imported the equality data of {fmt.plural(count, 'person', 'people')}.")
    return True


# --- the Word summary ------------------------------------------------------------------------


def organisation() -> str:
    """The partners the service belongs to, as a document's heading names them."""
    with reading() as session:
        names = council_names(session)
    if not names:
        return "The service"
    joined = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"
    return f"{joined} shared service"


def summary(actor: Actor, ref: cmp.StructureRef, today: dt.date | None = None) -> bytes:
    """The Word summary: always made from the suppressed analysis, whoever asks (exports are
    always suppressed, issue 6)."""
    from planner.equality.report import summary_docx

    result = analysis(actor, ref, unsuppressed=False)
    return summary_docx(result, checkpoints_of(actor, ref), organisation=organisation(),
                        today=today or dt.date.today())


def file_name(ref: cmp.StructureRef) -> str:
    safe = "".join(c if c.isalnum() else "-" for c in ref.name.lower()).strip("-")
    while "--" in safe:
        safe = safe.replace("--", "-")
    return f"equality-analysis-{safe or ref.id}.docx"
