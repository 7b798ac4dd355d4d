/*
 * http.h — vaksin-lookup's HTTP client: an lk_transport (transport.h) over one libcurl multi
 * handle, so every request of a batch is in flight on one thread without blocking.
 *
 * Connections are reused: the multi handle keeps a cache of open connections (up to twice
 * lookup.inflight, for the two sources) that every transfer draws from, and easy handles are
 * kept on a free list and reused rather than made per request. CURLMOPT_MAX_HOST_CONNECTIONS
 * is lookup.inflight; the asks (asks.c) start no more than that many transfers at once, so
 * libcurl never queues one where its timeout would run while it waits.
 *
 * Every transfer: total timeout lookup.timeout.ms, connect timeout lookup.connect.timeout.ms,
 * TLS peer and host verification on (lookup.ca.file for a private CA), http and https only, no
 * redirects, answers above 1 MiB refused. Request bodies and header lines are copied into
 * buffers that are wiped when the transfer ends: they hold credentials.
 */
#ifndef VK_LOOKUP_HTTP_H
#define VK_LOOKUP_HTTP_H

#include "transport.h"

#include <stddef.h>

typedef struct lk_http_config {
    int inflight;            /* lookup.inflight */
    long timeout_ms;         /* lookup.timeout.ms */
    long connect_timeout_ms; /* lookup.connect.timeout.ms */
    const char *ca_file;     /* lookup.ca.file, or NULL for the system's CAs */
} lk_http_config;

typedef struct lk_http lk_http;

/** @brief A client (curl_global_init must have run). NULL with @p err. */
lk_http *lk_http_new(const lk_http_config *cfg, char *err, size_t errlen);
void lk_http_destroy(lk_http *h);

/** @brief The client as an lk_transport (valid while @p h lives). */
lk_transport lk_http_transport(lk_http *h);

/**
 * @brief Whether a source URL may be used: https:// to any host, or http:// only to a loopback
 * address written as such (127.0.0.0/8, or [::1]) — the local stubs. A name is refused even when
 * it resolves to loopback (a hosts file can point it anywhere). Credentials (the Dukcapil
 * password, the BPJS signature) never travel in clear over a network. 0, or -1 with @p err.
 */
int lk_http_url_check(const char *url, char *err, size_t errlen);

/** Transfers and connections since start (for logs). */
typedef struct lk_http_stats {
    unsigned long transfers, connects; /* connects: transfers that opened a new connection */
} lk_http_stats;
void lk_http_stats_get(const lk_http *h, lk_http_stats *out);

#endif
