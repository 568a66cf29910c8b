"""the audit log is append-only: triggers refuse update and delete

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 08:20:00

Nothing in the planner updates or deletes an audit event; these triggers make that true for
anyone with a database connection too (a script, a console, a compromised page). The same
statements are attached to the table for databases built with create_all (planner/core/models.py);
they are repeated here, not imported, so this migration stays as it was written.
"""
from collections.abc import Sequence

from alembic import op


revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MESSAGE = "The audit log is append-only: audit events cannot be changed or deleted."


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for verb in ("UPDATE", "DELETE"):
            op.execute(f"CREATE TRIGGER auditevent_no_{verb.lower()} BEFORE {verb} ON auditevent "
                       f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END")
        return
    op.execute("CREATE OR REPLACE FUNCTION planner_audit_append_only() RETURNS trigger "
               f"LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION '{MESSAGE}'; END $$")
    op.execute("CREATE TRIGGER auditevent_append_only BEFORE UPDATE OR DELETE ON auditevent "
               "FOR EACH ROW EXECUTE FUNCTION planner_audit_append_only()")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS auditevent_no_update")
        op.execute("DROP TRIGGER IF EXISTS auditevent_no_delete")
        return
    op.execute("DROP TRIGGER IF EXISTS auditevent_append_only ON auditevent")
    op.execute("DROP FUNCTION IF EXISTS planner_audit_append_only()")
