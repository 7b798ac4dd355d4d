/*
 * test_pg_connect.c — vk_pg_connect against a black hole: a port whose backlog completes the TCP
 * handshake and then never says a word. Without a connect timeout libpq would wait for the
 * server's greeting for as long as the kernel keeps the connection (hours); with the default
 * connect_timeout (10 s) the attempt fails in about that time, and a conninfo may set its own.
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
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

/* A listening socket on 127.0.0.1 that nobody accepts from: connections complete in the backlog
 * and stay silent. */
static int black_hole(int *port) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    assert_true(fd >= 0);
    assert_int_equal(0, bind(fd, (struct sockaddr *)&a, sizeof a));
    assert_int_equal(0, listen(fd, 16));
    assert_int_equal(0, getsockname(fd, (struct sockaddr *)&a, &len));
    *port = ntohs(a.sin_port);
    return fd;
}

static int64_t time_to_give_up(const char *extra) {
    int port;
    int fd = black_hole(&port);
    char conninfo[256];
    snprintf(conninfo, sizeof conninfo, "host=127.0.0.1 port=%d dbname=x user=x sslmode=disable%s",
             port, extra);
    int64_t t0 = vk_mono_ms();
    PGconn *db = vk_pg_connect(conninfo, 0, NULL); /* one attempt, no retry */
    int64_t took = vk_mono_ms() - t0;
    assert_null(db);
    close(fd);
    return took;
}

static void default_connect_timeout(void **state) {
    (void)state;
    int64_t took = time_to_give_up("");
    if (took < 9000 || took > 25000)
        fail_msg("gave up after %lld ms; the default connect_timeout is 10 s", (long long)took);
}

static void conninfo_overrides_the_default(void **state) {
    (void)state;
    int64_t took = time_to_give_up(" connect_timeout=2");
    if (took < 1500 || took > 8000)
        fail_msg("gave up after %lld ms; connect_timeout=2 in the conninfo", (long long)took);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(default_connect_timeout),
        cmocka_unit_test(conninfo_overrides_the_default),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
