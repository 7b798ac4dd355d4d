/*
 * handler.h — vaksin-lookup's handler: VerificationLookup → JKN/Dukcapil evidence → a
 * TargetEvent{VerificationEnriched} (and, when a source stays down, a retry lookup).
 *
 * A batch-asynchronous handler for vk_service_run (lib/kafka/vk_service.h): lookup_handle decodes a
 * lookup, queues its questions (asks.h) and returns VK_OK with no output, so the questions of
 * a whole batch are in flight together; lookup_complete, called by the loop at commit time,
 * waits for the answers and appends the outputs of every lookup of the batch, in input order
 * (a person's events keep their order); lookup_discard drops the batch when the loop aborts.
 *
 * Per lookup: no identity field changed → SUPPORTED, no source asked, no evidence. Otherwise
 * every configured source is asked (one not configured is not consulted: NULL to the verdict)
 * and the verdict is vk_evidence_verdict's. Event ids: UUIDv5("vaksin-lookup/<lookup id>/0")
 * for the VerificationEnriched, ".../1" for the retry lookup, so a redelivered lookup yields
 * the same ids.
 *
 * UNAVAILABLE (a source down after its retries): the lookup is not lost and blocks nothing.
 * The Enriched records the verdict with retry_at, and the same lookup goes to
 * vaksin.verification.lookups.retry with attempt + 1 and not_before = retry_at = now +
 * equal jitter of min(retry.max, retry.base · 2^attempt) — retried forever, at most every
 * retry.max. A lookup on the retry topic whose not_before is still ahead is deferred (VK_DEFER):
 * the loop pauses that partition of the retry topic until then; the lookups topic never waits.
 */
#ifndef VK_LOOKUP_HANDLER_H
#define VK_LOOKUP_HANDLER_H

#include "asks.h"
#include "sources.h"
#include "transport.h"
#include "vk_codec.h"
#include "vk_service.h"

#include <stddef.h>
#include <stdint.h>

#define LOOKUP_SERVICE "vaksin-lookup"

typedef struct lookup_config {
    lk_sources sources;
    lk_asks_config asks;
    int64_t retry_base_ms;       /* lookup.retry.base.ms */
    int64_t retry_max_ms;        /* lookup.retry.max.ms */
    int64_t metrics_interval_ms; /* how often lookup_complete logs its counts */
} lookup_config;

typedef struct lookup_ctx lookup_ctx;

/** @brief Handler state over @p transport (borrowed), with @p env's clocks and draws
 *  (copied). @p cfg is copied; the strings it points to are borrowed. NULL with @p err. */
lookup_ctx *lookup_ctx_new(vk_codec *codec, const lookup_config *cfg, const lk_transport *transport,
                           const lk_env *env, char *err, size_t errlen);
void lookup_ctx_destroy(lookup_ctx *c);

/** @brief vk_handler_fn: decodes and checks a lookup (DECODE, INVALID_EVENT_ID, INVALID_NIK
 *  refusals), defers one of the retry topic that is not due, else starts its asks. */
vk_handled lookup_handle(void *ctx, const rd_kafka_message_t *in, vk_outputs *out, vk_dead *dead);

/** @brief vk_service.complete: waits for the batch's answers and appends its outputs.
 *  0, or -1 when an output cannot be encoded (logged; the batch is aborted and redelivered). */
int lookup_complete(void *ctx, vk_outputs *out);

/** @brief vk_service.discard: drops the batch's lookups and transfers. */
void lookup_discard(void *ctx);

/** @brief vk_service.publish: the lookups by verdict and, per source, asks, cache hits,
 *  requests, failures, answers by result, circuit state and request latency. */
void lookup_publish(void *ctx, vk_metrics *reg);

#endif
