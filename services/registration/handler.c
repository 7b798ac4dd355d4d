/*
 * handler.c — vaksin-registration's handler (desk 1).
 *
 * A desk registers a person by the ticket they present or by their NIK — exactly one of the two.
 * The output is always keyed by NIK (one ordered log per person, docs/design.md §1.2), so a ticket
 * is resolved to its NIK here, once, and the NIK written into the event: a replay never asks the
 * read model again (docs/design.md §1.3). The ticket is recorded in its canonical form (upper case,
 * Crockford O→0, I/L→1, no hyphens), the form the read model stores.
 *
 * Order of checks: which identifier is set, its form (ticket check symbol or NIK structure),
 * dose and facility — all without I/O — and only then the lookup, so a malformed request never
 * costs a query, and a request that fails only because the database is down is retried rather
 * than refused. An empty or blank ticket or NIK counts as not set: desk front ends send "" for
 * an empty input box.
 *
 * Whether the person may register (a known target, the previous dose given, not already
 * registered) is not decided here: those are per-person rules the projector applies in log
 * order (docs/design.md §4). The facility need not be the ticket's.
 */
#include "handler.h"

#include "vk_handler.h"
#include "vk_ticket.h"
#include "vk_value.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct reg_ctx {
    vk_stage_codec io;
    reg_resolve_fn resolve;
    void *resolve_arg;
};

reg_ctx *reg_ctx_new(vk_codec *codec, reg_resolve_fn resolve, void *resolve_arg, char *err,
                     size_t errlen) {
    if (!resolve) {
        snprintf(err, errlen, "no ticket resolver");
        return NULL;
    }
    reg_ctx *c = calloc(1, sizeof *c);
    if (!c) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    c->resolve = resolve;
    c->resolve_arg = resolve_arg;
    if (vk_stage_codec_open(&c->io, codec, VK_SCHEMA_REGISTRATION_SUBMITTED, err, errlen)) {
        reg_ctx_destroy(c);
        return NULL;
    }
    return c;
}

void reg_ctx_destroy(reg_ctx *c) {
    if (!c)
        return;
    vk_stage_codec_close(&c->io);
    free(c);
}

/* A registration after its checks; strings point into the decoded value or the buffers. */
typedef struct registration {
    vk_envelope env;
    const char *ticket_in, *nik_in; /* NULL when not set */
    bool by_ticket;
    char ticket[VK_TICKET_LEN + 1];
    char nik[17];
    vk_desk_visit visit; /* dose and facility */
} registration;

static bool is_blank(const char *s) {
    if (!s)
        return true;
    for (; *s; s++)
        if (*s != ' ' && *s != '\t')
            return false;
    return true;
}

/* Exactly one of ticket and nik, each in a valid form. */
static vk_handled check_identifier(const avro_value_t *v, registration *r, vk_dead *dead) {
    char err[256];
    if (vk_value_get_opt_str(v, "ticket", &r->ticket_in) ||
        vk_value_get_opt_str(v, "nik", &r->nik_in))
        return vk_refuse(dead, "DECODE", "ticket or nik field missing");
    const bool has_ticket = !is_blank(r->ticket_in), has_nik = !is_blank(r->nik_in);
    if (has_ticket && has_nik)
        return vk_refuse(dead, "INVALID_REQUEST",
                         "both ticket and nik are set: a registration names the person by "
                         "exactly one of them");
    if (!has_ticket && !has_nik)
        return vk_refuse(dead, "INVALID_REQUEST",
                         "neither ticket nor nik is set: a registration names the person by "
                         "exactly one of them");
    r->by_ticket = has_ticket;
    if (!has_ticket) {
        if (vk_check_nik(r->nik_in, dead) != VK_OK)
            return VK_DEAD;
        snprintf(r->nik, sizeof r->nik, "%s", r->nik_in);
        return VK_OK;
    }
    if (vk_ticket_canonical(r->ticket_in, r->ticket, err, sizeof err))
        return vk_refuse(dead, "INVALID_TICKET", "%s (typed \"%.40s\")", err, r->ticket_in);
    return VK_OK;
}

/* The ticket's NIK, asked once; a failed lookup is retried, never refused. */
static vk_handled resolve_ticket(reg_ctx *c, registration *r, vk_dead *dead) {
    char err[256] = "";
    int found = c->resolve(c->resolve_arg, r->ticket, r->nik, err, sizeof err);
    if (found < 0)
        return VK_RETRY;
    if (found == 0)
        return vk_refuse(dead, "UNKNOWN_TICKET",
                         "ticket %s is not known: not yet imported, or mistyped", r->ticket);
    r->nik[16] = '\0';
    if (vk_check_nik(r->nik, dead) != VK_OK) /* the read model holds only valid NIKs */
        return VK_DEAD;
    return VK_OK;
}

static int write_registered(reg_ctx *c, const registration *r, vk_outputs *out, char *err,
                            size_t errlen) {
    avro_value_t p;
    avro_value_t *e = vk_target_event_begin(c->io.enc, REGISTRATION_SERVICE, &r->env, 0, r->nik,
                                            VK_TARGET_REGISTERED, &p, err, errlen);
    if (!e)
        return -1;
    if (vk_value_set_opt_str(&p, "ticket", r->by_ticket ? r->ticket : NULL) |
        vk_value_set_str(&p, "facility_code", r->visit.facility) |
        vk_value_set_int(&p, "dose", r->visit.dose)) {
        snprintf(err, errlen, "cannot fill Registered: %s", avro_strerror());
        return -1;
    }
    return vk_target_event_add(c->io.enc, e, r->nik, out, err, errlen);
}

vk_handled reg_handle(void *ctx, const rd_kafka_message_t *in, vk_outputs *out, vk_dead *dead) {
    reg_ctx *c = ctx;
    avro_value_t *v;
    registration r;
    memset(&r, 0, sizeof r);
    vk_handled h = vk_request_decode(c->io.dec, "RegistrationSubmitted", in, &v, dead);
    if (h == VK_OK)
        h = vk_envelope_read(v, in, &r.env, dead);
    if (h == VK_OK)
        h = check_identifier(v, &r, dead);
    if (h == VK_OK)
        h = vk_desk_visit_read(v, false, &r.visit, dead);
    if (h == VK_OK && r.by_ticket)
        h = resolve_ticket(c, &r, dead);
    if (h != VK_OK)
        return h;
    char err[400];
    if (write_registered(c, &r, out, err, sizeof err))
        return vk_refuse(dead, "ENCODE", "cannot encode Registered: %s", err);
    return VK_OK;
}
