"""AppTest wiring: a real temporary database behind the real app, one signed-in role at a time.

The app reads its database from the settings (PLANNER_DATABASE_URL) and keeps its engine in
planner.core.db and st.cache_resource, so each test points the settings at its own SQLite file and
forgets every cached engine, setting and frame before and after (STYLE.md habit 8).
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import streamlit as st
from sqlalchemy import Engine
from sqlmodel import Session
from streamlit.testing.v1 import AppTest

import planner.core.db
from planner.core.auth import SYSTEM, Actor, add_user
from planner.core.config import get_settings
from planner.core.db import make_engine, migrate, write_session
from planner.establishment.reference import load_reference_data
from planner.ui.session import ACTOR_KEY, LAST_ACTIVITY_KEY
from tests.factories import build_small_establishment

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "app.py"
ROLES = ("manager", "hr", "union", "admin")
PASSWORDS = {role: f"{role}-password-2026" for role in ROLES}
TIMEOUT = 30  # seconds per AppTest run: generous for a loaded CI machine


@dataclass
class AppDB:
    url: str
    engine: Engine
    actors: dict[str, Actor]

    def session(self) -> Session:
        return Session(self.engine, expire_on_commit=False)


@pytest.fixture(autouse=True)
def _fresh_streamlit() -> Iterator[None]:
    """No cached engine, frame or setting leaks from one test (or one database) to the next."""
    st.cache_data.clear()
    st.cache_resource.clear()
    get_settings.cache_clear()
    yield
    st.cache_data.clear()
    st.cache_resource.clear()
    get_settings.cache_clear()


def build_establishment(session: Session) -> int:
    """The six hand-counted posts of tests.factories.build_small_establishment."""
    return build_small_establishment(session)


@pytest.fixture(scope="session")
def _templates(tmp_path_factory: pytest.TempPathFactory) -> dict[bool, tuple[Path, dict]]:
    """Migrated databases with reference data and users, built once and copied per test
    (migrations and password hashing are most of a test's set-up time otherwise)."""
    out: dict[bool, tuple[Path, dict]] = {}
    for establishment in (False, True):
        path = tmp_path_factory.mktemp("app-template") / "app.db"
        engine = make_engine(f"sqlite:///{path}")
        migrate(engine)
        actors: dict[str, Actor] = {}
        with write_session(engine) as session:
            load_reference_data(session)
            for role in ROLES:
                user = add_user(session=session, actor=SYSTEM, username=role, role=role,
                                password=PASSWORDS[role], display_name=f"Test {role}",
                                email=f"{role}@council.example")
                actors[role] = Actor.of(user)
            if establishment:
                build_establishment(session)
            # The cookie-signing key exists after an app's first run; made here so a test's
            # first page run writes no audit event of its own (tests count and read them).
            from planner.core.sessions import signing_key

            signing_key(session)
        engine.dispose()  # last connection closed: the WAL is checkpointed into the file
        out[establishment] = (path, actors)
    return out


def _database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, template: tuple[Path, dict]
              ) -> AppDB:
    source, actors = template
    path = tmp_path / "app.db"
    shutil.copyfile(source, path)
    url = f"sqlite:///{path}"
    monkeypatch.setenv("PLANNER_DATABASE_URL", url)
    get_settings.cache_clear()
    engine = make_engine(url)
    # planner.core.db keeps one engine per process; hand it this test's (already migrated) one.
    # The app still finds it through the settings: session._engine_for rebuilds the engine
    # if the URLs differ, and the test would then see none of its data.
    monkeypatch.setattr(planner.core.db, "_engine", engine)
    return AppDB(url=url, engine=engine, actors=dict(actors))


@pytest.fixture
def app_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, _templates) -> Iterator[AppDB]:
    """Reference data, one user per role (password `<role>-password-2026`), six posts."""
    db = _database(tmp_path, monkeypatch, _templates[True])
    yield db
    db.engine.dispose()


@pytest.fixture
def empty_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, _templates) -> Iterator[AppDB]:
    """Reference data and users, but no establishment yet (the first-run state)."""
    db = _database(tmp_path, monkeypatch, _templates[False])
    yield db
    db.engine.dispose()


def app_as(actor: Actor | None, page: str | None = None) -> AppTest:
    """The real app.py, run once with `actor` signed in (and switched to `page` if given)."""
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    if actor is not None:
        at.session_state[ACTOR_KEY] = actor
        at.session_state[LAST_ACTIVITY_KEY] = time.time()
    at.run()
    if page is not None:
        at.switch_page(page).run()
    return at


def page_alone(path: str, actor: Actor | None) -> AppTest:
    """One page file run as the main script, as if its URL were opened directly."""
    at = AppTest.from_file(ROOT / path, default_timeout=TIMEOUT)
    if actor is not None:
        at.session_state[ACTOR_KEY] = actor
        at.session_state[LAST_ACTIVITY_KEY] = time.time()
    return at.run()


def texts(elements) -> list[str]:
    return [str(e.value) for e in elements]


def all_text(at: AppTest) -> str:
    """Every piece of text the run showed, for 'is this message somewhere on the page'."""
    parts: list[str] = []
    for kind in ("title", "header", "subheader", "markdown", "caption", "error", "warning",
                 "info", "success"):
        parts += texts(getattr(at, kind))
    return "\n".join(parts)


@pytest.fixture(scope="session")
def _demo_template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    """The shipped demo (establishment, option, cohorts, users), loaded once and copied per
    test: what a new user sees after `make run`."""
    from planner.cli.demo import load_demo

    path = tmp_path_factory.mktemp("demo-template") / "app.db"
    engine = make_engine(f"sqlite:///{path}")
    load_demo(engine)
    with Session(engine) as session:
        from sqlmodel import select

        from planner.core.models import User

        actors = {u.role: Actor.of(u) for u in session.exec(select(User)).all()
                  if u.username in ROLES}
    engine.dispose()
    return path, actors


@pytest.fixture
def demo_app_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, _demo_template
                ) -> Iterator[AppDB]:
    """The demo loaded, one demo user per role (Marcus Obi is the manager)."""
    db = _database(tmp_path, monkeypatch, _demo_template)
    yield db
    db.engine.dispose()
