/*
 * vk_dose.c — see vk_dose.h.
 *
 * Decide, then apply. Every rule reads the person through a const pointer and either refuses
 * (filling code and reason) or lets the event through; only then is the dose row written. So a
 * refusal can never leave a half-changed row, and nothing is allocated: all text goes into the
 * caller's buffers (truncated to fit).
 *
 * Order of the checks — the first that fails is the one reported, so it has to be the one that
 * tells the desk what to do next:
 *  1. the NIK is a target (for a NIK with no ticket nothing else means anything);
 *  2. the event itself: a dose number in 1..VK_MAX_DOSES (BAD_DOSE), a known desk kind and
 *     screening result (BAD_EVENT, which a decoded event never has);
 *  3. the state of this dose for this person (already given, closed, postponed, not screened,
 *     nothing open, or a duplicate registration);
 *  4. then what the event brings: for a registration the previous dose and its interval, for a
 *     vaccination the vaccine (in the catalog, then the same as dose 1).
 * So a vaccination that is both unscreened and names an unknown vaccine is refused as
 * NOT_SCREENED: the person must not be vaccinated at all before a screening, which matters
 * more than a mistyped code, and the code is checked anyway when the vaccination is sent again
 * after the screening.
 *
 * Days between two instants are the difference of their calendar dates in WIB (UTC+7), as a
 * desk counts them: a dose given at 23:30 WIB on 14 January and a registration at 00:10 WIB on
 * 11 February are 28 days apart, although less than 28 × 24 hours.
 *
 * Beyond the primary series. Dose n > 1 always needs dose n−1 vaccinated at least dose n−1's
 * vaccine's min_interval_days before (never less than 0), so a booster after a single-dose
 * vaccine (JANSSEN, interval 0) may be registered from the very day of the first dose, and a
 * booster after CORONAVAC dose 2 needs 28 days. The same-vaccine rule covers only the doses
 * within the primary series of dose 1's vaccine (doses 2..n of an n-dose vaccine): later doses
 * may use any catalog vaccine (heterologous boosters). A vaccine that was given must stay in
 * the catalog: when it is gone, the interval or the series after it cannot be checked, and the
 * next dose is refused as UNKNOWN_VACCINE naming it.
 *
 * A duplicate registration (the dose is REGISTERED or SCREENED) is UNCHANGED, with the code
 * DUPLICATE_REGISTRATION and a reason, so the caller can log why nothing happened; on APPLIED
 * code and reason are empty. Texts longer than the row's fields (facility 31 bytes, batch 63)
 * are cut at a UTF-8 character boundary: the stage services validate lengths before this.
 */
#include "vk_dose.h"

#include "vk_str.h"
#include "vk_time.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define MS_PER_DAY    INT64_C(86400000)
#define WIB_OFFSET_MS (INT64_C(7) * 3600 * 1000)

static const char *const status_names[] = {"",          "REGISTERED", "SCREENED",
                                           "POSTPONED", "NOT_GIVEN",  "VACCINATED"};
#define N_STATUS (sizeof status_names / sizeof *status_names)

const char *vk_dose_status_name(vk_dose_status s) {
    return (unsigned)s < N_STATUS ? status_names[s] : "";
}

vk_dose_status vk_dose_status_parse(const char *s) {
    for (size_t i = 1; s && i < N_STATUS; i++)
        if (strcmp(s, status_names[i]) == 0)
            return (vk_dose_status)i;
    return VK_DOSE_NONE;
}

/* ---- Days and dates in WIB ---- */

/** @brief The WIB calendar day (days since 1970-01-01) of an instant; floor division, and no
 *  overflow even at the ends of int64. */
static int64_t wib_day(int64_t ms) {
    int64_t day = ms / MS_PER_DAY, rem = ms % MS_PER_DAY;
    if (rem < 0) {
        day--;
        rem += MS_PER_DAY;
    }
    return rem >= MS_PER_DAY - WIB_OFFSET_MS ? day + 1 : day;
}

static void day_text(int64_t day, char out[16]) {
    if (day < INT32_MIN || day > INT32_MAX) {
        snprintf(out, 16, "(bad date)");
        return;
    }
    int y, m, d;
    vk_date_from_days((int32_t)day, &y, &m, &d);
    snprintf(out, 16, "%04d-%02d-%02d", y % 10000, m, d);
}

/** A WIB date as text, for reasons; a struct so it can be passed by value into printf. */
typedef struct date_str {
    char s[16];
} date_str;

static date_str wib_date(int64_t ms) {
    date_str d = {{0}};
    day_text(wib_day(ms), d.s);
    return d;
}

/* ---- The verdict: code and reason in the caller's buffers ---- */

typedef struct verdict {
    char *code;
    size_t code_len;
    char *reason;
    size_t reason_len;
} verdict;

static void set_code(verdict *v, const char *code) {
    if (v->code && v->code_len)
        snprintf(v->code, v->code_len, "%s", code);
}

__attribute__((format(printf, 3, 4))) static void set_reason(verdict *v, const char *code,
                                                             const char *fmt, ...) {
    set_code(v, code);
    if (!v->reason || !v->reason_len)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(v->reason, v->reason_len, fmt, ap);
    va_end(ap);
}

#define REFUSE(v, code, ...) (set_reason((v), (code), __VA_ARGS__), VK_DESK_REFUSED)

/* ---- Reading the person ---- */

static const vk_dose_row *row_of(const vk_person *p, int dose) {
    return &p->doses[dose - 1];
}

/** @brief The state of a dose; a slot not marked with its dose number is unused. */
static vk_dose_status status_of(const vk_person *p, int dose) {
    const vk_dose_row *r = row_of(p, dose);
    return r->dose == dose ? r->status : VK_DOSE_NONE;
}

/* Refusals about the state of dose r->dose, shared by the desks (each with its own code). */

static vk_desk_outcome refuse_given(verdict *v, const char *code, const vk_dose_row *r) {
    return REFUSE(v, code, "dose %d already given on %s (%s)", r->dose,
                  wib_date(r->vaccinated_at).s, r->vaccine);
}

static vk_desk_outcome refuse_closed(verdict *v, const char *code, const vk_dose_row *r) {
    return REFUSE(v, code,
                  "dose %d was closed as NOT_GIVEN on %s at screening: it cannot be registered, "
                  "screened or given again",
                  r->dose, wib_date(r->screened_at).s);
}

static vk_desk_outcome refuse_postponed(verdict *v, const char *code, const vk_dose_row *r) {
    return REFUSE(v, code, "dose %d was postponed at screening on %s: register again", r->dose,
                  wib_date(r->screened_at).s);
}

static vk_desk_outcome refuse_nothing_open(verdict *v, int dose) {
    return REFUSE(v, "NO_OPEN_REGISTRATION",
                  "no open registration for dose %d: register at desk 1 first", dose);
}

/* ---- Registration (desk 1) ---- */

static vk_desk_outcome refuse_previous(verdict *v, int dose, const vk_person *p) {
    const vk_dose_row *prev = row_of(p, dose - 1);
    const char *code = "PREVIOUS_DOSE_MISSING";
    switch (status_of(p, dose - 1)) {
    case VK_DOSE_REGISTERED:
    case VK_DOSE_SCREENED:
        return REFUSE(v, code,
                      "dose %d needs dose %d first: dose %d is open (registered on %s) but not "
                      "yet given",
                      dose, dose - 1, dose - 1, wib_date(prev->registered_at).s);
    case VK_DOSE_POSTPONED:
        return REFUSE(v, code,
                      "dose %d needs dose %d first: dose %d was postponed at screening on %s; "
                      "register dose %d again",
                      dose, dose - 1, dose - 1, wib_date(prev->screened_at).s, dose - 1);
    case VK_DOSE_NOT_GIVEN:
        return REFUSE(v, code, "dose %d needs dose %d first: dose %d was closed as NOT_GIVEN on %s",
                      dose, dose - 1, dose - 1, wib_date(prev->screened_at).s);
    case VK_DOSE_NONE:
    case VK_DOSE_VACCINATED:
        break;
    }
    return REFUSE(v, code, "dose %d needs dose %d first: dose %d has not been given", dose,
                  dose - 1, dose - 1);
}

static vk_desk_outcome check_interval(const vk_desk_event *e, const vk_dose_row *prev,
                                      const vk_vaccine *vac, verdict *v) {
    int need = vac->min_interval_days > 0 ? vac->min_interval_days : 0;
    int64_t given = wib_day(prev->vaccinated_at);
    int64_t days = wib_day(e->occurred_at) - given;
    if (days >= need)
        return VK_DESK_APPLIED;
    char on[16], earliest[16];
    day_text(given, on);
    day_text(given + need, earliest);
    if (days < 0)
        return REFUSE(v, "INTERVAL_NOT_REACHED",
                      "dose %d too early: registered before dose %d (%s) on %s; earliest %s",
                      e->dose, prev->dose, prev->vaccine, on, earliest);
    return REFUSE(v, "INTERVAL_NOT_REACHED",
                  "dose %d too early: %lld of %d days since dose %d (%s) on %s; earliest %s",
                  e->dose, (long long)days, need, prev->dose, prev->vaccine, on, earliest);
}

static vk_desk_outcome check_previous(const vk_person *p, const vk_desk_event *e,
                                      const vk_catalog *cat, verdict *v) {
    if (status_of(p, e->dose - 1) != VK_DOSE_VACCINATED)
        return refuse_previous(v, e->dose, p);
    const vk_dose_row *prev = row_of(p, e->dose - 1);
    const vk_vaccine *vac = vk_catalog_find(cat, prev->vaccine);
    if (!vac)
        return REFUSE(v, "UNKNOWN_VACCINE",
                      "unknown vaccine %s (not in the catalog) was given as dose %d: the interval "
                      "before dose %d cannot be checked",
                      prev->vaccine, prev->dose, e->dose);
    return check_interval(e, prev, vac, v);
}

static vk_desk_outcome check_registration(const vk_person *p, const vk_desk_event *e,
                                          const vk_catalog *cat, verdict *v) {
    const vk_dose_row *r = row_of(p, e->dose);
    switch (status_of(p, e->dose)) {
    case VK_DOSE_VACCINATED:
        return refuse_given(v, "DOSE_ALREADY_GIVEN", r);
    case VK_DOSE_NOT_GIVEN:
        return refuse_closed(v, "DOSE_CLOSED", r);
    case VK_DOSE_REGISTERED:
    case VK_DOSE_SCREENED:
        set_reason(v, "DUPLICATE_REGISTRATION",
                   "dose %d is already open (registered on %s at %s): duplicate registration "
                   "ignored",
                   r->dose, wib_date(r->registered_at).s, r->registered_facility);
        return VK_DESK_UNCHANGED;
    case VK_DOSE_NONE:
    case VK_DOSE_POSTPONED:
        break;
    }
    return e->dose == 1 ? VK_DESK_APPLIED : check_previous(p, e, cat, v);
}

/* ---- Screening (desk 2) ---- */

static vk_desk_outcome check_screening(const vk_person *p, const vk_desk_event *e, verdict *v) {
    const vk_dose_row *r = row_of(p, e->dose);
    const char *code = "NO_OPEN_REGISTRATION";
    switch (status_of(p, e->dose)) {
    case VK_DOSE_REGISTERED:
        return VK_DESK_APPLIED;
    case VK_DOSE_SCREENED:
        return REFUSE(v, "ALREADY_SCREENED",
                      "dose %d already screened on %s (PROCEED): vaccinate at desk 4", r->dose,
                      wib_date(r->screened_at).s);
    case VK_DOSE_POSTPONED:
        return refuse_postponed(v, code, r);
    case VK_DOSE_NOT_GIVEN:
        return refuse_closed(v, code, r);
    case VK_DOSE_VACCINATED:
        return refuse_given(v, code, r);
    case VK_DOSE_NONE:
        break;
    }
    return refuse_nothing_open(v, e->dose);
}

/* ---- Vaccination (desk 4) ---- */

static vk_desk_outcome check_vaccine(const vk_person *p, const vk_desk_event *e,
                                     const vk_catalog *cat, verdict *v) {
    if (!e->vaccine || !*e->vaccine)
        return REFUSE(v, "UNKNOWN_VACCINE", "no vaccine given: choose one from the catalog");
    if (!vk_catalog_find(cat, e->vaccine))
        return REFUSE(v, "UNKNOWN_VACCINE", "unknown vaccine %s (not in the catalog)", e->vaccine);
    if (e->dose == 1 || status_of(p, 1) != VK_DOSE_VACCINATED)
        return VK_DESK_APPLIED;
    const vk_dose_row *first = row_of(p, 1);
    const vk_vaccine *series = vk_catalog_find(cat, first->vaccine);
    if (!series)
        return REFUSE(v, "UNKNOWN_VACCINE",
                      "unknown vaccine %s (not in the catalog) was given as dose 1: its primary "
                      "series cannot be checked",
                      first->vaccine);
    if (e->dose <= series->doses && strcmp(e->vaccine, first->vaccine) != 0)
        return REFUSE(v, "VACCINE_DIFFERS",
                      "vaccine %s differs from dose 1 (%s): dose %d of the primary series must "
                      "use the same vaccine",
                      e->vaccine, first->vaccine, e->dose);
    return VK_DESK_APPLIED;
}

static vk_desk_outcome check_vaccination(const vk_person *p, const vk_desk_event *e,
                                         const vk_catalog *cat, verdict *v) {
    const vk_dose_row *r = row_of(p, e->dose);
    switch (status_of(p, e->dose)) {
    case VK_DOSE_SCREENED:
        return check_vaccine(p, e, cat, v);
    case VK_DOSE_REGISTERED:
        return REFUSE(v, "NOT_SCREENED",
                      "dose %d is registered (on %s at %s) but not screened: screen at desk 2 "
                      "first",
                      r->dose, wib_date(r->registered_at).s, r->registered_facility);
    case VK_DOSE_POSTPONED:
        return refuse_postponed(v, "SCREENING_POSTPONED", r);
    case VK_DOSE_NOT_GIVEN:
        return refuse_closed(v, "DOSE_CLOSED", r);
    case VK_DOSE_VACCINATED:
        return refuse_given(v, "DOSE_ALREADY_GIVEN", r);
    case VK_DOSE_NONE:
        break;
    }
    return refuse_nothing_open(v, e->dose);
}

/* ---- Applying ---- */

static void apply_registration(vk_person *p, const vk_desk_event *e) {
    vk_dose_row *r = &p->doses[e->dose - 1];
    int visits = status_of(p, e->dose) == VK_DOSE_POSTPONED ? r->visits : 0;
    memset(r, 0, sizeof *r); /* a new visit: the postponed screening is cleared */
    r->dose = e->dose;
    r->status = VK_DOSE_REGISTERED;
    r->visits = visits + 1;
    vk_str_copy(r->registered_facility, sizeof r->registered_facility, e->facility);
    r->registered_at = e->occurred_at;
}

static vk_dose_status status_after(vk_screening_result result) {
    switch (result) {
    case VK_PROCEED:
        return VK_DOSE_SCREENED;
    case VK_POSTPONE:
        return VK_DOSE_POSTPONED;
    case VK_NOT_GIVEN:
        return VK_DOSE_NOT_GIVEN;
    }
    return VK_DOSE_NONE; /* not reached: the result was checked */
}

static void apply_screening(vk_person *p, const vk_desk_event *e) {
    vk_dose_row *r = &p->doses[e->dose - 1];
    r->status = status_after(e->result);
    r->has_screening = true;
    r->screening_result = e->result;
    vk_str_copy(r->screening_facility, sizeof r->screening_facility, e->facility);
    r->screened_at = e->occurred_at;
    r->has_temperature = e->has_temperature;
    r->temperature_c = e->has_temperature ? e->temperature_c : 0.0f;
    r->has_systolic = e->has_systolic;
    r->systolic = e->has_systolic ? e->systolic : 0;
    r->has_diastolic = e->has_diastolic;
    r->diastolic = e->has_diastolic ? e->diastolic : 0;
}

static void apply_vaccination(vk_person *p, const vk_desk_event *e) {
    vk_dose_row *r = &p->doses[e->dose - 1];
    r->status = VK_DOSE_VACCINATED;
    vk_str_copy(r->vaccine, sizeof r->vaccine, e->vaccine);
    vk_str_copy(r->batch, sizeof r->batch, e->batch);
    vk_str_copy(r->vaccinating_facility, sizeof r->vaccinating_facility, e->facility);
    r->vaccinated_at = e->vaccinated_at;
}

/* ---- The entry point ---- */

static bool known_event(const vk_desk_event *e) {
    if (e->kind == VK_DESK_SCREENED)
        return e->result == VK_PROCEED || e->result == VK_POSTPONE || e->result == VK_NOT_GIVEN;
    return e->kind == VK_DESK_REGISTERED || e->kind == VK_DESK_VACCINATED;
}

static vk_desk_outcome decide(const vk_person *p, const vk_desk_event *e, const vk_catalog *cat,
                              verdict *v) {
    if (!p->is_target)
        return REFUSE(v, "UNKNOWN_TARGET",
                      "NIK is not a target (no ticket): import or add the target first");
    if (e->dose < 1 || e->dose > VK_MAX_DOSES)
        return REFUSE(v, "BAD_DOSE", "dose %d does not exist: doses are numbered 1 to %d", e->dose,
                      VK_MAX_DOSES);
    if (!known_event(e))
        return REFUSE(v, "BAD_EVENT", "unknown desk event (kind %d, screening result %d)",
                      (int)e->kind, (int)e->result);
    switch (e->kind) {
    case VK_DESK_REGISTERED:
        return check_registration(p, e, cat, v);
    case VK_DESK_SCREENED:
        return check_screening(p, e, v);
    case VK_DESK_VACCINATED:
        return check_vaccination(p, e, cat, v);
    }
    return VK_DESK_REFUSED; /* not reached: known_event */
}

vk_desk_outcome vk_dose_apply(vk_person *p, const vk_desk_event *e, const vk_catalog *cat,
                              char *code, size_t code_len, char *reason, size_t reason_len) {
    verdict v = {code, code_len, reason, reason_len};
    set_reason(&v, "", "%s", "");
    vk_desk_outcome out = decide(p, e, cat, &v);
    if (out != VK_DESK_APPLIED)
        return out;
    switch (e->kind) {
    case VK_DESK_REGISTERED:
        apply_registration(p, e);
        break;
    case VK_DESK_SCREENED:
        apply_screening(p, e);
        break;
    case VK_DESK_VACCINATED:
        apply_vaccination(p, e);
        break;
    }
    return out;
}
