"""The People mapping page on the shipped demo: the grid, the bench, the exit bill and its
chart, per role (a union rep is never offered it: tests/app/test_navigation.py)."""

from __future__ import annotations

import pandas as pd
from sqlmodel import select

from planner.charts import compare as cc
from planner.core.models import Structure
from planner.people import mapping
from planner.ui import mapping as ui
from planner.ui.format import money_from_pence
from tests.app.conftest import all_text, app_as

PAGE = "pages/mapping.py"
OPTION = "Option 1: single service desk"


def _unmap(db) -> None:
    """The demo option as it was before anyone mapped its people (the demo ships mapped)."""
    from sqlalchemy import delete

    from planner.core.models import MappingPool, MappingPoolPost, PersonMapping

    with db.session() as s:
        option = s.exec(select(Structure).where(Structure.name == OPTION)).one()
        pools = select(MappingPool.id).where(MappingPool.structure_id == option.id)
        s.exec(delete(MappingPoolPost).where(MappingPoolPost.pool_id.in_(pools)))
        s.exec(delete(MappingPool).where(MappingPool.structure_id == option.id))
        s.exec(delete(PersonMapping).where(PersonMapping.structure_id == option.id))
        s.commit()


def _leave(db, rows) -> None:
    _unmap(db)
    with db.session() as s:
        option = s.exec(select(Structure).where(Structure.name == OPTION)).one()
        mapping.save_mapping(session=s, actor=db.actors["hr"], structure=option.id, rows=rows,
                             expected_version=option.version)
        s.commit()


def _tab(at, label: str):
    """Open one of the page's tabs (only the open tab is worked out)."""
    at.session_state[ui.TAB_KEY] = label
    return at.run()


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
    at = _tab(at, "Exit costs and payback")
    assert not at.exception, at.exception
    text = all_text(at)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Exit bill (one-off)"] != "£0"
    assert "Each person leaving" not in text
    (chart,) = [c.proto for c in at.get("vega_lite_chart")
                if "Cumulative net saving" in c.proto.spec]
    assert "Pays back in month 1" in str(chart)  # the data travel beside the spec


def test_hr_sees_each_persons_costs(demo_app_db):
    _leave(demo_app_db, [{"employee_id": "E0002", "outcome": "voluntary-redundancy"}])
    at = _tab(app_as(demo_app_db.actors["hr"], PAGE), "Exit costs and payback")
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
    _unmap(demo_app_db)
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


def _demo_bill(db, actor):
    import datetime as dt

    from planner.people.exit_bill import exit_bill

    with db.session() as s:
        return exit_bill(session=s, actor=actor, structure=OPTION, today=dt.date.today())


def test_the_options_page_shows_the_exit_bill_beside_the_annual_cost(demo_app_db):
    """Catches: the one-off cost and payback missing beside the option's cost, or differing
    from the People mapping page's (the same planner function, the same day)."""
    manager = demo_app_db.actors["manager"]
    bill = _demo_bill(demo_app_db, manager)
    assert bill.leaving == 8 and bill.total_pence > 0  # the demo's mapping (data/demo/README.md)
    at = app_as(manager, "pages/options.py")
    assert not at.exception, at.exception
    assert "One-off cost and payback" in [s.value for s in at.subheader]
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Exit bill (one-off)"] == money_from_pence(bill.total_pence)
    assert metrics["Annual saving"] == money_from_pence(bill.annual_saving_pence)
    assert metrics["Payback"] == "2 months"  # data/demo/README.md
    assert any("Cumulative net saving" in c.proto.spec for c in at.get("vega_lite_chart"))


def test_the_compare_page_shows_the_exit_bill_and_payback_rows(demo_app_db):
    """Catches: Compare's side-by-side table without the exit bill, or an annual saving that
    does not reconcile with the table's saving row."""
    manager = demo_app_db.actors["manager"]
    bill = _demo_bill(demo_app_db, manager)
    at = app_as(manager, "pages/compare.py")
    assert not at.exception, at.exception
    [table] = [d.value for d in at.dataframe if "Figure" in d.value.columns]
    rows = table.set_index("Figure")
    assert rows.at["Exit bill (one-off)", OPTION] == cc.pounds(bill.total_pence)
    assert rows.at["Payback", OPTION] == "2 months"
    assert rows.at["Saving vs baseline (full year)", OPTION] == cc.pounds(
        bill.annual_saving_pence)
    baseline = [c for c in table.columns if c not in ("Figure", OPTION)][0]
    assert rows.at["Exit bill (one-off)", baseline] == "—"
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Exit bill (one-off)"] == money_from_pence(bill.total_pence)


def test_a_union_rep_gets_no_exit_bill_on_the_options_page(demo_app_db):
    """Catches: a total exit bill (with few leavers, one person's pay) shown to a union rep."""
    union = demo_app_db.actors["union"]
    assert ui.bill_of(union, 2) is None


def test_grid_numbers_and_flags_are_saved_as_typed():
    """Catches: a duties match saved as 85.0 text, or the family-leave flag never sent."""
    before = pd.DataFrame({c: [""] for c in ui.GRID_COLUMNS})
    before["employee_id"], before["duties_match"] = ["E1"], [float("nan")]
    before["on_family_leave"] = [False]
    after = before.copy()
    after.loc[0, "duties_match"], after.loc[0, "on_family_leave"] = 85.0, True
    assert ui.changed_rows(before, after) == [
        {"employee_id": "E1", "duties_match": 85, "on_family_leave": True}]
    assert ui.changed_rows(before, before.copy()) == []


def test_the_bench_offers_redeployment_to_the_people_at_risk(demo_app_db):
    """Catches: the redeployment list missing for the demo's five people at risk."""
    at = _tab(app_as(demo_app_db.actors["manager"], PAGE), "Without a post")
    assert not at.exception, at.exception
    assert "**Redeployment** for the 5 people at risk" in all_text(at)
    [offers] = [d.value for d in at.dataframe if "Trial ends" in d.value.columns]
    assert len(offers) and set(offers["Employee"]) <= {"E0007", "E0013", "E0023", "E0024",
                                                       "E0026"}


def test_a_large_mapping_is_paged_and_searched_on_the_server(demo_app_db, monkeypatch):
    """Catches: the whole mapping sent to the browser (a council's is tens of thousands of
    rows), a page count that disagrees with the search, or edits lost by turning the page."""
    monkeypatch.setattr(ui, "GRID_PAGE_ROWS", 10)
    at = app_as(demo_app_db.actors["manager"], PAGE)
    assert not at.exception, at.exception
    people = int(at.metric[0].value.replace(",", ""))
    assert people > 20
    text = all_text(at)
    assert f"Showing {people:,} of {people:,} people. Rows 1–10 are listed" in text
    pages = -(-people // 10)
    (page_input,) = [n for n in at.number_input if n.key == ui.PAGE_KEY]
    assert page_input.label.startswith(f"Page (of {pages}")
    page_input.set_value(pages).run()
    assert f"Rows {(pages - 1) * 10 + 1}–{people} are listed" in all_text(at)
    at.text_input(key=ui.SEARCH_KEY).input("E0002").run()
    assert "Showing 1 of" in all_text(at)
    assert not [n for n in at.number_input if n.key == ui.PAGE_KEY]  # one page: no pager


def test_the_filter_counts_what_the_search_function_counts(demo_app_db):
    """Catches: the grid's count and the rows it lists disagreeing with the filter."""
    with demo_app_db.session() as s:
        option = s.exec(select(Structure).where(Structure.name == OPTION)).one()
        frame = mapping.mapping_frame(session=s, actor=demo_app_db.actors["hr"],
                                      structure=option.id)
    at_risk = ui.search(frame, "", "at-risk")
    assert len(at_risk) == int((frame["outcome"] == "at-risk").sum()) > 0
    assert len(ui.search(frame, "", ui.UNMAPPED_LABEL)) == int((frame["outcome"] == "").sum())
    one = ui.search(frame, "e0002", None)
    assert list(one["employee_id"]) == ["E0002"]
    paged = ui.grid_page(frame, 2)
    assert paged.total == len(frame) and paged.first == ui.GRID_PAGE_ROWS + 1 or paged.pages == 1


def test_many_unmapped_people_wait_for_the_suggestions_button(demo_app_db, monkeypatch):
    """Catches: suggestions for thousands of people worked out before the page shows."""
    monkeypatch.setattr(ui, "AUTO_SUGGEST_UP_TO", 5)
    _unmap(demo_app_db)
    at = app_as(demo_app_db.actors["manager"], PAGE)
    assert not at.exception, at.exception
    assert "**Slot-ins**" not in all_text(at)
    at.button(key="mapping_suggest_button").click().run()
    assert not at.exception, at.exception
    assert "**Slot-ins** (14)" in all_text(at)


def test_a_large_option_has_its_post_typed_not_listed():
    """Catches: every post id of a 50,000-post option sent with each page of the grid."""
    few = ui.grid_config([f"P{i}" for i in range(10)], [])["option_post_id"]
    many = ui.grid_config([f"P{i}" for i in range(ui.MAX_POST_CHOICES + 1)], [])
    assert few["type_config"]["type"] == "selectbox"
    assert many["option_post_id"]["type_config"]["type"] == "text"
    assert "too many to list" in many["option_post_id"]["help"]


def _changed_rows_row_by_row(before: pd.DataFrame, after: pd.DataFrame) -> list[dict]:
    """changed_rows as first written (iterrows), kept as the reference."""
    rows = []
    for (_, b), (_, a) in zip(before.iterrows(), after.iterrows(), strict=True):
        diff = {c: ui._cell(a[c]) for c in ui.EDITABLE if ui._text(a[c]) != ui._text(b[c])}
        if diff:
            if "outcome" in diff and diff["outcome"] == ui.UNMAPPED_LABEL:
                diff["outcome"] = ""
            for col in ("option_post_id", "pool"):
                if diff.get(col) == ui.NONE_LABEL:
                    diff[col] = ""
            rows.append({"employee_id": a["employee_id"], **diff})
    return rows


def test_changed_rows_equal_the_row_by_row_comparison():
    """Catches: the column-at-a-time comparison (issue 16) missing an edit, sending an
    unchanged cell, or a number, a blank or a flag coming out in another form."""
    import numpy as np
    import pytest

    rng = np.random.default_rng(16)
    n = 300
    before = pd.DataFrame({c: [""] * n for c in ui.GRID_COLUMNS})
    before["employee_id"] = [f"E{i:04d}" for i in range(n)]
    before["outcome"] = rng.choice([ui.UNMAPPED_LABEL, "unchanged", "at-risk"], n)
    before["pool"] = rng.choice([ui.NONE_LABEL, "Pool A"], n)
    before["duties_match"] = pd.array(rng.choice([np.nan, 50.0, 85.0], n), dtype="Float64")
    before["on_family_leave"] = rng.random(n) < 0.1
    after = before.copy()
    for i in rng.choice(n, 60, replace=False):
        col = rng.choice(["outcome", "pool", "note", "duties_match", "on_family_leave"])
        if col == "on_family_leave":
            after.loc[i, col] = not bool(after.loc[i, col])
        else:
            after.loc[i, col] = {"outcome": ui.UNMAPPED_LABEL, "pool": ui.NONE_LABEL,
                                 "note": "moved", "duties_match": 70.0}[col]
    expected = _changed_rows_row_by_row(before, after)
    assert expected and ui.changed_rows(before, after) == expected
    with pytest.raises(ValueError):
        ui.changed_rows(before, after.iloc[1:])
