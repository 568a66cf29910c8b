"""The org chart page's Streamlit wiring: the cached hierarchy and the view choices.

The hierarchy (a networkx graph plus per-post metrics) is built once per structure version and
kept with st.cache_resource: it is read-only once built, and rebuilding it on every click would
cost a 50,000-post council a quarter of a second each time.
"""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from planner.auth import Actor
from planner.establishment import baseline_id, structure_version
from planner.hierarchy import Hierarchy, load
from planner.ui.session import database_url, reading

FOCUS_KEY = "org_focus"
DEPTH_KEY = "org_depth"
OPEN_KEY = "org_open_teams"
SEARCH_KEY = "org_search"


@dataclass(frozen=True)
class Chartable:
    hierarchy: Hierarchy
    structure_id: int
    version: int


@st.cache_resource(show_spinner=False, max_entries=8)
def _hierarchy(url: str, structure_id: int, version: int, role: str, _actor: Actor) -> Hierarchy:
    """Keyed by the structure's version (bumped by every change) and the role."""
    with reading() as session:
        return load(session=session, actor=_actor, structure_id=structure_id)


def load_hierarchy(actor: Actor) -> Chartable | None:
    """The baseline's hierarchy, or None before anything has been imported."""
    with reading() as session:
        sid = baseline_id(session)
        if sid is None:
            return None
        version = structure_version(session, sid)
    h = _hierarchy(database_url(), sid, version, actor.role, actor)
    return Chartable(h, sid, version)
