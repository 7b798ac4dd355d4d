/*
 * vaksin-import — SISDMK / Excel export CSV → TicketRequested on vaksin.ticket.requests.
 *
 *     vaksin-import [common options] [--origin SISDMK|EXCEL|DUKCAPIL|OTHER] [--source NAME]
 *                   FILE.csv
 *
 * The file has a header row naming its columns (Indonesian or English names, any case; see
 * vk_import.h): NIK, NAMA and TGL_LAHIR are required, JENIS_KELAMIN, NO_HP, KATEGORI,
 * KODE_FASKES and TGL_VAKSINASI optional, others ignored. Comma or semicolon separated (Excel
 * in an Indonesian locale writes ';'; the header decides, or csv.separator), RFC 4180 quoting,
 * CRLF or LF, a UTF-8 BOM skipped (vk_csv.h).
 *
 * Division of labour: the importer only turns rows into records. A row is refused here (line
 * number and reason on stderr) only when no record can be built: wrong number of columns, NIK
 * or name empty, a date that does not parse, an unknown sex. NIK, name and phone are not
 * judged: vaksin-ticket validates them and dead-letters bad values with precise reasons, the
 * same way for every source.
 *
 * Re-import idempotency: a row's event id is derived from its content (vk_import_event_id:
 * UUIDv5 of "import/" + SHA-256 of the normalized values and the origin), not from the file
 * name or row number. Importing the same file twice, or a later export that repeats the same
 * people, yields the same ids and the pipeline drops the duplicates; a row whose values
 * changed is a new request. (A row number would make the id depend on sorting and on rows
 * added above it; a file name on what the operator called the file.)
 *
 * Throughput: a million rows should take seconds, not minutes. The file is read in 1 MiB
 * blocks through the streaming parser, whose buffers and the Avro value and output buffer are
 * reused row after row, so the steady state allocates nothing but librdkafka's copy of each
 * message. Batching comes from the producer: linger.ms 20 and lz4 by default (overridable
 * like any kafka.* key); when librdkafka's queue is full the importer serves delivery reports
 * and retries (vk_sender). Progress goes to stderr every 100,000 rows; at the end, after every
 * delivery report is in, `rows=N sent=N refused=N` (plus ` failed=N` when deliveries failed)
 * goes to stdout. Exit status: 0 all sent; 1 a delivery failed; 2 usage, configuration or
 * header error; 3 some rows were refused, all others delivered.
 */
#include "vk_codec.h"
#include "vk_config.h"
#include "vk_csv.h"
#include "vk_import.h"
#include "vk_kafka.h"
#include "vk_log.h"
#include "vk_signals.h"
#include "vk_time.h"
#include "vk_tool.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define READ_BLOCK     (1u << 20)
#define PROGRESS_EVERY 100000

static const vk_config_doc keys[] = {
    {"kafka.bootstrap.servers", NULL, "Kafka bootstrap servers (or VAKSIN_BOOTSTRAP)"},
    {"kafka.linger.ms", "20", "librdkafka batching delay (any kafka.* key may be set)"},
    {"kafka.compression.type", "lz4", "librdkafka compression of the batches"},
    {"csv.separator", "auto", "auto (from the header line), \",\", \";\" or \"tab\""},
    {"flush.timeout.ms", "600000", "how long to wait for the last delivery reports"},
    VK_REGISTRY_KEYS,
    {"log.level", "info", "debug, info, warn or error"},
    {NULL, NULL, NULL},
};

static const vk_program program = {
    "vaksin-import", "SISDMK / Excel CSV exports → ticket requests",
    "[--origin SISDMK|EXCEL|DUKCAPIL|OTHER] [--source NAME] FILE.csv\n\n"
    "Reads a CSV with a header row (NIK, NAMA, TGL_LAHIR required; JENIS_KELAMIN, NO_HP,\n"
    "KATEGORI, KODE_FASKES, TGL_VAKSINASI optional; English names accepted) and produces one\n"
    "TicketRequested per row to vaksin.ticket.requests, keyed by NIK. --origin defaults to\n"
    "SISDMK, --source to <origin>-import (e.g. sisdmk-import). Event ids derive from the row\n"
    "content, so re-importing a file sends the same ids. Prints rows=N sent=N refused=N.\n"
    "Exit status: 0 all sent, 1 a delivery failed, 2 usage or header error, 3 some rows\n"
    "refused (the others delivered).",
    keys};

typedef struct importer {
    const char *path;
    vk_import_meta meta;
    vk_encoder *enc;
    vk_sender *sender;
    bool have_header, header_failed, stopped;
    vk_import_header header;
    vk_import_row row;
    vk_buf out;
    unsigned long rows, refused;
    int64_t started_ms;
} importer;

static void progress(const importer *im) {
    vk_sender_stats st;
    vk_sender_stats_get(im->sender, &st);
    double secs = (double)(vk_mono_ms() - im->started_ms) / 1000.0;
    vk_info("msg=progress rows=%lu sent=%llu refused=%lu failed=%llu rows_per_s=%.0f", im->rows,
            (unsigned long long)st.delivered, im->refused, (unsigned long long)st.failed,
            secs > 0 ? (double)im->rows / secs : 0.0);
}

static int on_header(importer *im, const vk_csv_row *row) {
    char err[512];
    im->have_header = true;
    if (vk_import_header_parse(row, &im->header, err, sizeof err)) {
        vk_error("msg=\"cannot import\" file=%s line=%lu error=\"%s\"", im->path, row->line, err);
        im->header_failed = true;
        return 1;
    }
    for (size_t i = 0; i < row->n; i++)
        if (vk_import_column_of(row->fields[i].data) < 0)
            vk_warn("msg=\"column ignored\" column=%zu name=\"%.60s\"", i + 1, row->fields[i].data);
    return 0;
}

/* One data row → one record produced, or a refusal. */
static int on_row(const vk_csv_row *row, void *ctx) {
    importer *im = ctx;
    if (!im->have_header)
        return on_header(im, row);
    char err[512];
    vk_import_status st = vk_import_row_parse(&im->header, row, &im->row, err, sizeof err);
    if (st == VK_IMPORT_BLANK)
        return 0;
    im->rows++;
    if (st == VK_IMPORT_OK) {
        char id[37];
        vk_import_event_id(&im->row, im->meta.origin, id);
        avro_value_t *v = vk_encoder_value(im->enc);
        vk_buf_reset(&im->out);
        if (vk_import_fill(&im->row, id, &im->meta, v, err, sizeof err) ||
            vk_encoder_write(im->enc, v, &im->out, err, sizeof err))
            st = VK_IMPORT_REFUSED;
    }
    if (st == VK_IMPORT_REFUSED) {
        vk_tool_refused(row->line, err);
        im->refused++;
    } else {
        const char *nik = im->row.text[VK_IMPORT_NIK];
        if (vk_sender_send(im->sender, VK_TOPIC_TICKET_REQUESTS, nik, strlen(nik), im->out.data,
                           im->out.len, row->line) &&
            vk_sender_fatal(im->sender)) {
            im->stopped = true;
            return 1;
        }
    }
    if (im->rows % PROGRESS_EVERY == 0)
        progress(im);
    if (vk_stop) {
        vk_warn("msg=\"interrupted: not reading further\" line=%lu", row->line);
        im->stopped = true;
        return 1;
    }
    return 0;
}

static char separator(const vk_config *cfg, const char *block, size_t len) {
    const char *s = vk_config_get(cfg, "csv.separator", "auto");
    if (strcmp(s, "tab") == 0 || strcmp(s, "\\t") == 0)
        return '\t';
    if (strlen(s) == 1)
        return s[0];
    return vk_csv_detect_separator(block, len);
}

/* Streams the file through the parser. Returns 0, or -1 on a read error or a stop. */
static int import_file(importer *im, const vk_config *cfg, FILE *in) {
    char *block = malloc(READ_BLOCK);
    if (!block)
        return -1;
    vk_csv *csv = NULL;
    int rc = 0;
    size_t n;
    while ((n = fread(block, 1, READ_BLOCK, in)) > 0) {
        if (!csv && !(csv = vk_csv_new(separator(cfg, block, n)))) {
            rc = -1;
            break;
        }
        if ((rc = vk_csv_feed(csv, block, n, on_row, im)) != 0)
            break;
    }
    if (rc == 0 && ferror(in)) {
        vk_error("msg=\"read failed\" file=%s error=\"%s\"", im->path, strerror(errno));
        rc = -1;
    }
    if (rc == 0 && csv)
        rc = vk_csv_finish(csv, on_row, im);
    if (rc < 0 && !im->stopped && !im->header_failed && !ferror(in))
        vk_error("msg=\"out of memory while parsing\" file=%s", im->path);
    vk_csv_destroy(csv);
    free(block);
    return rc ? -1 : 0;
}

/* Upper-cases @p origin into @p out and checks it is a symbol of the Origin enum. */
static bool origin_valid(vk_codec *codec, const char *origin, char *out, size_t outlen) {
    size_t i = 0;
    for (; origin[i] && i + 1 < outlen; i++)
        out[i] = (char)toupper((unsigned char)origin[i]);
    out[i] = '\0';
    avro_schema_t rec = vk_codec_schema(codec, VK_SCHEMA_TICKET_REQUESTED);
    avro_schema_t e = rec ? avro_schema_record_field_get(rec, "origin") : NULL;
    while (e && is_avro_link(e))
        e = avro_schema_link_target(e);
    return e && is_avro_enum(e) && avro_schema_enum_get_by_name(e, out) >= 0;
}

int main(int argc, char **argv) {
    const char *origin_arg = "SISDMK", *source_arg = NULL;
    const vk_tool_opt opts[] = {{"--origin", &origin_arg}, {"--source", &source_arg}};
    argc = vk_tool_take_options(argc, argv, opts, 2, program.name);
    if (argc < 0)
        return 2;
    vk_config *cfg = vk_config_new();
    int first, rc = vk_cli_parse(argc, argv, &program, cfg, &first);
    if (rc) {
        vk_config_destroy(cfg);
        return rc > 0 ? 0 : 2;
    }
    if (argc - first != 1) {
        fprintf(stderr, "%s: expected one CSV file (see --help)\n", program.name);
        vk_config_destroy(cfg);
        return 2;
    }

    importer im;
    memset(&im, 0, sizeof im);
    im.path = argv[first];
    char err[512] = "", origin[32], source[64];
    static const char *const writes[] = {VK_TOPIC_TICKET_REQUESTS, NULL};
    vk_codec *codec = vk_tool_codec_new(cfg, writes);
    FILE *in = NULL;
    rc = 2;
    if (!codec)
        goto out;
    if (!origin_valid(codec, origin_arg, origin, sizeof origin)) {
        fprintf(stderr, "%s: --origin must be SISDMK, EXCEL, DUKCAPIL or OTHER, not %s\n",
                program.name, origin_arg);
        goto out;
    }
    if (!source_arg) {
        size_t i = 0;
        for (; origin[i] && i + 1 < sizeof source; i++)
            source[i] = (char)tolower((unsigned char)origin[i]);
        snprintf(source + i, sizeof source - i, "-import");
        source_arg = source;
    }
    im.meta.origin = origin;
    im.meta.source = source_arg;
    im.meta.occurred_at = vk_now_ms();
    if (!(in = fopen(im.path, "rb"))) {
        fprintf(stderr, "%s: cannot open %s: %s\n", program.name, im.path, strerror(errno));
        goto out;
    }
    if (!(im.enc = vk_encoder_new(codec, VK_SCHEMA_TICKET_REQUESTED, err, sizeof err))) {
        vk_error("msg=\"cannot set up the Avro encoder\" error=\"%s\"", err);
        goto out;
    }
    if (!(im.sender = vk_sender_new(cfg)))
        goto out;

    vk_install_signals();
    im.started_ms = vk_mono_ms();
    vk_info("msg=\"importing\" file=%s origin=%s source=%s", im.path, origin, source_arg);
    int import_rc = import_file(&im, cfg, in);
    vk_sender_flush(im.sender, vk_config_get_int(cfg, "flush.timeout.ms", 600000));
    if (im.header_failed || !im.have_header) {
        if (!im.have_header)
            vk_error("msg=\"cannot import: the file is empty\" file=%s", im.path);
        goto out;
    }
    progress(&im);
    rc = vk_sender_report(im.sender, "rows", im.rows, im.refused, import_rc != 0);
out:
    vk_sender_destroy(im.sender);
    vk_import_row_free(&im.row);
    vk_buf_free(&im.out);
    if (im.enc)
        vk_encoder_destroy(im.enc);
    if (codec)
        vk_tool_codec_destroy(codec);
    if (in)
        fclose(in);
    vk_config_destroy(cfg);
    return rc;
}
