/*
 * test_lookup_handler.c — vaksin-lookup without Kafka or a network: VerificationLookup bytes
 * in, TargetEvent and retry-lookup bytes out, over a scripted transport that answers like the
 * two sources (a JKN that checks the signature and encrypts its answers under the request's
 * timestamp, a Dukcapil that compares the sent elements) on a hand-driven clock.
 *
 * Covers the evidence assembly and verdicts (both sources, one contradicting, nobody knowing
 * the NIK, one source down, both down, a source not configured, no identity change), the
 * outputs (copied request fields, derived ids, retry lookup with attempt + 1 and not_before),
 * deferral of a retry not yet due, the requests themselves (URL with tglSEP in WIB, signed
 * headers, Dukcapil body with only the asked elements), retries within the batch, the circuit
 * breaker, the cache (answers kept, errors never), the cap on requests in flight, discard,
 * and dead letters.
 */
#include "handler.h"
#include "http.h"
#include "vk_bpjs.h"
#include "vk_codec.h"
#include "vk_handler.h"
#include "vk_lzstring.h"
#include "vk_time.h"
#include "vk_uuid.h"
#include "vk_value.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#define JKN_URL  "https://jkn.test/vclaim-rest"
#define DUK_URL  "https://dukcapil.test/api/verify"
#define CONS     "1000"
#define SECRET   "s3cr3t-key"
#define USER_KEY "uk-123"
#define DUK_USER "vaksin"
#define DUK_PASS "pa55word"
#define WALL0    1612137600000LL /* 2021-02-01T00:00:00Z */

/* ---- the scripted sources ---- */

typedef enum mode { UP = 0, DOWN, HTTP_500, GARBAGE } mode;

typedef struct person {
    const char *nik, *jkn_name, *duk_name, *birth; /* birth: yyyy-mm-dd */
    char sex;
} person;

/* SITI is known to both; BUDI is spelled differently by Dukcapil; 3273021505800003 nobody
 * knows. */
static const person people[] = {
    {"3273025205850001", "SITI NURHALIZA", "SITI NURHALIZA", "1985-05-12", 'P'},
    {"3273021003900002", "BUDI SANTOSO", "BUDI SANTOSA", "1990-03-10", 'L'},
};
#define SITI    "3273025205850001"
#define BUDI    "3273021003900002"
#define NOBODY  "3273021505800003"
#define SRC_JKN 0
#define SRC_DUK 1

typedef struct reply {
    lk_done_fn done;
    void *arg;
    uint64_t tag;
    lk_result res;
    char *body;
} reply;

typedef struct fake {
    int64_t mono;
    uint64_t draw;
    mode mode[2];
    int fail_next[2]; /* the next N requests to the source fail as DOWN */
    int requests[2];
    int in_flight, max_in_flight;
    reply replies[4096];
    int n_replies;
    /* the last request to each source */
    char url[2][512], headers[2][1024], body[2][1024];
    bool post[2];
} fake;

static const person *find_person(const char *nik) {
    for (size_t i = 0; i < sizeof people / sizeof *people; i++)
        if (strcmp(people[i].nik, nik) == 0)
            return &people[i];
    return NULL;
}

static const char *header_value(const lk_request *req, const char *name) {
    size_t n = strlen(name);
    for (int i = 0; i < req->n_headers; i++)
        if (strncmp(req->headers[i], name, n) == 0 && req->headers[i][n] == ':')
            return req->headers[i] + n + 2;
    return NULL;
}

static char *jkn_body(const lk_request *req, long *status) {
    const char *url = (const char *)req->url.data;
    const char *p = strstr(url, "/Peserta/nik/");
    char nik[17] = "";
    if (p)
        snprintf(nik, sizeof nik, "%.16s", p + 13);
    const char *ts = header_value(req, "X-timestamp");
    const char *sig = header_value(req, "X-signature");
    char want[VK_BPJS_SIGNATURE_LEN + 1], err[200];
    int64_t t = ts ? strtoll(ts, NULL, 10) : 0;
    if (!sig || vk_bpjs_signature(CONS, SECRET, t, want, err, sizeof err) ||
        strcmp(want, sig) != 0 || !header_value(req, "user_key")) {
        *status = 401;
        return strdup("{\"metaData\":{\"code\":\"401\",\"message\":\"bad signature\"}}");
    }
    const person *who = find_person(nik);
    *status = 200;
    if (!who)
        return strdup("{\"metaData\":{\"code\":\"201\",\"message\":\"Peserta tidak ditemukan\"},"
                      "\"response\":null}");
    char plain[512];
    snprintf(plain, sizeof plain,
             "{\"peserta\":{\"nik\":\"%s\",\"nama\":\"%s\",\"noKartu\":\"0001234567890\","
             "\"sex\":\"%c\",\"tglLahir\":\"%s\",\"statusPeserta\":{\"kode\":\"0\","
             "\"keterangan\":\"AKTIF\"}}}",
             who->nik, who->jkn_name, who->sex, who->birth);
    vk_buf lz = VK_BUF_INIT, ct = VK_BUF_INIT, body = VK_BUF_INIT;
    assert_int_equal(0, vk_lzstring_compress_uri(plain, strlen(plain), &lz, err, sizeof err));
    assert_int_equal(
        0, vk_bpjs_encrypt((char *)lz.data, lz.len, CONS, SECRET, t, &ct, err, sizeof err));
    vk_buf_printf(&body, "{\"metaData\":{\"code\":\"200\",\"message\":\"OK\"},\"response\":\"%s\"}",
                  (char *)ct.data);
    vk_buf_free(&lz);
    vk_buf_free(&ct);
    return (char *)body.data;
}

static void element(json_t *out, const char *key, bool sent, bool agrees) {
    if (sent)
        json_object_set_new(out, key, json_string(agrees ? "Sesuai (100)" : "Tidak Sesuai (40)"));
}

static char *dukcapil_body(const lk_request *req, long *status) {
    json_t *q = json_loadb((const char *)req->body.data, req->body.len, 0, NULL);
    assert_non_null(q);
    *status = 200;
    json_t *entry = json_object();
    const char *user = json_string_value(json_object_get(q, "USER_ID"));
    const char *pass = json_string_value(json_object_get(q, "PASSWORD"));
    const person *who = find_person(json_string_value(json_object_get(q, "NIK")));
    if (!user || strcmp(user, DUK_USER) || !pass || strcmp(pass, DUK_PASS)) {
        json_object_set_new(entry, "RESPON", json_string("User tidak valid"));
    } else if (!who) {
        json_object_set_new(entry, "RESPON", json_string("Data tidak ditemukan"));
    } else {
        json_object_set_new(entry, "NIK", json_string("Sesuai"));
        const char *name = json_string_value(json_object_get(q, "NAMA_LGKP"));
        const char *birth = json_string_value(json_object_get(q, "TGL_LHR"));
        const char *sex = json_string_value(json_object_get(q, "JENIS_KLMIN"));
        char dmy[16];
        snprintf(dmy, sizeof dmy, "%.2s-%.2s-%.4s", who->birth + 8, who->birth + 5, who->birth);
        element(entry, "NAMA_LGKP", name, name && strcmp(name, who->duk_name) == 0);
        element(entry, "TGL_LHR", birth, birth && strcmp(birth, dmy) == 0);
        element(entry, "JENIS_KLMIN", sex,
                sex && strcmp(sex, who->sex == 'L' ? "LAKI-LAKI" : "PEREMPUAN") == 0);
    }
    json_t *answer = json_pack("{s:[o]}", "content", entry);
    char *s = json_dumps(answer, JSON_COMPACT);
    json_decref(answer);
    json_decref(q);
    return s;
}

static int fake_start(void *impl, const lk_request *req, lk_done_fn done, void *arg, uint64_t tag,
                      char *err, size_t errlen) {
    (void)err;
    (void)errlen;
    fake *f = impl;
    int src =
        strncmp((const char *)req->url.data, JKN_URL, strlen(JKN_URL)) == 0 ? SRC_JKN : SRC_DUK;
    f->requests[src]++;
    if (++f->in_flight > f->max_in_flight)
        f->max_in_flight = f->in_flight;
    snprintf(f->url[src], sizeof f->url[src], "%s", (const char *)req->url.data);
    f->headers[src][0] = '\0';
    for (int i = 0; i < req->n_headers; i++) {
        strncat(f->headers[src], req->headers[i],
                sizeof f->headers[src] - strlen(f->headers[src]) - 2);
        strcat(f->headers[src], "\n");
    }
    snprintf(f->body[src], sizeof f->body[src], "%.*s", (int)req->body.len,
             req->body.data ? (const char *)req->body.data : "");
    f->post[src] = req->post;

    assert_true(f->n_replies < (int)(sizeof f->replies / sizeof *f->replies));
    reply *r = &f->replies[f->n_replies++];
    memset(r, 0, sizeof *r);
    r->done = done;
    r->arg = arg;
    r->tag = tag;
    mode m = f->mode[src];
    if (f->fail_next[src] > 0) {
        f->fail_next[src]--;
        m = DOWN;
    }
    if (m == DOWN) {
        snprintf(r->res.error, sizeof r->res.error, "Failed to connect: Connection refused");
        return 0;
    }
    r->res.answered = true;
    if (m == HTTP_500) {
        r->res.status = 500;
        r->body = strdup("<html>Internal Server Error</html>");
    } else if (m == GARBAGE) {
        r->res.status = 200;
        r->body =
            strdup("{\"metaData\":{\"code\":\"200\",\"message\":\"OK\"},\"response\":\"QUJD\"}");
    } else {
        r->body =
            src == SRC_JKN ? jkn_body(req, &r->res.status) : dukcapil_body(req, &r->res.status);
    }
    r->res.body = r->body;
    r->res.len = strlen(r->body);
    return 0;
}

/* Replies take 10 ms: a pump that may not wait delivers none; one that may delivers every
 * reply 10 ms later. With no reply to deliver the clock moves the whole wait. */
static void fake_pump(void *impl, int wait_ms) {
    fake *f = impl;
    if (wait_ms == 0)
        return;
    if (f->n_replies == 0) {
        f->mono += wait_ms;
        return;
    }
    f->mono += 10;
    int n = f->n_replies;
    reply batch[4096];
    memcpy(batch, f->replies, (size_t)n * sizeof *batch);
    f->n_replies = 0;
    for (int i = 0; i < n; i++) {
        f->in_flight--;
        batch[i].done(batch[i].arg, batch[i].tag, &batch[i].res);
        free(batch[i].body);
    }
}

static void fake_cancel_all(void *impl) {
    fake *f = impl;
    for (int i = 0; i < f->n_replies; i++)
        free(f->replies[i].body);
    f->in_flight -= f->n_replies;
    f->n_replies = 0;
}

static int64_t fake_mono(void *arg) {
    return ((fake *)arg)->mono;
}
static int64_t fake_wall(void *arg) {
    return WALL0 + ((fake *)arg)->mono;
}
static uint64_t fake_draw(void *arg) {
    return ((fake *)arg)->draw;
}

/* ---- fixture ---- */

typedef struct fixture {
    fake src;
    lk_transport transport;
    lk_env env;
    lookup_config cfg;
    vk_codec *codec;
    lookup_ctx *ctx;
    vk_encoder *lookup_enc;
    vk_decoder *event_dec, *lookup_dec;
    vk_outputs out;
    vk_dead dead;
    vk_buf in;
    rd_kafka_t *rk; /* only to name topics on messages */
    rd_kafka_topic_t *lookups_topic, *retry_topic;
} fixture;

static lookup_config default_config(void) {
    lookup_config c;
    memset(&c, 0, sizeof c);
    c.sources = (lk_sources){.jkn_url = JKN_URL,
                             .jkn_cons_id = CONS,
                             .jkn_secret = SECRET,
                             .jkn_user_key = USER_KEY,
                             .dukcapil_url = DUK_URL,
                             .dukcapil = {DUK_USER, DUK_PASS, "10.0.0.1", 80}};
    c.asks = (lk_asks_config){.inflight = 64,
                              .attempts = 3,
                              .backoff_ms = 100,
                              .backoff_max_ms = 1000,
                              .breaker_failures = 5,
                              .breaker_open_ms = 10000,
                              .cache_entries = 100,
                              .cache_ttl_ms = 600000};
    c.retry_base_ms = 5000;
    c.retry_max_ms = 300000;
    c.metrics_interval_ms = 1000000;
    return c;
}

static void make_ctx(fixture *f) {
    char err[256];
    lookup_ctx_destroy(f->ctx);
    f->ctx = lookup_ctx_new(f->codec, &f->cfg, &f->transport, &f->env, err, sizeof err);
    if (!f->ctx)
        fail_msg("lookup_ctx_new: %s", err);
}

static int setup(void **state) {
    fixture *f = calloc(1, sizeof *f);
    char err[256];
    f->transport = (lk_transport){&f->src, fake_start, fake_pump, fake_cancel_all};
    f->env = (lk_env){fake_mono, fake_wall, fake_draw, &f->src};
    f->src.mono = 1000000;
    f->cfg = default_config();
    f->codec = vk_codec_new(err, sizeof err);
    assert_non_null(f->codec);
    f->lookup_enc = vk_encoder_new(f->codec, VK_SCHEMA_VERIFICATION_LOOKUP, err, sizeof err);
    f->event_dec = vk_decoder_new(f->codec, VK_SCHEMA_TARGET_EVENT, err, sizeof err);
    f->lookup_dec = vk_decoder_new(f->codec, VK_SCHEMA_VERIFICATION_LOOKUP, err, sizeof err);
    assert_non_null(f->lookup_enc);
    assert_non_null(f->event_dec);
    assert_non_null(f->lookup_dec);
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "log_level", "0", err, sizeof err);
    f->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
    assert_non_null(f->rk);
    f->lookups_topic = rd_kafka_topic_new(f->rk, VK_TOPIC_VERIFICATION_LOOKUPS, NULL);
    f->retry_topic = rd_kafka_topic_new(f->rk, VK_TOPIC_VERIFICATION_RETRIES, NULL);
    make_ctx(f);
    *state = f;
    return 0;
}

static int teardown(void **state) {
    fixture *f = *state;
    lookup_ctx_destroy(f->ctx);
    fake_cancel_all(&f->src);
    vk_encoder_destroy(f->lookup_enc);
    vk_decoder_destroy(f->event_dec);
    vk_decoder_destroy(f->lookup_dec);
    vk_codec_destroy(f->codec);
    vk_outputs_free(&f->out);
    vk_buf_free(&f->in);
    rd_kafka_topic_destroy(f->lookups_topic);
    rd_kafka_topic_destroy(f->retry_topic);
    rd_kafka_destroy(f->rk);
    free(f);
    return 0;
}

/* ---- lookups in, events out ---- */

#define EVENT_ID "6f1c8a3e-6a55-4d2b-9a43-0d7d9c1e2a10"

/* A lookup as JSON: @p changes is the TargetChanges object; @p extra more top-level members
 * (e.g. "\"attempt\":1,"), or "". occurred_at 2021-02-01T17:30:00Z = 00:30 WIB on 02-02. */
static void encode_lookup(fixture *f, const char *event_id, const char *nik, const char *changes,
                          const char *extra) {
    char text[2048], err[256];
    snprintf(text, sizeof text,
             "{\"event_id\":\"%s\",\"occurred_at\":1612200600000,\"source\":\"pcare-web\","
             "\"actor\":\"officer.1\",\"request_id\":\"9b2e7f00-1c1d-4e6b-8f5a-3f2b1c0d9e8a\","
             "\"kind\":\"CORRECTION\",\"nik\":\"%s\",\"facility_code\":\"P3273020201\","
             "\"changes\":%s,\"reason\":\"typo at import\",%s"
             "\"grant\":{\"grant_event_id\":\"0a7d6c54-2f4b-4e59-9d0e-5f1e2d3c4b5a\","
             "\"user_id\":\"officer.1\",\"facility_code\":\"P3273020201\","
             "\"district_code\":\"3273\",\"granted_by\":\"dinkes.bandung\","
             "\"granted_at\":1612000000000,\"valid_until\":null}}",
             event_id, nik, changes, extra);
    json_error_t jerr;
    json_t *j = json_loads(text, 0, &jerr);
    if (!j)
        fail_msg("bad test JSON: %s", jerr.text);
    avro_value_t *v = vk_encoder_value(f->lookup_enc);
    if (vk_json_to_avro(j, v, vk_codec_schema(f->codec, VK_SCHEMA_VERIFICATION_LOOKUP), err,
                        sizeof err))
        fail_msg("cannot convert the test lookup: %s", err);
    json_decref(j);
    vk_buf_reset(&f->in);
    assert_int_equal(0, vk_encoder_write(f->lookup_enc, v, &f->in, err, sizeof err));
}

static vk_handled handle_on(fixture *f, rd_kafka_topic_t *topic) {
    rd_kafka_message_t m;
    memset(&m, 0, sizeof m);
    m.rkt = topic;
    m.payload = f->in.data;
    m.len = f->in.len;
    vk_outputs_reset(&f->out);
    memset(&f->dead, 0, sizeof f->dead);
    return lookup_handle(f->ctx, &m, &f->out, &f->dead);
}

/* Handles the encoded lookup (from the lookups topic) and expects no output yet. */
static void handle(fixture *f) {
    assert_int_equal(VK_OK, handle_on(f, f->lookups_topic));
    assert_int_equal(0, f->out.n);
}

static void complete(fixture *f) {
    vk_outputs_reset(&f->out);
    assert_int_equal(0, lookup_complete(f->ctx, &f->out));
}

/* The output @p i decoded as a TargetEvent, as natural JSON (new reference). */
static json_t *event_json(fixture *f, size_t i, avro_value_t **value) {
    char err[256];
    avro_value_t *e;
    assert_true(i < f->out.n);
    assert_string_equal(VK_TOPIC_TARGET_EVENTS, f->out.items[i].topic);
    if (vk_decoder_decode(f->event_dec, f->out.items[i].value.data, f->out.items[i].value.len, &e,
                          err, sizeof err))
        fail_msg("output %zu is no TargetEvent: %s", i, err);
    if (value)
        *value = e;
    json_t *j = vk_avro_to_json(e, vk_codec_schema(f->codec, VK_SCHEMA_TARGET_EVENT));
    assert_non_null(j);
    return j;
}

static const char *jstr(json_t *j, const char *path) {
    char buf[256];
    snprintf(buf, sizeof buf, "%s", path);
    json_t *cur = j;
    for (char *tok = strtok(buf, "."); tok && cur; tok = strtok(NULL, "."))
        cur =
            json_is_array(cur) ? json_array_get(cur, (size_t)atoi(tok)) : json_object_get(cur, tok);
    if (!cur)
        fail_msg("no %s in the event", path);
    if (json_is_null(cur))
        return "null";
    if (json_is_true(cur))
        return "true";
    if (json_is_false(cur))
        return "false";
    if (json_is_integer(cur)) {
        static char n[32];
        snprintf(n, sizeof n, "%lld", (long long)json_integer_value(cur));
        return n;
    }
    if (!json_is_string(cur))
        fail_msg("%s is not a scalar", path);
    return json_string_value(cur);
}

static size_t jlen(json_t *j, const char *path) {
    json_t *cur = json_object_get(json_object_get(j, "payload"), path);
    assert_true(json_is_array(cur));
    return json_array_size(cur);
}

/* One lookup through handle and complete: expects exactly one Enriched and returns it. */
static json_t *run_one(fixture *f, const char *nik, const char *changes) {
    encode_lookup(f, EVENT_ID, nik, changes, "");
    handle(f);
    complete(f);
    assert_int_equal(1, f->out.n);
    return event_json(f, 0, NULL);
}

#define NAME_SITI "{\"name\":\"Siti  Nurhaliza\"}"

/* ---- verdicts and evidence ---- */

static void supported_by_both_sources(void **state) {
    fixture *f = *state;
    json_t *e = run_one(f, SITI,
                        "{\"name\":\"Siti Nurhaliza\",\"birth_date\":\"1985-05-12\","
                        "\"sex\":\"P\",\"phone\":\"+6281234567890\"}");
    char id[37];
    vk_derive_event_id(LOOKUP_SERVICE, EVENT_ID, 0, id);
    assert_string_equal(id, jstr(e, "event_id"));
    assert_string_equal(EVENT_ID, jstr(e, "causation_id"));
    assert_string_equal(SITI, jstr(e, "nik"));
    assert_string_equal("pcare-web", jstr(e, "source"));
    assert_string_equal("officer.1", jstr(e, "actor"));
    assert_int_equal(16, f->out.items[0].key.len);
    assert_memory_equal(SITI, f->out.items[0].key.data, 16);
    assert_string_equal("VerificationEnriched", jstr(e, "payload.type"));
    assert_string_equal("9b2e7f00-1c1d-4e6b-8f5a-3f2b1c0d9e8a", jstr(e, "payload.request_id"));
    assert_string_equal("CORRECTION", jstr(e, "payload.kind"));
    assert_string_equal("P3273020201", jstr(e, "payload.facility_code"));
    assert_string_equal("Siti Nurhaliza", jstr(e, "payload.changes.name"));
    assert_string_equal("+6281234567890", jstr(e, "payload.changes.phone"));
    assert_string_equal("typo at import", jstr(e, "payload.reason"));
    assert_string_equal("dinkes.bandung", jstr(e, "payload.grant.granted_by"));
    assert_string_equal("SUPPORTED", jstr(e, "payload.verdict"));
    assert_string_equal("0", jstr(e, "payload.attempt"));
    assert_string_equal("null", jstr(e, "payload.retry_at"));
    assert_int_equal(2, jlen(e, "evidence"));
    /* JKN: its values and whether they match; no score */
    assert_string_equal("JKN", jstr(e, "payload.evidence.0.source"));
    assert_string_equal("FOUND", jstr(e, "payload.evidence.0.status"));
    assert_string_equal("statusPeserta 0 AKTIF", jstr(e, "payload.evidence.0.message"));
    assert_string_equal("name", jstr(e, "payload.evidence.0.fields.0.field"));
    assert_string_equal("SITI NURHALIZA", jstr(e, "payload.evidence.0.fields.0.value"));
    assert_string_equal("true", jstr(e, "payload.evidence.0.fields.0.match"));
    assert_string_equal("null", jstr(e, "payload.evidence.0.fields.0.score"));
    assert_string_equal("birth_date", jstr(e, "payload.evidence.0.fields.1.field"));
    assert_string_equal("1985-05-12", jstr(e, "payload.evidence.0.fields.1.value"));
    assert_string_equal("sex", jstr(e, "payload.evidence.0.fields.2.field"));
    assert_string_equal("P", jstr(e, "payload.evidence.0.fields.2.value"));
    assert_string_equal("true", jstr(e, "payload.evidence.0.fields.2.match"));
    /* Dukcapil: agreement and score, no values */
    assert_string_equal("DUKCAPIL", jstr(e, "payload.evidence.1.source"));
    assert_string_equal("FOUND", jstr(e, "payload.evidence.1.status"));
    assert_string_equal("null", jstr(e, "payload.evidence.1.fields.0.value"));
    assert_string_equal("true", jstr(e, "payload.evidence.1.fields.0.match"));
    assert_string_equal("100", jstr(e, "payload.evidence.1.fields.0.score"));
    assert_string_equal("true", jstr(e, "payload.evidence.1.fields.1.match"));
    assert_string_equal("true", jstr(e, "payload.evidence.1.fields.2.match"));
    assert_int_equal(1, f->src.requests[SRC_JKN]);
    assert_int_equal(1, f->src.requests[SRC_DUK]);
    json_decref(e);
}

static void only_asked_fields_are_recorded(void **state) {
    fixture *f = *state;
    json_t *e = run_one(f, SITI, "{\"sex\":\"P\"}");
    assert_string_equal("SUPPORTED", jstr(e, "payload.verdict"));
    json_t *fields = json_object_get(
        json_array_get(json_object_get(json_object_get(e, "payload"), "evidence"), 0), "fields");
    assert_int_equal(1, json_array_size(fields));
    assert_string_equal("sex", jstr(e, "payload.evidence.0.fields.0.field"));
    /* Dukcapil was sent the asked element only */
    assert_null(strstr(f->src.body[SRC_DUK], "NAMA_LGKP"));
    assert_null(strstr(f->src.body[SRC_DUK], "TGL_LHR"));
    assert_non_null(strstr(f->src.body[SRC_DUK], "\"JENIS_KLMIN\":\"PEREMPUAN\""));
    json_decref(e);
}

static void no_identity_change_asks_nobody(void **state) {
    fixture *f = *state;
    json_t *e = run_one(f, SITI, "{\"phone\":\"+6281234567890\",\"facility_code\":\"3273015\"}");
    assert_string_equal("SUPPORTED", jstr(e, "payload.verdict"));
    assert_int_equal(0, jlen(e, "evidence"));
    assert_int_equal(0, f->src.requests[SRC_JKN] + f->src.requests[SRC_DUK]);
    json_decref(e);
}

static void contradicted_by_dukcapil(void **state) {
    fixture *f = *state;
    json_t *e = run_one(f, BUDI, "{\"name\":\"Budi Santoso\"}");
    assert_string_equal("CONTRADICTED", jstr(e, "payload.verdict"));
    assert_string_equal("true", jstr(e, "payload.evidence.0.fields.0.match")); /* JKN */
    assert_string_equal("false", jstr(e, "payload.evidence.1.fields.0.match"));
    assert_string_equal("40", jstr(e, "payload.evidence.1.fields.0.score"));
    json_decref(e);
}

static void not_found_anywhere(void **state) {
    fixture *f = *state;
    json_t *e = run_one(f, NOBODY, "{\"name\":\"Nobody Known\"}");
    assert_string_equal("NOT_FOUND", jstr(e, "payload.verdict"));
    assert_string_equal("NOT_FOUND", jstr(e, "payload.evidence.0.status"));
    assert_string_equal("Peserta tidak ditemukan", jstr(e, "payload.evidence.0.message"));
    assert_string_equal("NOT_FOUND", jstr(e, "payload.evidence.1.status"));
    assert_string_equal("Data tidak ditemukan", jstr(e, "payload.evidence.1.message"));
    assert_int_equal(
        0, json_array_size(json_object_get(
               json_array_get(json_object_get(json_object_get(e, "payload"), "evidence"), 0),
               "fields")));
    assert_string_equal("null", jstr(e, "payload.retry_at"));
    assert_int_equal(1, f->out.n); /* final: no retry */
    json_decref(e);
}

static void jkn_down_decided_by_dukcapil(void **state) {
    fixture *f = *state;
    f->src.mode[SRC_JKN] = DOWN;
    json_t *e = run_one(f, SITI, NAME_SITI);
    assert_string_equal("SUPPORTED", jstr(e, "payload.verdict"));
    assert_string_equal("UNAVAILABLE", jstr(e, "payload.evidence.0.status"));
    assert_non_null(strstr(jstr(e, "payload.evidence.0.message"), "Connection refused"));
    assert_string_equal("FOUND", jstr(e, "payload.evidence.1.status"));
    assert_int_equal(3, f->src.requests[SRC_JKN]); /* lookup.attempts */
    assert_int_equal(1, f->src.requests[SRC_DUK]);
    assert_int_equal(1, f->out.n);
    json_decref(e);
}

static void source_errors_are_retried_then_unavailable(void **state) {
    fixture *f = *state;
    const mode modes[] = {HTTP_500, GARBAGE};
    const char *words[] = {"HTTP 500", "ciphertext"};
    for (int i = 0; i < 2; i++) {
        make_ctx(f); /* a closed breaker for each */
        f->src.mode[SRC_JKN] = modes[i];
        f->src.mode[SRC_DUK] = DOWN;
        f->src.requests[SRC_JKN] = 0;
        encode_lookup(f, EVENT_ID, NOBODY, "{\"name\":\"X\"}", "");
        handle(f);
        complete(f);
        assert_int_equal(2, f->out.n); /* and its retry */
        json_t *e = event_json(f, 0, NULL);
        assert_string_equal("UNAVAILABLE", jstr(e, "payload.verdict"));
        const char *msg = jstr(e, "payload.evidence.0.message");
        if (!strstr(msg, words[i]))
            fail_msg("message \"%s\" lacks \"%s\"", msg, words[i]);
        assert_int_equal(3, f->src.requests[SRC_JKN]);
        json_decref(e);
    }
}

static void transient_failure_is_retried_within_the_batch(void **state) {
    fixture *f = *state;
    f->src.fail_next[SRC_JKN] = 2;
    json_t *e = run_one(f, SITI, NAME_SITI);
    assert_string_equal("FOUND", jstr(e, "payload.evidence.0.status"));
    assert_int_equal(3, f->src.requests[SRC_JKN]);
    json_decref(e);
}

static void both_down_gives_unavailable_and_a_retry_lookup(void **state) {
    fixture *f = *state;
    f->src.mode[SRC_JKN] = f->src.mode[SRC_DUK] = DOWN;
    f->src.draw = 0; /* the shortest equal jitter: half the nominal delay */
    encode_lookup(f, EVENT_ID, SITI, NAME_SITI, "");
    handle(f);
    complete(f);
    assert_int_equal(2, f->out.n);
    avro_value_t *ev;
    json_t *e = event_json(f, 0, &ev);
    assert_string_equal("UNAVAILABLE", jstr(e, "payload.verdict"));
    assert_string_equal("UNAVAILABLE", jstr(e, "payload.evidence.0.status"));
    assert_string_equal("UNAVAILABLE", jstr(e, "payload.evidence.1.status"));
    avro_value_t payload, branch;
    bool has;
    int64_t retry_at;
    assert_int_equal(0, vk_value_get_field(ev, "payload", &payload));
    assert_int_equal(0, avro_value_get_current_branch(&payload, &branch));
    assert_int_equal(0, vk_value_get_opt_long(&branch, "retry_at", &has, &retry_at));
    assert_true(has);
    int64_t now = WALL0 + f->src.mono;
    assert_in_range(retry_at, now + 2500 - 200, now + 2500); /* 5 s base, attempt 0, jitter 0 */
    json_decref(e);

    /* the retry: same lookup, attempt 1, not_before = retry_at, its own derived id */
    assert_string_equal(VK_TOPIC_VERIFICATION_RETRIES, f->out.items[1].topic);
    assert_int_equal(16, f->out.items[1].key.len);
    assert_memory_equal(SITI, f->out.items[1].key.data, 16);
    avro_value_t *r;
    char err[256], id[37];
    assert_int_equal(0, vk_decoder_decode(f->lookup_dec, f->out.items[1].value.data,
                                          f->out.items[1].value.len, &r, err, sizeof err));
    const char *s;
    int32_t attempt;
    int64_t not_before;
    vk_derive_event_id(LOOKUP_SERVICE, EVENT_ID, 1, id);
    assert_int_equal(0, vk_value_get_str(r, "event_id", &s));
    assert_string_equal(id, s);
    assert_int_equal(0, vk_value_get_str(r, "request_id", &s));
    assert_string_equal("9b2e7f00-1c1d-4e6b-8f5a-3f2b1c0d9e8a", s);
    assert_int_equal(0, vk_value_get_int(r, "attempt", &attempt));
    assert_int_equal(1, attempt);
    assert_int_equal(0, vk_value_get_opt_long(r, "not_before", &has, &not_before));
    assert_true(has);
    assert_int_equal(retry_at, not_before);
    int64_t occurred;
    assert_int_equal(0, vk_value_get_long(r, "occurred_at", &occurred));
    assert_int_equal(1612200600000LL, occurred); /* tglSEP stays the request's day */
}

static void retry_backoff_grows_and_is_capped(void **state) {
    fixture *f = *state;
    f->src.mode[SRC_JKN] = f->src.mode[SRC_DUK] = DOWN;
    f->src.draw = UINT64_MAX; /* some draw in [d/2, d] */
    const int attempts[] = {1, 3, 6, 40};
    const int64_t nominal[] = {10000, 40000, 300000, 300000};
    for (int i = 0; i < 4; i++) {
        char extra[64];
        snprintf(extra, sizeof extra, "\"attempt\":%d,\"not_before\":1,", attempts[i]);
        encode_lookup(f, EVENT_ID, SITI, NAME_SITI, extra);
        assert_int_equal(VK_OK, handle_on(f, f->retry_topic)); /* long due */
        complete(f);
        assert_int_equal(2, f->out.n);
        avro_value_t *r;
        char err[256];
        assert_int_equal(0, vk_decoder_decode(f->lookup_dec, f->out.items[1].value.data,
                                              f->out.items[1].value.len, &r, err, sizeof err));
        int32_t attempt;
        bool has;
        int64_t not_before;
        assert_int_equal(0, vk_value_get_int(r, "attempt", &attempt));
        assert_int_equal(attempts[i] + 1, attempt);
        assert_int_equal(0, vk_value_get_opt_long(r, "not_before", &has, &not_before));
        int64_t delay = not_before - (WALL0 + f->src.mono);
        assert_in_range(delay, nominal[i] / 2 - 200, nominal[i]);
        json_t *e = event_json(f, 0, NULL);
        char want[16];
        snprintf(want, sizeof want, "%d", attempts[i]);
        assert_string_equal(want, jstr(e, "payload.attempt"));
        json_decref(e);
    }
}

static void retry_not_yet_due_is_deferred(void **state) {
    fixture *f = *state;
    int64_t due = WALL0 + f->src.mono + 60000;
    char extra[96];
    snprintf(extra, sizeof extra, "\"attempt\":2,\"not_before\":%lld,", (long long)due);
    encode_lookup(f, EVENT_ID, SITI, NAME_SITI, extra);
    assert_int_equal(VK_DEFER, handle_on(f, f->retry_topic));
    assert_int_equal(due, f->out.defer_until);
    assert_int_equal(0, f->out.n);
    complete(f);
    assert_int_equal(0, f->out.n); /* nothing was queued for it */
    assert_int_equal(0, f->src.requests[SRC_JKN] + f->src.requests[SRC_DUK]);

    /* on the lookups topic a not_before never holds anything up */
    assert_int_equal(VK_OK, handle_on(f, f->lookups_topic));
    complete(f);
    assert_int_equal(1, f->out.n);

    /* once due it is looked up */
    f->src.mono += 60000;
    assert_int_equal(VK_OK, handle_on(f, f->retry_topic));
    complete(f);
    assert_int_equal(1, f->out.n);
    json_t *e = event_json(f, 0, NULL);
    assert_string_equal("SUPPORTED", jstr(e, "payload.verdict"));
    assert_string_equal("2", jstr(e, "payload.attempt"));
    json_decref(e);
}

static void unconfigured_source_is_not_consulted(void **state) {
    fixture *f = *state;
    f->cfg.sources.dukcapil_url = "";
    make_ctx(f);
    json_t *e = run_one(f, BUDI, "{\"name\":\"Budi Santoso\"}");
    assert_string_equal("SUPPORTED", jstr(e, "payload.verdict")); /* Dukcapil would object */
    assert_int_equal(1, jlen(e, "evidence"));
    assert_string_equal("JKN", jstr(e, "payload.evidence.0.source"));
    assert_int_equal(0, f->src.requests[SRC_DUK]);
    json_decref(e);

    /* and with no source at all an identity change cannot be decided: retried */
    f->cfg.sources.jkn_url = NULL;
    make_ctx(f);
    encode_lookup(f, EVENT_ID, SITI, NAME_SITI, "");
    handle(f);
    complete(f);
    assert_int_equal(2, f->out.n);
    e = event_json(f, 0, NULL);
    assert_string_equal("UNAVAILABLE", jstr(e, "payload.verdict"));
    assert_int_equal(0, jlen(e, "evidence"));
    json_decref(e);
}

/* ---- the requests ---- */

static void requests_follow_the_protocols(void **state) {
    fixture *f = *state;
    json_t *e = run_one(f, SITI, "{\"name\":\"Siti Nurhaliza\",\"birth_date\":\"1985-05-12\"}");
    json_decref(e);
    /* occurred_at 2021-02-01T17:30Z is 2021-02-02 00:30 in WIB */
    assert_string_equal(JKN_URL "/Peserta/nik/" SITI "/tglSEP/2021-02-02", f->src.url[SRC_JKN]);
    assert_false(f->src.post[SRC_JKN]);
    char want[64];
    snprintf(want, sizeof want, "X-timestamp: %lld\n", (long long)((WALL0 + f->src.mono) / 1000));
    assert_non_null(strstr(f->src.headers[SRC_JKN], "X-cons-id: " CONS "\n"));
    assert_non_null(strstr(f->src.headers[SRC_JKN], "user_key: " USER_KEY "\n"));
    assert_non_null(strstr(f->src.headers[SRC_JKN], "X-signature: "));
    assert_non_null(strstr(f->src.headers[SRC_JKN], "X-timestamp: 16121"));
    assert_string_equal(DUK_URL, f->src.url[SRC_DUK]);
    assert_true(f->src.post[SRC_DUK]);
    assert_non_null(strstr(f->src.headers[SRC_DUK], "Content-Type: application/json\n"));
    assert_non_null(strstr(f->src.body[SRC_DUK], "\"NAMA_LGKP\":\"SITI NURHALIZA\""));
    assert_non_null(strstr(f->src.body[SRC_DUK], "\"TGL_LHR\":\"12-05-1985\""));
    assert_non_null(strstr(f->src.body[SRC_DUK], "\"TRESHOLD\":80"));
    assert_null(strstr(f->src.body[SRC_DUK], "JENIS_KLMIN"));
}

static void wib_date_boundaries(void **state) {
    (void)state;
    int32_t d;
    vk_date_to_days(2021, 2, 1, &d);
    assert_int_equal(d, lk_wib_date(1612112400000LL));     /* 2021-01-31T17:00Z = 00:00 WIB */
    assert_int_equal(d - 1, lk_wib_date(1612112399999LL)); /* a millisecond before */
    assert_int_equal(d, lk_wib_date(1612198799999LL));     /* 23:59:59.999 WIB */
    assert_int_equal(-1, lk_wib_date(-7 * 3600 * 1000LL - 1));
}

/* ---- breaker, cache, concurrency ---- */

static void breaker_fails_fast_then_probes(void **state) {
    fixture *f = *state;
    f->cfg.asks.breaker_failures = 3;
    f->cfg.asks.cache_entries = 0;
    f->cfg.asks.inflight = 1; /* one request at a time: failures come back before the next */
    f->cfg.sources.dukcapil_url = NULL;
    make_ctx(f);
    f->src.mode[SRC_JKN] = DOWN;
    for (int i = 0; i < 10; i++) {
        char id[37];
        vk_derive_event_id("test", "breaker", i, id);
        encode_lookup(f, id, SITI, NAME_SITI, "");
        handle(f);
    }
    complete(f);
    assert_int_equal(20, f->out.n); /* 10 × (Enriched UNAVAILABLE + retry) */
    /* the first failures opened the circuit; the rest failed without a request */
    assert_in_range(f->src.requests[SRC_JKN], 3, 5);
    int circuit_open = 0;
    for (size_t i = 0; i < f->out.n; i += 2) {
        json_t *e = event_json(f, i, NULL);
        assert_string_equal("UNAVAILABLE", jstr(e, "payload.verdict"));
        circuit_open += strcmp(jstr(e, "payload.evidence.0.message"), "circuit open") == 0;
        json_decref(e);
    }
    assert_true(circuit_open >= 7);

    /* still open: no request at all */
    int before = f->src.requests[SRC_JKN];
    f->src.mode[SRC_JKN] = UP;
    encode_lookup(f, EVENT_ID, SITI, NAME_SITI, "");
    handle(f);
    complete(f);
    assert_int_equal(before, f->src.requests[SRC_JKN]);

    /* after the interval one probe goes; it succeeds and closes the circuit for the others */
    f->src.mono += 10000;
    for (int i = 0; i < 5; i++) {
        char id[37];
        vk_derive_event_id("test", "probe", i, id);
        encode_lookup(f, id, SITI, NAME_SITI, "");
        handle(f);
    }
    complete(f);
    assert_int_equal(5, f->out.n);
    for (size_t i = 0; i < 5; i++) {
        json_t *e = event_json(f, i, NULL);
        assert_string_equal("SUPPORTED", jstr(e, "payload.verdict"));
        json_decref(e);
    }
    assert_int_equal(before + 5, f->src.requests[SRC_JKN]);
}

static void breaker_probe_failure_reopens(void **state) {
    fixture *f = *state;
    f->cfg.asks.breaker_failures = 2;
    f->cfg.asks.attempts = 1;
    f->cfg.sources.dukcapil_url = NULL;
    make_ctx(f);
    f->src.mode[SRC_JKN] = DOWN;
    for (int i = 0; i < 2; i++) {
        encode_lookup(f, EVENT_ID, SITI, NAME_SITI, "");
        handle(f);
        complete(f);
    }
    assert_int_equal(2, f->src.requests[SRC_JKN]);
    f->src.mono += 10000;
    for (int i = 0; i < 3; i++) { /* one probe; it fails; the others fail at once */
        encode_lookup(f, EVENT_ID, SITI, NAME_SITI, "");
        handle(f);
    }
    complete(f);
    assert_int_equal(3, f->src.requests[SRC_JKN]);
    f->src.mono += 9000; /* reopened at the probe's failure: still open */
    f->src.mode[SRC_JKN] = UP;
    encode_lookup(f, EVENT_ID, SITI, NAME_SITI, "");
    handle(f);
    complete(f);
    assert_int_equal(3, f->src.requests[SRC_JKN]);
}

static void answers_are_cached_errors_are_not(void **state) {
    fixture *f = *state;
    json_decref(run_one(f, SITI, NAME_SITI));
    assert_int_equal(1, f->src.requests[SRC_JKN]);
    json_decref(run_one(f, SITI, NAME_SITI)); /* same question: from the cache */
    assert_int_equal(1, f->src.requests[SRC_JKN]);
    assert_int_equal(1, f->src.requests[SRC_DUK]);
    json_decref(run_one(f, SITI, "{\"name\":\"Siti N\"}")); /* another question: asked */
    assert_int_equal(2, f->src.requests[SRC_DUK]);
    json_decref(run_one(f, NOBODY, "{\"name\":\"X\"}")); /* NOT_FOUND is an answer: cached */
    json_t *e = run_one(f, NOBODY, "{\"name\":\"X\"}");
    assert_string_equal("NOT_FOUND", jstr(e, "payload.verdict"));
    json_decref(e);
    assert_int_equal(3, f->src.requests[SRC_DUK]);

    f->src.mono += 600000; /* the TTL passed */
    json_decref(run_one(f, SITI, NAME_SITI));
    assert_int_equal(4, f->src.requests[SRC_DUK]);

    /* an error is not remembered: once the source is back it is asked */
    f->src.mode[SRC_DUK] = DOWN;
    e = run_one(f, BUDI, "{\"name\":\"Budi Santoso\"}");
    assert_string_equal("UNAVAILABLE", jstr(e, "payload.evidence.1.status"));
    json_decref(e);
    int before = f->src.requests[SRC_DUK];
    f->src.mode[SRC_DUK] = UP;
    e = run_one(f, BUDI, "{\"name\":\"Budi Santoso\"}");
    assert_string_equal("FOUND", jstr(e, "payload.evidence.1.status"));
    assert_string_equal("CONTRADICTED", jstr(e, "payload.verdict"));
    json_decref(e);
    assert_int_equal(before + 1, f->src.requests[SRC_DUK]);
}

static void inflight_is_capped_and_outputs_keep_input_order(void **state) {
    fixture *f = *state;
    f->cfg.asks.inflight = 4;
    f->cfg.asks.cache_entries = 0;
    make_ctx(f);
    char ids[50][37];
    for (int i = 0; i < 50; i++) {
        vk_derive_event_id("test", "order", i, ids[i]);
        encode_lookup(f, ids[i], i % 2 ? BUDI : SITI,
                      i % 2 ? "{\"name\":\"Budi Santoso\"}" : NAME_SITI, "");
        handle(f);
        assert_true(f->src.in_flight <= 4);
    }
    complete(f);
    assert_int_equal(4, f->src.max_in_flight);
    assert_int_equal(100, f->src.requests[SRC_JKN] + f->src.requests[SRC_DUK]);
    assert_int_equal(50, f->out.n);
    for (int i = 0; i < 50; i++) {
        json_t *e = event_json(f, (size_t)i, NULL);
        assert_string_equal(ids[i], jstr(e, "causation_id"));
        assert_string_equal(i % 2 ? "CONTRADICTED" : "SUPPORTED", jstr(e, "payload.verdict"));
        json_decref(e);
    }
}

/* More asks than one storage block holds (256): each keeps its own question. */
static void big_batch_keeps_every_question(void **state) {
    fixture *f = *state;
    f->cfg.asks.cache_entries = 0;
    make_ctx(f);
    for (int i = 0; i < 300; i++) {
        char id[37];
        vk_derive_event_id("test", "big", i, id);
        encode_lookup(f, id, i % 2 ? BUDI : SITI, i % 2 ? "{\"name\":\"Budi Santoso\"}" : NAME_SITI,
                      "");
        handle(f);
    }
    complete(f);
    assert_int_equal(300, f->out.n);
    assert_int_equal(600, f->src.requests[SRC_JKN] + f->src.requests[SRC_DUK]);
    for (int i = 0; i < 300; i++) {
        json_t *e = event_json(f, (size_t)i, NULL);
        assert_string_equal(i % 2 ? "CONTRADICTED" : "SUPPORTED", jstr(e, "payload.verdict"));
        assert_string_equal(i % 2 ? "BUDI SANTOSO" : "SITI NURHALIZA",
                            jstr(e, "payload.evidence.0.fields.0.value"));
        json_decref(e);
    }
}

static void redelivery_gives_identical_events(void **state) {
    fixture *f = *state;
    f->cfg.asks.cache_entries = 0;
    make_ctx(f);
    vk_buf first = VK_BUF_INIT;
    json_decref(run_one(f, BUDI, "{\"name\":\"Budi Santoso\",\"sex\":\"L\"}"));
    vk_buf_append(&first, f->out.items[0].value.data, f->out.items[0].value.len);
    f->src.mono += 5000;
    json_decref(run_one(f, BUDI, "{\"name\":\"Budi Santoso\",\"sex\":\"L\"}"));
    assert_int_equal(first.len, f->out.items[0].value.len);
    assert_memory_equal(first.data, f->out.items[0].value.data, first.len);
    vk_buf_free(&first);
}

static void discard_drops_the_batch(void **state) {
    fixture *f = *state;
    for (int i = 0; i < 3; i++) {
        encode_lookup(f, EVENT_ID, SITI, NAME_SITI, "");
        handle(f);
    }
    lookup_discard(f->ctx);
    assert_int_equal(0, f->src.in_flight);
    complete(f);
    assert_int_equal(0, f->out.n);
    /* and the next batch works */
    json_decref(run_one(f, SITI, NAME_SITI));
}

static void bad_lookups_are_dead_letters(void **state) {
    fixture *f = *state;
    vk_buf_reset(&f->in);
    vk_buf_append_str(&f->in, "{\"nik\":\"3273025205850001\"}");
    assert_int_equal(VK_DEAD, handle_on(f, f->lookups_topic));
    assert_string_equal("DECODE", f->dead.code);
    encode_lookup(f, EVENT_ID, "3273025205850000", NAME_SITI, ""); /* serial 0000 */
    assert_int_equal(VK_DEAD, handle_on(f, f->lookups_topic));
    assert_string_equal("INVALID_NIK", f->dead.code);
    encode_lookup(f, "not-a-uuid", SITI, NAME_SITI, "");
    assert_int_equal(VK_DEAD, handle_on(f, f->lookups_topic));
    assert_string_equal("INVALID_EVENT_ID", f->dead.code);
    complete(f);
    assert_int_equal(0, f->out.n);
}

/* Sources over TLS, or over plain HTTP to a loopback literal only (the local stubs). */
static void source_urls_need_tls_off_loopback(void **state) {
    (void)state;
    char err[512];
    static const char *const ok[] = {
        "https://apijkn.bpjs-kesehatan.go.id/vclaim-rest",
        "https://10.1.2.3/dukcapil/verify",
        "http://127.0.0.1:8080",
        "http://127.3.4.5/x",
        "http://[::1]:9000/dukcapil/verify",
        "http://user:pw@127.0.0.1:1/",
    };
    static const char *const refused[] = {
        "http://10.1.2.3/dukcapil/verify",
        "http://localhost:8080",
        "http://128.0.0.1/",
        "http://[::2]:9000/",
        "http://127.0.0.1.evil.example/",
        "ftp://127.0.0.1/",
        "http://evil.example@10.0.0.1/",
        "http://[::1",
    };
    for (size_t i = 0; i < sizeof ok / sizeof *ok; i++)
        if (lk_http_url_check(ok[i], err, sizeof err))
            fail_msg("%s refused: %s", ok[i], err);
    for (size_t i = 0; i < sizeof refused / sizeof *refused; i++)
        if (lk_http_url_check(refused[i], err, sizeof err) == 0)
            fail_msg("%s accepted", refused[i]);
    lk_http_url_check("http://10.1.2.3/x", err, sizeof err);
    assert_non_null(strstr(err, "only to a loopback address"));
}

int main(void) {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(supported_by_both_sources),
        T(only_asked_fields_are_recorded),
        T(no_identity_change_asks_nobody),
        T(contradicted_by_dukcapil),
        T(not_found_anywhere),
        T(jkn_down_decided_by_dukcapil),
        T(source_errors_are_retried_then_unavailable),
        T(transient_failure_is_retried_within_the_batch),
        T(both_down_gives_unavailable_and_a_retry_lookup),
        T(retry_backoff_grows_and_is_capped),
        T(retry_not_yet_due_is_deferred),
        T(unconfigured_source_is_not_consulted),
        T(requests_follow_the_protocols),
        cmocka_unit_test(wib_date_boundaries),
        T(breaker_fails_fast_then_probes),
        T(breaker_probe_failure_reopens),
        T(answers_are_cached_errors_are_not),
        T(inflight_is_capped_and_outputs_keep_input_order),
        T(big_batch_keeps_every_question),
        T(redelivery_gives_identical_events),
        T(discard_drops_the_batch),
        T(bad_lookups_are_dead_letters),
        cmocka_unit_test(source_urls_need_tls_off_loopback),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
