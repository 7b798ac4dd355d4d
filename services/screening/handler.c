/*
 * handler.c — vaksin-screening's handler (desk 2).
 *
 * Two kinds of check, in this order:
 * - plausibility, field by field in record order: a figure outside what a living person shows
 *   (temperature 30-45 °C, systolic 50-300, diastolic 30-200 mmHg, systolic above diastolic)
 *   is a typo, whatever the result. Blood pressure is both figures or neither: one alone is
 *   half a measurement and cannot be checked against the limits.
 * - consistency with the result: a PROCEED at or above a limit of the catalog (default 37.5 °C,
 *   180/110 mmHg, configurable) contradicts itself — the form says the dose may go on while the
 *   figures say postpone — and is refused naming the figure and the limit, so the screener can
 *   correct one or the other. A PROCEED without temperature or blood pressure is accepted: the
 *   form makes them optional (a screener may not have a working thermometer or cuff), and what
 *   was not measured cannot contradict the result. POSTPONE and NOT_GIVEN need no figures; they
 *   may be given for reasons the figures do not show.
 *
 * Whether the screening fits the person's state (an open registration for that dose) is the
 * projector's decision, in log order (docs/design.md §4). Figures are compared as the floats the
 * desk sent: the limit is rounded to a float first, so a typed 37.6 meets a configured 37.6.
 */
#include "handler.h"

#include "vk_dose.h"
#include "vk_handler.h"
#include "vk_value.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct screening_ctx {
    vk_stage_codec io;
    vk_screening_limits limits;
};

screening_ctx *screening_ctx_new(vk_codec *codec, const vk_screening_limits *limits, char *err,
                                 size_t errlen) {
    screening_ctx *c = calloc(1, sizeof *c);
    if (!c) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    c->limits = *limits;
    if (vk_stage_codec_open(&c->io, codec, VK_SCHEMA_SCREENING_SUBMITTED, err, errlen)) {
        screening_ctx_destroy(c);
        return NULL;
    }
    return c;
}

void screening_ctx_destroy(screening_ctx *c) {
    if (!c)
        return;
    vk_stage_codec_close(&c->io);
    free(c);
}

typedef struct answer {
    const char *code;
    int yes;
} answer;

/* A screening after its checks; strings point into the decoded value or the buffers. */
typedef struct screening {
    vk_envelope env;
    vk_desk_visit visit;
    const char *note;
    bool has_temperature, has_systolic, has_diastolic;
    float temperature_c;
    int32_t systolic, diastolic;
    answer answers[SCREENING_MAX_ANSWERS];
    size_t n_answers;
    int result; /* ScreeningResult symbol, in vk_screening_result order */
} screening;

static vk_handled check_figures(const avro_value_t *v, screening *s, vk_dead *dead) {
    if (vk_value_get_opt_float(v, "temperature_c", &s->has_temperature, &s->temperature_c) ||
        vk_value_get_opt_int(v, "systolic", &s->has_systolic, &s->systolic) ||
        vk_value_get_opt_int(v, "diastolic", &s->has_diastolic, &s->diastolic))
        return vk_refuse(dead, "DECODE", "temperature_c, systolic or diastolic field missing");
    /* Written so that NaN fails too. */
    if (s->has_temperature && !(s->temperature_c >= SCREENING_MIN_TEMPERATURE_C &&
                                s->temperature_c <= SCREENING_MAX_TEMPERATURE_C))
        return vk_refuse(dead, "INVALID_TEMPERATURE",
                         "temperature_c: %g °C is outside %g to %g °C: mistyped?",
                         (double)s->temperature_c, (double)SCREENING_MIN_TEMPERATURE_C,
                         (double)SCREENING_MAX_TEMPERATURE_C);
    if (s->has_systolic &&
        (s->systolic < SCREENING_MIN_SYSTOLIC || s->systolic > SCREENING_MAX_SYSTOLIC))
        return vk_refuse(dead, "INVALID_BLOOD_PRESSURE",
                         "systolic: %d mmHg is outside %d to %d mmHg: mistyped?", (int)s->systolic,
                         SCREENING_MIN_SYSTOLIC, SCREENING_MAX_SYSTOLIC);
    if (s->has_diastolic &&
        (s->diastolic < SCREENING_MIN_DIASTOLIC || s->diastolic > SCREENING_MAX_DIASTOLIC))
        return vk_refuse(dead, "INVALID_BLOOD_PRESSURE",
                         "diastolic: %d mmHg is outside %d to %d mmHg: mistyped?",
                         (int)s->diastolic, SCREENING_MIN_DIASTOLIC, SCREENING_MAX_DIASTOLIC);
    if (s->has_systolic != s->has_diastolic)
        return vk_refuse(dead, "INVALID_BLOOD_PRESSURE",
                         "%s %d without %s: send both blood pressure figures or neither",
                         s->has_systolic ? "systolic" : "diastolic",
                         (int)(s->has_systolic ? s->systolic : s->diastolic),
                         s->has_systolic ? "diastolic" : "systolic");
    if (s->has_systolic && s->systolic <= s->diastolic)
        return vk_refuse(dead, "INVALID_BLOOD_PRESSURE",
                         "blood pressure %d/%d: systolic must be above diastolic (swapped?)",
                         (int)s->systolic, (int)s->diastolic);
    return VK_OK;
}

/* A question code: [A-Z0-9_]{1,SCREENING_MAX_CODE}. */
static vk_handled check_code(const char *code, size_t i, vk_dead *dead) {
    size_t n = 0;
    for (; code[n]; n++) {
        const char ch = code[n];
        if (!((ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '_')) {
            if ((unsigned char)ch >= 0x20 && (unsigned char)ch < 0x7f)
                return vk_refuse(dead, "INVALID_ANSWERS",
                                 "answers[%zu].code: \"%.40s\" contains '%c' at position %zu; a "
                                 "question code has A-Z, 0-9 and '_' only",
                                 i, code, ch, n + 1);
            return vk_refuse(dead, "INVALID_ANSWERS",
                             "answers[%zu].code contains byte 0x%02X at position %zu; a question "
                             "code has A-Z, 0-9 and '_' only",
                             i, (unsigned char)ch, n + 1);
        }
    }
    if (n == 0)
        return vk_refuse(dead, "INVALID_ANSWERS", "answers[%zu].code is empty", i);
    if (n > SCREENING_MAX_CODE)
        return vk_refuse(dead, "INVALID_ANSWERS",
                         "answers[%zu].code: \"%.40s\" has %zu characters, at most %d", i, code, n,
                         SCREENING_MAX_CODE);
    return VK_OK;
}

static vk_handled check_answers(const avro_value_t *v, screening *s, vk_dead *dead) {
    avro_value_t arr, item, yes;
    size_t n;
    if (vk_value_get_field(v, "answers", &arr) || avro_value_get_size(&arr, &n))
        return vk_refuse(dead, "DECODE", "answers field missing");
    if (n > SCREENING_MAX_ANSWERS)
        return vk_refuse(dead, "INVALID_ANSWERS", "answers: %zu answers, at most %d", n,
                         SCREENING_MAX_ANSWERS);
    for (size_t i = 0; i < n; i++) {
        answer *a = &s->answers[i];
        if (avro_value_get_by_index(&arr, i, &item, NULL) ||
            vk_value_get_str(&item, "code", &a->code) || vk_value_get_field(&item, "yes", &yes) ||
            avro_value_get_boolean(&yes, &a->yes))
            return vk_refuse(dead, "DECODE", "answers[%zu]: code or yes missing", i);
        if (check_code(a->code, i, dead) != VK_OK)
            return VK_DEAD;
        for (size_t j = 0; j < i; j++)
            if (strcmp(s->answers[j].code, a->code) == 0)
                return vk_refuse(dead, "INVALID_ANSWERS",
                                 "answers[%zu].code: %s is answered twice (also answers[%zu])", i,
                                 a->code, j);
    }
    s->n_answers = n;
    return VK_OK;
}

static vk_handled check_outcome(const avro_value_t *v, screening *s, vk_dead *dead) {
    if (vk_value_get_enum(v, "result", &s->result) || vk_value_get_opt_str(v, "note", &s->note))
        return vk_refuse(dead, "DECODE", "result or note field missing");
    return vk_check_text("note", s->note, SCREENING_MAX_NOTE, "INVALID_NOTE", dead);
}

/* A PROCEED must not contradict the figures (docs/design.md §4). */
static vk_handled check_consistency(const screening_ctx *c, const screening *s, vk_dead *dead) {
    const vk_screening_limits *l = &c->limits;
    if (s->result != VK_PROCEED)
        return VK_OK;
    if (s->has_temperature && s->temperature_c >= (float)l->max_temperature_c)
        return vk_refuse(dead, "INCONSISTENT_SCREENING",
                         "PROCEED with temperature %g °C: at or above the %g °C limit, should be "
                         "POSTPONE",
                         (double)s->temperature_c, l->max_temperature_c);
    if (s->has_systolic && s->systolic >= l->max_systolic)
        return vk_refuse(dead, "INCONSISTENT_SCREENING",
                         "PROCEED with blood pressure %d/%d mmHg: systolic at or above the %d "
                         "limit, should be POSTPONE",
                         (int)s->systolic, (int)s->diastolic, l->max_systolic);
    if (s->has_diastolic && s->diastolic >= l->max_diastolic)
        return vk_refuse(dead, "INCONSISTENT_SCREENING",
                         "PROCEED with blood pressure %d/%d mmHg: diastolic at or above the %d "
                         "limit, should be POSTPONE",
                         (int)s->systolic, (int)s->diastolic, l->max_diastolic);
    return VK_OK;
}

static int write_screened(screening_ctx *c, const screening *s, vk_outputs *out, char *err,
                          size_t errlen) {
    avro_value_t p, answers, item, yes;
    avro_value_t *e = vk_target_event_begin(c->io.enc, SCREENING_SERVICE, &s->env, 0, s->visit.nik,
                                            VK_TARGET_SCREENED, &p, err, errlen);
    if (!e)
        return -1;
    int rc = vk_value_set_int(&p, "dose", s->visit.dose) |
             vk_value_set_str(&p, "facility_code", s->visit.facility) |
             vk_value_set_opt_float(&p, "temperature_c", s->has_temperature, s->temperature_c) |
             vk_value_set_opt_int(&p, "systolic", s->has_systolic, s->systolic) |
             vk_value_set_opt_int(&p, "diastolic", s->has_diastolic, s->diastolic) |
             vk_value_set_enum(&p, "result", s->result) |
             vk_value_set_opt_str(&p, "note", s->note) |
             vk_value_get_field(&p, "answers", &answers);
    for (size_t i = 0; i < s->n_answers && !rc; i++)
        rc = avro_value_append(&answers, &item, NULL) ||
             vk_value_set_str(&item, "code", s->answers[i].code) ||
             vk_value_get_field(&item, "yes", &yes) ||
             avro_value_set_boolean(&yes, s->answers[i].yes);
    if (rc) {
        snprintf(err, errlen, "cannot fill Screened: %s", avro_strerror());
        return -1;
    }
    return vk_target_event_add(c->io.enc, e, s->visit.nik, out, err, errlen);
}

vk_handled screening_handle(void *ctx, const rd_kafka_message_t *in, vk_outputs *out,
                            vk_dead *dead) {
    screening_ctx *c = ctx;
    avro_value_t *v;
    screening s;
    memset(&s, 0, sizeof s);
    vk_handled h = vk_request_decode(c->io.dec, "ScreeningSubmitted", in, &v, dead);
    if (h == VK_OK)
        h = vk_envelope_read(v, in, &s.env, dead);
    if (h == VK_OK)
        h = vk_desk_visit_read(v, true, &s.visit, dead);
    if (h == VK_OK)
        h = check_figures(v, &s, dead);
    if (h == VK_OK)
        h = check_answers(v, &s, dead);
    if (h == VK_OK)
        h = check_outcome(v, &s, dead);
    if (h == VK_OK)
        h = check_consistency(c, &s, dead);
    if (h != VK_OK)
        return h;
    char err[400];
    if (write_screened(c, &s, out, err, sizeof err))
        return vk_refuse(dead, "ENCODE", "cannot encode Screened: %s", err);
    return VK_OK;
}
