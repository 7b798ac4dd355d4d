#!/usr/bin/env bash
# compose_check — compose/docker-compose.yml holds together, and the PostgreSQL it sets up gives
# each login what it needs and nothing more.
#
# (a) Without Docker: the file parses; every vaksin service runs a program `cmake --install`
#     installs; every file it names exists in the repository or is an operator secret listed in
#     compose/README.md; conditions on every depends_on; a /readyz healthcheck on every vaksin
#     service; the schema is migrated by a one-shot job as the owner and the projector runs with
#     migrate.on.start=false under another login (tests/integration/checks/compose_files.py).
# (b) Against a throwaway PostgreSQL, in a database of its own: compose's initialization
#     (compose/postgres/10-vaksin-roles.sh with roles.sql, twice: it must be rerunnable) as the
#     superuser; the projector with migrate.on.start=false refuses an unmigrated schema with the
#     one line that says what to do; `vaksin-projector --migrate` as the owner login applies every
#     migration; the projector, as its login and with migrate.on.start=false, projects a small
#     import; then what each login may do: the dashboard login reads the views and not `target`,
#     the projector's login runs no DDL, the registration login reads tickets and not names, the
#     ops login reads everything and writes nothing, the owner is no superuser.
source "$(dirname "$0")/lib.sh"
it_setup

# ---- (a) the file ----------------------------------------------------------------------------
cmake --install "${VK_BUILD:?VK_BUILD must name the build directory}" --prefix "$IT_TMP/install" \
    >"$IT_TMP/install.out" 2>&1 || it_fail "cmake --install failed: $(tail -5 "$IT_TMP/install.out")"
"$PY" "$VK_SRC/tests/integration/checks/compose_files.py" "$VK_SRC" "$IT_TMP/install/bin" ||
    it_fail "compose/docker-compose.yml: see above"
echo "ok [$IT_NAME]: compose file, its files, programs, dependencies and healthchecks"

# ---- (b) the database ------------------------------------------------------------------------

# Which login each part uses, as compose and roles.sql say.
logins=$("$PY" "$VK_SRC/tests/integration/checks/compose_files.py" "$VK_SRC" --logins)
login_of() { awk -v k="$1" '$1 == k { print $2; exit }' <<<"$logins"; }
owner=$(login_of vaksin-migrate)
writer=$(login_of projector)
tickets=$(login_of registration)
dashboard=$(login_of vaksin_dashboard)
ops=$(login_of vaksin_ops)
for v in owner writer tickets dashboard ops; do
    [[ -n "${!v}" ]] || it_fail "no $v login in compose/docker-compose.yml or compose/postgres/roles.sql"
done

db=vaksin_compose
it_sql "CREATE DATABASE $db"
super=${VAKSIN_PG/dbname=vaksin/dbname=$db}
super_user=$(sed -n 's/.*user=\([^ ]*\).*/\1/p' <<<"$super")
pg_host=$(sed -n 's/.*host=\([^ ]*\).*/\1/p' <<<"$super")
pg_port=$(sed -n 's/.*port=\([^ ]*\).*/\1/p' <<<"$super")
as() { printf 'host=%s port=%s dbname=%s user=%s' "$pg_host" "$pg_port" "$db" "$1"; }
# The read model from here on: it_sql and vaksin-status read this database.
export VAKSIN_PG=$super

mkdir -m 700 "$IT_TMP/secrets"
for name in owner projector registration dashboard ops; do
    openssl rand -hex 24 >"$IT_TMP/secrets/pg-$name-password"
done
init() {
    POSTGRES_USER=$super_user POSTGRES_DB=$db PGHOST=$pg_host PGPORT=$pg_port \
        VAKSIN_PG_SECRETS=$IT_TMP/secrets VAKSIN_ROLES_SQL=$VK_SRC/compose/postgres/roles.sql \
        bash -Eeo pipefail -c 'source "$1"' init "$VK_SRC/compose/postgres/10-vaksin-roles.sh" \
        >"$IT_TMP/init.out" 2>&1 || it_fail "compose's PostgreSQL initialization failed: $(cat "$IT_TMP/init.out")"
}
init
init # rerunnable: a second run changes nothing but the passwords
logins_in="'$owner', '$writer', '$tickets', '$dashboard', '$ops'"
it_eq "logins made by roles.sql, none superuser, CREATEROLE or CREATEDB" "5|0" \
    "$(it_sql "SELECT count(*), count(*) FILTER (WHERE rolsuper OR rolcreaterole OR rolcreatedb)
               FROM pg_roles WHERE rolcanlogin AND rolname IN ($logins_in)")"
it_eq "group roles cannot log in" "0" \
    "$(it_sql "SELECT count(*) FROM pg_roles WHERE rolcanlogin AND rolname LIKE 'vaksin\_%' AND rolname <> '$owner'")"
it_eq "every login has a password" "5" \
    "$(it_sql "SELECT count(*) FROM pg_authid WHERE rolpassword LIKE 'SCRAM-SHA-256\$%' AND rolname IN ($logins_in)")"

# Before any migration, the projector without DDL refuses to start and says what to do.
needs=$(basename "$(find "$VK_SRC/db/migrations" -name '*.sql' | sort | tail -1)" .sql)
out=$("$VAKSIN_BIN/vaksin-projector" --config "$VAKSIN_RUN_DIR/vaksin.conf" -X "pg.conninfo=$(as "$writer")" \
    -X migrate.on.start=false 2>&1) && it_fail "the projector started on an unmigrated schema: $out"
grep -q "msg=\"schema at nothing (no migration applied), this vaksin-projector needs $needs: run vaksin-projector --migrate as the schema owner\"" <<<"$out" ||
    it_fail "the projector's refusal does not say what to do: $out"
echo "ok [$IT_NAME]: an unmigrated schema: the projector refuses, naming $needs and --migrate"

# The owner's step.
migrate() { VAKSIN_PG=$(as "$owner") "$VAKSIN_BIN/vaksin-projector" --migrate 2>"$IT_TMP/migrate.err"; }
out=$(migrate) || it_fail "vaksin-projector --migrate as $owner failed: $(tail -5 "$IT_TMP/migrate.err")"
it_eq "--migrate applied" \
    "$(cd "$VK_SRC/db/migrations" && printf 'applied %s\n' *.sql)"$'\n'"schema at $needs: up to date" "$out"
it_eq "the schema's owner" "$owner" \
    "$(it_sql "SELECT string_agg(DISTINCT tableowner, ',') FROM pg_tables WHERE schemaname = 'public'")"
out=$(migrate) || it_fail "a second --migrate failed: $(tail -5 "$IT_TMP/migrate.err")"
it_eq "a second --migrate" "schema at $needs: up to date, nothing to apply" "$out"

# One migration missing: the line names where the schema is and what is needed.
latest=$(it_sql "SELECT max(version) FROM schema_migration")
previous=$(it_sql "SELECT max(version) FROM schema_migration WHERE version < '$latest'")
it_sql "DELETE FROM schema_migration WHERE version = '$latest'"
out=$("$VAKSIN_BIN/vaksin-projector" --config "$VAKSIN_RUN_DIR/vaksin.conf" -X "pg.conninfo=$(as "$writer")" \
    -X migrate.on.start=false 2>&1) && it_fail "the projector started without $latest: $out"
grep -q "msg=\"schema at ${previous%.sql}, this vaksin-projector needs $needs: run vaksin-projector --migrate as the schema owner\"" <<<"$out" ||
    it_fail "the projector's refusal without $latest: $out"
it_sql "INSERT INTO schema_migration (version) VALUES ('$latest')" # as it was: its objects are there
echo "ok [$IT_NAME]: one migration missing: refused with 'schema at ${previous%.sql}'"

# The projector as its own login, applying nothing, projects an import.
csv=$IT_TMP/sisdmk.csv
"$VK_SRC/scripts/gen-sample" --rows 200 "$csv" >/dev/null
vk_service_start projector -X "pg.conninfo=$(as "$writer")" -X migrate.on.start=false
vk_service_start ticket
"$VAKSIN_BIN/vaksin-import" "$csv" >"$IT_TMP/import.out" 2>"$IT_TMP/import.err" ||
    it_fail "import failed: $(tail -3 "$IT_TMP/import.err")"
VAKSIN_PG=$(as "$ops") it_wait_caught_up 180 # vaksin-status reads the offsets as ops
grep -q 'migrate.on.start=false, none applied' "$VAKSIN_RUN_DIR/logs/projector.log" ||
    it_fail "the projector did not start with migrate.on.start=false"
targets=$(it_expected "$csv.expected.json" valid_unique_niks)
it_eq "targets projected by $writer" "$targets" "$(it_sql "SELECT count(*) FROM target")"
it_eq "facilities loaded by $writer" "$(($(grep -c . "$VK_SRC/config/facilities.csv") - 1))" \
    "$(it_sql "SELECT count(*) FROM facility")"

# What each login may do.
psql_as() { psql "$(as "$1")" -v ON_ERROR_STOP=1 -XAtq -c "$2" 2>&1; }
refused() { # LOGIN SQL WHAT
    local out
    out=$(psql_as "$1" "$2") && it_fail "$1 may $3: $2 → $out"
    grep -q -E "permission denied|must be owner" <<<"$out" ||
        it_fail "$1, $3: expected permission denied, got: $out"
    echo "ok [$IT_NAME]: $1 may not $3"
}
allowed() { # LOGIN SQL WHAT EXPECTED
    local out
    out=$(psql_as "$1" "$2") || it_fail "$1 may not $3: $2 → $out"
    it_eq "$1 may $3" "$4" "$out"
}
allowed "$dashboard" "SELECT sum(ticketed) FROM dose_funnel WHERE dose = 1" "read dose_funnel" "$targets"
for view in daily_doses_by_facility daily_doses_by_district daily_doses_by_province verification_outcomes; do
    allowed "$dashboard" "SELECT count(*) FROM $view" "read $view" 0
done
refused "$dashboard" "SELECT count(*) FROM target" "read target"
refused "$dashboard" "SELECT count(*) FROM event_log" "read event_log"
refused "$writer" "CREATE TABLE compose_check (i int)" "create a table"
refused "$writer" "CREATE SCHEMA compose_check" "create a schema"
refused "$writer" "ALTER TABLE target ADD COLUMN compose_check int" "alter a table"
refused "$writer" "DELETE FROM event_log" "delete the log"
ticket=$(it_sql "SELECT ticket FROM target ORDER BY nik LIMIT 1")
allowed "$tickets" "SELECT nik FROM target WHERE ticket = '$ticket'" "resolve a ticket" \
    "$(it_sql "SELECT nik FROM target WHERE ticket = '$ticket'")"
refused "$tickets" "SELECT name FROM target LIMIT 1" "read names"
allowed "$ops" "SELECT count(*) FROM target" "read target" "$targets"
refused "$ops" "UPDATE facility SET name = name" "write"
refused "$owner" "CREATE ROLE compose_check" "create roles"

# The same, for every relation the migrations made, 007 and later included: each query lists
# what should not be there.
none() { # WHAT SQL
    local out
    out=$(it_sql "$2") || it_fail "$1: the query failed"
    it_eq "$1" "" "$out"
}
rels="FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = 'public' AND c.relkind IN ('r', 'v')"
it_eq "relations checked (tables and views)" "t" "$(it_sql "SELECT count(*) > 15 $rels")"
none "tables $dashboard may read (views only)" \
    "SELECT string_agg(relname, ',') $rels AND c.relkind = 'r' AND has_table_privilege('$dashboard', c.oid, 'SELECT')"
none "relations $ops may not read" \
    "SELECT string_agg(relname, ',') $rels AND NOT has_table_privilege('$ops', c.oid, 'SELECT')"
none "relations $ops, $dashboard or $tickets may write" \
    "SELECT string_agg(relname, ',') $rels
       AND EXISTS (SELECT FROM unnest(ARRAY['$ops', '$dashboard', '$tickets']) u
                   WHERE has_table_privilege(u, c.oid, 'INSERT, UPDATE, DELETE, TRUNCATE'))"
none "relations $writer may delete, truncate or alter" \
    "SELECT string_agg(relname, ',') $rels AND (has_table_privilege('$writer', c.oid, 'DELETE, TRUNCATE')
       OR pg_has_role('$writer', c.relowner, 'MEMBER'))"
none "logins but the owner with CREATE on the schema or the database" \
    "SELECT string_agg(u, ',') FROM unnest(ARRAY['$writer', '$tickets', '$dashboard', '$ops']) u
     WHERE has_schema_privilege(u, 'public', 'CREATE') OR has_database_privilege(u, '$db', 'CREATE')"
