"""The equality page in a real browser: hr opens the demo option's analysis, its charts draw,
the default view is suppressed, and a screenshot is kept for a person to look at."""

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

pytestmark = pytest.mark.e2e

# Ten characteristic charts (nine protected characteristics and working pattern), the grade
# mix and part-time working.
CHARTS = 12


def _choose(page, label: str, option: str) -> None:
    """Pick `option` in the selectbox labelled `label` (Streamlit's own listbox)."""
    box = page.get_by_test_id("stSelectbox").filter(has_text=label).first
    if option in box.inner_text():
        return
    box.locator("input").click()
    page.get_by_role("option", name=option, exact=True).click()
    wait_for_app_run(page)


def test_hr_reads_the_equality_analysis_of_the_demo_option(page, screenshots: Path) -> None:
    sign_in(page, "hr", "demo-hr-2026")
    page.get_by_test_id("stSidebarNav").get_by_role("link", name="Equality impact").click()
    wait_for_app_run(page)
    page.get_by_role("heading", name="Equality impact", level=1).wait_for()
    _choose(page, "Option", DEMO_OPTION)
    page.get_by_role("heading", name="At-risk share by group against the whole service"
                     ).wait_for()
    wait_for_charts(page, CHARTS)
    assert page.locator("[data-testid='stException']").count() == 0
    # The default view is suppressed, even for hr.
    toggle = page.get_by_test_id("stCheckbox").filter(has_text="Show unsuppressed figures")
    assert toggle.locator("input").is_checked() is False
    page.locator("[data-testid='stDataFrame']").first.wait_for()
    page.get_by_role("button", name="Equality analysis summary (.docx)").wait_for()
    page.mouse.move(5, 5)
    full_page_screenshot(page, screenshots / "11-equality.png")

    page.get_by_role("tab", name="Checkpoints").click()
    wait_for_app_run(page)
    # The demo signed stage 1 off before publishing its drafts: stage 2 is the open one.
    page.get_by_text("Stage 1: before the proposals · signed off").first.wait_for()
    page.get_by_role("button", name="Save stage 2").wait_for()
    page.locator("[data-testid='stDataFrame']:visible").first.wait_for()
    assert page.locator("[data-testid='stException']").count() == 0
    page.mouse.move(5, 5)
    full_page_screenshot(page, screenshots / "11-equality-checkpoints.png")

    page.get_by_role("tab", name="Equality records").click()
    wait_for_app_run(page)
    page.get_by_role("button", name="Save records").wait_for()
    page.locator("[data-testid='stDataFrame']").first.wait_for()
    assert page.locator("[data-testid='stException']").count() == 0
    page.mouse.move(5, 5)
    full_page_screenshot(page, screenshots / "11-equality-records.png")

    # hr may look behind the suppression; the page says what that means.
    page.get_by_role("tab", name="Analysis").click()
    wait_for_app_run(page)
    toggle = page.get_by_test_id("stCheckbox").filter(has_text="Show unsuppressed figures")
    toggle.locator("label").click()
    wait_for_app_run(page)
    page.get_by_text("These figures are not suppressed").wait_for()
    wait_for_charts(page, CHARTS)
    assert page.locator("[data-testid='stException']").count() == 0
    page.mouse.move(5, 5)
    full_page_screenshot(page, screenshots / "11-equality-unsuppressed.png")
