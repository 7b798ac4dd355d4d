/*
 * vk_url.h — the one rule on where plain http:// may go: only to a loopback address. Anything
 * sent to a remote host (credentials, people's data) travels over TLS. The lookup worker applies
 * it to the BPJS and Dukcapil URLs, the registry client to a registry it sends credentials to.
 */
#ifndef VK_URL_H
#define VK_URL_H

#include <stddef.h>

/**
 * @brief 0 when @p url is https://, or http:// to 127.0.0.0/8 or [::1]; -1 with @p err
 * otherwise ("…: plain http:// is allowed only to a loopback address …").
 */
int vk_url_check_clear_text(const char *url, char *err, size_t errlen);

#endif
