/*
 * vaksin-lookup — the lookup worker: vaksin.verification.lookups and
 * vaksin.verification.lookups.retry → VerificationEnriched on vaksin.target.events (and retry
 * lookups while a source is down).
 *
 * Asks the JKN master file (BPJS web-service protocol) and Dukcapil (verification by element)
 * about the identity fields a verification request changes, over HTTPS with many requests in
 * flight, and records the evidence and the verdict (docs/design.md §4, §8). See handler.h for the
 * flow, asks.h for retries, breakers and the cache, http.h for the HTTP client.
 *
 * This main is the stage main (vk_stage_main) with what the worker needs beyond it: two input
 * topics in one consumer group and one transactional loop, and the loop's batch hooks
 * (complete/discard) and deferral. Batches default to 500 lookups: the overlap of a batch's
 * requests is what gives the throughput, and a batch is only committed once every request in
 * it has been answered or given up, so it should not be much larger than a few seconds of work.
 */
#include "handler.h"
#include "http.h"
#include "vk_backoff.h"
#include "vk_bpjs.h"
#include "vk_config.h"
#include "vk_log.h"
#include "vk_service.h"
#include "vk_time.h"

#include <curl/curl.h>
#include <stdio.h>
#include <string.h>

static const vk_config_doc keys[] = {
    {"jkn.url", NULL,
     "JKN (BPJS web service) base URL, e.g. https://apijkn.bpjs-kesehatan.go.id/vclaim-rest; "
     "empty: JKN is not consulted"},
    {"jkn.cons_id", NULL, "BPJS consumer id (X-cons-id)"},
    {"jkn.secret", NULL, "BPJS consumer secret (signs requests, decrypts answers; a secret)"},
    {"jkn.user_key", NULL, "BPJS user_key header (a secret)"},
    {"dukcapil.url", NULL,
     "Dukcapil verification-by-element URL (POST); empty: Dukcapil is not consulted"},
    {"dukcapil.user_id", NULL, "Dukcapil USER_ID"},
    {"dukcapil.password", NULL, "Dukcapil PASSWORD (a secret)"},
    {"dukcapil.ip_user", NULL, "Dukcapil IP_USER: the address registered for the user"},
    {"dukcapil.threshold", "80", "Dukcapil TRESHOLD: the score at which an element agrees"},
    {"lookup.inflight", "512", "HTTP requests in flight at most, both sources together"},
    {"lookup.timeout.ms", "3000", "timeout of one HTTP request, connection included"},
    {"lookup.connect.timeout.ms", "1000", "timeout of opening a connection"},
    {"lookup.ca.file", NULL, "CA certificates for the sources' TLS (default: the system's)"},
    {"lookup.attempts", "3", "tries per source and lookup before the source is unavailable"},
    {"lookup.backoff.ms", "100", "backoff between tries: base, doubling, full jitter"},
    {"lookup.backoff.max.ms", "1000", "backoff between tries: cap"},
    {"lookup.breaker.failures", "5",
     "consecutive failed tries that open a source's circuit (0: no breaker)"},
    {"lookup.breaker.open.ms", "10000",
     "how long an open circuit fails requests at once before one probe goes out"},
    {"lookup.cache.entries", "10000", "source answers (found / not found) kept; 0: no cache"},
    {"lookup.cache.ttl.ms", "600000", "how long a source answer is kept"},
    {"lookup.retry.base.ms", "5000",
     "first delay before an UNAVAILABLE lookup is tried again (doubling, equal jitter)"},
    {"lookup.retry.max.ms", "300000",
     "longest delay between tries of an UNAVAILABLE lookup (it is retried forever)"},
    VK_STAGE_KEYS_BATCH("vaksin-lookup", "500", "100"),
};

static const vk_program program = {
    LOOKUP_SERVICE, "verification lookups → JKN/Dukcapil evidence and a verdict", NULL, keys};

static int64_t env_mono(void *arg) {
    (void)arg;
    return vk_mono_ms();
}

static int64_t env_wall(void *arg) {
    (void)arg;
    return vk_now_ms();
}

static uint64_t env_draw(void *arg) {
    return vk_rng_next(arg);
}

/* An integer key within [lo, hi], or -1 with @p err naming it. */
static int int_key(const vk_config *cfg, const char *key, long long lo, long long hi,
                   long long *out, char *err, size_t errlen) {
    *out = vk_config_get_int(cfg, key, -1);
    if (*out < lo || *out > hi) {
        snprintf(err, errlen, "%s must be an integer from %lld to %lld", key, lo, hi);
        return -1;
    }
    return 0;
}

static const char *str_key(const vk_config *cfg, const char *key) {
    const char *v = vk_config_get(cfg, key, NULL);
    return v && *v ? v : NULL;
}

/* A source's URL and credentials: all or nothing, and sendable. */
static int check_source(const vk_config *cfg, const char *url_key, const char *const *needed,
                        char *err, size_t errlen) {
    const char *url = str_key(cfg, url_key);
    if (!url)
        return 0;
    char why[400];
    if (lk_http_url_check(url, why, sizeof why)) {
        snprintf(err, errlen, "%s: %s", url_key, why);
        return -1;
    }
    for (; *needed; needed++)
        if (!str_key(cfg, *needed)) {
            snprintf(err, errlen, "%s is set, so %s is required", url_key, *needed);
            return -1;
        }
    if (strncmp(url, "http://", 7) == 0)
        vk_warn("msg=\"source without TLS, on loopback (a local stub)\" key=%s", url_key);
    return 0;
}

static int read_config(const vk_config *cfg, lookup_config *lc, lk_http_config *hc, char *err,
                       size_t errlen) {
    static const char *const jkn[] = {"jkn.cons_id", "jkn.secret", "jkn.user_key", NULL};
    static const char *const duk[] = {"dukcapil.user_id", "dukcapil.password", "dukcapil.ip_user",
                                      NULL};
    long long inflight, timeout, connect, attempts, backoff, backoff_max, failures, open_ms,
        entries, ttl, retry_base, retry_max, threshold, metrics;
    if (int_key(cfg, "lookup.inflight", 1, 4096, &inflight, err, errlen) ||
        int_key(cfg, "lookup.timeout.ms", 1, 600000, &timeout, err, errlen) ||
        int_key(cfg, "lookup.connect.timeout.ms", 1, 600000, &connect, err, errlen) ||
        int_key(cfg, "lookup.attempts", 1, 100, &attempts, err, errlen) ||
        int_key(cfg, "lookup.backoff.ms", 0, 600000, &backoff, err, errlen) ||
        int_key(cfg, "lookup.backoff.max.ms", 0, 600000, &backoff_max, err, errlen) ||
        int_key(cfg, "lookup.breaker.failures", 0, 1000000, &failures, err, errlen) ||
        int_key(cfg, "lookup.breaker.open.ms", 0, 86400000, &open_ms, err, errlen) ||
        int_key(cfg, "lookup.cache.entries", 0, 100000000, &entries, err, errlen) ||
        int_key(cfg, "lookup.cache.ttl.ms", 0, 86400000LL * 30, &ttl, err, errlen) ||
        int_key(cfg, "lookup.retry.base.ms", 1, 86400000, &retry_base, err, errlen) ||
        int_key(cfg, "lookup.retry.max.ms", retry_base, 86400000LL * 7, &retry_max, err, errlen) ||
        int_key(cfg, "dukcapil.threshold", 0, 100, &threshold, err, errlen) ||
        int_key(cfg, "metrics.interval.ms", 1, 86400000, &metrics, err, errlen) ||
        check_source(cfg, "jkn.url", jkn, err, errlen) ||
        check_source(cfg, "dukcapil.url", duk, err, errlen))
        return -1;
    memset(lc, 0, sizeof *lc);
    lc->sources = (lk_sources){
        .jkn_url = str_key(cfg, "jkn.url"),
        .jkn_cons_id = str_key(cfg, "jkn.cons_id"),
        .jkn_secret = str_key(cfg, "jkn.secret"),
        .jkn_user_key = str_key(cfg, "jkn.user_key"),
        .dukcapil_url = str_key(cfg, "dukcapil.url"),
        .dukcapil = {.user_id = str_key(cfg, "dukcapil.user_id"),
                     .password = str_key(cfg, "dukcapil.password"),
                     .ip_user = str_key(cfg, "dukcapil.ip_user"),
                     .threshold = (int)threshold},
    };
    if (lc->sources.jkn_url) { /* a credential no request could carry is a configuration error */
        vk_bpjs_header_lines probe;
        int rc = vk_bpjs_headers(lc->sources.jkn_cons_id, lc->sources.jkn_secret,
                                 lc->sources.jkn_user_key, 0, &probe, err, errlen);
        memset(&probe, 0, sizeof probe);
        if (rc)
            return -1;
    }
    lc->asks = (lk_asks_config){.inflight = (int)inflight,
                                .attempts = (int)attempts,
                                .backoff_ms = backoff,
                                .backoff_max_ms = backoff_max,
                                .breaker_failures = (int)failures,
                                .breaker_open_ms = open_ms,
                                .cache_entries = (size_t)entries,
                                .cache_ttl_ms = ttl};
    lc->retry_base_ms = retry_base;
    lc->retry_max_ms = retry_max;
    lc->metrics_interval_ms = metrics;
    *hc = (lk_http_config){.inflight = (int)inflight,
                           .timeout_ms = (long)timeout,
                           .connect_timeout_ms = (long)connect,
                           .ca_file = str_key(cfg, "lookup.ca.file")};
    return 0;
}

int main(int argc, char **argv) {
    vk_config *cfg = vk_config_new();
    int first, rc = vk_cli_parse(argc, argv, &program, cfg, &first);
    if (rc) {
        vk_config_destroy(cfg);
        return rc > 0 ? 0 : 2;
    }
    if (first < argc) {
        fprintf(stderr, "%s: unexpected argument %s\n", program.name, argv[first]);
        vk_config_destroy(cfg);
        return 2;
    }
    vk_install_signals();
    char err[512] = "";
    lookup_config lc;
    lk_http_config hc;
    if (read_config(cfg, &lc, &hc, err, sizeof err)) {
        vk_error("msg=\"bad configuration\" error=\"%s\"", err);
        vk_config_destroy(cfg);
        return 2;
    }
    if (curl_global_init(CURL_GLOBAL_DEFAULT)) {
        vk_error("msg=\"cannot initialise libcurl\"");
        vk_config_destroy(cfg);
        return 1;
    }
    bool jkn = lc.sources.jkn_url != NULL, duk = lc.sources.dukcapil_url != NULL;
    if (!jkn && !duk)
        vk_warn("msg=\"neither jkn.url nor dukcapil.url is set: every identity change stays "
                "UNAVAILABLE and is retried\"");
    vk_info("msg=\"lookup sources\" jkn=%s dukcapil=%s inflight=%d timeout_ms=%ld attempts=%d",
            jkn ? "on" : "off", duk ? "on" : "off", hc.inflight, hc.timeout_ms, lc.asks.attempts);

    vk_rng rng;
    vk_rng_seed(&rng, 0);
    lk_env env = {.mono_ms = env_mono, .wall_ms = env_wall, .draw = env_draw, .arg = &rng};
    vk_codec *codec = vk_codec_new(err, sizeof err);
    lk_http *http = codec ? lk_http_new(&hc, err, sizeof err) : NULL;
    lk_transport transport = http ? lk_http_transport(http) : (lk_transport){0};
    lookup_ctx *ctx = http ? lookup_ctx_new(codec, &lc, &transport, &env, err, sizeof err) : NULL;
    if (!ctx) {
        vk_error("msg=\"cannot start\" error=\"%s\"", err);
        rc = 1;
    } else {
        const char *const inputs[] = {VK_TOPIC_VERIFICATION_LOOKUPS, VK_TOPIC_VERIFICATION_RETRIES,
                                      NULL};
        /* The enriched (or failed) verification, and the lookups to try again later. */
        const char *const writes[] = {VK_TOPIC_TARGET_EVENTS, VK_TOPIC_VERIFICATION_RETRIES, NULL};
        const vk_service svc = {.name = LOOKUP_SERVICE,
                                .input_topics = inputs,
                                .handler = lookup_handle,
                                .ctx = ctx,
                                .complete = lookup_complete,
                                .discard = lookup_discard,
                                .publish = lookup_publish,
                                .output_topics = writes};
        rc = vk_service_run(cfg, codec, &svc) ? 1 : 0;
        lk_http_stats hs;
        lk_http_stats_get(http, &hs);
        vk_info("msg=\"http totals\" transfers=%lu connections=%lu", hs.transfers, hs.connects);
    }
    lookup_ctx_destroy(ctx);
    lk_http_destroy(http);
    if (codec)
        vk_codec_destroy(codec);
    curl_global_cleanup();
    vk_config_destroy(cfg);
    return rc;
}
