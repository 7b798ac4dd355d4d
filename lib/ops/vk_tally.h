/*
 * vk_tally.h — counts by a short key (a topic, a reason code, a table), bounded: when the keys
 * outnumber the slots, the rest are counted under "OTHER" in the last one, never under another
 * key's name. What a metric family is fed from (vk_tally_flush, vk_tally_publish).
 */
#ifndef VK_TALLY_H
#define VK_TALLY_H

#include "vk_metrics.h"

#include <stdint.h>

#define VK_TALLY_MAX 48

typedef struct vk_tally {
    struct {
        char key[48];
        uint64_t n;
    } k[VK_TALLY_MAX];
    int n;
} vk_tally;

/** @brief Adds @p by to @p key ("" counts as "UNKNOWN"). */
void vk_tally_add(vk_tally *t, const char *key, uint64_t by);
/** @brief Adds every count to @p m (a counter labelled by the key), then empties the tally. */
void vk_tally_flush(vk_tally *t, vk_metric *m);
/** @brief Sets @p m's series to the counts (a cumulative tally). */
void vk_tally_publish(const vk_tally *t, vk_metric *m);

#endif
