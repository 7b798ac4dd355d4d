#!/usr/bin/env python3
"""A Registered event in a trail either shows the request it came from or says why not.

    trail_registered_cause.py TRAIL_JSONL EVENT_ID

TRAIL_JSONL: vaksin-trail --json of a NIK, read without --all-partitions; EVENT_ID: the
registration request the Registered event was caused by (its causation_id). The trail must hold
that Registered event, and its outcome must name its cause or say "--all-partitions" in its
summary. Prints nothing; on a difference an AssertionError (with the outcome) and exit status 1.
"""
import json, sys

if len(sys.argv) != 3:
    sys.exit(__doc__)
lines = [json.loads(l) for l in open(sys.argv[1])]
reg = [l for l in lines if l["event_type"] == "Registered" and l["record"]["value"]["causation_id"] == sys.argv[2]]
assert reg, "no Registered event for %s" % sys.argv[2]
o = reg[0]["outcome"]
assert o.get("cause") or "--all-partitions" in o["summary"], o
