-- guanai's access control on PostgreSQL: who may see and write what, held by the database itself.
-- Installed by migration 0007 (core/store/migrations/versions/0007_hardened_access.py), which
-- replaces the placeholders: @s@ the schema (quoted), @teacher@ @school@ @township@ @county@ @admin@
-- this database's group roles (quoted), @all@ all five, @writers@ all but the teacher's.
--
-- Written after PostgreSQL's "Writing SECURITY DEFINER Functions Safely": every definer function
-- pins search_path to pg_catalog, guanai's schema, then pg_temp (a temporary table never shadows a
-- table of ours), names every table with its schema, is revoked from PUBLIC and granted to the
-- roles that need it. Nobody is trusted for lacking a row: a login with no app_user row in this
-- database (a stranger, a user of another guanai database on the same server) can do nothing; the
-- owner of these functions (and a superuser) is the only caller trusted without one.

-- —— who is calling ——

-- The caller's app_user row in this database (all NULL for a stranger) and whether it is trusted:
-- a member of the role owning guanai's functions (the owner, a superuser).
CREATE FUNCTION @s@.guanai_me(OUT role varchar, OUT org varchar, OUT staff varchar, OUT trusted boolean)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, @s@, pg_temp AS $$
    SELECT u.role, u.org, u.staff, pg_catalog.pg_has_role(session_user, current_user, 'MEMBER')
    FROM (SELECT 1) AS one LEFT JOIN @s@.app_user AS u ON u.name = session_user
$$;

-- Whether the caller is an administrator of this database (policies ask; guanai_me() is not theirs).
CREATE FUNCTION @s@.guanai_is_admin() RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, @s@, pg_temp AS $$
    SELECT EXISTS (SELECT 1 FROM @s@.app_user AS u WHERE u.name = session_user AND u.role = 'admin')
$$;

-- The org units the caller acts for: its own and everything under it (every unit when trusted).
-- These three are in every policy: each is one statement, calling no other definer function.
CREATE FUNCTION @s@.guanai_orgs_under() RETURNS SETOF varchar
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, @s@, pg_temp AS $$
    WITH RECURSIVE under(code) AS (
        SELECT u.org FROM @s@.app_user AS u WHERE u.name = session_user
        UNION SELECT o.code FROM @s@.org_unit AS o JOIN under ON o.parent = under.code
    )
    SELECT code FROM under
    UNION SELECT o.code FROM @s@.org_unit AS o WHERE pg_catalog.pg_has_role(session_user, current_user, 'MEMBER')
$$;

-- The org units the caller may see: those it acts for and the units above its own.
CREATE FUNCTION @s@.guanai_orgs_seen() RETURNS SETOF varchar
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, @s@, pg_temp AS $$
    WITH RECURSIVE above(code) AS (
        SELECT u.org FROM @s@.app_user AS u WHERE u.name = session_user
        UNION SELECT o.parent FROM @s@.org_unit AS o JOIN above ON o.code = above.code WHERE o.parent IS NOT NULL
    ), under(code) AS (
        SELECT u.org FROM @s@.app_user AS u WHERE u.name = session_user
        UNION SELECT o.code FROM @s@.org_unit AS o JOIN under ON o.parent = under.code
    )
    SELECT code FROM above UNION SELECT code FROM under
    UNION SELECT o.code FROM @s@.org_unit AS o WHERE pg_catalog.pg_has_role(session_user, current_user, 'MEMBER')
$$;

-- The schools the caller acts for: row-level security on school data compares with these.
CREATE FUNCTION @s@.guanai_schools() RETURNS SETOF varchar
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, @s@, pg_temp AS $$
    WITH RECURSIVE under(code) AS (
        SELECT u.org FROM @s@.app_user AS u WHERE u.name = session_user
        UNION SELECT o.code FROM @s@.org_unit AS o JOIN under ON o.parent = under.code
    )
    SELECT o.code FROM @s@.org_unit AS o
    WHERE o.kind = 'school' AND (o.code IN (SELECT code FROM under)
                                 OR pg_catalog.pg_has_role(session_user, current_user, 'MEMBER'))
$$;

-- The top of the org tree above a unit (its county): internal, called by definer functions only.
CREATE FUNCTION @s@.guanai_root(p_code varchar) RETURNS varchar
LANGUAGE sql STABLE SET search_path = pg_catalog, @s@, pg_temp AS $$
    WITH RECURSIVE up(code, parent, depth) AS (
        SELECT o.code, o.parent, 0 FROM @s@.org_unit AS o WHERE o.code = p_code
        UNION ALL SELECT o.code, o.parent, up.depth + 1 FROM @s@.org_unit AS o JOIN up ON o.code = up.parent
            WHERE up.depth < 32
    )
    SELECT code FROM up WHERE parent IS NULL LIMIT 1
$$;

CREATE FUNCTION @s@.guanai_refuse(p_code text, p_detail text DEFAULT NULL) RETURNS void
LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    -- "guanai:CODE": the client turns CODE into a message in the user's language
    RAISE EXCEPTION 'guanai:%', p_code USING ERRCODE = 'insufficient_privilege', DETAIL = coalesce(p_detail, '');
END $$;

-- —— the audit chain: rows hashed here, never by the client ——

-- The chain's rule 2 (core/store/auditlog.py holds the same rule in Python, a test proves they
-- agree): sha256 of the previous hash, a newline and the row as jsonb's canonical text. The row's
-- random nonce (never given out by guanai_audit_links) keeps a user from confirming a guess of a
-- row it may not read by hashing the guess.
CREATE FUNCTION @s@.guanai_audit_hash(p_prev varchar, p_id integer, p_at timestamp, p_actor varchar,
    p_action varchar, p_table varchar, p_row_key varchar, p_before jsonb, p_after jsonb, p_source varchar,
    p_org varchar, p_nonce varchar) RETURNS varchar
LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT encode(sha256(convert_to(p_prev || E'\n' || jsonb_build_object(
        'id', p_id, 'at', to_char(p_at, 'YYYY-MM-DD HH24:MI:SS.US'), 'actor', p_actor, 'action', p_action,
        'table_name', p_table, 'row_key', p_row_key, 'before', p_before, 'after', p_after, 'source', p_source,
        'org', p_org, 'nonce', p_nonce, 'rule', 2)::text, 'UTF8')), 'hex')
$$;

-- The lock ordering appends: a table lock no guanai user may take (it needs privileges on
-- audit_log they lack), taken only here. A user can still hold it by appending inside a
-- transaction left open; then the others wait guanai.audit_wait (default 15 s) and are told who.
CREATE FUNCTION @s@.guanai_audit_lock() RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, @s@, pg_temp AS $$
DECLARE
    holders text;
    was text := current_setting('lock_timeout');
BEGIN
    IF NOT EXISTS (SELECT 1 FROM @s@.guanai_me() AS m WHERE m.role IS NOT NULL OR m.trusted) THEN
        PERFORM @s@.guanai_refuse('access.stranger');
    END IF;
    PERFORM set_config('lock_timeout', coalesce(nullif(current_setting('guanai.audit_wait', true), ''), '15s'), true);
    LOCK TABLE @s@.audit_log IN SHARE ROW EXCLUSIVE MODE;
    PERFORM set_config('lock_timeout', was, true);
EXCEPTION WHEN lock_not_available THEN
    SELECT string_agg(DISTINCT a.usename || ' (' || a.pid || ')', ', ') INTO holders
        FROM pg_catalog.pg_locks AS l JOIN pg_catalog.pg_stat_activity AS a ON a.pid = l.pid
        WHERE l.relation = '@s@.audit_log'::regclass AND l.granted AND l.mode = 'ShareRowExclusiveLock';
    PERFORM @s@.guanai_refuse('audit.lock_held', coalesce(holders, '?'));
END $$;

-- Append entries (a JSON array of {action, table_name, row_key, before, after, org}) after the
-- chain's tail: the id, time, actor and hash are the database's. Internal: callers go through
-- guanai_audit_append (which checks each row's org) or a definer function of guanai's.
CREATE FUNCTION @s@.guanai_audit_write(p_entries jsonb, p_source varchar, OUT last_id integer, OUT last_hash varchar)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, @s@, pg_temp AS $$
DECLARE
    e jsonb;
    v_at timestamp;
    v_org varchar;
    v_nonce varchar;
    me record;
BEGIN
    SELECT * INTO me FROM @s@.guanai_me();
    IF jsonb_typeof(p_entries) IS DISTINCT FROM 'array' OR jsonb_path_exists(p_entries, 'strict $.**{12}') THEN
        PERFORM @s@.guanai_refuse('audit.bad_entries');  -- a list of flat entries, never 3,000 levels deep
    END IF;
    PERFORM @s@.guanai_audit_lock();
    SELECT a.id, a.hash INTO last_id, last_hash FROM @s@.audit_log AS a ORDER BY a.id DESC LIMIT 1;
    last_id := coalesce(last_id, 0);
    last_hash := coalesce(last_hash, repeat('0', 64));
    v_at := clock_timestamp() AT TIME ZONE 'UTC';
    FOR e IN SELECT value FROM jsonb_array_elements(p_entries) LOOP
        last_id := last_id + 1;
        v_org := coalesce(e->>'org', me.org);
        v_nonce := gen_random_uuid()::text;
        INSERT INTO @s@.audit_log (id, at, actor, action, table_name, row_key, before, after, source, org,
                                   prev_hash, hash, rule, nonce)
        VALUES (last_id, v_at, left(session_user, 100), left(e->>'action', 16), left(e->>'table_name', 32),
                left(coalesce(e->>'row_key', ''), 200), nullif(e->'before', 'null')::json,
                nullif(e->'after', 'null')::json, left(p_source, 300), v_org, last_hash,
                @s@.guanai_audit_hash(last_hash, last_id, v_at, left(session_user, 100), left(e->>'action', 16),
                    left(e->>'table_name', 32), left(coalesce(e->>'row_key', ''), 200), nullif(e->'before', 'null'),
                    nullif(e->'after', 'null'), left(p_source, 300), v_org, v_nonce), 2, v_nonce)
        RETURNING hash INTO last_hash;
    END LOOP;
END $$;

-- What a user calls: the caller must be a user of this database, and each row's org one of the
-- units it acts for (a school writes about itself, never about another school).
CREATE FUNCTION @s@.guanai_audit_append(p_entries jsonb, p_source varchar, OUT last_id integer, OUT last_hash varchar)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, @s@, pg_temp AS $$
DECLARE
    me record;
    bad varchar;
BEGIN
    SELECT * INTO me FROM @s@.guanai_me();
    IF me.role IS NULL AND NOT me.trusted THEN
        PERFORM @s@.guanai_refuse('access.stranger');
    END IF;
    SELECT e->>'org' INTO bad FROM jsonb_array_elements(p_entries) AS e
        WHERE e->>'org' IS NOT NULL AND e->>'org' NOT IN (SELECT @s@.guanai_orgs_under()) LIMIT 1;
    IF bad IS NOT NULL THEN
        PERFORM @s@.guanai_refuse('audit.foreign_org', bad);
    END IF;
    SELECT w.last_id, w.last_hash INTO last_id, last_hash FROM @s@.guanai_audit_write(p_entries, p_source) AS w;
END $$;

-- Every row's place in the chain (id, time, hashes), past row-level security: a user checks that
-- the chain is whole, and the content of the rows it may read (guanai audit verify).
CREATE FUNCTION @s@.guanai_audit_links() RETURNS TABLE(id integer, at timestamp, prev_hash varchar, hash varchar)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, @s@, pg_temp AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM @s@.guanai_me() AS m WHERE m.role IS NOT NULL OR m.trusted) THEN
        PERFORM @s@.guanai_refuse('access.stranger');
    END IF;
    RETURN QUERY SELECT a.id, a.at, a.prev_hash, a.hash FROM @s@.audit_log AS a ORDER BY a.id;
END $$;

-- —— contacts in full: asked for in one transaction, read in a later one ——
-- A read of full contacts needs its audit row committed first: guanai_contacts_request() appends
-- it (the ids asked for, and the transaction that asked) and returns its id; guanai_contacts()
-- gives the values only in another transaction, once that row is committed — a caller cannot read
-- and then roll the audit back. A request serves its caller for ten minutes.

CREATE FUNCTION @s@.guanai_contacts_request(p_kind varchar, p_ids varchar[], p_row_key varchar, p_source varchar,
    p_org varchar) RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, @s@, pg_temp AS $$
DECLARE
    me record;
    made integer;
BEGIN
    SELECT * INTO me FROM @s@.guanai_me();
    IF me.role IS NULL AND NOT me.trusted THEN
        PERFORM @s@.guanai_refuse('access.stranger');
    END IF;
    IF p_kind IS NULL OR p_kind NOT IN ('child', 'staff') OR p_ids IS NULL THEN
        PERFORM @s@.guanai_refuse('access.bad_request');
    END IF;
    SELECT a.last_id INTO made FROM @s@.guanai_audit_append(jsonb_build_array(jsonb_build_object(
        'action', 'show_contacts', 'table_name', p_kind, 'row_key', coalesce(nullif(p_row_key, ''), '*'),
        'org', p_org, 'after', jsonb_build_object('ids', to_jsonb(p_ids), 'txid', txid_current()::text))),
        p_source) AS a;
    RETURN made;
END $$;

CREATE FUNCTION @s@.guanai_contacts(p_request integer) RETURNS TABLE(id varchar, field varchar, value text)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, @s@, pg_temp SET TimeZone = 'Asia/Shanghai' AS $$
DECLARE
    me record;
    asked record;
BEGIN
    SELECT * INTO me FROM @s@.guanai_me();
    IF me.role IS NULL AND NOT me.trusted THEN
        PERFORM @s@.guanai_refuse('access.stranger');
    END IF;
    SELECT a.table_name AS kind, a.after AS after INTO asked FROM @s@.audit_log AS a
        WHERE a.id = p_request AND a.actor = session_user AND a.action = 'show_contacts'
          AND a.at > (clock_timestamp() AT TIME ZONE 'UTC') - interval '10 minutes';
    IF asked IS NULL OR (asked.after::jsonb)->>'txid' = txid_current()::text THEN
        PERFORM @s@.guanai_refuse('access.contacts_unaudited');  -- no request, or not committed yet
    END IF;
    RETURN QUERY SELECT c.id, c.field, c.value FROM @s@.contact AS c
        WHERE c.kind = asked.kind
          AND c.id IN (SELECT jsonb_array_elements_text((asked.after::jsonb)->'ids'))
          AND (me.trusted OR c.school IN (SELECT @s@.guanai_schools()))
          AND (me.role IS DISTINCT FROM 'teacher'
               OR (asked.kind = 'child' AND c.id IN (
                       SELECT p.child FROM @s@.pairing AS p WHERE p.staff = me.staff AND p.start <= current_date
                       AND (p."end" IS NULL OR p."end" >= current_date)))
               OR (asked.kind = 'staff' AND c.id = me.staff));
END $$;

-- —— transfers (转学, 调动) ——

-- For an import: of the ids the caller cannot see, which are enrolled at another school now
-- ('enrolled') and which have left the school they were at ('left'); never where. The question
-- is audited.
CREATE FUNCTION @s@.guanai_enrolment(p_kind varchar, p_ids varchar[], p_source varchar)
RETURNS TABLE(id varchar, status varchar)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, @s@, pg_temp AS $$
DECLARE
    me record;
    found integer;
BEGIN
    SELECT * INTO me FROM @s@.guanai_me();
    IF NOT me.trusted AND (me.role IS NULL OR me.role = 'teacher') THEN
        PERFORM @s@.guanai_refuse('access.not_allowed');
    END IF;
    IF coalesce(array_length(p_ids, 1), 0) = 0 THEN
        RETURN;
    END IF;
    -- no temporary table here: a definer function must not write into a table the caller could
    -- have made in advance (with a trigger of its own)
    IF p_kind = 'child' THEN
        RETURN QUERY SELECT c.id, CASE WHEN c.left_on IS NULL THEN 'enrolled' ELSE 'left' END::varchar
            FROM @s@.child AS c WHERE c.id = ANY(p_ids) AND c.school NOT IN (SELECT @s@.guanai_schools());
    ELSE
        RETURN QUERY SELECT s.id, CASE WHEN s.left_on IS NULL THEN 'enrolled' ELSE 'left' END::varchar
            FROM @s@.staff AS s WHERE s.id = ANY(p_ids) AND s.school NOT IN (SELECT @s@.guanai_schools());
    END IF;
    GET DIAGNOSTICS found = ROW_COUNT;
    PERFORM @s@.guanai_audit_write(jsonb_build_array(jsonb_build_object(
        'action', 'lookup', 'table_name', p_kind, 'row_key', 'enrolment', 'org', me.org,
        'after', jsonb_build_object('ids', to_jsonb(p_ids), 'found', found))), p_source);
END $$;

-- Move a child (转学) or a staff member (调动) to p_school from p_start: the old school keeps its
-- span and its pairings end the day before. A school takes in only someone who has left the old
-- school (离校 recorded there); a township or county user above both schools moves anyone;
-- teachers never. Both schools' audits say so.
CREATE FUNCTION @s@.guanai_transfer(p_kind varchar, p_id varchar, p_school varchar, p_start date, p_source varchar)
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, @s@, pg_temp AS $$
DECLARE
    me record;
    old_school varchar;
    old_class varchar;
    old_start date;
    old_left date;
    old_name varchar;
    last_day date := p_start - 1;
BEGIN
    SELECT * INTO me FROM @s@.guanai_me();
    IF p_kind IS NULL OR p_kind NOT IN ('child', 'staff') OR p_id IS NULL OR p_school IS NULL OR p_start IS NULL THEN
        PERFORM @s@.guanai_refuse('access.bad_request');
    END IF;
    IF NOT me.trusted THEN
        IF me.role IS NULL OR me.role = 'teacher' THEN
            PERFORM @s@.guanai_refuse('transfer.not_allowed');
        END IF;
        IF p_school NOT IN (SELECT @s@.guanai_schools()) THEN
            PERFORM @s@.guanai_refuse('transfer.not_allowed');
        END IF;
    END IF;
    IF p_kind = 'child' THEN
        SELECT c.school, c.class_name, c.enrolled_on, c.left_on, c.name INTO old_school, old_class, old_start, old_left,
            old_name FROM @s@.child AS c WHERE c.id = p_id FOR UPDATE;
    ELSIF p_kind = 'staff' THEN
        SELECT s.school, s.head_of_class, s.joined_on, s.left_on INTO old_school, old_class, old_start, old_left
            FROM @s@.staff AS s WHERE s.id = p_id FOR UPDATE;
    END IF;
    IF old_school IS NULL OR old_school = p_school THEN
        PERFORM @s@.guanai_refuse('transfer.not_elsewhere');
    END IF;
    -- a school of the same county takes in only someone who has already left (a leaving recorded for
    -- a day still to come is not one); a user above both schools moves anyone
    IF NOT me.trusted AND old_school NOT IN (SELECT @s@.guanai_schools())
       AND (old_left IS NULL OR old_left > p_start OR old_left > current_date
            OR @s@.guanai_root(old_school) IS DISTINCT FROM @s@.guanai_root(p_school)) THEN
        PERFORM @s@.guanai_refuse('transfer.still_enrolled');
    END IF;
    IF old_start IS NOT NULL AND p_start <= old_start THEN
        PERFORM @s@.guanai_refuse('transfer.before_start');
    END IF;
    PERFORM @s@.guanai_audit_write(jsonb_build_array(
        jsonb_build_object('action', 'transfer', 'table_name', p_kind, 'row_key', p_id, 'org', p_school,
                           'after', jsonb_build_object('from', old_school, 'to', p_school, 'start', p_start)),
        jsonb_build_object('action', 'transfer_out', 'table_name', p_kind, 'row_key', p_id, 'org', old_school,
                           'after', jsonb_build_object('from', old_school, 'to', p_school, 'start', p_start))),
        p_source);
    IF p_kind = 'child' THEN
        INSERT INTO @s@.past_enrolment (child, school, class_name, start, "end", name)
            VALUES (p_id, old_school, old_class, old_start, least(coalesce(old_left, p_start), p_start), old_name);
        UPDATE @s@.pairing AS p SET "end" = last_day WHERE p.child = p_id
            AND p.staff IN (SELECT s.id FROM @s@.staff AS s WHERE s.school = old_school)
            AND p.start <= last_day AND (p."end" IS NULL OR p."end" > last_day);
        UPDATE @s@.child AS c SET school = p_school, class_name = NULL, enrolled_on = p_start, left_on = NULL
            WHERE c.id = p_id;
    ELSE
        INSERT INTO @s@.past_staff (staff, school, head_of_class, start, "end")
            VALUES (p_id, old_school, old_class, old_start, least(coalesce(old_left, p_start), p_start));
        UPDATE @s@.pairing AS p SET "end" = last_day WHERE p.staff = p_id
            AND p.child IN (SELECT c.id FROM @s@.child AS c WHERE c.school = old_school)
            AND p.start <= last_day AND (p."end" IS NULL OR p."end" > last_day);
        UPDATE @s@.staff AS s SET school = p_school, head_of_class = NULL, joined_on = p_start, left_on = NULL
            WHERE s.id = p_id;
    END IF;
    UPDATE @s@.contact AS k SET school = p_school WHERE k.kind = p_kind AND k.id = p_id;
END $$;

-- —— users: made by the owner or an admin, through these functions (the owner has CREATEROLE;
-- an admin does not need it) ——

CREATE FUNCTION @s@.guanai_user_add(p_name varchar, p_verifier text, p_org varchar, p_role varchar,
    p_staff varchar) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, @s@, pg_temp AS $$
DECLARE
    me record;
    v_group text;
BEGIN
    SELECT * INTO me FROM @s@.guanai_me();
    IF NOT me.trusted AND me.role IS DISTINCT FROM 'admin' THEN
        PERFORM @s@.guanai_refuse('user.not_admin');
    END IF;
    IF p_name IS NULL OR p_org IS NULL OR p_role IS NULL OR p_verifier IS NULL THEN
        PERFORM @s@.guanai_refuse('access.bad_request');
    END IF;
    IF NOT me.trusted AND p_org NOT IN (SELECT @s@.guanai_orgs_under()) THEN
        PERFORM @s@.guanai_refuse('user.outside_scope', p_org);
    END IF;
    IF p_verifier NOT LIKE 'SCRAM-SHA-256$%' THEN
        PERFORM @s@.guanai_refuse('user.bad_verifier');
    END IF;
    v_group := CASE p_role WHEN 'teacher' THEN @teacher_text@ WHEN 'school' THEN @school_text@
                           WHEN 'township' THEN @township_text@ WHEN 'county' THEN @county_text@
                           WHEN 'admin' THEN @admin_text@ END;
    IF v_group IS NULL THEN
        PERFORM @s@.guanai_refuse('user.bad_role', p_role);
    END IF;
    IF p_name !~ '^[a-z_][a-z0-9_]{0,62}$' OR p_name LIKE 'pg\_%' OR p_name LIKE 'guanai\_%'
       OR p_name IN ('public', 'none', 'current_user', 'session_user', 'current_role', 'user', 'all')
       OR EXISTS (SELECT 1 FROM pg_catalog.pg_roles AS r WHERE r.rolname = p_name) THEN
        PERFORM @s@.guanai_refuse('user.bad_name', p_name);
    END IF;
    EXECUTE format('CREATE ROLE %I LOGIN PASSWORD %L IN ROLE %I', p_name, p_verifier, v_group);
    INSERT INTO @s@.app_user (name, org, role, staff, created_at)
        VALUES (p_name, p_org, p_role, p_staff, clock_timestamp() AT TIME ZONE 'UTC');
    PERFORM @s@.guanai_audit_write(jsonb_build_array(jsonb_build_object(
        'action', 'user_add', 'table_name', 'app_user', 'row_key', p_name, 'org', p_org,
        'after', jsonb_build_object('role', p_role, 'staff', p_staff))), 'cli');
END $$;

CREATE FUNCTION @s@.guanai_user_remove(p_name varchar) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, @s@, pg_temp AS $$
DECLARE
    me record;
    v_org varchar;
BEGIN
    SELECT * INTO me FROM @s@.guanai_me();
    IF NOT me.trusted AND me.role IS DISTINCT FROM 'admin' THEN
        PERFORM @s@.guanai_refuse('user.not_admin');
    END IF;
    SELECT u.org INTO v_org FROM @s@.app_user AS u WHERE u.name = p_name;
    IF v_org IS NULL THEN
        PERFORM @s@.guanai_refuse('user.unknown', p_name);
    END IF;
    IF NOT me.trusted AND v_org NOT IN (SELECT @s@.guanai_orgs_under()) THEN
        PERFORM @s@.guanai_refuse('user.outside_scope', v_org);
    END IF;
    DELETE FROM @s@.app_user AS u WHERE u.name = p_name;
    EXECUTE format('DROP ROLE %I', p_name);
    PERFORM @s@.guanai_audit_write(jsonb_build_array(jsonb_build_object(
        'action', 'user_remove', 'table_name', 'app_user', 'row_key', p_name, 'org', v_org)), 'cli');
END $$;

-- —— references stay inside the boundary, whoever writes (the owner too) ——

-- Each new or changed record is about someone or something of its own school, and signed (when it
-- is) by a staff member of that school: now, or in a span the school keeps (转学, 调动).
CREATE FUNCTION @s@.guanai_check_record() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, @s@, pg_temp AS $$
DECLARE
    bad record;
BEGIN
    SELECT n.subject_kind, n.subject, n.school INTO bad FROM guanai_new AS n
    WHERE NOT (
        CASE n.subject_kind
            WHEN 'child' THEN EXISTS (SELECT 1 FROM @s@.child AS c WHERE c.id = n.subject AND c.school = n.school)
                           OR EXISTS (SELECT 1 FROM @s@.past_enrolment AS p WHERE p.child = n.subject AND p.school = n.school)
            WHEN 'staff' THEN EXISTS (SELECT 1 FROM @s@.staff AS s WHERE s.id = n.subject AND s.school = n.school)
                           OR EXISTS (SELECT 1 FROM @s@.past_staff AS p WHERE p.staff = n.subject AND p.school = n.school)
            WHEN 'school' THEN n.subject = n.school
            WHEN 'class' THEN EXISTS (SELECT 1 FROM @s@.school_class AS k WHERE k.school = n.school AND k.name = n.subject)
            ELSE false
        END
        AND (n.by_staff IS NULL
             OR EXISTS (SELECT 1 FROM @s@.staff AS s WHERE s.id = n.by_staff AND s.school = n.school)
             OR EXISTS (SELECT 1 FROM @s@.past_staff AS p WHERE p.staff = n.by_staff AND p.school = n.school)))
    LIMIT 1;
    IF FOUND THEN
        PERFORM @s@.guanai_refuse('boundary.record', bad.subject_kind || ' ' || bad.subject || ' @ ' || bad.school);
    END IF;
    RETURN NULL;
END $$;

-- A pairing's child and partner (a staff member, or a pupil for a study buddy) share a school.
CREATE FUNCTION @s@.guanai_check_pairing() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, @s@, pg_temp AS $$
DECLARE
    bad record;
BEGIN
    SELECT n.child, coalesce(n.staff, n.buddy) AS partner INTO bad FROM guanai_new AS n
    WHERE NOT EXISTS (
        SELECT 1 FROM (SELECT c.school FROM @s@.child AS c WHERE c.id = n.child
                       UNION SELECT p.school FROM @s@.past_enrolment AS p WHERE p.child = n.child) AS mine
        JOIN (SELECT s.school FROM @s@.staff AS s WHERE s.id = n.staff
              UNION SELECT p.school FROM @s@.past_staff AS p WHERE p.staff = n.staff
              UNION SELECT c.school FROM @s@.child AS c WHERE c.id = n.buddy
              UNION SELECT p.school FROM @s@.past_enrolment AS p WHERE p.child = n.buddy) AS theirs
        USING (school))
    LIMIT 1;
    IF FOUND THEN
        PERFORM @s@.guanai_refuse('boundary.pairing', bad.child || ' / ' || bad.partner);
    END IF;
    RETURN NULL;
END $$;

-- A contact row belongs to the school its child or staff member is at; an earlier class (转班) to
-- the school the child is at.
CREATE FUNCTION @s@.guanai_check_contact() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, @s@, pg_temp AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM guanai_new AS n WHERE NOT (
            (n.kind = 'child' AND EXISTS (SELECT 1 FROM @s@.child AS c WHERE c.id = n.id AND c.school = n.school))
            OR (n.kind = 'staff' AND EXISTS (SELECT 1 FROM @s@.staff AS s WHERE s.id = n.id AND s.school = n.school)))) THEN
        PERFORM @s@.guanai_refuse('boundary.contact');
    END IF;
    RETURN NULL;
END $$;

CREATE FUNCTION @s@.guanai_check_past_class() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, @s@, pg_temp AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM guanai_new AS n WHERE NOT EXISTS (
            SELECT 1 FROM @s@.child AS c WHERE c.id = n.child AND c.school = n.school)) THEN
        PERFORM @s@.guanai_refuse('boundary.past_class');
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER guanai_record_in_school AFTER INSERT ON @s@.record REFERENCING NEW TABLE AS guanai_new
    FOR EACH STATEMENT EXECUTE FUNCTION @s@.guanai_check_record();
CREATE TRIGGER guanai_record_stays_in_school AFTER UPDATE ON @s@.record REFERENCING NEW TABLE AS guanai_new
    FOR EACH STATEMENT EXECUTE FUNCTION @s@.guanai_check_record();
CREATE TRIGGER guanai_pairing_in_school AFTER INSERT ON @s@.pairing REFERENCING NEW TABLE AS guanai_new
    FOR EACH STATEMENT EXECUTE FUNCTION @s@.guanai_check_pairing();
CREATE TRIGGER guanai_contact_in_school AFTER INSERT ON @s@.contact REFERENCING NEW TABLE AS guanai_new
    FOR EACH STATEMENT EXECUTE FUNCTION @s@.guanai_check_contact();
CREATE TRIGGER guanai_contact_stays_in_school AFTER UPDATE ON @s@.contact REFERENCING NEW TABLE AS guanai_new
    FOR EACH STATEMENT EXECUTE FUNCTION @s@.guanai_check_contact();
CREATE TRIGGER guanai_past_class_in_school AFTER INSERT ON @s@.past_class REFERENCING NEW TABLE AS guanai_new
    FOR EACH STATEMENT EXECUTE FUNCTION @s@.guanai_check_past_class();
-- a pairing's people change only by a new pairing (an end date may change)
CREATE FUNCTION @s@.guanai_pairing_people_fixed() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    PERFORM @s@.guanai_refuse('boundary.pairing', OLD.child);
    RETURN NULL;
END $$;
CREATE TRIGGER guanai_pairing_people BEFORE UPDATE OF child, staff, buddy ON @s@.pairing FOR EACH ROW
    WHEN (OLD.child IS DISTINCT FROM NEW.child OR OLD.staff IS DISTINCT FROM NEW.staff
          OR OLD.buddy IS DISTINCT FROM NEW.buddy)
    EXECUTE FUNCTION @s@.guanai_pairing_people_fixed();

-- —— row-level security ——

CREATE POLICY by_org ON @s@.child USING (school IN (SELECT @s@.guanai_schools()))
    WITH CHECK (school IN (SELECT @s@.guanai_schools()));
CREATE POLICY by_org ON @s@.staff USING (school IN (SELECT @s@.guanai_schools()))
    WITH CHECK (school IN (SELECT @s@.guanai_schools()));
CREATE POLICY by_org ON @s@.record USING (school IN (SELECT @s@.guanai_schools()))
    WITH CHECK (school IN (SELECT @s@.guanai_schools()));
CREATE POLICY by_org ON @s@.school_class USING (school IN (SELECT @s@.guanai_schools()))
    WITH CHECK (school IN (SELECT @s@.guanai_schools()));
CREATE POLICY by_org ON @s@.past_enrolment USING (school IN (SELECT @s@.guanai_schools()))
    WITH CHECK (school IN (SELECT @s@.guanai_schools()));
CREATE POLICY by_org ON @s@.past_class USING (school IN (SELECT @s@.guanai_schools()))
    WITH CHECK (school IN (SELECT @s@.guanai_schools()));
CREATE POLICY by_org ON @s@.past_staff USING (school IN (SELECT @s@.guanai_schools()))
    WITH CHECK (school IN (SELECT @s@.guanai_schools()));
CREATE POLICY by_org ON @s@.contact USING (school IN (SELECT @s@.guanai_schools()))
    WITH CHECK (school IN (SELECT @s@.guanai_schools()));
CREATE POLICY by_org ON @s@.pairing USING (child IN (SELECT c.id FROM @s@.child AS c))
    WITH CHECK (child IN (SELECT c.id FROM @s@.child AS c));
CREATE POLICY by_org ON @s@.follow_up USING (record_id IN (SELECT r.id FROM @s@.record AS r))
    WITH CHECK (record_id IN (SELECT r.id FROM @s@.record AS r));
CREATE POLICY read_own ON @s@.audit_log FOR SELECT USING (org IN (SELECT @s@.guanai_orgs_under()));
CREATE POLICY own ON @s@.app_user FOR SELECT
    USING (name = session_user OR (@s@.guanai_is_admin() AND org IN (SELECT @s@.guanai_orgs_under())));
-- org units: a user sees its own unit, what is under it and what is above it; an admin changes
-- units under its own (the owner any)
ALTER TABLE @s@.org_unit ENABLE ROW LEVEL SECURITY;
CREATE POLICY seen ON @s@.org_unit FOR SELECT USING (code IN (SELECT @s@.guanai_orgs_seen()));
CREATE POLICY admin_adds ON @s@.org_unit FOR INSERT WITH CHECK (parent IN (SELECT @s@.guanai_orgs_under()));
CREATE POLICY admin_changes ON @s@.org_unit FOR UPDATE USING (code IN (SELECT @s@.guanai_orgs_under())
    AND code NOT IN (SELECT u.org FROM @s@.app_user AS u WHERE u.name = session_user))
    WITH CHECK (parent IN (SELECT @s@.guanai_orgs_under()));
-- programmes: a version is seen where it is bound to a unit the user sees, or by who published it;
-- a county binds versions to units under it
CREATE FUNCTION @s@.guanai_versions_seen() RETURNS SETOF integer
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, @s@, pg_temp AS $$
    SELECT b.version_id FROM @s@.programme_binding AS b WHERE b.org IN (SELECT @s@.guanai_orgs_seen())
    UNION SELECT v.id FROM @s@.programme_version AS v WHERE v.published_by = session_user
$$;
ALTER TABLE @s@.programme_binding ENABLE ROW LEVEL SECURITY;
CREATE POLICY seen ON @s@.programme_binding FOR SELECT USING (org IN (SELECT @s@.guanai_orgs_seen()));
CREATE POLICY binds_under ON @s@.programme_binding FOR INSERT WITH CHECK (org IN (SELECT @s@.guanai_orgs_under())
    AND version_id IN (SELECT @s@.guanai_versions_seen()));
ALTER TABLE @s@.programme_version ENABLE ROW LEVEL SECURITY;
CREATE POLICY seen ON @s@.programme_version FOR SELECT
    USING (published_by = session_user OR id IN (SELECT @s@.guanai_versions_seen()));
CREATE POLICY publishes ON @s@.programme_version FOR INSERT WITH CHECK (published_by = session_user);
-- a record is entered as oneself
CREATE POLICY entered_as_self ON @s@.record AS RESTRICTIVE FOR INSERT WITH CHECK (recorded_by = session_user);
-- no JSON a person could not have typed: a record's fields and a pupil's extra cells are a few
-- levels deep, never thousands (which would crash every listing that reads them)
ALTER TABLE @s@.record ADD CONSTRAINT guanai_payload_shallow CHECK (NOT jsonb_path_exists(payload::jsonb, 'strict $.**{8}'));
ALTER TABLE @s@.child ADD CONSTRAINT guanai_profile_shallow CHECK (NOT jsonb_path_exists(profile::jsonb, 'strict $.**{8}'));
