/*
 * sources.h — vaksin-lookup's two sources as request builders and answer readers: the JKN
 * master file (BPJS web-service protocol, lib/gov/vk_bpjs.h) and Dukcapil verification by
 * element (lib/gov/vk_dukcapil.h). Pure functions: no network, no clock (the signing time is
 * passed in), no logging (credentials pass through here).
 *
 * What is asked: the identity fields the request changes (vk_identity_change), about one NIK.
 * JKN is asked for the participant by NIK and tglSEP (the lookup's date in WIB) and its values
 * compared with the asked ones; Dukcapil is sent only the asked elements and says which agree.
 *
 * An answer is either about the person — FOUND (evidence per asked field) or NOT_FOUND (the
 * source's message) — or a source error: a transport failure, an HTTP status other than 2xx,
 * an undecryptable or unparsable body, a BPJS code other than 200/201/404, a Dukcapil RESPON
 * that does not say "not found". Errors are retried and never cached; answers are cached under
 * a key made of the source, the NIK and everything sent that shapes the answer (tglSEP for
 * JKN, whose evidence also depends on the asked values; the sent elements for Dukcapil).
 */
#ifndef VK_LOOKUP_SOURCES_H
#define VK_LOOKUP_SOURCES_H

#include "transport.h"
#include "vk_buf.h"
#include "vk_dukcapil.h"
#include "vk_evidence.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** Where the sources are and the credentials (borrowed from the configuration). An empty or
 *  NULL url: the source is not configured and never asked. */
typedef struct lk_sources {
    const char *jkn_url, *jkn_cons_id, *jkn_secret, *jkn_user_key;
    const char *dukcapil_url;
    vk_dukcapil_credentials dukcapil;
} lk_sources;

/** What one lookup asks. Self-contained: asked.name points into name, so a copy must be
 *  re-pointed (lk_asks_add does) and the storage holding one must not move. */
typedef struct lk_question {
    char nik[17];
    char name[256];
    vk_identity_change asked;
    int32_t sep_date; /* tglSEP: days since 1970-01-01 */
} lk_question;

/** @brief Is @p src configured (has a URL)? */
bool lk_source_configured(const lk_sources *s, vk_evidence_source src);

/**
 * @brief Fills @p q for @p nik and the identity part of a change (@p name NULL when not
 * changed, @p sex 'L'/'P'/0), asked on @p occurred_at_ms (tglSEP = that day in WIB, UTC+7).
 * Returns 0, or -1 when the NIK is not 16 digits or the name does not fit.
 */
int lk_question_init(lk_question *q, const char *nik, const char *name, bool has_birth_date,
                     int32_t birth_date, char sex, int64_t occurred_at_ms);

/** @brief The calendar day (days since 1970-01-01) of @p ms in WIB (UTC+7). */
int32_t lk_wib_date(int64_t ms);

/**
 * @brief Builds the request asking @p src about @p q into @p req (cleared first). JKN: GET
 * {jkn.url}/Peserta/nik/{nik}/tglSEP/{date}, signed at @p now_s (kept in req->signed_at).
 * Dukcapil: POST of the JSON body to dukcapil.url with Content-Type application/json.
 * Returns 0, or -1 with @p err naming what is wrong (never a credential's value).
 */
int lk_source_request(const lk_sources *s, vk_evidence_source src, const lk_question *q,
                      int64_t now_s, lk_request *req, char *err, size_t errlen);

/**
 * @brief Reads how a request of @p src about @p q ended (@p signed_at: the JKN request's
 * signing time). An answer fills @p out (status FOUND or NOT_FOUND) and returns 0; a source
 * error returns -1 with @p err ("HTTP 503", "timeout …", "BPJS answered code 500: …").
 */
int lk_source_answer(const lk_sources *s, vk_evidence_source src, const lk_question *q,
                     const lk_result *res, int64_t signed_at, vk_evidence_src *out, char *err,
                     size_t errlen);

/** @brief The cache key of an answer of @p src about @p q (replaces @p key's content;
 *  NUL-terminated). */
int lk_source_cache_key(vk_evidence_source src, const lk_question *q, vk_buf *key);

#endif
