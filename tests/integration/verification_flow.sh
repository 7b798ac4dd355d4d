#!/usr/bin/env bash
# verification_flow — target data verification end to end through the real programs: Dinkes
# grants (one outside its kab/kota, one revoked), vaksin-verification, vaksin-lookup against the
# JKN and Dukcapil stubs, vaksin-ticket, vaksin-registration and the projector. Checks, in the
# read model: an authorized correction applied, unauthorized / revoked / outside-district
# requests refused, a correction Dukcapil contradicts, JKN down while Dukcapil answers (decided
# on Dukcapil alone), both sources down then back (requests stay pending, then complete — none
# lost), corrections racing registrations for the same NIKs (whichever lands first in the log
# wins), and a replay of the log into an empty schema giving the same rows.
source "$(dirname "$0")/lib.sh"
it_setup

# Ten people for the race and six for the cases, all in kab/kota 3273 (Kota Bandung).
"$PY" "$VK_SRC/tests/integration/checks/verification_people.py" "$IT_TMP"
mapfile -t NIK < <(cut -f1 "$IT_TMP/people.tsv")
BD=($(cut -f3 "$IT_TMP/people.tsv"))

# Short retries so "both down, then back" completes quickly.
printf '%s\n' lookup.retry.base.ms=1000 lookup.retry.max.ms=2000 lookup.breaker.open.ms=1000 \
    lookup.timeout.ms=1000 >>"$VAKSIN_RUN_DIR/vaksin.conf"
vk_stubs_start
JKN=$(head -n1 "$VAKSIN_RUN_DIR/stub-jkn.url")
DUK=$(head -n1 "$VAKSIN_RUN_DIR/stub-dukcapil.url")
for s in projector ticket registration verification lookup; do vk_service_start "$s"; done
submit() { "$VAKSIN_BIN/vaksin-submit" --topic "$1" "$2" >/dev/null || it_fail "submit to $1 failed"; }

submit vaksin.ticket.requests "$IT_TMP/tickets.jsonl"
ev() { printf '{"action":"%s","user_id":"%s","facility_code":"%s","district_code":"%s","role":"VERIFIER","actor":"%s"}\n' "$@"; }
{
    ev GRANT officer.1 P3273020201 3273 dinkes.3273
    ev GRANT officer.2 P3273020201 3273 dinkes.3273
    ev REVOKE officer.2 P3273020201 3273 dinkes.3273
    ev GRANT officer.5 P3204020201 3273 dinkes.3273 # outside kab/kota 3273: refused
} >"$IT_TMP/access.jsonl"
submit vaksin.access.events "$IT_TMP/access.jsonl"
it_wait_caught_up 120
it_eq "targets imported" 16 "$(it_sql "select count(*) from target")"
sleep 1 # the grants reach vaksin-verification's own copy of the access topic

req() { # actor nik changes
    printf '{"actor":"%s","kind":"CORRECTION","nik":"%s","facility_code":"P3273020201","changes":%s,"reason":"test"}\n' "$@"
}
{
    req officer.1 "${NIK[0]}" "{\"birth_date\":\"${BD[0]}\"}"       # applied
    req officer.3 "${NIK[2]}" '{"phone":"081200000003"}'             # no grant
    req officer.2 "${NIK[2]}" '{"phone":"081200000002"}'             # revoked
    req officer.5 "${NIK[2]}" '{"phone":"081200000005"}'             # grant refused (outside)
    req officer.1 "${NIK[1]}" '{"name":"NAMA LAIN SAMA SEKALI"}'    # Dukcapil contradicts
} >"$IT_TMP/cases.jsonl"
submit vaksin.verification.requests "$IT_TMP/cases.jsonl"
it_wait_caught_up 120
status_of() { it_sql "select status || ' ' || coalesce(reason_code, '') from verification where nik = '$1' and requested_by = '$2'"; }
it_eq "authorized correction" "APPLIED " "$(status_of "${NIK[0]}" officer.1)"
it_eq "birth date corrected, flag cleared" "${BD[0]}|{}" "$(it_sql "select birth_date, flags from target where nik = '${NIK[0]}'")"
it_eq "no grant" "REJECTED NOT_AUTHORIZED" "$(status_of "${NIK[2]}" officer.3)"
it_eq "revoked grant" "REJECTED GRANT_REVOKED" "$(status_of "${NIK[2]}" officer.2)"
it_eq "grant outside the Dinkes's kab/kota" "REJECTED NOT_AUTHORIZED" "$(status_of "${NIK[2]}" officer.5)"
it_eq "Dukcapil contradicts" "REJECTED CONTRADICTED" "$(status_of "${NIK[1]}" officer.1)"
it_eq "the phone of the refused requests untouched" "+6281300000002" \
    "$(it_sql "select phone from target where nik = '${NIK[2]}'")"

# JKN down, Dukcapil answers: decided on Dukcapil alone.
curl -fsS -d '{"down":true}' "$JKN/_control" >/dev/null
req officer.1 "${NIK[3]}" '{"name":"Siti  Aminah"}' >"$IT_TMP/jkn-down.jsonl"
submit vaksin.verification.requests "$IT_TMP/jkn-down.jsonl"
it_wait_caught_up 120
it_eq "JKN down, Dukcapil confirms" "APPLIED |SUPPORTED|DUKCAPIL:FOUND JKN:UNAVAILABLE|SITI AMINAH" \
    "$(it_sql "select status || ' ' || coalesce(reason_code, ''), verdict,
                      (select string_agg((e->>'source') || ':' || (e->>'status'), ' ' order by e->>'source')
                       from jsonb_array_elements(evidence) e), (select name from target t where t.nik = v.nik)
               from verification v where nik = '${NIK[3]}'")"

# Both down: the requests stay pending and are retried; both back: they complete.
curl -fsS -d '{"down":true}' "$DUK/_control" >/dev/null
: >"$IT_TMP/both-down.jsonl"
for i in 4 5; do req officer.1 "${NIK[$i]}" "{\"birth_date\":\"${BD[$i]}\"}" >>"$IT_TMP/both-down.jsonl"; done
submit vaksin.verification.requests "$IT_TMP/both-down.jsonl"
count_is() { [[ $(it_sql "$2") == "$1" ]]; }
it_wait_until "both requests pending while both sources are down" 60 count_is 2 \
    "select count(*) from verification where reason_code = 'SOURCES_UNAVAILABLE' and status = 'PENDING'"
sleep 3 # at least one retry while down
curl -fsS -d '{"down":false}' "$JKN/_control" >/dev/null
curl -fsS -d '{"down":false}' "$DUK/_control" >/dev/null
it_wait_until "the pending requests complete after the sources came back" 90 count_is 2 \
    "select count(*) from verification where status = 'APPLIED' and nik in ('${NIK[4]}', '${NIK[5]}')"
it_eq "retried while down" "t" \
    "$(it_sql "select bool_and(lookups >= 2) from verification where nik in ('${NIK[4]}', '${NIK[5]}')")"
it_eq "no lookup lost" "0" "$(it_sql "select count(*) from verification where status = 'PENDING'")"

# The race: a registration and a correction for the same ten NIKs, sent at the same time.
: >"$IT_TMP/race-reg.jsonl"
: >"$IT_TMP/race-ver.jsonl"
for i in $(seq 6 15); do
    printf '{"nik":"%s","ticket":null,"facility_code":"P3273020201","dose":1}\n' "${NIK[$i]}" >>"$IT_TMP/race-reg.jsonl"
    req officer.1 "${NIK[$i]}" '{"phone":"081277777777"}' >>"$IT_TMP/race-ver.jsonl"
done
submit vaksin.registration.requests "$IT_TMP/race-reg.jsonl" &
submit vaksin.verification.requests "$IT_TMP/race-ver.jsonl"
wait
it_wait_caught_up 120
race_niks=$(printf "'%s'," "${NIK[@]:6:10}" | sed 's/,$//')
# Whichever landed first in the person's log decided: a registration before the evidence
# refuses the correction, one after it does not.
mismatch=$(it_sql "
    select count(*) from verification v
    join event_log r on r.nik = v.nik and r.event_type = 'Registered' and r.outcome = 'APPLIED'
    join event_log e on e.nik = v.nik and e.event_type = 'VerificationEnriched'
    where v.nik in ($race_niks)
      and (r.\"offset\" < e.\"offset\") <> (v.status = 'REJECTED' and v.reason_code = 'ALREADY_SERVED')")
it_eq "each race decided by log order" 0 "$mismatch"
it_eq "every racing NIK registered, every correction decided" "10|10" \
    "$(it_sql "select count(distinct d.nik) || '|' || (select count(*) from verification v where v.status <> 'PENDING' and v.nik in ($race_niks)) from dose d where d.nik in ($race_niks)")"
echo "race outcome: $(it_sql "select string_agg(status || coalesce(' ' || reason_code, ''), ', ' order by nik) from verification where nik in ($race_niks)")"

# The same log replayed into an empty schema gives the same rows.
it_replay_matches 30
echo "PASS [$IT_NAME]"
