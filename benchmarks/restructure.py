"""TUPE, consultation and equality benchmark (issues 5 and 6).

At 1,000, 10,000 and 50,000 posts (`generate(n, seed=2)`, imported on SQLite), with an option
copied from the baseline and changed the way a restructure changes things (5% of posts
deleted, 5% regraded, 2% resized, 2% moved, 300 new: `benchmarks.costing.edited_option`) and
every employee's equality answers imported from one equality.csv:

- `records.import_equality` of the whole service's answers;
- `consultation.consultation_view` as hr (people at risk with notice and pay) and as a manager;
- `equality.analyse` suppressed (a manager) and unsuppressed (hr);
- `eto.tupe_changes`: the option's changes to transferees' posts.

Target (DESIGN.md "Scale": 10,000 posts routine): each page read under 2 s at 10,000 posts,
so the Consultation, Equality and TUPE pages stay responsive; and (issue 16) the consultation
and equality reads under 1 s at 50,000 posts. Writes its
section of benchmarks/results.md. Run: `.venv/bin/python -m benchmarks.restructure`.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from sqlmodel import Session

import planner.core.models  # noqa: F401  (registers the tables)
from benchmarks.common import footer, log, samples_text, timed
from benchmarks.costing import PLANNER, database, edited_option
from benchmarks.sections import update_section
from planner.core.auth import Actor
from planner.core.models import EQUALITY_FIELDS
from planner.equality import analysis as equality
from planner.equality import records
from planner.legal import consultation, eto

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results.md"
SIZES = (1_000, 10_000, 50_000)
TARGET_SECONDS = 2.0  # per page read at 10,000 posts
# Issue 16: the consultation and equality reads under 1 s at 50,000 posts (before: 2.3 s and
# 3.5 s there, the establishment's lineage frames and ORM rows read whole).
LARGE_SIZE, LARGE_TARGET_SECONDS = 50_000, 1.0
LARGE_READS = ("consultation (hr)", "consultation (manager)", "equality suppressed",
               "equality unsuppressed")
MANAGER = Actor(id=None, username="benchmark-manager", role="manager")
ANSWERS = {
    "sex": ["Female", "Male", "prefer not to say", ""],
    "gender_reassignment": ["No", "Yes", "prefer not to say", ""],
    "disability": ["Not disabled", "Disabled", "prefer not to say", ""],
    "ethnicity": ["White British", "White other", "Black or Black British", "Asian or Asian British",
                  "Mixed", "Other ethnic group", "prefer not to say", ""],
    "religion_or_belief": ["No religion", "Christian", "Muslim", "Hindu", "Jewish", "Sikh",
                           "prefer not to say", ""],
    "sexual_orientation": ["Heterosexual", "Gay or lesbian", "Bisexual", "prefer not to say", ""],
    "marriage_civil_partnership": ["Married or in a civil partnership",
                                   "Not married or in a civil partnership", "prefer not to say",
                                   ""],
    "pregnancy_maternity": ["No", "Yes", "prefer not to say", ""],
}


def equality_csv(people: pd.DataFrame, rng: np.random.Generator) -> bytes:
    """Answers for every employee, skewed towards the first category as real returns are."""
    employees = people[people["contract"].isin(["permanent", "fixed_term", "secondment"])]
    out = pd.DataFrame({"employee_id": employees["employee_id"].to_numpy()})
    for field in EQUALITY_FIELDS:
        choices = ANSWERS[field]
        weights = np.array([8.0] + [1.0] * (len(choices) - 1))
        out[field] = rng.choice(choices, size=len(out), p=weights / weights.sum())
    return out.to_csv(index=False).encode()


NAMES = ("import equality", "consultation (hr)", "consultation (manager)",
         "equality suppressed", "equality unsuppressed", "TUPE changes")


def measure(n: int, workdir: Path, repeat: int) -> tuple[int, int, int, int, dict[str, list[float]]]:
    """(posts, people, proposed dismissals, employees analysed, samples by name) at `n` posts."""
    log(f"restructure: {n:,} posts")
    engine, people = database(workdir, n, seed=2, name="restructure")
    option = edited_option(engine, np.random.default_rng(11))
    answers = [("equality.csv", equality_csv(people, np.random.default_rng(3)))]

    def once(fn, write: bool = False):
        with Session(engine) as s:
            out = fn(s)
            if write:
                s.commit()
            else:
                s.rollback()
            return out

    figures: dict[str, list[float]] = {}
    figures["import equality"], _ = timed(lambda: once(
        lambda s: records.import_equality(session=s, actor=PLANNER, files=answers),
        write=True), repeat)
    calls = {
        "consultation (hr)": lambda s: consultation.consultation_view(
            session=s, actor=PLANNER, structure=option),
        "consultation (manager)": lambda s: consultation.consultation_view(
            session=s, actor=MANAGER, structure=option),
        "equality suppressed": lambda s: equality.analyse(
            session=s, actor=MANAGER, structure=option),
        "equality unsuppressed": lambda s: equality.analyse(
            session=s, actor=PLANNER, structure=option, unsuppressed=True),
        "TUPE changes": lambda s: eto.tupe_changes(session=s, actor=PLANNER, structure=option),
    }
    detail = {}
    for name, fn in calls.items():
        once(fn)  # warm
        figures[name], detail[name] = timed(lambda fn=fn: once(fn), repeat)
    engine.dispose()
    return (n, len(people), detail["consultation (hr)"].proposed,
            detail["equality suppressed"].service_total, figures)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--sizes", type=int, nargs="*", default=list(SIZES))
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        rows = [measure(n, Path(tmp), args.repeat) for n in args.sizes]
    names = NAMES
    lines = ["## TUPE, consultation and equality", "",
             f"Command: `.venv/bin/python -m benchmarks.restructure` on "
             f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; SQLite; "
             "`generate(n, seed=2)` with an option deleting 5% of posts, regrading 5%, resizing "
             "2%, moving 2% and adding 300, and every employee's equality answers. Medians of "
             f"{args.repeat} samples (seconds).", "",
             f"Targets: every page read under {TARGET_SECONDS:.0f} s at 10,000 posts (result); "
             f"issue 16: the consultation and equality reads under {LARGE_TARGET_SECONDS:.0f} s "
             f"at {LARGE_SIZE:,} posts, where they took 2.3 s (consultation) and "
             "3.5 s (equality) before.", "",
             "| posts | people | proposed dismissals | employees analysed | "
             + " | ".join(names) + " | result | issue 16 |",
             "|---:|---:|---:|---:|" + "---:|" * len(names) + "---|---|"]
    for n, people_n, proposed, analysed, figures in rows:
        medians = {k: statistics.median(v) for k, v in figures.items()}
        reads = [medians[k] for k in names if k != "import equality"]
        result = ("PASS" if max(reads) < TARGET_SECONDS else "FAIL") if n == 10_000 else "—"
        large = "—"
        if n == LARGE_SIZE:
            slow = [k for k in LARGE_READS if medians[k] >= LARGE_TARGET_SECONDS]
            large = "PASS" if not slow else "MISS: " + ", ".join(slow)
        lines.append(f"| {n:,} | {people_n:,} | {proposed:,} | {analysed:,} | "
                     + " | ".join(f"{medians[k]:.3f}" for k in names)
                     + f" | {result} | {large} |")
    lines += ["", "Samples:", ""]
    for n, *_, figures in rows:
        lines.append(f"- {n:,} posts: " + "; ".join(
            f"{k} {samples_text(v)}" for k, v in figures.items()))
    lines += ["", footer(started)]
    update_section(args.out, "restructure", "\n".join(lines))
    log(f"wrote the restructure section of {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
