"""What a director notices: every page, for every role it allows, with the demo loaded, shows
no "None", NaN or <NA>, and no table shows the database's internal ids (issue 17, item 7)."""

from __future__ import annotations

import datetime as dt
import json
import re

import pandas as pd
import pytest

from tests.app.conftest import app_as
from tests.app.test_navigation import OFFERED

# Words a person should never read: what Python or pandas writes for "nothing here" (but
# "None envisaged." is English, so a "None" followed by a word is let through).
BLANK_WORDS = re.compile(r"(?<![\w-])(None|nan|NaN|NaT|<NA>)(?![\w-]| [a-z])")
# Column names that may be database keys: shown with whole numbers, they are meaningless to
# a reader (a council's own references, "ICT-020", "E0001", are text and are fine).
ID_COLUMN = re.compile(r"^(id|.*_id)$")
# A date written for a machine (2027-02-01) or day-first with slashes (01/02/2027): a person
# reads "1 Feb 2027".
MACHINE_DATE = re.compile(r"\b(\d{4}-\d{2}-\d{2}|\d{2}/\d{2}/\d{4})\b")
LONG_DATE_FORMAT = "D MMM YYYY"


def _is_missing(value) -> bool:
    return (value is None or value is pd.NA or value is pd.NaT
            or (isinstance(value, float) and value != value))


def _cell_problems(frame: pd.DataFrame, where: str, placeholder: str | None = None
                   ) -> list[str]:
    """`placeholder` is what the table draws for a missing cell; without one, Streamlit
    draws "None"."""
    problems = []
    for column in frame.columns:
        name = str(column)
        values = [v for v in frame[column] if not _is_missing(v)]
        if ID_COLUMN.match(name) and values and all(
                isinstance(v, int) or (isinstance(v, str) and v.isdigit()) or
                (hasattr(v, "is_integer") and v.is_integer()) for v in values):
            problems.append(f"{where}: internal id column {name!r}")
        for value in frame[column]:
            if isinstance(value, str) and MACHINE_DATE.search(value):
                problems.append(f"{where}: {value[:80]!r} in column {name!r} is not a long date")
                break
            if _is_missing(value) and (placeholder is None or BLANK_WORDS.search(placeholder)):
                problems.append(f"{where}: a missing value in column {name!r} reads "
                                f"{placeholder or 'None'!r}")
                break
            if isinstance(value, str) and BLANK_WORDS.search(value):
                problems.append(f"{where}: {value!r} in column {name!r}")
                break
    return problems


def _shown(df) -> pd.DataFrame:
    """The columns a person sees: the table's column order, less the hidden ones."""
    frame = df.value
    config = json.loads(df.proto.columns or "{}")
    hidden = {k for k, v in config.items() if isinstance(v, dict) and v.get("hidden")}
    order = list(df.proto.column_order) or list(frame.columns)
    return frame[[c for c in order if c in frame.columns and str(c) not in hidden]]


def _date_format_problems(df, where: str) -> list[str]:
    """A date or time column must be drawn "1 Feb 2027" (a DateColumn's format), never in
    Streamlit's default ISO."""
    frame = _shown(df)
    config = json.loads(df.proto.columns or "{}")
    problems = []
    for column in frame.columns:
        values = [v for v in frame[column] if not _is_missing(v)]
        is_date = (pd.api.types.is_datetime64_any_dtype(frame[column])
                   or (values and all(isinstance(v, dt.date) for v in values)))
        if not is_date:
            continue
        fmt = (config.get(str(column), {}).get("type_config") or {}).get("format", "")
        if not str(fmt).startswith(LONG_DATE_FORMAT):
            problems.append(f"{where}: dates in column {column!r} drawn as {fmt or 'ISO'!r}")
    return problems


def page_problems(at) -> list[str]:
    """Everything on a page run a director would notice: blank words, internal ids and
    machine dates."""
    problems: list[str] = []
    for i, df in enumerate(at.dataframe):
        problems += _date_format_problems(df, f"table {df.key or i}")
        problems += _cell_problems(_shown(df), f"table {df.key or i}",
                                   df.proto.placeholder if df.proto.HasField("placeholder")
                                   else None)
    for kind in ("markdown", "caption", "info", "warning", "error", "success", "title",
                 "header", "subheader"):
        for element in getattr(at, kind):
            text = str(element.value)
            if BLANK_WORDS.search(text) or MACHINE_DATE.search(text):
                problems.append(f"{kind}: {text[:200]!r}")
    for metric in at.metric:
        for text in (metric.label, metric.value, metric.delta):
            if text is not None and (BLANK_WORDS.search(str(text))
                                     or MACHINE_DATE.search(str(text))):
                problems.append(f"metric {metric.label!r}: {text!r}")
    return problems


@pytest.mark.parametrize(("role", "page"),
                         [(r, p) for r, pages in OFFERED.items() for p in pages])
def test_no_blank_words_or_internal_ids_on_any_page(demo_app_db, role, page):
    """Catches: a None, NaN or <NA> left in a display frame, message or metric, or a table
    that shows a database id (id, partner_id, structure_id, person_id)."""
    at = app_as(demo_app_db.actors[role], page)
    assert not at.exception, at.exception
    problems = page_problems(at)
    assert not problems, "\n".join(problems)


def test_the_scan_finds_what_it_looks_for():
    """Catches: a scan that can never fail (the regexes or the cell checks broken)."""
    frame = pd.DataFrame({"structure_id": [1], "title": ["None"], "fte": [float("nan")],
                          "post_id": ["ICT-001"], "employee_id": ["E0001"]})
    problems = _cell_problems(frame, "t")
    assert problems == ["t: internal id column 'structure_id'", "t: 'None' in column 'title'",
                        "t: a missing value in column 'fte' reads 'None'"]
    assert _cell_problems(frame[["fte"]], "t", placeholder="—") == []
    assert _cell_problems(frame[["fte"]], "t", placeholder="NaN") != []
    assert not BLANK_WORDS.search("Nonetheless, None envisaged, a non-None-like word")
    assert BLANK_WORDS.search("None.") and BLANK_WORDS.search("cost: <NA>")
    dates = pd.DataFrame({"when": ["First dismissal on 2027-01-05"]})
    assert _cell_problems(dates, "t") == [
        "t: 'First dismissal on 2027-01-05' in column 'when' is not a long date"]


def test_posts_without_an_employee_read_the_same_on_establishment_and_compare(demo_app_db):
    """Catches: "Vacancies 30" on one page beside "Vacant 7" on another, or the two pages
    counting differently."""
    est = app_as(demo_app_db.actors["hr"], "pages/establishment.py")
    cmp = app_as(demo_app_db.actors["hr"], "pages/compare.py")
    sentence = re.compile(r"\d[\d,]* posts? without an employee: \d[\d,]* covered by interim, "
                          r"\d[\d,]* vacant\.")
    said = [sentence.search(str(c.value)) for c in [*est.caption, *cmp.caption]]
    found = {m.group(0) for m in said if m}
    assert len(found) == 1, found
    for at in (est, cmp):
        labels = {m.label: m.value for m in at.metric}
        assert "Vacancies" not in labels
        total = labels["Without an employee"]
        assert next(iter(found)).startswith(f"{total} post")
