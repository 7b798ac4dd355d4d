#!/usr/bin/env bash
# lookup_worker — vaksin-lookup against the two stub servers (vaksin-stubs: BPJS and Dukcapil
# over real HTTP) and the development broker: VerificationLookups in, VerificationEnriched out.
#
#  1. both sources up: supported by both, contradicted by Dukcapil (its file spells the name
#     differently), known to nobody (NOT_FOUND), and a phone-only change that asks nobody;
#  2. the JKN stub killed: decided from Dukcapil alone, JKN's evidence UNAVAILABLE;
#     2b. retries due in 10 s wait (their partitions paused) while a fresh lookup goes through,
#     and none is decided before its not_before;
#  3. both down (JKN still killed, Dukcapil answering 503): every lookup gets an UNAVAILABLE
#     Enriched with retry_at and a retry lookup on vaksin.verification.lookups.retry;
#  4. both back (JKN restarted on its port): every request ends with a final verdict, none lost
#     (distinct request ids), after more than one attempt; the circuit opened and closed;
#  5. 1,000 lookups at 100 ms stub latency all complete; prints lookups/s and the in-flight
#     setting (a figure, not an assertion), and the BPJS stub counts far fewer connections than
#     requests (connections are reused);
#  6. TLS: behind a self-signed certificate JKN is unavailable; with lookup.ca.file it answers;
#     plain http:// to a source off loopback is refused at start;
#  and no credential or whole NIK reaches the worker's log.
source "$(dirname "$0")/lib.sh"
it_setup

INFLIGHT=64
CONS=1000
SECRET=s3cr3t-lookup-7789
USER_KEY=uk-lookup-5f0e1d
DUSER=faskes01
DPASS=p4ss-dukcapil-lookup
DIP=10.1.2.3
STUB_PIDS=()
URL_bpjs='' URL_duk='' PID_bpjs='' lw_rc=0 # set by start_stub and the trap
LOGS=$VAKSIN_RUN_DIR/logs

stop_stubs() {
    local p
    for p in "${STUB_PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    for p in "${STUB_PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
}
# The stubs go first, then it_teardown with the test's exit status (set +e: under set -e the
# (exit $rc) that hands it over would end the trap before the stack is torn down).
trap 'lw_rc=$?; set +e; stop_stubs; (exit $lw_rc); it_teardown' EXIT

# ---- people: JKN and Dukcapil agree on everyone but Budi's name; 1,000 more for the load ----
"$PY" "$VK_SRC/tests/integration/checks/lookup_people.py" "$IT_TMP"

(
    umask 077
    cat >"$IT_TMP/stubs.conf" <<CONF
jkn.cons_id=$CONS
jkn.secret=$SECRET
jkn.user_key=$USER_KEY
dukcapil.user_id=$DUSER
dukcapil.password=$DPASS
dukcapil.ip_user=$DIP
CONF
)

# start_stub NAME PROTOCOL PEOPLE [ARGS...] — starts a stub; sets URL_<NAME>, PID_<NAME>.
start_stub() { it_stub_start "$1" "$2" "$IT_TMP/stubs.conf" "$IT_TMP/$3" "$LOGS/stub-$1.log" "${@:4}"; }
control() { it_stub_control "$@"; }
stats() { curl -sS --fail "$1/_stats"; }

start_stub bpjs bpjs jkn_people.csv
start_stub duk dukcapil duk_people.csv
echo "stubs: bpjs $URL_bpjs, dukcapil $URL_duk"

# The worker's credentials go where the stack's secrets are: the 0600 config file.
cat >>"$VAKSIN_RUN_DIR/vaksin.conf" <<CONF
jkn.url=$URL_bpjs/vclaim-rest
jkn.cons_id=$CONS
jkn.secret=$SECRET
jkn.user_key=$USER_KEY
dukcapil.url=$URL_duk/dukcapil/verify
dukcapil.user_id=$DUSER
dukcapil.password=$DPASS
dukcapil.ip_user=$DIP
CONF
[[ $(stat -c %a "$VAKSIN_RUN_DIR/vaksin.conf") == 600 ]] || it_fail "vaksin.conf is not mode 600"
# Retries 2-4 s after the first UNAVAILABLE, then 4-8 s; breakers probe after 2 s.
vk_service_start lookup -X lookup.inflight=$INFLIGHT -X lookup.retry.base.ms=4000 \
    -X lookup.retry.max.ms=8000 -X lookup.breaker.open.ms=2000 -X metrics.interval.ms=2000 ||
    it_fail "vaksin-lookup did not start"

# ---- helpers: submit lookups, read what the worker wrote ----
GRANT='{"grant_event_id":"0a7d6c54-2f4b-4e59-9d0e-5f1e2d3c4b5a","user_id":"officer.1","facility_code":"P3273020201","district_code":"3273","granted_by":"dinkes.bandung","granted_at":1612000000000}'
# lookup REQUEST_ID NIK CHANGES_JSON — one VerificationLookup as a JSON line.
lookup() {
    printf '{"actor":"officer.1","request_id":"%s","kind":"CORRECTION","nik":"%s","facility_code":"P3273020201","changes":%s,"reason":"it","grant":%s}\n' \
        "$1" "$2" "$3" "$GRANT"
}
submit() { # FILE
    local n out
    n=$(grep -c . "$1")
    out=$("$VAKSIN_BIN/vaksin-submit" --topic vaksin.verification.lookups "$1" 2>>"$IT_TMP/submit.err") ||
        it_fail "vaksin-submit: $out $(tail -3 "$IT_TMP/submit.err")"
    [[ "$out" == "read=$n sent=$n refused=0" ]] || it_fail "vaksin-submit: expected read=$n sent=$n refused=0, got $out"
}
uuid() { "$PY" -c 'import uuid; print(uuid.uuid4())'; }

# enriched — every VerificationEnriched as TSV: request_id attempt verdict jkn duk retry_at ts
enriched() {
    "$VAKSIN_BIN/vaksin-dump" --topic vaksin.target.events 2>/dev/null | "$PY" -c '
import json, sys
for line in sys.stdin:
    m = json.loads(line)
    p = m["value"]["payload"]
    if p.get("type") != "VerificationEnriched":
        continue
    ev = {e["source"]: e["status"] for e in p["evidence"]}
    print("\t".join(str(x) for x in (p["request_id"], p["attempt"], p["verdict"],
          ev.get("JKN", "-"), ev.get("DUKCAPIL", "-"), p["retry_at"] or "-", m["timestamp"])))'
}
# final_count IDS_FILE — how many of the request ids have a final (not UNAVAILABLE) verdict.
final_count() {
    enriched | awk -F'\t' -v ids="$1" 'BEGIN { while ((getline l < ids) > 0) want[l] = 1 }
        $3 != "UNAVAILABLE" && ($1 in want) { done[$1] = 1 } END { print length(done) }'
}
# wait_final IDS_FILE N SECONDS
wait_final() {
    local i got
    for ((i = 0; i < $3 * 2; i++)); do
        got=$(final_count "$1")
        ((got >= $2)) && return 0
        sleep 0.5
    done
    it_fail "$(basename "$1"): $got of $2 requests with a final verdict after $3 s"
}
# verdict_of REQUEST_ID — "attempt verdict jkn duk" of its latest Enriched.
verdict_of() { enriched | awk -F'\t' -v r="$1" '$1 == r { v = $2 " " $3 " " $4 " " $5 } END { print v }'; }

# ---- 1. both sources up ----
R_SUP=$(uuid) R_CON=$(uuid) R_NF=$(uuid) R_PHONE=$(uuid)
{
    lookup "$R_SUP" 3273025205850001 '{"name":"siti  nurhaliza","birth_date":"1985-05-12","sex":"P"}'
    lookup "$R_CON" 3273021003900002 '{"name":"Budi Santoso"}'
    lookup "$R_NF" 3273021505800003 '{"name":"Tidak Dikenal"}'
    lookup "$R_PHONE" 3273025205850001 '{"phone":"+6281234567890"}'
} >"$IT_TMP/phase1.jsonl"
printf '%s\n' "$R_SUP" "$R_CON" "$R_NF" "$R_PHONE" >"$IT_TMP/phase1.ids"
submit "$IT_TMP/phase1.jsonl"
wait_final "$IT_TMP/phase1.ids" 4 60
it_eq "supported by both" "0 SUPPORTED FOUND FOUND" "$(verdict_of "$R_SUP")"
it_eq "contradicted by Dukcapil" "0 CONTRADICTED FOUND FOUND" "$(verdict_of "$R_CON")"
it_eq "not found anywhere" "0 NOT_FOUND NOT_FOUND NOT_FOUND" "$(verdict_of "$R_NF")"
it_eq "phone only: nobody asked" "0 SUPPORTED - -" "$(verdict_of "$R_PHONE")"

# ---- 2. JKN down (killed): decided from Dukcapil alone ----
BPJS_PORT=${URL_bpjs##*:}
kill "$PID_bpjs"
wait "$PID_bpjs" 2>/dev/null || true
R_DUK=$(uuid)
lookup "$R_DUK" 3273025205850001 '{"birth_date":"1985-05-12"}' >"$IT_TMP/phase2.jsonl"
echo "$R_DUK" >"$IT_TMP/phase2.ids"
submit "$IT_TMP/phase2.jsonl"
wait_final "$IT_TMP/phase2.ids" 1 60
it_eq "JKN down, Dukcapil decides" "0 SUPPORTED UNAVAILABLE FOUND" "$(verdict_of "$R_DUK")"

# ---- 2b. a retry waits for its not_before; the lookups topic does not wait behind it ----
# Retry lookups written straight to the retry topic, due in 10 s (phone-only changes: they need
# no source), then a fresh lookup on the lookups topic: it is decided at once while the retries
# wait, and each retry is decided only once its not_before has passed.
due=$(($(date +%s%3N) + 10000))
: >"$IT_TMP/later.ids"
head -n 12 "$IT_TMP/load_people.tsv" | while IFS=$'\t' read -r nik _; do
    r=$(uuid)
    echo "$r" >>"$IT_TMP/later.ids"
    printf '{"actor":"officer.1","request_id":"%s","kind":"CORRECTION","nik":"%s","facility_code":"P3273020201","changes":{"phone":"+6281200000000"},"reason":"later","grant":%s,"attempt":3,"not_before":%s}\n' \
        "$r" "$nik" "$GRANT" "$due"
done >"$IT_TMP/later.jsonl"
out=$("$VAKSIN_BIN/vaksin-submit" --topic vaksin.verification.lookups.retry "$IT_TMP/later.jsonl") ||
    it_fail "vaksin-submit to the retry topic: $out"
it_eq "retries due in 10 s submitted" "read=12 sent=12 refused=0" "$out"
sleep 1 # let the worker meet them and pause their partitions
R_FRESH=$(uuid)
lookup "$R_FRESH" 3273021003900002 '{"phone":"+6281234500000"}' >"$IT_TMP/fresh.jsonl"
echo "$R_FRESH" >"$IT_TMP/fresh.ids"
submit "$IT_TMP/fresh.jsonl"
wait_final "$IT_TMP/fresh.ids" 1 30
it_eq "fresh lookup decided while the retries wait: retries decided so far" 0 \
    "$(enriched | awk -F'\t' -v ids="$IT_TMP/later.ids" 'BEGIN { while ((getline l < ids) > 0) want[l] = 1 }
        ($1 in want) { n[$1] = 1 } END { print length(n) }')"
(($(date +%s%3N) < due)) || it_fail "the fresh lookup took until the retries were due: no evidence"

# ---- 3. both down: UNAVAILABLE now, retry lookups ----
control "$URL_duk" '{"down":true}'
: >"$IT_TMP/phase3.jsonl"
: >"$IT_TMP/phase3.ids"
for i in $(seq 1 20); do
    r=$(uuid)
    echo "$r" >>"$IT_TMP/phase3.ids"
    if ((i % 2)); then
        lookup "$r" 3273025205850001 "{\"name\":\"Siti Nurhaliza\"}"
    else
        lookup "$r" 3273021003900002 "{\"sex\":\"L\"}"
    fi >>"$IT_TMP/phase3.jsonl"
done
submit "$IT_TMP/phase3.jsonl"
unavailable_now() {
    enriched | awk -F'\t' -v ids="$IT_TMP/phase3.ids" 'BEGIN { while ((getline l < ids) > 0) want[l] = 1 }
        $3 == "UNAVAILABLE" && $6 != "-" && ($1 in want) { n[$1] = 1 } END { print length(n) }'
}
unavailable_all() { (($(unavailable_now) >= 20)); }
it_wait_until "20 UNAVAILABLE Enriched with retry_at" 60 unavailable_all
retries() { "$VAKSIN_BIN/vaksin-dump" --topic vaksin.verification.lookups.retry 2>/dev/null; }
retries >"$IT_TMP/retries.jsonl"
it_eq "retry lookups: one per request, attempt 1, not_before set" "20 1 True" \
    "$("$PY" "$VK_SRC/tests/integration/checks/retry_lookups.py" "$IT_TMP/retries.jsonl" "$IT_TMP/phase3.ids")"
# ---- 4. both back: every request ends with a final verdict ----
sleep 3 # a round of retries meets both sources still down
start_stub bpjs bpjs jkn_people.csv -X stub.port="$BPJS_PORT"
control "$URL_duk" '{"down":false}'
wait_final "$IT_TMP/phase3.ids" 20 60
it_eq "after the outage: final verdicts of the 20 (distinct request ids)" "SUPPORTED:20" \
    "$(enriched | awk -F'\t' -v ids="$IT_TMP/phase3.ids" 'BEGIN { while ((getline l < ids) > 0) want[l] = 1 }
        ($1 in want) && $3 != "UNAVAILABLE" { v[$1] = $3 } END { for (r in v) n[v[r]]++; for (k in n) printf "%s:%d", k, n[k] }')"
it_eq "retried requests were tried more than once" "20" \
    "$(enriched | awk -F'\t' -v ids="$IT_TMP/phase3.ids" 'BEGIN { while ((getline l < ids) > 0) want[l] = 1 }
        ($1 in want) && $3 != "UNAVAILABLE" && $2 >= 1 { n[$1] = 1 } END { print length(n) }')"

wait_final "$IT_TMP/later.ids" 12 30
it_eq "deferred retries: decided, none before its not_before, with their attempt" "12 0 3" \
    "$(enriched | awk -F'\t' -v ids="$IT_TMP/later.ids" -v due="$due" '
        BEGIN { while ((getline l < ids) > 0) want[l] = 1 }
        ($1 in want) { n[$1] = 1; if ($7 < due) early++; a = $2 } END { print length(n), early + 0, a }')"

# ---- 5. 1,000 lookups at 100 ms latency ----
control "$URL_bpjs" '{"latency_ms":100}'
control "$URL_duk" '{"latency_ms":100}'
before=$(stats "$URL_bpjs")
: >"$IT_TMP/load.ids"
"$PY" "$VK_SRC/tests/integration/checks/load_lookups.py" "$IT_TMP/load_people.tsv" "$IT_TMP/load.jsonl" \
    "$IT_TMP/load.ids" "$GRANT"
start_ms=$(date +%s%3N)
submit "$IT_TMP/load.jsonl"
wait_final "$IT_TMP/load.ids" 1000 90
# Two figures: from the start of the submission to the last Enriched written (includes the
# submit tool's start and the first fetch), and between the first and the last Enriched.
read -r supported first_ms last_ms < <(enriched | awk -F'\t' -v ids="$IT_TMP/load.ids" '
    BEGIN { while ((getline l < ids) > 0) want[l] = 1 }
    ($1 in want) && $3 == "SUPPORTED" { n[$1] = 1; if ($7 > last) last = $7; if (!first || $7 < first) first = $7 }
    END { print length(n), first, last }')
it_eq "1,000 lookups: all SUPPORTED" "1000" "$supported"
took_ms=$((last_ms - start_ms))
run_ms=$((last_ms - first_ms))
echo "figure [$IT_NAME]: lookup.inflight=$INFLIGHT, batch.max 500, batch.ms 100, 100 ms stub latency:" \
    "1000 lookups (2000 requests) in ${took_ms} ms from submission ($((1000000 / (took_ms > 0 ? took_ms : 1))) lookups/s)," \
    "${run_ms} ms from the first Enriched to the last ($((999000 / (run_ms > 0 ? run_ms : 1))) lookups/s)"
after=$(stats "$URL_bpjs")
read -r requests connections < <("$PY" -c 'import json, sys
a, b = json.loads(sys.argv[1]), json.loads(sys.argv[2])
print(b["requests"] - a["requests"], b["connections"] - a["connections"])' "$before" "$after")
echo "figure [$IT_NAME]: BPJS stub during the load: $requests requests on $connections new connections"
((requests >= 1000)) || it_fail "the BPJS stub saw $requests requests for 1000 lookups"
((connections * 5 <= requests)) ||
    it_fail "connections are not reused: $connections connections for $requests requests"
echo "ok [$IT_NAME]: connections reused ($connections for $requests requests)"

# ---- 6. TLS: the peer is verified; lookup.ca.file trusts a private CA ----
# A TLS front (Python's ssl, a self-signed certificate for 127.0.0.1) forwards to the BPJS stub.
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 \
    -addext subjectAltName=IP:127.0.0.1 -keyout "$IT_TMP/tls.key" -out "$IT_TMP/tls.crt" \
    2>/dev/null || it_fail "openssl cannot make a certificate"
"$PY" "$VK_SRC/tests/integration/checks/tls_front.py" "$IT_TMP/tls.crt" "$IT_TMP/tls.key" "$URL_bpjs" "$IT_TMP/tls.port" \
    >>"$LOGS/tls-front.log" 2>&1 &
STUB_PIDS+=($!)
for ((i = 0; i < 50; i++)); do [[ -s "$IT_TMP/tls.port" ]] && break; sleep 0.1; done
[[ -s "$IT_TMP/tls.port" ]] || it_fail "the TLS front did not start"
TLS_URL="https://127.0.0.1:$(cat "$IT_TMP/tls.port")/vclaim-rest"
tls_round() { # NAME [ARGS...] — restart the worker on the TLS front, one lookup, its verdict
    local name=$1 r
    shift
    vk_service_stop lookup
    vk_service_start lookup -X jkn.url="$TLS_URL" "$@" || it_fail "vaksin-lookup did not start"
    r=$(uuid)
    lookup "$r" 3273025205850001 '{"birth_date":"1985-05-12"}' >"$IT_TMP/$name.jsonl"
    echo "$r" >"$IT_TMP/$name.ids"
    submit "$IT_TMP/$name.jsonl"
    wait_final "$IT_TMP/$name.ids" 1 60
    verdict_of "$r"
}
it_eq "TLS, certificate not trusted: JKN unavailable" "0 SUPPORTED UNAVAILABLE FOUND" "$(tls_round tls-untrusted)"
grep -q 'source=JKN .*error="SSL certificate problem' "$LOGS/lookup.log" ||
    it_fail "no certificate error for JKN in the worker's log"
it_eq "TLS, lookup.ca.file trusts it: JKN answers" "0 SUPPORTED FOUND FOUND" \
    "$(tls_round tls-trusted -X lookup.ca.file="$IT_TMP/tls.crt")"

# Plain http:// is for loopback only: a source on the network without TLS is refused at start
# (exit 2), before any credential could be sent.
rc=0
out=$("$VAKSIN_BIN/vaksin-lookup" --config "$VAKSIN_RUN_DIR/vaksin.conf" \
    -X jkn.url=http://10.1.2.3/vclaim-rest 2>&1) || rc=$?
it_eq "http:// to a non-loopback source: refused at start" 2 "$rc"
grep -q 'plain http:// is allowed only to a loopback address' <<<"$out" ||
    it_fail "no reason for the refused http:// source: $out"

# ---- the worker's log: no credential, no whole NIK ----
for s in "$SECRET" "$USER_KEY" "$DPASS" 3273025205850001; do
    if grep -q -- "$s" "$LOGS/lookup.log"; then it_fail "the worker's log holds \"$s\""; fi
done
echo "ok [$IT_NAME]: the worker's log holds no credential and no whole NIK"
grep -q 'msg="circuit opened" source=JKN' "$LOGS/lookup.log" || it_fail "no circuit opened for JKN in the log"
grep -q 'msg="circuit closed" source=JKN' "$LOGS/lookup.log" || it_fail "no circuit closed for JKN in the log"

# ---- its /metrics (of the last run, the trusted TLS round): per source, Prometheus's format ----
curl -sf "$(vk_service_metrics_url lookup)/metrics" >"$IT_TMP/metrics" || it_fail "no /metrics from vaksin-lookup"
promtool check metrics <"$IT_TMP/metrics" || it_fail "promtool check metrics refused vaksin-lookup's /metrics"
metric() { awk -v k="$1" '$1 == k { print $2 }' "$IT_TMP/metrics"; }
jkn_requests=$(metric 'vaksin_source_requests_total{source="JKN"}')
((jkn_requests >= 1)) || it_fail "no JKN request counted: $(grep vaksin_source "$IT_TMP/metrics")"
it_eq "JKN request latencies observed = JKN requests" "$jkn_requests" \
    "$(metric 'vaksin_source_request_seconds_count{source="JKN"}')"
it_eq "JKN circuit closed" 1 "$(metric 'vaksin_source_circuit_state{source="JKN",state="closed"}')"
it_eq "JKN answers found (the trusted round's)" 1 \
    "$(metric 'vaksin_source_answers_total{source="JKN",result="found"}')"
vk_service_stop lookup
grep -q 'msg=stopped clean=true' "$LOGS/lookup.log" || it_fail "vaksin-lookup did not stop cleanly"
