#!/usr/bin/env python3
"""vaksin-trail --from end (target events from event_log) against the trail read from the topics.

    trail_from_event_log.py TRAIL_JSONL TRAIL_LOG_JSONL TEST_NAME

TRAIL_JSONL: vaksin-trail --json of a NIK; TRAIL_LOG_JSONL: vaksin-trail --json --from end of
the same NIK. Every line of the second must come from event_log and be a target event, and the
target events of both must match: partition, offset, type, actor, decoded record and outcome
(but for its cause: the request a target event came from is on its topic, not read with --from
end); TicketIssued before VerificationPending before VerificationEnriched. Prints
"ok [TEST_NAME]: ..."; on a difference an AssertionError (with the message) and exit status 1.
"""
import json, sys

if len(sys.argv) != 4:
    sys.exit(__doc__)
live = [json.loads(l) for l in open(sys.argv[1])]
logged = [json.loads(l) for l in open(sys.argv[2])]
name = sys.argv[3]
def outcome(l):  # the request a target event came from is on its topic, not read here
    return {k: v for k, v in l["outcome"].items() if k != "cause"}
want = [(l["partition"], l["offset"], l["event_type"], l["actor"], l["record"]["value"], outcome(l))
        for l in live if l["topic"] == "vaksin.target.events"]
got = [(l["partition"], l["offset"], l["event_type"], l["actor"], l["record"]["value"], outcome(l))
       for l in logged]
assert all(l["source"] == "event_log" and l["topic"] == "vaksin.target.events" for l in logged), \
    "a line not from event_log: %s" % [l for l in logged if l["source"] != "event_log"][:1]
assert got == want, "event_log's records differ from the topic's:\n%s\n%s" % (want, got)
types = [l["event_type"] for l in logged]
assert types.index("TicketIssued") < types.index("VerificationPending") < types.index("VerificationEnriched"), types
print("ok [%s]: --from end: %d target events from event_log, same records and outcomes, in log order"
      % (name, len(logged)))
