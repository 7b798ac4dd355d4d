/*
 * test_ticket_handler.c — vaksin-ticket's handler without Kafka: TicketRequested bytes in,
 * TargetEvent bytes (or a dead-letter reason) out.
 */
#include "handler.h"
#include "vk_ticket.h"
#include "vk_time.h"
#include "vk_uuid.h"
#include "vk_value.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

typedef struct fixture {
    vk_codec *codec;
    ticket_ctx *ctx;
    vk_encoder *enc;
    vk_decoder *dec;
    vk_buf in;
    vk_outputs out;
} fixture;

static const char secret[] = "test-secret";
#define NOW_MS 1612137600000LL /* 2021-02-01 */

static int setup(void **state) {
    static fixture f;
    char err[256];
    memset(&f, 0, sizeof f);
    f.codec = vk_codec_new(err, sizeof err);
    assert_non_null(f.codec);
    f.ctx =
        ticket_ctx_new(f.codec, (const uint8_t *)secret, strlen(secret), NOW_MS, err, sizeof err);
    assert_non_null(f.ctx);
    f.enc = vk_encoder_new(f.codec, VK_SCHEMA_TICKET_REQUESTED, err, sizeof err);
    f.dec = vk_decoder_new(f.codec, VK_SCHEMA_TARGET_EVENT, err, sizeof err);
    assert_non_null(f.enc);
    assert_non_null(f.dec);
    *state = &f;
    return 0;
}

static int teardown(void **state) {
    fixture *f = *state;
    ticket_ctx_destroy(f->ctx);
    vk_encoder_destroy(f->enc);
    vk_decoder_destroy(f->dec);
    vk_codec_destroy(f->codec);
    vk_buf_free(&f->in);
    vk_outputs_free(&f->out);
    return 0;
}

typedef struct req {
    const char *event_id, *nik, *name, *phone, *facility;
    int32_t birth_date;
    int sex;                    /* -1 none, 0 L, 1 P */
    const char *source, *actor; /* the envelope: NULL source is "sisdmk-import" */
    int64_t occurred_at;        /* 0: NOW_MS */
    const char *category;       /* NULL: "PERAWAT" */
} req;

static req good(void) {
    int32_t bd;
    vk_date_to_days(1985, 5, 12, &bd);
    /* 3273 Kota Bandung, district 02, born 12-05-85 (+40 for a woman: 52), serial 0001 */
    return (req){"6f1c8a3e-6a55-4d2b-9a43-0d7d9c1e2a10",
                 "3273025205850001",
                 "  siti   nurhaliza ",
                 "0812-3456-7890",
                 "P3273020201",
                 bd,
                 1,
                 NULL,
                 NULL,
                 0,
                 NULL};
}

/* Encodes r and runs the handler on it. */
static vk_handled run(fixture *f, const req *r, vk_dead *dead) {
    char err[256];
    avro_value_t *v = vk_encoder_value(f->enc);
    assert_int_equal(
        0, vk_value_set_str(v, "event_id", r->event_id) |
               vk_value_set_long(v, "occurred_at", r->occurred_at ? r->occurred_at : NOW_MS) |
               vk_value_set_str(v, "source", r->source ? r->source : "sisdmk-import") |
               vk_value_set_opt_str(v, "actor", r->actor) | vk_value_set_str(v, "nik", r->nik) |
               vk_value_set_str(v, "name", r->name) |
               vk_value_set_int(v, "birth_date", r->birth_date) |
               vk_value_set_opt_enum(v, "sex", r->sex) |
               vk_value_set_opt_str(v, "phone", r->phone) |
               vk_value_set_opt_str(v, "category", r->category ? r->category : "PERAWAT") |
               vk_value_set_opt_str(v, "facility_code", r->facility) |
               vk_value_set_opt_int(v, "scheduled_date", false, 0) |
               vk_value_set_enum(v, "origin", 0));
    vk_buf_reset(&f->in);
    assert_int_equal(0, vk_encoder_write(f->enc, v, &f->in, err, sizeof err));
    rd_kafka_message_t m;
    memset(&m, 0, sizeof m);
    m.payload = f->in.data;
    m.len = f->in.len;
    vk_outputs_reset(&f->out);
    memset(dead, 0, sizeof *dead);
    return ticket_handle(f->ctx, &m, &f->out, dead);
}

static void issues_normalized_ticket(void **state) {
    fixture *f = *state;
    req r = good();
    vk_dead dead;
    assert_int_equal(VK_OK, run(f, &r, &dead));
    assert_int_equal(1, f->out.n);
    assert_string_equal(VK_TOPIC_TARGET_EVENTS, f->out.items[0].topic);
    assert_memory_equal(r.nik, f->out.items[0].key.data, 16);

    avro_value_t *e, payload, p, flags;
    char err[256], id[37], ticket[VK_TICKET_LEN + 1];
    assert_int_equal(0, vk_decoder_decode(f->dec, f->out.items[0].value.data,
                                          f->out.items[0].value.len, &e, err, sizeof err));
    const char *s;
    vk_derive_event_id(TICKET_SERVICE, r.event_id, 0, id);
    assert_int_equal(0, vk_value_get_str(e, "event_id", &s));
    assert_string_equal(id, s);
    assert_int_equal(0, vk_value_get_str(e, "causation_id", &s));
    assert_string_equal(r.event_id, s);
    assert_int_equal(0, vk_value_get_field(e, "payload", &payload));
    int disc;
    avro_value_get_discriminant(&payload, &disc);
    assert_int_equal(0, disc);
    avro_value_get_current_branch(&payload, &p);
    vk_ticket_from_nik((const uint8_t *)secret, strlen(secret), r.nik, ticket);
    assert_int_equal(0, vk_value_get_str(&p, "ticket", &s));
    assert_string_equal(ticket, s);
    assert_int_equal(0, vk_value_get_str(&p, "name", &s));
    assert_string_equal("SITI NURHALIZA", s);
    assert_int_equal(0, vk_value_get_opt_str(&p, "phone", &s));
    assert_string_equal("+6281234567890", s);
    size_t n;
    vk_value_get_field(&p, "flags", &flags);
    avro_value_get_size(&flags, &n);
    assert_int_equal(0, n);
}

static void same_input_same_output(void **state) {
    fixture *f = *state;
    req r = good();
    vk_dead dead;
    assert_int_equal(VK_OK, run(f, &r, &dead));
    vk_buf first = VK_BUF_INIT;
    vk_buf_append(&first, f->out.items[0].value.data, f->out.items[0].value.len);
    assert_int_equal(VK_OK, run(f, &r, &dead));
    assert_int_equal(first.len, f->out.items[0].value.len);
    assert_memory_equal(first.data, f->out.items[0].value.data, first.len);
    vk_buf_free(&first);
}

static void flags_mismatches(void **state) {
    fixture *f = *state;
    req r = good();
    vk_dead dead;
    r.sex = 0;         /* L, but the NIK's day 52 says woman */
    r.birth_date += 1; /* 13 May, NIK says 12 */
    assert_int_equal(VK_OK, run(f, &r, &dead));
    avro_value_t *e, payload, p, flags, item;
    char err[256];
    assert_int_equal(0, vk_decoder_decode(f->dec, f->out.items[0].value.data,
                                          f->out.items[0].value.len, &e, err, sizeof err));
    vk_value_get_field(e, "payload", &payload);
    avro_value_get_current_branch(&payload, &p);
    vk_value_get_field(&p, "flags", &flags);
    size_t n, len;
    const char *s;
    avro_value_get_size(&flags, &n);
    assert_int_equal(2, n);
    avro_value_get_by_index(&flags, 0, &item, NULL);
    avro_value_get_string(&item, &s, &len);
    assert_string_equal("NIK_BIRTH_DATE_MISMATCH", s);
    avro_value_get_by_index(&flags, 1, &item, NULL);
    avro_value_get_string(&item, &s, &len);
    assert_string_equal("NIK_SEX_MISMATCH", s);
}

static void expect_dead(fixture *f, const req *r, const char *code, const char *words) {
    vk_dead dead;
    assert_int_equal(VK_DEAD, run(f, r, &dead));
    assert_string_equal(code, dead.code);
    if (!strstr(dead.reason, words))
        fail_msg("reason \"%s\" lacks \"%s\"", dead.reason, words);
    assert_int_equal(0, f->out.n);
}

static void refuses_bad_fields(void **state) {
    fixture *f = *state;
    req r = good();
    r.nik = "327302520585001";
    expect_dead(f, &r, "INVALID_NIK", "nik:");
    r = good();
    r.nik = "9973025205850001";
    expect_dead(f, &r, "INVALID_NIK", "province");
    r = good();
    r.phone = "0812-ABC-7890";
    expect_dead(f, &r, "INVALID_PHONE", "phone:");
    r = good();
    r.name = "   ";
    expect_dead(f, &r, "INVALID_NAME", "name:");
    r = good();
    r.event_id = "not-a-uuid";
    expect_dead(f, &r, "INVALID_EVENT_ID", "event_id");
    r = good();
    r.facility = "P32-73";
    expect_dead(f, &r, "INVALID_FACILITY", "facility_code");
    r = good();
    r.birth_date = 20000; /* 2024: after "today" (2021-02-01) */
    expect_dead(f, &r, "INVALID_BIRTH_DATE", "birth_date");
    /* Free text: valid UTF-8 and at most its length, never cut. */
    char category[TICKET_MAX_CATEGORY + 2];
    memset(category, 'A', sizeof category - 1);
    category[sizeof category - 1] = '\0';
    r = good();
    r.category = category;
    expect_dead(f, &r, "INVALID_CATEGORY", "category: 65 bytes, at most 64");
    category[TICKET_MAX_CATEGORY] = '\0';
    vk_dead dead;
    assert_int_equal(VK_OK, run(f, &r, &dead));
    r.category = "LANSIA \xC3";
    expect_dead(f, &r, "INVALID_CATEGORY", "category: not valid UTF-8");
}

/* The envelope is checked at the edge: what the read model could not hold never leaves. */
static void refuses_bad_envelopes(void **state) {
    fixture *f = *state;
    req r = good();
    r.source = "éééééééééééééééééééééééééééééééééééééééé"; /* 40 × é: 80 bytes */
    expect_dead(f, &r, "INVALID_SOURCE", "source: 80 bytes, at most 63");
    r = good();
    r.source = "pcare\xff";
    expect_dead(f, &r, "INVALID_SOURCE", "not valid UTF-8");
    r = good();
    r.actor = "officer\xc3\x28"; /* a lead byte without its continuation */
    expect_dead(f, &r, "INVALID_ACTOR", "not valid UTF-8");
    r = good();
    r.actor = "0123456789012345678901234567890123456789012345678901234567890123"; /* 64 */
    expect_dead(f, &r, "INVALID_ACTOR", "64 bytes, at most 63");
    r = good();
    r.occurred_at = -300000000000000LL; /* year -7537 */
    expect_dead(f, &r, "INVALID_TIME", "occurred_at: -infinity is before 2020-01-01T00:00:00Z");
    r = good();
    r.occurred_at = 1577836799999LL; /* 2019-12-31T23:59:59.999Z */
    expect_dead(f, &r, "INVALID_TIME", "occurred_at: 2019-12-31T23:59:59.999Z is before");
    r = good();
    r.occurred_at = 300000000000000LL; /* year 11476: no timestamp to compare, beyond 9999 */
    expect_dead(f, &r, "INVALID_TIME", "occurred_at: infinity is after 9999-12-31T23:59:59Z");
    r = good();
    r.source = "ééééééééééééééééééééééééééééééé"; /* 31 × é: 62 bytes fit */
    r.actor = "petugas.1";
    vk_dead dead;
    assert_int_equal(VK_OK, run(f, &r, &dead));
}

static void refuses_garbage(void **state) {
    fixture *f = *state;
    rd_kafka_message_t m;
    memset(&m, 0, sizeof m);
    m.payload = "{\"nik\":\"1\"}";
    m.len = 11;
    vk_dead dead;
    assert_int_equal(VK_DEAD, ticket_handle(f->ctx, &m, &f->out, &dead));
    assert_string_equal("DECODE", dead.code);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(issues_normalized_ticket), cmocka_unit_test(same_input_same_output),
        cmocka_unit_test(flags_mismatches),         cmocka_unit_test(refuses_bad_fields),
        cmocka_unit_test(refuses_garbage),          cmocka_unit_test(refuses_bad_envelopes),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
