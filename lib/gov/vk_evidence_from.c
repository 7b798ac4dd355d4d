/*
 * vk_evidence_from.c — evidence records from the two sources' answers (see vk_evidence_from.h);
 * the verdict over them is the domain's (lib/domain/vk_evidence.c).
 */
#include "vk_evidence_from.h"

#include "vk_rules.h"
#include "vk_time.h"

#include <stdio.h>
#include <string.h>

/* Names are compared as the read model stores them: normalized (trimmed, collapsed, upper). */
static vk_match name_match(const char *jkn_name, const char *asked) {
    char a[256], b[256];
    if (!jkn_name[0] || vk_name_normalize(jkn_name, a, sizeof a, NULL, 0) ||
        vk_name_normalize(asked, b, sizeof b, NULL, 0))
        return VK_MATCH_UNKNOWN;
    return vk_evidence_match(true, strcmp(a, b) == 0);
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
            vk_evidence_match(p->has_birth_date, p->birth_date == asked->birth_date);
    }
    if (vk_identity_asks(asked, VK_FIELD_SEX)) {
        if (p->sex)
            snprintf(fl[VK_FIELD_SEX].value, sizeof fl[VK_FIELD_SEX].value, "%c", p->sex);
        fl[VK_FIELD_SEX].match = vk_evidence_match(p->sex != 0, p->sex == asked->sex);
    }
}

static void from_element(vk_evidence_field *f, const vk_dukcapil_element *e) {
    f->match = vk_evidence_match(e->present, e->match);
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
