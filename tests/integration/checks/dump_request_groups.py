#!/usr/bin/env python3
"""Writes audit_dump's three groups of ticket requests: DIR/a.jsonl, b.jsonl and c.jsonl.

    dump_request_groups.py DIR

24 requests a group, as vaksin-submit reads them: valid NIKs (spread over the partitions by
key, distinct across the groups), a fresh random event id each. Prints nothing; exit status 0
once written, 1 on a wrong call or an unwritable DIR.
"""
import json, sys, uuid

if len(sys.argv) != 2:
    sys.exit(__doc__)
d = sys.argv[1]
for g, name in enumerate("abc"):
    with open(f"{d}/{name}.jsonl", "w") as f:
        for i in range(24):
            day, month, yy = 1 + i, 1 + g, 80 + i % 10
            nik = f"327302{day:02d}{month:02d}{yy:02d}{100 * g + i + 1:04d}"
            f.write(json.dumps({"event_id": str(uuid.uuid4()), "nik": nik, "name": "Budi Santoso",
                                "birth_date": f"19{yy}-{month:02d}-{day:02d}", "sex": "L",
                                "origin": "SISDMK"}) + "\n")
