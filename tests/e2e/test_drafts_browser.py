"""The Published drafts page in a real browser, as the demo union rep: the latest draft's
structure chart and posts, what changed since draft 1, the figures and timetable, and a
response sent; screenshots kept for a person to look at (issue 13's acceptance)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.test_browser import (
    full_page_screenshot,
    read_metrics,
    sign_in,
    wait_for_app_run,
    wait_for_charts,
)

pytestmark = pytest.mark.e2e


def test_a_union_rep_reads_the_demo_drafts_and_responds(page, screenshots: Path) -> None:
    sign_in(page, "union", "demo-union-2026")
    page.get_by_role("heading", name="Published drafts", level=1).wait_for()
    wait_for_app_run(page)
    wait_for_charts(page, 1)  # the proposed structure
    body = page.inner_text("body")
    assert "Draft 2: Option 1: single service desk" in body
    assert read_metrics(page, "Posts")["Posts"] == "76"
    assert page.locator("[data-testid='stException']").count() == 0
    page.mouse.move(5, 5)
    full_page_screenshot(page, screenshots / "13-draft-structure.png")

    page.get_by_role("tab", name="Changes since the previous draft").click()
    wait_for_app_run(page)
    page.get_by_text("Regraded", exact=False).first.wait_for()
    full_page_screenshot(page, screenshots / "13-draft-changes.png")

    page.get_by_role("tab", name="Figures and timetable").click()
    wait_for_app_run(page)
    page.get_by_text("Spend against the envelope").wait_for()
    full_page_screenshot(page, screenshots / "13-draft-figures.png")

    page.get_by_role("tab", name="Responses").click()
    wait_for_app_run(page)
    page.get_by_label("Your response").fill(
        "Please share the selection criteria for the two ring-fenced pools.")
    page.get_by_role("button", name="Send the response").click()
    wait_for_app_run(page, settle_ms=800)
    page.get_by_text("Your response was sent").wait_for()
    assert page.locator("[data-testid='stException']").count() == 0
    page.get_by_role("tab", name="Responses").click()
    wait_for_app_run(page)
    page.mouse.move(5, 5)
    full_page_screenshot(page, screenshots / "13-draft-responses.png")
