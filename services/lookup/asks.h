/*
 * asks.h — the questions one batch of vaksin-lookup puts to JKN and Dukcapil, and everything
 * between a question and its evidence: the answer cache, a circuit breaker per source, the cap
 * on requests in flight, and retries with backoff. HTTP itself is behind an lk_transport
 * (http.c), and the clock and random draws are injected, so all of it runs in unit tests.
 *
 * Life of an ask:
 *
 *   lk_asks_add ──▶ cache hit? ──yes──▶ DONE (the cached answer)
 *                       │no
 *                       ▼
 *                    QUEUED ──(a slot is free and the ask is due: ask the breaker)──┐
 *                       ▲                                                           │
 *        retry: due = now + full jitter       REJECT: DONE UNAVAILABLE "circuit open"
 *        (tries < lookup.attempts)            WAIT (a probe is out): stays queued
 *                       │                     ALLOW: build, sign and start the request
 *                       │                                                           ▼
 *                 source error ◀──────────────────────────────────────────────── RUNNING
 *                       │ tries exhausted                                           │
 *                       ▼                                                 answer    ▼
 *              DONE UNAVAILABLE (the last error)            DONE FOUND/NOT_FOUND, cached
 *
 * Requests are started only when one of lookup.inflight slots is free, and the breaker is
 * asked at that moment, not when the ask is queued: when a source goes down, the asks queued
 * behind the first failures fail at once as soon as its breaker opens, instead of each waiting
 * for its own timeout. Slots alternate between the sources, and due retries go before fresh
 * asks. lk_asks_pump never waits (the handler calls it after each message, so requests start
 * while the batch is still being read); lk_asks_finish waits until every ask is DONE, which
 * is bounded by attempts × (timeout + backoff cap).
 *
 * Trade-offs: asks of one batch for the same question are not merged (the cache merges them
 * across batches); the breaker counts each failed try, so with the defaults a source that
 * times out opens its breaker after five tries, not five lookups.
 */
#ifndef VK_LOOKUP_ASKS_H
#define VK_LOOKUP_ASKS_H

#include "sources.h"
#include "transport.h"
#include "vk_breaker.h"
#include "vk_evidence.h"
#include "vk_metrics.h"

#include <stddef.h>
#include <stdint.h>

typedef struct lk_asks_config {
    int inflight;            /* requests in flight at most, both sources together */
    int attempts;            /* tries per ask */
    int64_t backoff_ms;      /* full-jitter backoff base between tries */
    int64_t backoff_max_ms;  /* and its cap */
    int breaker_failures;    /* consecutive failed tries that open a source's breaker */
    int64_t breaker_open_ms; /* how long it stays open */
    size_t cache_entries;    /* answers kept at most (0: no cache) */
    int64_t cache_ttl_ms;    /* how long an answer is kept */
} lk_asks_config;

/** The outside world the asks read: clocks and random draws (injected for tests). */
typedef struct lk_env {
    int64_t (*mono_ms)(void *arg); /* monotonic: timeouts, backoff, breaker, cache */
    int64_t (*wall_ms)(void *arg); /* Unix epoch: signing, not_before */
    uint64_t (*draw)(void *arg);   /* a random draw for jitter */
    void *arg;
} lk_env;

/** What each source has done since start. */
/** Buckets of a source's answer latency: vk_metrics_latency_buckets, and one past the last. */
#define LK_LATENCY_BUCKETS 14

typedef struct lk_source_stats {
    uint64_t asks, cache_hits, requests, failures, rejected, found, not_found, unavailable;
    vk_breaker_state breaker;
    uint64_t breaker_opened;
    /* Every request answered or failed, by how long it took (not cumulative), and their sum. */
    uint64_t latency[LK_LATENCY_BUCKETS];
    double latency_sum_s;
} lk_source_stats;

typedef struct lk_asks lk_asks;

/** @brief A set of asks over @p transport. @p sources, @p transport and @p env are borrowed and
 *  must outlive it. NULL with @p err. */
lk_asks *lk_asks_new(const lk_asks_config *cfg, const lk_sources *sources,
                     const lk_transport *transport, const lk_env *env, char *err, size_t errlen);
void lk_asks_destroy(lk_asks *a);

/** @brief Asks @p src (configured) about @p q: answered from the cache or queued. Returns the
 *  ask's id (≥ 0), or -1 when out of memory. */
long lk_asks_add(lk_asks *a, vk_evidence_source src, const lk_question *q);

/** @brief Starts what may start and takes in finished transfers, without waiting. */
void lk_asks_pump(lk_asks *a);

/** @brief Runs until every ask is answered or given up (UNAVAILABLE). */
void lk_asks_finish(lk_asks *a);

/** @brief The evidence of ask @p id; meaningful once lk_asks_finish returned. */
const vk_evidence_src *lk_asks_result(const lk_asks *a, long id);

/** @brief How many asks are not done yet. */
size_t lk_asks_pending(const lk_asks *a);

/** @brief Forgets every ask, dropping transfers in flight (and giving back a breaker probe). */
void lk_asks_clear(lk_asks *a);

void lk_asks_stats(const lk_asks *a, vk_evidence_source src, lk_source_stats *out);

#endif
