/*
 * vk_evidence.h — the evidence for a verification request and its verdict (docs/design.md §4), as
 * pure functions: what each source (JKN master file, Dukcapil) said about each identity field, and
 * the one verdict the lookup worker records in VerificationEnriched.
 *
 * The rule: identity fields (name, birth date, sex) must be confirmed by JKN or Dukcapil and
 * contradicted by neither; contact and scheduling fields need no evidence. Precisely, for the
 * identity fields the request sets ("asked"), and counting only the matches of sources whose
 * status is FOUND:
 *
 *   1. no identity field asked                              → SUPPORTED (ask no source)
 *   2. some asked field is contradicted (match NO)          → CONTRADICTED
 *      (whatever else is known: one "no" outweighs any number of "yes")
 *   3. every asked field is confirmed (match YES) by at least one source
 *                                                           → SUPPORTED
 *      (fields may be confirmed by different sources; a source that is NOT_FOUND or
 *      UNAVAILABLE does not hold this up — an unavailable source cannot contradict now, and
 *      waiting for it would stall every request while Dukcapil is down or not yet connected)
 *   4. otherwise some asked field is unconfirmed:
 *      a. some consulted source is UNAVAILABLE              → UNAVAILABLE (retry later: it may
 *                                                              yet confirm or contradict)
 *      b. no source consulted at all                        → UNAVAILABLE
 *      c. otherwise (every consulted source answered)       → NOT_FOUND: no source knows the
 *         NIK, or the one that knows it holds no value for the field (retrying cannot help)
 *
 * A source passed as NULL was not consulted (not configured: JKN alone until Dukcapil is
 * connected); it counts neither for nor against. Matches of a source that is not FOUND are
 * ignored, so a half-filled record cannot sway the verdict.
 */
#ifndef VK_EVIDENCE_H
#define VK_EVIDENCE_H

#include <stdbool.h>
#include <stdint.h>

/** The identity fields, in the order of TargetChanges. */
typedef enum vk_identity_field {
    VK_FIELD_NAME = 0,
    VK_FIELD_BIRTH_DATE,
    VK_FIELD_SEX,
    VK_IDENTITY_FIELDS
} vk_identity_field;

/** Whether a source's value agrees with the asked one. UNKNOWN: the source gave no value. */
typedef enum vk_match { VK_MATCH_UNKNOWN = 0, VK_MATCH_YES, VK_MATCH_NO } vk_match;

/* The enums below follow the Avro symbols of schemas/target.events.avsc, in order. */
typedef enum vk_evidence_source { VK_SOURCE_JKN = 0, VK_SOURCE_DUKCAPIL } vk_evidence_source;
typedef enum vk_evidence_status {
    VK_EVIDENCE_FOUND = 0,
    VK_EVIDENCE_NOT_FOUND,
    VK_EVIDENCE_UNAVAILABLE
} vk_evidence_status;
typedef enum vk_verdict {
    VK_VERDICT_SUPPORTED = 0,
    VK_VERDICT_CONTRADICTED,
    VK_VERDICT_NOT_FOUND,
    VK_VERDICT_UNAVAILABLE
} vk_verdict;

/** The identity part of a request's TargetChanges: what is asked, with the asked values. */
typedef struct vk_identity_change {
    const char *name;    /* NULL when the name is not changed */
    bool has_birth_date; /* birth date changed */
    int32_t birth_date;  /* days since 1970-01-01 */
    char sex;            /* 'L' or 'P'; 0 when not changed */
} vk_identity_change;

/** One EvidenceField. */
typedef struct vk_evidence_field {
    vk_match match;
    int score;       /* 0..100 (Dukcapil), or -1 */
    char value[256]; /* the source's value (JKN), or "" */
} vk_evidence_field;

/** One Evidence record: what one source said. Fields not asked stay UNKNOWN and empty. */
typedef struct vk_evidence_src {
    vk_evidence_source source;
    vk_evidence_status status;
    vk_evidence_field field[VK_IDENTITY_FIELDS]; /* indexed by vk_identity_field */
    char message[256];                           /* the source's own message, or "" */
} vk_evidence_src;

/** @brief Is the field asked by @p asked? */
bool vk_identity_asks(const vk_identity_change *asked, vk_identity_field f);

/** @brief Does the change touch any identity field (so a source must be asked at all)? */
bool vk_identity_needs_evidence(const vk_identity_change *asked);

/** @brief The verdict by the table in this file's header. @p jkn, @p dukcapil may be NULL. */
vk_verdict vk_evidence_verdict(const vk_evidence_src *jkn, const vk_evidence_src *dukcapil,
                               const vk_identity_change *asked);

/**
 * @brief Starts an evidence record: @p source, @p status, every field UNKNOWN with no score
 * or value, @p message (NULL for none; truncated to fit).
 */
void vk_evidence_init(vk_evidence_src *out, vk_evidence_source source, vk_evidence_status status,
                      const char *message);

/** @brief UNKNOWN when the source gave no value, else YES when it equals the asked one, else NO. */
vk_match vk_evidence_match(bool known, bool equal);

/** @brief Avro symbols: "SUPPORTED"…, "FOUND"…, "JKN"/"DUKCAPIL"; field names "name",
 *  "birth_date", "sex". */
const char *vk_verdict_name(vk_verdict v);
const char *vk_evidence_status_name(vk_evidence_status s);
const char *vk_evidence_source_name(vk_evidence_source s);
const char *vk_identity_field_name(vk_identity_field f);

#endif
