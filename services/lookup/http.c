/*
 * http.c — see http.h.
 *
 * A transfer (xfer) owns an easy handle, its header list, a copy of the request body and the
 * answer buffer. Finished and cancelled transfers go back to a free list with their buffers
 * wiped; the easy handle keeps its allocation and is reconfigured in full by the next start
 * (every option is set on every start, so nothing leaks from one request into the next).
 */
#include "http.h"

#include "vk_url.h"

#include <curl/curl.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ANSWER (1024 * 1024)

int lk_http_url_check(const char *url, char *err, size_t errlen) {
    return vk_url_check_clear_text(url, err, errlen);
}

typedef struct xfer {
    CURL *easy;
    struct curl_slist *headers;
    vk_buf body;
    vk_buf answer;
    bool too_big, running;
    lk_done_fn done;
    void *arg;
    uint64_t tag;
    char errbuf[CURL_ERROR_SIZE];
    struct xfer *next; /* all transfers, in one list */
} xfer;

struct lk_http {
    lk_http_config cfg;
    CURLM *multi;
    xfer *all;
    lk_http_stats stats;
};

static size_t on_data(char *p, size_t size, size_t n, void *arg) {
    xfer *x = arg;
    size_t len = size * n;
    if (x->answer.len + len > MAX_ANSWER) {
        x->too_big = true;
        return 0; /* aborts the transfer with CURLE_WRITE_ERROR */
    }
    return vk_buf_append(&x->answer, p, len) ? 0 : len;
}

static void wipe_headers(xfer *x) {
    for (struct curl_slist *h = x->headers; h; h = h->next)
        OPENSSL_cleanse(h->data, strlen(h->data));
    curl_slist_free_all(x->headers);
    x->headers = NULL;
}

/* Back to the free list: buffers wiped (they held credentials and personal data). */
static void recycle(xfer *x) {
    wipe_headers(x);
    if (x->body.data)
        OPENSSL_cleanse(x->body.data, x->body.cap);
    if (x->answer.data)
        OPENSSL_cleanse(x->answer.data, x->answer.cap);
    vk_buf_reset(&x->body);
    vk_buf_reset(&x->answer);
    x->running = x->too_big = false;
    x->done = NULL;
}

lk_http *lk_http_new(const lk_http_config *cfg, char *err, size_t errlen) {
    lk_http *h = calloc(1, sizeof *h);
    if (!h || !(h->multi = curl_multi_init())) {
        free(h);
        snprintf(err, errlen, "cannot make a curl multi handle");
        return NULL;
    }
    h->cfg = *cfg;
    long inflight = cfg->inflight > 0 ? cfg->inflight : 1;
    if (curl_multi_setopt(h->multi, CURLMOPT_MAX_HOST_CONNECTIONS, inflight) ||
        curl_multi_setopt(h->multi, CURLMOPT_MAXCONNECTS, 2 * inflight)) {
        snprintf(err, errlen, "libcurl refused the connection limits");
        lk_http_destroy(h);
        return NULL;
    }
    return h;
}

static void cancel_all(void *impl) {
    lk_http *h = impl;
    for (xfer *x = h->all; x; x = x->next)
        if (x->running) {
            curl_multi_remove_handle(h->multi, x->easy);
            recycle(x);
        }
}

void lk_http_destroy(lk_http *h) {
    if (!h)
        return;
    cancel_all(h);
    for (xfer *x = h->all, *next; x; x = next) {
        next = x->next;
        curl_easy_cleanup(x->easy);
        vk_buf_free(&x->body);
        vk_buf_free(&x->answer);
        free(x);
    }
    curl_multi_cleanup(h->multi);
    free(h);
}

static xfer *get_xfer(lk_http *h) {
    for (xfer *x = h->all; x; x = x->next)
        if (!x->running)
            return x;
    xfer *x = calloc(1, sizeof *x);
    if (!x || !(x->easy = curl_easy_init())) {
        free(x);
        return NULL;
    }
    x->next = h->all;
    h->all = x;
    return x;
}

static int configure(lk_http *h, xfer *x, const lk_request *req) {
    CURL *e = x->easy;
    CURLcode c = CURLE_OK;
#define SET(opt, val)                                                                              \
    do {                                                                                           \
        if (c == CURLE_OK)                                                                         \
            c = curl_easy_setopt(e, opt, val);                                                     \
    } while (0)
    SET(CURLOPT_URL, (const char *)req->url.data);
    SET(CURLOPT_PRIVATE, x);
    SET(CURLOPT_WRITEFUNCTION, on_data);
    SET(CURLOPT_WRITEDATA, x);
    SET(CURLOPT_ERRORBUFFER, x->errbuf);
    SET(CURLOPT_NOSIGNAL, 1L);
    SET(CURLOPT_TIMEOUT_MS, h->cfg.timeout_ms);
    SET(CURLOPT_CONNECTTIMEOUT_MS, h->cfg.connect_timeout_ms);
    SET(CURLOPT_SSL_VERIFYPEER, 1L);
    SET(CURLOPT_SSL_VERIFYHOST, 2L);
    if (h->cfg.ca_file) /* never NULL: that would disable the default bundle, not restore it */
        SET(CURLOPT_CAINFO, h->cfg.ca_file);
    SET(CURLOPT_PROTOCOLS_STR, "http,https");
    SET(CURLOPT_FOLLOWLOCATION, 0L);
    SET(CURLOPT_TCP_KEEPALIVE, 1L);
    SET(CURLOPT_HTTPHEADER, x->headers);
    if (req->post) {
        SET(CURLOPT_POSTFIELDSIZE, (long)x->body.len);
        SET(CURLOPT_POSTFIELDS, (const char *)x->body.data);
    } else {
        SET(CURLOPT_HTTPGET, 1L);
    }
#undef SET
    return c == CURLE_OK ? 0 : (int)c;
}

static int start(void *impl, const lk_request *req, lk_done_fn done, void *arg, uint64_t tag,
                 char *err, size_t errlen) {
    lk_http *h = impl;
    xfer *x = get_xfer(h);
    if (!x) {
        snprintf(err, errlen, "cannot make a curl easy handle");
        return -1;
    }
    x->errbuf[0] = '\0';
    for (int i = 0; i < req->n_headers; i++) {
        struct curl_slist *l = curl_slist_append(x->headers, req->headers[i]);
        if (!l) {
            recycle(x);
            snprintf(err, errlen, "out of memory");
            return -1;
        }
        x->headers = l;
    }
    if (req->post && (vk_buf_append(&x->body, req->body.data, req->body.len) ||
                      vk_buf_append(&x->body, "", 1))) {
        recycle(x);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    if (req->post)
        x->body.len--; /* NUL-terminated, the NUL not sent */
    int c = configure(h, x, req);
    CURLMcode mc = c ? CURLM_OK : curl_multi_add_handle(h->multi, x->easy);
    if (c || mc) {
        snprintf(err, errlen, "cannot start the request: %s",
                 c ? curl_easy_strerror((CURLcode)c) : curl_multi_strerror(mc));
        recycle(x);
        return -1;
    }
    x->running = true;
    x->done = done;
    x->arg = arg;
    x->tag = tag;
    h->stats.transfers++;
    return 0;
}

static void finished(lk_http *h, xfer *x, CURLcode code) {
    lk_result res;
    memset(&res, 0, sizeof res);
    curl_multi_remove_handle(h->multi, x->easy);
    long connects = 0;
    if (curl_easy_getinfo(x->easy, CURLINFO_NUM_CONNECTS, &connects) == CURLE_OK)
        h->stats.connects += (unsigned long)connects;
    if (code == CURLE_OK && vk_buf_append(&x->answer, "", 1) == 0) {
        x->answer.len--;
        res.answered = true;
        curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &res.status);
        res.body = (const char *)x->answer.data;
        res.len = x->answer.len;
    } else if (x->too_big) {
        snprintf(res.error, sizeof res.error, "answer larger than %d bytes", MAX_ANSWER);
    } else {
        /* the error buffer says it best ("Operation timed out after 3001 milliseconds …") */
        snprintf(res.error, sizeof res.error, "%.250s",
                 x->errbuf[0] ? x->errbuf : curl_easy_strerror(code));
    }
    /* x stays marked running through the callback, so a start() from inside it cannot take
     * x (whose answer the callback is reading) */
    x->done(x->arg, x->tag, &res);
    recycle(x);
}

/* Hands every finished transfer to its callback; returns how many there were. */
static int take_finished(lk_http *h) {
    int n = 0, left = 0;
    CURLMsg *msg;
    while ((msg = curl_multi_info_read(h->multi, &left)))
        if (msg->msg == CURLMSG_DONE) {
            xfer *x = NULL;
            curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&x);
            if (x) {
                finished(h, x, msg->data.result);
                n++;
            }
        }
    return n;
}

/* Waits only when the first perform finished nothing: a transfer it completed (its answer
 * read in full there) leaves no socket to wake the poll, so waiting then would sleep the
 * whole wait_ms (up to a second) with the answer already in hand. */
static void pump(void *impl, int wait_ms) {
    lk_http *h = impl;
    int still = 0;
    curl_multi_perform(h->multi, &still);
    if (take_finished(h) > 0 || wait_ms <= 0)
        return;
    curl_multi_poll(h->multi, NULL, 0, wait_ms, NULL);
    curl_multi_perform(h->multi, &still);
    take_finished(h);
}

lk_transport lk_http_transport(lk_http *h) {
    return (lk_transport){.impl = h, .start = start, .pump = pump, .cancel_all = cancel_all};
}

void lk_http_stats_get(const lk_http *h, lk_http_stats *out) {
    *out = h->stats;
}
