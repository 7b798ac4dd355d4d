/*
 * test_pg_deadline.c — the statement timeout of lib/pg/vk_pg.c, both sides of it, against a fake
 * PostgreSQL: a thread that speaks just enough of the protocol (version 3) for libpq to connect
 * — the startup packet, AuthenticationOk, ReadyForQuery — answers a scripted number of queries,
 * and then goes silent with the connection held open: what a proxy or NAT that stopped
 * forwarding looks like from the client (the kernel still ACKs, so no TCP timeout fires).
 *
 * - The server side: the startup packet carries `options=-c statement_timeout=<ms>`, unless the
 *   conninfo gives its own options.
 * - The client side: a statement that gets no answer fails after the timeout plus the 10 s
 *   margin, with the connection shut down (CONNECTION_BAD, so callers reconnect) — whether the
 *   silence starts at connect's SET TIME ZONE, at a statement, or while sending a COPY the
 *   server no longer reads (libpq's send would block).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "vk_pg.h"
#include "vk_time.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

typedef struct fake {
    int listen_fd, conn_fd, port;
    int answers;        /* simple queries answered with CommandComplete before the silence */
    bool copy;          /* then one more, answered with CopyInResponse */
    char startup[1024]; /* the startup packet: version, then key\0value\0… */
    size_t startup_len;
    pthread_t thread;
} fake;

static bool read_full(int fd, void *buf, size_t n) {
    for (size_t got = 0; got < n;) {
        ssize_t r = read(fd, (char *)buf + got, n - got);
        if (r <= 0)
            return false;
        got += (size_t)r;
    }
    return true;
}

static bool write_full(int fd, const void *buf, size_t n) {
    return write(fd, buf, n) == (ssize_t)n;
}

static uint32_t be32(const unsigned char *p) {
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Reads one message (type byte, length, body), discarding the body. */
static bool skip_message(int fd) {
    unsigned char head[5], buf[4096];
    if (!read_full(fd, head, sizeof head))
        return false;
    for (size_t left = be32(head + 1) - 4; left > 0;) {
        size_t n = left < sizeof buf ? left : sizeof buf;
        if (!read_full(fd, buf, n))
            return false;
        left -= n;
    }
    return true;
}

static const unsigned char auth_ok_ready[] = {'R', 0, 0, 0, 8, 0, 0, 0, 0, 'Z', 0, 0, 0, 5, 'I'};
static const unsigned char set_done[] = {'C', 0, 0, 0, 8, 'S', 'E', 'T', 0, 'Z', 0, 0, 0, 5, 'I'};
static const unsigned char copy_in[] = {'G', 0, 0, 0, 7, 0, 0, 0}; /* text, no columns */

static void *serve(void *arg) {
    fake *f = arg;
    unsigned char len[4];
    f->conn_fd = accept(f->listen_fd, NULL, NULL);
    if (f->conn_fd < 0 || !read_full(f->conn_fd, len, 4))
        return NULL;
    size_t body = be32(len) - 4;
    if (body > sizeof f->startup || !read_full(f->conn_fd, f->startup, body))
        return NULL;
    f->startup_len = body;
    if (!write_full(f->conn_fd, auth_ok_ready, sizeof auth_ok_ready))
        return NULL;
    for (int i = 0; i < f->answers; i++)
        if (!skip_message(f->conn_fd) || !write_full(f->conn_fd, set_done, sizeof set_done))
            return NULL;
    if (f->copy && skip_message(f->conn_fd))
        write_full(f->conn_fd, copy_in, sizeof copy_in);
    return NULL; /* silence from here on: nothing read, nothing written, nothing closed */
}

static void fake_start(fake *f, int answers, bool copy) {
    memset(f, 0, sizeof *f);
    f->conn_fd = -1;
    f->answers = answers;
    f->copy = copy;
    f->listen_fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    assert_true(f->listen_fd >= 0);
    assert_int_equal(0, bind(f->listen_fd, (struct sockaddr *)&a, sizeof a));
    assert_int_equal(0, listen(f->listen_fd, 4));
    assert_int_equal(0, getsockname(f->listen_fd, (struct sockaddr *)&a, &len));
    f->port = ntohs(a.sin_port);
    assert_int_equal(0, pthread_create(&f->thread, NULL, serve, f));
}

static void fake_stop(fake *f) {
    assert_int_equal(0, pthread_join(f->thread, NULL));
    if (f->conn_fd >= 0)
        close(f->conn_fd);
    close(f->listen_fd);
}

static PGconn *connect_to(const fake *f, const char *extra, int64_t *took) {
    char conninfo[256];
    snprintf(conninfo, sizeof conninfo,
             "host=127.0.0.1 port=%d dbname=x user=x sslmode=disable gssencmode=disable%s", f->port,
             extra);
    int64_t t0 = vk_mono_ms();
    PGconn *db = vk_pg_connect(conninfo, 0, NULL); /* one attempt, no retry */
    if (took)
        *took = vk_mono_ms() - t0;
    return db;
}

/* The value of @p key in the startup packet (after its protocol version), or NULL. */
static const char *startup_value(const fake *f, const char *key) {
    for (size_t i = 4; i < f->startup_len && f->startup[i];) {
        const char *k = f->startup + i;
        const char *v = k + strlen(k) + 1;
        if (strcmp(k, key) == 0)
            return v;
        i = (size_t)(v + strlen(v) + 1 - f->startup);
    }
    return NULL;
}

/* Between the statement timeout plus the margin (10 s) and a few seconds more. */
static void assert_gave_up_at_the_deadline(int64_t took, int64_t timeout_ms) {
    if (took < timeout_ms + 10000 || took > timeout_ms + 15000)
        fail_msg("gave up after %lld ms; the deadline is %lld ms", (long long)took,
                 (long long)(timeout_ms + 10000));
}

static void startup_carries_the_statement_timeout(void **state) {
    (void)state;
    fake f;
    assert_int_equal(0, vk_pg_set_statement_timeout(2500));
    fake_start(&f, 1, false);
    PGconn *db = connect_to(&f, "", NULL);
    assert_non_null(db);
    assert_int_equal(CONNECTION_OK, PQstatus(db));
    assert_non_null(startup_value(&f, "options"));
    assert_string_equal("-c statement_timeout=2500", startup_value(&f, "options"));
    PQfinish(db);
    fake_stop(&f);
}

static void conninfo_options_override_it(void **state) {
    (void)state;
    fake f;
    assert_int_equal(0, vk_pg_set_statement_timeout(2500));
    fake_start(&f, 1, false);
    PGconn *db = connect_to(&f, " options='-c statement_timeout=7'", NULL);
    assert_non_null(db);
    assert_non_null(startup_value(&f, "options"));
    assert_string_equal("-c statement_timeout=7", startup_value(&f, "options"));
    PQfinish(db);
    fake_stop(&f);
}

static void out_of_range_is_refused(void **state) {
    (void)state;
    assert_int_equal(-1, vk_pg_set_statement_timeout(-1));
    assert_int_equal(-1, vk_pg_set_statement_timeout((int64_t)INT32_MAX + 1));
    assert_int_equal(0, vk_pg_set_statement_timeout(0));
}

/* Connected, but SET TIME ZONE gets no answer: a failed attempt, after the deadline. */
static void silence_after_connecting(void **state) {
    (void)state;
    fake f;
    int64_t took;
    assert_int_equal(0, vk_pg_set_statement_timeout(500));
    fake_start(&f, 0, false);
    assert_null(connect_to(&f, "", &took));
    assert_gave_up_at_the_deadline(took, 500);
    fake_stop(&f);
}

/* A statement gets no answer: -1 at the deadline, and the connection is bad. */
static void silence_after_a_statement(void **state) {
    (void)state;
    fake f;
    assert_int_equal(0, vk_pg_set_statement_timeout(500));
    fake_start(&f, 1, false);
    PGconn *db = connect_to(&f, "", NULL);
    assert_non_null(db);
    int64_t t0 = vk_mono_ms();
    assert_int_equal(-1, vk_pg_exec(db, "SELECT 1"));
    assert_gave_up_at_the_deadline(vk_mono_ms() - t0, 500);
    assert_int_equal(CONNECTION_BAD, PQstatus(db));
    assert_int_equal(-1, vk_pg_exec(db, "ROLLBACK")); /* at once: no connection */
    PQfinish(db);
    fake_stop(&f);
}

/* The server accepts a COPY and then reads nothing: 64 MB fill every buffer on the way, and a
 * blocking send would wait for ever. */
static void silence_while_copying(void **state) {
    (void)state;
    fake f;
    assert_int_equal(0, vk_pg_set_statement_timeout(500));
    fake_start(&f, 1, true);
    PGconn *db = connect_to(&f, "", NULL);
    assert_non_null(db);
    vk_buf data = VK_BUF_INIT;
    char line[1024];
    memset(line, 'x', sizeof line - 1);
    line[sizeof line - 1] = '\n';
    for (int i = 0; i < 64 * 1024; i++)
        vk_buf_append(&data, line, sizeof line);
    int64_t t0 = vk_mono_ms();
    assert_int_equal(-1, vk_pg_copy(db, "COPY t FROM STDIN", &data));
    assert_gave_up_at_the_deadline(vk_mono_ms() - t0, 500);
    assert_int_equal(CONNECTION_BAD, PQstatus(db));
    vk_buf_free(&data);
    PQfinish(db);
    fake_stop(&f);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(startup_carries_the_statement_timeout),
        cmocka_unit_test(conninfo_options_override_it),
        cmocka_unit_test(out_of_range_is_refused),
        cmocka_unit_test(silence_after_connecting),
        cmocka_unit_test(silence_after_a_statement),
        cmocka_unit_test(silence_while_copying),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
