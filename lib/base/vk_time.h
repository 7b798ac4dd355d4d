/*
 * vk_time.h — calendar dates and instants, without time zones or locale: days since 1970-01-01
 * (Avro's `date`) and epoch milliseconds (Avro's `timestamp-millis`), the clocks the services
 * read, and the one ISO 8601 formatter every log line, record and report uses.
 *
 * Dates are proleptic Gregorian, exact for years 1..9999 (Howard Hinnant's days_from_civil and
 * civil_from_days): no tables, no TZ, no dependence on the width of time_t.
 */
#ifndef VK_TIME_H
#define VK_TIME_H

#include <stddef.h>
#include <stdint.h>

/** @brief Days since 1970-01-01 → year, month (1-12), day. */
void vk_date_from_days(int32_t days, int *y, int *m, int *d);
/** @brief Year, month, day → days since 1970-01-01. Returns -1 (and leaves *days) when invalid.
 *  Years 1..9999 (proleptic Gregorian) are accepted. */
int vk_date_to_days(int y, int m, int d, int32_t *days);
/** @brief Parses "YYYY-MM-DD" (also "DD/MM/YYYY" and "DD-MM-YYYY", as Excel exports write). */
int vk_date_parse(const char *s, int32_t *days);
/** @brief The days of month @p m (1-12) in year @p y (29 for February of a leap year). */
int vk_date_days_in_month(int y, int m);

/** @brief Wall-clock time, epoch milliseconds (what records carry). */
int64_t vk_now_ms(void);
/** @brief Monotonic milliseconds (what durations and timeouts are measured with). */
int64_t vk_mono_ms(void);

/** The instants vaksin represents: years 1 to 9999, as dates are. Outside it a formatter writes
 *  "-infinity" / "infinity" (what PostgreSQL calls times beyond any date). */
#define VK_TIME_MIN_MS INT64_C(-62135596800000) /* 0001-01-01T00:00:00.000Z */
#define VK_TIME_MAX_MS INT64_C(253402300799999) /* 9999-12-31T23:59:59.999Z */
/** The earliest occurred_at an event may have by default: 2020-01-01T00:00:00Z (vaksin's
 *  programme began in January 2021; anything earlier is a wrong clock or a wrong field). */
#define VK_EVENT_EARLIEST_MS INT64_C(1577836800000)

/** How much of the second vk_time_format writes. */
typedef enum vk_time_unit {
    VK_TIME_S,  /**< 2026-11-24T03:00:00Z (rounded down to the second) */
    VK_TIME_MS, /**< 2026-11-24T03:00:00.250Z */
} vk_time_unit;

/** Room for any time vk_time_format writes, with the terminating NUL. */
#define VK_TIME_LEN 32

/** @brief Formats epoch ms as ISO 8601 UTC into @p out (@p len bytes); returns @p out. */
const char *vk_time_format(int64_t ms, vk_time_unit unit, char *out, size_t len);

/** @brief Parses an ISO 8601 time with a zone (`2026-11-24T10:00:00Z`,
 *  `2026-11-24T17:00:00.250+07:00`) or `@epoch_ms` into epoch ms. A time without a zone is
 *  refused with a hint: desks work in WIB, brokers in UTC, and a guess would shift a window by
 *  hours. @returns 0, or -1 with the reason in @p err. */
int vk_time_parse(const char *text, int64_t *ms, char *err, size_t errlen);

#endif
