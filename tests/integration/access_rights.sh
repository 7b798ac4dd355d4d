#!/usr/bin/env bash
# access_rights — Dinkes grants and revocations of the VERIFIER role (1.5.0) through the real
# projector: a grant within the Dinkes's own kab/kota is kept in access_grant; a grant outside
# it, for an unknown facility or without an actor is refused and recorded; a revocation needs an
# active grant made by the same kab/kota. Facilities' kab/kota come from the reference table
# (including clinics whose codes follow no pattern) or the Kemenkes code pattern.
source "$(dirname "$0")/lib.sh"
it_setup
vk_service_start projector

clinic=$(awk -F, '$1 !~ /^P/ && $1 !~ /^[0-9]+$/ && NR > 1 { print $1 "," $4; exit }' "$VK_SRC/config/facilities.csv")
clinic_code=${clinic%,*}
clinic_district=${clinic#*,}
[[ -n "$clinic_code" && -n "$clinic_district" ]] || it_fail "no clinic in config/facilities.csv"

ev() { # action user facility district actor
    local actor=${5:+\"$5\"}
    printf '{"action":"%s","user_id":"%s","facility_code":"%s","district_code":"%s","role":"VERIFIER","actor":%s}\n' \
        "$1" "$2" "$3" "$4" "${actor:-null}"
}
{
    ev GRANT officer.1 P3273020201 3273 dinkes.bandung           # applied
    ev GRANT officer.2 P3204020201 3273 dinkes.bandung           # outside the district
    ev GRANT officer.3 CLINIC-X 3273 dinkes.bandung              # unknown facility
    ev GRANT officer.4 P3273020201 3273 ""                       # no actor
    ev GRANT officer.5 "$clinic_code" "$clinic_district" dinkes.x # a clinic from the table
    ev REVOKE officer.1 P3273020201 3204 dinkes.kab.bandung      # another district's Dinkes
    ev REVOKE officer.1 P3273020201 3273 dinkes.bandung          # applied
    ev REVOKE officer.1 P3273020201 3273 dinkes.bandung          # nothing left to revoke
    ev GRANT officer.5 "$clinic_code" "$clinic_district" dinkes.x # re-grant supersedes
} >"$IT_TMP/access.jsonl"
out=$("$VAKSIN_BIN/vaksin-submit" --topic vaksin.access.events "$IT_TMP/access.jsonl")
it_eq "submitted" "read=9 sent=9 refused=0" "$out"
it_wait_caught_up 120

it_eq "rejections by code" \
    "GRANT_OUTSIDE_DISTRICT:1,MISSING_ACTOR:1,NO_ACTIVE_GRANT:1,REVOKE_OUTSIDE_DISTRICT:1,UNKNOWN_FACILITY:1" \
    "$(it_sql "select string_agg(reason_code || ':' || n, ',' order by reason_code) from (select reason_code, count(*) n from rejection group by 1) x")"
it_eq "rejections carry no NIK and say why" "5" \
    "$(it_sql "select count(*) from rejection where nik is null and event_type = 'AccessChanged' and length(reason) > 30")"
it_eq "grants: officer.1 revoked by dinkes.bandung" "P3273020201|3273|dinkes.bandung|t|dinkes.bandung" \
    "$(it_sql "select facility_code, district_code, granted_by, revoked_at is not null, revoked_by from access_grant where user_id = 'officer.1'")"
it_eq "grants: officer.5 twice, the first superseded by the second" "2|1" \
    "$(it_sql "select count(*), count(*) filter (where revoked_at is null) from access_grant where user_id = 'officer.5'")"
it_eq "no grant for refused requests" "0" \
    "$(it_sql "select count(*) from access_grant where user_id in ('officer.2', 'officer.3', 'officer.4')")"
it_eq "event_log outcomes" "APPLIED:4,REJECTED:5" \
    "$(it_sql "select string_agg(outcome || ':' || n, ',' order by outcome) from (select outcome, count(*) n from event_log group by 1) x")"
