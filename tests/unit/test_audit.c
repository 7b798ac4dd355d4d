/*
 * test_audit.c — the pure parts of the audit tools' shared code (lib/audit/vk_audit.c): times and
 * positions as an operator types them, times printed back, the partition of a key, and which
 * NIK a decoded record is about.
 *
 * Reference values: epoch milliseconds from Python's datetime.fromisoformat; partitions from a
 * Python port of the Java client's murmur2 (Utils.murmur2, toPositive, % partitions), the
 * partitioner our producers use — the trail reads only the partition a NIK's key went to.
 */
#include "vk_audit.h"
#include "vk_time.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

static int64_t parse_ms(const char *text) {
    int64_t ms = -1;
    char err[256];
    assert_int_equal(0, vk_time_parse(text, &ms, err, sizeof err));
    return ms;
}

static void times_with_zones(void **state) {
    (void)state;
    assert_int_equal(1795514400000, parse_ms("2026-11-24T10:00:00Z"));
    assert_int_equal(1795514400250, parse_ms("2026-11-24T17:00:00.250+07:00"));
    assert_int_equal(1625101200000, parse_ms("2021-07-01T08:00:00+07:00"));
    assert_int_equal(500, parse_ms("1970-01-01T00:00:00.5Z"));
    assert_int_equal(1709263799999, parse_ms("2024-02-29T23:59:59.999-03:30"));
    assert_int_equal(946684800000, parse_ms("2000-01-01 00:00:00+0000"));
    assert_int_equal(1795514400123, parse_ms("@1795514400123"));
}

static void times_refused(void **state) {
    (void)state;
    int64_t ms;
    char err[256];
    assert_int_equal(-1, vk_time_parse("2026-11-24T10:00:00", &ms, err, sizeof err));
    assert_non_null(strstr(err, "no time zone"));
    const char *bad[] = {"2026-13-01T00:00:00Z",
                         "2026-11-24",
                         "2026-11-24T25:00:00Z",
                         "2026-11-24T10:00:00+7",
                         "yesterday",
                         "@",
                         "@-5",
                         "2026-11-24T10:00:00Zjunk"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        assert_int_equal(-1, vk_time_parse(bad[i], &ms, err, sizeof err));
}

static void positions(void **state) {
    (void)state;
    vk_pos p;
    char err[256];
    assert_int_equal(0, vk_pos_parse("beginning", &p, err, sizeof err));
    assert_int_equal(VK_POS_BEGINNING, p.kind);
    assert_int_equal(0, vk_pos_parse("end", &p, err, sizeof err));
    assert_int_equal(VK_POS_END, p.kind);
    assert_int_equal(0, vk_pos_parse("12345", &p, err, sizeof err));
    assert_int_equal(VK_POS_OFFSET, p.kind);
    assert_int_equal(12345, p.value);
    assert_int_equal(0, vk_pos_parse("2021-07-01T08:00:00+07:00", &p, err, sizeof err));
    assert_int_equal(VK_POS_TIME, p.kind);
    assert_int_equal(1625101200000, p.value);
    assert_int_equal(-1, vk_pos_parse("", &p, err, sizeof err));
    assert_int_equal(-1, vk_pos_parse("-3", &p, err, sizeof err));
    assert_int_equal(-1, vk_pos_parse("1234567890123456789012", &p, err, sizeof err));
}

static void times_printed_back(void **state) {
    (void)state;
    char out[40];
    vk_time_format(1795514400250, VK_TIME_MS, out, sizeof out);
    assert_string_equal("2026-11-24T10:00:00.250Z", out);
    vk_time_format(0, VK_TIME_MS, out, sizeof out);
    assert_string_equal("1970-01-01T00:00:00.000Z", out);
    vk_time_format(-1, VK_TIME_MS, out, sizeof out);
    assert_string_equal("1969-12-31T23:59:59.999Z", out);
    /* -03:30 is three and a half hours behind UTC */
    assert_int_equal(1709263799999, parse_ms("2024-03-01T03:29:59.999Z"));
}

static void key_partitions_match_the_java_client(void **state) {
    (void)state;
    assert_int_equal(7, vk_key_partition("3173126905630148", 16, 16));
    assert_int_equal(7, vk_key_partition("3173126905630148", 16, 8));
    assert_int_equal(12, vk_key_partition("1271011501859001", 16, 16));
    assert_int_equal(4, vk_key_partition("1271011501859001", 16, 8));
    assert_int_equal(6, vk_key_partition("V02QHVDD510TWS113", 17, 16));
    assert_int_equal(12, vk_key_partition("officer.1", 9, 16));
}

static void record_nik(void **state) {
    (void)state;
    json_t *r = json_pack("{s:s, s:{s:s}}", "key", "x", "value", "nik", "3173126905630148");
    assert_string_equal("3173126905630148", vk_audit_record_nik(r));
    json_decref(r);
    /* a dead letter: the refused request's NIK */
    r = json_pack("{s:s, s:{s:s}, s:{s:s}}", "key", "T-1", "value", "error", "bad", "payload",
                  "nik", "1271011501859001");
    assert_string_equal("1271011501859001", vk_audit_record_nik(r));
    json_decref(r);
    /* undecodable: only the key */
    r = json_pack("{s:s, s:s}", "key", "1271011501859001", "error", "no");
    assert_string_equal("1271011501859001", vk_audit_record_nik(r));
    json_decref(r);
    /* a NIK that is not 16 digits is no NIK; a ticket key is none either */
    r = json_pack("{s:s, s:{s:s}}", "key", "V02QHVDD510TWS113", "value", "nik", "12345");
    assert_null(vk_audit_record_nik(r));
    json_decref(r);
}

static void nik_form(void **state) {
    (void)state;
    char err[128];
    assert_int_equal(0, vk_audit_nik_check("3273014101900001", err, sizeof err));
    assert_int_equal(-1, vk_audit_nik_check("327301410190000", err, sizeof err));
    assert_string_equal("a NIK has 16 digits, this one has 15", err);
    assert_int_equal(-1, vk_audit_nik_check("32730141019000x1", err, sizeof err));
    assert_string_equal("a NIK is 16 digits; character 15 is not a digit", err);
    assert_int_equal(-1, vk_audit_nik_check("", err, sizeof err));
    /* only the form: a birth day 32 is still a NIK to look for (its dead letters) */
    assert_int_equal(0, vk_audit_nik_check("3273017201900001", err, sizeof err));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(times_with_zones),
        cmocka_unit_test(times_refused),
        cmocka_unit_test(positions),
        cmocka_unit_test(times_printed_back),
        cmocka_unit_test(key_partitions_match_the_java_client),
        cmocka_unit_test(record_nik),
        cmocka_unit_test(nik_form),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
