"""The browser benchmark (issue 16): every page, as every role, in headless Chromium against a
real `streamlit run`, at 1,000, 10,000 and 50,000 posts.

For each size: `generate(n, seed=5)` imported on a fresh SQLite file, two options edited the
way a restructure edits (benchmarks.costing.edited_option: 5% of posts deleted, 5% regraded,
2% resized, 2% moved, 300 new), every employee's equality answers, and one user per role.
Then the app is started as a user starts it (`python -m streamlit run app.py`) and, per role,
a browser signs in and opens every page its menu lists, twice:

- **idle after click**: from the click on the page's menu link to the app idle again (the
  script no longer running, no spinner), seen by a MutationObserver on the app's own
  script-state attribute, so a short run is not missed between two polls;
- **bytes**: the websocket frames the page received from the click to idle (Streamlit sends
  every element, table and chart over its websocket);
- first view (caches cold for that page) and second view (the same page again after every
  other page);
- the server's resident memory (VmRSS) after each role's pass, and after a second session.

Not part of `make test` (it takes minutes at 50,000 posts); `make bench` runs it after the
other benchmarks, `python -m benchmarks.browser --sizes 1000` for a quick look.
tests/e2e/test_browser_benchmark.py runs it at a few hundred posts so it never rots. Writes its
section of benchmarks/results.md.
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import numpy as np
from sqlalchemy import update
from sqlmodel import Session, select

from benchmarks.common import footer, log
from benchmarks.costing import edited_option
from benchmarks.generate import generate, to_csv_files
from benchmarks.restructure import equality_csv
from benchmarks.sections import update_section
from planner.cli.demo import init_database
from planner.core.auth import SYSTEM, Actor, add_user
from planner.core.config import ROOT, get_settings
from planner.core.db import make_engine
from planner.core.models import Structure, User
from planner.establishment.importer import import_establishment
from planner.ui.navigation import PageSpec

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results.md"
SIZES = (1_000, 10_000, 50_000)
ROLES = ("hr", "manager", "union", "admin")
PASSWORD = "benchmark-password-2026"
STARTUP_TIMEOUT = 120
PAGE_TIMEOUT_MS = 180_000
GRACE_MS = 1_500  # see _IDLE
# Targets at 50,000 posts (issue 16).
FIRST_VIEW_S = 4.0
SECOND_VIEW_S = 2.0
MAX_BYTES = 1_000_000
ONE_SESSION_MB = 400
SECOND_SESSION_MB = 100

# Before the issue-16 work: the issue's own figures (50,000 posts, hr, loaded machine), and for
# the pages it did not list, this benchmark's first run at 50,000 posts on main at fcd2c02
# (7 Dec 2026 18:31 UTC, the same machine, while other work ran): first view s, MB, second s.
BEFORE_PAGES: dict[str, tuple[float, float, float]] = {
    "Establishment": (2.5, 11.7, 1.23), "Org chart": (15.9, 0.06, 1.82),
    "Structure options": (16.82, 0.03, 1.53), "Compare": (18.26, 1.75, 2.70),
    "Published drafts": (0.53, 0.00, 0.59), "People mapping": (67.58, 8.62, 91.34),
    "Financial plan": (3.50, 0.05, 1.54), "TUPE transfers": (0.70, 0.02, 0.69),
    "Consultation": (4.19, 0.33, 0.82), "Equality impact": (12.13, 0.11, 3.36),
    "Reference data": (0.97, 0.02, 0.91), "Audit": (1.63, 0.06, 0.90)}
# (what, before, target seconds, the size it is measured at)
READS: tuple[tuple[str, str, float, int], ...] = (
    ("headline_metrics", "2.8 s", 1.0, 50_000),
    ("consultation read (hr)", "2.3 s", 1.0, 50_000),
    ("equality read (suppressed, manager)", "3.5 s", 1.0, 50_000),
    ("equality read (unsuppressed, hr)", "3.5 s", 1.0, 50_000),
    ("difference of two structures", "0.35 s", 0.3, 10_000),
    ("org chart export, top post at depth 6", "11.4 s (94-post demo)", 2.0, 50_000),
    ("python -m planner import ÷ import function", "2.9× (13.2 s ÷ 4.6 s)", 1.5, 50_000),
)
BEFORE_MEMORY = "567 MB (the issue); 801 MB one session, +362 MB a second (fcd2c02)"

# Marks the app's script state as seen: set on every change of the attribute, so that a run
# shorter than any polling interval is still seen to have started.
_WATCH = """() => {
    const app = document.querySelector("[data-testid='stApp']");
    window.__benchRan = false;
    window.__benchStart = performance.now();
    if (!window.__benchWatch) {
        window.__benchWatch = new MutationObserver(() => {
            if (app.getAttribute('data-test-script-state') === 'running') window.__benchRan = true;
        });
        window.__benchWatch.observe(app, {attributes: true,
                                          attributeFilter: ['data-test-script-state']});
    }
}"""
_IDLE = """(path) => {
    const app = document.querySelector("[data-testid='stApp']");
    const quiet = app.getAttribute('data-test-script-state') === 'notRunning'
        && !document.querySelector("[data-testid='stSpinner']")
        && !document.querySelector("[data-testid='stSkeleton']");
    // A run too short to be drawn as running at all: idle once the page's address is shown
    // and nothing has run for GRACE_MS (such a view is marked as not seen to run).
    const arrived = !path || window.location.pathname.endsWith('/' + path);
    return quiet && (window.__benchRan
        || (arrived && performance.now() - window.__benchStart > GRACE_MS));
}"""
_IDLE = _IDLE.replace("> GRACE_MS", f"> {GRACE_MS}")
_QUIET = """() => {
    const app = document.querySelector("[data-testid='stApp']");
    return app && app.getAttribute('data-test-script-state') === 'notRunning'
        && !document.querySelector("[data-testid='stSpinner']")
        && !document.querySelector("[data-testid='stSkeleton']");
}"""



@dataclass
class View:
    """One page opened once by one role."""

    page: str
    role: str
    view: str  # first | second
    seconds: float
    bytes: int
    error: str = ""
    seen: bool = True  # the run was seen to start (else idle was taken after GRACE_MS)


@dataclass
class Check:
    """A figure the page showed against the same figure worked out by planner/ unpaged."""

    what: str
    shown: str
    expected: str

    @property
    def ok(self) -> bool:
        return self.shown == self.expected


@dataclass
class SizeResult:
    posts: int
    people: int
    views: list[View] = field(default_factory=list)
    memory_mb: dict[str, float] = field(default_factory=dict)  # after each pass
    prepare_s: float = 0.0
    checks: list[Check] = field(default_factory=list)
    reads: dict[str, list[float]] = field(default_factory=dict)  # domain targets, samples



def prepare(workdir: Path, n: int) -> tuple[str, int]:
    """The database at `n` posts with two options, equality answers and one user per role;
    its URL and the number of people."""
    from planner.equality import records

    engine = make_engine(f"sqlite:///{workdir / 'browser.db'}")
    init_database(engine)  # migrated as the app expects, with the reference data
    posts, people = generate(n, seed=5)
    with Session(engine) as s:
        import_establishment(session=s, actor=SYSTEM, files=to_csv_files(posts, people))
        s.commit()
    first = edited_option(engine, np.random.default_rng(21))
    with Session(engine) as s:
        t = Structure.__table__
        s.execute(update(t).where(t.c.name == first).values(name="Option A"))
        s.commit()
    edited_option(engine, np.random.default_rng(22))
    with Session(engine) as s:
        records.import_equality(session=s, actor=Actor(id=None, username="benchmark",
                                                       role="hr"),
                                files=[("equality.csv",
                                        equality_csv(people, np.random.default_rng(3)))])
        for role in ROLES:
            add_user(session=s, actor=SYSTEM, username=f"bench-{role}", role=role,
                     password=PASSWORD, display_name=f"Benchmark {role}")
        s.commit()
    url = str(engine.url)
    engine.dispose()
    return url, len(people)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def server(db_url: str, workdir: Path) -> Iterator[tuple[str, int]]:
    """`streamlit run app.py` on `db_url`: its base URL and process id."""
    env = {**os.environ, "PLANNER_DATABASE_URL": db_url, "PLANNER_VAR_DIR": str(workdir)}
    env.pop("DATABASE_URL", None)
    port = _free_port()
    log_path = workdir / "streamlit.log"
    with log_path.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "app.py", "--server.address",
             "127.0.0.1", "--server.port", str(port), "--server.headless", "true",
             "--browser.gatherUsageStats", "false",
             # An edit to the code while a run is measured must not reload the app under it.
             "--server.fileWatcherType", "none"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while True:
            if proc.poll() is not None:
                raise RuntimeError("streamlit exited: " + log_path.read_text(errors="replace"))
            try:
                with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as resp:
                    if resp.status == 200:
                        break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("streamlit not healthy: " + log_path.read_text(
                    errors="replace"))
            time.sleep(0.25)
        yield base, proc.pid
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)


def rss_mb(pid: int) -> float:
    """Resident memory of the server process, in MB (VmRSS)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def pages_of(role: str) -> list[PageSpec]:
    """The pages a role's menu lists (planner.ui.navigation.pages_for's rule)."""
    from planner.ui.navigation import pages_for

    return pages_for(Actor(id=None, username=f"bench-{role}", role=role))


class Session_:
    """One browser session signed in as one role, counting the websocket's received bytes."""

    def __init__(self, browser, base: str, role: str) -> None:
        self.context = browser.new_context(viewport={"width": 1440, "height": 1000},
                                           base_url=base)
        self.context.set_default_timeout(PAGE_TIMEOUT_MS)
        self.page = self.context.new_page()
        self.received = 0
        self.page.on("websocket", self._socket)
        self.role = role
        self.seen = True

    def _socket(self, ws) -> None:
        ws.on("framereceived", self._frame)

    def _frame(self, payload) -> None:
        self.received += len(payload)

    def idle_after(self, action, path: str = "") -> tuple[float, int]:
        """Seconds and bytes from `action()` (a click) to the app idle again."""
        self.page.evaluate(_WATCH)
        before = self.received
        start = time.perf_counter()
        action()
        self.page.wait_for_function(_IDLE, arg=path, polling=50, timeout=PAGE_TIMEOUT_MS)
        self.seen = bool(self.page.evaluate("() => window.__benchRan"))
        return time.perf_counter() - start, self.received - before

    def sign_in(self) -> tuple[float, int]:
        """Sign in; the seconds and bytes from the click until the first page is drawn and
        idle (its first view: signing in opens it). Signing in runs the script twice (the
        form, then the page), so idle is taken once the form is gone and a heading shows."""
        self.page.goto("/")
        self.page.wait_for_selector(
            "[data-testid='stApp'][data-test-script-state='notRunning']", state="attached")
        self.page.get_by_label("Username", exact=True).fill(f"bench-{self.role}")
        self.page.get_by_label("Password", exact=True).fill(PASSWORD)
        before = self.received
        start = time.perf_counter()
        self.page.get_by_role("button", name="Sign in").click()
        self.page.get_by_label("Username", exact=True).wait_for(state="detached",
                                                                timeout=PAGE_TIMEOUT_MS)
        self.page.locator("h1").first.wait_for(timeout=PAGE_TIMEOUT_MS)
        self.page.wait_for_function(_QUIET, polling=50, timeout=PAGE_TIMEOUT_MS)
        self.seen = True
        return time.perf_counter() - start, self.received - before

    def reload(self) -> tuple[float, int]:
        """The page read again from a reload (a role with one page has no menu to click). A
        reload starts a fresh window, so the watch cannot be set first: the app is taken as
        idle once its heading is drawn and no script or spinner runs."""
        before = self.received
        start = time.perf_counter()
        self.page.reload(wait_until="load")
        self.page.locator("h1").first.wait_for(timeout=PAGE_TIMEOUT_MS)
        self.page.wait_for_function(_QUIET, polling=50, timeout=PAGE_TIMEOUT_MS)
        self.seen = True
        return time.perf_counter() - start, self.received - before

    def open(self, spec: PageSpec, default: bool = False) -> tuple[float, int]:
        """Click the page's menu link. The default page's address is the bare root, and a
        click on the page already shown may run nothing: then idle is taken after GRACE_MS."""
        nav = self.page.get_by_test_id("stSidebarNav")
        link = nav.get_by_role("link", name=spec.title)
        more = nav.get_by_test_id("stSidebarNavViewButton")
        if not link.count() and more.count():  # a long menu shows its first pages only
            more.click()
            link.wait_for()
        return self.idle_after(link.click, "" if default else spec.url_path)

    def close(self) -> None:
        self.context.close()


def measure_size(browser, n: int, workdir: Path, roles: tuple[str, ...] = ROLES,
                 screenshots: Path | None = None) -> SizeResult:
    log(f"browser: preparing {n:,} posts")
    started = time.perf_counter()
    db_url, people = prepare(workdir, n)
    result = SizeResult(posts=n, people=people, prepare_s=time.perf_counter() - started)
    result.reads = measure_reads(db_url, n, workdir)
    with server(db_url, workdir) as (base, pid):
        result.memory_mb["started"] = rss_mb(pid)
        for role in roles:
            session = Session_(browser, base, role)
            try:
                landing = session.sign_in()
                specs = pages_of(role)
                for view in ("first", "second"):
                    for spec in specs:
                        try:
                            if view == "first" and spec is specs[0]:
                                # Signing in opens the first page: that is its first view.
                                seconds, received = landing
                            elif len(specs) > 1:
                                seconds, received = session.open(spec, spec is specs[0])
                            else:  # no menu: signing in opened it; a reload reads it again
                                seconds, received = landing if view == "first" else (
                                    session.reload())
                            result.views.append(View(spec.title, role, view, seconds, received,
                                                     seen=session.seen))
                            log(f"  {n:,} {role} {spec.title} {view}: {seconds:.2f} s, "
                                f"{received / 1e6:.2f} MB")
                        except Exception as exc:  # a page that never goes idle is a figure too
                            result.views.append(View(spec.title, role, view, float("nan"), 0,
                                                     str(exc).splitlines()[0][:120]))
                            log(f"  {n:,} {role} {spec.title} {view}: FAILED {exc}")
                        if screenshots is not None and view == "first" and role == "hr":
                            name = spec.url_path or "page"
                            session.page.screenshot(path=screenshots / f"16-{n}-{name}.png",
                                                    full_page=True)
                result.memory_mb[f"after {role}"] = rss_mb(pid)
                if role == "hr":
                    result.checks += check_figures(session, db_url)
            finally:
                session.close()
        # A second session at once: the caches should be shared, not per session.
        one, two = Session_(browser, base, "hr"), Session_(browser, base, "manager")
        try:
            one.sign_in()
            two.sign_in()
            specs = pages_of("manager")[:4]
            for spec in specs:
                one.open(spec, spec is specs[0])
                two.open(spec, spec is specs[0])
            result.memory_mb["two sessions"] = rss_mb(pid)
        finally:
            one.close()
            two.close()
    return result


def measure_reads(db_url: str, n: int, workdir: Path, repeat: int = 5) -> dict[str, list[float]]:
    """The issue's function-level targets on the same database, in the same run: seconds of
    each read (median of `repeat`, caches cold: each in a fresh session and process memo)."""
    from benchmarks import import_cli
    from planner.charts.orgchart_images import chart_images
    from planner.core import memo
    from planner.equality import analysis as equality
    from planner.establishment.register import headline_metrics
    from planner.legal import consultation
    from planner.structures.comparison import compare_structures
    from planner.structures.hierarchy import load as load_hierarchy
    from planner.structures.layout import layout

    engine = make_engine(db_url)
    with Session(engine) as s:
        users = {u.role: Actor.of(u) for u in s.exec(select(User)).all()
                 if u.username.startswith("bench-")}
        option = s.exec(select(Structure).where(Structure.name == "Option A")).one().id

    def timed_read(fn) -> list[float]:
        out = []
        for _ in range(repeat):
            memo.forget()
            with Session(engine) as s:
                start = time.perf_counter()
                fn(s)
                out.append(time.perf_counter() - start)
                s.rollback()
        return out

    hr, manager = users["hr"], users["manager"]
    reads: dict[str, list[float]] = {}
    if n == 50_000:
        reads["headline_metrics"] = timed_read(
            lambda s: headline_metrics(session=s, actor=hr))
        reads["consultation read (hr)"] = timed_read(
            lambda s: consultation.consultation_view(session=s, actor=hr, structure=option))
        reads["equality read (suppressed, manager)"] = timed_read(
            lambda s: equality.analyse(session=s, actor=manager, structure=option))
        reads["equality read (unsuppressed, hr)"] = timed_read(
            lambda s: equality.analyse(session=s, actor=hr, structure=option,
                                       unsuppressed=True))
        with Session(engine) as s:
            h = load_hierarchy(session=s, actor=hr)
        view = layout(h, focus=h.tops[0], depth=6, stack_over=1)
        samples = []
        for _ in range(repeat):
            start = time.perf_counter()
            chart_images(view, h)
            samples.append(time.perf_counter() - start)
        reads["org chart export, top post at depth 6"] = samples
        found = import_cli.measure(n, 1, workdir)
        reads["python -m planner import ÷ import function"] = [
            found["command"][0] / found["function"][0]]
        reads["import function s"] = found["function"]
        reads["python -m planner import s"] = found["command"]
    if n == 10_000:
        reads["difference of two structures"] = timed_read(
            lambda s: compare_structures(session=s, actor=hr, base="baseline", other=option))
    engine.dispose()
    return reads


_SHOWING = re.compile(r"Showing ([\d,]+) of ([\d,]+) posts\.(?: Rows ([\d,]+)–([\d,]+) are "
                      r"listed)?")


def _metric(page, label: str) -> str:
    box = page.get_by_test_id("stMetric").filter(has=page.get_by_text(label, exact=True))
    return box.first.get_by_test_id("stMetricValue").inner_text().strip()


def check_figures(session: Session_, db_url: str) -> list[Check]:
    """What the Establishment and Compare pages show, paged, against planner/'s unpaged
    figures: the register's count under a search equals the search's count, the rows listed
    are the first page of it, the last page ends at the count, the headline totals equal the
    sums over every post, and the vacancies listed and left for the download add up to all."""
    from planner.establishment.register import establishment_frame, search_frame
    from planner.structures.costing import vacancies_and_interims
    from planner.ui import compare as cmp
    from planner.ui import establishment as est
    from planner.ui import format as fmt

    engine = make_engine(db_url)
    with Session(engine) as s:
        actor = Actor.of(s.exec(select(User).where(User.username == "bench-hr")).one())
        frame = establishment_frame(session=s, actor=actor)
        report = vacancies_and_interims(session=s, actor=actor)
    engine.dispose()
    page = session.page
    out: list[Check] = []
    specs = {spec.title: spec for spec in pages_of("hr")}
    session.open(specs["Establishment"], default=True)
    out.append(Check("Establishment: Posts", _metric(page, "Posts"), fmt.count(len(frame))))
    fte = sum(Decimal(str(f)) for f in frame["fte"])
    out.append(Check("Establishment: Establishment FTE", _metric(page, "Establishment FTE"),
                     fmt.fte(fte)))
    word = str(frame["division"].iloc[len(frame) // 2]).split()[0]
    box = page.get_by_label("Search posts", exact=True)
    session.idle_after(lambda: (box.fill(word), box.press("Enter")), "")
    want = len(search_frame(frame, word))
    found = _SHOWING.search(page.inner_text("body"))
    shown = found.group(1) if found else "(no count shown)"
    out.append(Check(f"Register: posts found by '{word}'", shown, f"{want:,}"))
    listed = f"{found.group(3)}–{found.group(4)}" if found and found.group(3) else "all"
    out.append(Check(f"Register: rows listed for '{word}'", listed,
                     f"1–{min(want, est.REGISTER_PAGE_ROWS):,}" if want > est.REGISTER_PAGE_ROWS
                     else "all"))
    # The whole register, turned to its last page (1,000 posts are two pages).
    session.idle_after(lambda: (box.fill(""), box.press("Enter")), "")
    if len(frame) > est.REGISTER_PAGE_ROWS:
        pages = -(-len(frame) // est.REGISTER_PAGE_ROWS)
        pager = page.get_by_label(re.compile(r"^Page \(of"))
        session.idle_after(lambda: (pager.fill(str(pages)), pager.press("Enter")), "")
        found = _SHOWING.search(page.inner_text("body"))
        out.append(Check("Register: the last page ends at the count",
                         f"{found.group(3)}–{found.group(4)}" if found and found.group(4)
                         else "(no rows shown)",
                         f"{(pages - 1) * est.REGISTER_PAGE_ROWS + 1:,}–{len(frame):,}"))
    session.open(specs["Compare"])
    total = len(cmp.vacancy_display(report))
    note = cmp.listed_note(total, "posts")
    body = page.inner_text("body")
    out.append(Check("Compare: vacancies listed and left for the download",
                     note if note and note in body else ("(none cut)" if not note else
                                                         "(note missing)"),
                     note or "(none cut)"))
    return out


@contextmanager
def chromium() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    path = get_settings().chromium_path
    args = ["--no-sandbox"] if os.geteuid() == 0 else []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=path, headless=True, args=args)
        try:
            yield browser
        finally:
            browser.close()


def _cell(v: View, limit: float | None) -> str:
    if v.seconds != v.seconds:  # NaN: never idle
        return "never idle"
    mark = "" if limit is None else (" ✓" if v.seconds <= limit else " ✗")
    return f"{v.seconds:.2f}{'' if v.seen else ' †'}{mark}"


def report(results: list[SizeResult], started: float) -> str:
    lines = ["## Every page in a browser", "",
             f"Command: `.venv/bin/python -m benchmarks.browser` on "
             f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; SQLite; `streamlit run` "
             "driven by headless Chromium; `generate(n, seed=5)` with two edited options and "
             "every employee's equality answers. Seconds from the click on a page's menu link "
             "to the app idle (no script running, no spinner); MB received over the websocket "
             "in that time.", "",
             f"Targets at 50,000 posts: first view ≤ {FIRST_VIEW_S:.0f} s, second view ≤ "
             f"{SECOND_VIEW_S:.0f} s, ≤ {MAX_BYTES / 1e6:.0f} MB per view; server memory under "
             f"{ONE_SESSION_MB} MB for one session and under {SECOND_SESSION_MB} MB more for a "
             "second. ✓ met, ✗ missed (marked at 50,000 posts only). † a run too short to be "
             f"drawn as running: taken as idle {GRACE_MS / 1000:.1f} s after the click once "
             "the page's address showed (an upper bound).", ""]
    for r in results:
        at_target = r.posts == 50_000
        lines += [f"### {r.posts:,} posts ({r.people:,} people; prepared in {r.prepare_s:.0f} s)",
                  "", "| page | role | first view s | MB | second view s | MB |",
                  "|---|---|---:|---:|---:|---:|"]
        by_key = {(v.page, v.role, v.view): v for v in r.views}
        for page, role in dict.fromkeys((v.page, v.role) for v in r.views):
            a, b = by_key.get((page, role, "first")), by_key.get((page, role, "second"))

            def mb(v: View | None, at_target: bool = at_target) -> str:
                if v is None:
                    return "—"
                mark = "" if not at_target else (" ✓" if v.bytes <= MAX_BYTES else " ✗")
                return f"{v.bytes / 1e6:.2f}{mark}"

            lines.append(
                f"| {page} | {role} | "
                f"{_cell(a, FIRST_VIEW_S if at_target else None) if a else '—'} | "
                f"{mb(a)} | "
                f"{_cell(b, SECOND_VIEW_S if at_target else None) if b else '—'} | "
                f"{mb(b)} |")
        if r.checks:
            bad = [c for c in r.checks if not c.ok]
            lines += ["", f"Figures checked against planner/'s unpaged computation: "
                      f"{len(r.checks) - len(bad)} of {len(r.checks)} agree."
                      + "".join(f" ✗ {c.what}: shown {c.shown}, expected {c.expected}."
                                for c in bad)]
        errors = [v for v in r.views if v.error]
        if errors:
            lines += ["", "Pages that never went idle: " + "; ".join(
                f"{v.page} ({v.role}, {v.view}): {v.error}" for v in errors)]
        mem = r.memory_mb
        one, most = _one_session(mem)
        lines += ["", "Server memory (MB): " + "; ".join(f"{k} {v:.0f}" for k, v in mem.items())]
        if at_target and "two sessions" in mem:
            extra = mem["two sessions"] - most
            lines.append(f"One session (the first role's pass alone) {one:.0f} MB "
                         f"({'✓' if one <= ONE_SESSION_MB else '✗'}); a second session "
                         f"{extra:+.0f} MB ({'✓' if extra <= SECOND_SESSION_MB else '✗'}).")
        lines.append("")
    lines += targets(results)
    lines.append(footer(started))
    return "\n".join(lines)


def _one_session(mem: dict[str, float]) -> tuple[float, float]:
    """(one session, the most before the two-session pass): one session is the server after
    the first role's pass alone; each later role adds its own role-keyed caches, so the
    second session is measured against the most the server held before it."""
    after = [v for k, v in mem.items() if k.startswith("after ")]
    return (after[0], max(after)) if after else (float("nan"), float("nan"))


def _median(xs: list[float]) -> float:
    return float(np.median(xs)) if xs else float("nan")


def targets(results: list[SizeResult]) -> list[str]:
    """Issue 16's targets at 50,000 posts (the difference at 10,000), each before and now."""
    big = next((r for r in results if r.posts == 50_000), None)
    if big is None:
        return []
    mid = next((r for r in results if r.posts == 10_000), None)
    lines = ["### Issue 16's targets: before and now", "",
             "Before: the issue's figures where it gave them, else this benchmark's first run "
             "on main at fcd2c02 (7 Dec 2026, same machine, other work running). Now: this run.",
             "", "| target | before | now | result |", "|---|---|---|---|"]
    by_key = {(v.page, v.view): v for v in big.views if v.role == "hr"}
    for page, (first, mb, second) in BEFORE_PAGES.items():
        a, b = by_key.get((page, "first")), by_key.get((page, "second"))
        if a is None or b is None:
            continue
        ok = (a.seconds <= FIRST_VIEW_S and b.seconds <= SECOND_VIEW_S
              and max(a.bytes, b.bytes) <= MAX_BYTES)
        lines.append(f"| {page} (hr): first view ≤ {FIRST_VIEW_S:.0f} s, second ≤ "
                     f"{SECOND_VIEW_S:.0f} s, ≤ 1 MB | {first:.2f} s / {second:.2f} s, "
                     f"{mb:.2f} MB | {a.seconds:.2f} s / {b.seconds:.2f} s, "
                     f"{max(a.bytes, b.bytes) / 1e6:.2f} MB | {'✓' if ok else '✗'} |")
    others = [v for v in big.views if v.role != "hr" and v.seconds == v.seconds]
    if others:
        worst = max(others, key=lambda v: v.seconds)
        heavy = max(others, key=lambda v: v.bytes)
        ok = all(v.seconds <= (FIRST_VIEW_S if v.view == "first" else SECOND_VIEW_S)
                 and v.bytes <= MAX_BYTES for v in others)
        lines.append(f"| every page of manager, union and admin | — | slowest {worst.page} "
                     f"({worst.role}, {worst.view}) {worst.seconds:.2f} s; heaviest "
                     f"{heavy.bytes / 1e6:.2f} MB | {'✓' if ok else '✗'} |")
    mem = big.memory_mb
    one, most = _one_session(mem)
    if "two sessions" in mem:
        extra = mem["two sessions"] - most
        ok = one <= ONE_SESSION_MB and extra <= SECOND_SESSION_MB
        lines.append(f"| server memory: one session < {ONE_SESSION_MB} MB, a second "
                     f"+< {SECOND_SESSION_MB} MB | {BEFORE_MEMORY} | {one:.0f} MB, "
                     f"{extra:+.0f} MB | {'✓' if ok else '✗'} |")
    for what, before, limit, size in READS:
        source = big if size == 50_000 else mid
        xs = source.reads.get(what, []) if source is not None else []
        if not xs:
            continue
        now = _median(xs)
        ratio = "÷" in what
        detail = (f" ({_median(big.reads['python -m planner import s']):.1f} s ÷ "
                  f"{_median(big.reads['import function s']):.1f} s)"
                  if ratio and "import function s" in big.reads else "")
        lines.append(f"| {what} at {size:,} posts {'≤' if ratio else '<'} {limit:g}"
                     f"{'×' if ratio else ' s'} | {before} | {now:.2f}{'×' if ratio else ' s'}"
                     f"{detail} | {'✓' if now <= limit else '✗'} |")
    if big.checks:
        bad = [c for c in big.checks if not c.ok]
        lines.append(f"| figures the pages show agree with planner/ unpaged | — | "
                     f"{len(big.checks) - len(bad)} of {len(big.checks)} agree | "
                     f"{'✓' if not bad else '✗'} |")
    return [*lines, ""]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=list(SIZES))
    parser.add_argument("--roles", nargs="*", default=list(ROLES))
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--screenshots", type=Path, default=None,
                        help="save hr's first view of every page here")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    if args.screenshots is not None:
        args.screenshots.mkdir(parents=True, exist_ok=True)
    results = []
    with chromium() as browser, tempfile.TemporaryDirectory() as tmp:
        for n in args.sizes:
            work = Path(tmp) / str(n)
            work.mkdir()
            results.append(measure_size(browser, n, work, tuple(args.roles), args.screenshots))
    update_section(args.out, "browser", report(results, started))
    log(f"wrote the browser section of {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
