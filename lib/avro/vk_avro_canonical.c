/*
 * vk_avro_canonical.c — Parsing Canonical Form, CRC-64-AVRO and schema fingerprints, written
 * from the Avro 1.11 specification ("Parsing Canonical Form for Schemas", "Schema
 * Fingerprints").
 *
 * avro-c has none of these, and the single-object wire format needs all three: a message
 * carries the CRC-64-AVRO of its writer schema's canonical form, so our fingerprints must equal
 * those of a Java or Python peer byte for byte.
 *
 * Design. A schema document (parsed with jansson) is walked twice. The first walk collects every
 * named type (record, error, enum, fixed) under its full name, applying the namespace rules of
 * the specification: a dotted name is already full, otherwise the "namespace" attribute (even
 * "") or else the enclosing named type's namespace applies. It also validates the shape of the
 * document, so the second walk can trust it. The second walk writes the canonical text into a
 * vk_buf: PRIMITIVES, FULLNAMES, STRIP, ORDER, STRINGS, INTEGERS and WHITESPACE in one pass,
 * because the text is produced from scratch in canonical attribute order and never copied from
 * the input. A named type is written in full at its first occurrence in the output and as its
 * bare full name afterwards.
 *
 * Because all definitions are known before writing starts, the canonical form of a named type
 * *inside* a document can be produced on its own: a reference to a type defined elsewhere in the
 * document is expanded at its first use. The codec uses that to fingerprint every named record
 * of the contract, not only the top-level ones.
 *
 * Trade-offs and deliberate choices:
 *  - Logical types reduce to their underlying type: STRIP removes "logicalType", after which
 *    PRIMITIVES turns {"type":"long"} into "long". This is what the specification says and what
 *    Java does; python3-avro 1.11 keeps {"type":"long"}, so its fingerprints differ from ours
 *    for every schema with a logical type.
 *  - Strict rather than forgiving: an unknown type name, a type defined twice, a non-string
 *    "type" or a malformed attribute is an error naming the culprit, never a guess, because a
 *    wrong guess would be a silently wrong fingerprint.
 *  - Unqualified references resolve in the enclosing namespace first, then in the null
 *    namespace, as Java does.
 *  - The CRC table is built once (pthread_once), so vk_avro_crc64 is safe from any thread.
 */
#include "vk_codec.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- CRC-64-AVRO ---- */

#define VK_CRC64_EMPTY UINT64_C(0xc15d213aa4d7a795)

static uint64_t crc64_table[256];
static pthread_once_t crc64_once = PTHREAD_ONCE_INIT;

static void crc64_init(void) {
    for (uint64_t i = 0; i < 256; i++) {
        uint64_t fp = i;
        for (int j = 0; j < 8; j++)
            fp = (fp >> 1) ^ (VK_CRC64_EMPTY & (0 - (fp & 1)));
        crc64_table[i] = fp;
    }
}

uint64_t vk_avro_crc64(const void *data, size_t len) {
    pthread_once(&crc64_once, crc64_init);
    const uint8_t *p = data;
    uint64_t fp = VK_CRC64_EMPTY;
    for (size_t i = 0; i < len; i++)
        fp = (fp >> 8) ^ crc64_table[(fp ^ p[i]) & 0xff];
    return fp;
}

/* ---- The walk state ---- */

/** One named type of the document. */
typedef struct canon_name {
    char *full;   /* its full name (owned) */
    json_t *def;  /* its definition, borrowed from the document */
    bool written; /* already written in full to the output */
} canon_name;

typedef struct canon_ctx {
    canon_name *names; /* in document order */
    size_t count, cap;
    vk_buf out;
    char *err;
    size_t errlen;
} canon_ctx;

static const char *const primitives[] = {"null",  "boolean", "int",   "long",
                                         "float", "double",  "bytes", "string"};

static bool is_primitive(const char *type) {
    for (size_t i = 0; i < sizeof primitives / sizeof primitives[0]; i++)
        if (strcmp(type, primitives[i]) == 0)
            return true;
    return false;
}

static bool is_record_kind(const char *type) {
    return strcmp(type, "record") == 0 || strcmp(type, "error") == 0;
}

static bool is_named_kind(const char *type) {
    return is_record_kind(type) || strcmp(type, "enum") == 0 || strcmp(type, "fixed") == 0;
}

static int fail(canon_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(canon_ctx *c, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    if (c->errlen)
        vsnprintf(c->err, c->errlen, fmt, ap);
    va_end(ap);
    return -1;
}

static void ctx_free(canon_ctx *c) {
    for (size_t i = 0; i < c->count; i++)
        free(c->names[i].full);
    free(c->names);
    vk_buf_free(&c->out);
}

static canon_name *find_name(canon_ctx *c, const char *full) {
    for (size_t i = 0; i < c->count; i++)
        if (strcmp(c->names[i].full, full) == 0)
            return &c->names[i];
    return NULL;
}

static canon_name *find_def(canon_ctx *c, const json_t *def) {
    for (size_t i = 0; i < c->count; i++)
        if (c->names[i].def == def)
            return &c->names[i];
    return NULL;
}

/* ---- Names ---- */

/** @brief "a.b" + "C" -> "a.b.C" (malloc'd); an empty namespace gives the bare name. */
static char *join_name(const char *ns, size_t nslen, const char *name) {
    size_t len = strlen(name);
    char *full = malloc(nslen + 1 + len + 1);
    if (!full)
        return NULL;
    if (nslen) {
        memcpy(full, ns, nslen);
        full[nslen] = '.';
        memcpy(full + nslen + 1, name, len + 1);
    } else {
        memcpy(full, name, len + 1);
    }
    return full;
}

/** @brief Length of the namespace part of a full name ("a.b.C" -> 3), 0 for none. */
static size_t namespace_len(const char *scope) {
    const char *dot = scope ? strrchr(scope, '.') : NULL;
    return dot ? (size_t)(dot - scope) : 0;
}

/**
 * @brief Full name of a named type's definition found inside @p scope (the full name of the
 * enclosing named type, or NULL at top level). Malloc'd, or NULL with the error set.
 */
static char *definition_name(canon_ctx *c, json_t *def, const char *scope) {
    const char *name = json_string_value(json_object_get(def, "name"));
    if (!name || !*name) {
        fail(c, "a named type without a \"name\" string");
        return NULL;
    }
    json_t *ns = json_object_get(def, "namespace");
    if (ns && !json_is_string(ns) && !strchr(name, '.')) {
        fail(c, "%s: \"namespace\" must be a string", name);
        return NULL;
    }
    char *full = strchr(name, '.') ? join_name(NULL, 0, name)
                 : ns              ? join_name(json_string_value(ns), json_string_length(ns), name)
                                   : join_name(scope, namespace_len(scope), name);
    if (!full)
        fail(c, "out of memory");
    return full;
}

/** @brief Resolves a type name used as a reference: enclosing namespace first, then null. */
static canon_name *resolve_reference(canon_ctx *c, const char *name, const char *scope) {
    canon_name *found = NULL;
    size_t nslen = namespace_len(scope);
    if (!strchr(name, '.') && nslen) {
        char *full = join_name(scope, nslen, name);
        if (!full) {
            fail(c, "out of memory");
            return NULL;
        }
        found = find_name(c, full);
        free(full);
    }
    if (!found)
        found = find_name(c, name);
    if (!found)
        fail(c, "unknown type name \"%s\"", name);
    return found;
}

/* ---- First walk: collect and validate ---- */

static int collect(canon_ctx *c, json_t *node, const char *scope);

/** @brief The "type" attribute of a schema object; NULL with the error set if absent. */
static const char *type_of(canon_ctx *c, json_t *node) {
    json_t *type = json_object_get(node, "type");
    if (!type) {
        fail(c, "a schema object without \"type\"");
        return NULL;
    }
    if (!json_is_string(type)) {
        fail(c, "\"type\" must be a type name string");
        return NULL;
    }
    return json_string_value(type);
}

static const char *define(canon_ctx *c, json_t *def, const char *scope) {
    char *full = definition_name(c, def, scope);
    if (!full)
        return NULL;
    if (find_name(c, full)) {
        fail(c, "type %s defined twice", full);
        free(full);
        return NULL;
    }
    if (c->count == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 16;
        canon_name *names = realloc(c->names, cap * sizeof *names);
        if (!names) {
            free(full);
            fail(c, "out of memory");
            return NULL;
        }
        c->names = names;
        c->cap = cap;
    }
    c->names[c->count++] = (canon_name){full, def, false};
    return full;
}

static int check_fields(canon_ctx *c, json_t *def, const char *full) {
    json_t *fields = json_object_get(def, "fields");
    if (!json_is_array(fields))
        return fail(c, "%s: \"fields\" must be an array", full);
    size_t i;
    json_t *field;
    json_array_foreach(fields, i, field) {
        if (!json_is_string(json_object_get(field, "name")))
            return fail(c, "%s: field %zu has no \"name\" string", full, i);
        json_t *type = json_object_get(field, "type");
        if (!type)
            return fail(c, "%s.%s: no \"type\"", full,
                        json_string_value(json_object_get(field, "name")));
        if (collect(c, type, full))
            return -1;
    }
    return 0;
}

static int check_symbols(canon_ctx *c, json_t *def, const char *full) {
    json_t *symbols = json_object_get(def, "symbols");
    if (!json_is_array(symbols))
        return fail(c, "%s: \"symbols\" must be an array", full);
    size_t i;
    json_t *symbol;
    json_array_foreach(symbols, i, symbol) {
        if (!json_is_string(symbol))
            return fail(c, "%s: symbol %zu is not a string", full, i);
    }
    return 0;
}

/** @brief The "size" of a fixed: an integer, or (INTEGERS) a quoted one such as "016". */
static int fixed_size(json_t *def, long long *size) {
    json_t *v = json_object_get(def, "size");
    if (json_is_integer(v)) {
        *size = json_integer_value(v);
        return *size < 0 ? -1 : 0;
    }
    const char *s = json_string_value(v);
    if (!s || !*s || strlen(s) > 18 || strspn(s, "0123456789") != strlen(s))
        return -1;
    *size = strtoll(s, NULL, 10);
    return 0;
}

static int collect_named(canon_ctx *c, json_t *def, const char *kind, const char *scope) {
    const char *full = define(c, def, scope);
    if (!full)
        return -1;
    if (is_record_kind(kind))
        return check_fields(c, def, full);
    if (strcmp(kind, "enum") == 0)
        return check_symbols(c, def, full);
    long long size;
    if (fixed_size(def, &size))
        return fail(c, "%s: \"size\" must be a non-negative integer", full);
    return 0;
}

static int collect_child(canon_ctx *c, json_t *node, const char *attr, const char *scope) {
    json_t *child = json_object_get(node, attr);
    if (!child)
        return fail(c, "%s schema without \"%s\"", strcmp(attr, "items") ? "a map" : "an array",
                    attr);
    return collect(c, child, scope);
}

static int collect(canon_ctx *c, json_t *node, const char *scope) {
    if (json_is_string(node))
        return 0; /* a primitive or a reference, checked while writing */
    if (json_is_array(node)) {
        size_t i;
        json_t *branch;
        json_array_foreach(node, i, branch) {
            if (collect(c, branch, scope))
                return -1;
        }
        return 0;
    }
    if (!json_is_object(node))
        return fail(c, "a schema must be a string, an array or an object");
    const char *kind = type_of(c, node);
    if (!kind)
        return -1;
    if (strcmp(kind, "array") == 0)
        return collect_child(c, node, "items", scope);
    if (strcmp(kind, "map") == 0)
        return collect_child(c, node, "values", scope);
    if (is_named_kind(kind))
        return collect_named(c, node, kind, scope);
    return 0; /* a primitive, or a reference such as {"type": "Sex"} */
}

/* ---- Second walk: write ---- */

static int put(canon_ctx *c, const char *text) {
    if (vk_buf_append_str(&c->out, text))
        return fail(c, "out of memory");
    return 0;
}

/** @brief A JSON string literal: STRINGS (UTF-8 as is), escaping only what JSON requires. */
static int put_string(canon_ctx *c, const char *s, size_t len) {
    static const char hex[] = "0123456789abcdef";
    int rc = vk_buf_append(&c->out, "\"", 1);
    for (size_t i = 0; i < len && rc == 0; i++) {
        unsigned char ch = (unsigned char)s[i];
        const char *esc = ch == '"'    ? "\\\""
                          : ch == '\\' ? "\\\\"
                          : ch == '\b' ? "\\b"
                          : ch == '\f' ? "\\f"
                          : ch == '\n' ? "\\n"
                          : ch == '\r' ? "\\r"
                          : ch == '\t' ? "\\t"
                                       : NULL;
        if (esc) {
            rc = vk_buf_append_str(&c->out, esc);
        } else if (ch < 0x20) {
            char u[7] = {'\\', 'u', '0', '0', hex[ch >> 4], hex[ch & 15], 0};
            rc = vk_buf_append_str(&c->out, u);
        } else {
            rc = vk_buf_append(&c->out, &s[i], 1);
        }
    }
    if (rc || vk_buf_append(&c->out, "\"", 1))
        return fail(c, "out of memory");
    return 0;
}

static int put_cstring(canon_ctx *c, const char *s) {
    return put_string(c, s, strlen(s));
}

static int write_schema(canon_ctx *c, json_t *node, const char *scope);

static int write_fields(canon_ctx *c, json_t *def, const char *full) {
    size_t i;
    json_t *field;
    if (put(c, ",\"fields\":["))
        return -1;
    json_array_foreach(json_object_get(def, "fields"), i, field) {
        json_t *name = json_object_get(field, "name");
        if ((i && put(c, ",")) || put(c, "{\"name\":") ||
            put_string(c, json_string_value(name), json_string_length(name)) ||
            put(c, ",\"type\":") || write_schema(c, json_object_get(field, "type"), full) ||
            put(c, "}"))
            return -1;
    }
    return put(c, "]");
}

static int write_symbols(canon_ctx *c, json_t *def) {
    size_t i;
    json_t *symbol;
    if (put(c, ",\"symbols\":["))
        return -1;
    json_array_foreach(json_object_get(def, "symbols"), i, symbol) {
        if ((i && put(c, ",")) ||
            put_string(c, json_string_value(symbol), json_string_length(symbol)))
            return -1;
    }
    return put(c, "]");
}

/** @brief A named type: in full the first time (ORDER: name, type, then its own attribute),
 *  its bare full name afterwards. */
static int write_named(canon_ctx *c, canon_name *name) {
    if (name->written)
        return put_cstring(c, name->full);
    name->written = true;
    const char *kind = json_string_value(json_object_get(name->def, "type"));
    if (put(c, "{\"name\":") || put_cstring(c, name->full) || put(c, ",\"type\":") ||
        put_cstring(c, kind))
        return -1;
    if (is_record_kind(kind)) {
        if (write_fields(c, name->def, name->full))
            return -1;
    } else if (strcmp(kind, "enum") == 0) {
        if (write_symbols(c, name->def))
            return -1;
    } else {
        long long size = 0;
        fixed_size(name->def, &size); /* validated by collect() */
        if (vk_buf_printf(&c->out, ",\"size\":%lld", size))
            return fail(c, "out of memory");
    }
    return put(c, "}");
}

static int write_reference(canon_ctx *c, const char *type, const char *scope) {
    canon_name *name = resolve_reference(c, type, scope);
    return name ? write_named(c, name) : -1;
}

static int write_union(canon_ctx *c, json_t *node, const char *scope) {
    size_t i;
    json_t *branch;
    if (put(c, "["))
        return -1;
    json_array_foreach(node, i, branch) {
        if ((i && put(c, ",")) || write_schema(c, branch, scope))
            return -1;
    }
    return put(c, "]");
}

/** @brief {"type":"array","items":…} or {"type":"map","values":…}. */
static int write_container(canon_ctx *c, const char *head, json_t *child, const char *scope) {
    if (put(c, head) || write_schema(c, child, scope))
        return -1;
    return put(c, "}");
}

static int write_schema(canon_ctx *c, json_t *node, const char *scope) {
    if (json_is_string(node)) {
        const char *type = json_string_value(node);
        return is_primitive(type) ? put_cstring(c, type) : write_reference(c, type, scope);
    }
    if (json_is_array(node))
        return write_union(c, node, scope);
    const char *kind = json_string_value(json_object_get(node, "type"));
    if (is_primitive(kind)) /* STRIP, then PRIMITIVES: logicalType and the like vanish */
        return put_cstring(c, kind);
    if (strcmp(kind, "array") == 0)
        return write_container(c, "{\"type\":\"array\",\"items\":", json_object_get(node, "items"),
                               scope);
    if (strcmp(kind, "map") == 0)
        return write_container(c, "{\"type\":\"map\",\"values\":", json_object_get(node, "values"),
                               scope);
    if (is_named_kind(kind)) {
        canon_name *name = find_def(c, node);
        return name ? write_named(c, name) : fail(c, "internal: %s not collected", kind);
    }
    return write_reference(c, kind, scope);
}

/* ---- Public ---- */

static char *take_output(canon_ctx *c) {
    if (vk_buf_append(&c->out, "", 1)) { /* the NUL */
        fail(c, "out of memory");
        return NULL;
    }
    char *text = (char *)c->out.data;
    c->out = (vk_buf)VK_BUF_INIT;
    return text;
}

char *vk_avro_canonical_form_json(json_t *schema, const char *named, char *err, size_t errlen) {
    canon_ctx c = {.out = VK_BUF_INIT, .err = err, .errlen = errlen};
    char *text = NULL;
    if (collect(&c, schema, NULL) == 0) {
        canon_name *name = named ? find_name(&c, named) : NULL;
        if (named && !name)
            fail(&c, "no type named %s in the schema", named);
        else if ((name ? write_named(&c, name) : write_schema(&c, schema, NULL)) == 0)
            text = take_output(&c);
    }
    ctx_free(&c);
    return text;
}

int vk_avro_named_types(json_t *schema, vk_avro_named_fn fn, void *arg, char *err, size_t errlen) {
    canon_ctx c = {.out = VK_BUF_INIT, .err = err, .errlen = errlen};
    int rc = collect(&c, schema, NULL);
    for (size_t i = 0; rc == 0 && i < c.count; i++)
        rc = fn(c.names[i].full, c.names[i].def, arg);
    ctx_free(&c);
    return rc;
}

/** @brief Parses schema JSON text for the functions below (any JSON value, duplicates refused). */
static json_t *parse_schema_text(const char *schema_json, char *err, size_t errlen) {
    json_error_t jerr;
    json_t *root =
        json_loads(schema_json, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &jerr);
    if (!root && errlen)
        snprintf(err, errlen, "invalid schema JSON at line %d column %d: %s", jerr.line,
                 jerr.column, jerr.text);
    return root;
}

char *vk_avro_canonical_form(const char *schema_json, char *err, size_t errlen) {
    json_t *root = parse_schema_text(schema_json, err, errlen);
    if (!root)
        return NULL;
    char *text = vk_avro_canonical_form_json(root, NULL, err, errlen);
    json_decref(root);
    return text;
}

uint64_t vk_avro_fingerprint(const char *schema_json, char *err, size_t errlen) {
    char *text = vk_avro_canonical_form(schema_json, err, errlen);
    if (!text)
        return 0;
    uint64_t fp = vk_avro_crc64(text, strlen(text));
    free(text);
    return fp;
}
