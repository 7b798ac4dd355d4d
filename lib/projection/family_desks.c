/*
 * family_desks.c — the desks family: Registered (desk 1), Screened (desk 2) and Vaccinated
 * (desk 4), applied to the person's dose rows through the per-dose state machine of
 * vk_dose_apply (lib/domain/vk_dose.c) — where "a second dose is refused because it is too
 * early" is decided — with the vaccine catalog, the family's only state.
 */
#include "batch.h"

#include "vk_value.h"

#include <string.h>

/* Fills e->as.desk from a Registered, Screened or Vaccinated payload. */
static void decode(pevent *e, const avro_value_t *pl) {
    desk_payload *dp = &e->as.desk;
    vk_desk_event *d = &dp->desk;
    const char *s;
    int32_t v;
    bool has;
    d->kind = e->type == EV_REGISTERED ? VK_DESK_REGISTERED
              : e->type == EV_SCREENED ? VK_DESK_SCREENED
                                       : VK_DESK_VACCINATED;
    d->occurred_at = e->occurred_at;
    vk_value_get_int(pl, "dose", &v);
    d->dose = v;
    if (!vk_value_get_str(pl, "facility_code", &s))
        vk_str_copy(dp->facility, sizeof dp->facility, s);
    d->facility = dp->facility;
    if (e->type == EV_SCREENED) {
        int result = 0;
        vk_value_get_enum(pl, "result", &result);
        d->result = (vk_screening_result)result;
        vk_value_get_opt_float(pl, "temperature_c", &d->has_temperature, &d->temperature_c);
        vk_value_get_opt_int(pl, "systolic", &d->has_systolic, &v);
        d->systolic = d->has_systolic ? v : 0;
        vk_value_get_opt_int(pl, "diastolic", &has, &v);
        d->has_diastolic = has;
        d->diastolic = has ? v : 0;
    } else if (e->type == EV_VACCINATED) {
        if (!vk_value_get_str(pl, "vaccine", &s))
            vk_str_copy(dp->vaccine, sizeof dp->vaccine, s);
        if (!vk_value_get_str(pl, "batch", &s))
            vk_str_copy(dp->batch, sizeof dp->batch, s);
        vk_value_get_long(pl, "vaccinated_at", &d->vaccinated_at);
        d->vaccine = dp->vaccine;
        d->batch = dp->batch;
    }
}

/* A desk event through the per-dose state machine (lib/domain/vk_dose.c). */
static void apply(void *st, batch *b, pevent *e) {
    const vk_catalog *catalog = st;
    pstate *s = persons_get(b, e->nik);
    s->person.is_target = s->exists;
    char code[32], reason[512];
    switch (vk_dose_apply(&s->person, &e->as.desk.desk, catalog, code, sizeof code, reason,
                          sizeof reason)) {
    case VK_DESK_APPLIED: {
        int i = e->as.desk.desk.dose - 1;
        s->dirty |= 1u << i;
        vk_str_copy(s->dose_event_id[i], sizeof s->dose_event_id[i], e->event_id);
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

/* The state is the catalog itself (borrowed from the projector's owner). */
static void *create(int cap, const vk_catalog *catalog) {
    (void)cap;
    return (void *)catalog;
}

const vk_family family_desks = {
    .name = "desks",
    .first_type = EV_REGISTERED,
    .last_type = EV_VACCINATED,
    .reads_target = true,
    .reads_doses = true,
    .create = create,
    .decode = decode,
    .apply = apply,
};
