"""The compare page: the side-by-side figures of a hand-built option against the six-post
baseline (conftest.build_establishment), the bridge, the difference and the vacancies."""

from __future__ import annotations

import json

import pandas as pd
import pyarrow as pa
import pytest
from sqlmodel import select
from streamlit.testing.v1 import AppTest

from planner.charts import compare as cc
from planner.core.models import Post
from planner.establishment.register import PostEdits
from planner.structures.options import create_option, edit_option_posts, set_assume_recruited
from planner.ui import compare as ui
from tests.app.conftest import all_text, app_as, page_alone

PAGE = "pages/compare.py"


def _hand_built_option(db) -> int:
    """Option A: O2 deleted, O3 regraded PO1 → PO2, M2 resized 0.6 → 1, N1 new (under H1).

    So against the baseline: 1 new, 1 deleted, 2 changed; 6 posts; FTE 5.1 − 0.5 + 0.4 + 1.
    """
    actor = db.actors["manager"]
    with db.session() as s:
        option = create_option(session=s, actor=actor, name="Option A")
        posts = {p.post_ref: p.version for p in s.exec(
            select(Post).where(Post.structure_id == option.id)).all()}
        edit_option_posts(session=s, actor=actor, structure=option.id, edits=PostEdits(
            added=[{"post_id": "N1", "title": "Data Lead", "grade": "PO5", "fte": "1",
                    "reports_to": "H1", "division": "Digital", "team": "Core"}],
            updated={"O3": {"grade": "PO2"}, "M2": {"fte": "1"}},
            deleted=["O2"],
            versions={"O3": posts["O3"], "M2": posts["M2"], "O2": posts["O2"]}))
        s.commit()
        return option.id


def _figures(at: AppTest):
    tables = [d.value for d in at.dataframe if list(d.value.columns)[:1] == ["Figure"]]
    assert len(tables) == 1
    return tables[0].set_index("Figure")


def test_union_is_refused(app_db):
    at = page_alone(PAGE, app_db.actors["union"])
    assert not at.exception
    assert len(at.error) == 1 and "A union may not view the options" in at.error[0].value
    assert not at.dataframe


@pytest.mark.parametrize("role", ["manager", "hr", "admin"])
def test_the_figures_count_the_hand_built_changes(app_db, role):
    """Catches: counts taken from the wrong comparison (option vs itself, or reversed), or
    the baseline's column showing change counts."""
    _hand_built_option(app_db)
    at = app_as(app_db.actors[role], PAGE)
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    figures = _figures(at)
    assert list(figures.columns) == ["Current establishment", "Option A"]
    option, base = figures["Option A"], figures["Current establishment"]
    assert (option["New posts"], option["Deleted posts"], option["Changed posts"]) == (
        "1", "1", "2")
    assert (base["New posts"], base["Deleted posts"]) == ("—", "—")
    assert (base["Posts"], option["Posts"]) == ("6", "6")
    assert (base["FTE"], option["FTE"]) == ("5.1", "6")
    assert (base["People"], option["People"]) == ("6", "6")  # people follow their posts
    assert (base["Layers"], option["Layers"]) == ("3", "3")
    assert option["Saving vs baseline (full year)"].startswith("costs £")  # a new PO5 post


def test_the_bridge_caption_and_difference_table_agree_with_the_costs(app_db):
    """Catches: a bridge whose end is not the option's cost, or a difference table listing
    unchanged posts."""
    oid = _hand_built_option(app_db)
    at = app_as(app_db.actors["hr"], PAGE)
    assert not at.exception, at.exception
    refs = {r.name: r for r in ui.structures(app_db.actors["hr"])}
    base_cost = ui.cost_of(app_db.actors["hr"], refs["Current establishment"]).full_year_total
    other_cost = ui.cost_of(app_db.actors["hr"], refs["Option A"]).full_year_total
    assert refs["Option A"].id == oid
    caption = next(c.value for c in at.caption if c.value.startswith("Option A"))
    assert f"({cc.pounds(base_cost)} → {cc.pounds(other_cost)})" in caption
    tables = [d.value for d in at.dataframe if list(d.value.columns)[:1] == ["post_id"]]
    diff = next(t for t in tables if "change" in t.columns)
    assert sorted(diff["post_id"]) == ["M2", "N1", "O2", "O3"]
    assert len(at.get("vega_lite_chart")) == 3
    assert any(b.label == "Download the difference (.xlsx)"
               for b in at.get("download_button"))


def test_the_vacancies_section_shows_the_headline(app_db):
    """Catches: vacancy figures not wired (the baseline has 3 vacancies, 2 covered)."""
    at = app_as(app_db.actors["manager"], PAGE)
    assert not at.exception, at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Without an employee"] == "3" and metrics["Covered by interim"] == "2"
    assert metrics["Saving from recruiting"].startswith(("£", "-£"))
    assert "Choose an option above" in all_text(at)


def test_the_difference_workbook_opens(app_db):
    """Catches: the xlsx download raising or writing the wrong sheet."""
    import io

    from openpyxl import load_workbook

    _hand_built_option(app_db)
    actor = app_db.actors["hr"]
    refs = ui.structures(actor)
    app_as(actor, PAGE)  # the caches are primed by a page run
    diff = ui.comparison_of(actor, refs[0], refs[1]).frame
    table = cc.difference_table(diff, ui.cost_of(actor, refs[0]).by_post,
                                ui.cost_of(actor, refs[1]).by_post)
    book = load_workbook(io.BytesIO(ui.difference_xlsx(table, base="Now", other="Option A")))
    sheet = book["difference"]
    assert sheet["A1"].value.startswith("Option A compared with Now")
    assert [c.value for c in sheet[3]][:3] == ["Post", "Baseline post", "Change"]
    assert sheet.max_row == 3 + 4


def test_a_change_to_an_option_is_seen_on_the_next_run(app_db):
    """Catches: cached figures keyed without the structure's version (a stale comparison
    after someone edits the option)."""
    oid = _hand_built_option(app_db)
    at = app_as(app_db.actors["manager"], PAGE)
    assert _figures(at)["Option A"]["Deleted posts"] == "1"
    with app_db.session() as s:
        version = s.exec(select(Post.version).where(Post.structure_id == oid,
                                                    Post.post_ref == "O1")).one()
        edit_option_posts(session=s, actor=app_db.actors["hr"], structure=oid,
                          edits=PostEdits(deleted=["O1"], versions={"O1": version}))
        s.commit()
    at.run()
    assert not at.exception, at.exception
    assert _figures(at)["Option A"]["Deleted posts"] == "2"


def _bridge(at: AppTest) -> dict[str, int]:
    """The waterfall's steps as drawn (pence), decoded from the chart's Arrow dataset."""
    (chart,) = [c.proto for c in at.get("vega_lite_chart")
                if "From the baseline" in json.dumps(json.loads(c.proto.spec).get("title"))]
    (dataset,) = chart.datasets
    frame: pd.DataFrame = pa.ipc.open_stream(dataset.data.data).read_pandas()
    return dict(zip(frame["step"], frame["amount"].astype(int), strict=True))


def test_assuming_recruitment_fills_the_interims_step(app_db):
    """Catches: an option that cannot replace its interims, so the bridge's interim step is
    always £0 (the flag not reaching costing, or the bridge filing the saving elsewhere).

    An unchanged copy of the baseline, then the same copy assuming recruitment. By hand
    (2025/26, vacancies at the top of the grade, NI 15% above £5,000, LGPS 20%):
    O1 PO2 1.0: interim £450 × 220 = 9,900,000 → SCP 37 £48,226: 4,822,600 + NI 648,390
      + pension 964,520 = 6,435,510, a change of −3,464,490;
    M2 PO3 0.6 (Lewisham): agency £380 × 220 × 0.6 = 5,016,000 → SCP 40 £51,356 × 0.6:
      3,081,360 + NI 387,204 + pension 616,272 = 4,084,836, a change of −931,164.
    """
    hr = app_db.actors["hr"]
    with app_db.session() as s:
        option = create_option(session=s, actor=hr, name="Option A")
        s.commit()
        oid, version = option.id, option.version
    at = app_as(hr, PAGE)
    assert not at.exception, at.exception
    before = _bridge(at)
    assert before[cc.STEP_INTERIMS] == 0 and before["Option A"] == before[
        "Current establishment"]
    with app_db.session() as s:
        set_assume_recruited(session=s, actor=hr, structure=oid, value=True,
                             expected_version=version)
        s.commit()
    at.run()
    assert not at.exception, at.exception
    steps = _bridge(at)
    saving = (6_435_510 - 9_900_000) + (4_084_836 - 5_016_000)
    assert steps[cc.STEP_INTERIMS] == saving == -4_395_654
    middle = [steps[name] for name in cc.STEPS]
    assert middle == [0, 0, 0, 0, saving, 0]
    assert steps["Option A"] - steps["Current establishment"] == sum(middle)
    assert steps["Current establishment"] == before["Current establishment"]


def test_the_headroom_row_names_councils_over_their_envelope_in_red():
    """Catches: a positive total headroom shown while councils are over (issue 17), or the
    overspent councils not red in the side-by-side table."""
    from planner.structures.costing import EnvelopePosition

    frame = pd.DataFrame({"partner": ["Brent", "Lewisham", "LGA"],
                          "kind": ["council", "council", "customer"],
                          "spend": [100, 300, 50],
                          "headroom": pd.array([200, -100, None], dtype="Int64")})
    pos = EnvelopePosition(months=12, by_partner=frame, spend=450, envelope=500, headroom=100,
                           structure_envelope=500, own_cost=0, shared_cost=400,
                           customer_cost=50, partner_headroom=100)
    f = cc.structure_figures(name="Now", kind="baseline", by_post=pd.DataFrame({"total": [450],
                             "fte": [1.0]}), lines=pd.DataFrame({"person_id": []}), position=pos,
                             layers=1, median_span=None, difference=None, baseline_cost=450)
    table = ui.figures_table([f]).set_index("Figure")["Now"]
    assert table["Headroom"] == "Over for 1 partner"
    assert table[ui.OVER_ROW] == "Lewisham −£1"
    assert table["Net spend (what the envelope pays for)"].startswith("£4 ")
    assert table[ui.CUSTOMER_ROW["income"]] == "£0"  # −50p, whole pounds for display
    styles = ui.styled_figures(ui.figures_table([f]))._compute().ctx
    red = {i for (i, j), css in styles.items() if j == 1 and ("color", "#b3261e") in css}
    labels = ui.figures_table([f])["Figure"].tolist()
    assert {labels[i] for i in red} == {"Headroom", ui.OVER_ROW}


def test_long_lists_show_their_first_rows_and_download_them_all(empty_db):
    """Issue 16: at 2,000 posts with an option changing hundreds, the difference and the
    vacancies list their first 500 rows (the rest were megabytes over the websocket at
    50,000 posts), say so, and the vacancies' download holds every row."""
    import io

    import numpy as np
    import openpyxl

    from benchmarks.costing import edited_option
    from benchmarks.generate import generate, to_csv_files
    from planner.establishment.importer import import_establishment
    from planner.structures.costing import cost_structure, vacancies_and_interims

    posts, people = generate(2_000, seed=6)
    with empty_db.session() as s:
        import_establishment(session=s, actor=empty_db.actors["hr"],
                             files=to_csv_files(posts, people))
        s.commit()
    edited_option(empty_db.engine, np.random.default_rng(5))
    at = app_as(empty_db.actors["hr"], PAGE)
    assert not at.exception, at.exception
    tables = [d.value for d in at.dataframe]
    difference = next(v for v in tables if "change" in v.columns)
    vacancies = next(v for v in tables if "interim_cost" in v.columns)
    assert len(difference) == len(vacancies) == ui.LIST_ROWS
    text = all_text(at)
    assert "The first 500 of" in text and "the download holds them all" in text
    with empty_db.session() as s:
        hr = empty_db.actors["hr"]
        report = vacancies_and_interims(session=s, actor=hr, structure_id=None,
                                        cost=cost_structure(session=s, actor=hr))
    assert report.vacancy_count > ui.LIST_ROWS
    sheet = openpyxl.load_workbook(io.BytesIO(
        ui.vacancies_xlsx(report, structure="Current")))["vacancies"]
    values = [r for r in sheet.iter_rows(values_only=True) if r[0] is not None]
    assert len(values) == report.vacancy_count + 2  # the title and the header


def test_an_options_shape_is_kept_without_its_whole_hierarchy(app_db, monkeypatch):
    """Catches: Compare keeping a whole hierarchy per option for its layers and median span
    (issue 16: 20 MB of the server at 50,000 posts), or the figures kept for the option not
    being its hierarchy's."""
    from planner.structures.hierarchy import load
    from planner.ui import orgchart

    oid = _hand_built_option(app_db)
    asked: list[int | None] = []
    real = orgchart.load_hierarchy

    def watched(actor, structure_id=None):
        asked.append(structure_id)
        return real(actor, structure_id)

    monkeypatch.setattr(orgchart, "load_hierarchy", watched)
    at = app_as(app_db.actors["hr"], PAGE)
    assert not at.exception, at.exception
    assert oid not in asked and asked  # the establishment's is the Org chart page's own
    with app_db.session() as s:
        tree = load(session=s, actor=app_db.actors["hr"], structure_id=oid)
        base = load(session=s, actor=app_db.actors["hr"])
    figures = _figures(at)
    median = tree.span_stats()["median"]
    assert figures.at["Layers", "Option A"] == str(tree.layers)
    assert figures.at["Layers", "Current establishment"] == str(base.layers)
    ref = next(r for r in ui.structures(app_db.actors["hr"]) if r.id == oid)
    assert ui.shape(app_db.actors["hr"], ref) == (tree.layers, median)
