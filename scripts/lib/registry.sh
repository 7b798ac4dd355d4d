# shellcheck shell=bash
#
# scripts/lib/registry.sh — part of scripts/lib.sh (source that, not this file): the local
# Confluent-compatible schema registry for development and tests (test-servers/registry/
# schema_registry.py, run by the test clients' Python, vk_pyenv): vk_registry_start,
# vk_registry_stop, vk_registry_restart, vk_registry_url.

# ---------------------------------------------------------------------------------------------
# Schema registry (stack service "schema-registry")

# vk_registry_start [ARGS...] — starts the registry as service schema-registry (log
# $RUN/logs/schema-registry.log, pid $RUN/pids/schema-registry.pid) with its store in
# $RUN/schema-registry/store.json, so a restart keeps ids and versions. It listens on the port it
# had before (its url file, $RUN/schema-registry.url), else on a free one; once the URL is there
# and GET /subjects answers, the URL goes into vaksin.conf as schema.registry.url (when the run
# directory has a vaksin.conf). Extra ARGS go to the registry: --user-file F (basic auth),
# --tls-cert F --tls-key F [--tls-client-ca F], --compatibility LEVEL.
vk_registry_start() {
    local py pid url_file listen=127.0.0.1:0 url i code probe=(curl -s -o /dev/null -w '%{http_code}') a
    vk__ctx
    if pid=$(vk_service_pid schema-registry); then
        vk_err "schema-registry already runs (pid $pid)"
        return 1
    fi
    py=$(vk_pyenv) || return 1
    mkdir -p "$VK_RUN/logs" "$VK_RUN/pids" "$VK_RUN/schema-registry" || return 1
    url_file=$VK_RUN/schema-registry.url
    if [[ -s "$url_file" ]]; then
        listen=127.0.0.1:$(sed -E 's|.*:([0-9]+).*|\1|' "$url_file")
    fi
    rm -f "$url_file.new"
    vk__spawn "$VK_RUN/pids/schema-registry.pid" "$VK_RUN/logs/schema-registry.log" "" \
        "$py" "$VK_SRC/test-servers/registry/schema_registry.py" --listen "$listen" \
        --url-file "$url_file.new" --store "$VK_RUN/schema-registry/store.json" "$@" || return 1
    for ((i = 0; i < 150; i++)); do
        [[ -s "$url_file.new" ]] && break
        vk_service_running schema-registry || break
        sleep 0.1
    done
    if [[ ! -s "$url_file.new" ]]; then
        vk_err "schema-registry wrote no address"
        vk__tail_log "$VK_RUN/logs/schema-registry.log"
        vk_service_stop schema-registry 5
        return 1
    fi
    mv "$url_file.new" "$url_file" || return 1
    url=$(head -n1 "$url_file")
    # Any HTTP answer (401 included) means it serves. TLS: its certificate is not checked here;
    # when it asks for a client certificate, a handshake that the server refuses (curl: 000
    # after connecting) is all this probe can get, so an accepted connection is enough then.
    [[ "$url" == https:* ]] && probe+=(-k)
    for a in "$@"; do [[ "$a" == --tls-client-ca* ]] && probe=(); done
    for ((i = 0; i < 100; i++)); do
        if ((${#probe[@]})); then
            code=$("${probe[@]}" --max-time 2 "$url/subjects" 2>/dev/null) || true
            [[ "$code" =~ ^[1-5][0-9][0-9]$ ]] && break
        elif (exec 3<>"/dev/tcp/127.0.0.1/${url##*:}") 2>/dev/null; then
            break
        fi
        vk_service_running schema-registry || break
        sleep 0.1
    done
    if ((i == 100)) || ! vk_service_running schema-registry; then
        vk_err "schema-registry does not answer on $url"
        vk__tail_log "$VK_RUN/logs/schema-registry.log"
        vk_service_stop schema-registry 5
        return 1
    fi
    if [[ -f "$VK_RUN/vaksin.conf" ]]; then
        vk_conf_set schema.registry.url "$url" || return 1
    fi
    vk_log "schema registry: $url"
}

# vk_registry_stop — SIGTERM (SIGKILL after 15 s). The registry gone is "down" for a test; its
# url file and store stay, for vk_registry_start to come back on the same port with the same ids.
vk_registry_stop() { vk_service_stop schema-registry; }

# vk_registry_restart [ARGS...] — stop, then start on the same port with the same store (ARGS
# as vk_registry_start: a restart may change them, e.g. turn on basic auth or TLS).
vk_registry_restart() {
    vk_registry_stop || return 1
    vk_registry_start "$@"
}

# vk_registry_url — prints the registry's URL (http://127.0.0.1:PORT or https://...).
vk_registry_url() {
    vk__ctx
    [[ -s "$VK_RUN/schema-registry.url" ]] || { vk_err "no schema registry was started in $VK_RUN"; return 1; }
    head -n1 "$VK_RUN/schema-registry.url"
}
