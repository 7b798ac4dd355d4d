#!/usr/bin/env python3
"""The trail of a NIK whose correction was applied (vaksin-trail --json), against event_log.

    trail_correction.py TRAIL_JSONL EVENT_LOG_TXT REQUEST_ID ACTOR TEST_NAME

TRAIL_JSONL: vaksin-trail --json of the NIK; EVENT_LOG_TXT: its event_log rows as psql -At
prints them (topic|partition|offset|event_type|outcome); REQUEST_ID (lower case) and ACTOR: the
applied correction's request and the officer who asked. Checks that every line has exactly the
trail's keys and comes from its topic; one TicketIssued, then the VerificationRequested by ACTOR
(APPLIED, naming its Pending), the VerificationPending (APPLIED), the deciding
VerificationEnriched (verdict SUPPORTED with FOUND evidence, decision APPLIED by ACTOR), in that
order; the target events and their outcomes exactly event_log's; each partition in offset
order. Prints "ok [TEST_NAME]: ..." per check; on the first failure "FAIL [TEST_NAME]: ..."
and the trail on stderr, exit status 1.
"""
import json, sys

if len(sys.argv) != 6:
    sys.exit(__doc__)
path, log_path, request, actor, name = sys.argv[1:6]
lines = [json.loads(l) for l in open(path)]
def ok(what): print("ok [%s]: %s" % (name, what))
def fail(what):
    print("FAIL [%s]: %s" % (name, what), file=sys.stderr)
    for l in lines:
        print("  %s %s[%s]@%s %s %s" % (l["time"], l["topic"], l["partition"], l["offset"],
              l["event_type"], l["outcome"].get("summary")), file=sys.stderr)
    sys.exit(1)
keys = {"time", "timestamp", "topic", "partition", "offset", "event_type", "actor", "source",
        "outcome", "record"}
if not lines or any(set(l) != keys for l in lines):
    fail("every line has exactly %s" % sorted(keys))
if any(l["source"] != "topic" for l in lines):
    fail("every event is still on its topic")
def find(pred, what):
    hits = [i for i, l in enumerate(lines) if pred(l)]
    if len(hits) != 1:
        fail("expected one %s, found %d" % (what, len(hits)))
    return hits[0], lines[hits[0]]
def payload(l): return l["record"]["value"].get("payload") or {}
ti, _ = find(lambda l: l["event_type"] == "TicketIssued", "TicketIssued")
ri, r = find(lambda l: l["event_type"] == "VerificationRequested" and
             l["record"]["value"]["event_id"].lower() == request, "VerificationRequested")
pi, p = find(lambda l: l["event_type"] == "VerificationPending" and
             payload(l)["request_id"].lower() == request, "VerificationPending")
ei, e = find(lambda l: l["event_type"] == "VerificationEnriched" and
             payload(l)["request_id"].lower() == request and
             l["outcome"].get("decision"), "deciding VerificationEnriched")
if not ti < ri < pi < ei:
    fail("order TicketIssued %d < request %d < pending %d < enriched %d" % (ti, ri, pi, ei))
ok("TicketIssued, VerificationRequested, VerificationPending, VerificationEnriched in that order")
if r["topic"] != "vaksin.verification.requests" or r["actor"] != actor:
    fail("the request is on vaksin.verification.requests by %s: %s by %s" % (actor, r["topic"], r["actor"]))
if r["outcome"]["status"] != "APPLIED" or not any(
        x["event_type"] == "VerificationPending" for x in r["outcome"].get("produced", [])):
    fail("the request's outcome names its Pending and the decision: %s" % r["outcome"])
ok("the request by %s on vaksin.verification.requests → APPLIED (%s)" % (actor, r["outcome"]["summary"]))
if p["topic"] != "vaksin.target.events" or p["outcome"]["status"] != "APPLIED" or p["actor"] != actor:
    fail("the pending state is applied to the log: %s" % p["outcome"])
ok("pending: %s" % p["outcome"]["summary"])
ev = payload(e).get("evidence") or []
if payload(e).get("verdict") != "SUPPORTED" or e["outcome"].get("verdict") != "SUPPORTED" or \
        not any(x["status"] == "FOUND" and x["fields"] for x in ev):
    fail("the evidence supports the change: %s" % payload(e))
ok("evidence: verdict SUPPORTED from %s" % ", ".join("%s %s" % (x["source"], x["status"]) for x in ev))
d = e["outcome"]["decision"]
if e["outcome"]["status"] != "APPLIED" or d["status"] != "APPLIED" or d["requested_by"] != actor \
        or not d["changes"] or "decision APPLIED" not in e["outcome"]["summary"]:
    fail("the decision: %s" % e["outcome"])
ok("decision: %s" % e["outcome"]["summary"])
# Every event_log row of the NIK is on its line, with the projector's outcome; log order kept.
rows = [l.rstrip("\n").split("|") for l in open(log_path) if l.strip()]
want = sorted((t, int(pa), int(o), ty, out) for t, pa, o, ty, out in rows)
got = sorted((l["topic"], l["partition"], l["offset"], l["event_type"], l["outcome"]["status"])
             for l in lines if l["topic"] == "vaksin.target.events")
if want != got:
    fail("target events and their outcomes = event_log's:\n  want %s\n  got  %s" % (want, got))
ok("%d target events, each with its event_log outcome" % len(want))
last = {}
for l in lines:
    k = (l["topic"], l["partition"])
    if l["offset"] <= last.get(k, -1):
        fail("offsets go back in %s[%d]" % k)
    last[k] = l["offset"]
ok("each partition in offset order")
