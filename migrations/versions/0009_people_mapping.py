"""people mapping: each person's outcome per option, ring-fenced pools, notice worked

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 17:40:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('mappingpool',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('structure_id', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['structure_id'], ['structure.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('structure_id', 'name')
    )
    with op.batch_alter_table('mappingpool', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mappingpool_structure_id'), ['structure_id'],
                              unique=False)

    op.create_table('mappingpoolpost',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('pool_id', sa.Integer(), nullable=False),
    sa.Column('post_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['pool_id'], ['mappingpool.id'], ),
    sa.ForeignKeyConstraint(['post_id'], ['post.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('pool_id', 'post_id')
    )
    with op.batch_alter_table('mappingpoolpost', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mappingpoolpost_pool_id'), ['pool_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_mappingpoolpost_post_id'), ['post_id'], unique=False)

    op.create_table('personmapping',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('structure_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('outcome', sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
    sa.Column('post_id', sa.Integer(), nullable=True),
    sa.Column('pool', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=True),
    sa.Column('note', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('duties_match', sa.Integer(), nullable=True),
    sa.Column('on_family_leave', sa.Boolean(), nullable=False),
    sa.Column('lgps_member', sa.Boolean(), nullable=False),
    sa.Column('strain_fund_pence', sa.Integer(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], ),
    sa.ForeignKeyConstraint(['post_id'], ['post.id'], ),
    sa.ForeignKeyConstraint(['structure_id'], ['structure.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('structure_id', 'person_id')
    )
    with op.batch_alter_table('personmapping', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_personmapping_person_id'), ['person_id'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_personmapping_post_id'), ['post_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_personmapping_structure_id'), ['structure_id'],
                              unique=False)

    with op.batch_alter_table('structure', schema=None) as batch_op:
        # Until someone says otherwise, notice is worked (no pay in lieu).
        batch_op.add_column(sa.Column('notice_worked', sa.Boolean(), nullable=False,
                                      server_default=sa.true()))


def downgrade() -> None:
    with op.batch_alter_table('structure', schema=None) as batch_op:
        batch_op.drop_column('notice_worked')
    with op.batch_alter_table('personmapping', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_personmapping_structure_id'))
        batch_op.drop_index(batch_op.f('ix_personmapping_post_id'))
        batch_op.drop_index(batch_op.f('ix_personmapping_person_id'))
    op.drop_table('personmapping')
    with op.batch_alter_table('mappingpoolpost', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mappingpoolpost_post_id'))
        batch_op.drop_index(batch_op.f('ix_mappingpoolpost_pool_id'))
    op.drop_table('mappingpoolpost')
    with op.batch_alter_table('mappingpool', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mappingpool_structure_id'))
    op.drop_table('mappingpool')
