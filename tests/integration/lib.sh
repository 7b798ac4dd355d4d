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
    if ((rc != 0)) && [[ -n "${VAKSIN_RUN_DIR:-}" ]]; then
        echo "---- logs of $IT_NAME (run dir $VAKSIN_RUN_DIR) ----" >&2
        for f in "$VAKSIN_RUN_DIR"/logs/*.log; do
            [[ -f "$f" ]] || continue
            echo "== $f (last 30 lines)" >&2
            tail -n 30 "$f" >&2
        done
    fi
    vk_stack_down >/dev/null 2>&1 || true
    if ((rc == 0)) && [[ -n "${IT_TMP:-}" ]]; then
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
