/*
 * vk_backoff.h — exponential backoff with jitter, as pure functions of the attempt number and a
 * random draw (so a test chooses the draw), and the small random generator that feeds them.
 *
 * The nominal delay before retry n (n = 0 for the first retry) is min(cap, base · 2^n),
 * computed without overflow for any n. Two ways to spread it (AWS Architecture Blog,
 * "Exponential Backoff And Jitter"):
 *
 *   full jitter   uniform in [0, delay]: spreads a herd of clients that failed together best,
 *                 at the price of sometimes retrying at once. Used for the short retries of one
 *                 HTTP request inside a batch, where a quick second try is what we want.
 *   equal jitter  uniform in [delay/2, delay]: still spread, but never much earlier than the
 *                 nominal time. Used for the retry topic, where a lookup coming back long
 *                 before its time would only meet the same outage.
 *
 * A draw is any uint64_t; it is reduced modulo the range (the bias is below 2^-40 for any delay
 * that fits in a day of milliseconds). vk_rng is splitmix64: fast, statistically fine for
 * jitter, and not for anything secret.
 */
#ifndef VK_BACKOFF_H
#define VK_BACKOFF_H

#include <stdint.h>

/** @brief min(@p cap_ms, @p base_ms · 2^@p attempt); 0 when base or cap is ≤ 0 or attempt < 0. */
int64_t vk_backoff_delay(int64_t base_ms, int64_t cap_ms, int attempt);

/** @brief Full jitter: uniform in [0, vk_backoff_delay(...)], chosen by @p draw. */
int64_t vk_backoff_full_jitter(int64_t base_ms, int64_t cap_ms, int attempt, uint64_t draw);

/** @brief Equal jitter: uniform in [d - d/2, d] for d = vk_backoff_delay(...), chosen by @p draw.
 */
int64_t vk_backoff_equal_jitter(int64_t base_ms, int64_t cap_ms, int attempt, uint64_t draw);

/** A splitmix64 generator. */
typedef struct vk_rng {
    uint64_t state;
} vk_rng;

/** @brief Seeds @p rng; seed 0 takes one from the OS (getrandom), or the clock if that fails. */
void vk_rng_seed(vk_rng *rng, uint64_t seed);
/** @brief The next draw. */
uint64_t vk_rng_next(vk_rng *rng);

#endif
