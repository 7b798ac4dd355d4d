/*
 * vk_log.h — structured logs on stderr, one line per record, NIKs masked.
 *
 * Format: `2021-02-01T23:30:00.123Z level=info svc=vaksin-ticket msg="..." key=value ...`
 * (logfmt, which both people and log shippers read). Every 16-digit run in the message or the
 * values is masked to its first 6 and last 4 digits (`327302******0001`): the region code stays
 * readable for an on-call engineer, the birth date and most of the serial do not leak.
 */
#ifndef VK_LOG_H
#define VK_LOG_H

#include <stddef.h>

typedef enum { VK_LOG_DEBUG = 0, VK_LOG_INFO, VK_LOG_WARN, VK_LOG_ERROR } vk_log_level;

/** @brief Sets the program name written as svc= and the minimum level. */
void vk_log_init(const char *service, vk_log_level min_level);
/** @brief Parses "debug", "info", "warn", "error"; returns -1 when unknown. */
int vk_log_level_parse(const char *s);
/** @brief Writes one record. The message is printf-style; NIKs in it are masked. */
void vk_log(vk_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/**
 * @brief Copies @p in to @p out (size @p outlen) with every run of exactly 16 digits masked
 * to first 6 + "******" + last 4. Always NUL-terminates.
 */
void vk_mask_niks(const char *in, char *out, size_t outlen);

/**
 * @brief Copies @p in to @p out as the inside of a logfmt quoted value: `"` and `\` escaped,
 * newlines and tabs as \n and \t. Always NUL-terminates. Returns @p out, for use in arguments.
 */
const char *vk_log_quote(const char *in, char *out, size_t outlen);

#define vk_debug(...) vk_log(VK_LOG_DEBUG, __VA_ARGS__)
#define vk_info(...)  vk_log(VK_LOG_INFO, __VA_ARGS__)
#define vk_warn(...)  vk_log(VK_LOG_WARN, __VA_ARGS__)
#define vk_error(...) vk_log(VK_LOG_ERROR, __VA_ARGS__)

#endif
