/*
 * vk_tally.c — see vk_tally.h.
 */
#include "vk_tally.h"

#include <stdio.h>
#include <string.h>

void vk_tally_add(vk_tally *t, const char *key, uint64_t by) {
    if (!key || !*key)
        key = "UNKNOWN";
    /* The last slot is kept for "OTHER": keys past the others are counted there. */
    for (int pass = 0; pass < 2; pass++, key = "OTHER") {
        int i = 0;
        while (i < t->n && strcmp(t->k[i].key, key) != 0)
            i++;
        if (i < t->n) {
            t->k[i].n += by;
            return;
        }
        if (i < VK_TALLY_MAX - 1 || (pass == 1 && i < VK_TALLY_MAX)) {
            snprintf(t->k[i].key, sizeof t->k[i].key, "%s", key);
            t->k[i].n = by;
            t->n++;
            return;
        }
    }
}

void vk_tally_flush(vk_tally *t, vk_metric *m) {
    for (int i = 0; i < t->n; i++)
        vk_metric_inc(m, t->k[i].key, (double)t->k[i].n);
    t->n = 0;
}

void vk_tally_publish(const vk_tally *t, vk_metric *m) {
    for (int i = 0; i < t->n; i++)
        vk_metric_set(m, t->k[i].key, (double)t->k[i].n);
}
