#!/usr/bin/env bash
# audit_trail — vaksin-trail after the demo's workload (tickets, a desk day,
# verifications): the trail of a NIK whose correction was applied shows its TicketIssued, then
# the request (with the officer who asked), the pending state, the evidence with its verdict and
# the decision, in that order, with the outcomes the read model recorded; a NIK whose desk
# request was dead-lettered shows the dead letter, its reason, and the request it refused; a
# registration by a ticket typed with hyphens or spaces is found with --all-partitions; with
# --from end every target event comes from event_log, decoded to the same records; without the
# read model outcomes are "unknown", not invented; a NIK with no events exits 1, a malformed one 2.
source "$(dirname "$0")/lib.sh"
it_setup
it_demo_workload 3000 3000

trail() { "$VAKSIN_BIN/vaksin-trail" --config "$VAKSIN_RUN_DIR/vaksin.conf" "$@"; }

# 1. A correction: applied, kind CORRECTION.
IFS='|' read -r NIK ACTOR REQUEST < <(it_sql "select nik, requested_by, request_id from verification
    where kind = 'CORRECTION' and status = 'APPLIED' order by nik limit 1") || true
[[ -n "${NIK:-}" ]] || it_fail "the demo applied no correction"
t0=$(date +%s.%N)
trail "$NIK" >"$IT_TMP/trail.txt" 2>"$IT_TMP/trail.err" || it_fail "vaksin-trail exited $?: $(cat "$IT_TMP/trail.err")"
t1=$(date +%s.%N)
trail --json "$NIK" >"$IT_TMP/trail.jsonl" 2>>"$IT_TMP/trail.err" || it_fail "vaksin-trail --json exited $?"
it_sql "select topic, partition, \"offset\", event_type, outcome from event_log where nik = '$NIK'
        order by topic, partition, \"offset\"" >"$IT_TMP/event_log.txt"
"$PY" "$VK_SRC/tests/integration/checks/trail_correction.py" "$IT_TMP/trail.jsonl" "$IT_TMP/event_log.txt" \
    "$REQUEST" "$ACTOR" "$IT_NAME" ||
    it_fail "the correction's trail (above)"
grep -q "VerificationRequested  actor=$ACTOR  " "$IT_TMP/trail.txt" ||
    it_fail "the human trail has no header line for the request by $ACTOR"
grep -q "VerificationEnriched  actor=$ACTOR  APPLIED; verdict SUPPORTED.*decision APPLIED" "$IT_TMP/trail.txt" ||
    it_fail "the human trail does not show the evidence and the decision"
(($(grep -c '^    {' "$IT_TMP/trail.txt") == $(wc -l <"$IT_TMP/trail.jsonl"))) ||
    it_fail "the human trail does not show every decoded record"
echo "ok [$IT_NAME]: the human trail shows the request, the evidence and the decision"
echo "figure [$IT_NAME]: trail of one NIK ($(wc -l <"$IT_TMP/trail.jsonl") events) in $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }') s"

# 2. --from end: nothing read from the topics, every target event from event_log, decoded to the
#    same records, with the same outcomes, in log order.
trail --json --from end "$NIK" >"$IT_TMP/trail-log.jsonl" 2>>"$IT_TMP/trail.err" ||
    it_fail "vaksin-trail --from end exited $?"
"$PY" "$VK_SRC/tests/integration/checks/trail_from_event_log.py" "$IT_TMP/trail.jsonl" "$IT_TMP/trail-log.jsonl" "$IT_NAME" ||
    it_fail "the event_log fallback (above)"

# 3. Without the read model the outcomes of target events are unknown, and said to be.
env -u VAKSIN_PG "$VAKSIN_BIN/vaksin-trail" --config "$VAKSIN_RUN_DIR/vaksin.conf" --json "$NIK" \
    >"$IT_TMP/trail-nopg.jsonl" 2>"$IT_TMP/trail-nopg.err" || it_fail "vaksin-trail without pg.conninfo exited $?"
grep -q 'no pg.conninfo' "$IT_TMP/trail-nopg.err" || it_fail "no warning without pg.conninfo"
"$PY" "$VK_SRC/tests/integration/checks/trail_outcomes_unknown.py" "$IT_TMP/trail-nopg.jsonl" ||
    it_fail "outcomes without the read model (above)"
echo "ok [$IT_NAME]: without pg.conninfo target events say 'outcome unknown (no read model…)'"

# 4. A dead-lettered desk request: its dead letter with the reason, and the request it refused.
it_dead_letters >"$IT_TMP/dead.jsonl"
read -r DNIK DTOPIC DPART DOFF DCODE < <("$PY" "$VK_SRC/tests/integration/checks/dead_desk_request.py" "$IT_TMP/dead.jsonl") ||
    true
[[ -n "${DNIK:-}" ]] || it_fail "no dead-lettered desk request with a NIK in the demo"
trail --json "$DNIK" >"$IT_TMP/trail-dead.jsonl" 2>>"$IT_TMP/trail.err" || it_fail "vaksin-trail (dead letter) exited $?"
"$PY" "$VK_SRC/tests/integration/checks/trail_dead_letter.py" "$IT_TMP/trail-dead.jsonl" \
    "$DTOPIC" "$DPART" "$DOFF" "$DCODE" "$IT_NAME" || it_fail "the dead letter's trail (above)"

# 5. Registrations by ticket: keyed by the ticket as typed. Typed canonically it is found by the
#    ticket's partition; typed with hyphens or spaces, by --all-partitions.
"$PY" "$VK_SRC/tests/integration/checks/demo_ticket_registrations.py" "$VAKSIN_RUN_DIR/demo" >"$IT_TMP/by-ticket.txt"
while read -r kind TNIK EVENT TYPED; do
    TYPED=${TYPED//_/ }
    args=(--json)
    [[ $kind == with-separators ]] && args+=(--all-partitions)
    trail "${args[@]}" "$TNIK" >"$IT_TMP/trail-ticket.jsonl" 2>>"$IT_TMP/trail.err" || it_fail "vaksin-trail ($kind ticket) exited $?"
    "$PY" "$VK_SRC/tests/integration/checks/trail_ticket_registration.py" "$IT_TMP/trail-ticket.jsonl" "$EVENT" "$TYPED" ||
        it_fail "the $kind ticket registration is not in its NIK's trail (above)"
    if [[ $kind == with-separators ]]; then
        # Without --all-partitions its request may lie on a partition not read: the Registered
        # event then says so instead of showing no cause.
        trail --json "$TNIK" >"$IT_TMP/trail-ticket.jsonl" 2>>"$IT_TMP/trail.err" || it_fail "vaksin-trail exited $?"
        "$PY" "$VK_SRC/tests/integration/checks/trail_registered_cause.py" "$IT_TMP/trail-ticket.jsonl" "$EVENT" ||
            it_fail "a Registered event by a typed ticket neither shows its request nor says why (above)"
    fi
    echo "ok [$IT_NAME]: a registration by a ticket typed ${kind//-/ } (\"$TYPED\") is in its NIK's trail${args[1]:+ with ${args[1]}}"
done <"$IT_TMP/by-ticket.txt"
grep -q '^canonically ' "$IT_TMP/by-ticket.txt" || it_fail "the demo has no registration by a canonical ticket"

# 6. Exit statuses: no events → 1, not a NIK → 2.
rc=0
trail 3299990101000001 >/dev/null 2>&1 || rc=$?
it_eq "exit status for a NIK without events" 1 "$rc"
rc=0
trail 32999901010000 >/dev/null 2>"$IT_TMP/bad.err" || rc=$?
it_eq "exit status for a malformed NIK" 2 "$rc"
grep -q 'has 16 digits, this one has 14' "$IT_TMP/bad.err" || it_fail "no clear message for a malformed NIK"
