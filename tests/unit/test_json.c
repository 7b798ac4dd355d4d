/*
 * test_json.c — natural JSON <-> Avro (lib/avro/vk_json.c).
 *
 * Schemas are parsed here from the embedded contract, so the tests exercise vk_json alone.
 * Every round trip also goes through avro-c's binary encoding, so a value vk_json_to_avro
 * builds is known to be encodable and to decode to the same JSON.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "vk_codec.h"
#include "vk_schemas.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- helpers ---- */

static avro_schema_t parse_schema(const char *text) {
    avro_schema_t s = NULL;
    if (avro_schema_from_json_length(text, strlen(text), &s)) {
        fail_msg("schema does not parse: %s", avro_strerror());
    }
    return s;
}

/* The top-level contract schema with this full name. */
static avro_schema_t contract(const char *full_name) {
    for (const vk_embedded_schema *e = vk_embedded_schemas; e->file; e++) {
        if (strstr(e->file, ".avsc") == NULL)
            continue;
        avro_schema_t s = parse_schema(e->json);
        char full[256];
        snprintf(full, sizeof full, "%s.%s", avro_schema_namespace(s), avro_schema_name(s));
        if (strcmp(full, full_name) == 0)
            return s;
        avro_schema_decref(s);
    }
    fail_msg("no contract schema %s", full_name);
    return NULL;
}

static json_t *parse_json(const char *text) {
    json_error_t e;
    json_t *j = json_loads(text, JSON_DECODE_ANY, &e);
    if (!j)
        fail_msg("test JSON does not parse: %s: %s", e.text, text);
    return j;
}

typedef struct value_box {
    avro_value_iface_t *iface;
    avro_value_t value;
} value_box;

static void box_new(value_box *b, avro_schema_t s) {
    b->iface = avro_generic_class_from_schema(s);
    assert_non_null(b->iface);
    assert_int_equal(avro_generic_value_new(b->iface, &b->value), 0);
}

static void box_free(value_box *b) {
    avro_value_decref(&b->value);
    avro_value_iface_decref(b->iface);
}

/* JSON text → Avro; returns the rc and leaves the error in @p err. */
static int convert(avro_schema_t s, value_box *b, const char *text, char *err, size_t errlen) {
    json_t *j = parse_json(text);
    err[0] = '\0';
    int rc = vk_json_to_avro(j, &b->value, s, err, errlen);
    json_decref(j);
    return rc;
}

/* Encodes to Avro binary, decodes into a fresh value, and returns that value's JSON. */
static json_t *through_binary(avro_schema_t s, value_box *b) {
    size_t size;
    assert_int_equal(avro_value_sizeof(&b->value, &size), 0);
    char *buf = malloc(size + 1);
    assert_non_null(buf);
    avro_writer_t w = avro_writer_memory(buf, (int64_t)size);
    assert_int_equal(avro_value_write(w, &b->value), 0);
    avro_reader_t r = avro_reader_memory(buf, (int64_t)size);
    value_box back;
    box_new(&back, s);
    assert_int_equal(avro_value_read(r, &back.value), 0);
    json_t *out = vk_avro_to_json(&back.value, s);
    assert_non_null(out);
    box_free(&back);
    avro_reader_free(r);
    avro_writer_free(w);
    free(buf);
    return out;
}

static void assert_json_equal(json_t *got, const char *expected_text) {
    json_t *want = parse_json(expected_text);
    if (!json_equal(got, want)) {
        char *g = json_dumps(got, JSON_COMPACT | JSON_SORT_KEYS);
        char *w = json_dumps(want, JSON_COMPACT | JSON_SORT_KEYS);
        print_error("got:  %s\nwant: %s\n", g, w);
        free(g);
        free(w);
        json_decref(want);
        fail();
    }
    json_decref(want);
}

/* in → Avro → binary → Avro → JSON must equal expected (in itself when expected is NULL). */
static void roundtrip(const char *full_name, const char *in, const char *expected) {
    avro_schema_t s = contract(full_name);
    value_box b;
    box_new(&b, s);
    char err[512];
    if (convert(s, &b, in, err, sizeof err))
        fail_msg("%s: %s", full_name, err);
    json_t *out = through_binary(s, &b);
    assert_json_equal(out, expected ? expected : in);
    json_decref(out);
    box_free(&b);
    avro_schema_decref(s);
}

/* The conversion must fail with exactly this message. */
static void refused(const char *full_name, const char *in, const char *message) {
    avro_schema_t s = contract(full_name);
    value_box b;
    box_new(&b, s);
    char err[512];
    int rc = convert(s, &b, in, err, sizeof err);
    if (rc == 0)
        fail_msg("accepted: %s", in);
    if (strcmp(err, message) != 0)
        fail_msg("wrong message\n got:  %s\n want: %s", err, message);
    box_free(&b);
    avro_schema_decref(s);
}

#define ENVELOPE                                                                                   \
    "\"event_id\":\"7f0b4bb6-7a51-4ad8-9f43-6bb1b9a2b2c1\","                                       \
    "\"occurred_at\":\"2021-02-01T23:30:00.123Z\",\"source\":\"pcare-web\",\"actor\":\"op1\""

#define ENVELOPE_MIN "\"event_id\":\"e1\",\"occurred_at\":1612222200123,\"source\":\"pcare-web\""

#define TICKET_FULL                                                                                \
    "{" ENVELOPE ",\"nik\":\"3273024501900001\",\"name\":\"Siti Aminah\","                         \
    "\"birth_date\":\"1990-01-05\",\"sex\":\"P\",\"phone\":\"081234567890\","                      \
    "\"category\":\"SDMK\",\"facility_code\":\"P3273020201\","                                     \
    "\"scheduled_date\":\"2021-02-10\",\"origin\":\"SISDMK\"}"

#define CHANGES                                                                                    \
    "{\"name\":\"SITI AMINAH\",\"birth_date\":\"1990-01-06\",\"sex\":null,\"phone\":null,"         \
    "\"facility_code\":null,\"scheduled_date\":null}"

#define GRANT                                                                                      \
    "{\"grant_event_id\":\"g1\",\"user_id\":\"u1\",\"facility_code\":\"P3273020201\","             \
    "\"district_code\":\"3273\",\"granted_by\":\"dinkes1\","                                       \
    "\"granted_at\":\"2021-01-01T00:00:00.000Z\",\"valid_until\":null}"

/* ---- round trips of every contract record ---- */

static void test_roundtrip_ticket_requested(void **state) {
    (void)state;
    roundtrip(VK_SCHEMA_TICKET_REQUESTED, TICKET_FULL, NULL);
}

static void test_roundtrip_registration(void **state) {
    (void)state;
    roundtrip(VK_SCHEMA_REGISTRATION_SUBMITTED,
              "{" ENVELOPE ",\"ticket\":\"ABCDEFGHJKMNPQRS0\",\"nik\":null,"
              "\"facility_code\":\"3273015\",\"dose\":1}",
              NULL);
}

static void test_roundtrip_screening(void **state) {
    (void)state;
    roundtrip(VK_SCHEMA_SCREENING_SUBMITTED,
              "{" ENVELOPE ",\"nik\":\"3273024501900001\",\"dose\":2,"
              "\"facility_code\":\"P3273020201\",\"temperature_c\":36.5,\"systolic\":120,"
              "\"diastolic\":80,\"answers\":[{\"code\":\"Q1\",\"yes\":false},"
              "{\"code\":\"Q2\",\"yes\":true}],\"result\":\"PROCEED\",\"note\":\"ok\"}",
              NULL);
}

static void test_roundtrip_vaccination(void **state) {
    (void)state;
    roundtrip(VK_SCHEMA_VACCINATION_SUBMITTED,
              "{" ENVELOPE ",\"nik\":\"3273024501900001\",\"dose\":1,"
              "\"facility_code\":\"P3273020201\",\"vaccine\":\"CORONAVAC\",\"batch\":\"B123\","
              "\"vaccinated_at\":\"2021-02-10T03:04:05.006Z\"}",
              NULL);
}

static void test_roundtrip_verification_requested(void **state) {
    (void)state;
    roundtrip(VK_SCHEMA_VERIFICATION_REQUESTED,
              "{" ENVELOPE ",\"kind\":\"CORRECTION\",\"nik\":\"3273024501900001\","
              "\"facility_code\":\"P3273020201\",\"changes\":" CHANGES ",\"reason\":null}",
              NULL);
}

static void test_roundtrip_access_changed(void **state) {
    (void)state;
    roundtrip(VK_SCHEMA_ACCESS_CHANGED,
              "{" ENVELOPE ",\"action\":\"GRANT\",\"user_id\":\"u1\","
              "\"facility_code\":\"P3273020201\",\"district_code\":\"3273\","
              "\"role\":\"VERIFIER\",\"valid_until\":\"2021-12-31T23:59:59.999Z\"}",
              NULL);
}

static void test_roundtrip_verification_lookup(void **state) {
    (void)state;
    roundtrip(VK_SCHEMA_VERIFICATION_LOOKUP,
              "{" ENVELOPE ",\"request_id\":\"r1\",\"kind\":\"ADDITION\","
              "\"nik\":\"3273024501900001\",\"facility_code\":\"P3273020201\","
              "\"changes\":" CHANGES ",\"reason\":\"typo\",\"grant\":" GRANT ","
              "\"attempt\":2,\"not_before\":\"2021-02-01T23:35:00.000Z\"}",
              NULL);
}

static void test_roundtrip_dead_letter(void **state) {
    (void)state;
    roundtrip(VK_SCHEMA_DEAD_LETTER,
              "{" ENVELOPE ",\"topic\":\"vaksin.ticket.requests\",\"partition\":3,"
              "\"offset\":1234567890123,\"key\":\"MzI3MzAyNDUwMTkwMDAwMQ==\","
              "\"value\":\"wwEAAQIDBAUGBw==\",\"service\":\"vaksin-ticket\","
              "\"error_code\":\"INVALID_NIK\",\"error\":\"NIK has 15 digits, expected 16\"}",
              NULL);
}

static void test_roundtrip_target_event_payloads(void **state) {
    (void)state;
    static const char *const payloads[] = {
        "{\"type\":\"TicketIssued\",\"ticket\":\"ABCDEFGHJKMNPQRS0\",\"name\":\"SITI\","
        "\"birth_date\":\"1990-01-05\",\"sex\":\"P\",\"phone\":\"+6281234567890\","
        "\"category\":null,\"facility_code\":null,\"scheduled_date\":null,\"origin\":\"EXCEL\","
        "\"flags\":[\"NIK_SEX_MISMATCH\"]}",
        "{\"type\":\"Registered\",\"ticket\":null,\"facility_code\":\"3273015\",\"dose\":1}",
        "{\"type\":\"Screened\",\"dose\":1,\"facility_code\":\"3273015\",\"temperature_c\":null,"
        "\"systolic\":null,\"diastolic\":null,\"answers\":[],\"result\":\"POSTPONE\","
        "\"note\":null}",
        "{\"type\":\"Vaccinated\",\"dose\":1,\"facility_code\":\"3273015\","
        "\"vaccine\":\"PFIZER\",\"batch\":\"X1\",\"vaccinated_at\":\"2021-03-01T08:00:00.000Z\"}",
        "{\"type\":\"VerificationPending\",\"request_id\":\"r1\",\"kind\":\"CORRECTION\","
        "\"facility_code\":\"P3273020201\",\"changes\":" CHANGES ",\"reason\":null,"
        "\"ticket\":null,\"grant\":" GRANT "}",
        "{\"type\":\"VerificationEnriched\",\"request_id\":\"r1\",\"kind\":\"CORRECTION\","
        "\"facility_code\":\"P3273020201\",\"changes\":" CHANGES ",\"reason\":null,"
        "\"grant\":" GRANT ",\"evidence\":[{\"source\":\"JKN\",\"status\":\"FOUND\","
        "\"fields\":[{\"field\":\"name\",\"value\":\"SITI AMINAH\",\"match\":true,"
        "\"score\":null}],\"message\":null},{\"source\":\"DUKCAPIL\",\"status\":\"UNAVAILABLE\","
        "\"fields\":[],\"message\":\"timeout\"}],\"verdict\":\"SUPPORTED\",\"attempt\":0,"
        "\"retry_at\":null}",
        "{\"type\":\"VerificationRefused\",\"request_id\":\"r2\",\"kind\":\"ADDITION\","
        "\"facility_code\":\"P3273020201\",\"changes\":" CHANGES ",\"reason\":\"baru\","
        "\"code\":\"NOT_AUTHORIZED\",\"refusal\":\"u9 holds no VERIFIER grant\"}",
    };
    for (size_t i = 0; i < sizeof payloads / sizeof *payloads; i++) {
        char in[4096];
        snprintf(in, sizeof in,
                 "{" ENVELOPE ",\"nik\":\"3273024501900001\",\"causation_id\":\"c1\","
                 "\"payload\":%s}",
                 payloads[i]);
        roundtrip(VK_SCHEMA_TARGET_EVENT, in, NULL);
    }
}

/* ---- defaults ---- */

static void test_defaults_applied(void **state) {
    (void)state;
    roundtrip(VK_SCHEMA_TICKET_REQUESTED,
              "{" ENVELOPE_MIN ",\"nik\":\"1\",\"name\":\"A\",\"birth_date\":0,"
              "\"origin\":\"OTHER\"}",
              "{\"event_id\":\"e1\",\"occurred_at\":\"2021-02-01T23:30:00.123Z\","
              "\"source\":\"pcare-web\",\"actor\":null,\"nik\":\"1\",\"name\":\"A\","
              "\"birth_date\":\"1970-01-01\",\"sex\":null,\"phone\":null,\"category\":null,"
              "\"facility_code\":null,\"scheduled_date\":null,\"origin\":\"OTHER\"}");
    /* An int default (attempt = 0) and nested records' defaults. */
    roundtrip(VK_SCHEMA_VERIFICATION_LOOKUP,
              "{" ENVELOPE ",\"request_id\":\"r1\",\"kind\":\"ADDITION\",\"nik\":\"1\","
              "\"facility_code\":\"F\",\"changes\":{},\"grant\":{\"grant_event_id\":\"g1\","
              "\"user_id\":\"u1\",\"facility_code\":\"P3273020201\",\"district_code\":\"3273\","
              "\"granted_at\":\"2021-01-01T00:00:00Z\"}}",
              "{" ENVELOPE ",\"request_id\":\"r1\",\"kind\":\"ADDITION\",\"nik\":\"1\","
              "\"facility_code\":\"F\",\"changes\":{\"name\":null,\"birth_date\":null,"
              "\"sex\":null,\"phone\":null,\"facility_code\":null,\"scheduled_date\":null},"
              "\"reason\":null,\"grant\":{\"grant_event_id\":\"g1\",\"user_id\":\"u1\","
              "\"facility_code\":\"P3273020201\",\"district_code\":\"3273\",\"granted_by\":null,"
              "\"granted_at\":\"2021-01-01T00:00:00.000Z\",\"valid_until\":null},"
              "\"attempt\":0,\"not_before\":null}");
    /* An array default (flags = []) inside a union branch. */
    roundtrip(VK_SCHEMA_TARGET_EVENT,
              "{" ENVELOPE ",\"nik\":\"1\",\"causation_id\":\"c1\",\"payload\":"
              "{\"type\":\"TicketIssued\",\"ticket\":\"T\",\"name\":\"N\",\"birth_date\":1,"
              "\"origin\":\"DUKCAPIL\"}}",
              "{" ENVELOPE ",\"nik\":\"1\",\"causation_id\":\"c1\",\"payload\":"
              "{\"type\":\"TicketIssued\",\"ticket\":\"T\",\"name\":\"N\","
              "\"birth_date\":\"1970-01-02\",\"sex\":null,\"phone\":null,\"category\":null,"
              "\"facility_code\":null,\"scheduled_date\":null,\"origin\":\"DUKCAPIL\","
              "\"flags\":[]}}");
}

/* ---- nullable fields: natural and wrapped forms ---- */

static void test_nullable_forms(void **state) {
    (void)state;
    const char *want = TICKET_FULL;
    /* Avro-JSON wrappers, by primitive name, full name and short name. */
    roundtrip(VK_SCHEMA_TICKET_REQUESTED,
              "{\"event_id\":\"7f0b4bb6-7a51-4ad8-9f43-6bb1b9a2b2c1\","
              "\"occurred_at\":\"2021-02-01T23:30:00.123Z\",\"source\":\"pcare-web\","
              "\"actor\":{\"string\":\"op1\"},\"nik\":\"3273024501900001\","
              "\"name\":\"Siti Aminah\",\"birth_date\":\"1990-01-05\","
              "\"sex\":{\"vaksin.v1.Sex\":\"P\"},\"phone\":{\"string\":\"081234567890\"},"
              "\"category\":\"SDMK\",\"facility_code\":{\"string\":\"P3273020201\"},"
              "\"scheduled_date\":{\"int\":\"2021-02-10\"},\"origin\":\"SISDMK\"}",
              want);
    roundtrip(VK_SCHEMA_TICKET_REQUESTED,
              "{" ENVELOPE ",\"nik\":\"3273024501900001\",\"name\":\"Siti Aminah\","
              "\"birth_date\":\"1990-01-05\",\"sex\":{\"Sex\":\"P\"},"
              "\"phone\":\"081234567890\",\"category\":\"SDMK\","
              "\"facility_code\":\"P3273020201\",\"scheduled_date\":18668,"
              "\"origin\":\"SISDMK\"}",
              want);
    /* Explicit nulls, natural and wrapped. */
    roundtrip(VK_SCHEMA_REGISTRATION_SUBMITTED,
              "{" ENVELOPE ",\"ticket\":{\"null\":null},\"nik\":null,"
              "\"facility_code\":\"F\",\"dose\":1}",
              "{" ENVELOPE ",\"ticket\":null,\"nik\":null,\"facility_code\":\"F\",\"dose\":1}");
    /* The TargetEvent payload wrapped by record name instead of "type". */
    roundtrip(VK_SCHEMA_TARGET_EVENT,
              "{" ENVELOPE ",\"nik\":\"1\",\"causation_id\":\"c1\",\"payload\":"
              "{\"vaksin.v1.Registered\":{\"facility_code\":\"F\",\"dose\":2}}}",
              "{" ENVELOPE ",\"nik\":\"1\",\"causation_id\":\"c1\",\"payload\":"
              "{\"type\":\"Registered\",\"ticket\":null,\"facility_code\":\"F\",\"dose\":2}}");
    /* Without "type" the first record branch that accepts the object wins. */
    roundtrip(VK_SCHEMA_TARGET_EVENT,
              "{" ENVELOPE ",\"nik\":\"1\",\"causation_id\":\"c1\",\"payload\":"
              "{\"dose\":2,\"facility_code\":\"F\",\"vaccine\":\"PFIZER\",\"batch\":\"B\","
              "\"vaccinated_at\":0}}",
              "{" ENVELOPE ",\"nik\":\"1\",\"causation_id\":\"c1\",\"payload\":"
              "{\"type\":\"Vaccinated\",\"dose\":2,\"facility_code\":\"F\",\"vaccine\":\"PFIZER\","
              "\"batch\":\"B\",\"vaccinated_at\":\"1970-01-01T00:00:00.000Z\"}}");
}

/* ---- dates and timestamps ---- */

static void test_dates_and_timestamps(void **state) {
    (void)state;
    static const struct {
        const char *birth_date, *occurred_at, *want_date, *want_ts;
    } cases[] = {
        {"\"1990-01-05\"", "\"2021-02-01T23:30:00.123Z\"", "1990-01-05",
         "2021-02-01T23:30:00.123Z"},
        {"7309", "1612222200123", "1990-01-05", "2021-02-01T23:30:00.123Z"},
        /* offsets, a lower-case t, extra fraction digits truncated */
        {"\"2000-02-29\"", "\"2021-02-02T06:30:00.1239+07:00\"", "2000-02-29",
         "2021-02-01T23:30:00.123Z"},
        {"\"1969-12-31\"", "\"1969-12-31t23:59:59.999z\"", "1969-12-31",
         "1969-12-31T23:59:59.999Z"},
        {"-1", "-1", "1969-12-31", "1969-12-31T23:59:59.999Z"},
        {"\"1945-08-17\"", "\"2021-02-01 10:00:00-05:30\"", "1945-08-17",
         "2021-02-01T15:30:00.000Z"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char in[1024], want[1024];
        snprintf(in, sizeof in,
                 "{\"event_id\":\"e\",\"occurred_at\":%s,\"source\":\"s\",\"nik\":\"1\","
                 "\"name\":\"A\",\"birth_date\":%s,\"origin\":\"OTHER\"}",
                 cases[i].occurred_at, cases[i].birth_date);
        snprintf(want, sizeof want,
                 "{\"event_id\":\"e\",\"occurred_at\":\"%s\",\"source\":\"s\",\"actor\":null,"
                 "\"nik\":\"1\",\"name\":\"A\",\"birth_date\":\"%s\",\"sex\":null,"
                 "\"phone\":null,\"category\":null,\"facility_code\":null,"
                 "\"scheduled_date\":null,\"origin\":\"OTHER\"}",
                 cases[i].want_ts, cases[i].want_date);
        roundtrip(VK_SCHEMA_TICKET_REQUESTED, in, want);
    }
}

static void test_bad_dates_and_timestamps(void **state) {
    (void)state;
    static const char *const bad_dates[] = {"\"2021-02-29\"",
                                            "\"1990-13-01\"",
                                            "\"05/01/1990\"",
                                            "\"1990-1-5\"",
                                            "\"1990-01-05x\"",
                                            "true",
                                            "1.5"};
    for (size_t i = 0; i < sizeof bad_dates / sizeof *bad_dates; i++) {
        char in[512], msg[256];
        snprintf(in, sizeof in,
                 "{" ENVELOPE ",\"nik\":\"1\",\"name\":\"A\",\"birth_date\":%s,"
                 "\"origin\":\"OTHER\"}",
                 bad_dates[i]);
        json_t *j = parse_json(bad_dates[i]);
        const char *got = json_is_string(j) ? NULL : json_is_true(j) ? "true" : "1.5";
        if (got)
            snprintf(msg, sizeof msg,
                     "birth_date: expected a date (\"YYYY-MM-DD\" or days since 1970-01-01), "
                     "got %s",
                     got);
        else
            snprintf(msg, sizeof msg,
                     "birth_date: expected a date (\"YYYY-MM-DD\" or days since 1970-01-01), "
                     "got %s",
                     bad_dates[i]);
        json_decref(j);
        refused(VK_SCHEMA_TICKET_REQUESTED, in, msg);
    }
    static const char *const bad_ts[] = {"2021-02-01T23:30:00", "2021-02-01",
                                         "2021-02-01T24:00:00Z", "2021-02-01T23:30:00+0700",
                                         "2021-02-01T23:30:00.Z"};
    for (size_t i = 0; i < sizeof bad_ts / sizeof *bad_ts; i++) {
        char in[512], msg[256];
        snprintf(in, sizeof in,
                 "{\"event_id\":\"e\",\"occurred_at\":\"%s\",\"source\":\"s\",\"nik\":\"1\","
                 "\"name\":\"A\",\"birth_date\":0,\"origin\":\"OTHER\"}",
                 bad_ts[i]);
        snprintf(msg, sizeof msg,
                 "occurred_at: expected a timestamp (RFC 3339 like \"2021-02-01T23:30:00Z\" or "
                 "milliseconds since the epoch), got \"%s\"",
                 bad_ts[i]);
        refused(VK_SCHEMA_TICKET_REQUESTED, in, msg);
    }
    /* In a nested nullable field, with the path. */
    refused(VK_SCHEMA_VERIFICATION_REQUESTED,
            "{" ENVELOPE ",\"kind\":\"CORRECTION\",\"nik\":\"1\",\"facility_code\":\"F\","
            "\"changes\":{\"birth_date\":\"31-12-1990\"}}",
            "changes.birth_date: expected a date (\"YYYY-MM-DD\" or days since 1970-01-01), "
            "got \"31-12-1990\"");
}

/* ---- refusals ---- */

static void test_missing_required_field(void **state) {
    (void)state;
    refused(VK_SCHEMA_TICKET_REQUESTED,
            "{" ENVELOPE ",\"name\":\"A\",\"birth_date\":0,\"origin\":\"OTHER\"}",
            "nik: missing required field");
    refused(VK_SCHEMA_VERIFICATION_LOOKUP,
            "{" ENVELOPE ",\"request_id\":\"r1\",\"kind\":\"ADDITION\",\"nik\":\"1\","
            "\"facility_code\":\"F\",\"changes\":{},\"grant\":{\"grant_event_id\":\"g1\","
            "\"user_id\":\"u1\",\"facility_code\":\"F\",\"district_code\":\"3273\"}}",
            "grant.granted_at: missing required field");
    refused(VK_SCHEMA_SCREENING_SUBMITTED,
            "{" ENVELOPE ",\"nik\":\"1\",\"dose\":1,\"facility_code\":\"F\","
            "\"answers\":[{\"code\":\"Q1\",\"yes\":true},{\"code\":\"Q2\"}],"
            "\"result\":\"PROCEED\"}",
            "answers[1].yes: missing required field");
}

static void test_wrong_type_with_path(void **state) {
    (void)state;
    refused(VK_SCHEMA_REGISTRATION_SUBMITTED,
            "{" ENVELOPE ",\"nik\":\"1\",\"facility_code\":\"F\",\"dose\":\"1\"}",
            "dose: expected an int, got \"1\"");
    refused(VK_SCHEMA_REGISTRATION_SUBMITTED,
            "{" ENVELOPE ",\"nik\":\"1\",\"facility_code\":\"F\",\"dose\":4294967296}",
            "dose: 4294967296 is out of range for an int");
    refused(VK_SCHEMA_REGISTRATION_SUBMITTED,
            "{" ENVELOPE ",\"nik\":1234,\"facility_code\":\"F\",\"dose\":1}",
            "nik: expected null or string, got 1234");
    refused(VK_SCHEMA_TICKET_REQUESTED,
            "{" ENVELOPE ",\"nik\":\"1\",\"name\":5,\"birth_date\":0,\"origin\":\"OTHER\"}",
            "name: expected a string, got 5");
    refused(VK_SCHEMA_SCREENING_SUBMITTED,
            "{" ENVELOPE ",\"nik\":\"1\",\"dose\":1,\"facility_code\":\"F\","
            "\"answers\":[{\"code\":\"Q1\",\"yes\":\"ya\"}],\"result\":\"PROCEED\"}",
            "answers[0].yes: expected true or false, got \"ya\"");
    refused(VK_SCHEMA_SCREENING_SUBMITTED,
            "{" ENVELOPE ",\"nik\":\"1\",\"dose\":1,\"facility_code\":\"F\","
            "\"temperature_c\":\"hot\",\"answers\":[],\"result\":\"PROCEED\"}",
            "temperature_c: expected a number, got \"hot\"");
    refused(VK_SCHEMA_SCREENING_SUBMITTED,
            "{" ENVELOPE ",\"nik\":\"1\",\"dose\":1,\"facility_code\":\"F\","
            "\"systolic\":true,\"answers\":[],\"result\":\"PROCEED\"}",
            "systolic: expected null or int, got true");
    refused(VK_SCHEMA_SCREENING_SUBMITTED,
            "{" ENVELOPE ",\"nik\":\"1\",\"dose\":1,\"facility_code\":\"F\","
            "\"answers\":{},\"result\":\"PROCEED\"}",
            "answers: expected an array, got an object");
    refused(VK_SCHEMA_TICKET_REQUESTED, "[1,2]",
            "expected an object (record TicketRequested), got an array");
    refused(VK_SCHEMA_VERIFICATION_REQUESTED,
            "{" ENVELOPE ",\"kind\":\"CORRECTION\",\"nik\":\"1\",\"facility_code\":\"F\","
            "\"changes\":{\"nmae\":\"X\"}}",
            "changes.nmae: unknown field (not in record TargetChanges)");
    refused(VK_SCHEMA_DEAD_LETTER,
            "{" ENVELOPE ",\"topic\":\"t\",\"partition\":0,\"offset\":0,\"key\":\"not base64!\","
            "\"service\":\"s\",\"error_code\":\"E\",\"error\":\"e\"}",
            "key: expected base64 text, got \"not base64!\"");
}

static void test_enum_unknown_symbol(void **state) {
    (void)state;
    refused(VK_SCHEMA_TICKET_REQUESTED,
            "{" ENVELOPE ",\"nik\":\"1\",\"name\":\"A\",\"birth_date\":0,\"origin\":\"PCARE\"}",
            "origin: unknown symbol \"PCARE\" of Origin (expected one of SISDMK, EXCEL, "
            "DUKCAPIL, OTHER)");
    /* Inside a nullable union the enum's own message comes through. */
    refused(VK_SCHEMA_TICKET_REQUESTED,
            "{" ENVELOPE ",\"nik\":\"1\",\"name\":\"A\",\"birth_date\":0,\"sex\":\"X\","
            "\"origin\":\"OTHER\"}",
            "sex: unknown symbol \"X\" of Sex (expected one of L, P)");
    refused(VK_SCHEMA_TICKET_REQUESTED,
            "{" ENVELOPE ",\"nik\":\"1\",\"name\":\"A\",\"birth_date\":0,\"sex\":1,"
            "\"origin\":\"OTHER\"}",
            "sex: expected null or Sex, got 1");
}

static void test_union_type_member(void **state) {
    (void)state;
    refused(VK_SCHEMA_TARGET_EVENT,
            "{" ENVELOPE ",\"nik\":\"1\",\"causation_id\":\"c1\",\"payload\":"
            "{\"type\":\"Jabbed\",\"dose\":1}}",
            "payload: unknown type \"Jabbed\" (expected one of TicketIssued, Registered, "
            "Screened, Vaccinated, VerificationPending, VerificationEnriched, "
            "VerificationRefused)");
    /* A chosen branch reports its own errors. */
    refused(VK_SCHEMA_TARGET_EVENT,
            "{" ENVELOPE ",\"nik\":\"1\",\"causation_id\":\"c1\",\"payload\":"
            "{\"type\":\"vaksin.v1.Registered\",\"facility_code\":\"F\"}}",
            "payload.dose: missing required field");
    /* "type" is not a field of a record outside such a union. */
    refused(VK_SCHEMA_REGISTRATION_SUBMITTED,
            "{" ENVELOPE ",\"type\":\"RegistrationSubmitted\",\"nik\":\"1\","
            "\"facility_code\":\"F\",\"dose\":1}",
            "type: unknown field (not in record RegistrationSubmitted)");
}

/* ---- generic schema features the contract does not use ---- */

static const char *const GENERIC =
    "{\"type\":\"record\",\"name\":\"Generic\",\"namespace\":\"test.v1\",\"fields\":["
    "{\"name\":\"m\",\"type\":{\"type\":\"map\",\"values\":{\"type\":\"long\","
    "\"logicalType\":\"timestamp-micros\"}}},"
    "{\"name\":\"f\",\"type\":{\"type\":\"fixed\",\"name\":\"Four\",\"size\":4}},"
    "{\"name\":\"b\",\"type\":\"bytes\",\"default\":\"\\u00c3\\u0001A\"},"
    "{\"name\":\"d\",\"type\":\"double\"},"
    "{\"name\":\"x\",\"type\":[\"int\",\"string\"],\"default\":7},"
    "{\"name\":\"dates\",\"type\":{\"type\":\"array\",\"items\":{\"type\":\"int\","
    "\"logicalType\":\"date\"}},\"default\":[]},"
    "{\"name\":\"inner\",\"type\":{\"type\":\"record\",\"name\":\"Inner\",\"fields\":["
    "{\"name\":\"s\",\"type\":\"string\",\"default\":\"dflt\"}]},\"default\":{}}]}";

static void test_generic_schema(void **state) {
    (void)state;
    char err[512];
    assert_int_equal(vk_json_register_schema(GENERIC, err, sizeof err), 0);
    avro_schema_t s = parse_schema(GENERIC);
    value_box b;
    box_new(&b, s);
    if (convert(s, &b,
                "{\"m\":{\"a\":\"2021-02-01T23:30:00.123456Z\",\"b\":0},\"f\":\"AAECAw==\","
                "\"d\":\"NaN\"}",
                err, sizeof err))
        fail_msg("%s", err);
    json_t *out = through_binary(s, &b);
    assert_json_equal(out, "{\"m\":{\"a\":\"2021-02-01T23:30:00.123456Z\","
                           "\"b\":\"1970-01-01T00:00:00.000000Z\"},\"f\":\"AAECAw==\","
                           "\"b\":\"wwFB\",\"d\":\"NaN\",\"x\":7,\"dates\":[],"
                           "\"inner\":{\"s\":\"dflt\"}}");
    json_decref(out);

    if (convert(s, &b,
                "{\"m\":{},\"f\":\"AAECAw==\",\"b\":\"\",\"d\":-2.5,\"x\":\"seven\","
                "\"dates\":[\"2021-01-01\",0],\"inner\":{\"s\":\"i\"}}",
                err, sizeof err))
        fail_msg("%s", err);
    out = through_binary(s, &b);
    assert_json_equal(out, "{\"m\":{},\"f\":\"AAECAw==\",\"b\":\"\",\"d\":-2.5,\"x\":\"seven\","
                           "\"dates\":[\"2021-01-01\",\"1970-01-01\"],\"inner\":{\"s\":\"i\"}}");
    json_decref(out);

    /* Re-converting into a used value starts afresh (arrays do not accumulate). */
    if (convert(s, &b, "{\"m\":{},\"f\":\"AAECAw==\",\"d\":1,\"dates\":[1]}", err, sizeof err))
        fail_msg("%s", err);
    out = through_binary(s, &b);
    assert_json_equal(out, "{\"m\":{},\"f\":\"AAECAw==\",\"b\":\"wwFB\",\"d\":1.0,\"x\":7,"
                           "\"dates\":[\"1970-01-02\"],\"inner\":{\"s\":\"dflt\"}}");
    json_decref(out);

    assert_int_not_equal(
        convert(s, &b, "{\"m\":{\"k\":true},\"f\":\"AAECAw==\",\"d\":1}", err, sizeof err), 0);
    assert_string_equal(err, "m[\"k\"]: expected a timestamp (RFC 3339 like "
                             "\"2021-02-01T23:30:00Z\" or microseconds since the epoch), got true");
    assert_int_not_equal(convert(s, &b, "{\"m\":{},\"f\":\"AAEC\",\"d\":1}", err, sizeof err), 0);
    assert_string_equal(err, "f: expected 4 bytes for fixed Four, got 3");
    assert_int_not_equal(
        convert(s, &b, "{\"m\":{},\"f\":\"AAECAw==\",\"d\":1,\"x\":1.5}", err, sizeof err), 0);
    assert_string_equal(err, "x: expected int or string, got 1.5");
    box_free(&b);
    avro_schema_decref(s);
}

/* A float prints as the decimal the sender wrote, not its binary approximation. */
static void test_float_output(void **state) {
    (void)state;
    avro_schema_t s = contract(VK_SCHEMA_SCREENING_SUBMITTED);
    value_box b;
    box_new(&b, s);
    char err[512];
    if (convert(s, &b,
                "{" ENVELOPE ",\"nik\":\"1\",\"dose\":1,\"facility_code\":\"F\","
                "\"temperature_c\":36.6,\"answers\":[],\"result\":\"PROCEED\"}",
                err, sizeof err))
        fail_msg("%s", err);
    json_t *out = through_binary(s, &b);
    json_t *t = json_object_get(out, "temperature_c");
    assert_true(json_is_real(t));
    assert_true(json_real_value(t) == 36.6);
    json_decref(out);
    box_free(&b);
    avro_schema_decref(s);
}

/* Strings that are not UTF-8 (bad input kept in a dead letter, say) still print. */
static void test_invalid_utf8_output(void **state) {
    (void)state;
    avro_schema_t s = avro_schema_string();
    value_box b;
    box_new(&b, s);
    assert_int_equal(avro_value_set_string(&b.value, "ab\xff"
                                                     "c\xc3"),
                     0);
    json_t *out = vk_avro_to_json(&b.value, s);
    assert_non_null(out);
    assert_string_equal(json_string_value(out), "ab\xEF\xBF\xBD"
                                                "c\xEF\xBF\xBD");
    json_decref(out);
    box_free(&b);
    avro_schema_decref(s);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roundtrip_ticket_requested),
        cmocka_unit_test(test_roundtrip_registration),
        cmocka_unit_test(test_roundtrip_screening),
        cmocka_unit_test(test_roundtrip_vaccination),
        cmocka_unit_test(test_roundtrip_verification_requested),
        cmocka_unit_test(test_roundtrip_access_changed),
        cmocka_unit_test(test_roundtrip_verification_lookup),
        cmocka_unit_test(test_roundtrip_dead_letter),
        cmocka_unit_test(test_roundtrip_target_event_payloads),
        cmocka_unit_test(test_defaults_applied),
        cmocka_unit_test(test_nullable_forms),
        cmocka_unit_test(test_dates_and_timestamps),
        cmocka_unit_test(test_bad_dates_and_timestamps),
        cmocka_unit_test(test_missing_required_field),
        cmocka_unit_test(test_wrong_type_with_path),
        cmocka_unit_test(test_enum_unknown_symbol),
        cmocka_unit_test(test_union_type_member),
        cmocka_unit_test(test_generic_schema),
        cmocka_unit_test(test_float_output),
        cmocka_unit_test(test_invalid_utf8_output),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
