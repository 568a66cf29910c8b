"""published drafts keep what their equality figures were computed on (management's)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 16:10:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0011'
down_revision: str | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('publisheddraft') as batch:
        batch.add_column(sa.Column('equality_basis', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('publisheddraft') as batch:
        batch.drop_column('equality_basis')
