/* test_config.c — configuration precedence, librdkafka pass-through and the secret-file guard. */
#include "vk_config.h"
#include "vk_kafka.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const vk_config_doc keys[] = {
    {"batch.max", "500", "messages per batch"},
    {"pg.conninfo", NULL, "read model"},
    {NULL, NULL, NULL},
};
static const vk_program prog = {"vaksin-test", "config test", NULL, keys};

static char *write_file(const char *text, mode_t mode) {
    static char path[64];
    snprintf(path, sizeof path, "/tmp/vk-config-test-XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal((ssize_t)strlen(text), write(fd, text, strlen(text)));
    close(fd);
    chmod(path, mode);
    return path;
}

static void precedence_default_file_env_cli(void **state) {
    (void)state;
    char *path =
        write_file("# comment\nbatch.max = 1000\nticket.secret=abc\nlog.level=warn\n", 0600);
    setenv("VAKSIN_BATCH_MAX", "2000", 1);
    setenv("VAKSIN_PG", "host=/tmp dbname=vaksin", 1);
    char *argv[] = {"vaksin-test", "--config", path, "-X", "kafka.linger.ms=7", "rest", NULL};
    vk_config *cfg = vk_config_new();
    int first;
    assert_int_equal(0, vk_cli_parse(6, argv, &prog, cfg, &first));
    assert_int_equal(5, first);
    assert_int_equal(2000, vk_config_get_int(cfg, "batch.max", 0)); /* env beats the file */
    assert_string_equal("host=/tmp dbname=vaksin", vk_config_get(cfg, "pg.conninfo", NULL));
    assert_string_equal("abc", vk_config_get(cfg, "ticket.secret", NULL));
    assert_string_equal("7", vk_config_get(cfg, "kafka.linger.ms", NULL));
    unsetenv("VAKSIN_BATCH_MAX");
    unsetenv("VAKSIN_PG");
    vk_config_destroy(cfg);

    char *argv2[] = {"vaksin-test", "--config", path, "-X", "batch.max=3", NULL};
    cfg = vk_config_new();
    assert_int_equal(0, vk_cli_parse(5, argv2, &prog, cfg, &first));
    assert_int_equal(3, vk_config_get_int(cfg, "batch.max", 0)); /* -X beats everything */
    vk_config_destroy(cfg);
    unlink(path);
}

static void refuses_readable_secret_file(void **state) {
    (void)state;
    char *path = write_file("ticket.secret=abc\n", 0644);
    vk_config *cfg = vk_config_new();
    char err[256];
    assert_int_equal(-1, vk_config_load_file(cfg, path, err, sizeof err));
    assert_non_null(strstr(err, "chmod 600"));
    unlink(path);
    /* Without a secret the same mode is fine. */
    path = write_file("batch.max=5\nkafka.ssl.key.location=/etc/k.pem\n"
                      "pg.conninfo=host=db user=vaksin\n",
                      0644);
    assert_int_equal(0, vk_config_load_file(cfg, path, err, sizeof err));
    unlink(path);
    /* A conninfo is a secret once it holds a password, in either form; so is an inline key. */
    static const char *const secrets[] = {
        "pg.conninfo=host=db user=vaksin password=hunter2\n",
        "pg.conninfo=postgresql://vaksin:hunter2@db/vaksin\n",
        "kafka.ssl.key.pem=-----BEGIN PRIVATE KEY-----\n",
    };
    for (size_t i = 0; i < sizeof secrets / sizeof *secrets; i++) {
        path = write_file(secrets[i], 0640);
        assert_int_equal(-1, vk_config_load_file(cfg, path, err, sizeof err));
        assert_non_null(strstr(err, "chmod 600"));
        unlink(path);
    }
    assert_false(vk_config_is_secret("pg.conninfo", "postgresql://vaksin@db/vaksin"));
    assert_true(vk_config_is_secret("pg.conninfo", "postgresql://vaksin:pw@db/vaksin"));
    vk_config_destroy(cfg);
}

/* A secret on the command line is refused: every user can read /proc/PID/cmdline. */
static void refuses_secrets_on_the_command_line(void **state) {
    (void)state;
    static const char *const given[] = {"ticket.secret=abc", "dukcapil.password=x",
                                        "pg.conninfo=host=db password=x", "kafka.sasl.password=x"};
    for (size_t i = 0; i < sizeof given / sizeof *given; i++) {
        char *argv[] = {"vaksin-test", "-X", (char *)given[i], NULL};
        vk_config *cfg = vk_config_new();
        int first;
        assert_int_equal(-1, vk_cli_parse(3, argv, &prog, cfg, &first));
        assert_null(vk_config_get(cfg, "ticket.secret", NULL));
        vk_config_destroy(cfg);
    }
    char *argv[] = {"vaksin-test", "-X", "pg.conninfo=host=db user=vaksin", NULL};
    vk_config *cfg = vk_config_new();
    int first;
    assert_int_equal(0, vk_cli_parse(3, argv, &prog, cfg, &first));
    vk_config_destroy(cfg);
}

static void kafka_properties_pass_through(void **state) {
    (void)state;
    vk_config *cfg = vk_config_new();
    vk_config_set(cfg, "kafka.linger.ms", "42");
    vk_config_set(cfg, "kafka.consumer.fetch.wait.max.ms", "77");
    vk_config_set(cfg, "kafka.producer.linger.ms", "9");
    char err[256], val[64];
    size_t len = sizeof val;
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    assert_int_equal(0, vk_kafka_conf_apply(cfg, conf, "producer", err, sizeof err));
    assert_int_equal(RD_KAFKA_CONF_OK, rd_kafka_conf_get(conf, "linger.ms", val, &len));
    assert_string_equal("9", val); /* the side-specific key wins */
    rd_kafka_conf_destroy(conf);
    conf = rd_kafka_conf_new();
    vk_config_set(cfg, "kafka.no.such.property", "1");
    assert_int_equal(-1, vk_kafka_conf_apply(cfg, conf, "consumer", err, sizeof err));
    assert_non_null(strstr(err, "kafka.no.such.property"));
    rd_kafka_conf_destroy(conf);
    vk_config_destroy(cfg);
}

static void usage_errors(void **state) {
    (void)state;
    char *argv[] = {"vaksin-test", "-X", "novalue", NULL};
    vk_config *cfg = vk_config_new();
    int first;
    assert_int_equal(-1, vk_cli_parse(3, argv, &prog, cfg, &first));
    char *argv2[] = {"vaksin-test", "--bogus", NULL};
    assert_int_equal(-1, vk_cli_parse(2, argv2, &prog, cfg, &first));
    vk_config_destroy(cfg);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(precedence_default_file_env_cli),
        cmocka_unit_test(refuses_readable_secret_file),
        cmocka_unit_test(refuses_secrets_on_the_command_line),
        cmocka_unit_test(kafka_properties_pass_through),
        cmocka_unit_test(usage_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
