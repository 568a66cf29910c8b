"""The financial plan as finance lays one out (issue 15): a workbook with one sheet of
assumptions, one sheet per year and a summary, written through planner.core.spreadsheets.

Each year sheet has a row per partner and a total row. The baseline's and the option's costs
are values: they are priced post by post (pay award, increments, on-costs, implementation
dates; planner.finance.projection), which no formula over a handful of cells could redo. The
rest are live formulas over the assumption cells: the vacancy factor (ROUND to the penny, as
the projection rounds half up), the recurring saving, the lump-sum one-off costs, net and
cumulative saving, each partner's target and the gap to it, and every total (SUM). So a
reader who changes the vacancy factor, a target or a lump sum on the Assumptions sheet sees
the years follow; and, recalculated by Excel or LibreOffice as written, every cell equals the
page's figure to the penny (tests/finance/test_plan_sheet.py recalculates with LibreOffice).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from planner.core.spreadsheets import Cell, Formula, Grid, xlsx_bytes
from planner.finance.plan import PlanResult

MONEY_FORMAT = "#,##0.00;-#,##0.00"
RATE_FORMAT = "0.00%"
YEAR_HEADERS = ["Partner", "Baseline cost", "Option cost (phased)", "Vacancy factor on baseline",
                "Vacancy factor on option", "Recurring saving", "One-off costs", "Net saving",
                "Cumulative net saving", "Target", "Gap to target"]
ASSUMPTIONS = "Assumptions"
VACANCY_CELL = "Assumptions!$B$7"


def _money(pence: int | None) -> Cell | None:
    return None if pence is None else Cell(Decimal(int(pence)) / 100, MONEY_FORMAT)


def _rate(bp: int | None) -> Cell | None:
    return None if bp is None else Cell(Decimal(int(bp)) / 10_000, RATE_FORMAT)


def sheet_name(label: str) -> str:
    """"2026/27" → "2026-27" (a sheet name may not hold a slash)."""
    return label.replace("/", "-")


def plan_workbook(result: PlanResult) -> bytes:
    """The plan's workbook (module docstring); cells in pounds, rates as percentages."""
    # Here, not at the top: the plan page imports this module, and openpyxl is 12 MB of the
    # server's memory until someone downloads a workbook (issue 16).
    from openpyxl.utils import get_column_letter

    a, proj = result.assumptions, result.projection
    labels = a.labels()
    partners = list(dict.fromkeys(proj.table["partner"]))
    rows: list[list[Any]] = [
        [f"Financial plan: {result.structure_name}"],
        ["Money in pounds, rates as percentages. The year sheets' formulas read the cells "
         "below: change them there."],
        [],
        ["First year", a.first_year],
        ["Years", a.length],
        ["Increments each April", "yes" if a.increments else "no"],
        ["Vacancy factor", _rate(a.vacancy_factor_bp)],  # B7: VACANCY_CELL
        ["Takes effect", a.effective_on],
        ["One-off costs from", proj.one_off_source],
        ["Pay spine stored for", result.spine_year],
        [],
        ["Year", "Pay award", "Flat award", "Flat award up to SCP", "Employer NI rate",
         "NI threshold", "Pension rate"],
    ]
    headers, bold = [11], [0]
    for label, y in zip(labels, a.years, strict=True):
        rows.append([label, _rate(y.award_bp), _money(y.award_flat_pence), y.flat_to_scp,
                     _rate(y.ni_rate_bp), _money(y.ni_threshold_pence), _rate(y.pension_rate_bp)])
    rows.append([])
    headers.append(len(rows))
    rows.append(["Savings target", *labels])
    target_cell: dict[tuple[str, int], str] = {}
    for p in partners:
        excel_row = len(rows) + 1
        rows.append([p, *[_money(a.target(p, k)) for k in range(a.length)]])
        for k in range(a.length):
            target_cell[(p, k)] = f"{ASSUMPTIONS}!${get_column_letter(k + 2)}${excel_row}"
    rows.append([])
    headers.append(len(rows))
    rows.append(["Lump-sum one-off cost", "Amount"])
    lump_cell: dict[str, str] = {}
    for p in partners:
        lump_cell[p] = f"{ASSUMPTIONS}!$B${len(rows) + 1}"
        rows.append([p, _money(int(a.one_offs.get(p, 0)))])
    if proj.one_off_source != "lump sum":
        rows.append(["The one-off costs are the exit bill of the option's people mapping, so "
                     "the lump sums above are not used."])
    dated = ([("Division", k, v) for k, v in a.division_dates.items()]
             + [("Post", k, v) for k, v in a.post_dates.items()])
    if dated:
        rows.append([])
        headers.append(len(rows))
        rows.append(["Takes effect on its own date", "Division or post", "Date"])
        rows += [[scope, key, day] for scope, key, day in dated]
    sheets: dict[str, Grid] = {ASSUMPTIONS: Grid(rows=rows, widths=[34, 14, 14, 20, 16, 14, 14],
                                                 header_rows=headers, bold_rows=bold)}

    table = proj.table
    previous: tuple[str, dict[str, int]] | None = None
    summary_refs: list[tuple[str, str, int]] = []
    for k, label in enumerate(labels):
        name = sheet_name(label)
        year = table[table["year"] == label]
        grid: list[list[Any]] = [
            [f"{label}: {result.structure_name}"],
            ["Costs are priced post by post; every other figure is a formula over the "
             "Assumptions sheet."],
            YEAR_HEADERS]
        where: dict[str, int] = {}
        for r in year.itertuples(index=False):
            n = len(grid) + 1
            where[str(r.partner)] = n
            lump = (Formula(f"={lump_cell[r.partner]}", MONEY_FORMAT)
                    if proj.one_off_source == "lump sum" and k == proj.one_off_year
                    and r.partner in lump_cell else _money(int(r.one_off_pence)))
            if previous is not None and r.partner in previous[1]:
                cumulative = f"=H{n}+'{previous[0]}'!I{previous[1][r.partner]}"
            else:
                cumulative = f"=H{n}"
            target = (Formula(f"={target_cell[(r.partner, k)]}", MONEY_FORMAT)
                      if (r.partner, k) in target_cell else _money(int(r.target_pence)))
            grid.append([
                r.partner, _money(int(r.baseline_pence)), _money(int(r.option_pence)),
                Formula(f"=ROUND(B{n}*{VACANCY_CELL},2)", MONEY_FORMAT),
                Formula(f"=ROUND(C{n}*{VACANCY_CELL},2)", MONEY_FORMAT),
                Formula(f"=(B{n}-D{n})-(C{n}-E{n})", MONEY_FORMAT), lump,
                Formula(f"=F{n}-G{n}", MONEY_FORMAT), Formula(cumulative, MONEY_FORMAT),
                target, Formula(f"=J{n}-F{n}", MONEY_FORMAT)])
        first, last, total = 4, len(grid), len(grid) + 1
        grid.append(["Total", *[Formula(f"=SUM({c}{first}:{c}{last})", MONEY_FORMAT)
                                for c in "BCDEFGHIJK"]])
        sheets[name] = Grid(rows=grid, widths=[24, *[18] * 10], header_rows=[2],
                            bold_rows=[0, len(grid) - 1])
        summary_refs.append((label, name, total))
        previous = (name, where)

    summary: list[list[Any]] = [
        [f"Summary: {result.structure_name}"],
        [f"Break-even: {proj.break_even_on.strftime('%B %Y') if proj.break_even_on else 'not within the plan'}"],
        ["Year", "Baseline cost", "Option cost (phased)", "Recurring saving", "One-off costs",
         "Net saving", "Cumulative net saving", "Target", "Gap to target"]]
    for label, name, total in summary_refs:
        summary.append([label, *[Formula(f"='{name}'!{c}{total}", MONEY_FORMAT)
                                 for c in "BCFGHIJK"]])
    sheets["Summary"] = Grid(rows=summary, widths=[12, *[18] * 8], header_rows=[2],
                             bold_rows=[0])
    ordered = {"Summary": sheets.pop("Summary"), **sheets}
    return xlsx_bytes(ordered)
