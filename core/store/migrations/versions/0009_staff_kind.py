"""staff.kind: people who are not staff (issue 27). A row of the staff list is 教职工 (the
default, every row before this revision), 志愿者, 校外辅导员, 家长志愿者 or a word the programme
lists (`people_kinds`). Such people can make records and be pairing partners where a rule's
`staff_where` names their kind; they are never counted as 教职工 or 党员. On PostgreSQL the
writers' column grant on staff takes the new column.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('staff', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.String(length=20), nullable=False, server_default='教职工'))
    if op.get_bind().dialect.name == 'postgresql':
        old = _previous('0007_hardened_access')
        schema, groups = old._schema(), old._groups()
        writers = ', '.join(groups[r] for r in ('school', 'township', 'county', 'admin'))
        old._run(f"GRANT INSERT (kind), UPDATE (kind) ON {schema}.staff TO {writers}")


def downgrade() -> None:
    with op.batch_alter_table('staff', schema=None) as batch_op:
        batch_op.drop_column('kind')



def _previous(name: str):  # noqa: ANN202 — a migration module, by its package path (no second loader)
    import importlib

    return importlib.import_module(f"guanai.core.store.migrations.versions.{name}")
