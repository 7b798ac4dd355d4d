/*
 * vk_tool.c — see vk_tool.h.
 *
 * Delivery reports are served by rd_kafka_poll/rd_kafka_flush on the tool's own thread, so the
 * counters need no locking. A failed delivery is logged with the input line it came from; past
 * the first few, only every 10,000th is logged so a broker outage during a million-row import
 * does not bury the terminal — but every one is counted, and the final summary says how many.
 */
#include "vk_tool.h"

#include "vk_kafka.h"
#include "vk_log.h"
#include "vk_registry.h"
#include "vk_signals.h"
#include "vk_time.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LOG_FIRST_FAILURES 20
#define LOG_EVERY_FAILURE  10000

/* Escapes " and \ and line breaks, so a reason fits in a logfmt "..." value. */
static void quote(const char *in, char *out, size_t outlen) {
    size_t o = 0;
    for (; *in && o + 3 < outlen; in++) {
        if (*in == '"' || *in == '\\') {
            out[o++] = '\\';
            out[o++] = *in;
        } else if (*in == '\n' || *in == '\r') {
            out[o++] = '\\';
            out[o++] = *in == '\n' ? 'n' : 'r';
        } else {
            out[o++] = *in;
        }
    }
    out[o] = '\0';
}

/* ---- Command line ---- */

static bool is_common_with_value(const char *a) {
    return strcmp(a, "-X") == 0 || strcmp(a, "--set") == 0 || strcmp(a, "--config") == 0 ||
           strcmp(a, "-c") == 0 || strcmp(a, "--log-level") == 0;
}

bool vk_tool_take_flag(int *argc, char **argv, const char *flag) {
    for (int i = 1; i < *argc; i++)
        if (strcmp(argv[i], flag) == 0) {
            memmove(&argv[i], &argv[i + 1], (size_t)(*argc - i) * sizeof *argv);
            (*argc)--;
            return true;
        }
    return false;
}

int vk_tool_take_options(int argc, char **argv, const vk_tool_opt *opts, size_t nopts,
                         const char *prog) {
    int out = 1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--") == 0) {
            while (i < argc)
                argv[out++] = argv[i++];
            break;
        }
        if (is_common_with_value(a) && i + 1 < argc) {
            argv[out++] = argv[i++];
            argv[out++] = argv[i];
            continue;
        }
        bool taken = false;
        for (size_t k = 0; k < nopts && !taken; k++) {
            size_t n = strlen(opts[k].name);
            if (strncmp(a, opts[k].name, n) != 0)
                continue;
            if (a[n] == '=') {
                *opts[k].value = a + n + 1;
                taken = true;
            } else if (a[n] == '\0') {
                if (i + 1 >= argc) {
                    fprintf(stderr, "%s: %s needs a value\n", prog, a);
                    return -1;
                }
                *opts[k].value = argv[++i];
                taken = true;
            }
        }
        if (!taken)
            argv[out++] = argv[i];
    }
    argv[out] = NULL;
    return out;
}

void vk_tool_refused(unsigned long line, const char *reason) {
    char q[1024];
    quote(reason, q, sizeof q);
    vk_warn("msg=\"input refused\" line=%lu reason=\"%s\"", line, q);
}

/* ---- Producing ---- */

struct vk_sender {
    rd_kafka_t *rk;
    vk_sender_stats st;
    bool fatal;
    bool closed; /* after the flush: late reports are not counted twice */
};

static void dr_msg_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque) {
    (void)rk;
    vk_sender *s = opaque;
    if (s->closed)
        return;
    if (!m->err) {
        s->st.delivered++;
        return;
    }
    s->st.failed++;
    if (s->st.failed <= LOG_FIRST_FAILURES || s->st.failed % LOG_EVERY_FAILURE == 0) {
        char q[512];
        quote(rd_kafka_err2str(m->err), q, sizeof q);
        vk_error("msg=\"delivery failed\" line=%lu topic=%s error=\"%s\" failed_so_far=%llu",
                 (unsigned long)(uintptr_t)m->_private, rd_kafka_topic_name(m->rkt), q,
                 (unsigned long long)s->st.failed);
    }
}

static void error_cb(rd_kafka_t *rk, int err, const char *reason, void *opaque) {
    vk_sender *s = opaque;
    char buf[512], q[512];
    if (err == RD_KAFKA_RESP_ERR__FATAL) {
        rd_kafka_fatal_error(rk, buf, sizeof buf);
        quote(buf, q, sizeof q);
        vk_error("msg=\"fatal producer error, stopping\" error=\"%s\"", q);
        s->fatal = true;
        return;
    }
    /* librdkafka retries these itself and its log line already said it: keep them quiet. */
    quote(reason, q, sizeof q);
    vk_debug("msg=\"kafka error\" error=%s reason=\"%s\"",
             rd_kafka_err2name((rd_kafka_resp_err_t)err), q);
}

vk_sender *vk_sender_new(const vk_config *cfg) {
    if (!vk_config_get(cfg, "kafka.bootstrap.servers", NULL) &&
        !vk_config_get(cfg, "kafka.producer.bootstrap.servers", NULL)) {
        vk_error("msg=\"no Kafka to write to: set kafka.bootstrap.servers (-X "
                 "kafka.bootstrap.servers=HOST:PORT, or VAKSIN_BOOTSTRAP)\"");
        return NULL;
    }
    vk_sender *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set_opaque(conf, s);
    rd_kafka_conf_set_dr_msg_cb(conf, dr_msg_cb);
    rd_kafka_conf_set_error_cb(conf, error_cb);
    s->rk = vk_producer_new(cfg, NULL, conf); /* takes conf, logs its failures */
    if (!s->rk) {
        free(s);
        return NULL;
    }
    return s;
}

int vk_sender_send(vk_sender *s, const char *topic, const void *key, size_t key_len,
                   const void *value, size_t value_len, unsigned long line) {
    s->st.queued++;
    for (;;) {
        if (s->fatal) {
            s->st.failed++;
            return -1;
        }
        rd_kafka_resp_err_t err = rd_kafka_producev(
            s->rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_KEY((void *)key, key_len),
            RD_KAFKA_V_VALUE((void *)value, value_len), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
            RD_KAFKA_V_OPAQUE((void *)(uintptr_t)line), RD_KAFKA_V_END);
        if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
            rd_kafka_poll(s->rk, 0); /* serve the delivery reports that are ready */
            return 0;
        }
        if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
            rd_kafka_poll(s->rk, 10); /* reports free room in the queue */
            continue;
        }
        s->st.failed++;
        vk_error("msg=\"produce refused\" line=%lu topic=%s error=\"%s\"", line, topic,
                 rd_kafka_err2str(err));
        return -1;
    }
}

static uint64_t in_flight(const vk_sender *s) {
    return s->st.queued - s->st.delivered - s->st.failed;
}

void vk_sender_flush(vk_sender *s, int64_t timeout_ms) {
    int64_t deadline = vk_mono_ms() + timeout_ms, grace = -1;
    while (in_flight(s) > 0 && !s->fatal) {
        int64_t now = vk_mono_ms();
        if (vk_stop) {
            if (grace < 0)
                grace = now + 2000;
            else if (now >= grace)
                break;
        }
        if (now >= deadline)
            break;
        rd_kafka_flush(s->rk, 100);
    }
    uint64_t left = in_flight(s);
    if (left > 0) {
        vk_error("msg=\"records not confirmed by the broker, counted as failed\" count=%llu",
                 (unsigned long long)left);
        s->st.failed += left;
    }
    s->closed = true;
}

void vk_sender_stats_get(const vk_sender *s, vk_sender_stats *out) {
    *out = s->st;
}

int vk_sender_report(const vk_sender *s, const char *what, unsigned long count,
                     unsigned long refused, bool run_failed) {
    printf("%s=%lu sent=%llu refused=%lu", what, count, (unsigned long long)s->st.delivered,
           refused);
    if (s->st.failed)
        printf(" failed=%llu", (unsigned long long)s->st.failed);
    printf("\n");
    fflush(stdout);
    return (s->st.failed || run_failed) ? 1 : refused ? 3 : 0;
}

bool vk_sender_fatal(const vk_sender *s) {
    return s->fatal;
}

void vk_sender_destroy(vk_sender *s) {
    if (!s)
        return;
    if (s->rk) {
        s->closed = true;
        rd_kafka_purge(s->rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
        rd_kafka_destroy(s->rk);
    }
    free(s);
}

/* ---- The codec ---- */

static vk_registry *tool_registry; /* the one of the process's tool codec, or NULL */

vk_codec *vk_tool_codec_new(const vk_config *cfg, const char *const *writes) {
    char err[512];
    vk_install_signals(); /* waiting for a registry must end on SIGTERM or Ctrl-C, cleanly */
    vk_codec *codec = vk_codec_new(err, sizeof err);
    if (!codec) {
        vk_error("msg=\"cannot load schemas\" error=\"%s\"", err);
        return NULL;
    }
    if (vk_registry_setup(cfg, codec, writes, NULL, NULL, &tool_registry)) {
        vk_codec_destroy(codec); /* refused or interrupted: logged */
        return NULL;
    }
    if (tool_registry)
        vk_registry_set_patient(tool_registry, true);
    return codec;
}

void vk_tool_codec_destroy(vk_codec *codec) {
    vk_codec_destroy(codec);
    vk_registry_destroy(tool_registry);
    tool_registry = NULL;
}
