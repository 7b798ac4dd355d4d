#!/usr/bin/env python3
"""A registration by ticket is in its NIK's trail, keyed by the ticket as typed, and registered.

    trail_ticket_registration.py TRAIL_JSONL EVENT_ID KEY

TRAIL_JSONL: vaksin-trail --json of the ticket's NIK; EVENT_ID: the RegistrationSubmitted
request's event id; KEY: the ticket as it was typed (the message key). The trail must hold that
request, keyed KEY, whose outcome produced a Registered event. Prints nothing; on a difference
an AssertionError (the trail's event types, or the outcome) and exit status 1.
"""
import json, sys

if len(sys.argv) != 4:
    sys.exit(__doc__)
lines = [json.loads(l) for l in open(sys.argv[1])]
req = [l for l in lines if l["event_type"] == "RegistrationSubmitted"
       and l["record"]["value"]["event_id"] == sys.argv[2]]
assert req and req[0]["record"]["key"] == sys.argv[3], [l["event_type"] for l in lines]
assert any(p["event_type"] == "Registered" for p in req[0]["outcome"].get("produced", [])), req[0]["outcome"]
