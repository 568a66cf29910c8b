"""The Financial plan page in a real browser: hr opens the demo option's 4-year plan; the
tables, the savings-against-target chart and the cumulative net saving with its break-even
draw, and screenshots are kept for a person to look at."""

from __future__ import annotations

from pathlib import Path

import pytest

from planner.cli.demo import DEMO_OPTION_NAME as DEMO_OPTION
from tests.e2e.test_browser import (
    full_page_screenshot,
    sign_in,
    wait_for_app_run,
    wait_for_charts,
)
from tests.e2e.test_equality_browser import _choose

pytestmark = pytest.mark.e2e


def test_hr_reads_the_demo_plan(page, app_url: str, screenshots: Path) -> None:
    sign_in(page, "hr", "demo-hr-2026")
    page.get_by_test_id("stSidebarNav").get_by_role("link", name="Financial plan").click()
    wait_for_app_run(page)
    page.get_by_role("heading", name="Financial plan", level=1).wait_for()
    _choose(page, "Option", DEMO_OPTION)
    page.get_by_role("heading", name="Year by year").wait_for()
    page.locator("[data-testid='stDataFrame']:visible").first.wait_for()
    wait_for_charts(page, 2)
    assert page.locator("[data-testid='stException']").count() == 0
    body = page.inner_text("body")
    assert "2029/30" in body and "Break-even" in body
    page.mouse.move(5, 5)
    full_page_screenshot(page, screenshots / "15-financial-plan.png")
