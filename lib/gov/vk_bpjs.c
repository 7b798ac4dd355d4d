/*
 * vk_bpjs.c — the request side and the cipher of the BPJS Kesehatan protocol (see vk_bpjs.h for
 * the protocol itself).
 *
 * Everything cryptographic is libcrypto's: HMAC-SHA256 through HMAC(), SHA-256, AES-256-CBC
 * through the EVP interface (which applies and checks PKCS#7 padding), base64 through
 * EVP_EncodeBlock/EVP_DecodeBlock. EVP_DecodeBlock is a raw block decoder: it needs a length
 * that is a multiple of 4 and counts '=' padding as zero bytes, so the padding is counted
 * here and subtracted, and '=' anywhere but the last two places is refused.
 *
 * Key material (the derived key and IV) lives on the stack and is wiped with OPENSSL_cleanse
 * before returning, whatever the outcome.
 */
#include "vk_bpjs.h"

#include "vk_err.h"
#include "vk_time.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

/* The one way a timestamp is written (header, signature, key). */
static void format_timestamp(int64_t timestamp_s, char out[24]) {
    snprintf(out, 24, "%" PRId64, timestamp_s);
}

int vk_bpjs_signature(const char *cons_id, const char *secret, int64_t timestamp_s,
                      char out[VK_BPJS_SIGNATURE_LEN + 1], char *err, size_t errlen) {
    if (!cons_id || !secret)
        return vk_errf(err, errlen, "signature needs a cons id and a secret");
    char ts[24], msg[VK_BPJS_HEADER_MAX + 32];
    format_timestamp(timestamp_s, ts);
    int n = snprintf(msg, sizeof msg, "%s&%s", cons_id, ts);
    if (n < 0 || (size_t)n >= sizeof msg)
        return vk_errf(err, errlen, "cons id is too long (%zu bytes)", strlen(cons_id));
    uint8_t mac[EVP_MAX_MD_SIZE];
    unsigned int mac_len = 0;
    if (!HMAC(EVP_sha256(), secret, (int)strlen(secret), (const uint8_t *)msg, (size_t)n, mac,
              &mac_len) ||
        mac_len != 32)
        return vk_errf(err, errlen, "HMAC-SHA256 failed in libcrypto");
    EVP_EncodeBlock((unsigned char *)out, mac, 32); /* 44 characters and a NUL */
    OPENSSL_cleanse(mac, sizeof mac);
    return 0;
}

/* A header value must be non-empty printable ASCII: anything else could split the header. */
static bool header_value_ok(const char *v) {
    if (!v || !*v)
        return false;
    for (; *v; v++)
        if ((unsigned char)*v < 0x20 || (unsigned char)*v > 0x7e)
            return false;
    return true;
}

static int header_line(char line[VK_BPJS_HEADER_MAX], const char *name, const char *value,
                       char *err, size_t errlen) {
    if (!header_value_ok(value))
        return vk_errf(err, errlen, "%s is empty or holds characters other than printable ASCII",
                       name);
    int n = snprintf(line, VK_BPJS_HEADER_MAX, "%s: %s", name, value);
    if (n < 0 || n >= VK_BPJS_HEADER_MAX)
        return vk_errf(err, errlen, "%s is too long (%zu bytes)", name, strlen(value));
    return 0;
}

int vk_bpjs_headers(const char *cons_id, const char *secret, const char *user_key,
                    int64_t timestamp_s, vk_bpjs_header_lines *out, char *err, size_t errlen) {
    memset(out, 0, sizeof *out);
    if (!header_value_ok(secret))
        return vk_errf(err, errlen, "the consumer secret is empty or not printable ASCII");
    char ts[24], sig[VK_BPJS_SIGNATURE_LEN + 1] = "";
    format_timestamp(timestamp_s, ts);
    if (header_line(out->cons_id, "X-cons-id", cons_id, err, errlen) ||
        header_line(out->timestamp, "X-timestamp", ts, err, errlen) ||
        vk_bpjs_signature(cons_id, secret, timestamp_s, sig, err, errlen) ||
        header_line(out->signature, "X-signature", sig, err, errlen) ||
        header_line(out->user_key, "user_key", user_key, err, errlen)) {
        OPENSSL_cleanse(out, sizeof *out);
        return -1;
    }
    return 0;
}

int vk_bpjs_participant_url(const char *base, const char *nik, int32_t sep_date, vk_buf *url,
                            char *err, size_t errlen) {
    if (!base || !*base)
        return vk_errf(err, errlen, "no BPJS base URL");
    if (!nik || strlen(nik) != 16 || strspn(nik, "0123456789") != 16)
        return vk_errf(err, errlen, "NIK is not 16 digits");
    int y, m, d;
    vk_date_from_days(sep_date, &y, &m, &d);
    size_t blen = strlen(base);
    if (base[blen - 1] == '/')
        blen--;
    if (vk_buf_printf(url, "%.*s/Peserta/nik/%s/tglSEP/%04d-%02d-%02d", (int)blen, base, nik, y, m,
                      d))
        return vk_errf(err, errlen, "out of memory");
    return 0;
}

int vk_bpjs_derive_key(const char *cons_id, const char *secret, int64_t timestamp_s,
                       uint8_t key[32], uint8_t iv[16]) {
    char ts[24];
    format_timestamp(timestamp_s, ts);
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    unsigned int n = 0;
    int ok = c && EVP_DigestInit_ex(c, EVP_sha256(), NULL) == 1 &&
             EVP_DigestUpdate(c, cons_id, strlen(cons_id)) == 1 &&
             EVP_DigestUpdate(c, secret, strlen(secret)) == 1 &&
             EVP_DigestUpdate(c, ts, strlen(ts)) == 1 && EVP_DigestFinal_ex(c, key, &n) == 1;
    EVP_MD_CTX_free(c); /* cleanses its state */
    if (!ok || n != 32) {
        OPENSSL_cleanse(key, 32);
        return -1; /* only when libcrypto cannot allocate a digest context */
    }
    memcpy(iv, key, 16);
    return 0;
}

/* Printable ASCII plus TAB, CR, LF: the whole of what the protocol's plaintext may hold. */
static bool is_ascii_text(const uint8_t *p, size_t n) {
    for (size_t i = 0; i < n; i++)
        if ((p[i] < 0x20 && p[i] != '\t' && p[i] != '\n' && p[i] != '\r') || p[i] > 0x7e)
            return false;
    return true;
}

/* Appends a NUL after b->len without counting it. */
static int terminate(vk_buf *b) {
    if (vk_buf_reserve(b, 1))
        return -1;
    b->data[b->len] = '\0';
    return 0;
}

/* Base64 → @p raw (malloc'd, *raw_len bytes; caller frees). White space is skipped; '=' only
 * as the last one or two characters. */
static int base64_decode(const char *b64, uint8_t **raw, size_t *raw_len, char *err,
                         size_t errlen) {
    size_t n = strlen(b64);
    char *clean = malloc(n + 1);
    uint8_t *out = malloc(n / 4 * 3 + 3);
    if (!clean || !out) {
        free(clean);
        free(out);
        return vk_errf(err, errlen, "out of memory");
    }
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (b64[i] != ' ' && b64[i] != '\t' && b64[i] != '\r' && b64[i] != '\n')
            clean[k++] = b64[i];
    clean[k] = '\0';
    size_t pad = (k >= 1 && clean[k - 1] == '=') + (k >= 2 && clean[k - 2] == '=');
    int got = -1;
    if (k > 0 && k % 4 == 0 && !memchr(clean, '=', k - pad))
        got = EVP_DecodeBlock(out, (const unsigned char *)clean, (int)k);
    free(clean);
    if (got < 0 || (size_t)got < pad) {
        free(out);
        return vk_errf(err, errlen, "ciphertext is not valid base64 (%zu characters)", k);
    }
    *raw = out;
    *raw_len = (size_t)got - pad;
    return 0;
}

/* One AES-256-CBC pass (encrypt when @p enc is 1) of @p in into @p out (room for n + 16). */
static int aes_cbc(int enc, const uint8_t key[32], const uint8_t iv[16], const uint8_t *in,
                   size_t n, uint8_t *out, size_t *out_len) {
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    int l1 = 0, l2 = 0,
        ok = ctx && n <= INT32_MAX - 32 &&
             EVP_CipherInit_ex(ctx, EVP_aes_256_cbc(), NULL, key, iv, enc) == 1 &&
             EVP_CipherUpdate(ctx, out, &l1, in, (int)n) == 1 &&
             EVP_CipherFinal_ex(ctx, out + l1, &l2) == 1;
    EVP_CIPHER_CTX_free(ctx);
    *out_len = ok ? (size_t)l1 + (size_t)l2 : 0;
    return ok ? 0 : -1;
}

int vk_bpjs_decrypt(const char *ciphertext_b64, const char *cons_id, const char *secret,
                    int64_t timestamp_s, vk_buf *plain, char *err, size_t errlen) {
    if (!ciphertext_b64 || !cons_id || !secret)
        return vk_errf(err, errlen, "decrypt needs a ciphertext, a cons id and a secret");
    uint8_t *raw = NULL;
    size_t raw_len = 0;
    if (base64_decode(ciphertext_b64, &raw, &raw_len, err, errlen))
        return -1;
    if (raw_len == 0 || raw_len % 16 != 0) {
        free(raw);
        return vk_errf(err, errlen,
                       "ciphertext is %zu bytes, not a multiple of the 16-byte AES block", raw_len);
    }
    if (vk_buf_reserve(plain, raw_len + 17)) {
        free(raw);
        return vk_errf(err, errlen, "out of memory");
    }
    uint8_t key[32], iv[16];
    uint8_t *dst = plain->data + plain->len;
    size_t got = 0;
    int rc = vk_bpjs_derive_key(cons_id, secret, timestamp_s, key, iv) ||
             aes_cbc(0, key, iv, raw, raw_len, dst, &got);
    OPENSSL_cleanse(key, sizeof key);
    OPENSSL_cleanse(iv, sizeof iv);
    free(raw);
    if (rc || !is_ascii_text(dst, got)) {
        OPENSSL_cleanse(dst, raw_len);
        return vk_errf(err, errlen,
                       "cannot decrypt: wrong cons id, secret or timestamp, or "
                       "corrupted ciphertext");
    }
    plain->len += got;
    plain->data[plain->len] = '\0';
    return 0;
}

int vk_bpjs_encrypt(const char *plain, size_t len, const char *cons_id, const char *secret,
                    int64_t timestamp_s, vk_buf *out_b64, char *err, size_t errlen) {
    if (!plain || !cons_id || !secret)
        return vk_errf(err, errlen, "encrypt needs a plaintext, a cons id and a secret");
    if (!is_ascii_text((const uint8_t *)plain, len))
        return vk_errf(err, errlen, "plaintext is not printable ASCII");
    uint8_t *ct = malloc(len + 16);
    if (!ct)
        return vk_errf(err, errlen, "out of memory");
    uint8_t key[32], iv[16];
    size_t ct_len = 0;
    int rc = vk_bpjs_derive_key(cons_id, secret, timestamp_s, key, iv) ||
             aes_cbc(1, key, iv, (const uint8_t *)plain, len, ct, &ct_len);
    OPENSSL_cleanse(key, sizeof key);
    OPENSSL_cleanse(iv, sizeof iv);
    size_t b64_len = (ct_len + 2) / 3 * 4;
    if (rc == 0 && vk_buf_reserve(out_b64, b64_len + 1) == 0) {
        int n = EVP_EncodeBlock(out_b64->data + out_b64->len, ct, (int)ct_len);
        out_b64->len += (size_t)n;
        free(ct);
        return terminate(out_b64) ? vk_errf(err, errlen, "out of memory") : 0;
    }
    free(ct);
    return vk_errf(err, errlen, rc ? "AES-256-CBC failed in libcrypto" : "out of memory");
}
