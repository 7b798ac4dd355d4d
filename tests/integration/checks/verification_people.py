#!/usr/bin/env python3
"""Writes verification_flow's people: the ticket requests to import and the JKN and Dukcapil stubs' files.

    verification_people.py DIR

Sixteen people in kab/kota 3273 (NIKs consistent with their birth dates and sex). Writes
DIR/tickets.jsonl (their ticket requests as imported, with mistakes: persons 1, 5 and 6 with a
wrong birth date, person 4 with a wrong name), DIR/run/people/jkn.csv and dukcapil.csv (the
stubs' people, with the right data; JKN does not know person 2) and DIR/people.tsv (nik, name,
birth_date, sex as they truly are). Prints nothing; exit status 0 once written, 1 on a wrong
call or an unwritable DIR.
"""
import json, os, sys

if len(sys.argv) != 2:
    sys.exit(__doc__)
d = sys.argv[1]
def nik(i, day, month, yy, female):
    return "327302%02d%02d%02d%04d" % (day + (40 if female else 0), month, yy, i)
NAMES = ["AGUS SALIM", "DEWI SARTIKA", "BUDI SANTOSO", "SITI AMINAH", "JOKO WIDODO",
         "RINA WATI", "ADI NUGROHO", "SRI MULYANI", "HADI PURNOMO", "TUTI ALAWIYAH",
         "YUSUF HABIBI", "NUR HALIZA", "BAMBANG SUTEJO", "ANI YUDHOYONO", "EKO PRASETYO",
         "LINA MARLINA"]
people = []
for i in range(1, 17):
    female = i % 2 == 0
    day, month, yy = 1 + i, 1 + i % 12, 80 + i % 10
    bd = "19%02d-%02d-%02d" % (yy, month, day)
    people.append((nik(i, day, month, yy, female), NAMES[i - 1], bd, "P" if female else "L"))
# Targets: person 1 imported with a wrong birth date (the NIK says otherwise: flagged).
with open(os.path.join(d, "tickets.jsonl"), "w") as f:
    for k, (n, name, bd, sex) in enumerate(people):
        # wrong in the import: person 1's, 5's and 6's birth dates, person 4's name
        imported = "1979-12-31" if k in (0, 4, 5) else bd
        f.write(json.dumps({"nik": n, "name": "SITI AMINAH BINTI" if k == 3 else name,
                            "birth_date": imported, "sex": sex,
                            "phone": "0813%08d" % k, "facility_code": "P3273020201",
                            "origin": "SISDMK", "source": "sisdmk-import"}) + "\n")
os.makedirs(os.path.join(d, "run", "people"), exist_ok=True)
for src in ("jkn", "dukcapil"):
    with open(os.path.join(d, "run", "people", src + ".csv"), "w") as f:
        f.write("nik,name,birth_date,sex,card_no\n")
        for k, (n, name, bd, sex) in enumerate(people):
            if src == "jkn" and k == 1:
                continue  # JKN does not know person 2
            f.write("%s,%s,%s,%s,%s\n" % (n, name, bd, sex, "%013d" % k if src == "jkn" else ""))
with open(os.path.join(d, "people.tsv"), "w") as f:
    for n, name, bd, sex in people:
        f.write("%s\t%s\t%s\t%s\n" % (n, name, bd, sex))
