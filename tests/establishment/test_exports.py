"""Export then import gives back the same structure; exported cells cannot run as formulas."""

from __future__ import annotations

import datetime as dt
import io
import zipfile

import pytest
from openpyxl import load_workbook

from planner.core.auth import SYSTEM
from planner.core.errors import PermissionDenied
from planner.core.spreadsheets import neutralise
from planner.establishment.exports import export_csv_zip, export_tables, export_xlsx, template_xlsx
from planner.establishment.importer import import_establishment
from planner.establishment.readers import COLUMNS
from tests.establishment.test_importer import PEOPLE, POSTS, TODAY, edit, files
from tests.factories import make_actors

TRICKY_POSTS = edit(edit(POSTS, 0, notes="=HYPERLINK(\"http://evil\",\"click\")"), 1,
                    title="+44 line manager", team="@risk team")
TRICKY_PEOPLE = edit(PEOPLE, 0, name="-Dash Person", annual_salary="61234.56")


def _tables(session):
    return {k: v.to_dict("records") for k, v in export_tables(session=session, actor=SYSTEM).items()}


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_export_then_import_gives_back_the_same_structure(session, fmt):
    import_establishment(session=session, actor=SYSTEM, files=files(TRICKY_POSTS, TRICKY_PEOPLE),
                         today=TODAY)
    first = _tables(session)
    if fmt == "xlsx":
        upload = [("establishment.xlsx", export_xlsx(session=session, actor=SYSTEM))]
    else:
        with zipfile.ZipFile(io.BytesIO(export_csv_zip(session=session, actor=SYSTEM))) as zf:
            upload = [(n, zf.read(n)) for n in zf.namelist()]
    import_establishment(session=session, actor=SYSTEM, files=upload, today=TODAY)
    assert _tables(session) == first
    assert first["posts"][0]["notes"] == "=HYPERLINK(\"http://evil\",\"click\")"
    assert first["people"][0]["annual_salary"] == "61234.56"


def test_exported_text_is_neutralised_in_xlsx_and_csv(session):
    import_establishment(session=session, actor=SYSTEM, files=files(TRICKY_POSTS, TRICKY_PEOPLE),
                         today=TODAY)
    wb = load_workbook(io.BytesIO(export_xlsx(session=session, actor=SYSTEM)))
    ws = wb["posts"]
    cells = [c for row in ws.iter_rows() for c in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    assert ws["J2"].value == "'=HYPERLINK(\"http://evil\",\"click\")"
    assert ws["B3"].value == "'+44 line manager" and ws["D3"].value == "'@risk team"
    people = wb["people"]
    assert people["B2"].value == "'-Dash Person"
    assert isinstance(people["I2"].value, dt.datetime)  # a real Excel date
    assert people["E2"].value == 1 and people["G2"].value == pytest.approx(61234.56)
    with zipfile.ZipFile(io.BytesIO(export_csv_zip(session=session, actor=SYSTEM))) as zf:
        posts_csv = zf.read("posts.csv")
    assert posts_csv.startswith(b"\xef\xbb\xbf")
    assert "'=HYPERLINK" in posts_csv.decode("utf-8-sig")


@pytest.mark.parametrize(("value", "expected"), [
    ("=1+1", "'=1+1"), ("+1", "'+1"), ("-1", "'-1"), ("@SUM(A1)", "'@SUM(A1)"),
    ("\tx", "'\tx"), ("plain", "plain"), ("", ""), ("a=b", "a=b"),
])
def test_neutralise(value, expected):
    assert neutralise(value) == expected


def test_template_has_the_interchange_columns():
    wb = load_workbook(io.BytesIO(template_xlsx()))
    assert wb.sheetnames == list(COLUMNS)
    for sheet, columns in COLUMNS.items():
        assert [c.value for c in wb[sheet][1]] == list(columns)


def test_export_refused_for_union(session):
    import_establishment(session=session, actor=SYSTEM, files=files(), today=TODAY)
    actors = make_actors(session)
    with pytest.raises(PermissionDenied):
        export_xlsx(session=session, actor=actors["union"])
    assert export_xlsx(session=session, actor=actors["manager"])


def test_template_has_the_equality_sheet_but_exports_never_do(session):
    """Catches: the equality sheet missing from the template (HR would not know its columns),
    or anyone's equality answers leaving in an export, whoever exports."""
    from planner.core.models import EQUALITY_FIELDS, EqualityRecord

    wb = load_workbook(io.BytesIO(template_xlsx()))
    assert [c.value for c in wb["equality"][1]] == ["employee_id", *EQUALITY_FIELDS]
    assert wb["equality"].max_row == 1
    import_establishment(session=session, actor=SYSTEM, files=files(), today=TODAY)
    session.add(EqualityRecord(employee_ref="E1", sex="Female", disability="Disabled"))
    session.flush()
    actors = make_actors(session)
    for actor in (actors["hr"], actors["admin"], actors["manager"]):
        assert list(export_tables(session=session, actor=actor)) == ["posts", "people",
                                                                     "partners"]
        book = load_workbook(io.BytesIO(export_xlsx(session=session, actor=actor)))
        assert book.sheetnames == ["posts", "people", "partners"]
        with zipfile.ZipFile(io.BytesIO(export_csv_zip(session=session, actor=actor))) as zf:
            assert "equality.csv" not in zf.namelist()
            assert not any(b"Disabled" in zf.read(n) for n in zf.namelist())


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_export_then_import_gives_back_the_same_partners(session, fmt):
    """Catches: an export listing retired partners or leaving out kind and host, so that its
    own import refuses it ("The shares add up to 200%") or moves the host (issue 17)."""
    from sqlmodel import select

    from planner.core.models import Partner
    from planner.structures.costing import cost_structure
    from tests.establishment.test_importer import TWO_COUNCILS, csv_bytes, frame, two_council_posts

    import_establishment(session=session, actor=SYSTEM, today=TODAY, files=[
        *files(two_council_posts()), ("partners.csv", csv_bytes(frame(TWO_COUNCILS)))])

    def partners():
        return sorted((p.name, p.kind, p.is_host, p.share_bp, p.active)
                      for p in session.exec(select(Partner)))

    first, before = _tables(session), partners()
    assert first["partners"] == [
        {"partner": "Northshire", "kind": "council", "host": "yes", "share": "60",
         "lgps_employer_rate": "20", "london_weighting": "0"},
        {"partner": "Southby", "kind": "council", "host": "no", "share": "40",
         "lgps_employer_rate": "20", "london_weighting": "0"}]
    cost = cost_structure(session=session, actor=SYSTEM).full_year_total
    if fmt == "xlsx":
        upload = [("establishment.xlsx", export_xlsx(session=session, actor=SYSTEM))]
    else:
        with zipfile.ZipFile(io.BytesIO(export_csv_zip(session=session, actor=SYSTEM))) as zf:
            upload = [(n, zf.read(n)) for n in zf.namelist()]
    import_establishment(session=session, actor=SYSTEM, files=upload, today=TODAY)
    assert _tables(session) == first and partners() == before
    assert cost_structure(session=session, actor=SYSTEM).full_year_total == cost


@pytest.mark.parametrize("export", [export_xlsx, export_csv_zip])
def test_an_export_reports_its_stages_up_to_done(session, export):
    """Issue 16: the page and the command line say what a long export is doing."""
    import_establishment(session=session, actor=SYSTEM, files=files(), today=TODAY)
    heard: list[tuple[float, str]] = []
    plain = export(session=session, actor=SYSTEM)
    told = export(session=session, actor=SYSTEM, progress=lambda f, m: heard.append((f, m)))
    fractions = [f for f, _ in heard]
    assert len(heard) >= 4 and fractions[0] == 0.0 and fractions[-1] == 1.0
    assert all(a < b for a, b in zip(fractions, fractions[1:], strict=False))
    assert heard[0][1] == "Reading the establishment…"
    assert heard[-1][1] == "Exported 4 posts and 5 people."
    if export is export_csv_zip:  # the same files, told or not

        def members(data: bytes) -> dict[str, bytes]:
            with zipfile.ZipFile(io.BytesIO(data)) as zf:
                return {n: zf.read(n) for n in zf.namelist()}

        assert members(told) == members(plain)
