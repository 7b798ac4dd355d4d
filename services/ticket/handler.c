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

#include "vk_rules.h"
#include "vk_value.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct ticket_ctx {
    vk_decoder *dec;
    vk_encoder *enc;
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
    c->dec = vk_decoder_new(codec, VK_SCHEMA_TICKET_REQUESTED, err, errlen);
    c->enc = c->dec ? vk_encoder_new(codec, VK_SCHEMA_TARGET_EVENT, err, errlen) : NULL;
    if (!c->enc) {
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
    if (c->dec)
        vk_decoder_destroy(c->dec);
    if (c->enc)
        vk_encoder_destroy(c->enc);
    memset(c->secret, 0, sizeof c->secret);
    free(c);
}

static vk_handled refuse(vk_dead *dead, const char *code, const char *fmt, const char *detail) {
    snprintf(dead->code, sizeof dead->code, "%s", code);
    snprintf(dead->reason, sizeof dead->reason, fmt, detail);
    return VK_DEAD;
}

/* Facility codes: trimmed, upper-case, letters and digits, 1..20 chars (the reference table
 * names them; codes outside the Kemenkes pattern are allowed because the table covers them). */
static int facility_normalize(const char *in, char *out, size_t outlen) {
    while (isspace((unsigned char)*in))
        in++;
    size_t n = 0;
    for (; *in && !isspace((unsigned char)*in); in++) {
        if (!isalnum((unsigned char)*in) || n + 1 >= outlen || n >= 20)
            return -1;
        out[n++] = (char)toupper((unsigned char)*in);
    }
    while (isspace((unsigned char)*in))
        in++;
    out[n] = '\0';
    return (*in || n == 0) ? -1 : 0;
}

/* A normalized target; strings point into the decoded value or into the local buffers. */
typedef struct target {
    const char *event_id, *source, *actor, *nik, *category;
    int64_t occurred_at;
    char name[256], phone[32], facility[32];
    bool has_phone, has_facility, has_sched;
    int32_t birth_date, scheduled_date;
    int sex; /* enum index: 0 = L, 1 = P, -1 = unknown */
    int origin;
    const char *flags[4];
    int n_flags;
} target;

static vk_handled read_envelope(const avro_value_t *v, target *t, vk_dead *dead) {
    uint8_t uuid[16];
    if (vk_get_str(v, "event_id", &t->event_id) || vk_get_long(v, "occurred_at", &t->occurred_at) ||
        vk_get_str(v, "source", &t->source) || vk_get_opt_str(v, "actor", &t->actor))
        return refuse(dead, "DECODE", "envelope fields missing%s", "");
    if (vk_uuid_parse(t->event_id, uuid))
        return refuse(dead, "INVALID_EVENT_ID", "event_id: \"%.64s\" is not a UUID", t->event_id);
    return VK_OK;
}

static vk_handled check_identity(ticket_ctx *c, const avro_value_t *v, target *t, vk_dead *dead) {
    char err[256];
    const char *name;
    vk_nik_info nik;
    if (vk_get_str(v, "nik", &t->nik) || vk_get_str(v, "name", &name) ||
        vk_get_int(v, "birth_date", &t->birth_date) || vk_get_opt_enum(v, "sex", &t->sex))
        return refuse(dead, "DECODE", "identity fields missing%s", "");
    if (vk_nik_parse(t->nik, &nik, err, sizeof err))
        return refuse(dead, "INVALID_NIK", "nik: %s", err);
    if (vk_name_normalize(name, t->name, sizeof t->name, err, sizeof err))
        return refuse(dead, "INVALID_NAME", "name: %s", err);
    int32_t min_birth;
    vk_date_to_days(1900, 1, 1, &min_birth);
    if (t->birth_date < min_birth || t->birth_date > c->today) {
        int y, m, d;
        char date[32];
        vk_date_from_days(t->birth_date, &y, &m, &d);
        snprintf(date, sizeof date, "%04d-%02d-%02d", y, m, d);
        return refuse(dead, "INVALID_BIRTH_DATE",
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
    if (vk_get_opt_str(v, "phone", &phone) || vk_get_opt_str(v, "category", &t->category) ||
        vk_get_opt_str(v, "facility_code", &facility) ||
        vk_get_opt_int(v, "scheduled_date", &t->has_sched, &t->scheduled_date) ||
        vk_get_enum(v, "origin", &t->origin))
        return refuse(dead, "DECODE", "contact fields missing%s", "");
    if (phone && *phone) {
        if (vk_phone_normalize(phone, t->phone, sizeof t->phone, err, sizeof err))
            return refuse(dead, "INVALID_PHONE", "phone: %s", err);
        t->has_phone = true;
    }
    if (facility && *facility) {
        if (facility_normalize(facility, t->facility, sizeof t->facility))
            return refuse(dead, "INVALID_FACILITY",
                          "facility_code: \"%.40s\" is not a facility code (letters and digits, "
                          "at most 20)",
                          facility);
        t->has_facility = true;
    }
    if (t->category && !*t->category)
        t->category = NULL;
    if (t->has_sched && (t->scheduled_date < 18628 /* 2021-01-01 */ ||
                         t->scheduled_date > c->max_date))
        return refuse(dead, "INVALID_SCHEDULED_DATE",
                      "scheduled_date: outside 2021-01-01 .. two years from now%s", "");
    return VK_OK;
}

static int write_issued(ticket_ctx *c, const target *t, vk_outputs *out, char *err,
                        size_t errlen) {
    char id[37], ticket[VK_TICKET_LEN + 1];
    vk_derive_event_id(TICKET_SERVICE, t->event_id, 0, id);
    vk_ticket_from_nik(c->secret, c->secret_len, t->nik, ticket);

    avro_value_t *e = vk_encoder_value(c->enc);
    avro_value_t payload, p, flags, item;
    int rc = vk_set_str(e, "event_id", id) | vk_set_long(e, "occurred_at", t->occurred_at) |
             vk_set_str(e, "source", t->source) | vk_set_opt_str(e, "actor", t->actor) |
             vk_set_str(e, "nik", t->nik) | vk_set_str(e, "causation_id", t->event_id);
    rc |= vk_get_field(e, "payload", &payload) | avro_value_set_branch(&payload, 0, &p);
    if (rc) {
        snprintf(err, errlen, "cannot fill TargetEvent: %s", avro_strerror());
        return -1;
    }
    rc = vk_set_str(&p, "ticket", ticket) | vk_set_str(&p, "name", t->name) |
         vk_set_int(&p, "birth_date", t->birth_date) | vk_set_opt_enum(&p, "sex", t->sex) |
         vk_set_opt_str(&p, "phone", t->has_phone ? t->phone : NULL) |
         vk_set_opt_str(&p, "category", t->category) |
         vk_set_opt_str(&p, "facility_code", t->has_facility ? t->facility : NULL) |
         vk_set_opt_int(&p, "scheduled_date", t->has_sched, t->scheduled_date) |
         vk_set_enum(&p, "origin", t->origin) | vk_get_field(&p, "flags", &flags);
    for (int i = 0; i < t->n_flags && !rc; i++)
        rc |= avro_value_append(&flags, &item, NULL) | avro_value_set_string(&item, t->flags[i]);
    if (rc) {
        snprintf(err, errlen, "cannot fill TicketIssued: %s", avro_strerror());
        return -1;
    }
    vk_output *o = vk_outputs_add(out, VK_TOPIC_TARGET_EVENTS);
    if (!o || vk_buf_append_str(&o->key, t->nik)) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    return vk_encoder_write(c->enc, e, &o->value, err, errlen);
}

vk_handled ticket_handle(void *ctx, const rd_kafka_message_t *in, vk_outputs *out,
                         vk_dead *dead) {
    ticket_ctx *c = ctx;
    avro_value_t *v;
    char err[400]; /* leaves room for the prefix in vk_dead.reason */
    if (vk_decoder_decode(c->dec, in->payload, in->len, &v, err, sizeof err))
        return refuse(dead, "DECODE", "cannot decode TicketRequested: %s", err);
    target t;
    memset(&t, 0, sizeof t);
    vk_handled h = read_envelope(v, &t, dead);
    if (h == VK_OK)
        h = check_identity(c, v, &t, dead);
    if (h == VK_OK)
        h = check_contact(c, v, &t, dead);
    if (h != VK_OK)
        return h;
    if (write_issued(c, &t, out, err, sizeof err))
        return refuse(dead, "ENCODE", "cannot encode TicketIssued: %s", err);
    return VK_OK;
}
