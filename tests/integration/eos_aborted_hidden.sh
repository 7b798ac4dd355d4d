#!/usr/bin/env bash
# eos_aborted_hidden — aborted output stays hidden. A 21,000-row import reaches vaksin-ticket in
# 21 slices, and the service is SIGKILLed once per slice in the middle of a transaction and
# restarted. Its transactions stay open for up to a second (batch.ms=1000, no idle close), so a
# kill leaves produced but uncommitted records in vaksin.target.events and vaksin.dead-letters;
# the restarted instance (same transactional id) aborts them.
#
# Then a client that shares no code with vaksin (Confluent's Python client, its own librdkafka)
# reads the topics twice:
#   read_committed   exactly one outcome — a TicketIssued or a dead letter — per input request:
#                    no duplicate at the Kafka level, not only after the projector's dedupe;
#   read_uncommitted the aborted records are there (a witness: otherwise the test proved
#                    nothing, e.g. if every kill had landed between transactions).
# And the read model equals the generator's expectations, as in crash_recovery.
source "$(dirname "$0")/lib.sh"
it_needs_kafka
it_setup

rows=21000 slices=21
csv=$IT_TMP/sisdmk.csv
"$VK_SRC/scripts/gen-sample" --rows "$rows" "$csv" >/dev/null
exp=$csv.expected.json
mkdir -p "$IT_TMP/slices"
tail -n +2 "$csv" >"$IT_TMP/rows.csv"
split -n "l/$slices" -d -a 2 "$IT_TMP/rows.csv" "$IT_TMP/slices/part-"

ticket_args=(-X batch.max=400 -X batch.ms=1000 -X batch.idle.ms=-1)
vk_service_start projector

RANDOM=${IT_SEED:-20210113}
kills=0 busy=0
for part in "$IT_TMP"/slices/part-??; do
    { head -n1 "$csv"; cat "$part"; } >"$part.csv"
    "$VAKSIN_BIN/vaksin-import" "$part.csv" >>"$IT_TMP/import.out" 2>&1 ||
        it_fail "import of $(basename "$part") failed: $(tail -3 "$IT_TMP/import.out")"
    vk_service_start ticket "${ticket_args[@]}"
    # Strike once the instance has committed something since its start (it got its partitions
    # and is in its stride), after a random pause inside its next transaction.
    behind=$(it_behind ticket)
    for ((i = 0; i < 300; i++)); do
        now=$(it_behind ticket)
        ((now < behind)) && break
        sleep 0.1
    done
    sleep "0.$((RANDOM % 8))"
    left=$(it_behind ticket)
    vk_service_kill ticket KILL
    kills=$((kills + 1))
    ((left > 0)) && busy=$((busy + 1))
    echo "kill $kills: $left requests still to go"
done
vk_service_start ticket "${ticket_args[@]}"
it_wait_caught_up 300

echo "kills: $kills, $busy of them with requests still to go"
((kills >= 20)) || it_fail "expected at least 20 kills, made $kills"
((busy >= kills / 2)) || it_fail "only $busy of $kills kills hit work in progress"

it_exactly_once "$rows" 1
aborted=$IT_ABORTED
echo "figure: kills=$kills busy=$busy aborted_records_seen_by_witness=$aborted duplicates_read_committed=0"
it_check_sample_outcome "$exp"
