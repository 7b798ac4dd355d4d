# shellcheck shell=bash
#
# bench/lib.sh — what the benchmarks share: their own stack (run dir .run-bench/), a Release
# build in build-release/, fsync off for the pipeline and the references alike, and small helpers.
#
# bench_stack_up PARTITIONS — builds if needed, starts PostgreSQL and the development broker,
# exports stack.env and arranges for the stack to come down when the script exits.
src=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

bench_stack_up() {
    export VAKSIN_RUN_DIR=${VAKSIN_RUN_DIR:-$src/.run-bench}
    export VAKSIN_BUILD_DIR=${VAKSIN_BUILD_DIR:-$src/build-release}
    export VAKSIN_BUILD_TYPE=Release
    export VAKSIN_PARTITIONS=$1
    export VAKSIN_PG_FAST=1
    # shellcheck source=../scripts/lib.sh
    source "$src/scripts/lib.sh"
    "$src/scripts/deps" >/dev/null
    mkdir -p "$VAKSIN_RUN_DIR"
    vk_build >"$VAKSIN_RUN_DIR/build.log" 2>&1 || { tail -n 30 "$VAKSIN_RUN_DIR/build.log" >&2; return 1; }
    trap 'vk_stack_down >/dev/null 2>&1 || true' EXIT
    vk_stack_up_infra >/dev/null
    # shellcheck disable=SC1091
    source "$VAKSIN_RUN_DIR/stack.env"
}

sql() { psql "$VAKSIN_PG" -XAtq -v ON_ERROR_STOP=1 -c "$1"; }

# bench_connect_jars — prints the folder of the benchmark peer's jars (Kafka Connect and
# Debezium's JDBC sink, bench/connect/pom.xml), resolved from Maven Central the first time into
# the same cache as the broker's, keyed by the pom's content.
bench_connect_jars() {
    local pom=$src/bench/connect/pom.xml cache key dir
    cache=${VAKSIN_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/vaksin}
    key=$(sha256sum "$pom" | cut -c1-12)
    dir=$cache/connect-$key
    if [[ ! -f "$dir/complete" ]]; then
        mkdir -p "$cache" || return 1
        (
            flock 9
            [[ -f "$dir/complete" ]] && exit 0
            rm -rf "$dir" && mkdir -p "$dir/libs" || exit 1
            echo "bench: resolving Kafka Connect and the JDBC sink from Maven Central into $dir" >&2
            (cd "$dir" && mvn -B -q -f "$pom" dependency:copy-dependencies -DincludeScope=runtime \
                -DoutputDirectory="$dir/libs") >"$dir/mvn.log" 2>&1 || {
                tail -n 20 "$dir/mvn.log" >&2
                exit 1
            }
            ls "$dir"/libs/debezium-connector-jdbc-*.jar >/dev/null || exit 1
            touch "$dir/complete"
        ) 9>"$cache/.lock" || return 1
    fi
    printf '%s\n' "$dir/libs"
}
