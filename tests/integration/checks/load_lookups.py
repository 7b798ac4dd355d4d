#!/usr/bin/env python3
"""Writes lookup_worker's load: one VerificationLookup per person, as vaksin-submit reads them.

    load_lookups.py PEOPLE_TSV OUT_JSONL IDS_FILE GRANT_JSON

PEOPLE_TSV: nik, name, birth_date, sex a line (lookup_people.py's load_people.tsv). Writes to
OUT_JSONL a CORRECTION of each person's name and birth date to what the sources hold (a fresh
request id each, GRANT_JSON as the authorizing grant) and to IDS_FILE the request ids, one a
line. Prints nothing; exit status 0 once written, 1 on a wrong call or bad input.
"""
import sys, uuid

if len(sys.argv) != 5:
    sys.exit(__doc__)
people, out, ids, grant = sys.argv[1:5]
with open(out, "w") as o, open(ids, "w") as i:
    for line in open(people):
        nik, name, birth, sex = line.rstrip("\n").split("\t")
        r = str(uuid.uuid4())
        i.write(r + "\n")
        o.write('{"actor":"officer.1","request_id":"%s","kind":"CORRECTION","nik":"%s",'
                '"facility_code":"P3273020201","changes":{"name":"%s","birth_date":"%s"},'
                '"reason":"load","grant":%s}\n' % (r, nik, name, birth, grant))
