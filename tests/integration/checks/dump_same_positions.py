#!/usr/bin/env python3
"""Whether a vaksin-dump holds exactly the messages of a reference dump that a filter selects.

    dump_same_positions.py REFERENCE_DUMP FILTER DUMP

REFERENCE_DUMP and DUMP: what vaksin-dump printed (JSON lines with partition and offset).
FILTER: a Python expression on one message m of REFERENCE_DUMP (e.g. "m['offset'] >= 2").
Prints "N same" when DUMP holds exactly the (partition, offset) of the N reference messages the
filter holds for, each once; else "missing=[...] extra=[...] repeated=[...]" (the positions).
Exit status 0 either way (the caller compares what is printed); 1 on a wrong call, unreadable
input or a filter that does not evaluate.
"""
import collections, json, sys

if len(sys.argv) != 4:
    sys.exit(__doc__)
pos = lambda m: (m["partition"], m["offset"])
want = {pos(m) for m in map(json.loads, open(sys.argv[1])) if eval(sys.argv[2])}
got = collections.Counter(pos(m) for m in map(json.loads, open(sys.argv[3])))
missing, extra = want - set(got), set(got) - want
dup = [k for k, n in got.items() if n > 1]
print(f"{len(want)} same" if not (missing or extra or dup) else
      f"missing={sorted(missing)} extra={sorted(extra)} repeated={dup}")
