/*
 * vk_target.c — see vk_target.h.
 *
 * A re-import never overwrites: the design makes target-data verification (1.5.0) the only way
 * to change a person's identity data, so that every change has an officer, a grant and evidence
 * behind it. A differing re-import is therefore a conflict for review, described field by field.
 */
#include "vk_target.h"
#include "vk_time.h"

#include <stdio.h>
#include <string.h>

static void diff_str(char *reason, size_t len, size_t *used, const char *field, const char *a,
                     const char *b) {
    if (strcmp(a, b) == 0 || *used >= len)
        return;
    int n = snprintf(reason + *used, len - *used, "%s%s: \"%s\" → \"%s\"", *used ? "; " : "", field,
                     *a ? a : "(none)", *b ? b : "(none)");
    if (n > 0)
        *used += (size_t)n;
}

static void date_text(bool has, int32_t days, char out[16]) {
    if (!has) {
        out[0] = '\0';
        return;
    }
    int y, m, d;
    vk_date_from_days(days, &y, &m, &d);
    snprintf(out, 16, "%04d-%02d-%02d", y, m, d);
}

vk_ticket_outcome vk_target_apply_ticket(const vk_target *current, const vk_target *issued,
                                         char *reason, size_t reason_len) {
    if (!current)
        return VK_TICKET_CREATED;
    size_t used = 0;
    char a[16], b[16], sa[2] = {current->sex, 0}, sb[2] = {issued->sex, 0};
    reason[0] = '\0';
    diff_str(reason, reason_len, &used, "ticket", current->ticket, issued->ticket);
    diff_str(reason, reason_len, &used, "name", current->name, issued->name);
    date_text(true, current->birth_date, a);
    date_text(true, issued->birth_date, b);
    diff_str(reason, reason_len, &used, "birth_date", a, b);
    diff_str(reason, reason_len, &used, "sex", sa, sb);
    diff_str(reason, reason_len, &used, "phone", current->phone, issued->phone);
    diff_str(reason, reason_len, &used, "category", current->category, issued->category);
    diff_str(reason, reason_len, &used, "facility_code", current->facility_code,
             issued->facility_code);
    date_text(current->has_scheduled_date, current->scheduled_date, a);
    date_text(issued->has_scheduled_date, issued->scheduled_date, b);
    diff_str(reason, reason_len, &used, "scheduled_date", a, b);
    return used ? VK_TICKET_CONFLICT : VK_TICKET_UNCHANGED;
}
