/*
 * vk_time.c — dates, clocks and ISO 8601 times (see vk_time.h).
 */
#include "vk_time.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int vk_two_digits(const char *p) {
    return (p[0] - '0') * 10 + (p[1] - '0');
}

static bool vk_all_digits(const char *p, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (p[i] < '0' || p[i] > '9')
            return false;
    return true;
}

/* ---- Dates ---------------------------------------------------------------------------------- */

static bool vk_is_leap(int y) {
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int vk_date_days_in_month(int y, int m) {
    static const int days[13] = {0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return (m == 2 && !vk_is_leap(y)) ? 28 : days[m];
}

/* Hinnant's days_from_civil: shift the year to start in March so the leap day is last. */
static int64_t vk_days_from_civil(int64_t y, int m, int d) {
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const int64_t yoe = y - era * 400;                                   /* 0..399 */
    const int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1; /* 0..365 */
    const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;           /* 0..146096 */
    return era * 146097 + doe - 719468;
}

void vk_date_from_days(int32_t days, int *y, int *m, int *d) {
    const int64_t z = (int64_t)days + 719468;
    const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const int64_t doe = z - era * 146097;
    const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const int64_t mp = (5 * doy + 2) / 153;
    const int64_t month = mp < 10 ? mp + 3 : mp - 9;
    if (y)
        *y = (int)(yoe + era * 400 + (month <= 2));
    if (m)
        *m = (int)month;
    if (d)
        *d = (int)(doy - (153 * mp + 2) / 5 + 1);
}

int vk_date_to_days(int y, int m, int d, int32_t *days) {
    if (y < 1 || y > 9999 || m < 1 || m > 12 || d < 1 || d > vk_date_days_in_month(y, m))
        return -1;
    if (days)
        *days = (int32_t)vk_days_from_civil(y, m, d);
    return 0;
}

static int vk_n_digits(const char *p, size_t n) {
    int v = 0;
    for (size_t i = 0; i < n; i++)
        v = v * 10 + (p[i] - '0');
    return v;
}

int vk_date_parse(const char *s, int32_t *days) {
    if (!s || strlen(s) != 10)
        return -1;
    int y, m, d;
    if (s[4] == '-' && s[7] == '-' && vk_all_digits(s, 4) && vk_all_digits(s + 5, 2) &&
        vk_all_digits(s + 8, 2)) {
        y = vk_n_digits(s, 4), m = vk_two_digits(s + 5), d = vk_two_digits(s + 8);
    } else if ((s[2] == '/' || s[2] == '-') && s[5] == s[2] && vk_all_digits(s, 2) &&
               vk_all_digits(s + 3, 2) && vk_all_digits(s + 6, 4)) {
        d = vk_two_digits(s), m = vk_two_digits(s + 3), y = vk_n_digits(s + 6, 4);
    } else {
        return -1;
    }
    return vk_date_to_days(y, m, d, days);
}

/* ---- Clocks --------------------------------------------------------------------------------- */

int64_t vk_now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t vk_mono_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- ISO 8601 ------------------------------------------------------------------------------- */

const char *vk_time_format(int64_t ms, vk_time_unit unit, char *out, size_t len) {
    if (ms < VK_TIME_MIN_MS || ms > VK_TIME_MAX_MS) {
        snprintf(out, len, "%s", ms < 0 ? "-infinity" : "infinity");
        return out;
    }
    /* Floor division: -1 ms is 1969-12-31T23:59:59.999Z. */
    int64_t secs = ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000);
    int64_t days = secs >= 0 ? secs / 86400 : -((-secs + 86399) / 86400);
    int64_t rem = secs - days * 86400;
    int y, m, d;
    vk_date_from_days((int32_t)days, &y, &m, &d);
    if (unit == VK_TIME_MS)
        snprintf(out, len, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", y, m, d, (int)(rem / 3600),
                 (int)(rem / 60 % 60), (int)(rem % 60), (int)(ms - secs * 1000));
    else
        snprintf(out, len, "%04d-%02d-%02dT%02d:%02d:%02dZ", y, m, d, (int)(rem / 3600),
                 (int)(rem / 60 % 60), (int)(rem % 60));
    return out;
}

static int digits(const char **p, int n, int *out) {
    int v = 0;
    for (int i = 0; i < n; i++, (*p)++) {
        if (!isdigit((unsigned char)**p))
            return -1;
        v = v * 10 + (**p - '0');
    }
    *out = v;
    return 0;
}

int vk_time_parse(const char *text, int64_t *ms, char *err, size_t errlen) {
    if (text[0] == '@') {
        char *end;
        long long v = strtoll(text + 1, &end, 10);
        if (end == text + 1 || *end || v < 0) {
            snprintf(err, errlen, "'%s': after @ give epoch milliseconds", text);
            return -1;
        }
        *ms = v;
        return 0;
    }
    const char *p = text;
    int y, mo, d, h, mi, s, frac = 0;
    if (digits(&p, 4, &y) || *p++ != '-' || digits(&p, 2, &mo) || *p++ != '-' ||
        digits(&p, 2, &d) || (*p != 'T' && *p != ' ') || !*p++ || digits(&p, 2, &h) ||
        *p++ != ':' || digits(&p, 2, &mi) || *p++ != ':' || digits(&p, 2, &s))
        goto bad;
    if (*p == '.') {
        p++;
        int n = 0;
        while (isdigit((unsigned char)*p)) {
            if (n < 3)
                frac = frac * 10 + (*p - '0');
            n++;
            p++;
        }
        if (n == 0)
            goto bad;
        for (; n < 3; n++)
            frac *= 10;
    }
    int zone_min;
    if (*p == 'Z' && !p[1]) {
        zone_min = 0;
    } else if ((*p == '+' || *p == '-') && p[1]) {
        int sign = *p++ == '-' ? -1 : 1, zh, zm;
        if (digits(&p, 2, &zh) || (*p == ':' && !*++p) || digits(&p, 2, &zm) || *p)
            goto bad;
        zone_min = sign * (zh * 60 + zm);
    } else if (!*p) {
        snprintf(err, errlen, "'%s' has no time zone: add Z (UTC) or +07:00 (WIB), e.g. %sZ", text,
                 text);
        return -1;
    } else {
        goto bad;
    }
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60)
        goto bad;
    struct tm tm = {.tm_year = y - 1900,
                    .tm_mon = mo - 1,
                    .tm_mday = d,
                    .tm_hour = h,
                    .tm_min = mi,
                    .tm_sec = s};
    time_t t = timegm(&tm);
    *ms = ((int64_t)t - (int64_t)zone_min * 60) * 1000 + frac;
    return 0;
bad:
    snprintf(err, errlen,
             "'%s' is not a time: use ISO 8601 with a zone (2026-11-24T10:00:00Z, "
             "2026-11-24T17:00:00.250+07:00) or @epoch_ms",
             text);
    return -1;
}
