#!/usr/bin/env bash
# eos_zombie_fencing — a zombie is fenced by its transactional id. vaksin-ticket (instance.id 0,
# transactional id vaksin-ticket-0) works through a 20,000-row import with long transactions
# (batch.max=400, batch.ms=2000, no idle close) and is frozen with SIGSTOP while a transaction
# of its is open with output on the broker: the read_committed end (last stable offset) of the
# output topics lags their high watermark, and nothing else produces there. A replacement, a
# separate process with the SAME instance.id (pid file ticket-b, log logs/ticket-b.log), starts
# meanwhile. Its InitProducerId bumps the producer epoch of vaksin-ticket-0 and makes the
# coordinator abort the frozen transaction: that is checked while the zombie is still frozen
# (last stable offset = high watermark, before the replacement has partitions). Once the
# replacement has committed input of its own, the zombie gets SIGCONT: it must find itself
# fenced (a fatal error naming the fencing in its log) and stop; nothing it produced may
# become visible.
#
# Then, as in eos_aborted_hidden, a client that shares no code with vaksin (Confluent's Python
# client) reads the topics twice:
#   read_committed   exactly one outcome — a TicketIssued or a dead letter — per input request;
#   read_uncommitted at least the frozen transaction's records, aborted (the witness).
# And the read model equals the generator's expectations.
source "$(dirname "$0")/lib.sh"
it_needs_kafka
it_setup
py=$(vk_pyenv) || it_fail "no Python test environment"

rows=20000
csv=$IT_TMP/sisdmk.csv
"$VK_SRC/scripts/gen-sample" --rows "$rows" "$csv" >/dev/null
exp=$csv.expected.json

ticket_args=(-X batch.max=400 -X batch.ms=2000 -X batch.idle.ms=-1)
zombie_log=$VAKSIN_RUN_DIR/logs/ticket.log
heir_log=$VAKSIN_RUN_DIR/logs/ticket-b.log

# kq COMMAND [ARGS] — tests/clients/group_probe.py: the broker's view of the group vaksin-ticket
# and its output (members, open records, committed offsets; freeze a process inside an open
# transaction). Its docstring says what each command prints.
kq() { "$py" "$VK_SRC/tests/clients/group_probe.py" "$VAKSIN_BOOTSTRAP" "$@"; }

committed_above() { (($(kq committed "$1") > $2)); }
in_log() { grep -q -E "$2" "$1"; }

vk_service_start projector
"$VAKSIN_BIN/vaksin-import" "$csv" >"$IT_TMP/import.out" 2>&1 ||
    it_fail "import failed: $(tail -3 "$IT_TMP/import.out")"
vk_service_start ticket "${ticket_args[@]}"

# Freeze it inside a transaction with output on the broker. A transaction's records leave the
# client only once their partitions are registered (AddPartitionsToTxn), which the coordinator
# refuses (CONCURRENT_TRANSACTIONS) until it has written the previous commit's markers: of a
# transaction's 40-60 ms here, the records spend a third to a half in the client, and a stop
# then finds nothing open on the broker (kq freeze tries again).
zombie_pid=$(vk_service_pid ticket)
caught=$(kq freeze "$zombie_pid" all 1) || it_fail "vaksin-ticket was not caught in an open transaction"
read -r stops open <<<"$caught"
frozen_at=$(kq committed all)
echo "stop $stops: vaksin-ticket (pid $zombie_pid) frozen with an open transaction of $open records; $frozen_at of $rows requests committed"

# The replacement: the same configuration and instance.id, so the same transactional id.
# kafka.client.id puts its pid file's name on its command line (scripts/lib.sh finds, and on
# teardown stops, a program by its pid file's name on its command line).
vk__spawn "$VAKSIN_RUN_DIR/pids/ticket-b.pid" "$heir_log" "$VAKSIN_RUN_DIR/stack.env" \
    "$VAKSIN_BIN/vaksin-ticket" --config "$VAKSIN_RUN_DIR/vaksin.conf" \
    -X kafka.client.id=vaksin-ticket-b "${ticket_args[@]}" || it_fail "the replacement did not start"
it_wait_until "replacement's init_transactions" 60 in_log "$heir_log" 'msg=started transactional_id=vaksin-ticket-0 '
# Its InitProducerId returned only once the coordinator had aborted the zombie's transaction.
# Until the zombie's session times out (6 s) the replacement has no partition and produces
# nothing, so every record must now be stable.
open_after=$(kq open all)
if in_log "$heir_log" 'partitions assigned'; then
    echo "note: the replacement got partitions before the check; $open_after records open then"
else
    it_eq "records still open after the replacement's InitProducerId (zombie frozen)" 0 "$open_after"
fi

# The replacement takes over the group's partitions once the zombie's session times out, and
# commits. Only then is the zombie thawed.
it_wait_until "replacement committing" 60 committed_above all "$frozen_at"
echo "replacement committed: $(kq committed all) of $rows requests committed; thawing the zombie"
vk_service_kill ticket CONT
vk_service_wait_exit ticket 60 || it_fail "the zombie (pid $zombie_pid) still runs 60 s after SIGCONT"
grep -E 'fatal=true|clean=' "$zombie_log" | tail -n 5 | sed 's/^/zombie: /'
in_log "$zombie_log" 'fatal=true' || it_fail "the zombie stopped without a fatal error"
grep -E 'fatal=true' "$zombie_log" | grep -q -i -E 'fenced|epoch' ||
    it_fail "the zombie's fatal error does not name the fencing"
in_log "$zombie_log" 'msg=stopped clean=false' || it_fail "the zombie did not stop on its fatal error"
if in_log "$zombie_log" 'last batch committed on shutdown'; then
    it_fail "the zombie committed on its way out"
fi
vk_service_running ticket-b || it_fail "the replacement stopped"

it_wait_caught_up 300

# At least the zombie's frozen transaction was aborted.
it_exactly_once "$rows" "$open"
aborted=$IT_ABORTED
echo "figure: stops=$stops zombie_open_records=$open aborted_records_seen_by_witness=$aborted duplicates_read_committed=0"
it_check_sample_outcome "$exp"
