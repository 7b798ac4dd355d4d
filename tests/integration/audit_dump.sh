#!/usr/bin/env bash
# audit_dump — vaksin-dump, the range dump of docs/design.md §6: three groups of ticket requests sent
# about 1.5 s apart; a dump between two times taken in the gaps (as epoch milliseconds and as
# ISO 8601 in WIB) returns exactly the middle group, a one-millisecond window exactly the messages
# stamped in it, offsets exactly the offsets asked for. On Apache Kafka the window's start and end
# come from the broker's offsetsForTimes answer (the dump must not fall back); on the development
# broker (VAKSIN_BROKER=mock), which never answers it, the same checks cover the fallback that
# reads from the beginning and keeps the window by each message's timestamp. Then vaksin-ticket dead-letters bad
# rows: the dump shows each with its error and the refused request decoded, an undecodable one
# with payload_error, and --nik keeps one person's messages on any topic.
source "$(dirname "$0")/lib.sh"
it_setup

TOPIC=vaksin.ticket.requests
now_ms() { date +%s%3N; }

# dump OUT ARGS... — vaksin-dump ARGS into OUT; fails unless it exits 0 and its closing line
# counts the lines it printed.
dump() {
    local out=$1 rc=0 n
    shift
    "$VAKSIN_BIN/vaksin-dump" "$@" >"$out" 2>"$IT_TMP/dump.err" || rc=$?
    ((rc == 0)) || it_fail "vaksin-dump $*: exit $rc: $(tail -3 "$IT_TMP/dump.err")"
    n=$(grep -c . "$out" || true)
    [[ "$(tail -n1 "$IT_TMP/dump.err")" == "vaksin-dump: $n messages" ]] ||
        it_fail "vaksin-dump $*: printed $n lines, said: $(tail -n1 "$IT_TMP/dump.err")"
}
# dump_status ARGS... — vaksin-dump's exit status (output discarded).
dump_status() {
    local rc=0
    "$VAKSIN_BIN/vaksin-dump" "$@" >/dev/null 2>>"$IT_TMP/dump-status.err" || rc=$?
    echo "$rc"
}
submit() { # topic file
    local out n
    n=$(grep -c . "$2")
    out=$("$VAKSIN_BIN/vaksin-submit" --topic "$1" "$2" 2>>"$IT_TMP/submit.err") ||
        it_fail "vaksin-submit $1: exit $?: $out; $(tail -3 "$IT_TMP/submit.err")"
    [[ "$out" == "read=$n sent=$n refused=0" ]] || it_fail "vaksin-submit $1: got $out"
}
# same_ids EXPECTED_JSONL DUMP — "N same" when the dump holds exactly the expected event ids,
# each once; else what is missing, extra or repeated.
same_ids() { "$PY" "$VK_SRC/tests/integration/checks/dump_same_ids.py" "$1" "$2"; }
# same_positions REFERENCE_DUMP FILTER DUMP — "N same" when DUMP holds exactly the
# (partition, offset) of REFERENCE_DUMP's messages m for which the Python expression FILTER
# holds, each once; else what is missing, extra or repeated.
same_positions() { "$PY" "$VK_SRC/tests/integration/checks/dump_same_positions.py" "$@"; }
# count_where DUMP FILTER — how many messages m of DUMP the Python expression FILTER holds for.
count_where() { "$PY" -c 'import json, sys; print(sum(1 for m in map(json.loads, open(sys.argv[1])) if eval(sys.argv[2])))' "$@"; }

# ---- three groups of requests, times taken in the gaps ---------------------------------------
# 24 people per group (valid NIKs, spread over the 8 partitions by key), explicit event ids.
"$PY" "$VK_SRC/tests/integration/checks/dump_request_groups.py" "$IT_TMP"
submit $TOPIC "$IT_TMP/a.jsonl"
sleep 0.75
T1=$(now_ms)
sleep 0.75
submit $TOPIC "$IT_TMP/b.jsonl"
sleep 0.75
T2=$(now_ms)
sleep 0.75
submit $TOPIC "$IT_TMP/c.jsonl"
cat "$IT_TMP/a.jsonl" "$IT_TMP/b.jsonl" "$IT_TMP/c.jsonl" >"$IT_TMP/all.jsonl"
cat "$IT_TMP/b.jsonl" "$IT_TMP/c.jsonl" >"$IT_TMP/bc.jsonl"

dump "$IT_TMP/full.jsonl" --topic $TOPIC
it_eq "whole topic (defaults: beginning to end)" "72 same" "$(same_ids "$IT_TMP/all.jsonl" "$IT_TMP/full.jsonl")"
it_eq "partitions holding requests" "8" "$("$PY" -c 'import json,sys; print(len({json.loads(l)["partition"] for l in open(sys.argv[1])}))' "$IT_TMP/full.jsonl")"

# ---- time windows --------------------------------------------------------------------------
dump "$IT_TMP/win.jsonl" --topic $TOPIC --from "@$T1" --to "@$T2"
it_eq "window [T1, T2) by epoch ms is group B" "24 same" "$(same_ids "$IT_TMP/b.jsonl" "$IT_TMP/win.jsonl")"
if [[ "${VAKSIN_BROKER:-kafka}" == kafka ]]; then
    ! grep -q "does not answer offsetsForTimes" "$IT_TMP/dump.err" ||
        it_fail "vaksin-dump fell back to reading from the beginning on Apache Kafka: $(cat "$IT_TMP/dump.err")"
    echo "ok [$IT_NAME]: the window's offsets came from the broker's offsetsForTimes answer"
fi
iso() { "$PY" -c 'import datetime as d, sys
print(d.datetime.fromtimestamp(int(sys.argv[1]) / 1000, d.timezone(d.timedelta(hours=7))).isoformat(timespec="milliseconds"))' "$1"; }
I1=$(iso "$T1")
I2=$(iso "$T2")
dump "$IT_TMP/win-iso.jsonl" --topic $TOPIC --from "$I1" --to "$I2"
it_eq "window [$I1, $I2) is group B" "24 same" "$(same_ids "$IT_TMP/b.jsonl" "$IT_TMP/win-iso.jsonl")"
dump "$IT_TMP/before.jsonl" --topic $TOPIC --to "@$T1"
it_eq "beginning to T1 is group A" "24 same" "$(same_ids "$IT_TMP/a.jsonl" "$IT_TMP/before.jsonl")"
dump "$IT_TMP/after.jsonl" --topic $TOPIC --from "$I1"
it_eq "T1 to the end is groups B and C" "48 same" "$(same_ids "$IT_TMP/bc.jsonl" "$IT_TMP/after.jsonl")"
# A window of one millisecond holds exactly the messages stamped in it ([from, to) at the edges).
# T: the middle timestamp of groups B and C (the dump lists partition by partition, not by time).
T=$("$PY" -c 'import json,sys
ts = sorted(m["timestamp"] for m in map(json.loads, open(sys.argv[1])) if m["timestamp"] >= int(sys.argv[2]))
print(ts[len(ts) // 2])' "$IT_TMP/full.jsonl" "$T1")
dump "$IT_TMP/ms.jsonl" --topic $TOPIC --from "@$T" --to "@$((T + 1))"
it_eq "window [T, T+1 ms)" "$(count_where "$IT_TMP/full.jsonl" "m['timestamp'] == $T") same" \
    "$(same_positions "$IT_TMP/full.jsonl" "m['timestamp'] == $T" "$IT_TMP/ms.jsonl")"
dump "$IT_TMP/upto.jsonl" --topic $TOPIC --from "@$T1" --to "@$T"
it_eq "window [T1, T) leaves out what is stamped T" \
    "$(count_where "$IT_TMP/full.jsonl" "$T1 <= m['timestamp'] < $T") same" \
    "$(same_positions "$IT_TMP/full.jsonl" "$T1 <= m['timestamp'] < $T" "$IT_TMP/upto.jsonl")"
it_eq "time field is the timestamp in UTC" "ok" "$("$PY" -c 'import datetime as d, json, sys
for m in map(json.loads, open(sys.argv[1])):
    t = d.datetime.fromtimestamp(m["timestamp"] / 1000, d.timezone.utc)
    assert m["time"] == t.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (m["timestamp"] % 1000), m
print("ok")' "$IT_TMP/full.jsonl")"

# ---- offsets ----------------------------------------------------------------------------------
P=$("$PY" -c 'import collections, json, sys
c = collections.Counter(json.loads(l)["partition"] for l in open(sys.argv[1]))
print(c.most_common(1)[0][0])' "$IT_TMP/full.jsonl")
offsets() { "$PY" -c 'import json,sys; print(" ".join(str(o) for o in sorted(json.loads(l)["offset"] for l in open(sys.argv[1]) if json.loads(l)["partition"] == int(sys.argv[2]))))' "$1" "$P"; }
N=$(offsets "$IT_TMP/full.jsonl" | wc -w)
((N >= 4)) || it_fail "partition $P holds only $N requests"
dump "$IT_TMP/p.jsonl" --topic $TOPIC --partition "$P"
it_eq "partition $P alone" "$(seq -s ' ' 0 $((N - 1)))" "$(offsets "$IT_TMP/p.jsonl")"
it_eq "partition $P alone: nothing else" "$N" "$(grep -c . "$IT_TMP/p.jsonl")"
dump "$IT_TMP/p13.jsonl" --topic $TOPIC --partition "$P" --from 1 --to 3
it_eq "partition $P offsets [1, 3)" "1 2" "$(offsets "$IT_TMP/p13.jsonl")"
it_eq "partition $P offsets [1, 3): nothing else" "2" "$(grep -c . "$IT_TMP/p13.jsonl")"
dump "$IT_TMP/from2.jsonl" --topic $TOPIC --from 2
it_eq "--from 2 on every partition" "$(count_where "$IT_TMP/full.jsonl" "m['offset'] >= 2") same" \
    "$(same_positions "$IT_TMP/full.jsonl" "m['offset'] >= 2" "$IT_TMP/from2.jsonl")"
dump "$IT_TMP/end.jsonl" --topic $TOPIC --from end
it_eq "--from end" "0" "$(grep -c . "$IT_TMP/end.jsonl" || true)"

# ---- what is refused -------------------------------------------------------------------------
it_eq "exit status: unknown topic" "1" "$(dump_status --topic vaksin.dead-leters)"
it_eq "exit status: no partition 99" "1" "$(dump_status --topic $TOPIC --partition 99)"
it_eq "exit status: a NIK of 15 digits" "2" "$(dump_status --topic $TOPIC --nik 327302010180000)"
it_eq "exit status: a time without a zone" "2" "$(dump_status --topic $TOPIC --from 2026-01-01T00:00:00)"
it_eq "exit status: --from after --to" "2" "$(dump_status --topic $TOPIC --from "@$T2" --to "@$T1")"
it_eq "exit status: no --topic" "2" "$(dump_status --from 1)"

# ---- dead letters and --nik --------------------------------------------------------------------
GOOD=3273025205850001   # accepted: a TicketIssued
BAD_DAY=3273023208850001 # 16 digits, birth day 32: INVALID_NIK
SHORT=327302520585       # 12 digits: INVALID_NIK
PHONE=3273021508800002   # valid NIK, phone with letters: INVALID_PHONE
KEYED=3273020101700004   # a dead letter whose bytes do not decode, found by its key
row() { printf '{"event_id":"%s","nik":"%s","name":"Siti Aminah","birth_date":"%s","sex":"P","phone":"%s","origin":"EXCEL"}\n' "$@"; }
{
    row 00000000-0000-4000-8000-000000000001 $GOOD 1985-05-12 081234567890
    row 00000000-0000-4000-8000-000000000002 $BAD_DAY 1985-08-12 081234567890
    row 00000000-0000-4000-8000-000000000003 $SHORT 1985-05-12 081234567890
    row 00000000-0000-4000-8000-000000000004 $PHONE 1980-08-15 0812abc67890
} >"$IT_TMP/d.jsonl"
vk_service_start ticket >/dev/null || it_fail "vaksin-ticket did not start"
submit $TOPIC "$IT_TMP/d.jsonl"
# A dead letter holding bytes no schema reads, as a broken producer would leave.
printf '{"event_id":"00000000-0000-4000-8000-000000000005","source":"test","topic":"%s","partition":0,"offset":7,"key":"%s","value":"%s","service":"vaksin-ticket","error_code":"DECODE","error":"not Avro"}\n' \
    $TOPIC "$(printf %s $KEYED | base64)" "$(printf 'not avro at all' | base64)" >"$IT_TMP/dl.jsonl"
submit vaksin.dead-letters "$IT_TMP/dl.jsonl"
ticket_done() {
    "$VAKSIN_BIN/vaksin-dump" --topic vaksin.dead-letters 2>/dev/null | grep -c '"service":"vaksin-ticket"' | grep -qx 4 &&
        "$VAKSIN_BIN/vaksin-dump" --topic vaksin.target.events --nik $GOOD 2>/dev/null | grep -q TicketIssued
}
it_wait_until "vaksin-ticket refused 3 rows and ticketed $GOOD" 60 ticket_done

dump "$IT_TMP/dead.jsonl" --topic vaksin.dead-letters
it_eq "dead letters: error code, error and the decoded request" "ok" \
    "$("$PY" "$VK_SRC/tests/integration/checks/dump_dead_letters_decoded.py" "$IT_TMP/dead.jsonl")"
dump "$IT_TMP/nik-dead.jsonl" --topic vaksin.dead-letters --nik $BAD_DAY
it_eq "--nik on dead letters: by the refused request's NIK" "INVALID_NIK $BAD_DAY" \
    "$("$PY" -c 'import json,sys; print(" ".join("%s %s" % (m["value"]["error_code"], m["payload"]["nik"]) for m in map(json.loads, open(sys.argv[1]))))' "$IT_TMP/nik-dead.jsonl")"
dump "$IT_TMP/nik-key.jsonl" --topic vaksin.dead-letters --nik $KEYED
it_eq "--nik on dead letters: an undecodable one by its key" "DECODE True" \
    "$("$PY" -c 'import json,sys; print(" ".join("%s %s" % (m["value"]["error_code"], "payload_error" in m) for m in map(json.loads, open(sys.argv[1]))))' "$IT_TMP/nik-key.jsonl")"
dump "$IT_TMP/nik-good.jsonl" --topic $TOPIC,vaksin.target.events,vaksin.dead-letters --nik $GOOD
it_eq "--nik across topics: the request and its TicketIssued" \
    "vaksin.target.events TicketIssued $GOOD|vaksin.ticket.requests TicketRequested $GOOD" \
    "$("$PY" -c 'import json,sys
out = []
for m in map(json.loads, open(sys.argv[1])):
    v = m["value"]
    kind = v["payload"]["type"] if "payload" in v else "TicketRequested"
    out.append("%s %s %s" % (m["topic"], kind, v["nik"]))
print("|".join(sorted(out)))' "$IT_TMP/nik-good.jsonl")"
dump "$IT_TMP/nik-none.jsonl" --topic $TOPIC --nik 3273020101700099
it_eq "--nik of a person never sent" "0" "$(grep -c . "$IT_TMP/nik-none.jsonl" || true)"
