"""Backup and restore: the whole database, portable between SQLite and PostgreSQL, refused
where it would lose or merge data; and the audit log that the database keeps append-only."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import Engine, select, text
from sqlalchemy.exc import DatabaseError
from sqlmodel import Session
from sqlmodel import select as orm_select

from planner.cli import demo
from planner.cli.main import main as cli
from planner.core import backup
from planner.core.db import make_engine, migrate, write_session
from planner.core.models import AuditEvent, ConsultationPlan, Structure
from planner.structures.options import resolve_structure


def _populate(engine: Engine) -> None:
    """The demo (establishment, option, equality answers, cohorts, users, audit) plus an
    hr consultation plan, so every kind of record is in the copy."""
    demo.load_demo(engine)
    with write_session(engine) as s:
        option = resolve_structure(s, demo.DEMO_OPTION_NAME)
        if s.exec(orm_select(ConsultationPlan).where(
                ConsultationPlan.structure_id == option.id)).first() is None:
            s.add(ConsultationPlan(structure_id=option.id, reasons="Single service desk — “why”"))


def _dump(engine: Engine) -> dict[str, list[dict]]:
    """Every table's rows in key order, values normalised as the backup writes them."""
    out = {}
    with engine.connect() as conn:
        for table in backup.tables():
            order = list(table.primary_key.columns)
            out[table.name] = [{k: backup._encode(v) for k, v in row.items()}
                               for row in conn.execute(select(table).order_by(*order)).mappings()]
    return out


def _without_backup_events(dump: dict[str, list[dict]]) -> dict[str, list[dict]]:
    """The backup and restore write their own audit events after the copy; compare the rest."""
    rows = [r for r in dump["auditevent"] if r["action"] not in ("backup", "restore")]
    return {**dump, "auditevent": rows}


def test_backup_restore_round_trip_across_backends(backend, database_url, tmp_path: Path):
    """Catches: a table left out of the backup, a type that changes on the way (dates, times,
    FTE decimals, JSON, booleans), self-references written before their target, or a
    PostgreSQL sequence left behind the restored ids (the next insert would collide).
    SQLite → (PostgreSQL when configured, else SQLite) → SQLite."""
    first = make_engine(f"sqlite:///{tmp_path / 'first.db'}")
    _populate(first)
    original = _dump(first)
    assert all(original[t] for t in ("post", "person", "occupancy", "structure", "user",
                                     "auditevent", "equalityrecord", "tupecohort",
                                     "consultationplan", "partner", "payspinepoint"))

    one = backup.backup(first, tmp_path / "one.zip")
    middle = make_engine(database_url)  # PostgreSQL on the postgresql run
    restored = backup.restore(middle, tmp_path / "one.zip")
    assert restored.tables == one.tables
    assert _without_backup_events(_dump(middle)) == _without_backup_events(original)

    backup.backup(middle, tmp_path / "two.zip")
    last = make_engine(f"sqlite:///{tmp_path / 'last.db'}")
    backup.restore(last, tmp_path / "two.zip")
    assert _without_backup_events(_dump(last)) == _without_backup_events(original)

    # The restored database takes new rows after the restored ids (sequences moved on).
    with write_session(middle) as s:
        s.add(Structure(name="After the restore", kind="option", status="draft"))
    with Session(middle) as s:
        assert s.exec(orm_select(Structure).where(Structure.name == "After the restore")).one().id \
            > max(r["id"] for r in original["structure"])
    for eng in (first, middle, last):
        eng.dispose()


def test_restore_is_refused_into_a_database_with_data(tmp_path: Path):
    src = make_engine(f"sqlite:///{tmp_path / 'src.db'}")
    _populate(src)
    backup.backup(src, tmp_path / "b.zip")
    with pytest.raises(backup.BackupRefused, match="empty database"):
        backup.restore(src, tmp_path / "b.zip")
    src.dispose()


def _rewrite(src: Path, dst: Path, *, manifest: dict | None = None,
             drop: str | None = None, table: tuple[str, str] | None = None) -> None:
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        for name in zin.namelist():
            if name == drop:
                continue
            data = zin.read(name)
            if name == "manifest.json" and manifest is not None:
                data = json.dumps({**json.loads(data), **manifest}).encode()
            if table and name == table[0]:
                data = table[1].encode()
            zout.writestr(name, data)


@pytest.mark.parametrize(("change", "message"), [
    ({"manifest": {"revision": "9999"}}, "newer than this version"),
    ({"manifest": {"revision": "0006"}}, "older than this version"),
    ({"manifest": {"format": "something-else/1"}}, "not a planner backup"),
    ({"drop": "post.jsonl"}, "no post table"),
    ({"table": ("grade.jsonl", "")}, "manifest says"),
])
def test_a_backup_that_cannot_be_restored_changes_nothing(tmp_path: Path, change, message):
    """Catches: a backup from a newer schema restored into an older one, a truncated or
    foreign file half-loaded."""
    src = make_engine(f"sqlite:///{tmp_path / 'src.db'}")
    _populate(src)
    backup.backup(src, tmp_path / "b.zip")
    _rewrite(tmp_path / "b.zip", tmp_path / "bad.zip", **change)
    target = make_engine(f"sqlite:///{tmp_path / 'target.db'}")
    with pytest.raises(backup.BackupRefused, match=message):
        backup.restore(target, tmp_path / "bad.zip")
    if backup.current_revision(target):
        assert backup._has_data(target) == []
    src.dispose()
    target.dispose()


def test_not_a_zip_is_refused(tmp_path: Path):
    (tmp_path / "x.zip").write_bytes(b"posts,people\n")
    with pytest.raises(backup.BackupRefused, match="not a planner backup"):
        backup.read_manifest(tmp_path / "x.zip")


def test_cli_backup_and_restore(tmp_path: Path, capsys):
    """The commands the README gives, with their JSON."""
    src, dst = f"sqlite:///{tmp_path / 'a.db'}", f"sqlite:///{tmp_path / 'b.db'}"
    assert cli(["load-demo", "--db", src]) == 0
    capsys.readouterr()
    assert cli(["backup", str(tmp_path / "a.zip"), "--db", src, "--json"]) == 0
    done = json.loads(capsys.readouterr().out)
    assert done["ok"] and done["backed_up"]["tables"]["post"] == 170  # 94 baseline + 76 option
    assert cli(["restore", str(tmp_path / "a.zip"), "--db", dst, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["restored"]["rows"] == done["backed_up"]["rows"]
    assert cli(["restore", str(tmp_path / "a.zip"), "--db", dst, "--json"]) == 2
    assert "empty database" in json.loads(capsys.readouterr().out)["message"]


@pytest.mark.parametrize("statement", ["UPDATE auditevent SET action = 'x'",
                                       "DELETE FROM auditevent"])
def test_the_audit_log_is_append_only_at_database_level(engine, statement):
    """Catches: an audit row changed or deleted by anyone with a connection (create_all
    databases, as the tests and benchmarks build them)."""
    with Session(engine) as s:
        s.add(AuditEvent(username="hr", action="update", entity="post", entity_id="1"))
        s.commit()
    with pytest.raises(DatabaseError, match="append-only"), engine.begin() as conn:
        conn.execute(text(statement))
    with Session(engine) as s:
        assert [e.action for e in s.exec(orm_select(AuditEvent))] == ["update"]


def test_migrated_databases_have_the_audit_triggers_too(database_url):
    eng = make_engine(database_url)
    migrate(eng)
    with eng.begin() as conn:
        conn.execute(text("INSERT INTO auditevent (at, username, action, entity, entity_id) "
                          "VALUES (CURRENT_TIMESTAMP, 'hr', 'update', 'post', '1')"))
    with pytest.raises(DatabaseError, match="append-only"), eng.begin() as conn:
        conn.execute(text("DELETE FROM auditevent"))
    eng.dispose()
