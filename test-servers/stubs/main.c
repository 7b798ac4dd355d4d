/*
 * vaksin-stubs — a local stand-in for one of the lookup worker's external sources (docs/design.md
 * §8): the BPJS Kesehatan participant service (stub.protocol=bpjs) or Dukcapil verification by
 * element (stub.protocol=dukcapil), speaking the protocol exactly, for tests and benchmarks.
 *
 * One process serves one protocol, so a test stops a source by stopping its process (the
 * client then sees "connection refused") while the other keeps answering; tests run two.
 *
 * What it answers is decided in handler.c (pure, unit-tested against the client's own readers);
 * this file is the HTTP side (libmicrohttpd) and the misbehaviour a client must survive:
 *  - latency: each answer waits stub.latency.ms plus a uniform jitter. MHD runs a thread per
 *    connection, so a waiting answer holds up only its own connection: 200 connections at
 *    100 ms give about 2000 answers a second. Keep-alive is MHD's default, so a client that
 *    reuses connections is served on one thread per connection, and /_stats shows it
 *    ("connections" against "requests");
 *  - faults: stub.fail.rate of the requests get HTTP 500, stub.hang.rate are answered only after
 *    stub.hang.ms (30 s: beyond any sane client timeout), and "down" answers 503 to everything,
 *    each body in the protocol's error form. The dice come from one generator seeded by
 *    stub.seed, so a sequential run repeats exactly;
 *  - runtime control: POST /_control changes latency, jitter, rates and "down" without a
 *    restart (a source going down and coming back); GET /_stats returns the counters.
 *
 * Waits are condition-variable waits, woken at shutdown, so SIGTERM stops the process at once
 * even with requests hanging. Credentials come from the configuration under the same keys the
 * lookup worker uses and are never logged (a request is logged, at debug level, by method, path
 * and outcome only; NIKs in paths are masked by vk_log).
 */
#include "handler.h"

#include "vk_config.h"
#include "vk_log.h"
#include "vk_signals.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

static const vk_config_doc keys[] = {
    {"stub.protocol", NULL, "bpjs or dukcapil: the protocol this process speaks (required)"},
    {"stub.bind", "127.0.0.1", "address to listen on (IPv4 or IPv6)"},
    {"stub.port", "0", "port to listen on; 0 = any free port"},
    {"stub.port.file", NULL, "once listening, write http://HOST:PORT to this file (atomically)"},
    {"stub.people.file", NULL,
     "CSV nik,name,birth_date,sex,card_no: the people the source knows (no file = nobody)"},
    {"stub.latency.ms", "0", "delay of every answer, in milliseconds"},
    {"stub.jitter.ms", "0", "plus a uniform random delay of 0 to this many milliseconds"},
    {"stub.fail.rate", "0", "fraction of requests answered with HTTP 500 (0..1)"},
    {"stub.hang.rate", "0", "fraction of requests answered only after stub.hang.ms (0..1)"},
    {"stub.hang.ms", "30000", "how long a hanging request is held, in milliseconds"},
    {"stub.seed", NULL, "seed of the random choices (default: from the clock; logged at start)"},
    {"jkn.cons_id", NULL, "bpjs: the consumer id clients must send as X-cons-id"},
    {"jkn.secret", NULL, "bpjs: the consumer secret (signature, response key); never logged"},
    {"jkn.user_key", NULL, "bpjs: the user_key clients must send; never logged"},
    {"dukcapil.user_id", NULL, "dukcapil: the USER_ID clients must send"},
    {"dukcapil.password", NULL, "dukcapil: the PASSWORD clients must send; never logged"},
    {"dukcapil.ip_user", NULL, "dukcapil: the IP_USER clients must send"},
    {"log.level", "info", "debug (one line per request), info, warn or error"},
    {NULL, NULL, NULL},
};

static const vk_program program = {
    "vaksin-stubs",
    "local stub server for the BPJS Kesehatan or Dukcapil protocol (tests and benchmarks)", NULL,
    keys};

/** Most connections served at once (a thread each). */
#define STUB_CONNECTION_LIMIT 1024
/** Largest request body read; a larger one is answered 413. */
#define STUB_MAX_BODY ((size_t)64 * 1024)
/** Idle keep-alive connections are closed after this many seconds. */
#define STUB_IDLE_TIMEOUT_S 60

typedef struct stub_server {
    stub_protocol protocol;
    stub_people *people;
    stub_bpjs_credentials bpjs;
    stub_dukcapil_credentials dukcapil;
    long hang_ms;

    pthread_mutex_t lock; /* guards settings, rng and stopping */
    pthread_cond_t wake;  /* broadcast at shutdown: ends every pending wait */
    stub_settings settings;
    uint64_t rng;
    bool stopping;

    _Atomic uint64_t requests;
    _Atomic uint64_t outcomes[STUB_FAILED + 1]; /* indexed by stub_outcome */
    _Atomic uint64_t hung;
    _Atomic uint64_t connections;
} stub_server;

/* One request's state between MHD's calls: the body read so far. */
typedef struct request {
    vk_buf body;
    bool too_large;
} request;

/* What the dice decided for one request. */
typedef struct plan {
    bool down, hang, fail;
    long delay_ms;
} plan;

static void count(_Atomic uint64_t *c) {
    atomic_fetch_add_explicit(c, 1, memory_order_relaxed);
}

/* splitmix64: small, fast, and good enough to pick which requests fail. Under s->lock. */
static uint64_t next_random(stub_server *s) {
    uint64_t z = (s->rng += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* Uniform in [0, 1). Under s->lock. */
static double uniform(stub_server *s) {
    return (double)(next_random(s) >> 11) * 0x1.0p-53;
}

static plan roll(stub_server *s) {
    plan p = {false, false, false, 0};
    pthread_mutex_lock(&s->lock);
    const stub_settings *st = &s->settings;
    p.down = st->down;
    p.hang = st->hang_rate > 0 && uniform(s) < st->hang_rate;
    p.fail = st->fail_rate > 0 && uniform(s) < st->fail_rate;
    p.delay_ms = st->latency_ms;
    if (st->jitter_ms > 0)
        p.delay_ms += (long)(uniform(s) * (double)(st->jitter_ms + 1));
    pthread_mutex_unlock(&s->lock);
    return p;
}

/* Waits @p ms milliseconds, or less when the server stops. Only the calling connection's
 * thread waits. */
static void pause_ms(stub_server *s, long ms) {
    if (ms <= 0)
        return;
    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_sec += ms / 1000;
    until.tv_nsec += (ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&s->lock);
    while (!s->stopping && pthread_cond_timedwait(&s->wake, &s->lock, &until) != ETIMEDOUT)
        ;
    pthread_mutex_unlock(&s->lock);
}

static double elapsed_ms(const struct timespec *t0) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)(t.tv_sec - t0->tv_sec) * 1e3 + (double)(t.tv_nsec - t0->tv_nsec) / 1e6;
}

static enum MHD_Result send_body(struct MHD_Connection *c, int status, const void *data,
                                 size_t len) {
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(len, (void *)(data ? data : ""), MHD_RESPMEM_MUST_COPY);
    if (!resp)
        return MHD_NO;
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
    enum MHD_Result rc = MHD_queue_response(c, (unsigned int)status, resp);
    MHD_destroy_response(resp);
    return rc;
}

/* {"error":"…"} for the control endpoints. */
static enum MHD_Result send_error(struct MHD_Connection *c, int status, const char *why) {
    vk_buf b = VK_BUF_INIT;
    char q[600];
    /* vk_log_quote escapes " and \ the way JSON wants them too. */
    vk_buf_printf(&b, "{\"error\":\"%s\"}", vk_log_quote(why, q, sizeof q));
    enum MHD_Result rc = send_body(c, status, b.data, b.len);
    vk_buf_free(&b);
    return rc;
}

/* ---- The protocol ---- */

static void answer(stub_server *s, struct MHD_Connection *c, const char *url, const char *method,
                   const request *r, stub_answer *a) {
    if (r->too_large) {
        stub_error_answer(s->protocol, 413, STUB_BAD_REQUEST, "Body terlalu besar", a);
    } else if (s->protocol == STUB_BPJS) {
        stub_bpjs_request req = {
            method,
            url,
            MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-cons-id"),
            MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-timestamp"),
            MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-signature"),
            MHD_lookup_connection_value(c, MHD_HEADER_KIND, "user_key"),
        };
        stub_bpjs_answer(s->people, &s->bpjs, &req, (int64_t)time(NULL), a);
    } else {
        stub_dukcapil_answer(s->people, &s->dukcapil, method, (const char *)r->body.data,
                             r->body.len, a);
    }
}

static enum MHD_Result serve_protocol(stub_server *s, struct MHD_Connection *c, const char *url,
                                      const char *method, const request *r) {
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    count(&s->requests);
    plan p = roll(s);
    stub_answer a;
    memset(&a, 0, sizeof a);
    if (p.down) {
        stub_fault_answer(s->protocol, 503, &a); /* a source that is down answers at once */
    } else {
        if (p.hang) {
            count(&s->hung);
            pause_ms(s, s->hang_ms);
        }
        if (p.fail)
            stub_fault_answer(s->protocol, 500, &a);
        else
            answer(s, c, url, method, r, &a);
        if (!p.hang)
            pause_ms(s, p.delay_ms);
    }
    count(&s->outcomes[a.outcome]);
    enum MHD_Result rc = send_body(c, a.status, a.body.data, a.body.len);
    char qpath[512], qnote[400];
    vk_debug("msg=request method=%s path=\"%s\" status=%d outcome=%s note=\"%s\" ms=%.1f%s%s",
             method, vk_log_quote(url, qpath, sizeof qpath), a.status, stub_outcome_name(a.outcome),
             vk_log_quote(a.note, qnote, sizeof qnote), elapsed_ms(&t0), p.hang ? " hung=true" : "",
             p.fail ? " injected=500" : "");
    stub_answer_free(&a);
    return rc;
}

/* ---- /_stats and /_control ---- */

static enum MHD_Result serve_stats(stub_server *s, struct MHD_Connection *c, const char *method) {
    if (strcmp(method, "GET") != 0)
        return send_error(c, 405, "use GET /_stats");
    stub_stats st = {
        .requests = atomic_load(&s->requests),
        .answered_found = atomic_load(&s->outcomes[STUB_FOUND]),
        .answered_not_found = atomic_load(&s->outcomes[STUB_NOT_FOUND]),
        .refused_auth = atomic_load(&s->outcomes[STUB_REFUSED_AUTH]),
        .bad_request = atomic_load(&s->outcomes[STUB_BAD_REQUEST]),
        .failed = atomic_load(&s->outcomes[STUB_FAILED]),
        .hung = atomic_load(&s->hung),
        .connections = atomic_load(&s->connections),
    };
    vk_buf b = VK_BUF_INIT;
    enum MHD_Result rc = stub_stats_json(&st, &b) ? send_error(c, 500, "out of memory")
                                                  : send_body(c, 200, b.data, b.len);
    vk_buf_free(&b);
    return rc;
}

static enum MHD_Result serve_control(stub_server *s, struct MHD_Connection *c, const char *method,
                                     const request *r) {
    bool post = strcmp(method, "POST") == 0;
    if (!post && strcmp(method, "GET") != 0)
        return send_error(c, 405, "use GET or POST /_control");
    if (r->too_large)
        return send_error(c, 413, "body too large");
    char err[256];
    int bad = 0;
    pthread_mutex_lock(&s->lock);
    if (post)
        bad = stub_control_apply(&s->settings, (const char *)r->body.data, r->body.len, err,
                                 sizeof err);
    stub_settings now = s->settings;
    pthread_mutex_unlock(&s->lock);
    if (bad) {
        vk_warn("msg=\"control refused\" error=\"%s\"", err);
        return send_error(c, 400, err);
    }
    if (post)
        vk_info("msg=control latency_ms=%ld jitter_ms=%ld fail_rate=%g hang_rate=%g down=%s",
                now.latency_ms, now.jitter_ms, now.fail_rate, now.hang_rate,
                now.down ? "true" : "false");
    vk_buf b = VK_BUF_INIT;
    enum MHD_Result rc = stub_settings_json(&now, &b) ? send_error(c, 500, "out of memory")
                                                      : send_body(c, 200, b.data, b.len);
    vk_buf_free(&b);
    return rc;
}

/* ---- libmicrohttpd callbacks ---- */

/* MHD calls this once with the headers, once per piece of body, and once at the end (with
 * *upload_size 0): only the last call answers. */
static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload,
                                  size_t *upload_size, void **req_cls) {
    stub_server *s = cls;
    request *r = *req_cls;
    if (!r) {
        if (!(r = calloc(1, sizeof *r)))
            return MHD_NO;
        *req_cls = r;
        return MHD_YES;
    }
    if (*upload_size) {
        if (r->too_large || r->body.len + *upload_size > STUB_MAX_BODY ||
            vk_buf_append(&r->body, upload, *upload_size))
            r->too_large = true;
        *upload_size = 0;
        return MHD_YES;
    }
    if (strcmp(url, "/_stats") == 0)
        return serve_stats(s, c, method);
    if (strcmp(url, "/_control") == 0)
        return serve_control(s, c, method, r);
    return serve_protocol(s, c, url, method, r);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **req_cls,
                         enum MHD_RequestTerminationCode toe) {
    request *r = *req_cls;
    if (r) {
        vk_buf_free(&r->body);
        free(r);
        *req_cls = NULL;
    }
}

static void on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
                          enum MHD_ConnectionNotificationCode code) {
    stub_server *s = cls;
    if (code == MHD_CONNECTION_NOTIFY_STARTED)
        count(&s->connections);
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap) {
    char text[512], q[600];
    vsnprintf(text, sizeof text, fmt, ap);
    text[strcspn(text, "\r\n")] = '\0';
    vk_warn("msg=\"microhttpd: %s\"", vk_log_quote(text, q, sizeof q));
}

/* ---- Start and stop ---- */

/* An integer key in [min, max]; -1 (logged) when it is not one. */
static int config_long(const vk_config *cfg, const char *key, long min, long max, long *out) {
    const char *v = vk_config_get(cfg, key, "");
    char *end;
    errno = 0;
    long x = strtol(v, &end, 10);
    if (!*v || *end || errno || x < min || x > max) {
        vk_error("msg=\"bad configuration\" key=%s error=\"not an integer from %ld to %ld\"", key,
                 min, max);
        return -1;
    }
    *out = x;
    return 0;
}

/* A rate key in [0, 1]. */
static int config_rate(const vk_config *cfg, const char *key, double *out) {
    const char *v = vk_config_get(cfg, key, "");
    char *end;
    double x = strtod(v, &end);
    if (!*v || *end || !(x >= 0 && x <= 1)) {
        vk_error("msg=\"bad configuration\" key=%s error=\"not a number from 0 to 1\"", key);
        return -1;
    }
    *out = x;
    return 0;
}

/* A credential that must be set; only its key is ever named. */
static const char *config_credential(const vk_config *cfg, const char *key, int *bad) {
    const char *v = vk_config_get(cfg, key, NULL);
    if (!v || !*v) {
        vk_error("msg=\"missing credential\" key=%s", key);
        *bad = 1;
    }
    return v;
}

static int load_config(stub_server *s, const vk_config *cfg) {
    const char *proto = vk_config_get(cfg, "stub.protocol", NULL);
    if (stub_protocol_parse(proto, &s->protocol)) {
        vk_error("msg=\"bad configuration\" key=stub.protocol error=\"must be bpjs or dukcapil\"");
        return -1;
    }
    int bad = 0;
    if (s->protocol == STUB_BPJS) {
        s->bpjs.cons_id = config_credential(cfg, "jkn.cons_id", &bad);
        s->bpjs.secret = config_credential(cfg, "jkn.secret", &bad);
        s->bpjs.user_key = config_credential(cfg, "jkn.user_key", &bad);
    } else {
        s->dukcapil.user_id = config_credential(cfg, "dukcapil.user_id", &bad);
        s->dukcapil.password = config_credential(cfg, "dukcapil.password", &bad);
        s->dukcapil.ip_user = config_credential(cfg, "dukcapil.ip_user", &bad);
    }
    bad |= config_long(cfg, "stub.latency.ms", 0, 600000, &s->settings.latency_ms) |
           config_long(cfg, "stub.jitter.ms", 0, 600000, &s->settings.jitter_ms) |
           config_long(cfg, "stub.hang.ms", 0, 600000, &s->hang_ms) |
           config_rate(cfg, "stub.fail.rate", &s->settings.fail_rate) |
           config_rate(cfg, "stub.hang.rate", &s->settings.hang_rate);
    return bad ? -1 : 0;
}

/* The seed: stub.seed, or one from the clock and the pid. */
static int load_seed(const vk_config *cfg, uint64_t *seed) {
    const char *v = vk_config_get(cfg, "stub.seed", NULL);
    if (v && *v) {
        char *end;
        errno = 0;
        unsigned long long x = strtoull(v, &end, 10);
        if (*end || errno || v[0] == '-') {
            vk_error("msg=\"bad configuration\" key=stub.seed error=\"not an unsigned integer\"");
            return -1;
        }
        *seed = x;
        return 0;
    }
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    *seed = ((uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec) ^ ((uint64_t)getpid() << 32);
    return 0;
}

/* Starts MHD on stub.bind:stub.port; writes the URL clients use into @p url. */
static struct MHD_Daemon *start_daemon(stub_server *s, const vk_config *cfg, char *url,
                                       size_t urlcap) {
    const char *host = vk_config_get(cfg, "stub.bind", "127.0.0.1");
    long port;
    if (config_long(cfg, "stub.port", 0, 65535, &port))
        return NULL;
    struct sockaddr_in in4;
    struct sockaddr_in6 in6;
    memset(&in4, 0, sizeof in4);
    memset(&in6, 0, sizeof in6);
    struct sockaddr *addr;
    unsigned int flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
                         MHD_USE_POLL | MHD_USE_ERROR_LOG;
    bool v6 = false;
    if (inet_pton(AF_INET, host, &in4.sin_addr) == 1) {
        in4.sin_family = AF_INET;
        in4.sin_port = htons((uint16_t)port);
        addr = (struct sockaddr *)&in4;
    } else if (inet_pton(AF_INET6, host, &in6.sin6_addr) == 1) {
        in6.sin6_family = AF_INET6;
        in6.sin6_port = htons((uint16_t)port);
        addr = (struct sockaddr *)&in6;
        flags |= MHD_USE_IPv6;
        v6 = true;
    } else {
        vk_error("msg=\"bad configuration\" key=stub.bind error=\"not an IP address\"");
        return NULL;
    }
    struct MHD_Daemon *d = MHD_start_daemon(
        flags, 0, NULL, NULL, on_request, s, MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, s,
        MHD_OPTION_SOCK_ADDR, addr, MHD_OPTION_CONNECTION_LIMIT,
        (unsigned int)STUB_CONNECTION_LIMIT, MHD_OPTION_LISTEN_BACKLOG_SIZE,
        (unsigned int)STUB_CONNECTION_LIMIT, MHD_OPTION_CONNECTION_TIMEOUT,
        (unsigned int)STUB_IDLE_TIMEOUT_S, MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
        MHD_OPTION_NOTIFY_CONNECTION, on_connection, s, MHD_OPTION_END);
    if (!d) {
        vk_error("msg=\"cannot listen\" bind=%s port=%ld error=\"%s\"", host, port,
                 strerror(errno));
        return NULL;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    unsigned int bound = info ? info->port : (unsigned int)port;
    /* A wildcard address is reached on loopback. */
    if (strcmp(host, "0.0.0.0") == 0)
        host = "127.0.0.1";
    else if (v6 && strcmp(host, "::") == 0)
        host = "::1";
    snprintf(url, urlcap, v6 ? "http://[%s]:%u" : "http://%s:%u", host, bound);
    return d;
}

int main(int argc, char **argv) {
    vk_config *cfg = vk_config_new();
    int first;
    int rc = vk_cli_parse(argc, argv, &program, cfg, &first);
    if (rc) {
        vk_config_destroy(cfg);
        return rc > 0 ? 0 : 2;
    }
    if (first < argc) {
        fprintf(stderr, "%s: unexpected argument %s (see --help)\n", program.name, argv[first]);
        vk_config_destroy(cfg);
        return 2;
    }
    vk_install_signals();

    stub_server s;
    memset(&s, 0, sizeof s);
    pthread_mutex_init(&s.lock, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&s.wake, &ca);
    pthread_condattr_destroy(&ca);
    struct MHD_Daemon *d = NULL;
    const char *port_file = vk_config_get(cfg, "stub.port.file", NULL);
    rc = 1;

    if (load_config(&s, cfg) || load_seed(cfg, &s.rng))
        goto out;
    uint64_t seed = s.rng;
    if (!(s.people = stub_people_new())) {
        vk_error("msg=\"out of memory\"");
        goto out;
    }
    const char *people_file = vk_config_get(cfg, "stub.people.file", NULL);
    if (people_file && *people_file) {
        char err[512], q[600];
        int lr = stub_people_load_file(s.people, people_file, err, sizeof err);
        if (lr < 0) {
            vk_error("msg=\"cannot load people\" path=\"%s\" error=\"%s\"", people_file,
                     vk_log_quote(err, q, sizeof q));
            goto out;
        }
        if (lr > 0)
            vk_warn("msg=\"people file does not exist: every NIK is unknown\" path=\"%s\"",
                    people_file);
    }
    char url[300];
    const stub_settings initial = s.settings; /* once listening, /_control may change them */
    if (!(d = start_daemon(&s, cfg, url, sizeof url)))
        goto out;
    if (port_file && *port_file && vk_write_line_atomic(port_file, url)) {
        vk_error("msg=\"cannot write port file\" path=\"%s\" error=\"%s\"", port_file,
                 strerror(errno));
        goto out;
    }
    printf("url=%s\n", url);
    fflush(stdout);
    vk_info("msg=ready protocol=%s url=%s people=%zu latency_ms=%ld jitter_ms=%ld fail_rate=%g "
            "hang_rate=%g hang_ms=%ld seed=%" PRIu64,
            stub_protocol_name(s.protocol), url, stub_people_count(s.people), initial.latency_ms,
            initial.jitter_ms, initial.fail_rate, initial.hang_rate, s.hang_ms, seed);
    while (!vk_stop)
        usleep(100 * 1000);
    vk_info("msg=stopping requests=%" PRIu64 " connections=%" PRIu64, atomic_load(&s.requests),
            atomic_load(&s.connections));
    rc = 0;
out:
    /* Wake every waiting answer first: MHD_stop_daemon joins the connection threads. */
    pthread_mutex_lock(&s.lock);
    s.stopping = true;
    pthread_cond_broadcast(&s.wake);
    pthread_mutex_unlock(&s.lock);
    if (d)
        MHD_stop_daemon(d);
    if (d && port_file && *port_file)
        unlink(port_file);
    stub_people_destroy(s.people);
    pthread_cond_destroy(&s.wake);
    pthread_mutex_destroy(&s.lock);
    vk_config_destroy(cfg);
    return rc;
}
