/*
 * vk_kafka.c — Kafka clients from the configuration, producing, the outputs buffer (see
 * vk_kafka.h).
 */
#include "vk_kafka.h"

#include "vk_log.h"
#include "vk_time.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- Clients ---- */

/* vaksin-* --version names the librdkafka the program runs with. */
__attribute__((constructor)) static void note_librdkafka(void) {
    static char note[64];
    snprintf(note, sizeof note, "librdkafka %s", rd_kafka_version_str());
    vk_cli_version_note(note);
}

int vk_kafka_conf_apply(const vk_config *cfg, rd_kafka_conf_t *conf, const char *side, char *err,
                        size_t errlen) {
    size_t side_len = side ? strlen(side) : 0;
    /* Two passes: general kafka.* first, then the side-specific ones override them. */
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < vk_config_count(cfg); i++) {
            const char *k, *value;
            vk_config_item(cfg, i, &k, &value);
            if (strncmp(k, "kafka.", 6) != 0)
                continue;
            const char *prop = k + 6;
            bool consumer = strncmp(prop, "consumer.", 9) == 0;
            bool producer = strncmp(prop, "producer.", 9) == 0;
            if (pass == 0 && (consumer || producer))
                continue;
            if (pass == 1) {
                if (!side || !(consumer || producer) || strncmp(prop, side, side_len) != 0 ||
                    prop[side_len] != '.')
                    continue;
                prop += side_len + 1;
            }
            char kerr[512];
            if (rd_kafka_conf_set(conf, prop, value, kerr, sizeof kerr) != RD_KAFKA_CONF_OK) {
                snprintf(err, errlen, "librdkafka refused %s: %s", k, kerr);
                return -1;
            }
        }
    }
    return 0;
}

static void log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *buf) {
    vk_log_level lv = level <= 3   ? VK_LOG_ERROR
                      : level <= 4 ? VK_LOG_WARN
                      : level <= 6 ? VK_LOG_INFO
                                   : VK_LOG_DEBUG;
    vk_log(lv, "msg=librdkafka client=%s fac=%s text=\"%s\"", rd_kafka_name(rk), fac, buf);
}

static int conf_set(rd_kafka_conf_t *conf, const char *k, const char *v) {
    char err[256];
    if (rd_kafka_conf_set(conf, k, v, err, sizeof err) != RD_KAFKA_CONF_OK) {
        vk_error("msg=\"bad librdkafka property\" property=%s value=%s error=\"%s\"", k, v, err);
        return -1;
    }
    return 0;
}

rd_kafka_t *vk_consumer_new(const vk_config *cfg, const char *group_id, rd_kafka_conf_t *conf) {
    char err[512];
    if (!conf)
        conf = rd_kafka_conf_new();
    rd_kafka_conf_set_log_cb(conf, log_cb);
    /* Incremental rebalancing unless the caller chose an assignor (librdkafka's default names
     * two): a group reading several topics of unequal load may need each topic split evenly. */
    char assignor[64];
    size_t assignor_len = sizeof assignor;
    bool chosen = rd_kafka_conf_get(conf, "partition.assignment.strategy", assignor,
                                    &assignor_len) == RD_KAFKA_CONF_OK &&
                  strcmp(assignor, "range,roundrobin") != 0;
    if (conf_set(conf, "group.id", group_id) || conf_set(conf, "enable.auto.commit", "false") ||
        conf_set(conf, "enable.auto.offset.store", "false") ||
        conf_set(conf, "auto.offset.reset", "earliest") ||
        conf_set(conf, "isolation.level", "read_committed") ||
        (!chosen && conf_set(conf, "partition.assignment.strategy", "cooperative-sticky")) ||
        /* A desk waits for its row: do not let a fetch idle for librdkafka's default 500 ms
         * (the development broker holds every fetch that long; real brokers answer as soon as
         * data arrives, where this only adds empty fetches when idle). */
        conf_set(conf, "fetch.wait.max.ms", "50") ||
        /* Memory (docs/design.md §9: ≤ 64 MB a service): librdkafka prefetches up to 64 MB by
         * default, most of a service's resident set (the projector peaked at 130 MB in bench/run),
         * and buys nothing once the queue holds a few batches of a few hundred bytes a message. 4
         * MB also caps fetch.max.bytes. Measured (300,000 rows): same import rate. Lowering
         * queued.min.messages instead halved the rate: leave it. */
        conf_set(conf, "queued.max.messages.kbytes", "4096") ||
        /* A message held by the program keeps the whole fetched batch it came in alive, and the
         * projector holds a batch.max of messages from every partition: with librdkafka's 1 MB
         * per partition its peak RSS passed 64 MB in bench/run. 256 KB: projector 60.6 -> 43.7 MB,
         * vaksin-ticket 56.5 -> 45.7 MB at the same import rate (300,000 rows). A larger message
         * is still fetched: librdkafka grows the size for it. */
        conf_set(conf, "fetch.message.max.bytes", "262144")) {
        rd_kafka_conf_destroy(conf);
        return NULL;
    }
    if (vk_kafka_conf_apply(cfg, conf, "consumer", err, sizeof err)) {
        vk_error("msg=\"kafka configuration refused\" error=\"%s\"", err);
        rd_kafka_conf_destroy(conf);
        return NULL;
    }
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
    if (!rk) {
        vk_error("msg=\"cannot create consumer\" error=\"%s\"", err);
        rd_kafka_conf_destroy(conf);
        return NULL;
    }
    rd_kafka_poll_set_consumer(rk);
    return rk;
}

rd_kafka_t *vk_producer_new(const vk_config *cfg, const char *transactional_id,
                            rd_kafka_conf_t *conf) {
    char err[512];
    if (!conf)
        conf = rd_kafka_conf_new();
    rd_kafka_conf_set_log_cb(conf, log_cb);
    if (conf_set(conf, "enable.idempotence", "true") ||
        conf_set(conf, "partitioner", "murmur2_random") ||
        conf_set(conf, "compression.type", "lz4") || conf_set(conf, "linger.ms", "5") ||
        /* Memory: librdkafka would queue up to 1 GB before refusing more; 16 MB is many full
         * batches in flight, and a full queue only makes vk_produce serve delivery reports and
         * retry. (No change measured in bench/run; it bounds the worst case.) */
        conf_set(conf, "queue.buffering.max.kbytes", "16384") ||
        (transactional_id && conf_set(conf, "transactional.id", transactional_id))) {
        rd_kafka_conf_destroy(conf);
        return NULL;
    }
    if (vk_kafka_conf_apply(cfg, conf, "producer", err, sizeof err)) {
        vk_error("msg=\"kafka configuration refused\" error=\"%s\"", err);
        rd_kafka_conf_destroy(conf);
        return NULL;
    }
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
    if (!rk) {
        vk_error("msg=\"cannot create producer\" error=\"%s\"", err);
        rd_kafka_conf_destroy(conf);
        return NULL;
    }
    return rk;
}

rd_kafka_resp_err_t vk_produce(rd_kafka_t *producer, const char *topic, const void *key,
                               size_t key_len, const void *value, size_t value_len) {
    for (;;) {
        rd_kafka_resp_err_t err = rd_kafka_producev(
            producer, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_KEY((void *)key, key_len),
            RD_KAFKA_V_VALUE((void *)value, value_len), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
            RD_KAFKA_V_END);
        if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
            if (err)
                vk_error("msg=\"produce failed\" topic=%s error=\"%s\"", topic,
                         rd_kafka_err2str(err));
            return err;
        }
        rd_kafka_poll(producer, 50); /* serve delivery reports to make room */
    }
}

/* ---- Outputs ---- */

vk_output *vk_outputs_add(vk_outputs *outs, const char *topic) {
    if (outs->n == outs->cap) {
        size_t cap = outs->cap ? outs->cap * 2 : 4;
        vk_output *p = realloc(outs->items, cap * sizeof *p);
        if (!p)
            return NULL;
        memset(p + outs->cap, 0, (cap - outs->cap) * sizeof *p);
        outs->items = p;
        outs->cap = cap;
    }
    vk_output *o = &outs->items[outs->n++];
    o->topic = topic;
    vk_buf_reset(&o->key);
    vk_buf_reset(&o->value);
    return o;
}

void vk_outputs_reset(vk_outputs *outs) {
    outs->n = 0;
    outs->defer_until = 0;
}

void vk_outputs_free(vk_outputs *outs) {
    for (size_t i = 0; i < outs->cap; i++) {
        vk_buf_free(&outs->items[i].key);
        vk_buf_free(&outs->items[i].value);
    }
    free(outs->items);
    memset(outs, 0, sizeof *outs);
}

int vk_service_ops_start(vk_service_ops *o, const vk_config *cfg) {
    memset(o, 0, sizeof *o);
    o->ready_lag_max = vk_config_get_int(cfg, "ready.lag.max", 1000);
    if (!(o->reg = vk_metrics_new()) ||
        !(o->lag = vk_metrics_add(o->reg, VK_GAUGE, "vaksin_consumer_lag_messages",
                                  "Input messages not yet consumed, per assigned partition.",
                                  "topic,partition", NULL, 0)) ||
        !(o->assigned =
              vk_metrics_add(o->reg, VK_GAUGE, "vaksin_assigned_partitions",
                             "Input partitions assigned to this instance.", NULL, NULL, 0)) ||
        !(o->ready = vk_metrics_add(o->reg, VK_GAUGE, "vaksin_ready", "1 when /readyz says ready.",
                                    NULL, NULL, 0)) ||
        !(o->registry_requests = vk_metrics_add(
              o->reg, VK_COUNTER, "vaksin_schema_registry_requests_total",
              "Requests to the schema registry by outcome (registered, fetched, not_found, "
              "refused, unavailable); none without a registry.",
              "outcome", NULL, 0))) {
        vk_error("msg=\"cannot make the metrics\" error=\"out of memory\"");
        return -1;
    }
    char err[256];
    const char *listen = vk_config_get(cfg, "metrics.listen", "off");
    o->http = vk_httpd_start(listen, o->reg, err, sizeof err);
    if (!o->http && err[0]) {
        vk_error("msg=\"cannot serve metrics\" error=\"%s\"", err);
        return -1;
    }
    if (o->http)
        vk_info("msg=\"serving /metrics, /healthz, /readyz\" listen=%s port=%d", listen,
                vk_httpd_port(o->http));
    return 0;
}

void vk_service_ops_stop(vk_service_ops *o) {
    vk_httpd_stop(o->http);
    vk_metrics_destroy(o->reg);
    memset(o, 0, sizeof *o);
}

/* The lag gauge per assigned partition; the sum. */
static int64_t lag_gauge(rd_kafka_t *consumer, vk_metric *lag, int *assigned) {
    int64_t total = 0;
    *assigned = 0;
    vk_metric_clear(lag);
    rd_kafka_topic_partition_list_t *parts = NULL;
    if (!consumer || rd_kafka_assignment(consumer, &parts)) /* none yet: still starting */
        return 0;
    *assigned = parts->cnt;
    rd_kafka_position(consumer, parts);
    for (int i = 0; i < parts->cnt; i++) {
        int64_t lo, hi, at = parts->elems[i].offset;
        if (rd_kafka_get_watermark_offsets(consumer, parts->elems[i].topic,
                                           parts->elems[i].partition, &lo, &hi))
            continue;
        int64_t behind = at >= 0 ? hi - at : hi - lo; /* no position yet: all of it */
        if (behind < 0)
            behind = 0;
        char key[300];
        snprintf(key, sizeof key, "%s,%" PRId32, parts->elems[i].topic, parts->elems[i].partition);
        vk_metric_set(lag, key, (double)behind);
        total += behind;
    }
    rd_kafka_topic_partition_list_destroy(parts);
    return total;
}

void vk_service_ops_update(vk_service_ops *o, rd_kafka_t *consumer, const char *not_ready) {
    int assigned;
    int64_t lag = o->lag_sum = lag_gauge(consumer, o->lag, &assigned);
    vk_metric_set(o->assigned, NULL, assigned);
    char why[160] = "";
    if (not_ready)
        snprintf(why, sizeof why, "%s", not_ready);
    else if (assigned == 0)
        snprintf(why, sizeof why, "no input partition assigned");
    else if (lag > o->ready_lag_max)
        snprintf(why, sizeof why,
                 "catching up: %" PRId64 " messages behind (ready.lag.max %" PRId64 ")", lag,
                 o->ready_lag_max);
    vk_metric_set(o->ready, NULL, why[0] ? 0 : 1);
    if (o->registry) {
        const vk_registry_stats *st = vk_registry_get_stats(o->registry);
        vk_metric_set(o->registry_requests, "registered", (double)st->registered);
        vk_metric_set(o->registry_requests, "fetched", (double)st->fetched);
        vk_metric_set(o->registry_requests, "not_found", (double)st->not_found);
        vk_metric_set(o->registry_requests, "refused", (double)st->refused);
        vk_metric_set(o->registry_requests, "unavailable", (double)st->unavailable);
    }
    vk_httpd_ready(o->http, !why[0], why);
    vk_httpd_beat(o->http);
    o->next = vk_mono_ms() + 1000;
}
