# shellcheck shell=bash
# compose/postgres/10-vaksin-roles.sh — run by the postgres image's entrypoint on the first start
# (an empty data volume), as the superuser, before anything else touches the database: applies
# roles.sql (mounted beside it) with the passwords from the secret files. The passwords go to
# psql on its standard input, never on a command line.
#
# Sourced by the entrypoint (set -e in force); tests/integration/compose_check.sh runs it too,
# against a throwaway PostgreSQL, with VAKSIN_PG_SECRETS and VAKSIN_ROLES_SQL pointing at its files.
vaksin_secrets=${VAKSIN_PG_SECRETS:-/run/secrets}
vaksin_roles_sql=${VAKSIN_ROLES_SQL:-/etc/vaksin/roles.sql}
for vaksin_name in owner projector registration dashboard ops; do
    if [[ ! -s "$vaksin_secrets/pg-$vaksin_name-password" ]]; then
        echo "10-vaksin-roles.sh: $vaksin_secrets/pg-$vaksin_name-password is missing or empty" >&2
        exit 1
    fi
done
{
    for vaksin_name in owner projector registration dashboard ops; do
        # shellcheck disable=SC2016 # psql's backquotes (it runs cat), not the shell's
        printf '\\set %s_pw `cat %s/pg-%s-password`\n' "$vaksin_name" "$vaksin_secrets" "$vaksin_name"
    done
    printf '\\i %s\n' "$vaksin_roles_sql"
} | psql -v ON_ERROR_STOP=1 -X -q -U "${POSTGRES_USER:-postgres}" -d "${POSTGRES_DB:-vaksin}"
unset vaksin_secrets vaksin_roles_sql vaksin_name
