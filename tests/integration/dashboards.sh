#!/usr/bin/env bash
# dashboards — the Grafana dashboards of compose/grafana/ against a real read model. A
# 2,000-row SISDMK import (bad rows, conflicting duplicates, flagged NIKs), a desk day of about
# 2,000 requests (scripts/gen-desk-day: doses 1 to 3, refusals, postponements) and a few
# verification TargetEvents (applied, pending, refused) go through the real services and
# projector. Then every SQL panel of every dashboard, its Grafana macros expanded as Grafana
# does, runs as vaksin_dashboard and must return rows; vaksin_dashboard may read views only,
# none with a person's column, and not the target table; every PromQL expression of the
# operations dashboard passes promtool. The views of 007 are checked against independent
# figures: the due list and the people vaccinated per dose against gen-desk-day's model of the
# dose table and config/vaccines.csv, vaccine_catalog_defaults against config/vaccines.csv.
source "$(dirname "$0")/lib.sh"
it_setup
py=$(vk_pyenv) || it_fail "no Python test environment"
check() { "$py" "$VK_SRC/tests/integration/checks/dashboards.py" "$@"; }

# ---- the workload ------------------------------------------------------------------------------
for svc in projector ticket registration screening vaccination; do
    vk_service_start "$svc"
done
csv=$IT_TMP/sisdmk.csv
"$VK_SRC/scripts/gen-sample" --rows 2000 "$csv" >/dev/null 2>&1 || it_fail "gen-sample failed"
"$VAKSIN_BIN/vaksin-import" "$csv" >"$IT_TMP/import.out" 2>"$IT_TMP/import.err" ||
    it_fail "import failed: $(tail -3 "$IT_TMP/import.err")"
it_wait_caught_up 240
it_check_sample_outcome "$csv.expected.json"
day=$IT_TMP/day
it_desk_day_generate "$csv" "$day" --events 2000
it_submit_day "$day"

# Verification as vaksin-verification and vaksin-lookup write it (verification_projection.sh):
# an applied correction and a pending one for targets never seen at a desk, and a refusal.
mapfile -t free < <(it_sql "select t.nik || '|' || t.facility_code || '|' ||
        coalesce(f.district_code, case when t.facility_code ~ '^P' then substr(t.facility_code, 2, 4)
                                       else left(t.facility_code, 4) end)
    from target t left join facility f on f.code = t.facility_code
    where t.facility_code is not null and not exists (select from dose d where d.nik = t.nik)
    order by t.nik limit 3")
((${#free[@]} == 3)) || it_fail "fewer than 3 targets without a dose"
verification_events() {
    local i nik fac dist rq grant
    for i in 0 1 2; do
        IFS='|' read -r nik fac dist <<<"${free[$i]}"
        rq=$(printf '00000000-0000-4000-8000-%012d' "$((i + 1))")
        grant=$(printf '{"grant_event_id":"11111111-1111-4111-8111-11111111111%d","user_id":"officer.%d","facility_code":"%s","district_code":"%s","granted_by":"dinkes.%s","granted_at":"2021-06-01T00:00:00Z","valid_until":null}' \
            "$i" "$i" "$fac" "$dist" "$dist")
        case $i in
        0 | 1)
            printf '{"nik":"%s","causation_id":"%s","source":"pcare-web","actor":"officer.%d","occurred_at":"2021-07-01T03:00:00Z","payload":{"type":"VerificationPending","request_id":"%s","kind":"CORRECTION","facility_code":"%s","changes":{"phone":"+6281234500%03d"},"reason":"nomor HP salah","ticket":null,"grant":%s}}\n' \
                "$nik" "$rq" "$i" "$rq" "$fac" "$i" "$grant"
            ;;&
        0)
            printf '{"nik":"%s","causation_id":"%s","source":"pcare-web","actor":"officer.%d","occurred_at":"2021-07-01T03:05:00Z","payload":{"type":"VerificationEnriched","request_id":"%s","kind":"CORRECTION","facility_code":"%s","changes":{"phone":"+6281234500%03d"},"reason":"nomor HP salah","grant":%s,"evidence":[],"verdict":"SUPPORTED","attempt":0,"retry_at":null}}\n' \
                "$nik" "$rq" "$i" "$rq" "$fac" "$i" "$grant"
            ;;
        2)
            printf '{"nik":"%s","causation_id":"%s","source":"pcare-web","actor":"officer.9","occurred_at":"2021-07-01T03:00:00Z","payload":{"type":"VerificationRefused","request_id":"%s","kind":"CORRECTION","facility_code":"%s","changes":{"name":"SITI"},"reason":null,"code":"NOT_AUTHORIZED","refusal":"officer.9 holds no VERIFIER grant"}}\n' \
                "$nik" "$rq" "$rq" "$fac"
            ;;
        esac
    done
}
verification_events >"$IT_TMP/verification.jsonl"
it_eq "verification events submitted" "read=4 sent=4 refused=0" \
    "$("$VAKSIN_BIN/vaksin-submit" --topic vaksin.target.events "$IT_TMP/verification.jsonl")"
it_wait_caught_up 120
it_eq "verification rows by status" "APPLIED:1,PENDING:1,REJECTED:1" \
    "$(it_sql "select string_agg(status || ':' || n, ',' order by status) from (select status, count(*) n from verification group by 1) x")"

# ---- the roles ---------------------------------------------------------------------------------
# vaksin_dashboard reads no table, views only, and no view it reads has a person's column.
denied=$(psql "$VAKSIN_PG" -XAtq -c "set role vaksin_dashboard" -c "select count(*) from target" 2>&1) &&
    it_fail "vaksin_dashboard could read target: $denied"
[[ "$denied" == *"permission denied for table target"* ]] ||
    it_fail "vaksin_dashboard reading target: expected permission denied, got: $denied"
echo "ok [$IT_NAME]: vaksin_dashboard may not read target ($denied)"
it_eq "tables (or columns of tables) vaksin_dashboard may read" "" \
    "$(it_sql "select string_agg(c.relname, ',' order by c.relname) from pg_class c
               where c.relnamespace = current_schema()::regnamespace and c.relkind in ('r', 'p', 'm', 'f')
                 and has_any_column_privilege('vaksin_dashboard', c.oid, 'SELECT')")"
it_eq "person columns in the views vaksin_dashboard reads" "" \
    "$(it_sql "select string_agg(c.relname || '.' || a.attname, ',') from pg_class c
               join pg_attribute a on a.attrelid = c.oid and a.attnum > 0
               where c.relnamespace = current_schema()::regnamespace and c.relkind = 'v'
                 and has_table_privilege('vaksin_dashboard', c.oid, 'SELECT')
                 and a.attname in ('nik', 'name', 'phone', 'birth_date', 'ticket', 'requested_by', 'actor', 'user_id')")"
it_eq "views of 007 granted to vaksin_dashboard" \
    "coverage_by_district,coverage_by_province,doses_due,flagged_targets_by_district,rejections_daily,vaccine_catalog_defaults" \
    "$(it_sql "select string_agg(c.relname, ',' order by c.relname) from pg_class c
               where c.relname in ('coverage_by_district', 'coverage_by_province', 'doses_due',
                                   'flagged_targets_by_district', 'rejections_daily', 'vaccine_catalog_defaults')
                 and c.relkind = 'v' and has_table_privilege('vaksin_dashboard', c.oid, 'SELECT')
                 and obj_description(c.oid, 'pg_class') is not null")"

# ---- the views against independent figures -----------------------------------------------------
it_eq "vaccine_catalog_defaults = config/vaccines.csv" \
    "$(tail -n +2 "$VK_SRC/config/vaccines.csv" | cut -d, -f1,3,4 | tr , '|' | sort | paste -sd' ')" \
    "$(it_sql "select vaccine || '|' || doses || '|' || min_interval_days from vaccine_catalog_defaults" | sort | paste -sd' ')"
check due "$day/expected.json" "$VK_SRC/config/vaccines.csv" >"$IT_TMP/due.model" || it_fail "the due-list model"
it_sql "select due_on || '|' || facility_code || '|' || next_dose || '|' || vaccine || '|' || people
        from doses_due" | sort >"$IT_TMP/due.view"
diff "$IT_TMP/due.model" "$IT_TMP/due.view" >&2 || it_fail "doses_due differs from the model (above: < model, > view)"
(($(wc -l <"$IT_TMP/due.view") > 0)) || it_fail "the due list is empty"
echo "ok [$IT_NAME]: doses_due = the due list from the model's dose table and config/vaccines.csv ($(wc -l <"$IT_TMP/due.view") rows, $(awk -F'|' '{ n += $5 } END { print n }' "$IT_TMP/due.view") people)"
it_eq "people vaccinated per dose (coverage_by_province vs the model)" \
    "$(check vaccinated "$day/expected.json" | paste -sd' ')" \
    "$(it_sql "select dose || '|' || sum(vaccinated) from coverage_by_province group by dose order by dose" | paste -sd' ')"
it_eq "targets (coverage_by_province)" "$(it_sql "select count(*) from target")" \
    "$(it_sql "select sum(targets) from coverage_by_province where dose = 1")"
it_eq "flagged targets (flagged_targets_by_district)" \
    "$(it_sql "select count(*) from target, unnest(flags)")" "$(it_sql "select sum(flagged) from flagged_targets_by_district")"
it_eq "rejections (rejections_daily)" "$(it_sql "select count(*) from rejection")" \
    "$(it_sql "select sum(rejections) from rejections_daily")"
it_eq "the refused verification's facility comes from its request" "1" \
    "$(it_sql "select sum(rejections) from rejections_daily where reason_code = 'NOT_AUTHORIZED' and facility_basis = 'request'
               and facility_code = '$(cut -d'|' -f2 <<<"${free[2]}")'")"

# ---- every panel -------------------------------------------------------------------------------
check extract "$VK_SRC/compose/grafana" "$IT_TMP" >"$IT_TMP/extract.out" ||
    it_fail "the dashboards' queries (above)"
echo "found [$IT_NAME]: $(cat "$IT_TMP/extract.out")"
check run "$IT_TMP" "$VAKSIN_PG" | tee "$IT_TMP/run.out" ||
    it_fail "a panel's query failed or returned no row as vaksin_dashboard (above)"
read -r sql_panels <<<"$(sed -n 's/^sql_panels=\([0-9]*\).*/\1/p' "$IT_TMP/extract.out")"
((sql_panels >= 15)) || it_fail "only $sql_panels SQL panels found"
it_eq "SQL panels answered with rows as vaksin_dashboard" "$sql_panels" "$(grep -c '^rows=' "$IT_TMP/run.out")"
promtool check rules "$IT_TMP/rules.json" >"$IT_TMP/promtool.out" 2>&1 ||
    { cat "$IT_TMP/promtool.out" >&2; it_fail "promtool refused a PromQL expression of the dashboards"; }
echo "ok [$IT_NAME]: promtool: $(grep -o 'SUCCESS: [0-9]* rules found' "$IT_TMP/promtool.out")"
