# shellcheck shell=bash
#
# scripts/lib.sh — the local development stack as shell functions: a throwaway PostgreSQL 15
# cluster, a local Apache Kafka broker (or, with VAKSIN_BROKER=mock, the in-memory development
# broker vaksin-devbroker) and the services, each started in the background with a log and a pid
# file under one run directory.
#
# Sourced by scripts/pg, scripts/stack, scripts/demo, scripts/demo-verification, bench/lib.sh,
# tests/integration/lib.sh and tests/CMakeLists.txt: the one file to source. It sets the variables
# below and sources the parts in scripts/lib/ (see "Files"); it sets no shell options of its own
# (callers may or may not use `set -euo pipefail`): every function checks what it runs and returns
# non-zero with a message on stderr. Nothing here prints on stdout except the functions whose job
# is to print (vk_pg_start prints a conninfo, vk_service_pid a pid, status).
#
# Where things are (evaluated at each call, so a caller may change the variables after sourcing):
#   VAKSIN_RUN_DIR    run directory                 default <repo>/.run
#   VAKSIN_BIN        folder with the vaksin-* programs; when set, nothing is built
#                     (VK_BIN, as ctest passes it, is accepted too)
#   VAKSIN_BUILD_DIR  build tree used when VAKSIN_BIN is unset  default <repo>/build
#   VAKSIN_PARTITIONS partitions per topic the stack's broker gets  default 16
#   VAKSIN_BROKER     kafka (Apache Kafka, default) or mock (vaksin-devbroker); see lib/broker.sh
#   VAKSIN_KAFKA_HEAP, VAKSIN_CACHE_DIR  the Kafka broker's heap and jar cache (same file)
#   VAKSIN_PG_FAST=1  fsync=off, synchronous_commit=off, full_page_writes=off (tests, benchmarks)
#   VAKSIN_PG_SHARED_BUFFERS  default 1GB
#   VAKSIN_SCHEMA_REGISTRY=local  vk_stack_up* also starts the test schema registry
#                     (test-servers/registry, see lib/registry.sh) after the broker and writes its
#                     schema.registry.url into vaksin.conf; unset: no registry
#
# Run directory layout:
#   stack.env          shell-sourceable: VAKSIN_BOOTSTRAP, VAKSIN_PG, VAKSIN_RUN_DIR, VAKSIN_BIN
#   vaksin.conf        the services' config file (mode 600; holds this stack's ticket.secret)
#   bootstrap          written by the broker: its bootstrap.servers
#   pg/                the PostgreSQL cluster (or a symlink to it, see vk_pg_start)
#   kafka/             the Kafka broker's properties, data and ports
#   schema-registry/   the test schema registry's store (store.json); schema-registry.url its URL
#   logs/<name>.log    kafka.log, ticket.log, projector.log, ... (appended on restarts;
#                      the previous stack's in logs/previous/)
#   pids/<name>.pid    one per running program
#
# Names: a service is named by its short name ("ticket") or its program name ("vaksin-ticket").
#
# Files, in scripts/lib/, sourced in this order (each function is documented where it is defined):
#   base.sh      small helpers: vk_log, vk_err; vk__ctx (the run context), pid files, processes,
#                vk__spawn (a program in the background), free ports
#   postgres.sh  vk_pg_start DIR (prints the conninfo), vk_pg_stop DIR, vk_pg_crash DIR,
#                vk_pg_status DIR, vk_pg_conninfo DIR, vk_pg_destroy DIR
#   build.sh     vk_build
#   broker.sh    vk_broker_start [ARGS...], vk_broker_stop, vk_broker_kill, vk_broker_running,
#                vk_broker_pid, vk_maven_jars, vk_kafka_jars, vk_kafka_version (vk_kafka_start,
#                vk_devbroker_start)
#   services.sh  vk_service_start NAME [ARGS...], vk_service_stop NAME [SECONDS],
#                vk_service_restart NAME [ARGS...], vk_service_kill NAME SIGNAL,
#                vk_service_running NAME, vk_service_pid NAME, vk_service_wait_exit NAME SECONDS,
#                vk_service_built NAME, vk_services_start_all, vk_services_stop_all [SECONDS]
#   stubs.sh     vk_stubs_start, vk_stub_start jkn|dukcapil [ARGS...], vk_stub_restart …,
#                vk_conf_set KEY VALUE
#   registry.sh  vk_registry_start [ARGS...], vk_registry_stop, vk_registry_restart [ARGS...],
#                vk_registry_url (the test schema registry, service "schema-registry")
#   stack.sh     vk_stack_up_infra, vk_stack_up [--infra], vk_stack_down, vk_stack_destroy,
#                vk_stack_status
#   clients.sh   vk_pyenv (the independent test clients' Python)
# Helpers named vk__* are internal.

VK_SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# The services `vk_stack_up` starts, in this order (those not built are skipped).
VK_SERVICES=(projector ticket registration screening vaccination verification lookup)

VK_PG_BINDIR=${VAKSIN_PG_BINDIR:-/usr/lib/postgresql/15/bin}

# Extra arguments for vaksin-devbroker when vk_stack_up* starts it (e.g. -X devbroker.brokers=3).
[[ -v VK_BROKER_ARGS ]] || VK_BROKER_ARGS=()

# The parts, found beside this file (VK_SRC is this file's folder's parent). Functions only: the
# order matters to a reader, not to bash (a function finds the others when it runs).
# shellcheck source=scripts/lib/base.sh
. "$VK_SRC/scripts/lib/base.sh" || return 1
# shellcheck source=scripts/lib/postgres.sh
. "$VK_SRC/scripts/lib/postgres.sh" || return 1
# shellcheck source=scripts/lib/build.sh
. "$VK_SRC/scripts/lib/build.sh" || return 1
# shellcheck source=scripts/lib/broker.sh
. "$VK_SRC/scripts/lib/broker.sh" || return 1
# shellcheck source=scripts/lib/services.sh
. "$VK_SRC/scripts/lib/services.sh" || return 1
# shellcheck source=scripts/lib/stubs.sh
. "$VK_SRC/scripts/lib/stubs.sh" || return 1
# shellcheck source=scripts/lib/registry.sh
. "$VK_SRC/scripts/lib/registry.sh" || return 1
# shellcheck source=scripts/lib/stack.sh
. "$VK_SRC/scripts/lib/stack.sh" || return 1
# shellcheck source=scripts/lib/clients.sh
. "$VK_SRC/scripts/lib/clients.sh" || return 1
