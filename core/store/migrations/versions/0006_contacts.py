"""contact: phones, addresses and identifier-like roster cells in full, apart from the rows of
child and staff, which keep them masked (rows written before are split here). On PostgreSQL,
school and teacher roles may not select a contact's value: they read it through guanai_contacts(),
a SECURITY DEFINER function that appends the audit row in the same transaction (a teacher only the
children paired with them); a transfer (转学, 调动) is made by the receiving school through
guanai_transfer(), which keeps the old school's span and ends its pairings without giving the
receiving school a read of the old school's rows; guanai_whereabouts() tells it only where a
pupil or teacher is enrolled now.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

CONTACT_COLUMNS = {'child': ('guardian_phone', 'father_phone', 'mother_phone', 'address'), 'staff': ('phone',)}
AUDIT_LOCK = 0x6775616E  # core/store/db.py's
GENESIS = '0' * 64

# The audit row a definer function appends for its caller: Python computed its hash (the chain's
# one rule, core/store/auditlog.py); the function checks that the row extends the chain's tail now,
# and writes the actor (session_user) and action itself. A caller passing a wrong hash still
# leaves the row, and `guanai audit verify` names it.
APPEND = f"""
CREATE FUNCTION guanai_append_audit(p_id integer, p_at timestamp, p_action varchar, p_table varchar,
    p_row_key varchar, p_after json, p_source varchar, p_org varchar, p_prev varchar, p_hash varchar)
RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$
DECLARE
    tail_id integer;
    tail_hash varchar;
BEGIN
    PERFORM pg_advisory_xact_lock({AUDIT_LOCK});
    SELECT a.id, a.hash INTO tail_id, tail_hash FROM audit_log a ORDER BY a.id DESC LIMIT 1;
    IF p_id IS DISTINCT FROM coalesce(tail_id, 0) + 1
       OR p_prev IS DISTINCT FROM (CASE WHEN tail_id IS NULL THEN '{GENESIS}' ELSE coalesce(tail_hash, '') END)
       OR abs(extract(epoch FROM p_at - (now() AT TIME ZONE 'UTC'))) > 300 THEN
        RAISE EXCEPTION 'guanai: the audit row must extend the chain, now' USING ERRCODE = 'insufficient_privilege';
    END IF;
    INSERT INTO audit_log (id, at, actor, action, table_name, row_key, before, after, source, org, prev_hash, hash)
    VALUES (p_id, p_at, session_user, p_action, p_table, p_row_key, NULL, p_after, p_source, p_org, p_prev, p_hash);
END $$"""

# Whether the caller may act for a school: a guanai user whose org unit holds it, or a role guanai
# did not make (the owner, a superuser), which row-level security does not limit either.
MAY_ACT = """(p_school IN (SELECT guanai_schools())
               OR NOT EXISTS (SELECT 1 FROM app_user u WHERE u.name = session_user))"""

CONTACTS = """
CREATE FUNCTION guanai_contacts(p_kind varchar, p_ids varchar[], p_id integer, p_at timestamp,
    p_row_key varchar, p_source varchar, p_org varchar, p_prev varchar, p_hash varchar)
RETURNS TABLE(id varchar, field varchar, value text) LANGUAGE plpgsql SECURITY DEFINER
SET search_path FROM CURRENT AS $$
DECLARE
    me_role varchar;
    me_staff varchar;
BEGIN
    SELECT u.role, u.staff INTO me_role, me_staff FROM app_user u WHERE u.name = session_user;
    PERFORM guanai_append_audit(p_id, p_at, 'show_contacts', p_kind, p_row_key,
                                json_build_object('ids', to_json(p_ids)), p_source, p_org, p_prev, p_hash);
    RETURN QUERY SELECT c.id, c.field, c.value FROM contact c
        WHERE c.kind = p_kind AND c.id = ANY(p_ids) AND c.school IN (SELECT guanai_schools())
          AND (me_role IS DISTINCT FROM 'teacher'
               OR (p_kind = 'child' AND c.id IN (
                       SELECT p.child FROM pairing p WHERE p.staff = me_staff AND p.start <= current_date
                       AND (p."end" IS NULL OR p."end" >= current_date)))
               OR (p_kind = 'staff' AND c.id = me_staff));
END $$"""

WHEREABOUTS = """
CREATE FUNCTION guanai_whereabouts(p_kind varchar, p_ids varchar[])
RETURNS TABLE(id varchar, school varchar, class_name varchar, start date, left_on date)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path FROM CURRENT AS $$
    SELECT c.id, c.school, c.class_name, c.enrolled_on, c.left_on FROM child c
        WHERE p_kind = 'child' AND c.id = ANY(p_ids)
    UNION ALL
    SELECT s.id, s.school, s.head_of_class, s.joined_on, s.left_on FROM staff s
        WHERE p_kind = 'staff' AND s.id = ANY(p_ids)
$$"""

TRANSFER = f"""
CREATE FUNCTION guanai_transfer(p_kind varchar, p_ids varchar, p_school varchar, p_start date,
    p_id integer, p_at timestamp, p_source varchar, p_prev varchar, p_hash varchar)
RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$
DECLARE
    old_school varchar;
    old_class varchar;
    old_start date;
    old_left date;
    last_day date := p_start - 1;
BEGIN
    IF NOT {MAY_ACT} THEN
        RAISE EXCEPTION 'guanai: % is not under your org unit', p_school USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF p_kind = 'child' THEN
        SELECT c.school, c.class_name, c.enrolled_on, c.left_on INTO old_school, old_class, old_start, old_left
            FROM child c WHERE c.id = p_ids FOR UPDATE;
    ELSE
        SELECT s.school, s.head_of_class, s.joined_on, s.left_on INTO old_school, old_class, old_start, old_left
            FROM staff s WHERE s.id = p_ids FOR UPDATE;
    END IF;
    IF old_school IS NULL OR old_school = p_school THEN
        RAISE EXCEPTION 'guanai: % % is not at another school', p_kind, p_ids;
    END IF;
    PERFORM guanai_append_audit(p_id, p_at, 'transfer', p_kind, p_ids,
        json_build_object('from', old_school, 'to', p_school, 'start', p_start), p_source, p_school, p_prev, p_hash);
    IF p_kind = 'child' THEN
        INSERT INTO past_enrolment (child, school, class_name, start, "end")
            VALUES (p_ids, old_school, old_class, old_start, least(coalesce(old_left, p_start), p_start));
        UPDATE pairing p SET "end" = last_day WHERE p.child = p_ids
            AND p.staff IN (SELECT s.id FROM staff s WHERE s.school = old_school)
            AND p.start <= last_day AND (p."end" IS NULL OR p."end" > last_day);
        UPDATE child c SET school = p_school, class_name = NULL, enrolled_on = p_start, left_on = NULL
            WHERE c.id = p_ids;
    ELSE
        INSERT INTO past_staff (staff, school, head_of_class, start, "end")
            VALUES (p_ids, old_school, old_class, old_start, least(coalesce(old_left, p_start), p_start));
        UPDATE pairing p SET "end" = last_day WHERE p.staff = p_ids
            AND p.child IN (SELECT c.id FROM child c WHERE c.school = old_school)
            AND p.start <= last_day AND (p."end" IS NULL OR p."end" > last_day);
        UPDATE staff s SET school = p_school, head_of_class = NULL, joined_on = p_start, left_on = NULL
            WHERE s.id = p_ids;
    END IF;
    UPDATE contact k SET school = p_school WHERE k.kind = p_kind AND k.id = p_ids;
END $$"""

GROUPS = 'guanai_teacher, guanai_school, guanai_township, guanai_county'


def upgrade() -> None:
    op.create_table('contact',
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('field', sa.String(length=64), nullable=False),
    sa.Column('school', sa.String(length=32), nullable=False),
    sa.Column('value', sa.Text(), nullable=True),
    sa.CheckConstraint("kind IN ('child', 'staff')", name=op.f('ck_contact_kind')),
    sa.ForeignKeyConstraint(['school'], ['org_unit.code'], name=op.f('fk_contact_school_org_unit')),
    sa.PrimaryKeyConstraint('kind', 'id', 'field', name=op.f('pk_contact'))
    )
    with op.batch_alter_table('contact', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contact_school'), ['school'], unique=False)
    _split_existing_rows()
    if op.get_bind().dialect.name != 'postgresql':
        return
    install_pg()


def install_pg() -> None:
    """This revision's functions, policy and grants (also 0007's downgrade, back to these)."""
    op.execute(APPEND)
    op.execute(CONTACTS)
    op.execute(WHEREABOUTS)
    op.execute(TRANSFER)
    for fn in ('guanai_append_audit(integer, timestamp, varchar, varchar, varchar, json, varchar, varchar, varchar, '
               'varchar)',):
        op.execute(f"REVOKE EXECUTE ON FUNCTION {fn} FROM PUBLIC")
    for fn in ('guanai_contacts(varchar, varchar[], integer, timestamp, varchar, varchar, varchar, varchar, varchar)',
               'guanai_whereabouts(varchar, varchar[])',
               'guanai_transfer(varchar, varchar, varchar, date, integer, timestamp, varchar, varchar, varchar)'):
        op.execute(f"REVOKE EXECUTE ON FUNCTION {fn} FROM PUBLIC")
        op.execute(f"GRANT EXECUTE ON FUNCTION {fn} TO {GROUPS}")
    op.execute("ALTER TABLE contact ENABLE ROW LEVEL SECURITY")
    op.execute("CREATE POLICY by_org ON contact USING (school IN (SELECT guanai_schools())) "
               "WITH CHECK (school IN (SELECT guanai_schools()))")
    # a contact's value: the township and county read it (audited by guanai); a school writes its
    # roster's but reads none directly, a teacher neither — both through guanai_contacts()
    op.execute("GRANT SELECT ON contact TO guanai_township, guanai_county")
    op.execute("GRANT SELECT (kind, id, field, school) ON contact TO guanai_teacher, guanai_school")
    op.execute("GRANT INSERT, UPDATE, DELETE ON contact TO guanai_school, guanai_township, guanai_county")
    op.execute("GRANT DELETE ON child, staff, pairing, record, follow_up, past_enrolment, past_class "
               "TO guanai_county")  # purge (PIPL)


def _split_existing_rows() -> None:
    """Rows written before: each contact value moves to `contact`, the row keeps it masked."""
    from guanai.core.privacy import masked, sensitive_label

    conn = op.get_bind()
    contact = sa.table('contact', *(sa.column(c) for c in ('kind', 'id', 'field', 'school', 'value')))
    for kind, fields in CONTACT_COLUMNS.items():
        columns = ('id', 'school', *fields, *(('profile',) if kind == 'child' else ()))
        table = sa.table(kind, *(sa.column(c) for c in columns if c != 'profile'),
                         *((sa.column('profile', sa.JSON()),) if kind == 'child' else ()))
        for row in [dict(r._mapping) for r in conn.execute(sa.select(table))]:
            full = {f: row[f] for f in fields if row[f]}
            full.update({f"profile.{k}": v for k, v in (row.get('profile') or {}).items()
                         if sensitive_label(k) and v not in (None, '')})
            if not full:
                continue
            conn.execute(sa.insert(contact), [{'kind': kind, 'id': row['id'], 'field': f, 'school': row['school'],
                                               'value': str(v)} for f, v in full.items()])
            shown = masked(row, False)
            conn.execute(sa.update(table).where(table.c.id == row['id'])
                         .values({c: shown[c] for c in columns if c not in ('id', 'school')}))


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("DROP FUNCTION guanai_transfer(varchar, varchar, varchar, date, integer, timestamp, varchar, "
                   "varchar, varchar)")
        op.execute("DROP FUNCTION guanai_whereabouts(varchar, varchar[])")
        op.execute("DROP FUNCTION guanai_contacts(varchar, varchar[], integer, timestamp, varchar, varchar, "
                   "varchar, varchar, varchar)")
        op.execute("DROP FUNCTION guanai_append_audit(integer, timestamp, varchar, varchar, varchar, json, varchar, "
                   "varchar, varchar, varchar)")
    _join_rows()
    with op.batch_alter_table('contact', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contact_school'))
    op.drop_table('contact')


def _join_rows() -> None:
    """Put the full values back into the rows, as before this revision."""
    conn = op.get_bind()
    contact = sa.table('contact', *(sa.column(c) for c in ('kind', 'id', 'field', 'value')))
    found: dict[tuple[str, str], dict[str, str]] = {}
    for kind, key, field, value in conn.execute(sa.select(contact.c.kind, contact.c.id, contact.c.field,
                                                          contact.c.value)):
        found.setdefault((kind, key), {})[field] = value
    for (kind, key), fields in found.items():
        table = sa.table(kind, sa.column('id'), *(sa.column(c) for c in CONTACT_COLUMNS[kind]),
                         sa.column('profile', sa.JSON()))
        values: dict[str, object] = {f: v for f, v in fields.items() if f in CONTACT_COLUMNS[kind]}
        extra = {f.removeprefix('profile.'): v for f, v in fields.items() if f.startswith('profile.')}
        if extra and kind == 'child':
            profile = conn.execute(sa.select(table.c.profile).where(table.c.id == key)).scalar() or {}
            values['profile'] = {**profile, **extra}
        if values:
            conn.execute(sa.update(table).where(table.c.id == key).values(values))
