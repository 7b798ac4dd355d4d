/*
 * test_registry.c — the schema registry client's pure parts: subject names under each strategy,
 * strategy names as Confluent's clients spell them, and the URLs and credentials it refuses
 * before sending anything. Its HTTP is tested against the development registry
 * (integration.registry_client, integration.registry_interop).
 */
#include "vk_registry.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

static void test_subjects(void **state) {
    (void)state;
    char buf[256];
    assert_string_equal(vk_registry_subject(VK_SUBJECT_TOPIC, "vaksin.target.events",
                                            "vaksin.v1.TargetEvent", buf, sizeof buf),
                        "vaksin.target.events-value");
    assert_string_equal(vk_registry_subject(VK_SUBJECT_RECORD, "vaksin.target.events",
                                            "vaksin.v1.TargetEvent", buf, sizeof buf),
                        "vaksin.v1.TargetEvent");
    assert_string_equal(vk_registry_subject(VK_SUBJECT_TOPIC_RECORD, "vaksin.target.events",
                                            "vaksin.v1.TargetEvent", buf, sizeof buf),
                        "vaksin.target.events-vaksin.v1.TargetEvent");
}

static void test_strategy_names(void **state) {
    (void)state;
    vk_subject_strategy s = VK_SUBJECT_TOPIC;
    assert_int_equal(vk_registry_strategy_parse("RecordNameStrategy", &s), 0);
    assert_int_equal(s, VK_SUBJECT_RECORD);
    assert_int_equal(vk_registry_strategy_parse(
                         "io.confluent.kafka.serializers.subject.TopicRecordNameStrategy", &s),
                     0);
    assert_int_equal(s, VK_SUBJECT_TOPIC_RECORD);
    assert_int_equal(vk_registry_strategy_parse("TopicNameStrategy", &s), 0);
    assert_int_equal(s, VK_SUBJECT_TOPIC);
    assert_int_equal(vk_registry_strategy_parse("topic", &s), -1);
    assert_int_equal(vk_registry_strategy_parse("", &s), -1);
}

static void expect_refused(const vk_registry_options *o, const char *want) {
    char err[512] = "";
    vk_registry *r = vk_registry_new(o, err, sizeof err);
    if (r) {
        vk_registry_destroy(r);
        fail_msg("accepted, expected \"%s\"", want);
    }
    if (!strstr(err, want))
        fail_msg("error \"%s\", expected \"%s\"", err, want);
}

static void test_refused_options(void **state) {
    (void)state;
    expect_refused(&(vk_registry_options){.urls = " , "}, "schema.registry.url: no URL in");
    expect_refused(&(vk_registry_options){.urls = "ftp://registry:8081"},
                   "ftp://registry:8081 is not an http(s) URL");
    expect_refused(&(vk_registry_options){.urls = "https://a:8081", .user_info = "nocolon"},
                   "expected user:password");
    /* credentials in clear text only to loopback, for every URL of the list */
    expect_refused(&(vk_registry_options){.urls = "http://127.0.0.1:8081,http://10.1.2.3:8081",
                                          .user_info = "vaksin:pw"},
                   "http://10.1.2.3:8081: plain http:// is allowed only to a loopback address");
    expect_refused(&(vk_registry_options){.urls = "http://a,http://b,http://c,http://d,http://e,"
                                                  "http://f,http://g,http://h,http://i"},
                   "more than 8 URLs");

    char err[256] = "";
    vk_registry *r = vk_registry_new(
        &(vk_registry_options){.urls = " http://registry:8081/ , https://10.1.2.3:8081"}, err,
        sizeof err);
    assert_non_null(r); /* no credentials: plain http anywhere is the operator's choice */
    vk_registry_destroy(r);
    r = vk_registry_new(
        &(vk_registry_options){.urls = "https://registry:8081", .user_info = "vaksin:pw"}, err,
        sizeof err);
    assert_non_null(r);
    vk_registry_destroy(r);
}

static void test_from_config(void **state) {
    (void)state;
    char err[256] = "";
    bool configured = true;
    vk_config *cfg = vk_config_new();
    assert_null(vk_registry_from_config(cfg, &configured, err, sizeof err));
    assert_false(configured); /* no registry: not an error */
    vk_config_set(cfg, "schema.registry.url", "http://127.0.0.1:8081");
    vk_config_set(cfg, "schema.registry.subject.name.strategy", "TopicNameStrategyy");
    assert_null(vk_registry_from_config(cfg, &configured, err, sizeof err));
    assert_true(configured);
    assert_non_null(strstr(err, "\"TopicNameStrategyy\" is none of TopicNameStrategy"));
    vk_config_set(cfg, "schema.registry.subject.name.strategy", "RecordNameStrategy");
    vk_registry *r = vk_registry_from_config(cfg, &configured, err, sizeof err);
    assert_non_null(r);
    vk_registry_destroy(r);
    vk_config_destroy(cfg);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_subjects),
        cmocka_unit_test(test_strategy_names),
        cmocka_unit_test(test_refused_options),
        cmocka_unit_test(test_from_config),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
