/*
 * vk_bpjs_response.c — reads a BPJS Kesehatan response: the metaData envelope, then for code
 * 200 the encrypted, LZ-String-compressed participant (see vk_bpjs.h for the protocol).
 *
 * Tolerance is where BPJS services are known to differ, precision everywhere else:
 *   - "metaData" and "metadata" both occur across BPJS services, and "code" is sometimes a
 *     number: both are accepted;
 *   - extra fields are ignored, and a participant field that is absent, null or "" is simply
 *     not known (the evidence then says nothing about it);
 *   - a field that is present but malformed is an error naming the field and the reason (never
 *     the value: these are personal data), because guessing would become evidence;
 *   - metaData.message is human text from the source and is truncated to fit, never refused.
 * Not found is "201" or "404", or any code whose message contains "tidak ditemukan" (the
 * services word it "Peserta tidak ditemukan", "Data tidak ditemukan"); any other non-200
 * code is an error the caller retries.
 */
#include "vk_bpjs.h"

#include "vk_err.h"
#include "vk_lzstring.h"
#include "vk_time.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

/* The value of @p key in @p obj, the key compared without regard to case. */
static json_t *get_nocase(json_t *obj, const char *key) {
    const char *k;
    json_t *v;
    json_object_foreach(obj, k, v) {
        if (strcasecmp(k, key) == 0)
            return v;
    }
    return NULL;
}

/* A string or integer JSON value as text into @p dst; absent/null gives "". */
static int scalar_text(json_t *v, char *dst, size_t cap, bool truncate, const char *what, char *err,
                       size_t errlen) {
    dst[0] = '\0';
    if (!v || json_is_null(v))
        return 0;
    if (json_is_integer(v)) {
        int n = snprintf(dst, cap, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        if (n >= (int)cap && !truncate)
            return vk_errf(err, errlen, "%s is %d digits, longer than %zu", what, n, cap - 1);
        return 0;
    }
    if (!json_is_string(v))
        return vk_errf(err, errlen, "%s is not a string", what);
    size_t n = json_string_length(v);
    if (n >= cap && !truncate)
        return vk_errf(err, errlen, "%s is %zu bytes, longer than %zu", what, n, cap - 1);
    snprintf(dst, cap, "%s", json_string_value(v));
    return 0;
}

static int read_meta(json_t *root, vk_bpjs_response *out, char *err, size_t errlen) {
    json_t *meta = get_nocase(root, "metaData");
    if (!json_is_object(meta))
        return vk_errf(err, errlen, "BPJS response has no metaData object");
    json_t *code = get_nocase(meta, "code");
    if (!code || json_is_null(code))
        return vk_errf(err, errlen, "BPJS response has no metaData.code");
    if (scalar_text(code, out->code, sizeof out->code, false, "metaData.code", err, errlen))
        return -1;
    return scalar_text(get_nocase(meta, "message"), out->message, sizeof out->message, true,
                       "metaData.message", err, errlen);
}

static bool is_not_found(const vk_bpjs_response *r) {
    char lower[sizeof r->message];
    size_t i = 0;
    for (; r->message[i]; i++)
        lower[i] = (char)tolower((unsigned char)r->message[i]);
    lower[i] = '\0';
    return strcmp(r->code, "201") == 0 || strcmp(r->code, "404") == 0 ||
           strstr(lower, "tidak ditemukan") != NULL;
}

static int read_sex(json_t *v, char *sex, char *err, size_t errlen) {
    char s[4];
    if (scalar_text(v, s, sizeof s, false, "peserta.sex", err, errlen))
        return -1;
    if (s[0] && (s[1] || !strchr("LPlp", s[0])))
        return vk_errf(err, errlen, "peserta.sex is neither L nor P");
    *sex = (char)(s[0] == 'l' ? 'L' : s[0] == 'p' ? 'P' : s[0]);
    return 0;
}

static int read_participant(json_t *p, vk_bpjs_participant *out, char *err, size_t errlen) {
    char date[16];
    if (scalar_text(json_object_get(p, "nik"), out->nik, sizeof out->nik, false, "peserta.nik", err,
                    errlen) ||
        scalar_text(json_object_get(p, "nama"), out->name, sizeof out->name, false, "peserta.nama",
                    err, errlen) ||
        scalar_text(json_object_get(p, "noKartu"), out->card_no, sizeof out->card_no, false,
                    "peserta.noKartu", err, errlen) ||
        read_sex(json_object_get(p, "sex"), &out->sex, err, errlen) ||
        scalar_text(json_object_get(p, "tglLahir"), date, sizeof date, false, "peserta.tglLahir",
                    err, errlen))
        return -1;
    if (out->nik[0] && strspn(out->nik, "0123456789") != 16)
        return vk_errf(err, errlen, "peserta.nik is not 16 digits");
    if (date[0]) {
        if (vk_date_parse(date, &out->birth_date))
            return vk_errf(err, errlen, "peserta.tglLahir is not a yyyy-MM-dd date");
        out->has_birth_date = true;
    }
    json_t *st = json_object_get(p, "statusPeserta");
    if (st && !json_is_null(st) && !json_is_object(st))
        return vk_errf(err, errlen, "peserta.statusPeserta is not an object");
    return scalar_text(json_object_get(st, "kode"), out->status_code, sizeof out->status_code,
                       false, "peserta.statusPeserta.kode", err, errlen) ||
                   scalar_text(json_object_get(st, "keterangan"), out->status_text,
                               sizeof out->status_text, false, "peserta.statusPeserta.keterangan",
                               err, errlen)
               ? -1
               : 0;
}

/* The decrypted, decompressed JSON text → the participant. */
static int parse_plain_json(const vk_buf *text, vk_bpjs_participant *out, char *err,
                            size_t errlen) {
    json_error_t je;
    json_t *root = json_loadb((const char *)text->data, text->len, 0, &je);
    if (!root)
        return vk_errf(err, errlen, "decrypted response is not JSON: %s (line %d, column %d)",
                       je.text, je.line, je.column);
    json_t *p = json_is_object(root) ? json_object_get(root, "peserta") : NULL;
    int rc = json_is_object(p) ? read_participant(p, out, err, errlen)
                               : vk_errf(err, errlen, "decrypted response has no peserta object");
    json_decref(root);
    return rc;
}

/* "response" (ciphertext) → decrypt → LZ-String → JSON → out. */
static int read_found(json_t *root, const char *cons_id, const char *secret, int64_t ts,
                      vk_bpjs_participant *out, char *err, size_t errlen) {
    json_t *resp = get_nocase(root, "response");
    if (!json_is_string(resp))
        return vk_errf(err, errlen, "BPJS code 200 without a ciphertext string in \"response\"");
    vk_buf compressed = VK_BUF_INIT, text = VK_BUF_INIT;
    char sub[200];
    int rc = -1;
    if (vk_bpjs_decrypt(json_string_value(resp), cons_id, secret, ts, &compressed, err, errlen))
        goto done;
    if (vk_lzstring_decompress_uri((const char *)compressed.data, compressed.len, &text, sub,
                                   sizeof sub)) {
        vk_errf(err, errlen, "decrypted response is not LZ-String: %s", sub);
        goto done;
    }
    rc = parse_plain_json(&text, out, err, errlen);
done:
    vk_buf_free(&compressed);
    vk_buf_free(&text);
    return rc;
}

vk_bpjs_outcome vk_bpjs_parse_response(const char *json_text, size_t len, const char *cons_id,
                                       const char *secret, int64_t timestamp_s,
                                       vk_bpjs_response *out, char *err, size_t errlen) {
    memset(out, 0, sizeof *out);
    json_error_t je;
    json_t *root = json_text ? json_loadb(json_text, len, 0, &je) : NULL;
    if (!root)
        return vk_errf(err, errlen, "BPJS response is not JSON: %s (line %d, column %d)",
                       json_text ? je.text : "no body", json_text ? je.line : 0,
                       json_text ? je.column : 0);
    vk_bpjs_outcome rc = VK_BPJS_ERROR;
    if (!json_is_object(root))
        vk_errf(err, errlen, "BPJS response is not a JSON object");
    else if (read_meta(root, out, err, errlen) == 0) {
        if (strcmp(out->code, "200") == 0)
            rc = read_found(root, cons_id, secret, timestamp_s, &out->participant, err, errlen)
                     ? VK_BPJS_ERROR
                     : VK_BPJS_FOUND;
        else if (is_not_found(out))
            rc = VK_BPJS_NOT_FOUND;
        else
            vk_errf(err, errlen, "BPJS answered code %s: %s", out->code,
                    out->message[0] ? out->message : "(no message)");
    }
    json_decref(root);
    if (rc == VK_BPJS_ERROR)
        memset(&out->participant, 0, sizeof out->participant);
    return rc;
}
