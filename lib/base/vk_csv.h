/*
 * vk_csv.h — a streaming CSV parser (RFC 4180, as SISDMK and Excel write it).
 *
 * Push style: the caller feeds bytes in chunks of any size (a read(2) buffer, a test string)
 * and gets one callback per record. No I/O and no global state, so it is tested with plain
 * strings and can parse a file of any size in constant memory: a record's fields live in one
 * buffer that is reused from record to record.
 *
 * Accepted: quoted fields with separators, line breaks and doubled quotes inside; CRLF, LF or
 * lone CR line ends; a UTF-8 byte-order mark at the very start; a missing line end after the
 * last record; blank lines (skipped). A quote inside an unquoted field is kept as a character
 * (Excel writes such files). Malformed records — text after a closing quote, a quoted field
 * still open at the end of input, a record longer than the limit — are still delivered, with
 * `error` set, and parsing goes on with the next line, so one bad row never hides the rest.
 */
#ifndef VK_CSV_H
#define VK_CSV_H

#include <stddef.h>

/** One field: @p data is NUL-terminated (and may hold no NUL itself unless the input did). */
typedef struct vk_csv_field {
    const char *data;
    size_t len;
} vk_csv_field;

/** One record, valid during the callback only. */
typedef struct vk_csv_row {
    const vk_csv_field *fields;
    size_t n;
    unsigned long line;  /* physical line (1-based) where the record starts */
    unsigned long index; /* record number, 1-based, blank lines not counted */
    const char *error;   /* NULL, or why the record is malformed (fields then are partial) */
} vk_csv_row;

/** Called per record; return 0 to go on, anything else to stop (vk_csv_feed returns it). */
typedef int (*vk_csv_row_fn)(const vk_csv_row *row, void *ctx);

typedef struct vk_csv vk_csv;

/** Records longer than this (bytes of field data) are delivered with an error. */
#define VK_CSV_DEFAULT_MAX_RECORD (1u << 20)

/** @brief A parser for separator @p sep (',' ';' or '\t'). NULL when out of memory. */
vk_csv *vk_csv_new(char sep);
void vk_csv_destroy(vk_csv *p);

/** @brief Sets the record size limit (default VK_CSV_DEFAULT_MAX_RECORD). */
void vk_csv_set_max_record(vk_csv *p, size_t max_bytes);

/**
 * @brief Parses @p len more bytes, calling @p fn for every record completed.
 * @returns 0; the callback's non-zero value when it stopped the parse; -1 when out of memory.
 */
int vk_csv_feed(vk_csv *p, const void *data, size_t len, vk_csv_row_fn fn, void *ctx);

/** @brief Ends the input: delivers a last record without a line end (or one still inside
 *  quotes, with an error). Same return values as vk_csv_feed. */
int vk_csv_finish(vk_csv *p, vk_csv_row_fn fn, void *ctx);

/**
 * @brief Guesses the separator from the first line of @p data (a BOM skipped): the most
 * frequent of ',', ';' and '\t' outside quotes, ',' on a tie or when none occurs. Excel in an
 * Indonesian locale writes ';'.
 */
char vk_csv_detect_separator(const void *data, size_t len);

#endif
