#!/usr/bin/env bash
# bench/import.sh — the bulk-import figure of design §9 / issue 2: N ticket requests (default
# 1,000,000) from a SISDMK CSV through vaksin-import → vaksin-ticket → vaksin-projector into
# `target`, end to end, against a reference measured in the same run on the same machine: the
# same rows loaded with psql's \copy into an identical table (same columns, constraints and
# indexes). Prints both rates and their ratio; machines here are shared and noisy, so only the
# ratio means much. It is a benchmark, not a test: it never fails on a slow day, only when the
# pipeline loses or invents rows.
#
#   bench/import.sh [--rows N] [--partitions P]
#
# Uses its own stack (run dir .run-bench/), a Release build in build-release/, and
# VAKSIN_PG_FAST=1 (fsync off) for both the pipeline and the reference, so neither pays for
# durability the other does not.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/.." && pwd)
rows=1000000
partitions=32
while (($#)); do
    case "$1" in
    --rows) rows=$2; shift 2 ;;
    --partitions) partitions=$2; shift 2 ;;
    *) sed -n '2,16s/^# \{0,1\}//p' "$0" >&2; exit 2 ;;
    esac
done

# shellcheck source=lib.sh
source "$here/lib.sh"
bench_stack_up "$partitions"
now() { date +%s.%N; }
rate() { awk -v n="$1" -v a="$2" -v b="$3" 'BEGIN { printf "%.0f", n / (b - a) }'; }

data=$VAKSIN_RUN_DIR/bench
mkdir -p "$data"
csv=$data/sisdmk.csv
echo "bench: generating $rows rows" >&2
"$src/scripts/gen-sample" --rows "$rows" "$csv" >/dev/null
expected=$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["valid_unique_niks"])' "$csv.expected.json")

vk_service_start projector -X metrics.interval.ms=1000
vk_service_start ticket -X metrics.interval.ms=1000
# Let both join their groups first: the first rebalance of the development broker waits 3 s,
# which is start-up, not throughput.
sleep 5

echo "bench: importing" >&2
t0=$(now)
"$VAKSIN_BIN/vaksin-import" "$csv" >"$data/import.out"
t1=$(now)
"$VAKSIN_BIN/vaksin-status" --wait 3600 --quiet
t2=$(now)
projected=$(sql "SELECT count(*) FROM target")
[[ "$projected" == "$expected" ]] || { echo "bench: $projected targets projected, expected $expected" >&2; exit 1; }

echo "bench: reference \\copy of the same rows" >&2
sql "COPY target TO '$data/target.copy'" 2>/dev/null || psql "$VAKSIN_PG" -Xq -c "\\copy target TO '$data/target.copy'"
sql "CREATE TABLE target_ref (LIKE target INCLUDING ALL)"
t3=$(now)
psql "$VAKSIN_PG" -Xq -v ON_ERROR_STOP=1 -c "\\copy target_ref FROM '$data/target.copy'"
t4=$(now)
copied=$(sql "SELECT count(*) FROM target_ref")

e2e=$(rate "$rows" "$t0" "$t2")
import_only=$(rate "$rows" "$t0" "$t1")
copy=$(rate "$copied" "$t3" "$t4")
e2e_targets=$(rate "$projected" "$t0" "$t2")
printf '\n%-44s %12s\n' "figure" "value"
printf '%-44s %12s\n' "requests imported" "$rows"
printf '%-44s %12s\n' "targets projected (= expected)" "$projected"
printf '%-44s %12s\n' "importer alone, requests/s" "$import_only"
printf '%-44s %12s\n' "end to end, requests/s" "$e2e"
printf '%-44s %12s\n' "end to end, target rows/s" "$e2e_targets"
printf '%-44s %12s\n' "reference psql \\copy, target rows/s" "$copy"
printf '%-44s %12s\n' "ratio end-to-end rows/s : \\copy rows/s" "$(awk -v a="$e2e_targets" -v b="$copy" 'BEGIN { printf "%.3f", a / b }')"
for p in devbroker projector ticket; do
    pid=$(cat "$VAKSIN_RUN_DIR/pids/$p.pid" 2>/dev/null || true)
    [[ -n "$pid" ]] && printf '%-44s %12s\n' "peak RSS $p (MB)" "$(awk '/VmHWM/ { printf "%.0f", $2 / 1024 }' "/proc/$pid/status" 2>/dev/null)"
done
