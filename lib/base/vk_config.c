/*
 * vk_config.c — see vk_config.h.
 *
 * A small ordered array of key/value pairs: configurations have tens of keys, so a linear scan
 * is faster than anything cleverer and keeps the order of the file for vk_config_dump.
 */
#include "vk_config.h"

#include "vk_log.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
    static const char *const marks[] = {"secret",   "password", "token",
                                        "user_key", "api_key",  "key.pem"};
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

static char *trim(char *s) {
    while (isspace((unsigned char)*s))
        s++;
    char *e = s + strlen(s);
    while (e > s && isspace((unsigned char)e[-1]))
        *--e = '\0';
    return s;
}

int vk_config_load_file(vk_config *cfg, const char *path, char *err, size_t errlen) {
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "cannot open config file %s: %s", path, strerror(errno));
        return -1;
    }
    struct stat st;
    bool shared = fstat(fileno(f), &st) == 0 && (st.st_mode & (S_IRWXG | S_IRWXO));
    char line[4096];
    int lineno = 0, rc = 0;
    while (fgets(line, sizeof line, f)) {
        lineno++;
        char *s = trim(line);
        if (*s == '\0' || *s == '#')
            continue;
        char *eq = strchr(s, '=');
        if (!eq) {
            snprintf(err, errlen, "%s:%d: expected key=value", path, lineno);
            rc = -1;
            break;
        }
        *eq = '\0';
        char *key = trim(s), *value = trim(eq + 1);
        if (shared && vk_config_is_secret(key, value) && *value) {
            snprintf(err, errlen,
                     "%s holds the secret %s but group or others may read it: chmod 600 %s", path,
                     key, path);
            rc = -1;
            break;
        }
        if (vk_config_set(cfg, key, value)) {
            snprintf(err, errlen, "out of memory");
            rc = -1;
            break;
        }
    }
    fclose(f);
    return rc;
}

void vk_config_load_env(vk_config *cfg) {
    for (char **e = environ; e && *e; e++) {
        if (strncmp(*e, "VAKSIN_", 7) != 0)
            continue;
        const char *eq = strchr(*e, '=');
        if (!eq)
            continue;
        char name[256];
        size_t n = (size_t)(eq - *e) - 7;
        if (n == 0 || n >= sizeof name)
            continue;
        memcpy(name, *e + 7, n);
        name[n] = '\0';
        const char *value = eq + 1;
        if (strcmp(name, "BOOTSTRAP") == 0) {
            vk_config_set(cfg, "kafka.bootstrap.servers", value);
            continue;
        }
        if (strcmp(name, "PG") == 0) {
            vk_config_set(cfg, "pg.conninfo", value);
            continue;
        }
        for (size_t i = 0; i < n; i++)
            name[i] = name[i] == '_' ? '.' : (char)tolower((unsigned char)name[i]);
        vk_config_set(cfg, name, value);
    }
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

static void print_help(const vk_program *prog) {
    printf("%s %s — %s\n\n", prog->name, VK_VERSION, prog->summary);
    printf("Usage: %s [--config FILE] [-X key=value]... [--log-level LEVEL]%s%s\n\n", prog->name,
           prog->usage ? " " : "", prog->usage ? prog->usage : "");
    printf("Configuration, lowest precedence first: defaults, the --config file (key=value\n"
           "lines), VAKSIN_<KEY> environment variables (dots as underscores; VAKSIN_BOOTSTRAP\n"
           "and VAKSIN_PG are short for kafka.bootstrap.servers and pg.conninfo), -X options.\n"
           "kafka.<property> is passed to librdkafka as is (kafka.consumer.<p> and\n"
           "kafka.producer.<p> to one side only).\n\nKeys:\n");
    for (const vk_config_doc *d = prog->keys; d && d->key; d++)
        printf("  %-32s %s%s%s%s\n", d->key, d->help, d->def ? " [default: " : "",
               d->def ? d->def : "", d->def ? "]" : "");
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
    if (config_path) {
        char err[512];
        if (vk_config_load_file(cfg, config_path, err, sizeof err)) {
            fprintf(stderr, "%s: %s\n", prog->name, err);
            return -1;
        }
    }
    vk_config_load_env(cfg);
    /* -X last: the command line wins. */
    for (int j = 1; j < *first_arg; j++) {
        if (strcmp(argv[j], "-X") != 0 && strcmp(argv[j], "--set") != 0) {
            if (strcmp(argv[j], "--config") == 0 || strcmp(argv[j], "-c") == 0 ||
                strcmp(argv[j], "--log-level") == 0)
                j++;
            continue;
        }
        const char *kvs = argv[++j];
        const char *eq = strchr(kvs, '=');
        if (!eq || eq == kvs) {
            fprintf(stderr, "%s: -X expects key=value, got \"%s\"\n", prog->name, kvs);
            return -1;
        }
        char key[256];
        size_t n = (size_t)(eq - kvs);
        if (n >= sizeof key) {
            fprintf(stderr, "%s: key too long in -X %s\n", prog->name, kvs);
            return -1;
        }
        memcpy(key, kvs, n);
        key[n] = '\0';
        if (vk_config_is_secret(key, eq + 1)) {
            fprintf(stderr,
                    "%s: -X %s=… refused: a secret on the command line is visible to every user "
                    "(ps, /proc/PID/cmdline); put it in the --config file (mode 600) or in the "
                    "environment (VAKSIN_<KEY>)\n",
                    prog->name, key);
            return -1;
        }
        vk_config_set(cfg, key, eq + 1);
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
