/*
 * vk_dose.h — the per-person, per-dose state machine of the desks (docs/design.md §4), as a pure
 * function the projector applies in log order:
 *
 *     (a person's doses, one desk event) → the new state, or a refusal with a reason a desk
 *     operator understands.
 *
 * Per dose:  (none) --Registered--> REGISTERED --Screened PROCEED--> SCREENED --Vaccinated-->
 * VACCINATED
 *                                        |--Screened POSTPONE--> POSTPONED (visit closed; may
 * register again)
 *                                        '--Screened NOT_GIVEN--> NOT_GIVEN (dose closed)
 * - registering needs a known target; dose n > 1 needs dose n-1 VACCINATED at least the
 *   catalog's minimum interval (of dose n-1's vaccine) before the registration; registering
 *   again while the same dose is REGISTERED or SCREENED is a duplicate (no change, no new visit);
 *   the facility need not be the ticket's;
 * - a screening needs an open registration (REGISTERED) for that dose;
 * - a vaccination needs a PROCEED screening (SCREENED) for that dose and a catalog vaccine; a
 *   dose within the primary series of dose 1's vaccine must use that same vaccine.
 * Days are counted between calendar dates in WIB (UTC+7), as a desk would count them.
 */
#ifndef VK_DOSE_H
#define VK_DOSE_H

#include "vk_catalog.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VK_MAX_DOSES 8

typedef enum vk_dose_status {
    VK_DOSE_NONE = 0,
    VK_DOSE_REGISTERED,
    VK_DOSE_SCREENED,
    VK_DOSE_POSTPONED,
    VK_DOSE_NOT_GIVEN,
    VK_DOSE_VACCINATED,
} vk_dose_status;

/** @brief "REGISTERED", "SCREENED", … as stored in dose.status ("" for NONE). */
const char *vk_dose_status_name(vk_dose_status s);
/** @brief The inverse of vk_dose_status_name (NONE for anything else). */
vk_dose_status vk_dose_status_parse(const char *s);

typedef enum vk_screening_result {
    VK_PROCEED = 0,
    VK_POSTPONE = 1,
    VK_NOT_GIVEN = 2
} vk_screening_result;

/** One row of the dose table. */
typedef struct vk_dose_row {
    int dose; /* 1-based; 0 = unused slot */
    vk_dose_status status;
    int visits; /* registrations that opened a visit (a duplicate does not count) */
    char registered_facility[32];
    int64_t registered_at; /* ms since epoch */
    bool has_screening;
    vk_screening_result screening_result;
    char screening_facility[32];
    int64_t screened_at;
    bool has_temperature;
    float temperature_c;
    bool has_systolic, has_diastolic;
    int systolic, diastolic;
    char vaccine[32];
    char batch[64];
    char vaccinating_facility[32];
    int64_t vaccinated_at;
} vk_dose_row;

/** Everything the rules need to know about one person. */
typedef struct vk_person {
    bool is_target;                  /* a target row exists (ticketed) */
    vk_dose_row doses[VK_MAX_DOSES]; /* doses[i].dose == i + 1 when used */
} vk_person;

typedef enum vk_desk_kind { VK_DESK_REGISTERED, VK_DESK_SCREENED, VK_DESK_VACCINATED } vk_desk_kind;

/** A desk event, as decoded from the TargetEvent payload. */
typedef struct vk_desk_event {
    vk_desk_kind kind;
    int dose;
    const char *facility;
    int64_t occurred_at; /* ms since epoch */
    /* Screened */
    vk_screening_result result;
    bool has_temperature;
    float temperature_c;
    bool has_systolic, has_diastolic;
    int systolic, diastolic;
    /* Vaccinated */
    const char *vaccine;
    const char *batch;
    int64_t vaccinated_at;
} vk_desk_event;

typedef enum vk_desk_outcome {
    VK_DESK_APPLIED,   /* the person's state changed */
    VK_DESK_UNCHANGED, /* a duplicate registration of an open visit: nothing to do */
    VK_DESK_REFUSED,   /* refused: code and reason filled */
} vk_desk_outcome;

/**
 * @brief Applies @p e to @p p in place (only when the outcome is APPLIED). On a refusal, @p code
 * gets a stable machine code (UNKNOWN_TARGET, BAD_DOSE, PREVIOUS_DOSE_MISSING,
 * INTERVAL_NOT_REACHED, DOSE_ALREADY_GIVEN, DOSE_CLOSED, NO_OPEN_REGISTRATION, ALREADY_SCREENED,
 * NOT_SCREENED, SCREENING_POSTPONED, UNKNOWN_VACCINE, VACCINE_DIFFERS; BAD_EVENT for a desk kind or
 * screening result outside its enum) and @p reason the words for the desk, e.g. "dose 2 too early:
 * 27 of 28 days since dose 1 (CORONAVAC) on 2021-01-14; earliest 2021-02-11". On UNCHANGED they are
 * DUPLICATE_REGISTRATION and why; on APPLIED both are "". Either buffer may be NULL (length 0). The
 * registration is checked at its occurred_at, the previous dose at its vaccinated_at. Allocates
 * nothing; the order of the checks is explained in vk_dose.c.
 */
vk_desk_outcome vk_dose_apply(vk_person *p, const vk_desk_event *e, const vk_catalog *cat,
                              char *code, size_t code_len, char *reason, size_t reason_len);

#endif
