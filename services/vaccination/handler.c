/*
 * handler.c — vaksin-vaccination's handler (desk 4).
 *
 * Checks, in record order: NIK, dose, facility, vaccine, batch, time given. The vaccine must be
 * a code of the catalog (configuration, docs/design.md §4); codes are compared after trimming and
 * upper-casing, so "coronavac " from a hand-typed form is CORONAVAC, and the event carries the
 * catalog's spelling. A refusal names only the code sent: the catalog is the operators' to
 * publish, not a dead letter's. Batch (lot) numbers are printed on the vial as upper-case
 * letters, digits, '/' and '-'; they are trimmed and upper-cased the same way.
 *
 * vaccinated_at must fall between the programme's first day (2021-01-13, counted from 00:00
 * WIB, the desks' time zone) and one day after the request's occurred_at: a desk records a dose
 * when, or shortly after, it is given, and a time far ahead of the recording is a typo (a wrong
 * year, a date typed day-first) that would otherwise start the interval to the next dose from a
 * date that never happened.
 *
 * Whether the dose fits the person's state (a PROCEED screening, the same vaccine as dose 1 of
 * the series) is the projector's decision, in log order (docs/design.md §4).
 */
#include "handler.h"

#include "vk_handler.h"
#include "vk_time.h"
#include "vk_value.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct vaccination_ctx {
    vk_stage_codec io;
    const vk_catalog *catalog;
};

vaccination_ctx *vaccination_ctx_new(vk_codec *codec, const vk_catalog *catalog, char *err,
                                     size_t errlen) {
    if (!catalog) {
        snprintf(err, errlen, "no vaccine catalog");
        return NULL;
    }
    vaccination_ctx *c = calloc(1, sizeof *c);
    if (!c) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    c->catalog = catalog;
    if (vk_stage_codec_open(&c->io, codec, VK_SCHEMA_VACCINATION_SUBMITTED, err, errlen)) {
        vaccination_ctx_destroy(c);
        return NULL;
    }
    return c;
}

void vaccination_ctx_destroy(vaccination_ctx *c) {
    if (!c)
        return;
    vk_stage_codec_close(&c->io);
    free(c);
}

int64_t vaccination_programme_start_ms(void) {
    int32_t day;
    vk_date_to_days(2021, 1, 13, &day);
    return (int64_t)day * 86400000 - 7 * 3600000; /* 00:00 WIB is 17:00 UTC the day before */
}

/* A vaccination after its checks; strings point into the decoded value or the buffers. */
typedef struct vaccination {
    vk_envelope env;
    vk_desk_visit visit;
    const vk_vaccine *vaccine;
    char batch[VACCINATION_MAX_BATCH + 1];
    int64_t vaccinated_at;
} vaccination;

static bool is_space(char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Trims ASCII white space and upper-cases ASCII letters into @p out. Returns the length, or -1
 * when it does not fit. */
static int trim_upper(const char *in, char *out, size_t outlen) {
    while (is_space(*in))
        in++;
    size_t n = strlen(in);
    while (n > 0 && is_space(in[n - 1]))
        n--;
    if (n + 1 > outlen)
        return -1;
    for (size_t i = 0; i < n; i++)
        out[i] = (in[i] >= 'a' && in[i] <= 'z') ? (char)(in[i] - 'a' + 'A') : in[i];
    out[n] = '\0';
    return (int)n;
}

static vk_handled check_vaccine(const vaccination_ctx *c, const char *vaccine, vaccination *x,
                                vk_dead *dead) {
    char code[sizeof x->vaccine->code];
    if (trim_upper(vaccine, code, sizeof code) < 0 ||
        !(x->vaccine = vk_catalog_find(c->catalog, code)))
        return vk_refuse(dead, "UNKNOWN_VACCINE",
                         "vaccine: \"%.40s\" is not in the vaccine catalog", vaccine);
    return VK_OK;
}

static vk_handled check_batch(const char *batch, vaccination *x, vk_dead *dead) {
    char buf[VACCINATION_MAX_BATCH + 1];
    int n = trim_upper(batch, buf, sizeof buf);
    if (n < 0)
        return vk_refuse(dead, "INVALID_BATCH", "batch: \"%.40s\" is longer than %d characters",
                         batch, VACCINATION_MAX_BATCH);
    if (n < VACCINATION_MIN_BATCH)
        return vk_refuse(dead, "INVALID_BATCH",
                         "batch: \"%s\" has %d characters, expected %d to %d", buf, n,
                         VACCINATION_MIN_BATCH, VACCINATION_MAX_BATCH);
    for (int i = 0; i < n; i++) {
        const char ch = buf[i];
        if ((ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '/' || ch == '-')
            continue;
        if ((unsigned char)ch >= 0x20 && (unsigned char)ch < 0x7f)
            return vk_refuse(dead, "INVALID_BATCH",
                             "batch: \"%s\" contains '%c' at position %d; a batch number has "
                             "letters, digits, '/' and '-' only",
                             buf, ch, i + 1);
        return vk_refuse(dead, "INVALID_BATCH",
                         "batch contains byte 0x%02X at position %d; a batch number has "
                         "letters, digits, '/' and '-' only",
                         (unsigned char)ch, i + 1);
    }
    memcpy(x->batch, buf, (size_t)n + 1);
    return VK_OK;
}

static vk_handled check_time(vaccination *x, vk_dead *dead) {
    char at[32], made[32];
    if (x->vaccinated_at < vaccination_programme_start_ms())
        return vk_refuse(dead, "INVALID_VACCINATED_AT",
                         "vaccinated_at: %s is before the programme started (2021-01-13 WIB)",
                         vk_time_format(x->vaccinated_at, VK_TIME_S, at, sizeof at));
    if (x->vaccinated_at > x->env.occurred_at + VACCINATION_MAX_AHEAD_MS)
        return vk_refuse(dead, "INVALID_VACCINATED_AT",
                         "vaccinated_at: %s is more than a day after the request was made (%s)",
                         vk_time_format(x->vaccinated_at, VK_TIME_S, at, sizeof at),
                         vk_time_format(x->env.occurred_at, VK_TIME_S, made, sizeof made));
    return VK_OK;
}

static vk_handled check_dose_given(const vaccination_ctx *c, const avro_value_t *v, vaccination *x,
                                   vk_dead *dead) {
    const char *vaccine, *batch;
    if (vk_value_get_str(v, "vaccine", &vaccine) || vk_value_get_str(v, "batch", &batch) ||
        vk_value_get_long(v, "vaccinated_at", &x->vaccinated_at))
        return vk_refuse(dead, "DECODE", "vaccine, batch or vaccinated_at field missing");
    vk_handled h = check_vaccine(c, vaccine, x, dead);
    if (h == VK_OK)
        h = check_batch(batch, x, dead);
    if (h == VK_OK)
        h = check_time(x, dead);
    return h;
}

static int write_vaccinated(vaccination_ctx *c, const vaccination *x, vk_outputs *out, char *err,
                            size_t errlen) {
    avro_value_t p;
    avro_value_t *e = vk_target_event_begin(c->io.enc, VACCINATION_SERVICE, &x->env, 0,
                                            x->visit.nik, VK_TARGET_VACCINATED, &p, err, errlen);
    if (!e)
        return -1;
    if (vk_value_set_int(&p, "dose", x->visit.dose) |
        vk_value_set_str(&p, "facility_code", x->visit.facility) |
        vk_value_set_str(&p, "vaccine", x->vaccine->code) |
        vk_value_set_str(&p, "batch", x->batch) |
        vk_value_set_long(&p, "vaccinated_at", x->vaccinated_at)) {
        snprintf(err, errlen, "cannot fill Vaccinated: %s", avro_strerror());
        return -1;
    }
    return vk_target_event_add(c->io.enc, e, x->visit.nik, out, err, errlen);
}

vk_handled vaccination_handle(void *ctx, const rd_kafka_message_t *in, vk_outputs *out,
                              vk_dead *dead) {
    vaccination_ctx *c = ctx;
    avro_value_t *v;
    vaccination x;
    memset(&x, 0, sizeof x);
    vk_handled h = vk_request_decode(c->io.dec, "VaccinationSubmitted", in, &v, dead);
    if (h == VK_OK)
        h = vk_envelope_read(v, in, &x.env, dead);
    if (h == VK_OK)
        h = vk_desk_visit_read(v, true, &x.visit, dead);
    if (h == VK_OK)
        h = check_dose_given(c, v, &x, dead);
    if (h != VK_OK)
        return h;
    char err[400];
    if (write_vaccinated(c, &x, out, err, sizeof err))
        return vk_refuse(dead, "ENCODE", "cannot encode Vaccinated: %s", err);
    return VK_OK;
}
