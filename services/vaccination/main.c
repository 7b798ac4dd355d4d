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
#include "vk_log.h"
#include "vk_service.h"

#include <stdio.h>
#include <stdlib.h>

static const vk_config_doc keys[] = {
    {"vaccines.file", NULL,
     "vaccine catalog CSV (code,name,doses,min_interval_days); default: built in"},
    VK_STAGE_KEYS("vaksin-vaccination"),
};

static const vk_program program = {"vaksin-vaccination",
                                   "desk 4 vaccinations → checked Vaccinated events", NULL, keys};

/* The handler borrows the catalog: it lives in *extra until teardown. */
static void *setup(const vk_config *cfg, vk_codec *codec, void **extra, bool *bad_config, char *err,
                   size_t errlen) {
    vk_catalog *catalog = calloc(1, sizeof *catalog);
    if (!catalog) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    if (vk_catalog_from_config(catalog, cfg, err, errlen)) {
        free(catalog);
        *bad_config = true;
        return NULL;
    }
    vk_info("msg=\"vaccine catalog\" vaccines=%zu file=\"%s\"", catalog->n,
            vk_config_get(cfg, "vaccines.file", "(built in)"));
    vaccination_ctx *ctx = vaccination_ctx_new(codec, catalog, err, errlen);
    if (!ctx) {
        vk_catalog_free(catalog);
        free(catalog);
    }
    *extra = catalog;
    return ctx;
}

static void teardown(void *ctx, void *catalog) {
    vaccination_ctx_destroy(ctx);
    vk_catalog_free(catalog);
    free(catalog);
}

int main(int argc, char **argv) {
    const vk_stage stage = {.program = &program,
                            .service = VACCINATION_SERVICE,
                            .input_topic = VK_TOPIC_VACCINATION_REQUESTS,
                            .handler = vaccination_handle,
                            .setup = setup,
                            .teardown = teardown};
    return vk_stage_main(argc, argv, &stage);
}
