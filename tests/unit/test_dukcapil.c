/*
 * test_dukcapil.c — the Dukcapil verification-by-element adapter (lib/gov/vk_dukcapil.c): the
 * request body, and every answer shape the adapter promises to read (and the garbage it must
 * refuse by name).
 */
#include "vk_dukcapil.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

static const vk_dukcapil_credentials CRED = {"faskes01", "s3cret", "10.1.2.3", 80};

static void request_has_every_element_in_order(void **state) {
    (void)state;
    vk_dukcapil_query q = {"3273025205850001", "SITI NURHALIZA", true, 5610 /* 1985-05-12 */, 'P'};
    vk_buf body = VK_BUF_INIT;
    char err[128];
    assert_int_equal(0, vk_dukcapil_request_json(&q, &CRED, &body, err, sizeof err));
    assert_string_equal("{\"NIK\":\"3273025205850001\",\"NAMA_LGKP\":\"SITI NURHALIZA\","
                        "\"TGL_LHR\":\"12-05-1985\",\"JENIS_KLMIN\":\"PEREMPUAN\","
                        "\"USER_ID\":\"faskes01\",\"PASSWORD\":\"s3cret\","
                        "\"IP_USER\":\"10.1.2.3\",\"TRESHOLD\":80}",
                        (char *)body.data);
    vk_dukcapil_request_free(&body);
    assert_null(body.data);
}

static void request_leaves_out_unasked_elements(void **state) {
    (void)state;
    vk_dukcapil_query q = {"3273020505850001", NULL, false, 0, 'L'};
    vk_buf body = VK_BUF_INIT;
    char err[128];
    assert_int_equal(0, vk_dukcapil_request_json(&q, &CRED, &body, err, sizeof err));
    assert_non_null(strstr((char *)body.data, "\"JENIS_KLMIN\":\"LAKI-LAKI\""));
    assert_null(strstr((char *)body.data, "NAMA_LGKP"));
    assert_null(strstr((char *)body.data, "TGL_LHR"));
    vk_dukcapil_request_free(&body);
    assert_string_equal("LAKI-LAKI", vk_dukcapil_sex_word('L'));
    assert_null(vk_dukcapil_sex_word('X'));
}

static void request_refuses_bad_input_without_echoing_credentials(void **state) {
    (void)state;
    struct {
        vk_dukcapil_query q;
        vk_dukcapil_credentials c;
        const char *word;
    } v[] = {
        {{"327302520585000", "A", false, 0, 0}, CRED, "16 digits"},
        {{"3273025205850001", "", false, 0, 0}, CRED, "NAMA_LGKP"},
        {{"3273025205850001", "A", false, 0, 'X'}, CRED, "L nor P"},
        {{"3273025205850001", "A", false, 0, 0}, {"u", NULL, "ip", 80}, "PASSWORD"},
        {{"3273025205850001", "A", false, 0, 0}, {"u", "s3cret", "ip", 101}, "TRESHOLD"},
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        vk_buf body = VK_BUF_INIT;
        char err[128] = "";
        assert_int_equal(-1, vk_dukcapil_request_json(&v[i].q, &v[i].c, &body, err, sizeof err));
        if (!strstr(err, v[i].word))
            fail_msg("case %zu: \"%s\" lacks \"%s\"", i, err, v[i].word);
        assert_null(strstr(err, "s3cret"));
        assert_int_equal(0, body.len);
        vk_buf_free(&body);
    }
}

static vk_dukcapil_outcome parse(const char *json, vk_dukcapil_result *r, char *err,
                                 size_t errlen) {
    return vk_dukcapil_parse(json, strlen(json), r, err, errlen);
}

static void reads_the_documented_answer(void **state) {
    (void)state;
    vk_dukcapil_result r;
    char err[160];
    assert_int_equal(VK_DUKCAPIL_FOUND,
                     parse("{\"content\":[{\"NIK\":\"Sesuai\",\"NAMA_LGKP\":\"Sesuai (100)\","
                           "\"TGL_LHR\":\"Tidak Sesuai (40)\",\"JENIS_KLMIN\":\"Sesuai\"}]}",
                           &r, err, sizeof err));
    assert_true(r.name.present && r.name.match);
    assert_int_equal(100, r.name.score);
    assert_true(r.birth_date.present);
    assert_false(r.birth_date.match);
    assert_int_equal(40, r.birth_date.score);
    assert_true(r.sex.present && r.sex.match);
    assert_int_equal(-1, r.sex.score);
}

/* The tolerance promised in the header, one variant per row. */
static void tolerates_variants(void **state) {
    (void)state;
    struct {
        const char *json;
        bool match;
        int score;
    } v[] = {
        {"{\"content\":[{\"NAMA_LGKP\":\"SESUAI\"}]}", true, -1},
        {"{\"content\":[{\"NAMA_LGKP\":\"sesuai(97)\"}]}", true, 97},
        {"{\"content\":[{\"NAMA_LGKP\":\"  Tidak   Sesuai  ( 12 ) \"}]}", false, 12},
        {"{\"content\":[{\"NAMA_LGKP\":\"TIDAK SESUAI\"}]}", false, -1},
        {"{\"content\":[{\"NAMA_LGKP\":\"Sesuai (99.6)\"}]}", true, 100},
        {"{\"content\":{\"nama_lgkp\":\"Sesuai (0)\"}}", true, 0}, /* object, lower-case key */
        {"{\"Content\":[{\"NAMA_LGKP\":\"Sesuai\",\"ALAMAT\":\"Sesuai (88)\",\"X\":1}],"
         "\"lastPage\":true}",
         true, -1}, /* unknown elements and fields ignored */
        {"{\"content\":[{\"NAMA_LGKP\":\"Sesuai\"},{\"NAMA_LGKP\":\"Tidak Sesuai\"}]}", true, -1},
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        vk_dukcapil_result r;
        char err[160] = "";
        if (parse(v[i].json, &r, err, sizeof err) != VK_DUKCAPIL_FOUND)
            fail_msg("%s: %s", v[i].json, err);
        assert_true(r.name.present);
        assert_int_equal(v[i].match, r.name.match);
        assert_int_equal(v[i].score, r.name.score);
        assert_false(r.birth_date.present);
        assert_false(r.sex.present);
    }
}

static void respon_not_found_is_not_found_with_message(void **state) {
    (void)state;
    vk_dukcapil_result r;
    char err[160];
    assert_int_equal(
        VK_DUKCAPIL_NOT_FOUND,
        parse("{\"content\":[{\"RESPON\":\"Data Tidak Ditemukan\"}]}", &r, err, sizeof err));
    assert_string_equal("Data Tidak Ditemukan", r.message);
    assert_false(r.name.present);
    assert_int_equal(VK_DUKCAPIL_NOT_FOUND,
                     parse("{\"content\":{\"respon\":\"NIK not found\"}}", &r, err, sizeof err));
}

/* Any other RESPON is not an answer about the person: an error (retried), never NOT_FOUND. */
static void other_respon_is_an_error(void **state) {
    (void)state;
    vk_dukcapil_result r;
    char err[160];
    assert_int_equal(VK_DUKCAPIL_ERROR,
                     parse("{\"content\":[{\"RESPON\":\"Kuota akses hari ini telah habis\"}]}", &r,
                           err, sizeof err));
    assert_string_equal("Dukcapil answered: Kuota akses hari ini telah habis", err);
    assert_string_equal("", r.message);
}

static void garbage_is_refused_by_name(void **state) {
    (void)state;
    struct {
        const char *json, *word;
    } v[] = {
        {"", "not JSON"},
        {"<html>502 Bad Gateway</html>", "not JSON"},
        {"[1,2]", "no \"content\""},
        {"{\"data\":[]}", "no \"content\""},
        {"{\"content\":[]}", "empty"},
        {"{\"content\":[\"Sesuai\"]}", "not an object"},
        {"{\"content\":\"x\"}", "not an object"},
        {"{\"content\":[{}]}", "neither elements nor RESPON"},
        {"{\"content\":[{\"NAMA_LGKP\":\"Cocok\"}]}", "NAMA_LGKP is neither"},
        {"{\"content\":[{\"TGL_LHR\":\"Sesuaikan\"}]}", "TGL_LHR is neither"},
        {"{\"content\":[{\"TGL_LHR\":\"Tidaksesuai\"}]}", "TGL_LHR is neither"},
        {"{\"content\":[{\"TGL_LHR\":100}]}", "TGL_LHR is not a string"},
        {"{\"content\":[{\"JENIS_KLMIN\":\"Sesuai (101)\"}]}", "JENIS_KLMIN score"},
        {"{\"content\":[{\"JENIS_KLMIN\":\"Sesuai (abc)\"}]}", "JENIS_KLMIN score"},
        {"{\"content\":[{\"JENIS_KLMIN\":\"Sesuai (50\"}]}", "JENIS_KLMIN score"},
        {"{\"content\":[{\"JENIS_KLMIN\":\"Sesuai (50) ok\"}]}", "unexpected text"},
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        vk_dukcapil_result r;
        char err[160] = "";
        assert_int_equal(VK_DUKCAPIL_ERROR, parse(v[i].json, &r, err, sizeof err));
        if (!strstr(err, v[i].word))
            fail_msg("%s: error \"%s\" lacks \"%s\"", v[i].json, err, v[i].word);
        assert_false(r.name.present || r.birth_date.present || r.sex.present);
    }
    vk_dukcapil_result r;
    char err[160];
    assert_int_equal(VK_DUKCAPIL_ERROR, vk_dukcapil_parse(NULL, 0, &r, err, sizeof err));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(request_has_every_element_in_order),
        cmocka_unit_test(request_leaves_out_unasked_elements),
        cmocka_unit_test(request_refuses_bad_input_without_echoing_credentials),
        cmocka_unit_test(reads_the_documented_answer),
        cmocka_unit_test(tolerates_variants),
        cmocka_unit_test(respon_not_found_is_not_found_with_message),
        cmocka_unit_test(other_respon_is_an_error),
        cmocka_unit_test(garbage_is_refused_by_name),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
