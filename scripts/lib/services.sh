# shellcheck shell=bash
#
# scripts/lib/services.sh — part of scripts/lib.sh (source that, not this file): the vaksin-*
# services, each in the background with a log and a pid file: vk_service_start/stop/restart/kill/
# running/pid/wait_exit/built, vk_services_start_all, vk_services_stop_all.

# ---------------------------------------------------------------------------------------------
# Services

# The services that serve /metrics (the stubs and the development broker do not).
VK_METRICS_SERVICES=(ticket registration screening vaccination verification lookup projector)

# vk_service_pid NAME — prints the pid of a running service; returns 1 when it does not run.
vk_service_pid() {
    local name
    vk__ctx
    name=$(vk__short "$1")
    vk__pidfile_pid "$VK_RUN/pids/$name.pid" "$(vk__program "$name")"
}

# vk_service_running NAME
vk_service_running() { vk_service_pid "$1" >/dev/null; }

# vk_service_built NAME — is $VAKSIN_BIN/vaksin-NAME there?
vk_service_built() { vk__ctx; [[ -x "$VK_BIN_DIR/$(vk__program "$(vk__short "$1")")" ]]; }

# vk_service_start NAME [ARGS...] — starts vaksin-NAME with --config $RUN/vaksin.conf, the
# environment of $RUN/stack.env and any extra ARGS (e.g. -X key=value), log in
# $RUN/logs/NAME.log (appended), pid in $RUN/pids/NAME.pid. Fails when it is not built, already
# runs, or exits within VAKSIN_START_GRACE seconds (default 0.5; its log tail is shown then).
vk_service_start() {
    local name bin pid port="" metrics=()
    vk__ctx
    name=$(vk__short "${1:?usage: vk_service_start NAME [ARGS...]}")
    shift
    bin=$VK_BIN_DIR/$(vk__program "$name")
    [[ -x "$bin" ]] || { vk_err "$bin is not built"; return 1; }
    [[ -f "$VK_RUN/stack.env" ]] || { vk_err "no $VK_RUN/stack.env: bring the stack up first"; return 1; }
    if pid=$(vk_service_pid "$name"); then
        vk_err "vaksin-$name already runs (pid $pid)"
        return 1
    fi
    mkdir -p "$VK_RUN/logs" "$VK_RUN/pids" "$VK_RUN/metrics" || return 1
    # Every service serves /metrics on a port of its own (metrics.listen), listed for Prometheus
    # in $RUN/prometheus/targets.json (file-based discovery).
    if [[ " ${VK_METRICS_SERVICES[*]} " == *" $name "* ]]; then
        port=$(vk__pick_port "$VK_RUN/metrics/$name" 19000) || return 1
        metrics=(-X "metrics.listen=127.0.0.1:$port")
    fi
    vk__spawn "$VK_RUN/pids/$name.pid" "$VK_RUN/logs/$name.log" "$VK_RUN/stack.env" \
        "$bin" --config "$VK_RUN/vaksin.conf" "${metrics[@]}" "$@" || return 1
    sleep "${VAKSIN_START_GRACE:-0.5}"
    if ! vk_service_running "$name"; then
        vk_err "vaksin-$name exited right after starting"
        vk__tail_log "$VK_RUN/logs/$name.log"
        return 1
    fi
    if [[ -n "$port" ]]; then
        printf '%s\n' "$port" >"$VK_RUN/metrics/$name.port"
        vk__write_targets
    fi
}

# vk_service_metrics_url NAME — http://127.0.0.1:PORT of a running service's /metrics endpoint.
vk_service_metrics_url() {
    local name
    vk__ctx
    name=$(vk__short "$1")
    [[ -f "$VK_RUN/metrics/$name.port" ]] || { vk_err "vaksin-$name serves no metrics"; return 1; }
    printf 'http://127.0.0.1:%s' "$(cat "$VK_RUN/metrics/$name.port")"
}

# Rewrites $RUN/prometheus/targets.json: one target per running service with a metrics port,
# labelled service=vaksin-NAME (Prometheus's file_sd_configs re-reads it on change).
vk__write_targets() {
    local f name sep='' out
    mkdir -p "$VK_RUN/prometheus" || return 1
    out="["
    for f in "$VK_RUN"/metrics/*.port; do
        [[ -f "$f" ]] || continue
        name=$(basename "$f" .port)
        vk_service_running "$name" || continue
        out+="$sep{\"targets\":[\"127.0.0.1:$(cat "$f")\"],\"labels\":{\"service\":\"vaksin-$name\"}}"
        sep=","
    done
    printf '%s]\n' "$out" >"$VK_RUN/prometheus/targets.json.tmp" &&
        mv "$VK_RUN/prometheus/targets.json.tmp" "$VK_RUN/prometheus/targets.json"
}

# vk_service_stop NAME [SECONDS] — SIGTERM, wait (default 15 s), then SIGKILL.
vk_service_stop() {
    local name pid
    vk__ctx
    name=$(vk__short "${1:?usage: vk_service_stop NAME [SECONDS]}")
    if pid=$(vk_service_pid "$name"); then
        vk__stop_pid "$pid" "$(vk__program "$name")" "${2:-15}" || return 1
    fi
    rm -f "$VK_RUN/pids/$name.pid"
    if [[ -f "$VK_RUN/metrics/$name.port" ]]; then
        rm -f "$VK_RUN/metrics/$name.port"
        vk__write_targets
    fi
}

# vk_service_kill NAME SIGNAL — sends SIGNAL (KILL, TERM, STOP, CONT, ...) to a running service.
# After KILL it waits until the process is gone, so a restart cannot overlap it.
vk_service_kill() {
    local name sig pid
    vk__ctx
    name=$(vk__short "${1:?usage: vk_service_kill NAME SIGNAL}")
    sig=${2:?usage: vk_service_kill NAME SIGNAL}
    sig=${sig#SIG}
    pid=$(vk_service_pid "$name") || { vk_err "vaksin-$name does not run"; return 1; }
    kill -s "$sig" "$pid" || return 1
    if [[ "$sig" == KILL || "$sig" == 9 ]]; then
        vk__wait_gone "$pid" "$(vk__program "$name")" 10 || { vk_err "vaksin-$name survived SIGKILL"; return 1; }
    fi
}

# vk_service_wait_exit NAME SECONDS — waits for a service to exit by itself. 0 when it did.
vk_service_wait_exit() {
    local name pid
    vk__ctx
    name=$(vk__short "$1")
    pid=$(vk_service_pid "$name") || return 0
    vk__wait_gone "$pid" "$(vk__program "$name")" "${2:-15}"
}

# vk_service_restart NAME [ARGS...] — stop (as vk_service_stop) and start again.
vk_service_restart() {
    local name
    name=$(vk__short "${1:?usage: vk_service_restart NAME [ARGS...]}")
    shift
    vk_service_stop "$name" || return 1
    vk_service_start "$name" "$@"
}

# vk_services_start_all — starts every service of VK_SERVICES that is built.
vk_services_start_all() {
    local name rc=0 started=()
    vk__ctx
    for name in "${VK_SERVICES[@]}"; do
        if ! vk_service_built "$name"; then
            vk_log "vaksin-$name not built: skipped"
            continue
        fi
        if vk_service_start "$name"; then
            started+=("$name")
        else
            rc=1
        fi
    done
    ((${#started[@]})) && vk_log "services: ${started[*]}"
    return $rc
}

# Stops every program with a pid file except the broker, all at once: SIGTERM to all, a shared
# deadline of SECONDS, then SIGKILL to what is left.
vk_services_stop_all() {
    local seconds=${1:-15} f name pid i pids=() names=() left
    vk__ctx
    [[ -d "$VK_RUN/pids" ]] || return 0
    for f in "$VK_RUN"/pids/*.pid; do
        [[ -e "$f" ]] || continue
        name=$(basename "$f" .pid)
        [[ "$name" == devbroker || "$name" == kafka ]] && continue
        if pid=$(vk__pidfile_pid "$f" "$(vk__program "$name")"); then
            kill -TERM "$pid" 2>/dev/null
            pids+=("$pid")
            names+=("$name")
        else
            rm -f "$f"
        fi
    done
    ((${#pids[@]})) || return 0
    vk_log "stopping ${names[*]}"
    for ((i = 0; i < seconds * 10; i++)); do
        left=0
        for f in "${!pids[@]}"; do
            vk__pid_alive "${pids[$f]}" "$(vk__program "${names[$f]}")" && left=1
        done
        ((left)) || break
        sleep 0.1
    done
    for f in "${!pids[@]}"; do
        if vk__pid_alive "${pids[$f]}" "$(vk__program "${names[$f]}")"; then
            vk_log "${names[$f]} still running after ${seconds}s: SIGKILL"
            kill -KILL "${pids[$f]}" 2>/dev/null
            vk__wait_gone "${pids[$f]}" "$(vk__program "${names[$f]}")" 5
        fi
        rm -f "$VK_RUN/pids/${names[$f]}.pid"
    done
}
