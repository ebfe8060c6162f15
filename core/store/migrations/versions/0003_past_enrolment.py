"""past_enrolment, past_class, past_staff and staff.joined_on: earlier spans of children at other
schools, their earlier classes and staff's earlier schools, so a transfer (转学, 调动) or a class
change (转班) keeps the old school's and the old class's history

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
    with op.batch_alter_table('staff', schema=None) as batch_op:
        batch_op.add_column(sa.Column('joined_on', sa.Date(), nullable=True))
    op.create_table('past_staff',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('staff', sa.String(length=64), nullable=False),
    sa.Column('school', sa.String(length=32), nullable=False),
    sa.Column('head_of_class', sa.String(length=64), nullable=True),
    sa.Column('start', sa.Date(), nullable=True),
    sa.Column('end', sa.Date(), nullable=False),
    sa.CheckConstraint('start IS NULL OR "end" > start', name=op.f('ck_past_staff_span')),
    sa.ForeignKeyConstraint(['school'], ['org_unit.code'], name=op.f('fk_past_staff_school')),
    sa.ForeignKeyConstraint(['staff'], ['staff.id'], name=op.f('fk_past_staff_staff')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_past_staff'))
    )
    with op.batch_alter_table('past_staff', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_past_staff_school'), ['school'], unique=False)
        batch_op.create_index(batch_op.f('ix_past_staff_staff'), ['staff'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('past_staff', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_past_staff_staff'))
        batch_op.drop_index(batch_op.f('ix_past_staff_school'))
    op.drop_table('past_staff')
    with op.batch_alter_table('staff', schema=None) as batch_op:
        batch_op.drop_column('joined_on')
    with op.batch_alter_table('past_class', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_past_class_school'))
        batch_op.drop_index(batch_op.f('ix_past_class_child'))
    op.drop_table('past_class')
    with op.batch_alter_table('past_enrolment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_past_enrolment_school'))
        batch_op.drop_index(batch_op.f('ix_past_enrolment_child'))
    op.drop_table('past_enrolment')
