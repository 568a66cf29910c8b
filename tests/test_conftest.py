"""The suite's own wiring: a test PostgreSQL that is not there stops the run with one plain
sentence, never a driver traceback per test.

Runs pytest in a subprocess pointed at 127.0.0.1:1, where nothing listens (no server is
started)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from planner.core.config import ROOT

UNREACHABLE = "postgresql+psycopg://postgres@127.0.0.1:1/test"
SENTENCE = ("PostgreSQL at 127.0.0.1:1 is not reachable: start it or unset "
            "PLANNER_TEST_DATABASE_URL")


@pytest.mark.parametrize("extra", [[], ["-n", "2"]], ids=["serial", "xdist"])
def test_an_unreachable_postgres_stops_the_run_in_one_sentence(extra: list[str]) -> None:
    """Catches: the suite running on and failing every PostgreSQL test with psycopg's
    traceback, or the check skipped when the run is split across xdist workers (make test)."""
    env = {**os.environ, "PLANNER_TEST_DATABASE_URL": UNREACHABLE}
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *extra,
         "tests/legal/test_calendar.py"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=180)
    output = proc.stdout + proc.stderr
    assert proc.returncode == pytest.ExitCode.USAGE_ERROR, output
    assert output.strip() == f"ERROR: {SENTENCE}"
    assert "Traceback" not in output and "psycopg" not in output
