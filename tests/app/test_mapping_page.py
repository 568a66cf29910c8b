"""The People mapping page on the shipped demo: the grid, the bench, the exit bill and its
chart, per role (a union rep is never offered it: tests/app/test_navigation.py)."""

from __future__ import annotations

import pandas as pd
from sqlmodel import select

from planner.core.models import Structure
from planner.people import mapping
from planner.ui import mapping as ui
from tests.app.conftest import all_text, app_as

PAGE = "pages/mapping.py"
OPTION = "Option 1: single service desk"


def _leave(db, rows) -> None:
    with db.session() as s:
        option = s.exec(select(Structure).where(Structure.name == OPTION)).one()
        mapping.save_mapping(session=s, actor=db.actors["hr"], structure=option.id, rows=rows,
                             expected_version=option.version)
        s.commit()


def test_the_page_shows_the_mapping_the_bench_and_the_bill(demo_app_db):
    """Catches: the page not running for a manager, the exit bill missing, or per-person costs
    shown to a manager."""
    _leave(demo_app_db, [{"employee_id": "E0002", "outcome": "voluntary-redundancy"}])
    at = app_as(demo_app_db.actors["manager"], PAGE)
    assert not at.exception, at.exception
    assert [t.value for t in at.title] == ["People mapping"]
    text = all_text(at)
    assert "37 people are not mapped yet" in text
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Leaving"] == "1"
    assert metrics["Exit bill (one-off)"] != "£0"
    assert "Each person leaving" not in text
    (chart,) = [c.proto for c in at.get("vega_lite_chart")
                if "Cumulative net saving" in c.proto.spec]
    assert "Pays back in month 1" in str(chart)  # the data travel beside the spec


def test_hr_sees_each_persons_costs(demo_app_db):
    _leave(demo_app_db, [{"employee_id": "E0002", "outcome": "voluntary-redundancy"}])
    at = app_as(demo_app_db.actors["hr"], PAGE)
    assert not at.exception, at.exception
    assert "Each person leaving" in all_text(at)
    people = [d.value for d in at.dataframe if "Statutory" in getattr(d.value, "columns", [])]
    assert people and list(people[0]["employee_id"]) == ["E0002"]


def test_only_edited_cells_are_saved():
    """Catches: the whole grid written back (every person's stored row) on each save."""
    before = pd.DataFrame({c: [""] * 2 for c in ui.GRID_COLUMNS})
    before["employee_id"] = ["E1", "E2"]
    before["outcome"] = [ui.UNMAPPED_LABEL, "unchanged"]
    after = before.copy()
    after.loc[0, "outcome"] = "at-risk"
    after.loc[1, "note"] = "kept"
    assert ui.changed_rows(before, after) == [
        {"employee_id": "E1", "outcome": "at-risk"}, {"employee_id": "E2", "note": "kept"}]
    after.loc[0, "outcome"] = ui.UNMAPPED_LABEL
    assert ui.changed_rows(before, after) == [{"employee_id": "E2", "note": "kept"}]
    before.loc[1, "pool"], after.loc[1, "pool"] = "Pool A", ui.NONE_LABEL
    assert ui.changed_rows(before, after) == [{"employee_id": "E2", "pool": "", "note": "kept"}]


def test_accepting_the_suggestions_maps_everyone_they_cover(demo_app_db):
    """Catches: suggestions shown but not saved, or saved half (pools without members)."""
    at = app_as(demo_app_db.actors["manager"], PAGE)
    assert not at.exception, at.exception
    assert "**Slot-ins** (14)" in all_text(at)  # 8 own posts, 2 consultants, 4 desk analysts
    at.button(key="mapping_accept").click().run()
    assert not at.exception, at.exception
    with demo_app_db.session() as s:
        option = s.exec(select(Structure).where(Structure.name == OPTION)).one()
        frame = mapping.mapping_frame(session=s, actor=demo_app_db.actors["hr"],
                                      structure=option.id)
        pools = mapping.pools_frame(session=s, actor=demo_app_db.actors["hr"],
                                    structure=option.id)
    left = frame[frame["outcome"] == ""]
    assert set(left["contract"]) <= {"interim", "agency"}  # only theirs is left to decide
    assert len(pools) >= 1 and int(pools["members"].sum()) == int(
        (frame["outcome"] == "ring-fenced").sum())
    assert "Accepted the suggestions" in all_text(at)


def test_a_manager_is_offered_the_workbook_round_trip(demo_app_db):
    """Catches: the Excel round trip missing from the page (tests/people/test_mapping_sheet.py
    covers what the upload does)."""
    at = app_as(demo_app_db.actors["manager"], PAGE)
    assert not at.exception, at.exception
    labels = [e.proto.label for e in at.get("download_button")]
    assert "Download the mapping (.xlsx)" in labels
    assert "Upload the edited workbook" in [e.proto.label for e in at.get("file_uploader")]
