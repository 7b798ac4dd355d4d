#!/usr/bin/env bash
# projector_scale_out — two vaksin-projector instances started together on an empty read model
# share the group vaksin-projector: both start (migrations take a lock first), the person's log
# (vaksin.target.events) is split evenly between them, both apply events, and the
# read model is exactly what the generator says. The group also reads vaksin.access.events, a
# quiet topic: an assignor that balances the count of partitions over both topics gave the
# second instance all of that topic and none of the log, so a second instance added nothing.
source "$(dirname "$0")/lib.sh"
it_needs_kafka
it_setup
py=$(vk_pyenv) || it_fail "no Python test environment"

csv=$IT_TMP/sisdmk.csv
"$VK_SRC/scripts/gen-sample" --rows 6000 "$csv" >/dev/null
exp=$csv.expected.json

# The second instance, outside vk_service_start (which runs one "projector"): its
# kafka.client.id puts its pid file's name on its command line, where scripts/lib.sh finds it.
other_log=$VAKSIN_RUN_DIR/logs/projector-1.log
vk__spawn "$VAKSIN_RUN_DIR/pids/projector-1.pid" "$other_log" "$VAKSIN_RUN_DIR/stack.env" \
    "$VAKSIN_BIN/vaksin-projector" --config "$VAKSIN_RUN_DIR/vaksin.conf" \
    -X kafka.client.id=vaksin-projector-1 -X metrics.listen=off ||
    it_fail "vaksin-projector instance 1 did not start"
vk_service_start projector -X kafka.client.id=vaksin-projector-0

# Each member holds half of the log's partitions, rounded down at least (the range assignor
# splits every topic).
half=$((VAKSIN_PARTITIONS / 2))
members=
split_evenly() {
    members=$("$py" "$VK_SRC/tests/clients/group_probe.py" "$VAKSIN_BOOTSTRAP" members \
        vaksin-projector vaksin.target.events) || return 1
    [[ $(awk -v h="$half" 'NF == 2 && split($2, p, ",") >= h' <<<"$members" | wc -l) == 2 ]]
}
it_wait_until "each instance holding half of vaksin.target.events" \
    60 split_evenly
echo "group vaksin-projector, partitions of vaksin.target.events: $(tr '\n' ';' <<<"$members")"

vk_service_start ticket
"$VAKSIN_BIN/vaksin-import" "$csv" >"$IT_TMP/import.out" 2>"$IT_TMP/import.err" ||
    it_fail "import failed: $(tail -3 "$IT_TMP/import.err")"
it_wait_caught_up 240
it_check_sample_outcome "$exp"

# Both applied events: each logs its totals when it stops.
vk_service_stop projector
vk__stop_pid "$(cat "$VAKSIN_RUN_DIR/pids/projector-1.pid")" vaksin-projector 15 ||
    it_fail "vaksin-projector instance 1 did not stop"
for log in "$VAKSIN_RUN_DIR/logs/projector.log" "$other_log"; do
    applied=$(grep 'msg=metrics' "$log" | tail -1 | sed -n 's/.* applied=\([0-9]*\).*/\1/p')
    echo "$(basename "$log"): applied=${applied:-none}"
    ((${applied:-0} > 0)) || it_fail "$(basename "$log"): this instance applied no event"
done
echo "ok [$IT_NAME]: two instances split the log and both applied events"
