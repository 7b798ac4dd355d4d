/*
 * sources.c — reading a NIK's events from Kafka and from the read model (see sources.h).
 *
 * Every topic of the trail is keyed by the NIK except registrations made by ticket (keyed by
 * the ticket, as are their dead letters), so only the partitions those keys hash to are read:
 * a trail costs a few partitions, not the whole log. The NIK's tickets come from its
 * TicketIssued events (and an addition's VerificationPending), which is why
 * vaksin.target.events is read first, and from the read model when there is one. Within those
 * partitions every message is decoded and kept when it is about the person (trail_matches), so
 * a message whose key and content disagree is still found by its content.
 *
 * The read model is read with a handful of queries by NIK (each table is indexed by it).
 * event_log keeps every projected event's original bytes, so an event the topic no longer
 * holds is decoded from there.
 */
#include "sources.h"

#include "vk_kafka.h"
#include "vk_pg.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

/* ---- The read model ---- */

static json_t *text_or_null(const PGresult *r, int row, int col) {
    return PQgetisnull(r, row, col) ? json_null() : json_string(PQgetvalue(r, row, col));
}

static PGresult *by_nik(PGconn *db, const char *sql, const char *nik, char *err, size_t errlen) {
    const char *params[1] = {nik};
    PGresult *r = vk_pg_query(db, PGRES_TUPLES_OK, sql, 1, params);
    if (!r)
        snprintf(err, errlen, "read model query failed: %s", PQerrorMessage(db));
    return r;
}

/* event_log: outcomes by event id, and every row decoded for the fallback. */
static int read_log(PGconn *db, vk_audit_decoder *dec, trail *t, json_t *rm, json_t *log_rows,
                    char *err, size_t errlen) {
    PGresult *r = by_nik(db,
                         "SELECT event_id, outcome, topic, partition, \"offset\","
                         " (extract(epoch FROM occurred_at) * 1000)::bigint, value"
                         " FROM event_log WHERE nik = $1 ORDER BY topic, partition, \"offset\"",
                         t->nik, err, errlen);
    if (!r)
        return -1;
    json_t *log = json_object();
    json_object_set_new(rm, "log", log);
    for (int i = 0; i < PQntuples(r); i++) {
        const char *topic = PQgetvalue(r, i, 2);
        json_int_t partition = strtoll(PQgetvalue(r, i, 3), NULL, 10);
        json_int_t offset = strtoll(PQgetvalue(r, i, 4), NULL, 10);
        json_object_set_new(log, PQgetvalue(r, i, 0),
                            json_pack("{s:s,s:s,s:I,s:I}", "outcome", PQgetvalue(r, i, 1), "topic",
                                      topic, "partition", partition, "offset", offset));
        size_t len = 0;
        unsigned char *bytes = PQunescapeBytea((const unsigned char *)PQgetvalue(r, i, 6), &len);
        char why[512] = "cannot read the stored bytes";
        json_t *value = bytes ? vk_audit_decode(dec, topic, bytes, len, why, sizeof why) : NULL;
        PQfreemem(bytes);
        json_t *record = json_pack("{s:s,s:I,s:I,s:s}", "topic", topic, "partition", partition,
                                   "offset", offset, "key", t->nik);
        if (value)
            json_object_set_new(record, "value", value);
        else
            json_object_set_new(record, "error", json_string(why));
        trail_collect_tickets(t, record);
        json_array_append_new(log_rows,
                              json_pack("{s:o,s:I}", "record", record, "occurred_at",
                                        (json_int_t)strtoll(PQgetvalue(r, i, 5), NULL, 10)));
    }
    PQclear(r);
    return 0;
}

static int read_rejections(PGconn *db, const trail *t, json_t *rm, char *err, size_t errlen) {
    PGresult *r = by_nik(db, "SELECT event_id, reason_code, reason FROM rejection WHERE nik = $1",
                         t->nik, err, errlen);
    if (!r)
        return -1;
    json_t *rej = json_object();
    json_object_set_new(rm, "rejections", rej);
    for (int i = 0; i < PQntuples(r); i++)
        json_object_set_new(rej, PQgetvalue(r, i, 0),
                            json_pack("{s:s,s:s}", "reason_code", PQgetvalue(r, i, 1), "reason",
                                      PQgetvalue(r, i, 2)));
    PQclear(r);
    return 0;
}

#define ISO_UTC(col) "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"

/* Verification rows by request id, each with its field changes (old → new). */
static int read_verifications(PGconn *db, trail *t, json_t *rm, char *err, size_t errlen) {
    static const char *const cols[] = {
        "request_id", "kind",          "status",         "reason_code", "reason",
        "verdict",    "requested_by",  "grant_event_id", "granted_by",  "requested_at",
        "decided_at", "last_event_id", "ticket"};
    PGresult *r =
        by_nik(db,
               "SELECT request_id, kind, status, reason_code, reason, verdict,"
               " requested_by, grant_event_id, granted_by, " ISO_UTC("requested_at") ", " ISO_UTC(
                   "decided_at") ", last_event_id, ticket"
                                 " FROM verification WHERE nik = $1",
               t->nik, err, errlen);
    if (!r)
        return -1;
    json_t *vs = json_object();
    json_object_set_new(rm, "verifications", vs);
    for (int i = 0; i < PQntuples(r); i++) {
        json_t *v = json_object();
        for (int c = 0; c < (int)(sizeof cols / sizeof *cols); c++)
            json_object_set_new(v, cols[c], text_or_null(r, i, c));
        json_object_set_new(v, "changes", json_array());
        json_object_set_new(vs, PQgetvalue(r, i, 0), v);
        if (!PQgetisnull(r, i, 12))
            trail_add_ticket(t, PQgetvalue(r, i, 12));
    }
    PQclear(r);
    r = by_nik(db,
               "SELECT request_id, field, old_value, new_value FROM verification_change"
               " WHERE nik = $1 ORDER BY request_id, field",
               t->nik, err, errlen);
    if (!r)
        return -1;
    for (int i = 0; i < PQntuples(r); i++) {
        json_t *changes = json_object_get(json_object_get(vs, PQgetvalue(r, i, 0)), "changes");
        json_array_append_new(changes,
                              json_pack("{s:s,s:o,s:o}", "field", PQgetvalue(r, i, 1), "old",
                                        text_or_null(r, i, 2), "new", text_or_null(r, i, 3)));
    }
    PQclear(r);
    return 0;
}

/* How far the projector has applied vaksin.target.events, per partition. */
static int read_projected(PGconn *db, const char *group, json_t *rm, char *err, size_t errlen) {
    const char *params[2] = {group, VK_TOPIC_TARGET_EVENTS};
    PGresult *r = vk_pg_query(db, PGRES_TUPLES_OK,
                              "SELECT partition, next_offset FROM consumer_offset"
                              " WHERE consumer_group = $1 AND topic = $2",
                              2, params);
    if (!r) {
        snprintf(err, errlen, "read model query failed: %s", PQerrorMessage(db));
        return -1;
    }
    json_t *projected = json_object();
    json_object_set_new(rm, "projected", projected);
    for (int i = 0; i < PQntuples(r); i++) {
        char key[128];
        snprintf(key, sizeof key, "%s/%s", VK_TOPIC_TARGET_EVENTS, PQgetvalue(r, i, 0));
        json_object_set_new(projected, key, json_integer(strtoll(PQgetvalue(r, i, 1), NULL, 10)));
    }
    PQclear(r);
    return 0;
}

int trail_read_model(PGconn *db, const char *group, vk_audit_decoder *dec, trail *t,
                     json_t *log_rows, char *err, size_t errlen) {
    json_t *rm = json_object();
    if (read_log(db, dec, t, rm, log_rows, err, errlen) ||
        read_rejections(db, t, rm, err, errlen) || read_verifications(db, t, rm, err, errlen) ||
        read_projected(db, group, rm, err, errlen)) {
        json_decref(rm);
        return -1;
    }
    PGresult *r = by_nik(db, "SELECT ticket FROM target WHERE nik = $1", t->nik, err, errlen);
    if (!r) {
        json_decref(rm);
        return -1;
    }
    for (int i = 0; i < PQntuples(r); i++)
        trail_add_ticket(t, PQgetvalue(r, i, 0));
    PQclear(r);
    trail_set_read_model(t, rm);
    return 0;
}

long trail_add_log_rows(trail *t, const json_t *log_rows) {
    long added = 0;
    size_t i;
    const json_t *row;
    json_array_foreach(log_rows, i, row) {
        json_t *record = json_object_get(row, "record");
        const char *topic = json_string_value(json_object_get(record, "topic"));
        int32_t partition = (int32_t)json_integer_value(json_object_get(record, "partition"));
        int64_t offset = json_integer_value(json_object_get(record, "offset"));
        if (!topic || trail_has(t, topic, partition, offset))
            continue;
        if (trail_add(t, json_incref(record), TRAIL_FROM_EVENT_LOG,
                      json_integer_value(json_object_get(row, "occurred_at"))))
            return -1;
        added++;
    }
    return added;
}

/* ---- The topics ---- */

typedef struct scan_ctx {
    trail *t;
    vk_audit_decoder *dec;
} scan_ctx;

static int on_message(void *opaque, rd_kafka_message_t *m) {
    scan_ctx *c = opaque;
    int64_t ts = rd_kafka_message_timestamp(m, NULL);
    json_t *record = vk_audit_record(c->dec, m);
    rd_kafka_message_destroy(m);
    if (!record)
        return -1;
    if (!trail_matches(c->t, record)) {
        json_decref(record);
        return 0;
    }
    trail_collect_tickets(c->t, record);
    return trail_add(c->t, record, TRAIL_FROM_TOPIC, ts);
}

/* Adds the partitions of @p topic the NIK's key (and with @p tickets its tickets') hash to;
 * with @p all every partition. */
static int add_topic(vk_scan *scan, rd_kafka_t *rk, const trail *t, const char *topic, bool tickets,
                     bool all, vk_pos from, char *err, size_t errlen) {
    vk_pos end = {VK_POS_END, 0};
    if (all)
        return vk_scan_add(scan, topic, -1, from, end, err, errlen);
    int32_t n = vk_topic_partitions(rk, topic);
    if (n <= 0) {
        snprintf(err, errlen, "cannot read the partitions of %s", topic);
        return -1;
    }
    int32_t parts[1 + sizeof t->tickets / sizeof t->tickets[0]];
    size_t np = 0;
    parts[np++] = vk_key_partition(t->nik, strlen(t->nik), n);
    for (size_t i = 0; tickets && i < t->n_tickets; i++) {
        int32_t p = vk_key_partition(t->tickets[i], strlen(t->tickets[i]), n);
        bool known = false;
        for (size_t k = 0; k < np; k++)
            known = known || parts[k] == p;
        if (!known)
            parts[np++] = p;
    }
    for (size_t k = 0; k < np; k++)
        if (vk_scan_add(scan, topic, parts[k], from, end, err, errlen))
            return -1;
    return 0;
}

int trail_scan(vk_scan *scan, rd_kafka_t *rk, vk_audit_decoder *dec, trail *t, vk_pos from,
               bool all_partitions, char *err, size_t errlen) {
    scan_ctx c = {t, dec};
    if (add_topic(scan, rk, t, VK_TOPIC_TARGET_EVENTS, false, false, from, err, errlen) ||
        vk_scan_run(scan, on_message, &c, err, errlen))
        return -1;
    for (int i = 0; i < TRAIL_TOPICS; i++) {
        const char *topic = trail_topics[i];
        if (strcmp(topic, VK_TOPIC_TARGET_EVENTS) == 0)
            continue;
        bool tickets = strcmp(topic, VK_TOPIC_REGISTRATION_REQUESTS) == 0 ||
                       strcmp(topic, VK_TOPIC_DEAD_LETTERS) == 0;
        if (add_topic(scan, rk, t, topic, tickets, tickets && all_partitions, from, err, errlen))
            return -1;
    }
    return vk_scan_run(scan, on_message, &c, err, errlen);
}
