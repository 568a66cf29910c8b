"""The importer against a corpus of bad files: each case names the exact error it must return,
and proves that nothing in the database changed (imports are all-or-nothing)."""

from __future__ import annotations

import datetime as dt
import io
import zipfile

import pandas as pd
import pytest
from openpyxl import Workbook
from sqlalchemy import func
from sqlmodel import Session, select

from planner.auth import SYSTEM
from planner.config import Settings
from planner.errors import PermissionDenied, RowError, ValidationFailed
from planner.importer import (
    import_establishment,
    parse_date,
    read_upload,
    reporting_cycles,
)
from planner.models import AuditEvent, Occupancy, Partner, Person, Post, Structure
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
    monkeypatch.setattr("planner.importer.get_settings", lambda: settings)
    errors = refused(loaded, files())
    assert errors[0] == RowError("posts.csv", None, "", (
        f"The file is {len(files()[0][1]) / 1024 / 1024:.1f} MB; the limit is 0.0 MB. Split it or "
        "ask an administrator to raise PLANNER_MAX_UPLOAD_BYTES."))


def test_too_many_rows(loaded, monkeypatch):
    settings = Settings(max_import_rows=3)
    monkeypatch.setattr("planner.importer.get_settings", lambda: settings)
    errors = refused(loaded, files())
    assert RowError("posts", None, "", "4 rows is more than the limit of 3 rows.") in errors


def test_zip_bomb_is_not_unpacked(loaded, monkeypatch):
    """A tiny file that would inflate to 10 MB is refused from its zip directory alone."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("xl/worksheets/sheet1.xml", b"0" * 10_000_000)
    assert len(buf.getvalue()) < 50_000
    settings = Settings(max_xlsx_uncompressed_bytes=1_000_000)
    monkeypatch.setattr("planner.importer.get_settings", lambda: settings)
    errors = refused(loaded, [("bomb.xlsx", buf.getvalue())])
    assert errors == [RowError("bomb.xlsx", None, "", "The workbook unpacks to 9.5 MB, more than "
                               "the limit of 1.0 MB; it was not opened.")]


def test_zip_with_too_many_members(loaded, monkeypatch):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for i in range(30):
            zf.writestr(f"m{i}.xml", b"x")
    monkeypatch.setattr("planner.importer.get_settings", lambda: Settings(max_xlsx_members=20))
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


def test_refused_while_options_exist(loaded):
    loaded.add(Structure(name="Option A", kind="option", status="draft"))
    loaded.commit()
    errors = refused(loaded, files())
    assert errors[0].message.startswith("Structure options are built on the current establishment")


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
    from planner.models import EqualityRecord

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
    from planner.models import EqualityRecord

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
    from planner.models import EqualityRecord

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
