#!/usr/bin/env python3
"""What vaksin-verification wrote to the topics in verification_authz, request by request.

    verification_topics.py DIR TEST_NAME G1 G2 G7 G8 CLINIC CLINIC_DISTRICT

DIR holds vaksin-dump's target.jsonl (vaksin.target.events), lookups.jsonl
(vaksin.verification.lookups) and dead.jsonl (vaksin.dead-letters). G1, G2, G7, G8: the event
ids of verification_authz's access events 1, 2, 7 and 8 (the grants of officer.1, officer.2,
officer.5 and the one made while the service ran); CLINIC, CLINIC_DISTRICT: the clinic of
config/facilities.csv that officer.5 was granted. Checks each request (ids
00000000-0000-4000-8000-0000000000NN): the authorized ones one VerificationPending keyed by the
NIK with the authorizing grant and one VerificationLookup matching it, the refused ones one
VerificationRefused with its code and words and no lookup, request 11 (sent twice) decided
twice the same, the malformed ones one dead letter each by code and no decision. Prints
"ok [TEST_NAME]: ..." or "FAIL [TEST_NAME]: ..." per check; exit status 1 when any failed.
"""
import json, sys

if len(sys.argv) != 9:
    sys.exit(__doc__)

tmp, name, g1, g2, g7, g8, clinic, clinic_district = sys.argv[1:9]
failed = False


def check(what, ok, detail=""):
    global failed
    print("%s [%s]: %s%s" % ("ok" if ok else "FAIL", name, what, "" if ok else ": " + str(detail)),
          file=sys.stdout if ok else sys.stderr)
    failed |= not ok


def rid(n):
    return "00000000-0000-4000-8000-%012d" % n


def lines(f):
    return [json.loads(line) for line in open(tmp + "/" + f)]


events, tickets = {}, {}
for m in lines("target.jsonl"):
    v = m["value"]
    p = v["payload"]
    if p["type"] == "TicketIssued":
        tickets[v["nik"]] = p["ticket"]
        continue
    events.setdefault(p["request_id"], []).append((m["key"], v))
lookups = {}
for m in lines("lookups.jsonl"):
    lookups.setdefault(m["value"]["request_id"], []).append((m["key"], m["value"]))
dead = {}
for m in lines("dead.jsonl"):
    v = m["value"]
    if v["service"] == "vaksin-verification":
        dead.setdefault(v["error_code"], []).append(v)

CH = {"name": "SITI AMINAH", "birth_date": None, "sex": None, "phone": "+6281234567890",
      "facility_code": None, "scheduled_date": None}
CH_ADD = {"name": "BUDI SANTOSO", "birth_date": "1970-01-01", "sex": "L", "phone": None,
          "facility_code": "P3273010101", "scheduled_date": None}


def grant(event_id, user, facility, district, by, at):
    return {"grant_event_id": event_id, "user_id": user, "facility_code": facility,
            "district_code": district, "granted_by": by, "granted_at": at, "valid_until": None}


G1 = grant(g1, "officer.1", "P3273020201", "3273", "dinkes.bandung", "2021-07-01T00:00:00.000Z")
G7 = grant(g7, "officer.5", clinic, clinic_district, "dinkes.x", "2021-07-01T00:00:00.000Z")


def one(table, n):
    got = table.get(rid(n), [])
    return got[0] if len(got) == 1 else (None, None)


def pending(n, nik, actor, kind, changes, g, facility="P3273020201", ticket=None):
    key, e = one(events, n)
    ok = (key == nik and e and e["nik"] == nik and e["causation_id"] == rid(n)
          and e["actor"] == actor and e["source"] == "pcare-web")
    p = e["payload"] if e else {}
    want = {"type": "VerificationPending", "request_id": rid(n), "kind": kind,
            "facility_code": facility, "changes": changes, "reason": "data SISDMK salah",
            "ticket": ticket, "grant": g}
    check("request %d: one VerificationPending keyed by its NIK with grant %s" % (n, g and g["grant_event_id"]),
          ok and (g is None and p.get("type") == "VerificationPending" or p == want),
          "got %s" % json.dumps(e))
    key, lk = one(lookups, n)
    want_lk = {"event_id": lk and lk["event_id"], "occurred_at": e and e["occurred_at"],
               "source": "pcare-web", "actor": actor, "request_id": rid(n), "kind": kind,
               "nik": nik, "facility_code": facility, "changes": changes,
               "reason": "data SISDMK salah", "grant": p.get("grant"), "attempt": 0,
               "not_before": None}
    check("request %d: one VerificationLookup with the same request and grant" % n,
          key == nik and lk == want_lk and lk["event_id"] != e["event_id"],
          "got %s" % json.dumps(lk))
    return p


def refused(n, nik, code, *words):
    key, e = one(events, n)
    p = e["payload"] if e else {}
    ok = (key == nik and p.get("type") == "VerificationRefused" and p.get("code") == code
          and p.get("request_id") == rid(n) and all(w in p.get("refusal", "") for w in words)
          and rid(n) not in lookups)
    check("request %d: VerificationRefused %s (%s)" % (n, code, p.get("refusal")), ok,
          json.dumps(e))


# Request 11 was sent twice: the second decision is the same event, byte for byte in JSON.
t11, l11 = events.get(rid(11), []), lookups.get(rid(11), [])
check("request 11 resent: the same TargetEvent and lookup again", len(t11) == 2 and len(l11) == 2
      and t11[0] == t11[1] and l11[0] == l11[1], "%d and %d outputs" % (len(t11), len(l11)))
events[rid(11)] = t11[:1]
lookups[rid(11)] = l11[:1]

pending(11, "3273025205850001", "officer.1", "CORRECTION", CH, G1)
p = pending(12, "3273021508800002", "officer.1", "ADDITION", CH_ADD, G1,
            ticket=tickets.get("3273021508800002"))
check("the ADDITION's ticket is vaksin-ticket's", p.get("ticket") is not None
      and p.get("ticket") == tickets.get("3273021508800002"), "%s vs %s" % (p.get("ticket"), tickets))
refused(13, "3273026107900003", "NOT_AUTHORIZED", "officer.9")
refused(14, "3273020101700004", "GRANT_REVOKED", "revoked at 2021-07-01T06:00:00Z by dinkes.bandung")
# Backdated to 03:00 on 2021-07-01, before officer.2's revocation: refused as a clock error
# (it used to be authorized by the grant of that time: the client chose when it was judged).
refused(15, "3273024404950005", "CLOCK_SKEW", "made at 2021-07-01T03:00:00Z", "days earlier")
refused(16, "3273024404950006", "NOT_AUTHORIZED", "officer.3")
refused(17, "3273021508800007", "WRONG_FACILITY", "P3273010101", "P3204020201")
pending(18, "3171025205850008", "officer.5", "CORRECTION", CH, G7, facility=clinic)
refused(23, "3273021508800009", "NOT_AUTHORIZED", "officer.6")
p = pending(24, "3273021508800009", "officer.6", "CORRECTION", CH, None)
check("request 24: authorized by the grant made while running", p.get("grant", {}).get("grant_event_id") == g8,
      json.dumps(p))
refused(25, "3273021508800010", "GRANT_REVOKED", "revoked at 2021-07-01T06:00:00Z")
# Backdated by two minutes (within the tolerance) to before officer.7's revocation: judged at
# the broker's time, after it.
refused(27, "3273021508800012", "GRANT_REVOKED", "revoked at", "by dinkes.bandung")
p = pending(26, "3273021508800011", "officer.6", "CORRECTION", CH, None)
check("request 26: the live grant read again at restart", p.get("grant", {}).get("grant_event_id") == g8,
      json.dumps(p))


want_dead = {"INVALID_NIK": rid(19), "MISSING_ACTOR": rid(20), "NO_CHANGES": rid(21),
             "INCOMPLETE_ADDITION": rid(22)}
got_dead = {code: [v for v in vs] for code, vs in dead.items()}
check("dead letters by code: %s" % ",".join(sorted(want_dead)),
      sorted(got_dead) == sorted(want_dead)
      and all(len(v) == 1 and v[0]["topic"] == "vaksin.verification.requests" and v[0]["value"]
              and v[0]["error"] for v in got_dead.values()),
      json.dumps(got_dead)[:2000])
check("no decision for a malformed request",
      not any(rid(n) in events or rid(n) in lookups for n in (19, 20, 21, 22)))
sys.exit(1 if failed else 0)
