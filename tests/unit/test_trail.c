/*
 * test_trail.c — vaksin-trail's model (tools/trail/trail.c, print.c): which records belong to
 * a NIK, their order, the outcomes linked between them and from the read model, the output.
 *
 * Records are written here as vk_audit_record would give them, so no broker or database is
 * needed; tests/integration/audit_trail.sh runs the tool on a real workload.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "trail.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NIK   "3273014101900001"
#define OTHER "3273014101900002"

static const uint8_t secret[] = "vaksin-dev-secret";

static json_t *parse(const char *text) {
    json_error_t e;
    json_t *j = json_loads(text, 0, &e);
    if (!j)
        fail_msg("test JSON does not parse: %s: %s", e.text, text);
    return j;
}

/* A record as vk_audit_record makes it; @p value is JSON text. */
static json_t *record(const char *topic, int partition, long offset, const char *key,
                      const char *value) {
    json_t *r = json_pack("{s:s,s:i,s:I,s:s?}", "topic", topic, "partition", partition, "offset",
                          (json_int_t)offset, "key", key);
    json_object_set_new(r, "value", parse(value));
    return r;
}

static const trail_entry *find(const trail *t, const char *topic, long offset) {
    for (size_t i = 0; i < t->n; i++)
        if (strcmp(t->v[i].topic, topic) == 0 && t->v[i].offset == offset)
            return &t->v[i];
    fail_msg("no entry %s@%ld", topic, offset);
    return NULL;
}

static const char *status(const trail_entry *e) {
    return json_string_value(json_object_get(e->outcome, "status"));
}

static const char *summary(const trail_entry *e) {
    return json_string_value(json_object_get(e->outcome, "summary"));
}

static void assert_contains(const char *haystack, const char *needle) {
    if (!haystack || !strstr(haystack, needle))
        fail_msg("expected \"%s\" in \"%s\"", needle, haystack ? haystack : "(null)");
}

static void test_tickets(void **state) {
    (void)state;
    char ticket[VK_TICKET_LEN + 1], typed[64];
    vk_ticket_from_nik(secret, sizeof secret - 1, NIK, ticket);
    trail *t = trail_new(NIK);
    assert_int_equal(trail_add_ticket(t, "not a ticket"), 0);
    assert_int_equal(trail_add_ticket(t, ticket), 1);
    /* As a desk types it: lower case, hyphens. */
    snprintf(typed, sizeof typed, "%.4s-%s", ticket, ticket + 4);
    for (char *p = typed; *p; p++)
        *p = (char)(*p >= 'A' && *p <= 'Z' ? *p - 'A' + 'a' : *p);
    assert_int_equal(trail_add_ticket(t, typed), 0);
    assert_int_equal((int)t->n_tickets, 1);

    /* Registration by ticket: keyed by the ticket as typed, no NIK in it. */
    char value[256];
    snprintf(value, sizeof value, "{\"event_id\":\"a\",\"ticket\":\"%s\",\"nik\":null}", typed);
    json_t *reg = record("vaksin.registration.requests", 1, 3, typed, value);
    assert_true(trail_matches(t, reg));
    trail *stranger = trail_new(OTHER);
    assert_false(trail_matches(stranger, reg));
    json_decref(reg);

    /* Its dead letter: the refused registration is the payload. */
    json_t *dl = record("vaksin.dead-letters", 0, 9, typed,
                        "{\"event_id\":\"d\",\"topic\":\"vaksin.registration.requests\","
                        "\"partition\":1,\"offset\":3,\"error_code\":\"INVALID_FACILITY\"}");
    json_object_set_new(dl, "payload", parse(value));
    json_object_set_new(dl, "key", json_string("junk"));
    assert_true(trail_matches(t, dl));
    assert_false(trail_matches(stranger, dl));
    json_decref(dl);
    trail_destroy(stranger);
    trail_destroy(t);
}

static void test_matches(void **state) {
    (void)state;
    trail *t = trail_new(NIK);
    json_t *mine = record("vaksin.screening.requests", 2, 1, NIK, "{\"nik\":\"" NIK "\"}");
    json_t *by_content = record("vaksin.screening.requests", 2, 2, "x", "{\"nik\":\"" NIK "\"}");
    json_t *theirs = record("vaksin.screening.requests", 2, 3, OTHER, "{\"nik\":\"" OTHER "\"}");
    json_t *undecodable = json_pack("{s:s,s:i,s:i,s:s,s:s}", "topic", "vaksin.screening.requests",
                                    "partition", 2, "offset", 4, "key", NIK, "error", "bad bytes");
    assert_true(trail_matches(t, mine));
    assert_true(trail_matches(t, by_content));
    assert_false(trail_matches(t, theirs));
    assert_true(trail_matches(t, undecodable));
    json_decref(mine), json_decref(by_content), json_decref(theirs), json_decref(undecodable);

    /* Tickets come from the person's own TicketIssued only. */
    json_t *issued = record("vaksin.target.events", 3, 0, NIK,
                            "{\"nik\":\"" NIK "\",\"payload\":{\"type\":\"TicketIssued\","
                            "\"ticket\":\"0000000000000000X\"}}");
    char ticket[VK_TICKET_LEN + 1];
    vk_ticket_from_nik(secret, sizeof secret - 1, NIK, ticket);
    json_object_set_new(json_object_get(json_object_get(issued, "value"), "payload"), "ticket",
                        json_string(ticket));
    trail_collect_tickets(t, issued);
    assert_int_equal((int)t->n_tickets, 1);
    assert_string_equal(t->tickets[0], ticket);
    json_decref(issued);
    trail *stranger = trail_new(OTHER);
    issued = record("vaksin.target.events", 3, 0, NIK,
                    "{\"nik\":\"" NIK "\",\"payload\":{\"type\":\"TicketIssued\"}}");
    json_object_set_new(json_object_get(json_object_get(issued, "value"), "payload"), "ticket",
                        json_string(ticket));
    trail_collect_tickets(stranger, issued);
    assert_int_equal((int)stranger->n_tickets, 0);
    json_decref(issued);
    trail_destroy(stranger);
    trail_destroy(t);
}

static void test_order(void **state) {
    (void)state;
    trail *t = trail_new(NIK);
    const char *v = "{\"nik\":\"" NIK "\"}";
    trail_add(t, record("vaksin.target.events", 3, 10, NIK, v), TRAIL_FROM_TOPIC, 1000);
    /* Gone from the topic: its occurred_at is later than the next offset's Kafka time, yet it
     * comes first, as in the log. */
    trail_add(t, record("vaksin.target.events", 3, 5, NIK, v), TRAIL_FROM_EVENT_LOG, 5000);
    trail_add(t, record("vaksin.dead-letters", 0, 1, NIK, v), TRAIL_FROM_TOPIC, 1000);
    trail_add(t, record("vaksin.verification.requests", 1, 2, NIK, v), TRAIL_FROM_TOPIC, 900);
    trail_add(t, record("vaksin.target.events", 3, 12, NIK, v), TRAIL_FROM_TOPIC, 2000);
    assert_true(trail_has(t, "vaksin.target.events", 3, 5));
    assert_false(trail_has(t, "vaksin.target.events", 2, 5));
    trail_order(t);
    const char *want[][2] = {{"vaksin.verification.requests", "2"},
                             {"vaksin.target.events", "5"},
                             {"vaksin.target.events", "10"},
                             {"vaksin.dead-letters", "1"},
                             {"vaksin.target.events", "12"}};
    assert_int_equal((int)t->n, 5);
    for (size_t i = 0; i < t->n; i++) {
        assert_string_equal(t->v[i].topic, want[i][0]);
        assert_int_equal(t->v[i].offset, atol(want[i][1]));
    }
    assert_int_equal(t->v[1].time, 5000); /* shown as it is; only the order is clamped */
    trail_destroy(t);
}

/* A correction: the request, its Pending and lookup, the evidence that decides it. */
static trail *correction(bool read_model) {
    trail *t = trail_new(NIK);
    trail_add(t,
              record("vaksin.verification.requests", 1, 2, NIK,
                     "{\"event_id\":\"R-1\",\"actor\":\"officer\",\"nik\":\"" NIK "\","
                     "\"kind\":\"CORRECTION\"}"),
              TRAIL_FROM_TOPIC, 100);
    trail_add(t,
              record("vaksin.target.events", 3, 10, NIK,
                     "{\"event_id\":\"p-1\",\"causation_id\":\"R-1\",\"actor\":\"officer\","
                     "\"nik\":\"" NIK "\",\"payload\":{\"type\":\"VerificationPending\","
                     "\"request_id\":\"R-1\",\"grant\":{\"grant_event_id\":\"g-1\","
                     "\"user_id\":\"officer\",\"facility_code\":\"1234567\","
                     "\"granted_by\":\"dinkes\"}}}"),
              TRAIL_FROM_TOPIC, 110);
    trail_add(t,
              record("vaksin.verification.lookups", 2, 4, NIK,
                     "{\"event_id\":\"l-1\",\"request_id\":\"R-1\",\"attempt\":0,"
                     "\"actor\":\"officer\",\"nik\":\"" NIK "\"}"),
              TRAIL_FROM_TOPIC, 110);
    trail_add(t,
              record("vaksin.target.events", 3, 11, NIK,
                     "{\"event_id\":\"e-1\",\"causation_id\":\"l-1\",\"actor\":\"officer\","
                     "\"nik\":\"" NIK "\",\"payload\":{\"type\":\"VerificationEnriched\","
                     "\"request_id\":\"R-1\",\"verdict\":\"SUPPORTED\",\"evidence\":["
                     "{\"source\":\"JKN\",\"status\":\"FOUND\",\"fields\":[]},"
                     "{\"source\":\"DUKCAPIL\",\"status\":\"FOUND\",\"fields\":[]}]}}"),
              TRAIL_FROM_TOPIC, 120);
    if (read_model)
        trail_set_read_model(
            t, parse("{\"log\":{"
                     "\"p-1\":{\"outcome\":\"APPLIED\",\"topic\":\"vaksin.target.events\","
                     "\"partition\":3,\"offset\":10},"
                     "\"e-1\":{\"outcome\":\"APPLIED\",\"topic\":\"vaksin.target.events\","
                     "\"partition\":3,\"offset\":11}},"
                     "\"rejections\":{},"
                     "\"verifications\":{\"r-1\":{\"status\":\"APPLIED\",\"reason_code\":null,"
                     "\"reason\":\"target corrected: 1 field changed\",\"last_event_id\":\"e-1\","
                     "\"changes\":[{\"field\":\"name\",\"old\":\"ANI\",\"new\":\"ANI RAHMA\"}]}},"
                     "\"projected\":{\"vaksin.target.events/3\":12}}"));
    assert_int_equal(trail_finish(t), 0);
    return t;
}

static void test_correction(void **state) {
    (void)state;
    trail *t = correction(true);
    /* Pending and the lookup were stamped in the same millisecond: topic order decides. */
    const char *want[] = {"VerificationRequested", "VerificationLookup", "VerificationPending",
                          "VerificationEnriched"};
    for (size_t i = 0; i < 4; i++)
        assert_string_equal(t->v[i].event_type, want[i]);

    const trail_entry *r = &t->v[0];
    assert_string_equal(r->actor, "officer");
    assert_string_equal(status(r), "APPLIED");
    assert_contains(summary(r), "→ VerificationPending at vaksin.target.events[3]@10: APPLIED");
    assert_contains(summary(r), "→ VerificationLookup at vaksin.verification.lookups[2]@4");
    assert_contains(summary(r), "request APPLIED: target corrected");
    assert_int_equal((int)json_array_size(json_object_get(r->outcome, "produced")), 2);

    assert_string_equal(status(&t->v[1]), "APPLIED"); /* the lookup: its Enriched was applied */
    assert_contains(summary(&t->v[1]), "→ VerificationEnriched at vaksin.target.events[3]@11");

    assert_string_equal(status(&t->v[2]), "APPLIED");
    assert_contains(summary(&t->v[2]), "pending under grant g-1 (user officer at 1234567, "
                                       "granted by dinkes)");
    assert_null(json_object_get(t->v[2].outcome, "decision"));

    const trail_entry *e = &t->v[3];
    assert_string_equal(status(e), "APPLIED");
    assert_string_equal(json_string_value(json_object_get(e->outcome, "verdict")), "SUPPORTED");
    assert_contains(summary(e), "verdict SUPPORTED (JKN FOUND, DUKCAPIL FOUND)");
    assert_contains(summary(e), "decision APPLIED: target corrected: 1 field changed "
                                "(name: \"ANI\" → \"ANI RAHMA\")");
    json_t *line = trail_entry_json(e);
    assert_string_equal(json_string_value(json_object_get(line, "source")), "topic");
    assert_string_equal(json_string_value(json_object_get(line, "event_type")),
                        "VerificationEnriched");
    assert_string_equal(json_string_value(json_object_get(line, "time")),
                        "1970-01-01T00:00:00.120Z");
    assert_string_equal(
        json_string_value(json_object_get(
            json_object_get(json_object_get(line, "outcome"), "decision"), "status")),
        "APPLIED");
    json_decref(line);
    trail_destroy(t);
}

static void test_no_read_model(void **state) {
    (void)state;
    trail *t = correction(false);
    const trail_entry *p = find(t, "vaksin.target.events", 10);
    assert_string_equal(status(p), "UNKNOWN");
    assert_contains(summary(p), "outcome unknown (no read model");
    /* The request's output is known, what became of it is not. */
    assert_string_equal(status(find(t, "vaksin.verification.requests", 2)), "PRODUCED");
    trail_destroy(t);
}

static void test_target_outcomes(void **state) {
    (void)state;
    trail *t = trail_new(NIK);
    const char *tpl = "{\"event_id\":\"%s\",\"causation_id\":\"%s\",\"nik\":\"" NIK "\","
                      "\"payload\":{\"type\":\"Registered\"}}";
    char v[256];
    long offsets[] = {11, 15, 20, 5};
    const char *ids[] = {"e-1", "e-1", "e-9", "e-5"};
    for (int i = 0; i < 4; i++) {
        snprintf(v, sizeof v, tpl, ids[i], "q-1");
        trail_add(t, record("vaksin.target.events", 3, offsets[i], NIK, v), TRAIL_FROM_TOPIC,
                  100 + i);
    }
    trail_add(t,
              record("vaksin.registration.requests", 3, 7, NIK,
                     "{\"event_id\":\"q-1\",\"actor\":\"desk1\",\"nik\":\"" NIK "\"}"),
              TRAIL_FROM_TOPIC, 50);
    trail_set_read_model(
        t, parse("{\"log\":{\"e-1\":{\"outcome\":\"REJECTED\",\"topic\":\"vaksin.target.events\","
                 "\"partition\":3,\"offset\":11}},"
                 "\"rejections\":{\"e-1\":{\"reason_code\":\"ALREADY_REGISTERED\","
                 "\"reason\":\"dose 1 is already registered\"}},"
                 "\"verifications\":{},\"projected\":{\"vaksin.target.events/3\":12}}"));
    assert_int_equal(trail_finish(t), 0);
    const trail_entry *e = find(t, "vaksin.target.events", 11);
    assert_string_equal(status(e), "REJECTED");
    assert_string_equal(summary(e), "REJECTED ALREADY_REGISTERED: dose 1 is already registered");
    assert_string_equal(status(find(t, "vaksin.target.events", 15)), "DUPLICATE");
    assert_contains(summary(find(t, "vaksin.target.events", 15)),
                    "duplicate of vaksin.target.events[3]@11 (REJECTED)");
    assert_string_equal(status(find(t, "vaksin.target.events", 20)), "NOT_YET_PROJECTED");
    assert_string_equal(status(find(t, "vaksin.target.events", 5)), "UNKNOWN");
    /* The request lists every output; its status and reason are the first projected one's. */
    const trail_entry *q = find(t, "vaksin.registration.requests", 7);
    assert_string_equal(status(q), "REJECTED");
    assert_string_equal(json_string_value(json_object_get(q->outcome, "reason_code")),
                        "ALREADY_REGISTERED");
    assert_int_equal((int)json_array_size(json_object_get(q->outcome, "produced")), 4);
    trail_destroy(t);
}

static void test_dead_letter(void **state) {
    (void)state;
    trail *t = trail_new(NIK);
    trail_add(t,
              record("vaksin.registration.requests", 1, 7, NIK,
                     "{\"event_id\":\"q-2\",\"actor\":\"desk1\",\"nik\":\"" NIK "\"}"),
              TRAIL_FROM_TOPIC, 50);
    json_t *dl = record("vaksin.dead-letters", 0, 3, NIK,
                        "{\"event_id\":\"d-1\",\"actor\":null,\"topic\":"
                        "\"vaksin.registration.requests\",\"partition\":1,\"offset\":7,"
                        "\"key\":\"MzI3\",\"value\":\"wwE=\",\"service\":\"vaksin-registration\","
                        "\"error_code\":\"INVALID_FACILITY\",\"error\":\"facility_code: bad\"}");
    json_object_set_new(dl, "payload", parse("{\"actor\":\"desk1\",\"nik\":\"" NIK "\"}"));
    trail_add(t, dl, TRAIL_FROM_TOPIC, 60);
    assert_int_equal(trail_finish(t), 0);
    const trail_entry *q = &t->v[0], *d = &t->v[1];
    assert_string_equal(status(q), "DEAD_LETTER");
    assert_string_equal(json_string_value(json_object_get(q->outcome, "reason_code")),
                        "INVALID_FACILITY");
    assert_contains(summary(q), "dead letter INVALID_FACILITY from vaksin-registration: "
                                "facility_code: bad (refused vaksin.registration.requests[1]@7) "
                                "at vaksin.dead-letters[0]@3");
    assert_string_equal(d->event_type, "DeadLetter");
    assert_string_equal(d->actor, "desk1"); /* the refused request's */
    assert_string_equal(status(d), "DEAD_LETTER");

    /* The human form: header, the letter without its bytes, the payload. */
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    trail_print(t, out, false);
    fclose(out);
    assert_contains(text, "1970-01-01T00:00:00.060Z  vaksin.dead-letters[0]@3  DeadLetter  "
                          "actor=desk1  dead letter INVALID_FACILITY");
    assert_contains(text, "    payload: {\"actor\":\"desk1\"");
    assert_null(strstr(text, "wwE="));
    free(text);
    text = NULL;
    out = open_memstream(&text, &len);
    trail_print(t, out, true);
    fclose(out);
    assert_contains(text, "\"source\":\"topic\"");
    assert_contains(text, "wwE="); /* the JSON form keeps everything */
    free(text);
    trail_destroy(t);
}

static void test_event_log_source(void **state) {
    (void)state;
    trail *t = trail_new(NIK);
    trail_add(t,
              record("vaksin.target.events", 3, 1, NIK,
                     "{\"event_id\":\"t-1\",\"actor\":null,\"nik\":\"" NIK "\","
                     "\"payload\":{\"type\":\"TicketIssued\"}}"),
              TRAIL_FROM_EVENT_LOG, 1000);
    trail_set_read_model(
        t, parse("{\"log\":{\"t-1\":{\"outcome\":\"APPLIED\",\"topic\":\"vaksin.target.events\","
                 "\"partition\":3,\"offset\":1}},\"rejections\":{},\"verifications\":{},"
                 "\"projected\":{}}"));
    assert_int_equal(trail_finish(t), 0);
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    trail_print(t, out, false);
    fclose(out);
    assert_contains(text, "vaksin.target.events[3]@1 (from event_log)  TicketIssued  actor=-  "
                          "APPLIED\n");
    free(text);
    json_t *line = trail_entry_json(&t->v[0]);
    assert_string_equal(json_string_value(json_object_get(line, "source")), "event_log");
    assert_true(json_is_null(json_object_get(line, "actor")));
    json_decref(line);
    trail_destroy(t);
}

static void test_cause(void **state) {
    (void)state;
    trail *t = trail_new(NIK);
    const char *registered = "{\"event_id\":\"%s\",\"causation_id\":\"%s\",\"nik\":\"" NIK
                             "\",\"payload\":{\"type\":\"Registered\",\"ticket\":%s}}";
    char v[256];
    snprintf(v, sizeof v, registered, "r-1", "q-1", "null");
    trail_add(t, record("vaksin.target.events", 3, 1, NIK, v), TRAIL_FROM_TOPIC, 20);
    snprintf(v, sizeof v, registered, "r-2", "q-2", "\"0000000000000000X\"");
    trail_add(t, record("vaksin.target.events", 3, 2, NIK, v), TRAIL_FROM_TOPIC, 40);
    trail_add(t,
              record("vaksin.registration.requests", 6, 9, NIK,
                     "{\"event_id\":\"q-1\",\"nik\":\"" NIK "\"}"),
              TRAIL_FROM_TOPIC, 10);
    assert_int_equal(trail_finish(t), 0);
    const json_t *cause = json_object_get(find(t, "vaksin.target.events", 1)->outcome, "cause");
    assert_string_equal(json_string_value(json_object_get(cause, "topic")),
                        "vaksin.registration.requests");
    assert_int_equal(json_integer_value(json_object_get(cause, "offset")), 9);
    /* By ticket, its request not found: say where it may be rather than nothing. */
    const trail_entry *by_ticket = find(t, "vaksin.target.events", 2);
    assert_null(json_object_get(by_ticket->outcome, "cause"));
    assert_contains(summary(by_ticket), "keyed by the ticket as typed (--all-partitions)");
    trail_destroy(t);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tickets),       cmocka_unit_test(test_matches),
        cmocka_unit_test(test_order),         cmocka_unit_test(test_correction),
        cmocka_unit_test(test_no_read_model), cmocka_unit_test(test_target_outcomes),
        cmocka_unit_test(test_dead_letter),   cmocka_unit_test(test_event_log_source),
        cmocka_unit_test(test_cause),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
