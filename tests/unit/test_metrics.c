/*
 * test_metrics.c — the metrics registry's exposition (vk_metrics) checked by Prometheus's own
 * promtool (`promtool check metrics`, Debian's prometheus package), and the endpoint (vk_httpd)
 * over a real socket: /metrics, /healthz, /readyz, 404 and 405.
 */
#include "vk_httpd.h"
#include "vk_metrics.h"
#include "vk_tally.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static vk_metrics *sample(void) {
    vk_metrics *m = vk_metrics_new();
    assert_non_null(m);
    vk_metric *in = vk_metrics_add(m, VK_COUNTER, "vaksin_events_in_total", "Input events handled.",
                                   "topic", NULL, 0);
    vk_metric *dead = vk_metrics_add(m, VK_COUNTER, "vaksin_dead_letters_total",
                                     "Dead letters committed, by reason code.", "code", NULL, 0);
    vk_metric *lag =
        vk_metrics_add(m, VK_GAUGE, "vaksin_consumer_lag_messages",
                       "Messages not yet consumed, per partition.", "topic,partition", NULL, 0);
    vk_metric *up = vk_metrics_add(m, VK_GAUGE, "vaksin_ready", "1 when ready \\ \"quoted\"\nnext",
                                   NULL, NULL, 0);
    vk_metric *commit =
        vk_metrics_add(m, VK_HISTOGRAM, "vaksin_commit_seconds", "Transaction commit latency.",
                       NULL, vk_metrics_latency_buckets, vk_metrics_latency_buckets_n);
    vk_metric *phase =
        vk_metrics_add(m, VK_HISTOGRAM, "vaksin_batch_phase_seconds", "Batch phases.", "phase",
                       vk_metrics_latency_buckets, vk_metrics_latency_buckets_n);
    assert_non_null(in), assert_non_null(dead), assert_non_null(lag), assert_non_null(up);
    assert_non_null(commit), assert_non_null(phase);
    /* A name declared twice is refused. */
    assert_null(vk_metrics_add(m, VK_GAUGE, "vaksin_ready", "again", NULL, NULL, 0));
    vk_metric_inc(in, "vaksin.ticket.requests", 3);
    vk_metric_inc(in, "vaksin.ticket.requests", 2);
    vk_metric_inc(dead, "INVALID_NIK", 1);
    vk_metric_inc(dead, "a\"b\\c", 1); /* escaped in the output */
    vk_metric_set(lag, "vaksin.ticket.requests,0", 7);
    vk_metric_set(lag, "vaksin.ticket.requests,1", 0);
    vk_metric_set(up, NULL, 1);
    vk_metric_observe(commit, NULL, 0.004);
    vk_metric_observe(commit, NULL, 0.2);
    vk_metric_observe(commit, NULL, 30);
    vk_metric_observe(phase, "load", 0.01);
    vk_metric *sum =
        vk_metrics_add(m, VK_GAUGE, "vaksin_sum_seconds", "A sum of decimals.", NULL, NULL, 0);
    for (int i = 0; i < 10; i++)
        vk_metric_inc(sum, NULL, 0.1); /* 0.9999999999999999 in binary: 17 digits needed */
    vk_metric *third = vk_metrics_add(m, VK_GAUGE, "vaksin_third", "0.326.", NULL, NULL, 0);
    vk_metric_set(third, NULL, 0.326);
    return m;
}

static void renders_the_text_format(void **state) {
    (void)state;
    vk_metrics *m = sample();
    vk_buf b = VK_BUF_INIT;
    assert_int_equal(0, vk_metrics_render(m, &b));
    const char *t = (const char *)b.data;
    const char *want[] = {
        "# HELP vaksin_events_in_total Input events handled.\n"
        "# TYPE vaksin_events_in_total counter\n"
        "vaksin_events_in_total{topic=\"vaksin.ticket.requests\"} 5\n",
        "vaksin_dead_letters_total{code=\"a\\\"b\\\\c\"} 1\n",
        "vaksin_consumer_lag_messages{topic=\"vaksin.ticket.requests\",partition=\"0\"} 7\n",
        "# HELP vaksin_ready 1 when ready \\\\ \"quoted\"\\nnext\n",
        "vaksin_ready 1\n",
        "vaksin_commit_seconds_bucket{le=\"0.005\"} 1\n",
        "vaksin_commit_seconds_bucket{le=\"0.25\"} 2\n",
        "vaksin_commit_seconds_bucket{le=\"10\"} 2\n",
        "vaksin_commit_seconds_bucket{le=\"+Inf\"} 3\n",
        "vaksin_commit_seconds_count 3\n",
        "vaksin_batch_phase_seconds_bucket{phase=\"load\",le=\"0.01\"} 1\n",
        "vaksin_sum_seconds 0.99999999999999989\n",
        "vaksin_third 0.326\n",
    };
    for (size_t i = 0; i < sizeof want / sizeof *want; i++)
        if (!strstr(t, want[i]))
            fail_msg("the exposition lacks\n%s\nin\n%s", want[i], t);
    vk_buf_free(&b);
    vk_metrics_destroy(m);
}

/* Prometheus's own linter: the format and the naming conventions. */
static void promtool_accepts_it(void **state) {
    (void)state;
    if (system("command -v promtool >/dev/null 2>&1") != 0)
        fail_msg("promtool is not installed (scripts/deps installs Debian's prometheus)");
    vk_metrics *m = sample();
    vk_buf b = VK_BUF_INIT;
    assert_int_equal(0, vk_metrics_render(m, &b));
    char path[] = "/tmp/vaksin-metrics-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal((ssize_t)b.len, write(fd, b.data, b.len));
    close(fd);
    char cmd[256];
    snprintf(cmd, sizeof cmd, "promtool check metrics <%s", path);
    int rc = system(cmd);
    unlink(path);
    assert_int_equal(0, rc);
    /* And it would refuse a counter without _total (shown failing as it should). */
    vk_metrics *bad = vk_metrics_new();
    vk_metric_inc(vk_metrics_add(bad, VK_COUNTER, "vaksin_events", "x", NULL, NULL, 0), NULL, 1);
    vk_buf_reset(&b);
    vk_metrics_render(bad, &b);
    strcpy(path, "/tmp/vaksin-metrics-XXXXXX");
    fd = mkstemp(path);
    assert_int_equal((ssize_t)b.len, write(fd, b.data, b.len));
    close(fd);
    snprintf(cmd, sizeof cmd, "promtool check metrics <%s >/dev/null 2>&1", path);
    assert_int_not_equal(0, system(cmd));
    unlink(path);
    vk_metrics_destroy(bad);
    vk_buf_free(&b);
    vk_metrics_destroy(m);
}

/* GET @p path from 127.0.0.1:@p port; the status code, the body in @p body. */
static int get(int port, const char *method, const char *path, char *body, size_t len) {
    int s = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(s >= 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    assert_int_equal(0, connect(s, (struct sockaddr *)&a, sizeof a));
    char req[256];
    int n = snprintf(req, sizeof req, "%s %s HTTP/1.0\r\nHost: x\r\n\r\n", method, path);
    assert_int_equal(n, write(s, req, (size_t)n));
    static char resp[65536];
    size_t got = 0;
    ssize_t r;
    while ((r = read(s, resp + got, sizeof resp - 1 - got)) > 0)
        got += (size_t)r;
    close(s);
    resp[got] = '\0';
    int status = 0;
    sscanf(resp, "HTTP/1.%*d %d", &status);
    const char *b = strstr(resp, "\r\n\r\n");
    snprintf(body, len, "%s", b ? b + 4 : "");
    return status;
}

static void serves_the_endpoints(void **state) {
    (void)state;
    char err[256], body[65536];
    vk_metrics *m = sample();
    assert_null(vk_httpd_start("off", m, err, sizeof err));
    assert_string_equal("", err);
    assert_null(vk_httpd_start("localhost:9", m, err, sizeof err)); /* names are refused */
    assert_non_null(strstr(err, "IP address"));
    assert_null(vk_httpd_start("127.0.0.1", m, err, sizeof err));
    vk_httpd *h = vk_httpd_start("127.0.0.1:0", m, err, sizeof err);
    assert_non_null(h);
    int port = vk_httpd_port(h);
    assert_true(port > 0);
    assert_int_equal(200, get(port, "GET", "/metrics", body, sizeof body));
    assert_non_null(strstr(body, "vaksin_events_in_total{topic=\"vaksin.ticket.requests\"} 5\n"));
    assert_int_equal(200, get(port, "GET", "/healthz", body, sizeof body));
    assert_int_equal(503, get(port, "GET", "/readyz", body, sizeof body));
    assert_string_equal("not ready: starting\n", body);
    vk_httpd_ready(h, false, "no partitions assigned");
    assert_int_equal(503, get(port, "GET", "/readyz", body, sizeof body));
    assert_string_equal("not ready: no partitions assigned\n", body);
    vk_httpd_ready(h, true, NULL);
    assert_int_equal(200, get(port, "GET", "/readyz", body, sizeof body));
    assert_int_equal(404, get(port, "GET", "/other", body, sizeof body));
    assert_int_equal(405, get(port, "POST", "/metrics", body, sizeof body));
    /* A second server cannot take the same port. */
    char listen[32];
    snprintf(listen, sizeof listen, "127.0.0.1:%d", port);
    assert_null(vk_httpd_start(listen, m, err, sizeof err));
    assert_non_null(strstr(err, "cannot listen"));
    vk_httpd_stop(h);
    vk_metrics_destroy(m);
}

/* More keys than slots: the rest under OTHER, never under another key's name. */
static void tally_folds_into_other(void **state) {
    (void)state;
    vk_tally t = {0};
    char key[16];
    for (int i = 0; i < VK_TALLY_MAX + 5; i++) {
        snprintf(key, sizeof key, "CODE_%d", i);
        vk_tally_add(&t, key, 1);
    }
    vk_tally_add(&t, "CODE_0", 2);
    vk_tally_add(&t, "", 1);
    assert_int_equal(VK_TALLY_MAX, t.n);
    assert_string_equal("CODE_0", t.k[0].key);
    assert_int_equal(3, t.k[0].n);
    assert_string_equal("CODE_46", t.k[VK_TALLY_MAX - 2].key);
    assert_string_equal("OTHER", t.k[VK_TALLY_MAX - 1].key);
    assert_int_equal(7, t.k[VK_TALLY_MAX - 1].n); /* CODE_47 .. CODE_52, and UNKNOWN */
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(renders_the_text_format),
        cmocka_unit_test(promtool_accepts_it),
        cmocka_unit_test(serves_the_endpoints),
        cmocka_unit_test(tally_folds_into_other),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
