/*
 * vaksin-dump — decodes topics to JSON lines: every message from the start of each partition
 * (or --from OFFSET) to the end it had when the dump began, then exits.
 *
 * One line per message: {"topic","partition","offset","timestamp","key","value"} where value is
 * the decoded record as natural JSON, or {"topic",…,"error","raw_base64"} when it cannot be
 * decoded. The audit tools of design §6 (time ranges, NIK filters, trails) build on this.
 */
#include "vk_codec.h"
#include "vk_config.h"
#include "vk_kafka.h"
#include "vk_log.h"
#include "vk_tool.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const vk_config_doc keys[] = {
    {"kafka.bootstrap.servers", NULL, "Kafka bootstrap servers (or VAKSIN_BOOTSTRAP)"},
    {NULL, NULL, NULL},
};

static const vk_program program = {"vaksin-dump", "decode topics to JSON lines",
                                   "--topic TOPIC[,TOPIC...] [--from OFFSET]", keys};

typedef struct dumper {
    vk_codec *codec;
    rd_kafka_t *rk;
    int64_t from;
    uint64_t lines;
} dumper;

static json_t *b64(const void *p, size_t len) {
    static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const uint8_t *u = p;
    char *out = malloc(4 * ((len + 2) / 3) + 1);
    size_t o = 0;
    for (size_t i = 0; i < len; i += 3) {
        uint32_t v = (uint32_t)u[i] << 16 | (i + 1 < len ? (uint32_t)u[i + 1] << 8 : 0) |
                     (i + 2 < len ? u[i + 2] : 0);
        out[o++] = tbl[v >> 18 & 63];
        out[o++] = tbl[v >> 12 & 63];
        out[o++] = i + 1 < len ? tbl[v >> 6 & 63] : '=';
        out[o++] = i + 2 < len ? tbl[v & 63] : '=';
    }
    out[o] = '\0';
    json_t *j = json_string(out);
    free(out);
    return j;
}

static void print_message(dumper *d, vk_decoder *dec, avro_schema_t schema,
                          const rd_kafka_message_t *m) {
    json_t *line = json_object();
    json_object_set_new(line, "topic", json_string(rd_kafka_topic_name(m->rkt)));
    json_object_set_new(line, "partition", json_integer(m->partition));
    json_object_set_new(line, "offset", json_integer(m->offset));
    json_object_set_new(line, "timestamp", json_integer(rd_kafka_message_timestamp(m, NULL)));
    json_object_set_new(line, "key", m->key ? json_stringn(m->key, m->key_len) : json_null());
    avro_value_t *v;
    char err[512];
    json_t *value = NULL;
    if (dec && vk_decoder_decode(dec, m->payload, m->len, &v, err, sizeof err) == 0)
        value = vk_avro_to_json(v, schema);
    else if (!dec)
        snprintf(err, sizeof err, "no schema for this topic");
    if (value) {
        json_object_set_new(line, "value", value);
    } else {
        json_object_set_new(line, "error", json_string(err));
        json_object_set_new(line, "raw_base64", b64(m->payload, m->len));
    }
    char *s = json_dumps(line, JSON_COMPACT);
    puts(s);
    free(s);
    json_decref(line);
    d->lines++;
}

static int dump_topic(dumper *d, const char *topic) {
    const char *schema_name = vk_topic_schema(topic);
    char err[512];
    vk_decoder *dec = schema_name ? vk_decoder_new(d->codec, schema_name, err, sizeof err) : NULL;
    avro_schema_t schema = schema_name ? vk_codec_schema(d->codec, schema_name) : NULL;
    const rd_kafka_metadata_t *md;
    rd_kafka_topic_t *t = rd_kafka_topic_new(d->rk, topic, NULL);
    int rc = -1;
    if (rd_kafka_metadata(d->rk, 0, t, &md, 10000) || md->topic_cnt != 1 || md->topics[0].err) {
        vk_error("msg=\"no such topic\" topic=%s", topic);
        goto out;
    }
    int n = md->topics[0].partition_cnt;
    rd_kafka_metadata_destroy(md);
    rd_kafka_topic_partition_list_t *parts = rd_kafka_topic_partition_list_new(n);
    int64_t *end = calloc((size_t)n, sizeof *end);
    int open = 0;
    for (int i = 0; i < n; i++) {
        int64_t lo, hi;
        if (rd_kafka_query_watermark_offsets(d->rk, topic, i, &lo, &hi, 10000))
            continue;
        int64_t start = d->from > lo ? d->from : lo;
        end[i] = hi;
        if (start < hi) {
            rd_kafka_topic_partition_list_add(parts, topic, i)->offset = start;
            open++;
        }
    }
    rd_kafka_assign(d->rk, parts);
    while (open > 0 && !vk_stop) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(d->rk, 1000);
        if (!m)
            continue;
        if (m->err) {
            vk_warn("msg=\"consumer error\" error=\"%s\"", rd_kafka_message_errstr(m));
        } else if (m->offset < end[m->partition]) {
            print_message(d, dec, schema, m);
            if (m->offset + 1 >= end[m->partition])
                open--;
        }
        rd_kafka_message_destroy(m);
    }
    rd_kafka_assign(d->rk, NULL);
    rd_kafka_topic_partition_list_destroy(parts);
    free(end);
    rc = 0;
out:
    rd_kafka_topic_destroy(t);
    if (dec)
        vk_decoder_destroy(dec);
    return rc;
}

int main(int argc, char **argv) {
    const char *topic_list = NULL, *from = NULL;
    const vk_tool_opt opts[] = {{"--topic", &topic_list}, {"--from", &from}};
    argc = vk_tool_take_options(argc, argv, opts, 2, program.name);
    if (argc < 0)
        return 2;
    vk_config *cfg = vk_config_new();
    int first, rc = vk_cli_parse(argc, argv, &program, cfg, &first);
    if (rc || first < argc) {
        if (rc == 0)
            fprintf(stderr, "vaksin-dump: unexpected argument %s (see --help)\n", argv[first]);
        vk_config_destroy(cfg);
        return rc > 0 ? 0 : 2;
    }
    vk_install_signals();
    /* --topic takes a comma-separated list. */
    char list[1024];
    const char *topics[32];
    int nt = 0;
    snprintf(list, sizeof list, "%s", topic_list ? topic_list : "");
    for (char *save = NULL, *t = strtok_r(list, ",", &save); t && nt < 32;
         t = strtok_r(NULL, ",", &save))
        topics[nt++] = t;
    dumper d = {.from = from ? strtoll(from, NULL, 10) : 0};
    if (nt == 0) {
        fprintf(stderr, "vaksin-dump: give at least one --topic\n");
        return 2;
    }
    char err[512];
    d.codec = vk_codec_new(err, sizeof err);
    if (!d.codec) {
        vk_error("msg=\"cannot load schemas\" error=\"%s\"", err);
        return 1;
    }
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "enable.auto.commit", "false", err, sizeof err);
    d.rk = vk_consumer_new(cfg, "vaksin-dump", conf);
    rc = d.rk ? 0 : 1;
    for (int i = 0; i < nt && rc == 0; i++)
        rc = dump_topic(&d, topics[i]) ? 1 : 0;
    if (d.rk) {
        rd_kafka_consumer_close(d.rk);
        rd_kafka_destroy(d.rk);
    }
    vk_codec_destroy(d.codec);
    vk_config_destroy(cfg);
    fprintf(stderr, "vaksin-dump: %" PRIu64 " messages\n", d.lines);
    return rc;
}
