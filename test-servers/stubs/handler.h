/*
 * handler.h — what the stub servers answer, as pure functions (no HTTP, no clock, no
 * randomness): the master file of people, the BPJS Kesehatan and Dukcapil protocols (docs/design.md
 * §8), the injected-fault bodies, and the /_control and /_stats documents.
 *
 * main.c owns the HTTP side (libmicrohttpd), the delays and the dice; everything a test may want
 * to check byte for byte is here, so tests/unit/test_stubs_handler.c runs the answers through the
 * very readers the lookup worker uses (vk_bpjs_parse_response, vk_dukcapil_parse) without a
 * socket.
 *
 * The stubs are strict where the real services are strict and more: a request the lookup worker
 * should never send (a NIK that is not 16 digits, a date in the wrong form, an unknown sex word)
 * is refused with a message saying why, so a client bug shows up in a test instead of being
 * answered kindly.
 */
#ifndef VK_STUBS_HANDLER_H
#define VK_STUBS_HANDLER_H

#include "vk_buf.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- The master file ---- */

/** One person as both sources know them. */
typedef struct stub_person {
    char nik[17];
    char name[256];      /* as written in the file: BPJS "nama" */
    char name_norm[128]; /* vk_name_normalize(name): what Dukcapil compares */
    int32_t birth_date;  /* days since 1970-01-01 */
    char sex;            /* 'L' or 'P' */
    char card_no[32];    /* JKN card number, may be empty */
    unsigned long line;  /* line of the file it came from, for error messages */
} stub_person;

typedef struct stub_people stub_people;

/** @brief An empty master file. NULL when out of memory. */
stub_people *stub_people_new(void);
void stub_people_destroy(stub_people *p);

/**
 * @brief Replaces the contents of @p p with CSV text (@p len bytes) with the header
 * `nik,name,birth_date,sex,card_no` (any order, any case; card_no may be left out; other columns
 * are ignored). Every row must have a 16-digit NIK, a name vk_name_normalize accepts, birth_date
 * as yyyy-mm-dd, sex L or P and a card_no of at most 31 printable characters; a NIK may appear
 * once. Returns 0, or -1 with @p err naming the line ("people file line 4: birth_date is not a
 * valid yyyy-mm-dd date"); on failure @p p holds no people.
 */
int stub_people_parse_csv(stub_people *p, const char *text, size_t len, char *err, size_t errlen);

/**
 * @brief stub_people_parse_csv on a file, read in chunks. Returns 0, 1 when the file does not
 * exist (@p p stays empty: every NIK is unknown), or -1 with @p err.
 */
int stub_people_load_file(stub_people *p, const char *path, char *err, size_t errlen);

size_t stub_people_count(const stub_people *p);
/** @brief The person with this NIK, or NULL. */
const stub_person *stub_people_find(const stub_people *p, const char *nik);

/* ---- Answers ---- */

/** What an answer was, for /_stats and the request log. */
typedef enum stub_outcome {
    STUB_FOUND = 0,
    STUB_NOT_FOUND,
    STUB_REFUSED_AUTH, /* a credential check failed */
    STUB_BAD_REQUEST,  /* malformed request, wrong method or path */
    STUB_FAILED,       /* an injected fault (500, 503) or an internal error */
} stub_outcome;

/** @brief "found", "not_found", "refused_auth", "bad_request", "failed". */
const char *stub_outcome_name(stub_outcome o);

typedef struct stub_answer {
    int status; /* HTTP status */
    stub_outcome outcome;
    vk_buf body;    /* JSON, followed by a NUL not counted in body.len */
    char note[160]; /* why, for the request log: never a credential, NIKs allowed (vk_log masks) */
} stub_answer;

/** @brief Frees the body; the answer can be reused. */
void stub_answer_free(stub_answer *a);

typedef enum stub_protocol { STUB_BPJS = 0, STUB_DUKCAPIL = 1 } stub_protocol;

/** @brief "bpjs" or "dukcapil" (any case). Returns 0, or -1. */
int stub_protocol_parse(const char *s, stub_protocol *out);
const char *stub_protocol_name(stub_protocol p);

/**
 * @brief The body of an injected fault in the protocol's error form: status 500 → "Internal
 * Server Error", 503 → "Service Unavailable" (BPJS: {"metaData":{"code":"<status>","message":
 * …},"response":null}; Dukcapil: {"content":[{"RESPON":…}]}). outcome is STUB_FAILED.
 */
void stub_fault_answer(stub_protocol proto, int status, stub_answer *out);

/**
 * @brief Any other error in the protocol's error form: BPJS {"metaData":{"code":"<status>",
 * "message":@p message},"response":null}, Dukcapil {"content":[{"RESPON":@p message}]}, with
 * HTTP @p status (e.g. 413 for a body too large).
 */
void stub_error_answer(stub_protocol proto, int status, stub_outcome outcome, const char *message,
                       stub_answer *out);

/* ---- BPJS Kesehatan ---- */

/** How far X-timestamp may be from the stub's clock, in seconds. */
#define STUB_BPJS_TIMESTAMP_WINDOW 300

typedef struct stub_bpjs_credentials {
    const char *cons_id;
    const char *secret;
    const char *user_key;
} stub_bpjs_credentials;

/** One request: method, path (no query string) and the four headers (NULL when absent). */
typedef struct stub_bpjs_request {
    const char *method;
    const char *path;
    const char *cons_id;   /* X-cons-id */
    const char *timestamp; /* X-timestamp */
    const char *signature; /* X-signature */
    const char *user_key;  /* user_key */
} stub_bpjs_request;

/**
 * @brief Answers `GET [prefix]/Peserta/nik/{nik}/tglSEP/{yyyy-MM-dd}` at @p now (Unix seconds).
 *  - another path: HTTP 404, metaData code "400" (not "404", which the protocol reads as "not
 *    found": a wrong base URL must never pass for an unknown participant); another method: 405;
 *  - a failed check, in this order: X-cons-id, X-timestamp (canonical decimal, within
 *    STUB_BPJS_TIMESTAMP_WINDOW of @p now), X-signature (constant time), user_key (constant
 *    time): HTTP 200, code "401" with the failed check as message;
 *  - NIK not 16 digits or tglSEP not a yyyy-MM-dd date: HTTP 200, code "400";
 *  - unknown NIK: HTTP 200, code "201", "Peserta tidak ditemukan";
 *  - known NIK: HTTP 200, code "200", response = vk_bpjs_encrypt(LZ-String URI compression of
 *    {"peserta":{…}}) under the request's timestamp.
 */
void stub_bpjs_answer(const stub_people *people, const stub_bpjs_credentials *cred,
                      const stub_bpjs_request *req, int64_t now, stub_answer *out);

/* ---- Dukcapil ---- */

typedef struct stub_dukcapil_credentials {
    const char *user_id;
    const char *password;
    const char *ip_user;
} stub_dukcapil_credentials;

/**
 * @brief Answers a verification POST (any path) whose body is @p body (@p len bytes).
 *  - another method: 405; a body that is not a JSON object with a string NIK of 16 digits,
 *    string USER_ID/PASSWORD/IP_USER, a number TRESHOLD in 0..100 and well-formed elements
 *    (NAMA_LGKP a name, TGL_LHR dd-mm-yyyy, JENIS_KLMIN "LAKI-LAKI"/"PEREMPUAN"): HTTP 400,
 *    RESPON "Format permintaan salah: <why>";
 *  - wrong USER_ID, PASSWORD (constant time) or IP_USER: HTTP 200, RESPON "User ID atau
 *    Password salah";
 *  - unknown NIK: RESPON "Data Tidak Ditemukan";
 *  - known NIK: {"NIK":"Sesuai (100)"} plus, for each element sent (a null counts as not
 *    sent), "Sesuai (s)" when the score s ≥ TRESHOLD, else "Tidak Sesuai (s)": s is
 *    stub_name_score for NAMA_LGKP, 100 or 0 for TGL_LHR and JENIS_KLMIN.
 */
void stub_dukcapil_answer(const stub_people *people, const stub_dukcapil_credentials *cred,
                          const char *method, const char *body, size_t len, stub_answer *out);

/**
 * @brief Similarity of two normalized names, 0..100: 100 × (1 − d / n) rounded down, where d is
 * the Levenshtein distance and n the longer length, both in Unicode code points (so "É" costs
 * one edit, not two). Two empty names score 100.
 */
int stub_name_score(const char *a, const char *b);

/* ---- Runtime control ---- */

/** What POST /_control can change. */
typedef struct stub_settings {
    long latency_ms;
    long jitter_ms;
    double fail_rate; /* 0..1 */
    double hang_rate; /* 0..1 */
    bool down;        /* every protocol request gets 503 */
} stub_settings;

/**
 * @brief Applies a /_control body: a JSON object with any of "latency_ms", "jitter_ms" (integers
 * 0..600000), "fail_rate", "hang_rate" (numbers 0..1) and "down" (boolean). All or nothing:
 * returns 0 with @p s updated, or -1 with @p err (unknown key, wrong type, out of range) and
 * @p s untouched.
 */
int stub_control_apply(stub_settings *s, const char *body, size_t len, char *err, size_t errlen);

/** @brief The settings as JSON (the answer of /_control), appended to @p out with a NUL. */
int stub_settings_json(const stub_settings *s, vk_buf *out);

/** The counters of GET /_stats. */
typedef struct stub_stats {
    uint64_t requests; /* protocol requests (not /_control, /_stats) */
    uint64_t answered_found;
    uint64_t answered_not_found;
    uint64_t refused_auth;
    uint64_t bad_request;
    uint64_t failed;      /* injected 500 and 503 (down), internal errors */
    uint64_t hung;        /* requests held back by hang_rate */
    uint64_t connections; /* TCP connections accepted */
} stub_stats;

/** @brief The counters as JSON, appended to @p out with a NUL. */
int stub_stats_json(const stub_stats *s, vk_buf *out);

#endif
