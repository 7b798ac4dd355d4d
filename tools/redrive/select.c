/*
 * select.c — vaksin-redrive's choices: which dead letters the command line selects, and for each
 * one whether to send its original message back or skip it, and why.
 *
 * A dead letter is sent back only when all of these hold (checked in this order, the first that
 * fails is the reason given):
 *   1. it came from the ticket, registration, screening or vaccination request topic: the inputs
 *      of stage services that judge a request by its content alone and derive their outputs'
 *      ids from its event id. Nothing is ever written to vaksin.target.events, the access or
 *      lookup topics, or the dead letters themselves. Nor to vaksin.verification.requests: a
 *      verification request is authorized at the time the broker appends it (LogAppendTime), so
 *      the same bytes sent later would be judged against other grants, or refused CLOCK_SKEW;
 *      the officer sends it again instead;
 *   2. it holds the original value, whole: a value or key longer than the dead letter could keep
 *      (`[dead letter holds the first K of N bytes …]` in its error, lib/kafka/vk_service.c)
 *      would be sent back cut, which is a different message;
 *   3. the same request (same event id) is not already being sent in this run: a request refused
 *      twice (a redrive that was refused again) is sent once;
 *   4. its cause is gone, where that can be checked. Only UNKNOWN_TICKET is: with the read model
 *      (pg.conninfo), the ticket the registration names is looked up as vaksin-registration looks
 *      it up (`SELECT nik FROM target WHERE ticket = $1`, after the same canonical form), and a
 *      ticket still unknown is skipped. Every other code, and UNKNOWN_TICKET without the read
 *      model, is sent with "cause not checked": the tool cannot know that a catalog was updated
 *      or a bug fixed, and says so rather than pretend.
 * Sending back is safe to repeat: the bytes are unchanged, so the request keeps its event id, the
 * stage derives the same output ids (UUIDv5 of the input id) and the projector drops the second
 * copy as a duplicate (docs/design.md §1.5).
 */
#include "redrive.h"

#include "vk_contract.h"
#include "vk_log.h"
#include "vk_pg.h"
#include "vk_strmap.h"
#include "vk_ticket.h"
#include "vk_value.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What the error text of a dead letter that kept only part of the message says (vk_service.c). */
#define SHRUNK_MARK "[dead letter holds the first "

/* The asking of the read model for a ticket's NIK, remembered per dead letter. */
enum { TICKET_NOT_ASKED = 0, TICKET_KNOWN, TICKET_UNKNOWN, TICKET_LOOKUP_FAILED };

struct redrive_selector {
    const redrive_filter *filter;
    vk_decoder *dead;          /* DeadLetter */
    vk_audit_decoder *request; /* the original value, with its topic's schema */
    PGconn *db;
    vk_pg_stmt by_ticket;
    vk_strmap *sending; /* event ids of requests already being sent in this run */
};

/* The stage services' request topics: their messages are judged by their content alone. */
static const char *const redriven_topics[] = {
    VK_TOPIC_TICKET_REQUESTS, VK_TOPIC_REGISTRATION_REQUESTS, VK_TOPIC_SCREENING_REQUESTS,
    VK_TOPIC_VACCINATION_REQUESTS, NULL};

const char *redrive_topic_refusal(const char *topic) {
    for (const char *const *t = redriven_topics; *t; t++)
        if (strcmp(*t, topic) == 0)
            return NULL;
    if (strcmp(topic, VK_TOPIC_VERIFICATION_REQUESTS) == 0)
        return "a verification request is authorized at the time the broker appends it: sent "
               "back it would be judged at the time of the redrive, against the grants of then "
               "(and refused CLOCK_SKEW beyond authz.clock.tolerance.ms); the officer sends it "
               "again";
    return "not a request topic: only " VK_TOPIC_TICKET_REQUESTS ", " VK_TOPIC_REGISTRATION_REQUESTS
           ", " VK_TOPIC_SCREENING_REQUESTS " and " VK_TOPIC_VACCINATION_REQUESTS " are sent back";
}

redrive_selector *redrive_selector_new(const redrive_filter *filter, vk_codec *codec, PGconn *db,
                                       char *err, size_t errlen) {
    redrive_selector *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    s->filter = filter;
    s->db = db;
    s->by_ticket = (vk_pg_stmt)VK_PG_STMT("redrive_nik_by_ticket",
                                          "SELECT nik FROM target WHERE ticket = $1", 1);
    s->sending = vk_strmap_new(1024);
    s->dead = vk_decoder_new(codec, VK_SCHEMA_DEAD_LETTER, err, errlen);
    s->request = s->dead ? vk_audit_decoder_new(codec, err, errlen) : NULL;
    if (!s->sending || !s->request) {
        if (!s->sending)
            snprintf(err, errlen, "out of memory");
        redrive_selector_destroy(s);
        return NULL;
    }
    return s;
}

void redrive_selector_destroy(redrive_selector *s) {
    if (!s)
        return;
    if (s->dead)
        vk_decoder_destroy(s->dead);
    if (s->request)
        vk_audit_decoder_destroy(s->request);
    vk_strmap_destroy(s->sending);
    free(s);
}

/* ---- Reading a dead letter --------------------------------------------------------------- */

/* A nullable bytes field: *data NULL when null. 0, or -1 when the field is not of that form. */
static int opt_bytes(const avro_value_t *rec, const char *field, const void **data, size_t *len) {
    avro_value_t f, branch;
    int disc;
    *data = NULL;
    *len = 0;
    if (vk_value_get_field(rec, field, &f) || avro_value_get_discriminant(&f, &disc) ||
        avro_value_get_current_branch(&f, &branch))
        return -1;
    if (disc == 0)
        return 0;
    if (avro_value_get_bytes(&branch, data, len))
        return -1;
    if (!*data)
        *data = ""; /* present but empty */
    return 0;
}

static char *json_dup(const json_t *j, const char *field) {
    const char *s = json_string_value(json_object_get(j, field));
    return s ? strdup(s) : NULL;
}

/* The request's own fields, from its value decoded with its topic's schema. */
static void read_request(redrive_selector *s, dead_letter *dl) {
    char err[512];
    if (!dl->value) {
        dl->decode_error = strdup("the dead letter holds no value");
        return;
    }
    json_t *j = vk_audit_decode(s->request, dl->topic, dl->value, dl->value_len, err, sizeof err);
    if (!j) {
        dl->decode_error = strdup(err);
        return;
    }
    dl->event_id = json_dup(j, "event_id");
    dl->nik = json_dup(j, "nik");
    dl->ticket = json_dup(j, "ticket");
    json_decref(j);
}

int redrive_read(redrive_selector *s, const void *data, size_t len, int32_t partition,
                 int64_t offset, dead_letter *dl, char *err, size_t errlen) {
    memset(dl, 0, sizeof *dl);
    dl->dl_partition = partition;
    dl->dl_offset = offset;
    avro_value_t *v;
    if (vk_decoder_decode(s->dead, data, len, &v, err, errlen))
        return -1;
    if (vk_value_get_long(v, "occurred_at", &dl->occurred_at) ||
        vk_value_get_str(v, "topic", &dl->topic) ||
        vk_value_get_int(v, "partition", &dl->partition) ||
        vk_value_get_long(v, "offset", &dl->offset) ||
        vk_value_get_str(v, "service", &dl->service) ||
        vk_value_get_str(v, "error_code", &dl->code) || vk_value_get_str(v, "error", &dl->error) ||
        opt_bytes(v, "key", &dl->key, &dl->key_len) ||
        opt_bytes(v, "value", &dl->value, &dl->value_len)) {
        snprintf(err, errlen, "a DeadLetter field is missing or of another type");
        return -1;
    }
    read_request(s, dl);
    return 0;
}

void redrive_dead_letter_clear(dead_letter *dl) {
    free(dl->event_id);
    free(dl->nik);
    free(dl->ticket);
    free(dl->decode_error);
    memset(dl, 0, sizeof *dl);
}

/* ---- The read model ------------------------------------------------------------------------ */

/* The NIK whose target holds the registration's ticket now, asked once per dead letter (the
 * question vaksin-registration asks: services/registration/resolver.c). */
static int ticket_lookup(redrive_selector *s, dead_letter *dl) {
    char canonical[VK_TICKET_LEN + 1], err[256];
    int *state = &dl->ticket_state;
    if (*state != TICKET_NOT_ASKED)
        return *state;
    if (!dl->ticket || vk_ticket_canonical(dl->ticket, canonical, err, sizeof err))
        return *state = TICKET_UNKNOWN;
    const char *params[] = {canonical};
    PGresult *res = vk_pg_run(s->db, &s->by_ticket, PGRES_TUPLES_OK, params);
    if (!res) {
        vk_error("msg=\"cannot look the ticket up in the read model\" original=%s/%" PRId32
                 "/%" PRId64,
                 dl->topic, dl->partition, dl->offset);
        return *state = TICKET_LOOKUP_FAILED;
    }
    *state = PQntuples(res) > 0 ? TICKET_KNOWN : TICKET_UNKNOWN;
    if (*state == TICKET_KNOWN)
        snprintf(dl->resolved_nik, sizeof dl->resolved_nik, "%s", PQgetvalue(res, 0, 0));
    PQclear(res);
    return *state;
}

/* ---- Selection ----------------------------------------------------------------------------- */

static bool service_matches(const char *want, const char *service) {
    if (strcmp(want, service) == 0)
        return true;
    return strncmp(want, "vaksin-", 7) != 0 && strncmp(service, "vaksin-", 7) == 0 &&
           strcmp(service + 7, want) == 0;
}

static bool nik_matches(redrive_selector *s, dead_letter *dl, const char *nik) {
    if (dl->key && dl->key_len == strlen(nik) && memcmp(dl->key, nik, dl->key_len) == 0)
        return true;
    if (dl->nik && strcmp(dl->nik, nik) == 0)
        return true;
    /* A registration by ticket is keyed by the ticket and names no NIK: its ticket's NIK, when
     * the read model knows the ticket. */
    return dl->ticket && s->db && ticket_lookup(s, dl) == TICKET_KNOWN &&
           strcmp(dl->resolved_nik, nik) == 0;
}

bool redrive_selected(redrive_selector *s, dead_letter *dl) {
    const redrive_filter *f = s->filter;
    bool code = f->ncodes == 0;
    for (int i = 0; i < f->ncodes && !code; i++)
        code = strcmp(f->codes[i], dl->code) == 0;
    return code && (!f->topic || strcmp(f->topic, dl->topic) == 0) &&
           (!f->service || service_matches(f->service, dl->service)) &&
           dl->occurred_at >= f->from && dl->occurred_at < f->to &&
           (!f->nik || nik_matches(s, dl, f->nik));
}

/* ---- The decision -------------------------------------------------------------------------- */

/* Step 4 of the file comment: the cause, where it can be checked. */
static redrive_verdict check_cause(redrive_selector *s, dead_letter *dl, char *why, size_t len) {
    if (strcmp(dl->code, "UNKNOWN_TICKET") != 0) {
        snprintf(why, len, "cause not checked (only UNKNOWN_TICKET can be)");
        return REDRIVE_SEND;
    }
    if (!s->db) {
        snprintf(why, len, "cause not checked (no pg.conninfo: the read model was not asked)");
        return REDRIVE_SEND;
    }
    if (!dl->ticket) {
        snprintf(why, len, "UNKNOWN_TICKET, but the request names no ticket that can be read%s%s",
                 dl->decode_error ? ": " : "", dl->decode_error ? dl->decode_error : "");
        return REDRIVE_SKIP;
    }
    switch (ticket_lookup(s, dl)) {
    case TICKET_KNOWN:
        snprintf(why, len, "cause gone: ticket %s is in the read model now", dl->ticket);
        return REDRIVE_SEND;
    case TICKET_UNKNOWN:
        snprintf(why, len, "cause persists: ticket %s is still not in the read model", dl->ticket);
        return REDRIVE_SKIP;
    default:
        snprintf(why, len, "cause could not be checked: the read model did not answer");
        return REDRIVE_CHECK_FAILED;
    }
}

redrive_verdict redrive_decide(redrive_selector *s, dead_letter *dl, char *why, size_t len) {
    long ignored;
    const char *refusal = redrive_topic_refusal(dl->topic);
    if (refusal) {
        snprintf(why, len, "%s: %s", dl->topic, refusal);
        return REDRIVE_SKIP;
    }
    if (!dl->value) {
        snprintf(why, len, "the dead letter holds no value to send");
        return REDRIVE_SKIP;
    }
    const char *cut = strstr(dl->error, SHRUNK_MARK);
    if (cut) {
        const char *end = strchr(cut, ']');
        snprintf(why, len,
                 "the dead letter kept only part of the message, which cannot be sent back: %.*s",
                 end ? (int)(end - cut + 1) : (int)strlen(cut), cut);
        return REDRIVE_SKIP;
    }
    if (dl->event_id && vk_strmap_get(s->sending, dl->event_id, &ignored)) {
        snprintf(why, len, "the same request (event id %s) is already sent in this run",
                 dl->event_id);
        return REDRIVE_SKIP;
    }
    redrive_verdict v = check_cause(s, dl, why, len);
    if (v == REDRIVE_SEND && dl->event_id && vk_strmap_put(s->sending, dl->event_id, 1)) {
        snprintf(why, len, "out of memory");
        return REDRIVE_CHECK_FAILED;
    }
    return v;
}
