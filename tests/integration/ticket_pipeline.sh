#!/usr/bin/env bash
# ticket_pipeline — 20,000 SISDMK rows with bad rows and duplicates through the real importer,
# vaksin-ticket and vaksin-projector on the development broker and PostgreSQL; the read model
# and the dead letters must match exactly what the generator says it wrote.
source "$(dirname "$0")/lib.sh"
it_setup

csv=$IT_TMP/sisdmk.csv
"$VK_SRC/scripts/gen-sample" --rows 20000 "$csv" >/dev/null
exp=$csv.expected.json

vk_service_start projector
vk_service_start ticket
"$VAKSIN_BIN/vaksin-import" "$csv" >"$IT_TMP/import.out" 2>"$IT_TMP/import.err" ||
    it_fail "import failed: $(tail -3 "$IT_TMP/import.err")"
it_wait_caught_up 240

it_check_sample_outcome "$exp"
