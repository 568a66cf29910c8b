"""Test wiring: every database test runs on SQLite and, when PLANNER_TEST_DATABASE_URL is set,
on PostgreSQL too (in a schema of its own, dropped at the end, so runs never collide)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from hypothesis import settings as hypothesis_settings
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, SQLModel

import planner.core.models  # noqa: F401
from planner.core import memo
from planner.core.config import get_settings
from planner.core.db import make_engine
from planner.establishment.reference import load_reference_data

SETTINGS = get_settings()
# Property tests check rules, not speed: no per-example deadline on a loaded CI machine.
hypothesis_settings.register_profile("planner", deadline=None)
hypothesis_settings.load_profile("planner")
BACKENDS = ["sqlite"] + (["postgresql"] if SETTINGS.test_database_url else [])


def postgres_unreachable(url: str) -> str | None:
    """The plain sentence to stop on when the test PostgreSQL cannot be used, else None.

    Said once at the start instead of a driver traceback in every PostgreSQL test. The URL is
    shown without its password."""
    where = make_url(url)
    at = f"{where.host or 'localhost'}:{where.port or 5432}"
    engine = make_engine(url, connect_args={"connect_timeout": 5})
    try:
        with engine.connect():
            return None
    except OperationalError as exc:
        if f'database "{where.database}" does not exist' in str(exc):
            return (f"PostgreSQL at {at} has no database {where.database!r}: create it "
                    f"(createdb -h {where.host} -p {where.port or 5432} -U {where.username} "
                    f"{where.database}) or unset PLANNER_TEST_DATABASE_URL")
        return (f"PostgreSQL at {at} is not reachable: start it or unset "
                "PLANNER_TEST_DATABASE_URL")
    finally:
        engine.dispose()


def pytest_sessionstart(session: pytest.Session) -> None:
    """Check the test PostgreSQL once, before any test, and stop with one plain line
    ("ERROR: PostgreSQL at … is not reachable: …", exit status 4) if it cannot be used. Runs
    in the controller: xdist starts its workers after this hook, so `-n 2` stops here too."""
    if SETTINGS.test_database_url and not hasattr(session.config, "workerinput"):
        problem = postgres_unreachable(SETTINGS.test_database_url)
        if problem:
            raise pytest.UsageError(problem)


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """A throwaway schema on the test PostgreSQL; yields a URL whose search_path points at it."""
    base = SETTINGS.test_database_url
    schema = f"planner_test_{uuid.uuid4().hex[:10]}"
    admin = make_engine(base)
    try:
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    except OperationalError:  # it went away after the session-start check
        admin.dispose()
        pytest.exit(postgres_unreachable(base) or "PostgreSQL stopped answering", returncode=3)
    sep = "&" if "?" in base else "?"
    yield f"{base}{sep}options=-csearch_path%3D{schema}"
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture(scope="session")
def _pg_engine(pg_url: str) -> Iterator[Engine]:
    eng = make_engine(pg_url)
    SQLModel.metadata.create_all(eng)
    yield eng
    eng.dispose()


def _truncate(eng: Engine) -> None:
    names = ", ".join(f'"{t.name}"' for t in SQLModel.metadata.sorted_tables)
    with eng.begin() as conn:
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


@pytest.fixture(params=BACKENDS)
def backend(request) -> str:
    return request.param


@pytest.fixture
def database_url(backend: str, tmp_path, request) -> str:
    """A URL for an empty, unmigrated database on the current backend (for CLI/app tests)."""
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'planner.db'}"
    url = request.getfixturevalue("pg_url")
    eng = make_engine(url)
    with eng.begin() as conn:
        for t in reversed(SQLModel.metadata.sorted_tables):
            conn.execute(text(f'DROP TABLE IF EXISTS "{t.name}" CASCADE'))
        conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
    eng.dispose()
    request.addfinalizer(lambda: _reset_pg(url, request))
    return url


def _reset_pg(url: str, request) -> None:
    eng = make_engine(url)
    with eng.begin() as conn:
        for t in reversed(SQLModel.metadata.sorted_tables):
            conn.execute(text(f'DROP TABLE IF EXISTS "{t.name}" CASCADE'))
        conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
    SQLModel.metadata.create_all(eng)
    eng.dispose()


@pytest.fixture(autouse=True)
def _forget_kept_reads() -> Iterator[None]:
    """Nothing read by one test is served to the next (planner.core.memo keys by database URL
    and structure version, and the PostgreSQL tests share one database)."""
    memo.forget()
    yield
    memo.forget()


@pytest.fixture
def engine(backend: str, tmp_path, request) -> Iterator[Engine]:
    """An empty database with the schema, on each backend in turn."""
    if backend == "sqlite":
        eng = make_engine(f"sqlite:///{tmp_path / 'test.db'}")
        SQLModel.metadata.create_all(eng)
        yield eng
        eng.dispose()
    else:
        eng = request.getfixturevalue("_pg_engine")
        _truncate(eng)
        yield eng
        _truncate(eng)


@pytest.fixture
def seeded_engine(engine: Engine) -> Engine:
    """The schema plus the shipped reference data (spine, grades, partners)."""
    with Session(engine) as s:
        load_reference_data(s)
        s.commit()
    return engine


@pytest.fixture
def session(seeded_engine: Engine) -> Iterator[Session]:
    with Session(seeded_engine, expire_on_commit=False) as s:
        yield s
