/*
 * trail.c — the trail of one NIK: which records belong to it (its NIK, or its tickets for
 * registrations made by ticket), what each one is, and their order (see trail.h). Outcomes are
 * linked in outcome.c, printing is in print.c.
 */
#include "trail.h"

#include "vk_audit.h"
#include "vk_kafka.h"
#include "vk_ticket.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

const char *const trail_topics[] = {
    VK_TOPIC_TICKET_REQUESTS,      VK_TOPIC_REGISTRATION_REQUESTS, VK_TOPIC_SCREENING_REQUESTS,
    VK_TOPIC_VACCINATION_REQUESTS, VK_TOPIC_VERIFICATION_REQUESTS, VK_TOPIC_VERIFICATION_LOOKUPS,
    VK_TOPIC_VERIFICATION_RETRIES, VK_TOPIC_TARGET_EVENTS,         VK_TOPIC_DEAD_LETTERS,
};

/* The record each topic carries (a target event is named by its payload branch instead). */
static const char *const topic_records[TRAIL_TOPICS] = {
    "TicketRequested",      "RegistrationSubmitted", "ScreeningSubmitted",
    "VaccinationSubmitted", "VerificationRequested", "VerificationLookup",
    "VerificationLookup",   "TargetEvent",           "DeadLetter",
};

static int topic_rank(const char *topic) {
    for (int i = 0; i < TRAIL_TOPICS; i++)
        if (topic && strcmp(trail_topics[i], topic) == 0)
            return i;
    return TRAIL_TOPICS;
}

static const char *str_of(const json_t *obj, const char *key) {
    return json_string_value(json_object_get(obj, key));
}

trail *trail_new(const char *nik) {
    trail *t = calloc(1, sizeof *t);
    if (t)
        snprintf(t->nik, sizeof t->nik, "%s", nik);
    return t;
}

void trail_destroy(trail *t) {
    if (!t)
        return;
    for (size_t i = 0; i < t->n; i++) {
        json_decref(t->v[i].record);
        json_decref(t->v[i].outcome);
    }
    free(t->v);
    json_decref(t->rm);
    free(t);
}

/* ---- Which records are the person's ---- */

static bool is_ticket(const trail *t, const char *typed) {
    char canon[VK_TICKET_LEN + 1], err[128];
    if (!typed || vk_ticket_canonical(typed, canon, err, sizeof err))
        return false;
    for (size_t i = 0; i < t->n_tickets; i++)
        if (strcmp(t->tickets[i], canon) == 0)
            return true;
    return false;
}

int trail_add_ticket(trail *t, const char *ticket) {
    char canon[VK_TICKET_LEN + 1], err[128];
    if (!ticket || vk_ticket_canonical(ticket, canon, err, sizeof err) || is_ticket(t, canon) ||
        t->n_tickets == sizeof t->tickets / sizeof t->tickets[0])
        return 0;
    memcpy(t->tickets[t->n_tickets++], canon, sizeof canon);
    return 1;
}

void trail_collect_tickets(trail *t, const json_t *record) {
    const json_t *value = json_object_get(record, "value");
    const char *topic = str_of(record, "topic");
    if (!topic || strcmp(topic, VK_TOPIC_TARGET_EVENTS) != 0)
        return;
    const char *nik = str_of(value, "nik");
    if (!nik || strcmp(nik, t->nik) != 0)
        return; /* another person's ticket is not this person's key */
    const json_t *payload = json_object_get(value, "payload");
    const char *type = str_of(payload, "type");
    if (type && (strcmp(type, "TicketIssued") == 0 || strcmp(type, "VerificationPending") == 0))
        trail_add_ticket(t, str_of(payload, "ticket"));
}

bool trail_matches(const trail *t, const json_t *record) {
    const char *key = str_of(record, "key"), *nik = vk_audit_record_nik(record);
    if ((key && strcmp(key, t->nik) == 0) || (nik && strcmp(nik, t->nik) == 0))
        return true;
    if (nik) /* another person's */
        return false;
    return is_ticket(t, key) || is_ticket(t, str_of(json_object_get(record, "value"), "ticket")) ||
           is_ticket(t, str_of(json_object_get(record, "payload"), "ticket"));
}

/* ---- Entries ---- */

static void describe(trail_entry *e) {
    const json_t *value = json_object_get(e->record, "value");
    const json_t *payload = json_object_get(value, "payload");
    const char *type = NULL;
    if (!value)
        type = "undecodable";
    else if (e->rank == TRAIL_RANK_TARGET)
        type = str_of(payload, "type") ? str_of(payload, "type") : "TargetEvent";
    else
        type = e->rank < TRAIL_TOPICS ? topic_records[e->rank] : "unknown";
    snprintf(e->event_type, sizeof e->event_type, "%s", type);
    e->event_id = str_of(value, "event_id");
    e->causation_id = str_of(value, "causation_id");
    e->actor = str_of(value, "actor");
    if (!e->actor && e->rank == TRAIL_RANK_DEAD) /* the refused request's actor */
        e->actor = str_of(json_object_get(e->record, "payload"), "actor");
    if (e->rank == TRAIL_RANK_TARGET)
        e->request_id = str_of(payload, "request_id");
    else if (e->rank == TRAIL_RANK_LOOKUPS || e->rank == TRAIL_RANK_RETRIES)
        e->request_id = str_of(value, "request_id");
    else if (e->rank == TRAIL_RANK_VERIFICATION)
        e->request_id = e->event_id;
}

int trail_add(trail *t, json_t *record, trail_source source, int64_t time) {
    if (t->n == t->cap) {
        size_t cap = t->cap ? 2 * t->cap : 64;
        trail_entry *v = realloc(t->v, cap * sizeof *v);
        if (!v) {
            json_decref(record);
            return -1;
        }
        t->v = v;
        t->cap = cap;
    }
    trail_entry *e = &t->v[t->n++];
    memset(e, 0, sizeof *e);
    e->record = record;
    e->topic = str_of(record, "topic") ? str_of(record, "topic") : "?";
    e->rank = topic_rank(e->topic);
    e->partition = (int32_t)json_integer_value(json_object_get(record, "partition"));
    e->offset = json_integer_value(json_object_get(record, "offset"));
    e->time = e->sort_time = time;
    e->source = source;
    describe(e);
    return 0;
}

bool trail_has(const trail *t, const char *topic, int32_t partition, int64_t offset) {
    for (size_t i = 0; i < t->n; i++)
        if (t->v[i].partition == partition && t->v[i].offset == offset &&
            strcmp(t->v[i].topic, topic) == 0)
            return true;
    return false;
}

void trail_set_read_model(trail *t, json_t *rm) {
    json_decref(t->rm);
    t->rm = rm;
}

/* ---- Order ---- */

static int cmp_position(const trail_entry *a, const trail_entry *b) {
    if (a->rank != b->rank)
        return a->rank < b->rank ? -1 : 1;
    if (a->rank == TRAIL_TOPICS && strcmp(a->topic, b->topic) != 0)
        return strcmp(a->topic, b->topic);
    if (a->partition != b->partition)
        return a->partition < b->partition ? -1 : 1;
    return a->offset < b->offset ? -1 : a->offset > b->offset;
}

static int by_position(const void *pa, const void *pb) {
    return cmp_position(pa, pb);
}

static int by_time(const void *pa, const void *pb) {
    const trail_entry *a = pa, *b = pb;
    if (a->sort_time != b->sort_time)
        return a->sort_time < b->sort_time ? -1 : 1;
    return cmp_position(a, b);
}

void trail_order(trail *t) {
    if (t->n == 0)
        return;
    qsort(t->v, t->n, sizeof *t->v, by_position);
    /* From each partition's last offset backwards: the smallest time seen so far. */
    int64_t low = INT64_MAX;
    for (size_t i = t->n; i-- > 0;) {
        trail_entry *e = &t->v[i];
        bool last_of_partition = i + 1 == t->n || e->rank != e[1].rank ||
                                 e->partition != e[1].partition ||
                                 strcmp(e->topic, e[1].topic) != 0;
        if (last_of_partition)
            low = INT64_MAX;
        if (e->time < low)
            low = e->time;
        e->sort_time = low;
    }
    qsort(t->v, t->n, sizeof *t->v, by_time);
}
