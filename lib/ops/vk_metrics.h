/*
 * vk_metrics.h — counters, gauges and histograms with labels, rendered in the Prometheus text
 * exposition format (version 0.0.4) for GET /metrics (vk_httpd.h).
 *
 * A program declares its metric families once at start (vk_metrics_add), then updates series by
 * their label values from its loop while the HTTP thread renders: every call takes the registry's
 * one mutex, which costs tens of nanoseconds uncontended — far below a message's handling.
 *
 * Names follow Prometheus conventions, which the caller keeps: a `vaksin_` prefix, `_total` on
 * counters, base units (`_seconds`, `_bytes`). Label values are given joined by ',' in the order
 * of the label names ("vaksin.ticket.requests,3"); they must not hold ',' themselves (topics,
 * partitions, reason codes and table names do not). Rendering escapes '\', '"' and newlines.
 */
#ifndef VK_METRICS_H
#define VK_METRICS_H

#include "vk_buf.h"

#include <stddef.h>
#include <stdint.h>

typedef struct vk_metrics vk_metrics;
typedef struct vk_metric vk_metric;

typedef enum vk_metric_type { VK_COUNTER, VK_GAUGE, VK_HISTOGRAM } vk_metric_type;

/** Bucket bounds (seconds) for latencies from a millisecond to ten seconds. */
extern const double vk_metrics_latency_buckets[];
extern const int vk_metrics_latency_buckets_n;

vk_metrics *vk_metrics_new(void);
void vk_metrics_destroy(vk_metrics *m);

/**
 * @brief Declares a family. @p labels: comma-separated label names (at most 4), NULL for none —
 * then its one series exists from the start, at 0. @p buckets: a histogram's upper bounds,
 * ascending (+Inf is added). Returns NULL when out of memory or a name is declared twice.
 */
vk_metric *vk_metrics_add(vk_metrics *m, vk_metric_type type, const char *name, const char *help,
                          const char *labels, const double *buckets, int n_buckets);

/** @brief Adds @p by (≥ 0) to a counter, or to a gauge. @p values: NULL when unlabelled. */
void vk_metric_inc(vk_metric *f, const char *values, double by);
/** @brief Sets a gauge. */
void vk_metric_set(vk_metric *f, const char *values, double v);
/** @brief Records one observation in a histogram. */
void vk_metric_observe(vk_metric *f, const char *values, double v);
/** @brief Sets a histogram series from counts kept elsewhere: @p buckets per bucket (not
 *  cumulative), one more than the bounds (the last is +Inf only), their @p sum and count. */
void vk_metric_set_histogram(vk_metric *f, const char *values, const uint64_t *buckets, double sum);

/** @brief Forgets every series of a labelled family (a gauge per partition after a rebalance). */
void vk_metric_clear(vk_metric *f);

/** @brief Appends the exposition of every family to @p out. 0, or -1 when out of memory. */
int vk_metrics_render(vk_metrics *m, vk_buf *out);

#endif
