"""A browser refresh keeps the user signed in and on their page; signing out ends it for good.

Streamlit starts a new session on every reload, so only the session cookie (planner.core.sessions,
written by planner/ui/session.py) can carry the sign-in across; the replayed cookie after
sign-out must be refused by the server, not merely deleted by the browser. Also keeps
screenshots of the org chart (with a hover tip), the Compare page and the audit log for a
person to look at.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from planner.ui.session import COOKIE_NAME
from tests.e2e.test_browser import full_page_screenshot, sign_in, wait_for_app_run, wait_for_charts

pytestmark = pytest.mark.e2e


def _session_cookie(page) -> dict | None:
    return next((c for c in page.context.cookies() if c["name"] == COOKIE_NAME), None)


def _open(page, name: str, heading: str | None = None) -> None:
    page.get_by_test_id("stSidebarNav").get_by_role("link", name=name).click()
    wait_for_app_run(page)
    page.get_by_role("heading", name=heading or name, level=1).wait_for()


def test_refresh_keeps_the_user_signed_in_on_the_same_page_until_sign_out(page) -> None:
    sign_in(page, "hr", "demo-hr-2026")
    _open(page, "Org chart")
    assert page.url.endswith("/org-chart")
    page.wait_for_function(f"() => document.cookie.includes('{COOKIE_NAME}=')")
    cookie = _session_cookie(page)
    assert cookie is not None and cookie["sameSite"] == "Strict"
    assert cookie["expires"] > 0  # expires with the session timeout, not with the browser

    page.reload()
    wait_for_app_run(page)
    page.get_by_role("heading", name="Org chart", level=1).wait_for()
    assert page.url.endswith("/org-chart")
    assert page.get_by_label("Username", exact=True).count() == 0
    assert "Signed in as HR" in page.get_by_test_id("stSidebar").inner_text()

    old = _session_cookie(page)
    page.get_by_test_id("stSidebar").get_by_role("button", name="Sign out").click()
    wait_for_app_run(page)
    page.get_by_label("Username", exact=True).wait_for()
    page.wait_for_function(f"() => !document.cookie.includes('{COOKIE_NAME}=')")

    page.reload()
    wait_for_app_run(page)
    page.get_by_label("Username", exact=True).wait_for()

    # Replaying the cookie from before the sign-out: the server refuses it.
    page.context.add_cookies([{k: old[k] for k in ("name", "value", "domain", "path",
                                                   "expires", "sameSite")}])
    page.goto("/org-chart")
    wait_for_app_run(page)
    page.get_by_label("Username", exact=True).wait_for()
    assert page.get_by_role("heading", name="Org chart", level=1).count() == 0

    # Signing in again at that address opens the page asked for, not the landing page.
    assert page.url.endswith("/org-chart")
    page.get_by_label("Username", exact=True).fill("hr")
    page.get_by_label("Password", exact=True).fill("demo-hr-2026")
    page.get_by_role("button", name="Sign in").click()
    wait_for_app_run(page)
    page.get_by_role("heading", name="Org chart", level=1).wait_for()


def test_a_tampered_cookie_is_refused(page, app_url: str) -> None:
    host = app_url.split("//", 1)[1].split(":", 1)[0]
    page.context.add_cookies([{"name": COOKIE_NAME, "value": "v1.1.0.9999999999.forged",
                               "domain": host, "path": "/"}])
    page.goto("/")
    wait_for_app_run(page)
    page.get_by_label("Username", exact=True).wait_for()


def test_screenshots_of_the_org_chart_compare_and_audit_log(page, screenshots: Path) -> None:
    """For a person to look at: what a director sees on these three pages."""
    sign_in(page, "hr", "demo-hr-2026")
    _open(page, "Org chart")
    wait_for_charts(page, 3)
    chart = page.locator("[data-testid='stVegaLiteChart']").first
    chart.scroll_into_view_if_needed()
    box = chart.locator("canvas, svg").first.bounding_box()
    assert box is not None and box["width"] <= 1000
    # Hover ICT-007 on the second row, whose long title the box cuts: the tip has it all.
    page.mouse.move(box["x"] + box["width"] * 0.544, box["y"] + box["height"] * 0.24)
    tip = page.locator("#vg-tooltip-element")
    tip.wait_for(state="visible")
    assert "Head of Infrastructure & Service Delivery" in tip.inner_text()
    full_page_screenshot(page, screenshots / "12-org-chart-fitted.png")
    # Scroll to zoom in on the middle of the chart: the boxes and their text grow together.
    page.mouse.move(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.45)
    for _ in range(4):
        page.mouse.wheel(0, -120)
        page.wait_for_timeout(150)
    page.mouse.move(5, 5)
    page.wait_for_timeout(300)
    chart.screenshot(path=screenshots / "12-org-chart-zoomed.png")
    page.mouse.move(5, 5)

    _open(page, "Compare")
    wait_for_charts(page, 3)
    page.mouse.move(5, 5)
    assert page.locator("[data-testid='stException']").count() == 0
    full_page_screenshot(page, screenshots / "12-compare.png")

    _open(page, "Audit")
    page.locator("[data-testid='stDataFrame']").first.wait_for()
    assert page.locator("[data-testid='stException']").count() == 0
    full_page_screenshot(page, screenshots / "12-audit-log.png")
