"""What every benchmark script shares: progress on stderr, repeated timing, report lines."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def timed(fn: Callable[[], Any], repeat: int) -> tuple[list[float], Any]:
    """Wall-clock seconds of `repeat` calls, and the last call's result."""
    samples, out = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn()
        samples.append(time.perf_counter() - start)
    return samples, out


def samples_text(samples: Sequence[float], digits: int = 3) -> str:
    return ", ".join(f"{s:.{digits}f}" for s in samples)


def footer(started: float) -> str:
    """The run's length and the machine's load: other processes' load is in the numbers."""
    load = " / ".join(f"{x:.2f}" for x in os.getloadavg())
    return f"Whole run {time.perf_counter() - started:.0f} s; load average at the end {load}."
