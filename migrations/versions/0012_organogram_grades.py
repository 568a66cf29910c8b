"""open-data organograms: band grades (a salary band, no spinal points) owned by the
structure whose organogram import added them; where the organogram put each post; grade
names up to 60 characters (published files use "Grade 7 - Information Technology")

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 15:40:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0012'
down_revision: str | None = '0011'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('grade', schema=None) as batch_op:
        batch_op.alter_column('name', existing_type=sqlmodel.sql.sqltypes.AutoString(length=20),
                              type_=sqlmodel.sql.sqltypes.AutoString(length=60),
                              existing_nullable=False)
        batch_op.add_column(sa.Column('structure_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('band_min_pence', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('band_max_pence', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_grade_structure_id'), ['structure_id'],
                              unique=False)
        batch_op.create_foreign_key('fk_grade_structure_id', 'structure', ['structure_id'],
                                    ['id'])
    with op.batch_alter_table('post', schema=None) as batch_op:
        batch_op.alter_column('grade', existing_type=sqlmodel.sql.sqltypes.AutoString(length=20),
                              type_=sqlmodel.sql.sqltypes.AutoString(length=60),
                              existing_nullable=False)
        batch_op.add_column(sa.Column('organogram_level',
                                      sqlmodel.sql.sqltypes.AutoString(length=10),
                                      nullable=False, server_default=''))


def downgrade() -> None:
    with op.batch_alter_table('post', schema=None) as batch_op:
        batch_op.drop_column('organogram_level')
        batch_op.alter_column('grade', existing_type=sqlmodel.sql.sqltypes.AutoString(length=60),
                              type_=sqlmodel.sql.sqltypes.AutoString(length=20),
                              existing_nullable=False)
    with op.batch_alter_table('grade', schema=None) as batch_op:
        batch_op.drop_constraint('fk_grade_structure_id', type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_grade_structure_id'))
        batch_op.drop_column('band_max_pence')
        batch_op.drop_column('band_min_pence')
        batch_op.drop_column('structure_id')
        batch_op.alter_column('name', existing_type=sqlmodel.sql.sqltypes.AutoString(length=60),
                              type_=sqlmodel.sql.sqltypes.AutoString(length=20),
                              existing_nullable=False)
