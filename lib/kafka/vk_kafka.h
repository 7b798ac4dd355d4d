/*
 * vk_kafka.h — Kafka clients for every program: consumers and producers built from the
 * configuration (every `kafka.*` key handed to librdkafka), producing one record, and the outputs
 * a handler returns. The transactional service loop that uses them is vk_service.h.
 */
#ifndef VK_KAFKA_H
#define VK_KAFKA_H

#include "vk_buf.h"
#include "vk_config.h"
#include "vk_contract.h"
#include "vk_httpd.h"
#include "vk_metrics.h"
#include "vk_registry.h"

#include <librdkafka/rdkafka.h>
#include <stdbool.h>
#include <stdint.h>

/**
 * @brief Copies every `kafka.<p>` (and `kafka.<side>.<p>`, side = "consumer" or "producer")
 * into @p conf. Returns 0, or -1 with @p err naming the property librdkafka refused.
 */
int vk_kafka_conf_apply(const vk_config *cfg, rd_kafka_conf_t *conf, const char *side, char *err,
                        size_t errlen);

/**
 * @brief A consumer configured from @p cfg: group @p group_id, no auto commit, read_committed,
 * earliest reset, cooperative-sticky assignment (unless @p conf names another assignor),
 * fetch.wait.max.ms 50, 4 MB of prefetch and 256 KB per partition a fetch, librdkafka logs
 * routed to vk_log (kafka.* keys override any of these).
 * Takes ownership of @p conf (may be NULL for a fresh one). NULL on failure (logged).
 */
rd_kafka_t *vk_consumer_new(const vk_config *cfg, const char *group_id, rd_kafka_conf_t *conf);

/**
 * @brief A producer configured from @p cfg (idempotent, murmur2_random partitioner, lz4,
 * linger 5 ms unless configured); @p transactional_id may be NULL. Takes ownership of @p conf
 * (may be NULL for a fresh one). NULL on failure (logged).
 */
rd_kafka_t *vk_producer_new(const vk_config *cfg, const char *transactional_id,
                            rd_kafka_conf_t *conf);

/**
 * @brief Produces one record (copying key and value), waiting while the local queue is full.
 * Returns 0, or the librdkafka error (logged).
 */
rd_kafka_resp_err_t vk_produce(rd_kafka_t *producer, const char *topic, const void *key,
                               size_t key_len, const void *value, size_t value_len);

/* ---- Outputs ---- */

/** One record the handler wants written. */
typedef struct vk_output {
    const char *topic; /* static string, e.g. VK_TOPIC_TARGET_EVENTS */
    vk_buf key;
    vk_buf value;
} vk_output;

/** The handler's outputs for one input message; reused across messages. */
typedef struct vk_outputs {
    vk_output *items;
    size_t n, cap;
    int64_t defer_until; /* VK_DEFER: wall-clock ms (vk_now_ms) until which the input waits */
} vk_outputs;

/** @brief Adds an output and returns it (its buffers emptied, ready to fill); NULL on OOM. */
vk_output *vk_outputs_add(vk_outputs *outs, const char *topic);
/** @brief Empties the outputs (keeping their buffers) and clears defer_until. */
void vk_outputs_reset(vk_outputs *outs);
void vk_outputs_free(vk_outputs *outs);

/**
 * What every consuming program serves on metrics.listen (lib/ops): its registry and endpoint,
 * and the gauges of its consumer — lag per assigned partition (vaksin_consumer_lag_messages),
 * the assignment (vaksin_assigned_partitions) and readiness (vaksin_ready, GET /readyz), and
 * the schema registry's requests (vaksin_schema_registry_requests_total) when there is one.
 */
typedef struct vk_service_ops {
    vk_metrics *reg;
    vk_httpd *http;
    vk_metric *lag, *assigned, *ready, *registry_requests;
    const vk_registry *registry; /* set by the caller once it has one: its counts are published */
    int64_t ready_lag_max;       /* ready.lag.max */
    int64_t lag_sum;             /* the lag summed over the partitions, at the last update */
    int64_t next;                /* vk_mono_ms() of the next vk_service_ops_update */
} vk_service_ops;

/**
 * @brief Makes the registry and the consumer's gauges, and serves them on metrics.listen
 * (logged with its port). 0, or -1 (logged): out of memory, or an address that cannot be served.
 */
int vk_service_ops_start(vk_service_ops *o, const vk_config *cfg);
void vk_service_ops_stop(vk_service_ops *o);

/**
 * @brief The loop is alive; sets the lag of each partition assigned to @p consumer (the high
 * watermark less the position, or the whole partition before the first fetch; librdkafka's cached
 * watermarks, no request; @p consumer may be NULL while starting), the assignment, the registry's
 * counts, and readiness: not ready for @p not_ready when the
 * caller gives one (a fatal error, no database), with no partition assigned, or while more than
 * ready.lag.max messages wait. Call about every second (o->next says when).
 */
void vk_service_ops_update(vk_service_ops *o, rd_kafka_t *consumer, const char *not_ready);

#endif
