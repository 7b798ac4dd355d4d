#!/usr/bin/env bash
# bench/lookups.sh — verification lookups per second: vaksin-lookup against the two stub servers
# (vaksin-stubs, BPJS and Dukcapil protocols) answering every request after 100 ms.
#
#   bench/lookups.sh [--n N] [--ref-n M] [--latency-ms MS] [--partitions P] [-X key=value]...
#
# (a) reference, one request at a time: the same worker with lookup.inflight=1 over M lookups
#     (default 50). A lookup asks both sources (JKN and Dukcapil), so one at a time it costs two
#     round trips (~200 ms at 100 ms latency) plus the worker's own share (Kafka, transaction);
#     this is the honest sequential figure for a lookup, measured through the same path.
# (b) product: N lookups (default 10,000) with the worker's defaults (plus any -X), from the start
#     of the submission until the last VerificationEnriched is written to vaksin.target.events.
#
# Each lookup is a CORRECTION of name and birth date for a distinct person both stubs know, so
# every one needs two HTTP requests (no cache hits: distinct NIKs) and must end SUPPORTED. The
# end of a run is when the worker's group has committed every input (vaksin-status); the figure
# uses the Kafka timestamp of the last Enriched (written inside the batch's transaction). Every
# request id must have exactly its SUPPORTED Enriched, otherwise the bench fails (loss).
#
# Prints human lines and, last, `RESULT lookups reference=<lookups/s> product=<lookups/s> n=<N>`.
# Own stack (run dir .run-bench/ unless VAKSIN_RUN_DIR is set), Release build in build-release/
# (VAKSIN_BUILD_DIR), see bench/lib.sh. Runs under `flock /tmp/vaksin-bench.lock` (one benchmark
# at a time on the machine); a caller already holding that lock sets VAKSIN_BENCH_LOCKED=1.
set -euo pipefail
if [[ -z "${VAKSIN_BENCH_LOCKED:-}" ]]; then
    echo "bench: waiting for /tmp/vaksin-bench.lock" >&2
    exec env VAKSIN_BENCH_LOCKED=1 flock -o /tmp/vaksin-bench.lock "$0" "$@"
fi
here=$(cd "$(dirname "$0")" && pwd)
n=10000
ref_n=50
latency=100
partitions=16
extra=()
while (($#)); do
    case "$1" in
    --n) n=$2; shift 2 ;;
    --ref-n) ref_n=$2; shift 2 ;;
    --latency-ms) latency=$2; shift 2 ;;
    --partitions) partitions=$2; shift 2 ;;
    -X) extra+=(-X "$2"); shift 2 ;;
    *) sed -n '2,5s/^# \{0,1\}//p' "$0" >&2; exit 2 ;;
    esac
done
((n > 0 && ref_n > 0)) || { echo "bench: --n and --ref-n must be positive" >&2; exit 2; }
PY=/usr/bin/python3

# shellcheck source=lib.sh
source "$here/lib.sh"
bench_stack_up "$partitions"

data=$VAKSIN_RUN_DIR/bench-lookups
rm -rf "$data"
mkdir -p "$data" "$VAKSIN_RUN_DIR/people"

# People both sources know (same file for both: every lookup is SUPPORTED) and the lookups:
# the first M for the reference, the next N for the product.
"$PY" - "$VAKSIN_RUN_DIR/people" "$data" "$ref_n" "$n" <<'PY'
import sys, uuid
people, data, ref_n, n = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
grant = ('{"grant_event_id":"0a7d6c54-2f4b-4e59-9d0e-5f1e2d3c4b5a","user_id":"officer.1",'
         '"facility_code":"P3273020201","district_code":"3273","granted_by":"dinkes.bandung",'
         '"granted_at":1612000000000}')
letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
rows = []
for i in range(ref_n + n):
    day, month, yy = 1 + i % 28, 1 + (i // 28) % 12, 60 + i % 40
    nik = "3273%02d%02d%02d%02d%04d" % (1 + i // 9000, day, month, yy, 1 + i % 9000)
    name = "WARGA " + letters[i // 676 % 26] + letters[i // 26 % 26] + letters[i % 26] + "ANTO"
    rows.append((nik, name, "19%02d-%02d-%02d" % (yy, month, day)))
for f in ("jkn", "dukcapil"):
    with open("%s/%s.csv" % (people, f), "w") as out:
        out.write("nik,name,birth_date,sex,card_no\n")
        for nik, name, birth in rows:
            out.write("%s,%s,%s,L,0001234567890\n" % (nik, name, birth))
for part, lo, hi in (("ref", 0, ref_n), ("product", ref_n, ref_n + n)):
    with open("%s/%s.jsonl" % (data, part), "w") as o, open("%s/%s.ids" % (data, part), "w") as ids:
        for nik, name, birth in rows[lo:hi]:
            r = str(uuid.uuid4())
            ids.write(r + "\n")
            o.write('{"actor":"officer.1","request_id":"%s","kind":"CORRECTION","nik":"%s",'
                    '"facility_code":"P3273020201","changes":{"name":"%s","birth_date":"%s"},'
                    '"reason":"bench","grant":%s}\n' % (r, nik, name, birth, grant))
PY

vk_stub_start jkn -X "stub.latency.ms=$latency" >/dev/null
vk_stub_start dukcapil -X "stub.latency.ms=$latency" >/dev/null
jkn_url=$(head -n1 "$VAKSIN_RUN_DIR/stub-jkn.url")
duk_url=$(head -n1 "$VAKSIN_RUN_DIR/stub-dukcapil.url")
echo "bench: stubs at $latency ms latency: JKN $jkn_url, Dukcapil $duk_url ($((ref_n + n)) people)" >&2

# lookup_lag — how many lookups the worker's group has not committed yet (-1: unreadable).
lookup_lag() {
    { env -u VAKSIN_PG "$VAKSIN_BIN/vaksin-status" 2>/dev/null || true; } |
        awk '$1 == "vaksin-lookup" && $2 == "vaksin.verification.lookups" {
                 sub("behind=", "", $4); print $4; found = 1 }
             END { if (!found) print -1 }'
}

# run NAME COUNT TIMEOUT_S — submits $data/NAME.jsonl, waits until the worker committed it all,
# checks that every request id has its SUPPORTED Enriched, and prints lookups/s (from the start
# of the submission to the last Enriched's timestamp).
run() {
    local name=$1 count=$2 timeout_s=$3 start_ms out lag i got first_ms last_ms took_ms
    start_ms=$(date +%s%3N)
    out=$("$VAKSIN_BIN/vaksin-submit" --topic vaksin.verification.lookups "$data/$name.jsonl" \
        2>>"$data/submit.err") || { echo "bench: vaksin-submit failed: $out" >&2; return 1; }
    [[ "$out" == "read=$count sent=$count refused=0" ]] ||
        { echo "bench: vaksin-submit: expected read=$count sent=$count refused=0, got $out" >&2; return 1; }
    echo "bench: $name: $count lookups submitted in $(($(date +%s%3N) - start_ms)) ms" >&2
    for ((i = 0; ; i++)); do
        lag=$(lookup_lag)
        [[ "$lag" == 0 ]] && break
        if ((i >= timeout_s)); then
            echo "bench: $name: worker still $lag lookups behind after $timeout_s s" >&2
            return 1
        fi
        sleep 1
    done
    "$VAKSIN_BIN/vaksin-dump" --topic vaksin.target.events 2>/dev/null >"$data/$name.events"
    read -r got first_ms last_ms < <("$PY" - "$data/$name.ids" "$data/$name.events" <<'PY'
import json, sys
want = set(open(sys.argv[1]).read().split())
seen, first, last = {}, None, 0
for line in open(sys.argv[2]):
    m = json.loads(line)
    p = m.get("value", {}).get("payload", {})
    if p.get("type") != "VerificationEnriched" or p.get("request_id") not in want:
        continue
    seen.setdefault(p["request_id"], set()).add(p["verdict"])
    first = m["timestamp"] if first is None else min(first, m["timestamp"])
    last = max(last, m["timestamp"])
ok = sum(1 for v in seen.values() if v == {"SUPPORTED"})
print(ok, first or 0, last)
PY
)
    if ((got != count)); then
        echo "bench: $name: LOST: $got of $count lookups have their SUPPORTED Enriched" >&2
        return 1
    fi
    took_ms=$((last_ms - start_ms))
    ((took_ms > 0)) || took_ms=1
    echo "bench: $name: all $count Enriched (SUPPORTED) in $took_ms ms from submission," \
        "$((last_ms - first_ms)) ms from the first to the last" >&2
    "$PY" -c "print('%.1f' % ($count * 1000.0 / $took_ms))"
}

# start_worker ARGS... — starts vaksin-lookup and waits until it has its partitions, so a run
# measures lookups, not the group join (which after a restart can take the old member's
# session timeout on the development broker).
start_worker() {
    local log=$VAKSIN_RUN_DIR/logs/lookup.log before i
    before=$(grep -c 'msg="partitions assigned"' "$log" 2>/dev/null || true)
    vk_service_start lookup -X metrics.interval.ms=5000 "$@"
    for ((i = 0; i < 1200; i++)); do
        (($(grep -c 'msg="partitions assigned"' "$log" || true) > ${before:-0})) && return 0
        sleep 0.1
    done
    echo "bench: vaksin-lookup got no partitions within 120 s" >&2
    return 1
}

# (a) the reference: one request at a time.
start_worker "${extra[@]}" -X lookup.inflight=1
ref=$(run ref "$ref_n" $((ref_n * 2 + 60)))
vk_service_stop lookup
echo "reference: one request at a time (lookup.inflight=1), $ref_n lookups × 2 requests: $ref lookups/s"

# (b) the product: the worker's defaults.
start_worker "${extra[@]}"
t0=$(date +%s)
product=$(run product "$n" $((n / 20 + 120)))
echo "product: $n lookups ($((2 * n)) requests) end to end: $product lookups/s" \
    "(wall $(($(date +%s) - t0)) s incl. checks)"
grep -E 'msg="lookup sources"' "$VAKSIN_RUN_DIR/logs/lookup.log" | tail -1 | sed 's/^/worker: /'
for s in jkn dukcapil; do
    echo "stub $s: $(curl -sS "$(head -n1 "$VAKSIN_RUN_DIR/stub-$s.url")/_stats")"
done
vk_service_stop lookup
"$PY" - "$ref" "$product" <<'PY'
import sys
ref, prod = float(sys.argv[1]), float(sys.argv[2])
ratio = prod / ref if ref > 0 else 0
print("lookups: reference %.1f/s, product %.1f/s, ratio %.1f x; goal >= 1,000/s: %s"
      % (ref, prod, ratio, "met" if prod >= 1000 else "NOT met"))
PY
echo "RESULT lookups reference=$ref product=$product n=$n"
