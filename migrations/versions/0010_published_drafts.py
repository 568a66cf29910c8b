"""published drafts: numbered, immutable, redacted snapshots of an option; union responses

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07 13:20:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('publisheddraft',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('structure_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('published_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('published_by', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('note', sqlmodel.sql.sqltypes.AutoString(length=4000), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('withdrawn_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('withdrawn_by', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('withdrawn_reason', sqlmodel.sql.sqltypes.AutoString(length=2000),
              nullable=False),
    sa.Column('snapshot', sa.JSON(), nullable=False),
    sa.Column('at_risk_key', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['structure_id'], ['structure.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('structure_id', 'number')
    )
    with op.batch_alter_table('publisheddraft', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_publisheddraft_structure_id'), ['structure_id'],
                              unique=False)

    op.create_table('draftresponse',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('draft_id', sa.Integer(), nullable=False),
    sa.Column('author', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('submitted_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('text', sqlmodel.sql.sqltypes.AutoString(length=8000), nullable=False),
    sa.Column('post_ref', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
    sa.Column('team', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('reply', sqlmodel.sql.sqltypes.AutoString(length=8000), nullable=False),
    sa.Column('replied_by', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('replied_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['draft_id'], ['publisheddraft.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('draftresponse', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_draftresponse_draft_id'), ['draft_id'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('draftresponse', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_draftresponse_draft_id'))
    op.drop_table('draftresponse')
    with op.batch_alter_table('publisheddraft', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_publisheddraft_structure_id'))
    op.drop_table('publisheddraft')
