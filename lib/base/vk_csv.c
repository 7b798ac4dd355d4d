/*
 * vk_csv.c — see vk_csv.h.
 *
 * A byte-at-a-time state machine. A record's fields are appended to one buffer, each ended by
 * a NUL, with their start offsets in a second array; both grow to the widest record seen and
 * are then reused, so a million-row import allocates a handful of times in total. Pointers
 * into the buffer are made only when a record is handed out, because the buffer may move while
 * it grows.
 *
 * Line counting is kept apart from the parse states: every LF, and every CR not followed by
 * LF, ends a physical line, whether it ends a record or sits inside a quoted field — so the
 * line number reported for a record is the one a text editor shows.
 */
#include "vk_csv.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

typedef enum state {
    FIELD_START,  /* at the start of a field */
    UNQUOTED,     /* inside an unquoted field */
    QUOTED,       /* inside a quoted field */
    QUOTE_QUOTED, /* saw a quote inside a quoted field: closing, or the first of a pair */
} state;

struct vk_csv {
    char sep;
    state st;
    size_t max_record;

    char *buf; /* field bytes, each field NUL-terminated */
    size_t len, cap;
    size_t data_len;    /* bytes of field data (without the NULs), for the size limit */
    size_t field_start; /* offset of the current field in buf */
    size_t *offs;       /* start offsets of the finished fields */
    size_t nfields, offs_cap;
    vk_csv_field *fields; /* handed out per record */
    size_t fields_cap;

    bool rec_started; /* the current record has consumed a byte */
    bool skip_lf;     /* the last byte was a CR that ended a record: swallow a following LF */
    bool last_cr;     /* the last byte was a CR (line counting) */
    const char *error;
    unsigned long line, rec_line, index;

    int bom;               /* BOM bytes matched so far; -1 once past the start */
    unsigned char held[3]; /* those bytes, replayed if they turn out not to be a BOM */
};

static const unsigned char BOM[3] = {0xEF, 0xBB, 0xBF};

vk_csv *vk_csv_new(char sep) {
    vk_csv *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->sep = sep;
    p->st = FIELD_START;
    p->max_record = VK_CSV_DEFAULT_MAX_RECORD;
    p->line = 1;
    return p;
}

void vk_csv_destroy(vk_csv *p) {
    if (!p)
        return;
    free(p->buf);
    free(p->offs);
    free(p->fields);
    free(p);
}

void vk_csv_set_max_record(vk_csv *p, size_t max_bytes) {
    p->max_record = max_bytes;
}

static int buf_put(vk_csv *p, char c) {
    if (p->len == p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 1024;
        char *b = realloc(p->buf, cap);
        if (!b)
            return -1;
        p->buf = b;
        p->cap = cap;
    }
    p->buf[p->len++] = c;
    return 0;
}

/* A byte of field data; past the size limit the record is marked and the byte dropped. */
static int append(vk_csv *p, char c) {
    if (p->data_len >= p->max_record) {
        if (!p->error)
            p->error = "record longer than the size limit";
        return 0;
    }
    p->data_len++;
    return buf_put(p, c);
}

static int end_field(vk_csv *p) {
    if (buf_put(p, '\0'))
        return -1;
    if (p->nfields == p->offs_cap) {
        size_t cap = p->offs_cap ? p->offs_cap * 2 : 32;
        size_t *o = realloc(p->offs, cap * sizeof *o);
        if (!o)
            return -1;
        p->offs = o;
        p->offs_cap = cap;
    }
    p->offs[p->nfields++] = p->field_start;
    p->field_start = p->len;
    return 0;
}

/* Hands the finished record to the callback and empties the record state. */
static int emit(vk_csv *p, vk_csv_row_fn fn, void *ctx) {
    if (p->nfields > p->fields_cap) {
        vk_csv_field *f = realloc(p->fields, p->nfields * sizeof *f);
        if (!f)
            return -1;
        p->fields = f;
        p->fields_cap = p->nfields;
    }
    for (size_t i = 0; i < p->nfields; i++) {
        size_t end = i + 1 < p->nfields ? p->offs[i + 1] : p->len;
        p->fields[i].data = p->buf + p->offs[i];
        p->fields[i].len = end - p->offs[i] - 1; /* minus the NUL */
    }
    vk_csv_row row = {p->fields, p->nfields, p->rec_line, ++p->index, p->error};
    int rc = fn(&row, ctx);
    p->len = p->data_len = p->field_start = p->nfields = 0;
    p->rec_started = false;
    p->error = NULL;
    p->st = FIELD_START;
    return rc;
}

static int end_record(vk_csv *p, vk_csv_row_fn fn, void *ctx) {
    if (end_field(p))
        return -1;
    return emit(p, fn, ctx);
}

/* One byte through the state machine. */
static int step(vk_csv *p, char c, vk_csv_row_fn fn, void *ctx) {
    int rc = 0;
    bool eol = c == '\n' || c == '\r';
    if (p->skip_lf) {
        p->skip_lf = false;
        if (c == '\n') {
            p->last_cr = false;
            return 0;
        }
    }
    if (!p->rec_started && !eol) {
        p->rec_started = true;
        p->rec_line = p->line;
    }
    switch (p->st) {
    case FIELD_START:
        if (c == '"') {
            p->st = QUOTED;
        } else if (c == p->sep) {
            rc = end_field(p);
        } else if (eol) {
            if (p->rec_started) /* else a blank line: nothing to deliver */
                rc = end_record(p, fn, ctx);
            p->skip_lf = c == '\r';
        } else {
            rc = append(p, c);
            p->st = UNQUOTED;
        }
        break;
    case UNQUOTED:
        if (c == p->sep) {
            rc = end_field(p);
            p->st = FIELD_START;
        } else if (eol) {
            rc = end_record(p, fn, ctx);
            p->skip_lf = c == '\r';
        } else {
            rc = append(p, c);
        }
        break;
    case QUOTED:
        if (c == '"')
            p->st = QUOTE_QUOTED;
        else
            rc = append(p, c);
        break;
    case QUOTE_QUOTED:
        if (c == '"') {
            rc = append(p, '"');
            p->st = QUOTED;
        } else if (c == p->sep) {
            rc = end_field(p);
            p->st = FIELD_START;
        } else if (eol) {
            rc = end_record(p, fn, ctx);
            p->skip_lf = c == '\r';
        } else {
            /* "abc"def: keep the text so the row can be shown, but mark it. */
            if (!p->error)
                p->error = "text after a closing quote";
            rc = append(p, c);
            p->st = UNQUOTED;
        }
        break;
    }
    /* Line counting: LF, or CR not followed by LF. */
    if (c == '\n') {
        if (!p->last_cr)
            p->line++;
    } else if (c == '\r') {
        p->line++;
    }
    p->last_cr = c == '\r';
    return rc;
}

int vk_csv_feed(vk_csv *p, const void *data, size_t len, vk_csv_row_fn fn, void *ctx) {
    const unsigned char *s = data;
    size_t i = 0;
    /* The byte-order mark, possibly split across chunks. */
    while (p->bom >= 0 && i < len) {
        if (s[i] == BOM[p->bom]) {
            p->held[p->bom++] = s[i++];
            if (p->bom == 3)
                p->bom = -1;
            continue;
        }
        int held = p->bom;
        p->bom = -1;
        for (int k = 0; k < held; k++) {
            int rc = step(p, (char)p->held[k], fn, ctx);
            if (rc)
                return rc;
        }
    }
    for (; i < len; i++) {
        int rc = step(p, (char)s[i], fn, ctx);
        if (rc)
            return rc;
    }
    return 0;
}

int vk_csv_finish(vk_csv *p, vk_csv_row_fn fn, void *ctx) {
    if (p->bom > 0) {
        int held = p->bom;
        p->bom = -1;
        for (int k = 0; k < held; k++) {
            int rc = step(p, (char)p->held[k], fn, ctx);
            if (rc)
                return rc;
        }
    }
    if (!p->rec_started)
        return 0;
    if (p->st == QUOTED && !p->error)
        p->error = "quoted field not closed at the end of the input";
    return end_record(p, fn, ctx);
}

char vk_csv_detect_separator(const void *data, size_t len) {
    const unsigned char *s = data;
    size_t i = 0, comma = 0, semi = 0, tab = 0;
    bool quoted = false;
    if (len >= 3 && memcmp(s, BOM, 3) == 0)
        i = 3;
    for (; i < len; i++) {
        unsigned char c = s[i];
        if (c == '"')
            quoted = !quoted; /* a doubled quote toggles twice: no harm */
        else if (quoted)
            continue;
        else if (c == '\n' || c == '\r')
            break;
        else if (c == ',')
            comma++;
        else if (c == ';')
            semi++;
        else if (c == '\t')
            tab++;
    }
    if (semi > comma && semi >= tab)
        return ';';
    if (tab > comma && tab > semi)
        return '\t';
    return ',';
}
