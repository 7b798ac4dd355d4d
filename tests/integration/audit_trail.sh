#!/usr/bin/env bash
# audit_trail — vaksin-trail (issue 5) after the demo's workload (tickets, a desk day,
# verifications): the trail of a NIK whose correction was applied shows its TicketIssued, then
# the request (with the officer who asked), the pending state, the evidence with its verdict and
# the decision, in that order, with the outcomes the read model recorded; a NIK whose desk
# request was dead-lettered shows the dead letter, its reason, and the request it refused; a
# registration by a ticket typed with hyphens or spaces is found with --all-partitions; with
# --from end every target event comes from event_log, decoded to the same records; without the
# read model outcomes are "unknown", not invented; a NIK with no events exits 1, a malformed one 2.
source "$(dirname "$0")/lib.sh"
it_setup
it_demo_workload 3000 3000

trail() { "$VAKSIN_BIN/vaksin-trail" --config "$VAKSIN_RUN_DIR/vaksin.conf" "$@"; }

# 1. A correction: applied, kind CORRECTION.
IFS='|' read -r NIK ACTOR REQUEST < <(it_sql "select nik, requested_by, request_id from verification
    where kind = 'CORRECTION' and status = 'APPLIED' order by nik limit 1") || true
[[ -n "${NIK:-}" ]] || it_fail "the demo applied no correction"
t0=$(date +%s.%N)
trail "$NIK" >"$IT_TMP/trail.txt" 2>"$IT_TMP/trail.err" || it_fail "vaksin-trail exited $?: $(cat "$IT_TMP/trail.err")"
t1=$(date +%s.%N)
trail --json "$NIK" >"$IT_TMP/trail.jsonl" 2>>"$IT_TMP/trail.err" || it_fail "vaksin-trail --json exited $?"
it_sql "select topic, partition, \"offset\", event_type, outcome from event_log where nik = '$NIK'
        order by topic, partition, \"offset\"" >"$IT_TMP/event_log.txt"
"$PY" - "$IT_TMP/trail.jsonl" "$IT_TMP/event_log.txt" "$REQUEST" "$ACTOR" "$IT_NAME" <<'PY' ||
import json, sys
path, log_path, request, actor, name = sys.argv[1:6]
lines = [json.loads(l) for l in open(path)]
def ok(what): print("ok [%s]: %s" % (name, what))
def fail(what):
    print("FAIL [%s]: %s" % (name, what), file=sys.stderr)
    for l in lines:
        print("  %s %s[%s]@%s %s %s" % (l["time"], l["topic"], l["partition"], l["offset"],
              l["event_type"], l["outcome"].get("summary")), file=sys.stderr)
    sys.exit(1)
keys = {"time", "timestamp", "topic", "partition", "offset", "event_type", "actor", "source",
        "outcome", "record"}
if not lines or any(set(l) != keys for l in lines):
    fail("every line has exactly %s" % sorted(keys))
if any(l["source"] != "topic" for l in lines):
    fail("every event is still on its topic")
def find(pred, what):
    hits = [i for i, l in enumerate(lines) if pred(l)]
    if len(hits) != 1:
        fail("expected one %s, found %d" % (what, len(hits)))
    return hits[0], lines[hits[0]]
def payload(l): return l["record"]["value"].get("payload") or {}
ti, _ = find(lambda l: l["event_type"] == "TicketIssued", "TicketIssued")
ri, r = find(lambda l: l["event_type"] == "VerificationRequested" and
             l["record"]["value"]["event_id"].lower() == request, "VerificationRequested")
pi, p = find(lambda l: l["event_type"] == "VerificationPending" and
             payload(l)["request_id"].lower() == request, "VerificationPending")
ei, e = find(lambda l: l["event_type"] == "VerificationEnriched" and
             payload(l)["request_id"].lower() == request and
             l["outcome"].get("decision"), "deciding VerificationEnriched")
if not ti < ri < pi < ei:
    fail("order TicketIssued %d < request %d < pending %d < enriched %d" % (ti, ri, pi, ei))
ok("TicketIssued, VerificationRequested, VerificationPending, VerificationEnriched in that order")
if r["topic"] != "vaksin.verification.requests" or r["actor"] != actor:
    fail("the request is on vaksin.verification.requests by %s: %s by %s" % (actor, r["topic"], r["actor"]))
if r["outcome"]["status"] != "APPLIED" or not any(
        x["event_type"] == "VerificationPending" for x in r["outcome"].get("produced", [])):
    fail("the request's outcome names its Pending and the decision: %s" % r["outcome"])
ok("the request by %s on vaksin.verification.requests → APPLIED (%s)" % (actor, r["outcome"]["summary"]))
if p["topic"] != "vaksin.target.events" or p["outcome"]["status"] != "APPLIED" or p["actor"] != actor:
    fail("the pending state is applied to the log: %s" % p["outcome"])
ok("pending: %s" % p["outcome"]["summary"])
ev = payload(e).get("evidence") or []
if payload(e).get("verdict") != "SUPPORTED" or e["outcome"].get("verdict") != "SUPPORTED" or \
        not any(x["status"] == "FOUND" and x["fields"] for x in ev):
    fail("the evidence supports the change: %s" % payload(e))
ok("evidence: verdict SUPPORTED from %s" % ", ".join("%s %s" % (x["source"], x["status"]) for x in ev))
d = e["outcome"]["decision"]
if e["outcome"]["status"] != "APPLIED" or d["status"] != "APPLIED" or d["requested_by"] != actor \
        or not d["changes"] or "decision APPLIED" not in e["outcome"]["summary"]:
    fail("the decision: %s" % e["outcome"])
ok("decision: %s" % e["outcome"]["summary"])
# Every event_log row of the NIK is on its line, with the projector's outcome; log order kept.
rows = [l.rstrip("\n").split("|") for l in open(log_path) if l.strip()]
want = sorted((t, int(pa), int(o), ty, out) for t, pa, o, ty, out in rows)
got = sorted((l["topic"], l["partition"], l["offset"], l["event_type"], l["outcome"]["status"])
             for l in lines if l["topic"] == "vaksin.target.events")
if want != got:
    fail("target events and their outcomes = event_log's:\n  want %s\n  got  %s" % (want, got))
ok("%d target events, each with its event_log outcome" % len(want))
last = {}
for l in lines:
    k = (l["topic"], l["partition"])
    if l["offset"] <= last.get(k, -1):
        fail("offsets go back in %s[%d]" % k)
    last[k] = l["offset"]
ok("each partition in offset order")
PY
    it_fail "the correction's trail (above)"
grep -q "VerificationRequested  actor=$ACTOR  " "$IT_TMP/trail.txt" ||
    it_fail "the human trail has no header line for the request by $ACTOR"
grep -q "VerificationEnriched  actor=$ACTOR  APPLIED; verdict SUPPORTED.*decision APPLIED" "$IT_TMP/trail.txt" ||
    it_fail "the human trail does not show the evidence and the decision"
(($(grep -c '^    {' "$IT_TMP/trail.txt") == $(wc -l <"$IT_TMP/trail.jsonl"))) ||
    it_fail "the human trail does not show every decoded record"
echo "ok [$IT_NAME]: the human trail shows the request, the evidence and the decision"
echo "figure [$IT_NAME]: trail of one NIK ($(wc -l <"$IT_TMP/trail.jsonl") events) in $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }') s"

# 2. --from end: nothing read from the topics, every target event from event_log, decoded to the
#    same records, with the same outcomes, in log order.
trail --json --from end "$NIK" >"$IT_TMP/trail-log.jsonl" 2>>"$IT_TMP/trail.err" ||
    it_fail "vaksin-trail --from end exited $?"
"$PY" - "$IT_TMP/trail.jsonl" "$IT_TMP/trail-log.jsonl" "$IT_NAME" <<'PY' || it_fail "the event_log fallback (above)"
import json, sys
live = [json.loads(l) for l in open(sys.argv[1])]
logged = [json.loads(l) for l in open(sys.argv[2])]
name = sys.argv[3]
def outcome(l):  # the request a target event came from is on its topic, not read here
    return {k: v for k, v in l["outcome"].items() if k != "cause"}
want = [(l["partition"], l["offset"], l["event_type"], l["actor"], l["record"]["value"], outcome(l))
        for l in live if l["topic"] == "vaksin.target.events"]
got = [(l["partition"], l["offset"], l["event_type"], l["actor"], l["record"]["value"], outcome(l))
       for l in logged]
assert all(l["source"] == "event_log" and l["topic"] == "vaksin.target.events" for l in logged), \
    "a line not from event_log: %s" % [l for l in logged if l["source"] != "event_log"][:1]
assert got == want, "event_log's records differ from the topic's:\n%s\n%s" % (want, got)
types = [l["event_type"] for l in logged]
assert types.index("TicketIssued") < types.index("VerificationPending") < types.index("VerificationEnriched"), types
print("ok [%s]: --from end: %d target events from event_log, same records and outcomes, in log order"
      % (name, len(logged)))
PY

# 3. Without the read model the outcomes of target events are unknown, and said to be.
env -u VAKSIN_PG "$VAKSIN_BIN/vaksin-trail" --config "$VAKSIN_RUN_DIR/vaksin.conf" --json "$NIK" \
    >"$IT_TMP/trail-nopg.jsonl" 2>"$IT_TMP/trail-nopg.err" || it_fail "vaksin-trail without pg.conninfo exited $?"
grep -q 'no pg.conninfo' "$IT_TMP/trail-nopg.err" || it_fail "no warning without pg.conninfo"
"$PY" - "$IT_TMP/trail-nopg.jsonl" <<'PY' || it_fail "outcomes without the read model (above)"
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
target = [l for l in lines if l["topic"] == "vaksin.target.events"]
assert target and all(l["outcome"]["status"] == "UNKNOWN" and "no read model" in l["outcome"]["summary"]
                      for l in target), [l["outcome"] for l in target]
req = [l for l in lines if l["event_type"] == "VerificationRequested"]
assert req and all(l["outcome"]["status"] == "PRODUCED" for l in req), [l["outcome"] for l in req]
PY
echo "ok [$IT_NAME]: without pg.conninfo target events say 'outcome unknown (no read model…)'"

# 4. A dead-lettered desk request: its dead letter with the reason, and the request it refused.
it_dead_letters >"$IT_TMP/dead.jsonl"
read -r DNIK DTOPIC DPART DOFF DCODE < <("$PY" - "$IT_TMP/dead.jsonl" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    d = json.loads(line)
    v, p = d.get("value") or {}, d.get("payload") or {}
    nik = p.get("nik") or ""
    if v.get("topic") in ("vaksin.registration.requests", "vaksin.screening.requests",
                          "vaksin.vaccination.requests") and len(nik) == 16 and nik.isdigit():
        print(nik, v["topic"], v["partition"], v["offset"], v["error_code"])
        break
PY
) || true
[[ -n "${DNIK:-}" ]] || it_fail "no dead-lettered desk request with a NIK in the demo"
trail --json "$DNIK" >"$IT_TMP/trail-dead.jsonl" 2>>"$IT_TMP/trail.err" || it_fail "vaksin-trail (dead letter) exited $?"
"$PY" - "$IT_TMP/trail-dead.jsonl" "$DTOPIC" "$DPART" "$DOFF" "$DCODE" "$IT_NAME" <<'PY' || it_fail "the dead letter's trail (above)"
import json, sys
path, topic, part, off, code, name = sys.argv[1:7]
lines = [json.loads(l) for l in open(path)]
dead = [l for l in lines if l["event_type"] == "DeadLetter" and l["record"]["value"]["topic"] == topic
        and l["record"]["value"]["partition"] == int(part) and l["record"]["value"]["offset"] == int(off)]
assert dead, "no dead letter for %s[%s]@%s in %s" % (topic, part, off, [l["event_type"] for l in lines])
o = dead[0]["outcome"]
assert o["status"] == "DEAD_LETTER" and o["reason_code"] == code and o["reason"], o
assert dead[0]["record"].get("payload"), "the refused request is not decoded"
req = [l for l in lines if l["topic"] == topic and l["partition"] == int(part) and l["offset"] == int(off)]
assert req and req[0]["outcome"]["status"] == "DEAD_LETTER" and req[0]["outcome"]["reason_code"] == code, \
    "the refused request and its outcome: %s" % req
assert lines.index(req[0]) < lines.index(dead[0]), "the dead letter precedes its request"
print("ok [%s]: dead letter %s: %s; the request %s[%s]@%s → DEAD_LETTER" % (name, code, o["reason"], topic, part, off))
PY

# 5. Registrations by ticket: keyed by the ticket as typed. Typed canonically it is found by the
#    ticket's partition; typed with hyphens or spaces, by --all-partitions.
"$PY" - "$VAKSIN_RUN_DIR/demo" >"$IT_TMP/by-ticket.txt" <<'PY'
import glob, json, os, sys
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
PY
while read -r kind TNIK EVENT TYPED; do
    TYPED=${TYPED//_/ }
    args=(--json)
    [[ $kind == with-separators ]] && args+=(--all-partitions)
    trail "${args[@]}" "$TNIK" >"$IT_TMP/trail-ticket.jsonl" 2>>"$IT_TMP/trail.err" || it_fail "vaksin-trail ($kind ticket) exited $?"
    "$PY" - "$IT_TMP/trail-ticket.jsonl" "$EVENT" "$TYPED" <<'PY' || it_fail "the $kind ticket registration is not in its NIK's trail (above)"
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
req = [l for l in lines if l["event_type"] == "RegistrationSubmitted"
       and l["record"]["value"]["event_id"] == sys.argv[2]]
assert req and req[0]["record"]["key"] == sys.argv[3], [l["event_type"] for l in lines]
assert any(p["event_type"] == "Registered" for p in req[0]["outcome"].get("produced", [])), req[0]["outcome"]
PY
    if [[ $kind == with-separators ]]; then
        # Without --all-partitions its request may lie on a partition not read: the Registered
        # event then says so instead of showing no cause.
        trail --json "$TNIK" >"$IT_TMP/trail-ticket.jsonl" 2>>"$IT_TMP/trail.err" || it_fail "vaksin-trail exited $?"
        "$PY" - "$IT_TMP/trail-ticket.jsonl" "$EVENT" <<'PY' || it_fail "a Registered event by a typed ticket neither shows its request nor says why (above)"
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
reg = [l for l in lines if l["event_type"] == "Registered" and l["record"]["value"]["causation_id"] == sys.argv[2]]
assert reg, "no Registered event for %s" % sys.argv[2]
o = reg[0]["outcome"]
assert o.get("cause") or "--all-partitions" in o["summary"], o
PY
    fi
    echo "ok [$IT_NAME]: a registration by a ticket typed ${kind//-/ } (\"$TYPED\") is in its NIK's trail${args[1]:+ with ${args[1]}}"
done <"$IT_TMP/by-ticket.txt"
grep -q '^canonically ' "$IT_TMP/by-ticket.txt" || it_fail "the demo has no registration by a canonical ticket"

# 6. Exit statuses: no events → 1, not a NIK → 2.
rc=0
trail 3299990101000001 >/dev/null 2>&1 || rc=$?
it_eq "exit status for a NIK without events" 1 "$rc"
rc=0
trail 32999901010000 >/dev/null 2>"$IT_TMP/bad.err" || rc=$?
it_eq "exit status for a malformed NIK" 2 "$rc"
grep -q 'has 16 digits, this one has 14' "$IT_TMP/bad.err" || it_fail "no clear message for a malformed NIK"
