#!/usr/bin/env bash
# projector_quarantine — poison events never stop the read model. TargetEvents written straight
# onto vaksin.target.events by an independent client (Confluent's Python client, python3-avro)
# as a buggy upstream version would — valid Avro holding text PostgreSQL refuses (a name that is
# not UTF-8, a source with an overlong NUL) — sit between valid ones on several partitions. The
# projector's batch fails on them; it bisects the batch, applies every valid event, and keeps each
# offender in `quarantine` with its original bytes, topic, partition, offset and the database's
# error, its offset stored past it. A restart does not quarantine them again, and later events
# still flow.
source "$(dirname "$0")/lib.sh"
it_setup
py=$(vk_pyenv) || it_fail "no Python test environment"
helper=$VK_SRC/tests/integration/checks/quarantine.py
log=$VAKSIN_RUN_DIR/logs/projector.log

vk_service_start projector
# 40 events, 4 of them poison, sent together so that they reach the projector in one batch.
"$py" "$helper" publish "$VAKSIN_BOOTSTRAP" 1 40 3 4 17 30 >"$IT_TMP/sent.jsonl" ||
    it_fail "publishing failed: $(tail -3 "$IT_TMP/sent.jsonl")"
t0=$SECONDS
valid=$(grep -c '"poison": false' "$IT_TMP/sent.jsonl")
projected() { (($(it_sql "SELECT count(*) FROM target WHERE nik LIKE '32730115018%'") == valid)); }
it_wait_until "the $valid valid events projected" 60 projected
echo "ok [$IT_NAME]: $valid valid events projected $((SECONDS - t0)) s after they were sent"
quarantined() { (($(it_sql "SELECT count(*) FROM quarantine") == $1)); }
it_wait_until "4 events quarantined" 30 quarantined 4

# Each quarantined row is exactly a poison that was sent: where, and its bytes.
poison() { # the poison events sent, as topic|partition|offset|sha256
    "$py" -c 'import json, sys
for line in open(sys.argv[1]):
    m = json.loads(line)
    if m["poison"]:
        print("vaksin.target.events|%d|%d|%s" % (m["partition"], m["offset"], m["sha256"]))' \
        "$IT_TMP/sent.jsonl" | sort
}
it_eq "quarantined: topic, partition, offset and SHA-256 of the original bytes" "$(poison)" \
    "$(it_sql "SELECT topic, partition, \"offset\", encode(sha256(message_value), 'hex')
               FROM quarantine" | sort)"
it_eq "their keys are their NIKs" \
    "$("$py" -c 'import json, sys
print(" ".join(sorted(m["nik"] for m in map(json.loads, open(sys.argv[1])) if m["poison"])))' \
        "$IT_TMP/sent.jsonl")" \
    "$(it_sql "SELECT convert_from(message_key, 'UTF8') FROM quarantine ORDER BY 1" | paste -sd' ')"
it_eq "the database's errors (SQLSTATE 22021, invalid byte sequence)" 4 \
    "$(it_sql "SELECT count(*) FROM quarantine WHERE sqlstate = '22021'
               AND error LIKE '%invalid byte sequence for encoding \"UTF8\"%'")"
it_eq "their event ids are kept" 4 \
    "$(it_sql "SELECT count(*) FROM quarantine WHERE event_id ~ '^[0-9a-f-]{36}\$'")"
it_eq "no target row of a poison event" 0 \
    "$(it_sql "SELECT count(*) FROM target t
               JOIN quarantine q ON t.nik = convert_from(q.message_key, 'UTF8')")"
it_eq "log lines \"event quarantined\"" 4 "$(grep -c 'msg="event quarantined"' "$log")"
# Every partition's stored offset is past everything sent: nothing is left to redo.
want=$("$py" -c 'import json, sys
last = {}
for line in open(sys.argv[1]):
    m = json.loads(line)
    last[m["partition"]] = max(last.get(m["partition"], -1), m["offset"])
print(" ".join("%d:%d" % (p, o + 1) for p, o in sorted(last.items())))' "$IT_TMP/sent.jsonl")
parts=$(tr ' ' '\n' <<<"$want" | cut -d: -f1 | paste -sd,)
it_eq "stored offsets past every event sent (partition:next)" "$want" \
    "$(it_sql "SELECT partition || ':' || next_offset FROM consumer_offset
               WHERE topic = 'vaksin.target.events' AND partition IN ($parts)
               ORDER BY partition" | paste -sd' ')"

# A restart resumes after them: nothing is quarantined twice, and new events flow.
vk_service_restart projector
"$py" "$helper" publish "$VAKSIN_BOOTSTRAP" 101 5 2 >>"$IT_TMP/sent.jsonl" ||
    it_fail "publishing failed"
valid=$((valid + 4))
it_wait_until "the 4 later valid events projected" 60 projected
it_wait_until "the later poison quarantined (5 in all)" 30 quarantined 5
it_eq "quarantined rows, none twice" 5 \
    "$(it_sql "SELECT count(DISTINCT (partition, \"offset\")) FROM quarantine")"
it_eq "log lines \"event quarantined\" since the start" 5 \
    "$(grep -c 'msg="event quarantined"' "$log")"
