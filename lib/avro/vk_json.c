/*
 * vk_json.c — natural JSON <-> Avro values, generic over any avro-c schema (see vk_codec.h).
 *
 * Who uses it: the submit tool (JSON lines → requests), dumps, trails and audits (Avro → JSON).
 * Neither is a hot path, so the code favours precise errors over speed.
 *
 * What avro-c forgets. avro-c 1.11 parses a schema into avro_schema_t and drops two things we
 * need: "logicalType" (so a date is a bare int) and field "default"s. Both are kept here in a
 * side table built from the schema JSON text: for every record field, keyed by
 * "<record full name>.<field name>" (field names cannot hold a dot, so the key is unambiguous),
 * the field's default (as JSON) and the logical type of the int and of the long found anywhere
 * in the field's type, through nullable unions, arrays and maps. A union cannot hold two ints,
 * so "the int of this field" names one thing in every schema of the contract; a field whose
 * type nests two ints at different depths (an array of dates in a union with a map of times)
 * would share one logical type — an oddity no real schema has. The table starts with the
 * embedded contract (vk_embedded_schemas) and vk_json_register_schema adds more.
 *
 * Natural JSON, the rules in both directions:
 *  - records are objects; unknown members are refused (a typo must not silently drop data);
 *    a missing member takes the schema default, else "missing required field";
 *  - unions: null, or the value itself; Avro-JSON's {"<branch name>": value} wrapper is accepted
 *    too. A branch is picked by the JSON kind (string → string/bytes/enum/fixed/date/timestamp,
 *    number → int/long/float/double, object → record/map, …), trying candidates in schema order.
 *    When a union holds more than one record (the TargetEvent payload) the output names the
 *    branch in a "type" member ({"type":"Registered", …}) and the input honours it; without it
 *    the first record branch that accepts the object wins;
 *  - date: "YYYY-MM-DD" or days since 1970-01-01; timestamp-millis/-micros: RFC 3339 text
 *    ("2021-02-01T23:30:00.123Z", any offset) or the number; output is always UTC text;
 *  - bytes and fixed: base64 (the output form), so a dump can be fed back. Schema defaults of
 *    bytes follow the Avro specification instead (one code point 0-255 per byte);
 *  - float/double NaN and infinities, which JSON lacks, are the strings "NaN", "Infinity",
 *    "-Infinity".
 *
 * Error messages name the field path ("changes.birth_date", "answers[2].yes", "m[\"k\"]").
 */
#include "vk_codec.h"
#include "vk_schemas.h"
#include "vk_time.h"

#include <math.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------------------------------ */
/* Logical types and the side table                                                            */
/* ------------------------------------------------------------------------------------------ */

typedef enum lt {
    LT_NONE = 0,
    LT_DATE,      /* int: days since 1970-01-01 */
    LT_TS_MILLIS, /* long: ms since the epoch, UTC */
    LT_TS_MICROS, /* long: µs since the epoch, UTC */
} lt;

/* The logical types that apply below one field. */
typedef struct lt_pair {
    lt int_lt;
    lt long_lt;
} lt_pair;

typedef struct field_info {
    char *key;   /* "<record full name>.<field name>" */
    json_t *def; /* the default, or NULL when the field has none */
    lt_pair lt;
} field_info;

static struct {
    pthread_once_t once;
    pthread_rwlock_t lock;
    field_info *v; /* sorted by key */
    size_t n, cap;
} table = {PTHREAD_ONCE_INIT, PTHREAD_RWLOCK_INITIALIZER, NULL, 0, 0};

static lt lt_from_name(const char *type, const char *logical) {
    if (!logical || !type)
        return LT_NONE;
    if (strcmp(type, "int") == 0 && strcmp(logical, "date") == 0)
        return LT_DATE;
    if (strcmp(type, "long") == 0 && strcmp(logical, "timestamp-millis") == 0)
        return LT_TS_MILLIS;
    if (strcmp(type, "long") == 0 && strcmp(logical, "timestamp-micros") == 0)
        return LT_TS_MICROS;
    return LT_NONE;
}

/* The logical types of the int and long reachable from a field's type, without entering named
 * records (their fields have entries of their own). */
static void field_lt(json_t *type, lt_pair *out) {
    if (json_is_array(type)) {
        size_t i;
        json_t *b;
        json_array_foreach(type, i, b) {
            field_lt(b, out);
        }
        return;
    }
    if (!json_is_object(type))
        return;
    json_t *t = json_object_get(type, "type");
    if (!json_is_string(t)) {
        if (t)
            field_lt(t, out);
        return;
    }
    const char *tn = json_string_value(t);
    if (strcmp(tn, "array") == 0) {
        field_lt(json_object_get(type, "items"), out);
    } else if (strcmp(tn, "map") == 0) {
        field_lt(json_object_get(type, "values"), out);
    } else {
        lt l = lt_from_name(tn, json_string_value(json_object_get(type, "logicalType")));
        if (l == LT_DATE)
            out->int_lt = l;
        else if (l != LT_NONE)
            out->long_lt = l;
    }
}

static int cmp_key(const void *a, const void *b) {
    return strcmp(((const field_info *)a)->key, ((const field_info *)b)->key);
}

/* Adds one entry; the first registration of a key wins. Caller holds the write lock. */
static int table_add(const char *key, json_t *def, lt_pair l) {
    field_info probe = {(char *)key, NULL, {LT_NONE, LT_NONE}};
    if (table.n && bsearch(&probe, table.v, table.n, sizeof *table.v, cmp_key))
        return 0;
    if (table.n == table.cap) {
        size_t cap = table.cap ? table.cap * 2 : 256;
        field_info *p = realloc(table.v, cap * sizeof *p);
        if (!p)
            return -1;
        table.v = p;
        table.cap = cap;
    }
    char *k = strdup(key);
    if (!k)
        return -1;
    /* Insertion sort step: registrations are rare and small. */
    size_t i = table.n;
    while (i > 0 && strcmp(table.v[i - 1].key, k) > 0) {
        table.v[i] = table.v[i - 1];
        i--;
    }
    table.v[i].key = k;
    table.v[i].def = def ? json_deep_copy(def) : NULL;
    table.v[i].lt = l;
    table.n++;
    return 0;
}

/* Walks a schema JSON tree, registering every record's fields. @p ns is the enclosing
 * namespace (spec: a name without a dot takes the nearest enclosing namespace). */
static int walk_schema(json_t *s, const char *ns, char *err, size_t errlen) {
    if (json_is_array(s)) {
        size_t i;
        json_t *b;
        json_array_foreach(s, i, b) {
            if (walk_schema(b, ns, err, errlen))
                return -1;
        }
        return 0;
    }
    if (!json_is_object(s))
        return 0; /* a primitive or a reference to a named type */
    json_t *t = json_object_get(s, "type");
    if (!json_is_string(t))
        return t ? walk_schema(t, ns, err, errlen) : 0;
    const char *tn = json_string_value(t);
    if (strcmp(tn, "array") == 0)
        return walk_schema(json_object_get(s, "items"), ns, err, errlen);
    if (strcmp(tn, "map") == 0)
        return walk_schema(json_object_get(s, "values"), ns, err, errlen);
    if (strcmp(tn, "record") != 0 && strcmp(tn, "error") != 0)
        return 0;

    const char *name = json_string_value(json_object_get(s, "name"));
    if (!name) {
        snprintf(err, errlen, "a record has no name");
        return -1;
    }
    char full[512];
    const char *own_ns = json_string_value(json_object_get(s, "namespace"));
    const char *dot = strrchr(name, '.');
    if (!dot && own_ns && *own_ns)
        snprintf(full, sizeof full, "%s.%s", own_ns, name);
    else if (!dot && ns && *ns)
        snprintf(full, sizeof full, "%s.%s", ns, name);
    else
        snprintf(full, sizeof full, "%s", name); /* already full, or no namespace at all */
    /* The namespace nested types inherit: the one of the full name. */
    char inner_ns[512];
    const char *last = strrchr(full, '.');
    snprintf(inner_ns, sizeof inner_ns, "%.*s", last ? (int)(last - full) : 0, full);

    json_t *fields = json_object_get(s, "fields");
    if (!json_is_array(fields)) {
        snprintf(err, errlen, "record %s has no fields array", full);
        return -1;
    }
    size_t i;
    json_t *f;
    json_array_foreach(fields, i, f) {
        const char *fname = json_string_value(json_object_get(f, "name"));
        json_t *ftype = json_object_get(f, "type");
        if (!fname || !ftype) {
            snprintf(err, errlen, "record %s: field %zu has no name or type", full, i);
            return -1;
        }
        lt_pair l = {LT_NONE, LT_NONE};
        field_lt(ftype, &l);
        char key[768];
        snprintf(key, sizeof key, "%s.%s", full, fname);
        if (table_add(key, json_object_get(f, "default"), l)) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
        if (walk_schema(ftype, inner_ns, err, errlen))
            return -1;
    }
    return 0;
}

static int register_locked(const char *schema_json, char *err, size_t errlen) {
    json_error_t jerr;
    json_t *root = json_loads(schema_json, JSON_DECODE_ANY, &jerr);
    if (!root) {
        snprintf(err, errlen, "schema is not JSON: line %d: %s", jerr.line, jerr.text);
        return -1;
    }
    int rc = walk_schema(root, NULL, err, errlen);
    json_decref(root);
    return rc;
}

static void load_embedded(void) {
    char err[256];
    pthread_rwlock_wrlock(&table.lock);
    for (const vk_embedded_schema *e = vk_embedded_schemas; e->file; e++)
        if (register_locked(e->json, err, sizeof err))
            fprintf(stderr, "vk_json: embedded schema %s: %s\n", e->file, err);
    pthread_rwlock_unlock(&table.lock);
}

int vk_json_register_schema(const char *schema_json, char *err, size_t errlen) {
    pthread_once(&table.once, load_embedded);
    pthread_rwlock_wrlock(&table.lock);
    int rc = register_locked(schema_json, err, errlen);
    pthread_rwlock_unlock(&table.lock);
    return rc;
}

/* What the side table knows of field @p field of record schema @p rec. The default stays valid
 * for the life of the process (entries are never removed). */
static void field_lookup(avro_schema_t rec, const char *field, lt_pair *l, json_t **def) {
    pthread_once(&table.once, load_embedded);
    const char *ns = avro_schema_namespace(rec);
    char key[768];
    if (ns && *ns)
        snprintf(key, sizeof key, "%s.%s.%s", ns, avro_schema_name(rec), field);
    else
        snprintf(key, sizeof key, "%s.%s", avro_schema_name(rec), field);
    field_info probe = {key, NULL, {LT_NONE, LT_NONE}};
    pthread_rwlock_rdlock(&table.lock);
    const field_info *fi =
        table.n ? bsearch(&probe, table.v, table.n, sizeof *table.v, cmp_key) : NULL;
    if (fi) {
        *l = fi->lt;
        *def = fi->def;
    } else {
        l->int_lt = l->long_lt = LT_NONE;
        *def = NULL;
    }
    pthread_rwlock_unlock(&table.lock);
}

/* ------------------------------------------------------------------------------------------ */
/* Dates and timestamps                                                                        */
/* ------------------------------------------------------------------------------------------ */

/* Reads exactly @p n digits. */
static bool digits(const char **p, int n, int *out) {
    int v = 0;
    for (int i = 0; i < n; i++) {
        char c = (*p)[i];
        if (c < '0' || c > '9')
            return false;
        v = v * 10 + (c - '0');
    }
    *p += n;
    *out = v;
    return true;
}

/* "YYYY-MM-DD" at *p (calendar rules: vk_date_to_days); advances past it. */
static bool parse_ymd(const char **p, int64_t *days) {
    int y, m, d;
    int32_t dd;
    const char *s = *p;
    if (!digits(&s, 4, &y) || *s++ != '-' || !digits(&s, 2, &m) || *s++ != '-' ||
        !digits(&s, 2, &d) || vk_date_to_days(y, m, d, &dd))
        return false;
    *days = dd;
    *p = s;
    return true;
}

static bool parse_date(const char *s, int32_t *out) {
    int64_t days;
    if (!parse_ymd(&s, &days) || *s)
        return false;
    *out = (int32_t)days;
    return true;
}

/* RFC 3339 date-time ("T", "t" or a space between date and time; a fraction of any length,
 * truncated to @p per_second units; "Z" or ±HH:MM). */
static bool parse_timestamp(const char *s, int64_t per_second, int64_t *out) {
    int64_t days;
    int hh, mm, ss;
    if (!parse_ymd(&s, &days))
        return false;
    if (*s != 'T' && *s != 't' && *s != ' ')
        return false;
    s++;
    if (!digits(&s, 2, &hh) || *s++ != ':' || !digits(&s, 2, &mm) || *s++ != ':' ||
        !digits(&s, 2, &ss))
        return false;
    if (hh > 23 || mm > 59 || ss > 59)
        return false;
    int64_t frac = 0, scale = per_second;
    if (*s == '.') {
        s++;
        if (*s < '0' || *s > '9')
            return false;
        while (*s >= '0' && *s <= '9') {
            if (scale > 1) {
                scale /= 10;
                frac += (*s - '0') * scale;
            }
            s++;
        }
    }
    int64_t offset = 0;
    if (*s == 'Z' || *s == 'z') {
        s++;
    } else if (*s == '+' || *s == '-') {
        int sign = *s++ == '-' ? -1 : 1, oh, om;
        if (!digits(&s, 2, &oh) || *s++ != ':' || !digits(&s, 2, &om) || oh > 23 || om > 59)
            return false;
        offset = sign * ((int64_t)oh * 3600 + (int64_t)om * 60);
    } else {
        return false;
    }
    if (*s)
        return false;
    int64_t secs = days * 86400 + (int64_t)hh * 3600 + (int64_t)mm * 60 + ss - offset;
    *out = secs * per_second + frac;
    return true;
}

/* Days of 0001-01-01 and 9999-12-31: the years "YYYY" can write. Outside them a date or
 * timestamp is printed as its number, which the input side accepts too. */
#define MIN_DAYS (-719162)
#define MAX_DAYS 2932896

static bool format_date(int64_t days, char *out, size_t outlen) {
    if (days < MIN_DAYS || days > MAX_DAYS)
        return false;
    int y, m, d;
    vk_date_from_days((int32_t)days, &y, &m, &d);
    snprintf(out, outlen, "%04d-%02d-%02d", y, m, d);
    return true;
}

static bool format_timestamp(int64_t t, int64_t per_second, char *out, size_t outlen) {
    /* Floor division, so instants before 1970 print correctly. */
    int64_t secs = t / per_second, frac = t % per_second;
    if (frac < 0) {
        frac += per_second;
        secs--;
    }
    int64_t days = secs / 86400, rem = secs % 86400;
    if (rem < 0) {
        rem += 86400;
        days--;
    }
    char date[32];
    if (!format_date(days, date, sizeof date))
        return false;
    snprintf(out, outlen, "%sT%02d:%02d:%02d.%0*lldZ", date, (int)(rem / 3600),
             (int)(rem / 60 % 60), (int)(rem % 60), per_second == 1000 ? 3 : 6, (long long)frac);
    return true;
}

/* ------------------------------------------------------------------------------------------ */
/* Base64 (OpenSSL's block functions)                                                          */
/* ------------------------------------------------------------------------------------------ */

json_t *vk_base64_json(const void *data, size_t len) {
    size_t outlen = 4 * ((len + 2) / 3) + 1;
    unsigned char *out = malloc(outlen);
    if (!out)
        return NULL;
    int n = len ? EVP_EncodeBlock(out, data, (int)len) : 0;
    json_t *j = json_stringn((const char *)out, (size_t)n);
    free(out);
    return j;
}

/* Decodes base64 text into a malloc'd buffer. Returns its length, or -1 when not base64. */
static long base64_decode(const char *s, size_t len, unsigned char **out) {
    *out = malloc(len / 4 * 3 + 1);
    if (!*out)
        return -1;
    if (len == 0)
        return 0;
    if (len % 4) {
        free(*out);
        *out = NULL;
        return -1;
    }
    int n = EVP_DecodeBlock(*out, (const unsigned char *)s, (int)len);
    if (n < 0) {
        free(*out);
        *out = NULL;
        return -1;
    }
    /* EVP_DecodeBlock counts the padding as zero bytes. */
    if (s[len - 1] == '=')
        n--;
    if (s[len - 2] == '=')
        n--;
    return n;
}

/* ------------------------------------------------------------------------------------------ */
/* JSON → Avro                                                                                 */
/* ------------------------------------------------------------------------------------------ */

typedef struct conv {
    char path[512];
    size_t plen;
    char *err;
    size_t errlen;
    bool in_default; /* converting a schema default: union = first branch, bytes = code points */
} conv;

static size_t path_push(conv *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static size_t path_push(conv *c, const char *fmt, ...) {
    size_t mark = c->plen;
    if (c->plen < sizeof c->path) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(c->path + c->plen, sizeof c->path - c->plen, fmt, ap);
        va_end(ap);
        if (n > 0)
            c->plen += (size_t)n;
        if (c->plen >= sizeof c->path)
            c->plen = sizeof c->path - 1;
    }
    return mark;
}

static void path_pop(conv *c, size_t mark) {
    c->plen = mark;
    c->path[mark] = '\0';
}

static size_t push_field(conv *c, const char *name) {
    return path_push(c, "%s%s", c->plen ? "." : "", name);
}

static int fail(conv *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(conv *c, const char *fmt, ...) {
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (c->plen)
        snprintf(c->err, c->errlen, "%s: %s", c->path, msg);
    else
        snprintf(c->err, c->errlen, "%s", msg);
    return -1;
}

static const char *json_kind(const json_t *j) {
    if (!j)
        return "nothing";
    switch (json_typeof(j)) {
    case JSON_OBJECT:
        return "an object";
    case JSON_ARRAY:
        return "an array";
    case JSON_STRING:
        return "a string";
    case JSON_INTEGER:
        return "an integer";
    case JSON_REAL:
        return "a number";
    case JSON_TRUE:
    case JSON_FALSE:
        return "a boolean";
    case JSON_NULL:
        return "null";
    }
    return "?";
}

/* "got …" for error messages: the kind, and the value when it is short and scalar. */
static const char *got(const json_t *j, char *buf, size_t len) {
    if (json_is_string(j)) {
        const char *s = json_string_value(j);
        if (strlen(s) <= 40)
            snprintf(buf, len, "got \"%s\"", s);
        else
            snprintf(buf, len, "got \"%.37s...\"", s);
    } else if (json_is_integer(j)) {
        snprintf(buf, len, "got %lld", (long long)json_integer_value(j));
    } else if (json_is_real(j)) {
        snprintf(buf, len, "got %g", json_real_value(j));
    } else if (json_is_boolean(j)) {
        snprintf(buf, len, "got %s", json_is_true(j) ? "true" : "false");
    } else {
        snprintf(buf, len, "got %s", json_kind(j));
    }
    return buf;
}

static avro_schema_t deref(avro_schema_t s) {
    while (s && is_avro_link(s))
        s = avro_schema_link_target(s);
    return s;
}

/* The name a union branch is known by in Avro JSON: a primitive's type name, "array", "map",
 * or a named type's full name. */
static void branch_name(avro_schema_t b, char *out, size_t len) {
    b = deref(b);
    if (is_avro_named_type(b)) {
        const char *ns = avro_schema_namespace(b);
        if (ns && *ns)
            snprintf(out, len, "%s.%s", ns, avro_schema_name(b));
        else
            snprintf(out, len, "%s", avro_schema_name(b));
        return;
    }
    switch (avro_typeof(b)) {
    case AVRO_STRING:
        snprintf(out, len, "string");
        break;
    case AVRO_BYTES:
        snprintf(out, len, "bytes");
        break;
    case AVRO_INT32:
        snprintf(out, len, "int");
        break;
    case AVRO_INT64:
        snprintf(out, len, "long");
        break;
    case AVRO_FLOAT:
        snprintf(out, len, "float");
        break;
    case AVRO_DOUBLE:
        snprintf(out, len, "double");
        break;
    case AVRO_BOOLEAN:
        snprintf(out, len, "boolean");
        break;
    case AVRO_NULL:
        snprintf(out, len, "null");
        break;
    case AVRO_ARRAY:
        snprintf(out, len, "array");
        break;
    case AVRO_MAP:
        snprintf(out, len, "map");
        break;
    default:
        snprintf(out, len, "?");
        break;
    }
}

/* Does @p name (full or short) name branch @p b? */
static bool branch_is(avro_schema_t b, const char *name) {
    char full[512];
    branch_name(b, full, sizeof full);
    if (strcmp(full, name) == 0)
        return true;
    b = deref(b);
    return is_avro_named_type(b) && strcmp(avro_schema_name(b), name) == 0;
}

static int from_json(conv *c, json_t *j, avro_value_t *v, avro_schema_t s, lt_pair l,
                     bool allow_type);

/* Can a JSON value of this kind possibly be a value of @p b? (Decides the union candidates.) */
static bool kind_fits(const json_t *j, avro_schema_t b, lt_pair l) {
    b = deref(b);
    switch (json_typeof(j)) {
    case JSON_NULL:
        return is_avro_null(b);
    case JSON_TRUE:
    case JSON_FALSE:
        return is_avro_boolean(b);
    case JSON_INTEGER:
        return is_avro_int32(b) || is_avro_int64(b) || is_avro_float(b) || is_avro_double(b);
    case JSON_REAL:
        return is_avro_float(b) || is_avro_double(b);
    case JSON_STRING:
        return is_avro_string(b) || is_avro_bytes(b) || is_avro_enum(b) || is_avro_fixed(b) ||
               (is_avro_int32(b) && l.int_lt != LT_NONE) ||
               (is_avro_int64(b) && l.long_lt != LT_NONE) || is_avro_float(b) || is_avro_double(b);
    case JSON_ARRAY:
        return is_avro_array(b);
    case JSON_OBJECT:
        return is_avro_record(b) || is_avro_map(b);
    }
    return false;
}

/* Human name of a branch for "expected null or Sex". */
static void branch_label(avro_schema_t b, lt_pair l, char *out, size_t len) {
    b = deref(b);
    if (is_avro_int32(b) && l.int_lt == LT_DATE) {
        snprintf(out, len, "a date");
    } else if (is_avro_int64(b) && l.long_lt != LT_NONE) {
        snprintf(out, len, "a timestamp");
    } else if (is_avro_named_type(b)) {
        snprintf(out, len, "%s", avro_schema_name(b));
    } else {
        branch_name(b, out, len);
    }
}

static int set_branch_and_fill(conv *c, json_t *j, avro_value_t *v, avro_schema_t s, int idx,
                               lt_pair l, bool allow_type) {
    avro_value_t branch;
    if (avro_value_set_branch(v, idx, &branch))
        return fail(c, "cannot select union branch %d: %s", idx, avro_strerror());
    return from_json(c, j, &branch, avro_schema_union_branch(s, idx), l, allow_type);
}

static int union_from_json(conv *c, json_t *j, avro_value_t *v, avro_schema_t s, lt_pair l) {
    size_t nb = avro_schema_union_size(s);

    /* A schema default is always of the first branch. */
    if (c->in_default)
        return set_branch_and_fill(c, j, v, s, 0, l, false);

    /* Avro-JSON wrapper: {"<branch name>": value}. */
    if (json_is_object(j) && json_object_size(j) == 1) {
        const char *k = json_object_iter_key(json_object_iter(j));
        for (size_t i = 0; i < nb; i++)
            if (branch_is(avro_schema_union_branch(s, i), k))
                return set_branch_and_fill(c, json_object_get(j, k), v, s, (int)i, l, false);
    }

    /* A "type" member naming a record branch. */
    json_t *type = json_is_object(j) ? json_object_get(j, "type") : NULL;
    if (json_is_string(type)) {
        const char *tn = json_string_value(type);
        bool some_record_has_type_field = false;
        for (size_t i = 0; i < nb; i++) {
            avro_schema_t b = deref(avro_schema_union_branch(s, i));
            if (!is_avro_record(b))
                continue;
            if (branch_is(b, tn))
                return set_branch_and_fill(c, j, v, s, (int)i, l, true);
            if (avro_schema_record_field_get_index(b, "type") >= 0)
                some_record_has_type_field = true;
        }
        if (!some_record_has_type_field) {
            char names[512] = "";
            size_t off = 0;
            for (size_t i = 0; i < nb && off < sizeof names; i++) {
                avro_schema_t b = deref(avro_schema_union_branch(s, i));
                if (is_avro_record(b))
                    off += (size_t)snprintf(names + off, sizeof names - off, "%s%s",
                                            off ? ", " : "", avro_schema_name(b));
            }
            if (off)
                return fail(c, "unknown type \"%s\" (expected one of %s)", tn, names);
        }
    }

    /* Natural form: try the branches whose kind fits, in schema order. */
    int first = -1, tried = 0;
    char first_err[512] = "";
    size_t mark = c->plen;
    for (size_t i = 0; i < nb; i++) {
        if (!kind_fits(j, avro_schema_union_branch(s, i), l))
            continue;
        tried++;
        if (set_branch_and_fill(c, j, v, s, (int)i, l, false) == 0)
            return 0;
        path_pop(c, mark);
        if (first < 0) {
            first = (int)i;
            snprintf(first_err, sizeof first_err, "%s", c->err);
        }
    }
    if (tried == 1) {
        snprintf(c->err, c->errlen, "%s", first_err);
        return -1;
    }
    char labels[512] = "", buf[96];
    size_t off = 0;
    for (size_t i = 0; i < nb && off < sizeof labels; i++) {
        char lb[128];
        branch_label(avro_schema_union_branch(s, i), l, lb, sizeof lb);
        off += (size_t)snprintf(labels + off, sizeof labels - off, "%s%s",
                                i == 0 ? "" : (i + 1 == nb ? " or " : ", "), lb);
    }
    if (tried == 0)
        return fail(c, "expected %s, %s", labels, got(j, buf, sizeof buf));
    return fail(c, "matches no branch of %s (add \"type\" to choose one); as the first: %s", labels,
                first_err);
}

static int record_from_json(conv *c, json_t *j, avro_value_t *v, avro_schema_t s, bool allow_type) {
    char buf[96];
    if (!json_is_object(j))
        return fail(c, "expected an object (record %s), %s", avro_schema_name(s),
                    got(j, buf, sizeof buf));
    const char *key;
    json_t *member;
    json_object_foreach(j, key, member) {
        if (avro_schema_record_field_get_index(s, key) >= 0)
            continue;
        if (allow_type && strcmp(key, "type") == 0)
            continue;
        size_t mark = push_field(c, key);
        int rc = fail(c, "unknown field (not in record %s)", avro_schema_name(s));
        path_pop(c, mark);
        return rc;
    }
    size_t nf = avro_schema_record_size(s);
    for (size_t i = 0; i < nf; i++) {
        const char *fname = avro_schema_record_field_name(s, (int)i);
        avro_schema_t ftype = avro_schema_record_field_get_by_index(s, (int)i);
        avro_value_t child;
        if (avro_value_get_by_index(v, i, &child, NULL))
            return fail(c, "cannot reach field %s: %s", fname, avro_strerror());
        lt_pair l;
        json_t *def;
        field_lookup(s, fname, &l, &def);
        size_t mark = push_field(c, fname);
        json_t *fj = json_object_get(j, fname);
        int rc;
        if (fj) {
            rc = from_json(c, fj, &child, ftype, l, false);
        } else if (def) {
            bool saved = c->in_default;
            c->in_default = true;
            rc = from_json(c, def, &child, ftype, l, false);
            c->in_default = saved;
        } else {
            rc = fail(c, "missing required field");
        }
        if (rc)
            return rc; /* keep the path: it is in the message already */
        path_pop(c, mark);
    }
    return 0;
}

static int bytes_from_json(conv *c, json_t *j, unsigned char **out, long *n) {
    char buf[96];
    if (!json_is_string(j))
        return fail(c, "expected base64 text, %s", got(j, buf, sizeof buf));
    const char *s = json_string_value(j);
    size_t len = json_string_length(j);
    if (c->in_default) {
        /* Spec: a bytes default is a string of code points 0-255, one per byte. */
        *out = malloc(len + 1);
        if (!*out)
            return fail(c, "out of memory");
        long k = 0;
        for (size_t i = 0; i < len;) {
            unsigned char b0 = (unsigned char)s[i];
            if (b0 < 0x80) {
                (*out)[k++] = b0;
                i++;
            } else if ((b0 & 0xE0) == 0xC0 && i + 1 < len && b0 <= 0xC3) {
                (*out)[k++] = (unsigned char)(((b0 & 0x03) << 6) | (s[i + 1] & 0x3F));
                i += 2;
            } else {
                free(*out);
                *out = NULL;
                return fail(c, "bytes default holds a code point above 255");
            }
        }
        *n = k;
        return 0;
    }
    *n = base64_decode(s, len, out);
    if (*n < 0)
        return fail(c, "expected base64 text, %s", got(j, buf, sizeof buf));
    return 0;
}

static int number_from_json(conv *c, json_t *j, double *out) {
    if (json_is_number(j)) {
        *out = json_number_value(j);
        return 0;
    }
    if (json_is_string(j)) {
        const char *s = json_string_value(j);
        if (strcmp(s, "NaN") == 0) {
            *out = NAN;
            return 0;
        }
        if (strcmp(s, "Infinity") == 0) {
            *out = INFINITY;
            return 0;
        }
        if (strcmp(s, "-Infinity") == 0) {
            *out = -INFINITY;
            return 0;
        }
    }
    char buf[96];
    return fail(c, "expected a number, %s", got(j, buf, sizeof buf));
}

/* avro-c's setters return an errno; turn one into a message. */
static int set_rc(conv *c, int rc) {
    return rc ? fail(c, "avro-c refused the value: %s", avro_strerror()) : 0;
}

static int int_from_json(conv *c, json_t *j, avro_value_t *v, lt_pair l) {
    char buf[96];
    if (l.int_lt == LT_DATE) {
        int32_t days;
        if (json_is_string(j) && parse_date(json_string_value(j), &days))
            return set_rc(c, avro_value_set_int(v, days));
        if (!json_is_integer(j))
            return fail(c, "expected a date (\"YYYY-MM-DD\" or days since 1970-01-01), %s",
                        got(j, buf, sizeof buf));
    }
    if (!json_is_integer(j))
        return fail(c, "expected an int, %s", got(j, buf, sizeof buf));
    json_int_t x = json_integer_value(j);
    if (x < INT32_MIN || x > INT32_MAX)
        return fail(c, "%lld is out of range for an int", (long long)x);
    return set_rc(c, avro_value_set_int(v, (int32_t)x));
}

static int long_from_json(conv *c, json_t *j, avro_value_t *v, lt_pair l) {
    char buf[96];
    if (l.long_lt != LT_NONE) {
        int64_t t, per_second = l.long_lt == LT_TS_MICROS ? 1000000 : 1000;
        if (json_is_string(j) && parse_timestamp(json_string_value(j), per_second, &t))
            return set_rc(c, avro_value_set_long(v, t));
        if (!json_is_integer(j))
            return fail(c,
                        "expected a timestamp (RFC 3339 like \"2021-02-01T23:30:00Z\" or %s "
                        "since the epoch), %s",
                        per_second == 1000 ? "milliseconds" : "microseconds",
                        got(j, buf, sizeof buf));
    }
    if (!json_is_integer(j))
        return fail(c, "expected a long, %s", got(j, buf, sizeof buf));
    return set_rc(c, avro_value_set_long(v, (int64_t)json_integer_value(j)));
}

static int string_from_json(conv *c, json_t *j, avro_value_t *v) {
    char buf[96];
    if (!json_is_string(j))
        return fail(c, "expected a string, %s", got(j, buf, sizeof buf));
    const char *str = json_string_value(j);
    size_t len = json_string_length(j);
    if (strlen(str) != len)
        return fail(c, "string holds a NUL character");
    return set_rc(c, avro_value_set_string_len(v, str, len + 1)); /* the size counts the NUL */
}

static int bytes_or_fixed_from_json(conv *c, json_t *j, avro_value_t *v, avro_schema_t s) {
    unsigned char *data = NULL;
    long n = 0;
    if (bytes_from_json(c, j, &data, &n))
        return -1;
    int rc;
    if (is_avro_fixed(s)) {
        int64_t want = avro_schema_fixed_size(s);
        if (n != want) {
            free(data);
            return fail(c, "expected %lld bytes for fixed %s, got %ld", (long long)want,
                        avro_schema_name(s), n);
        }
        rc = avro_value_set_fixed(v, data, (size_t)n);
    } else {
        rc = avro_value_set_bytes(v, data, (size_t)n);
    }
    free(data);
    return set_rc(c, rc);
}

static int enum_from_json(conv *c, json_t *j, avro_value_t *v, avro_schema_t s) {
    char buf[96];
    if (!json_is_string(j))
        return fail(c, "expected a symbol of %s, %s", avro_schema_name(s), got(j, buf, sizeof buf));
    int sym = avro_schema_enum_get_by_name(s, json_string_value(j));
    if (sym >= 0)
        return set_rc(c, avro_value_set_enum(v, sym));
    char syms[512] = "";
    size_t off = 0;
    int ns = avro_schema_enum_number_of_symbols(s);
    for (int i = 0; i < ns && off < sizeof syms; i++)
        off += (size_t)snprintf(syms + off, sizeof syms - off, "%s%s", i ? ", " : "",
                                avro_schema_enum_get(s, i));
    return fail(c, "unknown symbol \"%s\" of %s (expected one of %s)", json_string_value(j),
                avro_schema_name(s), syms);
}

static int array_from_json(conv *c, json_t *j, avro_value_t *v, avro_schema_t s, lt_pair l) {
    char buf[96];
    if (!json_is_array(j))
        return fail(c, "expected an array, %s", got(j, buf, sizeof buf));
    avro_schema_t items = avro_schema_array_items(s);
    size_t i;
    json_t *e;
    json_array_foreach(j, i, e) {
        avro_value_t child;
        if (avro_value_append(v, &child, NULL))
            return fail(c, "cannot append: %s", avro_strerror());
        size_t mark = path_push(c, "[%zu]", i);
        if (from_json(c, e, &child, items, l, false))
            return -1;
        path_pop(c, mark);
    }
    return 0;
}

static int map_from_json(conv *c, json_t *j, avro_value_t *v, avro_schema_t s, lt_pair l) {
    char buf[96];
    if (!json_is_object(j))
        return fail(c, "expected an object (map), %s", got(j, buf, sizeof buf));
    avro_schema_t values = avro_schema_map_values(s);
    const char *key;
    json_t *e;
    json_object_foreach(j, key, e) {
        avro_value_t child;
        if (avro_value_add(v, key, &child, NULL, NULL))
            return fail(c, "cannot add map entry: %s", avro_strerror());
        size_t mark = path_push(c, "[\"%s\"]", key);
        if (from_json(c, e, &child, values, l, false))
            return -1;
        path_pop(c, mark);
    }
    return 0;
}

/* Fills @p v (of schema @p s) from @p j. @p l: the logical types of the enclosing field;
 * @p allow_type: @p j may carry a "type" member naming the record (a union branch). */
static int from_json(conv *c, json_t *j, avro_value_t *v, avro_schema_t s, lt_pair l,
                     bool allow_type) {
    char buf[96];
    s = deref(s);
    switch (avro_typeof(s)) {
    case AVRO_NULL:
        if (!json_is_null(j))
            return fail(c, "expected null, %s", got(j, buf, sizeof buf));
        return set_rc(c, avro_value_set_null(v));
    case AVRO_BOOLEAN:
        if (!json_is_boolean(j))
            return fail(c, "expected true or false, %s", got(j, buf, sizeof buf));
        return set_rc(c, avro_value_set_boolean(v, json_is_true(j)));
    case AVRO_INT32:
        return int_from_json(c, j, v, l);
    case AVRO_INT64:
        return long_from_json(c, j, v, l);
    case AVRO_FLOAT:
    case AVRO_DOUBLE: {
        double d;
        if (number_from_json(c, j, &d))
            return -1;
        return set_rc(c, is_avro_float(s) ? avro_value_set_float(v, (float)d)
                                          : avro_value_set_double(v, d));
    }
    case AVRO_STRING:
        return string_from_json(c, j, v);
    case AVRO_BYTES:
    case AVRO_FIXED:
        return bytes_or_fixed_from_json(c, j, v, s);
    case AVRO_ENUM:
        return enum_from_json(c, j, v, s);
    case AVRO_ARRAY:
        return array_from_json(c, j, v, s, l);
    case AVRO_MAP:
        return map_from_json(c, j, v, s, l);
    case AVRO_RECORD:
        return record_from_json(c, j, v, s, allow_type);
    case AVRO_UNION:
        return union_from_json(c, j, v, s, l);
    default:
        return fail(c, "unsupported schema type %s", avro_schema_type_name(s));
    }
}

int vk_json_to_avro(json_t *json, avro_value_t *value, avro_schema_t schema, char *err,
                    size_t errlen) {
    conv c;
    c.path[0] = '\0';
    c.plen = 0;
    c.err = err;
    c.errlen = errlen;
    c.in_default = false;
    if (!json || !value || !schema)
        return fail(&c, "no JSON, value or schema");
    avro_value_reset(value);
    lt_pair none = {LT_NONE, LT_NONE};
    return from_json(&c, json, value, schema, none, false);
}

/* ------------------------------------------------------------------------------------------ */
/* Avro → JSON                                                                                 */
/* ------------------------------------------------------------------------------------------ */

/* Length of the valid UTF-8 sequence at s[0..len), or 0 when it is not one (RFC 3629: no
 * overlong forms, no surrogates, nothing above U+10FFFF). */
static size_t utf8_seq(const unsigned char *s, size_t len) {
    unsigned char b = s[0];
    if (b < 0x80)
        return 1;
    size_t n;
    unsigned char lo = 0x80, hi = 0xBF;
    if (b >= 0xC2 && b <= 0xDF) {
        n = 2;
    } else if (b >= 0xE0 && b <= 0xEF) {
        n = 3;
        if (b == 0xE0)
            lo = 0xA0;
        else if (b == 0xED)
            hi = 0x9F;
    } else if (b >= 0xF0 && b <= 0xF4) {
        n = 4;
        if (b == 0xF0)
            lo = 0x90;
        else if (b == 0xF4)
            hi = 0x8F;
    } else {
        return 0;
    }
    if (len < n || s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < n; i++)
        if ((s[i] & 0xC0) != 0x80)
            return 0;
    return n;
}

/* A JSON string from bytes that should be UTF-8; invalid bytes become U+FFFD, so a dump of bad
 * input still prints. */
static json_t *string_json(const char *s, size_t len) {
    json_t *j = json_stringn(s, len);
    if (j)
        return j;
    char *out = malloc(len * 3 + 1);
    if (!out)
        return NULL;
    size_t o = 0;
    for (size_t i = 0; i < len;) {
        size_t n = utf8_seq((const unsigned char *)s + i, len - i);
        if (n) {
            memcpy(out + o, s + i, n);
            o += n;
            i += n;
        } else {
            memcpy(out + o, "\xEF\xBF\xBD", 3);
            o += 3;
            i++;
        }
    }
    j = json_stringn(out, o);
    free(out);
    return j;
}

static json_t *to_json(const avro_value_t *v, avro_schema_t s, lt_pair l, const char *tag);

/* The double nearest the shortest decimal that reads back as @p f: 36.6f becomes 36.6, not
 * 36.599998474121094, so a dump shows what the screener typed. */
static double float_shortest(float f) {
    char buf[32];
    for (int p = 6; p <= 9; p++) {
        snprintf(buf, sizeof buf, "%.*g", p, (double)f);
        double d = strtod(buf, NULL);
        if ((float)d == f)
            return d;
    }
    return (double)f;
}

static json_t *float_json(double d) {
    if (isnan(d))
        return json_string("NaN");
    if (isinf(d))
        return json_string(d > 0 ? "Infinity" : "-Infinity");
    return json_real(d);
}

static json_t *record_to_json(const avro_value_t *v, avro_schema_t s, const char *tag) {
    json_t *obj = json_object();
    if (!obj)
        return NULL;
    if (tag && json_object_set_new(obj, "type", json_string(tag))) {
        json_decref(obj);
        return NULL;
    }
    size_t nf = avro_schema_record_size(s);
    for (size_t i = 0; i < nf; i++) {
        const char *fname = avro_schema_record_field_name(s, (int)i);
        avro_value_t child;
        if (avro_value_get_by_index(v, i, &child, NULL)) {
            json_decref(obj);
            return NULL;
        }
        lt_pair l;
        json_t *def;
        field_lookup(s, fname, &l, &def);
        json_t *fj = to_json(&child, avro_schema_record_field_get_by_index(s, (int)i), l, NULL);
        if (!fj || json_object_set_new(obj, fname, fj)) {
            json_decref(obj);
            return NULL;
        }
    }
    return obj;
}

static json_t *array_to_json(const avro_value_t *v, avro_schema_t s, lt_pair l) {
    size_t n;
    if (avro_value_get_size(v, &n))
        return NULL;
    json_t *arr = json_array();
    avro_schema_t items = avro_schema_array_items(s);
    for (size_t i = 0; arr && i < n; i++) {
        avro_value_t child;
        json_t *e =
            avro_value_get_by_index(v, i, &child, NULL) ? NULL : to_json(&child, items, l, NULL);
        if (!e || json_array_append_new(arr, e)) {
            json_decref(arr);
            return NULL;
        }
    }
    return arr;
}

static json_t *map_to_json(const avro_value_t *v, avro_schema_t s, lt_pair l) {
    size_t n;
    if (avro_value_get_size(v, &n))
        return NULL;
    json_t *obj = json_object();
    avro_schema_t values = avro_schema_map_values(s);
    for (size_t i = 0; obj && i < n; i++) {
        avro_value_t child;
        const char *key;
        json_t *e =
            avro_value_get_by_index(v, i, &child, &key) ? NULL : to_json(&child, values, l, NULL);
        if (!e || json_object_set_new(obj, key, e)) {
            json_decref(obj);
            return NULL;
        }
    }
    return obj;
}

/* The branch's value, unwrapped; a record is named in "type" when the union holds several,
 * so a reader (and vk_json_to_avro) knows which it is. */
static json_t *union_to_json(const avro_value_t *v, avro_schema_t s, lt_pair l) {
    int disc;
    avro_value_t branch;
    if (avro_value_get_discriminant(v, &disc) || avro_value_get_current_branch(v, &branch))
        return NULL;
    avro_schema_t b = deref(avro_schema_union_branch(s, disc));
    if (!b)
        return NULL;
    const char *tag = NULL;
    if (is_avro_record(b)) {
        int records = 0;
        for (size_t i = 0; i < avro_schema_union_size(s); i++)
            records += is_avro_record(deref(avro_schema_union_branch(s, i)));
        if (records > 1)
            tag = avro_schema_name(b);
    }
    return to_json(&branch, b, l, tag);
}

static json_t *to_json(const avro_value_t *v, avro_schema_t s, lt_pair l, const char *tag) {
    s = deref(s);
    switch (avro_typeof(s)) {
    case AVRO_NULL:
        return json_null();
    case AVRO_BOOLEAN: {
        int b;
        return avro_value_get_boolean(v, &b) ? NULL : json_boolean(b);
    }
    case AVRO_INT32: {
        int32_t x;
        if (avro_value_get_int(v, &x))
            return NULL;
        if (l.int_lt == LT_DATE) {
            char d[32];
            if (format_date(x, d, sizeof d))
                return json_string(d);
        }
        return json_integer(x);
    }
    case AVRO_INT64: {
        int64_t x;
        if (avro_value_get_long(v, &x))
            return NULL;
        if (l.long_lt != LT_NONE) {
            char t[64];
            if (format_timestamp(x, l.long_lt == LT_TS_MICROS ? 1000000 : 1000, t, sizeof t))
                return json_string(t);
        }
        return json_integer(x);
    }
    case AVRO_FLOAT: {
        float f;
        return avro_value_get_float(v, &f) ? NULL : float_json(isfinite(f) ? float_shortest(f) : f);
    }
    case AVRO_DOUBLE: {
        double d;
        return avro_value_get_double(v, &d) ? NULL : float_json(d);
    }
    case AVRO_STRING: {
        const char *str;
        size_t size;
        if (avro_value_get_string(v, &str, &size))
            return NULL;
        return string_json(str, size ? size - 1 : 0); /* size counts the NUL */
    }
    case AVRO_BYTES: {
        const void *data;
        size_t size;
        return avro_value_get_bytes(v, &data, &size) ? NULL : vk_base64_json(data, size);
    }
    case AVRO_FIXED: {
        const void *data;
        size_t size;
        return avro_value_get_fixed(v, &data, &size) ? NULL : vk_base64_json(data, size);
    }
    case AVRO_ENUM: {
        int sym;
        if (avro_value_get_enum(v, &sym))
            return NULL;
        const char *name = avro_schema_enum_get(s, sym);
        return name ? json_string(name) : NULL;
    }
    case AVRO_ARRAY:
        return array_to_json(v, s, l);
    case AVRO_MAP:
        return map_to_json(v, s, l);
    case AVRO_RECORD:
        return record_to_json(v, s, tag);
    case AVRO_UNION:
        return union_to_json(v, s, l);
    default:
        return NULL;
    }
}

json_t *vk_avro_to_json(const avro_value_t *value, avro_schema_t schema) {
    if (!value || !schema)
        return NULL;
    lt_pair none = {LT_NONE, LT_NONE};
    return to_json(value, schema, none, NULL);
}
