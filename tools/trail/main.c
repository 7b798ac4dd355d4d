/*
 * vaksin-trail — every event that touched one NIK, in log order (docs/design.md §6): its requests
 * on the desk and verification topics, its lookups, its vaksin.target.events, its dead letters;
 * each with time, topic/partition/offset, event type, actor, the decoded record, and what
 * became of it (applied, or refused and why).
 *
 *     vaksin-trail [--json] [--from POS] [--all-partitions] [common options] NIK
 *
 * The topics are read from POS (`beginning`, an offset, a time; see vk_pos_parse) to the end
 * they have when the trail starts. With pg.conninfo the read model gives the outcomes and, for
 * the target events the topics no longer hold (retention, or before POS), event_log's stored
 * bytes: those are marked source "event_log". Without it outcomes of target events are unknown.
 *
 * Exit status: 0 events found; 1 none; 2 usage; 3 could not run (broker, PostgreSQL).
 */
#include "sources.h"
#include "trail.h"

#include "vk_audit.h"
#include "vk_codec.h"
#include "vk_config.h"
#include "vk_kafka.h"
#include "vk_log.h"
#include "vk_pg.h"
#include "vk_signals.h"
#include "vk_tool.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const vk_config_doc keys[] = {
    {"kafka.bootstrap.servers", NULL, "Kafka bootstrap servers (or VAKSIN_BOOTSTRAP)"},
    {"pg.conninfo", NULL,
     "read model (or VAKSIN_PG): outcomes, and event_log for events gone from the topics; "
     "without it outcomes are unknown"},
    VK_PG_STATEMENT_TIMEOUT_KEY("0", " (none by default: an audit may read much of event_log)"),
    {"projector.group", "vaksin-projector",
     "the projector's group id (its offsets say what is "
     "not yet projected)"},
    VK_REGISTRY_KEYS,
    {NULL, NULL, NULL},
};

static const vk_program program = {
    "vaksin-trail", "every event of one NIK, in log order, with its outcome",
    "[--json] [--from POS] [--all-partitions] NIK\n"
    "  --json            one JSON object per event instead of the human form\n"
    "  --from POS        read the topics from POS: beginning (default), end, an offset,\n"
    "                    @EPOCH_MS or an ISO 8601 time with a zone; target events before it\n"
    "                    come from event_log (with pg.conninfo)\n"
    "  --all-partitions  read every partition of the registration and dead-letter topics, for\n"
    "                    registrations keyed by a ticket typed with hyphens, spaces or in\n"
    "                    lower case (slower: those topics are read whole)",
    keys};

enum { EXIT_FOUND = 0, EXIT_NONE = 1, EXIT_USAGE = 2, EXIT_FAILED = 3 };

typedef struct run {
    const vk_config *cfg;
    trail *t;
    vk_pos from;
    bool all_partitions;
    vk_codec *codec;
    vk_audit_decoder *dec;
    PGconn *db;
    rd_kafka_t *rk;
    vk_scan *scan;
    json_t *log_rows;
} run;

/* Reads everything into r->t; 0, or -1 after saying why on stderr. */
static int collect(run *r) {
    char err[1024];
    r->codec = vk_tool_codec_new(r->cfg, NULL);
    if (!r->codec)
        return -1;
    r->dec = vk_audit_decoder_new(r->codec, err, sizeof err);
    if (!r->dec) {
        fprintf(stderr, "vaksin-trail: cannot load the schemas: %s\n", err);
        return -1;
    }
    r->log_rows = json_array();
    const char *conninfo = vk_config_get(r->cfg, "pg.conninfo", NULL);
    if (conninfo) {
        r->db = vk_pg_connect(conninfo, 10000, &vk_stop);
        if (!r->db) {
            fprintf(stderr, "vaksin-trail: cannot connect to the read model (pg.conninfo)\n");
            return -1;
        }
        const char *group = vk_config_get(r->cfg, "projector.group", "vaksin-projector");
        if (trail_read_model(r->db, group, r->dec, r->t, r->log_rows, err, sizeof err)) {
            fprintf(stderr, "vaksin-trail: %s\n", err);
            return -1;
        }
    } else {
        fprintf(stderr, "vaksin-trail: no pg.conninfo: outcomes of target events are unknown "
                        "and events gone from the topics are missing\n");
    }
    r->rk = vk_scan_consumer_new(r->cfg, program.name);
    if (!r->rk) {
        fprintf(stderr, "vaksin-trail: cannot create a Kafka consumer (see the log above)\n");
        return -1;
    }
    r->scan = vk_scan_new(r->rk, program.name);
    if (trail_scan(r->scan, r->rk, r->dec, r->t, r->from, r->all_partitions, err, sizeof err)) {
        fprintf(stderr, "vaksin-trail: reading the topics failed: %s\n", err);
        return -1;
    }
    if (trail_add_log_rows(r->t, r->log_rows) < 0 || trail_finish(r->t)) {
        fprintf(stderr, "vaksin-trail: out of memory\n");
        return -1;
    }
    return 0;
}

static void release(run *r) {
    json_decref(r->log_rows);
    vk_scan_destroy(r->scan);
    if (r->rk) {
        rd_kafka_consumer_close(r->rk);
        rd_kafka_destroy(r->rk);
    }
    if (r->db)
        PQfinish(r->db);
    vk_audit_decoder_destroy(r->dec);
    vk_tool_codec_destroy(r->codec);
    trail_destroy(r->t);
}

int main(int argc, char **argv) {
    const char *from = NULL;
    const vk_tool_opt opts[] = {{"--from", &from}};
    argc = vk_tool_take_options(argc, argv, opts, 1, program.name);
    if (argc < 0)
        return EXIT_USAGE;
    bool json_lines = vk_tool_take_flag(&argc, argv, "--json");
    bool all_partitions = vk_tool_take_flag(&argc, argv, "--all-partitions");
    vk_config *cfg = vk_config_new();
    int first, rc = vk_cli_parse(argc, argv, &program, cfg, &first);
    if (rc) {
        vk_config_destroy(cfg);
        return rc > 0 ? 0 : EXIT_USAGE;
    }
    char err[512];
    run r = {.cfg = cfg, .from = {VK_POS_BEGINNING, 0}, .all_partitions = all_partitions};
    if (first + 1 != argc) {
        fprintf(stderr, "vaksin-trail: give exactly one NIK (see --help)\n");
        rc = EXIT_USAGE;
    } else if (vk_audit_nik_check(argv[first], err, sizeof err)) {
        fprintf(stderr, "vaksin-trail: not a NIK: %s\n", err);
        rc = EXIT_USAGE;
    } else if (from && vk_pos_parse(from, &r.from, err, sizeof err)) {
        fprintf(stderr, "vaksin-trail: --from: %s\n", err);
        rc = EXIT_USAGE;
    } else if (vk_pg_set_statement_timeout(vk_config_get_int(cfg, "pg.statement.timeout.ms", 0))) {
        fprintf(stderr, "vaksin-trail: " VK_PG_STATEMENT_TIMEOUT_RANGE "\n");
        rc = EXIT_USAGE;
    } else if (!(r.t = trail_new(argv[first]))) {
        rc = EXIT_FAILED;
    }
    if (rc) {
        vk_config_destroy(cfg);
        return rc;
    }
    vk_install_signals();
    if (collect(&r)) {
        rc = EXIT_FAILED;
    } else {
        trail_print(r.t, stdout, json_lines);
        fflush(stdout);
        size_t logged = 0;
        for (size_t i = 0; i < r.t->n; i++)
            logged += r.t->v[i].source == TRAIL_FROM_EVENT_LOG;
        fprintf(stderr, "vaksin-trail: %zu events (%zu from the topics, %zu from event_log)\n",
                r.t->n, r.t->n - logged, logged);
        rc = r.t->n ? EXIT_FOUND : EXIT_NONE;
    }
    release(&r);
    vk_config_destroy(cfg);
    return rc;
}
