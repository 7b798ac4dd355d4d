/*
 * test_uuid.c — UUIDv5, derived event ids, parsing and formatting (lib/base/vk_uuid.c).
 *
 * Expected values come from Python's uuid.uuid5 (tests/vectors/rules/vectors.txt, written by
 * make_vectors.py) plus the well-known uuid5(NAMESPACE_DNS, "python.org") from Python's
 * documentation, hard-coded so the test stands even without the vector file.
 */
#include <setjmp.h>
#include "vk_uuid.h"
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define VECTORS "tests/vectors/rules/vectors.txt"

static const uint8_t ns_dns[16] = {0x6b, 0xa7, 0xb8, 0x10, 0x9d, 0xad, 0x11, 0xd1,
                                   0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4, 0x30, 0xc8};

static size_t hex_decode(const char *hex, uint8_t *out, size_t cap) {
    size_t n = 0;
    if (strcmp(hex, "-") == 0)
        return 0;
    for (; hex[2 * n] && hex[2 * n + 1] && n < cap; n++) {
        unsigned v;
        assert_int_equal(sscanf(hex + 2 * n, "%2x", &v), 1);
        out[n] = (uint8_t)v;
    }
    return n;
}

static void expect_v5_shape(const char *u) {
    assert_int_equal(strlen(u), 36);
    assert_int_equal(u[14], '5');                         /* version */
    assert_non_null(strchr("89ab", u[19]));               /* RFC 4122 variant */
    assert_int_equal(strspn(u, "0123456789abcdef-"), 36); /* lower case */
}

static void test_python_org(void **state) {
    char out[37];
    vk_uuid_v5(ns_dns, "python.org", strlen("python.org"), out);
    assert_string_equal(out, "886313e1-3b8a-5372-9b90-0c9aee199e5d");
}

static void test_namespace_is_fixed(void **state) {
    char out[37];
    vk_uuid_format(VK_UUID_NAMESPACE, out);
    assert_string_equal(out, "def095a8-4907-4fb1-b9c3-1c47acaf11b8");
    assert_int_equal(VK_UUID_NAMESPACE[6] >> 4, 4); /* a version 4 (random) UUID */
}

static void test_vectors(void **state) {
    FILE *f = fopen(VECTORS, "r");
    if (!f)
        fail_msg("cannot open %s (the tests run from the repository root)", VECTORS);
    char line[2048];
    int v5 = 0, derived = 0;
    while (fgets(line, sizeof line, f)) {
        char ns_text[40], hex[1024], service[64], input[64], expected[40], got[37];
        int n;
        if (sscanf(line, "uuid5 %39s %1023s %39s", ns_text, hex, expected) == 3) {
            uint8_t ns[16], name[512];
            assert_int_equal(vk_uuid_parse(ns_text, ns), 0);
            vk_uuid_v5(ns, name, hex_decode(hex, name, sizeof name), got);
            if (strcmp(got, expected) != 0)
                fail_msg("uuid5(%s, %.40s): got %s, expected %s", ns_text, hex, got, expected);
            expect_v5_shape(got);
            v5++;
        } else if (sscanf(line, "derive %63s %63s %d %39s", service, input, &n, expected) == 4) {
            vk_derive_event_id(service, input, n, got);
            if (strcmp(got, expected) != 0)
                fail_msg("derive(%s, %s, %d): got %s, expected %s", service, input, n, got,
                         expected);
            derived++;
        }
    }
    fclose(f);
    assert_true(v5 >= 15);
    assert_true(derived >= 10);
}

/* The derived id is UUIDv5 of "<service>/<input>/<n>", and every part of it matters. */
static void test_derive(void **state) {
    static const char input[] = "1429acea-56a3-4a6a-9f4b-b8c5793365a6";
    char a[37], b[37], c[37];
    vk_derive_event_id("ticket", input, 0, a);
    vk_derive_event_id("ticket", input, 0, b);
    assert_string_equal(a, b);
    expect_v5_shape(a);
    const char *name = "ticket/1429acea-56a3-4a6a-9f4b-b8c5793365a6/0";
    vk_uuid_v5(VK_UUID_NAMESPACE, name, strlen(name), c);
    assert_string_equal(a, c);
    vk_derive_event_id("ticket", input, 1, b);
    assert_string_not_equal(a, b);
    vk_derive_event_id("projector", input, 0, b);
    assert_string_not_equal(a, b);
    vk_derive_event_id("ticket", "1429acea-56a3-4a6a-9f4b-b8c5793365a7", 0, b);
    assert_string_not_equal(a, b);
    vk_derive_event_id("ticket", input, -2147483647 - 1, b); /* INT_MIN formats whole */
    name = "ticket/1429acea-56a3-4a6a-9f4b-b8c5793365a6/-2147483648";
    vk_uuid_v5(VK_UUID_NAMESPACE, name, strlen(name), c);
    assert_string_equal(b, c);
}

/* A long input id is hashed whole, not truncated into a fixed buffer. */
static void test_derive_long_input(void **state) {
    static char input[5000], name[5100];
    memset(input, 'q', sizeof input - 1);
    char got[37], want[37], other[37];
    vk_derive_event_id("svc", input, 3, got);
    const int len = snprintf(name, sizeof name, "svc/%s/3", input);
    vk_uuid_v5(VK_UUID_NAMESPACE, name, (size_t)len, want);
    assert_string_equal(got, want);
    input[4000] = 'r';
    vk_derive_event_id("svc", input, 3, other);
    assert_string_not_equal(got, other);
}

static void test_parse_and_format(void **state) {
    uint8_t u[16];
    char out[37];
    assert_int_equal(vk_uuid_parse("6ba7b810-9dad-11d1-80b4-00c04fd430c8", u), 0);
    assert_memory_equal(u, ns_dns, 16);
    assert_int_equal(vk_uuid_parse("6BA7B810-9DAD-11D1-80B4-00C04FD430C8", u), 0);
    assert_memory_equal(u, ns_dns, 16);
    assert_int_equal(vk_uuid_parse("6Ba7b810-9DaD-11d1-80B4-00c04Fd430C8", u), 0);
    vk_uuid_format(u, out);
    assert_string_equal(out, "6ba7b810-9dad-11d1-80b4-00c04fd430c8");
    assert_int_equal(vk_uuid_parse("00000000-0000-0000-0000-000000000000", u), 0);
    vk_uuid_format(u, out);
    assert_string_equal(out, "00000000-0000-0000-0000-000000000000");
    assert_int_equal(vk_uuid_parse("ffffffff-ffff-ffff-ffff-ffffffffffff", u), 0);
    vk_uuid_format(u, out);
    assert_string_equal(out, "ffffffff-ffff-ffff-ffff-ffffffffffff");
}

static void test_parse_refused(void **state) {
    static const char *const bad[] = {
        "",
        "6ba7b810-9dad-11d1-80b4-00c04fd430c",    /* short */
        "6ba7b810-9dad-11d1-80b4-00c04fd430c88",  /* long */
        "6ba7b8109dad11d180b400c04fd430c8",       /* no hyphens */
        "6ba7b810-9dad-11d1-80b400c04fd430c8-",   /* hyphen misplaced */
        "6ba7b81-09dad-11d1-80b4-00c04fd430c8",   /* hyphen misplaced */
        "6ba7b810-9dad-11d1-80b4_00c04fd430c8",   /* wrong separator */
        "6ba7b810-9dad-11d1-80b4-00c04fd430cg",   /* not hex */
        "6ba7b810-9dad-11d1-80b4-00c04fd430 8",   /* space */
        "{6ba7b810-9dad-11d1-80b4-00c04fd430c8}", /* braces */
        "urn:uuid:6ba7b810-9dad-11d1-80b4-00c04fd430c8",
        " 6ba7b810-9dad-11d1-80b4-00c04fd430c8",
        "6ba7b810-9dad-11d1-80b4-00c04fd430c8 ",
        "6ba7b810-9dad-11d1-80b4-00c04fd430c8\n",
        "6ba7b810-9dad-11d1-80b4-",
        "+ba7b810-9dad-11d1-80b4-00c04fd430c8",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        uint8_t u[16];
        memset(u, 0xAA, sizeof u);
        if (vk_uuid_parse(bad[i], u) != -1)
            fail_msg("\"%s\" accepted", bad[i]);
        for (int k = 0; k < 16; k++)
            assert_int_equal(u[k], 0xAA); /* untouched */
    }
    uint8_t u[16];
    assert_int_equal(vk_uuid_parse(NULL, u), -1);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_python_org),        cmocka_unit_test(test_namespace_is_fixed),
        cmocka_unit_test(test_vectors),           cmocka_unit_test(test_derive),
        cmocka_unit_test(test_derive_long_input), cmocka_unit_test(test_parse_and_format),
        cmocka_unit_test(test_parse_refused),
    };
    return cmocka_run_group_tests_name("unit.uuid", tests, NULL, NULL);
}
