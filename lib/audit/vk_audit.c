/*
 * vk_audit.c — positions, the range scanner and message decoding for the audit tools
 * (see vk_audit.h for what each guarantees).
 *
 * The scanner keeps one range per partition: [start, end) resolved when the range is added, the
 * time window (if any) and whether it is done. It assigns every open range at its start,
 * pauses a partition as soon as its range is done (messages fetched beyond an end are dropped,
 * never handed on), and returns when all are done. It never commits, so nothing it does shows
 * in any consumer group.
 */
#include "vk_audit.h"
#include "vk_config.h"
#include "vk_kafka.h"
#include "vk_log.h"
#include "vk_signals.h"
#include "vk_time.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- Positions ---------------------------------------------------------------------------- */

int vk_pos_parse(const char *text, vk_pos *out, char *err, size_t errlen) {
    if (!text || !*text) {
        snprintf(err, errlen, "empty position");
        return -1;
    }
    if (strcmp(text, "beginning") == 0) {
        *out = (vk_pos){VK_POS_BEGINNING, 0};
        return 0;
    }
    if (strcmp(text, "end") == 0) {
        *out = (vk_pos){VK_POS_END, 0};
        return 0;
    }
    if (strspn(text, "0123456789") == strlen(text)) {
        if (strlen(text) > 18) {
            snprintf(err, errlen, "offset %s is too large", text);
            return -1;
        }
        *out = (vk_pos){VK_POS_OFFSET, strtoll(text, NULL, 10)};
        return 0;
    }
    int64_t ms;
    if (vk_time_parse(text, &ms, err, errlen))
        return -1;
    *out = (vk_pos){VK_POS_TIME, ms};
    return 0;
}

/* ---- Scanning ----------------------------------------------------------------------------- */

typedef struct scan_range {
    char *topic;
    int32_t partition;
    int64_t start, end;   /* offsets, end exclusive */
    int64_t t_from, t_to; /* time window [t_from, t_to) in ms; INT64_MIN/MAX when open */
    bool done;
} scan_range;

struct vk_scan {
    rd_kafka_t *rk;
    char *label;
    scan_range *r;
    size_t n, cap;
    bool progress;
    bool told_no_times; /* the broker does not answer offsetsForTimes: said once */
    uint64_t count;
};

vk_scan *vk_scan_new(rd_kafka_t *consumer, const char *label) {
    vk_scan *s = calloc(1, sizeof *s);
    s->rk = consumer;
    s->label = strdup(label);
    s->progress = true;
    return s;
}

static void clear_ranges(vk_scan *s) {
    for (size_t i = 0; i < s->n; i++)
        free(s->r[i].topic);
    s->n = 0;
}

void vk_scan_destroy(vk_scan *s) {
    if (!s)
        return;
    clear_ranges(s);
    free(s->r);
    free(s->label);
    free(s);
}

void vk_scan_set_progress(vk_scan *s, bool on) {
    s->progress = on;
}

uint64_t vk_scan_count(const vk_scan *s) {
    return s->count;
}

rd_kafka_t *vk_scan_consumer_new(const vk_config *cfg, const char *label) {
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    char err[256];
    if (rd_kafka_conf_set(conf, "enable.partition.eof", "true", err, sizeof err)) {
        rd_kafka_conf_destroy(conf);
        return NULL;
    }
    /* EOF events end a range whose last offsets are transaction markers (a real broker writes
     * them; vk_consumer_new leaves librdkafka's default, off, to the services). */
    return vk_consumer_new(cfg, label, conf);
}

int32_t vk_topic_partitions(rd_kafka_t *rk, const char *topic) {
    rd_kafka_topic_t *t = rd_kafka_topic_new(rk, topic, NULL);
    const rd_kafka_metadata_t *md = NULL;
    int32_t n = -1;
    rd_kafka_resp_err_t err = rd_kafka_metadata(rk, 0, t, &md, 10000);
    if (err)
        vk_error("msg=\"no metadata\" topic=%s error=\"%s\"", topic, rd_kafka_err2str(err));
    else if (md->topic_cnt != 1 || md->topics[0].err)
        vk_error("msg=\"no such topic\" topic=%s", topic);
    else
        n = md->topics[0].partition_cnt;
    if (md)
        rd_kafka_metadata_destroy(md);
    rd_kafka_topic_destroy(t);
    return n;
}

int32_t vk_key_partition(const void *key, size_t len, int32_t partitions) {
    return rd_kafka_msg_partitioner_murmur2_random(NULL, key, len, partitions, NULL, NULL);
}

static scan_range *range_push(vk_scan *s, const char *topic, int32_t partition, int64_t start,
                              int64_t end) {
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 16;
        s->r = realloc(s->r, s->cap * sizeof *s->r);
    }
    scan_range *r = &s->r[s->n++];
    *r = (scan_range){.topic = strdup(topic),
                      .partition = partition,
                      .start = start,
                      .end = end < start ? start : end,
                      .t_from = INT64_MIN,
                      .t_to = INT64_MAX};
    return r;
}

int vk_scan_add_offsets(vk_scan *s, const char *topic, int32_t partition, int64_t start,
                        int64_t end) {
    range_push(s, topic, partition, start, end);
    return 0;
}

int vk_scan_add_offsets_since(vk_scan *s, const char *topic, int32_t partition, int64_t start,
                              int64_t end, int64_t min_time) {
    range_push(s, topic, partition, start, end)->t_from = min_time;
    return 0;
}

/* offsetsForTimes for every partition of @p parts (offset = the time in, the offset out;
 * -1 when no message is that new). */
static int offsets_for_times(vk_scan *s, rd_kafka_topic_partition_list_t *parts, char *err,
                             size_t errlen) {
    rd_kafka_resp_err_t e = rd_kafka_offsets_for_times(s->rk, parts, 10000);
    if (e) {
        snprintf(err, errlen, "offsetsForTimes failed: %s", rd_kafka_err2str(e));
        return -1;
    }
    for (int i = 0; i < parts->cnt; i++)
        if (parts->elems[i].err) {
            snprintf(err, errlen, "offsetsForTimes failed for %s[%" PRId32 "]: %s",
                     parts->elems[i].topic, parts->elems[i].partition,
                     rd_kafka_err2str(parts->elems[i].err));
            return -1;
        }
    return 0;
}

/* Resolves a time to an offset per partition; *trusted is false when the broker answered "no
 * offset" even for time 0 on a partition holding messages (librdkafka's mock cluster). */
static int resolve_time(vk_scan *s, const char *topic, const int32_t *ids, const int64_t *lo,
                        const int64_t *hi, int n, int64_t when, int64_t *out, bool *trusted,
                        char *err, size_t errlen) {
    rd_kafka_topic_partition_list_t *q = rd_kafka_topic_partition_list_new(n);
    rd_kafka_topic_partition_list_t *probe = rd_kafka_topic_partition_list_new(n);
    for (int i = 0; i < n; i++) {
        rd_kafka_topic_partition_list_add(q, topic, ids[i])->offset = when;
        rd_kafka_topic_partition_list_add(probe, topic, ids[i])->offset = 0;
    }
    int rc = offsets_for_times(s, q, err, errlen) || offsets_for_times(s, probe, err, errlen);
    *trusted = true;
    for (int i = 0; rc == 0 && i < n; i++) {
        if (probe->elems[i].offset < 0 && hi[i] > lo[i])
            *trusted = false;
        int64_t o = q->elems[i].offset;
        out[i] = o < 0 ? hi[i] : o < lo[i] ? lo[i] : o;
    }
    rd_kafka_topic_partition_list_destroy(q);
    rd_kafka_topic_partition_list_destroy(probe);
    return rc;
}

/* Resolves @p pos in partitions ids[0..n) holding [lo, hi); *inexact when the broker ignored a
 * time lookup (the offsets are then the beginning, or the end for an end position). */
static int resolve(vk_scan *s, const char *topic, const int32_t *ids, const int64_t *lo,
                   const int64_t *hi, int n, vk_pos pos, bool is_end, int64_t *out, bool *inexact,
                   char *err, size_t errlen) {
    *inexact = false;
    for (int i = 0; i < n; i++) {
        switch (pos.kind) {
        case VK_POS_BEGINNING:
            out[i] = lo[i];
            break;
        case VK_POS_END:
            out[i] = hi[i];
            break;
        case VK_POS_OFFSET:
            out[i] = pos.value < lo[i] ? lo[i] : pos.value > hi[i] ? hi[i] : pos.value;
            break;
        case VK_POS_TIME:
            break;
        }
    }
    if (pos.kind != VK_POS_TIME)
        return 0;
    bool trusted;
    if (resolve_time(s, topic, ids, lo, hi, n, pos.value, out, &trusted, err, errlen))
        return -1;
    if (!trusted) {
        for (int i = 0; i < n; i++)
            out[i] = is_end ? hi[i] : lo[i];
        *inexact = true;
        if (!s->told_no_times)
            fprintf(stderr,
                    "%s: the broker does not answer offsetsForTimes (the development broker "
                    "never does); reading from the beginning and keeping the window by each "
                    "message's timestamp\n",
                    s->label);
        s->told_no_times = true;
    }
    return 0;
}

/* The watermarks of partitions ids[0..n) of @p topic. */
static int watermarks(vk_scan *s, const char *topic, const int32_t *ids, int n, int64_t *lo,
                      int64_t *hi, char *err, size_t errlen) {
    for (int i = 0; i < n; i++) {
        rd_kafka_resp_err_t e =
            rd_kafka_query_watermark_offsets(s->rk, topic, ids[i], &lo[i], &hi[i], 10000);
        if (e) {
            snprintf(err, errlen, "cannot read the offsets of %s[%" PRId32 "]: %s", topic, ids[i],
                     rd_kafka_err2str(e));
            return -1;
        }
    }
    return 0;
}

int vk_scan_resolve(vk_scan *s, const char *topic, vk_pos pos, int64_t *offsets, int32_t n,
                    bool *inexact, char *err, size_t errlen) {
    int32_t *ids = calloc((size_t)n, sizeof *ids);
    int64_t *lo = calloc((size_t)n, sizeof *lo), *hi = calloc((size_t)n, sizeof *hi);
    for (int32_t i = 0; i < n; i++)
        ids[i] = i;
    int rc = watermarks(s, topic, ids, n, lo, hi, err, errlen) ||
                     resolve(s, topic, ids, lo, hi, n, pos, false, offsets, inexact, err, errlen)
                 ? -1
                 : 0;
    free(ids);
    free(lo);
    free(hi);
    return rc;
}

int vk_scan_add(vk_scan *s, const char *topic, int32_t partition, vk_pos from, vk_pos to, char *err,
                size_t errlen) {
    int32_t count = vk_topic_partitions(s->rk, topic);
    if (count < 0) {
        snprintf(err, errlen, "no such topic: %s", topic);
        return -1;
    }
    if (partition >= count) {
        snprintf(err, errlen, "%s has %" PRId32 " partitions: no partition %" PRId32, topic, count,
                 partition);
        return -1;
    }
    int n = partition < 0 ? count : 1;
    int32_t *ids = calloc((size_t)n, sizeof *ids);
    int64_t *lo = calloc((size_t)n, sizeof *lo), *hi = calloc((size_t)n, sizeof *hi);
    int64_t *start = calloc((size_t)n, sizeof *start), *end = calloc((size_t)n, sizeof *end);
    for (int i = 0; i < n; i++)
        ids[i] = partition < 0 ? i : partition;
    bool inexact;
    int rc = watermarks(s, topic, ids, n, lo, hi, err, errlen) ||
                     resolve(s, topic, ids, lo, hi, n, from, false, start, &inexact, err, errlen) ||
                     resolve(s, topic, ids, lo, hi, n, to, true, end, &inexact, err, errlen)
                 ? -1
                 : 0;
    for (int i = 0; i < n && rc == 0; i++) {
        scan_range *r = range_push(s, topic, ids[i], start[i], end[i]);
        /* Every message of a time range is checked against the window: exact even where the
         * broker's offsetsForTimes is approximate or missing. */
        r->t_from = from.kind == VK_POS_TIME ? from.value : INT64_MIN;
        r->t_to = to.kind == VK_POS_TIME ? to.value : INT64_MAX;
    }
    free(ids);
    free(lo);
    free(hi);
    free(start);
    free(end);
    return rc;
}

static scan_range *find_range(vk_scan *s, const char *topic, int32_t partition) {
    for (size_t i = 0; i < s->n; i++)
        if (s->r[i].partition == partition && strcmp(s->r[i].topic, topic) == 0)
            return &s->r[i];
    return NULL;
}

static void finish(vk_scan *s, scan_range *r, size_t *open) {
    if (r->done)
        return;
    r->done = true;
    (*open)--;
    rd_kafka_topic_partition_list_t *p = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(p, r->topic, r->partition);
    rd_kafka_pause_partitions(s->rk, p);
    rd_kafka_topic_partition_list_destroy(p);
}

static void progress(vk_scan *s, uint64_t read, uint64_t total, int64_t t0, int64_t *next) {
    int64_t now = vk_mono_ms();
    if (!s->progress || now < *next)
        return;
    *next = now + 2000;
    double secs = (double)(now - t0) / 1000.0;
    fprintf(stderr, "%s: %" PRIu64 " of at most %" PRIu64 " messages (%.0f%%), %.0f/s\n", s->label,
            read, total, total ? 100.0 * (double)read / (double)total : 100.0,
            secs > 0 ? (double)read / secs : 0.0);
}

int vk_scan_run(vk_scan *s, vk_scan_fn fn, void *opaque, char *err, size_t errlen) {
    rd_kafka_topic_partition_list_t *parts = rd_kafka_topic_partition_list_new((int)s->n + 1);
    size_t open = 0;
    uint64_t total = 0, read = 0;
    for (size_t i = 0; i < s->n; i++) {
        scan_range *r = &s->r[i];
        r->done = r->start >= r->end;
        if (r->done)
            continue;
        rd_kafka_topic_partition_list_add(parts, r->topic, r->partition)->offset = r->start;
        open++;
        total += (uint64_t)(r->end - r->start);
    }
    int rc = 0;
    rd_kafka_resp_err_t e = open ? rd_kafka_assign(s->rk, parts) : RD_KAFKA_RESP_ERR_NO_ERROR;
    /* A partition paused when an earlier run's range ended stays paused across assignments. */
    if (!e && open)
        e = rd_kafka_resume_partitions(s->rk, parts);
    if (e) {
        snprintf(err, errlen, "cannot assign partitions: %s", rd_kafka_err2str(e));
        rc = -1;
    }
    int64_t t0 = vk_mono_ms(), next = t0 + 2000;
    while (rc == 0 && open > 0) {
        if (vk_stop) {
            snprintf(err, errlen, "stopped");
            rc = -1;
            break;
        }
        rd_kafka_message_t *m = rd_kafka_consumer_poll(s->rk, 200);
        progress(s, read, total, t0, &next);
        if (!m)
            continue;
        scan_range *r = m->rkt ? find_range(s, rd_kafka_topic_name(m->rkt), m->partition) : NULL;
        if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
            /* Under read_committed the end is the last stable offset: what lies beyond is
             * an open or aborted transaction, not part of the range. */
            if (r)
                finish(s, r, &open);
        } else if (m->err) {
            bool fatal = m->err == RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC ||
                         m->err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART ||
                         m->err == RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION ||
                         m->err == RD_KAFKA_RESP_ERR_OFFSET_OUT_OF_RANGE ||
                         m->err == RD_KAFKA_RESP_ERR__FATAL;
            if (fatal) {
                snprintf(err, errlen, "%s", rd_kafka_message_errstr(m));
                rc = -1;
            } else {
                vk_warn("msg=\"consumer error\" error=\"%s\"", rd_kafka_message_errstr(m));
            }
        } else if (r && !r->done && m->offset >= r->start && m->offset < r->end) {
            read++;
            bool last = m->offset + 1 >= r->end;
            int64_t ts = rd_kafka_message_timestamp(m, NULL);
            if (ts >= r->t_from && ts < r->t_to) {
                s->count++;
                if (fn(opaque, m)) {
                    snprintf(err, errlen, "stopped by the caller");
                    rc = -1;
                }
                m = NULL;
            }
            if (last)
                finish(s, r, &open);
        } else if (r && m->offset >= r->end) {
            finish(s, r, &open);
        }
        if (m)
            rd_kafka_message_destroy(m);
    }
    rd_kafka_assign(s->rk, NULL);
    rd_kafka_topic_partition_list_destroy(parts);
    if (s->progress && vk_mono_ms() - t0 >= 2000)
        fprintf(stderr, "%s: %" PRIu64 " messages read in %.1f s\n", s->label, read,
                (double)(vk_mono_ms() - t0) / 1000.0);
    clear_ranges(s);
    return rc;
}

/* ---- Decoding ----------------------------------------------------------------------------- */

typedef struct topic_decoder {
    const char *topic; /* from vk_all_topics (static) */
    vk_decoder *dec;
    avro_schema_t schema;
} topic_decoder;

struct vk_audit_decoder {
    vk_codec *codec;
    topic_decoder t[16];
    int n;
};

vk_audit_decoder *vk_audit_decoder_new(vk_codec *codec, char *err, size_t errlen) {
    vk_audit_decoder *d = calloc(1, sizeof *d);
    d->codec = codec;
    for (const char *const *t = vk_all_topics; *t; t++) {
        const char *name = vk_topic_schema(*t);
        if (!name)
            continue;
        if (d->n == (int)(sizeof d->t / sizeof d->t[0])) {
            snprintf(err, errlen, "too many topics for the audit decoder");
            vk_audit_decoder_destroy(d);
            return NULL;
        }
        topic_decoder *td = &d->t[d->n];
        td->topic = *t;
        td->dec = vk_decoder_new(codec, name, err, errlen);
        td->schema = vk_codec_schema(codec, name);
        if (td->dec)
            d->n++;
        if (!td->dec || !td->schema) {
            vk_audit_decoder_destroy(d);
            return NULL;
        }
    }
    return d;
}

void vk_audit_decoder_destroy(vk_audit_decoder *d) {
    if (!d)
        return;
    for (int i = 0; i < d->n; i++)
        vk_decoder_destroy(d->t[i].dec);
    free(d);
}

static topic_decoder *decoder_for(vk_audit_decoder *d, const char *topic) {
    for (int i = 0; i < d->n; i++)
        if (strcmp(d->t[i].topic, topic) == 0)
            return &d->t[i];
    return NULL;
}

static int decode(vk_audit_decoder *d, const char *topic, const void *data, size_t len,
                  avro_value_t **v, topic_decoder **td, char *err, size_t errlen) {
    *td = decoder_for(d, topic);
    if (!*td) {
        snprintf(err, errlen, "no schema for topic %s", topic);
        return -1;
    }
    return vk_decoder_decode((*td)->dec, data, len, v, err, errlen);
}

json_t *vk_audit_decode(vk_audit_decoder *d, const char *topic, const void *data, size_t len,
                        char *err, size_t errlen) {
    avro_value_t *v;
    topic_decoder *td;
    if (decode(d, topic, data, len, &v, &td, err, errlen))
        return NULL;
    json_t *j = vk_avro_to_json(v, td->schema);
    if (!j)
        snprintf(err, errlen, "cannot render the decoded record as JSON");
    return j;
}

/* A dead letter's original value bytes (its nullable `value` field); 0 when present. */
static int dead_letter_bytes(avro_value_t *dl, const void **data, size_t *len) {
    avro_value_t field, branch;
    if (avro_value_get_by_name(dl, "value", &field, NULL) ||
        avro_value_get_current_branch(&field, &branch) ||
        avro_value_get_type(&branch) != AVRO_BYTES)
        return -1;
    return avro_value_get_bytes(&branch, data, len);
}

json_t *vk_audit_record(vk_audit_decoder *d, const rd_kafka_message_t *m) {
    const char *topic = rd_kafka_topic_name(m->rkt);
    json_t *rec = json_object();
    int64_t ts = rd_kafka_message_timestamp(m, NULL);
    char when[40];
    vk_time_format(ts, VK_TIME_MS, when, sizeof when);
    json_object_set_new(rec, "topic", json_string(topic));
    json_object_set_new(rec, "partition", json_integer(m->partition));
    json_object_set_new(rec, "offset", json_integer(m->offset));
    json_object_set_new(rec, "timestamp", json_integer(ts));
    json_object_set_new(rec, "time", json_string(when));
    json_object_set_new(rec, "key", m->key ? json_stringn(m->key, m->key_len) : json_null());
    if (!json_object_get(rec, "key")) /* key bytes that are not UTF-8 */
        json_object_set_new(rec, "key", vk_base64_json(m->key, m->key_len));
    char err[512];
    avro_value_t *v;
    topic_decoder *td;
    json_t *value = NULL;
    if (decode(d, topic, m->payload, m->len, &v, &td, err, sizeof err) == 0) {
        value = vk_avro_to_json(v, td->schema);
        if (!value)
            snprintf(err, sizeof err, "cannot render the decoded record as JSON");
    }
    if (!value) {
        json_object_set_new(rec, "error", json_string(err));
        json_object_set_new(rec, "raw_base64", vk_base64_json(m->payload, m->len));
        return rec;
    }
    json_object_set_new(rec, "value", value);
    if (strcmp(topic, VK_TOPIC_DEAD_LETTERS) == 0) {
        const void *data;
        size_t len;
        const char *from = json_string_value(json_object_get(value, "topic"));
        json_t *payload = NULL;
        /* v is the decoder's; decoding the payload reuses another decoder, so read it first. */
        if (dead_letter_bytes(v, &data, &len)) {
            snprintf(err, sizeof err, "the dead letter holds no value bytes");
        } else {
            void *copy = malloc(len ? len : 1);
            memcpy(copy, data, len);
            payload = from ? vk_audit_decode(d, from, copy, len, err, sizeof err) : NULL;
            if (!from)
                snprintf(err, sizeof err, "the dead letter names no topic");
            free(copy);
        }
        if (payload)
            json_object_set_new(rec, "payload", payload);
        else
            json_object_set_new(rec, "payload_error", json_string(err));
    }
    return rec;
}

int vk_audit_nik_check(const char *nik, char *err, size_t errlen) {
    size_t len = strlen(nik), digits = strspn(nik, "0123456789");
    if (len == 16 && digits == 16)
        return 0;
    if (!err || errlen == 0)
        return -1;
    if (digits == len)
        snprintf(err, errlen, "a NIK has 16 digits, this one has %zu", len);
    else
        snprintf(err, errlen, "a NIK is 16 digits; character %zu is not a digit", digits + 1);
    return -1;
}

static bool is_nik(const char *s) {
    return s && vk_audit_nik_check(s, NULL, 0) == 0;
}

const char *vk_audit_record_nik(const json_t *record) {
    const json_t *value = json_object_get(record, "value");
    const char *nik = json_string_value(json_object_get(value, "nik"));
    if (is_nik(nik))
        return nik;
    nik = json_string_value(json_object_get(json_object_get(record, "payload"), "nik"));
    if (is_nik(nik))
        return nik;
    nik = json_string_value(json_object_get(record, "key"));
    return is_nik(nik) ? nik : NULL;
}
