/*
 * test_pg_copy.c — the COPY writers of vk_pg (text and binary) against PostgreSQL itself.
 *
 * Without a database (unit run) it checks the binary layout by hand: header, trailer, a NULL,
 * a date, a timestamp, a refused UUID. With VAKSIN_TEST_PG set to a conninfo (the integration
 * test pg_copy.sh does that), the same edge values go into three tables: one by binary COPY, one
 * by text COPY, and one by INSERT of SQL literals written out here by hand — PostgreSQL's own
 * parser is the reference. The three must hold exactly the same rows.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "vk_buf.h"
#include "vk_pg.h"

/* One row of edge values. */
typedef struct row {
    const char *uuid;  /* uuid */
    const char *nik;   /* char(16) */
    const char *text;  /* text, or NULL */
    const char *bytes; /* bytea content (hex pairs) */
    int32_t i4;
    int64_t i8;
    int32_t days;      /* date, days since 1970-01-01 */
    int64_t ms;        /* timestamptz, ms since the epoch */
    const char *flags; /* text[] as comma-separated elements */
    /* The same values as SQL literals (the reference). */
    const char *sql;
} row;

static const row rows[] = {
    {"00000000-0000-0000-0000-000000000000", "3171010101900001", "plain", "", 0, 0, 0, 0, "",
     "('00000000-0000-0000-0000-000000000000', '3171010101900001', 'plain', '\\x', 0, 0,"
     " '1970-01-01', '1970-01-01 00:00:00+00', '{}')"},
    {"ffffffff-ffff-ffff-ffff-FFFFFFFFFFFF", "9999999999999999", "tab\there\nnewline \\ back",
     "00ff7f80", INT32_MIN, INT64_MIN, -25567, -1, "NIK_BIRTH_DATE_MISMATCH",
     "('ffffffff-ffff-ffff-ffff-ffffffffffff', '9999999999999999', E'tab\\there\\nnewline \\\\ "
     "back',"
     " '\\x00ff7f80', -2147483648, -9223372036854775808, '1900-01-01',"
     " '1969-12-31 23:59:59.999+00', '{NIK_BIRTH_DATE_MISMATCH}')"},
    {"123e4567-e89b-12d3-a456-426614174000", "1271010101000001", "Ñoño Śląsk 日本", "deadbeef",
     INT32_MAX, INT64_MAX, 10957, INT64_C(946684800000), "A,B,LONGER_FLAG",
     "('123e4567-e89b-12d3-a456-426614174000', '1271010101000001', 'Ñoño Śląsk 日本',"
     " '\\xdeadbeef', 2147483647, 9223372036854775807, '2000-01-01', '2000-01-01 00:00:00+00',"
     " '{A,B,LONGER_FLAG}')"},
    {"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "3273064408850002", NULL, "0a0d09005c", -1, -1, 11016,
     INT64_C(1614576605123), "X",
     "('a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '3273064408850002', NULL, '\\x0a0d09005c', -1, -1,"
     " '2000-02-29', '2021-03-01 05:30:05.123+00', '{X}')"},
    {"6ba7b810-9dad-11d1-80b4-00c04fd430c8", "5171010101010101", "", "ff", 42, 1, 24837,
     INT64_C(2145916799999), "",
     "('6ba7b810-9dad-11d1-80b4-00c04fd430c8', '5171010101010101', '', '\\xff', 42, 1,"
     " '2038-01-01', '2037-12-31 23:59:59.999+00', '{}')"},
};
#define NROWS (sizeof rows / sizeof rows[0])

static size_t unhex(const char *hex, uint8_t *out) {
    size_t n = 0;
    for (; hex[0] && hex[1]; hex += 2) {
        unsigned v;
        sscanf(hex, "%2x", &v);
        out[n++] = (uint8_t)v;
    }
    return n;
}

static void binary_rows(vk_copyb *w) {
    for (size_t i = 0; i < NROWS; i++) {
        const row *r = &rows[i];
        uint8_t b[64];
        size_t n = unhex(r->bytes, b);
        vk_copyb_row(w, 9);
        vk_copyb_uuid(w, r->uuid), vk_copyb_text(w, r->nik);
        if (r->text)
            vk_copyb_text(w, r->text);
        else
            vk_copyb_null(w);
        vk_copyb_bytes(w, b, n), vk_copyb_int4(w, r->i4), vk_copyb_int8(w, r->i8);
        vk_copyb_date(w, r->days), vk_copyb_ts(w, r->ms), vk_copyb_text_array(w, r->flags);
    }
}

static void text_rows(vk_buf *t) {
    for (size_t i = 0; i < NROWS; i++) {
        const row *r = &rows[i];
        uint8_t b[64];
        size_t n = unhex(r->bytes, b);
        vk_copy_text(t, r->uuid), vk_copy_sep(t), vk_copy_text(t, r->nik), vk_copy_sep(t);
        if (r->text)
            vk_copy_text(t, r->text);
        else
            vk_copy_null(t);
        vk_copy_sep(t), vk_copy_bytea(t, b, n), vk_copy_sep(t);
        vk_buf_printf(t, "%d\t%lld\t", r->i4, (long long)r->i8);
        vk_copy_date(t, r->days), vk_copy_sep(t), vk_copy_ts(t, r->ms), vk_copy_sep(t);
        vk_buf_append(t, "{", 1), vk_copy_text(t, r->flags), vk_buf_append(t, "}", 1);
        vk_copy_eol(t);
    }
}

/* ---- Without a database: the layout ---- */

static void test_layout(void **state) {
    (void)state;
    vk_buf b = VK_BUF_INIT;
    vk_copyb w;
    vk_copyb_start(&w, &b);
    assert_int_equal(b.len, 19);
    assert_memory_equal(b.data, "PGCOPY\n\xff\r\n\0\0\0\0\0\0\0\0\0", 19);
    vk_copyb_row(&w, 3);
    vk_copyb_null(&w);
    vk_copyb_date(&w, 10958);               /* 2000-01-02: day 1 of PostgreSQL's epoch */
    vk_copyb_ts(&w, INT64_C(946684800001)); /* 2000-01-01 00:00:00.001: 1,000 µs */
    assert_int_equal(vk_copyb_finish(&w), 0);
    static const uint8_t want[] = {0, 3, 0xff, 0xff, 0xff, 0xff, 0,    0,   0, 4,
                                   0, 0, 0,    1,    0,    0,    0,    8,   0, 0,
                                   0, 0, 0,    0,    0x03, 0xe8, 0xff, 0xff};
    assert_int_equal(b.len, 19 + sizeof want);
    assert_memory_equal(b.data + 19, want, sizeof want);
    assert_int_equal(w.rows, 1);
    vk_buf_free(&b);
}

static void test_bad_uuid_fails_the_writer(void **state) {
    (void)state;
    vk_buf b = VK_BUF_INIT;
    vk_copyb w;
    vk_copyb_start(&w, &b);
    vk_copyb_row(&w, 1);
    vk_copyb_uuid(&w, "not-a-uuid");
    assert_int_equal(vk_copyb_finish(&w), -1);
    vk_copyb_start(&w, &b); /* a new start clears it */
    assert_int_equal(vk_copyb_finish(&w), 0);
    vk_buf_free(&b);
}

/* Times beyond years 1..9999 are written as PostgreSQL's -infinity / infinity, in both formats,
 * instead of overflowing (|ms| > 9.2e15 overflowed the µs multiplication before). */
static void test_times_out_of_range(void **state) {
    (void)state;
    vk_buf t = VK_BUF_INIT;
    vk_copy_ts(&t, INT64_C(-300000000000000)), vk_copy_sep(&t);
    vk_copy_ts(&t, INT64_MAX), vk_copy_sep(&t);
    vk_copy_ts(&t, INT64_C(253402300799999));
    vk_buf_append(&t, "", 1);
    assert_string_equal((const char *)t.data, "-infinity\tinfinity\t9999-12-31 23:59:59.999+00");
    vk_buf_free(&t);
    vk_buf b = VK_BUF_INIT;
    vk_copyb w;
    vk_copyb_start(&w, &b);
    vk_copyb_row(&w, 2);
    vk_copyb_ts(&w, INT64_MIN);
    vk_copyb_ts(&w, INT64_C(9300000000000000));
    assert_int_equal(vk_copyb_finish(&w), 0);
    static const uint8_t want[] = {0, 2, 0, 0, 0, 8,    0x80, 0,    0,    0,    0,    0,    0,
                                   0, 0, 0, 0, 8, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    assert_memory_equal(b.data + 19, want, sizeof want);
    vk_buf_free(&b);
}

/* ---- Against PostgreSQL ---- */

static PGconn *db;

static void exec_ok(const char *sql) {
    PGresult *r = PQexec(db, sql);
    if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK)
        fail_msg("%s: %s", sql, PQerrorMessage(db));
    PQclear(r);
}

static long count(const char *sql) {
    PGresult *r = PQexec(db, sql);
    if (PQresultStatus(r) != PGRES_TUPLES_OK)
        fail_msg("%s: %s", sql, PQerrorMessage(db));
    long n = atol(PQgetvalue(r, 0, 0));
    PQclear(r);
    return n;
}

static void test_against_postgresql(void **state) {
    (void)state;
    const char *conninfo = getenv("VAKSIN_TEST_PG");
    if (!conninfo || !*conninfo)
        skip();
    db = PQconnectdb(conninfo);
    assert_int_equal(PQstatus(db), CONNECTION_OK);
    exec_ok("SET client_encoding = 'UTF8'");
    static const char cols[] = "(u uuid, c char(16), t text, b bytea, i4 int, i8 bigint,"
                               " d date, ts timestamptz, a text[])";
    char sql[512];
    const char *tables[] = {"copy_bin", "copy_txt", "copy_ref"};
    for (int i = 0; i < 3; i++) {
        snprintf(sql, sizeof sql, "DROP TABLE IF EXISTS %s; CREATE TABLE %s %s", tables[i],
                 tables[i], cols);
        exec_ok(sql);
    }
    vk_buf b = VK_BUF_INIT;
    vk_copyb w;
    vk_copyb_start(&w, &b);
    binary_rows(&w);
    assert_int_equal(vk_copyb_finish(&w), 0);
    assert_int_equal(vk_pg_copy(db, "COPY copy_bin FROM STDIN WITH (FORMAT binary)", &b), 0);
    vk_buf_reset(&b);
    text_rows(&b);
    assert_int_equal(vk_pg_copy(db, "COPY copy_txt FROM STDIN", &b), 0);
    for (size_t i = 0; i < NROWS; i++) {
        vk_buf_reset(&b);
        vk_buf_printf(&b, "INSERT INTO copy_ref VALUES %s", rows[i].sql);
        vk_buf_append(&b, "", 1);
        exec_ok((const char *)b.data);
    }
    for (int i = 0; i < 3; i++) {
        snprintf(sql, sizeof sql, "SELECT count(*) FROM %s", tables[i]);
        assert_int_equal(count(sql), NROWS);
    }
    /* Row for row, in both directions (EXCEPT ALL keeps duplicates apart). */
    for (int i = 0; i < 2; i++) {
        snprintf(sql, sizeof sql,
                 "SELECT count(*) FROM ((TABLE %s EXCEPT ALL TABLE copy_ref)"
                 " UNION ALL (TABLE copy_ref EXCEPT ALL TABLE %s)) d",
                 tables[i], tables[i]);
        if (count(sql) != 0) {
            snprintf(sql, sizeof sql, "TABLE %s EXCEPT ALL TABLE copy_ref", tables[i]);
            PGresult *r = PQexec(db, sql);
            for (int k = 0; k < PQntuples(r); k++)
                print_error("%s differs: u=%s d=%s ts=%s a=%s\n", tables[i], PQgetvalue(r, k, 0),
                            PQgetvalue(r, k, 6), PQgetvalue(r, k, 7), PQgetvalue(r, k, 8));
            PQclear(r);
            fail_msg("%s differs from the SQL literals", tables[i]);
        }
    }
    /* A malformed stream is refused by the server, not half-loaded. */
    vk_copyb_start(&w, &b);
    vk_copyb_row(&w, 9);
    vk_copyb_int4(&w, 1); /* a 4-byte field where a 16-byte uuid belongs */
    assert_int_equal(vk_copyb_finish(&w), 0);
    assert_int_equal(vk_pg_copy(db, "COPY copy_bin FROM STDIN WITH (FORMAT binary)", &b), -1);
    assert_int_equal(count("SELECT count(*) FROM copy_bin"), NROWS);
    exec_ok("DROP TABLE copy_bin, copy_txt, copy_ref");
    vk_buf_free(&b);
    PQfinish(db);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_layout),
        cmocka_unit_test(test_bad_uuid_fails_the_writer),
        cmocka_unit_test(test_times_out_of_range),
        cmocka_unit_test(test_against_postgresql),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
