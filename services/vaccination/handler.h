/*
 * handler.h — vaksin-vaccination's pure handler (desk 4): VaccinationSubmitted →
 * TargetEvent{Vaccinated} keyed by NIK, or a dead letter.
 */
#ifndef VK_VACCINATION_HANDLER_H
#define VK_VACCINATION_HANDLER_H

#include "vk_catalog.h"
#include "vk_codec.h"
#include "vk_service.h"

#include <stddef.h>
#include <stdint.h>

#define VACCINATION_SERVICE "vaksin-vaccination"

/* A batch (lot) number after trimming and upper-casing: 3 to 32 of A-Z, 0-9, '/' and '-'. */
#define VACCINATION_MIN_BATCH 3
#define VACCINATION_MAX_BATCH 32
/* How far after the request's occurred_at a vaccinated_at may lie (clock skew, late entry of
 * the form's time by hand): one day. */
#define VACCINATION_MAX_AHEAD_MS 86400000LL

typedef struct vaccination_ctx vaccination_ctx;

/** @brief Handler state: decoder, encoder and the catalog (borrowed: it must outlive the
 *  context). NULL with @p err. */
vaccination_ctx *vaccination_ctx_new(vk_codec *codec, const vk_catalog *catalog, char *err,
                                     size_t errlen);
void vaccination_ctx_destroy(vaccination_ctx *ctx);

/** @brief The programme's first day, 2021-01-13, at 00:00 WIB (UTC+7), in ms since the epoch:
 *  no dose was given before it. */
int64_t vaccination_programme_start_ms(void);

/**
 * @brief Validates one VaccinationSubmitted and emits a TargetEvent{Vaccinated} keyed by NIK,
 * with event id UUIDv5("vaksin-vaccination/<input id>/0"). Dead-letter codes: DECODE,
 * INVALID_EVENT_ID, INVALID_NIK, INVALID_DOSE, INVALID_FACILITY, UNKNOWN_VACCINE,
 * INVALID_BATCH, INVALID_VACCINATED_AT, ENCODE.
 */
vk_handled vaccination_handle(void *ctx, const rd_kafka_message_t *in, vk_outputs *out,
                              vk_dead *dead);

#endif
