/*
 * projector.c — the batch engine of the projection (docs/design.md §1, §5, §9): what every event
 * shares, whatever its family (batch.h lists the families and their hooks).
 *
 * One batch, one PostgreSQL transaction:
 *   1. decode every message's envelope, and its payload through its family (an undecodable
 *      one becomes a rejection that keeps its bytes);
 *   2. check and store the offsets, after making sure under a row lock that no other instance
 *      stored later ones;
 *   3. one query finds which event ids are already in event_log (redeliveries, replays of
 *      aborted transactions) — those are skipped;
 *   4. load: the persons the events read (target rows, dose rows), then each family present in
 *      the batch loads its own rows, then the owners of the ticket numbers the batch may take;
 *   5. decide: the events in log order, each through its family, each seeing the effect of the
 *      ones before;
 *   6. write: the persons, each present family, the event log and the rejections — by COPY and
 *      set-based statements.
 * Decisions depend only on the log and the rows the log produced, so a replay into an empty
 * schema reproduces the same rows.
 */
#include "projector.h"
#include "batch.h"

#include "vk_kafka.h"
#include "vk_log.h"
#include "vk_time.h"
#include "vk_uuid.h"
#include "vk_value.h"

#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const event_types[] = {
    "TicketIssued",        "Registered",          "Screened",
    "Vaccinated",          "VerificationPending", "VerificationEnriched",
    "VerificationRefused", "AccessChanged"};

/* The families, in the order their load and write hooks run. */
static const vk_family *const families[] = {&family_targets, &family_desks, &family_access,
                                            &family_verification};
#define N_FAMILIES ((int)(sizeof families / sizeof *families))

struct projector {
    vk_decoder *dec;        /* TargetEvent */
    vk_decoder *dec_access; /* AccessChanged */
    const vk_family *of_type[EV_TYPES];
    bool reads_target[EV_TYPES], reads_doses[EV_TYPES];
    void *state[N_FAMILIES];
    int present[N_FAMILIES]; /* decodable events of each family in the batch */
    int staged_pid[N_FAMILIES +
                   1]; /* backend where each one's staging tables exist (last: persons) */
    char group[128];
    batch b;
    vk_strmap *seen;
    projector_stats stats;
    char fail_sqlstate[6], fail_message[512]; /* why the last transaction failed */
};

projector *projector_new(vk_codec *codec, const vk_catalog *catalog, const char *group,
                         int batch_max, char *err, size_t errlen) {
    projector *p = calloc(1, sizeof *p);
    if (!p) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    snprintf(p->group, sizeof p->group, "%s", group);
    p->b.cap = batch_max;
    p->b.ev = calloc((size_t)batch_max, sizeof *p->b.ev);
    p->seen = vk_strmap_new((size_t)batch_max);
    bool ok = p->b.ev && p->seen && persons_init(&p->b.persons, batch_max) == 0;
    for (int f = 0; f < N_FAMILIES; f++) {
        const vk_family *fam = families[f];
        for (int t = fam->first_type; t <= fam->last_type; t++) {
            p->of_type[t] = fam;
            p->reads_target[t] = fam->reads_target;
            p->reads_doses[t] = fam->reads_doses;
        }
        if (fam->create && !(p->state[f] = fam->create(batch_max, catalog)))
            ok = false;
    }
    p->dec = vk_decoder_new(codec, VK_SCHEMA_TARGET_EVENT, err, errlen);
    p->dec_access = p->dec ? vk_decoder_new(codec, VK_SCHEMA_ACCESS_CHANGED, err, errlen) : NULL;
    if (!ok || !p->dec || !p->dec_access) {
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
    for (int f = 0; f < N_FAMILIES; f++)
        if (families[f]->destroy)
            families[f]->destroy(p->state[f]);
    persons_free(&p->b.persons);
    vk_strmap_destroy(p->seen);
    vk_buf_free(&p->b.sql);
    vk_buf_free(&p->b.copy);
    free(p->b.ev);
    free(p);
}

int projector_pending(const projector *p) {
    return p->b.n;
}
const projector_stats *projector_get_stats(const projector *p) {
    return &p->stats;
}

void projector_discard(projector *p) {
    for (int i = 0; i < p->b.n; i++) {
        pevent *e = &p->b.ev[i];
        rd_kafka_message_destroy(e->m);
        if (e->fam && e->fam->release)
            e->fam->release(e);
    }
    p->b.n = 0;
}

batch *projector_batch(projector *p) {
    return &p->b;
}

static int family_index(const vk_family *fam) {
    for (int f = 0; f < N_FAMILIES; f++)
        if (families[f] == fam)
            return f;
    return -1;
}

/* ---- Decoding the envelope ---- */

/* The event id every record has. 0, or -1 with e->reason. */
static int decode_event_id(pevent *e, const avro_value_t *v) {
    const char *s;
    if (vk_value_get_str(v, "event_id", &s) || vk_uuid_parse(s, (uint8_t[16]){0})) {
        snprintf(e->reason, sizeof e->reason, "event_id is not a UUID");
        return -1;
    }
    vk_str_copy(e->event_id, sizeof e->event_id, s);
    return 0;
}

/* Who wrote the record: source (the service) and actor (the person, when one acted). */
static void read_origin(pevent *e, const avro_value_t *v) {
    const char *s;
    if (!vk_value_get_str(v, "source", &s))
        vk_str_copy(e->source, sizeof e->source, s);
    if (!vk_value_get_opt_str(v, "actor", &s) && s) {
        vk_str_copy(e->actor, sizeof e->actor, s);
        e->has_actor = true;
    }
}

/* A message that does not decode: rejected with the decoder's code (UNKNOWN_SCHEMA_ID,
 * UNRESOLVABLE_SCHEMA, else UNDECODABLE) — or, when the registry did not answer, not the
 * message's fault: -1, for projector_add to leave it for later. */
static int undecodable(pevent *e, int rc, const char *record, const char *err) {
    snprintf(e->reason, sizeof e->reason, "cannot decode %s: %s", record, err);
    if (rc == VK_DECODE_UNAVAILABLE)
        return -1;
    if (rc != VK_DECODE_MALFORMED)
        snprintf(e->code, sizeof e->code, "%s", vk_decode_code(rc));
    return 0;
}

/* An AccessChanged from vaksin.access.events (no NIK: its log rows carry none; its own id is its
 * cause). */
static int decode_access(projector *p, pevent *e) {
    avro_value_t *v;
    char err[512];
    e->type = EV_UNDECODABLE;
    int rc = vk_decoder_decode(p->dec_access, e->m->payload, e->m->len, &v, err, sizeof err);
    if (rc)
        return undecodable(e, rc, "AccessChanged", err);
    if (decode_event_id(e, v))
        return 0;
    vk_value_get_long(v, "occurred_at", &e->occurred_at);
    vk_str_copy(e->causation, sizeof e->causation, e->event_id);
    read_origin(e, v);
    e->fam = &family_access;
    family_access.decode(e, v);
    e->type = EV_ACCESS;
    return 0;
}

/* Decodes e->m into e (EV_UNDECODABLE with a reason when it does not decode). -1 when its
 * schema is to be fetched from a registry that does not answer. */
static int decode_event(projector *p, pevent *e) {
    avro_value_t *v, payload, branch;
    char err[512];
    const char *s;
    int disc;
    if (strcmp(rd_kafka_topic_name(e->m->rkt), VK_TOPIC_ACCESS_EVENTS) == 0)
        return decode_access(p, e);
    e->type = EV_UNDECODABLE;
    int rc = vk_decoder_decode(p->dec, e->m->payload, e->m->len, &v, err, sizeof err);
    if (rc)
        return undecodable(e, rc, "TargetEvent", err);
    if (decode_event_id(e, v))
        return 0;
    if (vk_value_get_str(v, "nik", &s) || strlen(s) != 16) {
        snprintf(e->reason, sizeof e->reason, "nik is not 16 characters");
        return 0;
    }
    vk_str_copy(e->nik, sizeof e->nik, s);
    vk_value_get_long(v, "occurred_at", &e->occurred_at);
    if (!vk_value_get_str(v, "causation_id", &s))
        vk_str_copy(e->causation, sizeof e->causation, s);
    read_origin(e, v);
    if (vk_value_get_field(v, "payload", &payload) ||
        avro_value_get_discriminant(&payload, &disc) ||
        avro_value_get_current_branch(&payload, &branch)) {
        snprintf(e->reason, sizeof e->reason, "payload missing");
        return 0;
    }
    const vk_family *fam = disc >= 0 && disc < EV_ACCESS ? p->of_type[disc] : NULL;
    if (!fam) {
        snprintf(e->reason, sizeof e->reason, "unknown payload branch %d", disc);
        return 0;
    }
    e->type = disc;
    e->fam = fam;
    fam->decode(e, &branch);
    return 0;
}

int projector_add(projector *p, rd_kafka_message_t *m) {
    int64_t t0 = vk_mono_ms();
    pevent *e = &p->b.ev[p->b.n];
    memset(e, 0, sizeof *e);
    e->m = m;
    int rc = decode_event(p, e);
    p->stats.ms_decode += vk_mono_ms() - t0;
    if (rc) {
        char q[1100];
        vk_warn(
            "msg=\"event left for later: its schema is not available\" topic=%s partition=%" PRId32
            " offset=%" PRId64 " reason=\"%s\"",
            rd_kafka_topic_name(m->rkt), m->partition, m->offset,
            vk_log_quote(e->reason, q, sizeof q));
        memset(e, 0, sizeof *e);
        return -1;
    }
    p->b.n++;
    return 0;
}

/* ---- Loading ---- */

const char *batch_array(batch *b, size_t field, const bool *wants, int *count) {
    vk_buf_reset(&b->sql);
    vk_buf_append(&b->sql, "{", 1);
    int k = 0;
    for (int i = 0; i < b->n; i++) {
        const pevent *e = &b->ev[i];
        if (e->type == EV_UNDECODABLE || (wants && !wants[e->type]))
            continue;
        if (k++)
            vk_buf_append(&b->sql, ",", 1);
        vk_pg_array_elem(&b->sql, (const char *)e + field);
    }
    vk_buf_append(&b->sql, "}", 2); /* with the NUL */
    if (count)
        *count = k;
    return (const char *)b->sql.data;
}

/* The batch's event ids already in the event log: those events are duplicates. */
static int load_seen(projector *p, PGconn *db) {
    const char *params[1] = {batch_array(&p->b, offsetof(pevent, event_id), NULL, NULL)};
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

/* The persons, each present family's rows, then the ticket owners the families asked for. */
static int load(projector *p, PGconn *db) {
    if (load_seen(p, db) || persons_load(&p->b, db, p->reads_target, p->reads_doses))
        return -1;
    for (int f = 0; f < N_FAMILIES; f++)
        if (p->present[f] && families[f]->load && families[f]->load(p->state[f], &p->b, db))
            return -1;
    return persons_load_ticket_owners(&p->b, db);
}

/* ---- Deciding ---- */

static void decide(projector *p) {
    for (int i = 0; i < p->b.n; i++) {
        pevent *e = &p->b.ev[i];
        if (e->type == EV_UNDECODABLE) {
            e->out = OUT_REJECTED;
            if (!e->code[0]) /* the decoder's code when it had one (undecodable()) */
                snprintf(e->code, sizeof e->code, "UNDECODABLE");
            continue;
        }
        if (vk_strmap_get(p->seen, e->event_id, NULL)) {
            e->out = OUT_DUPLICATE;
            continue;
        }
        vk_strmap_put(p->seen, e->event_id, 1);
        e->fam->apply(p->state[family_index(e->fam)], &p->b, e);
    }
}

/* ---- Writing ---- */

/*
 * The session's staging tables (ON COMMIT DELETE ROWS) of the persons and of each family present,
 * created once per connection: changed rows are COPYed into them and merged with one statement.
 * A rolled-back batch may have created them inside its transaction, so a rollback forgets them
 * (projector_flush).
 */
static int stage(projector *p, PGconn *db, int owner, const char *const *sql) {
    if (!sql || p->staged_pid[owner] == PQbackendPID(db))
        return 0;
    for (; *sql; sql++)
        if (vk_pg_exec(db, *sql))
            return -1;
    p->staged_pid[owner] = PQbackendPID(db);
    return 0;
}

static int write(projector *p, PGconn *db) {
    if (stage(p, db, N_FAMILIES, persons_staging) || persons_write(&p->b, db))
        return -1;
    for (int f = 0; f < N_FAMILIES; f++) {
        const vk_family *fam = families[f];
        if (p->present[f] && fam->write &&
            (stage(p, db, f, fam->staging) || fam->write(p->state[f], &p->b, db)))
            return -1;
    }
    return 0;
}

/* Sends a binary COPY when it holds rows. A writer that failed is a bug or out of memory: the
 * batch fails (and is retried) rather than send rows that were not all written. */
int copyb_send(PGconn *db, vk_copyb *w, const char *copy_sql) {
    if (w->rows == 0)
        return 0;
    if (vk_copyb_finish(w)) {
        vk_error("msg=\"cannot build COPY data\" statement=\"%.40s\" rows=%zu", copy_sql, w->rows);
        return -1;
    }
    return vk_pg_copy(db, copy_sql, w->b);
}

static const char *outcome_name(outcome o) {
    return o == OUT_APPLIED ? "APPLIED" : o == OUT_UNCHANGED ? "UNCHANGED" : "REJECTED";
}

static int write_log(projector *p, PGconn *db) {
    vk_copyb w;
    vk_copyb_start(&w, &p->b.copy);
    for (int i = 0; i < p->b.n; i++) {
        const pevent *e = &p->b.ev[i];
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
    vk_buf *b = &p->b.copy;
    vk_buf_reset(b);
    for (int i = 0; i < p->b.n; i++) {
        const pevent *e = &p->b.ev[i];
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
    for (int i = 0; i < p->b.n; i++) {
        const rd_kafka_message_t *m = p->b.ev[i].m;
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
        vk_buf_append_str(topics, sep), vk_pg_array_elem(topics, spans[k].topic);
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

/* Forgets what an earlier try of this batch decided; counts the families present. */
static void reset_batch_state(projector *p) {
    vk_strmap_clear(p->seen);
    persons_reset(&p->b.persons);
    memset(p->present, 0, sizeof p->present);
    for (int i = 0; i < p->b.n; i++) {
        pevent *e = &p->b.ev[i];
        e->out = OUT_NONE;
        if (e->type != EV_UNDECODABLE) {
            e->reason[0] = '\0';
            p->present[family_index(e->fam)]++;
        }
        e->code[0] = '\0';
    }
    for (int f = 0; f < N_FAMILIES; f++)
        if (p->present[f] && families[f]->reset)
            families[f]->reset(p->state[f]);
}

void projector_decide(projector *p) {
    reset_batch_state(p);
    decide(p);
}

static void count(projector *p) {
    projector_stats *s = &p->stats;
    s->batches++;
    for (int i = 0; i < p->b.n; i++) {
        s->events++;
        switch (p->b.ev[i].out) {
        case OUT_APPLIED:
            s->applied++;
            break;
        case OUT_UNCHANGED:
            s->unchanged++;
            break;
        case OUT_REJECTED:
            s->rejected++;
            s->undecodable += p->b.ev[i].type == EV_UNDECODABLE;
            vk_tally_add(&s->rejections, p->b.ev[i].code, 1);
            break;
        case OUT_DUPLICATE:
            s->duplicates++;
            break;
        case OUT_NONE:
            break;
        }
    }
}

/* The rows the transaction just committed wrote, added to the stats per table. */
static void count_rows(projector *p) {
    vk_pg_rows now[VK_PG_ROWS_MAX];
    size_t n = vk_pg_rows_take(now, VK_PG_ROWS_MAX);
    projector_stats *s = &p->stats;
    for (size_t i = 0; i < n; i++) {
        size_t k = 0;
        while (k < s->n_rows && strcmp(s->rows[k].table, now[i].table) != 0)
            k++;
        if (k == s->n_rows) {
            if (k == VK_PG_ROWS_MAX)
                continue;
            s->rows[s->n_rows++] = (vk_pg_rows){.rows = 0};
            memcpy(s->rows[k].table, now[i].table, sizeof s->rows[k].table);
        }
        s->rows[k].rows += now[i].rows;
    }
}

/* Remembers why the transaction failed, before ROLLBACK clears it: for projector_isolate. */
static void note_failure(projector *p) {
    vk_pg_last_error(p->fail_sqlstate, sizeof p->fail_sqlstate, p->fail_message,
                     sizeof p->fail_message);
}

/*
 * One transaction over the first p->b.n events (projector_isolate narrows b.n): offsets, load,
 * decide, write, commit. 0 (committed, or *stale and rolled back), or -1 (rolled back, the
 * reason in fail_sqlstate and fail_message). The events stay in the batch either way.
 */
static int apply_events(projector *p, PGconn *db, bool *stale) {
    *stale = false;
    p->fail_sqlstate[0] = p->fail_message[0] = '\0';
    vk_pg_rows forget[VK_PG_ROWS_MAX];
    vk_pg_rows_take(forget, VK_PG_ROWS_MAX); /* what an earlier, rolled-back try wrote */
    reset_batch_state(p);
    int64_t t0 = vk_mono_ms(), t1 = t0, t2 = t0, t3 = t0;
    if (vk_pg_exec(db, "BEGIN")) {
        note_failure(p);
        return -1;
    }
    int rc = check_and_store_offsets(p, db, stale);
    if (rc == 0 && !*stale)
        rc = load(p, db);
    if (rc == 0 && !*stale) {
        t1 = vk_mono_ms();
        decide(p);
        t2 = vk_mono_ms();
        rc = write(p, db) || write_log(p, db) || write_rejections(p, db) ? -1 : 0;
        t3 = vk_mono_ms();
    }
    if (rc || *stale) {
        if (rc)
            note_failure(p);
        vk_pg_exec(db, "ROLLBACK");
        memset(p->staged_pid, 0, sizeof p->staged_pid); /* this transaction's staging is gone */
        return rc;
    }
    if (vk_pg_exec(db, "COMMIT")) {
        note_failure(p);
        return -1;
    }
    count_rows(p);
    p->stats.ms_load += t1 - t0;
    p->stats.ms_decide += t2 - t1;
    p->stats.ms_write += t3 - t2;
    p->stats.ms_commit += vk_mono_ms() - t3;
    count(p);
    return 0;
}

/* Drops the first @p k events of the batch (applied, or quarantined). */
static void drop_first(projector *p, int k) {
    for (int i = 0; i < k; i++) {
        pevent *e = &p->b.ev[i];
        rd_kafka_message_destroy(e->m);
        if (e->fam && e->fam->release)
            e->fam->release(e);
    }
    memmove(p->b.ev, p->b.ev + k, (size_t)(p->b.n - k) * sizeof *p->b.ev);
    p->b.n -= k;
}

int projector_flush(projector *p, PGconn *db, bool *stale) {
    *stale = false;
    if (p->b.n == 0)
        return 0;
    int rc = apply_events(p, db, stale);
    if (rc == 0 && !*stale)
        projector_discard(p);
    return rc;
}

bool projector_failed_on_data(const projector *p) {
    /* Data exceptions (22: invalid byte sequence, value out of range, …), integrity constraint
     * violations (23) and program limits (54: a row or index entry too large) come from what
     * an event holds: the same event fails the same way however often it is tried. Everything
     * else — the connection (08), resources (53), the server shutting down (57), a statement
     * timeout (57014), serialization (40) — passes, or is a bug to fix, not an event to set
     * aside. */
    const char *c = p->fail_sqlstate;
    return strncmp(c, "22", 2) == 0 || strncmp(c, "23", 2) == 0 || strncmp(c, "54", 2) == 0;
}

/* Hex for a bytea parameter in text format ("\x…"), into @p b (NUL-terminated). */
static void bytea_hex(vk_buf *b, const void *data, size_t len) {
    static const char hex[] = "0123456789abcdef";
    vk_buf_reset(b);
    vk_buf_append(b, "\\x", 2);
    const unsigned char *s = data;
    for (size_t i = 0; i < len; i++) {
        char two[2] = {hex[s[i] >> 4], hex[s[i] & 15]};
        vk_buf_append(b, two, 2);
    }
    vk_buf_append(b, "", 1);
}

/* Sets the batch's first event aside: its offset stored past it and a quarantine row, in one
 * transaction. 0, or -1 (logged; nothing changed). */
static int quarantine_first(projector *p, PGconn *db, bool *stale) {
    const pevent *e = &p->b.ev[0];
    const rd_kafka_message_t *m = e->m;
    int n = p->b.n;
    p->b.n = 1;
    vk_pg_rows forget[VK_PG_ROWS_MAX];
    vk_pg_rows_take(forget, VK_PG_ROWS_MAX);
    char sqlstate[sizeof p->fail_sqlstate], why[sizeof p->fail_message];
    memcpy(sqlstate, p->fail_sqlstate, sizeof sqlstate);
    memcpy(why, p->fail_message, sizeof why);
    int rc = vk_pg_exec(db, "BEGIN") ? -1 : check_and_store_offsets(p, db, stale);
    p->b.n = n;
    vk_buf key = VK_BUF_INIT, value = VK_BUF_INIT;
    if (rc == 0 && !*stale) {
        char part[16], off[24];
        snprintf(part, sizeof part, "%" PRId32, m->partition);
        snprintf(off, sizeof off, "%" PRId64, m->offset);
        bytea_hex(&value, m->payload, m->len);
        if (m->key)
            bytea_hex(&key, m->key, m->key_len);
        const char *params[9] = {p->group,
                                 rd_kafka_topic_name(m->rkt),
                                 part,
                                 off,
                                 e->event_id[0] ? e->event_id : NULL,
                                 m->key ? (const char *)key.data : NULL,
                                 (const char *)value.data,
                                 sqlstate[0] ? sqlstate : "?",
                                 why[0] ? why : "unknown error"};
        PGresult *r = vk_pg_query(
            db, PGRES_COMMAND_OK,
            "INSERT INTO quarantine (consumer_group, topic, partition, \"offset\", event_id,"
            " message_key, message_value, sqlstate, error)"
            " VALUES ($1, $2, $3::int, $4::bigint, $5, $6::bytea, $7::bytea, $8, $9)"
            " ON CONFLICT DO NOTHING",
            9, params);
        rc = r ? 0 : -1;
        PQclear(r);
    }
    vk_buf_free(&key);
    vk_buf_free(&value);
    if (rc || *stale || vk_pg_exec(db, "COMMIT")) {
        vk_pg_exec(db, "ROLLBACK");
        return *stale ? 0 : -1;
    }
    count_rows(p);
    char q[1100];
    vk_error("msg=\"event quarantined\" topic=%s partition=%" PRId32 " offset=%" PRId64
             " event_id=%s sqlstate=%s error=\"%s\"",
             rd_kafka_topic_name(m->rkt), m->partition, m->offset,
             e->event_id[0] ? e->event_id : "-", sqlstate, vk_log_quote(why, q, sizeof q));
    p->stats.quarantined++;
    drop_first(p, 1);
    return 0;
}

int projector_isolate(projector *p, PGconn *db, bool *stale) {
    *stale = false;
    int w = (p->b.n + 1) / 2; /* the whole batch has just failed */
    while (p->b.n > 0) {
        int n = p->b.n;
        if (w > n)
            w = n;
        p->b.n = w;
        int rc = apply_events(p, db, stale);
        p->b.n = n;
        if (*stale)
            return 0;
        if (rc == 0) {
            drop_first(p, w); /* committed */
            w = p->b.n;       /* and the rest may well pass whole */
            continue;
        }
        if (!projector_failed_on_data(p))
            return -1;
        if (w > 1) {
            w /= 2;
            continue;
        }
        if (quarantine_first(p, db, stale))
            return -1;
        if (*stale)
            return 0;
        w = p->b.n;
    }
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
