/*
 * test_backoff.c — exponential backoff (lib/base/vk_backoff.c): the nominal delay doubles and
 * stops at the cap without overflowing, full jitter stays in [0, delay] and equal jitter in
 * [delay/2, delay] for any draw, and the generator is deterministic for a seed.
 */
#include "vk_backoff.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

static void delay_doubles_up_to_the_cap(void **state) {
    (void)state;
    assert_int_equal(100, vk_backoff_delay(100, 1000, 0));
    assert_int_equal(200, vk_backoff_delay(100, 1000, 1));
    assert_int_equal(400, vk_backoff_delay(100, 1000, 2));
    assert_int_equal(800, vk_backoff_delay(100, 1000, 3));
    assert_int_equal(1000, vk_backoff_delay(100, 1000, 4));
    assert_int_equal(1000, vk_backoff_delay(100, 1000, 5));
    /* the retry topic's defaults: 5 s doubling, capped at 5 min */
    assert_int_equal(5000, vk_backoff_delay(5000, 300000, 0));
    assert_int_equal(160000, vk_backoff_delay(5000, 300000, 5));
    assert_int_equal(300000, vk_backoff_delay(5000, 300000, 6));
}

static void huge_attempts_do_not_overflow(void **state) {
    (void)state;
    assert_int_equal(300000, vk_backoff_delay(5000, 300000, 64));
    assert_int_equal(300000, vk_backoff_delay(5000, 300000, 1000000));
    assert_int_equal(300000, vk_backoff_delay(5000, 300000, INT32_MAX));
    assert_int_equal(INT64_MAX, vk_backoff_delay(INT64_MAX / 3, INT64_MAX, 10));
    assert_int_equal(0, vk_backoff_delay(0, 1000, 3));
    assert_int_equal(0, vk_backoff_delay(100, 0, 3));
    assert_int_equal(0, vk_backoff_delay(100, 1000, -1));
    assert_int_equal(50, vk_backoff_delay(100, 50, 0)); /* a cap below the base wins */
}

static void full_jitter_stays_within_zero_and_delay(void **state) {
    (void)state;
    const uint64_t draws[] = {0, 1, 199, 200, 201, 12345, UINT64_MAX / 2, UINT64_MAX};
    for (int attempt = 0; attempt < 40; attempt++)
        for (size_t i = 0; i < sizeof draws / sizeof *draws; i++) {
            int64_t d = vk_backoff_delay(100, 2000, attempt);
            int64_t j = vk_backoff_full_jitter(100, 2000, attempt, draws[i]);
            assert_in_range(j, 0, d);
        }
    /* both ends are reachable */
    assert_int_equal(0, vk_backoff_full_jitter(100, 2000, 1, 0));
    assert_int_equal(200, vk_backoff_full_jitter(100, 2000, 1, 200));
    assert_int_equal(0, vk_backoff_full_jitter(100, 2000, 1, 201));
}

static void equal_jitter_stays_within_half_and_delay(void **state) {
    (void)state;
    vk_rng rng;
    vk_rng_seed(&rng, 42);
    for (int attempt = 0; attempt < 40; attempt++)
        for (int i = 0; i < 200; i++) {
            int64_t d = vk_backoff_delay(5000, 300000, attempt);
            int64_t j = vk_backoff_equal_jitter(5000, 300000, attempt, vk_rng_next(&rng));
            assert_in_range(j, d - d / 2, d);
        }
    assert_int_equal(2500, vk_backoff_equal_jitter(5000, 300000, 0, 0));
    assert_int_equal(5000, vk_backoff_equal_jitter(5000, 300000, 0, 2500));
    assert_int_equal(0, vk_backoff_equal_jitter(0, 300000, 0, 77));
}

static void jitter_is_spread_not_constant(void **state) {
    (void)state;
    vk_rng rng;
    vk_rng_seed(&rng, 7);
    int64_t lo = INT64_MAX, hi = 0;
    for (int i = 0; i < 1000; i++) {
        int64_t j = vk_backoff_full_jitter(100, 2000, 3, vk_rng_next(&rng));
        lo = j < lo ? j : lo;
        hi = j > hi ? j : hi;
    }
    assert_true(lo < 100); /* of [0, 800] */
    assert_true(hi > 700);
}

static void rng_is_deterministic_per_seed(void **state) {
    (void)state;
    vk_rng a, b, c;
    vk_rng_seed(&a, 99);
    vk_rng_seed(&b, 99);
    vk_rng_seed(&c, 100);
    uint64_t x = vk_rng_next(&a);
    assert_true(x == vk_rng_next(&b));
    assert_true(x != vk_rng_next(&c));
    assert_true(vk_rng_next(&a) != x);
    vk_rng os;
    vk_rng_seed(&os, 0); /* from the OS: anything but the all-zero state */
    assert_true(os.state != 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(delay_doubles_up_to_the_cap),
        cmocka_unit_test(huge_attempts_do_not_overflow),
        cmocka_unit_test(full_jitter_stays_within_zero_and_delay),
        cmocka_unit_test(equal_jitter_stays_within_half_and_delay),
        cmocka_unit_test(jitter_is_spread_not_constant),
        cmocka_unit_test(rng_is_deterministic_per_seed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
