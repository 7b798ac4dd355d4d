#!/usr/bin/env python3
"""The requests and the checks of tests/integration/redrive.sh (vaksin-redrive).

    redrive.py requests CONF COUNT DIR
        Writes, for COUNT people with NIKs 32730115018000NN (men born 1980-01-15):
        DIR/registrations.jsonl  a first-dose registration by ticket for each, with a fixed
                                 event id; the first person's ticket typed as a desk might, lower
                                 case with hyphens (the canonical form must still be found)
        DIR/tickets.jsonl        the ticket request of each
        DIR/oversized.jsonl      one registration whose ticket is 1,500 characters (refused
                                 INVALID_TICKET; a small dead.value.max.bytes keeps only its head)
        DIR/people.tsv           nik, ticket, registration event id — one person a line
        The tickets are computed here from ticket.secret in CONF with the rule of docs/design.md
        §4 (80 bits of HMAC-SHA256(secret, NIK) in Crockford base32 plus a check symbol), written
        again from the specification as tests/vectors/rules/make_vectors.py does, so the
        registrations can carry the right ticket before vaksin-ticket has issued it.

    redrive.py sent REDRIVE_OUT DEAD_JSONL CODE
        The `sent` lines vaksin-redrive printed must name exactly the original positions of the
        dead letters with that code (vaksin-dump's JSON lines), each once, each with a to=
        position on the same topic. Prints "sent=N".

    redrive.py registered TARGET_JSONL
        vaksin-dump of vaksin.target.events: prints "registered=N distinct=M" — Registered
        events, and how many distinct event ids they carry.
"""

import hashlib
import hmac
import json
import re
import sys
import uuid

BASE32 = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CHECK = BASE32 + "*~$=U"
FACILITY = "P3273020201"


def ticket(secret, nik):
    value = int.from_bytes(hmac.new(secret, nik.encode(), hashlib.sha256).digest()[:10], "big")
    return "".join(BASE32[(value >> (5 * (15 - i))) & 31] for i in range(16)) + CHECK[value % 37]


def read_secret(conf):
    with open(conf) as f:
        for line in f:
            if line.startswith("ticket.secret="):
                return line.rstrip("\n").split("=", 1)[1].encode()
    sys.exit("redrive.py: no ticket.secret in %s" % conf)


def registration(event_id, typed):
    return {"event_id": event_id, "source": "redrive-test", "actor": None, "ticket": typed,
            "nik": None, "facility_code": FACILITY, "dose": 1}


def requests(conf, count, out):
    secret = read_secret(conf)
    with open(out + "/registrations.jsonl", "w") as regs, \
            open(out + "/tickets.jsonl", "w") as tickets, open(out + "/people.tsv", "w") as people:
        for i in range(1, count + 1):
            nik = "32730115018000%02d" % i
            t = ticket(secret, nik)
            typed = "-".join((t[:6], t[6:12], t[12:])).lower() if i == 1 else t
            event_id = str(uuid.uuid4())
            regs.write(json.dumps(registration(event_id, typed)) + "\n")
            tickets.write(json.dumps({"nik": nik, "name": "Redrive Person " + chr(ord("A") + i - 1),
                                      "birth_date": "1980-01-15", "sex": "L",
                                      "origin": "OTHER"}) + "\n")
            people.write("%s\t%s\t%s\n" % (nik, t, event_id))
    with open(out + "/oversized.jsonl", "w") as f:
        f.write(json.dumps(registration(str(uuid.uuid4()), "X" * 1500)) + "\n")


def sent(out_path, dead_path, code):
    want = set()
    with open(dead_path) as f:
        for line in f:
            v = json.loads(line)["value"]
            if v["error_code"] == code:
                want.add("%s/%d/%d" % (v["topic"], v["partition"], v["offset"]))
    got = []
    with open(out_path) as f:
        for line in f:
            if not line.startswith("sent "):
                continue
            m = re.search(r" original=(\S+) .* to=(\S+)$", line.rstrip("\n"))
            assert m, "a sent line without original= and to=: %s" % line
            assert m.group(1).rsplit("/", 2)[0] == m.group(2).rsplit("/", 2)[0], \
                "sent to another topic: %s" % line
            got.append(m.group(1))
    assert len(got) == len(set(got)), "an original sent twice: %s" % sorted(got)
    assert set(got) == want, "sent %s, the %s dead letters are %s" % (sorted(got), code,
                                                                      sorted(want))
    print("sent=%d" % len(got))


def registered(path):
    ids = []
    with open(path) as f:
        for line in f:
            v = json.loads(line).get("value") or {}
            if (v.get("payload") or {}).get("type") == "Registered":
                ids.append(v["event_id"])
    print("registered=%d distinct=%d" % (len(ids), len(set(ids))))


if __name__ == "__main__":
    args = sys.argv[1:]
    if args[:1] == ["requests"] and len(args) == 4:
        requests(args[1], int(args[2]), args[3])
    elif args[:1] == ["sent"] and len(args) == 4:
        sent(*args[1:])
    elif args[:1] == ["registered"] and len(args) == 2:
        registered(args[1])
    else:
        sys.exit(__doc__)
