# shellcheck shell=bash
#
# tests/integration/lib.sh — what every integration test shares: a private stack (its own run
# directory, development broker and throwaway PostgreSQL), helpers to query it, and assertions
# that say what was expected and what came.
#
# ctest passes VK_BIN (the build's bin/) and VK_SRC. A test sources this file, calls it_setup,
# and the stack is torn down on exit whatever happens; its logs are kept under the test's run
# directory and printed on failure.
set -euo pipefail

VK_SRC=${VK_SRC:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
# shellcheck source=../../scripts/lib.sh
source "$VK_SRC/scripts/lib.sh"

PY=/usr/bin/python3
IT_NAME=$(basename "$0" .sh)

it_fail() {
    echo "FAIL [$IT_NAME]: $*" >&2
    exit 1
}

it_teardown() {
    local rc=$?
    vk_stack_down >/dev/null 2>&1 || true
    # Under ASan/UBSan the services report to their logs, not to the test: a report fails it.
    if [[ -n "${VAKSIN_RUN_DIR:-}" ]] &&
        grep -l -E 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' \
            "$VAKSIN_RUN_DIR"/logs/*.log >/dev/null 2>&1; then
        echo "FAIL [$IT_NAME]: a sanitizer reported in a service log" >&2
        grep -h -A20 -E 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' \
            "$VAKSIN_RUN_DIR"/logs/*.log >&2 || true
        rc=1
    fi
    if ((rc != 0)) && [[ -n "${VAKSIN_RUN_DIR:-}" ]]; then
        echo "---- logs of $IT_NAME (run dir $VAKSIN_RUN_DIR) ----" >&2
        for f in "$VAKSIN_RUN_DIR"/logs/*.log; do
            [[ -f "$f" ]] || continue
            echo "== $f (last 30 lines)" >&2
            tail -n 30 "$f" >&2
        done
    fi
    if ((rc == 0)) && [[ -n "${IT_TMP:-}" && -z "${IT_KEEP:-}" ]]; then
        rm -rf "$IT_TMP"
    fi
    exit "$rc"
}

# Starts the broker and PostgreSQL in a private run directory and exports the stack.env values.
it_setup() {
    IT_TMP=$(mktemp -d "/tmp/vaksin-it-$IT_NAME.XXXXXX")
    chmod 755 "$IT_TMP"
    export VAKSIN_RUN_DIR=$IT_TMP/run
    export VAKSIN_BIN=${VK_BIN:?VK_BIN must point to the build bin/ folder}
    export VAKSIN_PG_FAST=1
    export VAKSIN_PARTITIONS=${VAKSIN_PARTITIONS:-8}
    trap it_teardown EXIT
    vk_stack_up_infra >/dev/null
    # shellcheck disable=SC1091
    source "$VAKSIN_RUN_DIR/stack.env"
    # A SIGKILLed member stays in its group until its session times out, and the development
    # broker makes the next rebalance wait for that (it has no static membership): keep it short.
    printf '%s\n' kafka.consumer.session.timeout.ms=6000 kafka.consumer.heartbeat.interval.ms=1000 \
        >>"$VAKSIN_RUN_DIR/vaksin.conf"
}

# How many messages a stage's consumer group still has to process (from vaksin-status).
it_behind() {
    # vaksin-status exits 1 while anything is behind: that is the point here, not an error.
    { "$VAKSIN_BIN/vaksin-status" 2>/dev/null || true; } |
        awk -v g="vaksin-$1" '$1 == g { sub("behind=", "", $4); print $4 }'
}

# psql on the stack's read model: one value or rows separated by newlines, fields by |.
it_sql() { psql "$VAKSIN_PG" -v ON_ERROR_STOP=1 -XAtq -c "$1"; }

# it_eq WHAT EXPECTED ACTUAL
it_eq() {
    [[ "$2" == "$3" ]] || it_fail "$1: expected $2, got $3"
    echo "ok [$IT_NAME]: $1 = $3"
}

# Waits until every stage and the projector have caught up (vaksin-status --wait).
it_wait_caught_up() {
    "$VAKSIN_BIN/vaksin-status" --wait "${1:-180}" --quiet || it_fail "pipeline did not catch up"
}

# Dead letters as JSON lines on stdout.
it_dead_letters() { "$VAKSIN_BIN/vaksin-dump" --topic vaksin.dead-letters 2>/dev/null; }

# it_expected FILE KEY — a value from a gen-sample expected.json (dots for nesting).
it_expected() {
    "$PY" -c 'import json,sys
v=json.load(open(sys.argv[1]))
for k in sys.argv[2].split("."): v=v[k]
print(v)' "$1" "$2"
}

# it_check_sample_outcome EXPECTED_JSON — the read model and the dead letters after a gen-sample
# import, against the counts the generator wrote. Exact duplicate rows carry the same
# content-derived event id, so they are dropped as redeliveries and leave no trace; a duplicate
# NIK with other data is a CONFLICT rejection; every bad row is exactly one dead letter (distinct
# event ids: the development broker may hold a redelivered copy after a crash).
it_check_sample_outcome() {
    local exp=$1
    it_eq "targets" "$(it_expected "$exp" valid_unique_niks)" "$(it_sql "select count(*) from target")"
    it_eq "targets flagged NIK_BIRTH_DATE_MISMATCH" "$(it_expected "$exp" flagged_mismatch)" \
        "$(it_sql "select count(*) from target where 'NIK_BIRTH_DATE_MISMATCH' = any(flags)")"
    it_eq "CONFLICT rejections" "$(it_expected "$exp" conflicting_duplicates)" \
        "$(it_sql "select count(*) from rejection where reason_code = 'CONFLICT'")"
    it_eq "other rejections" "0" "$(it_sql "select count(*) from rejection where reason_code <> 'CONFLICT'")"
    it_eq "event_log rows (one per distinct event)" \
        "$(($(it_expected "$exp" valid_unique_niks) + $(it_expected "$exp" conflicting_duplicates)))" \
        "$(it_sql "select count(*) from event_log")"
    it_eq "targets per district" \
        "$("$PY" -c 'import json,sys; d=json.load(open(sys.argv[1]))["valid_unique_niks_by_district"]; print(",".join(f"{k}:{v}" for k,v in sorted(d.items())))' "$exp")" \
        "$(it_sql "select string_agg(d || ':' || n, ',' order by d) from (select left(nik, 4) d, count(*) n from target group by 1) x")"
    it_dead_letters >"$IT_TMP/dead.jsonl"
    local got
    got=$("$PY" - "$IT_TMP/dead.jsonl" <<'PY'
import json, sys, collections
seen, codes = set(), collections.Counter()
for line in open(sys.argv[1]):
    d = json.loads(line)
    v = d["value"]
    assert v["topic"] == "vaksin.ticket.requests" and v["service"] == "vaksin-ticket", v
    assert v["value"] and v["offset"] >= 0 and v["error"], v
    if v["event_id"] in seen:
        continue
    seen.add(v["event_id"])
    codes[v["error_code"]] += 1
print(",".join(f"{k}:{n}" for k, n in sorted(codes.items())))
PY
)
    local want
    want=$("$PY" - "$exp" <<'PY'
import json, sys, collections
e = json.load(open(sys.argv[1]))["bad_by_reason"]
code = {"NIK_LENGTH": "INVALID_NIK", "NIK_PROVINCE": "INVALID_NIK", "NIK_SERIAL": "INVALID_NIK",
        "NIK_DATE": "INVALID_NIK", "PHONE_INVALID": "INVALID_PHONE", "NAME_EMPTY": "INVALID_NAME",
        "NAME_DIGITS": "INVALID_NAME"}
c = collections.Counter()
for reason, n in e.items():
    c[code[reason]] += n
print(",".join(f"{k}:{n}" for k, n in sorted(c.items())))
PY
)
    it_eq "dead letters by code" "$want" "$got"
}
