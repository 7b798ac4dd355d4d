/*
 * batch.h — inside the projection: the batch of events, the persons it touches, and the event
 * families that apply them. Internal to lib/projection (projector.h is the public side).
 *
 * The batch engine (projector.c) owns what every event shares: decoding the envelope, dropping
 * duplicates, the order of the log, the event log and the rejections, the consumer offsets and
 * the one PostgreSQL transaction. Everything an event *means* belongs to its family, behind
 * the hooks of vk_family (in the spirit of librdkafka's rd_kafka_assignor_t):
 *
 *   family        events                                  its state
 *   targets       TicketIssued                            (the persons' target rows)
 *   desks         Registered, Screened, Vaccinated        the vaccine catalog
 *   access        AccessChanged (vaksin.access.events)    grants, facilities' kab/kota
 *   verification  VerificationPending/-Enriched/-Refused  verification rows
 *
 * A family's hooks run only for a batch that holds some of its events: a batch of desk events
 * never reaches the verification code. The persons (persons.c) are the state three families
 * share: a NIK's target row and dose rows, loaded once for the batch and written once.
 *
 * A flush: envelope decoded at projector_add → offsets checked and stored → duplicates found →
 * persons loaded → each present family's load → ticket owners → apply, event by event in log
 * order, through the event's family → persons written → each present family's write → event
 * log and rejections → COMMIT.
 */
#ifndef VK_PROJECTION_BATCH_H
#define VK_PROJECTION_BATCH_H

#include "projector.h"

#include "vk_access.h"
#include "vk_buf.h"
#include "vk_dose.h"
#include "vk_handler.h"
#include "vk_pg.h"
#include "vk_str.h"
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
    EV_TYPES
};
/* Indexed by the EV_ values above (the TargetEvent payload branches, then AccessChanged). */
extern const char *const event_types[];

typedef enum outcome { OUT_NONE, OUT_APPLIED, OUT_UNCHANGED, OUT_REJECTED, OUT_DUPLICATE } outcome;

/* ---- Events ---- */

/* What a desk event says (the desks family): vk_desk_event's strings point into the arrays. */
typedef struct desk_payload {
    vk_desk_event desk;
    char facility[32], vaccine[32], batch[64];
} desk_payload;

/* What an AccessChanged says (the access family): vk_access_event's strings point into the
 * arrays. */
typedef struct access_payload {
    vk_access_event access;
    char user_id[64], facility[32], district[8], role[16];
} access_payload;

struct vevent; /* what a Verification* event says: family_verification.c */
struct vk_family;

/* One event of the batch: the envelope every event has, and its family's payload. */
typedef struct pevent {
    rd_kafka_message_t *m;
    int type;                    /* EV_* */
    const struct vk_family *fam; /* the family that decoded it (NULL: undecodable envelope) */
    char event_id[37], nik[17], causation[64], source[64], actor[64];
    bool has_actor;
    int64_t occurred_at;
    union {
        vk_target ticket;            /* TicketIssued */
        desk_payload desk;           /* Registered, Screened, Vaccinated */
        access_payload access;       /* AccessChanged */
        struct vevent *verification; /* Verification*: allocated by decode, freed by release */
    } as;
    outcome out;
    char code[32];
    char reason[1024];
} pevent;

/* ---- Persons: a NIK's target row and dose rows during the batch (persons.c) ---- */

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

typedef struct persons {
    pstate *st;
    int n_st;
    vk_strmap *by_nik, *by_ticket;
    vk_buf tickets; /* "{a,b}": the ticket numbers whose owners the batch must know */
    int n_tickets;
} persons;

/* ---- The batch ---- */

typedef struct batch {
    pevent *ev;
    int n, cap;
    persons persons;
    vk_buf sql, copy; /* scratch: query parameters, COPY data */
} batch;

/** @brief "{a,b,c}" (a text[] literal, in b->sql) of the string at @p field of each decodable
 *  event whose type @p wants says (NULL: every one); *@p count (when not NULL) gets how many. */
const char *batch_array(batch *b, size_t field, const bool *wants, int *count);

/** @brief The batch state of a NIK, created empty (not a target, no doses) on first use. */
pstate *persons_get(batch *b, const char *nik);
/** @brief Asks for the owner of a ticket number to be loaded with the batch's state (a family's
 *  load hook calls it; the owners are loaded after every family's load). */
void persons_want_ticket(batch *b, const char *ticket);
/** @brief The ticket-collision rule: is @p ticket already the ticket of a target — in the
 *  database or made earlier in this batch — so that a new target may not take it? */
bool persons_ticket_taken(const batch *b, const char *ticket);
/** @brief A target created by this batch takes its ticket number. */
void persons_take_ticket(batch *b, const pstate *s);

int persons_init(persons *ps, int cap);
void persons_reset(persons *ps);
void persons_free(persons *ps);
/** @brief Loads the target rows (and, when @p doses, the dose rows) of the NIKs @p wants says
 *  (an array of EV_TYPES: what each event type reads). */
int persons_load(batch *b, PGconn *db, const bool *wants_target, const bool *wants_doses);
/** @brief Loads the owners of the wanted ticket numbers that are not the batch's. */
int persons_load_ticket_owners(batch *b, PGconn *db);
/** @brief Writes the batch's new and changed targets and changed dose rows. */
int persons_write(batch *b, PGconn *db);
/** @brief The staging tables persons_write uses, created once per connection. */
extern const char *const persons_staging[];

/* ---- Event families ---- */

/*
 * The hooks of one event family. @p st is the family's own state (what create returned). Only
 * decode and apply are required.
 */
typedef struct vk_family {
    const char *name;
    int first_type, last_type;  /* the EV_* range it handles */
    bool reads_target;          /* its events read the person's target row */
    bool reads_doses;           /* its events read the person's dose rows */
    const char *const *staging; /* CREATE TEMP TABLE statements its write needs, NULL-ended */
    void *(*create)(int cap, const vk_catalog *catalog);
    void (*destroy)(void *st);
    /** Fills e->as from the payload (for AccessChanged, the whole record); on bad input sets
     *  e->type = EV_UNDECODABLE and e->reason. */
    void (*decode)(pevent *e, const avro_value_t *payload);
    /** Frees what decode allocated. */
    void (*release)(pevent *e);
    /** Forgets the batch's state before a flush is tried (or retried). */
    void (*reset)(void *st);
    /** Loads the family's rows the batch refers to (after the persons' rows). */
    int (*load)(void *st, batch *b, PGconn *db);
    /** Decides one event, in log order: sets e->out (and, rejected, e->code and e->reason). */
    void (*apply)(void *st, batch *b, pevent *e);
    /** Writes the family's rows (the staging tables exist). */
    int (*write)(void *st, batch *b, PGconn *db);
} vk_family;

extern const vk_family family_targets, family_desks, family_access, family_verification;

/* ---- Helpers the families share ---- */

/** @brief Sends a binary COPY when it holds rows (a writer that failed fails the batch). */
int copyb_send(PGconn *db, vk_copyb *w, const char *copy_sql);

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

/* ---- For tests: the decide step without PostgreSQL ---- */

/** @brief The projector's batch (tests fill events by hand: m may be NULL for TicketIssued and
 *  desk events, whose rules never read the message). */
batch *projector_batch(projector *p);
/** @brief Forgets the batch's state and applies its events in log order against that empty
 *  state (a database with no rows), as projector_flush does after loading. */
void projector_decide(projector *p);

#endif
