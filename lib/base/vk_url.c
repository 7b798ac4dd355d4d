/*
 * vk_url.c — see vk_url.h.
 */
#include "vk_url.h"

#include <arpa/inet.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

int vk_url_check_clear_text(const char *url, char *err, size_t errlen) {
    if (strncmp(url, "https://", 8) == 0)
        return 0;
    if (strncmp(url, "http://", 7) != 0) {
        snprintf(err, errlen, "%s: use https:// (http:// only to a loopback address)", url);
        return -1;
    }
    /* The host of http://[userinfo@]host[:port][/...], brackets kept off an IPv6 literal. */
    const char *h = url + 7, *end = h + strcspn(h, "/?#");
    const char *at = memchr(h, '@', (size_t)(end - h));
    if (at)
        h = at + 1;
    char host[64];
    size_t n;
    if (*h == '[') {
        const char *close = memchr(h, ']', (size_t)(end - h));
        n = close ? (size_t)(close - h - 1) : sizeof host;
        h++;
    } else {
        const char *colon = memchr(h, ':', (size_t)(end - h));
        n = (size_t)((colon ? colon : end) - h);
    }
    unsigned char a[16];
    bool loopback = false;
    if (n < sizeof host) {
        memcpy(host, h, n), host[n] = '\0';
        if (inet_pton(AF_INET, host, a) == 1)
            loopback = a[0] == 127;
        else if (inet_pton(AF_INET6, host, a) == 1)
            loopback = memcmp(a, (const unsigned char[16]){[15] = 1}, 16) == 0;
    }
    if (!loopback) {
        snprintf(err, errlen,
                 "%s: plain http:// is allowed only to a loopback address (127.0.0.0/8, [::1]); "
                 "use https:// (credentials would travel in clear)",
                 url);
        return -1;
    }
    return 0;
}
