"""The benchmark harness: `python -m benchmarks.run [--sizes 1000,10000,50000] [--repeat N]`.

For each size, on a fresh database each time (a temporary SQLite file; a throwaway schema on
PostgreSQL as well with `--pg URL`), it times with `time.perf_counter` and keeps the median:

- import: `planner.establishment.importer.import_establishment` inside `write_session`, from the CSV bytes
  and from the xlsx bytes;
- the reference for the same rows in the same run: pandas reading the same bytes plus a
  SQLAlchemy Core bulk insert of the posts and the people into the same tables, no validation;
  the ratio import / reference is what the target (≤ 3× at 10,000 posts) is about;
- summary: `planner.establishment.register.headline_metrics` (target < 1 s at 50,000 posts);
- the establishment page rerun in AppTest, warm cache (target < 1 s at 10,000 posts), when
  app.py and pages/establishment.py exist.

It writes benchmarks/results.md and, when the import misses its target at 10,000 posts, a
cProfile breakdown of one import there.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import gc
import importlib.metadata
import io
import os
import platform
import pstats
import sqlite3
import statistics
import sys
import tempfile
import time
import traceback
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from sqlalchemy import Engine, insert, text

from benchmarks.generate import generate, to_csv_files, to_xlsx_file
from planner.cli.demo import init_database
from planner.core.auth import SYSTEM
from planner.core.config import ROOT
from planner.core.db import make_engine, read_session, write_session
from planner.core.models import Person, Post, Structure

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results.md"
DEFAULT_SIZES = (1_000, 10_000, 50_000)
TARGET_SIZE = 10_000
RATIO_TARGET = 3.0
PAGE_TARGET_S = 1.0
PAGE_SIZES = (10_000,)
SUMMARY_REPEAT = 3
SUMMARY_TARGET_S, SUMMARY_TARGET_SIZE = 1.0, 50_000  # headline metrics (issue 16)


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def default_repeat(size: int) -> int:
    return 3 if size <= 10_000 else 2


@dataclass
class Timing:
    """Samples (seconds) of one measurement at one size on one backend."""

    samples: list[float] = field(default_factory=list)
    note: str = ""

    @property
    def median(self) -> float | None:
        return statistics.median(self.samples) if self.samples else None


@dataclass
class SizeResult:
    size: int
    backend: str
    people: int = 0
    csv_bytes: int = 0
    xlsx_bytes: int = 0
    generate_s: float = 0.0
    write_xlsx_s: float = 0.0
    timings: dict[str, Timing] = field(default_factory=dict)

    def timing(self, name: str) -> Timing:
        return self.timings.setdefault(name, Timing())


# --- databases ------------------------------------------------------------------------------


@contextmanager
def fresh_database(backend: str, workdir: Path, pg_url: str | None) -> Iterator[tuple[Engine, str]]:
    """An empty database migrated to head with the shipped reference data; gone afterwards."""
    if backend == "sqlite":
        path = workdir / f"bench-{uuid.uuid4().hex[:8]}.db"
        url = f"sqlite:///{path}"
        engine = make_engine(url)
        try:
            init_database(engine)
            yield engine, url
        finally:
            engine.dispose()
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        return
    assert pg_url
    schema = f"planner_bench_{uuid.uuid4().hex[:10]}"
    admin = make_engine(pg_url)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in pg_url else "?"
    url = f"{pg_url}{sep}options=-csearch_path%3D{schema}"
    engine = make_engine(url)
    try:
        init_database(engine)
        yield engine, url
    finally:
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def timed(fn: Callable[[], object]) -> float:
    gc.collect()
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


# --- the measurements -----------------------------------------------------------------------


def run_import(engine: Engine, files: list[tuple[str, bytes]]) -> None:
    from planner.establishment.importer import import_establishment

    with write_session(engine) as session:
        import_establishment(session=session, actor=SYSTEM, files=files)


def read_csv_frames(files: list[tuple[str, bytes]]) -> tuple[pd.DataFrame, pd.DataFrame]:
    data = dict(files)
    read = {name: pd.read_csv(io.BytesIO(data[f"{name}.csv"]), dtype=str, keep_default_na=False)
            for name in ("posts", "people")}
    return read["posts"], read["people"]


def read_xlsx_frames(files: list[tuple[str, bytes]]) -> tuple[pd.DataFrame, pd.DataFrame]:
    (_, data), = files
    sheets = pd.read_excel(io.BytesIO(data), sheet_name=["posts", "people"], engine="openpyxl")
    return sheets["posts"], sheets["people"]


def _text(s: pd.Series) -> list:
    return s.fillna("").astype(str).tolist()


def _ints(s: pd.Series, scale: int = 1) -> list:
    v = pd.to_numeric(s.replace("", None), errors="coerce") * scale
    return [None if pd.isna(x) else round(x) for x in v.tolist()]


def _dates(s: pd.Series) -> list:
    d = pd.to_datetime(s.replace("", None), errors="coerce")
    return [None if pd.isna(x) else x.date() for x in d.tolist()]


def _rows(columns: dict[str, list]) -> list[dict]:
    return [dict(zip(columns, row, strict=True)) for row in zip(*columns.values(), strict=True)]


def reference_insert(engine: Engine, posts: pd.DataFrame, people: pd.DataFrame) -> None:
    """The floor: the same rows into the same tables with Core bulk inserts, no validation.

    Columns are mapped minimally (no reports_to links, no occupancies), so this is a strict
    lower bound on what any importer of these files must spend.
    """
    with write_session(engine) as session:
        conn = session.connection()
        sid = conn.execute(insert(Structure.__table__).values(
            name="Current establishment", kind="baseline", status="current", description="",
            version=1, created_at=dt.datetime.now(dt.UTC))).inserted_primary_key[0]
        partner_ids = dict(conn.execute(text("SELECT name, id FROM partner")).all())
        partner = posts["partner"].fillna("shared").map(partner_ids)
        n = len(posts)
        post_rows = _rows({
            "structure_id": [sid] * n, "post_ref": _text(posts["post_id"]),
            "title": _text(posts["title"]), "division": _text(posts["division"]),
            "team": _text(posts["team"]), "grade": _text(posts["grade"]),
            "fte": pd.to_numeric(posts["fte"]).tolist(),
            "partner_id": [None if pd.isna(x) else int(x) for x in partner.tolist()],
            "funding": _text(posts["funding"]), "notes": _text(posts["notes"]), "version": [1] * n,
        })
        conn.execute(insert(Post.__table__), post_rows)
        person_rows = _rows({
            "employee_ref": _text(people["employee_id"]), "name": _text(people["name"]),
            "contract": _text(people["contract"]), "scp": _ints(people["scp"]),
            "annual_salary_pence": _ints(people["annual_salary"], 100),
            "day_rate_pence": _ints(people["day_rate"], 100),
            "start_date": _dates(people["start_date"]),
            "continuous_service_date": _dates(people["continuous_service_date"]),
            "date_of_birth": _dates(people["date_of_birth"]), "origin": _text(people["origin"]),
            "tupe_transfer_date": _dates(people["tupe_transfer_date"]),
        })
        conn.execute(insert(Person.__table__), person_rows)


def check_reference_loaded(engine: Engine, n_posts: int, n_people: int) -> None:
    with engine.connect() as conn:
        posts = conn.execute(text("SELECT count(*) FROM post")).scalar_one()
        people = conn.execute(text("SELECT count(*) FROM person")).scalar_one()
    assert (posts, people) == (n_posts, n_people), (posts, people)


def check_imported(engine: Engine, n_posts: int, n_people: int) -> None:
    with engine.connect() as conn:
        posts = conn.execute(text("SELECT count(*) FROM post")).scalar_one()
        people = conn.execute(text("SELECT count(*) FROM person")).scalar_one()
        occ = conn.execute(text("SELECT count(*) FROM occupancy")).scalar_one()
        linked = conn.execute(text("SELECT count(*) FROM post WHERE reports_to_id IS NOT NULL"))
        linked = linked.scalar_one()
    expected = (n_posts, n_people, n_people, n_posts - 1)
    if (posts, people, occ, linked) != expected:
        raise AssertionError(f"import wrote (posts, people, occupancies, linked) = "
                             f"{(posts, people, occ, linked)}, expected {expected}")


def summary(engine: Engine) -> None:
    from planner.establishment.register import headline_metrics

    with read_session(engine) as session:
        headline_metrics(session=session, actor=SYSTEM)


# --- the establishment page in AppTest ------------------------------------------------------


def page_available() -> str | None:
    """None when the page can be driven, else why not."""
    missing = [p for p in ("app.py", "pages/establishment.py", "planner/ui/session.py")
               if not (ROOT / p).exists()]
    return f"skipped: {', '.join(missing)} not written yet" if missing else None


def sign_in(at, actor) -> None:
    """Put the signed-in actor in session state the way planner/ui/session.py does."""
    from planner.ui import session as ui_session

    setter = getattr(ui_session, "bench_sign_in", None)
    if setter is not None:  # pragma: no cover - a helper the UI may offer
        setter(at.session_state, actor)
        return
    key = getattr(ui_session, "ACTOR_KEY", "actor")
    at.session_state[key] = actor
    for name in ("LAST_SEEN_KEY", "LAST_ACTIVITY_KEY", "SEEN_KEY"):
        if hasattr(ui_session, name):
            at.session_state[getattr(ui_session, name)] = time.time()


def time_page(url: str, repeat: int) -> Timing:
    """Warm the establishment page once, then time reruns; DB chosen through the settings."""
    from streamlit.testing.v1 import AppTest

    import planner.core.db
    from planner.core.config import get_settings

    os.environ["PLANNER_DATABASE_URL"] = url
    get_settings.cache_clear()
    planner.core.db._engine = None
    try:
        import streamlit as st

        st.cache_data.clear()
        st.cache_resource.clear()
        actor = _hr_actor(url)
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
        sign_in(at, actor)
        at.run()
        at.switch_page("pages/establishment.py")
        at.run()  # warms the caches
        _raise_on_exception(at, "warm-up run")
        result = Timing()
        for _ in range(repeat):
            result.samples.append(timed(at.run))
            _raise_on_exception(at, "timed run")
        heads = [f"{m.label} {m.value}" for m in at.metric]
        rows = max((len(d.value) for d in at.dataframe), default=0)
        result.note = "; ".join(heads) + f"; register table of {rows:,} rows"
        return result
    finally:
        os.environ.pop("PLANNER_DATABASE_URL", None)
        get_settings.cache_clear()
        planner.core.db._engine = None


def _hr_actor(url: str):
    """An hr user in the benchmark database (the page is hr's everyday view)."""
    from sqlmodel import select

    from planner.core.auth import Actor, add_user
    from planner.core.models import User

    engine = make_engine(url)
    try:
        with write_session(engine) as session:
            user = session.exec(select(User).where(User.username == "bench-hr")).first()
            if user is None:
                user = add_user(session=session, actor=SYSTEM, username="bench-hr", role="hr",
                                password=None, display_name="Benchmark HR")
            return Actor.of(user)
    finally:
        engine.dispose()


def _raise_on_exception(at, when: str) -> None:
    if at.exception:
        raise RuntimeError(f"the page raised on its {when}: {at.exception[0].message}")


# --- profiling ------------------------------------------------------------------------------


def profile_import(backend: str, workdir: Path, pg_url: str | None,
                   files: list[tuple[str, bytes]], top: int = 25) -> str:
    """One import under cProfile: the functions where the time goes, with their share."""
    with fresh_database(backend, workdir, pg_url) as (engine, _):
        prof = cProfile.Profile()
        prof.enable()
        run_import(engine, files)
        prof.disable()
    stats = pstats.Stats(prof)
    total = max(stats.total_tt, 1e-9)  # type: ignore[attr-defined]
    rows = []
    for (filename, line, name), (_cc, ncalls, tt, ct, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        rows.append((ct, tt, ncalls, _where(filename, line, name)))
    lines = [f"Total {total:.2f} s under cProfile (profiling slows it down; read the shares).", "",
             "Cumulative time, functions of planner/ (and the biggest library calls):", "",
             "| cumulative s | share | own s | calls | function |", "|---:|---:|---:|---:|---|"]
    ours = sorted((r for r in rows if "planner/" in r[3]), reverse=True)[:top]
    for ct, tt, ncalls, where in ours:
        lines.append(f"| {ct:.2f} | {ct / total:.0%} | {tt:.2f} | {ncalls} | `{where}` |")
    lines += ["", "Own time (where the CPU actually is):", "",
              "| own s | share | calls | function |", "|---:|---:|---:|---|"]
    for _ct, tt, ncalls, where in sorted(rows, key=lambda r: r[1], reverse=True)[:top]:
        lines.append(f"| {tt:.2f} | {tt / total:.0%} | {ncalls} | `{where}` |")
    return "\n".join(lines)


def _where(filename: str, line: int, name: str) -> str:
    if filename == "~":
        return name
    for marker in ("site-packages/", str(ROOT) + "/"):
        if marker in filename:
            filename = filename.split(marker, 1)[1]
            break
    return f"{filename}:{line}({name})"


# --- one size -------------------------------------------------------------------------------


def bench_size(size: int, repeat: int, backends: list[str], workdir: Path, pg_url: str | None,
               page: bool) -> list[SizeResult]:
    log(f"== {size:,} posts: generating")
    start = time.perf_counter()
    posts, people = generate(size, seed=0)
    generate_s = time.perf_counter() - start
    csv_files = to_csv_files(posts, people)
    start = time.perf_counter()
    xlsx_files = to_xlsx_file(posts, people)
    write_xlsx_s = time.perf_counter() - start
    log(f"   {len(posts):,} posts, {len(people):,} people; generated in {generate_s:.2f} s, "
        f"xlsx written in {write_xlsx_s:.1f} s")
    results = []
    for backend in backends:
        res = SizeResult(size=size, backend=backend, people=len(people), generate_s=generate_s,
                         csv_bytes=sum(len(b) for _, b in csv_files),
                         xlsx_bytes=len(xlsx_files[0][1]), write_xlsx_s=write_xlsx_s)
        results.append(res)
        for i in range(repeat):
            for fmt, files, reader in (("csv", csv_files, read_csv_frames),
                                       ("xlsx", xlsx_files, read_xlsx_frames)):
                _measure_import(res, fmt, files, backend, workdir, pg_url, len(posts), len(people))
                with fresh_database(backend, workdir, pg_url) as (engine, _):
                    def reference(engine=engine, files=files, reader=reader) -> None:
                        reference_insert(engine, *reader(files))
                    res.timing(f"reference_{fmt}").samples.append(timed(reference))
                    check_reference_loaded(engine, len(posts), len(people))
                log(f"   {backend} run {i + 1}/{repeat} {fmt}: import "
                    f"{_fmt(res.timing(f'import_{fmt}').samples, -1)}, reference "
                    f"{_fmt(res.timing(f'reference_{fmt}').samples, -1)}")
        _summary_and_page(res, csv_files, backend, workdir, pg_url, page)
    return results


def _fmt(samples: list[float], i: int) -> str:
    return f"{samples[i]:.2f} s" if samples else "n/a"


def _measure_import(res: SizeResult, fmt: str, files, backend: str, workdir: Path,
                    pg_url: str | None, n_posts: int, n_people: int) -> None:
    timing = res.timing(f"import_{fmt}")
    if timing.note:  # failed before: do not try again
        return
    with fresh_database(backend, workdir, pg_url) as (engine, _):
        try:
            timing.samples.append(timed(lambda: run_import(engine, files)))
            check_imported(engine, n_posts, n_people)
        except Exception as exc:  # report, keep benchmarking the rest
            timing.samples.clear()
            timing.note = _failure(exc)
            log(f"   import {fmt} FAILED: {timing.note}")


def _failure(exc: Exception) -> str:
    errors = getattr(exc, "errors", None)
    if errors:
        first = "; ".join(str(e.as_dict() if hasattr(e, "as_dict") else e) for e in errors[:3])
        return f"{type(exc).__name__}: {len(errors)} errors, first: {first}"
    traceback.print_exc()
    return f"{type(exc).__name__}: {exc}"[:300]


def _summary_and_page(res: SizeResult, csv_files, backend: str, workdir: Path,
                      pg_url: str | None, page: bool) -> None:
    if res.timing("import_csv").note:
        res.timing("summary").note = "skipped: the CSV import failed"
        return
    with fresh_database(backend, workdir, pg_url) as (engine, url):
        run_import(engine, csv_files)
        engine.dispose()  # the page below opens its own
        timing = res.timing("summary")
        for _ in range(SUMMARY_REPEAT):
            timing.samples.append(timed(lambda: summary(engine)))
        log(f"   {backend} summary (headline_metrics): median {timing.median:.2f} s")
        if not page or backend != "sqlite" or res.size not in PAGE_SIZES:
            return
        page_timing = res.timing("page")
        why_not = page_available()
        if why_not:
            page_timing.note = why_not
            log(f"   establishment page: {why_not}")
            return
        try:
            got = time_page(url, SUMMARY_REPEAT)
            page_timing.samples, page_timing.note = got.samples, got.note
            log(f"   establishment page rerun: median {page_timing.median:.2f} s")
        except Exception as exc:
            page_timing.note = f"failed: {_failure(exc)}"
            log(f"   establishment page {page_timing.note}")


# --- the report -----------------------------------------------------------------------------


def load_average() -> str:
    try:
        return " / ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "?"


def machine_facts(load_at_start: str = "?") -> list[tuple[str, str]]:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        cpu = platform.processor()
    versions = ", ".join(f"{p} {importlib.metadata.version(p)}" for p in (
        "pandas", "numpy", "SQLAlchemy", "sqlmodel", "openpyxl", "streamlit", "psycopg"))
    try:
        mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
        memory = f"{mem:.1f} GiB"
    except (ValueError, OSError):
        memory = "?"
    return [
        ("date", dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")),
        ("cores (nproc)", str(os.cpu_count())),
        ("CPU", cpu or "?"),
        ("memory", memory),
        ("OS", platform.platform()),
        ("Python", sys.version.split()[0]),
        ("SQLite", sqlite3.sqlite_version),
        ("libraries", versions),
        ("load average (1/5/15 min)", f"{load_at_start} at the start, {load_average()} at the "
         "end (other processes' load is in the numbers)"),
    ]


def _s(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f}"


def _samples(t: Timing) -> str:
    return ", ".join(f"{x:.3f}" for x in t.samples) or "—"


def render(results: list[SizeResult], argv: list[str], profiles: dict[str, str],
           pg_note: str, elapsed: float, load_at_start: str = "?") -> str:
    out = ["# Benchmark results", "",
           "Written by `benchmarks/run.py`; do not edit by hand. See benchmarks/README.md for how "
           "to read it.", "",
           f"Command: `.venv/bin/python -m benchmarks.run {' '.join(argv)}`".rstrip() + " "
           f"(whole run {elapsed / 60:.1f} min). Times in seconds, medians over the samples "
           "listed; every sample on a fresh database.", "", "## Machine", "",
           "| | |", "|---|---|"]
    out += [f"| {k} | {v} |" for k, v in machine_facts(load_at_start)]
    out += ["", f"Backends: {pg_note}", "", "## Data", "",
            "Generated by `benchmarks.generate.generate(n, seed=0)`.", "",
            "| posts | people | CSV bytes | xlsx bytes | generate s | write xlsx s |",
            "|---:|---:|---:|---:|---:|---:|"]
    seen = set()
    for r in results:
        if r.size in seen:
            continue
        seen.add(r.size)
        out.append(f"| {r.size:,} | {r.people:,} | {r.csv_bytes:,} | {r.xlsx_bytes:,} | "
                   f"{r.generate_s:.2f} | {r.write_xlsx_s:.2f} |")
    for fmt, label in (("csv", "CSV (posts.csv + people.csv)"), ("xlsx", "xlsx (one workbook)")):
        out += ["", f"## Import, {label}", "",
                "`import_establishment` inside `write_session` (commit included) against the "
                "reference: pandas reading the same bytes + Core bulk insert of the same posts "
                "and people rows, no validation. Target: import ≤ 3× the reference at "
                "10,000 posts (shown at every size; binding at 10,000).", "",
                "| posts | backend | import | reference | ratio | target | result | import samples "
                "| reference samples |",
                "|---:|---|---:|---:|---:|---|---|---|---|"]
        for r in results:
            imp, ref = r.timing(f"import_{fmt}"), r.timing(f"reference_{fmt}")
            if imp.median is None or ref.median is None:
                out.append(f"| {r.size:,} | {r.backend} | — | {_s(ref.median)} | — | ≤ 3× | "
                           f"FAIL ({imp.note or 'not measured'}) | — | {_samples(ref)} |")
                continue
            ratio = imp.median / ref.median
            verdict = "PASS" if ratio <= RATIO_TARGET else "FAIL"
            if r.size != TARGET_SIZE:
                verdict += " (info)"
            out.append(f"| {r.size:,} | {r.backend} | {_s(imp.median)} | {_s(ref.median)} | "
                       f"{ratio:.2f}× | ≤ 3× | {verdict} | {_samples(imp)} | {_samples(ref)} |")
    out += ["", "## Summary: headline metrics", "",
            "`planner.establishment.register.headline_metrics(session=…, actor=SYSTEM)` on the imported "
            "database (three narrow reads: the posts' FTE, each occupant's FTE and contract, "
            "people by contract and origin; no establishment frame). Target (issue 16): "
            f"< {SUMMARY_TARGET_S:.0f} s at {SUMMARY_TARGET_SIZE:,} posts; before issue 16 it "
            "built the whole establishment frame and took 2.9 s there.", "",
            "| posts | backend | median | target | result | samples | note |",
            "|---:|---|---:|---|---|---|---|"]
    for r in results:
        t = r.timing("summary")
        target, verdict = "—", ""
        if r.size == SUMMARY_TARGET_SIZE:
            target = f"< {SUMMARY_TARGET_S:.0f} s"
            verdict = "" if t.median is None else "PASS" if t.median < SUMMARY_TARGET_S else "MISS"
        out.append(f"| {r.size:,} | {r.backend} | {_s(t.median)} | {target} | {verdict} | "
                   f"{_samples(t)} | {t.note} |")
    out += ["", "## Establishment page rerun (AppTest)", "",
            "`AppTest.from_file('app.py')` on the imported SQLite database, signed in as hr, "
            "switched to pages/establishment.py, run once to warm the caches, then "
            f"`at.run()` timed. Target: < {PAGE_TARGET_S:.0f} s at 10,000 posts.", "",
            "| posts | median | target | result | samples | note |",
            "|---:|---:|---|---|---|---|"]
    for r in results:
        if r.backend != "sqlite" or r.size not in PAGE_SIZES:
            continue
        t = r.timing("page")
        verdict = ("PASS" if t.median < PAGE_TARGET_S else "FAIL") if t.median is not None \
            else "not measured"
        out.append(f"| {r.size:,} | {_s(t.median)} | < 1 s | {verdict} | {_samples(t)} | "
                   f"{t.note} |")
    for label, breakdown in profiles.items():
        out += ["", f"## Where the import's time goes ({TARGET_SIZE:,} posts, {label}, cProfile)",
                "", f"Written because the {label} import missed its 3× target at "
                f"{TARGET_SIZE:,} posts.", "", breakdown]
    out += ["", "## Re-run", "",
            "`make bench` (= `.venv/bin/python -m benchmarks.run`, sizes 1,000, 10,000 and "
            "50,000, 3 repeats up to 10,000 and 2 at 50,000); `--sizes 1000,10000 --repeat 1` "
            "for a quick look; `--pg postgresql+psycopg://…` to add PostgreSQL. Takes about "
            "4 minutes on 2 cores with SQLite alone, about 7 with `--pg`.", ""]
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default=",".join(map(str, DEFAULT_SIZES)),
                        help="comma-separated numbers of posts (default 1000,10000,50000)")
    parser.add_argument("--repeat", type=int, default=None,
                        help="samples per measurement (default 3 up to 10,000 posts, 2 above)")
    parser.add_argument("--pg", metavar="URL", default=None,
                        help="also run on PostgreSQL (a throwaway schema per database)")
    parser.add_argument("--no-page", action="store_true", help="skip the AppTest page rerun")
    parser.add_argument("--no-profile", action="store_true",
                        help="do not profile the import when it misses its target")
    parser.add_argument("--out", type=Path, default=RESULTS, help="where to write the report")
    args = parser.parse_args(argv)
    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    backends = ["sqlite"] + (["postgresql"] if args.pg else [])
    pg_url = None
    if args.pg:
        from planner.core.config import normalise_url

        pg_url = normalise_url(args.pg)
    pg_note = "SQLite (temporary file, WAL)" + (
        "; PostgreSQL (throwaway schema)" if args.pg else "; PostgreSQL not run (add `--pg URL`)")
    started = time.perf_counter()
    load_at_start = load_average()
    log(f"benchmarks: sizes {sizes}, backends {backends}")
    try:
        import planner.establishment.importer  # noqa: F401
    except ImportError as exc:
        log(f"planner.establishment.importer is not importable ({exc}): imports will be reported as failed")
    results: list[SizeResult] = []
    profiles: dict[str, str] = {}
    with tempfile.TemporaryDirectory(prefix="planner-bench-") as tmp:
        for size in sizes:
            repeat = args.repeat or default_repeat(size)
            got = bench_size(size, repeat, backends, Path(tmp), pg_url, not args.no_page)
            results += got
            if size != TARGET_SIZE or args.no_profile:
                continue
            for res in got:
                for fmt in ("csv", "xlsx"):
                    imp, ref = res.timing(f"import_{fmt}"), res.timing(f"reference_{fmt}")
                    if imp.median and ref.median and imp.median / ref.median > RATIO_TARGET:
                        log(f"   {res.backend} {fmt} import is {imp.median / ref.median:.1f}× "
                            "the reference: profiling it")
                        posts, people = generate(size, seed=0)
                        files = (to_csv_files(posts, people) if fmt == "csv"
                                 else to_xlsx_file(posts, people))
                        profiles[f"{res.backend}, {fmt}"] = profile_import(
                            res.backend, Path(tmp), pg_url, files)
    report = render(results, argv, profiles, pg_note, time.perf_counter() - started,
                    load_at_start)
    from benchmarks.sections import keep_sections

    args.out.write_text(keep_sections(args.out, report), encoding="utf-8")
    log(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
