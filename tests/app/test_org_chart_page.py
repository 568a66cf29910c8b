"""The org chart page: chart, focus search, spans and layers, downloads, refusals."""

from __future__ import annotations

import pyarrow as pa
from sqlmodel import select

from planner.core.models import Post
from tests.app.conftest import all_text, app_as, page_alone

PAGE = "pages/org_chart.py"


def _chart(at):
    charts = list(at.get("vega_lite_chart"))
    assert charts, "no chart on the page"
    return charts[0]


def _chart_rows(chart) -> list[dict]:
    """Every data row the browser receives for the chart (Streamlit sends them as Arrow)."""
    rows: list[dict] = []
    for dataset in chart.proto.datasets:
        table = pa.ipc.open_stream(dataset.data.data).read_all()
        rows += table.to_pylist()
    return rows


def test_hr_sees_the_chart_focused_on_the_top_post(app_db):
    """Catches: the page failing to load the hierarchy, or a chart without the posts' boxes."""
    at = app_as(app_db.actors["hr"], PAGE)
    assert not at.exception, at.exception
    assert [t.value for t in at.title] == ["Org chart"]
    assert at.selectbox(key="org_focus").value == "H1"
    rows = _chart_rows(_chart(at))
    post_ids = {r.get("post_id") for r in rows if r.get("kind") == "post"}
    assert post_ids == {"H1", "M1", "M2", "O1", "O2", "O3"}
    categories = {r["post_id"]: r["category"] for r in rows if r.get("kind") == "post"}
    assert categories == {"H1": "Filled", "M1": "Filled", "O1": "Covered by interim",
                          "O2": "Vacant", "O3": "Filled by TUPE transferee",
                          "M2": "Covered by interim"}


def test_spans_and_layers_panel(app_db):
    """Catches: the panel showing the wrong layer count or missing the narrow managers."""
    at = app_as(app_db.actors["manager"], PAGE)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Layers"] == "3" and metrics["Median span"] == "2.5"
    narrow = at.dataframe[0].value
    assert narrow["Post"].tolist() == ["H1"] and narrow["Reports"].tolist() == [2]
    assert "Wide spans** (0)" in all_text(at)


def test_search_focuses_on_a_post_by_holder_name(app_db):
    """Catches: search that ignores post-holders, or a focus that does not redraw the chart."""
    at = app_as(app_db.actors["hr"], PAGE)
    at.text_input(key="org_search").input("bea cole").run()
    assert at.selectbox(key="org_focus").options == ["M1 · Team Leader · Bea Cole +1"]
    at.selectbox(key="org_focus").select("M1").run()
    rows = _chart_rows(_chart(at))
    kinds = {r["post_id"]: r["kind"] for r in rows if "kind" in r}
    assert kinds == {"H1": "ancestor", "M1": "post", "O1": "post", "O2": "post", "O3": "post"}


def test_depth_limit_hides_lower_levels(app_db):
    """Catches: the levels slider not reaching the layout."""
    at = app_as(app_db.actors["hr"], PAGE)
    at.slider(key="org_depth").set_value(1).run()
    rows = _chart_rows(_chart(at))
    assert {r["post_id"] for r in rows if r.get("kind") == "post"} == {"H1", "M1", "M2"}


def test_a_cycle_is_reported_on_the_page(app_db):
    """Catches: a broken hierarchy crashing the page instead of naming the chain."""
    with app_db.session() as s:
        posts = {p.post_ref: p for p in s.exec(select(Post)).all()}
        posts["H1"].reports_to_id = posts["O1"].id
        s.add(posts["H1"])
        s.commit()
    at = app_as(app_db.actors["hr"], PAGE)
    assert not at.exception, at.exception
    assert any(w.value == "Reporting cycle: H1 → O1 → M1 → H1." for w in at.warning)


def test_downloads_are_offered_after_preparing_them(app_db):
    """Catches: the SVG/PNG export failing (vl-convert) only when someone clicks."""
    at = app_as(app_db.actors["hr"], PAGE)
    at.button[0].click().run()
    assert not at.exception, at.exception
    labels = [b.label for b in at.get("download_button")]
    assert labels == ["Download SVG", "Download PNG"]


def test_union_is_refused(app_db):
    """Catches: the org chart (with names) reaching a union rep through its URL."""
    at = page_alone(PAGE, app_db.actors["union"])
    assert not at.exception
    assert len(at.error) == 1 and not at.get("vega_lite_chart")


def test_empty_database_invites_an_import(empty_db):
    at = app_as(empty_db.actors["hr"], PAGE)
    assert not at.exception
    assert "There is no establishment yet" in all_text(at)


def _option(app_db, name: str = "Option A") -> int:
    from planner.structures.options import create_option

    with app_db.session() as s:
        option = create_option(session=s, actor=app_db.actors["hr"], name=name)
        s.commit()
        return option.id


def test_an_option_is_charted_with_its_changes_and_its_focused_post_edited(app_db):
    """Catches: the org chart ignoring options, difference colouring not reaching the chart,
    or the focused-post form writing to the baseline instead of the option."""
    sid = _option(app_db)
    at = app_as(app_db.actors["manager"], PAGE)
    at.selectbox(key="org_structure").select(sid).run()
    at.text_input(key="org_search").input("O1").run()
    assert at.selectbox(key="org_focus").value == "O1"
    form = at.get("form")
    assert form, "no edit form for a manager on an option"
    grade = next(s for s in at.selectbox if s.label == "Grade")
    grade.select("PO4")
    next(b for b in at.button if b.label == "Save post").click().run()
    assert not at.exception, at.exception
    assert "Saved O1 in Option A." in [s.value for s in at.success]
    rows = _chart_rows(_chart(at))
    change = {r["post_id"]: r.get("change") for r in rows if r.get("kind") in ("post", "ancestor")}
    assert change["O1"] == "regraded"
    with app_db.session() as s:
        grades = {p.structure_id: p.grade for p in s.exec(select(Post).where(Post.post_ref == "O1"))}
    assert grades[sid] == "PO4" and sorted(grades.values()) == ["PO2", "PO4"]


def test_a_bad_edit_of_the_focused_post_is_refused_with_the_reason(app_db):
    sid = _option(app_db)
    at = app_as(app_db.actors["hr"], PAGE)
    at.selectbox(key="org_structure").select(sid).run()
    at.text_input(key="org_search").input("O2").run()
    next(t for t in at.text_input if t.label == "Reports to (post id)").input("O2")
    next(b for b in at.button if b.label == "Save post").click().run()
    assert not at.exception, at.exception
    assert [e.value for e in at.error] == ["Nothing was saved:"]
    errors = next(d.value for d in at.dataframe if "message" in d.value.columns)
    assert "Reporting cycle: O2 → O2." in errors["message"].tolist()


def test_admin_charts_options_but_may_not_edit_them(app_db):
    sid = _option(app_db)
    at = app_as(app_db.actors["admin"], PAGE)
    at.selectbox(key="org_structure").select(sid).run()
    assert not at.exception and not at.get("form")


def test_an_imported_organogram_shows_its_chart_spans_layers_and_cost(empty_db):
    """Issue 14's acceptance on the pages: a department-sized published pair (300 senior posts,
    four top posts, hundreds of junior rows of fractional FTE) loaded into an empty planner
    shows its org chart, its spans and layers, and its cost with the band costing said."""
    from benchmarks.organogram import synthetic_pair
    from planner.establishment.organogram_import import import_organogram, prepare_organogram

    senior, junior = synthetic_pair(3_000, seed=3, top_posts=4)
    with empty_db.session() as s:
        prepared = prepare_organogram(session=s, actor=empty_db.actors["hr"],
                                      senior=("senior.csv", senior),
                                      junior=("junior.csv", junior))
        import_organogram(session=s, actor=empty_db.actors["hr"], prepared=prepared)
        s.commit()
    at = app_as(empty_db.actors["hr"], PAGE)
    assert not at.exception, at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert int(metrics["Layers"]) >= 5
    assert "4 posts report to nobody" in all_text(at) or "report to nobody" in all_text(at)
    rows = _chart_rows(_chart(at))
    # the first head, and its 70-odd direct reports folded into one box to expand
    assert [r["post_id"] for r in rows if r.get("kind") == "post"] == ["S00001"]
    assert [r.get("kind") for r in rows].count("summary") == 1
    at = app_as(empty_db.actors["hr"], "pages/establishment.py")
    assert not at.exception, at.exception
    shown = {m.label: m.value for m in at.metric}
    assert shown["Posts"] == "3,000"
    at = app_as(empty_db.actors["hr"], "pages/options.py")
    assert not at.exception, at.exception
    assert "band" in all_text(at)


def test_export_shows_its_progress_as_a_completed_status(app_db):
    """Catches: the export hidden behind a bare spinner (issue 16: a large chart takes a
    while, and the user is told each stage), or a status left running after the files exist."""
    at = app_as(app_db.actors["hr"], PAGE)
    next(b for b in at.button if b.label == "Export SVG and PNG").click().run()
    assert not at.exception, at.exception
    statuses = list(at.status)
    assert len(statuses) == 1
    assert statuses[0].state.endswith("complete") and statuses[0].label.startswith(
        "The chart is ready")
    assert [b.label for b in at.get("download_button")] == ["Download SVG", "Download PNG"]


def test_focus_options_are_the_tops_then_the_first_managers(app_db):
    """Catches: the lazy picker list (issue 16) offering other posts than the full list did."""
    from planner.structures.hierarchy import build
    from planner.ui.orgchart import focus_options
    from tests.charts.test_orgchart import frame

    h = build(frame())
    expected = h.tops + [p for p in h.managers()["post_id"] if p not in h.tops]
    assert focus_options(h) == expected[:len(h.tops) + 200]
    assert focus_options(h, limit=0) == h.tops
