"""past_enrolment and past_class: a child's earlier spans at other schools and earlier classes,
so a transfer (转学) or a class change (转班) keeps the old school's and the old class's history

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('past_enrolment',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('child', sa.String(length=64), nullable=False),
    sa.Column('school', sa.String(length=32), nullable=False),
    sa.Column('class_name', sa.String(length=64), nullable=True),
    sa.Column('start', sa.Date(), nullable=False),
    sa.Column('end', sa.Date(), nullable=False),
    sa.CheckConstraint('"end" > start', name=op.f('ck_past_enrolment_span')),
    sa.ForeignKeyConstraint(['child'], ['child.id'], name=op.f('fk_past_enrolment_child')),
    sa.ForeignKeyConstraint(['school'], ['org_unit.code'], name=op.f('fk_past_enrolment_school')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_past_enrolment'))
    )
    with op.batch_alter_table('past_enrolment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_past_enrolment_child'), ['child'], unique=False)
        batch_op.create_index(batch_op.f('ix_past_enrolment_school'), ['school'], unique=False)
    op.create_table('past_class',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('child', sa.String(length=64), nullable=False),
    sa.Column('school', sa.String(length=32), nullable=False),
    sa.Column('class_name', sa.String(length=64), nullable=False),
    sa.Column('start', sa.Date(), nullable=False),
    sa.Column('end', sa.Date(), nullable=False),
    sa.CheckConstraint('"end" > start', name=op.f('ck_past_class_span')),
    sa.ForeignKeyConstraint(['child'], ['child.id'], name=op.f('fk_past_class_child')),
    sa.ForeignKeyConstraint(['school'], ['org_unit.code'], name=op.f('fk_past_class_school')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_past_class'))
    )
    with op.batch_alter_table('past_class', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_past_class_child'), ['child'], unique=False)
        batch_op.create_index(batch_op.f('ix_past_class_school'), ['school'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('past_class', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_past_class_school'))
        batch_op.drop_index(batch_op.f('ix_past_class_child'))
    op.drop_table('past_class')
    with op.batch_alter_table('past_enrolment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_past_enrolment_school'))
        batch_op.drop_index(batch_op.f('ix_past_enrolment_child'))
    op.drop_table('past_enrolment')
