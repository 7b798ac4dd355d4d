/*
 * vk_audit.h — what the audit tools (vaksin-rebuild, vaksin-trail, vaksin-dump) share
 * (docs/design.md §6): positions in a topic given as offsets or times, a scanner that reads
 * partition ranges to a fixed end and then stops, and the decoding of any message to one JSON
 * record.
 *
 * A scan never joins a consumer group and never commits: it assigns partitions itself, so it can
 * run next to the live services without moving their offsets. Its end is fixed when the range
 * is added (the end the partition had then, or an offset or a time), so a scan of a topic that
 * keeps growing still ends. Under read_committed a partition is also done when the consumer
 * reports its end (EOF): what lies beyond is an open or aborted transaction.
 *
 * Times: Kafka's ListOffsets by timestamp (offsetsForTimes) finds where a time window starts
 * and ends. librdkafka's mock cluster (our development broker) does not answer it (it says
 * "no offset" for every time); the scanner notices — the partition's last message is newer than
 * the time yet the broker found nothing — and reads from the beginning instead, saying so once.
 * Either way every message of a time range is checked against the window [from, to) by its own
 * timestamp, so the result is exactly the messages whose timestamps lie in it.
 */
#ifndef VK_AUDIT_H
#define VK_AUDIT_H

#include "vk_codec.h"

#include <jansson.h>
#include <librdkafka/rdkafka.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- Positions ---- */

typedef enum vk_pos_kind {
    VK_POS_BEGINNING, /* the oldest message still held */
    VK_POS_END,       /* the end the partition has when the range is added */
    VK_POS_OFFSET,    /* an offset (the same in every partition of the range) */
    VK_POS_TIME,      /* a time, milliseconds since the epoch (UTC) */
} vk_pos_kind;

typedef struct vk_pos {
    vk_pos_kind kind;
    int64_t value; /* the offset or the time; unused for BEGINNING and END */
} vk_pos;

/**
 * @brief Parses a position: `beginning`, `end`, an offset (digits only), a time as epoch
 * milliseconds prefixed with `@` (`@1764000000000`), or an ISO 8601 time with a zone
 * (`2026-11-24T10:00:00Z`, `2026-11-24T17:00:00.250+07:00`). A time without a zone is refused:
 * desks work in WIB, brokers in UTC, and guessing would shift an audit window by hours.
 * @returns 0, or -1 with the reason in @p err.
 */
int vk_pos_parse(const char *text, vk_pos *out, char *err, size_t errlen);

/* ---- Scanning ---- */

typedef struct vk_scan vk_scan;

/**
 * @brief Called with each message of the ranges in offset order per partition (partitions
 * interleave). The callback owns the message and must destroy it. Return 0 to go on, or -1 to
 * stop the scan (vk_scan_run then returns -1).
 */
typedef int (*vk_scan_fn)(void *opaque, rd_kafka_message_t *m);

/**
 * @brief A scanner reading with @p consumer (borrowed; made by vk_consumer_new with
 * enable.auto.commit=false and enable.partition.eof=true — vk_scan_consumer_new does that).
 * @p label names the scan in progress lines ("vaksin-dump").
 */
vk_scan *vk_scan_new(rd_kafka_t *consumer, const char *label);
void vk_scan_destroy(vk_scan *s);

/** @brief Makes a consumer for scanning: no group membership used, no commits, EOF events on.
 *  NULL on failure (logged). */
struct vk_config;
rd_kafka_t *vk_scan_consumer_new(const struct vk_config *cfg, const char *label);

/**
 * @brief Adds the range [@p from, @p to) of @p topic's partition @p partition (-1: every
 * partition). Offsets are resolved now: BEGINNING and END through the watermarks, TIME through
 * offsetsForTimes (see the file comment), an OFFSET is clamped into what the partition holds.
 * @returns 0, or -1 with the reason in @p err (no such topic, the broker did not answer).
 */
int vk_scan_add(vk_scan *s, const char *topic, int32_t partition, vk_pos from, vk_pos to, char *err,
                size_t errlen);

/** @brief Adds the exact offsets [@p start, @p end) of one partition (no time filter). */
int vk_scan_add_offsets(vk_scan *s, const char *topic, int32_t partition, int64_t start,
                        int64_t end);

/** @brief As vk_scan_add_offsets, keeping only messages with a timestamp ≥ @p min_time (ms). */
int vk_scan_add_offsets_since(vk_scan *s, const char *topic, int32_t partition, int64_t start,
                              int64_t end, int64_t min_time);

/**
 * @brief Resolves @p pos in partitions 0..@p n-1 of @p topic into @p offsets (as vk_scan_add
 * does for a range's start). When the broker does not answer a time lookup, the offsets are
 * the beginning and *@p inexact is set: keep only messages at least that new
 * (vk_scan_add_offsets_since).
 */
int vk_scan_resolve(vk_scan *s, const char *topic, vk_pos pos, int64_t *offsets, int32_t n,
                    bool *inexact, char *err, size_t errlen);

/** @brief Turns progress lines on stderr on or off (on by default): at most one every 2 s,
 *  only once a scan has run that long, with the messages read, the total and the rate. */
void vk_scan_set_progress(vk_scan *s, bool on);

/**
 * @brief Reads every range to its end, calling @p fn for each message inside it (in time ranges,
 * only those whose timestamps lie in the window). The ranges are removed afterwards, so the
 * scanner can be given new ones and run again.
 * @returns 0; -1 when @p fn stopped it, vk_stop was set, or the consumer failed (in @p err).
 */
int vk_scan_run(vk_scan *s, vk_scan_fn fn, void *opaque, char *err, size_t errlen);

/** @brief Messages handed to callbacks by this scanner so far. */
uint64_t vk_scan_count(const vk_scan *s);

/** @brief The number of partitions of @p topic, or -1 (logged) when it does not exist. */
int32_t vk_topic_partitions(rd_kafka_t *rk, const char *topic);

/** @brief The partition our producers put @p key in (murmur2_random, like the Java client). */
int32_t vk_key_partition(const void *key, size_t len, int32_t partitions);

/* ---- Decoding ---- */

typedef struct vk_audit_decoder vk_audit_decoder;

/** @brief A decoder for every contract topic (borrows @p codec). NULL with @p err on failure. */
vk_audit_decoder *vk_audit_decoder_new(vk_codec *codec, char *err, size_t errlen);
void vk_audit_decoder_destroy(vk_audit_decoder *d);

/**
 * @brief One message as a JSON record:
 * `{"topic","partition","offset","timestamp" (ms),"time" (ISO UTC),"key","value"}` where value
 * is the decoded record; when it cannot be decoded, `"error"` and `"raw_base64"` instead of
 * value. For a dead letter, value is the DeadLetter and the record also holds `"payload"`: the
 * refused message decoded with the schema of the topic it came from, or `"payload_error"` when
 * that fails (its bytes are already in value.value, base64).
 */
json_t *vk_audit_record(vk_audit_decoder *d, const rd_kafka_message_t *m);

/**
 * @brief Decodes the Avro bytes @p data of @p topic to JSON (NULL with the reason in @p err when
 * the topic has no schema or the bytes do not decode). Used for event_log.value.
 */
json_t *vk_audit_decode(vk_audit_decoder *d, const char *topic, const void *data, size_t len,
                        char *err, size_t errlen);

/**
 * @brief Checks the form of a NIK an operator typed: 16 digits, nothing else (the rules of
 * vk_nik_parse are not applied: a dead letter refused for an impossible birth day must still be
 * findable by its NIK). 0, or -1 with the reason in @p err (none when @p err is NULL).
 */
int vk_audit_nik_check(const char *nik, char *err, size_t errlen);

/** @brief The NIK a record is about: its value's (or a dead letter's payload's) `nik`, else its
 *  key when the key is a 16-digit NIK; NULL when neither. Borrowed from @p record. */
const char *vk_audit_record_nik(const json_t *record);

#endif
