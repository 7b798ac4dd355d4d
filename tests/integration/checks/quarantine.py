#!/usr/bin/env python3
"""The Kafka side of tests/integration/projector_quarantine.sh, with Confluent's Python client
and tests/clients/vk_avro.py (python3-avro): TargetEvents written as a buggy upstream version
would write them, straight onto vaksin.target.events, with no vaksin code involved.

    quarantine.py publish BOOTSTRAP FIRST COUNT POISON...
        produces COUNT TicketIssued events for the NIKs 32730115018NNNNN (from FIRST), one
        after the other, each keyed by its NIK (murmur2_random, the contract's partitioner).
        Those whose index (0-based) is listed in POISON are broken the way a buggy writer
        breaks them: valid Avro, but a text PostgreSQL refuses — a name with the bytes FF FE
        (not UTF-8) for even indexes, a source with C0 80 (an overlong NUL) for odd ones. Prints
        one JSON line per event: {nik, partition, offset, poison, sha256 (of the value)}.

Exit status 1 (a message) when a delivery fails.
"""

import datetime
import hashlib
import json
import os
import sys
import uuid

from confluent_kafka import Producer

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))), "clients"))
import vk_avro  # noqa: E402

TOPIC = "vaksin.target.events"
NAME_MARK = "QUARANTINEQUARANTINE"
SOURCE_MARK = "upstream-v0.9-SOURCEMARK"


def ticket_issued(nik, n):
    return {"event_id": str(uuid.uuid4()),
            "occurred_at": datetime.datetime.now(datetime.timezone.utc),
            "source": SOURCE_MARK, "actor": None, "nik": nik, "causation_id": str(uuid.uuid4()),
            "payload": {"ticket": "Q%09d" % n, "name": NAME_MARK,
                        "birth_date": datetime.date(1980, 1, 15), "sex": "L", "phone": None,
                        "category": None, "facility_code": None, "scheduled_date": None,
                        "origin": "OTHER", "flags": []}}


def publish(bootstrap, first, count, poison):
    """Produces them all, then waits: they reach the projector together, in one batch."""
    p = Producer({"bootstrap.servers": bootstrap, "partitioner": "murmur2_random",
                  "acks": "all", "enable.idempotence": True, "linger.ms": 50})
    sent = []
    for i in range(count):
        nik = "32730115018%05d" % (first + i)
        value = vk_avro.encode(TOPIC, ticket_issued(nik, first + i))
        bad = i in poison
        if bad and i % 2 == 0:  # same length: the Avro string's length prefix stays right
            value = value.replace(NAME_MARK.encode(), b"QUARANTINE\xff\xfeUARANTIN")
        elif bad:
            value = value.replace(SOURCE_MARK.encode(), b"upstream-v0.9-SOURCE\xc0\x80RK")
        entry = {"nik": nik, "poison": bad, "sha256": hashlib.sha256(value).hexdigest()}

        def on_delivery(err, msg, entry=entry):
            if err:
                sys.exit("delivery failed: %s" % err)
            entry["partition"], entry["offset"] = msg.partition(), msg.offset()

        p.produce(TOPIC, key=nik.encode(), value=value, on_delivery=on_delivery)
        sent.append(entry)
    if p.flush(30) != 0 or any("offset" not in e for e in sent):
        sys.exit("records still unconfirmed after 30 s")
    for e in sent:
        print(json.dumps(e))


if __name__ == "__main__":
    if len(sys.argv) >= 5 and sys.argv[1] == "publish":
        publish(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), {int(x) for x in sys.argv[5:]})
    else:
        sys.exit(__doc__)
