/*
 * sources.h — where vaksin-trail finds a NIK's events: the topics (a scan of the partitions
 * the NIK's and its tickets' keys hash to) and the read model (outcomes, and event_log for the
 * events the topics no longer hold).
 */
#ifndef TRAIL_SOURCES_H
#define TRAIL_SOURCES_H

#include "trail.h"

#include "vk_audit.h"

#include <libpq-fe.h>
#include <librdkafka/rdkafka.h>

/**
 * @brief Reads what the read model knows of @p t's NIK and gives it to the trail
 * (trail_set_read_model): event_log outcomes, rejections, verification rows and their field
 * changes, the projector's offsets (consumer group @p group), and the tickets of the target
 * and of the NIK's TicketIssued events. Every event_log row, decoded, is appended to
 * @p log_rows as {"record","occurred_at"} for trail_add_log_rows.
 * @returns 0, or -1 with the reason in @p err.
 */
int trail_read_model(PGconn *db, const char *group, vk_audit_decoder *dec, trail *t,
                     json_t *log_rows, char *err, size_t errlen);

/**
 * @brief Scans vaksin.target.events (the NIK's partition, learning its tickets), then every
 * other topic of the trail (the NIK's partition, and for registrations and dead letters the
 * tickets' too) from @p from to the end they have now, adding the person's records.
 * A desk may type a ticket with hyphens, spaces or in lower case, and the registration is keyed
 * by the ticket as typed, so it may sit on any partition: @p all_partitions reads every
 * partition of vaksin.registration.requests and vaksin.dead-letters to find those too.
 * @returns 0, or -1 with the reason in @p err (a topic missing, the broker failing, stopped).
 */
int trail_scan(vk_scan *scan, rd_kafka_t *rk, vk_audit_decoder *dec, trail *t, vk_pos from,
               bool all_partitions, char *err, size_t errlen);

/** @brief Adds the rows of @p log_rows whose position the scan did not see (source event_log).
 *  @returns how many, or -1 when out of memory. */
long trail_add_log_rows(trail *t, const json_t *log_rows);

#endif
