/*
 * handler.c — the stub servers' answers (see handler.h): the master file, the two protocols, the
 * fault bodies and the control documents. Pure: no sockets, no clock, no randomness, no logging,
 * so every answer is unit-tested against the lookup worker's own readers.
 *
 * The master file is a sorted array searched with bsearch: it is loaded once at start and only
 * read afterwards, by many connection threads at once, so it needs no lock.
 *
 * Credentials are compared in constant time (CRYPTO_memcmp over SHA-256 digests, so even the
 * length does not leak) and never copied into an answer or a note.
 */
#include "handler.h"

#include "vk_bpjs.h"
#include "vk_csv.h"
#include "vk_dukcapil.h"
#include "vk_err.h"
#include "vk_lzstring.h"
#include "vk_rules.h"
#include "vk_time.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

/* ------------------------------------------------------------------------------------------ */
/* The master file                                                                             */

struct stub_people {
    stub_person *v;
    size_t n, cap;
};

stub_people *stub_people_new(void) {
    return calloc(1, sizeof(stub_people));
}

void stub_people_destroy(stub_people *p) {
    if (!p)
        return;
    free(p->v);
    free(p);
}

size_t stub_people_count(const stub_people *p) {
    return p->n;
}

static int cmp_person(const void *a, const void *b) {
    return strcmp(((const stub_person *)a)->nik, ((const stub_person *)b)->nik);
}

static int cmp_key(const void *key, const void *elem) {
    return strcmp((const char *)key, ((const stub_person *)elem)->nik);
}

const stub_person *stub_people_find(const stub_people *p, const char *nik) {
    if (!p || !p->n || !nik)
        return NULL;
    return bsearch(nik, p->v, p->n, sizeof *p->v, cmp_key);
}

enum { COL_NIK, COL_NAME, COL_BIRTH, COL_SEX, COL_CARD, COL_COUNT };
static const char *const col_names[COL_COUNT] = {"nik", "name", "birth_date", "sex", "card_no"};

/* State of one load: the header's column positions and the first error. */
typedef struct loader {
    stub_people *p;
    int col[COL_COUNT]; /* field index of each column, -1 when absent */
    size_t ncols;       /* fields in the header */
    int have_header;
    char *err;
    size_t errlen;
} loader;

/* Copies @p f without surrounding spaces into @p dst (size @p cap); -1 when it does not fit. */
static int trimmed(const vk_csv_field *f, char *dst, size_t cap) {
    const char *s = f->data, *e = f->data + f->len;
    while (s < e && isspace((unsigned char)*s))
        s++;
    while (e > s && isspace((unsigned char)e[-1]))
        e--;
    if ((size_t)(e - s) >= cap)
        return -1;
    memcpy(dst, s, (size_t)(e - s));
    dst[e - s] = '\0';
    return 0;
}

static bool all_digits(const char *s, size_t n) {
    return strlen(s) == n && strspn(s, "0123456789") == n;
}

/* "yyyy-mm-dd" exactly (ISO order) or, with @p dmy, "dd-mm-yyyy" → days. */
static int parse_date_strict(const char *s, bool dmy, int32_t *days) {
    static const char iso[] = "dddd-dd-dd", rev[] = "dd-dd-dddd";
    const char *form = dmy ? rev : iso;
    if (strlen(s) != 10)
        return -1;
    for (int i = 0; i < 10; i++)
        if (form[i] == 'd' ? !isdigit((unsigned char)s[i]) : s[i] != '-')
            return -1;
    int a = atoi(s), b = atoi(s + (dmy ? 3 : 5)), c = atoi(s + (dmy ? 6 : 8));
    return dmy ? vk_date_to_days(c, b, a, days) : vk_date_to_days(a, b, c, days);
}

static int read_header(loader *l, const vk_csv_row *row) {
    for (int c = 0; c < COL_COUNT; c++)
        l->col[c] = -1;
    for (size_t i = 0; i < row->n; i++) {
        char name[32];
        if (trimmed(&row->fields[i], name, sizeof name))
            continue;
        for (int c = 0; c < COL_COUNT; c++)
            if (strcasecmp(name, col_names[c]) == 0 && l->col[c] < 0)
                l->col[c] = (int)i;
    }
    for (int c = 0; c < COL_CARD; c++) /* card_no may be left out */
        if (l->col[c] < 0)
            return vk_errf(l->err, l->errlen,
                           "people file line %lu: the header has no column %s (expected "
                           "nik,name,birth_date,sex,card_no)",
                           row->line, col_names[c]);
    l->ncols = row->n;
    l->have_header = 1;
    return 0;
}

/* One data row → a person appended to the table. */
static int read_person(loader *l, const vk_csv_row *row) {
    unsigned long ln = row->line;
    if (row->n != l->ncols)
        return vk_errf(l->err, l->errlen, "people file line %lu: %zu fields, the header has %zu",
                       ln, row->n, l->ncols);
    stub_person p;
    memset(&p, 0, sizeof p);
    p.line = ln;
    char birth[32], sex[8], nerr[128];
    if (trimmed(&row->fields[l->col[COL_NIK]], p.nik, sizeof p.nik) || !all_digits(p.nik, 16))
        return vk_errf(l->err, l->errlen, "people file line %lu: nik is not 16 digits", ln);
    if (trimmed(&row->fields[l->col[COL_NAME]], p.name, sizeof p.name))
        return vk_errf(l->err, l->errlen, "people file line %lu: name is longer than %zu bytes", ln,
                       sizeof p.name - 1);
    if (vk_name_normalize(p.name, p.name_norm, sizeof p.name_norm, nerr, sizeof nerr))
        return vk_errf(l->err, l->errlen, "people file line %lu: name: %s", ln, nerr);
    if (trimmed(&row->fields[l->col[COL_BIRTH]], birth, sizeof birth) ||
        parse_date_strict(birth, false, &p.birth_date))
        return vk_errf(l->err, l->errlen,
                       "people file line %lu: birth_date is not a valid yyyy-mm-dd date", ln);
    if (trimmed(&row->fields[l->col[COL_SEX]], sex, sizeof sex) || strlen(sex) != 1 ||
        !strchr("LPlp", sex[0]))
        return vk_errf(l->err, l->errlen, "people file line %lu: sex is neither L nor P", ln);
    p.sex = (char)toupper((unsigned char)sex[0]);
    if (l->col[COL_CARD] >= 0) {
        if (trimmed(&row->fields[l->col[COL_CARD]], p.card_no, sizeof p.card_no))
            return vk_errf(l->err, l->errlen,
                           "people file line %lu: card_no is longer than %zu characters", ln,
                           sizeof p.card_no - 1);
        for (const char *c = p.card_no; *c; c++)
            if (*c < 0x20 || *c > 0x7e)
                return vk_errf(l->err, l->errlen,
                               "people file line %lu: card_no holds a character that is not "
                               "printable ASCII",
                               ln);
    }
    stub_people *t = l->p;
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 64;
        stub_person *v = realloc(t->v, cap * sizeof *v);
        if (!v)
            return vk_errf(l->err, l->errlen, "out of memory at people file line %lu", ln);
        t->v = v;
        t->cap = cap;
    }
    t->v[t->n++] = p;
    return 0;
}

static int on_row(const vk_csv_row *row, void *ctx) {
    loader *l = ctx;
    if (row->error)
        return vk_errf(l->err, l->errlen, "people file line %lu: %s", row->line, row->error);
    return l->have_header ? read_person(l, row) : read_header(l, row);
}

/* Sorts the table and refuses a NIK that appears twice. */
static int seal(loader *l) {
    stub_people *t = l->p;
    if (t->n > 1) /* an empty file has no array: qsort(NULL, 0, …) is undefined */
        qsort(t->v, t->n, sizeof *t->v, cmp_person);
    for (size_t i = 1; i < t->n; i++)
        if (strcmp(t->v[i - 1].nik, t->v[i].nik) == 0) {
            unsigned long a = t->v[i - 1].line, b = t->v[i].line;
            return vk_errf(l->err, l->errlen, "people file lines %lu and %lu: the same nik",
                           a < b ? a : b, a < b ? b : a);
        }
    return 0;
}

static void loader_init(loader *l, stub_people *p, char *err, size_t errlen) {
    memset(l, 0, sizeof *l);
    l->p = p;
    l->err = err;
    l->errlen = errlen;
    p->n = 0;
}

/* The outcome of a load: on failure the table is emptied. */
static int loader_end(loader *l, int rc) {
    if (rc == 0)
        rc = seal(l);
    if (rc)
        l->p->n = 0;
    return rc ? -1 : 0;
}

int stub_people_parse_csv(stub_people *p, const char *text, size_t len, char *err, size_t errlen) {
    loader l;
    loader_init(&l, p, err, errlen);
    if (err && errlen)
        err[0] = '\0';
    vk_csv *csv = vk_csv_new(',');
    if (!csv)
        return vk_errf(err, errlen, "out of memory");
    int rc = vk_csv_feed(csv, text, len, on_row, &l);
    if (rc == 0)
        rc = vk_csv_finish(csv, on_row, &l);
    vk_csv_destroy(csv);
    if (rc == -1 && err && !*err)
        vk_errf(err, errlen, "out of memory");
    return loader_end(&l, rc);
}

int stub_people_load_file(stub_people *p, const char *path, char *err, size_t errlen) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        if (errno == ENOENT) {
            p->n = 0;
            return 1;
        }
        return vk_errf(err, errlen, "cannot open people file %s: %s", path, strerror(errno));
    }
    loader l;
    loader_init(&l, p, err, errlen);
    if (err && errlen)
        err[0] = '\0';
    vk_csv *csv = vk_csv_new(',');
    int rc = csv ? 0 : vk_errf(err, errlen, "out of memory");
    char chunk[65536];
    size_t n;
    while (rc == 0 && (n = fread(chunk, 1, sizeof chunk, f)) > 0)
        rc = vk_csv_feed(csv, chunk, n, on_row, &l);
    if (rc == 0 && ferror(f))
        rc = vk_errf(err, errlen, "cannot read people file %s", path);
    if (rc == 0)
        rc = vk_csv_finish(csv, on_row, &l);
    if (rc == -1 && err && !*err)
        vk_errf(err, errlen, "out of memory");
    vk_csv_destroy(csv);
    fclose(f);
    return loader_end(&l, rc);
}

/* ------------------------------------------------------------------------------------------ */
/* Answers                                                                                     */

const char *stub_outcome_name(stub_outcome o) {
    static const char *const names[] = {"found", "not_found", "refused_auth", "bad_request",
                                        "failed"};
    return (unsigned)o < sizeof names / sizeof *names ? names[o] : "?";
}

void stub_answer_free(stub_answer *a) {
    vk_buf_free(&a->body);
}

int stub_protocol_parse(const char *s, stub_protocol *out) {
    if (s && strcasecmp(s, "bpjs") == 0)
        *out = STUB_BPJS;
    else if (s && strcasecmp(s, "dukcapil") == 0)
        *out = STUB_DUKCAPIL;
    else
        return -1;
    return 0;
}

const char *stub_protocol_name(stub_protocol p) {
    return p == STUB_BPJS ? "bpjs" : "dukcapil";
}

/* Replaces the body with @p root as compact JSON (and decrefs it). When that fails (out of
 * memory, a value that is not UTF-8) the answer becomes a bare 500. */
static void set_body(stub_answer *out, json_t *root) {
    char *text = root ? json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    json_decref(root);
    vk_buf_reset(&out->body);
    if (!text || vk_buf_reserve(&out->body, strlen(text) + 1)) {
        out->status = 500;
        out->outcome = STUB_FAILED;
        snprintf(out->note, sizeof out->note, "cannot build the answer");
        vk_buf_append_str(&out->body, "{}");
    } else {
        vk_buf_append_str(&out->body, text);
    }
    if (out->body.data)
        out->body.data[out->body.len] = '\0';
    free(text);
}

static void begin(stub_answer *out, int status, stub_outcome o, const char *note) {
    out->status = status;
    out->outcome = o;
    snprintf(out->note, sizeof out->note, "%.*s", (int)sizeof out->note - 1, note);
}

/* {"metaData":{"code":…,"message":…},"response":…} — response a string, or null when NULL. */
static void bpjs_envelope(stub_answer *out, int status, stub_outcome o, const char *code,
                          const char *message, const char *response) {
    begin(out, status, o, message);
    set_body(out, json_pack("{s:{s:s, s:s}, s:o}", "metaData", "code", code, "message", message,
                            "response", response ? json_string(response) : json_null()));
}

/* {"content":[{"RESPON":…}]} */
static void dukcapil_respon(stub_answer *out, int status, stub_outcome o, const char *respon) {
    begin(out, status, o, respon);
    set_body(out, json_pack("{s:[{s:s}]}", "content", "RESPON", respon));
}

void stub_error_answer(stub_protocol proto, int status, stub_outcome outcome, const char *message,
                       stub_answer *out) {
    char code[16];
    snprintf(code, sizeof code, "%d", status);
    if (proto == STUB_BPJS)
        bpjs_envelope(out, status, outcome, code, message, NULL);
    else
        dukcapil_respon(out, status, outcome, message);
}

void stub_fault_answer(stub_protocol proto, int status, stub_answer *out) {
    stub_error_answer(proto, status, STUB_FAILED,
                      status == 503 ? "Service Unavailable" : "Internal Server Error", out);
}

/* Constant-time equality of two secrets of any lengths: their SHA-256 digests are compared, so
 * neither the content nor the length leaks through timing. NULL equals nothing. */
static bool secret_equal(const char *given, const char *expected) {
    if (!given || !expected)
        return false;
    unsigned char a[EVP_MAX_MD_SIZE], b[EVP_MAX_MD_SIZE];
    unsigned int na = 0, nb = 0;
    if (!EVP_Digest(given, strlen(given), a, &na, EVP_sha256(), NULL) ||
        !EVP_Digest(expected, strlen(expected), b, &nb, EVP_sha256(), NULL) || na != nb)
        return false;
    bool eq = CRYPTO_memcmp(a, b, na) == 0;
    OPENSSL_cleanse(a, sizeof a);
    OPENSSL_cleanse(b, sizeof b);
    return eq;
}

/* ------------------------------------------------------------------------------------------ */
/* BPJS Kesehatan                                                                              */

/* Splits "[prefix]/Peserta/nik/{nik}/tglSEP/{date}" into its two segments (copied, each cut to
 * fit). False when the path is not of that shape. */
static bool bpjs_route(const char *path, char *nik, size_t nikcap, char *date, size_t datecap) {
    static const char head[] = "/Peserta/nik/", mid[] = "/tglSEP/";
    const char *s = path ? strstr(path, head) : NULL;
    if (!s)
        return false;
    s += sizeof head - 1;
    const char *slash = strchr(s, '/');
    if (!slash || slash == s || strncmp(slash, mid, sizeof mid - 1) != 0)
        return false;
    const char *d = slash + sizeof mid - 1;
    if (!*d || strchr(d, '/'))
        return false;
    snprintf(nik, nikcap, "%.*s", (int)(slash - s), s);
    snprintf(date, datecap, "%s", d);
    return true;
}

/* X-timestamp as the client must send it: decimal digits, no sign, no leading zero. */
static int parse_timestamp(const char *s, int64_t *out) {
    if (!s || !*s || strlen(s) > 18 || strspn(s, "0123456789") != strlen(s) ||
        (s[0] == '0' && s[1]))
        return -1;
    *out = (int64_t)strtoll(s, NULL, 10);
    return 0;
}

/* The failed check's message, or NULL when the request is authentic. *internal is set when the
 * signature could not be computed at all. */
static const char *bpjs_auth(const stub_bpjs_credentials *cred, const stub_bpjs_request *req,
                             int64_t now, int64_t *ts, bool *internal) {
    *internal = false;
    if (!req->cons_id || !cred->cons_id || strcmp(req->cons_id, cred->cons_id) != 0)
        return "X-cons-id tidak dikenal";
    if (parse_timestamp(req->timestamp, ts))
        return "X-timestamp tidak valid";
    if (*ts < now - STUB_BPJS_TIMESTAMP_WINDOW || *ts > now + STUB_BPJS_TIMESTAMP_WINDOW)
        return "X-timestamp kedaluwarsa";
    char want[VK_BPJS_SIGNATURE_LEN + 1], err[128];
    if (vk_bpjs_signature(cred->cons_id, cred->secret, *ts, want, err, sizeof err)) {
        *internal = true;
        return "cannot compute the signature";
    }
    bool ok = req->signature && strlen(req->signature) == VK_BPJS_SIGNATURE_LEN &&
              CRYPTO_memcmp(req->signature, want, VK_BPJS_SIGNATURE_LEN) == 0;
    OPENSSL_cleanse(want, sizeof want);
    if (!ok)
        return "Signature tidak valid";
    if (!secret_equal(req->user_key, cred->user_key))
        return "user_key tidak valid";
    return NULL;
}

/* The ciphertext of a participant, appended to @p out (NUL-terminated). */
static int bpjs_ciphertext(const stub_person *p, const stub_bpjs_credentials *cred, int64_t ts,
                           vk_buf *out, char *err, size_t errlen) {
    int y, m, d;
    char birth[16], sex[2] = {p->sex, '\0'};
    vk_date_from_days(p->birth_date, &y, &m, &d);
    snprintf(birth, sizeof birth, "%04d-%02d-%02d", y, m, d);
    json_t *root = json_pack("{s:{s:s, s:s, s:o, s:s, s:s, s:{s:s, s:s}, s:{s:s, s:s}}}", "peserta",
                             "nik", p->nik, "nama", p->name, "noKartu",
                             p->card_no[0] ? json_string(p->card_no) : json_null(), "sex", sex,
                             "tglLahir", birth, "statusPeserta", "kode", "0", "keterangan", "AKTIF",
                             "jenisPeserta", "kode", "1", "keterangan", "PBI (APBN)");
    char *plain = root ? json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    json_decref(root);
    if (!plain)
        return vk_errf(err, errlen, "cannot build the participant JSON");
    vk_buf lz = VK_BUF_INIT;
    int rc = vk_lzstring_compress_uri(plain, strlen(plain), &lz, err, errlen);
    if (rc == 0)
        rc = vk_bpjs_encrypt((const char *)lz.data, lz.len, cred->cons_id, cred->secret, ts, out,
                             err, errlen);
    free(plain);
    vk_buf_free(&lz);
    return rc;
}

void stub_bpjs_answer(const stub_people *people, const stub_bpjs_credentials *cred,
                      const stub_bpjs_request *req, int64_t now, stub_answer *out) {
    char nik[40], date[40];
    if (!bpjs_route(req->path, nik, sizeof nik, date, sizeof date)) {
        bpjs_envelope(out, 404, STUB_BAD_REQUEST, "400",
                      "Path tidak dikenal: gunakan /Peserta/nik/{nik}/tglSEP/{yyyy-MM-dd}", NULL);
        return;
    }
    if (!req->method || strcmp(req->method, "GET") != 0) {
        bpjs_envelope(out, 405, STUB_BAD_REQUEST, "405", "Method tidak diizinkan: gunakan GET",
                      NULL);
        return;
    }
    int64_t ts = 0;
    bool internal;
    const char *refusal = bpjs_auth(cred, req, now, &ts, &internal);
    if (refusal && internal) {
        bpjs_envelope(out, 500, STUB_FAILED, "500", "Internal Server Error", NULL);
        snprintf(out->note, sizeof out->note, "%s", refusal);
        return;
    }
    if (refusal) {
        bpjs_envelope(out, 200, STUB_REFUSED_AUTH, "401", refusal, NULL);
        return;
    }
    int32_t sep;
    if (!all_digits(nik, 16)) {
        bpjs_envelope(out, 200, STUB_BAD_REQUEST, "400", "NIK harus 16 digit", NULL);
        return;
    }
    if (parse_date_strict(date, false, &sep)) {
        bpjs_envelope(out, 200, STUB_BAD_REQUEST, "400", "tglSEP bukan tanggal yyyy-MM-dd", NULL);
        return;
    }
    const stub_person *p = stub_people_find(people, nik);
    if (!p) {
        bpjs_envelope(out, 200, STUB_NOT_FOUND, "201", "Peserta tidak ditemukan", NULL);
        return;
    }
    vk_buf ct = VK_BUF_INIT;
    char err[160];
    if (bpjs_ciphertext(p, cred, ts, &ct, err, sizeof err)) {
        bpjs_envelope(out, 500, STUB_FAILED, "500", "Internal Server Error", NULL);
        snprintf(out->note, sizeof out->note, "%s", err);
    } else {
        bpjs_envelope(out, 200, STUB_FOUND, "200", "OK", (const char *)ct.data);
    }
    vk_buf_free(&ct);
}

/* ------------------------------------------------------------------------------------------ */
/* Dukcapil                                                                                    */

/* Decodes UTF-8 into code points (an invalid byte counts as one code point of its own). */
static size_t decode_utf8(const char *s, uint32_t *out) {
    const unsigned char *u = (const unsigned char *)s;
    size_t n = 0;
    while (*u) {
        uint32_t c = *u;
        int more = c >= 0xf0 && c < 0xf8 ? 3 : c >= 0xe0 ? 2 : c >= 0xc0 ? 1 : 0;
        if (c >= 0xf8)
            more = 0;
        int k = 0;
        uint32_t cp = more ? c & (0x3fu >> more) : c;
        while (k < more && (u[k + 1] & 0xc0) == 0x80) {
            cp = (cp << 6) | (u[k + 1] & 0x3f);
            k++;
        }
        if (k < more) { /* truncated sequence: the lead byte alone */
            cp = c;
            k = 0;
        }
        out[n++] = cp;
        u += 1 + k;
    }
    return n;
}

int stub_name_score(const char *a, const char *b) {
    size_t la = strlen(a), lb = strlen(b);
    uint32_t *ca = malloc((la + 1) * sizeof *ca), *cb = malloc((lb + 1) * sizeof *cb);
    size_t *row = malloc((lb + 1) * sizeof *row);
    int score = 0;
    if (ca && cb && row) {
        size_t na = decode_utf8(a, ca), nb = decode_utf8(b, cb);
        /* Levenshtein, one row: row[j] = distance(ca[0..i), cb[0..j)). */
        for (size_t j = 0; j <= nb; j++)
            row[j] = j;
        for (size_t i = 1; i <= na; i++) {
            size_t diag = row[0];
            row[0] = i;
            for (size_t j = 1; j <= nb; j++) {
                size_t up = row[j];
                size_t best = diag + (ca[i - 1] != cb[j - 1]);
                if (up + 1 < best)
                    best = up + 1;
                if (row[j - 1] + 1 < best)
                    best = row[j - 1] + 1;
                row[j] = best;
                diag = up;
            }
        }
        size_t longest = na > nb ? na : nb;
        score = longest ? (int)(100 * (longest - row[nb]) / longest) : 100;
    }
    free(ca);
    free(cb);
    free(row);
    return score;
}

/* A request, read and checked. */
typedef struct dukcapil_request {
    const char *nik, *user_id, *password, *ip_user;
    double threshold;
    bool has_name, has_birth, has_sex;
    char name_norm[128];
    int32_t birth_date;
    char sex;
} dukcapil_request;

/* A string member that must be there; NULL with @p why set otherwise. */
static const char *required_string(json_t *o, const char *key, char *why, size_t whylen) {
    json_t *v = json_object_get(o, key);
    if (!json_is_string(v)) {
        snprintf(why, whylen, "%s %s", key, v ? "bukan string" : "tidak ada");
        return NULL;
    }
    return json_string_value(v);
}

/* Reads the body into @p r (pointers into @p o); -1 with @p why (Indonesian, like the service). */
static int dukcapil_read(json_t *o, dukcapil_request *r, char *why, size_t whylen) {
    memset(r, 0, sizeof *r);
    if (!(r->nik = required_string(o, "NIK", why, whylen)))
        return -1;
    if (!all_digits(r->nik, 16))
        return vk_errf(why, whylen, "NIK harus 16 digit");
    if (!(r->user_id = required_string(o, "USER_ID", why, whylen)) ||
        !(r->password = required_string(o, "PASSWORD", why, whylen)) ||
        !(r->ip_user = required_string(o, "IP_USER", why, whylen)))
        return -1;
    json_t *t = json_object_get(o, "TRESHOLD");
    if (!json_is_number(t) || json_number_value(t) < 0 || json_number_value(t) > 100)
        return vk_errf(why, whylen, "TRESHOLD %s", t ? "bukan angka 0 sampai 100" : "tidak ada");
    r->threshold = json_number_value(t);

    json_t *v = json_object_get(o, "NAMA_LGKP");
    if (v && !json_is_null(v)) {
        char nerr[128];
        if (!json_is_string(v))
            return vk_errf(why, whylen, "NAMA_LGKP bukan string");
        if (vk_name_normalize(json_string_value(v), r->name_norm, sizeof r->name_norm, nerr,
                              sizeof nerr))
            return vk_errf(why, whylen, "NAMA_LGKP: %s", nerr);
        r->has_name = true;
    }
    v = json_object_get(o, "TGL_LHR");
    if (v && !json_is_null(v)) {
        if (!json_is_string(v) || parse_date_strict(json_string_value(v), true, &r->birth_date))
            return vk_errf(why, whylen, "TGL_LHR bukan tanggal dd-mm-yyyy");
        r->has_birth = true;
    }
    v = json_object_get(o, "JENIS_KLMIN");
    if (v && !json_is_null(v)) {
        const char *s = json_is_string(v) ? json_string_value(v) : "";
        if (strcasecmp(s, vk_dukcapil_sex_word('L')) == 0)
            r->sex = 'L';
        else if (strcasecmp(s, vk_dukcapil_sex_word('P')) == 0)
            r->sex = 'P';
        else
            return vk_errf(why, whylen, "JENIS_KLMIN bukan %s atau %s", vk_dukcapil_sex_word('L'),
                           vk_dukcapil_sex_word('P'));
        r->has_sex = true;
    }
    return 0;
}

/* "Sesuai (s)" or "Tidak Sesuai (s)" into @p o under @p key. */
static int put_verdict(json_t *o, const char *key, int score, double threshold) {
    char text[32];
    snprintf(text, sizeof text, "%s (%d)", score >= threshold ? "Sesuai" : "Tidak Sesuai", score);
    return json_object_set_new(o, key, json_string(text));
}

void stub_dukcapil_answer(const stub_people *people, const stub_dukcapil_credentials *cred,
                          const char *method, const char *body, size_t len, stub_answer *out) {
    if (!method || strcmp(method, "POST") != 0) {
        dukcapil_respon(out, 405, STUB_BAD_REQUEST, "Method tidak diizinkan: gunakan POST");
        return;
    }
    char why[200];
    json_error_t je;
    json_t *root = body ? json_loadb(body, len, 0, &je) : NULL;
    dukcapil_request r;
    memset(&r, 0, sizeof r);
    bool bad = true;
    if (!root)
        vk_errf(why, sizeof why, "body bukan JSON (%s)", body ? je.text : "kosong");
    else if (!json_is_object(root))
        vk_errf(why, sizeof why, "body bukan objek JSON");
    else
        bad = dukcapil_read(root, &r, why, sizeof why) != 0;
    if (bad) {
        char respon[240];
        snprintf(respon, sizeof respon, "Format permintaan salah: %s", why);
        dukcapil_respon(out, 400, STUB_BAD_REQUEST, respon);
        json_decref(root);
        return;
    }
    /* Every check runs, so the time taken does not tell which credential was wrong. */
    bool ok = cred->user_id && strcmp(r.user_id, cred->user_id) == 0;
    ok &= cred->ip_user && strcmp(r.ip_user, cred->ip_user) == 0;
    ok &= secret_equal(r.password, cred->password);
    if (!ok) {
        dukcapil_respon(out, 200, STUB_REFUSED_AUTH, "User ID atau Password salah");
        json_decref(root);
        return;
    }
    const stub_person *p = stub_people_find(people, r.nik);
    if (!p) {
        dukcapil_respon(out, 200, STUB_NOT_FOUND, "Data Tidak Ditemukan");
        json_decref(root);
        return;
    }
    json_t *entry = json_object();
    int err = !entry || json_object_set_new(entry, "NIK", json_string("Sesuai (100)"));
    if (!err && r.has_name)
        err = put_verdict(entry, "NAMA_LGKP", stub_name_score(r.name_norm, p->name_norm),
                          r.threshold);
    if (!err && r.has_birth)
        err = put_verdict(entry, "TGL_LHR", r.birth_date == p->birth_date ? 100 : 0, r.threshold);
    if (!err && r.has_sex)
        err = put_verdict(entry, "JENIS_KLMIN", r.sex == p->sex ? 100 : 0, r.threshold);
    json_decref(root);
    begin(out, 200, STUB_FOUND, "found");
    if (err) {
        json_decref(entry);
        set_body(out, NULL);
        return;
    }
    set_body(out, json_pack("{s:[o]}", "content", entry));
}

/* ------------------------------------------------------------------------------------------ */
/* Runtime control                                                                             */

#define STUB_MAX_DELAY_MS 600000

int stub_control_apply(stub_settings *s, const char *body, size_t len, char *err, size_t errlen) {
    json_error_t je;
    json_t *root = json_loadb(body ? body : "", body ? len : 0, 0, &je);
    if (!json_is_object(root)) {
        json_decref(root);
        return vk_errf(err, errlen, "the body is not a JSON object%s%s", root ? "" : ": ",
                       root ? "" : je.text);
    }
    stub_settings next = *s;
    const char *key;
    json_t *v;
    int rc = 0;
    json_object_foreach(root, key, v) {
        if (strcmp(key, "latency_ms") == 0 || strcmp(key, "jitter_ms") == 0) {
            if (!json_is_integer(v) || json_integer_value(v) < 0 ||
                json_integer_value(v) > STUB_MAX_DELAY_MS) {
                rc = vk_errf(err, errlen, "%s must be an integer from 0 to %d", key,
                             STUB_MAX_DELAY_MS);
                break;
            }
            *(key[0] == 'l' ? &next.latency_ms : &next.jitter_ms) = (long)json_integer_value(v);
        } else if (strcmp(key, "fail_rate") == 0 || strcmp(key, "hang_rate") == 0) {
            if (!json_is_number(v) || json_number_value(v) < 0 || json_number_value(v) > 1) {
                rc = vk_errf(err, errlen, "%s must be a number from 0 to 1", key);
                break;
            }
            *(key[0] == 'f' ? &next.fail_rate : &next.hang_rate) = json_number_value(v);
        } else if (strcmp(key, "down") == 0) {
            if (!json_is_boolean(v)) {
                rc = vk_errf(err, errlen, "down must be true or false");
                break;
            }
            next.down = json_is_true(v);
        } else {
            rc = vk_errf(
                err, errlen,
                "unknown key \"%.40s\" (latency_ms, jitter_ms, fail_rate, hang_rate, down)", key);
            break;
        }
    }
    json_decref(root);
    if (rc == 0)
        *s = next;
    return rc;
}

/* Appends @p root (decref'd) as compact JSON and a NUL. */
static int append_json(vk_buf *out, json_t *root) {
    char *text = root ? json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    json_decref(root);
    int rc = text && vk_buf_reserve(out, strlen(text) + 1) == 0 ? 0 : -1;
    if (rc == 0) {
        vk_buf_append_str(out, text);
        out->data[out->len] = '\0';
    }
    free(text);
    return rc;
}

int stub_settings_json(const stub_settings *s, vk_buf *out) {
    return append_json(out, json_pack("{s:I, s:I, s:f, s:f, s:b}", "latency_ms",
                                      (json_int_t)s->latency_ms, "jitter_ms",
                                      (json_int_t)s->jitter_ms, "fail_rate", s->fail_rate,
                                      "hang_rate", s->hang_rate, "down", (int)s->down));
}

int stub_stats_json(const stub_stats *s, vk_buf *out) {
    return append_json(
        out,
        json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "requests", (json_int_t)s->requests,
                  "answered_found", (json_int_t)s->answered_found, "answered_not_found",
                  (json_int_t)s->answered_not_found, "refused_auth", (json_int_t)s->refused_auth,
                  "bad_request", (json_int_t)s->bad_request, "failed", (json_int_t)s->failed,
                  "hung", (json_int_t)s->hung, "connections", (json_int_t)s->connections));
}
