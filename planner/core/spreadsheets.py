"""The one way the planner writes a spreadsheet (.xlsx or .csv), so that no download can carry
a live formula.

A text cell that a spreadsheet would read as a formula (starting with =, +, -, @, tab or
carriage return: OWASP "CSV injection") is prefixed with an apostrophe, and in a workbook
every text cell is also typed as a string, so Excel, LibreOffice and Sheets show it and never
run it. A title or option name such as `=HYPERLINK("http://…")` is shown as typed. The
establishment importer strips exactly that apostrophe again, so export → import is exact.

Every download and file the planner writes in these formats goes through `xlsx_bytes` or
`csv_bytes`; a test fails if any other module writes one (tests/core/test_spreadsheets.py).

The one live formula a workbook may carry is a `Formula` the planner's own code built (the
financial plan's totals over its assumption cells, issue 15): a type no cell read from a user
or the database can have, so typed text is still shown as typed. A `Grid` lays a sheet out
cell by cell (blocks of assumptions, a totals row) where a frame would not do.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pandas as pd

from planner.core.progress import Progress, report

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
HEADER_COLOUR = "1F5F5B"


def neutralise(value: str) -> str:
    """Make one text cell inert in Excel, LibreOffice and Sheets."""
    return "'" + value if value.startswith(FORMULA_PREFIXES) else value


def neutralise_frame(frame: pd.DataFrame, *, keep: Sequence[str] = ()) -> pd.DataFrame:
    """Every text cell of `frame` neutralised, except in the columns named in `keep` (numbers
    and dates held as text, which a leading minus sign must not change)."""
    out = frame.copy()
    for col in out.columns:
        if col in keep:
            continue
        s = out[col]
        text = s.map(lambda v: isinstance(v, str))
        if text.any():
            out[col] = s.where(~text, s.map(lambda v: neutralise(v) if isinstance(v, str) else v))
    return out


def csv_bytes(frame: pd.DataFrame, *, keep: Sequence[str] = ()) -> bytes:
    """UTF-8 with a BOM (what makes Excel open accented names correctly), CRLF line ends."""
    return (neutralise_frame(frame, keep=keep)
            .to_csv(index=False, lineterminator="\r\n").encode("utf-8-sig"))


@dataclass(frozen=True)
class Sheet:
    """One worksheet: the frame, an optional title line above it, column widths, and how to
    turn a cell into the value written (`typed(column, value)`, e.g. "12.5" → Decimal)."""

    frame: pd.DataFrame
    title: str | None = None
    widths: Mapping[str, int] = field(default_factory=dict)
    typed: Callable[[str, Any], Any] | None = None
    keep: Sequence[str] = ()  # text columns left as they are (numbers and dates as text)


@dataclass(frozen=True)
class Formula:
    """A formula written by the planner's code from cell references it chose (never from
    text a person typed), e.g. `=SUM(B4:B7)`; written live, shown with `number_format`."""

    text: str
    number_format: str | None = None

    def __post_init__(self) -> None:
        if not self.text.startswith("="):
            raise ValueError("A formula starts with '='.")


@dataclass(frozen=True)
class Cell:
    """A number or date with the number format it is shown in (e.g. '#,##0.00', '0.00%')."""

    value: Any
    number_format: str


@dataclass(frozen=True)
class Grid:
    """A sheet laid out row by row: each cell a value, `Cell`, `Formula` or None. Rows named
    in `header_rows` (0-based) are shown as header rows, `bold_rows` in bold."""

    rows: Sequence[Sequence[Any]]
    widths: Sequence[int] = ()
    header_rows: Sequence[int] = ()
    bold_rows: Sequence[int] = ()


def _is_blank(value: Any) -> bool:
    if value is None:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def xlsx_bytes(sheets: Mapping[str, Sheet | Grid | pd.DataFrame],
               progress: Progress | None = None) -> bytes:
    """A workbook with one sheet per entry: a bold header row frozen at the top, dates as
    dates, numbers as numbers, every text cell neutralised and typed as text. `progress`
    hears each sheet as it is written and the save (planner.core.progress)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter

    wb = Workbook(write_only=True)
    bold = Font(bold=True, color="FFFFFF")
    fill = PatternFill("solid", fgColor=HEADER_COLOUR)

    def text_cell(ws: Any, value: str, *, font: Any = None, fill_: Any = None,
                  inert: bool = True) -> Any:
        cell = WriteOnlyCell(ws, value=neutralise(value) if inert else value)
        cell.data_type = "s"  # never read back as a formula, whatever the text
        if font is not None:
            cell.font = font
        if fill_ is not None:
            cell.fill = fill_
        return cell

    def grid_cell(ws: Any, value: Any, *, header: bool, strong: bool) -> Any:
        if _is_blank(value):
            return None
        if isinstance(value, str):
            return text_cell(ws, value, font=bold if header else Font(bold=True) if strong
                             else None, fill_=fill if header else None)
        if isinstance(value, Formula):
            cell = WriteOnlyCell(ws, value=value.text)
            cell.data_type = "f"
            fmt = value.number_format
        elif isinstance(value, Cell):
            cell, fmt = WriteOnlyCell(ws, value=value.value), value.number_format
        elif isinstance(value, dt.datetime | dt.date):
            cell, fmt = WriteOnlyCell(ws, value=value), "d mmm yyyy"
        elif isinstance(value, bool | int | float | Decimal):
            cell, fmt = WriteOnlyCell(ws, value=value), None
        else:
            return text_cell(ws, str(value))
        if fmt:
            cell.number_format = fmt
        if strong:
            cell.font = Font(bold=True)
        return cell

    for i, (name, spec) in enumerate(sheets.items()):
        report(progress, i / (len(sheets) + 1), f"Writing the {name} sheet…")
        if isinstance(spec, Grid):
            ws = wb.create_sheet(neutralise(str(name))[:31])
            for i, width in enumerate(spec.widths, start=1):
                ws.column_dimensions[get_column_letter(i)].width = width
            for r, values in enumerate(spec.rows):
                ws.append([grid_cell(ws, v, header=r in spec.header_rows,
                                     strong=r in spec.bold_rows) for v in values])
            continue
        sheet = spec if isinstance(spec, Sheet) else Sheet(frame=spec)
        ws = wb.create_sheet(neutralise(str(name))[:31])
        cols = [str(c) for c in sheet.frame.columns]
        for i, col in enumerate(cols, start=1):
            ws.column_dimensions[get_column_letter(i)].width = sheet.widths.get(
                col, max(12, min(40, len(col) + 4)))
        ws.freeze_panes = "A4" if sheet.title else "A2"  # below the header row
        if sheet.title:
            ws.append([text_cell(ws, sheet.title, font=Font(bold=True))])
            ws.append([])
        ws.append([text_cell(ws, c, font=bold, fill_=fill) for c in cols])
        for values in sheet.frame.itertuples(index=False, name=None):
            row: list[Any] = []
            for col, value in zip(cols, values, strict=True):
                if sheet.typed is not None:
                    value = sheet.typed(col, value)
                if _is_blank(value) or (isinstance(value, str) and value == "" and
                                        sheet.typed is not None):
                    row.append(None)
                elif isinstance(value, str):
                    row.append(text_cell(ws, value, inert=col not in sheet.keep))
                elif isinstance(value, dt.datetime | dt.date):
                    cell = WriteOnlyCell(ws, value=value)
                    cell.number_format = "d mmm yyyy"
                    row.append(cell)
                elif isinstance(value, bool | int | float | Decimal):
                    row.append(value)
                else:  # anything else is shown as its text, inert
                    row.append(text_cell(ws, str(value)))
            ws.append(row)
    report(progress, len(sheets) / (len(sheets) + 1), "Saving the workbook…")
    buf = io.BytesIO()
    wb.save(buf)
    report(progress, 1.0, "Workbook written.")
    return buf.getvalue()
