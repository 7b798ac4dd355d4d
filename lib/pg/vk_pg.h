/*
 * vk_pg.h — PostgreSQL helpers: connecting with retry, checked execution, COPY (text and binary),
 * and the versioned migrations of db/migrations (embedded in the binary).
 *
 * Everything goes through libpq directly: the read model's write path is a handful of
 * set-based statements per batch, so no abstraction layer earns its keep.
 */
#ifndef VK_PG_H
#define VK_PG_H

#include "vk_buf.h"

#include <libpq-fe.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/**
 * @brief Connects, retrying with exponential backoff (0.2 s doubling to 5 s) for at most
 * @p max_wait_ms (or until *@p stop is set). Returns the connection or NULL (logged).
 */
PGconn *vk_pg_connect(const char *conninfo, int64_t max_wait_ms, volatile sig_atomic_t *stop);

/** @brief Runs a statement without parameters; 0, or -1 with the server's message logged. */
int vk_pg_exec(PGconn *db, const char *sql);

/** @brief PQexecParams with text parameters; returns the result if it has status @p expect,
 *  else logs, clears and returns NULL. */
PGresult *vk_pg_query(PGconn *db, ExecStatusType expect, const char *sql, int nparams,
                      const char *const *params);

/**
 * A prepared statement, prepared lazily on whichever connection runs it first and again after a
 * reconnect (a new backend). Declare one per statement, statically:
 *     static vk_pg_stmt load = VK_PG_STMT("load_targets", "SELECT … WHERE nik = ANY($1)", 1);
 */
typedef struct vk_pg_stmt {
    const char *name;
    const char *sql;
    int nparams;
    const PGconn *on; /* connection and backend it is prepared on */
    int backend_pid;
} vk_pg_stmt;
#define VK_PG_STMT(name, sql, n)                                                                   \
    { name, sql, n, NULL, 0 }

/** @brief Runs a prepared statement (preparing it first when needed) with text parameters;
 *  returns the result if it has status @p expect, else logs and returns NULL. */
PGresult *vk_pg_run(PGconn *db, vk_pg_stmt *stmt, ExecStatusType expect, const char *const *params);

/** @brief Streams @p data (in the format the statement names) into `COPY <target> FROM STDIN`.
 *  0, or -1. */
int vk_pg_copy(PGconn *db, const char *copy_sql, const vk_buf *data);

/* COPY text-format writers: fields separated by tabs, rows ended by newlines. */
/** @brief Appends a text field, escaping backslash, tab, newline and carriage return. */
void vk_copy_text(vk_buf *b, const char *s);
/** @brief Appends \N (NULL). */
void vk_copy_null(vk_buf *b);
/** @brief Appends bytes as a bytea hex literal (\\x…). */
void vk_copy_bytea(vk_buf *b, const void *p, size_t len);
/** @brief Appends a date (days since epoch) as YYYY-MM-DD. */
void vk_copy_date(vk_buf *b, int32_t days);
/** @brief Appends a timestamp (ms since epoch) as ISO 8601 UTC with milliseconds. */
void vk_copy_ts(vk_buf *b, int64_t ms);
/** @brief Appends a separator (tab) or the end of a row (newline). */
static inline void vk_copy_sep(vk_buf *b) {
    vk_buf_append(b, "\t", 1);
}
static inline void vk_copy_eol(vk_buf *b) {
    vk_buf_append(b, "\n", 1);
}

/*
 * COPY binary-format writer, for the bulk paths (`COPY … FROM STDIN WITH (FORMAT binary)`):
 * typed fields in network byte order, so neither side formats, escapes or parses text (the event
 * log's bytea was twice its size in hex). Every row starts with vk_copyb_row(n) followed by
 * exactly n fields in the table's column order. A field that cannot be written (out of memory,
 * a UUID that does not parse) marks the writer failed, and vk_copyb_finish reports it: a batch
 * is then refused whole, never sent half-written.
 */
typedef struct vk_copyb {
    vk_buf *b;
    size_t rows;
    int failed;
} vk_copyb;
/** @brief Empties @p b and writes the COPY header into it. */
void vk_copyb_start(vk_copyb *w, vk_buf *b);
/** @brief Starts a row of @p nfields fields. */
void vk_copyb_row(vk_copyb *w, int nfields);
void vk_copyb_null(vk_copyb *w);
/** @brief text, varchar or char(n): the bytes of @p s (in the client encoding). */
void vk_copyb_text(vk_copyb *w, const char *s);
/** @brief bytea. */
void vk_copyb_bytes(vk_copyb *w, const void *p, size_t len);
void vk_copyb_int4(vk_copyb *w, int32_t v);
void vk_copyb_int8(vk_copyb *w, int64_t v);
/** @brief uuid from its 8-4-4-4-12 text form; anything else fails the writer. */
void vk_copyb_uuid(vk_copyb *w, const char *s);
/** @brief date from days since 1970-01-01. */
void vk_copyb_date(vk_copyb *w, int32_t days);
/** @brief timestamptz from milliseconds since the epoch. */
void vk_copyb_ts(vk_copyb *w, int64_t ms);
/** @brief text[] (one dimension) from comma-separated elements; "" is the empty array. */
void vk_copyb_text_array(vk_copyb *w, const char *csv);
/** @brief Writes the trailer. 0, or -1 when any field failed (nothing should be sent). */
int vk_copyb_finish(vk_copyb *w);

/** @brief Appends @p s quoted as a SQL/array literal element: "…" with \ and " escaped. */
void vk_array_elem(vk_buf *b, const char *s);

/**
 * @brief Brings the schema up to date: creates schema_migration, then applies, each in its own
 * transaction, every embedded migration not yet recorded, in file-name order, under an advisory
 * lock so two starting projectors do not race. Returns 0, or -1 (logged).
 */
int vk_pg_migrate(PGconn *db);

#endif
