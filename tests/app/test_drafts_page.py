"""The Published drafts page and the Structure options page's publish tab, on the demo (which
ships with drafts 1 and 2 and one answered response, data/demo/README.md): a union rep reads a
draft (structure, figures, changes) and responds; hr replies; management publishes only once
the checklist passes."""

from __future__ import annotations

from sqlmodel import select

from planner.core.models import Person
from planner.structures.options import create_option
from tests.app.conftest import all_text, app_as

PAGE = "pages/drafts.py"
OPTION = "Option 1: single service desk"


def _names(db) -> list[str]:
    with db.session() as s:
        return [p.name for p in s.exec(select(Person))]


def test_a_union_rep_reads_the_latest_draft_and_never_a_name(demo_app_db):
    at = app_as(demo_app_db.actors["union"], PAGE)
    assert not at.exception, at.exception
    text = all_text(at)
    assert "Draft 2: Option 1: single service desk" in text
    assert "SO2, not SO1" in text  # draft 2's covering note
    metrics = {m.label: m.value for m in at.metric}
    assert (metrics["Posts"], metrics["New"], metrics["Deleted"]) == ("76", "9", "27")
    assert metrics["Proposed dismissals"] == "12"
    tables = " ".join(df.value.to_csv() for df in at.dataframe)
    assert "ICT-095" in tables
    assert not [n for n in _names(demo_app_db) if n in tables or n in text]
    assert any(c.proto.spec for c in at.get("vega_lite_chart"))  # the org chart
    assert "**Regraded** (6)" in text  # since draft 1


def test_the_first_draft_reads_as_published(demo_app_db):
    at = app_as(demo_app_db.actors["union"], PAGE)
    at.selectbox(key="drafts_number").set_value(1).run()
    assert not at.exception, at.exception
    text = all_text(at)
    assert "Draft 1: Option 1: single service desk" in text
    assert "This is the first draft of this option." in text
    [posts] = [df.value for df in at.dataframe if "Change" in df.value.columns]
    assert set(posts.loc[posts["Post"] == "ICT-098", "Grade"]) == {"SO1"}


def test_a_rep_responds_and_hr_replies_on_the_page(demo_app_db):
    at = app_as(demo_app_db.actors["union"], PAGE)
    [log] = [df.value for df in at.dataframe if "Reply" in df.value.columns]
    assert list(log["Status"]) == ["accepted"]  # the demo's response 1
    at.text_area[0].set_value("Please publish the selection criteria for the pools.")
    [send] = [b for b in at.button if b.label == "Send the response"]
    send.click().run()
    assert not at.exception, at.exception
    assert "Your response was sent" in all_text(at)
    at = app_as(demo_app_db.actors["hr"], PAGE)
    [reply] = [t for t in at.text_area if t.label.startswith("Reply")]
    reply.set_value("The criteria are in the consultation pack, section 4.")
    at.radio[0].set_value("answered")
    [save] = [b for b in at.button if b.label == "Save the reply"]
    save.click().run()
    assert not at.exception, at.exception
    [log] = [df.value for df in at.dataframe if "Reply" in df.value.columns]
    assert list(log["Status"]) == ["accepted", "answered"]
    assert log.iloc[1]["Reply"].startswith("The criteria")


def test_publishing_waits_for_the_checklist(demo_app_db):
    with demo_app_db.session() as s:
        option = create_option(session=s, actor=demo_app_db.actors["manager"], name="Option B")
        s.commit()
        oid = option.id
    at = app_as(demo_app_db.actors["hr"], "pages/options.py")
    at.session_state["option_selected"] = oid
    at.session_state["options_tab"] = "Publish a draft"
    at.run()
    assert not at.exception, at.exception
    assert "Equality analysis stage 1 signed off" in all_text(at)
    [publish] = [b for b in at.button if b.label == "Publish the draft"]
    assert publish.disabled


def test_publishing_the_next_draft_from_the_options_page(demo_app_db):
    at = app_as(demo_app_db.actors["hr"], "pages/options.py")
    at.session_state["options_tab"] = "Publish a draft"
    at.run()
    assert "Before draft 3 is published" in all_text(at)
    [note] = [t for t in at.text_area if t.label == "Covering note"]
    note.set_value("Draft 3: no change; the consultation period is extended.")
    [sure] = [c for c in at.checkbox if c.label.startswith("I have checked")]
    sure.check()
    [publish] = [b for b in at.button if b.label == "Publish the draft"]
    publish.click().run()
    assert not at.exception, at.exception
    assert "Published draft 3" in all_text(at)


def test_the_consultation_pack_is_offered_in_word_and_pdf(demo_app_db):
    at = app_as(demo_app_db.actors["union"], PAGE)
    labels = [e.proto.label for e in at.get("download_button")]
    assert {"Consultation pack (Word)", "Consultation pack (PDF)"} <= set(labels)


def test_nothing_is_published_without_the_confirmation(demo_app_db):
    """Catches: the publish button publishing when the confirmation is not ticked."""
    at = app_as(demo_app_db.actors["hr"], "pages/options.py")
    at.session_state["options_tab"] = "Publish a draft"
    at.run()
    [publish] = [b for b in at.button if b.label == "Publish the draft"]
    publish.click().run()
    assert not at.exception, at.exception
    assert any("tick the confirmation" in e.value for e in at.error)
    with demo_app_db.session() as s:
        from planner.core.models import PublishedDraft

        assert len(s.exec(select(PublishedDraft)).all()) == 2  # the demo's two, no third
