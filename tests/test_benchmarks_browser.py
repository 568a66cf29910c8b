"""The browser benchmark's before-and-after table of issue 16's targets (benchmarks/browser.py):
each target marked met or missed from the figures, never assumed."""

from __future__ import annotations

from benchmarks import browser as bench


def _result(seconds: float, megabytes: float, memory: float, diff: float) -> list:
    big = bench.SizeResult(posts=50_000, people=43_000)
    for page in bench.BEFORE_PAGES:
        for view in ("first", "second"):
            big.views.append(bench.View(page, "hr", view, seconds, int(megabytes * 1e6)))
    big.views.append(bench.View("Published drafts", "union", "first", seconds, 1000))
    big.memory_mb = {"started": 50, "after hr": memory, "two sessions": memory + 50}
    big.reads = {"headline_metrics": [0.4, 0.5, 0.6], "python -m planner import s": [7.0],
                 "import function s": [5.0],
                 "python -m planner import ÷ import function": [1.4]}
    big.checks = [bench.Check("Register: posts found", "1,000", "1,000")]
    mid = bench.SizeResult(posts=10_000, people=8_000)
    mid.reads = {"difference of two structures": [diff]}
    return [mid, big]


def test_every_target_is_shown_with_its_before_figure_and_marked():
    """Catches: a target left out of the table, a before figure missing, or a mark that does
    not follow the measured figure (a slow page marked met)."""
    text = "\n".join(bench.targets(_result(1.5, 0.2, 300, 0.2)))
    for page, (first, _, _) in bench.BEFORE_PAGES.items():
        assert f"| {page} (hr): first view" in text and f"{first:.2f} s" in text
    assert "| headline_metrics at 50,000 posts < 1 s | 2.8 s | 0.50 s | ✓ |" in text
    assert "| difference of two structures at 10,000 posts < 0.3 s | 0.35 s | 0.20 s | ✓ |" in text
    assert "1.40× (7.0 s ÷ 5.0 s) | ✓ |" in text
    assert "300 MB, +50 MB | ✓ |" in text
    assert "1 of 1 agree | ✓ |" in text
    assert "✗" not in text
    slow = "\n".join(bench.targets(_result(4.5, 1.2, 500, 0.4)))
    assert "| Compare (hr): first view" in slow
    assert slow.count("✗") == len(bench.BEFORE_PAGES) + 3  # pages, others, memory, difference
