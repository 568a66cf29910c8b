"""Which pages each role is offered, and that every offered page runs for that role."""

from __future__ import annotations

from pathlib import Path

import pytest

from planner.ui.format import role_label
from tests.app.conftest import ROOT, all_text, app_as, page_alone

ALL_PAGES = ("pages/establishment.py", "pages/org_chart.py", "pages/options.py",
             "pages/compare.py", "pages/reference.py", "pages/audit.py", "pages/users.py",
             "pages/drafts.py", "pages/tupe.py", "pages/consultation.py", "pages/equality.py",
             "pages/mapping.py")
# Written out by hand (not derived from planner.ui.navigation) so a wrong permission or a
# wrong PAGES entry shows up here.
OFFERED = {
    "manager": ("pages/establishment.py", "pages/org_chart.py", "pages/options.py",
                "pages/compare.py", "pages/drafts.py", "pages/mapping.py", "pages/plan.py", "pages/tupe.py",
                "pages/consultation.py", "pages/equality.py", "pages/reference.py"),
    "hr": ("pages/establishment.py", "pages/org_chart.py", "pages/options.py", "pages/compare.py",
           "pages/drafts.py", "pages/mapping.py", "pages/plan.py", "pages/tupe.py", "pages/consultation.py",
           "pages/equality.py", "pages/reference.py", "pages/audit.py"),
    "admin": ("pages/establishment.py", "pages/org_chart.py", "pages/options.py",
              "pages/compare.py", "pages/drafts.py", "pages/mapping.py", "pages/plan.py",
              "pages/tupe.py", "pages/consultation.py", "pages/equality.py", "pages/reference.py",
              "pages/audit.py", "pages/users.py"),
    # A union rep reads only what was published: the drafts (issue 13), never a live option.
    "union": ("pages/drafts.py",),
}
TITLES = {"pages/establishment.py": "Establishment", "pages/org_chart.py": "Org chart",
          "pages/options.py": "Structure options", "pages/compare.py": "Compare",
          "pages/reference.py": "Reference data",
          "pages/audit.py": "Audit", "pages/users.py": "Users",
          "pages/drafts.py": "Published drafts", "pages/tupe.py": "TUPE transfers",
          "pages/consultation.py": "Consultation", "pages/equality.py": "Equality impact",
          "pages/mapping.py": "People mapping", "pages/plan.py": "Financial plan"}
LANDING = {"manager": "Establishment", "hr": "Establishment", "admin": "Establishment",
           "union": "Published drafts"}


def _offered(at) -> set[str]:
    """The page files st.navigation registered in the last run (the sidebar menu).

    AppTest has no public view of the menu; its registry of pages is the closest thing, and
    switch_page() refusing an unregistered page (checked below) backs it up.
    """
    paths = [Path(info["script_path"]) for info in at._registered_pages.values()]
    return {p.relative_to(ROOT).as_posix() for p in paths if p.is_relative_to(ROOT)}


@pytest.mark.parametrize("role", list(OFFERED))
def test_each_role_is_offered_exactly_its_pages(app_db, role):
    """Catches: a page missing from a role's menu, or one offered that the role may not use
    (union seeing the establishment, manager seeing Audit or Users)."""
    at = app_as(app_db.actors[role])
    assert not at.exception
    assert _offered(at) == set(OFFERED[role])
    assert [t.value for t in at.title] == [LANDING[role]]
    for page in set(ALL_PAGES) - set(OFFERED[role]):
        with pytest.raises(ValueError):
            at.switch_page(page)


@pytest.mark.parametrize(("role", "page"),
                         [(r, p) for r, pages in OFFERED.items() for p in pages])
def test_every_offered_page_runs_for_the_role(app_db, role, page):
    """Catches: a page that raises for one role (e.g. a widget shown only to hr that breaks),
    or a page the menu offers but whose guard refuses."""
    at = app_as(app_db.actors[role], page)
    assert not at.exception, at.exception
    assert [t.value for t in at.title] == [TITLES[page]]
    assert not at.error, [e.value for e in at.error]
    # app.py ran around the page
    assert f"Signed in as {role_label(role)}" in all_text(at)


@pytest.mark.parametrize("role", list(OFFERED))
@pytest.mark.parametrize("page", ALL_PAGES)
def test_a_page_opened_directly_refuses_roles_without_permission(app_db, role, page):
    """Catches: a page that relies on the menu hiding it instead of its own guard."""
    at = page_alone(page, app_db.actors[role])
    assert not at.exception, at.exception
    if page in OFFERED[role]:
        assert [t.value for t in at.title] == [TITLES[page]]
    else:
        assert not at.title and not at.dataframe and not at.metric
        assert len(at.error) == 1
        assert f"A {role} may not" in at.error[0].value


def test_union_opening_the_establishment_directly_sees_only_the_refusal(app_db):
    """Catches: personal data reaching a union rep who types the page's URL."""
    at = page_alone("pages/establishment.py", app_db.actors["union"])
    assert [e.value for e in at.error] == [
        "A union may not view the establishment. Ask an administrator if you need access."]
    assert "Ada Brown" not in all_text(at)


def test_a_page_opened_directly_without_signing_in_asks_for_sign_in(app_db):
    """Catches: a page that renders for an anonymous session when app.py is bypassed."""
    at = page_alone("pages/audit.py", None)
    assert [w.value for w in at.warning] == ["Please sign in to use the planner."]
    assert not at.dataframe


def test_the_sign_in_form_imports_every_pages_modules_in_the_background(app_db):
    """Catches: the pages' modules left for the first click after sign-in on a fresh server
    (issue 16: part of the sign-in's first view), or a page's import missed by the list."""
    import ast
    import sys

    from planner.ui.navigation import PAGES, page_modules, warm_page_imports

    names = page_modules()
    for spec in PAGES:  # every top-level import of every page, read here independently
        for node in ast.parse((ROOT / spec.path).read_text()).body:
            if isinstance(node, ast.ImportFrom):
                assert node.module in names, (spec.path, node.module)
                if node.module == "planner.ui":
                    assert {f"planner.ui.{a.name}" for a in node.names} <= set(names)
    assert "planner.ui.establishment" in names and "planner.ui.mapping" in names
    warm_page_imports.cache_clear()  # as on a fresh server
    at = app_as(None)
    assert not at.exception
    assert warm_page_imports.cache_info().currsize == 1  # the form started it
    thread = warm_page_imports()  # the one the form started (once per process)
    assert thread.name == "planner-warm-imports"
    thread.join(timeout=60)
    assert not thread.is_alive()
    assert all(name in sys.modules for name in names)
