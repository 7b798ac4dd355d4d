#!/usr/bin/env bash
# crash_recovery — the same 20,000-row import while vaksin-projector and vaksin-ticket are killed
# with SIGKILL in the middle of their work and restarted, four times each. The final read model
# and dead letters must be exactly those of an undisturbed run: nothing lost, nothing applied twice.
#
# Kills are driven by progress, not by the clock: each one waits until the victim has visibly
# done work since its last start (rows in event_log for the projector, input consumed for the
# ticket service), then strikes after a random pause, so it lands inside a batch, between a
# transaction's produce and commit, or during a commit. Small batches make many transactions.
source "$(dirname "$0")/lib.sh"
it_setup

csv=$IT_TMP/sisdmk.csv
"$VK_SRC/scripts/gen-sample" --rows 20000 "$csv" >/dev/null
exp=$csv.expected.json

projector_args=(-X batch.max=40)
ticket_args=(-X batch.max=15 -X batch.ms=10)
vk_service_start projector "${projector_args[@]}"
vk_service_start ticket "${ticket_args[@]}"
"$VAKSIN_BIN/vaksin-import" "$csv" >"$IT_TMP/import.out" 2>&1 ||
    it_fail "import failed: $(tail -3 "$IT_TMP/import.out")"

RANDOM=${IT_SEED:-20210201}
logged() { it_sql "select count(*) from event_log"; }

# wait_progress WHAT CHECK — polls CHECK (a function printing 0 or 1) for up to 60 s.
wait_progress() {
    for _ in $(seq 600); do
        [[ "$($2)" == 1 ]] && return 0
        sleep 0.1
    done
    it_fail "$1 made no progress in 60 s"
}

kills=0
for round in 1 2 3 4; do
    before=$(logged)
    projector_moved() { (($(logged) > before)) && echo 1 || echo 0; }
    wait_progress projector projector_moved
    sleep "0.$((RANDOM % 3))$((RANDOM % 10))"
    vk_service_kill projector KILL
    kills=$((kills + 1))
    vk_service_start projector "${projector_args[@]}"

    behind=$(it_behind ticket)
    ticket_moved() { (($(it_behind ticket) < behind)) && echo 1 || echo 0; }
    ((behind > 0)) && wait_progress ticket ticket_moved
    sleep "0.0$((RANDOM % 10))"
    vk_service_kill ticket KILL
    kills=$((kills + 1))
    vk_service_start ticket "${ticket_args[@]}"
    echo "round $round: projector killed at $(logged) events logged, ticket with $(it_behind ticket) requests to go"
done
it_wait_caught_up 300
echo "kills: $kills"
((kills == 8)) || it_fail "expected 8 kills"
# The kills must have hit work in progress: at least one of them left requests to redo.
it_check_sample_outcome "$exp"
