/*
 * fuzz_avro — the decoder of every contract record, on untrusted bytes: both framings (Avro
 * single-object C3 01 + fingerprint, Confluent 00 + schema id) and schema resolution. The first
 * byte picks the record, the rest is the message.
 */
#include "vk_codec.h"
#include "vk_contract.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

static const char *const records[] = {VK_SCHEMA_TICKET_REQUESTED,
                                      VK_SCHEMA_REGISTRATION_SUBMITTED,
                                      VK_SCHEMA_SCREENING_SUBMITTED,
                                      VK_SCHEMA_VACCINATION_SUBMITTED,
                                      VK_SCHEMA_VERIFICATION_REQUESTED,
                                      VK_SCHEMA_ACCESS_CHANGED,
                                      VK_SCHEMA_VERIFICATION_LOOKUP,
                                      VK_SCHEMA_TARGET_EVENT,
                                      VK_SCHEMA_DEAD_LETTER};
#define N_RECORDS (sizeof records / sizeof *records)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static vk_codec *codec;
    static vk_decoder *dec[N_RECORDS];
    char err[512];
    if (!codec) {
        codec = vk_codec_new(err, sizeof err);
        for (size_t i = 0; codec && i < N_RECORDS; i++)
            dec[i] = vk_decoder_new(codec, records[i], err, sizeof err);
        if (!codec || !dec[N_RECORDS - 1])
            abort();
    }
    if (size < 1)
        return 0;
    avro_value_t *v;
    vk_decoder_decode(dec[data[0] % N_RECORDS], data + 1, size - 1, &v, err, sizeof err);
    return 0;
}
