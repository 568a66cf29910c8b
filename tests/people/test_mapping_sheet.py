"""The mapping workbook round trip (issue 12 item 8): download, edit as Excel would, upload.

The world is tests.people.test_mapping's: E01..E06 in P01..P06; the option deletes P01-P03,
regrades P04 and adds N1 and N2.
"""

from __future__ import annotations

import io

import openpyxl
import pytest
from sqlmodel import select

from planner.core.errors import PermissionDenied, StaleVersion, ValidationFailed
from planner.core.models import AuditEvent, PersonMapping
from planner.people import mapping as m
from planner.people import mapping_sheet as ms
from tests.people.test_mapping import _save, _version


def _download(session, actor, oid) -> bytes:
    return ms.mapping_workbook(session=session, actor=actor, structure=oid)


def _edit(
    data: bytes,
    changes: dict[tuple[str, str], object],
    *,
    drop: str | None = None,
    sheet: str = "mapping",
) -> bytes:
    """The workbook with cells changed by (employee_id, column), as a person does in Excel."""
    wb = openpyxl.load_workbook(io.BytesIO(data))
    ws = wb[sheet]
    header = [c.value for c in ws[1]]
    rows = {ws.cell(r, 1).value: r for r in range(2, ws.max_row + 1)}
    for (ref, col), value in changes.items():
        ws.cell(rows[ref], header.index(col) + 1).value = value
    if drop:
        ws.delete_cols(header.index(drop) + 1)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _upload(session, actor, oid, data: bytes) -> ms.MappingUpload:
    return ms.upload_mapping(
        session=session, actor=actor, structure=oid, files=[("mapping.xlsx", data)]
    )


def _stored(session) -> dict[str, PersonMapping]:
    from planner.core.models import Person

    session.expire_all()
    refs = {p.id: p.employee_ref for p in session.exec(select(Person))}
    return {refs[r.person_id]: r for r in session.exec(select(PersonMapping))}


def test_the_workbook_holds_the_mapping_the_option_and_its_posts(world):
    session, actors, oid = world
    wb = openpyxl.load_workbook(io.BytesIO(_download(session, actors["manager"], oid)))
    assert wb.sheetnames == ["mapping", "about", "posts", "pools"]
    header = [c.value for c in wb["mapping"][1]]
    assert header[:3] == ["employee_id", "name", "contract"] and "pension_strain" not in header
    rows = {
        r[0]: dict(zip(header, r, strict=True))
        for r in wb["mapping"].iter_rows(min_row=2, values_only=True)
    }
    assert sorted(rows) == ["E01", "E02", "E03", "E04", "E05", "E06"]
    assert rows["E05"]["outcome"] == "unchanged" and rows["E01"]["outcome"] is None
    about = {f: v for f, v in wb["about"].iter_rows(min_row=2, values_only=True)}
    assert about["option"] == "Option M" and about["version"] == str(_version(session, oid))
    posts = [r[0] for r in wb["posts"].iter_rows(min_row=2, values_only=True)]
    assert {"N1", "N2", "P04"} <= set(posts) and "P01" not in posts


def test_an_untouched_download_changes_nothing(world):
    session, actors, oid = world
    before = _version(session, oid)
    result = _upload(session, actors["manager"], oid, _download(session, actors["manager"], oid))
    assert result.changed == () and result.version == before
    assert not m.has_mapping(session, oid)


def test_edits_made_in_excel_are_saved_with_one_audit_event(world):
    session, actors, oid = world
    data = _edit(
        _download(session, actors["manager"], oid),
        {
            ("E01", "outcome"): "slotted",
            ("E01", "option_post_id"): "N1",
            ("E02", "outcome"): "at-risk",
            ("E02", "on_family_leave"): "yes",
            ("E04", "outcome"): "slotted",
            ("E04", "option_post_id"): "P04",
            ("E04", "duties_match"): 85,
            ("E05", "note"): "'=1+1 stays text",
        },
    )
    events = len(session.exec(select(AuditEvent)).all())
    result = _upload(session, actors["manager"], oid, data)
    session.commit()
    assert sorted(result.changed) == ["E01", "E02", "E04", "E05"]
    stored = _stored(session)
    assert (stored["E01"].outcome, stored["E01"].post_id is not None) == ("slotted", True)
    assert (stored["E02"].outcome, stored["E02"].on_family_leave) == ("at-risk", True)
    assert stored["E04"].duties_match == 85
    assert (stored["E05"].outcome, stored["E05"].note) == ("unchanged", "=1+1 stays text")
    assert len(session.exec(select(AuditEvent)).all()) == events + 1
    # Downloaded again, the formula-like note is inert text and reads back the same.
    again = openpyxl.load_workbook(io.BytesIO(_download(session, actors["manager"], oid)))
    header = [c.value for c in again["mapping"][1]]
    note = {
        r[0]: r[header.index("note")]
        for r in again["mapping"].iter_rows(min_row=2, values_only=True)
    }["E05"]
    assert note == "'=1+1 stays text"
    assert (
        _upload(session, actors["manager"], oid, _download(session, actors["manager"], oid)).changed
        == ()
    )


def test_every_problem_located_and_nothing_saved(world):
    session, actors, oid = world
    data = _edit(
        _download(session, actors["manager"], oid),
        {
            ("E01", "outcome"): "slotted",
            ("E01", "option_post_id"): "N1",  # good on its own
            ("E02", "outcome"): "sacked",
            ("E03", "duties_match"): "most",
            ("E04", "on_family_leave"): "maybe",
            ("E06", "outcome"): "slotted",
            ("E06", "option_post_id"): "P01",
        },
    )
    with pytest.raises(ValidationFailed) as caught:
        _upload(session, actors["manager"], oid, data)
    got = {(e.sheet, e.row, e.column) for e in caught.value.errors}
    # Rows are the workbook's: the header is row 1, E01 is row 2. A cell that cannot be read
    # stops the upload before the mapping is checked; then the mapping's own problems.
    assert got == {("mapping", 4, "duties_match"), ("mapping", 5, "on_family_leave")}
    session.rollback()
    with pytest.raises(ValidationFailed) as caught:
        _upload(
            session,
            actors["manager"],
            oid,
            _edit(data, {("E03", "duties_match"): None, ("E04", "on_family_leave"): "no"}),
        )
    got = {(e.row, e.column) for e in caught.value.errors}
    assert got == {(3, "outcome"), (7, "option_post_id")}
    assert all(e.message.startswith(("E02 (", "E06 (")) for e in caught.value.errors)
    session.rollback()
    assert not m.has_mapping(session, oid)


def test_a_stale_workbook_is_refused(world):
    session, actors, oid = world
    data = _edit(_download(session, actors["manager"], oid), {("E02", "outcome"): "at-risk"})
    _save(session, actors["hr"], oid, [{"employee_id": "E03", "outcome": "at-risk"}])
    session.commit()
    with pytest.raises(StaleVersion):
        _upload(session, actors["manager"], oid, data)
    session.rollback()
    assert sorted(_stored(session)) == ["E03"]


def test_another_options_workbook_is_refused(world):
    from planner.structures.options import create_option

    session, actors, oid = world
    other = create_option(session=session, actor=actors["manager"], name="Option N")
    session.commit()
    data = _download(session, actors["manager"], oid)
    with pytest.raises(ValidationFailed) as caught:
        _upload(session, actors["manager"], other.id, data)
    [error] = caught.value.errors
    assert error.sheet == "about" and "mapping of Option M, not of Option N" in error.message


def test_a_column_left_out_changes_nothing(world):
    session, actors, oid = world
    _save(
        session,
        actors["hr"],
        oid,
        [{"employee_id": "E02", "outcome": "at-risk", "note": "keep me"}],
    )
    session.commit()
    data = _edit(
        _download(session, actors["manager"], oid), {("E03", "outcome"): "at-risk"}, drop="note"
    )
    assert _upload(session, actors["manager"], oid, data).changed == ("E03",)
    assert _stored(session)["E02"].note == "keep me"


def test_the_strain_figure_is_hrs_alone(world):
    session, actors, oid = world
    _save(
        session,
        actors["hr"],
        oid,
        [{"employee_id": "E06", "outcome": "voluntary-redundancy", "strain_fund_pence": 1_234_500}],
    )
    session.commit()
    hr_book = _download(session, actors["hr"], oid)
    header = [c.value for c in openpyxl.load_workbook(io.BytesIO(hr_book))["mapping"][1]]
    assert "pension_strain" in header
    _upload(session, actors["hr"], oid, _edit(hr_book, {("E06", "pension_strain"): "20000.50"}))
    session.commit()
    assert _stored(session)["E06"].strain_fund_pence == 2_000_050
    # The manager's download has no such column, and a manager cannot fill one in.
    manager_book = _download(session, actors["manager"], oid)
    assert b"2000050" not in manager_book and b"20000.50" not in manager_book
    with pytest.raises(ValidationFailed) as caught:
        _upload(
            session,
            actors["manager"],
            oid,
            _edit(hr_book_at(session, actors, oid), {("E06", "pension_strain"): "1"}),
        )
    assert [e.column for e in caught.value.errors] == ["pension_strain"]


def hr_book_at(session, actors, oid) -> bytes:
    return _download(session, actors["hr"], oid)


def test_a_union_rep_can_neither_download_nor_upload(world):
    session, actors, oid = world
    with pytest.raises(PermissionDenied):
        _download(session, actors["union"], oid)
    with pytest.raises(PermissionDenied):
        _upload(session, actors["union"], oid, b"")


@pytest.mark.parametrize(
    ("name", "data", "words"),
    [
        ("mapping.xlsx", b"PK\x03\x04 not really a zip", "damaged"),
        ("mapping.xlsx", b"employee_id,outcome\n", "not an Excel workbook"),
        ("mapping.pdf", b"%PDF-1.7", "Upload the mapping workbook"),
    ],
)
def test_a_file_that_is_not_the_workbook_is_an_error_not_a_traceback(world, name, data, words):
    session, actors, oid = world
    with pytest.raises(ValidationFailed) as caught:
        ms.upload_mapping(
            session=session, actor=actors["manager"], structure=oid, files=[(name, data)]
        )
    assert any(words in e.message for e in caught.value.errors)


def test_a_workbook_without_its_about_sheet_is_refused(world):
    session, actors, oid = world
    wb = openpyxl.load_workbook(io.BytesIO(_download(session, actors["manager"], oid)))
    del wb["about"]
    buf = io.BytesIO()
    wb.save(buf)
    with pytest.raises(ValidationFailed) as caught:
        _upload(session, actors["manager"], oid, buf.getvalue())
    assert [e.sheet for e in caught.value.errors] == ["about"]
