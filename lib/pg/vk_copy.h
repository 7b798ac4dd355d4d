/*
 * vk_copy.h — writing rows for PostgreSQL's COPY … FROM STDIN, in the text format (vk_copy_*) and
 * in the binary format (vk_copyb_*) — what vk_pg_copy sends.
 */
#ifndef VK_COPY_H
#define VK_COPY_H

#include "vk_buf.h"

#include <stddef.h>
#include <stdint.h>

/* COPY text-format writers: fields separated by tabs, rows ended by newlines. */
/** @brief Appends a text field, escaping backslash, tab, newline and carriage return. */
void vk_copy_text(vk_buf *b, const char *s);
/** @brief Appends \N (NULL). */
void vk_copy_null(vk_buf *b);
/** @brief Appends bytes as a bytea hex literal (\\x…). */
void vk_copy_bytea(vk_buf *b, const void *p, size_t len);
/** @brief Appends a date (days since epoch) as YYYY-MM-DD. */
void vk_copy_date(vk_buf *b, int32_t days);
/** @brief Appends a timestamp (ms since epoch) as ISO 8601 UTC with milliseconds. */
void vk_copy_ts(vk_buf *b, int64_t ms);
/** @brief Appends a separator (tab) or the end of a row (newline). */
static inline void vk_copy_sep(vk_buf *b) {
    vk_buf_append(b, "\t", 1);
}
static inline void vk_copy_eol(vk_buf *b) {
    vk_buf_append(b, "\n", 1);
}

/*
 * COPY binary-format writer, for the bulk paths (`COPY … FROM STDIN WITH (FORMAT binary)`):
 * typed fields in network byte order, so neither side formats, escapes or parses text (the event
 * log's bytea was twice its size in hex). Every row starts with vk_copyb_row(n) followed by
 * exactly n fields in the table's column order. A field that cannot be written (out of memory,
 * a UUID that does not parse) marks the writer failed, and vk_copyb_finish reports it: a batch
 * is then refused whole, never sent half-written.
 */
typedef struct vk_copyb {
    vk_buf *b;
    size_t rows;
    int failed;
} vk_copyb;
/** @brief Empties @p b and writes the COPY header into it. */
void vk_copyb_start(vk_copyb *w, vk_buf *b);
/** @brief Starts a row of @p nfields fields. */
void vk_copyb_row(vk_copyb *w, int nfields);
void vk_copyb_null(vk_copyb *w);
/** @brief text, varchar or char(n): the bytes of @p s (in the client encoding). */
void vk_copyb_text(vk_copyb *w, const char *s);
/** @brief bytea. */
void vk_copyb_bytes(vk_copyb *w, const void *p, size_t len);
void vk_copyb_int4(vk_copyb *w, int32_t v);
void vk_copyb_int8(vk_copyb *w, int64_t v);
/** @brief uuid from its 8-4-4-4-12 text form; anything else fails the writer. */
void vk_copyb_uuid(vk_copyb *w, const char *s);
/** @brief date from days since 1970-01-01. */
void vk_copyb_date(vk_copyb *w, int32_t days);
/** @brief timestamptz from milliseconds since the epoch. */
void vk_copyb_ts(vk_copyb *w, int64_t ms);
/** @brief text[] (one dimension) from comma-separated elements; "" is the empty array. */
void vk_copyb_text_array(vk_copyb *w, const char *csv);
/** @brief Writes the trailer. 0, or -1 when any field failed (nothing should be sent). */
int vk_copyb_finish(vk_copyb *w);

#endif
