/*
 * test_breaker.c — the circuit breaker (lib/base/vk_breaker.c) on a hand-driven clock: closed →
 * open after N consecutive failures → half-open after the interval (one probe, the others
 * wait) → closed on success or open again on failure; a success resets the count; late
 * results while open change nothing; an abandoned probe lets another go.
 */
#include "vk_breaker.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#define N    3
#define OPEN 10000

static void opens_after_n_consecutive_failures(void **state) {
    (void)state;
    vk_breaker b;
    vk_breaker_init(&b, N, OPEN);
    int64_t t = 1000;
    for (int i = 0; i < N - 1; i++) {
        assert_int_equal(VK_BREAKER_ALLOW, vk_breaker_acquire(&b, t));
        vk_breaker_failure(&b, t);
        assert_int_equal(VK_BREAKER_CLOSED, b.state);
    }
    assert_int_equal(VK_BREAKER_ALLOW, vk_breaker_acquire(&b, t));
    vk_breaker_failure(&b, t);
    assert_int_equal(VK_BREAKER_OPEN, b.state);
    assert_int_equal(1, b.opened);
    assert_int_equal(VK_BREAKER_REJECT, vk_breaker_acquire(&b, t));
    assert_true(vk_breaker_rejects(&b, t + OPEN - 1));
    assert_int_equal(VK_BREAKER_REJECT, vk_breaker_acquire(&b, t + OPEN - 1));
    assert_false(vk_breaker_rejects(&b, t + OPEN)); /* a query: still OPEN until acquired */
    assert_int_equal(VK_BREAKER_OPEN, b.state);
    assert_string_equal("open", vk_breaker_state_name(b.state));
}

static void success_resets_the_count(void **state) {
    (void)state;
    vk_breaker b;
    vk_breaker_init(&b, N, OPEN);
    for (int round = 0; round < 5; round++) {
        for (int i = 0; i < N - 1; i++)
            vk_breaker_failure(&b, 0);
        vk_breaker_success(&b, 0);
    }
    assert_int_equal(VK_BREAKER_CLOSED, b.state);
    assert_int_equal(0, b.failures);
    assert_int_equal(0, b.opened);
}

static vk_breaker opened_at(int64_t t) {
    vk_breaker b;
    vk_breaker_init(&b, N, OPEN);
    for (int i = 0; i < N; i++)
        vk_breaker_failure(&b, t);
    assert_int_equal(VK_BREAKER_OPEN, b.state);
    return b;
}

static void half_open_after_the_interval_sends_one_probe(void **state) {
    (void)state;
    vk_breaker b = opened_at(1000);
    assert_int_equal(VK_BREAKER_ALLOW, vk_breaker_acquire(&b, 1000 + OPEN));
    assert_int_equal(VK_BREAKER_HALF_OPEN, b.state);
    assert_string_equal("half-open", vk_breaker_state_name(b.state));
    /* the others wait for the probe instead of failing */
    assert_int_equal(VK_BREAKER_WAIT, vk_breaker_acquire(&b, 1000 + OPEN));
    assert_int_equal(VK_BREAKER_WAIT, vk_breaker_acquire(&b, 1000 + 5 * OPEN));
}

static void probe_success_closes(void **state) {
    (void)state;
    vk_breaker b = opened_at(0);
    assert_int_equal(VK_BREAKER_ALLOW, vk_breaker_acquire(&b, OPEN));
    vk_breaker_success(&b, OPEN + 50);
    assert_int_equal(VK_BREAKER_CLOSED, b.state);
    assert_int_equal(VK_BREAKER_ALLOW, vk_breaker_acquire(&b, OPEN + 50));
    assert_int_equal(VK_BREAKER_ALLOW, vk_breaker_acquire(&b, OPEN + 50));
    /* and it takes N fresh failures to open again */
    for (int i = 0; i < N - 1; i++)
        vk_breaker_failure(&b, OPEN + 60);
    assert_int_equal(VK_BREAKER_CLOSED, b.state);
    vk_breaker_failure(&b, OPEN + 60);
    assert_int_equal(VK_BREAKER_OPEN, b.state);
    assert_int_equal(2, b.opened);
}

static void probe_failure_reopens_for_a_full_interval(void **state) {
    (void)state;
    vk_breaker b = opened_at(0);
    assert_int_equal(VK_BREAKER_ALLOW, vk_breaker_acquire(&b, OPEN));
    vk_breaker_failure(&b, OPEN + 3000); /* the probe timed out */
    assert_int_equal(VK_BREAKER_OPEN, b.state);
    assert_int_equal(OPEN + 3000, b.opened_at);
    assert_int_equal(VK_BREAKER_REJECT, vk_breaker_acquire(&b, OPEN + 3000 + OPEN - 1));
    assert_int_equal(VK_BREAKER_ALLOW, vk_breaker_acquire(&b, OPEN + 3000 + OPEN));
    assert_int_equal(VK_BREAKER_HALF_OPEN, b.state);
}

static void late_results_while_open_change_nothing(void **state) {
    (void)state;
    vk_breaker b = opened_at(0);
    vk_breaker_success(&b, 10); /* admitted before it opened */
    assert_int_equal(VK_BREAKER_OPEN, b.state);
    vk_breaker_failure(&b, 5000);
    assert_int_equal(VK_BREAKER_OPEN, b.state);
    assert_int_equal(0, b.opened_at); /* the probe is not pushed further away */
    assert_int_equal(VK_BREAKER_ALLOW, vk_breaker_acquire(&b, OPEN));
}

static void abandoned_probe_lets_another_go(void **state) {
    (void)state;
    vk_breaker b = opened_at(0);
    assert_int_equal(VK_BREAKER_ALLOW, vk_breaker_acquire(&b, OPEN));
    assert_int_equal(VK_BREAKER_WAIT, vk_breaker_acquire(&b, OPEN));
    vk_breaker_abandon(&b);
    assert_int_equal(VK_BREAKER_HALF_OPEN, b.state);
    assert_int_equal(VK_BREAKER_ALLOW, vk_breaker_acquire(&b, OPEN));
    assert_int_equal(VK_BREAKER_WAIT, vk_breaker_acquire(&b, OPEN));
    vk_breaker_abandon(&b); /* closed or open: nothing to give back */
    vk_breaker c;
    vk_breaker_init(&c, N, OPEN);
    vk_breaker_abandon(&c);
    assert_int_equal(VK_BREAKER_CLOSED, c.state);
}

static void disabled_breaker_never_opens(void **state) {
    (void)state;
    vk_breaker b;
    vk_breaker_init(&b, 0, OPEN);
    for (int i = 0; i < 1000; i++) {
        assert_int_equal(VK_BREAKER_ALLOW, vk_breaker_acquire(&b, i));
        vk_breaker_failure(&b, i);
    }
    assert_int_equal(VK_BREAKER_CLOSED, b.state);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(opens_after_n_consecutive_failures),
        cmocka_unit_test(success_resets_the_count),
        cmocka_unit_test(half_open_after_the_interval_sends_one_probe),
        cmocka_unit_test(probe_success_closes),
        cmocka_unit_test(probe_failure_reopens_for_a_full_interval),
        cmocka_unit_test(late_results_while_open_change_nothing),
        cmocka_unit_test(abandoned_probe_lets_another_go),
        cmocka_unit_test(disabled_breaker_never_opens),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
