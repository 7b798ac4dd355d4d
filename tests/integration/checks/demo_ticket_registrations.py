#!/usr/bin/env python3
"""Finds, in the demo's desk day, a registration by a ticket typed canonically and one typed with separators.

    demo_ticket_registrations.py DEMO_DIR

DEMO_DIR: the demo workload's folder (tickets.tsv: NIK and ticket; day/phase-*/
vaksin.registration.requests.jsonl). Among the registrations that give a ticket and no NIK,
whose ticket (without hyphens and spaces, upper case) is one of tickets.tsv, takes the first
typed canonically and the first typed with hyphens or spaces. Prints one line for each found:
"canonically|with-separators NIK EVENT_ID TICKET_AS_TYPED" (spaces in the ticket as "_"), the
canonical one first. Exit status 0 (nothing found prints nothing); 1 on a wrong call.
"""
import glob, json, os, sys

if len(sys.argv) != 2:
    sys.exit(__doc__)
d = sys.argv[1]
nik_of = dict(l.rstrip("\n").split("\t") for l in open(os.path.join(d, "tickets.tsv")) if l.strip())
ticket_nik = {t: n for n, t in nik_of.items()}
found = {}
for f in sorted(glob.glob(os.path.join(d, "day", "phase-*", "vaksin.registration.requests.jsonl"))):
    for line in open(f):
        r = json.loads(line)
        t = r.get("ticket")
        if not t or r.get("nik"):
            continue
        canon = t.replace("-", "").replace(" ", "").upper()
        kind = "canonically" if t == canon else "with-separators"
        if canon in ticket_nik and kind not in found:
            found[kind] = (ticket_nik[canon], r["event_id"], t.replace(" ", "_"))
for kind in ("canonically", "with-separators"):
    if kind in found:
        print(kind, *found[kind])
