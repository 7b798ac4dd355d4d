#!/usr/bin/env python3
"""Dead letters of a sample import, counted by error code, as "CODE:N,CODE:N" (sorted).

    dead_letter_codes.py DEAD_JSONL              what vaksin-dump printed of vaksin.dead-letters:
                                                 every letter must be vaksin-ticket's refusal of a
                                                 ticket request, with the original bytes, an
                                                 offset and a reason; distinct letters are counted
                                                 (a crash may leave a redelivered copy with the
                                                 same derived id)
    dead_letter_codes.py --expected EXPECTED     what scripts/gen-sample's expected.json says:
                                                 its bad rows by reason, mapped to the codes
                                                 vaksin-ticket gives them
"""

import collections
import json
import sys

CODE_OF_REASON = {"NIK_LENGTH": "INVALID_NIK", "NIK_PROVINCE": "INVALID_NIK",
                  "NIK_SERIAL": "INVALID_NIK", "NIK_DATE": "INVALID_NIK",
                  "PHONE_INVALID": "INVALID_PHONE", "NAME_EMPTY": "INVALID_NAME",
                  "NAME_DIGITS": "INVALID_NAME"}


def found(path):
    seen, codes = set(), collections.Counter()
    with open(path) as f:
        for line in f:
            v = json.loads(line)["value"]
            assert v["topic"] == "vaksin.ticket.requests" and v["service"] == "vaksin-ticket", v
            assert v["value"] and v["offset"] >= 0 and v["error"], v
            if v["event_id"] in seen:
                continue
            seen.add(v["event_id"])
            codes[v["error_code"]] += 1
    return codes


def expected(path):
    with open(path) as f:
        bad = json.load(f)["bad_by_reason"]
    codes = collections.Counter()
    for reason, n in bad.items():
        codes[CODE_OF_REASON[reason]] += n
    return codes


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--expected":
        codes = expected(sys.argv[2])
    elif len(sys.argv) == 2:
        codes = found(sys.argv[1])
    else:
        sys.exit(__doc__)
    print(",".join(f"{k}:{n}" for k, n in sorted(codes.items())))


if __name__ == "__main__":
    main()
