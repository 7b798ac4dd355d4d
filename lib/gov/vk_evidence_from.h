/*
 * vk_evidence_from.h — what each source said, as the evidence records the verdict is decided on
 * (lib/domain/vk_evidence.h): the JKN master file's participant and Dukcapil's matching answer,
 * field by field, for the identity fields a request asks.
 */
#ifndef VK_EVIDENCE_FROM_H
#define VK_EVIDENCE_FROM_H

#include "vk_bpjs.h"
#include "vk_dukcapil.h"
#include "vk_evidence.h"

/**
 * @brief JKN evidence (status FOUND) from a participant: for each asked field, JKN's value and
 * whether it matches — the name after vk_name_normalize on both sides, birth date and sex
 * exactly. A field JKN does not carry (or a name that does not normalize) is UNKNOWN. Fields
 * not asked are left empty: the event should hold no more personal data than the decision.
 */
void vk_evidence_from_jkn(const vk_bpjs_participant *p, const vk_identity_change *asked,
                          const char *message, vk_evidence_src *out);

/**
 * @brief Dukcapil evidence (status FOUND) from an answer: each asked field's Sesuai/Tidak
 * Sesuai and score; an element the answer lacks is UNKNOWN. Dukcapil returns no values.
 */
void vk_evidence_from_dukcapil(const vk_dukcapil_result *r, const vk_identity_change *asked,
                               vk_evidence_src *out);

#endif
