/*
 * test_dose.c — the per-person, per-dose state machine (lib/domain/vk_dose.c).
 *
 * Each test walks one person through desk events as the projector would, in log order. Times
 * are written as WIB wall-clock times (wib(2021, 1, 14, 23, 30)), because that is how the rules
 * count days. Every refusal goes through refused(), which also checks that the person's memory
 * is byte-for-byte what it was before the call.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "vk_dose.h"
#include "vk_time.h"

#include <string.h>

static vk_catalog cat;

static int setup(void **state) {
    (void)state;
    return vk_catalog_defaults(&cat);
}

static int teardown(void **state) {
    (void)state;
    vk_catalog_free(&cat);
    return 0;
}

/** Milliseconds since the epoch of a WIB (UTC+7) wall-clock time. */
static int64_t wib(int y, int m, int d, int hh, int mm) {
    int32_t days;
    assert_int_equal(0, vk_date_to_days(y, m, d, &days));
    return (int64_t)days * 86400000 + ((int64_t)hh * 60 + mm) * 60000 - INT64_C(7) * 3600000;
}

static vk_person target(void) {
    vk_person p;
    memset(&p, 0, sizeof p);
    p.is_target = true;
    return p;
}

static vk_desk_event reg(int dose, const char *facility, int64_t at) {
    vk_desk_event e;
    memset(&e, 0, sizeof e);
    e.kind = VK_DESK_REGISTERED;
    e.dose = dose;
    e.facility = facility;
    e.occurred_at = at;
    return e;
}

static vk_desk_event scr(int dose, vk_screening_result result, int64_t at) {
    vk_desk_event e;
    memset(&e, 0, sizeof e);
    e.kind = VK_DESK_SCREENED;
    e.dose = dose;
    e.facility = "P3273020202";
    e.occurred_at = at;
    e.result = result;
    return e;
}

static vk_desk_event vac(int dose, const char *vaccine, int64_t at) {
    vk_desk_event e;
    memset(&e, 0, sizeof e);
    e.kind = VK_DESK_VACCINATED;
    e.dose = dose;
    e.facility = "3273015";
    e.occurred_at = at < INT64_MAX - 60000 ? at + 60000 : at; /* sent a minute after the shot */
    e.vaccine = vaccine;
    e.batch = "B-2021-001";
    e.vaccinated_at = at;
    return e;
}

static void applied(vk_person *p, vk_desk_event e) {
    char code[40] = "x", reason[256] = "x";
    assert_int_equal(VK_DESK_APPLIED,
                     vk_dose_apply(p, &e, &cat, code, sizeof code, reason, sizeof reason));
    assert_string_equal("", code);
    assert_string_equal("", reason);
}

/** Expects a refusal with exactly this code and reason, and the person untouched. */
static void refused_by(const vk_catalog *c, vk_person *p, vk_desk_event e, const char *want_code,
                       const char *want_reason) {
    vk_person before;
    memcpy(&before, p, sizeof before);
    char code[40], reason[256];
    assert_int_equal(VK_DESK_REFUSED,
                     vk_dose_apply(p, &e, c, code, sizeof code, reason, sizeof reason));
    assert_string_equal(want_code, code);
    assert_string_equal(want_reason, reason);
    assert_memory_equal(&before, p, sizeof before);
}

static void refused(vk_person *p, vk_desk_event e, const char *want_code, const char *want_reason) {
    refused_by(&cat, p, e, want_code, want_reason);
}

/** Registers, screens (PROCEED) and vaccinates @p dose on the WIB day at @p at. */
static void give(vk_person *p, int dose, const char *vaccine, int64_t at) {
    applied(p, reg(dose, "P3273020201", at - INT64_C(2) * 3600000));
    applied(p, scr(dose, VK_PROCEED, at - 3600000));
    applied(p, vac(dose, vaccine, at));
}

/* ---- Status names ---- */

static void status_names_round_trip(void **state) {
    (void)state;
    for (int s = VK_DOSE_REGISTERED; s <= VK_DOSE_VACCINATED; s++)
        assert_int_equal(s, vk_dose_status_parse(vk_dose_status_name((vk_dose_status)s)));
    assert_string_equal("NOT_GIVEN", vk_dose_status_name(VK_DOSE_NOT_GIVEN));
    assert_string_equal("", vk_dose_status_name(VK_DOSE_NONE));
    assert_string_equal("", vk_dose_status_name((vk_dose_status)42));
    assert_int_equal(VK_DOSE_NONE, vk_dose_status_parse(""));
    assert_int_equal(VK_DOSE_NONE, vk_dose_status_parse("registered"));
    assert_int_equal(VK_DOSE_NONE, vk_dose_status_parse(NULL));
}

/* ---- Who and which dose ---- */

static void unknown_target_is_refused_at_every_desk(void **state) {
    (void)state;
    vk_person p = target();
    p.is_target = false;
    const char *why = "NIK is not a target (no ticket): import or add the target first";
    int64_t t = wib(2021, 2, 1, 9, 0);
    refused(&p, reg(1, "P3273020201", t), "UNKNOWN_TARGET", why);
    refused(&p, scr(1, VK_PROCEED, t), "UNKNOWN_TARGET", why);
    refused(&p, vac(1, "CORONAVAC", t), "UNKNOWN_TARGET", why);
    refused(&p, reg(0, "P3273020201", t), "UNKNOWN_TARGET", why); /* the target comes first */
}

static void dose_numbers_outside_1_to_8_are_refused(void **state) {
    (void)state;
    vk_person p = target();
    int64_t t = wib(2021, 2, 1, 9, 0);
    refused(&p, reg(0, "P3273020201", t), "BAD_DOSE",
            "dose 0 does not exist: doses are numbered 1 to 8");
    refused(&p, scr(9, VK_PROCEED, t), "BAD_DOSE",
            "dose 9 does not exist: doses are numbered 1 to 8");
    refused(&p, vac(-1, "CORONAVAC", t), "BAD_DOSE",
            "dose -1 does not exist: doses are numbered 1 to 8");
    /* dose 8 is a real dose: refused for a reason about the person, not the number */
    refused(&p, reg(8, "P3273020201", t), "PREVIOUS_DOSE_MISSING",
            "dose 8 needs dose 7 first: dose 7 has not been given");
}

static void malformed_events_are_refused(void **state) {
    (void)state;
    vk_person p = target();
    int64_t t = wib(2021, 2, 1, 9, 0);
    applied(&p, reg(1, "P3273020201", t));
    vk_desk_event e = scr(1, (vk_screening_result)7, t);
    refused(&p, e, "BAD_EVENT", "unknown desk event (kind 1, screening result 7)");
    e.kind = (vk_desk_kind)5;
    e.result = VK_PROCEED;
    refused(&p, e, "BAD_EVENT", "unknown desk event (kind 5, screening result 0)");
}

static void a_slot_without_its_dose_number_is_unused(void **state) {
    (void)state;
    vk_person p = target();
    p.doses[0].status = VK_DOSE_VACCINATED; /* dose == 0: an unused slot, whatever else it holds */
    p.doses[0].visits = 5;
    applied(&p, reg(1, "P3273020201", wib(2021, 2, 1, 8, 0)));
    assert_int_equal(1, p.doses[0].dose);
    assert_int_equal(VK_DOSE_REGISTERED, p.doses[0].status);
    assert_int_equal(1, p.doses[0].visits);
}

/* ---- Dose 1 ---- */

static void first_dose_at_three_facilities(void **state) {
    (void)state;
    vk_person p = target();
    applied(&p, reg(1, "P3273020201", wib(2021, 2, 1, 8, 0)));
    const vk_dose_row *r = &p.doses[0];
    assert_int_equal(1, r->dose);
    assert_int_equal(VK_DOSE_REGISTERED, r->status);
    assert_int_equal(1, r->visits);
    assert_string_equal("P3273020201", r->registered_facility);
    assert_true(r->registered_at == wib(2021, 2, 1, 8, 0));
    assert_false(r->has_screening);

    vk_desk_event s = scr(1, VK_PROCEED, wib(2021, 2, 1, 8, 30));
    s.has_temperature = true;
    s.temperature_c = 36.6f;
    s.has_systolic = true;
    s.systolic = 120;
    s.has_diastolic = true;
    s.diastolic = 80;
    applied(&p, s);
    assert_int_equal(VK_DOSE_SCREENED, r->status);
    assert_true(r->has_screening);
    assert_int_equal(VK_PROCEED, r->screening_result);
    assert_string_equal("P3273020202", r->screening_facility);
    assert_true(r->screened_at == wib(2021, 2, 1, 8, 30));
    assert_true(r->has_temperature && r->temperature_c == 36.6f);
    assert_true(r->has_systolic && r->systolic == 120);
    assert_true(r->has_diastolic && r->diastolic == 80);

    applied(&p, vac(1, "CORONAVAC", wib(2021, 2, 1, 9, 0)));
    assert_int_equal(VK_DOSE_VACCINATED, r->status);
    assert_string_equal("CORONAVAC", r->vaccine);
    assert_string_equal("B-2021-001", r->batch);
    assert_string_equal("3273015", r->vaccinating_facility);
    assert_true(r->vaccinated_at == wib(2021, 2, 1, 9, 0));     /* the shot, not the message */
    assert_string_equal("P3273020201", r->registered_facility); /* the visit is kept */
    assert_int_equal(1, r->visits);
    for (int i = 1; i < VK_MAX_DOSES; i++)
        assert_int_equal(0, p.doses[i].dose);
}

static void duplicate_registration_is_unchanged(void **state) {
    (void)state;
    vk_person p = target();
    applied(&p, reg(1, "P3273020201", wib(2021, 2, 1, 8, 0)));
    vk_person before;
    memcpy(&before, &p, sizeof p);
    char code[40], reason[256];
    vk_desk_event again = reg(1, "P3273020201", wib(2021, 2, 1, 8, 5));
    vk_desk_event elsewhere = reg(1, "P3171010101", wib(2021, 2, 3, 10, 0));
    assert_int_equal(VK_DESK_UNCHANGED,
                     vk_dose_apply(&p, &again, &cat, code, sizeof code, reason, sizeof reason));
    assert_string_equal("DUPLICATE_REGISTRATION", code);
    assert_string_equal("dose 1 is already open (registered on 2021-02-01 at P3273020201): "
                        "duplicate registration ignored",
                        reason);
    assert_int_equal(VK_DESK_UNCHANGED,
                     vk_dose_apply(&p, &elsewhere, &cat, code, sizeof code, reason, sizeof reason));
    assert_memory_equal(&before, &p, sizeof p);
    assert_int_equal(1, p.doses[0].visits);
    assert_string_equal("P3273020201", p.doses[0].registered_facility);

    applied(&p, scr(1, VK_PROCEED, wib(2021, 2, 1, 8, 30))); /* still open once screened */
    memcpy(&before, &p, sizeof p);
    assert_int_equal(VK_DESK_UNCHANGED,
                     vk_dose_apply(&p, &elsewhere, &cat, code, sizeof code, reason, sizeof reason));
    assert_memory_equal(&before, &p, sizeof p);
}

static void postpone_then_a_second_visit(void **state) {
    (void)state;
    vk_person p = target();
    applied(&p, reg(1, "P3273020201", wib(2021, 2, 1, 8, 0)));
    vk_desk_event s = scr(1, VK_POSTPONE, wib(2021, 2, 1, 8, 30));
    s.has_temperature = true;
    s.temperature_c = 38.2f;
    applied(&p, s);
    assert_int_equal(VK_DOSE_POSTPONED, p.doses[0].status);
    assert_int_equal(VK_POSTPONE, p.doses[0].screening_result);

    const char *why = "dose 1 was postponed at screening on 2021-02-01: register again";
    refused(&p, scr(1, VK_PROCEED, wib(2021, 2, 1, 9, 0)), "NO_OPEN_REGISTRATION", why);
    refused(&p, vac(1, "CORONAVAC", wib(2021, 2, 1, 9, 0)), "SCREENING_POSTPONED", why);
    refused(&p, reg(2, "P3273020201", wib(2021, 3, 1, 9, 0)), "PREVIOUS_DOSE_MISSING",
            "dose 2 needs dose 1 first: dose 1 was postponed at screening on 2021-02-01; "
            "register dose 1 again");

    applied(&p, reg(1, "P3171010101", wib(2021, 2, 8, 7, 0))); /* another facility, a week on */
    const vk_dose_row *r = &p.doses[0];
    assert_int_equal(VK_DOSE_REGISTERED, r->status);
    assert_int_equal(2, r->visits);
    assert_string_equal("P3171010101", r->registered_facility);
    assert_true(r->registered_at == wib(2021, 2, 8, 7, 0));
    assert_false(r->has_screening); /* the postponed screening belongs to the first visit */
    assert_false(r->has_temperature);
    assert_string_equal("", r->screening_facility);
    assert_true(r->screened_at == 0);

    applied(&p, scr(1, VK_PROCEED, wib(2021, 2, 8, 7, 30)));
    applied(&p, vac(1, "CORONAVAC", wib(2021, 2, 8, 8, 0)));
    assert_int_equal(VK_DOSE_VACCINATED, r->status);
    assert_int_equal(2, r->visits);
}

static void not_given_closes_the_dose(void **state) {
    (void)state;
    vk_person p = target();
    applied(&p, reg(1, "P3273020201", wib(2021, 2, 1, 8, 0)));
    applied(&p, scr(1, VK_NOT_GIVEN, wib(2021, 2, 1, 8, 30)));
    assert_int_equal(VK_DOSE_NOT_GIVEN, p.doses[0].status);
    const char *why = "dose 1 was closed as NOT_GIVEN on 2021-02-01 at screening: it cannot be "
                      "registered, screened or given again";
    refused(&p, reg(1, "P3273020201", wib(2021, 3, 1, 8, 0)), "DOSE_CLOSED", why);
    refused(&p, scr(1, VK_PROCEED, wib(2021, 3, 1, 8, 0)), "NO_OPEN_REGISTRATION", why);
    refused(&p, vac(1, "CORONAVAC", wib(2021, 3, 1, 8, 0)), "DOSE_CLOSED", why);
    refused(&p, reg(2, "P3273020201", wib(2021, 3, 1, 8, 0)), "PREVIOUS_DOSE_MISSING",
            "dose 2 needs dose 1 first: dose 1 was closed as NOT_GIVEN on 2021-02-01");
}

static void screening_needs_an_open_registration(void **state) {
    (void)state;
    vk_person p = target();
    refused(&p, scr(1, VK_PROCEED, wib(2021, 2, 1, 8, 0)), "NO_OPEN_REGISTRATION",
            "no open registration for dose 1: register at desk 1 first");
    applied(&p, reg(1, "P3273020201", wib(2021, 2, 1, 8, 0)));
    applied(&p, scr(1, VK_PROCEED, wib(2021, 2, 1, 8, 30)));
    refused(&p, scr(1, VK_POSTPONE, wib(2021, 2, 1, 8, 40)), "ALREADY_SCREENED",
            "dose 1 already screened on 2021-02-01 (PROCEED): vaccinate at desk 4");
    applied(&p, vac(1, "CORONAVAC", wib(2021, 2, 1, 9, 0)));
    refused(&p, scr(1, VK_PROCEED, wib(2021, 2, 2, 8, 0)), "NO_OPEN_REGISTRATION",
            "dose 1 already given on 2021-02-01 (CORONAVAC)");
}

/* ---- Vaccination ---- */

static void vaccination_needs_a_screening(void **state) {
    (void)state;
    vk_person p = target();
    refused(&p, vac(1, "CORONAVAC", wib(2021, 2, 1, 9, 0)), "NO_OPEN_REGISTRATION",
            "no open registration for dose 1: register at desk 1 first");
    applied(&p, reg(1, "P3273020201", wib(2021, 2, 1, 8, 0)));
    const char *why = "dose 1 is registered (on 2021-02-01 at P3273020201) but not screened: "
                      "screen at desk 2 first";
    refused(&p, vac(1, "CORONAVAC", wib(2021, 2, 1, 9, 0)), "NOT_SCREENED", why);
    /* the missing screening outranks a bad vaccine code: the person must not be vaccinated */
    refused(&p, vac(1, "XYZ", wib(2021, 2, 1, 9, 0)), "NOT_SCREENED", why);
    applied(&p, scr(1, VK_PROCEED, wib(2021, 2, 1, 8, 30)));
    refused(&p, vac(1, "XYZ", wib(2021, 2, 1, 9, 0)), "UNKNOWN_VACCINE",
            "unknown vaccine XYZ (not in the catalog)");
    refused(&p, vac(1, "coronavac", wib(2021, 2, 1, 9, 0)), "UNKNOWN_VACCINE",
            "unknown vaccine coronavac (not in the catalog)");
    refused(&p, vac(1, NULL, wib(2021, 2, 1, 9, 0)), "UNKNOWN_VACCINE",
            "no vaccine given: choose one from the catalog");
    applied(&p, vac(1, "CORONAVAC", wib(2021, 2, 1, 9, 0)));
    refused(&p, vac(1, "CORONAVAC", wib(2021, 2, 1, 9, 5)), "DOSE_ALREADY_GIVEN",
            "dose 1 already given on 2021-02-01 (CORONAVAC)");
    refused(&p, reg(1, "P3273020201", wib(2021, 2, 2, 8, 0)), "DOSE_ALREADY_GIVEN",
            "dose 1 already given on 2021-02-01 (CORONAVAC)");
}

static void dose_two_of_the_series_uses_the_same_vaccine(void **state) {
    (void)state;
    vk_person p = target();
    give(&p, 1, "CORONAVAC", wib(2021, 1, 14, 10, 0));
    applied(&p, reg(2, "P3273020201", wib(2021, 2, 11, 8, 0)));
    applied(&p, scr(2, VK_PROCEED, wib(2021, 2, 11, 8, 30)));
    refused(&p, vac(2, "ASTRAZENECA", wib(2021, 2, 11, 9, 0)), "VACCINE_DIFFERS",
            "vaccine ASTRAZENECA differs from dose 1 (CORONAVAC): dose 2 of the primary series "
            "must use the same vaccine");
    applied(&p, vac(2, "CORONAVAC", wib(2021, 2, 11, 9, 0)));
    assert_int_equal(VK_DOSE_VACCINATED, p.doses[1].status);
    assert_int_equal(2, p.doses[1].dose);
}

static void without_dose_1_on_record_there_is_nothing_to_compare(void **state) {
    (void)state;
    vk_person p = target(); /* a state the rules never make, e.g. rows migrated from elsewhere */
    p.doses[1].dose = 2;
    p.doses[1].status = VK_DOSE_SCREENED;
    p.doses[1].visits = 1;
    applied(&p, vac(2, "PFIZER", wib(2021, 3, 1, 9, 0)));
    assert_int_equal(VK_DOSE_VACCINATED, p.doses[1].status);
}

/* ---- Dose n > 1: the previous dose and the interval ---- */

static void previous_dose_must_be_given(void **state) {
    (void)state;
    vk_person p = target();
    int64_t later = wib(2021, 6, 1, 8, 0);
    refused(&p, reg(2, "P3273020201", later), "PREVIOUS_DOSE_MISSING",
            "dose 2 needs dose 1 first: dose 1 has not been given");
    applied(&p, reg(1, "P3273020201", wib(2021, 2, 1, 8, 0)));
    refused(&p, reg(2, "P3273020201", later), "PREVIOUS_DOSE_MISSING",
            "dose 2 needs dose 1 first: dose 1 is open (registered on 2021-02-01) but not yet "
            "given");
    applied(&p, scr(1, VK_PROCEED, wib(2021, 2, 1, 8, 30)));
    refused(&p, reg(2, "P3273020201", later), "PREVIOUS_DOSE_MISSING",
            "dose 2 needs dose 1 first: dose 1 is open (registered on 2021-02-01) but not yet "
            "given");
}

static void interval_counts_wib_calendar_days(void **state) {
    (void)state;
    vk_person p = target();
    /* 23:30 WIB on 14 January is 16:30 UTC: the WIB date and the UTC date agree here ... */
    give(&p, 1, "CORONAVAC", wib(2021, 1, 14, 23, 30));
    refused(&p, reg(2, "P3273020201", wib(2021, 2, 10, 23, 59)), "INTERVAL_NOT_REACHED",
            "dose 2 too early: 27 of 28 days since dose 1 (CORONAVAC) on 2021-01-14; earliest "
            "2021-02-11");
    /* ... but 00:10 WIB on 11 February is still 10 February in UTC, and only 27 days and 40
     * minutes after the shot: a desk counts 28 calendar days, and so do the rules. */
    applied(&p, reg(2, "P3273020201", wib(2021, 2, 11, 0, 10)));
    assert_int_equal(VK_DOSE_REGISTERED, p.doses[1].status);
}

static void interval_is_not_counted_in_utc(void **state) {
    (void)state;
    vk_person p = target();
    /* 06:00 WIB on 14 January is 23:00 UTC on the 13th: UTC dates would count one day more */
    give(&p, 1, "PFIZER", wib(2021, 1, 14, 6, 0));
    refused(&p, reg(2, "P3273020201", wib(2021, 2, 3, 8, 0)), "INTERVAL_NOT_REACHED",
            "dose 2 too early: 20 of 21 days since dose 1 (PFIZER) on 2021-01-14; earliest "
            "2021-02-04");
    applied(&p, reg(2, "P3273020201", wib(2021, 2, 4, 0, 0)));
}

static void registration_before_the_previous_dose_is_too_early(void **state) {
    (void)state;
    vk_person p = target();
    give(&p, 1, "JANSSEN", wib(2021, 3, 10, 9, 0));
    refused(&p, reg(2, "P3273020201", wib(2021, 3, 9, 9, 0)), "INTERVAL_NOT_REACHED",
            "dose 2 too early: registered before dose 1 (JANSSEN) on 2021-03-10; earliest "
            "2021-03-10");
}

static void single_dose_vaccine_allows_a_booster_any_day(void **state) {
    (void)state;
    vk_person p = target();
    give(&p, 1, "JANSSEN", wib(2021, 8, 2, 9, 0));
    /* interval 0: the same WIB day is allowed (decision: max(min_interval_days, 0)) */
    applied(&p, reg(2, "P3273020201", wib(2021, 8, 2, 15, 0)));
    applied(&p, scr(2, VK_PROCEED, wib(2021, 8, 2, 15, 30)));
    /* dose 2 is outside JANSSEN's one-dose primary series: any catalog vaccine */
    applied(&p, vac(2, "PFIZER", wib(2021, 8, 2, 16, 0)));
    assert_string_equal("PFIZER", p.doses[1].vaccine);
    /* dose 3 follows PFIZER's 21 days */
    refused(&p, reg(3, "P3273020201", wib(2021, 8, 22, 9, 0)), "INTERVAL_NOT_REACHED",
            "dose 3 too early: 20 of 21 days since dose 2 (PFIZER) on 2021-08-02; earliest "
            "2021-08-23");
    applied(&p, reg(3, "P3273020201", wib(2021, 8, 23, 9, 0)));
}

static void booster_after_a_two_dose_series_may_differ(void **state) {
    (void)state;
    vk_person p = target();
    give(&p, 1, "CORONAVAC", wib(2021, 1, 14, 10, 0));
    give(&p, 2, "CORONAVAC", wib(2021, 2, 11, 10, 0));
    give(&p, 3, "MODERNA", wib(2021, 9, 1, 10, 0));
    assert_string_equal("MODERNA", p.doses[2].vaccine);
}

static void zifivax_three_doses_thirty_days_apart(void **state) {
    (void)state;
    vk_person p = target();
    give(&p, 1, "ZIFIVAX", wib(2021, 4, 1, 10, 0));
    refused(&p, reg(2, "P3273020201", wib(2021, 4, 30, 10, 0)), "INTERVAL_NOT_REACHED",
            "dose 2 too early: 29 of 30 days since dose 1 (ZIFIVAX) on 2021-04-01; earliest "
            "2021-05-01");
    give(&p, 2, "ZIFIVAX", wib(2021, 5, 1, 10, 0));
    refused(&p, reg(3, "P3273020201", wib(2021, 5, 30, 10, 0)), "INTERVAL_NOT_REACHED",
            "dose 3 too early: 29 of 30 days since dose 2 (ZIFIVAX) on 2021-05-01; earliest "
            "2021-05-31");
    applied(&p, reg(3, "P3273020201", wib(2021, 5, 31, 10, 0)));
    applied(&p, scr(3, VK_PROCEED, wib(2021, 5, 31, 10, 30)));
    /* dose 3 is still within ZIFIVAX's three-dose primary series */
    refused(&p, vac(3, "CORONAVAC", wib(2021, 5, 31, 11, 0)), "VACCINE_DIFFERS",
            "vaccine CORONAVAC differs from dose 1 (ZIFIVAX): dose 3 of the primary series must "
            "use the same vaccine");
    applied(&p, vac(3, "ZIFIVAX", wib(2021, 5, 31, 11, 0)));
    give(&p, 4, "PFIZER", wib(2021, 12, 1, 10, 0)); /* a booster after the series */
    for (int i = 0; i < 4; i++)
        assert_int_equal(VK_DOSE_VACCINATED, p.doses[i].status);
}

static void vaccine_gone_from_the_catalog_is_named(void **state) {
    (void)state;
    vk_person p = target();
    give(&p, 1, "CORONAVAC", wib(2021, 1, 14, 10, 0));
    vk_vaccine only_pfizer[] = {{"PFIZER", "Comirnaty", 2, 21}};
    vk_catalog small = {only_pfizer, 1, {37.5, 180, 110}};
    refused_by(&small, &p, reg(2, "P3273020201", wib(2021, 3, 1, 10, 0)), "UNKNOWN_VACCINE",
               "unknown vaccine CORONAVAC (not in the catalog) was given as dose 1: the interval "
               "before dose 2 cannot be checked");
    applied(&p, reg(2, "P3273020201", wib(2021, 3, 1, 10, 0)));
    applied(&p, scr(2, VK_PROCEED, wib(2021, 3, 1, 10, 30)));
    refused_by(&small, &p, vac(2, "PFIZER", wib(2021, 3, 1, 11, 0)), "UNKNOWN_VACCINE",
               "unknown vaccine CORONAVAC (not in the catalog) was given as dose 1: its primary "
               "series cannot be checked");
}

/* ---- Buffers and edges ---- */

static void buffers_may_be_null_or_small(void **state) {
    (void)state;
    vk_person p = target();
    vk_desk_event e = scr(1, VK_PROCEED, wib(2021, 2, 1, 8, 0));
    assert_int_equal(VK_DESK_REFUSED, vk_dose_apply(&p, &e, &cat, NULL, 0, NULL, 0));
    char code[8], reason[12];
    assert_int_equal(VK_DESK_REFUSED,
                     vk_dose_apply(&p, &e, &cat, code, sizeof code, reason, sizeof reason));
    assert_string_equal("NO_OPEN", code);
    assert_string_equal("no open reg", reason);
}

static void long_texts_are_cut_on_a_character(void **state) {
    (void)state;
    vk_person p = target();
    /* 30 ASCII bytes then "é" (2 bytes): 32 bytes do not fit in 31 */
    applied(&p, reg(1, "PPPPPPPPPPPPPPPPPPPPPPPPPPPPPP\xC3\xA9", wib(2021, 2, 1, 8, 0)));
    assert_string_equal("PPPPPPPPPPPPPPPPPPPPPPPPPPPPPP", p.doses[0].registered_facility);
    applied(&p, scr(1, VK_PROCEED, wib(2021, 2, 1, 8, 30)));
    vk_desk_event v = vac(1, "CORONAVAC", wib(2021, 2, 1, 9, 0));
    v.batch = NULL;
    v.facility = NULL;
    applied(&p, v);
    assert_string_equal("", p.doses[0].batch);
    assert_string_equal("", p.doses[0].vaccinating_facility);
}

static void extreme_instants_do_not_overflow(void **state) {
    (void)state;
    vk_person p = target();
    /* one millisecond before the epoch is 06:59 WIB on 1 January 1970 */
    give(&p, 1, "CORONAVAC", -1);
    refused(&p, reg(2, "P3273020201", wib(1970, 1, 28, 23, 59)), "INTERVAL_NOT_REACHED",
            "dose 2 too early: 27 of 28 days since dose 1 (CORONAVAC) on 1970-01-01; earliest "
            "1970-01-29");
    vk_person r = target(); /* before the epoch, days are floored, not truncated */
    give(&r, 1, "CORONAVAC", wib(1969, 12, 31, 21, 0));
    refused(&r, reg(2, "P3273020201", wib(1970, 1, 27, 12, 0)), "INTERVAL_NOT_REACHED",
            "dose 2 too early: 27 of 28 days since dose 1 (CORONAVAC) on 1969-12-31; earliest "
            "1970-01-28");
    vk_person q = target();
    give(&q, 1, "CORONAVAC", INT64_MAX);
    refused(&q, reg(2, "P3273020201", INT64_MIN), "INTERVAL_NOT_REACHED",
            "dose 2 too early: registered before dose 1 (CORONAVAC) on (bad date); earliest "
            "(bad date)");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(status_names_round_trip),
        cmocka_unit_test(unknown_target_is_refused_at_every_desk),
        cmocka_unit_test(dose_numbers_outside_1_to_8_are_refused),
        cmocka_unit_test(malformed_events_are_refused),
        cmocka_unit_test(a_slot_without_its_dose_number_is_unused),
        cmocka_unit_test(first_dose_at_three_facilities),
        cmocka_unit_test(duplicate_registration_is_unchanged),
        cmocka_unit_test(postpone_then_a_second_visit),
        cmocka_unit_test(not_given_closes_the_dose),
        cmocka_unit_test(screening_needs_an_open_registration),
        cmocka_unit_test(vaccination_needs_a_screening),
        cmocka_unit_test(dose_two_of_the_series_uses_the_same_vaccine),
        cmocka_unit_test(without_dose_1_on_record_there_is_nothing_to_compare),
        cmocka_unit_test(previous_dose_must_be_given),
        cmocka_unit_test(interval_counts_wib_calendar_days),
        cmocka_unit_test(interval_is_not_counted_in_utc),
        cmocka_unit_test(registration_before_the_previous_dose_is_too_early),
        cmocka_unit_test(single_dose_vaccine_allows_a_booster_any_day),
        cmocka_unit_test(booster_after_a_two_dose_series_may_differ),
        cmocka_unit_test(zifivax_three_doses_thirty_days_apart),
        cmocka_unit_test(vaccine_gone_from_the_catalog_is_named),
        cmocka_unit_test(buffers_may_be_null_or_small),
        cmocka_unit_test(long_texts_are_cut_on_a_character),
        cmocka_unit_test(extreme_instants_do_not_overflow),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
