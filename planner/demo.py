"""First-run set-up: reference data, the synthetic demo establishment and the demo users."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine
from sqlmodel import select

from planner.auth import SYSTEM, add_user
from planner.config import DATA_DIR
from planner.db import migrate, write_session
from planner.models import Post, Structure, User
from planner.reference import load_reference_data

DEMO_DIR = DATA_DIR / "demo"
DEMO_ENVELOPE_PENCE = 7_000_000_00  # £7.0m a year for the synthetic service

# For the demo only: documented in the README with that warning.
DEMO_USERS: tuple[tuple[str, str, str, str], ...] = (
    ("hr", "hr", "Harriet Rowe (HR business partner)", "demo-hr-2026"),
    ("manager", "manager", "Marcus Obi (Head of Infrastructure)", "demo-manager-2026"),
    ("union", "union", "Uma Patel (UNISON branch rep)", "demo-union-2026"),
    ("admin", "admin", "Ade Morgan (system administrator)", "demo-admin-2026"),
)


@dataclass(frozen=True)
class SetupReport:
    reference: dict[str, int]
    demo_loaded: bool
    users_created: int


def init_database(engine: Engine) -> dict[str, int]:
    """Migrate to head and load the shipped reference data if the tables are empty."""
    migrate(engine)
    with write_session(engine) as session:
        return load_reference_data(session)


def load_demo(engine: Engine, *, force: bool = False) -> SetupReport:
    """Load the demo establishment and users unless an establishment already exists."""
    from planner.importer import import_establishment

    reference = init_database(engine)
    with write_session(engine) as session:
        has_posts = session.exec(select(Post.id).limit(1)).first() is not None
        loaded = False
        if force or not has_posts:
            files = [(p.name, p.read_bytes()) for p in sorted(DEMO_DIR.glob("*.csv"))]
            summary = import_establishment(session=session, actor=SYSTEM, files=files)
            baseline = session.get(Structure, summary.structure_id)
            if baseline is not None and baseline.envelope_pence is None:
                # The partners' agreed budget for the year, shared as in data/partners.csv.
                baseline.envelope_pence = DEMO_ENVELOPE_PENCE
                baseline.envelope_months = 12
                session.add(baseline)
            loaded = True
        created = 0
        for username, role, display, password in DEMO_USERS:
            if session.exec(select(User).where(User.username == username)).first() is None:
                add_user(session=session, actor=SYSTEM, username=username, role=role,
                         password=password, display_name=display)
                created += 1
    return SetupReport(reference=reference, demo_loaded=loaded, users_created=created)
