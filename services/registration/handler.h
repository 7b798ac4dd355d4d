/*
 * handler.h — vaksin-registration's pure handler (desk 1): RegistrationSubmitted →
 * TargetEvent{Registered} keyed by NIK, or a dead letter.
 */
#ifndef VK_REGISTRATION_HANDLER_H
#define VK_REGISTRATION_HANDLER_H

#include "vk_codec.h"
#include "vk_service.h"

#include <stddef.h>

#define REGISTRATION_SERVICE "vaksin-registration"

/**
 * Resolves a canonical ticket number to its NIK (16 digits + NUL in @p nik_out).
 * @returns 1 found, 0 no target has this ticket, -1 the lookup itself failed (database down):
 * the handler then asks the loop to retry, never refuses.
 */
typedef int (*reg_resolve_fn)(void *arg, const char *ticket, char nik_out[17], char *err,
                              size_t errlen);

typedef struct reg_ctx reg_ctx;

/** @brief Handler state: decoder, encoder and the resolver (borrowed: @p resolve_arg must
 *  outlive the context). NULL with @p err. */
reg_ctx *reg_ctx_new(vk_codec *codec, reg_resolve_fn resolve, void *resolve_arg, char *err,
                     size_t errlen);
void reg_ctx_destroy(reg_ctx *ctx);

/**
 * @brief Validates one RegistrationSubmitted and emits a TargetEvent{Registered} keyed by the
 * person's NIK, with event id UUIDv5("vaksin-registration/<input id>/0"). A ticket is
 * canonicalized and resolved to its NIK through the resolver; VK_RETRY when the resolver
 * fails. Dead-letter codes: DECODE, INVALID_EVENT_ID, INVALID_REQUEST, INVALID_TICKET,
 * INVALID_NIK, INVALID_FACILITY, INVALID_DOSE, UNKNOWN_TICKET, ENCODE.
 */
vk_handled reg_handle(void *ctx, const rd_kafka_message_t *in, vk_outputs *out, vk_dead *dead);

#endif
