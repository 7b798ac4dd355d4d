/*
 * vk_pg.c — see vk_pg.h.
 */
#include "vk_pg.h"

#include "vk_log.h"
#include "vk_schemas.h"
#include "vk_time.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
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

/* The program's statement timeout (vk_pg_set_statement_timeout), 0 for none. Set once before
 * the first connection; only read afterwards, so threads may share it. */
static int64_t statement_timeout_ms;

/* How much longer than the statement timeout a call waits for its answer: the server cancels
 * the statement itself at the timeout and its error needs a moment to come back; only a path
 * that swallows everything goes past the margin. */
#define ANSWER_MARGIN_MS 10000

int vk_pg_set_statement_timeout(int64_t ms) {
    if (ms < 0 || ms > INT32_MAX) /* the server's own range for statement_timeout */
        return -1;
    statement_timeout_ms = ms;
    return 0;
}

static PGconn *connect_once(const char *conninfo) {
    const char *keys[N_DEFAULTS + 3], *values[N_DEFAULTS + 3];
    char options[64];
    size_t n = 0;
    for (; n < N_DEFAULTS; n++)
        keys[n] = default_keys[n], values[n] = default_values[n];
    snprintf(options, sizeof options, "-c statement_timeout=%" PRId64, statement_timeout_ms);
    keys[n] = "options", values[n++] = options;
    keys[n] = "dbname", values[n++] = conninfo; /* expanded: it may override */
    keys[n] = values[n] = NULL;
    return PQconnectdbParams(keys, values, 1);
}

/* ---- Waiting for an answer, with a deadline ----
 *
 * Every statement is sent asynchronously and its answer awaited with poll() on the connection's
 * socket, the connection in libpq's nonblocking mode so that sending (a large COPY, a long
 * statement) cannot block either. The deadline is what the server-side statement_timeout alone
 * cannot give: a path that keeps the TCP connection open but forwards nothing (a proxy or NAT
 * that lost its state; the kernel ACKs and answers keepalives, so tcp_user_timeout never fires)
 * would hold a blocking PQexec for ever. At the deadline the socket is shut down, which libpq
 * sees as a lost connection: PQstatus is CONNECTION_BAD and the caller reconnects as after a
 * server restart. No PQcancel: it opens a new connection, into the same black hole. */

typedef struct call {
    const char *what; /* the SQL, for the log */
    int64_t started;  /* vk_mono_ms() when it was sent */
    int64_t deadline; /* vk_mono_ms() by which the answer must be in; 0: none */
} call;

/* The SQLSTATE and message of the last statement that failed with an error from the server;
 * empty when the last call failed otherwise (no answer, a lost connection) or succeeded. */
static _Thread_local char last_sqlstate[6], last_message[512];

static call call_start(const char *what, int64_t timeout_ms) {
    int64_t now = vk_mono_ms();
    last_sqlstate[0] = last_message[0] = '\0';
    return (call){what, now, timeout_ms > 0 ? now + timeout_ms + ANSWER_MARGIN_MS : 0};
}

/*
 * Waits until libpq has sent all it holds and can hand over a result without blocking (or the
 * connection broke: PQgetResult then says how). 0, or -1 at the deadline: logged once, and the
 * connection shut down.
 */
static int wait_answer(PGconn *db, const call *c) {
    for (;;) {
        int unsent = PQflush(db);
        if (unsent < 0 || PQstatus(db) == CONNECTION_BAD || (unsent == 0 && !PQisBusy(db)))
            return 0;
        int timeout = -1;
        if (c->deadline) {
            int64_t left = c->deadline - vk_mono_ms();
            if (left <= 0) {
                vk_error("msg=\"PostgreSQL did not answer\" sql=\"%.80s\" waited_ms=%" PRId64
                         " statement_timeout_ms=%" PRId64 " action=\"closing the connection\"",
                         c->what, vk_mono_ms() - c->started, statement_timeout_ms);
                break;
            }
            timeout = left > INT_MAX ? INT_MAX : (int)left;
        }
        struct pollfd p = {.fd = PQsocket(db), .events = POLLIN | (unsent ? POLLOUT : 0)};
        int ready = poll(&p, 1, timeout);
        if (ready < 0 && errno != EINTR) {
            vk_error("msg=\"cannot wait for PostgreSQL\" sql=\"%.80s\" error=\"%s\"", c->what,
                     strerror(errno));
            break;
        }
        if (ready > 0 && (p.revents & ~POLLOUT) && !PQconsumeInput(db))
            return 0;
    }
    /* Both ways: nothing more is sent, and the next read sees end of file, so libpq drops the
     * connection (this PQconsumeInput fails) and reports it as bad from now on. */
    shutdown(PQsocket(db), SHUT_RDWR);
    PQconsumeInput(db);
    return -1;
}

/*
 * The answer to what was sent, collected as PQexec collects it: the last result, or the first
 * error; it stops at the start of a COPY (whose data the caller sends). 0 with *out (NULL when
 * libpq had none to give), or -1 at the deadline (logged; nothing to clear).
 */
static int await_result(PGconn *db, const call *c, PGresult **out) {
    PGresult *last = NULL, *r;
    *out = NULL;
    for (;;) {
        if (wait_answer(db, c)) {
            PQclear(last);
            return -1;
        }
        if (!(r = PQgetResult(db)))
            break;
        ExecStatusType st = PQresultStatus(r);
        bool stop = st == PGRES_COPY_IN || st == PGRES_COPY_OUT || st == PGRES_COPY_BOTH ||
                    PQstatus(db) == CONNECTION_BAD;
        if (last && PQresultStatus(last) == PGRES_FATAL_ERROR)
            PQclear(r); /* the first error is the one to report */
        else
            PQclear(last), last = r;
        if (stop)
            break;
    }
    *out = last;
    return 0;
}

PGconn *vk_pg_connect(const char *conninfo, int64_t max_wait_ms, volatile sig_atomic_t *stop) {
    /* Waited is counted on the clock: an attempt into a black hole takes connect_timeout or the
     * deadline of SET TIME ZONE, far more than the pause between two. */
    int64_t t0 = vk_mono_ms(), delay = 200;
    for (;;) {
        PGconn *db = connect_once(conninfo);
        const char *why = NULL;
        /* Nonblocking: every wait goes through wait_answer, with its deadline. */
        if (PQstatus(db) == CONNECTION_OK && PQsetnonblocking(db, 1) == 0) {
            /* A connection that cannot answer this is no better than one that did not open. */
            call c = call_start("SET TIME ZONE 'UTC'", statement_timeout_ms);
            PGresult *r = NULL;
            if (PQsendQuery(db, c.what) && await_result(db, &c, &r))
                why = "no answer to SET TIME ZONE";
            PQclear(r);
            if (PQstatus(db) == CONNECTION_OK)
                return db;
        }
        char line[512], msg[1024];
        snprintf(line, sizeof line, "%s", why ? why : PQerrorMessage(db));
        line[strcspn(line, "\n")] = '\0';
        vk_log_quote(line, msg, sizeof msg); /* libpq quotes the host: "127.0.0.1" */
        PQfinish(db);
        int64_t waited = vk_mono_ms() - t0;
        if (waited >= max_wait_ms || (stop && *stop)) {
            vk_error("msg=\"cannot connect to PostgreSQL\" error=\"%s\" waited_ms=%" PRId64, msg,
                     waited);
            return NULL;
        }
        vk_warn("msg=\"PostgreSQL not reachable, retrying\" error=\"%s\" retry_in_ms=%" PRId64, msg,
                delay);
        usleep((useconds_t)delay * 1000);
        delay = delay * 2 > 5000 ? 5000 : delay * 2;
    }
}

/* Rows written per table by this thread since the last vk_pg_rows_take (vk_pg.h). */
static _Thread_local vk_pg_rows rows_written[VK_PG_ROWS_MAX];
static _Thread_local size_t n_rows_written;

/* After a statement succeeded: when it wrote a table — COPY t, INSERT INTO t, UPDATE t, t not a
 * staging table (*_in, *_upd) — the server's count of its rows, added to the table's. */
static void note_rows(const char *sql, PGresult *r) {
    static const char *const verbs[] = {"COPY ", "INSERT INTO ", "UPDATE "};
    const char *t = NULL;
    for (size_t i = 0; i < sizeof verbs / sizeof *verbs && !t; i++)
        if (strncmp(sql, verbs[i], strlen(verbs[i])) == 0)
            t = sql + strlen(verbs[i]);
    const char *count = t && r ? PQcmdTuples(r) : "";
    if (!*count)
        return;
    size_t len = strspn(t, "abcdefghijklmnopqrstuvwxyz_0123456789");
    if (len == 0 || len >= sizeof rows_written[0].table ||
        (len > 3 && strncmp(t + len - 3, "_in", 3) == 0) ||
        (len > 4 && strncmp(t + len - 4, "_upd", 4) == 0))
        return;
    size_t i = 0;
    while (i < n_rows_written &&
           (strlen(rows_written[i].table) != len || strncmp(rows_written[i].table, t, len) != 0))
        i++;
    if (i == n_rows_written) {
        if (i == VK_PG_ROWS_MAX)
            return;
        memcpy(rows_written[i].table, t, len);
        rows_written[i].table[len] = '\0';
        rows_written[i].rows = 0;
        n_rows_written++;
    }
    rows_written[i].rows += strtoull(count, NULL, 10);
}

size_t vk_pg_rows_take(vk_pg_rows *out, size_t max) {
    size_t n = n_rows_written < max ? n_rows_written : max;
    memcpy(out, rows_written, n * sizeof *out);
    n_rows_written = 0;
    return n;
}

void vk_pg_last_error(char *sqlstate, size_t sqlstate_len, char *message, size_t message_len) {
    snprintf(sqlstate, sqlstate_len, "%s", last_sqlstate);
    snprintf(message, message_len, "%s", last_message);
}

static void log_result_error(const char *what, PGconn *db, PGresult *r) {
    const char *msg = r ? PQresultErrorMessage(r) : PQerrorMessage(db);
    const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
    const char *primary = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    snprintf(last_sqlstate, sizeof last_sqlstate, "%s", state ? state : "");
    snprintf(last_message, sizeof last_message, "%s", primary ? primary : msg ? msg : "");
    last_message[strcspn(last_message, "\n")] = '\0';
    char one[1024];
    snprintf(one, sizeof one, "%s", msg ? msg : "");
    for (char *p = one; *p; p++)
        if (*p == '\n' || *p == '"')
            *p = ' ';
    vk_error("msg=\"PostgreSQL statement failed\" sql=\"%.80s\" error=\"%s\"", what, one);
}

/* vk_pg_exec with the statement timeout @p timeout_ms (client side) instead of the program's. */
static int exec_within(PGconn *db, const char *sql, int64_t timeout_ms) {
    call c = call_start(sql, timeout_ms);
    PGresult *r = NULL;
    if (PQsendQuery(db, sql) && await_result(db, &c, &r))
        return -1;
    ExecStatusType st = PQresultStatus(r);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
        log_result_error(sql, db, r);
        PQclear(r);
        return -1;
    }
    note_rows(sql, r);
    PQclear(r);
    return 0;
}

int vk_pg_exec(PGconn *db, const char *sql) {
    return exec_within(db, sql, statement_timeout_ms);
}

static PGresult *query_within(PGconn *db, ExecStatusType expect, const char *sql, int nparams,
                              const char *const *params, int64_t timeout_ms) {
    call c = call_start(sql, timeout_ms);
    PGresult *r = NULL;
    if (PQsendQueryParams(db, sql, nparams, NULL, params, NULL, NULL, 0) &&
        await_result(db, &c, &r))
        return NULL;
    if (PQresultStatus(r) != expect) {
        log_result_error(sql, db, r);
        PQclear(r);
        return NULL;
    }
    note_rows(sql, r);
    return r;
}

PGresult *vk_pg_query(PGconn *db, ExecStatusType expect, const char *sql, int nparams,
                      const char *const *params) {
    return query_within(db, expect, sql, nparams, params, statement_timeout_ms);
}

PGresult *vk_pg_run(PGconn *db, vk_pg_stmt *stmt, ExecStatusType expect,
                    const char *const *params) {
    PGresult *r = NULL;
    if (stmt->on != db || stmt->backend_pid != PQbackendPID(db)) {
        call c = call_start(stmt->sql, statement_timeout_ms);
        if (PQsendPrepare(db, stmt->name, stmt->sql, stmt->nparams, NULL) &&
            await_result(db, &c, &r))
            return NULL;
        if (PQresultStatus(r) != PGRES_COMMAND_OK) {
            log_result_error(stmt->sql, db, r);
            PQclear(r);
            return NULL;
        }
        PQclear(r);
        stmt->on = db;
        stmt->backend_pid = PQbackendPID(db);
    }
    call c = call_start(stmt->sql, statement_timeout_ms);
    r = NULL;
    if (PQsendQueryPrepared(db, stmt->name, stmt->nparams, params, NULL, NULL, 0) &&
        await_result(db, &c, &r))
        return NULL;
    if (PQresultStatus(r) != expect) {
        log_result_error(stmt->sql, db, r);
        PQclear(r);
        return NULL;
    }
    note_rows(stmt->sql, r);
    return r;
}

/* One deadline for the whole COPY, as the server's statement_timeout counts it: from the
 * statement to its last row. */
int vk_pg_copy(PGconn *db, const char *copy_sql, const vk_buf *data) {
    call c = call_start(copy_sql, statement_timeout_ms);
    PGresult *r = NULL;
    if (PQsendQuery(db, copy_sql) && await_result(db, &c, &r))
        return -1;
    if (PQresultStatus(r) != PGRES_COPY_IN) {
        log_result_error(copy_sql, db, r);
        PQclear(r);
        return -1;
    }
    PQclear(r);
    /* libpq buffers; hand it the data in large slices. In COPY IN libpq is not busy, so
     * wait_answer returns as soon as a slice is sent. */
    size_t off = 0;
    while (off < data->len) {
        size_t n = data->len - off > (1u << 20) ? (1u << 20) : data->len - off;
        /* Each slice is sent before the next is queued, so libpq's buffer is empty here and
         * 0 ("buffer full") would only mean it cannot grow: a failure like any other. */
        if (PQputCopyData(db, (const char *)data->data + off, (int)n) != 1) {
            log_result_error(copy_sql, db, NULL);
            return -1;
        }
        off += n;
        if (wait_answer(db, &c))
            return -1;
    }
    if (PQputCopyEnd(db, NULL) != 1) {
        log_result_error(copy_sql, db, NULL);
        return -1;
    }
    int rc = 0;
    for (;;) {
        if (wait_answer(db, &c))
            return -1;
        if (!(r = PQgetResult(db)))
            break;
        if (PQresultStatus(r) != PGRES_COMMAND_OK) {
            log_result_error(copy_sql, db, r);
            rc = -1;
        } else {
            note_rows(copy_sql, r);
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

/*
 * Migrations run without a time limit on either side: on a full read model one may take many
 * minutes, and so may waiting for the lock while another projector applies it. The session's
 * statement_timeout is lifted for the duration and RESET after, back to the connection's own
 * (its startup options). A black hole during a migration is then not noticed by a deadline;
 * connecting is still bounded, and a migration is watched by whoever deploys it.
 */
int vk_pg_migrate(PGconn *db) {
    return vk_pg_migrate_each(db, NULL, NULL);
}

int vk_pg_migrate_each(PGconn *db, void (*applied)(const char *version, void *ctx), void *ctx) {
    /* The lock first: two instances starting together would otherwise race on creating
     * schema_migration (CREATE TABLE IF NOT EXISTS is not safe against a concurrent one: the
     * loser fails on pg_type's unique index) and the second would stop. */
    if (exec_within(db, "SET statement_timeout = 0", 0) ||
        exec_within(db, "SELECT pg_advisory_lock(7305202101)", 0))
        return -1;
    if (exec_within(db,
                    "CREATE TABLE IF NOT EXISTS schema_migration ("
                    " version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())",
                    0)) {
        exec_within(db, "SELECT pg_advisory_unlock(7305202101)", 0);
        return -1;
    }
    int rc = 0;
    for (const vk_embedded_schema *m = vk_embedded_migrations; m->file && rc == 0; m++) {
        const char *params[1] = {m->file};
        PGresult *r = query_within(
            db, PGRES_TUPLES_OK, "SELECT 1 FROM schema_migration WHERE version = $1", 1, params, 0);
        if (!r) {
            rc = -1;
            break;
        }
        bool done = PQntuples(r) > 0;
        PQclear(r);
        if (done)
            continue;
        vk_info("msg=\"applying migration\" version=%s", m->file);
        if (exec_within(db, "BEGIN", 0) || exec_within(db, m->json, 0)) {
            exec_within(db, "ROLLBACK", 0);
            rc = -1;
            break;
        }
        r = query_within(db, PGRES_COMMAND_OK, "INSERT INTO schema_migration (version) VALUES ($1)",
                         1, params, 0);
        if (!r || exec_within(db, "COMMIT", 0)) {
            exec_within(db, "ROLLBACK", 0);
            rc = -1;
        } else if (applied) {
            applied(m->file, ctx);
        }
        PQclear(r);
    }
    exec_within(db, "SELECT pg_advisory_unlock(7305202101)", 0);
    if (exec_within(db, "RESET statement_timeout", 0))
        rc = -1;
    return rc;
}

/* @p file without its ".sql" into @p out. */
static void version_name(char *out, size_t len, const char *file) {
    size_t n = strlen(file);
    if (n > 4 && strcmp(file + n - 4, ".sql") == 0)
        n -= 4;
    snprintf(out, len, "%.*s", (int)n, file);
}

int vk_pg_schema_status_get(PGconn *db, vk_pg_schema_status *st) {
    memset(st, 0, sizeof *st);
    for (const vk_embedded_schema *m = vk_embedded_migrations; m->file; m++)
        version_name(st->needs, sizeof st->needs, m->file); /* the table is sorted */
    /* Through search_path, as vk_pg_migrate creates it (vaksin-rebuild migrates another
     * schema). No table yet: an empty schema, nothing applied. */
    PGresult *r = vk_pg_query(db, PGRES_TUPLES_OK,
                              "SELECT to_regclass('schema_migration') IS NOT NULL", 0, NULL);
    if (!r)
        return -1;
    bool exists = PQntuples(r) == 1 && strcmp(PQgetvalue(r, 0, 0), "t") == 0;
    PQclear(r);
    r = NULL;
    if (exists && !(r = vk_pg_query(db, PGRES_TUPLES_OK,
                                    "SELECT version FROM schema_migration ORDER BY 1", 0, NULL)))
        return -1;
    int rows = r ? PQntuples(r) : 0;
    if (rows > 0)
        version_name(st->at, sizeof st->at, PQgetvalue(r, rows - 1, 0));
    size_t used = 0;
    for (const vk_embedded_schema *m = vk_embedded_migrations; m->file; m++) {
        bool recorded = false;
        for (int i = 0; i < rows && !recorded; i++)
            recorded = strcmp(PQgetvalue(r, i, 0), m->file) == 0;
        if (recorded)
            continue;
        char name[64];
        version_name(name, sizeof name, m->file);
        int w = snprintf(st->missing + used, sizeof st->missing - used, "%s%s",
                         st->n_missing ? "," : "", name);
        if (w > 0 && (size_t)w < sizeof st->missing - used)
            used += (size_t)w;
        st->n_missing++;
    }
    PQclear(r);
    return 0;
}
