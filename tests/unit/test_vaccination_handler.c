/*
 * test_vaccination_handler.c — vaksin-vaccination's handler without Kafka: VaccinationSubmitted
 * bytes in, TargetEvent{Vaccinated} (or a refusal) out, against the default vaccine catalog.
 */
#include "handler.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "handler_test.h"

#include <string.h>

#define EVENT_ID "a1e0c7d2-94b3-4f5e-8a61-2b7c9d0e3f45"
#define NOW_MS   1625104800000LL /* 2021-07-01T02:00:00Z, when the desk sent the form */
#define DAY_MS   86400000LL
#define NIK      "3273025205850001"

typedef struct fixture {
    ht_fixture h;
    vk_catalog catalog;
    vaccination_ctx *ctx;
} fixture;

static int setup(void **state) {
    static fixture f;
    char err[256];
    ht_init(&f.h, VK_SCHEMA_VACCINATION_SUBMITTED);
    assert_int_equal(0, vk_catalog_defaults(&f.catalog));
    f.ctx = vaccination_ctx_new(f.h.codec, &f.catalog, err, sizeof err);
    assert_non_null(f.ctx);
    *state = &f;
    return 0;
}

static int teardown(void **state) {
    fixture *f = *state;
    vaccination_ctx_destroy(f->ctx);
    vk_catalog_free(&f->catalog);
    ht_free(&f->h);
    return 0;
}

typedef struct req {
    const char *event_id, *nik, *facility, *vaccine, *batch;
    int32_t dose;
    int64_t occurred_at, vaccinated_at;
} req;

static req good(void) {
    return (req){EVENT_ID, NIK,    "p3273020201 ",  " coronavac", " ab-2021/07a ",
                 2,        NOW_MS, NOW_MS - 3600000 /* given an hour before the form was sent */};
}

static avro_value_t *build(fixture *f, const req *r) {
    avro_value_t *v = vk_encoder_value(f->h.req);
    assert_int_equal(
        0, vk_value_set_str(v, "event_id", r->event_id) |
               vk_value_set_long(v, "occurred_at", r->occurred_at) |
               vk_value_set_str(v, "source", "pcare-mobile") |
               vk_value_set_opt_str(v, "actor", NULL) | vk_value_set_str(v, "nik", r->nik) |
               vk_value_set_int(v, "dose", r->dose) |
               vk_value_set_str(v, "facility_code", r->facility) |
               vk_value_set_str(v, "vaccine", r->vaccine) | vk_value_set_str(v, "batch", r->batch) |
               vk_value_set_long(v, "vaccinated_at", r->vaccinated_at));
    return v;
}

static vk_handled run(fixture *f, const req *r) {
    return ht_run(&f->h, vaccination_handle, f->ctx, build(f, r));
}

static void vaccinates(void **state) {
    fixture *f = *state;
    req r = good();
    assert_int_equal(VK_OK, run(f, &r));
    avro_value_t p;
    const char *s;
    int32_t dose;
    int64_t at;
    ht_expect_event(&f->h, VACCINATION_SERVICE, EVENT_ID, NOW_MS, "pcare-mobile", NULL, NIK,
                    VK_TARGET_VACCINATED, &p);
    assert_int_equal(0, vk_value_get_int(&p, "dose", &dose));
    assert_int_equal(2, dose);
    assert_int_equal(0, vk_value_get_str(&p, "facility_code", &s));
    assert_string_equal("P3273020201", s);
    assert_int_equal(0, vk_value_get_str(&p, "vaccine", &s));
    assert_string_equal("CORONAVAC", s);
    assert_int_equal(0, vk_value_get_str(&p, "batch", &s));
    assert_string_equal("AB-2021/07A", s);
    assert_int_equal(0, vk_value_get_long(&p, "vaccinated_at", &at));
    assert_int_equal(NOW_MS - 3600000, at);
}

static void every_catalog_vaccine_is_accepted(void **state) {
    fixture *f = *state;
    req r = good();
    for (size_t i = 0; i < f->catalog.n; i++) {
        r.vaccine = f->catalog.vaccines[i].code;
        assert_int_equal(VK_OK, run(f, &r));
    }
}

static void same_input_same_output(void **state) {
    fixture *f = *state;
    req r = good();
    ht_expect_deterministic(&f->h, vaccination_handle, f->ctx, build(f, &r));
}

static void unknown_vaccine_is_refused(void **state) {
    fixture *f = *state;
    req r = good();
    r.vaccine = "SPUTNIK";
    vk_handled h = run(f, &r);
    ht_expect_dead(&f->h, h, "UNKNOWN_VACCINE", "vaccine: \"SPUTNIK\"",
                   "not in the vaccine catalog");
    /* The reason names the code sent, nothing of the catalog. */
    for (size_t i = 0; i < f->catalog.n; i++)
        assert_null(strstr(f->h.dead.reason, f->catalog.vaccines[i].code));
    r.vaccine = "";
    ht_expect_dead(&f->h, run(f, &r), "UNKNOWN_VACCINE", "vaccine: \"\"");
    r.vaccine = "CORONAVAC_CORONAVAC_CORONAVAC_CORONAVAC"; /* longer than any code */
    ht_expect_dead(&f->h, run(f, &r), "UNKNOWN_VACCINE", "CORONAVAC_CORONAVAC");
}

static void bad_batch_is_refused(void **state) {
    fixture *f = *state;
    req r = good();
    r.batch = " ab ";
    ht_expect_dead(&f->h, run(f, &r), "INVALID_BATCH", "batch: \"AB\"", "2 characters", "3 to 32");
    r.batch = "abc";
    assert_int_equal(VK_OK, run(f, &r));
    r.batch = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"; /* 32 */
    assert_int_equal(VK_OK, run(f, &r));
    r.batch = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456"; /* 33 */
    ht_expect_dead(&f->h, run(f, &r), "INVALID_BATCH", "longer than 32");
    r.batch = "AB 123";
    ht_expect_dead(&f->h, run(f, &r), "INVALID_BATCH", "' ' at position 3",
                   "letters, digits, '/' and '-'");
    r.batch = "AB_123";
    ht_expect_dead(&f->h, run(f, &r), "INVALID_BATCH", "'_' at position 3");
    r.batch = "";
    ht_expect_dead(&f->h, run(f, &r), "INVALID_BATCH", "0 characters");
}

static void implausible_time_is_refused(void **state) {
    fixture *f = *state;
    const int64_t start = vaccination_programme_start_ms();
    assert_int_equal(1610470800000LL, start); /* 2021-01-12T17:00:00Z = 2021-01-13 00:00 WIB */
    req r = good();
    r.occurred_at = start + 3600000;
    r.vaccinated_at = start;
    assert_int_equal(VK_OK, run(f, &r));
    r.vaccinated_at = start - 1;
    ht_expect_dead(&f->h, run(f, &r), "INVALID_VACCINATED_AT",
                   "vaccinated_at: 2021-01-12T16:59:59Z", "before the programme started",
                   "2021-01-13");
    r.vaccinated_at = 1577836800000LL; /* 2020-01-01 */
    ht_expect_dead(&f->h, run(f, &r), "INVALID_VACCINATED_AT", "2020-01-01T00:00:00Z");
    r = good();
    r.vaccinated_at = NOW_MS + DAY_MS; /* a day ahead of the form: clock skew, still fine */
    assert_int_equal(VK_OK, run(f, &r));
    r.vaccinated_at = NOW_MS + DAY_MS + 1;
    ht_expect_dead(&f->h, run(f, &r), "INVALID_VACCINATED_AT", "2021-07-02T02:00:00Z",
                   "more than a day after the request", "2021-07-01T02:00:00Z");
    r.vaccinated_at = NOW_MS + 365 * DAY_MS; /* a wrong year */
    ht_expect_dead(&f->h, run(f, &r), "INVALID_VACCINATED_AT", "2022-07-01T02:00:00Z");
}

static void bad_fields_are_refused(void **state) {
    fixture *f = *state;
    req r = good();
    r.nik = "3273025213850001"; /* month 13 */
    ht_expect_dead(&f->h, run(f, &r), "INVALID_NIK", "nik:", "month");
    r = good();
    r.dose = -1;
    ht_expect_dead(&f->h, run(f, &r), "INVALID_DOSE", "dose: -1", "1 to 8");
    r.dose = 9;
    ht_expect_dead(&f->h, run(f, &r), "INVALID_DOSE", "dose: 9");
    r = good();
    r.facility = "ABCDEFGHIJKLMNOPQRSTU"; /* 21 */
    ht_expect_dead(&f->h, run(f, &r), "INVALID_FACILITY", "facility_code", "at most 20");
    r = good();
    r.event_id = "";
    ht_expect_dead(&f->h, run(f, &r), "INVALID_EVENT_ID", "event_id");
    ht_expect_dead(&f->h, ht_run_bytes(&f->h, vaccination_handle, f->ctx, "", 0), "DECODE",
                   "cannot decode VaccinationSubmitted", "empty");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(vaccinates),
        cmocka_unit_test(every_catalog_vaccine_is_accepted),
        cmocka_unit_test(same_input_same_output),
        cmocka_unit_test(unknown_vaccine_is_refused),
        cmocka_unit_test(bad_batch_is_refused),
        cmocka_unit_test(implausible_time_is_refused),
        cmocka_unit_test(bad_fields_are_refused),
    };
    return cmocka_run_group_tests_name("unit.vaccination_handler", tests, setup, teardown);
}
