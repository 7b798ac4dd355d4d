#!/usr/bin/env bash
# eos_upstream_txn — requests an upstream system publishes inside a Kafka transaction are
# processed only if that transaction commits. An independent producer (Confluent's Python
# client, tests/clients/txn_produce.py) opens transaction A and writes 300 valid ticket requests,
# then writes 300 others in transaction B and commits B, holds A open for a few seconds, and
# aborts A.
#
# vaksin's consumers read read_committed, so:
#   - while A is open, nothing of B is processed on a partition A also wrote to: the last
#     stable offset stays at A's first record (B's records are behind it in the log);
#   - after A aborts, every request of B becomes a target and none of A does, and no dead
#     letter is written for either;
#   - a read_uncommitted witness of vaksin.ticket.requests sees A's 300 records, so the aborted
#     transaction really reached the log (otherwise the test would prove nothing).
source "$(dirname "$0")/lib.sh"
it_needs_kafka
it_setup
py=$(vk_pyenv) || it_fail "no Python test environment"
vk_service_start ticket
vk_service_start projector

out=$IT_TMP/upstream
mkdir -p "$out"
"$py" "$VK_SRC/tests/clients/txn_produce.py" "$VAKSIN_BOOTSTRAP" "$out" --aborted 300 \
    --committed 300 --hold 6 >"$out/produce.json" 2>"$out/produce.err" &
producer=$!
it_wait_until "transaction B committed while A is open" 60 test -e "$out/holding"
# While A is open: give the pipeline time to process whatever it can read.
sleep 3
during=$(it_sql "select count(*) from target")
wait "$producer" || it_fail "the upstream producer failed: $(tail -3 "$out/produce.err")"
echo "producer: $(cat "$out/produce.json")"
parts=$("$py" -c 'import json,sys; d=json.load(open(sys.argv[1])); print(len(set(d["committed_partitions"]) - set(d["aborted_partitions"])))' "$out/produce.json")
# Only partitions that A did not write to could deliver B's requests while A was open.
if ((parts == 0)); then
    it_eq "targets made while transaction A was open (its records hold every partition B used)" 0 "$during"
else
    echo "note: $parts partitions of B had no record of A; $during targets made while A was open"
fi

it_wait_caught_up 120
it_eq "targets from the committed transaction" 300 \
    "$(it_sql "select count(*) from target where nik in ($(sed "s/.*/'&'/" "$out/committed.niks" | paste -sd,))")"
it_eq "targets from the aborted transaction" 0 \
    "$(it_sql "select count(*) from target where nik in ($(sed "s/.*/'&'/" "$out/aborted.niks" | paste -sd,))")"
it_eq "targets in all" 300 "$(it_sql "select count(*) from target")"
it_eq "dead letters" 0 "$(it_dead_letters | grep -c . || true)"

witness=$("$py" "$VK_SRC/tests/clients/read_topic.py" "$VAKSIN_BOOTSTRAP" vaksin.ticket.requests read_uncommitted | grep -c '"event_id"')
committed=$("$py" "$VK_SRC/tests/clients/read_topic.py" "$VAKSIN_BOOTSTRAP" vaksin.ticket.requests read_committed | grep -c '"event_id"')
it_eq "requests a read_committed reader sees" 300 "$committed"
it_eq "requests the read_uncommitted witness sees (A's aborted ones too)" 600 "$witness"
echo "figure: aborted_requests_in_log=$((witness - committed)) processed_from_aborted=0 targets_while_A_open=$during"
