/*
 * vk_backoff.c — see vk_backoff.h.
 */
#include "vk_backoff.h"

#include <sys/random.h>
#include <time.h>

int64_t vk_backoff_delay(int64_t base_ms, int64_t cap_ms, int attempt) {
    if (base_ms <= 0 || cap_ms <= 0 || attempt < 0)
        return 0;
    int64_t d = base_ms;
    for (int i = 0; i < attempt && d < cap_ms; i++)
        d = d > INT64_MAX / 2 ? INT64_MAX : d * 2; /* stops doubling once past the cap */
    return d < cap_ms ? d : cap_ms;
}

static int64_t uniform(int64_t lo, int64_t hi, uint64_t draw) {
    return lo + (int64_t)(draw % ((uint64_t)(hi - lo) + 1));
}

int64_t vk_backoff_full_jitter(int64_t base_ms, int64_t cap_ms, int attempt, uint64_t draw) {
    return uniform(0, vk_backoff_delay(base_ms, cap_ms, attempt), draw);
}

int64_t vk_backoff_equal_jitter(int64_t base_ms, int64_t cap_ms, int attempt, uint64_t draw) {
    int64_t d = vk_backoff_delay(base_ms, cap_ms, attempt);
    return uniform(d - d / 2, d, draw);
}

void vk_rng_seed(vk_rng *rng, uint64_t seed) {
    if (seed == 0 && getrandom(&seed, sizeof seed, GRND_NONBLOCK) != (ssize_t)sizeof seed) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        seed = (uint64_t)ts.tv_sec * 1000000007u ^ (uint64_t)ts.tv_nsec;
    }
    rng->state = seed;
}

uint64_t vk_rng_next(vk_rng *rng) {
    uint64_t z = (rng->state += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}
