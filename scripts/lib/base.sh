# shellcheck shell=bash
#
# scripts/lib/base.sh — part of scripts/lib.sh (source that, not this file): the small helpers the
# other parts use. Messages (vk_log, vk_err), the run context (vk__ctx: VK_RUN, VK_BUILD_DIR,
# VK_BIN_DIR), pid files and processes, starting a program in the background (vk__spawn), free ports.

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
# "kafka" is the local Apache Kafka broker (a JVM whose command line names kafka.Kafka), and
# "schema-registry" the test schema registry (a Python script, test-servers/registry).
vk__program() {
    case "$1" in
    stub-*) printf 'vaksin-stubs' ;;
    kafka) printf 'kafka.Kafka' ;;
    schema-registry) printf 'schema_registry.py' ;;
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
