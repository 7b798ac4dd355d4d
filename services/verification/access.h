/*
 * access.h — vaksin-verification's reader of vaksin.access.events: reads the topic from the
 * beginning to its end before the service decides anything, then keeps the grants current by
 * draining what has arrived before each request is decided.
 */
#ifndef VK_VERIFICATION_ACCESS_H
#define VK_VERIFICATION_ACCESS_H

#include "handler.h"
#include "vk_config.h"

#include <stdint.h>

typedef struct verif_access verif_access;

/**
 * @brief A consumer of the access topic feeding @p ctx (borrowed). It has a group id (librdkafka
 * wants one) but never joins the group nor commits: every start reads the whole topic. NULL on
 * failure (logged, and @p err).
 */
verif_access *verif_access_new(const vk_config *cfg, verif_ctx *ctx, char *err, size_t errlen);
void verif_access_destroy(verif_access *a);

/**
 * @brief Assigns every partition of the access topic from its beginning and applies the events
 * until each partition's position reaches the high watermark it had when this started. Returns
 * 0, or -1 with @p err when that did not happen within @p timeout_ms (or a stop was asked).
 */
int verif_access_catch_up(verif_access *a, int64_t timeout_ms, char *err, size_t errlen);

/** @brief Applies every access event already fetched (polls with no wait until none is left)
 *  and logs the metrics line when due; the handler's refresh hook (@p arg: the verif_access). */
void verif_access_drain(void *arg);

/** @brief Logs the verification counters (requests decided, access events, grants). */
void verif_access_log_metrics(const verif_access *a);

#endif
