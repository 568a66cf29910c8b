"""The Makefile's first-ten-minutes promises, checked with `make -n` (print, do not run) in a
copy holding a stand-in venv, so nothing is installed.

`make run` installs requirements.txt only; `make test` adds requirements-dev.txt; each has its
own stamp so either after the other installs nothing twice; the port is a variable."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from planner.core.config import ROOT

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    for name in ("Makefile", "requirements.txt", "requirements-dev.txt"):
        shutil.copy(ROOT / name, tmp_path / name)
    python = tmp_path / ".venv" / "bin" / "python"
    python.parent.mkdir(parents=True)
    python.write_text("#!/bin/sh\n")
    python.chmod(0o755)
    old = time.time() - 3600  # the requirements files are older than any stamp made below
    for name in ("requirements.txt", "requirements-dev.txt"):
        os.utime(tmp_path / name, (old, old))
    return tmp_path


def dry_run(checkout: Path, *targets: str) -> list[str]:
    proc = subprocess.run(["make", "-n", *targets], cwd=checkout, capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.splitlines()


def installs(lines: list[str]) -> list[str]:
    return [line.split(" -r ", 1)[1] for line in lines if "pip install" in line and " -r " in line]


def stamp(checkout: Path, name: str, minutes_ago: int) -> None:
    """Stamp times are set, not touched: two touches in a row can share one mtime."""
    path = checkout / ".venv" / name
    path.touch()
    when = time.time() - 60 * minutes_ago
    os.utime(path, (when, when))


def test_run_installs_the_runtime_requirements_only(checkout):
    assert installs(dry_run(checkout, "run")) == ["requirements.txt"]


def test_test_installs_the_runtime_then_the_test_tools(checkout):
    assert installs(dry_run(checkout, "test")) == ["requirements.txt", "requirements-dev.txt"]


def test_run_after_test_installs_nothing(checkout):
    stamp(checkout, ".installed-run", 20)
    stamp(checkout, ".installed-dev", 10)
    assert installs(dry_run(checkout, "run")) == []
    assert installs(dry_run(checkout, "test")) == []


def test_test_after_run_installs_only_the_test_tools(checkout):
    stamp(checkout, ".installed-run", 20)
    assert installs(dry_run(checkout, "test")) == ["requirements-dev.txt"]


def test_a_changed_runtime_requirement_is_installed_again(checkout):
    stamp(checkout, ".installed-run", 20)
    stamp(checkout, ".installed-dev", 10)
    os.utime(checkout / "requirements.txt")  # edited now
    assert installs(dry_run(checkout, "run")) == ["requirements.txt"]


@pytest.mark.parametrize(("argv", "port"), [((), "8501"), (("PORT=8600",), "8600")])
def test_the_port_is_a_variable(checkout, argv, port):
    stamp(checkout, ".installed-run", 20)
    lines = dry_run(checkout, "run", *argv)
    streamlit = [line for line in lines if "streamlit run app.py" in line]
    assert len(streamlit) == 1 and streamlit[0].endswith(f"--server.port {port}")
    # the demo (and with it the sign-ins) is loaded before the app starts
    assert lines.index(next(x for x in lines if "planner load-demo" in x)) < lines.index(
        streamlit[0])


def test_the_readme_names_the_port_variable():
    assert "make run PORT=8600" in (ROOT / "README.md").read_text(encoding="utf-8")
