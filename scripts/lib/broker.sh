# shellcheck shell=bash
#
# scripts/lib/broker.sh — part of scripts/lib.sh (source that, not this file): the broker, a
# local Apache Kafka (vk_kafka_jars, vk_kafka_start) or vaksin-devbroker (vk_devbroker_start),
# behind vk_broker_start/stop/kill/running/pid.

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

# vk_maven_jars POM NAME JAR — prints the folder holding the runtime jars of POM, resolving them
# from Maven Central the first time (`mvn dependency:copy-dependencies`) into the cache
# ($VAKSIN_CACHE_DIR or ~/.cache/vaksin, in NAME-<hash of POM>/libs), so that changing a version in
# POM resolves again; a lock keeps parallel callers from racing. JAR is a file name pattern the
# resolution must have produced (e.g. 'kafka_2.13-*.jar').
vk_maven_jars() {
    local pom=$1 name=$2 want=$3 cache key dir
    cache=${VAKSIN_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/vaksin}
    key=$(sha256sum "$pom" | cut -c1-12)
    dir=$cache/$name-$key
    if [[ ! -f "$dir/complete" ]]; then
        command -v mvn >/dev/null 2>&1 || { vk_err "mvn not found (run scripts/deps)"; return 1; }
        mkdir -p "$cache" || return 1
        (
            flock 9
            [[ -f "$dir/complete" ]] && exit 0
            rm -rf "$dir" && mkdir -p "$dir/libs" || exit 1
            vk_log "resolving $(basename "$(dirname "$pom")")/$(basename "$pom")'s jars from Maven Central into $dir"
            (cd "$dir" && mvn -B -q -f "$pom" dependency:copy-dependencies \
                -DincludeScope=runtime -DoutputDirectory="$dir/libs") >"$dir/mvn.log" 2>&1 || {
                vk_err "mvn could not resolve $pom (log: $dir/mvn.log)"
                tail -n 20 "$dir/mvn.log" >&2
                exit 1
            }
            compgen -G "$dir/libs/$want" >/dev/null || { vk_err "no $want in $dir/libs"; exit 1; }
            touch "$dir/complete"
        ) 9>"$cache/.lock" || return 1
    fi
    printf '%s\n' "$dir/libs"
}

# vk_kafka_jars — prints the folder holding the pinned broker's jars (scripts/broker/pom.xml;
# about 5-10 s and 46 MB the first time).
vk_kafka_jars() { vk_maven_jars "$VK_SRC/scripts/broker/pom.xml" kafka 'kafka_2.13-*.jar'; }

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
