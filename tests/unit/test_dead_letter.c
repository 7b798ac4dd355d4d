/*
 * test_dead_letter.c — vk_dead_letter_build (lib/kafka/vk_service.c): a dead letter always fits.
 * A refused value longer than the budget keeps its head, and the error says how long the whole
 * was and its SHA-256; a short one is kept whole with the reason unchanged.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "vk_codec.h"
#include "vk_service.h"
#include "vk_value.h"

#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct fixture {
    vk_codec *codec;
    vk_encoder *enc;
    vk_decoder *dec;
    rd_kafka_t *rk;
    rd_kafka_topic_t *topic;
    vk_outputs out;
} fixture;

static int setup(void **state) {
    static fixture f;
    char err[512];
    memset(&f, 0, sizeof f);
    f.codec = vk_codec_new(err, sizeof err);
    f.enc = vk_encoder_new(f.codec, VK_SCHEMA_DEAD_LETTER, err, sizeof err);
    f.dec = vk_decoder_new(f.codec, VK_SCHEMA_DEAD_LETTER, err, sizeof err);
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "log_level", "0", err, sizeof err);
    f.rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err); /* no broker: only a handle */
    assert_non_null(f.rk);
    f.topic = rd_kafka_topic_new(f.rk, VK_TOPIC_TICKET_REQUESTS, NULL);
    assert_true(f.codec && f.enc && f.dec && f.topic);
    *state = &f;
    return 0;
}

static int teardown(void **state) {
    fixture *f = *state;
    vk_outputs_free(&f->out);
    rd_kafka_topic_destroy(f->topic);
    rd_kafka_destroy(f->rk);
    vk_decoder_destroy(f->dec);
    vk_encoder_destroy(f->enc);
    vk_codec_destroy(f->codec);
    return 0;
}

/* Builds the dead letter of a message with @p value / @p key and decodes it back. */
static avro_value_t *build(fixture *f, const void *value, size_t len, const void *key,
                           size_t key_len, size_t value_max) {
    rd_kafka_message_t m;
    memset(&m, 0, sizeof m);
    m.rkt = f->topic;
    m.partition = 3;
    m.offset = 42;
    m.payload = (void *)value;
    m.len = len;
    m.key = (void *)key;
    m.key_len = key_len;
    vk_dead dead = {"INVALID_NAME", "name: too long"};
    char err[512];
    vk_outputs_reset(&f->out);
    assert_int_equal(0, vk_dead_letter_build(f->enc, "vaksin-ticket", &m, &dead, value_max,
                                             &f->out, err, sizeof err));
    assert_int_equal(1, f->out.n);
    assert_string_equal(f->out.items[0].topic, VK_TOPIC_DEAD_LETTERS);
    avro_value_t *v;
    assert_int_equal(0, vk_decoder_decode(f->dec, f->out.items[0].value.data,
                                          f->out.items[0].value.len, &v, err, sizeof err));
    return v;
}

static void bytes_of(avro_value_t *v, const char *field, const void **p, size_t *len) {
    avro_value_t f, branch;
    assert_int_equal(0, avro_value_get_by_name(v, field, &f, NULL));
    assert_int_equal(0, avro_value_get_current_branch(&f, &branch));
    assert_int_equal(0, avro_value_get_bytes(&branch, p, len));
}

static void oversized_value_keeps_its_head(void **state) {
    fixture *f = *state;
    size_t n = 999874;
    unsigned char *big = malloc(n);
    for (size_t i = 0; i < n; i++)
        big[i] = (unsigned char)(i * 7 + 3);
    avro_value_t *v = build(f, big, n, "3273020101900001", 16, 262144);
    const void *p;
    size_t len;
    bytes_of(v, "value", &p, &len);
    assert_int_equal(262144, len);
    assert_memory_equal(big, p, len);
    const char *error;
    assert_int_equal(0, vk_value_get_str(v, "error", &error));
    unsigned char md[SHA256_DIGEST_LENGTH];
    char hex[65];
    SHA256(big, n, md);
    for (int i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", md[i]);
    assert_non_null(strstr(error, "name: too long"));
    assert_non_null(strstr(error, "first 262144 of 999874 bytes of the value"));
    assert_non_null(strstr(error, hex));
    /* The whole dead letter fits librdkafka's default message.max.bytes (1,000,000) easily. */
    assert_true(f->out.items[0].value.len < 300000);
    free(big);
}

static void short_value_is_kept_whole(void **state) {
    fixture *f = *state;
    avro_value_t *v = build(f, "abc", 3, "3273020101900001", 16, 262144);
    const void *p;
    size_t len;
    bytes_of(v, "value", &p, &len);
    assert_int_equal(3, len);
    const char *error;
    assert_int_equal(0, vk_value_get_str(v, "error", &error));
    assert_string_equal(error, "name: too long");
}

static void long_key_is_cut(void **state) {
    fixture *f = *state;
    char key[5000];
    memset(key, 'k', sizeof key);
    avro_value_t *v = build(f, "abc", 3, key, sizeof key, 262144);
    const void *p;
    size_t len;
    bytes_of(v, "key", &p, &len);
    assert_int_equal(VK_DEAD_KEY_MAX, len);
    assert_int_equal(VK_DEAD_KEY_MAX, f->out.items[0].key.len);
    const char *error;
    assert_int_equal(0, vk_value_get_str(v, "error", &error));
    assert_non_null(strstr(error, "first 1024 of 5000 bytes of the key"));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(oversized_value_keeps_its_head, setup, teardown),
        cmocka_unit_test_setup_teardown(short_value_is_kept_whole, setup, teardown),
        cmocka_unit_test_setup_teardown(long_key_is_cut, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
