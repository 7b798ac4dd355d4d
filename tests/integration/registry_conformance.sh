#!/usr/bin/env bash
# registry_conformance — the test schema registry (test-servers/registry/schema_registry.py)
# answers as the Confluent Schema Registry API reference says, checked with Confluent's own Python
# client (tests/clients/registry_conformance.py): ids shared across subjects, idempotent
# registration, versions and latest, the 404/409/422 error codes, BACKWARD (the default),
# BACKWARD_TRANSITIVE, NONE and FULL by Avro's own compatibility checker, the Avro serializer and
# deserializer round trip (the schema fetched once, counted in the registry's request log),
# deletes; then, restarted through scripts/lib/registry.sh on the same port and store: the same
# ids and versions, basic auth, HTTPS with a test CA made here by openssl, and a client
# certificate required. Also: vaksin.conf gets schema.registry.url, vk_stack_status shows the
# registry, SIGTERM stops it cleanly, and vk_stack_down stops it.
#
# Needs no broker and no PostgreSQL: it only starts the registry, in a run directory of its own.
source "$(dirname "$0")/lib.sh"

command -v openssl >/dev/null || it_fail "openssl is missing: run scripts/deps"
command -v curl >/dev/null || it_fail "curl is missing: run scripts/deps"
IT_TMP=$(mktemp -d "/tmp/vaksin-it-$IT_NAME.XXXXXX")
export VAKSIN_RUN_DIR=$IT_TMP/run
export VAKSIN_BIN=${VK_BIN:-$VK_SRC/build/bin} # only for the reaper's vk_stack_down
trap it_teardown EXIT
it__reaper
mkdir -p "$VAKSIN_RUN_DIR"
(umask 077 && echo "# written by $IT_NAME" >"$VAKSIN_RUN_DIR/vaksin.conf")
py=$(vk_pyenv) || it_fail "no Python test environment"
# requests (under Confluent's client) lets REQUESTS_CA_BUNDLE or CURL_CA_BUNDLE, when set, win
# over a session's own CA file (requests issue 3829), i.e. over ssl.ca.location: not here.
check=(env -u REQUESTS_CA_BUNDLE -u CURL_CA_BUNDLE "$py" "$VK_SRC/tests/clients/registry_conformance.py")
LOG=$VAKSIN_RUN_DIR/logs/schema-registry.log
started=$SECONDS

# One stop: the registry is gone, after a clean exit of its own (no SIGKILL needed).
stop_registry() {
    local pid stops
    pid=$(vk_service_pid schema-registry) || it_fail "the registry does not run"
    stops=$(grep -c '^schema registry: stopped$' "$LOG" || true)
    vk_registry_stop || it_fail "vk_registry_stop failed"
    ! kill -0 "$pid" 2>/dev/null || it_fail "pid $pid still there after vk_registry_stop"
    it_eq "the registry exited on SIGTERM by itself" "$((stops + 1))" \
        "$(grep -c '^schema registry: stopped$' "$LOG")"
    ! grep -q 'SIGKILL' "$LOG" || it_fail "the registry needed SIGKILL"
}

# --- plain HTTP: the API
vk_registry_start || it_fail "vk_registry_start failed"
url=$(vk_registry_url)
[[ "$url" =~ ^http://127\.0\.0\.1:[0-9]+$ ]] || it_fail "registry URL: $url"
it_eq "schema.registry.url in vaksin.conf" "schema.registry.url=$url" \
    "$(grep '^schema\.registry\.url=' "$VAKSIN_RUN_DIR/vaksin.conf")"
status=$(vk_stack_status 2>/dev/null || true)
grep -q -E "^registry: +running \(pid [0-9]+, $url\)$" <<<"$status" ||
    it_fail "vk_stack_status does not show the registry running: $status"
echo "ok [$IT_NAME]: vk_stack_status shows it running at $url"
"${check[@]}" main "$url" "$LOG" "$IT_TMP/state.json" || it_fail "the API checks failed"

# --- down, then back on the same port and store
stop_registry
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$url/subjects" || true)
it_eq "a stopped registry does not answer (curl's HTTP code)" "000" "$code"
grep -q -E '^registry: +stopped$' <<<"$(vk_stack_status 2>/dev/null || true)" ||
    it_fail "vk_stack_status does not show the registry stopped"
vk_registry_start || it_fail "restart failed"
it_eq "same URL (port) after a restart" "$url" "$(vk_registry_url)"
"${check[@]}" persist "$url" "$IT_TMP/state.json" || it_fail "the persistence checks failed"

# --- basic auth
printf 'vk-tester:%s\n' "$(openssl rand -hex 12)" >"$IT_TMP/users"
vk_registry_restart --user-file "$IT_TMP/users" || it_fail "restart with --user-file failed"
"${check[@]}" auth "$url" "$(head -n1 "$IT_TMP/users")" || it_fail "the basic auth checks failed"

# --- TLS: a test CA, a server certificate for 127.0.0.1, a client certificate
tls=$IT_TMP/tls
it_test_certificates "$tls"
vk_registry_restart --tls-cert "$tls/server.pem" --tls-key "$tls/server.key" || it_fail "restart with TLS failed"
surl=$(vk_registry_url)
it_eq "HTTPS URL on the same port" "https://${url#http://}" "$surl"
it_eq "vaksin.conf follows" "schema.registry.url=$surl" "$(grep '^schema\.registry\.url=' "$VAKSIN_RUN_DIR/vaksin.conf")"
"${check[@]}" tls "$surl" "$tls/ca.pem" || it_fail "the TLS checks failed"
vk_registry_restart --tls-cert "$tls/server.pem" --tls-key "$tls/server.key" --tls-client-ca "$tls/ca.pem" ||
    it_fail "restart with a client CA failed"
"${check[@]}" tls-client "$surl" "$tls/ca.pem" "$tls/client.pem" "$tls/client.key" ||
    it_fail "the client certificate checks failed"

# --- the stack's teardown stops it too
pid=$(vk_service_pid schema-registry) || it_fail "the registry does not run"
vk_stack_down || it_fail "vk_stack_down failed"
! kill -0 "$pid" 2>/dev/null || it_fail "vk_stack_down left the registry running (pid $pid)"
echo "ok [$IT_NAME]: vk_stack_down stopped the registry"
echo "ok [$IT_NAME]: $(grep -c -E '^(GET|POST|PUT|DELETE) /' "$LOG") requests logged, $((SECONDS - started)) s"
