/*
 * handler.h — vaksin-screening's pure handler (desk 2): ScreeningSubmitted →
 * TargetEvent{Screened} keyed by NIK, or a dead letter.
 */
#ifndef VK_SCREENING_HANDLER_H
#define VK_SCREENING_HANDLER_H

#include "vk_catalog.h"
#include "vk_codec.h"
#include "vk_service.h"

#include <stddef.h>

#define SCREENING_SERVICE "vaksin-screening"

/* Plausible measurements: outside these a figure is a typo, whatever the result. */
#define SCREENING_MIN_TEMPERATURE_C 30.0f
#define SCREENING_MAX_TEMPERATURE_C 45.0f
#define SCREENING_MIN_SYSTOLIC      50
#define SCREENING_MAX_SYSTOLIC      300
#define SCREENING_MIN_DIASTOLIC     30
#define SCREENING_MAX_DIASTOLIC     200
/* Answers: codes of the screening form, [A-Z0-9_]{1,32}, unique, at most this many. */
#define SCREENING_MAX_ANSWERS 64
#define SCREENING_MAX_CODE    32
#define SCREENING_MAX_NOTE    500 /* bytes */

typedef struct screening_ctx screening_ctx;

/** @brief Handler state: decoder, encoder and the consistency limits (copied). NULL with
 *  @p err. */
screening_ctx *screening_ctx_new(vk_codec *codec, const vk_screening_limits *limits, char *err,
                                 size_t errlen);
void screening_ctx_destroy(screening_ctx *ctx);

/**
 * @brief Validates one ScreeningSubmitted and emits a TargetEvent{Screened} keyed by NIK, with
 * event id UUIDv5("vaksin-screening/<input id>/0"). Dead-letter codes: DECODE,
 * INVALID_EVENT_ID, INVALID_NIK, INVALID_DOSE, INVALID_FACILITY, INVALID_TEMPERATURE,
 * INVALID_BLOOD_PRESSURE, INVALID_ANSWERS, INVALID_NOTE, INCONSISTENT_SCREENING, ENCODE.
 */
vk_handled screening_handle(void *ctx, const rd_kafka_message_t *in, vk_outputs *out,
                            vk_dead *dead);

#endif
