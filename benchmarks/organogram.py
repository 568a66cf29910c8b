"""Organogram import benchmark (issue 14), and the synthetic organogram pair the tests use.

`synthetic_pair(n_posts)` writes a government-style pair (senior.csv, junior.csv) that makes
exactly `n_posts` posts: about a tenth senior posts (three top posts, spans of up to eight,
some Vacant, N/D and invented names, a few Eliminated), the rest junior rows of whole and
fractional FTE under them, graded SCS1-4 and G6 (senior) and G7 to AA (junior) with pay
bands, all grades the NJC table does not know. No real person's name is in it.

The benchmark times `import_organogram` (read, map, check, write; commit included) against
`import_establishment` of the same posts and people (the interchange files the establishment
export writes after the organogram import), each on a fresh SQLite database, median of the
samples. Target: the organogram import within 2× of the establishment import at 10,000 posts.

Writes its section of benchmarks/results.md. Run: `.venv/bin/python -m benchmarks.organogram`.
"""

from __future__ import annotations

import argparse
import io
import statistics
import tempfile
import time
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd

from benchmarks.common import footer, log, samples_text
from benchmarks.sections import update_section

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results.md"
TARGET_SIZE = 10_000
RATIO_TARGET = 2.0

SENIOR_HEADERS = ["Post Unique Reference", "Name", "Grade (or equivalent)", "Job Title",
                  "Job/Team Function", "Parent Department", "Organisation", "Unit",
                  "Contact Phone", "Contact E-mail", "Reports to Senior Post",
                  "Salary Cost of Reports (£)", "FTE", "Actual Pay Floor (£)",
                  "Actual Pay Ceiling (£)", "", "Professional/Occupational Group", "Notes",
                  "Valid?"]
JUNIOR_HEADERS = ["Parent Department", "Organisation", "Unit", "Reporting Senior Post", "Grade",
                  "Payscale Minimum (£)", "Payscale Maximum (£)", "Generic Job Title",
                  "Number of Posts in FTE", "Professional/Occupational Group"]
SENIOR_GRADES = [("SCS4", 180_000, 200_000), ("SCS3", 120_000, 160_000),
                 ("SCS2", 95_000, 130_000), ("SCS1", 75_000, 100_000), ("G6", 60_000, 75_000)]
JUNIOR_GRADES = [("G7", 50_000, 60_000, "Policy Adviser"), ("SEO", 40_000, 47_000, "Team Leader"),
                 ("HEO", 34_000, 39_000, "Case Manager"), ("EO", 28_000, 32_000, "Caseworker"),
                 ("AO", 23_000, 26_000, "Administrative Officer"),
                 ("AA", 22_000, 23_000, "Administrative Assistant")]
INVENTED = ["Sam Example", "Alex Placeholder", "Jo Specimen", "Chris Sampleton"]
UNITS = ["Finance", "Digital", "Policy", "Operations", "People", "Legal", "Estates", "Strategy"]


def synthetic_pair(n_posts: int, seed: int = 0, *, senior_share: float = 0.1,
                   top_posts: int = 3) -> tuple[bytes, bytes]:
    """(senior.csv, junior.csv) as UTF-8 bytes, making exactly `n_posts` posts on import."""
    rng = np.random.default_rng(seed)
    n_senior = max(top_posts + 1, int(n_posts * senior_share))
    refs = [f"S{i:05d}" for i in range(1, n_senior + 1)]
    level = np.zeros(n_senior, dtype=int)
    manager = [""] * n_senior
    children = np.zeros(n_senior, dtype=int)
    for i in range(top_posts, n_senior):
        while True:  # a manager among earlier posts, span at most eight, four levels at most
            m = int(rng.integers(0, i))
            if children[m] < 8 and level[m] < 4:
                break
        manager[i] = refs[m]
        children[m] += 1
        level[i] = level[m] + 1
    names = rng.choice(["N/D", "Vacant", "invented"], size=n_senior, p=[0.8, 0.1, 0.1])
    senior_rows = []
    for i in range(n_senior):
        grade, lo, hi = SENIOR_GRADES[min(level[i], 4)]
        name = str(names[i])
        if name == "invented":
            name = INVENTED[i % len(INVENTED)]
        floor = lo + 5_000 * int(rng.integers(0, (hi - lo) // 5_000))
        senior_rows.append([
            refs[i], name, grade, f"Director of {UNITS[i % len(UNITS)]} {i}",
            f"Leads {UNITS[i % len(UNITS)].lower()} work", "Department of Examples",
            "Department of Examples", UNITS[i % len(UNITS)], "N/D", "N/D",
            manager[i] or "XX", "", "1.00", str(floor), str(floor + 4_999), "",
            "Policy", "", "1"])
    # Junior rows: the remaining posts, as rows of 1 to 9.5 FTE under the senior posts.
    remaining = n_posts - n_senior
    junior_rows = []
    r = 0
    while remaining > 0:
        grade, lo, hi, title = JUNIOR_GRADES[r % len(JUNIOR_GRADES)]
        whole = int(rng.integers(0, 9))
        frac = [Decimal("0"), Decimal("0.5"), Decimal("0.6"), Decimal("0.25")][r % 4]
        if whole == 0 and frac == 0:
            whole = 1
        posts = whole + (1 if frac else 0)
        if posts > remaining:
            whole, frac, posts = remaining, Decimal(0), remaining
        fte = Decimal(whole) + frac
        boss = refs[int(rng.integers(0, n_senior))]
        junior_rows.append(["Department of Examples", "Department of Examples",
                            UNITS[r % len(UNITS)], boss, grade, str(lo), str(hi), title,
                            f"{fte:.2f}", "Operational Delivery"])
        remaining -= posts
        r += 1
    return _csv(SENIOR_HEADERS, senior_rows), _csv(JUNIOR_HEADERS, junior_rows)


def _csv(header: list[str], rows: list[list[str]]) -> bytes:
    frame = pd.DataFrame(rows, columns=range(len(header)))
    buf = io.StringIO()
    buf.write(",".join(f'"{h}"' if "," in h else h for h in header) + "\n")
    frame.to_csv(buf, header=False, index=False)
    return buf.getvalue().encode("utf-8")


# --- the benchmark ---------------------------------------------------------------------------


def _fresh_engine(tmp: Path, tag: str):
    from planner.cli.demo import init_database
    from planner.core.db import make_engine

    engine = make_engine(f"sqlite:///{tmp / f'{tag}.db'}")
    init_database(engine)
    return engine


def _import_organogram(engine, senior: bytes, junior: bytes) -> None:
    from planner.core.auth import SYSTEM
    from planner.core.db import read_session, write_session
    from planner.establishment.organogram_import import import_organogram, prepare_organogram

    with read_session(engine) as session:
        prepared = prepare_organogram(session=session, actor=SYSTEM,
                                      senior=("senior.csv", senior),
                                      junior=("junior.csv", junior))
    with write_session(engine) as session:
        import_organogram(session=session, actor=SYSTEM, prepared=prepared)


def _import_establishment(engine, files: list[tuple[str, bytes]]) -> None:
    from planner.core.auth import SYSTEM
    from planner.core.db import read_session, write_session
    from planner.establishment.importer import import_establishment, prepare_import

    with read_session(engine) as session:
        prepared = prepare_import(session=session, actor=SYSTEM, files=files)
    with write_session(engine) as session:
        import_establishment(session=session, actor=SYSTEM, prepared=prepared)


def _establishment_files(engine) -> list[tuple[str, bytes]]:
    """The same posts and people as interchange CSV files (the establishment export); the
    band grades the organogram added are the interchange import's grades too."""
    from planner.core.auth import SYSTEM
    from planner.core.db import read_session
    from planner.establishment.exports import _csv_bytes, export_tables

    with read_session(engine) as session:
        tables = export_tables(session=session, actor=SYSTEM)
    return [(f"{sheet}.csv", _csv_bytes(tables[sheet])) for sheet in ("posts", "people")]


def measure(n_posts: int, repeat: int) -> dict[str, object]:
    from sqlalchemy import delete

    from planner.core.db import write_session
    from planner.core.models import Grade, Occupancy, Person, Post, Structure

    senior, junior = synthetic_pair(n_posts)
    org, est = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for k in range(repeat):
            engine = _fresh_engine(Path(tmp), f"org{k}")
            start = time.perf_counter()
            _import_organogram(engine, senior, junior)
            org.append(time.perf_counter() - start)
            files = _establishment_files(engine)
            # The same database with its band grades, emptied of the establishment: the
            # establishment import then writes the same posts into the same tables.
            with write_session(engine) as session:
                conn = session.connection()
                for table in (Occupancy, Person):
                    conn.execute(delete(table.__table__))
                conn.execute(Post.__table__.update().values(reports_to_id=None))
                conn.execute(delete(Post.__table__))
                conn.execute(Grade.__table__.update().values(structure_id=None))
                conn.execute(delete(Structure.__table__))
            start = time.perf_counter()
            _import_establishment(engine, files)
            est.append(time.perf_counter() - start)
            engine.dispose()
    return {"posts": n_posts, "senior_bytes": len(senior), "junior_bytes": len(junior),
            "organogram": org, "establishment": est}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    lines = ["## Organogram import (issue 14)", "",
             "`prepare_organogram` + `import_organogram` (read both CSVs, map, check, write; "
             "commit included) against `prepare_import` + `import_establishment` of the same "
             "posts and people (the establishment export of the organogram's import), each "
             "on a fresh SQLite database; median of the samples. Pair: "
             "`benchmarks.organogram.synthetic_pair(n)`, a tenth senior posts. Target: "
             f"organogram ≤ {RATIO_TARGET:g}× the establishment import at "
             f"{TARGET_SIZE:,} posts.", "",
             "| posts | senior.csv bytes | junior.csv bytes | organogram | establishment | "
             "ratio | target | result | organogram samples | establishment samples |",
             "|---:|---:|---:|---:|---:|---:|---|---|---|---|"]
    for size in (int(s) for s in args.sizes.split(",")):
        log(f"organogram import at {size:,} posts …")
        m = measure(size, args.repeat)
        o, e = statistics.median(m["organogram"]), statistics.median(m["establishment"])
        ratio = o / e
        verdict = "PASS" if ratio <= RATIO_TARGET else "FAIL"
        if size != TARGET_SIZE:
            verdict += " (info)"
        lines.append(f"| {size:,} | {m['senior_bytes']:,} | {m['junior_bytes']:,} | {o:.3f} | "
                     f"{e:.3f} | {ratio:.2f}× | ≤ {RATIO_TARGET:g}× | {verdict} | "
                     f"{samples_text(m['organogram'])} | {samples_text(m['establishment'])} |")
    lines += ["", f"Command: `.venv/bin/python -m benchmarks.organogram --sizes {args.sizes} "
              f"--repeat {args.repeat}`. {footer(started)}"]
    update_section(args.out, "organogram", "\n".join(lines))
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
