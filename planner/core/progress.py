"""Progress of long work (an import, an export): a callback given the fraction done (0 to 1)
and a short sentence saying what is happening, so the command line and the page can show
that something is under way instead of seeming frozen for the seconds 50,000 posts take.

Work that reports progress takes `progress: Progress | None = None` and calls `report` at
each stage; work made of parts hands each part `part(progress, start, end)`.
"""

from __future__ import annotations

from collections.abc import Callable

Progress = Callable[[float, str], None]


def report(progress: Progress | None, fraction: float, message: str) -> None:
    """Tell `progress` (when there is one) how far the work is, clamped to 0–1."""
    if progress is not None:
        progress(min(1.0, max(0.0, fraction)), message)


def part(progress: Progress | None, start: float, end: float) -> Progress | None:
    """A callback for a part of the work, whose 0–1 is `start`–`end` of the whole."""
    if progress is None:
        return None
    whole = progress

    def scaled(fraction: float, message: str) -> None:
        whole(start + (end - start) * min(1.0, max(0.0, fraction)), message)

    return scaled


def counted(n: int, one: str, many: str | None = None) -> str:
    """'1 post', '50,000 posts': a count for a progress sentence."""
    return f"{n:,} {one if n == 1 else (many or one + 's')}"
