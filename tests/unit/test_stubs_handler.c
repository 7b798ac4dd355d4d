/*
 * test_stubs_handler.c — the stub servers' answers (test-servers/stubs/handler.c), read back with
 * the lookup worker's own readers: vk_bpjs_parse_response for BPJS (so the ciphertext, the
 * LZ-String and the participant all round-trip) and vk_dukcapil_parse for Dukcapil, with the
 * requests built by vk_bpjs_headers and vk_dukcapil_request_json. Also the master file's
 * refusals (by line), the similarity score, and the /_control and /_stats documents.
 */
#include "handler.h"

#include "vk_bpjs.h"
#include "vk_dukcapil.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#define CONS     "1000"
#define SECRET   "7789"
#define USER_KEY "uk-0123456789"
#define TS       1612224000

static const char *PEOPLE_CSV =
    "nik,name,birth_date,sex,card_no\r\n"
    "3273025205850001,Siti Nurhaliza,1985-05-12,P,0001234567890\r\n"
    "3273020505850002,  Budi   Santoso ,1985-05-05,l,\r\n"
    "5171014506900002,\"Ni Luh Putu Ayu D\xc3\xa9wi\",1990-06-05,P,0009876543210\r\n";

static const stub_bpjs_credentials BPJS = {CONS, SECRET, USER_KEY};
static const stub_dukcapil_credentials DUK = {"faskes01", "s3cret", "10.1.2.3"};

static stub_people *people(void) {
    stub_people *p = stub_people_new();
    char err[256] = "";
    assert_non_null(p);
    if (stub_people_parse_csv(p, PEOPLE_CSV, strlen(PEOPLE_CSV), err, sizeof err))
        fail_msg("%s", err);
    return p;
}

/* ---- The master file ---- */

static void people_file_is_read_and_searched(void **state) {
    (void)state;
    stub_people *p = people();
    assert_int_equal(3, stub_people_count(p));
    const stub_person *s = stub_people_find(p, "3273025205850001");
    assert_non_null(s);
    assert_string_equal("Siti Nurhaliza", s->name);
    assert_string_equal("SITI NURHALIZA", s->name_norm);
    assert_int_equal(5610, s->birth_date); /* 1985-05-12 */
    assert_int_equal('P', s->sex);
    assert_string_equal("0001234567890", s->card_no);
    s = stub_people_find(p, "3273020505850002");
    assert_non_null(s);
    assert_string_equal("Budi   Santoso", s->name); /* trimmed, inner spaces kept */
    assert_string_equal("BUDI SANTOSO", s->name_norm);
    assert_int_equal('L', s->sex);
    assert_string_equal("", s->card_no);
    assert_null(stub_people_find(p, "3273025205850009"));
    stub_people_destroy(p);
}

static void people_columns_may_come_in_any_order(void **state) {
    (void)state;
    const char *csv = "SEX,Birth_Date,extra,NIK,Name\nP,2000-01-31,x,3273027101000001,Ani\n";
    stub_people *p = stub_people_new();
    char err[256] = "";
    if (stub_people_parse_csv(p, csv, strlen(csv), err, sizeof err))
        fail_msg("%s", err);
    const stub_person *s = stub_people_find(p, "3273027101000001");
    assert_non_null(s);
    assert_string_equal("Ani", s->name);
    assert_string_equal("", s->card_no);
    stub_people_destroy(p);
}

static void people_file_refuses_bad_rows_by_line(void **state) {
    (void)state;
    static const char *H = "nik,name,birth_date,sex,card_no\n";
    struct {
        const char *rows;
        const char *want;
    } v[] = {
        {"3273025205850001,A,1985-05-12,P,1\n327302520585000,B,1985-05-12,P,\n",
         "line 3: nik is not 16 digits"},
        {"3273025205850001,A,1985-13-12,P,\n", "line 2: birth_date is not a valid yyyy-mm-dd"},
        {"3273025205850001,A,12-05-1985,P,\n", "line 2: birth_date"},
        {"3273025205850001,A,1985-05-12,W,\n", "line 2: sex is neither L nor P"},
        {"3273025205850001,R2D2,1985-05-12,P,\n", "line 2: name: "},
        {"3273025205850001,,1985-05-12,P,\n", "line 2: name: "},
        {"3273025205850001,A,1985-05-12,P\n", "line 2: 4 fields, the header has 5"},
        {"3273025205850001,A,1985-05-12,P,12345678901234567890123456789012\n",
         "line 2: card_no is longer than 31"},
        {"3273025205850001,A,1985-05-12,P,\n3273020505850002,B,1985-05-05,L,\n"
         "3273025205850001,C,1985-05-12,P,\n",
         "lines 2 and 4: the same nik"},
        {"3273025205850001,\"A,1985-05-12,P,\n", "line 2: "},
    };
    for (size_t i = 0; i < sizeof v / sizeof *v; i++) {
        char csv[512], err[256] = "";
        snprintf(csv, sizeof csv, "%s%s", H, v[i].rows);
        stub_people *p = stub_people_new();
        if (stub_people_parse_csv(p, csv, strlen(csv), err, sizeof err) != -1)
            fail_msg("case %zu accepted", i);
        if (!strstr(err, v[i].want))
            fail_msg("case %zu: \"%s\" does not contain \"%s\"", i, err, v[i].want);
        assert_int_equal(0, stub_people_count(p));
        stub_people_destroy(p);
    }
    const char *no_birth = "nik,name,sex\n3273025205850001,A,P\n";
    char err[256] = "";
    stub_people *p = stub_people_new();
    assert_int_equal(-1, stub_people_parse_csv(p, no_birth, strlen(no_birth), err, sizeof err));
    assert_non_null(strstr(err, "line 1: the header has no column birth_date"));
    stub_people_destroy(p);
}

static void people_file_from_disk(void **state) {
    (void)state;
    char path[] = "/tmp/test_stubs_people.XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal((ssize_t)strlen(PEOPLE_CSV), write(fd, PEOPLE_CSV, strlen(PEOPLE_CSV)));
    close(fd);
    stub_people *p = stub_people_new();
    char err[256] = "";
    if (stub_people_load_file(p, path, err, sizeof err) != 0)
        fail_msg("%s", err);
    assert_int_equal(3, stub_people_count(p));
    unlink(path);
    assert_int_equal(1, stub_people_load_file(p, path, err, sizeof err)); /* gone: nobody */
    assert_int_equal(0, stub_people_count(p));
    stub_people_destroy(p);
}

/* ---- BPJS ---- */

/* The header values a client signing at @p ts sends (pointers into @p h). */
static stub_bpjs_request signed_request(vk_bpjs_header_lines *h, int64_t ts, const char *path) {
    char err[128];
    assert_int_equal(0, vk_bpjs_headers(CONS, SECRET, USER_KEY, ts, h, err, sizeof err));
    stub_bpjs_request r = {"GET",
                           path,
                           strchr(h->cons_id, ':') + 2,
                           strchr(h->timestamp, ':') + 2,
                           strchr(h->signature, ':') + 2,
                           strchr(h->user_key, ':') + 2};
    return r;
}

static vk_bpjs_outcome bpjs_parse(const stub_answer *a, vk_bpjs_response *r, char *err,
                                  size_t errlen) {
    return vk_bpjs_parse_response((const char *)a->body.data, a->body.len, CONS, SECRET, TS, r, err,
                                  errlen);
}

static void bpjs_found_round_trips_through_the_client(void **state) {
    (void)state;
    stub_people *p = people();
    vk_bpjs_header_lines h;
    const char *paths[] = {"/Peserta/nik/5171014506900002/tglSEP/2021-02-01",
                           "/vclaim-rest/Peserta/nik/5171014506900002/tglSEP/2021-02-01"};
    for (size_t i = 0; i < 2; i++) {
        stub_bpjs_request req = signed_request(&h, TS, paths[i]);
        stub_answer a;
        memset(&a, 0, sizeof a);
        stub_bpjs_answer(p, &BPJS, &req, TS + 100, &a);
        assert_int_equal(200, a.status);
        assert_int_equal(STUB_FOUND, a.outcome);
        vk_bpjs_response r;
        char err[256] = "";
        if (bpjs_parse(&a, &r, err, sizeof err) != VK_BPJS_FOUND)
            fail_msg("%s: %s", (char *)a.body.data, err);
        assert_string_equal("200", r.code);
        assert_string_equal("OK", r.message);
        assert_string_equal("5171014506900002", r.participant.nik);
        assert_string_equal("Ni Luh Putu Ayu D\xc3\xa9wi", r.participant.name);
        assert_string_equal("0009876543210", r.participant.card_no);
        assert_int_equal('P', r.participant.sex);
        assert_true(r.participant.has_birth_date);
        assert_int_equal(7460, r.participant.birth_date); /* 1990-06-05 */
        assert_string_equal("0", r.participant.status_code);
        assert_string_equal("AKTIF", r.participant.status_text);
        /* Encrypted under the request's timestamp, not the stub's clock. */
        assert_int_equal(VK_BPJS_ERROR,
                         vk_bpjs_parse_response((const char *)a.body.data, a.body.len, CONS, SECRET,
                                                TS + 100, &r, err, sizeof err));
        stub_answer_free(&a);
    }
    stub_people_destroy(p);
}

static void bpjs_empty_card_number_is_absent(void **state) {
    (void)state;
    stub_people *p = people();
    vk_bpjs_header_lines h;
    stub_bpjs_request req =
        signed_request(&h, TS, "/Peserta/nik/3273020505850002/tglSEP/2021-02-01");
    stub_answer a;
    memset(&a, 0, sizeof a);
    stub_bpjs_answer(p, &BPJS, &req, TS, &a);
    vk_bpjs_response r;
    char err[256] = "";
    if (bpjs_parse(&a, &r, err, sizeof err) != VK_BPJS_FOUND)
        fail_msg("%s", err);
    assert_string_equal("", r.participant.card_no);
    assert_string_equal("Budi   Santoso", r.participant.name);
    assert_int_equal('L', r.participant.sex);
    stub_answer_free(&a);
    stub_people_destroy(p);
}

static void bpjs_unknown_nik_is_not_found(void **state) {
    (void)state;
    stub_people *p = people();
    vk_bpjs_header_lines h;
    stub_bpjs_request req =
        signed_request(&h, TS, "/Peserta/nik/3273025205850009/tglSEP/2021-02-01");
    stub_answer a;
    memset(&a, 0, sizeof a);
    stub_bpjs_answer(p, &BPJS, &req, TS, &a);
    assert_int_equal(200, a.status);
    assert_int_equal(STUB_NOT_FOUND, a.outcome);
    assert_string_equal("{\"metaData\":{\"code\":\"201\",\"message\":\"Peserta tidak "
                        "ditemukan\"},\"response\":null}",
                        (char *)a.body.data);
    vk_bpjs_response r;
    char err[256] = "";
    assert_int_equal(VK_BPJS_NOT_FOUND, bpjs_parse(&a, &r, err, sizeof err));
    stub_answer_free(&a);
    stub_people_destroy(p);
}

static void bpjs_refuses_each_failed_check_by_name(void **state) {
    (void)state;
    stub_people *p = people();
    const char *path = "/Peserta/nik/3273025205850001/tglSEP/2021-02-01";
    struct {
        int field; /* 0 cons_id, 1 timestamp, 2 signature, 3 user_key */
        const char *value;
        int64_t now;
        const char *want;
    } v[] = {
        {0, "1001", TS, "X-cons-id tidak dikenal"},
        {0, NULL, TS, "X-cons-id tidak dikenal"},
        {1, NULL, TS, "X-timestamp tidak valid"},
        {1, "16122240OO", TS, "X-timestamp tidak valid"},
        {1, "01612224000", TS, "X-timestamp tidak valid"},
        {1, "-1612224000", TS, "X-timestamp tidak valid"},
        {-1, NULL, TS + 301, "X-timestamp kedaluwarsa"},
        {-1, NULL, TS - 301, "X-timestamp kedaluwarsa"},
        {2, NULL, TS, "Signature tidak valid"},
        {2, "bm90IHRoZSBzaWduYXR1cmUgYXQgYWxsLCBzb3JyeSE=", TS, "Signature tidak valid"},
        {2, "", TS, "Signature tidak valid"},
        {3, NULL, TS, "user_key tidak valid"},
        {3, "uk-012345678", TS, "user_key tidak valid"},
        {3, "uk-0123456789 ", TS, "user_key tidak valid"},
    };
    for (size_t i = 0; i < sizeof v / sizeof *v; i++) {
        vk_bpjs_header_lines h;
        stub_bpjs_request req = signed_request(&h, TS, path);
        const char **f[] = {&req.cons_id, &req.timestamp, &req.signature, &req.user_key};
        if (v[i].field >= 0)
            *f[v[i].field] = v[i].value;
        stub_answer a;
        memset(&a, 0, sizeof a);
        stub_bpjs_answer(p, &BPJS, &req, v[i].now, &a);
        char want[160];
        snprintf(want, sizeof want,
                 "{\"metaData\":{\"code\":\"401\",\"message\":\"%s\"},\"response\":null}",
                 v[i].want);
        if (a.status != 200 || a.outcome != STUB_REFUSED_AUTH ||
            strcmp(want, (char *)a.body.data) != 0)
            fail_msg("case %zu: %d %s", i, a.status, (char *)a.body.data);
        vk_bpjs_response r;
        char err[256] = "";
        assert_int_equal(VK_BPJS_ERROR, bpjs_parse(&a, &r, err, sizeof err));
        assert_null(strstr((char *)a.body.data, SECRET));
        assert_null(strstr((char *)a.body.data, USER_KEY));
        stub_answer_free(&a);
    }
    /* The edges of the window are accepted. */
    for (int64_t now = TS - 300; now <= TS + 300; now += 600) {
        vk_bpjs_header_lines h;
        stub_bpjs_request req = signed_request(&h, TS, path);
        stub_answer a;
        memset(&a, 0, sizeof a);
        stub_bpjs_answer(p, &BPJS, &req, now, &a);
        assert_int_equal(STUB_FOUND, a.outcome);
        stub_answer_free(&a);
    }
    /* A signature made at another time does not pass for this one. */
    vk_bpjs_header_lines h, other;
    stub_bpjs_request req = signed_request(&h, TS, path);
    req.signature = signed_request(&other, TS + 1, path).signature;
    stub_answer a;
    memset(&a, 0, sizeof a);
    stub_bpjs_answer(p, &BPJS, &req, TS, &a);
    assert_int_equal(STUB_REFUSED_AUTH, a.outcome);
    stub_answer_free(&a);
    stub_people_destroy(p);
}

static void bpjs_refuses_bad_paths_methods_and_values(void **state) {
    (void)state;
    stub_people *p = people();
    struct {
        const char *method, *path;
        int status;
        const char *code;
    } v[] = {
        {"GET", "/", 404, "400"},
        {"GET", "/Peserta/nokartu/0001234567890/tglSEP/2021-02-01", 404, "400"},
        {"GET", "/Peserta/nik/3273025205850001/tglSEP/2021-02-01/x", 404, "400"},
        {"GET", "/Peserta/nik//tglSEP/2021-02-01", 404, "400"},
        {"GET", "/Peserta/nik/3273025205850001/tglSEP/", 404, "400"},
        {"POST", "/Peserta/nik/3273025205850001/tglSEP/2021-02-01", 405, "405"},
        {"GET", "/Peserta/nik/327302520585000/tglSEP/2021-02-01", 200, "400"},
        {"GET", "/Peserta/nik/327302520585000A/tglSEP/2021-02-01", 200, "400"},
        {"GET", "/Peserta/nik/3273025205850001/tglSEP/2021-02-30", 200, "400"},
        {"GET", "/Peserta/nik/3273025205850001/tglSEP/01-02-2021", 200, "400"},
    };
    for (size_t i = 0; i < sizeof v / sizeof *v; i++) {
        vk_bpjs_header_lines h;
        stub_bpjs_request req = signed_request(&h, TS, v[i].path);
        req.method = v[i].method;
        stub_answer a;
        memset(&a, 0, sizeof a);
        stub_bpjs_answer(p, &BPJS, &req, TS, &a);
        vk_bpjs_response r;
        char err[256] = "";
        /* Never "not found": a wrong URL must not pass for an unknown participant. */
        if (a.status != v[i].status || a.outcome != STUB_BAD_REQUEST ||
            bpjs_parse(&a, &r, err, sizeof err) != VK_BPJS_ERROR || strcmp(r.code, v[i].code) != 0)
            fail_msg("case %zu: %d %s", i, a.status, (char *)a.body.data);
        stub_answer_free(&a);
    }
    stub_people_destroy(p);
}

static void fault_answers_are_errors_not_verdicts(void **state) {
    (void)state;
    stub_answer a;
    memset(&a, 0, sizeof a);
    vk_bpjs_response r;
    char err[256] = "";
    stub_fault_answer(STUB_BPJS, 500, &a);
    assert_int_equal(500, a.status);
    assert_int_equal(STUB_FAILED, a.outcome);
    assert_string_equal("{\"metaData\":{\"code\":\"500\",\"message\":\"Internal Server Error\"},"
                        "\"response\":null}",
                        (char *)a.body.data);
    assert_int_equal(VK_BPJS_ERROR, bpjs_parse(&a, &r, err, sizeof err));
    stub_fault_answer(STUB_BPJS, 503, &a);
    assert_int_equal(503, a.status);
    assert_int_equal(VK_BPJS_ERROR, bpjs_parse(&a, &r, err, sizeof err));
    assert_string_equal("Service Unavailable", r.message);

    vk_dukcapil_result d;
    stub_fault_answer(STUB_DUKCAPIL, 503, &a);
    assert_string_equal("{\"content\":[{\"RESPON\":\"Service Unavailable\"}]}",
                        (char *)a.body.data);
    assert_int_equal(VK_DUKCAPIL_ERROR,
                     vk_dukcapil_parse((char *)a.body.data, a.body.len, &d, err, sizeof err));
    stub_fault_answer(STUB_DUKCAPIL, 500, &a);
    assert_int_equal(500, a.status);
    assert_int_equal(VK_DUKCAPIL_ERROR,
                     vk_dukcapil_parse((char *)a.body.data, a.body.len, &d, err, sizeof err));
    stub_answer_free(&a);
}

/* ---- Dukcapil ---- */

/* Asks the stub what the client would ask, and reads the answer as the client would. */
static vk_dukcapil_outcome ask(const stub_people *p, const vk_dukcapil_query *q, int threshold,
                               const stub_dukcapil_credentials *cred, vk_dukcapil_result *res,
                               stub_answer *a, char *err, size_t errlen) {
    vk_dukcapil_credentials c = {cred->user_id, cred->password, cred->ip_user, threshold};
    vk_buf body = VK_BUF_INIT;
    char berr[128];
    assert_int_equal(0, vk_dukcapil_request_json(q, &c, &body, berr, sizeof berr));
    stub_dukcapil_answer(p, &DUK, "POST", (const char *)body.data, body.len, a);
    vk_dukcapil_request_free(&body);
    return vk_dukcapil_parse((const char *)a->body.data, a->body.len, res, err, errlen);
}

static void dukcapil_answers_each_element_sent(void **state) {
    (void)state;
    stub_people *p = people();
    stub_answer a;
    memset(&a, 0, sizeof a);
    vk_dukcapil_result r;
    char err[256] = "";
    /* Right name and date, wrong sex. */
    vk_dukcapil_query q = {"3273025205850001", "SITI NURHALIZA", true, 5610, 'L'};
    if (ask(p, &q, 80, &DUK, &r, &a, err, sizeof err) != VK_DUKCAPIL_FOUND)
        fail_msg("%s", err);
    assert_int_equal(200, a.status);
    assert_int_equal(STUB_FOUND, a.outcome);
    assert_string_equal("{\"content\":[{\"NIK\":\"Sesuai (100)\",\"NAMA_LGKP\":\"Sesuai (100)\","
                        "\"TGL_LHR\":\"Sesuai (100)\",\"JENIS_KLMIN\":\"Tidak Sesuai (0)\"}]}",
                        (char *)a.body.data);
    assert_true(r.name.present && r.name.match);
    assert_int_equal(100, r.name.score);
    assert_true(r.birth_date.present && r.birth_date.match);
    assert_true(r.sex.present && !r.sex.match);
    assert_int_equal(0, r.sex.score);

    /* A near name: 1 edit in 15 letters scores 93, which passes 90 and fails 95. Names are
     * compared normalized (case, spaces). */
    vk_dukcapil_query near = {"3273025205850001", "siti  nurhalizah", false, 0, 0};
    if (ask(p, &near, 90, &DUK, &r, &a, err, sizeof err) != VK_DUKCAPIL_FOUND)
        fail_msg("%s", err);
    assert_true(r.name.present && r.name.match);
    assert_int_equal(93, r.name.score);
    assert_false(r.birth_date.present);
    assert_false(r.sex.present);
    assert_null(strstr((char *)a.body.data, "TGL_LHR"));
    assert_int_equal(VK_DUKCAPIL_FOUND, ask(p, &near, 95, &DUK, &r, &a, err, sizeof err));
    assert_true(r.name.present && !r.name.match);
    assert_int_equal(93, r.name.score);

    /* A wrong birth date; only the date sent. */
    vk_dukcapil_query date = {"5171014506900002", NULL, true, 7461, 0};
    assert_int_equal(VK_DUKCAPIL_FOUND, ask(p, &date, 80, &DUK, &r, &a, err, sizeof err));
    assert_false(r.name.present);
    assert_true(r.birth_date.present && !r.birth_date.match);
    assert_int_equal(0, r.birth_date.score);
    /* TRESHOLD 0: every score passes. */
    assert_int_equal(VK_DUKCAPIL_FOUND, ask(p, &date, 0, &DUK, &r, &a, err, sizeof err));
    assert_true(r.birth_date.match);

    /* Only the NIK. */
    vk_dukcapil_query bare = {"5171014506900002", NULL, false, 0, 0};
    assert_int_equal(VK_DUKCAPIL_FOUND, ask(p, &bare, 80, &DUK, &r, &a, err, sizeof err));
    assert_string_equal("{\"content\":[{\"NIK\":\"Sesuai (100)\"}]}", (char *)a.body.data);
    stub_answer_free(&a);
    stub_people_destroy(p);
}

static void dukcapil_unknown_nik_is_not_found(void **state) {
    (void)state;
    stub_people *p = people();
    stub_answer a;
    memset(&a, 0, sizeof a);
    vk_dukcapil_result r;
    char err[256] = "";
    vk_dukcapil_query q = {"3273025205850009", "SITI", false, 0, 'P'};
    assert_int_equal(VK_DUKCAPIL_NOT_FOUND, ask(p, &q, 80, &DUK, &r, &a, err, sizeof err));
    assert_int_equal(STUB_NOT_FOUND, a.outcome);
    assert_string_equal("Data Tidak Ditemukan", r.message);
    stub_answer_free(&a);
    stub_people_destroy(p);
}

static void dukcapil_wrong_credentials_are_an_error(void **state) {
    (void)state;
    stub_people *p = people();
    stub_dukcapil_credentials wrong[] = {
        {"faskes02", "s3cret", "10.1.2.3"},
        {"faskes01", "s3cret!", "10.1.2.3"},
        {"faskes01", "s3cre", "10.1.2.3"},
        {"faskes01", "s3cret", "10.1.2.4"},
    };
    vk_dukcapil_query q = {"3273025205850001", "SITI NURHALIZA", false, 0, 0};
    for (size_t i = 0; i < sizeof wrong / sizeof *wrong; i++) {
        stub_answer a;
        memset(&a, 0, sizeof a);
        vk_dukcapil_result r;
        char err[256] = "";
        assert_int_equal(VK_DUKCAPIL_ERROR, ask(p, &q, 80, &wrong[i], &r, &a, err, sizeof err));
        assert_int_equal(200, a.status);
        assert_int_equal(STUB_REFUSED_AUTH, a.outcome);
        assert_string_equal("{\"content\":[{\"RESPON\":\"User ID atau Password salah\"}]}",
                            (char *)a.body.data);
        assert_non_null(strstr(err, "User ID atau Password salah"));
        stub_answer_free(&a);
    }
    stub_people_destroy(p);
}

static void dukcapil_refuses_malformed_requests(void **state) {
    (void)state;
    stub_people *p = people();
#define CRED "\"USER_ID\":\"faskes01\",\"PASSWORD\":\"s3cret\",\"IP_USER\":\"10.1.2.3\""
    struct {
        const char *body, *why;
    } v[] = {
        {"{", "body bukan JSON"},
        {"[1]", "body bukan objek JSON"},
        {"{" CRED ",\"TRESHOLD\":80}", "NIK tidak ada"},
        {"{\"NIK\":3273025205850001," CRED ",\"TRESHOLD\":80}", "NIK bukan string"},
        {"{\"NIK\":\"32730252058500\"," CRED ",\"TRESHOLD\":80}", "NIK harus 16 digit"},
        {"{\"NIK\":\"3273025205850001\",\"USER_ID\":\"faskes01\",\"TRESHOLD\":80}",
         "PASSWORD tidak ada"},
        {"{\"NIK\":\"3273025205850001\"," CRED "}", "TRESHOLD tidak ada"},
        {"{\"NIK\":\"3273025205850001\"," CRED ",\"TRESHOLD\":101}", "TRESHOLD bukan angka"},
        {"{\"NIK\":\"3273025205850001\"," CRED ",\"TRESHOLD\":\"80\"}", "TRESHOLD bukan angka"},
        {"{\"NIK\":\"3273025205850001\"," CRED ",\"TRESHOLD\":80,\"TGL_LHR\":\"1985-05-12\"}",
         "TGL_LHR bukan tanggal dd-mm-yyyy"},
        {"{\"NIK\":\"3273025205850001\"," CRED ",\"TRESHOLD\":80,\"TGL_LHR\":\"31-02-1985\"}",
         "TGL_LHR bukan tanggal dd-mm-yyyy"},
        {"{\"NIK\":\"3273025205850001\"," CRED ",\"TRESHOLD\":80,\"JENIS_KLMIN\":\"L\"}",
         "JENIS_KLMIN bukan LAKI-LAKI atau PEREMPUAN"},
        {"{\"NIK\":\"3273025205850001\"," CRED ",\"TRESHOLD\":80,\"NAMA_LGKP\":7}",
         "NAMA_LGKP bukan string"},
        {"{\"NIK\":\"3273025205850001\"," CRED ",\"TRESHOLD\":80,\"NAMA_LGKP\":\"   \"}",
         "NAMA_LGKP: "},
    };
#undef CRED
    for (size_t i = 0; i < sizeof v / sizeof *v; i++) {
        stub_answer a;
        memset(&a, 0, sizeof a);
        stub_dukcapil_answer(p, &DUK, "POST", v[i].body, strlen(v[i].body), &a);
        char want[200];
        snprintf(want, sizeof want, "{\"content\":[{\"RESPON\":\"Format permintaan salah: %s",
                 v[i].why);
        if (a.status != 400 || a.outcome != STUB_BAD_REQUEST ||
            strncmp(want, (char *)a.body.data, strlen(want)) != 0)
            fail_msg("case %zu: %d %s", i, a.status, (char *)a.body.data);
        assert_null(strstr((char *)a.body.data, "s3cret"));
        vk_dukcapil_result r;
        char err[256];
        assert_int_equal(VK_DUKCAPIL_ERROR,
                         vk_dukcapil_parse((char *)a.body.data, a.body.len, &r, err, sizeof err));
        stub_answer_free(&a);
    }
    /* Elements sent as null are not sent; the other method is refused. */
    const char *nulls = "{\"NIK\":\"3273025205850001\",\"NAMA_LGKP\":null,\"USER_ID\":\"faskes01\","
                        "\"PASSWORD\":\"s3cret\",\"IP_USER\":\"10.1.2.3\",\"TRESHOLD\":80.5}";
    stub_answer a;
    memset(&a, 0, sizeof a);
    stub_dukcapil_answer(p, &DUK, "POST", nulls, strlen(nulls), &a);
    assert_string_equal("{\"content\":[{\"NIK\":\"Sesuai (100)\"}]}", (char *)a.body.data);
    stub_dukcapil_answer(p, &DUK, "GET", NULL, 0, &a);
    assert_int_equal(405, a.status);
    stub_dukcapil_answer(p, &DUK, "POST", NULL, 0, &a);
    assert_int_equal(400, a.status);
    stub_answer_free(&a);
    stub_people_destroy(p);
}

static void name_score_is_levenshtein_on_code_points(void **state) {
    (void)state;
    assert_int_equal(100, stub_name_score("SITI NURHALIZA", "SITI NURHALIZA"));
    assert_int_equal(100, stub_name_score("", ""));
    assert_int_equal(0, stub_name_score("ABC", "XYZ"));
    assert_int_equal(0, stub_name_score("", "ABC"));
    assert_int_equal(28, stub_name_score("SITI", "SITI NURHALIZA")); /* 10 edits in 14 */
    assert_int_equal(28, stub_name_score("SITI NURHALIZA", "SITI"));
    assert_int_equal(93, stub_name_score("SITI NURHALIZA", "SITI NURHALIZAH")); /* 1 in 15 */
    assert_int_equal(75, stub_name_score("D\xc3\x89WI", "DEWI")); /* É is one letter */
    assert_int_equal(33, stub_name_score("ABC", "ACB"));          /* a transposition is two edits */
}

/* ---- Control and statistics ---- */

static void control_changes_only_what_is_given(void **state) {
    (void)state;
    stub_settings s = {100, 0, 0.0, 0.0, false};
    char err[256] = "";
    const char *b = "{\"jitter_ms\":20,\"fail_rate\":0.25,\"down\":true}";
    assert_int_equal(0, stub_control_apply(&s, b, strlen(b), err, sizeof err));
    assert_int_equal(100, s.latency_ms);
    assert_int_equal(20, s.jitter_ms);
    assert_true(s.fail_rate == 0.25);
    assert_true(s.hang_rate == 0.0);
    assert_true(s.down);
    b = "{\"hang_rate\":1,\"down\":false,\"latency_ms\":0}";
    assert_int_equal(0, stub_control_apply(&s, b, strlen(b), err, sizeof err));
    assert_true(s.hang_rate == 1.0);
    assert_false(s.down);
    assert_int_equal(0, s.latency_ms);

    stub_settings before = s;
    const char *bad[][2] = {
        {"{\"latency_ms\":-1}", "latency_ms must be an integer"},
        {"{\"latency_ms\":1.5}", "latency_ms must be an integer"},
        {"{\"fail_rate\":1.5}", "fail_rate must be a number from 0 to 1"},
        {"{\"hang_rate\":\"x\"}", "hang_rate must be a number"},
        {"{\"down\":1}", "down must be true or false"},
        {"{\"latency_ms\":5,\"speed\":1}", "unknown key \"speed\""},
        {"[]", "not a JSON object"},
        {"", "not a JSON object"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        assert_int_equal(-1, stub_control_apply(&s, bad[i][0], strlen(bad[i][0]), err, sizeof err));
        if (!strstr(err, bad[i][1]))
            fail_msg("case %zu: %s", i, err);
        assert_memory_equal(&before, &s, sizeof s); /* all or nothing */
    }
    vk_buf out = VK_BUF_INIT;
    assert_int_equal(0, stub_settings_json(&s, &out));
    assert_string_equal("{\"latency_ms\":0,\"jitter_ms\":20,\"fail_rate\":0.25,\"hang_rate\":1.0,"
                        "\"down\":false}",
                        (char *)out.data);
    vk_buf_free(&out);
}

static void stats_document_has_every_counter(void **state) {
    (void)state;
    stub_stats st = {10, 4, 3, 1, 1, 1, 0, 2};
    vk_buf out = VK_BUF_INIT;
    assert_int_equal(0, stub_stats_json(&st, &out));
    assert_string_equal("{\"requests\":10,\"answered_found\":4,\"answered_not_found\":3,"
                        "\"refused_auth\":1,\"bad_request\":1,\"failed\":1,\"hung\":0,"
                        "\"connections\":2}",
                        (char *)out.data);
    vk_buf_free(&out);
    stub_protocol pr;
    assert_int_equal(0, stub_protocol_parse("BPJS", &pr));
    assert_int_equal(STUB_BPJS, pr);
    assert_int_equal(0, stub_protocol_parse("dukcapil", &pr));
    assert_int_equal(STUB_DUKCAPIL, pr);
    assert_int_equal(-1, stub_protocol_parse("jkn", &pr));
    assert_int_equal(-1, stub_protocol_parse(NULL, &pr));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(people_file_is_read_and_searched),
        cmocka_unit_test(people_columns_may_come_in_any_order),
        cmocka_unit_test(people_file_refuses_bad_rows_by_line),
        cmocka_unit_test(people_file_from_disk),
        cmocka_unit_test(bpjs_found_round_trips_through_the_client),
        cmocka_unit_test(bpjs_empty_card_number_is_absent),
        cmocka_unit_test(bpjs_unknown_nik_is_not_found),
        cmocka_unit_test(bpjs_refuses_each_failed_check_by_name),
        cmocka_unit_test(bpjs_refuses_bad_paths_methods_and_values),
        cmocka_unit_test(fault_answers_are_errors_not_verdicts),
        cmocka_unit_test(dukcapil_answers_each_element_sent),
        cmocka_unit_test(dukcapil_unknown_nik_is_not_found),
        cmocka_unit_test(dukcapil_wrong_credentials_are_an_error),
        cmocka_unit_test(dukcapil_refuses_malformed_requests),
        cmocka_unit_test(name_score_is_levenshtein_on_code_points),
        cmocka_unit_test(control_changes_only_what_is_given),
        cmocka_unit_test(stats_document_has_every_counter),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
