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
#include "vk_log.h"
#include "vk_pg.h"
#include "vk_service.h"

#include <stdio.h>

static const vk_config_doc keys[] = {
    {"pg.conninfo", NULL, "libpq connection string of the read model (or VAKSIN_PG; required)"},
    {"ticket.cache.max", "100000", "tickets resolved to a NIK kept in memory (emptied when full)"},
    {"pg.retry.ms", "5000", "how long a lookup tries to reconnect before the batch is retried"},
    VK_PG_STATEMENT_TIMEOUT_KEY("5000", " (the batch is retried)"),
    VK_STAGE_KEYS("vaksin-registration"),
};

static const vk_program program = {"vaksin-registration",
                                   "desk 1 registrations (by ticket or NIK) → Registered events",
                                   NULL, keys};

static void *setup(const vk_config *cfg, vk_codec *codec, void **extra, bool *bad_config, char *err,
                   size_t errlen) {
    const char *conninfo = vk_config_get(cfg, "pg.conninfo", NULL);
    long long cache_max = vk_config_get_int(cfg, "ticket.cache.max", 100000);
    long long retry_ms = vk_config_get_int(cfg, "pg.retry.ms", 5000);
    long long timeout_ms = vk_config_get_int(cfg, "pg.statement.timeout.ms", 5000);
    *bad_config = true;
    if (!conninfo || !*conninfo) {
        snprintf(err, errlen,
                 "pg.conninfo (or VAKSIN_PG) is required: tickets are resolved to NIKs in the "
                 "read model");
        return NULL;
    }
    if (cache_max < 0 || retry_ms < 0) {
        snprintf(err, errlen, "ticket.cache.max and pg.retry.ms must not be negative");
        return NULL;
    }
    if (vk_pg_set_statement_timeout(timeout_ms)) {
        snprintf(err, errlen, "%s", VK_PG_STATEMENT_TIMEOUT_RANGE);
        return NULL;
    }
    *bad_config = false;
    reg_resolver *resolver = reg_resolver_new(conninfo, (size_t)cache_max, retry_ms);
    if (!resolver) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    reg_ctx *ctx = reg_ctx_new(codec, reg_resolver_lookup, resolver, err, errlen);
    if (!ctx)
        reg_resolver_destroy(resolver);
    *extra = resolver;
    return ctx;
}

static void teardown(void *ctx, void *resolver) {
    reg_ctx_destroy(ctx);
    reg_resolver_destroy(resolver);
}

int main(int argc, char **argv) {
    const vk_stage stage = {.program = &program,
                            .service = REGISTRATION_SERVICE,
                            .input_topic = VK_TOPIC_REGISTRATION_REQUESTS,
                            .handler = reg_handle,
                            .setup = setup,
                            .teardown = teardown};
    return vk_stage_main(argc, argv, &stage);
}
