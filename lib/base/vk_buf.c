/* vk_buf.c — see vk_buf.h. Growth doubles, so appends are amortized O(1). */
#include "vk_buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int vk_buf_reserve(vk_buf *b, size_t extra) {
    if (b->len + extra <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + extra)
        cap *= 2;
    uint8_t *p = realloc(b->data, cap);
    if (!p)
        return -1;
    b->data = p;
    b->cap = cap;
    return 0;
}

int vk_buf_append(vk_buf *b, const void *data, size_t len) {
    if (len == 0)
        return 0;
    if (vk_buf_reserve(b, len))
        return -1;
    memcpy(b->data + b->len, data, len);
    b->len += len;
    return 0;
}

int vk_buf_append_str(vk_buf *b, const char *s) {
    return vk_buf_append(b, s, strlen(s));
}

int vk_buf_printf(vk_buf *b, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || vk_buf_reserve(b, (size_t)n + 1))
        return -1;
    va_start(ap, fmt);
    vsnprintf((char *)b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return 0;
}

void vk_buf_free(vk_buf *b) {
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}
