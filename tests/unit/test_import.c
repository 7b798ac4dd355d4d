/*
 * test_import.c — SISDMK / Excel rows → TicketRequested (lib/tool/vk_import.c).
 *
 * The event-id vectors were computed independently with Python's hashlib and uuid.uuid5 from
 * the normalization documented in vk_import.h; they pin the id of a row across versions, which
 * is what re-import idempotency rests on.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "vk_codec.h"
#include "vk_import.h"
#include "vk_schemas.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A CSV row from literal cells. */
typedef struct row_box {
    vk_csv_field f[16];
    vk_csv_row row;
} row_box;

static const vk_csv_row *make_row(row_box *b, const char *const *cells, size_t n) {
    assert_true(n <= 16);
    for (size_t i = 0; i < n; i++) {
        b->f[i].data = cells[i];
        b->f[i].len = strlen(cells[i]);
    }
    b->row.fields = b->f;
    b->row.n = n;
    b->row.line = 2;
    b->row.index = 2;
    b->row.error = NULL;
    return &b->row;
}

#define ROW(b, ...)                                                                                \
    make_row((b), (const char *const[]){__VA_ARGS__},                                              \
             sizeof((const char *const[]){__VA_ARGS__}) / sizeof(const char *))

static void header_of(vk_import_header *h, const vk_csv_row *row) {
    char err[256];
    if (vk_import_header_parse(row, h, err, sizeof err))
        fail_msg("header refused: %s", err);
}

static void test_column_aliases(void **state) {
    (void)state;
    assert_int_equal(vk_import_column_of("NIK"), VK_IMPORT_NIK);
    assert_int_equal(vk_import_column_of("nik"), VK_IMPORT_NIK);
    assert_int_equal(vk_import_column_of(" No. KTP "), VK_IMPORT_NIK);
    assert_int_equal(vk_import_column_of("Nama"), VK_IMPORT_NAME);
    assert_int_equal(vk_import_column_of("name"), VK_IMPORT_NAME);
    assert_int_equal(vk_import_column_of("TGL_LAHIR"), VK_IMPORT_BIRTH_DATE);
    assert_int_equal(vk_import_column_of("Tgl Lahir"), VK_IMPORT_BIRTH_DATE);
    assert_int_equal(vk_import_column_of("birth_date"), VK_IMPORT_BIRTH_DATE);
    assert_int_equal(vk_import_column_of("Jenis-Kelamin"), VK_IMPORT_SEX);
    assert_int_equal(vk_import_column_of("sex"), VK_IMPORT_SEX);
    assert_int_equal(vk_import_column_of("NO_HP"), VK_IMPORT_PHONE);
    assert_int_equal(vk_import_column_of("phone"), VK_IMPORT_PHONE);
    assert_int_equal(vk_import_column_of("KATEGORI"), VK_IMPORT_CATEGORY);
    assert_int_equal(vk_import_column_of("category"), VK_IMPORT_CATEGORY);
    assert_int_equal(vk_import_column_of("KODE_FASKES"), VK_IMPORT_FACILITY);
    assert_int_equal(vk_import_column_of("facility_code"), VK_IMPORT_FACILITY);
    assert_int_equal(vk_import_column_of("TGL_VAKSINASI"), VK_IMPORT_SCHEDULED);
    assert_int_equal(vk_import_column_of("scheduled_date"), VK_IMPORT_SCHEDULED);
    assert_int_equal(vk_import_column_of("ALAMAT"), -1);
    assert_int_equal(vk_import_column_of(""), -1);
    assert_int_equal(vk_import_column_of("NIKAH"), -1);
}

static void test_header(void **state) {
    (void)state;
    row_box b;
    vk_import_header h;
    char err[256];
    header_of(&h, ROW(&b, "No", "nama", "NIK", "ALAMAT", "tgl_lahir", "NO_HP"));
    assert_int_equal(h.width, 6);
    assert_int_equal(h.col[VK_IMPORT_NIK], 2);
    assert_int_equal(h.col[VK_IMPORT_NAME], 1);
    assert_int_equal(h.col[VK_IMPORT_BIRTH_DATE], 4);
    assert_int_equal(h.col[VK_IMPORT_PHONE], 5);
    assert_int_equal(h.col[VK_IMPORT_SEX], -1);
    assert_int_equal(h.col[VK_IMPORT_SCHEDULED], -1);

    assert_int_equal(vk_import_header_parse(ROW(&b, "NIK", "NAMA"), &h, err, sizeof err), -1);
    assert_string_equal(err, "header: no TGL_LAHIR column (the first line must name the "
                             "columns; NIK, NAMA and TGL_LAHIR are required)");
    assert_int_equal(
        vk_import_header_parse(ROW(&b, "NIK", "NAMA", "TGL_LAHIR", "NO_KTP"), &h, err, sizeof err),
        -1);
    assert_string_equal(err, "header: columns 1 and 4 are both NIK");
    /* A data row mistaken for a header. */
    assert_int_equal(vk_import_header_parse(ROW(&b, "3273024501900001", "Siti", "1990-01-05"), &h,
                                            err, sizeof err),
                     -1);
    assert_string_equal(err, "header: no NIK column (the first line must name the columns; "
                             "NIK, NAMA and TGL_LAHIR are required)");
}

static const char *const FULL_HEADER[] = {"NIK",   "NAMA",     "TGL_LAHIR",   "JENIS_KELAMIN",
                                          "NO_HP", "KATEGORI", "KODE_FASKES", "TGL_VAKSINASI"};

static void full_header(vk_import_header *h) {
    row_box b;
    header_of(h, make_row(&b, FULL_HEADER, 8));
}

static void test_row_mapping(void **state) {
    (void)state;
    vk_import_header h;
    full_header(&h);
    row_box b;
    vk_import_row r = VK_IMPORT_ROW_INIT;
    char err[256];
    assert_int_equal(
        vk_import_row_parse(&h,
                            ROW(&b, " 3273024501900001 ", "Siti  Aminah ", "05/01/1990",
                                "Perempuan", "0812-3456-7890", "", "P3273020201", "10-02-2021"),
                            &r, err, sizeof err),
        VK_IMPORT_OK);
    assert_string_equal(r.text[VK_IMPORT_NIK], "3273024501900001"); /* trimmed only */
    assert_string_equal(r.text[VK_IMPORT_NAME], "Siti  Aminah");    /* not normalized */
    assert_string_equal(r.text[VK_IMPORT_PHONE], "0812-3456-7890"); /* not normalized */
    assert_null(r.text[VK_IMPORT_CATEGORY]);
    assert_int_equal(r.birth_date, 7309);
    assert_true(r.has_scheduled);
    assert_int_equal(r.scheduled_date, 18668);
    assert_int_equal(r.sex, 'P');

    /* Sex spellings, and absent optional values. */
    static const struct {
        const char *in;
        char want;
    } sexes[] = {{"L", 'L'},    {"p", 'P'},      {"LAKI-LAKI", 'L'}, {"laki laki", 'L'},
                 {"Pria", 'L'}, {"wanita", 'P'}, {"M", 'L'},         {"Female", 'P'},
                 {"", 0},       {"  ", 0}};
    for (size_t i = 0; i < sizeof sexes / sizeof *sexes; i++) {
        assert_int_equal(
            vk_import_row_parse(&h, ROW(&b, "1", "A", "1990-01-05", sexes[i].in, "", "", "", ""),
                                &r, err, sizeof err),
            VK_IMPORT_OK);
        assert_int_equal(r.sex, sexes[i].want);
        assert_false(r.has_scheduled);
        assert_null(r.text[VK_IMPORT_PHONE]);
    }
    vk_import_row_free(&r);
}

static void refused_row(const vk_csv_row *row, const char *want) {
    vk_import_header h;
    full_header(&h);
    vk_import_row r = VK_IMPORT_ROW_INIT;
    char err[256];
    assert_int_equal(vk_import_row_parse(&h, row, &r, err, sizeof err), VK_IMPORT_REFUSED);
    assert_string_equal(err, want);
    vk_import_row_free(&r);
}

static void test_row_refusals(void **state) {
    (void)state;
    row_box b;
    refused_row(ROW(&b, "1", "A", "1990-01-05", "L", "", "", ""),
                "has 7 columns, the header has 8");
    refused_row(ROW(&b, "", "A", "1990-01-05", "L", "", "", "", ""), "NIK is empty");
    refused_row(ROW(&b, "1", "A", "", "L", "", "", "", ""), "TGL_LAHIR is empty");
    refused_row(ROW(&b, "1", "A", "31/02/1990", "L", "", "", "", ""),
                "TGL_LAHIR \"31/02/1990\" is not a date (YYYY-MM-DD, DD/MM/YYYY or DD-MM-YYYY)");
    refused_row(ROW(&b, "1", "A", "1990-01-05", "X", "", "", "", ""),
                "JENIS_KELAMIN \"X\" is neither L (Laki-laki) nor P (Perempuan)");
    refused_row(ROW(&b, "1", "A", "1990-01-05", "L", "", "", "", "besok"),
                "TGL_VAKSINASI \"besok\" is not a date (YYYY-MM-DD, DD/MM/YYYY or DD-MM-YYYY)");
    const vk_csv_row *bad = ROW(&b, "1", "A", "1990-01-05", "L", "", "", "", "");
    b.row.error = "text after a closing quote";
    refused_row(bad, "malformed CSV: text after a closing quote");

    /* The importer does not judge NIKs, names or phones: vaksin-ticket does. */
    vk_import_header h;
    full_header(&h);
    vk_import_row r = VK_IMPORT_ROW_INIT;
    char err[256];
    assert_int_equal(vk_import_row_parse(
                         &h, ROW(&b, "3.27302E+15", "R2-D2", "1990-01-05", "", "abc", "", "", ""),
                         &r, err, sizeof err),
                     VK_IMPORT_OK);
    /* Rows of empty cells (Excel writes them) are skipped, whatever their width. */
    assert_int_equal(
        vk_import_row_parse(&h, ROW(&b, "", " ", "", "", "", "", "", ""), &r, err, sizeof err),
        VK_IMPORT_BLANK);
    assert_int_equal(vk_import_row_parse(&h, ROW(&b, "", ""), &r, err, sizeof err),
                     VK_IMPORT_BLANK);
    vk_import_row_free(&r);
}

static void event_id_of(const vk_import_header *h, const vk_csv_row *row, const char *origin,
                        char out[37]) {
    vk_import_row r = VK_IMPORT_ROW_INIT;
    char err[256];
    if (vk_import_row_parse(h, row, &r, err, sizeof err) != VK_IMPORT_OK)
        fail_msg("row refused: %s", err);
    vk_import_event_id(&r, origin, out);
    vk_import_row_free(&r);
}

static void test_event_id(void **state) {
    (void)state;
    vk_import_header h, h2;
    full_header(&h);
    row_box b, hb;
    char id[37], id2[37];
    event_id_of(&h,
                ROW(&b, "3273024501900001", "Siti Aminah", "1990-01-05", "P", "081234567890",
                    "SDMK", "P3273020201", "2021-02-10"),
                "SISDMK", id);
    assert_string_equal(id, "c52947cc-1fee-592f-a778-eec00baee1a9");

    /* Same values, other column order, date format, spelling and padding: same request. */
    header_of(&h2, ROW(&hb, "tgl_vaksinasi", "jenis_kelamin", "nama", "nik", "tgl_lahir", "no_hp",
                       "kategori", "kode_faskes", "alamat"));
    event_id_of(&h2,
                ROW(&b, "10/02/2021", "perempuan", " Siti Aminah", "3273024501900001", "05-01-1990",
                    "081234567890", "SDMK", "P3273020201", "Jl. Mawar 1"),
                "SISDMK", id2);
    assert_string_equal(id2, id);

    /* Any changed value, or another origin, is another request. */
    event_id_of(&h,
                ROW(&b, "3273024501900001", "Siti Aminah", "1990-01-05", "P", "081234567891",
                    "SDMK", "P3273020201", "2021-02-10"),
                "SISDMK", id2);
    assert_string_not_equal(id2, id);
    event_id_of(&h,
                ROW(&b, "3273024501900001", "Siti Aminah", "1990-01-05", "P", "081234567890",
                    "SDMK", "P3273020201", "2021-02-10"),
                "EXCEL", id2);
    assert_string_not_equal(id2, id);

    /* Only the required columns. */
    vk_import_header h3;
    header_of(&h3, ROW(&hb, "NIK", "NAMA", "TGL_LAHIR"));
    event_id_of(&h3, ROW(&b, "3273024501900001", "Siti Aminah", "1990-01-05"), "EXCEL", id2);
    assert_string_equal(id2, "d081ec83-0538-5b7a-b9a1-1c9094050a03");
}

static void test_fill(void **state) {
    (void)state;
    avro_schema_t s = NULL;
    for (const vk_embedded_schema *e = vk_embedded_schemas; e->file; e++)
        if (strcmp(e->file, "ticket.requests.avsc") == 0)
            assert_int_equal(avro_schema_from_json_length(e->json, strlen(e->json), &s), 0);
    assert_non_null(s);
    avro_value_iface_t *iface = avro_generic_class_from_schema(s);
    avro_value_t rec;
    assert_int_equal(avro_generic_value_new(iface, &rec), 0);

    vk_import_header h;
    full_header(&h);
    row_box b;
    vk_import_row r = VK_IMPORT_ROW_INIT;
    char err[256];
    const vk_import_meta meta = {"sisdmk-import", "SISDMK", 1612222200123};
    assert_int_equal(
        vk_import_row_parse(&h,
                            ROW(&b, "3273024501900001", "Siti Aminah", "1990-01-05", "P",
                                "081234567890", "SDMK", "P3273020201", "2021-02-10"),
                            &r, err, sizeof err),
        VK_IMPORT_OK);
    assert_int_equal(
        vk_import_fill(&r, "c52947cc-1fee-592f-a778-eec00baee1a9", &meta, &rec, err, sizeof err),
        0);
    json_t *got = vk_avro_to_json(&rec, s);
    json_error_t je;
    json_t *want =
        json_loads("{\"event_id\":\"c52947cc-1fee-592f-a778-eec00baee1a9\","
                   "\"occurred_at\":\"2021-02-01T23:30:00.123Z\",\"source\":\"sisdmk-import\","
                   "\"actor\":null,\"nik\":\"3273024501900001\",\"name\":\"Siti Aminah\","
                   "\"birth_date\":\"1990-01-05\",\"sex\":\"P\",\"phone\":\"081234567890\","
                   "\"category\":\"SDMK\",\"facility_code\":\"P3273020201\","
                   "\"scheduled_date\":\"2021-02-10\",\"origin\":\"SISDMK\"}",
                   0, &je);
    assert_non_null(want);
    if (!json_equal(got, want)) {
        char *g = json_dumps(got, JSON_COMPACT);
        fail_msg("got %s", g);
    }
    json_decref(want);
    json_decref(got);

    /* The same value reused for a sparser row: nothing of the previous row remains. */
    assert_int_equal(vk_import_row_parse(&h, ROW(&b, "1", "B", "2000-02-29", "", "", "", "", ""),
                                         &r, err, sizeof err),
                     VK_IMPORT_OK);
    const vk_import_meta other = {"excel-import", "EXCEL", 0};
    assert_int_equal(vk_import_fill(&r, "id2", &other, &rec, err, sizeof err), 0);
    got = vk_avro_to_json(&rec, s);
    want = json_loads("{\"event_id\":\"id2\",\"occurred_at\":\"1970-01-01T00:00:00.000Z\","
                      "\"source\":\"excel-import\",\"actor\":null,\"nik\":\"1\",\"name\":\"B\","
                      "\"birth_date\":\"2000-02-29\",\"sex\":null,\"phone\":null,"
                      "\"category\":null,\"facility_code\":null,\"scheduled_date\":null,"
                      "\"origin\":\"EXCEL\"}",
                      0, &je);
    if (!json_equal(got, want)) {
        char *g = json_dumps(got, JSON_COMPACT);
        fail_msg("got %s", g);
    }
    json_decref(want);
    json_decref(got);

    const vk_import_meta bad = {"x", "PCARE", 0};
    assert_int_equal(vk_import_fill(&r, "id3", &bad, &rec, err, sizeof err), -1);
    assert_string_equal(err, "unknown origin PCARE (SISDMK, EXCEL, DUKCAPIL or OTHER)");

    vk_import_row_free(&r);
    avro_value_decref(&rec);
    avro_value_iface_decref(iface);
    avro_schema_decref(s);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_column_aliases), cmocka_unit_test(test_header),
        cmocka_unit_test(test_row_mapping),    cmocka_unit_test(test_row_refusals),
        cmocka_unit_test(test_event_id),       cmocka_unit_test(test_fill),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
