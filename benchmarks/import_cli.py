"""`python -m planner import` end to end against the import function's own time (issue 16).

At each size (default 1,000, 10,000 and 50,000 posts) the same CSV files from
`benchmarks.generate.generate(n, seed=5)` are imported, each sample on a fresh SQLite database
(`planner.cli.demo.init_database`, outside the timing):

- function: `prepare_import` in a read session then `import_establishment(prepared=…)` in the
  write session, in this process (its modules already imported), commit included;
- command: `python -m planner --db URL import posts.csv people.csv` as a subprocess, from its
  start to its exit: Python's start, the imports, the migration check, reading the files, the
  same import, printing.

Samples alternate (function, command, function, …) so a change in the machine's load falls on
both. The ratio is command ÷ function of the medians; target ≤ 1.5× at 50,000 posts. CPU
seconds (this process's for the function, the child's for the command) are shown as well:
on a loaded machine they say what the wall clock cannot.

Writes its section `import-cli` of benchmarks/results.md. Run:
`.venv/bin/python -m benchmarks.import_cli [--sizes 1000,10000,50000] [--repeat 3]`.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.common import footer, log, samples_text
from benchmarks.sections import update_section

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results.md"
ROOT = HERE.parent
TARGET_SIZE = 50_000
RATIO_TARGET = 1.5
BEFORE = ("Before (issue 16, measured at 50,000 posts): the command took 13.2 s end to end "
          "while the import function alone took 4.6 s, 2.9×; the difference was the "
          "reporting lines written by an UPDATE of every post after the insert, ids read "
          "back and parameters built row by row, TUPE members added as ORM objects one at a "
          "time, 260,000 dates parsed in a Python loop, a CSV read row by row and Alembic "
          "loaded to find the database already at head. This module run on the code before "
          "the change (commit fcd2c02), same machine, load average about 5, 2 samples: "
          "function 7.60 s (5.14 s CPU), command 10.85 s (6.78 s CPU), 1.43×; at 10,000 "
          "posts 1.56 s and 3.95 s.")


def _fresh_url(tmp: Path, tag: str) -> str:
    from planner.cli.demo import init_database
    from planner.core.db import make_engine

    path = tmp / f"{tag}.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    url = f"sqlite:///{path}"
    engine = make_engine(url)
    init_database(engine)
    engine.dispose()
    return url


def _counts(url: str) -> tuple[int, int, int]:
    from sqlalchemy import text

    from planner.core.db import make_engine

    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return tuple(conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one()  # type: ignore[return-value]
                         for t in ("post", "person", "occupancy"))
    finally:
        engine.dispose()


def run_function(url: str, paths: list[Path]) -> tuple[float, float]:
    """Wall and CPU seconds of prepare + import (commit included) in this process."""
    from planner.core.auth import SYSTEM
    from planner.core.db import make_engine, read_session, write_session
    from planner.establishment.importer import import_establishment, prepare_import

    engine = make_engine(url)
    files = [(p.name, p.read_bytes()) for p in paths]
    try:
        cpu, start = time.process_time(), time.perf_counter()
        with read_session(engine) as session:
            prepared = prepare_import(session=session, actor=SYSTEM, files=files)
        with write_session(engine) as session:
            import_establishment(session=session, actor=SYSTEM, prepared=prepared)
        return time.perf_counter() - start, time.process_time() - cpu
    finally:
        engine.dispose()


def run_command(url: str, paths: list[Path]) -> tuple[float, float]:
    """Wall and CPU seconds of `python -m planner import` as a child process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    out = subprocess.run([sys.executable, "-m", "planner", "--db", url, "import",
                          *map(str, paths)], capture_output=True, text=True, cwd=ROOT,
                         env={**os.environ})
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if out.returncode != 0:
        raise RuntimeError(f"the command failed ({out.returncode}): {out.stderr[-2000:]}")
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return wall, cpu


def measure(size: int, repeat: int, tmp: Path) -> dict[str, object]:
    from benchmarks.generate import generate, to_csv_files

    posts, people = generate(size, seed=5)
    folder = tmp / f"files-{size}"
    folder.mkdir()
    paths = []
    for name, data in to_csv_files(posts, people):
        (folder / name).write_bytes(data)
        paths.append(folder / name)
    expected = (len(posts), len(people), len(people))
    fn: list[float] = []
    cmd: list[float] = []
    fn_cpu: list[float] = []
    cmd_cpu: list[float] = []
    for k in range(repeat):
        url = _fresh_url(tmp, f"fn-{size}-{k}")
        wall, cpu = run_function(url, paths)
        fn.append(wall)
        fn_cpu.append(cpu)
        if _counts(url) != expected:
            raise AssertionError(f"the function wrote {_counts(url)}, expected {expected}")
        url = _fresh_url(tmp, f"cli-{size}-{k}")
        wall, cpu = run_command(url, paths)
        cmd.append(wall)
        cmd_cpu.append(cpu)
        if _counts(url) != expected:
            raise AssertionError(f"the command wrote {_counts(url)}, expected {expected}")
        log(f"   sample {k + 1}: function {fn[-1]:.2f} s, command {cmd[-1]:.2f} s")
    return {"posts": len(posts), "people": len(people),
            "bytes": sum(p.stat().st_size for p in paths), "function": fn, "command": cmd,
            "function_cpu": fn_cpu, "command_cpu": cmd_cpu}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,50000")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    # The function's samples run with planner's modules loaded, as in a running app.
    from planner.core import hooks
    from planner.establishment import importer  # noqa: F401

    hooks.load()
    load_start = " / ".join(f"{x:.2f}" for x in os.getloadavg())
    lines = ["## Import from the command line (issue 16)", "",
             "`python -m planner import posts.csv people.csv` as a subprocess (start to exit) "
             "against `prepare_import` + `import_establishment` in-process (commit included), "
             "the same files from `generate(n, seed=5)`, each sample on a fresh SQLite "
             "database; samples alternate, medians compared. Target: command ≤ "
             f"{RATIO_TARGET:g}× the function at {TARGET_SIZE:,} posts.", "",
             BEFORE, "",
             "| posts | people | CSV bytes | function s | command s | ratio | target | result "
             "| CPU function s | CPU command s | CPU ratio | function samples | command samples |",
             "|---:|---:|---:|---:|---:|---:|---|---|---:|---:|---:|---|---|"]
    with tempfile.TemporaryDirectory(prefix="planner-import-cli-") as tmp:
        for size in (int(s) for s in args.sizes.split(",")):
            log(f"import from the command line at {size:,} posts …")
            m = measure(size, args.repeat, Path(tmp))
            f, c = statistics.median(m["function"]), statistics.median(m["command"])
            fc, cc = statistics.median(m["function_cpu"]), statistics.median(m["command_cpu"])
            ratio = c / f
            verdict = "PASS" if ratio <= RATIO_TARGET else "FAIL"
            if size != TARGET_SIZE:
                verdict += " (info)"
            lines.append(
                f"| {m['posts']:,} | {m['people']:,} | {m['bytes']:,} | {f:.2f} | {c:.2f} | "
                f"{ratio:.2f}× | ≤ {RATIO_TARGET:g}× | {verdict} | {fc:.2f} | {cc:.2f} | "
                f"{cc / fc:.2f}× | {samples_text(m['function'], 2)} | "
                f"{samples_text(m['command'], 2)} |")
    lines += ["", f"Command: `.venv/bin/python -m benchmarks.import_cli --sizes {args.sizes} "
              f"--repeat {args.repeat}` on {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}."
              f" Load average at the start {load_start}. {footer(started)}"]
    update_section(args.out, "import-cli", "\n".join(lines))
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
