/*
 * test_codec.c — the schema store, framing, encoder and resolving decoder.
 *
 * tests/vectors/avro/datums.json holds records encoded by python3-avro (an independent Avro
 * implementation) with their values in the specification's JSON encoding: our decoder must
 * read exactly those values, and our encoder must produce exactly those bytes. The rest are
 * round trips of every contract record, resolution across schema versions in both directions
 * (defaults included, which avro-c itself does not fill), and malformed input.
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
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#define DATUMS "tests/vectors/avro/datums.json"

static vk_codec *new_codec(void) {
    char err[256] = "";
    vk_codec *codec = vk_codec_new(err, sizeof err);
    if (!codec)
        fail_msg("vk_codec_new: %s", err);
    return codec;
}

static const char *contract_text(const char *file) {
    for (const vk_embedded_schema *s = vk_embedded_schemas; s->file; s++)
        if (strcmp(s->file, file) == 0)
            return s->json;
    fail_msg("no embedded %s", file);
    return NULL;
}

static size_t from_hex(const char *hex, uint8_t *out, size_t cap) {
    size_t n = strlen(hex) / 2;
    assert_true(n <= cap);
    for (size_t i = 0; i < n; i++) {
        unsigned v;
        sscanf(hex + 2 * i, "%2x", &v);
        out[i] = (uint8_t)v;
    }
    return n;
}

/* ---- Values in the specification's JSON encoding ---- */

static const char *branch_name(avro_schema_t s, char *buf, size_t len) {
    if (!is_avro_named_type(s))
        return avro_schema_type_name(s);
    const char *ns = avro_schema_namespace(s);
    snprintf(buf, len, "%s%s%s", ns ? ns : "", ns ? "." : "", avro_schema_name(s));
    return buf;
}

/** @brief A JSON string of code points U+0000..U+00FF as bytes. */
static size_t latin1(json_t *j, uint8_t *out, size_t cap) {
    const unsigned char *s = (const unsigned char *)json_string_value(j);
    size_t n = 0;
    for (size_t i = 0; i < json_string_length(j); i++, n++) {
        assert_true(n < cap);
        out[n] = s[i] < 0x80 ? s[i] : (uint8_t)(((s[i] & 3) << 6) | (s[i + 1] & 0x3f));
        i += s[i] >= 0x80;
    }
    return n;
}

static void check_value(avro_value_t *v, json_t *j, const char *path);

static void check_union(avro_value_t *v, json_t *j, const char *path) {
    avro_value_t branch;
    char buf[256];
    assert_int_equal(avro_value_get_current_branch(v, &branch), 0);
    avro_schema_t bs = avro_value_get_schema(&branch);
    if (json_is_null(j)) {
        if (!is_avro_null(bs))
            fail_msg("%s: branch %s, expected null", path, avro_schema_type_name(bs));
        return;
    }
    const char *name = branch_name(bs, buf, sizeof buf);
    json_t *inner = json_object_get(j, name);
    if (json_object_size(j) != 1 || !inner)
        fail_msg("%s: branch %s, expected %s", path, name, json_dumps(j, JSON_ENCODE_ANY));
    check_value(&branch, inner, path);
}

static void check_record(avro_value_t *v, json_t *j, const char *path) {
    avro_schema_t s = avro_value_get_schema(v);
    assert_int_equal(json_object_size(j), avro_schema_record_size(s));
    for (size_t i = 0; i < avro_schema_record_size(s); i++) {
        const char *name = avro_schema_record_field_name(s, i);
        char sub[512];
        avro_value_t field;
        snprintf(sub, sizeof sub, "%s.%s", path, name);
        assert_int_equal(avro_value_get_by_index(v, i, &field, NULL), 0);
        json_t *want = json_object_get(j, name);
        if (!want)
            fail_msg("%s: not in the expected JSON", sub);
        check_value(&field, want, sub);
    }
}

static void check_array(avro_value_t *v, json_t *j, const char *path) {
    size_t n;
    assert_int_equal(avro_value_get_size(v, &n), 0);
    if (n != json_array_size(j))
        fail_msg("%s: %zu items, expected %zu", path, n, json_array_size(j));
    for (size_t i = 0; i < n; i++) {
        avro_value_t item;
        assert_int_equal(avro_value_get_by_index(v, i, &item, NULL), 0);
        check_value(&item, json_array_get(j, i), path);
    }
}

static void check_scalar(avro_value_t *v, json_t *j, const char *path) {
    int32_t i32;
    int64_t i64;
    float f;
    double d;
    int b;
    const char *s;
    const void *bytes;
    size_t size;
    uint8_t want[256];
    switch (avro_value_get_type(v)) {
    case AVRO_NULL:
        assert_true(json_is_null(j));
        break;
    case AVRO_BOOLEAN:
        avro_value_get_boolean(v, &b);
        assert_int_equal(b, json_is_true(j));
        break;
    case AVRO_INT32:
        avro_value_get_int(v, &i32);
        assert_int_equal(i32, json_integer_value(j));
        break;
    case AVRO_INT64:
        avro_value_get_long(v, &i64);
        assert_int_equal(i64, json_integer_value(j));
        break;
    case AVRO_FLOAT:
        avro_value_get_float(v, &f);
        assert_true(f == (float)json_number_value(j));
        break;
    case AVRO_DOUBLE:
        avro_value_get_double(v, &d);
        assert_true(d == json_number_value(j));
        break;
    case AVRO_STRING:
        avro_value_get_string(v, &s, &size);
        if (strcmp(s, json_string_value(j)) != 0)
            fail_msg("%s: \"%s\", expected \"%s\"", path, s, json_string_value(j));
        break;
    case AVRO_BYTES:
        avro_value_get_bytes(v, &bytes, &size);
        assert_int_equal(size, latin1(j, want, sizeof want));
        assert_memory_equal(bytes, want, size);
        break;
    case AVRO_ENUM:
        avro_value_get_enum(v, &i32);
        assert_string_equal(avro_schema_enum_get(avro_value_get_schema(v), i32),
                            json_string_value(j));
        break;
    default:
        fail_msg("%s: unexpected type", path);
    }
}

/** @brief Fails unless @p v holds exactly the value @p j (Avro JSON encoding). */
static void check_value(avro_value_t *v, json_t *j, const char *path) {
    switch (avro_value_get_type(v)) {
    case AVRO_UNION:
        check_union(v, j, path);
        break;
    case AVRO_RECORD:
        check_record(v, j, path);
        break;
    case AVRO_ARRAY:
        check_array(v, j, path);
        break;
    default:
        check_scalar(v, j, path);
    }
}

/** @brief Fills @p v from a value in Avro JSON encoding (the inverse of check_value). */
static void fill_value(avro_value_t *v, json_t *j) {
    avro_schema_t s = avro_value_get_schema(v);
    avro_value_t child;
    uint8_t bytes[256];
    char buf[256];
    switch (avro_value_get_type(v)) {
    case AVRO_UNION:
        for (size_t i = 0; i < avro_schema_union_size(s); i++) {
            avro_schema_t b = avro_schema_union_branch(s, i);
            if (json_is_null(j) ? is_avro_null(b)
                                : json_object_get(j, branch_name(b, buf, sizeof buf)) != NULL) {
                assert_int_equal(avro_value_set_branch(v, (int)i, &child), 0);
                fill_value(&child,
                           json_is_null(j) ? j : json_object_iter_value(json_object_iter(j)));
                return;
            }
        }
        fail_msg("no branch for %s", json_dumps(j, JSON_ENCODE_ANY));
        break;
    case AVRO_RECORD:
        for (size_t i = 0; i < avro_schema_record_size(s); i++) {
            assert_int_equal(avro_value_get_by_index(v, i, &child, NULL), 0);
            fill_value(&child, json_object_get(j, avro_schema_record_field_name(s, i)));
        }
        break;
    case AVRO_ARRAY:
        for (size_t i = 0; i < json_array_size(j); i++) {
            assert_int_equal(avro_value_append(v, &child, NULL), 0);
            fill_value(&child, json_array_get(j, i));
        }
        break;
    case AVRO_NULL:
        avro_value_set_null(v);
        break;
    case AVRO_BOOLEAN:
        avro_value_set_boolean(v, json_is_true(j));
        break;
    case AVRO_INT32:
        avro_value_set_int(v, (int32_t)json_integer_value(j));
        break;
    case AVRO_INT64:
        avro_value_set_long(v, json_integer_value(j));
        break;
    case AVRO_FLOAT:
        avro_value_set_float(v, (float)json_number_value(j));
        break;
    case AVRO_DOUBLE:
        avro_value_set_double(v, json_number_value(j));
        break;
    case AVRO_STRING:
        avro_value_set_string(v, json_string_value(j));
        break;
    case AVRO_BYTES:
        avro_value_set_bytes(v, bytes, latin1(j, bytes, sizeof bytes));
        break;
    case AVRO_ENUM:
        avro_value_set_enum(v, avro_schema_enum_get_by_name(s, json_string_value(j)));
        break;
    default:
        fail_msg("unexpected type");
    }
}

/* ---- Vectors from python3-avro ---- */

static void test_python_avro_vectors(void **state) {
    (void)state;
    json_error_t jerr;
    json_t *vectors = json_load_file(DATUMS, JSON_ALLOW_NUL, &jerr), *vec;
    size_t i;
    if (!vectors)
        fail_msg("%s: %s (run the tests from the repository root)", DATUMS, jerr.text);
    assert_true(json_array_size(vectors) >= 5);
    json_array_foreach(vectors, i, vec) {
        const char *name = json_string_value(json_object_get(vec, "name"));
        const char *full = json_string_value(json_object_get(vec, "full_name"));
        json_t *id = json_object_get(vec, "registry_id");
        uint8_t msg[4096];
        char err[256] = "";
        size_t len = from_hex(json_string_value(json_object_get(vec, "hex")), msg, sizeof msg);
        size_t datum_len = (size_t)json_integer_value(json_object_get(vec, "datum_len"));
        vk_codec *codec = new_codec();
        if (id &&
            vk_codec_add_registry_schema(
                codec, (int32_t)json_integer_value(id),
                contract_text(json_string_value(json_object_get(vec, "file"))), err, sizeof err))
            fail_msg("%s: %s", name, err);

        vk_decoder *dec = vk_decoder_new(codec, full, err, sizeof err);
        avro_value_t *out = NULL;
        assert_non_null(dec);
        if (vk_decoder_decode(dec, msg, len, &out, err, sizeof err))
            fail_msg("%s: %s", name, err);
        check_value(out, json_object_get(vec, "json"), name);

        /* Our encoder writes the very same datum bytes (and our single-object header). */
        vk_encoder *enc = vk_encoder_new(codec, full, err, sizeof err);
        vk_buf buf = VK_BUF_INIT;
        avro_value_t *value = vk_encoder_value(enc);
        fill_value(value, json_object_get(vec, "json"));
        assert_int_equal(vk_encoder_write(enc, value, &buf, err, sizeof err), 0);
        assert_int_equal(buf.len, 10 + datum_len);
        assert_memory_equal(buf.data + 10, msg + len - datum_len, datum_len);
        if (!id)
            assert_memory_equal(buf.data, msg, 10);
        vk_buf_free(&buf);
        vk_encoder_destroy(enc);
        vk_decoder_destroy(dec);
        vk_codec_destroy(codec);
    }
    json_decref(vectors);
}

/* ---- Round trips of every contract record ---- */

static uint64_t rng_state;

static uint32_t rnd(void) {
    rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (uint32_t)(rng_state >> 33);
}

/** @brief Fills any value with pseudo-random content (every union branch gets its turn). */
static void fill_random(avro_value_t *v, int depth) {
    avro_schema_t s = avro_value_get_schema(v);
    avro_value_t child;
    char text[64];
    uint8_t bytes[8] = {0, 0xff, 0xc3, 0x01, 7, 8, 9, 10};
    size_t n;
    switch (avro_value_get_type(v)) {
    case AVRO_UNION:
        assert_int_equal(avro_value_set_branch(v, (int)(rnd() % avro_schema_union_size(s)), &child),
                         0);
        fill_random(&child, depth + 1);
        break;
    case AVRO_RECORD:
        for (size_t i = 0; i < avro_schema_record_size(s); i++) {
            avro_value_get_by_index(v, i, &child, NULL);
            fill_random(&child, depth + 1);
        }
        break;
    case AVRO_ARRAY:
        for (n = depth > 6 ? 0 : rnd() % 4; n > 0; n--) {
            avro_value_append(v, &child, NULL);
            fill_random(&child, depth + 1);
        }
        break;
    case AVRO_MAP:
        for (n = rnd() % 3; n > 0; n--) {
            snprintf(text, sizeof text, "k%u", rnd());
            avro_value_add(v, text, &child, NULL, NULL);
            fill_random(&child, depth + 1);
        }
        break;
    case AVRO_NULL:
        avro_value_set_null(v);
        break;
    case AVRO_BOOLEAN:
        avro_value_set_boolean(v, rnd() & 1);
        break;
    case AVRO_INT32:
        avro_value_set_int(v, (int32_t)rnd());
        break;
    case AVRO_INT64:
        avro_value_set_long(v, (int64_t)((uint64_t)rnd() << 32 | rnd()));
        break;
    case AVRO_FLOAT:
        avro_value_set_float(v, (float)(rnd() % 100000) / 8);
        break;
    case AVRO_DOUBLE:
        avro_value_set_double(v, (double)rnd() / 3);
        break;
    case AVRO_STRING:
        snprintf(text, sizeof text, "s%u-\xc3\xa9", rnd());
        avro_value_set_string(v, text);
        break;
    case AVRO_BYTES:
        avro_value_set_bytes(v, bytes, rnd() % sizeof bytes);
        break;
    case AVRO_ENUM:
        avro_value_set_enum(v, (int)(rnd() % (uint32_t)avro_schema_enum_number_of_symbols(s)));
        break;
    case AVRO_FIXED:
        avro_value_set_fixed(v, bytes, (size_t)avro_schema_fixed_size(s));
        break;
    default:
        fail_msg("unexpected type");
    }
}

static void round_trip(vk_codec *codec, const char *full) {
    char err[256] = "";
    vk_encoder *enc = vk_encoder_new(codec, full, err, sizeof err);
    vk_decoder *dec = vk_decoder_new(codec, full, err, sizeof err);
    vk_buf buf = VK_BUF_INIT;
    if (!enc || !dec)
        fail_msg("%s: %s", full, err);
    for (int seed = 0; seed < 25; seed++) {
        avro_value_t *value = vk_encoder_value(enc), *out = NULL;
        rng_state = (uint64_t)seed;
        fill_random(value, 0);
        vk_buf_reset(&buf);
        if (vk_encoder_write(enc, value, &buf, err, sizeof err) ||
            vk_decoder_decode(dec, buf.data, buf.len, &out, err, sizeof err))
            fail_msg("%s seed %d: %s", full, seed, err);
        if (!avro_value_equal(value, out))
            fail_msg("%s seed %d: the decoded value differs", full, seed);
    }
    vk_buf_free(&buf);
    vk_encoder_destroy(enc);
    vk_decoder_destroy(dec);
}

static void test_round_trip_every_record(void **state) {
    (void)state;
    static const char *const top[] = {VK_SCHEMA_TICKET_REQUESTED,
                                      VK_SCHEMA_REGISTRATION_SUBMITTED,
                                      VK_SCHEMA_SCREENING_SUBMITTED,
                                      VK_SCHEMA_VACCINATION_SUBMITTED,
                                      VK_SCHEMA_VERIFICATION_REQUESTED,
                                      VK_SCHEMA_ACCESS_CHANGED,
                                      VK_SCHEMA_VERIFICATION_LOOKUP,
                                      VK_SCHEMA_TARGET_EVENT,
                                      VK_SCHEMA_DEAD_LETTER,
                                      "vaksin.v1.TicketIssued",
                                      "vaksin.v1.VerificationEnriched",
                                      "vaksin.v1.Grant"};
    vk_codec *codec = new_codec();
    for (size_t i = 0; i < sizeof top / sizeof top[0]; i++)
        round_trip(codec, top[i]);
    vk_codec_destroy(codec);
}

/* Several messages appended to one buffer; a datum larger than the first reservation. */
static void test_encoder_appends_and_grows(void **state) {
    (void)state;
    char err[256] = "", name[3000];
    vk_codec *codec = new_codec();
    vk_encoder *enc = vk_encoder_new(codec, VK_SCHEMA_REGISTRATION_SUBMITTED, err, sizeof err);
    vk_decoder *dec = vk_decoder_new(codec, VK_SCHEMA_REGISTRATION_SUBMITTED, err, sizeof err);
    vk_buf buf = VK_BUF_INIT;
    avro_value_t *v, *out, field;
    memset(name, 'x', sizeof name - 1);
    name[sizeof name - 1] = '\0';
    rng_state = 1;
    v = vk_encoder_value(enc);
    fill_random(v, 0);
    assert_int_equal(vk_encoder_write(enc, v, &buf, err, sizeof err), 0);
    size_t first = buf.len;
    avro_value_get_by_name(v, "facility_code", &field, NULL);
    avro_value_set_string(&field, name);
    assert_int_equal(vk_encoder_write(enc, v, &buf, err, sizeof err), 0);
    assert_true(buf.len > first + sizeof name);
    assert_int_equal(
        vk_decoder_decode(dec, buf.data + first, buf.len - first, &out, err, sizeof err), 0);
    assert_true(avro_value_equal(v, out));
    vk_buf_free(&buf);
    vk_encoder_destroy(enc);
    vk_decoder_destroy(dec);
    vk_codec_destroy(codec);
}

static void test_encoder_errors(void **state) {
    (void)state;
    char err[256] = "";
    vk_codec *codec = new_codec();
    vk_encoder *ticket = vk_encoder_new(codec, VK_SCHEMA_TICKET_REQUESTED, err, sizeof err);
    vk_encoder *dead = vk_encoder_new(codec, VK_SCHEMA_DEAD_LETTER, err, sizeof err);
    vk_buf buf = VK_BUF_INIT;
    assert_null(vk_encoder_new(codec, "vaksin.v1.Nope", err, sizeof err));
    assert_string_equal(err, "no record vaksin.v1.Nope in the contract");
    assert_int_equal(vk_encoder_write(dead, vk_encoder_value(ticket), &buf, err, sizeof err), -1);
    assert_string_equal(err, "the value is a vaksin.v1.TicketRequested, this encoder writes "
                             "vaksin.v1.DeadLetter");
    /* A union left without a branch cannot be written. */
    assert_int_equal(vk_encoder_write(ticket, vk_encoder_value(ticket), &buf, err, sizeof err), -1);
    assert_non_null(strstr(err, "cannot encode vaksin.v1.TicketRequested: "));
    assert_int_equal(buf.len, 0);
    vk_buf_free(&buf);
    vk_encoder_destroy(ticket);
    vk_encoder_destroy(dead);
    vk_codec_destroy(codec);
}

/* ---- Resolution across versions ---- */

/**
 * @brief Encodes @p j (Avro JSON) with an arbitrary writer schema, framed single-object: how a
 * peer with another version of a record would write it.
 */
static size_t encode_with(const char *schema_json, json_t *j, uint8_t *out, size_t cap) {
    char err[256] = "";
    avro_schema_t s;
    avro_value_t v;
    assert_int_equal(avro_schema_from_json_length(schema_json, strlen(schema_json), &s), 0);
    avro_value_iface_t *iface = avro_generic_class_from_schema(s);
    avro_generic_value_new(iface, &v);
    fill_value(&v, j);
    uint64_t fp = vk_avro_fingerprint(schema_json, err, sizeof err);
    out[0] = 0xC3;
    out[1] = 0x01;
    for (int i = 0; i < 8; i++)
        out[2 + i] = (uint8_t)(fp >> (8 * i));
    avro_writer_t w = avro_writer_memory((const char *)out + 10, (int64_t)cap - 10);
    assert_int_equal(avro_value_write(w, &v), 0);
    size_t len = 10 + (size_t)avro_writer_tell(w);
    avro_writer_free(w);
    avro_value_decref(&v);
    avro_value_iface_decref(iface);
    avro_schema_decref(s);
    return len;
}

/** @brief Decodes @p msg with a reader, failing the test on error. */
static avro_value_t *decode_ok(vk_decoder *dec, const uint8_t *msg, size_t len) {
    char err[256] = "";
    avro_value_t *out = NULL;
    if (vk_decoder_decode(dec, msg, len, &out, err, sizeof err))
        fail_msg("decode: %s", err);
    return out;
}

static json_t *json_of(const char *text) {
    json_error_t jerr;
    json_t *j = json_loads(text, 0, &jerr);
    if (!j)
        fail_msg("test JSON: %s", jerr.text);
    return j;
}

/** @brief The TicketRequested contract with one more field inserted after "name". */
static char *ticket_v2(void) {
    json_t *doc = json_of(contract_text("ticket.requests.avsc"));
    json_t *fields = json_object_get(doc, "fields");
    json_array_insert_new(fields, 6,
                          json_of("{\"name\":\"channel\",\"type\":\"string\","
                                  "\"default\":\"web\"}"));
    char *text = json_dumps(doc, 0);
    json_decref(doc);
    return text;
}

/* A newer writer (one more field) read by the contract: the extra field is skipped. */
static void test_newer_writer_older_reader(void **state) {
    (void)state;
    char err[256] = "";
    uint8_t msg[1024];
    char *v2 = ticket_v2();
    vk_codec *codec = new_codec();
    assert_int_equal(vk_codec_add_schema(codec, v2, err, sizeof err), 0);
    vk_decoder *dec = vk_decoder_new(codec, VK_SCHEMA_TICKET_REQUESTED, err, sizeof err);
    json_t *j =
        json_of("{\"event_id\":\"e1\",\"occurred_at\":1614561330123,\"source\":\"pcare-web\","
                "\"actor\":{\"string\":\"op\"},\"nik\":\"3273014508750002\",\"name\":\"SITI\","
                "\"channel\":\"kiosk\",\"birth_date\":2042,\"sex\":{\"vaksin.v1.Sex\":\"P\"},"
                "\"phone\":null,\"category\":null,\"facility_code\":{\"string\":\"1010001\"},"
                "\"scheduled_date\":null,\"origin\":\"EXCEL\"}");
    size_t len = encode_with(v2, j, msg, sizeof msg);
    json_object_del(j, "channel");
    for (int i = 0; i < 3; i++) /* the cached plan serves the later messages */
        check_value(decode_ok(dec, msg, len), j, "TicketRequested");
    json_decref(j);
    vk_decoder_destroy(dec);
    vk_codec_destroy(codec);
    free(v2);
}

#define PROBE_V1                                                                                   \
    "{\"type\":\"record\",\"name\":\"Probe\",\"namespace\":\"vaksin.test\",\"fields\":["           \
    "{\"name\":\"id\",\"type\":\"string\"},"                                                       \
    "{\"name\":\"items\",\"type\":{\"type\":\"array\",\"items\":{\"type\":\"record\","             \
    "\"name\":\"Item\",\"fields\":[{\"name\":\"code\",\"type\":\"string\"}]}}},"                   \
    "{\"name\":\"n\",\"type\":\"int\"}]}"

/* Version 2 adds, with defaults: a nullable note (null), an int (7), a union whose first branch
 * is a string, bytes, an enum, an array, and a field inside the nested Item record. */
#define PROBE_V2                                                                                   \
    "{\"type\":\"record\",\"name\":\"Probe\",\"namespace\":\"vaksin.test\",\"fields\":["           \
    "{\"name\":\"id\",\"type\":\"string\"},"                                                       \
    "{\"name\":\"note\",\"type\":[\"null\",\"string\"],\"default\":null},"                         \
    "{\"name\":\"items\",\"type\":{\"type\":\"array\",\"items\":{\"type\":\"record\","             \
    "\"name\":\"Item\",\"fields\":[{\"name\":\"code\",\"type\":\"string\"},"                       \
    "{\"name\":\"weight\",\"type\":\"double\",\"default\":1.5}]}}},"                               \
    "{\"name\":\"n\",\"type\":\"int\"},"                                                           \
    "{\"name\":\"seven\",\"type\":\"int\",\"default\":7},"                                         \
    "{\"name\":\"label\",\"type\":[\"string\",\"null\"],\"default\":\"none\"},"                    \
    "{\"name\":\"raw\",\"type\":\"bytes\",\"default\":\"\\u0001\\u00ff\"},"                        \
    "{\"name\":\"level\",\"type\":{\"type\":\"enum\",\"name\":\"Level\",\"symbols\":"              \
    "[\"LOW\",\"HIGH\"]},\"default\":\"HIGH\"},"                                                   \
    "{\"name\":\"tags\",\"type\":{\"type\":\"array\",\"items\":\"long\"},\"default\":[1,2]}]}"

/** @brief A codec whose contract has @p reader, with @p writer as another version. */
static vk_codec *probe_codec(const char *reader, const char *writer) {
    char err[256] = "";
    vk_codec *codec = new_codec();
    if (vk_codec_add_contract_schema(codec, reader, err, sizeof err) ||
        vk_codec_add_schema(codec, writer, err, sizeof err))
        fail_msg("probe codec: %s", err);
    return codec;
}

/* An older writer read by a newer reader: every missing field takes the reader's default. */
static void test_older_writer_newer_reader_defaults(void **state) {
    (void)state;
    char err[256] = "";
    uint8_t msg[1024];
    vk_codec *codec = probe_codec(PROBE_V2, PROBE_V1);
    vk_decoder *dec = vk_decoder_new(codec, "vaksin.test.Probe", err, sizeof err);
    json_t *in = json_of("{\"id\":\"p1\",\"items\":[{\"code\":\"a\"},{\"code\":\"b\"}],\"n\":42}");
    json_t *want = json_of(
        "{\"id\":\"p1\",\"note\":null,\"items\":[{\"code\":\"a\",\"weight\":1.5},"
        "{\"code\":\"b\",\"weight\":1.5}],\"n\":42,\"seven\":7,\"label\":{\"string\":\"none\"},"
        "\"raw\":\"\\u0001\\u00ff\",\"level\":\"HIGH\",\"tags\":[1,2]}");
    size_t len = encode_with(PROBE_V1, in, msg, sizeof msg);
    assert_non_null(dec);
    for (int i = 0; i < 3; i++) /* values are reset between messages: arrays do not grow */
        check_value(decode_ok(dec, msg, len), want, "Probe");
    json_decref(in);
    json_decref(want);
    vk_decoder_destroy(dec);
    vk_codec_destroy(codec);
}

/* A version first known as a writer, then added to the contract, takes the contract's defaults
 * (defaults are not part of the canonical form, so both share one fingerprint). */
static void test_contract_defaults_win(void **state) {
    (void)state;
    char err[256] = "";
    uint8_t msg[1024];
    char *nine = strdup(PROBE_V2);
    memcpy(strstr(nine, "\"default\":7") + strlen("\"default\":"), "9", 1);
    vk_codec *codec = new_codec();
    assert_int_equal(vk_codec_add_schema(codec, nine, err, sizeof err), 0);
    assert_int_equal(vk_codec_add_contract_schema(codec, PROBE_V2, err, sizeof err), 0);
    assert_int_equal(vk_codec_add_schema(codec, PROBE_V1, err, sizeof err), 0);
    vk_decoder *dec = vk_decoder_new(codec, "vaksin.test.Probe", err, sizeof err);
    json_t *in = json_of("{\"id\":\"p\",\"items\":[],\"n\":1}");
    size_t len = encode_with(PROBE_V1, in, msg, sizeof msg);
    avro_value_t *out = decode_ok(dec, msg, len), seven;
    int32_t got = 0;
    avro_value_get_by_name(out, "seven", &seven, NULL);
    avro_value_get_int(&seven, &got);
    assert_int_equal(got, 7);
    json_decref(in);
    vk_decoder_destroy(dec);
    vk_codec_destroy(codec);
    free(nine);
}

/* And the other way round: the newer writer's extra fields are skipped by the older reader. */
static void test_newer_writer_skipped_fields(void **state) {
    (void)state;
    char err[256] = "";
    uint8_t msg[1024];
    vk_codec *codec = probe_codec(PROBE_V1, PROBE_V2);
    vk_decoder *dec = vk_decoder_new(codec, "vaksin.test.Probe", err, sizeof err);
    json_t *in = json_of(
        "{\"id\":\"p2\",\"note\":{\"string\":\"hi\"},\"items\":[{\"code\":\"a\",\"weight\":2.5}],"
        "\"n\":-3,\"seven\":8,\"label\":null,\"raw\":\"x\",\"level\":\"LOW\",\"tags\":[]}");
    json_t *want = json_of("{\"id\":\"p2\",\"items\":[{\"code\":\"a\"}],\"n\":-3}");
    size_t len = encode_with(PROBE_V2, in, msg, sizeof msg);
    check_value(decode_ok(dec, msg, len), want, "Probe");
    json_decref(in);
    json_decref(want);
    vk_decoder_destroy(dec);
    vk_codec_destroy(codec);
}

/* A realistic contract case: a VerificationLookup from before "attempt", "not_before" and
 * Grant.granted_by existed. */
static void test_older_contract_writer(void **state) {
    (void)state;
    char err[256] = "";
    uint8_t msg[2048];
    json_t *doc = json_of(contract_text("verification.lookups.avsc"));
    json_t *fields = json_object_get(doc, "fields");
    json_array_remove(fields, json_array_size(fields) - 1); /* not_before */
    json_array_remove(fields, json_array_size(fields) - 1); /* attempt */
    json_t *grant_fields =
        json_object_get(json_object_get(json_array_get(fields, 10), "type"), "fields");
    json_array_remove(grant_fields, 4); /* granted_by */
    char *old = json_dumps(doc, 0);
    vk_codec *codec = new_codec();
    assert_int_equal(vk_codec_add_schema(codec, old, err, sizeof err), 0);
    vk_decoder *dec = vk_decoder_new(codec, VK_SCHEMA_VERIFICATION_LOOKUP, err, sizeof err);
    json_t *in = json_of(
        "{\"event_id\":\"e\",\"occurred_at\":1,\"source\":\"s\",\"actor\":null,\"request_id\":"
        "\"r\","
        "\"kind\":\"ADDITION\",\"nik\":\"n\",\"facility_code\":\"f\",\"changes\":{\"name\":null,"
        "\"birth_date\":{\"int\":3},\"sex\":null,\"phone\":null,\"facility_code\":null,"
        "\"scheduled_date\":null},\"reason\":null,\"grant\":{\"grant_event_id\":\"g\","
        "\"user_id\":\"u\",\"facility_code\":\"f\",\"district_code\":\"3273\",\"granted_at\":5,"
        "\"valid_until\":{\"long\":6}}}");
    size_t len = encode_with(old, in, msg, sizeof msg);
    json_object_set_new(in, "attempt", json_integer(0));
    json_object_set_new(in, "not_before", json_null());
    json_object_set_new(json_object_get(in, "grant"), "granted_by", json_null());
    check_value(decode_ok(dec, msg, len), in, "VerificationLookup");
    json_decref(in);
    json_decref(doc);
    free(old);
    vk_decoder_destroy(dec);
    vk_codec_destroy(codec);
}

static void expect_decode_error(vk_decoder *dec, const uint8_t *msg, size_t len,
                                const char *message) {
    char err[256] = "";
    avro_value_t *out = NULL;
    if (vk_decoder_decode(dec, msg, len, &out, err, sizeof err) == 0)
        fail_msg("decoded, expected \"%s\"", message);
    if (strncmp(err, message, strlen(message)) != 0)
        fail_msg("error \"%s\", expected \"%s…\"", err, message);
}

static void test_resolution_failures(void **state) {
    (void)state;
    char err[256] = "";
    uint8_t msg[1024];
    /* The reader's "seven" has no default here, and the writer lacks it. */
    char *strict = strdup(PROBE_V2);
    char *at = strstr(strict, ",\"default\":7");
    memmove(at, at + strlen(",\"default\":7"), strlen(at + strlen(",\"default\":7")) + 1);
    vk_codec *codec = probe_codec(strict, PROBE_V1);
    vk_decoder *dec = vk_decoder_new(codec, "vaksin.test.Probe", err, sizeof err);
    json_t *in = json_of("{\"id\":\"p\",\"items\":[],\"n\":1}");
    size_t len = encode_with(PROBE_V1, in, msg, sizeof msg);
    char want[256];
    snprintf(want, sizeof want,
             "writer schema vaksin.test.Probe %016" PRIx64
             " lacks vaksin.test.Probe.seven, which has no default",
             vk_avro_fingerprint(PROBE_V1, err, sizeof err));
    expect_decode_error(dec, msg, len, want);
    vk_decoder_destroy(dec);

    vk_codec_destroy(codec);

    /* Incompatible types under the same name. */
    char *bad = strdup(PROBE_V1);
    at = strstr(bad, "\"id\",\"type\":\"string\"");
    memcpy(at + strlen("\"id\",\"type\":\""), "bytes\" ", 7); /* string -> bytes + space */
    codec = probe_codec(PROBE_V1, bad);
    dec = vk_decoder_new(codec, "vaksin.test.Probe", err, sizeof err);
    len = encode_with(bad, in, msg, sizeof msg);
    snprintf(want, sizeof want,
             "writer schema vaksin.test.Probe %016" PRIx64
             " cannot be resolved to reader vaksin.test.Probe: ",
             vk_avro_fingerprint(bad, err, sizeof err));
    expect_decode_error(dec, msg, len, want);
    vk_decoder_destroy(dec);
    free(bad);

    /* Another record altogether. */
    dec = vk_decoder_new(codec, VK_SCHEMA_TICKET_REQUESTED, err, sizeof err);
    expect_decode_error(dec, msg, len,
                        "writer schema vaksin.test.Probe cannot be resolved to "
                        "reader vaksin.v1.TicketRequested: the record names differ");
    vk_decoder_destroy(dec);
    json_decref(in);
    vk_codec_destroy(codec);
    free(strict);
}

/* ---- Malformed input ---- */

static size_t valid_message(vk_codec *codec, uint8_t *msg, size_t cap) {
    char err[256] = "";
    vk_encoder *enc = vk_encoder_new(codec, VK_SCHEMA_REGISTRATION_SUBMITTED, err, sizeof err);
    vk_buf buf = VK_BUF_INIT;
    avro_value_t *v = vk_encoder_value(enc);
    rng_state = 7;
    fill_random(v, 0);
    assert_int_equal(vk_encoder_write(enc, v, &buf, err, sizeof err), 0);
    assert_true(buf.len <= cap);
    memcpy(msg, buf.data, buf.len);
    size_t len = buf.len;
    vk_buf_free(&buf);
    vk_encoder_destroy(enc);
    return len;
}

static void test_malformed_input(void **state) {
    (void)state;
    char err[256] = "", want[128];
    uint8_t msg[512];
    vk_codec *codec = new_codec();
    vk_decoder *dec = vk_decoder_new(codec, VK_SCHEMA_REGISTRATION_SUBMITTED, err, sizeof err);
    size_t len = valid_message(codec, msg, sizeof msg - 8);
    decode_ok(dec, msg, len);

    expect_decode_error(dec, msg, 0, "not Avro: empty message");
    expect_decode_error(dec, (const uint8_t *)"{\"nik\":1}", 9, "not Avro: first bytes 7b 22");
    expect_decode_error(dec, (const uint8_t *)"\xc3", 1, "not Avro: first bytes c3");
    expect_decode_error(dec, msg, 9, "truncated single-object header: 9 of 10 bytes");
    expect_decode_error(dec, (const uint8_t *)"\x00\x00\x01", 3,
                        "truncated Confluent header: 3 of 5 bytes");
    expect_decode_error(dec, (const uint8_t *)"\x00\x00\x00\x00\x2a\x02", 6,
                        "unknown schema registry id 42");
    expect_decode_error(dec, msg, len - 1, "truncated datum: ");
    expect_decode_error(dec, msg, 10,
                        "truncated datum: 0 bytes end inside a "
                        "vaksin.v1.RegistrationSubmitted");
    memcpy(msg + len, "\x01\x02\x03", 3);
    expect_decode_error(dec, msg, len + 3, "3 trailing bytes after a ");
    snprintf(want, sizeof want, "%d trailing bytes", 1);
    expect_decode_error(dec, msg, len + 1, want);

    uint8_t unknown[12] = {0xC3, 0x01, 0xef, 0xcd, 0xab, 0x89, 0x67, 0x45, 0x23, 0x01, 0x02, 0x41};
    expect_decode_error(dec, unknown, sizeof unknown,
                        "unknown writer schema fingerprint 0x0123456789abcdef");
    decode_ok(dec, msg, len); /* errors leave the decoder usable */
    vk_decoder_destroy(dec);
    vk_codec_destroy(codec);
}

/* Bytes that would trip avro-c's own readers never reach them. */
static void test_hostile_datums(void **state) {
    (void)state;
    char err[256] = "";
    uint8_t msg[64];
    vk_codec *codec = new_codec();
    vk_decoder *dec = vk_decoder_new(codec, VK_SCHEMA_REGISTRATION_SUBMITTED, err, sizeof err);
    uint64_t fp = vk_codec_fingerprint(codec, VK_SCHEMA_REGISTRATION_SUBMITTED);
    msg[0] = 0xC3;
    msg[1] = 0x01;
    for (int i = 0; i < 8; i++)
        msg[2 + i] = (uint8_t)(fp >> (8 * i));
    msg[10] = 0x01; /* event_id: string length -1 */
    expect_decode_error(dec, msg, 12,
                        "malformed datum of writer schema "
                        "vaksin.v1.RegistrationSubmitted at byte 1: negative length -1");
    memcpy(msg + 10, "\xfe\xff\xff\xff\x0f", 5); /* a 2 GiB string in a 15-byte message */
    expect_decode_error(dec, msg, 15, "truncated datum: 5 bytes end inside a ");
    memcpy(msg + 10, "\x00\x00\x00\x04", 4); /* actor: union index 2 of 2 */
    expect_decode_error(dec, msg, 14,
                        "malformed datum of writer schema "
                        "vaksin.v1.RegistrationSubmitted at byte 4: union index 2 "
                        "out of range (2)");
    memset(msg + 10, 0xff, 12); /* an endless varint */
    expect_decode_error(dec, msg, 22,
                        "malformed datum of writer schema "
                        "vaksin.v1.RegistrationSubmitted at byte 10: a varint longer");
    vk_decoder_destroy(dec);
    vk_codec_destroy(codec);
}

/* ---- The store ---- */

static void test_registry_ids(void **state) {
    (void)state;
    char err[256] = "";
    vk_codec *codec = new_codec();
    const char *ticket = contract_text("ticket.requests.avsc");
    assert_int_equal(vk_codec_add_registry_schema(codec, 7, ticket, err, sizeof err), 0);
    assert_int_equal(vk_codec_add_registry_schema(codec, 7, ticket, err, sizeof err), 0);
    assert_int_equal(
        vk_codec_add_registry_schema(codec, 7, contract_text("dead-letters.avsc"), err, sizeof err),
        -1);
    assert_non_null(strstr(err, "schema registry id 7 is already registered with another schema "
                                "(vaksin.v1.TicketRequested "));
    assert_int_equal(vk_codec_add_registry_schema(codec, 8, "{\"type\":", err, sizeof err), -1);
    assert_non_null(strstr(err, "schema registry id 8: invalid schema JSON"));
    vk_codec_destroy(codec);
}

/* A schema source scripted by the test: what it answers, and how often it was asked. */
typedef struct scripted_source {
    int answer;         /* VK_SCHEMA_* */
    const char *schema; /* given when found */
    int calls;
    int32_t last_id;
} scripted_source;

static int scripted(void *arg, int32_t id, char **schema_json, char *err, size_t errlen) {
    scripted_source *s = arg;
    s->calls++;
    s->last_id = id;
    if (s->answer == VK_SCHEMA_FOUND) {
        *schema_json = strdup(s->schema);
        return VK_SCHEMA_FOUND;
    }
    snprintf(err, errlen, "scripted answer %d", s->answer);
    return s->answer;
}

static int decode_status(vk_decoder *dec, const vk_buf *msg, char *err, size_t errlen) {
    avro_value_t *out = NULL;
    return vk_decoder_decode(dec, msg->data, msg->len, &out, err, errlen);
}

/* With a writer id the encoder frames values 00 + id; a reader fetches an id it lacks through
 * its source once, and tells a registry that does not answer from an id nobody knows and from
 * a schema that is not the reader's. */
static void test_registry_framing_and_source(void **state) {
    (void)state;
    char err[512] = "";
    vk_codec *writer = new_codec(), *reader = new_codec();
    assert_int_equal(vk_codec_writer_id(writer, VK_SCHEMA_REGISTRATION_SUBMITTED), -1);
    assert_int_equal(vk_codec_set_writer_id(writer, VK_SCHEMA_REGISTRATION_SUBMITTED, 0x01020304,
                                            err, sizeof err),
                     0);
    assert_int_equal(vk_codec_writer_id(writer, VK_SCHEMA_REGISTRATION_SUBMITTED), 0x01020304);
    /* one record, one id; and an id belongs to one schema */
    assert_int_equal(
        vk_codec_set_writer_id(writer, VK_SCHEMA_REGISTRATION_SUBMITTED, 9, err, sizeof err), -1);
    assert_non_null(strstr(err, "has schema registry id 16909060 under one subject and 9"));
    assert_int_equal(
        vk_codec_set_writer_id(writer, VK_SCHEMA_DEAD_LETTER, 0x01020304, err, sizeof err), -1);
    assert_non_null(strstr(err, "is vaksin.v1.RegistrationSubmitted"));

    uint8_t raw[1024];
    size_t raw_len = valid_message(writer, raw, sizeof raw);
    static const uint8_t header[] = {0x00, 0x01, 0x02, 0x03, 0x04};
    assert_memory_equal(raw, header, 5);
    vk_buf msg = VK_BUF_INIT;
    vk_buf_append(&msg, raw, raw_len);

    /* the writer's own codec decodes its id without asking anyone */
    vk_decoder *own = vk_decoder_new(writer, VK_SCHEMA_REGISTRATION_SUBMITTED, err, sizeof err);
    assert_int_equal(decode_status(own, &msg, err, sizeof err), 0);

    vk_decoder *dec = vk_decoder_new(reader, VK_SCHEMA_REGISTRATION_SUBMITTED, err, sizeof err);
    assert_int_equal(decode_status(dec, &msg, err, sizeof err), VK_DECODE_UNKNOWN_SCHEMA);
    assert_non_null(strstr(err, "unknown schema registry id 16909060 (no schema registry"));
    assert_string_equal(vk_decode_code(VK_DECODE_UNKNOWN_SCHEMA), "UNKNOWN_SCHEMA_ID");

    scripted_source src = {.answer = VK_SCHEMA_UNAVAILABLE};
    vk_codec_set_schema_source(reader, scripted, &src, 0);
    assert_int_equal(decode_status(dec, &msg, err, sizeof err), VK_DECODE_UNAVAILABLE);
    assert_int_equal(src.calls, 1);
    assert_int_equal(src.last_id, 0x01020304);
    assert_non_null(strstr(err, "schema registry id 16909060 not fetched: scripted answer 3"));

    src.answer = VK_SCHEMA_MISSING;
    assert_int_equal(decode_status(dec, &msg, err, sizeof err), VK_DECODE_UNKNOWN_SCHEMA);

    src.answer = VK_SCHEMA_REFUSED;
    assert_int_equal(decode_status(dec, &msg, err, sizeof err), VK_DECODE_UNRESOLVABLE);

    /* found: fetched once, then every message decodes from the store and the plan */
    src.answer = VK_SCHEMA_FOUND;
    src.schema = contract_text("registration.requests.avsc");
    src.calls = 0;
    for (int i = 0; i < 3; i++)
        assert_int_equal(decode_status(dec, &msg, err, sizeof err), 0);
    assert_int_equal(src.calls, 1);
    vk_decoder *dec2 = vk_decoder_new(reader, VK_SCHEMA_REGISTRATION_SUBMITTED, err, sizeof err);
    assert_int_equal(decode_status(dec2, &msg, err, sizeof err), 0);
    assert_int_equal(src.calls, 1); /* another decoder of the same codec: still no fetch */

    /* an id whose schema is another record: dead letter UNRESOLVABLE_SCHEMA */
    msg.data[4] = 0x05;
    src.schema = contract_text("dead-letters.avsc");
    assert_int_equal(decode_status(dec, &msg, err, sizeof err), VK_DECODE_UNRESOLVABLE);
    assert_non_null(strstr(err, "writer schema vaksin.v1.DeadLetter cannot be resolved"));
    assert_string_equal(vk_decode_code(VK_DECODE_UNRESOLVABLE), "UNRESOLVABLE_SCHEMA");

    /* the bound on fetched schema text */
    vk_codec *small = new_codec();
    vk_decoder *dec3 = vk_decoder_new(small, VK_SCHEMA_REGISTRATION_SUBMITTED, err, sizeof err);
    vk_codec_set_schema_source(small, scripted, &src, 100);
    msg.data[4] = 0x04;
    src.schema = contract_text("registration.requests.avsc");
    assert_int_equal(decode_status(dec3, &msg, err, sizeof err), VK_DECODE_UNRESOLVABLE);
    assert_non_null(strstr(err, "schema.registry.cache.max.bytes"));

    vk_decoder_destroy(dec3);
    vk_codec_destroy(small);
    vk_decoder_destroy(dec2);
    vk_decoder_destroy(dec);
    vk_decoder_destroy(own);
    vk_buf_free(&msg);
    vk_codec_destroy(reader);
    vk_codec_destroy(writer);
}

/* What a registry is given: the contract document with its defaults and logical types. */
static void test_schema_text(void **state) {
    (void)state;
    vk_codec *codec = new_codec();
    char *text = vk_codec_schema_text(codec, VK_SCHEMA_TARGET_EVENT);
    assert_non_null(text);
    assert_non_null(strstr(text, "\"logicalType\""));
    assert_non_null(strstr(text, "\"default\""));
    assert_null(strchr(text, '\n'));
    free(text);
    assert_null(vk_codec_schema_text(codec, "vaksin.v1.TicketIssued")); /* nested */
    assert_null(vk_codec_schema_text(codec, "vaksin.v1.Nothing"));
    vk_codec_destroy(codec);
}

static void write_text(const char *path, const char *text) {
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void test_schema_dir(void **state) {
    (void)state;
    char err[512] = "", dir[] = "/tmp/vk_codec_test_XXXXXX", path[600];
    char *v2 = ticket_v2();
    vk_codec *codec = new_codec();
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/ticket.v2.avsc", dir);
    write_text(path, v2);
    snprintf(path, sizeof path, "%s/probe.avsc", dir);
    write_text(path, PROBE_V1);
    snprintf(path, sizeof path, "%s/notes.txt", dir);
    write_text(path, "not a schema");
    assert_int_equal(vk_codec_add_schema_dir(codec, dir, err, sizeof err), 2);
    snprintf(path, sizeof path, "%s/broken.avsc", dir);
    write_text(path,
               "{\"type\":\"record\",\"name\":\"B\",\"fields\":[{\"name\":\"x\",\"type\":\"Y\"}]}");
    assert_int_equal(vk_codec_add_schema_dir(codec, dir, err, sizeof err), -1);
    assert_non_null(strstr(err, "broken.avsc: "));
    assert_int_equal(vk_codec_add_schema_dir(codec, "/nonexistent/dir", err, sizeof err), -1);
    assert_string_equal(err, "/nonexistent/dir: No such file or directory");
    for (const char *f = "ticket.v2.avsc\0probe.avsc\0notes.txt\0broken.avsc\0"; *f;
         f += strlen(f) + 1) {
        snprintf(path, sizeof path, "%s/%s", dir, f);
        unlink(path);
    }
    rmdir(dir);
    free(v2);
    vk_codec_destroy(codec);
}

static void test_contract_conflicts(void **state) {
    (void)state;
    char err[256] = "";
    vk_codec *codec = new_codec();
    /* Sex redefined differently inside another contract record. */
    const char *clash = "{\"type\":\"record\",\"name\":\"vaksin.v1.Grant\",\"fields\":[]}";
    assert_int_equal(vk_codec_add_contract_schema(codec, clash, err, sizeof err), -1);
    assert_string_equal(err, "contract schema: record vaksin.v1.Grant differs from its "
                             "definition in another file");
    assert_int_equal(vk_codec_add_schema(codec, "[\"null\"]", err, sizeof err), -1);
    assert_string_equal(err, "writer schema: not a record schema");
    assert_int_equal(vk_codec_add_schema(codec, clash, err, sizeof err), 0); /* a version */
    vk_codec_destroy(codec);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_python_avro_vectors),
        cmocka_unit_test(test_round_trip_every_record),
        cmocka_unit_test(test_encoder_appends_and_grows),
        cmocka_unit_test(test_encoder_errors),
        cmocka_unit_test(test_newer_writer_older_reader),
        cmocka_unit_test(test_older_writer_newer_reader_defaults),
        cmocka_unit_test(test_contract_defaults_win),
        cmocka_unit_test(test_newer_writer_skipped_fields),
        cmocka_unit_test(test_older_contract_writer),
        cmocka_unit_test(test_resolution_failures),
        cmocka_unit_test(test_malformed_input),
        cmocka_unit_test(test_hostile_datums),
        cmocka_unit_test(test_registry_ids),
        cmocka_unit_test(test_registry_framing_and_source),
        cmocka_unit_test(test_schema_text),
        cmocka_unit_test(test_schema_dir),
        cmocka_unit_test(test_contract_conflicts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
