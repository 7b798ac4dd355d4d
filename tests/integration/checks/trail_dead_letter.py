#!/usr/bin/env python3
"""The trail of a NIK whose desk request was dead-lettered shows the dead letter and the request.

    trail_dead_letter.py TRAIL_JSONL TOPIC PARTITION OFFSET ERROR_CODE TEST_NAME

TRAIL_JSONL: vaksin-trail --json of the NIK; TOPIC, PARTITION, OFFSET, ERROR_CODE: the refused
request's position and the dead letter's code (as dead_desk_request.py prints them). The trail
must hold a DeadLetter for that position with outcome DEAD_LETTER, that code and a reason, and
the refused request decoded; and the request itself at that position, outcome DEAD_LETTER with
that code, before its dead letter. Prints "ok [TEST_NAME]: ..."; on a difference an
AssertionError (with the message) and exit status 1.
"""
import json, sys

if len(sys.argv) != 7:
    sys.exit(__doc__)
path, topic, part, off, code, name = sys.argv[1:7]
lines = [json.loads(l) for l in open(path)]
dead = [l for l in lines if l["event_type"] == "DeadLetter" and l["record"]["value"]["topic"] == topic
        and l["record"]["value"]["partition"] == int(part) and l["record"]["value"]["offset"] == int(off)]
assert dead, "no dead letter for %s[%s]@%s in %s" % (topic, part, off, [l["event_type"] for l in lines])
o = dead[0]["outcome"]
assert o["status"] == "DEAD_LETTER" and o["reason_code"] == code and o["reason"], o
assert dead[0]["record"].get("payload"), "the refused request is not decoded"
req = [l for l in lines if l["topic"] == topic and l["partition"] == int(part) and l["offset"] == int(off)]
assert req and req[0]["outcome"]["status"] == "DEAD_LETTER" and req[0]["outcome"]["reason_code"] == code, \
    "the refused request and its outcome: %s" % req
assert lines.index(req[0]) < lines.index(dead[0]), "the dead letter precedes its request"
print("ok [%s]: dead letter %s: %s; the request %s[%s]@%s → DEAD_LETTER" % (name, code, o["reason"], topic, part, off))
