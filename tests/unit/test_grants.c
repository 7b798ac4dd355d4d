/*
 * test_grants.c — the grant store of vaksin-verification (vk_grants): access events applied in
 * log order as the projector applies them, and the decision "active VERIFIER grant for this
 * facility at the time of the request" with each refusal and its words.
 */
#include "vk_grants.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#define HOUR  3600000LL
#define T0    1625097600000LL /* 2021-07-01T00:00:00Z */
#define USER  "officer.1"
#define FAC   "P3273020201"
#define OTHER "P3273010101"

typedef struct fx {
    vk_grants *s;
    int next_id;
    char ids[64][37];
} fx;

static int setup(void **state) {
    static fx f;
    memset(&f, 0, sizeof f);
    f.s = vk_grants_new();
    assert_non_null(f.s);
    *state = &f;
    return 0;
}

static int teardown(void **state) {
    fx *f = *state;
    vk_grants_destroy(f->s);
    return 0;
}

/* An access event with a fresh event id (kept in f->ids[returned index]). */
static vk_access_event ev(fx *f, vk_access_action action, const char *user, const char *facility,
                          const char *district, const char *actor, int64_t at) {
    int i = f->next_id++;
    snprintf(f->ids[i], sizeof f->ids[i], "00000000-0000-4000-8000-%012d", i);
    return (vk_access_event){f->ids[i], action,     actor, user,  facility,
                             district,  "VERIFIER", at,    false, 0};
}

/* The kab/kota of the test facilities, as the reference table or the pattern would give it. */
static const char *district_of(const char *facility) {
    static char d[5];
    return vk_facility_district_by_pattern(facility, d) ? d : NULL;
}

static vk_grants_outcome apply(fx *f, const vk_access_event *e, char *code) {
    char reason[512], c[32];
    vk_grants_outcome o = vk_grants_apply(f->s, e, district_of(e->facility_code), code ? code : c,
                                          32, reason, sizeof reason);
    if (o == VK_GRANTS_REFUSED)
        assert_true(strlen(reason) > 20);
    else
        assert_string_equal("", reason);
    return o;
}

static void grant(fx *f, const char *user, const char *facility, int64_t at) {
    vk_access_event e = ev(f, VK_ACCESS_GRANT, user, facility, "3273", "dinkes.bandung", at);
    assert_int_equal(VK_GRANTS_APPLIED, apply(f, &e, NULL));
}

static void revoke(fx *f, const char *user, const char *facility, int64_t at) {
    vk_access_event e = ev(f, VK_ACCESS_REVOKE, user, facility, "3273", "dinkes.kota", at);
    assert_int_equal(VK_GRANTS_APPLIED, apply(f, &e, NULL));
}

/* Decides and checks the outcome; the words must hold every one of @p words (NULL-ended). */
static const vk_grant_record *decide_words(fx *f, const char *user, const char *facility,
                                           int64_t at, vk_authz want, const char *const *words) {
    const vk_grant_record *g = (const vk_grant_record *)1;
    char out[512];
    vk_authz a = vk_grants_authorize(f->s, user, facility, "VERIFIER", at, &g, out, sizeof out);
    if (a != want)
        fail_msg("expected %s, got %s: %s", vk_authz_code(want), vk_authz_code(a), out);
    if (want == VK_AUTHZ_GRANTED) {
        assert_non_null(g);
        assert_string_equal("", out);
    } else {
        assert_null(g);
    }
    for (; *words; words++)
        if (!strstr(out, *words))
            fail_msg("%s words \"%s\" lack \"%s\"", vk_authz_code(a), out, *words);
    return g;
}
#define decide(f, user, facility, at, want, ...)                                                   \
    decide_words((f), (user), (facility), (at), (want), (const char *const[]){__VA_ARGS__, NULL})

static void never_granted(void **state) {
    fx *f = *state;
    decide(f, USER, FAC, T0, VK_AUTHZ_NOT_AUTHORIZED, "user officer.1",
           "no verifier grant at 2021-07-01T00:00:00Z");
    grant(f, "officer.2", FAC, T0); /* someone else's grant changes nothing */
    decide(f, USER, FAC, T0 + HOUR, VK_AUTHZ_NOT_AUTHORIZED, "officer.1");
    decide(f, "", FAC, T0 + HOUR, VK_AUTHZ_NOT_AUTHORIZED, "no verifier grant");
}

static void granted_from_its_time_on(void **state) {
    fx *f = *state;
    grant(f, USER, FAC, T0);
    const vk_grant_record *g = decide(f, USER, FAC, T0, VK_AUTHZ_GRANTED, "");
    assert_string_equal(f->ids[0], g->g.grant_event_id);
    assert_string_equal(USER, g->g.user_id);
    assert_string_equal(FAC, g->g.facility_code);
    assert_string_equal("3273", g->g.district_code);
    assert_string_equal("dinkes.bandung", g->g.granted_by);
    assert_int_equal(T0, g->g.granted_at);
    assert_false(g->g.has_valid_until);
    /* A request made before the grant is not covered by it; the words say it came later. */
    decide(f, USER, FAC, T0 - 1, VK_AUTHZ_NOT_AUTHORIZED, "made later, at 2021-07-01T00:00:00Z",
           "send the request again");
    assert_int_equal(1, vk_grants_count(f->s));
    assert_int_equal(1, vk_grants_open(f->s));
}

static void other_facilities_only(void **state) {
    fx *f = *state;
    grant(f, USER, OTHER, T0);
    grant(f, USER, "3273015", T0);
    decide(f, USER, FAC, T0 + HOUR, VK_AUTHZ_WRONG_FACILITY, "officer.1", "3273015, " OTHER,
           "not for facility " FAC);
    /* A grant for another facility held only later is no grant at the time. */
    decide(f, USER, FAC, T0 - HOUR, VK_AUTHZ_NOT_AUTHORIZED, "officer.1");
    decide(f, USER, OTHER, T0 + HOUR, VK_AUTHZ_GRANTED, "");
}

static void many_other_facilities_are_counted(void **state) {
    fx *f = *state;
    const char *codes[] = {"P3273010101", "P3273010201", "P3273010301", "P3273010401",
                           "P3273010501", "P3273010601", "P3273010701"};
    for (int i = 0; i < 7; i++)
        grant(f, USER, codes[i], T0);
    grant(f, USER, codes[0], T0 + 1); /* a re-grant: still one facility */
    decide(f, USER, FAC, T0 + HOUR, VK_AUTHZ_WRONG_FACILITY, "and 2 more");
}

static void revoked_before_the_request(void **state) {
    fx *f = *state;
    grant(f, USER, FAC, T0);
    revoke(f, USER, FAC, T0 + HOUR);
    decide(f, USER, FAC, T0 + 2 * HOUR, VK_AUTHZ_GRANT_REVOKED, "officer.1", FAC,
           "revoked at 2021-07-01T01:00:00Z by dinkes.kota");
    /* Revoked at exactly the request's time: no longer active. */
    decide(f, USER, FAC, T0 + HOUR, VK_AUTHZ_GRANT_REVOKED, "revoked");
    assert_int_equal(0, vk_grants_open(f->s));
    assert_int_equal(1, vk_grants_count(f->s));
}

static void revoked_after_the_request(void **state) {
    fx *f = *state;
    grant(f, USER, FAC, T0);
    revoke(f, USER, FAC, T0 + 2 * HOUR);
    /* Read after the revocation, but made before it: decided at its own time. */
    const vk_grant_record *g = decide(f, USER, FAC, T0 + HOUR, VK_AUTHZ_GRANTED, "");
    assert_string_equal(f->ids[0], g->g.grant_event_id);
    assert_true(g->g.revoked);
    assert_int_equal(T0 + 2 * HOUR, g->closed_at);
    assert_string_equal("dinkes.kota", g->closed_by);
    assert_string_equal(f->ids[1], g->close_event_id);
    assert_false(g->superseded);
}

static void expired(void **state) {
    fx *f = *state;
    vk_access_event e = ev(f, VK_ACCESS_GRANT, USER, FAC, "3273", "dinkes.bandung", T0);
    e.has_valid_until = true;
    e.valid_until = T0 + 24 * HOUR;
    assert_int_equal(VK_GRANTS_APPLIED, apply(f, &e, NULL));
    const vk_grant_record *g = decide(f, USER, FAC, T0 + 24 * HOUR - 1, VK_AUTHZ_GRANTED, "");
    assert_true(g->g.has_valid_until);
    assert_int_equal(T0 + 24 * HOUR, g->g.valid_until);
    decide(f, USER, FAC, T0 + 24 * HOUR, VK_AUTHZ_GRANT_EXPIRED, "officer.1", FAC,
           "expired at 2021-07-02T00:00:00Z", "granted at 2021-07-01T00:00:00Z by dinkes.bandung");
    /* Expiry is not applied in log order: the expired grant can still be revoked. */
    revoke(f, USER, FAC, T0 + 48 * HOUR);
    decide(f, USER, FAC, T0 + 36 * HOUR, VK_AUTHZ_GRANT_EXPIRED, "expired"); /* expired first */
    decide(f, USER, FAC, T0 + 49 * HOUR, VK_AUTHZ_GRANT_EXPIRED, "expired");
}

static void revoked_then_past_its_date(void **state) {
    fx *f = *state;
    vk_access_event e = ev(f, VK_ACCESS_GRANT, USER, FAC, "3273", "dinkes.bandung", T0);
    e.has_valid_until = true;
    e.valid_until = T0 + 24 * HOUR;
    assert_int_equal(VK_GRANTS_APPLIED, apply(f, &e, NULL));
    revoke(f, USER, FAC, T0 + HOUR);
    decide(f, USER, FAC, T0 + 48 * HOUR, VK_AUTHZ_GRANT_REVOKED, "revoked at 2021-07-01T01:00");
}

static void regrant_supersedes(void **state) {
    fx *f = *state;
    vk_access_event e = ev(f, VK_ACCESS_GRANT, USER, FAC, "3273", "dinkes.bandung", T0);
    e.has_valid_until = true;
    e.valid_until = T0 + 24 * HOUR;
    assert_int_equal(VK_GRANTS_APPLIED, apply(f, &e, NULL));
    e = ev(f, VK_ACCESS_GRANT, USER, FAC, "3273", "dinkes.bandung.2", T0 + 12 * HOUR);
    e.has_valid_until = true;
    e.valid_until = T0 + 72 * HOUR; /* extended */
    assert_int_equal(VK_GRANTS_APPLIED, apply(f, &e, NULL));
    assert_int_equal(2, vk_grants_count(f->s));
    assert_int_equal(1, vk_grants_open(f->s));
    /* Before the re-grant the first one authorizes; after it the second, also past the
     * first's valid_until. */
    const vk_grant_record *g = decide(f, USER, FAC, T0 + HOUR, VK_AUTHZ_GRANTED, "");
    assert_string_equal(f->ids[0], g->g.grant_event_id);
    assert_true(g->superseded);
    assert_int_equal(T0 + 12 * HOUR, g->closed_at);
    assert_string_equal("dinkes.bandung.2", g->closed_by);
    g = decide(f, USER, FAC, T0 + 12 * HOUR, VK_AUTHZ_GRANTED, "");
    assert_string_equal(f->ids[1], g->g.grant_event_id);
    g = decide(f, USER, FAC, T0 + 48 * HOUR, VK_AUTHZ_GRANTED, "");
    assert_string_equal(f->ids[1], g->g.grant_event_id);
    decide(f, USER, FAC, T0 + 72 * HOUR, VK_AUTHZ_GRANT_EXPIRED, "expired at 2021-07-04");
    /* One REVOKE closes the open (second) grant. */
    revoke(f, USER, FAC, T0 + 50 * HOUR);
    decide(f, USER, FAC, T0 + 51 * HOUR, VK_AUTHZ_GRANT_REVOKED, "revoked", "dinkes.kota");
    g = decide(f, USER, FAC, T0 + 49 * HOUR, VK_AUTHZ_GRANTED, "");
    assert_string_equal(f->ids[1], g->g.grant_event_id);
}

static void regrant_after_revoke(void **state) {
    fx *f = *state;
    grant(f, USER, FAC, T0);
    revoke(f, USER, FAC, T0 + HOUR);
    grant(f, USER, FAC, T0 + 2 * HOUR);
    decide(f, USER, FAC, T0 + 90 * 60000LL, VK_AUTHZ_GRANT_REVOKED, "revoked",
           "made later, at 2021-07-01T02:00:00Z");
    const vk_grant_record *g = decide(f, USER, FAC, T0 + 3 * HOUR, VK_AUTHZ_GRANTED, "");
    assert_string_equal(f->ids[2], g->g.grant_event_id);
}

static void refused_events_grant_nothing(void **state) {
    fx *f = *state;
    char code[32];
    /* Outside the granting Dinkes's kab/kota: the projector refuses it, so it never counts. */
    vk_access_event e = ev(f, VK_ACCESS_GRANT, USER, "P3204020201", "3273", "dinkes.bandung", T0);
    assert_int_equal(VK_GRANTS_REFUSED, apply(f, &e, code));
    assert_string_equal("GRANT_OUTSIDE_DISTRICT", code);
    decide(f, USER, "P3204020201", T0 + HOUR, VK_AUTHZ_NOT_AUTHORIZED, "no verifier grant");
    /* Unknown facility, missing actor, bad district. */
    e = ev(f, VK_ACCESS_GRANT, USER, "CLINIC9", "3273", "dinkes.bandung", T0);
    assert_int_equal(VK_GRANTS_REFUSED, apply(f, &e, code));
    assert_string_equal("UNKNOWN_FACILITY", code);
    e = ev(f, VK_ACCESS_GRANT, USER, FAC, "3273", NULL, T0);
    assert_int_equal(VK_GRANTS_REFUSED, apply(f, &e, code));
    assert_string_equal("MISSING_ACTOR", code);
    e = ev(f, VK_ACCESS_GRANT, USER, FAC, "327", "dinkes.bandung", T0);
    assert_int_equal(VK_GRANTS_REFUSED, apply(f, &e, code));
    assert_string_equal("INVALID_DISTRICT", code);
    assert_int_equal(0, vk_grants_count(f->s));
    decide(f, USER, FAC, T0 + HOUR, VK_AUTHZ_NOT_AUTHORIZED, "no verifier grant");
    /* A revocation by another kab/kota's Dinkes leaves the grant active. */
    grant(f, USER, FAC, T0);
    e = ev(f, VK_ACCESS_REVOKE, USER, FAC, "3204", "dinkes.kab.bandung", T0 + HOUR);
    assert_int_equal(VK_GRANTS_REFUSED, apply(f, &e, code));
    assert_string_equal("REVOKE_OUTSIDE_DISTRICT", code);
    decide(f, USER, FAC, T0 + 2 * HOUR, VK_AUTHZ_GRANTED, "");
    /* Nothing to revoke for another facility. */
    e = ev(f, VK_ACCESS_REVOKE, USER, OTHER, "3273", "dinkes.kota", T0 + HOUR);
    assert_int_equal(VK_GRANTS_REFUSED, apply(f, &e, code));
    assert_string_equal("NO_ACTIVE_GRANT", code);
    assert_int_equal(7, vk_grants_events(f->s));
}

static void duplicates_are_dropped(void **state) {
    fx *f = *state;
    grant(f, USER, FAC, T0);
    vk_access_event e = ev(f, VK_ACCESS_REVOKE, USER, FAC, "3273", "dinkes.kota", T0 + HOUR);
    assert_int_equal(VK_GRANTS_APPLIED, apply(f, &e, NULL));
    /* A redelivered GRANT (same event id) must not bring the revoked grant back. */
    e = ev(f, VK_ACCESS_GRANT, USER, FAC, "3273", "dinkes.bandung", T0);
    e.event_id = f->ids[0];
    assert_int_equal(VK_GRANTS_DUPLICATE, apply(f, &e, NULL));
    assert_int_equal(1, vk_grants_count(f->s));
    decide(f, USER, FAC, T0 + 2 * HOUR, VK_AUTHZ_GRANT_REVOKED, "revoked");
    /* A refused event's id is taken too, as in the projector's event_log. */
    e = ev(f, VK_ACCESS_GRANT, USER, "P3204020201", "3273", "dinkes.bandung", T0);
    assert_int_equal(VK_GRANTS_REFUSED, apply(f, &e, NULL));
    e.facility_code = FAC;
    assert_int_equal(VK_GRANTS_DUPLICATE, apply(f, &e, NULL));
    assert_int_equal(3, vk_grants_events(f->s));
}

static void authz_codes(void **state) {
    (void)state;
    assert_string_equal("GRANTED", vk_authz_code(VK_AUTHZ_GRANTED));
    assert_string_equal("NOT_AUTHORIZED", vk_authz_code(VK_AUTHZ_NOT_AUTHORIZED));
    assert_string_equal("WRONG_FACILITY", vk_authz_code(VK_AUTHZ_WRONG_FACILITY));
    assert_string_equal("GRANT_REVOKED", vk_authz_code(VK_AUTHZ_GRANT_REVOKED));
    assert_string_equal("GRANT_EXPIRED", vk_authz_code(VK_AUTHZ_GRANT_EXPIRED));
    assert_string_equal("TOO_OLD", vk_authz_code(VK_AUTHZ_TOO_OLD));
    assert_string_equal("CLOCK_SKEW", vk_authz_code(VK_AUTHZ_CLOCK_SKEW));
}

/* ---- Decided at the broker's time, not the client's ---- */

static void clock_skew(void **state) {
    (void)state;
    char words[512];
    int64_t at;
    /* No broker time known (a message not from librdkafka): occurred_at. */
    assert_int_equal(VK_AUTHZ_GRANTED, vk_authz_clock(T0, -1, 300000, &at, words, sizeof words));
    assert_int_equal(T0, at);
    /* Within the tolerance either way: decided at the broker's time. */
    assert_int_equal(VK_AUTHZ_GRANTED,
                     vk_authz_clock(T0 - 300000, T0, 300000, &at, words, sizeof words));
    assert_int_equal(T0, at);
    assert_int_equal(VK_AUTHZ_GRANTED,
                     vk_authz_clock(T0 + 300000, T0, 300000, &at, words, sizeof words));
    assert_int_equal(T0, at);
    assert_string_equal("", words);
    /* The backdating of the audit: revoked at 06:00, a request sent at 06:30 claiming 03:00. */
    int64_t sent = T0 + 6 * HOUR + 30 * 60000;
    assert_int_equal(VK_AUTHZ_CLOCK_SKEW,
                     vk_authz_clock(T0 + 3 * HOUR, sent, 300000, &at, words, sizeof words));
    assert_non_null(strstr(words, "made at 2021-07-01T03:00:00Z"));
    assert_non_null(strstr(words, "reached vaksin at 2021-07-01T06:30:00Z"));
    assert_non_null(strstr(words, "3 hours earlier"));
    assert_non_null(strstr(words, "more than 5 minutes"));
    assert_int_equal(VK_AUTHZ_CLOCK_SKEW,
                     vk_authz_clock(T0 + 10 * 60000 + 1, T0, 300000, &at, words, sizeof words));
    assert_non_null(strstr(words, "10 minutes later"));
    assert_int_equal(VK_AUTHZ_CLOCK_SKEW, vk_authz_clock(T0, T0 + 1, 0, &at, words, sizeof words));
    assert_non_null(strstr(words, "0 seconds earlier"));
}

/* ---- Bounded history ---- */

#define DAY (24 * HOUR)

static vk_grants_outcome apply_id(fx *f, vk_access_action action, const char *user,
                                  const char *facility, int64_t at, const char *id, char *code) {
    vk_access_event e = ev(f, action, user, facility, "3273", "dinkes.bandung", at);
    e.event_id = id;
    f->next_id--; /* ev's id is not used */
    return apply(f, &e, code);
}

/* 100 officers granted each morning and revoked each noon for 300 days: 60,000 events. The
 * store keeps a week of each officer's history, not 300 days of it, and still decides. */
static void history_is_bounded(void **state) {
    fx *f = *state;
    char id[48], user[16], code[32];
    long next = 1000;
    for (int d = 0; d < 300; d++)
        for (int u = 0; u < 100; u++) {
            snprintf(user, sizeof user, "officer.%d", u);
            snprintf(id, sizeof id, "00000000-0000-4000-8000-%012ld", next++);
            assert_int_equal(VK_GRANTS_APPLIED,
                             apply_id(f, VK_ACCESS_GRANT, user, FAC, T0 + d * DAY, id, code));
            snprintf(id, sizeof id, "00000000-0000-4000-8000-%012ld", next++);
            assert_int_equal(VK_GRANTS_APPLIED, apply_id(f, VK_ACCESS_REVOKE, user, FAC,
                                                         T0 + d * DAY + 12 * HOUR, id, code));
        }
    /* A week (8 days of closes, counting the edges) per officer, at most doubled before the
     * next prune: 100 × 8 grants and 100 × 16 ids. */
    assert_in_range(vk_grants_count(f->s), 100, 2 * 100 * 9);
    assert_in_range(vk_grants_events(f->s), 100, 2 * 100 * 18);
    assert_int_equal(30000, vk_grants_forgotten(f->s) + vk_grants_count(f->s));
    int64_t last = T0 + 299 * DAY;
    decide(f, "officer.7", FAC, last + 6 * HOUR, VK_AUTHZ_GRANTED, "");
    decide(f, "officer.7", FAC, last - 3 * DAY + 6 * HOUR, VK_AUTHZ_GRANTED, ""); /* in the week */
    decide(f, "officer.7", FAC, last + 13 * HOUR, VK_AUTHZ_GRANT_REVOKED,
           "revoked at 2022-04-26T12:00:00Z");
    /* Before the week the history is gone: refused as such, never guessed. */
    decide(f, "officer.7", FAC, T0 + 100 * DAY + 6 * HOUR, VK_AUTHZ_TOO_OLD, "officer.7",
           "no longer kept", "send the request again");
    decide(f, "officer.100", FAC, last, VK_AUTHZ_NOT_AUTHORIZED, "no verifier grant");
}

/* What forgetting must not open: a redelivered GRANT whose record and id are forgotten. */
static void forgotten_events_fail_closed(void **state) {
    fx *f = *state;
    char code[32];
    vk_grants_set_history(f->s, 7 * DAY);
    grant(f, USER, FAC, T0);              /* ids[0], forgotten below */
    revoke(f, USER, FAC, T0 + HOUR);      /* ids[1] */
    grant(f, USER, FAC, T0 + 2 * HOUR);   /* ids[2]: the latest for FAC, kept */
    revoke(f, USER, FAC, T0 + 3 * HOUR);  /* ids[3] */
    grant(f, USER, OTHER, T0 + 10 * DAY); /* moves the officer's week on */
    assert_int_equal(0, vk_grants_prune(f->s));
    assert_int_equal(2, vk_grants_count(f->s)); /* the latest FAC grant and the OTHER one */
    assert_int_equal(1, vk_grants_forgotten(f->s));
    assert_int_equal(1, vk_grants_events(f->s)); /* only the OTHER grant's id is in the week */
    /* The kept grant's events are still recognized by its record. */
    assert_int_equal(VK_GRANTS_DUPLICATE,
                     apply_id(f, VK_ACCESS_GRANT, USER, FAC, T0 + 2 * HOUR, f->ids[2], code));
    assert_int_equal(VK_GRANTS_DUPLICATE,
                     apply_id(f, VK_ACCESS_REVOKE, USER, FAC, T0 + 3 * HOUR, f->ids[3], code));
    /* The forgotten one is refused, not granted again. */
    assert_int_equal(VK_GRANTS_REFUSED,
                     apply_id(f, VK_ACCESS_GRANT, USER, FAC, T0, f->ids[0], code));
    assert_string_equal("STALE_GRANT", code);
    decide(f, USER, FAC, T0 + 10 * DAY + HOUR, VK_AUTHZ_GRANT_REVOKED,
           "revoked at 2021-07-01T03:00:00Z");
    /* A REVOKE that old is applied: revoking is always safe. */
    revoke(f, USER, OTHER, T0 + DAY);
    decide(f, USER, OTHER, T0 + 10 * DAY + HOUR, VK_AUTHZ_GRANT_REVOKED, "revoked");
    /* In the week, the forgotten grant's time is refused as too old, the kept one's decided. */
    decide(f, USER, FAC, T0 + 30 * 60000, VK_AUTHZ_TOO_OLD, "before 2021-07-01T01:00:00Z");
    decide(f, USER, FAC, T0 + 2 * HOUR + 1, VK_AUTHZ_GRANTED, "");
}

int main(void) {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(never_granted),
        T(granted_from_its_time_on),
        T(other_facilities_only),
        T(many_other_facilities_are_counted),
        T(revoked_before_the_request),
        T(revoked_after_the_request),
        T(expired),
        T(revoked_then_past_its_date),
        T(regrant_supersedes),
        T(regrant_after_revoke),
        T(refused_events_grant_nothing),
        T(duplicates_are_dropped),
        cmocka_unit_test(authz_codes),
        cmocka_unit_test(clock_skew),
        T(history_is_bounded),
        T(forgotten_events_fail_closed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
