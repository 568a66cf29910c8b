"""Import of a published open-data organogram (issue 14): the government's pair of CSV files,
senior posts one row each and junior staff as FTE counts under their senior post, read into
the establishment through the same checks and the same all-or-nothing write as the
interchange import (planner.establishment.importer).

How the pair becomes an establishment (README "Load your own published organogram"):
- a senior row is a post (its `Post Unique Reference` is the post_id) reporting to its
  `Reports to Senior Post`; `XX` (any case), a blank or the post's own reference marks a top
  post, and several top posts are allowed. Two rows with one reference are a job share: one
  post whose FTE is their sum, each row its own person.
- `Name`: a name is a person in the post, `N/D` (or a blank) a person not disclosed (named
  "N/D", no name invented), `Vacant` a vacancy, `Eliminated` a post that no longer exists:
  it is not created, and what reported to it reports to its manager.
- reference `0` (people paid but not in a post) is not a post: its rows are counted in the
  summary and left out.
- a junior row becomes one post per whole FTE plus one for the remainder (3.5 FTE: three
  1.0 posts and a 0.5), titled and graded as the row, under its senior post, so the FTE
  total is kept exactly. A junior row whose senior post is not in the senior file (or is `0`)
  is imported without a manager, and listed.
- a grade the grade table does not know becomes a salary-band grade of this structure
  (planner.core.models.Grade), its band the lowest and highest pay the pair publishes for it
  (pay floor and ceiling, payscale minimum and maximum), costed at `Settings.band_cost_point`.
- Windows-1252 text, a `Grade` heading for `Grade (or equivalent)`, a leading index column,
  extra columns and blank numbers are each read, and said in the summary.

Rows are numbered as a spreadsheet shows them (the header is row 1); every problem is a
RowError naming the file, row and column as the file heads it. Reading the bytes, checking
against the establishment's rules and writing: planner.establishment.organogram_import.

Length: the mapping is one pass over each file whose steps share the posts found so far
(job shares, eliminated posts, managers resolved, grades and their bands), and each step's
assumption sentence sits beside it; split, the steps would pass a dozen lists between them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

import pandas as pd

from planner.core.config import Settings, get_settings
from planner.core.errors import RowError
from planner.core.models import Grade
from planner.core.spreadsheets import FORMULA_PREFIXES
from planner.core.values import decimal_text
from planner.establishment.readers import PEOPLE_COLUMNS, POST_COLUMNS, RawSheet, Tables
from planner.establishment.reference import GradeBand

# Each column by what the code calls it, with the headings real files use for it (compared
# lower-case, spaces collapsed, "(£)" and "£" dropped: see `heading_key`).
SENIOR_HEADINGS: dict[str, tuple[str, ...]] = {
    "ref": ("post unique reference",),
    "name": ("name",),
    "grade": ("grade (or equivalent)", "grade"),
    "title": ("job title",),
    "function": ("job/team function",),
    "department": ("parent department",),
    "organisation": ("organisation",),
    "unit": ("unit",),
    "phone": ("contact phone",),
    "email": ("contact e-mail", "contact email"),
    "reports_to": ("reports to senior post",),
    "reports_cost": ("salary cost of reports",),
    "fte": ("fte",),
    "floor": ("actual pay floor",),
    "ceiling": ("actual pay ceiling",),
    "total_pay": ("total pay",),  # later files head the unheaded total-pay column
    "profession": ("professional/occupational group",),
    "notes": ("notes",),
    "valid": ("valid?",),
}
SENIOR_REQUIRED = ("ref", "name", "grade", "title", "reports_to")
JUNIOR_HEADINGS: dict[str, tuple[str, ...]] = {
    "department": ("parent department",),
    "organisation": ("organisation",),
    "unit": ("unit",),
    "reports_to": ("reporting senior post",),
    "grade": ("grade", "grade (or equivalent)"),
    "pay_min": ("payscale minimum",),
    "pay_max": ("payscale maximum",),
    "title": ("generic job title",),
    "fte": ("number of posts in fte",),
    "profession": ("professional/occupational group",),
}
JUNIOR_REQUIRED = ("reports_to", "grade", "title", "fte")

# The published spellings (the export writes these).
SENIOR_HEADERS = ("Post Unique Reference", "Name", "Grade (or equivalent)", "Job Title",
                  "Job/Team Function", "Parent Department", "Organisation", "Unit",
                  "Contact Phone", "Contact E-mail", "Reports to Senior Post",
                  "Salary Cost of Reports (£)", "FTE", "Actual Pay Floor (£)",
                  "Actual Pay Ceiling (£)", "", "Professional/Occupational Group", "Notes",
                  "Valid?")
JUNIOR_HEADERS = ("Parent Department", "Organisation", "Unit", "Reporting Senior Post", "Grade",
                  "Payscale Minimum (£)", "Payscale Maximum (£)", "Generic Job Title",
                  "Number of Posts in FTE", "Professional/Occupational Group")

TOP = "xx"  # what the most senior post reports to (any case)
VACANT, ELIMINATED, UNDISCLOSED = "vacant", "eliminated", "N/D"
# N/A is what the data.gov.uk template allows for someone paid nothing: no name either way.
_UNDISCLOSED = {"n/d", "nd", "n.d.", "not disclosed", "n/a", ""}
_NOT_A_NUMBER = {"n/d", "nd", "n/a", "na", "-", "not applicable", "not disclosed", "null"}
GRADE_FAMILY = "organogram"
BAND_SORT_BASE = 1000  # band grades sort after the shared list, by band


def heading_key(text: str) -> str:
    """A heading as compared: lower case, no £ (however it was decoded), spaces collapsed."""
    t = str(text).replace("Â£", "£").replace("\ufeff", "").lower()
    t = re.sub(r"\(\s*£?\s*\)", "", t.replace("£", ""))
    return re.sub(r"\s+", " ", t).strip()


def _heading_of(headings: Mapping[str, tuple[str, ...]]) -> dict[str, str]:
    return {alias: key for key, aliases in headings.items() for alias in aliases}


def _label(header: str, i: int) -> str:
    return header.strip() or f"column {i + 1} (no heading)"


@dataclass
class _Named:
    """A raw sheet's columns by name, and the heading each came from (for messages)."""

    file: str
    columns: dict[str, list[str]]
    headings: dict[str, str]
    rows: list[int]
    ignored: list[str]
    index_column: bool

    def col(self, key: str) -> list[str]:
        return self.columns.get(key) or [""] * len(self.rows)

    def heading(self, key: str, headings: Mapping[str, tuple[str, ...]]) -> str:
        """The column as this file heads it, else as the format publishes it."""
        return self.headings.get(key) or _published(headings, key)


def _name_columns(raw: RawSheet, file: str, headings: Mapping[str, tuple[str, ...]],
                  required: Sequence[str],
                  blank_known_after: str | None = None) -> tuple[_Named | None, list[RowError]]:
    """Match the file's headings to the format's; extra columns (and a leading index column
    a spreadsheet tool added) are ignored and said, a missing required one is an error."""
    lookup = _heading_of(headings)
    columns: dict[str, list[str]] = {}
    names: dict[str, str] = {}
    ignored: list[str] = []
    errors: list[RowError] = []
    index_column = False
    previous = ""
    for i, header in enumerate(raw.header):
        key = lookup.get(heading_key(header))
        values = raw.frame[i].tolist()
        if key is None:
            if not header.strip() and previous == blank_known_after:
                pass  # the senior file's unheaded total-pay column: part of the format
            elif i == 0 and heading_key(header) in ("", "unnamed: 0", "index", "#") and all(
                    v.strip().isdigit() for v in values if v.strip()):
                index_column = True
            elif header.strip() or any(v.strip() for v in values):
                ignored.append(_label(header, i))
            previous = key or ""
            continue
        previous = key
        if key in columns:
            errors.append(RowError(file, 1, header.strip(), (
                f"The column {header.strip()!r} appears twice (as {names[key]!r} too).")))
            continue
        columns[key] = [_unquote(v.strip()) for v in values]
        names[key] = header.strip()
    for key in required:
        if key not in columns:
            errors.append(RowError(file, 1, _published(headings, key), (
                f"The required column {_published(headings, key)!r} is missing.")))
    if errors:
        return None, errors
    return _Named(file, columns, names, raw.frame["_row"].tolist(), ignored, index_column), []


def _published(headings: Mapping[str, tuple[str, ...]], key: str) -> str:
    published = SENIOR_HEADERS if headings is SENIOR_HEADINGS else JUNIOR_HEADERS
    return next((h for h in published if heading_key(h) == headings[key][0]), key)


def _unquote(value: str) -> str:
    """Strip the apostrophe a safe export puts before a formula-like cell (as the
    establishment reader does), so the organogram export round-trips."""
    if value.startswith("'") and value[1:2] in FORMULA_PREFIXES:
        return value[1:]
    return value


# --- numbers ---------------------------------------------------------------------------------


def parse_pounds(text: str) -> tuple[int | None, str | None]:
    """Published pay in pence: (pence, None); blank, N/D or 0: (None, None), since published
    files put 0 in the floor and ceiling of a holder whose pay is not disclosed; else an
    error."""
    t = text.replace("£", "").replace(",", "").replace("Â", "").strip()
    if t.lower() in _NOT_A_NUMBER or not t:
        return None, None
    try:
        d = Decimal(t)
    except InvalidOperation:
        return None, f"{text!r} is not an amount in pounds (or blank, or N/D)."
    if not d.is_finite() or d < 0:
        return None, f"{text!r} is not an amount in pounds."
    pence = int((d * 100).to_integral_value())
    if pence == 0:
        return None, None
    if pence > 2**31 - 1:
        return None, f"£{text} is more than the register can hold; check the amount."
    return pence, None


def parse_fte(text: str) -> tuple[Decimal | None, str | None]:
    """An FTE: (value, None); blank: (None, None); else an error (at most four decimals,
    the register's precision; the format publishes two)."""
    t = text.strip()
    if not t or t.lower() in _NOT_A_NUMBER:
        return None, None
    try:
        d = Decimal(t)
    except InvalidOperation:
        return None, f"FTE {text!r} is not a number."
    if not d.is_finite() or d < 0:
        return None, f"FTE {text!r} must be 0 or more."
    if d != d.quantize(Decimal("0.0001")):
        return None, f"FTE {text!r} has more than four decimal places."
    return d, None


# --- the mapping -----------------------------------------------------------------------------


@dataclass
class Mapped:
    """The pair as the establishment's sheets, the grades to add, and what was assumed."""

    tables: Tables
    origin: dict[str, list[tuple[str, int]]]  # sheet -> per row of the table: (file, row)
    headings: dict[str, dict[str, str]]  # sheet column -> file heading, per file
    new_grades: list[GradeBand]
    changed_grades: list[GradeBand]
    senior_refs: list[str]
    junior_refs: list[str]
    figures: dict[str, Any]
    assumptions: list[str]
    errors: list[RowError] = field(default_factory=list)


def _plural(n: int, one: str, many: str | None = None) -> str:
    return f"{n:,} {one if n == 1 else (many or one + 's')}"


def _some(items: Sequence[Any], limit: int = 8) -> str:
    shown = ", ".join(str(i) for i in items[:limit])
    return shown + (f" and {len(items) - limit:,} more" if len(items) > limit else "")


def _rows(rows: Sequence[int]) -> str:
    return ("row " if len(rows) == 1 else "rows ") + _some(list(rows))


def _pounds_text(pence: int | None) -> str:
    return "not published" if pence is None else f"£{pence // 100:,}"


def map_organogram(senior: RawSheet, junior: RawSheet, *, senior_file: str, junior_file: str,
                   grades: Mapping[str, GradeBand], settings: Settings | None = None) -> Mapped:
    """The pair as posts and people sheets (interchange columns), with the salary-band
    grades it needs and every assumption made. Pure: no database."""
    settings = settings or get_settings()
    errors: list[RowError] = []
    s, errs = _name_columns(senior, senior_file, SENIOR_HEADINGS, SENIOR_REQUIRED,
                            blank_known_after="ceiling")
    errors += errs
    j, errs = _name_columns(junior, junior_file, JUNIOR_HEADINGS, JUNIOR_REQUIRED)
    errors += errs
    empty = Mapped(Tables(), {}, {}, [], [], [], [], {}, [], errors)
    if s is None or j is None:
        return empty
    notes: list[str] = []
    for named in (s, j):
        if named.index_column:
            notes.append(f"{named.file}: the first column, unheaded and numbered 0, 1, 2, … "
                         "(an index a spreadsheet tool added), was ignored.")
        if named.ignored:
            notes.append(f"{named.file}: {_plural(len(named.ignored), 'column')} the format "
                         f"does not have ignored ({_some(named.ignored)}).")
    if s.headings.get("grade", "").strip().lower() == "grade":
        notes.append(f"{senior_file}: the heading 'Grade' read as 'Grade (or equivalent)'.")
    for named, raw in ((s, senior), (j, junior)):
        if raw.encoding == "Windows-1252 text":
            notes.append(f"{named.file} was read as Windows-1252 text (Excel's plain CSV), not "
                         "UTF-8.")

    def err(named: _Named, row: int, key: str, message: str,
            headings: Mapping[str, tuple[str, ...]]) -> None:
        errors.append(RowError(named.file, row, named.heading(key, headings), message))

    known = {g.lower(): g for g in grades}
    pay_seen: dict[str, list[int]] = {}

    def grade_name(named: _Named, row: int, raw: str,
                   headings: Mapping[str, tuple[str, ...]]) -> str:
        g = raw.strip()
        if not g:
            err(named, row, "grade", "A grade is required.", headings)
            return ""
        if len(g) > Grade.__table__.c.name.type.length:
            err(named, row, "grade", (
                f"Grade {g!r} is {len(g)} characters; a grade name here is at most "
                f"{Grade.__table__.c.name.type.length}. Shorten it in the file."), headings)
            return ""
        return known.get(g.lower(), g)

    clipped: list[str] = []

    def fit(value: str, limit: int, where: str) -> str:
        """Text cut to what the register holds (titles, units 200; functions 2,000), said."""
        value = value.strip()
        if len(value) <= limit:
            return value
        clipped.append(where)
        return value[:limit - 1].rstrip() + "…"

    text_limit = min(settings.max_text_length, 200)
    notes_limit = min(settings.max_notes_length, 2000)

    def note_pay(grade: str, *values: int | None) -> None:
        pay_seen.setdefault(grade, []).extend(v for v in values if v is not None)

    # --- senior rows
    S = SENIOR_HEADINGS
    refs, names, grade_col = s.col("ref"), s.col("name"), s.col("grade")
    titles, functions, units = s.col("title"), s.col("function"), s.col("unit")
    orgs, reports, ftes = s.col("organisation"), s.col("reports_to"), s.col("fte")
    floors, ceilings = s.col("floor"), s.col("ceiling")
    zero_rows: list[int] = []
    zero_fte = Decimal(0)
    posts: dict[str, dict[str, Any]] = {}  # ref -> the post, in file order
    eliminated: dict[str, str] = {}  # ref -> what it reported to
    people: list[dict[str, Any]] = []
    blank_fte_rows: list[int] = []
    blank_title_rows: list[int] = []
    no_pay_rows: list[int] = []
    senior_fte_file = Decimal(0)
    counts = {"named": 0, "undisclosed": 0, "vacant_rows": 0, "eliminated": 0, "job_shares": 0}
    for i, row in enumerate(s.rows):
        ref = refs[i].strip()
        if not ref:
            err(s, row, "ref", "A post unique reference is required.", S)
            continue
        fte, problem = parse_fte(ftes[i])
        if problem:
            err(s, row, "fte", problem, S)
            continue
        if fte is not None:
            senior_fte_file += fte
        if ref == "0":
            zero_rows.append(row)
            zero_fte += fte or Decimal(0)
            continue
        who = names[i].strip()
        kind = who.lower()
        floor, p1 = parse_pounds(floors[i])
        ceiling, p2 = parse_pounds(ceilings[i])
        for key, problem in (("floor", p1), ("ceiling", p2)):
            if problem:
                err(s, row, key, problem, S)
        if floor is not None and ceiling is not None and floor > ceiling:
            err(s, row, "ceiling", (
                f"The pay ceiling {_pounds_text(ceiling)} is below the floor "
                f"{_pounds_text(floor)}."), S)
        if kind == ELIMINATED:
            counts["eliminated"] += 1
            eliminated.setdefault(ref, reports[i].strip())
            continue
        grade = grade_name(s, row, grade_col[i], S)
        if floor is None and ceiling is None:
            no_pay_rows.append(row)
        note_pay(grade, floor, ceiling)
        if fte is None or fte == 0:
            blank_fte_rows.append(row)
            fte = Decimal(1)
        title = titles[i].strip()
        if not title:
            blank_title_rows.append(row)
            title = f"Post {ref}"
        post = posts.get(ref)
        if post is None:
            post = posts[ref] = {
                "post_id": ref, "title": fit(title, text_limit, f"{s.file} row {row}"),
                "division": fit(orgs[i], text_limit, f"{s.file} row {row}"),
                "team": fit(units[i], text_limit, f"{s.file} row {row}"),
                "reports_raw": reports[i].strip(), "grade": grade, "fte": Decimal(0),
                "notes": fit(functions[i], notes_limit, f"{s.file} row {row}"),
                "_file": s.file, "_row": row, "holders": 0}
        else:
            counts["job_shares"] += 1
            if post["grade"] != grade or post["reports_raw"].lower() != reports[i].strip().lower():
                err(s, row, "ref", (
                    f"Post {ref} is also on row {post['_row']} with another grade or manager: "
                    "rows of one post (a job share) must agree."), S)
        post["fte"] += fte
        if kind == VACANT:
            counts["vacant_rows"] += 1
            continue
        post["holders"] += 1
        undisclosed = kind in _UNDISCLOSED
        counts["undisclosed" if undisclosed else "named"] += 1
        people.append({
            "employee_id": f"ORG-{ref}" + (f"-{post['holders']}" if post["holders"] > 1 else ""),
            "name": UNDISCLOSED if undisclosed else who, "post_id": ref,
            "contract": "permanent", "fte": decimal_text(fte), "_file": s.file, "_row": row})

    def resolve(raw: str, own: str) -> tuple[str, str]:
        """(manager post_id or "" for a top post, why): follows eliminated posts upward."""
        seen: set[str] = set()
        target = raw.strip()
        via = ""
        while True:
            if not target or target.lower() == TOP or target == own:
                return "", via or ("top" if target else "blank")
            if target in posts:
                return target, via
            if target in eliminated and target not in seen:
                seen.add(target)
                via = "eliminated"
                target = eliminated[target]
                continue
            return "", "missing"

    tops: list[str] = []
    blank_manager: list[int] = []
    missing_manager: list[tuple[int, str]] = []
    via_eliminated = 0
    for ref, post in posts.items():
        manager, why = resolve(post["reports_raw"], ref)
        post["reports_to"] = manager
        if why == "eliminated":
            via_eliminated += 1
        if not manager:
            tops.append(ref)
            if why == "blank":
                blank_manager.append(post["_row"])
            elif why == "missing":
                missing_manager.append((post["_row"], post["reports_raw"]))

    # --- junior rows
    J = JUNIOR_HEADINGS
    jrefs, jgrades, jtitles = j.col("reports_to"), j.col("grade"), j.col("title")
    jorgs, junits, jftes = j.col("organisation"), j.col("unit"), j.col("fte")
    jmin, jmax = j.col("pay_min"), j.col("pay_max")
    junior_posts: list[dict[str, Any]] = []
    junior_fte_file = Decimal(0)
    split_rows = whole_rows = 0
    zero_rows_junior: list[int] = []
    blank_rows_junior: list[int] = []
    orphans: list[tuple[int, str]] = []
    junior_via_eliminated = 0
    junior_blank_titles: list[int] = []
    limit = settings.max_import_rows
    for i, row in enumerate(j.rows):
        fte, problem = parse_fte(jftes[i])
        if problem:
            err(j, row, "fte", problem, J)
            continue
        lo, p1 = parse_pounds(jmin[i])
        hi, p2 = parse_pounds(jmax[i])
        for key, problem in (("pay_min", p1), ("pay_max", p2)):
            if problem:
                err(j, row, key, problem, J)
        if lo is not None and hi is not None and lo > hi:
            err(j, row, "pay_max", (f"The payscale maximum {_pounds_text(hi)} is below the "
                                    f"minimum {_pounds_text(lo)}."), J)
        grade = grade_name(j, row, jgrades[i], J)
        note_pay(grade, lo, hi)
        if fte is None:
            blank_rows_junior.append(row)
            continue
        if fte == 0:
            zero_rows_junior.append(row)
            continue
        junior_fte_file += fte
        raw = jrefs[i].strip()
        manager, why = resolve(raw, "")
        if why == "eliminated":
            junior_via_eliminated += 1
        if not manager:
            orphans.append((row, raw or "(blank)"))
        title = jtitles[i].strip()
        if not title:
            junior_blank_titles.append(row)
            title = f"{grade} post" if grade else "Untitled post"
        whole = int(fte)
        parts = [Decimal(1)] * whole + ([fte - whole] if fte != whole else [])
        if len(parts) > 1 or fte != whole:
            split_rows += 1
        else:
            whole_rows += 1
        if len(junior_posts) + len(parts) > limit:
            err(j, row, "fte", (f"The junior rows make more than {limit:,} posts, the import's "
                                "limit of rows."), J)
            break
        title = fit(title, text_limit, f"{j.file} row {row}")
        division = fit(jorgs[i], text_limit, f"{j.file} row {row}")
        team = fit(junits[i], text_limit, f"{j.file} row {row}")
        for k, part in enumerate(parts, start=1):
            junior_posts.append({
                "post_id": f"J{row}-{k}", "title": title, "division": division,
                "team": team, "reports_to": manager, "grade": grade,
                "fte": part, "notes": "", "_file": j.file, "_row": row})
    clash = [p["post_id"] for p in junior_posts if p["post_id"] in posts]
    for ref in clash[:20]:
        errors.append(RowError(s.file, posts[ref]["_row"], s.heading("ref", S), (
            f"The reference {ref} is one the import gives a junior post (J, the junior file's "
            "row, the post's number): rename the senior post.")))

    # --- grades
    new_grades: list[GradeBand] = []
    changed_grades: list[GradeBand] = []
    used = sorted({p["grade"] for p in [*posts.values(), *junior_posts] if p["grade"]})
    top_order = max((g.sort_order for g in grades.values()), default=0)
    bands: dict[str, tuple[int | None, int | None]] = {}
    for g in used:
        values = pay_seen.get(g, [])
        bands[g] = (min(values), max(values)) if values else (None, None)
    fresh = sorted((g for g in used if g not in grades),
                   key=lambda g: (bands[g][1] is None, bands[g][1] or 0, g))
    base = max(top_order + 1, BAND_SORT_BASE)
    for k, g in enumerate(fresh):
        new_grades.append(GradeBand(g, 0, 0, base + k, bands[g][0], bands[g][1], structure_id=-1))
    for g in used:
        old = grades.get(g)
        if old is not None and old.is_band and bands[g] != (None, None) and (
                (old.band_min_pence, old.band_max_pence) != bands[g]):
            changed_grades.append(GradeBand(g, 0, 0, old.sort_order, *bands[g],
                                            structure_id=old.structure_id))

    # --- assumptions, in words
    word = {"max": "maximum", "mid": "midpoint", "min": "minimum"}[settings.band_cost_point]
    a = notes
    if counts["undisclosed"]:
        a.append(f"{_plural(counts['undisclosed'], 'senior post holder')} not disclosed (N/D "
                 "or blank name): recorded as a person named N/D, no name invented.")
    if counts["vacant_rows"]:
        a.append(f"{_plural(counts['vacant_rows'], 'senior row')} marked Vacant: imported as "
                 "vacancies (posts with nobody in them).")
    if counts["eliminated"]:
        moved = via_eliminated + junior_via_eliminated
        a.append(f"{_plural(counts['eliminated'], 'senior post')} marked Eliminated: not "
                 "created (the post no longer exists)" + (
                     f"; {_plural(moved, 'row')} that reported to one now report to the "
                     "eliminated post's own manager." if moved else "."))
    if zero_rows:
        a.append(f"{_plural(len(zero_rows), 'senior row')} with post reference 0 (people paid "
                 f"but not in a post, {decimal_text(zero_fte)} FTE) left out: the "
                 f"establishment holds posts ({senior_file} {_rows(zero_rows)}).")
    if counts["job_shares"]:
        a.append(f"{_plural(counts['job_shares'], 'senior row')} repeating a post reference "
                 "read as a job share: one post, its FTE the rows' sum, a person per row.")
    if blank_fte_rows:
        a.append(f"{_plural(len(blank_fte_rows), 'senior row')} with a blank or 0 FTE imported "
                 f"as 1.0 FTE ({senior_file} {_rows(blank_fte_rows)}).")
    if blank_title_rows:
        a.append(f"{_plural(len(blank_title_rows), 'senior row')} with no job title titled "
                 f"'Post' and its reference ({senior_file} {_rows(blank_title_rows)}).")
    if len(tops) > 1:
        a.append(f"{_plural(len(tops), 'top post')} (reporting to XX, to themselves, or to no "
                 f"post in the file): {_some(tops)}.")
    if blank_manager:
        a.append(f"{_plural(len(blank_manager), 'senior row')} with a blank Reports to Senior "
                 f"Post read as top posts ({senior_file} {_rows(blank_manager)}).")
    if missing_manager:
        a.append(f"{_plural(len(missing_manager), 'senior post')} report to a post not in the "
                 f"senior file: imported as top posts ({senior_file} "
                 f"{_some([f'row {r} → {m}' for r, m in missing_manager])}).")
    if split_rows:
        a.append(f"{_plural(split_rows, 'junior row')} of fractional or several FTE split "
                 "into whole posts, one per whole FTE and one for the remainder "
                 f"({_plural(whole_rows, 'row')} of exactly 1 FTE made one post each).")
    if orphans:
        a.append(f"{_plural(len(orphans), 'junior row')} report to a senior post that is not "
                 f"in the senior file: imported without a manager ({junior_file} "
                 f"{_some([f'row {r} → {m}' for r, m in orphans])}).")
    if zero_rows_junior:
        a.append(f"{_plural(len(zero_rows_junior), 'junior row')} of 0 FTE made no post "
                 f"({junior_file} {_rows(zero_rows_junior)}).")
    if blank_rows_junior:
        a.append(f"{_plural(len(blank_rows_junior), 'junior row')} with a blank Number of "
                 f"Posts in FTE made no post ({junior_file} {_rows(blank_rows_junior)}).")
    if junior_blank_titles:
        a.append(f"{_plural(len(junior_blank_titles), 'junior row')} with no job title titled "
                 f"by grade ({junior_file} {_rows(junior_blank_titles)}).")
    if no_pay_rows:
        a.append(f"{_plural(len(no_pay_rows), 'senior row')} publish no pay (blank, 0 or N/D "
                 "floor and ceiling).")
    if clipped:
        places = list(dict.fromkeys(clipped))
        a.append(f"{_plural(len(clipped), 'cell')} longer than the register holds (job title, "
                 f"organisation and unit {text_limit:,} characters, job/team function "
                 f"{notes_limit:,}) cut to fit, ending '…' ({_some(places)}).")
    if new_grades:
        shown = [f"{g.name} ({_pounds_text(g.band_min_pence)}–{_pounds_text(g.band_max_pence)})"
                 if g.band_max_pence is not None else f"{g.name} (no pay published)"
                 for g in new_grades]
        a.append(f"{_plural(len(new_grades), 'grade')} not in the grade table added as "
                 f"salary bands of this establishment: {_some(shown, 12)}.")
        a.append(f"Costing {_plural(len(new_grades), 'band grade')} at their {word} "
                 "(setting band_cost_point), with on-costs as any post.")
        unpaid = [g.name for g in new_grades if g.band_max_pence is None]
        if unpaid:
            a.append(f"{_plural(len(unpaid), 'grade')} with no pay in either file costed at £0 "
                     f"until a band is known: {_some(unpaid)}.")
    if changed_grades:
        a.append(f"{_plural(len(changed_grades), 'salary-band grade')} from an earlier "
                 f"organogram given the bands this pair publishes: "
                 f"{_some([g.name for g in changed_grades])}.")

    # --- as the establishment's sheets
    all_posts = [*posts.values(), *junior_posts]
    post_frame = pd.DataFrame({
        **{c: [str(p.get(c, "")) for p in all_posts] for c in ("post_id", "title", "division",
                                                               "team", "reports_to", "grade")},
        "fte": [decimal_text(p["fte"]) for p in all_posts],
        "partner": "", "funding": "base",
        "notes": [p["notes"] for p in all_posts],
    }, columns=list(POST_COLUMNS)).astype(str)
    post_frame["_row"] = range(2, len(all_posts) + 2)
    people_frame = pd.DataFrame({c: [str(p.get(c, "")) for p in people]
                                 for c in PEOPLE_COLUMNS}, columns=list(PEOPLE_COLUMNS)).astype(str)
    people_frame["_row"] = range(2, len(people) + 2)
    junior_fte = sum((p["fte"] for p in junior_posts), Decimal(0))
    senior_fte = sum((p["fte"] for p in posts.values()), Decimal(0))
    figures = {
        "senior_rows": len(s.rows), "senior_posts": len(posts), "junior_rows": len(j.rows),
        "junior_posts": len(junior_posts), "posts": len(all_posts), "people": len(people),
        "named": counts["named"], "undisclosed": counts["undisclosed"],
        "vacancies": sum(1 for p in posts.values() if p["holders"] == 0),
        "eliminated": counts["eliminated"], "not_in_post_rows": len(zero_rows),
        "not_in_post_fte": decimal_text(zero_fte), "top_posts": tops,
        "senior_fte_in_file": decimal_text(senior_fte_file),
        "senior_fte": decimal_text(senior_fte),
        "junior_fte_in_file": decimal_text(junior_fte_file),
        "junior_fte": decimal_text(junior_fte),
        "grades_added": [{"grade": g.name, "band_min_pence": g.band_min_pence,
                          "band_max_pence": g.band_max_pence} for g in new_grades],
        "band_cost_point": settings.band_cost_point,
    }
    return Mapped(
        tables=Tables(posts=post_frame, people=people_frame),
        origin={"posts": [(p["_file"], p["_row"]) for p in all_posts],
                "people": [(p["_file"], p["_row"]) for p in people]},
        headings={s.file: {**{k: s.heading(k, S) for k in S}, "post_id": s.heading("ref", S),
                           "division": s.heading("organisation", S),
                           "team": s.heading("unit", S), "notes": s.heading("function", S),
                           "employee_id": s.heading("ref", S)},
                  j.file: {**{k: j.heading(k, J) for k in J}, "post_id": j.heading("reports_to", J),
                           "division": j.heading("organisation", J),
                           "team": j.heading("unit", J)}},
        new_grades=new_grades, changed_grades=changed_grades,
        senior_refs=list(posts), junior_refs=[p["post_id"] for p in junior_posts],
        figures=figures, assumptions=a, errors=errors)
