#!/usr/bin/env python3
"""A desk day's outcome against scripts/gen-desk-day's model (its expected.json).

    desk_outcome.py EXPECTED_JSON DIR TEST_NAME

DIR holds what tests/integration/lib.sh (it_check_desk_outcome) exported from the read model:
dose.tsv (the dose table as the model's dose_columns), rejection.tsv (event_id, nik, event_type,
reason_code of desk events), event_log.tsv (desk events by outcome) and dead.jsonl (vaksin-dump
of vaksin.dead-letters). Compares the whole dose table row by row, every rejection, the desk
topics' dead letters by topic and code (distinct ids: a crash may leave a redelivered copy) and
the event_log outcomes; prints "ok [TEST]: ..." or "FAIL [TEST]: ..." with the first differences.
Exit status 1 when anything differs.
"""
import collections, json, sys

exp_path, d, name = sys.argv[1:4]
e = json.load(open(exp_path))
failed = False


def report(what, ok, detail=""):
    global failed
    if ok:
        print("ok [%s]: %s" % (name, what))
    else:
        failed = True
        print("FAIL [%s]: %s%s" % (name, what, detail), file=sys.stderr)


def rows(path):
    with open(path) as f:
        return [line.rstrip("\n").split("\t") for line in f if line.strip()]


cols = e["dose_columns"]
want = {(r[0], r[1]): r for r in e["dose"]}
got = {(r[0], r[1]): r for r in rows(d + "/dose.tsv")}
diffs = []
for key in sorted(set(want) | set(got)):
    w, g = want.get(key), got.get(key)
    if w == g:
        continue
    if w is None:
        diffs.append("  %s dose %s: not expected, got %s" % (key[0], key[1], "\t".join(g[2:])))
    elif g is None:
        diffs.append("  %s dose %s: missing, expected %s" % (key[0], key[1], "\t".join(w[2:])))
    else:
        diffs.append("  %s dose %s: %s" % (key[0], key[1], "; ".join(
            "%s expected %r got %r" % (c, a, b) for c, a, b in zip(cols, w, g) if a != b)))
statuses = collections.Counter(r[2] for r in e["dose"])
report("dose table: %d rows, every column (%s)" % (
    len(want), ", ".join("%s=%d" % kv for kv in sorted(statuses.items()))),
    not diffs, ": %d rows differ (of %d expected, %d in the table); the first:\n%s" % (
        len(diffs), len(want), len(got), "\n".join(diffs[:25])))

want = {k: [e["rejection_details"][k][0], e["rejection_details"][k][1], v]
        for k, v in e["rejections"].items()}
got = {r[0]: r[1:] for r in rows(d + "/rejection.tsv")}
diffs = ["  %s: expected %s, got %s" % (k, want.get(k, "none"), got.get(k, "none"))
         for k in sorted(set(want) | set(got)) if want.get(k) != got.get(k)]
by_code = collections.Counter(v[2] for v in want.values())
report("rejections: %d (%s)" % (len(want), ", ".join("%s=%d" % kv for kv in sorted(by_code.items()))),
       not diffs, ": %d differ; the first:\n%s" % (len(diffs), "\n".join(diffs[:25])))

service = {"vaksin.registration.requests": "vaksin-registration",
           "vaksin.screening.requests": "vaksin-screening",
           "vaksin.vaccination.requests": "vaksin-vaccination"}
seen, dead, bad = set(), collections.defaultdict(collections.Counter), []
for line in open(d + "/dead.jsonl"):
    v = json.loads(line)["value"]
    if v["topic"] not in service:
        continue
    if v["service"] != service[v["topic"]] or not v["value"] or not v["error"]:
        bad.append(v)
    if v["event_id"] in seen:
        continue
    seen.add(v["event_id"])
    dead[v["topic"]][v["error_code"]] += 1
got = {t: dict(sorted(c.items())) for t, c in sorted(dead.items())}
report("dead letters of the desk topics: %s" % json.dumps(e["dead_letters_by_topic"]),
       got == e["dead_letters_by_topic"] and not bad,
       ": got %s%s" % (json.dumps(got), "; malformed: %s" % bad[:3] if bad else ""))

got = {r[0]: int(r[1]) for r in rows(d + "/event_log.tsv")}
want = {k: v for k, v in e["event_log_by_outcome"].items() if v}
report("event_log desk events by outcome: %s" % json.dumps(want), got == want,
       ": got %s" % json.dumps(got))
sys.exit(1 if failed else 0)
