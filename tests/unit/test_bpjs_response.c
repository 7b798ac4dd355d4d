/*
 * test_bpjs_response.c — reading a BPJS Kesehatan response (lib/gov/vk_bpjs_response.c): the
 * metaData envelope (200 / not found / other codes) and, for 200, the whole chain ciphertext →
 * AES → LZ-String → participant. The 200 bodies are built here the way the stub server builds
 * them: vk_lzstring_compress_uri, then vk_bpjs_encrypt.
 */
#include "vk_bpjs.h"
#include "vk_lzstring.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#define CONS   "1000"
#define SECRET "7789"
#define TS     1612224000

static vk_bpjs_outcome parse(const char *body, vk_bpjs_response *r, char *err, size_t errlen) {
    return vk_bpjs_parse_response(body, strlen(body), CONS, SECRET, TS, r, err, errlen);
}

/* A code-200 body whose response is @p plain_json, compressed and encrypted at @p ts. */
static char *found_body(const char *plain_json, int64_t ts, vk_buf *body) {
    vk_buf lz = VK_BUF_INIT, ct = VK_BUF_INIT;
    char err[160];
    assert_int_equal(
        0, vk_lzstring_compress_uri(plain_json, strlen(plain_json), &lz, err, sizeof err));
    assert_int_equal(
        0, vk_bpjs_encrypt((char *)lz.data, lz.len, CONS, SECRET, ts, &ct, err, sizeof err));
    vk_buf_reset(body);
    assert_int_equal(0, vk_buf_printf(body,
                                      "{\"metaData\":{\"code\":\"200\",\"message\":\"OK\"},"
                                      "\"response\":\"%s\"}",
                                      (char *)ct.data));
    vk_buf_free(&lz);
    vk_buf_free(&ct);
    return (char *)body->data; /* vk_buf_printf leaves a NUL after len */
}

static const char *PESERTA =
    "{\"peserta\":{\"cob\":{\"nmAsuransi\":null},\"hakKelas\":{\"keterangan\":\"KELAS I\","
    "\"kode\":\"1\"},\"nama\":\"NI LUH PUTU AYU D\xc3\x89WI\",\"nik\":\"5171014506900002\","
    "\"noKartu\":\"0001234567890\",\"sex\":\"P\",\"tglLahir\":\"1990-06-05\","
    "\"statusPeserta\":{\"keterangan\":\"AKTIF\",\"kode\":\"0\"},\"umur\":{\"umurSaatPelayanan\":"
    "\"30 tahun\"}}}";

static void found_participant_is_decrypted_and_read(void **state) {
    (void)state;
    vk_buf body = VK_BUF_INIT;
    vk_bpjs_response r;
    char err[200] = "";
    if (parse(found_body(PESERTA, TS, &body), &r, err, sizeof err) != VK_BPJS_FOUND)
        fail_msg("%s", err);
    assert_string_equal("200", r.code);
    assert_string_equal("OK", r.message);
    assert_string_equal("5171014506900002", r.participant.nik);
    assert_string_equal("NI LUH PUTU AYU D\xc3\x89WI", r.participant.name); /* UTF-8 kept */
    assert_string_equal("0001234567890", r.participant.card_no);
    assert_int_equal('P', r.participant.sex);
    assert_true(r.participant.has_birth_date);
    assert_int_equal(7460, r.participant.birth_date); /* 1990-06-05 */
    assert_string_equal("0", r.participant.status_code);
    assert_string_equal("AKTIF", r.participant.status_text);
    vk_buf_free(&body);
}

static void absent_or_null_fields_are_unknown(void **state) {
    (void)state;
    vk_buf body = VK_BUF_INIT;
    vk_bpjs_response r;
    char err[200] = "";
    const char *sparse = "{\"peserta\":{\"nik\":\"5171014506900002\",\"nama\":\"A\","
                         "\"sex\":null,\"tglLahir\":\"\",\"statusPeserta\":null}}";
    if (parse(found_body(sparse, TS, &body), &r, err, sizeof err) != VK_BPJS_FOUND)
        fail_msg("%s", err);
    assert_int_equal(0, r.participant.sex);
    assert_false(r.participant.has_birth_date);
    assert_string_equal("", r.participant.card_no);
    assert_string_equal("", r.participant.status_text);
    vk_buf_free(&body);
}

static void malformed_participant_is_refused_by_field(void **state) {
    (void)state;
    struct {
        const char *json, *word;
    } v[] = {
        {"{\"peserta\":{\"tglLahir\":\"1990-02-30\"}}", "peserta.tglLahir"},
        {"{\"peserta\":{\"sex\":\"X\"}}", "peserta.sex"},
        {"{\"peserta\":{\"nik\":\"12345\"}}", "peserta.nik is not 16 digits"},
        {"{\"peserta\":{\"nama\":[\"A\"]}}", "peserta.nama is not a string"},
        {"{\"peserta\":{\"statusPeserta\":\"AKTIF\"}}", "statusPeserta is not an object"},
        {"{\"peserta\":{\"noKartu\":\"000123456789000012345678900001234\"}}", "peserta.noKartu"},
        {"{\"peserta\":null}", "no peserta"},
        {"[]", "no peserta"},
        {"peserta", "not JSON"},
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        vk_buf body = VK_BUF_INIT;
        vk_bpjs_response r;
        char err[200] = "";
        assert_int_equal(VK_BPJS_ERROR,
                         parse(found_body(v[i].json, TS, &body), &r, err, sizeof err));
        if (!strstr(err, v[i].word))
            fail_msg("%s: error \"%s\" lacks \"%s\"", v[i].json, err, v[i].word);
        assert_string_equal("", r.participant.nik); /* nothing half-read is left */
        vk_buf_free(&body);
    }
}

/* Encrypted under another timestamp (a response matched to the wrong request): an error. */
static void wrong_timestamp_is_an_error(void **state) {
    (void)state;
    vk_buf body = VK_BUF_INIT;
    vk_bpjs_response r;
    char err[200] = "";
    assert_int_equal(VK_BPJS_ERROR, parse(found_body(PESERTA, TS + 1, &body), &r, err, sizeof err));
    assert_non_null(strstr(err, "cannot decrypt"));
    vk_buf_free(&body);
}

static void not_found_codes_and_messages(void **state) {
    (void)state;
    struct {
        const char *body, *message;
    } v[] = {
        {"{\"metaData\":{\"code\":\"201\",\"message\":\"Peserta tidak ditemukan\"},"
         "\"response\":null}",
         "Peserta tidak ditemukan"},
        {"{\"metaData\":{\"code\":\"404\",\"message\":\"Not Found\"}}", "Not Found"},
        {"{\"metadata\":{\"code\":201,\"message\":\"x\"}}", "x"}, /* other spelling, number */
        {"{\"metaData\":{\"code\":\"202\",\"message\":\"Data Peserta TIDAK DITEMUKAN\"}}",
         "Data Peserta TIDAK DITEMUKAN"},
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        vk_bpjs_response r;
        char err[200] = "";
        if (parse(v[i].body, &r, err, sizeof err) != VK_BPJS_NOT_FOUND)
            fail_msg("%s: %s", v[i].body, err);
        assert_string_equal(v[i].message, r.message);
    }
}

static void other_codes_and_garbage_are_errors(void **state) {
    (void)state;
    struct {
        const char *body, *word;
    } v[] = {
        {"{\"metaData\":{\"code\":\"500\",\"message\":\"Internal Server Error\"}}",
         "BPJS answered code 500: Internal Server Error"},
        {"{\"metaData\":{\"code\":\"401\"}}", "BPJS answered code 401: (no message)"},
        {"{\"metaData\":{\"code\":\"200\",\"message\":\"OK\"},\"response\":{\"peserta\":{}}}",
         "without a ciphertext"},
        {"{\"metaData\":{\"code\":\"200\",\"message\":\"OK\"},\"response\":\"@@@@\"}", "base64"},
        {"{\"metaData\":{\"message\":\"OK\"}}", "no metaData.code"},
        {"{\"metaData\":{\"code\":true}}", "metaData.code is not a string"},
        {"{\"response\":\"x\"}", "no metaData object"},
        {"[]", "not a JSON object"},
        {"<html>Gateway Timeout</html>", "not JSON"},
        {"", "not JSON"},
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        vk_bpjs_response r;
        char err[200] = "";
        assert_int_equal(VK_BPJS_ERROR, parse(v[i].body, &r, err, sizeof err));
        if (!strstr(err, v[i].word))
            fail_msg("%s: error \"%s\" lacks \"%s\"", v[i].body, err, v[i].word);
    }
}

/* A ciphertext whose plaintext is not LZ-String's alphabet is named as such. */
static void plaintext_that_is_not_lzstring(void **state) {
    (void)state;
    vk_buf ct = VK_BUF_INIT, body = VK_BUF_INIT;
    vk_bpjs_response r;
    char err[200] = "";
    assert_int_equal(0, vk_bpjs_encrypt("not lz%", 7, CONS, SECRET, TS, &ct, err, sizeof err));
    assert_int_equal(0,
                     vk_buf_printf(&body, "{\"metaData\":{\"code\":\"200\"},\"response\":\"%s\"}",
                                   (char *)ct.data));
    assert_int_equal(VK_BPJS_ERROR, parse((char *)body.data, &r, err, sizeof err));
    assert_non_null(strstr(err, "not LZ-String"));
    vk_buf_free(&ct);
    vk_buf_free(&body);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(found_participant_is_decrypted_and_read),
        cmocka_unit_test(absent_or_null_fields_are_unknown),
        cmocka_unit_test(malformed_participant_is_refused_by_field),
        cmocka_unit_test(wrong_timestamp_is_an_error),
        cmocka_unit_test(not_found_codes_and_messages),
        cmocka_unit_test(other_codes_and_garbage_are_errors),
        cmocka_unit_test(plaintext_that_is_not_lzstring),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
