/*
 * vk_pg.h — PostgreSQL helpers: connecting with retry, checked execution, COPY in text format,
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

/** @brief Streams @p data (COPY text format) into `COPY <target> FROM STDIN`. 0, or -1. */
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

/** @brief Appends @p s quoted as a SQL/array literal element: "…" with \ and " escaped. */
void vk_array_elem(vk_buf *b, const char *s);

/**
 * @brief Brings the schema up to date: creates schema_migration, then applies, each in its own
 * transaction, every embedded migration not yet recorded, in file-name order, under an advisory
 * lock so two starting projectors do not race. Returns 0, or -1 (logged).
 */
int vk_pg_migrate(PGconn *db);

#endif
