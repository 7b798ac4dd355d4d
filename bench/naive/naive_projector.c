/*
 * naive_projector — the "naive reference" of the benchmarks: the bulk import's last
 * step written the way a first version often is, one row per transaction. It is NOT part of the
 * product and nothing but bench/run uses it.
 *
 *     naive_projector BOOTSTRAP CONNINFO TABLE N
 *
 * Reads vaksin.target.events from the beginning (a fresh consumer group, so it moves nobody's
 * offsets), decodes each TargetEvent with the product's codec, and for each TicketIssued runs one
 * INSERT of the target row into TABLE (a copy of `target`: same columns, constraints and
 * indexes) in its own transaction (autocommit: one statement, one COMMIT, one round trip), until
 * N rows are written. Other event types are skipped. It keeps no event log, does no dedupe
 * query and commits no Kafka offsets, so it does strictly less work per row than vaksin-projector:
 * the comparison flatters the reference, not the product.
 *
 * Prints on stdout one line: `RESULT naive events=N inserted=I seconds=S rate=R` (I < N when the
 * log holds TicketIssued for a NIK already inserted: a conflicting re-import, skipped by
 * ON CONFLICT DO NOTHING, as the projector refuses it), where the clock runs from
 * the first TicketIssued received to the last COMMIT (the consumer group's join is not counted).
 * Exit 0 when N rows were written, 1 on any error, 2 on bad usage.
 */
#include "vk_codec.h"
#include "vk_kafka.h"
#include "vk_value.h"

#include <inttypes.h>
#include <libpq-fe.h>
#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The target row of one TicketIssued, as text parameters of the INSERT. */
typedef struct row {
    char nik[17], ticket[64], name[256], birth_date[16], sex[2], phone[64], category[64];
    char facility[64], scheduled[16], origin[32], flags[256], event_id[40], occurred[24];
    bool has_sex, has_phone, has_category, has_facility, has_scheduled;
} row;

static void put(char *dst, size_t len, const char *src) {
    snprintf(dst, len, "%s", src ? src : "");
}

/* Fills @p r from a decoded TargetEvent; returns 1 when it is a TicketIssued, 0 when another
 * type, -1 when malformed. */
static int to_row(const avro_value_t *v, row *r) {
    avro_value_t payload, branch, field, item;
    const char *s;
    int32_t i32;
    int64_t i64;
    int idx;
    bool has;
    memset(r, 0, sizeof *r);
    if (vk_value_get_field(v, "payload", &payload) ||
        avro_value_get_current_branch(&payload, &branch))
        return -1;
    if (strcmp(avro_schema_type_name(avro_value_get_schema(&branch)), "TicketIssued") != 0)
        return 0;
    if (vk_value_get_str(v, "event_id", &s))
        return -1;
    put(r->event_id, sizeof r->event_id, s);
    if (vk_value_get_str(v, "nik", &s))
        return -1;
    put(r->nik, sizeof r->nik, s);
    if (vk_value_get_long(v, "occurred_at", &i64))
        return -1;
    snprintf(r->occurred, sizeof r->occurred, "%" PRId64, i64);
    if (vk_value_get_str(&branch, "ticket", &s))
        return -1;
    put(r->ticket, sizeof r->ticket, s);
    if (vk_value_get_str(&branch, "name", &s))
        return -1;
    put(r->name, sizeof r->name, s);
    if (vk_value_get_int(&branch, "birth_date", &i32))
        return -1;
    snprintf(r->birth_date, sizeof r->birth_date, "%" PRId32, i32);
    if (!vk_value_get_opt_enum(&branch, "sex", &idx) && idx >= 0) {
        put(r->sex, sizeof r->sex, idx == 0 ? "L" : "P");
        r->has_sex = true;
    }
    if (!vk_value_get_opt_str(&branch, "phone", &s) && s)
        put(r->phone, sizeof r->phone, s), r->has_phone = true;
    if (!vk_value_get_opt_str(&branch, "category", &s) && s)
        put(r->category, sizeof r->category, s), r->has_category = true;
    if (!vk_value_get_opt_str(&branch, "facility_code", &s) && s)
        put(r->facility, sizeof r->facility, s), r->has_facility = true;
    if (!vk_value_get_opt_int(&branch, "scheduled_date", &has, &i32) && has) {
        snprintf(r->scheduled, sizeof r->scheduled, "%" PRId32, i32);
        r->has_scheduled = true;
    }
    if (vk_value_get_field(&branch, "origin", &field) || avro_value_get_enum(&field, &idx))
        return -1;
    put(r->origin, sizeof r->origin, avro_schema_enum_get(avro_value_get_schema(&field), idx));
    size_t n = 0, used = 1;
    r->flags[0] = '{';
    if (!vk_value_get_field(&branch, "flags", &field) && !avro_value_get_size(&field, &n)) {
        for (size_t k = 0; k < n; k++) {
            size_t len;
            if (avro_value_get_by_index(&field, k, &item, NULL) ||
                avro_value_get_string(&item, &s, &len))
                return -1;
            int w = snprintf(r->flags + used, sizeof r->flags - used, "%s\"%s\"", k ? "," : "", s);
            if (w < 0 || (size_t)w >= sizeof r->flags - used)
                return -1;
            used += (size_t)w;
        }
    }
    snprintf(r->flags + used, sizeof r->flags - used, "}");
    return 1;
}

int main(int argc, char **argv) {
    if (argc != 5) {
        fprintf(stderr, "usage: naive_projector BOOTSTRAP CONNINFO TABLE N\n");
        return 2;
    }
    const char *table = argv[3];
    long want = strtol(argv[4], NULL, 10);
    char err[512], group[64], sql[1024];
    if (want <= 0) {
        fprintf(stderr, "naive_projector: N must be positive\n");
        return 2;
    }

    PGconn *db = PQconnectdb(argv[2]);
    if (PQstatus(db) != CONNECTION_OK) {
        fprintf(stderr, "naive_projector: %s", PQerrorMessage(db));
        return 1;
    }
    snprintf(sql, sizeof sql,
             "INSERT INTO %s (nik, ticket, name, birth_date, sex, phone, category, facility_code,"
             " scheduled_date, origin, flags, created_event_id, updated_event_id, created_at,"
             " updated_at) VALUES ($1, $2, $3, DATE '1970-01-01' + $4::int, $5, $6, $7, $8,"
             " DATE '1970-01-01' + $9::int, $10, $11::text[], $12::uuid, $12::uuid,"
             " to_timestamp($13::bigint / 1000.0), to_timestamp($13::bigint / 1000.0))"
             " ON CONFLICT (nik) DO NOTHING",
             table);
    PGresult *res = PQprepare(db, "ins", sql, 13, NULL);
    if (PQresultStatus(res) != PGRES_COMMAND_OK) {
        fprintf(stderr, "naive_projector: prepare: %s", PQerrorMessage(db));
        return 1;
    }
    PQclear(res);

    vk_codec *codec = vk_codec_new(err, sizeof err);
    vk_decoder *dec = codec ? vk_decoder_new(codec, VK_SCHEMA_TARGET_EVENT, err, sizeof err) : NULL;
    if (!dec) {
        fprintf(stderr, "naive_projector: codec: %s\n", err);
        return 1;
    }

    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    snprintf(group, sizeof group, "bench-naive-%ld", (long)time(NULL));
    if (rd_kafka_conf_set(conf, "bootstrap.servers", argv[1], err, sizeof err) ||
        rd_kafka_conf_set(conf, "group.id", group, err, sizeof err) ||
        rd_kafka_conf_set(conf, "auto.offset.reset", "earliest", err, sizeof err) ||
        rd_kafka_conf_set(conf, "enable.auto.commit", "false", err, sizeof err)) {
        fprintf(stderr, "naive_projector: %s\n", err);
        return 1;
    }
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
    if (!rk) {
        fprintf(stderr, "naive_projector: %s\n", err);
        return 1;
    }
    rd_kafka_poll_set_consumer(rk);
    rd_kafka_topic_partition_list_t *topics = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(topics, VK_TOPIC_TARGET_EVENTS, RD_KAFKA_PARTITION_UA);
    rd_kafka_resp_err_t kerr = rd_kafka_subscribe(rk, topics);
    rd_kafka_topic_partition_list_destroy(topics);
    if (kerr) {
        fprintf(stderr, "naive_projector: subscribe: %s\n", rd_kafka_err2str(kerr));
        return 1;
    }

    long done = 0, inserted = 0;
    double t0 = 0, idle_since = now_s();
    int rc = 0;
    while (done < want) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 200);
        if (!m) {
            if (now_s() - idle_since > 60) {
                fprintf(stderr, "naive_projector: nothing for 60 s after %ld rows\n", done);
                rc = 1;
                break;
            }
            continue;
        }
        idle_since = now_s();
        if (m->err) {
            fprintf(stderr, "naive_projector: %s\n", rd_kafka_message_errstr(m));
            rd_kafka_message_destroy(m);
            continue;
        }
        avro_value_t *v;
        row r;
        int kind =
            vk_decoder_decode(dec, m->payload, m->len, &v, err, sizeof err) ? -1 : to_row(v, &r);
        rd_kafka_message_destroy(m);
        if (kind < 0) {
            fprintf(stderr, "naive_projector: undecodable TargetEvent\n");
            rc = 1;
            break;
        }
        if (kind == 0)
            continue;
        if (!t0)
            t0 = now_s();
        const char *params[13] = {r.nik,
                                  r.ticket,
                                  r.name,
                                  r.birth_date,
                                  r.has_sex ? r.sex : NULL,
                                  r.has_phone ? r.phone : NULL,
                                  r.has_category ? r.category : NULL,
                                  r.has_facility ? r.facility : NULL,
                                  r.has_scheduled ? r.scheduled : NULL,
                                  r.origin,
                                  r.flags,
                                  r.event_id,
                                  r.occurred};
        res = PQexecPrepared(db, "ins", 13, params, NULL, NULL, 0);
        if (PQresultStatus(res) != PGRES_COMMAND_OK) {
            fprintf(stderr, "naive_projector: insert: %s", PQerrorMessage(db));
            PQclear(res);
            rc = 1;
            break;
        }
        inserted += strtol(PQcmdTuples(res), NULL, 10);
        PQclear(res);
        done++;
    }
    double secs = t0 ? now_s() - t0 : 0;
    if (!rc)
        printf("RESULT naive events=%ld inserted=%ld seconds=%.3f rate=%.0f\n", done, inserted,
               secs, secs > 0 ? (double)done / secs : 0.0);
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
    vk_decoder_destroy(dec);
    vk_codec_destroy(codec);
    PQfinish(db);
    return rc;
}
