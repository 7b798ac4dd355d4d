/*
 * vk_err.h — the error-buffer convention of the common library: a function that can fail takes
 * `char *err, size_t errlen`, returns -1 and writes a precise, human-readable reason there.
 */
#ifndef VK_ERR_H
#define VK_ERR_H

#include <stddef.h>

/** @brief Writes printf-style text into @p err (when given) and returns -1. */
int vk_errf(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
