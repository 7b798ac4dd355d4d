/*
 * handler.c — vaksin-lookup's handler (see handler.h for what it does and why it is split
 * between lookup_handle and lookup_complete).
 *
 * A lookup of the batch is kept as a copy of its bytes and the ids of its asks; at completion
 * it is decoded again to build its outputs. Decoding twice costs microseconds and spares a
 * deep copy of every string, record and union of the lookup (the decoder's value is reused
 * from one message to the next).
 */
#include "handler.h"

#include "vk_backoff.h"
#include "vk_handler.h"
#include "vk_log.h"
#include "vk_rules.h"
#include "vk_time.h"
#include "vk_uuid.h"
#include "vk_value.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One lookup of the open batch. */
typedef struct job {
    vk_buf payload; /* the input bytes (buffer reused across batches) */
    long ask[2];    /* ask id per source (vk_evidence_source), -1 when not asked */
} job;

typedef struct counters {
    uint64_t lookups, verdicts[4], retries, deferred;
} counters;

/* The lookup's own metric families (lookup_publish declares them on its first call). */
typedef struct lookup_metrics {
    vk_metric *lookups, *verdicts, *retries, *asks, *cache_hits, *requests, *failures, *answers,
        *rejected, *breaker, *breaker_opened, *latency;
} lookup_metrics;

struct lookup_ctx {
    lookup_metrics m;
    lookup_config cfg;
    lk_env env;
    vk_decoder *dec;        /* VerificationLookup */
    vk_encoder *event_enc;  /* TargetEvent */
    vk_encoder *lookup_enc; /* VerificationLookup, for the retry topic */
    lk_asks *asks;
    job *jobs;
    size_t n_jobs, cap_jobs;
    counters total;
    int64_t next_metrics;
};

/* A decoded VerificationLookup; strings and records borrowed from the decoder's value. */
typedef struct lookup {
    vk_envelope env;
    const char *request_id, *nik, *facility_code, *reason, *name;
    int kind, sex; /* enum indexes; sex -1 when not changed */
    bool has_birth_date, has_not_before;
    int32_t birth_date, attempt;
    int64_t not_before;
    avro_value_t changes, grant;
} lookup;

lookup_ctx *lookup_ctx_new(vk_codec *codec, const lookup_config *cfg, const lk_transport *transport,
                           const lk_env *env, char *err, size_t errlen) {
    lookup_ctx *c = calloc(1, sizeof *c);
    if (!c) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    c->cfg = *cfg;
    c->env = *env;
    c->dec = vk_decoder_new(codec, VK_SCHEMA_VERIFICATION_LOOKUP, err, errlen);
    c->event_enc = c->dec ? vk_encoder_new(codec, VK_SCHEMA_TARGET_EVENT, err, errlen) : NULL;
    c->lookup_enc =
        c->event_enc ? vk_encoder_new(codec, VK_SCHEMA_VERIFICATION_LOOKUP, err, errlen) : NULL;
    c->asks = c->lookup_enc
                  ? lk_asks_new(&c->cfg.asks, &c->cfg.sources, transport, &c->env, err, errlen)
                  : NULL;
    if (!c->asks) {
        lookup_ctx_destroy(c);
        return NULL;
    }
    c->next_metrics = c->env.mono_ms(c->env.arg) + cfg->metrics_interval_ms;
    return c;
}

void lookup_ctx_destroy(lookup_ctx *c) {
    if (!c)
        return;
    lk_asks_destroy(c->asks);
    for (size_t i = 0; i < c->cap_jobs; i++)
        vk_buf_free(&c->jobs[i].payload);
    free(c->jobs);
    if (c->dec)
        vk_decoder_destroy(c->dec);
    if (c->event_enc)
        vk_encoder_destroy(c->event_enc);
    if (c->lookup_enc)
        vk_encoder_destroy(c->lookup_enc);
    free(c);
}

/* ---- reading a lookup ---- */

static vk_handled lookup_read(lookup_ctx *c, const void *data, size_t len, lookup *l,
                              avro_value_t **v, vk_dead *dead) {
    rd_kafka_message_t m;
    memset(&m, 0, sizeof m);
    m.payload = (void *)data;
    m.len = len;
    memset(l, 0, sizeof *l);
    vk_handled h = vk_request_decode(c->dec, "VerificationLookup", &m, v, dead);
    if (h == VK_OK)
        h = vk_envelope_read(*v, &m, &l->env, dead);
    if (h != VK_OK)
        return h;
    const avro_value_t *r = *v;
    if (vk_value_get_str(r, "request_id", &l->request_id) ||
        vk_value_get_enum(r, "kind", &l->kind) || vk_value_get_str(r, "nik", &l->nik) ||
        vk_value_get_str(r, "facility_code", &l->facility_code) ||
        vk_value_get_field(r, "changes", &l->changes) ||
        vk_value_get_opt_str(r, "reason", &l->reason) ||
        vk_value_get_field(r, "grant", &l->grant) || vk_value_get_int(r, "attempt", &l->attempt) ||
        vk_value_get_opt_long(r, "not_before", &l->has_not_before, &l->not_before) ||
        vk_value_get_opt_str(&l->changes, "name", &l->name) ||
        vk_value_get_opt_int(&l->changes, "birth_date", &l->has_birth_date, &l->birth_date) ||
        vk_value_get_opt_enum(&l->changes, "sex", &l->sex))
        return vk_refuse(dead, "DECODE", "VerificationLookup fields missing");
    return vk_check_nik(l->nik, dead);
}

/* The question a lookup asks. The name is asked as the read model will store it (trimmed,
 * spaces collapsed, upper case, as on the KTP), so Dukcapil compares like with like and one
 * cache entry serves every spelling; a name that does not normalize is sent as given. */
static int lookup_question(const lookup *l, lk_question *q) {
    char name[256];
    const char *asked = l->name;
    if (asked && vk_name_normalize(asked, name, sizeof name, NULL, 0) == 0)
        asked = name;
    return lk_question_init(q, l->nik, asked, l->has_birth_date, l->birth_date,
                            l->sex < 0    ? 0
                            : l->sex == 0 ? 'L'
                                          : 'P',
                            l->env.occurred_at);
}

/* ---- per message ---- */

static job *job_add(lookup_ctx *c, const rd_kafka_message_t *in) {
    if (c->n_jobs == c->cap_jobs) {
        size_t cap = c->cap_jobs ? c->cap_jobs * 2 : 64;
        job *p = realloc(c->jobs, cap * sizeof *p);
        if (!p)
            return NULL;
        memset(p + c->cap_jobs, 0, (cap - c->cap_jobs) * sizeof *p);
        c->jobs = p;
        c->cap_jobs = cap;
    }
    job *j = &c->jobs[c->n_jobs];
    vk_buf_reset(&j->payload);
    if (vk_buf_append(&j->payload, in->payload, in->len))
        return NULL;
    j->ask[0] = j->ask[1] = -1;
    c->n_jobs++;
    return j;
}

static bool from_retry_topic(const rd_kafka_message_t *in) {
    return in->rkt && strcmp(rd_kafka_topic_name(in->rkt), VK_TOPIC_VERIFICATION_RETRIES) == 0;
}

vk_handled lookup_handle(void *ctx, const rd_kafka_message_t *in, vk_outputs *out, vk_dead *dead) {
    lookup_ctx *c = ctx;
    lookup l;
    avro_value_t *v;
    vk_handled h = lookup_read(c, in->payload, in->len, &l, &v, dead);
    if (h != VK_OK)
        return h;
    /* Only the retry topic waits: its partitions may, the lookups topic never must. */
    if (from_retry_topic(in) && l.has_not_before && l.not_before > c->env.wall_ms(c->env.arg)) {
        out->defer_until = l.not_before;
        c->total.deferred++;
        return VK_DEFER;
    }
    lk_question q;
    if (lookup_question(&l, &q))
        return vk_refuse(dead, "INVALID_NAME", "changes.name: longer than 255 bytes");
    job *j = job_add(c, in);
    if (!j) {
        vk_error("msg=\"out of memory queueing a lookup\"");
        return VK_RETRY;
    }
    if (vk_identity_needs_evidence(&q.asked))
        for (int s = 0; s < 2; s++) {
            if (!lk_source_configured(&c->cfg.sources, (vk_evidence_source)s))
                continue;
            j->ask[s] = lk_asks_add(c->asks, (vk_evidence_source)s, &q);
            if (j->ask[s] < 0) {
                vk_error("msg=\"out of memory queueing an ask\"");
                return VK_RETRY;
            }
        }
    lk_asks_pump(c->asks);
    return VK_OK;
}

/* ---- outputs ---- */

/*
 * Copies a value into another of the same shape. avro_value_copy insists on equal schemas, and
 * TargetEvent refers to its TargetChanges and Grant by name where VerificationLookup defines
 * them, which avro-c does not count as equal; this copies by structure instead (record fields
 * by name, enums and union branches by index — the contract keeps them in the same order).
 */
static int copy_value(avro_value_t *dst, const avro_value_t *src) {
    switch (avro_value_get_type(src)) {
    case AVRO_STRING: {
        const char *s;
        size_t n;
        return avro_value_get_string(src, &s, &n) || avro_value_set_string_len(dst, s, n);
    }
    case AVRO_BYTES: {
        const void *b;
        size_t n;
        return avro_value_get_bytes(src, &b, &n) || avro_value_set_bytes(dst, (void *)b, n);
    }
    case AVRO_INT32: {
        int32_t x;
        return avro_value_get_int(src, &x) || avro_value_set_int(dst, x);
    }
    case AVRO_INT64: {
        int64_t x;
        return avro_value_get_long(src, &x) || avro_value_set_long(dst, x);
    }
    case AVRO_FLOAT: {
        float x;
        return avro_value_get_float(src, &x) || avro_value_set_float(dst, x);
    }
    case AVRO_DOUBLE: {
        double x;
        return avro_value_get_double(src, &x) || avro_value_set_double(dst, x);
    }
    case AVRO_BOOLEAN: {
        int x;
        return avro_value_get_boolean(src, &x) || avro_value_set_boolean(dst, x);
    }
    case AVRO_NULL:
        return avro_value_set_null(dst);
    case AVRO_ENUM: {
        int x;
        return avro_value_get_enum(src, &x) || avro_value_set_enum(dst, x);
    }
    case AVRO_UNION: {
        int disc;
        avro_value_t from, to;
        return avro_value_get_discriminant(src, &disc) ||
               avro_value_get_current_branch(src, &from) || avro_value_set_branch(dst, disc, &to) ||
               copy_value(&to, &from);
    }
    case AVRO_RECORD: {
        size_t n;
        if (avro_value_get_size(src, &n))
            return -1;
        for (size_t i = 0; i < n; i++) {
            avro_value_t from, to;
            const char *name;
            if (avro_value_get_by_index(src, i, &from, &name) ||
                avro_value_get_by_name(dst, name, &to, NULL) || copy_value(&to, &from))
                return -1;
        }
        return 0;
    }
    case AVRO_ARRAY: {
        size_t n;
        if (avro_value_get_size(src, &n) || avro_value_reset(dst))
            return -1;
        for (size_t i = 0; i < n; i++) {
            avro_value_t from, to;
            if (avro_value_get_by_index(src, i, &from, NULL) || avro_value_append(dst, &to, NULL) ||
                copy_value(&to, &from))
                return -1;
        }
        return 0;
    }
    default: /* maps and fixed: not in these records */
        return -1;
    }
}

static int set_copy(avro_value_t *rec, const char *field, const avro_value_t *src) {
    avro_value_t f;
    return vk_value_get_field(rec, field, &f) || copy_value(&f, src);
}

static int set_opt_bool(avro_value_t *rec, const char *field, bool has, bool value) {
    avro_value_t f, branch;
    if (vk_value_get_field(rec, field, &f) || avro_value_set_branch(&f, has ? 1 : 0, &branch))
        return -1;
    return has ? avro_value_set_boolean(&branch, value) : avro_value_set_null(&branch);
}

/* Appends one Evidence record; per-field entries only for asked fields of a FOUND source. */
static int add_evidence(avro_value_t *array, const vk_evidence_src *e,
                        const vk_identity_change *asked) {
    avro_value_t rec, fields, item;
    if (avro_value_append(array, &rec, NULL))
        return -1;
    int rc = vk_value_set_enum(&rec, "source", (int)e->source) |
             vk_value_set_enum(&rec, "status", (int)e->status) |
             vk_value_set_opt_str(&rec, "message", e->message[0] ? e->message : NULL) |
             vk_value_get_field(&rec, "fields", &fields);
    if (rc || e->status != VK_EVIDENCE_FOUND)
        return rc ? -1 : 0;
    for (int f = 0; f < VK_IDENTITY_FIELDS; f++) {
        if (!vk_identity_asks(asked, (vk_identity_field)f))
            continue;
        const vk_evidence_field *ef = &e->field[f];
        if (avro_value_append(&fields, &item, NULL) ||
            vk_value_set_str(&item, "field", vk_identity_field_name((vk_identity_field)f)) ||
            vk_value_set_opt_str(&item, "value", ef->value[0] ? ef->value : NULL) ||
            set_opt_bool(&item, "match", ef->match != VK_MATCH_UNKNOWN,
                         ef->match == VK_MATCH_YES) ||
            vk_value_set_opt_int(&item, "score", ef->score >= 0, ef->score))
            return -1;
    }
    return 0;
}

/* What was decided for one lookup. */
typedef struct decision {
    const vk_evidence_src *ev[2]; /* per source; NULL when not consulted */
    vk_identity_change asked;
    vk_verdict verdict;
    bool retry;
    int64_t retry_at; /* wall-clock ms */
} decision;

static int write_enriched(lookup_ctx *c, const lookup *l, const decision *d, vk_outputs *out,
                          char *err, size_t errlen) {
    avro_value_t p, evidence;
    avro_value_t *e = vk_target_event_begin(c->event_enc, LOOKUP_SERVICE, &l->env, 0, l->nik,
                                            VK_TARGET_VERIFICATION_ENRICHED, &p, err, errlen);
    if (!e)
        return -1;
    int rc = vk_value_set_str(&p, "request_id", l->request_id) |
             vk_value_set_enum(&p, "kind", l->kind) |
             vk_value_set_str(&p, "facility_code", l->facility_code) |
             set_copy(&p, "changes", &l->changes) | vk_value_set_opt_str(&p, "reason", l->reason) |
             set_copy(&p, "grant", &l->grant) | vk_value_get_field(&p, "evidence", &evidence) |
             vk_value_set_enum(&p, "verdict", (int)d->verdict) |
             vk_value_set_int(&p, "attempt", l->attempt) |
             vk_value_set_opt_long(&p, "retry_at", d->retry, d->retry_at);
    for (int s = 0; s < 2 && !rc; s++)
        if (d->ev[s])
            rc = add_evidence(&evidence, d->ev[s], &d->asked);
    if (rc) {
        snprintf(err, errlen, "cannot fill VerificationEnriched: %s", avro_strerror());
        return -1;
    }
    return vk_target_event_add(c->event_enc, e, l->nik, out, err, errlen);
}

/* The same lookup again, on the retry topic: attempt + 1, not_before = retry_at. */
static int write_retry(lookup_ctx *c, const lookup *l, const avro_value_t *v, const decision *d,
                       vk_outputs *out, char *err, size_t errlen) {
    char id[37];
    vk_derive_event_id(LOOKUP_SERVICE, l->env.event_id, 1, id);
    avro_value_t *r = vk_encoder_value(c->lookup_enc);
    int32_t next = l->attempt < INT32_MAX ? l->attempt + 1 : INT32_MAX;
    if (copy_value(r, v) || vk_value_set_str(r, "event_id", id) ||
        vk_value_set_int(r, "attempt", next) ||
        vk_value_set_opt_long(r, "not_before", true, d->retry_at)) {
        snprintf(err, errlen, "cannot fill the retry VerificationLookup: %s", avro_strerror());
        return -1;
    }
    vk_output *o = vk_outputs_add(out, VK_TOPIC_VERIFICATION_RETRIES);
    if (!o || vk_buf_append_str(&o->key, l->nik)) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    return vk_encoder_write(c->lookup_enc, r, &o->value, err, errlen);
}

static void decide(lookup_ctx *c, const job *j, const lk_question *q, int32_t attempt,
                   decision *d) {
    memset(d, 0, sizeof *d);
    d->asked = q->asked;
    for (int s = 0; s < 2; s++)
        d->ev[s] = j->ask[s] >= 0 ? lk_asks_result(c->asks, j->ask[s]) : NULL;
    d->verdict = vk_evidence_verdict(d->ev[VK_SOURCE_JKN], d->ev[VK_SOURCE_DUKCAPIL], &d->asked);
    if (d->verdict == VK_VERDICT_UNAVAILABLE) {
        d->retry = true;
        d->retry_at = c->env.wall_ms(c->env.arg) +
                      vk_backoff_equal_jitter(c->cfg.retry_base_ms, c->cfg.retry_max_ms, attempt,
                                              c->env.draw(c->env.arg));
    }
}

static void log_decision(const lookup *l, const decision *d) {
    char ts[32] = "";
    vk_debug("msg=enriched request_id=%s nik=%s attempt=%d verdict=%s jkn=%s dukcapil=%s%s%s",
             l->request_id, l->nik, (int)l->attempt, vk_verdict_name(d->verdict),
             d->ev[0] ? vk_evidence_status_name(d->ev[0]->status) : "-",
             d->ev[1] ? vk_evidence_status_name(d->ev[1]->status) : "-",
             d->retry ? " retry_at=" : "",
             d->retry ? vk_time_format(d->retry_at, VK_TIME_S, ts, sizeof ts) : "");
}

static void log_metrics(lookup_ctx *c) {
    lk_source_stats s[2];
    lk_asks_stats(c->asks, VK_SOURCE_JKN, &s[0]);
    lk_asks_stats(c->asks, VK_SOURCE_DUKCAPIL, &s[1]);
    const counters *t = &c->total;
    vk_info("msg=lookup-metrics lookups=%" PRIu64 " supported=%" PRIu64 " contradicted=%" PRIu64
            " not_found=%" PRIu64 " unavailable=%" PRIu64 " retries_scheduled=%" PRIu64
            " deferred=%" PRIu64,
            t->lookups, t->verdicts[VK_VERDICT_SUPPORTED], t->verdicts[VK_VERDICT_CONTRADICTED],
            t->verdicts[VK_VERDICT_NOT_FOUND], t->verdicts[VK_VERDICT_UNAVAILABLE], t->retries,
            t->deferred);
    for (int i = 0; i < 2; i++)
        if (lk_source_configured(&c->cfg.sources, (vk_evidence_source)i))
            vk_info("msg=source-metrics source=%s asks=%" PRIu64 " cache_hits=%" PRIu64
                    " requests=%" PRIu64 " failed_tries=%" PRIu64 " found=%" PRIu64
                    " not_found=%" PRIu64 " unavailable=%" PRIu64 " circuit_rejected=%" PRIu64
                    " circuit=%s circuit_opened=%" PRIu64,
                    vk_evidence_source_name((vk_evidence_source)i), s[i].asks, s[i].cache_hits,
                    s[i].requests, s[i].failures, s[i].found, s[i].not_found, s[i].unavailable,
                    s[i].rejected, vk_breaker_state_name(s[i].breaker), s[i].breaker_opened);
}

static void declare_metrics(lookup_metrics *m, vk_metrics *reg) {
    m->lookups = vk_metrics_add(reg, VK_COUNTER, "vaksin_lookups_total",
                                "Verification lookups decided (each attempt).", NULL, NULL, 0);
    m->verdicts = vk_metrics_add(reg, VK_COUNTER, "vaksin_lookup_verdicts_total",
                                 "Lookups by verdict.", "verdict", NULL, 0);
    m->retries =
        vk_metrics_add(reg, VK_COUNTER, "vaksin_lookup_retries_scheduled_total",
                       "Lookups sent to the retry topic (a source unavailable).", NULL, NULL, 0);
    m->asks = vk_metrics_add(reg, VK_COUNTER, "vaksin_source_asks_total",
                             "Questions put to a source (answered from the cache or sent).",
                             "source", NULL, 0);
    m->cache_hits = vk_metrics_add(reg, VK_COUNTER, "vaksin_source_cache_hits_total",
                                   "Questions answered from the cache.", "source", NULL, 0);
    m->requests = vk_metrics_add(reg, VK_COUNTER, "vaksin_source_requests_total",
                                 "HTTP requests sent to a source (each try).", "source", NULL, 0);
    m->failures = vk_metrics_add(reg, VK_COUNTER, "vaksin_source_failures_total",
                                 "Tries that failed (transport, status, unreadable answer).",
                                 "source", NULL, 0);
    m->answers = vk_metrics_add(reg, VK_COUNTER, "vaksin_source_answers_total",
                                "Questions settled, by result (found, not_found, unavailable).",
                                "source,result", NULL, 0);
    m->rejected = vk_metrics_add(reg, VK_COUNTER, "vaksin_source_circuit_rejected_total",
                                 "Questions not sent because the source's circuit was open.",
                                 "source", NULL, 0);
    m->breaker = vk_metrics_add(reg, VK_GAUGE, "vaksin_source_circuit_state",
                                "1 for the circuit breaker's current state of each source.",
                                "source,state", NULL, 0);
    m->breaker_opened = vk_metrics_add(reg, VK_COUNTER, "vaksin_source_circuit_opened_total",
                                       "Times a source's circuit opened.", "source", NULL, 0);
    m->latency = vk_metrics_add(reg, VK_HISTOGRAM, "vaksin_source_request_seconds",
                                "HTTP request to a source until its answer or failure.", "source",
                                vk_metrics_latency_buckets, vk_metrics_latency_buckets_n);
}

void lookup_publish(void *ctx, vk_metrics *reg) {
    lookup_ctx *c = ctx;
    lookup_metrics *m = &c->m;
    if (!m->lookups)
        declare_metrics(m, reg);
    const counters *t = &c->total;
    vk_metric_set(m->lookups, NULL, (double)t->lookups);
    for (int v = 0; v < 4; v++) {
        char name[32];
        snprintf(name, sizeof name, "%s", vk_verdict_name((vk_verdict)v));
        for (char *p = name; *p; p++)
            *p = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
        vk_metric_set(m->verdicts, name, (double)t->verdicts[v]);
    }
    vk_metric_set(m->retries, NULL, (double)t->retries);
    static const vk_breaker_state states[] = {VK_BREAKER_CLOSED, VK_BREAKER_OPEN,
                                              VK_BREAKER_HALF_OPEN};
    for (int i = 0; i < 2; i++) {
        vk_evidence_source src = (vk_evidence_source)i;
        if (!lk_source_configured(&c->cfg.sources, src))
            continue;
        lk_source_stats st;
        lk_asks_stats(c->asks, src, &st);
        const char *name = vk_evidence_source_name(src);
        char key[64];
        vk_metric_set(m->asks, name, (double)st.asks);
        vk_metric_set(m->cache_hits, name, (double)st.cache_hits);
        vk_metric_set(m->requests, name, (double)st.requests);
        vk_metric_set(m->failures, name, (double)st.failures);
        vk_metric_set(m->rejected, name, (double)st.rejected);
        vk_metric_set(m->breaker_opened, name, (double)st.breaker_opened);
        const struct {
            const char *result;
            uint64_t n;
        } answers[] = {
            {"found", st.found}, {"not_found", st.not_found}, {"unavailable", st.unavailable}};
        for (size_t k = 0; k < sizeof answers / sizeof *answers; k++) {
            snprintf(key, sizeof key, "%s,%s", name, answers[k].result);
            vk_metric_set(m->answers, key, (double)answers[k].n);
        }
        for (size_t k = 0; k < sizeof states / sizeof *states; k++) {
            snprintf(key, sizeof key, "%s,%s", name, vk_breaker_state_name(states[k]));
            vk_metric_set(m->breaker, key, st.breaker == states[k] ? 1 : 0);
        }
        vk_metric_set_histogram(m->latency, name, st.latency, st.latency_sum_s);
    }
}

int lookup_complete(void *ctx, vk_outputs *out) {
    lookup_ctx *c = ctx;
    int64_t t0 = c->env.mono_ms(c->env.arg);
    size_t pending = lk_asks_pending(c->asks);
    lk_asks_finish(c->asks);
    vk_debug("msg=\"batch answered\" lookups=%zu asks_pending=%zu wait_ms=%" PRId64, c->n_jobs,
             pending, c->env.mono_ms(c->env.arg) - t0);
    int rc = 0;
    char err[512];
    for (size_t i = 0; i < c->n_jobs && !rc; i++) {
        const job *j = &c->jobs[i];
        lookup l;
        avro_value_t *v;
        lk_question q;
        vk_dead dead = {"", "name too long"};
        decision d;
        /* It decoded and checked in lookup_handle, so it does again. */
        if (lookup_read(c, j->payload.data, j->payload.len, &l, &v, &dead) != VK_OK ||
            lookup_question(&l, &q)) {
            vk_error("msg=\"a queued lookup no longer decodes\" error=\"%s\"", dead.reason);
            rc = -1;
            break;
        }
        decide(c, j, &q, l.attempt, &d);
        rc = write_enriched(c, &l, &d, out, err, sizeof err);
        if (!rc && d.retry)
            rc = write_retry(c, &l, v, &d, out, err, sizeof err);
        if (rc) {
            char quoted[600];
            vk_error("msg=\"cannot encode the lookup's outputs\" request_id=%s error=\"%s\"",
                     l.request_id, vk_log_quote(err, quoted, sizeof quoted));
            break;
        }
        log_decision(&l, &d);
        c->total.lookups++;
        c->total.verdicts[d.verdict]++;
        c->total.retries += d.retry;
    }
    lookup_discard(c);
    int64_t now = c->env.mono_ms(c->env.arg);
    if (now >= c->next_metrics) {
        log_metrics(c);
        c->next_metrics = now + c->cfg.metrics_interval_ms;
    }
    return rc;
}

void lookup_discard(void *ctx) {
    lookup_ctx *c = ctx;
    lk_asks_clear(c->asks);
    c->n_jobs = 0;
}
