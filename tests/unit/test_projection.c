/*
 * test_projection.c — the projection's decide step without PostgreSQL (lib/projection): events
 * written by hand into a projector's batch, decided in log order against an empty read model
 * through their families (targets, desks), outcomes and reasons checked.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "batch.h"
#include "projector.h"
#include "vk_catalog.h"
#include "vk_codec.h"

#include <stdio.h>
#include <string.h>

#define DAY_MS INT64_C(86400000)
#define T0     INT64_C(1614556800000) /* 2021-03-01T00:00:00Z */

typedef struct fixture {
    vk_codec *codec;
    vk_catalog catalog;
    projector *p;
    batch *b;
    int ids;
} fixture;

static int setup(void **state) {
    static fixture f;
    char err[256];
    memset(&f, 0, sizeof f);
    f.codec = vk_codec_new(err, sizeof err);
    assert_non_null(f.codec);
    assert_int_equal(0, vk_catalog_defaults(&f.catalog));
    f.p = projector_new(f.codec, &f.catalog, "test", 64, err, sizeof err);
    assert_non_null(f.p);
    f.b = projector_batch(f.p);
    *state = &f;
    return 0;
}

static int teardown(void **state) {
    fixture *f = *state;
    f->b->n = 0; /* the events hold no Kafka messages to destroy */
    projector_destroy(f->p);
    vk_catalog_free(&f->catalog);
    vk_codec_destroy(f->codec);
    return 0;
}

/* The next event of the batch, with the envelope filled: a fresh id, @p nik, @p at. */
static pevent *next_event(fixture *f, int type, const char *nik, int64_t at) {
    pevent *e = &f->b->ev[f->b->n++];
    memset(e, 0, sizeof *e);
    e->type = type;
    e->fam = type == EV_TICKET_ISSUED ? &family_targets : &family_desks;
    snprintf(e->event_id, sizeof e->event_id, "00000000-0000-4000-8000-%012d", ++f->ids);
    snprintf(e->nik, sizeof e->nik, "%s", nik);
    e->occurred_at = at;
    return e;
}

static pevent *ticket(fixture *f, const char *nik, const char *tk, const char *name) {
    pevent *e = next_event(f, EV_TICKET_ISSUED, nik, T0);
    vk_target *t = &e->as.ticket;
    snprintf(t->nik, sizeof t->nik, "%s", nik);
    snprintf(t->ticket, sizeof t->ticket, "%s", tk);
    snprintf(t->name, sizeof t->name, "%s", name);
    t->birth_date = 7000;
    t->sex = 'P';
    snprintf(t->origin, sizeof t->origin, "IMPORT");
    return e;
}

static pevent *desk(fixture *f, int type, const char *nik, int dose, int64_t at) {
    pevent *e = next_event(f, type, nik, at);
    desk_payload *d = &e->as.desk;
    snprintf(d->facility, sizeof d->facility, "P3273020201");
    snprintf(d->vaccine, sizeof d->vaccine, "CORONAVAC");
    snprintf(d->batch, sizeof d->batch, "B1");
    d->desk.kind = type == EV_REGISTERED ? VK_DESK_REGISTERED
                   : type == EV_SCREENED ? VK_DESK_SCREENED
                                         : VK_DESK_VACCINATED;
    d->desk.dose = dose;
    d->desk.facility = d->facility;
    d->desk.occurred_at = at;
    d->desk.result = VK_PROCEED;
    d->desk.vaccine = d->vaccine;
    d->desk.batch = d->batch;
    d->desk.vaccinated_at = at;
    return e;
}

#define NIK_A "3273024107900001"
#define NIK_B "3273024107900002"

static void test_ticket_rules(void **state) {
    fixture *f = *state;
    f->b->n = 0;
    pevent *a = ticket(f, NIK_A, "0123456789ABCDEFG", "SITI AMINAH");
    pevent *again = ticket(f, NIK_A, "0123456789ABCDEFG", "SITI AMINAH");
    pevent *other = ticket(f, NIK_A, "0123456789ABCDEFG", "SITI AMINA");
    pevent *collides = ticket(f, NIK_B, "0123456789ABCDEFG", "BUDI");
    pevent *dup = &f->b->ev[f->b->n++];
    *dup = *a; /* the same event id again: a redelivery */
    projector_decide(f->p);
    assert_int_equal(a->out, OUT_APPLIED);
    assert_int_equal(again->out, OUT_UNCHANGED);
    assert_int_equal(other->out, OUT_REJECTED);
    assert_string_equal(other->code, "CONFLICT");
    assert_int_equal(collides->out, OUT_REJECTED);
    assert_string_equal(collides->code, "TICKET_COLLISION");
    assert_int_equal(dup->out, OUT_DUPLICATE);
    /* the person's state: created once, with the first data */
    pstate *s = persons_get(f->b, NIK_A);
    assert_true(s->exists && s->created);
    assert_string_equal(s->t.name, "SITI AMINAH");
}

/* "A second dose is refused because it is too early": CoronaVac needs 28 days. */
static void test_second_dose_too_early(void **state) {
    fixture *f = *state;
    f->b->n = 0;
    pevent *unknown = desk(f, EV_REGISTERED, NIK_B, 1, T0);
    ticket(f, NIK_A, "0123456789ABCDEFG", "SITI AMINAH");
    pevent *reg1 = desk(f, EV_REGISTERED, NIK_A, 1, T0 + 3600000);
    pevent *scr1 = desk(f, EV_SCREENED, NIK_A, 1, T0 + 2 * 3600000);
    pevent *vac1 = desk(f, EV_VACCINATED, NIK_A, 1, T0 + 3 * 3600000);
    pevent *early = desk(f, EV_REGISTERED, NIK_A, 2, T0 + 10 * DAY_MS);
    pevent *on_time = desk(f, EV_REGISTERED, NIK_A, 2, T0 + 28 * DAY_MS);
    projector_decide(f->p);
    assert_int_equal(unknown->out, OUT_REJECTED);
    assert_string_equal(unknown->code, "UNKNOWN_TARGET");
    assert_int_equal(reg1->out, OUT_APPLIED);
    assert_int_equal(scr1->out, OUT_APPLIED);
    assert_int_equal(vac1->out, OUT_APPLIED);
    assert_int_equal(early->out, OUT_REJECTED);
    assert_string_equal(early->code, "INTERVAL_NOT_REACHED");
    assert_non_null(strstr(early->reason, "dose 2 too early: 10 of 28 days"));
    assert_int_equal(on_time->out, OUT_APPLIED);
    pstate *s = persons_get(f->b, NIK_A);
    assert_int_equal(s->person.doses[0].status, VK_DOSE_VACCINATED);
    assert_int_equal(s->person.doses[1].status, VK_DOSE_REGISTERED);
    assert_int_equal(s->dirty, 3u); /* doses 1 and 2 to write */
}

/* A batch decided twice (a retried flush) gives the same outcomes: nothing of the first try
 * remains. */
static void test_decide_is_repeatable(void **state) {
    fixture *f = *state;
    f->b->n = 0;
    pevent *t = ticket(f, NIK_A, "0123456789ABCDEFG", "SITI AMINAH");
    pevent *reg = desk(f, EV_REGISTERED, NIK_A, 1, T0 + 3600000);
    projector_decide(f->p);
    assert_int_equal(t->out, OUT_APPLIED);
    projector_decide(f->p);
    assert_int_equal(t->out, OUT_APPLIED);
    assert_int_equal(reg->out, OUT_APPLIED);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_ticket_rules, setup, teardown),
        cmocka_unit_test_setup_teardown(test_second_dose_too_early, setup, teardown),
        cmocka_unit_test_setup_teardown(test_decide_is_repeatable, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
