/*
 * test_verification_handler.c — vaksin-verification's handler without Kafka: AccessChanged
 * bytes feed the grants, VerificationRequested bytes in, and out either VerificationPending
 * plus a VerificationLookup (authorized), VerificationRefused (a rule refused it) or a
 * dead-letter reason (malformed).
 */
#include "handler.h"
#include "vk_ticket.h"
#include "vk_time.h"
#include "vk_uuid.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "handler_test.h"

#include <stdio.h>
#include <string.h>

#define HOUR     3600000LL
#define T0       1625097600000LL /* 2021-07-01T00:00:00Z */
#define REQ_ID   "7b1e4c2a-3d5f-4e6a-8b9c-0d1e2f3a4b5c"
#define NIK      "3273025205850001"
#define FAC      "P3273020201"
#define OFFICER  "officer.1"
#define SOURCE   "pcare-web"
#define CLINIC   "0901B001" /* in the reference table only (kab/kota 3171) */
#define SECRET   "verification-test-secret"
#define GRANT_ID "11111111-2222-4333-8444-555555555555"

enum { CORRECTION = 0, ADDITION = 1 };
enum { SEX_L = 0, SEX_P = 1 };

typedef struct fixture {
    ht_fixture h;
    vk_facility_map *facilities;
    verif_ctx *ctx;
    vk_encoder *access; /* AccessChanged */
    vk_decoder *lookup; /* VerificationLookup */
    vk_buf bytes;
    int refreshed;
} fixture;

static int setup(void **state) {
    static fixture f;
    char err[256];
    static const char csv[] = "code,name,kind,district\n" CLINIC ",KLINIK PRATAMA,KLINIK,3171\n";
    memset(&f, 0, sizeof f);
    ht_init(&f.h, VK_SCHEMA_VERIFICATION_REQUESTED);
    f.facilities = vk_facility_map_new();
    assert_non_null(f.facilities);
    assert_int_equal(0, vk_facility_map_load_csv(f.facilities, csv, strlen(csv), err, sizeof err));
    f.ctx = verif_ctx_new(f.h.codec, (const uint8_t *)SECRET, strlen(SECRET), f.facilities, err,
                          sizeof err);
    if (!f.ctx)
        fail_msg("verif_ctx_new: %s", err);
    f.access = vk_encoder_new(f.h.codec, VK_SCHEMA_ACCESS_CHANGED, err, sizeof err);
    f.lookup = vk_decoder_new(f.h.codec, VK_SCHEMA_VERIFICATION_LOOKUP, err, sizeof err);
    assert_non_null(f.access);
    assert_non_null(f.lookup);
    *state = &f;
    return 0;
}

static int teardown(void **state) {
    fixture *f = *state;
    verif_ctx_destroy(f->ctx);
    vk_facility_map_destroy(f->facilities);
    vk_encoder_destroy(f->access);
    vk_decoder_destroy(f->lookup);
    vk_buf_free(&f->bytes);
    ht_free(&f->h);
    return 0;
}

/* ---- Access events ---- */

typedef struct access_ev {
    const char *event_id, *actor, *user, *facility, *district;
    int action; /* 0 GRANT, 1 REVOKE */
    int64_t at;
    bool has_until;
    int64_t until;
} access_ev;

static access_ev grant_ev(const char *event_id, const char *facility, int64_t at) {
    return (access_ev){event_id, "dinkes.bandung", OFFICER, facility, "3273", 0, at, false, 0};
}

static void encode_access(fixture *f, const access_ev *a) {
    char err[256];
    avro_value_t *v = vk_encoder_value(f->access);
    assert_int_equal(
        0, vk_value_set_str(v, "event_id", a->event_id) |
               vk_value_set_long(v, "occurred_at", a->at) |
               vk_value_set_str(v, "source", "pcare-dinkes") |
               vk_value_set_opt_str(v, "actor", a->actor) |
               vk_value_set_enum(v, "action", a->action) | vk_value_set_str(v, "user_id", a->user) |
               vk_value_set_str(v, "facility_code", a->facility) |
               vk_value_set_str(v, "district_code", a->district) | vk_value_set_enum(v, "role", 0) |
               vk_value_set_opt_long(v, "valid_until", a->has_until, a->until));
    vk_buf_reset(&f->bytes);
    assert_int_equal(0, vk_encoder_write(f->access, v, &f->bytes, err, sizeof err));
}

static verif_access_outcome send_access(fixture *f, const access_ev *a, verif_access_note *note) {
    encode_access(f, a);
    return verif_access_apply(f->ctx, f->bytes.data, f->bytes.len, note);
}

static void access_ok(fixture *f, const access_ev *a) {
    verif_access_note note;
    verif_access_outcome o = send_access(f, a, &note);
    if (o != VERIF_ACCESS_APPLIED)
        fail_msg("access event %s: outcome %d %s %s", a->event_id, (int)o, note.code, note.reason);
}

/* ---- Requests ---- */

typedef struct req {
    const char *event_id, *actor, *nik, *facility, *reason;
    int64_t at;
    int kind;
    const char *name, *phone, *new_facility;
    bool has_birth, has_sched;
    int32_t birth, sched;
    int sex;
} req;

static int32_t date(int y, int m, int d) {
    int32_t days = 0;
    assert_int_equal(0, vk_date_to_days(y, m, d, &days));
    return days;
}

/* A CORRECTION of name, sex and phone, as a desk sends it (untidy). */
static req correction(void) {
    return (req){REQ_ID,
                 OFFICER,
                 NIK,
                 " p3273020201 ",
                 "nama salah ketik",
                 T0 + HOUR,
                 CORRECTION,
                 "  siti   nurhaliza ",
                 "0812-3456-7890",
                 NULL,
                 false,
                 false,
                 0,
                 0,
                 SEX_P};
}

/* An ADDITION with every field set. */
static req addition(void) {
    req r = correction();
    r.kind = ADDITION;
    r.has_birth = true;
    r.birth = date(1985, 5, 12);
    r.new_facility = "p3273010101";
    r.has_sched = true;
    r.sched = date(2021, 7, 15);
    return r;
}

static avro_value_t *build(fixture *f, const req *r) {
    avro_value_t *v = vk_encoder_value(f->h.req);
    avro_value_t ch;
    assert_int_equal(
        0, vk_value_set_str(v, "event_id", r->event_id) |
               vk_value_set_long(v, "occurred_at", r->at) | vk_value_set_str(v, "source", SOURCE) |
               vk_value_set_opt_str(v, "actor", r->actor) | vk_value_set_enum(v, "kind", r->kind) |
               vk_value_set_str(v, "nik", r->nik) |
               vk_value_set_str(v, "facility_code", r->facility) |
               vk_value_set_opt_str(v, "reason", r->reason) |
               vk_value_get_field(v, "changes", &ch) | vk_value_set_opt_str(&ch, "name", r->name) |
               vk_value_set_opt_int(&ch, "birth_date", r->has_birth, r->birth) |
               vk_value_set_opt_enum(&ch, "sex", r->sex) |
               vk_value_set_opt_str(&ch, "phone", r->phone) |
               vk_value_set_opt_str(&ch, "facility_code", r->new_facility) |
               vk_value_set_opt_int(&ch, "scheduled_date", r->has_sched, r->sched));
    return v;
}

static vk_handled run(fixture *f, const req *r) {
    return ht_run(&f->h, verif_handle, f->ctx, build(f, r));
}

/* ---- Reading the outputs ---- */

static void expect_str(const avro_value_t *rec, const char *field, const char *want) {
    const char *s = NULL;
    if (vk_value_get_opt_str(rec, field, &s) && vk_value_get_str(rec, field, &s))
        fail_msg("no string field %s", field);
    if (!want && s)
        fail_msg("%s: expected null, got \"%s\"", field, s);
    if (want && (!s || strcmp(want, s) != 0))
        fail_msg("%s: expected \"%s\", got \"%s\"", field, want, s ? s : "null");
}

static void expect_opt_int(const avro_value_t *rec, const char *field, bool has, int32_t want) {
    bool h = !has;
    int32_t v = 0;
    assert_int_equal(0, vk_value_get_opt_int(rec, field, &h, &v));
    assert_int_equal(has, h);
    if (has)
        assert_int_equal(want, v);
}

static void expect_opt_long(const avro_value_t *rec, const char *field, bool has, int64_t want) {
    bool h = !has;
    int64_t v = 0;
    assert_int_equal(0, vk_value_get_opt_long(rec, field, &h, &v));
    assert_int_equal(has, h);
    if (has)
        assert_int_equal(want, v);
}

/* The request part every output repeats: id, kind, facility, normalized changes, reason. */
static void expect_request(const avro_value_t *rec, const req *r, const char *facility,
                           const char *name, const char *phone, const char *new_facility) {
    avro_value_t ch;
    int kind = -1, sex = -2;
    expect_str(rec, "request_id", r->event_id);
    assert_int_equal(0, vk_value_get_enum(rec, "kind", &kind));
    assert_int_equal(r->kind, kind);
    expect_str(rec, "facility_code", facility);
    expect_str(rec, "reason", r->reason);
    assert_int_equal(0, vk_value_get_field(rec, "changes", &ch));
    expect_str(&ch, "name", name);
    expect_str(&ch, "phone", phone);
    expect_str(&ch, "facility_code", new_facility);
    expect_opt_int(&ch, "birth_date", r->has_birth, r->birth);
    expect_opt_int(&ch, "scheduled_date", r->has_sched, r->sched);
    assert_int_equal(0, vk_value_get_opt_enum(&ch, "sex", &sex));
    assert_int_equal(r->sex, sex);
}

static void expect_grant(const avro_value_t *rec, const char *grant_id, const char *facility,
                         int64_t granted_at, bool has_until, int64_t until) {
    avro_value_t g;
    int64_t l = 0;
    assert_int_equal(0, vk_value_get_field(rec, "grant", &g));
    expect_str(&g, "grant_event_id", grant_id);
    expect_str(&g, "user_id", OFFICER);
    expect_str(&g, "facility_code", facility);
    expect_str(&g, "district_code", "3273");
    expect_str(&g, "granted_by", "dinkes.bandung");
    assert_int_equal(0, vk_value_get_long(&g, "granted_at", &l));
    assert_int_equal(granted_at, l);
    expect_opt_long(&g, "valid_until", has_until, until);
}

/* Two outputs: the TargetEvent{VerificationPending} (its payload in *pending) and the lookup,
 * checked field by field against the request and the grant. */
static void expect_pending(fixture *f, const req *r, const char *ticket, const char *grant_id,
                           bool has_until, int64_t until) {
    char err[256], id[37];
    avro_value_t pending, *lk;
    int64_t l = 0;
    int32_t i = -1;
    const char *name = "SITI NURHALIZA", *phone = "+6281234567890";
    const char *new_facility = r->new_facility ? "P3273010101" : NULL;
    assert_int_equal(2, f->h.out.n);
    /* ht_expect_event checks exactly one output: look at the first alone. */
    f->h.out.n = 1;
    ht_expect_event(&f->h, VERIFICATION_SERVICE, r->event_id, r->at, SOURCE, r->actor, r->nik,
                    VK_TARGET_VERIFICATION_PENDING, &pending);
    f->h.out.n = 2;
    expect_request(&pending, r, FAC, name, phone, new_facility);
    expect_str(&pending, "ticket", ticket);
    expect_grant(&pending, grant_id, FAC, T0, has_until, until);

    const vk_output *o = &f->h.out.items[1];
    assert_string_equal(VK_TOPIC_VERIFICATION_LOOKUPS, o->topic);
    assert_int_equal(strlen(r->nik), o->key.len);
    assert_memory_equal(r->nik, o->key.data, o->key.len);
    if (vk_decoder_decode(f->lookup, o->value.data, o->value.len, &lk, err, sizeof err))
        fail_msg("second output is no VerificationLookup: %s", err);
    vk_derive_event_id(VERIFICATION_SERVICE, r->event_id, 1, id);
    expect_str(lk, "event_id", id);
    assert_int_equal(0, vk_value_get_long(lk, "occurred_at", &l));
    assert_int_equal(r->at, l);
    expect_str(lk, "source", SOURCE);
    expect_str(lk, "actor", r->actor);
    expect_str(lk, "nik", r->nik);
    expect_request(lk, r, FAC, name, phone, new_facility);
    expect_grant(lk, grant_id, FAC, T0, has_until, until);
    assert_int_equal(0, vk_value_get_int(lk, "attempt", &i));
    assert_int_equal(0, i);
    expect_opt_long(lk, "not_before", false, 0);
}

/* One TargetEvent{VerificationRefused} with @p code whose words hold each of @p words. */
static void expect_refused_words(fixture *f, const req *r, const char *code,
                                 const char *const *words) {
    avro_value_t p;
    const char *s;
    if (f->h.out.n != 1)
        fail_msg("expected a refusal %s, got %zu outputs (dead: %s %s)", code, f->h.out.n,
                 f->h.dead.code, f->h.dead.reason);
    ht_expect_event(&f->h, VERIFICATION_SERVICE, r->event_id, r->at, SOURCE, r->actor, r->nik,
                    VK_TARGET_VERIFICATION_REFUSED, &p);
    expect_request(&p, r, FAC, "SITI NURHALIZA", "+6281234567890",
                   r->new_facility ? "P3273010101" : NULL);
    expect_str(&p, "code", code);
    assert_int_equal(0, vk_value_get_str(&p, "refusal", &s));
    for (; *words; words++)
        if (!strstr(s, *words))
            fail_msg("%s refusal \"%s\" lacks \"%s\"", code, s, *words);
}
#define expect_refused(f, r, code, ...)                                                            \
    expect_refused_words((f), (r), (code), (const char *const[]){__VA_ARGS__, NULL})

/* ---- Malformed requests: dead letters ---- */

static void dead_letters_malformed(void **state) {
    fixture *f = *state;
    access_ev g = grant_ev(GRANT_ID, FAC, T0);
    access_ok(f, &g); /* authorized, so only the malformation can refuse */
    req r = correction();
    assert_int_equal(VK_OK, run(f, &r)); /* the baseline passes */

    ht_expect_dead(&f->h, ht_run_bytes(&f->h, verif_handle, f->ctx, "{\"nik\":1}", 9), "DECODE",
                   "VerificationRequested");
    r = correction();
    r.event_id = "not-a-uuid";
    ht_expect_dead(&f->h, run(f, &r), "INVALID_EVENT_ID", "event_id");
    r = correction();
    r.actor = NULL;
    ht_expect_dead(&f->h, run(f, &r), "MISSING_ACTOR", "actor");
    r.actor = "";
    ht_expect_dead(&f->h, run(f, &r), "MISSING_ACTOR", "actor");
    r = correction();
    r.nik = "327302520585000";
    ht_expect_dead(&f->h, run(f, &r), "INVALID_NIK", "nik:", "15 digits");
    r = correction();
    r.facility = "P32-73";
    ht_expect_dead(&f->h, run(f, &r), "INVALID_FACILITY", "facility_code: \"P32-73\"");
    r = correction();
    r.name = "Siti 2";
    ht_expect_dead(&f->h, run(f, &r), "INVALID_NAME", "changes.name:");
    r = correction();
    r.phone = "0812-ABC";
    ht_expect_dead(&f->h, run(f, &r), "INVALID_PHONE", "changes.phone:");
    char reason[VERIF_MAX_REASON + 2];
    memset(reason, 'x', sizeof reason - 1);
    reason[sizeof reason - 1] = '\0';
    r = correction();
    r.reason = reason;
    ht_expect_dead(&f->h, run(f, &r), "INVALID_REASON", "reason: 501 bytes, at most 500");
    r.reason = "salah \xFF";
    ht_expect_dead(&f->h, run(f, &r), "INVALID_REASON", "reason: not valid UTF-8");
    r = correction();
    r.has_birth = true;
    r.birth = date(2021, 7, 2); /* the day after the request */
    ht_expect_dead(&f->h, run(f, &r), "INVALID_BIRTH_DATE", "changes.birth_date: 2021-07-02",
                   "1900-01-01 .. 2021-07-01");
    r.birth = date(1899, 12, 31);
    ht_expect_dead(&f->h, run(f, &r), "INVALID_BIRTH_DATE", "1899-12-31");
    r.birth = date(2021, 7, 1); /* born on the request's day: plausible */
    assert_int_equal(VK_OK, run(f, &r));
    r = correction();
    r.new_facility = "RS #1";
    ht_expect_dead(&f->h, run(f, &r), "INVALID_FACILITY", "changes.facility_code: \"RS #1\"");
    r = correction();
    r.has_sched = true;
    r.sched = date(2020, 12, 31);
    ht_expect_dead(&f->h, run(f, &r), "INVALID_SCHEDULED_DATE",
                   "changes.scheduled_date: 2020-12-31");
    r.sched = date(2023, 7, 4);
    ht_expect_dead(&f->h, run(f, &r), "INVALID_SCHEDULED_DATE", "two years after 2021-07-01");
    r = correction();
    r.name = r.phone = NULL;
    r.sex = -1;
    ht_expect_dead(&f->h, run(f, &r), "NO_CHANGES", "changes: no field set");
    r.name = r.phone = ""; /* empty strings leave a field unchanged */
    ht_expect_dead(&f->h, run(f, &r), "NO_CHANGES", "changes: no field set");
    r = addition();
    r.has_birth = false;
    ht_expect_dead(&f->h, run(f, &r), "INCOMPLETE_ADDITION", "ADDITION", "birth_date not set");
    r = addition();
    r.name = NULL;
    ht_expect_dead(&f->h, run(f, &r), "INCOMPLETE_ADDITION", "name not set");
    /* Malformed input is a dead letter whoever sends it, authorized or not. */
    r = correction();
    r.actor = "stranger";
    r.phone = "12";
    ht_expect_dead(&f->h, run(f, &r), "INVALID_PHONE", "changes.phone:");
    assert_int_equal(0, verif_ctx_stats(f->ctx)->refused[VK_AUTHZ_NOT_AUTHORIZED]);
}

/* ---- Authorized ---- */

static void authorizes_correction(void **state) {
    fixture *f = *state;
    access_ev g = grant_ev(GRANT_ID, FAC, T0);
    g.has_until = true;
    g.until = T0 + 24 * HOUR;
    access_ok(f, &g);
    req r = correction();
    assert_int_equal(VK_OK, run(f, &r));
    expect_pending(f, &r, NULL, GRANT_ID, true, T0 + 24 * HOUR);
    assert_int_equal(1, verif_ctx_stats(f->ctx)->pending);
}

static void authorizes_addition_with_its_ticket(void **state) {
    fixture *f = *state;
    char ticket[VK_TICKET_LEN + 1];
    access_ev g = grant_ev(GRANT_ID, FAC, T0);
    access_ok(f, &g);
    req r = addition();
    assert_int_equal(VK_OK, run(f, &r));
    vk_ticket_from_nik((const uint8_t *)SECRET, strlen(SECRET), NIK, ticket);
    expect_pending(f, &r, ticket, GRANT_ID, false, 0);

    /* A redelivery gives byte-identical outputs, both of them. */
    vk_buf first[2] = {VK_BUF_INIT, VK_BUF_INIT};
    for (int i = 0; i < 2; i++)
        vk_buf_append(&first[i], f->h.out.items[i].value.data, f->h.out.items[i].value.len);
    assert_int_equal(VK_OK, run(f, &r));
    assert_int_equal(2, f->h.out.n);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(first[i].len, f->h.out.items[i].value.len);
        assert_memory_equal(first[i].data, f->h.out.items[i].value.data, first[i].len);
        vk_buf_free(&first[i]);
    }
}

/* ---- Refused by the access rule: VerificationRefused on the person's log ---- */

static void refuses_never_granted(void **state) {
    fixture *f = *state;
    req r = correction();
    assert_int_equal(VK_OK, run(f, &r));
    expect_refused(f, &r, "NOT_AUTHORIZED", "user officer.1", "no verifier grant");
    /* Another officer's grant does not help; a redelivery is refused the same, byte for byte. */
    access_ev g = grant_ev(GRANT_ID, FAC, T0);
    g.user = "officer.2";
    access_ok(f, &g);
    ht_expect_deterministic(&f->h, verif_handle, f->ctx, build(f, &r));
    expect_refused(f, &r, "NOT_AUTHORIZED", "user officer.1");
    assert_int_equal(3, verif_ctx_stats(f->ctx)->refused[VK_AUTHZ_NOT_AUTHORIZED]);
}

static void refuses_other_facility(void **state) {
    fixture *f = *state;
    access_ev g = grant_ev(GRANT_ID, "P3273010101", T0);
    access_ok(f, &g);
    req r = correction();
    assert_int_equal(VK_OK, run(f, &r));
    expect_refused(f, &r, "WRONG_FACILITY", "P3273010101", "not for facility " FAC);
}

static void refuses_revoked_before_the_request(void **state) {
    fixture *f = *state;
    access_ev g = grant_ev(GRANT_ID, FAC, T0);
    access_ok(f, &g);
    access_ev rv = grant_ev("22222222-2222-4333-8444-555555555555", FAC, T0 + 30 * 60000LL);
    rv.action = 1;
    rv.actor = "dinkes.kota.bandung";
    access_ok(f, &rv);
    req r = correction(); /* at T0 + 1 h */
    assert_int_equal(VK_OK, run(f, &r));
    expect_refused(f, &r, "GRANT_REVOKED",
                   "revoked at 2021-07-01T00:30:00Z by dinkes.kota.bandung");
}

static void honours_revocation_after_the_request(void **state) {
    fixture *f = *state;
    access_ev g = grant_ev(GRANT_ID, FAC, T0);
    access_ok(f, &g);
    access_ev rv = grant_ev("22222222-2222-4333-8444-555555555555", FAC, T0 + 2 * HOUR);
    rv.action = 1;
    access_ok(f, &rv);
    req r = correction(); /* made at T0 + 1 h, read after the revocation */
    assert_int_equal(VK_OK, run(f, &r));
    expect_pending(f, &r, NULL, GRANT_ID, false, 0);
}

static void refuses_expired(void **state) {
    fixture *f = *state;
    access_ev g = grant_ev(GRANT_ID, FAC, T0);
    g.has_until = true;
    g.until = T0 + HOUR; /* exactly the request's time */
    access_ok(f, &g);
    req r = correction();
    assert_int_equal(VK_OK, run(f, &r));
    expect_refused(f, &r, "GRANT_EXPIRED", "expired at 2021-07-01T01:00:00Z");
}

static void regrant_supersedes(void **state) {
    fixture *f = *state;
    const char *second = "33333333-2222-4333-8444-555555555555";
    access_ev g = grant_ev(GRANT_ID, FAC, T0 - 48 * HOUR);
    g.has_until = true;
    g.until = T0 - 24 * HOUR; /* expired a day before */
    access_ok(f, &g);
    g = grant_ev(second, FAC, T0); /* renewed, without end */
    access_ok(f, &g);
    req r = correction();
    assert_int_equal(VK_OK, run(f, &r));
    expect_pending(f, &r, NULL, second, false, 0);
}

static void grant_outside_district_never_authorizes(void **state) {
    fixture *f = *state;
    verif_access_note note;
    /* The Dinkes of 3204 (Kab. Bandung) grants at a facility of 3273 (Kota Bandung). */
    access_ev g = grant_ev(GRANT_ID, FAC, T0);
    g.district = "3204";
    assert_int_equal(VERIF_ACCESS_REFUSED, send_access(f, &g, &note));
    assert_string_equal("GRANT_OUTSIDE_DISTRICT", note.code);
    assert_string_equal(GRANT_ID, note.event_id);
    assert_string_equal("GRANT", note.action);
    req r = correction();
    assert_int_equal(VK_OK, run(f, &r));
    expect_refused(f, &r, "NOT_AUTHORIZED", "no verifier grant");
    /* With a valid grant elsewhere, the refused one is still no grant for this facility. */
    g = grant_ev("44444444-2222-4333-8444-555555555555", "P3273010101", T0);
    access_ok(f, &g);
    assert_int_equal(VK_OK, run(f, &r));
    expect_refused(f, &r, "WRONG_FACILITY", "P3273010101");
}

/* ---- Access events ---- */

static void access_events_as_the_projector(void **state) {
    fixture *f = *state;
    verif_access_note note;
    const verif_stats *s = verif_ctx_stats(f->ctx);
    /* A clinic known from the reference table only, in its own kab/kota. */
    access_ev g = grant_ev(GRANT_ID, CLINIC, T0);
    g.district = "3171";
    access_ok(f, &g);
    /* The same event again is dropped. */
    assert_int_equal(VERIF_ACCESS_DUPLICATE, send_access(f, &g, &note));
    /* Unknown facility. */
    g = grant_ev("55555555-2222-4333-8444-555555555555", "CLINICX", T0);
    assert_int_equal(VERIF_ACCESS_REFUSED, send_access(f, &g, &note));
    assert_string_equal("UNKNOWN_FACILITY", note.code);
    /* Not an AccessChanged; an event id that is no UUID. */
    assert_int_equal(VERIF_ACCESS_UNDECODABLE, verif_access_apply(f->ctx, "xx", 2, &note));
    assert_non_null(strstr(note.reason, "AccessChanged"));
    g = grant_ev("not-a-uuid", FAC, T0);
    assert_int_equal(VERIF_ACCESS_UNDECODABLE, send_access(f, &g, &note));
    assert_non_null(strstr(note.reason, "UUID"));
    assert_int_equal(1, s->access[VERIF_ACCESS_APPLIED]);
    assert_int_equal(1, s->access[VERIF_ACCESS_DUPLICATE]);
    assert_int_equal(1, s->access[VERIF_ACCESS_REFUSED]);
    assert_int_equal(2, s->access[VERIF_ACCESS_UNDECODABLE]);
    assert_int_equal(1, vk_grants_count(verif_ctx_grants(f->ctx)));
}

/* A schema source that answers as the test says. */
static int source_answer;
static const char *source_schema;
static int scripted_source(void *arg, int32_t id, char **schema_json, char *err, size_t errlen) {
    (void)arg;
    (void)id;
    if (source_answer == VK_SCHEMA_FOUND) {
        *schema_json = strdup(source_schema);
        return VK_SCHEMA_FOUND;
    }
    snprintf(err, errlen, "connection refused");
    return source_answer;
}

/* An access event framed with a registry id the codec has not seen, while the registry does not
 * answer: not applied and not skipped (the reader waits and applies it again), never counted
 * undecodable; once the registry answers it is applied. */
static void access_event_waits_for_the_registry(void **state) {
    fixture *f = *state;
    verif_access_note note;
    const verif_stats *s = verif_ctx_stats(f->ctx);
    access_ev g = grant_ev("66666666-2222-4333-8444-555555555555", FAC, T0);
    encode_access(f, &g);
    /* the datum framed 00 + id 4242 instead of single-object */
    vk_buf framed = VK_BUF_INIT;
    vk_buf_append(&framed, "\x00\x00\x00\x10\x92", 5);
    vk_buf_append(&framed, f->bytes.data + 10, f->bytes.len - 10);
    size_t grants = vk_grants_events(verif_ctx_grants(f->ctx));
    uint64_t undecodable = s->access[VERIF_ACCESS_UNDECODABLE];
    char *schema = vk_codec_schema_text(f->h.codec, VK_SCHEMA_ACCESS_CHANGED);
    source_schema = schema;
    source_answer = VK_SCHEMA_UNAVAILABLE;
    vk_codec_set_schema_source(f->h.codec, scripted_source, NULL, 0);
    assert_int_equal(VERIF_ACCESS_UNAVAILABLE,
                     verif_access_apply(f->ctx, framed.data, framed.len, &note));
    assert_non_null(strstr(note.reason, "schema registry id 4242 not fetched"));
    assert_int_equal(grants, vk_grants_events(verif_ctx_grants(f->ctx)));
    assert_int_equal(undecodable, s->access[VERIF_ACCESS_UNDECODABLE]);
    source_answer = VK_SCHEMA_FOUND;
    assert_int_equal(VERIF_ACCESS_APPLIED,
                     verif_access_apply(f->ctx, framed.data, framed.len, &note));
    assert_int_equal(grants + 1, vk_grants_events(verif_ctx_grants(f->ctx)));
    assert_int_equal(undecodable, s->access[VERIF_ACCESS_UNDECODABLE]);
    vk_codec_set_schema_source(f->h.codec, NULL, NULL, 0);
    free(schema);
    vk_buf_free(&framed);
}

/* The refresh hook runs before each decision: a grant it brings in counts at once. */
static void grant_arriving_through_refresh(void *arg) {
    fixture *f = arg;
    f->refreshed++;
    if (f->refreshed == 2) {
        access_ev g = grant_ev(GRANT_ID, FAC, T0);
        access_ok(f, &g);
    }
}

static void refresh_before_deciding(void **state) {
    fixture *f = *state;
    verif_ctx_set_refresh(f->ctx, grant_arriving_through_refresh, f);
    req r = correction();
    assert_int_equal(VK_OK, run(f, &r));
    expect_refused(f, &r, "NOT_AUTHORIZED", "officer.1");
    r.event_id = "8c2f5d3b-4e6a-4f7b-9cad-1e2f3a4b5c6d";
    assert_int_equal(VK_OK, run(f, &r));
    expect_pending(f, &r, NULL, GRANT_ID, false, 0);
    assert_int_equal(2, f->refreshed);
}

int main(void) {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(dead_letters_malformed),
        T(authorizes_correction),
        T(authorizes_addition_with_its_ticket),
        T(refuses_never_granted),
        T(refuses_other_facility),
        T(refuses_revoked_before_the_request),
        T(honours_revocation_after_the_request),
        T(refuses_expired),
        T(regrant_supersedes),
        T(grant_outside_district_never_authorizes),
        T(access_events_as_the_projector),
        T(access_event_waits_for_the_registry),
        T(refresh_before_deciding),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
