/*
 * family_access.c — the access family: AccessChanged (vaksin.access.events: a Dinkes grants or
 * revokes a verifier's right for a facility) through the Dinkes rules of vk_access_apply
 * (lib/domain/vk_access.c). Its state: the active grants of the batch's users and those the batch
 * makes, and the kab/kota of the batch's facilities.
 */
#include "batch.h"

#include "vk_facility.h"
#include "vk_grants.h"
#include "vk_value.h"

#include <string.h>

/* A grant during the batch: loaded (active ones of the batch's users) or made by it. Records
 * are opened and closed as vaksin-verification's store does it (lib/domain/vk_grants.c). */
typedef struct bgrant {
    vk_grant_record r;
    bool is_new; /* to insert */
    bool closed; /* revoked or superseded by this batch: to update */
} bgrant;

typedef struct access_state {
    int cap;
    bgrant *grants; /* room for 2 × cap: loaded and new */
    int n_grants;
    vk_strmap *facility_district; /* facility code → index into districts */
    char (*districts)[5];
    int n_districts;
} access_state;

static void destroy(void *st) {
    access_state *p = st;
    if (!p)
        return;
    free(p->grants);
    free(p->districts);
    vk_strmap_destroy(p->facility_district);
    free(p);
}

static void *create(int cap, const vk_catalog *catalog) {
    (void)catalog;
    access_state *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->cap = cap;
    p->grants = calloc((size_t)cap * 2, sizeof *p->grants);
    p->districts = calloc((size_t)cap, sizeof *p->districts);
    p->facility_district = vk_strmap_new((size_t)cap);
    if (!p->grants || !p->districts || !p->facility_district) {
        destroy(p);
        return NULL;
    }
    return p;
}

static void reset(void *st) {
    access_state *p = st;
    vk_strmap_clear(p->facility_district);
    p->n_grants = p->n_districts = 0;
}

/* An AccessChanged (the whole record: it has no payload union and no NIK; the engine read its
 * envelope). */
static void decode(pevent *e, const avro_value_t *v) {
    const char *s;
    int action = 0;
    access_payload *ap = &e->as.access;
    vk_access_event *a = &ap->access;
    vk_value_get_enum(v, "action", &action);
    a->action = action == 1 ? VK_ACCESS_REVOKE : VK_ACCESS_GRANT;
    if (!vk_value_get_str(v, "user_id", &s))
        vk_str_copy(ap->user_id, sizeof ap->user_id, s);
    if (!vk_value_get_str(v, "facility_code", &s))
        vk_str_copy(ap->facility, sizeof ap->facility, s);
    if (!vk_value_get_str(v, "district_code", &s))
        vk_str_copy(ap->district, sizeof ap->district, s);
    vk_str_copy(ap->role, sizeof ap->role, "VERIFIER"); /* the only symbol of the Role enum */
    vk_value_get_opt_long(v, "valid_until", &a->has_valid_until, &a->valid_until);
    a->event_id = e->event_id;
    a->actor = e->has_actor ? e->actor : NULL;
    a->user_id = ap->user_id;
    a->facility_code = ap->facility;
    a->district_code = ap->district;
    a->role = ap->role;
    a->occurred_at = e->occurred_at;
}

/* Active grants of the batch's users, and the kab/kota of the batch's facilities. */
static int load(void *st, batch *bt, PGconn *db) {
    access_state *p = st;
    vk_buf *b = &bt->sql, fac = VK_BUF_INIT;
    vk_buf_reset(b);
    vk_buf_append(b, "{", 1), vk_buf_append(&fac, "{", 1);
    int k = 0;
    for (int i = 0; i < bt->n; i++)
        if (bt->ev[i].type == EV_ACCESS) {
            const char *sep = k++ ? "," : "";
            vk_buf_append_str(b, sep), vk_pg_array_elem(b, bt->ev[i].as.access.user_id);
            vk_buf_append_str(&fac, sep), vk_pg_array_elem(&fac, bt->ev[i].as.access.facility);
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
            vk_str_copy(g->r.g.grant_event_id, sizeof g->r.g.grant_event_id, col(r, i, 0));
            vk_str_copy(g->r.g.user_id, sizeof g->r.g.user_id, col(r, i, 1));
            vk_str_copy(g->r.g.facility_code, sizeof g->r.g.facility_code, col(r, i, 2));
            vk_str_copy(g->r.g.district_code, sizeof g->r.g.district_code, col(r, i, 3));
            vk_str_copy(g->r.g.role, sizeof g->r.g.role, col(r, i, 4));
            vk_str_copy(g->r.g.granted_by, sizeof g->r.g.granted_by, col(r, i, 5));
            g->r.g.granted_at = col_ms(r, i, 6);
            g->r.g.has_valid_until = !PQgetisnull(r, i, 7);
            g->r.g.valid_until = col_ms(r, i, 7);
        }
        rc = r ? 0 : -1;
        PQclear(r);
        r = rc ? NULL : vk_pg_run(db, &districts, PGRES_TUPLES_OK, fp);
        for (int i = 0; r && i < PQntuples(r) && p->n_districts < p->cap; i++) {
            vk_str_copy(p->districts[p->n_districts], 5, col(r, i, 1));
            vk_strmap_put(p->facility_district, col(r, i, 0), p->n_districts++);
        }
        rc = r ? rc : -1;
        PQclear(r);
    }
    vk_buf_free(&fac);
    return rc;
}

/* An access change through the Dinkes rules (lib/domain/vk_access.c). */
static void apply(void *st, batch *b, pevent *e) {
    (void)b;
    access_state *p = st;
    access_payload *ap = &e->as.access;
    vk_grant active[64];
    int index[64], n = 0;
    for (int i = 0; i < p->n_grants && n < 64; i++)
        if (!p->grants[i].r.g.revoked && strcmp(p->grants[i].r.g.user_id, ap->user_id) == 0) {
            active[n] = p->grants[i].r.g;
            index[n++] = i;
        }
    char district[5], code[32], reason[512];
    long di;
    const char *fd = vk_strmap_get(p->facility_district, ap->facility, &di)    ? p->districts[di]
                     : vk_facility_district_by_pattern(ap->facility, district) ? district
                                                                               : NULL;
    int replaced;
    if (vk_access_apply(active, (size_t)n, &ap->access, fd, &replaced, code, sizeof code, reason,
                        sizeof reason) == VK_ACCESS_REFUSED) {
        reject(e, code, reason);
        return;
    }
    if (replaced >= 0) {
        bgrant *old = &p->grants[index[replaced]];
        vk_grant_record_close(&old->r, &ap->access);
        old->closed = true;
    }
    if (ap->access.action == VK_ACCESS_GRANT && p->n_grants < 2 * p->cap) {
        bgrant *g = &p->grants[p->n_grants++];
        vk_grant_record_open(&g->r, &ap->access);
        g->closed = false;
        g->is_new = true;
    }
    e->out = OUT_APPLIED;
}

/* New grants by COPY; grants closed by the batch by one UPDATE each (access changes are rare). */
static int write(void *st, batch *bt, PGconn *db) {
    access_state *p = st;
    vk_buf *b = &bt->copy;
    vk_buf_reset(b);
    for (int i = 0; i < p->n_grants; i++) {
        const bgrant *g = &p->grants[i];
        if (!g->is_new)
            continue;
        vk_copy_text(b, g->r.g.grant_event_id), vk_copy_sep(b), vk_copy_text(b, g->r.g.user_id);
        vk_copy_sep(b), vk_copy_text(b, g->r.g.facility_code), vk_copy_sep(b);
        vk_copy_text(b, g->r.g.district_code), vk_copy_sep(b), vk_copy_text(b, g->r.g.role);
        vk_copy_sep(b), vk_copy_text(b, g->r.g.granted_by), vk_copy_sep(b);
        vk_copy_ts(b, g->r.g.granted_at), vk_copy_sep(b);
        copy_opt_ts(b, g->r.g.has_valid_until, g->r.g.valid_until), vk_copy_sep(b);
        if (g->closed) {
            vk_copy_ts(b, g->r.closed_at), vk_copy_sep(b), vk_copy_text(b, g->r.closed_by);
            vk_copy_sep(b), vk_copy_text(b, g->r.close_event_id);
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
        vk_copy_ts(&ts, g->r.closed_at);
        vk_buf_append(&ts, "", 1);
        const char *params[4] = {g->r.g.grant_event_id, (const char *)ts.data, g->r.closed_by,
                                 g->r.close_event_id};
        PGresult *r = vk_pg_run(db, &close, PGRES_COMMAND_OK, params);
        vk_buf_free(&ts);
        if (!r)
            return -1;
        PQclear(r);
    }
    return 0;
}

const vk_family family_access = {
    .name = "access",
    .first_type = EV_ACCESS,
    .last_type = EV_ACCESS,
    .create = create,
    .destroy = destroy,
    .decode = decode,
    .reset = reset,
    .load = load,
    .apply = apply,
    .write = write,
};
