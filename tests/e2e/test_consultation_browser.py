"""The Consultation page in a real browser: HR plans the demo option's consultation and the
timeline shows the statutory clock, with a first dismissal planned inside the minimum period.

HR plans before anyone is mapped: the test clears the demo option's people mapping first, and
the option ('Option 1: single service desk', data/demo/README.md) then puts 22 employees at
risk by its deleted posts: 20-99, so s.188 applies with 30 days (the shipped mapping brings
the count to 12; tests/legal and tests/people cover that). Dates are relative to today so the
test never ages: the launch 14 days ahead and the first dismissal 25 days after it, 5 days
short.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from planner.cli.demo import DEMO_OPTION_NAME
from tests.e2e.test_browser import (
    full_page_screenshot,
    read_metrics,
    sign_in,
    wait_for_app_run,
    wait_for_charts,
)

pytestmark = pytest.mark.e2e


def _uk(day: dt.date) -> str:
    return day.strftime("%d/%m/%Y")


def _short(day: dt.date) -> str:
    return f"{day.day} {day:%b %Y}"


def _fill_date(page, label: str, day: dt.date) -> None:
    """Type a date into a Streamlit date input: a field of day, month and year segments
    (DD/MM/YYYY) that move on as each is filled."""
    field = page.get_by_role("group", name=label, exact=True)
    field.get_by_role("spinbutton").first.click()
    page.keyboard.type(_uk(day).replace("/", ""))
    page.keyboard.press("Tab")


# The stages editor's geometry (planner/ui/consultation.py STAGE_EDITOR_CONFIG): the pinned
# stage column, then planned start and planned end; rows of 35 px under a 35 px header.
STAGE_WIDTH, START_WIDTH, END_WIDTH, ROW = 185, 110, 105, 35


def _edit_dates(page, *, row: int, start: dt.date, end: dt.date) -> None:
    """Type a stage's planned dates into the editor (a canvas grid: click the cell, then
    fill the date input it opens)."""
    grid = page.get_by_test_id("stDataFrame").first  # for hr, the first table is the editor
    grid.scroll_into_view_if_needed()
    box = grid.bounding_box()
    y = box["y"] + ROW * (row + 1) + ROW / 2
    for x, day in ((box["x"] + STAGE_WIDTH + START_WIDTH / 2, start),
                   (box["x"] + STAGE_WIDTH + START_WIDTH + END_WIDTH / 2, end)):
        editor = page.get_by_test_id("date-picker-cell")
        for _ in range(3):  # a rerun or a late chart can move the grid under the pointer
            page.mouse.click(x, y)  # select the cell, then open its editor
            page.keyboard.press("Enter")
            try:
                editor.wait_for(timeout=3000)
                break
            except PlaywrightTimeout:
                page.keyboard.press("Escape")
                box = grid.bounding_box()
                y = box["y"] + ROW * (row + 1) + ROW / 2
        editor.fill(day.isoformat())
        editor.press("Enter")
        editor.wait_for(state="detached")


def _unmap_the_demo_option() -> None:
    """Back to before anyone was mapped: every stored outcome blank, then the empty pools."""
    from sqlmodel import Session, select

    from planner.cli.demo import DEMO_AUTHOR
    from planner.core.db import make_engine
    from planner.core.models import Structure
    from planner.people.mapping import delete_pool, mapping_frame, pools_frame, save_mapping
    from tests.e2e.conftest import E2E_DB

    engine = make_engine(E2E_DB["url"])
    with Session(engine) as s:
        option = s.exec(select(Structure).where(Structure.name == DEMO_OPTION_NAME)).one()
        frame = mapping_frame(session=s, actor=DEMO_AUTHOR, structure=option)
        stored = frame[frame["version"] > 0]
        if len(stored):
            save_mapping(session=s, actor=DEMO_AUTHOR, structure=option,
                         rows=[{"employee_id": e, "outcome": ""} for e in stored["employee_id"]],
                         expected_version=option.version)
            s.refresh(option)
        for name in pools_frame(session=s, actor=DEMO_AUTHOR, structure=option)["name"]:
            delete_pool(session=s, actor=DEMO_AUTHOR, structure=option, name=name,
                        expected_version=option.version)
            s.refresh(option)
        s.commit()
    engine.dispose()


def test_hr_plans_the_demo_consultation(page, screenshots: Path) -> None:
    _unmap_the_demo_option()
    sign_in(page, "hr", "demo-hr-2026")
    page.get_by_test_id("stSidebarNav").get_by_role("link", name="Consultation").click()
    wait_for_app_run(page)
    page.get_by_role("heading", name="Consultation", level=1).wait_for()
    picker = page.get_by_test_id("stSelectbox").filter(has_text="Option")
    if DEMO_OPTION_NAME not in picker.inner_html():
        picker.click()
        page.get_by_role("option", name=DEMO_OPTION_NAME).click()
        wait_for_app_run(page)
    assert DEMO_OPTION_NAME in picker.inner_html()
    assert read_metrics(page, "Proposed dismissals")["Proposed dismissals"] == "22"

    launch = dt.date.today() + dt.timedelta(days=14)
    first = launch + dt.timedelta(days=25)
    _fill_date(page, "Launch date", launch)
    _fill_date(page, "Planned first dismissal", first)
    page.get_by_label("Establishment", exact=True).fill("Brent Civic Centre (shared ICT)")
    page.get_by_role("button", name="Save plan").click()
    wait_for_app_run(page, settle_ms=800)
    page.get_by_text("Saved the consultation plan").wait_for()

    metrics = read_metrics(page, "s.188 applies", "HR1 deadline")
    assert metrics["s.188 applies"] == "Yes: 30 days"
    assert metrics["Earliest lawful first dismissal"] == _short(launch + dt.timedelta(days=30))
    assert metrics["HR1 deadline"] == _short(first - dt.timedelta(days=30))
    breach = page.get_by_test_id("stAlertContentError").filter(
        has_text="is 25 days after the consultation began")
    breach.first.wait_for()
    assert "for 22 proposed dismissals s.188 requires at least 30" in breach.first.inner_text()

    # Plan two stages in the stages table, once the timeline has drawn (it moves the table).
    wait_for_charts(page, 1)
    _edit_dates(page, row=2, start=launch, end=launch + dt.timedelta(days=34))
    _edit_dates(page, row=4, start=launch + dt.timedelta(days=36),
                end=launch + dt.timedelta(days=50))
    # Leave the grid (its last cell edit reruns the script), then save once the app is idle:
    # a click that lands during that rerun only takes the focus off the grid.
    saved = page.get_by_text("Saved the stages")
    for attempt in range(3):
        page.keyboard.press("Escape")
        wait_for_app_run(page, settle_ms=800)
        save = page.get_by_role("button", name="Save stages")
        save.scroll_into_view_if_needed()
        save.click()
        wait_for_app_run(page, settle_ms=800)
        try:
            saved.wait_for(timeout=10_000)
            break
        except PlaywrightTimeout:
            # On a loaded machine the click can land while the grid's rerun is still
            # settling and only take the focus; a refusal, though, is a failure at once.
            refused = page.get_by_test_id("stAlertContentError").filter(has_text="—")
            assert refused.count() == 0, refused.first.inner_text()
            if attempt == 2:
                raise

    wait_for_charts(page, 1)
    page.locator("[data-testid='stDataFrame']").first.wait_for()
    assert page.locator("[data-testid='stException']").count() == 0
    full_page_screenshot(page, screenshots / "10-consultation.png")
