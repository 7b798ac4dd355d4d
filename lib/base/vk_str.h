/*
 * vk_str.h — copying C strings into fixed-size fields.
 */
#ifndef VK_STR_H
#define VK_STR_H

#include <stdbool.h>
#include <stddef.h>

/**
 * @brief Copies @p src (NULL = "") into @p dst of @p cap bytes (cap ≥ 1), always terminated.
 * What does not fit is cut at a UTF-8 character boundary, so a cut value is still valid UTF-8
 * (PostgreSQL refuses half a character, and a record with one would stop whoever writes it).
 */
void vk_str_copy(char *dst, size_t cap, const char *src);

/**
 * @brief Whether @p s is valid UTF-8 (RFC 3629): no overlong form, no surrogate, nothing above
 * U+10FFFF. PostgreSQL refuses anything else in a text column.
 */
bool vk_str_utf8_valid(const char *s);

#endif
