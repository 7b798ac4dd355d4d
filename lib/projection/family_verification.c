/*
 * family_verification.c — the verification family: how the projector records target-data
 * verification (the 1.5.0 feature):
 *
 *   VerificationPending   (vaksin-verification authorized the actor) → a verification row,
 *                         PENDING, with the request, the actor and the grant;
 *   VerificationRefused   (the actor may not ask)                    → a row REJECTED with the
 *                         refusal, and a rejection;
 *   VerificationEnriched  (vaksin-lookup's evidence and verdict)     → vk_verify_apply decides
 *                         against the person's state at this point of the log: APPLIED (the
 *                         target corrected or added), still PENDING (a source down: the worker
 *                         retries), or REJECTED; every requested field is kept with its old and
 *                         new value in verification_change.
 *
 * Rows are keyed by request_id (the VerificationRequested's event id). One batch may hold a
 * request's Pending and its Enriched; a row made by the batch is inserted once with its final
 * state, a row from an earlier batch is updated through a staging table. Timestamps come from
 * the log (requested_at = the request's occurred_at, decided_at/updated_at = the deciding
 * event's log timestamp), so a replay gives the same rows.
 */
#include "batch.h"

#include "vk_codec.h"
#include "vk_log.h"
#include "vk_time.h"
#include "vk_uuid.h"
#include "vk_value.h"
#include "vk_verify.h"

#include <inttypes.h>
#include <stdarg.h>
#include <jansson.h>
#include <string.h>

/* What a Verification* payload says (allocated per event, freed with the batch). */
typedef struct vevent {
    char request_id[37];
    bool addition;
    char facility[32];
    char name[256], phone[32], new_facility[32];
    vk_target_changes ch; /* points into the arrays above */
    bool has_request_reason;
    char request_reason[512];
    char ticket[32];
    bool has_grant;
    char grant_event_id[37], grant_district[8], granted_by[64];
    int64_t granted_at;
    char *changes_json, *evidence_json;
    int verdict; /* vk_verdict; -1 when the event has none */
    int attempt;
    bool has_retry_at;
    int64_t retry_at;
    char refusal_code[32], refusal[512];
    char evidence_words[600];
} vevent;

/* A verification row during the batch. */
typedef struct vstate {
    char request_id[37], nik[17];
    bool loaded;  /* the row exists in the database: update it when dirty */
    bool is_new;  /* made by this batch: insert it */
    bool dirty;   /* changed by this batch */
    bool decided; /* decided by this batch: write its field changes */
    bool addition;
    char status[10], code[32], reason[1024];
    const pevent *origin; /* new rows: the event whose columns the row starts from */
    char ticket[32];
    int verdict;
    const char *evidence_json;
    int lookups;
    bool has_retry_at;
    int64_t retry_at;
    bool has_decided_at;
    int64_t decided_at;
    char last_event_id[37];
    int64_t updated_at;
    vk_field_change ch[VK_CHANGE_FIELDS];
    int n_ch;
} vstate;

/* The family's state: the verification rows of the batch, by request id. */
typedef struct vfam {
    int cap;
    vstate *vs; /* room for cap rows: every verification event adds at most one */
    int n_vs;
    vk_strmap *by_request;
} vfam;

/* ---- Decoding ---- */

static char *to_json(const avro_value_t *v) {
    json_t *j = vk_avro_to_json(v, avro_value_get_schema(v));
    char *text = j ? json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref(j);
    return text;
}

static void decode_changes(const avro_value_t *pl, vevent *v) {
    avro_value_t c;
    if (vk_value_get_field(pl, "changes", &c))
        return;
    const char *s;
    int sex = -1;
    vk_target_changes *ch = &v->ch;
    if (!vk_value_get_opt_str(&c, "name", &s) && s)
        vk_str_copy(v->name, sizeof v->name, s), ch->name = v->name;
    vk_value_get_opt_int(&c, "birth_date", &ch->has_birth_date, &ch->birth_date);
    if (!vk_value_get_opt_enum(&c, "sex", &sex) && sex >= 0)
        ch->sex = sex == 0 ? 'L' : 'P';
    if (!vk_value_get_opt_str(&c, "phone", &s) && s)
        vk_str_copy(v->phone, sizeof v->phone, s), ch->phone = v->phone;
    if (!vk_value_get_opt_str(&c, "facility_code", &s) && s)
        vk_str_copy(v->new_facility, sizeof v->new_facility, s),
            ch->facility_code = v->new_facility;
    vk_value_get_opt_int(&c, "scheduled_date", &ch->has_scheduled_date, &ch->scheduled_date);
    v->changes_json = to_json(&c);
}

static void decode_grant(const avro_value_t *pl, vevent *v) {
    avro_value_t g;
    const char *s;
    if (vk_value_get_field(pl, "grant", &g) || vk_value_get_str(&g, "grant_event_id", &s))
        return;
    v->has_grant = vk_uuid_parse(s, (uint8_t[16]){0}) == 0;
    vk_str_copy(v->grant_event_id, sizeof v->grant_event_id, s);
    if (!vk_value_get_str(&g, "district_code", &s))
        vk_str_copy(v->grant_district, sizeof v->grant_district, s);
    if (!vk_value_get_opt_str(&g, "granted_by", &s) && s)
        vk_str_copy(v->granted_by, sizeof v->granted_by, s);
    vk_value_get_long(&g, "granted_at", &v->granted_at);
}

/* Appends printf-style text to words (truncating, never overflowing). */
__attribute__((format(printf, 3, 4))) static void words_add(char *words, size_t len,
                                                            const char *fmt, ...) {
    size_t used = strlen(words);
    if (used + 1 >= len)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(words + used, len - used, fmt, ap);
    va_end(ap);
}

/* A short account of the evidence for the reason an officer reads: per source its status and
 * message, and per field whether it agrees (with JKN's value or Dukcapil's score). */
static void evidence_words(const avro_value_t *evidence, char *words, size_t len) {
    static const char *const sources[] = {"JKN", "Dukcapil"};
    static const char *const statuses[] = {"found", "not found", "unavailable"};
    size_t n = 0;
    words[0] = '\0';
    if (avro_value_get_size(evidence, &n))
        return;
    for (size_t i = 0; i < n; i++) {
        avro_value_t ev, fields, f;
        int source = 0, status = 0;
        const char *msg = NULL;
        if (avro_value_get_by_index(evidence, i, &ev, NULL))
            continue;
        vk_value_get_enum(&ev, "source", &source);
        vk_value_get_enum(&ev, "status", &status);
        vk_value_get_opt_str(&ev, "message", &msg);
        words_add(words, len, i ? "; %s: %s" : "%s: %s", sources[source & 1],
                  statuses[status >= 0 && status < 3 ? status : 0]);
        if (msg && *msg)
            words_add(words, len, " (%s)", msg);
        size_t nf = 0;
        if (status != 0 || vk_value_get_field(&ev, "fields", &fields) ||
            avro_value_get_size(&fields, &nf))
            continue;
        for (size_t k = 0; k < nf; k++) {
            const char *field = NULL, *value = NULL;
            bool has_match = false, has_score = false;
            int32_t match = 0, score = 0;
            avro_value_t m, branch;
            if (avro_value_get_by_index(&fields, k, &f, NULL) ||
                vk_value_get_str(&f, "field", &field))
                continue;
            vk_value_get_opt_str(&f, "value", &value);
            if (!vk_value_get_field(&f, "match", &m) &&
                !avro_value_get_current_branch(&m, &branch) &&
                avro_value_get_type(&branch) == AVRO_BOOLEAN) {
                int bv = 0;
                avro_value_get_boolean(&branch, &bv);
                has_match = true;
                match = bv;
            }
            vk_value_get_opt_int(&f, "score", &has_score, &score);
            words_add(words, len, ", %s %s", field,
                      !has_match ? "unknown"
                      : match    ? "agrees"
                                 : "differs");
            if (value && has_match && !match)
                words_add(words, len, " (has \"%s\")", value);
            if (has_score)
                words_add(words, len, " (score %d)", (int)score);
        }
    }
}

static void decode(pevent *e, const avro_value_t *pl) {
    vevent *v = calloc(1, sizeof *v);
    if (!v) {
        e->type = EV_UNDECODABLE;
        snprintf(e->reason, sizeof e->reason, "out of memory decoding a verification event");
        return;
    }
    e->as.verification = v;
    v->verdict = -1;
    const char *s;
    int kind = 0;
    if (vk_value_get_str(pl, "request_id", &s) || vk_uuid_parse(s, (uint8_t[16]){0})) {
        snprintf(e->reason, sizeof e->reason, "%s: request_id is not a UUID", event_types[e->type]);
        e->type = EV_UNDECODABLE;
        return;
    }
    vk_str_copy(v->request_id, sizeof v->request_id, s);
    vk_value_get_enum(pl, "kind", &kind);
    v->addition = kind == 1;
    if (!vk_value_get_str(pl, "facility_code", &s))
        vk_str_copy(v->facility, sizeof v->facility, s);
    if (!vk_value_get_opt_str(pl, "reason", &s) && s) {
        vk_str_copy(v->request_reason, sizeof v->request_reason, s);
        v->has_request_reason = true;
    }
    decode_changes(pl, v);
    if (e->type == EV_VERIFICATION_REFUSED) {
        if (!vk_value_get_str(pl, "code", &s))
            vk_str_copy(v->refusal_code, sizeof v->refusal_code, s);
        if (!vk_value_get_str(pl, "refusal", &s))
            vk_str_copy(v->refusal, sizeof v->refusal, s);
        return;
    }
    decode_grant(pl, v);
    if (e->type == EV_VERIFICATION_PENDING) {
        if (!vk_value_get_opt_str(pl, "ticket", &s) && s)
            vk_str_copy(v->ticket, sizeof v->ticket, s);
        return;
    }
    avro_value_t evidence;
    vk_value_get_enum(pl, "verdict", &v->verdict);
    vk_value_get_int(pl, "attempt", &v->attempt);
    vk_value_get_opt_long(pl, "retry_at", &v->has_retry_at, &v->retry_at);
    if (!vk_value_get_field(pl, "evidence", &evidence)) {
        v->evidence_json = to_json(&evidence);
        evidence_words(&evidence, v->evidence_words, sizeof v->evidence_words);
    }
}

static void release(pevent *e) {
    vevent *v = e->as.verification;
    if (!v)
        return;
    free(v->changes_json);
    free(v->evidence_json);
    free(v);
    e->as.verification = NULL;
}

/* ---- Loading ---- */

static vstate *find(vfam *p, const char *request_id) {
    long i;
    return vk_strmap_get(p->by_request, request_id, &i) ? &p->vs[i] : NULL;
}

/* p->vs has room for p->cap rows and every verification event of a batch (p->cap at most) adds
 * at most one (loaded or created), so it cannot fill up. */
static vstate *add(vfam *p, const char *request_id, const char *nik) {
    vstate *s = &p->vs[p->n_vs];
    memset(s, 0, sizeof *s);
    vk_str_copy(s->request_id, sizeof s->request_id, request_id);
    vk_str_copy(s->nik, sizeof s->nik, nik);
    s->verdict = -1;
    vk_strmap_put(p->by_request, request_id, p->n_vs++);
    return s;
}

/* The verification rows the batch's requests refer to (one query), then the tickets of its
 * additions, whose owners must be known before an addition takes a ticket number. */
static int load(void *st, batch *b, PGconn *db) {
    vfam *p = st;
    vk_buf ids = VK_BUF_INIT;
    vk_buf_append(&ids, "{", 1);
    int k = 0;
    for (int i = 0; i < b->n; i++)
        if (b->ev[i].fam == &family_verification && b->ev[i].type != EV_UNDECODABLE) {
            vk_buf_append_str(&ids, k++ ? "," : "");
            vk_pg_array_elem(&ids, b->ev[i].as.verification->request_id);
        }
    vk_buf_append(&ids, "}", 2);
    int rc = 0;
    if (k > 0) {
        static vk_pg_stmt stmt = VK_PG_STMT(
            "verifications",
            "SELECT request_id::text, nik, kind, status, ticket, lookups FROM verification"
            " WHERE request_id = ANY($1::uuid[])",
            1);
        const char *params[1] = {(const char *)ids.data};
        PGresult *r = vk_pg_run(db, &stmt, PGRES_TUPLES_OK, params);
        if (!r)
            rc = -1;
        for (int i = 0; r && i < PQntuples(r) && p->n_vs < p->cap; i++) {
            vstate *s = add(p, col(r, i, 0), col(r, i, 1));
            s->loaded = true;
            s->addition = strcmp(col(r, i, 2), "ADDITION") == 0;
            vk_str_copy(s->status, sizeof s->status, col(r, i, 3));
            vk_str_copy(s->ticket, sizeof s->ticket, col(r, i, 4));
            s->lookups = atoi(col(r, i, 5));
        }
        PQclear(r);
    }
    vk_buf_free(&ids);
    for (int i = 0; i < b->n; i++) {
        const pevent *e = &b->ev[i];
        if (e->type == EV_VERIFICATION_PENDING && e->as.verification->addition &&
            e->as.verification->ticket[0])
            persons_want_ticket(b, e->as.verification->ticket);
    }
    for (int i = 0; i < p->n_vs; i++)
        if (p->vs[i].loaded && p->vs[i].addition && p->vs[i].ticket[0])
            persons_want_ticket(b, p->vs[i].ticket);
    return rc;
}

/* ---- Deciding ---- */

/* A row made by this batch from a Pending or Refused (or an Enriched whose Pending is missing). */
static vstate *create_row(vfam *p, pevent *e, const char *status) {
    const vevent *v = e->as.verification;
    vstate *s = add(p, v->request_id, e->nik);
    s->is_new = s->dirty = true;
    s->origin = e;
    s->addition = v->addition;
    vk_str_copy(s->status, sizeof s->status, status);
    vk_str_copy(s->ticket, sizeof s->ticket, v->ticket);
    return s;
}

static void touch(vstate *s, const pevent *e) {
    s->dirty = true;
    vk_str_copy(s->last_event_id, sizeof s->last_event_id, e->event_id);
    s->updated_at = msg_time(e->m);
}

static void decide_final(vstate *s, const pevent *e, const char *status, const char *code,
                         const char *reason) {
    vk_str_copy(s->status, sizeof s->status, status);
    vk_str_copy(s->code, sizeof s->code, code);
    vk_str_copy(s->reason, sizeof s->reason, reason);
    s->has_decided_at = true;
    s->decided_at = msg_time(e->m);
    s->decided = true;
}

/* "registered for dose 1 at P3273020201 on 2021-03-01" when a desk entered the person. */
static const char *served(const pstate *ps, char *out, size_t len) {
    for (int i = 0; i < VK_MAX_DOSES; i++) {
        const vk_dose_row *d = &ps->person.doses[i];
        if (d->dose == 0)
            continue;
        char day[32];
        vk_time_format(d->registered_at + 7 * 3600 * 1000, VK_TIME_S, day,
                       sizeof day); /* the WIB calendar day */
        day[10] = '\0';
        snprintf(out, len, "registered at desk 1 for dose %d at %s on %s (now %s)", d->dose,
                 d->registered_facility, day, vk_dose_status_name(d->status));
        return out;
    }
    return NULL;
}

static void apply_enriched(vfam *p, batch *b, pevent *e) {
    vevent *v = e->as.verification;
    vstate *s = find(p, v->request_id);
    if (!s) /* its Pending is missing from the log: the row starts from this event */
        s = create_row(p, e, "PENDING");
    if (strcmp(s->status, "PENDING") != 0) {
        e->out = OUT_UNCHANGED; /* decided before: a late or repeated lookup changes nothing */
        return;
    }
    touch(s, e);
    s->lookups++;
    s->verdict = v->verdict;
    s->evidence_json = v->evidence_json;
    s->has_retry_at = v->has_retry_at;
    s->retry_at = v->retry_at;

    pstate *ps = persons_get(b, e->nik);
    char where[256], code[32], reason[1024];
    vk_verify_request rq;
    memset(&rq, 0, sizeof rq);
    rq.addition = s->addition;
    rq.nik = e->nik;
    rq.ticket = s->ticket;
    rq.changes = v->ch;
    rq.verdict = v->verdict >= 0 ? (vk_verdict)v->verdict : VK_VERDICT_UNAVAILABLE;
    rq.evidence_words = v->evidence_words;
    vk_target next;
    vk_verify_outcome out =
        vk_verify_apply(ps->exists ? &ps->t : NULL, served(ps, where, sizeof where), &rq, &next,
                        s->ch, &s->n_ch, code, sizeof code, reason, sizeof reason);
    if (out == VK_VERIFY_APPLIED && s->addition && persons_ticket_taken(b, next.ticket)) {
        out = VK_VERIFY_REJECTED;
        vk_str_copy(code, sizeof code, "TICKET_COLLISION");
        vk_str_copy(reason, sizeof reason,
                    "the ticket number derived for this NIK already belongs to another NIK; not "
                    "merged — report to the vaksin operators");
        vk_error("msg=\"ticket collision on addition\" nik=%s ticket=%s", e->nik, next.ticket);
    }
    switch (out) {
    case VK_VERIFY_PENDING:
        vk_str_copy(s->code, sizeof s->code, code);
        vk_str_copy(s->reason, sizeof s->reason, reason);
        e->out = OUT_APPLIED;
        return;
    case VK_VERIFY_REJECTED:
        decide_final(s, e, "REJECTED", code, reason);
        s->has_retry_at = false;
        reject(e, code, reason);
        return;
    case VK_VERIFY_APPLIED:
        break;
    }
    int changed = 0;
    for (int i = 0; i < s->n_ch; i++)
        changed += strcmp(s->ch[i].old_value, s->ch[i].new_value) != 0;
    snprintf(reason, sizeof reason, "%s: %d field%s changed, confirmed by the evidence",
             s->addition ? "target added" : "target corrected", changed, changed == 1 ? "" : "s");
    decide_final(s, e, "APPLIED", "", reason);
    s->has_retry_at = false;
    ps->t = next;
    if (!ps->exists) {
        ps->exists = ps->created = true;
        vk_str_copy(ps->created_event_id, sizeof ps->created_event_id, e->event_id);
        ps->created_at = e->occurred_at;
        persons_take_ticket(b, ps);
    } else {
        ps->updated = true;
        vk_str_copy(ps->updated_event_id, sizeof ps->updated_event_id, e->event_id);
        ps->updated_at = msg_time(e->m);
    }
    e->out = OUT_APPLIED;
}

static void apply(void *st, batch *b, pevent *e) {
    vfam *p = st;
    const vevent *v = e->as.verification;
    if (e->type == EV_VERIFICATION_ENRICHED) {
        apply_enriched(p, b, e);
        return;
    }
    if (find(p, v->request_id)) {
        e->out = OUT_UNCHANGED; /* the same request recorded before */
        return;
    }
    if (e->type == EV_VERIFICATION_PENDING) {
        vstate *s = create_row(p, e, "PENDING");
        touch(s, e);
        vk_str_copy(s->reason, sizeof s->reason,
                    "authorized; waiting for evidence from JKN and Dukcapil");
        e->out = OUT_APPLIED;
        return;
    }
    vstate *s = create_row(p, e, "REJECTED");
    touch(s, e);
    decide_final(s, e, "REJECTED", v->refusal_code, v->refusal);
    s->n_ch = 0; /* never looked at: nothing to compare */
    reject(e, v->refusal_code, v->refusal);
}

/* ---- Writing ---- */

#define VERIFICATION_UPD_COLUMNS                                                                   \
    "(request_id, status, reason_code, reason, verdict, evidence, lookups, retry_at, decided_at,"  \
    " last_event_id, updated_at)"

static const char *const staging[] = {
    "CREATE TEMP TABLE IF NOT EXISTS verification_upd (request_id uuid, status text,"
    " reason_code text, reason text, verdict text, evidence jsonb, lookups int,"
    " retry_at timestamptz, decided_at timestamptz, last_event_id uuid, updated_at timestamptz)"
    " ON COMMIT DELETE ROWS",
    NULL};

static const char *verdict_name_or_empty(int v) {
    return v >= 0 ? vk_verdict_name((vk_verdict)v) : "";
}

/* The columns every write of a row carries (the mutable part). */
static void copy_mutable(vk_buf *b, const vstate *s) {
    vk_copy_text(b, s->status), vk_copy_sep(b), copy_opt(b, s->code), vk_copy_sep(b);
    copy_opt(b, s->reason), vk_copy_sep(b), copy_opt(b, verdict_name_or_empty(s->verdict));
    vk_copy_sep(b), copy_opt(b, s->evidence_json ? s->evidence_json : ""), vk_copy_sep(b);
    vk_buf_printf(b, "%d\t", s->lookups);
    copy_opt_ts(b, s->has_retry_at, s->retry_at), vk_copy_sep(b);
    copy_opt_ts(b, s->has_decided_at, s->decided_at), vk_copy_sep(b);
    vk_copy_text(b, s->last_event_id), vk_copy_sep(b), vk_copy_ts(b, s->updated_at);
    vk_copy_eol(b);
}

static int write_new(vfam *p, PGconn *db, vk_buf *b) {
    vk_buf_reset(b);
    for (int i = 0; i < p->n_vs; i++) {
        const vstate *s = &p->vs[i];
        if (!s->is_new)
            continue;
        const pevent *e = s->origin;
        const vevent *v = e->as.verification;
        vk_copy_text(b, s->request_id), vk_copy_sep(b), vk_copy_text(b, s->nik), vk_copy_sep(b);
        vk_copy_text(b, s->addition ? "ADDITION" : "CORRECTION"), vk_copy_sep(b);
        copy_opt(b, v->facility), vk_copy_sep(b), copy_opt(b, e->has_actor ? e->actor : "");
        vk_copy_sep(b), copy_opt(b, v->has_request_reason ? v->request_reason : "");
        vk_copy_sep(b), vk_copy_text(b, v->changes_json ? v->changes_json : "{}"), vk_copy_sep(b);
        copy_opt(b, s->ticket), vk_copy_sep(b);
        copy_opt(b, v->has_grant ? v->grant_event_id : ""), vk_copy_sep(b);
        copy_opt(b, v->has_grant ? v->grant_district : ""), vk_copy_sep(b);
        copy_opt(b, v->has_grant ? v->granted_by : ""), vk_copy_sep(b);
        copy_opt_ts(b, v->has_grant, v->granted_at), vk_copy_sep(b);
        vk_copy_ts(b, e->occurred_at), vk_copy_sep(b);
        copy_mutable(b, s);
    }
    if (b->len == 0)
        return 0;
    return vk_pg_copy(db,
                      "COPY verification (request_id, nik, kind, facility_code, requested_by,"
                      " request_reason, changes, ticket, grant_event_id, grant_district,"
                      " granted_by, granted_at, requested_at, status, reason_code, reason,"
                      " verdict, evidence, lookups, retry_at, decided_at, last_event_id,"
                      " updated_at) FROM STDIN",
                      b);
}

static int write_updates(vfam *p, PGconn *db, vk_buf *b) {
    vk_buf_reset(b);
    for (int i = 0; i < p->n_vs; i++) {
        const vstate *s = &p->vs[i];
        if (!s->loaded || !s->dirty)
            continue;
        vk_copy_text(b, s->request_id), vk_copy_sep(b);
        copy_mutable(b, s);
    }
    if (b->len == 0)
        return 0;
    return vk_pg_copy(db, "COPY verification_upd " VERIFICATION_UPD_COLUMNS " FROM STDIN", b) ||
                   vk_pg_exec(db, "UPDATE verification v SET status = u.status,"
                                  " reason_code = u.reason_code, reason = u.reason,"
                                  " verdict = u.verdict, evidence = u.evidence,"
                                  " lookups = u.lookups, retry_at = u.retry_at,"
                                  " decided_at = u.decided_at, last_event_id = u.last_event_id,"
                                  " updated_at = u.updated_at"
                                  " FROM verification_upd u WHERE v.request_id = u.request_id")
               ? -1
               : 0;
}

static int write_changes(vfam *p, PGconn *db, vk_buf *b) {
    vk_buf_reset(b);
    for (int i = 0; i < p->n_vs; i++) {
        const vstate *s = &p->vs[i];
        if (!s->decided)
            continue;
        for (int k = 0; k < s->n_ch; k++) {
            vk_copy_text(b, s->request_id), vk_copy_sep(b), vk_copy_text(b, s->nik);
            vk_copy_sep(b), vk_copy_text(b, s->ch[k].field), vk_copy_sep(b);
            copy_opt(b, s->ch[k].old_value), vk_copy_sep(b), copy_opt(b, s->ch[k].new_value);
            vk_copy_eol(b);
        }
    }
    if (b->len == 0)
        return 0;
    return vk_pg_copy(db,
                      "COPY verification_change (request_id, nik, field, old_value, new_value)"
                      " FROM STDIN",
                      b);
}

static int write(void *st, batch *bt, PGconn *db) {
    vfam *p = st;
    if (p->n_vs == 0)
        return 0;
    return write_new(p, db, &bt->copy) || write_updates(p, db, &bt->copy) ||
                   write_changes(p, db, &bt->copy)
               ? -1
               : 0;
}

static void destroy(void *st) {
    vfam *p = st;
    if (!p)
        return;
    vk_strmap_destroy(p->by_request);
    free(p->vs);
    free(p);
}

static void *create(int cap, const vk_catalog *catalog) {
    (void)catalog;
    vfam *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->cap = cap;
    p->by_request = vk_strmap_new((size_t)cap);
    p->vs = calloc((size_t)cap, sizeof *p->vs);
    if (!p->by_request || !p->vs) {
        destroy(p);
        return NULL;
    }
    return p;
}

static void reset(void *st) {
    vfam *p = st;
    vk_strmap_clear(p->by_request);
    p->n_vs = 0;
}

const vk_family family_verification = {
    .name = "verification",
    .first_type = EV_VERIFICATION_PENDING,
    .last_type = EV_VERIFICATION_REFUSED,
    .reads_target = true,
    .reads_doses = true,
    .staging = staging,
    .create = create,
    .destroy = destroy,
    .decode = decode,
    .release = release,
    .reset = reset,
    .load = load,
    .apply = apply,
    .write = write,
};
