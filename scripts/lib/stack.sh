# shellcheck shell=bash
#
# scripts/lib/stack.sh — part of scripts/lib.sh (source that, not this file): the whole stack
# (PostgreSQL, the broker, the schema registry when asked for, the stubs and the services) with
# its vaksin.conf and stack.env:
# vk_stack_up_infra, vk_stack_up, vk_stack_down, vk_stack_destroy, vk_stack_status.

# ---------------------------------------------------------------------------------------------
# The stack

# Writes $RUN/vaksin.conf (mode 600) from config/vaksin.conf.example with a fresh random
# ticket.secret and absolute facilities.file and vaccines.file.
vk__write_conf() {
    local secret conf=$VK_RUN/vaksin.conf
    if command -v openssl >/dev/null 2>&1; then
        secret=$(openssl rand -hex 32) || return 1
    else
        secret=$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n') || return 1
    fi
    [[ ${#secret} == 64 ]] || { vk_err "could not make a ticket secret"; return 1; }
    rm -f "$conf"
    (
        umask 077
        sed -e "s|^ticket\.secret=.*|ticket.secret=$secret|" \
            -e "s|^facilities\.file=.*|facilities.file=$VK_SRC/config/facilities.csv|" \
            -e "s|^vaccines\.file=.*|vaccines.file=$VK_SRC/config/vaccines.csv|" \
            "$VK_SRC/config/vaksin.conf.example" >"$conf"
        if [[ "$(vk__broker_kind)" == mock ]]; then
            # The development broker (librdkafka's mock cluster) holds a fetch that finds no
            # data for the whole fetch.wait.max.ms, even when data arrives meanwhile; a real
            # broker answers as soon as it has data. 10 ms instead of the services' 50 ms takes
            # about 40 ms off a desk request's two hops there (bench/desk_latency.sh: p50 95 ->
            # 57 ms at 1,000/s). It also stores no transactional offset commit, so the services
            # commit their offsets a second time, outside the transaction, to resume after a
            # restart (commit.after.txn, see lib/kafka/vk_service.h). Neither belongs in a real
            # cluster's configuration.
            printf '%s\n' "# Development broker (VAKSIN_BROKER=mock) only, see scripts/lib.sh vk__write_conf:" \
                "kafka.consumer.fetch.wait.max.ms=10" "commit.after.txn=true" >>"$conf"
        fi
        # Development credentials the stubs check and vaksin-lookup sends (never real ones).
        secret=$(od -An -N48 -tx1 /dev/urandom | tr -d ' \n')
        printf '%s\n' "jkn.cons_id=dev-${secret:0:6}" "jkn.secret=${secret:6:32}" \
            "jkn.user_key=${secret:38:32}" "dukcapil.user_id=vaksin-dev" \
            "dukcapil.password=${secret:70:24}" "dukcapil.ip_user=127.0.0.1" >>"$conf"
    ) || return 1
    chmod 600 "$conf"
}

vk__write_env() {
    local conninfo=$1 bootstrap
    bootstrap=$(head -n1 "$VK_RUN/bootstrap")
    {
        echo "# vaksin development stack — written by scripts/stack on $(date '+%F %T')."
        echo "# Source it:  . $VK_RUN/stack.env    (config file: $VK_RUN/vaksin.conf)"
        echo "export VAKSIN_BOOTSTRAP=$(vk__shq "$bootstrap")"
        echo "export VAKSIN_PG=$(vk__shq "$conninfo")"
        echo "export VAKSIN_RUN_DIR=$(vk__shq "$VK_RUN")"
        echo "export VAKSIN_BIN=$(vk__shq "$VK_BIN_DIR")"
        # The tools read what the services write: with the registry's framing.
        if [[ -s "$VK_RUN/schema-registry.url" ]]; then
            echo "export VAKSIN_SCHEMA_REGISTRY_URL=$(vk__shq "$(head -n1 "$VK_RUN/schema-registry.url")")"
        else # not one a previous stack exported into the shell that sources this
            echo "unset VAKSIN_SCHEMA_REGISTRY_URL"
        fi
    } >"$VK_RUN/stack.env.tmp" && mv "$VK_RUN/stack.env.tmp" "$VK_RUN/stack.env"
}

# vk_stack_up_infra — brings a running stack down, then starts a fresh PostgreSQL ($RUN/pg) and
# the broker, writes $RUN/vaksin.conf and $RUN/stack.env, and exports its variables into the
# calling shell. With VAKSIN_SCHEMA_REGISTRY=local it also starts a fresh test schema registry
# (vk_registry_start: schema.registry.url in vaksin.conf). Does not build (see vk_build) and
# starts no service.
vk_stack_up_infra() {
    local conninfo
    vk__ctx
    vk_stack_down || return 1
    mkdir -p "$VK_RUN/logs" "$VK_RUN/pids" || return 1
    # The logs of the previous stack stay one round, in logs/previous/.
    if compgen -G "$VK_RUN/logs/*.log" >/dev/null; then
        rm -rf "$VK_RUN/logs/previous" && mkdir "$VK_RUN/logs/previous" &&
            mv "$VK_RUN"/logs/*.log "$VK_RUN/logs/previous/" || return 1
    fi
    vk_pg_destroy "$VK_RUN/pg" || return 1
    # A fresh broker has no record that names a schema id: the registry starts empty too.
    rm -rf "$VK_RUN/people" "$VK_RUN"/stub-*.url "$VK_RUN/kafka" "$VK_RUN/schema-registry" \
        "$VK_RUN/schema-registry.url" || return 1
    conninfo=$(vk_pg_start "$VK_RUN/pg") || return 1
    vk_log "postgresql: $conninfo"
    vk_broker_start "${VK_BROKER_ARGS[@]}" || return 1
    vk_log "broker: $(vk__broker_name) on $(head -n1 "$VK_RUN/bootstrap") (${VAKSIN_PARTITIONS:-16} partitions per topic)"
    vk__write_conf || return 1
    case "${VAKSIN_SCHEMA_REGISTRY:-}" in
    local) vk_registry_start || return 1 ;;
    "") ;;
    *) vk_err "VAKSIN_SCHEMA_REGISTRY=$VAKSIN_SCHEMA_REGISTRY: only 'local' (or unset) is known"; return 1 ;;
    esac
    vk__write_env "$conninfo" || return 1
    # shellcheck disable=SC1091
    . "$VK_RUN/stack.env"
}

# vk_stack_up [--infra] — vk_stack_up_infra, then (unless --infra) the JKN and Dukcapil stubs
# when no real endpoints are configured (vk_stubs_start), and every built service.
vk_stack_up() {
    vk_stack_up_infra || return 1
    [[ "${1:-}" == --infra ]] && return 0
    vk_stubs_start || return 1
    vk_services_start_all
}

# vk_stack_down — stops the services and the schema registry (all at once, 15 s grace), the
# broker and PostgreSQL.
# Leaves logs and the database directory in place; a no-op on a stack that is not running.
vk_stack_down() {
    local rc=0
    vk__ctx
    [[ -d "$VK_RUN" ]] || return 0
    vk_services_stop_all 15 || rc=1
    vk_broker_stop || rc=1
    vk_pg_stop "$VK_RUN/pg" || rc=1
    return $rc
}

# vk_stack_destroy — vk_stack_down, then deletes the PostgreSQL cluster (and its /tmp home when
# it has one). The run directory itself, with its logs, stays.
vk_stack_destroy() {
    vk__ctx
    vk_stack_down || return 1
    vk_pg_destroy "$VK_RUN/pg"
}

# vk_stack_status — prints each component and whether it runs, then stack.env. Returns 0 when
# PostgreSQL and the broker run, 3 otherwise.
vk_stack_status() {
    local name pid f rc=0 seen=" "
    vk__ctx
    echo "run directory: $VK_RUN"
    echo "programs:      $VK_BIN_DIR"
    vk_pg_status "$VK_RUN/pg" || rc=3
    if pid=$(vk_broker_pid); then
        printf '%-14s running (pid %s, %s)\n' "$(vk__broker_name):" "$pid" "$(head -n1 "$VK_RUN/bootstrap" 2>/dev/null)"
    else
        printf '%-14s stopped\n' "$(vk__broker_name):"
        rc=3
    fi
    for name in "${VK_SERVICES[@]}"; do
        seen+="$name "
        if pid=$(vk_service_pid "$name"); then
            printf '%-14s running (pid %s)\n' "$name:" "$pid"
        elif vk_service_built "$name"; then
            printf '%-14s stopped\n' "$name:"
        else
            printf '%-14s not built\n' "$name:"
        fi
    done
    if pid=$(vk_service_pid schema-registry); then
        printf '%-14s running (pid %s, %s)\n' "registry:" "$pid" "$(vk_registry_url 2>/dev/null)"
    elif [[ "${VAKSIN_SCHEMA_REGISTRY:-}" == local || -s "$VK_RUN/schema-registry.url" ]]; then
        printf '%-14s stopped\n' "registry:"
    fi
    seen+="schema-registry "
    for f in "$VK_RUN"/pids/*.pid; do
        [[ -e "$f" ]] || continue
        name=$(basename "$f" .pid)
        [[ "$name" == devbroker || "$name" == kafka || "$seen" == *" $name "* ]] && continue
        if pid=$(vk_service_pid "$name"); then
            printf '%-14s running (pid %s)\n' "$name:" "$pid"
        fi
    done
    if [[ -f "$VK_RUN/stack.env" ]]; then
        echo "--- $VK_RUN/stack.env"
        cat "$VK_RUN/stack.env"
    fi
    return $rc
}
