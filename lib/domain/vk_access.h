/*
 * vk_access.h — access rights of the verification feature (1.5.0, seed "Next actions"): a
 * district/city health office (Dinkes Kab/Kota) grants or revokes the VERIFIER role of a
 * facility officer, only for facilities in its own kab/kota. A pure function the projector
 * applies to vaksin.access.events in log order, as vk_dose_apply is for the desks.
 */
#ifndef VK_ACCESS_H
#define VK_ACCESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** One grant as the read model keeps it (access_grant). */
typedef struct vk_grant {
    char grant_event_id[37];
    char user_id[64];
    char facility_code[32];
    char district_code[8];
    char role[16];
    char granted_by[64];
    int64_t granted_at;
    bool has_valid_until;
    int64_t valid_until;
    bool revoked;
} vk_grant;

typedef enum vk_access_action { VK_ACCESS_GRANT = 0, VK_ACCESS_REVOKE = 1 } vk_access_action;

/** An AccessChanged event. */
typedef struct vk_access_event {
    const char *event_id;
    vk_access_action action;
    const char *actor; /* the Dinkes user; NULL when missing */
    const char *user_id;
    const char *facility_code;
    const char *district_code; /* the granting Dinkes's kab/kota */
    const char *role;
    int64_t occurred_at;
    bool has_valid_until;
    int64_t valid_until;
} vk_access_event;

typedef enum vk_access_outcome {
    VK_ACCESS_APPLIED, /* a grant made (and *superseded set to an earlier active one it
                          replaces), or a grant revoked (*revoked set) */
    VK_ACCESS_REFUSED, /* code and reason filled */
} vk_access_outcome;

/**
 * @brief Decides an access event against the user's active grants (@p active, @p n_active:
 * grants not revoked, for this user) and the kab/kota of the facility (@p facility_district,
 * 4 digits, or NULL when the facility is unknown). A GRANT needs an actor, a 4-digit district,
 * a known facility lying in that district; it supersedes the user's active grant for the same
 * facility and role (*@p replaced = its index, else -1). A REVOKE needs an active grant for that
 * facility and role made by a Dinkes of the same district (*@p replaced = its index).
 * Codes: MISSING_ACTOR, INVALID_DISTRICT, UNKNOWN_FACILITY, GRANT_OUTSIDE_DISTRICT,
 * NO_ACTIVE_GRANT, REVOKE_OUTSIDE_DISTRICT.
 */
vk_access_outcome vk_access_apply(const vk_grant *active, size_t n_active, const vk_access_event *e,
                                  const char *facility_district, int *replaced, char *code,
                                  size_t code_len, char *reason, size_t reason_len);

/** @brief The kab/kota of a facility code by the Kemenkes pattern (P + 10 digits: digits 1-4;
 *  7 digits: digits 0-3) into @p out (5 bytes); false when the code follows neither. */
bool vk_facility_district_by_pattern(const char *code, char out[5]);

#endif
