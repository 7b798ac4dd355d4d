/*
 * vk_strmap.h — a small open-addressing hash map from short strings to integers.
 *
 * Built for per-batch lookups (NIK → state index, event id → seen): keys are copied into the
 * map's own arena, clearing is O(capacity) without freeing, and there is no deletion.
 */
#ifndef VK_STRMAP_H
#define VK_STRMAP_H

#include <stdbool.h>
#include <stddef.h>

typedef struct vk_strmap vk_strmap;

vk_strmap *vk_strmap_new(size_t expected);
void vk_strmap_destroy(vk_strmap *m);
/** @brief Empties the map, keeping its memory. */
void vk_strmap_clear(vk_strmap *m);
/** @brief Sets key → value (inserting or replacing). Returns 0, or -1 when out of memory. */
int vk_strmap_put(vk_strmap *m, const char *key, long value);
/** @brief Looks a key up; true and *value when present. */
bool vk_strmap_get(const vk_strmap *m, const char *key, long *value);
size_t vk_strmap_count(const vk_strmap *m);

#endif
