/*
 * vaksin-loadgen — desk requests at a steady rate, and how long each takes to become visible in
 * the read model.
 *
 *     vaksin-loadgen [common options] [--rate N] [--seconds S] [--warmup S] [--settle S]
 *                    [--poll-ms MS] [--latencies OUT.tsv] FILE...
 *
 * What it measures: for every request, from the moment it is handed to the Kafka producer to
 * the moment its event (the TargetEvent the desk service derives from it) is found in
 * `event_log` — whatever the outcome (APPLIED, UNCHANGED or REJECTED). That is the whole path a
 * desk waits on: producer linger and delivery, the desk service's consume-transform-produce
 * transaction, the projector's batch and its PostgreSQL commit.
 *
 * How: every input line is converted and encoded before the clock starts (vk_json_to_avro, as
 * vaksin-submit does), so sending costs nothing but the produce call. The main thread sends
 * request i at t0 + i / rate (an absolute monotonic deadline: no drift), recording the time just
 * before the call. A second thread polls PostgreSQL every --poll-ms for the derived event ids
 * (UUIDv5 "<service>/<event_id>/0") of the requests sent and not yet seen, with
 * `SELECT event_id FROM event_log WHERE event_id = ANY($1::uuid[])`, and stamps each id with the
 * time that poll returned: an upper bound, late by at most the poll interval plus one query.
 * After the last send it keeps polling until every request was seen or --settle seconds passed.
 * The first --warmup seconds (default 2) of requests are sent at the same rate before the
 * measured ones and left out of the figures (not of the loss count): a fresh idempotent producer
 * first fetches metadata and a producer id, which delays its first messages by up to a second.
 *
 * Input: JSON lines of desk requests in vaksin-submit's natural JSON. A line is either the
 * request itself, its topic given by the file name (`<topic>.jsonl`, as scripts/gen-desk-day
 * writes them), or `{"topic": T, "value": {…}}` (vaksin-dump's shape), so one file can mix
 * topics in the order they are to be sent. Lines are sent in file order, files in argument
 * order, at most rate × (warmup + seconds) of them. A request whose event_id was already read is
 * skipped (it would be dropped as a duplicate and seen at once). Requests that become dead letters
 * never reach event_log: leave them out, or they count as missing.
 *
 * --latencies OUT.tsv also writes every request: its send time in ms after the first measured
 * send (negative during the warm-up), its topic, its latency in ms (empty when never seen) and
 * its derived event id, to see when in the run the slow ones were sent.
 *
 * Output, on stdout, one line:
 *     sent=N warmup=N seconds=S rate=R visible=N missing=N p50_ms=… p90_ms=… p99_ms=…
 *     max_ms=… mean_ms=…
 * (sent, seconds, rate, visible and the figures are about the measured requests; missing counts
 * every request never seen, warm-up included).
 * Exit status: 0 every request seen; 1 some never seen or a delivery failed; 2 usage,
 * configuration or input error.
 */
#include "vk_codec.h"
#include "vk_config.h"
#include "vk_kafka.h"
#include "vk_log.h"
#include "vk_pg.h"
#include "vk_signals.h"
#include "vk_strmap.h"
#include "vk_time.h"
#include "vk_tool.h"
#include "vk_uuid.h"

#include <errno.h>
#include <jansson.h>
#include <libpq-fe.h>
#include <math.h>
#include <openssl/rand.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const vk_config_doc keys[] = {
    {"kafka.bootstrap.servers", NULL, "Kafka bootstrap servers (or VAKSIN_BOOTSTRAP)"},
    {"pg.conninfo", NULL, "the read model to poll (or VAKSIN_PG)"},
    VK_PG_STATEMENT_TIMEOUT_KEY("0", ""),
    {"flush.timeout.ms", "60000", "how long to wait for the last delivery reports"},
    VK_REGISTRY_KEYS,
    {"log.level", "info", "debug, info, warn or error"},
    {NULL, NULL, NULL},
};

static const vk_program program = {
    "vaksin-loadgen", "desk requests at a steady rate; latency until each is visible in event_log",
    "[--rate N] [--seconds S] [--warmup S] [--settle S] [--poll-ms MS] [--latencies F] FILE...\n\n"
    "Sends the JSON-lines desk requests of FILE... (a file named <topic>.jsonl, or lines\n"
    "{\"topic\": T, \"value\": {...}}) at N per second (default 500) for S seconds (default 60),\n"
    "after --warmup seconds (default 2) at the same rate that are left out of the figures;\n"
    "polls PostgreSQL every MS ms (default 5) for their derived event ids in event_log, waits\n"
    "up to --settle seconds (default 60) after the last send, and prints\n"
    "sent= warmup= seconds= rate= visible= missing= p50_ms= p90_ms= p99_ms= max_ms= mean_ms=.\n"
    "--latencies writes one line per request: send time (ms after the first measured one),\n"
    "topic, latency in ms (empty when never seen), derived event id.\n"
    "Exit status: 0 all seen, 1 some missing or undelivered, 2 usage or input error.",
    keys};

/* The desk topics, their services (for derived ids) and their record schemas. */
static const struct desk_topic {
    const char *topic;
    const char *service;
} desk_topics[] = {
    {VK_TOPIC_REGISTRATION_REQUESTS, "vaksin-registration"},
    {VK_TOPIC_SCREENING_REQUESTS, "vaksin-screening"},
    {VK_TOPIC_VACCINATION_REQUESTS, "vaksin-vaccination"},
};
#define N_TOPICS (sizeof desk_topics / sizeof desk_topics[0])

typedef struct request {
    int topic; /* index into desk_topics */
    char *key;
    uint8_t *value;
    size_t value_len;
    char derived[37];
    int64_t sent_ns, seen_ns; /* monotonic; 0 = not yet */
} request;

typedef struct loadgen {
    vk_codec *codec;
    vk_encoder *enc[N_TOPICS];
    avro_schema_t schema[N_TOPICS];
    vk_strmap *ids;     /* input event_id → 1 (duplicates are skipped) */
    vk_strmap *derived; /* derived event id → index in reqs */
    request *reqs;
    size_t n, cap, max;
    size_t warm; /* the first warm requests are warm-up: sent, checked, not measured */
    vk_buf out;
    /* shared with the poller */
    atomic_size_t sent;
    atomic_bool sending_done;
    atomic_llong settle_deadline_ns;
    int poll_ms;
    const char *conninfo;
    atomic_size_t visible;
    atomic_bool poller_failed;
} loadgen;

static int64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void sleep_until_ns(int64_t t) {
    struct timespec ts = {(time_t)(t / 1000000000LL), (long)(t % 1000000000LL)};
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR && !vk_stop) {
    }
}

static int topic_index(const char *topic) {
    for (size_t i = 0; i < N_TOPICS; i++)
        if (strcmp(desk_topics[i].topic, topic) == 0)
            return (int)i;
    return -1;
}

/* The topic a file's name gives (<dir>/<topic>.jsonl), or -1. */
static int topic_of_path(const char *path) {
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    char name[128];
    snprintf(name, sizeof name, "%s", base);
    char *dot = strstr(name, ".jsonl");
    if (dot && dot[6] == '\0')
        *dot = '\0';
    return topic_index(name);
}

static void uuid_v4(char out[37]) {
    uint8_t u[16];
    if (RAND_bytes(u, sizeof u) != 1) {
        fputs("vaksin-loadgen: no random bytes for an event id\n", stderr);
        exit(2);
    }
    u[6] = (uint8_t)((u[6] & 0x0f) | 0x40);
    u[8] = (uint8_t)((u[8] & 0x3f) | 0x80);
    vk_uuid_format(u, out);
}

/* One input line → one encoded request (or skipped). 0, or -1 with @p err. */
static int add_line(loadgen *g, const char *line, size_t len, int file_topic, char *err,
                    size_t errlen) {
    json_error_t jerr;
    json_t *root = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr), *j = root;
    if (!root) {
        snprintf(err, errlen, "not JSON: %s (column %d)", jerr.text, jerr.column);
        return -1;
    }
    int topic = file_topic;
    json_t *t = json_object_get(root, "topic"), *v = json_object_get(root, "value");
    if (json_is_string(t) && json_is_object(v)) {
        topic = topic_index(json_string_value(t));
        j = v;
    }
    int rc = -1;
    if (topic < 0) {
        snprintf(err, errlen,
                 "no desk topic: name the file <topic>.jsonl or give {\"topic\", "
                 "\"value\"}");
        goto out;
    }
    if (!json_object_get(j, "event_id")) {
        char id[37];
        uuid_v4(id);
        json_object_set_new(j, "event_id", json_string(id));
    }
    if (!json_object_get(j, "occurred_at"))
        json_object_set_new(j, "occurred_at", json_integer(vk_now_ms()));
    if (!json_object_get(j, "source"))
        json_object_set_new(j, "source", json_string("vaksin-loadgen"));
    const char *event_id = json_string_value(json_object_get(j, "event_id"));
    if (!event_id) {
        snprintf(err, errlen, "event_id is not a string");
        goto out;
    }
    long seen;
    if (vk_strmap_get(g->ids, event_id, &seen)) {
        rc = 0; /* a resubmission: dropped by the projector, nothing to time */
        goto out;
    }
    const char *key = json_string_value(json_object_get(j, "nik"));
    if (!key)
        key = json_string_value(json_object_get(j, "ticket"));
    if (!key) {
        snprintf(err, errlen, "neither nik nor ticket: no key");
        goto out;
    }
    avro_value_t *value = vk_encoder_value(g->enc[topic]);
    if (vk_json_to_avro(j, value, g->schema[topic], err, errlen))
        goto out;
    vk_buf_reset(&g->out);
    if (vk_encoder_write(g->enc[topic], value, &g->out, err, errlen))
        goto out;
    if (g->n == g->cap) {
        size_t cap = g->cap ? 2 * g->cap : 4096;
        request *r = realloc(g->reqs, cap * sizeof *r);
        if (!r) {
            snprintf(err, errlen, "out of memory");
            goto out;
        }
        g->reqs = r;
        g->cap = cap;
    }
    request *r = &g->reqs[g->n];
    memset(r, 0, sizeof *r);
    r->topic = topic;
    r->key = strdup(key);
    r->value = malloc(g->out.len);
    if (!r->key || !r->value) {
        free(r->key);
        free(r->value);
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    memcpy(r->value, g->out.data, g->out.len);
    r->value_len = g->out.len;
    vk_derive_event_id(desk_topics[topic].service, event_id, 0, r->derived);
    if (vk_strmap_put(g->ids, event_id, 1) || vk_strmap_put(g->derived, r->derived, (long)g->n)) {
        free(r->key);
        free(r->value);
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    g->n++;
    rc = 0;
out:
    json_decref(root);
    return rc;
}

static int load_file(loadgen *g, const char *path) {
    FILE *in = fopen(path, "r");
    if (!in) {
        fprintf(stderr, "%s: cannot open %s: %s\n", program.name, path, strerror(errno));
        return -1;
    }
    const int file_topic = topic_of_path(path);
    char *line = NULL, err[600];
    size_t cap = 0;
    ssize_t len;
    unsigned long lineno = 0;
    int rc = 0;
    while (g->n < g->max && (len = getline(&line, &cap, in)) >= 0) {
        lineno++;
        if (len <= 1)
            continue;
        if (add_line(g, line, (size_t)len, file_topic, err, sizeof err)) {
            fprintf(stderr, "%s: %s line %lu: %s\n", program.name, path, lineno, err);
            rc = -1;
            break;
        }
    }
    free(line);
    fclose(in);
    return rc;
}

/* ---- The poller ---- */

static int poll_once(loadgen *g, PGconn *db, const size_t *pending, size_t n, vk_buf *arr) {
    static vk_pg_stmt find = VK_PG_STMT(
        "loadgen_find", "SELECT event_id FROM event_log WHERE event_id = ANY($1::uuid[])", 1);
    vk_buf_reset(arr);
    vk_buf_append(arr, "{", 1);
    for (size_t i = 0; i < n; i++) {
        if (i)
            vk_buf_append(arr, ",", 1);
        vk_buf_append(arr, g->reqs[pending[i]].derived, 36);
    }
    vk_buf_append(arr, "}", 2); /* with its NUL */
    const char *params[1] = {(const char *)arr->data};
    PGresult *res = vk_pg_run(db, &find, PGRES_TUPLES_OK, params);
    if (!res)
        return -1;
    const int64_t t = now_ns();
    for (int i = 0; i < PQntuples(res); i++) {
        long idx;
        if (vk_strmap_get(g->derived, PQgetvalue(res, i, 0), &idx) && !g->reqs[idx].seen_ns) {
            g->reqs[idx].seen_ns = t;
            atomic_fetch_add(&g->visible, 1);
        }
    }
    PQclear(res);
    return 0;
}

static void *poller(void *arg) {
    loadgen *g = arg;
    PGconn *db = vk_pg_connect(g->conninfo, 30000, &vk_stop);
    size_t *pending = malloc((g->n ? g->n : 1) * sizeof *pending);
    vk_buf arr = {0};
    if (!db || !pending) {
        atomic_store(&g->poller_failed, true);
        goto out;
    }
    size_t npending = 0, taken = 0;
    for (;;) {
        const int64_t start = now_ns();
        const bool done = atomic_load(&g->sending_done);
        const size_t sent = atomic_load(&g->sent);
        while (taken < sent)
            pending[npending++] = taken++;
        /* Ask for the oldest first, at most 20,000 at a time (a stalled pipeline). */
        const size_t ask = npending < 20000 ? npending : 20000;
        if (ask && poll_once(g, db, pending, ask, &arr)) {
            atomic_store(&g->poller_failed, true);
            break;
        }
        size_t k = 0;
        for (size_t i = 0; i < npending; i++)
            if (!g->reqs[pending[i]].seen_ns)
                pending[k++] = pending[i];
        npending = k;
        if (done && taken == g->n &&
            (npending == 0 || start > atomic_load(&g->settle_deadline_ns) || vk_stop))
            break;
        sleep_until_ns(start + (int64_t)g->poll_ms * 1000000);
    }
out:
    vk_buf_free(&arr);
    free(pending);
    if (db)
        PQfinish(db);
    return NULL;
}

/* ---- Figures ---- */

static int cmp_double(const void *a, const void *b) {
    const double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of sorted @p v. */
static double percentile(const double *v, size_t n, double p) {
    size_t rank = (size_t)ceil(p / 100.0 * (double)n);
    return v[rank ? rank - 1 : 0];
}

/* One line per request sent: send offset (ms), topic, latency (ms, or empty), derived id. */
static int write_latencies(const loadgen *g, const char *path) {
    FILE *f = fopen(path, "w");
    if (!f) {
        vk_error("msg=\"cannot write latencies\" file=%s error=\"%s\"", path, strerror(errno));
        return -1;
    }
    const size_t sent = atomic_load(&g->sent);
    const int64_t t0 = sent > g->warm ? g->reqs[g->warm].sent_ns : 0; /* warm-up < 0 */
    for (size_t i = 0; i < sent; i++) {
        const request *r = &g->reqs[i];
        fprintf(f, "%.1f\t%s\t", (double)(r->sent_ns - t0) / 1e6, desk_topics[r->topic].topic);
        if (r->seen_ns)
            fprintf(f, "%.1f", (double)(r->seen_ns - r->sent_ns) / 1e6);
        fprintf(f, "\t%s\n", r->derived);
    }
    return fclose(f) ? -1 : 0;
}

/* The closing line: figures over the measured requests, losses over all. 0 when none was lost. */
static int report(const loadgen *g, double seconds) {
    double *lat = malloc((g->n ? g->n : 1) * sizeof *lat), sum = 0;
    size_t m = 0, missing = 0;
    if (!lat)
        return 2;
    const size_t sent = atomic_load(&g->sent);
    for (size_t i = 0; i < sent; i++) {
        const request *r = &g->reqs[i];
        if (!r->seen_ns)
            missing++;
        else if (i >= g->warm) {
            lat[m] = (double)(r->seen_ns - r->sent_ns) / 1e6;
            sum += lat[m++];
        }
    }
    qsort(lat, m, sizeof *lat, cmp_double);
    const size_t measured = sent > g->warm ? sent - g->warm : 0;
    printf("sent=%zu warmup=%zu seconds=%.1f rate=%.1f visible=%zu missing=%zu", measured,
           sent - measured, seconds, seconds > 0 ? (double)measured / seconds : 0.0, m, missing);
    if (m)
        printf(" p50_ms=%.1f p90_ms=%.1f p99_ms=%.1f max_ms=%.1f mean_ms=%.1f",
               percentile(lat, m, 50), percentile(lat, m, 90), percentile(lat, m, 99), lat[m - 1],
               sum / (double)m);
    printf("\n");
    fflush(stdout);
    free(lat);
    return missing ? 1 : 0;
}

static bool parse_num(const char *s, double lo, double hi, double *out) {
    char *end;
    errno = 0;
    double v = s ? strtod(s, &end) : NAN;
    if (!s || errno || end == s || *end || !(v >= lo && v <= hi))
        return false;
    *out = v;
    return true;
}

int main(int argc, char **argv) {
    const char *rate_s = "500", *seconds_s = "60", *settle_s = "60", *poll_s = "5", *warmup_s = "2",
               *latencies = NULL;
    const vk_tool_opt opts[] = {{"--rate", &rate_s},     {"--seconds", &seconds_s},
                                {"--settle", &settle_s}, {"--poll-ms", &poll_s},
                                {"--warmup", &warmup_s}, {"--latencies", &latencies}};
    argc = vk_tool_take_options(argc, argv, opts, sizeof opts / sizeof opts[0], program.name);
    if (argc < 0)
        return 2;
    vk_config *cfg = vk_config_new();
    int first, rc = vk_cli_parse(argc, argv, &program, cfg, &first);
    if (rc) {
        vk_config_destroy(cfg);
        return rc > 0 ? 0 : 2;
    }
    double rate, seconds, settle, poll_ms, warmup;
    if (!parse_num(rate_s, 1, 1e6, &rate) || !parse_num(seconds_s, 0.1, 86400, &seconds) ||
        !parse_num(warmup_s, 0, 3600, &warmup) || !parse_num(settle_s, 0, 86400, &settle) ||
        !parse_num(poll_s, 1, 10000, &poll_ms) || first >= argc) {
        fprintf(stderr,
                "%s: --rate, --seconds, --warmup, --settle and --poll-ms take positive numbers, "
                "and at least one FILE is needed (see --help)\n",
                program.name);
        vk_config_destroy(cfg);
        return 2;
    }

    loadgen g;
    memset(&g, 0, sizeof g);
    g.warm = (size_t)llround(rate * warmup);
    g.max = g.warm + (size_t)llround(rate * seconds);
    g.poll_ms = (int)poll_ms;
    g.conninfo = vk_config_get(cfg, "pg.conninfo", NULL);
    if (!g.conninfo) {
        fprintf(stderr, "%s: pg.conninfo (or VAKSIN_PG) is required\n", program.name);
        vk_config_destroy(cfg);
        return 2;
    }
    if (vk_pg_set_statement_timeout(vk_config_get_int(cfg, "pg.statement.timeout.ms", 0))) {
        fprintf(stderr, "%s: " VK_PG_STATEMENT_TIMEOUT_RANGE "\n", program.name);
        vk_config_destroy(cfg);
        return 2;
    }
    char err[512] = "";
    vk_sender *sender = NULL;
    pthread_t thread;
    bool started = false;
    rc = 2;
    const char *writes[N_TOPICS + 1];
    for (size_t i = 0; i < N_TOPICS; i++)
        writes[i] = desk_topics[i].topic;
    writes[N_TOPICS] = NULL;
    g.codec = vk_tool_codec_new(cfg, writes);
    g.ids = vk_strmap_new(g.max);
    g.derived = vk_strmap_new(g.max);
    if (!g.codec || !g.ids || !g.derived)
        goto out;
    for (size_t i = 0; i < N_TOPICS; i++) {
        const char *schema = vk_topic_schema(desk_topics[i].topic);
        g.enc[i] = vk_encoder_new(g.codec, schema, err, sizeof err);
        g.schema[i] = vk_codec_schema(g.codec, schema);
        if (!g.enc[i] || !g.schema[i]) {
            vk_error("msg=\"cannot set up the Avro codec\" error=\"%s\"", err);
            goto out;
        }
    }
    for (int i = first; i < argc && g.n < g.max; i++)
        if (load_file(&g, argv[i]))
            goto out;
    if (g.n == 0) {
        fprintf(stderr, "%s: no requests to send\n", program.name);
        goto out;
    }
    if (g.n < g.max)
        vk_warn("msg=\"fewer requests than rate x seconds: sending all\" requests=%zu wanted=%zu",
                g.n, g.max);
    sender = vk_sender_new(cfg);
    if (!sender)
        goto out;
    vk_install_signals();
    if (pthread_create(&thread, NULL, poller, &g)) {
        vk_error("msg=\"cannot start the poller thread\"");
        goto out;
    }
    started = true;

    const int64_t step = (int64_t)llround(1e9 / rate), t0 = now_ns() + 200000000LL;
    size_t i = 0;
    for (; i < g.n && !vk_stop && !atomic_load(&g.poller_failed); i++) {
        sleep_until_ns(t0 + (int64_t)i * step);
        request *r = &g.reqs[i];
        r->sent_ns = now_ns();
        if (vk_sender_send(sender, desk_topics[r->topic].topic, r->key, strlen(r->key), r->value,
                           r->value_len, i + 1) &&
            vk_sender_fatal(sender))
            break;
        atomic_store(&g.sent, i + 1);
    }
    /* Seconds of the measured part: from its first send to the last. */
    const double elapsed = (double)(now_ns() - (t0 + (int64_t)g.warm * step)) / 1e9;
    atomic_store(&g.settle_deadline_ns, now_ns() + (int64_t)(settle * 1e9));
    atomic_store(&g.sending_done, true);
    vk_sender_flush(sender, vk_config_get_int(cfg, "flush.timeout.ms", 60000));
    pthread_join(thread, NULL);
    started = false;
    vk_sender_stats st;
    vk_sender_stats_get(sender, &st);
    rc = report(&g, elapsed);
    if (latencies && write_latencies(&g, latencies))
        rc = 2;
    if (st.failed) {
        vk_error("msg=\"deliveries failed\" failed=%llu", (unsigned long long)st.failed);
        rc = 1;
    }
    if (atomic_load(&g.poller_failed)) {
        vk_error("msg=\"polling PostgreSQL failed\"");
        rc = 1;
    }
out:
    if (started) {
        atomic_store(&g.sending_done, true);
        atomic_store(&g.settle_deadline_ns, 0);
        pthread_join(thread, NULL);
    }
    vk_sender_destroy(sender);
    for (size_t k = 0; k < g.n; k++) {
        free(g.reqs[k].key);
        free(g.reqs[k].value);
    }
    free(g.reqs);
    vk_buf_free(&g.out);
    for (size_t k = 0; k < N_TOPICS; k++)
        if (g.enc[k])
            vk_encoder_destroy(g.enc[k]);
    if (g.codec)
        vk_tool_codec_destroy(g.codec);
    vk_strmap_destroy(g.derived);
    vk_strmap_destroy(g.ids);
    vk_config_destroy(cfg);
    return rc;
}
