"""Financial plan benchmark (issue 15): `planner.finance.projection.project`, a 5-year plan of an
option against the establishment, at 1,000, 10,000 and 50,000 posts, next to plain numpy doing
the same arithmetic on the same frames in the same run: each year uprates the spine, moves
every employee below the top of their grade up a point, prices pay, employer NI, LGPS,
interims and vacancies, and phases each post by the option's implementation date (1 October of
the first year). The two must agree to the penny on every year's baseline and option totals,
or the run fails. Target: within 5× of numpy at 50,000 posts.

The establishment is generated here (one person at most per post, a third of posts in each
partner or shared), so the plain version may take every shortcut one line per post allows;
`project` also splits every year between the partners, works out the month-by-month
cumulative saving and break-even, and the targets and gaps.

Writes its section of benchmarks/results.md. Run: `.venv/bin/python -m benchmarks.plan`.
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
from planner.finance.assumptions import PlanAssumptions, YearAssumption
from planner.finance.projection import project
from planner.structures.costing import CostInputs
from planner.structures.pay import PayRules, Spine

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results.md"
SIZES = (1_000, 10_000, 50_000)
YEAR = "2025/26"
YEARS = 5
AWARD_BP = 300
EFFECTIVE = dt.date(2025, 10, 1)
SWITCH = 6  # months of the first year before the option takes effect
RULES = PayRules(pay_year=YEAR, ni_rate_bp=1500, ni_threshold_pence=500_000, working_days=220,
                 vacancy_point="top", default_lgps_rate_bp=2000, default_london_weighting_pence=0)
GRADES = pd.DataFrame({"grade": [f"G{i}" for i in range(8)],
                       "min_scp": [5 + 5 * i for i in range(8)],
                       "max_scp": [9 + 5 * i for i in range(8)]})
SPINE = Spine.from_points(YEAR, {p: 2_000_000 + p * 80_000 for p in range(1, 60)})
PARTNERS = pd.DataFrame({
    "name": ["Brent", "Lewisham", "Southwark"], "kind": ["council"] * 3,
    "is_host": [True, False, False], "share_bp": [3334, 3333, 3333], "active": [True] * 3,
    "lgps_employer_rate_bp": [2000, 2000, 2000], "london_weighting_pence": [0, 0, 0]},
    index=pd.Index([1, 2, 3], name="id"))
SHARES = pd.DataFrame(columns=["partner_id", "amount_pence", "share_bp"])


def structures(n: int, seed: int = 15) -> tuple[CostInputs, CostInputs]:
    """An establishment of `n` posts (85% filled by an employee, 5% by an interim, 10% vacant)
    and an option deleting every twentieth post."""
    rng = np.random.default_rng(seed)
    g = rng.integers(0, len(GRADES), n)
    gmin, gmax = GRADES["min_scp"].to_numpy()[g], GRADES["max_scp"].to_numpy()[g]
    fte = np.where(rng.random(n) < 0.1, 5_000, 10_000)
    posts = pd.DataFrame({
        "id": np.arange(1, n + 1), "post_id": [f"P{i:06d}" for i in range(1, n + 1)],
        "title": "Officer", "division": rng.choice(["A", "B", "C", "D", "E"], n), "team": "T",
        "grade": GRADES["grade"].to_numpy()[g], "fte_units": fte,
        "partner_id": rng.choice([-1, 1, 2, 3], n), "funding": "base", "baseline_post_id": -1})
    kind = rng.random(n)
    filled = np.flatnonzero(kind < 0.90)
    interim = kind[filled] >= 0.85
    lines = pd.DataFrame({
        "post": filled + 1, "source_post": filled + 1, "source_grade": posts["grade"].to_numpy()[filled],
        "person_id": np.arange(len(filled)) + 1, "fte_units": fte[filled],
        "employee_ref": "E", "name": "N", "contract": np.where(interim, "interim", "permanent"),
        "scp": np.where(interim, np.nan, rng.integers(gmin[filled], gmax[filled] + 1)).astype(float),
        "annual_salary_pence": np.nan,
        "day_rate_pence": np.where(interim, rng.integers(30_000, 70_000, len(filled)), np.nan)})
    base = CostInputs(posts=posts, lines=lines, partners=PARTNERS, grades=GRADES, spine=SPINE,
                      rules=RULES, pay_year=YEAR)
    kept = posts[posts["id"] % 20 != 0].copy()
    kept["baseline_post_id"] = kept["id"]
    kept["id"] = kept["id"] + n
    option_lines = lines[lines["post"].isin(kept["baseline_post_id"])].copy()
    option_lines["post"] = option_lines["post"] + n
    option = CostInputs(posts=kept.reset_index(drop=True), lines=option_lines.reset_index(drop=True),
                        partners=PARTNERS, grades=GRADES, spine=SPINE, rules=RULES, pay_year=YEAR)
    return base, option


def assumptions() -> PlanAssumptions:
    return PlanAssumptions(first_year=YEAR,
                           years=(YearAssumption(),) + (YearAssumption(award_bp=AWARD_BP),) * (YEARS - 1),
                           effective_on=EFFECTIVE, increments=True, vacancy_factor_bp=200)


def _half_up(num: np.ndarray, den: int) -> np.ndarray:
    return (2 * num + den) // (2 * den)


def plain_numpy(inputs: CostInputs) -> list[np.ndarray]:
    """Each post's full-year cost for each plan year, with nothing but numpy."""
    posts, lines = inputs.posts, inputs.lines
    bounds = GRADES.set_index("grade")
    gmax_post = bounds["max_scp"].reindex(posts["grade"]).to_numpy()
    at = np.searchsorted(posts["id"].to_numpy(), lines["post"].to_numpy())
    emp = lines["contract"].to_numpy() == "permanent"
    fte = lines["fte_units"].to_numpy()
    point = np.nan_to_num(lines["scp"].to_numpy()).astype(np.int64)
    gmax = gmax_post[at]
    rate = np.nan_to_num(lines["day_rate_pence"].to_numpy()).astype(np.int64)
    interim = np.where(emp, 0, _half_up(rate * 220 * fte, 10_000))
    vacant = posts["fte_units"].to_numpy().copy()
    vacant[at] = 0
    lookup = inputs.spine.lookup.copy()
    out = []
    for k in range(YEARS):
        if k:
            lookup = np.where(lookup >= 0, _half_up(np.maximum(lookup, 0) * (10_000 + AWARD_BP), 10_000), -1)
        p = np.where(emp & (point < gmax), np.minimum(point + k, gmax), point)
        pay = np.where(emp, _half_up(lookup[p] * fte, 10_000), 0)
        ni = _half_up(np.maximum(pay - 500_000, 0) * 1500, 10_000)
        line = pay + ni + _half_up(pay * 2000, 10_000) + interim
        cost = np.zeros(len(posts), dtype=np.int64)
        cost[at] = line
        v_pay = _half_up(lookup[gmax_post] * vacant, 10_000)
        cost += v_pay + _half_up(np.maximum(v_pay - 500_000, 0) * 1500, 10_000) \
            + _half_up(v_pay * 2000, 10_000)
        out.append(cost)
    return out


def plain_plan(base: CostInputs, option: CostInputs) -> list[tuple[int, int]]:
    """(baseline, option phased) totals for each year: the projection's, in plain numpy."""
    b, o = plain_numpy(base), plain_numpy(option)
    out = []
    for k in range(YEARS):
        opt_months = min(max(12 * (k + 1) - SWITCH, 0), 12)
        # Every baseline post switches on the same date here (continuing or deleted alike).
        phased = (_half_up(b[k] * (12 - opt_months), 12).sum()
                  + _half_up(o[k] * opt_months, 12).sum())
        out.append((int(b[k].sum()), int(phased)))
    return out


def run(repeat: int) -> str:
    started = time.perf_counter()
    rows = ["| posts | people | project (s) | plain numpy (s) | ratio | totals agree | samples (project) | samples (numpy) |",
            "|---:|---:|---:|---:|---:|---|---|---|"]
    verdict = ""
    a = assumptions()
    for n in SIZES:
        base, option = structures(n)
        log(f"{n:,} posts")
        ours, result = timed(lambda b=base, o=option: project(
            base=b, option=o, shares=SHARES, assumptions=a, rules=[RULES] * YEARS), repeat)
        plain, expected = timed(lambda b=base, o=option: plain_plan(b, o), repeat)
        got = list(zip(result.totals["baseline_pence"].astype(int),
                       result.totals["option_pence"].astype(int), strict=True))
        if got != expected:
            raise SystemExit(f"totals differ at {n}: {got} against {expected}")
        ratio = statistics.median(ours) / statistics.median(plain)
        rows.append(f"| {n:,} | {int((base.lines['contract'] == 'permanent').sum()):,} | "
                    f"{statistics.median(ours):.3f} | {statistics.median(plain):.3f} | "
                    f"{ratio:.1f}× | yes | {samples_text(ours)} | {samples_text(plain)} |")
        if n == SIZES[-1]:
            verdict = ("**met**" if ratio <= 5 else "**missed**") + f" ({ratio:.1f}× at {n:,})"
    return "\n".join([
        "## Financial plan (issue 15)", "",
        f"`planner.finance.projection.project`: a {YEARS}-year plan of an option deleting one post "
        "in twenty, taking effect on 1 October of the first year, with a 3% award each later "
        "April, increments, a vacancy factor, the partners' split, the monthly cumulative saving "
        "and break-even, against plain numpy pricing the same posts for the same years and "
        "phasing them (one person per post, so it takes shortcuts the planner cannot). Every "
        "year's baseline and option totals agree to the penny. Medians of "
        f"{repeat} runs, in seconds. Target: within 5× of numpy at 50,000: {verdict}.", "",
        *rows, "", footer(started), ""])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    text = run(args.repeat)
    update_section(args.out, "plan", text)
    print(text)


if __name__ == "__main__":
    main()
