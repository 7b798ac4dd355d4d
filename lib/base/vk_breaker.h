/*
 * vk_breaker.h — a circuit breaker for one remote source, as a pure state machine over an
 * injected clock (milliseconds, monotonic): the caller asks before each request and reports
 * how it went.
 *
 *        N consecutive failures                 open_ms elapsed: the next request is the probe
 *   CLOSED ─────────────────────────▶ OPEN ─────────────────────────────────▶ HALF_OPEN
 *     ▲                                ▲                                           │
 *     │                                └──────────── the probe failed ─────────────┤
 *     └───────────────────────────────────────────── the probe succeeded ──────────┘
 *
 * While OPEN every request is refused at once (the caller records the source as unavailable
 * without waiting for a timeout). In HALF_OPEN exactly one request, the probe, goes out; the
 * others are told to WAIT rather than refused, so a source that has come back costs the
 * requests queued behind the probe one round trip, not a retry round. A success in CLOSED
 * resets the count of failures.
 *
 * Requests admitted before the breaker opened may still finish while it is OPEN: their results
 * are ignored (only a probe closes an open breaker, and a late failure must not push the probe
 * further away). In HALF_OPEN any result counts as the probe's: a success shows the source
 * answers, a failure that it does not. A probe dropped without a result (its batch aborted)
 * must be given back with vk_breaker_abandon, or no further probe would go out.
 *
 * failures ≤ 0 disables the breaker (every request allowed, nothing counted).
 */
#ifndef VK_BREAKER_H
#define VK_BREAKER_H

#include <stdbool.h>
#include <stdint.h>

typedef enum vk_breaker_state {
    VK_BREAKER_CLOSED = 0,
    VK_BREAKER_OPEN,
    VK_BREAKER_HALF_OPEN
} vk_breaker_state;

/** The answer to "may I send a request now?". */
typedef enum vk_breaker_permit {
    VK_BREAKER_ALLOW = 0, /* send it (in HALF_OPEN: it is the probe) */
    VK_BREAKER_REJECT,    /* open: fail it at once */
    VK_BREAKER_WAIT,      /* a probe is out: ask again when it has finished */
} vk_breaker_permit;

typedef struct vk_breaker {
    int threshold;   /* consecutive failures that open it; ≤ 0: disabled */
    int64_t open_ms; /* how long it stays open before a probe */
    vk_breaker_state state;
    int failures;      /* consecutive failures while CLOSED */
    int64_t opened_at; /* when it last opened */
    bool probing;      /* HALF_OPEN: the probe is out */
    uint64_t opened;   /* how many times it opened (for metrics) */
} vk_breaker;

/** @brief A closed breaker that opens after @p failures consecutive failures, for @p open_ms. */
void vk_breaker_init(vk_breaker *b, int failures, int64_t open_ms);

/** @brief May a request go out at @p now? ALLOW moves OPEN → HALF_OPEN once open_ms passed. */
vk_breaker_permit vk_breaker_acquire(vk_breaker *b, int64_t now);

/** @brief Would a request be refused at @p now (OPEN, open_ms not yet passed)? Changes nothing:
 *  a caller with no free slot for a probe can still fail what the breaker refuses. */
bool vk_breaker_rejects(const vk_breaker *b, int64_t now);

/** @brief A request succeeded: CLOSED resets the count, HALF_OPEN closes, OPEN ignores it. */
void vk_breaker_success(vk_breaker *b, int64_t now);

/** @brief A request failed: CLOSED counts (and opens at the threshold), HALF_OPEN reopens,
 *  OPEN ignores it. */
void vk_breaker_failure(vk_breaker *b, int64_t now);

/** @brief The probe was dropped without a result: the next acquire may send another. */
void vk_breaker_abandon(vk_breaker *b);

/** @brief "closed", "open", "half-open". */
const char *vk_breaker_state_name(vk_breaker_state s);

#endif
