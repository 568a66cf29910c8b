"""The People mapping page in a real browser: hr opens the demo option with its shipped
mapping (data/demo/README.md: 8 people leaving, 7 in pools), the grid, the redeployment list
and the payback chart draw, and screenshots are kept for a person to look at. Another browser
test may have cleared the mapping on this database (the consultation test plans the option
before anyone is mapped): the demo's mapping is put back first."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import Session, select

from planner.cli.demo import DEMO_OPTION_NAME as DEMO_OPTION
from planner.cli.demo import map_demo_people
from planner.core.db import make_engine
from planner.core.models import Structure
from planner.people.mapping import has_mapping
from tests.e2e.conftest import E2E_DB
from tests.e2e.test_browser import (
    full_page_screenshot,
    sign_in,
    wait_for_app_run,
    wait_for_charts,
)
from tests.e2e.test_equality_browser import _choose

pytestmark = pytest.mark.e2e


def test_hr_reads_the_mapping_and_the_payback(page, app_url: str, screenshots: Path) -> None:
    engine = make_engine(E2E_DB["url"])
    with Session(engine) as s:
        option = s.exec(select(Structure).where(Structure.name == DEMO_OPTION)).one()
        if not has_mapping(s, option.id):
            map_demo_people(s, option)
            s.commit()
    engine.dispose()
    sign_in(page, "hr", "demo-hr-2026")
    page.get_by_test_id("stSidebarNav").get_by_role("link", name="People mapping").click()
    wait_for_app_run(page)
    page.get_by_role("heading", name="People mapping", level=1).wait_for()
    # Other browser tests may have added options (the page opens on the newest): pick ours.
    _choose(page, "Option", DEMO_OPTION)
    page.locator("[data-testid='stDataFrame']").first.wait_for()
    assert page.locator("[data-testid='stException']").count() == 0
    assert "not mapped yet" not in page.inner_text("body")
    page.mouse.move(5, 5)
    full_page_screenshot(page, screenshots / "12-people-mapping.png")

    page.get_by_role("tab", name="Without a post").click()
    wait_for_app_run(page)
    page.get_by_text("Redeployment", exact=False).first.wait_for()
    assert "for the 5 people at risk" in page.inner_text("body")
    page.mouse.move(5, 5)
    full_page_screenshot(page, screenshots / "12-people-mapping-bench.png")

    page.get_by_role("tab", name="Exit costs and payback").click()
    wait_for_app_run(page)
    wait_for_charts(page, 1)
    body = page.inner_text("body")
    # E0002's pay depends on today's date (age and service); that it is costed is what counts.
    assert "Each person leaving" in body and "Pays back in month" in body
    assert page.locator("[data-testid='stException']").count() == 0
    page.mouse.move(5, 5)
    full_page_screenshot(page, screenshots / "12-people-mapping-payback.png")
