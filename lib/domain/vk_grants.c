/*
 * vk_grants.c — see vk_grants.h.
 *
 * Grants are few (one or a few per verification officer), so they live in one array in log
 * order, chained per user (each user → the latest record, each record → the user's previous
 * one). An authorization walks the actor's chain only. Forgetting compacts the array and the
 * remembered event ids and rebuilds the chains; it runs when the store has doubled since the
 * last time, so its cost per event is constant.
 */
#include "vk_grants.h"

#include "vk_str.h"
#include "vk_strmap.h"
#include "vk_time.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PRUNE_MIN 1024 /* records + event ids below which the store never prunes */

typedef struct slot {
    vk_grant_record r;
    long prev; /* the same user's previous record, or -1 */
    long user; /* index in users */
} slot;

typedef struct user_state {
    long head;         /* the user's latest record, or -1 */
    int64_t newest;    /* the latest occurred_at of the user's events, INT64_MIN before any */
    int64_t forgotten; /* the latest close of a forgotten grant, INT64_MIN when none */
} user_state;

typedef struct seen_event {
    char id[37];
    int64_t at; /* its occurred_at */
    long user;
} seen_event;

struct vk_grants {
    slot *slots;
    size_t n, cap;
    size_t open, forgotten;
    user_state *users;
    size_t n_users, cap_users;
    vk_strmap *by_user; /* user id (as stored: at most 63 bytes) → index in users */
    seen_event *events;
    size_t n_events, cap_events;
    vk_strmap *seen; /* access event id → index in events */
    int64_t history_ms;
    size_t prune_at;   /* n + n_events that triggers the next prune */
    vk_grant *scratch; /* the user's open grants, as vk_access_apply takes them */
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
    s->history_ms = VK_GRANTS_HISTORY_MS;
    s->prune_at = PRUNE_MIN;
    return s;
}

void vk_grants_destroy(vk_grants *s) {
    if (!s)
        return;
    vk_strmap_destroy(s->by_user);
    vk_strmap_destroy(s->seen);
    free(s->slots);
    free(s->users);
    free(s->events);
    free(s->scratch);
    free(s->scratch_idx);
    free(s);
}

void vk_grants_set_history(vk_grants *s, int64_t history_ms) {
    s->history_ms = history_ms > 0 ? history_ms : VK_GRANTS_HISTORY_MS;
}

size_t vk_grants_count(const vk_grants *s) {
    return s->n;
}
size_t vk_grants_open(const vk_grants *s) {
    return s->open;
}
size_t vk_grants_events(const vk_grants *s) {
    return s->n_events;
}
size_t vk_grants_forgotten(const vk_grants *s) {
    return s->forgotten;
}

/* Grows *p (of *cap elements of @p size) to hold at least @p need. */
static int reserve(void **p, size_t *cap, size_t need, size_t size) {
    if (need <= *cap)
        return 0;
    size_t c = *cap ? 2 * *cap : 64;
    while (c < need)
        c *= 2;
    void *q = realloc(*p, c * size);
    if (!q)
        return -1;
    *p = q;
    *cap = c;
    return 0;
}

/* The user's index, -1 when unknown. @p uid is the stored form (vk_grant.user_id). */
static long user_of(const vk_grants *s, const char *uid) {
    long u;
    return vk_strmap_get(s->by_user, uid, &u) ? u : -1;
}

static long user_add(vk_grants *s, const char *uid) {
    long u = user_of(s, uid);
    if (u >= 0)
        return u;
    if (reserve((void **)&s->users, &s->cap_users, s->n_users + 1, sizeof *s->users) ||
        vk_strmap_put(s->by_user, uid, (long)s->n_users))
        return -1;
    s->users[s->n_users] = (user_state){-1, INT64_MIN, INT64_MIN};
    return (long)s->n_users++;
}

/* The start of the user's history window: what closed before it may be forgotten. */
static int64_t horizon(const vk_grants *s, long u) {
    int64_t newest = s->users[u].newest;
    return newest < VK_TIME_MIN_MS + s->history_ms ? INT64_MIN : newest - s->history_ms;
}

/* Gathers the user's open grants, oldest first (log order), into the scratch arrays. */
static int gather_open(vk_grants *s, long u, size_t *n) {
    *n = 0;
    for (long i = s->users[u].head; i >= 0; i = s->slots[i].prev) {
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

/* Whether @p id made or closed one of the user's kept grants (its id may be forgotten). */
static bool behind_a_grant(const vk_grants *s, long u, const char *id) {
    for (long i = s->users[u].head; i >= 0; i = s->slots[i].prev)
        if (strcmp(s->slots[i].r.g.grant_event_id, id) == 0 ||
            strcmp(s->slots[i].r.close_event_id, id) == 0)
            return true;
    return false;
}

/* Whether record @p i is the latest of its facility and role in its user's chain. */
static bool latest_of_facility(const vk_grants *s, long i) {
    const vk_grant *g = &s->slots[i].r.g;
    for (long j = s->users[s->slots[i].user].head; j > i; j = s->slots[j].prev)
        if (strcmp(s->slots[j].r.g.facility_code, g->facility_code) == 0 &&
            strcmp(s->slots[j].r.g.role, g->role) == 0)
            return false;
    return true;
}

int vk_grants_prune(vk_grants *s) {
    bool *keep = s->n ? malloc(s->n * sizeof *keep) : NULL;
    if (s->n && !keep)
        return -1;
    for (size_t i = 0; i < s->n; i++) {
        const slot *sl = &s->slots[i];
        keep[i] = !sl->r.g.revoked || sl->r.closed_at >= horizon(s, sl->user) ||
                  latest_of_facility(s, (long)i);
    }
    /* Everything below only drops entries: nothing can fail from here on. */
    for (size_t u = 0; u < s->n_users; u++)
        s->users[u].head = -1;
    size_t w = 0;
    for (size_t i = 0; i < s->n; i++) {
        slot sl = s->slots[i];
        user_state *us = &s->users[sl.user];
        if (!keep[i]) {
            if (sl.r.closed_at > us->forgotten)
                us->forgotten = sl.r.closed_at;
            s->forgotten++;
            continue;
        }
        sl.prev = us->head;
        us->head = (long)w;
        s->slots[w++] = sl;
    }
    s->n = w;
    free(keep);
    vk_strmap_clear(s->seen);
    w = 0;
    for (size_t i = 0; i < s->n_events; i++) {
        if (s->events[i].at < horizon(s, s->events[i].user))
            continue;
        s->events[w] = s->events[i];
        if (vk_strmap_put(s->seen, s->events[w].id, (long)w)) {
            /* Out of memory while re-inserting: keep the rest unremembered rather than lose the
             * whole set; a forgotten id is handled by the stale rule. */
            break;
        }
        w++;
    }
    s->n_events = w;
    size_t size = s->n + s->n_events;
    s->prune_at = size * 2 > PRUNE_MIN ? size * 2 : PRUNE_MIN;
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
    int replaced = -1;
    char uid[sizeof((vk_grant *)0)->user_id];
    code[0] = reason[0] = '\0';
    /* Keyed by the stored (possibly truncated) user id, as the projector stores it. */
    vk_str_copy(uid, sizeof uid, e->user_id ? e->user_id : "");
    if (vk_strmap_get(s->seen, e->event_id, &dummy))
        return VK_GRANTS_DUPLICATE;
    long u = user_add(s, uid);
    if (u < 0)
        return VK_GRANTS_NO_MEMORY;
    if (behind_a_grant(s, u, e->event_id))
        return VK_GRANTS_DUPLICATE;
    if (gather_open(s, u, &n) || reserve((void **)&s->slots, &s->cap, s->n + 1, sizeof *s->slots) ||
        reserve((void **)&s->events, &s->cap_events, s->n_events + 1, sizeof *s->events) ||
        vk_strmap_put(s->seen, e->event_id, (long)s->n_events))
        return VK_GRANTS_NO_MEMORY;
    seen_event *se = &s->events[s->n_events++];
    vk_str_copy(se->id, sizeof se->id, e->event_id);
    se->at = e->occurred_at;
    se->user = u;
    user_state *us = &s->users[u];
    bool stale = e->occurred_at < horizon(s, u);
    if (e->occurred_at > us->newest)
        us->newest = e->occurred_at;
    vk_access_outcome out;
    if (stale && e->action == VK_ACCESS_GRANT) {
        char t1[VK_TIME_LEN], t2[VK_TIME_LEN];
        snprintf(code, code_len, "STALE_GRANT");
        snprintf(reason, reason_len,
                 "a GRANT made at %s, more than %" PRId64 " days before the user's latest access "
                 "change (%s), is not applied: it may be a redelivery of a grant closed since; "
                 "grant again with the current time",
                 vk_time_format(e->occurred_at, VK_TIME_S, t1, sizeof t1), s->history_ms / 86400000,
                 vk_time_format(us->newest, VK_TIME_S, t2, sizeof t2));
        out = VK_ACCESS_REFUSED;
    } else {
        out = vk_access_apply(s->scratch, n, e, facility_district, &replaced, code, code_len,
                              reason, reason_len);
    }
    if (out != VK_ACCESS_REFUSED) {
        if (replaced >= 0) {
            vk_grant_record_close(&s->slots[s->scratch_idx[replaced]].r, e);
            s->open--;
        }
        if (e->action == VK_ACCESS_GRANT) {
            slot *sl = &s->slots[s->n];
            memset(sl, 0, sizeof *sl);
            vk_grant_record_open(&sl->r, e);
            sl->user = u;
            sl->prev = us->head;
            us->head = (long)s->n++;
            s->open++;
        }
    }
    if (s->n + s->n_events >= s->prune_at)
        vk_grants_prune(s); /* out of memory: tried again at the next event */
    return out == VK_ACCESS_REFUSED ? VK_GRANTS_REFUSED : VK_GRANTS_APPLIED;
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
    case VK_AUTHZ_TOO_OLD:
        return "TOO_OLD";
    case VK_AUTHZ_CLOCK_SKEW:
        return "CLOCK_SKEW";
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
    char uid[sizeof((vk_grant *)0)->user_id];
    vk_str_copy(uid, sizeof uid, user);
    long u = user_of(s, uid);
    long head = u >= 0 ? s->users[u].head : -1;
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
    if (u >= 0 && at < s->users[u].forgotten) {
        snprintf(words, words_len,
                 "the request reached vaksin at %s, but the grants of user %s before %s are no "
                 "longer kept (a grant closed then might have covered it): send the request again",
                 t_at, user, vk_time_format(s->users[u].forgotten, VK_TIME_S, t1, sizeof t1));
        return VK_AUTHZ_TOO_OLD;
    }
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

/* "3 days", "5 hours", "12 minutes", "40 seconds": how far apart two times are. */
static void span_words(int64_t ms, char *out, size_t len) {
    static const struct {
        int64_t ms;
        const char *unit;
    } units[] = {{86400000, "days"}, {3600000, "hours"}, {60000, "minutes"}, {1000, "seconds"}};
    for (size_t i = 0; i < sizeof units / sizeof *units; i++)
        if (ms >= 2 * units[i].ms || i + 1 == sizeof units / sizeof *units) {
            snprintf(out, len, "%" PRId64 " %s", ms / units[i].ms, units[i].unit);
            return;
        }
}

vk_authz vk_authz_clock(int64_t occurred_at, int64_t appended, int64_t tolerance_ms, int64_t *at,
                        char *words, size_t words_len) {
    words[0] = '\0';
    *at = appended >= 0 ? appended : occurred_at;
    if (appended < 0)
        return VK_AUTHZ_GRANTED;
    /* Both are within years 1..9999 (vk_envelope_read checked occurred_at): no overflow. */
    int64_t apart = occurred_at > appended ? occurred_at - appended : appended - occurred_at;
    if (apart <= tolerance_ms)
        return VK_AUTHZ_GRANTED;
    char t1[VK_TIME_LEN], t2[VK_TIME_LEN], span[48], allowed[48];
    span_words(apart, span, sizeof span);
    span_words(tolerance_ms, allowed, sizeof allowed);
    snprintf(words, words_len,
             "the request says it was made at %s but reached vaksin at %s, %s %s; more than %s "
             "apart is not decided: check the clock of the device that sent it and send the "
             "request again",
             vk_time_format(occurred_at, VK_TIME_S, t1, sizeof t1),
             vk_time_format(appended, VK_TIME_S, t2, sizeof t2), span,
             occurred_at < appended ? "earlier" : "later", allowed);
    return VK_AUTHZ_CLOCK_SKEW;
}
