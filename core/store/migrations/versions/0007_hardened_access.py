"""Access that holds against a hostile user: this database's own group roles; every definer
function with a pinned search_path, schema-qualified names, revoked from PUBLIC and deny-by-default
(no app_user row here, no access); transfers only of a pupil who left, or by a township or county
above both schools; no oracle of 学籍号; policies on org units and programmes; references checked
inside the boundary by triggers; audit rows hashed inside the database (rule 2: `audit_log.rule`)
and appended under a lock no user may take; contacts read only through the audited function.
The SQL is migrations/sql/0007_access.sql.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06
"""

from pathlib import Path

import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

OLD_GROUPS = ('guanai_teacher', 'guanai_school', 'guanai_township', 'guanai_county')
SQL = Path(__file__).resolve().parent.parent / 'sql' / '0007_access.sql'
TABLES = ('org_unit', 'school_class', 'staff', 'child', 'contact', 'past_enrolment', 'past_class', 'past_staff',
          'pairing', 'record', 'programme_version', 'programme_binding', 'audit_log', 'app_user', 'follow_up')
OLD_FUNCTIONS = (
    'guanai_schools()', 'guanai_audit_tail()',
    'guanai_contacts(varchar, varchar[], integer, timestamp, varchar, varchar, varchar, varchar, varchar)',
    'guanai_whereabouts(varchar, varchar[])',
    'guanai_transfer(varchar, varchar, varchar, date, integer, timestamp, varchar, varchar, varchar)',
    'guanai_append_audit(integer, timestamp, varchar, varchar, varchar, json, varchar, varchar, varchar, varchar)',
)
NEW_FUNCTIONS = {  # signature: the roles that may execute it (policies call the first three)
    'guanai_orgs_under()': 'all', 'guanai_orgs_seen()': 'all', 'guanai_schools()': 'all', 'guanai_is_admin()': 'all',
    'guanai_versions_seen()': 'all',
    'guanai_audit_lock()': 'all', 'guanai_audit_append(jsonb, varchar)': 'all', 'guanai_audit_links()': 'all',
    'guanai_contacts_request(varchar, varchar[], varchar, varchar, varchar)': 'all',
    'guanai_contacts(integer)': 'all',
    'guanai_enrolment(varchar, varchar[], varchar)': 'writers',
    'guanai_transfer(varchar, varchar, varchar, date, varchar)': 'writers',
    'guanai_user_add(varchar, text, varchar, varchar, varchar)': 'admin',
    'guanai_user_remove(varchar)': 'admin',
    'guanai_me()': None, 'guanai_refuse(text, text)': None, 'guanai_audit_write(jsonb, varchar)': None,
    'guanai_root(varchar)': None,
    'guanai_audit_hash(varchar, integer, timestamp, varchar, varchar, varchar, varchar, jsonb, jsonb, varchar, '
    'varchar, varchar)': None,
    'guanai_check_record()': None, 'guanai_check_pairing()': None, 'guanai_check_contact()': None,
    'guanai_check_past_class()': None, 'guanai_pairing_people_fixed()': None,
}
TRIGGERS = {'guanai_record_in_school': 'record', 'guanai_record_stays_in_school': 'record',
            'guanai_pairing_in_school': 'pairing', 'guanai_contact_in_school': 'contact',
            'guanai_contact_stays_in_school': 'contact', 'guanai_past_class_in_school': 'past_class',
            'guanai_pairing_people': 'pairing'}


def upgrade() -> None:
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.add_column(sa.Column('rule', sa.SmallInteger(), nullable=True))
        batch_op.add_column(sa.Column('nonce', sa.String(length=36), nullable=True))
    with op.batch_alter_table('past_enrolment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('name', sa.String(length=100), nullable=True))
    op.execute("UPDATE past_enrolment SET name = (SELECT c.name FROM child c WHERE c.id = past_enrolment.child)")
    if op.get_bind().dialect.name != 'postgresql':
        return
    conn = op.get_bind()
    schema, groups = _schema(), _groups()
    for name in groups.values():
        _run(f"DO $$ BEGIN CREATE ROLE {name} NOLOGIN; EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$")
    _drop_policies(schema)
    for fn in OLD_FUNCTIONS:
        _run(f"DROP FUNCTION IF EXISTS {schema}.{fn} CASCADE")
    _widen_ids(schema, 'bigint')
    text = SQL.read_text('utf-8').replace('@s@', schema)
    for role, name in groups.items():
        text = text.replace(f'@{role}_text@', f"'{name}'").replace(f'@{role}@', name)
    _run(text)
    _grant(schema, groups)
    for (name, role) in conn.execute(sa.text("SELECT name, role FROM app_user")).all():  # users made before
        _run(f'GRANT {groups[role]} TO "{name}"')
        old = f'guanai_{role}'
        if conn.execute(sa.text("SELECT pg_has_role(:n, :g, 'MEMBER') FROM pg_roles WHERE rolname = :g"),
                        {"n": name, "g": old}).scalar():
            _run(f'REVOKE {old} FROM "{name}"')


WIDE_IDS = (('past_class', 'id'), ('pairing', 'id'), ('record', 'id'), ('programme_version', 'id'),
            ('programme_binding', 'id'), ('programme_binding', 'version_id'), ('follow_up', 'id'),
            ('follow_up', 'record_id'))


def _widen_ids(schema: str, kind: str) -> None:
    """The ids of rows users insert, and their sequences, as `kind` (bigint up, integer down)."""
    for table, column in WIDE_IDS:
        _run(f"ALTER TABLE {schema}.{table} ALTER COLUMN {column} TYPE {kind}")
        if column == 'id':
            _run(f"ALTER SEQUENCE {schema}.{table}_id_seq AS {kind}")


def _grant(schema: str, groups: dict[str, str]) -> None:
    """Privileges, named table by table and function by function, as one batch of statements (the
    `ALL … IN SCHEMA` forms scan the catalog once per statement: seconds on a busy server)."""
    every = ', '.join(groups.values())
    writers = ', '.join(groups[r] for r in ('school', 'township', 'county', 'admin'))
    above = ', '.join(groups[r] for r in ('county', 'admin'))
    before = ', '.join([*(g for g in OLD_GROUPS if _role_exists(g)), 'PUBLIC'])
    tables = ', '.join(f"{schema}.{t}" for t in (*TABLES, 'alembic_version'))
    sequences = ', '.join(f"{schema}.{q}" for q in _sequences())
    usable = ', '.join(f"{schema}.{t}_id_seq" for t, c in WIDE_IDS if c == 'id')  # a user inserts these rows
    functions = ', '.join(f"{schema}.{fn}" for fn in (*NEW_FUNCTIONS, 'guanai_audit_append_only()'))
    child_columns = ', '.join(f'"{c}"' for c in _columns('child') if c not in ('id', 'school'))
    staff_columns = ', '.join(f'"{c}"' for c in _columns('staff') if c not in ('id', 'school'))
    pairing_columns = ', '.join(f'"{c}"' for c in _columns('pairing') if c != 'id')
    readable = ', '.join(f"{schema}.{t}" for t in (*TABLES, 'alembic_version') if t != 'contact')
    statements = [
        # nothing left from before (the old, server-wide group roles), nothing for a stranger
        f"REVOKE ALL ON TABLE {tables} FROM {before}",
        f"REVOKE ALL ON SEQUENCE {sequences} FROM {before}",
        f"REVOKE ALL ON FUNCTION {functions} FROM {before}",
        *(f"REVOKE ALL ON SCHEMA {schema} FROM {g}" for g in OLD_GROUPS if _role_exists(g)),
        # nobody but the owner creates objects in guanai's schema: a function a user put there with
        # a closer argument type than pg_catalog's (left(varchar, int) …) would run inside a definer
        # function as the owner (PostgreSQL 14 and older grant CREATE on public to everyone)
        f"DO $$ BEGIN REVOKE CREATE ON SCHEMA {schema} FROM PUBLIC; "
        "EXCEPTION WHEN insufficient_privilege THEN NULL; END $$",
        f"GRANT USAGE ON SCHEMA {schema} TO {every}",
        f"GRANT USAGE ON SEQUENCE {usable} TO {every}",
        f"GRANT SELECT ON TABLE {readable} TO {every}",
        f"GRANT SELECT (kind, id, field, school) ON {schema}.contact TO {every}",  # never `value`: guanai_contacts()
        f"GRANT INSERT ON {schema}.record, {schema}.follow_up TO {every}",
        f"GRANT INSERT, UPDATE ({child_columns}) ON {schema}.child TO {writers}",
        f"GRANT INSERT, UPDATE ({staff_columns}) ON {schema}.staff TO {writers}",
        f"GRANT INSERT ON {schema}.child, {schema}.staff TO {writers}",
        f"GRANT INSERT, UPDATE (grade) ON {schema}.school_class TO {writers}",
        f"GRANT INSERT, UPDATE ({pairing_columns}) ON {schema}.pairing TO {writers}",
        f"GRANT INSERT ON {schema}.past_class TO {writers}",
        f"GRANT INSERT, UPDATE (value), DELETE ON {schema}.contact TO {writers}",
        f"GRANT INSERT ON {schema}.programme_version, {schema}.programme_binding TO {above}",
        f"GRANT INSERT, UPDATE (name, kind, parent) ON {schema}.org_unit TO {groups['admin']}",
        f"GRANT DELETE ON {schema}.child, {schema}.staff, {schema}.pairing, {schema}.record, {schema}.follow_up, "
        f"{schema}.past_enrolment, {schema}.past_class, {schema}.past_staff, {schema}.contact TO {above}",  # purge
    ]
    for who, to in (('all', every), ('writers', writers), ('admin', groups['admin'])):
        named = ', '.join(f"{schema}.{fn}" for fn, w in NEW_FUNCTIONS.items() if w == who)
        statements.append(f"GRANT EXECUTE ON FUNCTION {named} TO {to}")
    _run(";\n".join(statements))


def _sequences() -> list[str]:
    return [str(n) for (n,) in op.get_bind().execute(sa.text(
        "SELECT c.relname FROM pg_class c WHERE c.relkind = 'S' AND c.relnamespace = current_schema()::regnamespace"))]


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        schema, groups = _schema(), _groups()
        _drop_policies(schema)
        _run(f"ALTER TABLE {schema}.record DROP CONSTRAINT IF EXISTS guanai_payload_shallow")
        _run(f"ALTER TABLE {schema}.child DROP CONSTRAINT IF EXISTS guanai_profile_shallow")
        for trigger, table in TRIGGERS.items():
            _run(f"DROP TRIGGER IF EXISTS {trigger} ON {schema}.{table}")
        for fn in NEW_FUNCTIONS:
            _run(f"DROP FUNCTION IF EXISTS {schema}.{fn} CASCADE")
        for table in ('org_unit', 'programme_binding', 'programme_version'):
            _run(f"ALTER TABLE {schema}.{table} DISABLE ROW LEVEL SECURITY")
        _widen_ids(schema, 'integer')
        for role in groups.values():
            _run(f"REVOKE ALL ON ALL TABLES IN SCHEMA {schema} FROM {role}")
            _run(f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA {schema} FROM {role}")
            _run(f"REVOKE ALL ON SCHEMA {schema} FROM {role}")
        _previous('0005_access').install_pg()
        _previous('0006_contacts').install_pg()
        conn = op.get_bind()
        for (name, role) in conn.execute(sa.text("SELECT name, role FROM app_user WHERE role <> 'admin'")).all():
            _run(f'GRANT guanai_{role} TO "{name}"')
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_column('nonce')
        batch_op.drop_column('rule')
    with op.batch_alter_table('past_enrolment', schema=None) as batch_op:
        batch_op.drop_column('name')


def _previous(name: str):  # noqa: ANN202 — a migration module (Alembic loads them by path, not as a package)
    import importlib.util

    spec = importlib.util.spec_from_file_location(f"guanai_migration_{name}", Path(__file__).with_name(f"{name}.py"))
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _drop_policies(schema: str) -> None:
    conn = op.get_bind()
    for policy, table in conn.execute(sa.text(
            "SELECT policyname, tablename FROM pg_policies WHERE schemaname = current_schema()")).all():
        _run(f'DROP POLICY "{policy}" ON {schema}."{table}"')


def _run(statement: str) -> None:
    """One or more statements as written: no bind parameters (the SQL holds ':' and '%')."""
    raw = op.get_bind().connection.dbapi_connection
    assert raw is not None  # an open connection: Alembic runs inside it
    cursor = raw.cursor()
    try:
        cursor.execute(statement)
    finally:
        cursor.close()


def _schema() -> str:
    return str(op.get_bind().execute(sa.text("SELECT quote_ident(current_schema())")).scalar())


def _groups() -> dict[str, str]:
    from guanai.core.store.access import group_names

    database, schema = op.get_bind().execute(sa.text("SELECT current_database(), current_schema()")).one()
    return group_names(database, schema)


def _role_exists(name: str) -> bool:
    return bool(op.get_bind().execute(sa.text("SELECT 1 FROM pg_roles WHERE rolname = :n"), {"n": name}).first())


def _columns(table: str) -> list[str]:
    return [c['name'] for c in sa.inspect(op.get_bind()).get_columns(table)]
