/*
 * vaksin-ticket — ticket creation: vaksin.ticket.requests → TicketIssued on vaksin.target.events.
 *
 * Validates and normalizes each target (NIK, name, phone, dates), derives its ticket number from
 * the NIK with a keyed hash (ticket.secret), and writes it to the person's log. Bad input goes
 * to vaksin.dead-letters with its original bytes and a precise reason. See handler.c.
 */
#include "handler.h"
#include "vk_config.h"
#include "vk_kafka.h"
#include "vk_log.h"

#include <stdio.h>
#include <string.h>

static const vk_config_doc keys[] = {
    {"ticket.secret", NULL, "secret key of the ticket hash (required; keep it in a 0600 file)"},
    VK_STAGE_KEYS("vaksin-ticket"),
};

static const vk_program program = {
    "vaksin-ticket", "ticket requests → validated, normalized TicketIssued events", NULL, keys};

int main(int argc, char **argv) {
    vk_config *cfg = vk_config_new();
    int first, rc = vk_cli_parse(argc, argv, &program, cfg, &first);
    if (rc) {
        vk_config_destroy(cfg);
        return rc > 0 ? 0 : 2;
    }
    const char *secret = vk_config_get(cfg, "ticket.secret", NULL);
    if (!secret || strlen(secret) < 16 || strcmp(secret, "CHANGE_ME") == 0) {
        vk_error("msg=\"ticket.secret is required: at least 16 characters, e.g. openssl rand -hex"
                 " 32, in VAKSIN_TICKET_SECRET or a 0600 config file\"");
        vk_config_destroy(cfg);
        return 2;
    }
    char err[512];
    vk_codec *codec = vk_codec_new(err, sizeof err);
    ticket_ctx *ctx = codec ? ticket_ctx_new(codec, (const uint8_t *)secret, strlen(secret),
                                             vk_now_ms(), err, sizeof err)
                            : NULL;
    if (!ctx) {
        vk_error("msg=\"cannot start\" error=\"%s\"", err);
        if (codec)
            vk_codec_destroy(codec);
        vk_config_destroy(cfg);
        return 1;
    }
    vk_install_signals();
    static const char *const inputs[] = {VK_TOPIC_TICKET_REQUESTS, NULL};
    vk_service svc = {TICKET_SERVICE, inputs, ticket_handle, ctx};
    rc = vk_service_run(cfg, codec, &svc);
    ticket_ctx_destroy(ctx);
    vk_codec_destroy(codec);
    vk_config_destroy(cfg);
    return rc ? 1 : 0;
}
