#!/usr/bin/env bash
# bench/import.sh — the bulk-import figure alone (docs/design.md §9): N ticket requests (default
# 1,000,000) from a SISDMK CSV through vaksin-import → vaksin-ticket → vaksin-projector into
# `target`, end to end, against the same rows loaded with COPY into an identical table in the same
# run, and the peak RSS of every program meanwhile. A shortcut for
#
#   bench/run --only import,memory [--rows N] [--partitions P]
#
# which prints the table and writes it under bench/results/ (see bench/run for everything else).
set -euo pipefail
args=(--only import,memory)
while (($#)); do
    case "$1" in
    --rows | --partitions) args+=("$1" "$2"); shift 2 ;;
    *) sed -n '2,8s/^# \{0,1\}//p' "$0" >&2; exit 2 ;;
    esac
done
exec "$(dirname "$0")/run" "${args[@]}"
