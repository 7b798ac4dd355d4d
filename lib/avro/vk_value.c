/* vk_value.c — see vk_value.h. */
#include "vk_value.h"

int vk_value_get_field(const avro_value_t *rec, const char *field, avro_value_t *out) {
    return avro_value_get_by_name(rec, field, out, NULL) ? -1 : 0;
}

/* The non-null branch of a ["null", T] field, or has=false. */
static int opt_branch(const avro_value_t *rec, const char *field, bool *has, avro_value_t *out) {
    avro_value_t f;
    int disc;
    if (vk_value_get_field(rec, field, &f))
        return -1;
    if (avro_value_get_type(&f) != AVRO_UNION) { /* tolerate a non-nullable field */
        *out = f;
        *has = true;
        return 0;
    }
    if (avro_value_get_discriminant(&f, &disc) || avro_value_get_current_branch(&f, out))
        return -1;
    *has = avro_value_get_type(out) != AVRO_NULL;
    return 0;
}

int vk_value_get_str(const avro_value_t *rec, const char *field, const char **out) {
    avro_value_t f;
    size_t len;
    if (vk_value_get_field(rec, field, &f))
        return -1;
    return avro_value_get_string(&f, out, &len) ? -1 : 0;
}

int vk_value_get_opt_str(const avro_value_t *rec, const char *field, const char **out) {
    avro_value_t b;
    bool has;
    size_t len;
    if (opt_branch(rec, field, &has, &b))
        return -1;
    if (!has) {
        *out = NULL;
        return 0;
    }
    return avro_value_get_string(&b, out, &len) ? -1 : 0;
}

int vk_value_get_int(const avro_value_t *rec, const char *field, int32_t *out) {
    avro_value_t f;
    if (vk_value_get_field(rec, field, &f))
        return -1;
    return avro_value_get_int(&f, out) ? -1 : 0;
}

int vk_value_get_opt_int(const avro_value_t *rec, const char *field, bool *has, int32_t *out) {
    avro_value_t b;
    if (opt_branch(rec, field, has, &b))
        return -1;
    return *has ? (avro_value_get_int(&b, out) ? -1 : 0) : 0;
}

int vk_value_get_long(const avro_value_t *rec, const char *field, int64_t *out) {
    avro_value_t f;
    if (vk_value_get_field(rec, field, &f))
        return -1;
    return avro_value_get_long(&f, out) ? -1 : 0;
}

int vk_value_get_opt_long(const avro_value_t *rec, const char *field, bool *has, int64_t *out) {
    avro_value_t b;
    if (opt_branch(rec, field, has, &b))
        return -1;
    return *has ? (avro_value_get_long(&b, out) ? -1 : 0) : 0;
}

int vk_value_get_opt_float(const avro_value_t *rec, const char *field, bool *has, float *out) {
    avro_value_t b;
    if (opt_branch(rec, field, has, &b))
        return -1;
    return *has ? (avro_value_get_float(&b, out) ? -1 : 0) : 0;
}

int vk_value_get_enum(const avro_value_t *rec, const char *field, int *out) {
    avro_value_t f;
    if (vk_value_get_field(rec, field, &f))
        return -1;
    return avro_value_get_enum(&f, out) ? -1 : 0;
}

int vk_value_get_opt_enum(const avro_value_t *rec, const char *field, int *out) {
    avro_value_t b;
    bool has;
    if (opt_branch(rec, field, &has, &b))
        return -1;
    if (!has) {
        *out = -1;
        return 0;
    }
    return avro_value_get_enum(&b, out) ? -1 : 0;
}

/* Selects the branch of a nullable field: 0 = null, 1 = the value. */
static int opt_set_branch(avro_value_t *rec, const char *field, bool has, avro_value_t *out) {
    avro_value_t f;
    if (vk_value_get_field(rec, field, &f))
        return -1;
    if (avro_value_get_type(&f) != AVRO_UNION) {
        *out = f;
        return has ? 0 : -1;
    }
    if (avro_value_set_branch(&f, has ? 1 : 0, out))
        return -1;
    return has ? 0 : (avro_value_set_null(out) ? -1 : 0);
}

int vk_value_set_str(avro_value_t *rec, const char *field, const char *s) {
    avro_value_t f;
    if (vk_value_get_field(rec, field, &f))
        return -1;
    return avro_value_set_string(&f, s) ? -1 : 0;
}

int vk_value_set_opt_str(avro_value_t *rec, const char *field, const char *s) {
    avro_value_t b;
    if (opt_set_branch(rec, field, s != NULL, &b))
        return -1;
    return s ? (avro_value_set_string(&b, s) ? -1 : 0) : 0;
}

int vk_value_set_int(avro_value_t *rec, const char *field, int32_t v) {
    avro_value_t f;
    if (vk_value_get_field(rec, field, &f))
        return -1;
    return avro_value_set_int(&f, v) ? -1 : 0;
}

int vk_value_set_opt_int(avro_value_t *rec, const char *field, bool has, int32_t v) {
    avro_value_t b;
    if (opt_set_branch(rec, field, has, &b))
        return -1;
    return has ? (avro_value_set_int(&b, v) ? -1 : 0) : 0;
}

int vk_value_set_long(avro_value_t *rec, const char *field, int64_t v) {
    avro_value_t f;
    if (vk_value_get_field(rec, field, &f))
        return -1;
    return avro_value_set_long(&f, v) ? -1 : 0;
}

int vk_value_set_opt_long(avro_value_t *rec, const char *field, bool has, int64_t v) {
    avro_value_t b;
    if (opt_set_branch(rec, field, has, &b))
        return -1;
    return has ? (avro_value_set_long(&b, v) ? -1 : 0) : 0;
}

int vk_value_set_opt_float(avro_value_t *rec, const char *field, bool has, float v) {
    avro_value_t b;
    if (opt_set_branch(rec, field, has, &b))
        return -1;
    return has ? (avro_value_set_float(&b, v) ? -1 : 0) : 0;
}

int vk_value_set_enum(avro_value_t *rec, const char *field, int symbol) {
    avro_value_t f;
    if (vk_value_get_field(rec, field, &f))
        return -1;
    return avro_value_set_enum(&f, symbol) ? -1 : 0;
}

int vk_value_set_opt_enum(avro_value_t *rec, const char *field, int symbol) {
    avro_value_t b;
    if (opt_set_branch(rec, field, symbol >= 0, &b))
        return -1;
    return symbol >= 0 ? (avro_value_set_enum(&b, symbol) ? -1 : 0) : 0;
}

int vk_value_set_copy(avro_value_t *rec, const char *field, const avro_value_t *src) {
    avro_value_t f;
    if (vk_value_get_field(rec, field, &f))
        return -1;
    return avro_value_copy(&f, src) ? -1 : 0;
}
