"""Session tokens (the cookie that survives a browser refresh): accepted while signed,
unexpired, under the user's current epoch and for an active user; refused otherwise."""

from __future__ import annotations

import pytest
from sqlmodel import select

from planner.core import sessions
from planner.core.models import AppSecret, AuditEvent, User
from tests.factories import make_user

KEY = b"k" * 32
NOW = 1_800_000_000.0


def _tamper(token: str, index: int, value: str) -> str:
    parts = token.split(".")
    parts[index] = value
    return ".".join(parts)


def test_a_token_reads_back_its_claims():
    token = sessions.make_token(key=KEY, user_id=7, epoch=2, expires=int(NOW) + 60)
    assert sessions.read_token(token, key=KEY, now=NOW) == sessions.Claims(7, 2, int(NOW) + 60)


@pytest.mark.parametrize(("why", "change"), [
    ("another user's id", lambda t: _tamper(t, 1, "8")),
    ("an older epoch", lambda t: _tamper(t, 2, "1")),
    ("a later expiry", lambda t: _tamper(t, 3, str(int(NOW) + 10**6))),
    ("a forged signature", lambda t: _tamper(t, 4, "A" * 43)),
    ("another version", lambda t: _tamper(t, 0, "v2")),
    ("a truncated token", lambda t: t[:-1]),
    ("no signature", lambda t: t.rsplit(".", 1)[0]),
    ("garbage", lambda t: "not-a-token"),
    ("an empty cookie", lambda t: ""),
])
def test_a_tampered_token_is_refused(why, change):
    token = sessions.make_token(key=KEY, user_id=7, epoch=2, expires=int(NOW) + 60)
    assert sessions.read_token(change(token), key=KEY, now=NOW) is None, why


def test_a_token_signed_with_another_key_is_refused():
    token = sessions.make_token(key=b"x" * 32, user_id=7, epoch=2, expires=int(NOW) + 60)
    assert sessions.read_token(token, key=KEY, now=NOW) is None


def test_an_expired_token_is_refused():
    token = sessions.make_token(key=KEY, user_id=7, epoch=2, expires=int(NOW) + 60)
    assert sessions.read_token(token, key=KEY, now=NOW + 59) is not None
    assert sessions.read_token(token, key=KEY, now=NOW + 60) is None


def test_the_signing_key_is_made_once_and_kept(session):
    first = sessions.signing_key(session)
    assert len(first) >= 32
    assert sessions.signing_key(session) == first
    rows = session.exec(select(AppSecret).where(AppSecret.key == sessions.SECRET_KEY)).all()
    assert len(rows) == 1


def test_a_valid_cookie_signs_the_user_in_again(session):
    actor = make_user(session, "hr", username="harriet")
    token, _ = sessions.issue(session=session, actor=actor, now=NOW)
    resumed = sessions.resume(session=session, token=token, now=NOW + 60)
    assert resumed == actor
    event = session.exec(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert (event.action, event.username, event.after) == (
        "signin", "harriet", {"via": "session cookie"})


def test_the_cookie_lives_for_the_session_timeout(session, monkeypatch):
    actor = make_user(session, "hr")
    token, _ = sessions.issue(session=session, actor=actor, now=NOW)
    limit = sessions.lifetime_seconds()
    assert limit == 30 * 60
    assert sessions.resume(session=session, token=token, now=NOW + limit - 1) == actor
    assert sessions.resume(session=session, token=token, now=NOW + limit) is None


def test_signing_out_refuses_the_old_cookie(session):
    actor = make_user(session, "hr")
    token, _ = sessions.issue(session=session, actor=actor, now=NOW)
    sessions.end_sessions(session=session, actor=actor)
    assert sessions.resume(session=session, token=token, now=NOW + 1) is None
    fresh, _ = sessions.issue(session=session, actor=actor, now=NOW + 2)
    assert sessions.resume(session=session, token=fresh, now=NOW + 3) == actor


def test_an_inactive_user_is_refused(session):
    actor = make_user(session, "manager")
    token, _ = sessions.issue(session=session, actor=actor, now=NOW)
    user = session.get(User, actor.id)
    user.active = False
    session.add(user)
    session.flush()
    assert sessions.resume(session=session, token=token, now=NOW + 1) is None
    with pytest.raises(sessions.SessionEnded):
        sessions.issue(session=session, actor=actor, now=NOW)


def test_one_users_sign_out_does_not_end_anothers_and_epochs_are_per_user(session):
    """Catches: a global epoch, or a token that could be replayed under a user whose epoch
    happens to match."""
    alice = make_user(session, "hr", username="alice")
    bob = make_user(session, "manager", username="bob")
    alice_token, _ = sessions.issue(session=session, actor=alice, now=NOW)
    bob_token, _ = sessions.issue(session=session, actor=bob, now=NOW)
    sessions.end_sessions(session=session, actor=alice)
    assert sessions.resume(session=session, token=alice_token, now=NOW + 1) is None
    assert sessions.resume(session=session, token=bob_token, now=NOW + 1) == bob
    # Bob's epoch is 0 and Alice's 1: Alice's new token names her, never Bob.
    alice_new, _ = sessions.issue(session=session, actor=alice, now=NOW + 2)
    assert sessions.resume(session=session, token=alice_new, now=NOW + 3) == alice
    key = sessions.signing_key(session)
    claims = sessions.read_token(alice_new, key=key, now=NOW + 3)
    forged = _tamper(alice_new, 1, str(bob.id))
    assert claims.epoch == 1 and sessions.resume(session=session, token=forged, now=NOW) is None


def test_a_deleted_user_is_refused(session):
    key = sessions.signing_key(session)
    token = sessions.make_token(key=key, user_id=999_999, epoch=0, expires=int(NOW) + 60)
    assert sessions.resume(session=session, token=token, now=NOW) is None


def test_a_window_left_open_after_sign_out_elsewhere_gets_no_new_cookie(session):
    """Catches: another window of the same user re-issuing a valid cookie after the sign-out
    (its next refresh would sign the user straight back in)."""
    actor = make_user(session, "hr")
    _, epoch = sessions.issue(session=session, actor=actor, now=NOW)
    assert sessions.issue(session=session, actor=actor, now=NOW + 61, epoch=epoch)[1] == epoch
    sessions.end_sessions(session=session, actor=actor)
    with pytest.raises(sessions.SessionEnded):
        sessions.issue(session=session, actor=actor, now=NOW + 122, epoch=epoch)
