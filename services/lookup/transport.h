/*
 * transport.h — how vaksin-lookup's asks (asks.c) send HTTP requests: a small interface with
 * one real implementation, the libcurl multi pool of http.c, and a scripted one in the unit
 * test, so everything above HTTP is tested without a network.
 *
 * The contract: start() copies the request and begins it at once (the caller owns the
 * concurrency cap and the queue, so the breaker is asked at the moment a request really goes
 * out); pump() moves transfers on, waiting up to wait_ms for progress, and calls done exactly
 * once for each finished transfer — from inside pump() only, never from start(); cancel_all()
 * drops every transfer without calling done.
 */
#ifndef VK_LOOKUP_TRANSPORT_H
#define VK_LOOKUP_TRANSPORT_H

#include "vk_bpjs.h"
#include "vk_buf.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LK_MAX_HEADERS 6

/** One request as a source adapter builds it. Headers and body may hold credentials: wipe
 *  with lk_request_clear, never log. */
typedef struct lk_request {
    bool post;
    vk_buf url; /* NUL-terminated */
    char headers[LK_MAX_HEADERS][VK_BPJS_HEADER_MAX];
    int n_headers;
    vk_buf body;       /* POST body, NUL-terminated */
    int64_t signed_at; /* JKN: the X-timestamp (Unix seconds) the answer is encrypted under */
} lk_request;

/** @brief Wipes the headers and body and empties the request (keeping its buffers). */
void lk_request_clear(lk_request *req);
/** @brief lk_request_clear, then frees the buffers. */
void lk_request_free(lk_request *req);

/** How a transfer ended. */
typedef struct lk_result {
    bool answered;    /* an HTTP response came: status and body are set */
    long status;      /* HTTP status */
    const char *body; /* NUL-terminated, borrowed for the callback */
    size_t len;
    char error[256]; /* !answered: why (timeout, refused connection, TLS, …) */
} lk_result;

typedef void (*lk_done_fn)(void *arg, uint64_t tag, const lk_result *res);

typedef struct lk_transport {
    void *impl;
    /** Begins @p req (copied). 0, or -1 with @p err (the request was not started). */
    int (*start)(void *impl, const lk_request *req, lk_done_fn done, void *arg, uint64_t tag,
                 char *err, size_t errlen);
    /** Moves transfers on, waiting at most @p wait_ms (0: not at all); calls done for each
     *  finished one. May also just sleep @p wait_ms when nothing runs. */
    void (*pump)(void *impl, int wait_ms);
    /** Drops every transfer without calling done. */
    void (*cancel_all)(void *impl);
} lk_transport;

#endif
