#!/usr/bin/env python3
"""Whether a second gen-sample import shares no NIK with the first one or with its desk day.

    samples_disjoint.py CSV_A CSV_B DAY_DIR

CSV_A, CSV_B: two scripts/gen-sample CSVs (column NIK); DAY_DIR: scripts/gen-desk-day's output
for A (phase-*/*.jsonl, requests with a nik). Exit status 0 when no NIK of B is in A or in the
day; else 1, printing "shared: [...]" (the first five) on stderr.
"""
import csv, glob, json, sys

if len(sys.argv) != 4:
    sys.exit(__doc__)
nik = lambda p: {r["NIK"] for r in csv.DictReader(open(p))}
a, b = nik(sys.argv[1]), nik(sys.argv[2])
day = {json.loads(l).get("nik") for f in glob.glob(sys.argv[3] + "/phase-*/*.jsonl") for l in open(f)}
shared = b & (a | day)
sys.exit("shared: %s" % sorted(shared)[:5] if shared else 0)
