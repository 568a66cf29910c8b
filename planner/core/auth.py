"""Users, roles, passwords and the permission table.

Permissions are enforced here, in the domain, whatever the UI shows (DESIGN.md: "Permissions
are enforced in planner/, not by hiding buttons").
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func
from sqlmodel import Session, col, select

from planner.core import audit
from planner.core.config import Settings, get_settings
from planner.core.errors import PermissionDenied, PlannerError, RowError, ValidationFailed
from planner.core.models import ROLES, AuditEvent, User

log = logging.getLogger("planner.security")
_hasher = PasswordHasher()

# action -> roles that may perform it. One table, tested role by role.
PERMISSIONS: dict[str, frozenset[str]] = {
    "establishment.read": frozenset({"manager", "hr", "admin"}),
    "establishment.edit": frozenset({"manager", "hr"}),
    "establishment.import": frozenset({"hr", "admin"}),
    "establishment.export": frozenset({"manager", "hr", "admin"}),
    "personal.read": frozenset({"manager", "hr", "admin"}),
    "reference.read": frozenset({"manager", "hr", "admin"}),
    "reference.edit": frozenset({"hr", "admin"}),
    "audit.read": frozenset({"hr", "admin"}),
    "users.manage": frozenset({"admin"}),
    "drafts.read": frozenset({"manager", "hr", "union", "admin"}),
    # A union rep sees an option only once it is published (drafts.read), never a working copy.
    "options.read": frozenset({"manager", "hr", "admin"}),
    "options.edit": frozenset({"manager", "hr"}),
    # TUPE cohorts: managers follow the transfer; hr keeps it. Members' details: personal.read.
    "tupe.read": frozenset({"manager", "hr", "admin"}),
    "tupe.edit": frozenset({"hr"}),
    # Consultation plans and stages: management's working view of a live option; the people
    # at risk also need personal.read. A union rep reads an option's consultation only as it
    # was published, in its drafts (drafts.read, planner.publishing), never the live option.
    "consultation.read": frozenset({"manager", "hr", "admin"}),
    "consultation.edit": frozenset({"hr"}),
    # Equality (special-category data, UK GDPR art. 9): management reads suppressed
    # aggregates of live options; only hr and admin see unsuppressed figures or a person's
    # answers; only hr changes them or the checkpoints. A union rep reads the analysis only as
    # a published draft froze it (drafts.read), suppressed when it was written.
    "equality.read": frozenset({"manager", "hr", "admin"}),
    "equality.personal": frozenset({"hr", "admin"}),
    "equality.edit": frozenset({"hr"}),
    "equality.assess": frozenset({"hr"}),
    # People mapping (issue 12): each person's outcome, by name. Never a union rep's, even for
    # a published option: names, dates of birth and individual costs stay with management.
    "mapping.read": frozenset({"manager", "hr", "admin"}),
    "mapping.edit": frozenset({"manager", "hr"}),
    # Each person's exit cost (redundancy pay, strain): hr's, as pay records are.
    "mapping.costs": frozenset({"hr", "admin"}),
    # Published drafts (issue 13): management publishes and withdraws numbered, redacted
    # snapshots; union reps read them (drafts.read) and respond; hr replies.
    "drafts.publish": frozenset({"manager", "hr"}),
    "drafts.respond": frozenset({"union"}),
    "drafts.reply": frozenset({"hr"}),
    # The medium-term financial plan (issue 15): management's working projection of a live
    # option's savings against each council's target, with the exit bill's totals by partner.
    # A union rep reads an option's costs only as a published draft froze them (drafts.read).
    "plan.read": frozenset({"manager", "hr", "admin"}),
    "plan.edit": frozenset({"manager", "hr"}),
}


class AuthenticationFailed(PlannerError):
    """Wrong user name or password (deliberately not saying which)."""


class SignInLocked(AuthenticationFailed):
    """Too many failed attempts for this user name or from this address, for now."""

    def __init__(self, message: str, until: dt.datetime) -> None:
        super().__init__(message)
        self.until = until


@dataclass(frozen=True)
class Actor:
    """The signed-in user as services see it: detached from any session."""

    id: int | None
    username: str
    role: str
    display_name: str = ""

    @classmethod
    def of(cls, user: User) -> Actor:
        return cls(id=user.id, username=user.username, role=user.role,
                   display_name=user.display_name or user.username)


SYSTEM = Actor(id=None, username="system", role="admin", display_name="System")


def can(actor: Actor | User, action: str) -> bool:
    if action not in PERMISSIONS:
        raise KeyError(f"unknown action {action!r}")
    return actor.role in PERMISSIONS[action]


def require(actor: Actor | User | None, action: str, entity: str = "") -> None:
    """Raise PermissionDenied unless the actor's role may perform `action`."""
    if actor is None:
        raise PermissionDenied("You are not signed in.", action=action, entity=entity)
    if not can(actor, action):
        log.warning("refused: %s (%s) attempted %s", actor.username, actor.role, action)
        raise PermissionDenied(
            f"A {actor.role} may not {_describe(action)}.", user=actor, action=action, entity=entity
        )


def _describe(action: str) -> str:
    noun, verb = action.split(".")
    return {
        "read": f"view the {noun.replace('_', ' ')}",
        "edit": f"change the {noun}",
        "import": f"import the {noun}",
        "export": f"export the {noun}",
        "manage": f"manage {noun}",
        "personal": f"see people's {noun} data",
        "assess": f"change the {noun} assessments",
    }.get(verb, action)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    if not password_hash:
        return False
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


@functools.cache
def _dummy_hash() -> str:
    """Verified when the user name is unknown (or has no password), so that an unknown name
    costs the same argon2 work as a wrong password and user names cannot be discovered by
    timing. Made on first use: a fifth of a second of argon2 that every command-line run and
    app start would pay otherwise."""
    return _hasher.hash("no such user: this hash only spends the same time")


def _failures(session: Session, since: dt.datetime, *, username: str | None = None,
              address: str | None = None) -> list[dt.datetime]:
    """When recent failed sign-ins happened (oldest first), for one name or one address,
    counting only those after that name's last successful sign-in."""
    e = AuditEvent
    q = select(e.at).where(e.action == "signin_failed", e.at >= since)
    if username is not None:
        last_ok = session.exec(select(func.max(e.at)).where(
            e.action == "signin", e.username == username)).one()
        if last_ok is not None:
            q = q.where(e.at > last_ok)
        q = q.where(e.entity_id == username)
    else:
        q = q.where(col(e.after)["address"].as_string() == address)
    return [_aware(t) for t in session.exec(q.order_by(col(e.at))).all()]


def _aware(at: dt.datetime) -> dt.datetime:
    return at if at.tzinfo else at.replace(tzinfo=dt.UTC)


def _locked_until(times: list[dt.datetime], limit: int, window: dt.timedelta
                  ) -> dt.datetime | None:
    """With `limit` or more failures in the window, the moment enough of them age out."""
    if limit <= 0 or len(times) < limit:
        return None
    return times[len(times) - limit] + window


def authenticate(*, session: Session, username: str, password: str,
                 address: str | None = None, settings: Settings | None = None,
                 now: dt.datetime | None = None,
                 sleep: Callable[[float], None] = time.sleep) -> Actor:
    """Check a password sign-in; every attempt is written to the audit log.

    Failed attempts are slowed (a doubling delay) and, past `signin_max_failures` for a user
    name or `signin_address_max_failures` from one address within `signin_lockout_minutes`,
    refused without checking the password until the oldest failures age out. The same rules
    and the same password work apply to names that do not exist, so neither the answer nor
    its timing says whether a user name is real.
    """
    cfg = settings or get_settings()
    now = now or dt.datetime.now(dt.UTC)
    name = username.strip()[:80]
    window = dt.timedelta(minutes=cfg.signin_lockout_minutes)
    by_name = _failures(session, now - window, username=name)
    by_address = _failures(session, now - window, address=address) if address else []
    until = max([t for t in (_locked_until(by_name, cfg.signin_max_failures, window),
                             _locked_until(by_address, cfg.signin_address_max_failures, window))
                 if t is not None], default=None)
    if until is not None and until > now:
        log.warning("sign-in locked for %r from %s", name, address)
        audit.record(session, actor=None, action="signin_locked", entity="user", entity_id=name,
                     after={"username": name, "address": address, "until": until}).at = now
        minutes = max(1, int((until - now).total_seconds() // 60) + 1)
        raise SignInLocked(f"Too many failed sign-ins. Try again in {minutes} minute"
                           f"{'s' if minutes != 1 else ''}, or ask an administrator to reset "
                           "your password.", until)
    user = session.exec(select(User).where(User.username == name)).first()
    good = verify_password(user.password_hash if user and user.password_hash else _dummy_hash(),
                           password)
    if user is None or not user.active or not user.password_hash or not good:
        log.warning("failed sign-in for %r", name)
        # Stamped with the clock the lockout was judged by (the same unless a test sets it).
        audit.record(session, actor=None, action="signin_failed", entity="user",
                     entity_id=name, after={"username": name, "address": address}).at = now
        failures = max(len(by_name), len(by_address)) + 1
        sleep(min(cfg.signin_max_delay_seconds, 0.25 * 2 ** (failures - 1)))
        raise AuthenticationFailed("Wrong user name or password.")
    if _hasher.check_needs_rehash(user.password_hash or ""):
        user.password_hash = hash_password(password)
        session.add(user)
    actor = Actor.of(user)
    log.info("sign-in: %s", user.username)
    audit.record(session, actor=actor, action="signin", entity="user", entity_id=str(user.id),
                 after={"address": address} if address else None).at = now
    return actor


def actor_for_email(*, session: Session, email: str) -> Actor | None:
    """Map an OpenID Connect identity (st.login) to a user row; None if not provisioned."""
    user = session.exec(select(User).where(User.email == email.strip().lower())).first()
    if user is None or not user.active:
        log.warning("OIDC sign-in refused for unprovisioned %r", email)
        audit.record(session, actor=None, action="signin_failed", entity="user",
                     entity_id=email[:80], after={"email": email[:200], "via": "oidc"})
        return None
    actor = Actor.of(user)
    audit.record(session, actor=actor, action="signin", entity="user", entity_id=str(user.id),
                 after={"via": "oidc"})
    return actor


def record_signout(*, session: Session, actor: Actor, reason: str = "signout") -> None:
    audit.record(session, actor=actor, action=reason, entity="user", entity_id=str(actor.id))


def add_user(*, session: Session, actor: Actor, username: str, role: str, password: str | None,
             display_name: str = "", email: str | None = None) -> User:
    """Create a user (admin only; SYSTEM for set-up)."""
    require(actor, "users.manage", "user")
    errors: list[RowError] = []
    username = username.strip()
    if not username or len(username) > 80:
        errors.append(RowError("users", None, "username", "User name must be 1–80 characters."))
    if role not in ROLES:
        errors.append(RowError("users", None, "role", f"Role must be one of {', '.join(ROLES)}."))
    if password is not None and len(password) < 10:
        errors.append(RowError("users", None, "password", "Password must be at least 10 characters."))
    if session.exec(select(User).where(User.username == username)).first():
        errors.append(RowError("users", None, "username", f"User {username!r} already exists."))
    if errors:
        raise ValidationFailed(errors)
    user = User(username=username, role=role, display_name=display_name or username,
                email=email.strip().lower() if email else None,
                password_hash=hash_password(password) if password else None)
    session.add(user)
    session.flush()
    audit.record(session, actor=actor, action="create", entity="user", entity_id=str(user.id),
                 after={"username": username, "role": role, "email": user.email})
    return user


def list_users(*, session: Session, actor: Actor) -> list[User]:
    require(actor, "users.manage", "user")
    return list(session.exec(select(User).order_by(User.username)))


def refresh_actor(*, session: Session, actor: Actor) -> Actor | None:
    """The signed-in user as the database has them now: None if deactivated or removed.

    Called on every page run, so a changed role or a deactivation takes effect at the user's
    next click, not at their next sign-in.
    """
    if actor.id is None:
        return actor  # the command line's system actor has no row
    user = session.get(User, actor.id)
    if user is None or not user.active:
        return None
    return Actor.of(user)


def _user(session: Session, username: str) -> User:
    user = session.exec(select(User).where(User.username == username.strip())).first()
    if user is None:
        raise ValidationFailed([RowError("users", None, "username",
                                         f"There is no user {username.strip()!r}.")])
    return user


def _active_admins(session: Session) -> int:
    return int(session.exec(select(func.count()).select_from(User).where(
        User.role == "admin", User.active)).one())


def update_user(*, session: Session, actor: Actor, username: str, role: str | None = None,
                active: bool | None = None, display_name: str | None = None) -> User:
    """Change a user's role, active flag or name (admin only, audited).

    The last active administrator can never be demoted or deactivated: nobody could then
    manage users. A change ends the user's other sessions (their session epoch moves on).
    """
    require(actor, "users.manage", "user")
    user = _user(session, username)
    if role is not None and role not in ROLES:
        raise ValidationFailed([RowError("users", None, "role",
                                         f"Role must be one of {', '.join(ROLES)}.")])
    before = {"role": user.role, "active": user.active, "display_name": user.display_name}
    new_role = user.role if role is None else role
    new_active = user.active if active is None else active
    losing_admin = user.role == "admin" and user.active and (new_role != "admin" or not new_active)
    if losing_admin and _active_admins(session) <= 1:
        raise ValidationFailed([RowError("users", None, "role", (
            f"{user.username} is the last active administrator: make someone else an "
            "administrator first."))])
    user.role, user.active = new_role, new_active
    if display_name is not None:
        user.display_name = display_name.strip()[:200] or user.username
    after = {"role": user.role, "active": user.active, "display_name": user.display_name}
    if after == before:
        return user
    if (user.role, user.active) != (before["role"], before["active"]):
        user.session_epoch += 1
    session.add(user)
    session.flush()
    audit.record(session, actor=actor, action="update", entity="user", entity_id=str(user.id),
                 before={"username": user.username, **before},
                 after={"username": user.username, **after})
    return user


def reset_password(*, session: Session, actor: Actor, username: str, password: str) -> User:
    """Set a new password (admin only, audited without the password); ends the user's
    sessions elsewhere."""
    require(actor, "users.manage", "user")
    user = _user(session, username)
    if len(password) < 10:
        raise ValidationFailed([RowError("users", None, "password",
                                         "Password must be at least 10 characters.")])
    user.password_hash = hash_password(password)
    user.session_epoch += 1
    session.add(user)
    session.flush()
    audit.record(session, actor=actor, action="reset_password", entity="user",
                 entity_id=str(user.id), after={"username": user.username})
    return user
