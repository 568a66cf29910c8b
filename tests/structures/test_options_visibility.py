"""Who may read which structure: a union rep sees options only once they are published, and
then only through their published drafts (drafts.read, issue 13): never a live option's
consultation or equality figures."""

from __future__ import annotations

import pytest

from planner.core.auth import Actor
from planner.core.errors import PermissionDenied
from planner.core.models import STRUCTURE_STATUSES, Structure
from planner.structures.options import (
    NOT_READABLE,
    PUBLISHED_STATUSES,
    create_option,
    readable_option,
)
from tests.factories import build_small_establishment, make_actors


@pytest.fixture
def actors(session) -> dict[str, Actor]:
    return make_actors(session)


@pytest.fixture
def option(session, actors) -> Structure:
    build_small_establishment(session)
    made = create_option(session=session, actor=actors["manager"], name="Option A")
    session.commit()
    return made


@pytest.mark.parametrize("status", [s for s in STRUCTURE_STATUSES if s != "current"])
def test_union_reads_an_option_only_at_a_published_status(session, actors, option, status):
    """Catches: a working copy (draft, proposed) reaching a union rep before publication, or a
    published option refused to them."""
    option.status = status
    session.add(option)
    session.flush()
    if status in PUBLISHED_STATUSES:
        assert readable_option(session, actors["union"], option.id, "drafts.read") is option
    else:
        with pytest.raises(PermissionDenied) as refused:
            readable_option(session, actors["union"], option.id, "drafts.read")
        assert str(refused.value) == NOT_READABLE
    for action in ("consultation.read", "equality.read"):  # live figures: never a union rep's
        with pytest.raises(PermissionDenied, match="A union may not"):
            readable_option(session, actors["union"], option.id, action)


def test_union_never_reads_the_establishment_through_an_option_service(session, actors, option):
    """Catches: "baseline" (the live establishment, with its people) passing the published
    check because its status is not a draft."""
    with pytest.raises(PermissionDenied) as refused:
        readable_option(session, actors["union"], "baseline", "drafts.read")
    assert str(refused.value) == NOT_READABLE


@pytest.mark.parametrize("action", ["drafts.read", "consultation.read", "equality.read"])
def test_a_union_refusal_names_nothing_and_is_the_same_for_a_missing_option(
        session, actors, option, action):
    """Catches: a refusal naming the unpublished option ("Option A is not"), or a different
    answer (message or kind of error) for an option that does not exist, which would let a
    union rep probe which working copies exist (issue 10)."""
    option.name = "Secret restructure"
    session.add(option)
    session.flush()
    answers = []
    for asked in ("Secret restructure", "secret restructure", option.id, str(option.id),
                  "No such option", 987654, "baseline"):
        with pytest.raises(PermissionDenied) as refused:
            readable_option(session, actors["union"], asked, action)
        answers.append((type(refused.value), str(refused.value)))
    assert len(set(answers)) == 1  # the same answer, whatever was asked
    if action == "drafts.read":
        assert set(answers) == {(PermissionDenied, NOT_READABLE)}
    assert "Secret" not in NOT_READABLE and "Option" not in NOT_READABLE


def test_a_missing_option_is_still_named_to_those_who_read_every_option(session, actors, option):
    """Catches: the union rep's vague refusal given to a manager, who may see every option
    and needs to know the name they typed matches none."""
    from planner.core.errors import NotFound

    with pytest.raises(NotFound, match="No such option"):
        readable_option(session, actors["manager"], "No such option", "equality.read")


@pytest.mark.parametrize("role", ["manager", "hr", "admin"])
def test_roles_with_options_read_see_drafts_and_the_baseline(session, actors, option, role):
    """Catches: the published check applied to roles that build the options."""
    assert readable_option(session, actors[role], "Option A", "consultation.read") is option
    assert readable_option(session, actors[role], "baseline", "consultation.read").kind == \
        "baseline"


def test_the_reading_permission_itself_is_checked_first(session, actors, option):
    """Catches: readable_option granting an action the role lacks (a manager may not read
    people's equality answers, published option or not)."""
    option.status = "published"
    session.add(option)
    session.flush()
    with pytest.raises(PermissionDenied, match="A manager may not"):
        readable_option(session, actors["manager"], option.id, "equality.personal")


def test_readable_options_lists_what_the_services_would_admit(session, actors, option):
    """Catches: a picker offering a union rep a draft (or the establishment), or hiding a
    published option from them; or a role with options.read losing its drafts."""
    second = create_option(session=session, actor=actors["manager"], name="Option B")
    second.status = "published"
    session.add(second)
    session.flush()
    from planner.structures.options import readable_options

    union = readable_options(session=session, actor=actors["union"], action="drafts.read")
    assert union["name"].tolist() == ["Option B"]
    hr = readable_options(session=session, actor=actors["hr"], action="equality.read")
    assert hr["name"].tolist() == ["Option A", "Option B"]
    assert set(hr["kind"]) == {"option"}
    with pytest.raises(PermissionDenied):
        readable_options(session=session, actor=actors["manager"], action="equality.personal")


def test_readable_option_ids_are_the_readable_options_ids(session, actors, option):
    """Catches: the id-only list (issue 16: the equality read's other options) admitting
    another option than the picker offers, or in another order."""
    from planner.structures.options import readable_option_ids, readable_options

    second = create_option(session=session, actor=actors["manager"], name="Option B")
    second.status = "published"
    session.add(second)
    session.flush()
    for role, action in (("union", "drafts.read"), ("hr", "equality.read"),
                         ("manager", "options.read")):
        for archived in (False, True):
            ids = readable_option_ids(session=session, actor=actors[role], action=action,
                                      include_archived=archived)
            assert ids == readable_options(session=session, actor=actors[role], action=action,
                                           include_archived=archived)["id"].tolist()
    with pytest.raises(PermissionDenied):
        readable_option_ids(session=session, actor=actors["manager"], action="equality.personal")
