#!/usr/bin/env python3
"""Picks a dead-lettered desk request with a well-formed NIK, for audit_trail to follow.

    dead_desk_request.py DEAD_JSONL

DEAD_JSONL: vaksin-dump of vaksin.dead-letters. Prints "NIK TOPIC PARTITION OFFSET ERROR_CODE"
of the first dead letter of vaksin.registration.requests, vaksin.screening.requests or
vaksin.vaccination.requests whose decoded request has a NIK of 16 digits; prints nothing when
there is none (the caller fails on that). Exit status 0 either way; 1 on a wrong call or
unreadable input.
"""
import json, sys

if len(sys.argv) != 2:
    sys.exit(__doc__)
for line in open(sys.argv[1]):
    d = json.loads(line)
    v, p = d.get("value") or {}, d.get("payload") or {}
    nik = p.get("nik") or ""
    if v.get("topic") in ("vaksin.registration.requests", "vaksin.screening.requests",
                          "vaksin.vaccination.requests") and len(nik) == 16 and nik.isdigit():
        print(nik, v["topic"], v["partition"], v["offset"], v["error_code"])
        break
