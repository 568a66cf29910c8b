"""The one way the planner writes a spreadsheet (.xlsx or .csv), so that no download can carry
a live formula.

A text cell that a spreadsheet would read as a formula (starting with =, +, -, @, tab or
carriage return: OWASP "CSV injection") is prefixed with an apostrophe, and in a workbook
every text cell is also typed as a string, so Excel, LibreOffice and Sheets show it and never
run it. A title or option name such as `=HYPERLINK("http://…")` is shown as typed. The
establishment importer strips exactly that apostrophe again, so export → import is exact.

Every download and file the planner writes in these formats goes through `xlsx_bytes` or
`csv_bytes`; a test fails if any other module writes one (tests/core/test_spreadsheets.py).
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pandas as pd

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


def _is_blank(value: Any) -> bool:
    if value is None:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def xlsx_bytes(sheets: Mapping[str, Sheet | pd.DataFrame]) -> bytes:
    """A workbook with one sheet per entry: a bold header row frozen at the top, dates as
    dates, numbers as numbers, every text cell neutralised and typed as text."""
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

    for name, spec in sheets.items():
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
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
