/*
 * vk_pg.c — see vk_pg.h.
 */
#include "vk_pg.h"

#include "vk_log.h"
#include "vk_schemas.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Defaults a conninfo may override (they come before it: libpq lets later entries win). A
 * silent partition otherwise holds a connection for the kernel's keepalive time (about two
 * hours): connect_timeout bounds a connection attempt, tcp_user_timeout how long sent data may
 * stay unacknowledged, and keepalives notice an idle connection's peer is gone. */
static const char *const default_keys[] = {"connect_timeout",     "tcp_user_timeout",
                                           "keepalives",          "keepalives_idle",
                                           "keepalives_interval", "keepalives_count"};
static const char *const default_values[] = {"10", "30000", "1", "30", "10", "3"};
#define N_DEFAULTS (sizeof default_keys / sizeof *default_keys)

static PGconn *connect_once(const char *conninfo) {
    const char *keys[N_DEFAULTS + 2], *values[N_DEFAULTS + 2];
    for (size_t i = 0; i < N_DEFAULTS; i++)
        keys[i] = default_keys[i], values[i] = default_values[i];
    keys[N_DEFAULTS] = "dbname", values[N_DEFAULTS] = conninfo; /* expanded: it may override */
    keys[N_DEFAULTS + 1] = values[N_DEFAULTS + 1] = NULL;
    return PQconnectdbParams(keys, values, 1);
}

PGconn *vk_pg_connect(const char *conninfo, int64_t max_wait_ms, volatile sig_atomic_t *stop) {
    int64_t waited = 0, delay = 200;
    for (;;) {
        PGconn *db = connect_once(conninfo);
        if (PQstatus(db) == CONNECTION_OK) {
            PGresult *r = PQexec(db, "SET TIME ZONE 'UTC'");
            PQclear(r);
            return db;
        }
        char msg[512];
        snprintf(msg, sizeof msg, "%s", PQerrorMessage(db));
        msg[strcspn(msg, "\n")] = '\0';
        PQfinish(db);
        if (waited >= max_wait_ms || (stop && *stop)) {
            vk_error("msg=\"cannot connect to PostgreSQL\" error=\"%s\" waited_ms=%" PRId64, msg,
                     waited);
            return NULL;
        }
        vk_warn("msg=\"PostgreSQL not reachable, retrying\" error=\"%s\" retry_in_ms=%" PRId64, msg,
                delay);
        usleep((useconds_t)delay * 1000);
        waited += delay;
        delay = delay * 2 > 5000 ? 5000 : delay * 2;
    }
}

static void log_result_error(const char *what, PGconn *db, PGresult *r) {
    const char *msg = r ? PQresultErrorMessage(r) : PQerrorMessage(db);
    char one[1024];
    snprintf(one, sizeof one, "%s", msg ? msg : "");
    for (char *p = one; *p; p++)
        if (*p == '\n' || *p == '"')
            *p = ' ';
    vk_error("msg=\"PostgreSQL statement failed\" sql=\"%.80s\" error=\"%s\"", what, one);
}

int vk_pg_exec(PGconn *db, const char *sql) {
    PGresult *r = PQexec(db, sql);
    ExecStatusType st = PQresultStatus(r);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
        log_result_error(sql, db, r);
        PQclear(r);
        return -1;
    }
    PQclear(r);
    return 0;
}

PGresult *vk_pg_query(PGconn *db, ExecStatusType expect, const char *sql, int nparams,
                      const char *const *params) {
    PGresult *r = PQexecParams(db, sql, nparams, NULL, params, NULL, NULL, 0);
    if (PQresultStatus(r) != expect) {
        log_result_error(sql, db, r);
        PQclear(r);
        return NULL;
    }
    return r;
}

PGresult *vk_pg_run(PGconn *db, vk_pg_stmt *stmt, ExecStatusType expect,
                    const char *const *params) {
    if (stmt->on != db || stmt->backend_pid != PQbackendPID(db)) {
        PGresult *r = PQprepare(db, stmt->name, stmt->sql, stmt->nparams, NULL);
        if (PQresultStatus(r) != PGRES_COMMAND_OK) {
            log_result_error(stmt->sql, db, r);
            PQclear(r);
            return NULL;
        }
        PQclear(r);
        stmt->on = db;
        stmt->backend_pid = PQbackendPID(db);
    }
    PGresult *r = PQexecPrepared(db, stmt->name, stmt->nparams, params, NULL, NULL, 0);
    if (PQresultStatus(r) != expect) {
        log_result_error(stmt->sql, db, r);
        PQclear(r);
        return NULL;
    }
    return r;
}

int vk_pg_copy(PGconn *db, const char *copy_sql, const vk_buf *data) {
    PGresult *r = PQexec(db, copy_sql);
    if (PQresultStatus(r) != PGRES_COPY_IN) {
        log_result_error(copy_sql, db, r);
        PQclear(r);
        return -1;
    }
    PQclear(r);
    /* libpq buffers; hand it the data in large slices. */
    size_t off = 0;
    while (off < data->len) {
        size_t n = data->len - off > (1u << 20) ? (1u << 20) : data->len - off;
        if (PQputCopyData(db, (const char *)data->data + off, (int)n) != 1) {
            log_result_error(copy_sql, db, NULL);
            return -1;
        }
        off += n;
    }
    if (PQputCopyEnd(db, NULL) != 1) {
        log_result_error(copy_sql, db, NULL);
        return -1;
    }
    int rc = 0;
    while ((r = PQgetResult(db)) != NULL) {
        if (PQresultStatus(r) != PGRES_COMMAND_OK) {
            log_result_error(copy_sql, db, r);
            rc = -1;
        }
        PQclear(r);
    }
    return rc;
}

void vk_pg_array_elem(vk_buf *b, const char *s) {
    vk_buf_append(b, "\"", 1);
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            vk_buf_append(b, "\\", 1);
        vk_buf_append(b, s, 1);
    }
    vk_buf_append(b, "\"", 1);
}

int vk_pg_migrate(PGconn *db) {
    if (vk_pg_exec(db,
                   "CREATE TABLE IF NOT EXISTS schema_migration ("
                   " version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())") ||
        vk_pg_exec(db, "SELECT pg_advisory_lock(7305202101)"))
        return -1;
    int rc = 0;
    for (const vk_embedded_schema *m = vk_embedded_migrations; m->file && rc == 0; m++) {
        const char *params[1] = {m->file};
        PGresult *r = vk_pg_query(db, PGRES_TUPLES_OK,
                                  "SELECT 1 FROM schema_migration WHERE version = $1", 1, params);
        if (!r) {
            rc = -1;
            break;
        }
        bool done = PQntuples(r) > 0;
        PQclear(r);
        if (done)
            continue;
        vk_info("msg=\"applying migration\" version=%s", m->file);
        if (vk_pg_exec(db, "BEGIN") || vk_pg_exec(db, m->json)) {
            vk_pg_exec(db, "ROLLBACK");
            rc = -1;
            break;
        }
        r = vk_pg_query(db, PGRES_COMMAND_OK, "INSERT INTO schema_migration (version) VALUES ($1)",
                        1, params);
        if (!r || vk_pg_exec(db, "COMMIT")) {
            vk_pg_exec(db, "ROLLBACK");
            rc = -1;
        }
        PQclear(r);
    }
    vk_pg_exec(db, "SELECT pg_advisory_unlock(7305202101)");
    return rc;
}
