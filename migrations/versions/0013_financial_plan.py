"""the medium-term financial plan (issue 15): a plan's assumptions, years, targets, one-off
sums and implementation dates

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 15:45:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0013'
down_revision: str | None = '0012'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_CHILDREN = ('planyear', 'plantarget', 'planoneoff', 'plandate')


def upgrade() -> None:
    op.create_table('financialplan',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('structure_id', sa.Integer(), nullable=False),
    sa.Column('first_year', sqlmodel.sql.sqltypes.AutoString(length=7), nullable=False),
    sa.Column('years', sa.Integer(), nullable=False),
    sa.Column('increments', sa.Boolean(), nullable=False),
    sa.Column('vacancy_factor_bp', sa.Integer(), nullable=False),
    sa.Column('effective_on', sa.Date(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('updated_by', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.ForeignKeyConstraint(['structure_id'], ['structure.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('structure_id')
    )
    op.create_table('planyear',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('year_index', sa.Integer(), nullable=False),
    sa.Column('award_bp', sa.Integer(), nullable=False),
    sa.Column('award_flat_pence', sa.Integer(), nullable=False),
    sa.Column('flat_to_scp', sa.Integer(), nullable=True),
    sa.Column('ni_rate_bp', sa.Integer(), nullable=True),
    sa.Column('ni_threshold_pence', sa.Integer(), nullable=True),
    sa.Column('pension_rate_bp', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['plan_id'], ['financialplan.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('plan_id', 'year_index')
    )
    op.create_table('plantarget',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('partner_id', sa.Integer(), nullable=False),
    sa.Column('year_index', sa.Integer(), nullable=False),
    sa.Column('target_pence', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['partner_id'], ['partner.id'], ),
    sa.ForeignKeyConstraint(['plan_id'], ['financialplan.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('plan_id', 'partner_id', 'year_index')
    )
    op.create_table('planoneoff',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('partner_id', sa.Integer(), nullable=False),
    sa.Column('amount_pence', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['partner_id'], ['partner.id'], ),
    sa.ForeignKeyConstraint(['plan_id'], ['financialplan.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('plan_id', 'partner_id')
    )
    op.create_table('plandate',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('scope', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('effective_on', sa.Date(), nullable=False),
    sa.ForeignKeyConstraint(['plan_id'], ['financialplan.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('plan_id', 'scope', 'key')
    )
    for table in _CHILDREN:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_index(batch_op.f(f'ix_{table}_plan_id'), ['plan_id'], unique=False)


def downgrade() -> None:
    for table in reversed(_CHILDREN):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(batch_op.f(f'ix_{table}_plan_id'))
        op.drop_table(table)
    op.drop_table('financialplan')
