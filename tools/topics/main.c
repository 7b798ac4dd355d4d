/*
 * vaksin-topics — waits for a Kafka cluster to answer and creates the topics of the contract on
 * it, through librdkafka's admin API (CreateTopics), so a fresh cluster — the local broker the
 * scripts start, or a production one — gets the same topics with the same settings.
 *
 *   vaksin-topics --wait SECONDS     until a Metadata request names at least one broker
 *   vaksin-topics --create           create what is missing, then wait until every partition has
 *                                    a leader; a topic that exists is left as it is (its
 *                                    partition count is reported when it differs)
 *   vaksin-topics                    list the contract's topics and their partition counts
 *
 * The log of a person (vaksin.target.events), the access grants and the dead letters are the
 * source of truth the read model is rebuilt from and the evidence an audit reads, so they are
 * created with retention.ms=-1 (kept forever); the request topics keep the broker's default.
 * The request topics are created with message.timestamp.type=LogAppendTime: the broker stamps
 * each request with the time it arrived, which the client cannot choose, and vaksin-verification
 * authorizes a request at that time (docs/design.md §4 "Verification").
 * Exit status: 0 done, 1 the cluster did not answer or refused, 2 usage.
 */
#include "vk_config.h"
#include "vk_kafka.h"
#include "vk_log.h"
#include "vk_signals.h"
#include "vk_time.h"
#include "vk_tool.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const vk_config_doc keys[] = {
    {"kafka.bootstrap.servers", NULL, "Kafka bootstrap servers (or VAKSIN_BOOTSTRAP)"},
    {"topics.partitions", "16", "partitions of each topic --create makes"},
    {"topics.replication.factor", "-1", "replicas of each topic (-1: the broker's default)"},
    {"log.level", "warn", "debug, info, warn or error"},
    {NULL, NULL, NULL},
};

static const vk_program program = {
    "vaksin-topics", "waits for a Kafka cluster and creates the topics of the contract",
    "[--wait SECONDS] [--create]", keys};

/* The topics whose messages are never deleted by time (see the top of this file). */
static bool kept_forever(const char *topic) {
    return strcmp(topic, VK_TOPIC_TARGET_EVENTS) == 0 ||
           strcmp(topic, VK_TOPIC_ACCESS_EVENTS) == 0 || strcmp(topic, VK_TOPIC_DEAD_LETTERS) == 0;
}

/* The topics clients write requests to (see the top of this file). */
static bool request_topic(const char *topic) {
    static const char *const requests[] = {
        VK_TOPIC_TICKET_REQUESTS, VK_TOPIC_REGISTRATION_REQUESTS, VK_TOPIC_SCREENING_REQUESTS,
        VK_TOPIC_VACCINATION_REQUESTS, VK_TOPIC_VERIFICATION_REQUESTS};
    for (size_t i = 0; i < sizeof requests / sizeof *requests; i++)
        if (strcmp(topic, requests[i]) == 0)
            return true;
    return false;
}

/* Cluster metadata, or NULL after @p timeout_ms (each try waits at most 1 s). */
static const rd_kafka_metadata_t *metadata(rd_kafka_t *rk, int timeout_ms) {
    int64_t deadline = vk_mono_ms() + timeout_ms;
    do {
        const rd_kafka_metadata_t *md;
        if (rd_kafka_metadata(rk, 1, NULL, &md, 1000) == RD_KAFKA_RESP_ERR_NO_ERROR) {
            if (md->broker_cnt > 0)
                return md;
            rd_kafka_metadata_destroy(md);
        }
        if (vk_stop)
            return NULL;
        usleep(100 * 1000);
    } while (vk_mono_ms() < deadline);
    return NULL;
}

static const rd_kafka_metadata_topic_t *find_topic(const rd_kafka_metadata_t *md,
                                                   const char *name) {
    for (int i = 0; i < md->topic_cnt; i++)
        if (strcmp(md->topics[i].topic, name) == 0)
            return &md->topics[i];
    return NULL;
}

/* Every contract topic exists and each of its partitions has a leader. */
static bool all_led(const rd_kafka_metadata_t *md) {
    for (const char *const *t = vk_all_topics; *t; t++) {
        const rd_kafka_metadata_topic_t *mt = find_topic(md, *t);
        if (!mt || mt->err || mt->partition_cnt == 0)
            return false;
        for (int p = 0; p < mt->partition_cnt; p++)
            if (mt->partitions[p].err || mt->partitions[p].leader < 0)
                return false;
    }
    return true;
}

static int create_topics(rd_kafka_t *rk, int partitions, int replication) {
    size_t n = 0;
    while (vk_all_topics[n])
        n++;
    rd_kafka_NewTopic_t **nt = calloc(n, sizeof *nt);
    if (!nt)
        return -1;
    char err[256];
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        nt[i] = rd_kafka_NewTopic_new(vk_all_topics[i], partitions, replication, err, sizeof err);
        if (!nt[i]) {
            fprintf(stderr, "vaksin-topics: %s: %s\n", vk_all_topics[i], err);
            rc = -1;
        } else if ((kept_forever(vk_all_topics[i]) &&
                    rd_kafka_NewTopic_set_config(nt[i], "retention.ms", "-1")) ||
                   (request_topic(vk_all_topics[i]) &&
                    rd_kafka_NewTopic_set_config(nt[i], "message.timestamp.type",
                                                 "LogAppendTime")) ||
                   (replication >= 3 &&
                    rd_kafka_NewTopic_set_config(nt[i], "min.insync.replicas", "2"))) {
            fprintf(stderr, "vaksin-topics: %s: cannot set the topic's configuration\n",
                    vk_all_topics[i]);
            rc = -1;
        }
    }
    rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
    rd_kafka_AdminOptions_t *opt = rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_CREATETOPICS);
    rd_kafka_AdminOptions_set_operation_timeout(opt, 30000, err, sizeof err);
    rd_kafka_AdminOptions_set_request_timeout(opt, 30000, err, sizeof err);
    if (rc == 0) {
        rd_kafka_CreateTopics(rk, nt, n, opt, q);
        rd_kafka_event_t *ev = rd_kafka_queue_poll(q, 60000);
        const rd_kafka_CreateTopics_result_t *res =
            ev ? rd_kafka_event_CreateTopics_result(ev) : NULL;
        if (!res) {
            fprintf(stderr, "vaksin-topics: CreateTopics: %s\n",
                    ev ? rd_kafka_event_error_string(ev) : "no answer within 60 s");
            rc = -1;
        } else if (rd_kafka_event_error(ev)) {
            fprintf(stderr, "vaksin-topics: CreateTopics: %s\n", rd_kafka_event_error_string(ev));
            rc = -1;
        } else {
            size_t cnt;
            const rd_kafka_topic_result_t **tr = rd_kafka_CreateTopics_result_topics(res, &cnt);
            for (size_t i = 0; i < cnt; i++) {
                rd_kafka_resp_err_t e = rd_kafka_topic_result_error(tr[i]);
                const char *name = rd_kafka_topic_result_name(tr[i]);
                if (e == RD_KAFKA_RESP_ERR_NO_ERROR)
                    printf("created %s\n", name);
                else if (e == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS)
                    printf("exists  %s\n", name);
                else {
                    fprintf(stderr, "vaksin-topics: %s: %s\n", name,
                            rd_kafka_topic_result_error_string(tr[i]));
                    rc = -1;
                }
            }
        }
        if (ev)
            rd_kafka_event_destroy(ev);
    }
    rd_kafka_AdminOptions_destroy(opt);
    rd_kafka_queue_destroy(q);
    for (size_t i = 0; i < n; i++)
        if (nt[i])
            rd_kafka_NewTopic_destroy(nt[i]);
    free(nt);
    return rc;
}

/* Prints each contract topic with its partition count; a missing one or one whose count is
 * not @p want (when > 0) is named. Returns the number of topics missing. */
static int list_topics(const rd_kafka_metadata_t *md, int want) {
    int missing = 0;
    for (const char *const *t = vk_all_topics; *t; t++) {
        const rd_kafka_metadata_topic_t *mt = find_topic(md, *t);
        if (!mt || mt->err) {
            printf("%-34s missing\n", *t);
            missing++;
        } else if (want > 0 && mt->partition_cnt != want) {
            printf("%-34s partitions=%d (not %d: left as it is)\n", *t, mt->partition_cnt, want);
        } else {
            printf("%-34s partitions=%d\n", *t, mt->partition_cnt);
        }
    }
    return missing;
}

int main(int argc, char **argv) {
    const char *wait = NULL;
    const vk_tool_opt opts[] = {{"--wait", &wait}};
    argc = vk_tool_take_options(argc, argv, opts, 1, program.name);
    if (argc < 0)
        return 2;
    bool create = vk_tool_take_flag(&argc, argv, "--create");
    vk_config *cfg = vk_config_new();
    int first, rc = vk_cli_parse(argc, argv, &program, cfg, &first);
    if (rc || first < argc) {
        if (rc == 0)
            fprintf(stderr, "vaksin-topics: unexpected argument %s\n", argv[first]);
        vk_config_destroy(cfg);
        return rc > 0 ? 0 : 2;
    }
    int wait_s = wait ? atoi(wait) : 10;
    int partitions = (int)vk_config_get_int(cfg, "topics.partitions", 16);
    int replication = (int)vk_config_get_int(cfg, "topics.replication.factor", -1);
    if (wait_s < 0 || partitions < 1 || replication == 0 || replication < -1) {
        fprintf(stderr, "vaksin-topics: --wait, topics.partitions or topics.replication.factor "
                        "out of range\n");
        vk_config_destroy(cfg);
        return 2;
    }
    vk_install_signals();
    /* A broker that is still starting refuses connections: retry every 100-500 ms instead of
     * librdkafka's default backoff, which grows to 10 s, and keep its "connection refused"
     * errors out of the output (what went wrong is said in the tool's own words). */
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    char err[256];
    rd_kafka_t *rk = NULL;
    if (rd_kafka_conf_set(conf, "reconnect.backoff.ms", "100", err, sizeof err) ||
        rd_kafka_conf_set(conf, "reconnect.backoff.max.ms", "500", err, sizeof err) ||
        rd_kafka_conf_set(conf, "log_level", "2", err, sizeof err) ||
        vk_kafka_conf_apply(cfg, conf, "producer", err, sizeof err) ||
        !(rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err))) {
        fprintf(stderr, "vaksin-topics: %s\n", err);
        rd_kafka_conf_destroy(conf);
        vk_config_destroy(cfg);
        return 1;
    }
    rc = 0;
    const rd_kafka_metadata_t *md = metadata(rk, wait_s * 1000);
    if (!md) {
        fprintf(stderr, "vaksin-topics: no broker answered within %d s\n", wait_s);
        rc = 1;
    } else if (wait) {
        printf("brokers=%d\n", md->broker_cnt);
    }
    if (rc == 0 && create) {
        rd_kafka_metadata_destroy(md);
        md = NULL;
        if (create_topics(rk, partitions, replication))
            rc = 1;
        /* CreateTopics answers before the new partitions have leaders: wait for them. */
        for (int64_t end = vk_mono_ms() + 30000; rc == 0;) {
            md = metadata(rk, 5000);
            if (md && all_led(md))
                break;
            if (!md || vk_mono_ms() > end) {
                fprintf(stderr, "vaksin-topics: partitions without a leader after 30 s\n");
                rc = 1;
                break;
            }
            rd_kafka_metadata_destroy(md);
            md = NULL;
            usleep(100 * 1000);
        }
    }
    if (rc == 0 && (create || !wait) && list_topics(md, create ? partitions : 0) > 0)
        rc = 1;
    if (md)
        rd_kafka_metadata_destroy(md);
    rd_kafka_destroy(rk);
    vk_config_destroy(cfg);
    return rc;
}
