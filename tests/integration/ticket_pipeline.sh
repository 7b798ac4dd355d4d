#!/usr/bin/env bash
# ticket_pipeline — 20,000 SISDMK rows with bad rows and duplicates through the real importer,
# vaksin-ticket and vaksin-projector on the development broker and PostgreSQL; the read model
# and the dead letters must match exactly what the generator says it wrote.
source "$(dirname "$0")/lib.sh"
it_setup

csv=$IT_TMP/sisdmk.csv
"$VK_SRC/scripts/gen-sample" --rows 20000 "$csv" >/dev/null
exp=$csv.expected.json

vk_service_start projector
vk_service_start ticket
"$VAKSIN_BIN/vaksin-import" "$csv" >"$IT_TMP/import.out" 2>"$IT_TMP/import.err" ||
    it_fail "import failed: $(tail -3 "$IT_TMP/import.err")"
it_wait_caught_up 240

it_check_sample_outcome "$exp"

# The envelope is checked at the edge: a request that says it happened long after it was written,
# one from before the programme, and one whose source the read model could not hold (80 bytes)
# are dead letters with their reason; none reaches the read model.
cat >"$IT_TMP/edge.jsonl" <<'JSON'
{"event_id":"7d4b2f2e-0a8f-4b8e-9c6e-00000000e001","occurred_at":"2099-01-01T00:00:00Z","source":"edge-test","actor":null,"nik":"3273025205850001","name":"SITI","birth_date":"1985-05-12","sex":"P","phone":null,"category":null,"facility_code":null,"scheduled_date":null,"origin":"OTHER"}
{"event_id":"7d4b2f2e-0a8f-4b8e-9c6e-00000000e002","occurred_at":"2019-06-01T00:00:00Z","source":"edge-test","actor":null,"nik":"3273025205850001","name":"SITI","birth_date":"1985-05-12","sex":"P","phone":null,"category":null,"facility_code":null,"scheduled_date":null,"origin":"OTHER"}
{"event_id":"7d4b2f2e-0a8f-4b8e-9c6e-00000000e003","source":"éééééééééééééééééééééééééééééééééééééééé","actor":null,"nik":"3273025205850001","name":"SITI","birth_date":"1985-05-12","sex":"P","phone":null,"category":null,"facility_code":null,"scheduled_date":null,"origin":"OTHER"}
JSON
out=$("$VAKSIN_BIN/vaksin-submit" --topic vaksin.ticket.requests "$IT_TMP/edge.jsonl" 2>>"$IT_TMP/submit.err") ||
    it_fail "vaksin-submit: $out; $(tail -3 "$IT_TMP/submit.err")"
it_wait_caught_up 120
it_dead_letters >"$IT_TMP/dead.jsonl"
for want in "e001 INVALID_TIME too far after the message's timestamp" \
    "e002 INVALID_TIME is before 2020-01-01T00:00:00Z" "e003 INVALID_SOURCE source: 80 bytes, at most 63"; do
    read -r id code words <<<"$want"
    got=$("$PY" -c 'import json,sys
for line in open(sys.argv[1]):
    d=json.loads(line); v=d["value"]; p=d.get("payload") or {}
    if p.get("event_id","").endswith(sys.argv[2]): print(v["error_code"], v["error"])' "$IT_TMP/dead.jsonl" "$id")
    [[ "$got" == "$code "*"$words"* ]] || it_fail "request …$id: expected $code ($words), got \"$got\""
done
it_eq "edge requests in the read model" 0 \
    "$(it_sql "SELECT count(*) FROM event_log WHERE source = 'edge-test' OR source LIKE 'é%'")"
echo "ok [$IT_NAME]: occurred_at out of its window and an oversized source are dead letters"
