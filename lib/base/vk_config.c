/*
 * vk_config.c — see vk_config.h.
 *
 * A small ordered array of key/value pairs: configurations have tens of keys, so a linear scan
 * is faster than anything cleverer and keeps the order of the file for vk_config_dump. The same
 * goes for the known keys (every_key below) and the nearest-key search over them.
 */
#include "vk_config.h"

#include "vk_log.h"

#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

extern char **environ;

typedef struct kv {
    char *key;
    char *value;
} kv;

struct vk_config {
    kv *items;
    size_t n, cap;
};

vk_config *vk_config_new(void) {
    return calloc(1, sizeof(vk_config));
}

/* Frees a value after overwriting it: secrets do not linger in freed memory. */
static void free_value(char *v) {
    if (v) {
        explicit_bzero(v, strlen(v));
        free(v);
    }
}

void vk_config_destroy(vk_config *cfg) {
    if (!cfg)
        return;
    for (size_t i = 0; i < cfg->n; i++) {
        free(cfg->items[i].key);
        free_value(cfg->items[i].value);
    }
    free(cfg->items);
    free(cfg);
}

static kv *find(const vk_config *cfg, const char *key) {
    for (size_t i = 0; i < cfg->n; i++)
        if (strcmp(cfg->items[i].key, key) == 0)
            return &cfg->items[i];
    return NULL;
}

int vk_config_set(vk_config *cfg, const char *key, const char *value) {
    char *v = strdup(value);
    if (!v)
        return -1;
    kv *e = find(cfg, key);
    if (e) {
        free_value(e->value);
        e->value = v;
        return 0;
    }
    if (cfg->n == cfg->cap) {
        size_t cap = cfg->cap ? cfg->cap * 2 : 32;
        kv *p = realloc(cfg->items, cap * sizeof *p);
        if (!p) {
            free(v);
            return -1;
        }
        cfg->items = p;
        cfg->cap = cap;
    }
    cfg->items[cfg->n].key = strdup(key);
    if (!cfg->items[cfg->n].key) {
        free(v);
        return -1;
    }
    cfg->items[cfg->n].value = v;
    cfg->n++;
    return 0;
}

bool vk_config_key_is_secret(const char *key) {
    static const char *const marks[] = {"secret",  "password", "token",    "user_key",
                                        "api_key", "key.pem",  "user.info"};
    for (size_t i = 0; i < sizeof marks / sizeof *marks; i++)
        if (strstr(key, marks[i]))
            return true;
    return false;
}

/* A libpq conninfo carries a password as `password=…` (key/value form) or as user:pw@ in the URI
 * form (postgresql://user:pw@host/db). */
static bool conninfo_has_password(const char *v) {
    if (strstr(v, "password"))
        return true;
    const char *scheme = strstr(v, "://"), *at = scheme ? strchr(scheme + 3, '@') : NULL;
    return at && memchr(scheme + 3, ':', (size_t)(at - scheme - 3)) != NULL;
}

bool vk_config_is_secret(const char *key, const char *value) {
    if (vk_config_key_is_secret(key))
        return true;
    size_t n = strlen(key);
    return value && n >= 8 && strcmp(key + n - 8, "conninfo") == 0 && conninfo_has_password(value);
}

/* ---- Known keys ---- */

/* Every key some vaksin program declares in its keys[] table (services/, tools/, test-servers/,
 * VK_STAGE_KEYS in lib/kafka/vk_service.h), kafka.* properties aside, sorted. Kept here because
 * the tables are private to each main.c and one config file serves every program; the unit test
 * config_keys compares it with every program's --help, both ways. */
/* clang-format off */
static const char *const every_key[] = {
    "access.catchup.timeout.ms", "access.history.ms", "authz.clock.tolerance.ms",
    "batch.idle.ms", "batch.max", "batch.ms",
    "commit.after.txn", "csv.separator", "dead.value.max.bytes",
    "devbroker.bootstrap.file", "devbroker.brokers", "devbroker.partitions",
    "dukcapil.ip_user", "dukcapil.password", "dukcapil.threshold", "dukcapil.url",
    "dukcapil.user_id",
    "facilities.file", "flush.timeout.ms", "group.id", "instance.id",
    "jkn.cons_id", "jkn.secret", "jkn.url", "jkn.user_key",
    "log.level",
    "lookup.attempts", "lookup.backoff.max.ms", "lookup.backoff.ms", "lookup.breaker.failures",
    "lookup.breaker.open.ms", "lookup.ca.file", "lookup.cache.entries", "lookup.cache.ttl.ms",
    "lookup.connect.timeout.ms", "lookup.inflight", "lookup.retry.base.ms", "lookup.retry.max.ms",
    "lookup.timeout.ms",
    "metrics.interval.ms", "metrics.listen", "migrate.on.start", "output.failures.max",
    "pg.conninfo", "pg.retry.ms", "pg.statement.timeout.ms",
    "projector.group", "ready.lag.max",
    "schema.registry.auto.register", "schema.registry.basic.auth.user.info",
    "schema.registry.cache.max.bytes", "schema.registry.request.timeout.ms",
    "schema.registry.ssl.ca.location", "schema.registry.ssl.certificate.location",
    "schema.registry.ssl.key.location", "schema.registry.subject.name.strategy",
    "schema.registry.url",
    "screening.max.diastolic", "screening.max.systolic", "screening.max.temperature.c",
    "source",
    "stub.bind", "stub.fail.rate", "stub.hang.ms", "stub.hang.rate", "stub.jitter.ms",
    "stub.latency.ms", "stub.people.file", "stub.port", "stub.port.file", "stub.protocol",
    "stub.seed",
    "ticket.cache.max", "ticket.secret",
    "time.earliest", "time.future.max.ms",
    "topics.partitions", "topics.replication.factor",
    "vaccines.file",
    NULL,
};
/* clang-format on */

const char *const *vk_config_every_key(void) {
    return every_key;
}

/* librdkafka's properties: "kafka." and at least one character of a property. */
static bool is_kafka_property(const char *key) {
    return strncmp(key, "kafka.", 6) == 0 && key[6] != '\0';
}

static bool declared(const vk_config_doc *keys, const char *key) {
    for (const vk_config_doc *d = keys; d && d->key; d++)
        if (strcmp(d->key, key) == 0)
            return true;
    return false;
}

static bool known_anywhere(const char *key) {
    for (const char *const *k = every_key; *k; k++)
        if (strcmp(*k, key) == 0)
            return true;
    return false;
}

/* The optimal string alignment distance (Levenshtein with transpositions), or SIZE_MAX for a
 * string longer than any key. */
static size_t distance(const char *a, const char *b) {
    enum { MAX = 128 };
    size_t la = strlen(a), lb = strlen(b), rows[3][MAX + 1];
    if (la > MAX || lb > MAX)
        return SIZE_MAX;
    size_t *prev2 = rows[0], *prev = rows[1], *cur = rows[2];
    for (size_t j = 0; j <= lb; j++)
        prev[j] = j;
    for (size_t i = 1; i <= la; i++) {
        cur[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t cost = a[i - 1] != b[j - 1], best = prev[j - 1] + cost;
            if (prev[j] + 1 < best)
                best = prev[j] + 1;
            if (cur[j - 1] + 1 < best)
                best = cur[j - 1] + 1;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
                prev2[j - 2] + 1 < best)
                best = prev2[j - 2] + 1;
            cur[j] = best;
        }
        size_t *t = prev2;
        prev2 = prev;
        prev = cur;
        cur = t;
    }
    return prev[lb];
}

/* Near enough to be a typo of @p known: two edits for a short key, one more per 8 characters. */
static void consider(const char *key, const char *known, const char **best, size_t *best_d) {
    size_t d = distance(key, known);
    if (d <= 1 + strlen(known) / 8 && d < *best_d) {
        *best = known;
        *best_d = d;
    }
}

vk_key_kind vk_config_key_kind(const vk_config_doc *keys, const char *key, const char **nearest) {
    if (nearest)
        *nearest = NULL;
    if (declared(keys, key) || is_kafka_property(key) || strcmp(key, "log.level") == 0)
        return VK_KEY_OWN;
    if (known_anywhere(key))
        return VK_KEY_OTHER;
    if (nearest) { /* the program's own keys first: they win a tie */
        size_t best_d = SIZE_MAX;
        for (const vk_config_doc *d = keys; d && d->key; d++)
            consider(key, d->key, nearest, &best_d);
        for (const char *const *k = every_key; *k; k++)
            consider(key, *k, nearest, &best_d);
    }
    return VK_KEY_UNKNOWN;
}

/* ---- Environment variable names ---- */

#define ENV_PREFIX     "VAKSIN_"
#define ENV_PREFIX_LEN 7

/* The two short names of .run/stack.env. The rule would give them to the keys "bootstrap" and
 * "pg", which no program has: vk_config_env_name refuses those two, so every name still leads to
 * one key. */
static const struct {
    const char *name, *key;
} short_names[] = {
    {"VAKSIN_BOOTSTRAP", "kafka.bootstrap.servers"},
    {"VAKSIN_PG", "pg.conninfo"},
};

static bool is_separator(char c) {
    return c == '.' || c == '_';
}

int vk_config_env_name(const char *key, char *out, size_t outlen) {
    size_t o = ENV_PREFIX_LEN;
    if (!*key || is_separator(*key) || outlen <= o)
        return -1;
    for (size_t i = 0; i < sizeof short_names / sizeof *short_names; i++)
        if (strcasecmp(key, short_names[i].name + ENV_PREFIX_LEN) == 0)
            return -1; /* "pg", "bootstrap": their variables are the short names' */
    memcpy(out, ENV_PREFIX, o);
    for (const char *k = key; *k; k++) {
        bool sep = is_separator(*k);
        if (sep ? is_separator(k[1]) || k[1] == '\0'
                : !(islower((unsigned char)*k) || isdigit((unsigned char)*k)))
            return -1;
        const char *put = *k == '.' ? "_" : *k == '_' ? "__" : NULL;
        size_t n = put ? strlen(put) : 1;
        if (o + n >= outlen)
            return -1;
        if (put)
            memcpy(out + o, put, n);
        else
            out[o] = (char)toupper((unsigned char)*k);
        o += n;
    }
    out[o] = '\0';
    return 0;
}

/* Decodes the part after VAKSIN_: a run of one '_' is '.', of two '_'; letters are upper-case
 * unless @p any_case (used only to recognise a mistyped variable and suggest its right name). */
static int decode_env(const char *s, size_t n, bool any_case, char *out, size_t outlen) {
    size_t o = 0;
    if (n == 0 || s[0] == '_' || s[n - 1] == '_')
        return -1;
    for (size_t i = 0; i < n;) {
        if (o + 1 >= outlen)
            return -1;
        if (s[i] == '_') {
            size_t run = 1;
            while (i + run < n && s[i + run] == '_')
                run++;
            if (run > 2)
                return -1;
            out[o++] = run == 1 ? '.' : '_';
            i += run;
        } else if (isupper((unsigned char)s[i]) || isdigit((unsigned char)s[i]) ||
                   (any_case && islower((unsigned char)s[i]))) {
            out[o++] = (char)tolower((unsigned char)s[i++]);
        } else {
            return -1;
        }
    }
    out[o] = '\0';
    return 0;
}

int vk_config_env_key(const char *name, char *out, size_t outlen) {
    for (size_t i = 0; i < sizeof short_names / sizeof *short_names; i++)
        if (strcmp(name, short_names[i].name) == 0) {
            if (strlen(short_names[i].key) >= outlen)
                return -1;
            strcpy(out, short_names[i].key);
            return 0;
        }
    if (strncmp(name, ENV_PREFIX, ENV_PREFIX_LEN) != 0)
        return -1;
    return decode_env(name + ENV_PREFIX_LEN, strlen(name + ENV_PREFIX_LEN), false, out, outlen);
}

/* ---- The file ---- */

static char *trim(char *s) {
    while (isspace((unsigned char)*s))
        s++;
    char *e = s + strlen(s);
    while (e > s && isspace((unsigned char)e[-1]))
        *--e = '\0';
    return s;
}

/* A value that reads as if a comment followed it: '#' at its start or after a blank. */
static bool looks_commented(const char *v) {
    if (*v == '#')
        return true;
    for (const char *h = strchr(v, '#'); h; h = strchr(h + 1, '#'))
        if (h > v && isspace((unsigned char)h[-1]))
            return true;
    return false;
}

/* One line, already trimmed and not a comment: @p err gets "path:line: …" on a refusal. */
static int load_line(vk_config *cfg, char *s, const vk_config_doc *keys, bool shared,
                     const char *path, int lineno, char *err, size_t errlen) {
    char *eq = strchr(s, '=');
    if (!eq) {
        snprintf(err, errlen, "%s:%d: expected key=value", path, lineno);
        return -1;
    }
    *eq = '\0';
    char *key = trim(s), *value = trim(eq + 1);
    const char *nearest;
    if (!*key) {
        snprintf(err, errlen, "%s:%d: expected key=value (no key before '=')", path, lineno);
        return -1;
    }
    if (vk_config_key_kind(keys, key, &nearest) == VK_KEY_UNKNOWN) {
        snprintf(err, errlen,
                 "%s:%d: unknown key %s%s%s%s (no vaksin program reads it; --help lists a "
                 "program's keys, and kafka.<property> passes any librdkafka property)",
                 path, lineno, key, nearest ? " — did you mean " : "", nearest ? nearest : "",
                 nearest ? "?" : "");
        return -1;
    }
    if (looks_commented(value)) {
        char env[300];
        if (vk_config_env_name(key, env, sizeof env))
            snprintf(env, sizeof env, "the environment");
        snprintf(err, errlen,
                 "%s:%d: %s: a comment after a value is not allowed (put it on a line of its "
                 "own); if the value really holds '#' after a blank or at its start, give it in "
                 "%s instead, which is taken as it is",
                 path, lineno, key, env);
        return -1;
    }
    if (shared && vk_config_is_secret(key, value) && *value) {
        snprintf(err, errlen,
                 "%s holds the secret %s but group or others may read it: chmod 600 %s", path, key,
                 path);
        return -1;
    }
    if (vk_config_set(cfg, key, value)) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    return 0;
}

int vk_config_load_file(vk_config *cfg, const char *path, const vk_config_doc *keys, char *err,
                        size_t errlen) {
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "cannot open config file %s: %s", path, strerror(errno));
        return -1;
    }
    struct stat st;
    bool shared = fstat(fileno(f), &st) == 0 && (st.st_mode & (S_IRWXG | S_IRWXO));
    /* getline: no line length limit, so a long value (an inline PEM chain) is never split. */
    char *line = NULL;
    size_t cap = 0;
    int lineno = 0, rc = 0;
    while (getline(&line, &cap, f) >= 0) {
        lineno++;
        char *s = trim(line);
        if (*s == '\0' || *s == '#')
            continue;
        if ((rc = load_line(cfg, s, keys, shared, path, lineno, err, errlen)) != 0)
            break;
    }
    if (line) { /* it held secrets */
        explicit_bzero(line, cap);
        free(line);
    }
    fclose(f);
    return rc;
}

/* ---- The environment ---- */

/* Both the short name and its long name set, differently: which one counts would depend on the
 * order of the environment. */
static int short_name_conflict(char *err, size_t errlen) {
    for (size_t i = 0; i < sizeof short_names / sizeof *short_names; i++) {
        char long_name[128];
        if (vk_config_env_name(short_names[i].key, long_name, sizeof long_name))
            continue;
        const char *a = getenv(short_names[i].name), *b = getenv(long_name);
        if (a && b && strcmp(a, b) != 0) {
            snprintf(err, errlen, "%s and %s are both set, differently (both give %s): unset one",
                     short_names[i].name, long_name, short_names[i].key);
            return -1;
        }
    }
    return 0;
}

/* A VAKSIN_ variable that is no known key's: silent (the environment is shared with scripts),
 * unless it is near one — the old rule's VAKSIN_JKN_CONS_ID, a lower-case name, a typo. */
static void warn_if_near(const vk_config_doc *keys, const char *name, const char *key) {
    const char *nearest = NULL;
    char loose[256], env[300];
    if (!key && decode_env(name + ENV_PREFIX_LEN, strlen(name + ENV_PREFIX_LEN), true, loose,
                           sizeof loose) == 0) {
        key = loose;
        if (vk_config_key_kind(keys, key, &nearest) != VK_KEY_UNKNOWN)
            nearest = key;
    } else if (key) {
        vk_config_key_kind(keys, key, &nearest);
    }
    if (!nearest || vk_config_env_name(nearest, env, sizeof env))
        return;
    vk_warn("msg=\"environment variable ignored: not the variable of a key any vaksin program "
            "knows (VAKSIN_ and the key upper-cased, '.' as '_', '_' as '__')\" variable=%s "
            "did_you_mean=%s key=%s",
            name, env, nearest);
}

int vk_config_load_env(vk_config *cfg, const vk_config_doc *keys, char *err, size_t errlen) {
    if (short_name_conflict(err, errlen))
        return -1;
    for (char **e = environ; e && *e; e++) {
        if (strncmp(*e, ENV_PREFIX, ENV_PREFIX_LEN) != 0)
            continue;
        const char *eq = strchr(*e, '=');
        char name[256], key[256];
        size_t n = eq ? (size_t)(eq - *e) : 0;
        if (n == 0 || n >= sizeof name)
            continue;
        memcpy(name, *e, n);
        name[n] = '\0';
        bool decoded = vk_config_env_key(name, key, sizeof key) == 0;
        if (!decoded || vk_config_key_kind(keys, key, NULL) == VK_KEY_UNKNOWN) {
            warn_if_near(keys, name, decoded ? key : NULL);
            continue;
        }
        if (vk_config_set(cfg, key, eq + 1)) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
    }
    return 0;
}

const char *vk_config_get(const vk_config *cfg, const char *key, const char *def) {
    kv *e = find(cfg, key);
    return e ? e->value : def;
}

long long vk_config_get_int(const vk_config *cfg, const char *key, long long def) {
    const char *v = vk_config_get(cfg, key, NULL);
    if (!v || !*v)
        return def;
    char *end;
    errno = 0;
    long long x = strtoll(v, &end, 10);
    if (errno || *end) {
        vk_warn("msg=\"config value is not an integer, using default\" key=%s value=\"%s\" "
                "default=%lld",
                key, v, def);
        return def;
    }
    return x;
}

double vk_config_get_double(const vk_config *cfg, const char *key, double def) {
    const char *v = vk_config_get(cfg, key, NULL);
    if (!v || !*v)
        return def;
    char *end;
    double x = strtod(v, &end);
    if (*end) {
        vk_warn("msg=\"config value is not a number, using default\" key=%s value=\"%s\"", key, v);
        return def;
    }
    return x;
}

bool vk_config_get_bool(const vk_config *cfg, const char *key, bool def) {
    const char *v = vk_config_get(cfg, key, NULL);
    if (!v || !*v)
        return def;
    return strcmp(v, "true") == 0 || strcmp(v, "1") == 0 || strcmp(v, "yes") == 0 ||
           strcmp(v, "on") == 0;
}

size_t vk_config_count(const vk_config *cfg) {
    return cfg->n;
}

void vk_config_item(const vk_config *cfg, size_t i, const char **key, const char **value) {
    *key = cfg->items[i].key;
    *value = cfg->items[i].value;
}

static const char *version_note;

void vk_cli_version_note(const char *note) {
    version_note = note;
}

static void print_key(const char *key, const char *help, const char *def) {
    printf("  %-32s %s%s%s%s\n", key, help, def ? " [default: " : "", def ? def : "",
           def ? "]" : "");
}

static void print_help(const vk_program *prog) {
    printf("%s %s — %s\n\n", prog->name, VK_VERSION, prog->summary);
    printf("Usage: %s [--config FILE] [-X key=value]... [--log-level LEVEL]%s%s\n\n", prog->name,
           prog->usage ? " " : "", prog->usage ? prog->usage : "");
    printf("Configuration, lowest precedence first: defaults, the --config file (key=value\n"
           "lines; '#' starts a comment line, never a comment after a value), VAKSIN_<KEY>\n"
           "environment variables (the key upper-cased, '.' as '_' and '_' as '__':\n"
           "jkn.cons_id is VAKSIN_JKN_CONS__ID; VAKSIN_BOOTSTRAP and VAKSIN_PG are short for\n"
           "kafka.bootstrap.servers and pg.conninfo), -X options. A key no vaksin program\n"
           "knows is refused. kafka.<property> is passed to librdkafka as is\n"
           "(kafka.consumer.<p> and kafka.producer.<p> to one side only).\n\nKeys:\n");
    for (const vk_config_doc *d = prog->keys; d && d->key; d++)
        print_key(d->key, d->help, d->def);
    if (!declared(prog->keys, "log.level")) /* read by vk_cli_parse for every program */
        print_key("log.level", "debug, info, warn or error", "info");
}

/* One -X key=value: an unknown key is an error, another program's key a warning. */
static int apply_set(const vk_program *prog, vk_config *cfg, const char *kvs) {
    const char *eq = strchr(kvs, '=');
    if (!eq || eq == kvs) {
        fprintf(stderr, "%s: -X expects key=value, got \"%s\"\n", prog->name, kvs);
        return -1;
    }
    char key[256];
    size_t n = (size_t)(eq - kvs);
    if (n >= sizeof key) {
        fprintf(stderr, "%s: key too long in -X %.*s…\n", prog->name, 64, kvs);
        return -1;
    }
    memcpy(key, kvs, n);
    key[n] = '\0';
    const char *nearest;
    vk_key_kind kind = vk_config_key_kind(prog->keys, key, &nearest);
    if (kind == VK_KEY_UNKNOWN) {
        fprintf(stderr,
                "%s: -X %s: unknown key%s%s%s (--help lists the keys; kafka.<property> "
                "passes any librdkafka property)\n",
                prog->name, key, nearest ? " — did you mean " : "", nearest ? nearest : "",
                nearest ? "?" : "");
        return -1;
    }
    if (vk_config_is_secret(key, eq + 1)) {
        fprintf(stderr,
                "%s: -X %s=… refused: a secret on the command line is visible to every user "
                "(ps, /proc/PID/cmdline); put it in the --config file (mode 600) or in the "
                "environment (VAKSIN_<KEY>)\n",
                prog->name, key);
        return -1;
    }
    if (kind == VK_KEY_OTHER)
        vk_warn("msg=\"-X sets a key this program does not declare (see --help): another "
                "program's, probably without effect here\" key=%s",
                key);
    if (vk_config_set(cfg, key, eq + 1)) {
        fprintf(stderr, "%s: out of memory\n", prog->name);
        return -1;
    }
    return 0;
}

int vk_cli_parse(int argc, char **argv, const vk_program *prog, vk_config *cfg, int *first_arg) {
    const char *config_path = NULL, *level = NULL;
    int i;
    /* No core dumps, no ptrace by other processes of the user: the configuration about to be
     * read holds secrets (ticket.secret, passwords), and a core file would keep them. (Not under
     * AddressSanitizer: its leak checker ptrace-attaches to the process at exit.) */
#ifndef __SANITIZE_ADDRESS__
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
#endif
    /* Defaults first, so a key documented with a default always has a value. */
    for (const vk_config_doc *d = prog->keys; d && d->key; d++)
        if (d->def)
            vk_config_set(cfg, d->key, d->def);
    for (i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            print_help(prog);
            return 1;
        } else if (strcmp(a, "--version") == 0) {
            if (version_note)
                printf("%s %s (%s)\n", prog->name, VK_VERSION, version_note);
            else
                printf("%s %s\n", prog->name, VK_VERSION);
            return 1;
        } else if (strcmp(a, "--config") == 0 || strcmp(a, "-c") == 0) {
            if (++i >= argc)
                goto missing;
            config_path = argv[i];
        } else if (strcmp(a, "--log-level") == 0) {
            if (++i >= argc)
                goto missing;
            level = argv[i];
        } else if (strcmp(a, "-X") == 0 || strcmp(a, "--set") == 0) {
            if (++i >= argc)
                goto missing;
        } else if (strcmp(a, "--") == 0) {
            i++;
            break;
        } else if (a[0] == '-' && a[1] != '\0') {
            fprintf(stderr, "%s: unknown option %s (see --help)\n", prog->name, a);
            return -1;
        } else {
            break;
        }
    }
    *first_arg = i;
    /* Logs name the program from here on: the environment and -X may warn. The level the
     * configuration asks for is set once it is read. */
    vk_log_init(prog->name, VK_LOG_INFO);
    char err[512];
    if (config_path && vk_config_load_file(cfg, config_path, prog->keys, err, sizeof err)) {
        fprintf(stderr, "%s: %s\n", prog->name, err);
        return -1;
    }
    if (vk_config_load_env(cfg, prog->keys, err, sizeof err)) {
        fprintf(stderr, "%s: %s\n", prog->name, err);
        return -1;
    }
    /* -X last: the command line wins. */
    for (int j = 1; j < *first_arg; j++) {
        if (strcmp(argv[j], "-X") != 0 && strcmp(argv[j], "--set") != 0) {
            if (strcmp(argv[j], "--config") == 0 || strcmp(argv[j], "-c") == 0 ||
                strcmp(argv[j], "--log-level") == 0)
                j++;
            continue;
        }
        if (apply_set(prog, cfg, argv[++j]))
            return -1;
    }
    if (!level)
        level = vk_config_get(cfg, "log.level", "info");
    int lv = vk_log_level_parse(level);
    if (lv < 0) {
        fprintf(stderr, "%s: unknown log level %s (debug, info, warn, error)\n", prog->name, level);
        return -1;
    }
    vk_log_init(prog->name, (vk_log_level)lv);
    return 0;
missing:
    fprintf(stderr, "%s: %s needs a value\n", prog->name, argv[i - 1]);
    return -1;
}

void vk_config_dump(const vk_config *cfg) {
    for (size_t i = 0; i < cfg->n; i++)
        vk_info("msg=config key=%s value=\"%s\"", cfg->items[i].key,
                vk_config_is_secret(cfg->items[i].key, cfg->items[i].value) ? "***"
                                                                            : cfg->items[i].value);
}

int vk_write_line_atomic(const char *path, const char *line) {
    char tmp[4096];
    if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp) {
        errno = ENAMETOOLONG;
        return -1;
    }
    FILE *f = fopen(tmp, "w");
    if (!f)
        return -1;
    int failed = fprintf(f, "%s\n", line) < 0;
    if (fclose(f) || failed || rename(tmp, path)) {
        int saved = errno;
        unlink(tmp);
        errno = saved;
        return -1;
    }
    return 0;
}
