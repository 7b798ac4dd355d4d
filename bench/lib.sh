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
# Debezium's JDBC sink, bench/connect/pom.xml), resolved from Maven Central the first time.
bench_connect_jars() { vk_maven_jars "$src/bench/connect/pom.xml" connect 'debezium-connector-jdbc-*.jar'; }
