/*
 * fuzz_config — a configuration file (key=value lines) as every program reads it
 * (vk_config_load_file), through an in-memory file.
 */
#define _GNU_SOURCE
#include "vk_config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
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
    if (cfg && vk_config_load_file(cfg, path, err, sizeof err) == 0)
        vk_config_get_int(cfg, "batch.max", 0);
    vk_config_destroy(cfg);
    return 0;
}
