"""Engine, sessions and migrations."""

from __future__ import annotations

import multiprocessing as mp

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, inspect, text
from sqlmodel import Session, SQLModel, select

from planner.core.config import Settings, normalise_url
from planner.core.db import make_engine, migrate, read_session, write_session
from planner.core.errors import PermissionDenied
from planner.core.models import AuditEvent, Partner
from tests.factories import make_actors


def test_migrations_and_models_do_not_drift(database_url):
    """Catches a model change shipped without its Alembic migration (or the reverse)."""
    engine = make_engine(database_url)
    migrate(engine)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}),
                                SQLModel.metadata)
    engine.dispose()
    assert diff == []


def test_migrate_is_idempotent(database_url):
    engine = make_engine(database_url)
    migrate(engine)
    migrate(engine)
    assert "post" in inspect(engine).get_table_names()
    engine.dispose()


def test_sqlite_pragmas(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'p.db'}", busy_timeout_ms=1234)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 1234
    engine.dispose()


def test_foreign_keys_enforced(engine):
    from sqlalchemy.exc import IntegrityError

    from planner.core.models import Post

    with pytest.raises(IntegrityError), Session(engine) as s:
        s.add(Post(structure_id=999, post_ref="X", title="T", grade="PO1"))
        s.commit()


def test_write_session_rolls_back_on_error(seeded_engine):
    with pytest.raises(RuntimeError), write_session(seeded_engine) as s:
        s.add(Partner(name="Croydon"))
        s.flush()
        raise RuntimeError("boom")
    with read_session(seeded_engine) as s:
        assert s.exec(select(Partner).where(Partner.name == "Croydon")).first() is None


def test_refusal_is_audited_after_rollback(seeded_engine):
    """A refused action leaves nothing of the attempt but the record of the refusal."""
    from planner.core.auth import require

    with Session(seeded_engine) as s:
        actors = make_actors(s)
    with pytest.raises(PermissionDenied), write_session(seeded_engine) as s:
        s.add(Partner(name="Croydon"))
        s.flush()
        require(actors["union"], "establishment.import", "structure")
    with read_session(seeded_engine) as s:
        assert s.exec(select(Partner).where(Partner.name == "Croydon")).first() is None
        denial = s.exec(select(AuditEvent).where(AuditEvent.action == "denied")).one()
        assert denial.username == "union-user"
        assert denial.after["action"] == "establishment.import"


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgres://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgresql://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgresql+psycopg://u@h/db", "postgresql+psycopg://u@h/db"),
        ("sqlite:///x.db", "sqlite:///x.db"),
    ],
)
def test_normalise_url(given, expected):
    assert normalise_url(given) == expected


def test_database_url_alias(monkeypatch, tmp_path):
    monkeypatch.delenv("PLANNER_DATABASE_URL", raising=False)
    monkeypatch.setenv("DATABASE_URL", "postgres://u@h/db")
    assert Settings().effective_database_url == "postgresql+psycopg://u@h/db"
    monkeypatch.delenv("DATABASE_URL")
    s = Settings(var_dir=tmp_path)
    assert s.effective_database_url == f"sqlite:///{tmp_path / 'planner.db'}"


def _writer(url: str, worker: int, n: int, queue) -> None:
    """Read-then-write transactions: the pattern that fails with 'database is locked' under
    deferred transactions when several processes write at once."""
    engine = make_engine(url, busy_timeout_ms=30_000)
    errors = 0
    for i in range(n):
        try:
            with write_session(engine) as s:
                count = s.exec(select(func.count()).select_from(AuditEvent)).one()
                s.add(AuditEvent(action="test", entity="worker", entity_id=f"{worker}-{i}",
                                 after={"seen": count}))
        except Exception:
            errors += 1
    engine.dispose()
    queue.put(errors)


def test_concurrent_writers_queue_instead_of_failing(tmp_path):
    url = f"sqlite:///{tmp_path / 'c.db'}"
    engine = make_engine(url)
    SQLModel.metadata.create_all(engine)
    engine.dispose()
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    workers, per = 4, 40
    procs = [ctx.Process(target=_writer, args=(url, w, per, queue)) for w in range(workers)]
    for p in procs:
        p.start()
    # Generous waits: on a loaded machine (the browser tests beside this one) four spawned
    # interpreters take a while to start; a hung writer still fails the test.
    errors = [queue.get(timeout=300) for _ in procs]
    for p in procs:
        p.join(60)
    assert errors == [0] * workers
    engine = make_engine(url)
    with engine.connect() as conn:
        total = conn.execute(text("SELECT count(*) FROM auditevent")).scalar()
        seen = [r[0] for r in conn.execute(text("SELECT entity_id FROM auditevent"))]
    engine.dispose()
    assert total == workers * per
    assert len(set(seen)) == workers * per


def test_upgrade_of_a_populated_sqlite_database_keeps_foreign_keys(tmp_path):
    """Batch migrations rebuild referenced tables; the data must survive and FKs come back on."""
    from alembic import command
    from alembic.config import Config
    from sqlalchemy import text

    from planner.core.config import ROOT
    from planner.core.db import make_engine, migrate

    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "migrations"))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0001")
        conn.execute(text("INSERT INTO structure (name, kind, status, description, version, "
                          "created_at) VALUES ('Current', 'baseline', 'current', '', 1, "
                          "'2026-01-01')"))
        conn.execute(text("INSERT INTO post (structure_id, post_ref, title, division, team, "
                          "grade, fte, funding, notes, version) VALUES (1, 'P1', 'Head', '', "
                          "'', 'SM2', 1, 'base', '', 1)"))
    migrate(engine)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT envelope_months FROM structure")).scalar() == 12
        assert conn.execute(text("SELECT count(*) FROM post")).scalar() == 1
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    engine.dispose()


def test_insert_rows_writes_what_sqlalchemy_writes(engine):
    """insert_rows (the driver's executemany) against conn.execute(insert(...)): the same
    values of the same types, dates and NULLs included (issue 16)."""
    import datetime as dt

    from sqlalchemy import insert

    from planner.core.db import insert_rows
    from planner.core.models import Person

    t = Person.__table__

    def rows(prefix: str) -> list[dict]:
        return [{"employee_ref": f"{prefix}{i}", "name": f"Name {i}", "contract": "permanent",
                 "scp": i if i % 3 else None, "annual_salary_pence": 2_500_050 + i,
                 "day_rate_pence": None, "start_date": dt.date(2000 + i % 20, 1 + i % 12, 1),
                 "continuous_service_date": None if i % 2 else dt.date(1999, 12, 31),
                 "date_of_birth": dt.date(1970, 2, 28), "origin": "Brent" if i % 4 else "",
                 "tupe_transfer_date": None} for i in range(50)]

    columns = [c for c in t.c if c.name not in ("id", "employee_ref")]
    shown = [*(f"typeof({c.name})" for c in columns)] if engine.dialect.name == "sqlite" else []
    with engine.begin() as conn:
        conn.execute(insert(t), rows("A"))
        insert_rows(conn, t, rows("B"))
        insert_rows(conn, t, [])

        def read(prefix: str) -> list:
            q = text(f"SELECT {', '.join([c.name for c in columns] + shown)} FROM person "
                     f"WHERE employee_ref LIKE '{prefix}%' ORDER BY id")
            return [tuple(r) for r in conn.execute(q)]

        assert read("B") == read("A") and len(read("A")) == 50


def test_script_heads_are_alembics_heads():
    """The quick reading of migrations/versions agrees with Alembic's own (issue 16)."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from planner.core.config import ROOT
    from planner.core.db import script_heads

    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "migrations"))
    assert script_heads() == set(ScriptDirectory.from_config(cfg).get_heads())


def test_migrate_at_head_does_not_run_alembic(database_url, monkeypatch):
    from alembic import command

    from planner.core.db import at_head

    engine = make_engine(database_url)
    try:
        assert not at_head(engine)
        migrate(engine)
        assert at_head(engine)

        def refuse(*args, **kwargs):
            raise AssertionError("alembic ran at head")

        monkeypatch.setattr(command, "upgrade", refuse)
        migrate(engine)
        with engine.begin() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = '0012'"))
        assert not at_head(engine)
        with pytest.raises(AssertionError, match="alembic ran"):
            migrate(engine)
    finally:
        engine.dispose()


def test_driver_rows_are_the_rows_sqlalchemy_gives_before_its_processing(seeded_engine):
    """Catches: a large read taken at the driver (issue 16) losing a row, a bound parameter
    (an IN list is expanded at execution) or a column's order."""
    from sqlalchemy import select as sa_select

    from planner.core.db import driver_rows, read_session, write_session
    from planner.core.models import Post
    from tests.factories import build_small_establishment

    with write_session(seeded_engine) as s:
        sid = build_small_establishment(s)
    p = Post.__table__
    q = (sa_select(p.c.id, p.c.post_ref, p.c.grade).where(
        p.c.structure_id == sid, p.c.grade.in_(["PO1", "PO3", "SM1"])).order_by(p.c.id))
    with read_session(seeded_engine) as s:
        expected = [tuple(r) for r in s.connection().execute(q)]
        assert expected and driver_rows(s.connection(), q) == expected
