/*
 * fuzz_json_avro — JSON → Avro as vaksin-submit reads a request line (vk_json_to_avro), then the
 * value back to JSON: any JSON text, for every contract record. The first byte picks the record.
 */
#include "vk_codec.h"
#include "vk_contract.h"

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

/* The first byte picks one of the contract's records (vk_all_records; tests/fuzz/seeds.py
 * writes seeds in the same order). */
#define N_RECORDS 9

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static vk_codec *codec;
    static vk_encoder *enc[N_RECORDS];
    char err[512];
    if (!codec) {
        if (!vk_all_records[N_RECORDS - 1] || vk_all_records[N_RECORDS])
            abort(); /* the contract changed: update N_RECORDS and seeds.py */
        codec = vk_codec_new(err, sizeof err);
        for (size_t i = 0; codec && i < N_RECORDS; i++)
            enc[i] = vk_encoder_new(codec, vk_all_records[i], err, sizeof err);
        if (!codec || !enc[N_RECORDS - 1])
            abort();
    }
    if (size < 1)
        return 0;
    json_error_t jerr;
    json_t *j = json_loadb((const char *)data + 1, size - 1, 0, &jerr);
    if (!j)
        return 0;
    vk_encoder *e = enc[data[0] % N_RECORDS];
    avro_value_t *v = vk_encoder_value(e);
    avro_schema_t schema = avro_value_get_schema(v);
    if (vk_json_to_avro(j, v, schema, err, sizeof err) == 0) {
        json_t *back = vk_avro_to_json(v, schema);
        json_decref(back);
    }
    json_decref(j);
    return 0;
}
