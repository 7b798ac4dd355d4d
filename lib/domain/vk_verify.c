/*
 * vk_verify.c — the verification rule (see vk_verify.h for the order of the checks).
 */
#include "vk_verify.h"

#include "vk_rules.h"
#include "vk_str.h"
#include "vk_time.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static void put_date(char *dst, size_t len, bool has, int32_t days) {
    if (!has) {
        dst[0] = '\0';
        return;
    }
    int y, m, d;
    vk_date_from_days(days, &y, &m, &d);
    snprintf(dst, len, "%04d-%02d-%02d", y, m, d);
}

/* Lists the requested fields with the target's values (none for a NIK that is not a target). */
static int list_changes(const vk_target *cur, const vk_target_changes *c,
                        vk_field_change out[VK_CHANGE_FIELDS]) {
    int n = 0;
    if (c->name) {
        out[n].field = "name";
        vk_str_copy(out[n].old_value, sizeof out[n].old_value, cur ? cur->name : "");
        vk_str_copy(out[n++].new_value, sizeof out[0].new_value, c->name);
    }
    if (c->has_birth_date) {
        out[n].field = "birth_date";
        put_date(out[n].old_value, sizeof out[n].old_value, cur != NULL, cur ? cur->birth_date : 0);
        put_date(out[n++].new_value, sizeof out[0].new_value, true, c->birth_date);
    }
    if (c->sex) {
        out[n].field = "sex";
        char old[2] = {cur ? cur->sex : 0, 0}, new_sex[2] = {c->sex, 0};
        vk_str_copy(out[n].old_value, sizeof out[n].old_value, old);
        vk_str_copy(out[n++].new_value, sizeof out[0].new_value, new_sex);
    }
    if (c->phone) {
        out[n].field = "phone";
        vk_str_copy(out[n].old_value, sizeof out[n].old_value, cur ? cur->phone : "");
        vk_str_copy(out[n++].new_value, sizeof out[0].new_value, c->phone);
    }
    if (c->facility_code) {
        out[n].field = "facility_code";
        vk_str_copy(out[n].old_value, sizeof out[n].old_value, cur ? cur->facility_code : "");
        vk_str_copy(out[n++].new_value, sizeof out[0].new_value, c->facility_code);
    }
    if (c->has_scheduled_date) {
        out[n].field = "scheduled_date";
        put_date(out[n].old_value, sizeof out[n].old_value, cur && cur->has_scheduled_date,
                 cur ? cur->scheduled_date : 0);
        put_date(out[n++].new_value, sizeof out[0].new_value, true, c->scheduled_date);
    }
    return n;
}

/* Recomputes the two NIK flags from the target's values, keeping any other flag. */
static void recompute_flags(vk_target *t) {
    char kept[sizeof t->flags] = "", copy[sizeof t->flags];
    vk_str_copy(copy, sizeof copy, t->flags);
    size_t used = 0;
    for (char *save = NULL, *f = strtok_r(copy, ",", &save); f; f = strtok_r(NULL, ",", &save)) {
        if (strcmp(f, "NIK_BIRTH_DATE_MISMATCH") == 0 || strcmp(f, "NIK_SEX_MISMATCH") == 0)
            continue;
        int w = snprintf(kept + used, sizeof kept - used, "%s%s", used ? "," : "", f);
        if (w > 0 && (size_t)w < sizeof kept - used)
            used += (size_t)w;
    }
    vk_nik_info info;
    char err[128];
    if (vk_nik_parse(t->nik, &info, err, sizeof err) == 0) {
        const char *add[2] = {NULL, NULL};
        if (!vk_nik_birth_date_matches(&info, t->birth_date))
            add[0] = "NIK_BIRTH_DATE_MISMATCH";
        if (t->sex && (t->sex == 'L' ? VK_SEX_L : VK_SEX_P) != info.sex)
            add[1] = "NIK_SEX_MISMATCH";
        for (int i = 0; i < 2; i++) {
            if (!add[i])
                continue;
            int w = snprintf(kept + used, sizeof kept - used, "%s%s", used ? "," : "", add[i]);
            if (w > 0 && (size_t)w < sizeof kept - used)
                used += (size_t)w;
        }
    }
    vk_str_copy(t->flags, sizeof t->flags, kept);
}

/* Fills code and a printf-style reason and returns REJECTED. */
__attribute__((format(printf, 6, 7))) static vk_verify_outcome
refuse(const char *code_text, char *code, size_t code_len, char *reason, size_t reason_len,
       const char *fmt, ...) {
    snprintf(code, code_len, "%s", code_text);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, reason_len, fmt, ap);
    va_end(ap);
    return VK_VERIFY_REJECTED;
}

vk_verify_outcome vk_verify_apply(const vk_target *current, const char *served,
                                  const vk_verify_request *req, vk_target *out,
                                  vk_field_change changes[VK_CHANGE_FIELDS], int *n_changes,
                                  char *code, size_t code_len, char *reason, size_t reason_len) {
    *n_changes = list_changes(current, &req->changes, changes);
    code[0] = reason[0] = '\0';
    const char *ev = req->evidence_words && *req->evidence_words ? req->evidence_words : NULL;
    if (served)
        return refuse("ALREADY_SERVED", code, code_len, reason, reason_len,
                      "the target was already %s: only targets never served at desk 1, 2 or 4 "
                      "may be corrected",
                      served);
    if (!req->addition && !current)
        return refuse("NO_TARGET", code, code_len, reason, reason_len,
                      "no target has this NIK: to add one, send an ADDITION");
    if (req->addition && current)
        return refuse("TARGET_EXISTS", code, code_len, reason, reason_len,
                      "this NIK is already a target (ticket %s): to change it, send a "
                      "CORRECTION",
                      current->ticket);
    switch (req->verdict) {
    case VK_VERDICT_UNAVAILABLE:
        snprintf(code, code_len, "SOURCES_UNAVAILABLE");
        snprintf(reason, reason_len,
                 "waiting for evidence: JKN and Dukcapil could not confirm yet%s%s; the lookup "
                 "is retried",
                 ev ? " — " : "", ev ? ev : "");
        return VK_VERIFY_PENDING;
    case VK_VERDICT_CONTRADICTED:
        return refuse("CONTRADICTED", code, code_len, reason, reason_len,
                      "the civil registry or the JKN master file contradicts the requested "
                      "identity%s%s",
                      ev ? ": " : "", ev ? ev : "");
    case VK_VERDICT_NOT_FOUND:
        return refuse("NOT_CONFIRMED", code, code_len, reason, reason_len,
                      "neither JKN nor Dukcapil confirms the requested identity%s%s",
                      ev ? ": " : "", ev ? ev : "");
    case VK_VERDICT_SUPPORTED:
        break;
    }
    const vk_target_changes *c = &req->changes;
    if (req->addition) {
        memset(out, 0, sizeof *out);
        vk_str_copy(out->nik, sizeof out->nik, req->nik);
        vk_str_copy(out->ticket, sizeof out->ticket, req->ticket);
        vk_str_copy(out->origin, sizeof out->origin, "VERIFICATION");
        if (!c->name || !c->has_birth_date || !req->ticket || !*req->ticket)
            return refuse("INCOMPLETE_ADDITION", code, code_len, reason, reason_len,
                          "an addition needs a name, a birth date and a ticket");
    } else {
        *out = *current;
    }
    if (c->name)
        vk_str_copy(out->name, sizeof out->name, c->name);
    if (c->has_birth_date)
        out->birth_date = c->birth_date;
    if (c->sex)
        out->sex = c->sex;
    if (c->phone)
        vk_str_copy(out->phone, sizeof out->phone, c->phone);
    if (c->facility_code)
        vk_str_copy(out->facility_code, sizeof out->facility_code, c->facility_code);
    if (c->has_scheduled_date) {
        out->has_scheduled_date = true;
        out->scheduled_date = c->scheduled_date;
    }
    recompute_flags(out);
    return VK_VERIFY_APPLIED;
}
