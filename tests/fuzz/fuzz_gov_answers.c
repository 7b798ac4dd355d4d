/*
 * fuzz_gov_answers — the answers of the two government sources, as vaksin-lookup reads them:
 * the BPJS web service (JSON with an AES-encrypted, LZ-String-compressed "response") and
 * Dukcapil's verification by element. The first byte picks the source.
 */
#include "vk_bpjs.h"
#include "vk_dukcapil.h"

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1)
        return 0;
    char err[512];
    const char *text = (const char *)data + 1;
    if (data[0] & 1) {
        vk_bpjs_response r;
        vk_bpjs_parse_response(text, size - 1, "1000", "fuzz-secret", 1612137600, &r, err,
                               sizeof err);
    } else {
        vk_dukcapil_result r;
        vk_dukcapil_parse(text, size - 1, &r, err, sizeof err);
    }
    return 0;
}
