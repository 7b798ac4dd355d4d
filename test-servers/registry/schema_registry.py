#!/usr/bin/env python3
"""schema_registry.py — a small Confluent-compatible schema registry for development and tests.

Not part of the product. There is no Confluent or Apicurio server on our machines, so this one
speaks the REST API of the Confluent Schema Registry reference ("Schema Registry API Reference",
docs.confluent.io .../schema-registry/develop/api.html) closely enough for Confluent's own
clients and for vaksin's C client to be tested against it (tests/integration/
registry_conformance.sh drives it with confluent_kafka.schema_registry as the reference client).

    schema_registry.py [--listen HOST:PORT] [--url-file F] [--store F] [--user-file F]
                       [--compatibility LEVEL] [--tls-cert F --tls-key F [--tls-client-ca F]]

  --listen         where to listen (default 127.0.0.1:0: a free port)
  --url-file       once listening, http(s)://HOST:PORT and a newline go to F.tmp, renamed to F
  --store          a JSON file holding every schema, subject, version and configuration:
                   loaded at start when present, rewritten atomically (tmp + fsync + rename)
                   after each change, so a restarted registry keeps its ids and versions (as a
                   real one does with its _schemas topic)
  --user-file      a file holding user:password; every request then needs HTTP basic auth with
                   it, else 401 {"error_code":401,"message":"Unauthorized"}
  --compatibility  the global compatibility level until a PUT /config sets another (BACKWARD)
  --tls-cert/--tls-key  serve HTTPS; --tls-client-ca: require a client certificate it signed

One line per request on stderr, "METHOD PATH STATUS" (path without the query string), e.g.
"GET /schemas/ids/3 200": tests count them to prove that a client caches. SIGTERM (or SIGINT)
stops it cleanly; every change is on disk before its answer is sent.

Implemented (answers are application/vnd.schemaregistry.v1+json; request bodies may be sent as
application/vnd.schemaregistry.v1+json, application/vnd.schemaregistry+json, application/json
or without a content type):
  GET /, GET /schemas/types, GET /schemas/ids/{id}[/schema|/versions|/subjects],
  GET /subjects, GET /subjects/{s}/versions, GET /subjects/{s}/versions/{v|latest|-1}[/schema],
  POST /subjects/{s}/versions (register), POST /subjects/{s} (lookup),
  DELETE /subjects/{s}[?permanent=true], DELETE /subjects/{s}/versions/{v}[?permanent=true],
  GET/PUT/DELETE /config, GET/PUT/DELETE /config/{s} (?defaultToGlobal=true),
  POST /compatibility/subjects/{s}/versions[/{v}] (?verbose=true), GET /mode.
  Query ?deleted=true where the reference has it; ?normalize= is accepted and ignored.
Errors are {"error_code": N, "message": "..."} with the reference's codes: 40401 subject not
found, 40402 version not found, 40403 schema not found, 40404/40405 subject (not) soft deleted
first, 40406/40407 the same for a version, 40408 subject compatibility not configured, 409
incompatible schema (HTTP 409; the error_code of the released servers — their newest sources
say 40901, so a client should go by the HTTP status), 42201 invalid schema (also: a schemaType
other than AVRO, or references), 42202 invalid version, 42203 invalid compatibility level,
50001 store error, 404/405/415/400 for an unknown path, method, content type or body, 401.

Schemas are parsed with the Apache Avro reference implementation (avro.schema.parse), and
compatibility is avro.compatibility.ReaderWriterCompatibilityChecker, Avro's own schema-
resolution rules, never rules written here. A schema's identity is its parsed form as JSON with
sorted keys, so whitespace and key order do not make a new schema; one global id per distinct
schema (ids from 1), the same id under every subject that registers it, and registering a
subject's live schema again returns its id without a new version. The text served back is the
parsed schema as compact JSON (the real registry also serves its own normalised text).

Not implemented: schema types other than AVRO, schema references, contexts, modes other than
READWRITE (no IMPORT: a request's "id" and "version" are ignored), normalize beyond the
canonical identity, metadata and rule sets, /exporters, /contexts, /keks, /dek, ACLs, more than
one user, and the validation of field defaults (the Python Avro library does not check them).
"""
import argparse
import base64
import copy
import hmac
import http.server
import json
import os
import re
import signal
import socket
import ssl
import sys
import threading
from urllib.parse import parse_qs, unquote, urlsplit

import avro.schema
from avro.compatibility import ReaderWriterCompatibilityChecker, SchemaCompatibilityType

CONTENT_TYPE = "application/vnd.schemaregistry.v1+json"
BODY_TYPES = ("application/vnd.schemaregistry.v1+json", "application/vnd.schemaregistry+json",
              "application/json", "application/octet-stream")
LEVELS = ("NONE", "BACKWARD", "BACKWARD_TRANSITIVE", "FORWARD", "FORWARD_TRANSITIVE", "FULL",
          "FULL_TRANSITIVE")
MAX_BODY = 16 * 1024 * 1024
MAX_VERSION = 2**31 - 1


class ApiError(Exception):
    """An answer other than 200: HTTP status, error_code and message."""

    def __init__(self, status, code, message):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def subject_not_found(s):
    return ApiError(404, 40401, f"Subject '{s}' not found.")


def version_not_found(v):
    return ApiError(404, 40402, f"Version {v} not found.")


def schema_not_found(sid=None):
    return ApiError(404, 40403, "Schema not found" if sid is None else f"Schema {sid} not found")


def invalid_version(v):
    return ApiError(422, 42202, f"The specified version '{v}' is not a valid version id. Allowed "
                    "values are between [1, 2^31-1] and the string \"latest\"")


def invalid_level():
    return ApiError(422, 42203, "Invalid compatibility level. Valid values are none, backward, "
                    "forward, full, backward_transitive, forward_transitive, and full_transitive")


def parse_schema(body):
    """(parsed, identity key, text to serve) of a request body's schema, or 42201."""
    if not isinstance(body, dict):
        raise ApiError(422, 42201, "Invalid schema: the request body is not a JSON object")
    stype = body.get("schemaType", "AVRO")
    if stype is None:
        stype = "AVRO"
    if not isinstance(stype, str) or stype.upper() != "AVRO":
        raise ApiError(422, 42201, f"Invalid schema type {stype}: this registry supports only AVRO")
    if body.get("references"):
        raise ApiError(422, 42201, "Invalid schema: schema references are not supported by this "
                       "registry")
    text = body.get("schema")
    if not isinstance(text, str) or not text.strip():
        raise ApiError(422, 42201, "Invalid schema: empty schema")
    try:
        parsed = avro.schema.parse(text)
    except Exception as e:  # the Avro library raises SchemaParseException and plain errors
        raise ApiError(422, 42201, f"Invalid schema {text}, details: {e}")
    canon = parsed.to_json()
    return (parsed, json.dumps(canon, sort_keys=True, separators=(",", ":")),
            json.dumps(ordered(canon), separators=(",", ":")))


TYPE_KEYS = ("type", "name", "namespace", "doc", "fields", "symbols", "items", "values", "size")
FIELD_KEYS = ("name", "type", "doc", "default")


def ordered(j, field=False):
    """The Avro library's JSON with its keys in the usual order ("type" then "name" ..., a
    field's "name" then "type" ...), as Avro's Java Schema.toString writes them."""
    if isinstance(j, list):
        return [ordered(x) for x in j]
    if not isinstance(j, dict):
        return j
    first = FIELD_KEYS if field else TYPE_KEYS
    keys = [k for k in first if k in j] + [k for k in j if k not in first]
    return {k: ([ordered(f, field=True) for f in j[k]] if k == "fields" and not field
                else j[k] if k == "default" else ordered(j[k])) for k in keys}


def parse_version(v):
    """An int version, or "latest" for latest/-1; 42202 otherwise."""
    if v in ("latest", "-1"):
        return "latest"
    if re.fullmatch(r"[0-9]{1,10}", v) and 1 <= int(v) <= MAX_VERSION:
        return int(v)
    raise invalid_version(v)


def flag(query, name):
    return query.get(name, ["false"])[-1].lower() == "true"


class Registry:
    """The registry's state: schemas by id, subjects' versions, compatibility configuration.
    Every method runs under one lock; a change is saved before the method returns."""

    def __init__(self, store, default_level):
        self.lock = threading.Lock()
        self.store, self.default_level = store, default_level
        self.data = {"next_id": 1, "schemas": {}, "subjects": {}, "config": {}, "global": None}
        self.parsed = {}  # id -> parsed schema (a cache)
        if store and os.path.exists(store):
            with open(store, encoding="utf-8") as f:
                self.data = json.load(f)
        self.by_key = {s["key"]: int(i) for i, s in self.data["schemas"].items()}

    # -- persistence -------------------------------------------------------------------------
    def _save(self, before):
        if not self.store:
            return
        tmp = self.store + ".tmp"
        try:
            with open(tmp, "w", encoding="utf-8") as f:
                json.dump(self.data, f, indent=1, sort_keys=True)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, self.store)
        except OSError as e:
            self.data = before
            self.by_key = {s["key"]: int(i) for i, s in self.data["schemas"].items()}
            self.parsed = {}
            raise ApiError(500, 50001, f"Error in the backend data store: {e}")

    def _change(self):
        """A copy of the state to restore should the save fail."""
        return copy.deepcopy(self.data)

    # -- helpers -----------------------------------------------------------------------------
    def _versions(self, s, deleted=False):
        return [v for v in self.data["subjects"].get(s, []) if deleted or not v["deleted"]]

    def _schema(self, sid):
        if sid not in self.parsed:
            self.parsed[sid] = avro.schema.parse(self.data["schemas"][str(sid)]["schema"])
        return self.parsed[sid]

    def _text(self, sid):
        return self.data["schemas"][str(sid)]["schema"]

    def _level(self, s):
        return self.data["config"].get(s) or self.data["global"] or self.default_level

    def _version(self, s, v, deleted=False):
        """The entry of version v (int or "latest") of subject s: 40401, 40402."""
        if not self._versions(s, deleted):
            raise subject_not_found(s)
        vs = self._versions(s, deleted)
        if v == "latest":
            return vs[-1]
        for e in vs:
            if e["version"] == v:
                return e
        raise version_not_found(v)

    def _entry(self, s, e):
        return {"subject": s, "version": e["version"], "id": e["id"], "schema": self._text(e["id"])}

    def _problems(self, s, level, new, olds):
        """Why `new` may not follow the versions `olds` (oldest first) under `level`: a list of
        Confluent-style detail strings, empty when compatible."""
        if level == "NONE" or not olds:
            return []
        if not level.endswith("_TRANSITIVE"):
            olds = olds[-1:]
        checks = []
        if level.startswith(("BACKWARD", "FULL")):
            checks.append("backward")
        if level.startswith(("FORWARD", "FULL")):
            checks.append("forward")
        details = []
        for e in reversed(olds):
            old = self._schema(e["id"])
            for direction in checks:
                reader, writer = (new, old) if direction == "backward" else (old, new)
                res = ReaderWriterCompatibilityChecker().get_compatibility(reader, writer)
                if res.compatibility is SchemaCompatibilityType.compatible:
                    continue
                kinds = ",".join(sorted(i.name.upper() for i in res.incompatibilities))
                what = (f"the new schema cannot read data written with version {e['version']}"
                        if direction == "backward" else
                        f"version {e['version']} cannot read data written with the new schema")
                details.append(
                    f"{{errorType:'{kinds}', description:'{direction} incompatible: {what}: "
                    f"{'; '.join(sorted(res.messages))} at {', '.join(sorted(res.locations))}', "
                    f"additionalInfo:'{'; '.join(sorted(res.messages))}'}}")
                details.append(f"{{oldSchemaVersion: {e['version']}}}")
                details.append(f"{{oldSchema: '{self._text(e['id'])}'}}")
        if details:
            details.append(f"{{compatibility: '{level}'}}")
        return details

    # -- the API -----------------------------------------------------------------------------
    def register(self, s, body):
        parsed, key, text = parse_schema(body)
        with self.lock:
            live = self._versions(s)
            sid = self.by_key.get(key)
            if sid is not None:
                for e in live:
                    if e["id"] == sid:
                        return {"id": sid}
            level = self._level(s)
            details = self._problems(s, level, parsed, live)
            if details:
                raise ApiError(409, 409, "Schema being registered is incompatible with an earlier "
                               f"schema for subject \"{s}\", details: [{', '.join(details)}]")
            before = self._change()
            if sid is None:
                sid = self.data["next_id"]
                self.data["next_id"] = sid + 1
                self.data["schemas"][str(sid)] = {"schema": text, "key": key}
                self.by_key[key] = sid
                self.parsed[sid] = parsed
            allv = self.data["subjects"].setdefault(s, [])
            allv.append({"version": max((e["version"] for e in allv), default=0) + 1,
                         "id": sid, "deleted": False})
            self._save(before)
            return {"id": sid}

    def lookup(self, s, body, deleted):
        _, key, _ = parse_schema(body)
        with self.lock:
            vs = self._versions(s, deleted)
            if not vs:
                raise subject_not_found(s)
            sid = self.by_key.get(key)
            for e in vs:
                if e["id"] == sid:
                    return self._entry(s, e)
            raise schema_not_found()

    def schema_by_id(self, sid):
        with self.lock:
            if str(sid) not in self.data["schemas"]:
                raise schema_not_found(sid)
            return self._text(sid)

    def id_versions(self, sid, deleted):
        with self.lock:
            if str(sid) not in self.data["schemas"]:
                raise schema_not_found(sid)
            return [{"subject": s, "version": e["version"]}
                    for s in sorted(self.data["subjects"])
                    for e in self._versions(s, deleted) if e["id"] == sid]

    def subjects(self, deleted, prefix):
        with self.lock:
            return [s for s in sorted(self.data["subjects"])
                    if self._versions(s, deleted) and s.startswith(prefix)]

    def versions(self, s, deleted):
        with self.lock:
            vs = self._versions(s, deleted)
            if not vs:
                raise subject_not_found(s)
            return [e["version"] for e in vs]

    def get_version(self, s, v, deleted):
        with self.lock:
            return self._entry(s, self._version(s, v, deleted))

    def delete_subject(self, s, permanent):
        with self.lock:
            allv = self.data["subjects"].get(s)
            if not allv:
                raise subject_not_found(s)
            live = [e["version"] for e in allv if not e["deleted"]]
            before = self._change()
            if permanent:
                if live:
                    raise ApiError(404, 40405, f"Subject '{s}' was not deleted first before being "
                                   "permanently deleted")
                del self.data["subjects"][s]
                self.data["config"].pop(s, None)
                self._save(before)
                return [e["version"] for e in allv]
            if not live:
                raise ApiError(404, 40404, f"Subject '{s}' was soft deleted.Set permanent=true to "
                               "delete permanently")
            for e in allv:
                e["deleted"] = True
            self.data["config"].pop(s, None)
            self._save(before)
            return live

    def delete_version(self, s, v, permanent):
        with self.lock:
            if not self.data["subjects"].get(s):
                raise subject_not_found(s)
            if permanent:
                e = self._version(s, v, deleted=True)
                if not e["deleted"]:
                    raise ApiError(404, 40407, f"Subject '{s}' Version {e['version']} was not "
                                   "deleted first before being permanently deleted")
                before = self._change()
                self.data["subjects"][s] = [x for x in self.data["subjects"][s] if x is not e]
                if not self.data["subjects"][s]:
                    del self.data["subjects"][s]
            else:
                entries = self.data["subjects"][s]
                e = next((x for x in entries if x["version"] == v), None)
                if e is not None and e["deleted"]:
                    raise ApiError(404, 40406, f"Subject '{s}' Version {v} was soft deleted.Set "
                                   "permanent=true to delete permanently")
                e = self._version(s, v)
                before = self._change()
                e["deleted"] = True
            self._save(before)
            return e["version"]

    def get_config(self, s, default_to_global):
        with self.lock:
            if s is None:
                return {"compatibilityLevel": self._level(None)}
            if s in self.data["config"]:
                return {"compatibilityLevel": self.data["config"][s]}
            if default_to_global:
                return {"compatibilityLevel": self._level(None)}
            raise ApiError(404, 40408, f"Subject '{s}' does not have subject-level compatibility "
                           "configured")

    def set_config(self, s, body):
        level = body.get("compatibility", body.get("compatibilityLevel")) \
            if isinstance(body, dict) else None
        if not isinstance(level, str) or level.upper() not in LEVELS:
            raise invalid_level()
        level = level.upper()
        with self.lock:
            before = self._change()
            if s is None:
                self.data["global"] = level
            else:
                self.data["config"][s] = level
            self._save(before)
            return {"compatibility": level}

    def delete_config(self, s):
        with self.lock:
            before = self._change()
            if s is None:
                old = self._level(None)
                self.data["global"] = None
            elif s in self.data["config"]:
                old = self.data["config"].pop(s)
            else:
                raise subject_not_found(s)
            self._save(before)
            return {"compatibilityLevel": old}

    def test_compatibility(self, s, v, body, verbose):
        """v: an int, "latest", or None (all the versions the subject's level checks)."""
        parsed, _, _ = parse_schema(body)
        with self.lock:
            live = self._versions(s)
            level = self._level(s)
            if v is None or (v == "latest" and not live):
                olds = live
            else:
                olds = [self._version(s, v)]
                if level.endswith("_TRANSITIVE"):
                    level = level[: -len("_TRANSITIVE")]
            details = self._problems(s, level, parsed, olds)
        out = {"is_compatible": not details}
        if verbose:
            out["messages"] = details
        return out


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: every answer has a Content-Length
    server_version = "vaksin-test-schema-registry"
    timeout = 120  # an idle keep-alive connection is closed after this

    def setup(self):
        ctx = self.server.tls
        if ctx is not None:
            self.request.settimeout(10)
            self.request = ctx.wrap_socket(self.request, server_side=True)
        super().setup()

    # One line per request, "METHOD PATH STATUS", and nothing else of the library's logging.
    def log_request(self, code="-", size="-"):
        path = urlsplit(self.path).path if getattr(self, "path", None) else "-"
        sys.stderr.write(f"{self.command or '-'} {path} {int(code)}\n")
        sys.stderr.flush()

    def log_message(self, fmt, *args):
        pass

    def answer(self, status, obj, extra_headers=()):
        body = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", CONTENT_TYPE)
        self.send_header("Content-Length", str(len(body)))
        for k, v in extra_headers:
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def error(self, status, code, message, extra_headers=()):
        self.answer(status, {"error_code": code, "message": message}, extra_headers)

    def do_GET(self):
        self.handle_api("GET")

    def do_POST(self):
        self.handle_api("POST")

    def do_PUT(self):
        self.handle_api("PUT")

    def do_DELETE(self):
        self.handle_api("DELETE")

    def read_body(self):
        n = int(self.headers.get("Content-Length") or 0)
        if n < 0 or n > MAX_BODY:
            self.close_connection = True
            raise ApiError(413, 413, "Request body too large")
        return self.rfile.read(n) if n else b""

    def authorised(self):
        want = self.server.credentials
        if want is None:
            return True
        got = self.headers.get("Authorization", "")
        if not got.lower().startswith("basic "):
            return False
        try:
            cred = base64.b64decode(got[6:].strip(), validate=True)
        except ValueError:
            return False
        return hmac.compare_digest(cred, want)

    def handle_api(self, method):
        try:
            if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                self.close_connection = True
                raise ApiError(411, 411, "Length Required: chunked bodies are not supported")
            raw = self.read_body()
            if not self.authorised():
                self.error(401, 401, "Unauthorized",
                           [("WWW-Authenticate", 'Basic realm="SchemaRegistry"')])
                return
            url = urlsplit(self.path)
            query = parse_qs(url.query)
            parts = [unquote(p) for p in url.path.split("/") if p]
            body = None
            if method in ("POST", "PUT"):
                ctype = self.headers.get("Content-Type", "").split(";")[0].strip().lower()
                if ctype and ctype not in BODY_TYPES:
                    raise ApiError(415, 415, "HTTP 415 Unsupported Media Type")
                try:
                    body = json.loads(raw) if raw.strip() else None
                except ValueError as e:
                    raise ApiError(400, 400, f"Bad Request: the body is not JSON ({e})")
            status, result = self.route(method, parts, query, body)
            if isinstance(result, RawSchema):
                data = result.text.encode()
                self.send_response(status)
                self.send_header("Content-Type", CONTENT_TYPE)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            else:
                self.answer(status, result)
        except ApiError as e:
            self.error(e.status, e.code, e.message)
        except Exception as e:  # a bug here: answer 500 and say so in the log
            sys.stderr.write(f"internal error: {e!r}\n")
            self.error(500, 500, f"Internal Server Error: {e}")

    def route(self, method, p, q, body):
        reg = self.server.registry
        n = len(p)

        def allow(*methods):
            if method not in methods:
                raise ApiError(405, 405, "HTTP 405 Method Not Allowed")

        if n == 0:
            allow("GET")
            return 200, {}
        head = p[0]
        if head == "schemas" and n == 2 and p[1] == "types":
            allow("GET")
            return 200, ["AVRO"]
        if head == "schemas" and n >= 3 and p[1] == "ids" and re.fullmatch(r"[0-9]{1,10}", p[2]):
            sid = int(p[2])
            if n == 3:
                allow("GET")
                return 200, {"schema": reg.schema_by_id(sid)}
            if n == 4 and p[3] == "schema":
                allow("GET")
                return 200, RawSchema(reg.schema_by_id(sid))
            if n == 4 and p[3] == "versions":
                allow("GET")
                return 200, reg.id_versions(sid, flag(q, "deleted"))
            if n == 4 and p[3] == "subjects":
                allow("GET")
                return 200, sorted({e["subject"] for e in reg.id_versions(sid, flag(q, "deleted"))})
        if head == "subjects":
            if n == 1:
                allow("GET")
                return 200, reg.subjects(flag(q, "deleted"), q.get("subjectPrefix", [""])[-1])
            s = p[1]
            if n == 2:
                allow("POST", "DELETE")
                if method == "POST":
                    return 200, reg.lookup(s, body, flag(q, "deleted"))
                return 200, reg.delete_subject(s, flag(q, "permanent"))
            if n == 3 and p[2] == "versions":
                allow("GET", "POST")
                if method == "GET":
                    return 200, reg.versions(s, flag(q, "deleted"))
                return 200, reg.register(s, body)
            if n in (4, 5) and p[2] == "versions":
                v = parse_version(p[3])
                if n == 4:
                    allow("GET", "DELETE")
                    if method == "GET":
                        return 200, reg.get_version(s, v, flag(q, "deleted"))
                    return 200, reg.delete_version(s, v, flag(q, "permanent"))
                if p[4] == "schema":
                    allow("GET")
                    return 200, RawSchema(reg.get_version(s, v, flag(q, "deleted"))["schema"])
        if head == "config" and n <= 2:
            s = p[1] if n == 2 else None
            allow("GET", "PUT", "DELETE")
            if method == "GET":
                return 200, reg.get_config(s, flag(q, "defaultToGlobal"))
            if method == "PUT":
                return 200, reg.set_config(s, body)
            return 200, reg.delete_config(s)
        if head == "compatibility" and n in (4, 5) and p[1] == "subjects" and p[3] == "versions":
            allow("POST")
            v = parse_version(p[4]) if n == 5 else None
            return 200, reg.test_compatibility(p[2], v, body, flag(q, "verbose"))
        if head == "mode" and n == 1:
            allow("GET")
            return 200, {"mode": "READWRITE"}
        raise ApiError(404, 404, "HTTP 404 Not Found")


class RawSchema:
    """An answer that is the schema text itself (.../schema endpoints)."""

    def __init__(self, text):
        self.text = text


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request, client_address):
        # A client that went away or failed the TLS handshake: one line, no traceback.
        e = sys.exc_info()[1]
        sys.stderr.write(f"connection from {client_address[0]}: {type(e).__name__}: {e}\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--listen", default="127.0.0.1:0")
    ap.add_argument("--url-file")
    ap.add_argument("--store")
    ap.add_argument("--user-file")
    ap.add_argument("--compatibility", default="BACKWARD")
    ap.add_argument("--tls-cert")
    ap.add_argument("--tls-key")
    ap.add_argument("--tls-client-ca")
    a = ap.parse_args()
    if a.compatibility.upper() not in LEVELS:
        ap.error(f"--compatibility: one of {', '.join(LEVELS)}")
    if bool(a.tls_cert) != bool(a.tls_key) or (a.tls_client_ca and not a.tls_cert):
        ap.error("--tls-cert and --tls-key go together; --tls-client-ca needs them")
    host, _, port = a.listen.rpartition(":")
    host = host.strip("[]") or "127.0.0.1"

    class S(Server):
        address_family = socket.AF_INET6 if ":" in host else socket.AF_INET

    try:
        registry = Registry(a.store, a.compatibility.upper())
    except (OSError, ValueError, KeyError) as e:
        sys.exit(f"schema_registry: cannot load the store {a.store}: {e}")
    httpd = S((host, int(port)), Handler)
    httpd.registry = registry
    httpd.credentials = None
    if a.user_file:
        with open(a.user_file, "rb") as f:
            httpd.credentials = f.read().strip()
        if b":" not in httpd.credentials:
            sys.exit(f"schema_registry: {a.user_file} must hold user:password")
    httpd.tls = None
    if a.tls_cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(a.tls_cert, a.tls_key)
        if a.tls_client_ca:
            ctx.verify_mode = ssl.CERT_REQUIRED
            ctx.load_verify_locations(a.tls_client_ca)
        httpd.tls = ctx
    scheme = "https" if httpd.tls else "http"
    shown = "127.0.0.1" if host in ("0.0.0.0", "") else (f"[{host}]" if ":" in host else host)
    url = f"{scheme}://{shown}:{httpd.server_address[1]}"

    def stop(signum, _frame):
        sys.stderr.write(f"schema registry: signal {signum}, stopping\n")
        threading.Thread(target=httpd.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    if a.url_file:
        with open(a.url_file + ".tmp", "w") as f:
            f.write(url + "\n")
        os.replace(a.url_file + ".tmp", a.url_file)
    sys.stderr.write(f"schema registry: listening on {url} (compatibility {registry._level(None)}"
                     f", {len(registry.data['schemas'])} schemas, store {a.store or 'none'})\n")
    sys.stderr.flush()
    httpd.serve_forever()
    httpd.server_close()
    sys.stderr.write("schema registry: stopped\n")


if __name__ == "__main__":
    main()
