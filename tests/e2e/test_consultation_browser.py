"""The Consultation page in a real browser: HR plans the demo option's consultation and the
timeline shows the statutory clock, with a first dismissal planned inside the minimum period.

The demo option ('Option 1: single service desk', data/demo/README.md) puts 22 employees at
risk: 20-99, so s.188 applies with 30 days. Dates are relative to today so the test never
ages: the launch 14 days ahead and the first dismissal 25 days after it, 5 days short.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from planner.demo import DEMO_OPTION_NAME
from tests.e2e.test_browser import (
    full_page_screenshot,
    read_metrics,
    wait_for_app_run,
    wait_for_charts,
)

pytestmark = pytest.mark.e2e


def _uk(day: dt.date) -> str:
    return day.strftime("%d/%m/%Y")


def _short(day: dt.date) -> str:
    return f"{day.day} {day:%b %Y}"


def _sign_in(page, username: str, password: str) -> None:
    page.goto("/")
    wait_for_app_run(page)
    page.get_by_label("Username", exact=True).fill(username)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()
    wait_for_app_run(page)


def _fill_date(page, label: str, day: dt.date) -> None:
    """Type a date into a Streamlit date input: a field of day, month and year segments
    (DD/MM/YYYY) that move on as each is filled."""
    field = page.get_by_role("group", name=label, exact=True)
    field.get_by_role("spinbutton").first.click()
    page.keyboard.type(_uk(day).replace("/", ""))
    page.keyboard.press("Tab")


def test_hr_plans_the_demo_consultation(page, screenshots: Path) -> None:
    _sign_in(page, "hr", "demo-hr-2026")
    page.get_by_test_id("stSidebarNav").get_by_role("link", name="Consultation").click()
    wait_for_app_run(page)
    page.get_by_role("heading", name="Consultation", level=1).wait_for()
    picker = page.get_by_test_id("stSelectbox").filter(has_text="Option")
    if DEMO_OPTION_NAME not in picker.inner_html():
        picker.click()
        page.get_by_role("option", name=DEMO_OPTION_NAME).click()
        wait_for_app_run(page)
    assert DEMO_OPTION_NAME in picker.inner_html()
    assert read_metrics(page)["Proposed dismissals"] == "22"

    launch = dt.date.today() + dt.timedelta(days=14)
    first = launch + dt.timedelta(days=25)
    _fill_date(page, "Launch date", launch)
    _fill_date(page, "Planned first dismissal", first)
    page.get_by_label("Establishment", exact=True).fill("Brent Civic Centre (shared ICT)")
    page.get_by_role("button", name="Save plan").click()
    wait_for_app_run(page, settle_ms=800)
    page.get_by_text("Saved the consultation plan").wait_for()

    metrics = read_metrics(page)
    assert metrics["s.188 applies"] == "Yes: 30 days"
    assert metrics["Earliest lawful first dismissal"] == _short(launch + dt.timedelta(days=30))
    assert metrics["HR1 deadline"] == _short(first - dt.timedelta(days=30))
    breach = page.get_by_test_id("stAlertContentError").filter(
        has_text="is 25 days after the consultation began")
    breach.first.wait_for()
    assert "for 22 proposed dismissals s.188 requires at least 30" in breach.first.inner_text()

    wait_for_charts(page, 1)
    page.locator("[data-testid='stDataFrame']").first.wait_for()
    assert page.locator("[data-testid='stException']").count() == 0
    full_page_screenshot(page, screenshots / "10-consultation.png")
