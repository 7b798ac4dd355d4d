/*
 * persons.c — the state three event families share: a NIK's target row and its dose rows, loaded
 * once for the batch (one query each, only for the NIKs whose events read them), changed by the
 * families in log order, written once (new targets by binary COPY, changed ones and changed
 * dose rows through staging tables and one statement each). And the one ticket-collision rule.
 */
#include "batch.h"

#include "vk_log.h"

#include <stddef.h>
#include <string.h>

/* The columns persons_write writes, named so a migration's column order does not matter. */
#define TARGET_COLUMNS                                                                             \
    "(nik, ticket, name, birth_date, sex, phone, category, facility_code, scheduled_date, origin," \
    " flags, created_event_id, updated_event_id, created_at, updated_at)"
#define TARGET_UPD_COLUMNS                                                                         \
    "(nik, name, birth_date, sex, phone, facility_code, scheduled_date, flags, updated_event_id,"  \
    " updated_at)"
#define DOSE_COLUMN_LIST                                                                           \
    "nik, dose, status, visits, registered_facility, registered_at, screening_result,"             \
    " screening_facility, screened_at, temperature_c, systolic, diastolic, vaccine, batch,"        \
    " vaccinating_facility, vaccinated_at, updated_event_id, updated_at"
#define DOSE_COLUMNS "(" DOSE_COLUMN_LIST ")"

const char *const persons_staging[] = {
    "CREATE TEMP TABLE IF NOT EXISTS dose_in (LIKE dose) ON COMMIT DELETE ROWS",
    "CREATE TEMP TABLE IF NOT EXISTS target_upd (nik char(16), name text, birth_date date,"
    " sex char(1), phone text, facility_code text, scheduled_date date, flags text[],"
    " updated_event_id uuid, updated_at timestamptz) ON COMMIT DELETE ROWS",
    NULL};

int persons_init(persons *ps, int cap) {
    ps->st = calloc((size_t)cap, sizeof *ps->st);
    ps->by_nik = vk_strmap_new((size_t)cap);
    ps->by_ticket = vk_strmap_new((size_t)cap);
    return ps->st && ps->by_nik && ps->by_ticket ? 0 : -1;
}

void persons_reset(persons *ps) {
    vk_strmap_clear(ps->by_nik);
    vk_strmap_clear(ps->by_ticket);
    ps->n_st = 0;
    vk_buf_reset(&ps->tickets);
    ps->n_tickets = 0;
}

void persons_free(persons *ps) {
    vk_strmap_destroy(ps->by_nik);
    vk_strmap_destroy(ps->by_ticket);
    vk_buf_free(&ps->tickets);
    free(ps->st);
}

pstate *persons_get(batch *b, const char *nik) {
    persons *ps = &b->persons;
    long idx;
    if (vk_strmap_get(ps->by_nik, nik, &idx))
        return &ps->st[idx];
    pstate *s = &ps->st[ps->n_st];
    memset(s, 0, sizeof *s);
    vk_str_copy(s->t.nik, sizeof s->t.nik, nik);
    vk_strmap_put(ps->by_nik, nik, ps->n_st++);
    return s;
}

void persons_want_ticket(batch *b, const char *ticket) {
    persons *ps = &b->persons;
    vk_buf_append_str(&ps->tickets, ps->n_tickets++ ? "," : "{");
    vk_pg_array_elem(&ps->tickets, ticket);
}

bool persons_ticket_taken(const batch *b, const char *ticket) {
    return vk_strmap_get(b->persons.by_ticket, ticket, NULL);
}

void persons_take_ticket(batch *b, const pstate *s) {
    vk_strmap_put(b->persons.by_ticket, s->t.ticket, s - b->persons.st);
}

/* ---- Loading ---- */

static int load_targets(batch *b, PGconn *db, const bool *wants) {
    const char *params[1] = {batch_array(b, offsetof(pevent, nik), wants, NULL)};
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
        pstate *s = persons_get(b, col(r, i, 0));
        vk_target *t = &s->t;
        vk_str_copy(t->nik, sizeof t->nik, col(r, i, 0));
        vk_str_copy(t->ticket, sizeof t->ticket, col(r, i, 1));
        vk_str_copy(t->name, sizeof t->name, col(r, i, 2));
        t->birth_date = atoi(col(r, i, 3));
        t->sex = col(r, i, 4)[0];
        vk_str_copy(t->phone, sizeof t->phone, col(r, i, 5));
        vk_str_copy(t->category, sizeof t->category, col(r, i, 6));
        vk_str_copy(t->facility_code, sizeof t->facility_code, col(r, i, 7));
        t->has_scheduled_date = !PQgetisnull(r, i, 8);
        t->scheduled_date = atoi(col(r, i, 8));
        vk_str_copy(t->origin, sizeof t->origin, col(r, i, 9));
        vk_str_copy(t->flags, sizeof t->flags, col(r, i, 10));
        s->exists = true;
        vk_strmap_put(b->persons.by_ticket, t->ticket, s - b->persons.st);
    }
    PQclear(r);
    return 0;
}

/* The dose rows of the NIKs with an event that reads them (desk events and verifications, not
 * TicketIssued, whose rule looks at the target only). A bulk import's batches skip the query. */
static int load_doses(batch *b, PGconn *db, const bool *wants) {
    int wanted;
    const char *params[1] = {batch_array(b, offsetof(pevent, nik), wants, &wanted)};
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
        vk_dose_row *d = &persons_get(b, col(r, i, 0))->person.doses[n - 1];
        d->dose = n;
        d->status = vk_dose_status_parse(col(r, i, 2));
        d->visits = atoi(col(r, i, 3));
        vk_str_copy(d->registered_facility, sizeof d->registered_facility, col(r, i, 4));
        d->registered_at = col_ms(r, i, 5);
        d->has_screening = !PQgetisnull(r, i, 6);
        const char *res = col(r, i, 6);
        d->screening_result = strcmp(res, "POSTPONE") == 0    ? VK_POSTPONE
                              : strcmp(res, "NOT_GIVEN") == 0 ? VK_NOT_GIVEN
                                                              : VK_PROCEED;
        vk_str_copy(d->screening_facility, sizeof d->screening_facility, col(r, i, 7));
        d->screened_at = col_ms(r, i, 8);
        d->has_temperature = !PQgetisnull(r, i, 9);
        d->temperature_c = strtof(col(r, i, 9), NULL);
        d->has_systolic = !PQgetisnull(r, i, 10);
        d->systolic = atoi(col(r, i, 10));
        d->has_diastolic = !PQgetisnull(r, i, 11);
        d->diastolic = atoi(col(r, i, 11));
        vk_str_copy(d->vaccine, sizeof d->vaccine, col(r, i, 12));
        vk_str_copy(d->batch, sizeof d->batch, col(r, i, 13));
        vk_str_copy(d->vaccinating_facility, sizeof d->vaccinating_facility, col(r, i, 14));
        d->vaccinated_at = col_ms(r, i, 15);
    }
    PQclear(r);
    return 0;
}

int persons_load(batch *b, PGconn *db, const bool *wants_target, const bool *wants_doses) {
    return load_targets(b, db, wants_target) || load_doses(b, db, wants_doses) ? -1 : 0;
}

/* Owners of the wanted ticket numbers (imports and additions) that are not the batch's NIKs'
 * (collisions). */
int persons_load_ticket_owners(batch *b, PGconn *db) {
    persons *ps = &b->persons;
    if (ps->n_tickets == 0)
        return 0;
    vk_buf_append(&ps->tickets, "}", 2);
    const char *params[1] = {(const char *)ps->tickets.data};
    static vk_pg_stmt stmt = VK_PG_STMT(
        "ticket_owners", "SELECT ticket, nik FROM target WHERE ticket = ANY($1::text[])", 1);
    PGresult *r = vk_pg_run(db, &stmt, PGRES_TUPLES_OK, params);
    if (!r)
        return -1;
    for (int i = 0; i < PQntuples(r); i++)
        if (!vk_strmap_get(ps->by_ticket, PQgetvalue(r, i, 0), NULL))
            vk_strmap_put(ps->by_ticket, PQgetvalue(r, i, 0), -1); /* owned outside the batch */
    PQclear(r);
    return 0;
}

/* ---- Writing ---- */

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

/* New targets by COPY; corrected ones through the staging table and one UPDATE. */
static int write_targets(batch *bt, PGconn *db) {
    const persons *ps = &bt->persons;
    vk_buf *b = &bt->copy;
    vk_copyb w;
    vk_copyb_start(&w, b);
    for (int i = 0; i < ps->n_st; i++)
        if (ps->st[i].created)
            copy_target_row(&w, &ps->st[i]);
    if (copyb_send(db, &w, "COPY target " TARGET_COLUMNS " FROM STDIN WITH (FORMAT binary)"))
        return -1;
    vk_buf_reset(b);
    for (int i = 0; i < ps->n_st; i++) {
        const pstate *s = &ps->st[i];
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
    return vk_pg_copy(db, "COPY target_upd " TARGET_UPD_COLUMNS " FROM STDIN", b) ||
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
static int write_doses(batch *bt, PGconn *db) {
    const persons *ps = &bt->persons;
    vk_buf *b = &bt->copy;
    vk_buf_reset(b);
    for (int k = 0; k < ps->n_st; k++)
        for (int i = 0; i < VK_MAX_DOSES; i++)
            if (ps->st[k].dirty & (1u << i))
                copy_dose_row(b, &ps->st[k], i);
    if (b->len == 0)
        return 0;
    return vk_pg_copy(db, "COPY dose_in " DOSE_COLUMNS " FROM STDIN", b) ||
                   vk_pg_exec(db, "INSERT INTO dose " DOSE_COLUMNS " SELECT " DOSE_COLUMN_LIST
                                  " FROM dose_in ON CONFLICT (nik, dose) DO UPDATE SET"
                                  " status = EXCLUDED.status, visits = EXCLUDED.visits,"
                                  " registered_facility = EXCLUDED.registered_facility,"
                                  " registered_at = EXCLUDED.registered_at,"
                                  " screening_result = EXCLUDED.screening_result,"
                                  " screening_facility = EXCLUDED.screening_facility,"
                                  " screened_at = EXCLUDED.screened_at,"
                                  " temperature_c = EXCLUDED.temperature_c,"
                                  " systolic = EXCLUDED.systolic, diastolic = EXCLUDED.diastolic,"
                                  " vaccine = EXCLUDED.vaccine, batch = EXCLUDED.batch,"
                                  " vaccinating_facility = EXCLUDED.vaccinating_facility,"
                                  " vaccinated_at = EXCLUDED.vaccinated_at,"
                                  " updated_event_id = EXCLUDED.updated_event_id,"
                                  " updated_at = EXCLUDED.updated_at")
               ? -1
               : 0;
}

int persons_write(batch *b, PGconn *db) {
    return write_targets(b, db) || write_doses(b, db) ? -1 : 0;
}
