/*
 * vk_metrics.c — see vk_metrics.h.
 *
 * Families are few (tens) and series per family few (a reason code, a partition), so a family
 * keeps its series in an array found through a string map of the joined label values.
 */
#include "vk_metrics.h"

#include "vk_strmap.h"

#include <math.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_LABELS  4
#define MAX_BUCKETS 24

const double vk_metrics_latency_buckets[] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                                             0.25,  0.5,    1,     2.5,  5,     10};
const int vk_metrics_latency_buckets_n =
    (int)(sizeof vk_metrics_latency_buckets / sizeof *vk_metrics_latency_buckets);

typedef struct series {
    char *values; /* joined label values, "" when unlabelled */
    double value; /* counter, gauge; a histogram's sum */
    uint64_t count;
    uint64_t buckets[MAX_BUCKETS]; /* per bucket (not cumulative) */
} series;

struct vk_metric {
    vk_metrics *reg;
    vk_metric_type type;
    char *name, *help;
    char *label_names[MAX_LABELS];
    int n_labels;
    double bounds[MAX_BUCKETS];
    int n_bounds;
    series *s;
    size_t n, cap;
    vk_strmap *index;
};

struct vk_metrics {
    pthread_mutex_t lock;
    vk_metric **f;
    size_t n, cap;
};

vk_metrics *vk_metrics_new(void) {
    vk_metrics *m = calloc(1, sizeof *m);
    if (m)
        pthread_mutex_init(&m->lock, NULL);
    return m;
}

static void family_free(vk_metric *f) {
    for (size_t i = 0; i < f->n; i++)
        free(f->s[i].values);
    for (int i = 0; i < f->n_labels; i++)
        free(f->label_names[i]);
    free(f->s);
    free(f->name);
    free(f->help);
    vk_strmap_destroy(f->index);
    free(f);
}

void vk_metrics_destroy(vk_metrics *m) {
    if (!m)
        return;
    for (size_t i = 0; i < m->n; i++)
        family_free(m->f[i]);
    free(m->f);
    pthread_mutex_destroy(&m->lock);
    free(m);
}

/* The series of @p values, made when missing; NULL when out of memory. Under the lock. */
static series *series_of(vk_metric *f, const char *values) {
    long i;
    if (!values)
        values = "";
    if (vk_strmap_get(f->index, values, &i))
        return &f->s[i];
    if (f->n == f->cap) {
        size_t cap = f->cap ? 2 * f->cap : 8;
        series *s = realloc(f->s, cap * sizeof *s);
        if (!s)
            return NULL;
        f->s = s;
        f->cap = cap;
    }
    series *s = &f->s[f->n];
    memset(s, 0, sizeof *s);
    if (!(s->values = strdup(values)) || vk_strmap_put(f->index, values, (long)f->n)) {
        free(s->values);
        return NULL;
    }
    f->n++;
    return s;
}

vk_metric *vk_metrics_add(vk_metrics *m, vk_metric_type type, const char *name, const char *help,
                          const char *labels, const double *buckets, int n_buckets) {
    if (n_buckets > MAX_BUCKETS)
        return NULL;
    vk_metric *f = calloc(1, sizeof *f);
    if (!f)
        return NULL;
    f->reg = m;
    f->type = type;
    f->name = strdup(name);
    f->help = strdup(help);
    f->index = vk_strmap_new(16);
    bool ok = f->name && f->help && f->index;
    for (const char *p = labels; ok && p && *p && f->n_labels < MAX_LABELS;) {
        size_t len = strcspn(p, ",");
        ok = (f->label_names[f->n_labels++] = strndup(p, len)) != NULL;
        p += len + (p[len] == ',');
    }
    for (int i = 0; i < n_buckets; i++)
        f->bounds[i] = buckets[i];
    f->n_bounds = n_buckets;
    pthread_mutex_lock(&m->lock);
    for (size_t i = 0; ok && i < m->n; i++)
        ok = strcmp(m->f[i]->name, name) != 0;
    if (ok && m->n == m->cap) {
        size_t cap = m->cap ? 2 * m->cap : 16;
        vk_metric **nf = realloc(m->f, cap * sizeof *nf);
        ok = nf != NULL;
        if (ok) {
            m->f = nf;
            m->cap = cap;
        }
    }
    if (ok && f->n_labels == 0)
        ok = series_of(f, NULL) != NULL;
    if (ok)
        m->f[m->n++] = f;
    pthread_mutex_unlock(&m->lock);
    if (!ok) {
        family_free(f);
        return NULL;
    }
    return f;
}

void vk_metric_inc(vk_metric *f, const char *values, double by) {
    if (!f)
        return;
    pthread_mutex_lock(&f->reg->lock);
    series *s = series_of(f, values);
    if (s)
        s->value += by;
    pthread_mutex_unlock(&f->reg->lock);
}

void vk_metric_set(vk_metric *f, const char *values, double v) {
    if (!f)
        return;
    pthread_mutex_lock(&f->reg->lock);
    series *s = series_of(f, values);
    if (s)
        s->value = v;
    pthread_mutex_unlock(&f->reg->lock);
}

void vk_metric_observe(vk_metric *f, const char *values, double v) {
    if (!f)
        return;
    pthread_mutex_lock(&f->reg->lock);
    series *s = series_of(f, values);
    if (s) {
        int b = 0;
        while (b < f->n_bounds && v > f->bounds[b])
            b++;
        s->buckets[b]++; /* b == n_bounds: only +Inf */
        s->count++;
        s->value += v;
    }
    pthread_mutex_unlock(&f->reg->lock);
}

void vk_metric_set_histogram(vk_metric *f, const char *values, const uint64_t *buckets,
                             double sum) {
    if (!f || f->type != VK_HISTOGRAM)
        return;
    pthread_mutex_lock(&f->reg->lock);
    series *s = series_of(f, values);
    if (s) {
        s->count = 0;
        for (int b = 0; b <= f->n_bounds; b++)
            s->count += s->buckets[b] = buckets[b];
        s->value = sum;
    }
    pthread_mutex_unlock(&f->reg->lock);
}

void vk_metric_clear(vk_metric *f) {
    if (!f || f->n_labels == 0)
        return;
    pthread_mutex_lock(&f->reg->lock);
    for (size_t i = 0; i < f->n; i++)
        free(f->s[i].values);
    f->n = 0;
    vk_strmap_clear(f->index);
    pthread_mutex_unlock(&f->reg->lock);
}

/* ---- Rendering ----
 * Each writer returns 0, or non-zero when a vk_buf append ran out of memory. */

static int append_escaped(vk_buf *b, const char *s, size_t len, bool quote) {
    int rc = 0;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (c == '\\')
            rc |= vk_buf_append(b, "\\\\", 2);
        else if (c == '\n')
            rc |= vk_buf_append(b, "\\n", 2);
        else if (c == '"' && quote)
            rc |= vk_buf_append(b, "\\\"", 2);
        else
            rc |= vk_buf_append(b, &c, 1);
    }
    return rc;
}

static int append_number(vk_buf *b, double v) {
    if (isnan(v))
        return vk_buf_append_str(b, "NaN");
    if (isinf(v))
        return vk_buf_append_str(b, v > 0 ? "+Inf" : "-Inf");
    if (v == (double)(long long)v && fabs(v) < 1e15)
        return vk_buf_printf(b, "%lld", (long long)v) < 0;
    /* The shortest of 15 or 17 digits that reads back as the same double (0.326, not
     * 0.32600000000000023). */
    char t[32];
    snprintf(t, sizeof t, "%.15g", v);
    if (strtod(t, NULL) != v)
        snprintf(t, sizeof t, "%.17g", v);
    return vk_buf_append_str(b, t);
}

/* `{name="value",…[,le="bound"]}`, or nothing for an unlabelled series without le. */
static int append_labels(vk_buf *b, const vk_metric *f, const series *s, const char *le) {
    if (f->n_labels == 0 && !le)
        return 0;
    int rc = vk_buf_append(b, "{", 1);
    const char *v = s->values;
    for (int i = 0; i < f->n_labels; i++) {
        size_t len = strcspn(v, ",");
        rc |= vk_buf_printf(b, "%s%s=\"", i ? "," : "", f->label_names[i]) < 0;
        rc |= append_escaped(b, v, len, true);
        rc |= vk_buf_append(b, "\"", 1);
        v += len + (v[len] == ',');
    }
    if (le)
        rc |= vk_buf_printf(b, "%sle=\"%s\"", f->n_labels ? "," : "", le) < 0;
    return rc | vk_buf_append(b, "}", 1);
}

/* NAME[SUFFIX]{labels[,le]} VALUE\n */
static int append_sample(vk_buf *b, const vk_metric *f, const char *suffix, const series *s,
                         const char *le, double v) {
    int rc = vk_buf_append_str(b, f->name) | vk_buf_append_str(b, suffix);
    rc |= append_labels(b, f, s, le);
    rc |= vk_buf_append(b, " ", 1) | append_number(b, v);
    return rc | vk_buf_append(b, "\n", 1);
}

static int render_family(vk_buf *b, const vk_metric *f) {
    static const char *const types[] = {"counter", "gauge", "histogram"};
    int rc = vk_buf_printf(b, "# HELP %s ", f->name) < 0;
    rc |= append_escaped(b, f->help, strlen(f->help), false);
    rc |= vk_buf_printf(b, "\n# TYPE %s %s\n", f->name, types[f->type]) < 0;
    for (size_t i = 0; i < f->n; i++) {
        const series *s = &f->s[i];
        if (f->type != VK_HISTOGRAM) {
            rc |= append_sample(b, f, "", s, NULL, s->value);
            continue;
        }
        uint64_t cumulative = 0;
        for (int k = 0; k <= f->n_bounds; k++) {
            char le[32];
            cumulative += s->buckets[k];
            if (k < f->n_bounds)
                snprintf(le, sizeof le, "%g", f->bounds[k]);
            else
                snprintf(le, sizeof le, "+Inf");
            rc |= append_sample(b, f, "_bucket", s, le, (double)cumulative);
        }
        rc |= append_sample(b, f, "_sum", s, NULL, s->value);
        rc |= append_sample(b, f, "_count", s, NULL, (double)s->count);
    }
    return rc;
}

int vk_metrics_render(vk_metrics *m, vk_buf *out) {
    int rc = 0;
    pthread_mutex_lock(&m->lock);
    for (size_t i = 0; i < m->n; i++)
        rc |= render_family(out, m->f[i]);
    pthread_mutex_unlock(&m->lock);
    return rc ? -1 : 0;
}
