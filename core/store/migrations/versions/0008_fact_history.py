"""fact_history: facts with a history (SPEC §2, issue 26). Every value a child's or staff member's
fact held before, on the days it held and as known from when until when; child.entered_at,
staff.entered_at and pairing.entered_at say when guanai first knew a row; a pairing's end is kept
there too; programme_binding.withdrawn_at marks a binding `programme withdraw` took back (one live
binding per unit, day and version: a partial unique index). past_class (the one fact that had a
history) moves into it: a class is one fact among the others (core/store/history.py). On
PostgreSQL the table has the row-level policy of the tables it stands beside, a row must be about
a child, staff member or pairing of its school, typed values must read as their type, and a
withdrawal is dated by the database and refused while records exist under the binding.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06
"""

from pathlib import Path

import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

ROW_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')

CHECK = """
CREATE FUNCTION {s}.guanai_check_fact_history() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, {s}, pg_temp AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM guanai_new AS n WHERE NOT (
            (n.kind = 'child' AND EXISTS (SELECT 1 FROM {s}.child AS c WHERE c.id = n.subject AND c.school = n.school))
            OR (n.kind = 'staff' AND EXISTS (SELECT 1 FROM {s}.staff AS t WHERE t.id = n.subject AND t.school = n.school))
            OR (n.kind = 'pairing' AND EXISTS (SELECT 1 FROM {s}.pairing AS p JOIN {s}.child AS k ON k.id = p.child
                                               WHERE p.id::text = n.subject AND k.school = n.school))))
    THEN
        PERFORM {s}.guanai_refuse('boundary.fact_history');
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER guanai_fact_history_in_school AFTER INSERT ON {s}.fact_history REFERENCING NEW TABLE AS guanai_new
    FOR EACH STATEMENT EXECUTE FUNCTION {s}.guanai_check_fact_history();
"""


# A withdrawal is made by the database's clock and only while nothing was recorded under the
# binding (the CLI asks first; this holds for psql too); it is final: publishing again adds a new
# binding beside it. Values of typed facts must read as their type (a date that does not parse
# would stop every report of the county).
WITHDRAW = """
CREATE FUNCTION {s}.guanai_withdraw_check() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, {s}, pg_temp AS $$
DECLARE
    zone text;
BEGIN
    IF OLD.withdrawn_at IS NOT NULL THEN
        PERFORM {s}.guanai_refuse('withdraw.final');
    END IF;
    IF NEW.withdrawn_at IS NULL THEN
        RETURN NEW;
    END IF;
    SELECT v.timezone INTO zone FROM {s}.programme_version AS v WHERE v.id = NEW.version_id;
    IF EXISTS (
        WITH RECURSIVE under(code) AS (
            SELECT NEW.org UNION SELECT o.code FROM {s}.org_unit AS o JOIN under AS u ON o.parent = u.code)
        SELECT 1 FROM {s}.record AS r
        WHERE r.school IN (SELECT code FROM under)
          AND r.occurred_at >= (NEW.effective_from::timestamp AT TIME ZONE coalesce(zone, 'Asia/Shanghai')) AT TIME ZONE 'UTC')
    THEN
        PERFORM {s}.guanai_refuse('withdraw.recorded_db');
    END IF;
    NEW.withdrawn_at := now() AT TIME ZONE 'UTC';
    RETURN NEW;
END $$;
CREATE TRIGGER guanai_withdraw_once BEFORE UPDATE OF withdrawn_at ON {s}.programme_binding
    FOR EACH ROW EXECUTE FUNCTION {s}.guanai_withdraw_check();
ALTER TABLE {s}.fact_history ADD CONSTRAINT guanai_value_typed CHECK (
    value = '' OR (left(value, 1) = '=' AND CASE
        WHEN field IN ('away_since', 'birth_date', 'enrolled_on', 'left_on', 'joined_on', 'end')
            THEN substr(value, 2)::date IS NOT NULL
        WHEN field = 'party_member' THEN substr(value, 2)::boolean IS NOT NULL
        ELSE true END));
"""


def upgrade() -> None:
    for table in ('child', 'staff', 'pairing'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('entered_at', sa.DateTime(), nullable=True))
    with op.batch_alter_table('programme_binding', schema=None) as batch_op:
        batch_op.add_column(sa.Column('withdrawn_at', sa.DateTime(), nullable=True))
        batch_op.drop_constraint('uq_programme_binding_org_effective_from_version_id', type_='unique')
        batch_op.create_index('ix_programme_binding_org_effective_from_version_id',
                              ['org', 'effective_from', 'version_id'], unique=True,
                              sqlite_where=sa.text('withdrawn_at IS NULL'),
                              postgresql_where=sa.text('withdrawn_at IS NULL'))
    op.create_table('fact_history',
    sa.Column('id', ROW_ID, autoincrement=True, nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('subject', sa.String(length=64), nullable=False),
    sa.Column('school', sa.String(length=32), nullable=False),
    sa.Column('field', sa.String(length=80), nullable=False),
    sa.Column('value', sa.Text(), nullable=False),
    sa.Column('valid_from', sa.Date(), nullable=True),
    sa.Column('valid_to', sa.Date(), nullable=True),
    sa.Column('entered_at', sa.DateTime(), nullable=True),
    sa.Column('superseded_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint("kind IN ('child', 'staff', 'pairing')", name=op.f('ck_fact_history_kind')),
    sa.CheckConstraint('valid_from IS NULL OR valid_to IS NULL OR valid_to > valid_from',
                       name=op.f('ck_fact_history_span')),
    sa.ForeignKeyConstraint(['school'], ['org_unit.code'], name=op.f('fk_fact_history_school')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_fact_history'))
    )
    with op.batch_alter_table('fact_history', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_fact_history_kind_subject_field'), ['kind', 'subject', 'field'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_fact_history_school'), ['school'], unique=False)
    op.execute("INSERT INTO fact_history (kind, subject, school, field, value, valid_from, valid_to) "
               "SELECT 'child', child, school, 'class_name', '=' || class_name, start, \"end\" FROM past_class")
    postgres = op.get_bind().dialect.name == 'postgresql'
    if postgres:
        schema = _previous('0007_hardened_access')._schema()
        op.execute(f"DROP TRIGGER IF EXISTS guanai_past_class_in_school ON {schema}.past_class")
        op.execute(f"DROP FUNCTION IF EXISTS {schema}.guanai_check_past_class() CASCADE")
    with op.batch_alter_table('past_class', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_past_class_child'))
        batch_op.drop_index(batch_op.f('ix_past_class_school'))
    op.drop_table('past_class')
    if postgres:
        _install_pg()


def _install_pg() -> None:
    old = _previous('0007_hardened_access')
    schema, groups = old._schema(), old._groups()
    every = ', '.join(groups.values())
    writers = ', '.join(groups[r] for r in ('school', 'township', 'county', 'admin'))
    above = ', '.join(groups[r] for r in ('county', 'admin'))
    old._run(";\n".join([
        f"ALTER TABLE {schema}.fact_history ENABLE ROW LEVEL SECURITY",
        f"CREATE POLICY by_org ON {schema}.fact_history USING (school IN (SELECT {schema}.guanai_schools())) "
        f"WITH CHECK (school IN (SELECT {schema}.guanai_schools()))",
        f"REVOKE ALL ON TABLE {schema}.fact_history FROM PUBLIC",
        f"REVOKE ALL ON SEQUENCE {schema}.fact_history_id_seq FROM PUBLIC",
        f"GRANT SELECT ON {schema}.fact_history TO {every}",
        f"GRANT INSERT, UPDATE (superseded_at) ON {schema}.fact_history TO {writers}",
        f"GRANT USAGE ON SEQUENCE {schema}.fact_history_id_seq TO {writers}",
        f"GRANT DELETE ON {schema}.fact_history TO {above}",  # purge (PIPL)
        f"GRANT INSERT (entered_at) ON {schema}.pairing TO {writers}",  # a new pairing says when it was made
        # `programme withdraw`: a county marks a binding to a unit under it as withdrawn, never deletes it
        f"GRANT UPDATE (withdrawn_at) ON {schema}.programme_binding TO {above}",
        f"CREATE POLICY withdraws_under ON {schema}.programme_binding FOR UPDATE "
        f"USING (org IN (SELECT {schema}.guanai_orgs_under())) WITH CHECK (org IN (SELECT {schema}.guanai_orgs_under()))",
        CHECK.format(s=schema),
        f"REVOKE ALL ON FUNCTION {schema}.guanai_check_fact_history() FROM PUBLIC",
        WITHDRAW.format(s=schema).strip().rstrip(";"),
        f"REVOKE ALL ON FUNCTION {schema}.guanai_withdraw_check() FROM PUBLIC",
    ]))


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == 'postgresql'
    if postgres:
        schema = _previous('0007_hardened_access')._schema()
        op.execute(f"DROP TRIGGER IF EXISTS guanai_fact_history_in_school ON {schema}.fact_history")
        op.execute(f"DROP FUNCTION IF EXISTS {schema}.guanai_check_fact_history() CASCADE")
        op.execute(f"DROP TRIGGER IF EXISTS guanai_withdraw_once ON {schema}.programme_binding")
        op.execute(f"DROP FUNCTION IF EXISTS {schema}.guanai_withdraw_check() CASCADE")
    op.create_table('past_class',
    sa.Column('id', ROW_ID, autoincrement=True, nullable=False),
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
    op.execute("INSERT INTO past_class (child, school, class_name, start, \"end\") "
               "SELECT subject, school, substr(value, 2), valid_from, valid_to FROM fact_history "
               "WHERE kind = 'child' AND field = 'class_name' AND superseded_at IS NULL AND value <> '' "
               "AND valid_from IS NOT NULL AND valid_to IS NOT NULL")
    with op.batch_alter_table('fact_history', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_fact_history_school'))
        batch_op.drop_index(batch_op.f('ix_fact_history_kind_subject_field'))
    op.drop_table('fact_history')
    for table in ('pairing', 'staff', 'child'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('entered_at')
    if postgres:
        op.execute("DROP POLICY IF EXISTS withdraws_under ON programme_binding")
    op.execute("DELETE FROM programme_binding WHERE withdrawn_at IS NOT NULL")
    with op.batch_alter_table('programme_binding', schema=None) as batch_op:
        batch_op.drop_index('ix_programme_binding_org_effective_from_version_id')
        batch_op.create_unique_constraint('uq_programme_binding_org_effective_from_version_id',
                                          ['org', 'effective_from', 'version_id'])
        batch_op.drop_column('withdrawn_at')
    if postgres:
        old = _previous('0007_hardened_access')
        schema, groups = old._schema(), old._groups()
        sql = (Path(__file__).resolve().parent.parent / 'sql' / '0007_access.sql').read_text('utf-8')
        start = sql.index('CREATE FUNCTION @s@.guanai_check_past_class()')
        function = sql[start:sql.index('END $$;', start) + len('END $$;')]
        writers = ', '.join(groups[r] for r in ('school', 'township', 'county', 'admin'))
        old._run(";\n".join([
            function.replace('@s@', schema).rstrip(';'),
            f"CREATE TRIGGER guanai_past_class_in_school AFTER INSERT ON {schema}.past_class "
            f"REFERENCING NEW TABLE AS guanai_new FOR EACH STATEMENT EXECUTE FUNCTION {schema}.guanai_check_past_class()",
            f"ALTER TABLE {schema}.past_class ENABLE ROW LEVEL SECURITY",
            f"CREATE POLICY by_org ON {schema}.past_class USING (school IN (SELECT {schema}.guanai_schools())) "
            f"WITH CHECK (school IN (SELECT {schema}.guanai_schools()))",
            f"REVOKE ALL ON TABLE {schema}.past_class FROM PUBLIC",
            f"GRANT SELECT ON {schema}.past_class TO {', '.join(groups.values())}",
            f"GRANT INSERT ON {schema}.past_class TO {writers}",
            f"GRANT USAGE ON SEQUENCE {schema}.past_class_id_seq TO {writers}",
        ]))


def _previous(name: str):  # noqa: ANN202 — a migration module (Alembic loads them by path, not as a package)
    import importlib.util

    spec = importlib.util.spec_from_file_location(f"guanai_migration_{name}", Path(__file__).with_name(f"{name}.py"))
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
