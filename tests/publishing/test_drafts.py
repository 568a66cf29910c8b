"""Published drafts (issue 13): the checklist's refusals, publishing, immutability after the
option is edited, the draft-to-draft difference, withdrawal, and what a union rep reads."""

from __future__ import annotations

import json

import pytest
from sqlmodel import select

from planner.core.errors import PermissionDenied, StaleVersion, ValidationFailed
from planner.core.models import AuditEvent, Post, PublishedDraft, Structure
from planner.publishing import drafts as d
from tests.publishing.conftest import OPTION, TODAY, sign_off_stage_1


def _publish(world, role="hr", note="Draft for consultation."):
    with world.session() as s:
        draft = d.publish(session=s, actor=world.actors[role], structure=world.option_id,
                          note=note, today=TODAY)
        s.commit()
        return draft


def _edit_option(world) -> None:
    """The manager regrades ICT-095 (the new Service Desk Manager) PO6 -> PO7."""
    from planner.establishment.register import PostEdits
    from planner.structures.options import edit_option_posts

    with world.session() as s:
        post = s.exec(select(Post).where(Post.structure_id == world.option_id,
                                         Post.post_ref == "ICT-095")).one()
        edit_option_posts(session=s, actor=world.actors["manager"], structure=world.option_id,
                          edits=PostEdits(updated={"ICT-095": {"grade": "PO7"}},
                                          versions={"ICT-095": post.version}))
        s.commit()


def test_the_checklist_refuses_without_the_equality_sign_off(database_url):
    """Catches: publishing before the equality analysis that informs the proposal is done."""
    from planner.cli.demo import load_demo
    from planner.core.auth import Actor
    from planner.core.db import make_engine
    from planner.core.models import User

    engine = make_engine(database_url)
    load_demo(engine, with_drafts=False)
    from sqlmodel import Session

    with Session(engine) as s:
        hr = Actor.of(s.exec(select(User).where(User.role == "hr")).one())
        check = d.checklist(session=s, actor=hr, structure=OPTION, today=TODAY)
        assert not check.ready
        assert [c.name for c in check.checks if not c.ok] == [
            "Equality analysis stage 1 signed off"]
        with pytest.raises(d.PublishRefused) as caught:
            d.publish(session=s, actor=hr, structure=OPTION, note="", today=TODAY)
        assert "stage 1" in str(caught.value)
        s.rollback()
        assert s.exec(select(PublishedDraft)).all() == []
        option = s.exec(select(Structure).where(Structure.name == OPTION)).one()
        assert option.status == "draft"  # nothing moved
        sign_off_stage_1(s, hr, option)
        assert d.checklist(session=s, actor=hr, structure=OPTION, today=TODAY).ready
    engine.dispose()


def test_s188_information_must_be_complete_where_s188_applies(world):
    """Catches: a draft issued without the s.188(4) information when 20 or more dismissals are
    proposed. Unmapping the demo option puts 22 employees back at risk (the proxy)."""
    from planner.people.mapping import mapping_frame, save_mapping

    with world.session() as s:
        hr = world.actors["hr"]
        option = s.get(Structure, world.option_id)
        frame = mapping_frame(session=s, actor=hr, structure=option)
        save_mapping(session=s, actor=hr, structure=option, expected_version=option.version,
                     rows=[{"employee_id": e, "outcome": ""}
                           for e in frame.loc[frame["version"] > 0, "employee_id"]])
        check = d.checklist(session=s, actor=hr, structure=option, today=TODAY)
        [failed] = [c for c in check.checks if not c.ok]
        assert failed.name == "s.188(4) information complete"
        assert "22 proposed dismissals" in failed.detail and "selection method" in failed.detail


def test_publishing_writes_numbered_drafts_that_later_edits_never_change(world):
    """Catches: a draft that reads the live option (so what a rep read yesterday changes), or
    numbering that restarts."""
    first = _publish(world, note="First draft.")
    assert (first.number, first.status) == (1, "published")
    with world.session() as s:
        assert s.get(Structure, world.option_id).status == "published"
        before = json.dumps(s.get(PublishedDraft, first.id).snapshot, sort_keys=True)
    _edit_option(world)
    with world.session() as s:
        assert json.dumps(s.get(PublishedDraft, first.id).snapshot, sort_keys=True) == before
        view = d.read_draft(session=s, actor=world.actors["union"], draft_id=first.id)
        post = view.posts().set_index("post_id").loc["ICT-095"]
        assert post["grade"] == "PO6"  # as published, not as edited
    second = _publish(world, note="Second draft: the desk manager at PO7.")
    assert second.number == 2
    with world.session() as s:
        view = d.read_draft(session=s, actor=world.actors["union"], structure=OPTION)
        assert view.number == 2
        changes = view.changes()
        assert [r["post_id"] for r in changes["regraded"]] == ["ICT-095"]
        assert changes["regraded"][0]["grade_before"] == "PO6"
        assert changes["regraded"][0]["grade_after"] == "PO7"
        assert changes["added"] == [] and changes["removed"] == []
        cost = next(t for t in changes["totals"] if t["figure"] == "Full-year cost (pence)")
        assert cost["changed"] and cost["after"] > cost["before"]
        first_view = d.read_draft(session=s, actor=world.actors["union"], structure=OPTION,
                                  number=1)
        assert first_view.changes()["first"] is True
        events = s.exec(select(AuditEvent).where(AuditEvent.entity == "published_draft")).all()
        assert [e.action for e in events] == ["publish", "publish"]


def test_the_snapshot_holds_the_structure_and_figures(world):
    """Catches: a draft without the post list, the counts, the costs or the consultation."""
    draft = _publish(world)
    snap = draft.snapshot
    posts = {p["post_id"]: p for p in snap["posts"]}
    assert posts["ICT-095"]["change"] == "new" and posts["ICT-044"]["change"] == "deleted"
    assert snap["counts"]["posts"] == 76 and snap["counts"]["deleted"] == 27  # demo README
    assert snap["counts"]["new"] == 9
    assert sum(r["posts"] for r in snap["affected"]["grade"]) == sum(
        r["posts"] for r in snap["affected"]["team"])
    costs = snap["costs"]
    assert sum(r["spend_pence"] for r in costs["by_partner"]) == costs["spend_pence"]
    assert costs["saving_pence"] == (costs["baseline_full_year_pence"]
                                     - costs["option_full_year_pence"])
    assert snap["consultation"]["proposed"] == 12 and not snap["consultation"]["s188_applies"]
    assert snap["equality"]["analysis"]["suppressed"] is True
    assert snap["equality"]["checkpoints"][0]["signed_off"] is True
    assert snap["note"] == "Draft for consultation."


def test_withdrawal_needs_a_reason_keeps_the_draft_and_is_audited(world):
    draft = _publish(world)
    with world.session() as s:
        with pytest.raises(ValidationFailed):
            d.withdraw(session=s, actor=world.actors["manager"], draft_id=draft.id, reason=" ",
                       expected_version=draft.version)
        with pytest.raises(StaleVersion):
            d.withdraw(session=s, actor=world.actors["manager"], draft_id=draft.id,
                       reason="Wrong grades", expected_version=draft.version + 1)
        with pytest.raises(PermissionDenied):
            d.withdraw(session=s, actor=world.actors["union"], draft_id=draft.id,
                       reason="No", expected_version=draft.version)
        d.withdraw(session=s, actor=world.actors["manager"], draft_id=draft.id,
                   reason="Issued with the wrong grades.", expected_version=draft.version)
        s.commit()
        listed = d.drafts_frame(session=s, actor=world.actors["union"], structure=OPTION)
        assert list(listed["status"]) == ["withdrawn"]
        assert listed.iloc[0]["withdrawn_reason"] == "Issued with the wrong grades."
        event = s.exec(select(AuditEvent).where(AuditEvent.action == "withdraw")).one()
        assert event.after["reason"] == "Issued with the wrong grades."


def test_only_management_publishes(world):
    with world.session() as s:
        for role in ("union", "admin"):
            with pytest.raises(PermissionDenied):
                d.publish(session=s, actor=world.actors[role], structure=world.option_id,
                          note="", today=TODAY)
            with pytest.raises(PermissionDenied):
                d.checklist(session=s, actor=world.actors[role], structure=world.option_id)


def test_a_missing_draft_reads_the_same_as_an_unknown_option(world):
    from planner.core.errors import NotFound

    with world.session() as s:
        union = world.actors["union"]
        with pytest.raises(NotFound) as a:
            d.read_draft(session=s, actor=union, structure=OPTION)
        with pytest.raises(NotFound) as b:
            d.read_draft(session=s, actor=union, structure="No such option")
        assert str(a.value) == str(b.value)


def test_a_later_draft_with_other_people_at_risk_withholds_its_at_risk_figures(world):
    """Catches: two drafts of one option whose at-risk groups differ by a person both showing
    at-risk figures (read side by side, the difference can name that person's answers). A
    draft with the same people at risk (a regrade only) keeps its figures."""
    from planner.people.mapping import save_mapping

    first = _publish(world)
    assert not first.snapshot["equality"]["analysis"].get("withheld")
    _edit_option(world)  # a regrade: the same people at risk
    second = _publish(world)
    assert second.at_risk_key == first.at_risk_key
    assert not second.snapshot["equality"]["analysis"].get("withheld")
    with world.session() as s:  # E0002 no longer volunteers: one person fewer at risk
        option = s.get(Structure, world.option_id)
        save_mapping(session=s, actor=world.actors["hr"], structure=option,
                     expected_version=option.version,
                     rows=[{"employee_id": "E0002", "outcome": "unchanged"}])
        s.commit()
    third = _publish(world)
    assert third.at_risk_key != second.at_risk_key
    analysis = third.snapshot["equality"]["analysis"]
    assert analysis["withheld"] and analysis["at_risk_total"] is None
    assert all(r["at_risk"] is None and r["at_risk_text"] == "—" for r in analysis["table"])
    assert "changed since draft 2" in analysis["warnings"][0]
    assert any(r["service"] is not None for r in analysis["table"])  # the service stays
    with world.session() as s:  # the digest is management's: never in what a rep reads
        view = d.read_draft(session=s, actor=world.actors["union"], draft_id=third.id)
        assert third.at_risk_key not in json.dumps(view.as_dict(), default=str)
