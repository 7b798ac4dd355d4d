/*
 * vk_httpd.h — every service's operations endpoint (libmicrohttpd, its own thread), on
 * `metrics.listen` (host:port; "off" or empty: none):
 *   GET /metrics  the registry in the Prometheus text exposition format (vk_metrics.h)
 *   GET /healthz  200 "alive" while the program's loop beats (vk_httpd_beat) at least every
 *                 60 s; 503 with how long it has been silent otherwise (a stuck loop)
 *   GET /readyz   200 "ready" or 503 with the reason the program last gave (vk_httpd_ready)
 * Anything else is 404; methods other than GET and HEAD are 405.
 *
 * The loop publishes its state; the HTTP thread never calls back into the program, so nothing
 * the program holds needs to be thread-safe beyond the registry.
 */
#ifndef VK_HTTPD_H
#define VK_HTTPD_H

#include "vk_metrics.h"

#include <stdbool.h>
#include <stddef.h>

typedef struct vk_httpd vk_httpd;

/**
 * @brief Starts serving on @p listen: "host:port" with an IPv4 literal, "[v6]:port", or
 * "off"/"" (then NULL and no error). Port 0 takes a free one (vk_httpd_port says which).
 * NULL with @p err when the address is invalid or cannot be bound.
 */
vk_httpd *vk_httpd_start(const char *listen, vk_metrics *metrics, char *err, size_t errlen);
void vk_httpd_stop(vk_httpd *h);
/** @brief The port it listens on. */
int vk_httpd_port(const vk_httpd *h);

/** @brief The loop is alive (call at least every few seconds; NULL @p h: nothing). */
void vk_httpd_beat(vk_httpd *h);
/** @brief Ready or not, and why not (copied). NULL @p h: nothing. */
void vk_httpd_ready(vk_httpd *h, bool ready, const char *why);

#endif
