/* test_facility.c — the facility reference table in memory (vk_facility): the one reader of the
 * CSV (the projector writes what it parsed into the facility table), and a facility's kab/kota
 * from the table or the Kemenkes pattern. */
#include "vk_facility.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

static vk_facility_map *load(const char *csv, int want_rc, const char *want_err) {
    char err[400] = "";
    vk_facility_map *m = vk_facility_map_new();
    assert_non_null(m);
    assert_int_equal(want_rc, vk_facility_map_load_csv(m, csv, strlen(csv), err, sizeof err));
    if (want_err && !strstr(err, want_err))
        fail_msg("error \"%s\" lacks \"%s\"", err, want_err);
    return m;
}

static void table_then_pattern(void **state) {
    (void)state;
    char buf[5];
    vk_facility_map *m = load("\xEF\xBB\xBF"
                              "code,name,kind,district\r\n"
                              " 0901B001 ,\"KLINIK PRATAMA, TEBET\",KLINIK, 3171 \r\n"
                              "P3273020201,PUSKESMAS X,PUSKESMAS,3204\r\n"
                              "\r\n",
                              0, NULL);
    assert_int_equal(2, vk_facility_map_count(m));
    assert_string_equal("3171", vk_facility_district(m, "0901B001", buf));
    /* The table wins over the pattern (it covers codes the pattern would misread). */
    assert_string_equal("3204", vk_facility_district(m, "P3273020201", buf));
    assert_string_equal("3273", vk_facility_district(m, "P3273010101", buf));
    assert_string_equal("3171", vk_facility_district(m, "3171011", buf));
    assert_null(vk_facility_district(m, "CLINIC-X", buf));
    assert_null(vk_facility_district(m, "0901b001", buf)); /* codes as listed, not folded */
    assert_string_equal("3273", vk_facility_district(NULL, "P3273010101", buf));
    /* Each row whole, trimmed, in the order of the file (what the projector writes). */
    const vk_facility *f = vk_facility_map_at(m, 0);
    assert_string_equal(f->code, "0901B001");
    assert_string_equal(f->name, "KLINIK PRATAMA, TEBET");
    assert_string_equal(f->kind, "KLINIK");
    assert_string_equal(f->district, "3171");
    assert_string_equal(vk_facility_map_at(m, 1)->code, "P3273020201");
    vk_facility_map_destroy(m);
}

static void refuses_bad_tables(void **state) {
    (void)state;
    vk_facility_map_destroy(load("code,name,kind,district\nK1,A,KLINIK,317\n", -1, "line 2"));
    vk_facility_map_destroy(
        load("code,name,kind,district\nK1,A,KLINIK,31A1\n", -1, "not a 4-digit kab/kota"));
    vk_facility_map_destroy(
        load("code,name,kind,district\nK1,A,KLINIK,3171\nK1,B,KLINIK,3171\n", -1, "listed twice"));
    vk_facility_map_destroy(load("code,name,kind,district\nK1,A,3171\n", -1, "3 columns"));
    vk_facility_map_destroy(load("code,name,kind,district\n,A,KLINIK,3171\n", -1, "empty"));
    vk_facility_map_destroy(
        load("code,name,kind,district\nK1, ,KLINIK,3171\n", -1, "name is empty"));
    vk_facility_map_destroy(load("code,name,kind,district\nK1,A,,3171\n", -1, "kind is empty"));
    vk_facility_map_destroy(load("code,name,kind,district\n", 0, NULL)); /* header only */
}

static void loads_the_shipped_table(void **state) {
    (void)state;
    char err[400], buf[5];
    vk_facility_map *m = vk_facility_map_new();
    assert_non_null(m);
    if (vk_facility_map_load_file(m, "config/facilities.csv", err, sizeof err))
        fail_msg("%s", err);
    assert_true(vk_facility_map_count(m) > 100);
    assert_string_equal("3171", vk_facility_district(m, "0901B001", buf));
    assert_int_equal(-1, vk_facility_map_load_file(m, "no/such/file.csv", err, sizeof err));
    assert_non_null(strstr(err, "no/such/file.csv"));
    vk_facility_map_destroy(m);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(table_then_pattern),
        cmocka_unit_test(refuses_bad_tables),
        cmocka_unit_test(loads_the_shipped_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
