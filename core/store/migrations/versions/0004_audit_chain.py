"""audit_log: append-only and hash-chained — prev_hash and hash on every row (rows written before
are chained here, in id order), the org a row concerns, and triggers refusing UPDATE and DELETE on
both SQLite and PostgreSQL (TRUNCATE too on PostgreSQL)

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

PG_FUNCTION = """
CREATE FUNCTION guanai_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only' USING ERRCODE = 'insufficient_privilege';
END
$$
"""


def upgrade() -> None:
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.add_column(sa.Column('org', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('prev_hash', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('hash', sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f('ix_audit_log_org'), ['org'], unique=False)
    from guanai.core.store.auditlog import GENESIS, chained

    conn = op.get_bind()
    table = sa.table('audit_log', *(sa.column(c) for c in (
        'id', 'actor', 'action', 'table_name', 'row_key', 'source', 'org', 'prev_hash', 'hash')),
        sa.column('at', sa.DateTime()), sa.column('before', sa.JSON()), sa.column('after', sa.JSON()))
    rows = [dict(r._mapping) for r in conn.execute(sa.select(table).order_by(table.c.id))]
    for row, prev, digest in chained(rows, GENESIS):
        conn.execute(table.update().where(table.c.id == row['id']).values(prev_hash=prev, hash=digest))
    if conn.dialect.name == 'sqlite':
        for event in ('UPDATE', 'DELETE'):
            op.execute(f"CREATE TRIGGER audit_log_no_{event.lower()} BEFORE {event} ON audit_log "
                       "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END")
    else:
        op.execute(PG_FUNCTION)
        op.execute("CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log "
                   "FOR EACH ROW EXECUTE FUNCTION guanai_audit_append_only()")
        op.execute("CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log "
                   "FOR EACH STATEMENT EXECUTE FUNCTION guanai_audit_append_only()")


def downgrade() -> None:
    conn = op.get_bind()
    if conn.dialect.name == 'sqlite':
        op.execute("DROP TRIGGER audit_log_no_update")
        op.execute("DROP TRIGGER audit_log_no_delete")
    else:
        op.execute("DROP TRIGGER audit_log_no_truncate ON audit_log")
        op.execute("DROP TRIGGER audit_log_append_only ON audit_log")
        op.execute("DROP FUNCTION guanai_audit_append_only()")
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_log_org'))
        batch_op.drop_column('hash')
        batch_op.drop_column('prev_hash')
        batch_op.drop_column('org')
