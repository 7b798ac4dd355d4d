/*
 * test_str.c — vk_str_copy (lib/base/vk_str.c): fits, cuts, and never cuts a UTF-8 character.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "vk_str.h"

#include <string.h>

static void test_fits_and_null(void **state) {
    (void)state;
    char out[8];
    vk_str_copy(out, sizeof out, "abc");
    assert_string_equal(out, "abc");
    vk_str_copy(out, sizeof out, "1234567"); /* exactly cap - 1 */
    assert_string_equal(out, "1234567");
    vk_str_copy(out, sizeof out, NULL);
    assert_string_equal(out, "");
    vk_str_copy(out, 1, "abc");
    assert_string_equal(out, "");
}

static void test_cut_ascii(void **state) {
    (void)state;
    char out[4];
    vk_str_copy(out, sizeof out, "abcdef");
    assert_string_equal(out, "abc");
}

/* "é" is 2 bytes (C3 A9), "€" 3 (E2 82 AC), "😀" 4 (F0 9F 98 80): a cut inside any of them
 * drops the whole character. */
static void test_cut_utf8(void **state) {
    (void)state;
    char out[64];
    const char *e40 = "éééééééééééééééééééééééééééééééééééééééé"; /* 40 × é = 80 bytes */
    vk_str_copy(out, sizeof out, e40); /* room for 63 bytes: 31 characters (62 bytes) */
    assert_int_equal(strlen(out), 62);
    assert_memory_equal(out, e40, 62);
    char small[3];
    vk_str_copy(small, sizeof small, "a€"); /* 'a' + 1 byte of € would not be UTF-8 */
    assert_string_equal(small, "a");
    char four[5];
    vk_str_copy(four, sizeof four, "😀x"); /* 4 bytes fit exactly */
    assert_string_equal(four, "😀");
    vk_str_copy(four, 4, "😀x");
    assert_string_equal(four, "");
}

static void test_utf8_valid(void **state) {
    (void)state;
    static const char *const ok[] = {"", "abc", "é", "€", "😀", "SITI AMINAH", "\xf4\x8f\xbf\xbf"};
    static const char *const bad[] = {
        "\xff",             /* never in UTF-8 */
        "\xc3",             /* a lead byte, then the end */
        "\xc3\x28",         /* a lead byte, then ASCII */
        "\xc0\xaf",         /* overlong '/' */
        "\xe0\x80\xaf",     /* overlong, 3 bytes */
        "\xed\xa0\x80",     /* a surrogate (U+D800) */
        "\xf4\x90\x80\x80", /* above U+10FFFF */
        "\x80",             /* a continuation byte alone */
    };
    for (size_t i = 0; i < sizeof ok / sizeof *ok; i++)
        if (!vk_str_utf8_valid(ok[i]))
            fail_msg("valid case %zu refused", i);
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        if (vk_str_utf8_valid(bad[i]))
            fail_msg("invalid case %zu accepted", i);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fits_and_null),
        cmocka_unit_test(test_cut_ascii),
        cmocka_unit_test(test_cut_utf8),
        cmocka_unit_test(test_utf8_valid),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
