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
#include "vk_time.h"
#include "vk_tool.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const vk_config_doc keys[] = {
    {"kafka.bootstrap.servers", NULL, "Kafka bootstrap servers (or VAKSIN_BOOTSTRAP)"},
    {"pg.conninfo", NULL, "read model (or VAKSIN_PG); without it the projector is not checked"},
    VK_PG_STATEMENT_TIMEOUT_KEY("0", ""),
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

/*
 * How far behind a consumer is on one partition. The end is the last stable offset (LSO): a
 * read_committed consumer — every consumer here — asks ListOffsets for it, and it stops before
 * the first open transaction, so output not yet committed is not counted as work to do (its
 * producer is the one behind). Transactions also leave a commit or abort marker in the log: it
 * takes an offset but is no message, so a consumer that has applied everything can stand one or
 * more offsets short of the end (the projector stores the offset after the last message it
 * applied). When committed < end, settle() reads the gap with read_committed: if no message
 * comes before the end, only markers (or aborted records) are left and the partition is caught
 * up. Otherwise the offsets in the gap are reported, markers included — an estimate, exact
 * enough for "how much is left" and exact for "is anything left".
 */
typedef struct part_pos {
    int64_t done; /* the consumer's next offset */
    int64_t end;  /* the partition's last stable offset */
    int behind;   /* after settle(): 1 a message waits, 0 caught up */
} part_pos;

/* Reads each partition with done < end from done: a message below end means behind. */
static int settle(const vk_config *cfg, const char *topic, part_pos *pp, int n) {
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    char err[128];
    rd_kafka_conf_set(conf, "enable.partition.eof", "true", err, sizeof err);
    rd_kafka_t *c = vk_consumer_new(cfg, "vaksin-status", conf);
    if (!c)
        return -1;
    rd_kafka_topic_partition_list_t *parts = rd_kafka_topic_partition_list_new(n);
    int open = 0;
    for (int i = 0; i < n; i++) {
        pp[i].behind = 0;
        if (pp[i].done < pp[i].end) {
            rd_kafka_topic_partition_list_add(parts, topic, i)->offset = pp[i].done;
            pp[i].behind = -1; /* unknown until read */
            open++;
        }
    }
    int rc = 0;
    if (open && rd_kafka_assign(c, parts)) {
        rc = -1;
        open = 0;
    }
    for (int64_t deadline = vk_mono_ms() + 10000; open > 0 && vk_mono_ms() < deadline;) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(c, 200);
        if (!m)
            continue;
        int32_t p = m->partition;
        if (p >= 0 && p < n && pp[p].behind == -1) {
            if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF || (!m->err && m->offset >= pp[p].end)) {
                pp[p].behind = 0;
                open--;
            } else if (!m->err) {
                pp[p].behind = 1;
                open--;
            }
        }
        rd_kafka_message_destroy(m);
    }
    for (int i = 0; i < n; i++) /* not read in time: counted as behind */
        if (pp[i].behind == -1)
            pp[i].behind = 1;
    rd_kafka_topic_partition_list_destroy(parts);
    rd_kafka_consumer_close(c);
    rd_kafka_destroy(c);
    return rc;
}

/* Sum of the settled gaps; *total = the end offsets. -1 when the gaps could not be read. */
static int64_t lag_of(const vk_config *cfg, const char *topic, part_pos *pp, int n,
                      int64_t *total) {
    if (settle(cfg, topic, pp, n))
        return -1;
    int64_t lag = 0;
    *total = 0;
    for (int i = 0; i < n; i++) {
        if (pp[i].behind)
            lag += pp[i].end - pp[i].done;
        *total += pp[i].end;
    }
    return lag;
}

/* A stage group's lag on @p topic, from its committed offsets in Kafka; -1 on error. */
static int64_t kafka_lag(const vk_config *cfg, const char *group, const char *topic,
                         int64_t *total) {
    rd_kafka_t *c = vk_consumer_new(cfg, group, NULL);
    if (!c)
        return -1;
    int n = partitions_of(c, topic);
    int64_t lag = -1;
    part_pos *pp = n > 0 ? calloc((size_t)n, sizeof *pp) : NULL;
    if (pp) {
        rd_kafka_topic_partition_list_t *parts = rd_kafka_topic_partition_list_new(n);
        for (int i = 0; i < n; i++)
            rd_kafka_topic_partition_list_add(parts, topic, i);
        if (!rd_kafka_committed(c, parts, 10000)) {
            lag = 0;
            for (int i = 0; i < n && lag == 0; i++) {
                int64_t lo, hi;
                if (rd_kafka_query_watermark_offsets(c, topic, i, &lo, &hi, 10000))
                    lag = -1;
                pp[i].end = hi;
                pp[i].done = parts->elems[i].offset >= 0 ? parts->elems[i].offset : lo;
            }
        }
        rd_kafka_topic_partition_list_destroy(parts);
    }
    rd_kafka_destroy(c);
    if (lag == 0)
        lag = lag_of(cfg, topic, pp, n, total);
    free(pp);
    return lag;
}

/* The projector's lag on @p topic, from its offsets in PostgreSQL. */
static int64_t projector_lag(const vk_config *cfg, PGconn *db, const char *topic, int64_t *total) {
    rd_kafka_t *c = vk_consumer_new(cfg, "vaksin-status", NULL);
    if (!c)
        return -1;
    int n = partitions_of(c, topic);
    int64_t lag = -1;
    part_pos *pp = n > 0 ? calloc((size_t)n, sizeof *pp) : NULL;
    for (int i = 0; pp && i < n; i++) {
        int64_t lo, hi;
        if (rd_kafka_query_watermark_offsets(c, topic, i, &lo, &hi, 10000))
            break;
        char part[16];
        snprintf(part, sizeof part, "%d", i);
        const char *params[3] = {vk_config_get(cfg, "projector.group", "vaksin-projector"), topic,
                                 part};
        PGresult *r =
            vk_pg_query(db, PGRES_TUPLES_OK,
                        "SELECT next_offset FROM consumer_offset WHERE consumer_group = $1"
                        " AND topic = $2 AND partition = $3::int",
                        3, params);
        if (!r)
            break;
        pp[i].done = PQntuples(r) ? strtoll(PQgetvalue(r, 0, 0), NULL, 10) : lo;
        pp[i].end = hi;
        PQclear(r);
        if (i == n - 1)
            lag = 0;
    }
    rd_kafka_destroy(c);
    if (lag == 0)
        lag = lag_of(cfg, topic, pp, n, total);
    free(pp);
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
    if (vk_pg_set_statement_timeout(vk_config_get_int(cfg, "pg.statement.timeout.ms", 0))) {
        fprintf(stderr, "vaksin-status: " VK_PG_STATEMENT_TIMEOUT_RANGE "\n");
        vk_config_destroy(cfg);
        return 2;
    }
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
