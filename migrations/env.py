"""Alembic environment: uses the connection handed in by planner.core.db.migrate, else the app URL."""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

import planner.core.models  # noqa: F401  (registers the tables)
from planner.core.config import get_settings
from planner.core.db import make_engine

config = context.config
target_metadata = SQLModel.metadata


def run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,  # SQLite cannot ALTER most things; batch mode rebuilds tables
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    run(connection)
else:
    engine = make_engine(get_settings().effective_database_url)
    with engine.begin() as conn:
        run(conn)
