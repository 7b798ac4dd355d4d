/*
 * test_rules.c — NIK, province codes, phone numbers, names and dates (lib/domain/vk_rules.c).
 *
 * Every rule is exercised on both sides: accepted inputs and their normalized form, refused
 * inputs and the key words their error must carry (the part at fault and the value found).
 * Dates are also checked against Python's datetime through tests/vectors/rules/vectors.txt
 * (written by make_vectors.py; ctest runs us from the repository root).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "vk_rules.h"
#include "vk_time.h"

#define VECTORS "tests/vectors/rules/vectors.txt"

/* Fails unless @p err contains every word in the NULL-terminated list. */
static void expect_words_(const char *input, const char *err, const char *const *words) {
    for (; *words; words++)
        if (!strstr(err, *words))
            fail_msg("error for \"%s\" was \"%s\", which lacks \"%s\"", input, err, *words);
}
#define EXPECT_WORDS(input, err, ...)                                                              \
    expect_words_((input), (err), (const char *[]){__VA_ARGS__, NULL})

/* ---- NIK ---- */

static void nik_accepted(const char *nik, vk_nik_info *info) {
    char err[256] = "";
    if (vk_nik_parse(nik, info, err, sizeof err) != 0)
        fail_msg("NIK %s refused: %s", nik, err);
}

#define NIK_REFUSED(nik, ...)                                                                      \
    do {                                                                                           \
        char err_[256] = "";                                                                       \
        vk_nik_info info_ = {.province = -7};                                                      \
        assert_int_equal(vk_nik_parse((nik), &info_, err_, sizeof err_), -1);                      \
        assert_int_equal(info_.province, -7); /* untouched on refusal */                           \
        EXPECT_WORDS((nik), err_, __VA_ARGS__);                                                    \
    } while (0)

static void test_nik_man(void **state) {
    vk_nik_info info;
    nik_accepted("3273010506900001", &info);
    assert_int_equal(info.province, 32);
    assert_int_equal(info.regency, 73);
    assert_int_equal(info.district, 1);
    assert_int_equal(info.birth_day, 5);
    assert_int_equal(info.birth_month, 6);
    assert_int_equal(info.birth_yy, 90);
    assert_int_equal(info.sex, VK_SEX_L);
    assert_int_equal(info.serial, 1);
}

static void test_nik_woman(void **state) {
    vk_nik_info info;
    nik_accepted("3273014506900001", &info);
    assert_int_equal(info.birth_day, 5);
    assert_int_equal(info.sex, VK_SEX_P);
    nik_accepted("3273017112999999", &info); /* 71 = 31 December for a woman */
    assert_int_equal(info.birth_day, 31);
    assert_int_equal(info.birth_month, 12);
    assert_int_equal(info.birth_yy, 99);
    assert_int_equal(info.sex, VK_SEX_P);
    assert_int_equal(info.serial, 9999);
    nik_accepted("3273014101000001", &info); /* 41 = the 1st */
    assert_int_equal(info.birth_day, 1);
    assert_int_equal(info.birth_yy, 0);
}

static void test_nik_boundary_days(void **state) {
    vk_nik_info info;
    nik_accepted("3273012902010001", &info); /* 29 February: some century had it */
    assert_int_equal(info.birth_day, 29);
    assert_int_equal(info.birth_month, 2);
    nik_accepted("3273016902010001", &info); /* and for a woman */
    assert_int_equal(info.sex, VK_SEX_P);
    nik_accepted("3273013101700001", &info);
    nik_accepted("3273013004700001", &info);
    nik_accepted("3273010103330001", &info); /* 1 March '33 */
    nik_accepted("3273013112690001", &info);
    assert_int_equal(vk_nik_parse("3273010506900001", NULL, NULL, 0), 0); /* both optional */
}

static void test_nik_refused_shape(void **state) {
    NIK_REFUSED("", "0 digits", "expected 16");
    NIK_REFUSED("327301050690001", "15 digits", "expected 16");
    NIK_REFUSED("32730105069000011", "17 digits", "expected 16");
    NIK_REFUSED("32730105069000a1", "character 15", "'a'", "not a digit");
    NIK_REFUSED(" 3273010506900001", "character 1", "' '");
    NIK_REFUSED("3273010506900001\n", "character 17", "0x0A");
    NIK_REFUSED("3273-01-0506900001", "character 5", "'-'");
    char err[64];
    assert_int_equal(vk_nik_parse(NULL, NULL, err, sizeof err), -1);
    EXPECT_WORDS("(null)", err, "NIK", "missing");
    assert_int_equal(vk_nik_parse("1", NULL, NULL, 0), -1); /* no error buffer: still safe */
}

static void test_nik_refused_region(void **state) {
    NIK_REFUSED("9973010506900001", "province code 99", "does not exist");
    NIK_REFUSED("0073010506900001", "province code 00");
    NIK_REFUSED("2073010506900001", "province code 20");
    NIK_REFUSED("3700010506900001", "province code 37");
    NIK_REFUSED("3200010506900001", "regency/city code 00");
    NIK_REFUSED("3273000506900001", "district code 00");
}

static void test_nik_refused_birth(void **state) {
    NIK_REFUSED("3273010006900001", "birth day 00 is not a valid day", "01-31, or 41-71 for women");
    NIK_REFUSED("3273013206900001",
                "NIK birth day 32 is not a valid day (01-31, or 41-71 for women)");
    NIK_REFUSED("3273014006900001", "birth day 40 is not a valid day");
    NIK_REFUSED("3273017206900001", "birth day 72 is not a valid day");
    NIK_REFUSED("3273019906900001", "birth day 99");
    NIK_REFUSED("3273010500900001", "birth month 00", "01-12");
    NIK_REFUSED("3273010513900001", "birth month 13", "01-12");
    NIK_REFUSED("3273013104900001", "birth day 31", "April", "30 days");
    NIK_REFUSED("3273017104900001", "birth day 71", "for a woman", "April");
    NIK_REFUSED("3273013002900001", "birth day 30", "February", "29 days");
    NIK_REFUSED("3273013106900001", "June");
    NIK_REFUSED("3273013109900001", "September");
    NIK_REFUSED("3273013111900001", "November");
}

static void test_nik_refused_serial(void **state) {
    NIK_REFUSED("3273010506900000", "serial 0000", "0001-9999");
}

/* A NIK for every province on the list is accepted; a neighbour of the list is refused. */
static void test_nik_every_province(void **state) {
    static const int valid[] = {11, 12, 13, 14, 15, 16, 17, 18, 19, 21, 31, 32, 33,
                                34, 35, 36, 51, 52, 53, 61, 62, 63, 64, 65, 71, 72,
                                73, 74, 75, 76, 81, 82, 91, 92, 93, 94, 95, 96, 97};
    const size_t n_valid = sizeof valid / sizeof valid[0];
    size_t seen = 0;
    for (int code = -1; code <= 100; code++) {
        bool expected = false;
        for (size_t i = 0; i < n_valid; i++)
            expected = expected || valid[i] == code;
        if (vk_province_code_valid(code) != expected)
            fail_msg("province %d: expected %s", code, expected ? "valid" : "invalid");
        if (code < 0 || code > 99)
            continue;
        char nik[17];
        snprintf(nik, sizeof nik, "%02d73010506900001", code);
        const int rc = vk_nik_parse(nik, NULL, NULL, 0);
        if ((rc == 0) != expected)
            fail_msg("NIK %s: expected %s", nik, expected ? "accepted" : "refused");
        seen += expected;
    }
    assert_int_equal(seen, n_valid);
}

static int32_t days_of(int y, int m, int d) {
    int32_t days = 0;
    assert_int_equal(vk_date_to_days(y, m, d, &days), 0);
    return days;
}

static void test_nik_birth_date_matches(void **state) {
    vk_nik_info info;
    nik_accepted("3273014506900001", &info);
    assert_true(vk_nik_birth_date_matches(&info, days_of(1990, 6, 5)));
    assert_true(vk_nik_birth_date_matches(&info, days_of(2090, 6, 5))); /* YY is ambiguous */
    assert_false(vk_nik_birth_date_matches(&info, days_of(1990, 6, 6)));
    assert_false(vk_nik_birth_date_matches(&info, days_of(1990, 7, 5)));
    assert_false(vk_nik_birth_date_matches(&info, days_of(1991, 6, 5)));
    nik_accepted("3273015507330001", &info); /* 15 July '33, before 1970 */
    assert_true(vk_nik_birth_date_matches(&info, days_of(1933, 7, 15)));
    assert_false(vk_nik_birth_date_matches(&info, days_of(1934, 7, 15)));
    nik_accepted("3273012902000001", &info);
    assert_true(vk_nik_birth_date_matches(&info, days_of(2000, 2, 29)));
    nik_accepted("3273013112690001", &info);
    assert_true(vk_nik_birth_date_matches(&info, -1)); /* 31 December 1969 */
    assert_false(vk_nik_birth_date_matches(NULL, 0));
}

static void test_nik_district_code(void **state) {
    char out[5];
    vk_nik_district_code("3273014506900001", out);
    assert_string_equal(out, "3273");
    vk_nik_district_code("32", out);
    assert_string_equal(out, "32");
    vk_nik_district_code(NULL, out);
    assert_string_equal(out, "");
}

/* ---- phone ---- */

static void phone_accepted(const char *in, const char *expected) {
    char out[20], err[256] = "";
    if (vk_phone_normalize(in, out, sizeof out, err, sizeof err) != 0)
        fail_msg("phone \"%s\" refused: %s", in, err);
    if (strcmp(out, expected) != 0)
        fail_msg("phone \"%s\" gave %s, expected %s", in, out, expected);
    char again[20];
    assert_int_equal(vk_phone_normalize(out, again, sizeof again, NULL, 0), 0); /* idempotent */
    assert_string_equal(again, out);
}

#define PHONE_REFUSED(in, ...)                                                                     \
    do {                                                                                           \
        char out_[20] = "junk", err_[256] = "";                                                    \
        assert_int_equal(vk_phone_normalize((in), out_, sizeof out_, err_, sizeof err_), -1);      \
        assert_string_equal(out_, "");                                                             \
        EXPECT_WORDS((in), err_, __VA_ARGS__);                                                     \
    } while (0)

static void test_phone_mobile_notations(void **state) {
    static const char *const same[] = {
        "081234567890",     "6281234567890",        "+6281234567890",   "0812-3456-7890",
        "0812 3456 7890",   "0812.3456.7890",       "(0812) 3456-7890", "+62 812-3456-7890",
        "62 812 3456 7890", "+62 (0)812 3456 7890", " 081234567890 ",
    };
    for (size_t i = 0; i < sizeof same / sizeof same[0]; i++)
        phone_accepted(same[i], "+6281234567890");
}

static void test_phone_mobile_lengths(void **state) {
    phone_accepted("081234567", "+6281234567");           /* 8 digits after 62 */
    phone_accepted("08123456789012", "+628123456789012"); /* 13 */
    PHONE_REFUSED("08123456", "mobile", "7 digits", "8 to 13");
    PHONE_REFUSED("081234567890123", "mobile", "14 digits", "8 to 13");
    PHONE_REFUSED("0812", "mobile", "3 digits");
}

static void test_phone_landline(void **state) {
    phone_accepted("022-1234567", "+62221234567");
    phone_accepted("(022) 123 4567", "+62221234567");
    phone_accepted("+62 22 1234567", "+62221234567");
    phone_accepted("021-12345678", "+622112345678");
    phone_accepted("02112345", "+622112345");         /* 7 digits after the 0 */
    phone_accepted("090112345678", "+6290112345678"); /* 11 */
    PHONE_REFUSED("0211234", "landline", "6 digits", "7 to 11");
    PHONE_REFUSED("090112345678901", "landline", "14 digits", "7 to 11");
}

static void test_phone_refused(void **state) {
    PHONE_REFUSED("08123abc4567", "letter 'a'", "position 6");
    PHONE_REFUSED("+1 202 555 0123", "+12025550123", "country code must be +62");
    PHONE_REFUSED("+44 20 7946 0958", "+442079460958", "+62");
    PHONE_REFUSED("8123456789", "must start with 0, 62 or +62");
    PHONE_REFUSED("0812+3456789", "'+' at position 5");
    PHONE_REFUSED("++6281234567890", "'+' at position 2");
    PHONE_REFUSED("0812/3456/7890", "'/'", "position 5");
    PHONE_REFUSED("0812\t34567890", "0x09", "position 5");
    PHONE_REFUSED("0112345678", "continues with 1", "mobile", "landline");
    PHONE_REFUSED("+62", "no digits after the prefix");
    PHONE_REFUSED("", "no digits");
    PHONE_REFUSED(" - () ", "no digits");
    PHONE_REFUSED("0812345678901234567890123", "25 digits");
    PHONE_REFUSED("0062812345678", "continues with 0");
    char err[64];
    assert_int_equal(vk_phone_normalize(NULL, NULL, 0, err, sizeof err), -1);
    EXPECT_WORDS("(null)", err, "missing");
}

static void test_phone_small_buffer(void **state) {
    char out[10] = "junk", err[128] = "";
    assert_int_equal(vk_phone_normalize("081234567890", out, sizeof out, err, sizeof err), -1);
    assert_string_equal(out, "");
    EXPECT_WORDS("081234567890", err, "too small");
    char exact[15];
    assert_int_equal(vk_phone_normalize("081234567890", exact, sizeof exact, NULL, 0), 0);
    assert_string_equal(exact, "+6281234567890");
}

/* ---- names ---- */

static void name_accepted(const char *in, const char *expected) {
    char out[128], err[256] = "";
    if (vk_name_normalize(in, out, sizeof out, err, sizeof err) != 0)
        fail_msg("name \"%s\" refused: %s", in, err);
    if (strcmp(out, expected) != 0)
        fail_msg("name \"%s\" gave \"%s\", expected \"%s\"", in, out, expected);
    char again[128];
    assert_int_equal(vk_name_normalize(out, again, sizeof again, NULL, 0), 0); /* idempotent */
    assert_string_equal(again, out);
}

#define NAME_REFUSED(in, ...)                                                                      \
    do {                                                                                           \
        char out_[128] = "junk", err_[256] = "";                                                   \
        assert_int_equal(vk_name_normalize((in), out_, sizeof out_, err_, sizeof err_), -1);       \
        assert_string_equal(out_, "");                                                             \
        EXPECT_WORDS((in), err_, __VA_ARGS__);                                                     \
    } while (0)

static void test_name_whitespace_and_case(void **state) {
    name_accepted("  siti   nur'aini ", "SITI NUR'AINI");
    name_accepted("siti\tnur\t\t aini", "SITI NUR AINI");
    name_accepted("\t Budi \t", "BUDI");
    name_accepted("Ni Luh Putu Ayu-Kartika, S.Kom.", "NI LUH PUTU AYU-KARTIKA, S.KOM.");
    name_accepted("SITI", "SITI");
    name_accepted("Siti\xc2\xa0"
                  "Aminah",
                  "SITI AMINAH"); /* no-break space is a space */
}

static void test_name_utf8_kept(void **state) {
    name_accepted("José", "JOS\xc3\xa9");
    name_accepted("  josé  maría ", "JOS\xc3\xa9 MAR\xc3\xad"
                                    "A");
    name_accepted("\xe7\x8e\x8b\xe5\xb0\x8f\xe6\x98\x8e", "\xe7\x8e\x8b\xe5\xb0\x8f\xe6\x98\x8e");
    name_accepted("nur\xe2\x80\x99"
                  "aini",
                  "NUR\xe2\x80\x99"
                  "AINI");                                 /* U+2019 kept as is */
    name_accepted("\xf0\x90\x8d\x88", "\xf0\x90\x8d\x88"); /* 4 bytes, U+10348 */
    name_accepted("\xf4\x8f\xbf\xbf", "\xf4\x8f\xbf\xbf"); /* U+10FFFF, the last one */
    name_accepted("\xed\x9f\xbf", "\xed\x9f\xbf");         /* U+D7FF, just below surrogates */
}

static void test_name_length(void **state) {
    char in[160], out[128];
    memset(in, 'a', 100);
    in[100] = '\0';
    assert_int_equal(vk_name_normalize(in, out, sizeof out, NULL, 0), 0);
    assert_int_equal(strlen(out), 100);
    snprintf(in, sizeof in, "   %.100s   ", out); /* trimmed white space does not count */
    assert_int_equal(vk_name_normalize(in, out, sizeof out, NULL, 0), 0);
    memset(in, 'a', 101);
    in[101] = '\0';
    NAME_REFUSED(in, "101 bytes", "100");
    memset(in, 'a', 150);
    memcpy(in + 140, "9", 1); /* a bad character beyond the limit is still named */
    in[150] = '\0';
    NAME_REFUSED(in, "digit '9'", "position 141");
}

static void test_name_refused_characters(void **state) {
    NAME_REFUSED("Budi2", "digit '2'", "position 5");
    NAME_REFUSED("Bu\ndi", "control character 0x0A", "position 3");
    NAME_REFUSED("Bu\x7f"
                 "di",
                 "control character 0x7F");
    NAME_REFUSED("Budi@x", "'@'", "position 5", "letters");
    NAME_REFUSED("Budi_x", "'_'");
    NAME_REFUSED("José 3", "digit '3'", "position 6"); /* positions count characters */
    NAME_REFUSED("Bu\xc2\x85"
                 "di",
                 "control character U+0085", "position 3");
    NAME_REFUSED("\xc2\xa9 Budi", "symbol U+00A9", "position 1");
    NAME_REFUSED("Budi \xc3\x97 Ani", "symbol U+00D7");
}

static void test_name_refused_utf8(void **state) {
    NAME_REFUSED("Jos\xc3", "invalid UTF-8", "position 4", "0xC3"); /* truncated */
    NAME_REFUSED("Jos\xc3 x", "invalid UTF-8", "position 4");       /* truncated */
    NAME_REFUSED("\xe7\x8e", "invalid UTF-8", "position 1");        /* truncated */
    NAME_REFUSED("a\xf0\x90\x8d", "invalid UTF-8", "position 2");   /* truncated */
    NAME_REFUSED("\xc0\xaf", "invalid UTF-8", "0xC0");              /* overlong '/' */
    NAME_REFUSED("\xc1\xbf", "invalid UTF-8");                      /* overlong */
    NAME_REFUSED("\xe0\x80\xaf", "invalid UTF-8");                  /* overlong */
    NAME_REFUSED("\xf0\x80\x80\xaf", "invalid UTF-8");              /* overlong */
    NAME_REFUSED("\xed\xa0\x80", "invalid UTF-8", "0xED");          /* surrogate */
    NAME_REFUSED("\xed\xbf\xbf", "invalid UTF-8");                  /* surrogate */
    NAME_REFUSED("\xf4\x90\x80\x80", "invalid UTF-8");              /* > U+10FFFF */
    NAME_REFUSED("\xf5\x80\x80\x80", "invalid UTF-8");
    NAME_REFUSED("Budi\x80", "invalid UTF-8", "position 5", "0x80"); /* stray */
    NAME_REFUSED("\xff", "invalid UTF-8", "0xFF");
    NAME_REFUSED("\xc3\xa9\xc3", "invalid UTF-8", "position 2");
}

static void test_name_refused_empty(void **state) {
    NAME_REFUSED("", "empty");
    NAME_REFUSED("  \t  ", "empty");
    NAME_REFUSED("- . ,", "no letters");
    char err[64];
    assert_int_equal(vk_name_normalize(NULL, NULL, 0, err, sizeof err), -1);
    EXPECT_WORDS("(null)", err, "missing");
}

static void test_name_buffers(void **state) {
    char small[5] = "junk", err[128] = "";
    assert_int_equal(vk_name_normalize("siti aminah", small, sizeof small, err, sizeof err), -1);
    assert_string_equal(small, "");
    EXPECT_WORDS("siti aminah", err, "too small");
    char exact[12];
    assert_int_equal(vk_name_normalize("siti  aminah", exact, sizeof exact, NULL, 0), 0);
    assert_string_equal(exact, "SITI AMINAH");
    char in_place[] = "  siti \t nur'aini\xc2\xa0jos\xc3\xa9  ";
    assert_int_equal(vk_name_normalize(in_place, in_place, sizeof in_place, NULL, 0), 0);
    assert_string_equal(in_place, "SITI NUR'AINI JOS\xc3\xa9");
}

/* ---- dates ---- */

static void expect_date(int32_t days, int y, int m, int d) {
    int yy, mm, dd;
    int32_t back = 12345;
    vk_date_from_days(days, &yy, &mm, &dd);
    if (yy != y || mm != m || dd != d)
        fail_msg("day %d gave %04d-%02d-%02d, expected %04d-%02d-%02d", days, yy, mm, dd, y, m, d);
    assert_int_equal(vk_date_to_days(y, m, d, &back), 0);
    assert_int_equal(back, days);
}

static void test_date_boundaries(void **state) {
    expect_date(0, 1970, 1, 1);
    expect_date(-1, 1969, 12, 31);
    expect_date(-25567, 1900, 1, 1);
    expect_date(-25508, 1900, 3, 1); /* 1900 is not a leap year */
    expect_date(11016, 2000, 2, 29); /* 2000 is */
    expect_date(11017, 2000, 3, 1);
    expect_date(18687, 2021, 3, 1);
    expect_date(19782, 2024, 2, 29);
    expect_date(47481, 2099, 12, 31);
    expect_date(-13319, 1933, 7, 15);
}

static void test_date_invalid(void **state) {
    static const int bad[][3] = {{2021, 2, 29}, {1900, 2, 29}, {2100, 2, 29}, {2021, 4, 31},
                                 {2021, 13, 1}, {2021, 0, 10}, {2021, 1, 0},  {2021, 1, 32},
                                 {0, 1, 1},     {10000, 1, 1}, {-5, 1, 1}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int32_t days = 777;
        if (vk_date_to_days(bad[i][0], bad[i][1], bad[i][2], &days) != -1)
            fail_msg("%d-%d-%d accepted", bad[i][0], bad[i][1], bad[i][2]);
        assert_int_equal(days, 777); /* left alone */
    }
}

/* Every day 1900..2100 round-trips and follows the day before it. */
static void test_date_round_trip(void **state) {
    int32_t first = 0, last = 0;
    assert_int_equal(vk_date_to_days(1900, 1, 1, &first), 0);
    assert_int_equal(vk_date_to_days(2100, 12, 31, &last), 0);
    int py = 1899, pm = 12, pd = 31;
    for (int32_t days = first; days <= last; days++) {
        int y, m, d;
        int32_t back;
        vk_date_from_days(days, &y, &m, &d);
        assert_int_equal(vk_date_to_days(y, m, d, &back), 0);
        assert_int_equal(back, days);
        const bool next_day = y == py && m == pm && d == pd + 1;
        const bool next_month = y == py && m == pm + 1 && d == 1;
        const bool next_year = y == py + 1 && m == 1 && d == 1 && pm == 12 && pd == 31;
        if (!next_day && !next_month && !next_year)
            fail_msg("%04d-%02d-%02d follows %04d-%02d-%02d", y, m, d, py, pm, pd);
        py = y, pm = m, pd = d;
    }
}

static void test_date_parse(void **state) {
    int32_t days = 0;
    assert_int_equal(vk_date_parse("2021-03-01", &days), 0);
    assert_int_equal(days, 18687);
    days = 0;
    assert_int_equal(vk_date_parse("01/03/2021", &days), 0);
    assert_int_equal(days, 18687);
    days = 0;
    assert_int_equal(vk_date_parse("01-03-2021", &days), 0);
    assert_int_equal(days, 18687);
    assert_int_equal(vk_date_parse("31/12/1969", &days), 0);
    assert_int_equal(days, -1);
    assert_int_equal(vk_date_parse("1900-01-01", &days), 0);
    assert_int_equal(days, -25567);
    assert_int_equal(vk_date_parse("29-02-2000", &days), 0);
    assert_int_equal(days, 11016);
}

static void test_date_parse_refused(void **state) {
    static const char *const bad[] = {
        "2021-02-29", "31/04/2021", "2021-13-01", "00/01/2021",  "0000-01-01",  "2021-1-13",
        "13/1/2021",  "2021/01/13", "13.01.2021", " 2021-01-13", "2021-01-13 ", "2021-01-13T00:00",
        "",           "13/01-2021", "13-01/2021", "20210113",    "2021-0a-13",  "21-01-13",
        "+021-01-13", "2021-01-1x", "13/01/21",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int32_t days = 777;
        if (vk_date_parse(bad[i], &days) != -1)
            fail_msg("\"%s\" accepted", bad[i]);
        assert_int_equal(days, 777);
    }
    int32_t days = 777;
    assert_int_equal(vk_date_parse(NULL, &days), -1);
}

/* Python's datetime agrees on every sampled date in years 1..9999. */
static void test_date_vectors(void **state) {
    FILE *f = fopen(VECTORS, "r");
    if (!f)
        fail_msg("cannot open %s (the tests run from the repository root)", VECTORS);
    char line[2048];
    int count = 0;
    while (fgets(line, sizeof line, f)) {
        char iso[16], dmy[16];
        long expected;
        int y, m, d;
        int32_t days = 0;
        if (sscanf(line, "date %15s %ld", iso, &expected) != 2)
            continue;
        assert_int_equal(sscanf(iso, "%d-%d-%d", &y, &m, &d), 3);
        expect_date((int32_t)expected, y, m, d);
        assert_int_equal(vk_date_parse(iso, &days), 0);
        assert_int_equal(days, expected);
        snprintf(dmy, sizeof dmy, "%02d/%02d/%04d", d, m, y);
        assert_int_equal(vk_date_parse(dmy, &days), 0);
        assert_int_equal(days, expected);
        count++;
    }
    fclose(f);
    assert_true(count >= 50);
}

/* ---- facility codes ---- */

static void facility_accepted(const char *in, const char *expected) {
    char out[VK_FACILITY_MAX + 1];
    if (vk_facility_normalize(in, out, sizeof out) != 0)
        fail_msg("facility \"%s\" refused", in);
    assert_string_equal(expected, out);
}

static void facility_refused(const char *in) {
    char out[VK_FACILITY_MAX + 1] = "x";
    if (vk_facility_normalize(in, out, sizeof out) == 0)
        fail_msg("facility \"%s\" accepted as \"%s\"", in ? in : "(null)", out);
    assert_string_equal("", out);
}

static void test_facility_normalize(void **state) {
    (void)state;
    facility_accepted("P3273020201", "P3273020201");
    facility_accepted("  p3273020201\t", "P3273020201");
    facility_accepted("3273015", "3273015");
    facility_accepted("abcdefghij0123456789", "ABCDEFGHIJ0123456789"); /* 20: the longest */
    facility_refused("abcdefghij0123456789X");                         /* 21 */
    facility_refused("");
    facility_refused("   ");
    facility_refused("P32-73");
    facility_refused("P32 73");
    facility_refused("P3273\xC3\xA9");
    facility_refused(NULL);
    char small[4];
    assert_int_equal(-1, vk_facility_normalize("P3273", small, sizeof small));
    assert_int_equal(0, vk_facility_normalize("P32", small, sizeof small));
    assert_string_equal("P32", small);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nik_man),
        cmocka_unit_test(test_nik_woman),
        cmocka_unit_test(test_nik_boundary_days),
        cmocka_unit_test(test_nik_refused_shape),
        cmocka_unit_test(test_nik_refused_region),
        cmocka_unit_test(test_nik_refused_birth),
        cmocka_unit_test(test_nik_refused_serial),
        cmocka_unit_test(test_nik_every_province),
        cmocka_unit_test(test_nik_birth_date_matches),
        cmocka_unit_test(test_nik_district_code),
        cmocka_unit_test(test_phone_mobile_notations),
        cmocka_unit_test(test_phone_mobile_lengths),
        cmocka_unit_test(test_phone_landline),
        cmocka_unit_test(test_phone_refused),
        cmocka_unit_test(test_phone_small_buffer),
        cmocka_unit_test(test_name_whitespace_and_case),
        cmocka_unit_test(test_name_utf8_kept),
        cmocka_unit_test(test_name_length),
        cmocka_unit_test(test_name_refused_characters),
        cmocka_unit_test(test_name_refused_utf8),
        cmocka_unit_test(test_name_refused_empty),
        cmocka_unit_test(test_name_buffers),
        cmocka_unit_test(test_date_boundaries),
        cmocka_unit_test(test_date_invalid),
        cmocka_unit_test(test_date_round_trip),
        cmocka_unit_test(test_date_parse),
        cmocka_unit_test(test_date_parse_refused),
        cmocka_unit_test(test_date_vectors),
        cmocka_unit_test(test_facility_normalize),
    };
    return cmocka_run_group_tests_name("unit.rules", tests, NULL, NULL);
}
