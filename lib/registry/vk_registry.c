/*
 * vk_registry.c — see vk_registry.h.
 *
 * One request is one curl transfer on the client's easy handle, tried on each URL in turn from
 * the one that answered last: a URL that does not answer (connection, timeout, 5xx, 408, 429)
 * passes the request to the next; any other answer — success or a 4xx — is the registry's word
 * and ends the request. Every option is set on every transfer, so nothing of one request
 * (a body, a method) leaks into the next.
 *
 * The registry's error body is {"error_code": N, "message": "..."}; both go into the caller's
 * error text, after what vaksin was doing ("registering vaksin.v1.TargetEvent under subject
 * vaksin.target.events-value at http://…: …"), so the operator sees the registry's own words.
 */
#include "vk_registry.h"

#include "vk_backoff.h"
#include "vk_buf.h"
#include "vk_contract.h"
#include "vk_err.h"
#include "vk_log.h"
#include "vk_signals.h"
#include "vk_str.h"
#include "vk_time.h"
#include "vk_url.h"

#include <curl/curl.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ANSWER     (4 * 1024 * 1024) /* a schema is a few KB; refuse anything absurd */
#define MAX_URLS       8
#define MISSING_SLOTS  64
#define MISSING_TTL_MS 60000
#define CONTENT_TYPE   "application/vnd.schemaregistry.v1+json"

typedef struct missing_id {
    int32_t id;
    int64_t until; /* monotonic ms; 0: free slot */
} missing_id;

struct vk_registry {
    char *urls[MAX_URLS];
    int n_urls, current;
    char *user_info;
    char *ca_file, *cert_file, *key_file;
    long timeout_ms;
    bool auto_register;
    bool patient; /* the codec's fetches wait for an answer (vk_registry_set_patient) */
    vk_subject_strategy strategy;
    CURL *curl;
    struct curl_slist *headers;
    vk_buf answer;
    bool too_big;
    char curl_err[CURL_ERROR_SIZE];
    missing_id missing[MISSING_SLOTS];
    int missing_next;
    vk_registry_stats stats;
};

/* ---- Construction ---- */

static char *dup_or_null(const char *s) {
    return s && *s ? strdup(s) : NULL;
}

void vk_registry_destroy(vk_registry *r) {
    if (!r)
        return;
    for (int i = 0; i < r->n_urls; i++)
        free(r->urls[i]);
    if (r->user_info) {
        explicit_bzero(r->user_info, strlen(r->user_info));
        free(r->user_info);
    }
    free(r->ca_file);
    free(r->cert_file);
    free(r->key_file);
    if (r->curl)
        curl_easy_cleanup(r->curl);
    curl_slist_free_all(r->headers);
    vk_buf_free(&r->answer);
    free(r);
}

/* Splits @p urls at commas into r->urls, each without surrounding blanks or a trailing '/'. */
static int split_urls(vk_registry *r, const char *urls, char *err, size_t errlen) {
    const char *p = urls;
    while (*p) {
        size_t n = strcspn(p, ",");
        const char *s = p, *e = p + n;
        while (s < e && (*s == ' ' || *s == '\t'))
            s++;
        while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '/'))
            e--;
        if (e > s) {
            if (r->n_urls == MAX_URLS)
                return vk_errf(err, errlen, "schema.registry.url: more than %d URLs", MAX_URLS);
            if (!(r->urls[r->n_urls] = strndup(s, (size_t)(e - s))))
                return vk_errf(err, errlen, "out of memory");
            const char *u = r->urls[r->n_urls++];
            if (strncmp(u, "http://", 7) != 0 && strncmp(u, "https://", 8) != 0)
                return vk_errf(err, errlen, "schema.registry.url: %s is not an http(s) URL", u);
        }
        p += n + (p[n] == ',');
    }
    if (r->n_urls == 0)
        return vk_errf(err, errlen, "schema.registry.url: no URL in \"%s\"", urls);
    return 0;
}

vk_registry *vk_registry_new(const vk_registry_options *o, char *err, size_t errlen) {
    vk_registry *r = calloc(1, sizeof *r);
    if (!r) {
        vk_errf(err, errlen, "out of memory");
        return NULL;
    }
    if (split_urls(r, o->urls ? o->urls : "", err, errlen))
        goto fail;
    if (o->user_info && *o->user_info) {
        if (!strchr(o->user_info, ':')) {
            vk_errf(err, errlen, "schema.registry.basic.auth.user.info: expected user:password");
            goto fail;
        }
        /* Credentials travel over TLS, or stay on this machine. */
        for (int i = 0; i < r->n_urls; i++)
            if (vk_url_check_clear_text(r->urls[i], err, errlen))
                goto fail;
    }
    r->user_info = dup_or_null(o->user_info);
    r->ca_file = dup_or_null(o->ca_file);
    r->cert_file = dup_or_null(o->cert_file);
    r->key_file = dup_or_null(o->key_file);
    r->timeout_ms = o->timeout_ms > 0 ? o->timeout_ms : 5000;
    r->auto_register = o->auto_register;
    r->strategy = o->strategy;
    r->curl = curl_easy_init();
    r->headers = curl_slist_append(NULL, "Content-Type: " CONTENT_TYPE);
    struct curl_slist *h =
        r->headers ? curl_slist_append(r->headers, "Accept: " CONTENT_TYPE ", application/json")
                   : NULL;
    if (!r->curl || !h || (o->user_info && *o->user_info && !r->user_info)) {
        vk_errf(err, errlen, "out of memory");
        goto fail;
    }
    r->headers = h;
    return r;
fail:
    vk_registry_destroy(r);
    return NULL;
}

int vk_registry_strategy_parse(const char *name, vk_subject_strategy *out) {
    static const struct {
        const char *name;
        vk_subject_strategy s;
    } names[] = {{"TopicNameStrategy", VK_SUBJECT_TOPIC},
                 {"RecordNameStrategy", VK_SUBJECT_RECORD},
                 {"TopicRecordNameStrategy", VK_SUBJECT_TOPIC_RECORD}};
    const char *dot = strrchr(name, '.'); /* io.confluent.kafka.serializers.subject.X */
    const char *base = dot ? dot + 1 : name;
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        if (strcmp(base, names[i].name) == 0) {
            *out = names[i].s;
            return 0;
        }
    return -1;
}

vk_registry *vk_registry_from_config(const vk_config *cfg, bool *configured, char *err,
                                     size_t errlen) {
    const char *urls = vk_config_get(cfg, "schema.registry.url", NULL);
    *configured = urls && *urls;
    if (!*configured)
        return NULL;
    vk_registry_options o = {
        .urls = urls,
        .user_info = vk_config_get(cfg, "schema.registry.basic.auth.user.info", NULL),
        .ca_file = vk_config_get(cfg, "schema.registry.ssl.ca.location", NULL),
        .cert_file = vk_config_get(cfg, "schema.registry.ssl.certificate.location", NULL),
        .key_file = vk_config_get(cfg, "schema.registry.ssl.key.location", NULL),
        .timeout_ms = (long)vk_config_get_int(cfg, "schema.registry.request.timeout.ms", 5000),
        .auto_register = vk_config_get_bool(cfg, "schema.registry.auto.register", true),
    };
    const char *strategy =
        vk_config_get(cfg, "schema.registry.subject.name.strategy", "TopicNameStrategy");
    if (vk_registry_strategy_parse(strategy, &o.strategy)) {
        vk_errf(err, errlen,
                "schema.registry.subject.name.strategy: \"%s\" is none of TopicNameStrategy, "
                "RecordNameStrategy, TopicRecordNameStrategy",
                strategy);
        return NULL;
    }
    return vk_registry_new(&o, err, errlen);
}

const char *vk_registry_subject(vk_subject_strategy strategy, const char *topic, const char *record,
                                char *buf, size_t len) {
    switch (strategy) {
    case VK_SUBJECT_RECORD:
        snprintf(buf, len, "%s", record);
        break;
    case VK_SUBJECT_TOPIC_RECORD:
        snprintf(buf, len, "%s-%s", topic, record);
        break;
    default:
        snprintf(buf, len, "%s-value", topic);
        break;
    }
    return buf;
}

const vk_registry_stats *vk_registry_get_stats(const vk_registry *r) {
    return &r->stats;
}

/* ---- One request ---- */

static size_t on_data(char *data, size_t size, size_t n, void *arg) {
    vk_registry *r = arg;
    size_t len = size * n;
    if (r->answer.len + len > MAX_ANSWER) {
        r->too_big = true;
        return 0; /* curl fails the transfer: CURLE_WRITE_ERROR */
    }
    return vk_buf_append(&r->answer, data, len) ? 0 : len;
}

/** The registry's answer to one request. */
typedef struct reply {
    long http;      /* 0: no answer */
    json_t *json;   /* the parsed body, or NULL */
    int error_code; /* the body's error_code, or the HTTP status */
    const char *url;
} reply;

/* Sets every option of a transfer of @p method to @p url with @p body (NULL: none). */
static void prepare(vk_registry *r, const char *method, const char *url, const char *body) {
    CURL *c = r->curl;
    curl_easy_reset(c);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, r->headers);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, r->curl_err);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, r->timeout_ms);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, r->timeout_ms);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    if (r->user_info) {
        curl_easy_setopt(c, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
        curl_easy_setopt(c, CURLOPT_USERPWD, r->user_info);
    }
    if (r->ca_file)
        curl_easy_setopt(c, CURLOPT_CAINFO, r->ca_file);
    if (r->cert_file)
        curl_easy_setopt(c, CURLOPT_SSLCERT, r->cert_file);
    if (r->key_file)
        curl_easy_setopt(c, CURLOPT_SSLKEY, r->key_file);
    if (body) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
    }
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
}

/* Whether an answer means "this registry cannot answer now": try another URL, or later. */
static bool unavailable(long http) {
    return http == 0 || http >= 500 || http == 408 || http == 429;
}

/* A transfer that failed on this side's TLS setup or the server's certificate: no retry fixes
 * that, only the configuration (schema.registry.ssl.*). */
static bool tls_misconfigured(CURLcode rc, const char *words) {
    /* A server that wants a client certificate it did not get (or does not trust) says so with a
     * TLS alert after the handshake, which curl reports as a failed read or send. */
    if ((rc == CURLE_RECV_ERROR || rc == CURLE_SEND_ERROR || rc == CURLE_SSL_CONNECT_ERROR) &&
        strstr(words, "alert") &&
        (strstr(words, "certificate") || strstr(words, "unknown ca") ||
         strstr(words, "access denied")))
        return true;
    return rc == CURLE_SSL_CLIENTCERT || rc == CURLE_PEER_FAILED_VERIFICATION ||
           rc == CURLE_SSL_CACERT_BADFILE || rc == CURLE_SSL_CERTPROBLEM ||
           rc == CURLE_SSL_CIPHER || rc == CURLE_SSL_ENGINE_NOTFOUND ||
           rc == CURLE_SSL_CRL_BADFILE || rc == CURLE_SSL_ISSUER_ERROR;
}

/**
 * @brief @p method @p path (with @p body) on each URL in turn until one answers. Returns
 * VK_REGISTRY_UNAVAILABLE with @p err when none did (VK_REGISTRY_REFUSED when each failed on
 * TLS), else the reply (http 2xx: OK) for the caller
 * to read; the caller frees rep->json.
 */
static vk_registry_status request(vk_registry *r, const char *method, const char *path,
                                  const char *body, reply *rep, char *err, size_t errlen) {
    char url[1024];
    bool transient = false;
    memset(rep, 0, sizeof *rep);
    for (int k = 0; k < r->n_urls; k++) {
        int i = (r->current + k) % r->n_urls;
        snprintf(url, sizeof url, "%s%s", r->urls[i], path);
        prepare(r, method, url, body);
        vk_buf_reset(&r->answer);
        r->too_big = false;
        r->curl_err[0] = '\0';
        CURLcode rc = curl_easy_perform(r->curl);
        long http = 0;
        if (rc == CURLE_OK)
            curl_easy_getinfo(r->curl, CURLINFO_RESPONSE_CODE, &http);
        if (rc != CURLE_OK)
            vk_errf(err, errlen, "%s: %s", r->urls[i],
                    r->too_big ? "answer larger than 4 MB"
                               : (r->curl_err[0] ? r->curl_err : curl_easy_strerror(rc)));
        else if (unavailable(http))
            vk_errf(err, errlen, "%s: HTTP %ld %.*s", r->urls[i], http,
                    (int)(r->answer.len < 200 ? r->answer.len : 200),
                    r->answer.data ? (const char *)r->answer.data : "");
        if (rc != CURLE_OK || unavailable(http)) {
            transient = transient || !tls_misconfigured(rc, r->curl_err);
            continue;
        }
        r->current = i;
        rep->http = http;
        rep->url = r->urls[i];
        rep->json = json_loadb((const char *)r->answer.data, r->answer.len, 0, NULL);
        json_t *code = json_object_get(rep->json, "error_code");
        rep->error_code = json_is_integer(code) ? (int)json_integer_value(code) : (int)http;
        return VK_REGISTRY_OK;
    }
    if (!transient) { /* every URL failed on TLS: say so rather than wait for ever */
        r->stats.refused++;
        return VK_REGISTRY_REFUSED;
    }
    r->stats.unavailable++;
    return VK_REGISTRY_UNAVAILABLE;
}

/* What the registry said, for an error text: "HTTP 409 error_code 409: <message>". */
static void said(const reply *rep, char *buf, size_t len) {
    const char *msg = json_string_value(json_object_get(rep->json, "message"));
    snprintf(buf, len, "HTTP %ld error_code %d: %s", rep->http, rep->error_code,
             msg ? msg : "(no message)");
}

/** @brief The status of a non-2xx reply, with the operator's reading of it in @p err. */
static vk_registry_status refusal(vk_registry *r, const reply *rep, const char *doing, char *err,
                                  size_t errlen) {
    char words[900];
    said(rep, words, sizeof words);
    const char *hint = "";
    vk_registry_status st = VK_REGISTRY_REFUSED;
    if (rep->http == 404) {
        st = VK_REGISTRY_NOT_FOUND;
        hint = rep->error_code == 40401   ? " (no such subject)"
               : rep->error_code == 40402 ? " (no such version)"
               : rep->error_code == 40403 ? " (no such schema)"
                                          : "";
    } else if (rep->http == 409) {
        hint = " (the schema is incompatible with the subject's earlier versions under its "
               "compatibility level: evolve it by adding fields with defaults, or change the "
               "subject's compatibility)";
    } else if (rep->http == 422) {
        hint = " (the registry finds the schema or request invalid)";
    } else if (rep->http == 401) {
        hint = " (check schema.registry.basic.auth.user.info)";
    } else if (rep->http == 403) {
        hint = " (the registry's user may not do this)";
    }
    if (st == VK_REGISTRY_NOT_FOUND)
        r->stats.not_found++;
    else
        r->stats.refused++;
    vk_errf(err, errlen, "%s at %s: %s%s", doing, rep->url, words, hint);
    return st;
}

/* ---- Calls ---- */

vk_registry_status vk_registry_register(vk_registry *r, const char *subject,
                                        const char *schema_json, int32_t *id, char *err,
                                        size_t errlen) {
    char path[512], doing[400];
    char *esc = curl_easy_escape(r->curl, subject, 0);
    json_t *req = json_pack("{s:s}", "schema", schema_json);
    char *body = req ? json_dumps(req, JSON_COMPACT) : NULL;
    json_decref(req);
    if (!esc || !body) {
        curl_free(esc);
        free(body);
        vk_errf(err, errlen, "out of memory");
        return VK_REGISTRY_UNAVAILABLE;
    }
    snprintf(path, sizeof path, r->auto_register ? "/subjects/%s/versions" : "/subjects/%s", esc);
    snprintf(doing, sizeof doing, "%s the schema under subject %s",
             r->auto_register ? "registering" : "looking up", subject);
    curl_free(esc);
    reply rep;
    vk_registry_status st = request(r, "POST", path, body, &rep, err, errlen);
    free(body);
    if (st != VK_REGISTRY_OK) {
        char inner[600];
        vk_str_copy(inner, sizeof inner, err);
        vk_errf(err, errlen, "%s: %s (%s)", doing,
                st == VK_REGISTRY_REFUSED ? "TLS failed (check schema.registry.ssl.*)"
                                          : "no registry answered",
                inner);
        return st;
    }
    if (rep.http / 100 != 2) {
        st = refusal(r, &rep, doing, err, errlen);
    } else {
        json_t *v = json_object_get(rep.json, "id");
        if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > INT32_MAX) {
            vk_errf(err, errlen, "%s at %s: the answer has no valid \"id\"", doing, rep.url);
            r->stats.refused++;
            st = VK_REGISTRY_REFUSED;
        } else {
            *id = (int32_t)json_integer_value(v);
            r->stats.registered++;
        }
    }
    json_decref(rep.json);
    return st;
}

static bool recently_missing(vk_registry *r, int32_t id) {
    int64_t now = vk_mono_ms();
    for (int i = 0; i < MISSING_SLOTS; i++)
        if (r->missing[i].until > now && r->missing[i].id == id)
            return true;
    return false;
}

static void remember_missing(vk_registry *r, int32_t id) {
    r->missing[r->missing_next] = (missing_id){id, vk_mono_ms() + MISSING_TTL_MS};
    r->missing_next = (r->missing_next + 1) % MISSING_SLOTS;
}

vk_registry_status vk_registry_schema(vk_registry *r, int32_t id, char **schema, char *err,
                                      size_t errlen) {
    char path[64], doing[96];
    *schema = NULL;
    if (recently_missing(r, id)) {
        vk_errf(err, errlen, "the registry answered 404 for it less than a minute ago");
        return VK_REGISTRY_NOT_FOUND;
    }
    snprintf(path, sizeof path, "/schemas/ids/%" PRId32, id);
    snprintf(doing, sizeof doing, "fetching schema id %" PRId32, id);
    reply rep;
    vk_registry_status st = request(r, "GET", path, NULL, &rep, err, errlen);
    if (st != VK_REGISTRY_OK)
        return st;
    if (rep.http / 100 != 2) {
        st = refusal(r, &rep, doing, err, errlen);
        if (st == VK_REGISTRY_NOT_FOUND)
            remember_missing(r, id);
        json_decref(rep.json);
        return st;
    }
    const char *text = json_string_value(json_object_get(rep.json, "schema"));
    const char *type = json_string_value(json_object_get(rep.json, "schemaType"));
    json_t *refs = json_object_get(rep.json, "references");
    if (!text) {
        vk_errf(err, errlen, "%s at %s: the answer has no \"schema\"", doing, rep.url);
        st = VK_REGISTRY_REFUSED;
    } else if (type && strcmp(type, "AVRO") != 0) {
        vk_errf(err, errlen, "%s at %s: a %s schema, not Avro", doing, rep.url, type);
        st = VK_REGISTRY_REFUSED;
    } else if (json_array_size(refs) > 0) {
        vk_errf(err, errlen,
                "%s at %s: the schema refers to %zu other schemas (references are "
                "not supported: register it self-contained)",
                doing, rep.url, json_array_size(refs));
        st = VK_REGISTRY_REFUSED;
    } else if (!(*schema = strdup(text))) {
        vk_errf(err, errlen, "out of memory");
        st = VK_REGISTRY_UNAVAILABLE;
    }
    if (st == VK_REGISTRY_REFUSED)
        r->stats.refused++;
    else if (st == VK_REGISTRY_OK)
        r->stats.fetched++;
    json_decref(rep.json);
    return st;
}

/* ---- The codec's side ---- */

void vk_registry_set_patient(vk_registry *r, bool patient) {
    r->patient = patient;
}

static int codec_source(void *arg, int32_t id, char **schema_json, char *err, size_t errlen) {
    vk_registry *r = arg;
    vk_registry_status st;
    for (int attempt = 0;
         (st = vk_registry_schema(r, id, schema_json, err, errlen)) == VK_REGISTRY_UNAVAILABLE &&
         r->patient && !vk_stop;
         attempt++) {
        int64_t delay = vk_backoff_delay(500, 10000, attempt);
        char q[2100];
        vk_warn("msg=\"waiting for the schema registry\" id=%" PRId32 " retry_in_ms=%" PRId64
                " error=\"%s\"",
                id, delay, vk_log_quote(err, q, sizeof q));
        vk_nap(delay);
    }
    switch (st) {
    case VK_REGISTRY_OK:
        return VK_SCHEMA_FOUND;
    case VK_REGISTRY_NOT_FOUND:
        return VK_SCHEMA_MISSING;
    case VK_REGISTRY_REFUSED:
        return VK_SCHEMA_REFUSED;
    default:
        return VK_SCHEMA_UNAVAILABLE;
    }
}

void vk_registry_attach(vk_registry *r, vk_codec *codec, size_t max_bytes) {
    vk_codec_set_schema_source(codec, codec_source, r, max_bytes);
}

vk_registry_status vk_registry_bind_writers(vk_registry *r, vk_codec *codec,
                                            const char *const *topics, char *err, size_t errlen) {
    for (const char *const *t = topics; t && *t; t++) {
        const char *record = vk_topic_schema(*t);
        char subject[512], *text = record ? vk_codec_schema_text(codec, record) : NULL;
        int32_t id = -1;
        if (!text) {
            vk_errf(err, errlen, "topic %s: no schema of the contract for it", *t);
            return VK_REGISTRY_REFUSED;
        }
        vk_registry_subject(r->strategy, *t, record, subject, sizeof subject);
        vk_registry_status st = vk_registry_register(r, subject, text, &id, err, errlen);
        free(text);
        if (st != VK_REGISTRY_OK)
            return st;
        if (vk_codec_set_writer_id(codec, record, id, err, errlen))
            return VK_REGISTRY_REFUSED;
        vk_info("msg=\"writer schema registered\" record=%s subject=%s id=%" PRId32, record,
                subject, id);
    }
    return VK_REGISTRY_OK;
}

int vk_registry_setup(const vk_config *cfg, vk_codec *codec, const char *const *writes,
                      vk_registry_wait_fn wait, void *wait_arg, vk_registry **out) {
    char err[1024], q[2100];
    bool configured = false;
    *out = NULL;
    vk_registry *r = vk_registry_from_config(cfg, &configured, err, sizeof err);
    if (!configured)
        return 0;
    if (!r) {
        vk_error("msg=\"bad configuration\" error=\"%s\"", vk_log_quote(err, q, sizeof q));
        return -1;
    }
    long long max_bytes = vk_config_get_int(cfg, "schema.registry.cache.max.bytes", 16777216);
    vk_registry_attach(r, codec, max_bytes > 0 ? (size_t)max_bytes : 0);
    vk_rng rng;
    vk_rng_seed(&rng, 0);
    for (int attempt = 0;; attempt++) {
        vk_registry_status st = vk_registry_bind_writers(r, codec, writes, err, sizeof err);
        if (st == VK_REGISTRY_OK)
            break;
        if (st != VK_REGISTRY_UNAVAILABLE) {
            vk_error("msg=\"the schema registry refuses a writer schema\" error=\"%s\"",
                     vk_log_quote(err, q, sizeof q));
            vk_registry_destroy(r);
            return -1;
        }
        int64_t delay = vk_backoff_equal_jitter(500, 30000, attempt, vk_rng_next(&rng));
        vk_warn("msg=\"schema registry unavailable; not ready until the writer schemas are "
                "registered\" retry_in_ms=%" PRId64 " error=\"%s\"",
                delay, vk_log_quote(err, q, sizeof q));
        char why[1100];
        snprintf(why, sizeof why, "waiting for the schema registry: %s", err);
        for (int64_t left = delay; left > 0 && !vk_stop; left -= 200) {
            if (wait)
                wait(wait_arg, why);
            vk_nap(left < 200 ? left : 200);
        }
        if (vk_stop) {
            vk_registry_destroy(r);
            return 1;
        }
    }
    *out = r;
    return 0;
}
