"""The app in a real browser: sign in as HR and read the demo establishment's headline figures.

The figures are those counted by hand in data/demo/README.md, not computed with planner/, so
a wrong count anywhere between the CSVs and the screen shows up here. Screenshots go to
tests/e2e/screenshots/ for a person to look at.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

APP_IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"

# Label -> value, from the table "Headline figures (counted by hand)" in data/demo/README.md.
DEMO_HEADLINES = {
    "Posts": Decimal("94"),
    "Establishment FTE": Decimal("93.5"),
    "Staff in post FTE": Decimal("63.3"),
    "Without an employee": Decimal("30"),
    "Covered by interim": Decimal("23"),
}


def wait_for_app_run(page, settle_ms: int = 300) -> None:
    """Wait until Streamlit has finished the rerun an interaction started.

    The script-state attribute still reads notRunning for a moment after a click, before the
    rerun request reaches the server, so pause briefly first (as Streamlit's own e2e suite does).
    """
    page.wait_for_timeout(settle_ms)
    page.wait_for_selector(APP_IDLE, state="attached")


def sign_in(page, username: str, password: str) -> None:
    """Open the app and sign in with a demo user's password."""
    page.goto("/")
    wait_for_app_run(page)
    page.get_by_label("Username", exact=True).fill(username)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()
    wait_for_app_run(page)


def full_page_screenshot(page, path: Path) -> None:
    """A screenshot of the whole page, not just the window.

    Streamlit scrolls inside its own main container rather than the document, so Playwright's
    full_page option sees one window's worth; grow the window by the hidden overflow instead,
    let the layout settle, and put it back afterwards.
    """
    hidden = page.evaluate(
        """() => {
            // The nearest scrolling ancestor of the page's content, not the dataframe's own
            // scroller (whose rows never grow the page however tall the window is).
            let e = document.querySelector("[data-testid='stMainBlockContainer']");
            for (; e; e = e.parentElement) {
                const scrolls = ['auto', 'scroll'].includes(getComputedStyle(e).overflowY);
                if (scrolls && e.scrollHeight > e.clientHeight) {
                    return e.scrollHeight - e.clientHeight;
                }
            }
            return 0;
        }"""
    )
    size = page.viewport_size
    if hidden > 0:
        page.set_viewport_size({"width": size["width"], "height": size["height"] + hidden})
        wait_for_app_run(page, settle_ms=500)
    page.screenshot(path=path, full_page=True)
    page.set_viewport_size(size)


def read_metrics(page, *labels: str) -> dict[str, str]:
    """{label: shown value} for every st.metric on the page, once the metrics named in
    `labels` are drawn (a loaded machine draws the page's parts in turn)."""
    for label in labels:
        page.locator("[data-testid='stMetricLabel']").filter(has_text=label).first.wait_for()
    metrics = {}
    for metric in page.locator("[data-testid='stMetric']").all():
        label = metric.locator("[data-testid='stMetricLabel']").inner_text().strip()
        value = metric.locator("[data-testid='stMetricValue']").inner_text().strip()
        metrics[label] = value
    return metrics


def wait_for_charts(page, count: int) -> None:
    """Vega renders after the script run ends; wait for each chart's canvas or SVG."""
    charts = page.locator("[data-testid='stVegaLiteChart']")
    page.wait_for_function(
        """n => {
            const charts = document.querySelectorAll("[data-testid='stVegaLiteChart']");
            return charts.length >= n && [...charts].every(c => c.querySelector('canvas, svg'));
        }""",
        arg=count,
    )
    assert charts.count() >= count


def test_hr_signs_in_and_sees_the_demo_establishment(page, screenshots: Path) -> None:
    page.goto("/")
    wait_for_app_run(page)
    username = page.get_by_label("Username", exact=True)
    username.wait_for()
    full_page_screenshot(page, screenshots / "01-sign-in.png")

    username.fill("hr")
    page.get_by_label("Password", exact=True).fill("demo-hr-2026")
    page.get_by_role("button", name="Sign in").click()
    wait_for_app_run(page)

    # The establishment is hr's default page; open it from the menu if that ever changes.
    title = page.get_by_role("heading", name="Establishment", level=1)
    if not title.is_visible():
        page.get_by_test_id("stSidebarNav").get_by_role("link", name="Establishment").click()
        wait_for_app_run(page)
    title.wait_for()
    page.locator("[data-testid='stMetric']").nth(len(DEMO_HEADLINES) - 1).wait_for()

    shown = read_metrics(page)
    figures = {label: Decimal(value.replace(",", "")) for label, value in shown.items()}
    assert figures == DEMO_HEADLINES, shown
    assert page.locator("[data-testid='stException']").count() == 0

    wait_for_charts(page, 3)
    page.locator("[data-testid='stDataFrame']").first.wait_for()
    full_page_screenshot(page, screenshots / "02-establishment.png")

    page.get_by_role("tab", name="Edit posts").click()
    wait_for_app_run(page)
    page.get_by_role("button", name="Save changes").wait_for()
    page.locator("[data-testid='stDataFrame']").first.wait_for()
    assert page.locator("[data-testid='stException']").count() == 0
    full_page_screenshot(page, screenshots / "03-edit-posts.png")


def test_manager_opens_the_org_chart_of_a_division(page, screenshots: Path) -> None:
    """The demo org chart as a manager sees it: the top of the service, then one division."""
    sign_in(page, "manager", "demo-manager-2026")
    page.get_by_test_id("stSidebarNav").get_by_role("link", name="Org chart").click()
    wait_for_app_run(page)
    page.get_by_role("heading", name="Org chart", level=1).wait_for()
    wait_for_charts(page, 3)
    assert page.locator("[data-testid='stException']").count() == 0
    chart = page.locator("[data-testid='stVegaLiteChart']").first
    assert "Chief Digital" in chart.inner_html() or chart.locator("canvas").count() == 1
    page.mouse.move(5, 5)
    full_page_screenshot(page, screenshots / "04-org-chart.png")

    page.get_by_label("Find a post", exact=True).fill("Head of Infrastructure")
    page.keyboard.press("Enter")
    wait_for_app_run(page)
    wait_for_charts(page, 3)
    page.mouse.move(5, 5)
    full_page_screenshot(page, screenshots / "05-org-chart-division.png")
    focus = page.get_by_test_id("stSelectbox").filter(has_text="Focus on")
    assert "ICT-007 · Head of Infrastructure" in focus.inner_html()


def _option_csv(path: Path) -> Path:
    """The demo's posts as an option: two leaf posts deleted, two regraded (one covered by an
    interim, ICT-014, whose cost follows the interim, and one vacant, ICT-016, costed at the
    new grade), one made full time, one new post. Written from data/demo/posts.csv so it
    follows the demo."""
    import csv

    source = Path(__file__).resolve().parents[2] / "data" / "demo" / "posts.csv"
    with source.open(newline="") as f:
        rows = list(csv.DictReader(f))
    managers = {r["reports_to"] for r in rows}
    leaves = [r["post_id"] for r in rows if r["post_id"] not in managers]
    gone = set(leaves[-2:])
    kept = [r for r in rows if r["post_id"] not in gone]
    for r in kept:
        if r["post_id"] in ("ICT-014", "ICT-016"):
            r["grade"] = "PO3"
        if r["post_id"] == "ICT-003":
            r["fte"] = "1"
    kept.append({**kept[0], "post_id": "ICT-095", "title": "Cloud Platform Lead",
                 "division": "Infrastructure & Service Delivery", "team": "Cloud",
                 "reports_to": "ICT-007", "grade": "PO6", "fte": "1", "notes": ""})
    out = path / "posts.csv"
    with out.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(kept)
    return out


def _new_option_tab(page, tab: str) -> None:
    """Open the "New option" expander (unless a rerun left it open) and one of its tabs."""
    target = page.get_by_role("tab", name=tab)
    if not target.is_visible():
        page.get_by_text("New option", exact=True).click()
    target.wait_for()
    target.click()
    page.wait_for_timeout(150)


def test_manager_builds_options_and_compares_them(page, screenshots: Path, tmp_path: Path
                                                  ) -> None:
    """A manager imports an option, copies another from the baseline, and opens Compare."""
    sign_in(page, "manager", "demo-manager-2026")
    nav = page.get_by_test_id("stSidebarNav")
    nav.get_by_role("link", name="Structure options").click()
    wait_for_app_run(page)
    page.get_by_role("heading", name="Structure options", level=1).wait_for()

    _new_option_tab(page, "Import from a file")
    page.locator("[data-testid='stFileUploaderDropzoneInput']").set_input_files(
        _option_csv(tmp_path))
    wait_for_app_run(page)
    page.get_by_text("posts.csv", exact=True).first.wait_for()
    page.get_by_label("Name of the new option", exact=True).fill("Option A: cloud team")
    page.keyboard.press("Tab")
    wait_for_app_run(page)
    page.get_by_role("button", name="Import option").click()
    wait_for_app_run(page)
    page.get_by_text("Imported Option A: cloud team").wait_for()

    _new_option_tab(page, "Copy a structure")
    page.get_by_label("Name", exact=True).first.fill("Option B: as today")
    # Commit the text input (as for Option A) before the click, so a loaded machine cannot
    # send the click with the name still unsent.
    page.keyboard.press("Tab")
    wait_for_app_run(page)
    page.get_by_role("button", name="Create option").click()
    wait_for_app_run(page)
    page.get_by_text("Created Option B: as today").wait_for()
    # An envelope below the cost: the headroom must show as an overspend.
    # Streamlit keeps the previous option's widgets on screen until the rerun that switched to
    # Option B has finished: act only inside Option B's own envelope form.
    wait_for_app_run(page)
    form = page.get_by_test_id("stForm").filter(has_text="Budget envelope of Option B: as today").last
    form.wait_for()
    form.get_by_label("Envelope (£)", exact=True).fill("6,900,000")
    form.get_by_role("button", name="Save envelope").click()
    wait_for_app_run(page)
    page.get_by_text("Saved the budget envelope of Option B: as today").wait_for()
    assert page.locator("[data-testid='stException']").count() == 0
    full_page_screenshot(page, screenshots / "06-options.png")

    nav.get_by_role("link", name="Compare").click()
    wait_for_app_run(page)
    page.get_by_role("heading", name="Compare", level=1).wait_for()
    wait_for_charts(page, 3)
    assert page.locator("[data-testid='stException']").count() == 0
    page.mouse.move(5, 5)
    full_page_screenshot(page, screenshots / "06-compare.png")
