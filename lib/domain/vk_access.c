/*
 * vk_access.c — see vk_access.h.
 *
 * The district rule is the seed's: a Dinkes hands out verification rights for the facilities
 * of its own kab/kota, and only those. Checking it in the projector, in log order, against the
 * facility reference table keeps the decision reproducible on a rebuild (the reference table is
 * loaded from configuration before the log is applied).
 */
#include "vk_access.h"

#include "vk_time.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

static bool digits(const char *s, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (!isdigit((unsigned char)s[i]))
            return false;
    return s[n] == '\0';
}

bool vk_facility_district_by_pattern(const char *code, char out[5]) {
    if (code[0] == 'P' && digits(code + 1, 10)) {
        memcpy(out, code + 1, 4);
    } else if (digits(code, 7)) {
        memcpy(out, code, 4);
    } else {
        out[0] = '\0';
        return false;
    }
    out[4] = '\0';
    return true;
}

static vk_access_outcome refuse(char *code, size_t code_len, const char *c, char *reason,
                                size_t reason_len, const char *fmt, const char *a, const char *b) {
    snprintf(code, code_len, "%s", c);
    snprintf(reason, reason_len, fmt, a, b);
    return VK_ACCESS_REFUSED;
}

/* The user's active grant for this facility and role, or -1. */
static int active_for(const vk_grant *active, size_t n, const vk_access_event *e) {
    for (size_t i = 0; i < n; i++)
        if (!active[i].revoked && strcmp(active[i].facility_code, e->facility_code) == 0 &&
            strcmp(active[i].role, e->role) == 0)
            return (int)i;
    return -1;
}

vk_access_outcome vk_access_apply(const vk_grant *active, size_t n_active, const vk_access_event *e,
                                  const char *facility_district, int *replaced, char *code,
                                  size_t code_len, char *reason, size_t reason_len) {
    *replaced = -1;
    code[0] = reason[0] = '\0';
    if (!e->actor || !*e->actor)
        return refuse(code, code_len, "MISSING_ACTOR", reason, reason_len,
                      "access change without an actor: the Dinkes user who %s it must be "
                      "named%s",
                      e->action == VK_ACCESS_GRANT ? "grants" : "revokes", "");
    if (!digits(e->district_code, 4))
        return refuse(code, code_len, "INVALID_DISTRICT", reason, reason_len,
                      "district_code \"%.16s\" is not a 4-digit kab/kota code%s", e->district_code,
                      "");
    char t1[VK_TIME_LEN], t2[VK_TIME_LEN];
    if (e->occurred_at < VK_EVENT_EARLIEST_MS || e->occurred_at > VK_TIME_MAX_MS)
        return refuse(code, code_len, "INVALID_TIME", reason, reason_len,
                      "occurred_at %s is outside %s .. 9999-12-31",
                      vk_time_format(e->occurred_at, VK_TIME_MS, t1, sizeof t1),
                      vk_time_format(VK_EVENT_EARLIEST_MS, VK_TIME_S, t2, sizeof t2));
    if (e->action == VK_ACCESS_GRANT && e->has_valid_until && e->valid_until <= e->occurred_at)
        return refuse(code, code_len, "INVALID_VALID_UNTIL", reason, reason_len,
                      "valid_until %s is not after the grant's own time %s",
                      vk_time_format(e->valid_until, VK_TIME_MS, t1, sizeof t1),
                      vk_time_format(e->occurred_at, VK_TIME_MS, t2, sizeof t2));
    int i = active_for(active, n_active, e);
    if (e->action == VK_ACCESS_REVOKE) {
        if (i < 0)
            return refuse(code, code_len, "NO_ACTIVE_GRANT", reason, reason_len,
                          "no active grant of %s to this user at facility %s to revoke", e->role,
                          e->facility_code);
        if (strcmp(active[i].district_code, e->district_code) != 0)
            return refuse(code, code_len, "REVOKE_OUTSIDE_DISTRICT", reason, reason_len,
                          "the grant was made by the Dinkes of kab/kota %s; the Dinkes of %s "
                          "cannot revoke it",
                          active[i].district_code, e->district_code);
        *replaced = i;
        return VK_ACCESS_APPLIED;
    }
    if (!facility_district || !*facility_district)
        return refuse(code, code_len, "UNKNOWN_FACILITY", reason, reason_len,
                      "facility %s is neither in the facility reference table nor a Kemenkes "
                      "code: its kab/kota is unknown%s",
                      e->facility_code, "");
    if (strcmp(facility_district, e->district_code) != 0)
        return refuse(code, code_len, "GRANT_OUTSIDE_DISTRICT", reason, reason_len,
                      "facility lies in kab/kota %s, outside the granting Dinkes's kab/kota %s: "
                      "a Dinkes grants only within its own",
                      facility_district, e->district_code);
    *replaced = i; /* a re-grant supersedes the active one (e.g. a new valid_until) */
    return VK_ACCESS_APPLIED;
}
