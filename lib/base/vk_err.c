/* vk_err.c — see vk_err.h. */
#include "vk_err.h"

#include <stdarg.h>
#include <stdio.h>

int vk_errf(char *err, size_t errlen, const char *fmt, ...) {
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return -1;
}
