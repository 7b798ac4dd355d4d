/*
 * vk_log.c — see vk_log.h.
 *
 * A record is formatted into a stack buffer, masked, then written with one write(2) so lines
 * from several threads (librdkafka's log callback runs on its own threads) do not interleave.
 */
#include "vk_log.h"

#include "vk_time.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const char *log_service = "vaksin";
static vk_log_level log_min = VK_LOG_INFO;
static const char *const level_names[] = {"debug", "info", "warn", "error"};

void vk_log_init(const char *service, vk_log_level min_level) {
    log_service = service;
    log_min = min_level;
}

int vk_log_level_parse(const char *s) {
    for (int i = 0; i < 4; i++)
        if (strcmp(s, level_names[i]) == 0)
            return i;
    return -1;
}

void vk_mask_niks(const char *in, char *out, size_t outlen) {
    size_t o = 0;
    if (outlen == 0)
        return;
    for (size_t i = 0; in[i] && o + 1 < outlen;) {
        size_t run = 0;
        while (isdigit((unsigned char)in[i + run]))
            run++;
        if (run == 16) {
            for (size_t k = 0; k < 16 && o + 1 < outlen; k++)
                out[o++] = (k < 6 || k >= 12) ? in[i + k] : '*';
            i += run;
        } else if (run > 0) {
            for (size_t k = 0; k < run && o + 1 < outlen; k++)
                out[o++] = in[i + k];
            i += run;
        } else {
            out[o++] = in[i++];
        }
    }
    out[o] = '\0';
}

const char *vk_log_quote(const char *in, char *out, size_t outlen) {
    size_t o = 0;
    if (outlen == 0)
        return out;
    for (; *in; in++) {
        char c = *in;
        char esc = c == '"' ? '"' : c == '\\' ? '\\' : c == '\n' ? 'n' : c == '\t' ? 't' : 0;
        if (o + (esc ? 2 : 1) >= outlen)
            break;
        if (esc)
            out[o++] = '\\', c = esc;
        out[o++] = c;
    }
    out[o] = '\0';
    return out;
}

void vk_log(vk_log_level level, const char *fmt, ...) {
    if (level < log_min)
        return;
    char msg[2048], masked[2048], line[2400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    vk_mask_niks(msg, masked, sizeof masked);

    char ts[VK_TIME_LEN];
    vk_time_format(vk_now_ms(), VK_TIME_MS, ts, sizeof ts);
    int n = snprintf(line, sizeof line, "%s level=%s svc=%s %s\n", ts, level_names[level],
                     log_service, masked);
    if (n < 0)
        return;
    if ((size_t)n >= sizeof line) {
        n = sizeof line - 1;
        line[n - 1] = '\n';
    }
    ssize_t w = write(STDERR_FILENO, line, (size_t)n);
    (void)w;
}
