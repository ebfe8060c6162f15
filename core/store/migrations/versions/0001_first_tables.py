"""first tables: org units, classes, staff, children, pairings, records, programme versions, audit log

Revision ID: 0001
Revises: (none)
Create Date: 2026-11-22 06:46:08.021095
"""

import sqlalchemy as sa
from alembic import op

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('audit_log',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('actor', sa.String(length=100), nullable=False),
    sa.Column('action', sa.String(length=16), nullable=False),
    sa.Column('table_name', sa.String(length=32), nullable=False),
    sa.Column('row_key', sa.String(length=200), nullable=False),
    sa.Column('before', sa.JSON(), nullable=True),
    sa.Column('after', sa.JSON(), nullable=True),
    sa.Column('source', sa.String(length=300), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_log'))
    )
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_log_table_name_row_key'), ['table_name', 'row_key'], unique=False)

    op.create_table('org_unit',
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('parent', sa.String(length=32), nullable=True),
    sa.CheckConstraint("kind IN ('county', 'township', 'school')", name=op.f('ck_org_unit_kind')),
    sa.ForeignKeyConstraint(['parent'], ['org_unit.code'], name=op.f('fk_org_unit_parent')),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_org_unit'))
    )
    with op.batch_alter_table('org_unit', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_org_unit_parent'), ['parent'], unique=False)

    op.create_table('programme_version',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('programme', sa.String(length=64), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('timezone', sa.String(length=64), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('files', sa.JSON(), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('published_at', sa.DateTime(), nullable=False),
    sa.Column('published_by', sa.String(length=100), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_programme_version')),
    sa.UniqueConstraint('programme', 'version', name=op.f('uq_programme_version_programme_version'))
    )
    op.create_table('programme_binding',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('org', sa.String(length=32), nullable=False),
    sa.Column('effective_from', sa.Date(), nullable=False),
    sa.Column('bound_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['org'], ['org_unit.code'], name=op.f('fk_programme_binding_org')),
    sa.ForeignKeyConstraint(['version_id'], ['programme_version.id'], name=op.f('fk_programme_binding_version_id')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_programme_binding')),
    sa.UniqueConstraint('org', 'effective_from', 'version_id', name=op.f('uq_programme_binding_org_effective_from_version_id'))
    )
    with op.batch_alter_table('programme_binding', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_programme_binding_org'), ['org'], unique=False)

    op.create_table('school_class',
    sa.Column('school', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('grade', sa.String(length=32), nullable=True),
    sa.ForeignKeyConstraint(['school'], ['org_unit.code'], name=op.f('fk_school_class_school')),
    sa.PrimaryKeyConstraint('school', 'name', name=op.f('pk_school_class'))
    )
    op.create_table('child',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('school', sa.String(length=32), nullable=False),
    sa.Column('class_name', sa.String(length=64), nullable=True),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('gender', sa.String(length=8), nullable=True),
    sa.Column('birth_date', sa.Date(), nullable=True),
    sa.Column('category', sa.String(length=32), nullable=False),
    sa.Column('guardian_type', sa.String(length=32), nullable=True),
    sa.Column('guardian_name', sa.String(length=100), nullable=True),
    sa.Column('guardian_relation', sa.String(length=32), nullable=True),
    sa.Column('guardian_phone', sa.String(length=32), nullable=True),
    sa.Column('father_name', sa.String(length=100), nullable=True),
    sa.Column('father_phone', sa.String(length=32), nullable=True),
    sa.Column('father_workplace', sa.String(length=200), nullable=True),
    sa.Column('mother_name', sa.String(length=100), nullable=True),
    sa.Column('mother_phone', sa.String(length=32), nullable=True),
    sa.Column('mother_workplace', sa.String(length=200), nullable=True),
    sa.Column('away_since', sa.Date(), nullable=True),
    sa.Column('address', sa.String(length=300), nullable=True),
    sa.Column('enrolled_on', sa.Date(), nullable=False),
    sa.Column('left_on', sa.Date(), nullable=True),
    sa.Column('profile', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['school', 'class_name'], ['school_class.school', 'school_class.name'], name=op.f('fk_child_school_class_name')),
    sa.ForeignKeyConstraint(['school'], ['org_unit.code'], name=op.f('fk_child_school')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_child'))
    )
    with op.batch_alter_table('child', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_child_school'), ['school'], unique=False)

    op.create_table('staff',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('school', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('roles', sa.JSON(), nullable=False),
    sa.Column('head_of_class', sa.String(length=64), nullable=True),
    sa.Column('party_member', sa.Boolean(), nullable=False),
    sa.Column('phone', sa.String(length=32), nullable=True),
    sa.Column('left_on', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['school', 'head_of_class'], ['school_class.school', 'school_class.name'], name=op.f('fk_staff_school_head_of_class')),
    sa.ForeignKeyConstraint(['school'], ['org_unit.code'], name=op.f('fk_staff_school')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_staff'))
    )
    with op.batch_alter_table('staff', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_staff_school'), ['school'], unique=False)

    op.create_table('pairing',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('role', sa.String(length=64), nullable=False),
    sa.Column('child', sa.String(length=64), nullable=False),
    sa.Column('staff', sa.String(length=64), nullable=True),
    sa.Column('buddy', sa.String(length=64), nullable=True),
    sa.Column('start', sa.Date(), nullable=False),
    sa.Column('end', sa.Date(), nullable=True),
    sa.CheckConstraint('(staff IS NULL) <> (buddy IS NULL)', name=op.f('ck_pairing_one_partner')),
    sa.ForeignKeyConstraint(['buddy'], ['child.id'], name=op.f('fk_pairing_buddy')),
    sa.ForeignKeyConstraint(['child'], ['child.id'], name=op.f('fk_pairing_child')),
    sa.ForeignKeyConstraint(['staff'], ['staff.id'], name=op.f('fk_pairing_staff')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pairing')),
    sa.UniqueConstraint('role', 'child', 'staff', 'buddy', 'start', name=op.f('uq_pairing_role_child_staff_buddy_start'))
    )
    with op.batch_alter_table('pairing', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pairing_child'), ['child'], unique=False)
        batch_op.create_index(batch_op.f('ix_pairing_staff'), ['staff'], unique=False)

    op.create_table('record',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('key', sa.String(length=128), nullable=True),
    sa.Column('step', sa.String(length=64), nullable=False),
    sa.Column('subject_kind', sa.String(length=8), nullable=False),
    sa.Column('subject', sa.String(length=64), nullable=False),
    sa.Column('school', sa.String(length=32), nullable=False),
    sa.Column('by_staff', sa.String(length=64), nullable=True),
    sa.Column('occurred_at', sa.DateTime(), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('recorded_at', sa.DateTime(), nullable=False),
    sa.Column('recorded_by', sa.String(length=100), nullable=False),
    sa.Column('source', sa.String(length=300), nullable=False),
    sa.CheckConstraint("subject_kind IN ('child', 'school', 'staff', 'class')", name=op.f('ck_record_subject_kind')),
    sa.ForeignKeyConstraint(['by_staff'], ['staff.id'], name=op.f('fk_record_by_staff')),
    sa.ForeignKeyConstraint(['school'], ['org_unit.code'], name=op.f('fk_record_school')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_record')),
    sa.UniqueConstraint('key', name=op.f('uq_record_key'))
    )
    with op.batch_alter_table('record', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_record_by_staff_step_occurred_at'), ['by_staff', 'step', 'occurred_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_record_school_step_occurred_at'), ['school', 'step', 'occurred_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_record_step_subject_kind_subject_occurred_at'), ['step', 'subject_kind', 'subject', 'occurred_at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('record', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_record_step_subject_kind_subject_occurred_at'))
        batch_op.drop_index(batch_op.f('ix_record_school_step_occurred_at'))
        batch_op.drop_index(batch_op.f('ix_record_by_staff_step_occurred_at'))

    op.drop_table('record')
    with op.batch_alter_table('pairing', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pairing_staff'))
        batch_op.drop_index(batch_op.f('ix_pairing_child'))

    op.drop_table('pairing')
    with op.batch_alter_table('staff', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_staff_school'))

    op.drop_table('staff')
    with op.batch_alter_table('child', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_child_school'))

    op.drop_table('child')
    op.drop_table('school_class')
    with op.batch_alter_table('programme_binding', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_programme_binding_org'))

    op.drop_table('programme_binding')
    op.drop_table('programme_version')
    with op.batch_alter_table('org_unit', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_org_unit_parent'))

    op.drop_table('org_unit')
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_log_table_name_row_key'))

    op.drop_table('audit_log')
