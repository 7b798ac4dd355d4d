/*
 * vk_codec.c — the schema store, framing, encoding and resolving decoding (see vk_codec.h for
 * the wire formats and vk_avro_canonical.c for fingerprints).
 *
 * Store. Every schema is an entry {full name, fingerprint, avro-c schema, JSON document}. The
 * contract (the .avsc files of schemas/, embedded) contributes one entry per named record,
 * nested ones too, each fingerprinted on its own canonical form; those are the schemas encoders
 * and decoders are made for, found by full name. Writer schemas added later (other versions,
 * registry schemas) are found by fingerprint or registry id only. The JSON is kept because avro-c
 * drops field defaults when it parses a schema, and the decoder needs them. Entries are allocated
 * one by one so pointers to them stay valid while the store grows. Lookups are linear: the store
 * holds a few dozen entries, and decoders cache what they found.
 *
 * Encoding. A single pass in the steady state: the datum is written by avro_value_write straight
 * into the caller's vk_buf after room for the 10-byte header; only when that room is too small
 * is the exact size computed (avro_value_sizeof) and the write repeated.
 *
 * Decoding. The frame (single-object or Confluent) names the writer schema. Each decoder caches
 * a read plan per writer (by fingerprint or registry id), so the steady state allocates nothing
 * of its own. A plan is one of:
 *  - direct: the writer is the reader schema; avro_value_read fills the reader value;
 *  - resolved: avro-c's resolved writer (writer -> reader) fills the reader value;
 *  - trimmed: the writer lacks fields the reader has (an older peer). avro-c 1.11.1 cannot do
 *    that ("Reader field x doesn't appear in writer" — its source says "TODO: Handle default
 *    values"), so the plan resolves against the reader's canonical form minus those fields, at
 *    every record level, then copies that value into the reader value by field name, filling
 *    each missing field from the default in the reader's JSON. The copy is paid only for writers
 *    older than the reader.
 * Before avro-c reads a datum, it is vetted against the writer schema without allocating:
 * lengths, union and enum indexes, block counts and nesting depth. That gives the precise
 * errors ("truncated datum", "N trailing bytes") and keeps hostile bytes away from avro-c
 * 1.11.1's readers, which trust lengths (a negative string length makes read_string write
 * before its buffer; a huge one is malloc'd as is).
 *
 * Names: avro-c matches records by their short name only; the top-level record's full name is
 * checked here, so vaksin.v1.X is never read as vaksin.v2.X by accident.
 */
#include "vk_codec.h"
#include "vk_err.h"

#include "vk_schemas.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define VK_SINGLE_OBJECT_HEADER 10    /* C3 01, 8-byte little-endian fingerprint */
#define VK_CONFLUENT_HEADER     5     /* 00, 4-byte big-endian schema id */
#define VK_MAX_DEPTH            64    /* nesting allowed in a datum (recursive schemas) */
#define VK_MAX_EMPTY_ITEMS      65536 /* items of zero encoded size allowed in one array block */

/** @brief Clears avro-c's error text: its prefix errors append to whatever was there. */
static void clear_avro_error(void) {
    avro_set_error("%s", "");
}

/* ---- avro-c schema helpers ---- */

/** @brief The full name of a named avro-c schema (namespace "." name) into @p buf. */
static const char *avro_full_name(avro_schema_t s, char *buf, size_t len) {
    const char *ns = avro_schema_namespace(s);
    snprintf(buf, len, "%s%s%s", ns && *ns ? ns : "", ns && *ns ? "." : "", avro_schema_name(s));
    return buf;
}

static bool has_full_name(avro_schema_t s, const char *full) {
    char buf[512];
    return strcmp(avro_full_name(s, buf, sizeof buf), full) == 0;
}

/** @brief The record named @p full inside @p s (links are not followed), or NULL. */
static avro_schema_t find_record(avro_schema_t s, const char *full) {
    avro_schema_t found = NULL;
    if (is_avro_record(s)) {
        if (has_full_name(s, full))
            return s;
        for (size_t i = 0; !found && i < avro_schema_record_size(s); i++)
            found = find_record(avro_schema_record_field_get_by_index(s, i), full);
    } else if (is_avro_union(s)) {
        for (size_t i = 0; !found && i < avro_schema_union_size(s); i++)
            found = find_record(avro_schema_union_branch(s, i), full);
    } else if (is_avro_array(s)) {
        found = find_record(avro_schema_array_items(s), full);
    } else if (is_avro_map(s)) {
        found = find_record(avro_schema_map_values(s), full);
    }
    return found;
}

/* ---- The store ---- */

typedef struct vk_schema_entry {
    char *full_name;
    uint64_t fingerprint;
    bool contract;        /* part of the embedded contract: found by name */
    avro_schema_t schema; /* owned reference */
    json_t *doc;          /* owned reference to the document it came from */
    json_t *def;          /* borrowed from doc: this record's definition, with its defaults */
    char *canonical;      /* its Parsing Canonical Form */
    int32_t writer_id;    /* the registry id encoders frame it with; -1: single-object */
} vk_schema_entry;

typedef struct vk_registry_id {
    int32_t id;
    vk_schema_entry *entry;
} vk_registry_id;

struct vk_codec {
    vk_schema_entry **entries;
    size_t count, cap;
    vk_registry_id *ids;
    size_t id_count, id_cap;
    /* Where a registry id the store lacks is fetched (vk_codec_set_schema_source), and how
     * much schema text fetched ids may hold at most. */
    vk_schema_source_fn source;
    void *source_arg;
    size_t fetched_bytes, fetched_max;
};

static void entry_free(vk_schema_entry *e) {
    if (!e)
        return;
    free(e->full_name);
    free(e->canonical);
    if (e->schema)
        avro_schema_decref(e->schema);
    json_decref(e->doc);
    free(e);
}

static vk_schema_entry *find_by_name(const vk_codec *codec, const char *full) {
    for (size_t i = 0; i < codec->count; i++)
        if (codec->entries[i]->contract && strcmp(codec->entries[i]->full_name, full) == 0)
            return codec->entries[i];
    return NULL;
}

static vk_schema_entry *find_by_fingerprint(const vk_codec *codec, uint64_t fp) {
    for (size_t i = 0; i < codec->count; i++)
        if (codec->entries[i]->fingerprint == fp)
            return codec->entries[i];
    return NULL;
}

static vk_schema_entry *find_by_registry_id(const vk_codec *codec, int32_t id) {
    for (size_t i = 0; i < codec->id_count; i++)
        if (codec->ids[i].id == id)
            return codec->ids[i].entry;
    return NULL;
}

/** @brief The default of field @p field of contract record @p record (borrowed), or NULL when
 *  it has none. A JSON null is the default null, not "none". */
static json_t *field_default(const vk_codec *codec, const char *record, const char *field) {
    vk_schema_entry *e = find_by_name(codec, record);
    size_t i;
    json_t *f;
    if (!e)
        return NULL;
    json_array_foreach(json_object_get(e->def, "fields"), i, f) {
        if (strcmp(json_string_value(json_object_get(f, "name")), field) == 0)
            return json_object_get(f, "default");
    }
    return NULL;
}

/** One schema document being added to the store. */
typedef struct doc_ctx {
    vk_codec *codec;
    const char *origin; /* file name, for messages */
    json_t *doc;
    avro_schema_t root;
    bool contract;        /* add every named record, found by name */
    vk_schema_entry *top; /* out: the entry of the top-level record */
    char *err;
    size_t errlen;
} doc_ctx;

/**
 * @brief The avro-c schema of a record of the document: the parsed document itself for the
 * top-level record; for a nested one, its own canonical form parsed alone, because avro-c turns
 * every repeated reference to a named type into a link, and a value class cannot be made from a
 * subschema whose links point outside it ("Never created a value implementation for Grant").
 */
static avro_schema_t entry_schema(doc_ctx *d, json_t *def, const char *canonical) {
    avro_schema_t s = NULL;
    if (def == d->doc)
        return avro_schema_incref(d->root);
    clear_avro_error();
    if (avro_schema_from_json_length(canonical, strlen(canonical), &s)) {
        vk_errf(d->err, d->errlen, "%s: avro-c cannot parse a nested record alone: %s", d->origin,
                avro_strerror());
        return NULL;
    }
    return s;
}

static vk_schema_entry *entry_new(doc_ctx *d, const char *full, json_t *def) {
    vk_schema_entry *e = calloc(1, sizeof *e);
    if (!e) {
        vk_errf(d->err, d->errlen, "out of memory");
        return NULL;
    }
    e->canonical = vk_avro_canonical_form_json(d->doc, full, d->err, d->errlen);
    e->full_name = strdup(full);
    if (!e->canonical || !e->full_name || !(e->schema = entry_schema(d, def, e->canonical))) {
        if (e->canonical && !e->full_name)
            vk_errf(d->err, d->errlen, "out of memory");
        entry_free(e);
        return NULL;
    }
    e->fingerprint = vk_avro_crc64(e->canonical, strlen(e->canonical));
    e->writer_id = -1;
    e->contract = d->contract;
    e->doc = json_incref(d->doc);
    e->def = def;
    return e;
}

static int store_push(vk_codec *codec, vk_schema_entry *e) {
    if (codec->count == codec->cap) {
        size_t cap = codec->cap ? codec->cap * 2 : 32;
        vk_schema_entry **entries = realloc(codec->entries, cap * sizeof *entries);
        if (!entries)
            return -1;
        codec->entries = entries;
        codec->cap = cap;
    }
    codec->entries[codec->count++] = e;
    return 0;
}

/**
 * @brief Stores @p e, or drops it when the store already has its fingerprint. Two contract
 * records with one name and different forms are a contract bug, reported here.
 * Takes ownership of @p e; returns the stored entry or NULL with the error set.
 */
static vk_schema_entry *store_entry(doc_ctx *d, vk_schema_entry *e) {
    vk_schema_entry *same = find_by_fingerprint(d->codec, e->fingerprint);
    vk_schema_entry *named = d->contract ? find_by_name(d->codec, e->full_name) : NULL;
    if (named && named->fingerprint != e->fingerprint) {
        vk_errf(d->err, d->errlen, "%s: record %s differs from its definition in another file",
                d->origin, e->full_name);
        entry_free(e);
        return NULL;
    }
    if (same && d->contract && !same->contract) {
        /* A known version becomes the contract's: take the contract's defaults, which the
         * canonical form, and so the fingerprint, ignores. */
        json_decref(same->doc);
        same->doc = json_incref(e->doc);
        same->def = e->def;
        same->contract = true;
    }
    if (same) {
        entry_free(e);
        return same;
    }
    if (store_push(d->codec, e)) {
        vk_errf(d->err, d->errlen, "out of memory");
        entry_free(e);
        return NULL;
    }
    return e;
}

/** @brief vk_avro_named_types callback: stores one record of the document. */
static int add_named_record(const char *full, json_t *def, void *arg) {
    doc_ctx *d = arg;
    const char *kind = json_string_value(json_object_get(def, "type"));
    if (strcmp(kind, "record") != 0 || (!d->contract && def != d->doc))
        return 0;
    vk_schema_entry *e = entry_new(d, full, def);
    if (!e || !(e = store_entry(d, e)))
        return -1;
    if (def == d->doc)
        d->top = e;
    return 0;
}

static int parse_document(doc_ctx *d, const char *text) {
    json_error_t jerr;
    d->doc = json_loads(text, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &jerr);
    if (!d->doc)
        return vk_errf(d->err, d->errlen, "%s: invalid JSON at line %d column %d: %s", d->origin,
                       jerr.line, jerr.column, jerr.text);
    const char *kind = json_string_value(json_object_get(d->doc, "type"));
    if (!kind || strcmp(kind, "record") != 0)
        return vk_errf(d->err, d->errlen, "%s: not a record schema", d->origin);
    clear_avro_error();
    if (avro_schema_from_json_length(text, strlen(text), &d->root)) {
        d->root = NULL;
        return vk_errf(d->err, d->errlen, "%s: avro-c cannot parse it: %s", d->origin,
                       avro_strerror());
    }
    return 0;
}

/** @brief Adds a schema document; *@p top receives its top-level entry. Returns 0 or -1. */
static int add_document(vk_codec *codec, const char *text, bool contract, const char *origin,
                        vk_schema_entry **top, char *err, size_t errlen) {
    doc_ctx d = {
        .codec = codec, .origin = origin, .contract = contract, .err = err, .errlen = errlen};
    char inner[512] = "";
    int rc = parse_document(&d, text);
    if (rc == 0) {
        /* The callback reports into err itself; the walker's message lacks the origin. */
        rc = vk_avro_named_types(d.doc, add_named_record, &d, inner, sizeof inner);
        if (rc && inner[0])
            vk_errf(err, errlen, "%s: %s", origin, inner);
    }
    if (d.root)
        avro_schema_decref(d.root);
    json_decref(d.doc);
    if (rc == 0 && top)
        *top = d.top;
    return rc ? -1 : 0;
}

vk_codec *vk_codec_new(char *err, size_t errlen) {
    vk_codec *codec = calloc(1, sizeof *codec);
    if (!codec) {
        vk_errf(err, errlen, "out of memory");
        return NULL;
    }
    for (const vk_embedded_schema *s = vk_embedded_schemas; s->file; s++) {
        if (add_document(codec, s->json, true, s->file, NULL, err, errlen)) {
            vk_codec_destroy(codec);
            return NULL;
        }
    }
    return codec;
}

void vk_codec_destroy(vk_codec *codec) {
    if (!codec)
        return;
    for (size_t i = 0; i < codec->count; i++)
        entry_free(codec->entries[i]);
    free(codec->entries);
    free(codec->ids);
    free(codec);
}

int vk_codec_add_schema(vk_codec *codec, const char *schema_json, char *err, size_t errlen) {
    return add_document(codec, schema_json, false, "writer schema", NULL, err, errlen);
}

int vk_codec_add_contract_schema(vk_codec *codec, const char *schema_json, char *err,
                                 size_t errlen) {
    /* A reader the JSON conversion must know too (its defaults and logical types). */
    if (add_document(codec, schema_json, true, "contract schema", NULL, err, errlen))
        return -1;
    return vk_json_register_schema(schema_json, err, errlen);
}

/** @brief Reads a whole file into a NUL-terminated malloc'd string, or NULL with @p err. */
static char *read_file(const char *path, char *err, size_t errlen) {
    FILE *f = fopen(path, "rb");
    vk_buf b = VK_BUF_INIT;
    char chunk[8192];
    size_t n;
    if (!f) {
        vk_errf(err, errlen, "%s: %s", path, strerror(errno));
        return NULL;
    }
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        if (vk_buf_append(&b, chunk, n))
            break;
    bool bad = ferror(f) || (n > 0) || vk_buf_append(&b, "", 1);
    fclose(f);
    if (bad) {
        vk_errf(err, errlen, "%s: cannot read it", path);
        vk_buf_free(&b);
        return NULL;
    }
    return (char *)b.data;
}

static bool has_suffix(const char *s, const char *suffix) {
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

int vk_codec_add_schema_dir(vk_codec *codec, const char *dir, char *err, size_t errlen) {
    DIR *d = opendir(dir);
    struct dirent *de;
    int count = 0;
    if (!d)
        return vk_errf(err, errlen, "%s: %s", dir, strerror(errno));
    while (count >= 0 && (de = readdir(d)) != NULL) {
        char path[PATH_MAX];
        if (!has_suffix(de->d_name, ".avsc"))
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        char *text = read_file(path, err, errlen);
        if (!text || add_document(codec, text, false, path, NULL, err, errlen))
            count = -1;
        else
            count++;
        free(text);
    }
    closedir(d);
    return count;
}

static int registry_push(vk_codec *codec, int32_t id, vk_schema_entry *e) {
    if (codec->id_count == codec->id_cap) {
        size_t cap = codec->id_cap ? codec->id_cap * 2 : 16;
        vk_registry_id *ids = realloc(codec->ids, cap * sizeof *ids);
        if (!ids)
            return -1;
        codec->ids = ids;
        codec->id_cap = cap;
    }
    codec->ids[codec->id_count++] = (vk_registry_id){id, e};
    return 0;
}

int vk_codec_add_registry_schema(vk_codec *codec, int32_t id, const char *schema_json, char *err,
                                 size_t errlen) {
    char origin[64], inner[512];
    snprintf(origin, sizeof origin, "schema registry id %" PRId32, id);
    uint64_t fp = vk_avro_fingerprint(schema_json, inner, sizeof inner);
    if (fp == 0)
        return vk_errf(err, errlen, "%s: %s", origin, inner);
    vk_schema_entry *known = find_by_registry_id(codec, id);
    if (known && known->fingerprint != fp)
        return vk_errf(err, errlen,
                       "%s is already registered with another schema (%s %016" PRIx64 ")", origin,
                       known->full_name, known->fingerprint);
    if (known)
        return 0;
    vk_schema_entry *top = NULL;
    if (add_document(codec, schema_json, false, origin, &top, err, errlen))
        return -1;
    if (registry_push(codec, id, top))
        return vk_errf(err, errlen, "out of memory");
    return 0;
}

void vk_codec_set_schema_source(vk_codec *codec, vk_schema_source_fn source, void *arg,
                                size_t max_bytes) {
    codec->source = source;
    codec->source_arg = arg;
    codec->fetched_max = max_bytes;
}

int vk_codec_set_writer_id(vk_codec *codec, const char *full_name, int32_t id, char *err,
                           size_t errlen) {
    vk_schema_entry *e = find_by_name(codec, full_name);
    if (!e)
        return vk_errf(err, errlen, "no record %s in the contract", full_name);
    vk_schema_entry *known = find_by_registry_id(codec, id);
    if (known && known->fingerprint != e->fingerprint)
        return vk_errf(err, errlen,
                       "schema registry id %" PRId32 " is %s %016" PRIx64 " here, not %s", id,
                       known->full_name, known->fingerprint, full_name);
    if (e->writer_id >= 0 && e->writer_id != id)
        return vk_errf(err, errlen,
                       "%s has schema registry id %" PRId32 " under one subject and %" PRId32
                       " under another; every value of a record is framed with one id",
                       full_name, e->writer_id, id);
    if (!known && registry_push(codec, id, e))
        return vk_errf(err, errlen, "out of memory");
    e->writer_id = id;
    return 0;
}

int32_t vk_codec_writer_id(const vk_codec *codec, const char *full_name) {
    vk_schema_entry *e = find_by_name(codec, full_name);
    return e ? e->writer_id : -1;
}

char *vk_codec_schema_text(const vk_codec *codec, const char *full_name) {
    vk_schema_entry *e = find_by_name(codec, full_name);
    if (!e || e->def != e->doc) /* a nested record is not a document of its own */
        return NULL;
    return json_dumps(e->doc, JSON_COMPACT | JSON_PRESERVE_ORDER);
}

avro_schema_t vk_codec_schema(const vk_codec *codec, const char *full_name) {
    vk_schema_entry *e = find_by_name(codec, full_name);
    return e ? e->schema : NULL;
}

uint64_t vk_codec_fingerprint(const vk_codec *codec, const char *full_name) {
    vk_schema_entry *e = find_by_name(codec, full_name);
    return e ? e->fingerprint : 0;
}

/* ---- Encoding ---- */

struct vk_encoder {
    const vk_schema_entry *entry;
    avro_value_iface_t *iface;
    avro_value_t value;
    avro_writer_t writer; /* pointed at the caller's buffer on each write */
};

vk_encoder *vk_encoder_new(vk_codec *codec, const char *full_name, char *err, size_t errlen) {
    const vk_schema_entry *e = find_by_name(codec, full_name);
    if (!e) {
        vk_errf(err, errlen, "no record %s in the contract", full_name);
        return NULL;
    }
    vk_encoder *enc = calloc(1, sizeof *enc);
    if (!enc) {
        vk_errf(err, errlen, "out of memory");
        return NULL;
    }
    enc->entry = e;
    enc->iface = avro_generic_class_from_schema(e->schema);
    enc->writer = avro_writer_memory("", 0);
    if (!enc->iface || !enc->writer || avro_generic_value_new(enc->iface, &enc->value)) {
        vk_errf(err, errlen, "cannot make an encoder for %s: %s", full_name, avro_strerror());
        vk_encoder_destroy(enc);
        return NULL;
    }
    return enc;
}

void vk_encoder_destroy(vk_encoder *enc) {
    if (!enc)
        return;
    if (enc->value.self)
        avro_value_decref(&enc->value);
    if (enc->iface)
        avro_value_iface_decref(enc->iface);
    if (enc->writer)
        avro_writer_free(enc->writer);
    free(enc);
}

avro_value_t *vk_encoder_value(vk_encoder *enc) {
    avro_value_reset(&enc->value);
    return &enc->value;
}

/** @brief The frame's header for the entry: Confluent's when the record has a registry id (set
 *  at start, before any write), else single-object. Returns its length. */
static size_t write_header(const vk_schema_entry *e, uint8_t *h) {
    if (e->writer_id >= 0) {
        uint32_t id = (uint32_t)e->writer_id;
        h[0] = 0x00;
        h[1] = (uint8_t)(id >> 24), h[2] = (uint8_t)(id >> 16);
        h[3] = (uint8_t)(id >> 8), h[4] = (uint8_t)id;
        return VK_CONFLUENT_HEADER;
    }
    h[0] = 0xC3;
    h[1] = 0x01;
    for (int i = 0; i < 8; i++)
        h[2 + i] = (uint8_t)(e->fingerprint >> (8 * i));
    return VK_SINGLE_OBJECT_HEADER;
}

/** @brief Writes the datum after @p hlen bytes of room for the header; *@p written is its size. */
static int write_datum(vk_encoder *enc, avro_value_t *v, vk_buf *out, size_t hlen,
                       size_t *written) {
    size_t room = out->cap - out->len - hlen;
    avro_writer_memory_set_dest(enc->writer, (const char *)out->data + out->len + hlen,
                                (int64_t)room);
    clear_avro_error();
    int rc = avro_value_write(enc->writer, v);
    if (rc == 0)
        *written = (size_t)avro_writer_tell(enc->writer);
    return rc;
}

int vk_encoder_write(vk_encoder *enc, const avro_value_t *value, vk_buf *out, char *err,
                     size_t errlen) {
    avro_value_t v = *value; /* avro-c wants non-const; writing does not modify it */
    avro_schema_t s = avro_value_get_schema(&v);
    size_t written = 0, need = 0;
    uint8_t header[VK_SINGLE_OBJECT_HEADER];
    size_t hlen = write_header(enc->entry, header);
    if (s != enc->entry->schema && !avro_schema_equal(s, enc->entry->schema)) {
        char buf[512];
        return vk_errf(err, errlen, "the value is a %s, this encoder writes %s",
                       is_avro_named_type(s) ? avro_full_name(s, buf, sizeof buf)
                                             : avro_schema_type_name(s),
                       enc->entry->full_name);
    }
    if (vk_buf_reserve(out, hlen + 256))
        return vk_errf(err, errlen, "out of memory");
    int rc = write_datum(enc, &v, out, hlen, &written);
    if (rc == ENOSPC) {
        clear_avro_error();
        if ((rc = avro_value_sizeof(&v, &need)) == 0) {
            if (vk_buf_reserve(out, hlen + need))
                return vk_errf(err, errlen, "out of memory");
            rc = write_datum(enc, &v, out, hlen, &written);
        }
    }
    if (rc)
        return vk_errf(err, errlen, "cannot encode %s: %s", enc->entry->full_name, avro_strerror());
    memcpy(out->data + out->len, header, hlen);
    out->len += hlen + written;
    return 0;
}

/* ---- Framing ---- */

enum { VK_FRAME_SINGLE_OBJECT, VK_FRAME_CONFLUENT };

typedef struct vk_frame {
    int framing;
    uint64_t key; /* fingerprint, or registry id */
    const uint8_t *datum;
    size_t len;
} vk_frame;

static int not_avro(const uint8_t *p, size_t len, char *err, size_t errlen) {
    if (len == 0)
        return vk_errf(err, errlen, "not Avro: empty message");
    if (len == 1)
        return vk_errf(err, errlen, "not Avro: first bytes %02x", p[0]);
    return vk_errf(err, errlen, "not Avro: first bytes %02x %02x", p[0], p[1]);
}

static int parse_frame(const uint8_t *p, size_t len, vk_frame *f, char *err, size_t errlen) {
    if (len >= 2 && p[0] == 0xC3 && p[1] == 0x01) {
        if (len < VK_SINGLE_OBJECT_HEADER)
            return vk_errf(err, errlen, "truncated single-object header: %zu of 10 bytes", len);
        uint64_t fp = 0;
        for (int i = 0; i < 8; i++)
            fp |= (uint64_t)p[2 + i] << (8 * i);
        *f = (vk_frame){VK_FRAME_SINGLE_OBJECT, fp, p + VK_SINGLE_OBJECT_HEADER,
                        len - VK_SINGLE_OBJECT_HEADER};
        return 0;
    }
    if (len >= 1 && p[0] == 0x00) {
        if (len < VK_CONFLUENT_HEADER)
            return vk_errf(err, errlen, "truncated Confluent header: %zu of 5 bytes", len);
        uint32_t id = (uint32_t)p[1] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 8 | p[4];
        *f = (vk_frame){VK_FRAME_CONFLUENT, id, p + VK_CONFLUENT_HEADER, len - VK_CONFLUENT_HEADER};
        return 0;
    }
    return not_avro(p, len, err, errlen);
}

/* ---- Vetting a datum before avro-c reads it ---- */

typedef struct vet_ctx {
    const uint8_t *p, *end;
    bool truncated;
    char problem[160];
} vet_ctx;

static int vet_fail(vet_ctx *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int vet_fail(vet_ctx *v, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(v->problem, sizeof v->problem, fmt, ap);
    va_end(ap);
    return -1;
}

static int vet_truncated(vet_ctx *v) {
    v->truncated = true;
    return -1;
}

static int vet_skip(vet_ctx *v, uint64_t n) {
    if (n > (uint64_t)(v->end - v->p))
        return vet_truncated(v);
    v->p += n;
    return 0;
}

/** @brief A zig-zag varint of at most 10 bytes. */
static int vet_long(vet_ctx *v, int64_t *out) {
    uint64_t u = 0;
    *out = 0; /* defined on every path; gcc -O3 cannot see it otherwise */
    for (int shift = 0; shift < 70; shift += 7) {
        if (v->p == v->end)
            return vet_truncated(v);
        uint8_t b = *v->p++;
        u |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *out = (int64_t)(u >> 1) ^ -(int64_t)(u & 1);
            return 0;
        }
    }
    return vet_fail(v, "a varint longer than 10 bytes");
}

static int vet_index(vet_ctx *v, size_t count, const char *what) {
    int64_t i = 0;
    if (vet_long(v, &i))
        return -1;
    if (i < 0 || (uint64_t)i >= count)
        return vet_fail(v, "%s index %" PRId64 " out of range (%zu)", what, i, count);
    return (int)i;
}

static int vet_length(vet_ctx *v) {
    int64_t n = 0;
    if (vet_long(v, &n))
        return -1;
    if (n < 0)
        return vet_fail(v, "negative length %" PRId64, n);
    return vet_skip(v, (uint64_t)n);
}

/** @brief True when a value of @p s can encode to zero bytes (null, empty record, fixed 0). */
static bool may_be_empty(avro_schema_t s, int depth) {
    if (depth > VK_MAX_DEPTH)
        return false;
    if (is_avro_link(s))
        return may_be_empty(avro_schema_link_target(s), depth + 1);
    if (is_avro_null(s))
        return true;
    if (is_avro_fixed(s))
        return avro_schema_fixed_size(s) == 0;
    if (!is_avro_record(s))
        return false;
    for (size_t i = 0; i < avro_schema_record_size(s); i++)
        if (!may_be_empty(avro_schema_record_field_get_by_index(s, i), depth + 1))
            return false;
    return true;
}

static int vet_value(vet_ctx *v, avro_schema_t s, int depth);

/** @brief Array and map blocks: a count, negative when followed by a byte size. */
static int vet_blocks(vet_ctx *v, avro_schema_t item, bool map, int depth) {
    bool empty = !map && may_be_empty(item, 0);
    for (;;) {
        int64_t count, size;
        if (vet_long(v, &count))
            return -1;
        if (count == 0)
            return 0;
        if (count < 0 && (count == INT64_MIN || vet_long(v, &size) || size < 0))
            return v->truncated ? -1 : vet_fail(v, "a malformed block header");
        count = count < 0 ? -count : count;
        if (!empty && (uint64_t)count > (uint64_t)(v->end - v->p))
            return vet_truncated(v);
        if (empty && count > VK_MAX_EMPTY_ITEMS)
            return vet_fail(v, "a block of %" PRId64 " empty items", count);
        for (int64_t i = 0; i < count; i++)
            if ((map && vet_length(v)) || vet_value(v, item, depth + 1))
                return -1;
    }
}

static int vet_record(vet_ctx *v, avro_schema_t s, int depth) {
    for (size_t i = 0; i < avro_schema_record_size(s); i++)
        if (vet_value(v, avro_schema_record_field_get_by_index(s, i), depth + 1))
            return -1;
    return 0;
}

static int vet_value(vet_ctx *v, avro_schema_t s, int depth) {
    int64_t n = 0;
    int i;
    if (depth > VK_MAX_DEPTH)
        return vet_fail(v, "nesting deeper than %d", VK_MAX_DEPTH);
    switch (avro_typeof(s)) {
    case AVRO_NULL:
        return 0;
    case AVRO_BOOLEAN:
        return vet_skip(v, 1);
    case AVRO_FLOAT:
        return vet_skip(v, 4);
    case AVRO_DOUBLE:
        return vet_skip(v, 8);
    case AVRO_INT64:
        return vet_long(v, &n);
    case AVRO_INT32:
        if (vet_long(v, &n))
            return -1;
        return n < INT32_MIN || n > INT32_MAX ? vet_fail(v, "int %" PRId64 " out of range", n) : 0;
    case AVRO_STRING:
    case AVRO_BYTES:
        return vet_length(v);
    case AVRO_FIXED:
        return vet_skip(v, (uint64_t)avro_schema_fixed_size(s));
    case AVRO_ENUM:
        return vet_index(v, (size_t)avro_schema_enum_number_of_symbols(s), "enum") < 0 ? -1 : 0;
    case AVRO_UNION:
        if ((i = vet_index(v, avro_schema_union_size(s), "union")) < 0)
            return -1;
        return vet_value(v, avro_schema_union_branch(s, i), depth + 1);
    case AVRO_RECORD:
        return vet_record(v, s, depth);
    case AVRO_ARRAY:
        return vet_blocks(v, avro_schema_array_items(s), false, depth);
    case AVRO_MAP:
        return vet_blocks(v, avro_schema_map_values(s), true, depth);
    case AVRO_LINK:
        return vet_value(v, avro_schema_link_target(s), depth + 1);
    default:
        return vet_fail(v, "unsupported schema type %s", avro_schema_type_name(s));
    }
}

/**
 * @brief Checks that @p f's datum is exactly one well-formed value of the writer schema.
 * Returns 0, or -1 with "truncated datum …", "N trailing bytes …" or "malformed datum …".
 */
static int vet_datum(const vk_schema_entry *w, const vk_frame *f, char *err, size_t errlen) {
    vet_ctx v = {.p = f->datum, .end = f->datum + f->len};
    if (vet_value(&v, w->schema, 0)) {
        if (v.truncated)
            return vk_errf(err, errlen, "truncated datum: %zu bytes end inside a %s", f->len,
                           w->full_name);
        return vk_errf(err, errlen, "malformed datum of writer schema %s at byte %zu: %s",
                       w->full_name, (size_t)(v.p - f->datum), v.problem);
    }
    if (v.p != v.end)
        return vk_errf(err, errlen, "%zu trailing bytes after a %zu-byte %s datum",
                       (size_t)(v.end - v.p), (size_t)(v.p - f->datum), w->full_name);
    return 0;
}

/* ---- Defaults and the copy out of a trimmed reader value ---- */

typedef struct merge_ctx {
    const vk_codec *codec;
    char *err;
    size_t errlen;
} merge_ctx;

static int apply_default(merge_ctx *m, avro_value_t *dst, json_t *def, const char *where);

/** @brief A bytes/fixed default: a string of code points U+0000..U+00FF, one per byte. */
static int apply_bytes_default(merge_ctx *m, avro_value_t *dst, json_t *def, const char *where) {
    const unsigned char *s = (const unsigned char *)json_string_value(def);
    size_t len = json_string_length(def), n = 0;
    uint8_t *bytes = malloc(len + 1);
    int rc = 0;
    if (!bytes)
        return vk_errf(m->err, m->errlen, "out of memory");
    for (size_t i = 0; rc == 0 && i < len; i++) {
        if (s[i] < 0x80)
            bytes[n++] = s[i];
        else if ((s[i] == 0xC2 || s[i] == 0xC3) && i + 1 < len)
            bytes[n++] = (uint8_t)(((s[i] & 0x03) << 6) | (s[i + 1] & 0x3f)), i++;
        else
            rc = vk_errf(m->err, m->errlen, "default of %s: a code point above U+00FF", where);
    }
    if (rc == 0 && avro_value_get_type(dst) == AVRO_FIXED) {
        if (n != (size_t)avro_schema_fixed_size(avro_value_get_schema(dst)))
            rc = vk_errf(m->err, m->errlen, "default of %s: wrong size for the fixed", where);
        else
            rc = avro_value_set_fixed(dst, bytes, n);
    } else if (rc == 0) {
        rc = avro_value_set_bytes(dst, bytes, n);
    }
    free(bytes);
    return rc ? -1 : 0;
}

static int apply_record_default(merge_ctx *m, avro_value_t *dst, json_t *def, const char *where) {
    avro_schema_t s = avro_value_get_schema(dst);
    char full[512];
    avro_full_name(s, full, sizeof full);
    if (!json_is_object(def))
        return vk_errf(m->err, m->errlen, "default of %s: expected an object", where);
    for (size_t i = 0; i < avro_schema_record_size(s); i++) {
        const char *name = avro_schema_record_field_name(s, i);
        json_t *v = json_object_get(def, name);
        avro_value_t child;
        if (!v)
            v = field_default(m->codec, full, name);
        if (!v)
            return vk_errf(m->err, m->errlen, "default of %s: no value for %s.%s", where, full,
                           name);
        if (avro_value_get_by_index(dst, i, &child, NULL) || apply_default(m, &child, v, where))
            return -1;
    }
    return 0;
}

static int apply_list_default(merge_ctx *m, avro_value_t *dst, json_t *def, const char *where) {
    avro_value_t child;
    if (avro_value_get_type(dst) == AVRO_ARRAY) {
        size_t i;
        json_t *item;
        if (!json_is_array(def))
            return vk_errf(m->err, m->errlen, "default of %s: expected an array", where);
        json_array_foreach(def, i, item) {
            if (avro_value_append(dst, &child, NULL) || apply_default(m, &child, item, where))
                return -1;
        }
        return 0;
    }
    const char *key;
    json_t *item;
    if (!json_is_object(def))
        return vk_errf(m->err, m->errlen, "default of %s: expected an object", where);
    json_object_foreach(def, key, item) {
        if (avro_value_add(dst, key, &child, NULL, NULL) || apply_default(m, &child, item, where))
            return -1;
    }
    return 0;
}

static int apply_scalar_default(merge_ctx *m, avro_value_t *dst, json_t *def, const char *where) {
    avro_type_t t = avro_value_get_type(dst);
    bool ok = (t == AVRO_NULL && json_is_null(def)) ||
              (t == AVRO_BOOLEAN && json_is_boolean(def)) ||
              ((t == AVRO_INT32 || t == AVRO_INT64) && json_is_integer(def)) ||
              ((t == AVRO_FLOAT || t == AVRO_DOUBLE) && json_is_number(def)) ||
              ((t == AVRO_STRING || t == AVRO_ENUM) && json_is_string(def));
    json_int_t i = json_integer_value(def);
    if (!ok || (t == AVRO_INT32 && (i < INT32_MIN || i > INT32_MAX)))
        return vk_errf(m->err, m->errlen, "default of %s does not fit a %s", where,
                       avro_schema_type_name(avro_value_get_schema(dst)));
    int rc = 0;
    switch (t) {
    case AVRO_NULL:
        rc = avro_value_set_null(dst);
        break;
    case AVRO_BOOLEAN:
        rc = avro_value_set_boolean(dst, json_is_true(def));
        break;
    case AVRO_INT32:
        rc = avro_value_set_int(dst, (int32_t)i);
        break;
    case AVRO_INT64:
        rc = avro_value_set_long(dst, (int64_t)i);
        break;
    case AVRO_FLOAT:
        rc = avro_value_set_float(dst, (float)json_number_value(def));
        break;
    case AVRO_DOUBLE:
        rc = avro_value_set_double(dst, json_number_value(def));
        break;
    case AVRO_STRING:
        rc = avro_value_set_string(dst, json_string_value(def));
        break;
    default: {
        int sym = avro_schema_enum_get_by_name(avro_value_get_schema(dst), json_string_value(def));
        rc = sym < 0 ? vk_errf(m->err, m->errlen, "default of %s: no symbol %s", where,
                               json_string_value(def))
                     : avro_value_set_enum(dst, sym);
    }
    }
    return rc ? -1 : 0;
}

/** @brief Sets @p dst from a default in the specification's JSON form (a union default is
 *  of the union's first branch). @p where names the field, for messages. */
static int apply_default(merge_ctx *m, avro_value_t *dst, json_t *def, const char *where) {
    avro_value_t branch;
    switch (avro_value_get_type(dst)) {
    case AVRO_UNION:
        if (avro_value_set_branch(dst, 0, &branch))
            return vk_errf(m->err, m->errlen, "default of %s: %s", where, avro_strerror());
        return apply_default(m, &branch, def, where);
    case AVRO_RECORD:
        return apply_record_default(m, dst, def, where);
    case AVRO_ARRAY:
    case AVRO_MAP:
        return apply_list_default(m, dst, def, where);
    case AVRO_BYTES:
    case AVRO_FIXED:
        if (!json_is_string(def))
            return vk_errf(m->err, m->errlen, "default of %s: expected a string", where);
        return apply_bytes_default(m, dst, def, where);
    default:
        return apply_scalar_default(m, dst, def, where);
    }
}

static int merge_value(merge_ctx *m, avro_value_t *dst, avro_value_t *src);

/** @brief Copies a record field by field name; fields the source lacks take their default. */
static int merge_record(merge_ctx *m, avro_value_t *dst, avro_value_t *src) {
    avro_schema_t ds = avro_value_get_schema(dst), ss = avro_value_get_schema(src);
    char full[512], where[600];
    avro_full_name(ds, full, sizeof full);
    for (size_t i = 0; i < avro_schema_record_size(ds); i++) {
        const char *name = avro_schema_record_field_name(ds, i);
        int j = avro_schema_record_field_get_index(ss, name);
        avro_value_t dc, sc;
        if (avro_value_get_by_index(dst, i, &dc, NULL))
            return -1;
        if (j >= 0) {
            if (avro_value_get_by_index(src, (size_t)j, &sc, NULL) || merge_value(m, &dc, &sc))
                return -1;
            continue;
        }
        snprintf(where, sizeof where, "%s.%s", full, name);
        json_t *def = field_default(m->codec, full, name);
        if (!def)
            return vk_errf(m->err, m->errlen, "%s has no default", where);
        if (apply_default(m, &dc, def, where))
            return -1;
    }
    return 0;
}

static int merge_list(merge_ctx *m, avro_value_t *dst, avro_value_t *src) {
    size_t n;
    bool map = avro_value_get_type(dst) == AVRO_MAP;
    if (avro_value_get_size(src, &n))
        return -1;
    for (size_t i = 0; i < n; i++) {
        avro_value_t dc, sc;
        const char *key = NULL;
        if (avro_value_get_by_index(src, i, &sc, &key))
            return -1;
        if ((map ? avro_value_add(dst, key, &dc, NULL, NULL) : avro_value_append(dst, &dc, NULL)) ||
            merge_value(m, &dc, &sc))
            return -1;
    }
    return 0;
}

/** @brief Copies a leaf. Strings and bytes are copied into the destination's own buffer, which
 *  a reset keeps; avro_value_copy_fast would allocate a fresh wrapped buffer for each. */
static int merge_leaf(avro_value_t *dst, avro_value_t *src) {
    const void *p;
    size_t size;
    switch (avro_value_get_type(dst)) {
    case AVRO_STRING:
        return avro_value_get_string(src, (const char **)&p, &size) ||
               avro_value_set_string_len(dst, p, size);
    case AVRO_BYTES:
        return avro_value_get_bytes(src, &p, &size) || avro_value_set_bytes(dst, (void *)p, size);
    default:
        return avro_value_copy_fast(dst, src) ? -1 : 0;
    }
}

/** @brief Copies a value of the trimmed reader schema into one of the reader schema. Both have
 *  the same shape except for record fields, so unions keep their branch index. */
static int merge_value(merge_ctx *m, avro_value_t *dst, avro_value_t *src) {
    avro_value_t db, sb;
    int d;
    switch (avro_value_get_type(dst)) {
    case AVRO_RECORD:
        return merge_record(m, dst, src);
    case AVRO_ARRAY:
    case AVRO_MAP:
        return merge_list(m, dst, src);
    case AVRO_UNION:
        if (avro_value_get_discriminant(src, &d) || avro_value_get_current_branch(src, &sb) ||
            avro_value_set_branch(dst, d, &db))
            return -1;
        return merge_value(m, &db, &sb);
    default:
        return merge_leaf(dst, src) ? -1 : 0;
    }
}

/* ---- Trimming the reader schema to what the writer has ---- */

typedef struct trim_ctx {
    const vk_codec *codec;
    const vk_schema_entry *writer;
    int removed;
    char *err;
    size_t errlen;
} trim_ctx;

static int trim_node(trim_ctx *t, json_t *node);

/** @brief Drops from a canonical record definition the fields the writer's record lacks. */
static int trim_record(trim_ctx *t, json_t *rec) {
    const char *full = json_string_value(json_object_get(rec, "name"));
    avro_schema_t wrec = find_record(t->writer->schema, full);
    json_t *fields = json_object_get(rec, "fields");
    for (size_t i = 0; i < json_array_size(fields);) {
        json_t *f = json_array_get(fields, i);
        const char *name = json_string_value(json_object_get(f, "name"));
        if (wrec && avro_schema_record_field_get_index(wrec, name) < 0) {
            if (!field_default(t->codec, full, name))
                return vk_errf(t->err, t->errlen,
                               "writer schema %s %016" PRIx64 " lacks %s.%s, which has no default",
                               t->writer->full_name, t->writer->fingerprint, full, name);
            json_array_remove(fields, i);
            t->removed++;
            continue;
        }
        if (trim_node(t, json_object_get(f, "type")))
            return -1;
        i++;
    }
    return 0;
}

static int trim_node(trim_ctx *t, json_t *node) {
    size_t i;
    json_t *branch;
    if (json_is_array(node)) {
        json_array_foreach(node, i, branch) {
            if (trim_node(t, branch))
                return -1;
        }
        return 0;
    }
    const char *kind = json_string_value(json_object_get(node, "type"));
    if (!kind) /* a primitive or a reference */
        return 0;
    if (strcmp(kind, "array") == 0)
        return trim_node(t, json_object_get(node, "items"));
    if (strcmp(kind, "map") == 0)
        return trim_node(t, json_object_get(node, "values"));
    return strcmp(kind, "record") == 0 ? trim_record(t, node) : 0;
}

/**
 * @brief The reader schema without the fields the writer lacks, in *@p out, or NULL in *@p out
 * when the writer has them all. Works on the canonical form, where every named type is defined
 * once under its full name. Returns 0, or -1 with @p err.
 */
static int trim_reader(const vk_codec *codec, const vk_schema_entry *reader,
                       const vk_schema_entry *writer, avro_schema_t *out, char *err,
                       size_t errlen) {
    trim_ctx t = {codec, writer, 0, err, errlen};
    json_t *canon = json_loads(reader->canonical, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
    char *text = NULL;
    int rc = canon ? trim_node(&t, canon) : vk_errf(err, errlen, "out of memory");
    *out = NULL;
    if (rc == 0 && t.removed) {
        text = json_dumps(canon, JSON_COMPACT | JSON_ENCODE_ANY);
        clear_avro_error();
        if (!text || avro_schema_from_json_length(text, strlen(text), out)) {
            *out = NULL;
            rc = vk_errf(err, errlen,
                         "cannot build reader %s without the fields writer %s lacks: %s",
                         reader->full_name, writer->full_name, avro_strerror());
        }
    }
    free(text);
    json_decref(canon);
    return rc;
}

/* ---- Decoding ---- */

/** How to read the datums of one writer schema (see the file comment). */
typedef struct vk_read_plan {
    int framing;
    uint64_t key;
    const vk_schema_entry *writer;
    avro_value_iface_t *resolver; /* NULL: the writer is the reader, read directly */
    avro_value_t resolved;        /* the resolver's value, filling the reader or trimmed value */
    avro_schema_t trimmed;        /* NULL unless the writer lacks reader fields */
    avro_value_iface_t *trimmed_iface;
    avro_value_t trimmed_value;
} vk_read_plan;

struct vk_decoder {
    vk_codec *codec;
    const vk_schema_entry *reader;
    avro_value_iface_t *iface;
    avro_value_t value; /* what decode hands out */
    avro_reader_t in;   /* pointed at each datum in turn */
    vk_read_plan *plans;
    size_t plan_count, plan_cap;
};

vk_decoder *vk_decoder_new(vk_codec *codec, const char *reader_full_name, char *err,
                           size_t errlen) {
    const vk_schema_entry *e = find_by_name(codec, reader_full_name);
    if (!e) {
        vk_errf(err, errlen, "no record %s in the contract", reader_full_name);
        return NULL;
    }
    vk_decoder *dec = calloc(1, sizeof *dec);
    if (!dec) {
        vk_errf(err, errlen, "out of memory");
        return NULL;
    }
    dec->codec = codec;
    dec->reader = e;
    dec->iface = avro_generic_class_from_schema(e->schema);
    dec->in = avro_reader_memory("", 0);
    if (!dec->iface || !dec->in || avro_generic_value_new(dec->iface, &dec->value)) {
        vk_errf(err, errlen, "cannot make a decoder for %s: %s", reader_full_name, avro_strerror());
        vk_decoder_destroy(dec);
        return NULL;
    }
    return dec;
}

static void plan_free(vk_read_plan *p) {
    if (p->resolved.self)
        avro_value_decref(&p->resolved); /* releases its destination too */
    if (p->resolver)
        avro_value_iface_decref(p->resolver);
    if (p->trimmed_value.self)
        avro_value_decref(&p->trimmed_value);
    if (p->trimmed_iface)
        avro_value_iface_decref(p->trimmed_iface);
    if (p->trimmed)
        avro_schema_decref(p->trimmed);
}

void vk_decoder_destroy(vk_decoder *dec) {
    if (!dec)
        return;
    for (size_t i = 0; i < dec->plan_count; i++)
        plan_free(&dec->plans[i]);
    free(dec->plans);
    if (dec->value.self)
        avro_value_decref(&dec->value);
    if (dec->iface)
        avro_value_iface_decref(dec->iface);
    if (dec->in)
        avro_reader_free(dec->in);
    free(dec);
}

static int plan_resolve(vk_decoder *dec, vk_read_plan *p, char *err, size_t errlen) {
    const vk_schema_entry *w = p->writer, *r = dec->reader;
    if (trim_reader(dec->codec, r, w, &p->trimmed, err, errlen))
        return -1;
    clear_avro_error();
    p->resolver = avro_resolved_writer_new(w->schema, p->trimmed ? p->trimmed : r->schema);
    if (!p->resolver || avro_resolved_writer_new_value(p->resolver, &p->resolved))
        return vk_errf(err, errlen,
                       "writer schema %s %016" PRIx64 " cannot be resolved to reader %s: %s",
                       w->full_name, w->fingerprint, r->full_name, avro_strerror());
    if (!p->trimmed) {
        avro_resolved_writer_set_dest(&p->resolved, &dec->value);
        return 0;
    }
    p->trimmed_iface = avro_generic_class_from_schema(p->trimmed);
    if (!p->trimmed_iface || avro_generic_value_new(p->trimmed_iface, &p->trimmed_value))
        return vk_errf(err, errlen, "cannot make a value of trimmed %s: %s", r->full_name,
                       avro_strerror());
    avro_resolved_writer_set_dest(&p->resolved, &p->trimmed_value);
    return 0;
}

static int plan_init(vk_decoder *dec, vk_read_plan *p, char *err, size_t errlen) {
    const vk_schema_entry *w = p->writer, *r = dec->reader;
    if (strcmp(w->full_name, r->full_name) != 0)
        return vk_errf(err, errlen,
                       "writer schema %s cannot be resolved to reader %s: the record names differ",
                       w->full_name, r->full_name);
    if (w->fingerprint == r->fingerprint)
        return 0;
    return plan_resolve(dec, p, err, errlen);
}

/**
 * @brief Fetches the writer schema of registry id @p id from the codec's source and stores it,
 * within the bound on fetched schema text. Returns 0, or a VK_DECODE_* status with @p err.
 */
static int fetch_registry_schema(vk_codec *codec, int32_t id, char *err, size_t errlen) {
    char *text = NULL, why[400] = "";
    int found = codec->source(codec->source_arg, id, &text, why, sizeof why);
    if (found == VK_SCHEMA_UNAVAILABLE) {
        vk_errf(err, errlen, "schema registry id %" PRId32 " not fetched: %s", id, why);
        return VK_DECODE_UNAVAILABLE;
    }
    if (found == VK_SCHEMA_MISSING) {
        vk_errf(err, errlen, "unknown schema registry id %" PRId32 ": %s", id, why);
        return VK_DECODE_UNKNOWN_SCHEMA;
    }
    if (found != VK_SCHEMA_FOUND || !text) {
        vk_errf(err, errlen, "schema registry id %" PRId32 ": %s", id, why);
        free(text);
        return VK_DECODE_UNRESOLVABLE;
    }
    size_t n = strlen(text);
    int rc = 0;
    if (codec->fetched_max && codec->fetched_bytes + n > codec->fetched_max) {
        vk_errf(err, errlen,
                "schema registry id %" PRId32 " (%zu bytes) not kept: the schemas fetched "
                "already hold %zu bytes of the %zu allowed (schema.registry.cache.max.bytes)",
                id, n, codec->fetched_bytes, codec->fetched_max);
        rc = VK_DECODE_UNRESOLVABLE;
    } else if (vk_codec_add_registry_schema(codec, id, text, err, errlen))
        rc = VK_DECODE_UNRESOLVABLE;
    else
        codec->fetched_bytes += n;
    free(text);
    return rc;
}

/** @brief The writer schema the frame names, fetched from the registry when the store lacks
 *  its id. NULL with a VK_DECODE_* status in *@p status and @p err. */
static const vk_schema_entry *frame_writer(vk_codec *codec, const vk_frame *f, int *status,
                                           char *err, size_t errlen) {
    if (f->framing == VK_FRAME_SINGLE_OBJECT) {
        const vk_schema_entry *w = find_by_fingerprint(codec, f->key);
        if (!w) {
            vk_errf(err, errlen, "unknown writer schema fingerprint 0x%016" PRIx64, f->key);
            *status = VK_DECODE_UNKNOWN_SCHEMA;
        }
        return w;
    }
    int32_t id = (int32_t)f->key;
    const vk_schema_entry *w = find_by_registry_id(codec, id);
    if (w)
        return w;
    if (!codec->source) {
        vk_errf(err, errlen,
                "unknown schema registry id %" PRId32 " (no schema registry is "
                "configured: schema.registry.url)",
                id);
        *status = VK_DECODE_UNKNOWN_SCHEMA;
        return NULL;
    }
    if ((*status = fetch_registry_schema(codec, id, err, errlen)) != 0)
        return NULL;
    return find_by_registry_id(codec, id);
}

/** @brief The cached plan for the frame's writer, made on first use. NULL with @p err. */
static vk_read_plan *plan_for(vk_decoder *dec, const vk_frame *f, int *status, char *err,
                              size_t errlen) {
    for (size_t i = 0; i < dec->plan_count; i++)
        if (dec->plans[i].framing == f->framing && dec->plans[i].key == f->key)
            return &dec->plans[i];
    vk_read_plan p = {.framing = f->framing, .key = f->key};
    if (!(p.writer = frame_writer(dec->codec, f, status, err, errlen)))
        return NULL;
    *status = VK_DECODE_MALFORMED;
    if (dec->plan_count == dec->plan_cap) {
        size_t cap = dec->plan_cap ? dec->plan_cap * 2 : 4;
        vk_read_plan *plans = realloc(dec->plans, cap * sizeof *plans);
        if (!plans) {
            vk_errf(err, errlen, "out of memory");
            return NULL;
        }
        dec->plans = plans;
        dec->plan_cap = cap;
    }
    if (plan_init(dec, &p, err, errlen)) {
        *status = VK_DECODE_UNRESOLVABLE;
        plan_free(&p);
        return NULL;
    }
    dec->plans[dec->plan_count] = p;
    return &dec->plans[dec->plan_count++];
}

static int read_datum(vk_decoder *dec, vk_read_plan *p, const vk_frame *f, char *err,
                      size_t errlen) {
    avro_value_t *target = p->resolver ? &p->resolved : &dec->value;
    avro_reader_memory_set_source(dec->in, (const char *)f->datum, (int64_t)f->len);
    clear_avro_error();
    if (avro_value_read(dec->in, target)) /* vetted, so this is avro-c disagreeing */
        return vk_errf(err, errlen, "malformed datum of writer schema %s: %s", p->writer->full_name,
                       avro_strerror());
    if (!p->trimmed)
        return 0;
    merge_ctx m = {dec->codec, err, errlen};
    avro_value_reset(&dec->value);
    if (merge_value(&m, &dec->value, &p->trimmed_value) == 0)
        return 0;
    if (err && errlen && !*err)
        vk_errf(err, errlen, "cannot fill reader %s: %s", dec->reader->full_name, avro_strerror());
    return -1;
}

int vk_decoder_decode(vk_decoder *dec, const void *data, size_t len, avro_value_t **out, char *err,
                      size_t errlen) {
    vk_frame f = {0};
    vk_read_plan *p;
    int status = VK_DECODE_MALFORMED;
    if (err && errlen)
        err[0] = '\0';
    if (parse_frame(data, len, &f, err, errlen))
        return VK_DECODE_MALFORMED;
    if (!(p = plan_for(dec, &f, &status, err, errlen)))
        return status;
    if (vet_datum(p->writer, &f, err, errlen) || read_datum(dec, p, &f, err, errlen))
        return VK_DECODE_MALFORMED;
    *out = &dec->value;
    return 0;
}

const char *vk_decode_code(int status) {
    switch (status) {
    case VK_DECODE_UNKNOWN_SCHEMA:
        return "UNKNOWN_SCHEMA_ID";
    case VK_DECODE_UNRESOLVABLE:
        return "UNRESOLVABLE_SCHEMA";
    case VK_DECODE_UNAVAILABLE:
        return "SCHEMA_REGISTRY_UNAVAILABLE";
    default:
        return "DECODE";
    }
}
