#!/usr/bin/env bash
# desk_day — a simulated vaccination programme for the 20,000-row sample through the real desk
# services: ~50,000 registration, screening and vaccination requests (scripts/gen-desk-day)
# through vaksin-registration, -screening, -vaccination and vaksin-projector on the development
# broker and PostgreSQL. The dose table (every row, every column), the rejections (event id →
# reason), the desk dead letters and event_log's outcomes must be exactly what the generator's
# independent model of the rules (lib/domain/vk_dose.h, docs/design.md §4) says.
#
# The requests come in phases: within one a person has requests on one topic under one key
# only, and the test waits until everything has caught up before the next, since Kafka orders a
# person's requests across topics (and ticket vs NIK keys) in no defined way.
source "$(dirname "$0")/lib.sh"
it_setup

csv=$IT_TMP/sisdmk.csv
"$VK_SRC/scripts/gen-sample" --rows 20000 "$csv" >/dev/null 2>&1
day=$IT_TMP/day

for svc in projector ticket registration screening vaccination; do
    vk_service_start "$svc"
done
"$VAKSIN_BIN/vaksin-import" "$csv" >"$IT_TMP/import.out" 2>"$IT_TMP/import.err" ||
    it_fail "import failed: $(tail -3 "$IT_TMP/import.err")"
it_wait_caught_up 240
it_check_sample_outcome "$csv.expected.json"

it_desk_day_generate "$csv" "$day" ${IT_DESK_EVENTS:+--events "$IT_DESK_EVENTS"}
it_submit_day "$day"
it_check_desk_outcome "$day/expected.json"
