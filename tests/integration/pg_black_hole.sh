#!/usr/bin/env bash
# pg_black_hole — the path between vaksin-projector and PostgreSQL turns into a black hole: a
# proxy (checks/tcp_black_hole.py) that keeps the TCP connection open but forwards nothing and
# reads nothing, as a NAT or load balancer that lost its state does. The kernel still ACKs and
# answers keepalives, so no TCP timeout fires and PostgreSQL's statement_timeout never hears of
# the statement: only the projector's own deadline (pg.statement.timeout.ms + 10 s) gets it out.
#
#   1. the projector reaches PostgreSQL through the proxy (pg.statement.timeout.ms=2000) and
#      applies an import (sample A);
#   2. black hole (SIGUSR1), then a second import (sample B, no NIK in common with A): the
#      projector's next statement gets no answer; within the deadline plus a few seconds it logs
#      msg="PostgreSQL did not answer" (waited_ms between 12 and 14 s), drops the connection and
#      keeps trying to reconnect (msg="PostgreSQL not reachable, retrying": new connections are
#      accepted and never answered, connect_timeout=3 here), never exiting, nothing of B applied;
#   3. forwarding again (SIGUSR2, for new connections): it reconnects, resumes from the offsets
#      stored in PostgreSQL, and the read model ends exactly as the generator says for A and B
#      together: nothing lost, nothing applied twice.
# Without the deadline the projector waits in its first statement for ever, and step 2 fails.
source "$(dirname "$0")/lib.sh"
it_setup

TIMEOUT_MS=2000
DEADLINE_MS=$((TIMEOUT_MS + 10000))
logs=$VAKSIN_RUN_DIR/logs
mkdir -p "$logs"
proxy_pid='' pbh_rc=0
stop_proxy() { [[ -z "$proxy_pid" ]] || { kill "$proxy_pid" 2>/dev/null; wait "$proxy_pid" 2>/dev/null; }; }
# The proxy goes first, then it_teardown with the test's exit status (set +e: under set -e the
# (exit $rc) that hands it over would end the trap before the stack is torn down).
trap 'pbh_rc=$?; set +e; stop_proxy; (exit $pbh_rc); it_teardown' EXIT

[[ "$VAKSIN_PG" =~ port=([0-9]+) ]] || it_fail "no port in VAKSIN_PG ($VAKSIN_PG)"
pg_port=${BASH_REMATCH[1]}
[[ "$VAKSIN_PG" =~ user=([^ ]+) ]] || it_fail "no user in VAKSIN_PG ($VAKSIN_PG)"
pg_user=${BASH_REMATCH[1]}
"$PY" "$VK_SRC/tests/integration/checks/tcp_black_hole.py" "127.0.0.1:$pg_port" \
    "$IT_TMP/proxy.port" 2>>"$logs/tcp_black_hole.log" &
proxy_pid=$!
it_wait_until "the proxy listening" 10 test -s "$IT_TMP/proxy.port"
proxy_port=$(<"$IT_TMP/proxy.port")

csv_a=$IT_TMP/sisdmk-a.csv csv_b=$IT_TMP/sisdmk-b.csv
"$VK_SRC/scripts/gen-sample" --rows 400 "$csv_a" >/dev/null 2>&1
"$VK_SRC/scripts/gen-sample" --rows 400 --seed 20210316 "$csv_b" >/dev/null 2>&1
mkdir -p "$IT_TMP/no-day"
"$PY" "$VK_SRC/tests/integration/checks/samples_disjoint.py" "$csv_a" "$csv_b" "$IT_TMP/no-day" ||
    it_fail "samples A and B share NIKs"

# The projector through the proxy; everything else (vaksin-status, psql) goes straight to
# PostgreSQL. connect_timeout=3: an attempt into the black hole fails in 3 s instead of 10.
vk_service_start projector -X pg.statement.timeout.ms=$TIMEOUT_MS \
    -X "pg.conninfo=host=127.0.0.1 port=$proxy_port dbname=vaksin user=$pg_user connect_timeout=3"
vk_service_start ticket

log_count() { grep -c -- "$1" "$logs/projector.log" || true; }
targets() { it_sql "select count(*) from target"; }
sum() { echo $(($(it_expected "$csv_a.expected.json" "$1") + $(it_expected "$csv_b.expected.json" "$1"))); }

# ---- 1. through the proxy
"$VAKSIN_BIN/vaksin-import" "$csv_a" >"$IT_TMP/import-a.out" 2>"$IT_TMP/import-a.err" ||
    it_fail "import of A failed: $(tail -3 "$IT_TMP/import-a.err")"
it_wait_caught_up 120
it_eq "targets of A, through the proxy" "$(it_expected "$csv_a.expected.json" valid_unique_niks)" "$(targets)"
grep -q 'connection forwarded' "$logs/tcp_black_hole.log" || it_fail "the projector did not go through the proxy"

# ---- 2. the black hole
retries0=$(log_count 'PostgreSQL not reachable, retrying')
kill -USR1 "$proxy_pid"
it_wait_until "the proxy turning into a black hole" 5 grep -q 'black hole:' "$logs/tcp_black_hole.log"
t0=$SECONDS
"$VAKSIN_BIN/vaksin-import" "$csv_b" >"$IT_TMP/import-b.out" 2>"$IT_TMP/import-b.err" ||
    it_fail "import of B failed: $(tail -3 "$IT_TMP/import-b.err")"
# The deadline, plus the time B takes to reach the projector, plus a few seconds.
it_wait_until "the projector giving up on its silent connection (msg=\"PostgreSQL did not answer\")" \
    $((DEADLINE_MS / 1000 + 8)) grep -q 'msg="PostgreSQL did not answer"' "$logs/projector.log"
line=$(grep -m1 'msg="PostgreSQL did not answer"' "$logs/projector.log")
echo "after $((SECONDS - t0)) s: $line"
[[ "$line" =~ waited_ms=([0-9]+) ]] || it_fail "no waited_ms in: $line"
waited=${BASH_REMATCH[1]}
((waited >= DEADLINE_MS && waited < DEADLINE_MS + 2000)) ||
    it_fail "waited $waited ms for the answer; the deadline is $DEADLINE_MS ms"
retrying() { (($(log_count 'PostgreSQL not reachable, retrying') >= retries0 + 2)); }
it_wait_until "the projector retrying to connect (twice)" 30 retrying
vk_service_running projector || it_fail "vaksin-projector exited in the black hole"
grep -m2 'PostgreSQL not reachable, retrying' "$logs/projector.log" | sed 's/^/  /'
it_eq "targets while the path is a black hole (A only)" \
    "$(it_expected "$csv_a.expected.json" valid_unique_niks)" "$(targets)"

# ---- 3. forwarding again
resumed0=$(log_count 'resuming from the offsets stored in PostgreSQL')
kill -USR2 "$proxy_pid"
it_wait_caught_up 120
vk_service_running projector || it_fail "vaksin-projector is not running at the end"
(($(log_count 'resuming from the offsets stored in PostgreSQL') > resumed0)) ||
    it_fail "the projector did not resume from the stored offsets after reconnecting"
it_eq "targets (A + B)" "$(sum valid_unique_niks)" "$(targets)"
it_eq "event_log rows (A + B, one per distinct event)" \
    "$(($(sum valid_unique_niks) + $(sum conflicting_duplicates)))" \
    "$(it_sql "select count(*) from event_log")"
it_eq "CONFLICT rejections (A + B)" "$(sum conflicting_duplicates)" \
    "$(it_sql "select count(*) from rejection where reason_code = 'CONFLICT'")"
echo "ok [$IT_NAME]: a black-holed connection is dropped after ${waited} ms, and nothing is lost"
