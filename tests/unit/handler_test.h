/*
 * handler_test.h — what the stage handler tests share: encode a request, run a handler on its
 * bytes as the service loop would, and read back the TargetEvent or the dead-letter reason.
 *
 * Included by tests/unit/test_<svc>_handler.c (one program each), so the helpers are static.
 * Include after <cmocka.h>.
 */
#ifndef VK_HANDLER_TEST_H
#define VK_HANDLER_TEST_H

#include "vk_codec.h"
#include "vk_handler.h"
#include "vk_service.h"
#include "vk_uuid.h"
#include "vk_value.h"

#include <string.h>

typedef struct ht_fixture {
    vk_codec *codec;
    vk_encoder *req;   /* the request record the handler consumes */
    vk_decoder *event; /* TargetEvent, to read the output */
    vk_buf in;
    vk_outputs out;
    vk_dead dead;
} ht_fixture;

static void ht_init(ht_fixture *f, const char *request_schema) {
    char err[256];
    memset(f, 0, sizeof *f);
    f->codec = vk_codec_new(err, sizeof err);
    assert_non_null(f->codec);
    f->req = vk_encoder_new(f->codec, request_schema, err, sizeof err);
    f->event = vk_decoder_new(f->codec, VK_SCHEMA_TARGET_EVENT, err, sizeof err);
    assert_non_null(f->req);
    assert_non_null(f->event);
}

static void ht_free(ht_fixture *f) {
    vk_encoder_destroy(f->req);
    vk_decoder_destroy(f->event);
    vk_codec_destroy(f->codec);
    vk_buf_free(&f->in);
    vk_outputs_free(&f->out);
}

/** Runs @p fn on raw bytes, as the loop would (outputs and dead reset first). */
static vk_handled ht_run_bytes(ht_fixture *f, vk_handler_fn fn, void *ctx, const void *data,
                               size_t len) {
    rd_kafka_message_t m;
    memset(&m, 0, sizeof m);
    m.payload = (void *)data;
    m.len = len;
    vk_outputs_reset(&f->out);
    memset(&f->dead, 0, sizeof f->dead);
    return fn(ctx, &m, &f->out, &f->dead);
}

/** Encodes @p req (a value of f->req, filled by the test) and runs @p fn on it. */
static vk_handled ht_run(ht_fixture *f, vk_handler_fn fn, void *ctx, const avro_value_t *req) {
    char err[256];
    vk_buf_reset(&f->in);
    if (vk_encoder_write(f->req, req, &f->in, err, sizeof err))
        fail_msg("cannot encode the request: %s", err);
    return ht_run_bytes(f, fn, ctx, f->in.data, f->in.len);
}

/** Asserts a refusal with @p code whose reason holds every one of @p words (NULL-ended). */
static void ht_expect_dead_words(ht_fixture *f, vk_handled h, const char *code,
                                 const char *const *words) {
    if (h != VK_DEAD)
        fail_msg("expected %s, got outcome %d", code, (int)h);
    if (strcmp(code, f->dead.code) != 0)
        fail_msg("expected %s, got %s: %s", code, f->dead.code, f->dead.reason);
    for (; *words; words++)
        if (!strstr(f->dead.reason, *words))
            fail_msg("%s reason \"%s\" lacks \"%s\"", code, f->dead.reason, *words);
    assert_int_equal(0, f->out.n);
}
#define ht_expect_dead(f, h, code, ...)                                                            \
    ht_expect_dead_words((f), (h), (code), (const char *const[]){__VA_ARGS__, NULL})

/**
 * Asserts exactly one output, a TargetEvent on vaksin.target.events keyed by @p nik with
 * the envelope derived from the request (@p service, input id, occurred_at, source, actor),
 * payload branch @p branch; returns the payload in @p payload (valid until the next decode).
 */
static void ht_expect_event(ht_fixture *f, const char *service, const char *input_id,
                            int64_t occurred_at, const char *source, const char *actor,
                            const char *nik, vk_target_branch branch, avro_value_t *payload) {
    char err[256], id[37];
    const char *s;
    int64_t l = 0;
    int disc = -1;
    avro_value_t *e, u;
    assert_int_equal(1, f->out.n);
    assert_string_equal(VK_TOPIC_TARGET_EVENTS, f->out.items[0].topic);
    assert_int_equal(strlen(nik), f->out.items[0].key.len);
    assert_memory_equal(nik, f->out.items[0].key.data, strlen(nik));
    if (vk_decoder_decode(f->event, f->out.items[0].value.data, f->out.items[0].value.len, &e, err,
                          sizeof err))
        fail_msg("output is no TargetEvent: %s", err);
    vk_derive_event_id(service, input_id, 0, id);
    assert_int_equal(0, vk_value_get_str(e, "event_id", &s));
    assert_string_equal(id, s);
    assert_int_equal(0, vk_value_get_str(e, "causation_id", &s));
    assert_string_equal(input_id, s);
    assert_int_equal(0, vk_value_get_long(e, "occurred_at", &l));
    assert_int_equal(occurred_at, l);
    assert_int_equal(0, vk_value_get_str(e, "source", &s));
    assert_string_equal(source, s);
    assert_int_equal(0, vk_value_get_opt_str(e, "actor", &s));
    if (actor)
        assert_string_equal(actor, s);
    else
        assert_null(s);
    assert_int_equal(0, vk_value_get_str(e, "nik", &s));
    assert_string_equal(nik, s);
    assert_int_equal(0, vk_value_get_field(e, "payload", &u));
    assert_int_equal(0, avro_value_get_discriminant(&u, &disc));
    assert_int_equal((int)branch, disc);
    assert_int_equal(0, avro_value_get_current_branch(&u, payload));
}

/** Runs the same request twice and asserts byte-identical output (redelivery → same event). */
static void ht_expect_deterministic(ht_fixture *f, vk_handler_fn fn, void *ctx,
                                    const avro_value_t *req) {
    vk_buf first = VK_BUF_INIT;
    assert_int_equal(VK_OK, ht_run(f, fn, ctx, req));
    assert_int_equal(1, f->out.n);
    vk_buf_append(&first, f->out.items[0].value.data, f->out.items[0].value.len);
    assert_int_equal(VK_OK, ht_run(f, fn, ctx, req));
    assert_int_equal(1, f->out.n);
    assert_int_equal(first.len, f->out.items[0].value.len);
    assert_memory_equal(first.data, f->out.items[0].value.data, first.len);
    vk_buf_free(&first);
}

#endif
