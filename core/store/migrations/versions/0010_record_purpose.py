"""record.purpose: the duty or task a record is for (issue 27). A record may name it (`--for`, a
事项 column); then it counts for that one alone (one 制定方案 record no longer closes four plan
tasks). Records before this revision name none and count as they did.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('record', schema=None) as batch_op:
        batch_op.add_column(sa.Column('purpose', sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('record', schema=None) as batch_op:
        batch_op.drop_column('purpose')
