/*
 * test_lzstring.c — LZ-String's URI-safe form against the reference implementation.
 *
 * tests/vectors/lzstring/vectors.json holds {plain, compressed} pairs made by npm lz-string 1.5.0
 * (tests/vectors/lzstring/make_vectors.sh): both directions must match it byte for byte. Random
 * UTF-8 round-trips, streams crafted bit by bit (bad codes, unpaired surrogates, an expansion
 * bomb) and thousands of garbage and mutated inputs check the rest: every call returns 0 or -1
 * with a reason, leaves @c out as it was on failure, and never reads or writes out of bounds
 * (run under ASan/UBSan with -DVK_SANITIZE=ON).
 */
#include "vk_buf.h"
#include "vk_lzstring.h"

#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define VECTORS  "tests/vectors/lzstring/vectors.json"
#define ALPHABET "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+-"

static json_t *vectors;

static int load_vectors(void **state) {
    (void)state;
    json_error_t jerr;
    vectors = json_load_file(VECTORS, JSON_ALLOW_NUL, &jerr);
    if (!vectors) {
        fprintf(stderr, "%s: %s (run the tests from the repository root)\n", VECTORS, jerr.text);
        return -1;
    }
    return 0;
}

static int free_vectors(void **state) {
    (void)state;
    json_decref(vectors);
    return 0;
}

/** @brief The reference vectors' array; at least the fourteen make_vectors.js writes. */
static json_t *vector_list(void) {
    json_t *list = json_object_get(vectors, "vectors");
    assert_true(json_array_size(list) >= 14);
    return list;
}

/** @brief xorshift64*: a fixed-seed generator so failures reproduce. */
static uint64_t rnd(uint64_t *s) {
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 0x2545F4914F6CDD1Dull;
}

static void assert_bytes(const vk_buf *b, const char *want, size_t want_len, const char *name) {
    if (b->len != want_len || (want_len && memcmp(b->data, want, want_len) != 0))
        fail_msg("%s: got %zu bytes, want %zu", name, b->len, want_len);
}

/* --- reference vectors ---------------------------------------------------------------------- */

static void decompresses_reference_vectors(void **state) {
    (void)state;
    size_t i;
    json_t *vec;
    json_array_foreach(vector_list(), i, vec) {
        const char *name = json_string_value(json_object_get(vec, "name"));
        json_t *plain = json_object_get(vec, "plain"), *comp = json_object_get(vec, "compressed");
        vk_buf out = VK_BUF_INIT;
        char err[128] = "";
        if (vk_lzstring_decompress_uri(json_string_value(comp), json_string_length(comp), &out, err,
                                       sizeof err))
            fail_msg("%s: %s", name, err);
        assert_bytes(&out, json_string_value(plain), json_string_length(plain), name);
        vk_buf_free(&out);
    }
}

static void compresses_like_the_reference(void **state) {
    (void)state;
    size_t i;
    json_t *vec;
    json_array_foreach(vector_list(), i, vec) {
        const char *name = json_string_value(json_object_get(vec, "name"));
        json_t *plain = json_object_get(vec, "plain"), *comp = json_object_get(vec, "compressed");
        vk_buf out = VK_BUF_INIT;
        char err[128] = "";
        if (vk_lzstring_compress_uri(json_string_value(plain), json_string_length(plain), &out, err,
                                     sizeof err))
            fail_msg("%s: %s", name, err);
        assert_bytes(&out, json_string_value(comp), json_string_length(comp), name);
        vk_buf_free(&out);
    }
}

/** @brief What URL decoding does to '+' must not matter, nor does '$' (six zero bits). */
static void reads_space_as_plus_and_dollar_as_zero(void **state) {
    (void)state;
    size_t i, spaces = 0, dollars = 0;
    json_t *vec;
    json_array_foreach(vector_list(), i, vec) {
        json_t *plain = json_object_get(vec, "plain"), *comp = json_object_get(vec, "compressed");
        size_t n = json_string_length(comp);
        char *c = malloc(n + 1);
        memcpy(c, json_string_value(comp), n + 1);
        for (size_t k = 0; k < n; k++) {
            if (c[k] == '+')
                c[k] = ' ', spaces++;
            else if (c[k] == 'A')
                c[k] = '$', dollars++;
        }
        vk_buf out = VK_BUF_INIT;
        char err[128] = "";
        if (vk_lzstring_decompress_uri(c, n, &out, err, sizeof err))
            fail_msg("%s", err);
        assert_bytes(&out, json_string_value(plain), json_string_length(plain), c);
        vk_buf_free(&out);
        free(c);
    }
    assert_true(spaces > 0 && dollars > 0);
}

/* --- empty input and appending -----------------------------------------------------------------
 */

static void empty_input(void **state) {
    (void)state;
    vk_buf out = VK_BUF_INIT;
    char err[128] = "";
    assert_int_equal(0, vk_lzstring_decompress_uri("", 0, &out, err, sizeof err));
    assert_int_equal(0, out.len);
    assert_int_equal(0, vk_lzstring_decompress_uri("Q", 1, &out, err, sizeof err));
    assert_int_equal(0, out.len);
    assert_int_equal(0, vk_lzstring_compress_uri("", 0, &out, err, sizeof err));
    assert_bytes(&out, "Q", 1, "compress(\"\")");
    vk_buf_free(&out);
}

static void appends_to_the_buffer(void **state) {
    (void)state;
    vk_buf comp = VK_BUF_INIT, out = VK_BUF_INIT;
    char err[128] = "";
    vk_buf_append_str(&comp, "x=");
    assert_int_equal(0, vk_lzstring_compress_uri("abcabc", 6, &comp, err, sizeof err));
    assert_true(comp.len > 2 && memcmp(comp.data, "x=", 2) == 0);
    vk_buf_append_str(&out, "y=");
    assert_int_equal(
        0, vk_lzstring_decompress_uri((char *)comp.data + 2, comp.len - 2, &out, err, sizeof err));
    assert_bytes(&out, "y=abcabc", 8, "appended");
    vk_buf_free(&comp);
    vk_buf_free(&out);
}

/* --- random round trips ------------------------------------------------------------------------
 */

/** @brief A random code point, mostly from a small per-string pool so phrases repeat. */
static uint32_t random_code_point(uint64_t *s, const uint32_t *pool, size_t pool_len) {
    static const uint32_t ranges[][2] = {{0x20, 0x7E},     {0x00, 0x1F},        {0x80, 0xFF},
                                         {0x100, 0x7FF},   {0xA980, 0xA9DF},    {0x800, 0xD7FF},
                                         {0xE000, 0xFFFF}, {0x10000, 0x10FFFF}, {0x1F600, 0x1F64F}};
    if (pool_len && rnd(s) % 4 != 0)
        return pool[rnd(s) % pool_len];
    const uint32_t *r = ranges[rnd(s) % (sizeof ranges / sizeof ranges[0])];
    return r[0] + (uint32_t)(rnd(s) % (r[1] - r[0] + 1));
}

static void put_utf8(vk_buf *b, uint32_t cp) {
    uint8_t u[4];
    size_t n;
    if (cp < 0x80)
        u[0] = (uint8_t)cp, n = 1;
    else if (cp < 0x800)
        u[0] = (uint8_t)(0xC0 | cp >> 6), u[1] = (uint8_t)(0x80 | (cp & 0x3F)), n = 2;
    else if (cp < 0x10000)
        u[0] = (uint8_t)(0xE0 | cp >> 12), u[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F)),
        u[2] = (uint8_t)(0x80 | (cp & 0x3F)), n = 3;
    else
        u[0] = (uint8_t)(0xF0 | cp >> 18), u[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3F)),
        u[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F)), u[3] = (uint8_t)(0x80 | (cp & 0x3F)), n = 4;
    vk_buf_append(b, u, n);
}

static void round_trips_random_utf8(void **state) {
    (void)state;
    uint64_t s = 0x5EED1234ABCDull;
    vk_buf plain = VK_BUF_INIT, comp = VK_BUF_INIT, back = VK_BUF_INIT;
    char err[128] = "";
    for (int iter = 0; iter < 1500; iter++) {
        uint32_t pool[8];
        size_t pool_len = rnd(&s) % 9, len = rnd(&s) % (iter % 10 == 0 ? 5000 : 300);
        for (size_t k = 0; k < pool_len; k++)
            pool[k] = random_code_point(&s, NULL, 0);
        vk_buf_reset(&plain), vk_buf_reset(&comp), vk_buf_reset(&back);
        for (size_t k = 0; k < len; k++) {
            uint32_t cp = random_code_point(&s, pool, pool_len);
            if (cp >= 0xD800 && cp <= 0xDFFF) /* not encodable in UTF-8 */
                cp = 0xFFFD;
            put_utf8(&plain, cp);
        }
        if (vk_lzstring_compress_uri((char *)plain.data, plain.len, &comp, err, sizeof err))
            fail_msg("iteration %d: compress: %s", iter, err);
        for (size_t k = 0; k < comp.len; k++)
            if (comp.data[k] == '\0' || !strchr(ALPHABET, comp.data[k]))
                fail_msg("iteration %d: '%c' is not in the URI-safe alphabet", iter, comp.data[k]);
        if (vk_lzstring_decompress_uri((char *)comp.data, comp.len, &back, err, sizeof err))
            fail_msg("iteration %d: decompress: %s", iter, err);
        assert_bytes(&back, plain.len ? (char *)plain.data : "", plain.len, "round trip");
    }
    vk_buf_free(&plain), vk_buf_free(&comp), vk_buf_free(&back);
}

/* --- crafted streams ------------------------------------------------------------------------- */

/** A writer of LZ-String streams code by code, tracking the code width as the decoder does. */
typedef struct craft {
    vk_buf out;
    unsigned value, nbits;
    unsigned num_bits;
    uint32_t enlarge_in;
    uint32_t dict_size;
    int started;
} craft;

static void craft_bits(craft *c, uint32_t v, unsigned n) {
    for (unsigned i = 0; i < n; i++, v >>= 1) {
        c->value = (c->value << 1) | (v & 1);
        if (++c->nbits == 6) {
            vk_buf_append(&c->out, &ALPHABET[c->value], 1);
            c->value = c->nbits = 0;
        }
    }
}

static void craft_count(craft *c) {
    if (--c->enlarge_in == 0)
        c->enlarge_in = 1u << c->num_bits++;
}

/** @brief Writes code @p code (0/1 then @p unit for literals, 2 to end). */
static void craft_code(craft *c, uint32_t code, uint16_t unit) {
    if (!c->started) {
        craft_bits(c, code, 2);
        if (code < 2)
            craft_bits(c, unit, code ? 16 : 8);
        c->started = 1, c->num_bits = 3, c->enlarge_in = 4, c->dict_size = 4;
        return;
    }
    craft_bits(c, code, c->num_bits);
    if (code == 2)
        return;
    if (code < 2) {
        craft_bits(c, unit, code ? 16 : 8);
        c->dict_size++;
        craft_count(c);
    }
    c->dict_size++;
    craft_count(c);
}

static void craft_end(craft *c) {
    craft_code(c, 2, 0);
    while (c->nbits)
        craft_bits(c, 0, 1);
}

/** @brief Decompresses the crafted stream, expecting failure with @p want in the message. */
static void expect_error(craft *c, const char *want) {
    vk_buf out = VK_BUF_INIT;
    char err[128] = "";
    vk_buf_append_str(&out, "kept");
    int rc = vk_lzstring_decompress_uri((char *)c->out.data, c->out.len, &out, err, sizeof err);
    if (rc != -1 || !strstr(err, want))
        fail_msg("rc %d, error \"%s\", want \"%s\"", rc, err, want);
    assert_true(out.len == 4 && memcmp(out.data, "kept", 4) == 0);
    vk_buf_free(&out);
    vk_buf_free(&c->out);
}

static void crafted_streams_decode(void **state) {
    (void)state;
    craft c = {0};
    /* 'a' (3); KwKwK: code 4 before it exists = "aa"; "aa" again; 'b' (6, defining "aab" as 7);
     * then 7, whose width is already four bits. */
    craft_code(&c, 0, 'a');
    craft_code(&c, 4, 0);
    craft_code(&c, 4, 0);
    craft_code(&c, 0, 'b');
    craft_code(&c, 7, 0);
    craft_end(&c);
    vk_buf out = VK_BUF_INIT;
    char err[128] = "";
    if (vk_lzstring_decompress_uri((char *)c.out.data, c.out.len, &out, err, sizeof err))
        fail_msg("%s", err);
    assert_bytes(&out, "aaaaabaab", 9, "crafted");
    vk_buf_free(&out);
    vk_buf_free(&c.out);
    /* A surrogate pair split over two literals joins into one code point. */
    memset(&c, 0, sizeof c);
    craft_code(&c, 1, 0xD83D);
    craft_code(&c, 1, 0xDE37);
    craft_end(&c);
    assert_int_equal(
        0, vk_lzstring_decompress_uri((char *)c.out.data, c.out.len, &out, err, sizeof err));
    assert_bytes(&out, "\xF0\x9F\x98\xB7", 4, "pair");
    vk_buf_free(&out);
    vk_buf_free(&c.out);
}

static void rejects_bad_codes(void **state) {
    (void)state;
    craft c = {0};
    craft_code(&c, 0, 'a');
    craft_code(&c, 5, 0); /* the next free code is 4 */
    craft_end(&c);
    expect_error(&c, "code 5 beyond dictionary size 4");
    memset(&c, 0, sizeof c);
    craft_bits(&c, 3, 2); /* the first code must be a literal or the end */
    craft_bits(&c, 0, 4);
    expect_error(&c, "first code 3 is not a literal");
}

static void rejects_unpaired_surrogates(void **state) {
    (void)state;
    static const uint16_t cases[][2] = {{0xD83D, 0}, {0xDE37, 0}, {0xD83D, 'A'}, {0xDE37, 0xD83D}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        craft c = {0};
        craft_code(&c, 1, cases[i][0]);
        if (cases[i][1])
            craft_code(&c, 1, cases[i][1]);
        craft_end(&c);
        expect_error(&c, "invalid UTF-16 surrogate");
    }
}

/** @brief Each phrase one unit longer than the last: quadratic output, cut at the cap. */
static void caps_expansion(void **state) {
    (void)state;
    craft c = {0};
    craft_code(&c, 0, 'a');
    for (int i = 0; i < 13000; i++)
        craft_code(&c, c.dict_size, 0);
    craft_end(&c);
    expect_error(&c, "output exceeds");
}

/* --- hostile input --------------------------------------------------------------------------- */

static void rejects_invalid_characters(void **state) {
    (void)state;
    const char *bpjs = NULL;
    size_t i;
    json_t *vec;
    json_array_foreach(
        vector_list(), i,
        vec) if (strcmp(json_string_value(json_object_get(vec, "name")), "BPJS participant") == 0)
        bpjs = json_string_value(json_object_get(vec, "compressed"));
    if (!bpjs) {
        fail_msg("no \"BPJS participant\" vector");
        return;
    }
    static const struct {
        char bad;
        const char *want;
    } cases[] = {{'%', "invalid character '%' at 12"},
                 {'/', "invalid character '/' at 12"},
                 {'=', "invalid character '=' at 12"},
                 {'\n', "invalid character 0x0A at 12"},
                 {'\0', "invalid character 0x00 at 12"}};
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        char in[64];
        memcpy(in, bpjs, 40);
        in[12] = cases[k].bad;
        vk_buf out = VK_BUF_INIT;
        char err[128] = "";
        assert_int_equal(-1, vk_lzstring_decompress_uri(in, 40, &out, err, sizeof err));
        assert_string_equal(cases[k].want, err);
        assert_int_equal(0, out.len);
        vk_buf_free(&out);
    }
}

static void rejects_truncated_streams(void **state) {
    (void)state;
    size_t i;
    json_t *vec;
    json_array_foreach(vector_list(), i, vec) {
        json_t *plain = json_object_get(vec, "plain"), *comp = json_object_get(vec, "compressed");
        size_t n = json_string_length(comp);
        size_t step = n > 2000 ? n / 500 : 1;
        for (size_t cut = 1; cut < n; cut += (cut + step < n - 1 ? step : 1)) {
            vk_buf out = VK_BUF_INIT;
            char err[128] = "";
            int rc =
                vk_lzstring_decompress_uri(json_string_value(comp), cut, &out, err, sizeof err);
            /* The last character may be an all-padding 'A'; any shorter prefix is truncated. */
            if (rc == 0 && cut == n - 1)
                assert_bytes(&out, json_string_value(plain), json_string_length(plain), "n-1");
            else if (rc != -1 || !strstr(err, "truncated"))
                fail_msg("cut %zu of %zu: rc %d, \"%s\"", cut, n, rc, err);
            vk_buf_free(&out);
        }
    }
}

/** @brief Decompresses hostile @p in; success must give UTF-8 that compresses again. */
static void survive(const char *in, size_t len, int *ok, int *failed) {
    vk_buf out = VK_BUF_INIT, again = VK_BUF_INIT;
    char err[128] = "";
    vk_buf_append_str(&out, "kept");
    int rc = vk_lzstring_decompress_uri(in, len, &out, err, sizeof err);
    if (rc == 0) {
        (*ok)++;
        if (vk_lzstring_compress_uri((char *)out.data + 4, out.len - 4, &again, err, sizeof err))
            fail_msg("decompressed output is not UTF-8: %s", err);
    } else {
        (*failed)++;
        assert_int_equal(-1, rc);
        assert_true(err[0] != '\0');
        assert_int_equal(4, out.len);
    }
    vk_buf_free(&out);
    vk_buf_free(&again);
}

static void survives_random_garbage(void **state) {
    (void)state;
    uint64_t s = 0xBADC0FFEEull;
    int ok = 0, failed = 0;
    unsigned char in[1024];
    for (int iter = 0; iter < 6000; iter++) {
        size_t len = 1 + rnd(&s) % (iter % 100 == 0 ? sizeof in : 64);
        int any_byte = iter % 3 == 0;
        for (size_t k = 0; k < len; k++)
            in[k] = any_byte ? (unsigned char)rnd(&s) : (unsigned char)ALPHABET[rnd(&s) % 64];
        survive((const char *)in, len, &ok, &failed);
    }
    assert_true(failed > 0);
    print_message("random garbage: %d decoded, %d rejected\n", ok, failed);
}

static void survives_mutated_vectors(void **state) {
    (void)state;
    uint64_t s = 0x0DDBA11ull;
    int ok = 0, failed = 0;
    size_t i;
    json_t *vec;
    json_array_foreach(vector_list(), i, vec) {
        json_t *comp = json_object_get(vec, "compressed");
        size_t n = json_string_length(comp);
        if (n > 5000)
            continue;
        char *c = malloc(n);
        for (int iter = 0; iter < 300; iter++) {
            memcpy(c, json_string_value(comp), n);
            for (uint64_t flips = 1 + rnd(&s) % 3; flips > 0; flips--)
                c[rnd(&s) % n] = ALPHABET[rnd(&s) % 64];
            survive(c, n, &ok, &failed);
        }
        free(c);
    }
    print_message("mutated vectors: %d decoded, %d rejected\n", ok, failed);
}

static void rejects_invalid_utf8(void **state) {
    (void)state;
    static const struct {
        const char *in;
        const char *want;
    } cases[] = {{"ab\xC3", "invalid UTF-8 at byte 2"},
                 {"\xC0\xAF", "invalid UTF-8 at byte 0"},         /* overlong '/' */
                 {"x\xE0\x80\xAF", "invalid UTF-8 at byte 1"},    /* overlong */
                 {"xy\xED\xA0\xBD", "invalid UTF-8 at byte 2"},   /* a surrogate */
                 {"\xF4\x90\x80\x80", "invalid UTF-8 at byte 0"}, /* above U+10FFFF */
                 {"ok\x80", "invalid UTF-8 at byte 2"},           /* lone continuation */
                 {"\xE2\x82", "invalid UTF-8 at byte 0"}};        /* truncated */
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        vk_buf out = VK_BUF_INIT;
        char err[128] = "";
        assert_int_equal(
            -1, vk_lzstring_compress_uri(cases[k].in, strlen(cases[k].in), &out, err, sizeof err));
        assert_string_equal(cases[k].want, err);
        assert_int_equal(0, out.len);
        vk_buf_free(&out);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(decompresses_reference_vectors),
        cmocka_unit_test(compresses_like_the_reference),
        cmocka_unit_test(reads_space_as_plus_and_dollar_as_zero),
        cmocka_unit_test(empty_input),
        cmocka_unit_test(appends_to_the_buffer),
        cmocka_unit_test(round_trips_random_utf8),
        cmocka_unit_test(crafted_streams_decode),
        cmocka_unit_test(rejects_bad_codes),
        cmocka_unit_test(rejects_unpaired_surrogates),
        cmocka_unit_test(caps_expansion),
        cmocka_unit_test(rejects_invalid_characters),
        cmocka_unit_test(rejects_truncated_streams),
        cmocka_unit_test(survives_random_garbage),
        cmocka_unit_test(survives_mutated_vectors),
        cmocka_unit_test(rejects_invalid_utf8),
    };
    return cmocka_run_group_tests(tests, load_vectors, free_vectors);
}
