#!/usr/bin/env python3
"""Reads a topic of the contract to its end with Confluent's Python client (its own librdkafka,
not vaksin's), as a consumer of the given isolation level sees it.

    read_topic.py BOOTSTRAP TOPIC read_committed|read_uncommitted

prints one JSON line per record: partition, offset, and the decoded record's event_id,
causation_id (target events) and nik, or "undecodable". As a module: read(...) returns the
records. The end is the one the broker gives this isolation level when the read starts (the
high watermark, or the last stable offset for read_committed).
"""

import json
import os
import sys
import time

from confluent_kafka import Consumer, KafkaError, TopicPartition

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vk_avro  # noqa: E402


def read(bootstrap, topic, isolation, timeout=120.0):
    """[(partition, offset, datum or None)] of topic up to its end for isolation."""
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": "vaksin-test-reader",
                  "enable.auto.commit": False, "isolation.level": isolation,
                  "enable.partition.eof": True})
    try:
        md = c.list_topics(topic, timeout=30)
        ends = {}
        for p in sorted(md.topics[topic].partitions):
            lo, hi = c.get_watermark_offsets(TopicPartition(topic, p), timeout=30)
            if hi > lo:
                ends[p] = (lo, hi)
        c.assign([TopicPartition(topic, p, lo) for p, (lo, _) in ends.items()])
        left, records = set(ends), []
        deadline = time.monotonic() + timeout
        while left and time.monotonic() < deadline:
            m = c.poll(0.5)
            if m is None:
                continue
            p = m.partition()
            if m.error():
                if m.error().code() == KafkaError._PARTITION_EOF:
                    left.discard(p)
                    continue
                raise RuntimeError("%s [%d]: %s" % (topic, p, m.error()))
            if p not in ends or m.offset() >= ends[p][1]:
                left.discard(p)
                continue
            try:
                datum = vk_avro.decode(topic, m.value())
            except ValueError:
                datum = None
            records.append((p, m.offset(), datum))
        if left:
            raise RuntimeError("%s: partitions %s not read to their end in %s s"
                               % (topic, sorted(left), timeout))
        return records
    finally:
        c.close()


def main():
    if len(sys.argv) != 4 or sys.argv[3] not in ("read_committed", "read_uncommitted"):
        sys.exit(__doc__)
    for p, off, d in read(sys.argv[1], sys.argv[2], sys.argv[3]):
        if d is None:
            print(json.dumps({"partition": p, "offset": off, "undecodable": True}))
        else:
            print(json.dumps({"partition": p, "offset": off, "event_id": d.get("event_id"),
                              "causation_id": d.get("causation_id"), "nik": d.get("nik")}))


if __name__ == "__main__":
    main()
