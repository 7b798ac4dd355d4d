/*
 * test_cache.c — the bounded TTL cache (lib/base/vk_cache.c): hits and misses, replacement,
 * expiry at exactly the TTL, least-recently-used eviction at the bound (a get refreshes),
 * a zero-sized cache, and a bound held under many keys. That errors are never cached is the
 * caller's rule, tested with the lookup worker (test_lookup_handler.c).
 */
#include "vk_cache.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#define TTL 600000

static const char *get_str(vk_cache *c, const char *key, int64_t now) {
    size_t len = 0;
    const char *v = vk_cache_get(c, key, now, &len);
    if (v)
        assert_int_equal(strlen(v) + 1, len);
    return v;
}

static void put_str(vk_cache *c, const char *key, const char *v, int64_t now) {
    assert_int_equal(0, vk_cache_put(c, key, v, strlen(v) + 1, now));
}

static void hit_and_miss(void **state) {
    (void)state;
    vk_cache *c = vk_cache_new(10, TTL);
    assert_null(get_str(c, "JKN|3273025205850001", 0));
    put_str(c, "JKN|3273025205850001", "found", 0);
    assert_string_equal("found", get_str(c, "JKN|3273025205850001", 1));
    assert_null(get_str(c, "DUKCAPIL|3273025205850001", 1)); /* another source, another key */
    put_str(c, "JKN|3273025205850001", "replaced", 2);
    assert_string_equal("replaced", get_str(c, "JKN|3273025205850001", 3));
    vk_cache_stats s;
    vk_cache_stats_get(c, &s);
    assert_int_equal(2, s.hits);
    assert_int_equal(2, s.misses);
    assert_int_equal(1, s.entries);
    vk_cache_destroy(c);
}

static void entries_expire_at_the_ttl(void **state) {
    (void)state;
    vk_cache *c = vk_cache_new(10, TTL);
    put_str(c, "k", "v", 1000);
    assert_non_null(get_str(c, "k", 1000 + TTL - 1));
    assert_null(get_str(c, "k", 1000 + TTL));
    vk_cache_stats s;
    vk_cache_stats_get(c, &s);
    assert_int_equal(1, s.expired);
    assert_int_equal(0, s.entries); /* removed, not just hidden */
    /* a get does not extend the life of an entry: the TTL counts from the put */
    put_str(c, "k", "v2", 2000);
    assert_non_null(get_str(c, "k", 2000 + TTL / 2));
    assert_null(get_str(c, "k", 2000 + TTL));
    vk_cache_destroy(c);
}

static void evicts_least_recently_used_at_the_bound(void **state) {
    (void)state;
    vk_cache *c = vk_cache_new(3, TTL);
    put_str(c, "a", "1", 0);
    put_str(c, "b", "2", 1);
    put_str(c, "c", "3", 2);
    assert_non_null(get_str(c, "a", 3)); /* a is now the most recent; b the least */
    put_str(c, "d", "4", 4);
    assert_null(get_str(c, "b", 5));
    assert_string_equal("1", get_str(c, "a", 5));
    assert_string_equal("3", get_str(c, "c", 5));
    assert_string_equal("4", get_str(c, "d", 5));
    vk_cache_stats s;
    vk_cache_stats_get(c, &s);
    assert_int_equal(1, s.evicted);
    assert_int_equal(3, s.entries);
    /* replacing an entry at the bound evicts nothing */
    put_str(c, "a", "1b", 6);
    vk_cache_stats_get(c, &s);
    assert_int_equal(1, s.evicted);
    assert_int_equal(3, s.entries);
    vk_cache_destroy(c);
}

static void bound_holds_under_many_keys(void **state) {
    (void)state;
    vk_cache *c = vk_cache_new(100, TTL);
    char key[32], val[32];
    for (int i = 0; i < 10000; i++) {
        snprintf(key, sizeof key, "key-%d", i);
        snprintf(val, sizeof val, "value-%d", i);
        put_str(c, key, val, i);
    }
    vk_cache_stats s;
    vk_cache_stats_get(c, &s);
    assert_int_equal(100, s.entries);
    assert_int_equal(9900, s.evicted);
    for (int i = 9900; i < 10000; i++) { /* the last 100 are all there */
        snprintf(key, sizeof key, "key-%d", i);
        snprintf(val, sizeof val, "value-%d", i);
        assert_string_equal(val, get_str(c, key, 10000));
    }
    assert_null(get_str(c, "key-9899", 10000));
    vk_cache_destroy(c);
}

static void zero_sized_cache_caches_nothing(void **state) {
    (void)state;
    vk_cache *c = vk_cache_new(0, TTL);
    put_str(c, "k", "v", 0);
    assert_null(get_str(c, "k", 0));
    vk_cache_destroy(c);
    vk_cache_destroy(NULL);
}

static void values_are_copied(void **state) {
    (void)state;
    vk_cache *c = vk_cache_new(4, TTL);
    char buf[8] = "abc";
    put_str(c, "k", buf, 0);
    buf[0] = 'X';
    assert_string_equal("abc", get_str(c, "k", 0));
    int64_t bin[2] = {-1, 42};
    assert_int_equal(0, vk_cache_put(c, "bin", bin, sizeof bin, 0));
    size_t len = 0;
    const int64_t *got = vk_cache_get(c, "bin", 0, &len);
    assert_int_equal(sizeof bin, len);
    assert_int_equal(42, got[1]);
    vk_cache_destroy(c);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(hit_and_miss),
        cmocka_unit_test(entries_expire_at_the_ttl),
        cmocka_unit_test(evicts_least_recently_used_at_the_bound),
        cmocka_unit_test(bound_holds_under_many_keys),
        cmocka_unit_test(zero_sized_cache_caches_nothing),
        cmocka_unit_test(values_are_copied),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
