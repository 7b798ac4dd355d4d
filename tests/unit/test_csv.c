/*
 * test_csv.c — the streaming CSV parser (lib/base/vk_csv.c).
 *
 * Records are rendered as "line:[f1|f2]" (plus " !error") so a whole parse compares as one
 * string, and every input is also parsed in chunks of every size from 1 byte up, which must
 * not change the result: the parser's state has to survive any split.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "vk_csv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct sink {
    char out[8192];
    size_t len;
    int stop_at; /* stop the parse at this record index (0 = never) */
} sink;

static int collect(const vk_csv_row *row, void *ctx) {
    sink *s = ctx;
    s->len += (size_t)snprintf(s->out + s->len, sizeof s->out - s->len, "%lu:[", row->line);
    for (size_t i = 0; i < row->n; i++) {
        /* fields are NUL-terminated and their length is exact */
        assert_int_equal(strlen(row->fields[i].data), row->fields[i].len);
        s->len += (size_t)snprintf(s->out + s->len, sizeof s->out - s->len, "%s%s", i ? "|" : "",
                                   row->fields[i].data);
    }
    s->len += (size_t)snprintf(s->out + s->len, sizeof s->out - s->len, "]%s%s\n",
                               row->error ? " !" : "", row->error ? row->error : "");
    if (s->stop_at && (int)row->index == s->stop_at)
        return 42;
    return 0;
}

static void parse_chunked(char sep, const char *in, size_t len, size_t chunk, sink *s,
                          size_t max_record) {
    vk_csv *p = vk_csv_new(sep);
    assert_non_null(p);
    if (max_record)
        vk_csv_set_max_record(p, max_record);
    memset(s, 0, sizeof *s);
    for (size_t off = 0; off < len; off += chunk) {
        size_t n = len - off < chunk ? len - off : chunk;
        assert_int_equal(vk_csv_feed(p, in + off, n, collect, s), 0);
    }
    assert_int_equal(vk_csv_finish(p, collect, s), 0);
    vk_csv_destroy(p);
}

/* Parses whole and in every chunk size; all must render as @p want. */
static void check_limit(char sep, const char *in, size_t len, const char *want, size_t max_record) {
    sink s;
    parse_chunked(sep, in, len, len ? len : 1, &s, max_record);
    if (strcmp(s.out, want) != 0)
        fail_msg("input %s\n got:\n%s want:\n%s", in, s.out, want);
    for (size_t chunk = 1; chunk < len; chunk++) {
        parse_chunked(sep, in, len, chunk, &s, max_record);
        if (strcmp(s.out, want) != 0)
            fail_msg("chunk %zu of %s\n got:\n%s want:\n%s", chunk, in, s.out, want);
    }
}

static void check(char sep, const char *in, const char *want) {
    check_limit(sep, in, strlen(in), want, 0);
}

static void test_line_ends(void **state) {
    (void)state;
    check(',', "a,b\nc,d\n", "1:[a|b]\n2:[c|d]\n");
    check(',', "a,b\r\nc,d\r\n", "1:[a|b]\n2:[c|d]\n");
    check(',', "a,b\rc,d\r", "1:[a|b]\n2:[c|d]\n");
    check(',', "a,b\nc,d", "1:[a|b]\n2:[c|d]\n");   /* no final line end */
    check(',', "a\n\n\r\n\nb\n", "1:[a]\n5:[b]\n"); /* blank lines skipped */
    check(',', "", "");
    check(',', "\n\n", "");
}

static void test_empty_fields(void **state) {
    (void)state;
    check(',', "a,,c,\n", "1:[a||c|]\n");
    check(',', ",\n", "1:[|]\n");
    check(',', "a,,c,", "1:[a||c|]\n");
    check(',', "\"\"\n", "1:[]\n");
}

static void test_quoting(void **state) {
    (void)state;
    check(',', "\"a,b\",\"say \"\"hi\"\"\",c\n", "1:[a,b|say \"hi\"|c]\n");
    /* line breaks inside quotes count as lines: the records start on lines 1, 3 and 5 */
    check(',', "\"two\nlines\",x\r\n\"crlf\r\ninside\",y\nz\n",
          "1:[two\nlines|x]\n3:[crlf\r\ninside|y]\n5:[z]\n");
    /* a quote inside an unquoted field is a character */
    check(',', "5'3\",Jl. \"Mawar\"\n", "1:[5'3\"|Jl. \"Mawar\"]\n");
    check(',', "\"\"\"\",\"\"\n", "1:[\"|]\n");
}

static void test_bom(void **state) {
    (void)state;
    check(',', "\xEF\xBB\xBFNIK,NAMA\n1,A\n", "1:[NIK|NAMA]\n2:[1|A]\n");
    /* bytes that start like a BOM but are not one are kept */
    check(',', "\xEF\xBBx,y\n", "1:[\xEF\xBBx|y]\n");
    check(',', "\xEF", "1:[\xEF]\n");
    /* only at the very start */
    check(',',
          "a\n\xEF\xBB\xBF"
          "b\n",
          "1:[a]\n2:[\xEF\xBB\xBF"
          "b]\n");
}

static void test_semicolon_and_tab(void **state) {
    (void)state;
    check(';', "NIK;NAMA\n\"1;2\";A,B\n", "1:[NIK|NAMA]\n2:[1;2|A,B]\n");
    check('\t', "a\tb\n", "1:[a|b]\n");
}

static void test_malformed(void **state) {
    (void)state;
    check(',', "\"abc\"def,x\nok\n", "1:[abcdef|x] !text after a closing quote\n2:[ok]\n");
    check(',', "a,\"open\nnever closed",
          "1:[a|open\nnever closed] !quoted field not closed at the end of the input\n");
    check_limit(',', "abcdef,gh\nxy\n", 13,
                "1:[abcd|] !record longer than the size limit\n2:[xy]\n", 4);
}

static void test_stop_and_index(void **state) {
    (void)state;
    vk_csv *p = vk_csv_new(',');
    sink s;
    memset(&s, 0, sizeof s);
    s.stop_at = 2;
    assert_int_equal(vk_csv_feed(p, "a\n\nb\nc\n", 7, collect, &s), 42);
    assert_string_equal(s.out, "1:[a]\n3:[b]\n");
    vk_csv_destroy(p);
}

static int count_rows(const vk_csv_row *row, void *ctx) {
    int *n = ctx;
    char want[32];
    snprintf(want, sizeof want, "r%d f39", *n);
    if (row->n != 40 || strcmp(row->fields[39].data, want) != 0 || row->error)
        return -2;
    (*n)++;
    return 0;
}

static void test_large_input(void **state) {
    (void)state;
    size_t cap = 1 << 21, len = 0;
    char *in = malloc(cap);
    assert_non_null(in);
    for (int r = 0; r < 2000; r++) {
        for (int f = 0; f < 40; f++)
            len += (size_t)snprintf(in + len, cap - len, "%s\"r%d f%d\"", f ? "," : "", r, f);
        in[len++] = '\r';
        in[len++] = '\n';
    }
    vk_csv *p = vk_csv_new(',');
    int n = 0;
    for (size_t off = 0; off < len; off += 4093) {
        size_t k = len - off < 4093 ? len - off : 4093;
        assert_int_equal(vk_csv_feed(p, in + off, k, count_rows, &n), 0);
    }
    assert_int_equal(vk_csv_finish(p, count_rows, &n), 0);
    assert_int_equal(n, 2000);
    vk_csv_destroy(p);
    free(in);
}

static void test_detect_separator(void **state) {
    (void)state;
    assert_int_equal(vk_csv_detect_separator("NIK,NAMA,TGL_LAHIR\n", 19), ',');
    assert_int_equal(vk_csv_detect_separator("NIK;NAMA;TGL_LAHIR\r\n1,2,3,4,5\n", 31), ';');
    assert_int_equal(vk_csv_detect_separator("\xEF\xBB\xBFNIK;NAMA", 11), ';');
    assert_int_equal(vk_csv_detect_separator("\"a;b;c\",d\n", 10), ',');
    assert_int_equal(vk_csv_detect_separator("a\tb\tc\n", 6), '\t');
    assert_int_equal(vk_csv_detect_separator("NIK\n", 4), ',');
    assert_int_equal(vk_csv_detect_separator("", 0), ',');
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_line_ends),         cmocka_unit_test(test_empty_fields),
        cmocka_unit_test(test_quoting),           cmocka_unit_test(test_bom),
        cmocka_unit_test(test_semicolon_and_tab), cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_stop_and_index),    cmocka_unit_test(test_large_input),
        cmocka_unit_test(test_detect_separator),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
