"""One safe spreadsheet writer: no download or file the planner writes can carry a live
formula, and no module writes a spreadsheet any other way."""

from __future__ import annotations

import ast
import datetime as dt
import io
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook

from planner.core.spreadsheets import Sheet, csv_bytes, neutralise, xlsx_bytes
from planner.ui.compare import difference_xlsx

ROOT = Path(__file__).resolve().parents[2]
HOSTILE = ['=HYPERLINK("http://evil.example","click")', "+1+1", "-2+3", "@SUM(A1)",
           "\tcmd", "\r=1"]
# Calls that write a spreadsheet; only planner/core/spreadsheets.py may make them.
WRITERS = {"to_excel", "to_csv", "ExcelWriter", "Workbook", "writer", "DictWriter"}


@pytest.mark.parametrize("value", HOSTILE)
def test_every_text_cell_is_inert_in_a_workbook(value):
    """Catches: a text cell written as a formula (openpyxl treats text starting with = as one)."""
    frame = pd.DataFrame({"title": [value], "fte": [Decimal("0.5")], "n": [3],
                          "when": [dt.date(2027, 2, 1)], "blank": [None]})
    book = load_workbook(io.BytesIO(xlsx_bytes({"posts": Sheet(frame=frame, title=value)})))
    ws = book["posts"]
    cells = [c for row in ws.iter_rows() for c in row if c.value is not None]
    assert all(c.data_type != "f" for c in cells)
    assert ws["A1"].value == neutralise(value)  # the title line
    assert ws["A4"].value == neutralise(value) and ws["A4"].data_type == "s"
    assert ws["B4"].value == Decimal("0.5") or ws["B4"].value == 0.5
    assert ws["C4"].value == 3 and ws["D4"].value.date() == dt.date(2027, 2, 1)
    assert ws["E4"].value is None


@pytest.mark.parametrize("value", HOSTILE)
def test_csv_cells_are_inert(value):
    import csv

    text = csv_bytes(pd.DataFrame({"title": [value], "fte": ["-1"]}), keep=["fte"]).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert rows == [["title", "fte"], ["'" + value, "-1"]]  # a kept number column is unchanged
    assert text.endswith("\r\n")


def test_compare_difference_download_neutralises_titles_and_option_names():
    """Catches: the Compare page's difference download writing option names and titles
    beginning with = as live formulas (issue 10)."""
    table = pd.DataFrame({"post_id": ["ICT-001"], "change": ["retitled"],
                          "title_before": ["Officer"], "title_after": ['=HYPERLINK("x")'],
                          "cost_before": [100], "cost_after": [200], "cost_change": [100]})
    book = load_workbook(io.BytesIO(difference_xlsx(table, base="=cmd|' /C calc'!A0",
                                                    other="@Option 2")))
    cells = [c for row in book.active.iter_rows() for c in row if c.value is not None]
    assert cells and all(c.data_type != "f" for c in cells)
    assert book.active["A1"].value.startswith("'@Option 2 compared with =cmd")
    assert "'=HYPERLINK(\"x\")" in [c.value for c in cells]


def _writer_calls(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            f = node.func
            name = f.attr if isinstance(f, ast.Attribute) else getattr(f, "id", "")
            base = getattr(f.value, "id", "") if isinstance(f, ast.Attribute) else ""
            if name in {"to_excel", "to_csv", "ExcelWriter", "Workbook"} or \
                    (base == "csv" and name in {"writer", "DictWriter"}):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno} {name}")
    return found


def test_no_module_writes_a_spreadsheet_except_the_safe_writer():
    """Catches: a new download (mapping, response log, report) written with pandas or
    openpyxl directly, bypassing the neutralising writer."""
    sources = [*ROOT.glob("planner/**/*.py"), *ROOT.glob("pages/*.py"), ROOT / "app.py"]
    offenders = [call for p in sources if p.name != "spreadsheets.py"
                 for call in _writer_calls(p)]
    assert offenders == []


def test_every_spreadsheet_download_on_a_page_comes_from_the_safe_writer():
    """Every download button offering .xlsx or .csv gets its bytes from a function that
    calls planner.core.spreadsheets (directly or through exports); found by reading the pages."""
    import planner.establishment.exports
    import planner.establishment.organogram_export
    import planner.finance.plan_sheet
    import planner.people.mapping_sheet
    import planner.publishing.responses
    import planner.ui.compare
    import planner.ui.establishment

    safe_producers = {"export_xlsx", "export_csv_zip", "template_xlsx", "difference_xlsx",
                      "mapping_xlsx", "response_log_xlsx", "organogram_zip", "plan_xlsx",
                      "register_xlsx", "vacancies_xlsx"}
    for mod in (planner.establishment.exports, planner.establishment.organogram_export,
                planner.ui.compare, planner.people.mapping_sheet,
                planner.publishing.responses, planner.finance.plan_sheet,
                planner.ui.establishment):
        text = Path(mod.__file__).read_text(encoding="utf-8")
        assert "xlsx_bytes(" in text or "csv_bytes(" in text
    downloads = []
    for page in ROOT.glob("pages/*.py"):
        source = page.read_text(encoding="utf-8")
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "download_button":
                segment = ast.get_source_segment(source, node) or ""
                if any(s in segment for s in (".xlsx", ".csv", ".zip", "spreadsheet", "csv")):
                    downloads.append((page.name, segment))
    assert downloads, "no spreadsheet downloads found: the search is broken"
    for page, segment in downloads:
        assert any(p in segment for p in safe_producers) or "download_data" in segment, \
            f"{page}: a spreadsheet download not from the safe writer:\n{segment}"


def test_a_grid_writes_the_planners_own_formulas_live_and_typed_text_inert():
    """Catches: a Grid cell of text that a spreadsheet would run (a partner named
    "=HYPERLINK(...)"), or a Formula the planner built written as text."""
    import openpyxl

    from planner.core.spreadsheets import Cell, Formula, Grid

    data = xlsx_bytes({"Plan": Grid(rows=[["=HYPERLINK(\"http://x\")", Cell(12.5, "#,##0.00")],
                                          ["Total", Formula("=SUM(B1:B1)", "#,##0.00")]])})
    ws = openpyxl.load_workbook(io.BytesIO(data))["Plan"]
    assert ws["A1"].value == "'=HYPERLINK(\"http://x\")" and ws["A1"].data_type == "s"
    assert ws["B1"].number_format == "#,##0.00"
    assert ws["B2"].value == "=SUM(B1:B1)" and ws["B2"].data_type == "f"
    with pytest.raises(ValueError):
        Formula("SUM(B1:B1)")
