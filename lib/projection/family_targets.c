/*
 * family_targets.c — the targets family: TicketIssued (from vaksin-ticket, one per imported or
 * requested target) creates the person's target row, through the rule of vk_target_apply_ticket
 * (lib/domain/vk_target.c) and the ticket-collision rule (persons.c).
 */
#include "batch.h"

#include "vk_log.h"
#include "vk_value.h"

#include <string.h>

static void decode(pevent *e, const avro_value_t *pl) {
    vk_target *t = &e->as.ticket;
    vk_str_copy(t->nik, sizeof t->nik, e->nik);
    const char *s;
    int sex;
    avro_value_t flags, item;
    size_t nflags = 0, used = 0;
    if (!vk_value_get_str(pl, "ticket", &s))
        vk_str_copy(t->ticket, sizeof t->ticket, s);
    if (!vk_value_get_str(pl, "name", &s))
        vk_str_copy(t->name, sizeof t->name, s);
    vk_value_get_int(pl, "birth_date", &t->birth_date);
    if (!vk_value_get_opt_enum(pl, "sex", &sex))
        t->sex = sex == 0 ? 'L' : sex == 1 ? 'P' : 0;
    if (!vk_value_get_opt_str(pl, "phone", &s))
        vk_str_copy(t->phone, sizeof t->phone, s);
    if (!vk_value_get_opt_str(pl, "category", &s))
        vk_str_copy(t->category, sizeof t->category, s);
    if (!vk_value_get_opt_str(pl, "facility_code", &s))
        vk_str_copy(t->facility_code, sizeof t->facility_code, s);
    vk_value_get_opt_int(pl, "scheduled_date", &t->has_scheduled_date, &t->scheduled_date);
    avro_value_t origin;
    if (!vk_value_get_field(pl, "origin", &origin)) {
        int idx;
        avro_schema_t os = avro_value_get_schema(&origin);
        if (!avro_value_get_enum(&origin, &idx))
            vk_str_copy(t->origin, sizeof t->origin, avro_schema_enum_get(os, idx));
    }
    if (!vk_value_get_field(pl, "flags", &flags) && !avro_value_get_size(&flags, &nflags)) {
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
static void apply(void *st, batch *b, pevent *e) {
    (void)st;
    pstate *cur = persons_get(b, e->nik);
    char reason[900];
    switch (vk_target_apply_ticket(cur->exists ? &cur->t : NULL, &e->as.ticket, reason,
                                   sizeof reason)) {
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
    if (persons_ticket_taken(b, e->as.ticket.ticket)) {
        reject(e, "TICKET_COLLISION",
               "ticket number already belongs to another NIK; not merged — report to the "
               "vaksin operators (change the ticket secret length or format)");
        vk_error("msg=\"ticket collision\" nik=%s ticket=%s", e->nik, e->as.ticket.ticket);
        return;
    }
    cur->t = e->as.ticket;
    cur->exists = cur->created = true;
    vk_str_copy(cur->created_event_id, sizeof cur->created_event_id, e->event_id);
    cur->created_at = e->occurred_at;
    persons_take_ticket(b, cur);
    e->out = OUT_APPLIED;
}

/* Its tickets' owners must be known before a new target takes a ticket number. */
static int load(void *st, batch *b, PGconn *db) {
    (void)st, (void)db;
    for (int i = 0; i < b->n; i++)
        if (b->ev[i].type == EV_TICKET_ISSUED)
            persons_want_ticket(b, b->ev[i].as.ticket.ticket);
    return 0;
}

const vk_family family_targets = {
    .name = "targets",
    .first_type = EV_TICKET_ISSUED,
    .last_type = EV_TICKET_ISSUED,
    .reads_target = true,
    .decode = decode,
    .load = load,
    .apply = apply,
};
