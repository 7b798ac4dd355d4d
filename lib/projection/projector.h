/*
 * projector.h — vaksin-projector's batch: decode, dedupe, load state, decide in log order,
 * write set-based, commit rows and offsets together.
 */
#ifndef VK_PROJECTOR_H
#define VK_PROJECTOR_H

#include "vk_catalog.h"
#include "vk_codec.h"
#include "vk_target.h"

#include <librdkafka/rdkafka.h>
#include <libpq-fe.h>
#include <stdbool.h>
#include <stdint.h>

#define PROJECTOR_SERVICE "vaksin-projector"

typedef struct projector projector;

typedef struct projector_stats {
    uint64_t events, applied, unchanged, rejected, duplicates, undecodable, batches;
    /* Cumulative milliseconds per phase of projector_flush: where a batch's time goes. */
    int64_t ms_decode, ms_load, ms_decide, ms_write, ms_commit;
} projector_stats;

/** @brief A projector applying desk events with @p catalog (borrowed, must outlive it). */
projector *projector_new(vk_codec *codec, const vk_catalog *catalog, const char *group,
                         int batch_max, char *err, size_t errlen);
void projector_destroy(projector *p);

/** @brief Adds a consumed message to the open batch (the batch takes ownership). */
void projector_add(projector *p, rd_kafka_message_t *m);
/** @brief Messages in the open batch. */
int projector_pending(const projector *p);

/**
 * @brief Applies the open batch in one PostgreSQL transaction, with the offsets. On success the
 * batch is emptied and 0 returned. When another instance has already stored later offsets for
 * a partition (a zombie batch), nothing is written, *@p stale is set, and the caller re-seeks to
 * the stored offsets. -1 on a database error (logged): the batch is kept, retry after reconnect.
 */
int projector_flush(projector *p, PGconn *db, bool *stale);

/** @brief Drops the open batch without writing (after a lost assignment or stale batch). */
void projector_discard(projector *p);

/** @brief Reads stored offsets for @p parts from consumer_offset (missing → BEGINNING). */
int projector_load_offsets(projector *p, PGconn *db, rd_kafka_topic_partition_list_t *parts);

const projector_stats *projector_get_stats(const projector *p);

#endif
