/*
 * access.c — vaksin-verification's reader of vaksin.access.events (see access.h).
 *
 * Why a second consumer, not a second input topic of the service loop: the grants must be
 * complete before the first request is decided, and every instance needs all of them, whatever
 * partitions of the request topic its group gives it. So each instance reads the access topic
 * itself — every partition, from the beginning, with a plain assignment (no group membership,
 * no commits) — to the high watermarks it finds at start, and only then enters the loop. From
 * then on the handler's refresh hook drains what the consumer has fetched in the background
 * before each request is decided. That keeps the grants current to within a fetch (tens of
 * milliseconds): a request and a grant on two topics have no order Kafka could give, and the
 * decision is made at the time the broker appended the request against grants with their recent
 * history (vk_grants.h), so a late-read revocation that happened before the request still refuses
 * it on redelivery.
 *
 * The partitions are those of the topic at start: adding partitions to vaksin.access.events
 * needs a restart of vaksin-verification to be read.
 */
#include "access.h"

#include "vk_log.h"
#include "vk_service.h"
#include "vk_time.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct verif_access {
    rd_kafka_t *rk;
    verif_ctx *ctx;
    bool live; /* caught up: each event is logged at info from now on */
    int64_t metrics_ms, next_metrics;
};

verif_access *verif_access_new(const vk_config *cfg, verif_ctx *ctx, char *err, size_t errlen) {
    char group[256];
    verif_access *a = calloc(1, sizeof *a);
    if (!a) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    snprintf(group, sizeof group, "%s-access",
             vk_config_get(cfg, "group.id", VERIFICATION_SERVICE));
    a->rk = vk_consumer_new(cfg, group, NULL);
    if (!a->rk) {
        snprintf(err, errlen, "cannot create the consumer of %s (see above)",
                 VK_TOPIC_ACCESS_EVENTS);
        free(a);
        return NULL;
    }
    a->ctx = ctx;
    a->metrics_ms = vk_config_get_int(cfg, "metrics.interval.ms", 10000);
    a->next_metrics = vk_mono_ms() + a->metrics_ms;
    return a;
}

void verif_access_destroy(verif_access *a) {
    if (!a)
        return;
    rd_kafka_consumer_close(a->rk);
    rd_kafka_destroy(a->rk);
    free(a);
}

static void pause_ms(long ms);

/* An access event whose schema the registry cannot give now is waited for, never skipped: a
 * skipped revocation would authorize a revoked user. Stopping meanwhile exits, as below. */
static verif_access_outcome apply_waiting(verif_access *a, const rd_kafka_message_t *m,
                                          verif_access_note *n) {
    verif_access_outcome o;
    int64_t next_warn = 0;
    while ((o = verif_access_apply(a->ctx, m->payload, m->len, n)) == VERIF_ACCESS_UNAVAILABLE) {
        char q[1100];
        if (vk_mono_ms() >= next_warn) {
            vk_warn("msg=\"access event waits for the schema registry\" partition=%" PRId32
                    " offset=%" PRId64 " reason=\"%s\"",
                    m->partition, m->offset, vk_log_quote(n->reason, q, sizeof q));
            next_warn = vk_mono_ms() + 10000;
        }
        if (vk_stop) {
            vk_error("msg=\"stopping with an access event not applied: exiting\" partition=%" PRId32
                     " offset=%" PRId64,
                     m->partition, m->offset);
            exit(1);
        }
        pause_ms(1000);
    }
    return o;
}

static void apply_message(verif_access *a, const rd_kafka_message_t *m) {
    verif_access_note n;
    char q[1100];
    vk_log_level level = a->live ? VK_LOG_INFO : VK_LOG_DEBUG;
    switch (apply_waiting(a, m, &n)) {
    case VERIF_ACCESS_APPLIED:
        vk_log(level,
               "msg=\"access change applied\" partition=%" PRId32 " offset=%" PRId64
               " event_id=%s action=%s user=\"%s\" facility=%s",
               m->partition, m->offset, n.event_id, n.action, vk_log_quote(n.user_id, q, sizeof q),
               n.facility_code);
        break;
    case VERIF_ACCESS_REFUSED: /* the projector records the refusal; here it only grants nothing */
        vk_log(level,
               "msg=\"access change refused\" partition=%" PRId32 " offset=%" PRId64
               " event_id=%s action=%s code=%s reason=\"%s\"",
               m->partition, m->offset, n.event_id, n.action, n.code,
               vk_log_quote(n.reason, q, sizeof q));
        break;
    case VERIF_ACCESS_DUPLICATE:
        vk_debug("msg=\"access change seen before: dropped\" partition=%" PRId32 " offset=%" PRId64
                 " event_id=%s",
                 m->partition, m->offset, n.event_id);
        break;
    case VERIF_ACCESS_UNDECODABLE:
        vk_warn("msg=\"access event skipped\" partition=%" PRId32 " offset=%" PRId64
                " reason=\"%s\"",
                m->partition, m->offset, vk_log_quote(n.reason, q, sizeof q));
        break;
    case VERIF_ACCESS_UNAVAILABLE: /* apply_waiting returns anything but this */
    case VERIF_ACCESS_NO_MEMORY:
        /* Deciding on grants with a hole in them could authorize a revoked user: stop at once,
         * nothing of the open transaction is committed, and the next start reads it all. */
        vk_error("msg=\"out of memory applying an access event: exiting\" partition=%" PRId32
                 " offset=%" PRId64,
                 m->partition, m->offset);
        exit(1);
    }
}

/* True for a message to apply; logs consumer errors. */
static bool usable(const rd_kafka_message_t *m) {
    if (!m->err)
        return true;
    if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
        vk_warn("msg=\"access consumer error\" error=\"%s\"", rd_kafka_message_errstr(m));
    return false;
}

static void pause_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Milliseconds left before @p deadline, as a librdkafka timeout: 1 to 5000. */
static int left_ms(int64_t deadline) {
    int64_t left = deadline - vk_mono_ms();
    return left < 1 ? 1 : left > 5000 ? 5000 : (int)left;
}

/* The partition count of the access topic, retried until the deadline; -1 with @p err. */
static int partition_count(verif_access *a, int64_t deadline, char *err, size_t errlen) {
    rd_kafka_topic_t *t = rd_kafka_topic_new(a->rk, VK_TOPIC_ACCESS_EVENTS, NULL);
    int n = -1;
    snprintf(err, errlen, "no answer");
    while (n < 0 && t && !vk_stop) {
        if (vk_mono_ms() >= deadline)
            break;
        const rd_kafka_metadata_t *md = NULL;
        rd_kafka_resp_err_t e = rd_kafka_metadata(a->rk, 0, t, &md, left_ms(deadline));
        if (e)
            snprintf(err, errlen, "%s", rd_kafka_err2str(e));
        else if (md->topic_cnt != 1 || md->topics[0].err)
            snprintf(err, errlen, "%s",
                     md->topic_cnt != 1 ? "no such topic" : rd_kafka_err2str(md->topics[0].err));
        else if (md->topics[0].partition_cnt > 0)
            n = md->topics[0].partition_cnt;
        if (md)
            rd_kafka_metadata_destroy(md);
        if (n < 0)
            pause_ms(200);
    }
    if (t)
        rd_kafka_topic_destroy(t);
    return n;
}

/* The low and high watermarks of partition @p p, retried until the deadline. */
static rd_kafka_resp_err_t watermarks(verif_access *a, int p, int64_t deadline, int64_t *lo,
                                      int64_t *hi) {
    for (;;) {
        rd_kafka_resp_err_t e = rd_kafka_query_watermark_offsets(a->rk, VK_TOPIC_ACCESS_EVENTS, p,
                                                                 lo, hi, left_ms(deadline));
        if (!e || vk_stop || vk_mono_ms() >= deadline)
            return e;
        pause_ms(200);
    }
}

/* Marks partitions whose position has reached their end (also past control records, which no
 * message shows). Returns how many are still open. */
static int check_positions(verif_access *a, const int64_t *end, bool *done, int n) {
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(n);
    for (int p = 0; p < n; p++)
        if (!done[p])
            rd_kafka_topic_partition_list_add(l, VK_TOPIC_ACCESS_EVENTS, p);
    if (l->cnt && !rd_kafka_position(a->rk, l))
        for (int i = 0; i < l->cnt; i++)
            if (l->elems[i].offset >= 0 && l->elems[i].offset >= end[l->elems[i].partition])
                done[l->elems[i].partition] = true;
    rd_kafka_topic_partition_list_destroy(l);
    int open = 0;
    for (int p = 0; p < n; p++)
        open += !done[p];
    return open;
}

int verif_access_catch_up(verif_access *a, int64_t timeout_ms, char *err, size_t errlen) {
    int64_t started = vk_mono_ms(), deadline = started + timeout_ms;
    char why[256];
    int n = partition_count(a, deadline, why, sizeof why);
    if (n < 0) {
        snprintf(err, errlen, "%s: no metadata within %" PRId64 " ms (%s)", VK_TOPIC_ACCESS_EVENTS,
                 timeout_ms, vk_stop ? "stopped" : why);
        return -1;
    }
    int64_t *end = calloc((size_t)n, sizeof *end), *next = calloc((size_t)n, sizeof *next);
    bool *done = calloc((size_t)n, sizeof *done);
    rd_kafka_topic_partition_list_t *all = rd_kafka_topic_partition_list_new(n);
    int rc = -1, open = 0;
    if (!end || !next || !done) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    for (int p = 0; p < n; p++) {
        int64_t lo = 0, hi = 0;
        rd_kafka_resp_err_t e = watermarks(a, p, deadline, &lo, &hi);
        if (e) {
            snprintf(err, errlen, "%s: no watermarks of partition %d within %" PRId64 " ms (%s)",
                     VK_TOPIC_ACCESS_EVENTS, p, timeout_ms, rd_kafka_err2str(e));
            goto out;
        }
        end[p] = hi;
        next[p] = lo;
        done[p] = lo >= hi;
        open += !done[p];
        rd_kafka_topic_partition_list_add(all, VK_TOPIC_ACCESS_EVENTS, p)->offset =
            RD_KAFKA_OFFSET_BEGINNING;
    }
    rd_kafka_resp_err_t e = rd_kafka_assign(a->rk, all);
    if (e) {
        snprintf(err, errlen, "cannot assign %s: %s", VK_TOPIC_ACCESS_EVENTS, rd_kafka_err2str(e));
        goto out;
    }
    while (open > 0) {
        if (vk_stop) {
            snprintf(err, errlen, "stopped while reading %s", VK_TOPIC_ACCESS_EVENTS);
            goto out;
        }
        if (vk_mono_ms() >= deadline) {
            int p = 0;
            while (done[p])
                p++;
            snprintf(err, errlen,
                     "%s not read to its end within %" PRId64 " ms (access.catchup.timeout.ms): "
                     "%d partition(s) behind, e.g. partition %d at offset %" PRId64 " of %" PRId64,
                     VK_TOPIC_ACCESS_EVENTS, timeout_ms, open, p, next[p], end[p]);
            goto out;
        }
        rd_kafka_message_t *m = rd_kafka_consumer_poll(a->rk, 100);
        if (!m) {
            open = check_positions(a, end, done, n);
            continue;
        }
        if (usable(m) && m->partition >= 0 && m->partition < n) {
            apply_message(a, m);
            int p = m->partition;
            if (m->offset + 1 > next[p])
                next[p] = m->offset + 1;
            if (!done[p] && next[p] >= end[p]) {
                done[p] = true;
                open--;
            }
        }
        rd_kafka_message_destroy(m);
    }
    a->live = true;
    const vk_grants *g = verif_ctx_grants(a->ctx);
    const verif_stats *s = verif_ctx_stats(a->ctx);
    vk_info("msg=\"access topic read to its end\" partitions=%d events=%zu grants=%zu"
            " open_grants=%zu refused=%" PRIu64 " undecodable=%" PRIu64 " ms=%" PRId64,
            n, vk_grants_events(g), vk_grants_count(g), vk_grants_open(g),
            s->access[VERIF_ACCESS_REFUSED], s->access[VERIF_ACCESS_UNDECODABLE],
            vk_mono_ms() - started);
    rc = 0;
out:
    rd_kafka_topic_partition_list_destroy(all);
    free(end);
    free(next);
    free(done);
    return rc;
}

void verif_access_log_metrics(const verif_access *a) {
    const vk_grants *g = verif_ctx_grants(a->ctx);
    const verif_stats *s = verif_ctx_stats(a->ctx);
    vk_info("msg=\"verification metrics\" pending=%" PRIu64 " not_authorized=%" PRIu64
            " wrong_facility=%" PRIu64 " grant_revoked=%" PRIu64 " grant_expired=%" PRIu64
            " too_old=%" PRIu64 " clock_skew=%" PRIu64 " producer_time=%" PRIu64
            " access_applied=%" PRIu64 " access_refused=%" PRIu64 " access_duplicates=%" PRIu64
            " access_undecodable=%" PRIu64 " grants=%zu open_grants=%zu grants_forgotten=%zu"
            " access_ids=%zu",
            s->pending, s->refused[VK_AUTHZ_NOT_AUTHORIZED], s->refused[VK_AUTHZ_WRONG_FACILITY],
            s->refused[VK_AUTHZ_GRANT_REVOKED], s->refused[VK_AUTHZ_GRANT_EXPIRED],
            s->refused[VK_AUTHZ_TOO_OLD], s->refused[VK_AUTHZ_CLOCK_SKEW], s->producer_time,
            s->access[VERIF_ACCESS_APPLIED], s->access[VERIF_ACCESS_REFUSED],
            s->access[VERIF_ACCESS_DUPLICATE], s->access[VERIF_ACCESS_UNDECODABLE],
            vk_grants_count(g), vk_grants_open(g), vk_grants_forgotten(g), vk_grants_events(g));
}

void verif_access_drain(void *arg) {
    verif_access *a = arg;
    rd_kafka_message_t *m;
    while ((m = rd_kafka_consumer_poll(a->rk, 0))) {
        if (usable(m))
            apply_message(a, m);
        rd_kafka_message_destroy(m);
    }
    int64_t now = vk_mono_ms();
    if (now >= a->next_metrics) {
        verif_access_log_metrics(a);
        a->next_metrics = now + a->metrics_ms;
    }
}
