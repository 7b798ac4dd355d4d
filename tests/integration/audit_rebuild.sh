#!/usr/bin/env bash
# audit_rebuild — vaksin-rebuild after the demo's workload (tickets with bad rows and
# duplicates, a desk day, verifications with refusals): the replay of the log equals the live
# read model; the live projector's offsets are untouched by it; two rebuilds give byte-identical
# data; a row changed or deleted by hand in the live schema is reported (with both versions) and
# the exit status says so; and a rebuild that runs while the live projector is busy still
# compares like with like.
source "$(dirname "$0")/lib.sh"
it_setup
t0=$(date +%s.%N)
it_demo_workload 3000 3000
t1=$(date +%s.%N)

rebuild() { "$VAKSIN_BIN/vaksin-rebuild" --config "$VAKSIN_RUN_DIR/vaksin.conf" "$@"; }
offsets() { it_sql "select consumer_group, topic, partition, next_offset from consumer_offset order by 1, 2, 3"; }

# 1. identical, and nothing of the live side moved.
offsets >"$IT_TMP/offsets.before"
events=$(it_sql "select count(*) from event_log")
((events > 5000)) || it_fail "the demo workload left only $events events"
r0=$(date +%s.%N)
rc=0
rebuild >"$IT_TMP/rebuild1.out" 2>"$IT_TMP/rebuild1.err" || rc=$?
r1=$(date +%s.%N)
cat "$IT_TMP/rebuild1.out"
it_eq "exit status of a rebuild after the demo" 0 "$rc"
grep -q '^identical: ' "$IT_TMP/rebuild1.out" || it_fail "no 'identical' line"
for table in target dose event_log rejection access_grant verification verification_change consumer_offset; do
    awk -v t="$table" '$1 == t && $2 == $3 && $2 > 0 && $4 == 0 { found = 1 } END { exit !found }' \
        "$IT_TMP/rebuild1.out" || it_fail "table $table missing, empty or different in the comparison"
done
offsets >"$IT_TMP/offsets.after"
cmp -s "$IT_TMP/offsets.before" "$IT_TMP/offsets.after" || it_fail "the rebuild moved the live offsets"
echo "ok [$IT_NAME]: the live projector's stored offsets are untouched"
vk_service_running projector || it_fail "the live projector stopped"
awk -v w="$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')" \
    -v r="$(awk -v a="$r0" -v b="$r1" 'BEGIN { print b - a }')" -v n="$events" \
    'BEGIN { printf "figure [audit_rebuild]: rebuild of %d events took %.1f s; the demo workload that made them %.1f s (%.0f×)\n", n, r, w, w / r }'

# 2. Two rebuilds give byte-identical data (pg_dump --data-only, schema names aside, sorted).
rebuild --schema vaksin_rebuild2 >/dev/null 2>&1 || it_fail "second rebuild failed"
dump() {
    # pg_dump 15.14 brackets its output with \restrict KEY lines, a random key each run.
    pg_dump "$VAKSIN_PG" --data-only --schema="$1" --exclude-table="$1.schema_migration" |
        sed "s/\b$1\./SCHEMA./g" | grep -Ev '^(--|\\(un)?restrict )' | LC_ALL=C sort
}
dump vaksin_rebuild >"$IT_TMP/dump1.sql"
dump vaksin_rebuild2 >"$IT_TMP/dump2.sql"
(($(wc -l <"$IT_TMP/dump1.sql") > events)) || it_fail "the dump of the rebuild is too short"
cmp "$IT_TMP/dump1.sql" "$IT_TMP/dump2.sql" || it_fail "two rebuilds differ"
echo "ok [$IT_NAME]: two rebuilds are byte-identical ($(wc -l <"$IT_TMP/dump1.sql") lines of pg_dump --data-only)"

# 3. A hand UPDATE on target and a hand DELETE on dose are caught, with both versions.
nik=$(it_sql "select nik from target where origin = 'SISDMK' order by nik limit 1")
name=$(it_sql "select name from target where nik = '$nik'")
dnik=$(it_sql "select nik from dose where status = 'VACCINATED' order by nik limit 1")
it_sql "update target set name = 'DIUBAH TANGAN' where nik = '$nik'" >/dev/null
it_sql "delete from dose where nik = '$dnik' and dose = 1" >/dev/null
rc=0
rebuild --show 5 >"$IT_TMP/rebuild3.out" 2>&1 || rc=$?
cat "$IT_TMP/rebuild3.out"
it_eq "exit status after hand edits" 1 "$rc"
grep -q "^  target nik=$nik: differs in name$" "$IT_TMP/rebuild3.out" || it_fail "the changed target row is not named"
grep -q "live: .*\"name\": \"DIUBAH TANGAN\"" "$IT_TMP/rebuild3.out" || it_fail "the live version is not shown"
grep -q "rebuilt: .*\"name\": \"$name\"" "$IT_TMP/rebuild3.out" || it_fail "the replayed version is not shown"
grep -q "^  dose nik=$dnik: only in the replay$" "$IT_TMP/rebuild3.out" || it_fail "the deleted dose row is not named"
grep -q '^DIFFERENT: 2 rows in 2 tables' "$IT_TMP/rebuild3.out" || it_fail "the summary does not count 2 rows in 2 tables"
echo "ok [$IT_NAME]: hand edits are reported with both versions and exit status 1"

# 4. Put right by replaying: the tool's own schema holds the true rows.
it_sql "update target t set name = r.name from vaksin_rebuild.target r where r.nik = t.nik and t.nik = '$nik';
        insert into dose select * from vaksin_rebuild.dose where nik = '$dnik' and dose = 1" >/dev/null
rebuild --drop >/dev/null 2>&1 || it_fail "not identical again after restoring the rows"
[[ -z "$(it_sql "select 1 from pg_namespace where nspname = 'vaksin_rebuild'")" ]] || it_fail "--drop left the schema"
echo "ok [$IT_NAME]: identical again once the rows are restored; --drop removes the replay"

# 5. A rebuild while the live projector is busy: it replays to where the live side stands in
# one snapshot, so it still compares like with like.
before=$(it_sql "select count(*) from target")
importing() { (($(it_sql "select count(*) from target") > before + 500)); }
"$VK_SRC/scripts/gen-sample" --rows 20000 --seed 77 "$IT_TMP/more.csv" >/dev/null
"$VAKSIN_BIN/vaksin-import" --config "$VAKSIN_RUN_DIR/vaksin.conf" "$IT_TMP/more.csv" >/dev/null 2>&1 &
import_pid=$!
it_wait_until "the projector to start on the new import" 60 importing
rc=0
rebuild --schema vaksin_rebuild_busy >"$IT_TMP/rebuild5.out" 2>"$IT_TMP/rebuild5.err" || rc=$?
wait "$import_pid" || true
cat "$IT_TMP/rebuild5.err" >&2
it_eq "exit status of a rebuild during an import" 0 "$rc"
echo "ok [$IT_NAME]: a rebuild during an import compares identical ($(grep -c 'round' "$IT_TMP/rebuild5.err" || true) extra rounds)"
it_wait_caught_up 300
rebuild >/dev/null 2>&1 || it_fail "not identical after the import"
echo "ok [$IT_NAME]: identical after the import"
