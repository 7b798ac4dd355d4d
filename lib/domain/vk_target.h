/*
 * vk_target.h — the target (data sasaran) record and the rule for a (re-)issued ticket, as pure
 * functions the projector applies in log order.
 */
#ifndef VK_TARGET_H
#define VK_TARGET_H

#include <stdbool.h>
#include "vk_ticket.h"
#include <stddef.h>
#include <stdint.h>

typedef struct vk_target {
    char nik[17];
    char ticket[VK_TICKET_LEN + 1];
    char name[256];
    int32_t birth_date;
    char sex; /* 'L', 'P' or 0 */
    char phone[32];
    char category[64];
    char facility_code[32];
    bool has_scheduled_date;
    int32_t scheduled_date;
    char origin[16];
    char flags[128]; /* comma-separated, as in the event */
} vk_target;

typedef enum vk_ticket_outcome {
    VK_TICKET_CREATED,   /* new target */
    VK_TICKET_UNCHANGED, /* re-import of identical data: nothing to do */
    VK_TICKET_CONFLICT,  /* re-import with different data: refused, recorded for review */
} vk_ticket_outcome;

/**
 * @brief Decides what a TicketIssued does to the person's current state (@p current NULL when
 * the NIK is not a target yet). A conflict lists every differing field, old → new, in
 * @p reason. Origin and flags are not compared: they describe the import, not the person.
 */
vk_ticket_outcome vk_target_apply_ticket(const vk_target *current, const vk_target *issued,
                                         char *reason, size_t reason_len);

#endif
