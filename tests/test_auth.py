"""Roles, passwords, sign-in auditing and the permission table."""

from __future__ import annotations

import pytest
from sqlmodel import select

from planner import auth
from planner.auth import PERMISSIONS, SYSTEM, Actor, AuthenticationFailed, can, require
from planner.errors import PermissionDenied, ValidationFailed
from planner.models import AuditEvent, User
from tests.factories import DEFAULT_PASSWORD, make_user

# role x action: the whole table, written out so a change to it is a visible test change.
EXPECTED = {
    "establishment.read": {"manager", "hr", "admin"},
    "establishment.edit": {"manager", "hr"},
    "establishment.import": {"hr", "admin"},
    "establishment.export": {"manager", "hr", "admin"},
    "personal.read": {"manager", "hr", "admin"},
    "reference.read": {"manager", "hr", "admin"},
    "reference.edit": {"hr", "admin"},
    "audit.read": {"hr", "admin"},
    "users.manage": {"admin"},
    "drafts.read": {"manager", "hr", "union", "admin"},
    "options.read": {"manager", "hr", "admin"},
    "options.edit": {"manager", "hr"},
    "tupe.read": {"manager", "hr", "admin"},
    "tupe.edit": {"hr"},
    "consultation.read": {"manager", "hr", "union", "admin"},
    "consultation.edit": {"hr"},
    "equality.read": {"manager", "hr", "union", "admin"},
    "equality.personal": {"hr", "admin"},
    "equality.edit": {"hr"},
    "equality.assess": {"hr"},
}


def test_permission_table_is_the_expected_one():
    assert {k: set(v) for k, v in PERMISSIONS.items()} == EXPECTED


@pytest.mark.parametrize("action", sorted(EXPECTED))
@pytest.mark.parametrize("role", ["manager", "hr", "union", "admin"])
def test_require(role, action):
    actor = Actor(id=1, username=role, role=role)
    if role in EXPECTED[action]:
        require(actor, action)
        assert can(actor, action)
    else:
        with pytest.raises(PermissionDenied) as exc:
            require(actor, action)
        assert exc.value.action == action
        assert role in str(exc.value)


def test_require_refuses_nobody():
    with pytest.raises(PermissionDenied, match="not signed in"):
        require(None, "drafts.read")


def test_unknown_action_is_a_programming_error():
    with pytest.raises(KeyError):
        can(SYSTEM, "establishment.destroy")


def test_password_hash_is_argon2_and_verifies():
    h = auth.hash_password("a-long-password")
    assert h.startswith("$argon2")
    assert auth.verify_password(h, "a-long-password")
    assert not auth.verify_password(h, "wrong")
    assert not auth.verify_password(None, "x")
    assert not auth.verify_password("not-a-hash", "x")


def test_authenticate_success_and_failure_are_audited(session):
    make_user(session, "hr", username="harriet")
    actor = auth.authenticate(session=session, username="harriet", password=DEFAULT_PASSWORD)
    assert actor.role == "hr"
    with pytest.raises(AuthenticationFailed, match="Wrong user name or password"):
        auth.authenticate(session=session, username="harriet", password="nope")
    with pytest.raises(AuthenticationFailed):
        auth.authenticate(session=session, username="nobody", password="nope")
    session.flush()
    actions = [e.action for e in session.exec(select(AuditEvent).order_by(AuditEvent.id))]
    assert actions == ["signin", "signin_failed", "signin_failed"]


def test_inactive_user_cannot_sign_in(session):
    make_user(session, "hr", username="leaver", active=False)
    with pytest.raises(AuthenticationFailed):
        auth.authenticate(session=session, username="leaver", password=DEFAULT_PASSWORD)


def test_oidc_email_maps_to_user(session):
    make_user(session, "manager", username="marcus", email="marcus@example.gov.uk")
    actor = auth.actor_for_email(session=session, email="Marcus@Example.gov.uk ")
    assert actor is not None and actor.username == "marcus"
    assert auth.actor_for_email(session=session, email="stranger@example.com") is None


def test_add_user_admin_only_and_audited(session):
    admin = make_user(session, "admin", password="")
    hr = make_user(session, "hr", password="")
    with pytest.raises(PermissionDenied):
        auth.add_user(session=session, actor=hr, username="x", role="hr", password="long-enough-pw")
    user = auth.add_user(session=session, actor=admin, username="newrep", role="union",
                         password="long-enough-pw", display_name="New Rep")
    assert session.exec(select(User).where(User.username == "newrep")).one().role == "union"
    event = session.exec(select(AuditEvent).where(AuditEvent.entity == "user")).one()
    assert event.after == {"username": "newrep", "role": "union", "email": None}
    assert event.entity_id == str(user.id)


@pytest.mark.parametrize(
    ("username", "role", "password", "column"),
    [
        ("", "hr", "long-enough-pw", "username"),
        ("ok", "boss", "long-enough-pw", "role"),
        ("ok", "hr", "short", "password"),
    ],
)
def test_add_user_validation(session, username, role, password, column):
    with pytest.raises(ValidationFailed) as exc:
        auth.add_user(session=session, actor=SYSTEM, username=username, role=role, password=password)
    assert [e.column for e in exc.value.errors] == [column]


def test_duplicate_user_refused(session):
    auth.add_user(session=session, actor=SYSTEM, username="dup", role="hr", password="long-enough-pw")
    with pytest.raises(ValidationFailed, match="already exists"):
        auth.add_user(session=session, actor=SYSTEM, username="dup", role="hr",
                      password="long-enough-pw")
