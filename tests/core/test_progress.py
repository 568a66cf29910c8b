"""Progress callbacks of long work (issue 16)."""

from __future__ import annotations

from planner.core.progress import counted, part, report


def test_report_clamps_and_ignores_no_callback():
    heard: list[tuple[float, str]] = []
    report(None, 0.5, "nobody listens")
    report(lambda f, m: heard.append((f, m)), 1.5, "over")
    report(lambda f, m: heard.append((f, m)), -1, "under")
    assert heard == [(1.0, "over"), (0.0, "under")]


def test_a_part_is_scaled_into_its_share_of_the_whole():
    heard: list[tuple[float, str]] = []
    second = part(lambda f, m: heard.append((f, m)), 0.5, 1.0)
    assert second is not None and part(None, 0, 1) is None
    for f in (0.0, 0.5, 1.0, 2.0):
        second(f, "x")
    assert [f for f, _ in heard] == [0.5, 0.75, 1.0, 1.0]


def test_counted():
    assert (counted(1, "post"), counted(50_000, "post"), counted(2, "person", "people")) == (
        "1 post", "50,000 posts", "2 people")
