"""app_user and, on PostgreSQL, access by organisation: group roles (guanai_teacher,
guanai_school, guanai_township, guanai_county) with the privileges each needs, row-level security
on every table holding school data (a user reads and writes only rows of the schools under its own
org unit), and the audit chain's tail read past row-level security

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

GROUPS = ('guanai_teacher', 'guanai_school', 'guanai_township', 'guanai_county')
BY_SCHOOL = ('child', 'staff', 'record', 'school_class', 'past_enrolment', 'past_class', 'past_staff')


def upgrade() -> None:
    op.create_table('app_user',
    sa.Column('name', sa.String(length=63), nullable=False),
    sa.Column('org', sa.String(length=32), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('staff', sa.String(length=64), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['org'], ['org_unit.code'], name=op.f('fk_app_user_org')),
    sa.ForeignKeyConstraint(['staff'], ['staff.id'], name=op.f('fk_app_user_staff')),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_app_user'))
    )
    if op.get_bind().dialect.name != 'postgresql':
        return  # SQLite: one user, the file's owner; access control needs PostgreSQL
    install_pg()


def install_pg() -> None:
    """This revision's roles, functions, policies and grants (also 0007's downgrade, back to these)."""
    for group in GROUPS:
        op.execute(f"DO $$ BEGIN CREATE ROLE {group} NOLOGIN; EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$")
    op.execute("""
CREATE FUNCTION guanai_schools() RETURNS SETOF varchar LANGUAGE sql STABLE SECURITY DEFINER
SET search_path FROM CURRENT AS $$
    WITH RECURSIVE under(code) AS (
        SELECT org FROM app_user WHERE name = session_user
        UNION SELECT o.code FROM org_unit o JOIN under u ON o.parent = u.code
    )
    SELECT o.code FROM org_unit o JOIN under u ON u.code = o.code WHERE o.kind = 'school'
$$""")
    op.execute("""
CREATE FUNCTION guanai_audit_tail(OUT id integer, OUT hash varchar) LANGUAGE sql STABLE SECURITY DEFINER
SET search_path FROM CURRENT AS $$
    SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1
$$""")
    for table in BY_SCHOOL:
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"CREATE POLICY by_org ON {table} USING (school IN (SELECT guanai_schools())) "
                   "WITH CHECK (school IN (SELECT guanai_schools()))")
    op.execute("ALTER TABLE pairing ENABLE ROW LEVEL SECURITY")
    op.execute("CREATE POLICY by_org ON pairing USING (child IN (SELECT id FROM child)) "
               "WITH CHECK (child IN (SELECT id FROM child))")
    op.execute("ALTER TABLE follow_up ENABLE ROW LEVEL SECURITY")
    op.execute("CREATE POLICY by_org ON follow_up USING (record_id IN (SELECT id FROM record)) "
               "WITH CHECK (record_id IN (SELECT id FROM record))")
    op.execute("ALTER TABLE audit_log ENABLE ROW LEVEL SECURITY")
    op.execute("CREATE POLICY read_own ON audit_log FOR SELECT USING (org IN (SELECT guanai_schools()) "
               "OR org IN (SELECT org FROM app_user WHERE name = session_user))")
    op.execute("CREATE POLICY append_as_self ON audit_log FOR INSERT WITH CHECK (actor = session_user)")
    op.execute("ALTER TABLE app_user ENABLE ROW LEVEL SECURITY")
    op.execute("CREATE POLICY own ON app_user FOR SELECT USING (name = session_user)")
    every = ('guanai_teacher, guanai_school, guanai_township, guanai_county')
    op.execute(f"GRANT USAGE ON SCHEMA {_schema()} TO {every}")
    op.execute(f"GRANT SELECT ON ALL TABLES IN SCHEMA {_schema()} TO {every}")
    op.execute(f"GRANT USAGE ON ALL SEQUENCES IN SCHEMA {_schema()} TO {every}")
    op.execute(f"GRANT INSERT ON record, follow_up, audit_log TO {every}")
    op.execute("GRANT INSERT, UPDATE ON child, staff, pairing, school_class, past_enrolment, past_class, past_staff "
               "TO guanai_school, guanai_township, guanai_county")
    op.execute("GRANT INSERT, UPDATE ON org_unit, programme_version, programme_binding, app_user TO guanai_county")
    op.execute(f"REVOKE UPDATE, DELETE, TRUNCATE ON audit_log FROM {every}")


def _schema() -> str:
    return str(op.get_bind().execute(sa.text("SELECT quote_ident(current_schema())")).scalar())


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        for table in (*BY_SCHOOL, 'pairing', 'follow_up'):
            op.execute(f"DROP POLICY by_org ON {table}")
            op.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")
        op.execute("DROP POLICY read_own ON audit_log")
        op.execute("DROP POLICY append_as_self ON audit_log")
        op.execute("ALTER TABLE audit_log DISABLE ROW LEVEL SECURITY")
        op.execute("DROP POLICY own ON app_user")
        op.execute("DROP FUNCTION guanai_audit_tail()")
        op.execute("DROP FUNCTION guanai_schools()")
    op.drop_table('app_user')
