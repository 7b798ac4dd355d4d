/*
 * handler.h — vaksin-ticket's pure handler: TicketRequested → TicketIssued, or a dead letter.
 */
#ifndef VK_TICKET_HANDLER_H
#define VK_TICKET_HANDLER_H

#include "vk_codec.h"
#include "vk_service.h"

#include <stddef.h>
#include <stdint.h>

#define TICKET_SERVICE "vaksin-ticket"

/** The longest category accepted (bytes of UTF-8): a priority group's name, not a text. */
#define TICKET_MAX_CATEGORY 64

typedef struct ticket_ctx ticket_ctx;

/** @brief Handler state: decoder, encoder and the ticket secret (copied). NULL with @p err. */
ticket_ctx *ticket_ctx_new(vk_codec *codec, const uint8_t *secret, size_t secret_len,
                           int64_t now_ms, char *err, size_t errlen);
void ticket_ctx_destroy(ticket_ctx *ctx);

/**
 * @brief Validates and normalizes one TicketRequested and emits a TargetEvent{TicketIssued}
 * keyed by NIK, with event id UUIDv5("vaksin-ticket/<input id>/0"). Refusals name the field and
 * what is wrong. Never touches the network: a pure function of the message and the secret.
 */
vk_handled ticket_handle(void *ctx, const rd_kafka_message_t *in, vk_outputs *out, vk_dead *dead);

#endif
