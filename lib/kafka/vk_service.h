/*
 * vk_service.h — the transactional consume-transform-produce service loop every service runs,
 * the handler contract, the stage services' main, and dead letters.
 *
 * The service loop follows librdkafka's examples/transactions.c (KIP-447: one transactional
 * producer per instance, offsets sent to the transaction with the consumer's group metadata):
 *
 *     poll → handler(message) → produce outputs (or a dead letter) → … → every batch.max
 *     messages or batch.ms: flush, send offsets to the transaction, commit, begin the next.
 *
 * An abortable error aborts the transaction and rewinds the consumer to the committed offsets;
 * a fatal error stops the program (the next start resumes from the committed offsets). A
 * handler is a pure function from one input message to output records or a dead-letter reason,
 * so it is unit-tested without Kafka.
 *
 * Exactly-once effect does not rest on transactions alone. Output event ids are derived from
 * input event ids (UUIDv5), so a redelivered input yields byte-identical outputs and the
 * projector drops the duplicates: a second line of defence behind the transactions, and the
 * only one when the offsets and outputs cannot commit together (a consumer that reads
 * read_uncommitted, a replay). The loop flushes every output before it sends offsets, so an
 * offset is never committed ahead of its outputs.
 *
 * On Apache Kafka (the stack's broker, and production) the transaction commits the offsets and
 * the outputs atomically, writes markers that read_committed consumers use to hide aborted
 * output, and fences a zombie by its transactional id and its consumer-group generation
 * (KIP-447). librdkafka's mock cluster (vaksin-devbroker, VAKSIN_BROKER=mock) does none of that:
 * it accepts TxnOffsetCommit without storing it and writes no markers
 * (src/rdkafka_mock_handlers.c). For it only, `commit.after.txn=true` (written by the stack,
 * default false) also commits the same offsets with a plain OffsetCommit after the transaction
 * commits, which is what makes restarts resume there.
 *
 * Two optional extensions, used by vaksin-lookup and absent from the other services (whose
 * loop is exactly the one above):
 *
 * Batch-asynchronous handlers (vk_service.complete/.discard). A handler that must wait on the
 * outside world (HTTP) starts the work for a message and returns VK_OK without outputs; the
 * work of the whole batch then overlaps. At commit time, before the flush, the loop calls
 * complete(): the handler finishes the batch's work and appends every output, which the loop
 * produces inside the same transaction; then flush, offsets, commit as usual. This happens in
 * every commit, including the one of a revocation, so offsets are never committed past a
 * message whose outputs were not produced. complete() returning -1, or any abort of the
 * transaction, calls discard(): the pending work is dropped and the batch redelivered, which
 * derived event ids make harmless.
 *
 * Deferral (VK_DEFER with vk_outputs.defer_until). A message that must not be handled before
 * a wall-clock time (a retry with its not_before) is left unconsumed: the loop commits the
 * batch so far — for the message's partition up to but not including it — seeks that
 * partition back to it and pauses it until defer_until, then resumes it (checked every loop
 * iteration), and the message comes again. Other partitions go on meanwhile. A paused
 * partition's position reads OFFSET_INVALID after the seek until it delivers again; commits
 * skip such positions, so its committed offset stays at the deferred message. A revoked
 * partition loses its pause (the next owner decides again). Use this only on a topic whose
 * messages may wait behind their partition's head (e.g. one roughly ordered by time), never
 * where a wait would hold up unrelated work.
 */
#ifndef VK_SERVICE_H
#define VK_SERVICE_H

#include "vk_codec.h"
#include "vk_config.h"
#include "vk_kafka.h"
#include "vk_metrics.h"
#include "vk_signals.h"

#include <librdkafka/rdkafka.h>
#include <stdbool.h>
#include <stdint.h>

/** Why an input was refused: a short machine code and a precise reason in words. */
typedef struct vk_dead {
    char code[64];    /* e.g. "DECODE", "INVALID_NIK" */
    char reason[512]; /* e.g. "nik: NIK has 15 digits, expected 16" */
} vk_dead;

typedef enum vk_handled {
    VK_OK = 0,    /* outputs (possibly none) were added */
    VK_DEAD = 1,  /* refused: the loop writes a dead letter with the original bytes */
    VK_RETRY = 2, /* transient failure (e.g. a database is down): abort, rewind, try later */
    VK_DEFER = 3, /* not before out->defer_until: commit up to it, pause its partition (above) */
} vk_handled;

typedef vk_handled (*vk_handler_fn)(void *ctx, const rd_kafka_message_t *in, vk_outputs *out,
                                    vk_dead *dead);

/**
 * A service for vk_service_run. complete and discard are optional (NULL for a handler that
 * produces its outputs as it goes); see "Batch-asynchronous handlers" above.
 */
typedef struct vk_service {
    const char *name;                /* e.g. "vaksin-ticket": dead letters, group id, logs */
    const char *const *input_topics; /* NULL-terminated */
    vk_handler_fn handler;
    void *ctx;
    /** Called before each commit of a batch with messages: finish the batch's pending work
     *  and append its outputs to @p out (reset by the loop). 0, or -1 to abort the batch. */
    int (*complete)(void *ctx, vk_outputs *out);
    /** Called whenever the open transaction is aborted: drop the pending work. */
    void (*discard)(void *ctx);
    /** Called every second with the service's metrics registry (GET /metrics): declare the
     *  service's own families on the first call and set them from its counts. May be NULL. */
    void (*publish)(void *ctx, vk_metrics *reg);
    /** The topics the handler writes to (NULL-terminated; dead letters aside, which the loop
     *  adds): with a schema registry, their writer schemas are registered at start. */
    const char *const *output_topics;
    /** A registry the caller has set up already (vk_registry_setup, before decoding anything
     *  of its own), or NULL: then vk_service_run sets it up from the configuration. Borrowed. */
    vk_registry *registry;
} vk_service;

/** The documented keys of every stage service (for its --help), after its own keys:
 *     static const vk_config_doc keys[] = {{"ticket.secret", …}, VK_STAGE_KEYS("vaksin-ticket")};
 * VK_STAGE_KEYS_BATCH gives other batch defaults (they become the defaults vk_service_run
 * reads, as vk_cli_parse sets every documented default) and leaves batch.idle.ms out.
 */
#define VK_STAGE_KEYS(service)                                                                     \
    {"batch.idle.ms", "1",                                                                         \
     "commit as soon as no input came for this long (-1: only batch.max/batch.ms)"},               \
        VK_STAGE_KEYS_BATCH(service, "10000", "100")
/** The same without batch.idle.ms, for a service with a complete hook (vk_service_run ignores
 * the key there: such a batch closes on batch.max or batch.ms only). */
#define VK_STAGE_KEYS_BATCH(service, batch_max, batch_ms)                                          \
    {"kafka.bootstrap.servers", NULL, "Kafka bootstrap servers (or VAKSIN_BOOTSTRAP)"},            \
        {"group.id", service, "consumer group"},                                                   \
        {"instance.id", "0", "distinct per instance: the transactional id is " service "-<id>"},   \
        {"batch.max", batch_max, "messages per transaction at most"},                              \
        {"batch.ms", batch_ms, "milliseconds a transaction stays open at most"},                   \
        {"commit.after.txn", "false", "also commit offsets outside the transaction (mock only)"},  \
        {"metrics.interval.ms", "10000", "how often a metrics line is logged"},                    \
        {"metrics.listen", "off",                                                                  \
         "host:port of GET /metrics, /healthz and /readyz (an IP address; off: none)"},            \
        {"ready.lag.max", "1000",                                                                  \
         "/readyz says not ready while more input messages than this wait"},                       \
        {"dead.value.max.bytes", "262144",                                                         \
         "a dead letter keeps at most this much of the refused value (the head, its length and "   \
         "SHA-256 noted in the error)"},                                                           \
        {"time.earliest", "2020-01-01T00:00:00Z",                                                  \
         "requests that say they happened before this are refused (INVALID_TIME)"},                \
        {"time.future.max.ms", "86400000",                                                         \
         "and those more than this after their message's timestamp"},                              \
        {"output.failures.max", "5",                                                               \
         "batches in a row whose outputs fail for good (too large, unknown or forbidden topic) "   \
         "before the service stops"},                                                              \
        VK_REGISTRY_KEYS, {"log.level", "info", "debug, info, warn or error"}, {                   \
        NULL, NULL, NULL                                                                           \
    }

/**
 * @brief Runs the loop until vk_stop is set or a fatal error happens. With schema.registry.url
 * set, it first registers the writer schemas of @p svc->output_topics and the dead letters,
 * waiting (not ready) for as long as the registry does not answer, and attaches the registry to
 * @p codec so decoders fetch ids they have not seen. Keys read from @p cfg:
 * group.id (default: the service name), instance.id (default "0"; the transactional id is
 * "<name>-<instance.id>": give every instance its own), batch.max (10000), batch.ms (100),
 * batch.idle.ms (1: commit once the input is drained; ignored with a complete hook),
 * commit.after.txn (false), metrics.interval.ms (10000). Calls @p svc->complete before every
 * commit and @p svc->discard whenever it aborts the transaction, when they are set, and honours
 * VK_DEFER (see the top of this file). Returns 0 on a clean stop, -1 on a fatal error.
 */
int vk_service_run(const vk_config *cfg, vk_codec *codec, const vk_service *svc);

/** The most topics a service writes, dead letters and the terminator included. */
#define VK_SERVICE_WRITES_MAX 16

/** @brief @p output_topics and the dead letters into @p writes (NULL-terminated, room for
 *  VK_SERVICE_WRITES_MAX): what a service registers writer schemas for. */
void vk_service_writes(const char *const *output_topics, const char **writes);

/** A stage program: what vk_stage_main needs to run it. */
typedef struct vk_stage {
    const vk_program *program;
    const char *service;     /* e.g. "vaksin-ticket" */
    const char *input_topic; /* e.g. VK_TOPIC_TICKET_REQUESTS */
    vk_handler_fn handler;
    /**
     * Builds the handler's state from the configuration: returns the handler's ctx (and in
     * *extra anything else teardown must free), or NULL with @p err, setting *bad_config when
     * the configuration is at fault (exit 2) rather than the start (exit 1).
     */
    void *(*setup)(const vk_config *cfg, vk_codec *codec, void **extra, bool *bad_config, char *err,
                   size_t errlen);
    void (*teardown)(void *ctx, void *extra);
    /** vk_service.publish for the handler's ctx (its own metrics), or NULL. */
    void (*publish)(void *ctx, vk_metrics *reg);
    /** vk_service.output_topics; NULL: the target events only. */
    const char *const *output_topics;
} vk_stage;

/**
 * @brief The whole main() of a stage service: the common command line, the codec, the stage's
 * setup, signals, vk_service_run and the teardown. Returns the process exit status: 0 after a
 * clean stop or --help/--version, 1 on a failure, 2 on a usage or configuration error.
 */
int vk_stage_main(int argc, char **argv, const vk_stage *stage);

/** The most of a refused message's key a dead letter keeps (keys are NIKs or user ids). */
#define VK_DEAD_KEY_MAX 1024

/**
 * @brief Builds a DeadLetter for @p in refused by @p service with @p dead, appending it to
 * @p out (topic vaksin.dead-letters, same key as the input). The dead letter's event id is
 * derived from (service, topic, partition, offset), so a redelivery gives the same id.
 * A value longer than @p value_max (a key longer than VK_DEAD_KEY_MAX) is kept only in part, so
 * the dead letter always fits the broker's message size: its first bytes, and the error says
 * "[dead letter holds the first K of N bytes of the value; SHA-256 of the whole value: …]".
 * Returns 0, or -1 with @p err.
 */
int vk_dead_letter_build(vk_encoder *enc, const char *service, const rd_kafka_message_t *in,
                         const vk_dead *dead, size_t value_max, vk_outputs *out, char *err,
                         size_t errlen);

#endif
