/*
 * vk_config.h — configuration for every program: defaults < key=value file < environment <
 * command line.
 *
 * Keys are dotted lower-case (`pg.conninfo`, `ticket.secret`, `jkn.cons_id`). `kafka.<property>`
 * keys are handed to librdkafka untouched, as kcat's -X does, so every librdkafka property (SASL,
 * SSL, tuning) works without vaksin inventing a name for it; `kafka.consumer.<p>` and
 * `kafka.producer.<p>` apply to one side only.
 *
 * Environment: one reversible rule maps every key to its variable and back (vk_config_env_name,
 * vk_config_env_key): VAKSIN_ + the key upper-cased, '.' as '_' and '_' as "__"
 * (`pg.conninfo` ↔ VAKSIN_PG_CONNINFO, `jkn.cons_id` ↔ VAKSIN_JKN_CONS__ID,
 * `kafka.sasl.mechanisms` ↔ VAKSIN_KAFKA_SASL_MECHANISMS). Two short names match .run/stack.env:
 * VAKSIN_BOOTSTRAP (= kafka.bootstrap.servers) and VAKSIN_PG (= pg.conninfo); setting one and its
 * long name to different values is an error.
 *
 * Known keys. One configuration file is shared by every program (config/vaksin.conf.example,
 * scripts/, compose/), so a key is refused only when no vaksin program knows it — a typo such as
 * `pg.conninf` ("did you mean pg.conninfo?") — not because this program does not use it. Where:
 *   - the file: a line with an unknown key is an error naming the file and the line;
 *   - -X: an unknown key is an error; another program's key is set with a warning (the command
 *     line addresses this program);
 *   - the environment, which is shared with scripts (VAKSIN_RUN_DIR, VAKSIN_BIN, …): a variable
 *     is applied only when it names a known key or a kafka.* property; any other is ignored, with
 *     a warning when it is near a known key (the old VAKSIN_JKN_CONS_ID, VAKSIN_pg_conninfo).
 * kafka.* properties are always known (librdkafka refuses a wrong one), and so is log.level
 * (vk_cli_parse reads it for every program).
 *
 * Comments: a line whose first non-blank character is '#' is a comment. A '#' after blanks inside
 * a value, or at its start, is refused rather than guessed at: `key=abc  # note` would otherwise
 * make " # note" part of a secret, and stripping it would silently cut a secret that holds " #".
 * Such a value goes in the environment, which is taken as it is.
 *
 * Secrets: a key whose name contains "secret", "password", "token", "user_key", "api_key" or
 * "key.pem" (a private key given inline, kafka.ssl.key.pem) is sensitive, and so is a `*conninfo`
 * holding a password (`password=…`, or user:pw@ in a URI). A config file holding one is refused
 * if group or others may read it, `-X` refuses one (the command line is visible to every user),
 * and sensitive values are never printed (vk_config_dump shows "***").
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
/**
 * @brief Loads `key=value` lines (blank lines, # comment lines). Refuses, with @p err naming the
 * file and the line: a line without '=' or without a key, a key no vaksin program knows (see
 * vk_config_key_kind; @p keys, the program's table, may be NULL), a value with a '#' after blanks
 * or at its start (see above), and a secret in a file group or others may read.
 * Returns 0, or -1 with @p err set.
 */
int vk_config_load_file(vk_config *cfg, const char *path, const vk_config_doc *keys, char *err,
                        size_t errlen);
/**
 * @brief Applies the VAKSIN_* environment variables that name a known key or a kafka.* property
 * (vk_config_env_key); warns about one near a known key and leaves every other alone.
 * Returns 0, or -1 with @p err when a short name and its long name are set differently.
 */
int vk_config_load_env(vk_config *cfg, const vk_config_doc *keys, char *err, size_t errlen);

/**
 * @brief Writes the environment variable of @p key to @p out: "VAKSIN_" and the key upper-cased,
 * '.' as '_' and '_' as "__" (jkn.cons_id → VAKSIN_JKN_CONS__ID). Returns 0, or -1 when @p out
 * is too small or @p key is not of the form the rule reverses: words of lower-case letters and
 * digits, joined by single '.' or '_' (every declared key and librdkafka property is), and not
 * "pg" or "bootstrap", whose variables are the short names.
 */
int vk_config_env_name(const char *key, char *out, size_t outlen);
/**
 * @brief The inverse: the key of the variable @p name (VAKSIN_JKN_CONS__ID → jkn.cons_id), and
 * of the short names VAKSIN_BOOTSTRAP and VAKSIN_PG. Returns 0, or -1 when @p name is no key's
 * variable (not VAKSIN_, a lower-case letter, a run of three '_', a '_' at either end).
 */
int vk_config_env_key(const char *name, char *out, size_t outlen);

/** How a key stands for a program. */
typedef enum vk_key_kind {
    VK_KEY_OWN,     /* in the program's table, kafka.<property>, or log.level */
    VK_KEY_OTHER,   /* another vaksin program's (a shared file holds every program's keys) */
    VK_KEY_UNKNOWN, /* no vaksin program's: a typo, or a key that does not exist */
} vk_key_kind;

/**
 * @brief How @p key stands against the program's table @p keys (NULL: no table) and every
 * program's keys. For VK_KEY_UNKNOWN, *@p nearest (when @p nearest is not NULL) is the closest
 * known key within a few edits, for "did you mean …?", or NULL when none is that close.
 */
vk_key_kind vk_config_key_kind(const vk_config_doc *keys, const char *key, const char **nearest);
/**
 * @brief Every key some vaksin program declares, kafka.* properties aside: sorted,
 * NULL-terminated. The programs' tables are private to each main.c, so the list is kept here;
 * the unit test config_keys runs every program's --help and fails when the two differ.
 */
const char *const *vk_config_every_key(void);

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
 * `--help`, `--version`. Loads the environment too, in the documented order, and checks every key
 * against @p prog's table as described above. Positional arguments are left in
 * argv[*first_arg..argc).
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
