#!/usr/bin/env python3
"""Writes lookup_worker's people: the JKN and Dukcapil stubs' files and the load test's people.

    lookup_people.py DIR

DIR/jkn_people.csv and DIR/duk_people.csv (nik,name,birth_date,sex,card_no, as vaksin-stubs
reads them): Siti, Budi (JKN: "Budi Santoso", Dukcapil: "Budi Hartono Wijaya", the only
difference) and 1,000 more with valid NIKs; DIR/load_people.tsv: those 1,000 (nik, name,
birth_date, sex). Prints nothing; exit status 0 once written, 1 on a wrong call or an
unwritable DIR.
"""
import sys

if len(sys.argv) != 2:
    sys.exit(__doc__)
d = sys.argv[1]
rows = [("3273025205850001", "Siti Nurhaliza", "1985-05-12", "P")]
load = []
letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
for i in range(1000):
    day, month, yy = 1 + i % 28, 1 + (i // 28) % 12, 60 + i % 40
    nik = "3273%02d%02d%02d%02d%04d" % (1 + i % 9, day, month, yy, i + 1)
    name = "Warga " + letters[i // 676 % 26] + letters[i // 26 % 26] + letters[i % 26] + "ANTO"
    load.append((nik, name, "19%02d-%02d-%02d" % (yy, month, day), "L"))
for f, budi in (("jkn", "Budi Santoso"), ("duk", "Budi Hartono Wijaya")):
    with open("%s/%s_people.csv" % (d, f), "w") as out:
        out.write("nik,name,birth_date,sex,card_no\n")
        for r in rows + [("3273021003900002", budi, "1990-03-10", "L")] + load:
            out.write(",".join(r) + ",0001234567890\n")
with open(d + "/load_people.tsv", "w") as out:
    for r in load:
        out.write("\t".join(r) + "\n")
