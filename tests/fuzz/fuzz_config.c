/*
 * fuzz_config — a configuration file (key=value lines) as every program reads it
 * (vk_config_load_file), through an in-memory file; and the same bytes as an environment
 * variable's name and as a key (vk_config_env_key, vk_config_env_name, the nearest-key search).
 */
#define _GNU_SOURCE
#include "vk_config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static int fd = -1;
    static char path[64];
    if (fd < 0) {
        fd = memfd_create("vk-config", 0);
        if (fd < 0)
            abort();
        fchmod(fd, 0600);
        snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    }
    if (ftruncate(fd, 0) || pwrite(fd, data, size, 0) != (ssize_t)size)
        return 0;
    vk_config *cfg = vk_config_new();
    char err[512];
    if (cfg && vk_config_load_file(cfg, path, NULL, err, sizeof err) == 0)
        vk_config_get_int(cfg, "batch.max", 0);
    vk_config_destroy(cfg);

    char text[512], out[1024], back[1024];
    size_t n = size < sizeof text ? size : sizeof text - 1;
    memcpy(text, data, n);
    text[n] = '\0';
    if (vk_config_env_key(text, out, sizeof out) == 0 &&
        (vk_config_env_name(out, back, sizeof back) != 0 || strcmp(back, text) != 0) &&
        strcmp(text, "VAKSIN_PG") != 0 && strcmp(text, "VAKSIN_BOOTSTRAP") != 0)
        abort(); /* a name that decodes must be the key's one name */
    if (vk_config_env_name(text, out, sizeof out) == 0 &&
        (vk_config_env_key(out, back, sizeof back) != 0 || strcmp(back, text) != 0))
        abort(); /* the rule must lead back to the key */
    const char *nearest;
    vk_config_key_kind(NULL, text, &nearest);
    return 0;
}
