#!/usr/bin/env bash
# metrics_endpoints — a stage service's GET /metrics, /healthz and /readyz on metrics.listen:
# the exposition passes Prometheus's own linter (promtool check metrics) and its counters say
# what was sent — requests in, events out, dead letters by reason code, committed transactions,
# lag per partition — and readiness follows the assignment. The projector's likewise: events by
# outcome, batches, phase timings, and ready only with its database.
source "$(dirname "$0")/lib.sh"
it_setup
log=$VAKSIN_RUN_DIR/logs/ticket.log
command -v promtool >/dev/null || it_fail "promtool is not installed (scripts/deps installs prometheus)"

vk_service_start ticket # the stack gives it metrics.listen=127.0.0.1:<a port of its own>
vk_service_start projector
url=$(vk_service_metrics_url ticket)
purl=$(vk_service_metrics_url projector)
grep -q "msg=\"serving /metrics, /healthz, /readyz\" listen=${url#http://} " "$log" ||
    it_fail "vaksin-ticket does not say it serves on ${url#http://}"
ready() { [[ "$(curl -s -o /dev/null -w '%{http_code}' "$url/readyz")" == 200 ]]; }
it_wait_until "/readyz answering 200 (partitions assigned, nothing behind)" 60 ready
it_eq "/healthz" "200 alive" "$(curl -s -w '%{http_code}' -o "$IT_TMP/h" "$url/healthz") $(cat "$IT_TMP/h")"

{
    for n in 1 2 3; do
        printf '{"nik":"327302520585000%d","name":"Siti Aminah","birth_date":"1985-05-12","sex":"P","origin":"OTHER"}\n' "$n"
    done
    printf '{"nik":"32730252058500","name":"Budi","birth_date":"1985-05-12","sex":"L","origin":"OTHER"}\n'
} >"$IT_TMP/requests.jsonl"
it_eq "submitted" "read=4 sent=4 refused=0" \
    "$("$VAKSIN_BIN/vaksin-submit" --topic vaksin.ticket.requests "$IT_TMP/requests.jsonl")"
metric() { # NAME{LABELS} → its value in the last scrape
    awk -v k="$1" '$1 == k { print $2 }' "$IT_TMP/metrics"
}
scraped_all() {
    curl -sf "$url/metrics" >"$IT_TMP/metrics" &&
        [[ "$(metric 'vaksin_events_in_total{topic="vaksin.ticket.requests"}')" == 4 ]]
}
it_wait_until "vaksin_events_in_total = 4" 60 scraped_all
promtool check metrics <"$IT_TMP/metrics" || it_fail "promtool check metrics refused /metrics (above)"
echo "ok [$IT_NAME]: promtool check metrics accepts /metrics ($(wc -l <"$IT_TMP/metrics") lines)"
it_eq "vaksin_events_out_total{topic=vaksin.target.events}" 3 \
    "$(metric 'vaksin_events_out_total{topic="vaksin.target.events"}')"
it_eq "vaksin_dead_letters_total{code=INVALID_NIK}" 1 \
    "$(metric 'vaksin_dead_letters_total{code="INVALID_NIK"}')"
it_eq "aborted transactions" 0 "$(metric 'vaksin_transactions_total{outcome="aborted"}')"
committed=$(metric 'vaksin_transactions_total{outcome="committed"}')
((committed >= 1)) || it_fail "no committed transaction counted"
it_eq "commit latency observations = committed transactions" "$committed" "$(metric vaksin_commit_seconds_count)"
it_eq "assigned partitions" "$VAKSIN_PARTITIONS" "$(metric vaksin_assigned_partitions)"
# The gauges are set every second: wait for the one after the requests were consumed.
lag_zero() {
    curl -sf "$url/metrics" >"$IT_TMP/metrics.lag" &&
        (($(grep -c '^vaksin_consumer_lag_messages{topic="vaksin.ticket.requests",partition="[0-9]*"} 0$' "$IT_TMP/metrics.lag") == VAKSIN_PARTITIONS))
}
it_wait_until "a lag series per partition, all at 0" 10 lag_zero
echo "ok [$IT_NAME]: $VAKSIN_PARTITIONS lag series at 0"
it_eq "vaksin_ready" 1 "$(metric vaksin_ready)"
it_eq "an unknown path" 404 "$(curl -s -o /dev/null -w '%{http_code}' "$url/nothing")"

# The projector: what it applied, its batches and phases; ready with its database.
projected() {
    curl -sf "$purl/metrics" >"$IT_TMP/metrics" &&
        [[ "$(metric 'vaksin_projected_events_total{outcome="applied"}')" == 3 ]]
}
it_wait_until "vaksin_projected_events_total{outcome=applied} = 3" 60 projected
promtool check metrics <"$IT_TMP/metrics" || it_fail "promtool check metrics refused the projector's /metrics"
echo "ok [$IT_NAME]: promtool check metrics accepts the projector's /metrics"
it_eq "quarantined" 0 "$(metric vaksin_quarantined_events_total)"
it_eq "rows written to target (PostgreSQL's count)" 3 "$(metric 'vaksin_rows_written_total{table="target"}')"
it_eq "rows written to event_log" 3 "$(metric 'vaksin_rows_written_total{table="event_log"}')"
it_eq "no staging table counted" "" "$(grep -E 'vaksin_rows_written_total\{table="[a-z_]*_(in|upd)"' "$IT_TMP/metrics" || true)"
batches=$(metric vaksin_projector_batches_total)
it_eq "write-phase observations = batches" "$batches" \
    "$(metric 'vaksin_batch_phase_seconds_count{phase="write"}')"
projector_ready() { [[ "$(curl -s -o /dev/null -w '%{http_code}' "$purl/readyz")" == 200 ]]; }
it_wait_until "the projector's /readyz at 200" 30 projector_ready

# A rejection by the read model's rules is counted by its code: the same NIK with another name.
printf '{"nik":"3273025205850001","name":"Siti Rahayu","birth_date":"1985-05-12","sex":"P","origin":"OTHER"}\n' \
    >"$IT_TMP/conflict.jsonl"
it_eq "submitted" "read=1 sent=1 refused=0" \
    "$("$VAKSIN_BIN/vaksin-submit" --topic vaksin.ticket.requests "$IT_TMP/conflict.jsonl")"
rejected() {
    code=$(it_sql "SELECT reason_code FROM rejection")
    [[ -n "$code" ]] && curl -sf "$purl/metrics" >"$IT_TMP/metrics" &&
        [[ "$(metric "vaksin_rejections_total{code=\"$code\"}")" == 1 ]]
}
it_wait_until "vaksin_rejections_total counting the rejection by its code" 60 rejected
echo "ok [$IT_NAME]: vaksin_rejections_total{code=\"$code\"} = 1, as the rejection table says"
