"""The browser benchmark (benchmarks/browser.py) at 1,000 posts, so it never rots: every page of
hr's menu and the union's one page are opened twice, reach idle, and are reported, and the
figures the pages show paged agree with planner/'s unpaged computation (issue 16)."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks import browser as bench

pytestmark = pytest.mark.e2e


def test_the_browser_benchmark_opens_every_page_and_reports_it(browser, tmp_path: Path):
    """Catches: a page the benchmark cannot reach or that never goes idle, a byte counter that
    counts nothing, and a report that leaves a page out."""
    result = bench.measure_size(browser, 1_000, tmp_path, roles=("hr", "union"))
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
    # The benchmark's own checks: the register's count under a search, the rows listed and
    # the last page, the headline totals and Compare's cut list, against planner/ unpaged.
    whats = [c.what for c in result.checks]
    assert any(w.startswith("Register: posts found") for w in whats), whats
    assert any(w.startswith("Register: the last page") for w in whats), whats
    assert "Establishment: Establishment FTE" in whats
    assert [c for c in result.checks if not c.ok] == []
    assert f"{len(whats)} of {len(whats)} agree" in text
