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


def _attack_drafts(world, drafts: list[PublishedDraft]) -> list[str]:
    """The independent attacker of tests/equality (brute force over every table consistent
    with what is shown) given every figure the drafts show side by side, and who each counted
    at risk (a rep who knows the posts knows that): what it can work out, per characteristic."""
    import datetime as dt

    import pandas as pd

    from planner.equality.analysis import _population
    from tests.equality.test_analysis import _attack_views

    ages_on = dt.date.fromisoformat(drafts[0].equality_basis["ages_on"])
    with world.session() as s:
        people = _population(s, s.get(Structure, world.option_id), ages_on)
    columns = []
    views = {}
    for i, draft in enumerate(drafts):
        column = f"draft {i}"
        people[column] = people["employee_id"].astype(str).isin(draft.equality_basis["at_risk"])
        columns.append(column)
        views[column] = pd.DataFrame(draft.snapshot["equality"]["analysis"]["table"])
    found = []
    for key in views[columns[0]]["characteristic"].unique():
        found += [f"{key}: {x}" for x in _attack_views(
            people, columns, views, key, drafts[0].snapshot["equality"]["analysis"]["threshold"])]
    return found


def _shown_at_risk(draft: PublishedDraft) -> list[dict]:
    return [r for r in draft.snapshot["equality"]["analysis"]["table"]
            if r["at_risk_text"].isdigit() and r["at_risk"] not in (0, None)]


@pytest.fixture
def threshold_5(monkeypatch):
    """The lower threshold the setting allows: the demo's 15 people at risk then show
    figures, so two drafts side by side have something to give away."""
    from planner.core.config import get_settings

    monkeypatch.setenv("PLANNER_EQUALITY_SUPPRESSION_THRESHOLD", "5")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def _unvolunteer_e0002(world) -> None:
    """E0002 no longer volunteers: one person fewer at risk."""
    from planner.people.mapping import save_mapping

    with world.session() as s:
        option = s.get(Structure, world.option_id)
        save_mapping(session=s, actor=world.actors["hr"], structure=option,
                     expected_version=option.version,
                     rows=[{"employee_id": "E0002", "outcome": "unchanged"}])
        s.commit()


@pytest.mark.usefixtures("threshold_5")
def test_a_later_draft_is_suppressed_against_the_drafts_already_published(world):
    """Catches: two drafts of one option whose at-risk groups differ by a person, each
    suppressed on its own (read side by side, the difference can name that person's answers
    or a hidden count). The later draft is cut against the earlier ones as published: the
    attacker, given all three drafts, finds nothing. The basis stays management's."""
    first = _publish(world)
    assert not first.snapshot["equality"]["analysis"].get("withheld")
    _edit_option(world)  # a regrade: the same people at risk
    second = _publish(world)
    assert second.equality_basis["at_risk"] == first.equality_basis["at_risk"]
    assert second.snapshot["equality"]["analysis"]["read_against"] == 1
    _unvolunteer_e0002(world)
    third = _publish(world)
    assert set(first.equality_basis["at_risk"]) - set(third.equality_basis["at_risk"]) == {
        "E0002"}
    assert third.snapshot["equality"]["analysis"]["read_against"] == 2
    assert _attack_drafts(world, [first, second, third]) == []
    # the first drafts show at-risk figures (the attack has work to do); the third, a person
    # apart, may show none of them beside those
    assert len(_shown_at_risk(first)) == len(_shown_at_risk(second)) > 0
    with world.session() as s:  # the basis is management's: never in what a rep reads
        view = d.read_draft(session=s, actor=world.actors["union"], draft_id=third.id)
        text = json.dumps(view.as_dict(), default=str)
        assert third.at_risk_key not in text and "E0002" not in text
        assert third.equality_basis["population"] not in text


@pytest.mark.usefixtures("threshold_5")
def test_a_draft_of_another_option_is_suppressed_against_the_published_drafts(world):
    """Catches: the issue's "across every draft and option": option B, one person apart from
    option A's published draft, suppressed with the live options of its day rather than
    against A's draft as published. Read together, the attacker finds nothing."""
    from planner.core.models import Occupancy, Person
    from planner.establishment.register import PostEdits
    from planner.structures.options import create_option, edit_option_posts
    from tests.publishing.conftest import sign_off_stage_1

    first = _publish(world)
    at_risk = set(first.equality_basis["at_risk"])
    with world.session() as s:
        hr = world.actors["hr"]
        baseline = s.exec(select(Structure).where(Structure.kind == "baseline")).one()
        held = s.exec(select(Person.employee_ref, Post.post_ref).join(
            Occupancy, Occupancy.person_id == Person.id).join(
            Post, Post.id == Occupancy.post_id).where(Post.structure_id == baseline.id)).all()
        managers = set(s.exec(select(Post.reports_to_id).where(
            Post.structure_id == baseline.id)).all())
        leaves = {p.post_ref for p in s.exec(select(Post).where(
            Post.structure_id == baseline.id)) if p.id not in managers}
        sole = {p for p in leaves if sum(1 for _, q in held if q == p) == 1}
        posts = sorted({p for ref, p in held if ref in at_risk and p in sole})
        extra = next(p for ref, p in sorted(held, key=lambda h: h[1])
                     if p in sole and ref not in at_risk)
        option = create_option(session=s, actor=hr, name="Option B: one more post goes")
        deleted = [*posts, extra]
        edit_option_posts(session=s, actor=hr, structure=option,
                          edits=PostEdits(deleted=deleted, versions={p: 1 for p in deleted}))
        s.refresh(option)
        sign_off_stage_1(s, hr, option)
        s.commit()
        draft_b = d.publish(session=s, actor=hr, structure=option.id, note="B", today=TODAY)
        s.commit()
    b_at_risk = set(draft_b.equality_basis["at_risk"])
    assert len(b_at_risk - at_risk) == 1 and len(b_at_risk & at_risk) >= 5
    assert draft_b.snapshot["equality"]["analysis"]["read_against"] == 1
    assert _shown_at_risk(first)
    assert _attack_drafts(world, [first, draft_b]) == []


def test_a_draft_after_the_workforce_changed_withholds_its_equality_figures(world):
    """Catches: a draft showing the whole-service profile after someone changed an answer
    (or joined, or left) since an earlier draft: the two profiles' difference is that
    person's answer. The later draft withholds its figures whole and says why."""
    from planner.equality import records as eq_records

    first = _publish(world)
    with world.session() as s:
        record = eq_records.records_by_employee(s, ["E0003"]).get("E0003")
        answer = "Buddhist" if not record or record.religion_or_belief != "Buddhist" else (
            "Christian")
        eq_records.save_equality_records(session=s, actor=world.actors["hr"], rows=[{
            "employee_id": "E0003", "version": record.version if record else 0,
            "religion_or_belief": answer}])
        s.commit()
    second = _publish(world)
    analysis = second.snapshot["equality"]["analysis"]
    assert analysis["withheld"] and analysis["withheld_whole"]
    assert all(r["service"] is None and r["service_text"] == "—"
               and r["at_risk_text"] == "—" for r in analysis["table"])
    assert "changed since draft 1" in analysis["warnings"][0]
    assert second.equality_basis["population"] != first.equality_basis["population"]
    third = _publish(world)  # and the next one again (the first draft still stands)
    assert third.snapshot["equality"]["analysis"]["withheld_whole"]
