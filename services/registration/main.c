/*
 * vaksin-registration — desk 1: vaksin.registration.requests → Registered on
 * vaksin.target.events, keyed by NIK.
 *
 * A desk registers a person by ticket or by NIK; a ticket is resolved to its NIK in the read
 * model (resolver.c), once, and the NIK written into the event. Bad input goes to
 * vaksin.dead-letters with its original bytes and a precise reason; a database outage makes
 * the loop retry, never refuse. See handler.c.
 */
#include "handler.h"
#include "resolver.h"
#include "vk_config.h"
#include "vk_kafka.h"
#include "vk_log.h"

#include <stdio.h>

static const vk_config_doc keys[] = {
    {"pg.conninfo", NULL, "libpq connection string of the read model (or VAKSIN_PG; required)"},
    {"ticket.cache.max", "100000", "tickets resolved to a NIK kept in memory (emptied when full)"},
    {"pg.retry.ms", "5000", "how long a lookup tries to reconnect before the batch is retried"},
    VK_STAGE_KEYS("vaksin-registration"),
};

static const vk_program program = {"vaksin-registration",
                                   "desk 1 registrations (by ticket or NIK) → Registered events",
                                   NULL, keys};

int main(int argc, char **argv) {
    vk_config *cfg = vk_config_new();
    int first, rc = vk_cli_parse(argc, argv, &program, cfg, &first);
    if (rc) {
        vk_config_destroy(cfg);
        return rc > 0 ? 0 : 2;
    }
    const char *conninfo = vk_config_get(cfg, "pg.conninfo", NULL);
    long long cache_max = vk_config_get_int(cfg, "ticket.cache.max", 100000);
    long long retry_ms = vk_config_get_int(cfg, "pg.retry.ms", 5000);
    if (!conninfo || !*conninfo) {
        vk_error("msg=\"pg.conninfo (or VAKSIN_PG) is required: tickets are resolved to NIKs in"
                 " the read model\"");
        vk_config_destroy(cfg);
        return 2;
    }
    if (cache_max < 0 || retry_ms < 0) {
        vk_error("msg=\"ticket.cache.max and pg.retry.ms must not be negative\"");
        vk_config_destroy(cfg);
        return 2;
    }
    vk_install_signals();
    char err[512] = "";
    vk_codec *codec = vk_codec_new(err, sizeof err);
    reg_resolver *resolver = reg_resolver_new(conninfo, (size_t)cache_max, retry_ms);
    reg_ctx *ctx = codec && resolver
                       ? reg_ctx_new(codec, reg_resolver_lookup, resolver, err, sizeof err)
                       : NULL;
    if (!ctx) {
        vk_error("msg=\"cannot start\" error=\"%s\"", codec && !resolver ? "out of memory" : err);
        reg_resolver_destroy(resolver);
        if (codec)
            vk_codec_destroy(codec);
        vk_config_destroy(cfg);
        return 1;
    }
    static const char *const inputs[] = {VK_TOPIC_REGISTRATION_REQUESTS, NULL};
    vk_service svc = {REGISTRATION_SERVICE, inputs, reg_handle, ctx};
    rc = vk_service_run(cfg, codec, &svc);
    reg_ctx_destroy(ctx);
    reg_resolver_destroy(resolver);
    vk_codec_destroy(codec);
    vk_config_destroy(cfg);
    return rc ? 1 : 0;
}
