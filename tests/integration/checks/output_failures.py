#!/usr/bin/env python3
"""The Kafka side of tests/integration/output_failures.sh, with Confluent's Python client (its own
librdkafka) and tests/clients/vk_avro.py: nothing here shares code with vaksin.

    output_failures.py oversized BOOTSTRAP OUT_DIR
        produces to vaksin.ticket.requests one TicketRequested of 999,800-999,900 bytes whose
        name is 999,7xx "!" (vaksin-ticket refuses it: INVALID_NAME), then one valid request;
        the producer's message.max.bytes is raised to 2,000,000 so that the client accepts it
        (the broker takes up to 1,048,588). Writes OUT_DIR/oversized.bin (the exact value
        bytes) and prints one JSON line: {"oversized": {nik, partition, offset, length},
        "valid": {nik, partition, offset}}
    output_failures.py refused BOOTSTRAP
        produces one request with a 12-digit NIK (INVALID_NIK); prints {nik, partition, offset}
    output_failures.py delete-topic BOOTSTRAP TOPIC
        deletes TOPIC (AdminClient.delete_topics) and waits until the metadata no longer
        names it; prints the seconds that took
    output_failures.py letter DEAD_JSONL PARTITION OFFSET [ORIGINAL PREFIX]
        what vaksin-dump printed of vaksin.dead-letters, as "name value" lines for the shell
        (values without spaces unless last): letters (all lines), matching (letters of
        vaksin.ticket.requests PARTITION/OFFSET), then of the matching one: code, service, key,
        value_len; with ORIGINAL (the file of the refused value) and PREFIX (the bytes the
        letter is expected to keep): value_is_prefix (yes: the letter's value is exactly the
        first PREFIX bytes of ORIGINAL), error_names_length (yes: the error says "first PREFIX
        of LEN bytes"), error_names_sha256 (yes: it holds the lowercase hex SHA-256 of the whole
        ORIGINAL); last the error text itself (error ...).

Records are keyed by NIK, partitioned with the contract's murmur2_random partitioner. Exit status
1 (a message) when the broker refuses or a delivery fails.
"""

import base64
import datetime
import hashlib
import json
import os
import sys
import time
import uuid

from confluent_kafka import KafkaException, Producer
from confluent_kafka.admin import AdminClient

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))), "clients"))
import vk_avro  # noqa: E402

TOPIC = "vaksin.ticket.requests"


def request(nik, name, born):
    return {"event_id": str(uuid.uuid4()),
            "occurred_at": datetime.datetime.now(datetime.timezone.utc),
            "source": "output-failures-test", "actor": None, "nik": nik, "name": name,
            "birth_date": born, "sex": "L", "phone": None, "category": None,
            "facility_code": None, "scheduled_date": None, "origin": "OTHER"}


def send(bootstrap, records):
    """Produces (nik, value) pairs one after the other; returns [(partition, offset)]."""
    p = Producer({"bootstrap.servers": bootstrap, "partitioner": "murmur2_random",
                  "message.max.bytes": 2000000, "acks": "all", "enable.idempotence": True})
    where = []
    for nik, value in records:
        got = []

        def on_delivery(err, msg):
            if err:
                sys.exit("delivery of %d bytes failed: %s" % (len(value), err))
            got.append((msg.partition(), msg.offset()))

        p.produce(TOPIC, key=nik.encode(), value=value, on_delivery=on_delivery)
        if p.flush(30) != 0 or not got:
            sys.exit("a record still unconfirmed after 30 s")
        where.append(got[0])
    return where


def oversized(bootstrap, out_dir):
    born = datetime.date(1980, 1, 15)
    big_nik, ok_nik = "3273011501800001", "3273011501800002"
    # The value: about 100 bytes of other fields plus the name; aim at the middle of the range.
    n = 999700
    value = vk_avro.encode(TOPIC, request(big_nik, "!" * n, born))
    n += 999850 - len(value)
    value = vk_avro.encode(TOPIC, request(big_nik, "!" * n, born))
    if not 999800 <= len(value) <= 999900:
        sys.exit("the oversized value is %d bytes, not 999,800-999,900" % len(value))
    with open(os.path.join(out_dir, "oversized.bin"), "wb") as f:
        f.write(value)
    valid = vk_avro.encode(TOPIC, request(ok_nik, "Siti Aminah", born))
    (bp, bo), (vp, vo) = send(bootstrap, [(big_nik, value), (ok_nik, valid)])
    print(json.dumps({"oversized": {"nik": big_nik, "partition": bp, "offset": bo,
                                    "length": len(value)},
                      "valid": {"nik": ok_nik, "partition": vp, "offset": vo}}))


def refused(bootstrap):
    nik = "327301150180"  # 12 digits: INVALID_NIK
    value = vk_avro.encode(TOPIC, request(nik, "Budi Santoso", datetime.date(1980, 1, 15)))
    ((p, o),) = send(bootstrap, [(nik, value)])
    print(json.dumps({"nik": nik, "partition": p, "offset": o}))


def delete_topic(bootstrap, topic):
    t0 = time.monotonic()
    admin = AdminClient({"bootstrap.servers": bootstrap})
    try:
        admin.delete_topics([topic], operation_timeout=30)[topic].result(60)
    except KafkaException as e:
        sys.exit("cannot delete %s: %s" % (topic, e))
    while topic in admin.list_topics(timeout=10).topics:
        if time.monotonic() - t0 > 60:
            sys.exit("%s still in the metadata 60 s after its deletion" % topic)
        time.sleep(0.2)
    print("%.1f" % (time.monotonic() - t0))


def letter(path, partition, offset, original=None, prefix=None):
    letters, matching = [], []
    with open(path) as f:
        for line in f:
            m = json.loads(line)
            letters.append(m)
            v = m.get("value") or {}
            if (v.get("topic") == TOPIC and v.get("partition") == partition
                    and v.get("offset") == offset):
                matching.append(v)
    print("letters", len(letters))
    print("matching", len(matching))
    if len(matching) != 1:
        return
    v = matching[0]
    data = base64.b64decode(v["value"]) if v.get("value") is not None else b""
    key = base64.b64decode(v["key"]).decode("utf-8", "replace") if v.get("key") else "-"
    print("code", v["error_code"])
    print("service", v["service"])
    print("key", key)
    print("value_len", len(data))
    if original is not None:
        with open(original, "rb") as f:
            whole = f.read()
        yes = {True: "yes", False: "no"}
        print("value_is_prefix", yes[data == whole[:prefix]])
        print("error_names_length", yes["first %d of %d bytes" % (prefix, len(whole)) in v["error"]])
        print("error_names_sha256", yes[hashlib.sha256(whole).hexdigest() in v["error"]])
    print("error", " ".join(v["error"].split()))


def main():
    a = sys.argv[1:]
    if len(a) == 3 and a[0] == "oversized":
        oversized(a[1], a[2])
    elif len(a) == 2 and a[0] == "refused":
        refused(a[1])
    elif len(a) == 3 and a[0] == "delete-topic":
        delete_topic(a[1], a[2])
    elif len(a) == 4 and a[0] == "letter":
        letter(a[1], int(a[2]), int(a[3]))
    elif len(a) == 6 and a[0] == "letter":
        letter(a[1], int(a[2]), int(a[3]), a[4], int(a[5]))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
