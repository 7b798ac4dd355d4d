#!/usr/bin/env bash
# registry_client — vaksin's C client of the schema registry (lib/registry/vk_registry.c) with
# each of its options, against the development registry (test-servers/registry/
# schema_registry.py): plain registration (the id logged is the registry's), failover past a
# closed URL, schema.registry.auto.register=false (a lookup: 40401 on an unknown subject, no
# registration; found once registered), RecordNameStrategy, an incompatible schema (HTTP 409),
# basic auth (401 without or with wrong credentials, registered with the right ones from a
# mode-600 file, refused before any request for plain http to a non-loopback host), HTTPS with
# a CA made here by openssl (registered with schema.registry.ssl.ca.location, a prompt refusal
# naming schema.registry.ssl.* without it), mutual TLS, and a registry that is down at start
# (retried with backoff until it comes up).
#
# The driver is vaksin-submit on an empty input file: it registers the writer schema of its
# topic at start and then has nothing to send, so no broker is needed (kafka.bootstrap.servers
# points at a closed port) and neither is PostgreSQL: only the registry runs, in a run directory
# of this test's own (as registry_conformance.sh).
source "$(dirname "$0")/lib.sh"

command -v openssl >/dev/null || it_fail "openssl is missing: run scripts/deps"
command -v curl >/dev/null || it_fail "curl is missing: run scripts/deps"
: "${VK_BIN:?VK_BIN must point to the build bin/ folder}"
# Neither the test's curl nor the client may pick a CA from the machine's environment, and no
# VAKSIN_SCHEMA_REGISTRY_* variable may override the configuration given here.
unset REQUESTS_CA_BUNDLE CURL_CA_BUNDLE SSL_CERT_FILE SSL_CERT_DIR
while read -r v; do unset "$v"; done < <(compgen -e | grep '^VAKSIN_SCHEMA_REGISTRY_' || true)
IT_TMP=$(mktemp -d "/tmp/vaksin-it-$IT_NAME.XXXXXX")
export VAKSIN_RUN_DIR=$IT_TMP/run
export VAKSIN_BIN=$VK_BIN # only for the reaper's vk_stack_down
trap it_teardown EXIT
it__reaper
mkdir -p "$VAKSIN_RUN_DIR"
(umask 077 && echo "# written by $IT_NAME" >"$VAKSIN_RUN_DIR/vaksin.conf")
REG_LOG=$VAKSIN_RUN_DIR/logs/schema-registry.log
EMPTY=$IT_TMP/empty.jsonl
: >"$EMPTY"
started=$SECONDS

# submit NAME CONF TOPIC [-X key=value]... — vaksin-submit on the empty file, at most 20 s:
# stdout into $IT_TMP/NAME.out, its log (stderr) into $IT_TMP/NAME.log, exit status into RC.
submit() {
    local name=$1 conf=$2 topic=$3
    shift 3
    RC=0
    timeout 20 "$VK_BIN/vaksin-submit" --config "$conf" -X kafka.bootstrap.servers=127.0.0.1:1 \
        "$@" --topic "$topic" "$EMPTY" >"$IT_TMP/$name.out" 2>"$IT_TMP/$name.log" || RC=$?
    ((RC != 124)) || it_fail "$name: vaksin-submit still ran after 20 s: $(tail -n 3 "$IT_TMP/$name.log")"
}

# expect_registered NAME SUBJECT — the run NAME exited 0 with nothing sent and logged the
# registration under SUBJECT; sets ID to the id it logged.
expect_registered() {
    local name=$1 subject=$2 line
    ((RC == 0)) || it_fail "$name: exit $RC, expected 0: $(grep -v librdkafka "$IT_TMP/$name.log" | tail -n 3)"
    it_eq "$name: vaksin-submit's report" "read=0 sent=0 refused=0" "$(cat "$IT_TMP/$name.out")"
    line=$(grep -F 'msg="writer schema registered"' "$IT_TMP/$name.log" | grep -F " subject=$subject ") ||
        it_fail "$name: no \"writer schema registered\" under $subject in its log: $(tail -n 3 "$IT_TMP/$name.log")"
    [[ "$line" =~ \ id=([0-9]+)$ ]] || it_fail "$name: no id in: $line"
    ID=${BASH_REMATCH[1]}
}

# expect_refused NAME WORDS... — the run NAME exited non-zero (not by the timeout) and its log
# holds each of WORDS (fixed strings).
expect_refused() {
    local name=$1 w
    shift
    ((RC != 0)) || it_fail "$name: exit 0, expected a failure"
    for w in "$@"; do
        grep -q -F -- "$w" "$IT_TMP/$name.log" ||
            it_fail "$name: its log does not say \"$w\": $(tail -n 3 "$IT_TMP/$name.log")"
    done
}

# reg_get PATH [CURL ARGS...] — the registry's answer to GET PATH (the URL in effect).
reg_get() {
    local path=$1
    shift
    curl -sS --fail --max-time 5 "$@" "$(vk_registry_url)$path" || it_fail "GET $path failed"
}

# json_get KEY — a field of the JSON object on stdin.
json_get() { "$PY" -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }

# reg_requests — how many requests the registry has logged so far.
reg_requests() { grep -c -E '^(GET|POST|PUT|DELETE) /' "$REG_LOG" || true; }

# registry FUNCTION [ARGS...] — vk_registry_start/stop/restart, its words kept in stack.log.
registry() {
    "$@" >>"$IT_TMP/stack.log" 2>&1 || { tail -n 20 "$IT_TMP/stack.log" >&2; it_fail "$* failed"; }
}

conf() { # conf NAME [key=value]... — a config file of mode 600 holding the given lines
    (umask 077 && printf '%s\n' "# $1" "${@:2}" >"$IT_TMP/$1.conf")
    echo "$IT_TMP/$1.conf"
}

registry vk_registry_start
URL=$(vk_registry_url)
PORT=${URL##*:}
PLAIN=$(conf plain "schema.registry.url=$URL")

# --- 1. plain: registered, version 1, the id logged is the registry's
submit plain "$PLAIN" vaksin.ticket.requests
expect_registered plain vaksin.ticket.requests-value
latest=$(reg_get /subjects/vaksin.ticket.requests-value/versions/latest)
it_eq "1. version of vaksin.ticket.requests-value" 1 "$(json_get version <<<"$latest")"
it_eq "1. id logged by the client = the registry's id" "$(json_get id <<<"$latest")" "$ID"
TICKET_ID=$ID
grep -q -x 'POST /subjects/vaksin.ticket.requests-value/versions 200' "$REG_LOG" ||
    it_fail "1. the registry logged no POST /subjects/vaksin.ticket.requests-value/versions 200"
echo "ok [$IT_NAME]: 1. plain: TicketRequested registered under vaksin.ticket.requests-value, id $ID"

# --- 2. failover: a closed port first, then the registry
closed=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
submit failover "$PLAIN" vaksin.ticket.requests -X "schema.registry.url=http://127.0.0.1:$closed,$URL"
expect_registered failover vaksin.ticket.requests-value
it_eq "2. failover past http://127.0.0.1:$closed: the same id" "$TICKET_ID" "$ID"
RC=0
timeout 2 "$VK_BIN/vaksin-submit" --config "$PLAIN" -X kafka.bootstrap.servers=127.0.0.1:1 \
    -X "schema.registry.url=http://127.0.0.1:$closed" --topic vaksin.ticket.requests "$EMPTY" \
    >/dev/null 2>"$IT_TMP/closed_only.log" || RC=$?
it_eq "2. the closed URL alone: still waiting after 2 s (timeout's status)" 124 "$RC"
grep -q -F 'msg="schema registry unavailable' "$IT_TMP/closed_only.log" ||
    it_fail "2. the closed URL alone: no \"schema registry unavailable\" in the log"
echo "ok [$IT_NAME]: 2. failover: registered through the second URL (the first alone is unavailable)"

# --- 3. auto.register=false: a lookup, 40401 on a subject never registered, then found
n0=$(reg_requests)
submit lookup_missing "$PLAIN" vaksin.screening.requests -X schema.registry.auto.register=false
expect_refused lookup_missing 'msg="the schema registry refuses a writer schema"' \
    'looking up the schema under subject vaksin.screening.requests-value' 'HTTP 404 error_code 40401'
tail -n "+$((n0 + 1))" <(grep -E '^(GET|POST|PUT|DELETE) /' "$REG_LOG") >"$IT_TMP/lookup.requests"
it_eq "3. the lookup run's requests to the registry" "POST /subjects/vaksin.screening.requests-value 404" \
    "$(cat "$IT_TMP/lookup.requests")"
! grep -q 'POST /subjects/vaksin.screening.requests-value/versions' "$REG_LOG" ||
    it_fail "3. a client with auto.register=false registered a schema"
submit register_screening "$PLAIN" vaksin.screening.requests
expect_registered register_screening vaksin.screening.requests-value
screening_id=$ID
submit lookup_found "$PLAIN" vaksin.screening.requests -X schema.registry.auto.register=false
expect_registered lookup_found vaksin.screening.requests-value
it_eq "3. id looked up = id registered" "$screening_id" "$ID"
tail -n 1 <(grep -E '^(GET|POST|PUT|DELETE) /' "$REG_LOG") >"$IT_TMP/lookup.requests"
it_eq "3. the lookup run's request" "POST /subjects/vaksin.screening.requests-value 200" "$(cat "$IT_TMP/lookup.requests")"
it_eq "3. versions of vaksin.screening.requests-value" "[1]" \
    "$(reg_get /subjects/vaksin.screening.requests-value/versions | tr -d ' ')"
echo "ok [$IT_NAME]: 3. auto.register=false: 40401 and no registration; found (id $ID) once registered"

# --- 4. RecordNameStrategy: the subject is the record's full name
submit record_name "$PLAIN" vaksin.ticket.requests -X schema.registry.subject.name.strategy=RecordNameStrategy
expect_registered record_name vaksin.v1.TicketRequested
it_eq "4. the registry's id under vaksin.v1.TicketRequested" "$ID" \
    "$(reg_get /subjects/vaksin.v1.TicketRequested/versions/latest | json_get id)"
it_eq "4. the same schema has the same id under both subjects" "$TICKET_ID" "$ID"
echo "ok [$IT_NAME]: 4. RecordNameStrategy: registered under vaksin.v1.TicketRequested"

# --- 5. incompatible: an earlier VaccinationSubmitted whose nik is an int
old='{"type":"record","name":"VaccinationSubmitted","namespace":"vaksin.v1","fields":[{"name":"nik","type":"int"}]}'
body=$("$PY" -c 'import json,sys; print(json.dumps({"schema": sys.argv[1]}))' "$old")
curl -sS --fail --max-time 5 -X POST -H 'Content-Type: application/vnd.schemaregistry.v1+json' \
    --data "$body" "$URL/subjects/vaksin.vaccination.requests-value/versions" >/dev/null ||
    it_fail "5. curl could not register the old VaccinationSubmitted"
submit incompatible "$PLAIN" vaksin.vaccination.requests
expect_refused incompatible 'msg="the schema registry refuses a writer schema"' 'HTTP 409' 'incompatible'
it_eq "5. versions of vaksin.vaccination.requests-value" "[1]" \
    "$(reg_get /subjects/vaksin.vaccination.requests-value/versions | tr -d ' ')"
echo "ok [$IT_NAME]: 5. incompatible: HTTP 409, exit $RC"

# --- 6. basic auth
printf 'vaksin:s3cret\n' >"$IT_TMP/users"
registry vk_registry_restart --user-file "$IT_TMP/users"
it_eq "6. the registry asks for credentials (curl's HTTP code)" 401 \
    "$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$URL/subjects" || true)"
submit no_auth "$PLAIN" vaksin.ticket.requests
expect_refused no_auth 'HTTP 401' 'schema.registry.basic.auth.user.info'
echo "ok [$IT_NAME]: 6. no credentials: HTTP 401, exit $RC"
submit wrong_auth "$(conf wrong "schema.registry.url=$URL" schema.registry.basic.auth.user.info=vaksin:wrong)" \
    vaksin.ticket.requests
expect_refused wrong_auth 'HTTP 401' 'schema.registry.basic.auth.user.info'
echo "ok [$IT_NAME]: 6. wrong password: HTTP 401, exit $RC"
AUTH=$(conf auth "schema.registry.url=$URL" schema.registry.basic.auth.user.info=vaksin:s3cret)
it_eq "6. mode of the credentials file" 600 "$(stat -c %a "$AUTH")"
submit auth "$AUTH" vaksin.ticket.requests
expect_registered auth vaksin.ticket.requests-value
it_eq "6. with the right credentials: the same id" "$TICKET_ID" "$ID"
! grep -q -F 's3cret' "$IT_TMP/auth.log" || it_fail "6. the password is in the log"
n0=$(reg_requests)
submit secret_x "$PLAIN" vaksin.ticket.requests -X schema.registry.basic.auth.user.info=vaksin:s3cret
expect_refused secret_x 'refused: a secret on the command line'
cp "$AUTH" "$IT_TMP/shared.conf" && chmod 644 "$IT_TMP/shared.conf"
submit shared_file "$IT_TMP/shared.conf" vaksin.ticket.requests
expect_refused shared_file 'group or others may read it'
submit far_http "$AUTH" vaksin.ticket.requests -X schema.registry.url=http://10.1.2.3:8081
expect_refused far_http 'plain http:// is allowed only to a loopback address'
it_eq "6. requests logged by the registry, unchanged by the three refused runs" "$n0" "$(reg_requests)"
echo "ok [$IT_NAME]: 6. credentials: registered from a mode-600 file; refused on -X, in a 644 file, and for http://10.1.2.3 before any request"

# --- 7. TLS: a test CA, a server certificate for 127.0.0.1, a client certificate
tls=$IT_TMP/tls
it_test_certificates "$tls"
registry vk_registry_restart --tls-cert "$tls/server.pem" --tls-key "$tls/server.key"
SURL=$(vk_registry_url)
it_eq "7. HTTPS URL on the same port" "https://127.0.0.1:$PORT" "$SURL"
TLS=$(conf tls "schema.registry.url=$SURL")
submit tls "$TLS" vaksin.ticket.requests -X "schema.registry.ssl.ca.location=$tls/ca.pem"
expect_registered tls vaksin.ticket.requests-value
it_eq "7. over HTTPS with the test CA: the same id" "$TICKET_ID" "$ID"
t0=$SECONDS
submit tls_no_ca "$TLS" vaksin.ticket.requests
expect_refused tls_no_ca 'msg="the schema registry refuses a writer schema"' 'schema.registry.ssl'
((SECONDS - t0 < 10)) || it_fail "7. without the CA: $((SECONDS - t0)) s to give up, expected a prompt refusal"
! grep -q 'schema registry unavailable' "$IT_TMP/tls_no_ca.log" ||
    it_fail "7. without the CA: an untrusted certificate was retried as unavailable"
echo "ok [$IT_NAME]: 7. HTTPS: registered with ssl.ca.location; without it refused at once (exit $RC, $((SECONDS - t0)) s)"
registry vk_registry_restart --tls-cert "$tls/server.pem" --tls-key "$tls/server.key" --tls-client-ca "$tls/ca.pem"
submit mtls "$TLS" vaksin.ticket.requests -X "schema.registry.ssl.ca.location=$tls/ca.pem" \
    -X "schema.registry.ssl.certificate.location=$tls/client.pem" -X "schema.registry.ssl.key.location=$tls/client.key"
expect_registered mtls vaksin.ticket.requests-value
it_eq "7. mutual TLS with a client certificate: the same id" "$TICKET_ID" "$ID"
echo "ok [$IT_NAME]: 7. mutual TLS: registered with ssl.certificate.location and ssl.key.location"
submit mtls_no_cert "$TLS" vaksin.ticket.requests -X "schema.registry.ssl.ca.location=$tls/ca.pem"
expect_refused mtls_no_cert 'msg="the schema registry refuses a writer schema"' 'schema.registry.ssl'
echo "ok [$IT_NAME]: 7. mutual TLS without a client certificate: refused (exit $RC), not waited on"

# --- 8. the registry down at start: retried until it answers
registry vk_registry_stop
RC=0
timeout 40 "$VK_BIN/vaksin-submit" --config "$PLAIN" -X kafka.bootstrap.servers=127.0.0.1:1 \
    --topic vaksin.registration.requests "$EMPTY" >"$IT_TMP/down.out" 2>"$IT_TMP/down.log" &
down_pid=$!
it_wait_until "8. vaksin-submit says the registry is unavailable" 10 \
    grep -q -s -F 'msg="schema registry unavailable' "$IT_TMP/down.log"
kill -0 "$down_pid" 2>/dev/null || it_fail "8. vaksin-submit exited while the registry was down"
registry vk_registry_start
it_eq "8. the registry back on its URL" "$URL" "$(vk_registry_url)"
wait "$down_pid" || RC=$?
((RC != 124)) || it_fail "8. vaksin-submit did not register within 40 s of its start"
expect_registered down vaksin.registration.requests-value
it_eq "8. the registry's id under vaksin.registration.requests-value" "$ID" \
    "$(reg_get /subjects/vaksin.registration.requests-value/versions/latest | json_get id)"
echo "ok [$IT_NAME]: 8. registry down at start: $(grep -c -F 'msg="schema registry unavailable' "$IT_TMP/down.log") retries, then registered (id $ID), exit 0"

registry vk_registry_stop
echo "ok [$IT_NAME]: $(reg_requests) requests logged by the registry, $((SECONDS - started)) s"
