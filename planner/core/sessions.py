"""Signed, expiring session tokens: what lets a browser refresh keep the user signed in.

Streamlit forgets its session state when the page is reloaded (a new websocket, a new
session), so the browser keeps a cookie holding a token, and the next session reads it.

A token is `v1.<user id>.<epoch>.<expires>.<signature>`: the signature is an HMAC-SHA256 over
everything before it, keyed with a secret the app makes on first use and keeps in the
`AppSecret` table (the database is the only state, DESIGN.md), so every app process behind
the same database honours the same tokens. It is refused when:

- it was tampered with or signed with another key (the signature does not match);
- it has expired: it lives for the session timeout (`Settings.session_timeout_minutes`), and
  the UI issues a fresh one as the user works, so it ends with the idle timeout;
- the user signed out since: signing out raises `User.session_epoch`, and a token carries the
  epoch it was signed under (this also ends the user's sessions on other devices);
- the user was made inactive.

The token holds no name or role: the user row is read again each time it is used.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from planner.core import audit
from planner.core.auth import SYSTEM, Actor
from planner.core.config import get_settings
from planner.core.models import AppSecret, User

VERSION = "v1"
SECRET_KEY = "session-cookie-hmac"


@dataclass(frozen=True)
class Claims:
    """What a token says once its signature and expiry are checked."""

    user_id: int
    epoch: int
    expires: int  # seconds since the epoch (UTC)


def _sign(key: bytes, payload: str) -> str:
    digest = hmac.new(key, payload.encode("ascii"), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def make_token(*, key: bytes, user_id: int, epoch: int, expires: int) -> str:
    """A signed token for this user and epoch, valid until `expires` (Unix seconds)."""
    payload = f"{VERSION}.{int(user_id)}.{int(epoch)}.{int(expires)}"
    return f"{payload}.{_sign(key, payload)}"


def read_token(token: str, *, key: bytes, now: float | None = None) -> Claims | None:
    """The token's claims if its signature matches and it has not expired; otherwise None.

    Pure: whether the user still exists, is active and has not signed out is `resume`'s job.
    """
    parts = token.split(".") if isinstance(token, str) else []
    if len(parts) != 5 or parts[0] != VERSION:
        return None
    payload, signature = ".".join(parts[:4]), parts[4]
    if not hmac.compare_digest(_sign(key, payload), signature):
        return None
    try:
        user_id, epoch, expires = (int(p) for p in parts[1:4])
    except ValueError:
        return None
    if expires <= (time.time() if now is None else now):
        return None
    return Claims(user_id=user_id, epoch=epoch, expires=expires)


def signing_key(session: Session) -> bytes:
    """The app's cookie-signing secret, made (32 random bytes) and stored on first use.

    Two processes making it at once: the unique key lets one insert win; the other reads it.
    """
    row = session.exec(select(AppSecret).where(AppSecret.key == SECRET_KEY)).first()
    if row is None:
        try:
            with session.begin_nested():
                row = AppSecret(key=SECRET_KEY, value=secrets.token_urlsafe(32))
                session.add(row)
            # When the key was made is worth a trace; its value never goes in the log.
            audit.record(session, actor=SYSTEM, action="create", entity="app_secret",
                         entity_id=SECRET_KEY, after={"key": SECRET_KEY})
        except IntegrityError:
            row = session.exec(select(AppSecret).where(AppSecret.key == SECRET_KEY)).one()
    return row.value.encode("ascii")


def lifetime_seconds() -> int:
    """How long a token lives: the idle session timeout (Settings.session_timeout_minutes)."""
    return int(get_settings().session_timeout_minutes) * 60


class SessionEnded(ValueError):
    """No token for this session: the user was made inactive, or signed out elsewhere."""


def issue(*, session: Session, actor: Actor, now: float | None = None,
          epoch: int | None = None) -> tuple[str, int]:
    """A token for the signed-in `actor` under the user's current epoch, and that epoch.

    `epoch` is the one the session started under: a session still open in another window
    after the user signed out must not mint a cookie the sign-out would not refuse.
    """
    user = session.get(User, actor.id) if actor.id is not None else None
    if user is None or not user.active:
        raise SessionEnded("a session token is only issued to an active user")
    if epoch is not None and epoch != user.session_epoch:
        raise SessionEnded("the user signed out since this session began")
    start = time.time() if now is None else now
    token = make_token(key=signing_key(session), user_id=int(user.id), epoch=user.session_epoch,
                       expires=int(start) + lifetime_seconds())
    return token, user.session_epoch


def resume(*, session: Session, token: str, now: float | None = None) -> Actor | None:
    """The user a cookie's token signs in again, or None if it is refused (see the module
    docstring). An accepted token is audited as a sign-in "via session cookie"."""
    claims = read_token(token, key=signing_key(session), now=now)
    if claims is None:
        return None
    user = session.get(User, claims.user_id)
    if user is None or not user.active or user.session_epoch != claims.epoch:
        return None
    actor = Actor.of(user)
    audit.record(session, actor=actor, action="signin", entity="user", entity_id=str(user.id),
                 after={"via": "session cookie"})
    return actor


def end_sessions(*, session: Session, actor: Actor) -> None:
    """Refuse every token issued to `actor` so far: raise the user's epoch.

    Part of signing out, in the same unit of work as its audit event
    (`auth.record_signout`), so it is not audited a second time.
    """
    user = session.get(User, actor.id) if actor.id is not None else None
    if user is None:
        return
    user.session_epoch += 1
    session.add(user)
