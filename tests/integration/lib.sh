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

# A test that ctest kills on its timeout gets SIGKILL: no EXIT trap runs, and its stack (broker,
# PostgreSQL, services: all detached) would keep running and slow every later test. A watcher
# tears the stack down once this shell is gone (after a normal end it finds nothing left to
# stop, or no run directory at all). It is forked twice, into its own session, so that it is
# no longer this shell's descendant: ctest kills the test's process tree.
it__reaper() {
    (setsid bash -c 'while kill -0 "$1" 2>/dev/null; do sleep 2; done
        export VAKSIN_RUN_DIR=$3 VAKSIN_BIN=$4 VAKSIN_BROKER=$5
        source "$2/scripts/lib.sh" && vk_stack_down' \
        it-reaper "$$" "$VK_SRC" "$VAKSIN_RUN_DIR" "$VAKSIN_BIN" "${VAKSIN_BROKER:-kafka}" \
        </dev/null >/dev/null 2>&1 &)
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
    it__reaper
    vk_stack_up_infra >/dev/null
    # shellcheck disable=SC1091
    source "$VAKSIN_RUN_DIR/stack.env"
    # A SIGKILLed member stays in its group until its session times out (45 s by default), and
    # the rebalance that gives its partitions to a restarted instance waits for that. 6 s is the
    # shortest session a broker allows by default (group.min.session.timeout.ms), the heartbeat a
    # third of it as librdkafka advises. Production keeps the defaults.
    printf '%s\n' kafka.consumer.session.timeout.ms=6000 kafka.consumer.heartbeat.interval.ms=1000 \
        >>"$VAKSIN_RUN_DIR/vaksin.conf"
}

# it_needs_kafka — skips the test (exit 77, ctest's SKIP_RETURN_CODE) on the development broker:
# what it proves (transaction markers, fencing, read_committed) only Apache Kafka implements.
it_needs_kafka() {
    [[ "${VAKSIN_BROKER:-kafka}" == kafka ]] && return 0
    echo "skipped [$IT_NAME]: needs Apache Kafka (VAKSIN_BROKER=${VAKSIN_BROKER})"
    exit 77
}

# it_behind NAME — messages the group vaksin-NAME has still to consume, summed over its input
# topics (the projector reads two, so vaksin-status prints it on two lines).
it_behind() {
    # vaksin-status exits 1 while anything is behind: that is the point here, not an error.
    { "$VAKSIN_BIN/vaksin-status" 2>/dev/null || true; } |
        awk -v g="vaksin-$1" '$1 == g { sub("behind=", "", $4); n += $4 } END { print n + 0 }'
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
    got=$("$PY" "$VK_SRC/tests/integration/checks/dead_letter_codes.py" "$IT_TMP/dead.jsonl")
    local want
    want=$("$PY" "$VK_SRC/tests/integration/checks/dead_letter_codes.py" --expected "$exp")
    it_eq "dead letters by code" "$want" "$got"
}

# ---------------------------------------------------------------------------------------------
# Desks 1, 2 and 4: a simulated day from scripts/gen-desk-day, submitted phase by phase, and its
# outcome compared with the generator's own model (DIR/expected.json).

# The event types desk requests become.
IT_DESK_EVENT_TYPES="'Registered', 'Screened', 'Vaccinated'"

# it_desk_day_generate SAMPLE_CSV OUT_DIR [GEN-DESK-DAY ARGS...] — dumps the targets' tickets
# from the read model (after the import of SAMPLE_CSV) and writes the day into OUT_DIR.
it_desk_day_generate() {
    local csv=$1 out=$2
    shift 2
    psql "$VAKSIN_PG" -v ON_ERROR_STOP=1 -XAtq -F $'\t' -c 'select nik, ticket from target' \
        >"$IT_TMP/tickets.tsv" || it_fail "cannot dump the tickets"
    "$VK_SRC/scripts/gen-desk-day" --sample "$csv" --tickets "$IT_TMP/tickets.tsv" --out "$out" \
        "$@" || it_fail "gen-desk-day failed"
}

# it_desk_phases DAY_DIR — the phase directories of a day, in order, one a line.
it_desk_phases() { find "$1" -mindepth 1 -maxdepth 1 -type d -name 'phase-*' | sort; }

# it_submit_phase PHASE_DIR — sends every <topic>.jsonl of one phase with vaksin-submit and
# checks that every line was delivered (no refused line, no failed delivery).
it_submit_phase() {
    local dir=$1 f topic lines out
    for f in "$dir"/*.jsonl; do
        [[ -e "$f" ]] || continue
        topic=$(basename "$f" .jsonl)
        lines=$(grep -c . "$f")
        out=$("$VAKSIN_BIN/vaksin-submit" --topic "$topic" "$f" 2>>"$IT_TMP/submit.err") ||
            it_fail "vaksin-submit $(basename "$dir")/$topic: exit $?: $out; $(tail -3 "$IT_TMP/submit.err")"
        [[ "$out" == "read=$lines sent=$lines refused=0" ]] ||
            it_fail "vaksin-submit $(basename "$dir")/$topic: expected read=$lines sent=$lines refused=0, got $out"
    done
}

# it_submit_day DAY_DIR — every phase in order, each followed by it_wait_caught_up: a person's
# requests on different topics or keys are only ordered by that wait.
it_submit_day() {
    local phase
    while read -r phase; do
        it_submit_phase "$phase"
        it_wait_caught_up 300
        echo "submitted $(basename "$phase"): $(it_sql "select count(*) from event_log where event_type in ($IT_DESK_EVENT_TYPES)") desk events logged"
    done < <(it_desk_phases "$1")
}

# it_export_dose FILE — the dose table as gen-desk-day's dose_columns: tab-separated, sorted by
# nik and dose, timestamps as epoch milliseconds, NULL as "".
it_export_dose() {
    psql "$VAKSIN_PG" -v ON_ERROR_STOP=1 -XAtq -F $'\t' >"$1" -c "
        select nik, dose, status, visits, registered_facility,
               (extract(epoch from registered_at) * 1000)::bigint,
               screening_result, screening_facility,
               (extract(epoch from screened_at) * 1000)::bigint,
               temperature_c, systolic, diastolic, vaccine, batch, vaccinating_facility,
               (extract(epoch from vaccinated_at) * 1000)::bigint,
               updated_event_id, (extract(epoch from updated_at) * 1000)::bigint
        from dose order by nik, dose" || it_fail "cannot export the dose table"
}

# it_check_desk_outcome EXPECTED_JSON — the read model and the dead letters after a desk day,
# against gen-desk-day's model: the whole dose table row by row, every rejection (derived event
# id → reason code, NIK, event type), the desk topics' dead letters by topic and code (distinct
# dead-letter ids: a crash may leave a redelivered copy), and event_log rows of desk events by
# outcome. Prints the first differences on a mismatch.
it_check_desk_outcome() {
    local exp=$1 dir=$IT_TMP/desk-outcome
    mkdir -p "$dir"
    it_export_dose "$dir/dose.tsv"
    it_sql "select event_id, nik, event_type, reason_code from rejection
            where event_type in ($IT_DESK_EVENT_TYPES) order by event_id" | tr '|' '\t' >"$dir/rejection.tsv"
    it_sql "select outcome, count(*) from event_log where event_type in ($IT_DESK_EVENT_TYPES)
            group by 1 order by 1" | tr '|' '\t' >"$dir/event_log.tsv"
    it_dead_letters >"$dir/dead.jsonl"
    "$PY" "$VK_SRC/tests/integration/checks/desk_outcome.py" "$exp" "$dir" "$IT_NAME" ||
        it_fail "the desk day's outcome differs from the model (above)"
}

# it_wait_until WHAT SECONDS COMMAND [ARGS...] — runs COMMAND until it succeeds, 0.1 s apart;
# fails the test with "WHAT ..." once SECONDS of wall-clock time have passed (a slow COMMAND
# counts too).
it_wait_until() {
    local what=$1 seconds=$2 end
    shift 2
    end=$((SECONDS + seconds))
    while ((SECONDS < end)); do
        "$@" && return 0
        sleep 0.1
    done
    "$@" && return 0
    it_fail "$what: not within $seconds s"
}

# it_exactly_once ROWS MIN_ABORTED — the Kafka-level check of tests/clients/exactly_once.py on
# vaksin.ticket.requests (Confluent's Python client): ROWS requests read back, each with exactly
# one committed outcome (no duplicate, none missing), and at least MIN_ABORTED records that only
# the read_uncommitted witness sees. Sets IT_ABORTED to that count; prints the report.
it_exactly_once() {
    local report py field
    py=$(vk_pyenv) || it_fail "no Python test environment"
    report=$("$py" "$VK_SRC/tests/clients/exactly_once.py" "$VAKSIN_BOOTSTRAP" vaksin.ticket.requests) ||
        it_fail "not exactly one committed outcome per request: $report"
    echo "report: $report"
    field() { "$py" -c 'import json,sys; v=json.loads(sys.argv[1])
for k in sys.argv[2].split("."): v=v[k]
print(v)' "$report" "$1"; }
    it_eq "requests read back" "$1" "$(field inputs)"
    it_eq "duplicates seen by the read_committed reader" 0 "$(field committed.extra)"
    it_eq "requests without a committed outcome" 0 "$(field committed.missing)"
    IT_ABORTED=$(field aborted_seen)
    ((IT_ABORTED >= $2)) ||
        it_fail "the read_uncommitted witness saw $IT_ABORTED aborted records, expected at least $2"
}

# The desk service that consumes a desk request file (<topic>.jsonl): registration, ...
it_desk_service_of() {
    case $(basename "$1" .jsonl) in
    vaksin.registration.requests) echo registration ;;
    vaksin.screening.requests) echo screening ;;
    vaksin.vaccination.requests) echo vaccination ;;
    *) it_fail "not a desk request file: $1" ;;
    esac
}

# it_replay_matches MIN_ROWS — the read model's person tables (target, dose, verification,
# verification_change) are snapshotted, the schema dropped, the projector restarted to replay
# the whole log into the empty schema, and the snapshot taken again: they must be identical,
# and hold at least MIN_ROWS rows (so an empty comparison cannot pass).
it_replay_matches() {
    local snap
    snap() {
        it_sql "select v.*::text from verification v order by request_id"
        it_sql "select c.*::text from verification_change c order by request_id, field"
        it_sql "select t.*::text from target t order by nik"
        it_sql "select d.*::text from dose d order by nik, dose"
    }
    snap >"$IT_TMP/live.txt"
    vk_service_stop projector
    it_sql "drop schema public cascade; create schema public" >/dev/null
    vk_service_start projector
    it_wait_caught_up 120
    snap >"$IT_TMP/replayed.txt"
    diff "$IT_TMP/live.txt" "$IT_TMP/replayed.txt" >&2 || it_fail "the replay differs from the live rows"
    (($(wc -l <"$IT_TMP/live.txt") >= $1)) || it_fail "replay snapshot has fewer than $1 rows"
    echo "ok [$IT_NAME]: replaying the log into an empty schema gives identical rows ($(wc -l <"$IT_TMP/live.txt") rows)"
}

# it_stub_start NAME PROTOCOL CONF PEOPLE LOG [ARGS...] — starts a vaksin-stubs of PROTOCOL
# (bpjs|dukcapil) outside the stack (config CONF, people file PEOPLE, log LOG, extra -X ARGS),
# waits for its address and sets URL_<NAME> and PID_<NAME>; its pid is added to STUB_PIDS for
# the test's own teardown.
it_stub_start() {
    local name=$1 proto=$2 conf=$3 people=$4 log=$5 i
    shift 5
    rm -f "$IT_TMP/$name.url"
    "$VK_BIN/vaksin-stubs" --config "$conf" -X stub.protocol="$proto" \
        -X stub.people.file="$people" -X stub.port.file="$IT_TMP/$name.url" "$@" >>"$log" 2>&1 &
    STUB_PIDS+=($!)
    printf -v "PID_$name" '%s' "$!"
    for ((i = 0; i < 100; i++)); do
        [[ -s "$IT_TMP/$name.url" ]] && break
        kill -0 "$!" 2>/dev/null || it_fail "vaksin-stubs $proto exited at start"
        sleep 0.1
    done
    [[ -s "$IT_TMP/$name.url" ]] || it_fail "vaksin-stubs $proto wrote no port file"
    printf -v "URL_$name" '%s' "$(cat "$IT_TMP/$name.url")"
}

# it_stub_control URL JSON — changes a stub's behaviour at run time (POST URL/_control).
it_stub_control() { curl -sS --fail-with-body -d "$2" "$1/_control" >/dev/null || it_fail "/_control $2 refused"; }

# it_demo_workload ROWS DESK_EVENTS — the demo's workload on the test's stack (after it_setup):
# starts the stubs and every service, then scripts/demo --running imports a ROWS-row SISDMK
# sample (bad rows and duplicates included), runs a desk day of DESK_EVENTS requests and the
# verification round (grants, corrections, an addition, refusals), checking every outcome.
# Leaves the stack up and caught up; the demo's files are in $VAKSIN_RUN_DIR/demo.
it_demo_workload() {
    vk_stubs_start >/dev/null || it_fail "the stubs did not start"
    vk_services_start_all >/dev/null || it_fail "the services did not start"
    "$VK_SRC/scripts/demo" --running --rows "$1" --desk-events "$2" >"$IT_TMP/demo.log" 2>&1 ||
        { tail -n 40 "$IT_TMP/demo.log" >&2; it_fail "the demo workload failed (log: $IT_TMP/demo.log)"; }
    it_wait_caught_up 180
    echo "ok [$IT_NAME]: demo workload ($1 rows, $2 desk requests, verifications) projected"
}

# it_test_certificates DIR — a throwaway CA (ca.pem, ca.key), a server certificate for 127.0.0.1
# and localhost signed by it (server.pem, server.key) and a client certificate (client.pem,
# client.key), valid two days, made with openssl in DIR.
it_test_certificates() {
    local dir=$1
    mkdir -p "$dir"
    (
        cd "$dir" &&
            openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=vaksin test CA" \
                -keyout ca.key -out ca.pem &&
            openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" -keyout server.key -out server.csr &&
            printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n' >server.ext &&
            openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 \
                -extfile server.ext -out server.pem &&
            openssl req -newkey rsa:2048 -nodes -subj "/CN=vaksin test client" -keyout client.key -out client.csr &&
            printf 'extendedKeyUsage=clientAuth\n' >client.ext &&
            openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 \
                -extfile client.ext -out client.pem
    ) >"$dir/openssl.log" 2>&1 || { cat "$dir/openssl.log" >&2; it_fail "openssl could not make the test certificates"; }
}
