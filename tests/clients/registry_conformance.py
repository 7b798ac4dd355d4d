#!/usr/bin/env python3
"""The test schema registry (test-servers/registry/schema_registry.py) against the Confluent
Schema Registry API, for tests/integration/registry_conformance.sh. Confluent's own Python client
(confluent_kafka.schema_registry: SchemaRegistryClient, AvroSerializer, AvroDeserializer) is the
reference client; raw HTTP (urllib) checks what it hides: statuses, error codes, content type.

    registry_conformance.py main URL LOG STATE     the API, compatibility, serde round trip;
                                                   writes what it registered to STATE (JSON)
    registry_conformance.py persist URL STATE      after a restart on the same store
    registry_conformance.py auth URL USER:PASSWORD basic auth required
    registry_conformance.py tls URL CA             HTTPS with a certificate signed by CA
    registry_conformance.py tls-client URL CA CERT KEY   ... and a client certificate required

Prints one "ok:" line per check; the first failed check prints "FAIL:" and exits 1.
"""
import base64
import json
import os
import ssl
import sys
import http.client
import urllib.parse

import avro.schema
from confluent_kafka.schema_registry import Schema, SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.schema_registry.error import SchemaRegistryError
from confluent_kafka.serialization import MessageField, SerializationContext

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CT = "application/vnd.schemaregistry.v1+json"
CHECKS = 0


class Failed(Exception):
    pass


def ok(what):
    global CHECKS
    CHECKS += 1
    print(f"ok: {what}", flush=True)


def check(cond, what, detail=""):
    if not cond:
        raise Failed(f"{what}{': ' + str(detail) if detail != '' else ''}")
    ok(what)


def eq(what, want, got):
    check(want == got, what, f"expected {want!r}, got {got!r}")


def record(name, fields):
    return json.dumps({"type": "record", "name": name, "namespace": "test.conformance",
                       "fields": fields})


def canon(text):
    """A schema's identity as Avro sees it (as the registry should)."""
    return json.dumps(avro.schema.parse(text).to_json(), sort_keys=True)


class Raw:
    """Plain HTTP with http.client (which adds no Content-Type of its own, unlike urllib):
    (status, headers, decoded JSON or text)."""

    def __init__(self, url, auth=None, context=None):
        u = urllib.parse.urlsplit(url)
        self.https, self.host, self.port = u.scheme == "https", u.hostname, u.port
        self.auth, self.context = auth, context

    def __call__(self, method, path, body=None, ctype=CT, raw_body=None):
        data = raw_body if raw_body is not None else (
            json.dumps(body).encode() if body is not None else None)
        headers = {"Accept": CT}
        if data is not None and ctype:
            headers["Content-Type"] = ctype
        if self.auth:
            headers["Authorization"] = "Basic " + base64.b64encode(self.auth.encode()).decode()
        if self.https:
            conn = http.client.HTTPSConnection(self.host, self.port, timeout=10, context=self.context)
        else:
            conn = http.client.HTTPConnection(self.host, self.port, timeout=10)
        try:
            conn.request(method, path, body=data, headers=headers)
            r = conn.getresponse()
            status, headers, text = r.status, r.headers, r.read().decode()
        finally:
            conn.close()
        try:
            return status, headers, json.loads(text)
        except ValueError:
            return status, headers, text

    def error(self, what, method, path, body, status, code, contains=None, **kw):
        """Checks an error answer: HTTP status, error_code, a message (containing `contains`)."""
        got_status, headers, got = self(method, path, body, **kw)
        ok_shape = isinstance(got, dict) and set(got) == {"error_code", "message"}
        check(got_status == status and ok_shape and got["error_code"] == code
              and isinstance(got["message"], str) and (contains is None or contains in got["message"]),
              f"{what}: HTTP {status}, error_code {code}" + (f", message names {contains!r}" if contains else ""),
              f"got HTTP {got_status} {got!r}")
        return got


def sr_error(what, fn, status, code, contains=None):
    """Checks that a SchemaRegistryClient call raises SchemaRegistryError(status, code)."""
    try:
        fn()
    except SchemaRegistryError as e:
        check(e.http_status_code == status and e.error_code == code
              and (contains is None or contains in (e.error_message or "")),
              f"{what}: client raises SchemaRegistryError HTTP {status}, code {code}", str(e))
        return e
    raise Failed(f"{what}: client call succeeded, expected SchemaRegistryError {code}")


# The schemas of the BACKWARD story (subject conf-person-value).
NIK = {"name": "nik", "type": "string"}
NAME = {"name": "name", "type": "string"}
AGE = {"name": "age", "type": "int", "default": 0}
EMAIL = {"name": "email", "type": ["null", "string"], "default": None}
CITY = {"name": "city", "type": "string"}  # no default
P1 = record("Person", [NIK, NAME, AGE])
P2 = record("Person", [NIK, NAME, AGE, EMAIL])            # + optional field with default: ok
P3_BAD = record("Person", [NIK, NAME, AGE, EMAIL, CITY])  # + field without default: refused
P4 = record("Person", [NIK, NAME, EMAIL])                 # - a field with a default: ok
P5_BAD = record("Person", [NIK, {"name": "name", "type": "int"}, EMAIL])  # type change: refused


def main_phase(url, log, state_file):
    c = SchemaRegistryClient({"url": url})
    raw = Raw(url)
    state = {}

    # --- basics and content type
    st, h, body = raw("GET", "/")
    check(st == 200 and body == {} and h.get("Content-Type") == CT,
          f"GET / answers {{}} as {CT}", (st, h.get("Content-Type"), body))
    eq("GET /schemas/types", ["AVRO"], raw("GET", "/schemas/types")[2])
    eq("GET /mode", {"mode": "READWRITE"}, raw("GET", "/mode")[2])
    eq("global compatibility (client get_compatibility)", "BACKWARD", c.get_compatibility())
    raw.error("unknown path", "GET", "/no/such/thing", None, 404, 404)

    # --- ids: one per distinct schema, shared across subjects; idempotent registration
    s = "conf-person-value"
    id1 = c.register_schema(s, Schema(P1, "AVRO"))
    eq("first schema gets id 1", 1, id1)
    # The same schema with other whitespace and key order, under a second subject, raw so that
    # no client cache answers.
    reordered = json.dumps({"fields": [dict(reversed(list(f.items()))) for f in json.loads(P1)["fields"]],
                            "namespace": "test.conformance", "name": "Person", "type": "record"},
                           indent=3)
    st, _, got = raw("POST", "/subjects/conf-other-value/versions", {"schema": reordered})
    eq("same schema (other whitespace, key order) under a second subject: same id", (200, {"id": id1}),
       (st, got))
    eq("... and it is version 1 there", [1], c.get_versions("conf-other-value"))
    st, _, got = raw("POST", f"/subjects/{s}/versions", {"schema": P1})
    eq("re-registering a subject's schema returns its id", (200, {"id": id1}), (st, got))
    eq("... and adds no version", [1], c.get_versions(s))
    eq("a fresh client registering it again gets the same id", id1,
       SchemaRegistryClient({"url": url}).register_schema(s, Schema(P1, "AVRO")))
    st, _, got = raw("GET", f"/schemas/ids/{id1}")
    check(st == 200 and set(got) == {"schema"} and canon(got["schema"]) == canon(P1),
          "GET /schemas/ids/1: {\"schema\"} only (no schemaType for AVRO), the registered schema", got)
    eq("GET /schemas/ids/1?subject=...", 200, raw("GET", f"/schemas/ids/{id1}?subject={s}")[0])
    eq("client get_schema(1)", canon(P1), canon(c.get_schema(id1).schema_str))
    eq("GET /schemas/ids/1/versions",
       [{"subject": "conf-other-value", "version": 1}, {"subject": s, "version": 1}],
       sorted(raw("GET", f"/schemas/ids/{id1}/versions")[2], key=lambda x: x["subject"]))
    eq("GET /schemas/ids/1/subjects", ["conf-other-value", s],
       sorted(raw("GET", f"/schemas/ids/{id1}/subjects")[2]))
    r = c.lookup_schema(s, Schema(P1, "AVRO"))
    eq("client lookup_schema: subject, version, id", (s, 1, id1), (r.subject, r.version, r.schema_id))

    # --- BACKWARD (the default)
    id2 = c.register_schema(s, Schema(P2, "AVRO"))
    check(id2 == id1 + 1, "BACKWARD: adding an optional field with a default is accepted (new id)", id2)
    eq("versions after v2", [1, 2], c.get_versions(s))
    lv = c.get_latest_version(s)
    eq("client get_latest_version", (2, id2), (lv.version, lv.schema_id))
    v1 = c.get_version(s, 1)
    eq("client get_version(1)", (1, id1, canon(P1)), (v1.version, v1.schema_id, canon(v1.schema.schema_str)))
    st, _, got = raw("GET", f"/subjects/{s}/versions/-1")
    eq("version -1 is the latest", (200, 2, id2), (st, got.get("version"), got.get("id")))
    st, _, got = raw("GET", f"/subjects/{s}/versions/latest")
    eq("GET .../versions/latest fields", {"subject", "version", "id", "schema"}, set(got))
    st, _, got = raw("GET", f"/subjects/{s}/versions/2/schema")
    eq("GET .../versions/2/schema is the raw schema", canon(P2), canon(json.dumps(got)))

    eq("test_compatibility of a field without default: False", False,
       c.test_compatibility(s, Schema(P3_BAD, "AVRO")))
    st, _, got = raw("POST", f"/compatibility/subjects/{s}/versions/latest?verbose=true", {"schema": P3_BAD})
    check(st == 200 and got.get("is_compatible") is False and any("city" in m for m in got.get("messages", [])),
          "verbose compatibility check names the field", got)
    eq("test_compatibility of v2 against version 1: True", True,
       c.test_compatibility(s, Schema(P2, "AVRO"), version=1))
    e = raw.error("BACKWARD: adding a field without default is refused", "POST",
                  f"/subjects/{s}/versions", {"schema": P3_BAD}, 409, 409, contains="city")
    check("READER_FIELD_MISSING_DEFAULT_VALUE" in e["message"],
          "... the 409 carries the Avro checker's reason (READER_FIELD_MISSING_DEFAULT_VALUE)", e)
    sr_error("... and Confluent's client", lambda: c.register_schema(s, Schema(P3_BAD, "AVRO")), 409, 409)
    eq("no version was added", [1, 2], c.get_versions(s))
    id4 = c.register_schema(s, Schema(P4, "AVRO"))
    check(id4 == id2 + 1, "BACKWARD: removing a field with a default is accepted (version 3)", id4)
    e = sr_error("BACKWARD: changing a field's type (string -> int) is refused",
                 lambda: c.register_schema(s, Schema(P5_BAD, "AVRO")), 409, 409)
    check("TYPE_MISMATCH" in e.error_message, "... named TYPE_MISMATCH", e.error_message)

    # Direction: int -> long is a promotion a new reader may make, long -> int is not.
    pi = record("Num", [{"name": "x", "type": "int"}])
    pl = record("Num", [{"name": "x", "type": "long"}])
    c.register_schema("conf-num-value", Schema(pi, "AVRO"))
    c.register_schema("conf-num-value", Schema(pl, "AVRO"))
    ok("BACKWARD: int -> long (a promotion for the new reader) accepted")
    c.register_schema("conf-num2-value", Schema(pl, "AVRO"))
    sr_error("BACKWARD: long -> int refused", lambda: c.register_schema("conf-num2-value", Schema(pi, "AVRO")),
             409, 409)

    # Transitive: BACKWARD checks the latest version only, BACKWARD_TRANSITIVE all of them.
    t = "conf-trans-value"
    a = {"name": "a", "type": "string"}
    t1 = record("T", [a])
    t2 = record("T", [a, {"name": "b", "type": "int", "default": 1}])
    t3 = record("T", [a, {"name": "b", "type": "int"}])
    c.register_schema(t, Schema(t1, "AVRO"))
    c.register_schema(t, Schema(t2, "AVRO"))
    eq("set_compatibility(subject, BACKWARD_TRANSITIVE)", {"compatibility": "BACKWARD_TRANSITIVE"},
       c.set_compatibility(t, "BACKWARD_TRANSITIVE"))
    sr_error("BACKWARD_TRANSITIVE: refused against version 1", lambda: c.register_schema(t, Schema(t3, "AVRO")),
             409, 409, contains="oldSchemaVersion: 1")
    c.set_compatibility(t, "BACKWARD")
    c.register_schema(t, Schema(t3, "AVRO"))
    ok("BACKWARD: the same schema accepted (compatible with the latest version)")

    # --- per-subject NONE, global untouched
    raw.error("GET /config/{subject} not configured", "GET", f"/config/{s}", None, 404, 40408)
    eq("GET /config/{subject}?defaultToGlobal=true", {"compatibilityLevel": "BACKWARD"},
       raw("GET", f"/config/{s}?defaultToGlobal=true")[2])
    eq("set_compatibility(subject, NONE)", {"compatibility": "NONE"}, c.set_compatibility(s, "NONE"))
    eq("get_compatibility(subject)", "NONE", c.get_compatibility(s))
    eq("global still BACKWARD", "BACKWARD", c.get_compatibility())
    id3 = c.register_schema(s, Schema(P3_BAD, "AVRO"))
    id5 = c.register_schema(s, Schema(P5_BAD, "AVRO"))
    check(id3 > id4 and id5 > id3, "NONE: a field without default and a type change both accepted", (id3, id5))
    eq("versions after NONE", [1, 2, 3, 4, 5], c.get_versions(s))

    # --- FULL: both directions
    f = "conf-full-value"
    f1 = record("F", [NIK, NAME])
    c.set_compatibility(f, "FULL")
    c.register_schema(f, Schema(f1, "AVRO"))
    sr_error("FULL: adding a field without default refused (backward)",
             lambda: c.register_schema(f, Schema(record("F", [NIK, NAME, CITY]), "AVRO")), 409, 409)
    sr_error("FULL: removing a field without default refused (forward)",
             lambda: c.register_schema(f, Schema(record("F", [NIK]), "AVRO")), 409, 409, contains="forward")
    c.register_schema(f, Schema(record("F", [NIK, NAME, EMAIL]), "AVRO"))
    ok("FULL: adding a field with a default accepted")
    eq("DELETE /config/{subject} returns the old level", {"compatibilityLevel": "FULL"},
       raw("DELETE", f"/config/{f}")[2])
    raw.error("... and then it is not configured", "GET", f"/config/{f}", None, 404, 40408)

    # --- not found, invalid
    sr_error("unknown subject", lambda: c.get_versions("conf-nobody-value"), 404, 40401)
    sr_error("unknown version", lambda: c.get_version(s, 99), 404, 40402)
    sr_error("unknown schema id", lambda: c.get_schema(9999), 404, 40403)
    sr_error("lookup of an unregistered schema", lambda: c.lookup_schema(s, Schema(t1, "AVRO")), 404, 40403)
    sr_error("lookup under an unknown subject", lambda: c.lookup_schema("conf-nobody-value", Schema(P1, "AVRO")),
             404, 40401)
    raw.error("version 'abc'", "GET", f"/subjects/{s}/versions/abc", None, 422, 42202)
    raw.error("version 0", "GET", f"/subjects/{s}/versions/0", None, 422, 42202)
    raw.error("invalid JSON schema", "POST", "/subjects/conf-bad-value/versions", {"schema": "{not json"}, 422, 42201)
    sr_error("... and Confluent's client", lambda: c.register_schema("conf-bad-value", Schema("{not json", "AVRO")),
             422, 42201)
    raw.error("undefined Avro type", "POST", "/subjects/conf-bad-value/versions",
              {"schema": record("B", [{"name": "x", "type": "Nope"}])}, 422, 42201)
    raw.error("schemaType PROTOBUF", "POST", "/subjects/conf-bad-value/versions",
              {"schema": "syntax = \"proto3\";", "schemaType": "PROTOBUF"}, 422, 42201)
    raw.error("references", "POST", "/subjects/conf-bad-value/versions",
              {"schema": P1, "references": [{"name": "x", "subject": "y", "version": 1}]}, 422, 42201,
              contains="references")
    eq("nothing registered under conf-bad-value", False, "conf-bad-value" in c.get_subjects())
    raw.error("invalid compatibility level", "PUT", "/config", {"compatibility": "SIDEWAYS"}, 422, 42203)
    sr_error("... and Confluent's client", lambda: c.set_compatibility(level="SIDEWAYS"), 422, 42203)

    # --- request content types
    for ctype in ("application/vnd.schemaregistry+json", "application/json", None):
        st, _, got = raw("POST", f"/subjects/{s}", {"schema": P1}, ctype=ctype)
        eq(f"lookup with Content-Type {ctype}", (200, id1), (st, got.get("id")))
    raw.error("Content-Type text/plain", "POST", f"/subjects/{s}", {"schema": P1}, 415, 415, ctype="text/plain")

    # --- global config
    eq("PUT /config", {"compatibility": "FORWARD"}, c.set_compatibility(level="FORWARD"))
    eq("GET /config", {"compatibilityLevel": "FORWARD"}, raw("GET", "/config")[2])
    c.set_compatibility(level="BACKWARD")

    # --- deletes
    eq("delete_subject (soft) returns its versions", [1], c.delete_subject("conf-other-value"))
    eq("soft-deleted subject not listed", False, "conf-other-value" in c.get_subjects())
    eq("... but listed with ?deleted=true", True, "conf-other-value" in raw("GET", "/subjects?deleted=true")[2])
    raw.error("soft delete twice", "DELETE", "/subjects/conf-other-value", None, 404, 40404)
    raw.error("hard delete of a live subject", "DELETE", f"/subjects/{t}?permanent=true", None, 404, 40405)
    eq("hard delete after soft", (200, [1]), raw("DELETE", "/subjects/conf-other-value?permanent=true")[::2])
    eq("gone from ?deleted=true", False, "conf-other-value" in raw("GET", "/subjects?deleted=true")[2])
    eq("schema 1 still served (conf-person-value has it)", 200, raw("GET", f"/schemas/ids/{id1}")[0])
    eq("DELETE a version (soft)", (200, 1), raw("DELETE", f"/subjects/{t}/versions/1")[::2])
    eq("versions after deleting version 1", [2, 3], c.get_versions(t))
    raw.error("soft-deleted version", "GET", f"/subjects/{t}/versions/1", None, 404, 40402)
    eq("... still there with ?deleted=true", 200, raw("GET", f"/subjects/{t}/versions/1?deleted=true")[0])
    raw.error("hard delete of a live version", "DELETE", f"/subjects/{t}/versions/2?permanent=true", None, 404, 40407)

    # --- the project's own schemas (schemas/*.avsc) register and come back as the same schema
    ids = {}
    for fn in sorted(os.listdir(os.path.join(ROOT, "schemas"))):
        if fn.endswith(".avsc"):
            with open(os.path.join(ROOT, "schemas", fn)) as fh:
                text = fh.read()
            sid = c.register_schema(f"vaksin.{fn[:-5]}-value", Schema(text, "AVRO"))
            served = SchemaRegistryClient({"url": url}).get_schema(sid).schema_str
            if avro.schema.parse(served).canonical_form != avro.schema.parse(text).canonical_form \
                    or canon(served) != canon(text):
                raise Failed(f"schemas/{fn}: served back as another schema: {served}")
            ids[fn] = sid
    check(len(ids) >= 5 and len(set(ids.values())) == len(ids),
          f"the project's {len(ids)} schemas register with distinct ids and come back unchanged", ids)

    # --- Confluent's Avro serializer and deserializer, schema fetched once by id
    serde_schema = record("Visit", [NIK, {"name": "dose", "type": "int"}, EMAIL])
    topic = "conf-serde"
    ser = AvroSerializer(c, serde_schema)
    value = {"nik": "3273025205850001", "dose": 2, "email": None}
    data = ser(value, SerializationContext(topic, MessageField.VALUE))
    sid = int.from_bytes(data[1:5], "big")
    check(data[0] == 0 and sid == c.lookup_schema(f"{topic}-value", Schema(serde_schema, "AVRO")).schema_id,
          f"AvroSerializer registered {topic}-value and framed the record with its id ({sid})", data[:5])
    before = log_count(log, f"GET /schemas/ids/{sid} 200")
    de = AvroDeserializer(SchemaRegistryClient({"url": url}))
    ctx = SerializationContext(topic, MessageField.VALUE)
    eq("AvroDeserializer reads the record back", value, de(data, ctx))
    eq("... twice", value, de(data, ctx))
    eq(f"... with one GET /schemas/ids/{sid} (the client caches; the log counts requests)", 1,
       log_count(log, f"GET /schemas/ids/{sid} 200") - before)

    state = {"subjects": {}, "config": {s: "NONE", t: "BACKWARD"}}
    for subj in c.get_subjects():
        state["subjects"][subj] = [[v, c.get_version(subj, v).schema_id] for v in c.get_versions(subj)]
    state["max_id"] = max(i for vs in state["subjects"].values() for _, i in vs)
    state["person_v1"] = P1
    with open(state_file, "w") as fh:
        json.dump(state, fh)


def log_count(log, line):
    with open(log) as fh:
        return sum(1 for x in fh if x.rstrip("\n") == line)


def persist_phase(url, state_file):
    with open(state_file) as fh:
        state = json.load(fh)
    c = SchemaRegistryClient({"url": url})
    eq("after a restart: the same subjects", sorted(state["subjects"]), sorted(c.get_subjects()))
    got = {s: [[v, c.get_version(s, v).schema_id] for v in c.get_versions(s)] for s in state["subjects"]}
    eq("... the same versions and ids", state["subjects"], got)
    eq("... the same subject compatibility", state["config"],
       {s: c.get_compatibility(s) for s in state["config"]})
    eq("re-registering version 1 returns its id", state["subjects"]["conf-person-value"][0][1],
       c.register_schema("conf-person-value", Schema(state["person_v1"], "AVRO")))
    new = c.register_schema("conf-after-restart-value", Schema(record("New", [NIK]), "AVRO"))
    eq("a new schema gets the next id", state["max_id"] + 1, new)


def auth_phase(url, userinfo):
    user, password = userinfo.split(":", 1)
    st, h, got = Raw(url)("GET", "/subjects")
    eq("no credentials: 401 Unauthorized", (401, {"error_code": 401, "message": "Unauthorized"}), (st, got))
    check(h.get("WWW-Authenticate", "").startswith("Basic"), "... with a Basic challenge", h.get("WWW-Authenticate"))
    eq("wrong password: 401", 401, Raw(url, auth=f"{user}:wrong")("GET", "/subjects")[0])
    sr_error("client without basic.auth.user.info", lambda: SchemaRegistryClient({"url": url}).get_subjects(),
             401, 401)
    sr_error("client with a wrong password", lambda: SchemaRegistryClient(
        {"url": url, "basic.auth.user.info": f"{user}:nope"}).get_subjects(), 401, 401)
    c = SchemaRegistryClient({"url": url, "basic.auth.user.info": userinfo})
    check("conf-person-value" in c.get_subjects(), "client with basic.auth.user.info lists the subjects")
    sid = c.register_schema("conf-auth-value", Schema(record("Auth", [NIK]), "AVRO"))
    eq("... and registers", sid, c.get_latest_version("conf-auth-value").schema_id)
    eq("raw request with credentials", 200, Raw(url, auth=userinfo)("GET", "/subjects")[0])


def tls_phase(url, ca, cert=None, key=None):
    check(url.startswith("https://"), "the registry's URL is https", url)
    conf = {"url": url, "ssl.ca.location": ca}
    if cert:
        try:
            SchemaRegistryClient(conf).get_subjects()
        except SchemaRegistryError as e:
            raise Failed(f"a client without a certificate got an HTTP answer: {e}")
        except Exception as e:  # requests' SSLError / ConnectionError: the handshake was refused
            ok(f"client certificate required: a client without one is refused ({type(e).__name__})")
        else:
            raise Failed("a client without a certificate was served")
        conf.update({"ssl.certificate.location": cert, "ssl.key.location": key})
    c = SchemaRegistryClient(conf)
    check("conf-person-value" in c.get_subjects(),
          "client with ssl.ca.location" + (" and a client certificate" if cert else "") + " lists the subjects")
    tls_schema = record("Tls" + ("M" if cert else ""), [NIK])
    sid = c.register_schema("conf-tls-value" + ("-mtls" if cert else ""), Schema(tls_schema, "AVRO"))
    eq("... registers and reads back over TLS", canon(tls_schema),
       canon(SchemaRegistryClient(conf).get_schema(sid).schema_str))
    ctx = ssl.create_default_context()  # the system's CAs only: must not trust our test CA
    try:
        Raw(url, context=ctx)("GET", "/subjects")
    except ssl.SSLCertVerificationError as e:
        ok(f"a client that does not trust the test CA fails ({e.verify_message})")
    else:
        raise Failed("a client without the test CA was served")
    ctx = ssl.create_default_context(cafile=ca)
    if cert:
        ctx.load_cert_chain(cert, key)
    eq("raw HTTPS request with the CA", 200, Raw(url, context=ctx)("GET", "/subjects")[0])


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    phase, url, args = sys.argv[1], sys.argv[2], sys.argv[3:]
    try:
        if phase == "main":
            main_phase(url, *args)
        elif phase == "persist":
            persist_phase(url, *args)
        elif phase == "auth":
            auth_phase(url, *args)
        elif phase in ("tls", "tls-client"):
            tls_phase(url, *args)
        else:
            sys.exit(__doc__)
    except Failed as e:
        print(f"FAIL: {phase}: {e}", flush=True)
        sys.exit(1)
    print(f"{phase}: {CHECKS} checks passed", flush=True)


if __name__ == "__main__":
    main()
