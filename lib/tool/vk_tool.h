/*
 * vk_tool.h — what the operator tools (vaksin-submit, vaksin-import, …) share: their own
 * command-line options next to the common ones, reporting refused input, and a producer that
 * accounts for every message it was given.
 *
 * A tool writes many records and must end by saying how many arrived; none may fail silently.
 * vk_sender wraps an idempotent producer (vk_producer_new: murmur2_random, configuration passed
 * through) with delivery-report accounting, waits while librdkafka's local queue is full, and
 * flushes at the end, counting anything still unconfirmed as failed.
 */
#ifndef VK_TOOL_H
#define VK_TOOL_H

#include "vk_codec.h"
#include "vk_config.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- Command line ---- */

/** A tool's own option taking a value, e.g. {"--topic", &topic}. */
typedef struct vk_tool_opt {
    const char *name;
    const char **value; /* set to the argument; untouched when the option is absent */
} vk_tool_opt;

/**
 * @brief Takes the tool's own options (`--name VALUE` or `--name=VALUE`) out of argv, so the
 * rest goes to vk_cli_parse. The common options' values are skipped, never mistaken for tool
 * options. Returns the new argc, or -1 when an option lacks its value (reported on stderr).
 */
int vk_tool_take_options(int argc, char **argv, const vk_tool_opt *opts, size_t nopts,
                         const char *prog);

/** @brief Takes a flag without a value (`--json`) out of argv; true when it was there. */
bool vk_tool_take_flag(int *argc, char **argv, const char *flag);

/** @brief Reports input the tool refused: a warning with the line number and the reason
 *  (NIKs masked, like every log line). */
void vk_tool_refused(unsigned long line, const char *reason);

/* ---- The codec ---- */

/**
 * @brief The codec a tool decodes and encodes with: the contract, and with schema.registry.url
 * the registry — the writer schemas of @p writes (NULL-terminated topics the tool writes, or
 * NULL) registered first, and the schema of an id met in a message fetched once; a registry that
 * does not answer is waited for (with backoff and a warning), at start and on a fetch, until it
 * does or the tool is interrupted (it installs the signal handlers for that, vk_install_signals).
 * NULL on failure (logged). One per process.
 */
vk_codec *vk_tool_codec_new(const vk_config *cfg, const char *const *writes);
/** @brief Frees what vk_tool_codec_new made (NULL is fine). */
void vk_tool_codec_destroy(vk_codec *codec);

/* ---- Producing ---- */

typedef struct vk_sender vk_sender;

/** What happened to the messages given to a sender. */
typedef struct vk_sender_stats {
    uint64_t queued;    /* accepted by vk_sender_send */
    uint64_t delivered; /* confirmed by the broker */
    uint64_t failed;    /* refused, timed out, or still unconfirmed after the flush */
} vk_sender_stats;

/**
 * @brief A sender producing with @p cfg (kafka.* keys; kafka.bootstrap.servers is required).
 * NULL on failure (logged).
 */
vk_sender *vk_sender_new(const vk_config *cfg);

/**
 * @brief Queues one record (key and value are copied). @p line is reported with a delivery
 * failure. Waits, serving delivery reports, while the local queue is full.
 * @returns 0, or -1 when the producer cannot go on (a fatal error, or the record refused —
 * logged and counted as failed).
 */
int vk_sender_send(vk_sender *s, const char *topic, const void *key, size_t key_len,
                   const void *value, size_t value_len, unsigned long line);

/**
 * @brief Waits until every queued record is confirmed or failed, at most @p timeout_ms (or
 * until vk_stop is set, after a short grace); what is still unconfirmed then counts as failed.
 */
void vk_sender_flush(vk_sender *s, int64_t timeout_ms);

void vk_sender_stats_get(const vk_sender *s, vk_sender_stats *out);

/**
 * @brief Prints the tool's closing line on stdout — `<what>=N sent=N refused=N`, plus
 * ` failed=N` when deliveries failed — and returns the tool's exit status: 1 when a delivery
 * failed or @p run_failed, 3 when input was refused but everything else delivered, else 0.
 */
int vk_sender_report(const vk_sender *s, const char *what, unsigned long count,
                     unsigned long refused, bool run_failed);
/** @brief True once the producer hit a fatal error (nothing more can be sent). */
bool vk_sender_fatal(const vk_sender *s);
void vk_sender_destroy(vk_sender *s);

#endif
