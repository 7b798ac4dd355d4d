/*
 * vaksin-screening — desk 2: vaksin.screening.requests → Screened on vaksin.target.events,
 * keyed by NIK.
 *
 * Checks the figures for plausibility and a PROCEED against the screening limits of the
 * configuration (screening.max.*, design §4). Bad input goes to vaksin.dead-letters with its
 * original bytes and a precise reason. See handler.c.
 */
#include "handler.h"
#include "vk_catalog.h"
#include "vk_config.h"
#include "vk_kafka.h"
#include "vk_log.h"

static const vk_config_doc keys[] = {
    {"screening.max.temperature.c", "37.5", "a PROCEED at or above this temperature is refused"},
    {"screening.max.systolic", "180", "a PROCEED at or above this systolic pressure is refused"},
    {"screening.max.diastolic", "110", "a PROCEED at or above this diastolic pressure is refused"},
    VK_STAGE_KEYS("vaksin-screening"),
};

static const vk_program program = {"vaksin-screening",
                                   "desk 2 screenings → checked Screened events", NULL, keys};

int main(int argc, char **argv) {
    vk_config *cfg = vk_config_new();
    int first, rc = vk_cli_parse(argc, argv, &program, cfg, &first);
    if (rc) {
        vk_config_destroy(cfg);
        return rc > 0 ? 0 : 2;
    }
    char err[512] = "";
    vk_catalog catalog;
    if (vk_catalog_from_config(&catalog, cfg, err, sizeof err)) {
        vk_error("msg=\"bad screening limits\" error=\"%s\"", err);
        vk_config_destroy(cfg);
        return 2;
    }
    vk_info("msg=\"screening limits\" max_temperature_c=%g max_systolic=%d max_diastolic=%d",
            catalog.limits.max_temperature_c, catalog.limits.max_systolic,
            catalog.limits.max_diastolic);
    vk_codec *codec = vk_codec_new(err, sizeof err);
    screening_ctx *ctx = codec ? screening_ctx_new(codec, &catalog.limits, err, sizeof err) : NULL;
    vk_catalog_free(&catalog); /* the handler copied the limits */
    if (!ctx) {
        vk_error("msg=\"cannot start\" error=\"%s\"", err);
        if (codec)
            vk_codec_destroy(codec);
        vk_config_destroy(cfg);
        return 1;
    }
    vk_install_signals();
    static const char *const inputs[] = {VK_TOPIC_SCREENING_REQUESTS, NULL};
    vk_service svc = {SCREENING_SERVICE, inputs, screening_handle, ctx};
    rc = vk_service_run(cfg, codec, &svc);
    screening_ctx_destroy(ctx);
    vk_codec_destroy(codec);
    vk_config_destroy(cfg);
    return rc ? 1 : 0;
}
