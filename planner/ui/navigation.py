"""Which pages a role sees: built from the permission table, never from a list per role."""

from __future__ import annotations

import ast
import functools
import importlib
import importlib.util
import logging
import threading
from dataclasses import dataclass
from pathlib import Path

import streamlit as st

from planner.core.auth import Actor, can

log = logging.getLogger("planner.ui")
ROOT = Path(__file__).resolve().parents[2]  # beside app.py, where the pages' paths start


@dataclass(frozen=True)
class PageSpec:
    path: str
    title: str
    icon: str
    action: str  # the permission that opens the page
    # Never the file's stem: with a pages/ folder beside app.py, Streamlit's older folder-based
    # navigation claims URLs named after the files and would run a page without app.py (no
    # timeout check, no sidebar) whenever it resolves a URL before st.navigation has run.
    url_path: str = ""
    # Shown only to roles that may NOT do this (see the drafts page below).
    unless: str | None = None


PAGES: tuple[PageSpec, ...] = (
    PageSpec("pages/establishment.py", "Establishment", ":material/groups:", "establishment.read",
             url_path="establishment-register"),
    PageSpec("pages/org_chart.py", "Org chart", ":material/account_tree:", "establishment.read",
             url_path="org-chart"),
    PageSpec("pages/options.py", "Structure options", ":material/alt_route:", "options.read",
             url_path="structure-options"),
    PageSpec("pages/compare.py", "Compare", ":material/compare_arrows:", "options.read",
             url_path="compare-structures"),
    # Everyone reads the published drafts: union reps respond there, hr replies, and
    # management sees exactly what the unions were shown.
    PageSpec("pages/drafts.py", "Published drafts", ":material/article:", "drafts.read",
             url_path="published-drafts"),
    PageSpec("pages/mapping.py", "People mapping", ":material/swap_horiz:", "mapping.read",
             url_path="people-mapping"),
    PageSpec("pages/plan.py", "Financial plan", ":material/savings:", "plan.read",
             url_path="financial-plan"),
    PageSpec("pages/tupe.py", "TUPE transfers", ":material/move_up:", "tupe.read",
             url_path="tupe-transfers"),
    PageSpec("pages/consultation.py", "Consultation", ":material/event_note:",
             "consultation.read", url_path="consultation-timeline"),
    PageSpec("pages/equality.py", "Equality impact", ":material/diversity_3:", "equality.read",
             url_path="equality-impact"),
    PageSpec("pages/reference.py", "Reference data", ":material/table_chart:", "reference.read",
             url_path="reference-data"),
    PageSpec("pages/audit.py", "Audit", ":material/history:", "audit.read",
             url_path="audit-log"),
    PageSpec("pages/users.py", "Users", ":material/manage_accounts:", "users.manage",
             url_path="user-accounts"),
)


def pages_for(actor: Actor) -> list[PageSpec]:
    """The pages `actor` may open, in menu order."""
    return [p for p in PAGES
            if can(actor, p.action) and not (p.unless and can(actor, p.unless))]


def streamlit_pages(actor: Actor) -> list[st.Page]:
    """`pages_for(actor)` as st.Page objects for st.navigation (the first is the default)."""
    return [st.Page(p.path, title=p.title, icon=p.icon, url_path=p.url_path, default=(i == 0))
            for i, p in enumerate(pages_for(actor))]


def page_modules() -> list[str]:
    """The modules the pages import (their top-level `import`s), in first-seen order."""
    found: dict[str, None] = {}
    for spec in PAGES:
        tree = ast.parse((ROOT / spec.path).read_text(encoding="utf-8"))
        for node in tree.body:
            if isinstance(node, ast.ImportFrom) and node.module and not node.level:
                found[node.module] = None
                for alias in node.names:  # `from planner.ui import mapping`: a module too
                    name = f"{node.module}.{alias.name}"
                    try:
                        if importlib.util.find_spec(name) is not None:
                            found[name] = None
                    except (ImportError, AttributeError, ValueError):
                        pass  # a name from a module, not a package's module
            elif isinstance(node, ast.Import):
                found.update(dict.fromkeys(a.name for a in node.names))
    return list(found)


def _import_all() -> None:
    for name in page_modules():
        try:
            importlib.import_module(name)
        except Exception:  # the page itself will report it, with a reference
            log.warning("could not import %s ahead of its page", name, exc_info=True)


@functools.cache
def warm_page_imports() -> threading.Thread:
    """Import the pages' modules in the background, once per server process, while the first
    user signs in: on a fresh server their first page otherwise paid for the imports after
    the click (issue 16: about a third of a second of the sign-in's first view)."""
    thread = threading.Thread(target=_import_all, name="planner-warm-imports", daemon=True)
    thread.start()
    return thread
