/* test_access.c — the Dinkes access rules (vk_access_apply). */
#include "vk_access.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

static vk_access_event grant(const char *facility, const char *district) {
    return (vk_access_event){"e1", VK_ACCESS_GRANT, "dinkes.bandung", "officer.1", facility,
                             district,  "VERIFIER",  1612137600000LL, false, 0};
}

static vk_grant active_grant(const char *facility, const char *district) {
    vk_grant g;
    memset(&g, 0, sizeof g);
    strcpy(g.grant_event_id, "e0");
    strcpy(g.user_id, "officer.1");
    strcpy(g.facility_code, facility);
    strcpy(g.district_code, district);
    strcpy(g.role, "VERIFIER");
    return g;
}

static void expect(vk_access_outcome want, const char *want_code, const vk_grant *active,
                   size_t n, const vk_access_event *e, const char *district, int want_replaced) {
    char code[32], reason[256];
    int replaced;
    assert_int_equal(want,
                     vk_access_apply(active, n, e, district, &replaced, code, sizeof code, reason,
                                     sizeof reason));
    assert_string_equal(want_code, code);
    assert_int_equal(want_replaced, replaced);
    if (want == VK_ACCESS_REFUSED)
        assert_true(strlen(reason) > 20);
}

static void grants_within_own_district(void **state) {
    (void)state;
    vk_access_event e = grant("P3273020201", "3273");
    expect(VK_ACCESS_APPLIED, "", NULL, 0, &e, "3273", -1);
}

static void refuses_grant_outside_district(void **state) {
    (void)state;
    vk_access_event e = grant("P3204020201", "3273");
    expect(VK_ACCESS_REFUSED, "GRANT_OUTSIDE_DISTRICT", NULL, 0, &e, "3204", -1);
}

static void refuses_unknown_facility_missing_actor_bad_district(void **state) {
    (void)state;
    vk_access_event e = grant("CLINIC-9", "3273");
    expect(VK_ACCESS_REFUSED, "UNKNOWN_FACILITY", NULL, 0, &e, NULL, -1);
    e = grant("P3273020201", "3273");
    e.actor = NULL;
    expect(VK_ACCESS_REFUSED, "MISSING_ACTOR", NULL, 0, &e, "3273", -1);
    e = grant("P3273020201", "32");
    expect(VK_ACCESS_REFUSED, "INVALID_DISTRICT", NULL, 0, &e, "3273", -1);
}

/* Times the read model could not hold, or a grant that ends before it begins. */
static void refuses_implausible_times(void **state) {
    (void)state;
    vk_access_event e = grant("P3273020201", "3273");
    e.occurred_at = -300000000000000LL; /* year -7537 */
    expect(VK_ACCESS_REFUSED, "INVALID_TIME", NULL, 0, &e, "3273", -1);
    e.occurred_at = 1577836800000LL - 1; /* 2019-12-31T23:59:59.999Z */
    expect(VK_ACCESS_REFUSED, "INVALID_TIME", NULL, 0, &e, "3273", -1);
    e.occurred_at = 1577836800000LL;
    expect(VK_ACCESS_APPLIED, "", NULL, 0, &e, "3273", -1);
    e = grant("P3273020201", "3273");
    e.has_valid_until = true;
    e.valid_until = e.occurred_at;
    expect(VK_ACCESS_REFUSED, "INVALID_VALID_UNTIL", NULL, 0, &e, "3273", -1);
    e.valid_until = e.occurred_at + 1;
    expect(VK_ACCESS_APPLIED, "", NULL, 0, &e, "3273", -1);
}

static void regrant_supersedes_and_revoke_needs_same_district(void **state) {
    (void)state;
    vk_grant g[2] = {active_grant("P3273010101", "3273"), active_grant("P3273020201", "3273")};
    vk_access_event e = grant("P3273020201", "3273");
    expect(VK_ACCESS_APPLIED, "", g, 2, &e, "3273", 1);
    e.action = VK_ACCESS_REVOKE;
    expect(VK_ACCESS_APPLIED, "", g, 2, &e, NULL, 1);
    e.district_code = "3204";
    expect(VK_ACCESS_REFUSED, "REVOKE_OUTSIDE_DISTRICT", g, 2, &e, NULL, -1);
    g[1].revoked = true;
    e.district_code = "3273";
    expect(VK_ACCESS_REFUSED, "NO_ACTIVE_GRANT", g, 2, &e, NULL, -1);
}

static void facility_district_pattern(void **state) {
    (void)state;
    char d[5];
    assert_true(vk_facility_district_by_pattern("P3273020201", d));
    assert_string_equal("3273", d);
    assert_true(vk_facility_district_by_pattern("3273015", d));
    assert_string_equal("3273", d);
    assert_false(vk_facility_district_by_pattern("0401B001", d));
    assert_false(vk_facility_district_by_pattern("P327302020", d));
    assert_string_equal("", d);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(grants_within_own_district),
        cmocka_unit_test(refuses_grant_outside_district),
        cmocka_unit_test(refuses_unknown_facility_missing_actor_bad_district),
        cmocka_unit_test(refuses_implausible_times),
        cmocka_unit_test(regrant_supersedes_and_revoke_needs_same_district),
        cmocka_unit_test(facility_district_pattern),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
