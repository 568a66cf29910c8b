"""A CSV's rows kept in one step (`_take_whole`) against keeping them row by row: the same
table, the same errors, whatever the file holds (issue 16)."""

from __future__ import annotations

import csv
import io

import pandas as pd
import pytest

from planner.core.config import Settings
from planner.establishment import readers
from planner.establishment.readers import _read_csv, _Sheet

HEADER = "post_id,title,division,team,reports_to,grade,fte,partner,funding,notes"
ROW = "P{i},Officer {i},Digital,Web,{m},SO1,1,shared,base,"


def row_by_row(sheet: str, data: bytes, settings: Settings) -> tuple[object, list]:
    """The reader as it was: every record through `_Sheet.add`."""
    text, encoding = readers.decode_text(data)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    out = _Sheet(sheet, settings.max_import_rows, encoding)
    for r, record in enumerate(csv.reader(io.StringIO(text, newline=""), strict=True), start=1):
        if out.header is None:
            out.set_header(record)
        else:
            out.add(r, record)
    return out.frame()


def lines(n: int) -> list[str]:
    return [HEADER, *(ROW.format(i=i, m=f"P{i - 1}" if i else "") for i in range(n))]


CASES = {
    "clean": lines(50),
    "header only": lines(0),
    "blank rows": [*lines(5), "", ",,,,,,,,,", " , ,", *lines(3)[1:]],
    "short and wide rows": [*lines(4), "P9,Short", "P10,W,d,t,,SO1,1,shared,base,,extra"],
    "trailing blank headings": [HEADER + ",,", *lines(3)[1:]],
    "quoted newlines": [*lines(2), '"P7","Two\nlines",d,t,,SO1,1,shared,base,'],
    "over-long cell": [*lines(2), "P8," + "x" * 40_000 + ",d,t,,SO1,1,shared,base,"],
    "whitespace cells": [*lines(2), "  ,\t, , , , , , , , "],
    "too many rows": lines(30),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_whole_sheet_is_what_row_by_row_gives(name):
    settings = Settings(max_import_rows=20)
    data = "\n".join(CASES[name]).encode("utf-8")
    got_frame, got_errors = _read_csv("posts", data, settings)
    want_frame, want_errors = row_by_row("posts", data, settings)
    assert got_errors == want_errors
    if want_frame is None:
        assert got_frame is None
    else:
        pd.testing.assert_frame_equal(got_frame, want_frame)


def test_the_whole_sheet_is_taken_in_one_step_when_it_can_be(monkeypatch):
    calls = []
    monkeypatch.setattr(_Sheet, "add", lambda self, r, row: calls.append(r))
    frame, errors = _read_csv("posts", "\n".join(lines(100)).encode(), Settings())
    assert errors == [] and len(frame) == 100 and calls == []
