"""`python -m planner plan` (planner.cli.plan) on the demo: every figure the page shows."""

from __future__ import annotations

import json

import openpyxl
import pytest

from planner.cli.demo import DEMO_OPTION_NAME, DEMO_PLAN_TARGETS_PENCE
from planner.cli.main import main


def run(capsys, *argv: str) -> tuple[int, dict]:
    code = main(list(argv))
    return code, json.loads(capsys.readouterr().out)


@pytest.fixture
def demo_db(database_url, capsys) -> str:
    code, _ = run(capsys, "load-demo", "--db", database_url, "--json")
    assert code == 0
    return database_url


def test_plan_json_carries_the_table_totals_break_even_and_sensitivity(demo_db, capsys,
                                                                      tmp_path):
    out_file = tmp_path / "plan.xlsx"
    code, out = run(capsys, "plan", "--structure", DEMO_OPTION_NAME, "--years", "4", "--db",
                    demo_db, "--json", "--user", "hr", "--xlsx", str(out_file))
    assert code == 0
    plan = out["plan"]
    assert plan["saved"] and plan["years"] == ["2026/27", "2027/28", "2028/29", "2029/30"]
    assert plan["one_off_source"] == "exit bill" and plan["break_even_month"]
    councils = [r for r in plan["table"] if r["partner"] in ("Brent", "Lewisham", "Southwark")]
    assert len(councils) == 12
    assert {r["target_pence"] for r in councils} == set(DEMO_PLAN_TARGETS_PENCE)
    for year, total in zip(plan["years"], plan["totals"], strict=True):
        rows = [r for r in plan["table"] if r["year"] == year]
        for key in ("baseline_pence", "option_pence", "saving_pence", "net_pence", "gap_pence"):
            assert sum(r[key] for r in rows) == total[key]
    assert len(plan["sensitivity"]) == 4 and plan["assumptions"]["vacancy_factor_bp"] == 200
    assert openpyxl.load_workbook(out_file).sheetnames[:2] == ["Summary", "Assumptions"]


def test_plan_for_a_union_rep_is_refused(demo_db, capsys):
    code, out = run(capsys, "plan", "--structure", DEMO_OPTION_NAME, "--db", demo_db,
                    "--json", "--user", "union")
    assert code == 1 and not out["ok"]


def test_plan_years_out_of_range_is_bad_input(demo_db, capsys):
    code, out = run(capsys, "plan", "--structure", DEMO_OPTION_NAME, "--years", "7", "--db",
                    demo_db, "--json")
    assert code == 2 and "3 to 5" in out["message"]
