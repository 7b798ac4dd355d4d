/*
 * handler.c — vaksin-verification's handler.
 *
 * A request is checked in record order and the first problem found is the dead letter's
 * reason, as in the other stage handlers: envelope, actor, NIK, requesting facility, then each
 * field of `changes` (normalized as vaksin-ticket normalizes a target: upper-case name, E.164
 * phone, facility code), at least one of them set, and an ADDITION setting name and birth date
 * (a new target needs both). Only then is the actor authorized, against the grants as they
 * stood when the broker appended the request (vk_grants.h) — not at its occurred_at, which the
 * client chooses: a verifier revoked at 06:00 cannot send a request dated 03:00 and be judged by
 * the grant it had then. The request topic must have message.timestamp.type=LogAppendTime for
 * that time to be the broker's (vaksin-topics creates it so); with producer timestamps the
 * service says so once and counts them. A request whose occurred_at is further than the
 * tolerance from that time is refused CLOCK_SKEW. A refusal by these rules is not malformed
 * input, so it is written to the person's log as VerificationRefused, where the projector
 * records it for the desk that asked.
 *
 * Dates are judged against the request's own date (occurred_at), not the clock: the rule is
 * vaksin-ticket's (birth date 1900-01-01 .. today, schedule 2021-01-01 .. two years on), and a
 * redelivered request must be decided the same, byte for byte, whenever it is read again.
 * Whether a CORRECTION's target exists, and whether it has been served at a desk, are for the
 * projector to decide in log order (vk_verify.h), not here.
 */
#include "handler.h"

#include "vk_handler.h"
#include "vk_log.h"
#include "vk_rules.h"
#include "vk_str.h"
#include "vk_ticket.h"
#include "vk_time.h"
#include "vk_uuid.h"
#include "vk_value.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KIND_ADDITION 1 /* VerificationKind {CORRECTION, ADDITION} */
#define ROLE_VERIFIER "VERIFIER"
#define MS_PER_DAY    86400000LL

struct verif_ctx {
    vk_stage_codec io;  /* VerificationRequested in, TargetEvent out */
    vk_encoder *lookup; /* VerificationLookup out */
    vk_decoder *access; /* AccessChanged in */
    vk_grants *grants;
    const vk_facility_map *facilities;
    uint8_t secret[256];
    size_t secret_len;
    verif_refresh_fn refresh;
    void *refresh_arg;
    int64_t clock_tolerance_ms;
    verif_stats stats;
    vk_metric *m_decisions, *m_producer_time, *m_access, *m_grants; /* verif_publish's */
};

verif_ctx *verif_ctx_new(vk_codec *codec, const uint8_t *secret, size_t secret_len,
                         const vk_facility_map *facilities, char *err, size_t errlen) {
    if (secret_len == 0 || secret_len > sizeof(((verif_ctx *)0)->secret)) {
        snprintf(err, errlen, "ticket.secret must be 1 to 256 bytes");
        return NULL;
    }
    verif_ctx *c = calloc(1, sizeof *c);
    if (!c) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    if (vk_stage_codec_open(&c->io, codec, VK_SCHEMA_VERIFICATION_REQUESTED, err, errlen) ||
        !(c->lookup = vk_encoder_new(codec, VK_SCHEMA_VERIFICATION_LOOKUP, err, errlen)) ||
        !(c->access = vk_decoder_new(codec, VK_SCHEMA_ACCESS_CHANGED, err, errlen))) {
        verif_ctx_destroy(c);
        return NULL;
    }
    if (!(c->grants = vk_grants_new())) {
        snprintf(err, errlen, "out of memory");
        verif_ctx_destroy(c);
        return NULL;
    }
    memcpy(c->secret, secret, secret_len);
    c->secret_len = secret_len;
    c->facilities = facilities;
    c->clock_tolerance_ms = VERIF_CLOCK_TOLERANCE_MS;
    return c;
}

void verif_ctx_destroy(verif_ctx *c) {
    if (!c)
        return;
    vk_stage_codec_close(&c->io);
    if (c->lookup)
        vk_encoder_destroy(c->lookup);
    if (c->access)
        vk_decoder_destroy(c->access);
    vk_grants_destroy(c->grants);
    explicit_bzero(c->secret, sizeof c->secret); /* a memset before free may be elided */
    free(c);
}

void verif_ctx_set_refresh(verif_ctx *c, verif_refresh_fn fn, void *arg) {
    c->refresh = fn;
    c->refresh_arg = arg;
}

void verif_ctx_set_clock_tolerance(verif_ctx *c, int64_t tolerance_ms) {
    c->clock_tolerance_ms = tolerance_ms >= 0 ? tolerance_ms : VERIF_CLOCK_TOLERANCE_MS;
}

const vk_grants *verif_ctx_grants(const verif_ctx *c) {
    return c->grants;
}
vk_grants *verif_ctx_grants_mut(verif_ctx *c) {
    return c->grants;
}
const verif_stats *verif_ctx_stats(const verif_ctx *c) {
    return &c->stats;
}

/* ---- Access events ---- */

/* Decoded as the projector decodes it (services/projector: decode_access), field sizes
 * included, so both keep the same grants. */
static verif_access_outcome access_apply(verif_ctx *c, const void *data, size_t len,
                                         verif_access_note *note) {
    avro_value_t *v;
    char err[400], actor[64], district[8], buf[5];
    const char *s;
    uint8_t uuid[16];
    int action = 0;
    bool has_actor = false;
    vk_access_event e;
    memset(&e, 0, sizeof e);
    int rc = vk_decoder_decode(c->access, data, len, &v, err, sizeof err);
    if (rc) {
        snprintf(note->reason, sizeof note->reason, "cannot decode AccessChanged: %s", err);
        return rc == VK_DECODE_UNAVAILABLE ? VERIF_ACCESS_UNAVAILABLE : VERIF_ACCESS_UNDECODABLE;
    }
    if (vk_value_get_str(v, "event_id", &s) || vk_uuid_parse(s, uuid)) {
        snprintf(note->reason, sizeof note->reason, "event_id is not a UUID");
        return VERIF_ACCESS_UNDECODABLE;
    }
    vk_str_copy(note->event_id, sizeof note->event_id, s);
    vk_value_get_long(v, "occurred_at", &e.occurred_at);
    if (!vk_value_get_opt_str(v, "actor", &s) && s) {
        vk_str_copy(actor, sizeof actor, s);
        has_actor = true;
    }
    vk_value_get_enum(v, "action", &action);
    e.action = action == 1 ? VK_ACCESS_REVOKE : VK_ACCESS_GRANT;
    note->action = action == 1 ? "REVOKE" : "GRANT";
    if (!vk_value_get_str(v, "user_id", &s))
        vk_str_copy(note->user_id, sizeof note->user_id, s);
    if (!vk_value_get_str(v, "facility_code", &s))
        vk_str_copy(note->facility_code, sizeof note->facility_code, s);
    district[0] = '\0';
    if (!vk_value_get_str(v, "district_code", &s))
        vk_str_copy(district, sizeof district, s);
    vk_value_get_opt_long(v, "valid_until", &e.has_valid_until, &e.valid_until);
    e.event_id = note->event_id;
    e.actor = has_actor ? actor : NULL;
    e.user_id = note->user_id;
    e.facility_code = note->facility_code;
    e.district_code = district;
    e.role = ROLE_VERIFIER; /* the only symbol of the Role enum */
    switch (vk_grants_apply(c->grants, &e,
                            vk_facility_district(c->facilities, e.facility_code, buf), note->code,
                            sizeof note->code, note->reason, sizeof note->reason)) {
    case VK_GRANTS_APPLIED:
        return VERIF_ACCESS_APPLIED;
    case VK_GRANTS_REFUSED:
        return VERIF_ACCESS_REFUSED;
    case VK_GRANTS_DUPLICATE:
        return VERIF_ACCESS_DUPLICATE;
    case VK_GRANTS_NO_MEMORY:
        break;
    }
    return VERIF_ACCESS_NO_MEMORY;
}

verif_access_outcome verif_access_apply(verif_ctx *c, const void *data, size_t len,
                                        verif_access_note *note) {
    memset(note, 0, sizeof *note);
    note->action = "?";
    verif_access_outcome o = access_apply(c, data, len, note);
    c->stats.access[o]++;
    return o;
}

/* ---- Requests ---- */

/* The requested changes, normalized. */
typedef struct changes {
    bool has_name, has_birth_date, has_phone, has_facility, has_sched;
    char name[256], phone[32], facility[VK_FACILITY_MAX + 1];
    int32_t birth_date, scheduled_date;
    int sex; /* enum index: 0 = L, 1 = P, -1 = unchanged */
} changes;

typedef struct request {
    vk_envelope env;
    int kind;
    const char *nik, *reason;
    char facility[VK_FACILITY_MAX + 1];
    changes ch;
} request;

static int32_t day_of(int64_t ms) {
    return (int32_t)(ms >= 0 ? ms / MS_PER_DAY : -((-ms + MS_PER_DAY - 1) / MS_PER_DAY));
}

static const char *date_str(int32_t days, char out[16]) {
    int y, m, d;
    vk_date_from_days(days, &y, &m, &d);
    snprintf(out, 16, "%04d-%02d-%02d", y, m, d);
    return out;
}

static vk_handled check_identity_changes(const avro_value_t *cv, int32_t today, changes *ch,
                                         vk_dead *dead) {
    const char *name;
    if (vk_value_get_opt_str(cv, "name", &name) ||
        vk_value_get_opt_int(cv, "birth_date", &ch->has_birth_date, &ch->birth_date) ||
        vk_value_get_opt_enum(cv, "sex", &ch->sex))
        return vk_refuse(dead, "DECODE", "changes: identity fields missing");
    if (name && *name) { /* "" = unchanged, as vaksin-ticket reads an empty optional field */
        char err[256];
        if (vk_name_normalize(name, ch->name, sizeof ch->name, err, sizeof err))
            return vk_refuse(dead, "INVALID_NAME", "changes.name: %s", err);
        ch->has_name = true;
    }
    int32_t min_birth;
    vk_date_to_days(1900, 1, 1, &min_birth);
    if (ch->has_birth_date && (ch->birth_date < min_birth || ch->birth_date > today)) {
        char d1[16], d2[16];
        return vk_refuse(dead, "INVALID_BIRTH_DATE",
                         "changes.birth_date: %s is outside 1900-01-01 .. %s (the request's date)",
                         date_str(ch->birth_date, d1), date_str(today, d2));
    }
    return VK_OK;
}

static vk_handled check_contact_changes(const avro_value_t *cv, int32_t today, changes *ch,
                                        vk_dead *dead) {
    const char *phone, *facility;
    if (vk_value_get_opt_str(cv, "phone", &phone) ||
        vk_value_get_opt_str(cv, "facility_code", &facility) ||
        vk_value_get_opt_int(cv, "scheduled_date", &ch->has_sched, &ch->scheduled_date))
        return vk_refuse(dead, "DECODE", "changes: contact fields missing");
    if (phone && *phone) {
        char err[256];
        if (vk_phone_normalize(phone, ch->phone, sizeof ch->phone, err, sizeof err))
            return vk_refuse(dead, "INVALID_PHONE", "changes.phone: %s", err);
        ch->has_phone = true;
    }
    if (facility && *facility) {
        if (vk_facility_normalize(facility, ch->facility, sizeof ch->facility))
            return vk_refuse(dead, "INVALID_FACILITY",
                             "changes.facility_code: \"%.40s\" is not a facility code (letters "
                             "and digits, at most %d)",
                             facility, VK_FACILITY_MAX);
        ch->has_facility = true;
    }
    const int32_t first = 18628; /* 2021-01-01, as vaksin-ticket */
    if (ch->has_sched && (ch->scheduled_date < first || ch->scheduled_date > today + 2 * 366)) {
        char d1[16], d2[16];
        return vk_refuse(dead, "INVALID_SCHEDULED_DATE",
                         "changes.scheduled_date: %s is outside 2021-01-01 .. two years after %s "
                         "(the request's date)",
                         date_str(ch->scheduled_date, d1), date_str(today, d2));
    }
    return VK_OK;
}

static vk_handled check_changes(const avro_value_t *v, request *r, vk_dead *dead) {
    avro_value_t cv;
    int32_t today = day_of(r->env.occurred_at);
    changes *ch = &r->ch;
    if (vk_value_get_field(v, "changes", &cv))
        return vk_refuse(dead, "DECODE", "changes: field missing");
    vk_handled h = check_identity_changes(&cv, today, ch, dead);
    if (h == VK_OK)
        h = check_contact_changes(&cv, today, ch, dead);
    if (h != VK_OK)
        return h;
    if (!ch->has_name && !ch->has_birth_date && ch->sex < 0 && !ch->has_phone &&
        !ch->has_facility && !ch->has_sched)
        return vk_refuse(dead, "NO_CHANGES", "changes: no field set");
    if (r->kind == KIND_ADDITION && (!ch->has_name || !ch->has_birth_date))
        return vk_refuse(dead, "INCOMPLETE_ADDITION",
                         "changes: an ADDITION must set name and birth_date (a new target needs "
                         "both); %s not set",
                         !ch->has_name && !ch->has_birth_date ? "name and birth_date"
                         : !ch->has_name                      ? "name"
                                                              : "birth_date");
    return VK_OK;
}

static vk_handled read_request(verif_ctx *c, const rd_kafka_message_t *in, request *r,
                               vk_dead *dead) {
    avro_value_t *v;
    const char *facility;
    vk_handled h = vk_request_decode(c->io.dec, "VerificationRequested", in, &v, dead);
    if (h == VK_OK)
        h = vk_envelope_read(v, in, &r->env, dead);
    if (h != VK_OK)
        return h;
    if (!r->env.actor || !*r->env.actor)
        return vk_refuse(dead, "MISSING_ACTOR",
                         "actor: missing: a verification request must name the user who asks");
    if (vk_value_get_enum(v, "kind", &r->kind) || vk_value_get_str(v, "nik", &r->nik) ||
        vk_value_get_str(v, "facility_code", &facility) ||
        vk_value_get_opt_str(v, "reason", &r->reason))
        return vk_refuse(dead, "DECODE", "kind, nik, facility_code or reason field missing");
    h = vk_check_nik(r->nik, dead);
    if (h == VK_OK)
        h = vk_check_facility(facility, r->facility, dead);
    if (h == VK_OK)
        h = check_changes(v, r, dead);
    if (h == VK_OK)
        h = vk_check_text("reason", r->reason, VERIF_MAX_REASON, "INVALID_REASON", dead);
    return h;
}

/* ---- Outputs ---- */

static int fill_changes(avro_value_t *rec, const changes *ch) {
    avro_value_t cv;
    return vk_value_get_field(rec, "changes", &cv) ||
           vk_value_set_opt_str(&cv, "name", ch->has_name ? ch->name : NULL) ||
           vk_value_set_opt_int(&cv, "birth_date", ch->has_birth_date, ch->birth_date) ||
           vk_value_set_opt_enum(&cv, "sex", ch->sex) ||
           vk_value_set_opt_str(&cv, "phone", ch->has_phone ? ch->phone : NULL) ||
           vk_value_set_opt_str(&cv, "facility_code", ch->has_facility ? ch->facility : NULL) ||
           vk_value_set_opt_int(&cv, "scheduled_date", ch->has_sched, ch->scheduled_date);
}

static int fill_grant(avro_value_t *rec, const vk_grant *g) {
    avro_value_t gv;
    return vk_value_get_field(rec, "grant", &gv) ||
           vk_value_set_str(&gv, "grant_event_id", g->grant_event_id) ||
           vk_value_set_str(&gv, "user_id", g->user_id) ||
           vk_value_set_str(&gv, "facility_code", g->facility_code) ||
           vk_value_set_str(&gv, "district_code", g->district_code) ||
           vk_value_set_opt_str(&gv, "granted_by", g->granted_by[0] ? g->granted_by : NULL) ||
           vk_value_set_long(&gv, "granted_at", g->granted_at) ||
           vk_value_set_opt_long(&gv, "valid_until", g->has_valid_until, g->valid_until);
}

/* What VerificationPending, VerificationRefused and VerificationLookup share. */
static int fill_request(avro_value_t *rec, const request *r) {
    return vk_value_set_str(rec, "request_id", r->env.event_id) ||
           vk_value_set_enum(rec, "kind", r->kind) ||
           vk_value_set_str(rec, "facility_code", r->facility) || fill_changes(rec, &r->ch) ||
           vk_value_set_opt_str(rec, "reason", r->reason);
}

static int write_pending(verif_ctx *c, const request *r, const vk_grant *g, vk_outputs *out,
                         char *err, size_t errlen) {
    char ticket[VK_TICKET_LEN + 1] = "";
    avro_value_t p;
    avro_value_t *e = vk_target_event_begin(c->io.enc, VERIFICATION_SERVICE, &r->env, 0, r->nik,
                                            VK_TARGET_VERIFICATION_PENDING, &p, err, errlen);
    if (!e)
        return -1;
    if (r->kind == KIND_ADDITION)
        vk_ticket_from_nik(c->secret, c->secret_len, r->nik, ticket);
    if (fill_request(&p, r) ||
        vk_value_set_opt_str(&p, "ticket", r->kind == KIND_ADDITION ? ticket : NULL) ||
        fill_grant(&p, g)) {
        snprintf(err, errlen, "cannot fill VerificationPending: %s", avro_strerror());
        return -1;
    }
    return vk_target_event_add(c->io.enc, e, r->nik, out, err, errlen);
}

static int write_lookup(verif_ctx *c, const request *r, const vk_grant *g, vk_outputs *out,
                        char *err, size_t errlen) {
    char id[37];
    vk_derive_event_id(VERIFICATION_SERVICE, r->env.event_id, 1, id);
    avro_value_t *v = vk_encoder_value(c->lookup);
    if (vk_value_set_str(v, "event_id", id) ||
        vk_value_set_long(v, "occurred_at", r->env.occurred_at) ||
        vk_value_set_str(v, "source", r->env.source) ||
        vk_value_set_opt_str(v, "actor", r->env.actor) || fill_request(v, r) ||
        vk_value_set_str(v, "nik", r->nik) || fill_grant(v, g) ||
        vk_value_set_int(v, "attempt", 0) || vk_value_set_opt_long(v, "not_before", false, 0)) {
        snprintf(err, errlen, "cannot fill VerificationLookup: %s", avro_strerror());
        return -1;
    }
    vk_output *o = vk_outputs_add(out, VK_TOPIC_VERIFICATION_LOOKUPS);
    if (!o || vk_buf_append_str(&o->key, r->nik)) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    return vk_encoder_write(c->lookup, v, &o->value, err, errlen);
}

static int write_refused(verif_ctx *c, const request *r, vk_authz why, const char *words,
                         vk_outputs *out, char *err, size_t errlen) {
    avro_value_t p;
    avro_value_t *e = vk_target_event_begin(c->io.enc, VERIFICATION_SERVICE, &r->env, 0, r->nik,
                                            VK_TARGET_VERIFICATION_REFUSED, &p, err, errlen);
    if (!e)
        return -1;
    if (fill_request(&p, r) || vk_value_set_str(&p, "code", vk_authz_code(why)) ||
        vk_value_set_str(&p, "refusal", words)) {
        snprintf(err, errlen, "cannot fill VerificationRefused: %s", avro_strerror());
        return -1;
    }
    return vk_target_event_add(c->io.enc, e, r->nik, out, err, errlen);
}

vk_handled verif_handle(void *ctx, const rd_kafka_message_t *in, vk_outputs *out, vk_dead *dead) {
    verif_ctx *c = ctx;
    request r;
    memset(&r, 0, sizeof r);
    if (c->refresh)
        c->refresh(c->refresh_arg);
    vk_handled h = read_request(c, in, &r, dead);
    if (h != VK_OK)
        return h;
    if (r.env.appended >= 0 && !r.env.appended_by_broker && c->stats.producer_time++ == 0)
        vk_warn("msg=\"requests carry producer timestamps: a client chooses the time it is "
                "authorized at, within authz.clock.tolerance.ms\" topic=%s "
                "fix=\"set message.timestamp.type=LogAppendTime on the topic\"",
                VK_TOPIC_VERIFICATION_REQUESTS);
    const vk_grant_record *g = NULL;
    char words[512], err[400];
    int64_t at;
    vk_authz a = vk_authz_clock(r.env.occurred_at, r.env.appended, c->clock_tolerance_ms, &at,
                                words, sizeof words);
    if (a == VK_AUTHZ_GRANTED)
        a = vk_grants_authorize(c->grants, r.env.actor, r.facility, ROLE_VERIFIER, at, &g, words,
                                sizeof words);
    int rc = a == VK_AUTHZ_GRANTED ? write_pending(c, &r, &g->g, out, err, sizeof err) ||
                                         write_lookup(c, &r, &g->g, out, err, sizeof err)
                                   : write_refused(c, &r, a, words, out, err, sizeof err);
    if (rc)
        return vk_refuse(dead, "ENCODE", "cannot encode the verification outputs: %s", err);
    if (a == VK_AUTHZ_GRANTED)
        c->stats.pending++;
    else
        c->stats.refused[a]++;
    return VK_OK;
}

/* ---- Metrics ---- */

void verif_publish(void *ctx, vk_metrics *reg) {
    verif_ctx *c = ctx;
    if (!c->m_decisions) {
        c->m_decisions = vk_metrics_add(reg, VK_COUNTER, "vaksin_verification_decisions_total",
                                        "Verification requests decided: PENDING (authorized) or "
                                        "the refusal's code.",
                                        "decision", NULL, 0);
        c->m_producer_time = vk_metrics_add(
            reg, VK_COUNTER, "vaksin_verification_producer_time_total",
            "Requests whose timestamp the producer set (the topic is not LogAppendTime).", NULL,
            NULL, 0);
        c->m_access = vk_metrics_add(reg, VK_COUNTER, "vaksin_access_events_total",
                                     "Access events read, by outcome.", "outcome", NULL, 0);
        c->m_grants = vk_metrics_add(reg, VK_GAUGE, "vaksin_grants",
                                     "Grants held in memory: kept (open and recent closed), open, "
                                     "forgotten so far; and the access event ids remembered.",
                                     "state", NULL, 0);
    }
    const verif_stats *s = &c->stats;
    vk_metric_set(c->m_decisions, "PENDING", (double)s->pending);
    for (int a = VK_AUTHZ_NOT_AUTHORIZED; a < VK_AUTHZ_COUNT; a++)
        vk_metric_set(c->m_decisions, vk_authz_code((vk_authz)a), (double)s->refused[a]);
    vk_metric_set(c->m_producer_time, NULL, (double)s->producer_time);
    static const char *const outcomes[] = {"applied",     "refused",         "duplicate",
                                           "undecodable", "registry_waited", "no_memory"};
    for (int o = 0; o <= VERIF_ACCESS_NO_MEMORY; o++)
        vk_metric_set(c->m_access, outcomes[o], (double)s->access[o]);
    vk_metric_set(c->m_grants, "kept", (double)vk_grants_count(c->grants));
    vk_metric_set(c->m_grants, "open", (double)vk_grants_open(c->grants));
    vk_metric_set(c->m_grants, "forgotten", (double)vk_grants_forgotten(c->grants));
    vk_metric_set(c->m_grants, "event_ids", (double)vk_grants_events(c->grants));
}
