/*
 * test_screening_handler.c — vaksin-screening's handler without Kafka: ScreeningSubmitted bytes
 * in, TargetEvent{Screened} (or a refusal) out, against the default limits (37.5 °C, 180/110)
 * and against configured ones.
 */
#include "handler.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "handler_test.h"

#include <stdio.h>
#include <string.h>

#define EVENT_ID "5d9b2c1e-8f47-4a36-b0e2-7c1d3e5f9a24"
#define NOW_MS   1625101200000LL /* 2021-07-01T01:00:00Z */
#define NIK      "3273025205850001"

enum { PROCEED = 0, POSTPONE = 1, NOT_GIVEN = 2 };

typedef struct fixture {
    ht_fixture h;
    screening_ctx *ctx;    /* default limits */
    screening_ctx *ctx_38; /* max temperature 37.6, systolic 160, diastolic 100 */
} fixture;

static int setup(void **state) {
    static fixture f;
    char err[256];
    vk_catalog cat;
    ht_init(&f.h, VK_SCHEMA_SCREENING_SUBMITTED);
    assert_int_equal(0, vk_catalog_defaults(&cat));
    f.ctx = screening_ctx_new(f.h.codec, &cat.limits, err, sizeof err);
    vk_catalog_free(&cat);
    vk_screening_limits strict = {37.6, 160, 100};
    f.ctx_38 = screening_ctx_new(f.h.codec, &strict, err, sizeof err);
    assert_non_null(f.ctx);
    assert_non_null(f.ctx_38);
    *state = &f;
    return 0;
}

static int teardown(void **state) {
    fixture *f = *state;
    screening_ctx_destroy(f->ctx);
    screening_ctx_destroy(f->ctx_38);
    ht_free(&f->h);
    return 0;
}

typedef struct answer_in {
    const char *code;
    int yes;
} answer_in;

typedef struct req {
    const char *event_id, *nik, *facility, *note;
    int32_t dose;
    bool has_temp, has_sys, has_dia;
    float temp;
    int32_t sys, dia;
    const answer_in *answers;
    size_t n_answers;
    int result;
} req;

static const answer_in two_answers[] = {{"FEVER_14D", 0}, {"COVID_CONTACT", 1}};

static req good(void) {
    return (req){
        EVENT_ID,    NIK, " p3273020201", "batuk ringan", 1, true, true, true, 36.6f, 120, 80,
        two_answers, 2,   PROCEED};
}

static avro_value_t *build(fixture *f, const req *r) {
    avro_value_t *v = vk_encoder_value(f->h.req);
    avro_value_t answers, item, yes;
    assert_int_equal(
        0,
        vk_value_set_str(v, "event_id", r->event_id) | vk_value_set_long(v, "occurred_at", NOW_MS) |
            vk_value_set_str(v, "source", "pcare-web") |
            vk_value_set_opt_str(v, "actor", "screener-2") | vk_value_set_str(v, "nik", r->nik) |
            vk_value_set_int(v, "dose", r->dose) |
            vk_value_set_str(v, "facility_code", r->facility) |
            vk_value_set_opt_float(v, "temperature_c", r->has_temp, r->temp) |
            vk_value_set_opt_int(v, "systolic", r->has_sys, r->sys) |
            vk_value_set_opt_int(v, "diastolic", r->has_dia, r->dia) |
            vk_value_set_enum(v, "result", r->result) | vk_value_set_opt_str(v, "note", r->note) |
            vk_value_get_field(v, "answers", &answers));
    for (size_t i = 0; i < r->n_answers; i++)
        assert_int_equal(0, avro_value_append(&answers, &item, NULL) |
                                vk_value_set_str(&item, "code", r->answers[i].code) |
                                vk_value_get_field(&item, "yes", &yes) |
                                avro_value_set_boolean(&yes, r->answers[i].yes));
    return v;
}

static vk_handled run_with(fixture *f, screening_ctx *ctx, const req *r) {
    return ht_run(&f->h, screening_handle, ctx, build(f, r));
}

static vk_handled run(fixture *f, const req *r) {
    return run_with(f, f->ctx, r);
}

static void screens(void **state) {
    fixture *f = *state;
    req r = good();
    assert_int_equal(VK_OK, run(f, &r));
    avro_value_t p, answers, item, yes;
    const char *s;
    int32_t i32;
    bool has;
    float temp;
    int e = -1, b = -1;
    size_t n = 0;
    ht_expect_event(&f->h, SCREENING_SERVICE, EVENT_ID, NOW_MS, "pcare-web", "screener-2", NIK,
                    VK_TARGET_SCREENED, &p);
    assert_int_equal(0, vk_value_get_int(&p, "dose", &i32));
    assert_int_equal(1, i32);
    assert_int_equal(0, vk_value_get_str(&p, "facility_code", &s));
    assert_string_equal("P3273020201", s);
    assert_int_equal(0, vk_value_get_opt_float(&p, "temperature_c", &has, &temp));
    assert_true(has);
    assert_true(temp == 36.6f);
    assert_int_equal(0, vk_value_get_opt_int(&p, "systolic", &has, &i32));
    assert_true(has);
    assert_int_equal(120, i32);
    assert_int_equal(0, vk_value_get_opt_int(&p, "diastolic", &has, &i32));
    assert_true(has);
    assert_int_equal(80, i32);
    assert_int_equal(0, vk_value_get_enum(&p, "result", &e));
    assert_int_equal(PROCEED, e);
    assert_int_equal(0, vk_value_get_opt_str(&p, "note", &s));
    assert_string_equal("batuk ringan", s);
    assert_int_equal(0, vk_value_get_field(&p, "answers", &answers));
    assert_int_equal(0, avro_value_get_size(&answers, &n));
    assert_int_equal(2, n);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(0, avro_value_get_by_index(&answers, i, &item, NULL));
        assert_int_equal(0, vk_value_get_str(&item, "code", &s));
        assert_string_equal(two_answers[i].code, s);
        assert_int_equal(0, vk_value_get_field(&item, "yes", &yes));
        assert_int_equal(0, avro_value_get_boolean(&yes, &b));
        assert_int_equal(two_answers[i].yes, b);
    }
}

static void proceed_without_figures(void **state) {
    fixture *f = *state;
    req r = good();
    r.has_temp = r.has_sys = r.has_dia = false;
    r.note = NULL;
    r.n_answers = 0;
    assert_int_equal(VK_OK, run(f, &r));
    avro_value_t p, answers;
    bool has;
    float temp;
    int32_t i32;
    const char *s;
    size_t n = 1;
    ht_expect_event(&f->h, SCREENING_SERVICE, EVENT_ID, NOW_MS, "pcare-web", "screener-2", NIK,
                    VK_TARGET_SCREENED, &p);
    assert_int_equal(0, vk_value_get_opt_float(&p, "temperature_c", &has, &temp));
    assert_false(has);
    assert_int_equal(0, vk_value_get_opt_int(&p, "systolic", &has, &i32));
    assert_false(has);
    assert_int_equal(0, vk_value_get_opt_int(&p, "diastolic", &has, &i32));
    assert_false(has);
    assert_int_equal(0, vk_value_get_opt_str(&p, "note", &s));
    assert_null(s);
    vk_value_get_field(&p, "answers", &answers);
    avro_value_get_size(&answers, &n);
    assert_int_equal(0, n);
}

static void postpone_with_fever_is_fine(void **state) {
    fixture *f = *state;
    req r = good();
    r.temp = 39.0f;
    r.sys = 190;
    r.dia = 120;
    r.result = POSTPONE;
    assert_int_equal(VK_OK, run(f, &r));
    r.result = NOT_GIVEN;
    assert_int_equal(VK_OK, run(f, &r));
}

static void same_input_same_output(void **state) {
    fixture *f = *state;
    req r = good();
    ht_expect_deterministic(&f->h, screening_handle, f->ctx, build(f, &r));
}

static void inconsistent_proceed_is_refused(void **state) {
    fixture *f = *state;
    req r = good();
    r.temp = 38.2f;
    ht_expect_dead(&f->h, run(f, &r), "INCONSISTENT_SCREENING", "PROCEED with temperature 38.2",
                   "at or above the 37.5 °C limit", "should be POSTPONE");
    r.temp = 37.5f; /* at the limit is refused */
    ht_expect_dead(&f->h, run(f, &r), "INCONSISTENT_SCREENING", "temperature 37.5 °C");
    r.temp = 37.4f; /* just below passes */
    assert_int_equal(VK_OK, run(f, &r));
    r = good();
    r.sys = 180;
    r.dia = 100;
    ht_expect_dead(&f->h, run(f, &r), "INCONSISTENT_SCREENING", "180/100",
                   "systolic at or above the 180 limit", "POSTPONE");
    r.sys = 179;
    assert_int_equal(VK_OK, run(f, &r));
    r = good();
    r.sys = 170;
    r.dia = 110;
    ht_expect_dead(&f->h, run(f, &r), "INCONSISTENT_SCREENING", "170/110",
                   "diastolic at or above the 110 limit");
    r.dia = 109;
    assert_int_equal(VK_OK, run(f, &r));
}

static void limits_come_from_configuration(void **state) {
    fixture *f = *state;
    req r = good();
    r.temp = 37.5f; /* refused by the default limit, accepted under 37.6 */
    assert_int_equal(VK_OK, run_with(f, f->ctx_38, &r));
    r.temp = 37.6f; /* typed as the configured limit: compared as a float, so at the limit */
    ht_expect_dead(&f->h, run_with(f, f->ctx_38, &r), "INCONSISTENT_SCREENING",
                   "temperature 37.6 °C", "the 37.6 °C limit");
    r = good();
    r.sys = 160;
    r.dia = 90;
    ht_expect_dead(&f->h, run_with(f, f->ctx_38, &r), "INCONSISTENT_SCREENING", "160/90",
                   "the 160 limit");
    r.sys = 150;
    r.dia = 100;
    ht_expect_dead(&f->h, run_with(f, f->ctx_38, &r), "INCONSISTENT_SCREENING", "150/100",
                   "diastolic", "the 100 limit");
}

static void implausible_figures_are_refused(void **state) {
    fixture *f = *state;
    req r = good();
    r.temp = 29.9f;
    ht_expect_dead(&f->h, run(f, &r), "INVALID_TEMPERATURE", "temperature_c: 29.9",
                   "outside 30 to 45");
    r.temp = 45.1f;
    ht_expect_dead(&f->h, run(f, &r), "INVALID_TEMPERATURE", "45.1");
    r.temp = 30.0f;
    assert_int_equal(VK_OK, run(f, &r)); /* the bounds are plausible */
    r.temp = 45.0f;
    r.result = POSTPONE;
    assert_int_equal(VK_OK, run(f, &r));
    r = good();
    r.sys = 49;
    ht_expect_dead(&f->h, run(f, &r), "INVALID_BLOOD_PRESSURE", "systolic: 49 mmHg",
                   "outside 50 to 300");
    r.sys = 301;
    ht_expect_dead(&f->h, run(f, &r), "INVALID_BLOOD_PRESSURE", "systolic: 301");
    r = good();
    r.dia = 29;
    ht_expect_dead(&f->h, run(f, &r), "INVALID_BLOOD_PRESSURE", "diastolic: 29 mmHg",
                   "outside 30 to 200");
    r.dia = 201;
    r.sys = 250;
    ht_expect_dead(&f->h, run(f, &r), "INVALID_BLOOD_PRESSURE", "diastolic: 201");
    r = good();
    r.sys = 80;
    r.dia = 80;
    ht_expect_dead(&f->h, run(f, &r), "INVALID_BLOOD_PRESSURE", "80/80",
                   "systolic must be above diastolic");
    r = good();
    r.has_dia = false;
    ht_expect_dead(&f->h, run(f, &r), "INVALID_BLOOD_PRESSURE", "systolic 120 without diastolic",
                   "both");
    r = good();
    r.has_sys = false;
    ht_expect_dead(&f->h, run(f, &r), "INVALID_BLOOD_PRESSURE", "diastolic 80 without systolic");
}

static void bad_answers_are_refused(void **state) {
    fixture *f = *state;
    req r = good();
    answer_in a[SCREENING_MAX_ANSWERS + 1];
    r.answers = a;
    r.n_answers = 1;
    a[0] = (answer_in){"", 1};
    ht_expect_dead(&f->h, run(f, &r), "INVALID_ANSWERS", "answers[0].code is empty");
    a[0] = (answer_in){"fever", 1};
    ht_expect_dead(&f->h, run(f, &r), "INVALID_ANSWERS", "answers[0].code", "'f' at position 1");
    a[0] = (answer_in){"FEVER 14D", 1};
    ht_expect_dead(&f->h, run(f, &r), "INVALID_ANSWERS", "' ' at position 6");
    a[0] = (answer_in){"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456", 1}; /* 33 */
    ht_expect_dead(&f->h, run(f, &r), "INVALID_ANSWERS", "33 characters", "at most 32");
    a[0] = (answer_in){"ABCDEFGHIJKLMNOPQRSTUVWXYZ012345", 1}; /* 32 */
    assert_int_equal(VK_OK, run(f, &r));
    r.n_answers = 3;
    a[0] = (answer_in){"Q1", 1};
    a[1] = (answer_in){"Q2", 0};
    a[2] = (answer_in){"Q1", 0};
    ht_expect_dead(&f->h, run(f, &r), "INVALID_ANSWERS", "answers[2].code: Q1", "answered twice",
                   "answers[0]");
    static char codes[SCREENING_MAX_ANSWERS + 1][8];
    for (size_t i = 0; i <= SCREENING_MAX_ANSWERS; i++) {
        snprintf(codes[i], sizeof codes[i], "Q%zu", i);
        a[i] = (answer_in){codes[i], 0};
    }
    r.n_answers = SCREENING_MAX_ANSWERS;
    assert_int_equal(VK_OK, run(f, &r));
    r.n_answers = SCREENING_MAX_ANSWERS + 1;
    ht_expect_dead(&f->h, run(f, &r), "INVALID_ANSWERS", "65 answers", "at most 64");
}

static void long_note_is_refused(void **state) {
    fixture *f = *state;
    char note[SCREENING_MAX_NOTE + 2];
    memset(note, 'x', sizeof note - 1);
    note[sizeof note - 1] = '\0';
    req r = good();
    r.note = note;
    ht_expect_dead(&f->h, run(f, &r), "INVALID_NOTE", "note: 501 bytes", "at most 500");
    note[SCREENING_MAX_NOTE] = '\0';
    assert_int_equal(VK_OK, run(f, &r));
    r.note = "demam \xE9 tinggi"; /* Latin-1, not UTF-8: the read model would refuse it */
    ht_expect_dead(&f->h, run(f, &r), "INVALID_NOTE", "note: not valid UTF-8");
}

static void bad_fields_are_refused(void **state) {
    fixture *f = *state;
    req r = good();
    r.nik = "32730252058500011";
    ht_expect_dead(&f->h, run(f, &r), "INVALID_NIK", "nik:", "17 digits");
    r = good();
    r.dose = 0;
    ht_expect_dead(&f->h, run(f, &r), "INVALID_DOSE", "dose: 0", "1 to 8");
    r.dose = 9;
    ht_expect_dead(&f->h, run(f, &r), "INVALID_DOSE", "dose: 9");
    r.dose = 8;
    assert_int_equal(VK_OK, run(f, &r));
    r = good();
    r.facility = "P3273_020201";
    ht_expect_dead(&f->h, run(f, &r), "INVALID_FACILITY", "facility_code", "P3273_020201");
    r = good();
    r.event_id = "5d9b2c1e";
    ht_expect_dead(&f->h, run(f, &r), "INVALID_EVENT_ID", "event_id");
    static const uint8_t garbage[] = {0xC3, 0x01, 1, 2, 3};
    ht_expect_dead(&f->h, ht_run_bytes(&f->h, screening_handle, f->ctx, garbage, sizeof garbage),
                   "DECODE", "cannot decode ScreeningSubmitted");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(screens),
        cmocka_unit_test(proceed_without_figures),
        cmocka_unit_test(postpone_with_fever_is_fine),
        cmocka_unit_test(same_input_same_output),
        cmocka_unit_test(inconsistent_proceed_is_refused),
        cmocka_unit_test(limits_come_from_configuration),
        cmocka_unit_test(implausible_figures_are_refused),
        cmocka_unit_test(bad_answers_are_refused),
        cmocka_unit_test(long_note_is_refused),
        cmocka_unit_test(bad_fields_are_refused),
    };
    return cmocka_run_group_tests_name("unit.screening_handler", tests, setup, teardown);
}
