/*
 * vaksin-status — where the pipeline stands: for every stage, how far its consumer group has
 * committed against the end of its input topic, and how far the projector has applied
 * vaksin.target.events (its offsets live in PostgreSQL). With --wait N it waits up to N seconds
 * until everything is caught up (exit 0) or says what is still behind (exit 1).
 *
 * The demo and the integration tests use it to know when an import has been fully projected:
 * "caught up" means every message that was in the input topics when it looked has been turned
 * into output and every output applied, which is what an operator means by "done".
 */
#include "vk_config.h"
#include "vk_kafka.h"
#include "vk_log.h"
#include "vk_pg.h"
#include "vk_tool.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const vk_config_doc keys[] = {
    {"kafka.bootstrap.servers", NULL, "Kafka bootstrap servers (or VAKSIN_BOOTSTRAP)"},
    {"pg.conninfo", NULL, "read model (or VAKSIN_PG); without it the projector is not checked"},
    {"projector.group", "vaksin-projector", "the projector's group id"},
    {NULL, NULL, NULL},
};

static const vk_program program = {"vaksin-status",
                                   "consumer progress of every stage and of the projector",
                                   "[--wait SECONDS] [--quiet]", keys};

/* Stage consumer groups and their input topics. */
static const char *const stages[][2] = {
    {"vaksin-ticket", VK_TOPIC_TICKET_REQUESTS},
    {"vaksin-registration", VK_TOPIC_REGISTRATION_REQUESTS},
    {"vaksin-screening", VK_TOPIC_SCREENING_REQUESTS},
    {"vaksin-vaccination", VK_TOPIC_VACCINATION_REQUESTS},
    {"vaksin-verification", VK_TOPIC_VERIFICATION_REQUESTS},
    {"vaksin-lookup", VK_TOPIC_VERIFICATION_LOOKUPS},
    {"vaksin-lookup", VK_TOPIC_VERIFICATION_RETRIES}, /* due retries count as work to do */
};

static int partitions_of(rd_kafka_t *rk, const char *topic) {
    const rd_kafka_metadata_t *md;
    rd_kafka_topic_t *t = rd_kafka_topic_new(rk, topic, NULL);
    int n = -1;
    if (rd_kafka_metadata(rk, 0, t, &md, 10000) == RD_KAFKA_RESP_ERR_NO_ERROR) {
        if (md->topic_cnt == 1 && !md->topics[0].err)
            n = md->topics[0].partition_cnt;
        rd_kafka_metadata_destroy(md);
    }
    rd_kafka_topic_destroy(t);
    return n;
}

/* Sum over partitions of (end offset - committed offset); -1 on error. *total = end offsets. */
static int64_t kafka_lag(const vk_config *cfg, const char *group, const char *topic,
                         int64_t *total) {
    rd_kafka_t *c = vk_consumer_new(cfg, group, NULL);
    if (!c)
        return -1;
    int n = partitions_of(c, topic);
    int64_t lag = -1;
    if (n > 0) {
        rd_kafka_topic_partition_list_t *parts = rd_kafka_topic_partition_list_new(n);
        for (int i = 0; i < n; i++)
            rd_kafka_topic_partition_list_add(parts, topic, i);
        if (!rd_kafka_committed(c, parts, 10000)) {
            lag = 0;
            *total = 0;
            for (int i = 0; i < n; i++) {
                int64_t lo, hi;
                if (rd_kafka_query_watermark_offsets(c, topic, i, &lo, &hi, 10000)) {
                    lag = -1;
                    break;
                }
                int64_t done = parts->elems[i].offset >= 0 ? parts->elems[i].offset : lo;
                lag += hi > done ? hi - done : 0;
                *total += hi;
            }
        }
        rd_kafka_topic_partition_list_destroy(parts);
    }
    rd_kafka_destroy(c);
    return lag;
}

/* The projector's lag on @p topic, from its offsets in PostgreSQL. */
static int64_t projector_lag(const vk_config *cfg, PGconn *db, const char *topic,
                             int64_t *total) {
    rd_kafka_t *c = vk_consumer_new(cfg, "vaksin-status", NULL);
    if (!c)
        return -1;
    int n = partitions_of(c, topic);
    int64_t lag = n > 0 ? 0 : -1;
    *total = 0;
    for (int i = 0; i < n && lag >= 0; i++) {
        int64_t lo, hi;
        if (rd_kafka_query_watermark_offsets(c, topic, i, &lo, &hi, 10000)) {
            lag = -1;
            break;
        }
        char part[16];
        snprintf(part, sizeof part, "%d", i);
        const char *params[3] = {vk_config_get(cfg, "projector.group", "vaksin-projector"), topic,
                                 part};
        PGresult *r =
            vk_pg_query(db, PGRES_TUPLES_OK,
                        "SELECT next_offset FROM consumer_offset WHERE consumer_group = $1"
                        " AND topic = $2 AND partition = $3::int",
                        3, params);
        if (!r) {
            lag = -1;
            break;
        }
        int64_t done = PQntuples(r) ? strtoll(PQgetvalue(r, 0, 0), NULL, 10) : lo;
        PQclear(r);
        lag += hi > done ? hi - done : 0;
        *total += hi;
    }
    rd_kafka_destroy(c);
    return lag;
}

/* One look at everything; returns the total lag (or -1 when something could not be read). */
static int64_t look(const vk_config *cfg, PGconn *db, bool print) {
    int64_t sum = 0;
    bool failed = false;
    for (size_t i = 0; i < sizeof stages / sizeof *stages; i++) {
        int64_t total = 0, lag = kafka_lag(cfg, stages[i][0], stages[i][1], &total);
        if (lag < 0)
            failed = true;
        else
            sum += lag;
        if (print)
            printf("%-22s %-34s messages=%-10" PRId64 " behind=%" PRId64 "\n", stages[i][0],
                   stages[i][1], total, lag);
    }
    static const char *const projected[] = {VK_TOPIC_TARGET_EVENTS, VK_TOPIC_ACCESS_EVENTS};
    for (size_t t = 0; db && t < sizeof projected / sizeof *projected; t++) {
        int64_t total = 0, lag = projector_lag(cfg, db, projected[t], &total);
        if (lag < 0)
            failed = true;
        else
            sum += lag;
        if (print)
            printf("%-22s %-34s messages=%-10" PRId64 " behind=%" PRId64 "\n", "vaksin-projector",
                   projected[t], total, lag);
    }
    return failed ? -1 : sum;
}

int main(int argc, char **argv) {
    const char *wait = NULL;
    bool quiet = false;
    const vk_tool_opt opts[] = {{"--wait", &wait}};
    argc = vk_tool_take_options(argc, argv, opts, 1, program.name);
    if (argc < 0)
        return 2;
    for (int i = 1; i < argc; i++) /* a flag without a value */
        if (strcmp(argv[i], "--quiet") == 0) {
            quiet = true;
            memmove(&argv[i], &argv[i + 1], (size_t)(argc - i) * sizeof *argv);
            argc--;
            break;
        }
    vk_config *cfg = vk_config_new();
    int first, rc = vk_cli_parse(argc, argv, &program, cfg, &first);
    if (rc || first < argc) {
        if (rc == 0)
            fprintf(stderr, "vaksin-status: unexpected argument %s\n", argv[first]);
        vk_config_destroy(cfg);
        return rc > 0 ? 0 : 2;
    }
    int wait_s = wait ? atoi(wait) : -1;
    vk_log_init("vaksin-status", VK_LOG_WARN);
    const char *conninfo = vk_config_get(cfg, "pg.conninfo", NULL);
    PGconn *db = conninfo ? vk_pg_connect(conninfo, 10000, NULL) : NULL;
    if (conninfo && !db)
        return 1;
    int64_t lag;
    if (wait_s < 0) {
        lag = look(cfg, db, true);
    } else {
        int64_t deadline = vk_mono_ms() + (int64_t)wait_s * 1000;
        /* Caught up twice in a row, a moment apart: a stage may be between consuming an input
         * and committing it, with its output not yet visible downstream. */
        int zeros = 0;
        while ((lag = look(cfg, db, false)) != 0 || ++zeros < 2) {
            if (lag != 0)
                zeros = 0;
            if (vk_mono_ms() > deadline)
                break;
            usleep(300 * 1000);
        }
        if (!quiet || lag != 0)
            look(cfg, db, true);
    }
    if (db)
        PQfinish(db);
    vk_config_destroy(cfg);
    return lag == 0 ? 0 : 1;
}
