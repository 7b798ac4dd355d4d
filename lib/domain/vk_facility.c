/*
 * vk_facility.c — see vk_facility.h.
 *
 * The table is small (tens of thousands of facilities nationally), so it is a vk_strmap from
 * code to an index into one array of facilities.
 */
#include "vk_facility.h"

#include "vk_access.h"
#include "vk_buf.h"
#include "vk_csv.h"
#include "vk_str.h"
#include "vk_strmap.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct vk_facility_map {
    vk_strmap *codes; /* code → index into items */
    vk_facility *items;
    size_t n, cap;
};

vk_facility_map *vk_facility_map_new(void) {
    vk_facility_map *m = calloc(1, sizeof *m);
    if (!m)
        return NULL;
    m->codes = vk_strmap_new(256);
    if (!m->codes) {
        free(m);
        return NULL;
    }
    return m;
}

void vk_facility_map_destroy(vk_facility_map *m) {
    if (!m)
        return;
    vk_strmap_destroy(m->codes);
    for (size_t i = 0; i < m->n; i++) {
        free(m->items[i].code);
        free(m->items[i].name);
        free(m->items[i].kind);
    }
    free(m->items);
    free(m);
}

static bool four_digits(const char *s) {
    for (int i = 0; i < 4; i++)
        if (!isdigit((unsigned char)s[i]))
            return false;
    return s[4] == '\0';
}

int vk_facility_map_put(vk_facility_map *m, const char *code, const char *name, const char *kind,
                        const char *district, char *err, size_t errlen) {
    long idx;
    if (!*code) {
        snprintf(err, errlen, "empty facility code");
        return -1;
    }
    if (!*name || !*kind) {
        snprintf(err, errlen, "facility %.40s: %s is empty", code, *name ? "kind" : "name");
        return -1;
    }
    if (!four_digits(district)) {
        snprintf(err, errlen, "facility %.40s: district \"%.16s\" is not a 4-digit kab/kota code",
                 code, district);
        return -1;
    }
    if (vk_strmap_get(m->codes, code, &idx)) {
        snprintf(err, errlen, "facility %.40s is listed twice", code);
        return -1;
    }
    if (m->n == m->cap) {
        size_t cap = m->cap ? 2 * m->cap : 256;
        vk_facility *items = realloc(m->items, cap * sizeof *items);
        if (!items) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
        m->items = items;
        m->cap = cap;
    }
    vk_facility *f = &m->items[m->n];
    f->code = strdup(code), f->name = strdup(name), f->kind = strdup(kind);
    memcpy(f->district, district, 5);
    if (!f->code || !f->name || !f->kind || vk_strmap_put(m->codes, code, (long)m->n)) {
        free(f->code), free(f->name), free(f->kind);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    m->n++;
    return 0;
}

/* PostgreSQL's trim(): spaces only, both ends, in place. */
static char *trim_spaces(char *s) {
    while (*s == ' ')
        s++;
    size_t n = strlen(s);
    while (n > 0 && s[n - 1] == ' ')
        s[--n] = '\0';
    return s;
}

typedef struct load_state {
    vk_facility_map *m;
    char *err;
    size_t errlen;
} load_state;

static int on_row(const vk_csv_row *row, void *arg) {
    load_state *st = arg;
    char e[256], code[256], name[512], kind[128], district[64];
    if (row->index == 1) /* the header, skipped as COPY … HEADER does */
        return 0;
    if (row->error) {
        snprintf(st->err, st->errlen, "line %lu: %s", row->line, row->error);
        return 1;
    }
    if (row->n < 4) {
        snprintf(st->err, st->errlen, "line %lu: %zu columns, expected code,name,kind,district",
                 row->line, row->n);
        return 1;
    }
    vk_str_copy(code, sizeof code, row->fields[0].data);
    vk_str_copy(name, sizeof name, row->fields[1].data);
    vk_str_copy(kind, sizeof kind, row->fields[2].data);
    vk_str_copy(district, sizeof district, row->fields[3].data);
    if (vk_facility_map_put(st->m, trim_spaces(code), trim_spaces(name), trim_spaces(kind),
                            trim_spaces(district), e, sizeof e)) {
        snprintf(st->err, st->errlen, "line %lu: %s", row->line, e);
        return 1;
    }
    return 0;
}

int vk_facility_map_load_csv(vk_facility_map *m, const void *data, size_t len, char *err,
                             size_t errlen) {
    vk_csv *p = vk_csv_new(',');
    if (!p) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    load_state st = {m, err, errlen};
    int rc = vk_csv_feed(p, data, len, on_row, &st);
    if (rc == 0)
        rc = vk_csv_finish(p, on_row, &st);
    vk_csv_destroy(p);
    if (rc == -1)
        snprintf(err, errlen, "out of memory");
    return rc ? -1 : 0;
}

int vk_facility_map_load_file(vk_facility_map *m, const char *path, char *err, size_t errlen) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
        return -1;
    }
    vk_buf data = VK_BUF_INIT;
    char chunk[65536], e[400];
    size_t n;
    int rc = 0;
    while (rc == 0 && (n = fread(chunk, 1, sizeof chunk, f)) > 0)
        rc = vk_buf_append(&data, chunk, n);
    if (rc || ferror(f)) {
        snprintf(err, errlen, "cannot read %s", path);
        rc = -1;
    } else if (vk_facility_map_load_csv(m, data.data, data.len, e, sizeof e)) {
        snprintf(err, errlen, "%s: %s", path, e);
        rc = -1;
    }
    fclose(f);
    vk_buf_free(&data);
    return rc;
}

size_t vk_facility_map_count(const vk_facility_map *m) {
    return m ? m->n : 0;
}

const vk_facility *vk_facility_map_at(const vk_facility_map *m, size_t i) {
    return &m->items[i];
}

const char *vk_facility_district(const vk_facility_map *m, const char *code, char buf[5]) {
    long idx;
    if (m && vk_strmap_get(m->codes, code, &idx))
        return m->items[idx].district;
    return vk_facility_district_by_pattern(code, buf) ? buf : NULL;
}
