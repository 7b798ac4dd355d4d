/*
 * vk_breaker.c — see vk_breaker.h for the state machine.
 */
#include "vk_breaker.h"

#include <string.h>

void vk_breaker_init(vk_breaker *b, int failures, int64_t open_ms) {
    memset(b, 0, sizeof *b);
    b->threshold = failures;
    b->open_ms = open_ms > 0 ? open_ms : 0;
    b->state = VK_BREAKER_CLOSED;
}

static void trip(vk_breaker *b, int64_t now) {
    b->state = VK_BREAKER_OPEN;
    b->opened_at = now;
    b->probing = false;
    b->failures = 0;
    b->opened++;
}

vk_breaker_permit vk_breaker_acquire(vk_breaker *b, int64_t now) {
    switch (b->state) {
    case VK_BREAKER_OPEN:
        if (now - b->opened_at < b->open_ms)
            return VK_BREAKER_REJECT;
        b->state = VK_BREAKER_HALF_OPEN;
        b->probing = true;
        return VK_BREAKER_ALLOW;
    case VK_BREAKER_HALF_OPEN:
        if (b->probing)
            return VK_BREAKER_WAIT;
        b->probing = true;
        return VK_BREAKER_ALLOW;
    case VK_BREAKER_CLOSED:
    default:
        return VK_BREAKER_ALLOW;
    }
}

bool vk_breaker_rejects(const vk_breaker *b, int64_t now) {
    return b->state == VK_BREAKER_OPEN && now - b->opened_at < b->open_ms;
}

void vk_breaker_success(vk_breaker *b, int64_t now) {
    (void)now;
    if (b->state == VK_BREAKER_OPEN)
        return;
    b->state = VK_BREAKER_CLOSED;
    b->probing = false;
    b->failures = 0;
}

void vk_breaker_failure(vk_breaker *b, int64_t now) {
    if (b->threshold <= 0)
        return;
    if (b->state == VK_BREAKER_HALF_OPEN)
        trip(b, now);
    else if (b->state == VK_BREAKER_CLOSED && ++b->failures >= b->threshold)
        trip(b, now);
}

void vk_breaker_abandon(vk_breaker *b) {
    if (b->state == VK_BREAKER_HALF_OPEN)
        b->probing = false;
}

const char *vk_breaker_state_name(vk_breaker_state s) {
    return s == VK_BREAKER_OPEN ? "open" : s == VK_BREAKER_HALF_OPEN ? "half-open" : "closed";
}
