/*
 * fuzz_lzstring — LZ-String decompressFromEncodedURIComponent, as BPJS answers are read.
 */
#include "vk_lzstring.h"

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    vk_buf out = VK_BUF_INIT;
    char err[256];
    vk_lzstring_decompress_uri((const char *)data, size, &out, err, sizeof err);
    vk_buf_free(&out);
    return 0;
}
