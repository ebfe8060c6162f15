"""The record index that counts a duty's records carries `purpose` (issue 27 added the column and
the condition "no purpose, or this duty"): the count stays on the index, never the table rows.
Measured on a 6,000-child county: `compliance --by school,duty` 2.33–2.42 s without it, 1.91–1.98 s
with it (docs/BENCHMARKS.md). It replaces the index it extends (same columns first), so inserts
keep the same number of indexes.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06
"""

from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

OLD = "ix_record_step_subject_kind_subject_occurred_at"
NEW = "ix_record_step_subject_kind_subject_occurred_at_purpose"


def upgrade() -> None:
    op.drop_index(OLD, table_name="record")
    op.create_index(NEW, "record", ["step", "subject_kind", "subject", "occurred_at", "purpose"])


def downgrade() -> None:
    op.drop_index(NEW, table_name="record")
    op.create_index(OLD, "record", ["step", "subject_kind", "subject", "occurred_at"])
