/*
 * vk_copy.c — the COPY writers, text and binary (see vk_copy.h).
 */
#include "vk_copy.h"

#include "vk_time.h"
#include "vk_uuid.h"

#include <stdio.h>
#include <string.h>

void vk_copy_text(vk_buf *b, const char *s) {
    const char *run = s;
    for (; *s; s++) {
        const char *esc = NULL;
        switch (*s) {
        case '\\':
            esc = "\\\\";
            break;
        case '\t':
            esc = "\\t";
            break;
        case '\n':
            esc = "\\n";
            break;
        case '\r':
            esc = "\\r";
            break;
        default:
            continue;
        }
        vk_buf_append(b, run, (size_t)(s - run));
        vk_buf_append(b, esc, 2);
        run = s + 1;
    }
    vk_buf_append(b, run, (size_t)(s - run));
}

void vk_copy_null(vk_buf *b) {
    vk_buf_append(b, "\\N", 2);
}

void vk_copy_bytea(vk_buf *b, const void *p, size_t len) {
    static const char hex[] = "0123456789abcdef";
    const uint8_t *u = p;
    if (vk_buf_reserve(b, 3 + 2 * len))
        return;
    b->data[b->len++] = '\\';
    b->data[b->len++] = '\\';
    b->data[b->len++] = 'x';
    for (size_t i = 0; i < len; i++) {
        b->data[b->len++] = (uint8_t)hex[u[i] >> 4];
        b->data[b->len++] = (uint8_t)hex[u[i] & 15];
    }
}

void vk_copy_date(vk_buf *b, int32_t days) {
    int y, m, d;
    vk_date_from_days(days, &y, &m, &d);
    vk_buf_printf(b, "%04d-%02d-%02d", y, m, d);
}

void vk_copy_ts(vk_buf *b, int64_t ms) {
    if (ms < VK_TIME_MIN_MS || ms > VK_TIME_MAX_MS) { /* no overflow below; PostgreSQL's words */
        vk_buf_printf(b, "%s", ms < 0 ? "-infinity" : "infinity");
        return;
    }
    int64_t secs = ms >= 0 ? ms / 1000 : (ms - 999) / 1000;
    int millis = (int)(ms - secs * 1000);
    int64_t days = secs >= 0 ? secs / 86400 : (secs - 86399) / 86400;
    int rem = (int)(secs - days * 86400);
    int y, m, d;
    vk_date_from_days((int32_t)days, &y, &m, &d);
    vk_buf_printf(b, "%04d-%02d-%02d %02d:%02d:%02d.%03d+00", y, m, d, rem / 3600, (rem / 60) % 60,
                  rem % 60, millis);
}

/* ---- COPY binary format (PostgreSQL docs, "COPY", "Binary Format") ---- */

/* Days and microseconds between 1970-01-01 and PostgreSQL's epoch, 2000-01-01. */
#define PG_EPOCH_DAYS 10957
#define PG_EPOCH_MS   INT64_C(946684800000)

static void copyb_put(vk_copyb *w, const void *p, size_t len) {
    if (!w->failed && vk_buf_append(w->b, p, len))
        w->failed = 1;
}

static void copyb_be(vk_copyb *w, uint64_t v, int bytes) {
    uint8_t out[8];
    for (int i = 0; i < bytes; i++)
        out[i] = (uint8_t)(v >> (8 * (bytes - 1 - i)));
    copyb_put(w, out, (size_t)bytes);
}

/* A field: its length (int32), then its bytes. */
static void copyb_field(vk_copyb *w, const void *p, size_t len) {
    if (len > INT32_MAX) {
        w->failed = 1;
        return;
    }
    copyb_be(w, len, 4);
    copyb_put(w, p, len);
}

void vk_copyb_start(vk_copyb *w, vk_buf *b) {
    static const uint8_t sig[11] = {'P', 'G', 'C', 'O', 'P', 'Y', '\n', 0xff, '\r', '\n', 0};
    w->b = b;
    w->rows = 0;
    w->failed = 0;
    vk_buf_reset(b);
    copyb_put(w, sig, sizeof sig);
    copyb_be(w, 0, 4); /* flags: no OIDs */
    copyb_be(w, 0, 4); /* header extension length */
}

void vk_copyb_row(vk_copyb *w, int nfields) {
    copyb_be(w, (uint16_t)nfields, 2);
    w->rows++;
}

void vk_copyb_null(vk_copyb *w) {
    copyb_be(w, UINT32_MAX, 4); /* length -1 */
}

void vk_copyb_text(vk_copyb *w, const char *s) {
    copyb_field(w, s, strlen(s));
}

void vk_copyb_bytes(vk_copyb *w, const void *p, size_t len) {
    copyb_field(w, p, len);
}

void vk_copyb_int4(vk_copyb *w, int32_t v) {
    copyb_be(w, 4, 4);
    copyb_be(w, (uint32_t)v, 4);
}

void vk_copyb_int8(vk_copyb *w, int64_t v) {
    copyb_be(w, 8, 4);
    copyb_be(w, (uint64_t)v, 8);
}

void vk_copyb_uuid(vk_copyb *w, const char *s) {
    uint8_t u[16];
    if (vk_uuid_parse(s, u)) {
        w->failed = 1;
        return;
    }
    copyb_field(w, u, sizeof u);
}

void vk_copyb_date(vk_copyb *w, int32_t days) {
    copyb_be(w, 4, 4);
    copyb_be(w, (uint32_t)((int64_t)days - PG_EPOCH_DAYS), 4); /* int64: no overflow */
}

void vk_copyb_ts(vk_copyb *w, int64_t ms) {
    copyb_be(w, 8, 4);
    /* Microseconds since 2000-01-01; outside years 1..9999 PostgreSQL's -infinity / infinity
     * (INT64_MIN / INT64_MAX), never an overflowing multiplication. */
    int64_t us = ms < VK_TIME_MIN_MS   ? INT64_MIN
                 : ms > VK_TIME_MAX_MS ? INT64_MAX
                                       : (ms - PG_EPOCH_MS) * 1000;
    copyb_be(w, (uint64_t)us, 8);
}

/* The comma-separated element at *p: sets *len, moves *p past it and its comma. */
static const char *next_elem(const char **p, size_t *len) {
    const char *elem = *p, *comma = strchr(elem, ',');
    *len = comma ? (size_t)(comma - elem) : strlen(elem);
    *p = elem + *len + (comma ? 1 : 0);
    return elem;
}

void vk_copyb_text_array(vk_copyb *w, const char *csv) {
    enum { TEXTOID = 25 };
    size_t n = 0, bytes = 0, len;
    for (const char *p = csv; *p; n++) {
        next_elem(&p, &len);
        bytes += 4 + len;
    }
    if (n == 0) { /* ndim 0: '{}' */
        copyb_be(w, 12, 4);
        copyb_be(w, 0, 4), copyb_be(w, 0, 4), copyb_be(w, TEXTOID, 4);
        return;
    }
    /* ndim, has-nulls flag, element type, then the dimension (size, lower bound 1). */
    copyb_be(w, 20 + bytes, 4);
    copyb_be(w, 1, 4), copyb_be(w, 0, 4), copyb_be(w, TEXTOID, 4);
    copyb_be(w, n, 4), copyb_be(w, 1, 4);
    for (const char *p = csv; *p;) {
        const char *elem = next_elem(&p, &len);
        copyb_field(w, elem, len);
    }
}

int vk_copyb_finish(vk_copyb *w) {
    copyb_be(w, UINT16_MAX, 2); /* trailer: field count -1 */
    return w->failed ? -1 : 0;
}
