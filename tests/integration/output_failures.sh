#!/usr/bin/env bash
# output_failures — what vaksin-ticket does when an output cannot be written, on Apache Kafka.
#
# A. An oversized refused request gets a dead letter that fits, and nothing loops. An
#    independent producer (Confluent's Python client) sends a TicketRequested of ~999,850 bytes
#    (a name of ~999,750 "!": INVALID_NAME), then a valid request. A dead letter holding the
#    whole value would pass the producer's 1,000,000-byte limit; the letter keeps the first
#    dead.value.max.bytes (262,144) bytes and names the full length and the SHA-256 of the
#    whole in its error. Checked: exactly one letter, for that offset, INVALID_NAME, keyed by
#    the NIK, its value byte for byte the original's first 262,144 bytes; the valid request
#    is a target; no transaction was aborted; the metrics count dead_lettered=1.
# B. A dead-letter topic that cannot be written stops the service, bounded, losing nothing.
#    vaksin.dead-letters is deleted (the broker creates no topic by itself), vaksin-ticket
#    restarted with topic.metadata.propagation.max.ms=1000 (librdkafka fails a message to an
#    unknown topic after that) and output.failures.max=3, and one INVALID_NIK request sent.
#    Checked: within 120 s the service has exited, saying fatal=true and naming
#    vaksin.dead-letters, after at most 4 aborted transactions. Then the topics are created
#    again and the service started: the request (never committed past) becomes exactly one
#    dead letter.
source "$(dirname "$0")/lib.sh"
it_needs_kafka
it_setup

py=$(vk_pyenv) || it_fail "no Python test environment"
helper=$VK_SRC/tests/integration/checks/output_failures.py
log=$VAKSIN_RUN_DIR/logs/ticket.log

# it_letter FILE PARTITION OFFSET [ORIGINAL PREFIX] — the helper's facts about one dead letter
# into the associative array L (see output_failures.py letter).
declare -A L
it_letter() {
    local k v out
    out=$("$py" "$helper" letter "$@") || it_fail "cannot read the dead letters: $out"
    L=()
    while read -r k v; do L[$k]=$v; done <<<"$out"
}

# Lines of ticket.log after line $1 matching the extended regex $2 (0 when none).
count_since() { tail -n "+$(($1 + 1))" "$log" | grep -c -E -- "$2" || true; }

# ---- A: an oversized refused request ------------------------------------------------------
t0=$SECONDS
vk_service_start projector
vk_service_restart ticket -X metrics.interval.ms=500
sent=$("$py" "$helper" oversized "$VAKSIN_BOOTSTRAP" "$IT_TMP") || it_fail "producing failed: $sent"
echo "sent: $sent"
field() { "$PY" -c 'import json,sys; v=json.loads(sys.argv[1])
for k in sys.argv[2].split("."): v=v[k]
print(v)' "$1" "$2"; }
big_p=$(field "$sent" oversized.partition) big_o=$(field "$sent" oversized.offset)
big_len=$(field "$sent" oversized.length) big_nik=$(field "$sent" oversized.nik)
ok_nik=$(field "$sent" valid.nik)
((big_len >= 999800 && big_len <= 999900)) || it_fail "the oversized value is $big_len bytes"
it_wait_caught_up 120

it_dead_letters >"$IT_TMP/dead-a.jsonl"
it_letter "$IT_TMP/dead-a.jsonl" "$big_p" "$big_o" "$IT_TMP/oversized.bin" 262144
echo "dead letter's error: ${L[error]:-}"
it_eq "dead letters after the oversized request" 1 "${L[letters]}"
it_eq "dead letters of vaksin.ticket.requests $big_p/$big_o (the oversized request)" 1 "${L[matching]}"
it_eq "its error_code" INVALID_NAME "${L[code]}"
it_eq "its service" vaksin-ticket "${L[service]}"
it_eq "its key" "$big_nik" "${L[key]}"
it_eq "its value's length (of an original of $big_len bytes)" 262144 "${L[value_len]}"
it_eq "its value is the original's first 262144 bytes" yes "${L[value_is_prefix]}"
it_eq "its error says \"first 262144 of $big_len bytes\"" yes "${L[error_names_length]}"
it_eq "its error holds the SHA-256 of the whole original" yes "${L[error_names_sha256]}"
it_eq "target rows of the valid request after it" 1 \
    "$(it_sql "SELECT count(*) FROM target WHERE nik='$ok_nik'")"
it_eq "aborted transactions (msg=\"aborting transaction\" in ticket.log)" 0 \
    "$(count_since 0 'msg="aborting transaction"')"
metrics_dead() { grep -q -E 'msg=metrics .*dead_lettered=1( |$)' "$log"; }
it_wait_until "a metrics line with dead_lettered=1" 20 metrics_dead
echo "ok [$IT_NAME]: metrics: $(grep -E 'msg=metrics .*dead_lettered=1( |$)' "$log" | tail -n1 |
    grep -o -E 'events_in=[0-9]+ events_out=[0-9]+ dead_lettered=[0-9]+ commits=[0-9]+ aborts=[0-9]+')"
echo "part A: $((SECONDS - t0)) s"

# ---- B: a dead-letter topic that cannot be written ----------------------------------------
t0=$SECONDS
vk_service_stop ticket
took=$("$py" "$helper" delete-topic "$VAKSIN_BOOTSTRAP" vaksin.dead-letters) ||
    it_fail "deleting vaksin.dead-letters: $took"
echo "vaksin.dead-letters deleted and gone from the metadata in $took s"
base=$(wc -l <"$log")
vk_service_start ticket -X kafka.producer.topic.metadata.propagation.max.ms=1000 \
    -X output.failures.max=3
sent=$("$py" "$helper" refused "$VAKSIN_BOOTSTRAP") || it_fail "producing failed: $sent"
echo "sent: $sent"
bad_p=$(field "$sent" partition) bad_o=$(field "$sent" offset) bad_nik=$(field "$sent" nik)
t1=$SECONDS
ticket_gone() { ! vk_service_running ticket; }
it_wait_until "vaksin-ticket stops" 120 ticket_gone
echo "ok [$IT_NAME]: vaksin-ticket exited $((SECONDS - t1)) s after the request was sent"
echo "its last lines:"
tail -n "+$((base + 1))" "$log" | grep -E 'level=(warn|error)|msg="?(output|aborting|delivery)' |
    tail -n 12 | cut -c1-400 || true
fatal=$(tail -n "+$((base + 1))" "$log" | grep -F 'fatal=true' | grep -c -F 'vaksin.dead-letters' || true)
it_eq "lines with fatal=true naming vaksin.dead-letters since the restart" 1 "$fatal"
aborts=$(count_since "$base" 'msg="aborting transaction"')
((aborts <= 4)) || it_fail "$aborts aborted transactions since the restart, expected at most 4"
echo "ok [$IT_NAME]: aborted transactions before stopping = $aborts (at most 4)"

"$VAKSIN_BIN/vaksin-topics" -X "kafka.bootstrap.servers=$VAKSIN_BOOTSTRAP" --create \
    -X "topics.partitions=$VAKSIN_PARTITIONS" >"$IT_TMP/topics.out" 2>&1 ||
    it_fail "vaksin-topics --create: $(tail -3 "$IT_TMP/topics.out")"
vk_service_start ticket
it_wait_caught_up 120
it_dead_letters >"$IT_TMP/dead-b.jsonl"
it_letter "$IT_TMP/dead-b.jsonl" "$bad_p" "$bad_o"
it_eq "dead letters on the recreated topic" 1 "${L[letters]}"
it_eq "dead letters of vaksin.ticket.requests $bad_p/$bad_o (the refused request)" 1 "${L[matching]}"
it_eq "its error_code" INVALID_NIK "${L[code]}"
it_eq "its key" "$bad_nik" "${L[key]}"
echo "part B: $((SECONDS - t0)) s"
