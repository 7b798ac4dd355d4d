/*
 * vaksin-vaccination — desk 4: vaksin.vaccination.requests → Vaccinated on
 * vaksin.target.events, keyed by NIK.
 *
 * Checks the vaccine against the catalog of the configuration (vaccines.file, else the design's
 * defaults), the batch number and the time the dose was given. Bad input goes to
 * vaksin.dead-letters with its original bytes and a precise reason. See handler.c.
 */
#include "handler.h"
#include "vk_catalog.h"
#include "vk_config.h"
#include "vk_kafka.h"
#include "vk_log.h"

static const vk_config_doc keys[] = {
    {"vaccines.file", NULL,
     "vaccine catalog CSV (code,name,doses,min_interval_days); default: built in"},
    VK_STAGE_KEYS("vaksin-vaccination"),
};

static const vk_program program = {"vaksin-vaccination",
                                   "desk 4 vaccinations → checked Vaccinated events", NULL, keys};

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
        vk_error("msg=\"bad vaccine catalog\" error=\"%s\"", err);
        vk_config_destroy(cfg);
        return 2;
    }
    vk_info("msg=\"vaccine catalog\" vaccines=%zu file=\"%s\"", catalog.n,
            vk_config_get(cfg, "vaccines.file", "(built in)"));
    vk_codec *codec = vk_codec_new(err, sizeof err);
    vaccination_ctx *ctx = codec ? vaccination_ctx_new(codec, &catalog, err, sizeof err) : NULL;
    if (!ctx) {
        vk_error("msg=\"cannot start\" error=\"%s\"", err);
        if (codec)
            vk_codec_destroy(codec);
        vk_catalog_free(&catalog);
        vk_config_destroy(cfg);
        return 1;
    }
    vk_install_signals();
    static const char *const inputs[] = {VK_TOPIC_VACCINATION_REQUESTS, NULL};
    vk_service svc = {VACCINATION_SERVICE, inputs, vaccination_handle, ctx};
    rc = vk_service_run(cfg, codec, &svc);
    vaccination_ctx_destroy(ctx);
    vk_catalog_free(&catalog);
    vk_codec_destroy(codec);
    vk_config_destroy(cfg);
    return rc ? 1 : 0;
}
