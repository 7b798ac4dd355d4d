/*
 * vaksin-redrive — sends dead letters' original messages back to their request topics once the
 * cause that refused them is gone (a registration that arrived before its ticket, a vaccine added
 * to the catalog since, a fixed bug), instead of someone typing them in again.
 *
 *     vaksin-redrive [common options] [--code CODE]... [--topic TOPIC] [--service NAME]
 *                    [--nik NIK] [--from TIME] [--to TIME] [--dry-run | --send]
 *
 * It reads vaksin.dead-letters from the beginning to the end each partition has when it starts,
 * read_committed and outside any consumer group (lib/audit's scanner, as vaksin-dump reads), so
 * it sees exactly the dead letters whose transactions committed, never its own redrives' new
 * ones, and moves nobody's offsets. Each dead letter the options select gets one line on stdout;
 * select.c decides whether it is sent and says why. Without --send nothing is sent: the lines
 * say what would be. With --send each original value is produced unchanged, with its original
 * key, to its original topic, by an idempotent producer; every delivery is waited for and its
 * new position printed beside the original one, so an auditor can follow a request from the
 * dead letter to its second life (vaksin-trail, vaksin-dump --topic TOPIC --from OFFSET).
 *
 * The bytes are not touched: the request keeps its event id, so the stage derives the same
 * output ids and the projector drops a copy it already applied. Redriving twice is harmless.
 *
 * Exit status: 0 done (also when some were skipped); 1 a delivery failed, the read model could
 * not be asked, or Kafka failed; 2 usage or configuration error.
 */
#include "redrive.h"

#include "vk_audit.h"
#include "vk_buf.h"
#include "vk_codec.h"
#include "vk_config.h"
#include "vk_kafka.h"
#include "vk_log.h"
#include "vk_pg.h"
#include "vk_signals.h"
#include "vk_time.h"
#include "vk_tool.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const vk_config_doc keys[] = {
    {"kafka.bootstrap.servers", NULL, "Kafka bootstrap servers (or VAKSIN_BOOTSTRAP)"},
    {"pg.conninfo", NULL,
     "read model (or VAKSIN_PG): UNKNOWN_TICKET dead letters whose ticket is still unknown are "
     "skipped; without it no cause is checked"},
    VK_PG_STATEMENT_TIMEOUT_KEY("0", ""),
    {"flush.timeout.ms", "60000", "how long --send waits for the last delivery reports"},
    VK_REGISTRY_KEYS,
    {NULL, NULL, NULL},
};

static const vk_program program = {
    "vaksin-redrive", "sends dead letters back to their request topics once their cause is fixed",
    "[--code CODE]... [--topic TOPIC] [--service NAME] [--nik NIK]\n"
    "       [--from TIME] [--to TIME] [--dry-run | --send]\n\n"
    "Reads vaksin.dead-letters from the beginning to its end at start (read_committed, no\n"
    "consumer group) and selects the dead letters that match every option given:\n"
    "  --code CODE     the error_code (UNKNOWN_TICKET, UNKNOWN_VACCINE, ...); repeat it or give\n"
    "                  a comma-separated list for several\n"
    "  --topic TOPIC   the topic the refused message came from (vaksin.registration.requests)\n"
    "  --service NAME  the service that refused it (vaksin-registration or registration)\n"
    "  --nik NIK       the original key, the request's nik, or (with pg.conninfo) the NIK its\n"
    "                  ticket belongs to now\n"
    "  --from, --to    [from, to) on the dead letter's occurred_at: when the service refused\n"
    "                  the message (not when the message was written). RFC 3339 with a zone\n"
    "                  (2026-11-24T10:00:00Z, 2026-11-24T17:00:00+07:00) or epoch ms\n"
    "One line per selected dead letter: what is done (would-send, sent, failed, skip), the\n"
    "original's topic/partition/offset, the dead letter's own partition/offset, code, service,\n"
    "key, nik, ticket, the request's event id, and the cause check or the reason for a skip;\n"
    "after a send, to=TOPIC/PARTITION/OFFSET where it now lies. Last line:\n"
    "selected=N sent=N skipped=N [failed=N] (--send) or selected=N would_send=N skipped=N.\n\n"
    "--dry-run (the default) sends nothing. --send produces each original value unchanged\n"
    "(same bytes, same event id) with its original key to its original topic, idempotently,\n"
    "and waits for every delivery; it needs --code: say which causes were fixed.\n"
    "Sent back only to vaksin.{ticket,registration,screening,vaccination}.requests. Skipped,\n"
    "with the reason: a message from any other topic — vaksin.verification.requests too, as\n"
    "a verification request is authorized at the time the broker appends it and would be\n"
    "judged at the time of the redrive —, a dead letter that kept only the head of a message\n"
    "too large for it, a second copy of a request already sent in this run.\n"
    "What is checked: only UNKNOWN_TICKET, and only with pg.conninfo — the registration's\n"
    "ticket is looked up in the read model as vaksin-registration looks it up, and a ticket\n"
    "still unknown is skipped (\"cause persists\"). Every other code is sent with \"cause not\n"
    "checked\": nothing here knows whether a catalog was updated or a bug fixed.\n"
    "Sending again is harmless: the stage derives the same output ids from the unchanged\n"
    "event id and the projector drops what it already applied.\n"
    "Exit status: 0 done (skips included), 1 a delivery failed, the read model could not be\n"
    "asked, or Kafka failed, 2 usage error.",
    keys};

/* ---- Command line -------------------------------------------------------------------------- */

/* The common options that take a value (vk_cli_parse's), whose value is never a --code. */
static bool common_with_value(const char *a) {
    return strcmp(a, "-X") == 0 || strcmp(a, "--set") == 0 || strcmp(a, "--config") == 0 ||
           strcmp(a, "-c") == 0 || strcmp(a, "--log-level") == 0;
}

static int add_codes(char *list, redrive_filter *f) {
    for (char *save = NULL, *c = strtok_r(list, ",", &save); c; c = strtok_r(NULL, ",", &save)) {
        if (strspn(c, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") != strlen(c)) {
            fprintf(stderr, "%s: --code %s: codes are upper case (UNKNOWN_TICKET)\n", program.name,
                    c);
            return -1;
        }
        if (f->ncodes == REDRIVE_MAX_CODES) {
            fprintf(stderr, "%s: at most %d codes\n", program.name, REDRIVE_MAX_CODES);
            return -1;
        }
        f->codes[f->ncodes++] = c;
    }
    return 0;
}

/* Takes every `--code V` / `--code=V` out of argv (vk_tool_take_options keeps only the last of
 * a repeated option). Returns the new argc, or -1 (reported). */
static int take_codes(int argc, char **argv, redrive_filter *f) {
    int out = 1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        char *value = NULL;
        if (strcmp(a, "--") == 0) {
            while (i < argc)
                argv[out++] = argv[i++];
            break;
        }
        if (common_with_value(a) && i + 1 < argc) {
            argv[out++] = argv[i++];
            argv[out++] = argv[i];
            continue;
        }
        if (strncmp(a, "--code=", 7) == 0) {
            value = argv[i] + 7;
        } else if (strcmp(a, "--code") == 0) {
            if (i + 1 >= argc) {
                fprintf(stderr, "%s: --code needs a value\n", program.name);
                return -1;
            }
            value = argv[++i];
        } else {
            argv[out++] = argv[i];
            continue;
        }
        if (add_codes(value, f))
            return -1;
    }
    argv[out] = NULL;
    return out;
}

/* RFC 3339 / ISO 8601 with a zone, or epoch milliseconds. */
static int parse_time(const char *opt, const char *text, int64_t *out) {
    char err[256];
    if (*text && strspn(text, "0123456789") == strlen(text) && strlen(text) <= 15) {
        *out = strtoll(text, NULL, 10);
        return 0;
    }
    if (vk_time_parse(text, out, err, sizeof err) == 0)
        return 0;
    fprintf(stderr, "%s: %s %s: %s\n", program.name, opt, text, err);
    return -1;
}

typedef struct cli {
    const char *from, *to;
    bool send, dry_run;
} cli;

/* Checks the options; 0, or -1 (reported: a usage error). */
static int check_options(const cli *c, redrive_filter *f) {
    char err[128];
    f->from = INT64_MIN;
    f->to = INT64_MAX;
    if ((c->from && parse_time("--from", c->from, &f->from)) ||
        (c->to && parse_time("--to", c->to, &f->to)))
        return -1;
    if (f->from > f->to) {
        fprintf(stderr, "%s: --from lies after --to\n", program.name);
        return -1;
    }
    if (f->nik && vk_audit_nik_check(f->nik, err, sizeof err)) {
        fprintf(stderr, "%s: --nik %s: %s\n", program.name, f->nik, err);
        return -1;
    }
    if (f->topic && redrive_topic_refusal(f->topic)) {
        fprintf(stderr, "%s: --topic %s: %s\n", program.name, f->topic,
                redrive_topic_refusal(f->topic));
        return -1;
    }
    if (c->send && c->dry_run) {
        fprintf(stderr, "%s: --send and --dry-run together: choose one\n", program.name);
        return -1;
    }
    if (c->send && f->ncodes == 0) {
        fprintf(stderr,
                "%s: --send needs --code: say which causes were fixed (a dry run without "
                "--send lists every code)\n",
                program.name);
        return -1;
    }
    return 0;
}

/* ---- Reporting ----------------------------------------------------------------------------- */

typedef struct counts {
    uint64_t selected, sending, sent, skipped, failed, check_failed, unreadable;
} counts;

/* Bytes as one logfmt token: printable ASCII as it is, anything else (and space, ", \) as \xNN;
 * "-" for none, "" for empty. Keys and typed tickets come from outside and may hold anything. */
static void append_token(vk_buf *b, const void *data, size_t len) {
    if (!data || len == 0) {
        vk_buf_append_str(b, data ? "\"\"" : "-");
        return;
    }
    const unsigned char *p = data;
    for (size_t i = 0; i < len; i++) {
        if (isgraph(p[i]) && p[i] != '"' && p[i] != '\\')
            vk_buf_append(b, &p[i], 1);
        else
            vk_buf_printf(b, "\\x%02x", p[i]);
    }
}

/* The person: the request's nik, else its ticket's NIK from the read model, else the key when
 * it is a NIK (a registration by ticket is keyed by the ticket); "-" when none is known. */
static const char *nik_of(const dead_letter *dl, char key_nik[17]) {
    if (dl->nik)
        return dl->nik;
    if (dl->resolved_nik[0])
        return dl->resolved_nik;
    if (dl->key && dl->key_len == 16) {
        memcpy(key_nik, dl->key, 16);
        key_nik[16] = '\0';
        if (vk_audit_nik_check(key_nik, NULL, 0) == 0)
            return key_nik;
    }
    return "-";
}

/* What every line says of a dead letter, after its verb; NUL-terminated in @p b. */
static void describe(vk_buf *b, const dead_letter *dl, const char *label, const char *why) {
    char q[1024], key_nik[17];
    vk_buf_reset(b);
    vk_buf_printf(b,
                  "original=%s/%" PRId32 "/%" PRId64 " dead_letter=%s/%" PRId32 "/%" PRId64
                  " code=%s service=%s key=",
                  dl->topic, dl->partition, dl->offset, VK_TOPIC_DEAD_LETTERS, dl->dl_partition,
                  dl->dl_offset, dl->code, dl->service);
    append_token(b, dl->key, dl->key_len);
    vk_buf_printf(b, " nik=%s", nik_of(dl, key_nik));
    if (dl->ticket) {
        vk_buf_append_str(b, " ticket=");
        append_token(b, dl->ticket, strlen(dl->ticket));
    }
    vk_buf_printf(b, " event_id=%s %s=\"%s\"", dl->event_id ? dl->event_id : "-", label,
                  vk_log_quote(why, q, sizeof q));
    vk_buf_append(b, "", 1);
}

/* ---- Sending ------------------------------------------------------------------------------- */

typedef struct redrive {
    redrive_selector *sel;
    rd_kafka_t *producer; /* NULL: a dry run */
    bool fatal;           /* the producer cannot go on */
    counts n;
    vk_buf line;
} redrive;

/* Delivery reports, served on this thread by rd_kafka_poll/flush: the line waits for them. */
static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque) {
    (void)rk;
    redrive *r = opaque;
    char *described = m->_private;
    if (m->err) {
        char q[512];
        r->n.failed++;
        printf("failed %s error=\"%s\"\n", described,
               vk_log_quote(rd_kafka_err2str(m->err), q, sizeof q));
    } else {
        r->n.sent++;
        printf("sent %s to=%s/%" PRId32 "/%" PRId64 "\n", described, rd_kafka_topic_name(m->rkt),
               m->partition, m->offset);
    }
    free(described);
}

static void on_error(rd_kafka_t *rk, int err, const char *reason, void *opaque) {
    redrive *r = opaque;
    char buf[512], q[512];
    if (err == RD_KAFKA_RESP_ERR__FATAL) {
        rd_kafka_fatal_error(rk, buf, sizeof buf);
        vk_error("msg=\"fatal producer error, stopping\" error=\"%s\"",
                 vk_log_quote(buf, q, sizeof q));
        r->fatal = true;
        return;
    }
    vk_debug("msg=\"kafka error\" error=%s reason=\"%s\"",
             rd_kafka_err2name((rd_kafka_resp_err_t)err), vk_log_quote(reason, q, sizeof q));
}

/* An idempotent producer: a retried send is never written twice. Refuses a configuration that
 * turns idempotence off. */
static rd_kafka_t *producer_new(const vk_config *cfg, redrive *r) {
    const char *off[] = {"kafka.enable.idempotence", "kafka.producer.enable.idempotence"};
    for (size_t i = 0; i < sizeof off / sizeof *off; i++) {
        const char *v = vk_config_get(cfg, off[i], NULL);
        if (v && strcmp(v, "true") != 0) {
            vk_error("msg=\"a redrive sends with an idempotent producer: remove %s=%s\"", off[i],
                     v);
            return NULL;
        }
    }
    if (!vk_config_get(cfg, "kafka.bootstrap.servers", NULL) &&
        !vk_config_get(cfg, "kafka.producer.bootstrap.servers", NULL)) {
        vk_error("msg=\"no Kafka to write to: set kafka.bootstrap.servers (or "
                 "VAKSIN_BOOTSTRAP)\"");
        return NULL;
    }
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set_opaque(conf, r);
    rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
    rd_kafka_conf_set_error_cb(conf, on_error);
    return vk_producer_new(cfg, NULL, conf); /* enable.idempotence=true; takes conf */
}

/* Produces the original message; the line is printed when its delivery is reported. */
static int send_back(redrive *r, const dead_letter *dl) {
    char *described = strdup((const char *)r->line.data);
    if (!described)
        return -1;
    for (;;) {
        if (r->fatal) {
            free(described);
            return -1;
        }
        rd_kafka_resp_err_t err = rd_kafka_producev(
            r->producer, RD_KAFKA_V_TOPIC(dl->topic),
            RD_KAFKA_V_KEY((void *)dl->key, dl->key ? dl->key_len : 0),
            RD_KAFKA_V_VALUE((void *)dl->value, dl->value_len),
            RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_OPAQUE(described), RD_KAFKA_V_END);
        if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
            r->n.sending++;
            rd_kafka_poll(r->producer, 0);
            return 0;
        }
        if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
            char q[512];
            r->n.sending++;
            r->n.failed++;
            printf("failed %s error=\"%s\"\n", described,
                   vk_log_quote(rd_kafka_err2str(err), q, sizeof q));
            free(described);
            return 0;
        }
        rd_kafka_poll(r->producer, 10); /* delivery reports make room */
    }
}

static uint64_t in_flight(const redrive *r) {
    return r->n.sending - r->n.sent - r->n.failed;
}

/* Waits for every delivery report, at most @p timeout_ms (a short grace after a signal); what is
 * still unconfirmed then is purged and reported failed (it may or may not have arrived). */
static void wait_deliveries(redrive *r, int64_t timeout_ms) {
    int64_t deadline = vk_mono_ms() + timeout_ms, grace = -1;
    while (in_flight(r) > 0 && !r->fatal) {
        int64_t now = vk_mono_ms();
        if (vk_stop && grace < 0)
            grace = now + 2000;
        if (now >= deadline || (grace >= 0 && now >= grace))
            break;
        rd_kafka_flush(r->producer, 100);
    }
    if (in_flight(r) == 0)
        return;
    vk_error("msg=\"deliveries not confirmed by the broker, reported failed\" count=%" PRIu64,
             in_flight(r));
    rd_kafka_purge(r->producer, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
    for (int i = 0; i < 50 && in_flight(r) > 0; i++)
        rd_kafka_poll(r->producer, 100); /* the purged messages' reports */
}

/* ---- The run ------------------------------------------------------------------------------- */

/** @brief vk_scan_fn: one message of vaksin.dead-letters. */
static int on_dead_letter(void *opaque, rd_kafka_message_t *m) {
    redrive *r = opaque;
    dead_letter dl;
    char err[512], why[1024];
    int rc = 0;
    if (redrive_read(r->sel, m->payload, m->len, m->partition, m->offset, &dl, err, sizeof err)) {
        r->n.unreadable++;
        vk_warn("msg=\"not a DeadLetter, not selected\" partition=%" PRId32 " offset=%" PRId64
                " error=\"%s\"",
                m->partition, m->offset, vk_log_quote(err, why, sizeof why));
    } else if (redrive_selected(r->sel, &dl)) {
        r->n.selected++;
        redrive_verdict v = redrive_decide(r->sel, &dl, why, sizeof why);
        describe(&r->line, &dl, v == REDRIVE_SEND ? "cause" : "reason", why);
        if (v != REDRIVE_SEND) {
            r->n.skipped++;
            r->n.check_failed += v == REDRIVE_CHECK_FAILED;
            printf("skip %s\n", (const char *)r->line.data);
        } else if (!r->producer) {
            printf("would-send %s\n", (const char *)r->line.data);
        } else if (send_back(r, &dl)) {
            rc = -1; /* the producer failed for good: stop reading */
        }
    }
    redrive_dead_letter_clear(&dl);
    rd_kafka_message_destroy(m);
    return rc;
}

/* Reads the dead letters to the end they have now. 0, or -1 (logged). */
static int scan_dead_letters(const vk_config *cfg, redrive *r) {
    char err[512];
    int rc = -1;
    rd_kafka_t *rk = vk_scan_consumer_new(cfg, program.name);
    vk_scan *scan = rk ? vk_scan_new(rk, program.name) : NULL;
    if (!scan)
        goto out;
    if (vk_scan_add(scan, VK_TOPIC_DEAD_LETTERS, -1, (vk_pos){VK_POS_BEGINNING, 0},
                    (vk_pos){VK_POS_END, 0}, err, sizeof err)) {
        vk_error("msg=\"cannot read the topic\" topic=%s error=\"%s\"", VK_TOPIC_DEAD_LETTERS, err);
        goto out;
    }
    if (vk_scan_run(scan, on_dead_letter, r, err, sizeof err) == 0)
        rc = 0;
    else if (vk_stop)
        vk_warn("msg=\"interrupted\"");
    else if (!r->fatal)
        vk_error("msg=\"the scan failed\" error=\"%s\"", err);
out:
    if (scan)
        vk_scan_destroy(scan);
    if (rk) {
        rd_kafka_consumer_close(rk);
        rd_kafka_destroy(rk);
    }
    return rc;
}

/* The closing line; the exit status. */
static int report(const redrive *r, bool scan_failed) {
    if (r->producer) {
        printf("selected=%" PRIu64 " sent=%" PRIu64 " skipped=%" PRIu64, r->n.selected, r->n.sent,
               r->n.skipped);
        if (r->n.failed)
            printf(" failed=%" PRIu64, r->n.failed);
    } else {
        printf("selected=%" PRIu64 " would_send=%" PRIu64 " skipped=%" PRIu64, r->n.selected,
               r->n.selected - r->n.skipped, r->n.skipped);
    }
    if (r->n.unreadable)
        printf(" unreadable=%" PRIu64, r->n.unreadable);
    printf("\n");
    if (!r->producer)
        fprintf(stderr, "%s: dry run, nothing sent (--send sends)\n", program.name);
    if (r->n.check_failed)
        fprintf(stderr, "%s: %" PRIu64 " causes could not be checked (the read model)\n",
                program.name, r->n.check_failed);
    if (fflush(stdout) == EOF) {
        fprintf(stderr, "%s: standard output: %s\n", program.name, strerror(errno));
        return 1;
    }
    return scan_failed || r->fatal || r->n.failed || r->n.check_failed ? 1 : 0;
}

/* Everything after the command line. */
static int run(const vk_config *cfg, const redrive_filter *f, bool send) {
    char err[512];
    int rc = 1;
    const char *conninfo = vk_config_get(cfg, "pg.conninfo", NULL);
    PGconn *db = NULL;
    redrive r = {0};
    vk_codec *codec = vk_tool_codec_new(cfg, NULL); /* it sends the original bytes back */
    if (!codec)
        return 1;
    if (conninfo && *conninfo) {
        if (vk_pg_set_statement_timeout(vk_config_get_int(cfg, "pg.statement.timeout.ms", 0))) {
            fprintf(stderr, "%s: %s\n", program.name, VK_PG_STATEMENT_TIMEOUT_RANGE);
            rc = 2;
            goto out;
        }
        db = vk_pg_connect(conninfo, 10000, &vk_stop);
        if (!db)
            goto out; /* no silent "not checked" when the read model was asked for */
    } else {
        vk_warn("msg=\"no pg.conninfo: no cause is checked, UNKNOWN_TICKET included\"");
    }
    r.sel = redrive_selector_new(f, codec, db, err, sizeof err);
    if (!r.sel) {
        vk_error("msg=\"cannot set up the decoders\" error=\"%s\"", err);
        goto out;
    }
    if (send && !(r.producer = producer_new(cfg, &r))) {
        rc = 2;
        goto out;
    }
    bool scan_failed = scan_dead_letters(cfg, &r) != 0;
    if (r.producer)
        wait_deliveries(&r, vk_config_get_int(cfg, "flush.timeout.ms", 60000));
    rc = report(&r, scan_failed);
out:
    if (r.producer)
        rd_kafka_destroy(r.producer);
    redrive_selector_destroy(r.sel);
    vk_buf_free(&r.line);
    if (db)
        PQfinish(db);
    vk_tool_codec_destroy(codec);
    return rc;
}

int main(int argc, char **argv) {
    redrive_filter f = {0};
    cli c = {0};
    argc = take_codes(argc, argv, &f);
    if (argc < 0)
        return 2;
    const vk_tool_opt opts[] = {{"--topic", &f.topic},
                                {"--service", &f.service},
                                {"--nik", &f.nik},
                                {"--from", &c.from},
                                {"--to", &c.to}};
    argc = vk_tool_take_options(argc, argv, opts, sizeof opts / sizeof opts[0], program.name);
    if (argc < 0)
        return 2;
    c.send = vk_tool_take_flag(&argc, argv, "--send");
    c.dry_run = vk_tool_take_flag(&argc, argv, "--dry-run");
    vk_config *cfg = vk_config_new();
    int first, rc = vk_cli_parse(argc, argv, &program, cfg, &first);
    if (rc || first < argc) {
        if (rc == 0)
            fprintf(stderr, "%s: unexpected argument %s (see --help)\n", program.name, argv[first]);
        vk_config_destroy(cfg);
        return rc > 0 ? 0 : 2;
    }
    if (check_options(&c, &f)) {
        vk_config_destroy(cfg);
        return 2;
    }
    vk_install_signals();
    rc = run(cfg, &f, c.send);
    vk_config_destroy(cfg);
    return rc;
}
