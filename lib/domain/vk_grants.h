/*
 * vk_grants.h — access grants with their recent history, in memory, and the authorization
 * decision of vaksin-verification: "did this user hold an active VERIFIER grant for this
 * facility when the request reached the broker?" (docs/design.md §4 "Verification",
 * docs/decisions.md "Access rights").
 *
 * The store is fed vaksin.access.events in log order and applies each with vk_access_apply,
 * exactly as the projector keeps access_grant: a refused event (outside the Dinkes's
 * kab/kota, an unknown facility, no actor, …) changes nothing, a GRANT adds a record and
 * supersedes the user's open grant for the same facility and role, a REVOKE closes the open
 * one, and an event id seen before is dropped as the projector drops a redelivery. The
 * decision is made at a time in the past (when the request was appended), so a request appended
 * before a revocation and read after it is still authorized: closed grants are kept for a while.
 *
 * Bounded: what the store keeps is what decides future requests. Per user, that is the open
 * grants, the grants closed within the history window (vk_grants_set_history, default 7 days,
 * counted back from the user's newest access event), the latest closed grant of each facility
 * (for the words of a refusal), and the ids of the events within the window or behind a kept
 * grant. vk_grants_prune forgets the rest (vk_grants_apply calls it as the store grows). Two
 * rules keep forgetting safe — both fail closed:
 *  - an event older than the window whose id is no longer remembered may be a redelivery of a
 *    forgotten one: a GRANT is refused (STALE_GRANT: granted again, it could re-open a grant
 *    revoked since), a REVOKE is applied (revoking is always safe);
 *  - a request appended before the close of a forgotten grant is refused (TOO_OLD), since that
 *    grant might have authorized it.
 * So a lag of more than the window behind the access topic refuses requests; it never
 * authorizes one wrongly.
 *
 * A grant is active at t when granted_at ≤ t, it was not closed (revoked or superseded) at or
 * before t, and valid_until is null or later than t. Expiry is decided only here: the
 * projector's log order ignores it (a grant past its date can still be revoked or superseded).
 *
 * Pure: no I/O, no clock. Per-user order is all that matters (access events are keyed by user
 * id, so one user's events share a partition), so several partitions may be fed interleaved.
 */
#ifndef VK_GRANTS_H
#define VK_GRANTS_H

#include "vk_access.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** One grant and how it ended. */
typedef struct vk_grant_record {
    vk_grant g;         /* g.revoked: closed in log order (revoked, or superseded) */
    int64_t closed_at;  /* when g.revoked: occurred_at of the REVOKE or superseding GRANT */
    char closed_by[64]; /* its actor (the Dinkes user) */
    char close_event_id[37];
    bool superseded; /* closed by a later GRANT for the same facility, not by a REVOKE */
} vk_grant_record;

/** @brief The grant an accepted GRANT event makes (what vk_access_apply allowed). */
void vk_grant_record_open(vk_grant_record *r, const vk_access_event *e);
/** @brief Closes @p r by an accepted event: a REVOKE, or a GRANT that supersedes it. */
void vk_grant_record_close(vk_grant_record *r, const vk_access_event *e);

typedef struct vk_grants vk_grants;

/** The default history window: a week, far more than a healthy consumer lags behind. */
#define VK_GRANTS_HISTORY_MS INT64_C(604800000)

/** @brief An empty store with the default history window. NULL when out of memory. */
vk_grants *vk_grants_new(void);
void vk_grants_destroy(vk_grants *s);
/** @brief Sets the history window (ms, > 0) of closed grants and remembered event ids. */
void vk_grants_set_history(vk_grants *s, int64_t history_ms);
/** @brief Forgets what no future decision needs (see the top of this file). Returns -1 when out
 *  of memory (nothing forgotten), else 0. */
int vk_grants_prune(vk_grants *s);

typedef enum vk_grants_outcome {
    VK_GRANTS_APPLIED,   /* a grant made, superseded or revoked */
    VK_GRANTS_REFUSED,   /* by vk_access_apply: code and reason filled; nothing changed */
    VK_GRANTS_DUPLICATE, /* event id applied or refused before: dropped */
    VK_GRANTS_NO_MEMORY, /* nothing changed */
} vk_grants_outcome;

/**
 * @brief Applies one AccessChanged in log order (see the file comment). @p facility_district
 * is the kab/kota of e->facility_code (vk_facility_district), NULL when unknown. @p code
 * (≥ 32 bytes) and @p reason are filled on a refusal, emptied otherwise.
 */
vk_grants_outcome vk_grants_apply(vk_grants *s, const vk_access_event *e,
                                  const char *facility_district, char *code, size_t code_len,
                                  char *reason, size_t reason_len);

/** @brief Grants kept, closed ones included. */
size_t vk_grants_count(const vk_grants *s);
/** @brief Grants not closed in log order (whatever their valid_until). */
size_t vk_grants_open(const vk_grants *s);
/** @brief Access event ids remembered (applied or refused, not forgotten yet). */
size_t vk_grants_events(const vk_grants *s);
/** @brief Closed grants forgotten so far. */
size_t vk_grants_forgotten(const vk_grants *s);

/** The decision, in the order it is checked; codes are vk_authz_code's. */
typedef enum vk_authz {
    VK_AUTHZ_GRANTED = 0,
    VK_AUTHZ_NOT_AUTHORIZED, /* no grant of the role at all by then */
    VK_AUTHZ_WRONG_FACILITY, /* grants of the role, but only for other facilities */
    VK_AUTHZ_GRANT_REVOKED,  /* the grant for this facility was revoked (or superseded) */
    VK_AUTHZ_GRANT_EXPIRED,  /* the grant for this facility was past its valid_until */
    VK_AUTHZ_TOO_OLD,        /* before the close of a forgotten grant: history no longer kept */
    VK_AUTHZ_CLOCK_SKEW,     /* occurred_at too far from the broker's time (vk_authz_clock) */
} vk_authz;
#define VK_AUTHZ_COUNT (VK_AUTHZ_CLOCK_SKEW + 1)

/** @brief "GRANTED", "NOT_AUTHORIZED", "WRONG_FACILITY", "GRANT_REVOKED", "GRANT_EXPIRED",
 *  "TOO_OLD", "CLOCK_SKEW". */
const char *vk_authz_code(vk_authz a);

/**
 * @brief Decides whether @p user held an active @p role grant for @p facility at time @p at
 * (ms since the epoch). VK_AUTHZ_GRANTED sets *@p grant to the authorizing grant (the most
 * recently granted of the active ones; valid until the next vk_grants_apply). Otherwise
 * *@p grant is NULL and @p words says why in words a facility officer understands (who, which
 * facility, revoked when and by whom, expired when, which facilities the grants are for).
 * When the grant for @p facility that was checked was closed and expired both, the earlier of
 * the two is the reason.
 */
vk_authz vk_grants_authorize(const vk_grants *s, const char *user, const char *facility,
                             const char *role, int64_t at, const vk_grant_record **grant,
                             char *words, size_t words_len);

/**
 * @brief The time a request is decided at, *@p at: @p appended, when the broker appended it
 * (ms; -1 when unknown, then @p occurred_at). The client chooses occurred_at, so it must not
 * choose the grants it is judged by: a request whose occurred_at is more than @p tolerance_ms
 * from @p appended either way is refused (VK_AUTHZ_CLOCK_SKEW, with @p words naming both times);
 * otherwise VK_AUTHZ_GRANTED means "decide at *at".
 */
vk_authz vk_authz_clock(int64_t occurred_at, int64_t appended, int64_t tolerance_ms, int64_t *at,
                        char *words, size_t words_len);

#endif
