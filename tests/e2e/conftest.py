"""Browser-test wiring: the real app under `streamlit run`, on demo data, driven by Chromium.

One server per test session: a free port, a SQLite file of its own loaded with
`python -m planner load-demo`, a poll of /_stcore/health before any test starts, and the
server's own output in the failure message when it does not come up (STYLE.md habit 9).
The browser is Debian's chromium, never a Playwright download; without it the tests skip,
unless PLANNER_REQUIRE_BROWSER=1 (CI), where a missing browser is a failure.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from planner.core.config import get_settings

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"
STARTUP_TIMEOUT = 60  # seconds for the server to answer its health check
VIEWPORT = {"width": 1440, "height": 1000}


@pytest.fixture(scope="session")
def chromium_path() -> str:
    """The Chromium executable, or a skip (a failure when the browser is required)."""
    settings = get_settings()
    path = settings.chromium_path
    if Path(path).is_file() and os.access(path, os.X_OK):
        return path
    reason = f"Chromium not found at {path}; install Debian's chromium to run the browser tests"
    if settings.require_browser:
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _server_output(proc: subprocess.Popen, log: Path) -> str:
    return f"exit code {proc.poll()}; server output:\n{log.read_text(errors='replace')}"


# The running app's database URL (set by app_url), for tests that prepare data through planner/
# as another user would have done before the browser arrives.
E2E_DB: dict[str, str] = {}


@pytest.fixture(scope="session")
def app_url(chromium_path: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Base URL of `streamlit run app.py` on a fresh demo database (hr / demo-hr-2026)."""
    work = tmp_path_factory.mktemp("e2e")
    db_url = f"sqlite:///{work / 'e2e.db'}"
    E2E_DB["url"] = db_url
    env = {**os.environ, "PLANNER_DATABASE_URL": db_url, "PLANNER_VAR_DIR": str(work)}
    env.pop("DATABASE_URL", None)
    load = subprocess.run(
        [sys.executable, "-m", "planner", "load-demo", "--db", db_url],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    if load.returncode != 0:
        pytest.fail(
            f"load-demo failed ({load.returncode}):\n{load.stdout}\n{load.stderr}", pytrace=False
        )

    port = _free_port()
    log = work / "streamlit.log"
    with log.open("w") as out:
        # A process group of its own, so teardown stops streamlit and anything it started.
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "streamlit",
                "run",
                "app.py",
                "--server.address",
                "127.0.0.1",
                "--server.port",
                str(port),
                "--server.headless",
                "true",
                "--browser.gatherUsageStats",
                "false",
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while True:
            if proc.poll() is not None:
                pytest.fail(
                    "streamlit exited during start-up; " + _server_output(proc, log), pytrace=False
                )
            try:
                with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as resp:
                    if resp.status == 200 and resp.read().strip() == b"ok":
                        break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            if time.monotonic() > deadline:
                pytest.fail(
                    f"streamlit not healthy after {STARTUP_TIMEOUT}s; " + _server_output(proc, log),
                    pytrace=False,
                )
            time.sleep(0.25)
        yield base
    finally:
        _stop(proc)


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is not None:
        return
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


@pytest.fixture(scope="session")
def browser(chromium_path: str):
    """Headless Debian Chromium (--no-sandbox only when running as root, as in containers)."""
    from playwright.sync_api import sync_playwright

    args = ["--no-sandbox"] if os.geteuid() == 0 else []
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=chromium_path, headless=True, args=args)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, app_url: str):
    """A fresh browser context (no cookies, so no session) at 1440x1000."""
    context = browser.new_context(viewport=VIEWPORT, base_url=app_url)
    context.set_default_timeout(20_000)
    pg = context.new_page()
    yield pg
    context.close()


@pytest.fixture(scope="session")
def screenshots() -> Path:
    SCREENSHOTS.mkdir(exist_ok=True)
    return SCREENSHOTS
