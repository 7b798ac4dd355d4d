"""The contract's records in Avro single-object encoding, written and read without vaksin's C code.

python3-avro (Debian) encodes and decodes the datum; the 10-byte header is C3 01 and the schema's
CRC-64-AVRO fingerprint (little-endian) as tests/vectors/avro/canonical.json gives it — computed
there from the Avro specification, not by vaksin. The test clients use this to talk to vaksin as
an upstream system or an auditor would, with a Kafka client that shares no code with it.
"""

import io
import json
import os
import struct

import avro.io
import avro.schema

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MAGIC = b"\xc3\x01"


def _schema_file(topic):
    name = topic[len("vaksin."):] if topic.startswith("vaksin.") else topic
    if name.endswith(".retry"):
        name = name[: -len(".retry")]
    return name + ".avsc"


def _load():
    fps = {}
    with open(os.path.join(ROOT, "tests", "vectors", "avro", "canonical.json")) as f:
        for entry in json.load(f)["contract"]:
            fps[entry["file"]] = struct.pack("<Q", int(entry["fingerprint"], 16))
    return fps


_FINGERPRINTS = _load()
_SCHEMAS = {}


def schema(topic):
    """The parsed schema and its 8-byte fingerprint for a topic of the contract."""
    fname = _schema_file(topic)
    if fname not in _SCHEMAS:
        with open(os.path.join(ROOT, "schemas", fname)) as f:
            _SCHEMAS[fname] = (avro.schema.parse(f.read()), _FINGERPRINTS[fname])
    return _SCHEMAS[fname]


def encode(topic, datum):
    """Single-object encoding of datum (a dict in python3-avro's form) for topic."""
    sch, fp = schema(topic)
    out = io.BytesIO()
    out.write(MAGIC + fp)
    avro.io.DatumWriter(sch).write(datum, avro.io.BinaryEncoder(out))
    return out.getvalue()


def decode(topic, value):
    """The datum of a single-object encoded value of topic; ValueError if it is not one."""
    sch, fp = schema(topic)
    if value is None or len(value) < 10 or value[:2] != MAGIC:
        raise ValueError("not Avro single-object encoding")
    if value[2:10] != fp:
        raise ValueError("fingerprint %s is not %s's" % (value[2:10].hex(), _schema_file(topic)))
    return avro.io.DatumReader(sch).read(avro.io.BinaryDecoder(io.BytesIO(value[10:])))
