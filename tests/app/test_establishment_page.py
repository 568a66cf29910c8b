"""The establishment page: figures, filters, the editor's save path, import and speed."""

from __future__ import annotations

import time
from decimal import Decimal

import pandas as pd
import pytest
from sqlalchemy import insert
from sqlmodel import select
from streamlit.testing.v1 import AppTest

from planner.core.models import AuditEvent, Occupancy, Person, Post, Structure
from planner.establishment.register import Metrics
from planner.ui import establishment as ui
from tests.app.conftest import all_text, app_as

PAGE = "pages/establishment.py"
TAB_KEY = "establishment_tab"


def _open_tab(at: AppTest, tab: str) -> AppTest:
    at.session_state[TAB_KEY] = tab
    return at.run()


def _editor(at: AppTest):
    editors = list(at.data_editor)
    assert len(editors) == 1
    return editors[0]


def _table(at: AppTest, first_column: str):
    """The one st.dataframe whose first column is `first_column` (AppTest drops their keys)."""
    found = [d.value for d in at.dataframe
             if d.editing_mode == "read_only" and list(d.value.columns)[:1] == [first_column]]
    assert len(found) == 1, f"{len(found)} tables starting with {first_column!r}"
    return found[0]


def _post(db, ref: str) -> Post:
    with db.session() as s:
        return s.exec(select(Post).where(Post.post_ref == ref)).one()


def test_headline_metrics_show_the_hand_counted_figures(app_db):
    """Catches: metrics wired to the wrong Metrics fields, or formatted wrongly (FTE places)."""
    at = app_as(app_db.actors["hr"])
    assert {m.label: m.value for m in at.metric} == {
        "Posts": "6", "Establishment FTE": "5.1", "Staff in post FTE": "2.8",
        "Without an employee": "3", "Covered by interim": "2"}
    assert "Employees by origin: Brent 1 · Capita 1 · Lewisham 2" in all_text(at)


def test_register_table_hides_internal_columns(app_db):
    """Catches: id/version/fte_value leaking into the table, or the table not shown at all."""
    at = app_as(app_db.actors["manager"])
    table = _table(at, "post_id")
    assert list(table.columns) == ui.TABLE_COLUMNS
    assert len(table) == 6
    assert {"id", "version", "fte_value"}.isdisjoint(table.columns)


def test_filters_narrow_the_table_and_the_count(app_db):
    """Catches: filters built but not applied (or applied to the metrics instead)."""
    at = app_as(app_db.actors["hr"])
    at.multiselect(key="filter_status").set_value(["Vacant", "Covered by interim"]).run()
    table = _table(at, "post_id")
    assert sorted(table["post_id"]) == ["M2", "O1", "O2"]
    assert "Showing 3 of 6 posts." in all_text(at)
    assert {m.label: m.value for m in at.metric}["Posts"] == "6"  # headline stays whole


@pytest.mark.parametrize(("role", "tabs"), [
    ("manager", ["Register", "Edit posts", "Import and export"]),
    ("hr", ["Register", "Edit posts", "Import and export"]),
    ("admin", ["Register", "Import and export"]),
])
def test_tabs_follow_the_permissions(app_db, role, tabs):
    """Catches: the editor offered to admin (who may not edit) or import offered to a manager."""
    at = app_as(app_db.actors[role])
    assert [t.label for t in at.tabs] == tabs
    at = _open_tab(at, "Import and export")
    uploaders = list(at.file_uploader)
    assert bool(uploaders) == (role in ("hr", "admin"))
    labels = [b.label for b in at.get("download_button")]
    assert "Download workbook (.xlsx)" in labels


def test_saving_an_edit_writes_audits_and_refreshes(app_db):
    """Catches: Save not turning the editor delta into apply_post_edits, caches not cleared
    (the page showing the old title), or the editor keeping the saved delta afterwards."""
    at = _open_tab(app_as(app_db.actors["hr"]), "Edit posts")
    editor = _editor(at)
    original = editor.value
    pos = int(original.index[original["post_id"] == "O2"][0])
    at.session_state[editor.key] = {"edited_rows": {pos: {"title": "Senior Officer"}},
                                    "added_rows": [], "deleted_rows": []}
    at.run()
    at.button(key="save_posts").click().run()
    assert not at.exception, at.exception
    assert _post(app_db, "O2").title == "Senior Officer"
    assert any("Saved" in s.value for s in at.success)
    with app_db.session() as s:
        events = s.exec(select(AuditEvent).where(AuditEvent.entity == "post")).all()
        assert [(e.action, e.after["title"]) for e in events] == [("update", "Senior Officer")]
        assert s.exec(select(Structure.version)).one() == 2
    new_editor = _editor(at)
    assert new_editor.key != editor.key
    assert "Senior Officer" in list(new_editor.value["title"])


def test_an_invalid_edit_shows_every_error_and_keeps_the_edits(app_db):
    """Catches: a refused save that loses the user's edits, hides the reasons, or half-writes."""
    at = _open_tab(app_as(app_db.actors["manager"]), "Edit posts")
    editor = _editor(at)
    original = editor.value
    pos = int(original.index[original["post_id"] == "O2"][0])
    delta = {"edited_rows": {pos: {"grade": "ZZ9", "title": "Renamed"}}, "added_rows": [],
             "deleted_rows": []}
    at.session_state[editor.key] = delta
    at.run()
    at.button(key="save_posts").click().run()
    assert not at.exception, at.exception
    assert any("nothing was saved" in e.value for e in at.error)
    errors = _table(at, "sheet")
    assert list(errors.columns) == ["sheet", "row", "column", "message"]
    assert "grade" in list(errors["column"])
    assert at.session_state[editor.key]["edited_rows"] == delta["edited_rows"]
    assert _editor(at).key == editor.key
    assert _post(app_db, "O2").title == "Officer"


def test_deleting_an_occupied_post_is_refused(app_db):
    """Catches: deleted_rows ignored by the save path, or a deletion that orphans people."""
    at = _open_tab(app_as(app_db.actors["hr"]), "Edit posts")
    editor = _editor(at)
    pos = int(editor.value.index[editor.value["post_id"] == "O3"][0])
    at.session_state[editor.key] = {"edited_rows": {}, "added_rows": [], "deleted_rows": [pos]}
    at.run()
    at.button(key="save_posts").click().run()
    errors = _table(at, "sheet")
    assert any("has occupants" in m for m in errors["message"])
    assert _post(app_db, "O3").title == "Officer"


def test_adding_a_post_through_the_editor(app_db):
    """Catches: added_rows dropped on the way to apply_post_edits."""
    at = _open_tab(app_as(app_db.actors["hr"]), "Edit posts")
    editor = _editor(at)
    at.session_state[editor.key] = {
        "edited_rows": {}, "deleted_rows": [],
        "added_rows": [{"post_id": "N1", "title": "New Analyst", "grade": "PO3",
                        "reports_to": "M2", "fte": "1"}]}
    at.run()
    at.button(key="save_posts").click().run()
    assert not at.exception, at.exception
    assert _post(app_db, "N1").title == "New Analyst"


def _rename(app_db, ref: str, new: str) -> AppTest:
    at = _open_tab(app_as(app_db.actors["hr"]), "Edit posts")
    editor = _editor(at)
    pos = int(editor.value.index[editor.value["post_id"] == ref][0])
    at.session_state[editor.key] = {"edited_rows": {pos: {"post_id": new}},
                                    "added_rows": [], "deleted_rows": []}
    at.run()
    return at.button(key="save_posts").click().run()


def test_renaming_a_post_nobody_reports_to(app_db):
    """Catches: the Post column locked (new ids could not be typed either) or a rename lost."""
    at = _rename(app_db, "O2", "O9")
    assert not at.exception, at.exception
    assert _post(app_db, "O9").title == "Officer"


def test_renaming_a_post_with_reports_is_refused_plainly(app_db):
    """Catches: a manager's rename reaching apply_post_edits, whose reports would then point
    at an id that no longer exists (a row of confusing errors, or a crash)."""
    at = _rename(app_db, "M1", "M9")
    assert not at.exception, at.exception
    assert any("M1 has posts reporting to it" in e.value for e in at.error)
    assert _post(app_db, "M1").title == "Team Leader"


def test_a_stale_edit_is_refused_with_a_clear_message(app_db):
    """Catches: a lost update when someone else saved the same post since the page loaded."""
    at = _open_tab(app_as(app_db.actors["hr"]), "Edit posts")
    editor = _editor(at)
    pos = int(editor.value.index[editor.value["post_id"] == "O1"][0])
    at.session_state[editor.key] = {"edited_rows": {pos: {"title": "Mine"}},
                                    "added_rows": [], "deleted_rows": []}
    at.run()
    with app_db.session() as s:  # another user's save, behind the page's back
        post = s.exec(select(Post).where(Post.post_ref == "O1")).one()
        post.title, post.version = "Theirs", post.version + 1
        s.add(post)
        s.commit()
    at.button(key="save_posts").click().run()
    assert any("Someone else changed O1" in e.value for e in at.error)
    assert _post(app_db, "O1").title == "Theirs"


def test_uploading_a_bad_csv_shows_the_error_table_and_changes_nothing(app_db):
    """Catches: import errors swallowed or shown as one string, or a partial import."""
    at = _open_tab(app_as(app_db.actors["hr"]), "Import and export")
    bad = (b"post_id,title,grade,fte\n"
           b"X1,Officer,NOPE,1\n"
           b"X1,Duplicate,PO2,7\n")
    at.file_uploader(key="import_files").set_value(("posts.csv", bad, "text/csv")).run()
    at.button(key="import_button").click().run()
    assert not at.exception, at.exception
    assert any("The import was refused" in e.value for e in at.error)
    errors = _table(at, "sheet")
    assert list(errors.columns) == ["sheet", "row", "column", "message"]
    assert len(errors) >= 2
    with app_db.session() as s:
        assert len(s.exec(select(Post)).all()) == 6


def test_an_oversize_upload_is_rejected_before_reading(app_db, monkeypatch):
    """Catches: the size limit not checked, so a huge file is parsed in the server."""
    monkeypatch.setenv("PLANNER_MAX_UPLOAD_BYTES", "10")
    from planner.core.config import get_settings
    get_settings.cache_clear()
    at = _open_tab(app_as(app_db.actors["admin"]), "Import and export")
    at.file_uploader(key="import_files").set_value(
        ("posts.csv", b"post_id,title\nA,B\n", "text/csv")).run()
    at.button(key="import_button").click().run()
    assert [e.value for e in at.error] == ["Too large to import: posts\\.csv"]


def test_empty_database_invites_an_import(empty_db):
    """Catches: the page crashing on first run, before any establishment exists."""
    at = app_as(empty_db.actors["hr"])
    assert not at.exception, at.exception
    assert "There is no establishment yet" in all_text(at)
    assert not at.metric
    at = _open_tab(at, "Import and export")
    assert list(at.file_uploader)


def _bulk_establishment(db, n_posts: int = 10_000) -> None:
    """n posts in a tree (fan-out 8) and 0.9·n people, inserted with Core in one transaction."""
    with db.engine.begin() as conn:
        sid = conn.execute(insert(Structure).values(
            name="Large establishment", kind="baseline")).inserted_primary_key[0]
        grades = ["PO1", "PO2", "PO3", "SO1", "SO2", "PO4"]
        conn.execute(insert(Post), [
            {"id": 1000 + i, "structure_id": sid, "post_ref": f"P{i}",
             "title": f"Officer {i}", "division": f"Division {i % 7}", "team": f"Team {i % 90}",
             "reports_to_id": None if i == 1 else 1000 + (i - 2) // 8 + 1,
             "grade": grades[i % len(grades)], "fte": Decimal("1"), "funding": "base",
             "notes": "", "version": 1}
            for i in range(1, n_posts + 1)])
        people = [i for i in range(1, n_posts + 1) if i % 10]
        conn.execute(insert(Person), [
            {"id": i, "employee_ref": f"E{i}", "name": f"Person {i}",
             "contract": "interim" if i % 17 == 0 else "permanent",
             "origin": ("Brent", "Lewisham", "Capita by TUPE")[i % 3]} for i in people])
        conn.execute(insert(Occupancy), [
            {"person_id": i, "post_id": 1000 + i, "fte": Decimal("1")} for i in people])


def test_establishment_rerun_10k_under_a_second(empty_db):
    """Catches: the register rebuilt from the database on every click (cache not keyed by the
    structure version), or per-post Python loops in the page. 10,000 posts is routine."""
    _bulk_establishment(empty_db)
    at = app_as(empty_db.actors["hr"])  # warm: builds and caches the register
    assert not at.exception, at.exception
    assert {m.label: m.value for m in at.metric}["Posts"] == "10,000"
    start = time.perf_counter()
    at.run()
    elapsed = time.perf_counter() - start
    assert not at.exception
    print(f"10k rerun: {elapsed:.3f}s")
    assert elapsed < 1.0, f"rerun took {elapsed:.2f}s"


def test_editor_key_changes_with_structure_version_and_filters():
    """Catches: an old editor delta (row positions) replayed onto a different table after a
    save, an import (new structure, version 1 again) or a filter change."""
    def reg(sid: int, version: int) -> ui.Register:
        return ui.Register(sid, version, pd.DataFrame(), Metrics(0, 0, 0, 0, 0, 0, 0, 0), [],
                           {}, pd.Series([], dtype=str))

    base = ui.editor_key(reg(1, 1), {"grade": []})
    assert ui.editor_key(reg(1, 1), {"grade": []}) == base  # stable across reruns
    assert ui.editor_key(reg(1, 2), {"grade": []}) != base
    assert ui.editor_key(reg(2, 1), {"grade": []}) != base
    assert ui.editor_key(reg(1, 1), {"grade": ["PO1"]}) != base
    assert ui.editor_key(reg(1, 1), {"grade": ["PO1", "PO2"]}) == ui.editor_key(
        reg(1, 1), {"grade": ["PO2", "PO1"]})


def _posts_csv(db) -> bytes:
    from planner.establishment.exports import export_tables
    from tests.factories import csv_bytes

    with db.session() as s:
        posts = export_tables(session=s, actor=db.actors["hr"])["posts"]
    return csv_bytes(posts.assign(title=posts["title"].where(posts["post_id"] != "O2", "Renamed")))


def _people(db) -> dict[str, str]:
    with db.session() as s:
        return dict(s.exec(select(Person.employee_ref, Post.post_ref)
                           .join(Occupancy, Occupancy.person_id == Person.id)
                           .join(Post, Post.id == Occupancy.post_id)).all())


def test_posts_alone_are_refused_unless_the_people_are_kept(app_db, monkeypatch):
    """Issue 10: posts.csv alone removed every person. The page refuses it with the reason;
    ticking "Keep the people" imports the posts and keeps everyone where they were. The files
    are checked before the write session opens."""
    import planner.establishment.importer
    from planner.ui import establishment as page_ui

    before = _people(app_db)
    assert before
    writing, validate = page_ui.writing, planner.establishment.importer.validate_tables
    open_writes: list[int] = []
    seen: list[int] = []

    def counted_writing():
        from contextlib import contextmanager

        @contextmanager
        def cm():
            open_writes.append(1)
            try:
                with writing() as session:
                    yield session
            finally:
                open_writes.pop()
        return cm()

    def counted_validate(*args, **kwargs):
        seen.append(len(open_writes))
        return validate(*args, **kwargs)

    monkeypatch.setattr(page_ui, "writing", counted_writing)
    monkeypatch.setattr(planner.establishment.importer, "validate_tables", counted_validate)
    at = _open_tab(app_as(app_db.actors["hr"]), "Import and export")
    at.file_uploader(key="import_files").set_value(("posts.csv", _posts_csv(app_db), "text/csv")).run()
    at.button(key="import_button").click().run()
    assert not at.exception, at.exception
    message = _table(at, "sheet")["message"].tolist()
    assert len(message) == 1 and message[0].startswith(
        f"This upload has no people sheet, and the establishment has {len(before)} people")
    assert _people(app_db) == before
    at.checkbox(key="import_keep_people").check().run()
    at.button(key="import_button").click().run()
    assert not at.exception, at.exception
    assert _people(app_db) == before
    assert _post(app_db, "O2").title == "Renamed"
    assert seen == [0, 0]


def test_an_organogram_pair_is_recognised_and_its_import_summarised(app_db):
    """Issue 14: the two published CSV files dropped on the import tab are recognised by
    their headings (whatever their names), imported, and the page says what was assumed."""
    from tests.establishment.organogram_pair import JUNIOR_FILE, SENIOR_FILE

    at = _open_tab(app_as(app_db.actors["hr"]), "Import and export")
    at.file_uploader(key="import_files").set_value([
        ("dept-senior-2026.csv", SENIOR_FILE[1], "text/csv"),
        ("dept-junior-2026.csv", JUNIOR_FILE[1], "text/csv")]).run()
    at.button(key="import_button").click().run()
    assert not at.exception, at.exception
    text = all_text(at).replace("\\", "")  # as read: Markdown's escapes dropped
    assert "Imported the organogram: 19 posts (7 senior, 12 junior)" in text
    assert "What the organogram import assumed" in text
    assert "Costing 7 band grades at their maximum" in text
    assert "junior rows of fractional or several FTE split into whole posts" in text
    with app_db.session() as s:
        assert len(s.exec(select(Post).where(Post.structure_id == 1)).all()) == 19
    # The register now shows the organogram's posts, and the export offers it back.
    at = _open_tab(at, "Import and export")
    assert "export_organogram" in [b.key for b in at.get("download_button")]


def test_a_bad_organogram_pair_shows_its_errors_by_file_and_row(app_db):
    from tests.establishment.organogram_pair import JUNIOR_FILE, SENIOR, to_csv

    bad = to_csv(SENIOR, [["A1", "N/D", "SCS1", "Head", "", "", "", "", "", "", "XX", "",
                           "two", "", "", "", "", "", ""]])
    at = _open_tab(app_as(app_db.actors["hr"]), "Import and export")
    at.file_uploader(key="import_files").set_value([
        ("senior.csv", bad, "text/csv"), ("junior.csv", JUNIOR_FILE[1], "text/csv")]).run()
    at.button(key="import_button").click().run()
    assert not at.exception, at.exception
    errors = _table(at, "sheet")
    assert ["senior.csv", 2, "FTE"] in errors[["sheet", "row", "column"]].values.tolist()
    with app_db.session() as s:
        assert len(s.exec(select(Post)).all()) == 6


def test_a_large_register_lists_one_page_searches_and_downloads_the_rest(empty_db):
    """Issue 16: 1,200 posts list 500 at a time (50,000 rows sent to the browser were 11.7 MB),
    the page number moves through them, search narrows them in planner/, and the whole
    filtered register is a download."""
    from benchmarks.generate import generate, to_csv_files
    from planner.establishment.importer import import_establishment

    posts, people = generate(1_200, seed=4)
    with empty_db.session() as s:
        import_establishment(session=s, actor=empty_db.actors["hr"],
                             files=to_csv_files(posts, people))
        s.commit()
    at = app_as(empty_db.actors["hr"], "pages/establishment.py")
    assert not at.exception, at.exception
    table = at.dataframe[0].value
    assert len(table) == ui.REGISTER_PAGE_ROWS
    assert table["post_id"].tolist() == posts["post_id"].tolist()[:500]
    assert "Showing 1,200 of 1,200 posts. Rows 1–500 are listed" in all_text(at)
    at.number_input(key="register_page").set_value(3).run()
    table = at.dataframe[0].value
    assert table["post_id"].tolist() == posts["post_id"].tolist()[1000:]
    title = posts["title"].iloc[700]
    at.text_input(key="register_search").input(posts["post_id"].iloc[700]).run()
    table = at.dataframe[0].value
    assert table["post_id"].tolist() == [posts["post_id"].iloc[700]]
    assert table["title"].tolist() == [title]
    assert "Showing 1 of 1,200 posts." in all_text(at)
    labels = [b.proto.label for b in at.get("download_button")]
    assert "Download this post (.xlsx)" in labels


def test_the_register_download_holds_every_filtered_row_not_one_page():
    """Catches: the download writing the page shown instead of the whole filtered register."""
    import io

    import openpyxl

    frame = pd.DataFrame({c: [f"{c}{i}" for i in range(1_234)] for c in ui.TABLE_COLUMNS})
    sheet = openpyxl.load_workbook(io.BytesIO(ui.register_xlsx(frame)))["register"]
    assert sheet.max_row == 1_235
    assert [c.value for c in sheet[1]] == list(ui.TABLE_COLUMNS)


def test_an_import_shows_its_stages_in_a_status_ending_complete(app_db):
    """Issue 16: the import runs inside st.status (collapsed) whose label follows each stage;
    after the page reruns on the new establishment the status stays, complete, with what
    was imported, once."""
    from benchmarks.generate import generate, to_csv_files

    posts, people = generate(40, seed=4)
    at = _open_tab(app_as(app_db.actors["hr"]), "Import and export")
    at.file_uploader(key="import_files").set_value(
        [(name, data, "text/csv") for name, data in to_csv_files(posts, people)]).run()
    at.button(key="import_button").click().run()
    assert not at.exception, at.exception
    n = len(people)
    (status,) = at.status
    assert status.label.startswith(f"Imported 40 posts, {n} people and {n} occupancies.")
    assert status.state == "complete" and not status.proto.expanded
    assert [s.value for s in at.success] == [status.label]
    with app_db.session() as s:
        assert len(s.exec(select(Post).where(Post.structure_id == 1)).all()) == 40
    at.run()
    assert not list(at.status)


def test_the_status_follows_the_import_stage_by_stage(app_db, monkeypatch):
    """Each stage's sentence becomes the status's label as the import reaches it."""
    from benchmarks.generate import generate, to_csv_files

    labels: list[str] = []
    real_status = ui.st.status

    def watched_status(*args, **kwargs):
        box = real_status(*args, **kwargs)
        real_update = box.update

        def update(**changes):
            if "label" in changes:
                labels.append(changes["label"])
            return real_update(**changes)

        box.update = update
        return box

    monkeypatch.setattr(ui.st, "status", watched_status)
    at = _open_tab(app_as(app_db.actors["hr"]), "Import and export")
    at.file_uploader(key="import_files").set_value(
        [(name, data, "text/csv") for name, data in to_csv_files(*generate(40, seed=4))]).run()
    at.button(key="import_button").click().run()
    assert not at.exception, at.exception
    assert labels[0] == "Reading posts.csv, people.csv…"
    assert any(label.startswith("Checking 40 posts and ") for label in labels)
    assert "Writing 40 posts…" in labels
    assert labels[-2].startswith("Imported 40 posts and ")  # the last stage, then the summary
    assert labels[-1].startswith("Imported 40 posts, ")


def test_a_refused_import_ends_its_status_in_error(app_db):
    at = _open_tab(app_as(app_db.actors["hr"]), "Import and export")
    bad = b"post_id,title,grade,fte\nX1,Officer,NOPE,1\n"
    at.file_uploader(key="import_files").set_value(("posts.csv", bad, "text/csv")).run()
    at.button(key="import_button").click().run()
    assert not at.exception, at.exception
    (status,) = at.status
    assert status.state == "error"
    assert status.label == "The import was refused: 1 problem to fix; nothing was changed."
