"""The structure options page, per role: the list, creating, importing, the envelope, the
option's post editor (including a save refused because someone else saved first)."""

from __future__ import annotations

import pytest
from sqlmodel import select
from streamlit.testing.v1 import AppTest

from planner.charts import compare as cc
from planner.core.models import Post, Structure
from planner.establishment.register import PostEdits
from planner.structures.costing import cost_structure
from planner.structures.options import create_option, edit_option_posts, set_assume_recruited
from planner.ui import options as ui
from planner.ui.format import md_escape
from tests.app.conftest import all_text, app_as, page_alone

PAGE = "pages/options.py"
TAB_KEY = "options_tab"


def _make_option(db, name: str = "Option A", role: str = "manager") -> int:
    with db.session() as s:
        option = create_option(session=s, actor=db.actors[role], name=name,
                               description="Fewer layers")
        s.commit()
        return option.id


def _open(db, role: str, tab: str | None = None) -> AppTest:
    at = app_as(db.actors[role], PAGE)
    if tab is not None:
        at.session_state[TAB_KEY] = tab
        at.run()
    return at


def _listed(at: AppTest) -> list[str]:
    tables = [d.value for d in at.dataframe if list(d.value.columns)[:1] == ["name"]]
    assert len(tables) == 1
    return list(tables[0]["name"])


def _button(at: AppTest, label: str):
    found = [b for b in at.button if b.label == label]
    assert len(found) == 1, [b.label for b in at.button]
    return found[0]


def _option_post(db, option_id: int, ref: str) -> Post:
    with db.session() as s:
        return s.exec(select(Post).where(Post.structure_id == option_id,
                                         Post.post_ref == ref)).one()


def test_union_is_refused(app_db):
    """Catches: a union rep reading working options by typing the page's URL."""
    _make_option(app_db)
    at = page_alone(PAGE, app_db.actors["union"])
    assert not at.exception
    assert [e.value for e in at.error] == [
        "A union may not view the options. Ask an administrator if you need access."]
    assert not at.dataframe and "Option A" not in all_text(at)


@pytest.mark.parametrize(("role", "tabs", "can_create"), [
    ("manager", ["Cost and envelope", "Edit posts", "Name and description"], True),
    ("hr", ["Cost and envelope", "Edit posts", "Name and description"], True),
    ("admin", ["Cost and envelope"], False),
])
def test_each_role_sees_the_list_and_only_the_tools_it_may_use(app_db, role, tabs, can_create):
    """Catches: admin (options.read only) offered the editor or the create form, or the list
    missing the baseline."""
    _make_option(app_db)
    at = _open(app_db, role)
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    assert _listed(at) == ["Current establishment", "Option A"]
    assert [t.label for t in at.tabs if t.label in (
        "Cost and envelope", "Edit posts", "Name and description")] == tabs
    assert any(b.label == "Create option" for b in at.button) == can_create
    assert {m.label for m in at.metric} >= {"Full-year cost", "Envelope", "Headroom"}


def test_creating_an_option_through_the_form_lists_and_selects_it(app_db):
    """Catches: the form's values not reaching create_option, the list not refreshed, or the
    new option not selected for editing."""
    at = _open(app_db, "manager")
    at.text_input(key="create_name").input("Option B")
    at.text_area(key="create_description").input("Merge the service desks")
    _button(at, "Create option").click().run()
    assert not at.exception, at.exception
    assert "Created Option B" in all_text(at)
    assert _listed(at) == ["Current establishment", "Option B"]
    with app_db.session() as s:
        option = s.exec(select(Structure).where(Structure.name == "Option B")).one()
        assert option.description == "Merge the service desks"
    assert at.selectbox(key="option_selected").value == option.id


def test_a_bad_name_shows_the_reason_and_creates_nothing(app_db):
    at = _open(app_db, "hr")
    at.text_input(key="create_name").input("baseline")
    _button(at, "Create option").click().run()
    assert not at.exception, at.exception
    assert any("was not created" in e.value for e in at.error)
    assert _listed(at) == ["Current establishment"]


def test_saving_an_option_edit_changes_the_option_not_the_baseline(app_db):
    """Catches: the editor saving to the baseline, or the delta lost on the way to
    edit_option_posts."""
    oid = _make_option(app_db)
    at = _open(app_db, "manager", "Edit posts")
    editor = at.data_editor[0]
    pos = int(editor.value.index[editor.value["post_id"] == "O3"][0])
    at.session_state[editor.key] = {"edited_rows": {pos: {"grade": "PO2"}}, "added_rows": [],
                                    "deleted_rows": []}
    at.run()
    at.button(key="option_save_posts").click().run()
    assert not at.exception, at.exception
    assert "Saved Option A" in all_text(at)
    assert _option_post(app_db, oid, "O3").grade == "PO2"
    with app_db.session() as s:
        base = s.exec(select(Post).where(Post.post_ref == "O3")
                      .order_by(Post.id)).first()
        assert base.grade == "PO1"


def test_a_stale_save_shows_what_changed_and_keeps_the_edits(app_db):
    """Catches: a lost update, a bare "someone else saved" with no detail, or the editor
    swapped for a fresh one (losing the user's edits) because the option's version moved."""
    oid = _make_option(app_db)
    at = _open(app_db, "hr", "Edit posts")
    editor = at.data_editor[0]
    pos = int(editor.value.index[editor.value["post_id"] == "O1"][0])
    delta = {"edited_rows": {pos: {"title": "Mine"}}, "added_rows": [], "deleted_rows": []}
    at.session_state[editor.key] = delta
    at.run()
    with app_db.session() as s:  # the manager saves the same post meanwhile
        post = _option_post(app_db, oid, "O1")
        edit_option_posts(session=s, actor=app_db.actors["manager"], structure=oid,
                          edits=PostEdits(updated={"O1": {"title": "Theirs"}},
                                          versions={"O1": post.version}))
        s.commit()
    at.button(key="option_save_posts").click().run()
    assert not at.exception, at.exception
    message = " ".join(e.value for e in at.error)
    assert "Nothing was saved" in message and "O1" in message and "manager" in message
    assert _option_post(app_db, oid, "O1").title == "Theirs"
    assert at.data_editor[0].key == editor.key
    assert at.session_state[editor.key]["edited_rows"] == delta["edited_rows"]
    assert any("has changed since you opened this editor" in w.value for w in at.warning)


def test_setting_an_envelope_shows_the_overspend(app_db):
    """Catches: the form's £ text or partner shares mis-parsed, or the position not shown."""
    oid = _make_option(app_db)
    at = _open(app_db, "manager")
    at.text_input(key=f"envelope_total_{oid}_v1").input("£100,000")
    _button(at, "Save envelope").click().run()
    assert not at.exception, at.exception
    assert "Saved the budget envelope of Option A" in all_text(at)
    with app_db.session() as s:
        assert s.get(Structure, oid).envelope_pence == 100_000_00
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Envelope"] == "£100,000"
    # Every council is over: the count, never a total, and each named in red (issue 17).
    assert "Headroom" not in metrics and metrics["Councils over their envelope"] == "3"
    assert any(e.value.startswith("Over for 3 partners: Brent −£") for e in at.error)


def _full_year(db, structure_id: int) -> int:
    with db.session() as s:
        return cost_structure(session=s, actor=db.actors["hr"],
                              structure_id=structure_id).full_year_total


def test_assuming_recruitment_is_saved_and_recosts_the_option(app_db):
    """Catches: the toggle not reaching set_assume_recruited, or the cost shown not following
    it (a costing cached across the change). The six-post baseline's interim (O1) and agency
    worker (M2) become vacancies: 3,464,490 + 931,164 pence less a year (test_compare_page)."""
    oid = _make_option(app_db)
    before = _full_year(app_db, oid)
    at = _open(app_db, "manager")
    toggle = at.toggle(key=f"assume_recruited_{oid}_v1")
    assert toggle.label == ui.RECRUITED_LABEL and toggle.value is False and not toggle.disabled
    assert ui.RECRUITED_CAPTION in [c.value for c in at.caption]
    toggle.set_value(True).run()
    assert not at.exception, at.exception
    assert "Option A now assumes interim-covered posts are recruited to permanently" in all_text(
        at)
    with app_db.session() as s:
        option = s.get(Structure, oid)
        assert (option.assume_recruited, option.version) == (True, 2)
    assert at.toggle(key=f"assume_recruited_{oid}_v2").value is True
    assert {m.label: m.value for m in at.metric}["Full-year cost"] == cc.pounds(
        before - 4_395_654)
    # ... and off again.
    at.toggle(key=f"assume_recruited_{oid}_v2").set_value(False).run()
    assert not at.exception, at.exception
    with app_db.session() as s:
        assert s.get(Structure, oid).assume_recruited is False
    assert {m.label: m.value for m in at.metric}["Full-year cost"] == cc.pounds(before)


def test_the_recruitment_assumption_is_read_only_for_admin_and_absent_for_the_baseline(app_db):
    """Catches: a role without options.edit offered a live toggle, or the baseline (which
    keeps its interims) offered one at all."""
    oid = _make_option(app_db)
    with app_db.session() as s:
        set_assume_recruited(session=s, actor=app_db.actors["hr"], structure=oid, value=True,
                             expected_version=1)
        s.commit()
    at = _open(app_db, "admin")
    assert not at.exception, at.exception
    toggle = at.toggle(key=f"assume_recruited_{oid}_v2")
    assert toggle.value is True and toggle.disabled
    assert ui.RECRUITED_CAPTION in [c.value for c in at.caption]
    with app_db.session() as s:
        base_id = s.exec(select(Structure.id).where(Structure.kind == "baseline")).one()
    at.selectbox(key=ui.SELECT_KEY).set_value(base_id).run()
    assert not at.exception, at.exception
    assert not at.toggle and ui.RECRUITED_CAPTION not in [c.value for c in at.caption]


def test_importing_an_option_from_posts_csv(app_db):
    """Catches: the upload not reaching import_option, or the import's counts not shown."""
    csv = (b"post_id,title,division,team,reports_to,grade,fte,partner,funding\n"
           b"H1,Head of Service,Digital,Management,,SM2,1,shared,base\n"
           b"M1,Team Leader,Digital,Core,H1,PO6,1,shared,base\n"
           b"N1,Data Lead,Digital,Core,H1,PO5,1,shared,base\n")
    at = _open(app_db, "manager")
    at.file_uploader(key="option_import_files").set_value(("posts.csv", csv, "text/csv")).run()
    at.text_input(key="option_import_name").input("Lean option")
    at.button(key="option_import_button").click().run()
    assert not at.exception, at.exception
    assert "Imported Lean option: 3 posts (1 new, 4 deleted" in all_text(at)
    assert _listed(at) == ["Current establishment", "Lean option"]


def test_deleting_needs_the_confirmation(app_db):
    """Catches: an option deleted by one stray click, or the baseline offered for deletion."""
    _make_option(app_db)
    at = _open(app_db, "manager", "Name and description")
    assert at.button(key="option_delete").disabled
    at.checkbox(key=f"delete_confirm_{at.selectbox(key='option_selected').value}").check().run()
    at.button(key="option_delete").click().run()
    assert not at.exception, at.exception
    assert "Deleted Option A" in all_text(at)
    assert _listed(at) == ["Current establishment"]
    assert "Name and description" not in [t.label for t in at.tabs]


def test_a_bad_import_shows_every_error_and_creates_nothing(app_db):
    """Catches: import errors swallowed, or an option half-created from a bad file."""
    bad = b"post_id,title,grade,fte\nX1,Officer,NOPE,1\nX1,Duplicate,PO2,7\n"
    at = _open(app_db, "hr")
    at.file_uploader(key="option_import_files").set_value(("posts.csv", bad, "text/csv")).run()
    at.text_input(key="option_import_name").input("Broken option")
    at.button(key="option_import_button").click().run()
    assert not at.exception, at.exception
    assert any("The import was refused" in e.value for e in at.error)
    errors = [d.value for d in at.dataframe if list(d.value.columns)[:1] == ["sheet"]]
    assert len(errors) == 1 and len(errors[0]) >= 2
    assert _listed(at) == ["Current establishment"]


def test_renaming_through_the_form(app_db):
    """Catches: the details form not reaching rename_option / describe_option."""
    oid = _make_option(app_db)
    at = _open(app_db, "manager", "Name and description")
    form_inputs = [t for t in at.text_input if t.label == "Name" and t.value == "Option A"]
    form_inputs[0].input("Option A2")
    [t for t in at.text_area if t.label == "Description" and t.value == "Fewer layers"][0] \
        .input("Two layers fewer")
    _button(at, "Save").click().run()
    assert not at.exception, at.exception
    with app_db.session() as s:
        option = s.get(Structure, oid)
        assert (option.name, option.description) == ("Option A2", "Two layers fewer")
    assert _listed(at) == ["Current establishment", "Option A2"]


@pytest.mark.parametrize(("text", "pence"), [
    ("", None), ("£1,234,567.50", 123456750), ("6900000", 690000000), (" 12.3 ", 1230),
])
def test_pence_from_text(text, pence):
    from planner.ui.options import pence_from_text

    assert pence_from_text(text) == pence


@pytest.mark.parametrize("text", ["lots", "1.234", "£"])
def test_pence_from_text_refuses_what_is_not_money(text):
    from planner.ui.options import pence_from_text

    if text == "£":
        assert pence_from_text(text) is None
    else:
        with pytest.raises(ValueError):
            pence_from_text(text)


def test_shares_from_table_reads_amounts_and_percentages():
    import pandas as pd

    from planner.structures.options import PartnerShare
    from planner.ui.options import shares_from_table

    table = pd.DataFrame({"partner": ["Brent", "Lewisham", "LGA"],
                          "amount": [2_300_000.5, None, None], "share": [None, 33.33, None]})
    assert shares_from_table(table) == {
        "Brent": PartnerShare(amount_pence=230_000_050),
        "Lewisham": PartnerShare(share_bp=3333)}


def _import_with_o1_retitled(db, title: str) -> None:
    """HR re-imports the establishment (its own export) with O1 retitled."""
    import io
    import zipfile

    import pandas as pd

    from planner.establishment.exports import export_csv_zip
    from planner.establishment.importer import import_establishment

    with db.session() as s:
        data = export_csv_zip(session=s, actor=db.actors["hr"])
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        files = {n.rsplit("/", 1)[-1]: zf.read(n) for n in zf.namelist()}
    posts = pd.read_csv(io.BytesIO(files["posts.csv"]), dtype=str, keep_default_na=False)
    posts.loc[posts["post_id"] == "O1", "title"] = title
    files["posts.csv"] = posts.to_csv(index=False).encode()
    with db.session() as s:
        import_establishment(session=s, actor=db.actors["hr"], files=list(files.items()))
        s.commit()


def test_conflicts_are_listed_in_sentences_and_marked_dealt_with(app_db):
    """Catches: a rebase conflict the user never sees, a raw kind/field code instead of a
    sentence, or "Mark all" not reaching resolve_conflicts."""
    oid = _make_option(app_db)
    with app_db.session() as s:
        o1 = _option_post(app_db, oid, "O1")
        edit_option_posts(session=s, actor=app_db.actors["manager"], structure=oid,
                          edits=PostEdits(updated={"O1": {"title": "Support Officer"}},
                                          versions={"O1": o1.version}))
        s.commit()
    _import_with_o1_retitled(app_db, "Senior Officer")
    at = _open(app_db, "manager")
    assert not at.exception, at.exception
    sentence = ("O1: the option retitled it “Support Officer” and the new establishment "
                "retitled it “Senior Officer”; the option's “Support Officer” was kept.")
    shown = md_escape(sentence)  # shown as typed, never as markup
    assert shown in all_text(at)
    _button(at, "Mark all as dealt with").click().run()
    assert not at.exception, at.exception
    assert "Marked 1 conflict of Option A as dealt with." in all_text(at)
    assert shown not in all_text(at)
    assert _option_post(app_db, oid, "O1").title == "Support Officer"


def test_archiving_hides_the_option_makes_it_read_only_and_restoring_brings_it_back(app_db):
    """Catches: an archived option still listed by default, still offered the editor, or
    no way back from the archive."""
    _make_option(app_db)
    at = _open(app_db, "manager", "Name and description")
    _button(at, "Archive option").click().run()
    assert not at.exception, at.exception
    assert _listed(at) == ["Current establishment"]
    at.checkbox(key=ui.SHOW_ARCHIVED_KEY).check().run()
    assert _listed(at) == ["Current establishment", "Option A"]
    at.selectbox(key="option_selected").set_value(
        next(r for r in ui.load_listing(app_db.actors["manager"], include_archived=True).refs
             if r.name == "Option A").id).run()
    assert "Option A is archived: it is read-only." in all_text(at)
    assert not [t for t in at.tabs if t.label == "Edit posts"]
    _button(at, "Restore option").click().run()
    assert not at.exception, at.exception
    assert "Restored Option A" in all_text(at)
    at.checkbox(key=ui.SHOW_ARCHIVED_KEY).uncheck().run()
    assert _listed(at) == ["Current establishment", "Option A"]


@pytest.mark.parametrize("role", ["manager", "hr", "admin"])
def test_the_structure_can_be_downloaded_as_a_published_organogram(app_db, role):
    """Issue 14: every role that may export and read the pay the bands come from is offered
    the structure as an organogram (union representatives never reach this page)."""
    _make_option(app_db)
    at = _open(app_db, role, "Cost and envelope")
    assert not at.exception, at.exception
    assert "options_organogram" in [b.key for b in at.get("download_button")]


def test_band_grades_are_said_with_their_costing_point(app_db):
    from planner.establishment.organogram_import import import_organogram, prepare_organogram
    from tests.establishment.organogram_pair import JUNIOR_FILE, SENIOR_FILE

    with app_db.session() as s:
        prepared = prepare_organogram(session=s, actor=app_db.actors["hr"], senior=SENIOR_FILE,
                                      junior=JUNIOR_FILE)
        import_organogram(session=s, actor=app_db.actors["hr"], prepared=prepared)
        s.commit()
    at = _open(app_db, "hr", "Cost and envelope")
    assert not at.exception, at.exception
    assert "costed at the band's maximum (setting band_cost_point)" in all_text(at).replace(
        "\\", "")


def test_an_option_nobody_is_mapped_in_says_so_without_building_its_bill(app_db, monkeypatch):
    """Catches: Structure options building the whole mapping and exit bill of an option only
    to say that nobody in it is mapped (three seconds at 50,000 posts, issue 16), or no longer
    saying it; and, once someone is mapped, the page not building the bill after all."""
    from planner.core.models import Occupancy
    from planner.people import exit_bill

    oid = _make_option(app_db)
    with app_db.session() as s:
        held = s.exec(select(Post).join(Occupancy, Occupancy.post_id == Post.id)).first()
        mine = _option_post(app_db, oid, held.post_ref)
        edit_option_posts(session=s, actor=app_db.actors["manager"], structure=oid,
                          edits=PostEdits(updated={mine.post_ref: {"grade": "PO7"}},
                                          versions={mine.post_ref: mine.version}))
        s.commit()
    built = []
    whole = exit_bill.exit_bill
    monkeypatch.setattr(exit_bill, "exit_bill", lambda **kw: built.append(1) or whole(**kw))
    at = app_as(app_db.actors["manager"])
    at.session_state[ui.SELECT_KEY] = oid
    at.switch_page(PAGE).run()
    assert not at.exception, at.exception
    assert "Nobody in Option A is mapped yet, so its exit bill is not known" in all_text(at)
    assert built == []
    from planner.core.models import Person
    from tests.people.test_mapping import _save

    with app_db.session() as s:
        person = s.exec(select(Person).join(Occupancy, Occupancy.person_id == Person.id)
                        .where(Occupancy.post_id == held.id)).first()
        _save(s, app_db.actors["hr"], oid, [{"employee_id": person.employee_ref,
                                             "outcome": "at-risk"}])
        s.commit()
    at.run()
    assert not at.exception, at.exception
    assert built and "One-off cost and payback" in all_text(at)


def test_headline_cards_go_two_to_a_row_when_a_figure_would_be_cut_short():
    """Catches: a county's £3,282,289,886 drawn four to a row and cut to "£3,282,289…"
    (issue 16's screenshots), or a short set of cards split for nothing, or a card lost."""
    from planner.ui.format import METRIC_CHARS, metric_rows

    short = [("Full-year cost", "£6,850,000", ""), ("Spend", "£6,850,000", ""),
             ("Envelope", "not set", ""), ("Headroom", "—", "")]
    assert metric_rows(short) == [short]
    long = [*short[:1], ("Spend for 12 months", "£3,282,289,886", ""), *short[2:]]
    assert len(long[1][1]) > METRIC_CHARS
    assert metric_rows(long) == [long[:2], long[2:]]
    assert metric_rows(long[:3]) == [long[:2], long[2:3]]
    assert metric_rows([]) == [[]]


def test_the_listing_writes_fte_as_the_register_does(app_db, monkeypatch):
    """Catches: the structures list showing "47805.8" beside "50,000" posts (issue 16's
    screenshot at 50,000 posts): FTE without its thousands separator, or trailing zeros."""
    real = ui.list_structures

    def big(**kwargs):
        frame = real(**kwargs)
        frame["fte"] = ["47805.80", "5.10"][:len(frame)] + ["1"] * (len(frame) - 2)
        return frame

    monkeypatch.setattr(ui, "list_structures", big)
    table = ui.load_listing(app_db.actors["manager"]).table
    assert table["fte"].iloc[0] == "47,805.8"
