/*
 * test_bpjs.c — the request side and the cipher of the BPJS protocol (lib/gov/vk_bpjs.c):
 * signature, header lines, URL, key derivation, AES-256-CBC. Expected values were computed
 * outside this code (Python's hmac/hashlib, the openssl command line); each command is next to
 * its value. The response envelope is tested in test_bpjs_response.c.
 */
#include "vk_bpjs.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#define CONS   "1000"
#define SECRET "7789"
#define TS     1612224000 /* 2021-02-02T00:00:00Z */

static void signature_matches_python(void **state) {
    (void)state;
    char sig[VK_BPJS_SIGNATURE_LEN + 1], err[128];
    /* /usr/bin/python3 -c 'import hmac,hashlib,base64;print(base64.b64encode(hmac.new(
     *     b"7789",b"1000&1612224000",hashlib.sha256).digest()).decode())' */
    assert_int_equal(0, vk_bpjs_signature(CONS, SECRET, TS, sig, err, sizeof err));
    assert_string_equal("vOT4JcRXWkV1SN/1LiGfZ2I0G0eWTbcMI+Ch4UBccsA=", sig);
    /* same with b"rahasia-konsumen", b"29876&1" */
    assert_int_equal(0, vk_bpjs_signature("29876", "rahasia-konsumen", 1, sig, err, sizeof err));
    assert_string_equal("LkJdtHjMSdneHsxA6KnPf+D1InnkQ582tzcyann1PVE=", sig);
}

static void headers_are_four_curl_lines(void **state) {
    (void)state;
    vk_bpjs_header_lines h;
    char err[128];
    assert_int_equal(0, vk_bpjs_headers(CONS, SECRET, "uk-123", TS, &h, err, sizeof err));
    assert_string_equal("X-cons-id: 1000", h.cons_id);
    assert_string_equal("X-timestamp: 1612224000", h.timestamp);
    assert_string_equal("X-signature: vOT4JcRXWkV1SN/1LiGfZ2I0G0eWTbcMI+Ch4UBccsA=", h.signature);
    assert_string_equal("user_key: uk-123", h.user_key);
}

static void headers_refuse_injection_without_echoing_the_value(void **state) {
    (void)state;
    vk_bpjs_header_lines h;
    char err[128], longkey[400];
    assert_int_equal(-1, vk_bpjs_headers(CONS, SECRET, "k\r\nX-Evil: 1", TS, &h, err, sizeof err));
    assert_non_null(strstr(err, "user_key"));
    assert_null(strstr(err, "Evil"));
    assert_string_equal("", h.cons_id); /* nothing half-built is left behind */
    assert_int_equal(-1, vk_bpjs_headers("", SECRET, "k", TS, &h, err, sizeof err));
    assert_non_null(strstr(err, "X-cons-id"));
    assert_int_equal(-1, vk_bpjs_headers(CONS, "", "k", TS, &h, err, sizeof err));
    assert_non_null(strstr(err, "secret"));
    memset(longkey, 'a', sizeof longkey - 1);
    longkey[sizeof longkey - 1] = '\0';
    assert_int_equal(-1, vk_bpjs_headers(CONS, SECRET, longkey, TS, &h, err, sizeof err));
    assert_non_null(strstr(err, "too long"));
}

static void participant_url(void **state) {
    (void)state;
    vk_buf url = VK_BUF_INIT;
    char err[128];
    /* 18660 = 2021-02-02 */
    assert_int_equal(0, vk_bpjs_participant_url("https://bpjs.example/vclaim-rest/",
                                                "3273025205850001", 18660, &url, err, sizeof err));
    assert_int_equal(0, vk_buf_append(&url, "", 1));
    assert_string_equal(
        "https://bpjs.example/vclaim-rest/Peserta/nik/3273025205850001/tglSEP/2021-02-02",
        (char *)url.data);
    vk_buf_reset(&url);
    assert_int_equal(
        -1, vk_bpjs_participant_url("https://b", "3273/../../x", 18660, &url, err, sizeof err));
    assert_non_null(strstr(err, "16 digits"));
    assert_int_equal(0, url.len);
    vk_buf_free(&url);
}

static void key_derivation_matches_python(void **state) {
    (void)state;
    uint8_t key[32], iv[16];
    char hex[65];
    /* /usr/bin/python3 -c 'import hashlib;print(hashlib.sha256(b"100077891612224000").hexdigest())'
     */
    const char *expected = "cedeae1b96882dc779fde4b7840bbd923ee9af247b9bd5d0d5d3d649b9877030";
    assert_int_equal(0, vk_bpjs_derive_key(CONS, SECRET, TS, key, iv));
    for (int i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", key[i]);
    assert_string_equal(expected, hex);
    assert_memory_equal(key, iv, 16);
}

/* Made with K=$(python3 -c 'import hashlib;print(hashlib.sha256(b"100077891612224000")
 * .hexdigest())'); printf '%s' '<plain>' | openssl enc -aes-256-cbc -K $K -iv ${K:0:32}
 * -base64 -A */
static void decrypts_openssl_ciphertext(void **state) {
    (void)state;
    struct {
        const char *b64, *plain;
    } v[] = {
        {"HPR0pO2my0zMDkODyhInkg==", "N4IgLgpgHgDiBcA"},
        {"02jyofDZYCbPyXvgd8Lakp513tnM6LqOi+Tz0SPut6TXBw+CnYoDx8KStJ+BkY3c",
         "Peserta JKN: SITI NURHALIZA, lahir 1985-05-12."},
        /* line breaks, as `openssl enc -base64` without -A writes them, are skipped */
        {"02jyofDZYCbPyXvgd8Lakp513tnM6LqOi+Tz0SPut6TX\nBw+CnYoDx8KStJ+BkY3c\n",
         "Peserta JKN: SITI NURHALIZA, lahir 1985-05-12."},
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        vk_buf plain = VK_BUF_INIT;
        char err[160];
        assert_int_equal(0, vk_bpjs_decrypt(v[i].b64, CONS, SECRET, TS, &plain, err, sizeof err));
        assert_int_equal(strlen(v[i].plain), plain.len);
        assert_string_equal(v[i].plain, (char *)plain.data); /* NUL-terminated */
        vk_buf_free(&plain);
    }
}

static void encrypt_decrypt_round_trip(void **state) {
    (void)state;
    const char *text = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+-$";
    for (size_t len = 0; len <= strlen(text); len++) { /* every padding length 1..16 */
        vk_buf ct = VK_BUF_INIT, plain = VK_BUF_INIT;
        char err[160];
        assert_int_equal(0, vk_bpjs_encrypt(text, len, CONS, SECRET, TS, &ct, err, sizeof err));
        assert_int_equal((len / 16 + 1) * 16 / 3 * 4 + ((len / 16 + 1) * 16 % 3 ? 4 : 0), ct.len);
        assert_int_equal(
            0, vk_bpjs_decrypt((char *)ct.data, CONS, SECRET, TS, &plain, err, sizeof err));
        assert_int_equal(len, plain.len);
        if (len)
            assert_memory_equal(text, plain.data, len);
        vk_buf_free(&ct);
        vk_buf_free(&plain);
    }
}

/* Appending: decrypt adds to what the buffer holds; a failure leaves it untouched. */
static void decrypt_appends_and_fails_cleanly(void **state) {
    (void)state;
    vk_buf plain = VK_BUF_INIT;
    char err[160];
    assert_int_equal(0, vk_buf_append_str(&plain, "x:"));
    assert_int_equal(
        0, vk_bpjs_decrypt("HPR0pO2my0zMDkODyhInkg==", CONS, SECRET, TS, &plain, err, sizeof err));
    assert_string_equal("x:N4IgLgpgHgDiBcA", (char *)plain.data);
    size_t before = plain.len;
    assert_int_equal(-1, vk_bpjs_decrypt("HPR0pO2my0zMDkODyhInkg==", CONS, "wrong", TS, &plain, err,
                                         sizeof err));
    assert_int_equal(before, plain.len);
    vk_buf_free(&plain);
}

/* A wrong key must be an error, never garbage: padding alone lets about one wrong key in 256
 * through, so 1000 wrong timestamps would all but surely catch a decrypt that relied on it. */
static void wrong_key_is_an_error_not_garbage(void **state) {
    (void)state;
    vk_buf ct = VK_BUF_INIT, plain = VK_BUF_INIT;
    char err[160];
    const char *text = "N4IgLgpgHgDiBcA";
    assert_int_equal(0,
                     vk_bpjs_encrypt(text, strlen(text), CONS, SECRET, TS, &ct, err, sizeof err));
    for (int64_t ts = TS + 1; ts <= TS + 1000; ts++) {
        err[0] = '\0';
        assert_int_equal(
            -1, vk_bpjs_decrypt((char *)ct.data, CONS, SECRET, ts, &plain, err, sizeof err));
        assert_int_equal(0, plain.len);
        assert_non_null(strstr(err, "wrong cons id, secret or timestamp"));
    }
    assert_int_equal(-1,
                     vk_bpjs_decrypt((char *)ct.data, "1001", SECRET, TS, &plain, err, sizeof err));
    vk_buf_free(&ct);
    vk_buf_free(&plain);
}

static void malformed_ciphertext_is_named(void **state) {
    (void)state;
    struct {
        const char *b64, *word;
    } v[] = {
        {"", "base64"},
        {"not base64!", "base64"},
        {"HPR0pO2my0zMDkODyhInk", "base64"},    /* length not a multiple of 4 */
        {"HPR0=O2my0zMDkODyhInkg==", "base64"}, /* '=' inside */
        {"AAAAAAAAAAAAAAAAAAAAAAAAAAA=", "not a multiple of the 16-byte AES block"}, /* 20 bytes */
        {"AAAAAAAAAAAAAAAAAAAAAA==", "wrong cons id"}, /* one block of zeros */
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        vk_buf plain = VK_BUF_INIT;
        char err[160] = "";
        assert_int_equal(-1, vk_bpjs_decrypt(v[i].b64, CONS, SECRET, TS, &plain, err, sizeof err));
        if (!strstr(err, v[i].word))
            fail_msg("\"%s\": error \"%s\" lacks \"%s\"", v[i].b64, err, v[i].word);
        assert_int_equal(0, plain.len);
        vk_buf_free(&plain);
    }
}

static void encrypt_refuses_non_ascii(void **state) {
    (void)state;
    vk_buf ct = VK_BUF_INIT;
    char err[160];
    assert_int_equal(-1, vk_bpjs_encrypt("D\xc3\xa9wi", 5, CONS, SECRET, TS, &ct, err, sizeof err));
    assert_non_null(strstr(err, "ASCII"));
    assert_int_equal(0, ct.len);
    vk_buf_free(&ct);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(signature_matches_python),
        cmocka_unit_test(headers_are_four_curl_lines),
        cmocka_unit_test(headers_refuse_injection_without_echoing_the_value),
        cmocka_unit_test(participant_url),
        cmocka_unit_test(key_derivation_matches_python),
        cmocka_unit_test(decrypts_openssl_ciphertext),
        cmocka_unit_test(encrypt_decrypt_round_trip),
        cmocka_unit_test(decrypt_appends_and_fails_cleanly),
        cmocka_unit_test(wrong_key_is_an_error_not_garbage),
        cmocka_unit_test(malformed_ciphertext_is_named),
        cmocka_unit_test(encrypt_refuses_non_ascii),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
