/*
 * vk_dukcapil.c — the Dukcapil verification-by-element adapter (see vk_dukcapil.h for the
 * protocol and the tolerance rules).
 *
 * An element value is read as a tiny grammar rather than by string comparison, so the
 * spellings seen across agreements all land in one place:
 *     value := ws ["tidak" ws+] "sesuai" ws ["(" ws number ws ")"] ws      (any case)
 * where number is 0..100, optionally with decimals ("Sesuai (99.50)"), rounded to an integer.
 * Everything else is refused by name.
 */
#include "vk_dukcapil.h"

#include "vk_err.h"
#include "vk_time.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

/* ---- The request ---- */

const char *vk_dukcapil_sex_word(char sex) {
    /* ASSUMPTION (see the header): the KTP spellings; confirm against the agreement. */
    switch (sex) {
    case 'L':
        return "LAKI-LAKI";
    case 'P':
        return "PEREMPUAN";
    default:
        return NULL;
    }
}

static int check_query(const vk_dukcapil_query *q, const vk_dukcapil_credentials *c, char *err,
                       size_t errlen) {
    if (!q->nik || strlen(q->nik) != 16 || strspn(q->nik, "0123456789") != 16)
        return vk_errf(err, errlen, "NIK is not 16 digits");
    if (q->name && !*q->name)
        return vk_errf(err, errlen, "NAMA_LGKP is empty");
    if (q->sex && !vk_dukcapil_sex_word(q->sex))
        return vk_errf(err, errlen, "sex is neither L nor P");
    if (!c->user_id || !*c->user_id || !c->password || !*c->password || !c->ip_user || !*c->ip_user)
        return vk_errf(err, errlen, "Dukcapil USER_ID, PASSWORD and IP_USER are all required");
    if (c->threshold < 0 || c->threshold > 100)
        return vk_errf(err, errlen, "TRESHOLD %d is outside 0..100", c->threshold);
    return 0;
}

/* Builds the body as a jansson object, elements in the documented order. */
static json_t *request_object(const vk_dukcapil_query *q, const vk_dukcapil_credentials *c) {
    json_t *o = json_object();
    int bad = !o || json_object_set_new(o, "NIK", json_string(q->nik));
    if (!bad && q->name)
        bad = json_object_set_new(o, "NAMA_LGKP", json_string(q->name));
    if (!bad && q->has_birth_date) {
        int y, m, d;
        char date[16];
        vk_date_from_days(q->birth_date, &y, &m, &d);
        snprintf(date, sizeof date, "%02d-%02d-%04d", d, m, y);
        bad = json_object_set_new(o, "TGL_LHR", json_string(date));
    }
    if (!bad && q->sex)
        bad = json_object_set_new(o, "JENIS_KLMIN", json_string(vk_dukcapil_sex_word(q->sex)));
    if (!bad)
        bad = json_object_set_new(o, "USER_ID", json_string(c->user_id)) ||
              json_object_set_new(o, "PASSWORD", json_string(c->password)) ||
              json_object_set_new(o, "IP_USER", json_string(c->ip_user)) ||
              json_object_set_new(o, "TRESHOLD", json_integer(c->threshold));
    if (bad) {
        json_decref(o);
        return NULL;
    }
    return o;
}

int vk_dukcapil_request_json(const vk_dukcapil_query *q, const vk_dukcapil_credentials *cred,
                             vk_buf *out, char *err, size_t errlen) {
    if (check_query(q, cred, err, errlen))
        return -1;
    int32_t probe;
    if (q->has_birth_date) {
        int y, m, d;
        vk_date_from_days(q->birth_date, &y, &m, &d);
        if (vk_date_to_days(y, m, d, &probe))
            return vk_errf(err, errlen, "birth date is outside years 1..9999");
    }
    json_t *o = request_object(q, cred);
    char *text = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    json_decref(o);
    if (!text)
        return vk_errf(err, errlen, "out of memory (or a value that is not UTF-8)");
    size_t n = strlen(text);
    int rc = vk_buf_reserve(out, n + 1);
    if (rc == 0) {
        vk_buf_append(out, text, n);
        out->data[out->len] = '\0';
    }
    explicit_bzero(text, n); /* it holds the password */
    free(text);
    return rc ? vk_errf(err, errlen, "out of memory") : 0;
}

void vk_dukcapil_request_free(vk_buf *body) {
    if (body->data)
        explicit_bzero(body->data, body->cap);
    vk_buf_free(body);
}

/* ---- The answer ---- */

static const char *skip_ws(const char *s) {
    while (isspace((unsigned char)*s))
        s++;
    return s;
}

/* Consumes @p word (any case) at @p *s; true when it was there. */
static bool take_word(const char **s, const char *word) {
    size_t n = strlen(word);
    if (strncasecmp(*s, word, n) != 0)
        return false;
    *s += n;
    return true;
}

/* "( number )" at @p s → *score; returns the rest, or NULL when malformed. */
static const char *take_score(const char *s, int *score) {
    s = skip_ws(s + 1); /* past '(' */
    if (!isdigit((unsigned char)*s))
        return NULL;
    char *end;
    double v = strtod(s, &end);
    if (end == s || v < 0 || v > 100)
        return NULL;
    s = skip_ws(end);
    if (*s != ')')
        return NULL;
    *score = (int)lround(v);
    return s + 1;
}

/* Reads one element value; -1 with err naming @p key when it is not of the grammar. */
static int read_element(const char *key, json_t *v, vk_dukcapil_element *e, char *err,
                        size_t errlen) {
    if (!json_is_string(v))
        return vk_errf(err, errlen, "%s is not a string", key);
    const char *s = skip_ws(json_string_value(v));
    bool negated = false;
    if (take_word(&s, "tidak")) {
        if (!isspace((unsigned char)*s))
            return vk_errf(err, errlen, "%s is neither \"Sesuai\" nor \"Tidak Sesuai\"", key);
        negated = true;
        s = skip_ws(s);
    }
    if (!take_word(&s, "sesuai") || isalnum((unsigned char)*s))
        return vk_errf(err, errlen, "%s is neither \"Sesuai\" nor \"Tidak Sesuai\"", key);
    e->score = -1;
    s = skip_ws(s);
    if (*s == '(' && !(s = take_score(s, &e->score)))
        return vk_errf(err, errlen, "%s score is not a number from 0 to 100", key);
    if (*skip_ws(s))
        return vk_errf(err, errlen, "%s has unexpected text after the verdict", key);
    e->present = true;
    e->match = !negated;
    return 0;
}

/* The element of the result a key names, or NULL for keys that are not identity elements. */
static vk_dukcapil_element *element_for(vk_dukcapil_result *r, const char *key) {
    if (strcasecmp(key, "NAMA_LGKP") == 0)
        return &r->name;
    if (strcasecmp(key, "TGL_LHR") == 0)
        return &r->birth_date;
    if (strcasecmp(key, "JENIS_KLMIN") == 0)
        return &r->sex;
    return NULL;
}

static bool says_not_found(const char *msg) {
    char lower[256];
    size_t i = 0;
    for (; msg[i] && i + 1 < sizeof lower; i++)
        lower[i] = (char)tolower((unsigned char)msg[i]);
    lower[i] = '\0';
    return strstr(lower, "tidak ditemukan") || strstr(lower, "not found");
}

/* One content entry → result. */
static vk_dukcapil_outcome read_entry(json_t *entry, vk_dukcapil_result *out, char *err,
                                      size_t errlen) {
    bool found = false, has_respon = false;
    const char *key;
    json_t *v;
    json_object_foreach(entry, key, v) {
        vk_dukcapil_element *e = element_for(out, key);
        if (e && read_element(key, v, e, err, errlen))
            return VK_DUKCAPIL_ERROR;
        found |= e != NULL || strcasecmp(key, "NIK") == 0;
        if (strcasecmp(key, "RESPON") == 0 && json_is_string(v)) {
            has_respon = true;
            snprintf(out->message, sizeof out->message, "%s", json_string_value(v));
        }
    }
    if (found)
        return VK_DUKCAPIL_FOUND;
    if (has_respon && says_not_found(out->message))
        return VK_DUKCAPIL_NOT_FOUND;
    if (has_respon)
        return vk_errf(err, errlen, "Dukcapil answered: %s", out->message);
    return vk_errf(err, errlen, "content holds neither elements nor RESPON");
}

static json_t *get_nocase(json_t *obj, const char *want) {
    const char *key;
    json_t *v;
    json_object_foreach(obj, key, v) {
        if (strcasecmp(key, want) == 0)
            return v;
    }
    return NULL;
}

vk_dukcapil_outcome vk_dukcapil_parse(const char *json_text, size_t len, vk_dukcapil_result *out,
                                      char *err, size_t errlen) {
    memset(out, 0, sizeof *out);
    out->name.score = out->birth_date.score = out->sex.score = -1;
    json_error_t je;
    json_t *root = json_text ? json_loadb(json_text, len, 0, &je) : NULL;
    if (!root)
        return vk_errf(err, errlen, "Dukcapil answer is not JSON: %s",
                       json_text ? je.text : "no body");
    json_t *content = json_is_object(root) ? get_nocase(root, "content") : NULL;
    json_t *entry = json_is_array(content) ? json_array_get(content, 0) : content;
    vk_dukcapil_outcome rc;
    if (!content)
        rc = vk_errf(err, errlen, "Dukcapil answer has no \"content\"");
    else if (json_is_array(content) && json_array_size(content) == 0)
        rc = vk_errf(err, errlen, "content is empty");
    else if (!json_is_object(entry))
        rc = vk_errf(err, errlen, "content entry is not an object");
    else
        rc = read_entry(entry, out, err, errlen);
    json_decref(root);
    if (rc == VK_DUKCAPIL_ERROR) {
        memset(out, 0, sizeof *out);
        out->name.score = out->birth_date.score = out->sex.score = -1;
    }
    return rc;
}
