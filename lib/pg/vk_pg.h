/*
 * vk_pg.h — PostgreSQL helpers: connecting with retry, checked execution, COPY (text and binary),
 * and the versioned migrations of db/migrations (embedded in the binary).
 *
 * Everything goes through libpq directly: the read model's write path is a handful of
 * set-based statements per batch, so no abstraction layer earns its keep.
 *
 * Time limits. A program sets its statement timeout once, before connecting
 * (vk_pg_set_statement_timeout; the programs' key is pg.statement.timeout.ms). It holds on both
 * sides: every connection starts with `options=-c statement_timeout=<ms>`, so the server
 * cancels a statement that runs longer, and every call below waits for its answer at most the
 * timeout plus 10 s. A call that gets no answer by then (a proxy or NAT that keeps the TCP
 * connection open but forwards nothing: no server-side timeout and no TCP timeout fires) logs
 * `msg="PostgreSQL did not answer"`, shuts the connection down and fails; PQstatus is then
 * CONNECTION_BAD and the caller reconnects. 0 (the default) is no limit on either side.
 * Connections are in libpq's nonblocking mode so that sending has the deadline too; PQexec on
 * them still works, without one.
 */
#ifndef VK_PG_H
#define VK_PG_H

#include "vk_buf.h"
#include "vk_copy.h"

#include <libpq-fe.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/**
 * @brief Sets the statement timeout of every connection opened afterwards and of every call
 * (see the top of this file): 0 for none, else 1 to INT32_MAX ms. Call it once, at setup,
 * before the first vk_pg_connect and before any thread uses PostgreSQL. A conninfo that gives
 * its own `options` replaces the server-side setting (libpq takes the last), not the client's
 * deadline. Returns 0, or -1 for a value out of range.
 */
int vk_pg_set_statement_timeout(int64_t ms);

/** The pg.statement.timeout.ms entry of a program's vk_config_doc table: its default @p def and
 *  a word on what follows or why (@p note, in the help), and what to say when the value is
 *  refused. */
#define VK_PG_STATEMENT_TIMEOUT_KEY(def, note)                                                     \
    {                                                                                              \
        "pg.statement.timeout.ms", def,                                                            \
            "ms a statement may run: PostgreSQL cancels it, and 10 s more without an answer "      \
            "drops the "                                                                           \
            "connection" note "; 0: no limit"                                                      \
    }
#define VK_PG_STATEMENT_TIMEOUT_RANGE "pg.statement.timeout.ms must be 0 (no limit) to 2147483647"

/**
 * @brief Connects, retrying with exponential backoff (0.2 s doubling to 5 s) for at most
 * @p max_wait_ms (or until *@p stop is set). Returns the connection or NULL (logged).
 * Unless @p conninfo says otherwise: connect_timeout=10 (s), tcp_user_timeout=30000 (ms),
 * keepalives after 30 s idle, every 10 s, 3 lost probes — so a silent network partition is
 * noticed within about a minute instead of the kernel's two hours — and the statement timeout.
 * A connection that does not answer its first statement (SET TIME ZONE 'UTC') in time counts as
 * a failed attempt.
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

/** @brief Appends @p s quoted as a SQL/array literal element: "…" with \ and " escaped. */
void vk_pg_array_elem(vk_buf *b, const char *s);

/**
 * @brief Why the last failed call of this thread failed, when the server said: its SQLSTATE
 * (e.g. "22021") and primary message. Both empty when the last call succeeded or failed without
 * an answer (the deadline, a lost connection) — the caller tells a refused value from a broken
 * path by the SQLSTATE's class.
 */
void vk_pg_last_error(char *sqlstate, size_t sqlstate_len, char *message, size_t message_len);

/** Rows written to one table (vk_pg_rows_take). */
typedef struct vk_pg_rows {
    char table[48];
    uint64_t rows;
} vk_pg_rows;
#define VK_PG_ROWS_MAX 24

/**
 * @brief The rows this thread's statements wrote per table since the last take, as the server
 * counted them (COPY, INSERT INTO and UPDATE of a table; staging tables, named *_in or *_upd,
 * are not counted), into @p out (at most @p max); then starts counting again. Take once before
 * a transaction (forgetting a rolled-back one) and once after its COMMIT.
 */
size_t vk_pg_rows_take(vk_pg_rows *out, size_t max);

/**
 * @brief Brings the schema up to date: creates schema_migration, then applies, each in its own
 * transaction, every embedded migration not yet recorded, in file-name order, under an advisory
 * lock so two starting projectors do not race. Runs without the statement timeout, on either
 * side (a migration may take minutes). Needs the rights of the schema's owner. Returns 0, or -1
 * (logged).
 */
int vk_pg_migrate(PGconn *db);

/** @brief vk_pg_migrate, calling @p applied (when not NULL) with the file name of each migration
 *  once it is committed — how `vaksin-projector --migrate` says what it did. */
int vk_pg_migrate_each(PGconn *db, void (*applied)(const char *version, void *ctx), void *ctx);

/** Where a schema stands against the migrations embedded in this binary (names without ".sql"). */
typedef struct vk_pg_schema_status {
    char at[64];       /* the newest migration recorded in schema_migration; "" when none is */
    char needs[64];    /* the newest embedded migration: what this binary needs */
    char missing[512]; /* the embedded migrations not recorded, comma-separated ("" when none) */
    int n_missing;
} vk_pg_schema_status;

/**
 * @brief Reads which embedded migrations the schema has, changing nothing: for a program whose
 * login may not run DDL (the projector with migrate.on.start=false), which refuses to start
 * when @p st->n_missing > 0. Needs SELECT on schema_migration (006_roles grants it to
 * vaksin_projector); a schema without that table has no migration. Returns 0, or -1 when it
 * could not be read (logged; vk_pg_last_error says why, e.g. 42501 for permission denied).
 */
int vk_pg_schema_status_get(PGconn *db, vk_pg_schema_status *st);

#endif
