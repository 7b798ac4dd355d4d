#!/usr/bin/env python3
"""Dead letters of ticket requests, counted by error code, as "CODE:N,CODE:N" (sorted): found or expected.

    ticket_dead_letter_codes.py DEAD_JSONL
        what vaksin-dump printed of vaksin.dead-letters: the letters of vaksin.ticket.requests
        (those of other topics, e.g. a desk day's, are left out), each of which must be
        vaksin-ticket's with the original bytes and an error; distinct event ids are counted (a
        crash may leave a redelivered copy with the same derived id)
    ticket_dead_letter_codes.py --expected EXPECTED_JSON...
        the sum over several scripts/gen-sample expected.json files: their bad rows by reason,
        mapped to the codes vaksin-ticket gives them

Unlike dead_letter_codes.py (one import, nothing else dead-lettered), this one counts the ticket
requests' letters among others and sums several imports. Exit status 1 on a malformed letter
(an AssertionError with the letter) or a wrong call.
"""
import collections, json, sys


def expected(paths):
    code = {"NIK_LENGTH": "INVALID_NIK", "NIK_PROVINCE": "INVALID_NIK", "NIK_SERIAL": "INVALID_NIK",
            "NIK_DATE": "INVALID_NIK", "PHONE_INVALID": "INVALID_PHONE", "NAME_EMPTY": "INVALID_NAME",
            "NAME_DIGITS": "INVALID_NAME"}
    c = collections.Counter()
    for p in paths:
        for reason, n in json.load(open(p))["bad_by_reason"].items():
            c[code[reason]] += n
    return c


def found(path):
    seen, c = set(), collections.Counter()
    for line in open(path):
        v = json.loads(line)["value"]
        if v["topic"] != "vaksin.ticket.requests" or v["event_id"] in seen:
            continue
        assert v["service"] == "vaksin-ticket" and v["value"] and v["error"], v
        seen.add(v["event_id"])
        c[v["error_code"]] += 1
    return c


def main():
    if len(sys.argv) >= 3 and sys.argv[1] == "--expected":
        c = expected(sys.argv[2:])
    elif len(sys.argv) == 2 and not sys.argv[1].startswith("-"):
        c = found(sys.argv[1])
    else:
        sys.exit(__doc__)
    print(",".join(f"{k}:{n}" for k, n in sorted(c.items())))


if __name__ == "__main__":
    main()
