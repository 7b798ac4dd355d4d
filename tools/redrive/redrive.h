/*
 * redrive.h — what vaksin-redrive's two files share: the selection a command line asks for, one
 * dead letter as read from vaksin.dead-letters, and the decision taken on it.
 *
 * select.c reads a dead letter, applies the selection and decides (send, or skip and why,
 * including the cause check against the read model); main.c reads the topic, sends, and prints.
 */
#ifndef REDRIVE_H
#define REDRIVE_H

#include "vk_audit.h"
#include "vk_codec.h"

#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum { REDRIVE_MAX_CODES = 32 };

/** What the command line selects; NULL / INT64_MIN / INT64_MAX where it does not narrow. */
typedef struct redrive_filter {
    const char *codes[REDRIVE_MAX_CODES]; /* error_code, any of; none: every code */
    int ncodes;
    const char *topic;   /* the original topic */
    const char *service; /* the refusing service, "vaksin-registration" or "registration" */
    const char *nik;     /* the original key, the request's nik, or its ticket's NIK */
    int64_t from, to;    /* [from, to) on the dead letter's occurred_at, epoch ms */
} redrive_filter;

/** One dead letter: its own position, what it says of the refused message, and what the
 *  refused message's value decodes to (the request's own fields, where it decodes). */
typedef struct dead_letter {
    int32_t dl_partition; /* where the dead letter itself lies on vaksin.dead-letters */
    int64_t dl_offset;
    int64_t occurred_at;
    const char *topic; /* the original message: topic, partition, offset */
    int32_t partition;
    int64_t offset;
    const char *service, *code, *error;
    const void *key, *value; /* NULL when the dead letter holds none */
    size_t key_len, value_len;
    /* From the decoded value (malloc'd, NULL when absent or undecodable). */
    char *event_id, *nik, *ticket;
    char *decode_error; /* why the value did not decode, or NULL */
    /* The read model asked for the ticket's NIK (once per dead letter: select.c). */
    int ticket_state;
    char resolved_nik[17]; /* the NIK the ticket belongs to now, when it is known */
} dead_letter;

typedef enum redrive_verdict {
    REDRIVE_SEND,
    REDRIVE_SKIP,
    REDRIVE_CHECK_FAILED, /* the read model could not be asked: skipped, and the run fails */
} redrive_verdict;

/** The state select.c keeps over a run. */
typedef struct redrive_selector redrive_selector;

/**
 * @brief A selector for @p filter (borrowed), decoding with @p codec (borrowed) and checking
 * causes in the read model @p db (borrowed; NULL: causes are not checked). NULL with @p err.
 */
redrive_selector *redrive_selector_new(const redrive_filter *filter, vk_codec *codec, PGconn *db,
                                       char *err, size_t errlen);
void redrive_selector_destroy(redrive_selector *s);

/**
 * @brief Reads one message of vaksin.dead-letters into @p dl (valid until the next call and until
 * redrive_dead_letter_clear). Returns 0, or -1 with the reason in @p err when it does not decode
 * as a DeadLetter.
 */
int redrive_read(redrive_selector *s, const void *data, size_t len, int32_t partition,
                 int64_t offset, dead_letter *dl, char *err, size_t errlen);
void redrive_dead_letter_clear(dead_letter *dl);

/** @brief Whether @p dl is selected by the filter (a NIK filter may ask the read model). */
bool redrive_selected(redrive_selector *s, dead_letter *dl);

/**
 * @brief Decides what to do with a selected dead letter: REDRIVE_SEND with what was (or was not)
 * checked of its cause in @p why, or REDRIVE_SKIP / REDRIVE_CHECK_FAILED with the reason.
 */
redrive_verdict redrive_decide(redrive_selector *s, dead_letter *dl, char *why, size_t whylen);

/**
 * @brief Why messages of @p topic are never sent back, or NULL when they may be: those of the
 * ticket, registration, screening and vaccination request topics may.
 */
const char *redrive_topic_refusal(const char *topic);

#endif
