/*
 * test_registration_handler.c — vaksin-registration's handler without Kafka or PostgreSQL:
 * RegistrationSubmitted bytes in, TargetEvent{Registered} (or a refusal, or a retry) out, with
 * a stub in place of the read model's ticket lookup.
 */
#include "handler.h"
#include "vk_ticket.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "handler_test.h"

#include <stdio.h>
#include <string.h>

#define EVENT_ID "0b4f5a7e-3c1d-4e8a-9f20-6d5c4b3a2918"
#define NOW_MS   1625097600000LL /* 2021-07-01T00:00:00Z */
#define NIK      "3273025205850001"

static const char secret[] = "registration-test-secret";

/* The read model, as the handler sees it: one answer for every lookup. */
typedef struct stub {
    int rc; /* 1 found, 0 unknown, -1 database error */
    const char *nik;
    int calls;
    char asked[64];
} stub;

static int stub_resolve(void *arg, const char *ticket, char nik_out[17], char *err, size_t errlen) {
    stub *s = arg;
    s->calls++;
    snprintf(s->asked, sizeof s->asked, "%s", ticket);
    if (s->rc == 1)
        snprintf(nik_out, 17, "%s", s->nik);
    if (s->rc < 0)
        snprintf(err, errlen, "connection refused");
    return s->rc;
}

typedef struct fixture {
    ht_fixture h;
    stub stub;
    reg_ctx *ctx;
    char ticket[VK_TICKET_LEN + 1]; /* NIK's ticket, canonical */
    char typed[32];                 /* the same as typed at a desk: lower case, hyphenated */
} fixture;

static int setup(void **state) {
    static fixture f;
    char err[256];
    ht_init(&f.h, VK_SCHEMA_REGISTRATION_SUBMITTED);
    f.ctx = reg_ctx_new(f.h.codec, stub_resolve, &f.stub, err, sizeof err);
    assert_non_null(f.ctx);
    vk_ticket_from_nik((const uint8_t *)secret, strlen(secret), NIK, f.ticket);
    size_t n = 0;
    for (size_t i = 0; f.ticket[i]; i++) {
        if (i == 4 || i == 8 || i == 12)
            f.typed[n++] = '-';
        char c = f.ticket[i];
        f.typed[n++] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
    }
    f.typed[n] = '\0';
    *state = &f;
    return 0;
}

static int teardown(void **state) {
    fixture *f = *state;
    reg_ctx_destroy(f->ctx);
    ht_free(&f->h);
    return 0;
}

/* Resets the stub to "found NIK" before each test. */
static int reset(void **state) {
    fixture *f = *state;
    f->stub = (stub){1, NIK, 0, ""};
    return 0;
}

typedef struct req {
    const char *event_id, *ticket, *nik, *facility, *actor;
    int32_t dose;
} req;

static req by_ticket(const fixture *f) {
    return (req){EVENT_ID, f->typed, NULL, " p3273020201 ", "desk-user-7", 1};
}

static req by_nik(void) {
    return (req){EVENT_ID, NULL, NIK, "3273015", NULL, 2};
}

static avro_value_t *build(fixture *f, const req *r) {
    avro_value_t *v = vk_encoder_value(f->h.req);
    assert_int_equal(0, vk_value_set_str(v, "event_id", r->event_id) |
                            vk_value_set_long(v, "occurred_at", NOW_MS) |
                            vk_value_set_str(v, "source", "pcare-web") |
                            vk_value_set_opt_str(v, "actor", r->actor) |
                            vk_value_set_opt_str(v, "ticket", r->ticket) |
                            vk_value_set_opt_str(v, "nik", r->nik) |
                            vk_value_set_str(v, "facility_code", r->facility) |
                            vk_value_set_int(v, "dose", r->dose));
    return v;
}

static vk_handled run(fixture *f, const req *r) {
    return ht_run(&f->h, reg_handle, f->ctx, build(f, r));
}

static void registers_by_ticket(void **state) {
    fixture *f = *state;
    req r = by_ticket(f);
    assert_int_equal(VK_OK, run(f, &r));
    assert_int_equal(1, f->stub.calls);
    assert_string_equal(f->ticket, f->stub.asked); /* asked in canonical form */
    avro_value_t p;
    const char *s;
    int32_t dose;
    ht_expect_event(&f->h, REGISTRATION_SERVICE, EVENT_ID, NOW_MS, "pcare-web", "desk-user-7", NIK,
                    VK_TARGET_REGISTERED, &p);
    assert_int_equal(0, vk_value_get_opt_str(&p, "ticket", &s));
    assert_non_null(s);
    assert_string_equal(f->ticket, s);
    assert_int_equal(0, vk_value_get_str(&p, "facility_code", &s));
    assert_string_equal("P3273020201", s);
    assert_int_equal(0, vk_value_get_int(&p, "dose", &dose));
    assert_int_equal(1, dose);
}

static void registers_by_nik(void **state) {
    fixture *f = *state;
    req r = by_nik();
    assert_int_equal(VK_OK, run(f, &r));
    assert_int_equal(0, f->stub.calls); /* nothing to resolve */
    avro_value_t p;
    const char *s;
    int32_t dose;
    ht_expect_event(&f->h, REGISTRATION_SERVICE, EVENT_ID, NOW_MS, "pcare-web", NULL, NIK,
                    VK_TARGET_REGISTERED, &p);
    assert_int_equal(0, vk_value_get_opt_str(&p, "ticket", &s));
    assert_null(s);
    assert_int_equal(0, vk_value_get_str(&p, "facility_code", &s));
    assert_string_equal("3273015", s);
    assert_int_equal(0, vk_value_get_int(&p, "dose", &dose));
    assert_int_equal(2, dose);
}

static void blank_counts_as_not_set(void **state) {
    fixture *f = *state;
    req r = by_nik();
    r.ticket = " ";
    assert_int_equal(VK_OK, run(f, &r));
    assert_int_equal(0, f->stub.calls);
    r = by_ticket(f);
    r.nik = "";
    assert_int_equal(VK_OK, run(f, &r));
    assert_int_equal(1, f->stub.calls);
}

static void same_input_same_output(void **state) {
    fixture *f = *state;
    req r = by_ticket(f);
    ht_expect_deterministic(&f->h, reg_handle, f->ctx, build(f, &r));
    r = by_nik();
    ht_expect_deterministic(&f->h, reg_handle, f->ctx, build(f, &r));
}

static void unknown_ticket_is_refused(void **state) {
    fixture *f = *state;
    f->stub.rc = 0;
    req r = by_ticket(f);
    ht_expect_dead(&f->h, run(f, &r), "UNKNOWN_TICKET", f->ticket, "is not known",
                   "not yet imported", "mistyped");
}

static void database_error_is_retried(void **state) {
    fixture *f = *state;
    f->stub.rc = -1;
    req r = by_ticket(f);
    assert_int_equal(VK_RETRY, run(f, &r));
    assert_int_equal(0, f->h.out.n);
    assert_string_equal("", f->h.dead.code); /* never a dead letter on an outage */
    f->stub.rc = 1;                          /* back up: the same request now goes through */
    assert_int_equal(VK_OK, run(f, &r));
    assert_int_equal(1, f->h.out.n);
}

static void both_or_neither_is_refused(void **state) {
    fixture *f = *state;
    req r = by_ticket(f);
    r.nik = NIK;
    ht_expect_dead(&f->h, run(f, &r), "INVALID_REQUEST", "both ticket and nik", "exactly one");
    r.ticket = NULL;
    r.nik = NULL;
    ht_expect_dead(&f->h, run(f, &r), "INVALID_REQUEST", "neither ticket nor nik", "exactly one");
    r.ticket = "";
    r.nik = "  ";
    ht_expect_dead(&f->h, run(f, &r), "INVALID_REQUEST", "neither");
    assert_int_equal(0, f->stub.calls);
}

static void bad_ticket_is_refused(void **state) {
    fixture *f = *state;
    req r = by_ticket(f);
    char wrong[sizeof f->ticket];
    memcpy(wrong, f->ticket, sizeof wrong);
    wrong[VK_TICKET_LEN - 1] = wrong[VK_TICKET_LEN - 1] == '0' ? '1' : '0'; /* check symbol */
    r.ticket = wrong;
    ht_expect_dead(&f->h, run(f, &r), "INVALID_TICKET", "ticket", "check symbol");
    r.ticket = "ABC";
    ht_expect_dead(&f->h, run(f, &r), "INVALID_TICKET", "\"ABC\"", "3 symbols");
    r.ticket = "ABCD#EFGH";
    ht_expect_dead(&f->h, run(f, &r), "INVALID_TICKET", "'#'", "position 5");
    assert_int_equal(0, f->stub.calls); /* refused before any lookup */
}

static void bad_fields_are_refused(void **state) {
    fixture *f = *state;
    req r = by_nik();
    r.nik = "327302520585001";
    ht_expect_dead(&f->h, run(f, &r), "INVALID_NIK", "nik:", "15 digits");
    r = by_nik();
    r.nik = "9973025205850001";
    ht_expect_dead(&f->h, run(f, &r), "INVALID_NIK", "nik:", "province");
    r = by_nik();
    r.dose = 0;
    ht_expect_dead(&f->h, run(f, &r), "INVALID_DOSE", "dose: 0", "1 to 8");
    r.dose = 9;
    ht_expect_dead(&f->h, run(f, &r), "INVALID_DOSE", "dose: 9", "1 to 8");
    r = by_nik();
    r.facility = "P32-73";
    ht_expect_dead(&f->h, run(f, &r), "INVALID_FACILITY", "facility_code", "\"P32-73\"");
    r.facility = "";
    ht_expect_dead(&f->h, run(f, &r), "INVALID_FACILITY", "facility_code");
    r = by_nik();
    r.event_id = "not-a-uuid";
    ht_expect_dead(&f->h, run(f, &r), "INVALID_EVENT_ID", "event_id", "not-a-uuid");
    /* A ticket request with a bad dose or facility costs no lookup. */
    r = by_ticket(f);
    r.dose = 9;
    ht_expect_dead(&f->h, run(f, &r), "INVALID_DOSE", "dose");
    r = by_ticket(f);
    r.facility = "P 32";
    ht_expect_dead(&f->h, run(f, &r), "INVALID_FACILITY", "facility_code");
    assert_int_equal(0, f->stub.calls);
}

static void resolved_nik_is_checked(void **state) {
    fixture *f = *state;
    f->stub.nik = "0000000000000000";
    req r = by_ticket(f);
    ht_expect_dead(&f->h, run(f, &r), "INVALID_NIK", "nik:");
}

static void garbage_is_refused(void **state) {
    fixture *f = *state;
    static const char json[] = "{\"ticket\":\"X\"}";
    ht_expect_dead(&f->h, ht_run_bytes(&f->h, reg_handle, f->ctx, json, sizeof json - 1), "DECODE",
                   "cannot decode RegistrationSubmitted");
}

int main(void) {
#define T(name) cmocka_unit_test_setup(name, reset)
    const struct CMUnitTest tests[] = {
        T(registers_by_ticket),        T(registers_by_nik),          T(blank_counts_as_not_set),
        T(same_input_same_output),     T(unknown_ticket_is_refused), T(database_error_is_retried),
        T(both_or_neither_is_refused), T(bad_ticket_is_refused),     T(bad_fields_are_refused),
        T(resolved_nik_is_checked),    T(garbage_is_refused),
    };
    return cmocka_run_group_tests_name("unit.registration_handler", tests, setup, teardown);
}
