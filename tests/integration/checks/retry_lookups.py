#!/usr/bin/env python3
"""The first retry lookups vaksin-lookup wrote for a set of requests whose sources were down.

    retry_lookups.py RETRIES_JSONL IDS_FILE

RETRIES_JSONL: vaksin-dump of vaksin.verification.lookups.retry; IDS_FILE: the request ids, one
a line. Of the retry lookups with attempt 1 for those requests, prints "DISTINCT MIN_ATTEMPT
ALL_NOT_BEFORE": how many distinct request ids, the least attempt, and whether every one has a
not_before (True/False) — "20 1 True" for 20 requests each retried once. Exit status 0 (the
caller compares what is printed); 1 on a wrong call, unreadable input or no such lookup.
"""
import json, sys

if len(sys.argv) != 3:
    sys.exit(__doc__)
ids = set(open(sys.argv[2]).read().split())
first = [json.loads(l)["value"] for l in open(sys.argv[1])]
first = [v for v in first if v["request_id"] in ids and v["attempt"] == 1]
print(len({v["request_id"] for v in first}), min(v["attempt"] for v in first),
      all(v["not_before"] for v in first))
