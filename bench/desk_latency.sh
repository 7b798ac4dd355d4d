#!/usr/bin/env bash
# bench/desk_latency.sh — how long a desk waits: the latency from the moment a registration,
# screening or vaccination request is handed to the Kafka producer until its event is visible in
# the read model (`event_log`, whatever the outcome: applied, unchanged or refused), at a steady
# request rate (default 500/s for 60 s). Prints the count and the p50, p90, p99 and maximum in ms.
#
#   bench/desk_latency.sh [--rate N] [--seconds S] [--partitions P] [--batch-ms MS]
#                         [-X key=value]...
#
# What one latency covers: producer linger (5 ms) and delivery to the development broker, the
# desk service's consume-transform-produce transaction (it commits every batch.ms or batch.max
# messages), the projector's batch (batch.ms) and its PostgreSQL commit, and the poll that sees
# it. vaksin-loadgen (tools/loadgen) sends the requests at fixed instants on a monotonic clock
# and polls event_log every 5 ms for their derived event ids; a visibility time is the end of the
# poll that first returned the id, so figures are late by at most one poll interval plus one query
# (a few ms). --batch-ms sets batch.ms of the three desk services and the projector (default:
# their own defaults, 100 and 200 ms), the main knob between latency and throughput; -X passes
# any other setting to those four programs (e.g. -X kafka.consumer.fetch.wait.max.ms=10).
#
# The requests are a desk day from scripts/gen-desk-day for the 20,000-row sample (imported
# first): its phases in order, the three desks' requests of a phase interleaved, without the
# invalid requests that become dead letters (they never reach event_log) nor resubmissions of an
# event_id. They are sent without waiting between phases, so some outcomes differ from the
# integration test's (e.g. a vaccination overtaking its screening); that changes which rule
# refuses, not the path an event takes. The first 2 s of requests warm the producer up and are
# left out of the figures. It is a benchmark, not a test: it fails only when
# requests are lost (never visible) or a program fails.
#
# Uses its own stack (run dir .run-bench/), a Release build in build-release/, VAKSIN_PG_FAST=1
# (fsync off), like bench/run.
set -euo pipefail
# One benchmark at a time (see bench/run): a caller holding the lock sets VAKSIN_BENCH_LOCKED=1.
if [[ -z "${VAKSIN_BENCH_LOCKED:-}" ]]; then
    echo "bench: waiting for /tmp/vaksin-bench.lock" >&2
    exec env VAKSIN_BENCH_LOCKED=1 flock -o /tmp/vaksin-bench.lock "$0" "$@"
fi
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/.." && pwd)
rate=500
seconds=60
partitions=16
batch_ms=
extra=()
while (($#)); do
    case "$1" in
    --rate) rate=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    --partitions) partitions=$2; shift 2 ;;
    --batch-ms) batch_ms=$2; shift 2 ;;
    -X) extra+=(-X "$2"); shift 2 ;;
    *) sed -n '2,6s/^# \{0,1\}//p' "$0" >&2; exit 2 ;;
    esac
done

# shellcheck source=lib.sh
source "$here/lib.sh"
bench_stack_up "$partitions"

data=$VAKSIN_RUN_DIR/bench
rm -rf "$data"
mkdir -p "$data"
csv=$data/sisdmk.csv
"$src/scripts/gen-sample" --rows 20000 "$csv" >/dev/null 2>&1

svc_args=(-X metrics.interval.ms=5000)
[[ -n "$batch_ms" ]] && svc_args+=(-X "batch.ms=$batch_ms")
svc_args+=("${extra[@]}")
for svc in projector ticket registration screening vaccination; do
    if [[ $svc == ticket ]]; then
        vk_service_start ticket
    else
        vk_service_start "$svc" "${svc_args[@]}"
    fi
done
echo "bench: importing the 20,000-row sample" >&2
"$VAKSIN_BIN/vaksin-import" "$csv" >"$data/import.out"
"$VAKSIN_BIN/vaksin-status" --wait 600 --quiet

needed=$((rate * (seconds + 2)))  # with vaksin-loadgen's 2 s of warm-up
echo "bench: generating a desk day of about $needed requests" >&2
psql "$VAKSIN_PG" -XAtq -v ON_ERROR_STOP=1 -F $'\t' -c "select nik, ticket from target" >"$data/tickets.tsv"
"$src/scripts/gen-desk-day" --sample "$csv" --tickets "$data/tickets.tsv" --out "$data/day" \
    --events $((needed + needed / 10 + 1000)) 2>"$data/gen.err" || { cat "$data/gen.err" >&2; exit 1; }
# Phases in order, each phase's three files interleaved, dead letters and resubmissions left out.
/usr/bin/python3 - "$data/day" "$data/requests.jsonl" <<'PY'
import glob, json, os, random, sys
day, out = sys.argv[1:3]
dead = set(json.load(open(os.path.join(day, "expected.json")))["dead_letter_requests"])
rng, seen, n = random.Random(1), set(), 0
with open(out, "w") as f:
    for phase in sorted(glob.glob(os.path.join(day, "phase-*"))):
        lines = []
        for path in sorted(glob.glob(os.path.join(phase, "*.jsonl"))):
            topic = os.path.basename(path)[:-len(".jsonl")]
            lines += [(topic, json.loads(l)) for l in open(path)]
        rng.shuffle(lines)
        for topic, v in lines:
            if v["event_id"] in dead or v["event_id"] in seen:
                continue
            seen.add(v["event_id"])
            f.write(json.dumps({"topic": topic, "value": v}, separators=(",", ":")) + "\n")
            n += 1
print("bench: %d requests to send" % n, file=sys.stderr)
PY
available=$(grep -c . "$data/requests.jsonl")
((available >= needed)) || echo "bench: only $available requests for $needed: sending all" >&2

# Let the groups settle (the first rebalance of the development broker waits 3 s).
sleep 5
before=$(sql "select count(*) from event_log")
echo "bench: sending $rate requests/s for $seconds s" >&2
result=$("$VAKSIN_BIN/vaksin-loadgen" --rate "$rate" --seconds "$seconds" \
    --latencies "$data/latencies.tsv" "$data/requests.jsonl" 2>"$data/loadgen.err") || {
    echo "bench: vaksin-loadgen failed: $result" >&2
    tail -5 "$data/loadgen.err" >&2
    exit 1
}
"$VAKSIN_BIN/vaksin-status" --wait 120 --quiet
after=$(sql "select count(*) from event_log")
field() { sed -n "s/.*\\b$1=\\([^ ]*\\).*/\\1/p" <<<"$result"; }

printf '\n%-52s %12s\n' "figure" "value"
printf '%-52s %12s\n' "requests sent and measured" "$(field sent)"
printf '%-52s %12s\n' "warm-up requests before them (not measured)" "$(field warmup)"
printf '%-52s %12s\n' "achieved rate, requests/s" "$(field rate)"
printf '%-52s %12s\n' "measured requests visible in event_log" "$(field visible)"
printf '%-52s %12s\n' "requests never visible" "$(field missing)"
printf '%-52s %12s\n' "event_log rows added" "$((after - before))"
printf '%-52s %12s\n' "batch.ms of desk services / projector" "${batch_ms:-100 / 200}"
((${#extra[@]})) && printf '%-52s %12s\n' "other settings" "${extra[*]}"
printf '%-52s %12s\n' "latency p50, ms" "$(field p50_ms)"
printf '%-52s %12s\n' "latency p90, ms" "$(field p90_ms)"
printf '%-52s %12s\n' "latency p99, ms" "$(field p99_ms)"
printf '%-52s %12s\n' "latency max, ms" "$(field max_ms)"
printf '%-52s %12s\n' "latency mean, ms" "$(field mean_ms)"
for p in kafka devbroker projector registration screening vaccination; do
    pid=$(cat "$VAKSIN_RUN_DIR/pids/$p.pid" 2>/dev/null || true)
    [[ -n "$pid" ]] && printf '%-52s %12s\n' "peak RSS $p (MB)" "$(awk '/VmHWM/ { printf "%.0f", $2 / 1024 }' "/proc/$pid/status" 2>/dev/null)"
done
# Where the slow ones are: by desk, and by 10-second window of the run (every request's figures
# are in $data/latencies.tsv).
/usr/bin/python3 - "$data/latencies.tsv" <<'PY'
import collections, math, sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1])]
def pct(v, p):
    v = sorted(v)
    return v[max(0, math.ceil(p / 100 * len(v)) - 1)] if v else float("nan")
groups = collections.defaultdict(list)
for at, topic, lat, _ in rows:
    if lat and float(at) >= 0:  # not the warm-up
        groups["desk " + topic.split(".")[1]].append(float(lat))
        groups["window %3d-%3d s" % (float(at) // 10000 * 10, float(at) // 10000 * 10 + 10)].append(float(lat))
print("\n%-30s %8s %8s %8s %8s" % ("latency ms", "count", "p50", "p99", "max"))
for k in sorted(groups):
    v = groups[k]
    print("%-30s %8d %8.1f %8.1f %8.1f" % (k, len(v), pct(v, 50), pct(v, 99), max(v)))
PY
