/*
 * vk_grants.c — see vk_grants.h.
 *
 * Grants are few (one or a few per verification officer) and never deleted, so they live in
 * one growing array, chained per user (user id → the user's latest record, each record → the
 * user's previous one). An authorization walks the actor's chain only.
 */
#include "vk_grants.h"

#include "vk_str.h"
#include "vk_strmap.h"
#include "vk_time.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct slot {
    vk_grant_record r;
    long prev; /* the same user's previous record, or -1 */
} slot;

struct vk_grants {
    slot *slots;
    size_t n, cap;
    size_t open;
    vk_strmap *by_user; /* user id → index of the user's latest record */
    vk_strmap *seen;    /* access event ids applied or refused */
    vk_grant *scratch;  /* the user's open grants, as vk_access_apply takes them */
    long *scratch_idx;
    size_t scratch_cap;
};

vk_grants *vk_grants_new(void) {
    vk_grants *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->by_user = vk_strmap_new(64);
    s->seen = vk_strmap_new(64);
    if (!s->by_user || !s->seen) {
        vk_grants_destroy(s);
        return NULL;
    }
    return s;
}

void vk_grants_destroy(vk_grants *s) {
    if (!s)
        return;
    vk_strmap_destroy(s->by_user);
    vk_strmap_destroy(s->seen);
    free(s->slots);
    free(s->scratch);
    free(s->scratch_idx);
    free(s);
}

size_t vk_grants_count(const vk_grants *s) {
    return s->n;
}
size_t vk_grants_open(const vk_grants *s) {
    return s->open;
}
size_t vk_grants_events(const vk_grants *s) {
    return vk_strmap_count(s->seen);
}

static long latest_of(const vk_grants *s, const char *user) {
    long i;
    return vk_strmap_get(s->by_user, user, &i) ? i : -1;
}

/* Gathers the user's open grants, oldest first (log order), into the scratch arrays. */
static int gather_open(vk_grants *s, const char *user, size_t *n) {
    *n = 0;
    for (long i = latest_of(s, user); i >= 0; i = s->slots[i].prev) {
        if (s->slots[i].r.g.revoked)
            continue;
        if (*n == s->scratch_cap) {
            size_t cap = s->scratch_cap ? 2 * s->scratch_cap : 8;
            vk_grant *g = realloc(s->scratch, cap * sizeof *g);
            if (g)
                s->scratch = g;
            long *idx = realloc(s->scratch_idx, cap * sizeof *idx);
            if (idx)
                s->scratch_idx = idx;
            if (!g || !idx)
                return -1;
            s->scratch_cap = cap;
        }
        s->scratch[*n] = s->slots[i].r.g;
        s->scratch_idx[(*n)++] = i;
    }
    for (size_t a = 0, b = *n ? *n - 1 : 0; a < b; a++, b--) { /* newest first → log order */
        vk_grant g = s->scratch[a];
        s->scratch[a] = s->scratch[b];
        s->scratch[b] = g;
        long i = s->scratch_idx[a];
        s->scratch_idx[a] = s->scratch_idx[b];
        s->scratch_idx[b] = i;
    }
    return 0;
}

static int reserve_slot(vk_grants *s) {
    if (s->n < s->cap)
        return 0;
    size_t cap = s->cap ? 2 * s->cap : 64;
    slot *p = realloc(s->slots, cap * sizeof *p);
    if (!p)
        return -1;
    s->slots = p;
    s->cap = cap;
    return 0;
}

void vk_grant_record_open(vk_grant_record *r, const vk_access_event *e) {
    memset(r, 0, sizeof *r);
    vk_grant *g = &r->g;
    vk_str_copy(g->grant_event_id, sizeof g->grant_event_id, e->event_id);
    vk_str_copy(g->user_id, sizeof g->user_id, e->user_id);
    vk_str_copy(g->facility_code, sizeof g->facility_code, e->facility_code);
    vk_str_copy(g->district_code, sizeof g->district_code, e->district_code);
    vk_str_copy(g->role, sizeof g->role, e->role);
    vk_str_copy(g->granted_by, sizeof g->granted_by, e->actor);
    g->granted_at = e->occurred_at;
    g->has_valid_until = e->has_valid_until;
    g->valid_until = e->valid_until;
}

void vk_grant_record_close(vk_grant_record *r, const vk_access_event *e) {
    r->g.revoked = true;
    r->closed_at = e->occurred_at;
    r->superseded = e->action == VK_ACCESS_GRANT;
    vk_str_copy(r->closed_by, sizeof r->closed_by, e->actor);
    vk_str_copy(r->close_event_id, sizeof r->close_event_id, e->event_id);
}

vk_grants_outcome vk_grants_apply(vk_grants *s, const vk_access_event *e,
                                  const char *facility_district, char *code, size_t code_len,
                                  char *reason, size_t reason_len) {
    long dummy;
    size_t n;
    int replaced;
    code[0] = reason[0] = '\0';
    if (vk_strmap_get(s->seen, e->event_id, &dummy))
        return VK_GRANTS_DUPLICATE;
    if (gather_open(s, e->user_id, &n) || reserve_slot(s))
        return VK_GRANTS_NO_MEMORY;
    vk_access_outcome out = vk_access_apply(s->scratch, n, e, facility_district, &replaced, code,
                                            code_len, reason, reason_len);
    if (vk_strmap_put(s->seen, e->event_id, 1))
        return VK_GRANTS_NO_MEMORY;
    if (out == VK_ACCESS_REFUSED)
        return VK_GRANTS_REFUSED;
    if (replaced >= 0) {
        vk_grant_record_close(&s->slots[s->scratch_idx[replaced]].r, e);
        s->open--;
    }
    if (e->action != VK_ACCESS_GRANT)
        return VK_GRANTS_APPLIED;
    slot *sl = &s->slots[s->n];
    memset(sl, 0, sizeof *sl);
    vk_grant_record_open(&sl->r, e);
    const vk_grant *g = &sl->r.g;
    sl->prev = latest_of(s, g->user_id);
    /* Keyed by the stored (possibly truncated) user id, as the projector stores it. */
    if (vk_strmap_put(s->by_user, g->user_id, (long)s->n))
        return VK_GRANTS_NO_MEMORY; /* the record is not added: the user's chain is unchanged */
    s->n++;
    s->open++;
    return VK_GRANTS_APPLIED;
}

const char *vk_authz_code(vk_authz a) {
    switch (a) {
    case VK_AUTHZ_GRANTED:
        return "GRANTED";
    case VK_AUTHZ_NOT_AUTHORIZED:
        return "NOT_AUTHORIZED";
    case VK_AUTHZ_WRONG_FACILITY:
        return "WRONG_FACILITY";
    case VK_AUTHZ_GRANT_REVOKED:
        return "GRANT_REVOKED";
    case VK_AUTHZ_GRANT_EXPIRED:
        return "GRANT_EXPIRED";
    }
    return "?";
}

static bool closed_by(const vk_grant_record *r, int64_t t) {
    return r->g.revoked && r->closed_at <= t;
}
static bool expired_by(const vk_grant_record *r, int64_t t) {
    return r->g.has_valid_until && r->g.valid_until <= t;
}
static bool active_at(const vk_grant_record *r, int64_t t) {
    return r->g.granted_at <= t && !closed_by(r, t) && !expired_by(r, t);
}

/* The chain is newest first, so on equal times the first seen is the later in log order. */
static bool newer(const vk_grant_record *r, const vk_grant_record *best) {
    return !best || r->g.granted_at > best->g.granted_at;
}

/* Appends ", code" for each distinct other facility (at most 5 named) to @p out. */
static void list_other_facilities(const vk_grants *s, long head, const char *facility,
                                  const char *role, int64_t at, char *out, size_t len) {
    int n_named = 0, n_more = 0;
    size_t used = 0;
    out[0] = '\0';
    for (long i = head; i >= 0; i = s->slots[i].prev) {
        const vk_grant *g = &s->slots[i].r.g;
        if (strcmp(g->role, role) != 0 || g->granted_at > at ||
            strcmp(g->facility_code, facility) == 0)
            continue;
        bool dup = false;
        for (long j = head; j > i && !dup; j = s->slots[j].prev) /* named or counted before */
            dup = strcmp(s->slots[j].r.g.facility_code, g->facility_code) == 0 &&
                  strcmp(s->slots[j].r.g.role, role) == 0 && s->slots[j].r.g.granted_at <= at;
        if (dup)
            continue;
        if (n_named < 5) {
            n_named++;
            int w =
                snprintf(out + used, len - used, "%s%s", n_named > 1 ? ", " : "", g->facility_code);
            if (w > 0)
                used += (size_t)w < len - used ? (size_t)w : len - used - 1;
        } else {
            n_more++;
        }
    }
    if (n_more)
        snprintf(out + used, len - used, " and %d more", n_more);
}

vk_authz vk_grants_authorize(const vk_grants *s, const char *user, const char *facility,
                             const char *role, int64_t at, const vk_grant_record **grant,
                             char *words, size_t words_len) {
    const vk_grant_record *best = NULL, *here = NULL, *later = NULL;
    bool others = false;
    long head = latest_of(s, user);
    char t_at[32], t1[32];
    *grant = NULL;
    words[0] = '\0';
    for (long i = head; i >= 0; i = s->slots[i].prev) {
        const vk_grant_record *r = &s->slots[i].r;
        if (strcmp(r->g.role, role) != 0 || strcmp(r->g.user_id, user) != 0)
            continue;
        bool same = strcmp(r->g.facility_code, facility) == 0;
        if (r->g.granted_at > at) {
            if (same && (!later || r->g.granted_at <= later->g.granted_at))
                later = r;
            continue;
        }
        if (!same)
            others = true;
        else if (newer(r, here))
            here = r;
        if (same && active_at(r, at) && newer(r, best))
            best = r;
    }
    if (best) {
        *grant = best;
        return VK_AUTHZ_GRANTED;
    }
    vk_time_format(at, VK_TIME_S, t_at, sizeof t_at);
    char note[160] = "";
    if (later)
        snprintf(note, sizeof note,
                 "; a grant for facility %s was made later, at %s: send the request again",
                 facility, vk_time_format(later->g.granted_at, VK_TIME_S, t1, sizeof t1));
    if (here) {
        bool expired = expired_by(here, at);
        if (closed_by(here, at) && !(expired && here->g.valid_until < here->closed_at)) {
            snprintf(words, words_len,
                     "the verifier grant of user %s for facility %s was %s at %s by %s, "
                     "before this request (%s)%s",
                     user, facility, here->superseded ? "replaced" : "revoked",
                     vk_time_format(here->closed_at, VK_TIME_S, t1, sizeof t1),
                     here->closed_by[0] ? here->closed_by : "an unnamed Dinkes user", t_at, note);
            return VK_AUTHZ_GRANT_REVOKED;
        }
        char t2[32];
        snprintf(words, words_len,
                 "the verifier grant of user %s for facility %s (granted at %s by %s) expired at "
                 "%s, before this request (%s): ask the Dinkes to grant it again%s",
                 user, facility, vk_time_format(here->g.granted_at, VK_TIME_S, t1, sizeof t1),
                 here->g.granted_by, vk_time_format(here->g.valid_until, VK_TIME_S, t2, sizeof t2),
                 t_at, note);
        return VK_AUTHZ_GRANT_EXPIRED;
    }
    if (others) {
        char list[200];
        list_other_facilities(s, head, facility, role, at, list, sizeof list);
        snprintf(words, words_len,
                 "the verifier grants of user %s are for facility %s only, not for facility %s "
                 "that sent this request%s",
                 user, list, facility, note);
        return VK_AUTHZ_WRONG_FACILITY;
    }
    snprintf(words, words_len,
             "user %s held no verifier grant at %s: the Dinkes of the facility's kab/kota must "
             "grant the VERIFIER role first%s",
             user, t_at, note);
    return VK_AUTHZ_NOT_AUTHORIZED;
}
