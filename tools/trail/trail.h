/*
 * trail.h — the model behind vaksin-trail (docs/design.md §6): every event that touched one NIK,
 * each with where it sits, what it is, who did it and what became of it, in log order.
 *
 * The model is pure: it is given audit records (vk_audit_record's JSON, or the same shape built
 * from an event_log row) and, optionally, what the read model says about them, and it orders
 * (trail.c), links (outcome.c) and prints (print.c). The Kafka scan and the PostgreSQL queries
 * live in sources.c, so the model is unit-tested without either (tests/unit/test_trail.c).
 *
 * Outcomes are linked, never guessed: a request's outcome is the target event whose
 * causation_id is the request's event_id (its status as the projector recorded it), the dead
 * letter that names the request's topic/partition/offset, or — for a verification request —
 * the verification row's decision; a target event's outcome is its event_log row (and the
 * rejection's reason); whatever has none of these says "outcome unknown".
 */
#ifndef TRAIL_H
#define TRAIL_H

#include <jansson.h>
#include "vk_ticket.h"
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* The topics of a trail, in the order that breaks ties between equal times. */
extern const char *const trail_topics[];
#define TRAIL_TOPICS 9
/* Where some of them are in that order (trail_entry.rank). */
enum {
    TRAIL_RANK_VERIFICATION = 4,
    TRAIL_RANK_LOOKUPS = 5,
    TRAIL_RANK_RETRIES = 6,
    TRAIL_RANK_TARGET = 7,
    TRAIL_RANK_DEAD = 8,
};

typedef enum trail_source {
    TRAIL_FROM_TOPIC,     /* read from the topic */
    TRAIL_FROM_EVENT_LOG, /* gone from the topic (retention, or before --from): event_log */
} trail_source;

typedef struct trail_entry {
    json_t *record; /* owned: {"topic","partition","offset",["timestamp","time"],"key",
                       "value"|"error"+"raw_base64",["payload"|"payload_error"]} */
    const char *topic;
    int rank; /* index in trail_topics, TRAIL_TOPICS for any other topic */
    int32_t partition;
    int64_t offset;
    int64_t time;      /* Kafka timestamp; for an event_log row the event's occurred_at */
    int64_t sort_time; /* see trail_order */
    trail_source source;
    char event_type[48];
    /* Borrowed from record; NULL when absent. */
    const char *event_id, *causation_id, *request_id, *actor;
    json_t *outcome; /* owned; made by trail_finish */
} trail_entry;

typedef struct trail {
    char nik[17];
    char tickets[8][VK_TICKET_LEN + 1]; /* canonical; a person has one, an addition may add one */
    size_t n_tickets;
    trail_entry *v;
    size_t n, cap;
    /* What the read model says, or NULL without one (see trail_set_read_model). */
    json_t *rm;
} trail;

/** @brief A trail of @p nik (already checked). NULL when out of memory. */
trail *trail_new(const char *nik);
void trail_destroy(trail *t);

/** @brief Adds a ticket of the person (any typed form). @returns 1 when new, 0 when known or
 *  not a ticket. */
int trail_add_ticket(trail *t, const char *ticket);

/** @brief Adds the tickets a record gives the person: TicketIssued's ticket, an addition's
 *  VerificationPending ticket. */
void trail_collect_tickets(trail *t, const json_t *record);

/**
 * @brief Whether a scanned record is about the person: its key is the NIK or one of the
 * tickets, its decoded NIK (vk_audit_record_nik) is the NIK, or its (or a dead letter's
 * payload's) ticket is one of the tickets.
 */
bool trail_matches(const trail *t, const json_t *record);

/**
 * @brief Adds one record (taking ownership of it, also on failure) found at @p time (ms).
 * @returns 0, or -1 when out of memory.
 */
int trail_add(trail *t, json_t *record, trail_source source, int64_t time);

/** @brief True when an entry sits at this topic/partition/offset. */
bool trail_has(const trail *t, const char *topic, int32_t partition, int64_t offset);

/**
 * @brief Gives the trail what the read model says (ownership taken), an object of:
 *   "log":           event_id → {"outcome","topic","partition","offset"} (event_log)
 *   "rejections":    event_id → {"reason_code","reason"}
 *   "verifications": request_id → {"status","reason_code","reason","verdict","requested_by",
 *                    "decided_at","last_event_id","changes":[{"field","old","new"}]}
 *   "projected":     "<topic>/<partition>" → next offset the projector will apply
 * Without it (no pg.conninfo) target events' outcomes are unknown.
 */
void trail_set_read_model(trail *t, json_t *rm);

/**
 * @brief Orders the entries: within one partition in offset order (the log's own order), and
 * across partitions and topics by time, ties by topic order, partition, offset. To keep both,
 * an entry's sort time is the smallest time among it and every later entry of its partition:
 * the times of a partition then never decrease with the offset, whatever clocks stamped them
 * (Kafka timestamps, an event_log row's occurred_at).
 */
void trail_order(trail *t);

/** @brief Orders (trail_order) and links every entry's outcome. @returns 0, or -1 (memory). */
int trail_finish(trail *t);

/** @brief The JSON line of one entry: {time, timestamp, topic, partition, offset, event_type,
 *  actor, source, outcome, record} (a new reference). */
json_t *trail_entry_json(const trail_entry *e);

/** @brief Prints the trail: JSON lines, or per entry a header line (time, topic[partition]@offset,
 *  event type, actor, outcome) and the decoded record indented below it. */
void trail_print(const trail *t, FILE *out, bool json_lines);

#endif
