#!/usr/bin/env python3
"""The peer's input: the rows the import put in `target`, as Kafka Connect records.

    connect_records.py BOOTSTRAP TOPIC COPY_FILE PARTITIONS

Creates TOPIC with PARTITIONS partitions (as many as the product's topics), reads COPY_FILE (`\\copy target TO …`, PostgreSQL's text format) and publishes one record per
row to TOPIC, keyed by NIK, its value JSON with schema (what Connect's JsonConverter reads with
schemas.enable=true): the same columns as `target`, dates and times as Connect's Date and
Timestamp logical types, flags as an array of strings. Prints the number of records. Confluent's
Python client (its own librdkafka); not measured — the benchmark times the sink, not this.
"""

import datetime
import json
import sys

from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient, NewTopic

EPOCH = datetime.date(1970, 1, 1)


def field(name, type_, optional=False, logical=None, items=None):
    f = {"field": name, "type": type_, "optional": optional}
    if logical:
        f["name"] = logical
        f["version"] = 1
    if items:
        f["items"] = items
    return f


DATE = "org.apache.kafka.connect.data.Date"
TIMESTAMP = "org.apache.kafka.connect.data.Timestamp"
SCHEMA = {
    "type": "struct", "name": "target", "optional": False,
    "fields": [
        field("nik", "string"), field("ticket", "string"), field("name", "string"),
        field("birth_date", "int32", logical=DATE), field("sex", "string", True),
        field("phone", "string", True), field("category", "string", True),
        field("facility_code", "string", True), field("scheduled_date", "int32", True, DATE),
        field("origin", "string"),
        field("flags", "array", items={"type": "string", "optional": False}),
        field("created_event_id", "string"), field("updated_event_id", "string"),
        field("created_at", "int64", logical=TIMESTAMP),
        field("updated_at", "int64", logical=TIMESTAMP),
    ],
}
COLUMNS = [f["field"] for f in SCHEMA["fields"]]
SCHEMA_JSON = json.dumps(SCHEMA, separators=(",", ":"))


def unescape(text):
    """A COPY text field: \\N is NULL, backslash escapes otherwise."""
    if text == "\\N":
        return None
    if "\\" not in text:
        return text
    out, i = [], 0
    while i < len(text):
        c = text[i]
        if c == "\\" and i + 1 < len(text):
            n = text[i + 1]
            out.append({"t": "\t", "n": "\n", "r": "\r", "\\": "\\"}.get(n, n))
            i += 2
        else:
            out.append(c)
            i += 1
    return "".join(out)


def days(text):
    return None if text is None else (datetime.date.fromisoformat(text) - EPOCH).days


def millis(text):
    t = text.replace(" ", "T")
    if t.endswith("+00"):
        t += ":00"
    return int(datetime.datetime.fromisoformat(t).timestamp() * 1000)


def flags(text):
    inner = text[1:-1]
    return [x.strip('"') for x in inner.split(",")] if inner else []


def record(line):
    v = [unescape(x) for x in line.rstrip("\n").split("\t")]
    row = dict(zip(COLUMNS, v))
    row["birth_date"] = days(row["birth_date"])
    row["scheduled_date"] = days(row["scheduled_date"])
    row["flags"] = flags(row["flags"])
    row["created_at"] = millis(row["created_at"])
    row["updated_at"] = millis(row["updated_at"])
    return row["nik"], '{"schema":%s,"payload":%s}' % (SCHEMA_JSON, json.dumps(row, separators=(",", ":")))


def main():
    bootstrap, topic, path, partitions = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    admin = AdminClient({"bootstrap.servers": bootstrap})
    for f in admin.create_topics([NewTopic(topic, partitions, 1)]).values():
        f.result(60)
    p = Producer({"bootstrap.servers": bootstrap, "partitioner": "murmur2_random",
                  "linger.ms": 50, "batch.num.messages": 10000, "compression.type": "lz4",
                  "queue.buffering.max.messages": 500000})
    failed = []

    def on_delivery(err, msg):
        if err:
            failed.append(str(err))

    n = 0
    with open(path) as f:
        for line in f:
            key, value = record(line)
            while True:
                try:
                    p.produce(topic, key=key.encode(), value=value.encode(), on_delivery=on_delivery)
                    break
                except BufferError:
                    p.poll(0.1)
            n += 1
            if n % 10000 == 0:
                p.poll(0)
    if p.flush(120) != 0 or failed:
        raise SystemExit("delivery failed: %s" % (failed[:3] or "unconfirmed after 120 s"))
    print(n)


if __name__ == "__main__":
    main()
