/*
 * projector.h — vaksin-projector's batch: decode, dedupe, load state, decide in log order,
 * write set-based, commit rows and offsets together.
 */
#ifndef VK_PROJECTOR_H
#define VK_PROJECTOR_H

#include "vk_catalog.h"
#include "vk_codec.h"
#include "vk_pg.h"
#include "vk_tally.h"
#include "vk_target.h"

#include <librdkafka/rdkafka.h>
#include <libpq-fe.h>
#include <stdbool.h>
#include <stdint.h>

#define PROJECTOR_SERVICE "vaksin-projector"

typedef struct projector projector;

typedef struct projector_stats {
    uint64_t events, applied, unchanged, rejected, duplicates, undecodable, batches;
    uint64_t quarantined; /* events set aside by projector_isolate */
    /* Rows written per table by committed transactions, as PostgreSQL counted them. */
    vk_pg_rows rows[VK_PG_ROWS_MAX];
    size_t n_rows;
    /* Rejected events by reason code (the rejection table's reason_code), cumulative. */
    vk_tally rejections;
    /* Cumulative milliseconds per phase of projector_flush: where a batch's time goes. */
    int64_t ms_decode, ms_load, ms_decide, ms_write, ms_commit;
} projector_stats;

/** @brief A projector applying desk events with @p catalog (borrowed, must outlive it). */
projector *projector_new(vk_codec *codec, const vk_catalog *catalog, const char *group,
                         int batch_max, char *err, size_t errlen);
void projector_destroy(projector *p);

/**
 * @brief Adds a consumed message to the open batch (the batch takes ownership) and returns 0 —
 * or, when its writer schema is to be fetched from a registry that does not answer, returns -1
 * and leaves it out (the caller still owns it): apply the batch so far, wait, and consume it
 * again (never reject it: the message is not at fault).
 */
int projector_add(projector *p, rd_kafka_message_t *m);
/** @brief Messages in the open batch. */
int projector_pending(const projector *p);

/**
 * @brief Applies the open batch in one PostgreSQL transaction, with the offsets. On success the
 * batch is emptied and 0 returned. When another instance has already stored later offsets for
 * a partition (a zombie batch), nothing is written, *@p stale is set, and the caller re-seeks to
 * the stored offsets. -1 on a database error (logged): the batch is kept, retry after reconnect.
 */
int projector_flush(projector *p, PGconn *db, bool *stale);

/** @brief Whether the last failed transaction failed on what an event holds (SQLSTATE classes
 *  22, 23, 54), not on the connection or the server: then projector_isolate, not a retry. */
bool projector_failed_on_data(const projector *p);

/**
 * @brief After projector_flush failed on data: finds the events the batch fails on by bisecting
 * it (a prefix that passes is committed, one that fails is halved), applies everything else in
 * log order, and quarantines each offender — its offset stored past it and a row in
 * `quarantine` with the original bytes, topic, partition, offset and the database's error, in
 * one transaction. Transactions: about log2(batch) per offender. Returns 0 with the batch empty
 * (or *@p stale, as projector_flush), or -1 when a try failed for another reason (the caller
 * reconnects and resumes, as after any failure).
 */
int projector_isolate(projector *p, PGconn *db, bool *stale);

/** @brief Drops the open batch without writing (after a lost assignment or stale batch). */
void projector_discard(projector *p);

/** @brief Reads stored offsets for @p parts from consumer_offset (missing → BEGINNING). */
int projector_load_offsets(projector *p, PGconn *db, rd_kafka_topic_partition_list_t *parts);

const projector_stats *projector_get_stats(const projector *p);

#endif
