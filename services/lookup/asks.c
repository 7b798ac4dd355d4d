/*
 * asks.c — see asks.h for the life of an ask.
 *
 * Asks live in blocks of ASK_BLOCK that never move (an ask's question points into itself, so
 * the storage must not be realloc'ed), addressed by index and kept from batch to batch; a
 * transfer carries its ask's index and the batch generation in its tag, so a late callback from
 * a cleared batch is recognised and ignored (the transport should never deliver one: belt and
 * braces). Each source has a FIFO of fresh asks and a short unsorted list of retries waiting
 * for their due time.
 */
#include "asks.h"

#include "vk_backoff.h"
#include "vk_cache.h"
#include "vk_log.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ASK_BLOCK 256

typedef enum ask_state { ASK_QUEUED = 0, ASK_RUNNING, ASK_DONE } ask_state;

typedef struct ask {
    vk_evidence_source src;
    ask_state state;
    int tries;         /* requests started so far */
    bool probe;        /* the running request is its breaker's probe */
    int64_t due;       /* QUEUED: monotonic ms when it may start */
    int64_t signed_at; /* RUNNING (JKN): the request's X-timestamp */
    int64_t started;   /* RUNNING: monotonic ms when the request was sent */
    lk_question q;
    vk_evidence_src result; /* DONE */
} ask;

typedef struct id_list {
    size_t *ids;
    size_t head, n, cap; /* ids[head .. n) are live */
} id_list;

typedef struct source {
    vk_breaker breaker;
    id_list fresh; /* FIFO */
    id_list retry; /* unsorted; head stays 0 */
    lk_source_stats stats;
} source;

struct lk_asks {
    lk_asks_config cfg;
    const lk_sources *sources;
    const lk_transport *t;
    const lk_env *env;
    vk_cache *cache;
    ask **blocks; /* blocks of ASK_BLOCK asks */
    size_t n_blocks;
    size_t n; /* asks in the batch */
    size_t pending, running;
    uint32_t generation;
    source src[2];
    int next_source; /* round robin */
    lk_request req;  /* scratch: the request being started */
    vk_buf key;      /* scratch: a cache key */
};

static ask *ask_at(const lk_asks *a, size_t id) {
    return &a->blocks[id / ASK_BLOCK][id % ASK_BLOCK];
}

static int64_t mono(const lk_asks *a) {
    return a->env->mono_ms(a->env->arg);
}

/* ---- id lists ---- */

static int list_push(id_list *l, size_t id) {
    if (l->n == l->cap) {
        if (l->head > 0) { /* reclaim the consumed front first */
            memmove(l->ids, l->ids + l->head, (l->n - l->head) * sizeof *l->ids);
            l->n -= l->head;
            l->head = 0;
        }
        if (l->n == l->cap) {
            size_t cap = l->cap ? l->cap * 2 : 64;
            size_t *p = realloc(l->ids, cap * sizeof *p);
            if (!p)
                return -1;
            l->ids = p;
            l->cap = cap;
        }
    }
    l->ids[l->n++] = id;
    return 0;
}

static void list_clear(id_list *l) {
    l->head = l->n = 0;
}

/* ---- lifecycle ---- */

lk_asks *lk_asks_new(const lk_asks_config *cfg, const lk_sources *sources,
                     const lk_transport *transport, const lk_env *env, char *err, size_t errlen) {
    if (cfg->inflight < 1 || cfg->attempts < 1) {
        snprintf(err, errlen, "inflight and attempts must be at least 1");
        return NULL;
    }
    lk_asks *a = calloc(1, sizeof *a);
    if (!a || !(a->cache = vk_cache_new(cfg->cache_entries, cfg->cache_ttl_ms))) {
        free(a);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    a->cfg = *cfg;
    a->sources = sources;
    a->t = transport;
    a->env = env;
    for (int s = 0; s < 2; s++)
        vk_breaker_init(&a->src[s].breaker, cfg->breaker_failures, cfg->breaker_open_ms);
    return a;
}

void lk_asks_destroy(lk_asks *a) {
    if (!a)
        return;
    lk_asks_clear(a);
    for (int s = 0; s < 2; s++) {
        free(a->src[s].fresh.ids);
        free(a->src[s].retry.ids);
    }
    for (size_t b = 0; b < a->n_blocks; b++)
        free(a->blocks[b]);
    free(a->blocks);
    vk_cache_destroy(a->cache);
    lk_request_free(&a->req);
    vk_buf_free(&a->key);
    free(a);
}

void lk_asks_clear(lk_asks *a) {
    if (a->running)
        a->t->cancel_all(a->t->impl);
    for (size_t i = 0; i < a->n; i++)
        if (ask_at(a, i)->state == ASK_RUNNING && ask_at(a, i)->probe)
            vk_breaker_abandon(&a->src[ask_at(a, i)->src].breaker);
    for (int s = 0; s < 2; s++) {
        list_clear(&a->src[s].fresh);
        list_clear(&a->src[s].retry);
    }
    a->n = a->pending = a->running = 0;
    a->generation++;
}

/* ---- outcomes ---- */

static void note_breaker(lk_asks *a, vk_evidence_source src, vk_breaker_state before) {
    const vk_breaker *b = &a->src[src].breaker;
    if (b->state == before)
        return;
    const char *name = vk_evidence_source_name(src);
    if (b->state == VK_BREAKER_OPEN)
        vk_warn("msg=\"circuit %s\" source=%s open_ms=%" PRId64 " failures=%d",
                before == VK_BREAKER_HALF_OPEN ? "reopened: the probe failed" : "opened", name,
                b->open_ms, b->threshold);
    else if (b->state == VK_BREAKER_HALF_OPEN)
        vk_info("msg=\"circuit half-open: probing\" source=%s", name);
    else
        vk_info("msg=\"circuit closed\" source=%s", name);
}

static void finish(lk_asks *a, ask *k) {
    k->state = ASK_DONE;
    a->pending--;
}

static void give_up(lk_asks *a, ask *k, const char *why, bool log) {
    vk_evidence_init(&k->result, k->src, VK_EVIDENCE_UNAVAILABLE, why);
    a->src[k->src].stats.unavailable++;
    if (log) {
        char quoted[300];
        vk_warn("msg=\"source unavailable\" source=%s nik=%s tries=%d error=\"%s\"",
                vk_evidence_source_name(k->src), k->q.nik, k->tries,
                vk_log_quote(why, quoted, sizeof quoted));
    }
    finish(a, k);
}

static void answered(lk_asks *a, ask *k, const vk_evidence_src *ev) {
    source *s = &a->src[k->src];
    k->result = *ev;
    if (ev->status == VK_EVIDENCE_FOUND)
        s->stats.found++;
    else
        s->stats.not_found++;
    /* Answers only: an error is never remembered as what the source knows. */
    if (lk_source_cache_key(k->src, &k->q, &a->key) == 0 &&
        vk_cache_put(a->cache, (const char *)a->key.data, ev, sizeof *ev, mono(a)))
        vk_warn("msg=\"cannot cache an answer: out of memory\"");
    finish(a, k);
}

/* A try failed with @p why: queue a retry after a full-jitter backoff, or give up. */
static void failed_try(lk_asks *a, size_t id, const char *why) {
    ask *k = ask_at(a, id);
    source *s = &a->src[k->src];
    char quoted[300];
    s->stats.failures++;
    vk_debug("msg=\"source error\" source=%s nik=%s try=%d error=\"%s\"",
             vk_evidence_source_name(k->src), k->q.nik, k->tries,
             vk_log_quote(why, quoted, sizeof quoted));
    if (k->tries >= a->cfg.attempts) {
        give_up(a, k, why, true);
        return;
    }
    k->state = ASK_QUEUED;
    k->due = mono(a) + vk_backoff_full_jitter(a->cfg.backoff_ms, a->cfg.backoff_max_ms,
                                              k->tries - 1, a->env->draw(a->env->arg));
    if (list_push(&s->retry, id))
        give_up(a, k, why, true); /* out of memory: no retry */
}

/* One request's time, into its source's latency buckets (vk_metrics_latency_buckets). */
static void note_latency(lk_source_stats *st, double seconds) {
    int b = 0;
    while (b < vk_metrics_latency_buckets_n && seconds > vk_metrics_latency_buckets[b])
        b++;
    st->latency[b]++;
    st->latency_sum_s += seconds;
}

static void on_done(void *arg, uint64_t tag, const lk_result *res) {
    lk_asks *a = arg;
    size_t id = (size_t)(tag & 0xffffffffu);
    if ((uint32_t)(tag >> 32) != a->generation || id >= a->n || ask_at(a, id)->state != ASK_RUNNING)
        return;
    ask *k = ask_at(a, id);
    source *s = &a->src[k->src];
    vk_breaker_state before = s->breaker.state;
    int64_t now = mono(a);
    char err[256];
    vk_evidence_src ev;
    a->running--;
    note_latency(&s->stats, (double)(now - k->started) / 1000);
    k->probe = false;
    if (lk_source_answer(a->sources, k->src, &k->q, res, k->signed_at, &ev, err, sizeof err) == 0) {
        vk_breaker_success(&s->breaker, now);
        answered(a, k, &ev);
    } else {
        vk_breaker_failure(&s->breaker, now);
        failed_try(a, id, err);
    }
    note_breaker(a, k->src, before);
}

/* ---- starting requests ---- */

static void start(lk_asks *a, size_t id, bool probe) {
    ask *k = ask_at(a, id);
    source *s = &a->src[k->src];
    char err[256];
    int64_t now_s = a->env->wall_ms(a->env->arg) / 1000;
    if (lk_source_request(a->sources, k->src, &k->q, now_s, &a->req, err, sizeof err)) {
        /* Not the source's fault (configuration, an unsendable value): no retry, no breaker. */
        if (probe)
            vk_breaker_abandon(&s->breaker);
        give_up(a, k, err, true);
        return;
    }
    uint64_t tag = (uint64_t)a->generation << 32 | (uint64_t)id;
    k->state = ASK_RUNNING;
    k->tries++;
    k->probe = probe;
    k->signed_at = a->req.signed_at;
    k->started = mono(a);
    a->running++;
    s->stats.requests++;
    int rc = a->t->start(a->t->impl, &a->req, on_done, a, tag, err, sizeof err);
    lk_request_clear(&a->req);
    if (rc) { /* counts as a failed try of the source */
        vk_breaker_state before = s->breaker.state;
        a->running--;
        k->probe = false;
        vk_breaker_failure(&s->breaker, mono(a));
        failed_try(a, id, err);
        note_breaker(a, k->src, before);
    }
}

/* The next ask of @p s that may start at @p now: a due retry first, else the oldest fresh
 * one. Sets *from_retry and the position, so the caller can take it off its list. */
static bool peek(const lk_asks *a, const source *s, int64_t now, size_t *id, bool *from_retry,
                 size_t *pos) {
    for (size_t i = 0; i < s->retry.n; i++)
        if (ask_at(a, s->retry.ids[i])->due <= now) {
            *id = s->retry.ids[i];
            *from_retry = true;
            *pos = i;
            return true;
        }
    if (s->fresh.head < s->fresh.n) {
        *id = s->fresh.ids[s->fresh.head];
        *from_retry = false;
        *pos = s->fresh.head;
        return true;
    }
    return false;
}

static void take(source *s, bool from_retry, size_t pos) {
    if (from_retry)
        s->retry.ids[pos] = s->retry.ids[--s->retry.n];
    else
        s->fresh.head++;
}

/* Starts every ask that may start now, one source after the other while slots are free; fails
 * at once what an open breaker refuses, slot or not. */
static void start_due(lk_asks *a) {
    bool progress = true;
    while (progress) {
        progress = false;
        int64_t now = mono(a);
        for (int r = 0; r < 2; r++) {
            vk_evidence_source src = (vk_evidence_source)((a->next_source + r) % 2);
            source *s = &a->src[src];
            size_t id, pos;
            bool from_retry;
            if (!peek(a, s, now, &id, &from_retry, &pos))
                continue;
            if (vk_breaker_rejects(&s->breaker, now)) {
                take(s, from_retry, pos);
                s->stats.rejected++;
                give_up(a, ask_at(a, id), "circuit open", false);
                progress = true;
                continue;
            }
            if (a->running >= (size_t)a->cfg.inflight)
                continue;
            vk_breaker_state before = s->breaker.state;
            vk_breaker_permit p = vk_breaker_acquire(&s->breaker, now);
            note_breaker(a, src, before);
            if (p == VK_BREAKER_WAIT)
                continue;
            take(s, from_retry, pos);
            if (p == VK_BREAKER_REJECT) {
                s->stats.rejected++;
                give_up(a, ask_at(a, id), "circuit open", false);
            } else {
                start(a, id, s->breaker.state == VK_BREAKER_HALF_OPEN);
                a->next_source = (src + 1) % 2;
            }
            progress = true;
        }
    }
}

/* ---- the public side ---- */

long lk_asks_add(lk_asks *a, vk_evidence_source src, const lk_question *q) {
    if (a->n == a->n_blocks * ASK_BLOCK) {
        ask **blocks = realloc(a->blocks, (a->n_blocks + 1) * sizeof *blocks);
        if (!blocks)
            return -1;
        a->blocks = blocks;
        if (!(blocks[a->n_blocks] = malloc(ASK_BLOCK * sizeof **blocks)))
            return -1;
        a->n_blocks++;
    }
    size_t id = a->n;
    ask *k = ask_at(a, id);
    memset(k, 0, sizeof *k);
    k->src = src;
    k->q = *q;
    if (q->asked.name) /* the copy points into its own name */
        k->q.asked.name = k->q.name;
    source *s = &a->src[src];
    s->stats.asks++;
    a->n++;
    a->pending++;
    size_t len = 0;
    const void *hit = lk_source_cache_key(src, &k->q, &a->key) == 0
                          ? vk_cache_get(a->cache, (const char *)a->key.data, mono(a), &len)
                          : NULL;
    if (hit && len == sizeof k->result) {
        memcpy(&k->result, hit, sizeof k->result);
        s->stats.cache_hits++;
        finish(a, k);
        return (long)id;
    }
    if (list_push(&s->fresh, id)) {
        a->n--;
        a->pending--;
        return -1;
    }
    return (long)id;
}

void lk_asks_pump(lk_asks *a) {
    start_due(a);
    if (a->running) {
        a->t->pump(a->t->impl, 0);
        start_due(a);
    }
}

/* How long the finishing loop may wait: until the next retry falls due (when a slot is free
 * for it), at most a second; transfers finishing end the wait early. */
static int finish_wait_ms(const lk_asks *a) {
    int64_t now = mono(a), wait = 1000;
    if (a->running < (size_t)a->cfg.inflight)
        for (int s = 0; s < 2; s++)
            for (size_t i = 0; i < a->src[s].retry.n; i++) {
                int64_t d = ask_at(a, a->src[s].retry.ids[i])->due - now;
                if (d > 0 && d < wait)
                    wait = d;
            }
    return (int)wait;
}

void lk_asks_finish(lk_asks *a) {
    while (a->pending > 0) {
        start_due(a);
        if (a->pending == 0)
            break;
        bool retries = a->src[0].retry.n || a->src[1].retry.n;
        if (a->running == 0 && !retries) {
            /* Nothing runs and nothing waits for a time: only a breaker waiting for a probe
             * that never went out could leave asks here. Do not spin: give them up. */
            vk_error("msg=\"asks stuck without a request in flight; giving them up\" "
                     "pending=%zu",
                     a->pending);
            for (size_t i = 0; i < a->n; i++)
                if (ask_at(a, i)->state == ASK_QUEUED)
                    give_up(a, ask_at(a, i), "internal error: never started", false);
            for (int s = 0; s < 2; s++)
                list_clear(&a->src[s].fresh);
            break;
        }
        a->t->pump(a->t->impl, finish_wait_ms(a));
    }
}

const vk_evidence_src *lk_asks_result(const lk_asks *a, long id) {
    return id >= 0 && (size_t)id < a->n ? &ask_at(a, id)->result : NULL;
}

size_t lk_asks_pending(const lk_asks *a) {
    return a->pending;
}

void lk_asks_stats(const lk_asks *a, vk_evidence_source src, lk_source_stats *out) {
    const source *s = &a->src[src];
    *out = s->stats;
    out->breaker = s->breaker.state;
    out->breaker_opened = s->breaker.opened;
}
