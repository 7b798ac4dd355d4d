/*
 * test_evidence.c — the verdict table of lib/domain/vk_evidence.h, row by row, and the helpers that
 * turn a JKN participant or a Dukcapil answer into evidence.
 *
 * A source is written as a short code: NULL = not consulted; otherwise a status letter
 * (F found, N not found, U unavailable), and optionally ':' and one match per identity field
 * in the order name, birth_date, sex (Y yes, N no, ? unknown). The asked fields are a subset of
 * "nbs" (name, birth date, sex).
 */
#include "vk_evidence_from.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

static void source_from_code(const char *code, vk_evidence_source which, vk_evidence_src *out) {
    vk_evidence_status st = code[0] == 'F'   ? VK_EVIDENCE_FOUND
                            : code[0] == 'N' ? VK_EVIDENCE_NOT_FOUND
                                             : VK_EVIDENCE_UNAVAILABLE;
    vk_evidence_init(out, which, st, NULL);
    if (code[1] != ':')
        return;
    for (int f = 0; f < VK_IDENTITY_FIELDS && code[2 + f]; f++)
        out->field[f].match = code[2 + f] == 'Y'   ? VK_MATCH_YES
                              : code[2 + f] == 'N' ? VK_MATCH_NO
                                                   : VK_MATCH_UNKNOWN;
}

static vk_identity_change asked_from_code(const char *code) {
    vk_identity_change c = {NULL, false, 0, 0};
    if (strchr(code, 'n'))
        c.name = "SITI NURHALIZA";
    if (strchr(code, 'b')) {
        c.has_birth_date = true;
        c.birth_date = 5610;
    }
    if (strchr(code, 's'))
        c.sex = 'P';
    return c;
}

static void verdict_table(void **state) {
    (void)state;
    static const struct {
        const char *jkn, *dukcapil, *asked;
        vk_verdict want;
        const char *why;
    } rows[] = {
        /* 1: no identity field asked: no evidence needed, whatever the sources say */
        {NULL, NULL, "", VK_VERDICT_SUPPORTED, "contact/scheduling only"},
        {"F:NNN", "U", "", VK_VERDICT_SUPPORTED, "contact only, sources ignored"},
        /* 2: contradicted by a FOUND source */
        {"F:N??", NULL, "n", VK_VERDICT_CONTRADICTED, "JKN says no"},
        {"F:N??", "F:Y??", "n", VK_VERDICT_CONTRADICTED, "one no outweighs one yes"},
        {"F:YYY", "F:YYN", "nbs", VK_VERDICT_CONTRADICTED, "Dukcapil says no on sex"},
        {"U", "F:?N?", "b", VK_VERDICT_CONTRADICTED, "no even while the other is unavailable"},
        {"N", "F:Y?N", "ns", VK_VERDICT_CONTRADICTED, "no even when the other is not found"},
        /* 3: every asked field confirmed by a FOUND source */
        {"F:Y??", NULL, "n", VK_VERDICT_SUPPORTED, "JKN alone"},
        {"F:YYY", "F:YYY", "nbs", VK_VERDICT_SUPPORTED, "both agree"},
        {"F:Y??", "F:?Y?", "nb", VK_VERDICT_SUPPORTED, "fields confirmed by different sources"},
        {"F:YY?", "U", "nb", VK_VERDICT_SUPPORTED, "an unavailable source does not hold it up"},
        {"N", "F:YYY", "nbs", VK_VERDICT_SUPPORTED, "Dukcapil alone when JKN does not know"},
        {"F:YN?", NULL, "n", VK_VERDICT_SUPPORTED, "a no on a field not asked does not count"},
        {"N:NNN", "F:YYY", "nbs", VK_VERDICT_SUPPORTED, "matches of a NOT_FOUND source ignored"},
        /* 4a: unconfirmed and a source unavailable */
        {"F:Y??", "U", "nb", VK_VERDICT_UNAVAILABLE, "Dukcapil may confirm the birth date"},
        {"U", "N", "n", VK_VERDICT_UNAVAILABLE, "JKN down, Dukcapil does not know"},
        {"U", "U", "nbs", VK_VERDICT_UNAVAILABLE, "both down"},
        {"U", NULL, "s", VK_VERDICT_UNAVAILABLE, "JKN down, Dukcapil not connected"},
        {"U:YYY", NULL, "n", VK_VERDICT_UNAVAILABLE, "matches of an UNAVAILABLE source ignored"},
        {"F:???", "U:YYY", "n", VK_VERDICT_UNAVAILABLE, "idem, with the other found"},
        /* 4b: nothing consulted */
        {NULL, NULL, "n", VK_VERDICT_UNAVAILABLE, "no source configured"},
        /* 4c: every consulted source answered, a field stays unconfirmed */
        {"N", "N", "nbs", VK_VERDICT_NOT_FOUND, "neither knows the NIK"},
        {"N", NULL, "n", VK_VERDICT_NOT_FOUND, "JKN alone does not know it"},
        {NULL, "N", "b", VK_VERDICT_NOT_FOUND, "Dukcapil alone does not know it"},
        {"F:Y??", "N", "nb", VK_VERDICT_NOT_FOUND, "JKN has no birth date, Dukcapil no record"},
        {"F:???", NULL, "s", VK_VERDICT_NOT_FOUND, "JKN record without the field"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        vk_evidence_src j, d;
        if (rows[i].jkn)
            source_from_code(rows[i].jkn, VK_SOURCE_JKN, &j);
        if (rows[i].dukcapil)
            source_from_code(rows[i].dukcapil, VK_SOURCE_DUKCAPIL, &d);
        vk_identity_change asked = asked_from_code(rows[i].asked);
        vk_verdict got =
            vk_evidence_verdict(rows[i].jkn ? &j : NULL, rows[i].dukcapil ? &d : NULL, &asked);
        if (got != rows[i].want)
            fail_msg("row %zu (%s): jkn=%s dukcapil=%s asked=\"%s\": got %s, want %s", i,
                     rows[i].why, rows[i].jkn ? rows[i].jkn : "-",
                     rows[i].dukcapil ? rows[i].dukcapil : "-", rows[i].asked, vk_verdict_name(got),
                     vk_verdict_name(rows[i].want));
        /* the verdict does not depend on which source said what */
        if (rows[i].jkn && rows[i].dukcapil)
            assert_int_equal(got, vk_evidence_verdict(&d, &j, &asked));
    }
}

static void needs_evidence_only_for_identity_fields(void **state) {
    (void)state;
    vk_identity_change c = asked_from_code("");
    assert_false(vk_identity_needs_evidence(&c));
    c = asked_from_code("s");
    assert_true(vk_identity_needs_evidence(&c));
    assert_true(vk_identity_asks(&c, VK_FIELD_SEX));
    assert_false(vk_identity_asks(&c, VK_FIELD_NAME));
}

static vk_bpjs_participant participant(void) {
    vk_bpjs_participant p;
    memset(&p, 0, sizeof p);
    strcpy(p.nik, "3273025205850001");
    strcpy(p.name, "  siti   Nurhaliza ");
    p.sex = 'P';
    p.has_birth_date = true;
    p.birth_date = 5610; /* 1985-05-12 */
    return p;
}

static void jkn_fields_compare_normalized_name_and_exact_date_and_sex(void **state) {
    (void)state;
    vk_bpjs_participant p = participant();
    vk_identity_change asked = asked_from_code("nbs");
    vk_evidence_src e;
    vk_evidence_from_jkn(&p, &asked, "OK", &e);
    assert_int_equal(VK_SOURCE_JKN, e.source);
    assert_int_equal(VK_EVIDENCE_FOUND, e.status);
    assert_string_equal("OK", e.message);
    assert_int_equal(VK_MATCH_YES, e.field[VK_FIELD_NAME].match);
    assert_string_equal("  siti   Nurhaliza ", e.field[VK_FIELD_NAME].value); /* as JKN wrote */
    assert_int_equal(VK_MATCH_YES, e.field[VK_FIELD_BIRTH_DATE].match);
    assert_string_equal("1985-05-12", e.field[VK_FIELD_BIRTH_DATE].value);
    assert_int_equal(VK_MATCH_YES, e.field[VK_FIELD_SEX].match);
    assert_string_equal("P", e.field[VK_FIELD_SEX].value);
    assert_int_equal(-1, e.field[VK_FIELD_NAME].score);
    assert_int_equal(VK_VERDICT_SUPPORTED, vk_evidence_verdict(&e, NULL, &asked));

    asked.name = "SITI NURHALIZAH";
    asked.birth_date = 5611;
    asked.sex = 'L';
    vk_evidence_from_jkn(&p, &asked, NULL, &e);
    assert_int_equal(VK_MATCH_NO, e.field[VK_FIELD_NAME].match);
    assert_int_equal(VK_MATCH_NO, e.field[VK_FIELD_BIRTH_DATE].match);
    assert_int_equal(VK_MATCH_NO, e.field[VK_FIELD_SEX].match);
    assert_int_equal(VK_VERDICT_CONTRADICTED, vk_evidence_verdict(&e, NULL, &asked));
}

static void jkn_missing_values_are_unknown_and_unasked_fields_empty(void **state) {
    (void)state;
    vk_bpjs_participant p = participant();
    p.has_birth_date = false;
    p.sex = 0;
    strcpy(p.name, "SITI 2"); /* does not normalize (digit): cannot confirm */
    vk_identity_change asked = asked_from_code("nbs");
    vk_evidence_src e;
    vk_evidence_from_jkn(&p, &asked, NULL, &e);
    for (int f = 0; f < VK_IDENTITY_FIELDS; f++)
        assert_int_equal(VK_MATCH_UNKNOWN, e.field[f].match);
    assert_string_equal("", e.field[VK_FIELD_BIRTH_DATE].value);
    assert_string_equal("", e.field[VK_FIELD_SEX].value);
    assert_int_equal(VK_VERDICT_NOT_FOUND, vk_evidence_verdict(&e, NULL, &asked));

    p = participant();
    asked = asked_from_code("b");
    vk_evidence_from_jkn(&p, &asked, NULL, &e);
    assert_int_equal(VK_MATCH_UNKNOWN, e.field[VK_FIELD_NAME].match);
    assert_string_equal("", e.field[VK_FIELD_NAME].value); /* not asked: not recorded */
    assert_string_equal("", e.field[VK_FIELD_SEX].value);
    assert_int_equal(VK_MATCH_YES, e.field[VK_FIELD_BIRTH_DATE].match);
}

static void dukcapil_answer_becomes_evidence(void **state) {
    (void)state;
    const char *json = "{\"content\":[{\"NAMA_LGKP\":\"Sesuai (100)\","
                       "\"TGL_LHR\":\"Tidak Sesuai (40)\"}]}";
    vk_dukcapil_result r;
    char err[160];
    assert_int_equal(VK_DUKCAPIL_FOUND, vk_dukcapil_parse(json, strlen(json), &r, err, sizeof err));
    vk_identity_change asked = asked_from_code("nbs");
    vk_evidence_src e;
    vk_evidence_from_dukcapil(&r, &asked, &e);
    assert_int_equal(VK_SOURCE_DUKCAPIL, e.source);
    assert_int_equal(VK_EVIDENCE_FOUND, e.status);
    assert_int_equal(VK_MATCH_YES, e.field[VK_FIELD_NAME].match);
    assert_int_equal(100, e.field[VK_FIELD_NAME].score);
    assert_int_equal(VK_MATCH_NO, e.field[VK_FIELD_BIRTH_DATE].match);
    assert_int_equal(40, e.field[VK_FIELD_BIRTH_DATE].score);
    assert_int_equal(VK_MATCH_UNKNOWN, e.field[VK_FIELD_SEX].match); /* not in the answer */
    assert_int_equal(-1, e.field[VK_FIELD_SEX].score);
    assert_string_equal("", e.field[VK_FIELD_NAME].value);
    assert_int_equal(VK_VERDICT_CONTRADICTED, vk_evidence_verdict(NULL, &e, &asked));

    asked = asked_from_code("n"); /* the birth date is not asked: its "no" does not count */
    vk_evidence_from_dukcapil(&r, &asked, &e);
    assert_int_equal(VK_MATCH_UNKNOWN, e.field[VK_FIELD_BIRTH_DATE].match);
    assert_int_equal(VK_VERDICT_SUPPORTED, vk_evidence_verdict(NULL, &e, &asked));
}

static void avro_symbols(void **state) {
    (void)state;
    assert_string_equal("SUPPORTED", vk_verdict_name(VK_VERDICT_SUPPORTED));
    assert_string_equal("CONTRADICTED", vk_verdict_name(VK_VERDICT_CONTRADICTED));
    assert_string_equal("NOT_FOUND", vk_verdict_name(VK_VERDICT_NOT_FOUND));
    assert_string_equal("UNAVAILABLE", vk_verdict_name(VK_VERDICT_UNAVAILABLE));
    assert_string_equal("FOUND", vk_evidence_status_name(VK_EVIDENCE_FOUND));
    assert_string_equal("NOT_FOUND", vk_evidence_status_name(VK_EVIDENCE_NOT_FOUND));
    assert_string_equal("UNAVAILABLE", vk_evidence_status_name(VK_EVIDENCE_UNAVAILABLE));
    assert_string_equal("JKN", vk_evidence_source_name(VK_SOURCE_JKN));
    assert_string_equal("DUKCAPIL", vk_evidence_source_name(VK_SOURCE_DUKCAPIL));
    assert_string_equal("name", vk_identity_field_name(VK_FIELD_NAME));
    assert_string_equal("birth_date", vk_identity_field_name(VK_FIELD_BIRTH_DATE));
    assert_string_equal("sex", vk_identity_field_name(VK_FIELD_SEX));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(verdict_table),
        cmocka_unit_test(needs_evidence_only_for_identity_fields),
        cmocka_unit_test(jkn_fields_compare_normalized_name_and_exact_date_and_sex),
        cmocka_unit_test(jkn_missing_values_are_unknown_and_unasked_fields_empty),
        cmocka_unit_test(dukcapil_answer_becomes_evidence),
        cmocka_unit_test(avro_symbols),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
