/* test_config.c — configuration precedence, librdkafka pass-through, the secret-file guard, the
 * environment-variable rule, comments after values and unknown keys. */
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

extern char **environ;

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

/* ---- stderr captured, to check what a refusal or a warning says ---- */

static FILE *captured;
static int saved_stderr = -1;

static void capture_stderr(void) {
    fflush(stderr);
    captured = tmpfile();
    assert_non_null(captured);
    saved_stderr = dup(2);
    assert_true(saved_stderr >= 0);
    assert_true(dup2(fileno(captured), 2) >= 0);
}

static const char *captured_stderr(void) {
    static char text[8192];
    fflush(stderr);
    dup2(saved_stderr, 2);
    close(saved_stderr);
    rewind(captured);
    size_t n = fread(text, 1, sizeof text - 1, captured);
    text[n] = '\0';
    fclose(captured);
    fprintf(stderr, "%s", text); /* still shown with the test's output */
    return text;
}

/* Unsets every VAKSIN_ variable, so what the test sets is all the loader sees. */
static void clear_vaksin_env(void) {
    for (;;) {
        char **e = environ;
        while (e && *e && strncmp(*e, "VAKSIN_", 7) != 0)
            e++;
        if (!e || !*e)
            return;
        char name[256];
        size_t n = strcspn(*e, "=");
        assert_true(n < sizeof name);
        memcpy(name, *e, n);
        name[n] = '\0';
        unsetenv(name);
    }
}

static void precedence_default_file_env_cli(void **state) {
    (void)state;
    clear_vaksin_env();
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
    assert_int_equal(-1, vk_config_load_file(cfg, path, NULL, err, sizeof err));
    assert_non_null(strstr(err, "chmod 600"));
    unlink(path);
    /* Without a secret the same mode is fine. */
    path = write_file("batch.max=5\nkafka.ssl.key.location=/etc/k.pem\n"
                      "pg.conninfo=host=db user=vaksin\n",
                      0644);
    assert_int_equal(0, vk_config_load_file(cfg, path, NULL, err, sizeof err));
    unlink(path);
    /* A conninfo is a secret once it holds a password, in either form; so is an inline key. */
    static const char *const secrets[] = {
        "pg.conninfo=host=db user=vaksin password=hunter2\n",
        "pg.conninfo=postgresql://vaksin:hunter2@db/vaksin\n",
        "kafka.ssl.key.pem=-----BEGIN PRIVATE KEY-----\n",
    };
    for (size_t i = 0; i < sizeof secrets / sizeof *secrets; i++) {
        path = write_file(secrets[i], 0640);
        assert_int_equal(-1, vk_config_load_file(cfg, path, NULL, err, sizeof err));
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

/* ---- The environment-variable rule ---- */

static void env_name(const char *key, const char *want) {
    char name[256], back[256];
    assert_int_equal(0, vk_config_env_name(key, name, sizeof name));
    assert_string_equal(want, name);
    assert_int_equal(0, vk_config_env_key(name, back, sizeof back));
    assert_string_equal(key, back);
}

static void env_names_round_trip(void **state) {
    (void)state;
    env_name("pg.conninfo", "VAKSIN_PG_CONNINFO");
    env_name("jkn.cons_id", "VAKSIN_JKN_CONS__ID");
    env_name("jkn.user_key", "VAKSIN_JKN_USER__KEY");
    env_name("dukcapil.user_id", "VAKSIN_DUKCAPIL_USER__ID");
    env_name("dukcapil.ip_user", "VAKSIN_DUKCAPIL_IP__USER");
    env_name("kafka.sasl.mechanisms", "VAKSIN_KAFKA_SASL_MECHANISMS");
    env_name("kafka.ssl.certificate.verify_cb", "VAKSIN_KAFKA_SSL_CERTIFICATE_VERIFY__CB");
    env_name("screening.max.temperature.c", "VAKSIN_SCREENING_MAX_TEMPERATURE_C");
    env_name("source", "VAKSIN_SOURCE");
    env_name("a_b_c.d2", "VAKSIN_A__B__C_D2");
    /* The short names lead to their keys too. */
    char key[64];
    assert_int_equal(0, vk_config_env_key("VAKSIN_PG", key, sizeof key));
    assert_string_equal("pg.conninfo", key);
    assert_int_equal(0, vk_config_env_key("VAKSIN_BOOTSTRAP", key, sizeof key));
    assert_string_equal("kafka.bootstrap.servers", key);
    /* Every key of every program (the list vk_config_every_key keeps; test_config_keys checks it
     * against each program's --help). */
    size_t n = 0;
    for (const char *const *k = vk_config_every_key(); *k; k++, n++) {
        char name[256], back[256];
        assert_int_equal(0, vk_config_env_name(*k, name, sizeof name));
        assert_int_equal(0, vk_config_env_key(name, back, sizeof back));
        assert_string_equal(*k, back);
    }
    assert_true(n > 50);
}

/* Keys the rule could not reverse, and names that are no key's variable. */
static void env_names_refused(void **state) {
    (void)state;
    static const char *const bad[] = {"",     ".a",   "a.",   "_a",       "a_",  "a..b",
                                      "a._b", "a_.b", "a__b", "A.b",      "a-b", "a b",
                                      "a.#",  "pg.é", "pg",   "bootstrap"};
    char out[256];
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        assert_int_equal(-1, vk_config_env_name(bad[i], out, sizeof out));
    assert_int_equal(-1, vk_config_env_name("pg.conninfo", out, 10)); /* does not fit */
    static const char *const names[] = {
        "VAKSIN_",     "VAKSIN__PG", "VAKSIN_PG_", "VAKSIN_A___B",       "VAKSIN_pg",
        "VAKSIN_PG-X", "OTHER_PG",   "VAKSINPG",   "vaksin_PG_CONNINFO", "VAKSIN_JKN____X"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        assert_int_equal(-1, vk_config_env_key(names[i], out, sizeof out));
}

static const vk_config_doc lookup_keys[] = {
    {"jkn.url", NULL, "JKN"},
    {"jkn.cons_id", NULL, "consumer id"},
    {"pg.conninfo", NULL, "read model"},
    {NULL, NULL, NULL},
};

static void env_applies_known_keys_only(void **state) {
    (void)state;
    clear_vaksin_env();
    setenv("VAKSIN_JKN_CONS__ID", "cons-1", 1);                 /* the rule */
    setenv("VAKSIN_KAFKA_SASL_MECHANISMS", "SCRAM-SHA-512", 1); /* librdkafka's */
    setenv("VAKSIN_TICKET_SECRET", "0123456789abcdef", 1);      /* another program's key */
    setenv("VAKSIN_RUN_DIR", "/tmp/run", 1);                    /* a script's: silent */
    setenv("VAKSIN_TEST_SKIP_FUZZ", "1", 1);
    setenv("VAKSIN_JKN_CONS_ID", "old-style", 1); /* the old rule: warned about */
    setenv("VAKSIN_pg_conninfo", "host=x", 1);    /* lower case: warned about */
    vk_config *cfg = vk_config_new();
    char err[256];
    capture_stderr();
    int rc = vk_config_load_env(cfg, lookup_keys, err, sizeof err);
    const char *out = captured_stderr();
    assert_int_equal(0, rc);
    assert_string_equal("cons-1", vk_config_get(cfg, "jkn.cons_id", NULL));
    assert_string_equal("SCRAM-SHA-512", vk_config_get(cfg, "kafka.sasl.mechanisms", NULL));
    assert_string_equal("0123456789abcdef", vk_config_get(cfg, "ticket.secret", NULL));
    assert_int_equal(3, vk_config_count(cfg)); /* nothing else: no run.dir, no jkn.cons.id */
    assert_non_null(strstr(out, "variable=VAKSIN_JKN_CONS_ID did_you_mean=VAKSIN_JKN_CONS__ID"));
    assert_non_null(strstr(out, "variable=VAKSIN_pg_conninfo did_you_mean=VAKSIN_PG_CONNINFO"));
    assert_null(strstr(out, "RUN_DIR"));
    assert_null(strstr(out, "SKIP_FUZZ"));
    assert_null(strstr(out, "old-style")); /* values are never shown */
    vk_config_destroy(cfg);

    /* A short name and its long name that disagree: which one counts would be an accident. */
    clear_vaksin_env();
    setenv("VAKSIN_PG", "host=a", 1);
    setenv("VAKSIN_PG_CONNINFO", "host=b", 1);
    cfg = vk_config_new();
    assert_int_equal(-1, vk_config_load_env(cfg, lookup_keys, err, sizeof err));
    assert_non_null(strstr(err, "VAKSIN_PG and VAKSIN_PG_CONNINFO"));
    setenv("VAKSIN_PG_CONNINFO", "host=a", 1); /* agreeing is fine */
    assert_int_equal(0, vk_config_load_env(cfg, lookup_keys, err, sizeof err));
    assert_string_equal("host=a", vk_config_get(cfg, "pg.conninfo", NULL));
    clear_vaksin_env();
    vk_config_destroy(cfg);
}

/* ---- The file: comments after values, unknown keys, long lines ---- */

static int load(const char *text, const vk_config_doc *table, vk_config *cfg, char *err,
                size_t errlen) {
    char *path = write_file(text, 0600);
    int rc = vk_config_load_file(cfg, path, table, err, errlen);
    unlink(path);
    return rc;
}

static void comment_after_a_value_is_refused(void **state) {
    (void)state;
    static const char *const refused[] = {
        "log.level=info\n\nticket.secret=abc   # openssl rand -hex 32\n",
        "log.level=info\n# a comment line\nticket.secret=abc\t#note\n",
        "log.level=info\n\nticket.secret=# not set yet\n",
        "log.level=info\n\nticket.secret=#abc\n",
    };
    char err[512];
    for (size_t i = 0; i < sizeof refused / sizeof *refused; i++) {
        vk_config *cfg = vk_config_new();
        assert_int_equal(-1, load(refused[i], NULL, cfg, err, sizeof err));
        assert_non_null(strstr(err, ":3: ticket.secret: a comment after a value is not allowed"));
        assert_non_null(strstr(err, "VAKSIN_TICKET_SECRET"));
        assert_null(strstr(err, "abc")); /* nor the secret */
        assert_null(vk_config_get(cfg, "ticket.secret", NULL));
        vk_config_destroy(cfg);
    }
    /* '#' inside a word is part of the value; comment lines may be indented. */
    vk_config *cfg = vk_config_new();
    assert_int_equal(0, load("  # indented comment\nticket.secret=ab#cd#\nsource=a b\n", NULL, cfg,
                             err, sizeof err));
    assert_string_equal("ab#cd#", vk_config_get(cfg, "ticket.secret", NULL));
    assert_string_equal("a b", vk_config_get(cfg, "source", NULL));
    vk_config_destroy(cfg);
}

static void unknown_keys_in_the_file(void **state) {
    (void)state;
    char err[512];
    vk_config *cfg = vk_config_new();
    assert_int_equal(-1, load("batch.max=5\npg.conninf=host=db\n", keys, cfg, err, sizeof err));
    assert_non_null(strstr(err, ":2: unknown key pg.conninf — did you mean pg.conninfo?"));
    assert_int_equal(-1, load("jkn.cons.id=x\n", keys, cfg, err, sizeof err));
    assert_non_null(strstr(err, "did you mean jkn.cons_id?"));
    assert_int_equal(-1, load("no.such.thing.at.all=1\n", keys, cfg, err, sizeof err));
    assert_non_null(strstr(err, ":1: unknown key no.such.thing.at.all ("));
    assert_int_equal(-1, load("=1\n", keys, cfg, err, sizeof err));
    assert_non_null(strstr(err, ":1: expected key=value"));
    /* One file serves every program: another program's keys, kafka.* and log.level are fine. */
    assert_int_equal(0, load("ticket.secret=0123456789abcdef\njkn.cons_id=c\nlog.level=warn\n"
                             "kafka.client.id=x\nkafka.consumer.fetch.wait.max.ms=10\n",
                             keys, cfg, err, sizeof err));
    assert_string_equal("c", vk_config_get(cfg, "jkn.cons_id", NULL));
    vk_config_destroy(cfg);
}

/* A value longer than any line buffer is read whole (an inline PEM chain). */
static void long_values_are_whole(void **state) {
    (void)state;
    size_t n = 10000;
    char *text = malloc(n + 64);
    assert_non_null(text);
    strcpy(text, "kafka.ssl.ca.pem=");
    size_t at = strlen(text);
    memset(text + at, 'A', n);
    strcpy(text + at + n, "\nbatch.max=7\n");
    vk_config *cfg = vk_config_new();
    char err[512];
    assert_int_equal(0, load(text, keys, cfg, err, sizeof err));
    assert_int_equal(n, strlen(vk_config_get(cfg, "kafka.ssl.ca.pem", "")));
    assert_int_equal(7, vk_config_get_int(cfg, "batch.max", 0));
    vk_config_destroy(cfg);
    free(text);
}

/* -X: an unknown key is refused with a suggestion, another program's key set with a warning. */
static void unknown_keys_on_the_command_line(void **state) {
    (void)state;
    clear_vaksin_env();
    char *typo[] = {"vaksin-test", "-X", "batch.mx=5", NULL};
    vk_config *cfg = vk_config_new();
    int first;
    capture_stderr();
    int rc = vk_cli_parse(3, typo, &prog, cfg, &first);
    const char *out = captured_stderr();
    assert_int_equal(-1, rc);
    assert_non_null(strstr(out, "-X batch.mx: unknown key — did you mean batch.max?"));
    vk_config_destroy(cfg);

    char *other[] = {"vaksin-test",       "-X", "lookup.inflight=3", "-X",
                     "kafka.linger.ms=1", "-X", "log.level=info",    NULL};
    cfg = vk_config_new();
    capture_stderr();
    rc = vk_cli_parse(7, other, &prog, cfg, &first);
    out = captured_stderr();
    assert_int_equal(0, rc);
    assert_string_equal("3", vk_config_get(cfg, "lookup.inflight", NULL));
    assert_non_null(strstr(out, "does not declare"));
    assert_non_null(strstr(out, "key=lookup.inflight"));
    assert_null(strstr(out, "key=kafka.linger.ms"));
    vk_config_destroy(cfg);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(precedence_default_file_env_cli),
        cmocka_unit_test(refuses_readable_secret_file),
        cmocka_unit_test(refuses_secrets_on_the_command_line),
        cmocka_unit_test(kafka_properties_pass_through),
        cmocka_unit_test(usage_errors),
        cmocka_unit_test(env_names_round_trip),
        cmocka_unit_test(env_names_refused),
        cmocka_unit_test(env_applies_known_keys_only),
        cmocka_unit_test(comment_after_a_value_is_refused),
        cmocka_unit_test(unknown_keys_in_the_file),
        cmocka_unit_test(long_values_are_whole),
        cmocka_unit_test(unknown_keys_on_the_command_line),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
