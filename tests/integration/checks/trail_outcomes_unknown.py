#!/usr/bin/env python3
"""A trail taken without the read model (no pg.conninfo) says its target events' outcomes are unknown.

    trail_outcomes_unknown.py TRAIL_JSONL

TRAIL_JSONL: vaksin-trail --json of a NIK with a verification request, run without
pg.conninfo. There must be target events, each with outcome status UNKNOWN and a summary saying
"no read model"; and VerificationRequested lines, each PRODUCED (read from the topics, not the
read model). Prints nothing; on a difference an AssertionError (with the outcomes) and exit
status 1.
"""
import json, sys

if len(sys.argv) != 2:
    sys.exit(__doc__)
lines = [json.loads(l) for l in open(sys.argv[1])]
target = [l for l in lines if l["topic"] == "vaksin.target.events"]
assert target and all(l["outcome"]["status"] == "UNKNOWN" and "no read model" in l["outcome"]["summary"]
                      for l in target), [l["outcome"] for l in target]
req = [l for l in lines if l["event_type"] == "VerificationRequested"]
assert req and all(l["outcome"]["status"] == "PRODUCED" for l in req), [l["outcome"] for l in req]
