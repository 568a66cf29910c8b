"""Roles, passwords, sign-in auditing and the permission table."""

from __future__ import annotations

import pytest
from sqlmodel import select

from planner.core import auth
from planner.core.auth import PERMISSIONS, SYSTEM, Actor, AuthenticationFailed, can, require
from planner.core.errors import PermissionDenied, ValidationFailed
from planner.core.models import AuditEvent, User
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
    "consultation.read": {"manager", "hr", "admin"},  # union: the drafts (issue 13)
    "consultation.edit": {"hr"},
    "equality.read": {"manager", "hr", "admin"},
    "equality.personal": {"hr", "admin"},
    "equality.edit": {"hr"},
    "equality.assess": {"hr"},
    "mapping.read": {"manager", "hr", "admin"},  # never union: names (issue 12)
    "mapping.edit": {"manager", "hr"},
    "mapping.costs": {"hr", "admin"},
    "drafts.publish": {"manager", "hr"},  # issue 13
    "drafts.respond": {"union"},
    "drafts.reply": {"hr"},
    # The financial plan (issue 15): management's; never a union rep's.
    "plan.read": {"manager", "hr", "admin"},
    "plan.edit": {"manager", "hr"},
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


# --- users and sessions (issue 10 item 5) ----------------------------------------------------

import datetime as dt  # noqa: E402

from planner.core.config import Settings  # noqa: E402

NOW = dt.datetime(2026, 12, 3, 9, 0, tzinfo=dt.UTC)
STRICT = Settings(signin_max_failures=3, signin_address_max_failures=5, signin_lockout_minutes=15)


def _try(session, username, password, *, at, address="10.0.0.1", sleeps=None):
    return auth.authenticate(session=session, username=username, password=password,
                             address=address, settings=STRICT, now=at,
                             sleep=(sleeps.append if sleeps is not None else lambda _s: None))


def _fail_at(session, username, at, address="10.0.0.1"):
    """A failed attempt at `at` (the audit row carries the clock the function was given)."""
    with pytest.raises(AuthenticationFailed):
        _try(session, username, "wrong-password", at=at, address=address)
    session.flush()


def test_failed_sign_ins_lock_the_name_until_they_age_out(session):
    """Catches: 30 wrong passwords in 20 s with no delay or lockout (issue 10)."""
    make_user(session, "hr", username="harriet")
    for minute in (0, 1, 2):
        _fail_at(session, "harriet", NOW + dt.timedelta(minutes=minute))
    with pytest.raises(auth.SignInLocked, match="Try again in 14 minutes") as locked:
        _try(session, "harriet", DEFAULT_PASSWORD, at=NOW + dt.timedelta(minutes=2))
    assert locked.value.until == NOW + dt.timedelta(minutes=15)
    session.flush()
    assert session.exec(select(AuditEvent).order_by(AuditEvent.id.desc())).first().action \
        == "signin_locked"
    # Once the oldest failure is out of the window, the right password works again.
    assert _try(session, "harriet", DEFAULT_PASSWORD,
                at=NOW + dt.timedelta(minutes=15, seconds=1)).username == "harriet"


def test_a_success_clears_the_count(session):
    make_user(session, "hr", username="harriet")
    _fail_at(session, "harriet", NOW)
    _fail_at(session, "harriet", NOW + dt.timedelta(minutes=1))
    _try(session, "harriet", DEFAULT_PASSWORD, at=NOW + dt.timedelta(minutes=2))
    session.flush()
    _fail_at(session, "harriet", NOW + dt.timedelta(minutes=3))
    _fail_at(session, "harriet", NOW + dt.timedelta(minutes=4))
    assert _try(session, "harriet", DEFAULT_PASSWORD, at=NOW + dt.timedelta(minutes=5))


def test_one_address_trying_many_names_is_locked(session):
    make_user(session, "hr", username="harriet")
    for i in range(5):
        _fail_at(session, f"guess{i}", NOW + dt.timedelta(seconds=i), address="203.0.113.9")
    with pytest.raises(auth.SignInLocked):
        _try(session, "harriet", DEFAULT_PASSWORD, at=NOW + dt.timedelta(minutes=1),
             address="203.0.113.9")
    # Another address is not affected.
    assert _try(session, "harriet", DEFAULT_PASSWORD, at=NOW + dt.timedelta(minutes=1),
                address="198.51.100.7")


def test_failures_are_answered_more_slowly(session):
    make_user(session, "hr", username="harriet")
    sleeps: list[float] = []
    for minute in range(3):
        with pytest.raises(AuthenticationFailed):
            _try(session, "harriet", "wrong-password", at=NOW + dt.timedelta(minutes=minute),
                 sleeps=sleeps)
        session.flush()
    assert sleeps == [0.25, 0.5, 1.0]


def test_an_unknown_name_costs_the_same_password_work(session, monkeypatch):
    """Catches: an unknown user answered in 1 ms and a real one in 172 ms, so user names
    could be discovered by timing. Both must run one argon2 verification, and an unknown
    name is locked out exactly like a real one."""
    make_user(session, "hr", username="harriet")
    verified: list[str] = []
    real = auth.verify_password
    monkeypatch.setattr(auth, "verify_password",
                        lambda h, p: verified.append(h) or real(h, p))
    for name in ("harriet", "nobody-here"):
        with pytest.raises(AuthenticationFailed) as exc:
            _try(session, name, "wrong-password", at=NOW)
        assert str(exc.value) == "Wrong user name or password."
    assert len(verified) == 2 and all(h.startswith("$argon2") for h in verified)
    for minute in (1, 2):
        _fail_at(session, "nobody-here", NOW + dt.timedelta(minutes=minute))
    with pytest.raises(auth.SignInLocked):
        _try(session, "nobody-here", "x", at=NOW + dt.timedelta(minutes=3))


def test_admin_changes_role_and_active_flag_audited(session):
    admin = make_user(session, "admin", username="ada")
    make_user(session, "hr", username="harriet")
    user = auth.update_user(session=session, actor=admin, username="harriet", role="union")
    assert (user.role, user.session_epoch) == ("union", 1)
    user = auth.update_user(session=session, actor=admin, username="harriet", active=False)
    assert not user.active and user.session_epoch == 2
    session.flush()
    events = session.exec(select(AuditEvent).where(AuditEvent.entity == "user",
                                                   AuditEvent.action == "update")).all()
    assert [(e.before["role"], e.after["role"], e.after["active"]) for e in events] == \
        [("hr", "union", True), ("union", "union", False)]
    assert auth.refresh_actor(session=session, actor=Actor.of(user)) is None
    user = auth.update_user(session=session, actor=admin, username="harriet", active=True)
    assert auth.refresh_actor(session=session, actor=Actor(user.id, "harriet", "hr")).role \
        == "union"


@pytest.mark.parametrize("change", [{"role": "hr"}, {"active": False}])
def test_the_last_active_admin_cannot_be_removed(session, change):
    admin = make_user(session, "admin", username="ada")
    with pytest.raises(ValidationFailed, match="last active administrator"):
        auth.update_user(session=session, actor=admin, username="ada", **change)
    make_user(session, "admin", username="bea")
    assert auth.update_user(session=session, actor=admin, username="ada", **change)


def test_only_an_admin_manages_users(session):
    hr = make_user(session, "hr", username="harriet")
    with pytest.raises(PermissionDenied):
        auth.update_user(session=session, actor=hr, username="harriet", role="admin")
    with pytest.raises(PermissionDenied):
        auth.reset_password(session=session, actor=hr, username="harriet", password="x" * 12)


def test_reset_password_audited_without_the_password(session):
    admin = make_user(session, "admin", username="ada")
    make_user(session, "hr", username="harriet")
    with pytest.raises(ValidationFailed, match="at least 10"):
        auth.reset_password(session=session, actor=admin, username="harriet", password="short")
    auth.reset_password(session=session, actor=admin, username="harriet",
                        password="a-new-long-password")
    session.flush()
    assert auth.authenticate(session=session, username="harriet",
                             password="a-new-long-password", sleep=lambda _s: None)
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "reset_password")).one()
    assert "a-new-long-password" not in str(event.after) and event.after == {"username": "harriet"}
