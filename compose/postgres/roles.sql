-- compose/postgres/roles.sql — the read model's roles and database privileges, run by the
-- PostgreSQL superuser on the vaksin database before the first migration: by
-- 10-vaksin-roles.sh on the postgres container's first start, or by hand on a managed
-- PostgreSQL (as its admin role, which needs CREATEROLE):
--
--   psql -v ON_ERROR_STOP=1 -d vaksin -v owner_pw=… -v projector_pw=… -v registration_pw=… \
--        -v dashboard_pw=… -v ops_pw=… -f roles.sql
--
-- Running it again changes nothing but the passwords (set to the given ones).
--
-- Least privilege:
--   vaksin_owner         LOGIN; owns the database and its schema and applies the migrations
--                        (`vaksin-projector --migrate`, compose's vaksin-migrate job) — nothing
--                        else logs in as it. Neither superuser nor CREATEROLE: the group roles are
--                        made here, so the migrations only grant to them (db/migrations/006).
--   vaksin_projector, vaksin_dashboard, vaksin_registration, vaksin_ops
--                        NOLOGIN groups, granted their tables and views by the migrations
--                        (002_desks, 006_roles): the writer; the dashboard views only; the ticket
--                        → NIK lookup (target's nik and ticket); every table, read-only.
--   projector, registration, grafana, ops
--                        one LOGIN per client, each a member of one group. None may create
--                        anything: no CREATE on the database or the schema (the projector may
--                        create temporary tables, where it stages its writes).

SELECT format('CREATE ROLE %I NOLOGIN', r)
FROM unnest(ARRAY['vaksin_projector', 'vaksin_dashboard', 'vaksin_registration', 'vaksin_ops']) AS r
WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = r) \gexec

CREATE TEMP TABLE vaksin_login (login text, pw text, grp text);
INSERT INTO vaksin_login VALUES
    ('vaksin_owner', :'owner_pw', NULL),
    ('projector', :'projector_pw', 'vaksin_projector'),
    ('registration', :'registration_pw', 'vaksin_registration'),
    ('grafana', :'dashboard_pw', 'vaksin_dashboard'),
    ('ops', :'ops_pw', 'vaksin_ops');

-- An empty password would leave a login without one (PostgreSQL clears it): refuse short ones.
SELECT set_config('vaksin.weak', coalesce(string_agg(login, ', '), ''), false)
FROM vaksin_login WHERE length(pw) < 16 \gset
DO $$
BEGIN
    IF current_setting('vaksin.weak') <> '' THEN
        RAISE EXCEPTION 'passwords shorter than 16 characters for: %', current_setting('vaksin.weak')
            USING HINT = 'openssl rand -hex 24 > secrets/pg-<name>-password';
    END IF;
END
$$;

SELECT format('%s ROLE %I LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD %L',
              CASE WHEN EXISTS (SELECT FROM pg_roles WHERE rolname = login) THEN 'ALTER'
                   ELSE 'CREATE' END, login, pw)
FROM vaksin_login \gexec
SELECT format('GRANT %I TO %I', grp, login) FROM vaksin_login
WHERE grp IS NOT NULL AND NOT pg_has_role(login, grp, 'MEMBER') \gexec
DROP TABLE vaksin_login;

-- The database and its schema belong to the owner; nobody else may create in them.
ALTER DATABASE :"DBNAME" OWNER TO vaksin_owner;
ALTER SCHEMA public OWNER TO vaksin_owner;
REVOKE ALL ON DATABASE :"DBNAME" FROM PUBLIC;
REVOKE ALL ON SCHEMA public FROM PUBLIC;
GRANT CONNECT ON DATABASE :"DBNAME"
    TO vaksin_projector, vaksin_dashboard, vaksin_registration, vaksin_ops;
GRANT TEMPORARY ON DATABASE :"DBNAME" TO vaksin_projector;
