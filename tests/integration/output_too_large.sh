#!/usr/bin/env bash
# output_too_large — an input whose own output would be too large for the broker becomes a dead
# letter (OUTPUT_TOO_LARGE) instead of a transaction that aborts on every try and stops the
# service. vaksin-screening runs with a producer limit of 2,500 bytes; a screening with 64
# answers and a 500-byte note makes a Screened event larger than that, while a small one goes
# through. The dead letter fits under the same limit: it keeps the head of the request.
source "$(dirname "$0")/lib.sh"
it_setup
log=$VAKSIN_RUN_DIR/logs/screening.log

vk_service_start screening -X kafka.producer.message.max.bytes=2500
answers=$("$PY" -c 'import json; print(json.dumps([{"code": "Q%02d_%s" % (i, "X" * 28), "yes": False} for i in range(64)]))')
note=$(printf 'n%.0s' {1..500})
{
    printf '{"nik":"3273025205850001","dose":1,"facility_code":"P3273020201","temperature_c":36.5,"systolic":120,"diastolic":80,"answers":%s,"result":"PROCEED","note":"%s"}\n' "$answers" "$note"
    printf '{"nik":"3273025205850002","dose":1,"facility_code":"P3273020201","temperature_c":36.5,"systolic":120,"diastolic":80,"answers":[{"code":"FEVER","yes":false}],"result":"PROCEED","note":null}\n'
} >"$IT_TMP/requests.jsonl"
it_eq "submitted" "read=2 sent=2 refused=0" \
    "$("$VAKSIN_BIN/vaksin-submit" --topic vaksin.screening.requests "$IT_TMP/requests.jsonl")"
letters() { it_dead_letters | grep -c '"error_code":"OUTPUT_TOO_LARGE"' || true; }
one_letter() { (($(letters) == 1)); }
it_wait_until "a dead letter OUTPUT_TOO_LARGE" 60 one_letter
screened() { "$VAKSIN_BIN/vaksin-dump" --topic vaksin.target.events 2>/dev/null | grep -c '"type":"Screened"' || true; }
one_screened() { (($(screened) == 1)); }
it_wait_until "the small screening's Screened event" 30 one_screened
it_dead_letters >"$IT_TMP/dead.jsonl"
"$PY" - "$IT_TMP/dead.jsonl" <<'PY' || it_fail "the dead letter differs from what was expected (above)"
import json, sys
(d,) = [json.loads(l)["value"] for l in open(sys.argv[1]) if "OUTPUT_TOO_LARGE" in l]
ok = (d["service"] == "vaksin-screening" and d["topic"] == "vaksin.screening.requests"
      and "output to vaksin.target.events would be" in d["error"]
      and "more than the 1875 a message may hold" in d["error"]
      and "dead letter holds the first" in d["error"])
print("dead letter:", d["error"][:300])
sys.exit(0 if ok else 1)
PY
echo "ok [$IT_NAME]: the dead letter names the output, its size and the limit, and holds the request's head"
it_eq "vaksin-screening still running" yes "$(vk_service_running screening && echo yes || echo no)"
it_eq "aborted transactions" 0 "$(grep -c 'msg="aborting transaction"' "$log" || true)"
