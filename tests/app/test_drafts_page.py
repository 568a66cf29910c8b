"""The Published drafts page and the Structure options page's publish tab, on the demo: a union
rep reads a draft (structure, figures, changes) and responds; hr replies; management publishes
only once the checklist passes."""

from __future__ import annotations

import datetime as dt

from sqlmodel import select

from planner.core.models import Person, Structure
from planner.publishing import drafts as d
from tests.app.conftest import all_text, app_as
from tests.publishing.conftest import sign_off_stage_1

PAGE = "pages/drafts.py"
OPTION = "Option 1: single service desk"


def _publish(db, note="First draft for consultation.") -> int:
    with db.session() as s:
        option = s.exec(select(Structure).where(Structure.name == OPTION)).one()
        hr = db.actors["hr"]
        if not d.checklist(session=s, actor=hr, structure=option).ready:
            sign_off_stage_1(s, hr, option)
        draft = d.publish(session=s, actor=hr, structure=option, note=note,
                          today=dt.date.today())
        s.commit()
        return int(draft.id)


def _names(db) -> list[str]:
    with db.session() as s:
        return [p.name for p in s.exec(select(Person))]


def test_a_union_rep_reads_a_draft_and_never_a_name(demo_app_db):
    _publish(demo_app_db)
    at = app_as(demo_app_db.actors["union"], PAGE)
    assert not at.exception, at.exception
    text = all_text(at)
    assert "Draft 1: Option 1: single service desk" in text
    assert "First draft for consultation\\." in text  # markdown-escaped as typed
    metrics = {m.label: m.value for m in at.metric}
    assert (metrics["Posts"], metrics["New"], metrics["Deleted"]) == ("76", "9", "27")
    tables = " ".join(df.value.to_csv() for df in at.dataframe)
    assert "ICT-095" in tables
    assert not [n for n in _names(demo_app_db) if n in tables or n in text]
    assert any(c.proto.spec for c in at.get("vega_lite_chart"))  # the org chart


def test_the_second_draft_shows_what_changed(demo_app_db):
    from planner.core.models import Post
    from planner.establishment.register import PostEdits
    from planner.structures.options import edit_option_posts

    _publish(demo_app_db)
    with demo_app_db.session() as s:
        option = s.exec(select(Structure).where(Structure.name == OPTION)).one()
        post = s.exec(select(Post).where(Post.structure_id == option.id,
                                         Post.post_ref == "ICT-095")).one()
        edit_option_posts(session=s, actor=demo_app_db.actors["manager"], structure=option,
                          edits=PostEdits(updated={"ICT-095": {"grade": "PO7"}},
                                          versions={"ICT-095": post.version}))
        s.commit()
    _publish(demo_app_db, note="Second draft.")
    at = app_as(demo_app_db.actors["union"], PAGE)
    assert "Draft 2: Option 1: single service desk" in all_text(at)
    assert "**Regraded** (1)" in all_text(at)


def test_a_rep_responds_and_hr_replies_on_the_page(demo_app_db):
    _publish(demo_app_db)
    at = app_as(demo_app_db.actors["union"], PAGE)
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
    assert list(log["Status"]) == ["answered"]
    assert log.iloc[0]["Reply"].startswith("The criteria")


def test_publishing_waits_for_the_checklist(demo_app_db):
    at = app_as(demo_app_db.actors["hr"], "pages/options.py")
    at.session_state["options_tab"] = "Publish a draft"
    at.run()
    assert not at.exception, at.exception
    text = all_text(at)
    assert "Equality analysis stage 1 signed off" in text
    [publish] = [b for b in at.button if b.label == "Publish the draft"]
    assert publish.disabled
