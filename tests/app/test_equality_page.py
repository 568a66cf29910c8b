"""The equality page per role, on the six-post establishment (conftest.build_establishment)
with everyone's equality answers and one option that deletes O3 (Eli Fox at risk).

Six people is under every suppression threshold, so any count a suppressed view shows must
read "<10"; hr and admin see the numbers only after turning the toggle on.
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlmodel import select
from streamlit.testing.v1 import AppTest

from planner.core.models import EQUALITY_FIELDS, Person, Post, Structure
from planner.equality import analysis as eq
from planner.equality import checkpoints as eq_checkpoints
from planner.equality import records as eq_records
from planner.equality import rules as eq_rules
from planner.establishment.register import PostEdits
from planner.structures.options import create_option, edit_option_posts
from planner.ui import equality as ui
from planner.ui.format import md_escape
from tests.app.conftest import all_text, app_as, page_alone

PAGE = "pages/equality.py"
OPTION = "Option 1: single service desk"


def _option(db, *, status: str | None = None) -> int:
    """Everyone's answers (alternating sexes, nobody disabled), and OPTION deleting O3."""
    with db.session() as s:
        refs = [p.employee_ref for p in s.exec(select(Person).order_by(Person.id)).all()]
        eq_records.save_equality_records(session=s, actor=db.actors["hr"], rows=[
            {"employee_id": ref, **dict.fromkeys(EQUALITY_FIELDS, ""),
             "sex": "female" if i % 2 else "male", "disability": "no", "withdrawn": False,
             "version": 0} for i, ref in enumerate(refs)])
        option = create_option(session=s, actor=db.actors["manager"], name=OPTION)
        version = s.exec(select(Post.version).where(Post.structure_id == option.id,
                                                    Post.post_ref == "O3")).one()
        edit_option_posts(session=s, actor=db.actors["manager"], structure=option.id,
                          edits=PostEdits(deleted=["O3"], versions={"O3": version}))
        if status is not None:  # published by hand: publishing is not built yet
            row = s.get(Structure, option.id)
            row.status = status
            s.add(row)
        s.commit()
        return option.id


def _open(db, role: str, tab: str | None = None) -> AppTest:
    at = app_as(db.actors[role], PAGE)
    if tab is not None:
        at.session_state[ui.TAB_KEY] = tab
        at.run()
    assert not at.exception, at.exception
    return at


def _tabs(at: AppTest) -> list[str]:
    return [t.label for t in at.tabs]


def _figures(at: AppTest):
    (table,) = [d.value for d in at.dataframe if "Whole service" in d.value.columns]
    return table


def _checkpoint(db, oid: int, stage: int) -> eq_checkpoints.Checkpoint:
    with db.session() as s:
        return eq_checkpoints.checkpoints(session=s, actor=db.actors["hr"], structure=oid)[stage - 1]


@pytest.mark.parametrize(("role", "tabs", "toggle", "editors", "status"), [
    ("hr", ["Analysis", "Checkpoints", "Equality records"], True, 3, True),
    ("manager", ["Analysis", "Checkpoints"], False, 0, True),
    ("admin", ["Analysis", "Checkpoints"], True, 0, False),
])
def test_each_role_gets_only_its_tools(app_db, role, tabs, toggle, editors, status):
    """Catches: the records tab or the edit forms shown to a role that may not use them
    (admin may look at unsuppressed figures but not assess), or hr missing its toggle."""
    _option(app_db)
    at = _open(app_db, role)
    assert _tabs(at) == tabs
    assert bool([t for t in at.toggle if t.label == ui.UNSUPPRESSED_LABEL]) is toggle
    assert at.selectbox(key=ui.SELECT_KEY).value is not None
    assert any(b.label == ui.DOWNLOAD_LABEL for b in at.get("download_button"))
    # Ten characteristic charts (nine protected and working pattern), grade mix, part time.
    assert len(at.get("vega_lite_chart")) == len(eq_rules.CHARACTERISTICS) + len(
        eq_rules.EXTRA_DIMENSIONS) + 2
    at.session_state[ui.TAB_KEY] = "Checkpoints"
    at.run()
    assert not at.exception, at.exception
    assert len(at.data_editor) == editors
    assert len([e for e in at.expander]) == 3
    has_status = any(s.label == "Status" for s in at.selectbox)
    assert has_status is status


@pytest.mark.parametrize("role", ["hr", "admin", "manager"])
def test_the_default_view_is_suppressed_for_everyone(app_db, role):
    """Catches: hr or admin shown unsuppressed figures before asking (the default must be
    the safe view, DOMAIN.md §6)."""
    _option(app_db)
    at = _open(app_db, role)
    figures = _figures(at)
    assert set(figures["Whole service"]) <= {"<10", "—"}
    assert set(figures["At risk"]) <= {"<10", "—"}
    assert md_escape("Counts under 10 are shown as <10") in " ".join(
        w.value for w in at.warning)


def test_hr_turns_the_unsuppressed_figures_on(app_db):
    """Catches: the toggle not reaching analyse (still "<10"), or no warning that the
    figures now identify people."""
    _option(app_db)
    at = _open(app_db, "hr")
    at.toggle(key=ui.UNSUPPRESSED_KEY).set_value(True).run()
    assert not at.exception, at.exception
    figures = _figures(at)
    sex = figures[figures["Characteristic"] == "Sex"].set_index("Group")
    # Six people by hand: E1 male, E2 female, E3 male, I1 female, E4 male, A1 female
    # (alternating in id order), however many of them the analysis counts as employees.
    assert "<10" not in set(figures["Whole service"])
    assert all(v.isdigit() for v in sex["Whole service"])
    assert any("not suppressed" in w.value for w in at.warning)


@pytest.mark.parametrize("status", ["draft", "published"])
def test_a_union_rep_never_reads_a_live_option_here(app_db, status):
    """Catches: a live option's equality figures shown to a union rep who types the page's
    URL, published or not: they read the analysis a published draft froze (issue 13)."""
    _option(app_db, status=status)
    at = page_alone(PAGE, app_db.actors["union"])
    assert not at.exception, at.exception
    assert not at.dataframe and not at.get("vega_lite_chart")
    assert not at.get("download_button")
    assert len(at.error) == 1 and "A union may not" in at.error[0].value


def test_the_page_says_how_figures_are_suppressed_and_against_which_options(app_db):
    """Catches: a manager's figures suppressed without the page saying how, or without naming
    the other options they are suppressed with (issue 10: every option the reader can read,
    drafts included for a manager), and the unsuppressed view claiming a method."""
    _option(app_db, status="published")
    with app_db.session() as s:
        second = create_option(session=s, actor=app_db.actors["manager"], name="Option 2",
                               source=OPTION)
        hidden = create_option(session=s, actor=app_db.actors["manager"], name="Secret draft",
                               source=OPTION)
        row = s.get(Structure, second.id)
        row.status = "published"
        s.add(row)
        s.commit()
        assert hidden.status == "draft"
    at = _open(app_db, "manager")
    at.selectbox(key=ui.SELECT_KEY).set_value(
        next(r.id for r in ui.options_for(app_db.actors["manager"]) if r.name == OPTION)).run()
    assert not at.exception, at.exception
    captions = [c.value for c in at.caption if c.value.startswith("How small numbers")]
    assert len(captions) == 1
    assert "suppressed together" in captions[0] and "Option 2" in captions[0]
    assert "Secret draft" in captions[0]
    hr = _open(app_db, "hr")
    hr.toggle(key=ui.UNSUPPRESSED_KEY).set_value(True).run()
    assert not [c for c in hr.caption if c.value.startswith("How small numbers")]


def test_hr_saves_stage_one_from_the_editor(app_db):
    """Catches: the editor's delta lost on the way to save_checkpoint, or the due date
    ignored."""
    oid = _option(app_db)
    at = _open(app_db, "hr", "Checkpoints")
    editor = next(e for e in at.data_editor if e.key.startswith(f"equality_impacts_{oid}_1_"))
    age = int(editor.value.index[editor.value["characteristic"] == "age"][0])
    at.session_state[editor.key] = {"edited_rows": {age: {"impact": "negative",
                                                          "evidence": "Older staff in O3"}},
                                    "added_rows": [], "deleted_rows": []}
    at.date_input(key=f"equality_due_{oid}_1_v0").set_value(dt.date(2026, 2, 2))
    at.run()
    at.button(key="equality_save_1").click().run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    saved = _checkpoint(app_db, oid, 1)
    assert saved.due_on == dt.date(2026, 2, 2)
    row = saved.impacts.set_index("characteristic").loc["age"]
    assert (row["impact"], row["evidence"]) == ("negative", "Older staff in O3")
    assert "Saved stage 1" in all_text(at)


def _sign_off_stage_one(db, oid: int) -> None:
    with db.session() as s:
        cp = eq_checkpoints.save_checkpoint(
            session=s, actor=db.actors["hr"], structure=oid, stage=1, due_on=None,
            impacts=[{"characteristic": k, "impact": "neutral", "evidence": "No change",
                      "mitigation": ""} for k, _ in eq_rules.CHARACTERISTICS], expected_version=0)
        eq_checkpoints.sign_off_checkpoint(session=s, actor=db.actors["hr"], structure=oid, stage=1,
                               expected_version=cp.version, today=dt.date(2026, 3, 3))
        s.commit()


def test_signing_off_stage_two_with_impacts_not_yet_known_is_refused(app_db):
    """Catches: a sign-off of undecided impacts (the gate in planner/ bypassed), or the
    refusal swallowed without a message."""
    oid = _option(app_db)
    _sign_off_stage_one(app_db, oid)
    at = _open(app_db, "hr", "Checkpoints")
    assert "signed off" in [e for e in at.expander][0].label
    at.button(key="equality_sign_2").click().run()
    assert not at.exception, at.exception
    assert at.error, "the refusal must be shown"
    after = _checkpoint(app_db, oid, 2)
    assert not after.signed_off and after.version == 0
    assert any(b.key == "equality_sign_2" for b in at.button)  # still offered, nothing saved


def test_a_status_gate_refusal_is_shown_as_a_sentence(app_db):
    """Catches: marking an option final before stage 2 is signed off, or the gate's reason
    lost (a bare failure)."""
    oid = _option(app_db)
    at = _open(app_db, "manager", "Checkpoints")
    status = next(s for s in at.selectbox if s.label == "Status")
    status.set_value("final").run()
    at.button(key="equality_set_status").click().run()
    assert not at.exception, at.exception
    message = " ".join(e.value for e in at.error)
    assert "stage 2" in message.lower()
    with app_db.session() as s:
        assert s.get(Structure, oid).status != "final"


def test_hr_edits_and_imports_equality_records(app_db):
    """Catches: the records editor saving nobody (delta dropped) or every row, and a bad
    import changing anything or showing no error table."""
    _option(app_db)
    at = _open(app_db, "hr", "Equality records")
    editor = at.data_editor[0]
    assert "name" in editor.value.columns
    pos = int(editor.value.index[editor.value["employee_id"] == "E4"][0])
    at.session_state[editor.key] = {"edited_rows": {pos: {"withdrawn": True}},
                                    "added_rows": [], "deleted_rows": []}
    at.run()
    at.button(key="equality_records_save").click().run()
    assert not at.exception, at.exception
    assert "Saved the equality records of 1 person" in all_text(at)
    with app_db.session() as s:
        records = eq_records.equality_records(session=s, actor=app_db.actors["hr"]).set_index(
            "employee_id")
    assert bool(records.loc["E4", "withdrawn"]) is True
    assert bool(records.loc["E1", "withdrawn"]) is False

    bad = b"employee_id,sex\nNOBODY,female\n"
    at.file_uploader(key="equality_import_files").set_value(
        ("equality.csv", bad, "text/csv")).run()
    at.button(key="equality_import").click().run()
    assert not at.exception, at.exception
    assert any("The import was refused" in e.value for e in at.error)
    errors = [d.value for d in at.dataframe if "message" in d.value.columns]
    assert errors and "NOBODY" in " ".join(errors[0]["message"].astype(str)) + " ".join(
        errors[0]["row"].astype(str))


def test_the_records_helper_sends_only_the_edited_rows(app_db):
    """Catches: unchanged people re-saved (needless audit events, stale-version refusals
    for rows nobody touched) or the version not sent back."""
    _option(app_db)
    with app_db.session() as s:
        original = eq_records.equality_records(session=s, actor=app_db.actors["hr"]).reset_index(
            drop=True)
    pos = int(original.index[original["employee_id"] == "E2"][0])
    rows = ui.record_rows(original, {"edited_rows": {str(pos): {"disability": "yes"}}})
    assert len(rows) == 1
    assert rows[0]["employee_id"] == "E2" and rows[0]["disability"] == "yes"
    assert rows[0]["version"] == int(original.loc[pos, "version"]) and "name" not in rows[0]


def test_a_stale_checkpoint_save_is_refused_and_keeps_the_edits(app_db):
    """Catches: a lost update (a colleague's stage 1 overwritten), or the editor rebuilt from
    the new version so the user's typing vanishes."""
    oid = _option(app_db)
    at = _open(app_db, "hr", "Checkpoints")
    editor = next(e for e in at.data_editor if e.key.startswith(f"equality_impacts_{oid}_1_"))
    delta = {"edited_rows": {0: {"evidence": "Mine"}}, "added_rows": [], "deleted_rows": []}
    at.session_state[editor.key] = delta
    at.run()
    with app_db.session() as s:  # a colleague saves stage 1 meanwhile
        eq_checkpoints.save_checkpoint(session=s, actor=app_db.actors["hr"], structure=oid, stage=1,
                           due_on=None, impacts=[{"characteristic": "age", "impact": "neutral",
                                                  "evidence": "Theirs", "mitigation": ""}],
                           expected_version=0)
        s.commit()
    at.button(key="equality_save_1").click().run()
    assert not at.exception, at.exception
    assert at.error, "the stale save must be refused with a message"
    saved = _checkpoint(app_db, oid, 1).impacts.set_index("characteristic")
    assert saved.loc["age", "evidence"] == "Theirs"
    assert any(e.key == editor.key for e in at.data_editor)
    assert at.session_state[editor.key]["edited_rows"] == delta["edited_rows"]
    assert any("has changed since you opened it" in w.value for w in at.warning)


@pytest.mark.parametrize("role", ["manager", "hr"])
def test_the_download_is_suppressed_for_every_role(app_db, role):
    """Catches: hr's download built from the unsuppressed analysis (exports are always
    suppressed), or a name reaching the file."""
    import io

    from docx import Document

    _option(app_db, status="published")
    actor = app_db.actors[role]
    at = _open(app_db, role)
    if role == "hr":  # even with the unsuppressed view on screen
        at.toggle(key=ui.UNSUPPRESSED_KEY).set_value(True).run()
    (ref,) = [r for r in ui.options_for(actor) if r.name == OPTION]
    doc = Document(io.BytesIO(ui.summary(actor, ref, today=dt.date(2026, 11, 27))))
    cells = [c.text for t in doc.tables for row in t.rows for c in row.cells]
    text = "\n".join([p.text for p in doc.paragraphs] + cells)
    assert "<10" in cells
    assert "Equality analysis: " + OPTION in text
    with app_db.session() as s:
        for name in s.exec(select(Person.name)).all():
            assert name not in text


def test_an_option_gone_after_listing_is_refused_with_a_message(app_db, monkeypatch):
    """Catches: a traceback (or, worse, an analysis) when the option picked is deleted between
    the picker being filled and the analysis being read."""
    import dataclasses

    _option(app_db, status="published")
    at = _open(app_db, "manager")
    (listed,) = [r for r in ui.options_for(app_db.actors["manager"]) if r.name == OPTION]
    gone = dataclasses.replace(listed, id=987654, name="Gone")
    monkeypatch.setattr(ui, "options_for", lambda actor: [gone])
    at.run()
    assert not at.exception, at.exception
    assert len(at.error) == 1
    assert not at.get("vega_lite_chart")


def test_notes_go_under_the_chart_they_are_about():
    """Catches: a note filed under the wrong characteristic ("Sex" vs "Sexual orientation"
    share a prefix), or a general note lost."""
    general, notes = ui.sort_warnings(
        ["Counts under 10 are shown as <10.", "Sex, Male: the at-risk rate is lower.",
         "Sexual orientation: nothing can be concluded.", "Age: nothing can be concluded.",
         "Racecourse staff: not a characteristic."],
        ["Age", "Race", "Sex", "Sexual orientation"])
    assert general == ["Counts under 10 are shown as <10.", "Racecourse staff: not a "
                       "characteristic."]
    assert notes == {"Age": ["Age: nothing can be concluded."], "Race": [],
                     "Sex": ["Sex, Male: the at-risk rate is lower."],
                     "Sexual orientation": ["Sexual orientation: nothing can be concluded."]}


@pytest.mark.parametrize(("note", "label", "shown"), [
    ("Sex, Male: the at-risk rate is lower.", "Sex", "Male: the at-risk rate is lower."),
    ("Age: no group's count can be shown.", "Age", "No group's count can be shown."),
    ("Counts under 10 are hidden.", "Age", "Counts under 10 are hidden."),
])
def test_a_note_under_its_chart_drops_the_charts_title(note, label, shown):
    """Catches: "Age: Age, 16-24: ..." repetition, or a general note mangled."""
    assert ui.note_text(note, label) == shown


def test_groups_flagged_counts_groups_not_gaps_in_the_data():
    """Catches: "unknown" and "prefer not to say" counted as flagged groups, which made the
    unsuppressed demo read "40 groups flagged" and alarm a reader over missing answers."""
    import pandas as pd

    from planner.ui.equality import headline

    table = pd.DataFrame({"category": ["Female", "Male", eq_rules.UNKNOWN, eq_rules.PREFER_NOT, "Disabled"],
                          "flag": ["", "higher", "higher", "lower", "lower"]})
    result = eq.EqualityAnalysis(
        structure_id=1, structure_name="Option", suppressed=False, threshold=10,
        service_total=50, at_risk_total=12, at_risk_text="12", table=table,
        grade_mix=pd.DataFrame(), part_time=pd.DataFrame(), warnings=[])
    figures = {label: value for label, value, _ in headline(result)}
    assert figures["Groups flagged"] == "2"


def test_the_at_risk_headline_is_grouped_like_the_service_total():
    """Catches: "4009" beside "36,337" (a 50,000-post service), or a suppressed "<10" mangled."""
    import dataclasses

    import pandas as pd

    base = eq.EqualityAnalysis(
        structure_id=1, structure_name="Option", suppressed=True, threshold=10,
        service_total=36_337, at_risk_total=4_009, at_risk_text="4009",
        table=pd.DataFrame(columns=["flag", "category"]), grade_mix=pd.DataFrame(),
        part_time=pd.DataFrame(), warnings=[])
    shown = {label: value for label, value, _ in ui.headline(base)}
    assert shown["People at risk"] == "4,009" and shown["People in the service"] == "36,337"
    hidden = dataclasses.replace(base, at_risk_total=None, at_risk_text="<10")
    assert {label: value for label, value, _ in ui.headline(hidden)}["People at risk"] == "<10"
