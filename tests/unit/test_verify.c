/* test_verify.c — the verification rule (vk_verify_apply), check by check. */
#include "vk_verify.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

/* NIK 3273025205850001: a woman born 1985-05-12 (day 5610). */
#define NIK "3273025205850001"

static vk_target sample(void) {
    vk_target t;
    memset(&t, 0, sizeof t);
    strcpy(t.nik, NIK);
    strcpy(t.ticket, "ABCDEFGHJKMNPQRS5");
    strcpy(t.name, "SITI NURHALIZA");
    t.birth_date = 5611; /* one day off the NIK: flagged at import */
    t.sex = 'P';
    strcpy(t.phone, "+6281234567890");
    strcpy(t.facility_code, "P3273020201");
    strcpy(t.origin, "SISDMK");
    strcpy(t.flags, "NIK_BIRTH_DATE_MISMATCH,IMPORT_NOTE");
    return t;
}

static vk_verify_request correction(vk_verdict verdict) {
    vk_verify_request r;
    memset(&r, 0, sizeof r);
    r.nik = NIK;
    r.verdict = verdict;
    r.changes.has_birth_date = true;
    r.changes.birth_date = 5610;
    return r;
}

typedef struct result {
    vk_verify_outcome out;
    vk_target t;
    vk_field_change ch[VK_CHANGE_FIELDS];
    int n;
    char code[32], reason[512];
} result;

static result run(const vk_target *cur, const char *served, const vk_verify_request *r) {
    result x;
    memset(&x, 0, sizeof x);
    x.out = vk_verify_apply(cur, served, r, &x.t, x.ch, &x.n, x.code, sizeof x.code, x.reason,
                            sizeof x.reason);
    return x;
}

static void served_target_is_refused_whatever_the_evidence(void **state) {
    (void)state;
    vk_target t = sample();
    vk_verify_request r = correction(VK_VERDICT_SUPPORTED);
    result x = run(&t, "registered for dose 1 at P3273020201 on 2021-03-01", &r);
    assert_int_equal(x.out, VK_VERIFY_REJECTED);
    assert_string_equal(x.code, "ALREADY_SERVED");
    assert_non_null(strstr(x.reason, "registered for dose 1 at P3273020201 on 2021-03-01"));
    /* the request is still listed against what the target held */
    assert_int_equal(x.n, 1);
    assert_string_equal(x.ch[0].field, "birth_date");
    assert_string_equal(x.ch[0].old_value, "1985-05-13");
    assert_string_equal(x.ch[0].new_value, "1985-05-12");
    /* and a served target is refused even while the sources are down */
    r.verdict = VK_VERDICT_UNAVAILABLE;
    assert_int_equal(run(&t, "screened", &r).out, VK_VERIFY_REJECTED);
}

static void correction_needs_a_target_and_addition_none(void **state) {
    (void)state;
    vk_target t = sample();
    vk_verify_request r = correction(VK_VERDICT_SUPPORTED);
    result x = run(NULL, NULL, &r);
    assert_int_equal(x.out, VK_VERIFY_REJECTED);
    assert_string_equal(x.code, "NO_TARGET");
    assert_string_equal(x.ch[0].old_value, "");
    r.addition = true;
    r.ticket = "ZZZZZZZZZZZZZZZZ0";
    r.changes.name = "SITI";
    x = run(&t, NULL, &r);
    assert_int_equal(x.out, VK_VERIFY_REJECTED);
    assert_string_equal(x.code, "TARGET_EXISTS");
    assert_non_null(strstr(x.reason, "ABCDEFGHJKMNPQRS5"));
}

static void verdicts_other_than_supported(void **state) {
    (void)state;
    vk_target t = sample();
    vk_verify_request r = correction(VK_VERDICT_UNAVAILABLE);
    r.evidence_words = "JKN: unavailable (timeout)";
    result x = run(&t, NULL, &r);
    assert_int_equal(x.out, VK_VERIFY_PENDING);
    assert_string_equal(x.code, "SOURCES_UNAVAILABLE");
    assert_non_null(strstr(x.reason, "JKN: unavailable (timeout)"));
    r.verdict = VK_VERDICT_CONTRADICTED;
    r.evidence_words = "Dukcapil: birth_date Tidak Sesuai (0)";
    x = run(&t, NULL, &r);
    assert_int_equal(x.out, VK_VERIFY_REJECTED);
    assert_string_equal(x.code, "CONTRADICTED");
    assert_non_null(strstr(x.reason, "Dukcapil: birth_date Tidak Sesuai (0)"));
    r.verdict = VK_VERDICT_NOT_FOUND;
    r.evidence_words = NULL;
    x = run(&t, NULL, &r);
    assert_int_equal(x.out, VK_VERIFY_REJECTED);
    assert_string_equal(x.code, "NOT_CONFIRMED");
}

static void supported_correction_changes_only_its_fields(void **state) {
    (void)state;
    vk_target t = sample();
    vk_verify_request r = correction(VK_VERDICT_SUPPORTED);
    r.changes.phone = "+6281111111111";
    result x = run(&t, NULL, &r);
    assert_int_equal(x.out, VK_VERIFY_APPLIED);
    assert_int_equal(x.t.birth_date, 5610);
    assert_string_equal(x.t.phone, "+6281111111111");
    assert_string_equal(x.t.name, "SITI NURHALIZA");
    assert_string_equal(x.t.ticket, "ABCDEFGHJKMNPQRS5");
    assert_string_equal(x.t.origin, "SISDMK");
    assert_string_equal(x.t.facility_code, "P3273020201");
    /* the mismatch is fixed; the unrelated flag stays */
    assert_string_equal(x.t.flags, "IMPORT_NOTE");
    assert_int_equal(x.n, 2);
    assert_string_equal(x.ch[1].field, "phone");
    assert_string_equal(x.ch[1].old_value, "+6281234567890");
    assert_string_equal(x.ch[1].new_value, "+6281111111111");
}

static void correction_can_also_introduce_a_flag(void **state) {
    (void)state;
    vk_target t = sample();
    strcpy(t.flags, "");
    t.birth_date = 5610;
    vk_verify_request r = correction(VK_VERDICT_SUPPORTED);
    r.changes.has_birth_date = false;
    r.changes.sex = 'L'; /* the NIK says P: confirmed by the sources, but still flagged */
    result x = run(&t, NULL, &r);
    assert_int_equal(x.out, VK_VERIFY_APPLIED);
    assert_int_equal(x.t.sex, 'L');
    assert_string_equal(x.t.flags, "NIK_SEX_MISMATCH");
    assert_string_equal(x.ch[0].old_value, "P");
    assert_string_equal(x.ch[0].new_value, "L");
}

static void supported_addition_creates_the_target(void **state) {
    (void)state;
    vk_verify_request r;
    memset(&r, 0, sizeof r);
    r.addition = true;
    r.nik = NIK;
    r.ticket = "ZZZZZZZZZZZZZZZZ0";
    r.verdict = VK_VERDICT_SUPPORTED;
    r.changes.name = "SITI NURHALIZA";
    r.changes.has_birth_date = true;
    r.changes.birth_date = 5610;
    r.changes.sex = 'P';
    r.changes.has_scheduled_date = true;
    r.changes.scheduled_date = 18687;
    result x = run(NULL, NULL, &r);
    assert_int_equal(x.out, VK_VERIFY_APPLIED);
    assert_string_equal(x.t.nik, NIK);
    assert_string_equal(x.t.ticket, "ZZZZZZZZZZZZZZZZ0");
    assert_string_equal(x.t.origin, "VERIFICATION");
    assert_string_equal(x.t.flags, "");
    assert_true(x.t.has_scheduled_date);
    assert_int_equal(x.n, 4);
    assert_string_equal(x.ch[3].field, "scheduled_date");
    assert_string_equal(x.ch[3].old_value, "");
    assert_string_equal(x.ch[3].new_value, "2021-03-01");
    /* without a birth date there is no target to make */
    r.changes.has_birth_date = false;
    x = run(NULL, NULL, &r);
    assert_int_equal(x.out, VK_VERIFY_REJECTED);
    assert_string_equal(x.code, "INCOMPLETE_ADDITION");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(served_target_is_refused_whatever_the_evidence),
        cmocka_unit_test(correction_needs_a_target_and_addition_none),
        cmocka_unit_test(verdicts_other_than_supported),
        cmocka_unit_test(supported_correction_changes_only_its_fields),
        cmocka_unit_test(correction_can_also_introduce_a_flag),
        cmocka_unit_test(supported_addition_creates_the_target),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
