/*
 * vaksin-devbroker — the development broker: librdkafka's mock cluster on localhost.
 *
 * A real Kafka-protocol listener (produce, fetch, consumer groups, idempotent and transactional
 * producers, error injection) that lives in this process's memory. It is for development, tests
 * and demos, never production:
 *  - everything is lost when it stops;
 *  - each partition keeps at most about 5 MB or 100,000 batches and silently drops the oldest
 *    batches beyond that (librdkafka's mock, src/rdkafka_mock.c), so a large run needs enough
 *    partitions and producer compression, and checks its counts;
 *  - it accepts transactional offset commits without storing them and writes no transaction
 *    markers (see lib/kafka/vk_kafka.h for how the services cope);
 *  - the listener port is chosen by the operating system; the address is printed on stdout as
 *    `bootstrap=127.0.0.1:PORT` and written to devbroker.bootstrap.file when set.
 *
 * It creates every topic of the contract with devbroker.partitions partitions at start.
 */
#include "vk_config.h"
#include "vk_kafka.h"
#include "vk_log.h"
#include "vk_signals.h"

#include <librdkafka/rdkafka_mock.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const vk_config_doc keys[] = {
    {"devbroker.brokers", "1", "number of mock brokers"},
    {"devbroker.partitions", "16", "partitions per topic of the contract"},
    {"devbroker.bootstrap.file", NULL, "write the bootstrap address to this file"},
    {"log.level", "info", "debug, info, warn or error"},
    {NULL, NULL, NULL},
};

static const vk_program program = {
    "vaksin-devbroker",
    "development Kafka broker (librdkafka mock cluster, in memory) on localhost", NULL, keys};

int main(int argc, char **argv) {
    vk_config *cfg = vk_config_new();
    int first;
    int rc = vk_cli_parse(argc, argv, &program, cfg, &first);
    if (rc) {
        vk_config_destroy(cfg);
        return rc > 0 ? 0 : 2;
    }
    vk_install_signals();
    int brokers = (int)vk_config_get_int(cfg, "devbroker.brokers", 1);
    int partitions = (int)vk_config_get_int(cfg, "devbroker.partitions", 16);

    char err[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    /* The handle only hosts the mock cluster: it never connects, so its warning that it has no
     * bootstrap.servers is noise. */
    rd_kafka_conf_set(conf, "log_level", "3", err, sizeof err);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
    if (!rk) {
        vk_error("msg=\"cannot create handle\" error=\"%s\"", err);
        return 1;
    }
    rd_kafka_mock_cluster_t *mc = rd_kafka_mock_cluster_new(rk, brokers);
    if (!mc) {
        vk_error("msg=\"cannot create mock cluster\"");
        rd_kafka_destroy(rk);
        return 1;
    }
    for (const char *const *t = vk_all_topics; *t; t++) {
        rd_kafka_resp_err_t e = rd_kafka_mock_topic_create(mc, *t, partitions, 1);
        if (e) {
            vk_error("msg=\"cannot create topic\" topic=%s error=\"%s\"", *t, rd_kafka_err2str(e));
            rd_kafka_mock_cluster_destroy(mc);
            rd_kafka_destroy(rk);
            return 1;
        }
    }
    const char *bootstraps = rd_kafka_mock_cluster_bootstraps(mc);
    printf("bootstrap=%s\n", bootstraps);
    fflush(stdout);
    const char *file = vk_config_get(cfg, "devbroker.bootstrap.file", NULL);
    if (file && vk_write_line_atomic(file, bootstraps)) {
        vk_error("msg=\"cannot write bootstrap file\" path=%s", file);
        rd_kafka_mock_cluster_destroy(mc);
        rd_kafka_destroy(rk);
        return 1;
    }
    int topics = 0;
    while (vk_all_topics[topics])
        topics++;
    vk_info("msg=ready bootstrap=%s brokers=%d partitions=%d topics=%d", bootstraps, brokers,
            partitions, topics);
    while (!vk_stop)
        usleep(100 * 1000);
    vk_info("msg=stopping");
    if (file)
        unlink(file);
    rd_kafka_mock_cluster_destroy(mc);
    rd_kafka_destroy(rk);
    vk_config_destroy(cfg);
    return 0;
}
