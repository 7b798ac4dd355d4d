/*
 * test_canonical.c — Parsing Canonical Form, CRC-64-AVRO and fingerprints.
 *
 * The expected values come from tests/vectors/avro/canonical.json, written by
 * tests/vectors/make_avro_vectors.py: the Avro project's own examples (with the fingerprints
 * the Java implementation checks), hand-checkable cases, and every contract schema and named
 * record as computed by an independent Python implementation of the specification.
 */
#include "vk_codec.h"
#include "vk_schemas.h"

#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define VECTORS "tests/vectors/avro/canonical.json"

static json_t *load_vectors(void) {
    json_error_t jerr;
    json_t *v = json_load_file(VECTORS, 0, &jerr);
    if (!v)
        fail_msg("%s: %s (run the tests from the repository root)", VECTORS, jerr.text);
    return v;
}

static uint64_t hex64(const char *hex) {
    return strtoull(hex, NULL, 16);
}

/** @brief The spec's fingerprint algorithm bit by bit, without a table: a cross-check. */
static uint64_t crc64_bitwise(const char *s) {
    const uint64_t empty = UINT64_C(0xc15d213aa4d7a795);
    uint64_t fp = empty;
    for (; *s; s++) {
        fp ^= (uint8_t)*s;
        for (int j = 0; j < 8; j++)
            fp = (fp >> 1) ^ ((fp & 1) ? empty : 0);
    }
    return fp;
}

/** @brief Checks one {input, canonical, fingerprint} vector. */
static void check_vector(json_t *vec) {
    const char *input = json_string_value(json_object_get(vec, "input"));
    const char *want = json_string_value(json_object_get(vec, "canonical"));
    uint64_t want_fp = hex64(json_string_value(json_object_get(vec, "fingerprint")));
    char err[256] = "";
    char *got = vk_avro_canonical_form(input, err, sizeof err);
    if (!got)
        fail_msg("%s: %s", input, err);
    if (strcmp(got, want) != 0)
        fail_msg("%s\n got  %s\n want %s", input, got, want);
    assert_int_equal(vk_avro_crc64(got, strlen(got)), want_fp);
    assert_int_equal(vk_avro_fingerprint(input, err, sizeof err), want_fp);
    free(got);
}

static void test_crc64_empty_and_bitwise(void **state) {
    (void)state;
    static const char *const samples[] = {"", "\"null\"", "a", "{\"name\":\"foo\"}", "\xff\x00"};
    assert_int_equal(vk_avro_crc64("", 0), UINT64_C(0xc15d213aa4d7a795));
    for (size_t i = 0; i < sizeof samples / sizeof samples[0]; i++)
        assert_int_equal(vk_avro_crc64(samples[i], strlen(samples[i])), crc64_bitwise(samples[i]));
}

/* Hand-checkable: the Avro project's test data gives "null" as 7195948357588979594. */
static void test_hand_checked_fingerprints(void **state) {
    (void)state;
    char err[256];
    uint64_t fp_long = vk_avro_fingerprint("\"long\"", err, sizeof err);
    assert_int_equal(vk_avro_fingerprint("\"null\"", err, sizeof err),
                     UINT64_C(7195948357588979594));
    assert_int_equal(vk_avro_fingerprint("\"null\"", err, sizeof err),
                     UINT64_C(0x63dd24e7cc258f8a));
    assert_int_equal(vk_avro_fingerprint("\"int\"", err, sizeof err), UINT64_C(0x7275d51a3f395c8f));
    assert_int_equal(fp_long, UINT64_C(0xd054e14493f41db7));
    assert_int_equal(vk_avro_fingerprint("{\"type\":\"long\",\"logicalType\":\"timestamp-millis\"}",
                                         err, sizeof err),
                     fp_long);
    char *form = vk_avro_canonical_form(
        "{\"type\": \"long\", \"logicalType\": \"timestamp-millis\"}", err, sizeof err);
    assert_string_equal(form, "\"long\"");
    free(form);
}

static void test_avro_project_vectors(void **state) {
    (void)state;
    json_t *v = load_vectors(), *vec;
    size_t i;
    assert_true(json_array_size(json_object_get(v, "avro_project")) >= 30);
    json_array_foreach(json_object_get(v, "avro_project"), i, vec) {
        check_vector(vec);
    }
    json_decref(v);
}

static void test_hand_vectors(void **state) {
    (void)state;
    json_t *v = load_vectors(), *vec;
    size_t i;
    json_array_foreach(json_object_get(v, "hand"), i, vec) {
        check_vector(vec);
    }
    json_decref(v);
}

static json_t *find_by(json_t *list, const char *key, const char *value) {
    size_t i;
    json_t *item;
    json_array_foreach(list, i, item) {
        if (strcmp(json_string_value(json_object_get(item, key)), value) == 0)
            return item;
    }
    return NULL;
}

static void test_contract_schemas(void **state) {
    (void)state;
    json_t *v = load_vectors();
    json_t *contract = json_object_get(v, "contract");
    size_t count = 0;
    for (const vk_embedded_schema *s = vk_embedded_schemas; s->file; s++, count++) {
        json_t *vec = find_by(contract, "file", s->file);
        if (!vec)
            fail_msg("%s: no vector (rerun tests/vectors/make_avro_vectors.py)", s->file);
        json_t *input = json_string(s->json);
        json_object_set_new(vec, "input", input);
        check_vector(vec);
    }
    assert_int_equal(count, 9);
    assert_int_equal(json_array_size(contract), count);
    json_decref(v);
}

/* Every named record of the contract has its own fingerprint in the codec's store. */
static void test_named_records(void **state) {
    (void)state;
    char err[256] = "";
    json_t *v = load_vectors(), *vec;
    vk_codec *codec = vk_codec_new(err, sizeof err);
    size_t i;
    if (!codec)
        fail_msg("vk_codec_new: %s", err);
    json_array_foreach(json_object_get(v, "named_records"), i, vec) {
        const char *name = json_string_value(json_object_get(vec, "full_name"));
        uint64_t want = hex64(json_string_value(json_object_get(vec, "fingerprint")));
        if (vk_codec_fingerprint(codec, name) != want)
            fail_msg("%s: %016" PRIx64 " != %016" PRIx64, name, vk_codec_fingerprint(codec, name),
                     want);
        assert_non_null(vk_codec_schema(codec, name));
    }
    assert_int_equal(vk_codec_fingerprint(codec, "vaksin.v1.Nope"), 0);
    assert_null(vk_codec_schema(codec, "vaksin.v1.Nope"));
    vk_codec_destroy(codec);
    json_decref(v);
}

/* A nested named type on its own expands types it uses that are defined elsewhere. */
static void test_standalone_named_type(void **state) {
    (void)state;
    char err[256] = "";
    json_t *doc = json_loads("{\"type\":\"record\",\"name\":\"R\",\"namespace\":\"n\",\"fields\":["
                             "{\"name\":\"a\",\"type\":{\"type\":\"enum\",\"name\":\"E\","
                             "\"symbols\":[\"X\"]}},"
                             "{\"name\":\"b\",\"type\":{\"type\":\"record\",\"name\":\"S\","
                             "\"fields\":[{\"name\":\"e\",\"type\":\"E\"},"
                             "{\"name\":\"f\",\"type\":\"E\"}]}}]}",
                             0, NULL);
    char *form = vk_avro_canonical_form_json(doc, "n.S", err, sizeof err);
    assert_string_equal(form, "{\"name\":\"n.S\",\"type\":\"record\",\"fields\":["
                              "{\"name\":\"e\",\"type\":{\"name\":\"n.E\",\"type\":\"enum\","
                              "\"symbols\":[\"X\"]}},{\"name\":\"f\",\"type\":\"n.E\"}]}");
    free(form);
    assert_null(vk_avro_canonical_form_json(doc, "n.Nope", err, sizeof err));
    assert_string_equal(err, "no type named n.Nope in the schema");
    json_decref(doc);
}

static int collect_name(const char *full, json_t *def, void *arg) {
    (void)def;
    json_array_append_new(arg, json_string(full));
    return 0;
}

static void test_named_types_in_document_order(void **state) {
    (void)state;
    char err[256] = "";
    json_t *doc = json_loads("{\"type\":\"record\",\"name\":\"a.R\",\"fields\":["
                             "{\"name\":\"x\",\"type\":[\"null\",{\"type\":\"fixed\","
                             "\"name\":\"F\",\"namespace\":\"\",\"size\":1}]},"
                             "{\"name\":\"y\",\"type\":{\"type\":\"map\",\"values\":"
                             "{\"type\":\"enum\",\"name\":\"E\",\"symbols\":[]}}}]}",
                             0, NULL);
    json_t *names = json_array();
    assert_int_equal(vk_avro_named_types(doc, collect_name, names, err, sizeof err), 0);
    assert_int_equal(json_array_size(names), 3);
    assert_string_equal(json_string_value(json_array_get(names, 0)), "a.R");
    assert_string_equal(json_string_value(json_array_get(names, 1)), "F");
    assert_string_equal(json_string_value(json_array_get(names, 2)), "a.E");
    json_decref(names);
    json_decref(doc);
}

static void expect_error(const char *schema, const char *message) {
    char err[256] = "";
    char *form = vk_avro_canonical_form(schema, err, sizeof err);
    if (form)
        fail_msg("%s: accepted as %s", schema, form);
    if (!strstr(err, message))
        fail_msg("%s: error \"%s\" lacks \"%s\"", schema, err, message);
    assert_int_equal(vk_avro_fingerprint(schema, err, sizeof err), 0);
}

static void test_invalid_schemas(void **state) {
    (void)state;
    expect_error("{\"type\":", "invalid schema JSON at line 1");
    expect_error("\"Nope\"", "unknown type name \"Nope\"");
    expect_error(
        "{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"a\",\"type\":\"S\"}]}",
        "unknown type name \"S\"");
    expect_error("{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"a\",\"type\":"
                 "{\"type\":\"record\",\"name\":\"R\",\"fields\":[]}}]}",
                 "type R defined twice");
    expect_error("{\"name\":\"R\"}", "a schema object without \"type\"");
    expect_error("{\"type\":{\"type\":\"int\"}}", "\"type\" must be a type name string");
    expect_error("{\"type\":\"fixed\",\"name\":\"F\",\"size\":-1}", "F: \"size\" must be");
    expect_error("{\"type\":\"fixed\",\"name\":\"F\",\"size\":\"1x\"}", "F: \"size\" must be");
    expect_error("{\"type\":\"enum\",\"name\":\"E\",\"symbols\":[1]}", "E: symbol 0 is not");
    expect_error("{\"type\":\"record\",\"name\":\"R\"}", "R: \"fields\" must be an array");
    expect_error("{\"type\":\"record\",\"fields\":[]}", "without a \"name\"");
    expect_error("{\"type\":\"array\"}", "an array schema without \"items\"");
    expect_error("{\"type\":\"map\"}", "a map schema without \"values\"");
    expect_error("{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"a\"}]}",
                 "R.a: no \"type\"");
    expect_error("{\"type\":\"enum\",\"name\":\"E\",\"symbols\":[],\"x\":1,\"x\":2}",
                 "duplicate object key");
    expect_error("42", "a schema must be a string, an array or an object");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_crc64_empty_and_bitwise),
        cmocka_unit_test(test_hand_checked_fingerprints),
        cmocka_unit_test(test_avro_project_vectors),
        cmocka_unit_test(test_hand_vectors),
        cmocka_unit_test(test_contract_schemas),
        cmocka_unit_test(test_named_records),
        cmocka_unit_test(test_standalone_named_type),
        cmocka_unit_test(test_named_types_in_document_order),
        cmocka_unit_test(test_invalid_schemas),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
