"""The browser benchmark (benchmarks/browser.py) at a few hundred posts, so it never rots: every
page of hr's menu and the union's one page are opened twice, reach idle, and are reported."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks import browser as bench

pytestmark = pytest.mark.e2e


def test_the_browser_benchmark_opens_every_page_and_reports_it(browser, tmp_path: Path):
    """Catches: a page the benchmark cannot reach or that never goes idle, a byte counter that
    counts nothing, and a report that leaves a page out."""
    result = bench.measure_size(browser, 200, tmp_path, roles=("hr", "union"))
    hr_pages = [p.title for p in bench.pages_of("hr")]
    assert len(hr_pages) > 5
    seen = {(v.page, v.role, v.view) for v in result.views if not v.error}
    for title in hr_pages:
        assert {(title, "hr", "first"), (title, "hr", "second")} <= seen, title
    assert {("Published drafts", "union", "first"), ("Published drafts", "union", "second")
            } <= seen
    assert all(v.seconds > 0 for v in result.views)
    establishment = next(v for v in result.views
                         if v.page == "Establishment" and v.role == "hr" and v.view == "first")
    assert establishment.bytes > 10_000  # the register and its figures came over the socket
    assert {"started", "after hr", "after union", "two sessions"} <= set(result.memory_mb)
    text = bench.report([result], 0.0)
    for title in hr_pages:
        assert f"| {title} | hr |" in text
