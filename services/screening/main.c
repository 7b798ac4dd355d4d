/*
 * vaksin-screening — desk 2: vaksin.screening.requests → Screened on vaksin.target.events,
 * keyed by NIK.
 *
 * Checks the figures for plausibility and a PROCEED against the screening limits of the
 * configuration (screening.max.*, docs/design.md §4). Bad input goes to vaksin.dead-letters with
 * its original bytes and a precise reason. See handler.c.
 */
#include "handler.h"
#include "vk_catalog.h"
#include "vk_config.h"
#include "vk_log.h"
#include "vk_service.h"

#include <stdio.h>

static const vk_config_doc keys[] = {
    {"screening.max.temperature.c", "37.5", "a PROCEED at or above this temperature is refused"},
    {"screening.max.systolic", "180", "a PROCEED at or above this systolic pressure is refused"},
    {"screening.max.diastolic", "110", "a PROCEED at or above this diastolic pressure is refused"},
    VK_STAGE_KEYS("vaksin-screening"),
};

static const vk_program program = {"vaksin-screening",
                                   "desk 2 screenings → checked Screened events", NULL, keys};

static void *setup(const vk_config *cfg, vk_codec *codec, void **extra, bool *bad_config, char *err,
                   size_t errlen) {
    (void)extra;
    vk_catalog catalog;
    if (vk_catalog_from_config(&catalog, cfg, err, errlen)) {
        *bad_config = true;
        return NULL;
    }
    vk_info("msg=\"screening limits\" max_temperature_c=%g max_systolic=%d max_diastolic=%d",
            catalog.limits.max_temperature_c, catalog.limits.max_systolic,
            catalog.limits.max_diastolic);
    screening_ctx *ctx = screening_ctx_new(codec, &catalog.limits, err, errlen);
    vk_catalog_free(&catalog); /* the handler copied the limits */
    return ctx;
}

static void teardown(void *ctx, void *extra) {
    (void)extra;
    screening_ctx_destroy(ctx);
}

int main(int argc, char **argv) {
    const vk_stage stage = {.program = &program,
                            .service = SCREENING_SERVICE,
                            .input_topic = VK_TOPIC_SCREENING_REQUESTS,
                            .handler = screening_handle,
                            .setup = setup,
                            .teardown = teardown};
    return vk_stage_main(argc, argv, &stage);
}
