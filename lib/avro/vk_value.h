/*
 * vk_value.h — terse, checked access to avro-c record fields by name.
 *
 * avro-c's generic value API is explicit but wordy (get field, get branch, get value); these
 * helpers keep handlers readable. Getters return 0 or -1 (field missing or of another type);
 * nullable getters give NULL / has=false for the null branch, assuming the ["null", T] layout
 * the contract uses everywhere. Strings returned are borrowed from the value.
 */
#ifndef VK_VALUE_H
#define VK_VALUE_H

#include <avro.h>
#include <stdbool.h>
#include <stdint.h>

int vk_value_get_str(const avro_value_t *rec, const char *field, const char **out);
int vk_value_get_opt_str(const avro_value_t *rec, const char *field, const char **out);
int vk_value_get_int(const avro_value_t *rec, const char *field, int32_t *out);
int vk_value_get_opt_int(const avro_value_t *rec, const char *field, bool *has, int32_t *out);
int vk_value_get_long(const avro_value_t *rec, const char *field, int64_t *out);
int vk_value_get_opt_long(const avro_value_t *rec, const char *field, bool *has, int64_t *out);
int vk_value_get_opt_float(const avro_value_t *rec, const char *field, bool *has, float *out);
/** @brief Enum symbol index. */
int vk_value_get_enum(const avro_value_t *rec, const char *field, int *out);
/** @brief Nullable enum: *out = -1 for null. */
int vk_value_get_opt_enum(const avro_value_t *rec, const char *field, int *out);
/** @brief A sub-record (or any field) by name. */
int vk_value_get_field(const avro_value_t *rec, const char *field, avro_value_t *out);

int vk_value_set_str(avro_value_t *rec, const char *field, const char *s);
/** @brief Sets a nullable string; NULL sets the null branch. */
int vk_value_set_opt_str(avro_value_t *rec, const char *field, const char *s);
int vk_value_set_int(avro_value_t *rec, const char *field, int32_t v);
int vk_value_set_opt_int(avro_value_t *rec, const char *field, bool has, int32_t v);
int vk_value_set_long(avro_value_t *rec, const char *field, int64_t v);
int vk_value_set_opt_long(avro_value_t *rec, const char *field, bool has, int64_t v);
int vk_value_set_opt_float(avro_value_t *rec, const char *field, bool has, float v);
int vk_value_set_enum(avro_value_t *rec, const char *field, int symbol);
/** @brief Nullable enum: symbol -1 sets null. */
int vk_value_set_opt_enum(avro_value_t *rec, const char *field, int symbol);
/** @brief Copies a value of identical schema into a field (e.g. a sub-record). */
int vk_value_set_copy(avro_value_t *rec, const char *field, const avro_value_t *src);

#endif
