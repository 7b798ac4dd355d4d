/*
 * vk_cache.c — see vk_cache.h.
 */
#include "vk_cache.h"

#include <stdlib.h>
#include <string.h>

typedef struct entry {
    struct entry *chain;       /* next in the bucket */
    struct entry *prev, *next; /* LRU list: head = most recent */
    uint64_t hash;
    int64_t stored_at;
    size_t len;
    void *value;
    char key[]; /* NUL-terminated */
} entry;

struct vk_cache {
    size_t max, count, mask;
    int64_t ttl_ms;
    entry **buckets;
    entry *head, *tail;
    vk_cache_stats stats;
};

static uint64_t fnv1a(const char *s) {
    uint64_t h = 0xcbf29ce484222325u;
    for (; *s; s++)
        h = (h ^ (uint8_t)*s) * 0x100000001b3u;
    return h;
}

vk_cache *vk_cache_new(size_t max_entries, int64_t ttl_ms) {
    vk_cache *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    size_t n = 16;
    while (n < max_entries * 2 && n < ((size_t)1 << 30))
        n *= 2;
    c->buckets = calloc(n, sizeof *c->buckets);
    if (!c->buckets) {
        free(c);
        return NULL;
    }
    c->mask = n - 1;
    c->max = max_entries;
    c->ttl_ms = ttl_ms;
    return c;
}

static void lru_unlink(vk_cache *c, entry *e) {
    if (e->prev)
        e->prev->next = e->next;
    else
        c->head = e->next;
    if (e->next)
        e->next->prev = e->prev;
    else
        c->tail = e->prev;
    e->prev = e->next = NULL;
}

static void lru_push_front(vk_cache *c, entry *e) {
    e->prev = NULL;
    e->next = c->head;
    if (c->head)
        c->head->prev = e;
    c->head = e;
    if (!c->tail)
        c->tail = e;
}

static entry **find_slot(vk_cache *c, const char *key, uint64_t h) {
    entry **p = &c->buckets[h & c->mask];
    while (*p && ((*p)->hash != h || strcmp((*p)->key, key) != 0))
        p = &(*p)->chain;
    return p;
}

static void remove_entry(vk_cache *c, entry *e) {
    entry **p = find_slot(c, e->key, e->hash);
    *p = e->chain;
    lru_unlink(c, e);
    free(e->value);
    free(e);
    c->count--;
}

void vk_cache_destroy(vk_cache *c) {
    if (!c)
        return;
    for (entry *e = c->head, *next; e; e = next) {
        next = e->next;
        free(e->value);
        free(e);
    }
    free(c->buckets);
    free(c);
}

static int fresh(const vk_cache *c, const entry *e, int64_t now) {
    return now - e->stored_at < c->ttl_ms;
}

const void *vk_cache_get(vk_cache *c, const char *key, int64_t now, size_t *len) {
    uint64_t h = fnv1a(key);
    entry *e = *find_slot(c, key, h);
    if (e && !fresh(c, e, now)) {
        remove_entry(c, e);
        c->stats.expired++;
        e = NULL;
    }
    if (!e) {
        c->stats.misses++;
        return NULL;
    }
    c->stats.hits++;
    lru_unlink(c, e);
    lru_push_front(c, e);
    if (len)
        *len = e->len;
    return e->value;
}

int vk_cache_put(vk_cache *c, const char *key, const void *value, size_t len, int64_t now) {
    if (c->max == 0)
        return 0;
    uint64_t h = fnv1a(key);
    size_t klen = strlen(key);
    entry *e = malloc(sizeof *e + klen + 1);
    void *copy = malloc(len ? len : 1);
    if (!e || !copy) {
        free(e);
        free(copy);
        return -1;
    }
    memcpy(copy, value, len);
    memcpy(e->key, key, klen + 1);
    e->hash = h;
    e->stored_at = now;
    e->len = len;
    e->value = copy;
    e->prev = e->next = NULL;

    entry *old = *find_slot(c, key, h);
    if (old)
        remove_entry(c, old);
    while (c->count >= c->max && c->tail) {
        remove_entry(c, c->tail);
        c->stats.evicted++;
    }
    entry **slot = find_slot(c, key, h); /* the end of the chain */
    e->chain = NULL;
    *slot = e;
    lru_push_front(c, e);
    c->count++;
    return 0;
}

void vk_cache_stats_get(const vk_cache *c, vk_cache_stats *out) {
    *out = c->stats;
    out->entries = c->count;
}
