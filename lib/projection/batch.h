/*
 * batch.h — the projector's batch, shared by its files: projector.c (decode, load, decide,
 * write, offsets — tickets, desks, access) and verification.c (the verification requests).
 * Internal to vaksin-projector.
 */
#ifndef VK_PROJECTOR_BATCH_H
#define VK_PROJECTOR_BATCH_H

#include "projector.h"

#include "vk_access.h"
#include "vk_buf.h"
#include "vk_dose.h"
#include "vk_handler.h"
#include "vk_pg.h"
#include "vk_strmap.h"
#include "vk_target.h"

#include <stdio.h>
#include <stdlib.h>

/* Event types: the TargetEvent payload branches (vk_target_branch), then AccessChanged. */
enum {
    EV_UNDECODABLE = -1,
    EV_TICKET_ISSUED = VK_TARGET_TICKET_ISSUED,
    EV_REGISTERED = VK_TARGET_REGISTERED,
    EV_SCREENED = VK_TARGET_SCREENED,
    EV_VACCINATED = VK_TARGET_VACCINATED,
    EV_VERIFICATION_PENDING = VK_TARGET_VERIFICATION_PENDING,
    EV_VERIFICATION_ENRICHED = VK_TARGET_VERIFICATION_ENRICHED,
    EV_VERIFICATION_REFUSED = VK_TARGET_VERIFICATION_REFUSED,
    EV_ACCESS, /* AccessChanged, from vaksin.access.events */
};
/* Indexed by the EV_ values above (the TargetEvent payload branches, then AccessChanged). */
extern const char *const event_types[];

typedef enum outcome { OUT_NONE, OUT_APPLIED, OUT_UNCHANGED, OUT_REJECTED, OUT_DUPLICATE } outcome;

typedef struct pevent {
    rd_kafka_message_t *m;
    int type;
    char event_id[37], nik[17], causation[64], source[64], actor[64];
    bool has_actor;
    int64_t occurred_at;
    vk_target t;        /* TicketIssued */
    vk_desk_event desk; /* Registered, Screened, Vaccinated: strings point into the arrays below */
    char facility[32], vaccine[32], batch[64];
    vk_access_event access; /* AccessChanged: strings point into the arrays below */
    char user_id[64], district[8], role[16];
    struct vevent *v; /* Verification*: allocated on decode, freed with the batch */
    outcome out;
    char code[32];
    char reason[1024];
} pevent;

/* A person's state during the batch: loaded from the database, changed by the batch. */
typedef struct pstate {
    vk_target t;
    bool exists;  /* a target row exists (loaded, or created by this batch) */
    bool created; /* by this batch: to insert */
    bool updated; /* an existing target changed by this batch (a correction): to update */
    char created_event_id[37], updated_event_id[37];
    int64_t created_at, updated_at;
    vk_person person;                     /* dose rows */
    unsigned dirty;                       /* bit d-1: dose d changed, to upsert */
    char dose_event_id[VK_MAX_DOSES][37]; /* last event that changed dose d */
    int64_t dose_updated_at[VK_MAX_DOSES];
} pstate;

/* A grant during the batch: loaded (active ones of the batch's users) or made by it. */
typedef struct bgrant {
    vk_grant g;
    bool is_new; /* to insert */
    bool closed; /* revoked or superseded by this batch: to update */
    int64_t closed_at;
    char closed_by[64], close_event_id[37];
} bgrant;

struct projector {
    vk_decoder *dec;
    vk_decoder *dec_access;
    bgrant *grants;
    int n_grants;
    vk_strmap *facility_district; /* facility code → index into districts */
    char (*districts)[5];
    int n_districts;
    const vk_catalog *catalog;
    int temp_tables_pid; /* backend on which the session's staging tables exist */
    char group[128];
    int cap;
    pevent *ev;
    int n;
    pstate *st;
    int n_st;
    vk_strmap *by_nik, *by_ticket, *seen;
    struct vstate *vs; /* verification requests of the batch (verification.c) */
    int n_vs;
    vk_strmap *by_request;
    vk_buf sql, copy;
    projector_stats stats;
};

/** @brief The batch state of a NIK, created empty (not a target, no doses) on first use. */
pstate *state_of(projector *p, const char *nik);

static inline void copy_str(char *dst, size_t len, const char *src) {
    snprintf(dst, len, "%s", src ? src : "");
}
static inline const char *col(PGresult *r, int row, int c) {
    return PQgetisnull(r, row, c) ? "" : PQgetvalue(r, row, c);
}
static inline int64_t col_ms(PGresult *r, int row, int c) {
    return PQgetisnull(r, row, c) ? 0 : strtoll(PQgetvalue(r, row, c), NULL, 10);
}
static inline void reject(pevent *e, const char *code, const char *reason) {
    e->out = OUT_REJECTED;
    snprintf(e->code, sizeof e->code, "%s", code);
    snprintf(e->reason, sizeof e->reason, "%s", reason);
}
static inline void copy_opt(vk_buf *b, const char *s) {
    if (*s)
        vk_copy_text(b, s);
    else
        vk_copy_null(b);
}
static inline void copyb_opt(vk_copyb *w, const char *s) {
    if (*s)
        vk_copyb_text(w, s);
    else
        vk_copyb_null(w);
}
static inline void copy_opt_ts(vk_buf *b, bool has, int64_t ms) {
    if (has)
        vk_copy_ts(b, ms);
    else
        vk_copy_null(b);
}
/** The log's timestamp of a message: when it was written (the time of a decision, and the best
 *  time an undecodable event has). */
static inline int64_t msg_time(const rd_kafka_message_t *m) {
    int64_t ts = rd_kafka_message_timestamp(m, NULL);
    return ts > 0 ? ts : 0;
}

/* ---- verification.c ---- */

/** @brief Decodes the payload of a VerificationPending, -Enriched or -Refused into e->v. */
void verification_decode(pevent *e, const avro_value_t *payload);
/** @brief Frees what verification_decode allocated. */
void verification_event_free(pevent *e);
/** @brief Loads the verification rows the batch's requests refer to (one query). */
int verification_load(projector *p, PGconn *db);
/** @brief The tickets of the batch's additions, appended as text[] elements to @p b (after
 *  verification_load); returns how many. */
int verification_tickets(projector *p, vk_buf *b, int already);
/** @brief Applies one verification event in log order. */
void verification_apply(projector *p, pevent *e);
/** @brief Creates the session's verification staging table (see ensure_staging). */
int verification_staging(PGconn *db);
/** @brief Writes the batch's new and changed verification rows and their field changes (the
 *  staging table must exist: ensure_staging). */
int verification_write(projector *p, PGconn *db);
/** @brief Allocates the verification state for p->cap events. 0, or -1 when out of memory. */
int verification_init(projector *p);
/** @brief Forgets the batch's verification state (before a flush is tried, or retried). */
void verification_reset(projector *p);
void verification_free(projector *p);

#endif
