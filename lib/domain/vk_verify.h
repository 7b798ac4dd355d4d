/*
 * vk_verify.h — what a verification request does to a target (docs/design.md §4 "Verification", the
 * 1.5.0 feature), as a pure function the projector applies in log order when the lookup
 * worker's VerificationEnriched arrives.
 *
 * The rule, checked in this order (the first that holds decides):
 *   1. the target has been entered at desk 1, 2 or 4 for any dose   → REJECTED ALREADY_SERVED
 *      (decided in log order: a registration that lands before the evidence wins);
 *   2. CORRECTION of a NIK that is not a target                     → REJECTED NO_TARGET;
 *      ADDITION of a NIK that already is one                        → REJECTED TARGET_EXISTS;
 *   3. verdict UNAVAILABLE (a source down after retries)            → still PENDING;
 *      verdict CONTRADICTED                                         → REJECTED CONTRADICTED;
 *      verdict NOT_FOUND (no source confirms an identity field)     → REJECTED NOT_CONFIRMED;
 *   4. verdict SUPPORTED → APPLIED: a CORRECTION changes only the fields it sets, an ADDITION
 *      creates the target with its ticket (origin VERIFICATION). The NIK data-quality flags
 *      (NIK_BIRTH_DATE_MISMATCH, NIK_SEX_MISMATCH) are recomputed from the new values — fixing
 *      such a mismatch is what the feature is for — and other flags are kept.
 * Every requested field is listed with its old and new value (old empty for an addition), also
 * for a refusal, so the record shows what was asked against what the target held then.
 *
 * Why "served" and "exists" come before the verdict: they are final whatever the sources say,
 * and a request that can never apply should not wait for a source that is down.
 */
#ifndef VK_VERIFY_H
#define VK_VERIFY_H

#include "vk_evidence.h"
#include "vk_target.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** A request's TargetChanges, normalized by vaksin-verification. NULL / false = unchanged. */
typedef struct vk_target_changes {
    const char *name;
    bool has_birth_date;
    int32_t birth_date;
    char sex; /* 'L', 'P' or 0 */
    const char *phone;
    const char *facility_code;
    bool has_scheduled_date;
    int32_t scheduled_date;
} vk_target_changes;

/** The six fields of TargetChanges, in schema order. */
#define VK_CHANGE_FIELDS 6

/** One requested field: its name in the contract, the target's value then, the asked value
 *  (dates as yyyy-mm-dd; "" = none). */
typedef struct vk_field_change {
    const char *field; /* "name", "birth_date", "sex", "phone", "facility_code", "scheduled_date" */
    char old_value[256];
    char new_value[256];
} vk_field_change;

typedef enum vk_verify_outcome {
    VK_VERIFY_APPLIED,  /* *out is the target as it is now (created for an addition) */
    VK_VERIFY_PENDING,  /* sources unavailable: wait for the retried lookup */
    VK_VERIFY_REJECTED, /* code and reason filled */
} vk_verify_outcome;

typedef struct vk_verify_request {
    bool addition; /* ADDITION, else CORRECTION */
    const char *nik;
    const char *ticket; /* ADDITION: the ticket decided by vaksin-verification */
    vk_target_changes changes;
    vk_verdict verdict;
    const char *evidence_words; /* a summary of the evidence for reasons, e.g. "Dukcapil: name
                                   Tidak Sesuai (40)"; may be NULL */
} vk_verify_request;

/**
 * @brief Decides a verification request against the person's current state: @p current is the
 * target (NULL when the NIK is not one), @p served NULL when no desk has entered the person,
 * else a description of the first desk entry ("registered for dose 1 at P3273020201 on
 * 2021-03-01"). Fills @p changes (VK_CHANGE_FIELDS entries at most) and *@p n_changes with the
 * requested fields, and on APPLIED writes the new target into @p out (may alias nothing:
 * @p out != @p current).
 */
vk_verify_outcome vk_verify_apply(const vk_target *current, const char *served,
                                  const vk_verify_request *req, vk_target *out,
                                  vk_field_change changes[VK_CHANGE_FIELDS], int *n_changes,
                                  char *code, size_t code_len, char *reason, size_t reason_len);

#endif
