/*
 * vk_httpd.c — see vk_httpd.h.
 */
#include "vk_httpd.h"

#include "vk_log.h"
#include "vk_time.h"

#include <arpa/inet.h>
#include <inttypes.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SILENT_MAX_MS 60000 /* /healthz fails when the loop has not beaten for this long */

struct vk_httpd {
    struct MHD_Daemon *d;
    vk_metrics *metrics;
    pthread_mutex_t lock;
    int64_t last_beat; /* vk_mono_ms() */
    bool ready;
    char why[256];
    int port;
};

/* libmicrohttpd's own complaints, into the program's log. */
static void on_mhd_log(void *cls, const char *fmt, va_list ap) {
    (void)cls;
    char text[512], q[1100];
    vsnprintf(text, sizeof text, fmt, ap);
    text[strcspn(text, "\n")] = '\0';
    vk_warn("msg=\"metrics endpoint\" error=\"%s\"", vk_log_quote(text, q, sizeof q));
}

static enum MHD_Result send_text(struct MHD_Connection *c, unsigned int status,
                                 const char *content_type, const void *data, size_t len) {
    struct MHD_Response *r =
        MHD_create_response_from_buffer(len, (void *)data, MHD_RESPMEM_MUST_COPY);
    if (!r)
        return MHD_NO;
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
    enum MHD_Result rc = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return rc;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload,
                                  size_t *upload_len, void **state) {
    (void)version, (void)upload, (void)state;
    vk_httpd *h = cls;
    static const char plain[] = "text/plain; charset=utf-8";
    if (*upload_len) /* a body is not for us: drop it */
        *upload_len = 0;
    if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
        return send_text(c, 405, plain, "GET only\n", 9);
    if (strcmp(url, "/metrics") == 0) {
        vk_buf b = VK_BUF_INIT;
        enum MHD_Result rc =
            vk_metrics_render(h->metrics, &b)
                ? send_text(c, 500, plain, "out of memory\n", 14)
                : send_text(c, 200, "text/plain; version=0.0.4; charset=utf-8", b.data, b.len);
        vk_buf_free(&b);
        return rc;
    }
    char text[320];
    int n;
    unsigned int status;
    pthread_mutex_lock(&h->lock);
    if (strcmp(url, "/healthz") == 0) {
        int64_t silent = vk_mono_ms() - h->last_beat;
        status = silent <= SILENT_MAX_MS ? 200 : 503;
        n = status == 200 ? snprintf(text, sizeof text, "alive\n")
                          : snprintf(text, sizeof text,
                                     "the loop has been silent for %" PRId64 " s\n", silent / 1000);
    } else if (strcmp(url, "/readyz") == 0) {
        status = h->ready ? 200 : 503;
        n = h->ready ? snprintf(text, sizeof text, "ready\n")
                     : snprintf(text, sizeof text, "not ready: %s\n", h->why);
    } else {
        status = 404;
        n = snprintf(text, sizeof text, "not found: /metrics, /healthz, /readyz\n");
    }
    pthread_mutex_unlock(&h->lock);
    size_t len = n < 0 ? 0 : (size_t)n < sizeof text ? (size_t)n : sizeof text - 1;
    return send_text(c, status, plain, text, len);
}

/* "host:port" or "[v6]:port" → a socket address. 0, or -1 with err. */
static int parse_listen(const char *listen, struct sockaddr_storage *ss, char *err, size_t errlen) {
    memset(ss, 0, sizeof *ss);
    const char *colon = strrchr(listen, ':');
    char host[64];
    char *end;
    long port = colon ? strtol(colon + 1, &end, 10) : -1;
    if (!colon || colon == listen || *end || port < 0 || port > 65535 ||
        (size_t)(colon - listen) >= sizeof host) {
        snprintf(err, errlen, "metrics.listen \"%s\" is not host:port (or off)", listen);
        return -1;
    }
    memcpy(host, listen, (size_t)(colon - listen));
    host[colon - listen] = '\0';
    if (host[0] == '[') {
        size_t hl = strlen(host);
        if (hl < 3 || host[hl - 1] != ']') {
            snprintf(err, errlen, "metrics.listen \"%s\": unclosed [", listen);
            return -1;
        }
        host[hl - 1] = '\0';
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;
        a->sin6_family = AF_INET6;
        a->sin6_port = htons((uint16_t)port);
        if (inet_pton(AF_INET6, host + 1, &a->sin6_addr) == 1)
            return 0;
    } else {
        struct sockaddr_in *a = (struct sockaddr_in *)ss;
        a->sin_family = AF_INET;
        a->sin_port = htons((uint16_t)port);
        if (inet_pton(AF_INET, host, &a->sin_addr) == 1)
            return 0;
    }
    snprintf(err, errlen,
             "metrics.listen \"%s\": the host must be an IP address (0.0.0.0 for every interface)",
             listen);
    return -1;
}

vk_httpd *vk_httpd_start(const char *listen, vk_metrics *metrics, char *err, size_t errlen) {
    err[0] = '\0';
    if (!listen || !*listen || strcmp(listen, "off") == 0)
        return NULL;
    struct sockaddr_storage ss;
    if (parse_listen(listen, &ss, err, errlen))
        return NULL;
    vk_httpd *h = calloc(1, sizeof *h);
    if (!h) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    h->metrics = metrics;
    pthread_mutex_init(&h->lock, NULL);
    h->last_beat = vk_mono_ms();
    snprintf(h->why, sizeof h->why, "starting");
    unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;
    if (ss.ss_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    h->d = MHD_start_daemon(flags, 0, NULL, NULL, on_request, h, MHD_OPTION_EXTERNAL_LOGGER,
                            on_mhd_log, NULL, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
                            MHD_OPTION_CONNECTION_LIMIT, 16u, MHD_OPTION_CONNECTION_TIMEOUT, 10u,
                            MHD_OPTION_END);
    if (!h->d) {
        snprintf(err, errlen,
                 "metrics.listen %s: cannot listen there (in use, or not an address "
                 "of this host)",
                 listen);
        pthread_mutex_destroy(&h->lock);
        free(h);
        return NULL;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_BIND_PORT);
    h->port = info ? info->port : 0;
    return h;
}

void vk_httpd_stop(vk_httpd *h) {
    if (!h)
        return;
    MHD_stop_daemon(h->d);
    pthread_mutex_destroy(&h->lock);
    free(h);
}

int vk_httpd_port(const vk_httpd *h) {
    return h ? h->port : 0;
}

void vk_httpd_beat(vk_httpd *h) {
    if (!h)
        return;
    pthread_mutex_lock(&h->lock);
    h->last_beat = vk_mono_ms();
    pthread_mutex_unlock(&h->lock);
}

void vk_httpd_ready(vk_httpd *h, bool ready, const char *why) {
    if (!h)
        return;
    pthread_mutex_lock(&h->lock);
    h->ready = ready;
    snprintf(h->why, sizeof h->why, "%s", why ? why : "");
    pthread_mutex_unlock(&h->lock);
}
