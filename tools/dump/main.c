/*
 * vaksin-dump — the range dump of docs/design.md §6: decodes any contract topic between two
 * positions (offsets or times) to JSON lines, optionally only what concerns one NIK, then exits.
 *
 *     vaksin-dump [common options] --topic T[,T...] [--from POS] [--to POS] [--nik NIK]
 *                 [--partition N]
 *
 * A position is what vk_pos_parse reads: an offset, `beginning`, `end`, `@epoch_ms` or an ISO
 * 8601 time with a zone. The range is [from, to): by default from the oldest message held to the
 * end each partition had when the dump began, so a dump of a busy topic still ends. Times go
 * through offsetsForTimes and every message is checked against the window by its own
 * timestamp, so a time range holds exactly the messages stamped inside it.
 *
 * One line per message, vk_audit_record's record: {"topic","partition","offset","timestamp",
 * "time","key","value"}, or "error" and "raw_base64" instead of value when it does not decode;
 * a dead letter also carries "payload" (the refused message decoded with its own topic's
 * schema) or "payload_error". The scanning, the decoding and the progress lines on stderr all
 * live in lib/audit/vk_audit.c, shared with vaksin-trail and vaksin-rebuild; this file only wires
 * the command line to them and filters by NIK.
 *
 * Only the contract's topics are dumped: nothing else decodes, and a misspelt name is refused
 * rather than sent to a broker that may create it. It never joins a consumer group and never
 * commits, so it can run next to the live services.
 * stderr ends with `vaksin-dump: N messages`. Exit status: 0 done (also when the reader of a
 * pipe stops reading, as `| head` does), 1 failure (an unknown topic, the broker, a full disk),
 * 2 usage error.
 */
#include "vk_audit.h"
#include "vk_codec.h"
#include "vk_config.h"
#include "vk_kafka.h"
#include "vk_log.h"
#include "vk_signals.h"
#include "vk_tool.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const vk_config_doc keys[] = {
    {"kafka.bootstrap.servers", NULL, "Kafka bootstrap servers (or VAKSIN_BOOTSTRAP)"},
    VK_REGISTRY_KEYS,
    {NULL, NULL, NULL},
};

static const vk_program program = {
    "vaksin-dump", "decode topics to JSON lines, between two offsets or two times",
    "--topic TOPIC[,TOPIC...] [--from POS] [--to POS] [--nik NIK] [--partition N]\n\n"
    "Prints every message of the topics (any of the contract's, vaksin.*) in [--from, --to)\n"
    "as one JSON line, {\"topic\",\"partition\",\"offset\",\"timestamp\",\"time\",\"key\",\n"
    "\"value\"}, or \"error\" and \"raw_base64\" when it does not decode; a dead letter also\n"
    "has \"payload\" (or \"payload_error\"), the refused message decoded with its topic's schema.\n"
    "POS: an offset (the same in every partition), beginning, end, @EPOCH_MS, or an ISO 8601\n"
    "time with a zone (2026-11-24T10:00:00Z, 2026-11-24T17:00:00.250+07:00). A time range\n"
    "holds exactly the messages whose timestamps lie in it. Default: from beginning to the\n"
    "end each partition has when the dump starts.\n"
    "--nik keeps the messages about one NIK (its value's nik, a dead letter's payload's, or\n"
    "the key); --partition reads one partition of each topic.\n"
    "Any Kafka cluster: -X kafka.bootstrap.servers=HOST:PORT plus its security settings as\n"
    "librdkafka names them (-X kafka.security.protocol=SASL_SSL -X kafka.sasl.mechanisms=...).\n"
    "Progress on stderr during long runs; the last line is `vaksin-dump: N messages`.\n"
    "Exit status: 0 done, 1 failure (unknown topic, broker error), 2 usage error.",
    keys};

enum { MAX_TOPICS = 32 };

typedef struct dump_opts {
    const char *topics[MAX_TOPICS];
    int ntopics;
    vk_pos from, to;
    int32_t partition; /* -1: every partition */
} dump_opts;

typedef struct dumper {
    vk_audit_decoder *dec;
    const char *nik; /* NULL: no filter */
    uint64_t printed;
    int out_errno; /* set when stdout failed (e.g. the reader of a pipe went away) */
} dumper;

/* Splits --topic's comma-separated list into @p o (in place in @p list). */
static int parse_topics(char *list, dump_opts *o) {
    for (char *save = NULL, *t = strtok_r(list, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        if (o->ntopics == MAX_TOPICS) {
            fprintf(stderr, "vaksin-dump: at most %d topics\n", MAX_TOPICS);
            return -1;
        }
        o->topics[o->ntopics++] = t;
    }
    if (o->ntopics == 0) {
        fprintf(stderr, "vaksin-dump: give at least one --topic (see --help)\n");
        return -1;
    }
    return 0;
}

/* Only the contract's topics: nothing else decodes, and asking a broker that creates topics
 * on demand (the development broker does) about a misspelt name would create it and dump
 * nothing, instead of saying the name is wrong. */
static int check_topics(const dump_opts *o) {
    for (int i = 0; i < o->ntopics; i++) {
        bool known = false;
        for (const char *const *t = vk_all_topics; *t && !known; t++)
            known = strcmp(*t, o->topics[i]) == 0;
        if (!known) {
            fprintf(stderr, "vaksin-dump: unknown topic %s; the topics are:", o->topics[i]);
            for (const char *const *t = vk_all_topics; *t; t++)
                fprintf(stderr, " %s", *t);
            fputc('\n', stderr);
            return -1;
        }
    }
    return 0;
}

static int parse_pos(const char *opt, const char *text, vk_pos *out) {
    char err[256];
    if (vk_pos_parse(text, out, err, sizeof err) == 0)
        return 0;
    fprintf(stderr, "vaksin-dump: %s %s: %s\n", opt, text, err);
    return -1;
}

static int parse_nik(const char *text) {
    char err[128];
    if (vk_audit_nik_check(text, err, sizeof err) == 0)
        return 0;
    fprintf(stderr, "vaksin-dump: --nik %s: %s\n", text, err);
    return -1;
}

static int parse_partition(const char *text, int32_t *out) {
    char *end;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (errno || end == text || *end || v < 0 || v > INT32_MAX) {
        fprintf(stderr, "vaksin-dump: --partition %s: not a partition number\n", text);
        return -1;
    }
    *out = (int32_t)v;
    return 0;
}

/* A window whose start lies after its end is a typing mistake, not an empty audit. */
static int check_range(vk_pos from, vk_pos to) {
    if (from.kind == to.kind && (from.kind == VK_POS_OFFSET || from.kind == VK_POS_TIME) &&
        from.value > to.value) {
        fprintf(stderr, "vaksin-dump: --from lies after --to\n");
        return -1;
    }
    return 0;
}

/** @brief vk_scan_fn: prints one message as a JSON line unless the NIK filter drops it. */
static int print_message(void *opaque, rd_kafka_message_t *m) {
    dumper *d = opaque;
    json_t *record = vk_audit_record(d->dec, m);
    rd_kafka_message_destroy(m);
    if (!record) {
        vk_error("msg=\"cannot build a JSON record\"");
        return -1;
    }
    int rc = 0;
    const char *nik = d->nik ? vk_audit_record_nik(record) : NULL;
    if (!d->nik || (nik && strcmp(nik, d->nik) == 0)) {
        char *s = json_dumps(record, JSON_COMPACT);
        if (!s || fputs(s, stdout) == EOF || putchar('\n') == EOF) {
            d->out_errno = s ? errno : ENOMEM;
            rc = -1;
        } else {
            d->printed++;
        }
        free(s);
    }
    json_decref(record);
    return rc;
}

/* Adds every topic's range, so each end is fixed now, then reads them all. 0, or -1. */
static int dump(const vk_config *cfg, const dump_opts *o, dumper *d) {
    char err[512];
    vk_codec *codec = vk_tool_codec_new(cfg, NULL);
    if (!codec)
        return -1;
    int rc = -1;
    rd_kafka_t *rk = NULL;
    vk_scan *scan = NULL;
    d->dec = vk_audit_decoder_new(codec, err, sizeof err);
    if (!d->dec) {
        vk_error("msg=\"cannot make the decoder\" error=\"%s\"", err);
        goto out;
    }
    rk = vk_scan_consumer_new(cfg, program.name);
    if (!rk)
        goto out;
    scan = vk_scan_new(rk, program.name);
    if (!scan) {
        vk_error("msg=\"cannot make the scanner\"");
        goto out;
    }
    for (int i = 0; i < o->ntopics; i++) {
        if (vk_scan_add(scan, o->topics[i], o->partition, o->from, o->to, err, sizeof err)) {
            vk_error("msg=\"cannot read the topic\" topic=%s error=\"%s\"", o->topics[i], err);
            goto out;
        }
    }
    if (vk_scan_run(scan, print_message, d, err, sizeof err) == 0) {
        rc = 0;
    } else if (d->out_errno == EPIPE) {
        rc = 0; /* the reader had enough (`| head`): not a failure of the dump */
    } else if (d->out_errno) {
        fprintf(stderr, "vaksin-dump: standard output: %s\n", strerror(d->out_errno));
    } else if (vk_stop) {
        vk_warn("msg=\"interrupted\"");
    } else {
        vk_error("msg=\"the scan failed\" error=\"%s\"", err);
    }
    if (rc == 0 && fflush(stdout) == EOF) {
        fprintf(stderr, "vaksin-dump: standard output: %s\n", strerror(errno));
        rc = -1;
    }
out:
    if (scan)
        vk_scan_destroy(scan);
    if (rk) {
        rd_kafka_consumer_close(rk);
        rd_kafka_destroy(rk);
    }
    if (d->dec)
        vk_audit_decoder_destroy(d->dec);
    vk_tool_codec_destroy(codec);
    return rc;
}

int main(int argc, char **argv) {
    const char *topic_list = NULL, *from = NULL, *to = NULL, *nik = NULL, *partition = NULL;
    const vk_tool_opt opts[] = {{"--topic", &topic_list},
                                {"--from", &from},
                                {"--to", &to},
                                {"--nik", &nik},
                                {"--partition", &partition}};
    argc = vk_tool_take_options(argc, argv, opts, sizeof opts / sizeof opts[0], program.name);
    if (argc < 0)
        return 2;
    vk_config *cfg = vk_config_new();
    int first, rc = vk_cli_parse(argc, argv, &program, cfg, &first);
    if (rc || first < argc) {
        if (rc == 0)
            fprintf(stderr, "vaksin-dump: unexpected argument %s (see --help)\n", argv[first]);
        vk_config_destroy(cfg);
        return rc > 0 ? 0 : 2;
    }
    char list[1024];
    if (snprintf(list, sizeof list, "%s", topic_list ? topic_list : "") >= (int)sizeof list) {
        fprintf(stderr, "vaksin-dump: --topic: the list is too long\n");
        vk_config_destroy(cfg);
        return 2;
    }
    dump_opts o = {.from = {VK_POS_BEGINNING, 0}, .to = {VK_POS_END, 0}, .partition = -1};
    if (parse_topics(list, &o) || (from && parse_pos("--from", from, &o.from)) ||
        (to && parse_pos("--to", to, &o.to)) || check_range(o.from, o.to) ||
        (nik && parse_nik(nik)) || (partition && parse_partition(partition, &o.partition))) {
        vk_config_destroy(cfg);
        return 2;
    }
    vk_install_signals();
    dumper d = {.nik = nik};
    rc = check_topics(&o) ? -1 : dump(cfg, &o, &d);
    vk_config_destroy(cfg);
    fprintf(stderr, "vaksin-dump: %" PRIu64 " messages\n", d.printed);
    return rc ? 1 : 0;
}
