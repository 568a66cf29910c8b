"""The establishment page's Streamlit wiring: the cached register, the editor, import, export.

Everything the page does beyond arranging widgets lives here or in `planner.establishment.register`,
so pages/establishment.py stays a list of widgets (STYLE.md habit 1).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

import pandas as pd
import streamlit as st

from planner.core.auth import Actor
from planner.core.config import get_settings
from planner.core.errors import PermissionDenied, StaleVersion, ValidationFailed
from planner.core.progress import Progress, part
from planner.core.spreadsheets import xlsx_bytes
from planner.establishment.reference import grade_table
from planner.establishment.register import (
    EDITABLE_COLUMNS,
    FILTERS,
    WITHOUT_EMPLOYEE,
    EditResult,
    Metrics,
    apply_post_edits,
    baseline_id,
    edits_from_editor,
    establishment_frame,
    filter_frame,
    filter_options,
    headline_metrics,
    search_text,
    structure_version,
    without_employee_sentence,
)
from planner.establishment.register import (
    REGISTER_PAGE_ROWS as REGISTER_PAGE_ROWS,
)
from planner.establishment.register import (
    register_page as register_page,
)
from planner.establishment.register import (
    search_frame as search_frame,
)
from planner.ui import format as fmt
from planner.ui.session import database_url, reading, writing

EDIT_ERRORS_KEY = "post_edit_errors"
IMPORT_ERRORS_KEY = "import_errors"
IMPORT_STATUS_KEY = "import_status"
ORGANOGRAM_KEY = "organogram_assumptions"
FLASH_KEY = "establishment_flash"
FILTER_KEY_PREFIX = "filter_"
FILTER_LABELS = {"division": "Division", "team": "Team", "grade": "Grade", "status": "Status",
                 "contracts": "Contract", "origin": "Origin"}

# The register as people read it: the post and who is in it first, so they fit one screen;
# the rest (team and reports-to among them) by scrolling right.
TABLE_COLUMNS = ["post_id", "title", "division", "grade", "fte", "status", "incumbents",
                 "contracts", "staff_fte", "interim", "interim_fte", "origin", "team",
                 "reports_to", "partner", "funding", "notes"]
TABLE_CONFIG: dict[str, Any] = {
    "post_id": st.column_config.TextColumn("Post", width=80, pinned=True),
    "title": st.column_config.TextColumn("Title", width=280),
    "division": st.column_config.TextColumn("Division", width=210),
    "grade": st.column_config.TextColumn("Grade", width=65),
    "fte": st.column_config.TextColumn("FTE", width=55),
    "status": st.column_config.TextColumn("Status", width=140),
    "incumbents": st.column_config.TextColumn("Post holders", width="medium"),
    "contracts": st.column_config.TextColumn("Contract", width=110),
    "staff_fte": st.column_config.NumberColumn("Staff FTE", format="plain", width=80),
    "interim": st.column_config.TextColumn("Interim / agency", width="medium"),
    "interim_fte": st.column_config.NumberColumn("Interim FTE", format="plain", width=90),
    "origin": st.column_config.TextColumn("Origin", width=110),
    "partner": st.column_config.TextColumn("Charged to", width=100),
    "funding": st.column_config.TextColumn("Funding", width=80),
    "team": st.column_config.TextColumn("Team", width=160),
    "reports_to": st.column_config.TextColumn("Reports to", width=90),
    "notes": st.column_config.TextColumn("Notes", width="large"),
    # Internal: never shown.
    "id": None, "version": None, "fte_value": None, "interim_contracts": None,
}
# About twenty rows before the table scrolls (35 px a row plus the header).
TABLE_HEIGHT = 36 * 21
EDITOR_COLUMNS = [*EDITABLE_COLUMNS, "version"]
# Widths so that everything up to Charged to is on screen beside a 1440 px sidebar layout;
# headers carry an edit icon, so each is a little wider than in the register.
EDITOR_CONFIG: dict[str, Any] = {
    "post_id": st.column_config.TextColumn(
        "Post", required=True, max_chars=40, width=85,
        help="The post's id, e.g. ICT-095: give a new post its id in its new row. A post "
             "that others report to keeps its id."),
    "title": st.column_config.TextColumn("Title", required=True, max_chars=200, width=220),
    "division": st.column_config.TextColumn("Division", max_chars=200, width=140),
    "team": st.column_config.TextColumn("Team", max_chars=200, width=130),
    "reports_to": st.column_config.TextColumn("Reports to", max_chars=40, width=100),
    "grade": st.column_config.TextColumn("Grade", required=True, max_chars=60, width=75),
    "fte": st.column_config.TextColumn("FTE", help="0.01 to 1, e.g. 0.6", width=65),
    "partner": st.column_config.TextColumn("Charged to", help="shared or a partner's name",
                                           width=110),
    "funding": st.column_config.SelectboxColumn("Funding", options=["base", "project"],
                                                width=95),
    "notes": st.column_config.TextColumn("Notes", max_chars=2000, width="large"),
    # The version the user saw: sent back with each change so a concurrent save is refused.
    "version": None,
}


def grade_names() -> list[str]:
    """The grade table's names in pay order: what a grade cell offers."""
    with reading() as session:
        return list(grade_table(session))


def editor_config(grades: list[str]) -> dict[str, Any]:
    """EDITOR_CONFIG with the grade picked from the grade list, never typed (a typo would
    only be caught at Save)."""
    return {**EDITOR_CONFIG, "grade": st.column_config.SelectboxColumn(
        "Grade", options=grades, required=True, width=75,
        help="From the grade table (Reference data), lowest first.")}


ERROR_TABLE_CONFIG: dict[str, Any] = {
    "sheet": st.column_config.TextColumn(fmt.ERROR_COLUMN_LABELS["sheet"], width="small"),
    "row": st.column_config.NumberColumn(fmt.ERROR_COLUMN_LABELS["row"], format="%d",
                                         width="small"),
    "column": st.column_config.TextColumn(fmt.ERROR_COLUMN_LABELS["column"], width="small"),
    "message": st.column_config.TextColumn(fmt.ERROR_COLUMN_LABELS["message"], width="large"),
}


@dataclass(frozen=True)
class Register:
    """The establishment as the page shows it: one snapshot per structure version."""

    structure_id: int
    version: int
    frame: pd.DataFrame
    metrics: Metrics
    grades: list[str]
    options: dict[str, list[str]]  # each filter's values
    hay: pd.Series  # each post's searchable text


@st.cache_resource(show_spinner=False, max_entries=4)
def _snapshot(url: str, structure_id: int, version: int, role: str,
              _actor: Actor) -> Register:
    """The register for one (database, structure, version, role), with what every click
    would otherwise work out again (the filters' values, the search text).

    Keyed by the structure's version, which every change bumps, so a cached copy is never
    stale and a rerun (every click) costs no database work. A resource, not data: one copy
    shared by every session of the role (st.cache_data would unpickle a fresh 50,000-row copy
    on every click), so callers never change it in place. The role is in the key so a
    role that sees less can never be served a richer role's copy.
    """
    with reading() as session:
        frame = establishment_frame(session=session, actor=_actor, structure_id=structure_id)
        metrics = headline_metrics(session=session, actor=_actor, structure_id=structure_id,
                                   frame=frame)
        grades = list(grade_table(session))
    return Register(structure_id, version, frame, metrics, grades, filter_options(frame),
                    search_text(frame))


def load_register(actor: Actor) -> Register | None:
    """The current establishment for `actor`, or None when there is none yet."""
    with reading() as session:
        sid = baseline_id(session)
        if sid is None:
            return None
        version = structure_version(session, sid)
    return _snapshot(database_url(), sid, version, actor.role, actor)


def clear_caches() -> None:
    _snapshot.clear()


def metric_values(metrics: Metrics) -> list[tuple[str, str, str]]:
    """(label, value, help) for the headline row, formatted for display."""
    return [
        ("Posts", fmt.count(metrics.posts), "Posts in the establishment."),
        ("Establishment FTE", fmt.fte(metrics.establishment_fte),
         "Full-time equivalents of all posts."),
        ("Staff in post FTE", fmt.fte(metrics.staff_in_post_fte),
         "FTE of employees in post (interims and agency workers excluded)."),
        (WITHOUT_EMPLOYEE, fmt.count(metrics.vacancies),
         without_employee_sentence(metrics.vacancies_covered_by_interims,
                                   metrics.vacant_uncovered)),
        ("Covered by interim", fmt.count(metrics.vacancies_covered_by_interims),
         "Posts without an employee that an interim or agency worker covers for now; the "
         "rest are vacant."),
    ]


def without_employee_caption(metrics: Metrics) -> str:
    return without_employee_sentence(metrics.vacancies_covered_by_interims,
                                     metrics.vacant_uncovered)


def origin_summary(metrics: Metrics) -> str:
    """'Employees by origin: Brent 1 · Lewisham 2', escaped for Markdown."""
    if not metrics.people_by_origin:
        return "No employees in post."
    parts = [f"{fmt.md_escape(origin)} {fmt.count(n)}"
             for origin, n in metrics.people_by_origin.items()]
    return "Employees by origin: " + " · ".join(parts)


def filter_widgets(frame: pd.DataFrame,
                   options: dict[str, list[str]] | None = None) -> dict[str, list[str]]:
    """One multiselect per filter, options from the data (or as kept with the register);
    returns the choices."""
    options = filter_options(frame) if options is None else options
    cols = st.columns(3)
    chosen: dict[str, list[str]] = {}
    for i, name in enumerate(FILTERS):
        with cols[i % 3]:
            chosen[name] = st.multiselect(FILTER_LABELS[name], options[name],
                                          key=FILTER_KEY_PREFIX + name, placeholder="All")
    return chosen


def apply_filters(frame: pd.DataFrame, chosen: dict[str, list[str]]) -> pd.DataFrame:
    return filter_frame(frame, **chosen)


def register_xlsx(frame: pd.DataFrame) -> bytes:
    """The filtered register as the page lists it, every row (the page shows one page)."""
    return xlsx_bytes({"register": table_frame(frame)})


def table_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """The overview's columns, in TABLE_COLUMNS order."""
    return frame[TABLE_COLUMNS]


def editor_input(frame: pd.DataFrame) -> pd.DataFrame:
    """The editor's input: interchange columns plus the hidden version, positional index.

    Derived only from the cached register, so it is identical on every rerun until the
    structure changes; the editor's output is never fed back in (streamlit issue #7749).
    """
    return frame[EDITOR_COLUMNS].reset_index(drop=True)


def editor_key(register: Register, chosen: dict[str, list[str]]) -> str:
    """Stable while the structure, its version and the filters are unchanged.

    The editor's delta refers to rows by position in its input, so a different input (a new
    version after a save, a new structure after an import, or other filters) must get a fresh
    editor rather than old edits.
    """
    sig = hashlib.sha1(repr(sorted((k, sorted(v)) for k, v in chosen.items())).encode(),
                       usedforsecurity=False)
    return f"post_editor_{register.structure_id}_v{register.version}_{sig.hexdigest()[:10]}"


def renamed_managers(frame: pd.DataFrame, updated: dict[str, dict[str, str]]) -> list[str]:
    """Existing posts whose id the edits change although other posts report to them.

    A post with reports cannot be renamed in one save (its reports would point at an id that
    no longer exists), so the page refuses it with a plain message before trying.
    """
    renamed = {ref for ref, changes in updated.items()
               if changes.get("post_id", ref) != ref}
    return sorted(renamed.intersection(frame["reports_to"]))


def save_edits(actor: Actor, register: Register, original: pd.DataFrame,
               state: dict[str, Any]) -> EditResult | None:
    """Save the editor's delta; on refusal keep the user's edits and remember why.

    Returns the result on success (caches cleared), None when nothing was saved.
    """
    st.session_state.pop(EDIT_ERRORS_KEY, None)
    edits = edits_from_editor(original, state)
    if edits.is_empty():
        st.info("There are no changes to save.")
        return None
    managers = renamed_managers(register.frame, edits.updated)
    if managers:
        st.error(f"{fmt.md_escape(', '.join(managers))} "
                 f"{'has' if len(managers) == 1 else 'have'} posts reporting to "
                 f"{'it' if len(managers) == 1 else 'them'}, so the id cannot be changed here; "
                 "nothing was saved. Put the old id back, or ask an administrator to re-import.")
        return None
    try:
        with writing() as session:
            result = apply_post_edits(session=session, actor=actor, edits=edits,
                                      structure_id=register.structure_id)
    except ValidationFailed as exc:
        st.session_state[EDIT_ERRORS_KEY] = fmt.errors_table(exc)
        return None
    except (StaleVersion, PermissionDenied) as exc:
        st.error(fmt.md_escape(str(exc)))
        return None
    clear_caches()
    st.session_state[FLASH_KEY] = (
        f"Saved: {fmt.plural(result.added, 'post')} added, {fmt.count(result.updated)} changed, "
        f"{fmt.count(result.deleted)} deleted.")
    return result


def show_errors(key: str, headline: str) -> None:
    """The kept error table of a refused save or import, if any."""
    table = st.session_state.get(key)
    if isinstance(table, pd.DataFrame) and not table.empty:
        st.error(f"{headline} {fmt.plural(len(table), 'problem')} to fix; nothing was saved.")
        st.dataframe(table, hide_index=True, column_config=ERROR_TABLE_CONFIG, key=f"{key}_table")


def pop_flash() -> str | None:
    return st.session_state.pop(FLASH_KEY, None)


def too_large(files: list[Any]) -> list[str]:
    """Names of uploaded files over the configured limit (checked before reading them),
    escaped for Markdown: a file name is the user's text."""
    limit = get_settings().max_upload_bytes
    return [fmt.md_escape(f.name) for f in files if f.size > limit]


def import_with_status(actor: Actor, files: list[tuple[str, bytes]],
                       keep_people: bool = False) -> Any | None:
    """`run_import` inside an st.status whose label follows the import's stages (reading,
    checking, writing…) with a progress bar inside, so a large file never leaves the page
    still without a word. Ends "complete" with what was imported (kept for the rerun that
    follows, see `pop_import_status`) or "error" when refused."""
    status = st.status("Starting the import…", expanded=False, state="running")
    bar = status.progress(0.0)

    def progress(fraction: float, message: str) -> None:
        status.update(label=message)
        bar.progress(fraction)

    try:
        summary = run_import(actor, files, keep_people=keep_people, progress=progress)
    except Exception:
        status.update(label="The import failed: nothing was changed.", state="error")
        raise
    if summary is None:
        errors = st.session_state.get(IMPORT_ERRORS_KEY)
        found = (f": {fmt.plural(len(errors), 'problem')} to fix"
                 if isinstance(errors, pd.DataFrame) and not errors.empty else "")
        status.update(label=f"The import was refused{found}; nothing was changed.",
                      state="error")
        return None
    done = st.session_state.get(FLASH_KEY) or "Imported."
    status.update(label=done, state="complete")
    st.session_state[IMPORT_STATUS_KEY] = done  # for the rerun: `pop_import_status`
    return summary


def pop_import_status() -> str | None:
    """The last label of the import that just finished, once (popped on the rerun after it,
    so it never turns up later when the import tab is next opened)."""
    return st.session_state.pop(IMPORT_STATUS_KEY, None)


def show_import_status(done: str | None) -> None:
    """The finished import's status, complete and collapsed, where it ran."""
    if done:
        st.status(done, expanded=False, state="complete")


def run_import(actor: Actor, files: list[tuple[str, bytes]],
               keep_people: bool = False, progress: Progress | None = None) -> Any | None:
    """Import all-or-nothing; on refusal remember every error for the page to show.

    The files are read and checked in a read session first, so other users' saves are not
    kept waiting for the write lock while a large file is checked. `progress` hears the
    stages of both (planner.core.progress).
    """
    from planner.establishment.importer import import_establishment, prepare_import
    from planner.establishment.organogram_import import organogram_pair

    st.session_state.pop(IMPORT_ERRORS_KEY, None)
    pair = organogram_pair(files)
    if pair is not None:
        return run_organogram_import(actor, *pair, progress=progress)
    summary = _checked_then_written(
        lambda session: prepare_import(session=session, actor=actor, files=files,
                                       keep_people=keep_people,
                                       progress=part(progress, 0.0, 0.45)),
        lambda session, prepared: import_establishment(session=session, actor=actor,
                                                       prepared=prepared,
                                                       progress=part(progress, 0.5, 1.0)))
    if summary is None:
        return None
    from planner.structures.rebase import rebased_sentence

    st.session_state[FLASH_KEY] = (
        f"Imported {fmt.plural(summary.posts, 'post')}, {fmt.plural(summary.people, 'person', 'people')}"
        f" and {fmt.plural(summary.occupancies, 'occupancy', 'occupancies')}. "
        + fmt.md_escape(rebased_sentence(summary.rebased))).strip()
    return summary


def _checked_then_written(check: Any, write: Any) -> Any | None:
    """An import in two steps: every check on a read session, then one write (all or
    nothing). A refusal is kept for the page (errors by file, row and column) or shown (a
    permission), and None returned; after a write, every cached read is dropped."""
    try:
        with reading() as session:
            prepared = check(session)
        with writing() as session:
            summary = write(session, prepared)
    except ValidationFailed as exc:
        st.session_state[IMPORT_ERRORS_KEY] = fmt.errors_table(exc)
        return None
    except PermissionDenied as exc:
        st.error(fmt.md_escape(str(exc)))
        return None
    clear_caches()
    return summary


def run_organogram_import(actor: Actor, senior: tuple[str, bytes],
                          junior: tuple[str, bytes],
                          progress: Progress | None = None) -> Any | None:
    """Import a published organogram pair (recognised by its headings); the headline goes in
    the flash and every assumption the import made is kept for the page to list."""
    from planner.establishment.organogram_import import import_organogram, prepare_organogram

    st.session_state.pop(ORGANOGRAM_KEY, None)
    summary = _checked_then_written(
        lambda session: prepare_organogram(session=session, actor=actor, senior=senior,
                                           junior=junior, progress=part(progress, 0.0, 0.45)),
        lambda session, prepared: import_organogram(session=session, actor=actor,
                                                    prepared=prepared,
                                                    progress=part(progress, 0.5, 1.0)))
    if summary is None:
        return None
    from planner.structures.rebase import rebased_sentence

    st.session_state[FLASH_KEY] = fmt.md_escape(
        f"{summary.headline()} {rebased_sentence(summary.rebased)}".strip())
    st.session_state[ORGANOGRAM_KEY] = list(summary.assumptions)
    return summary


def pop_organogram_assumptions() -> list[str]:
    """What the last organogram import assumed, once, as Markdown-safe sentences."""
    return [fmt.md_escape(a) for a in st.session_state.pop(ORGANOGRAM_KEY, None) or []]


def organogram_zip(actor: Actor, structure_id: int) -> bytes:
    """The structure as a published organogram: senior.csv, junior.csv and
    senior_salaries.csv (Local Government Transparency Code), zipped."""
    from planner.establishment.organogram_export import organogram_zip as write_zip

    with reading() as session:
        return write_zip(session=session, actor=actor, structure_id=structure_id)


def export_xlsx(actor: Actor, structure_id: int) -> bytes:
    from planner.establishment import exports

    with reading() as session:
        return exports.export_xlsx(session=session, actor=actor, structure_id=structure_id)


def export_csv_zip(actor: Actor, structure_id: int) -> bytes:
    from planner.establishment import exports

    with reading() as session:
        return exports.export_csv_zip(session=session, actor=actor, structure_id=structure_id)


def template_xlsx() -> bytes:
    from planner.establishment import exports

    return exports.template_xlsx()
