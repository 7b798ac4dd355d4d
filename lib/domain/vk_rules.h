/*
 * vk_rules.h — identity rules as pure functions (docs/design.md §4): NIK, phone, name, ticket
 * numbers, UUIDv5. No I/O, no allocation; every refusal explains itself in @p err in words an
 * operator understands ("NIK has 15 digits, expected 16", "province code 99 does not exist").
 */
#ifndef VK_RULES_H
#define VK_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum vk_sex { VK_SEX_UNKNOWN = 0, VK_SEX_L = 1, VK_SEX_P = 2 } vk_sex;

/** What a NIK encodes: 2 province, 2 regency/city, 2 district, DDMMYY (+40 on DD for women),
 *  4 serial. */
typedef struct vk_nik_info {
    int province;  /* e.g. 32 */
    int regency;   /* kab/kota within the province, e.g. 73 */
    int district;  /* kecamatan within the regency */
    int birth_day; /* 1..31, with the +40 removed */
    int birth_month;
    int birth_yy; /* two-digit year */
    vk_sex sex;   /* P when the day had 40 added */
    int serial;   /* 1..9999 */
} vk_nik_info;

/**
 * @brief Checks a NIK's structure: 16 ASCII digits, a real province code, a valid day (1-31 or
 * 41-71) and month, a day that exists in that month (29 February allowed), serial not 0000.
 * Returns 0 and fills @p info, or -1 with @p err.
 */
int vk_nik_parse(const char *nik, vk_nik_info *info, char *err, size_t errlen);

/** @brief True when the NIK's DDMMYY matches @p birth_date (days since 1970-01-01): same day,
 *  month and year modulo 100. */
bool vk_nik_birth_date_matches(const vk_nik_info *info, int32_t birth_date);

/** @brief The kab/kota code of a NIK as 4 digits ("3273"), written into @p out (5 bytes). */
void vk_nik_district_code(const char *nik, char out[5]);

/** @brief Is this a real (current or historical) Indonesian province code? */
bool vk_province_code_valid(int code);

/**
 * @brief Normalizes an Indonesian phone number to E.164: 08…, 628…, +628… (spaces, dashes,
 * dots and parentheses ignored) → +628…; 8 to 13 digits after +62 and a mobile prefix 8.
 * Landlines (0 + area code, 62 + area code) are accepted as +62…. @p out needs 20 bytes.
 * Returns 0, or -1 with @p err.
 */
int vk_phone_normalize(const char *in, char *out, size_t outlen, char *err, size_t errlen);

/**
 * @brief Normalizes a name: trimmed, runs of white space collapsed to one space, ASCII letters
 * upper-cased (UTF-8 bytes kept as they are). Refuses empty names, control characters, invalid
 * UTF-8, digits, and names longer than 100 bytes after normalization. Returns 0, or -1 with @p err.
 */
int vk_name_normalize(const char *in, char *out, size_t outlen, char *err, size_t errlen);

/* ---- Facility codes ---- */

/** The longest facility code accepted (Kemenkes codes are 7 or 11 characters). */
#define VK_FACILITY_MAX 20

/**
 * @brief Normalizes a facility code: surrounding white space trimmed, ASCII letters
 * upper-cased; 1..VK_FACILITY_MAX letters and digits, nothing else (no inner spaces). Codes
 * outside the Kemenkes pattern (P + 10 digits, or 7 digits) are allowed: the facility
 * reference table names them. @p out needs VK_FACILITY_MAX + 1 bytes to hold any valid code.
 * Returns 0, or -1 (@p out then empty) — callers word the refusal themselves.
 */
int vk_facility_normalize(const char *in, char *out, size_t outlen);

#endif
