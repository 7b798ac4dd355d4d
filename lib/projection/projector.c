/*
 * projector.c — the batch at the heart of vaksin-projector (docs/design.md §1, §5, §9).
 *
 * One batch, one PostgreSQL transaction:
 *   1. decode every message (an undecodable one becomes a rejection that keeps its bytes);
 *   2. one query finds which event ids are already in event_log (redeliveries, replays of
 *      aborted transactions on the development broker) — those are skipped;
 *   3. one query loads the current state of every NIK in the batch, one more the owners of the
 *      batch's ticket numbers (collisions);
 *   4. the rules run in memory, in log order, each event seeing the effect of the ones before;
 *   5. COPY writes new targets, the event log and the rejections; one statement upserts the
 *      offsets, after checking under a row lock that no other instance stored later ones.
 * Decisions depend only on the log and the rows the log produced, so a replay into an empty
 * schema reproduces the same rows.
 */
#include "projector.h"
#include "batch.h"

#include "vk_access.h"
#include "vk_buf.h"
#include "vk_dose.h"
#include "vk_kafka.h"
#include "vk_log.h"
#include "vk_pg.h"
#include "vk_strmap.h"
#include "vk_time.h"
#include "vk_uuid.h"
#include "vk_value.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const event_types[] = {
    "TicketIssued",        "Registered",          "Screened",
    "Vaccinated",          "VerificationPending", "VerificationEnriched",
    "VerificationRefused", "AccessChanged"};

projector *projector_new(vk_codec *codec, const vk_catalog *catalog, const char *group,
                         int batch_max, char *err, size_t errlen) {
    projector *p = calloc(1, sizeof *p);
    if (!p) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    snprintf(p->group, sizeof p->group, "%s", group);
    p->catalog = catalog;
    p->cap = batch_max;
    p->ev = calloc((size_t)batch_max, sizeof *p->ev);
    p->st = calloc((size_t)batch_max, sizeof *p->st);
    p->by_nik = vk_strmap_new((size_t)batch_max);
    p->by_ticket = vk_strmap_new((size_t)batch_max);
    p->seen = vk_strmap_new((size_t)batch_max);
    int vinit = verification_init(p);
    p->dec = vk_decoder_new(codec, VK_SCHEMA_TARGET_EVENT, err, errlen);
    p->dec_access = p->dec ? vk_decoder_new(codec, VK_SCHEMA_ACCESS_CHANGED, err, errlen) : NULL;
    p->grants = calloc((size_t)batch_max * 2, sizeof *p->grants);
    p->districts = calloc((size_t)batch_max, sizeof *p->districts);
    p->facility_district = vk_strmap_new((size_t)batch_max);
    if (!p->ev || !p->st || !p->by_nik || !p->by_ticket || !p->seen || vinit || !p->dec ||
        !p->dec_access || !p->grants || !p->districts || !p->facility_district) {
        if (p->dec)
            snprintf(err, errlen, "out of memory");
        projector_destroy(p);
        return NULL;
    }
    return p;
}

void projector_destroy(projector *p) {
    if (!p)
        return;
    projector_discard(p);
    if (p->dec)
        vk_decoder_destroy(p->dec);
    if (p->dec_access)
        vk_decoder_destroy(p->dec_access);
    free(p->grants);
    free(p->districts);
    vk_strmap_destroy(p->facility_district);
    vk_strmap_destroy(p->by_nik);
    vk_strmap_destroy(p->by_ticket);
    vk_strmap_destroy(p->seen);
    verification_free(p);
    vk_buf_free(&p->sql);
    vk_buf_free(&p->copy);
    free(p->ev);
    free(p->st);
    free(p);
}

int projector_pending(const projector *p) {
    return p->n;
}
const projector_stats *projector_get_stats(const projector *p) {
    return &p->stats;
}

void projector_discard(projector *p) {
    for (int i = 0; i < p->n; i++) {
        rd_kafka_message_destroy(p->ev[i].m);
        verification_event_free(&p->ev[i]);
    }
    p->n = 0;
}

/* ---- Decoding ---- */

static void decode_ticket(const avro_value_t *pl, vk_target *t) {
    const char *s;
    int sex;
    avro_value_t flags, item;
    size_t nflags = 0, used = 0;
    if (!vk_get_str(pl, "ticket", &s))
        copy_str(t->ticket, sizeof t->ticket, s);
    if (!vk_get_str(pl, "name", &s))
        copy_str(t->name, sizeof t->name, s);
    vk_get_int(pl, "birth_date", &t->birth_date);
    if (!vk_get_opt_enum(pl, "sex", &sex))
        t->sex = sex == 0 ? 'L' : sex == 1 ? 'P' : 0;
    if (!vk_get_opt_str(pl, "phone", &s))
        copy_str(t->phone, sizeof t->phone, s);
    if (!vk_get_opt_str(pl, "category", &s))
        copy_str(t->category, sizeof t->category, s);
    if (!vk_get_opt_str(pl, "facility_code", &s))
        copy_str(t->facility_code, sizeof t->facility_code, s);
    vk_get_opt_int(pl, "scheduled_date", &t->has_scheduled_date, &t->scheduled_date);
    avro_value_t origin;
    if (!vk_get_field(pl, "origin", &origin)) {
        int idx;
        avro_schema_t os = avro_value_get_schema(&origin);
        if (!avro_value_get_enum(&origin, &idx))
            copy_str(t->origin, sizeof t->origin, avro_schema_enum_get(os, idx));
    }
    if (!vk_get_field(pl, "flags", &flags) && !avro_value_get_size(&flags, &nflags)) {
        for (size_t i = 0; i < nflags; i++) {
            size_t len;
            if (avro_value_get_by_index(&flags, i, &item, NULL) ||
                avro_value_get_string(&item, &s, &len))
                continue;
            int n = snprintf(t->flags + used, sizeof t->flags - used, "%s%s", used ? "," : "", s);
            if (n > 0 && (size_t)n < sizeof t->flags - used)
                used += (size_t)n;
        }
    }
}

/* Fills e->desk from a Registered, Screened or Vaccinated payload. */
static void decode_desk(const avro_value_t *pl, pevent *e) {
    vk_desk_event *d = &e->desk;
    const char *s;
    int32_t v;
    bool has;
    d->kind = e->type == EV_REGISTERED ? VK_DESK_REGISTERED
              : e->type == EV_SCREENED ? VK_DESK_SCREENED
                                       : VK_DESK_VACCINATED;
    d->occurred_at = e->occurred_at;
    vk_get_int(pl, "dose", &v);
    d->dose = v;
    if (!vk_get_str(pl, "facility_code", &s))
        copy_str(e->facility, sizeof e->facility, s);
    d->facility = e->facility;
    if (e->type == EV_SCREENED) {
        int result = 0;
        vk_get_enum(pl, "result", &result);
        d->result = (vk_screening_result)result;
        vk_get_opt_float(pl, "temperature_c", &d->has_temperature, &d->temperature_c);
        vk_get_opt_int(pl, "systolic", &d->has_systolic, &v);
        d->systolic = d->has_systolic ? v : 0;
        vk_get_opt_int(pl, "diastolic", &has, &v);
        d->has_diastolic = has;
        d->diastolic = has ? v : 0;
    } else if (e->type == EV_VACCINATED) {
        if (!vk_get_str(pl, "vaccine", &s))
            copy_str(e->vaccine, sizeof e->vaccine, s);
        if (!vk_get_str(pl, "batch", &s))
            copy_str(e->batch, sizeof e->batch, s);
        vk_get_long(pl, "vaccinated_at", &d->vaccinated_at);
        d->vaccine = e->vaccine;
        d->batch = e->batch;
    }
}

/* An AccessChanged from vaksin.access.events (no NIK: its log rows carry none). */
static void decode_access(projector *p, pevent *e) {
    avro_value_t *v;
    char err[512];
    const char *s;
    int action = 0;
    e->type = EV_UNDECODABLE;
    if (vk_decoder_decode(p->dec_access, e->m->payload, e->m->len, &v, err, sizeof err)) {
        snprintf(e->reason, sizeof e->reason, "cannot decode AccessChanged: %s", err);
        return;
    }
    if (vk_get_str(v, "event_id", &s) || vk_uuid_parse(s, (uint8_t[16]){0})) {
        snprintf(e->reason, sizeof e->reason, "event_id is not a UUID");
        return;
    }
    copy_str(e->event_id, sizeof e->event_id, s);
    vk_get_long(v, "occurred_at", &e->occurred_at);
    copy_str(e->causation, sizeof e->causation, e->event_id);
    if (!vk_get_str(v, "source", &s))
        copy_str(e->source, sizeof e->source, s);
    if (!vk_get_opt_str(v, "actor", &s) && s) {
        copy_str(e->actor, sizeof e->actor, s);
        e->has_actor = true;
    }
    vk_access_event *a = &e->access;
    vk_get_enum(v, "action", &action);
    a->action = action == 1 ? VK_ACCESS_REVOKE : VK_ACCESS_GRANT;
    if (!vk_get_str(v, "user_id", &s))
        copy_str(e->user_id, sizeof e->user_id, s);
    if (!vk_get_str(v, "facility_code", &s))
        copy_str(e->facility, sizeof e->facility, s);
    if (!vk_get_str(v, "district_code", &s))
        copy_str(e->district, sizeof e->district, s);
    copy_str(e->role, sizeof e->role, "VERIFIER"); /* the only symbol of the Role enum */
    vk_get_opt_long(v, "valid_until", &a->has_valid_until, &a->valid_until);
    a->event_id = e->event_id;
    a->actor = e->has_actor ? e->actor : NULL;
    a->user_id = e->user_id;
    a->facility_code = e->facility;
    a->district_code = e->district;
    a->role = e->role;
    a->occurred_at = e->occurred_at;
    e->type = EV_ACCESS;
}

static void decode_event(projector *p, pevent *e) {
    avro_value_t *v, payload, branch;
    char err[512];
    const char *s;
    int disc;
    if (strcmp(rd_kafka_topic_name(e->m->rkt), VK_TOPIC_ACCESS_EVENTS) == 0) {
        decode_access(p, e);
        return;
    }
    e->type = EV_UNDECODABLE;
    if (vk_decoder_decode(p->dec, e->m->payload, e->m->len, &v, err, sizeof err)) {
        snprintf(e->reason, sizeof e->reason, "cannot decode TargetEvent: %s", err);
        return;
    }
    if (vk_get_str(v, "event_id", &s) || vk_uuid_parse(s, (uint8_t[16]){0})) {
        snprintf(e->reason, sizeof e->reason, "event_id is not a UUID");
        return;
    }
    copy_str(e->event_id, sizeof e->event_id, s);
    if (vk_get_str(v, "nik", &s) || strlen(s) != 16) {
        snprintf(e->reason, sizeof e->reason, "nik is not 16 characters");
        return;
    }
    copy_str(e->nik, sizeof e->nik, s);
    vk_get_long(v, "occurred_at", &e->occurred_at);
    if (!vk_get_str(v, "causation_id", &s))
        copy_str(e->causation, sizeof e->causation, s);
    if (!vk_get_str(v, "source", &s))
        copy_str(e->source, sizeof e->source, s);
    if (!vk_get_opt_str(v, "actor", &s) && s) {
        copy_str(e->actor, sizeof e->actor, s);
        e->has_actor = true;
    }
    if (vk_get_field(v, "payload", &payload) || avro_value_get_discriminant(&payload, &disc) ||
        avro_value_get_current_branch(&payload, &branch)) {
        snprintf(e->reason, sizeof e->reason, "payload missing");
        return;
    }
    e->type = disc;
    if (disc == EV_TICKET_ISSUED) {
        copy_str(e->t.nik, sizeof e->t.nik, e->nik);
        decode_ticket(&branch, &e->t);
    } else if (disc >= EV_REGISTERED && disc <= EV_VACCINATED) {
        decode_desk(&branch, e);
    } else if (disc >= EV_VERIFICATION_PENDING && disc <= EV_VERIFICATION_REFUSED) {
        verification_decode(e, &branch);
    } else {
        e->type = EV_UNDECODABLE;
        snprintf(e->reason, sizeof e->reason, "unknown payload branch %d", disc);
    }
}

void projector_add(projector *p, rd_kafka_message_t *m) {
    int64_t t0 = vk_mono_ms();
    pevent *e = &p->ev[p->n++];
    memset(e, 0, sizeof *e);
    e->m = m;
    decode_event(p, e);
    p->stats.ms_decode += vk_mono_ms() - t0;
}

/* ---- Loading state ---- */

/* Writes "{a,b,c}" of the events' strings picked by @p field to p->sql (a text[] literal),
 * leaving out TicketIssued events when @p skip_tickets; *@p count (when not NULL) gets how many. */
static const char *array_of(projector *p, size_t field_offset, bool skip_tickets, int *count) {
    vk_buf_reset(&p->sql);
    vk_buf_append(&p->sql, "{", 1);
    int k = 0;
    for (int i = 0; i < p->n; i++) {
        const pevent *e = &p->ev[i];
        if (e->type == EV_UNDECODABLE || (skip_tickets && e->type == EV_TICKET_ISSUED) ||
            (field_offset == offsetof(pevent, nik) && e->type == EV_ACCESS))
            continue;
        if (k++)
            vk_buf_append(&p->sql, ",", 1);
        vk_array_elem(&p->sql, (const char *)e + field_offset);
    }
    vk_buf_append(&p->sql, "}", 2); /* with the NUL */
    if (count)
        *count = k;
    return (const char *)p->sql.data;
}

static int load_seen(projector *p, PGconn *db) {
    const char *params[1] = {array_of(p, offsetof(pevent, event_id), false, NULL)};
    static vk_pg_stmt stmt = VK_PG_STMT(
        "seen", "SELECT event_id::text FROM event_log WHERE event_id = ANY($1::uuid[])", 1);
    PGresult *r = vk_pg_run(db, &stmt, PGRES_TUPLES_OK, params);
    if (!r)
        return -1;
    for (int i = 0; i < PQntuples(r); i++)
        vk_strmap_put(p->seen, PQgetvalue(r, i, 0), 1);
    PQclear(r);
    return 0;
}

/* The batch state of a NIK, created empty (not a target, no doses) on first use. */
pstate *state_of(projector *p, const char *nik) {
    long idx;
    if (vk_strmap_get(p->by_nik, nik, &idx))
        return &p->st[idx];
    pstate *s = &p->st[p->n_st];
    memset(s, 0, sizeof *s);
    copy_str(s->t.nik, sizeof s->t.nik, nik);
    vk_strmap_put(p->by_nik, nik, p->n_st++);
    return s;
}

static int load_targets(projector *p, PGconn *db) {
    const char *params[1] = {array_of(p, offsetof(pevent, nik), false, NULL)};
    static vk_pg_stmt stmt = VK_PG_STMT(
        "targets",
        "SELECT nik, ticket, name, birth_date - DATE '1970-01-01', sex, phone, category,"
        " facility_code, scheduled_date - DATE '1970-01-01', origin, array_to_string(flags, ',')"
        " FROM target WHERE nik = ANY($1::char(16)[])",
        1);
    PGresult *r = vk_pg_run(db, &stmt, PGRES_TUPLES_OK, params);
    if (!r)
        return -1;
    for (int i = 0; i < PQntuples(r); i++) {
        pstate *s = state_of(p, col(r, i, 0));
        vk_target *t = &s->t;
        copy_str(t->nik, sizeof t->nik, col(r, i, 0));
        copy_str(t->ticket, sizeof t->ticket, col(r, i, 1));
        copy_str(t->name, sizeof t->name, col(r, i, 2));
        t->birth_date = atoi(col(r, i, 3));
        t->sex = col(r, i, 4)[0];
        copy_str(t->phone, sizeof t->phone, col(r, i, 5));
        copy_str(t->category, sizeof t->category, col(r, i, 6));
        copy_str(t->facility_code, sizeof t->facility_code, col(r, i, 7));
        t->has_scheduled_date = !PQgetisnull(r, i, 8);
        t->scheduled_date = atoi(col(r, i, 8));
        copy_str(t->origin, sizeof t->origin, col(r, i, 9));
        copy_str(t->flags, sizeof t->flags, col(r, i, 10));
        s->exists = true;
        vk_strmap_put(p->by_ticket, t->ticket, s - p->st);
    }
    PQclear(r);
    return 0;
}

/* The dose rows of the NIKs with an event that reads them: desk events and verifications, not
 * TicketIssued (whose rule looks at the target only). A bulk import's batches skip the query. */
static int load_doses(projector *p, PGconn *db) {
    int wanted;
    const char *params[1] = {array_of(p, offsetof(pevent, nik), true, &wanted)};
    if (wanted == 0)
        return 0;
    static vk_pg_stmt stmt = VK_PG_STMT(
        "doses",
        "SELECT nik, dose, status, visits, registered_facility,"
        " (extract(epoch FROM registered_at) * 1000)::bigint, screening_result,"
        " screening_facility, (extract(epoch FROM screened_at) * 1000)::bigint, temperature_c,"
        " systolic, diastolic, vaccine, batch, vaccinating_facility,"
        " (extract(epoch FROM vaccinated_at) * 1000)::bigint"
        " FROM dose WHERE nik = ANY($1::char(16)[])",
        1);
    PGresult *r = vk_pg_run(db, &stmt, PGRES_TUPLES_OK, params);
    if (!r)
        return -1;
    for (int i = 0; i < PQntuples(r); i++) {
        int n = atoi(col(r, i, 1));
        if (n < 1 || n > VK_MAX_DOSES)
            continue;
        vk_dose_row *d = &state_of(p, col(r, i, 0))->person.doses[n - 1];
        d->dose = n;
        d->status = vk_dose_status_parse(col(r, i, 2));
        d->visits = atoi(col(r, i, 3));
        copy_str(d->registered_facility, sizeof d->registered_facility, col(r, i, 4));
        d->registered_at = col_ms(r, i, 5);
        d->has_screening = !PQgetisnull(r, i, 6);
        const char *res = col(r, i, 6);
        d->screening_result = strcmp(res, "POSTPONE") == 0    ? VK_POSTPONE
                              : strcmp(res, "NOT_GIVEN") == 0 ? VK_NOT_GIVEN
                                                              : VK_PROCEED;
        copy_str(d->screening_facility, sizeof d->screening_facility, col(r, i, 7));
        d->screened_at = col_ms(r, i, 8);
        d->has_temperature = !PQgetisnull(r, i, 9);
        d->temperature_c = strtof(col(r, i, 9), NULL);
        d->has_systolic = !PQgetisnull(r, i, 10);
        d->systolic = atoi(col(r, i, 10));
        d->has_diastolic = !PQgetisnull(r, i, 11);
        d->diastolic = atoi(col(r, i, 11));
        copy_str(d->vaccine, sizeof d->vaccine, col(r, i, 12));
        copy_str(d->batch, sizeof d->batch, col(r, i, 13));
        copy_str(d->vaccinating_facility, sizeof d->vaccinating_facility, col(r, i, 14));
        d->vaccinated_at = col_ms(r, i, 15);
    }
    PQclear(r);
    return 0;
}

/* Owners of the batch's ticket numbers (imports and additions) that are not in the batch's
 * NIKs (collisions). */
static int load_ticket_owners(projector *p, PGconn *db) {
    vk_buf_reset(&p->sql);
    vk_buf_append(&p->sql, "{", 1);
    int k = 0;
    for (int i = 0; i < p->n; i++)
        if (p->ev[i].type == EV_TICKET_ISSUED) {
            if (k++)
                vk_buf_append(&p->sql, ",", 1);
            vk_array_elem(&p->sql, p->ev[i].t.ticket);
        }
    k += verification_tickets(p, &p->sql, k);
    vk_buf_append(&p->sql, "}", 2);
    if (k == 0)
        return 0;
    const char *params[1] = {(const char *)p->sql.data};
    static vk_pg_stmt stmt = VK_PG_STMT(
        "ticket_owners", "SELECT ticket, nik FROM target WHERE ticket = ANY($1::text[])", 1);
    PGresult *r = vk_pg_run(db, &stmt, PGRES_TUPLES_OK, params);
    if (!r)
        return -1;
    for (int i = 0; i < PQntuples(r); i++)
        if (!vk_strmap_get(p->by_ticket, PQgetvalue(r, i, 0), NULL))
            vk_strmap_put(p->by_ticket, PQgetvalue(r, i, 0), -1); /* owned outside the batch */
    PQclear(r);
    return 0;
}

/* Active grants of the batch's users, and the kab/kota of the batch's facilities. */
static int load_access(projector *p, PGconn *db) {
    vk_buf *b = &p->sql, fac = VK_BUF_INIT;
    vk_buf_reset(b);
    vk_buf_append(b, "{", 1), vk_buf_append(&fac, "{", 1);
    int k = 0;
    for (int i = 0; i < p->n; i++)
        if (p->ev[i].type == EV_ACCESS) {
            const char *sep = k++ ? "," : "";
            vk_buf_append_str(b, sep), vk_array_elem(b, p->ev[i].user_id);
            vk_buf_append_str(&fac, sep), vk_array_elem(&fac, p->ev[i].facility);
        }
    vk_buf_append(b, "}", 2), vk_buf_append(&fac, "}", 2);
    int rc = 0;
    if (k > 0) {
        static vk_pg_stmt grants = VK_PG_STMT(
            "active_grants",
            "SELECT grant_event_id::text, user_id, facility_code, district_code, role, granted_by,"
            " (extract(epoch FROM granted_at) * 1000)::bigint,"
            " (extract(epoch FROM valid_until) * 1000)::bigint"
            " FROM access_grant WHERE user_id = ANY($1::text[]) AND revoked_at IS NULL",
            1);
        static vk_pg_stmt districts =
            VK_PG_STMT("facility_districts",
                       "SELECT code, district_code FROM facility WHERE code = ANY($1::text[])", 1);
        const char *gp[1] = {(const char *)b->data}, *fp[1] = {(const char *)fac.data};
        PGresult *r = vk_pg_run(db, &grants, PGRES_TUPLES_OK, gp);
        for (int i = 0; r && i < PQntuples(r) && p->n_grants < 2 * p->cap; i++) {
            bgrant *g = &p->grants[p->n_grants++];
            memset(g, 0, sizeof *g);
            copy_str(g->g.grant_event_id, sizeof g->g.grant_event_id, col(r, i, 0));
            copy_str(g->g.user_id, sizeof g->g.user_id, col(r, i, 1));
            copy_str(g->g.facility_code, sizeof g->g.facility_code, col(r, i, 2));
            copy_str(g->g.district_code, sizeof g->g.district_code, col(r, i, 3));
            copy_str(g->g.role, sizeof g->g.role, col(r, i, 4));
            copy_str(g->g.granted_by, sizeof g->g.granted_by, col(r, i, 5));
            g->g.granted_at = col_ms(r, i, 6);
            g->g.has_valid_until = !PQgetisnull(r, i, 7);
            g->g.valid_until = col_ms(r, i, 7);
        }
        rc = r ? 0 : -1;
        PQclear(r);
        r = rc ? NULL : vk_pg_run(db, &districts, PGRES_TUPLES_OK, fp);
        for (int i = 0; r && i < PQntuples(r) && p->n_districts < p->cap; i++) {
            copy_str(p->districts[p->n_districts], 5, col(r, i, 1));
            vk_strmap_put(p->facility_district, col(r, i, 0), p->n_districts++);
        }
        rc = r ? rc : -1;
        PQclear(r);
    }
    vk_buf_free(&fac);
    return rc;
}

/* ---- Deciding ---- */

static void apply_ticket(projector *p, pevent *e) {
    pstate *cur = state_of(p, e->nik);
    char reason[900];
    switch (vk_target_apply_ticket(cur->exists ? &cur->t : NULL, &e->t, reason, sizeof reason)) {
    case VK_TICKET_UNCHANGED:
        e->out = OUT_UNCHANGED;
        return;
    case VK_TICKET_CONFLICT: {
        char msg[1024];
        snprintf(msg, sizeof msg,
                 "target already exists with different data (%s); not overwritten: correct it "
                 "through target data verification",
                 reason);
        reject(e, "CONFLICT", msg);
        return;
    }
    case VK_TICKET_CREATED:
        break;
    }
    long owner;
    if (vk_strmap_get(p->by_ticket, e->t.ticket, &owner)) {
        reject(e, "TICKET_COLLISION",
               "ticket number already belongs to another NIK; not merged — report to the "
               "vaksin operators (change the ticket secret length or format)");
        vk_error("msg=\"ticket collision\" nik=%s ticket=%s", e->nik, e->t.ticket);
        return;
    }
    cur->t = e->t;
    cur->exists = cur->created = true;
    copy_str(cur->created_event_id, sizeof cur->created_event_id, e->event_id);
    cur->created_at = e->occurred_at;
    vk_strmap_put(p->by_ticket, e->t.ticket, cur - p->st);
    e->out = OUT_APPLIED;
}

/* An access change through the Dinkes rules (lib/domain/vk_access.c). */
static void apply_access(projector *p, pevent *e) {
    vk_grant active[64];
    int index[64], n = 0;
    for (int i = 0; i < p->n_grants && n < 64; i++)
        if (!p->grants[i].g.revoked && strcmp(p->grants[i].g.user_id, e->user_id) == 0) {
            active[n] = p->grants[i].g;
            index[n++] = i;
        }
    char district[5], code[32], reason[512];
    long di;
    const char *fd = vk_strmap_get(p->facility_district, e->facility, &di)    ? p->districts[di]
                     : vk_facility_district_by_pattern(e->facility, district) ? district
                                                                              : NULL;
    int replaced;
    if (vk_access_apply(active, (size_t)n, &e->access, fd, &replaced, code, sizeof code, reason,
                        sizeof reason) == VK_ACCESS_REFUSED) {
        reject(e, code, reason);
        return;
    }
    if (replaced >= 0) {
        bgrant *old = &p->grants[index[replaced]];
        old->g.revoked = old->closed = true;
        old->closed_at = e->occurred_at;
        copy_str(old->closed_by, sizeof old->closed_by, e->actor);
        copy_str(old->close_event_id, sizeof old->close_event_id, e->event_id);
    }
    if (e->access.action == VK_ACCESS_GRANT && p->n_grants < 2 * p->cap) {
        bgrant *g = &p->grants[p->n_grants++];
        memset(g, 0, sizeof *g);
        g->is_new = true;
        copy_str(g->g.grant_event_id, sizeof g->g.grant_event_id, e->event_id);
        copy_str(g->g.user_id, sizeof g->g.user_id, e->user_id);
        copy_str(g->g.facility_code, sizeof g->g.facility_code, e->facility);
        copy_str(g->g.district_code, sizeof g->g.district_code, e->district);
        copy_str(g->g.role, sizeof g->g.role, e->role);
        copy_str(g->g.granted_by, sizeof g->g.granted_by, e->actor);
        g->g.granted_at = e->occurred_at;
        g->g.has_valid_until = e->access.has_valid_until;
        g->g.valid_until = e->access.valid_until;
    }
    e->out = OUT_APPLIED;
}

/* A desk event through the per-dose state machine (lib/domain/vk_dose.c). */
static void apply_desk(projector *p, pevent *e) {
    pstate *s = state_of(p, e->nik);
    s->person.is_target = s->exists;
    char code[32], reason[512];
    switch (
        vk_dose_apply(&s->person, &e->desk, p->catalog, code, sizeof code, reason, sizeof reason)) {
    case VK_DESK_APPLIED: {
        int i = e->desk.dose - 1;
        s->dirty |= 1u << i;
        copy_str(s->dose_event_id[i], sizeof s->dose_event_id[i], e->event_id);
        s->dose_updated_at[i] = e->occurred_at;
        e->out = OUT_APPLIED;
        break;
    }
    case VK_DESK_UNCHANGED:
        e->out = OUT_UNCHANGED;
        break;
    case VK_DESK_REFUSED:
        reject(e, code, reason);
        break;
    }
}

static void decide(projector *p) {
    for (int i = 0; i < p->n; i++) {
        pevent *e = &p->ev[i];
        if (e->type == EV_UNDECODABLE) {
            e->out = OUT_REJECTED;
            snprintf(e->code, sizeof e->code, "UNDECODABLE");
            continue;
        }
        if (vk_strmap_get(p->seen, e->event_id, NULL)) {
            e->out = OUT_DUPLICATE;
            continue;
        }
        vk_strmap_put(p->seen, e->event_id, 1);
        if (e->type == EV_TICKET_ISSUED)
            apply_ticket(p, e);
        else if (e->type >= EV_REGISTERED && e->type <= EV_VACCINATED)
            apply_desk(p, e);
        else if (e->type == EV_ACCESS)
            apply_access(p, e);
        else
            verification_apply(p, e);
    }
}

/* ---- Writing ---- */

/*
 * The session's staging tables (ON COMMIT DELETE ROWS), created once per connection: changed
 * rows are COPYed into them and merged with one statement. A rolled-back batch may have created
 * them inside its transaction, so a rollback forgets them (projector_flush).
 */
static int ensure_staging(projector *p, PGconn *db) {
    if (p->temp_tables_pid == PQbackendPID(db))
        return 0;
    if (vk_pg_exec(db,
                   "CREATE TEMP TABLE IF NOT EXISTS dose_in (LIKE dose) ON COMMIT DELETE ROWS") ||
        vk_pg_exec(db, "CREATE TEMP TABLE IF NOT EXISTS target_upd (nik char(16), name text,"
                       " birth_date date, sex char(1), phone text, facility_code text,"
                       " scheduled_date date, flags text[], updated_event_id uuid,"
                       " updated_at timestamptz) ON COMMIT DELETE ROWS") ||
        verification_staging(db))
        return -1;
    p->temp_tables_pid = PQbackendPID(db);
    return 0;
}

/* Sends a binary COPY when it holds rows. A writer that failed is a bug or out of memory: the
 * batch fails (and is retried) rather than send rows that were not all written. */
static int copyb_send(PGconn *db, vk_copyb *w, const char *copy_sql) {
    if (w->rows == 0)
        return 0;
    if (vk_copyb_finish(w)) {
        vk_error("msg=\"cannot build COPY data\" statement=\"%.40s\" rows=%zu", copy_sql, w->rows);
        return -1;
    }
    return vk_pg_copy(db, copy_sql, w->b);
}

static void copy_target_row(vk_copyb *w, const pstate *s) {
    const vk_target *t = &s->t;
    char sex[2] = {t->sex, 0};
    vk_copyb_row(w, 15);
    vk_copyb_text(w, t->nik), vk_copyb_text(w, t->ticket), vk_copyb_text(w, t->name);
    vk_copyb_date(w, t->birth_date), copyb_opt(w, sex), copyb_opt(w, t->phone);
    copyb_opt(w, t->category), copyb_opt(w, t->facility_code);
    if (t->has_scheduled_date)
        vk_copyb_date(w, t->scheduled_date);
    else
        vk_copyb_null(w);
    vk_copyb_text(w, t->origin), vk_copyb_text_array(w, t->flags);
    vk_copyb_uuid(w, s->created_event_id);
    vk_copyb_uuid(w, s->updated ? s->updated_event_id : s->created_event_id);
    vk_copyb_ts(w, s->created_at), vk_copyb_ts(w, s->updated ? s->updated_at : s->created_at);
}

#define TARGET_COLUMNS                                                                             \
    "(nik, ticket, name, birth_date, sex, phone, category, facility_code, scheduled_date, origin," \
    " flags, created_event_id, updated_event_id, created_at, updated_at)"

/* New targets by COPY; corrected ones through the staging table and one UPDATE. */
static int write_targets(projector *p, PGconn *db) {
    vk_buf *b = &p->copy;
    vk_copyb w;
    vk_copyb_start(&w, b);
    for (int i = 0; i < p->n_st; i++)
        if (p->st[i].created)
            copy_target_row(&w, &p->st[i]);
    if (copyb_send(db, &w, "COPY target " TARGET_COLUMNS " FROM STDIN WITH (FORMAT binary)"))
        return -1;
    vk_buf_reset(b);
    for (int i = 0; i < p->n_st; i++) {
        const pstate *s = &p->st[i];
        if (!s->updated || s->created)
            continue;
        const vk_target *t = &s->t;
        char sex[2] = {t->sex, 0};
        vk_copy_text(b, t->nik), vk_copy_sep(b), vk_copy_text(b, t->name), vk_copy_sep(b);
        vk_copy_date(b, t->birth_date), vk_copy_sep(b), copy_opt(b, sex), vk_copy_sep(b);
        copy_opt(b, t->phone), vk_copy_sep(b), copy_opt(b, t->facility_code), vk_copy_sep(b);
        if (t->has_scheduled_date)
            vk_copy_date(b, t->scheduled_date);
        else
            vk_copy_null(b);
        vk_copy_sep(b), vk_buf_append(b, "{", 1), vk_copy_text(b, t->flags);
        vk_buf_append(b, "}", 1), vk_copy_sep(b), vk_copy_text(b, s->updated_event_id);
        vk_copy_sep(b), vk_copy_ts(b, s->updated_at), vk_copy_eol(b);
    }
    if (b->len == 0)
        return 0;
    return ensure_staging(p, db) || vk_pg_copy(db, "COPY target_upd FROM STDIN", b) ||
                   vk_pg_exec(db,
                              "UPDATE target t SET name = u.name, birth_date = u.birth_date,"
                              " sex = u.sex, phone = u.phone, facility_code = u.facility_code,"
                              " scheduled_date = u.scheduled_date, flags = u.flags,"
                              " updated_event_id = u.updated_event_id,"
                              " updated_at = u.updated_at FROM target_upd u WHERE t.nik = u.nik")
               ? -1
               : 0;
}

static void copy_dose_row(vk_buf *b, const pstate *s, int i) {
    static const char *const results[] = {"PROCEED", "POSTPONE", "NOT_GIVEN"};
    const vk_dose_row *d = &s->person.doses[i];
    bool given = d->status == VK_DOSE_VACCINATED;
    vk_copy_text(b, s->t.nik), vk_copy_sep(b);
    vk_buf_printf(b, "%d\t%s\t%d\t", d->dose, vk_dose_status_name(d->status), d->visits);
    vk_copy_text(b, d->registered_facility), vk_copy_sep(b);
    vk_copy_ts(b, d->registered_at), vk_copy_sep(b);
    copy_opt(b, d->has_screening ? results[d->screening_result] : ""), vk_copy_sep(b);
    copy_opt(b, d->has_screening ? d->screening_facility : ""), vk_copy_sep(b);
    copy_opt_ts(b, d->has_screening, d->screened_at), vk_copy_sep(b);
    if (d->has_temperature)
        vk_buf_printf(b, "%.1f", (double)d->temperature_c);
    else
        vk_copy_null(b);
    vk_copy_sep(b);
    if (d->has_systolic)
        vk_buf_printf(b, "%d", d->systolic);
    else
        vk_copy_null(b);
    vk_copy_sep(b);
    if (d->has_diastolic)
        vk_buf_printf(b, "%d", d->diastolic);
    else
        vk_copy_null(b);
    vk_copy_sep(b);
    copy_opt(b, given ? d->vaccine : ""), vk_copy_sep(b);
    copy_opt(b, given ? d->batch : ""), vk_copy_sep(b);
    copy_opt(b, given ? d->vaccinating_facility : ""), vk_copy_sep(b);
    copy_opt_ts(b, given, d->vaccinated_at), vk_copy_sep(b);
    vk_copy_text(b, s->dose_event_id[i]), vk_copy_sep(b);
    vk_copy_ts(b, s->dose_updated_at[i]), vk_copy_eol(b);
}

/* Changed dose rows: COPY into a session staging table, then one upsert. */
static int write_doses(projector *p, PGconn *db) {
    vk_buf *b = &p->copy;
    vk_buf_reset(b);
    for (int k = 0; k < p->n_st; k++)
        for (int i = 0; i < VK_MAX_DOSES; i++)
            if (p->st[k].dirty & (1u << i))
                copy_dose_row(b, &p->st[k], i);
    if (b->len == 0)
        return 0;
    return ensure_staging(p, db) || vk_pg_copy(db, "COPY dose_in FROM STDIN", b) ||
                   vk_pg_exec(db, "INSERT INTO dose SELECT * FROM dose_in ON CONFLICT (nik, dose) "
                                  "DO UPDATE SET"
                                  " status = EXCLUDED.status, visits = EXCLUDED.visits,"
                                  " registered_facility = EXCLUDED.registered_facility,"
                                  " registered_at = EXCLUDED.registered_at,"
                                  " screening_result = EXCLUDED.screening_result,"
                                  " screening_facility = EXCLUDED.screening_facility,"
                                  " screened_at = EXCLUDED.screened_at, temperature_c = "
                                  "EXCLUDED.temperature_c,"
                                  " systolic = EXCLUDED.systolic, diastolic = EXCLUDED.diastolic,"
                                  " vaccine = EXCLUDED.vaccine, batch = EXCLUDED.batch,"
                                  " vaccinating_facility = EXCLUDED.vaccinating_facility,"
                                  " vaccinated_at = EXCLUDED.vaccinated_at,"
                                  " updated_event_id = EXCLUDED.updated_event_id,"
                                  " updated_at = EXCLUDED.updated_at")
               ? -1
               : 0;
}

/* New grants by COPY; grants closed by the batch by one UPDATE each (access changes are rare). */
static int write_grants(projector *p, PGconn *db) {
    vk_buf *b = &p->copy;
    vk_buf_reset(b);
    for (int i = 0; i < p->n_grants; i++) {
        const bgrant *g = &p->grants[i];
        if (!g->is_new)
            continue;
        vk_copy_text(b, g->g.grant_event_id), vk_copy_sep(b), vk_copy_text(b, g->g.user_id);
        vk_copy_sep(b), vk_copy_text(b, g->g.facility_code), vk_copy_sep(b);
        vk_copy_text(b, g->g.district_code), vk_copy_sep(b), vk_copy_text(b, g->g.role);
        vk_copy_sep(b), vk_copy_text(b, g->g.granted_by), vk_copy_sep(b);
        vk_copy_ts(b, g->g.granted_at), vk_copy_sep(b);
        copy_opt_ts(b, g->g.has_valid_until, g->g.valid_until), vk_copy_sep(b);
        if (g->closed) {
            vk_copy_ts(b, g->closed_at), vk_copy_sep(b), vk_copy_text(b, g->closed_by);
            vk_copy_sep(b), vk_copy_text(b, g->close_event_id);
        } else {
            vk_copy_null(b), vk_copy_sep(b), vk_copy_null(b), vk_copy_sep(b), vk_copy_null(b);
        }
        vk_copy_eol(b);
    }
    if (b->len && vk_pg_copy(db,
                             "COPY access_grant (grant_event_id, user_id, facility_code,"
                             " district_code, role, granted_by, granted_at, valid_until,"
                             " revoked_at, revoked_by, revoke_event_id) FROM STDIN",
                             b))
        return -1;
    static vk_pg_stmt close =
        VK_PG_STMT("close_grant",
                   "UPDATE access_grant SET revoked_at = $2::timestamptz, revoked_by = $3,"
                   " revoke_event_id = $4::uuid WHERE grant_event_id = $1::uuid",
                   4);
    for (int i = 0; i < p->n_grants; i++) {
        const bgrant *g = &p->grants[i];
        if (g->is_new || !g->closed)
            continue;
        vk_buf ts = VK_BUF_INIT;
        vk_copy_ts(&ts, g->closed_at);
        vk_buf_append(&ts, "", 1);
        const char *params[4] = {g->g.grant_event_id, (const char *)ts.data, g->closed_by,
                                 g->close_event_id};
        PGresult *r = vk_pg_run(db, &close, PGRES_COMMAND_OK, params);
        vk_buf_free(&ts);
        if (!r)
            return -1;
        PQclear(r);
    }
    return 0;
}

static const char *outcome_name(outcome o) {
    return o == OUT_APPLIED ? "APPLIED" : o == OUT_UNCHANGED ? "UNCHANGED" : "REJECTED";
}

static int write_log(projector *p, PGconn *db) {
    vk_copyb w;
    vk_copyb_start(&w, &p->copy);
    for (int i = 0; i < p->n; i++) {
        const pevent *e = &p->ev[i];
        if (e->type == EV_UNDECODABLE || e->out == OUT_DUPLICATE)
            continue;
        vk_copyb_row(&w, 12);
        vk_copyb_uuid(&w, e->event_id), copyb_opt(&w, e->nik);
        vk_copyb_text(&w, event_types[e->type]), vk_copyb_text(&w, outcome_name(e->out));
        vk_copyb_text(&w, rd_kafka_topic_name(e->m->rkt));
        vk_copyb_int4(&w, e->m->partition), vk_copyb_int8(&w, e->m->offset);
        vk_copyb_text(&w, e->causation), vk_copyb_text(&w, e->source);
        if (e->has_actor)
            vk_copyb_text(&w, e->actor);
        else
            vk_copyb_null(&w);
        vk_copyb_ts(&w, e->occurred_at), vk_copyb_bytes(&w, e->m->payload, e->m->len);
    }
    return copyb_send(db, &w,
                      "COPY event_log (event_id, nik, event_type, outcome, topic, partition,"
                      " \"offset\", causation_id, source, actor, occurred_at, value)"
                      " FROM STDIN WITH (FORMAT binary)");
}

static int write_rejections(projector *p, PGconn *db) {
    vk_buf *b = &p->copy;
    vk_buf_reset(b);
    for (int i = 0; i < p->n; i++) {
        const pevent *e = &p->ev[i];
        if (e->out != OUT_REJECTED)
            continue;
        bool raw = e->type == EV_UNDECODABLE;
        char id[37];
        if (raw) { /* no event id to trust: derive one from where the bytes sit */
            char where[256];
            snprintf(where, sizeof where, "%s/%" PRId32 "/%" PRId64, rd_kafka_topic_name(e->m->rkt),
                     e->m->partition, e->m->offset);
            vk_derive_event_id(PROJECTOR_SERVICE, where, 0, id);
        }
        char key[64] = "";
        if (raw && e->m->key && e->m->key_len < sizeof key)
            memcpy(key, e->m->key, e->m->key_len), key[e->m->key_len] = '\0';
        vk_copy_text(b, raw ? id : e->event_id), vk_copy_sep(b);
        copy_opt(b, raw ? key : e->nik), vk_copy_sep(b);
        vk_copy_text(b, raw ? "UNDECODABLE" : event_types[e->type]), vk_copy_sep(b);
        vk_copy_text(b, e->code), vk_copy_sep(b), vk_copy_text(b, e->reason), vk_copy_sep(b);
        if (raw)
            vk_copy_ts(b, msg_time(e->m));
        else
            vk_copy_ts(b, e->occurred_at);
        vk_copy_sep(b), vk_copy_text(b, rd_kafka_topic_name(e->m->rkt)), vk_copy_sep(b);
        vk_buf_printf(b, "%" PRId32 "\t%" PRId64 "\t", e->m->partition, e->m->offset);
        if (raw)
            vk_copy_bytea(b, e->m->payload, e->m->len);
        else
            vk_copy_null(b);
        vk_copy_eol(b);
    }
    if (b->len == 0)
        return 0;
    return vk_pg_copy(db,
                      "COPY rejection (event_id, nik, event_type, reason_code, reason, occurred_at,"
                      " topic, partition, \"offset\", raw) FROM STDIN",
                      b);
}

/* Per partition of the batch: the first offset seen and the next offset to store. */
typedef struct part_span {
    const char *topic;
    int32_t partition;
    int64_t first, next;
} part_span;

static int spans_of(const projector *p, part_span *spans, int max) {
    int n = 0;
    for (int i = 0; i < p->n; i++) {
        const rd_kafka_message_t *m = p->ev[i].m;
        int k = 0;
        while (k < n && !(spans[k].partition == m->partition &&
                          strcmp(spans[k].topic, rd_kafka_topic_name(m->rkt)) == 0))
            k++;
        if (k == n) {
            if (n == max)
                continue;
            spans[n++] = (part_span){rd_kafka_topic_name(m->rkt), m->partition, m->offset, 0};
        }
        if (m->offset + 1 > spans[k].next)
            spans[k].next = m->offset + 1;
    }
    return n;
}

/* Appends "{a,b,c}" of the spans' topics, partitions or offsets to b (array literals). */
static void span_arrays(const part_span *spans, int n, vk_buf *topics, vk_buf *parts,
                        vk_buf *firsts, vk_buf *nexts) {
    vk_buf_append(topics, "{", 1), vk_buf_append(parts, "{", 1);
    vk_buf_append(firsts, "{", 1), vk_buf_append(nexts, "{", 1);
    for (int k = 0; k < n; k++) {
        const char *sep = k ? "," : "";
        vk_buf_append_str(topics, sep), vk_array_elem(topics, spans[k].topic);
        vk_buf_printf(parts, "%s%" PRId32, sep, spans[k].partition);
        vk_buf_printf(firsts, "%s%" PRId64, sep, spans[k].first);
        vk_buf_printf(nexts, "%s%" PRId64, sep, spans[k].next);
    }
    vk_buf_append(topics, "}", 2), vk_buf_append(parts, "}", 2);
    vk_buf_append(firsts, "}", 2), vk_buf_append(nexts, "}", 2);
}

/*
 * Locks this group's offset rows for the batch's partitions and stores the new ones, in two
 * statements whatever the partition count. A stored offset beyond the batch's first offset
 * means another instance got there first (a rebalance left this one with a stale batch).
 */
static int check_and_store_offsets(projector *p, PGconn *db, bool *stale) {
    part_span spans[1024];
    int n = spans_of(p, spans, 1024);
    vk_buf topics = VK_BUF_INIT, parts = VK_BUF_INIT, firsts = VK_BUF_INIT, nexts = VK_BUF_INIT;
    span_arrays(spans, n, &topics, &parts, &firsts, &nexts);
    const char *params[5] = {p->group, (const char *)topics.data, (const char *)parts.data,
                             (const char *)firsts.data, (const char *)nexts.data};
    int rc = -1;
    static vk_pg_stmt lock = VK_PG_STMT(
        "lock_offsets",
        "SELECT o.topic, o.partition, o.next_offset, b.first FROM consumer_offset o"
        " JOIN unnest($2::text[], $3::int[], $4::bigint[]) AS b(topic, partition, first)"
        " USING (topic, partition) WHERE o.consumer_group = $1 ORDER BY 1, 2 FOR UPDATE OF o",
        4);
    PGresult *r = vk_pg_run(db, &lock, PGRES_TUPLES_OK, params);
    if (!r)
        goto out;
    for (int i = 0; i < PQntuples(r); i++) {
        int64_t stored = strtoll(PQgetvalue(r, i, 2), NULL, 10);
        int64_t first = strtoll(PQgetvalue(r, i, 3), NULL, 10);
        if (stored > first) {
            vk_warn("msg=\"stale batch: offsets already stored by another instance\" topic=%s"
                    " partition=%s stored=%" PRId64 " batch_first=%" PRId64,
                    PQgetvalue(r, i, 0), PQgetvalue(r, i, 1), stored, first);
            *stale = true;
        }
    }
    PQclear(r);
    if (*stale) {
        rc = 0;
        goto out;
    }
    const char *up[4] = {p->group, params[1], params[2], params[4]};
    static vk_pg_stmt store = VK_PG_STMT(
        "store_offsets",
        "INSERT INTO consumer_offset (consumer_group, topic, partition, next_offset)"
        " SELECT $1, t, p, o FROM unnest($2::text[], $3::int[], $4::bigint[]) AS x(t, p, o)"
        " ON CONFLICT (consumer_group, topic, partition)"
        " DO UPDATE SET next_offset = EXCLUDED.next_offset",
        4);
    r = vk_pg_run(db, &store, PGRES_COMMAND_OK, up);
    if (r) {
        PQclear(r);
        rc = 0;
    }
out:
    vk_buf_free(&topics), vk_buf_free(&parts), vk_buf_free(&firsts), vk_buf_free(&nexts);
    return rc;
}

static void reset_batch_state(projector *p) {
    vk_strmap_clear(p->by_nik);
    vk_strmap_clear(p->by_ticket);
    vk_strmap_clear(p->seen);
    vk_strmap_clear(p->facility_district);
    p->n_st = p->n_grants = p->n_districts = 0;
    verification_reset(p);
    for (int i = 0; i < p->n; i++) {
        p->ev[i].out = OUT_NONE;
        if (p->ev[i].type != EV_UNDECODABLE)
            p->ev[i].reason[0] = '\0';
        p->ev[i].code[0] = '\0';
    }
}

static void count(projector *p) {
    projector_stats *s = &p->stats;
    s->batches++;
    for (int i = 0; i < p->n; i++) {
        s->events++;
        switch (p->ev[i].out) {
        case OUT_APPLIED:
            s->applied++;
            break;
        case OUT_UNCHANGED:
            s->unchanged++;
            break;
        case OUT_REJECTED:
            s->rejected++;
            s->undecodable += p->ev[i].type == EV_UNDECODABLE;
            break;
        case OUT_DUPLICATE:
            s->duplicates++;
            break;
        case OUT_NONE:
            break;
        }
    }
}

int projector_flush(projector *p, PGconn *db, bool *stale) {
    *stale = false;
    if (p->n == 0)
        return 0;
    reset_batch_state(p);
    int64_t t0 = vk_mono_ms(), t1 = t0, t2 = t0, t3 = t0;
    if (vk_pg_exec(db, "BEGIN"))
        return -1;
    int rc = check_and_store_offsets(p, db, stale);
    if (rc == 0 && !*stale)
        rc = load_seen(p, db) || load_targets(p, db) || load_doses(p, db) ||
                     verification_load(p, db) || load_ticket_owners(p, db) || load_access(p, db)
                 ? -1
                 : 0;
    if (rc == 0 && !*stale) {
        t1 = vk_mono_ms();
        decide(p);
        t2 = vk_mono_ms();
        rc = write_targets(p, db) || write_doses(p, db) || write_grants(p, db) ||
                     ensure_staging(p, db) || verification_write(p, db) || write_log(p, db) ||
                     write_rejections(p, db)
                 ? -1
                 : 0;
        t3 = vk_mono_ms();
    }
    if (rc || *stale) {
        vk_pg_exec(db, "ROLLBACK");
        p->temp_tables_pid = 0; /* staging tables created by this transaction are gone */
        return rc;
    }
    if (vk_pg_exec(db, "COMMIT"))
        return -1;
    p->stats.ms_load += t1 - t0;
    p->stats.ms_decide += t2 - t1;
    p->stats.ms_write += t3 - t2;
    p->stats.ms_commit += vk_mono_ms() - t3;
    count(p);
    projector_discard(p);
    return 0;
}

int projector_load_offsets(projector *p, PGconn *db, rd_kafka_topic_partition_list_t *parts) {
    for (int i = 0; i < parts->cnt; i++) {
        char part[16];
        snprintf(part, sizeof part, "%" PRId32, parts->elems[i].partition);
        const char *params[3] = {p->group, parts->elems[i].topic, part};
        PGresult *r =
            vk_pg_query(db, PGRES_TUPLES_OK,
                        "SELECT next_offset FROM consumer_offset WHERE consumer_group = $1"
                        " AND topic = $2 AND partition = $3::int",
                        3, params);
        if (!r)
            return -1;
        parts->elems[i].offset =
            PQntuples(r) ? strtoll(PQgetvalue(r, 0, 0), NULL, 10) : RD_KAFKA_OFFSET_BEGINNING;
        PQclear(r);
    }
    return 0;
}
