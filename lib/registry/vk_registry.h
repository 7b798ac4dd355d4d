/*
 * vk_registry.h — a client of a Confluent-compatible schema registry (libcurl, jansson), and
 * its binding to the codec: what a program writes is framed with the id the registry gives its
 * schema, and what it reads under an id it has not seen is fetched once and resolved against its
 * own reader schema (docs/design.md §3, "Schema registry").
 *
 * The REST endpoints used (Confluent Schema Registry API, content type
 * application/vnd.schemaregistry.v1+json):
 *   POST /subjects/{subject}/versions   register a writer schema (schema.registry.auto.register)
 *   POST /subjects/{subject}            look it up instead, for a registry that is locked down
 *   GET  /schemas/ids/{id}              the schema of an id met in a message
 * Subjects follow schema.registry.subject.name.strategy: TopicNameStrategy ("<topic>-value",
 * the default, as Confluent's serializers), RecordNameStrategy ("<record full name>") or
 * TopicRecordNameStrategy ("<topic>-<record full name>").
 *
 * Failures come in three kinds, and callers act on the kind, not on the words:
 *  - the registry does not know it (404: 40401 subject, 40402 version, 40403 schema);
 *  - it refuses (409 incompatible, 422 invalid schema, 401/403 credentials) — for good, until
 *    someone changes the schema or the registry;
 *  - it is unavailable (no connection, timeout, 5xx, 408, 429) — try again later. With several
 *    URLs (schema.registry.url=a,b) each is tried in turn, the one that answered last first.
 *
 * An id the registry said it does not know is remembered for a minute (64 of them at most), so
 * a burst of messages with a bogus id costs one request, not one each. Schemas fetched by id are
 * kept by the codec (bounded by schema.registry.cache.max.bytes), so once an id is known no
 * message ever waits on the registry again.
 *
 * One thread: a vk_registry holds one curl handle (kept-alive connections).
 */
#ifndef VK_REGISTRY_H
#define VK_REGISTRY_H

#include "vk_codec.h"
#include "vk_config.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** The configuration keys of a program that uses a registry, for its keys[] table (--help). */
#define VK_REGISTRY_KEYS                                                                           \
    {"schema.registry.url", NULL,                                                                  \
     "Confluent-compatible schema registry, comma-separated URLs tried in turn (unset: no "        \
     "registry, values in single-object encoding)"},                                               \
        {"schema.registry.basic.auth.user.info", NULL,                                             \
         "user:password for the registry's HTTP basic authentication (a secret)"},                 \
        {"schema.registry.ssl.ca.location", NULL,                                                  \
         "CA file the registry's certificate must chain to"},                                      \
        {"schema.registry.ssl.certificate.location", NULL,                                         \
         "client certificate (PEM) for mutual TLS"},                                               \
        {"schema.registry.ssl.key.location", NULL, "the client certificate's key (PEM)"},          \
        {"schema.registry.auto.register", "true",                                                  \
         "register the writer schemas at start (false: only look them up; they must be there)"},   \
        {"schema.registry.subject.name.strategy", "TopicNameStrategy",                             \
         "TopicNameStrategy (<topic>-value), RecordNameStrategy or TopicRecordNameStrategy"},      \
        {"schema.registry.request.timeout.ms", "5000", "one request to the registry at most"}, {   \
        "schema.registry.cache.max.bytes", "16777216",                                             \
            "schema text fetched by id kept at most; an id beyond it is dead-lettered"             \
    }

/** The outcome of a registry call. */
typedef enum vk_registry_status {
    VK_REGISTRY_OK = 0,
    VK_REGISTRY_NOT_FOUND = 1,   /* 404: no such subject, version or schema */
    VK_REGISTRY_REFUSED = 2,     /* 409, 422, 401, 403 and other 4xx: for good */
    VK_REGISTRY_UNAVAILABLE = 3, /* no answer, timeout, 5xx, 408, 429: try again later */
} vk_registry_status;

typedef enum vk_subject_strategy {
    VK_SUBJECT_TOPIC = 0,    /* TopicNameStrategy: <topic>-value */
    VK_SUBJECT_RECORD,       /* RecordNameStrategy: <record full name> */
    VK_SUBJECT_TOPIC_RECORD, /* TopicRecordNameStrategy: <topic>-<record full name> */
} vk_subject_strategy;

typedef struct vk_registry_options {
    const char *urls;      /* comma-separated base URLs */
    const char *user_info; /* "user:password", or NULL */
    const char *ca_file, *cert_file, *key_file;
    long timeout_ms;
    bool auto_register;
    vk_subject_strategy strategy;
} vk_registry_options;

typedef struct vk_registry vk_registry;

/**
 * @brief A client for the registry at @p o->urls. Refuses (NULL with @p err) a URL that is not
 * http(s), and credentials sent in clear text to anything but loopback.
 */
vk_registry *vk_registry_new(const vk_registry_options *o, char *err, size_t errlen);
void vk_registry_destroy(vk_registry *r);

/**
 * @brief The client the configuration asks for (the schema.registry.* keys), or NULL: with
 * *@p configured false when schema.registry.url is unset (no registry: not an error), else a
 * configuration error in @p err.
 */
vk_registry *vk_registry_from_config(const vk_config *cfg, bool *configured, char *err,
                                     size_t errlen);

/** @brief The subject @p record written to @p topic is registered under, into @p buf. */
const char *vk_registry_subject(vk_subject_strategy strategy, const char *topic, const char *record,
                                char *buf, size_t len);

/** @brief Parses a strategy name (Confluent's class names, with or without their package).
 *  Returns 0, or -1 when unknown. */
int vk_registry_strategy_parse(const char *name, vk_subject_strategy *out);

/**
 * @brief The id of @p schema_json under @p subject: registered there (POST
 * /subjects/{subject}/versions) when the client auto-registers, else looked up (POST
 * /subjects/{subject}). @p err says why on failure, in words an operator can act on.
 */
vk_registry_status vk_registry_register(vk_registry *r, const char *subject,
                                        const char *schema_json, int32_t *id, char *err,
                                        size_t errlen);

/**
 * @brief The schema registered under @p id (GET /schemas/ids/{id}), malloc'd into *@p schema.
 * A schema that is not Avro, or refers to other schemas, is VK_REGISTRY_REFUSED.
 */
vk_registry_status vk_registry_schema(vk_registry *r, int32_t id, char **schema, char *err,
                                      size_t errlen);

/**
 * @brief Registers (or looks up) the writer schema of every topic in @p topics (NULL-terminated;
 * the record each carries is the contract's, vk_topic_schema) and frames that record with its id
 * from now on (vk_codec_set_writer_id). Returns the first failure's status with @p err.
 */
vk_registry_status vk_registry_bind_writers(vk_registry *r, vk_codec *codec,
                                            const char *const *topics, char *err, size_t errlen);

/**
 * @brief Makes @p codec fetch the schema of an id it has not seen from @p r (which must outlive
 * it), keeping at most @p max_bytes of fetched schema text.
 */
void vk_registry_attach(vk_registry *r, vk_codec *codec, size_t max_bytes);

/** @brief When @p patient, the codec's fetches wait (with backoff, until vk_stop) for a registry
 *  that does not answer instead of failing VK_DECODE_UNAVAILABLE: for tools, which have no
 *  batch to retry. */
void vk_registry_set_patient(vk_registry *r, bool patient);

/** Requests sent and how they ended, for the metrics. */
typedef struct vk_registry_stats {
    uint64_t registered, fetched, not_found, refused, unavailable;
} vk_registry_stats;
const vk_registry_stats *vk_registry_get_stats(const vk_registry *r);

/** Called about every 200 ms while vk_registry_setup waits, with why (e.g. to say not ready). */
typedef void (*vk_registry_wait_fn)(void *arg, const char *why);

/**
 * @brief Everything a program does with the registry at start: the client from @p cfg, attached
 * to @p codec, and the writer schemas of @p writes (NULL-terminated topics; NULL: a program that
 * writes nothing) bound — retrying, with backoff and a warning each time, for as long as the
 * registry is unavailable and vk_stop is not set, calling @p wait (may be NULL) meanwhile.
 * *@p out gets the client (NULL without a registry). Returns 0 (also without a registry), 1 when
 * stopped while waiting, -1 on a configuration error or a refusal (logged).
 */
int vk_registry_setup(const vk_config *cfg, vk_codec *codec, const char *const *writes,
                      vk_registry_wait_fn wait, void *wait_arg, vk_registry **out);

#endif
