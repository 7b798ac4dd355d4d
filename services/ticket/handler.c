/*
 * handler.c — vaksin-ticket's handler.
 *
 * Validation order follows the record, and the first problem found is the reason given: a desk
 * or import operator fixes one field at a time, and one precise reason beats a list of guesses.
 * Values that are valid but suspicious (a NIK whose encoded birth date or sex disagrees with the
 * record) are not refused: they become data-quality flags on the target, which is what the 1.5.0
 * verification feature exists to fix.
 */
#include "handler.h"

#include "vk_handler.h"
#include "vk_rules.h"
#include "vk_ticket.h"
#include "vk_time.h"
#include "vk_value.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct ticket_ctx {
    vk_stage_codec io;
    uint8_t secret[256];
    size_t secret_len;
    int32_t max_date; /* today + 2 years: latest plausible scheduled date */
    int32_t today;
};

ticket_ctx *ticket_ctx_new(vk_codec *codec, const uint8_t *secret, size_t secret_len,
                           int64_t now_ms, char *err, size_t errlen) {
    if (secret_len == 0 || secret_len > sizeof(((ticket_ctx *)0)->secret)) {
        snprintf(err, errlen, "ticket.secret must be 1 to 256 bytes");
        return NULL;
    }
    ticket_ctx *c = calloc(1, sizeof *c);
    if (!c) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    if (vk_stage_codec_open(&c->io, codec, VK_SCHEMA_TICKET_REQUESTED, err, errlen)) {
        ticket_ctx_destroy(c);
        return NULL;
    }
    memcpy(c->secret, secret, secret_len);
    c->secret_len = secret_len;
    c->today = (int32_t)(now_ms / 86400000);
    c->max_date = c->today + 2 * 366;
    return c;
}

void ticket_ctx_destroy(ticket_ctx *c) {
    if (!c)
        return;
    vk_stage_codec_close(&c->io);
    explicit_bzero(c->secret, sizeof c->secret); /* a memset before free may be elided */
    free(c);
}

/* A normalized target; strings point into the decoded value or into the local buffers. */
typedef struct target {
    vk_envelope env;
    const char *nik, *category;
    char name[256], phone[32], facility[VK_FACILITY_MAX + 1];
    bool has_phone, has_facility, has_sched;
    int32_t birth_date, scheduled_date;
    int sex; /* enum index: 0 = L, 1 = P, -1 = unknown */
    int origin;
    const char *flags[4];
    int n_flags;
} target;

static vk_handled check_identity(ticket_ctx *c, const avro_value_t *v, target *t, vk_dead *dead) {
    char err[256];
    const char *name;
    vk_nik_info nik;
    if (vk_value_get_str(v, "nik", &t->nik) || vk_value_get_str(v, "name", &name) ||
        vk_value_get_int(v, "birth_date", &t->birth_date) ||
        vk_value_get_opt_enum(v, "sex", &t->sex))
        return vk_refuse(dead, "DECODE", "identity fields missing");
    if (vk_nik_parse(t->nik, &nik, err, sizeof err))
        return vk_refuse(dead, "INVALID_NIK", "nik: %s", err);
    if (vk_name_normalize(name, t->name, sizeof t->name, err, sizeof err))
        return vk_refuse(dead, "INVALID_NAME", "name: %s", err);
    int32_t min_birth;
    vk_date_to_days(1900, 1, 1, &min_birth);
    if (t->birth_date < min_birth || t->birth_date > c->today) {
        int y, m, d;
        char date[32];
        vk_date_from_days(t->birth_date, &y, &m, &d);
        snprintf(date, sizeof date, "%04d-%02d-%02d", y, m, d);
        return vk_refuse(dead, "INVALID_BIRTH_DATE",
                         "birth_date: %s is outside 1900-01-01 .. today", date);
    }
    if (!vk_nik_birth_date_matches(&nik, t->birth_date))
        t->flags[t->n_flags++] = "NIK_BIRTH_DATE_MISMATCH";
    if (t->sex >= 0 && (t->sex == 0 ? VK_SEX_L : VK_SEX_P) != nik.sex)
        t->flags[t->n_flags++] = "NIK_SEX_MISMATCH";
    return VK_OK;
}

static vk_handled check_contact(ticket_ctx *c, const avro_value_t *v, target *t, vk_dead *dead) {
    char err[256];
    const char *phone, *facility;
    if (vk_value_get_opt_str(v, "phone", &phone) ||
        vk_value_get_opt_str(v, "category", &t->category) ||
        vk_value_get_opt_str(v, "facility_code", &facility) ||
        vk_value_get_opt_int(v, "scheduled_date", &t->has_sched, &t->scheduled_date) ||
        vk_value_get_enum(v, "origin", &t->origin))
        return vk_refuse(dead, "DECODE", "contact fields missing");
    if (phone && *phone) {
        if (vk_phone_normalize(phone, t->phone, sizeof t->phone, err, sizeof err))
            return vk_refuse(dead, "INVALID_PHONE", "phone: %s", err);
        t->has_phone = true;
    }
    if (facility && *facility) {
        if (vk_check_facility(facility, t->facility, dead) != VK_OK)
            return VK_DEAD;
        t->has_facility = true;
    }
    if (t->category && !*t->category)
        t->category = NULL;
    if (vk_check_text("category", t->category, TICKET_MAX_CATEGORY, "INVALID_CATEGORY", dead) !=
        VK_OK)
        return VK_DEAD;
    if (t->has_sched &&
        (t->scheduled_date < 18628 /* 2021-01-01 */ || t->scheduled_date > c->max_date))
        return vk_refuse(dead, "INVALID_SCHEDULED_DATE",
                         "scheduled_date: outside 2021-01-01 .. two years from now");
    return VK_OK;
}

static int write_issued(ticket_ctx *c, const target *t, vk_outputs *out, char *err, size_t errlen) {
    char ticket[VK_TICKET_LEN + 1];
    vk_ticket_from_nik(c->secret, c->secret_len, t->nik, ticket);
    avro_value_t p, flags, item;
    avro_value_t *e = vk_target_event_begin(c->io.enc, TICKET_SERVICE, &t->env, 0, t->nik,
                                            VK_TARGET_TICKET_ISSUED, &p, err, errlen);
    if (!e)
        return -1;
    int rc = vk_value_set_str(&p, "ticket", ticket) | vk_value_set_str(&p, "name", t->name) |
             vk_value_set_int(&p, "birth_date", t->birth_date) |
             vk_value_set_opt_enum(&p, "sex", t->sex) |
             vk_value_set_opt_str(&p, "phone", t->has_phone ? t->phone : NULL) |
             vk_value_set_opt_str(&p, "category", t->category) |
             vk_value_set_opt_str(&p, "facility_code", t->has_facility ? t->facility : NULL) |
             vk_value_set_opt_int(&p, "scheduled_date", t->has_sched, t->scheduled_date) |
             vk_value_set_enum(&p, "origin", t->origin) | vk_value_get_field(&p, "flags", &flags);
    for (int i = 0; i < t->n_flags && !rc; i++)
        rc = avro_value_append(&flags, &item, NULL) || avro_value_set_string(&item, t->flags[i]);
    if (rc) {
        snprintf(err, errlen, "cannot fill TicketIssued: %s", avro_strerror());
        return -1;
    }
    return vk_target_event_add(c->io.enc, e, t->nik, out, err, errlen);
}

vk_handled ticket_handle(void *ctx, const rd_kafka_message_t *in, vk_outputs *out, vk_dead *dead) {
    ticket_ctx *c = ctx;
    avro_value_t *v;
    target t;
    memset(&t, 0, sizeof t);
    vk_handled h = vk_request_decode(c->io.dec, "TicketRequested", in, &v, dead);
    if (h == VK_OK)
        h = vk_envelope_read(v, in, &t.env, dead);
    if (h == VK_OK)
        h = check_identity(c, v, &t, dead);
    if (h == VK_OK)
        h = check_contact(c, v, &t, dead);
    if (h != VK_OK)
        return h;
    char err[400];
    if (write_issued(c, &t, out, err, sizeof err))
        return vk_refuse(dead, "ENCODE", "cannot encode TicketIssued: %s", err);
    return VK_OK;
}
