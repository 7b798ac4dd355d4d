#!/usr/bin/env bash
# redrive — vaksin-redrive on the real programs: registrations by ticket that arrive before their
# tickets are dead-lettered UNKNOWN_TICKET; while the tickets are unknown a redrive that asks the
# read model skips them all (cause persists) and sends nothing; once the tickets are issued it
# sends each one back (original position → new position), and each person gets exactly one
# registered dose. A second redrive sends them again and changes no row: the unchanged bytes keep
# their event ids, vaksin-registration derives the same Registered ids, and the projector drops
# them as duplicates. A dead letter that kept only the head of its message is never sent.
source "$(dirname "$0")/lib.sh"
it_setup

N=5
CHECK=$VK_SRC/tests/integration/checks/redrive.py

vk_service_start projector -X metrics.interval.ms=300
vk_service_start ticket
vk_service_start registration -X dead.value.max.bytes=1024

# redrive ARGS... — runs vaksin-redrive; stdout in $IT_TMP/redrive.out, its last line in LAST.
redrive() {
    "$VAKSIN_BIN/vaksin-redrive" "$@" >"$IT_TMP/redrive.out" 2>"$IT_TMP/redrive.err" ||
        it_fail "vaksin-redrive $*: exit $?: $(tail -3 "$IT_TMP/redrive.err")"
    LAST=$(tail -n 1 "$IT_TMP/redrive.out")
}

submit() { # TOPIC FILE LINES
    local out
    out=$("$VAKSIN_BIN/vaksin-submit" --topic "$1" "$2" 2>>"$IT_TMP/submit.err") ||
        it_fail "vaksin-submit $2: $out; $(tail -3 "$IT_TMP/submit.err")"
    it_eq "vaksin-submit $(basename "$2")" "read=$3 sent=$3 refused=0" "$out"
}

dead_letters_with() { it_dead_letters | grep -c "\"error_code\":\"$1\"" || true; }

# The rows a redrive may change, as text: any change between two snapshots is a changed row.
snapshot() {
    it_sql "select d.*::text from dose d order by nik, dose"
    it_sql "select event_id, nik, event_type, outcome, topic, partition, \"offset\", causation_id
            from event_log order by event_id"
    it_sql "select r.*::text from rejection r order by event_id"
    it_sql "select nik, ticket from target order by nik"
}

# The duplicates the projector has dropped so far (its last metrics line; 0 before the first).
projector_duplicates() {
    local n
    n=$({ grep -o 'msg=metrics .* duplicates=[0-9]*' "$VAKSIN_RUN_DIR/logs/projector.log" || true; } |
        tail -n 1 | sed 's/.*duplicates=//')
    echo "${n:-0}"
}

"$PY" "$CHECK" requests "$VAKSIN_RUN_DIR/vaksin.conf" "$N" "$IT_TMP" || it_fail "cannot write the requests"
cut -f 3 "$IT_TMP/people.tsv" | sort >"$IT_TMP/request-ids.txt"

# 1. Registrations before their tickets: N dead letters UNKNOWN_TICKET, and one INVALID_TICKET
#    whose 1.5 kB value the dead letter keeps only the first 1,024 bytes of.
submit vaksin.registration.requests "$IT_TMP/registrations.jsonl" "$N"
submit vaksin.registration.requests "$IT_TMP/oversized.jsonl" 1
it_wait_caught_up 120
it_eq "UNKNOWN_TICKET dead letters" "$N" "$(dead_letters_with UNKNOWN_TICKET)"
it_eq "INVALID_TICKET dead letters" 1 "$(dead_letters_with INVALID_TICKET)"
it_eq "registered doses before the tickets" 0 "$(it_sql "select count(*) from dose")"

# 2. The cause is still there: with the read model every one is skipped, and --send sends nothing.
redrive --code UNKNOWN_TICKET
it_eq "dry run while the tickets are unknown" "selected=$N would_send=0 skipped=$N" "$LAST"
redrive --code UNKNOWN_TICKET --send
it_eq "--send while the tickets are unknown" "selected=$N sent=0 skipped=$N" "$LAST"
it_eq "skip lines saying the cause persists" "$N" \
    "$(grep -c '^skip .* reason="cause persists: ticket .* is still not in the read model"$' "$IT_TMP/redrive.out")"
grep -q '^skip .*ticket=[0-9a-z]\{6\}-' "$IT_TMP/redrive.out" ||
    it_fail "the ticket typed with hyphens is not among the skipped: $(cat "$IT_TMP/redrive.out")"
it_eq "registration requests on the topic (nothing sent)" $((N + 1)) \
    "$("$VAKSIN_BIN/vaksin-dump" --topic vaksin.registration.requests 2>/dev/null | wc -l)"

# Without the read model nothing is checked, and the dry run says so.
env -u VAKSIN_PG "$VAKSIN_BIN/vaksin-redrive" --code UNKNOWN_TICKET >"$IT_TMP/redrive.out" 2>"$IT_TMP/redrive.err" ||
    it_fail "vaksin-redrive without pg.conninfo: exit $?"
it_eq "dry run without pg.conninfo" "selected=$N would_send=$N skipped=0" "$(tail -n 1 "$IT_TMP/redrive.out")"
it_eq "would-send lines saying the cause was not checked" "$N" \
    "$(grep -c '^would-send .* cause="cause not checked (no pg.conninfo' "$IT_TMP/redrive.out")"

# A dead letter that kept only the head of its message is not sent back.
redrive --code INVALID_TICKET --send
it_eq "--send of a cut dead letter" "selected=1 sent=0 skipped=1" "$LAST"
grep -q '^skip .* reason="the dead letter kept only part of the message.*first 1024 of [0-9]* bytes of the value' \
    "$IT_TMP/redrive.out" || it_fail "no reason given for the cut dead letter: $(cat "$IT_TMP/redrive.out")"

# 3. The tickets are issued: the cause is gone, and the redrive sends each dead letter's request
#    back to the position it names.
submit vaksin.ticket.requests "$IT_TMP/tickets.jsonl" "$N"
it_wait_caught_up 120
it_eq "targets" "$N" "$(it_sql "select count(*) from target")"
redrive --code UNKNOWN_TICKET --send
cp "$IT_TMP/redrive.out" "$IT_TMP/redrive-1.out"
it_eq "first redrive" "selected=$N sent=$N skipped=0" "$LAST"
it_eq "sent lines saying the cause is gone" "$N" \
    "$(grep -c '^sent .* cause="cause gone: ticket .* is in the read model now" to=vaksin.registration.requests/' "$IT_TMP/redrive-1.out")"
it_dead_letters >"$IT_TMP/dead.jsonl"
it_eq "sent lines against the dead letters' original positions" "sent=$N" \
    "$("$PY" "$CHECK" sent "$IT_TMP/redrive-1.out" "$IT_TMP/dead.jsonl" UNKNOWN_TICKET)"
it_wait_caught_up 120

it_eq "first doses REGISTERED, one per person" "$N $N" \
    "$(it_sql "select count(*) || ' ' || count(distinct nik) from dose where dose = 1 and status = 'REGISTERED' and visits = 1")"
it_eq "dose rows" "$N" "$(it_sql "select count(*) from dose")"
it_eq "Registered events logged, all applied" "$N APPLIED" \
    "$(it_sql "select count(*) || ' ' || string_agg(distinct outcome, ',') from event_log where event_type = 'Registered'")"
it_sql "select causation_id from event_log where event_type = 'Registered' order by 1" >"$IT_TMP/causes.txt"
diff "$IT_TMP/request-ids.txt" "$IT_TMP/causes.txt" >&2 ||
    it_fail "the Registered events are not caused by the original requests' event ids (above)"
echo "ok [$IT_NAME]: the Registered events carry the original requests' event ids as their cause"
it_eq "rejections" 0 "$(it_sql "select count(*) from rejection")"
it_eq "dead letters after the first redrive" $((N + 1)) "$(it_dead_letters | wc -l)"

# 4. A second redrive sends them again and changes no row.
snapshot >"$IT_TMP/before.txt"
dup0=$(projector_duplicates)
redrive --code UNKNOWN_TICKET --send
it_eq "second redrive" "selected=$N sent=$N skipped=0" "$LAST"
it_wait_caught_up 120
snapshot >"$IT_TMP/after.txt"
diff "$IT_TMP/before.txt" "$IT_TMP/after.txt" >&2 || it_fail "the second redrive changed rows (above)"
echo "ok [$IT_NAME]: the second redrive changed no row ($(wc -l <"$IT_TMP/after.txt") rows compared)"
# ... because the projector saw the copies and dropped them, not because they never came.
dup_reached() { (($(projector_duplicates) >= dup0 + N)); }
it_wait_until "the projector dropping $N duplicates (it had dropped $dup0)" 30 dup_reached
echo "ok [$IT_NAME]: the projector dropped $(($(projector_duplicates) - dup0)) duplicates"
"$VAKSIN_BIN/vaksin-dump" --topic vaksin.target.events 2>/dev/null >"$IT_TMP/target.jsonl"
it_eq "Registered events on vaksin.target.events (two redrives, the same ids)" \
    "registered=$((2 * N)) distinct=$N" "$("$PY" "$CHECK" registered "$IT_TMP/target.jsonl")"
it_eq "dead letters after the second redrive" $((N + 1)) "$(it_dead_letters | wc -l)"
