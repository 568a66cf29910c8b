"""Exit costs benchmark (issue 12): `planner.people.exit_costs.exit_costs_frame` for 10,000 and
50,000 people against a plain numpy computation of the same statutory arithmetic, in the same
run and on the same people. The plain version works out complete years and age by calendar
fields, takes a 20-column age matrix for the rate of each year counted back, and caps the
week's pay. Target: within 5× of numpy at 50,000. The two statutory totals must agree to the
penny, or the run fails.

Writes its section of benchmarks/results.md. Run: `.venv/bin/python -m benchmarks.exit_costs`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import time
from pathlib import Path

import numpy as np
import pandas as pd

from benchmarks.common import footer, log, samples_text, timed
from benchmarks.sections import update_section
from planner.people.exit_costs import ExitPolicy, exit_costs_frame, week_pay_cap_pence

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results.md"
RELEVANT = dt.date(2026, 12, 3)
SIZES = (10_000, 50_000)


def people(n: int, seed: int = 12) -> pd.DataFrame:
    """Employees aged 18-66 with 0-40 years' service and pay of £18,000-£90,000 a year."""
    rng = np.random.default_rng(seed)
    born = pd.Timestamp("1960-01-01") + pd.to_timedelta(rng.integers(0, 48 * 365, n), unit="D")
    age_at_start = rng.integers(18, 30, n)
    start = born + pd.to_timedelta(age_at_start * 365 + rng.integers(0, 20 * 365, n), unit="D")
    start = start.where(start < pd.Timestamp(RELEVANT), pd.Timestamp(RELEVANT))
    return pd.DataFrame({
        "employee_id": [f"E{i:06d}" for i in range(n)],
        "date_of_birth": [d.date() for d in born],
        "continuous_service_date": [d.date() for d in start],
        "annual_salary_pence": rng.integers(1_800_000, 9_000_000, n).astype(np.int64),
        "notice_worked": rng.random(n) < 0.7,
        "lgps_member": rng.random(n) < 0.8,
        "strain_fund_pence": pd.array([None] * n, dtype="Int64"),
    })


def _years(born: np.ndarray, on: dt.date) -> np.ndarray:
    y, m, d = born
    return on.year - y - ((on.month < m) | ((on.month == m) & (on.day < d)))


def plain_numpy(frame: pd.DataFrame, relevant: dt.date) -> np.ndarray:
    """Statutory redundancy pay per person (ERA s.162), with nothing but numpy."""
    def fields(col: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        s = pd.to_datetime(frame[col])
        return s.dt.year.to_numpy(), s.dt.month.to_numpy(), s.dt.day.to_numpy()

    age = _years(fields("date_of_birth"), relevant)
    # Service as ERA s.211 counts it, both days included: anniversaries reached by the day
    # after the relevant date, a 29 February start's on 28 February in a common year.
    after = relevant + dt.timedelta(days=1)
    y, m, d = fields("continuous_service_date")
    if not (after.year % 4 == 0 and (after.year % 100 != 0 or after.year % 400 == 0)):
        d = np.where((m == 2) & (d == 29), 28, d)
    service = np.minimum(_years((y, m, d), after), 20)
    service = np.where(service >= 2, service, 0)
    back = np.arange(1, 21)[None, :]
    ages = age[:, None] - back
    halves = np.where(ages >= 41, 3, np.where(ages >= 22, 2, 1)) * (back <= service[:, None])
    week = (frame["annual_salary_pence"].to_numpy(np.int64) * 2 + 52) // 104
    capped = np.minimum(week, week_pay_cap_pence(relevant))
    return (halves.sum(axis=1) * capped + 1) // 2


def run(repeat: int) -> str:
    started = time.perf_counter()
    rows = ["| people | exit_costs_frame (s) | plain numpy (s) | ratio | samples (frame) |",
            "|---|---|---|---|---|"]
    verdict = ""
    for n in SIZES:
        frame = people(n)
        log(f"{n:,} people")
        ours, result = timed(lambda f=frame: exit_costs_frame(f, relevant=RELEVANT,
                                                              policy=ExitPolicy()), repeat)
        base, plain = timed(lambda f=frame: plain_numpy(f, RELEVANT), repeat)
        if int(result["statutory_pence"].sum()) != int(plain.sum()):
            raise SystemExit(f"statutory totals differ at {n}: {int(result['statutory_pence'].sum())}"
                             f" against {int(plain.sum())}")
        ratio = statistics.median(ours) / statistics.median(base)
        rows.append(f"| {n:,} | {statistics.median(ours):.3f} | {statistics.median(base):.3f} "
                    f"| {ratio:.1f}× | {samples_text(ours)} |")
        if n == SIZES[-1]:
            verdict = ("**met**" if ratio <= 5 else "**missed**") + f" ({ratio:.1f}× at {n:,})"
    return "\n".join([
        "## Exit costs (issue 12)", "",
        "`planner.people.exit_costs.exit_costs_frame`: statutory and discretionary redundancy pay,",
        "notice and pension strain for every person, against plain numpy doing the statutory",
        "arithmetic on the same people. The statutory totals agree to the penny. The frame "
        "version also works out",
        "discretion, notice and strain. Medians of "
        f"{repeat} runs, in seconds. Target: within 5× of numpy at 50,000: {verdict}.", "",
        *rows, "", footer(started), ""])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    text = run(args.repeat)
    update_section(args.out, "exit-costs", text)
    print(text)


if __name__ == "__main__":
    main()
