"""Users, roles, passwords and the permission table.

Permissions are enforced here, in the domain, whatever the UI shows (DESIGN.md: "Permissions
are enforced in planner/, not by hiding buttons").
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlmodel import Session, select

from planner import audit
from planner.errors import PermissionDenied, PlannerError, RowError, ValidationFailed
from planner.models import ROLES, User

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
    # Consultation plans and stages: a union rep reads them for published options only (the
    # services check the option's status); the people at risk also need personal.read.
    "consultation.read": frozenset({"manager", "hr", "union", "admin"}),
    "consultation.edit": frozenset({"hr"}),
    # Equality (special-category data, UK GDPR art. 9): everyone with a role reads suppressed
    # aggregates (a union rep for published options only); only hr and admin see unsuppressed
    # figures or a person's answers; only hr changes them or the checkpoints.
    "equality.read": frozenset({"manager", "hr", "union", "admin"}),
    "equality.personal": frozenset({"hr", "admin"}),
    "equality.edit": frozenset({"hr"}),
    "equality.assess": frozenset({"hr"}),
}


class AuthenticationFailed(PlannerError):
    """Wrong user name or password (deliberately not saying which)."""


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


def authenticate(*, session: Session, username: str, password: str) -> Actor:
    """Check a password sign-in; every attempt is written to the audit log."""
    user = session.exec(select(User).where(User.username == username.strip())).first()
    if user is None or not user.active or not verify_password(user.password_hash, password):
        log.warning("failed sign-in for %r", username)
        audit.record(session, actor=None, action="signin_failed", entity="user",
                     entity_id=username.strip()[:80], after={"username": username.strip()[:80]})
        raise AuthenticationFailed("Wrong user name or password.")
    if _hasher.check_needs_rehash(user.password_hash or ""):
        user.password_hash = hash_password(password)
        session.add(user)
    actor = Actor.of(user)
    log.info("sign-in: %s", user.username)
    audit.record(session, actor=actor, action="signin", entity="user", entity_id=str(user.id))
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
