#!/usr/bin/env bash
# registry_interop — vaksin with a schema registry, against Confluent's Python client
# (tests/clients/registry_interop.py: SchemaRegistryClient, AvroSerializer, AvroDeserializer) on
# the development registry (test-servers/registry, VAKSIN_SCHEMA_REGISTRY=local):
#  1. the services register their writer schemas at start under <topic>-value;
#  2. requests the Python serializer framed (00 + id) are projected, and the Python deserializer
#     reads vaksin's framed target events back to the expected values;
#  3. evolution: the producer registers TicketRequested v2 (an optional field added), then v2c
#     (two fields with defaults removed), and the running services — not rebuilt, not
#     restarted — project both, fetching each once; a v3 that breaks BACKWARD compatibility
#     is refused by the registry, and the producer sees HTTP 409;
#  4. an id the registry does not know is a dead letter UNKNOWN_SCHEMA_ID, an id of another
#     record's schema one UNRESOLVABLE_SCHEMA;
#  5. the registry down: a request with an id not yet fetched waits in vaksin-ticket, and a newer
#     peer's TargetEvent with an id the projector has not seen waits in the projector (no dead
#     letter, no rejection); both are projected once the registry is back; a service started
#     meanwhile is not ready and says so, and starts once the registry answers.
source "$(dirname "$0")/lib.sh"
it_needs_kafka
export VAKSIN_SCHEMA_REGISTRY=local
it_setup
py=$(vk_pyenv) || it_fail "no Python test environment"
client() { "$py" "$VK_SRC/tests/clients/registry_interop.py" "$@"; }
reg=$(vk_registry_url)
reg_log=$VAKSIN_RUN_DIR/logs/schema-registry.log
requests() { grep -c "^$1 $2 200\$" "$reg_log" || true; }
targets() { it_sql "SELECT count(*) FROM target WHERE name LIKE 'REGISTRY %'"; }
json_field() { "$py" -c 'import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$1" "$2"; }

# 1. Writer schemas registered at start.
vk_service_start ticket
vk_service_start projector
registered() { grep -q 'msg="writer schema registered" record=vaksin.v1.DeadLetter' "$VAKSIN_RUN_DIR/logs/ticket.log"; }
it_wait_until "vaksin-ticket registers its writer schemas" 60 registered
subjects=$(curl -fsS "$reg/subjects")
for s in vaksin.target.events-value vaksin.dead-letters-value; do
    [[ $subjects == *"\"$s\""* ]] || it_fail "subject $s not registered: $subjects"
done
target_id=$(curl -fsS "$reg/subjects/vaksin.target.events-value/versions/latest" | "$py" -c 'import json,sys; print(json.load(sys.stdin)["id"])')
echo "ok [$IT_NAME]: the services registered vaksin.target.events-value (id $target_id) and vaksin.dead-letters-value"

# 2. Framed in, framed out.
v1=$(client produce "$VAKSIN_BOOTSTRAP" "$reg" --version v1 --first 1 --count 3) || it_fail "v1 producer: $v1"
v1_id=$(json_field "$v1" id)
three() { (($(targets) == 3)); }
it_wait_until "the three v1 requests projected" 60 three
client consume "$VAKSIN_BOOTSTRAP" "$reg" --topic vaksin.target.events --expect 3 >"$IT_TMP/out.jsonl" ||
    it_fail "the Python deserializer could not read vaksin's target events"
"$py" - "$IT_TMP/out.jsonl" "$target_id" "$v1" <<'PY' || it_fail "vaksin's target events differ from what was expected (above)"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
niks = json.loads(sys.argv[3])["niks"]
bad = [r for r in rows if r["id"] != int(sys.argv[2])]
got = sorted((r["value"]["nik"], r["value"]["payload"]["name"]) for r in rows)
want = sorted((n, "REGISTRY " + "BCD"[i]) for i, n in enumerate(niks))
print("read by AvroDeserializer:", got)
print("payload of the first:", json.dumps(rows[0]["value"]["payload"])[:300])
sys.exit(1 if bad or got != want or not all(r["value"]["payload"]["ticket"] for r in rows) else 0)
PY
echo "ok [$IT_NAME]: v1 requests (schema id $v1_id) projected; AvroDeserializer read the TicketIssued events"

# 3. Evolution without a rebuild.
v2=$(client produce "$VAKSIN_BOOTSTRAP" "$reg" --version v2 --first 4 --count 2) || it_fail "v2 producer: $v2"
v2_id=$(json_field "$v2" id)
[[ $v2_id != "$v1_id" ]] || it_fail "v2 got the id of v1 ($v1_id)"
five() { (($(targets) == 5)); }
it_wait_until "the two v2 requests projected by the running services" 60 five
it_eq "v2 fetched by id from the registry (vaksin-ticket, once)" 1 "$(requests GET "/schemas/ids/$v2_id")"
it_eq "versions of vaksin.ticket.requests-value" "[1, 2]" "$(curl -fsS "$reg/subjects/vaksin.ticket.requests-value/versions")"
refused=$(client produce "$VAKSIN_BOOTSTRAP" "$reg" --version bad --first 9 --count 1) ||
    it_fail "the incompatible v3 was not refused with HTTP 409: $refused"
echo "the producer's error for v3 (priority: int, no default): $refused"
it_eq "versions after the refused v3" "[1, 2]" "$(curl -fsS "$reg/subjects/vaksin.ticket.requests-value/versions")"
v2c=$(client produce "$VAKSIN_BOOTSTRAP" "$reg" --version v2c --first 6 --count 1) || it_fail "v2c producer: $v2c"
six() { (($(targets) == 6)); }
it_wait_until "the v2c request (phone and category removed) projected" 60 six
echo "ok [$IT_NAME]: v2 ($v2_id, a field added) and v2c ($(json_field "$v2c" id), two fields with defaults removed) projected without a rebuild; the BACKWARD-incompatible v3 refused (HTTP 409)"

# 4. Dead letters with the precise reason.
dead_id=$(curl -fsS "$reg/subjects/vaksin.dead-letters-value/versions/latest" | "$py" -c 'import json,sys; print(json.load(sys.stdin)["id"])')
client raw "$VAKSIN_BOOTSTRAP" --id 999999 --nik 3273014508850021 || it_fail "raw producer"
client raw "$VAKSIN_BOOTSTRAP" --id "$dead_id" --nik 3273014508850022 || it_fail "raw producer"
letters() { it_dead_letters | grep -c -E '"error_code":"(UNKNOWN_SCHEMA_ID|UNRESOLVABLE_SCHEMA)"' || true; }
two_letters() { (($(letters) == 2)); }
it_wait_until "two dead letters" 60 two_letters
it_dead_letters >"$IT_TMP/dead.jsonl"
grep -q '"error_code":"UNKNOWN_SCHEMA_ID","error":"cannot decode TicketRequested: unknown schema registry id 999999: fetching schema id 999999 at http://127.0.0.1:[0-9]*: HTTP 404 error_code 40403' "$IT_TMP/dead.jsonl" ||
    it_fail "no UNKNOWN_SCHEMA_ID dead letter with the registry's 404: $(cat "$IT_TMP/dead.jsonl")"
grep -q "\"error_code\":\"UNRESOLVABLE_SCHEMA\",\"error\":\"cannot decode TicketRequested: writer schema vaksin.v1.DeadLetter cannot be resolved to reader vaksin.v1.TicketRequested" "$IT_TMP/dead.jsonl" ||
    it_fail "no UNRESOLVABLE_SCHEMA dead letter: $(cat "$IT_TMP/dead.jsonl")"
grep -o '"error_code":"[A-Z_]*","error":"[^"]*"' "$IT_TMP/dead.jsonl" | cut -c1-220
echo "ok [$IT_NAME]: unknown id and unresolvable schema are dead letters with their reasons"

# 5. The registry down.
v2b=$(client produce "$VAKSIN_BOOTSTRAP" "$reg" --version v2b --first 20 --count 0) || it_fail "v2b: $v2b"
v2b_id=$(json_field "$v2b" id)
tv2=$(client register-target-v2 "$reg") || it_fail "TargetEvent v2: $tv2"
tv2_id=$(json_field "$tv2" id)
vk_registry_stop
client produce-framed "$VAKSIN_BOOTSTRAP" --id "$v2b_id" --version v2b --first 21 --count 1 >/dev/null ||
    it_fail "framed producer"
# a newer peer's TargetEvent straight to the projector, with an id it has not seen
client produce-target "$VAKSIN_BOOTSTRAP" --id "$tv2_id" --template "$IT_TMP/out.jsonl" --nik 3273014508850031 ||
    it_fail "TargetEvent producer"
projector_waits() { grep -q 'msg="event left for later: its schema is not available"' "$VAKSIN_RUN_DIR/logs/projector.log"; }
it_wait_until "the projector waiting for the registry" 60 projector_waits
waiting() { grep -q 'msg="retrying the batch later".*code=SCHEMA_REGISTRY_UNAVAILABLE' "$VAKSIN_RUN_DIR/logs/ticket.log"; }
it_wait_until "vaksin-ticket waiting for the registry" 60 waiting
vk_service_start vaccination
not_ready() { grep -q 'msg="schema registry unavailable; not ready until the writer schemas are registered"' "$VAKSIN_RUN_DIR/logs/vaccination.log"; }
it_wait_until "vaksin-vaccination not ready while the registry is down" 60 not_ready
readyz() { curl -sS "$(vk_service_metrics_url vaccination)/readyz" 2>/dev/null || true; }
says_waiting() { [[ $(readyz) == *"not ready: waiting for the schema registry"* ]]; }
it_wait_until "vaksin-vaccination's /readyz saying it waits for the registry" 10 says_waiting
echo "vaksin-vaccination's /readyz meanwhile: $(readyz)" | cut -c1-200
sleep 3
it_eq "targets while the registry is down" 6 "$(targets)"
it_eq "the newer peer's target while the registry is down" 0 "$(it_sql "SELECT count(*) FROM target WHERE nik = '3273014508850031'")"
# (no dead letter count here: vaksin-dump itself waits for the registry to read them)
vk_registry_start
seven() { (($(targets) == 7)); }
it_wait_until "the waiting v2b request projected once the registry is back" 90 seven
newer() { [[ $(it_sql "SELECT name FROM target WHERE nik = '3273014508850031'") == "NEWER PEER TARGET" ]]; }
it_wait_until "the newer peer's TargetEvent projected once the registry is back" 90 newer
started() { grep -q 'msg="writer schema registered" record=vaksin.v1.DeadLetter' "$VAKSIN_RUN_DIR/logs/vaccination.log"; }
it_wait_until "vaksin-vaccination registered once the registry is back" 60 started
loop_started() { grep -q 'msg=started transactional_id=vaksin-vaccination' "$VAKSIN_RUN_DIR/logs/vaccination.log"; }
it_wait_until "vaksin-vaccination's loop started (its endpoint served again)" 60 loop_started
it_eq "vaksin-vaccination running" yes "$(vk_service_running vaccination && echo yes || echo no)"
it_eq "dead letters after the registry came back" 2 "$(letters)"
it_eq "rejections" 0 "$(it_sql "SELECT count(*) FROM rejection")"
echo "ok [$IT_NAME]: with the registry down a new id waits in vaksin-ticket and in the projector (no dead letter, no rejection) and is projected when it is back"
