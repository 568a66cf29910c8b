"""Peak memory and time of importing a 200,000-row workbook (issue 10: under 600 MB).

The workbook is made by `benchmarks.generate` (posts and people sheets, real numbers and Excel
dates) and saved to a file first; the import then runs in a fresh child process on a fresh
SQLite database, so the peak resident set size (`ru_maxrss`) is the import's own: Python,
the libraries, the file's bytes, reading, validation and the write. The child reports the
check (read and validate, in a read session) and the write (in the write session) apart,
which is also how long the SQLite write lock is held.

Writes its section of benchmarks/results.md. Run: `.venv/bin/python -m benchmarks.import_memory`
(`--rows N` for another size, `--out PATH` to write elsewhere).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results.md"
LIMIT_MB = 600
# generate() fills ~87% of posts with a person: this many posts give about the wanted rows.
PEOPLE_PER_POST = 0.87


def _peak_mb() -> float:
    """This process's peak resident set: VmHWM where Linux has it (ru_maxrss keeps the parent's
    figure across fork and exec, so a child would report the generator's memory)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def child(path: Path, db: Path) -> dict[str, float | int]:
    """Import the workbook at `path` into a new database at `db`; the figures as a dict."""
    import planner.core.models  # noqa: F401  (registers the tables)
    from planner.core.auth import SYSTEM
    from planner.core.db import make_engine, migrate, read_session, write_session
    from planner.establishment.importer import import_establishment, prepare_import
    from planner.establishment.reference import load_reference_data

    engine = make_engine(f"sqlite:///{db}")
    migrate(engine)
    with write_session(engine) as session:
        load_reference_data(session)
    before = _peak_mb()
    files = [(path.name, path.read_bytes())]
    start = time.perf_counter()
    with read_session(engine) as session:
        prepared = prepare_import(session=session, actor=SYSTEM, files=files)
    del files
    checked = time.perf_counter()
    check_peak = _peak_mb()
    with write_session(engine) as session:
        summary = import_establishment(session=session, actor=SYSTEM, prepared=prepared)
    written = time.perf_counter()
    engine.dispose()
    return {"posts": summary.posts, "people": summary.people, "before_mb": round(before),
            "check_peak_mb": round(check_peak), "peak_mb": round(_peak_mb()), "check_s": round(checked - start, 1),
            "write_s": round(written - checked, 1)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000, help="posts + people rows")
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--child", nargs=2, type=Path, metavar=("XLSX", "DB"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(*args.child)))
        return 0

    from benchmarks.common import footer, log
    from benchmarks.generate import generate, to_xlsx_file
    from benchmarks.sections import update_section

    started = time.perf_counter()
    n_posts = round(args.rows / (1 + PEOPLE_PER_POST))
    log(f"generating {n_posts:,} posts and their people")
    posts, people = generate(n_posts, seed=10)
    (_, data), = to_xlsx_file(posts, people)
    del posts, people
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "establishment.xlsx"
        path.write_bytes(data)
        size_mb = len(data) / 1024 / 1024
        del data
        log(f"importing {path} ({size_mb:.1f} MB) in a child process")
        out = subprocess.run([sys.executable, "-m", "benchmarks.import_memory", "--child",
                              str(path), str(Path(tmp) / "bench.db")],
                             capture_output=True, text=True, check=True,
                             cwd=HERE.parent, env={**os.environ})
    result = json.loads(out.stdout.strip().splitlines()[-1])
    rows = result["posts"] + result["people"]
    verdict = "PASS" if result["peak_mb"] < LIMIT_MB else "FAIL"
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    lines = [
        "## Import memory (200,000 rows)", "",
        f"Command: `.venv/bin/python -m benchmarks.import_memory` on {when}; SQLite; one "
        f"workbook from `generate({n_posts}, seed=10)` ({size_mb:.1f} MB), imported in a fresh "
        "process: `prepare_import` in a read session, then `import_establishment(prepared=…)` "
        "in the write session. Peak is the process's resident set (`ru_maxrss`), Python and "
        "libraries included (`VmHWM`); the check's own peak is read when it ends.", "",
        f"Target: peak under {LIMIT_MB} MB.", "",
        "| rows | posts | people | workbook MB | before reading MB | peak after check MB | "
        "peak MB | check s | write (lock held) s | result |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
        f"| {rows:,} | {result['posts']:,} | {result['people']:,} | {size_mb:.1f} | "
        f"{result['before_mb']} | {result['check_peak_mb']} | {result['peak_mb']} | "
        f"{result['check_s']} | {result['write_s']} | {verdict} |", "",
        footer(started),
    ]
    update_section(args.out, "import-memory", "\n".join(lines))
    log(f"peak {result['peak_mb']} MB; wrote the import-memory section of {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
