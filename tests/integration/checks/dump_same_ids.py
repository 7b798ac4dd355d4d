#!/usr/bin/env python3
"""Whether a vaksin-dump holds exactly the requests that were sent, by event id.

    dump_same_ids.py EXPECTED_JSONL DUMP_JSONL

EXPECTED_JSONL: the requests as sent (one JSON object a line, with event_id); DUMP_JSONL: what
vaksin-dump printed (each line's value has event_id). Prints "N same" when the dump holds exactly
the expected event ids, each once; else "missing=M extra=E repeated=R" (counts). Exit status 0
either way (the caller compares what is printed); 1 on a wrong call or unreadable input.
"""
import collections, json, sys

if len(sys.argv) != 3:
    sys.exit(__doc__)
want = {json.loads(l)["event_id"] for l in open(sys.argv[1])}
got = collections.Counter(json.loads(l)["value"]["event_id"] for l in open(sys.argv[2]))
missing, extra = want - set(got), set(got) - want
dup = [k for k, n in got.items() if n > 1]
print(f"{len(want)} same" if not (missing or extra or dup) else
      f"missing={len(missing)} extra={len(extra)} repeated={len(dup)}")
