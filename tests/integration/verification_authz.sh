#!/usr/bin/env bash
# verification_authz — vaksin-verification on the development broker: it reads
# vaksin.access.events to its end before deciding, authorizes each request against the grants
# as they stood when the broker appended it (the projector's Dinkes rules, the facility
# reference table included), and writes what it decided to the topics — VerificationPending
# plus a VerificationLookup with the authorizing grant, VerificationRefused with a code, or a
# dead letter for malformed input. A request cannot choose the grants it is judged by: one
# backdated past the clock tolerance is refused CLOCK_SKEW, and one backdated within it to before
# a revocation is still judged after it. A grant made while it runs counts for the next request,
# and a restart reads the grants again and decides the same. Checks Kafka topics only (the
# projector's handling of these events is tested by verification_projection).
source "$(dirname "$0")/lib.sh"
it_setup

A=3273025205850001 # corrected by officer.1
B=3273021508800002 # added by officer.1
C=3273026107900003 # officer.9, never granted
D=3273020101700004 # officer.2, after the revocation
E=3273024404950005 # officer.2, before the revocation
F=3273024404950006 # officer.3, whose only grant lay outside the Dinkes's kab/kota
G=3273021508800007 # officer.4: a refused grant for this facility, a valid one elsewhere
H=3171025205850008 # officer.5 at a clinic known from the reference table only
K=3273021508800009 # officer.6: refused, then granted while the service runs
L=3273021508800010 # officer.2 after the restart
M=3273021508800011 # officer.6 after the restart
N=3273021508800012 # officer.7, backdated within the tolerance to before a live revocation

clinic=$(awk -F, '$1 !~ /^P/ && $1 !~ /^[0-9]+$/ && NR > 1 { print $1 "," $4; exit }' "$VK_SRC/config/facilities.csv")
clinic_code=${clinic%,*}
clinic_district=${clinic#*,}
[[ -n "$clinic_code" && -n "$clinic_district" ]] || it_fail "no clinic in config/facilities.csv"

id() { printf '00000000-0000-4000-8000-%012d' "$1"; }
access() { # n action user facility district actor occurred_at [valid_until]
    printf '{"event_id":"%s","occurred_at":"%s","source":"pcare-dinkes","actor":"%s","action":"%s","user_id":"%s","facility_code":"%s","district_code":"%s","role":"VERIFIER","valid_until":%s}\n' \
        "$(id "$1")" "$7" "$6" "$2" "$3" "$4" "$5" "${8:-null}"
}
request() { # n actor kind nik facility changes [occurred_at]
    local at=${7:+\"occurred_at\":\"$7\",}
    printf '{"event_id":"%s",%s"source":"pcare-web","actor":%s,"kind":"%s","nik":"%s","facility_code":"%s","changes":%s,"reason":"data SISDMK salah"}\n' \
        "$(id "$1")" "$at" "$2" "$3" "$4" "$5" "$6"
}
submit() { # topic file lines
    local out
    out=$("$VAKSIN_BIN/vaksin-submit" --topic "$1" "$2" 2>>"$IT_TMP/submit.err") ||
        it_fail "vaksin-submit $1: exit $?: $out; $(tail -3 "$IT_TMP/submit.err")"
    [[ "$out" == "read=$3 sent=$3 refused=0" ]] || it_fail "vaksin-submit $1: got $out"
}
dump() { "$VAKSIN_BIN/vaksin-dump" --topic "$1" 2>/dev/null; }
log=$VAKSIN_RUN_DIR/logs/verification.log
# The number of log lines of vaksin-verification holding TEXT.
log_count() { grep -c -F -- "$1" "$log" 2>/dev/null || true; }
# Waits until vaksin-verification has read the access topic to its end for the Nth time.
wait_caught_up() {
    it_wait_until "vaksin-verification read the access topic (start $1)" 60 \
        bash -c "(( \$(grep -c -F 'access topic read to its end' '$log' 2>/dev/null || true) >= $1 ))"
}
# Waits until the topics hold N target events, N lookups and N dead letters of the service.
count_outputs() {
    { dump vaksin.target.events; dump vaksin.verification.lookups; dump vaksin.dead-letters; } |
        "$PY" -c 'import json, sys
t = l = d = 0
for line in sys.stdin:
    m = json.loads(line)
    v = m.get("value") or {}
    if m["topic"] == "vaksin.target.events" and v.get("payload", {}).get("type", "").startswith("Verification"):
        t += 1
    elif m["topic"] == "vaksin.verification.lookups":
        l += 1
    elif m["topic"] == "vaksin.dead-letters" and v.get("service") == "vaksin-verification":
        d += 1
print(t, l, d)'
}
wait_outputs() { # targets lookups dead
    local i got=
    for ((i = 0; i < 90; i++)); do
        got=$(count_outputs)
        [[ "$got" == "$1 $2 $3" ]] && return 0
        sleep 1
    done
    it_fail "expected $1 verification events, $2 lookups, $3 dead letters; got $got"
}

# ---- Grants made before the service starts: read at start --------------------------------------
{
    access 1 GRANT officer.1 P3273020201 3273 dinkes.bandung 2021-07-01T00:00:00Z
    access 2 GRANT officer.2 P3273020201 3273 dinkes.bandung 2021-07-01T00:00:00Z
    access 3 REVOKE officer.2 P3273020201 3273 dinkes.bandung 2021-07-01T06:00:00Z
    access 4 GRANT officer.3 P3204020201 3273 dinkes.bandung 2021-07-01T00:00:00Z # outside 3273: refused
    access 5 GRANT officer.4 P3204020201 3273 dinkes.bandung 2021-07-01T00:00:00Z # refused
    access 6 GRANT officer.4 P3273010101 3273 dinkes.bandung 2021-07-01T00:00:00Z
    access 7 GRANT officer.5 "$clinic_code" "$clinic_district" dinkes.x 2021-07-01T00:00:00Z
    access 9 GRANT officer.7 P3273020201 3273 dinkes.bandung 2021-07-01T00:00:00Z
} >"$IT_TMP/access-1.jsonl"
submit vaksin.access.events "$IT_TMP/access-1.jsonl" 8

# A start that cannot read the access topic to its end in time fails, saying why.
set +e
"$VAKSIN_BIN/vaksin-verification" --config "$VAKSIN_RUN_DIR/vaksin.conf" \
    -X access.catchup.timeout.ms=1 2>"$IT_TMP/timeout.log"
rc=$?
set -e
it_eq "exit status when the access topic is not read in time" 1 "$rc"
grep -q 'msg="cannot start".*vaksin.access.events' "$IT_TMP/timeout.log" ||
    it_fail "no clear log line on a catch-up timeout: $(tail -3 "$IT_TMP/timeout.log")"
! grep -q -E 'Sanitizer|runtime error:' "$IT_TMP/timeout.log" ||
    it_fail "a sanitizer reported on the failed start: $(grep -A10 -E 'Sanitizer|runtime error:' "$IT_TMP/timeout.log")"

vk_service_start verification
vk_service_start ticket # derives the tickets an ADDITION must match
wait_caught_up 1
it_eq "grants loaded at start (2 refused outside the district)" 1 \
    "$(log_count 'access topic read to its end" partitions=8 events=8 grants=5 open_grants=4 refused=2')"

CH='{"name":"  siti   aminah ","phone":"0812-3456-7890"}'
CH_ADD='{"name":"budi santoso","birth_date":"1970-01-01","sex":"L","facility_code":"p3273010101"}'
# Requests are decided at the time the broker appended them (the topic has LogAppendTime), so
# they are sent with the current time; request 11 keeps its time for the resend below.
t11=$(date -u +%FT%T.%3NZ)
{
    request 11 '"officer.1"' CORRECTION $A P3273020201 "$CH" "$t11"
    request 12 '"officer.1"' ADDITION $B p3273020201 "$CH_ADD"
    request 13 '"officer.9"' CORRECTION $C P3273020201 "$CH"
    request 14 '"officer.2"' CORRECTION $D P3273020201 "$CH"
    # Backdated to 03:00 on the day of the grant, between the grant (00:00) and its revocation
    # (06:00). It used to be authorized — the client chose the time it was judged at; now the
    # broker's time decides, and a claim years away from it is refused as a clock error.
    request 15 '"officer.2"' CORRECTION $E P3273020201 "$CH" 2021-07-01T03:00:00Z
    request 16 '"officer.3"' CORRECTION $F P3204020201 "$CH"
    request 17 '"officer.4"' CORRECTION $G P3204020201 "$CH"
    request 18 '"officer.5"' CORRECTION $H "$clinic_code" "$CH"
    request 19 '"officer.1"' CORRECTION 3273025205850 P3273020201 "$CH"
    request 20 null CORRECTION $A P3273020201 "$CH"
    request 21 '"officer.1"' CORRECTION $A P3273020201 '{}'
    request 22 '"officer.1"' ADDITION $A P3273020201 '{"name":"SITI"}'
} >"$IT_TMP/requests-1.jsonl"
submit vaksin.verification.requests "$IT_TMP/requests-1.jsonl" 12
printf '{"nik":"%s","name":"Budi Santoso","birth_date":"1970-01-01","sex":"L","origin":"OTHER"}\n' $B \
    >"$IT_TMP/ticket.jsonl"
submit vaksin.ticket.requests "$IT_TMP/ticket.jsonl" 1
# 8 decisions + the TicketIssued (not counted: not a verification payload); 3 authorized.
wait_outputs 8 3 4
it_eq "no producer-timestamp warning: the stack made the request topic LogAppendTime" 0 \
    "$(log_count 'requests carry producer timestamps')"

# ---- A grant made while the service runs counts for the next request ----------------------------
request 23 '"officer.6"' CORRECTION $K P3273020201 "$CH" >"$IT_TMP/requests-2.jsonl"
submit vaksin.verification.requests "$IT_TMP/requests-2.jsonl" 1
wait_outputs 9 3 4
access 8 GRANT officer.6 P3273020201 3273 dinkes.bandung "$(date -u +%FT%T.%3NZ)" >"$IT_TMP/access-2.jsonl"
submit vaksin.access.events "$IT_TMP/access-2.jsonl" 1
sleep 2 # let the access consumer fetch it (it has no order with the request topic)
request 24 '"officer.6"' CORRECTION $K P3273020201 "$CH" >"$IT_TMP/requests-3.jsonl"
submit vaksin.verification.requests "$IT_TMP/requests-3.jsonl" 1
wait_outputs 10 4 4
it_eq "the live grant was logged as applied" 1 \
    "$(log_count "access change applied\" partition=")"

# ---- Backdating within the tolerance does not reach back before a revocation -------------------
revoked_at=$(date -u +%FT%T.%3NZ)
access 10 REVOKE officer.7 P3273020201 3273 dinkes.bandung "$revoked_at" >"$IT_TMP/access-3.jsonl"
submit vaksin.access.events "$IT_TMP/access-3.jsonl" 1
sleep 2
request 27 '"officer.7"' CORRECTION $N P3273020201 "$CH" "$(date -u -d '-2 minutes' +%FT%T.%3NZ)" \
    >"$IT_TMP/requests-5.jsonl"
submit vaksin.verification.requests "$IT_TMP/requests-5.jsonl" 1
wait_outputs 11 4 4

# ---- A restart reads the grants again and decides the same --------------------------------------
vk_service_restart verification
wait_caught_up 2
it_eq "grants loaded again at restart" 1 \
    "$(log_count 'access topic read to its end" partitions=8 events=10 grants=6 open_grants=4 refused=2')"
{
    request 25 '"officer.2"' CORRECTION $L P3273020201 "$CH"
    request 26 '"officer.6"' CORRECTION $M P3273020201 "$CH"
    request 11 '"officer.1"' CORRECTION $A P3273020201 "$CH" "$t11" # resent
} >"$IT_TMP/requests-4.jsonl"
submit vaksin.verification.requests "$IT_TMP/requests-4.jsonl" 3
wait_outputs 14 6 4

# ---- Its metrics since the restart: 2 authorized (26, 11 again), 1 revoked (25) -----------------
metric() { awk -v k="$1" '$1 == k { print $2 }' "$IT_TMP/metrics"; }
decided() {
    curl -sf "$(vk_service_metrics_url verification)/metrics" >"$IT_TMP/metrics" &&
        [[ "$(metric 'vaksin_verification_decisions_total{decision="PENDING"}')" == 2 ]]
}
it_wait_until "vaksin_verification_decisions_total{decision=PENDING} = 2" 30 decided
promtool check metrics <"$IT_TMP/metrics" || it_fail "promtool check metrics refused vaksin-verification's /metrics"
it_eq "decisions GRANT_REVOKED" 1 "$(metric 'vaksin_verification_decisions_total{decision="GRANT_REVOKED"}')"
it_eq "decisions CLOCK_SKEW (none since the restart)" 0 \
    "$(metric 'vaksin_verification_decisions_total{decision="CLOCK_SKEW"}')"
it_eq "grants kept / open" "6 4" \
    "$(metric 'vaksin_grants{state="kept"}') $(metric 'vaksin_grants{state="open"}')"
it_eq "producer-timestamped requests" 0 "$(metric vaksin_verification_producer_time_total)"

# ---- What the topics hold -----------------------------------------------------------------------
dump vaksin.target.events >"$IT_TMP/target.jsonl"
dump vaksin.verification.lookups >"$IT_TMP/lookups.jsonl"
dump vaksin.dead-letters >"$IT_TMP/dead.jsonl"
"$PY" "$VK_SRC/tests/integration/checks/verification_topics.py" "$IT_TMP" "$IT_NAME" \
    "$(id 1)" "$(id 2)" "$(id 7)" "$(id 8)" "$clinic_code" "$clinic_district" ||
    it_fail "the topics differ from what was expected (above)"
