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
#include "vk_copy.h"

#include <libpq-fe.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/**
 * @brief Connects, retrying with exponential backoff (0.2 s doubling to 5 s) for at most
 * @p max_wait_ms (or until *@p stop is set). Returns the connection or NULL (logged).
 * Unless @p conninfo says otherwise: connect_timeout=10 (s), tcp_user_timeout=30000 (ms),
 * keepalives after 30 s idle, every 10 s, 3 lost probes — so a silent network partition is
 * noticed within about a minute instead of the kernel's two hours.
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
 * @brief Brings the schema up to date: creates schema_migration, then applies, each in its own
 * transaction, every embedded migration not yet recorded, in file-name order, under an advisory
 * lock so two starting projectors do not race. Returns 0, or -1 (logged).
 */
int vk_pg_migrate(PGconn *db);

#endif
