#!/usr/bin/env python3
"""An upstream system that publishes ticket requests inside Kafka transactions, with Confluent's
Python client (its own librdkafka): one transaction it aborts, interleaved with one it commits.

    txn_produce.py BOOTSTRAP OUT_DIR [--aborted N] [--committed N] [--hold SECONDS]

1. transaction A (transactional.id vaksin-test-upstream-a) produces N valid requests and flushes
   them: they are in the log, uncommitted;
2. transaction B (vaksin-test-upstream-b) produces N other valid requests and commits;
3. A stays open for --hold seconds (the last stable offset of every partition A wrote to stays
   at A's first record, so B's requests there cannot be read yet), then A aborts.
Writes OUT_DIR/aborted.niks and OUT_DIR/committed.niks (one NIK a line), prints a JSON line with
the partitions each transaction wrote to, and touches OUT_DIR/holding while A is open.
Records are single-object Avro encoded by tests/clients/vk_avro.py, keyed by NIK with the
contract's murmur2_random partitioner.
"""

import argparse
import datetime
import json
import os
import sys
import time
import uuid

from confluent_kafka import Producer

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vk_avro  # noqa: E402

TOPIC = "vaksin.ticket.requests"


def letters(n):
    """A name part for n (names may not contain digits): 1 -> B, 26 -> BA, ..."""
    out = ""
    while True:
        out = chr(ord("A") + n % 26) + out
        n //= 26
        if n == 0:
            return out


def request(serial):
    """A valid TicketRequested for a man born in 1980 in Kota Bandung (3273)."""
    born = datetime.date(1980, 1, 1) + datetime.timedelta(days=serial % 365)
    nik = "327301%02d%02d%02d%04d" % (born.day, born.month, born.year % 100, serial % 9999 + 1)
    return nik, {
        "event_id": str(uuid.uuid4()),
        "occurred_at": datetime.datetime.now(datetime.timezone.utc),
        "source": "upstream-txn-test", "actor": None, "nik": nik,
        "name": "UPSTREAM " + letters(serial), "birth_date": born, "sex": "L", "phone": None,
        "category": None, "facility_code": None, "scheduled_date": None, "origin": "OTHER"}


def producer(bootstrap, txn_id):
    p = Producer({"bootstrap.servers": bootstrap, "transactional.id": txn_id,
                  "partitioner": "murmur2_random", "linger.ms": 5})
    p.init_transactions(30)
    return p


def produce(p, serials, parts):
    niks = []

    def on_delivery(err, msg):
        if err:
            raise RuntimeError("delivery failed: %s" % err)
        parts.add(msg.partition())

    for s in serials:
        nik, datum = request(s)
        p.produce(TOPIC, key=nik.encode(), value=vk_avro.encode(TOPIC, datum),
                  on_delivery=on_delivery)
        niks.append(nik)
    if p.flush(30) != 0:
        raise RuntimeError("records still unconfirmed after 30 s")
    return niks


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("bootstrap")
    ap.add_argument("out")
    ap.add_argument("--aborted", type=int, default=300)
    ap.add_argument("--committed", type=int, default=300)
    ap.add_argument("--hold", type=float, default=5)
    args = ap.parse_args()

    a, b = producer(args.bootstrap, "vaksin-test-upstream-a"), producer(args.bootstrap, "vaksin-test-upstream-b")
    parts_a, parts_b = set(), set()
    a.begin_transaction()
    aborted = produce(a, range(1, args.aborted + 1), parts_a)
    b.begin_transaction()
    committed = produce(b, range(5000, 5000 + args.committed), parts_b)
    b.commit_transaction(30)
    with open(os.path.join(args.out, "holding"), "w"):
        pass
    time.sleep(args.hold)
    a.abort_transaction(30)
    os.unlink(os.path.join(args.out, "holding"))
    for name, niks in (("aborted", aborted), ("committed", committed)):
        with open(os.path.join(args.out, name + ".niks"), "w") as f:
            f.write("".join(n + "\n" for n in niks))
    print(json.dumps({"aborted_partitions": sorted(parts_a), "committed_partitions": sorted(parts_b)}))


if __name__ == "__main__":
    main()
