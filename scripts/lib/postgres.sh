# shellcheck shell=bash
#
# scripts/lib/postgres.sh — part of scripts/lib.sh (source that, not this file): a throwaway
# PostgreSQL 15 cluster in a directory, vk_pg_start/stop/crash/status/conninfo/destroy DIR
# (VK_PG_BINDIR, set in scripts/lib.sh, names the PostgreSQL programs).

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
