#!/usr/bin/env python3
"""audit_dump's dead letters, as vaksin-dump shows them: each with its error, the refused request decoded.

    dump_dead_letters_decoded.py DEAD_JSONL

DEAD_JSONL: vaksin-dump --topic vaksin.dead-letters after audit_dump sent its four rows. Every
letter must be vaksin-ticket's, with an error, for vaksin.ticket.requests; the three refused
rows (event ids ...0002, ...0003: INVALID_NIK; ...0004: INVALID_PHONE) decoded to their
request (payload: its NIK and name, no payload_error), and exactly one undecodable letter
(error_code DECODE) with payload_error and its raw value. Prints "ok"; on the first difference
an AssertionError (with the message) and exit status 1.
"""
import json, sys

if len(sys.argv) != 2:
    sys.exit(__doc__)
want = {"00000000-0000-4000-8000-000000000002": ("INVALID_NIK", "3273023208850001"),
        "00000000-0000-4000-8000-000000000003": ("INVALID_NIK", "327302520585"),
        "00000000-0000-4000-8000-000000000004": ("INVALID_PHONE", "3273021508800002")}
seen, broken = {}, 0
for m in map(json.loads, open(sys.argv[1])):
    v = m["value"]
    assert v["service"] == "vaksin-ticket" and v["error"] and v["topic"] == "vaksin.ticket.requests", m
    if "payload" in m:
        p = m["payload"]
        assert "payload_error" not in m and p["event_id"] in want, m
        code, nik = want[p["event_id"]]
        assert v["error_code"] == code and p["nik"] == nik and p["name"] == "Siti Aminah", m
        seen[p["event_id"]] = 1
    else:
        assert v["error_code"] == "DECODE" and m["payload_error"] and v["value"], m
        broken += 1
assert len(seen) == 3 and broken == 1, (seen, broken)
print("ok")
