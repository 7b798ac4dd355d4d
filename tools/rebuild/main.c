/*
 * vaksin-rebuild — replays vaksin.target.events and vaksin.access.events into a fresh PostgreSQL
 * schema with the projector's own code, then compares that schema with the live one, table by
 * table (docs/design.md §1 principle 1, §6). Prints "identical" or every differing row with both
 * versions; the exit status says which.
 *
 * Comparing a live read model that keeps moving: the live projector stores its Kafka offsets in
 * its own schema (consumer_offset), in the transaction that wrote the rows. The rebuild reads
 * them in a REPEATABLE READ snapshot and replays exactly up to them; when the live offsets are
 * still where the rebuild stopped, the tables are compared inside that same snapshot — both
 * sides then reflect the same prefix of the log. Otherwise it replays the new stretch and looks
 * again. The live side is only ever read: no lock beyond a snapshot, no write, and the Kafka
 * consumer assigns partitions itself and never commits, so the live projector's offsets (in
 * PostgreSQL and in Kafka) are untouched.
 *
 * Reference data is not in the log: the facility table is copied from the live schema, the
 * vaccine catalog comes from vaccines.file (as the projector's). The quarantine is not compared:
 * its rows name the consumer group and the time they were set aside, which differ by design
 * (the rebuild quarantines the same events under its own group).
 */
#include "projector.h"
#include "vk_audit.h"
#include "vk_config.h"
#include "vk_kafka.h"
#include "vk_log.h"
#include "vk_pg.h"
#include "vk_signals.h"
#include "vk_time.h"
#include "vk_tool.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const vk_config_doc keys[] = {
    {"kafka.bootstrap.servers", NULL, "Kafka bootstrap servers (or VAKSIN_BOOTSTRAP)"},
    {"pg.conninfo", NULL, "libpq connection string of the read model (or VAKSIN_PG)"},
    VK_PG_STATEMENT_TIMEOUT_KEY(
        "0", " (none by default: a rebuild and its comparison run long statements)"),
    {"group.id", "vaksin-projector", "the live projector's group (the key of its stored offsets)"},
    {"batch.max", "5000", "events per database transaction at most"},
    {"vaccines.file", NULL, "vaccine catalog CSV, as given to the projector; default: built in"},
    {"log.level", "warn", "debug, info, warn or error"},
    VK_REGISTRY_KEYS,
    {NULL, NULL, NULL},
};

static const vk_program program = {
    "vaksin-rebuild", "replay the log into a fresh schema and compare it with the live one",
    "[--schema NAME] [--live-schema NAME] [--from POS] [--show N] [--drop]\n"
    "  --schema NAME       schema to rebuild into, dropped first (default vaksin_rebuild)\n"
    "  --live-schema NAME  the live read model's schema (default public)\n"
    "  --from POS          replay from an offset, a time (ISO 8601 with zone, @ms) or beginning;\n"
    "                      rows of people with earlier events will then differ\n"
    "  --show N            differing rows printed per table (default 20; all are counted)\n"
    "  --drop              drop the rebuilt schema at the end (default: keep it to query)\n"
    "exit status: 0 identical, 1 different, 2 usage, 3 the rebuild could not run",
    keys};

enum { EXIT_SAME = 0, EXIT_DIFFERENT = 1, EXIT_USAGE = 2, EXIT_FAILED = 3 };

/* The replayed topics, in the projector's subscription order. */
static const char *const replayed[] = {VK_TOPIC_TARGET_EVENTS, VK_TOPIC_ACCESS_EVENTS};
#define N_REPLAYED 2

typedef struct rebuild {
    const char *schema, *live, *group;
    projector *proj;
    PGconn *db;  /* the rebuilt schema's connection (search_path = schema) */
    PGconn *ldb; /* the live schema's, read-only snapshots */
    vk_scan *scan;
    int batch_max;
    int32_t parts[N_REPLAYED];
    int64_t *pos[N_REPLAYED]; /* next offset to replay, per partition */
    int64_t min_time;         /* first round: keep only messages this new (--from time) */
    bool failed;
    uint64_t events;
} rebuild;

static bool valid_identifier(const char *s) {
    if (!s || !*s || strlen(s) > 63 || !(s[0] == '_' || (s[0] >= 'a' && s[0] <= 'z')))
        return false;
    return strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_") == strlen(s);
}

static int flush(rebuild *r) {
    bool stale = false;
    if (projector_pending(r->proj) == 0)
        return 0;
    if (projector_flush(r->proj, r->db, &stale) || stale) {
        vk_error("msg=\"a replayed batch could not be applied\" schema=%s", r->schema);
        r->failed = true;
        return -1;
    }
    return 0;
}

static int on_message(void *opaque, rd_kafka_message_t *m) {
    rebuild *r = opaque;
    /* The tool's registry waits for an answer (vk_tool_codec_new), so a message is left out
     * only when the rebuild is interrupted meanwhile. */
    if (projector_add(r->proj, m)) {
        rd_kafka_message_destroy(m);
        return -1;
    }
    r->events++;
    return projector_pending(r->proj) >= r->batch_max ? flush(r) : 0;
}

/* A fresh schema with the read model's tables, and the live facility reference table. */
static int prepare_schema(rebuild *r) {
    char sql[512];
    snprintf(sql, sizeof sql,
             "SET client_min_messages TO warning; DROP SCHEMA IF EXISTS %s CASCADE;"
             " CREATE SCHEMA %s; SET search_path TO %s",
             r->schema, r->schema, r->schema);
    if (vk_pg_exec(r->db, sql) || vk_pg_migrate(r->db))
        return -1;
    snprintf(sql, sizeof sql, "INSERT INTO facility SELECT * FROM %s.facility", r->live);
    return vk_pg_exec(r->db, sql);
}

/* Reads the live offsets in a new REPEATABLE READ snapshot (left open) into live[t][p]. */
static int live_offsets(rebuild *r, int64_t *live[N_REPLAYED]) {
    char sql[256];
    snprintf(sql, sizeof sql,
             "SELECT topic, partition, next_offset FROM %s.consumer_offset "
             "WHERE consumer_group = $1",
             r->live);
    if (vk_pg_exec(r->ldb, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"))
        return -1;
    const char *params[] = {r->group};
    PGresult *res = vk_pg_query(r->ldb, PGRES_TUPLES_OK, sql, 1, params);
    if (!res) {
        vk_pg_exec(r->ldb, "ROLLBACK");
        return -1;
    }
    for (int t = 0; t < N_REPLAYED; t++)
        for (int32_t p = 0; p < r->parts[t]; p++)
            live[t][p] = -1; /* nothing consumed yet */
    for (int i = 0; i < PQntuples(res); i++) {
        int32_t p = (int32_t)strtol(PQgetvalue(res, i, 1), NULL, 10);
        for (int t = 0; t < N_REPLAYED; t++)
            if (strcmp(PQgetvalue(res, i, 0), replayed[t]) == 0 && p >= 0 && p < r->parts[t])
                live[t][p] = strtoll(PQgetvalue(res, i, 2), NULL, 10);
    }
    PQclear(res);
    return 0;
}

/**
 * @brief Replays until the rebuilt schema stands where the live one does. Returns 0 with the
 * live connection inside the snapshot in which both stand at the same offsets.
 */
enum { MAX_ROUNDS = 100 };

static int catch_up(rebuild *r) {
    int64_t *live[N_REPLAYED];
    for (int t = 0; t < N_REPLAYED; t++)
        live[t] = calloc((size_t)r->parts[t], sizeof *live[t]);
    int rc = -1, round;
    bool snapshot = false; /* a live snapshot is open on r->ldb */
    for (round = 1; round <= MAX_ROUNDS && !vk_stop; round++) {
        snapshot = live_offsets(r, live) == 0;
        if (!snapshot)
            break;
        bool same = true, behind = false;
        for (int t = 0; t < N_REPLAYED; t++)
            for (int32_t p = 0; p < r->parts[t]; p++) {
                /* A partition the live projector never read: it is at the rebuild's start. */
                int64_t l = live[t][p] < 0 ? r->pos[t][p] : live[t][p];
                if (l < r->pos[t][p])
                    behind = true;
                if (l > r->pos[t][p]) {
                    same = false;
                    vk_scan_add_offsets_since(r->scan, replayed[t], p, r->pos[t][p], l,
                                              r->min_time);
                    r->pos[t][p] = l;
                }
            }
        if (behind) {
            fprintf(stderr, "vaksin-rebuild: the live projector stands before the replay's start "
                            "(--from): nothing to compare\n");
            break;
        }
        if (same) {
            rc = 0;
            break;
        }
        vk_pg_exec(r->ldb, "COMMIT");
        snapshot = false;
        char err[512];
        if (vk_scan_run(r->scan, on_message, r, err, sizeof err) || flush(r)) {
            if (!r->failed)
                fprintf(stderr, "vaksin-rebuild: replay stopped: %s\n", err);
            break;
        }
        r->min_time = INT64_MIN;
        if (round > 1)
            fprintf(stderr,
                    "vaksin-rebuild: the live projector moved on; replaying the new "
                    "events too (round %d)\n",
                    round);
    }
    if (round > MAX_ROUNDS)
        fprintf(stderr, "vaksin-rebuild: the live projector kept moving for %d rounds\n",
                MAX_ROUNDS);
    if (rc && snapshot)
        vk_pg_exec(r->ldb, "ROLLBACK");
    for (int t = 0; t < N_REPLAYED; t++)
        free(live[t]);
    return rc;
}

/* ---- Comparing ---------------------------------------------------------------------------- */

/* Compares one table (primary key columns @p pk, comma-separated, all NOT NULL); prints its
 * line and up to @p show differing rows. Returns the number of differing rows, or -1. */
static long compare_table(rebuild *r, const char *table, const char *pk, bool has_nik,
                          const char *where, int show) {
    char on[512] = "", order[512] = "", first[64] = "";
    char cols[512];
    snprintf(cols, sizeof cols, "%s", pk);
    for (char *save = NULL, *c = strtok_r(cols, ",", &save); c; c = strtok_r(NULL, ",", &save)) {
        size_t o = strlen(on), d = strlen(order);
        snprintf(on + o, sizeof on - o, "%sl.%s = r.%s", o ? " AND " : "", c, c);
        snprintf(order + d, sizeof order - d, "%scoalesce(l.%s, r.%s)", d ? ", " : "", c, c);
        if (!*first)
            snprintf(first, sizeof first, "%s", c);
    }
    char sql[4096];
    /* Both digests order rows by the key the same way, so equal tables give equal digests. */
    snprintf(sql, sizeof sql,
             "SELECT (SELECT count(*) FROM %1$s.%3$s t %4$s),"
             " (SELECT count(*) FROM %2$s.%3$s t %4$s),"
             " (SELECT md5(coalesce(string_agg(md5(t::text), '' ORDER BY %5$s), ''))"
             "  FROM %1$s.%3$s t %4$s),"
             " (SELECT md5(coalesce(string_agg(md5(t::text), '' ORDER BY %5$s), ''))"
             "  FROM %2$s.%3$s t %4$s)",
             r->live, r->schema, table, where, pk);
    PGresult *res = vk_pg_query(r->ldb, PGRES_TUPLES_OK, sql, 0, NULL);
    if (!res)
        return -1;
    char counts[2][32], digests[2][40];
    for (int i = 0; i < 2; i++) {
        snprintf(counts[i], sizeof counts[i], "%s", PQgetvalue(res, 0, i));
        snprintf(digests[i], sizeof digests[i], "%s", PQgetvalue(res, 0, 2 + i));
    }
    PQclear(res);
    snprintf(sql, sizeof sql,
             "SELECT coalesce(l.%s, r.%s)::text, to_jsonb(l)::text, to_jsonb(r)::text,"
             " count(*) OVER (), (SELECT string_agg(e.key, ', ' ORDER BY e.key)"
             "  FROM jsonb_each(to_jsonb(l)) e WHERE to_jsonb(r) -> e.key IS DISTINCT FROM e.value)"
             " FROM (SELECT * FROM %s.%s t %s) l FULL JOIN (SELECT * FROM %s.%s t %s) r ON %s"
             " WHERE l.%s IS NULL OR r.%s IS NULL OR md5(l::text) <> md5(r::text)"
             " ORDER BY %s LIMIT %d",
             has_nik ? "nik" : first, has_nik ? "nik" : first, r->live, table, where, r->schema,
             table, where, on, first, first, order, show > 0 ? show : 1);
    res = vk_pg_query(r->ldb, PGRES_TUPLES_OK, sql, 0, NULL);
    if (!res)
        return -1;
    long differing = PQntuples(res) ? strtol(PQgetvalue(res, 0, 3), NULL, 10) : 0;
    printf("%-20s %10s %10s %10ld  %.12s %.12s\n", table, counts[0], counts[1], differing,
           digests[0], digests[1]);
    for (int i = 0; i < PQntuples(res) && i < show; i++) {
        bool both = !PQgetisnull(res, i, 1) && !PQgetisnull(res, i, 2);
        printf("  %s %s=%s: %s%s\n", table, has_nik ? "nik" : first, PQgetvalue(res, i, 0),
               !both                    ? "only in "
               : PQgetisnull(res, i, 4) ? "differs"
                                        : "differs in ",
               !both ? (PQgetisnull(res, i, 1) ? "the replay" : "the live schema")
                     : PQgetvalue(res, i, 4));
        printf("    live:    %s\n", PQgetisnull(res, i, 1) ? "(missing)" : PQgetvalue(res, i, 1));
        printf("    rebuilt: %s\n", PQgetisnull(res, i, 2) ? "(missing)" : PQgetvalue(res, i, 2));
    }
    if (differing > show && show > 0)
        printf("  … %ld more differing rows in %s\n", differing - show, table);
    PQclear(res);
    return differing;
}

/* Every table of the live schema with a primary key, except the migrations' bookkeeping and
 * the reference table the rebuild copied. */
static int compare(rebuild *r, int show, long *differing_rows, int *differing_tables) {
    const char *params[] = {r->live};
    PGresult *res =
        vk_pg_query(r->ldb, PGRES_TUPLES_OK,
                    "SELECT c.relname, string_agg(quote_ident(a.attname), ',' ORDER BY k.ord),"
                    " EXISTS (SELECT 1 FROM pg_attribute n"
                    "   WHERE n.attrelid = c.oid AND n.attname = 'nik' AND NOT n.attisdropped)"
                    " FROM pg_class c JOIN pg_namespace s ON s.oid = c.relnamespace"
                    " JOIN pg_index i ON i.indrelid = c.oid AND i.indisprimary"
                    " CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY k(attnum, ord)"
                    " JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum"
                    " WHERE s.nspname = $1 AND c.relkind = 'r'"
                    "   AND c.relname NOT IN ('schema_migration', 'facility', 'quarantine')"
                    " GROUP BY c.oid, c.relname ORDER BY c.relname",
                    1, params);
    if (!res)
        return -1;
    printf("%-20s %10s %10s %10s  %-12s %-12s\n", "table", "live", "rebuilt", "differing",
           "digest live", "rebuilt");
    int rc = 0;
    *differing_rows = 0;
    *differing_tables = 0;
    for (int i = 0; i < PQntuples(res) && rc == 0; i++) {
        const char *table = PQgetvalue(res, i, 0);
        char where[256] = "";
        if (strcmp(table, "consumer_offset") == 0) {
            char *q = PQescapeLiteral(r->ldb, r->group, strlen(r->group));
            snprintf(where, sizeof where, "WHERE consumer_group = %s", q);
            PQfreemem(q);
        }
        long d = compare_table(r, table, PQgetvalue(res, i, 1),
                               strcmp(PQgetvalue(res, i, 2), "t") == 0, where, show);
        if (d < 0)
            rc = -1;
        else if (d > 0) {
            *differing_rows += d;
            (*differing_tables)++;
        }
    }
    if (PQntuples(res) == 0) {
        fprintf(stderr, "vaksin-rebuild: schema %s holds no read model\n", r->live);
        rc = -1;
    }
    PQclear(res);
    return rc;
}

/* ---- Main --------------------------------------------------------------------------------- */

static int setup_positions(rebuild *r, rd_kafka_t *rk, vk_pos from) {
    char err[512];
    for (int t = 0; t < N_REPLAYED; t++) {
        r->parts[t] = vk_topic_partitions(rk, replayed[t]);
        if (r->parts[t] < 0)
            return -1;
        r->pos[t] = calloc((size_t)r->parts[t], sizeof *r->pos[t]);
        bool inexact = false;
        if (vk_scan_resolve(r->scan, replayed[t], from, r->pos[t], r->parts[t], &inexact, err,
                            sizeof err)) {
            fprintf(stderr, "vaksin-rebuild: %s\n", err);
            return -1;
        }
        if (inexact)
            r->min_time = from.value;
    }
    return 0;
}

int main(int argc, char **argv) {
    const char *schema = "vaksin_rebuild", *live = "public", *from_arg = NULL, *show_arg = NULL;
    const vk_tool_opt opts[] = {{"--schema", &schema},
                                {"--live-schema", &live},
                                {"--from", &from_arg},
                                {"--show", &show_arg}};
    bool drop = vk_tool_take_flag(&argc, argv, "--drop");
    argc = vk_tool_take_options(argc, argv, opts, 4, program.name);
    if (argc < 0)
        return EXIT_USAGE;
    vk_config *cfg = vk_config_new();
    vk_config_set(cfg, "log.level", "warn");
    int first, rc = vk_cli_parse(argc, argv, &program, cfg, &first);
    if (rc || first < argc) {
        if (rc == 0)
            fprintf(stderr, "vaksin-rebuild: unexpected argument %s (see --help)\n", argv[first]);
        vk_config_destroy(cfg);
        return rc > 0 ? EXIT_SAME : EXIT_USAGE;
    }
    char err[512];
    vk_pos from = {VK_POS_BEGINNING, 0};
    const char *conninfo = vk_config_get(cfg, "pg.conninfo", NULL);
    int show = show_arg ? atoi(show_arg) : 20;
    if (!valid_identifier(schema) || !valid_identifier(live) || strcmp(schema, live) == 0 ||
        strcmp(schema, "public") == 0) {
        fprintf(stderr, "vaksin-rebuild: --schema and --live-schema must be different lower-case "
                        "SQL names, and the rebuild never goes into public\n");
        vk_config_destroy(cfg);
        return EXIT_USAGE;
    }
    bool bad_timeout =
        vk_pg_set_statement_timeout(vk_config_get_int(cfg, "pg.statement.timeout.ms", 0)) != 0;
    if ((from_arg && vk_pos_parse(from_arg, &from, err, sizeof err)) || !conninfo ||
        from.kind == VK_POS_END || bad_timeout) {
        fprintf(stderr, "vaksin-rebuild: %s\n",
                !conninfo                 ? "pg.conninfo is required (VAKSIN_PG)"
                : from.kind == VK_POS_END ? "--from end would replay nothing"
                : bad_timeout             ? VK_PG_STATEMENT_TIMEOUT_RANGE
                                          : err);
        vk_config_destroy(cfg);
        return EXIT_USAGE;
    }
    vk_install_signals();
    rebuild r = {.schema = schema,
                 .live = live,
                 .group = vk_config_get(cfg, "group.id", PROJECTOR_SERVICE),
                 .batch_max = (int)vk_config_get_int(cfg, "batch.max", 5000),
                 .min_time = INT64_MIN};
    vk_codec *codec = vk_tool_codec_new(cfg, NULL);
    vk_catalog catalog = {0};
    bool catalog_ok = vk_catalog_from_config(&catalog, cfg, err, sizeof err) == 0;
    rd_kafka_t *rk = NULL;
    int status = EXIT_FAILED;
    r.proj = codec && catalog_ok
                 ? projector_new(codec, &catalog, r.group, r.batch_max, err, sizeof err)
                 : NULL;
    if (!r.proj) {
        fprintf(stderr, "vaksin-rebuild: cannot start: %s\n", err);
        goto out;
    }
    r.db = vk_pg_connect(conninfo, 30000, &vk_stop);
    r.ldb = r.db ? vk_pg_connect(conninfo, 30000, &vk_stop) : NULL;
    rk = r.ldb ? vk_scan_consumer_new(cfg, "vaksin-rebuild") : NULL;
    if (!rk)
        goto out;
    r.scan = vk_scan_new(rk, "vaksin-rebuild");
    if (setup_positions(&r, rk, from) || prepare_schema(&r))
        goto out;
    int64_t t0 = vk_mono_ms();
    if (catch_up(&r))
        goto out;
    double secs = (double)(vk_mono_ms() - t0) / 1000.0;
    fprintf(stderr,
            "vaksin-rebuild: replayed %" PRIu64
            " events into schema %s in %.1f s (%.0f events/s)\n",
            r.events, schema, secs, secs > 0 ? (double)r.events / secs : 0.0);
    long rows;
    int tables;
    if (compare(&r, show, &rows, &tables) == 0) {
        if (rows == 0) {
            printf("identical: schema %s equals a replay of the log (schema %s)\n", live, schema);
            status = EXIT_SAME;
        } else {
            printf("DIFFERENT: %ld rows in %d tables differ between %s (live) and %s (replay)\n",
                   rows, tables, live, schema);
            status = EXIT_DIFFERENT;
        }
        if (from.kind != VK_POS_BEGINNING)
            printf("note: replayed from %s, not from the beginning: people with earlier events "
                   "differ by design\n",
                   from_arg);
    }
    vk_pg_exec(r.ldb, "COMMIT");
    if (drop) {
        char sql[128];
        snprintf(sql, sizeof sql, "DROP SCHEMA %s CASCADE", schema);
        vk_pg_exec(r.db, sql);
    }
out:
    if (r.failed || status == EXIT_FAILED)
        fprintf(stderr, "vaksin-rebuild: the rebuild did not complete; nothing was compared\n");
    vk_scan_destroy(r.scan);
    if (rk) {
        rd_kafka_consumer_close(rk);
        rd_kafka_destroy(rk);
    }
    for (int t = 0; t < N_REPLAYED; t++)
        free(r.pos[t]);
    if (r.db)
        PQfinish(r.db);
    if (r.ldb)
        PQfinish(r.ldb);
    projector_destroy(r.proj);
    vk_catalog_free(&catalog);
    vk_tool_codec_destroy(codec);
    vk_config_destroy(cfg);
    return status;
}
