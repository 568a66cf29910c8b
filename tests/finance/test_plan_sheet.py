"""The plan's workbook (planner.finance.plan_sheet): recalculated headless by LibreOffice
(Debian's libreoffice-calc-nogui), every figure equals the projection's to the penny. Without
soffice the recalculation test skips, unless PLANNER_REQUIRE_BROWSER=1 (CI), where it fails."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from planner.core.config import get_settings
from planner.finance.plan import financial_plan, plan_assumptions
from planner.finance.plan_sheet import YEAR_HEADERS, plan_workbook, sheet_name

COLUMNS = {"B": "baseline_pence", "C": "option_pence", "D": "baseline_vacancy_pence",
           "E": "option_vacancy_pence", "F": "saving_pence", "G": "one_off_pence",
           "H": "net_pence", "I": "cumulative_pence", "J": "target_pence", "K": "gap_pence"}


@pytest.fixture
def result(plan_world):
    session, actors, option = plan_world
    a, _ = plan_assumptions(session=session, actor=actors["hr"], structure=option)
    # A vacancy factor that rounds (2.5% of pence ending in 2), a lump sum, targets, and a
    # change part-way through the first year.
    a = dataclasses.replace(a, vacancy_factor_bp=250, effective_on=dt.date(int(a.first_year[:4]), 10, 1),
                            targets={"Brent": (5_000_000, 12_000_000, 12_000_000, 12_000_000),
                                     "Lewisham": (4_000_000,) * 4},
                            one_offs={"Brent": 2_500_012, "Lewisham": 1_000_001})
    return financial_plan(session=session, actor=actors["hr"], structure=option, assumptions=a)


def soffice() -> str:
    path = shutil.which("soffice")
    if path:
        return path
    reason = "LibreOffice (soffice) not found; install Debian's libreoffice-calc-nogui"
    if get_settings().require_browser:
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason)


def pence(value) -> int:
    return int((Decimal(str(value)) * 100).to_integral_value())


def check(book: openpyxl.Workbook, result) -> None:
    proj = result.projection
    for label in proj.labels:
        ws = book[sheet_name(label)]
        assert [c.value for c in ws[3]] == YEAR_HEADERS
        rows = proj.table[proj.table["year"] == label].reset_index(drop=True)
        for i, r in rows.iterrows():
            n = 4 + i
            assert ws[f"A{n}"].value == r["partner"]
            for col, field in COLUMNS.items():
                assert pence(ws[f"{col}{n}"].value) == int(r[field]), (label, r["partner"], field)
        total = proj.totals.set_index("year").loc[label]
        n = 4 + len(rows)
        assert ws[f"A{n}"].value == "Total"
        for col, field in COLUMNS.items():
            assert pence(ws[f"{col}{n}"].value) == int(total[field]), (label, "Total", field)


def test_the_workbook_is_laid_out_as_finance_reads_it(result):
    book = openpyxl.load_workbook(io.BytesIO(plan_workbook(result)))
    assert book.sheetnames == ["Summary", "Assumptions",
                               *[sheet_name(y) for y in result.projection.labels]]
    first = book[sheet_name(result.projection.labels[0])]
    assert first["D4"].value == "=ROUND(B4*Assumptions!$B$7,2)"  # live, over the assumption
    assert first["G4"].value.startswith("=Assumptions!$B$")  # the lump sum, in its year
    assert first["K4"].value == "=J4-F4"
    assert book["Assumptions"]["B7"].value == pytest.approx(0.025)


def test_the_workbook_recalculated_by_libreoffice_equals_the_page(result, tmp_path: Path):
    """Catches: a formula that rounds differently from the projection, a total that is not
    the sum of its rows, a cumulative or target cell pointing at the wrong row."""
    exe = soffice()
    source = tmp_path / "in" / "plan.xlsx"
    source.parent.mkdir()
    source.write_bytes(plan_workbook(result))
    out = tmp_path / "out"
    profile = tmp_path / "profile"
    done = subprocess.run(
        [exe, f"-env:UserInstallation=file://{profile}", "--headless", "--norestore",
         "--convert-to", "xlsx", "--outdir", str(out), str(source)],
        capture_output=True, text=True, timeout=180)
    recalculated = out / "plan.xlsx"
    assert recalculated.exists(), done.stdout + done.stderr
    book = openpyxl.load_workbook(recalculated, data_only=True)
    check(book, result)
    summary = book["Summary"]
    for i, label in enumerate(result.projection.labels):
        total = result.projection.totals.set_index("year").loc[label]
        assert summary[f"A{4 + i}"].value == label
        assert pence(summary[f"D{4 + i}"].value) == int(total["saving_pence"])
        assert pence(summary[f"G{4 + i}"].value) == int(total["cumulative_pence"])


def _recalculate(data: bytes, tmp_path: Path) -> openpyxl.Workbook:
    exe = soffice()
    source = tmp_path / "in" / "book.xlsx"
    source.parent.mkdir(exist_ok=True)
    source.write_bytes(data)
    out, profile = tmp_path / "out", tmp_path / "profile"
    done = subprocess.run(
        [exe, f"-env:UserInstallation=file://{profile}", "--headless", "--norestore",
         "--convert-to", "xlsx", "--outdir", str(out), str(source)],
        capture_output=True, text=True, timeout=180)
    assert (out / "book.xlsx").exists(), done.stdout + done.stderr
    return openpyxl.load_workbook(out / "book.xlsx", data_only=True)


@pytest.mark.parametrize("rate_bp", [250, 200, 175])
def test_libreoffice_rounds_the_vacancy_factor_as_the_projection_does(rate_bp, tmp_path):
    """Catches: a tie (a half penny exactly) that the spreadsheet's ROUND and the projection's
    half-up rounding settle differently, binary floating point notwithstanding."""
    from planner.core.spreadsheets import Cell, Formula, Grid, xlsx_bytes
    from planner.structures.pay import div_half_up

    small = [p for p in range(1, 20_000) if p * rate_bp % 10_000 == 5_000][:10]
    assert small, "no tie at this rate: choose another"
    # Adding whole £100s keeps a tie a tie: pence from 1p to about £400m.
    ties = small + [p + 10_000 * m for p in small[:3] for m in (7, 12_345, 3_086_419, 39_999)]
    values = sorted(set(ties + [123_456_789, 1, 99, 2_440_071_73]))
    rows = [["Rate", Cell(Decimal(rate_bp) / 10_000, "0.00%")]]
    rows += [[Cell(Decimal(p) / 100, "#,##0.00"), Formula(f"=ROUND(A{i + 2}*$B$1,2)")]
             for i, p in enumerate(values)]
    book = _recalculate(xlsx_bytes({"Ties": Grid(rows=rows)}), tmp_path)
    ws = book["Ties"]
    for i, p in enumerate(values):
        assert pence(ws[f"B{i + 2}"].value) == div_half_up(p * rate_bp, 10_000), p
