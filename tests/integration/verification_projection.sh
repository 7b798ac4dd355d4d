#!/usr/bin/env bash
# verification_projection — how the real projector records verification (1.5.0), fed the
# TargetEvents vaksin-verification and vaksin-lookup write (here submitted directly, so every
# case is exact): a supported correction is applied (old → new kept, the NIK flag it fixes
# cleared), a supported addition creates the target with its ticket, a registration that
# lands first wins, a correction of no target and a refusal by vaksin-verification are
# recorded, a source down keeps the request pending until a later lookup decides it, a late
# lookup changes nothing; and replaying the log into an empty schema gives the same rows.
source "$(dirname "$0")/lib.sh"
it_setup
vk_service_start projector

A=3273025205850001 # a woman born 1985-05-12, imported with 1985-05-13
B=3273021508800002 # registered at desk 1 before her correction is decided
C=3273026107900003 # not a target: a correction is refused
D=3273020101700004 # added
E=3273024404950005 # sources down, then Dukcapil contradicts
F=3273024404950006 # refused by vaksin-verification (no grant)
G=3273021508800007 # corrected, then registered
H=3273025508800008 # imported in one batch, corrected in a later one
rq() { printf '00000000-0000-4000-8000-%012d' "$1"; }
GRANT='{"grant_event_id":"11111111-1111-4111-8111-111111111111","user_id":"officer.1","facility_code":"P3273020201","district_code":"3273","granted_by":"dinkes.bandung","granted_at":"2021-06-01T00:00:00Z","valid_until":null}'

ticket() { # nik name birth_date sex
    printf '{"nik":"%s","causation_id":"t-%s","source":"sisdmk-import","payload":{"type":"TicketIssued","ticket":"T%016d","name":"%s","birth_date":"%s","sex":"%s","phone":null,"category":"LANSIA","facility_code":"P3273020201","scheduled_date":null,"origin":"SISDMK","flags":%s}}\n' \
        "$1" "$1" "$((10#${1: -4}))" "$2" "$3" "$4" "${5:-[]}"
}
registered() { # nik
    printf '{"nik":"%s","causation_id":"r-%s","source":"pcare-web","actor":"desk.1","payload":{"type":"Registered","ticket":null,"facility_code":"P3273020201","dose":1}}\n' "$1" "$1"
}
pending() { # nik request kind changes [ticket]
    printf '{"nik":"%s","causation_id":"%s","source":"pcare-web","actor":"officer.1","occurred_at":"2021-07-01T03:00:00Z","payload":{"type":"VerificationPending","request_id":"%s","kind":"%s","facility_code":"P3273020201","changes":%s,"reason":"data SISDMK salah","ticket":%s,"grant":%s}}\n' \
        "$1" "$(rq "$2")" "$(rq "$2")" "$3" "$4" "${5:-null}" "$GRANT"
}
enriched() { # nik request kind changes verdict evidence [attempt]
    printf '{"nik":"%s","causation_id":"%s","source":"pcare-web","actor":"officer.1","occurred_at":"2021-07-01T03:00:00Z","payload":{"type":"VerificationEnriched","request_id":"%s","kind":"%s","facility_code":"P3273020201","changes":%s,"reason":"data SISDMK salah","grant":%s,"evidence":%s,"verdict":"%s","attempt":%d,"retry_at":%s}}\n' \
        "$1" "$(rq "$2")" "$(rq "$2")" "$3" "$4" "$GRANT" "$6" "$5" "${7:-0}" "${8:-null}"
}
refused() { # nik request
    printf '{"nik":"%s","causation_id":"%s","source":"pcare-web","actor":"officer.9","payload":{"type":"VerificationRefused","request_id":"%s","kind":"CORRECTION","facility_code":"P3273020201","changes":{"name":"SITI"},"reason":null,"code":"NOT_AUTHORIZED","refusal":"officer.9 holds no VERIFIER grant"}}\n' \
        "$1" "$(rq "$2")" "$(rq "$2")"
}
CH_BD='{"birth_date":"1985-05-12"}'
CH_NAME='{"name":"SITI AMINAH"}'
CH_ADD='{"name":"BUDI SANTOSO","birth_date":"1970-01-01","sex":"L","phone":"+6281234000004"}'
CH_G='{"phone":"+6281299990007","facility_code":"3273015"}'
EV_OK='[{"source":"DUKCAPIL","status":"FOUND","fields":[{"field":"birth_date","value":null,"match":true,"score":100}],"message":null}]'
EV_DOWN='[{"source":"JKN","status":"UNAVAILABLE","fields":[],"message":"timeout after 3000 ms"},{"source":"DUKCAPIL","status":"UNAVAILABLE","fields":[],"message":"circuit open"}]'
EV_NO='[{"source":"DUKCAPIL","status":"FOUND","fields":[{"field":"name","value":null,"match":false,"score":40}],"message":null}]'

{
    ticket $A "SITI NURHALIZA" 1985-05-13 P '["NIK_BIRTH_DATE_MISMATCH"]'
    ticket $B "DEWI LESTARI" 1980-08-15 P
    ticket $E "RINA WATI" 1995-04-04 P
    ticket $G "AGUS SALIM" 1980-08-15 L
    ticket $H "HADI PURNOMO" 1980-08-15 L '["NIK_SEX_MISMATCH"]'
    pending $A 1 CORRECTION "$CH_BD"
    enriched $A 1 CORRECTION "$CH_BD" SUPPORTED "$EV_OK"
    pending $B 2 CORRECTION "$CH_BD"
    registered $B # lands before the evidence: wins
    enriched $B 2 CORRECTION "$CH_BD" SUPPORTED "$EV_OK"
    pending $C 3 CORRECTION "$CH_BD"
    enriched $C 3 CORRECTION "$CH_BD" SUPPORTED "$EV_OK"
    pending $D 4 ADDITION "$CH_ADD" '"ADD0000000000000D"'
    pending $E 5 CORRECTION "$CH_NAME"
    enriched $E 5 CORRECTION "$CH_NAME" UNAVAILABLE "$EV_DOWN" 0 '"2021-07-01T03:00:05Z"'
    refused $F 6
    pending $G 7 CORRECTION "$CH_G"
    enriched $G 7 CORRECTION "$CH_G" SUPPORTED '[]'
    registered $G # after the correction: a normal registration
} >"$IT_TMP/one.jsonl"
it_eq "first part submitted" "read=19 sent=19 refused=0" \
    "$("$VAKSIN_BIN/vaksin-submit" --topic vaksin.target.events "$IT_TMP/one.jsonl")"
it_wait_caught_up 120
it_eq "E pending while the sources are down" "PENDING|SOURCES_UNAVAILABLE|1|t|UNAVAILABLE" \
    "$(it_sql "select status, reason_code, lookups, retry_at is not null, verdict from verification where request_id = '$(rq 5)'")"
it_eq "D waits for its evidence" "PENDING" \
    "$(it_sql "select status from verification where request_id = '$(rq 4)'")"

# The later lookups land in later batches: rows made earlier are updated.
{
    enriched $D 4 ADDITION "$CH_ADD" SUPPORTED "$EV_OK"
    enriched $E 5 CORRECTION "$CH_NAME" CONTRADICTED "$EV_NO" 1
    enriched $A 1 CORRECTION "$CH_BD" CONTRADICTED "$EV_NO" 1 # late: A was decided
    pending $H 8 CORRECTION '{"sex":"P","phone":"081233330008"}'
    enriched $H 8 CORRECTION '{"sex":"P","phone":"081233330008"}' SUPPORTED "$EV_OK"
} >"$IT_TMP/two.jsonl"
it_eq "second part submitted" "read=5 sent=5 refused=0" \
    "$("$VAKSIN_BIN/vaksin-submit" --topic vaksin.target.events "$IT_TMP/two.jsonl")"
it_wait_caught_up 120

it_eq "verification statuses" \
    "$D|APPLIED|
$B|REJECTED|ALREADY_SERVED
$G|APPLIED|
$E|REJECTED|CONTRADICTED
$F|REJECTED|NOT_AUTHORIZED
$A|APPLIED|
$H|APPLIED|
$C|REJECTED|NO_TARGET" \
    "$(it_sql "select nik, status, coalesce(reason_code, '') from verification order by nik")"
it_eq "A corrected, its NIK flag cleared" "1985-05-12|{}|SITI NURHALIZA" \
    "$(it_sql "select birth_date, flags, name from target where nik = '$A'")"
it_eq "A's change kept old and new" "birth_date|1985-05-13|1985-05-12" \
    "$(it_sql "select field, old_value, new_value from verification_change where nik = '$A'")"
it_eq "A: who asked, under which grant, on what evidence" \
    "officer.1|11111111-1111-4111-8111-111111111111|dinkes.bandung|SUPPORTED|DUKCAPIL" \
    "$(it_sql "select requested_by, grant_event_id, granted_by, verdict, evidence->0->>'source' from verification where nik = '$A'")"
it_eq "B untouched: served first" "1980-08-15" "$(it_sql "select birth_date from target where nik = '$B'")"
it_eq "B's refusal names the registration" "1" \
    "$(it_sql "select count(*) from rejection where nik = '$B' and reason_code = 'ALREADY_SERVED' and reason like '%registered at desk 1 for dose 1 at P3273020201%'")"
it_eq "D added with its ticket" "ADD0000000000000D|BUDI SANTOSO|1970-01-01|L|+6281234000004|VERIFICATION" \
    "$(it_sql "select ticket, name, birth_date, sex, phone, origin from target where nik = '$D'")"
it_eq "D's fields listed with no old value" "4|0" \
    "$(it_sql "select count(*), count(old_value) from verification_change where nik = '$D'")"
it_eq "E unchanged, refused on the evidence" "RINA WATI|2" \
    "$(it_sql "select t.name, v.lookups from target t join verification v using (nik) where nik = '$E'")"
it_eq "E's reason quotes Dukcapil" "1" \
    "$(it_sql "select count(*) from verification where nik = '$E' and reason like '%Dukcapil: found, name differs (score 40)%'")"
it_eq "G corrected, then registered" "+6281299990007|3273015|1" \
    "$(it_sql "select t.phone, t.facility_code, (select count(*) from dose d where d.nik = t.nik) from target t where nik = '$G'")"
it_eq "H, a target from an earlier batch, corrected: sex flag cleared, other columns kept" \
    "P|081233330008|{}|HADI PURNOMO|T0000000000000008|SISDMK|t" \
    "$(it_sql "select sex, phone, flags, name, ticket, origin, updated_at > created_at from target where nik = '$H'")"
it_eq "no target for C" "0" "$(it_sql "select count(*) from target where nik = '$C'")"
it_eq "rejections" "ALREADY_SERVED:1,CONTRADICTED:1,NOT_AUTHORIZED:1,NO_TARGET:1" \
    "$(it_sql "select string_agg(reason_code || ':' || n, ',' order by reason_code) from (select reason_code, count(*) n from rejection group by 1) x")"
it_eq "the late lookup changed nothing" "1" \
    "$(it_sql "select count(*) from event_log where nik = '$A' and event_type = 'VerificationEnriched' and outcome = 'UNCHANGED'")"
it_eq "dashboard view" "3273|ADDITION|APPLIED||1
3273|CORRECTION|APPLIED||3
3273|CORRECTION|REJECTED|ALREADY_SERVED|1
3273|CORRECTION|REJECTED|CONTRADICTED|1
3273|CORRECTION|REJECTED|NOT_AUTHORIZED|1
3273|CORRECTION|REJECTED|NO_TARGET|1" \
    "$(it_sql "select district_code, kind, status, reason_code, requests from verification_outcomes order by 2, 3, 4")"

# Replay: the same log into an empty schema gives the same rows.
it_replay_matches 20
echo "PASS [$IT_NAME]"
