"""The org chart page's Streamlit wiring: the cached hierarchy, the structures offered, the
difference against the baseline, and the edit of the focused post in an option.

The hierarchy (a networkx graph plus per-post metrics) is built once per structure version and
kept with st.cache_resource: it is read-only once built, and rebuilding it on every click would
cost a 50,000-post council a quarter of a second each time. The same goes for an option's
difference against the baseline (kept as a resource too: st.cache_data would copy 50,000 rows
on every rerun) and for the list of structures, read from the structures table alone (the
options list's post counts sum every post of every structure).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from itertools import islice
from typing import Any

import pandas as pd
import streamlit as st
from sqlmodel import select

from planner.core.auth import Actor, can
from planner.core.errors import (
    NotFound,
    PermissionDenied,
    PlannerError,
    StaleVersion,
    ValidationFailed,
)
from planner.core.models import Structure
from planner.establishment.reference import grade_table
from planner.establishment.register import PostEdits, baseline_id, structure_version
from planner.structures import comparison, options
from planner.structures.hierarchy import Hierarchy, load
from planner.ui.session import database_url, reading, writing

FOCUS_KEY = "org_focus"
DEPTH_KEY = "org_depth"
OPEN_KEY = "org_open_teams"
SEARCH_KEY = "org_search"
STRUCTURE_KEY = "org_structure"
FLASH_KEY = "org_flash"
EDIT_ERRORS_KEY = "org_edit_errors"
EDITABLE = ("title", "grade", "fte", "reports_to", "team")


@dataclass(frozen=True)
class Chartable:
    hierarchy: Hierarchy
    structure_id: int
    version: int
    name: str
    is_option: bool


@st.cache_resource(show_spinner=False, max_entries=8)
def _hierarchy(url: str, structure_id: int, version: int, role: str, _actor: Actor) -> Hierarchy:
    """Keyed by the structure's version (bumped by every change) and the role."""
    with reading() as session:
        return load(session=session, actor=_actor, structure_id=structure_id)


def structures(actor: Actor) -> list[tuple[int, str, bool]]:
    """(id, name, is_option) of what this user may chart: the baseline, and the options for
    roles that may read them."""
    with reading() as session:
        sid = baseline_id(session)
        if not can(actor, "options.read"):
            return [] if sid is None else [(sid, "Current establishment", False)]
        rows = session.exec(select(Structure.id, Structure.name, Structure.kind)
                            .where(Structure.archived == False)  # noqa: E712 (SQL)
                            .order_by(Structure.kind != "baseline", Structure.id)).all()
    return [(int(i), str(name), kind == "option") for i, name, kind in rows]


def load_hierarchy(actor: Actor, structure_id: int | None = None) -> Chartable | None:
    """A structure's hierarchy (the baseline by default), or None before anything exists."""
    with reading() as session:
        sid = structure_id if structure_id is not None else baseline_id(session)
        if sid is None:
            return None
        structure = session.get(Structure, sid)
        if structure is None:
            raise NotFound(f"No structure with id {sid}.")
        version, name, kind = structure.version, structure.name, structure.kind
    h = _hierarchy(database_url(), sid, version, actor.role, actor)
    return Chartable(h, sid, version, name, kind == "option")


@st.cache_resource(show_spinner=False, max_entries=8)
def _changes(url: str, structure_id: int, version: int, base_version: int, role: str,
             _actor: Actor) -> pd.DataFrame:
    """Each option post's change and primary change (what the chart colours by), read-only."""
    with reading() as session:
        compared = comparison.compare_structures(session=session, actor=_actor, base="baseline",
                                                 other=structure_id, people=False)
    frame = compared.frame
    kept = frame.loc[frame["change"] != "deleted", ["post_id", "change", "primary_change"]]
    return kept.set_index("post_id")


def changes_against_baseline(actor: Actor, chartable: Chartable) -> pd.DataFrame | None:
    """Per option post its change against the baseline (for difference colouring)."""
    if not chartable.is_option or not can(actor, "options.read"):
        return None
    with reading() as session:
        base = baseline_id(session)
        base_version = structure_version(session, base) if base is not None else 0
    return _changes(database_url(), chartable.structure_id, chartable.version, base_version,
                    actor.role, actor)


def focus_options(h: Hierarchy, limit: int = 200) -> list[str]:
    """What the focus picker offers before a search: the top posts, then up to `limit`
    managers in establishment order (read lazily: a large council has thousands)."""
    tops = h.tops
    top_set = set(tops)
    return tops + list(islice((p for p in h.manager_ids if p not in top_set), limit))


def status_progress(status: Any) -> Callable[[float, str], None]:
    """A `chart_images` progress callback that shows each stage as an st.status label."""
    def update(fraction: float, message: str) -> None:
        status.update(label=f"{message} ({fraction:.0%})")
    return update


def grades() -> list[str]:
    with reading() as session:
        return list(grade_table(session))


def post_edit(h: Hierarchy, post_id: str, values: dict[str, str]) -> PostEdits:
    """The focused post's form as PostEdits: only what changed, with the version it showed."""
    row = h.posts.loc[post_id]
    changed = {c: str(values[c]).strip() for c in EDITABLE
               if str(values[c]).strip() != str(row.get(c, "") or "").strip()}
    return PostEdits(updated={post_id: changed} if changed else {},
                     versions={post_id: int(row["version"])})


def post_delete(h: Hierarchy, post_id: str) -> PostEdits:
    return PostEdits(deleted=[post_id], versions={post_id: int(h.posts.at[post_id, "version"])})


def save_post(actor: Actor, chartable: Chartable, edits: PostEdits, what: str) -> None:
    """Apply the edit to the option; a refusal is kept in session state to show after rerun."""
    st.session_state.pop(EDIT_ERRORS_KEY, None)
    try:
        with writing() as session:
            options.edit_option_posts(session=session, actor=actor,
                                      structure=chartable.structure_id, edits=edits)
    except ValidationFailed as exc:
        st.session_state[EDIT_ERRORS_KEY] = pd.DataFrame(
            [e.as_dict() for e in exc.errors])[["column", "message"]]
        return
    except (StaleVersion, PermissionDenied, PlannerError) as exc:
        st.session_state[EDIT_ERRORS_KEY] = pd.DataFrame([{"column": "", "message": str(exc)}])
        return
    st.session_state[FLASH_KEY] = what
