/*
 * vk_rules.h — identity rules as pure functions (design §4): NIK, phone, name, ticket numbers,
 * UUIDv5. No I/O, no allocation; every refusal explains itself in @p err in words an operator
 * understands ("NIK has 15 digits, expected 16", "province code 99 does not exist").
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

/* ---- Ticket numbers ---- */

/** 80 bits of HMAC-SHA256(secret, NIK) as 16 Crockford base32 symbols + 1 check symbol. 80 bits
 *  keep the chance of any collision among 300 million targets below 4e-8 (birthday bound
 *  n^2 / 2^81); the check symbol (value mod 37, Crockford's) catches a mistyped symbol. */
#define VK_TICKET_LEN 17

/** @brief Writes the ticket for @p nik into @p out (VK_TICKET_LEN + 1 bytes). */
void vk_ticket_from_nik(const uint8_t *secret, size_t secret_len, const char *nik,
                        char out[VK_TICKET_LEN + 1]);

/**
 * @brief Canonicalizes a ticket as typed at a desk (case-insensitive; hyphens and spaces
 * ignored; O→0, I/L→1 as Crockford says) into @p out and checks length and check symbol.
 * Returns 0, or -1 with @p err.
 */
int vk_ticket_canonical(const char *in, char out[VK_TICKET_LEN + 1], char *err, size_t errlen);

/* ---- UUIDs ---- */

/** The vaksin namespace for derived event ids (a fixed random UUIDv4). */
extern const uint8_t VK_UUID_NAMESPACE[16];

/** @brief RFC 4122 UUIDv5 (SHA-1) of @p name in namespace @p ns, as 36 lower-case chars + NUL. */
void vk_uuid_v5(const uint8_t ns[16], const void *name, size_t len, char out[37]);

/** @brief Derived event id: UUIDv5(VK_UUID_NAMESPACE, "<service>/<input_id>/<n>"). */
void vk_derive_event_id(const char *service, const char *input_event_id, int n, char out[37]);

/** @brief Parses a UUID in 8-4-4-4-12 hex form (any case). Returns 0, or -1. */
int vk_uuid_parse(const char *s, uint8_t out[16]);
/** @brief Writes @p uuid in 8-4-4-4-12 form, lower case, 36 chars + NUL (vk_uuid_parse's inverse).
 */
void vk_uuid_format(const uint8_t uuid[16], char out[37]);

/* ---- Dates ---- */

/** @brief Days since 1970-01-01 → year, month (1-12), day. */
void vk_date_from_days(int32_t days, int *y, int *m, int *d);
/** @brief Year, month, day → days since 1970-01-01. Returns -1 (and leaves *days) when invalid.
 *  Years 1..9999 (proleptic Gregorian) are accepted. */
int vk_date_to_days(int y, int m, int d, int32_t *days);
/** @brief Parses "YYYY-MM-DD" (also "DD/MM/YYYY" and "DD-MM-YYYY", as Excel exports write). */
int vk_date_parse(const char *s, int32_t *days);

#endif
