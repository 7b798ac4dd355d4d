/*
 * vaksin-ticket — ticket creation: vaksin.ticket.requests → TicketIssued on vaksin.target.events.
 *
 * Validates and normalizes each target (NIK, name, phone, dates), derives its ticket number from
 * the NIK with a keyed hash (ticket.secret), and writes it to the person's log. Bad input goes
 * to vaksin.dead-letters with its original bytes and a precise reason. See handler.c.
 */
#include "handler.h"
#include "vk_config.h"
#include "vk_log.h"
#include "vk_service.h"
#include "vk_time.h"

#include <stdio.h>
#include <string.h>

static const vk_config_doc keys[] = {
    {"ticket.secret", NULL, "secret key of the ticket hash (required; keep it in a 0600 file)"},
    VK_STAGE_KEYS("vaksin-ticket"),
};

static const vk_program program = {
    "vaksin-ticket", "ticket requests → validated, normalized TicketIssued events", NULL, keys};

/* The secret is checked here, not in the handler: a guessable one makes tickets guessable. */
static void *setup(const vk_config *cfg, vk_codec *codec, void **extra, bool *bad_config, char *err,
                   size_t errlen) {
    (void)extra;
    const char *secret = vk_config_get(cfg, "ticket.secret", NULL);
    if (!secret || strlen(secret) < 16 || strcmp(secret, "CHANGE_ME") == 0) {
        snprintf(err, errlen,
                 "ticket.secret is required: at least 16 characters, e.g. openssl rand -hex 32, "
                 "in VAKSIN_TICKET_SECRET or a 0600 config file");
        *bad_config = true;
        return NULL;
    }
    return ticket_ctx_new(codec, (const uint8_t *)secret, strlen(secret), vk_now_ms(), err, errlen);
}

static void teardown(void *ctx, void *extra) {
    (void)extra;
    ticket_ctx_destroy(ctx);
}

int main(int argc, char **argv) {
    const vk_stage stage = {.program = &program,
                            .service = TICKET_SERVICE,
                            .input_topic = VK_TOPIC_TICKET_REQUESTS,
                            .handler = ticket_handle,
                            .setup = setup,
                            .teardown = teardown};
    return vk_stage_main(argc, argv, &stage);
}
