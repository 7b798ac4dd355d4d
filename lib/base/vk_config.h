/*
 * vk_config.h — configuration for every program: defaults < key=value file < environment <
 * command line.
 *
 * Keys are dotted lower-case (`pg.conninfo`, `ticket.secret`). `kafka.<property>` keys are handed
 * to librdkafka untouched, as kcat's -X does, so every librdkafka property (SASL, SSL, tuning)
 * works without vaksin inventing a name for it; `kafka.consumer.<p>` and `kafka.producer.<p>`
 * apply to one side only.
 *
 * Environment: VAKSIN_<KEY> with dots as underscores, upper-case (`VAKSIN_PG_CONNINFO`,
 * `VAKSIN_KAFKA_SASL_MECHANISMS`). Two short names match .run/stack.env: VAKSIN_BOOTSTRAP
 * (= kafka.bootstrap.servers) and VAKSIN_PG (= pg.conninfo).
 *
 * Secrets: a key whose name contains "secret", "password", "token", "user_key", "api_key" or
 * "key.pem" (a private key given inline, kafka.ssl.key.pem) is sensitive, and so is a `*conninfo` holding a password (`password=…`, or user:pw@ in a URI). A
 * config file holding one is refused if group or others may read it, `-X` refuses one (the
 * command line is visible to every user), and sensitive values are never printed
 * (vk_config_dump shows "***").
 */
#ifndef VK_CONFIG_H
#define VK_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

typedef struct vk_config vk_config;

/** One documented key, for --help. */
typedef struct vk_config_doc {
    const char *key;
    const char *def; /* default, or NULL when required / none */
    const char *help;
} vk_config_doc;

/** What a program is, for --help and --version. */
typedef struct vk_program {
    const char *name;          /* e.g. "vaksin-ticket" */
    const char *summary;       /* one line */
    const char *usage;         /* extra usage text (positional arguments), or NULL */
    const vk_config_doc *keys; /* terminated by {NULL,...} */
} vk_program;

vk_config *vk_config_new(void);
void vk_config_destroy(vk_config *cfg);

/** @brief Sets (or replaces) @p key. Returns 0, or -1 when out of memory. */
int vk_config_set(vk_config *cfg, const char *key, const char *value);
/** @brief Loads `key=value` lines (# comments, blank lines); refuses a world/group-readable file
 *  holding secrets. Returns 0 or -1 with @p err set. */
int vk_config_load_file(vk_config *cfg, const char *path, char *err, size_t errlen);
/** @brief Applies VAKSIN_* environment variables. */
void vk_config_load_env(vk_config *cfg);

const char *vk_config_get(const vk_config *cfg, const char *key, const char *def);
long long vk_config_get_int(const vk_config *cfg, const char *key, long long def);
double vk_config_get_double(const vk_config *cfg, const char *key, double def);
bool vk_config_get_bool(const vk_config *cfg, const char *key, bool def);

/** @brief True when a key names a secret (see above). */
bool vk_config_key_is_secret(const char *key);
/** @brief True when @p key = @p value holds a secret: a secret key, or a conninfo with a
 *  password. */
bool vk_config_is_secret(const char *key, const char *value);

/** @brief The number of keys set; vk_config_item(cfg, i, ...) for i below it lists them in the
 *  order they were first set (how lib/kafka hands every `kafka.*` key to librdkafka). */
size_t vk_config_count(const vk_config *cfg);
void vk_config_item(const vk_config *cfg, size_t i, const char **key, const char **value);

/**
 * @brief The common command line: `--config FILE`, `-X key=value` (repeatable), `--log-level L`,
 * `--help`, `--version`. Loads the environment too, in the documented order. Positional
 * arguments are left in argv[*first_arg..argc).
 * @returns 0 to run, 1 when --help/--version was answered (exit 0), -1 on a usage error
 * (already reported on stderr; exit 2).
 */
int vk_cli_parse(int argc, char **argv, const vk_program *prog, vk_config *cfg, int *first_arg);

/** @brief Adds @p note (e.g. "librdkafka 2.0.2") to what --version prints after the program's
 *  version; the libraries a program links note themselves (lib/kafka notes librdkafka). */
void vk_cli_version_note(const char *note);

/**
 * @brief Writes @p line and a newline to @p path atomically (a temporary file renamed over it),
 * so a reader polling for the file never sees half of it — how the development programs
 * publish the address they listen on. Returns 0, or -1 (errno set; no temporary file left).
 */
int vk_write_line_atomic(const char *path, const char *line);

/** @brief Logs the effective configuration at info level, secrets as ***. */
void vk_config_dump(const vk_config *cfg);

#endif
