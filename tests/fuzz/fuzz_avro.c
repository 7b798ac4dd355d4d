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

/* The first byte picks one of the contract's records (vk_all_records; tests/fuzz/seeds.py
 * writes seeds in the same order). */
#define N_RECORDS 9

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static vk_codec *codec;
    static vk_decoder *dec[N_RECORDS];
    char err[512];
    if (!codec) {
        if (!vk_all_records[N_RECORDS - 1] || vk_all_records[N_RECORDS])
            abort(); /* the contract changed: update N_RECORDS and seeds.py */
        codec = vk_codec_new(err, sizeof err);
        for (size_t i = 0; codec && i < N_RECORDS; i++)
            dec[i] = vk_decoder_new(codec, vk_all_records[i], err, sizeof err);
        if (!codec || !dec[N_RECORDS - 1])
            abort();
    }
    if (size < 1)
        return 0;
    avro_value_t *v;
    vk_decoder_decode(dec[data[0] % N_RECORDS], data + 1, size - 1, &v, err, sizeof err);
    return 0;
}
