/*
 * vaksin-projector — the only writer of the read model (docs/design.md §1, §5).
 *
 * Consumes vaksin.target.events (and vaksin.access.events) and applies them in log order, in
 * batches (projector.c). Its
 * Kafka offsets live in PostgreSQL (consumer_offset), committed in the same transaction as the
 * rows: on assignment it seeks to them, so after any crash it resumes exactly where the last
 * committed batch ended. The consumer group only distributes partitions; its own commits are
 * never used.
 *
 * On a database error the connection is re-established with backoff and the projector resumes
 * from the offsets stored in PostgreSQL, as after an assignment: the failed batch is consumed
 * and applied again from scratch (its decisions re-made against the committed rows), and so is
 * any earlier batch the database came back without (see flush()).
 *
 * The schema: by default the projector applies the embedded migrations itself at start
 * (vk_pg_migrate), which needs the schema owner's rights. A deployment that keeps DDL away from
 * the running writer sets migrate.on.start=false and runs `vaksin-projector --migrate` as the
 * owner first (compose/: the vaksin-migrate job); the projector then only checks that every
 * embedded migration is recorded and refuses to start otherwise, naming the step to run.
 */
#include "projector.h"
#include "vk_backoff.h"
#include "vk_config.h"
#include "vk_facility.h"
#include "vk_kafka.h"
#include "vk_log.h"
#include "vk_pg.h"
#include "vk_signals.h"
#include "vk_time.h"
#include "vk_tool.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const vk_config_doc keys[] = {
    {"kafka.bootstrap.servers", NULL, "Kafka bootstrap servers (or VAKSIN_BOOTSTRAP)"},
    {"pg.conninfo", NULL, "libpq connection string of the read model (or VAKSIN_PG)"},
    {"migrate.on.start", "true",
     "apply the schema migrations at start (needs the schema owner's rights); false: only check"
     " that the schema has them all and refuse to start otherwise (run --migrate first)"},
    VK_PG_STATEMENT_TIMEOUT_KEY("60000", " (then it reconnects and resumes from the stored offsets;"
                                         " migrations have no limit)"),
    {"group.id", "vaksin-projector", "consumer group (also the key of its stored offsets)"},
    {"batch.max", "2000",
     "events per database transaction at most (each costs ~5 KB while the batch is open)"},
    {"batch.ms", "200", "milliseconds a batch waits to fill at most"},
    {"batch.idle.ms", "1", "write the batch as soon as no event came for this long"},
    {"facilities.file", NULL, "facility reference CSV (code,name,kind,district) to load"},
    {"vaccines.file", NULL,
     "vaccine catalog CSV (code,name,doses,min_interval_days); default: built in"},
    {"metrics.interval.ms", "10000", "how often a metrics line is logged"},
    {"metrics.listen", "off",
     "host:port of GET /metrics, /healthz and /readyz (an IP address; off: none)"},
    {"ready.lag.max", "1000", "/readyz says not ready while more events than this wait"},
    VK_REGISTRY_KEYS,
    {"log.level", "info", "debug, info, warn or error"},
    {NULL, NULL, NULL},
};

static const vk_program program = {
    "vaksin-projector", "vaksin.target.events → the PostgreSQL read model",
    "[--migrate]\n"
    "  --migrate  apply the schema migrations (connect as the schema owner), print each one\n"
    "             applied and exit: 0 when the schema is up to date, 1 when a migration failed",
    keys};

/* GET /metrics: the consumer's gauges and the endpoint (base), and what the projector did, as
 * projector_stats counts it, per batch. */
typedef struct ops {
    vk_service_ops base;
    vk_metric *events, *quarantined, *batches, *phase, *batch_s, *rows, *rejections;
    projector_stats seen; /* the stats at the last update */
} ops;

typedef struct app {
    const vk_config *cfg;
    projector *proj;
    PGconn *db;
    rd_kafka_t *consumer;
    const char *conninfo;
    bool fatal;
    ops ops;
    vk_registry *registry; /* NULL without schema.registry.url */
    int registry_waits;    /* waits in a row for the registry (registry_backoff) */
    vk_rng rng;
} app;

static int ops_setup(app *a) {
    ops *o = &a->ops;
    const double *lat = vk_metrics_latency_buckets;
    int nlat = vk_metrics_latency_buckets_n;
    if (vk_service_ops_start(&o->base, a->cfg))
        return -1;
    vk_metrics *reg = o->base.reg;
    o->events = vk_metrics_add(reg, VK_COUNTER, "vaksin_projected_events_total",
                               "Events in committed batches, by outcome (applied, unchanged, "
                               "rejected, duplicate).",
                               "outcome", NULL, 0);
    o->quarantined =
        vk_metrics_add(reg, VK_COUNTER, "vaksin_quarantined_events_total",
                       "Events the database refused, set aside in quarantine.", NULL, NULL, 0);
    o->batches = vk_metrics_add(reg, VK_COUNTER, "vaksin_projector_batches_total",
                                "Batches committed.", NULL, NULL, 0);
    o->phase = vk_metrics_add(reg, VK_HISTOGRAM, "vaksin_batch_phase_seconds",
                              "Time of each phase of a batch (decode, load, decide, write, "
                              "commit).",
                              "phase", lat, nlat);
    o->batch_s = vk_metrics_add(reg, VK_HISTOGRAM, "vaksin_batch_seconds",
                                "Applying one batch, from BEGIN to COMMIT.", NULL, lat, nlat);
    o->rows = vk_metrics_add(reg, VK_COUNTER, "vaksin_rows_written_total",
                             "Rows of the read model written by committed batches, per table, as "
                             "PostgreSQL counted them.",
                             "table", NULL, 0);
    o->rejections = vk_metrics_add(reg, VK_COUNTER, "vaksin_rejections_total",
                                   "Events the read model's rules refused (rejection rows), by "
                                   "reason code.",
                                   "code", NULL, 0);
    if (!o->events || !o->quarantined || !o->batches || !o->phase || !o->batch_s || !o->rows ||
        !o->rejections) {
        vk_error("msg=\"cannot make the metrics\" error=\"out of memory\"");
        return -1;
    }
    static const char *const outcomes[] = {"applied", "unchanged", "rejected", "duplicate"};
    for (int i = 0; i < 4; i++)
        vk_metric_inc(o->events, outcomes[i], 0);
    return 0;
}

/* After a batch: what the stats gained since the last update. */
static void ops_batch(app *a, int64_t ms) {
    ops *o = &a->ops;
    const projector_stats *s = projector_get_stats(a->proj);
    vk_metric_inc(o->events, "applied", (double)(s->applied - o->seen.applied));
    vk_metric_inc(o->events, "unchanged", (double)(s->unchanged - o->seen.unchanged));
    vk_metric_inc(o->events, "rejected", (double)(s->rejected - o->seen.rejected));
    vk_metric_inc(o->events, "duplicate", (double)(s->duplicates - o->seen.duplicates));
    vk_metric_inc(o->quarantined, NULL, (double)(s->quarantined - o->seen.quarantined));
    vk_metric_inc(o->batches, NULL, (double)(s->batches - o->seen.batches));
    for (size_t i = 0; i < s->n_rows; i++) /* cumulative already */
        vk_metric_set(o->rows, s->rows[i].table, (double)s->rows[i].rows);
    vk_tally_publish(&s->rejections, o->rejections);
    if (s->batches > o->seen.batches) {
        vk_metric_observe(o->phase, "decode", (double)(s->ms_decode - o->seen.ms_decode) / 1000);
        vk_metric_observe(o->phase, "load", (double)(s->ms_load - o->seen.ms_load) / 1000);
        vk_metric_observe(o->phase, "decide", (double)(s->ms_decide - o->seen.ms_decide) / 1000);
        vk_metric_observe(o->phase, "write", (double)(s->ms_write - o->seen.ms_write) / 1000);
        vk_metric_observe(o->phase, "commit", (double)(s->ms_commit - o->seen.ms_commit) / 1000);
        vk_metric_observe(o->batch_s, NULL, (double)ms / 1000);
    }
    o->seen = *s;
}

/* Every second: alive; lag, assignment, readiness (the database connection included). */
static void ops_gauges(app *a) {
    vk_service_ops_update(&a->ops.base, a->consumer,
                          a->fatal ? "stopping after a fatal error"
                          : !a->db || PQstatus(a->db) != CONNECTION_OK
                              ? "no connection to PostgreSQL"
                              : NULL);
}

/* Reconnects until it works or the program is stopped. */
static bool reconnect(app *a) {
    if (a->db)
        PQfinish(a->db);
    a->db = vk_pg_connect(a->conninfo, INT64_MAX, &vk_stop);
    return a->db != NULL;
}

/*
 * Drops the open batch and seeks every assigned partition to the offset stored in PostgreSQL,
 * reconnecting until the offsets can be read. A seek that fails is fatal: going on would apply
 * from a position the database does not vouch for (the next start seeks again).
 */
static void resume_from_stored(app *a) {
    projector_discard(a->proj);
    rd_kafka_topic_partition_list_t *parts = NULL;
    if (rd_kafka_assignment(a->consumer, &parts) || !parts) {
        vk_error("msg=\"cannot read the assignment to seek to stored offsets\" fatal=true");
        a->fatal = true;
        return;
    }
    while (parts->cnt > 0 && projector_load_offsets(a->proj, a->db, parts) && !vk_stop) {
        sleep(1);
        if (!reconnect(a)) {
            a->fatal = true;
            break;
        }
    }
    if (parts->cnt > 0 && !a->fatal && !vk_stop) {
        rd_kafka_error_t *e = rd_kafka_seek_partitions(a->consumer, parts, 30000);
        const char *why = e ? rd_kafka_error_string(e) : NULL;
        for (int i = 0; !why && i < parts->cnt; i++)
            if (parts->elems[i].err)
                why = rd_kafka_err2str(parts->elems[i].err);
        if (why) {
            vk_error("msg=\"cannot seek to the offsets stored in PostgreSQL\" error=\"%s\""
                     " fatal=true",
                     why);
            a->fatal = true;
        } else {
            vk_info("msg=\"resuming from the offsets stored in PostgreSQL\" partitions=%d",
                    parts->cnt);
        }
        if (e)
            rd_kafka_error_destroy(e);
    }
    rd_kafka_topic_partition_list_destroy(parts);
}

/*
 * Applies the open batch; re-seeks after a stale batch. On a database error it reconnects (with
 * vk_pg_connect's backoff, 0.2 s doubling to 5 s, for as long as it takes) and then resumes
 * from the offsets stored in PostgreSQL rather than retrying the batch in memory: the database
 * may have come back without commits it had acknowledged (a crash with synchronous_commit=off,
 * as the tests and benchmarks run it; a failover to an asynchronous replica; a restore), and
 * the consumer's position has moved past them. Only the stored offsets say what is applied;
 * the events after them, this batch's included, are consumed and applied again (duplicates of
 * what did survive are dropped by event id). eos_pg_restart lost a 40-event batch without this.
 */
static void flush(app *a) {
    while (projector_pending(a->proj) > 0 && !a->fatal) {
        bool stale = false;
        int64_t t0 = vk_mono_ms();
        if (projector_flush(a->proj, a->db, &stale) == 0) {
            if (stale)
                resume_from_stored(a);
            vk_debug("msg=\"batch applied\" ms=%" PRId64, vk_mono_ms() - t0);
            a->registry_waits = 0;
            ops_batch(a, vk_mono_ms() - t0);
            return;
        }
        if (!vk_stop && PQstatus(a->db) == CONNECTION_OK && projector_failed_on_data(a->proj)) {
            /* A value the database refuses fails this batch however often it is retried: set
             * the offending events aside and apply the rest (projector_isolate). */
            vk_warn("msg=\"batch refused by the database; isolating the events it fails on\""
                    " events=%d",
                    projector_pending(a->proj));
            if (projector_isolate(a->proj, a->db, &stale) == 0) {
                if (stale)
                    resume_from_stored(a);
                ops_batch(a, vk_mono_ms() - t0);
                return;
            }
        }
        if (vk_stop) {
            vk_warn("msg=\"stopping with an unapplied batch; it will be consumed again\"");
            projector_discard(a->proj);
            return;
        }
        vk_warn("msg=\"batch failed; reconnecting and resuming from the stored offsets\"");
        sleep(1);
        if (!reconnect(a)) {
            a->fatal = true;
            return;
        }
        resume_from_stored(a);
    }
}

/* Waits before an event whose schema the registry could not give is read again: 1 s
 * doubling to 30 s while the registry stays away, with jitter; back to 1 s after a batch. */
static void registry_backoff(app *a) {
    int64_t wait = vk_backoff_equal_jitter(1000, 30000, a->registry_waits++, vk_rng_next(&a->rng));
    vk_warn("msg=\"waiting for the schema registry\" retry_in_ms=%" PRId64, wait);
    for (int64_t left = wait; left > 0 && !vk_stop; left -= 100) {
        if (vk_mono_ms() >= a->ops.base.next)
            vk_service_ops_update(&a->ops.base, a->consumer, "waiting for the schema registry");
        vk_nap(left < 100 ? left : 100);
    }
}

/*
 * Between batches: is the connection still there? A PostgreSQL restart ends every session, so
 * a dead connection is how the projector learns that the server went away — and a crash may
 * have taken acknowledged commits with it (see flush()), which no later batch would notice:
 * the consumer is already past them, and the next batch would store its offsets over theirs.
 * So the projector reconnects and resumes from the stored offsets now rather than when the next
 * event comes (until then it would sit behind, however long the input stays quiet). Without
 * blocking: one recv().
 */
static void check_idle_connection(app *a) {
    if (PQconsumeInput(a->db) && PQstatus(a->db) == CONNECTION_OK)
        return;
    vk_warn("msg=\"connection to PostgreSQL lost between batches; reconnecting and resuming from"
            " the stored offsets\"");
    if (!reconnect(a)) {
        a->fatal = true;
        return;
    }
    resume_from_stored(a);
}

static void rebalance_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                         rd_kafka_topic_partition_list_t *parts, void *opaque) {
    app *a = opaque;
    bool cooperative = strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE") == 0;
    rd_kafka_error_t *error = NULL;
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
        while (projector_load_offsets(a->proj, a->db, parts) && !vk_stop)
            if (!reconnect(a))
                break;
        vk_info("msg=\"partitions assigned; seeking to offsets stored in PostgreSQL\" count=%d",
                parts->cnt);
        if (cooperative)
            error = rd_kafka_incremental_assign(rk, parts);
        else
            rd_kafka_assign(rk, parts);
    } else {
        if (rd_kafka_assignment_lost(rk))
            projector_discard(a->proj);
        else
            flush(a);
        vk_info("msg=\"partitions revoked\" count=%d", parts->cnt);
        if (cooperative)
            error = rd_kafka_incremental_unassign(rk, parts);
        else
            rd_kafka_assign(rk, NULL);
    }
    if (error) {
        vk_error("msg=\"assignment change failed\" error=\"%s\"", rd_kafka_error_string(error));
        rd_kafka_error_destroy(error);
        a->fatal = true;
    }
}

/* Loads the facility reference CSV (header code,name,kind,district), parsed by the one reader of
 * that file (lib/domain/vk_facility.c), into the facility table with COPY and an upsert. */
static int load_facilities(PGconn *db, const char *path) {
    char err[512];
    vk_facility_map *m = vk_facility_map_new();
    if (!m || vk_facility_map_load_file(m, path, err, sizeof err)) {
        vk_error("msg=\"cannot load facilities file\" path=%s error=\"%s\"", path,
                 m ? err : "out of memory");
        vk_facility_map_destroy(m);
        return -1;
    }
    vk_buf data = VK_BUF_INIT;
    for (size_t i = 0; i < vk_facility_map_count(m); i++) {
        const vk_facility *f = vk_facility_map_at(m, i);
        vk_copy_text(&data, f->code), vk_copy_sep(&data), vk_copy_text(&data, f->name);
        vk_copy_sep(&data), vk_copy_text(&data, f->kind), vk_copy_sep(&data);
        vk_copy_text(&data, f->district), vk_copy_eol(&data);
    }
    int rc = vk_pg_exec(db, "BEGIN") ||
             vk_pg_exec(db, "CREATE TEMP TABLE facility_in (code text, name text, kind text,"
                            " district text) ON COMMIT DROP") ||
             (data.len &&
              vk_pg_copy(db, "COPY facility_in (code, name, kind, district) FROM STDIN", &data)) ||
             vk_pg_exec(db, "INSERT INTO facility (code, name, kind, district_code, province_code)"
                            " SELECT code, name, kind, district, left(district, 2) FROM facility_in"
                            " ON CONFLICT (code) DO UPDATE"
                            " SET name = EXCLUDED.name, kind = EXCLUDED.kind,"
                            " district_code = EXCLUDED.district_code,"
                            " province_code = EXCLUDED.province_code") ||
             vk_pg_exec(db, "COMMIT");
    if (rc)
        vk_pg_exec(db, "ROLLBACK");
    else
        vk_info("msg=\"facility reference table loaded\" path=%s facilities=%zu", path,
                vk_facility_map_count(m));
    vk_buf_free(&data);
    vk_facility_map_destroy(m);
    return rc ? -1 : 0;
}

/* --migrate: prints each migration as it is committed. */
static void print_applied(const char *version, void *ctx) {
    int *n = ctx;
    printf("applied %s\n", version);
    fflush(stdout);
    (*n)++;
}

/* vaksin-projector --migrate: the schema owner's step. 0, or 1 (the failure is logged). */
static int migrate_only(PGconn *db) {
    int applied = 0;
    if (vk_pg_migrate_each(db, print_applied, &applied))
        return 1;
    vk_pg_schema_status st;
    if (vk_pg_schema_status_get(db, &st))
        return 1;
    printf("schema at %s: %s\n", st.at, applied ? "up to date" : "up to date, nothing to apply");
    return 0;
}

/*
 * migrate.on.start=false: the login may not run DDL, so the schema must already have every
 * migration this binary embeds. One line that says what to do when it has not.
 */
static int check_schema(PGconn *db) {
    vk_pg_schema_status st;
    if (vk_pg_schema_status_get(db, &st)) {
        char state[6], message[256];
        vk_pg_last_error(state, sizeof state, message, sizeof message);
        vk_error("msg=\"cannot read the schema's migrations (%s): run vaksin-projector --migrate as"
                 " the schema owner\" sqlstate=%s",
                 message[0] ? message : "no answer", state[0] ? state : "none");
        return -1;
    }
    if (st.n_missing > 0) {
        vk_error("msg=\"schema at %s, this vaksin-projector needs %s: run vaksin-projector"
                 " --migrate as the schema owner\" missing=%s",
                 st.at[0] ? st.at : "nothing (no migration applied)", st.needs, st.missing);
        return -1;
    }
    vk_info("msg=\"schema has every migration; migrate.on.start=false, none applied\" schema_at=%s",
            st.at);
    return 0;
}

/* Strictly true or false: a mistyped value must not silently decide who runs DDL. */
static int migrate_on_start(const vk_config *cfg, bool *on) {
    const char *v = vk_config_get(cfg, "migrate.on.start", "true");
    if (strcmp(v, "true") == 0 || strcmp(v, "1") == 0)
        *on = true;
    else if (strcmp(v, "false") == 0 || strcmp(v, "0") == 0)
        *on = false;
    else
        return -1;
    return 0;
}

static void log_metrics(app *a) {
    const projector_stats *s = projector_get_stats(a->proj);
    vk_info("msg=metrics events=%" PRIu64 " applied=%" PRIu64 " unchanged=%" PRIu64
            " rejected=%" PRIu64 " duplicates=%" PRIu64 " undecodable=%" PRIu64 " batches=%" PRIu64
            " ms_decode=%" PRId64 " ms_load=%" PRId64 " ms_decide=%" PRId64 " ms_write=%" PRId64
            " ms_commit=%" PRId64 " quarantined=%" PRIu64,
            s->events, s->applied, s->unchanged, s->rejected, s->duplicates, s->undecodable,
            s->batches, s->ms_decode, s->ms_load, s->ms_decide, s->ms_write, s->ms_commit,
            s->quarantined);
}

static int run(app *a, int batch_max, int64_t batch_ms, int64_t idle_ms, int64_t metrics_ms) {
    /* The person's log, and the access rights of verification users. */
    rd_kafka_topic_partition_list_t *sub = rd_kafka_topic_partition_list_new(2);
    rd_kafka_topic_partition_list_add(sub, VK_TOPIC_TARGET_EVENTS, RD_KAFKA_PARTITION_UA);
    rd_kafka_topic_partition_list_add(sub, VK_TOPIC_ACCESS_EVENTS, RD_KAFKA_PARTITION_UA);
    rd_kafka_resp_err_t err = rd_kafka_subscribe(a->consumer, sub);
    rd_kafka_topic_partition_list_destroy(sub);
    if (err) {
        vk_error("msg=\"cannot subscribe\" error=\"%s\"", rd_kafka_err2str(err));
        return -1;
    }
    int64_t started = vk_mono_ms(), next_metrics = started + metrics_ms;
    while (!vk_stop && !a->fatal) {
        /* With a batch open, a short poll: an empty one means the input is drained, and the
         * batch is written at once (a desk waits for it); under a bulk load the queue is never
         * empty and batches still fill. */
        int timeout = projector_pending(a->proj) > 0 && idle_ms >= 0 ? (int)idle_ms : 20;
        rd_kafka_message_t *m = rd_kafka_consumer_poll(a->consumer, timeout);
        if (m && m->err) {
            vk_warn("msg=\"consumer error\" error=\"%s\"", rd_kafka_message_errstr(m));
            rd_kafka_message_destroy(m);
            m = NULL;
        }
        if (m) {
            if (projector_pending(a->proj) == 0)
                started = vk_mono_ms();
            if (projector_add(a->proj, m)) {
                /* The registry did not answer for its schema: apply what came before it, wait,
                 * and read on from the stored offsets, which are just before it. */
                rd_kafka_message_destroy(m);
                flush(a);
                registry_backoff(a);
                if (!a->fatal && !vk_stop)
                    resume_from_stored(a);
                continue;
            }
        }
        int64_t now = vk_mono_ms();
        int pending = projector_pending(a->proj);
        if (pending >= batch_max || (pending > 0 && (now - started >= batch_ms || !m)))
            flush(a);
        else if (pending == 0)
            check_idle_connection(a);
        if (now >= next_metrics) {
            log_metrics(a);
            next_metrics = now + metrics_ms;
        }
        if (now >= a->ops.base.next)
            ops_gauges(a);
    }
    if (!a->fatal)
        flush(a);
    log_metrics(a);
    return a->fatal ? -1 : 0;
}

int main(int argc, char **argv) {
    bool migrate = vk_tool_take_flag(&argc, argv, "--migrate");
    vk_config *cfg = vk_config_new();
    int first, rc = vk_cli_parse(argc, argv, &program, cfg, &first);
    if (rc || first < argc) {
        if (!rc)
            fprintf(stderr, "vaksin-projector: unexpected argument %s (see --help)\n", argv[first]);
        vk_config_destroy(cfg);
        return rc > 0 ? 0 : 2;
    }
    bool migrate_first = true;
    if (migrate_on_start(cfg, &migrate_first)) {
        vk_error("msg=\"migrate.on.start must be true or false\"");
        vk_config_destroy(cfg);
        return 2;
    }
    vk_install_signals();
    app a = {.cfg = cfg, .conninfo = vk_config_get(cfg, "pg.conninfo", NULL)};
    if (!a.conninfo) {
        vk_error("msg=\"pg.conninfo is required (VAKSIN_PG)\"");
        vk_config_destroy(cfg);
        return 2;
    }
    if (vk_pg_set_statement_timeout(vk_config_get_int(cfg, "pg.statement.timeout.ms", 60000))) {
        vk_error("msg=\"" VK_PG_STATEMENT_TIMEOUT_RANGE "\"");
        vk_config_destroy(cfg);
        return 2;
    }
    if (migrate) {
        PGconn *db = vk_pg_connect(a.conninfo, 120000, &vk_stop);
        rc = db ? migrate_only(db) : 1;
        if (db)
            PQfinish(db);
        vk_config_destroy(cfg);
        return rc;
    }
    int batch_max = (int)vk_config_get_int(cfg, "batch.max", 2000);
    char err[512];
    vk_codec *codec = vk_codec_new(err, sizeof err);
    vk_catalog catalog = {0};
    bool catalog_ok = vk_catalog_from_config(&catalog, cfg, err, sizeof err) == 0;
    a.proj = codec && catalog_ok
                 ? projector_new(codec, &catalog, vk_config_get(cfg, "group.id", PROJECTOR_SERVICE),
                                 batch_max, err, sizeof err)
                 : NULL;
    rc = 1;
    if (!a.proj) {
        vk_error("msg=\"cannot start\" error=\"%s\"", err);
        goto out;
    }
    a.db = vk_pg_connect(a.conninfo, 120000, &vk_stop);
    if (!a.db || (migrate_first ? vk_pg_migrate(a.db) : check_schema(a.db)))
        goto out;
    const char *facilities = vk_config_get(cfg, "facilities.file", NULL);
    if (facilities && *facilities && load_facilities(a.db, facilities))
        goto out;
    if (ops_setup(&a))
        goto out;
    /* The projector writes no Avro: the registry only gives it the schemas of ids it meets. */
    int reg = vk_registry_setup(cfg, codec, NULL, NULL, NULL, &a.registry);
    if (reg) {
        rc = reg > 0 ? 0 : 1;
        goto out;
    }
    a.ops.base.registry = a.registry;
    vk_rng_seed(&a.rng, 0);
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set_rebalance_cb(conf, rebalance_cb);
    rd_kafka_conf_set_opaque(conf, &a);
    /* Each topic split evenly between instances: cooperative-sticky balances the count of
     * partitions over both topics, and gave a second instance all of the (quiet) access topic
     * while the first kept every partition of the person's log (bench: two instances replaying
     * an import were no faster than one until the range assignor split that topic). */
    char cerr[256];
    if (rd_kafka_conf_set(conf, "partition.assignment.strategy", "range", cerr, sizeof cerr)) {
        vk_error("msg=\"bad librdkafka property\" error=\"%s\"", cerr);
        rd_kafka_conf_destroy(conf);
        goto out;
    }
    a.consumer = vk_consumer_new(cfg, vk_config_get(cfg, "group.id", PROJECTOR_SERVICE), conf);
    if (!a.consumer)
        goto out;
    vk_info("msg=started batch_max=%d", batch_max);
    rc = run(&a, batch_max, vk_config_get_int(cfg, "batch.ms", 200),
             vk_config_get_int(cfg, "batch.idle.ms", 1),
             vk_config_get_int(cfg, "metrics.interval.ms", 10000))
             ? 1
             : 0;
out:
    if (a.consumer) {
        rd_kafka_consumer_close(a.consumer);
        rd_kafka_destroy(a.consumer);
    }
    if (a.db)
        PQfinish(a.db);
    vk_service_ops_stop(&a.ops.base);
    projector_destroy(a.proj);
    vk_registry_destroy(a.registry);
    vk_catalog_free(&catalog);
    if (codec)
        vk_codec_destroy(codec);
    vk_config_destroy(cfg);
    vk_info("msg=stopped rc=%d", rc);
    return rc;
}
