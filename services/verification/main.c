/*
 * vaksin-verification — target-data verification (1.5.0): vaksin.verification.requests →
 * VerificationPending on vaksin.target.events plus a VerificationLookup on
 * vaksin.verification.lookups, or VerificationRefused when the actor holds no active VERIFIER
 * grant for the requesting facility at the time of the request.
 *
 * The grants come from vaksin.access.events, read to its end before the first request is
 * decided and kept current afterwards (access.c), and are decided with the projector's rules
 * (vk_grants.h, vk_access.h) against the same facility reference table. Bad input goes to
 * vaksin.dead-letters with its original bytes and a precise reason. See handler.c.
 */
#include "access.h"
#include "handler.h"
#include "vk_config.h"
#include "vk_facility.h"
#include "vk_log.h"
#include "vk_service.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const vk_config_doc keys[] = {
    {"ticket.secret", NULL,
     "secret key of the ticket hash: an ADDITION's ticket is derived as vaksin-ticket derives "
     "it (required, the same secret; keep it in a 0600 file)"},
    {"facilities.file", NULL,
     "facility reference CSV (code,name,kind,district), the projector's: the kab/kota of a "
     "grant's facility; without it, the Kemenkes code pattern only"},
    {"access.catchup.timeout.ms", "30000",
     "how long the start may take to read vaksin.access.events to its end (else exit 1)"},
    {"access.history.ms", "604800000",
     "how long closed grants and access event ids are kept, counted back from each user's "
     "latest access change (a request further behind is refused TOO_OLD; an unknown GRANT "
     "older than that STALE_GRANT)"},
    {"authz.clock.tolerance.ms", "300000",
     "how far a request's occurred_at may be from the time the broker appended it, either way; "
     "further is refused CLOCK_SKEW (requests are decided at the broker's time)"},
    VK_STAGE_KEYS("vaksin-verification"),
};

static const vk_program program = {
    "vaksin-verification",
    "verification requests → authorized VerificationPending and lookups, or refusals", NULL, keys};

/* What teardown frees besides the handler. */
typedef struct extras {
    vk_facility_map *facilities;
    verif_access *access;
} extras;

static void teardown(void *ctx, void *extra) {
    extras *x = extra;
    if (x && x->access) {
        verif_access_log_metrics(x->access);
        verif_access_destroy(x->access);
    }
    verif_ctx_destroy(ctx);
    if (x) {
        vk_facility_map_destroy(x->facilities);
        free(x);
    }
}

static void *setup(const vk_config *cfg, vk_codec *codec, void **extra, bool *bad_config, char *err,
                   size_t errlen) {
    const char *secret = vk_config_get(cfg, "ticket.secret", NULL);
    const char *facilities = vk_config_get(cfg, "facilities.file", NULL);
    long long timeout_ms = vk_config_get_int(cfg, "access.catchup.timeout.ms", 30000);
    long long history_ms = vk_config_get_int(cfg, "access.history.ms", VK_GRANTS_HISTORY_MS);
    long long tolerance_ms =
        vk_config_get_int(cfg, "authz.clock.tolerance.ms", VERIF_CLOCK_TOLERANCE_MS);
    *bad_config = true;
    /* As vaksin-ticket checks it: a guessable secret makes tickets guessable. */
    if (!secret || strlen(secret) < 16 || strcmp(secret, "CHANGE_ME") == 0) {
        snprintf(err, errlen,
                 "ticket.secret is required: at least 16 characters, the one vaksin-ticket "
                 "uses, in VAKSIN_TICKET_SECRET or a 0600 config file");
        return NULL;
    }
    if (timeout_ms <= 0) {
        snprintf(err, errlen, "access.catchup.timeout.ms must be positive");
        return NULL;
    }
    if (tolerance_ms < 0 || history_ms <= tolerance_ms) {
        snprintf(err, errlen,
                 "authz.clock.tolerance.ms must be at least 0 and access.history.ms longer "
                 "than it");
        return NULL;
    }
    extras *x = calloc(1, sizeof *x);
    if (!x || !(x->facilities = vk_facility_map_new())) {
        snprintf(err, errlen, "out of memory");
        free(x);
        return NULL;
    }
    char e[400];
    if (facilities && *facilities &&
        vk_facility_map_load_file(x->facilities, facilities, e, sizeof e)) {
        snprintf(err, errlen, "facilities.file: %s", e);
        teardown(NULL, x);
        return NULL;
    }
    *bad_config = false;
    verif_ctx *ctx =
        verif_ctx_new(codec, (const uint8_t *)secret, strlen(secret), x->facilities, err, errlen);
    if (ctx) {
        verif_ctx_set_clock_tolerance(ctx, tolerance_ms);
        vk_grants_set_history(verif_ctx_grants_mut(ctx), history_ms);
        x->access = verif_access_new(cfg, ctx, err, errlen);
    }
    if (!x->access || verif_access_catch_up(x->access, timeout_ms, err, errlen)) {
        teardown(ctx, x);
        return NULL;
    }
    verif_ctx_set_refresh(ctx, verif_access_drain, x->access);
    const vk_grants *g = verif_ctx_grants(ctx);
    vk_info("msg=\"grants loaded\" grants=%zu open_grants=%zu facilities=%zu facilities_file=%s",
            vk_grants_count(g), vk_grants_open(g), vk_facility_map_count(x->facilities),
            facilities && *facilities ? facilities : "none");
    *extra = x;
    return ctx;
}

int main(int argc, char **argv) {
    /* A pending verification on the target's log, and the lookup for vaksin-lookup. */
    static const char *const writes[] = {VK_TOPIC_TARGET_EVENTS, VK_TOPIC_VERIFICATION_LOOKUPS,
                                         NULL};
    const vk_stage stage = {.program = &program,
                            .service = VERIFICATION_SERVICE,
                            .input_topic = VK_TOPIC_VERIFICATION_REQUESTS,
                            .handler = verif_handle,
                            .setup = setup,
                            .teardown = teardown,
                            .publish = verif_publish,
                            .output_topics = writes};
    return vk_stage_main(argc, argv, &stage);
}
