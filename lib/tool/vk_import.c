/*
 * vk_import.c — see vk_import.h.
 *
 * Header cells are matched after folding case and punctuation, so the spellings found in real
 * exports ("TGL LAHIR", "Tgl_Lahir", "tgl-lahir") all work without listing each one. Values are
 * trimmed of surrounding blanks (spreadsheets pad cells) and otherwise passed on untouched:
 * normalizing a NIK, a phone or a name is vaksin-ticket's job, and doing it twice would mean
 * two sets of rules drifting apart.
 */
#include "vk_import.h"

#include "vk_time.h"
#include "vk_uuid.h"
#include "vk_value.h"

#include <ctype.h>
#include <stdarg.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const canonical[VK_IMPORT_NCOLS] = {
    "NIK",   "NAMA",     "TGL_LAHIR",   "JENIS_KELAMIN",
    "NO_HP", "KATEGORI", "KODE_FASKES", "TGL_VAKSINASI",
};

static const struct {
    const char *name; /* folded: upper case, runs of other characters as one '_' */
    vk_import_col col;
} aliases[] = {
    {"NIK", VK_IMPORT_NIK},
    {"NO_KTP", VK_IMPORT_NIK},
    {"NOMOR_INDUK_KEPENDUDUKAN", VK_IMPORT_NIK},
    {"NAMA", VK_IMPORT_NAME},
    {"NAMA_LENGKAP", VK_IMPORT_NAME},
    {"NAME", VK_IMPORT_NAME},
    {"FULL_NAME", VK_IMPORT_NAME},
    {"TGL_LAHIR", VK_IMPORT_BIRTH_DATE},
    {"TANGGAL_LAHIR", VK_IMPORT_BIRTH_DATE},
    {"BIRTH_DATE", VK_IMPORT_BIRTH_DATE},
    {"DATE_OF_BIRTH", VK_IMPORT_BIRTH_DATE},
    {"JENIS_KELAMIN", VK_IMPORT_SEX},
    {"JK", VK_IMPORT_SEX},
    {"SEX", VK_IMPORT_SEX},
    {"GENDER", VK_IMPORT_SEX},
    {"NO_HP", VK_IMPORT_PHONE},
    {"NOMOR_HP", VK_IMPORT_PHONE},
    {"NO_TELP", VK_IMPORT_PHONE},
    {"NO_TELEPON", VK_IMPORT_PHONE},
    {"NOMOR_TELEPON", VK_IMPORT_PHONE},
    {"PHONE", VK_IMPORT_PHONE},
    {"KATEGORI", VK_IMPORT_CATEGORY},
    {"CATEGORY", VK_IMPORT_CATEGORY},
    {"KODE_FASKES", VK_IMPORT_FACILITY},
    {"FACILITY_CODE", VK_IMPORT_FACILITY},
    {"TGL_VAKSINASI", VK_IMPORT_SCHEDULED},
    {"TANGGAL_VAKSINASI", VK_IMPORT_SCHEDULED},
    {"SCHEDULED_DATE", VK_IMPORT_SCHEDULED},
};

const char *vk_import_column_name(vk_import_col col) {
    return col >= 0 && col < VK_IMPORT_NCOLS ? canonical[col] : "?";
}

/* Upper-cases letters and digits and turns every run of anything else into one '_', without
 * a leading or trailing one. */
static void fold(const char *in, char *out, size_t outlen) {
    size_t o = 0;
    bool gap = false;
    for (const unsigned char *p = (const unsigned char *)in; *p && o + 2 < outlen; p++) {
        if (isalnum(*p) && *p < 0x80) {
            if (gap && o > 0)
                out[o++] = '_';
            gap = false;
            out[o++] = (char)toupper(*p);
        } else {
            gap = true;
        }
    }
    out[o] = '\0';
}

int vk_import_column_of(const char *header_cell) {
    char f[128];
    fold(header_cell, f, sizeof f);
    for (size_t i = 0; i < sizeof aliases / sizeof *aliases; i++)
        if (strcmp(f, aliases[i].name) == 0)
            return (int)aliases[i].col;
    return -1;
}

int vk_import_header_parse(const vk_csv_row *header, vk_import_header *h, char *err,
                           size_t errlen) {
    for (int c = 0; c < VK_IMPORT_NCOLS; c++)
        h->col[c] = -1;
    h->width = header->n;
    if (header->error) {
        snprintf(err, errlen, "header: malformed CSV: %s", header->error);
        return -1;
    }
    for (size_t i = 0; i < header->n; i++) {
        int c = vk_import_column_of(header->fields[i].data);
        if (c < 0)
            continue;
        if (h->col[c] >= 0) {
            snprintf(err, errlen, "header: columns %d and %zu are both %s", h->col[c] + 1, i + 1,
                     canonical[c]);
            return -1;
        }
        h->col[c] = (int)i;
    }
    static const vk_import_col required[] = {VK_IMPORT_NIK, VK_IMPORT_NAME, VK_IMPORT_BIRTH_DATE};
    for (size_t k = 0; k < sizeof required / sizeof *required; k++) {
        if (h->col[required[k]] < 0) {
            snprintf(err, errlen,
                     "header: no %s column (the first line must name the columns; NIK, NAMA "
                     "and TGL_LAHIR are required)",
                     canonical[required[k]]);
            return -1;
        }
    }
    return 0;
}

void vk_import_row_free(vk_import_row *r) {
    vk_buf_free(&r->scratch);
}

static bool blank(unsigned char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

/* The trimmed extent of a field. */
static void trim(const vk_csv_field *f, size_t *start, size_t *len) {
    size_t a = 0, b = f->len;
    while (a < b && blank((unsigned char)f->data[a]))
        a++;
    while (b > a && blank((unsigned char)f->data[b - 1]))
        b--;
    *start = a;
    *len = b - a;
}

static bool row_is_blank(const vk_csv_row *row) {
    for (size_t i = 0; i < row->n; i++) {
        size_t a, n;
        trim(&row->fields[i], &a, &n);
        if (n)
            return false;
    }
    return true;
}

/* Copies the trimmed known columns into r->scratch and points r->text at them. */
static int copy_texts(const vk_import_header *h, const vk_csv_row *row, vk_import_row *r) {
    size_t off[VK_IMPORT_NCOLS];
    vk_buf_reset(&r->scratch);
    for (int c = 0; c < VK_IMPORT_NCOLS; c++) {
        off[c] = SIZE_MAX;
        if (h->col[c] < 0)
            continue;
        size_t a, n;
        const vk_csv_field *f = &row->fields[h->col[c]];
        trim(f, &a, &n);
        if (n == 0)
            continue;
        off[c] = r->scratch.len;
        if (vk_buf_append(&r->scratch, f->data + a, n) || vk_buf_append(&r->scratch, "", 1))
            return -1;
    }
    /* Pointers only now: the buffer may have moved while it grew. */
    for (int c = 0; c < VK_IMPORT_NCOLS; c++)
        r->text[c] = off[c] == SIZE_MAX ? NULL : (const char *)r->scratch.data + off[c];
    return 0;
}

static int sex_of(const char *s, char *out) {
    static const char *const male[] = {"L", "LAKI-LAKI", "LAKI LAKI", "LAKI", "PRIA", "M", "MALE"};
    static const char *const female[] = {"P", "PEREMPUAN", "WANITA", "F", "FEMALE"};
    for (size_t i = 0; i < sizeof male / sizeof *male; i++)
        if (strcasecmp(s, male[i]) == 0) {
            *out = 'L';
            return 0;
        }
    for (size_t i = 0; i < sizeof female / sizeof *female; i++)
        if (strcasecmp(s, female[i]) == 0) {
            *out = 'P';
            return 0;
        }
    return -1;
}

static vk_import_status refuse(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static vk_import_status refuse(char *err, size_t errlen, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return VK_IMPORT_REFUSED;
}

vk_import_status vk_import_row_parse(const vk_import_header *h, const vk_csv_row *row,
                                     vk_import_row *r, char *err, size_t errlen) {
    if (row->error)
        return refuse(err, errlen, "malformed CSV: %s", row->error);
    if (row_is_blank(row))
        return VK_IMPORT_BLANK;
    if (row->n != h->width)
        return refuse(err, errlen, "has %zu columns, the header has %zu", row->n, h->width);
    if (copy_texts(h, row, r))
        return refuse(err, errlen, "out of memory");
    const char *const *t = r->text;
    if (!t[VK_IMPORT_NIK])
        return refuse(err, errlen, "NIK is empty");
    /* An empty name is representable: vaksin-ticket dead-letters it with its reason, so the
     * row is accounted for where every other invalid value is. */
    if (!t[VK_IMPORT_BIRTH_DATE])
        return refuse(err, errlen, "TGL_LAHIR is empty");
    if (vk_date_parse(t[VK_IMPORT_BIRTH_DATE], &r->birth_date))
        return refuse(err, errlen,
                      "TGL_LAHIR \"%.40s\" is not a date (YYYY-MM-DD, DD/MM/YYYY or DD-MM-YYYY)",
                      t[VK_IMPORT_BIRTH_DATE]);
    r->has_scheduled = t[VK_IMPORT_SCHEDULED] != NULL;
    if (r->has_scheduled && vk_date_parse(t[VK_IMPORT_SCHEDULED], &r->scheduled_date))
        return refuse(err, errlen,
                      "TGL_VAKSINASI \"%.40s\" is not a date (YYYY-MM-DD, DD/MM/YYYY or "
                      "DD-MM-YYYY)",
                      t[VK_IMPORT_SCHEDULED]);
    r->sex = 0;
    if (t[VK_IMPORT_SEX] && sex_of(t[VK_IMPORT_SEX], &r->sex))
        return refuse(err, errlen,
                      "JENIS_KELAMIN \"%.40s\" is neither L (Laki-laki) nor P (Perempuan)",
                      t[VK_IMPORT_SEX]);
    return VK_IMPORT_OK;
}

void vk_import_event_id(const vk_import_row *r, const char *origin, char out[37]) {
    char stack[2048];
    vk_buf heap = VK_BUF_INIT;
    size_t need = strlen(origin) + 64;
    for (int c = 0; c < VK_IMPORT_NCOLS; c++)
        need += (r->text[c] ? strlen(r->text[c]) : 0) + 1;
    char *s = stack;
    if (need > sizeof stack) {
        if (vk_buf_reserve(&heap, need)) {
            fputs("vk_import_event_id: out of memory\n", stderr);
            abort(); /* a made-up id would break re-import idempotency silently */
        }
        s = (char *)heap.data;
    }
    size_t n = 0;
    for (int c = 0; c < VK_IMPORT_NCOLS; c++) {
        if (c == VK_IMPORT_BIRTH_DATE)
            n += (size_t)snprintf(s + n, need - n, "%ld", (long)r->birth_date);
        else if (c == VK_IMPORT_SCHEDULED && r->has_scheduled)
            n += (size_t)snprintf(s + n, need - n, "%ld", (long)r->scheduled_date);
        else if (c == VK_IMPORT_SEX && r->sex)
            s[n++] = r->sex;
        else if (c != VK_IMPORT_SCHEDULED && c != VK_IMPORT_SEX && r->text[c])
            n += (size_t)snprintf(s + n, need - n, "%s", r->text[c]);
        s[n++] = '\x1f';
    }
    n += (size_t)snprintf(s + n, need - n, "%s", origin);

    unsigned char md[SHA256_DIGEST_LENGTH];
    SHA256((const unsigned char *)s, n, md);
    vk_buf_free(&heap);
    static const char hex[] = "0123456789abcdef";
    char name[7 + 2 * SHA256_DIGEST_LENGTH];
    memcpy(name, "import/", 7);
    for (size_t i = 0; i < SHA256_DIGEST_LENGTH; i++) {
        name[7 + 2 * i] = hex[md[i] >> 4];
        name[8 + 2 * i] = hex[md[i] & 15];
    }
    vk_uuid_v5(VK_UUID_NAMESPACE, name, sizeof name, out);
}

/* The symbol index of @p symbol in the enum of field @p field (plain or nullable). */
static int enum_symbol(avro_value_t *rec, const char *field, const char *symbol) {
    avro_value_t f;
    if (vk_value_get_field(rec, field, &f))
        return -1;
    avro_schema_t s = avro_value_get_schema(&f);
    if (is_avro_union(s)) {
        avro_schema_t b = NULL;
        for (size_t i = 0; i < avro_schema_union_size(s) && !b; i++) {
            avro_schema_t x = avro_schema_union_branch(s, i);
            while (is_avro_link(x))
                x = avro_schema_link_target(x);
            if (is_avro_enum(x))
                b = x;
        }
        s = b;
    }
    while (s && is_avro_link(s))
        s = avro_schema_link_target(s);
    return s && is_avro_enum(s) ? avro_schema_enum_get_by_name(s, symbol) : -1;
}

int vk_import_fill(const vk_import_row *r, const char *event_id, const vk_import_meta *meta,
                   avro_value_t *rec, char *err, size_t errlen) {
    int origin = enum_symbol(rec, "origin", meta->origin);
    if (origin < 0) {
        snprintf(err, errlen, "unknown origin %s (SISDMK, EXCEL, DUKCAPIL or OTHER)", meta->origin);
        return -1;
    }
    int sex = -1;
    if (r->sex) {
        char sym[2] = {r->sex, '\0'};
        sex = enum_symbol(rec, "sex", sym);
        if (sex < 0) {
            snprintf(err, errlen, "the schema has no Sex symbol %s", sym);
            return -1;
        }
    }
    const char *const *t = r->text;
    if (vk_value_set_str(rec, "event_id", event_id) ||
        vk_value_set_long(rec, "occurred_at", meta->occurred_at) ||
        vk_value_set_str(rec, "source", meta->source) || vk_value_set_opt_str(rec, "actor", NULL) ||
        vk_value_set_str(rec, "nik", t[VK_IMPORT_NIK]) ||
        vk_value_set_str(rec, "name", t[VK_IMPORT_NAME] ? t[VK_IMPORT_NAME] : "") ||
        vk_value_set_int(rec, "birth_date", r->birth_date) ||
        vk_value_set_opt_enum(rec, "sex", sex) ||
        vk_value_set_opt_str(rec, "phone", t[VK_IMPORT_PHONE]) ||
        vk_value_set_opt_str(rec, "category", t[VK_IMPORT_CATEGORY]) ||
        vk_value_set_opt_str(rec, "facility_code", t[VK_IMPORT_FACILITY]) ||
        vk_value_set_opt_int(rec, "scheduled_date", r->has_scheduled, r->scheduled_date) ||
        vk_value_set_enum(rec, "origin", origin)) {
        snprintf(err, errlen, "cannot fill TicketRequested: %s", avro_strerror());
        return -1;
    }
    return 0;
}
