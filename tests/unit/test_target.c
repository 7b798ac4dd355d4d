/* test_target.c — the re-import rule (vk_target_apply_ticket) and log masking. */
#include "vk_log.h"
#include "vk_target.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

static vk_target sample(void) {
    vk_target t;
    memset(&t, 0, sizeof t);
    strcpy(t.nik, "3273025205850001");
    strcpy(t.ticket, "ABCDEFGHJKMNPQRS5");
    strcpy(t.name, "SITI NURHALIZA");
    t.birth_date = 5610;
    t.sex = 'P';
    strcpy(t.phone, "+6281234567890");
    strcpy(t.origin, "SISDMK");
    return t;
}

static void new_target_is_created(void **state) {
    (void)state;
    vk_target t = sample();
    char reason[256];
    assert_int_equal(VK_TICKET_CREATED, vk_target_apply_ticket(NULL, &t, reason, sizeof reason));
}

static void identical_reimport_changes_nothing(void **state) {
    (void)state;
    vk_target a = sample(), b = sample();
    char reason[256];
    strcpy(b.origin, "EXCEL"); /* where it came from does not matter */
    strcpy(b.flags, "NIK_SEX_MISMATCH");
    assert_int_equal(VK_TICKET_UNCHANGED, vk_target_apply_ticket(&a, &b, reason, sizeof reason));
}

static void differing_reimport_is_a_conflict_naming_each_field(void **state) {
    (void)state;
    vk_target a = sample(), b = sample();
    char reason[512];
    strcpy(b.phone, "+6285700000000");
    b.has_scheduled_date = true;
    b.scheduled_date = 18660;
    assert_int_equal(VK_TICKET_CONFLICT, vk_target_apply_ticket(&a, &b, reason, sizeof reason));
    assert_non_null(strstr(reason, "phone: \"+6281234567890\" → \"+6285700000000\""));
    assert_non_null(strstr(reason, "scheduled_date: \"(none)\" → \"2021-02-02\""));
    assert_null(strstr(reason, "name"));
}

static void masks_niks(void **state) {
    (void)state;
    char out[128];
    vk_mask_niks("nik=3273025205850001 phone=081234567890 id=12345678901234567", out, sizeof out);
    assert_string_equal("nik=327302******0001 phone=081234567890 id=12345678901234567", out);
}

static void quotes_log_values(void **state) {
    (void)state;
    char out[64];
    assert_string_equal("name: \\\"A\\\"\\n", vk_log_quote("name: \"A\"\n", out, sizeof out));
    assert_string_equal("ab", vk_log_quote("abc", out, 3));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(new_target_is_created),
        cmocka_unit_test(identical_reimport_changes_nothing),
        cmocka_unit_test(differing_reimport_is_a_conflict_naming_each_field),
        cmocka_unit_test(masks_niks),
        cmocka_unit_test(quotes_log_values),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
