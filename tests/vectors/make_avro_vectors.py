#!/usr/bin/python3
"""Regenerates the Avro test vectors under tests/vectors/avro/.

Run it with Debian's interpreter, which has python3-avro 1.11:

    /usr/bin/python3 tests/vectors/make_avro_vectors.py

It writes two files that the C unit tests read (so the tests never need Python):

  canonical.json  Parsing Canonical Forms and CRC-64-AVRO fingerprints of
                  - the Avro project's own examples (share/test/data/schema-tests.txt in
                    apache/avro, whose fingerprints the Java implementation checks),
                  - a few hand-checkable cases (logical types reduce to their base type, "size"
                    as a quoted integer, escapes in strings, namespace inheritance),
                  - every contract schema in schemas/*.avsc and every named record inside them.
  datums.json     sample records of the contract encoded by python3-avro's DatumWriter and
                  BinaryEncoder, framed here (single-object or Confluent), with the expected
                  values in the Avro specification's JSON encoding.

The canonical form and the CRC below are written from the specification text, independently of
the C code. python3-avro's own Schema.canonical_form is NOT used as the reference: version 1.11
keeps {"type":"long"} for a logical type where the specification (and Java) write "long". It is
only compared, as a sanity check, after that one known difference has been undone.
"""

import datetime
import io
import json
import os
import sys

import avro.io
import avro.schema

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
OUT = os.path.join(HERE, "avro")

# ---- CRC-64-AVRO (specification, "Schema Fingerprints") ----

EMPTY = 0xC15D213AA4D7A795


def _fp_table():
    table = []
    for i in range(256):
        fp = i
        for _ in range(8):
            fp = (fp >> 1) ^ (EMPTY if fp & 1 else 0)
        table.append(fp)
    return table


FP_TABLE = _fp_table()


def crc64(data):
    fp = EMPTY
    for byte in data:
        fp = (fp >> 8) ^ FP_TABLE[(fp ^ byte) & 0xFF]
    return fp


# ---- Parsing Canonical Form (specification, "Parsing Canonical Form for Schemas") ----

PRIMITIVES = {"null", "boolean", "int", "long", "float", "double", "bytes", "string"}
NAMED = {"record", "error", "enum", "fixed"}


def _namespace_of(fullname):
    return fullname.rpartition(".")[0] if fullname else ""


def _fullname(node, enclosing_ns):
    name = node["name"]
    if "." in name:
        return name
    ns = node["namespace"] if "namespace" in node else enclosing_ns
    return ns + "." + name if ns else name


class Canonicalizer:
    """FULLNAMES needs every definition first: a standalone nested type may refer to a type
    defined elsewhere in its document, which is then written in full at its first use."""

    def __init__(self, doc):
        self.defs = {}
        self.order = []
        self._collect(doc, "")

    def _collect(self, node, ns):
        if isinstance(node, list):
            for branch in node:
                self._collect(branch, ns)
        elif isinstance(node, dict):
            kind = node["type"]
            if kind == "array":
                self._collect(node["items"], ns)
            elif kind == "map":
                self._collect(node["values"], ns)
            elif kind in NAMED:
                full = _fullname(node, ns)
                if full in self.defs:
                    raise ValueError("%s defined twice" % full)
                self.defs[full] = node
                self.order.append(full)
                for field in node.get("fields", []):
                    self._collect(field["type"], _namespace_of(full))

    def _resolve(self, name, ns):
        if "." not in name and ns and (ns + "." + name) in self.defs:
            return ns + "." + name
        if name in self.defs:
            return name
        raise ValueError("unknown type %s" % name)

    def form(self, doc):
        self.seen = set()
        return self._form(doc, "")

    def form_named(self, full):
        self.seen = set()
        return self._named(full)

    def _form(self, node, ns):
        if isinstance(node, str):
            return _q(node) if node in PRIMITIVES else self._named(self._resolve(node, ns))
        if isinstance(node, list):
            return "[" + ",".join(self._form(b, ns) for b in node) + "]"
        kind = node["type"]
        if kind in PRIMITIVES:  # STRIP then PRIMITIVES: logicalType and the like vanish
            return _q(kind)
        if kind == "array":
            return '{"type":"array","items":%s}' % self._form(node["items"], ns)
        if kind == "map":
            return '{"type":"map","values":%s}' % self._form(node["values"], ns)
        if kind in NAMED:
            return self._named(_fullname(node, ns))
        return self._named(self._resolve(kind, ns))

    def _named(self, full):
        if full in self.seen:
            return _q(full)
        self.seen.add(full)
        node = self.defs[full]
        kind = node["type"]
        head = '{"name":%s,"type":%s' % (_q(full), _q(kind))
        if kind in ("record", "error"):
            ns = _namespace_of(full)
            fields = ",".join('{"name":%s,"type":%s}' % (_q(f["name"]), self._form(f["type"], ns))
                              for f in node["fields"])
            return head + ',"fields":[' + fields + "]}"
        if kind == "enum":
            return head + ',"symbols":[' + ",".join(_q(s) for s in node["symbols"]) + "]}"
        return head + ',"size":%d}' % int(node["size"])  # INTEGERS: int("016") == 16


def _q(text):
    # STRINGS: escapes are replaced by the characters themselves (UTF-8); only what JSON
    # requires is escaped. WHITESPACE: the separators above carry no spaces.
    return json.dumps(text, ensure_ascii=False)


def canonical_form(schema_text):
    doc = json.loads(schema_text)
    return Canonicalizer(doc).form(doc)


def fp_hex(canonical):
    return "%016x" % crc64(canonical.encode("utf-8"))


# ---- Reference vectors ----

# From apache/avro share/test/data/schema-tests.txt (input, canonical form, fingerprint as a
# signed 64-bit decimal as Java prints it; None where that file gives none).
AVRO_PROJECT_CASES = [
    ('"null"', '"null"', 7195948357588979594),
    ('{"type":"null"}', '"null"', None),
    ('"boolean"', '"boolean"', -6970731678124411036),
    ('{"type":"boolean"}', '"boolean"', None),
    ('"int"', '"int"', 8247732601305521295),
    ('{"type":"int"}', '"int"', None),
    ('"long"', '"long"', -3434872931120570953),
    ('{"type":"long"}', '"long"', None),
    ('"float"', '"float"', 5583340709985441680),
    ('{"type":"float"}', '"float"', None),
    ('"double"', '"double"', -8181574048448539266),
    ('{"type":"double"}', '"double"', None),
    ('"bytes"', '"bytes"', 5746618253357095269),
    ('{"type":"bytes"}', '"bytes"', None),
    ('"string"', '"string"', -8142146995180207161),
    ('{"type":"string"}', '"string"', None),
    ('[  ]', '[]', -1241056759729112623),
    ('[ "int"  ]', '["int"]', -5232228896498058493),
    ('[ "int" , {"type":"boolean"} ]', '["int","boolean"]', 5392556393470105090),
    ('{"fields":[], "type":"record", "name":"foo"}',
     '{"name":"foo","type":"record","fields":[]}', -4824392279771201922),
    ('{"fields":[], "type":"record", "name":"foo", "namespace":"x.y"}',
     '{"name":"x.y.foo","type":"record","fields":[]}', 5916914534497305771),
    ('{"fields":[], "type":"record", "name":"a.b.foo", "namespace":"x.y"}',
     '{"name":"a.b.foo","type":"record","fields":[]}', -4616218487480524110),
    ('{"fields":[], "type":"record", "name":"foo", "doc":"Useful info"}',
     '{"name":"foo","type":"record","fields":[]}', -4824392279771201922),
    ('{"fields":[], "type":"record", "name":"foo", "aliases":["foo","bar"]}',
     '{"name":"foo","type":"record","fields":[]}', -4824392279771201922),
    ('{"fields":[], "type":"record", "name":"foo", "doc":"foo", "aliases":["foo","bar"]}',
     '{"name":"foo","type":"record","fields":[]}', -4824392279771201922),
    ('{"fields":[{"type":{"type":"boolean"}, "name":"f1"}], "type":"record", "name":"foo"}',
     '{"name":"foo","type":"record","fields":[{"name":"f1","type":"boolean"}]}',
     7843277075252814651),
    ('{ "fields":[{"type":"boolean", "aliases":[], "name":"f1", "default":"true"},\n'
     '            {"order":"descending","name":"f2","doc":"Hello","type":"int"}],\n'
     '  "type":"record", "name":"foo"\n}',
     '{"name":"foo","type":"record","fields":[{"name":"f1","type":"boolean"},'
     '{"name":"f2","type":"int"}]}', -4860222112080293046),
    ('{"type":"enum", "name":"foo", "symbols":["A1"]}',
     '{"name":"foo","type":"enum","symbols":["A1"]}', -6342190197741309591),
    ('{"namespace":"x.y.z", "type":"enum", "name":"foo", "doc":"foo bar", "symbols":["A1", "A2"]}',
     '{"name":"x.y.z.foo","type":"enum","symbols":["A1","A2"]}', -4448647247586288245),
    ('{"name":"foo","type":"fixed","size":15}',
     '{"name":"foo","type":"fixed","size":15}', 1756455273707447556),
    ('{"namespace":"x.y.z", "type":"fixed", "name":"foo", "doc":"foo bar", "size":32}',
     '{"name":"x.y.z.foo","type":"fixed","size":32}', -3064184465700546786),
    ('{ "items":{"type":"null"}, "type":"array"}',
     '{"type":"array","items":"null"}', -589620603366471059),
    ('{ "values":"string", "type":"map"}',
     '{"type":"map","values":"string"}', -8732877298790414990),
    ('{"name":"PigValue","type":"record",\n'
     ' "fields":[{"name":"value", "type":["null", "int", "long", "PigValue"]}]}',
     '{"name":"PigValue","type":"record","fields":[{"name":"value",'
     '"type":["null","int","long","PigValue"]}]}', -1759257747318642341),
]

# Hand-checkable cases; "same_as" names an input whose fingerprint must be identical.
HAND_CASES = [
    ("null", '"null"', None),
    ("int", '"int"', None),
    ("long", '"long"', None),
    ("timestamp-millis", '{"type":"long","logicalType":"timestamp-millis"}', "long"),
    ("date", '{"type": "int", "logicalType": "date"}', "int"),
    ("nullable timestamp",
     '["null", {"type": "long", "logicalType": "timestamp-millis"}]', None),
    ("quoted size with a leading zero and a decimal logical type",
     '{"type": "fixed", "name": "Money", "namespace": "x", "size": "016",'
     ' "logicalType": "decimal", "precision": 20}', None),
    ("escapes in strings", '{"type":"enum","name":"\\u0045","symbols":["\\u0041B","caf\\u00e9"]}',
     None),
    ("namespace inheritance, a reset namespace and references",
     '{"type": "record", "name": "a.b.R", "namespace": "ignored", "fields": [\n'
     '  {"name": "e", "type": {"type": "enum", "name": "E", "symbols": ["X"]}},\n'
     '  {"name": "e2", "type": "E"},\n'
     '  {"name": "f", "type": {"type": "fixed", "name": "F", "namespace": "", "size": 2}},\n'
     '  {"name": "g", "type": ["null", "F", {"type": "a.b.E"}]},\n'
     '  {"name": "m", "type": {"type": "map", "values": {"type": "array", "items": "R"}}}]}',
     None),
]


def avro_project_vectors():
    out = []
    for text, canonical, signed_fp in AVRO_PROJECT_CASES:
        mine = canonical_form(text)
        assert mine == canonical, (text, mine, canonical)
        if signed_fp is not None:
            assert fp_hex(mine) == "%016x" % (signed_fp & 0xFFFFFFFFFFFFFFFF), text
        out.append({"input": text, "canonical": canonical, "fingerprint": fp_hex(canonical)})
    return out


def hand_vectors():
    out, by_name = [], {}
    for name, text, same_as in HAND_CASES:
        entry = {"name": name, "input": text, "canonical": canonical_form(text)}
        entry["fingerprint"] = fp_hex(entry["canonical"])
        if same_as:
            assert entry["fingerprint"] == by_name[same_as]["fingerprint"], name
            entry["same_as"] = same_as
        by_name[name] = entry
        out.append(entry)
    return out


def _python_avro_form_fixed(schema_text):
    """python3-avro's canonical form with its known logical-type deviation undone."""
    text = avro.schema.parse(schema_text).canonical_form
    for prim in PRIMITIVES:
        text = text.replace('{"type":"%s"}' % prim, '"%s"' % prim)
    return text


def contract_vectors():
    files, named = [], []
    for file in sorted(os.listdir(os.path.join(ROOT, "schemas"))):
        if not file.endswith(".avsc"):
            continue
        with open(os.path.join(ROOT, "schemas", file), encoding="utf-8") as f:
            text = f.read()
        doc = json.loads(text)
        canon = Canonicalizer(doc)
        form = canon.form(doc)
        if form != _python_avro_form_fixed(text):
            sys.exit("%s: canonical form disagrees with python3-avro beyond logical types" % file)
        files.append({"file": file, "full_name": canon.order[0], "canonical": form,
                      "fingerprint": fp_hex(form)})
        for full in canon.order:
            if canon.defs[full]["type"] == "record":
                nested = canon.form_named(full)
                named.append({"file": file, "full_name": full, "canonical": nested,
                              "fingerprint": fp_hex(nested)})
    return files, named


# ---- Datums encoded by python3-avro ----

def _ts(text):
    return datetime.datetime.fromisoformat(text).astimezone(datetime.timezone.utc)


ENVELOPE = {"event_id": "0b7e8c1e-4d7a-4f0e-9a57-2f3f1c9b6a01",
            "occurred_at": _ts("2021-03-01T08:15:30.123+07:00"), "source": "sisdmk-import",
            "actor": None}

GRANT = {"grant_event_id": "a3c1f4e2-1111-4c4c-8d8d-000000000001", "user_id": "verif.ratna",
         "facility_code": "1010001", "district_code": "3273", "granted_by": "dinkes.bandung",
         "granted_at": _ts("2021-02-01T00:00:00+00:00"), "valid_until": None}

CHANGES = {"name": "SITI AMINAH", "birth_date": datetime.date(1975, 8, 17), "sex": "P",
           "phone": None, "facility_code": None, "scheduled_date": datetime.date(2021, 3, 9)}

SAMPLES = [
    ("ticket-requested-full", "ticket.requests.avsc", "single-object", None, dict(ENVELOPE, **{
        "nik": "3273014508750002", "name": "Siti Aminah  binti Umar é", "actor": "op.desk1",
        "birth_date": datetime.date(1975, 8, 5), "sex": "P", "phone": "0812-3456-7890",
        "category": "LANSIA", "facility_code": "1010001",
        "scheduled_date": datetime.date(2021, 3, 8), "origin": "EXCEL"})),
    ("ticket-requested-minimal", "ticket.requests.avsc", "single-object", None, dict(ENVELOPE, **{
        "nik": "3273010101600001", "name": "BUDI", "birth_date": datetime.date(1960, 1, 1),
        "sex": None, "phone": None, "category": None, "facility_code": None,
        "scheduled_date": None, "origin": "SISDMK"})),
    ("ticket-requested-confluent", "ticket.requests.avsc", "confluent", 42, dict(ENVELOPE, **{
        "nik": "3273010101600001", "name": "BUDI", "birth_date": datetime.date(1969, 12, 31),
        "sex": "L", "phone": "+6281234567890", "category": None, "facility_code": None,
        "scheduled_date": None, "origin": "DUKCAPIL"})),
    ("target-event-ticket-issued", "target.events.avsc", "single-object", None, dict(ENVELOPE, **{
        "source": "vaksin-ticket", "nik": "3273014508750002",
        "causation_id": "0b7e8c1e-4d7a-4f0e-9a57-2f3f1c9b6a01",
        "payload": {"ticket": "7YQ2-KD3M-XA", "name": "SITI AMINAH BINTI UMAR",
                    "birth_date": datetime.date(1975, 8, 5), "sex": "P",
                    "phone": "+6281234567890", "category": "LANSIA", "facility_code": "1010001",
                    "scheduled_date": datetime.date(2021, 3, 8), "origin": "EXCEL",
                    "flags": ["NIK_BIRTH_DATE_MISMATCH", "NIK_SEX_MISMATCH"]}})),
    ("screening-submitted", "screening.requests.avsc", "single-object", None, dict(ENVELOPE, **{
        "nik": "3273014508750002", "dose": 2, "facility_code": "1010001",
        "temperature_c": 36.5, "systolic": 128, "diastolic": None,
        "answers": [{"code": "Q1", "yes": False}, {"code": "Q7", "yes": True}],
        "result": "POSTPONE", "note": "tekanan darah tinggi"})),
    ("dead-letter", "dead-letters.avsc", "single-object", None, dict(ENVELOPE, **{
        "source": "vaksin-ticket", "topic": "vaksin.ticket.requests", "partition": 7,
        "offset": 1099511627776, "key": b"3273014508750002",
        "value": b"\x7b\x22\x00\xff\xc3\x01", "service": "vaksin-ticket",
        "error_code": "DECODE", "error": "not Avro: first bytes 7b 22"})),
    ("verification-lookup", "verification.lookups.avsc", "single-object", None, dict(ENVELOPE, **{
        "source": "vaksin-verification", "actor": "verif.ratna",
        "request_id": "5d0e1d9a-2222-4f4f-9e9e-000000000002", "kind": "CORRECTION",
        "nik": "3273014508750002", "facility_code": "1010001", "changes": CHANGES,
        "reason": "salah ketik tanggal lahir", "grant": GRANT, "attempt": 3,
        "not_before": _ts("2021-03-01T09:00:00+00:00")})),
]


def to_avro_json(schema, datum):
    """The specification's JSON encoding of a datum (unions as {"branch": value}, bytes as
    code points U+0000..U+00FF, logical types as their underlying numbers)."""
    kind = schema.type
    if kind == "record":
        return {f.name: to_avro_json(f.type, datum[f.name]) for f in schema.fields}
    if kind == "union":
        for branch in schema.schemas:
            if avro.io.validate(branch, datum):
                if branch.type == "null":
                    return None
                name = getattr(branch, "fullname", None) or branch.type
                return {name: to_avro_json(branch, datum)}
        raise ValueError("no branch for %r" % (datum,))
    if kind == "array":
        return [to_avro_json(schema.items, d) for d in datum]
    if kind == "bytes":
        return datum.decode("latin-1")
    logical = getattr(schema, "logical_type", None)
    if logical == "timestamp-millis":
        return (datum - datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)) \
            // datetime.timedelta(milliseconds=1)
    if logical == "date":
        return (datum - datetime.date(1970, 1, 1)).days
    return datum


def datum_vectors(fingerprints):
    out = []
    for name, file, framing, registry_id, datum in SAMPLES:
        with open(os.path.join(ROOT, "schemas", file), encoding="utf-8") as f:
            text = f.read()
        schema = avro.schema.parse(text)
        buf = io.BytesIO()
        avro.io.DatumWriter(schema).write(datum, avro.io.BinaryEncoder(buf))
        body = buf.getvalue()
        if framing == "single-object":
            header = b"\xc3\x01" + int(fingerprints[file], 16).to_bytes(8, "little")
        else:
            header = b"\x00" + registry_id.to_bytes(4, "big")
        entry = {"name": name, "file": file, "full_name": schema.fullname, "framing": framing,
                 "hex": (header + body).hex(), "datum_len": len(body),
                 "json": to_avro_json(schema, datum)}
        if registry_id is not None:
            entry["registry_id"] = registry_id
        out.append(entry)
    return out


def write(name, data):
    path = os.path.join(OUT, name)
    with open(path, "w", encoding="utf-8") as f:
        json.dump(data, f, ensure_ascii=False, indent=1)
        f.write("\n")
    print("wrote", os.path.relpath(path, ROOT))


def main():
    os.makedirs(OUT, exist_ok=True)
    files, named = contract_vectors()
    write("canonical.json", {"avro_project": avro_project_vectors(), "hand": hand_vectors(),
                             "contract": files, "named_records": named})
    write("datums.json", datum_vectors({f["file"]: f["fingerprint"] for f in files}))


if __name__ == "__main__":
    main()
