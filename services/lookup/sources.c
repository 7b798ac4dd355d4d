/*
 * sources.c — see sources.h. The protocol details themselves live in lib/gov/vk_bpjs*.c and
 * lib/gov/vk_dukcapil.c; this file only decides what to send and how to read what came back
 * into evidence.
 */
#include "sources.h"

#include "vk_evidence_from.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>

#define WIB_OFFSET_MS (7 * 3600 * 1000LL)
#define DAY_MS        86400000LL

void lk_request_clear(lk_request *req) {
    OPENSSL_cleanse(req->headers, sizeof req->headers);
    if (req->body.data)
        OPENSSL_cleanse(req->body.data, req->body.cap);
    vk_buf_reset(&req->body);
    vk_buf_reset(&req->url);
    req->n_headers = 0;
    req->post = false;
    req->signed_at = 0;
}

void lk_request_free(lk_request *req) {
    lk_request_clear(req);
    vk_dukcapil_request_free(&req->body); /* wipes what the Dukcapil body held */
    vk_buf_free(&req->url);
}

bool lk_source_configured(const lk_sources *s, vk_evidence_source src) {
    const char *url = src == VK_SOURCE_JKN ? s->jkn_url : s->dukcapil_url;
    return url && *url;
}

int32_t lk_wib_date(int64_t ms) {
    int64_t t = ms + WIB_OFFSET_MS;
    return (int32_t)(t >= 0 ? t / DAY_MS : -((-t + DAY_MS - 1) / DAY_MS));
}

int lk_question_init(lk_question *q, const char *nik, const char *name, bool has_birth_date,
                     int32_t birth_date, char sex, int64_t occurred_at_ms) {
    memset(q, 0, sizeof *q);
    if (!nik || strlen(nik) != 16 || strspn(nik, "0123456789") != 16)
        return -1;
    memcpy(q->nik, nik, 17);
    if (name) {
        if (strlen(name) >= sizeof q->name)
            return -1;
        strcpy(q->name, name);
        q->asked.name = q->name;
    }
    q->asked.has_birth_date = has_birth_date;
    q->asked.birth_date = birth_date;
    q->asked.sex = sex;
    q->sep_date = lk_wib_date(occurred_at_ms);
    return 0;
}

static int add_header(lk_request *req, const char *line) {
    if (req->n_headers >= LK_MAX_HEADERS || strlen(line) >= VK_BPJS_HEADER_MAX)
        return -1;
    strcpy(req->headers[req->n_headers++], line);
    return 0;
}

static int jkn_request(const lk_sources *s, const lk_question *q, int64_t now_s, lk_request *req,
                       char *err, size_t errlen) {
    vk_bpjs_header_lines h;
    if (vk_bpjs_headers(s->jkn_cons_id, s->jkn_secret, s->jkn_user_key, now_s, &h, err, errlen))
        return -1;
    int rc = add_header(req, h.cons_id) | add_header(req, h.timestamp) |
             add_header(req, h.signature) | add_header(req, h.user_key) |
             add_header(req, "Accept: application/json");
    OPENSSL_cleanse(&h, sizeof h);
    if (rc) {
        snprintf(err, errlen, "too many or too long JKN header lines");
        return -1;
    }
    req->signed_at = now_s;
    return vk_bpjs_participant_url(s->jkn_url, q->nik, q->sep_date, &req->url, err, errlen);
}

static int dukcapil_request(const lk_sources *s, const lk_question *q, lk_request *req, char *err,
                            size_t errlen) {
    vk_dukcapil_query dq = {.nik = q->nik,
                            .name = q->asked.name,
                            .has_birth_date = q->asked.has_birth_date,
                            .birth_date = q->asked.birth_date,
                            .sex = q->asked.sex};
    if (vk_dukcapil_request_json(&dq, &s->dukcapil, &req->body, err, errlen))
        return -1;
    req->post = true;
    if (add_header(req, "Content-Type: application/json") ||
        add_header(req, "Accept: application/json") ||
        add_header(req, "Expect:") /* never wait for 100-continue */ ||
        vk_buf_append_str(&req->url, s->dukcapil_url) || vk_buf_append(&req->url, "", 1)) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    req->url.len--; /* keep the NUL out of the length */
    return 0;
}

int lk_source_request(const lk_sources *s, vk_evidence_source src, const lk_question *q,
                      int64_t now_s, lk_request *req, char *err, size_t errlen) {
    lk_request_clear(req);
    if (!lk_source_configured(s, src)) {
        snprintf(err, errlen, "%s is not configured", vk_evidence_source_name(src));
        return -1;
    }
    int rc = src == VK_SOURCE_JKN ? jkn_request(s, q, now_s, req, err, errlen)
                                  : dukcapil_request(s, q, req, err, errlen);
    if (rc)
        lk_request_clear(req);
    return rc;
}

/* JKN's FOUND message: the participant's status (e.g. "AKTIF"), else metaData's message. */
static void jkn_found_message(const vk_bpjs_response *r, char *out, size_t outlen) {
    const vk_bpjs_participant *p = &r->participant;
    if (p->status_text[0])
        snprintf(out, outlen, "statusPeserta %s%s%s", p->status_code, p->status_code[0] ? " " : "",
                 p->status_text);
    else
        snprintf(out, outlen, "%s", r->message);
}

static int jkn_answer(const lk_sources *s, const lk_question *q, const lk_result *res,
                      int64_t signed_at, vk_evidence_src *out, char *err, size_t errlen) {
    vk_bpjs_response r;
    vk_bpjs_outcome o = vk_bpjs_parse_response(res->body, res->len, s->jkn_cons_id, s->jkn_secret,
                                               signed_at, &r, err, errlen);
    if (o == VK_BPJS_FOUND) {
        char msg[256];
        jkn_found_message(&r, msg, sizeof msg);
        vk_evidence_from_jkn(&r.participant, &q->asked, msg, out);
    } else if (o == VK_BPJS_NOT_FOUND) {
        vk_evidence_init(out, VK_SOURCE_JKN, VK_EVIDENCE_NOT_FOUND, r.message);
    }
    OPENSSL_cleanse(&r, sizeof r);
    return o == VK_BPJS_ERROR ? -1 : 0;
}

static int dukcapil_answer(const lk_question *q, const lk_result *res, vk_evidence_src *out,
                           char *err, size_t errlen) {
    vk_dukcapil_result r;
    vk_dukcapil_outcome o = vk_dukcapil_parse(res->body, res->len, &r, err, errlen);
    if (o == VK_DUKCAPIL_FOUND)
        vk_evidence_from_dukcapil(&r, &q->asked, out);
    else if (o == VK_DUKCAPIL_NOT_FOUND)
        vk_evidence_init(out, VK_SOURCE_DUKCAPIL, VK_EVIDENCE_NOT_FOUND, r.message);
    return o == VK_DUKCAPIL_ERROR ? -1 : 0;
}

int lk_source_answer(const lk_sources *s, vk_evidence_source src, const lk_question *q,
                     const lk_result *res, int64_t signed_at, vk_evidence_src *out, char *err,
                     size_t errlen) {
    if (!res->answered) {
        snprintf(err, errlen, "%s", res->error[0] ? res->error : "no answer");
        return -1;
    }
    if (res->status < 200 || res->status > 299) {
        snprintf(err, errlen, "HTTP %ld", res->status);
        return -1;
    }
    return src == VK_SOURCE_JKN ? jkn_answer(s, q, res, signed_at, out, err, errlen)
                                : dukcapil_answer(q, res, out, err, errlen);
}

int lk_source_cache_key(vk_evidence_source src, const lk_question *q, vk_buf *key) {
    /* Fields joined by \x1f (unit separator, which no NIK, date or sex holds); an asked value
     * is written as "=value", one not asked as "-", so no two questions share a key. */
    const vk_identity_change *a = &q->asked;
    vk_buf_reset(key);
    int rc = vk_buf_printf(key, "%s\x1f%s", vk_evidence_source_name(src), q->nik);
    if (src == VK_SOURCE_JKN)
        rc |= vk_buf_printf(key, "\x1f%d", (int)q->sep_date);
    rc |= a->name ? vk_buf_printf(key, "\x1f=%s", a->name) : vk_buf_append_str(key, "\x1f-");
    rc |= a->has_birth_date ? vk_buf_printf(key, "\x1f=%d", (int)a->birth_date)
                            : vk_buf_append_str(key, "\x1f-");
    rc |= a->sex ? vk_buf_printf(key, "\x1f=%c", a->sex) : vk_buf_append_str(key, "\x1f-");
    if (rc || vk_buf_append(key, "", 1))
        return -1;
    key->len--; /* NUL-terminated, the NUL not counted */
    return 0;
}
