/*
 * vk_cache.h — a bounded cache of byte values under string keys, with a time to live and
 * least-recently-used eviction, over an injected clock (milliseconds, monotonic).
 *
 * The lookup worker keeps the answers of JKN and Dukcapil in one, so a NIK asked again within
 * the TTL (a correction retried at the desk, a duplicate import) costs no request. What goes in
 * is the caller's decision: the worker stores answers about a person (found, not found) and
 * never a source's error, so an outage is never remembered as an answer.
 *
 * Layout: a chained hash table (FNV-1a, power-of-two buckets sized for the bound) over entries
 * that also sit on one doubly linked LRU list. get moves a fresh entry to the front; an
 * expired one is removed on sight; put at the bound evicts the back of the list. Every
 * operation is O(1) on average; memory is the bound times (key + value + ~64 bytes).
 *
 * Values are copied in and handed out borrowed: a pointer from vk_cache_get is valid until the
 * next vk_cache_put or vk_cache_destroy. Not thread-safe (one per thread).
 */
#ifndef VK_CACHE_H
#define VK_CACHE_H

#include <stddef.h>
#include <stdint.h>

typedef struct vk_cache vk_cache;

typedef struct vk_cache_stats {
    uint64_t hits, misses, expired, evicted;
    size_t entries;
} vk_cache_stats;

/** @brief A cache of at most @p max_entries values living @p ttl_ms each. @p max_entries 0
 *  caches nothing (get always misses). NULL when out of memory. */
vk_cache *vk_cache_new(size_t max_entries, int64_t ttl_ms);
void vk_cache_destroy(vk_cache *c);

/** @brief The value under @p key stored less than ttl_ms before @p now (and its length in
 *  *@p len), or NULL. */
const void *vk_cache_get(vk_cache *c, const char *key, int64_t now, size_t *len);

/** @brief Stores a copy of @p value under @p key at @p now, replacing any older value and
 *  evicting the least recently used entry when full. Returns 0, or -1 when out of memory (the
 *  cache is unchanged then). */
int vk_cache_put(vk_cache *c, const char *key, const void *value, size_t len, int64_t now);

void vk_cache_stats_get(const vk_cache *c, vk_cache_stats *out);

#endif
