/*
 * vk_codec.h — the Avro codec: schema store, framing, encoding, resolving decoding, JSON.
 *
 * Wire formats (docs/design.md §3):
 *  - single-object encoding (no registry): C3 01, the CRC-64-AVRO fingerprint of the writer
 *    schema's Parsing Canonical Form (8 bytes little-endian), the binary datum;
 *  - Confluent framing (with a schema registry): 00, a 4-byte big-endian schema id, the datum.
 * Decoders accept both. The writer schema is looked up by fingerprint (or registry id) in the
 * codec's store, then resolved against the reader schema with avro-c's resolved writer, so a
 * datum written by an older or newer peer decodes as long as the schemas are compatible.
 *
 * The store starts with every schema of the contract (schemas/NAME.avsc, embedded at build time,
 * and every named record type inside them); vk_codec_add_schema adds more writer schemas
 * (older/newer versions, e.g. from a schemas directory).
 *
 * With a registry (lib/registry), the codec frames what it writes with the id the registry gave
 * each record at start (vk_codec_set_writer_id) and fetches the schema of an id it has not seen
 * through a schema source (vk_codec_set_schema_source), once per id.
 *
 * Threading: a vk_codec without a schema source is read-only after setup and may be shared; with
 * one, the store grows on a decoder's miss, so it belongs to one thread. A vk_decoder and
 * vk_encoder hold scratch state and belong to one thread.
 */
#ifndef VK_CODEC_H
#define VK_CODEC_H

#include "vk_buf.h"
#include "vk_contract.h"

#include <avro.h>
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

/* ---- Parsing Canonical Form and fingerprints (written from the Avro specification) ---- */

/**
 * @brief The Parsing Canonical Form of a schema given as JSON text (spec "Parsing Canonical Form
 * for Schemas": PRIMITIVES, FULLNAMES, STRIP, ORDER, STRINGS, INTEGERS, WHITESPACE; a logical
 * type reduces to its underlying type, e.g. {"type":"long","logicalType":"timestamp-millis"}
 * becomes "long"). Returns a malloc'd string, or NULL with @p err set.
 */
char *vk_avro_canonical_form(const char *schema_json, char *err, size_t errlen);

/** @brief CRC-64-AVRO (the spec's Rabin fingerprint, EMPTY = 0xc15d213aa4d7a795). */
uint64_t vk_avro_crc64(const void *data, size_t len);

/** @brief Fingerprint of a schema: vk_avro_crc64 of its canonical form. 0 on error. */
uint64_t vk_avro_fingerprint(const char *schema_json, char *err, size_t errlen);

/**
 * @brief Canonical form of an already parsed schema document or, when @p named is not NULL, of
 * the named type with that full name defined anywhere inside it, taken on its own (a type it
 * refers to that is defined elsewhere in the document is written in full at its first use).
 * The codec uses it to fingerprint every named record of the contract. Malloc'd, or NULL with
 * @p err set.
 */
char *vk_avro_canonical_form_json(json_t *schema, const char *named, char *err, size_t errlen);

/** @brief Called by vk_avro_named_types(); @p definition is borrowed from the document. */
typedef int (*vk_avro_named_fn)(const char *full_name, json_t *definition, void *arg);

/**
 * @brief Calls @p fn for every named type (record, error, enum, fixed) defined in a parsed
 * schema, in document order (the top-level type first), with its full name under the
 * specification's namespace rules. Returns 0, -1 with @p err when the schema is invalid, or the
 * first non-zero value @p fn returned (which should then have filled @p err itself).
 */
int vk_avro_named_types(json_t *schema, vk_avro_named_fn fn, void *arg, char *err, size_t errlen);

/* ---- The schema store ---- */

typedef struct vk_codec vk_codec;

/** @brief A store holding every embedded contract schema. NULL with @p err on failure. */
vk_codec *vk_codec_new(char *err, size_t errlen);
void vk_codec_destroy(vk_codec *codec);

/** @brief Adds a writer schema (JSON text) to the store, e.g. another version of a record.
 *  Returns 0, or -1 with @p err. */
int vk_codec_add_schema(vk_codec *codec, const char *schema_json, char *err, size_t errlen);

/**
 * @brief Adds a record schema as part of the contract: like the embedded ones, it and every
 * named record inside it can be found by full name, so encoders and decoders (readers) can be
 * made for it — e.g. a tool's own record, or a test's reader. A record already in the contract
 * under the same name with a different form is an error (use vk_codec_add_schema for other
 * versions). Returns 0, or -1 with @p err.
 */
int vk_codec_add_contract_schema(vk_codec *codec, const char *schema_json, char *err,
                                 size_t errlen);

/** @brief Adds every *.avsc file of a directory. Returns how many, or -1 with @p err. */
int vk_codec_add_schema_dir(vk_codec *codec, const char *dir, char *err, size_t errlen);

/**
 * @brief Stores the writer schema a schema registry knows under @p id, so Confluent-framed
 * messages (00, 4-byte big-endian id, datum) carrying that id decode. The registry client
 * (lib/registry) calls it through the schema source on a miss; tests call it directly.
 * Registering the same id again with the same schema is a no-op; with a different schema it is
 * an error. Returns 0, or -1 with @p err.
 */
int vk_codec_add_registry_schema(vk_codec *codec, int32_t id, const char *schema_json, char *err,
                                 size_t errlen);

/** What a schema source answers (vk_schema_source_fn). */
enum {
    VK_SCHEMA_FOUND = 0,       /* *schema_json holds the schema (malloc'd; the codec frees it) */
    VK_SCHEMA_MISSING = 1,     /* the registry does not know the id (HTTP 404) */
    VK_SCHEMA_REFUSED = 2,     /* it answered, but not with a schema vaksin can use */
    VK_SCHEMA_UNAVAILABLE = 3, /* no answer now (down, timeout, 5xx): try again later */
};

/**
 * @brief Fetches the writer schema of registry id @p id: a VK_SCHEMA_* answer, with the reason
 * in @p err unless found.
 */
typedef int (*vk_schema_source_fn)(void *arg, int32_t id, char **schema_json, char *err,
                                   size_t errlen);

/**
 * @brief Where decoders fetch the schema of a registry id the store lacks (once per id: it is
 * stored, and each decoder caches its plan). @p max_bytes bounds the schema text fetched ids
 * may hold in all (0: no bound); an id beyond it is not decoded (VK_DECODE_UNRESOLVABLE).
 * The fetch runs on the decoding thread and grows the store: a codec with a source must be
 * used by one thread (every vaksin program decodes on one).
 */
void vk_codec_set_schema_source(vk_codec *codec, vk_schema_source_fn source, void *arg,
                                size_t max_bytes);

/**
 * @brief Frames every value of contract record @p full_name with registry id @p id from now on
 * (Confluent framing instead of single-object encoding), and decodes that id without a fetch.
 * Call at start, before writing. An id already set to another value is an error (a record is
 * framed with one id whatever subject it is written under). Returns 0, or -1 with @p err.
 */
int vk_codec_set_writer_id(vk_codec *codec, const char *full_name, int32_t id, char *err,
                           size_t errlen);

/** @brief The registry id record @p full_name is framed with, or -1 (single-object). */
int32_t vk_codec_writer_id(const vk_codec *codec, const char *full_name);

/** @brief The schema document of top-level contract record @p full_name as compact JSON, with
 *  its defaults and logical types (what a registry is given). Malloc'd; NULL when unknown or
 *  nested. */
char *vk_codec_schema_text(const vk_codec *codec, const char *full_name);

/** @brief The contract's schema with this full name (e.g. VK_SCHEMA_TARGET_EVENT), or NULL.
 *  Borrowed: the codec owns it. Nested records (e.g. "vaksin.v1.TicketIssued") are found too;
 *  their schema is parsed on its own, so it is equal to, but not the same pointer as, the
 *  branch inside TargetEvent: compare names, not pointers. */
avro_schema_t vk_codec_schema(const vk_codec *codec, const char *full_name);

/** @brief Fingerprint of the contract's schema with this full name (0 when unknown). */
uint64_t vk_codec_fingerprint(const vk_codec *codec, const char *full_name);

/* ---- Encoding ---- */

/**
 * @brief An encoder for one record type of the contract. vk_encoder_value() gives a fresh
 * (reset) value of that type to fill with avro-c's avro_value_* API; vk_encoder_write() appends
 * it to @p out, framed with the record's registry id when it has one (vk_codec_set_writer_id),
 * else in single-object encoding.
 */
typedef struct vk_encoder vk_encoder;
vk_encoder *vk_encoder_new(vk_codec *codec, const char *full_name, char *err, size_t errlen);
void vk_encoder_destroy(vk_encoder *enc);
avro_value_t *vk_encoder_value(vk_encoder *enc);
int vk_encoder_write(vk_encoder *enc, const avro_value_t *value, vk_buf *out, char *err,
                     size_t errlen);

/* ---- Decoding ---- */

/**
 * @brief A decoder into one reader schema (a record type of the contract). Resolved readers are
 * cached per writer fingerprint, so the steady state allocates nothing per message.
 */
typedef struct vk_decoder vk_decoder;
vk_decoder *vk_decoder_new(vk_codec *codec, const char *reader_full_name, char *err, size_t errlen);
void vk_decoder_destroy(vk_decoder *dec);

/** Why vk_decoder_decode failed (all negative; 0 is success). */
enum {
    VK_DECODE_MALFORMED = -1,      /* not Avro, truncated, malformed: dead letter DECODE */
    VK_DECODE_UNKNOWN_SCHEMA = -2, /* the writer's fingerprint or registry id is unknown
                                    * (the registry answered 404): UNKNOWN_SCHEMA_ID */
    VK_DECODE_UNRESOLVABLE = -3,   /* the writer schema cannot be read as the reader schema:
                                    * UNRESOLVABLE_SCHEMA */
    VK_DECODE_UNAVAILABLE = -4,    /* the registry did not answer: not the message's fault;
                                    * try again later, never a dead letter */
};

/**
 * @brief Decodes a framed message (single-object or Confluent) into *@p out, which stays valid
 * until the next call on this decoder. Reader fields the writer lacks take the reader schema's
 * defaults (avro-c alone refuses such writers). A registry id the store lacks is fetched from
 * the codec's schema source (vk_codec_set_schema_source). Returns 0, or a VK_DECODE_* status
 * with a precise @p err: "not Avro: empty message", "not Avro: first bytes 7b 22", "truncated
 * single-object header: …", "unknown writer schema fingerprint 0x…", "unknown schema registry
 * id N: …", "truncated datum: …", "N trailing bytes after a …", "malformed datum of writer
 * schema X at byte N: …", "writer schema X <fingerprint> cannot be resolved to reader Y: …",
 * "writer schema X <fingerprint> lacks Y.f, which has no default", "schema registry id N not
 * fetched: …".
 */
int vk_decoder_decode(vk_decoder *dec, const void *data, size_t len, avro_value_t **out, char *err,
                      size_t errlen);

/** @brief The dead-letter code of a VK_DECODE_* status: "DECODE", "UNKNOWN_SCHEMA_ID",
 *  "UNRESOLVABLE_SCHEMA" (or "SCHEMA_REGISTRY_UNAVAILABLE", which is never a dead letter). */
const char *vk_decode_code(int status);

/* ---- JSON <-> Avro (for the submit tool, dumps and audits) ---- */

/**
 * @brief Fills @p value (of any schema) from JSON. Natural JSON is accepted: a nullable field is
 * null or its value (no {"string": …} wrapper needed, though Avro-JSON wrappers are accepted
 * too); a missing field takes the schema's default; enums are strings; bytes are strings;
 * logical dates accept "YYYY-MM-DD" or days, timestamp-millis accepts RFC 3339 text or millis.
 * Returns 0, or -1 with @p err naming the field path ("changes.birth_date: expected a date").
 */
int vk_json_to_avro(json_t *json, avro_value_t *value, avro_schema_t schema, char *err,
                    size_t errlen);

/** @brief The value as natural JSON (the inverse of vk_json_to_avro; dates as "YYYY-MM-DD",
 *  timestamps as RFC 3339 UTC text, bytes as base64 string, unions unwrapped with the branch's
 *  record name in "type" for the TargetEvent payload). New reference, or NULL on error. */
/** @brief @p data as a base64 JSON string (how bytes appear in natural JSON). */
json_t *vk_base64_json(const void *data, size_t len);

json_t *vk_avro_to_json(const avro_value_t *value, avro_schema_t schema);

/**
 * @brief Teaches vk_json_to_avro / vk_avro_to_json the field defaults and logical types of a
 * schema given as JSON text (avro-c drops both when it parses a schema). The embedded contract
 * is known without this; call it for any other schema converted to or from JSON, e.g. from
 * vk_codec_add_schema. The first registration of a (record, field) wins. Thread-safe.
 * Returns 0, or -1 with @p err.
 */
int vk_json_register_schema(const char *schema_json, char *err, size_t errlen);

#endif
