/*
 * vk_evidence.c — evidence records and the verdict (the table is in vk_evidence.h).
 *
 * The verdict is computed in two passes over at most two sources: first what the FOUND
 * sources say per asked field (any NO, all YES), then, only when that settles nothing, the
 * statuses. Keeping the passes apart is what makes the table's order of precedence visible.
 */
#include "vk_evidence.h"

#include "vk_rules.h"

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

static vk_match match_of(bool known, bool equal) {
    return !known ? VK_MATCH_UNKNOWN : equal ? VK_MATCH_YES : VK_MATCH_NO;
}

/* Names are compared as the read model stores them: normalized (trimmed, collapsed, upper). */
static vk_match name_match(const char *jkn_name, const char *asked) {
    char a[256], b[256];
    if (!jkn_name[0] || vk_name_normalize(jkn_name, a, sizeof a, NULL, 0) ||
        vk_name_normalize(asked, b, sizeof b, NULL, 0))
        return VK_MATCH_UNKNOWN;
    return match_of(true, strcmp(a, b) == 0);
}

void vk_evidence_from_jkn(const vk_bpjs_participant *p, const vk_identity_change *asked,
                          const char *message, vk_evidence_src *out) {
    vk_evidence_init(out, VK_SOURCE_JKN, VK_EVIDENCE_FOUND, message);
    vk_evidence_field *fl = out->field;
    if (vk_identity_asks(asked, VK_FIELD_NAME)) {
        snprintf(fl[VK_FIELD_NAME].value, sizeof fl[VK_FIELD_NAME].value, "%s", p->name);
        fl[VK_FIELD_NAME].match = name_match(p->name, asked->name);
    }
    if (vk_identity_asks(asked, VK_FIELD_BIRTH_DATE)) {
        if (p->has_birth_date) {
            int y, m, d;
            vk_date_from_days(p->birth_date, &y, &m, &d);
            snprintf(fl[VK_FIELD_BIRTH_DATE].value, sizeof fl[VK_FIELD_BIRTH_DATE].value,
                     "%04d-%02d-%02d", y, m, d);
        }
        fl[VK_FIELD_BIRTH_DATE].match =
            match_of(p->has_birth_date, p->birth_date == asked->birth_date);
    }
    if (vk_identity_asks(asked, VK_FIELD_SEX)) {
        if (p->sex)
            snprintf(fl[VK_FIELD_SEX].value, sizeof fl[VK_FIELD_SEX].value, "%c", p->sex);
        fl[VK_FIELD_SEX].match = match_of(p->sex != 0, p->sex == asked->sex);
    }
}

static void from_element(vk_evidence_field *f, const vk_dukcapil_element *e) {
    f->match = match_of(e->present, e->match);
    f->score = e->present ? e->score : -1;
}

void vk_evidence_from_dukcapil(const vk_dukcapil_result *r, const vk_identity_change *asked,
                               vk_evidence_src *out) {
    vk_evidence_init(out, VK_SOURCE_DUKCAPIL, VK_EVIDENCE_FOUND, r->message);
    if (vk_identity_asks(asked, VK_FIELD_NAME))
        from_element(&out->field[VK_FIELD_NAME], &r->name);
    if (vk_identity_asks(asked, VK_FIELD_BIRTH_DATE))
        from_element(&out->field[VK_FIELD_BIRTH_DATE], &r->birth_date);
    if (vk_identity_asks(asked, VK_FIELD_SEX))
        from_element(&out->field[VK_FIELD_SEX], &r->sex);
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
