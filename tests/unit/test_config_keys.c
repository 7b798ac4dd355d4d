/*
 * test_config_keys.c — every key of every program against the configuration's rules.
 *
 * The programs' key tables are private to each main.c, so this runs every built program
 * (bin/vaksin-*, beside this test's own folder) with --help and reads its keys. For each key:
 * its environment variable leads back to it (vk_config_env_name, vk_config_env_key), and it is
 * in vk_config_every_key — the list a shared config file is checked against, so a key missing
 * there would be refused as unknown in every program's config file. And the other way: every key
 * of that list is some program's (a stale entry would let a typo of a removed key through).
 */
#include "vk_config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum { MAX_KEYS = 1024 };

typedef struct seen {
    char *key[MAX_KEYS];
    size_t n;
} seen;

static bool seen_has(const seen *s, const char *key) {
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->key[i], key) == 0)
            return true;
    return false;
}

/* The build's bin/: this test runs from <build>/tests/. */
static void bin_dir(char *out, size_t len) {
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    assert_true(n > 0);
    self[n] = '\0';
    snprintf(out, len, "%s/../bin", dirname(self));
}

/* Checks one declared key; returns the number of problems found (printed). */
static int check_key(const char *program, const char *key) {
    char name[256], back[256];
    if (vk_config_env_name(key, name, sizeof name) != 0) {
        print_error("%s declares %s: no environment variable can name it (words of a-z and 0-9 "
                    "joined by single '.' or '_')\n",
                    program, key);
        return 1;
    }
    if (vk_config_env_key(name, back, sizeof back) != 0 || strcmp(back, key) != 0) {
        print_error("%s declares %s: %s does not lead back to it\n", program, key, name);
        return 1;
    }
    if (strncmp(key, "kafka.", 6) != 0 && vk_config_key_kind(NULL, key, NULL) == VK_KEY_UNKNOWN) {
        print_error("%s declares %s, which is not in every_key (lib/base/vk_config.c): every "
                    "config file would refuse it as unknown; add it there\n",
                    program, key);
        return 1;
    }
    return 0;
}

/* Runs @p path --help and checks the keys listed after "Keys:". */
static int check_program(const char *path, const char *program, seen *all, size_t *nkeys) {
    char cmd[PATH_MAX + 32], line[1024];
    assert_null(strchr(path, '\''));
    snprintf(cmd, sizeof cmd, "'%s' --help", path);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    bool in_keys = false;
    int problems = 0;
    *nkeys = 0;
    while (fgets(line, sizeof line, p)) {
        if (strcmp(line, "Keys:\n") == 0) {
            in_keys = true;
            continue;
        }
        if (!in_keys || strncmp(line, "  ", 2) != 0 || line[2] == ' ')
            continue;
        char key[256];
        size_t n = strcspn(line + 2, " \n");
        assert_true(n > 0 && n < sizeof key);
        memcpy(key, line + 2, n);
        key[n] = '\0';
        (*nkeys)++;
        problems += check_key(program, key);
        if (!seen_has(all, key)) {
            assert_true(all->n < MAX_KEYS);
            all->key[all->n++] = strdup(key);
        }
    }
    assert_int_equal(0, pclose(p));
    return problems;
}

static void every_declared_key_follows_the_rules(void **state) {
    (void)state;
    char bin[PATH_MAX / 2];
    bin_dir(bin, sizeof bin);
    DIR *d = opendir(bin);
    if (!d)
        fail_msg("no %s: build the programs first", bin);
    seen all = {.n = 0};
    int problems = 0, programs = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        char path[PATH_MAX];
        struct stat st;
        if (strncmp(e->d_name, "vaksin-", 7) != 0)
            continue;
        if (snprintf(path, sizeof path, "%s/%s", bin, e->d_name) >= (int)sizeof path)
            fail_msg("path too long in %s", bin);
        if (stat(path, &st) != 0 || !S_ISREG(st.st_mode) || access(path, X_OK) != 0)
            continue;
        size_t nkeys;
        problems += check_program(path, e->d_name, &all, &nkeys);
        if (nkeys == 0) {
            print_error("%s --help lists no keys\n", e->d_name);
            problems++;
        }
        programs++;
    }
    closedir(d);
    print_message("%d programs, %zu distinct keys\n", programs, all.n);
    for (const char *const *k = vk_config_every_key(); *k; k++)
        if (!seen_has(&all, *k)) {
            print_error("every_key (lib/base/vk_config.c) holds %s, which no program declares: "
                        "remove it, or declare it where it is read\n",
                        *k);
            problems++;
        }
    for (size_t i = 0; i < all.n; i++)
        free(all.key[i]);
    assert_true(programs > 0);
    assert_int_equal(0, problems);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_declared_key_follows_the_rules),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
