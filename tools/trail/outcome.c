/*
 * outcome.c — what became of each event of a trail (trail_finish; see trail.h): linked from
 * the other entries and from the read model, never guessed.
 *
 * Links are found through small indexes built once the entries are ordered (jansson objects
 * used as string maps): target events by causation_id, dead letters by the position they
 * refused, lookups by request_id, requests by event_id. A request may have several outputs (a
 * verification request: its Pending and its lookup) and a target event several copies (a
 * redelivery stored twice on the topic): every one is listed, none is dropped silently.
 *
 * Every outcome is {"status", "summary", ...}: status one of APPLIED, UNCHANGED, REJECTED
 * (the projector's word, from event_log), DUPLICATE, NOT_YET_PROJECTED, DEAD_LETTER, PENDING
 * (a verification request still waiting for evidence), PRODUCED (a request whose output's fate
 * is not known) or UNKNOWN; summary the same in a sentence for the human form.
 */
#include "trail.h"

#include "vk_buf.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *str_of(const json_t *obj, const char *key) {
    return json_string_value(json_object_get(obj, key));
}

/* A member as text for a sentence: "?" when missing. */
static const char *txt(const json_t *obj, const char *key) {
    const char *s = str_of(obj, key);
    return s ? s : "?";
}

/* Sets @p key to @p value (a new reference), or removes it when there is no value. */
static void put(json_t *obj, const char *key, const json_t *value) {
    if (value)
        json_object_set(obj, key, (json_t *)value);
    else
        json_object_del(obj, key);
}

/* A read-model row by event or request id. PostgreSQL prints a uuid in lower case; an event id
 * in a record is as its sender wrote it. */
static const json_t *rm_get(const trail *t, const char *table, const char *id) {
    char low[64];
    if (!id || strlen(id) >= sizeof low)
        return NULL;
    size_t i = 0;
    for (; id[i]; i++)
        low[i] = (char)tolower((unsigned char)id[i]);
    low[i] = '\0';
    return json_object_get(json_object_get(t->rm, table), low);
}

/* Index: key → array of entry indexes. */
static void index_add(json_t *index, const char *key, size_t i) {
    if (!key)
        return;
    json_t *list = json_object_get(index, key);
    if (!list) {
        list = json_array();
        json_object_set_new(index, key, list);
    }
    json_array_append_new(list, json_integer((json_int_t)i));
}

static void position_key(char *out, size_t len, const char *topic, int64_t partition,
                         int64_t offset) {
    snprintf(out, len, "%s/%" PRId64 "/%" PRId64, topic, partition, offset);
}

static void where(vk_buf *b, const trail_entry *e) {
    vk_buf_printf(b, "%s[%" PRId32 "]@%" PRId64, e->topic, e->partition, e->offset);
}

static json_t *position_json(const trail_entry *e) {
    return json_pack("{s:s,s:i,s:I}", "topic", e->topic, "partition", (int)e->partition, "offset",
                     (json_int_t)e->offset);
}

static void set_summary(json_t *o, vk_buf *b) {
    json_object_set_new(o, "summary", json_stringn((const char *)b->data, b->len));
    vk_buf_free(b);
}

/* The verification row's decision, when @p e is the event that made it. */
static void add_decision(const trail *t, const trail_entry *e, json_t *o, vk_buf *b) {
    const json_t *v = rm_get(t, "verifications", e->request_id);
    const char *status = str_of(v, "status"), *last = str_of(v, "last_event_id");
    if (!status || !last || !e->event_id || strcasecmp(last, e->event_id) != 0 ||
        strcmp(status, "PENDING") == 0)
        return;
    json_object_set_new(o, "decision", json_deep_copy(v));
    vk_buf_printf(b, "; decision %s", status);
    if (str_of(v, "reason_code") && *str_of(v, "reason_code"))
        vk_buf_printf(b, " %s", str_of(v, "reason_code"));
    if (str_of(v, "reason"))
        vk_buf_printf(b, ": %s", str_of(v, "reason"));
    const json_t *changes = json_object_get(v, "changes");
    size_t i;
    const json_t *c;
    json_array_foreach(changes, i, c) {
        const char *old = str_of(c, "old"), *new = str_of(c, "new");
        vk_buf_printf(b, "%s%s: %s%s%s → %s%s%s", i == 0 ? " (" : ", ", txt(c, "field"),
                      old ? "\"" : "", old ? old : "(none)", old ? "\"" : "", new ? "\"" : "",
                      new ? new : "(none)", new ? "\"" : "");
    }
    if (json_array_size(changes))
        vk_buf_append_str(b, ")");
}

/* What a Verification* payload adds to its outcome: the grant, the verdict and evidence. */
static void add_verification(const trail_entry *e, json_t *o, vk_buf *b) {
    const json_t *p = json_object_get(json_object_get(e->record, "value"), "payload");
    if (strcmp(e->event_type, "VerificationPending") == 0) {
        const json_t *g = json_object_get(p, "grant");
        put(o, "grant", g);
        vk_buf_printf(b, "; pending under grant %s (user %s at %s, granted by %s)",
                      txt(g, "grant_event_id"), txt(g, "user_id"), txt(g, "facility_code"),
                      txt(g, "granted_by"));
    } else if (strcmp(e->event_type, "VerificationEnriched") == 0) {
        put(o, "verdict", json_object_get(p, "verdict"));
        put(o, "evidence", json_object_get(p, "evidence"));
        vk_buf_printf(b, "; verdict %s", txt(p, "verdict"));
        size_t i;
        const json_t *ev;
        json_array_foreach(json_object_get(p, "evidence"), i, ev) {
            vk_buf_printf(b, "%s%s %s", i == 0 ? " (" : ", ", txt(ev, "source"), txt(ev, "status"));
        }
        if (json_array_size(json_object_get(p, "evidence")))
            vk_buf_append_str(b, ")");
    } else if (strcmp(e->event_type, "VerificationRefused") == 0) {
        vk_buf_printf(b, "; refused %s: %s", txt(p, "code"), txt(p, "refusal"));
    }
}

typedef struct links {
    json_t *causes;   /* causation_id → target events */
    json_t *dead;     /* "topic/partition/offset" refused → dead letters */
    json_t *requests; /* request_id → lookups and retries */
    json_t *events;   /* event_id → requests and lookups (a target event's cause) */
} links;

/* The request or lookup a target event came from, when the trail holds it. */
static void add_cause(const trail *t, const links *l, const trail_entry *e, json_t *o, vk_buf *b) {
    const json_t *ix =
        json_array_get(json_object_get(l->events, e->causation_id ? e->causation_id : ""), 0);
    if (ix) {
        const trail_entry *c = &t->v[json_integer_value(ix)];
        json_t *j = position_json(c);
        json_object_set_new(j, "event_type", json_string(c->event_type));
        json_object_set_new(o, "cause", j);
        return;
    }
    const json_t *p = json_object_get(json_object_get(e->record, "value"), "payload");
    if (strcmp(e->event_type, "Registered") == 0 && str_of(p, "ticket"))
        vk_buf_append_str(b, "; its request (by ticket) is not in the trail: before --from, "
                             "gone, or keyed by the ticket as typed (--all-partitions)");
}

static json_t *target_outcome(const trail *t, const links *l, const trail_entry *e) {
    json_t *o = json_object();
    vk_buf b = VK_BUF_INIT;
    const json_t *row = rm_get(t, "log", e->event_id);
    const char *status;
    if (!t->rm) {
        status = "UNKNOWN";
        vk_buf_append_str(&b, "outcome unknown (no read model: pg.conninfo not given)");
    } else if (row) {
        status = txt(row, "outcome");
        const char *topic = txt(row, "topic");
        int64_t partition = json_integer_value(json_object_get(row, "partition"));
        int64_t offset = json_integer_value(json_object_get(row, "offset"));
        if (strcmp(topic, e->topic) != 0 || partition != e->partition || offset != e->offset) {
            json_object_set_new(o, "duplicate_of", json_deep_copy(row));
            vk_buf_printf(&b, "duplicate of %s[%" PRId64 "]@%" PRId64 " (%s), dropped", topic,
                          partition, offset, status);
            status = "DUPLICATE";
        } else {
            vk_buf_append_str(&b, status);
            const json_t *rej = rm_get(t, "rejections", e->event_id);
            if (rej) {
                put(o, "reason_code", json_object_get(rej, "reason_code"));
                put(o, "reason", json_object_get(rej, "reason"));
                vk_buf_printf(&b, " %s: %s", txt(rej, "reason_code"), txt(rej, "reason"));
            }
        }
    } else {
        char key[300];
        snprintf(key, sizeof key, "%s/%" PRId32, e->topic, e->partition);
        const json_t *next = json_object_get(json_object_get(t->rm, "projected"), key);
        if (!next || e->offset >= json_integer_value(next)) {
            status = "NOT_YET_PROJECTED";
            vk_buf_append_str(&b, "not yet projected");
        } else {
            status = "UNKNOWN";
            vk_buf_append_str(&b, "outcome unknown (the projector passed it; not in event_log)");
        }
    }
    json_object_set_new(o, "status", json_string(status));
    add_cause(t, l, e, o, &b);
    add_verification(e, o, &b);
    if (t->rm)
        add_decision(t, e, o, &b);
    set_summary(o, &b);
    return o;
}

static json_t *dead_letter_outcome(const trail_entry *e) {
    const json_t *v = json_object_get(e->record, "value");
    json_t *o = json_pack("{s:s,s:O?,s:O?,s:O?}", "status", "DEAD_LETTER", "reason_code",
                          json_object_get(v, "error_code"), "reason", json_object_get(v, "error"),
                          "service", json_object_get(v, "service"));
    vk_buf b = VK_BUF_INIT;
    vk_buf_printf(&b,
                  "dead letter %s from %s: %s (refused %s[%" JSON_INTEGER_FORMAT
                  "]@%" JSON_INTEGER_FORMAT ")",
                  txt(v, "error_code"), txt(v, "service"), txt(v, "error"), txt(v, "topic"),
                  json_integer_value(json_object_get(v, "partition")),
                  json_integer_value(json_object_get(v, "offset")));
    set_summary(o, &b);
    return o;
}

/* A status the projector or a service gave, as opposed to "we do not know". */
static bool decided(const char *status) {
    return strcmp(status, "APPLIED") == 0 || strcmp(status, "UNCHANGED") == 0 ||
           strcmp(status, "REJECTED") == 0 || strcmp(status, "DEAD_LETTER") == 0;
}

static int64_t attempt_of(const trail_entry *e) {
    return json_integer_value(json_object_get(json_object_get(e->record, "value"), "attempt"));
}

static bool is_lookup(const trail_entry *e) {
    return e->rank == TRAIL_RANK_LOOKUPS || e->rank == TRAIL_RANK_RETRIES;
}

/* Lists @p product under "produced" and in the summary; returns its status. */
static const char *add_product(const trail_entry *p, json_t *produced, vk_buf *b) {
    const char *status = p->outcome ? txt(p->outcome, "status") : "PRODUCED";
    json_t *j = position_json(p);
    json_object_set_new(j, "event_type", json_string(p->event_type));
    json_object_set_new(j, "status", json_string(status));
    json_array_append_new(produced, j);
    vk_buf_printf(b, "%s→ %s at ", b->len ? "; " : "", p->event_type);
    where(b, p);
    /* Its status only: its own line says the rest (a chain of retries must not nest). */
    const char *code = p->outcome ? str_of(p->outcome, "reason_code") : NULL;
    vk_buf_printf(b, ": %s%s%s", status, code ? " " : "", code ? code : "");
    return status;
}

static json_t *request_outcome(const trail *t, const links *l, const trail_entry *e) {
    json_t *o = json_object(), *produced = json_array();
    vk_buf b = VK_BUF_INIT;
    const char *status = NULL;
    size_t k;
    const json_t *ix;
    char key[300];
    position_key(key, sizeof key, e->topic, e->partition, e->offset);
    json_array_foreach(json_object_get(l->dead, key), k, ix) {
        const trail_entry *d = &t->v[json_integer_value(ix)];
        json_object_set_new(o, "dead_letter",
                            json_pack("{s:s,s:i,s:I,s:O?,s:O?}", "topic", d->topic, "partition",
                                      (int)d->partition, "offset", (json_int_t)d->offset,
                                      "error_code", json_object_get(d->outcome, "reason_code"),
                                      "error", json_object_get(d->outcome, "reason")));
        put(o, "reason_code", json_object_get(d->outcome, "reason_code"));
        put(o, "reason", json_object_get(d->outcome, "reason"));
        vk_buf_printf(&b, "%s%s at ", b.len ? "; " : "", txt(d->outcome, "summary"));
        where(&b, d);
        status = "DEAD_LETTER";
    }
    json_array_foreach(json_object_get(l->causes, e->event_id ? e->event_id : ""), k, ix) {
        const trail_entry *p = &t->v[json_integer_value(ix)];
        const char *s = add_product(p, produced, &b);
        /* Copies of one output (a redelivery) share its event id: the one projected counts. */
        if (!status || (!decided(status) && decided(s))) {
            status = s;
            put(o, "reason_code", json_object_get(p->outcome, "reason_code"));
            put(o, "reason", json_object_get(p->outcome, "reason"));
        }
    }
    int64_t attempt = attempt_of(e);
    json_array_foreach(json_object_get(l->requests, e->request_id ? e->request_id : ""), k, ix) {
        const trail_entry *p = &t->v[json_integer_value(ix)];
        int64_t a = attempt_of(p);
        /* A request's lookup is attempt 0; a lookup's retry is the next attempt. */
        if ((e->rank == TRAIL_RANK_VERIFICATION && p->rank == TRAIL_RANK_LOOKUPS && a == 0) ||
            (e->rank != TRAIL_RANK_VERIFICATION && p->rank == TRAIL_RANK_RETRIES &&
             a == attempt + 1))
            add_product(p, produced, &b);
    }
    if (json_array_size(produced))
        put(o, "produced", produced);
    if ((status && !decided(status)) || (!status && json_array_size(produced)))
        status = "PRODUCED"; /* its output exists; what became of that is said on its line */
    json_decref(produced);
    const json_t *v =
        e->rank == TRAIL_RANK_VERIFICATION ? rm_get(t, "verifications", e->request_id) : NULL;
    if (v && (!status || strcmp(status, "DEAD_LETTER") != 0)) {
        /* A verification request's outcome is its decision, wherever it was made. */
        const char *code = str_of(v, "reason_code"), *reason = str_of(v, "reason");
        status = txt(v, "status");
        json_object_set_new(o, "decision", json_deep_copy(v));
        put(o, "reason_code", code && *code ? json_object_get(v, "reason_code") : NULL);
        put(o, "reason", json_object_get(v, "reason"));
        vk_buf_printf(&b, "%srequest %s%s%s%s%s", b.len ? "; " : "", status,
                      code && *code ? " " : "", code ? code : "", reason ? ": " : "",
                      reason ? reason : "");
    }
    if (!status) {
        status = "UNKNOWN";
        vk_buf_append_str(&b, "outcome unknown (no output of it in the trail)");
    }
    json_object_set_new(o, "status", json_string(status));
    set_summary(o, &b);
    return o;
}

static void free_links(links *l) {
    json_decref(l->causes);
    json_decref(l->dead);
    json_decref(l->requests);
    json_decref(l->events);
}

int trail_finish(trail *t) {
    trail_order(t);
    links l = {json_object(), json_object(), json_object(), json_object()};
    if (!l.causes || !l.dead || !l.requests || !l.events) {
        free_links(&l);
        return -1;
    }
    for (size_t i = 0; i < t->n; i++) {
        trail_entry *e = &t->v[i];
        const json_t *v = json_object_get(e->record, "value");
        if (e->rank == TRAIL_RANK_TARGET) {
            index_add(l.causes, e->causation_id, i);
        } else if (e->rank == TRAIL_RANK_LOOKUPS || e->rank == TRAIL_RANK_RETRIES) {
            index_add(l.requests, e->request_id, i);
            index_add(l.events, e->event_id, i);
        } else if (e->rank == TRAIL_RANK_DEAD && str_of(v, "topic")) {
            char key[300];
            position_key(key, sizeof key, str_of(v, "topic"),
                         json_integer_value(json_object_get(v, "partition")),
                         json_integer_value(json_object_get(v, "offset")));
            index_add(l.dead, key, i);
        } else if (e->rank != TRAIL_RANK_DEAD) {
            index_add(l.events, e->event_id, i);
        }
    }
    /* Target events and dead letters first: requests report their outputs' outcomes; then
     * lookups, latest attempt first (a lookup reports its retry's), then the requests. */
    for (size_t i = 0; i < t->n; i++) {
        trail_entry *e = &t->v[i];
        if (e->rank == TRAIL_RANK_TARGET)
            e->outcome = target_outcome(t, &l, e);
        else if (e->rank == TRAIL_RANK_DEAD)
            e->outcome = json_object_get(e->record, "value") ? dead_letter_outcome(e) : NULL;
    }
    /* Each distinct attempt number, from the highest down (as many rounds as attempts seen). */
    for (int64_t below = INT64_MAX;;) {
        int64_t a = -1;
        for (size_t i = 0; i < t->n; i++)
            if (is_lookup(&t->v[i]) && attempt_of(&t->v[i]) < below && attempt_of(&t->v[i]) > a)
                a = attempt_of(&t->v[i]);
        if (a < 0)
            break;
        for (size_t i = 0; i < t->n; i++)
            if (is_lookup(&t->v[i]) && attempt_of(&t->v[i]) == a)
                t->v[i].outcome = request_outcome(t, &l, &t->v[i]);
        below = a;
    }
    for (size_t i = 0; i < t->n; i++)
        if (!t->v[i].outcome && t->v[i].rank != TRAIL_RANK_DEAD)
            t->v[i].outcome = request_outcome(t, &l, &t->v[i]);
    for (size_t i = 0; i < t->n; i++)
        if (!t->v[i].outcome)
            t->v[i].outcome = json_pack("{s:s,s:s}", "status", "UNKNOWN", "summary",
                                        "outcome unknown (the record does not decode)");
    free_links(&l);
    return 0;
}
