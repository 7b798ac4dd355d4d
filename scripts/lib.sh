# shellcheck shell=bash
#
# scripts/lib.sh — the local development stack as shell functions: a throwaway PostgreSQL 15
# cluster, a local Apache Kafka broker (or, with VAKSIN_BROKER=mock, the in-memory development
# broker vaksin-devbroker) and the services, each started in the background with a log and a pid
# file under one run directory.
#
# Sourced by scripts/pg, scripts/stack, scripts/demo and tests/integration/lib.sh. It sets no shell
# options of its own (callers may or may not use `set -euo pipefail`): every function checks what it
# runs and returns non-zero with a message on stderr. Nothing here prints on stdout except the
# functions whose job is to print (vk_pg_start prints a conninfo, vk_service_pid a pid, status).
#
# Where things are (evaluated at each call, so a caller may change the variables after sourcing):
#   VAKSIN_RUN_DIR    run directory                 default <repo>/.run
#   VAKSIN_BIN        folder with the vaksin-* programs; when set, nothing is built
#                     (VK_BIN, as ctest passes it, is accepted too)
#   VAKSIN_BUILD_DIR  build tree used when VAKSIN_BIN is unset  default <repo>/build
#   VAKSIN_PARTITIONS partitions per topic the stack's broker gets  default 16
#   VAKSIN_BROKER     kafka (Apache Kafka, default) or mock (vaksin-devbroker); see "The broker"
#   VAKSIN_KAFKA_HEAP, VAKSIN_CACHE_DIR  the Kafka broker's heap and jar cache (same section)
#   VAKSIN_PG_FAST=1  fsync=off, synchronous_commit=off, full_page_writes=off (tests, benchmarks)
#   VAKSIN_PG_SHARED_BUFFERS  default 1GB
#
# Run directory layout:
#   stack.env          shell-sourceable: VAKSIN_BOOTSTRAP, VAKSIN_PG, VAKSIN_RUN_DIR, VAKSIN_BIN
#   vaksin.conf        the services' config file (mode 600; holds this stack's ticket.secret)
#   bootstrap          written by the broker: its bootstrap.servers
#   pg/                the PostgreSQL cluster (or a symlink to it, see vk_pg_start)
#   kafka/             the Kafka broker's properties, data and ports
#   logs/<name>.log    kafka.log, ticket.log, projector.log, ... (appended on restarts;
#                      the previous stack's in logs/previous/)
#   pids/<name>.pid    one per running program
#
# Names: a service is named by its short name ("ticket") or its program name ("vaksin-ticket").
#
# Functions (each documented where it is defined):
#   stack     vk_stack_up_infra, vk_stack_up [--infra], vk_stack_down, vk_stack_destroy,
#             vk_stack_status, vk_build
#   services  vk_service_start NAME [ARGS...], vk_service_stop NAME [SECONDS],
#             vk_service_restart NAME [ARGS...], vk_service_kill NAME SIGNAL,
#             vk_service_running NAME, vk_service_pid NAME, vk_service_wait_exit NAME SECONDS,
#             vk_service_built NAME, vk_services_start_all, vk_services_stop_all [SECONDS]
#   broker    vk_broker_start [ARGS...], vk_broker_stop, vk_broker_kill, vk_broker_running,
#             vk_broker_pid, vk_kafka_jars, vk_kafka_version
#   stubs     vk_stubs_start, vk_stub_start jkn|dukcapil [ARGS...], vk_stub_restart …,
#             vk_conf_set KEY VALUE
#   postgres  vk_pg_start DIR (prints the conninfo), vk_pg_stop DIR, vk_pg_crash DIR, vk_pg_status DIR,
#             vk_pg_conninfo DIR, vk_pg_destroy DIR
# Helpers named vk__* are internal.

VK_SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# The services `vk_stack_up` starts, in this order (those not built are skipped).
VK_SERVICES=(projector ticket registration screening vaccination verification lookup)

VK_PG_BINDIR=${VAKSIN_PG_BINDIR:-/usr/lib/postgresql/15/bin}

# Extra arguments for vaksin-devbroker when vk_stack_up* starts it (e.g. -X devbroker.brokers=3).
[[ -v VK_BROKER_ARGS ]] || VK_BROKER_ARGS=()

# ---------------------------------------------------------------------------------------------
# Small helpers

vk_log() { printf '%s\n' "stack: $*" >&2; }
vk_err() { printf '%s\n' "stack: error: $*" >&2; }

# Sets VK_RUN (run directory) and VK_BIN_DIR (programs) from the environment.
vk__ctx() {
    VK_RUN=${VAKSIN_RUN_DIR:-$VK_SRC/.run}
    [[ "$VK_RUN" == /* ]] || VK_RUN=$PWD/$VK_RUN
    VK_BUILD_DIR=${VAKSIN_BUILD_DIR:-$VK_SRC/build}
    [[ "$VK_BUILD_DIR" == /* ]] || VK_BUILD_DIR=$PWD/$VK_BUILD_DIR
    VK_BIN_DIR=${VAKSIN_BIN:-${VK_BIN:-$VK_BUILD_DIR/bin}}
    [[ "$VK_BIN_DIR" == /* ]] || VK_BIN_DIR=$PWD/$VK_BIN_DIR
}

# Single-quotes a string for a shell-sourceable file.
vk__shq() { local q="'\\''"; printf "'%s'" "${1//\'/$q}"; }

# "vaksin-ticket" or "ticket" -> "ticket".
vk__short() { printf '%s' "${1#vaksin-}"; }

# The program a service name runs: "stub-jkn" and "stub-dukcapil" are two vaksin-stubs, every
# other name is its own program ("ticket" -> vaksin-ticket).
# "kafka" is the local Apache Kafka broker (a JVM whose command line names kafka.Kafka).
vk__program() {
    case "$1" in
    stub-*) printf 'vaksin-stubs' ;;
    kafka) printf 'kafka.Kafka' ;;
    *) printf 'vaksin-%s' "$1" ;;
    esac
}

# Is PID alive and running a command line that mentions WORD? (Guards against a pid file whose
# process died and whose pid was reused; a zombie has an empty cmdline and counts as dead.)
vk__pid_alive() {
    local pid=$1 word=$2 cmd
    [[ "$pid" =~ ^[0-9]+$ ]] || return 1
    kill -0 "$pid" 2>/dev/null || return 1
    cmd=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) || return 1
    [[ -n "$cmd" && "$cmd" == *"$word"* ]]
}

# Prints the pid of a running program from its pid file; returns 1 when it does not run.
vk__pidfile_pid() {
    local file=$1 word=$2 pid
    [[ -f "$file" ]] || return 1
    pid=$(<"$file")
    vk__pid_alive "$pid" "$word" || return 1
    printf '%s\n' "$pid"
}

# Waits up to SECONDS for PID (running WORD) to exit. Returns 0 once gone, 1 on timeout.
vk__wait_gone() {
    local pid=$1 word=$2 seconds=$3 i
    for ((i = 0; i < seconds * 10; i++)); do
        vk__pid_alive "$pid" "$word" || return 0
        sleep 0.1
    done
    ! vk__pid_alive "$pid" "$word"
}

# Stops PID (running WORD): SIGTERM, up to SECONDS, then SIGKILL.
vk__stop_pid() {
    local pid=$1 word=$2 seconds=${3:-15}
    vk__pid_alive "$pid" "$word" || return 0
    kill -TERM "$pid" 2>/dev/null
    if ! vk__wait_gone "$pid" "$word" "$seconds"; then
        vk_log "$word (pid $pid) still running after ${seconds}s: SIGKILL"
        kill -KILL "$pid" 2>/dev/null
        vk__wait_gone "$pid" "$word" 5 || { vk_err "$word (pid $pid) survived SIGKILL"; return 1; }
    fi
    return 0
}

# Starts a program in the background in its own session (so a Ctrl-C in the caller's terminal does
# not reach it), stdin from /dev/null, stdout+stderr appended to LOG. The child writes its own pid
# before exec'ing, so the pid file names the program itself whatever setsid does.
# Usage: vk__spawn PIDFILE LOG ENVFILE|"" PROGRAM [ARGS...]
vk__spawn() {
    local pidfile=$1 log=$2 envfile=$3 i
    shift 3
    rm -f "$pidfile"
    printf '=== %s start: %s\n' "$(date '+%F %T')" "$*" >>"$log"
    (
        if [[ -n "$envfile" ]]; then
            # shellcheck disable=SC1090
            . "$envfile"
        fi
        # shellcheck disable=SC2016 # expanded by the inner bash
        exec setsid bash -c 'echo $$ >"$0" && exec "$@"' "$pidfile" "$@" </dev/null >>"$log" 2>&1
    ) &
    # Not a job of the caller's: no "Killed" notice when a test kills it on purpose.
    disown $! 2>/dev/null || true
    for ((i = 0; i < 50; i++)); do
        [[ -s "$pidfile" ]] && return 0
        sleep 0.1
    done
    vk_err "$1 did not start (no pid file $pidfile)"
    return 1
}

vk__tail_log() {
    [[ -f "$1" ]] || return 0
    echo "--- last lines of $1:" >&2
    tail -n "${2:-20}" "$1" >&2
}

# Is TCP PORT on localhost free (nothing listening)?
vk__port_free() {
    local port=$1
    if command -v ss >/dev/null 2>&1; then
        ! ss -Htln "sport = :$port" 2>/dev/null | grep -q .
    else
        ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null
    fi
}

# ---------------------------------------------------------------------------------------------
# PostgreSQL: a throwaway cluster in a directory
#
# As root, PostgreSQL refuses to run, so the cluster belongs to the `postgres` system user (from
# postgresql-common) and initdb/pg_ctl run through runuser. That user must be able to reach the
# directory, and a repository is often somewhere it cannot (/root is 0700; a CI checkout may be
# anywhere). Opening the parents with chmod o+x would quietly change the host's permissions, so
# instead: when `postgres` can already reach DIR's parent, the cluster lives in DIR itself;
# otherwise it lives in /tmp/vaksin-pg-<hash of DIR> (owned by postgres) and DIR is a symlink to
# it. The same fallback is taken, as any user, when DIR is so long that the socket path would not
# fit in a sockaddr_un (107 bytes). The conninfo names the real directory.
#
# Inside the cluster directory: data/ (PGDATA), postgresql.log, port, and the unix socket.
# Settings for the development box (2 cores, 24 GB) are in data/conf.d/00-vaksin.conf; the port
# (chosen free at each start, 5432 and the Debian "15 main" cluster are never touched) in
# data/conf.d/20-port.conf; VAKSIN_PG_FAST=1 adds data/conf.d/10-fast.conf.

vk__pg_user() { if ((EUID == 0)); then echo postgres; else id -un; fi; }

# Runs a command as the cluster's owner, from / (postgres may not be allowed into $PWD).
vk__pg_as() {
    if ((EUID == 0)); then
        (cd / && runuser -u postgres -- "$@")
    else
        "$@"
    fi
}

vk__abs() {
    local p=$1
    [[ "$p" == /* ]] || p=$PWD/$p
    while [[ "$p" == */ && "$p" != / ]]; do p=${p%/}; done
    printf '%s' "$p"
}

# The real cluster directory for DIR when it exists (DIR itself or the target of its symlink).
vk__pg_real() {
    local dir=$1
    if [[ -L "$dir" ]]; then
        readlink -f "$dir"
    else
        printf '%s' "$dir"
    fi
}

# Creates the cluster directory for DIR (see above) and prints the real path.
vk__pg_make_dir() {
    local dir=$1 parent real hash
    parent=$(dirname "$dir")
    mkdir -p "$parent" || return 1
    if [[ -L "$dir" ]]; then
        real=$(readlink -f "$dir")
        [[ -d "$real" ]] || rm -f "$dir"
    fi
    if [[ -d "$dir" && ! -L "$dir" ]]; then
        # An existing directory: use it as is when empty, refuse to mix with other content.
        if [[ -n "$(ls -A "$dir")" && ! -f "$dir/data/PG_VERSION" ]]; then
            vk_err "$dir exists and is not a vaksin PostgreSQL cluster"
            return 1
        fi
        rmdir "$dir" 2>/dev/null || true
    fi
    if [[ -L "$dir" ]]; then
        readlink -f "$dir"
        return 0
    fi
    if [[ -d "$dir" ]]; then
        printf '%s' "$dir"
        return 0
    fi
    local reachable=1
    if ((EUID == 0)); then
        id postgres >/dev/null 2>&1 || { vk_err "no 'postgres' user (is postgresql-common installed?)"; return 1; }
        vk__pg_as test -x "$parent" || reachable=0
    fi
    # sockaddr_un holds 107 bytes: "<dir>/.s.PGSQL.NNNNN".
    ((${#dir} + 15 <= 100)) || reachable=0
    if ((reachable)); then
        real=$dir
        mkdir "$real" || return 1
    else
        hash=$(printf '%s' "$dir" | sha256sum | cut -c1-12)
        real=/tmp/vaksin-pg-$hash
        if [[ -e "$real" ]]; then
            # A stale home of an earlier DIR of the same name: stop what may still run there.
            vk__pg_running "$real" &&
                vk__pg_as "$VK_PG_BINDIR/pg_ctl" -D "$real/data" -m immediate -w stop >/dev/null 2>&1
            rm -rf "$real" || return 1
        fi
        mkdir "$real" || return 1
        ln -s "$real" "$dir" || return 1
    fi
    if ((EUID == 0)); then
        chown postgres:postgres "$real" || return 1
    fi
    # Others may traverse to the socket (it is a development cluster with trust auth on
    # 127.0.0.1 anyway); data/ itself stays 0700 as initdb makes it.
    chmod 0755 "$real" || return 1
    printf '%s' "$real"
}

# Writes a config file inside the cluster as its owner.
vk__pg_write() {
    local file=$1
    if ((EUID == 0)); then
        (cd / && runuser -u postgres -- tee "$file" >/dev/null)
    else
        cat >"$file"
    fi
}

vk__pg_running() {
    local real=$1
    [[ -f "$real/data/PG_VERSION" ]] || return 1
    vk__pg_as "$VK_PG_BINDIR/pg_ctl" -D "$real/data" status >/dev/null 2>&1
}

vk__pg_conninfo() {
    local real=$1
    printf 'host=%s port=%s dbname=vaksin user=%s\n' "$real" "$(<"$real/port")" "$(vk__pg_user)"
}

# Picks a free TCP port, starting from a point derived from the directory so that parallel clusters
# rarely race for the same one. Prints it.
vk__pg_pick_port() {
    local real=$1 base p i
    base=$(( 0x$(printf '%s' "$real" | sha256sum | cut -c1-4) % 4000 ))
    for ((i = 0; i < 4000; i++)); do
        p=$(( 15432 + (base + i) % 4000 ))
        if vk__port_free "$p" && [[ ! -e "$real/.s.PGSQL.$p" ]]; then
            printf '%s' "$p"
            return 0
        fi
    done
    vk_err "no free TCP port in 15432-19431"
    return 1
}

vk__pg_initdb() {
    local real=$1 user
    user=$(vk__pg_user)
    vk__pg_as "$VK_PG_BINDIR/initdb" -D "$real/data" -U "$user" --auth=trust -E UTF8 --no-locale \
        --no-instructions >"$real/initdb.log" 2>&1 || {
        vk_err "initdb failed"
        vk__tail_log "$real/initdb.log"
        return 1
    }
    vk__pg_as mkdir -p "$real/data/conf.d" || return 1
    printf "\ninclude_dir = 'conf.d'\n" | vk__pg_as tee -a "$real/data/postgresql.conf" >/dev/null
    vk__pg_write "$real/data/pg_hba.conf" <<'EOF' || return 1
# vaksin development cluster: trust on its own unix socket and on loopback only.
local   all             all                                     trust
host    all             all             127.0.0.1/32            trust
host    all             all             ::1/128                 trust
local   replication     all                                     trust
host    replication     all             127.0.0.1/32            trust
EOF
    vk__pg_write "$real/data/conf.d/00-vaksin.conf" <<EOF || return 1
# vaksin development cluster — written by scripts/lib.sh. Sized for a 2-core, 24 GB machine.
listen_addresses = '127.0.0.1'
unix_socket_directories = '$real'
max_connections = 100
shared_buffers = ${VAKSIN_PG_SHARED_BUFFERS:-1GB}
work_mem = 32MB
maintenance_work_mem = 512MB
effective_cache_size = 12GB
max_wal_size = 4GB
min_wal_size = 512MB
checkpoint_timeout = 15min
checkpoint_completion_target = 0.9
wal_compression = on
wal_level = replica
max_worker_processes = 4
max_parallel_workers_per_gather = 1
max_parallel_workers = 2
random_page_cost = 1.1
log_timezone = 'UTC'
timezone = 'UTC'
log_min_duration_statement = 1000
log_checkpoints = on
log_lock_waits = on
EOF
}

# vk_pg_start DIR — creates (if absent) and starts the cluster in DIR, ensures the database
# `vaksin` exists, and prints its libpq conninfo on stdout. Starting a running cluster only prints
# the conninfo.
vk_pg_start() {
    local dir real port try user
    [[ -n "${1:-}" ]] || { vk_err "usage: vk_pg_start DIR"; return 2; }
    [[ -x "$VK_PG_BINDIR/pg_ctl" ]] || { vk_err "$VK_PG_BINDIR/pg_ctl not found (run scripts/deps)"; return 1; }
    dir=$(vk__abs "$1")
    real=$(vk__pg_make_dir "$dir") || return 1
    user=$(vk__pg_user)
    if [[ ! -f "$real/data/PG_VERSION" ]]; then
        vk__pg_initdb "$real" || return 1
    fi
    if ! vk__pg_running "$real"; then
        if [[ "${VAKSIN_PG_FAST:-0}" == 1 ]]; then
            vk__pg_write "$real/data/conf.d/10-fast.conf" <<'EOF' || return 1
# VAKSIN_PG_FAST=1: a crash may lose or corrupt data. Tests and benchmarks only.
fsync = off
synchronous_commit = off
full_page_writes = off
EOF
        else
            vk__pg_as rm -f "$real/data/conf.d/10-fast.conf"
        fi
        for try in 1 2 3; do
            port=
            [[ -f "$real/port" ]] && port=$(<"$real/port")
            if [[ -z "$port" || $try -gt 1 ]] || ! vk__port_free "$port"; then
                port=$(vk__pg_pick_port "$real") || return 1
            fi
            printf 'port = %s\n' "$port" | vk__pg_write "$real/data/conf.d/20-port.conf" || return 1
            printf '%s\n' "$port" | vk__pg_write "$real/port" || return 1
            if vk__pg_as "$VK_PG_BINDIR/pg_ctl" -D "$real/data" -l "$real/postgresql.log" -w -t 60 \
                start >/dev/null 2>&1; then
                break
            fi
            # Most likely the port was taken between the check and the start: pick another.
            vk_log "PostgreSQL did not start on port $port (attempt $try)"
            vk__tail_log "$real/postgresql.log" 5
            ((try == 3)) && { vk_err "PostgreSQL did not start in $real"; return 1; }
        done
    fi
    port=$(<"$real/port")
    local exists
    exists=$("$VK_PG_BINDIR/psql" -X -h "$real" -p "$port" -U "$user" -d postgres -Atq \
        -c "SELECT 1 FROM pg_database WHERE datname = 'vaksin'") || {
        vk_err "cannot connect to PostgreSQL in $real"
        return 1
    }
    if [[ "$exists" != 1 ]]; then
        "$VK_PG_BINDIR/createdb" -h "$real" -p "$port" -U "$user" vaksin || return 1
    fi
    vk__pg_conninfo "$real"
}

# vk_pg_stop DIR — stops the cluster (fast shutdown; immediate if that hangs). No-op if stopped.
vk_pg_stop() {
    local dir real
    [[ -n "${1:-}" ]] || { vk_err "usage: vk_pg_stop DIR"; return 2; }
    dir=$(vk__abs "$1")
    [[ -e "$dir" ]] || return 0
    real=$(vk__pg_real "$dir")
    vk__pg_running "$real" || return 0
    vk__pg_as "$VK_PG_BINDIR/pg_ctl" -D "$real/data" -m fast -w -t 60 stop >/dev/null 2>&1 ||
        vk__pg_as "$VK_PG_BINDIR/pg_ctl" -D "$real/data" -m immediate -w -t 30 stop >/dev/null 2>&1 || {
        vk_err "cannot stop PostgreSQL in $real"
        return 1
    }
}

# vk_pg_crash DIR — stops the cluster the way a crash does (immediate shutdown: no checkpoint,
# sessions cut; with VAKSIN_PG_FAST a crash may lose acknowledged commits). For tests.
vk_pg_crash() {
    local real
    real=$(vk__pg_real "$(vk__abs "${1:?usage: vk_pg_crash DIR}")")
    vk__pg_running "$real" || return 0
    vk__pg_as "$VK_PG_BINDIR/pg_ctl" -D "$real/data" -m immediate -w -t 30 stop >/dev/null
}

# vk_pg_status DIR — prints the state; returns 0 running, 3 stopped, 4 no cluster.
vk_pg_status() {
    local dir real
    [[ -n "${1:-}" ]] || { vk_err "usage: vk_pg_status DIR"; return 2; }
    dir=$(vk__abs "$1")
    real=$(vk__pg_real "$dir")
    if [[ ! -f "$real/data/PG_VERSION" ]]; then
        echo "postgresql: no cluster in $dir"
        return 4
    fi
    if vk__pg_running "$real"; then
        echo "postgresql: running ($(vk__pg_conninfo "$real"))"
        return 0
    fi
    echo "postgresql: stopped (cluster in $real)"
    return 3
}

# vk_pg_conninfo DIR — prints the conninfo of the cluster in DIR (running or not).
vk_pg_conninfo() {
    local real
    real=$(vk__pg_real "$(vk__abs "$1")")
    [[ -f "$real/port" ]] || { vk_err "no cluster in $1"; return 1; }
    vk__pg_conninfo "$real"
}

# vk_pg_destroy DIR — stops the cluster and removes it (and its /tmp home if DIR is a symlink).
vk_pg_destroy() {
    local dir real
    [[ -n "${1:-}" ]] || { vk_err "usage: vk_pg_destroy DIR"; return 2; }
    dir=$(vk__abs "$1")
    [[ -e "$dir" || -L "$dir" ]] || return 0
    vk_pg_stop "$dir" || return 1
    if [[ -L "$dir" ]]; then
        real=$(readlink -f "$dir")
        [[ "$real" == /tmp/vaksin-pg-* ]] && rm -rf "$real"
        rm -f "$dir"
    else
        rm -rf "$dir"
    fi
}

# ---------------------------------------------------------------------------------------------
# Build

# vk_build — configures (only when the build tree has no cache yet: Release, or
# VAKSIN_BUILD_TYPE) and builds VAKSIN_BUILD_DIR incrementally; does nothing when VAKSIN_BIN is
# set (the caller brings its own binaries).
vk_build() {
    vk__ctx
    if [[ -n "${VAKSIN_BIN:-}${VK_BIN:-}" ]]; then
        return 0
    fi
    if [[ ! -f "$VK_BUILD_DIR/CMakeCache.txt" ]]; then
        cmake -S "$VK_SRC" -B "$VK_BUILD_DIR" -DCMAKE_BUILD_TYPE="${VAKSIN_BUILD_TYPE:-RelWithDebInfo}" >&2 || {
            vk_err "cmake configure failed"
            return 1
        }
    fi
    cmake --build "$VK_BUILD_DIR" -j "$(nproc)" >&2 || { vk_err "build failed"; return 1; }
}

# ---------------------------------------------------------------------------------------------
# The broker: Apache Kafka (the default) or the development broker (VAKSIN_BROKER=mock)
#
# VAKSIN_BROKER=kafka: a real Apache Kafka broker, single node in KRaft combined mode (broker and
# controller in one JVM), its jars resolved from Maven Central by scripts/broker/pom.xml into a
# cache (vk_kafka_jars), its storage formatted fresh for each stack, its topics created by
# vaksin-topics through librdkafka's admin API. Everything lives in $RUN/kafka/:
#   server.properties, data/ (log.dirs and the KRaft metadata), ports (listener, controller),
# its log in $RUN/logs/kafka.log and its pid in $RUN/pids/kafka.pid. A restart of the broker
# (vk_broker_start after vk_broker_kill, as a crash test does) keeps data/ and the ports.
# VAKSIN_BROKER=mock: vaksin-devbroker, librdkafka's mock cluster in memory — quick, but it
# writes no transaction markers and drops transactional offset commits, so nothing about
# exactly-once is proved on it (docs/decisions.md). Never used by CI.
#
#   VAKSIN_BROKER        kafka (default) or mock
#   VAKSIN_KAFKA_HEAP    JVM heap of the broker            default 1g (-Xms is half of it)
#   VAKSIN_CACHE_DIR     where the broker's jars are kept  default ${XDG_CACHE_HOME:-~/.cache}/vaksin

vk__broker_kind() {
    case "${VAKSIN_BROKER:-kafka}" in
    kafka | mock) printf '%s' "${VAKSIN_BROKER:-kafka}" ;;
    *) vk_err "VAKSIN_BROKER must be kafka or mock, not '$VAKSIN_BROKER'"; return 1 ;;
    esac
}

# The pid-file name and the command-line word of the running broker of either kind.
vk__broker_name() { if [[ "$(vk__broker_kind)" == mock ]]; then echo devbroker; else echo kafka; fi; }

vk_broker_pid() {
    local name
    vk__ctx
    name=$(vk__broker_name) || return 1
    vk__pidfile_pid "$VK_RUN/pids/$name.pid" "$(vk__program "$name")"
}
vk_broker_running() { vk_broker_pid >/dev/null; }

# vk_kafka_jars — prints the folder holding the pinned broker's jars, resolving them from Maven
# Central the first time (about 5-10 s, 46 MB). Cached per content of scripts/broker/pom.xml,
# so changing the version there resolves again; a lock keeps parallel callers from racing.
vk_kafka_jars() {
    local pom=$VK_SRC/scripts/broker/pom.xml cache key dir
    cache=${VAKSIN_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/vaksin}
    key=$(sha256sum "$pom" | cut -c1-12)
    dir=$cache/kafka-$key
    if [[ ! -f "$dir/complete" ]]; then
        command -v mvn >/dev/null 2>&1 || { vk_err "mvn not found (run scripts/deps)"; return 1; }
        mkdir -p "$cache" || return 1
        (
            flock 9
            [[ -f "$dir/complete" ]] && exit 0
            rm -rf "$dir" && mkdir -p "$dir/libs" || exit 1
            vk_log "resolving the Kafka broker's jars from Maven Central into $dir"
            (cd "$dir" && mvn -B -q -f "$pom" dependency:copy-dependencies \
                -DincludeScope=runtime -DoutputDirectory="$dir/libs") >"$dir/mvn.log" 2>&1 || {
                vk_err "mvn could not resolve the broker (log: $dir/mvn.log)"
                tail -n 20 "$dir/mvn.log" >&2
                exit 1
            }
            ls "$dir"/libs/kafka_2.13-*.jar >/dev/null 2>&1 || { vk_err "no kafka_2.13 jar in $dir/libs"; exit 1; }
            touch "$dir/complete"
        ) 9>"$cache/.lock" || return 1
    fi
    printf '%s\n' "$dir/libs"
}

# The broker's version, from its jar's name (e.g. 3.9.2).
vk_kafka_version() {
    local libs jar
    libs=$(vk_kafka_jars) || return 1
    jar=$(basename "$(ls "$libs"/kafka_2.13-*.jar)")
    jar=${jar#kafka_2.13-}
    printf '%s\n' "${jar%.jar}"
}

# Writes $RUN/kafka/server.properties for the listener and controller ports in $RUN/kafka/ports.
vk__kafka_write_properties() {
    local dir=$1 port ctl
    read -r port ctl <"$dir/ports" || return 1
    cat >"$dir/server.properties" <<PROPS
# The vaksin local broker — written by scripts/lib.sh. One node, KRaft combined mode, loopback only.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$ctl
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$ctl
advertised.listeners=PLAINTEXT://127.0.0.1:$port
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
log.dirs=$dir/data
# A single node: every internal topic has one replica. Few partitions for the internal topics
# (the defaults, 50 each, take seconds to create on first use).
offsets.topic.replication.factor=1
offsets.topic.num.partitions=8
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=8
default.replication.factor=1
min.insync.replicas=1
# Topics come from vaksin-topics only, as on a production cluster: a typo is an error.
auto.create.topics.enable=false
# The first member of a group is assigned at once (Kafka waits 3 s for more by default).
group.initial.rebalance.delay.ms=0
# Two cores.
num.network.threads=2
num.io.threads=4
num.recovery.threads.per.data.dir=2
log.cleaner.threads=1
PROPS
}

# vk_kafka_start — starts the broker of $RUN/kafka (formatting its storage when new), waits until
# a Metadata request answers, creates the contract's topics with VAKSIN_PARTITIONS partitions
# and writes $RUN/bootstrap. Measured here: 3-5 s from start to topics on a warm cache.
# Ports are picked free in 21000-28999 (below Linux's ephemeral range, where a client's own
# connection could take one between the check and the bind); a fresh broker that still loses
# the race gets new ports, up to three times. A restart keeps its ports (clients know them).
vk_kafka_start() {
    local dir libs port ctl heap i try fresh=0 bootstrap
    vk__ctx
    dir=$VK_RUN/kafka
    libs=$(vk_kafka_jars) || return 1
    command -v java >/dev/null 2>&1 || { vk_err "java not found (run scripts/deps)"; return 1; }
    [[ -x "$VK_BIN_DIR/vaksin-topics" ]] || { vk_err "$VK_BIN_DIR/vaksin-topics is not built"; return 1; }
    mkdir -p "$dir" "$VK_RUN/logs" "$VK_RUN/pids" || return 1
    local java=(java -cp "$libs/*" "-Dlog4j.configuration=file:$VK_SRC/scripts/broker/log4j.properties")
    [[ -f "$dir/data/meta.properties" ]] || fresh=1
    heap=${VAKSIN_KAFKA_HEAP:-1g}
    for try in 1 2 3; do
        if [[ ! -s "$dir/ports" ]] || ((fresh && try > 1)); then
            port=$(vk__pick_port "$dir/$try" 21000) || return 1
            ctl=$(vk__pick_port "$dir/controller/$try" 25000) || return 1
            echo "$port $ctl" >"$dir/ports"
        fi
        read -r port ctl <"$dir/ports"
        vk__kafka_write_properties "$dir" || return 1
        if ((fresh)); then
            rm -rf "$dir/data"
            "${java[@]}" kafka.tools.StorageTool format -c "$dir/server.properties" \
                -t "$("${java[@]}" kafka.tools.StorageTool random-uuid 2>>"$VK_RUN/logs/kafka.log")" \
                >>"$VK_RUN/logs/kafka.log" 2>&1 || {
                vk_err "formatting the broker's storage failed"
                vk__tail_log "$VK_RUN/logs/kafka.log"
                return 1
            }
        fi
        vk__spawn "$VK_RUN/pids/kafka.pid" "$VK_RUN/logs/kafka.log" "" \
            java "-Xmx$heap" "-Xms$(vk__half_size "$heap")" -XX:+UseG1GC -XX:MaxGCPauseMillis=20 \
            -XX:InitiatingHeapOccupancyPercent=35 -XX:+ExitOnOutOfMemoryError -Djava.awt.headless=true \
            "${java[@]:1}" kafka.Kafka "$dir/server.properties" || return 1
        # Listening, or gone (a port taken meanwhile: try again with others).
        for ((i = 0; i < 600; i++)); do
            vk_broker_running || break
            vk__port_free "$port" || break
            sleep 0.1
        done
        vk_broker_running && break
        if ((try < 3)) && tail -n 200 "$VK_RUN/logs/kafka.log" | grep -q 'Address already in use'; then
            vk_log "Kafka: port $port or $ctl was taken meanwhile (attempt $try)"
            sleep 1
            continue
        fi
        vk_err "the Kafka broker exited at start"
        vk__tail_log "$VK_RUN/logs/kafka.log"
        grep -m3 -E '^\[.*\] (ERROR|FATAL)' "$VK_RUN/logs/kafka.log" >&2
        return 1
    done
    bootstrap=127.0.0.1:$port
    "$VK_BIN_DIR/vaksin-topics" -X "kafka.bootstrap.servers=$bootstrap" --wait 60 >/dev/null &&
        "$VK_BIN_DIR/vaksin-topics" -X "kafka.bootstrap.servers=$bootstrap" --create \
            -X "topics.partitions=${VAKSIN_PARTITIONS:-16}" >>"$VK_RUN/logs/kafka.log" || {
        vk_err "the Kafka broker on $bootstrap did not become ready"
        vk__tail_log "$VK_RUN/logs/kafka.log"
        return 1
    }
    vk_write_bootstrap "$bootstrap"
}

# "1g" -> "512m", "768m" -> "384m".
vk__half_size() {
    local n=${1%[gGmM]} u=${1: -1}
    case "$u" in g | G) echo "$((n * 512))m" ;; m | M) echo "$((n / 2))m" ;; *) echo "$1" ;; esac
}

# Picks a free TCP port in FROM..FROM+3999, from a start derived from KEY (as vk__pg_pick_port).
vk__pick_port() {
    local key=$1 from=$2 base p i
    base=$(( 0x$(printf '%s' "$key" | sha256sum | cut -c1-4) % 4000 ))
    for ((i = 0; i < 4000; i++)); do
        p=$(( from + (base + i) % 4000 ))
        if vk__port_free "$p"; then
            printf '%s' "$p"
            return 0
        fi
    done
    vk_err "no free TCP port from $from"
    return 1
}

vk_write_bootstrap() { printf '%s\n' "$1" >"$VK_RUN/bootstrap.tmp" && mv "$VK_RUN/bootstrap.tmp" "$VK_RUN/bootstrap"; }

# vk_devbroker_start [ARGS...] — starts vaksin-devbroker (extra ARGS are passed on, e.g. -X ...)
# and waits up to 30 s for its bootstrap file.
vk_devbroker_start() {
    local bin i
    vk__ctx
    bin=$VK_BIN_DIR/vaksin-devbroker
    [[ -x "$bin" ]] || { vk_err "$bin is not built"; return 1; }
    mkdir -p "$VK_RUN/logs" "$VK_RUN/pids" || return 1
    vk__spawn "$VK_RUN/pids/devbroker.pid" "$VK_RUN/logs/devbroker.log" "" "$bin" \
        -X "devbroker.bootstrap.file=$VK_RUN/bootstrap" \
        -X "devbroker.partitions=${VAKSIN_PARTITIONS:-16}" "$@" || return 1
    for ((i = 0; i < 300; i++)); do
        [[ -s "$VK_RUN/bootstrap" ]] && return 0
        if ! vk_broker_running; then
            vk_err "vaksin-devbroker exited"
            vk__tail_log "$VK_RUN/logs/devbroker.log"
            return 1
        fi
        sleep 0.1
    done
    vk_err "vaksin-devbroker wrote no $VK_RUN/bootstrap within 30 s"
    vk__tail_log "$VK_RUN/logs/devbroker.log"
    return 1
}

# vk_broker_start [ARGS...] — starts the broker of VAKSIN_BROKER; its bootstrap servers are then
# in $VAKSIN_RUN_DIR/bootstrap. ARGS go to vaksin-devbroker (the Kafka broker takes none).
# shellcheck disable=SC2120 # arguments are optional
vk_broker_start() {
    local kind
    vk__ctx
    kind=$(vk__broker_kind) || return 1
    if vk_broker_running; then
        vk_err "the broker already runs (pid $(vk_broker_pid))"
        return 1
    fi
    rm -f "$VK_RUN/bootstrap"
    if [[ $kind == kafka ]]; then
        vk_kafka_start
    else
        vk_devbroker_start "$@"
    fi
}

# vk_broker_stop — SIGTERM, up to 30 s (Kafka shuts down in a few seconds), then SIGKILL.
# The Kafka broker's data stays until the stack is brought up again; the mock's is gone.
vk_broker_stop() {
    local pid name
    vk__ctx
    name=$(vk__broker_name) || return 1
    pid=$(vk_broker_pid) || { rm -f "$VK_RUN/pids/$name.pid"; return 0; }
    vk__stop_pid "$pid" "$(vk__program "$name")" 30 || return 1
    rm -f "$VK_RUN/pids/$name.pid" "$VK_RUN/bootstrap"
}

# vk_broker_kill — SIGKILL, as a crash; vk_broker_start brings it back on the same data.
vk_broker_kill() {
    local pid
    pid=$(vk_broker_pid) || { vk_err "the broker does not run"; return 1; }
    kill -KILL "$pid" && vk__wait_gone "$pid" "$(vk__program "$(vk__broker_name)")" 10
}

# ---------------------------------------------------------------------------------------------
# Services

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
    local name bin pid
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
    mkdir -p "$VK_RUN/logs" "$VK_RUN/pids" || return 1
    vk__spawn "$VK_RUN/pids/$name.pid" "$VK_RUN/logs/$name.log" "$VK_RUN/stack.env" \
        "$bin" --config "$VK_RUN/vaksin.conf" "$@" || return 1
    sleep "${VAKSIN_START_GRACE:-0.5}"
    if ! vk_service_running "$name"; then
        vk_err "vaksin-$name exited right after starting"
        vk__tail_log "$VK_RUN/logs/$name.log"
        return 1
    fi
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

# ---------------------------------------------------------------------------------------------
# Stub servers for JKN and Dukcapil (vaksin-stubs), for a stack with no real endpoints

# vk_conf_set KEY VALUE — sets KEY in $RUN/vaksin.conf (replacing any line for it).
vk_conf_set() {
    local conf
    vk__ctx
    conf=$VK_RUN/vaksin.conf
    [[ -f "$conf" ]] || { vk_err "no $conf"; return 1; }
    grep -v -E "^[[:space:]]*${1//./\\.}[[:space:]]*=" "$conf" >"$conf.tmp" || true
    printf '%s=%s\n' "$1" "$2" >>"$conf.tmp"
    chmod 600 "$conf.tmp" && mv "$conf.tmp" "$conf"
}

# vk_stub_start SOURCE [ARGS...] — starts the stub of SOURCE (jkn: the BPJS web-service protocol;
# dukcapil: verification by element) as service stub-SOURCE, knowing the people of
# $RUN/people/SOURCE.csv (header nik,name,birth_date,sex,card_no; created empty when missing).
# It listens on the port it had before (its url file), else on a free one, and the URL goes
# into vaksin.conf as jkn.url / dukcapil.url for vaksin-lookup. Extra ARGS: -X stub.latency.ms=100 …
vk_stub_start() {
    local src=${1:?usage: vk_stub_start jkn|dukcapil [ARGS...]} proto url_file port_args=() i
    shift
    vk__ctx
    case "$src" in
    jkn) proto=bpjs ;;
    dukcapil) proto=dukcapil ;;
    *) vk_err "vk_stub_start: unknown source $src"; return 1 ;;
    esac
    mkdir -p "$VK_RUN/people" || return 1
    [[ -f "$VK_RUN/people/$src.csv" ]] || echo 'nik,name,birth_date,sex,card_no' >"$VK_RUN/people/$src.csv"
    url_file=$VK_RUN/stub-$src.url
    if [[ -s "$url_file" ]]; then
        port_args=(-X "stub.port=$(sed -E 's|.*:([0-9]+).*|\1|' "$url_file")")
    fi
    rm -f "$url_file.new"
    vk_service_start "stub-$src" -X "stub.protocol=$proto" -X "stub.port.file=$url_file.new" \
        -X "stub.people.file=$VK_RUN/people/$src.csv" "${port_args[@]}" "$@" || return 1
    for ((i = 0; i < 100; i++)); do
        [[ -s "$url_file.new" ]] && break
        sleep 0.1
    done
    [[ -s "$url_file.new" ]] || { vk_err "stub-$src wrote no address"; return 1; }
    mv "$url_file.new" "$url_file"
    if [[ $src == jkn ]]; then
        vk_conf_set jkn.url "$(head -n1 "$url_file")"
    else
        vk_conf_set dukcapil.url "$(head -n1 "$url_file")/dukcapil/verify"
    fi
}

# vk_stub_restart SOURCE [ARGS...] — stops and starts a stub on the same port (to reload its
# people file, or to bring a source back after a test took it down).
vk_stub_restart() {
    vk_service_stop "stub-$1" || return 1
    vk_stub_start "$@"
}

# vk_stubs_start — both stubs, with development credentials written into vaksin.conf, unless
# the configuration names real endpoints (jkn.url or dukcapil.url, in the file or environment).
vk_stubs_start() {
    vk__ctx
    if [[ -n "${VAKSIN_JKN_URL:-}${VAKSIN_DUKCAPIL_URL:-}" ]] ||
        grep -q -E '^[[:space:]]*(jkn|dukcapil)\.url[[:space:]]*=' "$VK_RUN/vaksin.conf"; then
        vk_log "real JKN/Dukcapil endpoints configured: no stubs"
        return 0
    fi
    vk_service_built stub-jkn || { vk_log "vaksin-stubs not built: no stubs"; return 0; }
    vk_stub_start jkn && vk_stub_start dukcapil || return 1
    vk_log "stubs: JKN $(head -n1 "$VK_RUN/stub-jkn.url"), Dukcapil $(head -n1 "$VK_RUN/stub-dukcapil.url")"
}

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
            # restart (commit.after.txn, see common/vk_kafka.h). Neither belongs in a real
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
    } >"$VK_RUN/stack.env.tmp" && mv "$VK_RUN/stack.env.tmp" "$VK_RUN/stack.env"
}

# vk_stack_up_infra — brings a running stack down, then starts a fresh PostgreSQL ($RUN/pg) and
# the broker, writes $RUN/vaksin.conf and $RUN/stack.env, and exports its variables into the
# calling shell. Does not build (see vk_build) and starts no service.
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
    rm -rf "$VK_RUN/people" "$VK_RUN"/stub-*.url "$VK_RUN/kafka" || return 1
    conninfo=$(vk_pg_start "$VK_RUN/pg") || return 1
    vk_log "postgresql: $conninfo"
    vk_broker_start "${VK_BROKER_ARGS[@]}" || return 1
    vk_log "broker: $(vk__broker_name) on $(head -n1 "$VK_RUN/bootstrap") (${VAKSIN_PARTITIONS:-16} partitions per topic)"
    vk__write_conf || return 1
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

# vk_stack_down — stops the services (all at once, 15 s grace), the broker and PostgreSQL.
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

# ---------------------------------------------------------------------------------------------
# Independent test clients

# vk_pyenv — prints the python of <repo>/.venv, creating it first when missing or when
# tests/clients/requirements.txt changed: Debian's python3 with its site packages (python3-avro)
# plus the pinned clients from PyPI (Confluent's Kafka client, with its own librdkafka).
vk_pyenv() {
    local venv=$VK_SRC/.venv req=$VK_SRC/tests/clients/requirements.txt key
    key=$(sha256sum "$req" | cut -c1-16)
    if [[ "$(cat "$venv/.vaksin-requirements" 2>/dev/null)" != "$key" ]]; then
        (
            flock 9
            [[ "$(cat "$venv/.vaksin-requirements" 2>/dev/null)" == "$key" ]] && exit 0
            rm -rf "$venv"
            /usr/bin/python3 -m venv --system-site-packages "$venv" >&2 &&
                "$venv/bin/pip" install -q --disable-pip-version-check -r "$req" >&2 &&
                echo "$key" >"$venv/.vaksin-requirements"
        ) 9>"$VK_SRC/.venv.lock" || { vk_err "cannot set up $venv (pip install -r $req)"; return 1; }
    fi
    printf '%s\n' "$venv/bin/python"
}
