/*
 * test_catalog.c — the vaccine catalog and screening limits (lib/domain/vk_catalog.c).
 *
 * The defaults are compared with config/vaccines.csv (tests run from the repository root), so
 * the two cannot drift apart. Every refusal of a bad file is checked by its exact message: the
 * file, the line and the problem are what an operator fixing the file needs.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "vk_catalog.h"
#include "vk_dose.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/** A temporary file holding @p text; its path in @p path (PATH_LEN). */
#define PATH_LEN 64
static void write_tmp(const char *text, char path[PATH_LEN]) {
    snprintf(path, PATH_LEN, "/tmp/vk_catalog_XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    size_t len = strlen(text);
    assert_int_equal((ssize_t)len, write(fd, text, len));
    close(fd);
}

/** Loads @p text; on failure checks that the catalog was left empty and returns the error
 *  with the temporary path replaced by "F". */
static int load_text(const char *text, vk_catalog *cat, char *err, size_t errlen) {
    char path[PATH_LEN], raw[512] = "";
    write_tmp(text, path);
    int rc = vk_catalog_load(cat, path, raw, sizeof raw);
    unlink(path);
    if (rc != 0) {
        assert_null(cat->vaccines);
        assert_int_equal(0, cat->n);
        size_t plen = strlen(path);
        assert_memory_equal(path, raw, plen);
        snprintf(err, errlen, "F%s", raw + plen);
    }
    return rc;
}

static void expect_load_error(const char *text, const char *expected) {
    vk_catalog cat;
    char err[512];
    assert_int_equal(-1, load_text(text, &cat, err, sizeof err));
    assert_string_equal(expected, err);
}

#define HEADER "code,name,doses,min_interval_days\n"

static void defaults_equal_the_config_file(void **state) {
    (void)state;
    vk_catalog def, file;
    char err[256] = "";
    assert_int_equal(0, vk_catalog_defaults(&def));
    int rc = vk_catalog_load(&file, "config/vaccines.csv", err, sizeof err);
    assert_string_equal("", err);
    assert_int_equal(0, rc);
    assert_int_equal(11, def.n);
    assert_int_equal(def.n, file.n);
    for (size_t i = 0; i < def.n; i++) {
        assert_string_equal(def.vaccines[i].code, file.vaccines[i].code);
        assert_string_equal(def.vaccines[i].name, file.vaccines[i].name);
        assert_int_equal(def.vaccines[i].doses, file.vaccines[i].doses);
        assert_int_equal(def.vaccines[i].min_interval_days, file.vaccines[i].min_interval_days);
    }
    assert_true(def.limits.max_temperature_c == 37.5);
    assert_int_equal(180, def.limits.max_systolic);
    assert_int_equal(110, def.limits.max_diastolic);
    assert_memory_equal(&def.limits, &file.limits, sizeof def.limits);
    vk_catalog_free(&def);
    vk_catalog_free(&file);
    assert_null(def.vaccines);
    vk_catalog_free(&def); /* harmless twice */
}

static void defaults_hold_the_contract_codes(void **state) {
    (void)state;
    vk_catalog cat;
    assert_int_equal(0, vk_catalog_defaults(&cat));
    static const struct {
        const char *code;
        int doses, days;
    } want[] = {{"CORONAVAC", 2, 28}, {"BIOFARMA", 2, 28},  {"ASTRAZENECA", 2, 84},
                {"PFIZER", 2, 21},    {"MODERNA", 2, 28},   {"SINOPHARM", 2, 21},
                {"NOVAVAX", 2, 21},   {"SPUTNIK_V", 2, 21}, {"JANSSEN", 1, 0},
                {"CONVIDECIA", 1, 0}, {"ZIFIVAX", 3, 30}};
    for (size_t i = 0; i < sizeof want / sizeof *want; i++) {
        const vk_vaccine *v = vk_catalog_find(&cat, want[i].code);
        assert_non_null(v);
        assert_int_equal(want[i].doses, v->doses);
        assert_int_equal(want[i].days, v->min_interval_days);
    }
    assert_string_equal("Janssen COVID-19 Vaccine (Johnson & Johnson)",
                        vk_catalog_find(&cat, "JANSSEN")->name);
    assert_null(vk_catalog_find(&cat, "coronavac")); /* codes are exact */
    assert_null(vk_catalog_find(&cat, "XYZ"));
    assert_null(vk_catalog_find(&cat, NULL));
    assert_null(vk_catalog_find(NULL, "CORONAVAC"));
    vk_catalog_free(&cat);
}

static void loads_quoted_names_any_column_order_bom_and_crlf(void **state) {
    (void)state;
    vk_catalog cat;
    char err[512] = "";
    const char *text = "\xEF\xBB\xBF"
                       " Doses ,CODE,min_interval_days,name\r\n"
                       "2, CORONAVAC ,28,\"CoronaVac, Sinovac\"\r\n"
                       "\r\n"
                       "1,JANSSEN,0,Janssen (J&J)\r\n"
                       "3,ZIFIVAX,30,\"Zifivax \"\"ZF2001\"\"\""; /* no final line end */
    assert_int_equal(0, load_text(text, &cat, err, sizeof err));
    assert_int_equal(3, cat.n);
    assert_string_equal("CORONAVAC", cat.vaccines[0].code);
    assert_string_equal("CoronaVac, Sinovac", cat.vaccines[0].name);
    assert_int_equal(2, cat.vaccines[0].doses);
    assert_int_equal(28, cat.vaccines[0].min_interval_days);
    assert_string_equal("Janssen (J&J)", cat.vaccines[1].name);
    assert_string_equal("Zifivax \"ZF2001\"", cat.vaccines[2].name);
    assert_int_equal(3, cat.vaccines[2].doses);
    assert_true(cat.limits.max_temperature_c == 37.5); /* limits: the defaults */
    vk_catalog_free(&cat);
}

static void refuses_bad_headers(void **state) {
    (void)state;
    expect_load_error("", "F: empty file (expected the header code,name,doses,min_interval_days)");
    expect_load_error("\n\n",
                      "F: empty file (expected the header code,name,doses,min_interval_days)");
    expect_load_error(HEADER, "F: no vaccines after the header");
    expect_load_error("code,name,doses\nA,B,1\n",
                      "F:1: no min_interval_days column in the header (expected "
                      "code,name,doses,min_interval_days)");
    expect_load_error("code,name,doses,interval\n",
                      "F:1: unknown column \"interval\" in the header (expected "
                      "code,name,doses,min_interval_days)");
    expect_load_error("code,name,doses,min_interval_days,Code\n",
                      "F:1: column code appears twice in the header");
    expect_load_error("code,\"name\n",
                      "F:1: malformed CSV: quoted field not closed at the end of the input");
}

static void refuses_bad_rows_naming_the_line(void **state) {
    (void)state;
    expect_load_error(HEADER "A,Alpha,2,28\n\nB,Beta,2\n", "F:4: 3 fields, expected 4 "
                                                           "(code,name,doses,min_interval_days)");
    expect_load_error(HEADER "A,Alpha,2,28,\n",
                      "F:2: 5 fields, expected 4 (code,name,doses,min_interval_days)");
    expect_load_error(HEADER ",Alpha,2,28\n", "F:2: empty vaccine code");
    expect_load_error(HEADER "CoronaVac,CoronaVac,2,28\n",
                      "F:2: vaccine code \"CoronaVac\": only upper-case letters, digits and '_' "
                      "are allowed");
    expect_load_error(HEADER "SPUTNIK V,Sputnik,2,21\n",
                      "F:2: vaccine code \"SPUTNIK V\": only upper-case letters, digits and '_' "
                      "are allowed");
    expect_load_error(HEADER "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456,X,1,0\n",
                      "F:2: vaccine code \"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456\" is longer than 31 "
                      "characters");
    expect_load_error(HEADER "A,Alpha,2,28\n\"B\",Beta,2,28\nA,Again,2,28\n",
                      "F:4: vaccine code A appears twice (already on line 2)");
    expect_load_error(HEADER "A,  ,2,28\n", "F:2: empty vaccine name");
    expect_load_error(HEADER "A,\"Two\nlines\",2,28\n",
                      "F:2: vaccine name holds a line break or control character");
    expect_load_error(HEADER
                      "A,"
                      "0123456789012345678901234567890123456789012345678901234567890123456789"
                      "01234567890123456789012345,2,28\n",
                      "F:2: vaccine name is longer than 95 bytes");
    expect_load_error(HEADER "A,Alpha,two,28\n", "F:2: doses \"two\" is not a whole number");
    expect_load_error(HEADER "A,Alpha,,28\n", "F:2: doses \"\" is not a whole number");
    expect_load_error(HEADER "A,Alpha,0,28\n", "F:2: doses 0 is outside 1..8");
    expect_load_error(HEADER "A,Alpha,9,28\n", "F:2: doses 9 is outside 1..8");
    expect_load_error(HEADER "A,Alpha,99999999999,28\n",
                      "F:2: doses \"99999999999\" is not a whole number");
    expect_load_error(HEADER "A,Alpha,2,28.5\n",
                      "F:2: min_interval_days \"28.5\" is not a whole number");
    expect_load_error(HEADER "A,Alpha,1,-1\n", "F:2: min_interval_days -1 is outside 0..3650");
    expect_load_error(HEADER "A,Alpha,2,3651\n", "F:2: min_interval_days 3651 is outside 0..3650");
    expect_load_error(HEADER "A,Alpha,2,0\n",
                      "F:2: min_interval_days must be more than 0 for a 2-dose vaccine");
    expect_load_error(HEADER "A,\"Alpha\"x,2,28\n",
                      "F:2: malformed CSV: text after a closing quote");
}

static void limits_of_a_load_are_at_the_bounds(void **state) {
    (void)state;
    vk_catalog cat;
    char err[512];
    assert_int_equal(
        0, load_text(HEADER "A,Alpha,8,3650\nB,Beta,1,0\nC,Gamma,1,14\n", &cat, err, sizeof err));
    assert_int_equal(8, vk_catalog_find(&cat, "A")->doses);
    assert_int_equal(3650, vk_catalog_find(&cat, "A")->min_interval_days);
    assert_int_equal(14, vk_catalog_find(&cat, "C")->min_interval_days);
    vk_catalog_free(&cat);
}

static void missing_file_names_it(void **state) {
    (void)state;
    vk_catalog cat;
    char err[256];
    assert_int_equal(-1, vk_catalog_load(&cat, "/nonexistent/vaccines.csv", err, sizeof err));
    assert_string_equal("/nonexistent/vaccines.csv: cannot open the vaccine catalog: No such file "
                        "or directory",
                        err);
    assert_null(cat.vaccines);
    assert_int_equal(-1, vk_catalog_load(&cat, "/nonexistent/vaccines.csv", NULL, 0));
}

/* ---- vk_catalog_from_config ---- */

static int from_config(const char *const *kv, vk_catalog *cat, char *err, size_t errlen) {
    vk_config *cfg = vk_config_new();
    assert_non_null(cfg);
    for (size_t i = 0; kv[i]; i += 2)
        assert_int_equal(0, vk_config_set(cfg, kv[i], kv[i + 1]));
    int rc = vk_catalog_from_config(cat, cfg, err, errlen);
    vk_config_destroy(cfg);
    if (rc != 0) {
        assert_null(cat->vaccines);
        assert_int_equal(0, cat->n);
    }
    return rc;
}

static void expect_config_error(const char *key, const char *value, const char *expected) {
    const char *kv[] = {key, value, NULL};
    vk_catalog cat;
    char err[256] = "";
    assert_int_equal(-1, from_config(kv, &cat, err, sizeof err));
    assert_string_equal(expected, err);
}

static void config_defaults_without_keys(void **state) {
    (void)state;
    vk_catalog cat;
    char err[256] = "";
    const char *none[] = {NULL};
    assert_int_equal(0, from_config(none, &cat, err, sizeof err));
    assert_int_equal(11, cat.n);
    assert_true(cat.limits.max_temperature_c == 37.5);
    assert_int_equal(180, cat.limits.max_systolic);
    assert_int_equal(110, cat.limits.max_diastolic);
    vk_catalog_free(&cat);
    const char *empty[] = {"vaccines.file", "", "screening.max.systolic", "", NULL};
    assert_int_equal(0, from_config(empty, &cat, err, sizeof err));
    assert_int_equal(11, cat.n);
    assert_int_equal(180, cat.limits.max_systolic);
    vk_catalog_free(&cat);
    assert_int_equal(0, vk_catalog_from_config(&cat, NULL, err, sizeof err));
    assert_int_equal(11, cat.n);
    vk_catalog_free(&cat);
}

static void config_file_and_limits(void **state) {
    (void)state;
    char path[PATH_LEN], err[256] = "";
    write_tmp(HEADER "PFIZER,Comirnaty,2,21\n", path);
    const char *kv[] = {"vaccines.file",
                        path,
                        "screening.max.temperature.c",
                        "38",
                        "screening.max.systolic",
                        "160",
                        "screening.max.diastolic",
                        "100",
                        NULL};
    vk_catalog cat;
    assert_int_equal(0, from_config(kv, &cat, err, sizeof err));
    unlink(path);
    assert_int_equal(1, cat.n);
    assert_non_null(vk_catalog_find(&cat, "PFIZER"));
    assert_null(vk_catalog_find(&cat, "CORONAVAC"));
    assert_true(cat.limits.max_temperature_c == 38.0);
    assert_int_equal(160, cat.limits.max_systolic);
    assert_int_equal(100, cat.limits.max_diastolic);
    vk_catalog_free(&cat);

    const char *bounds[] = {"screening.max.temperature.c",
                            "35",
                            "screening.max.systolic",
                            "300",
                            "screening.max.diastolic",
                            "50",
                            NULL};
    assert_int_equal(0, from_config(bounds, &cat, err, sizeof err));
    assert_true(cat.limits.max_temperature_c == 35.0);
    vk_catalog_free(&cat);
    const char *top[] = {"screening.max.temperature.c", "42.0", NULL};
    assert_int_equal(0, from_config(top, &cat, err, sizeof err));
    assert_true(cat.limits.max_temperature_c == 42.0);
    vk_catalog_free(&cat);
}

static void config_errors_are_precise(void **state) {
    (void)state;
    expect_config_error("vaccines.file", "/nonexistent/v.csv",
                        "/nonexistent/v.csv: cannot open the vaccine catalog: No such file or "
                        "directory");
    expect_config_error("screening.max.temperature.c", "hot",
                        "screening.max.temperature.c = \"hot\": not a number (°C, 35 to 42)");
    expect_config_error("screening.max.temperature.c", "37.5C",
                        "screening.max.temperature.c = \"37.5C\": not a number (°C, 35 to 42)");
    expect_config_error("screening.max.temperature.c", "34.9",
                        "screening.max.temperature.c = 34.9: outside 35 to 42 °C");
    expect_config_error("screening.max.temperature.c", "42.01",
                        "screening.max.temperature.c = 42.01: outside 35 to 42 °C");
    expect_config_error("screening.max.temperature.c", "nan",
                        "screening.max.temperature.c = nan: outside 35 to 42 °C");
    expect_config_error(
        "screening.max.systolic", "180mmHg",
        "screening.max.systolic = \"180mmHg\": not a whole number (mmHg, 50 to 300)");
    expect_config_error("screening.max.systolic", "49",
                        "screening.max.systolic = 49: outside 50 to 300 mmHg");
    expect_config_error("screening.max.diastolic", "301",
                        "screening.max.diastolic = 301: outside 50 to 300 mmHg");
    expect_config_error(
        "screening.max.diastolic", "110.5",
        "screening.max.diastolic = \"110.5\": not a whole number (mmHg, 50 to 300)");
    expect_config_error("screening.max.diastolic", "180",
                        "screening.max.diastolic (180) must be below screening.max.systolic (180)");
}

static void config_error_in_the_file_names_file_and_line(void **state) {
    (void)state;
    char path[PATH_LEN], err[256] = "", want[256];
    write_tmp(HEADER "PFIZER,Comirnaty,2,21\nPFIZER,Again,2,21\n", path);
    const char *kv[] = {"vaccines.file", path, NULL};
    vk_catalog cat;
    assert_int_equal(-1, from_config(kv, &cat, err, sizeof err));
    unlink(path);
    snprintf(want, sizeof want, "%s:3: vaccine code PFIZER appears twice (already on line 2)",
             path);
    assert_string_equal(want, err);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(defaults_equal_the_config_file),
        cmocka_unit_test(defaults_hold_the_contract_codes),
        cmocka_unit_test(loads_quoted_names_any_column_order_bom_and_crlf),
        cmocka_unit_test(refuses_bad_headers),
        cmocka_unit_test(refuses_bad_rows_naming_the_line),
        cmocka_unit_test(limits_of_a_load_are_at_the_bounds),
        cmocka_unit_test(missing_file_names_it),
        cmocka_unit_test(config_defaults_without_keys),
        cmocka_unit_test(config_file_and_limits),
        cmocka_unit_test(config_errors_are_precise),
        cmocka_unit_test(config_error_in_the_file_names_file_and_line),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
