/*
 * vk_dukcapil.h — Dukcapil (civil registry) verification by element (docs/design.md §8), as pure
 * functions: the request body the lookup worker POSTs, and the reading of the answer.
 *
 * The protocol: POST {"NIK","NAMA_LGKP","TGL_LHR" (dd-mm-yyyy),"JENIS_KLMIN","USER_ID",
 * "PASSWORD","IP_USER","TRESHOLD"} (sic: TRESHOLD); the answer is {"content":[{"NIK":…,
 * "NAMA_LGKP":"Sesuai (100)","TGL_LHR":"Tidak Sesuai (40)",…}]} — per element "Sesuai" or
 * "Tidak Sesuai", with an optional score — or {"content":[{"RESPON":"…"}]} when nothing is found.
 *
 * Agreements differ between institutions, so the adapter is small and tolerant: keys and the
 * words are read without regard to case or extra spaces, a score may be missing, unknown
 * elements are ignored, and "content" may be one object instead of an array. What it cannot
 * read it refuses with a precise error rather than guessing, because the result is evidence.
 * Dukcapil's own "Sesuai"/"Tidak Sesuai" is taken as the match (it already applied TRESHOLD);
 * the score is kept as information.
 *
 * A RESPON is read as "not found" only when it says so ("… tidak ditemukan" / "not found").
 * Other RESPON texts (wrong credentials, an unregistered IP, a spent quota) are errors the
 * caller retries: a not-found verdict is recorded once and never asked again (docs/design.md §1.3),
 * so a misread outage would refuse a correct change for good.
 *
 * The request holds the password: the caller must never log it, and should free the buffer
 * with vk_dukcapil_request_free(), which wipes it.
 */
#ifndef VK_DUKCAPIL_H
#define VK_DUKCAPIL_H

#include "vk_buf.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** The caller's agreement with Dukcapil (from configuration). */
typedef struct vk_dukcapil_credentials {
    const char *user_id;
    const char *password;
    const char *ip_user; /* the IP address registered for the user */
    int threshold;       /* TRESHOLD, 0..100: the score at or above which an element "Sesuai" */
} vk_dukcapil_credentials;

/** What to verify. Elements left unset are not sent (Dukcapil checks what it is sent). */
typedef struct vk_dukcapil_query {
    const char *nik;     /* 16 digits, required */
    const char *name;    /* NAMA_LGKP, or NULL */
    bool has_birth_date; /* TGL_LHR sent */
    int32_t birth_date;  /* days since 1970-01-01 */
    char sex;            /* 'L', 'P', or 0 (JENIS_KLMIN not sent) */
} vk_dukcapil_query;

/**
 * @brief JENIS_KLMIN for a sex: 'L' → "LAKI-LAKI", 'P' → "PEREMPUAN", else NULL.
 * ASSUMPTION: these spellings are Dukcapil's usual ones (as on the KTP) but are not confirmed by
 * the agreement; this function is the only place that knows them.
 */
const char *vk_dukcapil_sex_word(char sex);

/**
 * @brief Appends the request body (compact JSON, followed by a NUL not counted in out->len) to
 * @p out. Refuses (-1 with @p err, never echoing a value) a NIK that is not 16 digits, a missing
 * credential, a threshold outside 0..100, a sex other than L/P, or an invalid date.
 */
int vk_dukcapil_request_json(const vk_dukcapil_query *q, const vk_dukcapil_credentials *cred,
                             vk_buf *out, char *err, size_t errlen);

/** @brief Wipes and frees a request body built by vk_dukcapil_request_json (it holds the
 *  password). */
void vk_dukcapil_request_free(vk_buf *body);

/** One element of the answer. */
typedef struct vk_dukcapil_element {
    bool present; /* the answer carried this element */
    bool match;   /* "Sesuai" (true) or "Tidak Sesuai" (false) */
    int score;    /* 0..100, or -1 when the answer gave none */
} vk_dukcapil_element;

typedef struct vk_dukcapil_result {
    vk_dukcapil_element name;       /* NAMA_LGKP */
    vk_dukcapil_element birth_date; /* TGL_LHR */
    vk_dukcapil_element sex;        /* JENIS_KLMIN */
    char message[256];              /* RESPON, when given (truncated to fit) */
} vk_dukcapil_result;

typedef enum vk_dukcapil_outcome {
    VK_DUKCAPIL_ERROR = -1,    /* not an answer about the NIK: see err (retry, then UNAVAILABLE) */
    VK_DUKCAPIL_FOUND = 0,     /* elements read into the result */
    VK_DUKCAPIL_NOT_FOUND = 1, /* RESPON saying not found; out->message holds it */
} vk_dukcapil_outcome;

/**
 * @brief Reads an answer (@p len bytes, NUL not needed) into @p out (zeroed first). The first
 * entry of "content" is read; an entry with any of NIK, NAMA_LGKP, TGL_LHR, JENIS_KLMIN is
 * FOUND; one with only RESPON is NOT_FOUND when RESPON says not found, else an error carrying
 * it. Errors name the element and the reason: "TGL_LHR is neither \"Sesuai\" nor \"Tidak
 * Sesuai\"", "NAMA_LGKP score is not a number from 0 to 100", "content is empty".
 */
vk_dukcapil_outcome vk_dukcapil_parse(const char *json_text, size_t len, vk_dukcapil_result *out,
                                      char *err, size_t errlen);

#endif
