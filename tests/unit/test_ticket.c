/*
 * test_ticket.c — ticket numbers (lib/domain/vk_ticket.c).
 *
 * The expected tickets in tests/vectors/rules/vectors.txt come from an independent Python
 * implementation (hmac + hashlib, bignum mod 37) in make_vectors.py. The rest checks the
 * properties the design relies on: determinism, dependence on the secret, no collisions in a
 * sample, every single-symbol substitution caught, and tolerant reading of typed tickets.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "vk_ticket.h"

#define VECTORS "tests/vectors/rules/vectors.txt"
#define SAMPLE  2000

static const char base32[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
static const char check_symbols[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ*~$=U";
static const uint8_t secret[] = "vaksin-dev-secret";
#define SECRET_LEN (sizeof secret - 1)

/* A valid NIK for sample index i (the ticket does not care, but keep the input realistic). */
static void sample_nik(unsigned i, char nik[17]) {
    snprintf(nik, 17, "3273%02u%02u%02u%02u%04u", 1 + i % 40, 1 + i % 28 + (i % 2) * 40, 1 + i % 12,
             i % 100, 1 + i % 9999);
}

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

static void expect_canonical(const char *typed, const char *expected) {
    char out[VK_TICKET_LEN + 1], err[256] = "";
    if (vk_ticket_canonical(typed, out, err, sizeof err) != 0)
        fail_msg("ticket \"%s\" refused: %s", typed, err);
    if (strcmp(out, expected) != 0)
        fail_msg("ticket \"%s\" gave %s, expected %s", typed, out, expected);
}

#define EXPECT_REFUSED(typed, words)                                                               \
    do {                                                                                           \
        char out_[VK_TICKET_LEN + 1] = "junk", err_[256] = "";                                     \
        assert_int_equal(vk_ticket_canonical((typed), out_, err_, sizeof err_), -1);               \
        assert_string_equal(out_, "");                                                             \
        if (!strstr(err_, (words)))                                                                \
            fail_msg("ticket \"%s\": error \"%s\" lacks \"%s\"", (typed), err_, (words));          \
    } while (0)

static void test_vectors(void **state) {
    FILE *f = fopen(VECTORS, "r");
    if (!f)
        fail_msg("cannot open %s (the tests run from the repository root)", VECTORS);
    char line[2048];
    int count = 0;
    while (fgets(line, sizeof line, f)) {
        char hex[512], nik[32], expected[32], got[VK_TICKET_LEN + 1];
        uint8_t key[256];
        if (sscanf(line, "ticket %511s %31s %31s", hex, nik, expected) != 3)
            continue;
        const size_t key_len = hex_decode(hex, key, sizeof key);
        vk_ticket_from_nik(key, key_len, nik, got);
        if (strcmp(got, expected) != 0)
            fail_msg("secret %s, NIK %s: got %s, expected %s", hex, nik, got, expected);
        expect_canonical(expected, expected);
        count++;
    }
    fclose(f);
    assert_true(count >= 40);
}

static void test_shape_and_determinism(void **state) {
    char a[VK_TICKET_LEN + 1], b[VK_TICKET_LEN + 1], nik[17];
    for (int i = 0; i < 200; i++) {
        sample_nik((unsigned)i, nik);
        vk_ticket_from_nik(secret, SECRET_LEN, nik, a);
        vk_ticket_from_nik(secret, SECRET_LEN, nik, b);
        assert_string_equal(a, b);
        assert_int_equal(strlen(a), VK_TICKET_LEN);
        for (int k = 0; k < VK_TICKET_LEN - 1; k++)
            assert_non_null(strchr(base32, a[k]));
        assert_non_null(strchr(check_symbols, a[VK_TICKET_LEN - 1]));
    }
}

static int compare_tickets(const void *a, const void *b) {
    return strcmp((const char *)a, (const char *)b);
}

/* Tickets differ across NIKs and across secrets: no collision among 3 x SAMPLE tickets. */
static void test_secret_and_nik_matter(void **state) {
    static const char *const secrets[] = {"vaksin-dev-secret", "vaksin-dev-secreT", "x"};
    static char tickets[3 * SAMPLE][VK_TICKET_LEN + 1];
    char nik[17];
    for (int s = 0; s < 3; s++)
        for (int i = 0; i < SAMPLE; i++) {
            sample_nik((unsigned)i, nik);
            vk_ticket_from_nik((const uint8_t *)secrets[s], strlen(secrets[s]), nik,
                               tickets[s * SAMPLE + i]);
        }
    qsort(tickets, (size_t)3 * SAMPLE, sizeof tickets[0], compare_tickets);
    for (int i = 1; i < 3 * SAMPLE; i++)
        if (strcmp(tickets[i - 1], tickets[i]) == 0)
            fail_msg("collision: %s", tickets[i]);
    char empty_secret[VK_TICKET_LEN + 1], other[VK_TICKET_LEN + 1];
    vk_ticket_from_nik(NULL, 0, "3273014506900001", empty_secret);
    vk_ticket_from_nik(secret, SECRET_LEN, "3273014506900001", other);
    assert_string_not_equal(empty_secret, other);
}

/* Every check value occurs, including the five symbols only a check may use (* ~ $ = U). */
static void test_check_symbols_all_used(void **state) {
    bool seen[37] = {false};
    char t[VK_TICKET_LEN + 1], nik[17];
    for (int i = 0; i < SAMPLE; i++) {
        sample_nik((unsigned)i, nik);
        vk_ticket_from_nik(secret, SECRET_LEN, nik, t);
        seen[strchr(check_symbols, t[VK_TICKET_LEN - 1]) - check_symbols] = true;
        expect_canonical(t, t);
    }
    for (int v = 0; v < 37; v++)
        if (!seen[v])
            fail_msg("check symbol %c never produced in %d tickets", check_symbols[v], SAMPLE);
}

/* Any one symbol replaced by any other valid symbol is refused as a check mismatch. */
static void test_single_substitution_detected(void **state) {
    char t[VK_TICKET_LEN + 1], typo[VK_TICKET_LEN + 1], nik[17];
    int tried = 0;
    for (int i = 0; i < 100; i++) {
        sample_nik((unsigned)i * 7, nik);
        vk_ticket_from_nik(secret, SECRET_LEN, nik, t);
        for (int pos = 0; pos < VK_TICKET_LEN; pos++) {
            const char *alphabet = pos < VK_TICKET_LEN - 1 ? base32 : check_symbols;
            for (const char *c = alphabet; *c; c++) {
                if (*c == t[pos])
                    continue;
                memcpy(typo, t, sizeof typo);
                typo[pos] = *c;
                EXPECT_REFUSED(typo, "ticket check symbol does not match: mistyped?");
                tried++;
            }
        }
    }
    assert_int_equal(tried, 100 * (16 * 31 + 36));
}

/* Swapping two different adjacent symbols is caught too (31 * 32^k is never 0 mod 37). */
static void test_adjacent_transposition_detected(void **state) {
    char t[VK_TICKET_LEN + 1], nik[17];
    for (int i = 0; i < 100; i++) {
        sample_nik((unsigned)i * 13, nik);
        vk_ticket_from_nik(secret, SECRET_LEN, nik, t);
        for (int pos = 0; pos + 1 < VK_TICKET_LEN - 1; pos++) {
            if (t[pos] == t[pos + 1])
                continue;
            char swapped[VK_TICKET_LEN + 1];
            memcpy(swapped, t, sizeof swapped);
            swapped[pos] = t[pos + 1];
            swapped[pos + 1] = t[pos];
            EXPECT_REFUSED(swapped, "check symbol does not match");
        }
    }
}

static void test_canonical_typing(void **state) {
    char t[VK_TICKET_LEN + 1], typed[64], nik[17];
    vk_ticket_from_nik(secret, SECRET_LEN, "3273014506900001", t);
    /* lower case, hyphens every four, spaces around */
    snprintf(typed, sizeof typed, " %.4s-%.4s-%.4s-%.4s-%c ", t, t + 4, t + 8, t + 12, t[16]);
    for (char *p = typed; *p; p++)
        if (*p >= 'A' && *p <= 'Z')
            *p = (char)(*p - 'A' + 'a');
    expect_canonical(typed, t);
    snprintf(typed, sizeof typed, "%.4s %.4s %.4s %.4s %c", t, t + 4, t + 8, t + 12, t[16]);
    expect_canonical(typed, t);
    /* O/o read as 0, I/i/L/l as 1 */
    int zeros = 0, ones = 0;
    for (int i = 0; i < SAMPLE && (zeros < 2 || ones < 4); i++) {
        sample_nik((unsigned)i, nik);
        vk_ticket_from_nik(secret, SECRET_LEN, nik, t);
        char *zero = strchr(t, '0'), *one = strchr(t, '1');
        if (zero && zeros < 2) {
            memcpy(typed, t, sizeof t);
            typed[zero - t] = "Oo"[zeros++];
            expect_canonical(typed, t);
        }
        if (one && ones < 4) {
            memcpy(typed, t, sizeof t);
            typed[one - t] = "IiLl"[ones++];
            expect_canonical(typed, t);
        }
    }
    assert_int_equal(zeros, 2);
    assert_int_equal(ones, 4);
    /* in place */
    vk_ticket_from_nik(secret, SECRET_LEN, "3273014506900001", t);
    char in_place[VK_TICKET_LEN + 1];
    memcpy(in_place, t, sizeof t);
    in_place[3] = (char)(in_place[3] | 0x20); /* lower-case a letter or leave a digit */
    assert_int_equal(vk_ticket_canonical(in_place, in_place, NULL, 0), 0);
    assert_string_equal(in_place, t);
}

static void test_canonical_refused(void **state) {
    char t[VK_TICKET_LEN + 1], typed[64];
    vk_ticket_from_nik(secret, SECRET_LEN, "3273014506900001", t);
    snprintf(typed, sizeof typed, "%.16s", t);
    EXPECT_REFUSED(typed, "ticket has 16 symbols, expected 17");
    snprintf(typed, sizeof typed, "%s0", t);
    EXPECT_REFUSED(typed, "ticket has 18 symbols, expected 17");
    snprintf(typed, sizeof typed, "%s%s", t, t);
    EXPECT_REFUSED(typed, "34 symbols");
    EXPECT_REFUSED("", "0 symbols");
    EXPECT_REFUSED(" - ", "0 symbols");
    snprintf(typed, sizeof typed, "%.5s#%s", t, t + 5);
    EXPECT_REFUSED(typed, "'#' at position 6");
    snprintf(typed, sizeof typed, "%.5s\t%s", t, t + 5);
    EXPECT_REFUSED(typed, "0x09 at position 6");
    snprintf(typed, sizeof typed, "%.2sU%s", t, t + 3);
    EXPECT_REFUSED(typed, "'U' at position 3 may only be the last (check) symbol");
    snprintf(typed, sizeof typed, "%.2s-*%s", t, t + 3);
    EXPECT_REFUSED(typed, "'*' at position 4");
    char out[VK_TICKET_LEN + 1], err[64];
    assert_int_equal(vk_ticket_canonical(NULL, out, err, sizeof err), -1);
    assert_non_null(strstr(err, "missing"));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vectors),
        cmocka_unit_test(test_shape_and_determinism),
        cmocka_unit_test(test_secret_and_nik_matter),
        cmocka_unit_test(test_check_symbols_all_used),
        cmocka_unit_test(test_single_substitution_detected),
        cmocka_unit_test(test_adjacent_transposition_detected),
        cmocka_unit_test(test_canonical_typing),
        cmocka_unit_test(test_canonical_refused),
    };
    return cmocka_run_group_tests_name("unit.ticket", tests, NULL, NULL);
}
