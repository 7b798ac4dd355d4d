/*
 * vk_catalog.c — see vk_catalog.h.
 *
 * The catalog is small (a dozen vaccines) and read once at start-up, so it is a plain array
 * searched linearly; what matters is that a bad file stops the program with a message that
 * names the file, the line and the problem, instead of running with a half-read catalog. The
 * file is parsed with the shared RFC 4180 parser (vk_csv), so a quoted name may hold a comma,
 * and the header may list the four columns in any order (case and surrounding blanks ignored).
 *
 * Loading is all-or-nothing: the catalog is built in a local and moved into the caller's only
 * when every row passed, so on failure the caller holds an empty catalog (safe to free).
 *
 * Limits checked on the file, beyond the header's contract: doses at most VK_MAX_DOSES (a
 * series longer than the dose table could never be completed) and an interval at most
 * VK_CATALOG_MAX_INTERVAL_DAYS (a typo such as 2800 for 28 would otherwise block every second
 * dose for years). The screening limits are parsed here rather than with
 * vk_config_get_double/int, which fall back to the default on a malformed value: a safety limit
 * that is mistyped must stop the program, not be silently replaced.
 */
#include "vk_catalog.h"

#include "vk_csv.h"
#include "vk_dose.h"
#include "vk_err.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* The design's defaults (§4); config/vaccines.csv holds the same rows (a unit test checks). */
static const vk_vaccine default_vaccines[] = {
    {"CORONAVAC", "CoronaVac (Sinovac)", 2, 28},
    {"BIOFARMA", "COVID-19 Vaccine Bio Farma", 2, 28},
    {"ASTRAZENECA", "Vaxzevria (AstraZeneca)", 2, 84},
    {"PFIZER", "Comirnaty (Pfizer-BioNTech)", 2, 21},
    {"MODERNA", "Spikevax (Moderna)", 2, 28},
    {"SINOPHARM", "BBIBP-CorV (Sinopharm)", 2, 21},
    {"NOVAVAX", "Nuvaxovid (Novavax)", 2, 21},
    {"SPUTNIK_V", "Sputnik V (Gamaleya)", 2, 21},
    {"JANSSEN", "Janssen COVID-19 Vaccine (Johnson & Johnson)", 1, 0},
    {"CONVIDECIA", "Convidecia (CanSino)", 1, 0},
    {"ZIFIVAX", "Zifivax (Anhui Zhifei Longcom)", 3, 30},
};
#define N_DEFAULTS (sizeof default_vaccines / sizeof *default_vaccines)

static const vk_screening_limits default_limits = {37.5, 180, 110};

static void catalog_clear(vk_catalog *cat) {
    cat->vaccines = NULL;
    cat->n = 0;
    cat->limits = default_limits;
}

int vk_catalog_defaults(vk_catalog *cat) {
    catalog_clear(cat);
    cat->vaccines = malloc(sizeof default_vaccines);
    if (!cat->vaccines)
        return -1;
    memcpy(cat->vaccines, default_vaccines, sizeof default_vaccines);
    cat->n = N_DEFAULTS;
    return 0;
}

const vk_vaccine *vk_catalog_find(const vk_catalog *cat, const char *code) {
    if (!cat || !code)
        return NULL;
    for (size_t i = 0; i < cat->n; i++)
        if (strcmp(cat->vaccines[i].code, code) == 0)
            return &cat->vaccines[i];
    return NULL;
}

void vk_catalog_free(vk_catalog *cat) {
    if (!cat)
        return;
    free(cat->vaccines);
    cat->vaccines = NULL;
    cat->n = 0;
}

/* ---- The CSV file ---- */

enum column { COL_CODE, COL_NAME, COL_DOSES, COL_INTERVAL, N_COLS };
static const char *const column_names[N_COLS] = {"code", "name", "doses", "min_interval_days"};
#define COLUMNS_TEXT "code,name,doses,min_interval_days"

/** A field without its surrounding blanks: a view into the parser's buffer, not NUL-terminated. */
typedef struct span {
    const char *p;
    size_t len;
} span;

typedef struct loader {
    const char *path;
    char *err;
    size_t errlen;
    bool have_header;
    int col[N_COLS];        /* field index of each column */
    size_t width;           /* fields in the header */
    vk_catalog cat;         /* being built */
    unsigned long *line_of; /* line of each vaccine, for "already on line N" */
    size_t cap;
} loader;

static span trimmed(const vk_csv_field *f) {
    span s = {f->data, f->len};
    while (s.len && (*s.p == ' ' || *s.p == '\t')) {
        s.p++;
        s.len--;
    }
    while (s.len && (s.p[s.len - 1] == ' ' || s.p[s.len - 1] == '\t'))
        s.len--;
    return s;
}

/** @brief Writes "path:line: <message>" into the loader's error buffer; returns 1 (stop). */
__attribute__((format(printf, 3, 4))) static int fail(loader *l, unsigned long line,
                                                      const char *fmt, ...) {
    if (!l->err || !l->errlen)
        return 1;
    int n = snprintf(l->err, l->errlen, "%s:%lu: ", l->path, line);
    if (n >= 0 && (size_t)n < l->errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(l->err + n, l->errlen - (size_t)n, fmt, ap);
        va_end(ap);
    }
    return 1;
}

static int parse_header(loader *l, const vk_csv_row *row) {
    for (int c = 0; c < N_COLS; c++)
        l->col[c] = -1;
    for (size_t i = 0; i < row->n; i++) {
        span s = trimmed(&row->fields[i]);
        int c = 0;
        while (c < N_COLS &&
               !(strlen(column_names[c]) == s.len && strncasecmp(column_names[c], s.p, s.len) == 0))
            c++;
        if (c == N_COLS)
            return fail(l, row->line,
                        "unknown column \"%.*s\" in the header (expected " COLUMNS_TEXT ")",
                        (int)s.len, s.p);
        if (l->col[c] >= 0)
            return fail(l, row->line, "column %s appears twice in the header", column_names[c]);
        l->col[c] = (int)i;
    }
    for (int c = 0; c < N_COLS; c++)
        if (l->col[c] < 0)
            return fail(l, row->line, "no %s column in the header (expected " COLUMNS_TEXT ")",
                        column_names[c]);
    l->width = row->n;
    l->have_header = true;
    return 0;
}

static bool code_char(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

static int check_code(loader *l, unsigned long line, span s, char out[32]) {
    if (s.len == 0)
        return fail(l, line, "empty vaccine code");
    if (s.len >= 32)
        return fail(l, line, "vaccine code \"%.*s\" is longer than 31 characters", (int)s.len, s.p);
    for (size_t i = 0; i < s.len; i++)
        if (!code_char(s.p[i]))
            return fail(
                l, line,
                "vaccine code \"%.*s\": only upper-case letters, digits and '_' are allowed",
                (int)s.len, s.p);
    for (size_t i = 0; i < l->cat.n; i++)
        if (strlen(l->cat.vaccines[i].code) == s.len &&
            memcmp(l->cat.vaccines[i].code, s.p, s.len) == 0)
            return fail(l, line, "vaccine code %.*s appears twice (already on line %lu)",
                        (int)s.len, s.p, l->line_of[i]);
    memcpy(out, s.p, s.len);
    out[s.len] = '\0';
    return 0;
}

static int check_name(loader *l, unsigned long line, span s, char out[96]) {
    if (s.len == 0)
        return fail(l, line, "empty vaccine name");
    if (s.len >= 96)
        return fail(l, line, "vaccine name is longer than 95 bytes");
    for (size_t i = 0; i < s.len; i++)
        if ((unsigned char)s.p[i] < 0x20 || s.p[i] == 0x7f)
            return fail(l, line, "vaccine name holds a line break or control character");
    memcpy(out, s.p, s.len);
    out[s.len] = '\0';
    return 0;
}

/** @brief A whole number with an optional '-', at most 9 digits (so it fits an int). */
static bool parse_whole(span s, int *out) {
    size_t i = 0;
    bool neg = s.len > 0 && s.p[0] == '-';
    if (neg)
        i++;
    if (i == s.len || s.len - i > 9)
        return false;
    int v = 0;
    for (; i < s.len; i++) {
        if (s.p[i] < '0' || s.p[i] > '9')
            return false;
        v = v * 10 + (s.p[i] - '0');
    }
    *out = neg ? -v : v;
    return true;
}

static int check_numbers(loader *l, unsigned long line, span doses, span interval, vk_vaccine *v) {
    if (!parse_whole(doses, &v->doses))
        return fail(l, line, "doses \"%.*s\" is not a whole number", (int)doses.len, doses.p);
    if (v->doses < 1 || v->doses > VK_MAX_DOSES)
        return fail(l, line, "doses %d is outside 1..%d", v->doses, VK_MAX_DOSES);
    if (!parse_whole(interval, &v->min_interval_days))
        return fail(l, line, "min_interval_days \"%.*s\" is not a whole number", (int)interval.len,
                    interval.p);
    if (v->min_interval_days < 0 || v->min_interval_days > VK_CATALOG_MAX_INTERVAL_DAYS)
        return fail(l, line, "min_interval_days %d is outside 0..%d", v->min_interval_days,
                    VK_CATALOG_MAX_INTERVAL_DAYS);
    if (v->doses > 1 && v->min_interval_days == 0)
        return fail(l, line, "min_interval_days must be more than 0 for a %d-dose vaccine",
                    v->doses);
    return 0;
}

static int append(loader *l, const vk_vaccine *v, unsigned long line) {
    if (l->cat.n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 16;
        vk_vaccine *vs = realloc(l->cat.vaccines, cap * sizeof *vs);
        if (!vs)
            return fail(l, line, "out of memory");
        l->cat.vaccines = vs;
        unsigned long *lines = realloc(l->line_of, cap * sizeof *lines);
        if (!lines)
            return fail(l, line, "out of memory");
        l->line_of = lines;
        l->cap = cap;
    }
    l->cat.vaccines[l->cat.n] = *v;
    l->line_of[l->cat.n++] = line;
    return 0;
}

static int parse_vaccine(loader *l, const vk_csv_row *row) {
    if (row->n != l->width)
        return fail(l, row->line, "%zu fields, expected %zu (" COLUMNS_TEXT ")", row->n, l->width);
    vk_vaccine v;
    memset(&v, 0, sizeof v);
    if (check_code(l, row->line, trimmed(&row->fields[l->col[COL_CODE]]), v.code) ||
        check_name(l, row->line, trimmed(&row->fields[l->col[COL_NAME]]), v.name) ||
        check_numbers(l, row->line, trimmed(&row->fields[l->col[COL_DOSES]]),
                      trimmed(&row->fields[l->col[COL_INTERVAL]]), &v))
        return 1;
    return append(l, &v, row->line);
}

static int on_row(const vk_csv_row *row, void *ctx) {
    loader *l = ctx;
    if (row->error)
        return fail(l, row->line, "malformed CSV: %s", row->error);
    return l->have_header ? parse_vaccine(l, row) : parse_header(l, row);
}

/** @brief Streams the file through the CSV parser. 0, or -1 with the error already written. */
static int parse_file(loader *l, FILE *f) {
    vk_csv *csv = vk_csv_new(',');
    if (!csv)
        return vk_errf(l->err, l->errlen, "%s: out of memory", l->path);
    char buf[8192];
    int rc = 0;
    size_t got;
    while (rc == 0 && (got = fread(buf, 1, sizeof buf, f)) > 0)
        rc = vk_csv_feed(csv, buf, got, on_row, l);
    if (rc == 0 && ferror(f))
        rc = vk_errf(l->err, l->errlen, "%s: read error: %s", l->path, strerror(errno));
    if (rc == 0)
        rc = vk_csv_finish(csv, on_row, l);
    vk_csv_destroy(csv);
    if (rc == -1 && l->err && l->errlen && !*l->err)
        vk_errf(l->err, l->errlen, "%s: out of memory", l->path);
    return rc ? -1 : 0;
}

int vk_catalog_load(vk_catalog *cat, const char *path, char *err, size_t errlen) {
    catalog_clear(cat);
    if (err && errlen)
        err[0] = '\0';
    loader l;
    memset(&l, 0, sizeof l);
    l.path = path;
    l.err = err;
    l.errlen = errlen;
    catalog_clear(&l.cat);
    FILE *f = fopen(path, "rb");
    if (!f)
        return vk_errf(err, errlen, "%s: cannot open the vaccine catalog: %s", path,
                       strerror(errno));
    int rc = parse_file(&l, f);
    fclose(f);
    if (rc == 0 && !l.have_header)
        rc = vk_errf(err, errlen, "%s: empty file (expected the header " COLUMNS_TEXT ")", path);
    else if (rc == 0 && l.cat.n == 0)
        rc = vk_errf(err, errlen, "%s: no vaccines after the header", path);
    free(l.line_of);
    if (rc != 0) {
        vk_catalog_free(&l.cat);
        return -1;
    }
    *cat = l.cat;
    return 0;
}

/* ---- The screening limits ---- */

static int limit_double(const vk_config *cfg, const char *key, double lo, double hi, double *out,
                        char *err, size_t errlen) {
    const char *v = cfg ? vk_config_get(cfg, key, NULL) : NULL;
    if (!v || !*v)
        return 0;
    char *end;
    double x = strtod(v, &end);
    if (end == v || *end)
        return vk_errf(err, errlen, "%s = \"%s\": not a number (°C, %g to %g)", key, v, lo, hi);
    if (!(x >= lo && x <= hi))
        return vk_errf(err, errlen, "%s = %s: outside %g to %g °C", key, v, lo, hi);
    *out = x;
    return 0;
}

static int limit_int(const vk_config *cfg, const char *key, int lo, int hi, int *out, char *err,
                     size_t errlen) {
    const char *v = cfg ? vk_config_get(cfg, key, NULL) : NULL;
    if (!v || !*v)
        return 0;
    span s = {v, strlen(v)};
    int x;
    if (!parse_whole(s, &x))
        return vk_errf(err, errlen, "%s = \"%s\": not a whole number (mmHg, %d to %d)", key, v, lo,
                       hi);
    if (x < lo || x > hi)
        return vk_errf(err, errlen, "%s = %d: outside %d to %d mmHg", key, x, lo, hi);
    *out = x;
    return 0;
}

static int read_limits(const vk_config *cfg, vk_screening_limits *lim, char *err, size_t errlen) {
    *lim = default_limits;
    if (limit_double(cfg, "screening.max.temperature.c", 35.0, 42.0, &lim->max_temperature_c, err,
                     errlen) ||
        limit_int(cfg, "screening.max.systolic", 50, 300, &lim->max_systolic, err, errlen) ||
        limit_int(cfg, "screening.max.diastolic", 50, 300, &lim->max_diastolic, err, errlen))
        return -1;
    if (lim->max_diastolic >= lim->max_systolic)
        return vk_errf(err, errlen,
                       "screening.max.diastolic (%d) must be below screening.max.systolic (%d)",
                       lim->max_diastolic, lim->max_systolic);
    return 0;
}

int vk_catalog_from_config(vk_catalog *cat, const vk_config *cfg, char *err, size_t errlen) {
    const char *file = cfg ? vk_config_get(cfg, "vaccines.file", NULL) : NULL;
    vk_catalog c;
    if (file && *file) {
        if (vk_catalog_load(&c, file, err, errlen) != 0) {
            catalog_clear(cat);
            return -1;
        }
    } else if (vk_catalog_defaults(&c) != 0) {
        catalog_clear(cat);
        return vk_errf(err, errlen, "vaccine catalog: out of memory");
    }
    if (read_limits(cfg, &c.limits, err, errlen) != 0) {
        vk_catalog_free(&c);
        catalog_clear(cat);
        return -1;
    }
    *cat = c;
    return 0;
}
