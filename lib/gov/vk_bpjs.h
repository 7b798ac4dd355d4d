/*
 * vk_bpjs.h — the BPJS Kesehatan web-service protocol (docs/design.md §8), as pure functions: the
 * lookup worker asks the JKN master file for a participant by NIK, and the local stub server
 * answers, with these.
 *
 * The protocol (as VClaim and PCare bridging use it):
 *   request   headers X-cons-id, X-timestamp (Unix seconds, UTC, decimal), X-signature =
 *             base64(HMAC-SHA256(key = consumer secret, msg = cons_id + "&" + timestamp)),
 *             user_key; GET {base}/Peserta/nik/{nik}/tglSEP/{yyyy-MM-dd}.
 *   response  {"metaData":{"code":"200","message":"OK"},"response":"<ciphertext>"}, where the
 *             ciphertext is base64(AES-256-CBC, PKCS#7) with key = SHA-256(cons_id + secret +
 *             timestamp) and IV = the first 16 bytes of that same hash; the plaintext is LZ-String
 *             compressToEncodedURIComponent output of {"peserta":{"nik","nama","noKartu","sex",
 *             "tglLahir","statusPeserta":{"kode","keterangan"},…}}. Any other code carries a
 *             message instead ("201" / "Peserta tidak ditemukan" when the NIK is unknown).
 *
 * The timestamp is the one the request was signed with: the response is encrypted under it,
 * so the caller keeps it for the answer. Everything here takes it as int64_t seconds and
 * formats it the one way (decimal, no sign for positive values), so the three uses (header,
 * signature, key) can never disagree.
 *
 * Trade-offs: the participant is parsed into fixed-size fields (no allocation to free); a
 * value that does not fit or does not parse is an error, never truncated or guessed, because
 * it becomes evidence. Credentials pass through these functions and into the header lines but
 * are never written anywhere else (no logging here at all); derived keys are wiped after use.
 *
 * Files: vk_bpjs.c (signature, headers, key derivation, AES) and vk_bpjs_response.c (the
 * response envelope and the participant; the only part that needs LZ-String).
 */
#ifndef VK_BPJS_H
#define VK_BPJS_H

#include "vk_buf.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** Length of X-signature: base64 of a 32-byte HMAC-SHA256, without the NUL. */
#define VK_BPJS_SIGNATURE_LEN 44

/**
 * @brief X-signature: base64(HMAC-SHA256(key = @p secret, msg = @p cons_id "&" @p timestamp_s)).
 * Writes VK_BPJS_SIGNATURE_LEN characters and a NUL into @p out. Returns 0, or -1 with @p err
 * (NULL arguments, or libcrypto failed).
 */
int vk_bpjs_signature(const char *cons_id, const char *secret, int64_t timestamp_s,
                      char out[VK_BPJS_SIGNATURE_LEN + 1], char *err, size_t errlen);

/** Room for one header line ("user_key: " and a value of up to about 240 bytes). */
#define VK_BPJS_HEADER_MAX 256

/** The four request headers, each a complete "Name: value" line for curl_slist_append().
 *  They hold credentials (user_key): never log them; the owner may wipe them after use. */
typedef struct vk_bpjs_header_lines {
    char cons_id[VK_BPJS_HEADER_MAX];   /* "X-cons-id: …" */
    char timestamp[VK_BPJS_HEADER_MAX]; /* "X-timestamp: …" */
    char signature[VK_BPJS_HEADER_MAX]; /* "X-signature: …" */
    char user_key[VK_BPJS_HEADER_MAX];  /* "user_key: …" */
} vk_bpjs_header_lines;

/**
 * @brief Builds the four header lines for a request signed at @p timestamp_s. Refuses (-1 with
 * @p err naming the header, never its value) a value that is empty, contains CR, LF or other
 * control characters (header injection), or does not fit VK_BPJS_HEADER_MAX.
 */
int vk_bpjs_headers(const char *cons_id, const char *secret, const char *user_key,
                    int64_t timestamp_s, vk_bpjs_header_lines *out, char *err, size_t errlen);

/**
 * @brief Appends "{base}/Peserta/nik/{nik}/tglSEP/{yyyy-MM-dd}" to @p url (a trailing '/' of
 * @p base is not doubled). @p nik must be 16 ASCII digits (nothing else reaches the URL);
 * @p sep_date is days since 1970-01-01. Returns 0, or -1 with @p err.
 */
int vk_bpjs_participant_url(const char *base, const char *nik, int32_t sep_date, vk_buf *url,
                            char *err, size_t errlen);

/**
 * @brief The response key and IV: SHA-256(@p cons_id @p secret @p timestamp_s) is the AES-256
 * key, its first 16 bytes the IV. The caller should OPENSSL_cleanse() them after use.
 * Returns 0, or -1 when libcrypto cannot allocate a digest context.
 */
int vk_bpjs_derive_key(const char *cons_id, const char *secret, int64_t timestamp_s,
                       uint8_t key[32], uint8_t iv[16]);

/**
 * @brief Decrypts a response: base64 (white space ignored) → AES-256-CBC with PKCS#7 padding
 * under the derived key → appended to @p plain, followed by a NUL not counted in plain->len.
 * The protocol's plaintext is LZ-String's URI alphabet, plain ASCII, so a plaintext holding
 * anything but printable ASCII is refused as well as a bad padding: a wrong key passes the
 * padding check about once in 256 tries, but practically never yields clean ASCII.
 * Returns 0, or -1 with @p err ("ciphertext is not valid base64", "ciphertext is 20 bytes, not
 * a multiple of the 16-byte AES block", "cannot decrypt: wrong cons id, secret or timestamp,
 * or corrupted ciphertext"); on failure @p plain is as it was.
 */
int vk_bpjs_decrypt(const char *ciphertext_b64, const char *cons_id, const char *secret,
                    int64_t timestamp_s, vk_buf *plain, char *err, size_t errlen);

/**
 * @brief The inverse of vk_bpjs_decrypt (for the stub server): @p len bytes of printable ASCII
 * → base64(AES-256-CBC, PKCS#7) appended to @p out_b64, followed by a NUL not counted in
 * out_b64->len. Returns 0, or -1 with @p err (non-ASCII plaintext, out of memory).
 */
int vk_bpjs_encrypt(const char *plain, size_t len, const char *cons_id, const char *secret,
                    int64_t timestamp_s, vk_buf *out_b64, char *err, size_t errlen);

/* ---- The response (vk_bpjs_response.c) ---- */

/** A JKN participant as the master file knows it. Empty strings / false flags mean the
 *  response did not carry the field. */
typedef struct vk_bpjs_participant {
    char nik[17];
    char name[256];        /* "nama", as BPJS wrote it (not normalized) */
    char card_no[32];      /* "noKartu", the JKN card number */
    char sex;              /* "sex": 'L', 'P', or 0 when absent */
    bool has_birth_date;   /* "tglLahir" present */
    int32_t birth_date;    /* days since 1970-01-01 */
    char status_code[16];  /* "statusPeserta.kode", e.g. "0" */
    char status_text[128]; /* "statusPeserta.keterangan", e.g. "AKTIF" */
} vk_bpjs_participant;

/** What a response says. metaData is kept for the evidence message. */
typedef struct vk_bpjs_response {
    char code[16];                   /* metaData.code, e.g. "200", "201" */
    char message[256];               /* metaData.message, e.g. "OK", "Peserta tidak ditemukan" */
    vk_bpjs_participant participant; /* filled when VK_BPJS_FOUND */
} vk_bpjs_response;

typedef enum vk_bpjs_outcome {
    VK_BPJS_ERROR = -1,    /* not an answer about the NIK: see err (retry, then UNAVAILABLE) */
    VK_BPJS_FOUND = 0,     /* code 200: participant decrypted and parsed */
    VK_BPJS_NOT_FOUND = 1, /* code 201 or 404, or a message containing "tidak ditemukan" */
} vk_bpjs_outcome;

/**
 * @brief Parses a response body (@p len bytes, NUL not needed) for a request signed with
 * @p cons_id, @p secret at @p timestamp_s. "metaData" (or "metadata") with "code" as a string
 * or a number is required; extra fields anywhere are ignored.
 *   - code 200: "response" is decrypted, decompressed (LZ-String) and its "peserta" parsed into
 *     out->participant → VK_BPJS_FOUND; a present field of the wrong type or form ("tglLahir"
 *     not yyyy-MM-dd, "sex" not L/P, a value too long for its field) is an error;
 *   - code 201 or 404, or a message containing "tidak ditemukan" (any case) → VK_BPJS_NOT_FOUND
 *     with out->message;
 *   - any other code → VK_BPJS_ERROR with @p err "BPJS answered code 500: <message>".
 * @p out is zeroed first and its code/message are set whenever metaData was read.
 */
vk_bpjs_outcome vk_bpjs_parse_response(const char *json_text, size_t len, const char *cons_id,
                                       const char *secret, int64_t timestamp_s,
                                       vk_bpjs_response *out, char *err, size_t errlen);

#endif
