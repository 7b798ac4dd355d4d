/*
 * vk_contract.c — the contract's list of topics and the record each carries.
 */
#include "vk_contract.h"

#include <stddef.h>
#include <string.h>

const char *const vk_all_topics[] = {VK_TOPIC_TICKET_REQUESTS,
                                     VK_TOPIC_REGISTRATION_REQUESTS,
                                     VK_TOPIC_SCREENING_REQUESTS,
                                     VK_TOPIC_VACCINATION_REQUESTS,
                                     VK_TOPIC_VERIFICATION_REQUESTS,
                                     VK_TOPIC_ACCESS_EVENTS,
                                     VK_TOPIC_VERIFICATION_LOOKUPS,
                                     VK_TOPIC_VERIFICATION_RETRIES,
                                     VK_TOPIC_TARGET_EVENTS,
                                     VK_TOPIC_DEAD_LETTERS,
                                     NULL};

const char *vk_topic_schema(const char *topic) {
    static const char *const map[][2] = {
        {VK_TOPIC_TICKET_REQUESTS, VK_SCHEMA_TICKET_REQUESTED},
        {VK_TOPIC_REGISTRATION_REQUESTS, VK_SCHEMA_REGISTRATION_SUBMITTED},
        {VK_TOPIC_SCREENING_REQUESTS, VK_SCHEMA_SCREENING_SUBMITTED},
        {VK_TOPIC_VACCINATION_REQUESTS, VK_SCHEMA_VACCINATION_SUBMITTED},
        {VK_TOPIC_VERIFICATION_REQUESTS, VK_SCHEMA_VERIFICATION_REQUESTED},
        {VK_TOPIC_ACCESS_EVENTS, VK_SCHEMA_ACCESS_CHANGED},
        {VK_TOPIC_VERIFICATION_LOOKUPS, VK_SCHEMA_VERIFICATION_LOOKUP},
        {VK_TOPIC_VERIFICATION_RETRIES, VK_SCHEMA_VERIFICATION_LOOKUP},
        {VK_TOPIC_TARGET_EVENTS, VK_SCHEMA_TARGET_EVENT},
        {VK_TOPIC_DEAD_LETTERS, VK_SCHEMA_DEAD_LETTER},
    };
    for (size_t i = 0; i < sizeof map / sizeof *map; i++)
        if (strcmp(map[i][0], topic) == 0)
            return map[i][1];
    return NULL;
}

const char *const vk_all_records[] = {VK_SCHEMA_TICKET_REQUESTED,
                                      VK_SCHEMA_REGISTRATION_SUBMITTED,
                                      VK_SCHEMA_SCREENING_SUBMITTED,
                                      VK_SCHEMA_VACCINATION_SUBMITTED,
                                      VK_SCHEMA_VERIFICATION_REQUESTED,
                                      VK_SCHEMA_ACCESS_CHANGED,
                                      VK_SCHEMA_VERIFICATION_LOOKUP,
                                      VK_SCHEMA_TARGET_EVENT,
                                      VK_SCHEMA_DEAD_LETTER,
                                      NULL};
