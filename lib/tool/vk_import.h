/*
 * vk_import.h — SISDMK / Excel export rows → TicketRequested records: the pure half of
 * vaksin-import, so the mapping is unit-tested without files or Kafka.
 *
 * The importer checks only what it needs to build a record: the row has as many columns as the
 * header, the NIK is present, the dates parse, the sex is one it can map. It does not
 * judge NIKs, phones or names: vaksin-ticket validates them and dead-letters bad values with
 * precise reasons, in one place, for every source alike.
 */
#ifndef VK_IMPORT_H
#define VK_IMPORT_H

#include "vk_buf.h"
#include "vk_csv.h"

#include <avro.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** The columns the importer knows. */
typedef enum vk_import_col {
    VK_IMPORT_NIK = 0,
    VK_IMPORT_NAME,
    VK_IMPORT_BIRTH_DATE,
    VK_IMPORT_SEX,
    VK_IMPORT_PHONE,
    VK_IMPORT_CATEGORY,
    VK_IMPORT_FACILITY,
    VK_IMPORT_SCHEDULED,
    VK_IMPORT_NCOLS
} vk_import_col;

/** Where each known column sits in a row. */
typedef struct vk_import_header {
    int col[VK_IMPORT_NCOLS]; /* index in the row, -1 when the file lacks the column */
    size_t width;             /* columns in the header: every row must have as many */
} vk_import_header;

/**
 * @brief The column a header cell names, or -1. Case and punctuation are ignored ("Tgl Lahir",
 * "TGL_LAHIR", "tgl-lahir"); Indonesian and English names are known: NIK; NAMA/name;
 * TGL_LAHIR/TANGGAL_LAHIR/birth_date; JENIS_KELAMIN/JK/sex/gender; NO_HP/NO_TELP/phone;
 * KATEGORI/category; KODE_FASKES/facility_code; TGL_VAKSINASI/TANGGAL_VAKSINASI/scheduled_date.
 */
int vk_import_column_of(const char *header_cell);

/** @brief The canonical (Indonesian) name of a column, for messages: "TGL_LAHIR". */
const char *vk_import_column_name(vk_import_col col);

/**
 * @brief Maps the header row. Refuses a header without NIK, NAMA or TGL_LAHIR, or naming a
 * column twice. Unknown columns are allowed (and ignored). Returns 0, or -1 with @p err.
 */
int vk_import_header_parse(const vk_csv_row *header, vk_import_header *h, char *err, size_t errlen);

/** One data row, mapped. Texts are trimmed, NUL-terminated and live in @p scratch. */
typedef struct vk_import_row {
    const char *text[VK_IMPORT_NCOLS]; /* NULL when empty or absent */
    int32_t birth_date;                /* days since 1970-01-01 */
    bool has_scheduled;
    int32_t scheduled_date;
    char sex; /* 'L', 'P', or 0 when not given */
    vk_buf scratch;
} vk_import_row;

#define VK_IMPORT_ROW_INIT                                                                         \
    { {0}, 0, false, 0, 0, VK_BUF_INIT }

void vk_import_row_free(vk_import_row *r);

/** What vk_import_row_parse decided. */
typedef enum vk_import_status {
    VK_IMPORT_OK = 0,      /* a record can be built */
    VK_IMPORT_BLANK = 1,   /* every cell is empty (Excel writes such rows): skip, not an error */
    VK_IMPORT_REFUSED = -1 /* cannot become a record; @p err says why */
} vk_import_status;

/**
 * @brief Maps a data row. Dates: YYYY-MM-DD, DD/MM/YYYY or DD-MM-YYYY (vk_date_parse). Sex: L/P,
 * Laki-laki/Perempuan (also Pria/Wanita, M/F, Male/Female), any case; empty = not given.
 * The row's memory (@p out->scratch) is reused from call to call.
 */
vk_import_status vk_import_row_parse(const vk_import_header *h, const vk_csv_row *row,
                                     vk_import_row *out, char *err, size_t errlen);

/**
 * @brief The row's event id, so re-importing the same data gives the same ids and the
 * pipeline drops the duplicates: UUIDv5(VK_UUID_NAMESPACE, "import/" + hex SHA-256 of the
 * normalized row). The normalized row is the mapped values (trimmed texts, dates as days, sex
 * as L/P) and @p origin, separated by 0x1F: the same person's row in another file, or in
 * another column order or date format, is the same request; any changed value is a new one.
 */
void vk_import_event_id(const vk_import_row *r, const char *origin, char out[37]);

/** Envelope values shared by every row of an import. */
typedef struct vk_import_meta {
    const char *source;  /* e.g. "sisdmk-import" */
    const char *origin;  /* Origin symbol: SISDMK, EXCEL, DUKCAPIL or OTHER */
    int64_t occurred_at; /* ms since the epoch */
} vk_import_meta;

/**
 * @brief Fills @p rec, a TicketRequested value, from a mapped row. Returns 0, or -1 with @p err
 * (an unknown origin, or a value avro-c refused).
 */
int vk_import_fill(const vk_import_row *r, const char *event_id, const vk_import_meta *meta,
                   avro_value_t *rec, char *err, size_t errlen);

#endif
