#!/usr/bin/env bash
# desk_day_crash — the desk_day programme (~50,000 desk requests in phases) while a random desk
# service or the projector is killed with SIGKILL in the middle of a phase and restarted, once
# or twice in every phase. The dose table, rejections, dead letters and event_log outcomes must
# be exactly those of an undisturbed run (the generator's model): a redelivered request gives the
# same derived event id and is dropped, a lost transaction is redone, nothing is applied twice.
#
# Kills are driven by progress, not by the clock (as in crash_recovery): once a phase is
# submitted, each kill waits until its victim has visibly done work of this phase (input
# consumed for a desk service, desk events logged for the projector), then strikes after a
# random pause. Small batches make many transactions, so most kills land inside one. Each kill
# reports what its victim left to redo; at least a third of them must have left some.
# IT_SEED picks the victims and pauses (default 20210201).
source "$(dirname "$0")/lib.sh"
it_setup

csv=$IT_TMP/sisdmk.csv
"$VK_SRC/scripts/gen-sample" --rows 20000 "$csv" >/dev/null 2>&1
day=$IT_TMP/day

projector_args=(-X batch.max=40)
desk_args=(-X batch.max=5 -X batch.ms=10)
start() {
    if [[ $1 == projector ]]; then
        vk_service_start projector "${projector_args[@]}"
    else
        vk_service_start "$1" "${desk_args[@]}"
    fi
}
for svc in projector registration screening vaccination; do
    start "$svc"
done
vk_service_start ticket
"$VAKSIN_BIN/vaksin-import" "$csv" >"$IT_TMP/import.out" 2>"$IT_TMP/import.err" ||
    it_fail "import failed: $(tail -3 "$IT_TMP/import.err")"
it_wait_caught_up 240
it_check_sample_outcome "$csv.expected.json"
it_desk_day_generate "$csv" "$day" ${IT_DESK_EVENTS:+--events "$IT_DESK_EVENTS"}

RANDOM=${IT_SEED:-20210201}
logged() { it_sql "select count(*) from event_log where event_type in ($IT_DESK_EVENT_TYPES)"; }
caught_up() { "$VAKSIN_BIN/vaksin-status" --quiet >/dev/null 2>&1; }
# Progress since moved_since: desk events logged (or nothing left at all: the last messages of
# a phase may be dropped duplicates), input consumed by a desk service.
moved_since=0
logged_more() { (($(logged) > moved_since)) || caught_up; }
consumed_more() { (($(it_behind "$victim") < moved_since)); }

kills=0 busy=0
while read -r phase; do
    name=$(basename "$phase")
    # Candidates: the projector, and the desk services with real work in this phase.
    candidates=(projector)
    for f in "$phase"/*.jsonl; do
        (($(grep -c . "$f") >= 100)) && candidates+=("$(it_desk_service_of "$f")")
    done
    it_submit_phase "$phase"
    victims=$((1 + RANDOM % 2))
    for ((k = 0; k < victims; k++)); do
        # A desk service can get through its share of a phase before its turn comes (more so
        # for the second victim of a phase): choose among those still behind.
        live=(projector)
        for c in "${candidates[@]:1}"; do
            (($(it_behind "$c") > 0)) && live+=("$c")
        done
        victim=${live[RANDOM % ${#live[@]}]}
        if [[ $victim != projector ]]; then
            moved_since=$(it_behind "$victim")
            ((moved_since > 0)) || { echo "$name: vaksin-$victim already done, the projector instead"; victim=projector; }
        fi
        if [[ $victim == projector ]]; then
            moved_since=$(logged)
            it_wait_until "$name: the projector logging desk events" 60 logged_more
            sleep "0.$((RANDOM % 3))$((RANDOM % 10))"
        else
            it_wait_until "$name: vaksin-$victim consuming" 60 consumed_more
            sleep "0.$((RANDOM % 2))$((RANDOM % 10))" # it gets through a phase in a second or two
        fi
        vk_service_kill "$victim" KILL
        kills=$((kills + 1))
        left=$(it_behind "$victim")
        ((left > 0)) && busy=$((busy + 1))
        start "$victim"
        echo "$name: killed vaksin-$victim with $left messages to redo ($(logged) desk events logged)"
    done
    it_wait_caught_up 300
done < <(it_desk_phases "$day")

echo "kills: $kills, of which $busy left work to redo"
# One or two kills a phase: this fails only if the programme shrinks (fewer phases, e.g. a small
# IT_DESK_EVENTS), which would leave too few crashes to mean anything.
((kills >= 12)) || it_fail "expected at least 12 kills, made $kills"
((busy * 3 >= kills)) || it_fail "only $busy of $kills kills hit work in progress"
it_check_desk_outcome "$day/expected.json"
