#!/usr/bin/env python3
"""Exactly-once at the Kafka level, seen by a client that shares no code with vaksin.

    exactly_once.py BOOTSTRAP INPUT_TOPIC

Reads INPUT_TOPIC, vaksin.target.events and vaksin.dead-letters with Confluent's Python client,
once read_committed and once read_uncommitted, and prints one JSON report:
  inputs                 input records (ticket requests, say)
  committed.outputs      target events whose causation_id is one of the inputs' event ids
  committed.dead         dead letters of INPUT_TOPIC (distinct: each names its input's offset)
  committed.extra        outputs beyond their input's multiplicity (a duplicate), summed
  committed.missing      inputs - outputs - dead: inputs with no committed outcome
  uncommitted.outputs / .dead  the same, read_uncommitted (aborted records included)
  aborted_seen           what read_uncommitted sees beyond read_committed
Exit status 0 when committed.extra and committed.missing are 0 (exactly one outcome per input),
1 otherwise. Whether aborted records were seen is the caller's to judge.
"""

import collections
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from read_topic import read  # noqa: E402

TARGET, DEAD = "vaksin.target.events", "vaksin.dead-letters"


def outcomes(bootstrap, input_topic, want, isolation):
    outputs = collections.Counter()
    for _, _, d in read(bootstrap, TARGET, isolation):
        if d is not None and d["causation_id"] in want:
            outputs[d["causation_id"]] += 1
    dead = collections.Counter()
    for _, _, d in read(bootstrap, DEAD, isolation):
        if d is not None and d["topic"] == input_topic:
            dead[(d["partition"], d["offset"])] += 1
    return outputs, dead


def main():
    bootstrap, input_topic = sys.argv[1], sys.argv[2]
    want = collections.Counter()
    undecodable = 0
    for _, _, d in read(bootstrap, input_topic, "read_committed"):
        if d is None:
            undecodable += 1
        else:
            want[d["event_id"]] += 1
    inputs = sum(want.values()) + undecodable
    report = {"inputs": inputs}
    for iso in ("read_committed", "read_uncommitted"):
        outputs, dead = outcomes(bootstrap, input_topic, want, iso)
        extra = sum(max(0, n - want[c]) for c, n in outputs.items())
        extra += sum(n - 1 for n in dead.values())
        key = iso.replace("read_", "")
        report[key] = {"outputs": sum(outputs.values()), "dead": sum(dead.values()),
                       "extra": extra,
                       "missing": inputs - sum(outputs.values()) - sum(dead.values()) + extra,
                       "duplicate_examples": sorted(c for c, n in outputs.items() if n > want[c])[:3]}
    report["aborted_seen"] = (report["uncommitted"]["outputs"] + report["uncommitted"]["dead"]
                              - report["committed"]["outputs"] - report["committed"]["dead"])
    print(json.dumps(report, sort_keys=True))
    sys.exit(0 if report["committed"]["extra"] == 0 and report["committed"]["missing"] == 0 else 1)


if __name__ == "__main__":
    main()
