"""The importer against a corpus of bad files: each case names the exact error it must return,
and proves that nothing in the database changed (imports are all-or-nothing)."""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from decimal import Decimal

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import Workbook
from sqlalchemy import func
from sqlmodel import Session, select

from planner.core.auth import SYSTEM
from planner.core.config import Settings
from planner.core.errors import PermissionDenied, RowError, ValidationFailed
from planner.core.models import AuditEvent, Occupancy, Partner, Person, Post, Structure
from planner.establishment.importer import import_establishment
from planner.establishment.readers import read_upload
from planner.establishment.reference import GradeBand
from planner.establishment.validation import parse_date, reporting_cycles, validate_tables
from tests.factories import csv_bytes, make_actors

TODAY = dt.date(2026, 11, 27)

POSTS = [
    {"post_id": "P1", "title": "Head of Digital Services", "division": "Digital", "team": "Leadership",
     "reports_to": "", "grade": "SM2", "fte": "1", "partner": "shared", "funding": "base",
     "notes": ""},
    {"post_id": "P2", "title": "Infrastructure Manager", "division": "Digital",
     "team": "Infrastructure", "reports_to": "P1", "grade": "PO6", "fte": "1", "partner": "shared",
     "funding": "base", "notes": ""},
    {"post_id": "P3", "title": "Network Engineer", "division": "Digital", "team": "Infrastructure",
     "reports_to": "P2", "grade": "PO3", "fte": "1", "partner": "Lewisham", "funding": "project",
     "notes": "Funded to March 2027"},
    {"post_id": "P4", "title": "Service Desk Analyst", "division": "Digital",
     "team": "Service Desk", "reports_to": "P2", "grade": "SO1", "fte": "1", "partner": "shared",
     "funding": "base", "notes": ""},
]
PEOPLE = [
    {"employee_id": "E1", "name": "Amara Okafor", "post_id": "P1", "contract": "permanent",
     "fte": "1", "scp": "62", "annual_salary": "", "day_rate": "", "start_date": "2012-05-01",
     "continuous_service_date": "2009-03-02", "date_of_birth": "1975-06-14", "origin": "Brent",
     "tupe_transfer_date": ""},
    {"employee_id": "E2", "name": "Tomasz Nowak", "post_id": "P2", "contract": "permanent",
     "fte": "1", "scp": "47", "annual_salary": "", "day_rate": "", "start_date": "2016-04-01",
     "continuous_service_date": "2004-09-01", "date_of_birth": "1968-01-30", "origin": "Capita",
     "tupe_transfer_date": "2016-04-01"},
    {"employee_id": "I1", "name": "Zoë Hartley", "post_id": "P3", "contract": "interim",
     "fte": "1", "scp": "", "annual_salary": "", "day_rate": "575", "start_date": "2026-06-01",
     "continuous_service_date": "", "date_of_birth": "", "origin": "", "tupe_transfer_date": ""},
    {"employee_id": "E3", "name": "Priya Shah", "post_id": "P4", "contract": "permanent",
     "fte": "0.5", "scp": "26", "annual_salary": "", "day_rate": "", "start_date": "2020-01-06",
     "continuous_service_date": "2020-01-06", "date_of_birth": "1990-02-11", "origin": "Brent",
     "tupe_transfer_date": ""},
    {"employee_id": "E4", "name": "Sean O'Brien", "post_id": "P4", "contract": "fixed_term",
     "fte": "0.5", "scp": "27", "annual_salary": "", "day_rate": "", "start_date": "2025-09-01",
     "continuous_service_date": "2025-09-01", "date_of_birth": "1999-07-07", "origin": "Brent",
     "tupe_transfer_date": ""},
]


def frame(rows: list[dict]) -> pd.DataFrame:
    return pd.DataFrame(rows, dtype=str)


def files(posts: list[dict] | None = None, people: list[dict] | None = None,
          encoding: str = "utf-8") -> list[tuple[str, bytes]]:
    return [("posts.csv", csv_bytes(frame(posts if posts is not None else POSTS), encoding)),
            ("people.csv", csv_bytes(frame(people if people is not None else PEOPLE), encoding))]


def edit(rows: list[dict], index: int, **changes: str) -> list[dict]:
    out = [dict(r) for r in rows]
    out[index].update(changes)
    return out


def snapshot(session: Session) -> dict[str, object]:
    """Everything an import could touch, to prove a refused import changed nothing."""
    count = lambda model: session.exec(select(func.count()).select_from(model)).one()  # noqa: E731
    posts = session.exec(select(Post.post_ref, Post.title, Post.grade, Post.fte)
                         .order_by(Post.post_ref)).all()
    return {"posts": [tuple(p) for p in posts], "people": count(Person),
            "occupancies": count(Occupancy), "audit": count(AuditEvent),
            "structures": count(Structure),
            "partners": [tuple(p) for p in session.exec(
                select(Partner.name, Partner.share_bp).order_by(Partner.name)).all()]}


@pytest.fixture
def loaded(session: Session) -> Session:
    """A database holding a valid establishment, which every refused import must leave alone."""
    import_establishment(session=session, actor=SYSTEM, files=files(), today=TODAY)
    session.commit()
    return session


def refused(session: Session, upload: list[tuple[str, bytes]], **kwargs) -> list[RowError]:
    before = snapshot(session)
    with pytest.raises(ValidationFailed) as exc:
        import_establishment(session=session, actor=SYSTEM, files=upload, today=TODAY, **kwargs)
    session.rollback()
    assert snapshot(session) == before
    return exc.value.errors


# --- the good path ---------------------------------------------------------------------------


def test_valid_import_writes_posts_people_occupancies_and_one_audit_event(session):
    summary = import_establishment(session=session, actor=SYSTEM, files=files(), today=TODAY)
    session.commit()
    assert (summary.posts, summary.people, summary.occupancies, summary.partners) == (4, 5, 5, 0)
    p3 = session.exec(select(Post).where(Post.post_ref == "P3")).one()
    assert p3.reports_to_id == session.exec(select(Post.id).where(Post.post_ref == "P2")).one()
    assert p3.partner_id is not None and p3.funding == "project"
    interim = session.exec(select(Person).where(Person.employee_ref == "I1")).one()
    assert interim.day_rate_pence == 57_500 and interim.name == "Zoë Hartley"
    tupe = session.exec(select(Person).where(Person.employee_ref == "E2")).one()
    assert tupe.tupe_transfer_date == dt.date(2016, 4, 1)
    events = session.exec(select(AuditEvent).where(AuditEvent.action == "import")).all()
    assert len(events) == 1
    assert events[0].after["posts"] == 4 and events[0].after["files"] == ["posts.csv", "people.csv"]


def test_reimport_replaces_the_baseline(loaded):
    fewer = POSTS[:2]
    summary = import_establishment(session=loaded, actor=SYSTEM,
                                   files=files(fewer, PEOPLE[:2]), today=TODAY)
    loaded.commit()
    assert summary.posts == 2
    assert loaded.exec(select(func.count()).select_from(Post)).one() == 2
    assert loaded.exec(select(func.count()).select_from(Person)).one() == 2
    assert loaded.exec(select(func.count()).select_from(Structure)).one() == 1


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252"])
def test_csv_encodings_as_excel_writes_them(session, encoding):
    import_establishment(session=session, actor=SYSTEM, files=files(encoding=encoding), today=TODAY)
    names = set(session.exec(select(Person.name)).all())
    assert "Zoë Hartley" in names and "Sean O'Brien" in names


def test_uk_dates_and_column_headings_as_people_type_them(session):
    people = [{("Employee ID" if k == "employee_id" else k): v for k, v in r.items()}
              for r in edit(PEOPLE, 0, start_date="01/05/2012")]
    import_establishment(session=session, actor=SYSTEM, files=files(people=people), today=TODAY)
    e1 = session.exec(select(Person).where(Person.employee_ref == "E1")).one()
    assert e1.start_date == dt.date(2012, 5, 1)


def test_xlsx_with_real_numbers_and_dates(session):
    wb = Workbook()
    ws = wb.active
    ws.title = "posts"
    ws.append(list(POSTS[0]))
    for r in POSTS:
        ws.append([float(v) if k == "fte" else v for k, v in r.items()])
    ws2 = wb.create_sheet("people")
    ws2.append(list(PEOPLE[0]))
    for r in PEOPLE:
        ws2.append([dt.datetime.fromisoformat(v) if k.endswith("date") and v else
                    (float(v) if k in ("fte", "day_rate") and v else
                     int(v) if k == "scp" and v else v) for k, v in r.items()])
    buf = io.BytesIO()
    wb.save(buf)
    summary = import_establishment(session=session, actor=SYSTEM,
                                   files=[("establishment.xlsx", buf.getvalue())], today=TODAY)
    assert summary.occupancies == 5
    e3 = session.exec(select(Person).where(Person.employee_ref == "E3")).one()
    assert e3.start_date == dt.date(2020, 1, 6) and e3.scp == 26


# --- the corpus of bad files -----------------------------------------------------------------

CASES = [
    ("unknown column", files([{**r, "cost_centre": "X1"} for r in POSTS]),
     RowError("posts", 1, "cost_centre", "Unknown column 'cost_centre'; posts columns are: "
              "post_id, title, division, team, reports_to, grade, fte, partner, funding, notes.")),
    ("missing required column", files([{k: v for k, v in r.items() if k != "grade"} for r in POSTS]),
     RowError("posts", 1, "grade", "The required column grade is missing.")),
    ("missing required value", files(edit(POSTS, 1, title="")),
     RowError("posts", 3, "title", "title is required.")),
    ("duplicate post_id", files(edit(POSTS, 3, post_id="P3")),
     RowError("posts", 5, "post_id", "Duplicate post_id 'P3': it is already used on row 4.")),
    ("duplicate employee_id", files(people=edit(PEOPLE, 4, employee_id="E3")),
     RowError("people", 6, "employee_id",
              "Duplicate employee_id 'E3': it is already used on row 5.")),
    ("reports_to not found", files(edit(POSTS, 2, reports_to="P9")),
     RowError("posts", 4, "reports_to", "reports_to 'P9' is not a post_id in this sheet.")),
    ("reporting cycle", files(edit(edit(POSTS, 0, reports_to="P3"), 1, reports_to="P3")),
     RowError("posts", 3, "reports_to", "Reporting cycle: P2 → P3 → P2.")),
    ("grade not in table", files(edit(POSTS, 2, grade="PO9")),
     RowError("posts", 4, "grade", "Grade 'PO9' is not in the grade table (Scale 1, Scale 2, "
              "Scale 3, Scale 4, Scale 5, Scale 6, SO1, SO2, PO1, PO2, PO3, PO4, PO5, PO6, PO7, "
              "PO8, SM1, SM2, SM3).")),
    ("unknown partner", files(edit(POSTS, 2, partner="Camden")),
     RowError("posts", 4, "partner",
              "Partner 'Camden' is not one of: shared, Brent, Lewisham, Southwark, LGA.")),
    ("spinal point outside grade", files(people=edit(PEOPLE, 1, scp="40")),
     RowError("people", 3, "scp", "Spinal point 40 is outside grade PO6 (SCP 46–49).")),
    ("post FTE above one", files(edit(POSTS, 0, fte="1.5")),
     RowError("posts", 2, "fte", "Post FTE '1.5' must be above 0 and at most 1 (up to 4 decimal "
              "places).")),
    ("occupant FTE zero", files(people=edit(PEOPLE, 0, fte="0")),
     RowError("people", 2, "fte", "Occupant FTE '0' must be above 0 and at most 1.")),
    ("occupant FTE above one", files(people=edit(PEOPLE, 0, fte="1.2")),
     RowError("people", 2, "fte", "Occupant FTE '1.2' must be above 0 and at most 1.")),
    ("occupants above the post's FTE", files(people=edit(PEOPLE, 4, fte="0.6")),
     RowError("posts", 5, "fte", "The occupants of P4 work 1.1 FTE (E3 0.5, E4 0.6), more than "
              "the post's 1 FTE.")),
    ("unparseable date", files(people=edit(PEOPLE, 0, start_date="next Tuesday")),
     RowError("people", 2, "start_date",
              "'next Tuesday' is not a real date; use YYYY-MM-DD (or DD/MM/YYYY).")),
    ("impossible date", files(people=edit(PEOPLE, 0, date_of_birth="1975-02-30")),
     RowError("people", 2, "date_of_birth",
              "'1975-02-30' is not a real date; use YYYY-MM-DD (or DD/MM/YYYY).")),
    ("birth in the future", files(people=edit(PEOPLE, 0, date_of_birth="2030-01-01")),
     RowError("people", 2, "date_of_birth", "Date of birth 1 Jan 2030 is in the future.")),
    ("start before birth", files(people=edit(PEOPLE, 0, start_date="1970-01-01",
                                             continuous_service_date="1970-01-01")),
     RowError("people", 2, "start_date",
              "start_date 1 Jan 1970 is not after the date of birth 14 Jun 1975.")),
    ("day rate on a permanent contract", files(people=edit(PEOPLE, 0, day_rate="600")),
     RowError("people", 2, "day_rate",
              "A day rate is for interims and agency workers; E1 is on a permanent contract.")),
    ("over-long text", files(edit(POSTS, 0, title="A" * 201)),
     RowError("posts", 2, "title", "201 characters is too long; the limit is 200.")),
    ("unknown contract", files(people=edit(PEOPLE, 0, contract="zero_hours")),
     RowError("people", 2, "contract", "Contract 'zero_hours' must be one of: permanent, "
              "fixed_term, interim, agency, secondment.")),
    ("person in an unknown post", files(people=edit(PEOPLE, 0, post_id="P99")),
     RowError("people", 2, "post_id", "post_id 'P99' is not a post in the posts sheet.")),
    ("no posts sheet", [("people.csv", csv_bytes(frame(PEOPLE)))],
     RowError("posts", None, "", "The posts sheet (or posts.csv) is missing.")),
    ("wrongly named csv", [("establishment.csv", csv_bytes(frame(POSTS)))],
     RowError("establishment.csv", None, "",
              "Name CSV files after their sheet: posts.csv, people.csv, partners.csv or "
              "equality.csv.")),
    ("not a workbook", [("posts.xlsx", b"posts,title\n")],
     RowError("posts.xlsx", None, "", "This is not an Excel workbook (.xlsx): save it from "
              "Excel as 'Excel Workbook' and upload again.")),
    ("binary csv", [("posts.csv", b"\x00\x01\x02garbage")],
     RowError("posts", None, "", "This is not a text (CSV) file.")),
    ("empty csv", [("posts.csv", b"")],
     RowError("posts", None, "", "The file is empty: it needs a header row.")),
]


@pytest.mark.parametrize(("upload", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_file_is_refused_with_the_exact_error_and_nothing_changes(loaded, upload, expected):
    errors = refused(loaded, upload)
    assert expected in errors, errors


def test_every_error_is_reported_at_once(loaded):
    posts = edit(edit(POSTS, 1, grade="PO99"), 2, reports_to="P77")
    people = edit(edit(PEOPLE, 0, fte="2"), 2, date_of_birth="2099-01-01")
    errors = refused(loaded, files(posts, people))
    assert [(e.sheet, e.row, e.column) for e in errors] == [
        ("posts", 3, "grade"), ("posts", 4, "reports_to"), ("people", 2, "fte"),
        ("people", 4, "date_of_birth"), ("people", 4, "start_date")]


def test_long_cycle_names_the_whole_chain(loaded):
    posts = [{"post_id": f"C{i}", "title": "Officer", "grade": "PO1",
              "reports_to": f"C{(i + 1) % 4}"} for i in range(4)]
    errors = refused(loaded, [("posts.csv", csv_bytes(frame(posts)))])
    assert errors == [RowError("posts", 2, "reports_to", "Reporting cycle: C0 → C1 → C2 → C3 → C0.")]


def test_self_report_is_a_cycle(loaded):
    errors = refused(loaded, files(edit(POSTS, 2, reports_to="P3")))
    assert RowError("posts", 4, "reports_to", "Reporting cycle: P3 → P3.") in errors


def _xlsx(cells: dict[str, list[list[object]]]) -> bytes:
    wb = Workbook()
    wb.remove(wb.active)
    for sheet, rows in cells.items():
        ws = wb.create_sheet(sheet)
        for row in rows:
            ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_formula_cell_is_refused(loaded):
    rows = [list(POSTS[0]), *[list(r.values()) for r in POSTS]]
    rows[2][6] = "=0.5+0.5"
    errors = refused(loaded, [("e.xlsx", _xlsx({"posts": rows}))])
    assert errors == [RowError("posts", 3, "fte", "This cell holds a formula; replace it with "
                               "its value (Paste Special > Values).")]


def test_unknown_sheet_is_refused(loaded):
    rows = [list(POSTS[0]), *[list(r.values()) for r in POSTS]]
    errors = refused(loaded, [("e.xlsx", _xlsx({"posts": rows, "Sheet9": [["x"]]}))])
    assert errors == [RowError("Sheet9", None, "", "Unknown sheet: a workbook has sheets posts, "
                               "people and optionally partners and equality.")]


def test_upload_over_the_size_limit(loaded, monkeypatch):
    settings = Settings(max_upload_bytes=100)
    monkeypatch.setattr("planner.establishment.readers.get_settings", lambda: settings)
    errors = refused(loaded, files())
    assert errors[0] == RowError("posts.csv", None, "", (
        f"The file is {len(files()[0][1]) / 1024 / 1024:.1f} MB; the limit is 0.0 MB. Split it or "
        "ask an administrator to raise PLANNER_MAX_UPLOAD_BYTES."))


def test_too_many_rows(loaded, monkeypatch):
    settings = Settings(max_import_rows=3)
    monkeypatch.setattr("planner.establishment.readers.get_settings", lambda: settings)
    errors = refused(loaded, files())
    assert RowError("posts", None, "", "4 rows is more than the limit of 3 rows.") in errors


def test_zip_bomb_is_not_unpacked(loaded, monkeypatch):
    """A tiny file that would inflate to 10 MB is refused from its zip directory alone."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("xl/worksheets/sheet1.xml", b"0" * 10_000_000)
    assert len(buf.getvalue()) < 50_000
    settings = Settings(max_xlsx_uncompressed_bytes=1_000_000)
    monkeypatch.setattr("planner.establishment.readers.get_settings", lambda: settings)
    errors = refused(loaded, [("bomb.xlsx", buf.getvalue())])
    assert errors == [RowError("bomb.xlsx", None, "", "The workbook unpacks to 9.5 MB, more than "
                               "the limit of 1.0 MB; it was not opened.")]


def test_zip_with_too_many_members(loaded, monkeypatch):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for i in range(30):
            zf.writestr(f"m{i}.xml", b"x")
    monkeypatch.setattr("planner.establishment.readers.get_settings", lambda: Settings(max_xlsx_members=20))
    errors = refused(loaded, [("many.xlsx", buf.getvalue())])
    assert errors == [RowError("many.xlsx", None, "", "The workbook holds 30 parts, more than "
                               "the 20 a spreadsheet needs; it was not opened.")]


def test_partners_sheet_must_add_up_to_100(loaded):
    partners = [{"partner": "Brent", "share": "50"}, {"partner": "Lewisham", "share": "40"}]
    errors = refused(loaded, [*files(), ("partners.csv", csv_bytes(frame(partners)))])
    assert RowError("partners", None, "share", "The shares add up to 90%; they must add up to "
                    "100%.") in errors


def test_partners_sheet_updates_shares_and_defines_names(session):
    partners = [{"partner": "Brent", "share": "50", "lgps_employer_rate": "21.5"},
                {"partner": "Lewisham", "share": "50"}]
    summary = import_establishment(session=session, actor=SYSTEM, today=TODAY,
                                   files=[*files(), ("partners.csv", csv_bytes(frame(partners)))])
    assert summary.partners == 2
    brent = session.exec(select(Partner).where(Partner.name == "Brent")).one()
    assert (brent.share_bp, brent.lgps_employer_rate_bp) == (5000, 2150)


def test_neutralised_cells_lose_their_apostrophe(session):
    import_establishment(session=session, actor=SYSTEM, today=TODAY,
                         files=files(edit(POSTS, 0, notes="'=HYPERLINK(\"x\")")))
    notes = session.exec(select(Post.notes).where(Post.post_ref == "P1")).one()
    assert notes == '=HYPERLINK("x")'


def test_blank_rows_are_skipped_and_rows_counted_as_excel_shows_them(loaded):
    text = csv_bytes(frame(edit(POSTS, 3, grade="XX"))).decode()
    lines = text.splitlines()
    text = "\n".join([*lines[:3], "", ",,,,,,,,,", *lines[3:]]) + "\n"
    errors = refused(loaded, [("posts.csv", text.encode())])
    assert errors[0].row == 7 and errors[0].column == "grade"


def test_refused_for_roles_that_may_not_import(session):
    actors = make_actors(session)
    for role in ("manager", "union"):
        with pytest.raises(PermissionDenied):
            import_establishment(session=session, actor=actors[role], files=files(), today=TODAY)
    for role in ("hr", "admin"):
        import_establishment(session=session, actor=actors[role], files=files(), today=TODAY)


def test_reimport_keeps_the_ids_of_matched_posts_and_people(loaded):
    """Catches: a re-import that deletes and re-inserts the baseline (new ids orphan every
    option post, ETO rationale and cohort member), or bumps the version of unchanged posts."""
    ids = dict(loaded.exec(select(Post.post_ref, Post.id)).all())
    people = dict(loaded.exec(select(Person.employee_ref, Person.id)).all())
    versions = dict(loaded.exec(select(Post.post_ref, Post.version)).all())
    posts = [*edit(POSTS, 3, title="Service Desk Lead")[:3], edit(POSTS, 3,
             title="Service Desk Lead")[3],
             {**POSTS[3], "post_id": "P5", "title": "Cloud Engineer", "reports_to": "P2"}]
    posts = [r for r in posts if r["post_id"] != "P3"]
    staff = [r for r in PEOPLE if r["employee_id"] != "I1"]
    import_establishment(session=loaded, actor=SYSTEM, files=files(posts, staff), today=TODAY)
    loaded.commit()
    after = dict(loaded.exec(select(Post.post_ref, Post.id)).all())
    assert {k: after[k] for k in ("P1", "P2", "P4")} == {k: ids[k] for k in ("P1", "P2", "P4")}
    assert "P3" not in after and after["P5"] not in ids.values()
    assert dict(loaded.exec(select(Person.employee_ref, Person.id)).all()) == {
        k: v for k, v in people.items() if k != "I1"}
    now = dict(loaded.exec(select(Post.post_ref, Post.version)).all())
    assert (now["P1"], now["P4"]) == (versions["P1"], versions["P4"] + 1)
    p5 = loaded.exec(select(Post).where(Post.post_ref == "P5")).one()
    assert p5.reports_to_id == ids["P2"]


@pytest.mark.parametrize(("text", "expected"), [
    ("2024-02-29", dt.date(2024, 2, 29)), ("29/02/2024", dt.date(2024, 2, 29)),
    ("1/4/2016", dt.date(2016, 4, 1)), ("2023-02-29", None), ("31/31/2020", None),
    ("2020-01-01T00:00:00", dt.date(2020, 1, 1)), ("20200101", None), ("", None),
])
def test_parse_date(text, expected):
    assert parse_date(text) == expected


def test_reporting_cycles_finds_each_once():
    managers = {"A": "B", "B": "C", "C": "A", "D": "A", "E": "E", "F": ""}
    assert sorted(reporting_cycles(managers)) == [["A", "B", "C"], ["E"]]


def test_read_upload_without_files():
    tables, errors = read_upload([])
    assert tables.posts is None and errors[0].sheet == "upload"


# --- the optional equality sheet (special-category data, hr only) ---------------------------

EQUALITY = [
    {"employee_id": "E1", "sex": "Female", "disability": "Prefer not to say", "ethnicity": ""},
    {"employee_id": "E3", "sex": "Male", "disability": "Not disabled", "ethnicity": "Mixed"},
]


def _equality_xlsx(rows: list[dict]) -> bytes:
    wb = Workbook()
    wb.remove(wb.active)
    for sheet, data in (("posts", POSTS), ("people", PEOPLE), ("equality", rows)):
        ws = wb.create_sheet(sheet)
        ws.append(list(data[0]))
        for r in data:
            ws.append(list(r.values()))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_equality_sheet_is_imported_with_the_establishment_by_hr(session):
    """Catches: the sheet refused or ignored for hr, blanks not kept as unknown, or "Prefer
    not to say" kept in the writer's own capitals (it would be a category of its own)."""
    from planner.core.models import EqualityRecord

    hr = make_actors(session)["hr"]
    import_establishment(session=session, actor=hr, files=[("e.xlsx", _equality_xlsx(EQUALITY))],
                         today=TODAY)
    rows = {r.employee_ref: r for r in session.exec(select(EqualityRecord)).all()}
    assert sorted(rows) == ["E1", "E3"]
    assert (rows["E1"].sex, rows["E1"].disability, rows["E1"].ethnicity) == (
        "Female", "prefer not to say", "")
    assert rows["E3"].ethnicity == "Mixed"
    (event,) = session.exec(select(AuditEvent).where(AuditEvent.entity == "equality_record")).all()
    assert event.after == {"rows": 2, "created": 2, "updated": 0}


def test_equality_sheet_is_refused_for_admin_and_nothing_is_written(session):
    """Catches: an administrator (who imports establishments) slipping special-category data
    in, or the establishment written while its equality sheet was refused."""
    from planner.core.models import EqualityRecord

    with pytest.raises(ValidationFailed) as info:
        import_establishment(session=session, actor=SYSTEM,
                             files=[*files(), ("equality.csv", csv_bytes(frame(EQUALITY)))],
                             today=TODAY)
    (error,) = info.value.errors
    assert (error.sheet, error.row) == ("equality", None)
    assert "only HR may import" in error.message
    assert session.exec(select(func.count()).select_from(Post)).one() == 0
    assert session.exec(select(EqualityRecord)).all() == []


def test_equality_sheet_errors_are_located_and_nothing_is_written(session):
    """Catches: an equality row naming nobody in the people sheet, or repeated, written
    anyway, or the establishment imported without its equality sheet."""
    from planner.core.models import EqualityRecord

    hr = make_actors(session)["hr"]
    bad = [*EQUALITY, {"employee_id": "E9", "sex": "Male"}, {"employee_id": "E1", "sex": "Male"}]
    with pytest.raises(ValidationFailed) as info:
        import_establishment(session=session, actor=hr,
                             files=[*files(), ("equality.csv", csv_bytes(frame(bad)))],
                             today=TODAY)
    assert [(e.sheet, e.row, e.column) for e in info.value.errors] == [
        ("equality", 4, "employee_id"), ("equality", 5, "employee_id")]
    assert "E9" in info.value.errors[0].message and "row 2" in info.value.errors[1].message
    assert session.exec(select(func.count()).select_from(Post)).one() == 0
    assert session.exec(select(EqualityRecord)).all() == []
    with pytest.raises(ValidationFailed) as info:
        import_establishment(session=session, actor=hr, today=TODAY, files=[
            *files(), ("equality.csv", b"employee_id,height\nE1,tall\n")])
    assert [(e.sheet, e.column) for e in info.value.errors] == [("equality", "height")]


# --- the partners sheet is the partner set (issue 17) ------------------------------------------

TWO_COUNCILS = [{"partner": "Northshire", "kind": "council", "host": "yes", "share": "60"},
                {"partner": "Southby", "kind": "council", "host": "no", "share": "40"}]


def two_council_posts() -> list[dict]:
    return edit(POSTS, 2, partner="Southby")


def test_a_partners_sheet_replaces_the_partner_set_and_retires_the_rest(session):
    """Catches: an import's partners added to the seeded ones (shares adding up to 200%, the
    seeded host still host), or seeded partners deleted instead of kept for history."""
    from planner.establishment.reference import council_names, host_partner_name, partner_names

    people = edit(PEOPLE, 1, origin="Capita", tupe_transfer_date="2016-04-01")
    import_establishment(session=session, actor=SYSTEM, today=TODAY, files=[
        *files(two_council_posts(), people), ("partners.csv", csv_bytes(frame(TWO_COUNCILS)))])
    session.commit()
    assert partner_names(session) == ["Northshire", "Southby"]
    assert council_names(session) == ["Northshire", "Southby"]
    assert host_partner_name(session) == "Northshire"
    stored = {p.name: p for p in session.exec(select(Partner))}
    assert {n for n, p in stored.items() if not p.active} == {"Brent", "Lewisham", "Southwark",
                                                              "LGA"}
    assert not stored["Brent"].is_host  # a retired partner hosts nothing
    assert sum(p.share_bp for p in stored.values() if p.active) == 10_000
    retired = session.exec(select(AuditEvent).where(AuditEvent.entity == "partner",
                                                    AuditEvent.action == "retire")).all()
    assert len(retired) == 4
    # TUPE cohorts go to the new host, not "… to Brent".
    from planner.core.models import TupeCohort

    assert [c.transferee for c in session.exec(select(TupeCohort))] == ["Northshire"]


def test_without_a_partners_sheet_the_stored_partners_stay(session):
    from planner.establishment.reference import partner_names

    import_establishment(session=session, actor=SYSTEM, files=files(), today=TODAY)
    assert partner_names(session) == ["Brent", "Lewisham", "Southwark", "LGA"]


@pytest.mark.parametrize(("sheet", "host"), [
    # No host column: the stored host stays host when the sheet names it …
    ([{"partner": "Lewisham", "share": "50"}, {"partner": "Brent", "share": "50"}], "Brent"),
    # … else the first council listed (the LGA is stored as a customer).
    ([{"partner": "LGA", "share": "0"}, {"partner": "Lewisham", "share": "60"},
      {"partner": "Southwark", "share": "40"}], "Lewisham"),
    # A host marked in the sheet wins.
    ([{"partner": "Brent", "host": "no", "share": "50"},
      {"partner": "Lewisham", "host": "yes", "share": "50"}], "Lewisham"),
])
def test_exactly_one_host(session, sheet, host):
    import_establishment(session=session, actor=SYSTEM, today=TODAY,
                         files=[*files(), ("partners.csv", csv_bytes(frame(sheet)))])
    hosts = session.exec(select(Partner.name).where(Partner.is_host)).all()
    assert hosts == [host]


@pytest.mark.parametrize(("sheet", "expected"), [
    ([{"partner": "Brent", "host": "yes", "share": "50"},
      {"partner": "Lewisham", "host": "yes", "share": "50"}],
     RowError("partners", 3, "host", "Lewisham is marked as host, but so is Brent: exactly one "
                                     "council hosts the service.")),
    ([{"partner": "Brent", "host": "no", "share": "50"},
      {"partner": "Lewisham", "host": "no", "share": "50"}],
     RowError("partners", None, "host", "No partner is marked as host: mark the council that "
                                        "employs the service's staff host = yes.")),
    ([{"partner": "Brent", "kind": "borough", "share": "50"},
      {"partner": "Lewisham", "share": "50"}],
     RowError("partners", 2, "kind", "'borough' is not a kind of partner: council or customer.")),
    ([{"partner": "Brent", "share": "50"}, {"partner": "Lewisham", "share": "40"},
      {"partner": "LGA", "share": "10"}],
     RowError("partners", 4, "share", "LGA is a customer: it pays for the posts charged to it "
                                      "and has no share of the shared costs, so its share must "
                                      "be 0 (shares are the councils').")),
    ([{"partner": "Brent", "kind": "customer", "host": "yes", "share": "0"},
      {"partner": "Lewisham", "share": "100"}],
     RowError("partners", 2, "host", "Brent is a customer; the host is the council that "
                                     "employs the service's staff.")),
    # The LGA is stored as a customer: marked host with a blank kind, still refused.
    ([{"partner": "LGA", "host": "yes", "share": "0"}, {"partner": "Brent", "share": "60"},
      {"partner": "Lewisham", "share": "40"}],
     RowError("partners", 2, "host", "LGA is a customer; the host is the council that "
                                     "employs the service's staff.")),
])
def test_partner_sheet_errors(loaded, sheet, expected):
    errors = refused(loaded, [*files(), ("partners.csv", csv_bytes(frame(sheet)))])
    assert expected in errors


def test_a_partner_still_charged_by_an_option_cannot_be_retired(loaded):
    """Catches: an import retiring Lewisham while an option still charges a post to it (its
    cost would then belong to no council's envelope)."""
    from planner.structures.options import create_option

    create_option(session=loaded, actor=make_actors(loaded)["hr"], name="Option A")
    loaded.commit()
    sheet = [{"partner": "Brent", "share": "60"}, {"partner": "Southwark", "share": "40"}]
    errors = refused(loaded, [*files(edit(POSTS, 2, partner="Brent")),
                              ("partners.csv", csv_bytes(frame(sheet)))])
    assert RowError("partners", None, "partner", (
        "Lewisham is not in the partners sheet, so this import would retire it, but Option A "
        "charges 1 post to it (P3). Keep Lewisham in the sheet, or charge those posts and "
        "envelope shares to a current partner first.")) in errors
    # The LGA is retired too, but nothing uses it: no error names it.
    assert not [e for e in errors if e.message.startswith("LGA")]


def test_a_partner_holding_an_envelope_share_cannot_be_retired(loaded):
    from planner.structures.options import PartnerShare, set_envelope

    base = loaded.exec(select(Structure).where(Structure.kind == "baseline")).one()
    set_envelope(session=loaded, actor=make_actors(loaded)["hr"], structure=base.id,
                 envelope_pence=100_000_00, months=12, expected_version=base.version,
                 shares={"Brent": PartnerShare(share_bp=5000),
                         "Southwark": PartnerShare(share_bp=5000)})
    loaded.commit()
    sheet = [{"partner": "Brent", "share": "60"}, {"partner": "Lewisham", "share": "40"}]
    errors = refused(loaded, [*files(), ("partners.csv", csv_bytes(frame(sheet)))])
    assert [e.message for e in errors if e.message.startswith("Southwark")] == [
        "Southwark is not in the partners sheet, so this import would retire it, but Current "
        "establishment gives it a share of its envelope. Keep Southwark in the sheet, or charge "
        "those posts and envelope shares to a current partner first."]


def test_missing_grade_duplicate_post_and_cycle_all_listed_in_one_pass(loaded):
    """Catches: the cycle check reading a duplicated post_id's last row (which hid the real
    cycle P1 → P4 → P2 → P1 and reported a false one on the duplicate), or any check skipped
    because an earlier one failed."""
    posts = edit(POSTS, 3, grade="")  # P4 has no grade
    posts = edit(posts, 2, post_id="P2")  # a second P2 (row 4)
    posts = edit(posts, 0, reports_to="P4")  # P1 → P4 → P2 → P1
    people = [r for r in PEOPLE if r["post_id"] != "P3"]
    errors = refused(loaded, files(posts, people))
    assert [(e.sheet, e.row, e.column, e.message) for e in errors] == [
        ("posts", 5, "grade", "grade is required."),
        ("posts", 4, "post_id", "Duplicate post_id 'P2': it is already used on row 3."),
        ("posts", 2, "reports_to", "Reporting cycle: P1 → P4 → P2 → P1."),
    ]


def test_a_sheet_that_cannot_be_read_does_not_stop_the_others_being_checked(loaded):
    """Catches: validation skipped whenever reading found a problem (a bad people header hid
    every posts error until the header was fixed and the file uploaded again)."""
    posts = edit(POSTS, 3, grade="")
    bad_people = frame(PEOPLE).rename(columns={"contract": "contract type"})
    errors = refused(loaded, [("posts.csv", csv_bytes(frame(posts))),
                              ("people.csv", csv_bytes(bad_people))])
    found = {(e.sheet, e.column, e.message.split(";")[0]) for e in errors}
    assert ("posts", "grade", "grade is required.") in found
    assert ("people", "contract", "The required column contract is missing.") in found


# --- hostile and careless files: read every row or refuse, never a traceback (issue 10) -------


def _rewrite_member(data: bytes, member: str, change) -> bytes:
    """The workbook with one zip member's bytes passed through `change`."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            body = src.read(info)
            dst.writestr(info, change(body) if info.filename == member else body)
    return out.getvalue()


def test_xlsx_with_a_stale_dimension_is_read_to_its_last_row():
    """Excel trusts the rows, not `<dimension>`; openpyxl's read-only mode stopped at it and a
    100,000-row sheet declaring A1:L95 loaded 94 rows and reported success."""
    rows = "".join(_row(r, f"P{r}", "Officer", "PO1") for r in range(2, 100_002))
    xml = _sheet_xml(_row(1, "post_id", "title", "grade") + rows, dimension="A1:L95")
    stale = _rewrite_member(_xlsx({"posts": [["x"]]}), "xl/worksheets/sheet1.xml", lambda _: xml)
    tables, errors = read_upload([("e.xlsx", stale)])
    assert errors == []
    assert len(tables.posts) == 100_000
    assert tables.posts["post_id"].iloc[-1] == "P100001"
    assert tables.posts["_row"].iloc[-1] == 100_001


def _sheet_xml(rows: str, dimension: str = "") -> bytes:
    declared = f'<dimension ref="{dimension}"/>' if dimension else ""
    return ('<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats'
            f'.org/spreadsheetml/2006/main">{declared}<sheetData>{rows}</sheetData></worksheet>'
            ).encode()


def _row(r: int, *values: str) -> str:
    cells = "".join(f'<c r="{"ABC"[i]}{r}" t="str"><v>{v}</v></c>' for i, v in enumerate(values))
    return f'<row r="{r}">{cells}</row>'


def test_xlsx_rows_out_of_order_are_refused_not_dropped():
    """openpyxl's row iterator silently skips a row numbered below one already read."""
    xml = _sheet_xml(_row(1, "post_id", "title", "grade") + _row(3, "P2", "Officer", "PO1")
                     + _row(2, "P1", "Officer", "PO1"))
    data = _rewrite_member(_xlsx({"posts": [["x"]]}), "xl/worksheets/sheet1.xml", lambda _: xml)
    tables, errors = read_upload([("e.xlsx", data)])
    assert tables.posts is None
    assert errors[0].sheet == "posts" and "row 2 comes after row 3" in errors[0].message


@pytest.mark.parametrize("where", [0.5, 0.999])
def test_corrupt_zip_member_is_a_message(where):
    """A damaged part deep in a sheet fails only when the rows are read, after openpyxl has
    opened the workbook; that was a traceback."""
    rows = "".join(_row(r, f"P{r}", "Officer", "PO1") for r in range(2, 20_000))
    xml = _sheet_xml(_row(1, "post_id", "title", "grade") + rows, dimension="A1:C19999")
    good = _rewrite_member(_xlsx({"posts": [["x"]]}), "xl/worksheets/sheet1.xml", lambda _: xml)
    with zipfile.ZipFile(io.BytesIO(good)) as zf:
        info = zf.getinfo("xl/worksheets/sheet1.xml")
    start = info.header_offset + 30 + len(info.filename) + len(info.extra)
    raw = bytearray(good)
    raw[start + int(info.compress_size * where)] ^= 0x01
    tables, errors = read_upload([("e.xlsx", bytes(raw))])
    assert tables.posts is None and len(errors) == 1
    assert errors[0].sheet in ("posts", "e.xlsx")
    assert "damaged" in errors[0].message or "could not be opened" in errors[0].message


def test_xlsx_error_cell_is_refused():
    rows = [list(POSTS[0]), *[list(r.values()) for r in POSTS]]
    data = _xlsx({"posts": rows})
    data = _rewrite_member(data, "xl/worksheets/sheet1.xml", lambda xml: re.sub(
        rb'<c r="G3"[^>]*>.*?</c>', b'<c r="G3" t="e"><v>#N/A</v></c>', xml, count=1))
    tables, errors = read_upload([("e.xlsx", data)])
    assert errors == [RowError("posts", 3, "fte", "This cell holds the error #N/A; put the value "
                               "it should hold.")]


def test_bytes_that_are_not_utf8_after_a_bom_are_an_error_not_replaced(loaded):
    """A BOM says UTF-8; a stray Windows-1252 é (0xE9) used to be stored as U+FFFD."""
    data = b"\xef\xbb\xbf" + csv_bytes(frame(edit(POSTS, 2, title="Caf\u00e9 manager")))
    data = data.replace("Café".encode(), b"Caf\xe9")
    errors = refused(loaded, [("posts.csv", data), files()[1]])
    assert errors == [RowError("posts", 4, "title", (
        "The bytes 0xE9 here are not UTF-8 text (the file starts with the UTF-8 byte-order mark)"
        ": nothing was replaced; fix the cell, or save the file from Excel as 'CSV UTF-8' and "
        "upload again."))]


def test_a_windows_1252_byte_among_utf8_text_is_an_error():
    """Without a BOM a file is UTF-8 or Windows-1252, never both: é as UTF-8 in one row and as
    Windows-1252 in another would be mojibake ("CafÃ©") whichever way it was decoded."""
    rows = edit(edit(POSTS, 0, title="Café lead"), 2, title="Cafe officer")
    data = csv_bytes(frame(rows)).replace(b"Cafe officer", b"Caf\xe9 officer")
    tables, errors = read_upload([("posts.csv", data)])
    assert tables.posts is None
    assert [(e.row, e.column) for e in errors] == [(4, "title")]
    assert "0xE9" in errors[0].message and "not UTF-8 text" in errors[0].message


def test_windows_1252_without_a_bom_is_still_read():
    data = csv_bytes(frame(edit(POSTS, 2, title="Café officer – £ grade")), "cp1252")
    tables, errors = read_upload([("posts.csv", data)])
    assert errors == [] and tables.posts["title"][2] == "Café officer – £ grade"


@pytest.mark.parametrize("ending", ["cr", "mixed"])
def test_cr_only_and_mixed_line_endings_read_like_lf(session, ending):
    lf = csv_bytes(frame(edit(POSTS, 1, notes="line one\nline two")))
    if ending == "cr":
        data = lf.replace(b"\n", b"\r")
    else:
        lines = lf.split(b"\n")
        data = b"\r".join(lines[:2]) + b"\r\n" + b"\n".join(lines[2:])
    ref, ref_errors = read_upload([("posts.csv", lf)])
    got, errors = read_upload([("posts.csv", data)])
    assert errors == ref_errors == []
    pd.testing.assert_frame_equal(got.posts, ref.posts)
    assert got.posts["notes"][1] == "line one\nline two"
    summary = import_establishment(session=session, actor=SYSTEM, today=TODAY,
                                   files=[("posts.csv", data), files()[1]])
    assert (summary.posts, summary.people) == (4, 5)


def test_an_unclosed_quote_is_refused_not_swallowing_the_rows_after_it():
    text = csv_bytes(frame(POSTS)).decode().replace("Network Engineer", '"Network Engineer')
    tables, errors = read_upload([("posts.csv", text.encode())])
    assert tables.posts is None
    assert errors[0].sheet == "posts" and errors[0].row == 4
    assert errors[0].message.startswith("This row could not be read as CSV (unexpected end of "
                                        "data): check its quotes")


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_a_cell_over_128_kb_is_refused_with_its_row_and_column(kind):
    rows = edit(POSTS, 2, notes="x" * 140_000)
    if kind == "csv":
        upload = [("posts.csv", csv_bytes(frame(rows)))]
    else:  # openpyxl's writer cuts text at 32,767 characters; a hostile file is not so kind
        data = _xlsx({"posts": [list(POSTS[0]), *[list(r.values()) for r in POSTS]]})
        upload = [("e.xlsx", _rewrite_member(data, "xl/worksheets/sheet1.xml", lambda xml: re.sub(
            rb'<c r="J4"[^>]*>.*?</c>', b'<c r="J4" t="inlineStr"><is><t>' + b"x" * 140_000
            + b"</t></is></c>", xml, count=1)))]
    tables, errors = read_upload(upload)
    assert tables.posts is None
    assert errors == [RowError("posts", 4, "notes", "This cell holds 140,000 characters; a "
                               "spreadsheet cell holds at most 32,767.")]


def test_nul_in_a_cell_is_a_row_error_wherever_it_is(loaded):
    """PostgreSQL refuses NUL in text with an error that prints the row's values."""
    many = [dict(POSTS[3], post_id=f"Q{i}", reports_to="P2") for i in range(2000)]
    rows = [*POSTS, *many]
    rows[1] = dict(rows[1], title="Infra\x00structure")
    rows[-1] = dict(rows[-1], team="Desk\x00")
    data = csv_bytes(frame(rows))
    assert data.index(b"Desk\x00") > 65536
    errors = refused(loaded, [("posts.csv", data), files()[1]])
    nul = "This cell holds a NUL character (byte 0), which is not text: remove it."
    assert errors == [RowError("posts", 3, "title", nul), RowError("posts", len(rows) + 1, "team", nul)]


def test_nul_from_the_editor_is_a_row_error():
    from planner.establishment.reference import GradeBand
    from planner.establishment.validation import validate_posts

    posts = frame(edit(POSTS, 0, title="Head\x00")).assign(_row=[2, 3, 4, 5])
    grades = {g: GradeBand(g, 1, 60, i) for i, g in enumerate(("SM2", "PO6", "PO3", "SO1"))}
    errors = validate_posts(posts, grades=grades, partner_names=["Lewisham"])
    assert errors == [RowError("posts", 2, "title", "This cell holds a NUL character (byte 0), "
                               "which is not text: remove it.")]


@pytest.mark.parametrize(("posts", "people", "expected"), [
    (edit(POSTS, 3, post_id="P" * 41), edit(edit(PEOPLE, 3, post_id="P" * 41), 4, post_id="P" * 41),
     RowError("posts", 5, "post_id", "41 characters is too long; the limit is 40.")),
    (POSTS, edit(PEOPLE, 0, employee_id="E" * 41),
     RowError("people", 2, "employee_id", "41 characters is too long; the limit is 40.")),
    (POSTS, edit(PEOPLE, 0, origin="O" * 81),
     RowError("people", 2, "origin", "81 characters is too long; the limit is 80.")),
    (POSTS, edit(PEOPLE, 0, scp="6²"),
     RowError("people", 2, "scp", "Spinal point '6²' is not a whole number.")),
    (POSTS, edit(PEOPLE, 2, day_rate="99999999"),
     RowError("people", 4, "day_rate", "£99999999 is more than the register can hold "
              "(£21,474,836.47); check the amount.")),
], ids=["post_id", "employee_id", "origin", "superscript scp", "day rate"])
def test_values_the_database_cannot_hold_are_row_errors(loaded, posts, people, expected):
    """Longer than the column, or a number the column cannot store: a database error on
    PostgreSQL (a traceback) before; a located error now."""
    assert expected in refused(loaded, files(posts, people))


# --- posts without people: refused, or the people kept by choice (issue 10) ------------------


def _posts_only(posts: list[dict] | None = None) -> list[tuple[str, bytes]]:
    return [("posts.csv", csv_bytes(frame(posts if posts is not None else POSTS)))]


def test_posts_alone_never_remove_the_people(loaded):
    """Importing posts.csv alone deleted all the people, silently."""
    errors = refused(loaded, _posts_only(edit(POSTS, 2, title="Network Lead")))
    assert errors == [RowError("people", None, "", (
        "This upload has no people sheet, and the establishment has 5 people: importing it "
        "would remove them. Add people.csv, or choose to keep the people."))]


def test_keep_people_keeps_everyone_in_the_posts_the_upload_keeps(loaded):
    before = {p.employee_ref: p for p in loaded.exec(select(Person)).all()}
    summary = import_establishment(session=loaded, actor=SYSTEM, today=TODAY, keep_people=True,
                                   files=_posts_only(edit(POSTS, 2, title="Network Lead")))
    loaded.commit()
    assert (summary.posts, summary.people, summary.occupancies) == (4, 5, 5)
    where = dict(loaded.exec(select(Person.employee_ref, Post.post_ref)
                             .join(Occupancy, Occupancy.person_id == Person.id)
                             .join(Post, Post.id == Occupancy.post_id)).all())
    assert where == {"E1": "P1", "E2": "P2", "I1": "P3", "E3": "P4", "E4": "P4"}
    after = {p.employee_ref: p for p in loaded.exec(select(Person)).all()}
    fields = ("name", "contract", "scp", "annual_salary_pence", "day_rate_pence", "start_date",
              "continuous_service_date", "date_of_birth", "origin", "tupe_transfer_date")
    assert {e: [getattr(p, f) for f in fields] for e, p in after.items()} == {
        e: [getattr(p, f) for f in fields] for e, p in before.items()}
    assert loaded.exec(select(Occupancy.fte).join(Person).where(
        Person.employee_ref == "E3")).one() == Decimal("0.5")
    assert loaded.exec(select(Post.title).where(Post.post_ref == "P3")).one() == "Network Lead"


def test_keep_people_lists_the_people_whose_post_the_upload_removes(loaded):
    errors = refused(loaded, _posts_only(POSTS[:2] + POSTS[3:]), keep_people=True)
    assert errors == [RowError("people", None, "post_id", (
        "I1 (Zoë Hartley) is in post P3, which this upload removes: add the post back, or "
        "upload a people sheet that says where they go."))]


def test_kept_people_are_checked_against_the_new_posts(loaded):
    errors = refused(loaded, _posts_only(edit(POSTS, 1, grade="PO3")), keep_people=True)
    assert errors == [RowError("people", None, "scp", (
        "E2 (kept): Spinal point 47 is outside grade PO3 (SCP 37–40)."))]


def test_posts_alone_into_an_establishment_without_people_need_no_choice(session):
    summary = import_establishment(session=session, actor=SYSTEM, today=TODAY,
                                   files=_posts_only())
    assert (summary.posts, summary.people) == (4, 0)


# --- check, then write: the write transaction holds the write alone (issue 10) ----------------


def test_prepared_import_writes_what_was_checked(session):
    from planner.establishment.importer import prepare_import

    prepared = prepare_import(session=session, actor=SYSTEM, files=files(), today=TODAY)
    session.rollback()
    assert session.exec(select(func.count()).select_from(Post)).one() == 0
    summary = import_establishment(session=session, actor=SYSTEM, prepared=prepared)
    session.commit()
    assert (summary.posts, summary.people, summary.occupancies) == (4, 5, 5)


def test_prepared_import_is_refused_when_the_establishment_changed_meanwhile(loaded):
    from planner.establishment.importer import prepare_import

    prepared = prepare_import(session=loaded, actor=SYSTEM, files=files(), today=TODAY)
    loaded.rollback()
    import_establishment(session=loaded, actor=SYSTEM, files=files(), today=TODAY)
    loaded.commit()
    errors = refused(loaded, [], prepared=prepared)
    assert errors == [RowError("upload", None, "", (
        "The establishment changed while the files were being checked; nothing was imported. "
        "Import them again."))]


def test_prepared_import_is_only_for_whoever_checked_it(session):
    from planner.establishment.importer import prepare_import

    actors = make_actors(session)
    prepared = prepare_import(session=session, actor=actors["hr"], files=files(), today=TODAY)
    with pytest.raises(PermissionDenied):
        import_establishment(session=session, actor=actors["admin"], prepared=prepared)
    with pytest.raises(PermissionDenied):
        prepare_import(session=session, actor=actors["manager"], files=files(), today=TODAY)


# --- fuzz: whatever the bytes, tables or located errors, never another exception --------------

FUZZ_GRADES = {g: GradeBand(g, lo, hi, i) for i, (g, lo, hi) in enumerate(
    [("SO1", 23, 26), ("PO3", 37, 40), ("PO6", 46, 49), ("SM2", 60, 63)])}
VALID_CSV = {"posts.csv": csv_bytes(frame(POSTS)), "people.csv": csv_bytes(frame(PEOPLE))}
VALID_XLSX = _xlsx({"posts": [list(POSTS[0]), *[list(r.values()) for r in POSTS]],
                    "people": [list(PEOPLE[0]), *[list(r.values()) for r in PEOPLE]]})


def _read_and_check(upload: list[tuple[str, bytes]]) -> None:
    """What the import does before it writes, minus the database: it may refuse, not crash."""
    tables, errors = read_upload(upload)
    for e in errors:
        assert isinstance(e, RowError) and e.message
        e.message.encode("utf-8")  # shown on the page and stored: must be text
    if not errors:
        for e in validate_tables(tables, grades=FUZZ_GRADES, partner_names=["Lewisham"],
                                 today=TODAY):
            assert isinstance(e, RowError)


def _mutate(data: bytes, edits: list[tuple[int, int, bytes]]) -> bytes:
    out = bytearray(data)
    for where, cut, insert in edits:
        i = where % (len(out) + 1)
        out[i:i + cut] = insert
    return bytes(out)


EDITS = st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 4),
                           st.binary(max_size=4) | st.sampled_from(
                               [b'"', b",", b"\r", b"\n", b"\x00", b"\xef\xbb\xbf", b"\xe9",
                                b"=1+1", b"'", b"  "])), max_size=6)


@settings(max_examples=150)
@given(data=st.binary(max_size=3000), name=st.sampled_from(["posts.csv", "e.xlsx", "people.csv"]))
def test_fuzz_random_bytes(data, name):
    _read_and_check([(name, data)])


@settings(max_examples=200)
@given(name=st.sampled_from(sorted(VALID_CSV)), edits=EDITS)
def test_fuzz_mutated_csv(name, edits):
    _read_and_check([(name, _mutate(VALID_CSV[name], edits)),
                     *[(n, d) for n, d in VALID_CSV.items() if n != name]])


@settings(max_examples=100)
@given(edits=EDITS, member=st.sampled_from(["xl/worksheets/sheet1.xml", "xl/worksheets/sheet2.xml",
                                            "xl/workbook.xml", None]))
def test_fuzz_mutated_xlsx(edits, member):
    """Raw bytes of the zip, or one part's XML mutated and zipped again (reaching the parser)."""
    if member is None:
        data = _mutate(VALID_XLSX, edits)
    else:
        data = _rewrite_member(VALID_XLSX, member, lambda xml: _mutate(xml, edits))
    _read_and_check([("e.xlsx", data)])


def test_a_zip_claiming_a_version_python_cannot_read_is_refused_as_damaged():
    """Catches: a workbook whose damaged header claims zip version 6.4 crashing the import
    with NotImplementedError (found by test_fuzz_mutated_xlsx) instead of being refused."""
    data = bytearray(VALID_XLSX)
    central = data.index(b"PK\x01\x02")  # the first central directory entry
    data[central + 6:central + 8] = (64).to_bytes(2, "little")  # version needed: 6.4
    tables, errors = read_upload([("e.xlsx", bytes(data))])
    assert [e.message for e in errors] == ["The workbook is damaged (not a valid zip)."]


def test_inline_rich_text_reads_as_its_runs_without_phonetics():
    """The reader's quicker inline-string parse gives what openpyxl's `Text.content` gives."""
    rows = ('<row r="1"><c r="A1" t="inlineStr"><is><t>post_id</t></is></c>'
            '<c r="B1" t="inlineStr"><is><r><t>ti</t></r><r><rPr><b/></rPr><t>tle</t></r>'
            '<rPh sb="0" eb="1"><t>X</t></rPh></is></c>'
            '<c r="C1" t="inlineStr"><is><t xml:space="preserve"> grade </t></is></c></row>'
            '<row r="2"><c r="A2" t="inlineStr"><is><t>P1</t></is></c>'
            '<c r="B2" t="inlineStr"><is><r><t xml:space="preserve">Head </t></r><r><t>of IT</t></r>'
            '</is></c><c r="C2" t="inlineStr"><is><t>PO1</t></is></c></row>')
    data = _rewrite_member(_xlsx({"posts": [["x"]]}), "xl/worksheets/sheet1.xml",
                           lambda _: _sheet_xml(rows))
    tables, errors = read_upload([("e.xlsx", data)])
    assert errors == []
    assert tables.posts[["post_id", "title", "grade"]].to_dict("records") == [
        {"post_id": "P1", "title": "Head of IT", "grade": "PO1"}]


def test_the_import_audit_keeps_the_rows_it_replaced(loaded):
    """Catches: an import's audit keeping counts only (issue 10): what was replaced could not
    be read back. Changed and removed rows are kept as the export writes them; unchanged
    rows are not repeated."""
    posts = edit([r for r in POSTS if r["post_id"] != "P4"], 2, title="Senior Network Engineer")
    people = [r for r in PEOPLE if r["post_id"] != "P4"]
    import_establishment(session=loaded, actor=SYSTEM, files=files(posts, people), today=TODAY)
    loaded.commit()
    event = loaded.exec(select(AuditEvent).where(AuditEvent.action == "import")
                        .order_by(AuditEvent.id.desc())).first()
    replaced = event.before["replaced"]
    assert sorted((r["post_id"], r["title"]) for r in replaced["posts"]) == [
        ("P3", "Network Engineer"), ("P4", "Service Desk Analyst")]
    assert sorted(r["employee_id"] for r in replaced["people"]) == sorted(
        r["employee_id"] for r in PEOPLE if r["post_id"] == "P4")
    assert replaced["people"][0]["date_of_birth"]  # the whole row, as exported


# --- progress (issue 16) ---------------------------------------------------------------------


def test_progress_is_heard_stage_by_stage_up_to_done(session):
    heard: list[tuple[float, str]] = []
    import_establishment(session=session, actor=SYSTEM, files=files(), today=TODAY,
                         progress=lambda f, m: heard.append((f, m)))
    fractions = [f for f, _ in heard]
    assert len(heard) >= 6 and fractions[0] == 0.0 and fractions[-1] == 1.0
    assert all(a < b for a, b in zip(fractions, fractions[1:], strict=False))
    assert ("Checking 4 posts and 5 people…" in [m for _, m in heard])
    assert heard[-1][1] == "Imported 4 posts and 5 people."


def test_prepare_then_write_each_reach_done(session):
    from planner.establishment.importer import prepare_import

    checked: list[tuple[float, str]] = []
    written: list[tuple[float, str]] = []
    prepared = prepare_import(session=session, actor=SYSTEM, files=files(), today=TODAY,
                              progress=lambda f, m: checked.append((f, m)))
    import_establishment(session=session, actor=SYSTEM, prepared=prepared,
                         progress=lambda f, m: written.append((f, m)))
    for heard in (checked, written):
        fractions = [f for f, _ in heard]
        assert fractions == sorted(fractions) and fractions[0] == 0.0 and fractions[-1] == 1.0
    assert checked[0][1] == "Reading posts.csv, people.csv…"
    assert checked[-1][1] == "Checked 4 posts and 5 people: no problems found."


def test_a_refused_import_never_says_done(session):
    heard: list[tuple[float, str]] = []
    with pytest.raises(ValidationFailed):
        import_establishment(session=session, actor=SYSTEM, today=TODAY,
                             files=files(edit(POSTS, 1, grade="XX")),
                             progress=lambda f, m: heard.append((f, m)))
    assert heard and max(f for f, _ in heard) < 1.0
