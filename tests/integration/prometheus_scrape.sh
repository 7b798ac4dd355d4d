#!/usr/bin/env bash
# prometheus_scrape — a real Prometheus server (Debian's prometheus) on loopback scrapes the
# stack through the discovery file the stack writes ($RUN/prometheus/targets.json): every
# service is a target and up, and the counters it stores are what was sent. Queried through
# Prometheus's HTTP API, as a dashboard or an alert rule would.
source "$(dirname "$0")/lib.sh"
it_setup
command -v prometheus >/dev/null || it_fail "prometheus is not installed (scripts/deps installs it)"

vk_service_start ticket
vk_service_start registration
vk_service_start projector
targets=$VAKSIN_RUN_DIR/prometheus/targets.json
it_eq "services in targets.json" "vaksin-projector vaksin-registration vaksin-ticket" \
    "$("$PY" -c 'import json, sys; print(" ".join(sorted(t["labels"]["service"] for t in json.load(open(sys.argv[1])))))' "$targets")"

port=$(vk__pick_port "$IT_TMP/prometheus" 29000)
cat >"$IT_TMP/prometheus.yml" <<YAML
global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: vaksin
    file_sd_configs:
      - files: ["$targets"]
        refresh_interval: 1s
YAML
promtool check config "$IT_TMP/prometheus.yml" >/dev/null || it_fail "promtool check config refused the configuration"
prometheus --config.file="$IT_TMP/prometheus.yml" --storage.tsdb.path="$IT_TMP/tsdb" \
    --web.listen-address="127.0.0.1:$port" --log.level=warn >"$IT_TMP/prometheus.log" 2>&1 &
prom=$!
trap 'rc=$?; kill "$prom" 2>/dev/null; wait "$prom" 2>/dev/null; (exit $rc); it_teardown' EXIT
api=http://127.0.0.1:$port
prom_ready() { curl -sf "$api/-/ready" >/dev/null; }
it_wait_until "Prometheus ready" 60 prom_ready

{
    for n in 1 2 3; do
        printf '{"nik":"327302520585000%d","name":"Siti Aminah","birth_date":"1985-05-12","sex":"P","origin":"OTHER"}\n' "$n"
    done
    printf '{"nik":"32730252058500","name":"Budi","birth_date":"1985-05-12","sex":"L","origin":"OTHER"}\n'
} >"$IT_TMP/requests.jsonl"
it_eq "submitted" "read=4 sent=4 refused=0" \
    "$("$VAKSIN_BIN/vaksin-submit" --topic vaksin.ticket.requests "$IT_TMP/requests.jsonl")"

# query PROMQL → the value of its one sample ("" when none)
query() {
    curl -sf --get "$api/api/v1/query" --data-urlencode "query=$1" |
        "$PY" -c 'import json, sys
r = json.load(sys.stdin)["data"]["result"]
print(r[0]["value"][1] if len(r) == 1 else "")'
}
targets_up() {
    curl -sf "$api/api/v1/targets" | "$PY" -c 'import json, sys
t = json.load(sys.stdin)["data"]["activeTargets"]
sys.exit(0 if len(t) == 3 and all(x["health"] == "up" for x in t) else 1)'
}
it_wait_until "3 targets discovered and up" 60 targets_up
echo "ok [$IT_NAME]: every service discovered through targets.json and up"
scraped() { [[ "$(query 'sum(vaksin_events_in_total{service="vaksin-ticket"})')" == 4 ]]; }
it_wait_until "Prometheus holding vaksin_events_in_total = 4 for vaksin-ticket" 60 scraped
applied() { [[ "$(query 'vaksin_projected_events_total{outcome="applied"}')" == 3 ]]; }
it_wait_until "Prometheus holding 3 applied events for vaksin-projector" 60 applied
it_eq "dead letters INVALID_NIK (PromQL)" 1 \
    "$(query 'sum(vaksin_dead_letters_total{service="vaksin-ticket",code="INVALID_NIK"})')"
it_eq "TargetEvents out of vaksin-ticket (PromQL)" 3 \
    "$(query 'sum(vaksin_events_out_total{service="vaksin-ticket",topic="vaksin.target.events"})')"
it_eq "targets up (PromQL: sum(up))" 3 "$(query 'sum(up{job="vaksin"})')"
all_ready() { [[ "$(query 'sum(vaksin_ready)')" == 3 ]]; }
it_wait_until "3 services ready (PromQL)" 15 all_ready
echo "ok [$IT_NAME]: 3 services ready (PromQL)"
# Gauges are set every second and scraped every second: wait for a scrape after the last event.
lag_zero() { [[ "$(query 'sum(vaksin_consumer_lag_messages{service="vaksin-projector"})')" == 0 ]]; }
it_wait_until "lag of vaksin-projector at 0 (PromQL)" 15 lag_zero
echo "ok [$IT_NAME]: lag of vaksin-projector at 0 (PromQL)"

# A stopped service leaves the discovery file, and Prometheus drops it.
vk_service_stop registration
two() { curl -sf "$api/api/v1/targets" | "$PY" -c 'import json, sys
sys.exit(0 if len(json.load(sys.stdin)["data"]["activeTargets"]) == 2 else 1)'; }
it_wait_until "2 targets after vaksin-registration stopped" 30 two
echo "ok [$IT_NAME]: vaksin-registration left targets.json and Prometheus's targets"
