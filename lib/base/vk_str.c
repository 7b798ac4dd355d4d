/*
 * vk_str.c — see vk_str.h.
 */
#include "vk_str.h"

#include <string.h>

void vk_str_copy(char *dst, size_t cap, const char *src) {
    size_t n = src ? strnlen(src, cap - 1) : 0;
    if (src && src[n] != '\0') /* cut: step back over continuation bytes (10xxxxxx) */
        while (n > 0 && ((unsigned char)src[n] & 0xC0) == 0x80)
            n--;
    if (n)
        memcpy(dst, src, n);
    dst[n] = '\0';
}
