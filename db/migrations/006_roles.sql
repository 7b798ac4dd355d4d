-- 006_roles.sql — the read model's roles, for a deployment where the schema's owner applies the
-- migrations (`vaksin-projector --migrate`) and every program logs in without DDL rights.
--
--   vaksin_projector     the writer: SELECT, INSERT, UPDATE on the read-model tables (002–005), and
--                        now SELECT on schema_migration, so that with migrate.on.start=false the
--                        projector can check at start that the schema has every migration it needs.
--   vaksin_dashboard     SELECT on the dashboard views only (002, 004): no name, NIK or phone.
--   vaksin_registration  vaksin-registration's ticket → NIK lookup: SELECT (nik, ticket) on target.
--   vaksin_ops           a reader for operators: SELECT on every table and view (vaksin-status,
--                        vaksin-trail, vaksin-redrive, the live side of vaksin-rebuild, incidents).
--
-- All are NOLOGIN groups: grant them to login roles (GRANT vaksin_ops TO alice). Creating a role
-- needs CREATEROLE, so a role is created only when it is missing: an owner without CREATEROLE
-- works when the roles were made beforehand (compose/postgres/roles.sql makes them, as the
-- superuser, with the database). Privileges on the database itself — CONNECT, and TEMPORARY for
-- the projector, which stages its writes in temporary tables — are the operator's, not a
-- migration's (the database's name is the deployment's): compose/postgres/roles.sql grants them.
--
-- The schema is the current one (vaksin-rebuild migrates its own schema through search_path),
-- never a fixed "public". A table a later migration adds is readable by vaksin_ops through the
-- default privileges below; the writer's and the dashboard's grants stay explicit.

DO $$
DECLARE
    r text;
BEGIN
    FOREACH r IN ARRAY ARRAY['vaksin_projector', 'vaksin_dashboard', 'vaksin_registration',
                             'vaksin_ops'] LOOP
        CONTINUE WHEN EXISTS (SELECT FROM pg_roles WHERE rolname = r);
        IF NOT (SELECT rolsuper OR rolcreaterole FROM pg_roles WHERE rolname = current_user) THEN
            RAISE EXCEPTION 'role % does not exist, and % may not create roles', r, current_user
                USING HINT = 'create the group roles first as a role with CREATEROLE '
                             '(CREATE ROLE ' || r || ' NOLOGIN; see compose/postgres/roles.sql), '
                             'or run this migration as one';
        END IF;
        EXECUTE format('CREATE ROLE %I NOLOGIN', r);
    END LOOP;
    EXECUTE format('GRANT USAGE ON SCHEMA %I TO vaksin_projector, vaksin_dashboard,'
                   ' vaksin_registration, vaksin_ops', current_schema());
    EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA %I GRANT SELECT ON TABLES TO vaksin_ops',
                   current_schema());
END
$$;

-- The writer's grants of 002–005 once more, unchanged: a deployment that hands the schema from an
-- old owner to a new one (REASSIGN OWNED, compose/README.md) loses those made to the old owner.
GRANT SELECT, INSERT, UPDATE ON facility, target, dose, event_log, rejection, consumer_offset,
    access_grant, verification, verification_change
    TO vaksin_projector;
GRANT SELECT, INSERT ON quarantine TO vaksin_projector;
GRANT SELECT ON schema_migration TO vaksin_projector;
GRANT SELECT (nik, ticket) ON target TO vaksin_registration;
GRANT SELECT ON facility, target, event_log, rejection, consumer_offset, dose, access_grant,
    verification, verification_change, quarantine, schema_migration,
    daily_doses_by_facility, daily_doses_by_district, daily_doses_by_province, dose_funnel,
    verification_outcomes
    TO vaksin_ops;
