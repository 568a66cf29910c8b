"""`plan`: an option's medium-term financial plan from the command line (issue 15).

Prints every figure the Financial plan page shows: the assumptions, each year's table by
partner with its totals, the break-even month, the sensitivity to the pay award and the notes
on the one-off costs; `--xlsx OUT` also writes the page's workbook. Management only (plan.read:
manager, hr, admin); a union rep is refused.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from planner.core.auth import Actor
from planner.core.db import read_session


def add_commands(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    plan = sub.add_parser("plan", parents=[common],
                          help="an option's medium-term financial plan: savings against each "
                               "council's target, year by year")
    plan.add_argument("--structure", required=True, metavar="NAME", help="an option's name or id")
    plan.add_argument("--years", type=int, default=None,
                      help="project over this many years (3 to 5; default: the saved plan's)")
    plan.add_argument("--xlsx", type=Path, default=None, metavar="OUT",
                      help="also write the plan's workbook (.xlsx)")


def _pounds(pence: int) -> str:
    sign = "−" if pence < 0 else ""
    pence = abs(int(pence))
    return f"{sign}£{pence // 100:,}.{pence % 100:02d}"


def plan_command(args: argparse.Namespace, engine, actor: Actor) -> tuple[dict[str, Any], str]:
    from planner.finance.plan import financial_plan
    from planner.finance.plan_sheet import plan_workbook

    with read_session(engine) as session:
        result = financial_plan(session=session, actor=actor, structure=args.structure,
                                years=args.years)
    d = result.as_dict()
    if args.xlsx is not None:
        args.xlsx.write_bytes(plan_workbook(result))
        d["xlsx"] = str(args.xlsx)
    a, proj = result.assumptions, result.projection
    lines = [f"{result.structure_name}: financial plan, {a.length} years from {a.first_year}"
             + ("" if result.saved else " (the stated defaults: not saved yet)"),
             f"Takes effect {a.effective_on:%-d %B %Y}; vacancy factor "
             f"{a.vacancy_factor_bp / 100:.2f}%; increments {'on' if a.increments else 'off'}; "
             f"one-off costs from the {proj.one_off_source}."]
    for label, y in zip(a.labels(), a.years, strict=True):
        lines.append(f"  {label}: pay award {y.award_bp / 100:.2f}%"
                     + (f", flat {_pounds(y.award_flat_pence)}" if y.award_flat_pence else ""))
    for label in proj.labels:
        lines.append(f"{label}:")
        rows = proj.table[proj.table["year"] == label]
        total = proj.totals.set_index("year").loc[label]
        for r in [*rows.to_dict("records"), {"partner": "Total", **total.to_dict()}]:
            lines.append(
                f"  {r['partner']}: baseline {_pounds(r['baseline_pence'])}, option "
                f"{_pounds(r['option_pence'])}, vacancy factor {_pounds(r['baseline_vacancy_pence'])}"
                f" / {_pounds(r['option_vacancy_pence'])}, saving {_pounds(r['saving_pence'])}, "
                f"one-off {_pounds(r['one_off_pence'])}, net {_pounds(r['net_pence'])}, "
                f"cumulative {_pounds(r['cumulative_pence'])}, target {_pounds(r['target_pence'])},"
                f" gap {_pounds(r['gap_pence'])}")
    lines.append("Break-even: " + (f"{proj.break_even_on:%B %Y}" if proj.break_even_on
                                   else "not within the plan"))
    lines.append("Sensitivity (recurring saving, all partners):")
    for r in result.sensitivity.to_dict("records"):
        lines.append(f"  {r['year']}: " + ", ".join(
            f"{k.split(', ', 1)[1]} {_pounds(v)}" for k, v in r.items()
            if k.startswith("recurring saving")))
    lines += list(result.notes)
    if args.xlsx is not None:
        lines.append(f"Workbook written to {args.xlsx}.")
    return {"plan": d}, "\n".join(lines)
