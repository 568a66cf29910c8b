"""The TUPE page, per role, on the six-post establishment (tests/factories.py): one Capita
employee, Eli Fox (E4, post O3), transferred on 1 April 2016 and gathered into the cohort
"Capita to Brent, 1 Apr 2016" (Brent is the host partner) by tupe.sync_cohorts.

The transfer is long past, so as of today every one of its eight milestones is overdue and
three flags stand: ELI not received by 4 March 2016, representatives not informed by
5 February 2016 (8 weeks before), measures not notified to Capita by 4 February 2016.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from sqlmodel import select
from streamlit.testing.v1 import AppTest

from planner.core.models import EtoRationale, Post, TupeCohort, TupeMilestone
from planner.establishment.register import PostEdits
from planner.legal.eto import set_eto_rationale, tupe_changes
from planner.legal.tupe import record_eli, sync_cohorts
from planner.legal.tupe_rules import ELI_KEYS
from planner.structures.options import create_option, edit_option_posts
from planner.ui import tupe as ui
from tests.app.conftest import all_text, app_as, page_alone

PAGE = "pages/tupe.py"
TRANSFER = dt.date(2016, 4, 1)
NAME = "Capita to Brent, 1 Apr 2016"
READ_TABS = ["Milestones", "ELI and measures", "People", "ETO rationales"]


def _with_cohort(db) -> int:
    """The factory adds the Capita person without syncing; gather the cohort as hr would."""
    with db.session() as s:
        assert sync_cohorts(session=s, actor=db.actors["hr"]) == 1
        s.commit()
        return s.exec(select(TupeCohort.id)).one()


def _cohort(db) -> TupeCohort:
    with db.session() as s:
        return s.exec(select(TupeCohort)).one()


def _done_on(db, key: str) -> dt.date | None:
    with db.session() as s:
        return s.exec(select(TupeMilestone.done_on).where(TupeMilestone.key == key)).one()


def _open(db, role: str, tab: str | None = None) -> AppTest:
    at = app_as(db.actors[role], PAGE)
    if tab is not None:
        at.session_state[ui.TAB_KEY] = tab
        at.run()
    assert not at.exception, at.exception
    return at


def _button(at: AppTest, label: str):
    found = [b for b in at.button if b.label == label]
    assert len(found) == 1, [b.label for b in at.button]
    return found[0]


def _tabs(at: AppTest) -> list[str]:
    return [t.label for t in at.tabs]


def _table(at: AppTest, first_column: str) -> pd.DataFrame:
    tables = [d.value for d in at.dataframe if list(d.value.columns)[:1] == [first_column]]
    assert len(tables) == 1, [list(d.value.columns) for d in at.dataframe]
    return tables[0]


def _hand_built_option(db, *, delete: bool = False) -> int:
    """Option A: O3 (Eli Fox's post) regraded PO1 → PO2, or deleted; O1 retitled (no TUPE
    person in it, so it needs no rationale)."""
    actor = db.actors["manager"]
    with db.session() as s:
        option = create_option(session=s, actor=actor, name="Option A")
        posts = {p.post_ref: p.version for p in s.exec(
            select(Post).where(Post.structure_id == option.id)).all()}
        edits = PostEdits(updated={"O1": {"title": "Support Officer"}},
                          versions={"O1": posts["O1"], "O3": posts["O3"]})
        if delete:
            edits.deleted.append("O3")
        else:
            edits.updated["O3"] = {"grade": "PO2"}
        edit_option_posts(session=s, actor=actor, structure=option.id, edits=edits)
        s.commit()
        return option.id


# --- who may see what --------------------------------------------------------------------------


def test_union_is_refused(app_db):
    """Catches: a union rep reading transferees' records by typing the page's URL."""
    _with_cohort(app_db)
    at = page_alone(PAGE, app_db.actors["union"])
    assert not at.exception
    assert [e.value for e in at.error] == [
        "A union may not view the tupe. Ask an administrator if you need access."]
    assert not at.dataframe and "Capita" not in all_text(at)


@pytest.mark.parametrize(("role", "tabs", "edits"), [
    ("manager", READ_TABS, False),
    ("admin", READ_TABS, False),
    ("hr", [*READ_TABS, "Cohort settings"], True),
])
def test_each_role_sees_the_cohort_and_only_the_tools_it_may_use(app_db, role, tabs, edits):
    """Catches: a manager or admin offered the milestone editor or the check-for-transferees
    button (tupe.edit is hr's), or the cohort's figures not reaching the table and metrics."""
    _with_cohort(app_db)
    at = _open(app_db, role)
    assert not at.error, [e.value for e in at.error]
    assert _tabs(at) == tabs
    cohorts = _table(at, "name")
    assert list(cohorts["name"]) == [NAME]
    assert (cohorts["basis"][0], cohorts["people"][0], cohorts["eli"][0]) == (
        "TUPE", 1, "not received")
    assert cohorts["flags"][0].startswith("ELI late: employee liability information was not "
                                          "received by 4 Mar 2016")
    metrics = {m.label: m.value for m in at.metric}
    assert metrics == {"People": "1",
                       "Days since transfer": f"{(dt.date.today() - TRANSFER).days:,}",
                       "Milestones overdue": "8", "Flags": "3"}
    flags = [w.value for w in at.warning]
    starts = ["ELI late: employee liability information was not received by 4 Mar 2016",
              "Representatives not informed by 5 Feb 2016, 8 weeks before the transfer",
              "Measures not notified to the transferor: Brent was due to tell Capita"]
    assert len(flags) == 3
    assert all(f.startswith(start) for f, start in zip(flags, starts, strict=True)), flags
    assert (len(at.data_editor) == 1) == edits
    assert any(b.label == "Check the establishment for transferees" for b in at.button) == edits
    assert any(b.label == "Download milestones (.ics)" for b in at.get("download_button"))


@pytest.mark.parametrize("role", ["manager", "admin"])
def test_readers_see_the_milestones_the_eli_and_the_people_without_forms(app_db, role):
    """Catches: read-only roles given forms, or the milestone status / people missing."""
    _with_cohort(app_db)
    at = _open(app_db, role)
    steps = _table(at, "id")
    assert list(steps["status"]) == ["overdue"] * 8
    assert not at.get("form")
    at.session_state[ui.TAB_KEY] = "ELI and measures"
    at.run()
    assert not at.exception, at.exception
    assert not at.get("form") and not at.date_input and not at.text_area
    checklist = _table(at, "item")
    assert list(checklist["received"]) == [False] * 5
    assert "Received: —" in all_text(at)
    at.session_state[ui.TAB_KEY] = "People"
    at.run()
    people = _table(at, "employee_id")
    assert list(people["name"]) == ["Eli Fox"] and list(people["post_id"]) == ["O3"]


def test_no_cohorts_explains_how_people_join_and_hr_can_gather_them(app_db):
    """Catches: a blank page before any cohort exists, or the check button not creating the
    Capita cohort from the person's origin and transfer date."""
    at = _open(app_db, "manager")
    assert any("join the cohort of that transferor and transfer date automatically" in i.value
               for i in at.info)
    assert not [b for b in at.button if b.label == "Check the establishment for transferees"]
    at = _open(app_db, "hr")
    _button(at, "Check the establishment for transferees").click().run()
    assert not at.exception, at.exception
    assert "1 new cohort" in all_text(at)
    assert _cohort(app_db).name == NAME
    assert list(_table(at, "name")["name"]) == [NAME]


# --- hr's edits ---------------------------------------------------------------------------------


def _edit_milestone(at: AppTest, name_starts: str, done_on: str) -> str:
    editor = at.data_editor[0]
    table = editor.value
    pos = int(table.index[table["name"].str.startswith(name_starts)][0])
    at.session_state[editor.key] = {"edited_rows": {pos: {"done_on": done_on}},
                                    "added_rows": [], "deleted_rows": []}
    return editor.key


def test_hr_marks_a_milestone_done_and_its_flag_goes(app_db):
    """Catches: the editor's date not reaching mark_milestone, another milestone marked, or
    the flags not recomputed (informing on the due day, 5 Feb 2016, is on time)."""
    _with_cohort(app_db)
    at = _open(app_db, "hr")
    _edit_milestone(at, "Inform appropriate representatives", "2016-02-05")
    _button(at, "Save milestones").click().run()
    assert not at.exception, at.exception
    assert "1 marked done" in all_text(at)
    assert _done_on(app_db, "inform") == dt.date(2016, 2, 5)
    assert _done_on(app_db, "eli") is None
    metrics = {m.label: m.value for m in at.metric}
    assert (metrics["Milestones overdue"], metrics["Flags"]) == ("7", "2")
    assert not any(w.value.startswith("Representatives") for w in at.warning)
    assert list(at.data_editor[0].value["status"]).count("done") == 1


def test_a_done_date_in_the_future_is_refused_and_the_edit_kept(app_db):
    """Catches: a future date saved (mark_milestone's check bypassed), the refusal not shown,
    or the editor rebuilt so the user's edit is lost."""
    _with_cohort(app_db)
    at = _open(app_db, "hr")
    future = (dt.date.today() + dt.timedelta(days=3)).isoformat()
    key = _edit_milestone(at, "Employee liability information", future)
    _button(at, "Save milestones").click().run()
    assert not at.exception, at.exception
    (error,) = [e.value for e in at.error]
    assert error.startswith("Nothing was saved:")
    assert "Employee liability information received by the transferee" in error
    assert "has not happened yet" in error
    assert _done_on(app_db, "eli") is None
    assert at.data_editor[0].key == key  # the same editor, so the typed date is still there
    assert at.session_state[key]["edited_rows"]


def test_hr_records_the_eli_on_the_deadline_and_the_flag_goes(app_db):
    """Catches: the date or the ticks not reaching record_eli, or a receipt exactly 28 days
    before the transfer (4 Mar 2016) flagged late (TUPE reg 11(6))."""
    _with_cohort(app_db)
    at = _open(app_db, "hr", "ELI and measures")
    (received,) = [d for d in at.date_input if d.label == "Received on"]
    received.set_value(dt.date(2016, 3, 4))
    for box in at.checkbox:
        box.check()
    _button(at, "Save ELI").click().run()
    assert not at.exception, at.exception
    assert "Saved the employee liability information" in all_text(at)
    cohort = _cohort(app_db)
    assert cohort.eli_received_on == dt.date(2016, 3, 4)
    assert cohort.eli_items == list(ELI_KEYS) and cohort.version == 2
    assert _table(at, "name")["eli"][0] == "received 4 Mar 2016; complete"
    assert not any(w.value.startswith("ELI") for w in at.warning)


def test_hr_records_the_measures_and_their_notification(app_db):
    """Catches: the texts or the notified date lost on the way to set_measures."""
    _with_cohort(app_db)
    at = _open(app_db, "hr", "ELI and measures")
    areas = {a.label: a for a in at.text_area}
    areas["Measures Capita envisages"].input("None")
    areas["Measures Brent envisages"].input("Move to Brent payroll dates")
    (notified,) = [d for d in at.date_input if d.label.endswith("notified its measures to "
                                                                  "Capita on")]
    notified.set_value(dt.date(2016, 2, 1))
    _button(at, "Save measures").click().run()
    assert not at.exception, at.exception
    assert "Saved the measures" in all_text(at)
    cohort = _cohort(app_db)
    assert (cohort.transferor_measures, cohort.transferee_measures) == (
        "None", "Move to Brent payroll dates")
    assert cohort.measures_notified_on == dt.date(2016, 2, 1)
    assert not any(w.value.startswith("Measures not notified") for w in at.warning)


def test_hr_changes_the_basis_to_cosop(app_db):
    """Catches: the settings form not reaching update_cohort, or the table not refreshed."""
    _with_cohort(app_db)
    at = _open(app_db, "hr", "Cohort settings")
    (basis,) = [s for s in at.selectbox if s.label == "Basis"]
    basis.set_value("COSOP")
    _button(at, "Save settings").click().run()
    assert not at.exception, at.exception
    assert "COSOP basis" in all_text(at)
    assert _cohort(app_db).basis == "COSOP"
    assert _table(at, "name")["basis"][0] == "COSOP"


def test_a_stale_settings_save_says_why_and_saves_nothing(app_db):
    """Catches: a lost update: the form saved against the version read now rather than the one
    it was opened on, so another user's ELI record is silently built upon."""
    cid = _with_cohort(app_db)
    at = _open(app_db, "hr", "Cohort settings")
    (basis,) = [s for s in at.selectbox if s.label == "Basis"]
    basis.set_value("secondment")
    with app_db.session() as s:  # another hr officer saves the ELI meanwhile
        record_eli(session=s, actor=app_db.actors["hr"], cohort_id=cid,
                   received_on=dt.date(2016, 3, 1), items=["claims"], expected_version=1)
        s.commit()
    _button(at, "Save settings").click().run()
    assert not at.exception, at.exception
    assert any("changed after you opened it" in e.value for e in at.error)
    assert _cohort(app_db).basis == "TUPE"
    assert any("has changed since you opened its forms" in w.value for w in at.warning)
    _button(at, "Reload").click().run()
    assert not at.exception, at.exception
    assert not any("has changed since" in w.value for w in at.warning)


# --- ETO rationales ----------------------------------------------------------------------------


@pytest.mark.parametrize(("delete", "change"), [(False, "regraded"), (True, "deleted")])
def test_a_change_to_a_transferees_post_is_listed_without_a_rationale(app_db, delete, change):
    """Catches: changes to TUPE people's posts not surfaced, or changes to other people's
    posts (O1's new title) listed as needing an ETO reason."""
    _with_cohort(app_db)
    _hand_built_option(app_db, delete=delete)
    at = _open(app_db, "manager", "ETO rationales")
    (warning,) = [w.value for w in at.warning if "without an ETO rationale" in w.value]
    assert warning.startswith("1 change without an ETO rationale")
    assert f"Eli Fox \\(E4\\), O3 Officer: {change}" in warning
    table = _table(at, "employee_id")
    assert list(table["post_id"]) == ["O3"] and list(table["rationale"]) == ["none yet"]
    assert not at.get("form")  # a manager reads; only hr records rationales


def test_hr_enters_a_rationale_and_the_warning_goes(app_db):
    """Catches: the text not reaching set_eto_rationale (or saved for the wrong person or
    post), or the warning still counting a change that now has a rationale."""
    _with_cohort(app_db)
    oid = _hand_built_option(app_db)
    at = _open(app_db, "hr", "ETO rationales")
    (area,) = [a for a in at.text_area if a.label == "ETO rationale"]
    area.input("Organisational: the officer grades are aligned across the merged team.")
    _button(at, "Save rationale").click().run()
    assert not at.exception, at.exception
    assert "Saved the ETO rationale for Eli Fox" in all_text(at)
    with app_db.session() as s:
        (row,) = s.exec(select(EtoRationale).where(EtoRationale.structure_id == oid)).all()
        post = s.get(Post, row.baseline_post_id)
    assert row.rationale.startswith("Organisational: the officer grades")
    assert (row.recorded_by, row.change, row.version, post.post_ref) == (
        "hr", "regraded", 1, "O3")
    assert not any("without an ETO rationale" in w.value for w in at.warning)
    assert any("Every change to a transferee's post has an ETO rationale" in s.value
               for s in at.success)


def test_a_blank_rationale_is_refused_and_nothing_saved(app_db):
    """Catches: an empty ETO rationale accepted, or the refusal not shown."""
    _with_cohort(app_db)
    oid = _hand_built_option(app_db)
    at = _open(app_db, "hr", "ETO rationales")
    (area,) = [a for a in at.text_area if a.label == "ETO rationale"]
    area.input("   ")
    _button(at, "Save rationale").click().run()
    assert not at.exception, at.exception
    assert any("the rationale is blank" in e.value for e in at.error)
    with app_db.session() as s:
        assert not s.exec(select(EtoRationale).where(EtoRationale.structure_id == oid)).all()


def test_a_rationale_changed_meanwhile_is_refused_as_stale(app_db):
    """Catches: a rationale overwritten without seeing another officer's, because the save
    used the version read on submit rather than the one the form was opened on."""
    _with_cohort(app_db)
    oid = _hand_built_option(app_db)
    at = _open(app_db, "hr", "ETO rationales")
    (area,) = [a for a in at.text_area if a.label == "ETO rationale"]
    area.input("Mine")
    with app_db.session() as s:  # another hr officer records one meanwhile
        frame = tupe_changes(session=s, actor=app_db.actors["hr"], structure=oid)
        person, post = int(frame["person_id"][0]), int(frame["baseline_post_id"][0])
        set_eto_rationale(session=s, actor=app_db.actors["hr"], structure=oid,
                          person_id=person, baseline_post_id=post, rationale="Theirs",
                          expected_version=0)
        s.commit()
    _button(at, "Save rationale").click().run()
    assert not at.exception, at.exception
    assert any("was changed by hr after you opened it" in e.value for e in at.error)
    with app_db.session() as s:
        (row,) = s.exec(select(EtoRationale).where(EtoRationale.structure_id == oid)).all()
    assert row.rationale == "Theirs"


def test_the_milestones_download_as_an_outlook_calendar(app_db):
    """Catches: the .ics missing milestones, dated wrongly, or named after the wrong cohort.

    Eight milestones; the ELI one on 4 Mar 2016 (T − 28 days) as an all-day event."""
    from icalendar import Calendar

    cid = _with_cohort(app_db)
    actor = app_db.actors["manager"]
    at = _open(app_db, "manager")
    (button,) = [b for b in at.get("download_button")
                 if b.label == "Download milestones (.ics)"]
    _, refs = ui.cohorts(actor, dt.date.today())
    (ref,) = refs
    assert ref.id == cid and ui.ics_file_name(ref) == "tupe-capita-2016-04-01.ics"
    book = Calendar.from_ical(ui.milestones_ics(ref, ui.milestones(actor, cid,
                                                                   dt.date.today())))
    events = {str(e.get("SUMMARY")): e.decoded("DTSTART") for e in book.walk("VEVENT")}
    assert len(events) == 8
    assert events[f"{NAME}: Employee liability information received by the transferee"] == \
        dt.date(2016, 3, 4)
    assert str(book.get("X-WR-CALNAME")) == f"TUPE: {NAME}"


# --- pure helpers -------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "sentences"), [
    ("", ()),
    ("ELI late: not received (TUPE reg 11(6)).", ("ELI late: not received (TUPE reg 11(6)).",)),
    ("A (reg 13(2)); they were informed on 9 Feb 2016.; B (reg 13(4)).",
     ("A (reg 13(2)); they were informed on 9 Feb 2016.", "B (reg 13(4)).")),
    ('ELI incomplete: still missing "Written particulars of employment (ERA 1996 s.1)" '
     '(TUPE reg 11(2)).; Measures not notified.',
     ('ELI incomplete: still missing "Written particulars of employment (ERA 1996 s.1)" '
      '(TUPE reg 11(2)).', "Measures not notified.")),
])
def test_flags_split_back_into_sentences(text, sentences):
    """Catches: a flag cut at the "; " inside the representatives sentence, or at "s.1"."""
    assert ui.split_flags(text) == sentences


def test_only_changed_done_dates_are_saved():
    """Catches: every row re-marked on save (audit noise), or a cleared date missed."""
    original = pd.DataFrame({"id": [1, 2, 3], "name": ["a", "b", "c"],
                             "done_on": [None, dt.date(2016, 2, 1), None]})
    edited = original.copy()
    edited["done_on"] = [pd.Timestamp("2016-02-05"), None, None]
    assert ui.milestone_changes(original, edited) == [(1, dt.date(2016, 2, 5)), (2, None)]
    assert ui.milestone_changes(original, original.copy()) == []
