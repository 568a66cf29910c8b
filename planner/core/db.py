"""Engine and sessions: SQLite file by default, PostgreSQL through DATABASE_URL.

The engine is a process-wide resource; the UI wraps `get_engine` in st.cache_resource and
tests build their own with `make_engine`.
"""

from __future__ import annotations

import ast
import logging
import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, Table, event, insert
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, create_engine

from planner.core.config import ROOT, get_settings
from planner.core.errors import PermissionDenied

# session.info flag of a session that always rolls back (planner.core.memo may keep its reads)
READ_ONLY = "planner.read_only"

log = logging.getLogger("planner.core.db")

IMMEDIATE = "planner_begin_immediate"


def make_engine(url: str, *, busy_timeout_ms: int | None = None, **kwargs) -> Engine:
    """Build an engine with the house pragmas.

    SQLite: WAL so readers never block the writer, foreign keys on, a busy timeout, and
    `BEGIN IMMEDIATE` for write sessions so concurrent writers queue for the lock up front
    instead of failing with "database is locked" when a read transaction tries to upgrade.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        kwargs.setdefault("pool_pre_ping", True)
        return create_engine(url, **kwargs)

    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    timeout = busy_timeout_ms or get_settings().sqlite_busy_timeout_ms
    connect_args = kwargs.pop("connect_args", {})
    connect_args.setdefault("check_same_thread", False)
    connect_args.setdefault("timeout", timeout / 1000)
    engine = create_engine(url, connect_args=connect_args, **kwargs)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:
        # Take transaction control away from pysqlite so the "begin" hook decides.
        dbapi_connection.isolation_level = None
        cur = dbapi_connection.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={int(timeout)}")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn) -> None:
        if conn.get_execution_options().get(IMMEDIATE):
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            conn.exec_driver_sql("BEGIN")

    return engine


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


_engine: Engine | None = None


def get_engine() -> Engine:
    """The application's engine, migrated to head on first use."""
    global _engine
    if _engine is None:
        _engine = make_engine(get_settings().effective_database_url)
        migrate(_engine)
    return _engine


_REVISION_LINE = re.compile(r"^(revision|down_revision)\s*(?::[^=]*)?=\s*(.+?)\s*$", re.M)


def script_heads() -> set[str] | None:
    """The head revisions of migrations/versions, read from each file's `revision` and
    `down_revision` lines without loading Alembic; None when a file is not that plain."""
    revisions: set[str] = set()
    downs: set[str] = set()
    for path in (ROOT / "migrations" / "versions").glob("*.py"):
        found = dict(m.groups() for m in _REVISION_LINE.finditer(path.read_text("utf-8")))
        try:
            revision = ast.literal_eval(found["revision"])
            down = ast.literal_eval(found["down_revision"])
        except (KeyError, ValueError, SyntaxError):
            return None
        if not isinstance(revision, str):
            return None
        if isinstance(down, str):
            downs.add(down)
        elif isinstance(down, tuple) and all(isinstance(d, str) for d in down):
            downs.update(down)
        elif down is not None:
            return None
        revisions.add(revision)
    return (revisions - downs) or None


def at_head(engine: Engine) -> bool:
    """Whether the database is already at the migrations' head: one small query, where
    Alembic's own no-op upgrade costs a third of a second of every command-line run."""
    heads = script_heads()
    if not heads:
        return False
    try:
        with engine.connect() as conn:
            stamped = {r[0] for r in conn.exec_driver_sql("SELECT version_num FROM alembic_version")}
    except DBAPIError:
        return False
    return stamped == heads


def migrate(engine: Engine) -> None:
    """Apply Alembic migrations up to head (run at start-up); nothing to do at head."""
    if at_head(engine):
        return
    from alembic import command
    from alembic.config import Config

    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "migrations"))
    if not is_sqlite(engine):
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
        return
    # SQLite's batch migrations rebuild a table by copy, drop and rename; with foreign keys
    # enforced the drop of a referenced table fails. The pragma only works outside a
    # transaction, and foreign_key_check proves the data is still consistent afterwards.
    with engine.connect() as conn:
        raw = conn.connection.dbapi_connection  # autocommit: no transaction is open yet
        assert raw is not None
        raw.execute("PRAGMA foreign_keys=OFF")
        try:
            with conn.begin():
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, "head")
                broken = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                if broken:
                    raise RuntimeError(f"migration left broken references: {broken[:5]}")
        finally:
            raw.execute("PRAGMA foreign_keys=ON")


@contextmanager
def write_session(engine: Engine) -> Iterator[Session]:
    """A unit of work that writes: commits on success, rolls back on any error.

    A refused action (PermissionDenied) is recorded in the audit log after the rollback, in a
    transaction of its own, so the refusal is kept while nothing else of the attempt is.
    """
    bound = engine.execution_options(**{IMMEDIATE: True})
    with Session(bound, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except PermissionDenied as exc:
            session.rollback()
            _record_denial(session, exc)
            raise
        except Exception:
            session.rollback()
            raise


@contextmanager
def read_session(engine: Engine) -> Iterator[Session]:
    """A read-only unit of work (deferred transaction, never blocks writers in WAL)."""
    with Session(engine, expire_on_commit=False) as session:
        session.info[READ_ONLY] = True  # planner.core.memo may keep what it reads
        try:
            yield session
        except PermissionDenied as exc:
            session.rollback()
            _record_denial(Session(engine.execution_options(**{IMMEDIATE: True})), exc)
            raise
        finally:
            session.rollback()


def _record_denial(session: Session, exc: PermissionDenied) -> None:
    from planner.core.audit import record_denial

    try:
        record_denial(session, exc)
        session.commit()
    except Exception:  # the refusal itself must still reach the caller
        log.exception("could not record a refused action")
        session.rollback()


def insert_rows(conn: Connection, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """INSERT `rows` (dicts with the same keys) as one executemany at the driver.

    What `conn.execute(insert(table), rows)` writes, without SQLAlchemy building each row's
    parameters on its own (a third of a 50,000-post import's write): each column's values go
    through its type's bind processor (Decimal to float and dates to text on SQLite, as
    SQLAlchemy does) in one pass. A statement that needs more than the given values (a
    Python-side column default) takes SQLAlchemy's own path.
    """
    if not rows:
        return
    keys = list(rows[0])
    compiled = insert(table).compile(dialect=conn.dialect, column_keys=keys)
    if set(compiled.binds) != set(keys):
        conn.execute(insert(table), list(rows))
        return
    names = list(compiled.positiontup or ()) if compiled.positional else keys
    columns = []
    for name in names:
        values = [row[name] for row in rows]
        process = table.c[name].type.dialect_impl(conn.dialect).bind_processor(conn.dialect)
        columns.append(values if process is None else [process(v) for v in values])
    params: list[Any] = list(zip(*columns, strict=True))
    if not compiled.positional:
        params = [dict(zip(names, values, strict=True)) for values in params]
    conn.exec_driver_sql(compiled.string, params)


def driver_rows(conn: Connection, query: Any) -> list[tuple[Any, ...]]:
    """`query`'s rows as the driver gives them, without SQLAlchemy's result processing.

    For large reads taken a column at a time (issue 16: building 43,000 result rows with their
    processors was a fifth of the equality read). The values are the driver's own: a date is
    text ("2026-12-07") on SQLite and a date on PostgreSQL, a boolean 0/1 on SQLite; the
    caller reads them as such."""
    compiled = query.compile(dialect=conn.dialect, compile_kwargs={"render_postcompile": True})
    params = compiled.construct_params()
    args: Any = (tuple(params[k] for k in compiled.positiontup or ())
                 if compiled.positional else params)
    result = conn.exec_driver_sql(compiled.string, args)
    try:  # the driver's own fetchall: one call, not a fetch per row through SQLAlchemy
        return [tuple(r) for r in result.cursor.fetchall()] if result.cursor else []
    finally:
        result.close()
