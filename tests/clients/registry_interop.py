#!/usr/bin/env python3
"""An upstream and a downstream system that integrate through a schema registry, with Confluent's
Python client (SchemaRegistryClient, AvroSerializer, AvroDeserializer; its own librdkafka and
fastavro, nothing of vaksin's code).

    registry_interop.py produce BOOTSTRAP REGISTRY --version V --first N --count K
        Registers TicketRequested version V under vaksin.ticket.requests-value (the serializer's
        auto-registration, TopicNameStrategy) and publishes K requests, serials N.. . Prints one
        JSON line: {"id": the schema id in the frames, "niks": [...]}. K = 0: only registers.
        V: v1 (schemas/ticket.requests.avsc), v2 (v1 + an optional "channel", default null),
        v2b (v2 + an optional "kiosk"), v2c (v1 without "phone" and "category", which have
        defaults), bad (v1 + "priority", an int without default: not
        BACKWARD compatible). With "bad" it expects the registry's refusal: prints the error the
        producer gets and exits 0 when it is HTTP 409, 1 when the schema was accepted.
    registry_interop.py produce-framed BOOTSTRAP --id ID --version V --first N --count K
        Publishes K requests framed 00 + ID, encoded with version V's schema, without asking the
        registry (as a producer that cached the id does): for when the registry is down.
    registry_interop.py raw BOOTSTRAP --id ID --nik NIK
        Publishes one v1 request framed with ID whatever ID names (an unknown id, or the id of
        another record's schema).
    registry_interop.py register-target-v2 REGISTRY
        Registers TargetEvent v2 (an optional "note" added) under vaksin.target.events-value;
        prints {"id": N}.
    registry_interop.py produce-target BOOTSTRAP --id ID --template FILE --nik NIK
        Publishes onto vaksin.target.events a TicketIssued like the first line of FILE (the
        output of consume) for NIK, framed with ID and encoded with TargetEvent v2, without
        asking the registry: a newer peer's event, for when the registry is down.
    registry_interop.py consume BOOTSTRAP REGISTRY --topic T --expect N
        Reads T from the beginning until N messages came (60 s at most) with an AvroDeserializer,
        checks each is Confluent-framed, and prints one JSON line per message: {"id", "key",
        "value"} with the value as the deserializer gave it (dates and times as text).
"""

import argparse
import copy
import datetime
import hashlib
import io
import json
import os
import struct
import sys
import time
import uuid

import fastavro
from confluent_kafka import Consumer, Producer
from confluent_kafka.schema_registry import Schema, SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.schema_registry.error import SchemaRegistryError
from confluent_kafka.serialization import MessageField, SerializationContext

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from txn_produce import letters  # noqa: E402  (names without digits, as the name rules want)

TOPIC = "vaksin.ticket.requests"
HERE = os.path.dirname(os.path.abspath(__file__))
SCHEMAS = os.path.join(HERE, "..", "..", "schemas")


def schema_text(version):
    """TicketRequested as version @version (see the module text) in JSON."""
    with open(os.path.join(SCHEMAS, "ticket.requests.avsc")) as f:
        doc = json.load(f)
    fields = doc["fields"]
    if version in ("v2", "v2b"):
        fields.append({"name": "channel", "type": ["null", "string"], "default": None})
    if version == "v2b":
        fields.append({"name": "kiosk", "type": ["null", "string"], "default": None})
    if version == "bad":
        fields.append({"name": "priority", "type": "int"})
    if version == "v2c":
        doc["fields"] = [f for f in fields if f["name"] not in ("phone", "category")]
    if version not in ("v1", "v2", "v2b", "v2c", "bad"):
        raise SystemExit("unknown version " + version)
    return json.dumps(doc)


def target_v2_text():
    """TargetEvent with an optional "note" added: a newer vaksin, as far as the projector knows."""
    with open(os.path.join(SCHEMAS, "target.events.avsc")) as f:
        doc = json.load(f)
    doc["fields"].append({"name": "note", "type": ["null", "string"], "default": None})
    return json.dumps(doc)


def request(serial, version):
    """A valid TicketRequested for a woman born in 1985 in Kota Bandung (3273)."""
    born = datetime.date(1985, 1, 1) + datetime.timedelta(days=serial % 365)
    nik = "327301%02d%02d%02d%04d" % (born.day + 40, born.month, born.year % 100, serial % 9999 + 1)
    datum = {
        "event_id": str(uuid.uuid4()),
        "occurred_at": datetime.datetime.now(datetime.timezone.utc),
        "source": "registry-interop", "actor": None, "nik": nik,
        "name": "REGISTRY " + letters(serial), "birth_date": born, "sex": "P", "phone": None,
        "category": None, "facility_code": None, "scheduled_date": None, "origin": "OTHER"}
    if version in ("v2", "v2b"):
        datum["channel"] = "kiosk-%d" % serial
    if version == "v2b":
        datum["kiosk"] = "K%d" % serial
    if version == "bad":
        datum["priority"] = 1
    if version == "v2c":
        del datum["phone"], datum["category"]
    return nik, datum


def producer(bootstrap):
    return Producer({"bootstrap.servers": bootstrap, "partitioner": "murmur2_random",
                     "enable.idempotence": True, "linger.ms": 5})


def deliver(p, items):
    """Produces (key, value) pairs and waits for every delivery report."""
    failed = []

    def on_delivery(err, msg):
        if err:
            failed.append(str(err))

    for key, value in items:
        p.produce(TOPIC, key=key.encode(), value=value, on_delivery=on_delivery)
    if p.flush(30) != 0 or failed:
        raise SystemExit("delivery failed: %s" % (failed or "unconfirmed after 30 s"))


def frame(schema_id, parsed, datum):
    out = io.BytesIO()
    out.write(struct.pack(">bI", 0, schema_id))
    fastavro.schemaless_writer(out, parsed, datum)
    return out.getvalue()


def cmd_produce(a):
    registry = SchemaRegistryClient({"url": a.registry})
    ser = AvroSerializer(registry, schema_text(a.version),
                         conf={"auto.register.schemas": True})
    ctx = SerializationContext(TOPIC, MessageField.VALUE)
    if a.count == 0:  # only register
        sid = registry.register_schema(TOPIC + "-value", Schema(schema_text(a.version), "AVRO"))
        print(json.dumps({"id": sid, "niks": []}))
        return 0
    items, niks = [], []
    try:
        for serial in range(a.first, a.first + a.count):
            nik, datum = request(serial, a.version)
            items.append((nik, ser(datum, ctx)))
            niks.append(nik)
    except SchemaRegistryError as e:
        print(json.dumps({"refused": True, "http_status": e.http_status_code,
                          "error_code": e.error_code, "message": e.error_message}))
        return 0 if a.version == "bad" and e.http_status_code == 409 else 1
    if a.version == "bad":
        print("the registry accepted a schema that is not BACKWARD compatible", file=sys.stderr)
        return 1
    deliver(producer(a.bootstrap), items)
    schema_id = struct.unpack(">I", items[0][1][1:5])[0]
    print(json.dumps({"id": schema_id, "niks": niks}))
    return 0


def cmd_produce_framed(a):
    parsed = fastavro.parse_schema(json.loads(schema_text(a.version)))
    items, niks = [], []
    for serial in range(a.first, a.first + a.count):
        nik, datum = request(serial, a.version)
        items.append((nik, frame(a.id, parsed, datum)))
        niks.append(nik)
    deliver(producer(a.bootstrap), items)
    print(json.dumps({"id": a.id, "niks": niks}))
    return 0


def cmd_register_target_v2(a):
    registry = SchemaRegistryClient({"url": a.registry})
    sid = registry.register_schema("vaksin.target.events-value", Schema(target_v2_text(), "AVRO"))
    print(json.dumps({"id": sid}))
    return 0


CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CHECK = CROCKFORD + "*~$=U"


def ticket_for(nik):
    """A ticket number of the contract's form (16 Crockford base32 symbols and the mod-37 check
    symbol), made from the NIK: another target's ticket would be refused as a collision."""
    digest = int.from_bytes(hashlib.sha256(nik.encode()).digest()[:10], "big")
    body = "".join(CROCKFORD[(digest >> (5 * (15 - i))) & 31] for i in range(16))
    return body + CHECK[digest % 37]


def cmd_produce_target(a):
    """A TicketIssued like the template (a line of `consume`), for another NIK, framed with ID
    and encoded with TargetEvent v2, straight onto vaksin.target.events."""
    with open(a.template) as f:
        value = json.loads(f.readline())["value"]
    payload = dict(value["payload"])
    payload["birth_date"] = datetime.date.fromisoformat(payload["birth_date"])
    if payload.get("scheduled_date"):
        payload["scheduled_date"] = datetime.date.fromisoformat(payload["scheduled_date"])
    payload["name"] = "NEWER PEER TARGET"
    payload["ticket"] = ticket_for(a.nik)
    event = dict(value, event_id=str(uuid.uuid4()), nik=a.nik, note="written by a newer peer",
                 occurred_at=datetime.datetime.now(datetime.timezone.utc),
                 causation_id=str(uuid.uuid4()), payload=("vaksin.v1.TicketIssued", payload))
    parsed = fastavro.parse_schema(json.loads(target_v2_text()))
    p = producer(a.bootstrap)
    p.produce("vaksin.target.events", key=a.nik.encode(), value=frame(a.id, parsed, event))
    if p.flush(30) != 0:
        raise SystemExit("unconfirmed after 30 s")
    return 0


def cmd_raw(a):
    parsed = fastavro.parse_schema(json.loads(schema_text("v1")))
    _, datum = request(1, "v1")
    datum["nik"] = a.nik
    deliver(producer(a.bootstrap), [(a.nik, frame(a.id, parsed, datum))])
    return 0


def plain(value):
    """The deserializer's value as JSON: dates and times as ISO text."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.hex()
    return copy.copy(value)


def cmd_consume(a):
    registry = SchemaRegistryClient({"url": a.registry})
    deser = AvroDeserializer(registry)
    c = Consumer({"bootstrap.servers": a.bootstrap, "group.id": "registry-interop-" + str(uuid.uuid4()),
                  "auto.offset.reset": "earliest", "enable.auto.commit": False,
                  "isolation.level": "read_committed"})
    c.subscribe([a.topic])
    seen, deadline = 0, time.time() + 60
    try:
        while seen < a.expect and time.time() < deadline:
            m = c.poll(1.0)
            if m is None or m.error():
                continue
            raw = m.value()
            if raw[:1] != b"\x00" or len(raw) < 5:
                raise SystemExit("offset %d: not Confluent-framed: %s" % (m.offset(), raw[:5].hex()))
            value = deser(raw, SerializationContext(a.topic, MessageField.VALUE))
            print(json.dumps({"id": struct.unpack(">I", raw[1:5])[0],
                              "key": m.key().decode(), "value": plain(value)}))
            seen += 1
    finally:
        c.close()
    if seen < a.expect:
        raise SystemExit("%d of %d messages in 60 s" % (seen, a.expect))
    return 0


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("produce")
    p.add_argument("bootstrap")
    p.add_argument("registry")
    p.add_argument("--version", required=True)
    p.add_argument("--first", type=int, default=1)
    p.add_argument("--count", type=int, default=1)
    p = sub.add_parser("produce-framed")
    p.add_argument("bootstrap")
    p.add_argument("--id", type=int, required=True)
    p.add_argument("--version", required=True)
    p.add_argument("--first", type=int, default=1)
    p.add_argument("--count", type=int, default=1)
    p = sub.add_parser("raw")
    p.add_argument("bootstrap")
    p.add_argument("--id", type=int, required=True)
    p.add_argument("--nik", required=True)
    p = sub.add_parser("register-target-v2")
    p.add_argument("registry")
    p = sub.add_parser("produce-target")
    p.add_argument("bootstrap")
    p.add_argument("--id", type=int, required=True)
    p.add_argument("--template", required=True)
    p.add_argument("--nik", required=True)
    p = sub.add_parser("consume")
    p.add_argument("bootstrap")
    p.add_argument("registry")
    p.add_argument("--topic", required=True)
    p.add_argument("--expect", type=int, required=True)
    a = ap.parse_args()
    return {"produce": cmd_produce, "produce-framed": cmd_produce_framed, "raw": cmd_raw,
            "register-target-v2": cmd_register_target_v2, "produce-target": cmd_produce_target,
            "consume": cmd_consume}[a.cmd](a)


if __name__ == "__main__":
    sys.exit(main())
