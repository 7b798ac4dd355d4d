/*
 * handler.h — vaksin-verification's pure handler: VerificationRequested → VerificationPending
 * plus a VerificationLookup (authorized), VerificationRefused (a rule refused it), or a dead
 * letter (malformed); and the access events that keep its grants current.
 */
#ifndef VK_VERIFICATION_HANDLER_H
#define VK_VERIFICATION_HANDLER_H

#include "vk_codec.h"
#include "vk_facility.h"
#include "vk_grants.h"
#include "vk_service.h"

#include <stddef.h>
#include <stdint.h>

#define VERIFICATION_SERVICE "vaksin-verification"

/** The longest reason a request may give (bytes of UTF-8). */
#define VERIF_MAX_REASON 500

typedef struct verif_ctx verif_ctx;

/** Called before each request is decided, to bring the grants up to date (vaksin-verification
 *  drains its access consumer into verif_access_apply here). */
typedef void (*verif_refresh_fn)(void *arg);

/**
 * @brief Handler state: codecs, the ticket secret (copied: the ticket of an ADDITION is
 * derived here, as vaksin-ticket derives it), the facility reference table (borrowed, may be
 * NULL: the Kemenkes pattern only) and an empty grant store. NULL with @p err.
 */
verif_ctx *verif_ctx_new(vk_codec *codec, const uint8_t *secret, size_t secret_len,
                         const vk_facility_map *facilities, char *err, size_t errlen);
void verif_ctx_destroy(verif_ctx *c);

/** @brief Sets the hook run before each request is decided (NULL: none). */
void verif_ctx_set_refresh(verif_ctx *c, verif_refresh_fn fn, void *arg);

/** The default authz.clock.tolerance.ms: how far a request's occurred_at may be from the time
 *  the broker appended it (vk_authz_clock). */
#define VERIF_CLOCK_TOLERANCE_MS 300000

/** @brief Sets the clock tolerance (ms, ≥ 0; default VERIF_CLOCK_TOLERANCE_MS). */
void verif_ctx_set_clock_tolerance(verif_ctx *c, int64_t tolerance_ms);

/** @brief The grants, for their settings (vk_grants_set_history). */
vk_grants *verif_ctx_grants_mut(verif_ctx *c);

/** @brief The grants the handler decides with. */
const vk_grants *verif_ctx_grants(const verif_ctx *c);

typedef enum verif_access_outcome {
    VERIF_ACCESS_APPLIED,
    VERIF_ACCESS_REFUSED,     /* vk_access_apply refused it, as the projector does */
    VERIF_ACCESS_DUPLICATE,   /* an event id applied or refused before */
    VERIF_ACCESS_UNDECODABLE, /* not an AccessChanged, or event_id not a UUID */
    VERIF_ACCESS_UNAVAILABLE, /* its schema is to be fetched and the registry does not answer:
                               * nothing applied; apply it again later, never skip it */
    VERIF_ACCESS_NO_MEMORY,
} verif_access_outcome;

/** What happened to one access event, for the log. */
typedef struct verif_access_note {
    char event_id[37];
    char user_id[64];
    char facility_code[32];
    const char *action; /* "GRANT" or "REVOKE" */
    char code[32];      /* on a refusal */
    char reason[512];   /* on a refusal or when undecodable */
} verif_access_note;

/**
 * @brief Decodes one AccessChanged (the bytes of a vaksin.access.events message) and applies
 * it to the grant store in log order, deciding as the projector does (vk_access_apply, the
 * facility's kab/kota from the reference table or the Kemenkes pattern).
 */
verif_access_outcome verif_access_apply(verif_ctx *c, const void *data, size_t len,
                                        verif_access_note *note);

/** Counters for the metrics line. */
typedef struct verif_stats {
    uint64_t pending;                            /* authorized requests */
    uint64_t refused[VK_AUTHZ_COUNT];            /* by vk_authz (index 0 unused) */
    uint64_t producer_time;                      /* requests without a broker (LogAppendTime)
                                                    timestamp: decided at the producer's */
    uint64_t access[VERIF_ACCESS_NO_MEMORY + 1]; /* access events by outcome */
} verif_stats;

const verif_stats *verif_ctx_stats(const verif_ctx *c);

/**
 * @brief Checks and normalizes one VerificationRequested, authorizes its actor against the
 * grants as they stood when the broker appended it (refusing CLOCK_SKEW when its occurred_at is
 * further from that than the tolerance: vk_authz_clock), and emits either (authorized) a
 * TargetEvent {VerificationPending} keyed by NIK with event id UUIDv5("vaksin-verification/<input
 * id>/0") and a VerificationLookup on vaksin.verification.lookups keyed by NIK with id ".../1", or
 * (refused by a rule) a TargetEvent {VerificationRefused} with id ".../0". Malformed input is
 * refused as a dead letter naming the field. A pure function of the message, the secret and
 * the grants.
 */
vk_handled verif_handle(void *ctx, const rd_kafka_message_t *in, vk_outputs *out, vk_dead *dead);

/** @brief vk_stage.publish: decisions by code, producer-timestamped requests, access events by
 *  outcome, and the grants held (kept, open, forgotten, event ids). */
void verif_publish(void *ctx, vk_metrics *reg);

#endif
