#!/usr/bin/env bash
# eos_pg_restart — PostgreSQL goes away under a busy pipeline, five times, and comes back on the
# same port (checked: VAKSIN_PG and every service's conninfo stay valid): twice with a fast
# shutdown (vk_pg_stop: every session is terminated) and three times with `pg_ctl -m immediate`,
# a crash. vaksin-projector (the read model's only writer) and vaksin-registration (which resolves
# ticket numbers in the read model) must ride it out by themselves — never exit, never stall —
# and the read model must end exactly as the generators say: nothing lost, nothing applied twice.
#
#   stage 1  a 20,000-row import (sample A), which the projector applies as vaksin-ticket lets it
#            through, in small batches (many transactions, so a restart lands inside one more
#            often than not): restarts 1 (fast, 1 s down) and 2 (immediate, 3 s down). Then
#            it_check_sample_outcome, the exact import check — after restart 3 (immediate,
#            1 s down) with nothing in flight, which the projector must notice between batches.
#   stage 2  the desk day of A's targets (gen-desk-day, ~50,000 requests in 12 phases) together
#            with a second 20,000-row import (sample B: another seed, no NIK in common with A or
#            the day, checked). Restarts 4 (fast, 7 s down: longer than registration's
#            pg.retry.ms, so its lookups give up and its loop aborts and retries the batch,
#            VK_RETRY) and 5 (immediate, 2 s down) both strike during the first phase, while
#            registration resolves its 4,000-odd tickets and the projector applies B.
#   final    it_check_desk_outcome (dose table row by row, rejections, desk dead letters,
#            event_log outcomes), and samples A and B checked as it_check_sample_outcome checks
#            one import, on the ticket events only (the day added rows, rejections and dead
#            letters of its own): targets, flags, targets per district, CONFLICT rejections,
#            event_log rows and dead letters by code, each the sum of A's and B's expectations.
#
# Why the immediate restarts matter: the tests run PostgreSQL with synchronous_commit=off
# (VAKSIN_PG_FAST), so a crash may take commits it had already acknowledged with it. The
# projector's offsets are stored in the same transactions, so they go back too — but its
# consumer had moved past those events; a projector that merely reconnects and carries on loses
# them (this test lost a 40-event batch that way, and saw an idle projector sit behind until
# more input came). It must resume from the offsets stored in PostgreSQL after any lost
# connection, found in a batch or between batches.
#
# Restarts are driven by progress, not by the clock (as in crash_recovery): each waits until the
# projector has logged a number of events more, then strikes after a random pause. Each reports
# what the services noticed (from their logs); every restart must have been noticed by the
# projector, at least two must have broken a projector batch in flight and one a registration
# batch, or the test proved less than it says.
# IT_SEED picks the pauses (default 20210315); IT_DESK_EVENTS the size of the desk day.
source "$(dirname "$0")/lib.sh"
it_needs_kafka
it_setup

pg_dir=$VAKSIN_RUN_DIR/pg
csv_a=$IT_TMP/sisdmk-a.csv csv_b=$IT_TMP/sisdmk-b.csv
"$VK_SRC/scripts/gen-sample" --rows 20000 "$csv_a" >/dev/null 2>&1
"$VK_SRC/scripts/gen-sample" --rows 20000 --seed 20210316 "$csv_b" >/dev/null 2>&1
day=$IT_TMP/day

# Small transactions everywhere: vaksin-ticket is the import's bottleneck (15 requests a
# transaction), so the projector applies the import as it trickles in, in many small batches,
# for the whole stage rather than in one burst it would finish in a second or two.
projector_args=(-X batch.max=40)
ticket_args=(-X batch.max=15 -X batch.ms=10)
registration_args=(-X batch.max=5 -X batch.ms=10)
vk_service_start projector "${projector_args[@]}"
vk_service_start ticket "${ticket_args[@]}"
vk_service_start registration "${registration_args[@]}"
for svc in screening vaccination; do
    vk_service_start "$svc"
done

RANDOM=${IT_SEED:-20210315}
logged() { it_sql "select count(*) from event_log"; }
caught_up() { "$VAKSIN_BIN/vaksin-status" --quiet >/dev/null 2>&1; }
mark=0
logged_more() { (($(logged) > mark)); }
logged_more_or_done() { logged_more || caught_up; }
log_count() { grep -c -- "$2" "$VAKSIN_RUN_DIR/logs/$1.log" || true; }

# pg_restart MODE DOWN_SECONDS — stops PostgreSQL (fast, or immediate: a crash), keeps it down
# for DOWN_SECONDS, starts it again, and checks that it came back on the same conninfo, that
# the projector goes on and that no service exited. Prints what the projector and registration
# noticed (from their logs): projector batches that failed in flight, or a dead connection
# found between batches; registration batches aborted because a ticket lookup failed.
restarts=0 hit_projector=0 noticed_projector=0 hit_registration=0
pg_restart() {
    local mode=$1 down=$2 before after p0 i0 r0 p1 i1 r1 svc t0=$SECONDS
    before=$(vk_pg_conninfo "$pg_dir")
    p0=$(log_count projector 'batch failed; reconnecting')
    i0=$(log_count projector 'lost between batches')
    r0=$(log_count registration 'handler asked to retry')
    if [[ $mode == fast ]]; then
        vk_pg_stop "$pg_dir" || it_fail "vk_pg_stop failed"
    else
        vk_pg_crash "$pg_dir" || it_fail "pg_ctl -m immediate stop failed"
    fi
    sleep "$down"
    after=$(vk_pg_start "$pg_dir") || it_fail "PostgreSQL did not start again"
    [[ "$after" == "$before" ]] || it_fail "PostgreSQL came back as '$after', was '$before': VAKSIN_PG is stale"
    restarts=$((restarts + 1))
    mark=$(logged)
    it_wait_until "restart $restarts: the projector logging again" 60 logged_more_or_done
    for svc in projector registration ticket screening vaccination; do
        vk_service_running "$svc" || it_fail "vaksin-$svc exited after PostgreSQL restart $restarts ($mode)"
    done
    p1=$(log_count projector 'batch failed; reconnecting')
    i1=$(log_count projector 'lost between batches')
    r1=$(log_count registration 'handler asked to retry')
    ((p1 > p0)) && hit_projector=$((hit_projector + 1))
    ((p1 + i1 > p0 + i0)) && noticed_projector=$((noticed_projector + 1))
    ((r1 > r0)) && hit_registration=$((hit_registration + 1))
    echo "restart $restarts ($mode, down ${down}s, same port, $((SECONDS - t0))s in all):" \
        "projector batches failed $((p1 - p0)), idle reconnects $((i1 - i0));" \
        "registration batches retried $((r1 - r0)); $(logged) events logged"
}

# strike_after N — waits until the projector has logged N events more than now, then pauses
# for a random fraction of a second (the restart then lands inside a batch more often than not).
strike_after() {
    mark=$(($(logged) + $1 - 1))
    it_wait_until "the projector logging $1 more events" 120 logged_more
    sleep "0.$((RANDOM % 3))$((RANDOM % 10))"
}

# ---- stage 1: the import of sample A under two restarts, and a third once it is all in
"$VAKSIN_BIN/vaksin-import" "$csv_a" >"$IT_TMP/import-a.out" 2>"$IT_TMP/import-a.err" ||
    it_fail "import of A failed: $(tail -3 "$IT_TMP/import-a.err")"
strike_after 1500
pg_restart fast 1
strike_after 3000
pg_restart immediate 3
(($(logged) < 19000)) || it_fail "stage 1: the projector had (nearly) finished before the last restart"
it_wait_caught_up 240
# And once with nothing in flight: the projector must find its dead connection between batches.
pg_restart immediate 1
it_wait_caught_up 60
it_check_sample_outcome "$csv_a.expected.json"

# ---- stage 2: the desk day of A's targets and the import of sample B, under two restarts
# while registration resolves the first phase's tickets and the projector applies B.
it_desk_day_generate "$csv_a" "$day" ${IT_DESK_EVENTS:+--events "$IT_DESK_EVENTS"}
# B must not touch anyone of A or of the day, or its import would change the day's outcome.
"$PY" "$VK_SRC/tests/integration/checks/samples_disjoint.py" "$csv_a" "$csv_b" "$day" ||
    it_fail "samples A and B (or the desk day) share NIKs"
"$VAKSIN_BIN/vaksin-import" "$csv_b" >"$IT_TMP/import-b.out" 2>"$IT_TMP/import-b.err" ||
    it_fail "import of B failed: $(tail -3 "$IT_TMP/import-b.err")"
# behind NAME — from one vaksin-status look in $IT_TMP/status.txt, as it_behind reads it.
behind() { awk -v g="vaksin-$1" '$1 == g { sub("behind=", "", $4); n += $4 } END { print n + 0 }' "$IT_TMP/status.txt"; }
first=1
while read -r phase; do
    name=$(basename "$phase")
    it_submit_phase "$phase"
    if ((first)); then
        first=0
        regs=$(grep -c . "$phase/vaksin.registration.requests.jsonl") || it_fail "$name has no registrations"
        for mode in fast:7 immediate:2; do
            strike_after 1500
            "$VAKSIN_BIN/vaksin-status" >"$IT_TMP/status.txt" 2>/dev/null || true
            left=$(behind registration)
            echo "$name: $left of $regs registrations still to resolve, $(behind ticket) requests of B" \
                "still to validate, $(behind projector) events still to apply"
            ((left > 0)) || it_fail "$name: registration got through its $regs requests before restart $((restarts + 1))"
            pg_restart "${mode%:*}" "${mode#*:}"
        done
    fi
    it_wait_caught_up 300
    echo "$name done: $(logged) events logged"
done < <(it_desk_phases "$day")

echo "figure: restarts=$restarts projector_hit_in_a_batch=$hit_projector projector_noticed=$noticed_projector" \
    "registration_hit=$hit_registration projector_batches_failed=$(log_count projector 'batch failed; reconnecting')" \
    "projector_idle_reconnects=$(log_count projector 'lost between batches')" \
    "registration_batches_retried=$(log_count registration 'handler asked to retry')"
# Every restart must have been seen by the projector (a failed batch, or a dead connection found
# between batches: an unnoticed restart would mean a connection that did not die, i.e. no
# restart); at least two must have broken a batch in flight, one a registration batch.
((noticed_projector == restarts)) || it_fail "the projector noticed only $noticed_projector of $restarts restarts"
((hit_projector >= 2)) || it_fail "only $hit_projector of $restarts restarts hit a projector batch in flight"
((hit_registration >= 1)) || it_fail "no restart hit vaksin-registration resolving a ticket"
for svc in projector registration; do
    vk_service_running "$svc" || it_fail "vaksin-$svc is not running at the end"
done

it_check_desk_outcome "$day/expected.json"

# Samples A and B, on the ticket events only: the sums of both generators' expectations.
sum() { echo $(($(it_expected "$csv_a.expected.json" "$1") + $(it_expected "$csv_b.expected.json" "$1"))); }
ticket_events="event_type not in ($IT_DESK_EVENT_TYPES)"
it_eq "targets (A + B)" "$(sum valid_unique_niks)" "$(it_sql "select count(*) from target")"
it_eq "targets flagged NIK_BIRTH_DATE_MISMATCH (A + B)" "$(sum flagged_mismatch)" \
    "$(it_sql "select count(*) from target where 'NIK_BIRTH_DATE_MISMATCH' = any(flags)")"
it_eq "CONFLICT rejections (A + B)" "$(sum conflicting_duplicates)" \
    "$(it_sql "select count(*) from rejection where reason_code = 'CONFLICT'")"
it_eq "other rejections of ticket events" 0 \
    "$(it_sql "select count(*) from rejection where reason_code <> 'CONFLICT' and $ticket_events")"
it_eq "event_log rows of ticket events (A + B)" \
    "$(($(sum valid_unique_niks) + $(sum conflicting_duplicates)))" \
    "$(it_sql "select count(*) from event_log where $ticket_events")"
it_eq "targets per district (A + B)" \
    "$("$PY" -c 'import collections,json,sys
c=collections.Counter()
for p in sys.argv[1:]: c.update(json.load(open(p))["valid_unique_niks_by_district"])
print(",".join(f"{k}:{v}" for k,v in sorted(c.items())))' "$csv_a.expected.json" "$csv_b.expected.json")" \
    "$(it_sql "select string_agg(d || ':' || n, ',' order by d) from (select left(nik, 4) d, count(*) n from target group by 1) x")"
it_dead_letters >"$IT_TMP/dead-all.jsonl"
it_eq "dead letters of the ticket requests by code (A + B)" \
    "$("$PY" "$VK_SRC/tests/integration/checks/ticket_dead_letter_codes.py" --expected "$csv_a.expected.json" "$csv_b.expected.json")" \
    "$("$PY" "$VK_SRC/tests/integration/checks/ticket_dead_letter_codes.py" "$IT_TMP/dead-all.jsonl")"
