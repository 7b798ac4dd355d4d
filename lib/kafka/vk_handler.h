/*
 * vk_handler.h — what the stage handlers (vaksin-ticket and the desks: registration, screening,
 * vaccination) share: decoding a request, reading and checking its envelope, refusing it with a
 * code and a reason, the desk fields every request carries (NIK, dose, facility), and writing
 * the TargetEvent that records the result on the person's log.
 *
 * Every function that can refuse returns a vk_handled (VK_OK or VK_DEAD with @p dead filled),
 * so a handler reads as a chain of checks:
 *
 *     vk_handled h = vk_request_decode(c->dec, "ScreeningSubmitted", in, &v, dead);
 *     if (h == VK_OK) h = vk_envelope_read(v, in, &env, dead);
 *     if (h == VK_OK) h = vk_check_nik(nik, dead);
 *     ...
 *
 * A TargetEvent is written in two steps: vk_target_event_begin() fills the envelope (derived
 * event id, causation id, the request's occurred_at/source/actor, NIK) and selects the payload
 * branch for the handler to fill, then vk_target_event_add() encodes the event into an output
 * on vaksin.target.events keyed by NIK. The derived id is UUIDv5("<service>/<input id>/<n>"),
 * so a redelivered request yields byte-identical output (docs/design.md §1.5).
 */
#ifndef VK_HANDLER_H
#define VK_HANDLER_H

#include "vk_codec.h"
#include "vk_rules.h"
#include "vk_service.h"
#include "vk_time.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** Branches of TargetEvent.payload, in schema order (schemas/target.events.avsc). */
typedef enum vk_target_branch {
    VK_TARGET_TICKET_ISSUED = 0,
    VK_TARGET_REGISTERED = 1,
    VK_TARGET_SCREENED = 2,
    VK_TARGET_VACCINATED = 3,
    VK_TARGET_VERIFICATION_PENDING = 4,
    VK_TARGET_VERIFICATION_ENRICHED = 5,
    VK_TARGET_VERIFICATION_REFUSED = 6,
} vk_target_branch;

/** A stage's codecs: a decoder of its request record and an encoder of TargetEvent. */
typedef struct vk_stage_codec {
    vk_decoder *dec;
    vk_encoder *enc;
} vk_stage_codec;

/** @brief Opens both codecs for @p request_schema (e.g. VK_SCHEMA_TICKET_REQUESTED). Returns 0,
 *  or -1 with @p err (nothing left open). */
int vk_stage_codec_open(vk_stage_codec *sc, vk_codec *codec, const char *request_schema, char *err,
                        size_t errlen);
/** @brief Closes what vk_stage_codec_open opened (safe on a zeroed or half-open pair). */
void vk_stage_codec_close(vk_stage_codec *sc);

/** The envelope every request starts with (docs/design.md §3). Strings are borrowed from the
 * decoded request and live until the decoder's next call. */
typedef struct vk_envelope {
    const char *event_id; /* a UUID (checked) */
    int64_t occurred_at;  /* ms since the epoch */
    const char *source;
    const char *actor; /* NULL when absent */
    /* The message's timestamp, -1 when it has none (a message not made by librdkafka); and
     * whether the broker set it (the topic has message.timestamp.type=LogAppendTime) rather
     * than the producer, which may choose it as freely as occurred_at. */
    int64_t appended;
    bool appended_by_broker;
} vk_envelope;

/**
 * @brief Fills @p dead (code, and a printf-style reason, truncated to fit) and returns VK_DEAD,
 * so a check can end with `return vk_refuse(dead, "INVALID_DOSE", "dose: %d is …", dose);`.
 */
vk_handled vk_refuse(vk_dead *dead, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/**
 * @brief Decodes @p in with @p dec into *@p out. Refuses undecodable bytes as DECODE, a writer
 * schema nobody knows as UNKNOWN_SCHEMA_ID and one that cannot be read as the reader as
 * UNRESOLVABLE_SCHEMA, with "cannot decode <record>: <why>" (@p record names the expected
 * record, e.g. "ScreeningSubmitted"). A schema registry that does not answer is VK_RETRY (the
 * reason in @p dead, for the log): the message is not at fault.
 */
vk_handled vk_request_decode(vk_decoder *dec, const char *record, const rd_kafka_message_t *in,
                             avro_value_t **out, vk_dead *dead);

/** The longest source or actor accepted (the read model keeps 63 bytes of each). */
#define VK_ENVELOPE_NAME_MAX 63
/** The default window of an event's occurred_at: not before VK_EVENT_EARLIEST_MS (vk_time.h),
 *  not more than a day after the message's timestamp. */
#define VK_EVENT_FUTURE_MAX_MS INT64_C(86400000)

/** @brief Sets the window vk_envelope_read accepts (time.earliest, time.future.max.ms). */
void vk_envelope_window(int64_t earliest_ms, int64_t future_max_ms);

/**
 * @brief Reads the envelope every request has, refusing (VK_DEAD) what the read model could not
 * hold or an operator could not trust: an event_id that is not a UUID (INVALID_EVENT_ID), a
 * source or actor that is not valid UTF-8 or longer than VK_ENVELOPE_NAME_MAX bytes
 * (INVALID_SOURCE, INVALID_ACTOR), an occurred_at before the window or more than its future
 * margin after @p in's timestamp (INVALID_TIME; with no timestamp — @p in NULL or not from
 * librdkafka — only after 9999). Fills env->appended and env->appended_by_broker from @p in.
 */
vk_handled vk_envelope_read(const avro_value_t *req, const rd_kafka_message_t *in, vk_envelope *env,
                            vk_dead *dead);

/**
 * @brief Checks a free-text field (NULL: absent, accepted): valid UTF-8 (the read model's text
 * columns refuse anything else) and at most @p max bytes; refuses with @p code, "<field>: not
 * valid UTF-8" or "<field>: N bytes, at most MAX". Nothing is cut: a cut text would say
 * something its author did not.
 */
vk_handled vk_check_text(const char *field, const char *s, size_t max, const char *code,
                         vk_dead *dead);

/** @brief Checks a NIK's structure (vk_nik_parse); refuses INVALID_NIK, "nik: <why>". */
vk_handled vk_check_nik(const char *nik, vk_dead *dead);

/** @brief Checks a dose number is 1..VK_MAX_DOSES; refuses INVALID_DOSE. */
vk_handled vk_check_dose(int32_t dose, vk_dead *dead);

/**
 * @brief Normalizes a facility code into @p out (VK_FACILITY_MAX + 1 bytes) with
 * vk_facility_normalize; refuses INVALID_FACILITY, quoting the code as sent.
 */
vk_handled vk_check_facility(const char *facility, char out[VK_FACILITY_MAX + 1], vk_dead *dead);

/** The fields every desk request (registration, screening, vaccination) carries after the
 *  envelope, checked. */
typedef struct vk_desk_visit {
    const char *nik;                    /* a valid NIK (borrowed); NULL when not read */
    int32_t dose;                       /* 1..VK_MAX_DOSES */
    char facility[VK_FACILITY_MAX + 1]; /* normalized */
} vk_desk_visit;

/**
 * @brief Reads and checks, in this order, `nik` (only when @p with_nik: a registration may
 * name a ticket instead and checks its identifier itself), `dose` and `facility_code` of a
 * desk request. Refuses DECODE, INVALID_NIK, INVALID_DOSE or INVALID_FACILITY.
 */
vk_handled vk_desk_visit_read(const avro_value_t *req, bool with_nik, vk_desk_visit *visit,
                              vk_dead *dead);

/**
 * @brief Starts a TargetEvent in @p enc (which must encode VK_SCHEMA_TARGET_EVENT): event id
 * vk_derive_event_id(@p service, env->event_id, @p n), causation_id env->event_id, occurred_at,
 * source and actor copied from @p env, nik @p nik; selects payload branch @p branch and gives it
 * in *@p payload to fill. Returns the event (owned by @p enc, valid until its next use), or
 * NULL with @p err.
 */
avro_value_t *vk_target_event_begin(vk_encoder *enc, const char *service, const vk_envelope *env,
                                    int n, const char *nik, vk_target_branch branch,
                                    avro_value_t *payload, char *err, size_t errlen);

/**
 * @brief Encodes @p event (from vk_target_event_begin, filled) into a new output on
 * vaksin.target.events keyed by @p nik. Returns 0, or -1 with @p err.
 */
int vk_target_event_add(vk_encoder *enc, const avro_value_t *event, const char *nik,
                        vk_outputs *out, char *err, size_t errlen);

#endif
