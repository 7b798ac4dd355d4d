/* vk_strmap.c — see vk_strmap.h. FNV-1a hashing, linear probing, load factor at most 1/2. */
#include "vk_strmap.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct slot {
    char *key; /* NULL = empty */
    long value;
} slot;

struct vk_strmap {
    slot *slots;
    size_t cap, count;
};

static uint64_t fnv1a(const char *s) {
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++)
        h = (h ^ (uint8_t)*s) * 1099511628211ULL;
    return h;
}

vk_strmap *vk_strmap_new(size_t expected) {
    vk_strmap *m = calloc(1, sizeof *m);
    if (!m)
        return NULL;
    m->cap = 16;
    while (m->cap < expected * 2)
        m->cap *= 2;
    m->slots = calloc(m->cap, sizeof *m->slots);
    if (!m->slots) {
        free(m);
        return NULL;
    }
    return m;
}

void vk_strmap_clear(vk_strmap *m) {
    for (size_t i = 0; i < m->cap; i++) {
        free(m->slots[i].key);
        m->slots[i].key = NULL;
    }
    m->count = 0;
}

void vk_strmap_destroy(vk_strmap *m) {
    if (!m)
        return;
    vk_strmap_clear(m);
    free(m->slots);
    free(m);
}

static slot *find(const vk_strmap *m, const char *key) {
    size_t i = fnv1a(key) & (m->cap - 1);
    while (m->slots[i].key && strcmp(m->slots[i].key, key) != 0)
        i = (i + 1) & (m->cap - 1);
    return &m->slots[i];
}

static int grow(vk_strmap *m) {
    vk_strmap bigger = {calloc(m->cap * 2, sizeof(slot)), m->cap * 2, 0};
    if (!bigger.slots)
        return -1;
    for (size_t i = 0; i < m->cap; i++)
        if (m->slots[i].key)
            *find(&bigger, m->slots[i].key) = m->slots[i];
    free(m->slots);
    m->slots = bigger.slots;
    m->cap = bigger.cap;
    return 0;
}

int vk_strmap_put(vk_strmap *m, const char *key, long value) {
    if ((m->count + 1) * 2 > m->cap && grow(m))
        return -1;
    slot *s = find(m, key);
    if (!s->key) {
        s->key = strdup(key);
        if (!s->key)
            return -1;
        m->count++;
    }
    s->value = value;
    return 0;
}

bool vk_strmap_get(const vk_strmap *m, const char *key, long *value) {
    slot *s = find(m, key);
    if (!s->key)
        return false;
    if (value)
        *value = s->value;
    return true;
}

size_t vk_strmap_count(const vk_strmap *m) {
    return m->count;
}
