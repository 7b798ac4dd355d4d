/*
 * vk_service.c — see vk_service.h for the design of the service loop and why it also commits
 * offsets outside the transaction.
 *
 * Layout: the dead letter builder, then the loop itself: txn_* functions wrap librdkafka's
 * transactional calls with the abort/fatal distinction of examples/transactions.c, and loop_*
 * functions own the batch state.
 */
#include "vk_service.h"

#include "vk_backoff.h"
#include "vk_handler.h"
#include "vk_httpd.h"
#include "vk_metrics.h"
#include "vk_tally.h"
#include "vk_log.h"
#include "vk_time.h"
#include "vk_uuid.h"

#include <errno.h>
#include <openssl/sha.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* ---- Dead letters ---- */

static int set_str(avro_value_t *rec, const char *field, const char *s) {
    avro_value_t f;
    if (avro_value_get_by_name(rec, field, &f, NULL))
        return -1;
    return avro_value_set_string(&f, s);
}

static int set_nullable_bytes(avro_value_t *rec, const char *field, const void *p, size_t len) {
    avro_value_t f, branch;
    if (avro_value_get_by_name(rec, field, &f, NULL))
        return -1;
    if (!p)
        return avro_value_set_branch(&f, 0, &branch) || avro_value_set_null(&branch);
    return avro_value_set_branch(&f, 1, &branch) || avro_value_set_bytes(&branch, (void *)p, len);
}

/* Appends to @p words what a dead letter kept of a field cut to @p kept of @p len bytes. */
static void note_cut(char *words, size_t cap, const char *what, const void *p, size_t len,
                     size_t kept) {
    unsigned char md[SHA256_DIGEST_LENGTH];
    char hex[2 * SHA256_DIGEST_LENGTH + 1];
    SHA256(p, len, md);
    for (int i = 0; i < SHA256_DIGEST_LENGTH; i++)
        snprintf(hex + 2 * i, 3, "%02x", md[i]);
    size_t used = strlen(words);
    snprintf(words + used, cap - used,
             " [dead letter holds the first %zu of %zu bytes of the %s; SHA-256 of the whole %s: "
             "%s]",
             kept, len, what, what, hex);
}

int vk_dead_letter_build(vk_encoder *enc, const char *service, const rd_kafka_message_t *in,
                         const vk_dead *dead, size_t value_max, vk_outputs *out, char *err,
                         size_t errlen) {
    const char *topic = rd_kafka_topic_name(in->rkt);
    size_t value_len = in->len, key_len = in->key_len;
    char error[sizeof dead->reason + 512];
    snprintf(error, sizeof error, "%s", dead->reason);
    if (in->payload && value_len > value_max) {
        value_len = value_max;
        note_cut(error, sizeof error, "value", in->payload, in->len, value_len);
    }
    if (in->key && key_len > VK_DEAD_KEY_MAX) {
        key_len = VK_DEAD_KEY_MAX;
        note_cut(error, sizeof error, "key", in->key, in->key_len, key_len);
    }
    char name[512], id[37];
    snprintf(name, sizeof name, "%s/%" PRId32 "/%" PRId64, topic, in->partition, in->offset);
    vk_derive_event_id(service, name, 0, id);

    avro_value_t *v = vk_encoder_value(enc);
    avro_value_t f, branch;
    int rc = set_str(v, "event_id", id);
    rc |=
        avro_value_get_by_name(v, "occurred_at", &f, NULL) || avro_value_set_long(&f, vk_now_ms());
    rc |= set_str(v, "source", service);
    rc |= avro_value_get_by_name(v, "actor", &f, NULL) || avro_value_set_branch(&f, 0, &branch) ||
          avro_value_set_null(&branch);
    rc |= set_str(v, "topic", topic);
    rc |= avro_value_get_by_name(v, "partition", &f, NULL) || avro_value_set_int(&f, in->partition);
    rc |= avro_value_get_by_name(v, "offset", &f, NULL) || avro_value_set_long(&f, in->offset);
    rc |= set_nullable_bytes(v, "key", in->key, key_len);
    rc |= set_nullable_bytes(v, "value", in->payload, value_len);
    rc |= set_str(v, "service", service);
    rc |= set_str(v, "error_code", dead->code);
    rc |= set_str(v, "error", error);
    if (rc) {
        snprintf(err, errlen, "cannot fill DeadLetter: %s", avro_strerror());
        return -1;
    }
    vk_output *o = vk_outputs_add(out, VK_TOPIC_DEAD_LETTERS);
    if (!o || (in->key && vk_buf_append(&o->key, in->key, key_len))) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    return vk_encoder_write(enc, v, &o->value, err, errlen);
}

/* ---- The loop ---- */

/* A partition paused by VK_DEFER until a wall-clock time. */
typedef struct paused {
    char *topic;
    int32_t partition;
    int64_t until;
} paused;

/* Inputs, outputs and dead letters are tallied per transaction and added to the metrics only
 * when it commits: the metrics count what was committed, not what was tried. */

/* The service's metrics (GET /metrics): the consumer's gauges and the endpoint (base), and what
 * the loop counts. */
typedef struct ops {
    vk_service_ops base;
    vk_metric *events_in, *events_out, *dead, *txns, *batch_s, *commit_s;
    vk_tally in, out, dead_codes;
} ops;

typedef struct loop {
    const vk_service *svc;
    const vk_config *cfg;
    rd_kafka_t *consumer;
    rd_kafka_t *producer;
    vk_encoder *dead_enc;
    vk_outputs outs;
    bool commit_after_txn;
    bool fatal;
    /* current batch */
    int batch_n;
    int64_t batch_started;
    /* deferral: while `holding`, commits take hold_offset for the held partition */
    bool holding;
    const char *hold_topic;
    int32_t hold_partition;
    int64_t hold_offset;
    paused *paused;
    int n_paused, cap_paused;
    /* failing outputs: an output refused for good (too large, unknown or forbidden topic) is
     * noted by dr_cb or produce; output.failures.max aborted batches in a row with one stop
     * the service. Aborts back off (equal jitter, 100 ms doubling to 30 s) until a commit. */
    size_t dead_value_max;
    size_t output_max; /* the producer's message.max.bytes, less a record's overhead */
    ops ops;
    vk_registry *registry; /* NULL without schema.registry.url */
    int failures_max, failed_batches, abort_streak;
    rd_kafka_resp_err_t failed_err;
    char failed_topic[256];
    vk_rng rng;
    /* metrics since start; dead letters count once their transaction commits */
    uint64_t n_in, n_out, n_dead, n_commits, n_aborts, n_deferred;
    uint64_t n_dead_batch;
    int64_t batch_ms_max;
} loop;

static void fatal_error(loop *l, const char *what, rd_kafka_error_t *error) {
    vk_error("msg=\"%s\" error=\"%s: %s\" fatal=true", what, rd_kafka_error_name(error),
             rd_kafka_error_string(error));
    rd_kafka_error_destroy(error);
    l->fatal = true;
}

/* Offsets to commit: the consumer's position on each assigned partition that has one. */
static rd_kafka_topic_partition_list_t *current_positions(rd_kafka_t *consumer) {
    rd_kafka_topic_partition_list_t *assigned = NULL;
    if (rd_kafka_assignment(consumer, &assigned))
        return NULL;
    rd_kafka_position(consumer, assigned);
    rd_kafka_topic_partition_list_t *pos = rd_kafka_topic_partition_list_new(assigned->cnt);
    for (int i = 0; i < assigned->cnt; i++)
        if (assigned->elems[i].offset >= 0)
            rd_kafka_topic_partition_list_add(pos, assigned->elems[i].topic,
                                              assigned->elems[i].partition)
                ->offset = assigned->elems[i].offset;
    rd_kafka_topic_partition_list_destroy(assigned);
    return pos;
}

/* Whether a produce or delivery error will come back however often the batch is retried. */
static bool permanent(rd_kafka_resp_err_t err) {
    switch (err) {
    case RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE:
    case RD_KAFKA_RESP_ERR_RECORD_LIST_TOO_LARGE:
    case RD_KAFKA_RESP_ERR_INVALID_RECORD:
    case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART:
    case RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC:
    case RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_TOPIC_EXCEPTION:
        return true;
    default:
        return false;
    }
}

/* Notes an output that failed (at produce or in its delivery report). */
static void note_output_failure(loop *l, const char *topic, rd_kafka_resp_err_t err) {
    if (!permanent(err) || l->failed_err)
        return;
    l->failed_err = err;
    snprintf(l->failed_topic, sizeof l->failed_topic, "%s", topic);
}

/* After an aborted batch: stops the service when its outputs failed for good too often in a
 * row, else waits (backoff with jitter) before the batch is read again. */
static void after_abort(loop *l) {
    if (l->failed_err) {
        l->failed_batches++;
        vk_warn("msg=\"output refused\" topic=%s error=\"%s\" failed_batches=%d of=%d",
                l->failed_topic, rd_kafka_err2str(l->failed_err), l->failed_batches,
                l->failures_max);
        if (l->failed_batches >= l->failures_max) {
            vk_error("msg=\"output cannot be written\" topic=%s error=\"%s\" failed_batches=%d "
                     "fatal=true hint=\"create the topic, grant this service write access, or "
                     "raise the broker's message.max.bytes\"",
                     l->failed_topic, rd_kafka_err2str(l->failed_err), l->failed_batches);
            l->fatal = true;
            return;
        }
        l->failed_err = RD_KAFKA_RESP_ERR_NO_ERROR;
    }
    int64_t wait = vk_backoff_equal_jitter(100, 30000, l->abort_streak++, vk_rng_next(&l->rng));
    for (int64_t end = vk_mono_ms() + wait; !vk_stop && vk_mono_ms() < end;)
        usleep(10000);
}

/* Seeks every assigned partition back to its committed offset (after an abort). */
static void rewind_consumer(loop *l) {
    after_abort(l);
    if (l->fatal)
        return;
    rd_kafka_topic_partition_list_t *parts = NULL;
    if (rd_kafka_assignment(l->consumer, &parts) || parts->cnt == 0) {
        if (parts)
            rd_kafka_topic_partition_list_destroy(parts);
        return;
    }
    rd_kafka_resp_err_t err = rd_kafka_committed(l->consumer, parts, 30000);
    if (err) {
        vk_error("msg=\"cannot read committed offsets to rewind\" error=\"%s\" fatal=true",
                 rd_kafka_err2str(err));
        l->fatal = true;
    } else {
        for (int i = 0; i < parts->cnt; i++)
            if (parts->elems[i].offset < 0)
                parts->elems[i].offset = RD_KAFKA_OFFSET_BEGINNING;
        rd_kafka_error_t *error = rd_kafka_seek_partitions(l->consumer, parts, 30000);
        if (error)
            fatal_error(l, "cannot rewind consumer", error);
        else
            vk_warn("msg=\"rewound to committed offsets\" partitions=%d", parts->cnt);
    }
    rd_kafka_topic_partition_list_destroy(parts);
}

static void txn_begin(loop *l) {
    rd_kafka_error_t *error = rd_kafka_begin_transaction(l->producer);
    if (error)
        fatal_error(l, "cannot begin transaction", error);
    l->batch_n = 0;
    l->batch_started = vk_mono_ms();
}

static void txn_abort(loop *l, const char *why) {
    vk_warn("msg=\"aborting transaction\" reason=\"%s\" messages=%d", why, l->batch_n);
    l->n_aborts++;
    vk_metric_inc(l->ops.txns, "aborted", 1);
    l->ops.in.n = l->ops.out.n = l->ops.dead_codes.n = 0;
    l->n_dead_batch = 0; /* not delivered: they come again with the redelivered input */
    if (l->svc->discard) /* the batch is redelivered: drop its pending work */
        l->svc->discard(l->svc->ctx);
    rd_kafka_error_t *error = rd_kafka_abort_transaction(l->producer, -1);
    if (error)
        fatal_error(l, "cannot abort transaction", error);
}

/* Closes the open transaction on a clean stop when nothing was produced in it: the broker has
 * nothing to abort, so it is neither logged as an abort nor counted as one (every restart used to
 * add a warning line and an abort to the metrics). */
static void txn_close_empty(loop *l) {
    rd_kafka_error_t *error = rd_kafka_abort_transaction(l->producer, 10000);
    if (error) {
        vk_warn("msg=\"cannot close the empty transaction on shutdown\" error=\"%s\"",
                rd_kafka_error_string(error));
        rd_kafka_error_destroy(error);
    }
}

/* Handles an error from a transactional call: abortable → abort (returns 0), else fatal. */
static int txn_failed(loop *l, const char *what, rd_kafka_error_t *error) {
    if (rd_kafka_error_txn_requires_abort(error)) {
        char why[512];
        snprintf(why, sizeof why, "%s: %s", what, rd_kafka_error_string(error));
        rd_kafka_error_destroy(error);
        txn_abort(l, why);
        return 0;
    }
    fatal_error(l, what, error);
    return -1;
}

/* Produces every output in l->outs inside the open transaction. 0, or -1 (logged). */
static int produce_outputs(loop *l) {
    for (size_t i = 0; i < l->outs.n; i++) {
        vk_output *o = &l->outs.items[i];
        rd_kafka_resp_err_t perr =
            vk_produce(l->producer, o->topic, o->key.data, o->key.len, o->value.data, o->value.len);
        if (perr) {
            note_output_failure(l, o->topic, perr);
            return -1;
        }
    }
    return 0;
}

/* Lets a batch-asynchronous handler finish its batch and produces what it returns. */
static int batch_complete(loop *l) {
    vk_outputs_reset(&l->outs);
    if (l->svc->complete(l->svc->ctx, &l->outs))
        return -1;
    if (produce_outputs(l))
        return -1;
    l->n_out += l->outs.n;
    return 0;
}

/* While a deferral commits, its partition is committed at the deferred message itself. */
static void apply_hold(loop *l, rd_kafka_topic_partition_list_t *pos) {
    if (!l->holding)
        return;
    rd_kafka_topic_partition_t *p =
        rd_kafka_topic_partition_list_find(pos, l->hold_topic, l->hold_partition);
    if (!p)
        p = rd_kafka_topic_partition_list_add(pos, l->hold_topic, l->hold_partition);
    p->offset = l->hold_offset;
}

/**
 * @brief Commits the open transaction with the consumer's positions, after the handler's
 * complete() (when it has one) produced the batch's pending outputs. Returns 1 when
 * committed, 0 when it had to be aborted (the caller rewinds), -1 on a fatal error.
 */
static int txn_commit(loop *l) {
    int64_t t0 = vk_mono_ms();
    if (l->svc->complete && batch_complete(l)) {
        txn_abort(l, "handler could not complete the batch");
        return 0;
    }
    rd_kafka_resp_err_t ferr = rd_kafka_flush(l->producer, 60000);
    if (ferr) {
        txn_abort(l, "outputs not delivered within 60 s");
        return 0;
    }
    rd_kafka_topic_partition_list_t *pos = current_positions(l->consumer);
    if (pos)
        apply_hold(l, pos);
    if (!pos || pos->cnt == 0) {
        if (pos)
            rd_kafka_topic_partition_list_destroy(pos);
        txn_abort(l, "no assigned partitions to commit (assignment lost)");
        return 0;
    }
    rd_kafka_consumer_group_metadata_t *cgmd = rd_kafka_consumer_group_metadata(l->consumer);
    rd_kafka_error_t *error = rd_kafka_send_offsets_to_transaction(l->producer, pos, cgmd, -1);
    rd_kafka_consumer_group_metadata_destroy(cgmd);
    if (!error)
        error = rd_kafka_commit_transaction(l->producer, -1);
    if (error) {
        rd_kafka_topic_partition_list_destroy(pos);
        return txn_failed(l, "cannot commit transaction", error) == 0 ? 0 : -1;
    }
    if (l->commit_after_txn) {
        rd_kafka_resp_err_t err = rd_kafka_commit(l->consumer, pos, 0);
        if (err) /* the outputs are committed; a redelivery only makes duplicates the ids absorb */
            vk_warn("msg=\"plain offset commit after transaction failed\" error=\"%s\"",
                    rd_kafka_err2str(err));
    }
    rd_kafka_topic_partition_list_destroy(pos);
    l->n_commits++;
    l->n_dead += l->n_dead_batch;
    l->n_dead_batch = 0;
    l->failed_batches = l->abort_streak = 0;
    l->failed_err = RD_KAFKA_RESP_ERR_NO_ERROR;
    int64_t took = vk_mono_ms() - t0;
    if (took > l->batch_ms_max)
        l->batch_ms_max = took;
    vk_metric_inc(l->ops.txns, "committed", 1);
    vk_metric_observe(l->ops.commit_s, NULL, (double)took / 1000);
    vk_metric_observe(l->ops.batch_s, NULL, (double)(vk_mono_ms() - l->batch_started) / 1000);
    vk_tally_flush(&l->ops.in, l->ops.events_in);
    vk_tally_flush(&l->ops.out, l->ops.events_out);
    vk_tally_flush(&l->ops.dead_codes, l->ops.dead);
    vk_debug("msg=committed messages=%d commit_ms=%" PRId64, l->batch_n, took);
    return 1;
}

/* Commits the batch if it has messages and starts the next transaction. */
static void loop_commit_and_begin(loop *l) {
    if (l->batch_n > 0) {
        int rc = txn_commit(l);
        if (rc < 0)
            return;
        if (rc == 0)
            rewind_consumer(l);
        if (l->fatal)
            return;
        txn_begin(l);
    }
}

/* Forgets the pause of @p i (resuming the partition when @p resume). */
static void pause_drop(loop *l, int i, bool resume) {
    if (resume) {
        rd_kafka_topic_partition_list_t *one = rd_kafka_topic_partition_list_new(1);
        rd_kafka_topic_partition_list_add(one, l->paused[i].topic, l->paused[i].partition);
        rd_kafka_resp_err_t err = rd_kafka_resume_partitions(l->consumer, one);
        if (err || one->elems[0].err)
            vk_warn("msg=\"cannot resume partition\" topic=%s partition=%" PRId32 " error=\"%s\"",
                    l->paused[i].topic, l->paused[i].partition,
                    rd_kafka_err2str(err ? err : one->elems[0].err));
        rd_kafka_topic_partition_list_destroy(one);
    }
    free(l->paused[i].topic);
    l->paused[i] = l->paused[--l->n_paused];
}

/* A revoked partition loses its pause: whoever owns it next decides again. Resumed first, so
 * the consumer does not keep it paused should it come back to this instance. */
static void pause_forget_revoked(loop *l, const rd_kafka_topic_partition_list_t *parts) {
    for (int i = 0; i < l->n_paused;) {
        if (rd_kafka_topic_partition_list_find(parts, l->paused[i].topic, l->paused[i].partition))
            pause_drop(l, i, true);
        else
            i++;
    }
}

static void rebalance_cb(rd_kafka_t *consumer, rd_kafka_resp_err_t err,
                         rd_kafka_topic_partition_list_t *parts, void *opaque) {
    loop *l = opaque;
    bool cooperative = strcmp(rd_kafka_rebalance_protocol(consumer), "COOPERATIVE") == 0;
    rd_kafka_error_t *error = NULL;
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
        vk_info("msg=\"partitions assigned\" count=%d", parts->cnt);
        if (cooperative)
            error = rd_kafka_incremental_assign(consumer, parts);
        else
            rd_kafka_assign(consumer, parts);
    } else {
        /* After a fatal error the producer can do nothing more (closing the consumer revokes
         * its partitions here): the broker aborts the open transaction by itself. */
        if (l->batch_n > 0 && !l->fatal) {
            if (rd_kafka_assignment_lost(consumer)) {
                txn_abort(l, "assignment lost");
            } else if (txn_commit(l) == 0) {
                vk_warn("msg=\"batch aborted during revoke; it will be redelivered\"");
            }
            if (!l->fatal)
                txn_begin(l);
        }
        if (l->n_paused)
            pause_forget_revoked(l, parts);
        vk_info("msg=\"partitions revoked\" count=%d", parts->cnt);
        if (cooperative)
            error = rd_kafka_incremental_unassign(consumer, parts);
        else
            rd_kafka_assign(consumer, NULL);
    }
    if (error)
        fatal_error(l, "assignment change failed", error);
}

static void dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque) {
    (void)rk;
    if (m->err) { /* the transaction will fail to commit and be aborted and redone */
        vk_error("msg=\"delivery failed\" topic=%s partition=%" PRId32 " error=\"%s\"",
                 rd_kafka_topic_name(m->rkt), m->partition, rd_kafka_err2str(m->err));
        note_output_failure(opaque, rd_kafka_topic_name(m->rkt), m->err);
    }
}

/* Runs the handler on one message and produces what it returns. 0, -1 to abort, or 1 when the
 * handler deferred the message (until l->outs.defer_until; nothing produced or counted). */
/* An output the producer would refuse as too large, or NULL. Checked before anything of the
 * message is produced, so that its input becomes a dead letter (OUTPUT_TOO_LARGE) instead of a
 * transaction that aborts on every try: an output is derived from the input, so the same input
 * would make it again. */
static const vk_output *too_large(const loop *l) {
    for (size_t i = 0; i < l->outs.n; i++)
        if (l->outs.items[i].key.len + l->outs.items[i].value.len > l->output_max)
            return &l->outs.items[i];
    return NULL;
}

static int loop_handle(loop *l, const rd_kafka_message_t *m) {
    vk_dead dead;
    memset(&dead, 0, sizeof dead);
    vk_outputs_reset(&l->outs);
    vk_handled h = l->svc->handler(l->svc->ctx, m, &l->outs, &dead);
    if (h == VK_RETRY) {
        if (dead.reason[0]) {
            char quoted[1100];
            vk_warn("msg=\"retrying the batch later\" topic=%s partition=%" PRId32
                    " offset=%" PRId64 " code=%s reason=\"%s\"",
                    rd_kafka_topic_name(m->rkt), m->partition, m->offset, dead.code,
                    vk_log_quote(dead.reason, quoted, sizeof quoted));
        }
        return -1;
    }
    if (h == VK_DEFER)
        return 1;
    const vk_output *big = h == VK_OK ? too_large(l) : NULL;
    if (big)
        h = vk_refuse(&dead, "OUTPUT_TOO_LARGE",
                      "its output to %s would be %zu bytes, more than the %zu a message may hold "
                      "(message.max.bytes)",
                      big->topic, big->key.len + big->value.len, l->output_max);
    if (h == VK_DEAD) {
        char err[256];
        vk_outputs_reset(&l->outs); /* a refused input produces nothing but its dead letter */
        if (vk_dead_letter_build(l->dead_enc, l->svc->name, m, &dead, l->dead_value_max, &l->outs,
                                 err, sizeof err)) {
            vk_error("msg=\"cannot build dead letter\" error=\"%s\"", err);
            return -1;
        }
        char quoted[1100];
        vk_info("msg=dead-lettered topic=%s partition=%" PRId32 " offset=%" PRId64
                " code=%s reason=\"%s\"",
                rd_kafka_topic_name(m->rkt), m->partition, m->offset, dead.code,
                vk_log_quote(dead.reason, quoted, sizeof quoted));
        l->n_dead_batch++;
    }
    if (produce_outputs(l))
        return -1;
    if (h == VK_OK) {
        l->n_out += l->outs.n;
        for (size_t i = 0; i < l->outs.n; i++)
            vk_tally_add(&l->ops.out, l->outs.items[i].topic, 1);
    } else {
        vk_tally_add(&l->ops.dead_codes, dead.code, 1);
    }
    vk_tally_add(&l->ops.in, rd_kafka_topic_name(m->rkt), 1);
    l->n_in++;
    l->batch_n++;
    return 0;
}

/* Room for one more paused partition. 0, or -1 when out of memory. */
static int grow_paused(loop *l) {
    if (l->n_paused < l->cap_paused)
        return 0;
    int cap = l->cap_paused ? l->cap_paused * 2 : 8;
    paused *p = realloc(l->paused, (size_t)cap * sizeof *p);
    if (!p)
        return -1;
    l->paused = p;
    l->cap_paused = cap;
    return 0;
}

/**
 * @brief VK_DEFER: commits the batch so far with @p m's partition at @p m's own offset, then
 * seeks that partition back to @p m and pauses it until l->outs.defer_until. If the commit has
 * to abort, the consumer is rewound instead (m comes again and is deferred again). A seek or
 * pause that fails is fatal: going on would commit past m.
 */
static void loop_defer(loop *l, const rd_kafka_message_t *m) {
    const char *topic = rd_kafka_topic_name(m->rkt);
    int64_t until = l->outs.defer_until;
    l->n_deferred++;
    if (l->batch_n > 0) {
        l->holding = true;
        l->hold_topic = topic;
        l->hold_partition = m->partition;
        l->hold_offset = m->offset;
        int rc = txn_commit(l);
        l->holding = false;
        if (rc < 0)
            return;
        if (rc == 0)
            rewind_consumer(l);
        if (!l->fatal)
            txn_begin(l);
        if (rc == 0 || l->fatal)
            return;
    }
    char *name = strdup(topic);
    if (!name || grow_paused(l)) {
        vk_error("msg=\"out of memory deferring a message\" fatal=true");
        l->fatal = true;
        free(name);
        return;
    }
    rd_kafka_topic_partition_list_t *one = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(one, topic, m->partition)->offset = m->offset;
    rd_kafka_error_t *error = rd_kafka_seek_partitions(l->consumer, one, 30000);
    rd_kafka_resp_err_t err = error ? RD_KAFKA_RESP_ERR_NO_ERROR : one->elems[0].err;
    if (!error && !err)
        err = rd_kafka_pause_partitions(l->consumer, one);
    if (!error && !err)
        err = one->elems[0].err;
    rd_kafka_topic_partition_list_destroy(one);
    if (error || err) {
        if (error)
            fatal_error(l, "cannot seek back to a deferred message", error);
        else
            vk_error("msg=\"cannot pause a deferred partition\" topic=%s partition=%" PRId32
                     " error=\"%s\" fatal=true",
                     topic, m->partition, rd_kafka_err2str(err));
        l->fatal = true;
        free(name);
        return;
    }
    paused *p = &l->paused[l->n_paused++];
    p->topic = name;
    p->partition = m->partition;
    p->until = until;
    char ts[32];
    vk_debug("msg=deferred topic=%s partition=%" PRId32 " offset=%" PRId64 " until=%s", topic,
             m->partition, m->offset, vk_time_format(until, VK_TIME_S, ts, sizeof ts));
}

/* Resumes the partitions whose deferral has passed. */
static void loop_resume_due(loop *l) {
    int64_t now = vk_now_ms();
    for (int i = 0; i < l->n_paused;) {
        if (l->paused[i].until <= now) {
            vk_debug("msg=resumed topic=%s partition=%" PRId32, l->paused[i].topic,
                     l->paused[i].partition);
            pause_drop(l, i, true);
        } else {
            i++;
        }
    }
}

static void loop_metrics(loop *l) {
    int64_t lag = l->ops.base.lag_sum; /* updated every second (ops_gauges) */
    char deferrals[64] = "";           /* only for a service that defers */
    if (l->n_deferred)
        snprintf(deferrals, sizeof deferrals, " deferred=%" PRIu64 " paused=%d", l->n_deferred,
                 l->n_paused);
    vk_info("msg=metrics events_in=%" PRIu64 " events_out=%" PRIu64 " dead_lettered=%" PRIu64
            " commits=%" PRIu64 " aborts=%" PRIu64 " consumer_lag=%" PRId64
            " commit_ms_max=%" PRId64 "%s",
            l->n_in, l->n_out, l->n_dead, l->n_commits, l->n_aborts, lag, l->batch_ms_max,
            deferrals);
    l->batch_ms_max = 0;
}

/* The loop's metric families besides the consumer's (vk_service_ops), and the endpoint on
 * metrics.listen. -1 when the endpoint cannot start (a wrong address is a configuration error,
 * not something to run without). */
static int ops_setup(loop *l) {
    ops *o = &l->ops;
    const double *lat = vk_metrics_latency_buckets;
    int nlat = vk_metrics_latency_buckets_n;
    if (vk_service_ops_start(&o->base, l->cfg))
        return -1;
    vk_metrics *reg = o->base.reg;
    o->events_in =
        vk_metrics_add(reg, VK_COUNTER, "vaksin_events_in_total",
                       "Input messages handled in committed transactions.", "topic", NULL, 0);
    o->events_out =
        vk_metrics_add(reg, VK_COUNTER, "vaksin_events_out_total",
                       "Output events committed (dead letters not included).", "topic", NULL, 0);
    o->dead = vk_metrics_add(reg, VK_COUNTER, "vaksin_dead_letters_total",
                             "Dead letters committed, by reason code.", "code", NULL, 0);
    o->txns =
        vk_metrics_add(reg, VK_COUNTER, "vaksin_transactions_total",
                       "Kafka transactions by outcome (committed, aborted).", "outcome", NULL, 0);
    o->batch_s =
        vk_metrics_add(reg, VK_HISTOGRAM, "vaksin_batch_seconds",
                       "From a transaction's first message to its commit.", NULL, lat, nlat);
    o->commit_s =
        vk_metrics_add(reg, VK_HISTOGRAM, "vaksin_commit_seconds",
                       "Flushing the outputs and committing the transaction.", NULL, lat, nlat);
    if (!o->events_in || !o->events_out || !o->dead || !o->txns || !o->batch_s || !o->commit_s) {
        vk_error("msg=\"cannot make the metrics\" error=\"out of memory\"");
        return -1;
    }
    vk_metric_inc(o->txns, "committed", 0);
    vk_metric_inc(o->txns, "aborted", 0);
    return 0;
}

/* Every second: the consumer's gauges and readiness, and the service's own metrics. */
static void ops_gauges(loop *l) {
    vk_service_ops_update(&l->ops.base, l->consumer,
                          l->fatal ? "stopping after a fatal error" : NULL);
    if (l->svc->publish)
        l->svc->publish(l->svc->ctx, l->ops.base.reg);
}

/* While the registry is awaited at start (@p arg: the vk_service_ops serving the endpoint):
 * alive, not ready, and saying why. */
static void registry_wait(void *arg, const char *why) {
    vk_service_ops *o = arg;
    if (vk_mono_ms() >= o->next)
        vk_service_ops_update(o, NULL, why);
}

/* The registry, when configured: the writer schemas of the outputs and the dead letters
 * registered before anything is consumed. 0, 1 when stopped while waiting, -1 when refused. */
static int registry_setup(loop *l, vk_codec *codec) {
    const char *writes[VK_SERVICE_WRITES_MAX];
    int rc = 0;
    l->ops.base.registry = l->svc->registry;
    if (!l->svc->registry) {
        vk_service_writes(l->svc->output_topics, writes);
        rc = vk_registry_setup(l->cfg, codec, writes, registry_wait, &l->ops.base, &l->registry);
        l->ops.base.registry = l->registry;
    }
    return rc;
}

void vk_service_writes(const char *const *output_topics, const char **writes) {
    size_t n = 0;
    for (const char *const *t = output_topics; t && *t && n < VK_SERVICE_WRITES_MAX - 2; t++)
        writes[n++] = *t;
    writes[n++] = VK_TOPIC_DEAD_LETTERS;
    writes[n] = NULL;
}

static int loop_setup(loop *l, vk_codec *codec) {
    char err[512], txid[256];
    snprintf(txid, sizeof txid, "%s-%s", l->svc->name, vk_config_get(l->cfg, "instance.id", "0"));
    l->dead_enc = vk_encoder_new(codec, VK_SCHEMA_DEAD_LETTER, err, sizeof err);
    if (!l->dead_enc) {
        vk_error("msg=\"cannot make dead-letter encoder\" error=\"%s\"", err);
        return -1;
    }
    rd_kafka_conf_t *pconf = rd_kafka_conf_new();
    rd_kafka_conf_set_dr_msg_cb(pconf, dr_cb);
    rd_kafka_conf_set_opaque(pconf, l);
    l->producer = vk_producer_new(l->cfg, txid, pconf);
    if (!l->producer)
        return -1;
    rd_kafka_conf_t *cconf = rd_kafka_conf_new();
    rd_kafka_conf_set_rebalance_cb(cconf, rebalance_cb);
    rd_kafka_conf_set_opaque(cconf, l);
    l->consumer = vk_consumer_new(l->cfg, vk_config_get(l->cfg, "group.id", l->svc->name), cconf);
    if (!l->consumer)
        return -1;
    rd_kafka_error_t *error = rd_kafka_init_transactions(l->producer, 60000);
    if (error) {
        fatal_error(l, "cannot init transactions", error);
        return -1;
    }
    int n = 0;
    while (l->svc->input_topics[n])
        n++;
    rd_kafka_topic_partition_list_t *topics = rd_kafka_topic_partition_list_new(n);
    for (int i = 0; i < n; i++)
        rd_kafka_topic_partition_list_add(topics, l->svc->input_topics[i], RD_KAFKA_PARTITION_UA);
    rd_kafka_resp_err_t rerr = rd_kafka_subscribe(l->consumer, topics);
    rd_kafka_topic_partition_list_destroy(topics);
    if (rerr) {
        vk_error("msg=\"cannot subscribe\" error=\"%s\"", rd_kafka_err2str(rerr));
        return -1;
    }
    return 0;
}

int vk_service_run(const vk_config *cfg, vk_codec *codec, const vk_service *svc) {
    loop l;
    memset(&l, 0, sizeof l);
    l.svc = svc;
    l.cfg = cfg;
    l.commit_after_txn = vk_config_get_bool(cfg, "commit.after.txn", false);
    l.dead_value_max = (size_t)vk_config_get_int(cfg, "dead.value.max.bytes", 262144);
    /* The producer's message.max.bytes (librdkafka's default 1,000,000), less room for a
     * record's framing; a dead letter's value is cut to fit beside its context (reason, topic,
     * key), so that it always fits too. */
    long long max_bytes =
        vk_config_get_int(cfg, "kafka.producer.message.max.bytes",
                          vk_config_get_int(cfg, "kafka.message.max.bytes", 1000000));
    l.output_max = (size_t)(max_bytes - (max_bytes / 4 < 1024 ? max_bytes / 4 : 1024));
    if (l.dead_value_max + 2048 > l.output_max)
        l.dead_value_max = l.output_max > 4096 ? l.output_max - 2048 : l.output_max / 2;
    l.failures_max = (int)vk_config_get_int(cfg, "output.failures.max", 5);
    if (l.failures_max < 1)
        l.failures_max = 1;
    vk_rng_seed(&l.rng, 0);
    /* The window of an event's time the request helpers accept (vk_envelope_read). */
    int64_t earliest = VK_EVENT_EARLIEST_MS;
    const char *earliest_text = vk_config_get(cfg, "time.earliest", NULL);
    char terr[256];
    if (earliest_text && *earliest_text &&
        vk_time_parse(earliest_text, &earliest, terr, sizeof terr)) {
        vk_error("msg=\"bad configuration\" key=time.earliest error=\"%s\"", terr);
        return -1;
    }
    vk_envelope_window(earliest,
                       vk_config_get_int(cfg, "time.future.max.ms", VK_EVENT_FUTURE_MAX_MS));
    int batch_max = (int)vk_config_get_int(cfg, "batch.max", 10000);
    int64_t batch_ms = vk_config_get_int(cfg, "batch.ms", 100);
    int64_t metrics_ms = vk_config_get_int(cfg, "metrics.interval.ms", 10000);
    /* A batch also closes as soon as the input is drained (nothing more within batch.idle.ms):
     * a desk request then waits for its own transaction, not for batch.ms of others that are
     * not coming; under a bulk load the queue is never empty and batches still fill. Not for a
     * batch-asynchronous handler (complete hook), whose batches are its concurrency. */
    int64_t idle_ms = svc->complete ? -1 : vk_config_get_int(cfg, "batch.idle.ms", 1);

    int reg = -1;
    if (ops_setup(&l) == 0 && (reg = registry_setup(&l, codec)) == 0 &&
        loop_setup(&l, codec) == 0) {
        vk_info("msg=started transactional_id=%s-%s batch_max=%d batch_ms=%" PRId64, svc->name,
                vk_config_get(cfg, "instance.id", "0"), batch_max, batch_ms);
        txn_begin(&l);
        int64_t next_metrics = vk_mono_ms() + metrics_ms;
        while (!vk_stop && !l.fatal) {
            bool waiting = l.batch_n > 0 && idle_ms >= 0;
            rd_kafka_message_t *m = rd_kafka_consumer_poll(l.consumer, waiting ? (int)idle_ms : 50);
            bool drained = waiting && !m;
            if (m && m->err) {
                if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
                    vk_warn("msg=\"consumer error\" error=\"%s\"", rd_kafka_message_errstr(m));
                rd_kafka_message_destroy(m);
                m = NULL;
            }
            if (m) {
                int rc = loop_handle(&l, m);
                if (rc > 0)
                    loop_defer(&l, m);
                rd_kafka_message_destroy(m);
                if (rc < 0) {
                    txn_abort(&l, "handler asked to retry or output failed");
                    rewind_consumer(&l);
                    if (!l.fatal)
                        txn_begin(&l);
                    continue;
                }
            }
            if (l.n_paused)
                loop_resume_due(&l);
            int64_t now = vk_mono_ms();
            if (l.batch_n >= batch_max ||
                (l.batch_n > 0 && (drained || now - l.batch_started >= batch_ms)))
                loop_commit_and_begin(&l);
            if (now >= next_metrics) {
                loop_metrics(&l);
                next_metrics = now + metrics_ms;
            }
            if (now >= l.ops.base.next)
                ops_gauges(&l);
        }
        if (!l.fatal) {
            if (l.batch_n > 0 && txn_commit(&l) == 1)
                vk_info("msg=\"last batch committed on shutdown\"");
            else if (l.batch_n == 0)
                txn_close_empty(&l);
        }
        loop_metrics(&l);
    } else if (reg != 1) { /* 1: stopped while waiting for the registry, a clean stop */
        l.fatal = true;    /* logged where it failed: the caller exits non-zero */
    }
    if (l.consumer) {
        rd_kafka_consumer_close(l.consumer);
        rd_kafka_destroy(l.consumer);
    }
    if (l.producer)
        rd_kafka_destroy(l.producer);
    if (l.dead_enc)
        vk_encoder_destroy(l.dead_enc);
    vk_outputs_free(&l.outs);
    while (l.n_paused)
        pause_drop(&l, l.n_paused - 1, false);
    free(l.paused);
    vk_service_ops_stop(&l.ops.base);
    if (l.registry) {
        vk_codec_set_schema_source(codec, NULL, NULL, 0);
        vk_registry_destroy(l.registry);
    }
    vk_info("msg=stopped clean=%s", l.fatal ? "false" : "true");
    return l.fatal ? -1 : 0;
}

int vk_stage_main(int argc, char **argv, const vk_stage *stage) {
    vk_config *cfg = vk_config_new();
    int first, rc = vk_cli_parse(argc, argv, stage->program, cfg, &first);
    if (rc) {
        vk_config_destroy(cfg);
        return rc > 0 ? 0 : 2;
    }
    vk_install_signals();
    char err[512] = "";
    void *ctx = NULL, *extra = NULL;
    bool bad_config = false;
    static const char *const targets[] = {VK_TOPIC_TARGET_EVENTS, NULL};
    const char *const *outputs = stage->output_topics ? stage->output_topics : targets;
    const char *writes[VK_SERVICE_WRITES_MAX];
    vk_registry *registry = NULL;
    vk_service_writes(outputs, writes);
    vk_codec *codec = vk_codec_new(err, sizeof err);
    /* The registry before the setup: a setup may decode already (vaksin-verification reads
     * the access events to their end before the loop starts). Meanwhile the metrics endpoint
     * says alive and not ready, and why; the loop serves its own from then on. */
    int reg = 0;
    const char *url = vk_config_get(cfg, "schema.registry.url", NULL);
    if (codec && url && *url) {
        vk_service_ops waiting;
        if (vk_service_ops_start(&waiting, cfg) == 0) {
            vk_service_ops_update(&waiting, NULL, "registering the writer schemas");
            reg = vk_registry_setup(cfg, codec, writes, registry_wait, &waiting, &registry);
        } else {
            reg = -1; /* logged */
        }
        vk_service_ops_stop(&waiting);
    }
    if (codec && reg == 0)
        ctx = stage->setup(cfg, codec, &extra, &bad_config, err, sizeof err);
    if (reg) {
        rc = reg > 0 ? 0 : 1; /* stopped while waiting for the registry, or refused (logged) */
    } else if (!ctx) {
        vk_error("msg=\"cannot start\" error=\"%s\"", err);
        rc = bad_config ? 2 : 1;
    } else {
        const char *const inputs[] = {stage->input_topic, NULL};
        vk_service svc = {.name = stage->service,
                          .input_topics = inputs,
                          .handler = stage->handler,
                          .ctx = ctx,
                          .publish = stage->publish,
                          .output_topics = outputs,
                          .registry = registry};
        rc = vk_service_run(cfg, codec, &svc) ? 1 : 0;
        stage->teardown(ctx, extra);
    }
    vk_registry_destroy(registry);
    if (codec)
        vk_codec_destroy(codec);
    vk_config_destroy(cfg);
    return rc;
}
