"""Backup and restore of the whole database, portable between SQLite and PostgreSQL.

Why our own format rather than `sqlite3 .dump` or `pg_dump`: a council moves from one laptop's
SQLite file to a PostgreSQL server (and a tester back again), and neither tool's output loads
into the other. A backup is one zip:

- `manifest.json`: the format, the schema revision (Alembic) it was taken at, when, and each
  table's row count;
- one `<table>.jsonl` per table, a JSON object per row, in primary-key order, with dates and
  times as ISO text, fixed-point numbers (FTE) as decimal text and JSON columns as JSON.

Restore takes the file into a database that holds no data yet (it migrates it to the code's
schema first), in one transaction: every table or none. It is refused for a backup taken at a
schema the code does not know (a newer version of the planner) or at an older one (restore it
with that version, which then upgrades on start-up), and for a database that already has data,
so a restore can never merge two establishments. Rows keep their ids; self-references (a post's
manager and baseline post, an option's source) are written after the rows they point at, and
PostgreSQL's id sequences are moved past the restored ids.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Engine,
    Numeric,
    TypeDecorator,
    bindparam,
    func,
    select,
    text,
    update,
)
from sqlalchemy import Table as SATable
from sqlmodel import SQLModel

import planner.core.models  # noqa: F401  (registers every table on SQLModel.metadata)
from planner.core import audit, memo
from planner.core.auth import Actor
from planner.core.db import is_sqlite, migrate, write_session
from planner.core.errors import PlannerError

FORMAT = "planner-backup/1"
MANIFEST = "manifest.json"


class BackupRefused(PlannerError):
    """A backup file that cannot be restored here, or a database it must not go into."""


@dataclass(frozen=True)
class BackupSummary:
    path: Path
    revision: str
    tables: dict[str, int]

    @property
    def rows(self) -> int:
        return sum(self.tables.values())


def tables() -> list[SATable]:
    """Every table of the schema, parents before children (foreign-key order)."""
    return list(SQLModel.metadata.sorted_tables)


def current_revision(engine: Engine) -> str | None:
    """The Alembic revision the database is at (None if it was never migrated)."""
    with engine.connect() as conn:
        try:
            row = conn.execute(text("SELECT version_num FROM alembic_version")).first()
        except Exception:
            return None
    return row[0] if row else None


def head_revision() -> str:
    """The newest schema revision this code knows."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from planner.core.config import ROOT

    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "migrations"))
    head = ScriptDirectory.from_config(cfg).get_current_head()
    assert head is not None
    return head


def known_revisions() -> set[str]:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from planner.core.config import ROOT

    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "migrations"))
    return {s.revision for s in ScriptDirectory.from_config(cfg).walk_revisions()}


def _encode(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:  # stored as UTC on both backends
            value = value.astimezone(dt.UTC).replace(tzinfo=None)
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value == value.to_integral() else format(value, "f")
    return value


def _decoder(column: Any):  # noqa: ANN202  (returns a one-argument converter)
    kind = column.type
    if isinstance(kind, TypeDecorator):  # sqlmodel's UTCDateTime: times are stored as UTC
        if isinstance(kind.impl, DateTime):
            return lambda v: None if v is None else dt.datetime.fromisoformat(v).replace(
                tzinfo=dt.UTC)
        kind = kind.impl
    if isinstance(kind, DateTime):
        return lambda v: None if v is None else dt.datetime.fromisoformat(v)
    if isinstance(kind, Date):
        return lambda v: None if v is None else dt.date.fromisoformat(v)
    if isinstance(kind, Numeric) and kind.asdecimal:
        return lambda v: None if v is None else Decimal(str(v))
    if isinstance(kind, Boolean):
        return lambda v: None if v is None else bool(v)
    if isinstance(kind, JSON):
        return lambda v: v
    return lambda v: v


def backup(engine: Engine, out: Path, *, actor: Actor | None = None) -> BackupSummary:
    """Write every table to `out` (a .zip), read in one transaction so the copy is consistent.

    The backup itself is audited (who and the row counts), after it is written.
    """
    revision = current_revision(engine)
    if revision is None:
        raise BackupRefused("This database has no schema yet: there is nothing to back up.")
    if revision not in known_revisions():
        raise BackupRefused(f"This database is at schema {revision}, newer than this version of "
                            "the planner knows: back it up with the version that wrote it.")
    counts: dict[str, int] = {}
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".part")
    with engine.connect() as conn, conn.begin(), \
            zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        if not is_sqlite(engine):
            conn.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ"))
        for table in tables():
            order = list(table.primary_key.columns) or list(table.columns)
            n = 0
            with zf.open(f"{table.name}.jsonl", "w") as raw:
                stream = io.TextIOWrapper(raw, encoding="utf-8", newline="\n")
                for row in conn.execute(select(table).order_by(*order)).mappings():
                    stream.write(json.dumps({k: _encode(v) for k, v in row.items()},
                                            ensure_ascii=False, sort_keys=True))
                    stream.write("\n")
                    n += 1
                stream.flush()
                stream.detach()
            counts[table.name] = n
        manifest = {"format": FORMAT, "revision": revision,
                    "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                    "backend": engine.dialect.name, "tables": counts}
        zf.writestr(MANIFEST, json.dumps(manifest, indent=2))
    tmp.replace(out)
    with write_session(engine) as session:
        audit.record(session, actor=actor, action="backup", entity="database",
                     after={"file": out.name, "revision": revision, "rows": sum(counts.values()),
                            "tables": counts})
    return BackupSummary(path=out, revision=revision, tables=counts)


def read_manifest(path: Path) -> dict[str, Any]:
    """The manifest of a backup file, or a refusal saying why the file is not one."""
    try:
        with zipfile.ZipFile(path) as zf:
            manifest = json.loads(zf.read(MANIFEST))
    except (OSError, zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise BackupRefused(f"{Path(path).name} is not a planner backup ({exc}).") from exc
    if manifest.get("format") != FORMAT:
        raise BackupRefused(f"{Path(path).name} is not a planner backup this version reads "
                            f"(format {manifest.get('format')!r}).")
    return manifest


def _has_data(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        return [t.name for t in tables()
                if conn.execute(select(func.count()).select_from(t)).scalar_one()]


def _self_refs(table: SATable) -> list[str]:
    """Columns of `table` that point at `table` itself (written after every row exists)."""
    return [c.name for c in table.columns
            if any(fk.column.table is table for fk in c.foreign_keys)]


def _rows(zf: zipfile.ZipFile, table: SATable) -> Iterable[dict[str, Any]]:
    decode = {c.name: _decoder(c) for c in table.columns}
    with zf.open(f"{table.name}.jsonl") as raw:
        for line in io.TextIOWrapper(raw, encoding="utf-8"):
            if line.strip():
                row = json.loads(line)
                unknown = set(row) - set(decode)
                if unknown:
                    raise BackupRefused(f"Table {table.name} in the backup has columns this "
                                        f"schema does not: {', '.join(sorted(unknown))}.")
                yield {k: decode[k](v) for k, v in row.items()}


def restore(engine: Engine, path: Path, *, actor: Actor | None = None,
            batch: int = 5_000) -> BackupSummary:
    """Load a backup into an empty database of either backend, every table or none."""
    manifest = read_manifest(path)
    revision = str(manifest.get("revision"))
    head = head_revision()
    if revision not in known_revisions():
        raise BackupRefused(f"This backup was taken at schema {revision}, newer than this "
                            f"version of the planner knows ({head}): restore it with a newer "
                            "version.")
    if revision != head:
        raise BackupRefused(f"This backup was taken at schema {revision}, older than this "
                            f"version's {head}: restore it with the version that made it, "
                            "which upgrades the database when this version next starts.")
    migrate(engine)
    filled = _has_data(engine)
    if filled:
        raise BackupRefused("Restore goes into an empty database, and this one already holds "
                            f"data ({', '.join(filled[:5])}{'…' if len(filled) > 5 else ''}). "
                            "Point --db at a new database.")
    counts: dict[str, int] = {}
    with zipfile.ZipFile(path) as zf, write_session(engine) as session:
        conn = session.connection()
        names = set(zf.namelist())
        for table in tables():
            if f"{table.name}.jsonl" not in names:
                raise BackupRefused(f"The backup has no {table.name} table: it is incomplete.")
            later = _self_refs(table)
            pending: list[dict[str, Any]] = []
            links: list[dict[str, Any]] = []
            n = 0
            for row in _rows(zf, table):
                if later and any(row.get(c) is not None for c in later):
                    links.append({"b_id": row["id"], **{f"b_{c}": row.get(c) for c in later}})
                    row = {**row, **{c: None for c in later}}
                pending.append(row)
                n += 1
                if len(pending) >= batch:
                    conn.execute(table.insert(), pending)
                    pending = []
            if pending:
                conn.execute(table.insert(), pending)
            if links:
                stmt = (update(table).where(table.c.id == bindparam("b_id"))
                        .values({c: bindparam(f"b_{c}") for c in later}))
                conn.execute(stmt, links)
            counts[table.name] = n
            expected = manifest.get("tables", {}).get(table.name)
            if expected is not None and expected != n:
                raise BackupRefused(f"Table {table.name}: the manifest says {expected} rows, the "
                                    f"file holds {n}. The backup is damaged; nothing was restored.")
        if not is_sqlite(engine):
            for table in tables():
                if "id" in table.c and table.c.id.autoincrement:
                    conn.execute(text(
                        f"SELECT setval(pg_get_serial_sequence('\"{table.name}\"', 'id'), "
                        f"COALESCE((SELECT MAX(id) FROM \"{table.name}\"), 0) + 1, false)"))
        audit.record(session, actor=actor, action="restore", entity="database",
                     after={"file": Path(path).name, "revision": revision,
                            "rows": sum(counts.values()), "tables": counts,
                            "taken_at": manifest.get("created_at")})
    memo.forget()  # reads kept from whatever was at this address before
    return BackupSummary(path=Path(path), revision=revision, tables=counts)
