/*
 * vk_evidence.c — evidence records and the verdict (the table is in vk_evidence.h).
 *
 * The verdict is computed in two passes over at most two sources: first what the FOUND
 * sources say per asked field (any NO, all YES), then, only when that settles nothing, the
 * statuses. Keeping the passes apart is what makes the table's order of precedence visible.
 */
#include "vk_evidence.h"

#include <stdio.h>
#include <string.h>

bool vk_identity_asks(const vk_identity_change *asked, vk_identity_field f) {
    switch (f) {
    case VK_FIELD_NAME:
        return asked->name != NULL;
    case VK_FIELD_BIRTH_DATE:
        return asked->has_birth_date;
    case VK_FIELD_SEX:
        return asked->sex != 0;
    default:
        return false;
    }
}

bool vk_identity_needs_evidence(const vk_identity_change *asked) {
    for (int f = 0; f < VK_IDENTITY_FIELDS; f++)
        if (vk_identity_asks(asked, (vk_identity_field)f))
            return true;
    return false;
}

/* The match of field @p f by source @p s, counting only a FOUND source. */
static vk_match found_match(const vk_evidence_src *s, int f) {
    return s && s->status == VK_EVIDENCE_FOUND ? s->field[f].match : VK_MATCH_UNKNOWN;
}

vk_verdict vk_evidence_verdict(const vk_evidence_src *jkn, const vk_evidence_src *dukcapil,
                               const vk_identity_change *asked) {
    if (!vk_identity_needs_evidence(asked))
        return VK_VERDICT_SUPPORTED; /* 1 */
    bool contradicted = false, all_confirmed = true;
    for (int f = 0; f < VK_IDENTITY_FIELDS; f++) {
        if (!vk_identity_asks(asked, (vk_identity_field)f))
            continue;
        vk_match a = found_match(jkn, f), b = found_match(dukcapil, f);
        contradicted |= a == VK_MATCH_NO || b == VK_MATCH_NO;
        all_confirmed &= a == VK_MATCH_YES || b == VK_MATCH_YES;
    }
    if (contradicted)
        return VK_VERDICT_CONTRADICTED; /* 2 */
    if (all_confirmed)
        return VK_VERDICT_SUPPORTED; /* 3 */
    bool unavailable = (jkn && jkn->status == VK_EVIDENCE_UNAVAILABLE) ||
                       (dukcapil && dukcapil->status == VK_EVIDENCE_UNAVAILABLE);
    if (unavailable || (!jkn && !dukcapil))
        return VK_VERDICT_UNAVAILABLE; /* 4a, 4b */
    return VK_VERDICT_NOT_FOUND;       /* 4c */
}

void vk_evidence_init(vk_evidence_src *out, vk_evidence_source source, vk_evidence_status status,
                      const char *message) {
    memset(out, 0, sizeof *out);
    out->source = source;
    out->status = status;
    for (int f = 0; f < VK_IDENTITY_FIELDS; f++)
        out->field[f].score = -1;
    if (message)
        snprintf(out->message, sizeof out->message, "%s", message);
}

vk_match vk_evidence_match(bool known, bool equal) {
    return !known ? VK_MATCH_UNKNOWN : equal ? VK_MATCH_YES : VK_MATCH_NO;
}

const char *vk_verdict_name(vk_verdict v) {
    static const char *const n[] = {"SUPPORTED", "CONTRADICTED", "NOT_FOUND", "UNAVAILABLE"};
    return (unsigned)v < 4 ? n[v] : "?";
}

const char *vk_evidence_status_name(vk_evidence_status s) {
    static const char *const n[] = {"FOUND", "NOT_FOUND", "UNAVAILABLE"};
    return (unsigned)s < 3 ? n[s] : "?";
}

const char *vk_evidence_source_name(vk_evidence_source s) {
    return s == VK_SOURCE_JKN ? "JKN" : s == VK_SOURCE_DUKCAPIL ? "DUKCAPIL" : "?";
}

const char *vk_identity_field_name(vk_identity_field f) {
    static const char *const n[] = {"name", "birth_date", "sex"};
    return (unsigned)f < VK_IDENTITY_FIELDS ? n[f] : "?";
}
