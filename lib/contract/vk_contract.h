/*
 * vk_contract.h — the public names of vaksin's event contract: the topics, and the Avro record
 * each carries (schemas/NAME.avsc, embedded into every binary: vk_schemas.h). Producers, consumers,
 * the tools and the tests name topics and records only through these.
 */
#ifndef VK_CONTRACT_H
#define VK_CONTRACT_H

/* Topic names (docs/design.md, section 3). */
#define VK_TOPIC_TICKET_REQUESTS       "vaksin.ticket.requests"
#define VK_TOPIC_REGISTRATION_REQUESTS "vaksin.registration.requests"
#define VK_TOPIC_SCREENING_REQUESTS    "vaksin.screening.requests"
#define VK_TOPIC_VACCINATION_REQUESTS  "vaksin.vaccination.requests"
#define VK_TOPIC_VERIFICATION_REQUESTS "vaksin.verification.requests"
#define VK_TOPIC_ACCESS_EVENTS         "vaksin.access.events"
#define VK_TOPIC_VERIFICATION_LOOKUPS  "vaksin.verification.lookups"
/** Lookups to try again later (a source was down): VerificationLookup with attempt and
 *  not_before set; vaksin-lookup consumes it beside the lookups topic (docs/decisions.md). */
#define VK_TOPIC_VERIFICATION_RETRIES "vaksin.verification.lookups.retry"
#define VK_TOPIC_TARGET_EVENTS        "vaksin.target.events"
#define VK_TOPIC_DEAD_LETTERS         "vaksin.dead-letters"

/** Every topic of the contract, NULL-terminated (the development broker creates them). */
extern const char *const vk_all_topics[];

/** @brief The record full name a topic carries (e.g. VK_SCHEMA_TARGET_EVENT), or NULL. */
const char *vk_topic_schema(const char *topic);

/* Full names of the top-level records, one per topic. */
#define VK_SCHEMA_TICKET_REQUESTED       "vaksin.v1.TicketRequested"
#define VK_SCHEMA_REGISTRATION_SUBMITTED "vaksin.v1.RegistrationSubmitted"
#define VK_SCHEMA_SCREENING_SUBMITTED    "vaksin.v1.ScreeningSubmitted"
#define VK_SCHEMA_VACCINATION_SUBMITTED  "vaksin.v1.VaccinationSubmitted"
#define VK_SCHEMA_VERIFICATION_REQUESTED "vaksin.v1.VerificationRequested"
#define VK_SCHEMA_ACCESS_CHANGED         "vaksin.v1.AccessChanged"
#define VK_SCHEMA_VERIFICATION_LOOKUP    "vaksin.v1.VerificationLookup"
#define VK_SCHEMA_TARGET_EVENT           "vaksin.v1.TargetEvent"
#define VK_SCHEMA_DEAD_LETTER            "vaksin.v1.DeadLetter"

/** Every top-level record of the contract, in the order above, NULL-terminated. */
extern const char *const vk_all_records[];

#endif
