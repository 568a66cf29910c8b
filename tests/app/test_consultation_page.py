"""The Consultation page per role, on an option of the six-post establishment
(tests/factories.build_small_establishment) that deletes O1, O3 and M2.

So, counted by hand: O3's Eli Fox (permanent) is the one proposed dismissal; O1's interim
Dee Evans and M2's agency worker Fay Gray are the two agency and interim workers; s.188 does
not apply (1 < 20) unless a local minimum is set.
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlmodel import select
from streamlit.testing.v1 import AppTest

from planner.core.config import get_settings
from planner.core.models import AuditEvent, ConsultationStage, Post, Structure
from planner.core.models import ConsultationPlan as PlanRow
from planner.establishment.register import PostEdits
from planner.legal.consultation import consultation_view
from planner.structures.options import create_option, edit_option_posts
from tests.app.conftest import all_text, app_as, page_alone

PAGE = "pages/consultation.py"
OPTION = "Option C: fewer officers"


def _option(db, *, status: str | None = None) -> int:
    """The option deleting O1, O3 and M2 (at `status` if given, set directly)."""
    actor = db.actors["hr"]
    with db.session() as s:
        option = create_option(session=s, actor=actor, name=OPTION)
        versions = {p.post_ref: p.version for p in s.exec(
            select(Post).where(Post.structure_id == option.id)).all()}
        edit_option_posts(session=s, actor=actor, structure=option.id, edits=PostEdits(
            deleted=["O1", "O3", "M2"],
            versions={k: versions[k] for k in ("O1", "O3", "M2")}))
        if status is not None:
            row = s.get(Structure, option.id)
            row.status = status
            s.add(row)
        s.commit()
        return option.id


def _metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def _button(at: AppTest, label: str):
    found = [b for b in at.button if b.label == label]
    assert len(found) == 1, [b.label for b in at.button]
    return found[0]


def _people_names(at: AppTest) -> list[str]:
    tables = [d.value for d in at.dataframe if "notice_weeks" in d.value.columns]
    return [] if not tables else sorted(tables[0]["name"])


def _view(db, option_id: int, role: str = "hr"):
    with db.session() as s:
        return consultation_view(session=s, actor=db.actors[role], structure=option_id)


def test_hr_sees_the_counts_the_people_and_the_edit_forms(app_db):
    """Catches: the s.188 count including interims or agency workers, the people list not
    shown to hr, or hr without the plan form and stages editor."""
    _option(app_db)
    at = app_as(app_db.actors["hr"], PAGE)
    assert not at.exception, at.exception
    metrics = _metrics(at)
    assert metrics["Proposed dismissals"] == "1"
    assert metrics["Agency and interim workers"] == "2"
    assert metrics["s.188 applies"] == "No"
    assert metrics["Earliest lawful first dismissal"] == "Set the launch date"
    assert _people_names(at) == ["Dee Evans", "Eli Fox", "Fay Gray"]
    assert _button(at, "Save plan") and _button(at, "Save stages")
    assert len(at.data_editor) == 1
    assert len(at.date_input) == 4
    assert "Set the launch date" in all_text(at)
    labels = {b.label for b in at.get("download_button")}
    assert labels == {"s.188(4) and HR1 disclosure (.docx)", "Timeline (.ics)"}


def test_hr_saves_the_launch_date_and_the_clock_starts(app_db):
    """Catches: the form not reaching save_plan, the version not sent, or the page not
    redrawn with the earliest first dismissal and the timeline after the save."""
    oid = _option(app_db)
    at = app_as(app_db.actors["hr"], PAGE)
    launch = dt.date.today() + dt.timedelta(days=10)
    date_inputs = {d.label: d for d in at.date_input}
    date_inputs["Launch date"].set_value(launch)
    [t for t in at.text_input if t.label == "Establishment"][0].input("Civic Centre")
    _button(at, "Save plan").click().run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    assert any("Saved the consultation plan" in s.value for s in at.success)
    plan = _view(app_db, oid).plan
    assert (plan.launch_on, plan.establishment, plan.version) == (launch, "Civic Centre", 1)
    # One employee: no statutory minimum, so no earliest day and no HR1 (s.193 needs 20).
    metrics = _metrics(at)
    assert metrics["Earliest lawful first dismissal"] == "No minimum"
    assert metrics["HR1 deadline"] == "Not required"
    assert len(at.get("vega_lite_chart")) == 1
    assert any(s.value.startswith("No breaches:") for s in at.success)
    with app_db.session() as s:
        events = s.exec(select(AuditEvent).where(AuditEvent.entity == "consultation_plan")).all()
        assert len(events) == 1


def test_a_local_minimum_breach_is_a_sentence_in_red(app_db, monkeypatch):
    """Catches: breaches not shown as errors, or the success message shown beside them."""
    monkeypatch.setenv("PLANNER_LOCAL_CONSULTATION_MINIMUM_DAYS", "14")
    get_settings.cache_clear()
    oid = _option(app_db)
    launch = dt.date.today() + dt.timedelta(days=10)
    with app_db.session() as s:
        s.add(PlanRow(structure_id=oid, launch_on=launch,
                      first_dismissal_on=launch + dt.timedelta(days=13)))
        s.commit()
    at = app_as(app_db.actors["manager"], PAGE)
    assert not at.exception, at.exception
    errors = [e.value for e in at.error]
    assert len(errors) == 1 and "is 13 days after the consultation began" in errors[0]
    assert "the local agreement requires at least 14" in errors[0]
    assert not any(s.value.startswith("No breaches") for s in at.success)
    assert _metrics(at)["s.188 applies"] == "No (local 14 days)"


def test_an_invalid_stage_is_refused_with_its_reason_and_nothing_is_saved(app_db):
    """Catches: a refused save that writes some stages, hides why, or loses the edit."""
    oid = _option(app_db)
    at = app_as(app_db.actors["hr"], PAGE)
    editor = at.data_editor[0]
    original = editor.value
    pos = int(original.index[original["key"] == "consultation"][0])
    delta = {"edited_rows": {pos: {"planned_start": "2027-05-10", "planned_end": "2027-05-01",
                                   "owner": "Harriet"}},
             "added_rows": [], "deleted_rows": []}
    at.session_state[editor.key] = delta
    at.run()
    at.button(key="consultation_save_stages").click().run()
    assert not at.exception, at.exception
    error = next(e.value for e in at.error if "The stages were not saved" in e.value)
    assert "Consultation period" in error and "Planned end" in error
    assert "is before the planned start" in error
    with app_db.session() as s:
        assert s.exec(select(ConsultationStage)).all() == []
    assert at.session_state[editor.key]["edited_rows"] == delta["edited_rows"]
    assert at.data_editor[0].key == editor.key
    assert _view(app_db, oid).stages["version"].tolist() == [0] * 8


def test_hr_saves_a_stage(app_db):
    """Catches: edited dates not parsed from the editor's ISO text, or the editor keeping the
    saved delta (its key must change with the versions)."""
    oid = _option(app_db)
    at = app_as(app_db.actors["hr"], PAGE)
    editor = at.data_editor[0]
    pos = int(editor.value.index[editor.value["key"] == "business_case"][0])
    at.session_state[editor.key] = {
        "edited_rows": {pos: {"planned_start": "2027-01-04", "planned_end": "2027-02-26",
                              "status": "in progress"}},
        "added_rows": [], "deleted_rows": []}
    at.run()
    at.button(key="consultation_save_stages").click().run()
    assert not at.exception, at.exception
    stages = _view(app_db, oid).stages.set_index("key")
    assert stages.loc["business_case", "planned_start"] == dt.date(2027, 1, 4)
    assert stages.loc["business_case", "status"] == "in progress"
    assert at.data_editor[0].key != editor.key
    assert len(at.get("vega_lite_chart")) == 1


@pytest.mark.parametrize("role", ["manager", "admin"])
def test_readers_see_the_people_but_no_edit_forms(app_db, role):
    """Catches: edit forms offered to roles without consultation.edit, or the people list
    hidden from roles with personal.read."""
    _option(app_db)
    at = app_as(app_db.actors[role], PAGE)
    assert not at.exception, at.exception
    assert _metrics(at)["Proposed dismissals"] == "1"
    assert _people_names(at) == ["Dee Evans", "Eli Fox", "Fay Gray"]
    assert not any(b.label in ("Save plan", "Save stages") for b in at.button)
    assert not at.data_editor and not at.date_input
    assert "People at risk" in all_text(at)
    assert "**Launch date:** not set  \n" in all_text(at)  # the plan, read-only


@pytest.mark.parametrize("status", ["draft", "published", "final"])
def test_a_union_rep_never_reads_a_live_option_here(app_db, status):
    """Catches: a live option's consultation (names, figures, forms) shown to a union rep who
    types the page's URL: they read what was published, on the Published drafts page (issue
    13), whatever the option's status."""
    _option(app_db, status=status)
    at = page_alone(PAGE, app_db.actors["union"])
    assert not at.exception, at.exception
    assert not at.metric and not at.selectbox and not at.dataframe
    assert len(at.error) == 1 and "A union may not" in at.error[0].value
    for name in ("Eli Fox", "Dee Evans", "Fay Gray"):
        assert name not in all_text(at)


def test_no_option_yet(app_db):
    """Catches: the page failing before any option exists."""
    at = app_as(app_db.actors["hr"], PAGE)
    assert not at.exception, at.exception
    assert "There is no option yet" in all_text(at)


def test_the_downloads_open_and_name_the_option(app_db):
    """Catches: the Word document or the calendar raising, the wrong option in them, or the
    employer not taken from the host partner (Brent in the reference data)."""
    import io

    from docx import Document

    from planner.ui import consultation as ui

    oid = _option(app_db)
    launch = dt.date.today() + dt.timedelta(days=10)
    with app_db.session() as s:
        s.add(PlanRow(structure_id=oid, launch_on=launch))
        s.commit()
    app_as(app_db.actors["hr"], PAGE)  # the page's engine and settings are set up by a run
    view = _view(app_db, oid)
    assert ui.employer_name() == "Brent"  # the host council, whoever downloads the letter
    doc = Document(io.BytesIO(ui.disclosure_file(view, "Brent", dt.date.today())))
    text = "\n".join(p.text for p in doc.paragraphs)
    assert OPTION in text or any(OPTION in c.text for t in doc.tables for r in t.rows
                                 for c in r.cells)
    assert "Eli Fox" not in text  # no names go to the representatives
    ics = ui.calendar_file(view).decode()
    assert ics.startswith("BEGIN:VCALENDAR")
    assert f"X-WR-CALNAME:Consultation: {OPTION}" in ics.replace("\r\n ", "")
    assert f"DTSTART;VALUE=DATE:{launch:%Y%m%d}" in ics
    assert [d.file_name for d in ui.downloads(view)] == [
        "s188-disclosure-option-c-fewer-officers.docx", "consultation-option-c-fewer-officers.ics"]


def test_stage_rows_send_whole_rows_for_the_touched_stages_only():
    """Catches: untouched stages sent (a concurrent edit elsewhere would be refused as
    stale), unchanged cells dropped from a touched row, or ISO text not turned into dates."""
    import pandas as pd

    from planner.ui import consultation as ui

    original = pd.DataFrame({
        "stage": ["Business case", "Formal launch"], "key": ["business_case", "launch"],
        "name": ["Business case …", "Formal launch …"],
        "planned_start": [dt.date(2027, 1, 4), None], "planned_end": [dt.date(2027, 2, 26), None],
        "actual_start": [None, None], "actual_end": [None, None], "owner": ["Harriet", ""],
        "status": ["not started", "not started"], "notes": ["", ""], "overdue": [False, False],
        "version": [3, 1]})
    state = {"edited_rows": {"0": {"status": "in progress", "actual_start": "2027-01-05",
                                   "owner": None}}}
    assert ui.stage_rows(original, state) == [{
        "key": "business_case", "version": 3, "planned_start": dt.date(2027, 1, 4),
        "planned_end": dt.date(2027, 2, 26), "actual_start": dt.date(2027, 1, 5),
        "actual_end": None, "owner": "", "status": "in progress", "notes": ""}]
    assert ui.stage_rows(original, {"edited_rows": {}}) == []


def test_a_future_hr1_date_is_refused_and_what_was_typed_is_kept(app_db):
    """Catches: a refused plan saved anyway, its reason hidden, or the form reset."""
    oid = _option(app_db)
    at = app_as(app_db.actors["hr"], PAGE)
    tomorrow = dt.date.today() + dt.timedelta(days=1)
    inputs = {d.label: d for d in at.date_input}
    inputs["Launch date"].set_value(dt.date.today())
    inputs["HR1 received on"].set_value(tomorrow)
    _button(at, "Save plan").click().run()
    assert not at.exception, at.exception
    error = next(e.value for e in at.error if "The plan was not saved" in e.value)
    assert "HR1 received on" in error and "has not happened yet" in error
    assert _view(app_db, oid).plan.version == 0
    kept = {d.label: d.value for d in at.date_input}
    assert (kept["Launch date"], kept["HR1 received on"]) == (dt.date.today(), tomorrow)


def test_a_plan_saved_meanwhile_is_not_overwritten(app_db):
    """Catches: a save that ignores the version read, silently overwriting a colleague."""
    oid = _option(app_db)
    at = app_as(app_db.actors["hr"], PAGE)
    with app_db.session() as s:
        s.add(PlanRow(structure_id=oid, establishment="Theirs"))
        s.commit()
    [t for t in at.text_input if t.label == "Establishment"][0].input("Mine")
    _button(at, "Save plan").click().run()
    assert not at.exception, at.exception
    error = next(e.value for e in at.error if "The plan was not saved" in e.value)
    assert "changed after you opened it" in error
    assert _view(app_db, oid).plan.establishment == "Theirs"
    assert any("Someone saved this plan" in w.value for w in at.warning)
    assert [t for t in at.text_input if t.label == "Establishment"][0].value == "Mine"
    at.button(key="consultation_reload_plan").click().run()
    assert [t for t in at.text_input if t.label == "Establishment"][0].value == "Theirs"
    assert not any("Someone saved this plan" in w.value for w in at.warning)


def test_stages_saved_meanwhile_are_not_overwritten(app_db):
    """Catches: the editor rebuilt from a colleague's save (losing the user's edits) or its
    versions taken from the rerun rather than from what the user read."""
    oid = _option(app_db)
    at = app_as(app_db.actors["hr"], PAGE)
    from planner.legal.consultation import save_stages

    with app_db.session() as s:
        save_stages(session=s, actor=app_db.actors["hr"], structure=oid, rows=[
            {"key": "appeals", "owner": "Colleague", "status": "not started", "version": 0}])
        s.commit()
    editor = at.data_editor[0]
    pos = int(editor.value.index[editor.value["key"] == "selection"][0])
    delta = {"edited_rows": {pos: {"owner": "Me"}}, "added_rows": [], "deleted_rows": []}
    at.session_state[editor.key] = delta
    at.run()
    at.button(key="consultation_save_stages").click().run()
    assert not at.exception, at.exception
    error = next(e.value for e in at.error if "The stages were not saved" in e.value)
    assert "changed after you opened them" in error
    assert any("Someone saved these stages" in w.value for w in at.warning)
    assert at.data_editor[0].key == editor.key
    assert at.session_state[editor.key]["edited_rows"] == delta["edited_rows"]
    owners = _view(app_db, oid).stages.set_index("key")["owner"]
    assert (owners["appeals"], owners["selection"]) == ("Colleague", "")
